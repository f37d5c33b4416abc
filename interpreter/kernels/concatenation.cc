// CONCATENATION along one axis, as TensorFlow Lite's
// tensorflow/lite/kernels/concatenation.cc (optimized kernel):
//  * all inputs have the output's rank and type, and equal dimensions except
//    along `axis` (negative counts from the back);
//  * the fused activation must be NONE (TFLite rejects anything else);
//  * INT8: every input's scale and zero point must equal the output's (TFLite
//    rejects rescaling for int8, so Systole does too);
//  * UINT8: an input whose (scale, zero point) differ from the output's is
//    requantized in float exactly as TFLite's ConcatenationWithScaling:
//      scale' = in_scale * (1.f / out_scale), bias = -in_zp * scale',
//      q = clamp(round(x * scale' + bias) + out_zp, 0, 255)   (all float32,
//      round half away from zero); others are copied.
//  * FLOAT32 / INT32 are plain copies.

// Bit-exactness needs every float multiply and add rounded separately, as the
// reference (wasm, no FMA) does: forbid contraction into fused multiply-adds
// even when the build targets an FMA-capable CPU.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "interpreter/kernels/builtin_kernels.h"
#include "interpreter/kernels/kernel_util.h"

namespace systole {
namespace kernels {
namespace {

size_t ConcatElementSize(TfLiteType type) {
  switch (type) {
    case kTfLiteInt64:
      return 8;
    case kTfLiteFloat32:
    case kTfLiteInt32:
      return 4;
    case kTfLiteInt16:
      return 2;
    case kTfLiteInt8:
    case kTfLiteUInt8:
    case kTfLiteBool:
      return 1;
    default:
      return 0;
  }
}

int ResolveAxis(const TfLiteNode* node, const TfLiteTensor* t0) {
  const auto* params = static_cast<const TfLiteConcatenationParams*>(node->builtin_data);
  const int axis = params != nullptr ? params->axis : 0;
  return axis < 0 ? axis + NumDimensions(t0) : axis;
}

TfLiteStatus ConcatPrepare(TfLiteContext* context, TfLiteNode* node) {
  const int num_inputs = NumInputs(node);
  SYSTOLE_KERNEL_ENSURE(context, num_inputs >= 1, "CONCATENATION: needs at least one input");
  SYSTOLE_KERNEL_ENSURE(context, NumOutputs(node) == 1,
                        "CONCATENATION: expected 1 output, got %d", NumOutputs(node));
  const auto* params = static_cast<const TfLiteConcatenationParams*>(node->builtin_data);
  const TfLiteFusedActivation activation = params != nullptr ? params->activation : kTfLiteActNone;
  SYSTOLE_KERNEL_ENSURE(context, activation == kTfLiteActNone,
                        "CONCATENATION: fused activation %d not supported; must be NONE",
                        static_cast<int>(activation));
  const TfLiteTensor* t0 = GetInput(context, node, 0);
  TfLiteTensor* output = GetOutput(context, node, 0);
  SYSTOLE_KERNEL_ENSURE(context, t0 && output, "CONCATENATION: missing input/output tensor");
  const int dims = NumDimensions(t0);
  const int axis = ResolveAxis(node, t0);
  SYSTOLE_KERNEL_ENSURE(context, axis >= 0 && axis < dims,
                        "CONCATENATION: axis %d is out of range for %d-D inputs",
                        params != nullptr ? params->axis : 0, dims);
  const TfLiteType type = t0->type;
  SYSTOLE_KERNEL_ENSURE(context, ConcatElementSize(type) != 0,
                        "CONCATENATION: type %s not supported (float32, int32, int8, uint8)",
                        TypeName(type));
  SYSTOLE_KERNEL_ENSURE(context, output->type == type,
                        "CONCATENATION: output type %s differs from input type %s",
                        TypeName(output->type), TypeName(type));
  std::vector<int> shape(t0->dims->data, t0->dims->data + dims);
  for (int i = 1; i < num_inputs; ++i) {
    const TfLiteTensor* t = GetInput(context, node, i);
    SYSTOLE_KERNEL_ENSURE(context, t != nullptr, "CONCATENATION: input %d is missing", i);
    SYSTOLE_KERNEL_ENSURE(context, NumDimensions(t) == dims,
                          "CONCATENATION: input %d is %d-D, input 0 is %d-D", i, NumDimensions(t),
                          dims);
    SYSTOLE_KERNEL_ENSURE(context, t->type == type,
                          "CONCATENATION: input %d type %s differs from input 0 type %s", i,
                          TypeName(t->type), TypeName(type));
    for (int d = 0; d < dims; ++d) {
      if (d == axis) {
        shape[d] += SizeOfDimension(t, d);
      } else {
        SYSTOLE_KERNEL_ENSURE(context, SizeOfDimension(t, d) == shape[d],
                              "CONCATENATION: input %d dimension %d is %d, input 0 has %d", i, d,
                              SizeOfDimension(t, d), shape[d]);
      }
    }
  }
  if (type == kTfLiteInt8) {
    for (int i = 0; i < num_inputs; ++i) {
      const TfLiteTensor* t = GetInput(context, node, i);
      SYSTOLE_KERNEL_ENSURE(context,
                            t->params.scale == output->params.scale &&
                                t->params.zero_point == output->params.zero_point,
                            "CONCATENATION: int8 input %d quantization (%g, %d) differs from the "
                            "output's (%g, %d); int8 concatenation does not rescale",
                            i, t->params.scale, t->params.zero_point, output->params.scale,
                            output->params.zero_point);
    }
  }
  if (type == kTfLiteUInt8) {
    SYSTOLE_KERNEL_ENSURE(context, output->params.scale > 0.f,
                          "CONCATENATION: uint8 output scale %g must be > 0",
                          output->params.scale);
  }
  return context->ResizeTensor(context, output, IntArrayFromVector(shape));
}

TfLiteStatus ConcatEval(TfLiteContext* context, TfLiteNode* node) {
  const int num_inputs = NumInputs(node);
  const TfLiteTensor* t0 = GetInput(context, node, 0);
  TfLiteTensor* output = GetOutput(context, node, 0);
  const int axis = ResolveAxis(node, t0);
  const int dims = NumDimensions(output);
  const size_t elem = ConcatElementSize(output->type);
  int64_t outer = 1;
  for (int i = 0; i < axis; ++i) outer *= SizeOfDimension(output, i);
  int64_t inner = 1;
  for (int i = axis + 1; i < dims; ++i) inner *= SizeOfDimension(output, i);

  const bool requantize = output->type == kTfLiteUInt8;
  const float out_scale = output->params.scale;
  const int32_t out_zp = output->params.zero_point;
  const float inverse_out_scale = requantize ? 1.f / out_scale : 0.f;

  uint8_t* out = reinterpret_cast<uint8_t*>(output->data.raw);
  for (int64_t k = 0; k < outer; ++k) {
    for (int i = 0; i < num_inputs; ++i) {
      const TfLiteTensor* t = GetInput(context, node, i);
      const int64_t copy = SizeOfDimension(t, axis) * inner;
      const uint8_t* in = reinterpret_cast<const uint8_t*>(t->data.raw) + k * copy * elem;
      if (!requantize ||
          (t->params.zero_point == out_zp && t->params.scale == out_scale)) {
        std::memcpy(out, in, static_cast<size_t>(copy) * elem);
      } else {
        const float scale = t->params.scale * inverse_out_scale;
        const float bias = static_cast<float>(-t->params.zero_point) * scale;
        for (int64_t j = 0; j < copy; ++j) {
          const float product = static_cast<float>(in[j]) * scale;
          const float real = product + bias;
          const int32_t value = static_cast<int32_t>(static_cast<uint32_t>(TruncToInt32X86(std::round(real))) +
                                                      static_cast<uint32_t>(out_zp));
          out[j] = static_cast<uint8_t>(std::max(std::min(255, value), 0));
        }
      }
      out += copy * elem;
    }
  }
  return kTfLiteOk;
}

}  // namespace

const TfLiteRegistration* RegisterConcatenation(TfliteFlavor) {
  static const TfLiteRegistration r = KernelRegistration(ConcatPrepare, ConcatEval);
  return &r;
}

}  // namespace kernels
}  // namespace systole
