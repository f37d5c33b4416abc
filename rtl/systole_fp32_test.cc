// Unit test of rtl/systole_fp32.sv against common/float32.h (the C++
// definition of the SOFTMAX float operations): add, multiply, the sequential
// divider (fixed latency checked) and both float -> int32 conversions, on the
// special values crossed with each other and on random operand pairs biased
// toward close exponents (as common/float32_test.cc).
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "Vsystole_fp32.h"
#include "verilated.h"
#include "common/float32.h"
#include "common/xorshift32.h"
#include "rtl/sim/rtl_test_util.h"

namespace systole::rtl {
namespace {

constexpr int kDivLatency = 28;  // systole_fp32_pkg::F32DivLatency

std::vector<uint32_t> Specials() {
  std::vector<uint32_t> v;
  const uint32_t mags[] = {0x00000000, 0x00000001, 0x00000002, 0x00000003, 0x003FFFFF, 0x00400000,
                           0x007FFFFE, 0x007FFFFF, 0x00800000, 0x00800001, 0x00FFFFFF, 0x01000000,
                           0x0C000000, 0x33800000, 0x34000000, 0x3EFFFFFF, 0x3F000000, 0x3F000001,
                           0x3F7FFFFF, 0x3F800000, 0x3F800001, 0x3FC00000, 0x3FFFFFFF, 0x40000000,
                           0x40400000, 0x4B000000, 0x4B7FFFFF, 0x4B800000, 0x4EFFFFFF, 0x4F000000,
                           0x4F000001, 0x7E800000, 0x7EFFFFFF, 0x7F000000, 0x7F7FFFFE, 0x7F7FFFFF,
                           0x7F800000, 0x7F800001, 0x7FC00000, 0x7FFFFFFF};
  for (uint32_t m : mags) {
    v.push_back(m);
    v.push_back(m | 0x80000000u);
  }
  return v;
}

struct Pair {
  uint32_t a, b;
};
// Uniform bit patterns, equal or close exponents, near-equal operands, and
// subnormal/tiny operands (where the quantum moves).
Pair RandomPair(Xorshift32& rng) {
  const uint32_t a = rng.Next();
  uint32_t b = rng.Next();
  switch (rng.Next() % 6) {
    case 0: break;
    case 1: b = (b & 0x807FFFFFu) | (a & 0x7F800000u); break;
    case 2: b = (b & 0x807FFFFFu) | ((a + (0x00800000u * (rng.Next() % 30))) & 0x7F800000u); break;
    case 3: b = a ^ (rng.Next() & 0x8000000Fu); break;
    case 4: b = (b & 0x807FFFFFu) | ((rng.Next() % 64) << 23); break;                 // tiny b
    case 5: b = (b & 0x807FFFFFu) | (((a >> 23) + 200 + rng.Next() % 40) % 256 << 23); break;  // far
  }
  return {a, b};
}

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
  if (with_div) expect("div", u.Div(a, b), f32::Div(a, b));
  return bad;
}

TEST(Fp32Rtl, SpecialValuesCrossed) {
  Fp32 u;
  const auto s = Specials();
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
    const Pair p = RandomPair(rng);
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
