// PcieMappings for real hardware: VFIO (BAR0, IOMMU-mapped DMA window, MSI
// on an eventfd) and sysfs resource0 (BAR0 only), plus the scan of
// /sys/bus/pci/devices for Systole functions.
//
// UNTESTED ON HARDWARE: no Systole PCIe function exists to run these against.
// They follow the kernel UAPI in <linux/vfio.h> and
// Documentation/driver-api/vfio.rst (group -> container -> IOMMU type ->
// device fd; regions by VFIO_DEVICE_GET_REGION_INFO; VFIO_IOMMU_MAP_DMA;
// VFIO_DEVICE_SET_IRQS with an eventfd) and the sysfs PCI ABI
// (Documentation/ABI/testing/sysfs-bus-pci). The scan is exercised by tests
// against a fake sysfs tree.
#include <dirent.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

#include "driver/pcie_mapping.h"
#include "schema/pcie/pcie_regs_generated.h"

namespace systole::driver {
namespace {

// IOVA of the DMA window: above the first 4 GiB, clear of the low ranges some
// IOMMUs reserve (MSI doorbells at 0xfee00000 on x86).
constexpr uint64_t kVfioIova = uint64_t{1} << 32;

std::string Errno() { return std::strerror(errno); }

bool ReadHexFile(const std::string& path, uint32_t* v) {
  std::ifstream f(path);
  std::string s;
  if (!(f >> s)) return false;
  char* end = nullptr;
  const unsigned long x = std::strtoul(s.c_str(), &end, 16);
  if (end == s.c_str() || *end != '\0') return false;
  *v = static_cast<uint32_t>(x);
  return true;
}

// Common part of the hardware mappings: BAR0 and the interrupt wait.
class HwMapping : public PcieMapping {
 public:
  explicit HwMapping(std::string address) : address_(std::move(address)) {
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  }
  ~HwMapping() override {
    if (bar_ != nullptr) ::munmap(const_cast<uint32_t*>(bar_), bar_map_bytes_);
    if (irq_fd_ >= 0) ::close(irq_fd_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
  }
  std::string location() const override { return address_; }
  volatile uint32_t* bar0() override { return bar_; }
  size_t bar0_bytes() const override { return bar_map_bytes_; }

  void Doorbell(uint32_t offset, uint32_t value) override {
    // Descriptor and DMA-window stores must reach memory before the device
    // sees the doorbell (a store to uncached MMIO is not reordered before
    // earlier stores on x86; the fence covers weaker orderings).
    std::atomic_thread_fence(std::memory_order_seq_cst);
    bar_[offset / 4] = value;
  }
  void ClearBits(uint32_t offset, uint32_t bits) override { bar_[offset / 4] = bits; }

  Status WaitInterrupt(Deadline deadline) override {
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (irq_fd_ < 0) {
        // No interrupt (sysfs): poll the registers every 200 us.
        pollfd p{wake_fd_, POLLIN, 0};
        if (left <= 0) return DeadlineExceeded("pci:%s: no completion in time", address_.c_str());
        const int r = ::poll(&p, 1, 0);
        if (r > 0) return DrainWake();
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        return Status::Ok();
      }
      pollfd p[2] = {{irq_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      const int r = ::poll(p, 2, left <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left + 1, 60000)));
      if (r < 0) {
        if (errno == EINTR) continue;
        return Unavailable("pci:%s: poll: %s", address_.c_str(), Errno().c_str());
      }
      if (p[1].revents & POLLIN) return DrainWake();
      if (p[0].revents & POLLIN) {
        uint64_t v;
        while (::read(irq_fd_, &v, sizeof v) == sizeof v) {
        }
        return Status::Ok();
      }
      if (Clock::now() >= deadline) return DeadlineExceeded("pci:%s: no interrupt in time", address_.c_str());
    }
  }
  void Interrupt() override {
    const uint64_t one = 1;
    ssize_t n = ::write(wake_fd_, &one, sizeof one);
    (void)n;
  }

 protected:
  Status DrainWake() {
    uint64_t v;
    while (::read(wake_fd_, &v, sizeof v) == sizeof v) {
    }
    return Cancelled("pci:%s: wait for the device interrupted", address_.c_str());
  }

  std::string address_;
  volatile uint32_t* bar_ = nullptr;
  size_t bar_map_bytes_ = 0;
  int irq_fd_ = -1;
  int wake_fd_ = -1;
};

class SysfsMapping : public HwMapping {
 public:
  using HwMapping::HwMapping;
  const char* kind() const override { return "sysfs"; }
  uint8_t* dma_host() override { return nullptr; }
  uint64_t dma_device_base() const override { return 0; }
  uint64_t dma_bytes() const override { return 0; }

  Status Init(const std::string& root) {
    const std::string path = root + "/" + address_ + "/resource0";
    const int fd = ::open(path.c_str(), O_RDWR | O_SYNC | O_CLOEXEC);
    if (fd < 0) return Unavailable("%s: %s (reading BAR0 through sysfs needs root)", path.c_str(), Errno().c_str());
    struct stat st;
    if (::fstat(fd, &st) != 0 || static_cast<uint64_t>(st.st_size) < pcie::kBar0Bytes) {
      ::close(fd);
      return InvalidArgument("%s: BAR0 smaller than the register map (%u bytes)", path.c_str(), pcie::kBar0Bytes);
    }
    void* b = ::mmap(nullptr, pcie::kBar0Bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ::close(fd);  // the mapping stays valid
    if (b == MAP_FAILED) return Unavailable("%s: mmap: %s", path.c_str(), Errno().c_str());
    bar_ = static_cast<volatile uint32_t*>(b);
    bar_map_bytes_ = pcie::kBar0Bytes;
    return Status::Ok();
  }
};

class VfioMapping : public HwMapping {
 public:
  using HwMapping::HwMapping;
  ~VfioMapping() override {
    if (device_fd_ >= 0 && irq_fd_ >= 0) {
      vfio_irq_set off{};
      off.argsz = sizeof off;
      off.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
      off.index = VFIO_PCI_MSI_IRQ_INDEX;
      off.start = 0;
      off.count = 0;
      ::ioctl(device_fd_, VFIO_DEVICE_SET_IRQS, &off);
    }
    if (dma_mapped_) {
      vfio_iommu_type1_dma_unmap u{};
      u.argsz = sizeof u;
      u.iova = kVfioIova;
      u.size = dma_bytes_;
      ::ioctl(container_fd_, VFIO_IOMMU_UNMAP_DMA, &u);
    }
    if (dma_ != nullptr) ::munmap(dma_, dma_bytes_);
    if (bar_ != nullptr) {
      ::munmap(const_cast<uint32_t*>(bar_), bar_map_bytes_);
      bar_ = nullptr;
    }
    for (int fd : {device_fd_, group_fd_, container_fd_})
      if (fd >= 0) ::close(fd);
  }
  const char* kind() const override { return "vfio"; }
  uint8_t* dma_host() override { return dma_; }
  uint64_t dma_device_base() const override { return kVfioIova; }
  uint64_t dma_bytes() const override { return dma_bytes_; }

  Status Init(uint64_t dma_bytes) {
    const char* a = address_.c_str();
    // 1. The function's IOMMU group.
    const std::string link = "/sys/bus/pci/devices/" + address_ + "/iommu_group";
    char buf[256];
    const ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
    if (n <= 0) return Unavailable("%s: no IOMMU group (%s: %s); enable the IOMMU and bind to vfio-pci", a,
                                   link.c_str(), Errno().c_str());
    buf[n] = '\0';
    const char* slash = std::strrchr(buf, '/');
    const std::string group = slash != nullptr ? slash + 1 : buf;
    // 2. Container, API version and IOMMU type.
    container_fd_ = ::open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
    if (container_fd_ < 0) return Unavailable("%s: /dev/vfio/vfio: %s", a, Errno().c_str());
    if (::ioctl(container_fd_, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
      return Unimplemented("%s: unknown VFIO API version", a);
    if (::ioctl(container_fd_, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) != 1)
      return Unimplemented("%s: the kernel's VFIO has no type-1 v2 IOMMU", a);
    // 3. The group: viable only when every device in it is bound to vfio-pci.
    const std::string gpath = "/dev/vfio/" + group;
    group_fd_ = ::open(gpath.c_str(), O_RDWR | O_CLOEXEC);
    if (group_fd_ < 0) return Unavailable("%s: %s: %s (bind the function to vfio-pci; check permissions)", a,
                                          gpath.c_str(), Errno().c_str());
    vfio_group_status gs{};
    gs.argsz = sizeof gs;
    if (::ioctl(group_fd_, VFIO_GROUP_GET_STATUS, &gs) != 0) return Unavailable("%s: VFIO_GROUP_GET_STATUS: %s", a, Errno().c_str());
    if (!(gs.flags & VFIO_GROUP_FLAGS_VIABLE))
      return FailedPrecondition("%s: IOMMU group %s is not viable: bind every device in it to vfio-pci", a,
                                group.c_str());
    if (::ioctl(group_fd_, VFIO_GROUP_SET_CONTAINER, &container_fd_) != 0)
      return Unavailable("%s: VFIO_GROUP_SET_CONTAINER: %s", a, Errno().c_str());
    if (::ioctl(container_fd_, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) != 0)
      return Unavailable("%s: VFIO_SET_IOMMU: %s", a, Errno().c_str());
    // 4. The device and its BAR0.
    device_fd_ = ::ioctl(group_fd_, VFIO_GROUP_GET_DEVICE_FD, address_.c_str());
    if (device_fd_ < 0) return Unavailable("%s: VFIO_GROUP_GET_DEVICE_FD: %s", a, Errno().c_str());
    vfio_device_info di{};
    di.argsz = sizeof di;
    if (::ioctl(device_fd_, VFIO_DEVICE_GET_INFO, &di) != 0) return Unavailable("%s: VFIO_DEVICE_GET_INFO: %s", a, Errno().c_str());
    if (!(di.flags & VFIO_DEVICE_FLAGS_PCI) || di.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX)
      return InvalidArgument("%s: not a vfio-pci device", a);
    vfio_region_info ri{};
    ri.argsz = sizeof ri;
    ri.index = VFIO_PCI_BAR0_REGION_INDEX;
    if (::ioctl(device_fd_, VFIO_DEVICE_GET_REGION_INFO, &ri) != 0)
      return Unavailable("%s: VFIO_DEVICE_GET_REGION_INFO(BAR0): %s", a, Errno().c_str());
    if (!(ri.flags & VFIO_REGION_INFO_FLAG_MMAP) || ri.size < pcie::kBar0Bytes)
      return InvalidArgument("%s: BAR0 (%llu bytes) cannot be mapped or is smaller than the register map", a,
                             static_cast<unsigned long long>(ri.size));
    void* b = ::mmap(nullptr, pcie::kBar0Bytes, PROT_READ | PROT_WRITE, MAP_SHARED, device_fd_,
                     static_cast<off_t>(ri.offset));
    if (b == MAP_FAILED) return Unavailable("%s: mmap BAR0: %s", a, Errno().c_str());
    bar_ = static_cast<volatile uint32_t*>(b);
    bar_map_bytes_ = pcie::kBar0Bytes;
    // 5. Memory space and bus mastering on (PCI command register, config offset 4).
    vfio_region_info ci{};
    ci.argsz = sizeof ci;
    ci.index = VFIO_PCI_CONFIG_REGION_INDEX;
    if (::ioctl(device_fd_, VFIO_DEVICE_GET_REGION_INFO, &ci) != 0)
      return Unavailable("%s: VFIO_DEVICE_GET_REGION_INFO(config): %s", a, Errno().c_str());
    uint16_t cmd = 0;
    if (::pread(device_fd_, &cmd, 2, static_cast<off_t>(ci.offset + 4)) != 2)
      return Unavailable("%s: read PCI command register: %s", a, Errno().c_str());
    cmd |= 0x6;  // memory space | bus master
    if (::pwrite(device_fd_, &cmd, 2, static_cast<off_t>(ci.offset + 4)) != 2)
      return Unavailable("%s: write PCI command register: %s", a, Errno().c_str());
    // 6. The DMA window: pinned and mapped at kVfioIova by the IOMMU.
    dma_bytes_ = (dma_bytes + 0xFFFFF) & ~uint64_t{0xFFFFF};
    void* d = ::mmap(nullptr, dma_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (d == MAP_FAILED) return Unavailable("%s: DMA window (%" PRIu64 " bytes): %s", a, dma_bytes_, Errno().c_str());
    dma_ = static_cast<uint8_t*>(d);
    vfio_iommu_type1_dma_map dm{};
    dm.argsz = sizeof dm;
    dm.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    dm.vaddr = reinterpret_cast<uintptr_t>(dma_);
    dm.iova = kVfioIova;
    dm.size = dma_bytes_;
    if (::ioctl(container_fd_, VFIO_IOMMU_MAP_DMA, &dm) != 0)
      return Unavailable("%s: VFIO_IOMMU_MAP_DMA (%" PRIu64 " bytes at IOVA 0x%" PRIx64 "): %s (RLIMIT_MEMLOCK?)", a,
                         dma_bytes_, kVfioIova, Errno().c_str());
    dma_mapped_ = true;
    // 7. MSI vector 0 -> eventfd.
    vfio_irq_info ii{};
    ii.argsz = sizeof ii;
    ii.index = VFIO_PCI_MSI_IRQ_INDEX;
    if (::ioctl(device_fd_, VFIO_DEVICE_GET_IRQ_INFO, &ii) != 0 || ii.count < 1)
      return Unimplemented("%s: the function has no MSI interrupt", a);
    irq_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (irq_fd_ < 0) return Unavailable("%s: eventfd: %s", a, Errno().c_str());
    alignas(vfio_irq_set) uint8_t set_buf[sizeof(vfio_irq_set) + sizeof(int32_t)] = {};
    auto* set = reinterpret_cast<vfio_irq_set*>(set_buf);
    set->argsz = sizeof set_buf;
    set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
    set->index = VFIO_PCI_MSI_IRQ_INDEX;
    set->start = 0;
    set->count = 1;
    const int32_t efd = irq_fd_;
    std::memcpy(set_buf + sizeof(vfio_irq_set), &efd, sizeof efd);
    if (::ioctl(device_fd_, VFIO_DEVICE_SET_IRQS, set) != 0)
      return Unavailable("%s: VFIO_DEVICE_SET_IRQS (MSI): %s", a, Errno().c_str());
    return Status::Ok();
  }

 private:
  int container_fd_ = -1, group_fd_ = -1, device_fd_ = -1;
  uint8_t* dma_ = nullptr;
  uint64_t dma_bytes_ = 0;
  bool dma_mapped_ = false;
};

}  // namespace

StatusOr<std::unique_ptr<PcieMapping>> OpenVfioMapping(const std::string& pci_address, uint64_t dma_bytes) {
  auto m = std::make_unique<VfioMapping>(pci_address);
  RETURN_IF_ERROR(m->Init(dma_bytes));
  return std::unique_ptr<PcieMapping>(std::move(m));
}

StatusOr<std::unique_ptr<PcieMapping>> OpenSysfsMapping(const std::string& pci_address) {
  auto m = std::make_unique<SysfsMapping>(pci_address);
  RETURN_IF_ERROR(m->Init("/sys/bus/pci/devices"));
  return std::unique_ptr<PcieMapping>(std::move(m));
}

std::vector<std::string> ListSystolePciFunctions(const std::string& sysfs_root) {
  std::vector<std::string> out;
  DIR* dir = ::opendir(sysfs_root.c_str());
  if (dir == nullptr) return out;
  while (dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name.empty() || name[0] == '.') continue;
    uint32_t vendor = 0, device = 0;
    if (!ReadHexFile(sysfs_root + "/" + name + "/vendor", &vendor) ||
        !ReadHexFile(sysfs_root + "/" + name + "/device", &device))
      continue;
    if (vendor == pcie::kPciVendorId && device == pcie::kPciDeviceId) out.push_back(name);
  }
  ::closedir(dir);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace systole::driver
