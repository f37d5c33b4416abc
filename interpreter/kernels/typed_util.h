// Helpers shared by the float32 / int32 / int64 / bool kernels (CAST, the
// float and int32 arithmetic, reductions, index ops): typed element access,
// TFLite's float/int32 activation ranges, broadcasting strides and the
// conversions whose out-of-range behaviour TFLite leaves to the compiler.
#ifndef SYSTOLE_INTERPRETER_KERNELS_TYPED_UTIL_H_
#define SYSTOLE_INTERPRETER_KERNELS_TYPED_UTIL_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "interpreter/kernels/kernel_util.h"
#include "interpreter/tflite_c.h"

namespace systole {
namespace kernels {

// TFLite CalculateActivationRange<T> for float32 / int32 outputs.
template <typename T>
void ActivationRange(TfLiteFusedActivation act, T* lo, T* hi) {
  *lo = std::numeric_limits<T>::lowest();
  *hi = std::numeric_limits<T>::max();
  if (act == kTfLiteActRelu) {
    *lo = 0;
  } else if (act == kTfLiteActRelu6) {
    *lo = 0;
    *hi = 6;
  } else if (act == kTfLiteActReluN1To1) {
    *lo = -1;
    *hi = 1;
  }
}
// TFLite ActivationFunctionWithMinMax: min(max(x, lo), hi) (NaN passes).
template <typename T>
inline T ClampMinMax(T x, T lo, T hi) {
  return std::min(std::max(x, lo), hi);
}

// static_cast<To>(from) as the TFLite build of the oracle (WebAssembly)
// computes it, also where C++ leaves it undefined: a float converts to a
// signed integer of at most 32 bits through int32, INT32_MIN when outside
// int32's range or NaN, then wraps to the narrow type; to an unsigned type
// through uint32, 0 when outside (-1, 2^32) or NaN, then wraps; to int64
// INT64_MIN when outside. (x86 builds convert to uint8 through int32, so a
// negative float gives 256 - n there, not 0.) Integers wrap (two's
// complement); to bool is `from != 0`.
template <typename To, typename From>
inline To ConvertValue(From v) {
  if constexpr (std::is_same<To, bool>::value) {
    return v != From(0);
  } else if constexpr (std::is_floating_point<From>::value && std::is_integral<To>::value) {
    if constexpr (sizeof(To) == 8) {
      if (!(std::fabs(static_cast<double>(v)) < 9223372036854775808.0)) {
        return static_cast<To>(std::numeric_limits<int64_t>::min());
      }
      return static_cast<To>(static_cast<int64_t>(v));
    } else if constexpr (std::is_unsigned<To>::value) {
      // Through uint32 (WebAssembly's guarded i32.trunc_f32_u): outside
      // (-1, 2^32) -> 0.
      const double d = static_cast<double>(v);
      if (!(d > -1.0 && d < 4294967296.0)) return To(0);
      return static_cast<To>(static_cast<uint32_t>(v));
    } else {
      if (!(std::fabs(static_cast<double>(v)) < 2147483648.0)) {
        return static_cast<To>(static_cast<uint32_t>(std::numeric_limits<int32_t>::min()));
      }
      return static_cast<To>(static_cast<uint32_t>(static_cast<int32_t>(v)));
    }
  } else if constexpr (std::is_integral<From>::value && std::is_integral<To>::value) {
    // Two's complement wrap, without implementation-defined signed narrowing.
    using U = typename std::make_unsigned<To>::type;
    return static_cast<To>(static_cast<U>(static_cast<uint64_t>(static_cast<int64_t>(v))));
  } else {
    return static_cast<To>(v);
  }
}

// Wrapping int32 arithmetic (what the WebAssembly and x86 builds do on
// overflow).
inline int32_t WrapAdd(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}
inline int32_t WrapSub(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) - static_cast<uint32_t>(b));
}
inline int32_t WrapMul(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) * static_cast<uint32_t>(b));
}

// Numpy-style broadcasting of two inputs: output shape and, for each input,
// the element stride along each output dimension (0 where broadcast), all
// padded on the left to kBroadcastMaxDims.
constexpr int kBroadcastMaxDims = 8;
struct Broadcast2 {
  int rank = 0;
  int out_dims[kBroadcastMaxDims] = {};
  int64_t strides1[kBroadcastMaxDims] = {};
  int64_t strides2[kBroadcastMaxDims] = {};
  int64_t num_elements = 0;
  std::vector<int> out_shape;  // unpadded

  // Calls f(output_index, in1_index, in2_index) in row-major output order.
  template <typename F>
  void ForEach(F&& f) const {
    if (num_elements == 0) return;
    int index[kBroadcastMaxDims] = {};
    const int inner = out_dims[kBroadcastMaxDims - 1];
    const int64_t s1 = strides1[kBroadcastMaxDims - 1];
    const int64_t s2 = strides2[kBroadcastMaxDims - 1];
    int64_t o = 0;
    while (true) {
      int64_t i1 = 0;
      int64_t i2 = 0;
      for (int k = 0; k < kBroadcastMaxDims - 1; ++k) {
        i1 += index[k] * strides1[k];
        i2 += index[k] * strides2[k];
      }
      for (int j = 0; j < inner; ++j, ++o, i1 += s1, i2 += s2) f(o, i1, i2);
      int k = kBroadcastMaxDims - 2;
      for (; k >= 0; --k) {
        if (++index[k] < out_dims[k]) break;
        index[k] = 0;
      }
      if (k < 0) return;
    }
  }
};
// True if TFLite's optimized_ops::ProcessBroadcastShapes would classify this
// (already broadcast-compatible) pair of shapes, padded to `rank`, as one of
// the two "fast" fivefold categories (or as equal), false if generic.
bool IsFivefoldBroadcast(const int* dims0, const int* dims1, int rank);

// TFLite CalculateShapeForBroadcast. Unequal shapes of rank above `max_rank`
// (the op's generic broadcast limit) are rejected, unless `fivefold_any_rank`
// and the pair is a fivefold broadcast.
TfLiteStatus ComputeBroadcast2(TfLiteContext* context, const char* op, const TfLiteTensor* in1,
                               const TfLiteTensor* in2, int max_rank, bool fivefold_any_rank,
                               Broadcast2* b);

// Reads element i of an int32 or int64 tensor (axis / index / k inputs).
inline int64_t ReadIndex(const TfLiteTensor* t, int64_t i) {
  return t->type == kTfLiteInt64 ? t->data.i64[i] : t->data.i32[i];
}

// The output's shape from a vector (ResizeTensor).
inline TfLiteStatus ResizeOutput(TfLiteContext* context, TfLiteTensor* out,
                                 const std::vector<int>& shape) {
  return context->ResizeTensor(context, out, IntArrayFromVector(shape));
}

// Checks the node's input and output counts, naming the op.
TfLiteStatus CheckArity(TfLiteContext* context, const TfLiteNode* node, const char* op,
                        int min_inputs, int max_inputs, int outputs);

// Calls f(T{}) for the C++ type of `type` among float32, int32, int64, int16,
// int8, uint8 and bool; anything else is an error naming op and type.
template <typename F>
TfLiteStatus DispatchType(TfLiteContext* context, TfLiteType type, const char* op,
                          const char* what, F&& f) {
  switch (type) {
    case kTfLiteFloat32: return f(float{});
    case kTfLiteInt32: return f(int32_t{});
    case kTfLiteInt64: return f(int64_t{});
    case kTfLiteInt16: return f(int16_t{});
    case kTfLiteInt8: return f(int8_t{});
    case kTfLiteUInt8: return f(uint8_t{});
    case kTfLiteBool: return f(bool{});
    default:
      context->ReportError(context, "%s: %s type %s is not supported", op, what, TypeName(type));
      return kTfLiteError;
  }
}

template <typename T>
inline T* Data(TfLiteTensor* t) {
  return reinterpret_cast<T*>(t->data.raw);
}
template <typename T>
inline const T* Data(const TfLiteTensor* t) {
  return reinterpret_cast<const T*>(t->data.raw);
}

}  // namespace kernels
}  // namespace systole

#endif  // SYSTOLE_INTERPRETER_KERNELS_TYPED_UTIL_H_
