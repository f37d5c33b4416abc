#include "compiler/abuf_alloc.h"

#include <algorithm>
#include <climits>
#include <map>
#include <utility>

namespace systole::compiler {
namespace {

// One placement: a whole root, or one use step of a spilled root.
struct Unit {
  int root;
  int first, last;
  int step;  // the step of a spilled root's segment, or INT32_MIN
};

std::vector<Unit> Units(const std::vector<Root>& roots) {
  std::vector<Unit> units;
  for (size_t i = 0; i < roots.size(); ++i) {
    const Root& r = roots[i];
    if (!r.spilled) {
      units.push_back({static_cast<int>(i), r.first, r.last, INT32_MIN});
      continue;
    }
    for (int s : r.uses) units.push_back({static_cast<int>(i), s, s, s});
  }
  std::stable_sort(units.begin(), units.end(), [](const Unit& a, const Unit& b) { return a.first < b.first; });
  return units;
}

// The largest root that may be spilled: not pinned, used at least twice and
// idle in some step between its first and last use. -1 if none.
int SpillCandidate(const std::vector<Root>& roots) {
  int best = -1;
  for (size_t i = 0; i < roots.size(); ++i) {
    const Root& r = roots[i];
    if (r.spilled || r.pinned || r.uses.size() < 2) continue;
    if (static_cast<int64_t>(r.uses.back() - r.uses.front() + 1) == static_cast<int64_t>(r.uses.size())) continue;
    if (best < 0 || r.bytes > roots[best].bytes) best = static_cast<int>(i);
  }
  return best;
}

}  // namespace

StatusOr<AbufAllocation> AllocateAbuf(std::vector<Root>* roots_ptr, uint32_t abuf_bytes, bool may_spill,
                                      uint64_t scratch_base,
                                      const std::function<std::string(int step)>& step_label) {
  std::vector<Root>& roots = *roots_ptr;
  while (true) {
    const std::vector<Unit> units = Units(roots);
    std::vector<std::pair<const Unit*, int64_t>> placed;
    uint64_t peak = 0;
    const Unit* failed = nullptr;
    std::map<std::pair<int, int>, uint32_t> seg;
    for (const Unit& u : units) {
      const int64_t bytes = roots[u.root].bytes;
      std::vector<std::pair<int64_t, int64_t>> busy;
      for (const auto& [o, addr] : placed)
        if (!(o->last < u.first || u.last < o->first)) busy.push_back({addr, addr + roots[o->root].bytes});
      std::sort(busy.begin(), busy.end());
      int64_t at = 0;
      for (const auto& [b, e] : busy) {
        if (at + bytes <= b) break;
        at = std::max(at, (e + 63) / 64 * 64);
      }
      if (at + bytes > abuf_bytes) {
        failed = &u;
        break;
      }
      placed.push_back({&u, at});
      peak = std::max<uint64_t>(peak, at + bytes);
      if (u.step == INT32_MIN) roots[u.root].addr = static_cast<uint32_t>(at);
      else seg[{u.root, u.step}] = static_cast<uint32_t>(at);
    }
    if (failed == nullptr) {
      AbufAllocation result;
      result.peak = peak;
      result.scratch_bytes = scratch_base;
      for (size_t i = 0; i < roots.size(); ++i) {
        Root& r = roots[i];
        r.seg_addr.clear();
        if (!r.spilled) continue;
        for (int st : r.uses) r.seg_addr[st] = seg[{static_cast<int>(i), st}];
        r.scratch_offset = result.scratch_bytes;
        result.scratch_bytes += (r.bytes + 63) / 64 * 64;
      }
      result.scratch_bytes -= scratch_base;
      return result;
    }
    const int best = SpillCandidate(roots);
    if (best < 0 || !may_spill) {
      const Root& r = roots[failed->root];
      return OutOfRange(
          "activations do not fit the %u-byte activation buffer: a %lld-byte tensor needed in step %d (%s) "
          "finds no room%s",
          abuf_bytes, static_cast<long long>(r.bytes), std::max(failed->first, 0),
          step_label(std::max(failed->first, 0)).c_str(),
          best < 0 ? " even with idle tensors moved to host memory: one operator's inputs and outputs must fit"
                   : " (moving tensors to host memory needs cached parameters)");
    }
    roots[best].spilled = true;
  }
}

StatusOr<AbufAllocation> AllocateAbufPhased(std::vector<Root>* roots_ptr, uint32_t abuf_bytes,
                                            const std::vector<PhaseSpans>& phases, int top_down_before) {
  std::vector<Root>& roots = *roots_ptr;
  for (const Root& r : roots)
    if (r.spilled) return FailedPrecondition("phased allocation: spilled root");
  const std::vector<Unit> units = Units(roots);
  size_t nphases = 1;
  for (const PhaseSpans& p : phases) nphases = std::max(nphases, p.size());
  // Root i's spans in phase k (whole root when unknown).
  using Spans = std::vector<std::pair<int64_t, int64_t>>;
  const Spans none;
  std::vector<Spans> whole(roots.size());
  for (size_t i = 0; i < roots.size(); ++i) whole[i] = {{0, roots[i].bytes}};
  auto spans = [&](int i, size_t k) -> const Spans& {
    if (static_cast<size_t>(i) < phases.size() && !phases[i].empty()) return k < phases[i].size() ? phases[i][k] : none;
    return whole[i];
  };
  // May `later` at `la` share bytes with `earlier` (dead before) at `ea`?
  auto compatible = [&](int later, int64_t la, int earlier, int64_t ea) {
    for (size_t p = 0; p + 1 < nphases; ++p)
      for (const auto& [b, e] : spans(later, p))
        for (size_t q = p + 1; q < nphases; ++q)
          for (const auto& [b2, e2] : spans(earlier, q))
            if (la + b < ea + e2 && ea + b2 < la + e) return false;
    return true;
  };
  std::vector<std::pair<const Unit*, int64_t>> placed;
  uint64_t peak = 0;
  AbufAllocation result;
  for (const Unit& u : units) {
    const int64_t bytes = roots[u.root].bytes;
    // Candidates: the bottom and the top of ABUF, and this root starting or
    // ending at a placed root's start or end (64-byte aligned).
    const int64_t top = (static_cast<int64_t>(abuf_bytes) - bytes) / 64 * 64;
    std::vector<int64_t> candidates = {0, top};
    for (const auto& [o, addr] : placed) {
      const int64_t end = (addr + roots[o->root].bytes + 63) / 64 * 64;
      for (int64_t at : {int64_t{addr}, end, (addr - bytes) / 64 * 64, (end - bytes) / 64 * 64})
        if (at >= 0 && at <= top) candidates.push_back(at);
    }
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    if (u.first < top_down_before) std::reverse(candidates.begin(), candidates.end());
    // The placed roots' byte ranges, those alive with this one apart (no
    // address may overlap them) from the dead ones (only where the phases
    // allow).
    struct Range {
      int64_t begin, end;
      int root;
    };
    std::vector<Range> live, dead;
    for (const auto& [o, addr] : placed) {
      const Range range{addr, addr + roots[o->root].bytes, o->root};
      if (!(o->last < u.first || u.last < o->first)) live.push_back(range);
      else dead.push_back(range);
    }
    // Where the phases allow; else anywhere the lifetimes allow (the cascade
    // then runs this root's work later).
    int64_t found = -1;
    for (int strict = 1; strict >= 0 && found < 0; --strict)
      for (int64_t at : candidates) {
        if (at < 0 || at + bytes > abuf_bytes) continue;
        auto overlaps = [&](const Range& o) { return at < o.end && o.begin < at + bytes; };
        bool ok = std::none_of(live.begin(), live.end(), overlaps);
        if (ok && strict)
          ok = std::none_of(dead.begin(), dead.end(),
                            [&](const Range& o) { return overlaps(o) && !compatible(u.root, at, o.root, o.begin); });
        if (ok) {
          found = at;
          if (!strict) {
            result.first_fallback = std::min(result.first_fallback, u.first);
            ++result.fallbacks;
          }
          break;
        }
      }
    if (found < 0)
      return OutOfRange("phased allocation: a %lld-byte root finds no room", static_cast<long long>(bytes));
    placed.push_back({&u, found});
    peak = std::max<uint64_t>(peak, found + bytes);
    roots[u.root].addr = static_cast<uint32_t>(found);
  }
  result.peak = peak;
  return result;
}

Status PartitionCompiler::Allocate() {
  StatusOr<AbufAllocation> alloc = AllocateAbuf(&roots_, hw_.abuf_bytes, opts_.cache_parameters, scratch_bytes_,
                                                [this](int step) { return OpLabel(step); });
  abuf_overflow_ = !alloc.ok();
  ASSIGN_OR_RETURN(AbufAllocation a, std::move(alloc));
  abuf_peak_ = a.peak;
  scratch_bytes_ += a.scratch_bytes;
  return Status::Ok();
}

}  // namespace systole::compiler
