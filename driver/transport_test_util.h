// The registry of the parameterised transport suite (driver/transport_test.cc):
// each transport adds its parameter values from its own file, linked into
// transport_test, with a static RegisterTransport:
//
//   static RegisterTransport usb_param({"usb_emulated", [](const std::string& config) {
//     return StatusOr<std::unique_ptr<TransportEnv>>(std::make_unique<MyUsbEnv>(config));
//   }});
//
// and adds that file to the sources of transport_test and transport_bench
// (driver/CMakeLists.txt, bench/CMakeLists.txt). A TransportEnv is made for
// each test (and each benchmark) and destroyed at its end: it starts
// whatever the transport needs (a `systole serve` subprocess, an emulated
// device) for the device configuration named `config` (a --config name:
// "tiny" in the tests, "edge" in the benchmark) and tears it down. The
// suite runs every case on every registered parameter; the fault cases run
// on every parameter but "sim" (no link to fail).
//
// This file's own parameters (transport_test_util.cc): "sim" (in-process),
// "remote_unix", "remote_tcp" and, with the RTL core, "remote_unix_rtl".
#ifndef SYSTOLE_DRIVER_TRANSPORT_TEST_UTIL_H_
#define SYSTOLE_DRIVER_TRANSPORT_TEST_UTIL_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "arch/device_config.h"
#include "common/status.h"
#include "driver/protocol.h"
#include "driver/transport.h"

namespace systole::driver::testing {

class TransportEnv {
 public:
  virtual ~TransportEnv() = default;
  // Ends the device cleanly (a server: SIGTERM, exit status 0 expected);
  // an error says what was not clean. The destructor cleans up regardless.
  virtual Status Close() { return Status::Ok(); }
  // The Device string to open (Device::Open(device(), hw)).
  virtual std::string device() const = 0;
  // A second, independent connection to the same device (sessions, faults).
  virtual StatusOr<std::unique_ptr<Transport>> OpenTransport(const TransportOptions& o) = 0;
  // The device copies host regions through frames (FrameTransportStats
  // count its traffic); false for in-process and shared-memory transports.
  virtual bool counts_frames() const { return false; }
  // FAULT commands reach this device (frame transports with faults allowed).
  virtual bool supports_faults() const { return false; }
  // Kills the device abruptly (SIGKILL of a server); UNIMPLEMENTED otherwise.
  virtual Status KillDevice() { return Unimplemented("this transport's device cannot be killed"); }
  // Slow device (RTL core): the suite runs only the small models.
  virtual bool slow() const { return false; }
};

struct TransportParam {
  std::string name;  // gtest parameter name: letters, digits, '_'
  std::function<StatusOr<std::unique_ptr<TransportEnv>>(const std::string& config)> make;
};

// gtest prints a parameter by its name.
inline void PrintTo(const TransportParam& p, std::ostream* os) { *os << p.name; }

std::vector<TransportParam>& TransportRegistry();

struct RegisterTransport {
  explicit RegisterTransport(TransportParam p) { TransportRegistry().push_back(std::move(p)); }
};

// A `systole serve` subprocess (posix_spawn), stopped with SIGTERM at the
// end (its exit status must then be 0: a clean shutdown). `args` follow
// "serve"; the server's "listening on ADDRESS" line gives address().
class ServerProcess {
 public:
  static StatusOr<std::unique_ptr<ServerProcess>> Start(const std::vector<std::string>& args);
  ~ServerProcess();
  const std::string& address() const { return address_; }
  pid_t pid() const { return pid_; }
  // SIGKILL now (the destructor then only reaps it).
  void Kill();
  // SIGTERM, then waits up to timeout_ms for the exit; its wait status, or
  // -1 if it had to be killed.
  int Stop(int timeout_ms);

 private:
  pid_t pid_ = -1;
  std::string address_;
  bool killed_ = false;
  bool reaped_ = false;
  int status_ = 0;
};

// The `systole` binary (SYSTOLE_BINARY) and a per-process temp directory
// (removed at exit), and a fresh Unix socket path in it.
std::string SystoleBinary();
std::string TempDir();
std::string NewSocketPath();

}  // namespace systole::driver::testing

#endif  // SYSTOLE_DRIVER_TRANSPORT_TEST_UTIL_H_
