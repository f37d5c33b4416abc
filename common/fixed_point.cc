#include "common/fixed_point.h"

#include <cmath>

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

}  // namespace systole
