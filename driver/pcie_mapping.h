// Internal to driver/: the PCIe mapping seam. Everything the PCIe transport
// (pcie_transport.cc) needs from the platform: BAR0 as 32-bit registers, a
// DMA window (host pointer + the address the device uses for it), a way to
// draw the device's attention to a register write, and a way to wait for its
// interrupt. Three implementations, one driver above them:
//
//   VFIO    /dev/vfio/<group>: BAR0 mmap'ed through VFIO_DEVICE_GET_REGION_INFO,
//           the DMA window is anonymous memory mapped for the device with
//           VFIO_IOMMU_MAP_DMA at a fixed IOVA, MSI vector 0 delivered to an
//           eventfd (VFIO_DEVICE_SET_IRQS). (pcie_vfio.cc)
//   sysfs   /sys/bus/pci/devices/<addr>/resource0 mmap'ed. No IOMMU mapping,
//           so there is no DMA window: the transport can read the ID and
//           status registers (enumeration, `systole devices`) but refuses to
//           run anything. No interrupt either. (pcie_vfio.cc)
//   shm     a `systole serve` exporting its emulated device: BAR0 and the DMA
//           window are memfds, the doorbell and the interrupt are eventfds,
//           all received with SCM_RIGHTS over the server's Unix socket
//           (PCIE_ATTACH; pcie_serve.cc), or created in-process by tests.
//
// VFIO and sysfs are written against linux/vfio.h and the sysfs PCI ABI and
// have not been run against hardware (docs/pcie.md says so).
#ifndef SYSTOLE_DRIVER_PCIE_MAPPING_H_
#define SYSTOLE_DRIVER_PCIE_MAPPING_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "driver/frame_link.h"  // Clock, Deadline
#include "driver/transport.h"

namespace systole::driver {

class PcieMapping {
 public:
  virtual ~PcieMapping() = default;

  // "vfio", "sysfs" or "shm".
  virtual const char* kind() const = 0;
  // Where the function is, e.g. "0000:03:00.0", "unix:/tmp/s.sock".
  virtual std::string location() const = 0;

  // BAR0, bar0_bytes() long; aligned 32-bit accesses only.
  virtual volatile uint32_t* bar0() = 0;
  virtual size_t bar0_bytes() const = 0;

  // The DMA window: dma_bytes() bytes at dma_host() in this process, at
  // dma_device_base() for the device. dma_host() == nullptr: this mapping
  // cannot give the device DMA access (sysfs).
  virtual uint8_t* dma_host() = 0;
  virtual uint64_t dma_device_base() const = 0;
  virtual uint64_t dma_bytes() const = 0;

  // Writes a register the device must act on (RING_TAIL, CONTROL). Hardware:
  // the MMIO store is the doorbell (a release fence orders the descriptor
  // writes before it). Emulated: the store, then the doorbell eventfd.
  virtual void Doorbell(uint32_t offset, uint32_t value) = 0;
  // Clears bits of a write-1-to-clear register (IRQ_STATUS). Hardware: the
  // MMIO store of `bits`; emulated: an atomic and-not on the shared word.
  virtual void ClearBits(uint32_t offset, uint32_t bits) = 0;

  // Blocks until the device's interrupt fires (OK; the pending count is
  // consumed), the deadline passes (DEADLINE_EXCEEDED), Interrupt() is called
  // (CANCELLED) or the device's end is gone (UNAVAILABLE: the server's socket
  // closed). A mapping without interrupts (sysfs) sleeps a short poll
  // interval and returns OK, so callers always re-read the registers.
  virtual Status WaitInterrupt(Deadline deadline) = 0;
  // Thread-safe: wakes a blocked WaitInterrupt() with CANCELLED, once.
  virtual void Interrupt() = 0;
};

// The file descriptors of an emulated function (what PCIE_ATTACH passes).
// A mapping built from them takes ownership of every fd that is >= 0.
struct PcieShmFds {
  int bar_fd = -1;       // memfd, >= pcie::kBar0Bytes bytes
  int dma_fd = -1;       // memfd, dma_bytes bytes
  int doorbell_fd = -1;  // eventfd the host writes after a doorbell register
  int irq_fd = -1;       // eventfd the device writes to raise its interrupt
  int peer_fd = -1;      // optional: a socket whose hang-up means "device gone"
  uint64_t dma_bytes = 0;
  uint64_t dma_device_base = 0;
};

// Maps the fds (closing all of them on failure). location: for messages.
StatusOr<std::unique_ptr<PcieMapping>> MakeShmMapping(PcieShmFds fds, const std::string& location);

// Connects to a `systole serve --pcie` at a Unix socket path and attaches
// (PCIE_ATTACH, pcie_serve.cc).
StatusOr<std::unique_ptr<PcieMapping>> AttachShmMapping(const std::string& socket_path,
                                                        const TransportOptions& options);

// Real hardware (pcie_vfio.cc). pci_address "DDDD:BB:DD.F".
StatusOr<std::unique_ptr<PcieMapping>> OpenVfioMapping(const std::string& pci_address, uint64_t dma_bytes);
StatusOr<std::unique_ptr<PcieMapping>> OpenSysfsMapping(const std::string& pci_address);

// Systole functions under /sys/bus/pci/devices (vendor:device ids of
// docs/pcie.md), sorted by address. `sysfs_root` is for tests.
std::vector<std::string> ListSystolePciFunctions(const std::string& sysfs_root = "/sys/bus/pci/devices");

// The PCIe transport over any mapping (pcie_transport.cc): checks the ID
// registers, configures the DMA window and the rings, enables the device.
StatusOr<std::unique_ptr<Transport>> OpenPcieTransportOver(std::unique_ptr<PcieMapping> mapping,
                                                           const TransportOptions& options);

// Counters of a PCIe transport (tests and the benchmark): what it copied into
// the DMA window and how many commands it completed. nullptr for another
// transport.
struct PcieTransportStats {
  uint64_t bytes_staged = 0;        // host -> DMA window copies (programs, regions, writes)
  uint64_t region_bytes_cached = 0; // region bytes not copied because their content id was cached
  uint64_t commands = 0;            // completed descriptors
  uint64_t resets = 0;              // device resets through CONTROL.RESET
};
const PcieTransportStats* GetPcieTransportStats(const Transport& t);

}  // namespace systole::driver

#endif  // SYSTOLE_DRIVER_PCIE_MAPPING_H_
