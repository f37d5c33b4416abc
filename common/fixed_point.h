// TensorFlow Lite's integer requantization arithmetic, bit for bit.
//
// Everything that must agree with TFLite to the last bit (the CPU kernels, the
// compiler's folded constants, the simulator's post-processing and the RTL's
// golden model) calls these functions, so there is exactly one copy of them.
//
// Conventions (same as TFLite):
//  * A real multiplier M > 0 is stored as (quantized_multiplier, shift) with
//    M ~= quantized_multiplier * 2^(shift - 31), quantized_multiplier in
//    [2^30, 2^31) (or 0), shift positive = left shift.
//  * Rounding is gemmlowp's: the doubling high multiply adds a nudge of
//    +2^30 (x >= 0) or 1 - 2^30 (x < 0) and truncates, so +0.5 rounds up and
//    -0.5 toward zero; RoundingDivideByPOT rounds ties away from zero.
#ifndef SYSTOLE_COMMON_FIXED_POINT_H_
#define SYSTOLE_COMMON_FIXED_POINT_H_

#include <cstdint>
#include <limits>

namespace systole {

// gemmlowp SaturatingRoundingDoublingHighMul: the high 32 bits of 2*a*b,
// rounded with gemmlowp's nudge, saturating the single overflow case.
inline int32_t SaturatingRoundingDoublingHighMul(int32_t a, int32_t b) {
  const bool overflow = a == b && a == std::numeric_limits<int32_t>::min();
  const int64_t ab = static_cast<int64_t>(a) * static_cast<int64_t>(b);
  const int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  const int32_t high = static_cast<int32_t>((ab + nudge) / (int64_t{1} << 31));
  return overflow ? std::numeric_limits<int32_t>::max() : high;
}

// gemmlowp RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away
// from zero. exponent in [0, 31]; a larger one (a malformed scale) gives 0,
// the rounded quotient, instead of an undefined shift.
inline int32_t RoundingDivideByPOT(int32_t x, int exponent) {
  if (exponent > 31) return 0;
  const int32_t mask = static_cast<int32_t>((int64_t{1} << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

// TFLite MultiplyByQuantizedMultiplier (double-rounding variant, the default
// build of TFLite). shift > 0 shifts left before the multiply.
inline int32_t MultiplyByQuantizedMultiplier(int32_t x, int32_t quantized_multiplier,
                                             int shift) {
  const int left_shift = shift > 0 ? shift : 0;
  const int right_shift = shift > 0 ? 0 : -shift;
  // The left shift wraps like TFLite's int32 multiply (no UB: done unsigned;
  // a shift of 32 or more, from a malformed scale, leaves 0).
  const int32_t shifted = left_shift < 32 ? static_cast<int32_t>(static_cast<uint32_t>(x) << left_shift) : 0;
  return RoundingDivideByPOT(
      SaturatingRoundingDoublingHighMul(shifted, quantized_multiplier), right_shift);
}

// ruy's single-rounding multiplier (TFLite's int8 CONV_2D / FULLY_CONNECTED
// through cpu_backend_gemm on ruy): one rounding of the 64-bit product.
// t = 31 - shift in [0, 62] for shift in [-31, 31]; the result keeps the low
// 32 bits, as the hardware's POSTPROC single_round mode does.
inline int32_t MultiplyByQuantizedMultiplierSingleRound(int32_t x, int32_t quantized_multiplier,
                                                        int shift) {
  const int total_shift = 31 - shift;
  const int64_t round = total_shift > 0 ? (int64_t{1} << (total_shift - 1)) : 0;
  const int64_t prod = static_cast<int64_t>(x) * quantized_multiplier + round;
  return static_cast<int32_t>(static_cast<uint64_t>(prod >> total_shift));
}

// ruy's x86 kernels (AVX2 / AVX-512), which TFLite's int8 CONV_2D and
// FULLY_CONNECTED use on x86-64 builds without TFLITE_WITH_RUY (cpu_backend_gemm
// routes int8 GEMMs to ruy there because gemmlowp lacks x86 int8 kernels): the
// two steps of MultiplyByQuantizedMultiplier, but both round half up (toward
// +infinity) instead of away from zero, and a right shift whose nudge would
// overflow gives 1 << (31 - right_shift):
//   h = low 32 bits of ((x << left) * m + 2^30) >> 31
//   r = h > INT32_MAX - 2^(right-1) ? 2^(31-right) : (h + 2^(right-1)) >> right
// This is the hardware's POSTPROC `half_up` mode.
inline int32_t MultiplyByQuantizedMultiplierRuyX86(int32_t x, int32_t quantized_multiplier, int shift) {
  const int left_shift = shift > 0 ? shift : 0;
  const int right_shift = shift > 0 ? 0 : -shift;
  const int32_t shifted = left_shift < 32 ? static_cast<int32_t>(static_cast<uint32_t>(x) << left_shift) : 0;
  const int64_t prod = static_cast<int64_t>(shifted) * quantized_multiplier + (int64_t{1} << 30);
  const int32_t high = static_cast<int32_t>(static_cast<uint64_t>(prod >> 31));
  if (right_shift <= 0) return high;
  const int32_t nudge = int32_t{1} << (right_shift - 1);
  if (high > INT32_MAX - nudge) return static_cast<int32_t>(uint32_t{1} << (31 - right_shift));
  return (high + nudge) >> right_shift;
}

// TFLite MultiplyByQuantizedMultiplierSmallerThanOneExp: left_shift <= 0.
inline int32_t MultiplyByQuantizedMultiplierSmallerThanOneExp(
    int32_t x, int32_t quantized_multiplier, int left_shift) {
  return RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x, quantized_multiplier),
                             -left_shift);
}

// TFLite MultiplyByQuantizedMultiplierGreaterThanOne: left_shift >= 0.
inline int32_t MultiplyByQuantizedMultiplierGreaterThanOne(
    int32_t x, int32_t quantized_multiplier, int left_shift) {
  const int32_t shifted = left_shift < 32 ? static_cast<int32_t>(static_cast<uint32_t>(x) << left_shift) : 0;
  return SaturatingRoundingDoublingHighMul(shifted, quantized_multiplier);
}

// TFLite QuantizeMultiplier: decomposes a double into (multiplier, shift) as
// above; tiny multipliers (shift < -31) flush to (0, 0). Returns false (and
// leaves 0/0) if the multiplier is negative or not finite.
bool QuantizeMultiplier(double double_multiplier, int32_t* quantized_multiplier,
                        int* shift);

// TFLite QuantizeMultiplierSmallerThanOneExp: for 0 < m < 1; left_shift <= 0.
bool QuantizeMultiplierSmallerThanOneExp(double double_multiplier,
                                         int32_t* quantized_multiplier, int* left_shift);

// TFLite QuantizeMultiplierGreaterThanOne: for m > 1; left_shift >= 0.
bool QuantizeMultiplierGreaterThanOne(double double_multiplier,
                                      int32_t* quantized_multiplier, int* left_shift);

// TFLite CalculateInputRadius(input_integer_bits, input_left_shift, total_signed_bits=31).
int CalculateInputRadius(int input_integer_bits, int input_left_shift,
                         int total_signed_bits = 31);

}  // namespace systole

#endif  // SYSTOLE_COMMON_FIXED_POINT_H_
