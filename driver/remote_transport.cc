// The remote transport: the device protocol over a Unix or TCP socket to
// `systole serve` ("remote:unix:PATH", "remote:tcp:HOST:PORT"). The link
// only delimits frames; the protocol client is frame_transport.cc.
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "driver/frame_transport.h"
#include "driver/protocol.h"
#include "driver/socket_io.h"

namespace systole::driver {
namespace {

class SocketLink : public FrameLink {
 public:
  SocketLink(SocketAddress address, int fd, int cancel_fd)
      : address_(std::move(address)), fd_(fd), cancel_fd_(cancel_fd) {}
  ~SocketLink() override {
    if (fd_ >= 0) close(fd_);
    close(cancel_fd_);
  }

  std::string Describe() const override { return address_.ToString(); }

  Status Send(const std::vector<uint8_t>& frame, Deadline deadline) override {
    if (fd_ < 0) return Unavailable("not connected");
    return SendAll(fd_, frame.data(), frame.size(), deadline, cancel_fd_);
  }

  StatusOr<std::vector<uint8_t>> Receive(Deadline deadline) override {
    if (fd_ < 0) return Unavailable("not connected");
    std::vector<uint8_t> f(protocol::kHeaderBytes);
    size_t got = 0;
    Status s = RecvExact(fd_, f.data(), f.size(), deadline, cancel_fd_, &got);
    if (!s.ok()) return Annotate(s, "waiting for a reply");
    StatusOr<size_t> len = FrameLengthFromHeader(f.data(), f.size());
    if (!len.ok()) return len.status();
    f.resize(*len);
    s = RecvExact(fd_, f.data() + protocol::kHeaderBytes, *len - protocol::kHeaderBytes, deadline, cancel_fd_, &got);
    if (!s.ok()) {
      return Annotate(s, StrFormat("reply %s truncated after %zu of %zu payload bytes",
                                   DescribeOpcode(ParseHeader(f.data()).opcode).c_str(), got,
                                   *len - protocol::kHeaderBytes));
    }
    return f;
  }

  void Interrupt() override {
    const uint64_t one = 1;
    // Only an eventfd write: safe from any thread at any time.
    ssize_t r = write(cancel_fd_, &one, sizeof(one));
    (void)r;
  }

  Status Reconnect(Deadline deadline) override {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    uint64_t v;
    while (read(cancel_fd_, &v, sizeof(v)) > 0) {
    }  // forget interrupts aimed at the old connection
    ASSIGN_OR_RETURN(fd_, ConnectSocket(address_, deadline, cancel_fd_));
    return Status::Ok();
  }

 private:
  SocketAddress address_;
  int fd_;
  int cancel_fd_;  // eventfd, non-blocking: readable once Interrupt() was called
};

}  // namespace

StatusOr<std::unique_ptr<Transport>> OpenRemoteTransport(const std::string& address, const TransportOptions& options) {
  ASSIGN_OR_RETURN(SocketAddress a, ParseSocketAddress(address));
  const int cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (cancel_fd < 0) return Unavailable("eventfd: %s", std::strerror(errno));
  const Deadline d = Clock::now() + std::chrono::milliseconds(options.timeout_ms > 0 ? options.timeout_ms : 1);
  StatusOr<int> fd = ConnectSocket(a, d, cancel_fd);
  if (!fd.ok()) {
    close(cancel_fd);
    return Annotate(fd.status(), "remote device (is `systole serve` running there?)");
  }
  return MakeFrameTransport(std::make_unique<SocketLink>(a, *fd, cancel_fd), options, "remote");
}

}  // namespace systole::driver
