// Internal to driver/: socket plumbing shared by the remote transport
// (client, remote_transport.cc) and `systole serve` (server.cc): address
// parsing and whole-buffer I/O with deadlines and a cancel descriptor.
// Every wait is a poll() on the socket and the cancel descriptor, so a
// blocked call returns CANCELLED as soon as the descriptor becomes readable.
// EINTR is retried; SIGPIPE is never raised (MSG_NOSIGNAL).
#ifndef SYSTOLE_DRIVER_SOCKET_IO_H_
#define SYSTOLE_DRIVER_SOCKET_IO_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/status.h"
#include "driver/frame_link.h"

namespace systole::driver {

struct SocketAddress {
  enum class Kind { kUnix, kTcp } kind = Kind::kUnix;
  std::string path;  // kUnix
  std::string host;  // kTcp: as given ("127.0.0.1", "::1", "localhost", a name)
  uint16_t port = 0; // kTcp
  std::string ToString() const;  // "unix:PATH", "tcp:HOST:PORT" ("tcp:[::1]:PORT")
};

// "unix:PATH" or "tcp:HOST:PORT" (HOST may be "[v6]"). INVALID_ARGUMENT
// naming the rule otherwise.
StatusOr<SocketAddress> ParseSocketAddress(const std::string& s);

// A deadline that never expires.
inline Deadline NoDeadline() { return Deadline::max(); }

// Waits for `events` on fd; DEADLINE_EXCEEDED, CANCELLED (cancel_fd readable;
// -1 = none) or UNAVAILABLE (error/hang-up without data).
Status WaitFd(int fd, short events, Deadline deadline, int cancel_fd);
// Sends all of data; UNAVAILABLE when the peer is gone.
Status SendAll(int fd, const uint8_t* data, size_t size, Deadline deadline, int cancel_fd);
// Receives exactly size bytes; UNAVAILABLE when the peer closed first
// (`*got` says how many arrived, when non-null).
Status RecvExact(int fd, uint8_t* data, size_t size, Deadline deadline, int cancel_fd, size_t* got = nullptr);

// Connects a non-blocking, close-on-exec stream socket (TCP_NODELAY).
StatusOr<int> ConnectSocket(const SocketAddress& a, Deadline deadline, int cancel_fd);

}  // namespace systole::driver

#endif  // SYSTOLE_DRIVER_SOCKET_IO_H_
