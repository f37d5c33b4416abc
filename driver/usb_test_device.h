// TEST ONLY: a fake Systole USB device, emulated with umockdev, for the
// tests of the USB transport (usb_link.cc) with the real libusb.
//
// FakeUsbDevice puts into a umockdev testbed one usbdevfs node for
// 1209:0001 (device + configuration descriptors with the three endpoints of
// docs/usb.md) and plays the device's USB side in an ioctl handler:
// GET_CAPABILITIES, GETDRIVER, (RELEASE|CLAIM)INTERFACE, CLEAR_HALT, RESET,
// SETINTERFACE, SUBMITURB / REAPURB(NDELAY) / DISCARDURB, and control
// transfers for the string descriptors. Bulk OUT bytes are cut into frames
// (UsbFraming) and handed to a FakeUsbSession on the device's "firmware"
// thread; its replies go to bulk IN and its notifications to the interrupt
// endpoint. Claiming the interface starts a new session.
//
// USB-level faults on command: Unplug() (pending URBs end with ENODEV, every
// later ioctl fails with ENODEV, the node leaves the testbed), Replug(),
// Stall(ep) (URBs on ep end with EPIPE until the host clears the halt),
// Hang(ep) (URBs on ep never complete), ShortNextIn(ep, n) (the next frame on
// ep is cut after n bytes and its transfer ends short).
//
// One connection owns the interface at a time: a second claim is EBUSY, as
// the kernel answers for another open file.
//
// The process must run under umockdev-wrapper (LD_PRELOAD of umockdev's
// preload library); Create() says so otherwise.
#ifndef SYSTOLE_DRIVER_USB_TEST_DEVICE_H_
#define SYSTOLE_DRIVER_USB_TEST_DEVICE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "driver/usb_link.h"

namespace systole::driver {

inline constexpr uint8_t kFakeUsbBulkOut = 0x01;
inline constexpr uint8_t kFakeUsbBulkIn = 0x81;
inline constexpr uint8_t kFakeUsbInterruptIn = 0x82;

// One frame the device sends: on the interrupt endpoint when `interrupt`.
struct FakeUsbFrame {
  std::vector<uint8_t> bytes;
  bool interrupt = false;
};

// The device-side protocol of one host session (one claim of the
// interface). Handle() runs on that session's own firmware thread.
class FakeUsbSession {
 public:
  virtual ~FakeUsbSession() = default;
  virtual Status Handle(const std::vector<uint8_t>& frame, std::vector<FakeUsbFrame>* out) = 0;
  // True once the device should vanish from the bus (the protocol's FAULT
  // DISAPPEAR / EXIT): the fake device then unplugs itself.
  virtual bool vanished() const { return false; }
};

struct FakeUsbDeviceOptions {
  UsbFraming framing;
  std::function<std::unique_ptr<FakeUsbSession>()> new_session;
  bool with_interrupt_endpoint = true;  // false: descriptors lack it (the host must refuse)
  uint16_t bulk_packet = 512;           // wMaxPacketSize of the bulk endpoints
  // Device address on bus 1 (2..127): node /dev/bus/usb/001/<address>,
  // sysfs port 1-<address - 1>; 0 = the lowest one not in use. Several fake
  // devices (distinct addresses) may be attached at once; they share the
  // process's testbed.
  int address = 2;
};

struct FakeUsbStats {
  uint64_t out_bytes = 0;       // bulk OUT payload received
  uint64_t frames_in = 0;       // frames cut from bulk OUT
  uint64_t frames_bulk_in = 0;  // frames sent on bulk IN
  uint64_t frames_interrupt = 0;
  uint64_t zero_packet_flags = 0;  // bulk OUT URBs with USBDEVFS_URB_ZERO_PACKET
  uint64_t framing_errors = 0;     // bulk OUT bytes that could not start a frame
  uint64_t sessions = 0;           // claims of the interface
  uint64_t discarded = 0;          // URBs the host cancelled
};

class DeviceHost;
// A Systole device: each session is a DeviceSession of `host` (which must
// outlive the fake device); replies go to bulk IN, completions to the
// interrupt endpoint.
FakeUsbDeviceOptions SystoleFakeUsbOptions(DeviceHost* host);

class FakeUsbDevice {
 public:
  static StatusOr<std::unique_ptr<FakeUsbDevice>> Create(FakeUsbDeviceOptions options);
  virtual ~FakeUsbDevice() = default;

  virtual void Unplug() = 0;
  virtual Status Replug() = 0;
  virtual void Stall(uint8_t ep) = 0;
  virtual void Hang(uint8_t ep, bool hang) = 0;
  virtual void ShortNextIn(uint8_t ep, size_t bytes) = 0;
  virtual FakeUsbStats stats() const = 0;
  virtual int address() const = 0;
  virtual std::string port_path() const = 0;  // "1-<address - 1>", as UsbDeviceInfo::port_path
  // URBs submitted and not yet reaped (a leak check after the host closed).
  virtual size_t urbs_outstanding() const = 0;
};

}  // namespace systole::driver

#endif  // SYSTOLE_DRIVER_USB_TEST_DEVICE_H_
