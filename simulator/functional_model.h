// The fast functional model: executes an instruction stream on a device
// state, untimed, for quick correctness checks. Same semantics (semantics.h)
// and the same validation (validate.h) as the SystemC model; the three units
// run as coroutines interleaved by their dependency tokens.
//
// Lifecycle: construct(config) -> write parameters/inputs (memory() or LOAD
// from host regions) -> Run(program, host) any number of times -> destroy.
// On-chip memories persist across runs; the core state is reset per run.
#ifndef SYSTOLE_SIMULATOR_FUNCTIONAL_MODEL_H_
#define SYSTOLE_SIMULATOR_FUNCTIONAL_MODEL_H_

#include <cstdint>
#include <vector>

#include "arch/device_config.h"
#include "arch/host_memory.h"
#include "common/status.h"
#include "schema/isa/isa_generated.h"
#include "simulator/semantics.h"

namespace systole::sim {

struct FunctionalStats {
  uint64_t instructions = 0;
  uint64_t macs = 0;
  uint64_t bytes_loaded = 0;
  uint64_t bytes_stored = 0;
};

class FunctionalModel {
 public:
  explicit FunctionalModel(const DeviceConfig& config);
  const DeviceConfig& config() const { return config_; }
  DeviceMemory& memory() { return memory_; }

  // Validates the whole program first (an illegal instruction fails the run
  // before anything executes), then executes it. Errors: an illegal
  // instruction (OUT_OF_RANGE / INVALID_ARGUMENT naming its index) or a
  // deadlock (FAILED_PRECONDITION). Never aborts.
  StatusOr<FunctionalStats> Run(const std::vector<isa::InsnWord>& program, const HostMemory& host);

 private:
  DeviceConfig config_;
  DeviceMemory memory_;
  CoreState core_;
};

}  // namespace systole::sim

#endif  // SYSTOLE_SIMULATOR_FUNCTIONAL_MODEL_H_
