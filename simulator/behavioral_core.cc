#include "simulator/behavioral_core.h"

#include "arch/cycle_model.h"
#include "simulator/semantics.h"

namespace systole::sim {
namespace {

class BehavioralCore final : public ComputeCore {
 public:
  BehavioralCore(const CoreConfig& c, const CoreMemories& m) : config_(c), mem_(m) { Reset(); }
  const char* Name() const override { return "behavioral"; }
  void Reset() override {
    state_.Reset(config_);
    remaining_ = 0;
  }
  bool Ready() const override { return remaining_ == 0; }
  bool Step(const isa::Instruction* insn) override {
    if (remaining_ == 0) {
      if (insn == nullptr) return false;
      current_ = *insn;
      remaining_ = ComputeCycles(*insn, config_);  // >= 1
    }
    if (--remaining_ > 0) return false;
    ExecuteCompute(current_, config_, mem_, &state_);
    return true;
  }
  uint64_t SkippableCycles() const override { return remaining_ > 1 ? remaining_ - 1 : 0; }
  void Skip(uint64_t cycles) override { remaining_ -= cycles; }

 private:
  CoreConfig config_;
  CoreMemories mem_;
  CoreState state_;
  isa::Instruction current_;
  uint64_t remaining_ = 0;  // busy cycles left, including the done cycle
};

}  // namespace

std::unique_ptr<ComputeCore> MakeBehavioralCore(const CoreConfig& config, const CoreMemories& mem) {
  return std::make_unique<BehavioralCore>(config, mem);
}

}  // namespace systole::sim
