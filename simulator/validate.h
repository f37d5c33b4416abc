// The device's security boundary: every instruction is checked here before it
// is queued (fetch/decode in the SystemC model, dispatch in the functional
// model), so no unit ever sees an out-of-range address.
#ifndef SYSTOLE_SIMULATOR_VALIDATE_H_
#define SYSTOLE_SIMULATOR_VALIDATE_H_

#include <cstdint>

#include "common/status.h"
#include "schema/isa/isa_generated.h"
#include "simulator/device_config.h"
#include "simulator/host_memory.h"

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

}  // namespace systole::sim

#endif  // SYSTOLE_SIMULATOR_VALIDATE_H_
