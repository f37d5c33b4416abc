// Internal to driver/: PCIe emulation over `systole serve` (docs/pcie.md).
// The server side attaches a client: it creates a PcieDeviceModel for it and
// passes the model's memfds and eventfds over the client's Unix socket with
// SCM_RIGHTS; the client side (AttachShmMapping, pcie_mapping.h) receives
// them and builds a shared-memory PcieMapping.
//
// The fd message (after the PCIE_ATTACH reply frame): one sendmsg with a
// 24-byte payload {u32 magic 'SPFD', u32 version 1, u64 dma_bytes,
// u64 dma_device_base} and exactly four descriptors in one SCM_RIGHTS
// control message, in the order BAR0 memfd, DMA memfd, doorbell eventfd,
// interrupt eventfd. The receiver checks every part of it.
#ifndef SYSTOLE_DRIVER_PCIE_SERVE_H_
#define SYSTOLE_DRIVER_PCIE_SERVE_H_

#include <functional>

#include "common/status.h"
#include "driver/device_session.h"
#include "driver/pcie_mapping.h"

namespace systole::driver {

inline constexpr uint32_t kPcieFdMagic = 0x44465053;  // 'SPFD'
inline constexpr uint32_t kPcieFdVersion = 1;

// Sends the four fds of `fds` (not closed; the caller keeps them).
Status SendPcieFds(int sock, const PcieShmFds& fds);
// Receives them (CLOEXEC); on any error nothing received is left open.
StatusOr<PcieShmFds> ReceivePcieFds(int sock, Deadline deadline);

struct PcieServeOptions {
  uint64_t dma_bytes = uint64_t{64} << 20;  // each attachment's DMA window (sparse memfd)
  uint32_t fw_kind = 1;                     // FW_VERSION.KIND: 1 behavioural core, 2 RTL core
  int max_attachments = 8;                  // emulated functions alive at once
};

// The server's PCIE_ATTACH hook (ServerOptions::pcie_attach): each call
// creates an emulated function for the calling client, on its own
// DeviceSession of `host` (so its on-chip memories are its own), sends the
// client its fds, and keeps the function alive until the client's
// connection hangs up or the hook (the Server) is destroyed. FAULT_INJECT is
// honoured only when the host allows faults (--allow-faults).
// The functions live as long as the last copy of the returned hook: destroy
// every copy (the Server's and the caller's) before `host`.
std::function<Status(int client_fd, DeviceHost& host)> MakePcieAttachHook(const PcieServeOptions& options);

}  // namespace systole::driver

#endif  // SYSTOLE_DRIVER_PCIE_SERVE_H_
