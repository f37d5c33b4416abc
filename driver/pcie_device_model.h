// Internal to driver/: the device side of an emulated Systole PCIe function
// (docs/pcie.md). Used by `systole serve --pcie` (one model per attached
// client) and by tests in-process.
//
// The model owns a BAR0 and a DMA window in sealed memfds (F_SEAL_SHRINK |
// F_SEAL_GROW, so no peer can make an access fault), a doorbell eventfd and
// an interrupt eventfd, and one thread. The thread sleeps on the doorbell;
// woken, it acts on CONTROL (reset, enable), takes descriptors from the ring
// and executes them on a device Transport (the in-process simulator, or a
// fake in tests), writes completion records and BAR status registers, and
// raises the interrupt.
//
// Everything the model reads from the shared memory is untrusted: it latches
// the ring and window configuration when ENABLE is set and checks it, copies
// each descriptor, region table and program out of the shared window before
// checking and using it, and refuses any address outside the DMA window
// (completion status DMA_OUT_OF_WINDOW) or any malformed descriptor
// (BAD_DESCRIPTOR). A bad ring configuration or doorbell value stops the ring
// with STATUS.ERROR until CONTROL.RESET.
//
// Fault injection (test only): the FAULT_INJECT register (honoured when
// options allow_faults), see the Fault enum in schema/pcie/pcie_regs.json;
// InjectFault() arms the same from the device side.
#ifndef SYSTOLE_DRIVER_PCIE_DEVICE_MODEL_H_
#define SYSTOLE_DRIVER_PCIE_DEVICE_MODEL_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"
#include "driver/pcie_mapping.h"
#include "driver/transport.h"

namespace systole::driver {

struct PcieDeviceModelOptions {
  uint64_t dma_bytes = uint64_t{64} << 20;  // exported DMA window (sparse memfd)
  uint32_t fw_kind = 1;                     // FW_VERSION.KIND: 1 behavioural, 2 RTL, 3 other (fakes)
  uint32_t fw_major = 0, fw_minor = 1, fw_patch = 0;
  // A socket (the attached client's connection) whose hang-up stops the
  // model as if the device were unplugged; the model takes ownership. -1: none.
  int watch_fd = -1;
  // Honour FAULT_INJECT writes from the host (tests; `systole serve
  // --allow-faults`). InjectFault() works either way.
  bool allow_faults = false;
};

// How the model reaches its device: runs fn with it. The caller arranges
// serialisation and isolation (`systole serve`: DeviceHost::WithDevice with
// the attachment's own session).
using PcieDeviceAccess = std::function<Status(const std::function<Status(Transport&)>& fn)>;

class PcieDeviceModel {
 public:
  // device: what commands execute on; must outlive the model. Commands run
  // on the model's thread, one at a time.
  static StatusOr<std::unique_ptr<PcieDeviceModel>> Create(Transport* device, const PcieDeviceModelOptions& options);
  // The same through an access function; `config` is the device's.
  static StatusOr<std::unique_ptr<PcieDeviceModel>> Create(const sim::DeviceConfig& config, PcieDeviceAccess access,
                                                           const PcieDeviceModelOptions& options);
  ~PcieDeviceModel();  // Stop(), then unmaps and closes everything

  // Fresh duplicates of the fds (CLOEXEC) for one client; the caller owns them.
  StatusOr<PcieShmFds> ExportFds() const;

  // Orderly shutdown: STATUS.DEVICE_LOST, the interrupt raised, the thread
  // joined. Idempotent.
  void Stop();
  // True once the device vanished (DISAPPEAR fault) or was stopped.
  bool lost() const { return lost_.load(); }
  // Commands completed (any status), for tests.
  uint64_t commands() const { return commands_.load(); }
  // The thread has ended (stopped, vanished, or its watched socket hung up).
  bool finished() const { return finished_.load(); }

  // Test hooks: the device's own view of BAR0 and the window.
  volatile uint32_t* bar() { return bar_; }
  uint8_t* dma() { return dma_; }
  uint64_t dma_bytes() const { return dma_bytes_; }
  void InjectFault(uint32_t fault);

 private:
  PcieDeviceModel() = default;
  Status Init(const sim::DeviceConfig& config, PcieDeviceAccess access, const PcieDeviceModelOptions& options);
  void Loop();
  void WriteIdentity();
  void DoReset();
  void TryEnable();
  void ProcessRing();
  void Fail(uint32_t code, uint32_t detail);
  void Raise(uint32_t irq_bits);
  void Vanish();

  struct Slot;
  void ExecuteOne(uint32_t index, uint32_t fault);
  bool InWindow(uint64_t addr, uint64_t len) const;

  uint32_t Reg(uint32_t off) const { return __atomic_load_n(&bar_[off / 4], __ATOMIC_ACQUIRE); }
  void SetReg(uint32_t off, uint32_t v) { __atomic_store_n(&bar_[off / 4], v, __ATOMIC_RELEASE); }
  void OrReg(uint32_t off, uint32_t v) { __atomic_fetch_or(&bar_[off / 4], v, __ATOMIC_ACQ_REL); }
  void AndReg(uint32_t off, uint32_t v) { __atomic_fetch_and(&bar_[off / 4], v, __ATOMIC_ACQ_REL); }

  sim::DeviceConfig config_;
  PcieDeviceAccess access_;
  PcieDeviceModelOptions options_;
  int bar_fd_ = -1, dma_fd_ = -1, doorbell_fd_ = -1, irq_fd_ = -1, stop_fd_ = -1, watch_fd_ = -1;
  volatile uint32_t* bar_ = nullptr;
  uint8_t* dma_ = nullptr;
  uint64_t dma_bytes_ = 0;

  // Latched when ENABLE is accepted (the thread's own copies).
  bool enabled_ = false, hung_ = false, failed_ = false;
  uint64_t win_base_ = 0, win_size_ = 0, ring_base_ = 0, cpl_base_ = 0;
  uint32_t ring_size_ = 0, head_ = 0, cpl_head_ = 0;

  std::atomic<bool> lost_{false};
  std::atomic<uint64_t> commands_{0};
  std::atomic<bool> finished_{false};
  std::atomic<uint32_t> injected_{0};  // InjectFault()
  std::thread thread_;
  std::once_flag stop_once_;
};

}  // namespace systole::driver

#endif  // SYSTOLE_DRIVER_PCIE_DEVICE_MODEL_H_
