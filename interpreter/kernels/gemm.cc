#include "interpreter/kernels/gemm.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "common/fixed_point.h"

// -DSYSTOLE_GEMM_NO_SIMD builds only the portable C++ paths (for testing them).
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && \
    !defined(SYSTOLE_GEMM_NO_SIMD)
#define SYSTOLE_GEMM_X86 1
#include <immintrin.h>
#define SYSTOLE_AVX2 __attribute__((target("avx2")))
#endif

namespace systole {
namespace kernels {
namespace gemm {
namespace {

#ifdef SYSTOLE_GEMM_X86
bool HasAvx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}
#else
constexpr bool HasAvx2() { return false; }
#endif

inline int32_t ScalarRequant(int32_t acc, int32_t mult, int shift, Rounding r) {
  switch (r) {
    case Rounding::kRuy: return RuyMultiply(acc, mult, shift);
    case Rounding::kRuyX86: return MultiplyByQuantizedMultiplierRuyX86(acc, mult, shift);
    case Rounding::kTflite:
    case Rounding::kFp32: break;  // kFp32 never reaches here (RequantizeFp32)
  }
  return MultiplyByQuantizedMultiplier(acc, mult, shift);
}

template <typename Out>
void RequantizeScalar(const int32_t* acc, int begin, int count, int c0, const OutputStage& os,
                      Out* out) {
  for (int i = begin; i < count; ++i) {
    const int c = c0 + i;
    int32_t x = acc[i];
    // Wrapping int32 add, as the AVX2 path (and TFLite's int32 arithmetic in
    // practice) does; a plain += would be undefined on overflow.
    if (os.bias != nullptr) {
      x = static_cast<int32_t>(static_cast<uint32_t>(x) + static_cast<uint32_t>(os.bias[c]));
    }
    if (os.rounding == Rounding::kFp32) {
      x = RequantizeFp32(x, os.scale[c], os.zero_point, os.act_min, os.act_max);
    } else {
      x = ScalarRequant(x, os.mult[c], os.shift[c], os.rounding) + os.zero_point;
      x = std::min(std::max(x, os.act_min), os.act_max);
    }
    out[i] = static_cast<Out>(x);
  }
}

#ifdef SYSTOLE_GEMM_X86
// The first step both two-step multipliers share: x << max(shift, 0), then
// low32((x * mult + 2^30) >> 31) per lane; *right = max(-shift, 0).
SYSTOLE_AVX2 inline __m256i DoublingHighMul8(__m256i x, __m256i mult, __m256i shift, __m256i* right) {
  const __m256i zero = _mm256_setzero_si256();
  *right = _mm256_max_epi32(_mm256_sub_epi32(zero, shift), zero);
  x = _mm256_sllv_epi32(x, _mm256_max_epi32(shift, zero));
  const __m256i nudge = _mm256_set1_epi64x(int64_t{1} << 30);
  __m256i pe = _mm256_mul_epi32(x, mult);
  __m256i po = _mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(mult, 32));
  pe = _mm256_srli_epi64(_mm256_add_epi64(pe, nudge), 31);
  po = _mm256_srli_epi64(_mm256_add_epi64(po, nudge), 31);
  return _mm256_blend_epi32(pe, _mm256_slli_epi64(po, 32), 0xAA);
}

// 8 lanes of MultiplyByQuantizedMultiplier (TFLite double rounding).
// SaturatingRoundingDoublingHighMul(a, b) == (a * b + 2^30) >> 31 (floor) for
// every input except a == b == INT32_MIN, impossible here (multiplier > 0).
SYSTOLE_AVX2 inline __m256i TfliteMul8(__m256i x, __m256i mult, __m256i shift) {
  const __m256i one = _mm256_set1_epi32(1);
  __m256i right;
  const __m256i high = DoublingHighMul8(x, mult, shift, &right);
  // RoundingDivideByPOT(high, right): ties away from zero.
  const __m256i mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, right), one);
  const __m256i remainder = _mm256_and_si256(high, mask);
  const __m256i threshold =
      _mm256_add_epi32(_mm256_srai_epi32(mask, 1), _mm256_srli_epi32(high, 31));
  const __m256i shifted = _mm256_srav_epi32(high, right);
  return _mm256_sub_epi32(shifted, _mm256_cmpgt_epi32(remainder, threshold));
}

// 8 lanes of MultiplyByQuantizedMultiplierRuyX86 (ruy's own x86 kernels).
SYSTOLE_AVX2 inline __m256i RuyX86Mul8(__m256i x, __m256i mult, __m256i shift) {
  const __m256i zero = _mm256_setzero_si256();
  const __m256i one = _mm256_set1_epi32(1);
  __m256i right;
  const __m256i high = DoublingHighMul8(x, mult, shift, &right);
  // Nudge 2^(right-1) where right > 0 (sllv by a count >= 32 gives 0).
  const __m256i nudge = _mm256_sllv_epi32(one, _mm256_sub_epi32(right, one));
  const __m256i nudge_or_zero = _mm256_and_si256(nudge, _mm256_cmpgt_epi32(right, zero));
  const __m256i shifted = _mm256_srav_epi32(_mm256_add_epi32(high, nudge_or_zero), right);
  const __m256i overflow =
      _mm256_cmpgt_epi32(high, _mm256_sub_epi32(_mm256_set1_epi32(0x7fffffff), nudge_or_zero));
  const __m256i saturated = _mm256_sllv_epi32(one, _mm256_sub_epi32(_mm256_set1_epi32(31), right));
  return _mm256_blendv_epi8(shifted, saturated, overflow);
}

// Arithmetic 64-bit right shift by per-lane amounts (AVX2 has only logical).
SYSTOLE_AVX2 inline __m256i Sra64(__m256i v, __m256i n) {
  const __m256i sign = _mm256_cmpgt_epi64(_mm256_setzero_si256(), v);
  return _mm256_xor_si256(_mm256_srlv_epi64(_mm256_xor_si256(v, sign), n), sign);
}

// 8 lanes of ruy's single-rounding multiplier.
SYSTOLE_AVX2 inline __m256i RuyMul8(__m256i x, __m256i mult, __m256i shift) {
  const __m256i total = _mm256_sub_epi32(_mm256_set1_epi32(31), shift);
  const __m256i low32 = _mm256_set1_epi64x(0xFFFFFFFFLL);
  const __m256i te = _mm256_and_si256(total, low32);
  const __m256i to = _mm256_srli_epi64(total, 32);
  const __m256i one64 = _mm256_set1_epi64x(1);
  __m256i pe = _mm256_mul_epi32(x, mult);
  __m256i po = _mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(mult, 32));
  pe = _mm256_add_epi64(pe, _mm256_sllv_epi64(one64, _mm256_sub_epi64(te, one64)));
  po = _mm256_add_epi64(po, _mm256_sllv_epi64(one64, _mm256_sub_epi64(to, one64)));
  pe = Sra64(pe, te);
  po = Sra64(po, to);
  return _mm256_blend_epi32(pe, _mm256_slli_epi64(po, 32), 0xAA);
}

template <typename Out>
SYSTOLE_AVX2 inline void Store8(__m256i x, Out* out) {
  // Values are within the output type's range: narrow without saturation effects.
  const __m256i p16 = _mm256_packs_epi32(x, x);
  const __m256i p8 = std::is_same<Out, uint8_t>::value ? _mm256_packus_epi16(p16, p16)
                                                        : _mm256_packs_epi16(p16, p16);
  const int32_t w0 = _mm256_extract_epi32(p8, 0);
  const int32_t w1 = _mm256_extract_epi32(p8, 4);
  std::memcpy(out, &w0, 4);
  std::memcpy(out + 4, &w1, 4);
}

// XNNPACK fp32 requantization, 8 lanes (_mm256_cvtps_epi32 rounds to nearest
// even under the default MXCSR).
template <typename Out>
SYSTOLE_AVX2 void RequantizeFp32Avx2(const int32_t* acc, int count, int c0, const OutputStage& os,
                                     Out* out) {
  const __m256i zp = _mm256_set1_epi32(os.zero_point);
  const __m256 lo = _mm256_set1_ps(static_cast<float>(os.act_min - os.zero_point));
  const __m256 hi = _mm256_set1_ps(static_cast<float>(os.act_max - os.zero_point));
  int i = 0;
  for (; i + 8 <= count; i += 8) {
    const int c = c0 + i;
    __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(acc + i));
    if (os.bias != nullptr) {
      x = _mm256_add_epi32(x, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(os.bias + c)));
    }
    __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(x), _mm256_loadu_ps(os.scale + c));
    f = _mm256_min_ps(_mm256_max_ps(f, lo), hi);
    Store8(_mm256_add_epi32(_mm256_cvtps_epi32(f), zp), out + i);
  }
  RequantizeScalar(acc, i, count, c0, os, out);
}

template <typename Out>
SYSTOLE_AVX2 void RequantizeAvx2(const int32_t* acc, int count, int c0, const OutputStage& os,
                                 Out* out) {
  if (os.rounding == Rounding::kFp32) {
    RequantizeFp32Avx2(acc, count, c0, os, out);
    return;
  }
  const __m256i zp = _mm256_set1_epi32(os.zero_point);
  const __m256i lo = _mm256_set1_epi32(os.act_min);
  const __m256i hi = _mm256_set1_epi32(os.act_max);
  int i = 0;
  for (; i + 8 <= count; i += 8) {
    const int c = c0 + i;
    __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(acc + i));
    if (os.bias != nullptr) {
      x = _mm256_add_epi32(x, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(os.bias + c)));
    }
    const __m256i m = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(os.mult + c));
    const __m256i s = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(os.shift + c));
    x = os.rounding == Rounding::kRuy      ? RuyMul8(x, m, s)
        : os.rounding == Rounding::kRuyX86 ? RuyX86Mul8(x, m, s)
                                           : TfliteMul8(x, m, s);
    x = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(x, zp), lo), hi);
    // Values are within the output type's range now: narrow without saturation effects.
    const __m256i p16 = _mm256_packs_epi32(x, x);
    const __m256i p8 = std::is_same<Out, uint8_t>::value ? _mm256_packus_epi16(p16, p16)
                                                          : _mm256_packs_epi16(p16, p16);
    const int32_t w0 = _mm256_extract_epi32(p8, 0);
    const int32_t w1 = _mm256_extract_epi32(p8, 4);
    std::memcpy(out + i, &w0, 4);
    std::memcpy(out + i + 4, &w1, 4);
  }
  RequantizeScalar(acc, i, count, c0, os, out);
}

// acc[r][0..kNr) = sum_kp a_r[2kp..2kp+1] . b[kp][col][0..1], r < kMr.
SYSTOLE_AVX2 void TileAvx2(const int16_t* a, int lda, int rows, const int16_t* b, int kpairs,
                           int32_t* acc) {
  const int16_t* a0 = a;
  const int16_t* a1 = rows > 1 ? a + lda : a0;
  const int16_t* a2 = rows > 2 ? a + 2 * lda : a0;
  const int16_t* a3 = rows > 3 ? a + 3 * lda : a0;
  __m256i c00 = _mm256_setzero_si256(), c01 = _mm256_setzero_si256();
  __m256i c10 = _mm256_setzero_si256(), c11 = _mm256_setzero_si256();
  __m256i c20 = _mm256_setzero_si256(), c21 = _mm256_setzero_si256();
  __m256i c30 = _mm256_setzero_si256(), c31 = _mm256_setzero_si256();
  for (int kp = 0; kp < kpairs; ++kp) {
    const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + kp * 2 * kNr));
    const __m256i b1 =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + kp * 2 * kNr + kNr));
    int32_t v0, v1, v2, v3;
    std::memcpy(&v0, a0 + 2 * kp, 4);
    std::memcpy(&v1, a1 + 2 * kp, 4);
    std::memcpy(&v2, a2 + 2 * kp, 4);
    std::memcpy(&v3, a3 + 2 * kp, 4);
    const __m256i x0 = _mm256_set1_epi32(v0);
    const __m256i x1 = _mm256_set1_epi32(v1);
    const __m256i x2 = _mm256_set1_epi32(v2);
    const __m256i x3 = _mm256_set1_epi32(v3);
    c00 = _mm256_add_epi32(c00, _mm256_madd_epi16(x0, b0));
    c01 = _mm256_add_epi32(c01, _mm256_madd_epi16(x0, b1));
    c10 = _mm256_add_epi32(c10, _mm256_madd_epi16(x1, b0));
    c11 = _mm256_add_epi32(c11, _mm256_madd_epi16(x1, b1));
    c20 = _mm256_add_epi32(c20, _mm256_madd_epi16(x2, b0));
    c21 = _mm256_add_epi32(c21, _mm256_madd_epi16(x2, b1));
    c30 = _mm256_add_epi32(c30, _mm256_madd_epi16(x3, b0));
    c31 = _mm256_add_epi32(c31, _mm256_madd_epi16(x3, b1));
  }
  __m256i* o = reinterpret_cast<__m256i*>(acc);
  _mm256_storeu_si256(o + 0, c00);
  _mm256_storeu_si256(o + 1, c01);
  _mm256_storeu_si256(o + 2, c10);
  _mm256_storeu_si256(o + 3, c11);
  _mm256_storeu_si256(o + 4, c20);
  _mm256_storeu_si256(o + 5, c21);
  _mm256_storeu_si256(o + 6, c30);
  _mm256_storeu_si256(o + 7, c31);
}

template <typename In>
SYSTOLE_AVX2 void SubtractZeroPointAvx2(const In* src, int n, int32_t zero_point, int16_t* dst) {
  for (int i = 0; i < n; ++i) dst[i] = static_cast<int16_t>(src[i] - zero_point);
}

template <typename In>
SYSTOLE_AVX2 void MultiplyAccumulateAvx2(const In* in, int32_t zero_point, const int16_t* w, int n,
                                         int32_t* acc) {
  for (int i = 0; i < n; ++i) {
    acc[i] += static_cast<int32_t>(static_cast<int16_t>(in[i] - zero_point)) * w[i];
  }
}
#endif  // SYSTOLE_GEMM_X86

template <typename In>
void MultiplyAccumulateImpl(const In* in, int32_t zero_point, const int16_t* w, int n,
                            int32_t* acc) {
#ifdef SYSTOLE_GEMM_X86
  if (HasAvx2()) {
    MultiplyAccumulateAvx2(in, zero_point, w, n, acc);
    return;
  }
#endif
  for (int i = 0; i < n; ++i) acc[i] += (static_cast<int32_t>(in[i]) - zero_point) * w[i];
}

void TileScalar(const int16_t* a, int lda, int rows, const int16_t* b, int kpairs,
                int32_t* acc) {
  for (int r = 0; r < kMr; ++r) {
    const int16_t* ar = a + (r < rows ? r : 0) * lda;
    int32_t* out = acc + r * kNr;
    for (int c = 0; c < kNr; ++c) out[c] = 0;
    for (int kp = 0; kp < kpairs; ++kp) {
      const int16_t* bk = b + kp * 2 * kNr;
      const int32_t x0 = ar[2 * kp];
      const int32_t x1 = ar[2 * kp + 1];
      for (int c = 0; c < kNr; ++c) out[c] += x0 * bk[2 * c] + x1 * bk[2 * c + 1];
    }
  }
}

template <typename Out>
void RequantizeImpl(const int32_t* acc, int count, int c0, const OutputStage& os, Out* out) {
#ifdef SYSTOLE_GEMM_X86
  if (HasAvx2()) {
    RequantizeAvx2(acc, count, c0, os, out);
    return;
  }
#endif
  RequantizeScalar(acc, 0, count, c0, os, out);
}

template <typename Out>
void GemmRequantizeImpl(const int16_t* a, int rows, const PackedRhs& b, const OutputStage& os,
                        Out* out, int out_stride) {
  const int kpairs = b.depth_pad / 2;
  const bool avx2 = HasAvx2();
  alignas(32) int32_t acc[kMr * kNr];
  for (int blk = 0; blk < b.blocks; ++blk) {
    const int16_t* bb = b.data.data() + static_cast<size_t>(blk) * kpairs * 2 * kNr;
    const int c0 = blk * kNr;
    const int count = std::min(kNr, b.cols - c0);
    for (int r0 = 0; r0 < rows; r0 += kMr) {
      const int tile_rows = std::min(kMr, rows - r0);
      const int16_t* ar = a + static_cast<size_t>(r0) * b.depth_pad;
#ifdef SYSTOLE_GEMM_X86
      if (avx2) {
        TileAvx2(ar, b.depth_pad, tile_rows, bb, kpairs, acc);
      } else {
        TileScalar(ar, b.depth_pad, tile_rows, bb, kpairs, acc);
      }
#else
      (void)avx2;
      TileScalar(ar, b.depth_pad, tile_rows, bb, kpairs, acc);
#endif
      for (int r = 0; r < tile_rows; ++r) {
        RequantizeImpl(acc + r * kNr, count, c0, os,
                       out + static_cast<size_t>(r0 + r) * out_stride + c0);
      }
    }
  }
}

template <typename In>
void PackRhsImpl(const In* w, int32_t zero_point, PackedRhs* out) {
  const int n = out->cols;
  const int k = out->depth;
  const int kpairs = out->depth_pad / 2;
  std::fill(out->data.begin(), out->data.end(), int16_t{0});
  for (int c = 0; c < n; ++c) {
    const int blk = c / kNr;
    const int col = c % kNr;
    int16_t* dst = out->data.data() + static_cast<size_t>(blk) * kpairs * 2 * kNr + 2 * col;
    const In* src = w + static_cast<size_t>(c) * k;
    for (int i = 0; i < k; ++i) {
      dst[(i / 2) * 2 * kNr + (i & 1)] = static_cast<int16_t>(src[i] - zero_point);
    }
  }
}

template <typename In>
void SubtractZeroPointImpl(const In* src, int n, int32_t zero_point, int16_t* dst) {
#ifdef SYSTOLE_GEMM_X86
  if (HasAvx2()) {
    SubtractZeroPointAvx2(src, n, zero_point, dst);
    return;
  }
#endif
  for (int i = 0; i < n; ++i) dst[i] = static_cast<int16_t>(src[i] - zero_point);
}

}  // namespace

int32_t RequantizeFp32(int32_t acc, float scale, int32_t zero_point, int32_t act_min,
                       int32_t act_max) {
  float f = static_cast<float>(acc) * scale;
  f = std::min(std::max(f, static_cast<float>(act_min - zero_point)),
               static_cast<float>(act_max - zero_point));
  return static_cast<int32_t>(std::nearbyint(f)) + zero_point;
}

void PackedRhs::Reserve(int n, int k) {
  cols = n;
  depth = k;
  depth_pad = (k + 1) & ~1;
  blocks = (n + kNr - 1) / kNr;
  data.assign(static_cast<size_t>(blocks) * depth_pad * kNr, int16_t{0});
}

void PackRhs(const int8_t* w, int32_t zero_point, PackedRhs* out) {
  PackRhsImpl(w, zero_point, out);
}
void PackRhs(const uint8_t* w, int32_t zero_point, PackedRhs* out) {
  PackRhsImpl(w, zero_point, out);
}

void Requantize(const int32_t* acc, int count, int c0, const OutputStage& os, int8_t* out) {
  RequantizeImpl(acc, count, c0, os, out);
}
void Requantize(const int32_t* acc, int count, int c0, const OutputStage& os, uint8_t* out) {
  RequantizeImpl(acc, count, c0, os, out);
}

void GemmRequantize(const int16_t* a, int rows, const PackedRhs& b, const OutputStage& os,
                    int8_t* out, int out_stride) {
  GemmRequantizeImpl(a, rows, b, os, out, out_stride);
}
void GemmRequantize(const int16_t* a, int rows, const PackedRhs& b, const OutputStage& os,
                    uint8_t* out, int out_stride) {
  GemmRequantizeImpl(a, rows, b, os, out, out_stride);
}

void SubtractZeroPoint(const int8_t* src, int n, int32_t zero_point, int16_t* dst) {
  SubtractZeroPointImpl(src, n, zero_point, dst);
}
void SubtractZeroPoint(const uint8_t* src, int n, int32_t zero_point, int16_t* dst) {
  SubtractZeroPointImpl(src, n, zero_point, dst);
}

void MultiplyAccumulate(const int8_t* in, int32_t zero_point, const int16_t* w, int n,
                        int32_t* acc) {
  MultiplyAccumulateImpl(in, zero_point, w, n, acc);
}
void MultiplyAccumulate(const uint8_t* in, int32_t zero_point, const int16_t* w, int n,
                        int32_t* acc) {
  MultiplyAccumulateImpl(in, zero_point, w, n, acc);
}

}  // namespace gemm
}  // namespace kernels
}  // namespace systole
