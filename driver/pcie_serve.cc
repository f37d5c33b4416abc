// PCIe emulation over `systole serve`: fd passing (see pcie_serve.h).
#include "driver/pcie_serve.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fcntl.h>

#include <cerrno>
#include <cinttypes>
#include <cstring>
#include <list>
#include <mutex>
#include <thread>

#include "driver/pcie_device_model.h"
#include "driver/protocol.h"
#include "driver/socket_io.h"

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

namespace {

// Reads one whole protocol frame.
StatusOr<std::vector<uint8_t>> ReadFrame(int fd, Deadline deadline) {
  std::vector<uint8_t> f(protocol::kHeaderBytes);
  RETURN_IF_ERROR(RecvExact(fd, f.data(), f.size(), deadline, -1));
  ASSIGN_OR_RETURN(size_t n, FrameLengthFromHeader(f.data(), f.size()));
  f.resize(n);
  if (n > protocol::kHeaderBytes)
    RETURN_IF_ERROR(RecvExact(fd, f.data() + protocol::kHeaderBytes, n - protocol::kHeaderBytes, deadline, -1));
  RETURN_IF_ERROR(DecodeFrame(f).status());
  return f;
}

// The status an ERROR frame carries, or DATA_LOSS when it is not one.
Status ErrorOf(const std::vector<uint8_t>& frame) {
  ASSIGN_OR_RETURN(Frame f, DecodeFrame(frame));
  if (f.header.opcode != static_cast<uint16_t>(protocol::Opcode::kError))
    return DataLoss("unexpected %s frame", DescribeOpcode(f.header.opcode).c_str());
  protocol::ErrorReply e;
  Status p = e.Parse(f.payload, f.payload_size);
  if (!p.ok()) return DataLoss("malformed ERROR frame: %s", p.message().c_str());
  return ErrorReplyToStatus(e);
}

struct Attachment {
  std::unique_ptr<DeviceSession> session;
  std::unique_ptr<PcieDeviceModel> model;
  ~Attachment() {
    model.reset();  // joins the model's thread before its session ends
    session.reset();
  }
};

struct AttachState {
  PcieServeOptions options;
  std::mutex mu;
  std::list<std::unique_ptr<Attachment>> live;
};

}  // namespace

StatusOr<std::unique_ptr<PcieMapping>> AttachShmMapping(const std::string& socket_path,
                                                        const TransportOptions& options) {
  const std::string where = "unix:" + socket_path;
  ASSIGN_OR_RETURN(SocketAddress addr, ParseSocketAddress(where));
  const Deadline deadline = Clock::now() + std::chrono::milliseconds(options.timeout_ms);
  ASSIGN_OR_RETURN(int fd, ConnectSocket(addr, deadline, -1));
  auto fail = [&](const Status& s) -> StatusOr<std::unique_ptr<PcieMapping>> {
    ::close(fd);
    return Annotate(s, StrFormat("pci:%s: PCIE_ATTACH", where.c_str()));
  };
  const uint32_t seq = 1;
  const std::vector<uint8_t> req = EncodeFrame(static_cast<uint16_t>(protocol::Opcode::kPcieAttach), seq, nullptr, 0);
  Status s = SendAll(fd, req.data(), req.size(), deadline, -1);
  if (!s.ok()) return fail(s);
  // Either the fd message (then the reply frame) or an ERROR frame.
  uint32_t first = 0;
  for (;;) {
    s = WaitFd(fd, POLLIN, deadline, -1);
    if (!s.ok()) return fail(s);
    const ssize_t n = ::recv(fd, &first, sizeof first, MSG_PEEK | MSG_DONTWAIT);
    if (n == static_cast<ssize_t>(sizeof first)) break;
    if (n == 0) return fail(Unavailable("the server closed the connection"));
    if (n < 0 && errno != EAGAIN && errno != EINTR) return fail(Unavailable("recv: %s", std::strerror(errno)));
    if (n > 0) std::this_thread::sleep_for(std::chrono::microseconds(100));  // rest of the word on its way
  }
  if (first != kPcieFdMagic) {
    StatusOr<std::vector<uint8_t>> f = ReadFrame(fd, deadline);
    if (!f.ok()) return fail(f.status());
    return fail(ErrorOf(*f));
  }
  StatusOr<PcieShmFds> fds = ReceivePcieFds(fd, deadline);
  if (!fds.ok()) return fail(fds.status());
  auto close_fds = [](const PcieShmFds& x) {
    for (int f : {x.bar_fd, x.dma_fd, x.doorbell_fd, x.irq_fd}) ::close(f);
  };
  StatusOr<std::vector<uint8_t>> reply = ReadFrame(fd, deadline);
  if (!reply.ok()) {
    close_fds(*fds);
    return fail(reply.status());
  }
  const FrameHeader h = ParseHeader(reply->data());
  if (h.opcode != static_cast<uint16_t>(protocol::Opcode::kPcieAttachReply) || h.sequence != seq) {
    close_fds(*fds);
    Status e = ErrorOf(*reply);
    return fail(h.opcode == static_cast<uint16_t>(protocol::Opcode::kError)
                    ? e
                    : DataLoss("reply %s, sequence %u; expected PCIE_ATTACH_REPLY, sequence %u",
                               DescribeOpcode(h.opcode).c_str(), h.sequence, seq));
  }
  PcieShmFds f = *fds;
  f.peer_fd = fd;  // its hang-up tells the mapping the server is gone
  return MakeShmMapping(f, where);
}

std::function<Status(int, DeviceHost&)> MakePcieAttachHook(const PcieServeOptions& options) {
  auto state = std::make_shared<AttachState>();
  state->options = options;
  return [state](int client_fd, DeviceHost& host) -> Status {
    std::lock_guard<std::mutex> lock(state->mu);
    state->live.remove_if([](const std::unique_ptr<Attachment>& a) { return a->model->finished(); });
    if (static_cast<int>(state->live.size()) >= state->options.max_attachments)
      return Unavailable("PCIe emulation: %d functions attached already (the limit)", state->options.max_attachments);
    const int watch = ::fcntl(client_fd, F_DUPFD_CLOEXEC, 0);
    if (watch < 0) return Unavailable("PCIe emulation: dup: %s", std::strerror(errno));
    auto a = std::make_unique<Attachment>();
    a->session = std::make_unique<DeviceSession>(&host);
    PcieDeviceModelOptions mo;
    mo.dma_bytes = state->options.dma_bytes;
    mo.fw_kind = state->options.fw_kind;
    mo.allow_faults = host.options().allow_faults;
    mo.watch_fd = watch;
    const uint64_t id = a->session->id();
    DeviceHost* h = &host;
    ASSIGN_OR_RETURN(a->model, PcieDeviceModel::Create(
                                  host.config(),
                                  [h, id](const std::function<Status(Transport&)>& fn) { return h->WithDevice(id, fn); },
                                  mo));
    ASSIGN_OR_RETURN(PcieShmFds fds, a->model->ExportFds());
    Status s = SendPcieFds(client_fd, fds);
    for (int f : {fds.bar_fd, fds.dma_fd, fds.doorbell_fd, fds.irq_fd}) ::close(f);
    RETURN_IF_ERROR(s);
    state->live.push_back(std::move(a));
    return Status::Ok();
  };
}

}  // namespace systole::driver
