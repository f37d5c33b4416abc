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

// ISA 7: a VMACC_WIDE (serial) starts beside a POSTPROC unless it writes the
// POSTPROC's rows or reads its output, but still after every other
// instruction; POSTPROCs complete on their own done lane.
TEST(IssueModel, VmaccWideBesidePostproc) {
  CoreConfig core{8, 8};
  auto pp = [](uint32_t m, uint32_t acc, uint32_t dst) {
    return isa::Instruction{{}, isa::PostprocArgs{m, 8, acc, dst, 8, 0, 0, -128, 127}};
  };
  auto vw = [](uint32_t m, uint32_t acc, uint32_t a) {
    isa::VmaccWideArgs v;
    v.m = m, v.n = 8, v.acc_addr = acc, v.a_addr = a, v.a_inner_count = m, v.a_inner_stride = 8;
    return isa::Instruction{{}, v};
  };
  EXPECT_EQ(DoneLaneOf(isa::Opcode::kPostproc), DoneLane::kPost);
  EXPECT_EQ(DoneLaneOf(isa::Opcode::kVmaccWide), DoneLane::kOther);
  IssueModel s(core);
  s.Accept(pp(80, 0, 1000), 0);  // T = 20 + 9 = 29: busy until 28, O = 3
  EXPECT_EQ(s.EarliestAccept(vw(16, 100, 0), 0), 3u);     // beside it
  EXPECT_EQ(s.EarliestAccept(vw(16, 70, 0), 0), 29u);     // writes its rows
  EXPECT_EQ(s.EarliestAccept(vw(16, 100, 1600), 0), 29u); // reads its output
  EXPECT_EQ(s.EarliestAccept(isa::Instruction{{}, isa::NopArgs{}}, 0), 29u);  // others: everything done
  s.Accept(vw(16, 100, 0), 3);  // T = ceil(16/8) + 3 = 5: done in 7
  EXPECT_EQ(s.EarliestAccept(vw(16, 200, 0), 0), 8u);     // serial after the first
  EXPECT_EQ(s.EarliestAccept(pp(4, 300, 3000), 0), 29u);  // one POSTPROC at a time
}

}  // namespace
}  // namespace systole::sim
