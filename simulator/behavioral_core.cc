#include "simulator/behavioral_core.h"

#include <algorithm>
#include <deque>

#include "arch/cycle_model.h"
#include "arch/issue.h"
#include "simulator/semantics.h"

namespace systole::sim {
namespace {

// Semantics are sequential (docs/ISA.md). MATMUL, PRELOAD_WEIGHTS and
// POSTPROC take effect in their accept cycle, every other instruction in its
// done cycle. That is program order: an instruction of the last kind is
// accepted only when nothing is in flight (VMACC_WIDE: nothing but a
// POSTPROC, already applied) and nothing is accepted before it is done, and
// the instructions in flight together touch disjoint
// accumulator rows and ABUF bytes where one writes what another uses
// (arch/issue.h), with each MATMUL keeping the weights it was accepted with
// (the RTL's weight banks).
class BehavioralCore final : public ComputeCore {
 public:
  BehavioralCore(const CoreConfig& c, const CoreMemories& m) : config_(c), mem_(m), issue_(c) { Reset(); }
  const char* Name() const override { return "behavioral"; }
  void Reset() override {
    state_.Reset(config_);
    now_ = 0;
    issue_.Reset();
    for (auto& l : lanes_) l.clear();
  }
  bool Ready(const isa::Instruction& next) const override { return issue_.EarliestAccept(next, now_) == now_; }
  uint32_t Step(const isa::Instruction* insn) override {
    if (insn != nullptr) {
      issue_.Accept(*insn, now_);
      const isa::Opcode op = insn->opcode();
      if (AtAccept(op)) ExecuteCompute(*insn, config_, mem_, &state_);
      const DoneLane lane = DoneLaneOf(op);
      if (lane != DoneLane::kNone)
        lanes_[DoneLaneIndex(lane)].push_back(InFlight{*insn, now_ + ComputeCycles(*insn, config_) - 1});
    }
    uint32_t done = 0;
    for (int l = 0; l < kDoneLanes; ++l) {
      if (lanes_[l].empty() || lanes_[l].front().done_at != now_) continue;
      const isa::Instruction& head = lanes_[l].front().insn;
      if (!AtAccept(head.opcode())) ExecuteCompute(head, config_, mem_, &state_);
      lanes_[l].pop_front();
      done |= 1u << l;
    }
    ++now_;
    return done;
  }
  uint64_t SkippableCycles() const override {
    uint64_t next = UINT64_MAX;
    for (const auto& l : lanes_)
      if (!l.empty()) next = std::min(next, l.front().done_at);
    const uint64_t free = issue_.issue_at();
    if (free > now_) next = std::min(next, free);
    return next == UINT64_MAX ? 0 : next - now_;
  }
  void Skip(uint64_t cycles) override { now_ += cycles; }

 private:
  static bool AtAccept(isa::Opcode op) {
    return op == isa::Opcode::kMatmul || op == isa::Opcode::kPreloadWeights || op == isa::Opcode::kPostproc;
  }
  struct InFlight {
    isa::Instruction insn;
    uint64_t done_at;  // the done cycle
  };
  CoreConfig config_;
  CoreMemories mem_;
  CoreState state_;
  IssueModel issue_;
  uint64_t now_ = 0;  // cycles stepped since Reset
  std::deque<InFlight> lanes_[kDoneLanes];  // by DoneLaneIndex: array (MATMUL), other, post (POSTPROC)
};

}  // namespace

std::unique_ptr<ComputeCore> MakeBehavioralCore(const CoreConfig& config, const CoreMemories& mem) {
  return std::make_unique<BehavioralCore>(config, mem);
}

}  // namespace systole::sim
