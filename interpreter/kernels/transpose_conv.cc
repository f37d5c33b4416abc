// TRANSPOSE_CONV on int8 (per-channel or per-tensor weights) and uint8
// tensors, bit-exact with TensorFlow Lite's builtin kernel
// (tensorflow/lite/kernels/transpose_conv.cc). Its two quantized paths,
//  * kReference: reference_ops::TransposeConv (uint8) /
//    reference_integer_ops::TransposeConv (int8): every input pixel scatters
//    (x - x_zp) * (w - w_zp) into an int32 accumulator per output element;
//  * kGenericOptimized (the registered default): optimized_ops /
//    optimized_integer_ops::TransposeConvV2: a GEMM of the weights with the
//    input (zero points subtracted exactly) into an im2col buffer, then
//    Col2im sums the columns into the same int32 accumulators,
// produce the same int32 sums (integer additions, wrapping alike), then add
// the bias and requantize with MultiplyByQuantizedMultiplier (TFLite's double
// rounding): int8 per output channel (PopulateConvolutionQuantizationParams'
// per-channel multipliers, scales widened to double first), uint8 with the
// legacy per-tensor multiplier (float(input_scale * w_scale) / output_scale)
// and the weights' zero point. Padding is computed from the *output* size
// (ComputePaddingHeightWidth with the output's height and width as the image).
// The clamp is the fused activation's range (NONE: the type's range, which is
// what the optimized kernels of the matched TFLite clamp to).
//
// Inputs: 0 = output_shape (constant INT32 [4]), 1 = weights [Cout, KH, KW,
// Cin], 2 = input [N, H, W, Cin], 3 = optional INT32 bias [Cout].
#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "common/fixed_point.h"
#include "interpreter/kernels/builtin_kernels.h"
#include "interpreter/kernels/gemm_requant.h"
#include "interpreter/kernels/kernel_util.h"
#include "schema/tflite_generated.h"

namespace systole {
namespace kernels {
namespace {

struct OpData {
  std::vector<int32_t> mult, shift;  // per output channel; shift > 0 = left
  int32_t act_min = 0, act_max = 0;
  TfLitePaddingValues padding{};
  std::vector<int32_t> acc;
};

void* Init(TfLiteContext*, const char*, size_t) { return new OpData; }
void Free(TfLiteContext*, void* buffer) { delete static_cast<OpData*>(buffer); }

const TfLiteTensor* OptionalBias(TfLiteContext* context, TfLiteNode* node) {
  if (NumInputs(node) < 4 || node->inputs->data[3] < 0) return nullptr;
  return GetInput(context, node, 3);
}

TfLiteStatus Prepare(TfLiteContext* context, TfLiteNode* node) {
  const auto* params = static_cast<const TfLiteTransposeConvParams*>(node->builtin_data);
  auto* data = static_cast<OpData*>(node->user_data);
  SYSTOLE_KERNEL_ENSURE(context, params != nullptr, "TRANSPOSE_CONV: missing TransposeConvOptions");
  SYSTOLE_KERNEL_ENSURE(context, NumInputs(node) == 3 || NumInputs(node) == 4,
                        "TRANSPOSE_CONV: expected 3 or 4 inputs, got %d", NumInputs(node));
  SYSTOLE_KERNEL_ENSURE(context, NumOutputs(node) == 1, "TRANSPOSE_CONV: expected 1 output, got %d",
                        NumOutputs(node));
  const TfLiteTensor* shape = GetInput(context, node, 0);
  const TfLiteTensor* filter = GetInput(context, node, 1);
  const TfLiteTensor* input = GetInput(context, node, 2);
  const TfLiteTensor* bias = OptionalBias(context, node);
  TfLiteTensor* output = GetOutput(context, node, 0);
  SYSTOLE_KERNEL_ENSURE(context, shape && filter && input && output, "TRANSPOSE_CONV: missing input/output");
  bool int8 = false;
  SYSTOLE_KERNEL_ENSURE_OK(
      CheckQuantizedOperands(context, "TRANSPOSE_CONV", input, filter, output, "weights", "", &int8));
  SYSTOLE_KERNEL_ENSURE_OK(CheckConvWindow(context, "TRANSPOSE_CONV", params->stride_height,
                                           params->stride_width, 1, 1, params->padding));
  SYSTOLE_KERNEL_ENSURE(context, shape->type == kTfLiteInt32 && NumDimensions(shape) == 1 &&
                                     SizeOfDimension(shape, 0) == 4,
                        "TRANSPOSE_CONV: output_shape must be an INT32 tensor of 4 elements");
  SYSTOLE_KERNEL_ENSURE(context, IsConstantTensor(shape) && shape->data.raw != nullptr,
                        "TRANSPOSE_CONV: output_shape must be a constant tensor (static shapes only)");
  SYSTOLE_KERNEL_ENSURE(context, NumDimensions(input) == 4 && NumDimensions(filter) == 4,
                        "TRANSPOSE_CONV: input and weights must be 4-D (got %d-D, %d-D)", NumDimensions(input),
                        NumDimensions(filter));
  const int32_t* os = shape->data.i32;
  const int cout = SizeOfDimension(filter, 0), kh = SizeOfDimension(filter, 1), kw = SizeOfDimension(filter, 2);
  SYSTOLE_KERNEL_ENSURE(context, SizeOfDimension(filter, 3) == SizeOfDimension(input, 3),
                        "TRANSPOSE_CONV: weights have %d input channels, the input %d", SizeOfDimension(filter, 3),
                        SizeOfDimension(input, 3));
  SYSTOLE_KERNEL_ENSURE(context, os[0] == SizeOfDimension(input, 0) && os[3] == cout,
                        "TRANSPOSE_CONV: output_shape [%d, %d, %d, %d] must have the input's batch %d and the "
                        "weights' %d output channels",
                        os[0], os[1], os[2], os[3], SizeOfDimension(input, 0), cout);
  SYSTOLE_KERNEL_ENSURE(context, os[1] > 0 && os[2] > 0 && os[1] < (1 << 16) && os[2] < (1 << 16),
                        "TRANSPOSE_CONV: output size %dx%d must be in 1..65535", os[1], os[2]);
  SYSTOLE_KERNEL_ENSURE(context, kh > 0 && kw > 0 && cout > 0, "TRANSPOSE_CONV: empty weights");
  SYSTOLE_KERNEL_ENSURE_OK(CheckBias(context, "TRANSPOSE_CONV", bias, cout));
  SYSTOLE_KERNEL_ENSURE(context, params->activation == kTfLiteActNone || params->activation == kTfLiteActRelu ||
                                     params->activation == kTfLiteActReluN1To1 ||
                                     params->activation == kTfLiteActRelu6,
                        "TRANSPOSE_CONV: fused activation %d not supported", static_cast<int>(params->activation));
  if (!int8) {
    const TfLiteAffineQuantization* q = AffineQuantization(filter);
    SYSTOLE_KERNEL_ENSURE(context, q == nullptr || q->scale == nullptr || q->scale->size <= 1,
                          "TRANSPOSE_CONV: per-channel UINT8 weights are not supported");
  }
  int unused_h = 0, unused_w = 0;
  data->padding = ComputePaddingHeightWidth(params->stride_height, params->stride_width, 1, 1, os[1], os[2], kh,
                                            kw, params->padding, &unused_h, &unused_w);
  data->mult.assign(cout, 0);
  data->shift.assign(cout, 0);
  int32_t legacy_mult = 0;
  int legacy_shift = 0;
  SYSTOLE_KERNEL_ENSURE_OK(PopulateConvolutionQuantizationParams(
      context, input, filter, bias, output, params->activation, &legacy_mult, &legacy_shift, &data->act_min,
      &data->act_max, data->mult.data(), data->shift.data(), cout));
  if (!int8) {
    data->mult.assign(cout, legacy_mult);
    data->shift.assign(cout, -legacy_shift);
  }
  data->acc.assign(static_cast<size_t>(os[1]) * os[2] * cout, 0);
  return context->ResizeTensor(context, output, IntArrayFromVector({os[0], os[1], os[2], os[3]}));
}

template <typename T>
void EvalTyped(const TfLiteTensor* filter, const TfLiteTensor* input, const TfLiteTensor* bias,
               const TfLiteTensor* output, const TfLiteTransposeConvParams* params, OpData* data) {
  const int batches = SizeOfDimension(input, 0), in_h = SizeOfDimension(input, 1),
            in_w = SizeOfDimension(input, 2), cin = SizeOfDimension(input, 3);
  const int cout = SizeOfDimension(filter, 0), kh = SizeOfDimension(filter, 1), kw = SizeOfDimension(filter, 2);
  const int out_h = SizeOfDimension(output, 1), out_w = SizeOfDimension(output, 2);
  const T* in = reinterpret_cast<const T*>(input->data.raw);
  const T* w = reinterpret_cast<const T*>(filter->data.raw);
  T* out = reinterpret_cast<T*>(output->data.raw);
  const int32_t x_zp = input->params.zero_point;
  const int32_t w_zp = std::is_same<T, uint8_t>::value ? filter->params.zero_point : 0;
  const int32_t y_zp = output->params.zero_point;
  // Weights with their zero point removed, [Cout][KH][KW][Cin].
  std::vector<int32_t> wd(static_cast<size_t>(cout) * kh * kw * cin);
  for (size_t i = 0; i < wd.size(); ++i) wd[i] = int32_t{w[i]} - w_zp;
  for (int b = 0; b < batches; ++b) {
    std::fill(data->acc.begin(), data->acc.end(), 0);
    for (int iy = 0; iy < in_h; ++iy)
      for (int ix = 0; ix < in_w; ++ix) {
        const T* px = in + ((static_cast<int64_t>(b) * in_h + iy) * in_w + ix) * cin;
        // 64-bit: strides of a malformed model may overflow int.
        const int64_t oy0 = int64_t{iy} * params->stride_height - data->padding.height;
        const int64_t ox0 = int64_t{ix} * params->stride_width - data->padding.width;
        for (int ky = 0; ky < kh; ++ky) {
          const int64_t oy = oy0 + ky;
          if (oy < 0 || oy >= out_h) continue;
          for (int kx = 0; kx < kw; ++kx) {
            const int64_t ox = ox0 + kx;
            if (ox < 0 || ox >= out_w) continue;
            int32_t* acc = data->acc.data() + (static_cast<int64_t>(oy) * out_w + ox) * cout;
            for (int co = 0; co < cout; ++co) {
              const int32_t* wr = wd.data() + ((static_cast<int64_t>(co) * kh + ky) * kw + kx) * cin;
              uint32_t sum = static_cast<uint32_t>(acc[co]);  // int32 wrap-around, as TFLite's adds
              for (int ci = 0; ci < cin; ++ci)
                sum += (static_cast<uint32_t>(int32_t{px[ci]}) - static_cast<uint32_t>(x_zp)) *
                       static_cast<uint32_t>(wr[ci]);
              acc[co] = static_cast<int32_t>(sum);
            }
          }
        }
      }
    T* ob = out + static_cast<int64_t>(b) * out_h * out_w * cout;
    for (int64_t p = 0; p < int64_t{out_h} * out_w; ++p)
      for (int co = 0; co < cout; ++co) {
        int32_t v = data->acc[p * cout + co];
        if (bias != nullptr) v = static_cast<int32_t>(static_cast<uint32_t>(v) + static_cast<uint32_t>(bias->data.i32[co]));
        v = MultiplyByQuantizedMultiplier(v, data->mult[co], data->shift[co]) + y_zp;
        v = std::min(std::max(v, data->act_min), data->act_max);
        ob[p * cout + co] = static_cast<T>(v);
      }
  }
}

TfLiteStatus Eval(TfLiteContext* context, TfLiteNode* node) {
  const auto* params = static_cast<const TfLiteTransposeConvParams*>(node->builtin_data);
  auto* data = static_cast<OpData*>(node->user_data);
  const TfLiteTensor* filter = GetInput(context, node, 1);
  const TfLiteTensor* input = GetInput(context, node, 2);
  const TfLiteTensor* bias = OptionalBias(context, node);
  TfLiteTensor* output = GetOutput(context, node, 0);
  return EvalInt8OrUint8(context, input, "TRANSPOSE_CONV", [&](auto t) {
    EvalTyped<decltype(t)>(filter, input, bias, output, params, data);
    return kTfLiteOk;
  });
}

}  // namespace

const TfLiteRegistration* RegisterTransposeConv(TfliteFlavor) {
  static const TfLiteRegistration r = KernelRegistration(Prepare, Eval, Init, Free);
  return &r;
}

}  // namespace kernels
}  // namespace systole
