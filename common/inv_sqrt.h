// TFLite's GetInvSqrtQuantizedMultiplierExp (internal/common.h), shared by the
// interpreter's L2_NORMALIZATION kernel and the device's VL2NORM (SystemC
// semantics and tests). Defined in fixed_point.cc.
#ifndef SYSTOLE_COMMON_INV_SQRT_H_
#define SYSTOLE_COMMON_INV_SQRT_H_

#include <cstdint>

namespace systole {

// 1 / sqrt(input) as a multiplier and exponent (gemmlowp fixed point: 5
// Newton-Raphson steps in Q3.28, times sqrt(2)/2); the exponent is multiplied
// by reverse_shift. An input <= 1 gives (INT32_MAX, 0).
void InvSqrtQuantizedMultiplierExp(int32_t input, int reverse_shift, int32_t* inv_sqrt, int* shift);

}  // namespace systole

#endif  // SYSTOLE_COMMON_INV_SQRT_H_
