#include "simulator/fast_kernels.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "common/fixed_point.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define SYSTOLE_MAC_X86 1
#endif

// Function multi-versioning for the auto-vectorised loops (GCC picks the
// clone per CPU through an ifunc).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SYSTOLE_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SYSTOLE_SIMD_CLONES
#endif

namespace systole::sim {
namespace {

constexpr int kLanePad = 16;  // int32 lanes of one AVX-512 register

// The kernels: y[c] = sum over the pairs p < npairs of
//   lo16(xp[p]) * w16[(p * cpad + c) * 2] + hi16(xp[p]) * w16[(p * cpad + c) * 2 + 1].
using DotFn = void (*)(const int32_t* xp, int npairs, const int16_t* w16, int cpad, int32_t* y);

void DotPortable(const int32_t* xp, int npairs, const int16_t* w16, int cpad, int32_t* y) {
  std::fill(y, y + cpad, 0);
  for (int p = 0; p < npairs; ++p) {
    const int32_t x0 = static_cast<int16_t>(xp[p] & 0xffff), x1 = xp[p] >> 16;
    const int16_t* w = w16 + size_t(p) * cpad * 2;
    for (int c = 0; c < cpad; ++c) y[c] += x0 * w[2 * c] + x1 * w[2 * c + 1];
  }
}

#ifdef SYSTOLE_MAC_X86
// vpmaddwd: per int32 lane, lo16(a)*lo16(b) + hi16(a)*hi16(b); the operands
// are int8 activations and 9-bit weights, so it never saturates.
__attribute__((target("avx2"))) void DotAvx2(const int32_t* xp, int npairs, const int16_t* w16, int cpad,
                                             int32_t* y) {
  for (int j = 0; j < cpad; j += 16) {
    __m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256();
    for (int p = 0; p < npairs; ++p) {
      const __m256i x = _mm256_set1_epi32(xp[p]);
      const int16_t* w = w16 + (size_t(p) * cpad + j) * 2;
      a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(x, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w))));
      a1 = _mm256_add_epi32(a1,
                            _mm256_madd_epi16(x, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 16))));
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + j), a0);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + j + 8), a1);
  }
}

__attribute__((target("avx512f,avx512bw"))) void DotAvx512(const int32_t* xp, int npairs, const int16_t* w16,
                                                           int cpad, int32_t* y) {
  for (int j = 0; j < cpad; j += 16) {
    __m512i a0 = _mm512_setzero_si512(), a1 = _mm512_setzero_si512();
    int p = 0;
    for (; p + 1 < npairs; p += 2) {
      const int16_t* w = w16 + (size_t(p) * cpad + j) * 2;
      a0 = _mm512_add_epi32(a0, _mm512_madd_epi16(_mm512_set1_epi32(xp[p]), _mm512_loadu_si512(w)));
      a1 = _mm512_add_epi32(a1, _mm512_madd_epi16(_mm512_set1_epi32(xp[p + 1]), _mm512_loadu_si512(w + 2 * cpad)));
    }
    if (p < npairs)
      a0 = _mm512_add_epi32(a0, _mm512_madd_epi16(_mm512_set1_epi32(xp[p]),
                                                  _mm512_loadu_si512(w16 + (size_t(p) * cpad + j) * 2)));
    _mm512_storeu_si512(y + j, _mm512_add_epi32(a0, a1));
  }
}
#endif

DotFn KernelByName(const std::string& name) {
  if (name == "portable") return DotPortable;
#ifdef SYSTOLE_MAC_X86
  __builtin_cpu_init();
  if (name == "avx512bw" && __builtin_cpu_supports("avx512bw")) return DotAvx512;
  if (name == "avx2" && __builtin_cpu_supports("avx2")) return DotAvx2;
#endif
  return nullptr;
}

DotFn PickKernel() {
  for (const char* name : {"avx512bw", "avx2"})
    if (DotFn f = KernelByName(name)) return f;
  return DotPortable;
}

DotFn g_dot = PickKernel();

inline int32_t Wrap(int64_t v) { return static_cast<int32_t>(static_cast<uint32_t>(v)); }
inline uint8_t ClampByte(int32_t q, int32_t lo, int32_t hi) {
  return static_cast<uint8_t>(std::min(std::max(q, lo), hi));
}

// One function per mode with the per-column shift arithmetic hoisted, so that
// each loop body is branch-free and vectorises. Each equals its
// common/fixed_point.h function term by term (fast_kernels_test checks them
// against it); the shifts are in [-31, 31].

// MultiplyByQuantizedMultiplier: SaturatingRoundingDoublingHighMul of the
// left-shifted value, then RoundingDivideByPOT by the right shift.
SYSTOLE_SIMD_CLONES void RequantDouble(const int32_t* acc, const int32_t* bias, const int32_t* mult,
                                       const int32_t* shift, uint32_t n, int32_t zp, int32_t lo, int32_t hi,
                                       uint8_t* out) {
  for (uint32_t c = 0; c < n; ++c) {
    const int32_t v = Wrap(int64_t{acc[c]} + bias[c]);
    const int32_t left = std::max(shift[c], 0), right = std::max(-shift[c], 0);
    const int32_t a = static_cast<int32_t>(static_cast<uint32_t>(v) << left);
    const int32_t b = mult[c];
    const int64_t ab = int64_t{a} * b;
    const int64_t nudged = ab + (ab >= 0 ? int64_t{1} << 30 : 1 - (int64_t{1} << 30));
    // Division by 2^31 truncating toward zero.
    const int64_t high64 = (nudged + (nudged < 0 ? (int64_t{1} << 31) - 1 : 0)) >> 31;
    const bool overflow = a == b && a == INT32_MIN;
    const int32_t x = overflow ? INT32_MAX : static_cast<int32_t>(high64);
    const int32_t mask = static_cast<int32_t>((uint32_t{1} << right) - 1u);
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    const int32_t q = (x >> right) + ((x & mask) > threshold ? 1 : 0);
    out[c] = ClampByte(Wrap(int64_t{q} + zp), lo, hi);
  }
}

// MultiplyByQuantizedMultiplierSingleRound: t = 31 - shift in [0, 62].
SYSTOLE_SIMD_CLONES void RequantSingle(const int32_t* acc, const int32_t* bias, const int32_t* mult,
                                       const int32_t* shift, uint32_t n, int32_t zp, int32_t lo, int32_t hi,
                                       uint8_t* out) {
  for (uint32_t c = 0; c < n; ++c) {
    const int32_t v = Wrap(int64_t{acc[c]} + bias[c]);
    // (p + 2^(t-1)) >> t == ((p >> (t-1)) + 1) >> 1 for t >= 1 (floor
    // division; the form GCC vectorises: no shift of a constant by a lane).
    const int32_t t = 31 - shift[c];
    const int64_t prod = int64_t{v} * mult[c];
    const int64_t s = prod >> std::max(t - 1, 0);
    const int64_t res = t > 0 ? (s + 1) >> 1 : s;
    out[c] = ClampByte(Wrap(int64_t{static_cast<int32_t>(res)} + zp), lo, hi);
  }
}

#ifdef SYSTOLE_MAC_X86
// RequantSingle with AVX2 intrinsics, 8 columns per step. gcc vectorises the
// loop above for AVX2 too, but AVX2 has no 64-bit arithmetic shift by lane
// (vpsravq is AVX-512), and its emulation made that clone ~12 instructions a
// column (a third of the SystemC model's compute-bound benchmark on an
// AVX2-only CPU). Here: the 64-bit products of the even and the odd columns
// (vpmuldq), the rounding 2^(t-1) (vpsllvq by t - 1; t = 0 gives a count
// over 63, i.e. 0), the arithmetic shift as a logical one on the value
// XOR its sign mask, then the low 32 bits, + zp (wrapping), clamp, bytes.
// Per 64-bit lane: (int64(x) * y + 2^(t-1)) >> t (arithmetic; no rounding
// term for t = 0), for x, y the int32 in the lane's low half, t in [0, 62].
__attribute__((target("avx2"))) inline __m256i RoundedShift64(__m256i x, __m256i y, __m256i t) {
  const __m256i one = _mm256_set1_epi64x(1);
  __m256i p = _mm256_mul_epi32(x, y);
  p = _mm256_add_epi64(p, _mm256_sllv_epi64(one, _mm256_sub_epi64(t, one)));
  const __m256i sign = _mm256_cmpgt_epi64(_mm256_setzero_si256(), p);
  return _mm256_xor_si256(_mm256_srlv_epi64(_mm256_xor_si256(p, sign), t), sign);
}

__attribute__((target("avx2"))) void RequantSingleAvx2(const int32_t* acc, const int32_t* bias,
                                                       const int32_t* mult, const int32_t* shift, uint32_t n,
                                                       int32_t zp, int32_t lo, int32_t hi, uint8_t* out) {
  const __m256i low32 = _mm256_set1_epi64x(0xffffffffLL), v31 = _mm256_set1_epi32(31);
  const __m256i vzp = _mm256_set1_epi32(zp), vlo = _mm256_set1_epi32(lo), vhi = _mm256_set1_epi32(hi);
  // Byte 0 of each int32 to the front of its 128-bit half, then the halves' first words together.
  const __m256i first_bytes = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,  //
                                               0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  const __m256i halves = _mm256_setr_epi32(0, 4, 1, 1, 1, 1, 1, 1);
  uint32_t c = 0;
  for (; c + 8 <= n; c += 8) {
    const __m256i v = _mm256_add_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(acc + c)),
                                       _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias + c)));
    const __m256i m = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(mult + c));
    const __m256i t = _mm256_sub_epi32(v31, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(shift + c)));
    const __m256i even = RoundedShift64(v, m, _mm256_and_si256(t, low32));
    const __m256i odd = RoundedShift64(_mm256_srli_epi64(v, 32), _mm256_srli_epi64(m, 32), _mm256_srli_epi64(t, 32));
    __m256i q = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
    q = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(q, vzp), vlo), vhi);
    q = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(q, first_bytes), halves);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + c), _mm256_castsi256_si128(q));
  }
  if (c < n) RequantSingle(acc + c, bias + c, mult + c, shift + c, n - c, zp, lo, hi, out + c);
}
#endif

using RequantFn = void (*)(const int32_t*, const int32_t*, const int32_t*, const int32_t*, uint32_t, int32_t,
                           int32_t, int32_t, uint8_t*);

RequantFn RequantKernelByName(const std::string& name) {
  if (name == "portable") return RequantSingle;
#ifdef SYSTOLE_MAC_X86
  __builtin_cpu_init();
  if (name == "avx2" && __builtin_cpu_supports("avx2")) return RequantSingleAvx2;
#endif
  return nullptr;
}

// With AVX-512 the compiler's clone has the 64-bit arithmetic shift and stays.
RequantFn PickRequantKernel() {
#ifdef SYSTOLE_MAC_X86
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512f"))
    if (RequantFn f = RequantKernelByName("avx2")) return f;
#endif
  return RequantSingle;
}

RequantFn g_requant_single = PickRequantKernel();

// MultiplyByQuantizedMultiplierRuyX86: both steps round half up.
SYSTOLE_SIMD_CLONES void RequantHalfUp(const int32_t* acc, const int32_t* bias, const int32_t* mult,
                                       const int32_t* shift, uint32_t n, int32_t zp, int32_t lo, int32_t hi,
                                       uint8_t* out) {
  for (uint32_t c = 0; c < n; ++c) {
    const int32_t v = Wrap(int64_t{acc[c]} + bias[c]);
    const int32_t left = std::max(shift[c], 0), right = std::max(-shift[c], 0);
    const int32_t a = static_cast<int32_t>(static_cast<uint32_t>(v) << left);
    const int64_t prod = int64_t{a} * mult[c] + (int64_t{1} << 30);
    const int32_t high = static_cast<int32_t>(prod >> 31);
    const int32_t nudge = static_cast<int32_t>((uint32_t{1} << right) >> 1);  // 0 when right = 0
    const int32_t sat = static_cast<int32_t>((uint32_t{1} << 31) >> right);   // 2^(31 - right)
    const int32_t q = right > 0 && high > INT32_MAX - nudge ? sat : (high + nudge) >> right;
    out[c] = ClampByte(Wrap(int64_t{q} + zp), lo, hi);
  }
}

// Tests: the kernel called `name` ("" = the one picked for this CPU) into
// `*slot`; false and no change when this CPU or build lacks it.
template <typename Fn>
bool SelectKernel(const std::string& name, Fn (*by_name)(const std::string&), Fn (*pick)(), Fn* slot) {
  const Fn f = name.empty() ? pick() : by_name(name);
  if (f != nullptr) *slot = f;
  return f != nullptr;
}

}  // namespace

bool UseMatmulKernelForTesting(const std::string& name) {
  return SelectKernel(name, KernelByName, PickKernel, &g_dot);
}

bool UseRequantKernelForTesting(const std::string& name) {
  return SelectKernel(name, RequantKernelByName, PickRequantKernel, &g_requant_single);
}

void RequantRow(RequantMode mode, const int32_t* acc, const int32_t* bias, const int32_t* mult,
                const int32_t* shift, uint32_t n, int32_t out_zp, int32_t lo, int32_t hi, uint8_t* out) {
  switch (mode) {
    case RequantMode::kDoubleRound: return RequantDouble(acc, bias, mult, shift, n, out_zp, lo, hi, out);
    case RequantMode::kSingleRound: return g_requant_single(acc, bias, mult, shift, n, out_zp, lo, hi, out);
    case RequantMode::kHalfUp: return RequantHalfUp(acc, bias, mult, shift, n, out_zp, lo, hi, out);
  }
}

void PackedWeights::Pack(const int16_t* w, int k, int cols, int row_stride) {
  k_ = k;
  cols_ = cols;
  cpad_ = (cols + kLanePad - 1) / kLanePad * kLanePad;
  const int np = (k + 1) / 2;
  w16_.assign(size_t(np) * cpad_ * 2, 0);
  for (int r = 0; r < k; ++r) {
    int16_t* dst = w16_.data() + size_t(r / 2) * cpad_ * 2 + (r % 2);
    const int16_t* src = w + size_t(r) * row_stride;
    for (int c = 0; c < cols; ++c) dst[2 * c] = src[c];
  }
  xpairs_.assign(size_t(np), 0);
  y_.assign(size_t(cpad_), 0);
}

void PackedWeights::DotRow(const int8_t* x, int32_t* y) const {
  const int np = (k_ + 1) / 2, full = k_ / 2;
  int32_t* xp = xpairs_.data();
  // Each int8 sign-extended into its int16 half of the pair word.
  uint32_t any = 0;
  for (int p = 0; p < full; ++p) {
    const uint32_t v = uint32_t{static_cast<uint16_t>(int16_t{x[2 * p]})} |
                       uint32_t{static_cast<uint16_t>(int16_t{x[2 * p + 1]})} << 16;
    xp[p] = static_cast<int32_t>(v);
    any |= v;
  }
  if (full < np) {
    xp[full] = static_cast<int32_t>(uint32_t{static_cast<uint16_t>(int16_t{x[2 * full]})});
    any |= static_cast<uint32_t>(xp[full]);
  }
  if (any == 0) {
    std::fill(y, y + cpad_, 0);  // an all-zero vector (padding, zero activations)
    return;
  }
  g_dot(xp, np, w16_.data(), cpad_, y);
}

static SYSTOLE_SIMD_CLONES void StoreOrAddRow(const int32_t* __restrict y, int32_t* __restrict acc, int n,
                                       bool accumulate) {
  if (accumulate) {
    for (int c = 0; c < n; ++c) acc[c] = static_cast<int32_t>(static_cast<uint32_t>(acc[c]) + static_cast<uint32_t>(y[c]));
  } else {
    for (int c = 0; c < n; ++c) acc[c] = y[c];
  }
}

void PackedWeights::MatmulRow(const int8_t* x, int32_t* acc, bool accumulate) const {
  DotRow(x, y_.data());
  StoreOrAddRow(y_.data(), acc, cols_, accumulate);
}

}  // namespace systole::sim
