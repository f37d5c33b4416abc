// The SystemC model of a whole Systole device: instruction fetch/decode/
// validate, three instruction queues (load / compute / store) with dependency
// tokens, the DMA engine and host-link model, the on-chip memories and a
// compute-core slot that takes the behavioural core or the Verilated RTL.
//
// SystemC elaborates once per process, so all Devices of a process share one
// SystemC module (a timed SC_METHOD that clocks the active device); a Device
// can run any number of programs, and several Devices (different configs or
// cores) can run one after another in one process. Runs are sequential, not
// concurrent.
//
// Lifecycle: Create(config, core factory) -> write memory()/map host regions
// -> Run(program) any number of times (on-chip memories persist, the core
// and queues are reset per run) -> destroy.
#ifndef SYSTOLE_SIMULATOR_DEVICE_H_
#define SYSTOLE_SIMULATOR_DEVICE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "arch/compute_core.h"
#include "arch/device_config.h"
#include "arch/host_memory.h"
#include "arch/perf_counters.h"
#include "common/status.h"
#include "schema/isa/isa_generated.h"
#include "simulator/semantics.h"

namespace systole::sim {

struct RunOptions {
  // Write a Chrome-trace / Perfetto JSON timeline of the run (one track per
  // unit, one slice per instruction) when non-empty.
  std::string chrome_trace_path;
  // Skip stretches in which nothing can change (long DMA, a busy behavioural
  // core) instead of waking every cycle. Cycle counts are identical either
  // way; only wall-clock time differs.
  bool fast_forward = true;
  // When non-null, receives every executed instruction, in completion order.
  std::vector<InstructionSpan>* spans = nullptr;
  // Safety net: a run longer than this ends with DEADLINE-like OUT_OF_RANGE.
  uint64_t max_cycles = uint64_t{1} << 40;
  // When non-null, read before every simulated cycle: once it is true the run
  // ends with CANCELLED at that cycle (nothing after it is simulated; the
  // device is usable for the next run). Any thread may set it.
  const std::atomic<bool>* cancel = nullptr;
  // When set, called on the running thread with the cycles simulated so far,
  // after every stretch of at most 65536 cycles (the kernel's quantum), and
  // never after the run has ended.
  std::function<void(uint64_t cycles)> progress;
};

using CoreFactory =
    std::function<StatusOr<std::unique_ptr<ComputeCore>>(const CoreConfig&, const CoreMemories&)>;

class Device {
 public:
  // An empty factory selects the behavioural core.
  static StatusOr<std::unique_ptr<Device>> Create(const DeviceConfig& config,
                                                  const CoreFactory& factory = {});
  ~Device();

  const DeviceConfig& config() const { return config_; }
  DeviceMemory& memory() { return memory_; }
  ComputeCore& core() { return *core_; }

  // Runs a program to completion. An illegal instruction (at fetch), a token
  // FIFO overflow or a deadlock ends the run with that status; the device is
  // usable again for the next run.
  StatusOr<PerfCounters> Run(const std::vector<isa::InsnWord>& program, const HostMemory& host,
                             const RunOptions& options = {});

 private:
  explicit Device(const DeviceConfig& config) : config_(config), memory_(config) {}
  DeviceConfig config_;
  DeviceMemory memory_;
  std::unique_ptr<ComputeCore> core_;
};

}  // namespace systole::sim

#endif  // SYSTOLE_SIMULATOR_DEVICE_H_
