// Internal to driver/: the boundary between the device API (driver.h) and
// whatever carries programs and data to a device.
//
// A Transport knows nothing about executables. It offers what every physical
// link offers: write and read on-chip memory, run one instruction stream to
// completion against host memory regions the caller maps, and report the
// device's performance counters. driver.cc builds everything else (parameter
// caching, input/output staging, sign flips, verification) on top, once, for
// every transport.
//
// Implemented today: the in-process SystemC device (sim_transport.cc), with
// the behavioural core ("sim") or the Verilated RTL core ("sim:rtl").
// Planned, same interface: the simulator in another process (a socket carrying
// these four calls), USB through libusb (bulk OUT for memory writes, programs
// and readable regions, bulk IN for writable regions and counters), PCIe (BAR
// registers + DMA descriptors pointing at the mapped regions).
//
// Host regions: `host` names buffers owned by the caller for the duration of
// Execute(). A transport without shared memory copies every readable region
// to the device before the run and every writable region back after it; the
// in-process simulator reads and writes them in place.
//
// Not thread-safe: one caller at a time (the Device serialises).
#ifndef SYSTOLE_DRIVER_TRANSPORT_H_
#define SYSTOLE_DRIVER_TRANSPORT_H_

#include <cstddef>
#include <cstdint>
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
};

class Transport {
 public:
  virtual ~Transport() = default;

  // One line for logs, e.g. "sim (SystemC, behavioural core)".
  virtual std::string Describe() const = 0;
  virtual const sim::DeviceConfig& config() const = 0;

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
};

// The in-process SystemC device. rtl_core selects the Verilated RTL in the
// compute-core slot; UNIMPLEMENTED when this build has none (see
// driver/CMakeLists.txt) or the RTL was not Verilated for hw's array size.
StatusOr<std::unique_ptr<Transport>> OpenSimTransport(const sim::DeviceConfig& hw, bool rtl_core);

}  // namespace systole::driver

#endif  // SYSTOLE_DRIVER_TRANSPORT_H_
