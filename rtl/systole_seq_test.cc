// Block test of rtl/systole_seq.sv (8x8): for random instructions of every
// COMPUTE opcode, the handshake (insn_ready_o low from the accept for the
// issue interval O; done_o exactly once, in cycle T-1 = O-1, except MATMUL:
// no done from the sequencer, its front end free after O = max(m, ceil(R/4),
// ceil((R+C-2)/8)) + L, ISA 8)
// with T and O checked against the C++ cycle model (arch/cycle_model.cc; the
// RTL's come from compute_issue_last_cycle(), generated from the "issue" /
// "cycles" formulas of schema/isa/isa.json), the drain rule (with the MATMUL
// tracker non-empty only MATMUL and PRELOAD_WEIGHTS are accepted), the one-hot datapath
// class, chunks/taps, the held instruction view, and SETREG's vector registers.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "Vsystole_seq.h"
#include "arch/issue.h"
#include "arch/validate.h"
#include "common/xorshift32.h"
#include "rtl/sim/rtl_test_util.h"
#include "rtl/sim/rtl_unit_test_util.h"

namespace systole::rtl {
namespace {

class SeqTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_ = std::make_unique<Vsystole_seq>(&ctx_);
    m_->insn_valid_i = 0;
    m_->drained_i = 1;
    m_->mm_hit_i = 0;
    Reset(m_.get());
  }

  // Offers `insn` for one cycle and runs it until the front end is free;
  // returns O (= T but for MATMUL and POSTPROC). A POSTPROC then runs on in
  // the post lane: its done (pp_done_o) comes in cycle T - 1, and the lane's
  // view holds it throughout.
  uint64_t RunInsn(const isa::Instruction& insn) {
    const uint32_t cls = ClassOf(insn.opcode());
    const bool pp = insn.opcode() == isa::Opcode::kPostproc;
    const bool mm = insn.opcode() == isa::Opcode::kMatmul || pp;
    EXPECT_EQ(m_->insn_ready_o, 1);
    m_->insn_valid_i = 1;
    SetInsnPort(m_->insn_i, insn);
    uint64_t t = 0;
    int dones = 0;
    for (;; ++t) {
      m_->clk_i = 0;
      m_->eval();
      EXPECT_EQ(m_->accept_o, t == 0 ? 1 : 0) << "cycle " << t;
      EXPECT_EQ(m_->active_o, 1) << "cycle " << t;
      EXPECT_EQ(m_->busy_o, t > 0 ? 1 : 0) << "cycle " << t;
      EXPECT_EQ(m_->cnt_o, t) << "cycle " << t;
      EXPECT_EQ(m_->cls_o, cls) << "cycle " << t;
      for (int i = 0; i < 4; ++i) EXPECT_EQ(GetBits(m_->insn_o, 64 * i, 64), EncodeInsn(insn).w[i]);
      const bool done = m_->done_o != 0;
      dones += done;
      Tick(m_.get());
      m_->insn_valid_i = 0;
      SetInsnPort(m_->insn_i, Insn(isa::NopArgs{}));  // the view must hold the register
      if (mm ? m_->issue_ready_o != 0 : done) break;
      EXPECT_EQ(m_->insn_ready_o, 0) << "cycle " << t;
      EXPECT_EQ(m_->issue_ready_o, 0) << "cycle " << t;
      if (t > 100000) break;
    }
    EXPECT_EQ(dones, mm ? 0 : 1);
    m_->clk_i = 0;
    m_->eval();
    EXPECT_EQ(m_->issue_ready_o, 1);
    EXPECT_EQ(m_->active_o, 0);
    if (pp) {  // the post lane: cycles O .. T-1, done in T-1
      const uint64_t T = UnitCycles(insn);
      for (uint64_t c = t + 1; c < T; ++c) {
        m_->clk_i = 0;
        m_->eval();
        EXPECT_EQ(m_->pp_busy_o, 1) << "cycle " << c;
        EXPECT_EQ(m_->pp_cnt_o, c) << "cycle " << c;
        EXPECT_EQ(m_->pp_done_o, c == T - 1 ? 1 : 0) << "cycle " << c;
        EXPECT_EQ(m_->drained_o, 0) << "cycle " << c;
        for (int i = 0; i < 4; ++i) EXPECT_EQ(GetBits(m_->pp_insn_o, 64 * i, 64), EncodeInsn(insn).w[i]);
        Tick(m_.get());
      }
      m_->clk_i = 0;
      m_->eval();
      EXPECT_EQ(m_->pp_busy_o, 0);
      EXPECT_EQ(m_->drained_o, 1);
    }
    return t + 1;
  }

  VerilatedContext ctx_;  // own context (other tests delete theirs)
  std::unique_ptr<Vsystole_seq> m_;
};

TEST_F(SeqTest, CyclesMatchTheCycleModel) {
  Xorshift32 rng(TestSeed("SeqTest.CyclesMatchTheCycleModel", 0x5e9u));
  auto r = [&](uint32_t lo, uint32_t hi) { return lo + rng.Next() % (hi - lo + 1); };
  for (int i = 0; i < 200; ++i) {
    isa::Instruction insn;
    switch (i % 14) {
      case 0: insn = Insn(isa::LoadWeightsArgs{r(1, 8), r(1, 8), r(0, 999), r(1, 64)}); break;
      case 1: insn = Insn(isa::MatmulArgs{r(1, 40), r(1, 8), r(0, 1) != 0, r(0, 9), 0, r(1, 9), 8, 64}); break;
      case 2: {
        isa::PostprocArgs a;
        a.m = r(1, 30);
        a.n = r(1, 8);
        insn = Insn(a);
        break;
      }
      case 3: {
        isa::VmaccArgs a;
        a.m = r(1, 30);
        a.n = r(1, 8);
        a.a_inner_count = 1;
        insn = Insn(a);
        break;
      }
      case 4: insn = Insn(isa::VaddArgs{r(1, 100), 0, 0, 0}); break;
      case 5: insn = Insn(isa::VsubArgs{r(1, 100), 0, 0, 0}); break;
      case 6: insn = Insn(isa::VmulArgs{r(1, 100), 0, 0, 0}); break;
      case 7: insn = Insn(isa::VlutArgs{r(1, 100), 0, 0, 0}); break;
      case 8: insn = Insn(isa::VfillArgs{0, r(1, 100), 0}); break;
      case 9:
      case 10: {
        isa::MaxpoolArgs a;
        a.m = r(1, 9);
        a.n = r(1, 8);
        a.kh = r(1, 4);
        a.kw = r(1, 4);
        a.a_inner_count = 1;
        if (i % 14 == 9) {
          insn = Insn(a);
        } else {
          isa::AvgpoolArgs b;
          b.m = a.m;
          b.n = a.n;
          b.kh = a.kh;
          b.kw = a.kw;
          b.a_inner_count = 1;
          insn = Insn(b);
        }
        break;
      }
      case 11: {
        isa::SoftmaxArgs a;
        a.m = r(1, 3);
        a.len = r(1, 20);
        insn = Insn(a);
        break;
      }
      case 12: insn = Insn(isa::NopArgs{}); break;
      default: insn = Insn(isa::SetregArgs{0, 1, 0, 0, 0}); break;
    }
    SCOPED_TRACE(isa::Disassemble(insn));
    // chunks/taps in the accept cycle (a combinational view of insn_i).
    m_->insn_valid_i = 0;
    SetInsnPort(m_->insn_i, insn);
    m_->clk_i = 0;
    m_->eval();
    if (const auto* v = std::get_if<isa::VaddArgs>(&insn.args)) {
      EXPECT_EQ(m_->chunks_o, (v->len + kUnitCols - 1) / kUnitCols);
    }
    if (const auto* p = std::get_if<isa::MaxpoolArgs>(&insn.args)) {
      EXPECT_EQ(m_->taps_o, p->kh * p->kw);
    }
    const sim::CoreConfig core{kUnitRows, kUnitCols};
    EXPECT_EQ(RunInsn(insn), sim::ComputeIssueCycles(insn, core));
    if (insn.opcode() != isa::Opcode::kMatmul && insn.opcode() != isa::Opcode::kPostproc) {
      EXPECT_EQ(sim::ComputeIssueCycles(insn, core), UnitCycles(insn));
    }
  }
}

// While MATMULs drain (drained_i = 0) only MATMUL and PRELOAD_WEIGHTS are
// accepted; PRELOAD_WEIGHTS gives no done pulse; drained_o follows.
TEST_F(SeqTest, OnlyMatmulAndPreloadOverlapTheDrain) {
  m_->drained_i = 0;
  m_->clk_i = 0;
  m_->eval();
  EXPECT_EQ(m_->issue_ready_o, 1);
  EXPECT_EQ(m_->drained_o, 0);
  for (const isa::Instruction& insn :
       {Insn(isa::VfillArgs{0, 5, 0}), Insn(isa::LoadWeightsArgs{8, 8, 0, 8}), Insn(isa::NopArgs{}),
        Insn(isa::SetregArgs{0, 1, 0, 0, 0})}) {
    SCOPED_TRACE(isa::Disassemble(insn));
    m_->insn_valid_i = 1;
    SetInsnPort(m_->insn_i, insn);
    m_->clk_i = 0;
    m_->eval();
    EXPECT_EQ(m_->insn_ready_o, 0);
    EXPECT_EQ(m_->accept_o, 0);
    EXPECT_EQ(m_->active_o, 0);
    EXPECT_EQ(m_->done_o, 0);
    Tick(m_.get());
    EXPECT_EQ(m_->busy_o, 0);
  }
  // PRELOAD_WEIGHTS: accepted, one cycle, no done.
  m_->insn_valid_i = 1;
  SetInsnPort(m_->insn_i, Insn(isa::PreloadWeightsArgs{8, 8, 0, 8}));
  m_->clk_i = 0;
  m_->eval();
  EXPECT_EQ(m_->insn_ready_o, 1);
  EXPECT_EQ(m_->accept_o, 1);
  EXPECT_EQ(m_->done_o, 0);
  Tick(m_.get());
  m_->insn_valid_i = 0;
  EXPECT_EQ(m_->issue_ready_o, 1);
  // A MATMUL is accepted while the drain goes on: busy for max(m, ceil(R/4),
  // ceil((R+C-2)/8)) + L (ISA 8): m = 3 on 8x8 gives 3 + 1.
  static_assert(kUnitRows == 8 && kUnitCols == 8 && isa::kPreloadRows == 4 && isa::kWeightBanks == 9);
  EXPECT_EQ(RunInsn(Insn(isa::MatmulArgs{3, 8, false, 0, 0, 3, 8, 0})), uint64_t{3 + 1});
  m_->drained_i = 1;
  m_->clk_i = 0;
  m_->eval();
  EXPECT_EQ(m_->drained_o, 1);
}

// The post lane and the accept rule of arch/issue.h: while a POSTPROC runs,
// another POSTPROC and every serial instruction wait; a MATMUL waits iff its
// ACC rows meet the POSTPROC's or its ABUF reads (2-D pattern) meet the
// POSTPROC's ABUF writes (2-D output: PostprocEnd, not dst + m*stride);
// PRELOAD_WEIGHTS never waits. Once the lane is idle a POSTPROC waits only
// while the tracker reports an in-flight MATMUL on its rows (mm_hit_i, for
// the rows acc_q_lo_o .. acc_q_hi_o). Each verdict against IssueModel.
TEST_F(SeqTest, PostprocLaneAcceptRule) {
  const sim::CoreConfig core{kUnitRows, kUnitCols};
  // rows 10..15; output rows of 2 pixels, 500 bytes apart: [1000, 2012)
  isa::PostprocArgs p;
  p.m = 6;
  p.n = 4;
  p.acc_addr = 10;
  p.dst_addr = 1000;
  p.dst_stride = 8;
  p.dst_row_len = 2;
  p.dst_row_pitch = 500;
  ASSERT_EQ(sim::PostprocEnd(p), 2012u);
  const isa::Instruction post = Insn(p);
  auto offer = [&](const isa::Instruction& insn) {
    m_->insn_valid_i = 0;
    SetInsnPort(m_->insn_i, insn);
    m_->clk_i = 0;
    m_->eval();
    return m_->insn_ready_o != 0;
  };
  // Accept the POSTPROC, step over its issue interval (3).
  ASSERT_TRUE(offer(post));
  m_->insn_valid_i = 1;
  m_->clk_i = 0;
  m_->eval();
  Tick(m_.get());
  m_->insn_valid_i = 0;
  sim::IssueModel model(core);
  model.Accept(post, 0);
  for (int t = 1; t < 3; ++t) {
    EXPECT_FALSE(offer(Insn(isa::PreloadWeightsArgs{8, 8, 0, 8}))) << t;
    Tick(m_.get());
  }
  auto mm = [](uint32_t m, uint32_t acc, uint32_t a, uint32_t inner, uint32_t stride, uint32_t outer) {
    return Insn(isa::MatmulArgs{m, 8, false, acc, a, inner, stride, outer});
  };
  struct Case {
    const char* what;
    isa::Instruction insn;
    bool ready;
  };
  const Case cases[] = {
      {"other rows, other bytes", mm(4, 16, 0, 4, 8, 0), true},
      {"rows below", mm(10, 0, 0, 10, 8, 0), true},
      {"last row meets", mm(3, 15, 0, 3, 8, 0), false},
      {"first row meets", mm(1, 10, 0, 1, 8, 0), false},
      {"reads into the 2-D output", mm(2, 100, 1900, 2, 8, 0), false},
      {"reads just past it", mm(2, 100, 2012, 2, 8, 0), true},
      {"reads just before it", mm(1, 100, 992, 1, 8, 0), true},
      {"2-D read pattern reaches it", mm(4, 100, 0, 2, 8, 1500), false},
      {"preload", Insn(isa::PreloadWeightsArgs{8, 8, 0, 8}), true},
      {"second postproc", post, false},
      {"serial vfill", Insn(isa::VfillArgs{0, 5, 5000}), false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_EQ(offer(c.insn), c.ready);
    EXPECT_EQ(model.EarliestAccept(c.insn, 3) == 3, c.ready);  // the C++ rule agrees
  }
  EXPECT_EQ(m_->drained_o, 0);
  // Run the lane out; then the tracker's verdict decides for a POSTPROC.
  while (m_->pp_busy_o) {
    Tick(m_.get());
    m_->clk_i = 0;
    m_->eval();
  }
  EXPECT_TRUE(offer(post));
  EXPECT_EQ(m_->acc_q_lo_o, 10u);
  EXPECT_EQ(m_->acc_q_hi_o, 16u);
  m_->mm_hit_i = 1;
  EXPECT_FALSE(offer(post));
  m_->mm_hit_i = 0;
  m_->drained_i = 0;
  EXPECT_TRUE(offer(post));  // a POSTPROC may start while MATMULs drain
  EXPECT_FALSE(offer(Insn(isa::VfillArgs{0, 5, 5000})));
  m_->drained_i = 1;
}

TEST_F(SeqTest, SetregWritesOneToThreeRegisters) {
  std::vector<int32_t> want(isa::kNumVregs, 0);
  Xorshift32 rng(TestSeed("SeqTest.SetregWritesOneToThreeRegisters", 0x5e7u));
  for (int i = 0; i < 60; ++i) {
    const uint32_t count = 1 + rng.Next() % 3;
    const uint32_t vreg = rng.Next() % (isa::kNumVregs - count + 1);
    const int32_t v[3] = {int32_t(rng.Next()), int32_t(rng.Next()), int32_t(rng.Next())};
    EXPECT_EQ(RunInsn(Insn(isa::SetregArgs{vreg, count, v[0], v[1], v[2]})), 1u);
    for (uint32_t j = 0; j < count; ++j) want[vreg + j] = v[j];
    for (int j = 0; j < isa::kNumVregs; ++j) EXPECT_EQ(int32_t(m_->vreg_o[j]), want[j]) << "vreg " << j;
  }
}

}  // namespace
}  // namespace systole::rtl
