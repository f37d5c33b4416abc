// The issue rules (arch/issue.h) and the compute-timeline attribution
// (cycle_model.h), on hand-made cases.
#include <gtest/gtest.h>

#include <vector>

#include "arch/cycle_model.h"
#include "arch/issue.h"

namespace systole::sim {
namespace {

TEST(AttributeComputeSpans, EachCycleGoesToTheLatestStartedBusyInstruction) {
  // Back to back, with a gap: every instruction keeps its cycles.
  EXPECT_EQ(AttributeComputeSpans({{0, 5}, {5, 3}, {10, 2}}), (std::vector<uint64_t>{5, 3, 2}));
  // A pipelined MATMUL pair: the second takes the first one's drain over.
  EXPECT_EQ(AttributeComputeSpans({{0, 30}, {10, 30}}), (std::vector<uint64_t>{10, 30}));
  // A POSTPROC [0, 50) with MATMULs beside it, [3, 20) and [18, 40): the
  // second MATMUL takes [18, 40) from the first ([3, 18) stays there), the
  // POSTPROC keeps [0, 3) and [40, 50). Each cycle once: 13 + 15 + 22 = 50.
  EXPECT_EQ(AttributeComputeSpans({{0, 50}, {3, 17}, {18, 22}}), (std::vector<uint64_t>{13, 15, 22}));
  // A one-cycle PRELOAD_WEIGHTS inside a drain, then a MATMUL.
  EXPECT_EQ(AttributeComputeSpans({{0, 20}, {8, 1}, {9, 20}}), (std::vector<uint64_t>{8, 1, 20}));
  EXPECT_TRUE(AttributeComputeSpans({}).empty());
}

TEST(IssueModel, PostprocAndMatmulsWaitOnlyForWhatTheyTouch) {
  CoreConfig core{8, 8};
  auto mm = [](uint32_t m, uint32_t acc, uint32_t a) {
    isa::MatmulArgs x{m, 8, false, acc, a, m, 8, 0};
    return isa::Instruction{{}, x};
  };
  auto pp = [](uint32_t m, uint32_t acc, uint32_t dst) {
    return isa::Instruction{{}, isa::PostprocArgs{m, 8, acc, dst, 8, 0, 0, -128, 127}};
  };
  IssueModel s(core);
  const isa::Instruction a = mm(20, 0, 0);  // T = 20 + 16 = 36, O = 21
  s.Accept(a, 0);
  EXPECT_EQ(s.EarliestAccept(mm(20, 100, 0), 0), 21u);   // pipelined
  EXPECT_EQ(s.EarliestAccept(pp(20, 0, 1000), 0), 36u);  // waits for A's rows
  EXPECT_EQ(s.EarliestAccept(pp(80, 50, 1000), 0), 21u); // other rows: at the issue interval
  EXPECT_EQ(s.EarliestAccept(isa::Instruction{{}, isa::NopArgs{}}, 0), 36u);  // serial: A done
  // T = ceil(80 / POSTPROC_ROWS) + 9 = 29 (rows 50..129): busy until 49, O = 3
  static_assert(isa::kPostprocRows == 4, "the cycles below assume 4 rows a cycle");
  s.Accept(pp(80, 50, 1000), 21);
  EXPECT_EQ(s.EarliestAccept(mm(20, 200, 0), 0), 24u);   // beside it
  EXPECT_EQ(s.EarliestAccept(mm(20, 120, 0), 0), 50u);   // on its rows
  EXPECT_EQ(s.EarliestAccept(mm(20, 200, 1000), 0), 50u);  // reads its output
  EXPECT_EQ(s.EarliestAccept(pp(4, 300, 2000), 0), 50u); // one POSTPROC at a time
  EXPECT_EQ(s.EarliestAccept(mm(20, 200, 0), 60), 60u);  // later than asked: as asked
}

}  // namespace
}  // namespace systole::sim
