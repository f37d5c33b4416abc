// gemmlowp's fixed-point tanh and logistic (fixedpoint/fixedpoint.h), as
// TFLite's integer LSTM applies them to int16 gates
// (portable_tensor_utils.cc ApplySigmoid / ApplyTanh), and TFLite's
// GetInvSqrtQuantizedMultiplierExp (kernels/internal/common.h) for the integer
// layer normalization. Written for Systole from the published algorithms;
// every step reproduces gemmlowp's scalar code path bit for bit: wrapping
// (non-saturating) additions, the rounding doubling high multiply, the
// Newton-Raphson divisions and the exp barrel shifter with its constants.
// Private to the CPU kernels.
#ifndef SYSTOLE_INTERPRETER_KERNELS_LSTM_FIXED_POINT_H_
#define SYSTOLE_INTERPRETER_KERNELS_LSTM_FIXED_POINT_H_

#include <cstdint>
#include <limits>
#include <type_traits>

#include "common/fixed_point.h"
#include "interpreter/kernels/gemmlowp_fixed_point.h"

namespace systole {
namespace kernels {
namespace fxp {

// Raw-integer primitives for int16_t / int32_t, with gemmlowp's scalar
// semantics (additions wrap, as the compiled C++ does).
template <typename R>
inline R Wrap(int64_t v) {
  using U = std::make_unsigned_t<R>;
  return static_cast<R>(static_cast<U>(static_cast<uint64_t>(v)));
}
template <typename R>
inline R RawAdd(R a, R b) { return Wrap<R>(int64_t{a} + b); }
template <typename R>
inline R RawSub(R a, R b) { return Wrap<R>(int64_t{a} - b); }
template <typename R>
inline R RawNeg(R a) { return Wrap<R>(-int64_t{a}); }
inline int16_t RawHighMul(int16_t a, int16_t b) { return SaturatingRoundingDoublingHighMul16(a, b); }
inline int32_t RawHighMul(int32_t a, int32_t b) { return SaturatingRoundingDoublingHighMul(a, b); }
inline int16_t RawDivPot(int16_t x, int e) { return RoundingDivideByPOT16(x, e); }
inline int32_t RawDivPot(int32_t x, int e) { return RoundingDivideByPOT(x, e); }

// gemmlowp RoundingHalfSum.
template <typename R>
inline R RawRoundingHalfSum(R a, R b) {
  const int64_t sum = int64_t{a} + b;
  const int64_t sign = sum >= 0 ? 1 : -1;
  return static_cast<R>((sum + sign) / 2);
}

// gemmlowp SaturatingRoundingMultiplyByPOT<E>.
template <int E, typename R>
inline R RawMulByPot(R x) {
  if constexpr (E == 0) {
    return x;
  } else if constexpr (E > 0) {
    constexpr int kBits = 8 * sizeof(R);
    constexpr int64_t kThreshold = (int64_t{1} << (kBits - 1 - E)) - 1;
    if (x > kThreshold) return std::numeric_limits<R>::max();
    if (x < -kThreshold) return std::numeric_limits<R>::min();
    return Wrap<R>(int64_t{x} * (int64_t{1} << E));
  } else {
    return RawDivPot(x, -E);
  }
}

// A gemmlowp FixedPoint<R, IntBits> value.
template <typename R, int IntBits>
struct Fx {
  static constexpr int kTotalBits = 8 * sizeof(R);
  static constexpr int kIntegerBits = IntBits;
  static constexpr int kFractionalBits = kTotalBits - 1 - IntBits;
  static_assert(IntBits >= 0 && IntBits < kTotalBits, "bad IntBits");
  R raw;

  static Fx FromRaw(R r) { return Fx{r}; }
  static Fx Zero() { return Fx{0}; }
  static Fx One() {
    return Fx{IntBits == 0 ? std::numeric_limits<R>::max()
                           : static_cast<R>(R{1} << (IntBits == 0 ? 0 : kFractionalBits))};
  }
  template <int Exponent>
  static Fx ConstantPot() {
    constexpr int kOffset = kFractionalBits + Exponent;
    static_assert(kOffset >= 0 && kOffset < 31, "constant not representable");
    return Fx{static_cast<R>(int64_t{1} << kOffset)};
  }
  // GEMMLOWP_CHECKED_FIXEDPOINT_CONSTANT: an int32 Q0.31-style raw value,
  // rounding-shifted to the raw width.
  static Fx Constant(int32_t int32_value) {
    return Fx{static_cast<R>(RoundingDivideByPOT(int32_value, 32 - kTotalBits))};
  }
};

template <typename R, int A, int B>
inline Fx<R, A + B> operator*(Fx<R, A> a, Fx<R, B> b) {
  return Fx<R, A + B>::FromRaw(RawHighMul(a.raw, b.raw));
}
template <typename R, int I>
inline Fx<R, I> operator+(Fx<R, I> a, Fx<R, I> b) { return Fx<R, I>::FromRaw(RawAdd(a.raw, b.raw)); }
template <typename R, int I>
inline Fx<R, I> operator-(Fx<R, I> a, Fx<R, I> b) { return Fx<R, I>::FromRaw(RawSub(a.raw, b.raw)); }
template <typename R, int I>
inline Fx<R, I> operator-(Fx<R, I> a) { return Fx<R, I>::FromRaw(RawNeg(a.raw)); }
template <typename R, int I>
inline Fx<R, I> operator&(Fx<R, I> a, Fx<R, I> b) { return Fx<R, I>::FromRaw(static_cast<R>(a.raw & b.raw)); }

template <int E, typename R, int I>
inline Fx<R, E + I> ExactMulByPot(Fx<R, I> a) { return Fx<R, E + I>::FromRaw(a.raw); }
template <int E, typename R, int I>
inline Fx<R, I> SaturatingRoundingMultiplyByPot(Fx<R, I> a) {
  return Fx<R, I>::FromRaw(RawMulByPot<E>(a.raw));
}
template <int Dst, typename R, int Src>
inline Fx<R, Dst> Rescale(Fx<R, Src> x) {
  return Fx<R, Dst>::FromRaw(RawMulByPot<Src - Dst>(x.raw));
}
// gemmlowp AddSaturatingIf16Bit.
template <typename R, int I>
inline Fx<R, I> AddSaturatingIf16Bit(Fx<R, I> a, Fx<R, I> b) {
  if constexpr (sizeof(R) == 2) {
    const int32_t sum = int32_t{a.raw} + b.raw;
    return Fx<R, I>::FromRaw(static_cast<R>(sum > 32767 ? 32767 : (sum < -32768 ? -32768 : sum)));
  } else {
    return a + b;
  }
}

// exp(x) for x in [-1/4, 0).
template <typename R>
inline Fx<R, 0> ExpOnIntervalBetweenNegativeOneQuarterAnd0Excl(Fx<R, 0> a) {
  using F = Fx<R, 0>;
  const F constant_term = F::Constant(1895147668);     // exp(-1/8)
  const F constant_1_over_3 = F::Constant(715827883);  // 1/3
  const F x = a + F::template ConstantPot<-3>();
  const F x2 = x * x;
  const F x3 = x2 * x;
  const F x4 = x2 * x2;
  const F x4_over_4 = SaturatingRoundingMultiplyByPot<-2>(x4);
  const F poly = SaturatingRoundingMultiplyByPot<-1>(((x4_over_4 + x3) * constant_1_over_3) + x2);
  return AddSaturatingIf16Bit(constant_term, constant_term * (x + poly));
}

// exp(x) for x < 0 (and 1 for x == 0).
template <typename R, int I>
inline Fx<R, 0> ExpOnNegativeValues(Fx<R, I> a) {
  using InputF = Fx<R, I>;
  using ResultF = Fx<R, 0>;
  constexpr int kFractionalBits = InputF::kFractionalBits;
  const InputF one_quarter = InputF::template ConstantPot<-2>();
  const InputF mask = one_quarter - InputF::FromRaw(1);
  const InputF a_mod_quarter_minus_one_quarter = (a & mask) - one_quarter;
  ResultF result =
      ExpOnIntervalBetweenNegativeOneQuarterAnd0Excl(Rescale<0>(a_mod_quarter_minus_one_quarter));
  const R remainder = (a_mod_quarter_minus_one_quarter - a).raw;
  auto barrel = [&](auto exponent_tag, int32_t multiplier) {
    constexpr int kExponent = decltype(exponent_tag)::value;
    if constexpr (I > kExponent) {
      constexpr int kShift = kFractionalBits + kExponent;
      if ((remainder & static_cast<R>(int64_t{1} << kShift)) != 0) {
        result = result * ResultF::Constant(multiplier);
      }
    }
  };
  barrel(std::integral_constant<int, -2>{}, 1672461947);
  barrel(std::integral_constant<int, -1>{}, 1302514674);
  barrel(std::integral_constant<int, 0>{}, 790015084);
  barrel(std::integral_constant<int, 1>{}, 290630308);
  barrel(std::integral_constant<int, 2>{}, 39332535);
  barrel(std::integral_constant<int, 3>{}, 720401);
  barrel(std::integral_constant<int, 4>{}, 242);
  if constexpr (I > 5) {
    constexpr int kClampB = 36 - I;
    const InputF clamp = InputF::Constant(-(int32_t{1} << kClampB));  // -32
    if (a.raw < clamp.raw) result = ResultF::Zero();
  }
  if (a.raw == 0) result = ResultF::One();
  return result;
}

// (1 - x) / (1 + x) for x in (0, 1).
template <typename R>
inline Fx<R, 0> OneMinusXOverOnePlusXForXIn01(Fx<R, 0> a) {
  using F0 = Fx<R, 0>;
  using F2 = Fx<R, 2>;
  const F0 half_denominator = F0::FromRaw(RawRoundingHalfSum(a.raw, F0::One().raw));
  const F2 constant_48_over_17 = F2::Constant(1515870810);
  const F2 constant_neg_32_over_17 = F2::Constant(-1010580540);
  F2 x = constant_48_over_17 + half_denominator * constant_neg_32_over_17;
  for (int i = 0; i < 3; ++i) {
    const F2 half_denominator_times_x = half_denominator * x;
    const F2 one_minus = F2::One() - half_denominator_times_x;
    x = x + Rescale<2>(x * one_minus);
  }
  return Rescale<0>(x - F2::One());
}

// 1 / (1 + x) for x in (0, 1).
template <typename R>
inline Fx<R, 0> OneOverOnePlusXForXIn01(Fx<R, 0> a) {
  using F0 = Fx<R, 0>;
  using F2 = Fx<R, 2>;
  const F0 half_denominator = F0::FromRaw(RawRoundingHalfSum(a.raw, F0::One().raw));
  const F2 constant_48_over_17 = F2::Constant(1515870810);
  const F2 constant_neg_32_over_17 = F2::Constant(-1010580540);
  F2 x = constant_48_over_17 + half_denominator * constant_neg_32_over_17;
  for (int i = 0; i < 3; ++i) {
    const F2 half_denominator_times_x = half_denominator * x;
    const F2 one_minus = F2::One() - half_denominator_times_x;
    x = x + Rescale<2>(x * one_minus);
  }
  return Rescale<0>(ExactMulByPot<-1>(x));
}

// gemmlowp tanh(x) for any x.
template <typename R, int I>
inline Fx<R, 0> Tanh(Fx<R, I> a) {
  using ResultF = Fx<R, 0>;
  const bool negative = a.raw < 0;
  const Fx<R, I> n = negative ? a : -a;
  const ResultF t = OneMinusXOverOnePlusXForXIn01(ExpOnNegativeValues(ExactMulByPot<1>(n)));
  if (a.raw == 0) return ResultF::Zero();
  return negative ? -t : t;
}

// gemmlowp logistic(x) for any x.
template <typename R, int I>
inline Fx<R, 0> Logistic(Fx<R, I> a) {
  using ResultF = Fx<R, 0>;
  const bool positive = a.raw > 0;
  const Fx<R, I> abs_input = positive ? a : -a;
  const ResultF result_if_positive = OneOverOnePlusXForXIn01(ExpOnNegativeValues(-abs_input));
  const ResultF result_if_negative = ResultF::One() - result_if_positive;
  if (a.raw == 0) return ResultF::Constant(1 << 30);  // 0.5
  return positive ? result_if_positive : result_if_negative;
}

}  // namespace fxp

// TFLite GetInvSqrtQuantizedMultiplierExp: 1/sqrt(input) as a multiplier and
// shift; reverse_shift = -1 gives MultiplyByQuantizedMultiplier's left-shift
// convention.
inline void GetInvSqrtQuantizedMultiplierExp(int32_t input, int reverse_shift,
                                             int32_t* output_inv_sqrt, int* output_shift) {
  if (input <= 1) {
    *output_inv_sqrt = std::numeric_limits<int32_t>::max();
    *output_shift = 0;
    return;
  }
  *output_shift = 11;
  while (input >= (1 << 29)) {
    input /= 4;
    ++*output_shift;
  }
  const unsigned max_left_shift_bits = static_cast<unsigned>(__builtin_clz(static_cast<uint32_t>(input))) - 1;
  const unsigned max_left_shift_bit_pairs = max_left_shift_bits / 2;
  const unsigned left_shift_bit_pairs = max_left_shift_bit_pairs - 1;
  *output_shift -= static_cast<int>(left_shift_bit_pairs);
  input <<= 2 * left_shift_bit_pairs;
  using F3 = fxp::Fx<int32_t, 3>;
  using F0 = fxp::Fx<int32_t, 0>;
  const F3 fixedpoint_input = F3::FromRaw(input >> 1);
  const F3 fixedpoint_half_input = fxp::SaturatingRoundingMultiplyByPot<-1>(fixedpoint_input);
  const F3 fixedpoint_half_three = F3::FromRaw((1 << 28) + (1 << 27));  // 1.5
  F3 x = F3::One();
  for (int i = 0; i < 5; ++i) {
    const F3 x3 = fxp::Rescale<3>(x * x * x);
    x = fxp::Rescale<3>(fixedpoint_half_three * x - fixedpoint_half_input * x3);
  }
  const F0 fixedpoint_half_sqrt_2 = F0::FromRaw(1518500250);
  x = x * fixedpoint_half_sqrt_2;
  *output_inv_sqrt = x.raw;
  if (*output_shift < 0) {
    *output_inv_sqrt = static_cast<int32_t>(static_cast<uint32_t>(*output_inv_sqrt) << -*output_shift);
    *output_shift = 0;
  }
  *output_shift *= reverse_shift;
}

}  // namespace kernels
}  // namespace systole

#endif  // SYSTOLE_INTERPRETER_KERNELS_LSTM_FIXED_POINT_H_
