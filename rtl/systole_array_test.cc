// Unit test of rtl/systole_array.sv: random weights, a random stream of input
// vectors with gaps, results compared with a C++ int32 matrix product, and the
// exact latency (Rows + Cols - 1 cycles) checked; and weights per vector: a
// continuous stream while takes switch W as often as the ISA 8 issue interval
// allows and preloads rewrite S behind them, PRELOAD_ROWS rows a cycle (the
// weight banks), each vector checked against the weights active when it was
// presented.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "Vsystole_array_5x12.h"
#include "Vsystole_array_8x8.h"
#include "Vsystole_array_8x8_b3.h"
#include "common/xorshift32.h"
#include "rtl/sim/rtl_test_util.h"
#include "rtl/sim/vl_bits.h"
#include "schema/isa/isa_generated.h"

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
    Tick(m.get());  // the last result (shown now) leaves the pipeline
    m->lw_i = 1;    // LOAD_WEIGHTS' accept (nothing in flight), its rows after it
    Tick(m.get());
    m->lw_i = 0;
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

// The pipelined-MATMUL schedule on the bare array: LOAD_WEIGHTS (lw_i, rows)
// W0, a preload of W1 (pre_i alone, s_we groups of PRELOAD_ROWS rows); then
// one vector every cycle while take_i + pre_i come every G cycles, the ISA 8
// issue interval at m <= G - L: max(ceil(R/P), ceil((R+C-2)/(WEIGHT_BANKS-1)))
// + L. Take k makes W = W_k for the vectors presented after its cycle and
// starts the preload of W_{k+1}, whose groups are written in the cycles after
// it, while vectors of up to WEIGHT_BANKS - 1 earlier sets are still in the
// array (their waves still moving). 16 sets: the wave slots and the banks are
// reused several times. Every result must use its own vector's weights.
// (`banks`: the model's WeightBanks; the 8x8 model with 3 banks uses every
// bank at the bound.)
template <typename Model>
void RunWeightSwitches(int rows, int cols, uint32_t seed, int banks = isa::kWeightBanks) {
  constexpr int kP = 4;  // the array's PreloadRows default (ISA 8)
  static_assert(kP == isa::kPreloadRows);
  const int kBanks = banks;
  Xorshift32 rng(seed);
  VerilatedContext ctx;
  auto m = std::make_unique<Model>(&ctx);
  Reset(m.get());
  m->en_i = 1;
  const int latency = rows + cols - 1, groups = (rows + kP - 1) / kP, kSets = 16;
  const int gap = std::max(groups, (rows + cols - 2 + kBanks - 2) / (kBanks - 1)) + 1;
  std::vector<std::vector<int16_t>> w(kSets, std::vector<int16_t>(rows * cols));
  for (auto& set : w)
    for (auto& v : set) v = int16_t(int(rng.Next() % 511) - 255);
  auto drive_row = [&](int set, int r) {
    m->w_row_i = r;
    for (int c = 0; c < cols; ++c) SetBits(m->w_i, 9 * c, 9, static_cast<uint32_t>(w[set][r * cols + c]) & 0x1FF);
  };
  // Shadow group j: rows kP*j + g on bus row g (rows past R: garbage the array must drop).
  auto drive_group = [&](int set, int j) {
    m->s_row_i = kP * j;
    for (int g = 0; g < kP; ++g) {
      const int r = kP * j + g;
      for (int c = 0; c < cols; ++c)
        SetBits(m->s_i, 9 * (g * cols + c), 9,
                r < rows ? static_cast<uint32_t>(w[set][r * cols + c]) & 0x1FF : rng.Next() & 0x1FF);
    }
  };
  // Cycle plan: lw at 0, W0 rows 1..R; pre at R+1, W1 groups R+2 ..
  // R+1+groups; the stream from `start`; take k (k = 1..kSets-1) at t_k =
  // start + 3 + (k-1)*gap with a preload of W_{k+1} (groups t_k+1+j) while
  // k+1 < kSets.
  const int start = rows + 2 + groups;
  std::vector<int> take_at(kSets);
  for (int k = 1; k < kSets; ++k) take_at[k] = start + 3 + (k - 1) * gap;
  const int stream_end = take_at[kSets - 1] + gap;
  struct Pending {
    uint64_t due;
    std::vector<int32_t> y;
  };
  std::deque<Pending> pending;
  int active = 0, received = 0;
  for (uint64_t cycle = 0; cycle < uint64_t(stream_end + latency + 2);) {
    const int t = int(cycle);
    m->lw_i = t == 0;
    m->w_we_i = t >= 1 && t <= rows;
    m->pre_i = t == rows + 1;
    m->s_we_i = t >= rows + 2 && t <= rows + 1 + groups;
    m->take_i = 0;
    if (m->w_we_i) drive_row(0, t - 1);
    if (m->s_we_i) drive_group(1, t - rows - 2);
    for (int k = 1; k < kSets; ++k) {
      if (t == take_at[k]) {
        m->take_i = 1;
        m->pre_i = k + 1 < kSets;
      }
      if (k + 1 < kSets && t > take_at[k] && t <= take_at[k] + groups) {
        m->s_we_i = 1;
        drive_group(k + 1, t - take_at[k] - 1);
      }
    }
    const bool send = t >= start && t < stream_end;
    m->act_valid_i = send;
    std::vector<int8_t> x(rows);
    for (int r = 0; r < rows; ++r) {
      x[r] = static_cast<int8_t>(rng.NextByte());
      SetBits(m->act_i, 8 * r, 8, static_cast<uint8_t>(x[r]));
    }
    if (send) {
      std::vector<int32_t> y(cols, 0);
      for (int c = 0; c < cols; ++c)
        for (int r = 0; r < rows; ++r) y[c] += int32_t{x[r]} * int32_t{w[active][r * cols + c]};
      pending.push_back({cycle + latency, std::move(y)});
    }
    for (int k = 1; k < kSets; ++k)
      if (t == take_at[k]) active = k;  // vectors after this cycle
    Tick(m.get());
    ++cycle;
    m->eval();
    if (m->psum_valid_o) {
      ASSERT_FALSE(pending.empty()) << "unexpected output at cycle " << cycle;
      ASSERT_EQ(pending.front().due, cycle) << "latency mismatch";
      for (int c = 0; c < cols; ++c)
        ASSERT_EQ(static_cast<int32_t>(GetBits(m->psum_o, 32 * c, 32)), pending.front().y[c])
            << "vector " << received << " column " << c << " (gap " << gap << ")";
      pending.pop_front();
      ++received;
    }
  }
  EXPECT_TRUE(pending.empty());
  EXPECT_EQ(received, stream_end - start);
}

TEST(SystoleArray, WeightsPerVector8x8) {
  RunWeightSwitches<Vsystole_array_8x8>(8, 8, TestSeed("SystoleArray.WeightsPerVector8x8", 4));
}

TEST(SystoleArray, WeightsPerVector5x12) {
  RunWeightSwitches<Vsystole_array_5x12>(5, 12, TestSeed("SystoleArray.WeightsPerVector5x12", 5));
}

TEST(SystoleArray, WeightsPerVector8x8ThreeBanks) {
  RunWeightSwitches<Vsystole_array_8x8_b3>(8, 8, TestSeed("SystoleArray.WeightsPerVector8x8ThreeBanks", 6), 3);
}

TEST(SystoleArray, Random8x8) {
  RunRandomStream<Vsystole_array_8x8>(8, 8, TestSeed("SystoleArray.Random8x8", 2));
}

TEST(SystoleArray, Random5x12NonSquare) {
  RunRandomStream<Vsystole_array_5x12>(5, 12, TestSeed("SystoleArray.Random5x12NonSquare", 3));
}

}  // namespace
}  // namespace systole::rtl
