#include "driver/transport_test_util.h"

#include "common/test_temp.h"

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

extern char** environ;

namespace systole::driver::testing {

std::vector<TransportParam>& TransportRegistry() {
  static std::vector<TransportParam> r;
  return r;
}

std::string SystoleBinary() { return SYSTOLE_BINARY; }

std::string TempDir() { return systole::testing::ProcessTempDir(); }

std::string NewSocketPath() {
  static std::atomic<int> counter{0};
  return StrFormat("%s/s%d.sock", TempDir().c_str(), ++counter);
}

// ---------------------------------------------------------------------------
// This file's transports.

namespace {

class SimEnv : public TransportEnv {
 public:
  explicit SimEnv(sim::DeviceConfig hw) : hw_(hw) {}
  std::string device() const override { return "sim"; }
  StatusOr<std::unique_ptr<Transport>> OpenTransport(const TransportOptions&) override {
    return OpenSimTransport(hw_, false);
  }

 private:
  sim::DeviceConfig hw_;
};

class RemoteEnv : public TransportEnv {
 public:
  RemoteEnv(std::unique_ptr<ServerProcess> server, bool rtl) : server_(std::move(server)), rtl_(rtl) {}
  Status Close() override {
    if (killed_) return Status::Ok();
    const int st = server_->Stop(5000);
    // A clean SIGTERM shutdown exits 0; FAULT EXIT exits 75 on its own.
    if (st == -1 || !WIFEXITED(st) || (WEXITSTATUS(st) != 0 && WEXITSTATUS(st) != 75))
      return Internal("systole serve at %s did not shut down cleanly (wait status %d)", server_->address().c_str(), st);
    return Status::Ok();
  }
  std::string device() const override { return "remote:" + server_->address(); }
  StatusOr<std::unique_ptr<Transport>> OpenTransport(const TransportOptions& o) override {
    return OpenRemoteTransport(server_->address(), o);
  }
  bool counts_frames() const override { return true; }
  bool supports_faults() const override { return true; }
  Status KillDevice() override {
    killed_ = true;
    server_->Kill();
    return Status::Ok();
  }
  bool slow() const override { return rtl_; }

 private:
  std::unique_ptr<ServerProcess> server_;
  bool rtl_;
  bool killed_ = false;
};

StatusOr<std::unique_ptr<TransportEnv>> StartRemote(const std::string& listen, const std::string& config, bool rtl) {
  std::vector<std::string> args = {"--listen", listen, "--config", config, "--allow-faults"};
  if (rtl) args.insert(args.end(), {"--backend", "rtl"});
  ASSIGN_OR_RETURN(std::unique_ptr<ServerProcess> s, ServerProcess::Start(args));
  return std::unique_ptr<TransportEnv>(new RemoteEnv(std::move(s), rtl));
}

const RegisterTransport kSim({"sim", [](const std::string& config) -> StatusOr<std::unique_ptr<TransportEnv>> {
                                ASSIGN_OR_RETURN(sim::DeviceConfig hw, sim::DeviceConfig::FromName(config));
                                return std::unique_ptr<TransportEnv>(new SimEnv(hw));
                              }});
const RegisterTransport kRemoteUnix({"remote_unix", [](const std::string& config) {
                                       return StartRemote("unix:" + NewSocketPath(), config, false);
                                     }});
const RegisterTransport kRemoteTcp({"remote_tcp", [](const std::string& config) {
                                      return StartRemote("tcp:127.0.0.1:0", config, false);
                                    }});
#if defined(SYSTOLE_HAVE_RTL_CORE)
const RegisterTransport kRemoteUnixRtl({"remote_unix_rtl", [](const std::string& config) {
                                          return StartRemote("unix:" + NewSocketPath(), config, true);
                                        }});
#endif

}  // namespace

StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(const std::vector<std::string>& args) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return Unavailable("pipe: %s", std::strerror(errno));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  // The server's log (stderr) goes to a file, quoted when it fails to start.
  static std::atomic<int> logs{0};
  const std::string log = StrFormat("%s/serve%d.log", TempDir().c_str(), ++logs);
  posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> argv_s = {SystoleBinary(), "serve"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  if (rc != 0) {
    close(out[0]);
    return Unavailable("posix_spawn %s: %s", argv[0], std::strerror(rc));
  }
  auto sp = std::unique_ptr<ServerProcess>(new ServerProcess());
  sp->pid_ = pid;
  // The first line: "listening on ADDRESS".
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (line.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) break;
    pollfd p{out[0], POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    char buf[256];
    const ssize_t n = read(out[0], buf, sizeof(buf));
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  const std::string prefix = "listening on ";
  const size_t nl = line.find('\n');
  if (line.rfind(prefix, 0) != 0 || nl == std::string::npos) {
    std::ifstream lf(log);
    const std::string err((std::istreambuf_iterator<char>(lf)), std::istreambuf_iterator<char>());
    return Unavailable("systole serve %s did not report its address (stdout '%s', stderr '%s')",
                       args.size() > 1 ? args[1].c_str() : "", line.c_str(), err.c_str());
  }
  sp->address_ = line.substr(prefix.size(), nl - prefix.size());
  return sp;
}

void ServerProcess::Kill() {
  if (reaped_) return;
  kill(pid_, SIGKILL);
  killed_ = true;
  waitpid(pid_, &status_, 0);
  reaped_ = true;
}

int ServerProcess::Stop(int timeout_ms) {
  if (reaped_) return status_;
  kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    const pid_t r = waitpid(pid_, &status_, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      return status_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status_, 0);
  reaped_ = true;
  return -1;
}

ServerProcess::~ServerProcess() { Stop(5000); }

}  // namespace systole::driver::testing
