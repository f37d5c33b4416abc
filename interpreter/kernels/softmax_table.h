// The exponent table of TFLite's quantized SOFTMAX
// (optimized_ops::PopulateSoftmaxLookupTable), shared by the CPU kernel and
// the compiler (which places it in the accelerator's parameter cache), so
// both use the very same float values.
#ifndef SYSTOLE_INTERPRETER_KERNELS_SOFTMAX_TABLE_H_
#define SYSTOLE_INTERPRETER_KERNELS_SOFTMAX_TABLE_H_

#include <cmath>
#include <cstdint>

namespace systole::kernels {

// table[255 - v] = expf(-input_scale * beta * v) for v in [0, 255], in float
// exactly as TFLite computes it (float product, then expf).
inline void PopulateSoftmaxTable(float input_scale, float beta, float table[256]) {
  const float scale = -input_scale * beta;
  for (int32_t val = 0; val <= 255; ++val) table[255 - val] = std::exp(scale * static_cast<float>(val));
}

}  // namespace systole::kernels

#endif  // SYSTOLE_INTERPRETER_KERNELS_SOFTMAX_TABLE_H_
