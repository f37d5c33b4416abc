// Operands that exercise every path of binary32 arithmetic, shared by the
// tests of common/float32 (against the host FPU) and of the RTL's binary32
// units (rtl/systole_fp32.sv, the test top of systole_fp32_pkg / _div)
// (against common/float32).
#ifndef SYSTOLE_COMMON_FLOAT32_TESTING_H_
#define SYSTOLE_COMMON_FLOAT32_TESTING_H_

#include <cstdint>
#include <vector>

#include "common/xorshift32.h"

namespace systole::f32 {

// Zeros, subnormals, the normal boundaries, ones, halves, near-overflow
// values, infinities and NaNs, both signs.
inline std::vector<uint32_t> SpecialOperands() {
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

struct OperandPair {
  uint32_t a, b;
};
// Uniform bit patterns, equal or close exponents (cancellation, carries),
// near-equal operands, and tiny or far-apart operands (where the quantum
// moves and everything but a sticky bit is shifted out).
inline OperandPair RandomOperandPair(Xorshift32& rng) {
  const uint32_t a = rng.Next();
  uint32_t b = rng.Next();
  switch (rng.Next() % 6) {
    case 0: break;
    case 1: b = (b & 0x807FFFFFu) | (a & 0x7F800000u); break;
    case 2: b = (b & 0x807FFFFFu) | ((a + (0x00800000u * (rng.Next() % 30))) & 0x7F800000u); break;
    case 3: b = a ^ (rng.Next() & 0x8000000Fu); break;
    case 4: b = (b & 0x807FFFFFu) | ((rng.Next() % 64) << 23); break;
    case 5: b = (b & 0x807FFFFFu) | (((a >> 23) + 200 + rng.Next() % 40) % 256 << 23); break;
  }
  return {a, b};
}

// int32 operands of the int32 -> binary32 conversion: zero, the extremes, and
// every power of two with both signs and its neighbours (where the number of
// bits to round away changes), plus values exactly halfway between two
// binary32 neighbours (ties) and just off them.
inline std::vector<int32_t> SpecialInt32Operands() {
  std::vector<int32_t> v = {0, 1, -1, INT32_MAX, INT32_MIN, INT32_MAX - 1, INT32_MIN + 1};
  for (int k = 0; k < 31; ++k) {
    const int64_t p = int64_t{1} << k;
    for (int64_t d = -3; d <= 3; ++d) {
      for (int64_t x : {p + d, -(p + d)})
        if (x >= INT32_MIN && x <= INT32_MAX) v.push_back(static_cast<int32_t>(x));
    }
    if (k >= 24) {
      const int64_t q = int64_t{1} << (k - 23);  // the binary32 quantum at 2^k
      for (int64_t j : {int64_t{1}, int64_t{2}, int64_t{3}, int64_t{255}})
        for (int64_t d = -1; d <= 1; ++d) {
          const int64_t x = p + j * q + q / 2 + d;  // around the tie after j quanta
          if (x <= INT32_MAX) {
            v.push_back(static_cast<int32_t>(x));
            v.push_back(static_cast<int32_t>(-x));
          }
        }
    }
  }
  return v;
}

// An int32 with a uniformly random bit length and sign.
inline int32_t RandomInt32(Xorshift32& rng) {
  const uint32_t r = rng.Next();
  const uint32_t mag = r >> (rng.Next() % 32);
  return (rng.Next() & 1) ? static_cast<int32_t>(0u - mag) : static_cast<int32_t>(mag);
}

// binary32 values around the integers and the int32 limits (|x| < 2^33), for
// the float -> int32 conversions: random significands at exponents 2^-3..2^33.
inline uint32_t RandomNearIntegerFloat(Xorshift32& rng) {
  return (rng.Next() & 0x807FFFFFu) | ((124 + rng.Next() % 36) << 23);
}

}  // namespace systole::f32

#endif  // SYSTOLE_COMMON_FLOAT32_TESTING_H_
