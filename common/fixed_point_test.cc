#include "common/fixed_point.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "common/xorshift32.h"

namespace systole {
namespace {

TEST(FixedPointTest, SaturatingRoundingDoublingHighMulSaturates) {
  const int32_t kMin = std::numeric_limits<int32_t>::min();
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(kMin, kMin), std::numeric_limits<int32_t>::max());
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(1 << 30, 1 << 30), 1 << 29);
  // gemmlowp's nudge: +0.5 rounds up, -0.5 rounds toward zero.
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(1, 1 << 30), 1);
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(-1, 1 << 30), 0);
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(-3, 1 << 30), -1);  // -1.5 -> -1
}

TEST(FixedPointTest, RoundingDivideByPOT) {
  EXPECT_EQ(RoundingDivideByPOT(5, 1), 3);    // 2.5 -> 3
  EXPECT_EQ(RoundingDivideByPOT(-5, 1), -3);  // -2.5 -> -3
  EXPECT_EQ(RoundingDivideByPOT(4, 2), 1);
  EXPECT_EQ(RoundingDivideByPOT(-6, 2), -2);  // -1.5 -> -2
  EXPECT_EQ(RoundingDivideByPOT(7, 0), 7);
}

TEST(FixedPointTest, QuantizeMultiplierRoundTrips) {
  Xorshift32 rng(7);
  for (int i = 0; i < 1000; ++i) {
    const double m = std::ldexp(0.5 + (rng.Next() >> 8) / 33554432.0, static_cast<int>(rng.Next() % 40) - 30);
    int32_t q = 0;
    int shift = 0;
    ASSERT_TRUE(QuantizeMultiplier(m, &q, &shift));
    ASSERT_GE(q, 1 << 30);
    const double back = q * std::ldexp(1.0, shift - 31);
    EXPECT_NEAR(back / m, 1.0, 1e-9) << "seed 7 sample " << i;
  }
}

TEST(FixedPointTest, QuantizeMultiplierEdgeCases) {
  int32_t q = 1;
  int shift = 1;
  EXPECT_TRUE(QuantizeMultiplier(0.0, &q, &shift));
  EXPECT_EQ(q, 0);
  EXPECT_EQ(shift, 0);
  EXPECT_TRUE(QuantizeMultiplier(1e-12, &q, &shift));  // flushed: shift < -31
  EXPECT_EQ(q, 0);
  EXPECT_EQ(shift, 0);
  EXPECT_FALSE(QuantizeMultiplier(-0.5, &q, &shift));
  EXPECT_FALSE(QuantizeMultiplier(std::nan(""), &q, &shift));
  EXPECT_TRUE(QuantizeMultiplier(1.0, &q, &shift));
  EXPECT_EQ(q, 1 << 30);
  EXPECT_EQ(shift, 1);
}

TEST(FixedPointTest, MultiplyByQuantizedMultiplierMatchesRealProduct) {
  int32_t q = 0;
  int shift = 0;
  ASSERT_TRUE(QuantizeMultiplier(0.25, &q, &shift));
  EXPECT_EQ(MultiplyByQuantizedMultiplier(100, q, shift), 25);
  EXPECT_EQ(MultiplyByQuantizedMultiplier(-102, q, shift), -26);  // -25.5 -> -26
  ASSERT_TRUE(QuantizeMultiplier(3.0, &q, &shift));
  EXPECT_EQ(MultiplyByQuantizedMultiplier(7, q, shift), 21);
}

}  // namespace
}  // namespace systole
