#include "compiler/abuf_alloc.h"

#include <gtest/gtest.h>

#include <climits>

namespace systole::compiler {
namespace {

Root MakeRoot(int64_t bytes, int first, int last, std::vector<int> uses, bool pinned = false) {
  Root r;
  r.bytes = bytes;
  r.first = first;
  r.last = last;
  r.uses = std::move(uses);
  r.pinned = pinned;
  return r;
}

std::string Label(int step) { return "step " + std::to_string(step); }

TEST(AbufAlloc, OverlappingLifetimesNeverShareBytesAndAddressesAre64Aligned) {
  std::vector<Root> roots = {MakeRoot(100, -1, 1, {0, 1}, true), MakeRoot(100, 0, 2, {0, 2}),
                             MakeRoot(50, 2, 3, {2, 3}), MakeRoot(10, 3, INT32_MAX, {3}, true)};
  StatusOr<AbufAllocation> a = AllocateAbuf(&roots, 1024, true, 0, Label);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(roots[0].addr, 0u);
  EXPECT_EQ(roots[1].addr, 128u);  // alive with root 0: after it, 64-aligned
  EXPECT_EQ(roots[2].addr, 0u);    // root 0 is dead by step 2: its bytes are reused
  EXPECT_EQ(roots[3].addr, 64u);   // alive with root 2 (bytes [0, 50))
  EXPECT_EQ(a->peak, 228u);
  EXPECT_EQ(a->scratch_bytes, 0u);
  for (const Root& r : roots) EXPECT_FALSE(r.spilled);
}

TEST(AbufAlloc, SpillsTheLargestIdleRootAndPlacesItPerUseStep) {
  // X is written in step 0 and read in step 3, idle in 1 and 2, where Y needs
  // the room: X moves to host memory and is on chip only in steps 0 and 3.
  std::vector<Root> roots = {MakeRoot(200, 0, 3, {0, 3}), MakeRoot(200, 1, 2, {1, 2}, true)};
  StatusOr<AbufAllocation> a = AllocateAbuf(&roots, 256, true, 64, Label);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_TRUE(roots[0].spilled);
  EXPECT_FALSE(roots[1].spilled);
  ASSERT_EQ(roots[0].seg_addr.size(), 2u);
  EXPECT_EQ(roots[0].seg_addr.at(0), 0u);
  EXPECT_EQ(roots[0].seg_addr.at(3), 0u);
  EXPECT_EQ(roots[1].addr, 0u);
  EXPECT_EQ(roots[0].scratch_offset, 64u);  // after the scratch already in use
  EXPECT_EQ(a->scratch_bytes, 256u);        // 200 bytes, 64-aligned
  EXPECT_EQ(a->peak, 200u);
}

TEST(AbufAlloc, NoSpillWithoutPermissionNamesTheStep) {
  std::vector<Root> roots = {MakeRoot(200, 0, 3, {0, 3}), MakeRoot(200, 1, 2, {1, 2}, true)};
  StatusOr<AbufAllocation> a = AllocateAbuf(&roots, 256, /*may_spill=*/false, 0, Label);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("200-byte tensor needed in step 1 (step 1)"), std::string::npos)
      << a.status().ToString();
  EXPECT_NE(a.status().message().find("needs cached parameters"), std::string::npos);
  EXPECT_FALSE(roots[0].spilled);
}

TEST(AbufAlloc, FailsWhenNothingIsIdle) {
  // Both alive and used in every step of their lifetimes: nothing to spill.
  std::vector<Root> roots = {MakeRoot(200, 0, 1, {0, 1}), MakeRoot(100, 1, 2, {1, 2})};
  StatusOr<AbufAllocation> a = AllocateAbuf(&roots, 256, true, 0, Label);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("even with idle tensors moved to host memory"), std::string::npos)
      << a.status().ToString();
}

// Input cascade placement (two band phases): B (alive after A) may share
// bytes with A only where it touches none in an earlier phase than A does.
TEST(AbufAlloc, PhasedPlacementSharesOnlyBytesNoLaterPhaseTouches) {
  // A: 256 bytes, [0, 128) touched in phase 0 only, [128, 256) in phase 1.
  // B: 256 bytes, its first 128 in phase 0, the rest in phase 1.
  const PhaseSpans a_spans = {{{0, 128}}, {{128, 256}}};
  const PhaseSpans b_spans = {{{0, 128}}, {{128, 256}}};
  auto run = [&](uint32_t abuf, int top_down_before, std::vector<Root>* roots) {
    *roots = {MakeRoot(256, 0, 0, {0}), MakeRoot(256, 1, 1, {1})};
    return AllocateAbufPhased(roots, abuf, {a_spans, b_spans}, top_down_before);
  };
  std::vector<Root> roots;
  // Room for both: B's phase-0 half may not go over A's phase-1 half, so B
  // starts at A's phase-1 half's end or its own phase-1 half covers it:
  // B at 128 puts B's [0, 128) over A's [128, 256) (phase 1): refused; B at
  // 0 puts B's phase-0 half over A's phase-0 half and its phase-1 half over
  // A's phase-1 half: allowed.
  StatusOr<AbufAllocation> a = run(1024, INT_MIN, &roots);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(roots[0].addr, 0u);
  EXPECT_EQ(roots[1].addr, 0u);
  EXPECT_EQ(a->fallbacks, 0);
  EXPECT_EQ(a->first_fallback, INT_MAX);
  // A placed from the top down (top_down_before = 1): at 1024 - 256.
  a = run(1024, 1, &roots);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(roots[0].addr, 768u);
  // B (bottom-up) takes the lowest candidate: 0, beside A.
  EXPECT_EQ(roots[1].addr, 0u);
  // B's phases reversed (phase-1 half first): over A at 0 its phase-0 half
  // would hit A's phase-1 half, so it goes beside A.
  roots = {MakeRoot(256, 0, 0, {0}), MakeRoot(256, 1, 1, {1})};
  a = AllocateAbufPhased(&roots, 1024, {a_spans, PhaseSpans{{{128, 256}}, {{0, 128}}}}, INT_MIN);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(roots[1].addr, 256u);
  EXPECT_EQ(a->fallbacks, 0);
  // No room beside A: B goes where the lifetimes allow, counted as a fallback.
  roots = {MakeRoot(256, 0, 0, {0}), MakeRoot(256, 1, 1, {1})};
  a = AllocateAbufPhased(&roots, 256, {a_spans, PhaseSpans{{{128, 256}}, {{0, 128}}}}, INT_MIN);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(roots[1].addr, 0u);
  EXPECT_EQ(a->fallbacks, 1);
  EXPECT_EQ(a->first_fallback, 1);
  // Overlapping lifetimes never share bytes, whatever the phases.
  roots = {MakeRoot(256, 0, 1, {0, 1}), MakeRoot(256, 1, 1, {1})};
  a = AllocateAbufPhased(&roots, 256, {a_spans, b_spans}, INT_MIN);
  EXPECT_FALSE(a.ok());
}

}  // namespace
}  // namespace systole::compiler
