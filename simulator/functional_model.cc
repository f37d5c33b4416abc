#include "simulator/functional_model.h"

#include <cinttypes>
#include <deque>

#include "arch/cycle_model.h"
#include "arch/tokens.h"
#include "arch/validate.h"

namespace systole::sim {

FunctionalModel::FunctionalModel(const DeviceConfig& config) : config_(config), memory_(config) {}

StatusOr<FunctionalStats> FunctionalModel::Run(const std::vector<isa::InsnWord>& program,
                                               const HostMemory& host) {
  RETURN_IF_ERROR(config_.Validate());
  struct Item {
    isa::Instruction insn;
    uint64_t pc;
  };
  std::deque<Item> queues[3];
  for (uint64_t pc = 0; pc < program.size(); ++pc) {
    ASSIGN_OR_RETURN(isa::Instruction insn, DecodeAndValidate(program[pc], pc, config_, host));
    queues[static_cast<int>(insn.unit())].push_back(Item{insn, pc});
  }
  core_.Reset(config_.core());
  const CoreMemories mem = memory_.view();
  TokenCounts tokens{};
  FunctionalStats stats;
  for (;;) {
    bool progress = false;
    for (int u = 0; u < 3; ++u) {
      while (!queues[u].empty() && TokensReady(queues[u].front().insn, tokens)) {
        const isa::Instruction& insn = queues[u].front().insn;
        PopTokens(insn, &tokens);
        if (u == static_cast<int>(isa::Unit::kCompute)) {
          ExecuteCompute(insn, config_.core(), mem, &core_);
          stats.macs += MacCount(insn, config_.core());
        } else {
          ExecuteDma(insn, host, mem);
          (u == static_cast<int>(isa::Unit::kLoad) ? stats.bytes_loaded : stats.bytes_stored) += DmaBytes(insn);
        }
        PushTokens(insn, &tokens);
        ++stats.instructions;
        queues[u].pop_front();
        progress = true;
      }
    }
    if (queues[0].empty() && queues[1].empty() && queues[2].empty()) return stats;
    if (!progress) {
      std::string heads;
      for (int u = 0; u < 3; ++u)
        if (!queues[u].empty())
          heads += StrFormat(" %s unit waits at instruction %" PRIu64 " (%s);",
                             isa::UnitName(static_cast<isa::Unit>(u)), queues[u].front().pc,
                             isa::OpcodeName(queues[u].front().insn.opcode()));
      return FailedPrecondition("deadlock: no unit can make progress:%s", heads.c_str());
    }
  }
}

}  // namespace systole::sim
