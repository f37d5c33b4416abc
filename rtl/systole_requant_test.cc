// Unit test of rtl/systole_requant.sv: bit-exact against common/fixed_point.h
// on random operands (including the saturating and extreme-shift corners, and
// both rounding modes: TFLite's double rounding and ruy's single rounding), and
// against common/float32.h in fp32 mode (binary32 scales of every class), with
// a new operand set and mode every cycle and the 5-cycle latency checked.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <vector>

#include "Vsystole_requant.h"
#include "common/fixed_point.h"
#include "common/float32.h"
#include "common/float32_testing.h"
#include "common/xorshift32.h"
#include "rtl/sim/rtl_test_util.h"

namespace systole::rtl {
namespace {

constexpr int kLatency = 5;

struct Operands {
  int32_t acc, bias, mult;
  int shift;
  int32_t zp;
  int8_t lo, hi;
  bool single_round;  // ruy's one-rounding multiplier (POSTPROC single_round)
  bool fp32;          // binary32 scale in mult (POSTPROC fp32); shift, single_round ignored
  bool half_up = false;  // ruy's x86 kernels (POSTPROC half_up; ignored with single_round)
};

int8_t Reference(const Operands& o) {
  const int32_t x = static_cast<int32_t>(static_cast<uint32_t>(o.acc) + static_cast<uint32_t>(o.bias));
  if (o.fp32) {  // docs/ISA.md POSTPROC, fp32 = 1
    const int64_t r = f32::RoundHalfEvenToInt32(f32::Mul(f32::FromInt32(x), static_cast<uint32_t>(o.mult)));
    return static_cast<int8_t>(std::min<int64_t>(std::max<int64_t>(r + o.zp, o.lo), o.hi));
  }
  const int32_t m = o.single_round ? MultiplyByQuantizedMultiplierSingleRound(x, o.mult, o.shift)
                    : o.half_up      ? MultiplyByQuantizedMultiplierRuyX86(x, o.mult, o.shift)
                                     : MultiplyByQuantizedMultiplier(x, o.mult, o.shift);
  const int32_t y = static_cast<int32_t>(static_cast<uint32_t>(m) + static_cast<uint32_t>(o.zp));
  return static_cast<int8_t>(std::min<int32_t>(std::max<int32_t>(y, o.lo), o.hi));
}

Operands RandomOperands(Xorshift32& rng) {
  Operands o{};
  const uint32_t kind = rng.Next() % 12;
  o.acc = static_cast<int32_t>(rng.Next());
  if (kind < 4) o.acc >>= (rng.Next() % 31);  // typical accumulator magnitudes
  o.bias = static_cast<int32_t>(rng.Next()) >> (rng.Next() % 32);
  // Multipliers as QuantizeMultiplier makes them: 0 or [2^30, 2^31); sometimes any int32.
  o.mult = static_cast<int32_t>((rng.Next() >> 1) | (1u << 30));
  if (kind == 5) o.mult = static_cast<int32_t>(rng.Next());
  if (kind == 6) o.mult = 0;
  o.shift = static_cast<int>(rng.Next() % 63) - 31;  // [-31, 31]
  if (kind < 4) o.shift = -static_cast<int>(rng.Next() % 16);
  if (kind == 7) {  // the single SRDHM overflow case
    o.acc = std::numeric_limits<int32_t>::min();
    o.bias = 0;
    o.mult = std::numeric_limits<int32_t>::min();
    o.shift = -static_cast<int>(rng.Next() % 32);
  }
  if (kind == 8) o.mult = static_cast<int32_t>(rng.Next() % 9) - 4;  // tiny: boundary residues
  if (kind == 9) o.mult = (1 << 30) + static_cast<int32_t>(rng.Next() % 5) - 2;  // exact ties
  if (kind == 10) o.mult = std::numeric_limits<int32_t>::min() + static_cast<int32_t>(rng.Next() % 3);
  if (kind >= 8) o.shift = -static_cast<int>(rng.Next() % 32);
  if (kind == 11) o.acc = static_cast<int32_t>(rng.Next() % 64) - 32;  // small values, all shifts
  o.zp = static_cast<int32_t>(rng.Next() % 256) - 128;
  int8_t a = static_cast<int8_t>(rng.NextByte()), b = static_cast<int8_t>(rng.NextByte());
  if (rng.Next() & 1) {
    a = -128;
    b = 127;
  }
  o.lo = std::min(a, b);
  o.hi = std::max(a, b);
  o.single_round = (rng.Next() % 3) == 0;
  o.half_up = (rng.Next() % 2) == 0;  // with single_round too: must be ignored there
  o.fp32 = (rng.Next() % 3) == 0;
  if (o.fp32) {
    const float realistic = static_cast<float>(std::pow(10.0, -6.0 * (rng.Next() >> 8) / double(1 << 24)));
    switch (rng.Next() % 4) {
      case 0: o.mult = static_cast<int32_t>(rng.Next()); break;  // any pattern: NaN, inf, subnormal, huge
      case 1: {
        const std::vector<uint32_t> s = f32::SpecialOperands();
        o.mult = static_cast<int32_t>(s[rng.Next() % s.size()]);
        break;
      }
      default: o.mult = static_cast<int32_t>(f32::Bits((rng.Next() & 1) ? realistic : -realistic)); break;
    }
    if (rng.Next() % 4 == 0) o.acc = f32::RandomInt32(rng);
    if (rng.Next() % 8 == 0) o.zp = static_cast<int32_t>(rng.Next());  // the 34-bit zero-point add
  }
  return o;
}

TEST(SystoleRequant, RandomBitExactWithFixedPoint) {
  Xorshift32 rng(TestSeed("SystoleRequant.RandomBitExactWithFixedPoint", 4));
  VerilatedContext ctx;
  auto m = std::make_unique<Vsystole_requant>(&ctx);
  Reset(m.get());
  m->en_i = 1;
  std::deque<std::pair<uint64_t, Operands>> pending;
  uint64_t cycle = 0;
  int checked = 0;
  const int kSamples = 200000;
  for (int i = 0; checked < kSamples; ++i) {
    const bool send = i < kSamples * 2 && (pending.size() + checked) < kSamples && (rng.Next() % 8) != 0;
    const Operands o = RandomOperands(rng);
    m->valid_i = send;
    m->acc_i = static_cast<uint32_t>(o.acc);
    m->bias_i = static_cast<uint32_t>(o.bias);
    m->mult_i = static_cast<uint32_t>(o.mult);
    m->shift_i = static_cast<uint8_t>(o.shift) & 0x3f;
    m->zero_point_i = static_cast<uint32_t>(o.zp);
    m->act_min_i = static_cast<uint8_t>(o.lo);
    m->act_max_i = static_cast<uint8_t>(o.hi);
    m->single_round_i = o.single_round;
    m->half_up_i = o.half_up;
    m->fp32_i = o.fp32;
    if (send) pending.emplace_back(cycle + kLatency, o);
    Tick(m.get());
    ++cycle;
    if (m->valid_o) {
      ASSERT_FALSE(pending.empty());
      ASSERT_EQ(pending.front().first, cycle);
      const Operands& p = pending.front().second;
      ASSERT_EQ(static_cast<int8_t>(m->out_o), Reference(p))
          << "acc=" << p.acc << " bias=" << p.bias << " mult=" << p.mult << " shift=" << p.shift
          << " zp=" << p.zp << " lo=" << int{p.lo} << " hi=" << int{p.hi}
          << " single_round=" << p.single_round << " fp32=" << p.fp32 << " half_up=" << p.half_up;
      pending.pop_front();
      ++checked;
    }
    ASSERT_LT(cycle, 4u * kSamples);
  }
}

// Rounding boundaries of SRDHM: products within a few units of +-2^30 (mod 2^31)
// and exact ties, for every right shift.
TEST(SystoleRequant, DirectedRoundingBoundaries) {
  VerilatedContext ctx;
  auto m = std::make_unique<Vsystole_requant>(&ctx);
  Reset(m.get());
  m->en_i = 1;
  std::vector<Operands> cases;
  const int32_t kMults[] = {1, -1, 2, -2, 3, 1 << 30, (1 << 30) + 1, std::numeric_limits<int32_t>::max(),
                            std::numeric_limits<int32_t>::min()};
  for (int32_t mult : kMults) {
    for (int64_t base : {int64_t{1} << 30, int64_t{1} << 29, int64_t{3} << 29, int64_t{1} << 31}) {
      for (int sign : {-1, 1}) {
        for (int d = -3; d <= 3; ++d) {
          const int64_t x = sign * base + d;
          if (x < std::numeric_limits<int32_t>::min() || x > std::numeric_limits<int32_t>::max()) continue;
          for (int shift = -31; shift <= 0; shift += 1) {
            for (int mode = 0; mode < 3; ++mode)
              cases.push_back({static_cast<int32_t>(x), 0, mult, shift, 0, -128, 127, mode == 1, false, mode == 2});
          }
        }
      }
    }
  }
  std::deque<Operands> pending;
  size_t next = 0, checked = 0;
  while (checked < cases.size()) {
    const bool send = next < cases.size();
    m->valid_i = send;
    if (send) {
      const Operands& o = cases[next++];
      m->acc_i = static_cast<uint32_t>(o.acc);
      m->bias_i = 0;
      m->mult_i = static_cast<uint32_t>(o.mult);
      m->shift_i = static_cast<uint8_t>(o.shift) & 0x3f;
      m->zero_point_i = 0;
      m->act_min_i = 0x80;
      m->act_max_i = 0x7f;
      m->single_round_i = o.single_round;
      m->half_up_i = o.half_up;
      m->fp32_i = 0;
      pending.push_back(o);
    }
    Tick(m.get());
    if (m->valid_o) {
      const Operands& p = pending.front();
      ASSERT_EQ(static_cast<int8_t>(m->out_o), Reference(p))
          << "acc=" << p.acc << " mult=" << p.mult << " shift=" << p.shift << " single_round=" << p.single_round
          << " half_up=" << p.half_up;
      pending.pop_front();
      ++checked;
    }
  }
}

// fp32 mode: every special accumulator (powers of two, their neighbours, the
// conversion's ties, the int32 limits) times every special scale (zeros,
// subnormals, normal boundaries, halves, near-overflow, infinities, NaNs), for
// several zero points and clamps, one operand set per cycle.
TEST(SystoleRequant, Fp32SpecialsCrossed) {
  VerilatedContext ctx;
  auto m = std::make_unique<Vsystole_requant>(&ctx);
  Reset(m.get());
  m->en_i = 1;
  const int32_t kZps[] = {0, -128, 127, 3, std::numeric_limits<int32_t>::max(), std::numeric_limits<int32_t>::min()};
  const int8_t kLo[] = {-128, -128, 0, -100, -128, -128}, kHi[] = {127, 127, 127, 90, -5, 127};
  std::vector<Operands> cases;
  int k = 0;
  for (int32_t acc : f32::SpecialInt32Operands())
    for (uint32_t scale : f32::SpecialOperands()) {
      const int j = k++ % 6;
      cases.push_back({acc, 0, static_cast<int32_t>(scale), j % 2 ? 31 : -31, kZps[j], kLo[j], kHi[j], j == 3, true});
    }
  std::deque<Operands> pending;
  size_t next = 0, checked = 0;
  int bad = 0;
  while (checked < cases.size()) {
    const bool send = next < cases.size();
    m->valid_i = send;
    if (send) {
      const Operands& o = cases[next++];
      m->acc_i = static_cast<uint32_t>(o.acc);
      m->bias_i = 0;
      m->mult_i = static_cast<uint32_t>(o.mult);
      m->shift_i = static_cast<uint8_t>(o.shift) & 0x3f;
      m->zero_point_i = static_cast<uint32_t>(o.zp);
      m->act_min_i = static_cast<uint8_t>(o.lo);
      m->act_max_i = static_cast<uint8_t>(o.hi);
      m->single_round_i = o.single_round;
      m->fp32_i = 1;
      pending.push_back(o);
    }
    Tick(m.get());
    if (m->valid_o) {
      const Operands& p = pending.front();
      if (static_cast<int8_t>(m->out_o) != Reference(p) && ++bad < 10)
        ADD_FAILURE() << "acc=" << p.acc << " scale=0x" << std::hex << p.mult << std::dec << " zp=" << p.zp
                      << ": got " << int{static_cast<int8_t>(m->out_o)} << ", want " << int{Reference(p)};
      pending.pop_front();
      ++checked;
    }
  }
  EXPECT_EQ(bad, 0);
  EXPECT_GT(cases.size(), 40000u);
}

}  // namespace
}  // namespace systole::rtl
