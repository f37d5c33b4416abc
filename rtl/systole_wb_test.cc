// Block test of rtl/systole_wb.sv (8x8): the write ports over whole
// instructions: VFILL's chunks (short last chunk, fill byte), POSTPROC's rows
// on port P (group j = rows jP .. jP+P-1 in 3 + L + REQUANT_LATENCY + j,
// P = POSTPROC_ROWS, row i at dst + i * dst_stride or its 2-D pattern, n bytes,
// the requant bank's row-group vectors), the pools' and SOFTMAX's result-driven writes (pixel
// stride; contiguous bytes), MATMUL's ACC rows (accumulate adds the ACC read
// data) and VMACC's lane mask.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "Vsystole_wb.h"
#include "common/xorshift32.h"
#include "rtl/sim/rtl_test_util.h"
#include "rtl/sim/rtl_unit_test_util.h"

namespace systole::rtl {
namespace {

constexpr int L = isa::kMemReadLatency;

class WbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_ = std::make_unique<Vsystole_wb>(&ctx_);
    m_->active_i = 0;
    m_->accept_i = 0;
    m_->pool_valid_i = 0;
    m_->sm_we_i = 0;
    m_->psum_valid_i = 0;
    m_->psum_next_i = 0;
    Reset(m_.get());
  }
  // Cycle t of insn: view, then `drive` sets the unit results; returns after eval.
  // The ABUF write view = the sequencer's view (in the core: the post lane's
  // while a POSTPROC runs, which is the same view for a POSTPROC run alone).
  void SetAbView() {
    m_->ab_busy_i = m_->busy_i;
    m_->ab_active_i = m_->active_i;
    m_->ab_cnt_i = m_->cnt_i;
    m_->ab_cls_i = m_->cls_i;
    for (size_t i = 0; i < sizeof(m_->insn_i) / sizeof(m_->insn_i[0]); ++i) m_->ab_insn_i[i] = m_->insn_i[i];
  }
  template <typename Drive>
  void Cycle(const isa::Instruction& insn, uint32_t t, Drive drive) {
    SetView(m_.get(), insn, t);
    m_->accept_i = t == 0;
    m_->active_i = 1;
    SetAbView();
    const isa::InsnWord w = EncodeInsn(insn);
    m_->chunks_i = ((w.w[0] >> 32) + kUnitCols - 1) / kUnitCols;
    drive();
    m_->clk_i = 0;
    m_->eval();
  }
  VerilatedContext ctx_;  // own context (other tests delete theirs)
  std::unique_ptr<Vsystole_wb> m_;
};

TEST_F(WbTest, VfillChunks) {
  const isa::Instruction insn = Insn(isa::VfillArgs{-5, 21, 700});
  for (uint32_t t = 0; t < UnitCycles(insn); ++t) {
    Cycle(insn, t, [] {});
    ASSERT_EQ(m_->abuf_we_o, 1) << t;
    EXPECT_EQ(m_->abuf_waddr_o, 700 + 8 * t);
    EXPECT_EQ(m_->abuf_wlen_o, t < 2 ? 8 : 5);
    for (int c = 0; c < kUnitCols; ++c) EXPECT_EQ(GetBits(m_->abuf_wdata_o, 8 * c, 8), 0xFBu);
    Tick(m_.get());
  }
}

constexpr uint32_t P = isa::kPostprocRows;

// Checks one cycle of write port P against the rows it must write: rows
// [first, first + count) of the POSTPROC at the addresses dst(i).
template <typename Model, typename Dst>
void ExpectPortP(const Model& m, uint32_t first, uint32_t count, uint32_t n, Dst dst, uint32_t t) {
  ASSERT_EQ(m.abuf_p_we_o != 0, count > 0) << t;
  EXPECT_EQ(m.abuf_we_o, 0) << t;  // POSTPROC never uses the serial write port
  for (uint32_t g = 0; g < P; ++g) {
    EXPECT_EQ((m.abuf_p_rows_o >> g) & 1u, g < count ? 1u : 0u) << "cycle " << t << " row " << g;
    if (g >= count) continue;
    EXPECT_EQ(GetBits(m.abuf_p_addr_o, 32 * g, 32), dst(first + g)) << "row " << first + g;
  }
  if (count > 0) EXPECT_EQ(m.abuf_p_len_o, n);
}

TEST_F(WbTest, PostprocRows) {
  isa::PostprocArgs a;
  a.m = 7;  // two groups at P = 4: 4 rows, then 3
  a.n = 5;
  a.dst_addr = 1000;
  a.dst_stride = 40;
  const isa::Instruction insn = Insn(a);
  const uint32_t w0 = 3 + L + isa::kRequantLatency;
  const uint32_t groups = (a.m + P - 1) / P;
  ASSERT_EQ(UnitCycles(insn), w0 + groups);
  uint32_t rows = 0;
  for (uint32_t t = 0; t < UnitCycles(insn); ++t) {
    Cycle(insn, t, [&] {
      for (uint32_t g = 0; g < P; ++g)
        for (int c = 0; c < kUnitCols; ++c) m_->rq_i[g][c] = static_cast<uint8_t>(t * 32 + g * 8 + c);
    });
    const bool we = t >= w0 && t < w0 + groups;
    const uint32_t first = we ? (t - w0) * P : 0;
    const uint32_t count = we ? std::min(P, a.m - first) : 0;
    ExpectPortP(*m_, first, count, a.n, [&](uint32_t i) { return a.dst_addr + i * a.dst_stride; }, t);
    for (uint32_t g = 0; g < count; ++g)
      for (int c = 0; c < kUnitCols; ++c)
        EXPECT_EQ(GetBits(m_->abuf_p_wdata_o, 8 * (g * kUnitCols + c), 8), (t * 32 + g * 8 + c) & 0xFF);
    rows += count;
    EXPECT_EQ(m_->acc_we_o, 0);
    Tick(m_.get());
  }
  EXPECT_EQ(rows, 7u);
}

// A 2-D POSTPROC: row i at dst + (i / row_len) * pitch + (i % row_len) * stride.
TEST_F(WbTest, PostprocRows2D) {
  isa::PostprocArgs a;
  a.m = 8;
  a.n = 3;
  a.dst_addr = 64;
  a.dst_stride = 5;
  a.dst_row_len = 3;
  a.dst_row_pitch = 100;
  const isa::Instruction insn = Insn(a);
  const uint32_t w0 = 3 + L + isa::kRequantLatency;
  const uint32_t groups = (a.m + P - 1) / P;
  uint32_t rows = 0;
  for (uint32_t t = 0; t < UnitCycles(insn); ++t) {
    Cycle(insn, t, [] {});
    const bool we = t >= w0 && t < w0 + groups;
    const uint32_t first = we ? (t - w0) * P : 0;
    const uint32_t count = we ? std::min(P, a.m - first) : 0;
    ExpectPortP(*m_, first, count, a.n, [&](uint32_t i) { return a.dst_addr + (i / 3) * 100 + (i % 3) * 5; }, t);
    rows += count;
    Tick(m_.get());
  }
  EXPECT_EQ(rows, 8u);
}

TEST_F(WbTest, PoolAndSoftmaxFollowTheirResults) {
  Xorshift32 rng(TestSeed("WbTest.PoolAndSoftmaxFollowTheirResults", 0x3b0u));
  isa::MaxpoolArgs p;
  p.a_inner_count = 1;
  p.m = 4;
  p.n = 3;
  p.kh = 2;
  p.kw = 2;
  p.dst_addr = 64;
  p.dst_stride = 10;
  const isa::Instruction pool = Insn(p);
  uint32_t pixels = 0;
  for (uint32_t t = 0; t < UnitCycles(pool); ++t) {
    const bool valid = t > 0 && pixels < p.m && rng.Next() % 3 == 0;
    Cycle(pool, t, [&] { m_->pool_valid_i = valid; });
    ASSERT_EQ(m_->abuf_we_o != 0, valid) << t;
    if (valid) {
      EXPECT_EQ(m_->abuf_waddr_o, p.dst_addr + pixels * p.dst_stride);
      EXPECT_EQ(m_->abuf_wlen_o, p.n);
      ++pixels;
    }
    Tick(m_.get());
  }
  m_->pool_valid_i = 0;
  isa::SoftmaxArgs s;
  s.m = 1;
  s.len = 4;
  s.dst = 300;
  const isa::Instruction sm = Insn(s);
  uint32_t bytes = 0;
  for (uint32_t t = 0; t < UnitCycles(sm); ++t) {
    const bool we = t > 0 && rng.Next() % 2 == 0;
    Cycle(sm, t, [&] {
      m_->sm_we_i = we;
      m_->sm_i = static_cast<uint8_t>(t);
    });
    ASSERT_EQ(m_->abuf_we_o != 0, we) << t;
    if (we) {
      EXPECT_EQ(m_->abuf_waddr_o, s.dst + bytes);
      EXPECT_EQ(m_->abuf_wlen_o, 1);
      EXPECT_EQ(GetBits(m_->abuf_wdata_o, 0, 8), t & 0xFF);
      ++bytes;
    }
    Tick(m_.get());
  }
}

TEST_F(WbTest, AccWrites) {
  for (const bool accumulate : {false, true}) {
    isa::MatmulArgs a{5, 8, accumulate, 33, 0, 5, 8, 0};
    const isa::Instruction insn = Insn(a);
    const uint32_t w0 = kUnitRows + kUnitCols - 1 + L;
    for (uint32_t t = 0; t < UnitCycles(insn); ++t) {
      const bool we = t >= w0 && t < w0 + a.m;
      const bool next = t + 1 >= w0 && t + 1 < w0 + a.m;
      Cycle(insn, t, [&] {
        m_->psum_valid_i = we;
        m_->psum_next_i = next;
      });
      ASSERT_EQ(m_->acc_we_o != 0, we) << t;
      // The tracker: accumulate reads one cycle ahead, done at the last write.
      EXPECT_EQ(m_->mm_re_o != 0, next && accumulate) << t;
      if (next && accumulate) EXPECT_EQ(m_->mm_raddr_o, a.acc_addr + t + 1 - w0);
      EXPECT_EQ(m_->mm_done_o != 0, t == w0 + a.m - 1) << t;
      EXPECT_EQ(m_->mm_empty_o != 0, t == 0) << t;
      if (we) {
        EXPECT_EQ(m_->acc_waddr_o, a.acc_addr + t - w0);
        EXPECT_EQ(m_->acc_wmask_o, 0xFFu);
        // The write data (formed in systole_core) adds the ACC read data.
        EXPECT_EQ(m_->acc_add_o != 0, accumulate) << t;
      }
      EXPECT_EQ(m_->abuf_we_o, 0);
      Tick(m_.get());
    }
  }
  m_->psum_valid_i = 0;
  m_->psum_next_i = 0;
  EXPECT_EQ(m_->mm_empty_o, 1);
  isa::VmaccArgs v;
  v.a_inner_count = 1;
  v.m = 3;
  v.n = 5;
  v.acc_addr = 7;
  const isa::Instruction insn = Insn(v);
  const uint32_t w0 = 1 + L + isa::kVmaccLatency;
  for (uint32_t t = 0; t < UnitCycles(insn); ++t) {
    Cycle(insn, t, [] {});
    const bool we = t >= w0 && t < w0 + v.m;
    ASSERT_EQ(m_->acc_we_o != 0, we) << t;
    if (we) {
      EXPECT_EQ(m_->acc_waddr_o, v.acc_addr + t - w0);
      EXPECT_EQ(m_->acc_wmask_o, 0x1Fu);
    }
    Tick(m_.get());
  }
}

// Overlapping MATMULs (the front end accepts the next one while earlier ones
// drain): the tracker keeps each one's acc_addr/accumulate/m; the result
// stream is back to back, so the read of a MATMUL's first row shares a cycle
// with the write of the previous one's last row; one done per MATMUL, at its
// last write; three in flight at once.
TEST_F(WbTest, TrackerFollowsOverlappingMatmuls) {
  const isa::MatmulArgs mm[3] = {{2, 8, true, 100, 0, 2, 8, 0}, {3, 8, false, 200, 0, 3, 8, 0},
                                 {1, 8, true, 300, 0, 1, 8, 0}};
  // Rows of the result stream: (matmul, row), results from cycle 20 on.
  std::vector<std::pair<int, uint32_t>> rows;
  for (int j = 0; j < 3; ++j)
    for (uint32_t i = 0; i < mm[j].m; ++i) rows.push_back({j, i});
  const uint32_t first = 20;
  for (uint32_t t = 0; t < first + rows.size() + 2; ++t) {
    const isa::Instruction insn = Insn(t < 3 ? mm[t] : isa::MatmulArgs{});
    SetView(m_.get(), Insn(isa::NopArgs{}), 0);
    if (t < 3) SetView(m_.get(), insn, 0);
    m_->accept_i = t < 3;
    m_->active_i = t < 3;
    const bool we = t >= first && t < first + rows.size();
    const bool next = t + 1 >= first && t + 1 < first + rows.size();
    m_->psum_valid_i = we;
    m_->psum_next_i = next;
    m_->clk_i = 0;
    // The accept-rule query: an entry is in flight from the cycle after its
    // accept through its last write.
    auto hit = [&](uint64_t lo, uint64_t hi) {
      m_->q_lo_i = lo;
      m_->q_hi_i = hi;
      m_->eval();
      return m_->mm_hit_o != 0;
    };
    EXPECT_EQ(hit(200, 203), t >= 2 && t <= first + 4) << t;   // MATMUL 1's rows
    EXPECT_EQ(hit(202, 250), t >= 2 && t <= first + 4) << t;   // its last row
    EXPECT_EQ(hit(101, 102), t >= 1 && t <= first + 1) << t;   // MATMUL 0's last row
    EXPECT_EQ(hit(300, 301), t >= 3 && t <= first + 5) << t;   // MATMUL 2
    EXPECT_FALSE(hit(98, 100)) << t;                           // just below MATMUL 0
    EXPECT_FALSE(hit(203, 300)) << t;                          // between 1 and 2
    m_->eval();
    ASSERT_EQ(m_->acc_we_o != 0, we) << t;
    if (we) {
      const auto [j, i] = rows[t - first];
      EXPECT_EQ(m_->acc_waddr_o, mm[j].acc_addr + i) << t;
      EXPECT_EQ(m_->acc_add_o != 0, mm[j].accumulate) << t;
      EXPECT_EQ(m_->mm_done_o != 0, i + 1 == mm[j].m) << t;
    } else {
      EXPECT_EQ(m_->mm_done_o, 0) << t;
    }
    if (next) {
      const auto [j, i] = rows[t + 1 - first];
      EXPECT_EQ(m_->mm_re_o != 0, mm[j].accumulate) << t;
      if (mm[j].accumulate) EXPECT_EQ(m_->mm_raddr_o, mm[j].acc_addr + i) << t;
    } else {
      EXPECT_EQ(m_->mm_re_o, 0) << t;
    }
    EXPECT_EQ(m_->mm_empty_o != 0, t == 0 || t >= first + rows.size()) << t;
    Tick(m_.get());
  }
}

}  // namespace
}  // namespace systole::rtl
