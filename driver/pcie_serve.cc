// PCIe emulation over `systole serve`: fd passing (see pcie_serve.h).
#include "driver/pcie_serve.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstring>

namespace systole::driver {
namespace {

constexpr size_t kFdPayload = 24;
constexpr int kNumFds = 4;

}  // namespace

Status SendPcieFds(int sock, const PcieShmFds& fds) {
  uint8_t payload[kFdPayload];
  const uint64_t bytes = fds.dma_bytes, base = fds.dma_device_base;
  std::memcpy(payload, &kPcieFdMagic, 4);
  std::memcpy(payload + 4, &kPcieFdVersion, 4);
  std::memcpy(payload + 8, &bytes, 8);
  std::memcpy(payload + 16, &base, 8);
  const int list[kNumFds] = {fds.bar_fd, fds.dma_fd, fds.doorbell_fd, fds.irq_fd};
  for (int fd : list)
    if (fd < 0) return InvalidArgument("PCIe attach: a file descriptor to send is missing");
  iovec iov{payload, sizeof payload};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof list)] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof list);
  std::memcpy(CMSG_DATA(c), list, sizeof list);
  for (;;) {
    const ssize_t n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
    if (n == static_cast<ssize_t>(sizeof payload)) return Status::Ok();
    if (n < 0 && errno == EINTR) continue;
    return Unavailable("PCIe attach: sendmsg: %s", n < 0 ? std::strerror(errno) : "short write");
  }
}

StatusOr<PcieShmFds> ReceivePcieFds(int sock, Deadline deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return DeadlineExceeded("PCIe attach: no file descriptors from the server in time");
    pollfd p{sock, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 60000)));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Unavailable("PCIe attach: poll: %s", std::strerror(errno));
    if (r > 0) break;
  }
  uint8_t payload[kFdPayload + 1];
  iovec iov{payload, sizeof payload};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * (kNumFds + 4))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  // Collect every fd that arrived, whatever else is wrong, so none leaks.
  std::vector<int> got;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < k; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      got.push_back(fd);
    }
  }
  auto fail = [&](Status s) -> StatusOr<PcieShmFds> {
    for (int fd : got) ::close(fd);
    return s;
  };
  if (n < 0) return fail(Unavailable("PCIe attach: recvmsg: %s", std::strerror(errno)));
  if (n == 0) return fail(Unavailable("PCIe attach: the server closed the connection"));
  if (msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC))
    return fail(DataLoss("PCIe attach: fd message truncated (too many descriptors or bytes)"));
  if (n != static_cast<ssize_t>(kFdPayload))
    return fail(DataLoss("PCIe attach: fd message of %zd bytes, expected %zu", n, kFdPayload));
  uint32_t magic, version;
  PcieShmFds f;
  std::memcpy(&magic, payload, 4);
  std::memcpy(&version, payload + 4, 4);
  std::memcpy(&f.dma_bytes, payload + 8, 8);
  std::memcpy(&f.dma_device_base, payload + 16, 8);
  if (magic != kPcieFdMagic) return fail(DataLoss("PCIe attach: fd message magic 0x%08x", magic));
  if (version != kPcieFdVersion)
    return fail(Unimplemented("PCIe attach: fd message version %u, this driver knows %u", version, kPcieFdVersion));
  if (got.size() != kNumFds)
    return fail(DataLoss("PCIe attach: %zu file descriptors received, expected %d", got.size(), kNumFds));
  f.bar_fd = got[0];
  f.dma_fd = got[1];
  f.doorbell_fd = got[2];
  f.irq_fd = got[3];
  return f;
}

StatusOr<std::unique_ptr<PcieMapping>> AttachShmMapping(const std::string& socket_path,
                                                        const TransportOptions& options) {
  return Unimplemented("pci:unix:%s: attaching to `systole serve` needs its protocol (PCIE_ATTACH), not in this build",
                       socket_path.c_str());
}

}  // namespace systole::driver
