// The int16 fixed-point primitives of gemmlowp (fixedpoint/fixedpoint.h) and
// TFLite's reference HARD_SWISH that the 8-bit kernels need beyond
// common/fixed_point.h (which holds the int32 ones). Private to the CPU
// kernels; every function matches its gemmlowp/TFLite namesake bit for bit,
// including the asymmetric tie handling of the rounding multiplies.
#ifndef SYSTOLE_INTERPRETER_KERNELS_GEMMLOWP_FIXED_POINT_H_
#define SYSTOLE_INTERPRETER_KERNELS_GEMMLOWP_FIXED_POINT_H_

#include <algorithm>
#include <cstdint>
#include <limits>

namespace systole {
namespace kernels {

// gemmlowp SaturatingRoundingDoublingHighMul<int16_t>: (a * b * 2 + 2^15) >> 16
// with the nudge 2^14 (non-negative products) or 1 - 2^14 (negative ones),
// then truncation toward zero; saturates the single overflow case.
inline int16_t SaturatingRoundingDoublingHighMul16(int16_t a, int16_t b) {
  const bool overflow = a == b && a == std::numeric_limits<int16_t>::min();
  const int32_t ab = static_cast<int32_t>(a) * static_cast<int32_t>(b);
  const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
  const int16_t high = static_cast<int16_t>((ab + nudge) / (1 << 15));
  return overflow ? std::numeric_limits<int16_t>::max() : high;
}

// TFLite SaturatingDoublingHighMul (int16, no rounding: truncates toward zero).
inline int16_t SaturatingDoublingHighMul16(int16_t a, int16_t b) {
  const bool overflow = a == b && a == std::numeric_limits<int16_t>::min();
  const int32_t ab = static_cast<int32_t>(a) * static_cast<int32_t>(b);
  const int16_t high = static_cast<int16_t>(ab / (1 << 15));
  return overflow ? std::numeric_limits<int16_t>::max() : high;
}

// gemmlowp RoundingDivideByPOT<int16_t>: round to nearest, ties away from zero.
inline int16_t RoundingDivideByPOT16(int16_t x, int exponent) {
  const int32_t mask = (1 << exponent) - 1;
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return static_cast<int16_t>((x >> exponent) + (remainder > threshold ? 1 : 0));
}

// TFLite reference_ops SaturatingLeftShift (hard_swish.h): value * 2^amount
// clamped to the int16 range.
inline int16_t SaturatingLeftShift16(int16_t value, int amount) {
  int64_t result = static_cast<int64_t>(value) * (int64_t{1} << amount);
  result = std::min<int64_t>(result, std::numeric_limits<int16_t>::max());
  result = std::max<int64_t>(result, std::numeric_limits<int16_t>::min());
  return static_cast<int16_t>(result);
}

// TFLite DownScaleInt32ToInt16Multiplier (activations.cc): a Q31 multiplier in
// [0, 2^31) to Q15, rounding half up, saturating at 32767.
inline int16_t DownScaleInt32ToInt16Multiplier(int32_t multiplier_int32) {
  constexpr int32_t kRoundingOffset = 1 << 15;
  if (multiplier_int32 >= std::numeric_limits<int32_t>::max() - kRoundingOffset) {
    return std::numeric_limits<int16_t>::max();
  }
  return static_cast<int16_t>((multiplier_int32 + kRoundingOffset) >> 16);
}

}  // namespace kernels
}  // namespace systole

#endif  // SYSTOLE_INTERPRETER_KERNELS_GEMMLOWP_FIXED_POINT_H_
