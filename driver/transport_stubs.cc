// TEMPORARY: placeholders for the transports other branches implement
// (remote_transport.cc: branch `remote`; pcie_transport.cc: branch `pcie`;
// the USB block went when usb_transport.cc was merged), so that this branch links. Each block
// below is deleted when its real implementation is merged; then this file
// goes too. Nothing here pretends to work: opening says so.
#include "driver/transport.h"

namespace systole::driver {

// ---- remote (delete when remote_transport.cc is merged) ----
StatusOr<std::unique_ptr<Transport>> OpenRemoteTransport(const std::string& address, const TransportOptions&) {
  return Unimplemented("device 'remote:%s': the remote transport is not in this build yet", address.c_str());
}

// ---- pcie (delete both when pcie_transport.cc is merged) ----
StatusOr<std::unique_ptr<Transport>> OpenPcieTransport(const std::string& where, const TransportOptions&) {
  return Unimplemented("device '%s': the PCIe transport is not in this build yet",
                       where.empty() ? "pci" : ("pci:" + where).c_str());
}
std::vector<DeviceIdentity> EnumeratePcieDevices() { return {}; }

}  // namespace systole::driver
