// Dependency-token plumbing shared by the functional and SystemC models.
// Four token FIFOs (counters) connect the units, as in TVM-VTA:
//   load -> compute, compute -> load, compute -> store, store -> compute.
#ifndef SYSTOLE_ARCH_TOKENS_H_
#define SYSTOLE_ARCH_TOKENS_H_

#include <array>
#include <cstdint>

#include "schema/isa/isa_generated.h"

namespace systole::sim {

enum TokenQueue { kLoadToCompute = 0, kComputeToLoad, kComputeToStore, kStoreToCompute, kNumTokenQueues };
inline constexpr int kNoQueue = -1;

struct TokenRoutes {
  int pop_prev, pop_next, push_prev, push_next;  // TokenQueue or kNoQueue
};

inline TokenRoutes RoutesOf(isa::Unit u) {
  switch (u) {
    case isa::Unit::kLoad:
      return {kNoQueue, kComputeToLoad, kNoQueue, kLoadToCompute};
    case isa::Unit::kCompute:
      return {kLoadToCompute, kStoreToCompute, kComputeToLoad, kComputeToStore};
    case isa::Unit::kStore:
      return {kComputeToStore, kNoQueue, kStoreToCompute, kNoQueue};
  }
  return {kNoQueue, kNoQueue, kNoQueue, kNoQueue};
}

using TokenCounts = std::array<uint32_t, kNumTokenQueues>;

// True if every token the instruction pops is available.
inline bool TokensReady(const isa::Instruction& insn, const TokenCounts& t) {
  const TokenRoutes r = RoutesOf(insn.unit());
  if (insn.deps.pop_prev && t[r.pop_prev] == 0) return false;
  if (insn.deps.pop_next && t[r.pop_next] == 0) return false;
  return true;
}
inline void PopTokens(const isa::Instruction& insn, TokenCounts* t) {
  const TokenRoutes r = RoutesOf(insn.unit());
  if (insn.deps.pop_prev) --(*t)[r.pop_prev];
  if (insn.deps.pop_next) --(*t)[r.pop_next];
}
inline void PushTokens(const isa::Instruction& insn, TokenCounts* t) {
  const TokenRoutes r = RoutesOf(insn.unit());
  if (insn.deps.push_prev) ++(*t)[r.push_prev];
  if (insn.deps.push_next) ++(*t)[r.push_next];
}
// Whether the wait is for a DMA unit (load/store) rather than the compute core.
inline bool WaitsOnDma(const isa::Instruction& insn, const TokenCounts& t) {
  const TokenRoutes r = RoutesOf(insn.unit());
  auto dma_src = [](int q) { return q == kLoadToCompute || q == kStoreToCompute; };
  return (insn.deps.pop_prev && t[r.pop_prev] == 0 && dma_src(r.pop_prev)) ||
         (insn.deps.pop_next && t[r.pop_next] == 0 && dma_src(r.pop_next));
}

}  // namespace systole::sim

#endif  // SYSTOLE_ARCH_TOKENS_H_
