#include "driver/server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "driver/protocol.h"
#include "driver/socket_io.h"

namespace systole::driver {

namespace p = protocol;

namespace {

constexpr int kSendTimeoutMs = 30000;   // a client that does not take its replies
constexpr int kFrameTimeoutMs = 60000;  // a client that stops in the middle of a frame

bool IsLoopbackHost(const std::string& h) { return h == "127.0.0.1" || h == "::1" || h == "localhost"; }

Status MakePipe(int fds[2]) {
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return Unavailable("pipe: %s", std::strerror(errno));
  return Status::Ok();
}

}  // namespace

StatusOr<std::unique_ptr<Server>> Server::Listen(DeviceHost* host, ServerOptions options) {
  if (host == nullptr) return InvalidArgument("server: no device");
  if (options.max_clients < 1) return InvalidArgument("server: max_clients %d must be at least 1", options.max_clients);
  std::unique_ptr<Server> s(new Server(host, std::move(options)));
  RETURN_IF_ERROR(MakePipe(s->stop_pipe_));
  RETURN_IF_ERROR(MakePipe(s->wake_pipe_));
  RETURN_IF_ERROR(s->Bind());
  return s;
}

Status Server::Bind() {
  ASSIGN_OR_RETURN(SocketAddress a, ParseSocketAddress(options_.listen));
  const std::string what = StrFormat("listen address '%s'", options_.listen.c_str());
  if (a.kind == SocketAddress::Kind::kTcp) {
    if (!IsLoopbackHost(a.host))
      return InvalidArgument("%s: host '%s' is not loopback; systole serve listens on 127.0.0.1, ::1 or localhost only",
                             what.c_str(), a.host.c_str());
    const bool v6 = a.host == "::1";
    const int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return Unavailable("%s: socket: %s", what.c_str(), std::strerror(errno));
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_storage ss{};
    socklen_t len;
    if (v6) {
      auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
      s6->sin6_family = AF_INET6;
      s6->sin6_addr = in6addr_loopback;
      s6->sin6_port = htons(a.port);
      len = sizeof(*s6);
    } else {
      auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
      s4->sin_family = AF_INET;
      s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      s4->sin_port = htons(a.port);
      len = sizeof(*s4);
    }
    if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(fd, 64) != 0) {
      const int e = errno;
      close(fd);
      return Unavailable("%s: cannot listen: %s", what.c_str(), std::strerror(e));
    }
    len = sizeof(ss);
    getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    const uint16_t port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                   : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    listen_fd_ = fd;
    address_ = v6 ? StrFormat("tcp:[::1]:%u", port) : StrFormat("tcp:127.0.0.1:%u", port);
    return Status::Ok();
  }

  struct stat st;
  if (lstat(a.path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      return FailedPrecondition("%s: refusing to replace '%s': it exists and is not a socket", what.c_str(),
                                a.path.c_str());
    StatusOr<int> probe = ConnectSocket(a, Clock::now() + std::chrono::milliseconds(500), -1);
    if (probe.ok()) {
      close(*probe);
      return FailedPrecondition("%s: another server is listening on '%s'", what.c_str(), a.path.c_str());
    }
    if (unlink(a.path.c_str()) != 0)
      return Unavailable("%s: cannot remove the stale socket '%s': %s", what.c_str(), a.path.c_str(),
                         std::strerror(errno));
  }
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Unavailable("%s: socket: %s", what.c_str(), std::strerror(errno));
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, a.path.c_str(), a.path.size() + 1);
  // Mode 0600 from the start: no moment at which another user could connect.
  const mode_t old = umask(0177);
  const int rc = bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
  const int e = errno;
  umask(old);
  if (rc != 0) {
    close(fd);
    return Unavailable("%s: cannot bind '%s': %s", what.c_str(), a.path.c_str(), std::strerror(e));
  }
  unix_path_ = a.path;
  if (chmod(a.path.c_str(), 0600) != 0 || listen(fd, 64) != 0) {
    const int e2 = errno;
    close(fd);
    return Unavailable("%s: cannot listen on '%s': %s", what.c_str(), a.path.c_str(), std::strerror(e2));
  }
  listen_fd_ = fd;
  address_ = a.ToString();
  return Status::Ok();
}

Server::~Server() {
  Stop();
  Reap(/*all=*/true);
  if (listen_fd_ >= 0) close(listen_fd_);
  if (!unix_path_.empty()) unlink(unix_path_.c_str());
  for (int fd : {stop_pipe_[0], stop_pipe_[1], wake_pipe_[0], wake_pipe_[1]})
    if (fd >= 0) close(fd);
}

void Server::Stop() {
  if (stop_pipe_[1] < 0) return;
  const char c = 's';
  ssize_t r = write(stop_pipe_[1], &c, 1);
  (void)r;
}

void Server::Reap(bool all) {
  std::list<std::unique_ptr<Client>> finished;
  {
    std::lock_guard<std::mutex> l(clients_mu_);
    for (auto it = clients_.begin(); it != clients_.end();) {
      if (all || (*it)->done.load()) {
        finished.push_back(std::move(*it));
        it = clients_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& c : finished)
    if (c->thread.joinable()) c->thread.join();
}

void Server::CloseClient(Client* c) {
  std::lock_guard<std::mutex> l(c->mu);
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
}

void Server::Disappear() {
  disappeared_ = true;
  if (listen_fd_ >= 0) close(listen_fd_);
  listen_fd_ = -1;
  std::lock_guard<std::mutex> l(clients_mu_);
  for (auto& c : clients_) {
    std::lock_guard<std::mutex> lc(c->mu);
    if (c->fd >= 0) shutdown(c->fd, SHUT_RDWR);
  }
}

Status Server::Serve() {
  for (;;) {
    pollfd pf[3] = {{stop_pipe_[0], POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
    const int n = poll(pf, listen_fd_ >= 0 ? 3 : 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Internal("server: poll: %s", std::strerror(errno));
    }
    if (pf[0].revents & POLLIN) break;
    if (pf[1].revents & POLLIN) {
      char buf[64];
      while (read(wake_pipe_[0], buf, sizeof(buf)) > 0) {
      }
      if (host_->vanish() == DeviceHost::Vanish::kDisappear && !disappeared_) Disappear();
      Reap(/*all=*/false);
      continue;
    }
    if (listen_fd_ >= 0 && (pf[2].revents & POLLIN)) {
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0) continue;  // EAGAIN, ECONNABORTED, EMFILE...: the next poll tells
      Reap(/*all=*/false);
      size_t active;
      {
        std::lock_guard<std::mutex> l(clients_mu_);
        active = clients_.size();
      }
      if (active >= static_cast<size_t>(options_.max_clients)) {
        const std::vector<uint8_t> f = EncodeError(
            0, 0, Unavailable("server busy: %zu clients connected (systole serve --max-clients %d)", active,
                              options_.max_clients));
        Status ignored = SendAll(fd, f.data(), f.size(), Clock::now() + std::chrono::milliseconds(200), -1);
        (void)ignored;
        close(fd);
        continue;
      }
      auto c = std::make_unique<Client>();
      c->fd = fd;
      Client* raw = c.get();
      {
        std::lock_guard<std::mutex> l(clients_mu_);
        clients_.push_back(std::move(c));
      }
      raw->thread = std::thread([this, raw] { ServeClient(raw); });
    }
  }
  host_->Shutdown();  // ends DELAY faults in progress
  Reap(/*all=*/true);
  return Status::Ok();
}

void Server::ServeClient(Client* c) {
  int fd;
  {
    std::lock_guard<std::mutex> l(c->mu);
    fd = c->fd;
  }
  const int stop = stop_pipe_[0];
  {
    DeviceSession session(host_);
    std::vector<uint8_t> frame;
    std::vector<OutFrame> out;
    for (;;) {
      frame.resize(p::kHeaderBytes);
      if (!RecvExact(fd, frame.data(), frame.size(), NoDeadline(), stop).ok()) break;
      StatusOr<size_t> len = FrameLengthFromHeader(frame.data(), frame.size());
      if (!len.ok()) {
        // Out of step: say why, then close.
        const FrameHeader h = ParseHeader(frame.data());
        const std::vector<uint8_t> e = EncodeError(h.sequence, h.opcode, len.status());
        Status ignored = SendAll(fd, e.data(), e.size(), Clock::now() + std::chrono::milliseconds(200), stop);
        (void)ignored;
        break;
      }
      frame.resize(*len);
      if (!RecvExact(fd, frame.data() + p::kHeaderBytes, *len - p::kHeaderBytes,
                     Clock::now() + std::chrono::milliseconds(kFrameTimeoutMs), stop)
               .ok())
        break;
      out.clear();
      Status hs;
      const FrameHeader h = ParseHeader(frame.data());
      if (h.opcode == static_cast<uint16_t>(p::Opcode::kPcieAttach) && options_.pcie_attach &&
          h.version == p::kVersion && DecodeFrame(frame).ok()) {
        Status a = options_.pcie_attach(fd, *host_);
        out.push_back(OutFrame{a.ok() ? EncodeFrame(static_cast<uint16_t>(p::Opcode::kPcieAttachReply), h.sequence,
                                                    nullptr, 0)
                                      : EncodeError(h.sequence, h.opcode, a),
                               false});
      } else {
        hs = session.Handle(frame, &out);
      }
      const DeviceHost::Vanish v = host_->vanish();
      if (v == DeviceHost::Vanish::kExit) std::_Exit(75);  // FAULT EXIT: as if the process were killed
      bool ok = true;
      for (const OutFrame& o : out) {
        if (!SendAll(fd, o.bytes.data(), o.bytes.size(), Clock::now() + std::chrono::milliseconds(kSendTimeoutMs),
                     stop)
                 .ok()) {
          ok = false;
          break;
        }
      }
      if (!ok || !hs.ok()) break;
      if (v == DeviceHost::Vanish::kDisappear) {
        const char w = 'd';
        ssize_t r = write(wake_pipe_[1], &w, 1);
        (void)r;
        break;
      }
    }
  }  // the session ends (its device state is dropped) before the connection is closed
  CloseClient(c);
  c->done = true;
  const char w = 'r';  // let the accept loop reap this thread
  ssize_t r = write(wake_pipe_[1], &w, 1);
  (void)r;
}

}  // namespace systole::driver
