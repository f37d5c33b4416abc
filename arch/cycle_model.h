// The cycle model of docs/accelerator.md in C++: the single copy of the
// per-instruction cycle formulas (compute core) and the DMA/link model, used
// by the behavioural core, the SystemC device, the estimator and the tests.
#ifndef SYSTOLE_ARCH_CYCLE_MODEL_H_
#define SYSTOLE_ARCH_CYCLE_MODEL_H_

#include <cstdint>

#include "arch/device_config.h"
#include "schema/isa/isa_generated.h"

namespace systole::sim {

// Busy cycles T of a COMPUTE-unit instruction (accept to done, inclusive).
uint64_t ComputeCycles(const isa::Instruction& insn, const CoreConfig& core);

// Issue interval O of a COMPUTE-unit instruction: the cycles from its accept
// until the core may accept the next instruction of the array class (MATMUL,
// PRELOAD_WEIGHTS). O = T except for MATMUL, whose drain (R + C - 1 + L
// cycles) overlaps the next MATMUL: O = max(m, R, C) + L (docs/ISA.md).
uint64_t ComputeIssueCycles(const isa::Instruction& insn, const CoreConfig& core);

// Whether an instruction may be accepted while MATMULs drain (MATMUL and
// PRELOAD_WEIGHTS); every other COMPUTE instruction waits for all of them.
bool OverlapsMatmulDrain(isa::Opcode op);

// Busy cycles of a LOAD/STORE moving `bytes` over the configured link:
// latency + ceil(bytes * clock / bandwidth), at least 1.
uint64_t DmaCycles(uint64_t bytes, const DeviceConfig& config);

// Bytes a LOAD/STORE moves (rows * row_bytes); 0 for other opcodes.
uint64_t DmaBytes(const isa::Instruction& insn);

// Useful multiply-accumulates of an instruction (MATMUL: m*k*C; VMACC: m*n).
uint64_t MacCount(const isa::Instruction& insn, const CoreConfig& core);

}  // namespace systole::sim

#endif  // SYSTOLE_ARCH_CYCLE_MODEL_H_
