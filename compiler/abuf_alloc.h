// ABUF allocation: first-fit of root buffers over their lifetimes, spilling
// idle roots to host memory when they do not fit (docs/compiler.md,
// "Allocation" and "Spilling").
#ifndef SYSTOLE_COMPILER_ABUF_ALLOC_H_
#define SYSTOLE_COMPILER_ABUF_ALLOC_H_

#include <climits>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "compiler/partition.h"

namespace systole::compiler {

struct AbufAllocation {
  uint64_t peak = 0;           // highest ABUF byte used + 1
  uint64_t scratch_bytes = 0;  // SCRATCH bytes of the spilled roots (64-byte aligned each)
  // AllocateAbufPhased: roots placed where the phases do not allow (the
  // first one's first step, INT_MAX if none).
  int first_fallback = INT_MAX;
  int fallbacks = 0;
};

// Gives every root an ABUF address (`addr`; spilled roots: `seg_addr` per use
// step and `scratch_offset`), 64-byte aligned. Roots whose lifetimes
// [first, last] overlap never share bytes. When a root does not fit, the
// largest root that is not pinned and is idle in some step of its lifetime
// is spilled (lives on chip only in its use steps) and allocation restarts;
// with `may_spill` false, or nothing left to spill, it fails, naming the
// step (through `step_label`) and the size of the root that found no room.
// Scratch offsets start at `scratch_base`.
StatusOr<AbufAllocation> AllocateAbuf(std::vector<Root>* roots, uint32_t abuf_bytes, bool may_spill,
                                      uint64_t scratch_base,
                                      const std::function<std::string(int step)>& step_label);

// For the input cascade (docs/tiling.md, "Input cascade"): per root and per
// input band phase k, the bytes of the root (offsets from its address, as
// [begin, end) spans) that phase k's compute or band loads touch. A root
// placed over a root that is dead by then (in program order) must not touch
// in phase p bytes that the dead root touches in a later phase q > p (the
// cascade would have to delay the later root's work to phase q). Empty
// vector: every byte in the last phase.
using PhaseSpans = std::vector<std::vector<std::pair<int64_t, int64_t>>>;

// First-fit as AllocateAbuf, never spilling, where a root shares bytes with a
// root dead before it comes alive only as `phases` allows (per root index;
// roots without an entry touch all their bytes in every phase) when it can,
// else at the first address the lifetimes allow. Candidate addresses: the
// bottom and top of ABUF and those where the root starts or ends at a placed
// root's start or end; roots coming alive before step `top_down_before` take
// the highest candidate that fits, the others the lowest.
StatusOr<AbufAllocation> AllocateAbufPhased(std::vector<Root>* roots, uint32_t abuf_bytes,
                                            const std::vector<PhaseSpans>& phases, int top_down_before);

}  // namespace systole::compiler

#endif  // SYSTOLE_COMPILER_ABUF_ALLOC_H_
