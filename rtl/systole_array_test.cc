// Unit test of rtl/systole_array.sv: random weights, a random stream of input
// vectors with gaps, results compared with a C++ int32 matrix product, and the
// exact latency (Rows + Cols - 1 cycles) checked.
#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "Vsystole_array_5x12.h"
#include "Vsystole_array_8x8.h"
#include "common/xorshift32.h"
#include "rtl/sim/rtl_test_util.h"
#include "rtl/sim/vl_bits.h"

namespace systole::rtl {
namespace {

template <typename Model>
void RunRandomStream(int rows, int cols, uint32_t seed) {
  Xorshift32 rng(seed);
  VerilatedContext ctx;
  auto m = std::make_unique<Model>(&ctx);
  Reset(m.get());
  m->en_i = 1;
  const int latency = rows + cols - 1;

  for (int round = 0; round < 4; ++round) {
    // Load weights row by row.
    // 9-bit signed weights: [-255, 255] (UINT8 minus its zero point) in
    // rounds 2 and 3, int8 in round 0; round 1 the extremes.
    std::vector<int16_t> w(rows * cols);
    for (auto& v : w)
      v = round < 2 ? int16_t{static_cast<int8_t>(rng.NextByte())} : int16_t(int(rng.Next() % 511) - 255);
    if (round == 1) {  // extreme values
      for (auto& v : w) v = (rng.Next() & 1) ? -255 : 255;
    }
    m->act_valid_i = 0;
    for (int r = 0; r < rows; ++r) {
      m->w_we_i = 1;
      m->w_row_i = r;
      for (int c = 0; c < cols; ++c) SetBits(m->w_i, 9 * c, 9, static_cast<uint32_t>(w[r * cols + c]) & 0x1FF);
      Tick(m.get());
    }
    m->w_we_i = 0;

    struct Pending {
      uint64_t due;
      std::vector<int32_t> y;
    };
    std::deque<Pending> pending;
    const int kVectors = 300;
    int sent = 0;
    uint64_t cycle = 0;
    int received = 0;
    while (received < kVectors) {
      const bool send = sent < kVectors && (rng.Next() % 4) != 0;
      m->act_valid_i = send;
      std::vector<int8_t> x(rows);
      for (int r = 0; r < rows; ++r) {
        x[r] = static_cast<int8_t>(rng.NextByte());
        if (round == 1) x[r] = (rng.Next() & 1) ? -128 : 127;
        SetBits(m->act_i, 8 * r, 8, static_cast<uint8_t>(x[r]));
      }
      if (send) {
        std::vector<int32_t> y(cols, 0);
        for (int c = 0; c < cols; ++c)
          for (int r = 0; r < rows; ++r) y[c] += int32_t{x[r]} * int32_t{w[r * cols + c]};
        pending.push_back({cycle + latency, std::move(y)});
        ++sent;
      }
      Tick(m.get());
      ++cycle;
      // Outputs now show cycle `cycle`.
      m->eval();
      if (m->psum_valid_o) {
        ASSERT_FALSE(pending.empty()) << "unexpected output at cycle " << cycle;
        ASSERT_EQ(pending.front().due, cycle) << "latency mismatch";
        for (int c = 0; c < cols; ++c) {
          ASSERT_EQ(static_cast<int32_t>(GetBits(m->psum_o, 32 * c, 32)), pending.front().y[c])
              << "round " << round << " vector " << received << " column " << c;
        }
        pending.pop_front();
        ++received;
      } else {
        ASSERT_TRUE(pending.empty() || pending.front().due != cycle) << "missing output";
      }
      ASSERT_LT(cycle, 10000u);
    }
  }
}

TEST(SystoleArray, Random8x8) {
  RunRandomStream<Vsystole_array_8x8>(8, 8, TestSeed("SystoleArray.Random8x8", 2));
}

TEST(SystoleArray, Random5x12NonSquare) {
  RunRandomStream<Vsystole_array_5x12>(5, 12, TestSeed("SystoleArray.Random5x12NonSquare", 3));
}

}  // namespace
}  // namespace systole::rtl
