// Unit test of rtl/systole_fp32.sv against common/float32.h (the C++
// definition of the SOFTMAX and POSTPROC fp32 float operations): add,
// multiply, the sequential divider (fixed latency checked), the three float ->
// int32 conversions and int32 -> float, on the
// special values crossed with each other and on random operand pairs biased
// toward close exponents (as common/float32_test.cc).
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "Vsystole_fp32.h"
#include "verilated.h"
#include "common/float32.h"
#include "common/float32_testing.h"
#include "common/xorshift32.h"
#include "rtl/sim/rtl_test_util.h"

namespace systole::rtl {
namespace {

constexpr int kDivLatency = 28;  // systole_fp32_pkg::F32DivLatency

using f32::OperandPair;
using f32::RandomOperandPair;
using f32::SpecialOperands;

class Fp32 {
 public:
  Fp32() : m_(std::make_unique<Vsystole_fp32>(&ctx_)) {
    m_->div_start_i = 0;
    Reset(m_.get());
  }
  // Combinational results for (a, b).
  void Set(uint32_t a, uint32_t b) {
    m_->a_i = a;
    m_->b_i = b;
    m_->eval();
  }
  uint32_t add() const { return m_->add_o; }
  uint32_t mul() const { return m_->mul_o; }
  int32_t round() const { return static_cast<int32_t>(m_->round_o); }
  int32_t trunc() const { return static_cast<int32_t>(m_->trunc_o); }
  int32_t even() const { return static_cast<int32_t>(m_->even_o); }
  uint32_t from_int() const { return m_->from_int_o; }
  // a / b through the divider; fails the test if done_o is not exactly
  // kDivLatency cycles after the start.
  uint32_t Div(uint32_t a, uint32_t b) {
    m_->a_i = a;
    m_->b_i = b;
    m_->div_start_i = 1;
    Tick(m_.get());  // start cycle
    m_->div_start_i = 0;
    m_->a_i = ~a;    // operands are latched: changing them must not matter
    m_->b_i = ~b;
    for (int c = 1; c < kDivLatency; ++c) {
      EXPECT_EQ(m_->div_done_o, 0) << "cycle " << c;
      Tick(m_.get());
    }
    EXPECT_EQ(m_->div_done_o, 1);
    return m_->div_q_o;
  }

 private:
  VerilatedContext ctx_;  // own context (others' tests delete theirs)
  std::unique_ptr<Vsystole_fp32> m_;
};

// Checks every operation on (a, b); returns the number of mismatches.
int Check(Fp32& u, uint32_t a, uint32_t b, bool with_div) {
  int bad = 0;
  u.Set(a, b);
  auto expect = [&](const char* what, int64_t got, int64_t want) {
    if (got == want) return;
    ++bad;
    ADD_FAILURE() << std::hex << what << "(0x" << a << ", 0x" << b << "): got 0x" << got << ", want 0x" << want;
  };
  expect("add", u.add(), f32::Add(a, b));
  expect("mul", u.mul(), f32::Mul(a, b));
  expect("round", u.round(), f32::RoundHalfAwayToInt32(a));
  expect("trunc", u.trunc(), f32::TruncToInt32(a));
  expect("even", u.even(), f32::RoundHalfEvenToInt32(a));
  expect("from_int", u.from_int(), f32::FromInt32(static_cast<int32_t>(a)));
  if (with_div) expect("div", u.Div(a, b), f32::Div(a, b));
  return bad;
}

TEST(Fp32Rtl, SpecialValuesCrossed) {
  Fp32 u;
  const auto s = SpecialOperands();
  int bad = 0;
  for (uint32_t a : s)
    for (uint32_t b : s) bad += Check(u, a, b, true);
  EXPECT_EQ(bad, 0);
}

TEST(Fp32Rtl, RandomOperandPairs) {
  Fp32 u;
  Xorshift32 rng(TestSeed("Fp32Rtl.RandomOperandPairs", 2024));
  int bad = 0;
  for (int i = 0; i < 250000 && bad < 10; ++i) {
    const OperandPair p = RandomOperandPair(rng);
    bad += Check(u, p.a, p.b, true);
  }
  EXPECT_EQ(bad, 0);
}

TEST(Fp32Rtl, ConversionsNearIntegersAndLimits) {
  // |x| < 2^33: every rounding boundary of the conversions and the saturation.
  Fp32 u;
  Xorshift32 rng(TestSeed("Fp32Rtl.ConversionsNearIntegersAndLimits", 99));
  int bad = 0;
  for (int i = 0; i < 250000 && bad < 10; ++i) {
    const uint32_t a = (rng.Next() & 0x807FFFFFu) | ((100 + rng.Next() % 60) << 23);
    bad += Check(u, a, f32::kHalf, false);
  }
  EXPECT_EQ(bad, 0);
}

TEST(Fp32Rtl, FromInt32SpecialAndRandom) {
  // int32 -> binary32 at every power of two, its neighbours and the ties.
  Fp32 u;
  Xorshift32 rng(TestSeed("Fp32Rtl.FromInt32SpecialAndRandom", 31));
  int bad = 0;
  std::vector<int32_t> v = f32::SpecialInt32Operands();
  for (int i = 0; i < 250000; ++i) v.push_back(f32::RandomInt32(rng));
  for (int32_t x : v) {
    u.Set(static_cast<uint32_t>(x), 0);
    if (u.from_int() != f32::FromInt32(x) && ++bad < 10)
      ADD_FAILURE() << "from_int(" << x << "): got 0x" << std::hex << u.from_int() << ", want 0x"
                    << f32::FromInt32(x);
  }
  EXPECT_EQ(bad, 0);
}

TEST(Fp32Rtl, ReciprocalsOfSums) {
  // The divider as SOFTMAX uses it: 1 / x for x over the whole range.
  Fp32 u;
  Xorshift32 rng(TestSeed("Fp32Rtl.ReciprocalsOfSums", 5));
  int bad = 0;
  for (int i = 0; i < 20000 && bad < 10; ++i) {
    const uint32_t b = rng.Next();
    const uint32_t q = u.Div(f32::kOne, b);
    if (q != f32::Div(f32::kOne, b)) {
      ++bad;
      ADD_FAILURE() << std::hex << "1 / 0x" << b << ": got 0x" << q << ", want 0x" << f32::Div(f32::kOne, b);
    }
  }
  EXPECT_EQ(bad, 0);
}

}  // namespace
}  // namespace systole::rtl
