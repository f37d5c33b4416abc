// Block test of rtl/systole_agen.sv (8x8): the read requests of whole
// instructions, cycle by cycle, against the schedule of the compute-core
// contract: MATMUL's 2-D activation pattern (no ACC reads: its accumulate
// reads come from the MATMUL tracker in systole_wb, systole_wb_test.cc),
// VADD's chunked A/B reads (short last chunk), the pools' kh x kw window walk
// with its first/last-tap flags, VLUT's PBUF table reads, LOAD_WEIGHTS' rows
// and POSTPROC's three parameter vectors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "Vsystole_agen.h"
#include "common/xorshift32.h"
#include "rtl/sim/rtl_test_util.h"
#include "rtl/sim/rtl_unit_test_util.h"

namespace systole::rtl {
namespace {

struct Req {
  bool on;
  uint32_t addr, len;
  bool operator==(const Req& o) const { return on == o.on && (!on || (addr == o.addr && len == o.len)); }
};
std::ostream& operator<<(std::ostream& os, const Req& r) {
  return r.on ? os << "{" << r.addr << ", " << r.len << "}" : os << "{off}";
}

struct Cycle {
  Req a, b, p;
  bool acc_re;
  uint32_t acc_addr;
  bool accp_re;  // ACC read port P (POSTPROC, post lane view)
  uint32_t accp_addr;
  uint32_t accp_rows;  // its row flags
  bool first, last;
};

// Runs `insn` through the unit with the sequencer's view; returns every cycle's requests.
std::vector<Cycle> RunInsn(Vsystole_agen* m, const isa::Instruction& insn) {
  const uint64_t t_end = UnitCycles(insn);
  std::vector<Cycle> out;
  m->sm_rd_i = 0;
  m->sm_addr_i = 0;
  m->active_i = 1;
  const isa::InsnWord w = EncodeInsn(insn);
  uint32_t len = static_cast<uint32_t>(w.w[0] >> 32);
  m->chunks_i = (uint64_t{len} + kUnitCols - 1) / kUnitCols;
  m->taps_i = ((w.w[0] >> 48) & 0xFF) * ((w.w[0] >> 56) & 0xFF);
  const bool pp = insn.opcode() == isa::Opcode::kPostproc;
  for (uint64_t t = 0; t < t_end; ++t) {
    SetView(m, insn, static_cast<uint32_t>(t));
    m->accept_i = t == 0;
    // A POSTPROC's post-lane view (in the core the front end moves on after
    // cycle 2; the lane's view holds the POSTPROC to the end).
    m->pp_active_i = pp;
    m->pp_busy_i = pp && t > 0;
    m->pp_cnt_i = pp ? static_cast<uint32_t>(t) : 0;
    SetInsnPort(m->pp_insn_i, pp ? insn : Insn(isa::NopArgs{}));
    m->clk_i = 0;
    m->eval();
    out.push_back({{m->abuf_a_req_o != 0, m->abuf_a_addr_o, m->abuf_a_len_o},
                   {m->abuf_b_req_o != 0, m->abuf_b_addr_o, m->abuf_b_len_o},
                   {m->pbuf_req_o != 0, m->pbuf_addr_o, m->pbuf_len_o},
                   m->acc_re_o != 0,
                   m->acc_raddr_o,
                   m->accp_re_o != 0,
                   m->accp_raddr_o,
                   m->accp_rows_o,
                   m->pool_first_o != 0,
                   m->pool_last_o != 0});
    Tick(m);
  }
  m->active_i = 0;
  return out;
}

class AgenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_ = std::make_unique<Vsystole_agen>(&ctx_);
    m_->active_i = 0;
    Reset(m_.get());
  }
  VerilatedContext ctx_;  // own context (other tests delete theirs)
  std::unique_ptr<Vsystole_agen> m_;
};

TEST_F(AgenTest, MatmulPatternNoAccReads) {
  Xorshift32 rng(TestSeed("AgenTest.MatmulPatternAndAccumulateReads", 0xa9e1u));
  for (int rep = 0; rep < 20; ++rep) {
    isa::MatmulArgs a{1 + rng.Next() % 30, 1 + rng.Next() % 8, rng.Next() % 2 != 0, rng.Next() % 100,
                      rng.Next() % 1000, 1 + rng.Next() % 5, rng.Next() % 50, rng.Next() % 500};
    const std::vector<Cycle> cyc = RunInsn(m_.get(), Insn(a));
    for (uint32_t t = 0; t < cyc.size(); ++t) {
      SCOPED_TRACE(testing::Message() << "rep " << rep << " cycle " << t);
      Req want_a{t < a.m, 0, a.k};
      if (want_a.on) want_a.addr = a.a_addr + (t / a.a_inner_count) * a.a_outer_stride + (t % a.a_inner_count) * a.a_inner_stride;
      EXPECT_EQ(cyc[t].a, want_a);
      EXPECT_FALSE(cyc[t].b.on);
      EXPECT_FALSE(cyc[t].p.on);
      EXPECT_FALSE(cyc[t].acc_re);
    }
  }
}

TEST_F(AgenTest, VaddChunksOnBothPorts) {
  for (uint32_t len : {1u, 7u, 8u, 9u, 30u}) {
    isa::VaddArgs a{len, 100, 5000, 0};
    const std::vector<Cycle> cyc = RunInsn(m_.get(), Insn(a));
    const uint32_t chunks = (len + kUnitCols - 1) / kUnitCols;
    for (uint32_t t = 0; t < cyc.size(); ++t) {
      SCOPED_TRACE(testing::Message() << "len " << len << " cycle " << t);
      const uint32_t l = t < chunks ? std::min<uint32_t>(kUnitCols, len - t * kUnitCols) : 0;
      EXPECT_EQ(cyc[t].a, (Req{t < chunks, 100 + t * kUnitCols, l}));
      EXPECT_EQ(cyc[t].b, (Req{t < chunks, 5000 + t * kUnitCols, l}));
    }
  }
}

TEST_F(AgenTest, PoolWindowWalk) {
  isa::MaxpoolArgs a;
  a.m = 5;
  a.n = 6;
  a.kh = 2;
  a.kw = 3;
  a.a_addr = 1000;
  a.a_inner_count = 2;
  a.a_inner_stride = 40;
  a.a_outer_stride = 400;
  a.win_col_stride = 8;
  a.win_row_stride = 100;
  const std::vector<Cycle> cyc = RunInsn(m_.get(), Insn(a));
  const uint32_t taps = a.kh * a.kw;
  for (uint32_t t = 0; t < cyc.size(); ++t) {
    SCOPED_TRACE(testing::Message() << "cycle " << t);
    if (t >= a.m * taps) {
      EXPECT_FALSE(cyc[t].a.on);
      continue;
    }
    const uint32_t i = t / taps, ky = (t % taps) / a.kw, kx = t % a.kw;
    const uint32_t pix = a.a_addr + (i / a.a_inner_count) * a.a_outer_stride + (i % a.a_inner_count) * a.a_inner_stride;
    EXPECT_EQ(cyc[t].a, (Req{true, pix + ky * a.win_row_stride + kx * a.win_col_stride, a.n}));
    EXPECT_EQ(cyc[t].first, kx == 0 && ky == 0);
    EXPECT_EQ(cyc[t].last, kx == a.kw - 1 && ky == a.kh - 1);
  }
}

TEST_F(AgenTest, PbufReads) {
  // VLUT: the 256-byte table in reads of 4C bytes, then the chunks on port A.
  isa::VlutArgs lut{20, 300, 0, 4096};
  std::vector<Cycle> cyc = RunInsn(m_.get(), Insn(lut));
  const uint32_t reads = isa::kLutBytes / (4 * kUnitCols);
  for (uint32_t t = 0; t < cyc.size(); ++t) {
    SCOPED_TRACE(testing::Message() << "VLUT cycle " << t);
    EXPECT_EQ(cyc[t].p, (Req{t < reads, 4096 + t * 4 * kUnitCols, 4 * kUnitCols}));
    const bool a_on = t >= reads && t < reads + 3;
    EXPECT_EQ(cyc[t].a, (Req{a_on, 300 + (t - reads) * kUnitCols, std::min<uint32_t>(8, 20 - (t - reads) * 8)}));
  }
  // LOAD_WEIGHTS: k rows at w_stride.
  cyc = RunInsn(m_.get(), Insn(isa::LoadWeightsArgs{5, 7, 64, 12}));
  for (uint32_t t = 0; t < cyc.size(); ++t) EXPECT_EQ(cyc[t].p, (Req{t < 5, 64 + 12 * t, 7})) << t;
  // POSTPROC: bias, mult, shift (n int32 each), then ACC rows from cycle 3
  // on port P, POSTPROC_ROWS a cycle (the main ACC read port stays free for
  // MATMUL accumulates); the last group has the rows left.
  constexpr uint32_t P = isa::kPostprocRows;
  isa::PostprocArgs pp;
  pp.m = 2 * P + 1;
  pp.n = 6;
  pp.acc_addr = 9;
  pp.param_addr = 200;
  cyc = RunInsn(m_.get(), Insn(pp));
  for (uint32_t t = 0; t < cyc.size(); ++t) {
    EXPECT_EQ(cyc[t].p, (Req{t < 3, 200 + 24 * t, 24})) << t;
    EXPECT_FALSE(cyc[t].acc_re) << t;
    EXPECT_EQ(cyc[t].accp_re, t >= 3 && t < 6) << t;
    if (!cyc[t].accp_re) continue;
    EXPECT_EQ(cyc[t].accp_addr, 9 + (t - 3) * P) << t;
    const uint32_t rows = std::min(P, pp.m - (t - 3) * P);
    EXPECT_EQ(cyc[t].accp_rows, (1u << rows) - 1) << t;
  }
}

}  // namespace
}  // namespace systole::rtl
