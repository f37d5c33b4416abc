// QUANTIZE and DEQUANTIZE, bit-exact with TensorFlow Lite's builtin kernels
// (tensorflow/lite/kernels/{quantize,dequantize}.cc, kGenericOptimized):
//
//  * QUANTIZE float32 -> int8/uint8: q = round(x / (double)scale) + zero_point,
//    rounded half away from zero, clamped (optimized_ops::AffineQuantize: the
//    division is done in double).
//  * QUANTIZE int8/uint8 -> int8/uint8 (requantize): (q - z_in) rescaled by
//    s_in / s_out (computed in double) with MultiplyByQuantizedMultiplier, plus
//    z_out, clamped (optimized_ops::Requantize; its int8<->uint8 "xor 0x80"
//    fast path gives the same bytes as the general formula).
//    Flavor xnnpack, float32 -> per-tensor int8/uint8 (XNNPACK's f32-qs8 /
//    f32-qu8 vcvt): f = x * (1.0f / s_out) in binary32, clamped to
//    [q_min - z, q_max - z] (NaN gives q_max), rounded to nearest even, + z.
//    Flavor xnnpack, requantizations the XNNPACK delegate takes
//    (xnnpack_flavor.h; XNNPACK's qs8/qu8 vcvt): Q8 fixed point,
//    m = lrintf(256 * float(s_in / s_out)),
//    out = sat(floor(((q - z_in) * m + 128) / 256) + z_out).
//  * DEQUANTIZE int8/uint8 -> float32: (float)((double)scale * (q - z)).
//  * Per-channel quantization (more than one scale) is supported where TFLite
//    supports it: the QUANTIZE float32 -> int8/uint8 output
//    (reference_ops::PerChannelQuantize: round(x / scale[c]) with a *float*
//    division) and the DEQUANTIZE input (reference_ops::PerChannelDequantize:
//    (float)(q - z[c]) * scale[c] in float). Requantization is per-tensor only.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "common/fixed_point.h"
#include "interpreter/kernels/builtin_kernels.h"
#include "interpreter/kernels/kernel_util.h"
#include "interpreter/kernels/xnnpack_flavor.h"
#include "schema/tflite_generated.h"

namespace systole {
namespace kernels {
namespace {

struct OpData {
  int32_t output_multiplier = 0;
  int output_shift = 0;
  bool xnnpack = false;        // XNNPACK vcvt (Q8 multiplier)
  int32_t xnn_multiplier = 0;
};

void* Init(TfLiteContext*, const char*, size_t) { return new OpData; }
void Free(TfLiteContext*, void* buffer) { delete static_cast<OpData*>(buffer); }

bool Is8Bit(TfLiteType t) { return t == kTfLiteInt8 || t == kTfLiteUInt8; }

// Per-channel parameters of `t`, or nullptr when it is per-tensor.
const TfLiteAffineQuantization* PerChannel(const TfLiteTensor* t) {
  const TfLiteAffineQuantization* q = AffineQuantization(t);
  return q != nullptr && q->scale != nullptr && q->scale->size > 1 ? q : nullptr;
}

TfLiteStatus CheckPerChannel(TfLiteContext* context, const char* op, const char* what,
                             const TfLiteTensor* t) {
  const TfLiteAffineQuantization* q = PerChannel(t);
  const int rank = NumDimensions(t);
  const int axis = q->quantized_dimension;
  SYSTOLE_KERNEL_ENSURE(context, axis >= 0 && axis < rank,
                        "%s: %s quantized_dimension %d is outside its rank %d", op, what, axis,
                        rank);
  SYSTOLE_KERNEL_ENSURE(context,
                        q->scale->size == SizeOfDimension(t, axis) && q->zero_point != nullptr &&
                            q->zero_point->size == q->scale->size,
                        "%s: %s has %d scales and %d zero points for dimension %d of size %d", op,
                        what, q->scale->size, q->zero_point ? q->zero_point->size : 0, axis,
                        SizeOfDimension(t, axis));
  const int32_t lo = t->type == kTfLiteUInt8 ? 0 : -128;
  const int32_t hi = t->type == kTfLiteUInt8 ? 255 : 127;
  for (int c = 0; c < q->scale->size; ++c) {
    SYSTOLE_KERNEL_ENSURE(context, q->scale->data[c] > 0.0f,
                          "%s: %s channel %d scale %g must be positive", op, what, c,
                          static_cast<double>(q->scale->data[c]));
    SYSTOLE_KERNEL_ENSURE(context, q->zero_point->data[c] >= lo && q->zero_point->data[c] <= hi,
                          "%s: %s channel %d zero point %d is outside the %s range", op, what, c,
                          q->zero_point->data[c], TypeName(t->type));
  }
  return kTfLiteOk;
}

TfLiteStatus CheckPerTensor(TfLiteContext* context, const char* op, const char* what,
                            const TfLiteTensor* t) {
  const TfLiteAffineQuantization* q = AffineQuantization(t);
  SYSTOLE_KERNEL_ENSURE(context, q == nullptr || q->scale == nullptr || q->scale->size <= 1,
                        "%s: %s has per-channel quantization (%d scales); only per-tensor "
                        "quantization is supported",
                        op, what, q && q->scale ? q->scale->size : 0);
  SYSTOLE_KERNEL_ENSURE(context, t->params.scale > 0.0f, "%s: %s scale %g must be positive", op,
                        what, static_cast<double>(t->params.scale));
  const int32_t lo = t->type == kTfLiteUInt8 ? 0 : t->type == kTfLiteInt16 ? -32768 : -128;
  const int32_t hi = t->type == kTfLiteUInt8 ? 255 : t->type == kTfLiteInt16 ? 32767 : 127;
  SYSTOLE_KERNEL_ENSURE(context, t->params.zero_point >= lo && t->params.zero_point <= hi,
                        "%s: %s zero point %d is outside the %s range", op, what,
                        static_cast<int>(t->params.zero_point), TypeName(t->type));
  return kTfLiteOk;
}

TfLiteStatus PrepareCommon(TfLiteContext* context, TfLiteNode* node, const char* op,
                           const TfLiteTensor** input, TfLiteTensor** output) {
  SYSTOLE_KERNEL_ENSURE(context, NumInputs(node) == 1 && NumOutputs(node) == 1,
                        "%s: expects 1 input and 1 output, got %d and %d", op, NumInputs(node),
                        NumOutputs(node));
  *input = GetInput(context, node, 0);
  *output = GetOutput(context, node, 0);
  SYSTOLE_KERNEL_ENSURE(context, *input && *output, "%s: missing input or output tensor", op);
  return kTfLiteOk;
}

// ------------------------------------------------------------- QUANTIZE ----

TfLiteStatus QuantizePrepare(TfLiteContext* context, TfLiteNode* node, TfliteFlavor flavor) {
  const TfLiteTensor* input = nullptr;
  TfLiteTensor* output = nullptr;
  SYSTOLE_KERNEL_ENSURE_OK(PrepareCommon(context, node, "QUANTIZE", &input, &output));
  SYSTOLE_KERNEL_ENSURE(context,
                        ((input->type == kTfLiteFloat32 || Is8Bit(input->type)) &&
                         Is8Bit(output->type)) ||
                            (input->type == kTfLiteFloat32 && output->type == kTfLiteInt16),
                        "QUANTIZE: input type %s with output type %s is not supported "
                        "(float32/int8/uint8 -> int8/uint8, float32 -> int16)",
                        TypeName(input->type), TypeName(output->type));
  SYSTOLE_KERNEL_ENSURE(context, output->type != kTfLiteInt16 || PerChannel(output) == nullptr,
                        "QUANTIZE: per-channel INT16 output is not supported");
  if (input->type == kTfLiteFloat32 && PerChannel(output) != nullptr) {
    SYSTOLE_KERNEL_ENSURE_OK(CheckPerChannel(context, "QUANTIZE", "output", output));
    // The output takes the input's shape below; its channels must be there.
    const TfLiteAffineQuantization* q = PerChannel(output);
    SYSTOLE_KERNEL_ENSURE(context,
                          q->quantized_dimension < NumDimensions(input) &&
                              SizeOfDimension(input, q->quantized_dimension) == q->scale->size,
                          "QUANTIZE: the output's %d channels on dimension %d do not match the "
                          "input's shape (rank %d)",
                          q->scale->size, q->quantized_dimension, NumDimensions(input));
  } else {
    SYSTOLE_KERNEL_ENSURE_OK(CheckPerTensor(context, "QUANTIZE", "output", output));
  }
  OpData* data = static_cast<OpData*>(node->user_data);
  data->xnnpack = false;
  if (input->type == kTfLiteFloat32) {
    data->xnnpack = flavor == TfliteFlavor::kXnnpack && output->type != kTfLiteInt16 &&
                    XnnpackTakesNode(context, node, tflite::BuiltinOperator_QUANTIZE);
  } else {
    SYSTOLE_KERNEL_ENSURE_OK(CheckPerTensor(context, "QUANTIZE", "input", input));
    const double effective_output_scale =
        static_cast<double>(input->params.scale) / static_cast<double>(output->params.scale);
    SYSTOLE_KERNEL_ENSURE(context,
                          QuantizeMultiplier(effective_output_scale, &data->output_multiplier,
                                             &data->output_shift),
                          "QUANTIZE: rescale multiplier %g cannot be represented",
                          effective_output_scale);
    data->xnnpack = flavor == TfliteFlavor::kXnnpack &&
                    XnnpackTakesNode(context, node, tflite::BuiltinOperator_QUANTIZE);
    if (data->xnnpack) {
      const float input_output_scale = input->params.scale / output->params.scale;
      data->xnn_multiplier = static_cast<int32_t>(std::lrint(256.0f * input_output_scale));
    }
  }
  return context->ResizeTensor(context, output, TfLiteIntArrayCopy(input->dims));
}

template <typename Out>
void AffineQuantize(const float* in, int64_t n, float scale_f, int32_t zero_point, Out* out) {
  const double scale = static_cast<double>(scale_f);
  constexpr int32_t kMin = std::numeric_limits<Out>::min();
  constexpr int32_t kMax = std::numeric_limits<Out>::max();
  for (int64_t i = 0; i < n; ++i) {
    const float val = in[i];
    // static_cast of an out-of-range double is UB in C++; TFLite's wasm build
    // saturates (i32.trunc_sat) for such inputs. Clamp first to the int32
    // range so huge inputs saturate the same way.
    const double r = std::round(val / scale);
    const int32_t rounded =
        std::isnan(r) ? 0
                      : static_cast<int32_t>(std::max(-2147483648.0, std::min(2147483647.0, r)));
    const int32_t unclamped = static_cast<int32_t>(static_cast<uint32_t>(rounded) +
                                                   static_cast<uint32_t>(zero_point));
    out[i] = static_cast<Out>(std::min(std::max(unclamped, kMin), kMax));
  }
}

// Calls fn(flat_index, channel) for every element of `t`, channel being the
// index along quantized_dimension (row-major layout).
template <typename Fn>
void ForEachWithChannel(const TfLiteTensor* t, int axis, Fn fn) {
  int64_t inner = 1;
  for (int d = axis + 1; d < NumDimensions(t); ++d) inner *= SizeOfDimension(t, d);
  const int channels = SizeOfDimension(t, axis);
  const int64_t n = NumElements(t);
  for (int64_t i = 0; i < n; ++i) fn(i, static_cast<int>((i / inner) % channels));
}

template <typename Out>
void PerChannelQuantize(const TfLiteTensor* input, const TfLiteAffineQuantization& q, Out* out) {
  constexpr int32_t kMin = std::numeric_limits<Out>::min();
  constexpr int32_t kMax = std::numeric_limits<Out>::max();
  const float* in = input->data.f;
  ForEachWithChannel(input, q.quantized_dimension, [&](int64_t i, int c) {
    // Float division, unlike the per-tensor path (TFLite does the same).
    const float r = std::round(in[i] / q.scale->data[c]);
    const int32_t rounded =
        std::isnan(r) ? 0
                      : static_cast<int32_t>(std::max(-2147483648.0f, std::min(2147483520.0f, r)));
    const int32_t unclamped = rounded + q.zero_point->data[c];
    out[i] = static_cast<Out>(std::min(std::max(unclamped, kMin), kMax));
  });
}

// XNNPACK's f32 -> q8 vcvt.
template <typename Out>
void AffineQuantizeXnnpack(const float* in, int64_t n, float scale, int32_t zero_point, Out* out) {
  constexpr int32_t kMin = std::numeric_limits<Out>::min();
  constexpr int32_t kMax = std::numeric_limits<Out>::max();
  const float inv_scale = 1.0f / scale;
  const float lo = static_cast<float>(kMin - zero_point);
  const float hi = static_cast<float>(kMax - zero_point);
  for (int64_t i = 0; i < n; ++i) {
    float f = in[i] * inv_scale;
    f = std::isnan(f) ? hi : std::min(std::max(f, lo), hi);
    out[i] = static_cast<Out>(static_cast<int32_t>(std::nearbyint(f)) + zero_point);
  }
}

template <typename In>
void PerChannelDequantize(const TfLiteTensor* input, const TfLiteAffineQuantization& q,
                          float* out) {
  const In* in = reinterpret_cast<const In*>(input->data.raw_const);
  ForEachWithChannel(input, q.quantized_dimension, [&](int64_t i, int c) {
    const int32_t val = in[i];
    out[i] = static_cast<float>((val - q.zero_point->data[c]) * q.scale->data[c]);
  });
}

template <typename In, typename Out>
void Requantize(const In* in, int64_t n, int32_t multiplier, int shift, int32_t in_zp,
                int32_t out_zp, Out* out) {
  constexpr int32_t kMin = std::numeric_limits<Out>::min();
  constexpr int32_t kMax = std::numeric_limits<Out>::max();
  for (int64_t i = 0; i < n; ++i) {
    const int32_t v =
        MultiplyByQuantizedMultiplier(static_cast<int32_t>(in[i]) - in_zp, multiplier, shift) +
        out_zp;
    out[i] = static_cast<Out>(std::max(std::min(v, kMax), kMin));
  }
}

// XNNPACK's qs8/qu8 vcvt: Q8 multiplier, ties rounded up.
template <typename In, typename Out>
void RequantizeXnnpack(const In* in, int64_t n, int32_t multiplier, int32_t in_zp, int32_t out_zp,
                       Out* out) {
  constexpr int32_t kMin = std::numeric_limits<Out>::min();
  constexpr int32_t kMax = std::numeric_limits<Out>::max();
  for (int64_t i = 0; i < n; ++i) {
    const int32_t v = ((static_cast<int32_t>(in[i]) - in_zp) * multiplier + 128) >> 8;
    out[i] = static_cast<Out>(std::max(std::min(v + out_zp, kMax), kMin));
  }
}

template <typename In>
void RequantizeFrom(const OpData& d, const TfLiteTensor* input, TfLiteTensor* output, int64_t n) {
  const In* in = reinterpret_cast<const In*>(input->data.raw_const);
  if (d.xnnpack) {  // same 8-bit type in and out (XnnpackTakesNode)
    RequantizeXnnpack(in, n, d.xnn_multiplier, input->params.zero_point,
                      output->params.zero_point, reinterpret_cast<In*>(output->data.raw));
    return;
  }
  if (output->type == kTfLiteInt8) {
    Requantize(in, n, d.output_multiplier, d.output_shift, input->params.zero_point,
               output->params.zero_point, output->data.int8);
  } else {
    Requantize(in, n, d.output_multiplier, d.output_shift, input->params.zero_point,
               output->params.zero_point, output->data.uint8);
  }
}

TfLiteStatus QuantizeInvoke(TfLiteContext* context, TfLiteNode* node) {
  const OpData& d = *static_cast<const OpData*>(node->user_data);
  const TfLiteTensor* input = GetInput(context, node, 0);
  TfLiteTensor* output = GetOutput(context, node, 0);
  const int64_t n = NumElements(input);
  switch (input->type) {
    case kTfLiteFloat32:
      if (output->type == kTfLiteInt16) {  // per-tensor (Prepare)
        AffineQuantize(input->data.f, n, output->params.scale, output->params.zero_point,
                       output->data.i16);
      } else if (d.xnnpack) {  // per-tensor output (XnnpackTakesNode)
        if (output->type == kTfLiteInt8) {
          AffineQuantizeXnnpack(input->data.f, n, output->params.scale, output->params.zero_point,
                                output->data.int8);
        } else {
          AffineQuantizeXnnpack(input->data.f, n, output->params.scale, output->params.zero_point,
                                output->data.uint8);
        }
      } else if (const TfLiteAffineQuantization* q = PerChannel(output)) {
        if (output->type == kTfLiteInt8) {
          PerChannelQuantize(input, *q, output->data.int8);
        } else {
          PerChannelQuantize(input, *q, output->data.uint8);
        }
      } else if (output->type == kTfLiteInt8) {
        AffineQuantize(input->data.f, n, output->params.scale, output->params.zero_point,
                       output->data.int8);
      } else {
        AffineQuantize(input->data.f, n, output->params.scale, output->params.zero_point,
                       output->data.uint8);
      }
      return kTfLiteOk;
    case kTfLiteInt8:
      RequantizeFrom<int8_t>(d, input, output, n);
      return kTfLiteOk;
    case kTfLiteUInt8:
      RequantizeFrom<uint8_t>(d, input, output, n);
      return kTfLiteOk;
    default:
      context->ReportError(context, "QUANTIZE: input type %s is not supported",
                           TypeName(input->type));
      return kTfLiteError;
  }
}

// ----------------------------------------------------------- DEQUANTIZE ----

TfLiteStatus DequantizePrepare(TfLiteContext* context, TfLiteNode* node) {
  const TfLiteTensor* input = nullptr;
  TfLiteTensor* output = nullptr;
  SYSTOLE_KERNEL_ENSURE_OK(PrepareCommon(context, node, "DEQUANTIZE", &input, &output));
  SYSTOLE_KERNEL_ENSURE(context,
                        (Is8Bit(input->type) || input->type == kTfLiteInt16) &&
                            output->type == kTfLiteFloat32,
                        "DEQUANTIZE: input type %s with output type %s is not supported "
                        "(int8/uint8/int16 -> float32)",
                        TypeName(input->type), TypeName(output->type));
  SYSTOLE_KERNEL_ENSURE(context, input->type != kTfLiteInt16 || PerChannel(input) == nullptr,
                        "DEQUANTIZE: per-channel INT16 input is not supported");
  // As TFLite: int16 input is symmetric.
  SYSTOLE_KERNEL_ENSURE(context, input->type != kTfLiteInt16 || input->params.zero_point == 0,
                        "DEQUANTIZE: INT16 input zero point must be 0, got %d",
                        static_cast<int>(input->params.zero_point));
  if (PerChannel(input) != nullptr) {
    SYSTOLE_KERNEL_ENSURE_OK(CheckPerChannel(context, "DEQUANTIZE", "input", input));
  } else {
    SYSTOLE_KERNEL_ENSURE_OK(CheckPerTensor(context, "DEQUANTIZE", "input", input));
  }
  return context->ResizeTensor(context, output, TfLiteIntArrayCopy(input->dims));
}

template <typename In>
void Dequantize(const In* in, int64_t n, float scale_f, int32_t zero_point, float* out) {
  const double scale = scale_f;
  for (int64_t i = 0; i < n; ++i) {
    const int32_t val = in[i];
    out[i] = static_cast<float>(scale * (val - zero_point));
  }
}

TfLiteStatus DequantizeInvoke(TfLiteContext* context, TfLiteNode* node) {
  const TfLiteTensor* input = GetInput(context, node, 0);
  TfLiteTensor* output = GetOutput(context, node, 0);
  const int64_t n = NumElements(input);
  if (const TfLiteAffineQuantization* q = PerChannel(input)) {
    if (input->type == kTfLiteInt8) {
      PerChannelDequantize<int8_t>(input, *q, output->data.f);
    } else {
      PerChannelDequantize<uint8_t>(input, *q, output->data.f);
    }
  } else if (input->type == kTfLiteInt16) {
    Dequantize(input->data.i16, n, input->params.scale, input->params.zero_point,
               output->data.f);
  } else if (input->type == kTfLiteInt8) {
    Dequantize(input->data.int8, n, input->params.scale, input->params.zero_point,
               output->data.f);
  } else {
    Dequantize(input->data.uint8, n, input->params.scale, input->params.zero_point,
               output->data.f);
  }
  return kTfLiteOk;
}

}  // namespace

const TfLiteRegistration* RegisterQuantize(TfliteFlavor flavor) {
  static const auto r = FlavoredKernelRegistrations<QuantizePrepare>(QuantizeInvoke, Init, Free);
  return &r[static_cast<int>(flavor)];
}

const TfLiteRegistration* RegisterDequantize(TfliteFlavor) {
  static const TfLiteRegistration r = KernelRegistration(DequantizePrepare, DequantizeInvoke);
  return &r;
}

}  // namespace kernels
}  // namespace systole
