#include "simulator/behavioral_core.h"

#include <algorithm>
#include <deque>

#include "arch/cycle_model.h"
#include "simulator/semantics.h"

namespace systole::sim {
namespace {

// Semantics are sequential (docs/ISA.md): MATMUL and PRELOAD_WEIGHTS take
// effect in their accept cycle, every other instruction in its done cycle.
// That is program order, because anything but a MATMUL or PRELOAD_WEIGHTS is
// accepted only after every earlier instruction has completed, and only
// MATMULs are in flight together (their ACC writes are in order, and each
// keeps the weights it was accepted with: the RTL's weight banks).
class BehavioralCore final : public ComputeCore {
 public:
  BehavioralCore(const CoreConfig& c, const CoreMemories& m) : config_(c), mem_(m) { Reset(); }
  const char* Name() const override { return "behavioral"; }
  void Reset() override {
    state_.Reset(config_);
    now_ = 0;
    issue_at_ = 0;
    inflight_.clear();
  }
  bool Ready(const isa::Instruction& next) const override {
    return now_ >= issue_at_ && (inflight_.empty() || OverlapsMatmulDrain(next.opcode()));
  }
  bool Step(const isa::Instruction* insn) override {
    if (insn != nullptr) {
      issue_at_ = now_ + ComputeIssueCycles(*insn, config_);
      if (OverlapsMatmulDrain(insn->opcode())) ExecuteCompute(*insn, config_, mem_, &state_);
      if (insn->opcode() != isa::Opcode::kPreloadWeights)
        inflight_.push_back(InFlight{*insn, now_ + ComputeCycles(*insn, config_) - 1});
    }
    bool done = false;
    if (!inflight_.empty() && inflight_.front().done_at == now_) {
      const isa::Instruction& head = inflight_.front().insn;
      if (!OverlapsMatmulDrain(head.opcode())) ExecuteCompute(head, config_, mem_, &state_);
      inflight_.pop_front();
      done = true;
    }
    ++now_;
    return done;
  }
  uint64_t SkippableCycles() const override {
    uint64_t next = UINT64_MAX;
    if (!inflight_.empty()) next = inflight_.front().done_at;
    if (issue_at_ > now_) next = std::min(next, issue_at_);
    return next == UINT64_MAX ? 0 : next - now_;
  }
  void Skip(uint64_t cycles) override { now_ += cycles; }

 private:
  struct InFlight {
    isa::Instruction insn;
    uint64_t done_at;  // the done cycle
  };
  CoreConfig config_;
  CoreMemories mem_;
  CoreState state_;
  uint64_t now_ = 0;       // cycles stepped since Reset
  uint64_t issue_at_ = 0;  // the first cycle the next instruction may be accepted
  std::deque<InFlight> inflight_;
};

}  // namespace

std::unique_ptr<ComputeCore> MakeBehavioralCore(const CoreConfig& config, const CoreMemories& mem) {
  return std::make_unique<BehavioralCore>(config, mem);
}

}  // namespace systole::sim
