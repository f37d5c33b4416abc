// Internal to driver/: one link that carries protocol frames
// (docs/protocol.md) between the host and a device: a socket to
// `systole serve` (remote_transport.cc) or a USB device's endpoints
// (usb_transport.cc). The client side of the protocol (frame_transport.h)
// runs unchanged over either.
//
// A link moves whole encoded frames (header + payload, as protocol.h encodes
// them) and nothing else: it does not interpret them beyond finding a frame's
// end (the header's length field, checked against kMaxFrameBytes), so every
// check of what the device sent happens once, in the protocol code above.
// A link that splits traffic over several channels (USB: replies on bulk IN,
// completions on the interrupt endpoint) merges them in Receive().
#ifndef SYSTOLE_DRIVER_FRAME_LINK_H_
#define SYSTOLE_DRIVER_FRAME_LINK_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace systole::driver {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

class FrameLink {
 public:
  virtual ~FrameLink() = default;

  // e.g. "unix:/tmp/s.sock", "usb 001/002 (1d6b:5379)".
  virtual std::string Describe() const = 0;

  // Sends one encoded frame. UNAVAILABLE when the peer is gone,
  // DEADLINE_EXCEEDED when it would not take the bytes in time.
  virtual Status Send(const std::vector<uint8_t>& frame, Deadline deadline) = 0;

  // Receives one encoded frame (at least a header's worth, and exactly the
  // length its header announces). UNAVAILABLE when the peer closed or
  // disappeared, DEADLINE_EXCEEDED on timeout, DATA_LOSS when the bytes
  // cannot be a frame (bad magic, length beyond the limit); after DATA_LOSS
  // the stream is out of step and the link must be reopened.
  virtual StatusOr<std::vector<uint8_t>> Receive(Deadline deadline) = 0;

  // Thread-safe: makes a blocked Send/Receive return CANCELLED promptly.
  virtual void Interrupt() = 0;

  // Drops and re-establishes the connection (after DATA_LOSS, a timeout or
  // Interrupt). UNAVAILABLE when the device is gone for good.
  virtual Status Reconnect(Deadline deadline) = 0;
};

}  // namespace systole::driver

#endif  // SYSTOLE_DRIVER_FRAME_LINK_H_
