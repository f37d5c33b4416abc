// Block test of rtl/systole_lut.sv (8 lanes): a random 256-byte table loaded in
// P = 256 / 4C reads, then VLUT chunks looked up (entry x + 128 for each int8
// x), each result one cycle after its chunk arrives; a second instruction with a
// new table must not see the old one.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>

#include "Vsystole_lut.h"
#include "common/xorshift32.h"
#include "rtl/sim/rtl_test_util.h"
#include "rtl/sim/rtl_unit_test_util.h"

namespace systole::rtl {
namespace {

TEST(LutTest, LoadTableThenLookUp) {
  VerilatedContext ctx;
  auto m = std::make_unique<Vsystole_lut>(&ctx);
  m->busy_i = 0;
  m->is_lut_i = 0;
  Tick(m.get());
  Xorshift32 rng(TestSeed("LutTest.LoadTableThenLookUp", 0x107u));
  constexpr int kReads = isa::kLutBytes / (4 * kUnitCols);
  constexpr int L = isa::kMemReadLatency;
  for (int rep = 0; rep < 3; ++rep) {
    uint8_t table[isa::kLutBytes];
    for (uint8_t& b : table) b = static_cast<uint8_t>(rng.Next());
    const uint32_t len = 50;
    const isa::Instruction insn = Insn(isa::VlutArgs{len, 0, 0, 0});
    const int chunks = (len + kUnitCols - 1) / kUnitCols;
    uint8_t x[chunks][kUnitCols];
    for (auto& row : x)
      for (uint8_t& b : row) b = static_cast<uint8_t>(rng.Next());
    m->is_lut_i = 1;
    for (uint64_t t = 0; t < UnitCycles(insn); ++t) {
      m->busy_i = t > 0;
      m->cnt_i = static_cast<uint32_t>(t);
      const int p = static_cast<int>(t) - L;            // table read arriving
      const int j = static_cast<int>(t) - kReads - L;   // chunk arriving
      for (int b = 0; b < 4 * kUnitCols; ++b)
        SetBits(m->pbuf_i, 8 * b, 8, p >= 0 && p < kReads ? table[p * 4 * kUnitCols + b] : rng.Next() & 0xFF);
      for (int c = 0; c < kUnitCols; ++c)
        SetBits(m->a_i, 8 * c, 8, j >= 0 && j < chunks ? x[j][c] : rng.Next() & 0xFF);
      Tick(m.get());
      // After the edge: the looked-up chunk j (LUT_LATENCY = 1 register).
      if (j >= 0 && j < chunks) {
        for (int c = 0; c < kUnitCols; ++c)
          EXPECT_EQ(m->out_o[c], table[uint8_t(x[j][c] ^ 0x80)]) << "rep " << rep << " chunk " << j << " lane " << c;
      }
    }
    m->is_lut_i = 0;
  }
}

}  // namespace
}  // namespace systole::rtl
