// float32.h against the host's IEEE-754 arithmetic (SSE, default rounding,
// no flush-to-zero) on special values and millions of random operands.
#include "common/float32.h"

#include <cfenv>
#include <cmath>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "common/float32_testing.h"
#include "common/xorshift32.h"

namespace systole::f32 {
namespace {

bool SameResult(uint32_t ours, float host) {
  if (std::isnan(host)) return ours == kNaN;
  return ours == Bits(host);
}

TEST(Float32, SpecialValuesMatchTheHost) {
  ASSERT_EQ(std::fegetround(), FE_TONEAREST);
  const auto s = SpecialOperands();
  for (uint32_t a : s) {
    for (uint32_t b : s) {
      const float fa = FromBits(a), fb = FromBits(b);
      EXPECT_TRUE(SameResult(Add(a, b), fa + fb)) << std::hex << a << " + " << b;
      EXPECT_TRUE(SameResult(Mul(a, b), fa * fb)) << std::hex << a << " * " << b;
      EXPECT_TRUE(SameResult(Div(a, b), fa / fb)) << std::hex << a << " / " << b;
    }
  }
}

TEST(Float32, RandomOperandsMatchTheHost) {
  Xorshift32 rng(12345);
  int bad = 0;
  for (int i = 0; i < 3000000 && bad < 10; ++i) {
    const OperandPair p = RandomOperandPair(rng);
    const float fa = FromBits(p.a), fb = FromBits(p.b);
    if (!SameResult(Add(p.a, p.b), fa + fb)) { ++bad; ADD_FAILURE() << std::hex << p.a << " + " << p.b; }
    if (!SameResult(Mul(p.a, p.b), fa * fb)) { ++bad; ADD_FAILURE() << std::hex << p.a << " * " << p.b; }
    if (!SameResult(Div(p.a, p.b), fa / fb)) { ++bad; ADD_FAILURE() << std::hex << p.a << " / " << p.b; }
  }
}

TEST(Float32, SubnormalProductsAndQuotientsRound) {
  // Results near and below the smallest normal, where rounding moves the
  // quantum: every significand pair of a small grid.
  Xorshift32 rng(7);
  for (int i = 0; i < 400000; ++i) {
    const uint32_t a = (rng.Next() & 0x807FFFFFu) | ((rng.Next() % 64) << 23);
    const uint32_t b = (rng.Next() & 0x807FFFFFu) | ((32 + rng.Next() % 64) << 23);
    ASSERT_TRUE(SameResult(Mul(a, b), FromBits(a) * FromBits(b))) << std::hex << a << " * " << b;
    const uint32_t c = (rng.Next() & 0x807FFFFFu) | ((150 + rng.Next() % 100) << 23);
    ASSERT_TRUE(SameResult(Div(a, c), FromBits(a) / FromBits(c))) << std::hex << a << " / " << c;
  }
}

TEST(Float32, ConversionsMatchStdRoundAndCasts) {
  Xorshift32 rng(99);
  auto check = [](uint32_t a) {
    const float f = FromBits(a);
    if (std::isnan(f)) {
      EXPECT_EQ(RoundHalfAwayToInt32(a), 0);
      EXPECT_EQ(TruncToInt32(a), 0);
      return;
    }
    const double r = std::round(static_cast<double>(f));
    const double t = std::trunc(static_cast<double>(f));
    const auto sat = [](double x) {
      return x >= 2147483647.0 ? INT32_MAX : x <= -2147483648.0 ? INT32_MIN : static_cast<int32_t>(x);
    };
    EXPECT_EQ(RoundHalfAwayToInt32(a), sat(r)) << std::hex << a;
    EXPECT_EQ(TruncToInt32(a), sat(t)) << std::hex << a;
  };
  for (uint32_t a : SpecialOperands()) check(a);
  for (int i = 0; i < 1000000; ++i) {
    // Mostly values in the interesting range |x| < 2^33.
    const uint32_t a = (rng.Next() & 0x807FFFFFu) | ((100 + rng.Next() % 60) << 23);
    check(a);
    check(rng.Next());
  }
  EXPECT_EQ(RoundHalfAwayToInt32(Bits(2.5f)), 3);
  EXPECT_EQ(RoundHalfAwayToInt32(Bits(-2.5f)), -3);
  EXPECT_EQ(RoundHalfAwayToInt32(Bits(0.49999997f)), 0);
  EXPECT_EQ(TruncToInt32(Add(Bits(0.49999997f), kHalf)), 1);  // the uint8 softmax rounding
}

TEST(Float32, NaNResultsAreTheCanonicalPattern) {
  const uint32_t inf = 0x7F800000u, ninf = 0xFF800000u;
  EXPECT_EQ(Add(inf, ninf), kNaN);
  EXPECT_EQ(Mul(inf, 0), kNaN);
  EXPECT_EQ(Div(0, 0x80000000u), kNaN);
  EXPECT_EQ(Div(inf, ninf), kNaN);
  EXPECT_EQ(Add(0xFFC00001u, kOne), kNaN);
  EXPECT_EQ(Add(0x80000000u, 0x80000000u), 0x80000000u);
  EXPECT_EQ(Add(0x80000000u, 0), 0u);
  EXPECT_EQ(Add(kOne, kOne | 0x80000000u), 0u);
}

}  // namespace
}  // namespace systole::f32
