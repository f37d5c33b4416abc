// Internal to driver/: the USB FrameLink (usb_transport.cc) and the USB
// identity of a Systole device. docs/usb.md describes the device's USB side.
//
//   VID:PID   1209:0001  pid.codes' shared open-hardware vendor id with its
//                        test product id: a development-board identity, not
//                        an allocated product (docs/usb.md)
//   interface 0, class 0xff (vendor), subclass 0x53 ('S'), protocol 0x01
//   endpoints bulk OUT   host -> device: command frames
//             bulk IN    device -> host: direct replies
//             interrupt IN  device -> host: completion / error notifications
//
// The link moves whole protocol frames. It finds a frame's end through a
// UsbFraming (the protocol's header length rule; tests may plug a toy
// framing to exercise the link without the protocol).
#ifndef SYSTOLE_DRIVER_USB_LINK_H_
#define SYSTOLE_DRIVER_USB_LINK_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "driver/frame_link.h"
#include "driver/transport.h"

namespace systole::driver {

inline constexpr uint16_t kSystoleUsbVendorId = 0x1209;
inline constexpr uint16_t kSystoleUsbProductId = 0x0001;
inline constexpr uint8_t kSystoleUsbInterfaceClass = 0xff;
inline constexpr uint8_t kSystoleUsbInterfaceSubclass = 0x53;
inline constexpr uint8_t kSystoleUsbInterfaceProtocol = 0x01;
inline constexpr int kSystoleUsbInterface = 0;

// How to find a frame's end in a byte stream: `header_bytes` bytes of header
// give the whole frame's length (header included), or an error when they
// cannot start a frame (bad magic, length beyond the limit).
struct UsbFraming {
  size_t header_bytes = 0;
  std::function<StatusOr<size_t>(const uint8_t* header, size_t size)> frame_length;
};

// The framing of docs/protocol.md (protocol.h).
UsbFraming ProtocolUsbFraming();

// Sizes of the link's transfers (docs/usb.md "Transfers").
inline constexpr size_t kUsbOutChunkBytes = 64 * 1024;   // one bulk OUT transfer at most
inline constexpr size_t kUsbBulkInBytes = 16 * 1024;     // each bulk IN transfer
inline constexpr size_t kUsbInterruptInBytes = 1024;     // each interrupt IN transfer
inline constexpr size_t kUsbMaxQueuedFrames = 64;        // received, not yet taken by Receive()

// The index-th Systole USB device (-1: the first), opened and claimed, with
// its IN endpoints listening. Each Send/Receive/Reconnect has its own
// deadline; `options` is not used yet (kept for per-link settings). Errors
// of Send/Receive name the endpoint, not the device (the protocol client
// prefixes Describe()).
StatusOr<std::unique_ptr<FrameLink>> OpenUsbFrameLink(int index, const UsbFraming& framing,
                                                      const TransportOptions& options);

// One attached device, from its descriptors (no I/O beyond reading them and,
// with read_strings, its string descriptors, which opens the device).
struct UsbDeviceInfo {
  int index = 0;
  uint8_t bus = 0, address = 0;
  std::string port_path;  // "1-2.3" style: bus, then the port numbers
  std::string manufacturer, product, serial;  // empty when unreadable
  std::string error;  // why the strings could not be read (device busy, permissions)
};
std::vector<UsbDeviceInfo> ListUsbDevices(bool read_strings = true);

}  // namespace systole::driver

#endif  // SYSTOLE_DRIVER_USB_LINK_H_
