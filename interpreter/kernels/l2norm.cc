// L2_NORMALIZATION on int8 and uint8 tensors (normalizing the last axis),
// bit-exact with TensorFlow Lite's builtin kernel
// (tensorflow/lite/kernels/l2norm.cc). Both quantized paths compute, per row,
// the int32 sum of squared (x - zp) and its inverse square root with
// GetInvSqrtQuantizedMultiplierExp (gemmlowp fixed point: 5 Newton-Raphson
// steps in Q3.28, times sqrt(2)/2, reverse shift -1); then
//  * INT8 (reference_integer_ops::L2Normalization):
//    out = clamp(MultiplyByQuantizedMultiplier(x - zp, inv, shift + 7), -128, 127);
//  * UINT8 (optimized_ops / reference_ops::L2Normalization, identical):
//    out = clamp(128 + MultiplyByQuantizedMultiplierSmallerThanOneExp(128 * (x - zp), inv, shift), 0, 255).
// The output must be quantized with scale 1/128 and zero point 0 (INT8) or 128
// (UINT8), as TFLite's Prepare requires; the fused activation must be NONE.
// A zero row (sum 0) takes the inverse square root of 1, as in TFLite.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "common/fixed_point.h"
#include "common/inv_sqrt.h"
#include "interpreter/kernels/builtin_kernels.h"
#include "interpreter/kernels/kernel_util.h"
#include "schema/tflite_generated.h"

namespace systole {
namespace kernels {
namespace {

TfLiteStatus Prepare(TfLiteContext* context, TfLiteNode* node) {
  const auto* params = static_cast<const TfLiteL2NormParams*>(node->builtin_data);
  SYSTOLE_KERNEL_ENSURE(context, NumInputs(node) == 1, "L2_NORMALIZATION: expected 1 input, got %d",
                        NumInputs(node));
  SYSTOLE_KERNEL_ENSURE(context, NumOutputs(node) == 1, "L2_NORMALIZATION: expected 1 output, got %d",
                        NumOutputs(node));
  const TfLiteTensor* input = GetInput(context, node, 0);
  TfLiteTensor* output = GetOutput(context, node, 0);
  SYSTOLE_KERNEL_ENSURE(context, input && output, "L2_NORMALIZATION: missing input/output");
  SYSTOLE_KERNEL_ENSURE(context, params == nullptr || params->activation == kTfLiteActNone,
                        "L2_NORMALIZATION: fused activation %d not supported (NONE only, as TFLite)",
                        params ? static_cast<int>(params->activation) : 0);
  SYSTOLE_KERNEL_ENSURE(context, NumDimensions(input) >= 1 && NumDimensions(input) <= 4,
                        "L2_NORMALIZATION: input is %d-D; must be 1-D to 4-D", NumDimensions(input));
  SYSTOLE_KERNEL_ENSURE(context, input->type == output->type && (input->type == kTfLiteInt8 || input->type == kTfLiteUInt8),
                        "L2_NORMALIZATION: input %s / output %s not supported (int8 or uint8 on both sides)",
                        TypeName(input->type), TypeName(output->type));
  const int32_t want_zp = input->type == kTfLiteInt8 ? 0 : 128;
  SYSTOLE_KERNEL_ENSURE(context, output->params.scale == 1.0f / 128.0f && output->params.zero_point == want_zp,
                        "L2_NORMALIZATION: output must have scale 1/128 and zero point %d (got %g, %d)", want_zp,
                        output->params.scale, output->params.zero_point);
  SYSTOLE_KERNEL_ENSURE(context, SizeOfDimension(input, NumDimensions(input) - 1) < (1 << 16),
                        "L2_NORMALIZATION: last dimension %d exceeds 65535 (the int32 sum of squares)",
                        SizeOfDimension(input, NumDimensions(input) - 1));
  std::vector<int> dims(input->dims->data, input->dims->data + input->dims->size);
  return context->ResizeTensor(context, output, IntArrayFromVector(dims));
}

template <typename T>
void EvalTyped(const TfLiteTensor* input, TfLiteTensor* output) {
  const int depth = SizeOfDimension(input, NumDimensions(input) - 1);
  const int64_t outer = depth == 0 ? 0 : NumElements(input) / depth;
  const T* in = reinterpret_cast<const T*>(input->data.raw);
  T* out = reinterpret_cast<T*>(output->data.raw);
  const int32_t zp = input->params.zero_point;
  for (int64_t r = 0; r < outer; ++r) {
    const T* x = in + r * depth;
    T* y = out + r * depth;
    // int32 wrap-around (no UB) for zero points outside the type's range.
    uint32_t sum = 0;
    for (int c = 0; c < depth; ++c) {
      const uint32_t d = static_cast<uint32_t>(int32_t{x[c]}) - static_cast<uint32_t>(zp);
      sum += d * d;
    }
    const int32_t acc = static_cast<int32_t>(sum);
    int32_t inv = 0;
    int shift = 0;
    InvSqrtQuantizedMultiplierExp(acc, -1, &inv, &shift);
    for (int c = 0; c < depth; ++c) {
      const int32_t d = int32_t{x[c]} - zp;
      int32_t v;
      if (std::is_same<T, int8_t>::value) {
        v = std::min(127, std::max(-128, MultiplyByQuantizedMultiplier(d, inv, shift + 7)));
      } else {
        v = std::min(255, std::max(0, 128 + MultiplyByQuantizedMultiplierSmallerThanOneExp(128 * d, inv, shift)));
      }
      y[c] = static_cast<T>(v);
    }
  }
}

TfLiteStatus Eval(TfLiteContext* context, TfLiteNode* node) {
  const TfLiteTensor* input = GetInput(context, node, 0);
  TfLiteTensor* output = GetOutput(context, node, 0);
  return EvalInt8OrUint8(context, input, "L2_NORMALIZATION", [&](auto t) {
    EvalTyped<decltype(t)>(input, output);
    return kTfLiteOk;
  });
}

}  // namespace

const TfLiteRegistration* RegisterL2Normalization(TfliteFlavor) {
  static const TfLiteRegistration r = KernelRegistration(Prepare, Eval);
  return &r;
}

}  // namespace kernels
}  // namespace systole
