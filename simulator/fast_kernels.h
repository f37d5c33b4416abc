// The vectorised inner loops of the C++ models (the behavioural core and the
// functional model), kept apart from the instruction semantics (semantics.cc)
// so that the semantics read like the ISA and only these loops care about
// speed. Everything here is integer arithmetic with one exact answer; the
// kernels are compiled for several x86 ISA levels and picked per CPU at run
// time (AVX-512BW, AVX2, portable), all giving identical results.
//
// MATMUL: the MAC-array arithmetic, fast: the weights
// (K x C 9-bit signed values in int16, as LOAD_WEIGHTS left them) are packed
// once per instruction into int16 row pairs, and each activation vector
// becomes C int32 dot products of K int8 x 9-bit terms. Integer arithmetic, so every kernel
// (AVX-512BW, AVX2, portable C++; chosen once per process from the CPU) gives
// exactly the sums of the reference loop:
//   y[c] = sum_{r < k} x[r] * w[r][c]   (|y| <= 256 * 128 * 255 < 2^23, no overflow)
#ifndef SYSTOLE_SIMULATOR_FAST_KERNELS_H_
#define SYSTOLE_SIMULATOR_FAST_KERNELS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace systole::sim {

class PackedWeights {
 public:
  // w: k rows of `cols` weights in [-255, 255], row r at w + r * row_stride.
  void Pack(const int16_t* w, int k, int cols, int row_stride);
  int k() const { return k_; }
  int cols() const { return cols_; }
  // Columns rounded up to the widest kernel's lane count; y has this many.
  int padded_cols() const { return cpad_; }

  // y[0 .. padded_cols()) = the dot products of x[0 .. k) with each column
  // (columns >= cols() are 0). x is read for exactly k bytes.
  void DotRow(const int8_t* x, int32_t* y) const;
  // One MATMUL row: acc[c] = y[c] (accumulate = false) or acc[c] + y[c]
  // (wrapping) for c < cols(), y the dot products of x as above.
  void MatmulRow(const int8_t* x, int32_t* acc, bool accumulate) const;

 private:
  int k_ = 0, cols_ = 0, cpad_ = 0;
  // Pair p, column c: w16_[(p * cpad_ + c) * 2 + j] = w[2p + j][c] (0 past k).
  std::vector<int16_t> w16_;
  mutable std::vector<int32_t> xpairs_;  // per call: x[2p] | x[2p+1] << 16
  mutable std::vector<int32_t> y_;       // MatmulRow's dot products
};

// Tests: makes DotRow use one MATMUL kernel ("portable", "avx2", "avx512bw";
// "" = the one chosen for this CPU). False (and no change) when this CPU or
// build lacks it. Not thread-safe; the models call DotRow from one thread.
bool UseMatmulKernelForTesting(const std::string& name);

// POSTPROC, integer modes: for c < n,
//   out[c] = clamp(Requant(acc[c] + bias[c], mult[c], shift[c]) + out_zp, lo, hi)
// with wrapping int32 adds, Requant = MultiplyByQuantizedMultiplier (TFLite's
// double rounding), ...SingleRound (ruy) or ...RuyX86 (half up), from
// common/fixed_point.h; shift[] already clamped to [-31, 31].
enum class RequantMode { kDoubleRound, kSingleRound, kHalfUp };
void RequantRow(RequantMode mode, const int32_t* acc, const int32_t* bias, const int32_t* mult,
                const int32_t* shift, uint32_t n, int32_t out_zp, int32_t lo, int32_t hi, uint8_t* out);
// Tests: makes RequantRow's single-rounding mode use one kernel ("portable":
// the auto-vectorised loop, "avx2": the AVX2 intrinsics; "" = the one chosen
// for this CPU). False (and no change) when this CPU or build lacks it.
bool UseRequantKernelForTesting(const std::string& name);

}  // namespace systole::sim

#endif  // SYSTOLE_SIMULATOR_FAST_KERNELS_H_
