// USB devices ("usb", "usb:N"): the protocol's client (frame_transport.h)
// over the USB FrameLink (usb_link.cc). docs/usb.md.
#include "driver/frame_transport.h"
#include "driver/protocol.h"
#include "driver/transport.h"
#include "driver/usb_link.h"

namespace systole::driver {

UsbFraming ProtocolUsbFraming() {
  UsbFraming f;
  f.header_bytes = protocol::kHeaderBytes;
  f.frame_length = [](const uint8_t* header, size_t n) { return FrameLengthFromHeader(header, n); };
  return f;
}

StatusOr<std::unique_ptr<Transport>> OpenUsbTransport(int index, const TransportOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<FrameLink> link, OpenUsbFrameLink(index, ProtocolUsbFraming(), options));
  return MakeFrameTransport(std::move(link), options, "usb");
}

// Each device as IDENTIFY describes it; when it cannot be opened or does not
// answer (claimed by another program, no permission, not a Systole
// firmware), what its descriptors say and why.
std::vector<DeviceIdentity> EnumerateUsbDevices() {
  std::vector<DeviceIdentity> out;
  for (const UsbDeviceInfo& info : ListUsbDevices()) {
    TransportOptions o;
    o.timeout_ms = 2000;
    StatusOr<std::unique_ptr<Transport>> t = OpenUsbTransport(info.index, o);
    if (t.ok()) {
      out.push_back((*t)->Identify());
      continue;
    }
    DeviceIdentity id;
    id.transport = "usb";
    id.location = StrFormat("usb %03u/%03u (%04x:%04x) port %s", info.bus, info.address, kSystoleUsbVendorId,
                            kSystoleUsbProductId, info.port_path.c_str());
    std::string name = info.product.empty() ? "Systole USB device" : info.product;
    if (!info.serial.empty()) name += " serial " + info.serial;
    id.description = StrFormat("usb %s: %s (not identified: %s)", id.location.c_str(), name.c_str(),
                               t.status().message().c_str());
    out.push_back(id);
  }
  return out;
}

}  // namespace systole::driver
