#include "common/fixed_point.h"

#include <cmath>
#include <limits>

#include "common/inv_sqrt.h"

namespace systole {

bool QuantizeMultiplier(double double_multiplier, int32_t* quantized_multiplier,
                        int* shift) {
  *quantized_multiplier = 0;
  *shift = 0;
  if (!std::isfinite(double_multiplier) || double_multiplier < 0) return false;
  if (double_multiplier == 0.0) return true;
  int exponent = 0;
  const double q = std::frexp(double_multiplier, &exponent);
  int64_t q_fixed = static_cast<int64_t>(std::round(q * static_cast<double>(int64_t{1} << 31)));
  if (q_fixed == (int64_t{1} << 31)) {
    q_fixed /= 2;
    ++exponent;
  }
  if (exponent < -31) {  // everything would be shifted out: flush to zero
    exponent = 0;
    q_fixed = 0;
  }
  if (q_fixed > std::numeric_limits<int32_t>::max()) return false;
  *quantized_multiplier = static_cast<int32_t>(q_fixed);
  *shift = exponent;
  return true;
}

bool QuantizeMultiplierSmallerThanOneExp(double double_multiplier,
                                         int32_t* quantized_multiplier, int* left_shift) {
  if (!(double_multiplier < 1.0) || !(double_multiplier > 0.0)) {
    *quantized_multiplier = 0;
    *left_shift = 0;
    return false;
  }
  if (!QuantizeMultiplier(double_multiplier, quantized_multiplier, left_shift)) return false;
  return *left_shift <= 0;
}

bool QuantizeMultiplierGreaterThanOne(double double_multiplier,
                                      int32_t* quantized_multiplier, int* left_shift) {
  if (!(double_multiplier > 1.0)) {
    *quantized_multiplier = 0;
    *left_shift = 0;
    return false;
  }
  if (!QuantizeMultiplier(double_multiplier, quantized_multiplier, left_shift)) return false;
  return *left_shift >= 0;
}

int CalculateInputRadius(int input_integer_bits, int input_left_shift,
                         int total_signed_bits) {
  const double max_input_rescaled =
      1.0 * ((1 << input_integer_bits) - 1) *
      static_cast<double>(int64_t{1} << (total_signed_bits - input_integer_bits)) /
      static_cast<double>(int64_t{1} << input_left_shift);
  return static_cast<int>(std::floor(max_input_rescaled));
}

namespace {

// gemmlowp SaturatingRoundingMultiplyByPOT with a positive exponent.
int32_t SaturatingShiftLeft(int32_t x, int exponent) {
  const int32_t max = std::numeric_limits<int32_t>::max() >> exponent;
  const int32_t min = std::numeric_limits<int32_t>::min() >> exponent;
  if (x > max) return std::numeric_limits<int32_t>::max();
  if (x < min) return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(static_cast<uint32_t>(x) << exponent);
}

}  // namespace

void InvSqrtQuantizedMultiplierExp(int32_t input, int reverse_shift, int32_t* inv_sqrt, int* shift) {
  if (input <= 1) {
    *inv_sqrt = std::numeric_limits<int32_t>::max();
    *shift = 0;
    return;
  }
  *shift = 11;
  while (input >= (1 << 29)) {
    input /= 4;
    ++*shift;
  }
  int clz = 0;
  for (uint32_t v = static_cast<uint32_t>(input); (v & 0x80000000u) == 0; v <<= 1) ++clz;
  const unsigned max_left_shift_bits = static_cast<unsigned>(clz) - 1;
  const unsigned left_shift_bit_pairs = max_left_shift_bits / 2 - 1;
  *shift -= static_cast<int>(left_shift_bit_pairs);
  input <<= 2 * left_shift_bit_pairs;
  // Q3.28 fixed point (F3); a product of Fa and Fb is F(a+b) with raw
  // SaturatingRoundingDoublingHighMul; Rescale<3> from F(n) shifts left by n - 3.
  const int32_t in_f3 = input >> 1;
  const int32_t half_in_f3 = RoundingDivideByPOT(in_f3, 1);
  const int32_t half_three_f3 = (1 << 28) + (1 << 27);
  int32_t x = 1 << 28;  // F3 one
  for (int i = 0; i < 5; ++i) {
    const int32_t x2_f6 = SaturatingRoundingDoublingHighMul(x, x);
    const int32_t x3_f9 = SaturatingRoundingDoublingHighMul(x2_f6, x);
    const int32_t x3_f3 = SaturatingShiftLeft(x3_f9, 6);
    const int32_t a_f6 = SaturatingRoundingDoublingHighMul(half_three_f3, x);
    const int32_t b_f6 = SaturatingRoundingDoublingHighMul(half_in_f3, x3_f3);
    const int32_t diff_f6 = static_cast<int32_t>(static_cast<uint32_t>(a_f6) - static_cast<uint32_t>(b_f6));
    x = SaturatingShiftLeft(diff_f6, 3);
  }
  x = SaturatingRoundingDoublingHighMul(x, 1518500250);  // * sqrt(2)/2 (F0)
  *inv_sqrt = x;
  if (*shift < 0) {
    *inv_sqrt = static_cast<int32_t>(static_cast<uint32_t>(*inv_sqrt) << -*shift);
    *shift = 0;
  }
  *shift *= reverse_shift;
}

}  // namespace systole
