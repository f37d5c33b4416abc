// Analytic cycle estimator: the run's cycle count from the instruction stream
// alone, without simulating cycles. It schedules every instruction at
//   start = max(fetch + 1, unit free, arrival of each token it pops)
// with the same per-instruction durations as the models (cycle_model.h), token
// j of a FIFO arriving the cycle after its j-th push. It ignores one effect:
// fetch stalls when an instruction queue is full (queue_depth). So it is
// exact when no queue fills and optimistic otherwise; simulator/estimator_test
// measures the error against the SystemC model on random programs (documented
// in docs/accelerator.md).
#ifndef SYSTOLE_ARCH_ESTIMATOR_H_
#define SYSTOLE_ARCH_ESTIMATOR_H_

#include <cstdint>
#include <vector>

#include "arch/device_config.h"
#include "arch/host_memory.h"
#include "arch/perf_counters.h"
#include "common/status.h"
#include "schema/isa/isa_generated.h"

namespace systole::sim {

struct Estimate {
  uint64_t cycles = 0;
  uint64_t compute_busy = 0;  // cycles with a compute instruction in flight
  uint64_t load_busy = 0;
  uint64_t store_busy = 0;
};

// spans, when non-null, receives one InstructionSpan per instruction (unit,
// pc, estimated start cycle and duration), in the order they are scheduled:
// what the SystemC device reports with RunOptions::spans, estimated.
StatusOr<Estimate> EstimateCycles(const std::vector<isa::InsnWord>& program, const DeviceConfig& config,
                                  const HostMemory& host, std::vector<InstructionSpan>* spans = nullptr);

}  // namespace systole::sim

#endif  // SYSTOLE_ARCH_ESTIMATOR_H_
