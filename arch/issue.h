// The compute core's issue rules (docs/accelerator.md, "Compute-core
// contract"), clock-free: given the instructions accepted so far, the first
// cycle at which the next one may be accepted. The one copy used by the
// behavioural core, the estimator and the compile report (the RTL sequencer
// implements the same rules in systole_seq.sv).
//
// Three kinds of COMPUTE instruction:
//   * MATMUL and PRELOAD_WEIGHTS (array): accepted while MATMULs drain;
//   * POSTPROC (post-processing lane): accepted while MATMULs run, unless one
//     of them writes an accumulator row it reads; at most one in flight;
//   * everything else (serial): accepted only when nothing is in flight,
//     except that VMACC_WIDE (ISA 7) may start beside a POSTPROC.
// and, for every instruction, the issue interval O of the one before it
// (ComputeIssueCycles). A MATMUL or VMACC_WIDE accepted while a POSTPROC runs
// must neither write accumulator rows the POSTPROC reads nor read ABUF bytes
// it writes.
#ifndef SYSTOLE_ARCH_ISSUE_H_
#define SYSTOLE_ARCH_ISSUE_H_

#include <cstdint>
#include <deque>

#include "arch/compute_core.h"
#include "arch/validate.h"
#include "schema/isa/isa_generated.h"

namespace systole::sim {

// Which done signal an instruction completes on: MATMULs on the array lane,
// POSTPROCs on the post lane, every other instruction but PRELOAD_WEIGHTS (no
// done) on the other lane. Each lane completes in program order; all three
// may complete in one cycle. DoneBit: the lane's bit of ComputeCore::Step().
enum class DoneLane { kNone, kArray, kOther, kPost };
DoneLane DoneLaneOf(isa::Opcode op);
inline constexpr int kDoneLanes = 3;
constexpr int DoneLaneIndex(DoneLane l) { return static_cast<int>(l) - 1; }  // 0 .. kDoneLanes-1
constexpr uint32_t DoneBit(DoneLane l) { return 1u << DoneLaneIndex(l); }
static_assert(DoneBit(DoneLane::kArray) == kDoneArray && DoneBit(DoneLane::kOther) == kDoneOther &&
              DoneBit(DoneLane::kPost) == kDonePost);

class IssueModel {
 public:
  explicit IssueModel(const CoreConfig& core) : core_(core) {}
  void Reset() { *this = IssueModel(core_); }
  // The first cycle >= t at which insn may be accepted.
  uint64_t EarliestAccept(const isa::Instruction& insn, uint64_t t) const;
  // Records insn as accepted in cycle t (t >= EarliestAccept(insn, t)).
  void Accept(const isa::Instruction& insn, uint64_t t);
  // One past the last done cycle of everything accepted so far.
  uint64_t all_done() const { return all_done_; }
  // The first cycle the issue interval of the last accept allows.
  uint64_t issue_at() const { return issue_at_; }

 private:
  struct Range {
    uint64_t begin = 0, end = 0;  // [begin, end)
    bool Overlaps(const Range& o) const { return begin < o.end && o.begin < end; }
  };
  struct Matmul {
    uint64_t done;  // done cycle
    Range acc;      // accumulator rows written
  };
  // The first cycle >= s at which an instruction writing ACC rows
  // [acc_addr, acc_addr + m) and reading the ABUF pattern of `width`-byte
  // vectors at a_addr (MATMUL, VMACC_WIDE) may start beside the POSTPROC in
  // flight: s, or after the POSTPROC if it touches its rows or output.
  template <typename Args>
  uint64_t BesidePost(const Args& a, uint64_t width, uint64_t s) const {
    const Range acc{a.acc_addr, uint64_t{a.acc_addr} + a.m};
    const Range reads{a.a_addr, PatternEnd(a.a_addr, a.m, a.a_inner_count, a.a_inner_stride, a.a_outer_stride, width)};
    if (post_ && post_done_ >= s && (acc.Overlaps(post_acc_) || reads.Overlaps(post_abuf_))) return post_done_ + 1;
    return s;
  }
  CoreConfig core_;
  uint64_t issue_at_ = 0;  // previous accept + its issue interval
  uint64_t all_done_ = 0;
  uint64_t other_done_ = 0;  // one past the last done cycle of all but POSTPROCs
  std::deque<Matmul> matmuls_;  // accepted, possibly still in flight
  bool post_ = false;           // a POSTPROC was accepted (post_done_ says until when)
  uint64_t post_done_ = 0;
  Range post_acc_, post_abuf_;  // its accumulator rows, its ABUF writes
};

}  // namespace systole::sim

#endif  // SYSTOLE_ARCH_ISSUE_H_
