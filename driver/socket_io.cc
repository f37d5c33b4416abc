#include "driver/socket_io.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace systole::driver {

std::string SocketAddress::ToString() const {
  if (kind == Kind::kUnix) return "unix:" + path;
  if (host.find(':') != std::string::npos) return StrFormat("tcp:[%s]:%u", host.c_str(), port);
  return StrFormat("tcp:%s:%u", host.c_str(), port);
}

StatusOr<SocketAddress> ParseSocketAddress(const std::string& s) {
  SocketAddress a;
  if (s.rfind("unix:", 0) == 0) {
    a.kind = SocketAddress::Kind::kUnix;
    a.path = s.substr(5);
    if (a.path.empty()) return InvalidArgument("address '%s': empty Unix socket path", s.c_str());
    if (a.path.size() >= sizeof(sockaddr_un{}.sun_path))
      return InvalidArgument("address '%s': Unix socket path of %zu bytes exceeds the limit of %zu", s.c_str(),
                             a.path.size(), sizeof(sockaddr_un{}.sun_path) - 1);
    return a;
  }
  if (s.rfind("tcp:", 0) == 0) {
    a.kind = SocketAddress::Kind::kTcp;
    std::string rest = s.substr(4);
    std::string port;
    if (!rest.empty() && rest[0] == '[') {
      const size_t close = rest.find(']');
      if (close == std::string::npos || close + 1 >= rest.size() || rest[close + 1] != ':')
        return InvalidArgument("address '%s': expected tcp:[IPV6]:PORT", s.c_str());
      a.host = rest.substr(1, close - 1);
      port = rest.substr(close + 2);
    } else {
      const size_t colon = rest.rfind(':');
      if (colon == std::string::npos) return InvalidArgument("address '%s': expected tcp:HOST:PORT", s.c_str());
      a.host = rest.substr(0, colon);
      port = rest.substr(colon + 1);
    }
    if (a.host.empty()) return InvalidArgument("address '%s': empty host", s.c_str());
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoul(port) > 65535)
      return InvalidArgument("address '%s': port '%s' is not an integer in [0, 65535]", s.c_str(), port.c_str());
    a.port = static_cast<uint16_t>(std::stoul(port));
    return a;
  }
  return InvalidArgument("address '%s': expected unix:PATH or tcp:HOST:PORT", s.c_str());
}

namespace {
int PollTimeout(Deadline deadline) {
  if (deadline == Deadline::max()) return -1;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return 0;
  return static_cast<int>(std::min<long long>(left + 1, 1 << 30));
}
}  // namespace

Status WaitFd(int fd, short events, Deadline deadline, int cancel_fd) {
  for (;;) {
    pollfd p[2] = {{fd, events, 0}, {cancel_fd, POLLIN, 0}};
    const int n = poll(p, cancel_fd >= 0 ? 2 : 1, PollTimeout(deadline));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Unavailable("poll: %s", std::strerror(errno));
    }
    if (cancel_fd >= 0 && (p[1].revents & POLLIN)) return Cancelled("cancelled");
    if (p[0].revents & events) return Status::Ok();
    if (p[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
      if (p[0].revents & POLLNVAL) return Unavailable("connection closed");
      return Status::Ok();  // let the read/write report what happened (data may still be there)
    }
    if (n == 0 && Clock::now() >= deadline) return DeadlineExceeded("timed out");
  }
}

Status SendAll(int fd, const uint8_t* data, size_t size, Deadline deadline, int cancel_fd) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = send(fd, data + done, size - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      Status s = WaitFd(fd, POLLOUT, deadline, cancel_fd);
      if (!s.ok()) return Annotate(s, StrFormat("sending (%zu of %zu bytes sent)", done, size));
      continue;
    }
    return Unavailable("send: %s (%zu of %zu bytes sent)", n < 0 ? std::strerror(errno) : "no progress", done, size);
  }
  return Status::Ok();
}

Status RecvExact(int fd, uint8_t* data, size_t size, Deadline deadline, int cancel_fd, size_t* got) {
  size_t done = 0;
  Status result;
  while (done < size) {
    const ssize_t n = recv(fd, data + done, size - done, MSG_DONTWAIT);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n == 0) {
      result = Unavailable("connection closed by the peer (%zu of %zu bytes received)", done, size);
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      Status s = WaitFd(fd, POLLIN, deadline, cancel_fd);
      if (!s.ok()) {
        result = Annotate(s, StrFormat("receiving (%zu of %zu bytes received)", done, size));
        break;
      }
      continue;
    }
    result = Unavailable("recv: %s (%zu of %zu bytes received)", std::strerror(errno), done, size);
    break;
  }
  if (got) *got = done;
  return result;
}

StatusOr<int> ConnectSocket(const SocketAddress& a, Deadline deadline, int cancel_fd) {
  auto finish_connect = [&](int fd) -> Status {
    Status s = WaitFd(fd, POLLOUT, deadline, cancel_fd);
    if (!s.ok()) return s;
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) return Unavailable("connect: %s", std::strerror(err));
    return Status::Ok();
  };
  if (a.kind == SocketAddress::Kind::kUnix) {
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return Unavailable("socket: %s", std::strerror(errno));
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, a.path.c_str(), a.path.size() + 1);
    Status s;
    if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
      if (errno == EINPROGRESS || errno == EAGAIN) s = finish_connect(fd);
      else s = Unavailable("connect: %s", std::strerror(errno));
    }
    if (!s.ok()) {
      close(fd);
      return Annotate(s, a.ToString());
    }
    return fd;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(a.port);
  const int gai = getaddrinfo(a.host.c_str(), port.c_str(), &hints, &res);
  if (gai != 0) return Unavailable("%s: cannot resolve host '%s': %s", a.ToString().c_str(), a.host.c_str(), gai_strerror(gai));
  Status last = Unavailable("%s: no address", a.ToString().c_str());
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    const int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) {
      last = Unavailable("socket: %s", std::strerror(errno));
      continue;
    }
    Status s;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      if (errno == EINPROGRESS) s = finish_connect(fd);
      else s = Unavailable("connect: %s", std::strerror(errno));
    }
    if (s.ok()) {
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      freeaddrinfo(res);
      return fd;
    }
    close(fd);
    last = Annotate(s, a.ToString());
    if (s.code() == StatusCode::kCancelled || s.code() == StatusCode::kDeadlineExceeded) break;
  }
  freeaddrinfo(res);
  return last;
}

}  // namespace systole::driver
