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

// The reference of RoundHalfEvenToInt32: the host's nearbyint (default
// rounding mode: ties to even), saturated; and lrintf where it is defined.
int32_t HostRoundHalfEven(float f) {
  const double r = std::nearbyint(static_cast<double>(f));
  if (r >= 2147483647.0) return INT32_MAX;
  if (r <= -2147483648.0) return INT32_MIN;
  const int32_t v = static_cast<int32_t>(r);
  EXPECT_EQ(std::lrintf(f), v) << f;
  return v;
}

void CheckRoundHalfEven(uint32_t a) {
  const float f = FromBits(a);
  const int32_t want = std::isnan(f) ? 0 : HostRoundHalfEven(f);
  ASSERT_EQ(RoundHalfEvenToInt32(a), want) << std::hex << a;
}

TEST(Float32, RoundHalfEvenToInt32MatchesNearbyint) {
  ASSERT_EQ(std::fegetround(), FE_TONEAREST);
  for (uint32_t a : SpecialOperands()) CheckRoundHalfEven(a);
  // Every exponent, with the significands at and around its ends and middle.
  for (uint32_t e = 0; e < 256; ++e)
    for (uint32_t f : {0x000000u, 0x000001u, 0x000002u, 0x3FFFFFu, 0x400000u, 0x400001u, 0x7FFFFEu, 0x7FFFFFu})
      for (uint32_t s : {0u, 0x80000000u}) CheckRoundHalfEven(s | e << 23 | f);
  // Every half-integer and its float neighbours up to 2^23, and the int32 limits.
  for (int32_t k = -(1 << 23); k < (1 << 23); k += 1 + (k > -4096 && k < 4096 ? 0 : 997)) {
    const uint32_t h = Bits(static_cast<float>(k) + 0.5f);
    for (uint32_t d : {0u, 1u, 0xFFFFFFFFu}) CheckRoundHalfEven(h + d);
  }
  for (uint32_t a : {0x4EFFFFFFu, 0x4F000000u, 0x4F000001u, 0xCEFFFFFFu, 0xCF000000u, 0xCF000001u})
    CheckRoundHalfEven(a);
  Xorshift32 rng(4242);
  for (int i = 0; i < 2000000; ++i) {
    CheckRoundHalfEven(RandomNearIntegerFloat(rng));
    CheckRoundHalfEven(rng.Next());
    if (HasFailure()) return;
  }
  EXPECT_EQ(RoundHalfEvenToInt32(Bits(2.5f)), 2);
  EXPECT_EQ(RoundHalfEvenToInt32(Bits(3.5f)), 4);
  EXPECT_EQ(RoundHalfEvenToInt32(Bits(-2.5f)), -2);
  EXPECT_EQ(RoundHalfEvenToInt32(Bits(-0.5f)), 0);
  EXPECT_EQ(RoundHalfEvenToInt32(Bits(0.50000006f)), 1);
  EXPECT_EQ(RoundHalfEvenToInt32(Bits(2147483648.0f)), INT32_MAX);
  EXPECT_EQ(RoundHalfEvenToInt32(Bits(-2147483648.0f)), INT32_MIN);
  EXPECT_EQ(RoundHalfEvenToInt32(kNaN), 0);
  EXPECT_EQ(RoundHalfEvenToInt32(0xFF800000u), INT32_MIN);
}

void CheckFromInt32(int32_t v) {
  ASSERT_EQ(FromInt32(v), Bits(static_cast<float>(v))) << v;
}

TEST(Float32, FromInt32MatchesTheHostConversion) {
  ASSERT_EQ(std::fegetround(), FE_TONEAREST);
  const std::vector<int32_t> s = SpecialInt32Operands();
  ASSERT_GT(s.size(), 500u);
  for (int32_t v : s) CheckFromInt32(v);
  // Every int32 with |v| < 2^20 or in [2^24, 2^24 + 2^20) (exact, then ties).
  for (int32_t v = -(1 << 20); v < (1 << 20) && !HasFailure(); ++v) CheckFromInt32(v);
  for (int32_t v = (1 << 24); v < (1 << 24) + (1 << 20) && !HasFailure(); ++v) {
    CheckFromInt32(v);
    CheckFromInt32(-v);
  }
  Xorshift32 rng(777);
  for (int i = 0; i < 4000000; ++i) {
    CheckFromInt32(RandomInt32(rng));
    CheckFromInt32(static_cast<int32_t>(rng.Next()));
    if (HasFailure()) return;
  }
  EXPECT_EQ(FromInt32(16777217), 0x4B800000u);   // 2^24 + 1: a tie, down to even
  EXPECT_EQ(FromInt32(16777219), 0x4B800002u);   // 2^24 + 3: a tie, up to even
  EXPECT_EQ(FromInt32(INT32_MAX), 0x4F000000u);  // rounds up to 2^31
  EXPECT_EQ(FromInt32(INT32_MIN), 0xCF000000u);
  EXPECT_EQ(FromInt32(0), 0u);
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
