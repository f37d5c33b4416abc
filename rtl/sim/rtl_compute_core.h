// The Verilated compute core (rtl/systole_core.sv) in the device model's
// compute-core slot: a sim::ComputeCore (arch/compute_core.h) that clocks
// the RTL once per Step() and services its memory ports from the device's
// CoreMemories with ServiceCorePorts() (arch/core_ports.h). That is the
// whole co-simulation boundary; the contract is docs/accelerator.md,
// "Compute-core contract".
//
// Lifecycle: MakeRtlComputeCore(config, memories, options) -> Step() once per
// clock cycle (the device) -> Reset() between programs -> destroy (closes the
// FST trace). The memories outlive the core. One instance owns one
// VerilatedContext and one model; instances are independent, not thread-safe.
#ifndef SYSTOLE_RTL_SIM_RTL_COMPUTE_CORE_H_
#define SYSTOLE_RTL_SIM_RTL_COMPUTE_CORE_H_

#include <memory>
#include <string>

#include "common/status.h"
#include "arch/compute_core.h"
#include "arch/rtl_core.h"

namespace systole::rtl {

// The array sizes (rows, cols) Verilated into systole_rtl_models. Keep in sync
// with SYSTOLE_RTL_CORE_CONFIGS in rtl/CMakeLists.txt.
#define SYSTOLE_RTL_CORE_CONFIGS(X) \
  X(8, 8)                           \
  X(16, 16)                         \
  X(64, 64)

// RtlCoreOptions and MakeRtlComputeCore are declared in arch/rtl_core.h (the
// machine description), so that no component outside rtl/ includes rtl/.

}  // namespace systole::rtl

#endif  // SYSTOLE_RTL_SIM_RTL_COMPUTE_CORE_H_
