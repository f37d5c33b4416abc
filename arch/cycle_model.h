// The cycle model of docs/accelerator.md in C++: the single copy of the
// per-instruction cycle formulas (compute core) and the DMA/link model, used
// by the behavioural core, the SystemC device, the estimator and the tests.
#ifndef SYSTOLE_ARCH_CYCLE_MODEL_H_
#define SYSTOLE_ARCH_CYCLE_MODEL_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "arch/device_config.h"
#include "schema/isa/isa_generated.h"

namespace systole::sim {

// Busy cycles T of a COMPUTE-unit instruction (accept to done, inclusive).
uint64_t ComputeCycles(const isa::Instruction& insn, const CoreConfig& core);

// Issue interval O of a COMPUTE-unit instruction: the cycles from its accept
// until the core may accept the next instruction (arch/issue.h has the other
// rules). O = T except for MATMUL, whose drain (R + C - 1 + L cycles) may
// overlap what follows: O = max(m, ceil(R / PRELOAD_ROWS),
// ceil((R + C - 2) / (WEIGHT_BANKS - 1))) + L (ISA 8); and POSTPROC, which runs on
// beside what follows once it has read its parameter vectors: O = 3
// (docs/ISA.md).
uint64_t ComputeIssueCycles(const isa::Instruction& insn, const CoreConfig& core);

// The compute core's busy time, instruction by instruction, when nothing
// waits for a token: entry i is the cycles instruction i adds to the core's
// timeline (0 for LOAD/STORE). An instruction accepted while an earlier one
// is still busy takes the overlapped cycles over from it (they count once).
// The sum is the compute-only length of the sequence.
std::vector<uint64_t> ComputeTimeline(const std::vector<isa::Instruction>& seq, const CoreConfig& core);

// The same attribution for compute instructions that ran at the given
// (start, cycles), in program order (a simulated or estimated schedule).
std::vector<uint64_t> AttributeComputeSpans(const std::vector<std::pair<uint64_t, uint64_t>>& start_cycles);

// Busy cycles of a LOAD/STORE moving `bytes` over the configured link:
// latency + ceil(bytes * clock / bandwidth), at least 1.
uint64_t DmaCycles(uint64_t bytes, const DeviceConfig& config);

// Bytes a LOAD/STORE moves (rows * row_bytes); 0 for other opcodes.
uint64_t DmaBytes(const isa::Instruction& insn);

// Useful multiply-accumulates of an instruction (MATMUL: m*k*C; VMACC: m*n).
uint64_t MacCount(const isa::Instruction& insn, const CoreConfig& core);

}  // namespace systole::sim

#endif  // SYSTOLE_ARCH_CYCLE_MODEL_H_
