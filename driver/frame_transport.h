// The client side of the device protocol (docs/protocol.md) over any
// FrameLink: the Transport of remote devices (`systole serve`, over a socket)
// and USB devices (over bulk/interrupt endpoints). The same code for both.
//
// Opening sends IDENTIFY: config() and Identify() report what the device
// said. Execute() maps the host regions on the device (MAP_REGION), uploads
// readable ones (WRITE_MEMORY) unless ExecuteOptions::region_ids says the
// device already holds their bytes, loads the program into a slot unless one
// holds it already (LOAD_PROGRAM), runs it (RUN), waits for the completion
// within the timeout and reads the writable regions back (READ_MEMORY).
//
// Every reply is checked: CRC, version, sequence number, the opcode expected,
// payload layout and lengths. Anything else is DATA_LOSS naming what was
// wrong; after it (and after a timeout, a cancellation or a dropped link) the
// link is reconnected before the next request, which starts a new session
// on the device: cached regions and programs are forgotten, and the device's
// on-chip memories are those of a fresh session (zero).
#ifndef SYSTOLE_DRIVER_FRAME_TRANSPORT_H_
#define SYSTOLE_DRIVER_FRAME_TRANSPORT_H_

#include <cstdint>
#include <memory>

#include "driver/frame_link.h"
#include "driver/protocol.h"
#include "driver/transport.h"

namespace systole::driver {

// `transport_name` is DeviceIdentity::transport ("remote", "usb").
StatusOr<std::unique_ptr<Transport>> MakeFrameTransport(std::unique_ptr<FrameLink> link,
                                                        const TransportOptions& options,
                                                        const std::string& transport_name = "remote");

// Process-wide counters of every frame transport (tests, benchmarks).
struct FrameTransportStats {
  uint64_t frames_sent = 0;
  uint64_t bytes_sent = 0;            // whole frames
  uint64_t bytes_received = 0;        // whole frames
  uint64_t region_bytes_uploaded = 0; // WRITE_MEMORY data to host regions
  uint64_t region_uploads_skipped = 0;// readable regions not sent (region_ids matched)
  uint64_t region_bytes_downloaded = 0;
  uint64_t program_words_uploaded = 0;
  uint64_t reconnects = 0;
};
FrameTransportStats GetFrameTransportStats();

// Test-only: asks the device behind `t` (a frame transport) to inject a fault
// (protocol FAULT). opcode 0 = the next request of any kind. UNIMPLEMENTED
// when `t` is not a frame transport.
Status InjectFault(Transport& t, protocol::FaultKind kind, uint32_t arg, uint16_t opcode);

}  // namespace systole::driver

#endif  // SYSTOLE_DRIVER_FRAME_TRANSPORT_H_
