// systole serve: the SystemC device (behavioural or RTL core) as a device
// process speaking the Systole device protocol (docs/protocol.md) on a Unix
// socket or a loopback TCP port.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "arch/device_config.h"
#include "driver/device_session.h"
#include "driver/server.h"
#include "driver/transport.h"
#include "tools/cli.h"

namespace systole {
namespace cli {
namespace {

constexpr char kServeUsage[] =
    "usage: systole serve --listen unix:PATH|tcp:127.0.0.1:PORT [--backend systemc|rtl]\n"
    "                     [--config C] [--max-clients N] [--allow-faults]\n"
    "\n"
    "Runs a simulated Systole device as a separate process: the SystemC device model\n"
    "serving the Systole device protocol (docs/protocol.md), the same bytes a USB\n"
    "device speaks. Clients use the device string remote:unix:PATH or\n"
    "remote:tcp:HOST:PORT (systole run --device ..., the delegate's device option).\n"
    "\n"
    "  --listen A         unix:PATH: a Unix socket created with mode 0600 (a stale\n"
    "                     socket is replaced; any other existing file is an error);\n"
    "                     tcp:HOST:PORT: HOST must be 127.0.0.1, ::1 or localhost\n"
    "                     (loopback only); PORT 0 picks a free port\n"
    "  --backend B        systemc: the behavioural compute core (default); rtl: the\n"
    "                     Verilated RTL core (builds with -DSYSTOLE_WITH_RTL=ON, array\n"
    "                     sizes that were Verilated, e.g. --config tiny)\n"
    "  --config C         device configuration: edge (default), tiny or a JSON file\n"
    "  --max-clients N    connections served at once (default 8, 1..1024); further\n"
    "                     clients get a 'server busy' error\n"
    "  --allow-faults     accept the protocol's FAULT command (tests: delay, drop,\n"
    "                     truncate or corrupt a reply, fail a run, disappear, exit)\n"
    "\n"
    "Prints one line on stdout when ready: 'listening on ADDRESS' (with the actual\n"
    "port). Each client gets its own session: its own host regions, programs and\n"
    "on-chip memory contents; no client can read another's. SIGINT or SIGTERM stops\n"
    "the server cleanly (every client thread ends, the socket file is removed).\n";

int g_stop_fd = -1;

extern "C" void OnStopSignal(int) {
  if (g_stop_fd >= 0) {
    const char c = 's';
    ssize_t r = write(g_stop_fd, &c, 1);
    (void)r;
  }
}

}  // namespace

int Serve(int argc, char** argv) {
  driver::ServerOptions so;
  std::string backend = "systemc", config = "edge";
  driver::DeviceHostOptions ho;
  uint64_t max_clients = 8;
  OptionParser p("serve", kServeUsage, "");
  p.Value({"--listen"}, [&](const std::string& v) { so.listen = v; return true; }, " (unix:PATH or tcp:127.0.0.1:PORT)");
  p.Value({"--backend"}, [&](const std::string& v) {
    if (v != "systemc" && v != "rtl") return p.Error("--backend '%s' is unknown (expected systemc or rtl)", v.c_str());
    backend = v;
    return true;
  }, " (systemc or rtl)");
  p.Value({"--config"}, [&](const std::string& v) { config = v; return true; });
  p.Value({"--max-clients"}, [&](const std::string& v) {
    if (!ParseUint(v, 1024, &max_clients) || max_clients == 0)
      return p.Error("--max-clients '%s' is not an integer in [1, 1024]", v.c_str());
    return true;
  });
  p.Flag({"--allow-faults"}, [&] { ho.allow_faults = true; });
  if (const int rc = p.Parse(argc, argv); rc >= 0) return rc;
  if (so.listen.empty()) {
    std::fprintf(stderr, "systole serve: --listen is required (unix:PATH or tcp:127.0.0.1:PORT)\n%s", kServeUsage);
    return 2;
  }
  so.max_clients = static_cast<int>(max_clients);
  StatusOr<sim::DeviceConfig> hw = sim::DeviceConfig::FromName(config);
  if (!hw.ok()) return Fail(Annotate(hw.status(), "--config"));
  StatusOr<std::unique_ptr<driver::Transport>> device = driver::OpenSimTransport(*hw, backend == "rtl");
  if (!device.ok()) return Fail(Annotate(device.status(), "--backend " + backend));
  ho.firmware_version = StrFormat("systole-serve %s (%s)", SYSTOLE_VERSION_STRING, backend.c_str());
  driver::DeviceHost host(std::move(device).value(), ho);
  StatusOr<std::unique_ptr<driver::Server>> server = driver::Server::Listen(&host, so);
  if (!server.ok()) return Fail(server.status());

  // Replies go to sockets with MSG_NOSIGNAL; ignore SIGPIPE anyway (stdout).
  signal(SIGPIPE, SIG_IGN);
  g_stop_fd = (*server)->stop_write_fd();
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  std::fprintf(stderr, "systole serve: %s, %s, max %d clients%s\n", host.Describe().c_str(), hw->ToString().c_str(),
               so.max_clients, ho.allow_faults ? ", fault injection allowed" : "");
  std::printf("listening on %s\n", (*server)->address().c_str());
  std::fflush(stdout);
  Status s = (*server)->Serve();
  g_stop_fd = -1;
  server->reset();
  if (!s.ok()) return Fail(s);
  std::fprintf(stderr, "systole serve: stopped\n");
  return 0;
}

}  // namespace cli
}  // namespace systole
