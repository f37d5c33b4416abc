// The compute-core slot of the Systole device model.
//
// The device (SystemC model) owns the on-chip memories and the compute
// instruction queue; a ComputeCore executes compute-unit instructions (every
// opcode whose unit is COMPUTE: NOP, SETREG, LOAD_WEIGHTS, MATMUL, POSTPROC,
// VMACC, VADD, VSUB, VMUL, VLUT, VFILL, MAXPOOL, AVGPOOL). Two implementations
// fill the slot and must be cycle-identical and bit-exact:
//   * the behavioural core (simulator/behavioral_core.h), and
//   * the Verilated RTL core, adapter in rtl/sim/rtl_compute_core.h, which
//     clocks the RTL and services its memory ports from CoreMemories.
// The full contract (ports, latencies, per-instruction cycle counts) is
// docs/accelerator.md, section "Compute-core contract".
//
// Lifecycle: construct with (CoreConfig, CoreMemories) -> Step() once per
// clock cycle -> Reset() between programs -> destroy. The memories outlive the
// core; the core never frees them.
//
// Timing contract, for an instruction presented with Step(&insn) in a cycle t
// in which Ready(insn) is true (the valid/ready handshake completes in t):
//   * the instruction is busy in cycles t .. t+T-1, T = ComputeCycles(insn,
//     config) (arch/cycle_model.h, the formulas of docs/ISA.md);
//   * Step() reports its done in cycle t+T-1, and by then every memory write
//     of the instruction has been made: on the array lane (kDoneArray) for a
//     MATMUL, on the post lane (kDonePost) for a POSTPROC, on the other lane
//     (kDoneOther) for every other instruction but PRELOAD_WEIGHTS, which
//     completes in its accept cycle without a done;
//   * when the core accepts the next instruction follows the issue rules of
//     arch/issue.h (IssueModel): the issue interval O = ComputeIssueCycles of
//     the previous one, MATMULs overlapping each other's drain, a POSTPROC
//     running beside MATMULs that touch none of its rows and bytes, a
//     VMACC_WIDE beside a POSTPROC likewise, and everything else waiting
//     until nothing is in flight. Each lane's dones come in program order;
//     the lanes may complete in the same cycle.
// Step(nullptr) means valid is low. While the core is idle the device may
// leave out Step(nullptr) calls (RunOptions::fast_forward skips stretches in
// which nothing can happen): an idle core must have no observable behaviour.
// The device only presents an instruction
// when Ready() is true for it and it has already checked it (see validate.h),
// so a core may assume every field and address is in range.
#ifndef SYSTOLE_ARCH_COMPUTE_CORE_H_
#define SYSTOLE_ARCH_COMPUTE_CORE_H_

#include <cstdint>

#include "schema/isa/isa_generated.h"

namespace systole::sim {

struct CoreConfig {
  int rows = 16;  // R: array rows = input depth per pass (2..256)
  int cols = 16;  // C: array columns = output channels / vector lanes (2..256)
};

// On-chip memories, owned by the device. All little-endian.
struct CoreMemories {
  uint8_t* abuf = nullptr;  // activation buffer, byte addressed
  uint32_t abuf_bytes = 0;
  uint8_t* pbuf = nullptr;  // parameter cache, byte addressed
  uint32_t pbuf_bytes = 0;
  int32_t* acc = nullptr;  // accumulators: acc_rows x cols int32, row-major
  uint32_t acc_rows = 0;
};

// Done lanes, the bits of ComputeCore::Step()'s result (arch/issue.h DoneBit).
inline constexpr uint32_t kDoneArray = 1;  // a MATMUL completed
inline constexpr uint32_t kDoneOther = 2;  // any other instruction (not PRELOAD_WEIGHTS, not POSTPROC)
inline constexpr uint32_t kDonePost = 4;   // a POSTPROC completed

class ComputeCore {
 public:
  virtual ~ComputeCore() = default;
  virtual const char* Name() const = 0;
  // Back to idle: pipelines empty, weights and vector registers zero. The
  // memories are not touched.
  virtual void Reset() = 0;
  // Whether the core implements a COMPUTE opcode. A core under construction
  // (the RTL) may implement a subset; the device rejects a program that uses
  // anything else with UNIMPLEMENTED at fetch, naming the opcode and the core.
  virtual bool Supports(isa::Opcode op) const { return true; }
  // The core would accept `next` in the current cycle (ready).
  virtual bool Ready(const isa::Instruction& next) const = 0;
  // Advances one clock cycle; returns the lanes on which an instruction
  // completed in it (kDoneArray | kDoneOther | kDonePost, 0: none). See the timing
  // contract above.
  virtual uint32_t Step(const isa::Instruction* insn) = 0;
  // Fast-forward support for event-driven simulation: how many of the next
  // cycles are certain to be Step(nullptr) == 0 with no observable effect
  // and no change of Ready(x) for any x. A core that must be clocked every cycle (the RTL) returns 0.
  virtual uint64_t SkippableCycles() const { return 0; }
  // Skips `cycles` <= SkippableCycles() cycles at once.
  virtual void Skip(uint64_t cycles) {}
};

}  // namespace systole::sim

#endif  // SYSTOLE_ARCH_COMPUTE_CORE_H_
