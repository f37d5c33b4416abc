#include "arch/estimator.h"

#include <algorithm>
#include <cinttypes>
#include <deque>

#include "arch/cycle_model.h"
#include "arch/issue.h"
#include "arch/tokens.h"
#include "arch/validate.h"

namespace systole::sim {

StatusOr<Estimate> EstimateCycles(const std::vector<isa::InsnWord>& program, const DeviceConfig& config,
                                  const HostMemory& host, std::vector<InstructionSpan>* spans) {
  RETURN_IF_ERROR(config.Validate());
  struct Item {
    isa::Instruction insn;
    uint64_t visible;  // pc + 1: the cycle after fetch dispatched it
  };
  std::deque<Item> queues[3];
  for (uint64_t pc = 0; pc < program.size(); ++pc) {
    ASSIGN_OR_RETURN(isa::Instruction insn, DecodeAndValidate(program[pc], pc, config, host));
    queues[static_cast<int>(insn.unit())].push_back(Item{insn, pc + 1});
  }
  std::vector<uint64_t> arrivals[kNumTokenQueues];  // arrival cycle of each pushed token
  size_t popped[kNumTokenQueues] = {0, 0, 0, 0};
  uint64_t free_at[3] = {0, 0, 0};
  // The compute core's accept rules (MATMULs overlap, POSTPROC runs beside
  // them): arch/issue.h.
  IssueModel issue(config.core());
  Estimate est;
  uint64_t end_max = 0;
  for (;;) {
    bool progress = false;
    for (int u = 0; u < 3; ++u) {
      while (!queues[u].empty()) {
        const Item& it = queues[u].front();
        const TokenRoutes r = RoutesOf(it.insn.unit());
        const bool compute = u == static_cast<int>(isa::Unit::kCompute);
        uint64_t start = std::max(it.visible, free_at[u]);
        bool ready = true;
        for (auto [flag, q] : {std::pair{it.insn.deps.pop_prev, r.pop_prev},
                               std::pair{it.insn.deps.pop_next, r.pop_next}}) {
          if (!flag) continue;
          if (popped[q] >= arrivals[q].size()) {
            ready = false;
            break;
          }
          start = std::max(start, arrivals[q][popped[q]]);
        }
        if (!ready) break;
        if (compute) start = issue.EarliestAccept(it.insn, start);
        if (it.insn.deps.pop_prev) ++popped[r.pop_prev];
        if (it.insn.deps.pop_next) ++popped[r.pop_next];
        const uint64_t t =
            compute ? ComputeCycles(it.insn, config.core()) : DmaCycles(DmaBytes(it.insn), config);
        const uint64_t end = start + t - 1;
        if (spans) spans->push_back(InstructionSpan{u, it.visible - 1, start, t});
        if (compute) {  // the cycles in which anything is in flight (instructions overlap)
          if (end + 1 > issue.all_done()) est.compute_busy += end + 1 - std::max(start, issue.all_done());
          issue.Accept(it.insn, start);
        } else {
          (u == 0 ? est.load_busy : est.store_busy) += t;
        }
        if (it.insn.deps.push_prev) arrivals[r.push_prev].push_back(end + 1);
        if (it.insn.deps.push_next) arrivals[r.push_next].push_back(end + 1);
        if (!compute) free_at[u] = end + 1;
        end_max = std::max(end_max, end + 1);
        queues[u].pop_front();
        progress = true;
      }
    }
    if (queues[0].empty() && queues[1].empty() && queues[2].empty()) break;
    if (!progress) return FailedPrecondition("estimator: deadlock (a pop has no matching push)");
  }
  // The run lasts at least until fetch has dispatched everything.
  est.cycles = std::max<uint64_t>(end_max, program.size());
  return est;
}

}  // namespace systole::sim
