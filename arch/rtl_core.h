// The entry point of the Verilated RTL compute core, as the machine
// description states it: whoever wants the RTL in a compute-core slot (the
// driver's in-process transport, the simulator's conformance test and
// benchmark) includes this header, never rtl/. Defined by rtl/ in target
// systole_rtl_core (rtl/sim/rtl_compute_core.cc), which exists only when the
// build has the RTL (CMake option SYSTOLE_WITH_RTL and rtl not in
// SYSTOLE_EXCLUDE); callers compile their use of it under
// SYSTOLE_HAVE_RTL_CORE, which the targets linking systole_rtl_core define.
// The contract itself (ports, latencies, cycle identity) is compute_core.h.
#ifndef SYSTOLE_ARCH_RTL_CORE_H_
#define SYSTOLE_ARCH_RTL_CORE_H_

#include <memory>
#include <string>

#include "arch/compute_core.h"
#include "common/status.h"

namespace systole::rtl {

struct RtlCoreOptions {
  // Non-empty: write an FST waveform of every simulated cycle to this file
  // (2 time units per clock, rising edge at odd times).
  std::string trace_path;
};

// The RTL in the slot: Unimplemented for an R x C that was not Verilated
// (rtl/CMakeLists.txt, SYSTOLE_RTL_CORE_CONFIGS); Unavailable if the trace
// file cannot be opened.
StatusOr<std::unique_ptr<sim::ComputeCore>> MakeRtlComputeCore(const sim::CoreConfig& config,
                                                               const sim::CoreMemories& memories,
                                                               const RtlCoreOptions& options);

}  // namespace systole::rtl

#endif  // SYSTOLE_ARCH_RTL_CORE_H_
