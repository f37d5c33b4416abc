// Private helpers of the CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED
// kernels: an int16 x int16 -> int32 GEMM and the quantized output stage.
//
// Exactness: operands are the zero-point-corrected values (x - zx) and
// (w - zw), which fit int16 for int8 and uint8 data, so the int32 sums are the
// exact sums TFLite computes (it never overflows int32 on valid models either).
// Only the output stage (requantization) differs between TFLite's backends,
// so it is selected explicitly with `Rounding`:
//   * kTflite: TFLite's MultiplyByQuantizedMultiplier (gemmlowp
//     SaturatingRoundingDoublingHighMul, then RoundingDivideByPOT), used by
//     TFLite's own kernels and by gemmlowp (uint8 GEMMs);
//   * kRuy: ruy's single-rounding multiplier,
//     (x * m + 2^(30 - shift)) >> (31 - shift) in 64-bit, used by
//     cpu_backend_gemm's ruy path (int8 GEMMs of CONV_2D / FULLY_CONNECTED)
//     on builds whose ruy runs its portable kernels (WebAssembly, flavor ruy);
//   * kRuyX86: ruy's AVX2/AVX-512 kernels on x86-64 (flavor x86): two steps,
//     both rounding half up (MultiplyByQuantizedMultiplierRuyX86).
//   * kFp32: XNNPACK's "fp32" requantization (flavor xnnpack, nodes the
//     XNNPACK delegate takes): f = float(acc + bias) * scale[c] in binary32,
//     rounded to nearest even, + zero point, clamped (RequantizeFp32).
//
// Speed: x86-64 builds get AVX2 versions of the inner loops, selected at run
// time (the library is built for the baseline ISA); others use plain C++.
#ifndef SYSTOLE_INTERPRETER_KERNELS_GEMM_H_
#define SYSTOLE_INTERPRETER_KERNELS_GEMM_H_

#include <cstdint>
#include <vector>
#include "common/fixed_point.h"

namespace systole {
namespace kernels {
namespace gemm {

// Columns (output channels) per packed block and rows per micro-tile.
constexpr int kNr = 16;
constexpr int kMr = 4;

enum class Rounding { kTflite, kRuy, kRuyX86, kFp32 };

// The right-hand side (weights) of C = A * B^T, B given as [n][k], stored as
// int16 (w - zero_point) in blocks of kNr columns, k in pairs:
// data[((block * depth_pad / 2) + kp) * 2 * kNr + 2 * col + (k & 1)].
// Padding columns and the odd-depth tail are zero.
struct PackedRhs {
  int cols = 0;       // n
  int depth = 0;      // k
  int depth_pad = 0;  // k rounded up to even
  int blocks = 0;     // ceil(n / kNr)
  std::vector<int16_t> data;
  // Sizes `data` (the only allocation); Pack*() then never allocates.
  void Reserve(int n, int k);
};

// Packs w[n][k] (row stride k) minus `zero_point`. Reserve() must have run.
void PackRhs(const int8_t* w, int32_t zero_point, PackedRhs* out);
void PackRhs(const uint8_t* w, int32_t zero_point, PackedRhs* out);

// Quantized output stage: out = clamp(requant(acc + bias[c]) + zp), c the
// output channel. mult/shift are per channel (TFLite convention: shift > 0 is
// a left shift); bias may be null. Rounding::kFp32 uses `scale` (per
// channel) instead of mult/shift.
struct OutputStage {
  const int32_t* bias = nullptr;
  const int32_t* mult = nullptr;
  const int32_t* shift = nullptr;
  const float* scale = nullptr;
  int32_t zero_point = 0;
  int32_t act_min = 0;
  int32_t act_max = 0;
  Rounding rounding = Rounding::kTflite;
};

// Requantizes acc[0..count) for channels [c0, c0 + count) into out.
void Requantize(const int32_t* acc, int count, int c0, const OutputStage& os, int8_t* out);
void Requantize(const int32_t* acc, int count, int c0, const OutputStage& os, uint8_t* out);

// out[r][c] (row stride out_stride) = stage(sum_k a[r][k] * B[c][k]) for
// r < rows, all columns of B. `a` is int16 [rows][b.depth_pad] with zero
// padding after b.depth.
void GemmRequantize(const int16_t* a, int rows, const PackedRhs& b, const OutputStage& os,
                    int8_t* out, int out_stride);
void GemmRequantize(const int16_t* a, int rows, const PackedRhs& b, const OutputStage& os,
                    uint8_t* out, int out_stride);

// dst[i] = src[i] - zero_point for i < n.
void SubtractZeroPoint(const int8_t* src, int n, int32_t zero_point, int16_t* dst);
void SubtractZeroPoint(const uint8_t* src, int n, int32_t zero_point, int16_t* dst);

// acc[c] += (in[c] - zero_point) * w[c] for c < n (DEPTHWISE_CONV_2D with
// depth_multiplier 1).
void MultiplyAccumulate(const int8_t* in, int32_t zero_point, const int16_t* w, int n,
                        int32_t* acc);
void MultiplyAccumulate(const uint8_t* in, int32_t zero_point, const int16_t* w, int n,
                        int32_t* acc);

// XNNPACK's fp32 requantization of one value (acc already includes the bias):
// float(acc) (round to nearest even), times `scale` in binary32, clamped to
// [act_min - zp, act_max - zp], converted with round-half-to-even, plus zp.
// Clamping before the conversion gives the same result as XNNPACK's
// min-before/saturate-after sequence and keeps the conversion in range.
int32_t RequantizeFp32(int32_t acc, float scale, int32_t zero_point, int32_t act_min,
                       int32_t act_max);

// The two scalar multipliers (exposed for the kernels' scalar paths and tests).
inline int32_t RuyMultiply(int32_t x, int32_t mult, int shift) {
  return MultiplyByQuantizedMultiplierSingleRound(x, mult, shift);
}

}  // namespace gemm
}  // namespace kernels
}  // namespace systole

#endif  // SYSTOLE_INTERPRETER_KERNELS_GEMM_H_
