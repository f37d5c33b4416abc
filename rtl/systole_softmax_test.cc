// Block test of rtl/systole_softmax.sv (8 lanes): SOFTMAX instructions with an
// exponent table on the PBUF bus and a small ABUF answering the unit's element
// reads (data one cycle after rd_o), in both rounding modes. The output bytes
// are checked against the binary32 reference written with common/float32.h
// (max, sum of table entries in element order, x = sum * scale, 1 / x, output
// e * inv rounded, + out_zp, clamped), their count against m * len, and every
// read against the rows' address range.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "Vsystole_softmax.h"
#include "common/float32.h"
#include "common/xorshift32.h"
#include "rtl/sim/rtl_test_util.h"
#include "rtl/sim/rtl_unit_test_util.h"

namespace systole::rtl {
namespace {

std::vector<uint8_t> Reference(const std::vector<int8_t>& x, const uint32_t table[256], const isa::SoftmaxArgs& a) {
  std::vector<uint8_t> out;
  for (uint32_t r = 0; r < a.m; ++r) {
    const int8_t* row = &x[r * a.len];
    const int mx = *std::max_element(row, row + a.len);
    uint32_t sum = 0;
    for (uint32_t j = 0; j < a.len; ++j) sum = f32::Add(sum, table[255 - mx + row[j]]);
    const uint32_t inv = f32::Div(f32::Bits(1.0f), f32::Mul(sum, a.scale));
    for (uint32_t j = 0; j < a.len; ++j) {
      const uint32_t p = f32::Mul(table[255 - mx + row[j]], inv);
      const int64_t q = a.trunc_round ? f32::TruncToInt32(f32::Add(p, f32::Bits(0.5f))) : f32::RoundHalfAwayToInt32(p);
      out.push_back(static_cast<uint8_t>(std::clamp<int64_t>(q + a.out_zp, -128, 127)));
    }
  }
  return out;
}

TEST(SoftmaxTest, RowsAgainstBinary32Reference) {
  VerilatedContext ctx;
  auto m = std::make_unique<Vsystole_softmax>(&ctx);
  m->busy_i = 0;
  m->is_sm_i = 0;
  m->accept_i = 0;
  Reset(m.get());
  Xorshift32 rng(TestSeed("SoftmaxTest.RowsAgainstBinary32Reference", 0x50f7u));
  constexpr int L = isa::kMemReadLatency;
  constexpr int kReads = isa::kSoftmaxTableBytes / (4 * kUnitCols);
  for (int rep = 0; rep < 4; ++rep) {
    isa::SoftmaxArgs a;
    a.m = 1 + rng.Next() % 3;
    a.len = 1 + rng.Next() % 20;
    a.trunc_round = rep % 2 != 0;
    a.src = 100;
    a.scale = f32::Bits(256.0f);
    a.out_zp = -128;
    const isa::Instruction insn = Insn(a);
    uint32_t table[256];
    const float beta = 0.02f + 0.01f * rep;
    for (int i = 0; i < 256; ++i) table[i] = f32::Bits(std::exp(-beta * float(255 - i)));
    std::vector<int8_t> x(a.m * a.len);
    for (int8_t& v : x) v = static_cast<int8_t>(rng.Next());
    std::vector<uint8_t> got;
    bool rd_prev = false;
    uint32_t addr_prev = 0;
    m->is_sm_i = 1;
    SetInsnPort(m->insn_i, insn);
    for (uint64_t t = 0; t < UnitCycles(insn); ++t) {
      m->accept_i = t == 0;
      m->busy_i = t > 0;
      m->cnt_i = static_cast<uint32_t>(t);
      const int p = static_cast<int>(t) - L;
      for (int w = 0; w < kUnitCols; ++w)
        SetBits(m->pbuf_i, 32 * w, 32, p >= 0 && p < kReads ? table[p * kUnitCols + w] : rng.Next());
      m->x_i = rd_prev ? static_cast<uint8_t>(x[addr_prev - a.src]) : static_cast<uint8_t>(rng.Next());
      m->clk_i = 0;
      m->eval();
      if (m->we_o) got.push_back(m->out_o);
      rd_prev = m->rd_o != 0;
      addr_prev = m->addr_o;
      if (rd_prev) {
        ASSERT_GE(addr_prev, a.src) << "cycle " << t;
        ASSERT_LT(addr_prev, a.src + a.m * a.len) << "cycle " << t;
      }
      Tick(m.get());
    }
    m->is_sm_i = 0;
    EXPECT_EQ(got, Reference(x, table, a)) << "rep " << rep << " m " << a.m << " len " << a.len;
  }
}

}  // namespace
}  // namespace systole::rtl
