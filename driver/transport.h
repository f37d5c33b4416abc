// Internal to driver/: the boundary between the device API (driver.h) and
// whatever carries programs and data to a device.
//
// A Transport knows nothing about executables. It offers what every physical
// link offers: identify the device, write and read on-chip memory, run one
// instruction stream to completion against host memory regions the caller
// maps, report the device's performance counters, and reset. driver.cc builds
// everything else (parameter caching, input/output staging, sign flips,
// verification, the asynchronous queue) on top, once, for every transport.
//
// Transports (each file implements one factory below):
//   sim_transport.cc     the in-process SystemC device ("sim", "sim:rtl")
//   remote_transport.cc  `systole serve` over a Unix or TCP socket
//                        ("remote:unix:PATH", "remote:tcp:HOST:PORT")
//   usb_transport.cc     libusb-1.0 bulk/interrupt endpoints ("usb", "usb:N")
//   pcie_transport.cc    BAR0 registers + descriptor ring + DMA window
//                        ("pci", "pci:N", "pci:DDDD:BB:DD.F", "pci:unix:PATH")
// Remote and USB carry the same framed protocol (docs/protocol.md; client
// side in frame_transport.{h,cc} over a FrameLink, frame_link.h). PCIe uses
// the register map of docs/pcie.md.
//
// Host regions: `host` names buffers owned by the caller for the duration of
// Execute(). A transport without shared memory copies every readable region
// to the device before the run and every writable region back after it; the
// in-process simulator reads and writes them in place. ExecuteOptions::
// region_ids lets a copying transport skip regions whose bytes it already
// holds (parameters: uploaded once per executable, cached across runs).
//
// Threading: the Device serialises Identify/WriteMemory/ReadMemory/Execute/
// Reset on one thread at a time. Interrupt() is the exception: any thread may
// call it at any time, and it makes a running Execute() return CANCELLED as
// soon as the link allows (the Device then resets the transport).
#ifndef SYSTOLE_DRIVER_TRANSPORT_H_
#define SYSTOLE_DRIVER_TRANSPORT_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "arch/device_config.h"
#include "arch/host_memory.h"
#include "arch/perf_counters.h"
#include "common/status.h"
#include "schema/isa/isa_generated.h"

namespace systole::driver {

struct ExecuteOptions {
  std::string chrome_trace_path;  // timeline of this run, when the transport can make one
  // Every executed instruction, when non-null and the transport can tell.
  std::vector<sim::InstructionSpan>* spans = nullptr;
  // Content identity of each mapped host region: 0 = "may have changed, send
  // it"; any other value promises that a region mapped with the same id and
  // size before holds the same bytes, so a copying transport may keep its
  // copy. The driver gives a loaded executable's parameter region a
  // process-unique id and every other region 0.
  std::array<uint64_t, isa::kNumHostRegions> region_ids{};
  // A run that has not completed after this long fails with
  // DEADLINE_EXCEEDED (and the transport resets the link). 0 = the
  // transport's default (TransportOptions::timeout_ms).
  int timeout_ms = 0;
  // The in-process simulator's cancel flag and progress callback
  // (driver.h RunOptions); other transports ignore them.
  const std::atomic<bool>* cancel = nullptr;
  std::function<void(uint64_t cycles)> progress;
};

// What a device says about itself (the protocol's IDENTIFY, PCIe ID
// registers; the in-process simulator fills it from its build).
struct DeviceIdentity {
  std::string transport;         // "sim", "remote", "usb", "pci"
  std::string description;       // one line, e.g. "sim (SystemC, behavioural core)"
  uint32_t protocol_version = 0; // docs/protocol.md or docs/pcie.md version; 0 = in-process
  std::string firmware_version;  // e.g. "systole-serve 0.5 (systemc)"
  std::string location;          // e.g. "unix:/run/s.sock", "usb 001/002", "0000:03:00.0"
};

struct TransportOptions {
  int timeout_ms = 10000;  // per link operation (connect, one frame, one run)
};

class Transport {
 public:
  virtual ~Transport() = default;

  // One line for logs, e.g. "sim (SystemC, behavioural core)".
  virtual std::string Describe() const = 0;
  // The device's hardware configuration (for remote devices: as identified
  // when the link opened).
  virtual const sim::DeviceConfig& config() const = 0;
  virtual DeviceIdentity Identify() const = 0;

  // Direct access to on-chip memory, outside any program (diagnostics,
  // tests; a transport may also use it to upload parameters faster than a
  // DMA program would). [addr, addr + size) must lie inside the buffer.
  virtual Status WriteMemory(isa::Buffer buffer, uint32_t addr, const uint8_t* data, size_t size) = 0;
  virtual Status ReadMemory(isa::Buffer buffer, uint32_t addr, uint8_t* data, size_t size) = 0;

  // Runs `program` to completion. On-chip memories persist across calls. An
  // illegal instruction, a deadlock or a link failure ends the run with its
  // Status; the device is usable for the next call.
  virtual StatusOr<sim::PerfCounters> Execute(const std::vector<isa::InsnWord>& program,
                                              const sim::HostMemory& host, const ExecuteOptions& options) = 0;

  // Returns the device to its power-on state: on-chip memories zeroed,
  // nothing running, cached host regions forgotten. After a link failure,
  // reconnects where the link allows. Errors name what could not be reset.
  virtual Status Reset() = 0;

  // Thread-safe; see "Threading" above. Default: runs cannot be interrupted.
  virtual void Interrupt() {}
};

// The in-process SystemC device. rtl_core selects the Verilated RTL in the
// compute-core slot; UNIMPLEMENTED when this build has none (see
// driver/CMakeLists.txt) or the RTL was not Verilated for hw's array size.
StatusOr<std::unique_ptr<Transport>> OpenSimTransport(const sim::DeviceConfig& hw, bool rtl_core);

// `systole serve` at address "unix:PATH" or "tcp:HOST:PORT" (remote_transport.cc).
StatusOr<std::unique_ptr<Transport>> OpenRemoteTransport(const std::string& address, const TransportOptions& options);

// The index-th Systole USB device (VID:PID in usb_transport.cc), through
// libusb-1.0; -1 = the first one found.
StatusOr<std::unique_ptr<Transport>> OpenUsbTransport(int index, const TransportOptions& options);
std::vector<DeviceIdentity> EnumerateUsbDevices();

// A PCIe device: "" or "N" (index among Systole functions), a PCI address
// "DDDD:BB:DD.F" (mapped through VFIO or sysfs resource0), or "unix:PATH"
// (the BAR and DMA window `systole serve` exports as shared memory).
StatusOr<std::unique_ptr<Transport>> OpenPcieTransport(const std::string& where, const TransportOptions& options);
std::vector<DeviceIdentity> EnumeratePcieDevices();

}  // namespace systole::driver

#endif  // SYSTOLE_DRIVER_TRANSPORT_H_
