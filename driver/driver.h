// The Systole driver: one device API over several transports.
//
//   auto dev = driver::Device::Open("sim", hw);       // in-process SystemC model
//   ASSIGN_OR_RETURN(auto exe, dev->Load(data, size)); // verify, copy
//   ASSIGN_OR_RETURN(RunStats st, dev->Run(*exe, inputs, outputs));
//
// Device specs (`--device`):
//   "sim"       in-process SystemC device model, behavioural compute core
//   "sim:rtl"   in-process SystemC device with the Verilated RTL in the core
//               slot (only for array sizes that were Verilated)
// Unknown specs are INVALID_ARGUMENT naming the valid ones; "sim:rtl" is
// UNIMPLEMENTED in a build without the Verilated RTL core (CMake option
// SYSTOLE_WITH_RTL).
//
// Transports: a Device talks to hardware only through the internal Transport
// interface (driver/transport.h: write/read on-chip memory, run a program
// against mapped host regions, report counters). Only the in-process SystemC
// transport exists today; the simulator in another process, USB via libusb
// and PCIe (BAR + DMA descriptors) are to be added behind the same interface,
// chosen here by spec ("sim:remote", "usb:0", "pci:0"), with no change to
// this API.
//
// Lifecycle and ownership: Open -> Load (any number of executables; the
// LoadedExecutable owns a copy of the bytes and its host staging buffers, so
// the caller's bytes may be freed after Load) -> Run (any number of times,
// any executable of this device, in any order) -> destroy the executables
// and the Device (either order). Not thread-safe: one call at a time per
// Device.
//
// Parameter caching: an executable's PARAMETER_LOAD chunk fills PBUF with
// its cached parameters. The device remembers whose parameters PBUF holds:
// Run() executes the chunk only when they are not this executable's (first
// run, or another executable loaded or streamed parameters into PBUF in
// between) and reports its cycles in RunStats::parameter_load_cycles (0 when
// the cache was warm).
//
// "sim" devices of one process share its single SystemC elaboration
// (simulator/device.h): any number may be open, runs are sequential.
//
// Executables are untrusted input: Load() verifies the flatbuffer, the file
// identifier, the format and ISA versions, that it was compiled for this
// device's hardware configuration, every instruction word (decoded and
// validated against the configuration), and every binding's range, and
// returns a Status naming the rule broken.
#ifndef SYSTOLE_DRIVER_DRIVER_H_
#define SYSTOLE_DRIVER_DRIVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "arch/device_config.h"
#include "arch/perf_counters.h"
#include "common/status.h"

namespace systole::driver {

// A tensor the executable reads or writes, as recorded in its bindings.
struct TensorBindingInfo {
  std::string name;
  int tensor_index = 0;
  int type = 0;  // TFLite TensorType value
  std::vector<int> shape;
  uint32_t offset = 0;  // in the INPUT or OUTPUT region
  uint32_t size = 0;    // bytes
  bool flip_sign_bit = false;
};

// A verified executable, ready to run on the device that loaded it.
class LoadedExecutable {
 public:
  virtual ~LoadedExecutable() = default;
  virtual const std::vector<TensorBindingInfo>& inputs() const = 0;
  virtual const std::vector<TensorBindingInfo>& outputs() const = 0;
};

// One operator of the executable in one run (RunOptions::per_op).
struct OpCycles {
  int node_index = 0;
  std::string op;                  // "CONV_2D"
  uint64_t compute_cycles = 0;     // busy cycles of its compute instructions
  uint64_t first_cycle = 0;        // first busy cycle of any of its instructions
  uint64_t last_cycle = 0;         // last busy cycle of any of its instructions
  uint64_t estimated_cycles = 0;   // the compiler's estimate (compute instructions)
  uint64_t macs = 0;
};

struct RunStats {
  sim::PerfCounters counters;  // of the INFERENCE chunk
  uint64_t parameter_load_cycles = 0;  // > 0 when this run had to (re)load cached parameters
  double seconds_simulated = 0;        // counters.cycles / clock
  std::vector<OpCycles> ops;           // with RunOptions::per_op
};

struct RunOptions {
  std::string chrome_trace_path;  // Chrome-trace JSON of the inference chunk
  bool per_op = false;            // fill RunStats::ops from the executable's op records
};

class Device {
 public:
  virtual ~Device() = default;
  // spec: "sim" or "sim:rtl" (see above). hw: the device's configuration.
  static StatusOr<std::unique_ptr<Device>> Open(const std::string& spec, const sim::DeviceConfig& hw);

  virtual const sim::DeviceConfig& config() const = 0;
  virtual std::string Describe() const = 0;  // e.g. "sim (SystemC, behavioural core), 64x64 ..."

  virtual StatusOr<std::unique_ptr<LoadedExecutable>> Load(const uint8_t* data, size_t size) = 0;

  // inputs[i] / outputs[i] point to inputs()[i].size / outputs()[i].size
  // bytes in the tensors' own type (uint8 stays uint8: the driver flips the
  // sign bit when the binding says so).
  virtual StatusOr<RunStats> Run(LoadedExecutable& exe, const std::vector<const uint8_t*>& inputs,
                                 const std::vector<uint8_t*>& outputs, const RunOptions& options = {}) = 0;
};

// Verifies an executable without a device: flatbuffer structure, identifier,
// versions, instruction words against its own recorded configuration. Used by
// Load() and by `systole disasm`.
Status VerifyExecutable(const uint8_t* data, size_t size);

// Human-readable listing: header, configuration, bindings, per-op sections of
// the instruction streams (one disassembled instruction per line).
StatusOr<std::string> DisassembleExecutable(const uint8_t* data, size_t size);

}  // namespace systole::driver

#endif  // SYSTOLE_DRIVER_DRIVER_H_
