// `systole serve`: the device protocol (docs/protocol.md) over a Unix or TCP
// socket, one DeviceSession per connection, all on one DeviceHost.
//
// Loopback only: a TCP address must be 127.0.0.1, ::1 or localhost. A Unix
// socket is created with mode 0600; an existing path is replaced only when
// it is a stale socket (nobody listening), never when it is anything else.
// One thread per client, at most ServerOptions::max_clients at once (further
// connections get an ERROR frame, sequence 0, and are closed). Every wait is
// a poll() that also watches the stop pipe, so Stop() (async-signal-safe)
// ends Serve() promptly: it joins every client thread before it returns.
#ifndef SYSTOLE_DRIVER_SERVER_H_
#define SYSTOLE_DRIVER_SERVER_H_

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"
#include "driver/device_session.h"

namespace systole::driver {

struct ServerOptions {
  std::string listen;   // "unix:PATH" or "tcp:HOST:PORT" (PORT 0: any free port)
  int max_clients = 8;
  // PCIE_ATTACH (docs/protocol.md): called on the client's thread with the
  // client's socket after a valid PCIE_ATTACH request. It may use the
  // connection as it needs (e.g. pass file descriptors with SCM_RIGHTS)
  // before it returns; then the server replies PCIE_ATTACH_REPLY (OK) or
  // ERROR (the hook's status) and goes on serving frames. Absent: ERROR
  // UNIMPLEMENTED "PCIe emulation not enabled".
  std::function<Status(int client_fd, DeviceHost& host)> pcie_attach;
};

class Server {
 public:
  // Binds and listens (errors name the address and the rule).
  static StatusOr<std::unique_ptr<Server>> Listen(DeviceHost* host, ServerOptions options);
  ~Server();  // Stop() + join; removes the Unix socket it created

  // The address clients connect to, with the actual port ("tcp:127.0.0.1:40123").
  const std::string& address() const { return address_; }

  // Serves until Stop() (or a FAULT EXIT, which ends the process). Returns
  // after every client thread has ended.
  Status Serve();
  // Thread-safe and async-signal-safe (one write() to a pipe).
  void Stop();
  // The descriptor Stop() writes to, for a signal handler.
  int stop_write_fd() const { return stop_pipe_[1]; }

 private:
  struct Client {
    std::thread thread;
    std::mutex mu;
    int fd = -1;                 // -1 once the client thread closed it
    std::atomic<bool> done{false};
  };
  Server(DeviceHost* host, ServerOptions options) : host_(host), options_(std::move(options)) {}
  Status Bind();
  void ServeClient(Client* c);
  void CloseClient(Client* c);
  void Disappear();
  void Reap(bool all);

  DeviceHost* host_;
  ServerOptions options_;
  std::string address_;
  std::string unix_path_;  // to remove at the end
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  int wake_pipe_[2] = {-1, -1};  // a client thread asks the accept loop to act (FAULT DISAPPEAR)
  std::mutex clients_mu_;
  std::list<std::unique_ptr<Client>> clients_;
  std::atomic<bool> disappeared_{false};
};

}  // namespace systole::driver

#endif  // SYSTOLE_DRIVER_SERVER_H_
