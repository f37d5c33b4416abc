// The device's security boundary: every instruction is checked here before it
// is queued (fetch/decode in the SystemC model, dispatch in the functional
// model), so no unit ever sees an out-of-range address.
#ifndef SYSTOLE_ARCH_VALIDATE_H_
#define SYSTOLE_ARCH_VALIDATE_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "arch/device_config.h"
#include "arch/host_memory.h"
#include "common/status.h"
#include "schema/isa/isa_generated.h"

namespace systole::sim {

// Decodes word `pc` of a program and checks it against the machine: field
// ranges that depend on R/C, buffer ranges inside ABUF/PBUF/ACC, DMA inside a
// mapped host region with the right permission, SETREG values inside their
// register's range, token flags the unit can honour. The message names the
// instruction index, the opcode, the field and the rule.
StatusOr<isa::Instruction> DecodeAndValidate(const isa::InsnWord& word, uint64_t pc,
                                             const DeviceConfig& config,
                                             const HostMemory& host);

// Same checks on an already decoded instruction.
Status ValidateInstruction(const isa::Instruction& insn, const DeviceConfig& config,
                           const HostMemory& host);

// One past the last byte a 2-D pattern of `count` items touches, each item
// `width` bytes: item i is at base + (i / inner)*outer + (i % inner)*stride
// (the address pattern of MATMUL, VMACC and the pools; count, inner >= 1).
uint64_t PatternEnd(uint64_t base, uint64_t count, uint64_t inner, uint64_t stride, uint64_t outer,
                    uint64_t width);

// POSTPROC's output: the ABUF address of accumulator row i's first channel,
// and one past the last byte it writes (docs/ISA.md: dst_row_len, dst_row_pitch).
uint64_t PostprocDst(const isa::PostprocArgs& a, uint64_t i);
uint64_t PostprocEnd(const isa::PostprocArgs& a);

// The ABUF bytes an instruction reads, as [begin, end) spans (a 2-D pattern
// as one span from its first to its last byte); none for instructions that
// read no ABUF. For a validated instruction (the compiler uses it to place
// DMA tokens).
std::vector<std::pair<uint64_t, uint64_t>> AbufReads(const isa::Instruction& insn);

}  // namespace systole::sim

#endif  // SYSTOLE_ARCH_VALIDATE_H_
