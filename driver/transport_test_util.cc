#include "driver/transport_test_util.h"

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

extern char** environ;

namespace systole::driver::testing {

std::vector<TransportParam>& TransportRegistry() {
  static std::vector<TransportParam> r;
  return r;
}

std::string SystoleBinary() { return SYSTOLE_BINARY; }

std::string TempDir() {
  static const std::string dir = [] {
    const char* base = std::getenv("TMPDIR");
    std::string t = std::string(base && *base ? base : "/tmp") + "/systole_transport_XXXXXX";
    std::vector<char> buf(t.begin(), t.end());
    buf.push_back(0);
    const char* d = mkdtemp(buf.data());
    return std::string(d ? d : "/tmp");
  }();
  return dir;
}

StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(const std::vector<std::string>& args) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return Unavailable("pipe: %s", std::strerror(errno));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
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
  if (line.rfind(prefix, 0) != 0 || nl == std::string::npos)
    return Unavailable("systole serve %s did not report its address (got '%s')",
                       args.empty() ? "" : args[0].c_str(), line.c_str());
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
