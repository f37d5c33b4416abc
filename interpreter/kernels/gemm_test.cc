// gemm.h against naive scalar definitions: the (possibly AVX2) output stage
// against TFLite's MultiplyByQuantizedMultiplier and ruy's single-rounding
// multiplier on extreme accumulators and every shift, and the packed GEMM
// against a plain triple loop. Random data from xorshift32; seeds are fixed
// and printed in failure messages.
#include "interpreter/kernels/gemm.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "common/fixed_point.h"
#include "common/xorshift32.h"

namespace systole {
namespace kernels {
namespace gemm {
namespace {

int32_t Reference(int32_t acc, int32_t bias, int32_t mult, int shift, const OutputStage& os) {
  // Wraps like the kernels' int32 adds (no signed overflow in the test).
  const int32_t x = static_cast<int32_t>(static_cast<uint32_t>(acc) + static_cast<uint32_t>(bias));
  const int32_t scaled = os.rounding == Rounding::kRuy      ? RuyMultiply(x, mult, shift)
                         : os.rounding == Rounding::kRuyX86 ? MultiplyByQuantizedMultiplierRuyX86(x, mult, shift)
                                                            : MultiplyByQuantizedMultiplier(x, mult, shift);
  return std::min(std::max(scaled + os.zero_point, os.act_min), os.act_max);
}

class RequantizeTest : public ::testing::TestWithParam<Rounding> {};

TEST_P(RequantizeTest, MatchesScalarDefinition) {
  const uint32_t seed = 7;
  Xorshift32 rng(seed);
  constexpr int kCount = 203;  // not a multiple of 8: exercises the tail
  std::vector<int32_t> acc(kCount), bias(kCount), mult(kCount), shift(kCount);
  for (int round = 0; round < 200; ++round) {
    for (int i = 0; i < kCount; ++i) {
      const uint32_t r = rng.Next();
      // Mix of small, large and extreme accumulators.
      switch (r % 4) {
        case 0: acc[i] = static_cast<int32_t>(rng.Next() % 20001) - 10000; break;
        case 1: acc[i] = static_cast<int32_t>(rng.Next()); break;
        case 2: acc[i] = (r & 16) ? std::numeric_limits<int32_t>::max() - 5
                                  : std::numeric_limits<int32_t>::min() + 5; break;
        default: acc[i] = static_cast<int32_t>(rng.Next() % 2001) - 1000; break;
      }
      bias[i] = static_cast<int32_t>(rng.Next() % 2001) - 1000;
      mult[i] = static_cast<int32_t>((1u << 30) + (rng.Next() % (1u << 30)));
      // ruy accepts shifts in [-31, 7]; TFLite's multiplier any left shift.
      shift[i] = static_cast<int>(rng.Next() % 39) - 31;
      // Left shifts of huge values overflow by design in both; keep them sane.
      if (shift[i] > 0) acc[i] = static_cast<int32_t>(rng.Next() % 4001) - 2000;
    }
    OutputStage os;
    os.bias = bias.data();
    os.mult = mult.data();
    os.shift = shift.data();
    os.rounding = GetParam();
    os.zero_point = static_cast<int32_t>(rng.Next() % 21) - 10;
    os.act_min = -128;
    os.act_max = 127;
    std::vector<int8_t> out(kCount);
    Requantize(acc.data(), kCount, 0, os, out.data());
    for (int i = 0; i < kCount; ++i) {
      ASSERT_EQ(out[i], Reference(acc[i], bias[i], mult[i], shift[i], os))
          << "seed " << seed << " round " << round << " i " << i << " acc " << acc[i]
          << " mult " << mult[i] << " shift " << shift[i];
    }
    os.zero_point = 128;
    os.act_min = 3;
    os.act_max = 250;
    std::vector<uint8_t> out_u8(kCount);
    Requantize(acc.data(), kCount, 0, os, out_u8.data());
    for (int i = 0; i < kCount; ++i) {
      ASSERT_EQ(out_u8[i], Reference(acc[i], bias[i], mult[i], shift[i], os))
          << "seed " << seed << " round " << round << " i " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Roundings, RequantizeTest,
                         ::testing::Values(Rounding::kTflite, Rounding::kRuy, Rounding::kRuyX86));

// XNNPACK's fp32 requantization, defined independently: the binary32 product
// float(acc + bias) * scale is the double product of the two floats (exact)
// rounded once to float; then round half to even, + zp, clamp.
int32_t Fp32Reference(int32_t acc, int32_t bias, float scale, const OutputStage& os) {
  const int32_t x = static_cast<int32_t>(static_cast<uint32_t>(acc) + static_cast<uint32_t>(bias));
  const float f = static_cast<float>(static_cast<double>(static_cast<float>(x)) *
                                     static_cast<double>(scale));
  double r = std::floor(static_cast<double>(f));
  const double frac = static_cast<double>(f) - r;
  if (frac > 0.5 || (frac == 0.5 && std::fmod(r, 2.0) != 0.0)) r += 1.0;
  const double v = std::min(std::max(r + os.zero_point, static_cast<double>(os.act_min)),
                            static_cast<double>(os.act_max));
  return static_cast<int32_t>(v);
}

TEST(RequantizeFp32Test, MatchesDefinitionAndRoundsHalfToEven) {
  const uint32_t seed = 13;
  Xorshift32 rng(seed);
  constexpr int kCount = 203;  // AVX2 body and scalar tail
  std::vector<int32_t> acc(kCount), bias(kCount);
  std::vector<float> scale(kCount);
  for (int round = 0; round < 200; ++round) {
    for (int i = 0; i < kCount; ++i) {
      const uint32_t r = rng.Next();
      switch (r % 4) {
        case 0: acc[i] = static_cast<int32_t>(rng.Next() % 20001) - 10000; break;
        case 1: acc[i] = static_cast<int32_t>(rng.Next()) / 2; break;
        case 2: acc[i] = 2 * (static_cast<int32_t>(rng.Next() % 201) - 100) + 1; break;  // odd
        default: acc[i] = static_cast<int32_t>(rng.Next() % 2001) - 1000; break;
      }
      bias[i] = static_cast<int32_t>(rng.Next() % 2001) - 1000;
      // Half the channels get 0.5 (exact ties on odd sums), the rest random
      // scales in [2^-12, 2).
      scale[i] = (r & 32) ? 0.5f : std::ldexp(1.0f + (rng.Next() % 8388608) / 8388608.0f,
                                                 -static_cast<int>(rng.Next() % 13));
    }
    OutputStage os;
    os.bias = bias.data();
    os.scale = scale.data();
    os.rounding = Rounding::kFp32;
    os.zero_point = static_cast<int32_t>(rng.Next() % 21) - 10;
    os.act_min = -128;
    os.act_max = 127;
    std::vector<int8_t> out(kCount);
    Requantize(acc.data(), kCount, 0, os, out.data());
    for (int i = 0; i < kCount; ++i) {
      ASSERT_EQ(out[i], Fp32Reference(acc[i], bias[i], scale[i], os))
          << "seed " << seed << " round " << round << " i " << i << " acc " << acc[i]
          << " scale " << scale[i];
    }
    os.zero_point = 128;
    os.act_min = 3;
    os.act_max = 250;
    std::vector<uint8_t> out_u8(kCount);
    Requantize(acc.data(), kCount, 0, os, out_u8.data());
    for (int i = 0; i < kCount; ++i) {
      ASSERT_EQ(out_u8[i], Fp32Reference(acc[i], bias[i], scale[i], os))
          << "seed " << seed << " round " << round << " i " << i;
    }
  }
  // Ties go to even: 2.5 -> 2, 3.5 -> 4, -2.5 -> -2 (TFLite would give 3, 4, -3).
  EXPECT_EQ(RequantizeFp32(5, 0.5f, 0, -128, 127), 2);
  EXPECT_EQ(RequantizeFp32(7, 0.5f, 0, -128, 127), 4);
  EXPECT_EQ(RequantizeFp32(-5, 0.5f, 0, -128, 127), -2);
  EXPECT_EQ(RequantizeFp32(1 << 30, 1.0f, 5, -128, 127), 127);
  EXPECT_EQ(RequantizeFp32(-(1 << 30), 1.0f, 5, -128, 127), -128);
}

TEST(GemmRequantizeTest, MatchesTripleLoop) {
  const uint32_t seed = 11;
  Xorshift32 rng(seed);
  struct Dims { int m, n, k; };
  for (const Dims d : {Dims{1, 1, 1}, Dims{5, 17, 3}, Dims{4, 16, 27}, Dims{9, 33, 64},
                       Dims{13, 40, 145}}) {
    std::vector<int8_t> w(static_cast<size_t>(d.n) * d.k);
    for (auto& v : w) v = static_cast<int8_t>(rng.Next());
    const int32_t w_zp = 3;
    PackedRhs rhs;
    rhs.Reserve(d.n, d.k);
    PackRhs(w.data(), w_zp, &rhs);
    std::vector<int16_t> a(static_cast<size_t>(d.m) * rhs.depth_pad, 0);
    for (int r = 0; r < d.m; ++r) {
      for (int k = 0; k < d.k; ++k) {
        a[static_cast<size_t>(r) * rhs.depth_pad + k] =
            static_cast<int16_t>(static_cast<int>(rng.Next() % 511) - 255);
      }
    }
    // Multiplier 2^-10 keeps most outputs unsaturated; the expectation applies
    // the same output stage to the naive sum.
    std::vector<int32_t> mult(d.n, 1 << 30), shift(d.n, -9);
    OutputStage os;
    os.mult = mult.data();
    os.shift = shift.data();
    os.act_min = -128;
    os.act_max = 127;
    os.rounding = Rounding::kRuy;
    std::vector<int8_t> out(static_cast<size_t>(d.m) * d.n);
    GemmRequantize(a.data(), d.m, rhs, os, out.data(), d.n);
    for (int r = 0; r < d.m; ++r) {
      for (int c = 0; c < d.n; ++c) {
        int32_t acc = 0;
        for (int k = 0; k < d.k; ++k) {
          acc += a[static_cast<size_t>(r) * rhs.depth_pad + k] *
                 (w[static_cast<size_t>(c) * d.k + k] - w_zp);
        }
        const int32_t expected =
            std::min(std::max(RuyMultiply(acc, 1 << 30, -9), int32_t{-128}), int32_t{127});
        ASSERT_EQ(out[static_cast<size_t>(r) * d.n + c], expected)
            << "seed " << seed << " m " << d.m << " n " << d.n << " k " << d.k << " at " << r
            << "," << c;
      }
    }
  }
}

}  // namespace
}  // namespace gemm
}  // namespace kernels
}  // namespace systole
