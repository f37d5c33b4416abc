// The shared-memory PcieMapping: an emulated function exported by
// `systole serve --pcie` (or built in-process by tests). BAR0 and the DMA
// window are memfds mapped MAP_SHARED; the doorbell and the interrupt are
// eventfds; an optional peer socket tells when the exporter is gone.
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cstring>

#include "driver/pcie_mapping.h"
#include "schema/pcie/pcie_regs_generated.h"

namespace systole::driver {
namespace {

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

class ShmMapping : public PcieMapping {
 public:
  ShmMapping(PcieShmFds fds, std::string location) : fds_(fds), location_(std::move(location)) {}
  ~ShmMapping() override {
    if (bar_ != nullptr) ::munmap(const_cast<uint32_t*>(bar_), bar_bytes_);
    if (dma_ != nullptr) ::munmap(dma_, fds_.dma_bytes);
    CloseFd(fds_.bar_fd);
    CloseFd(fds_.dma_fd);
    CloseFd(fds_.doorbell_fd);
    CloseFd(fds_.irq_fd);
    CloseFd(fds_.peer_fd);
    CloseFd(wake_fd_);
  }

  Status Init() {
    struct Need {
      int fd;
      const char* what;
      uint64_t bytes;
    };
    for (const Need& n : {Need{fds_.bar_fd, "BAR0", pcie::kBar0Bytes}, Need{fds_.dma_fd, "DMA window", fds_.dma_bytes}}) {
      struct stat st;
      if (n.fd < 0 || ::fstat(n.fd, &st) != 0 || !S_ISREG(st.st_mode))
        return InvalidArgument("%s: %s: not a shared-memory file descriptor", location_.c_str(), n.what);
      if (n.bytes == 0 || static_cast<uint64_t>(st.st_size) < n.bytes)
        return InvalidArgument("%s: %s memory is %" PRId64 " bytes, %" PRIu64 " needed", location_.c_str(), n.what,
                               static_cast<int64_t>(st.st_size), n.bytes);
      // The exporter must not be able to shrink the memory under our
      // mapping (a later access would raise SIGBUS in this process).
      const int seals = ::fcntl(n.fd, F_GET_SEALS);
      if (seals < 0 || !(seals & F_SEAL_SHRINK))
        return InvalidArgument("%s: %s memory is not sealed against shrinking (F_SEAL_SHRINK)", location_.c_str(),
                               n.what);
    }
    for (int fd : {fds_.doorbell_fd, fds_.irq_fd})
      if (fd < 0) return InvalidArgument("%s: missing doorbell or interrupt eventfd", location_.c_str());
    if (fds_.dma_device_base + fds_.dma_bytes < fds_.dma_device_base)
      return InvalidArgument("%s: DMA window wraps the address space", location_.c_str());
    // Non-blocking: a stray readiness must never block us.
    for (int fd : {fds_.doorbell_fd, fds_.irq_fd}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    bar_bytes_ = pcie::kBar0Bytes;
    void* b = ::mmap(nullptr, bar_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED, fds_.bar_fd, 0);
    if (b == MAP_FAILED) return Unavailable("%s: mmap BAR0: %s", location_.c_str(), std::strerror(errno));
    bar_ = static_cast<volatile uint32_t*>(b);
    void* d = ::mmap(nullptr, fds_.dma_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fds_.dma_fd, 0);
    if (d == MAP_FAILED) return Unavailable("%s: mmap DMA window: %s", location_.c_str(), std::strerror(errno));
    dma_ = static_cast<uint8_t*>(d);
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) return Unavailable("%s: eventfd: %s", location_.c_str(), std::strerror(errno));
    return Status::Ok();
  }

  const char* kind() const override { return "shm"; }
  std::string location() const override { return location_; }
  volatile uint32_t* bar0() override { return bar_; }
  size_t bar0_bytes() const override { return bar_bytes_; }
  uint8_t* dma_host() override { return dma_; }
  uint64_t dma_device_base() const override { return fds_.dma_device_base; }
  uint64_t dma_bytes() const override { return fds_.dma_bytes; }

  void Doorbell(uint32_t offset, uint32_t value) override {
    std::atomic_thread_fence(std::memory_order_release);
    __atomic_store_n(&bar_[offset / 4], value, __ATOMIC_RELEASE);
    const uint64_t one = 1;
    // EAGAIN (counter saturated) still leaves the eventfd readable.
    ssize_t n = ::write(fds_.doorbell_fd, &one, sizeof one);
    (void)n;
  }
  void ClearBits(uint32_t offset, uint32_t bits) override {
    __atomic_fetch_and(&bar_[offset / 4], ~bits, __ATOMIC_ACQ_REL);
  }

  Status WaitInterrupt(Deadline deadline) override {
    for (;;) {
      pollfd p[3] = {{fds_.irq_fd, POLLIN, 0}, {wake_fd_, POLLIN, 0}, {fds_.peer_fd, POLLIN, 0}};
      const int n = fds_.peer_fd >= 0 ? 3 : 2;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      int timeout = left <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left + 1, 60000));
      const int r = ::poll(p, n, timeout);
      if (r < 0) {
        if (errno == EINTR) continue;
        return Unavailable("%s: poll: %s", location_.c_str(), std::strerror(errno));
      }
      uint64_t v;
      if (p[1].revents & POLLIN) {
        while (::read(wake_fd_, &v, sizeof v) == sizeof v) {
        }
        return Cancelled("%s: wait for the device interrupted", location_.c_str());
      }
      if (p[0].revents & POLLIN) {
        while (::read(fds_.irq_fd, &v, sizeof v) == sizeof v) {
        }
        std::atomic_thread_fence(std::memory_order_acquire);
        return Status::Ok();
      }
      if (n == 3 && p[2].revents) {
        char c;
        const ssize_t got = ::recv(fds_.peer_fd, &c, 1, MSG_DONTWAIT);
        if (got == 0 || (p[2].revents & (POLLHUP | POLLERR)) || (got < 0 && errno != EAGAIN && errno != EINTR)) {
          CloseFd(fds_.peer_fd);
          return Unavailable("%s: the device's server closed the connection", location_.c_str());
        }
        continue;  // a stray byte from the exporter: ignored
      }
      if (r == 0 && Clock::now() >= deadline)
        return DeadlineExceeded("%s: no interrupt from the device in time", location_.c_str());
    }
  }

  void Interrupt() override {
    const uint64_t one = 1;
    ssize_t n = ::write(wake_fd_, &one, sizeof one);
    (void)n;
  }

 private:
  PcieShmFds fds_;
  std::string location_;
  volatile uint32_t* bar_ = nullptr;
  size_t bar_bytes_ = 0;
  uint8_t* dma_ = nullptr;
  int wake_fd_ = -1;
};

}  // namespace

StatusOr<std::unique_ptr<PcieMapping>> MakeShmMapping(PcieShmFds fds, const std::string& location) {
  auto m = std::make_unique<ShmMapping>(fds, location);  // owns the fds from here on
  RETURN_IF_ERROR(m->Init());
  return std::unique_ptr<PcieMapping>(std::move(m));
}

}  // namespace systole::driver
