// TEMPORARY: placeholders for the transports other branches implement
// (remote_transport.cc: branch `remote`; usb_transport.cc: branch `usb`;
// pcie_transport.cc: branch `pcie`), so that this branch links. Each block
// below is deleted when its real implementation is merged; then this file
// goes too. Nothing here pretends to work: opening says so.
#include "driver/transport.h"

namespace systole::driver {

// ---- usb (delete both when usb_transport.cc is merged) ----
StatusOr<std::unique_ptr<Transport>> OpenUsbTransport(int index, const TransportOptions&) {
  return Unimplemented("device '%s': the USB transport is not in this build yet",
                       index < 0 ? "usb" : StrFormat("usb:%d", index).c_str());
}
std::vector<DeviceIdentity> EnumerateUsbDevices() { return {}; }

}  // namespace systole::driver
