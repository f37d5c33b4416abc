// IEEE-754 binary32 arithmetic on bit patterns, defined without the host's
// floating-point unit: the one C++ definition of the float operations of the
// SOFTMAX instruction (docs/ISA.md), shared by the simulator's semantics and
// the RTL tests (rtl/systole_fp32_pkg.sv and rtl/systole_fp32_div.sv implement
// the same algorithms).
//
// Every operation rounds to nearest, ties to even, keeps subnormal inputs and
// results (no flush to zero), and returns the single quiet NaN kNaN for every
// NaN result (x86 would return a negative default NaN or propagate a payload;
// the ISA fixes one pattern so that all implementations agree bit for bit).
// For every non-NaN result these equal the host's float operations under the
// default environment (tested exhaustively on special values and on millions
// of random operands in float32_test.cc).
#ifndef SYSTOLE_COMMON_FLOAT32_H_
#define SYSTOLE_COMMON_FLOAT32_H_

#include <cstdint>

namespace systole::f32 {

inline constexpr uint32_t kNaN = 0x7FC00000u;
inline constexpr uint32_t kOne = 0x3F800000u;   // 1.0f
inline constexpr uint32_t kHalf = 0x3F000000u;  // 0.5f

uint32_t Add(uint32_t a, uint32_t b);
uint32_t Mul(uint32_t a, uint32_t b);
uint32_t Div(uint32_t a, uint32_t b);

// std::round (ties away from zero), then to int32, saturating; NaN gives 0.
int32_t RoundHalfAwayToInt32(uint32_t a);
// Truncation toward zero (a C cast), saturating; NaN gives 0.
int32_t TruncToInt32(uint32_t a);
// Round half to even (std::nearbyint / lrintf in the default rounding mode,
// x86 cvtps2dq), then to int32, saturating; NaN gives 0.
int32_t RoundHalfEvenToInt32(uint32_t a);

// int32 -> binary32, rounded to nearest, ties to even ((float)v, cvtdq2ps).
uint32_t FromInt32(int32_t v);

// Bit pattern <-> host float (memcpy).
uint32_t Bits(float f);
float FromBits(uint32_t b);

}  // namespace systole::f32

#endif  // SYSTOLE_COMMON_FLOAT32_H_
