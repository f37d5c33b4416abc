// Helpers shared by the CPU kernels: tensor access, shapes, quantization
// parameters and activation ranges, computed exactly as TensorFlow Lite does.
#ifndef SYSTOLE_INTERPRETER_KERNELS_KERNEL_UTIL_H_
#define SYSTOLE_INTERPRETER_KERNELS_KERNEL_UTIL_H_

#include <array>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "common/fixed_point.h"
#include "common/tflite_flavor.h"
#include "interpreter/tflite_c.h"

namespace systole {
namespace kernels {

// static_cast<int32_t>(float) as x86-64 evaluates it (cvttss2si): truncation,
// and INT32_MIN for NaN or a value out of range, where C++ leaves it
// undefined. TFLite's kernels cast unchecked; malformed scales reach them.
inline int32_t TruncToInt32X86(float v) {
  if (!(v >= -2147483648.0f && v < 2147483648.0f)) return INT32_MIN;
  return static_cast<int32_t>(v);
}

// Reads one element; a BOOL byte other than 0 or 1 (an untrusted tensor) is
// true, without loading it as a bool (undefined for such bytes).
template <typename T>
inline T LoadElement(const T* p) {
  if constexpr (std::is_same_v<T, bool>) {
    return *reinterpret_cast<const unsigned char*>(p) != 0;
  } else {
    return *p;
  }
}

// Reports through context->ReportError and returns kTfLiteError from the
// enclosing function when `cond` is false. The message should name the rule.
#define SYSTOLE_KERNEL_ENSURE(context, cond, ...)          \
  do {                                                     \
    if (!(cond)) {                                         \
      (context)->ReportError((context), __VA_ARGS__);      \
      return kTfLiteError;                                 \
    }                                                      \
  } while (0)

#define SYSTOLE_KERNEL_ENSURE_OK(expr)            \
  do {                                            \
    const TfLiteStatus _s = (expr);               \
    if (_s != kTfLiteOk) return _s;               \
  } while (0)

inline int NumInputs(const TfLiteNode* node) { return node->inputs->size; }
inline int NumOutputs(const TfLiteNode* node) { return node->outputs->size; }

// nullptr for an optional (-1) input.
inline const TfLiteTensor* GetInput(const TfLiteContext* context, const TfLiteNode* node,
                                    int index) {
  if (index < 0 || index >= node->inputs->size) return nullptr;
  const int t = node->inputs->data[index];
  return t < 0 ? nullptr : &context->tensors[t];
}
inline TfLiteTensor* GetOutput(TfLiteContext* context, const TfLiteNode* node, int index) {
  if (index < 0 || index >= node->outputs->size) return nullptr;
  const int t = node->outputs->data[index];
  return t < 0 ? nullptr : &context->tensors[t];
}

inline int NumDimensions(const TfLiteTensor* t) { return t->dims->size; }
inline int SizeOfDimension(const TfLiteTensor* t, int dim) { return t->dims->data[dim]; }
inline int64_t NumElements(const TfLiteIntArray* dims) {
  int64_t n = 1;
  for (int i = 0; i < dims->size; ++i) n *= dims->data[i];
  return n;
}
inline int64_t NumElements(const TfLiteTensor* t) { return NumElements(t->dims); }
inline bool IsConstantTensor(const TfLiteTensor* t) { return t->allocation_type == kTfLiteMmapRo; }
inline bool HaveSameShapes(const TfLiteTensor* a, const TfLiteTensor* b) {
  return TfLiteIntArrayEqualsArray(a->dims, b->dims->size, b->dims->data) != 0;
}
const char* TypeName(TfLiteType type);

// A malloc'ed TfLiteIntArray with the given contents (for ResizeTensor).
TfLiteIntArray* IntArrayFromVector(const std::vector<int>& v);

// Per-channel affine quantization of a tensor, or nullptr.
inline const TfLiteAffineQuantization* AffineQuantization(const TfLiteTensor* t) {
  if (t->quantization.type != kTfLiteAffineQuantization) return nullptr;
  return static_cast<const TfLiteAffineQuantization*>(t->quantization.params);
}

// TFLite CalculateActivationRangeQuantized: the [min, max] clamp for a fused
// activation on a quantized output of type int8/uint8/int16.
TfLiteStatus CalculateActivationRangeQuantized(TfLiteContext* context,
                                               TfLiteFusedActivation activation,
                                               const TfLiteTensor* output, int32_t* act_min,
                                               int32_t* act_max);

// TFLite ComputePaddingHeightWidth / ComputeOutSize.
int ComputeOutSize(TfLitePadding padding, int image_size, int filter_size, int stride,
                   int dilation_rate = 1);
TfLitePaddingValues ComputePaddingHeightWidth(int stride_height, int stride_width,
                                              int dilation_rate_height,
                                              int dilation_rate_width, int in_height,
                                              int in_width, int filter_height,
                                              int filter_width, TfLitePadding padding,
                                              int* out_height, int* out_width);

// TFLite GetQuantizedConvolutionMultipler (the 4-argument form: the scale
// product is taken in float, then widened to double, as TFLite does).
TfLiteStatus GetQuantizedConvolutionMultipler(TfLiteContext* context, const TfLiteTensor* input,
                                              const TfLiteTensor* filter,
                                              const TfLiteTensor* output, double* multiplier);

// TFLite PopulateConvolutionQuantizationParams: per-channel multipliers and
// shifts for CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED, plus the legacy
// per-tensor output_multiplier/output_shift (shift sign as TFLite stores it:
// output_shift = -exponent) and the activation range.
TfLiteStatus PopulateConvolutionQuantizationParams(
    TfLiteContext* context, const TfLiteTensor* input, const TfLiteTensor* filter,
    const TfLiteTensor* bias, TfLiteTensor* output, TfLiteFusedActivation activation,
    int32_t* multiplier, int* shift, int32_t* output_activation_min,
    int32_t* output_activation_max, int32_t* per_channel_multiplier,
    int32_t* per_channel_shift, int num_channels);

// A kernel's registration from its callbacks (the op resolver fills in
// builtin_code and version).
inline TfLiteRegistration KernelRegistration(decltype(TfLiteRegistration::prepare) prepare,
                                             decltype(TfLiteRegistration::invoke) invoke,
                                             decltype(TfLiteRegistration::init) init = nullptr,
                                             decltype(TfLiteRegistration::free) free = nullptr) {
  TfLiteRegistration r{};
  r.init = init;
  r.free = free;
  r.prepare = prepare;
  r.invoke = invoke;
  return r;
}

// Kernels whose Prepare depends on the TFLite flavor: one registration per
// flavor, indexed by the flavor's value, each calling prepare(context, node,
// flavor) with its own flavor.
using FlavoredPrepare = TfLiteStatus (*)(TfLiteContext*, TfLiteNode*, TfliteFlavor);
template <FlavoredPrepare P, TfliteFlavor F>
TfLiteStatus PrepareForFlavor(TfLiteContext* context, TfLiteNode* node) {
  return P(context, node, F);
}
template <FlavoredPrepare P>
std::array<TfLiteRegistration, 3> FlavoredKernelRegistrations(
    decltype(TfLiteRegistration::invoke) invoke, decltype(TfLiteRegistration::init) init = nullptr,
    decltype(TfLiteRegistration::free) free = nullptr) {
  static_assert(static_cast<int>(TfliteFlavor::kRuy) == 0 && static_cast<int>(TfliteFlavor::kX86) == 1 &&
                static_cast<int>(TfliteFlavor::kXnnpack) == 2);
  return {KernelRegistration(PrepareForFlavor<P, TfliteFlavor::kRuy>, invoke, init, free),
          KernelRegistration(PrepareForFlavor<P, TfliteFlavor::kX86>, invoke, init, free),
          KernelRegistration(PrepareForFlavor<P, TfliteFlavor::kXnnpack>, invoke, init, free)};
}

// Calls eval(int8_t{}) or eval(uint8_t{}) by the input's type; any other type
// is an error naming the op.
template <typename F>
TfLiteStatus EvalInt8OrUint8(TfLiteContext* context, const TfLiteTensor* input, const char* op, F&& eval) {
  switch (input->type) {
    case kTfLiteInt8: return eval(int8_t{});
    case kTfLiteUInt8: return eval(uint8_t{});
    default:
      context->ReportError(context, "%s: input type %s not supported", op, TypeName(input->type));
      return kTfLiteError;
  }
}

}  // namespace kernels
}  // namespace systole

#endif  // SYSTOLE_INTERPRETER_KERNELS_KERNEL_UTIL_H_
