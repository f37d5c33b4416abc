// TEMPORARY: placeholders for the transports other branches implement
// (pcie_transport.cc: branch `pcie`; the remote and USB blocks went when
// remote_transport.cc and usb_transport.cc were merged), so that this branch links. Each block
// below is deleted when its real implementation is merged; then this file
// goes too. Nothing here pretends to work: opening says so.
#include "driver/transport.h"

namespace systole::driver {

// ---- pcie (delete both when pcie_transport.cc is merged) ----
StatusOr<std::unique_ptr<Transport>> OpenPcieTransport(const std::string& where, const TransportOptions&) {
  return Unimplemented("device '%s': the PCIe transport is not in this build yet",
                       where.empty() ? "pci" : ("pci:" + where).c_str());
}
std::vector<DeviceIdentity> EnumeratePcieDevices() { return {}; }

}  // namespace systole::driver
