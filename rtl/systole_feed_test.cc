// Block test of rtl/systole_feed.sv (8x8): LOAD_WEIGHTS rows from the PBUF
// bus (rows >= k and columns >= n zeroed; every other rep UINT8 weights with a
// zero point, u8 = 1, the 9-bit weight path), then MATMUL vectors from the ABUF bus, with the
// result vectors checked against W^T x in int32 and their timing (psum_valid_o
// exactly in the ACC write window, cycles i + L + R + C - 1).
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "Vsystole_feed.h"
#include "common/xorshift32.h"
#include "rtl/sim/rtl_test_util.h"
#include "rtl/sim/rtl_unit_test_util.h"

namespace systole::rtl {
namespace {

TEST(FeedTest, LoadWeightsThenMatmul) {
  VerilatedContext ctx;
  auto m = std::make_unique<Vsystole_feed>(&ctx);
  m->active_i = 0;
  Reset(m.get());
  Xorshift32 rng(TestSeed("FeedTest.LoadWeightsThenMatmul", 0xfeedu));
  for (int rep = 0; rep < 10; ++rep) {
    const uint32_t k = 1 + rng.Next() % kUnitRows, n = 1 + rng.Next() % kUnitCols;
    const bool u8 = rep % 2 == 1;
    const uint32_t zp = rep == 1 ? 255 : rep == 3 ? 0 : rng.Next() % 256;
    uint8_t bytes[kUnitRows][kUnitCols] = {};
    int32_t w[kUnitRows][kUnitCols] = {};  // what the array must hold
    for (uint32_t r = 0; r < kUnitRows; ++r)
      for (uint32_t c = 0; c < kUnitCols; ++c) {
        bytes[r][c] = rng.Next() & 0xFF;  // columns >= n: garbage on the bus
        if (rep == 1 || rep == 3) bytes[r][c] = (r + c) % 2 ? 0 : 255;
        if (r < k && c < n) w[r][c] = u8 ? int32_t{bytes[r][c]} - int32_t(zp) : int32_t{int8_t(bytes[r][c])};
      }
    // LOAD_WEIGHTS: row r on the bus in cycle r + L (the read of cycle r).
    const isa::Instruction lw = Insn(isa::LoadWeightsArgs{k, n, 0, kUnitCols, u8, u8 ? zp : 0});
    m->active_i = 1;
    for (uint64_t t = 0; t < UnitCycles(lw); ++t) {
      SetView(m.get(), lw, static_cast<uint32_t>(t));
      const int r = static_cast<int>(t) - isa::kMemReadLatency;
      for (int c = 0; c < kUnitCols; ++c)
        SetBits(m->w_i, 8 * c, 8, r >= 0 && r < static_cast<int>(k) ? bytes[r][c] : rng.Next() & 0xFF);
      Tick(m.get());
    }
    // MATMUL: vector i on the bus in cycle i + L.
    const uint32_t mm = 1 + rng.Next() % 20;
    std::vector<std::vector<int8_t>> x(mm, std::vector<int8_t>(kUnitRows));
    for (auto& v : x)
      for (uint32_t r = 0; r < k; ++r) v[r] = static_cast<int8_t>(rng.Next());
    isa::MatmulArgs a{mm, k, false, 0, 0, mm, kUnitRows, 0};
    const isa::Instruction insn = Insn(a);
    const int lat = kUnitRows + kUnitCols - 1;
    uint32_t got = 0;
    for (uint64_t t = 0; t < UnitCycles(insn); ++t) {
      SetView(m.get(), insn, static_cast<uint32_t>(t));
      const int i = static_cast<int>(t) - isa::kMemReadLatency;
      for (int r = 0; r < kUnitRows; ++r)
        SetBits(m->act_i, 8 * r, 8, i >= 0 && i < static_cast<int>(mm) ? uint8_t(x[i][r]) : rng.Next() & 0xFF);
      m->clk_i = 0;
      m->eval();
      const int row = static_cast<int>(t) - isa::kMemReadLatency - lat;
      const bool want_valid = row >= 0 && row < static_cast<int>(mm);
      EXPECT_EQ(m->psum_valid_o != 0, want_valid) << "rep " << rep << " cycle " << t;
      if (want_valid && m->psum_valid_o) {
        for (int c = 0; c < kUnitCols; ++c) {
          int32_t want = 0;
          for (uint32_t r = 0; r < k; ++r) want += int32_t{x[row][r]} * w[r][c];
          EXPECT_EQ(static_cast<int32_t>(GetBits(m->psum_o, 32 * c, 32)), want)
              << "rep " << rep << " row " << row << " col " << c;
        }
        ++got;
      }
      Tick(m.get());
    }
    EXPECT_EQ(got, mm);
    m->active_i = 0;
  }
}

}  // namespace
}  // namespace systole::rtl
