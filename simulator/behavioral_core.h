// The behavioural compute core: ComputeCore implemented with the shared ISA
// semantics (semantics.h) and the cycle formulas (cycle_model.h). It holds an
// accepted instruction for exactly T cycles and makes all of the
// instruction's memory reads and writes in its done cycle; for race-free
// programs (every buffer handed between units with a token) this is
// indistinguishable from the RTL, which spreads them over the T cycles.
#ifndef SYSTOLE_SIMULATOR_BEHAVIORAL_CORE_H_
#define SYSTOLE_SIMULATOR_BEHAVIORAL_CORE_H_

#include <memory>

#include "arch/compute_core.h"

namespace systole::sim {

std::unique_ptr<ComputeCore> MakeBehavioralCore(const CoreConfig& config, const CoreMemories& mem);

}  // namespace systole::sim

#endif  // SYSTOLE_SIMULATOR_BEHAVIORAL_CORE_H_
