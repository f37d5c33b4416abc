// DEPTHWISE_CONV_2D on int8 / uint8 tensors, bit-exact with TensorFlow Lite's
// builtin kernel (tensorflow/lite/kernels/depthwise_conv.cc, kGenericOptimized):
//
//  * int8: per-channel (or broadcast per-tensor) multipliers from double
//    scale products, weight zero points ignored
//    (optimized_integer_ops::DepthwiseConvPerChannel);
//  * uint8: the legacy per-tensor multiplier (float scale product) and the
//    weight zero point (optimized_ops::DepthwiseConv).
// Both requantize inside TFLite's own depthwise code with
// MultiplyByQuantizedMultiplier (double rounding, "away from zero"): no GEMM
// backend is involved.
//
// Inputs: 0 = input [N, H, W, Cin], 1 = filter [1, KH, KW, Cin * M],
// 2 = optional int32 bias [Cin * M]; M = depth_multiplier = Cout / Cin.
// Output channel oc = ic * M + m reads input channel ic.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "interpreter/kernels/builtin_kernels.h"
#include "interpreter/kernels/gemm.h"
#include "interpreter/kernels/gemm_requant.h"
#include "interpreter/kernels/kernel_util.h"
#include "interpreter/kernels/xnnpack_flavor.h"
#include "schema/tflite_generated.h"

namespace systole {
namespace kernels {
namespace {

struct OpData {
  GemmRequant requant;
  int32_t input_zero_point = 0;
  int depth_multiplier = 1;
  TfLitePaddingValues padding{};
  int out_height = 0;
  int out_width = 0;
  std::vector<int16_t> weights;  // [KH * KW][Cout], w - zw
  bool weights_ready = false;
  std::vector<int32_t> acc;      // [Cout]
};

void* Init(TfLiteContext*, const char*, size_t) { return new OpData; }
void Free(TfLiteContext*, void* buffer) { delete static_cast<OpData*>(buffer); }

template <typename T>
void ConvertWeights(const T* w, size_t n, int32_t zero_point, int16_t* dst) {
  for (size_t i = 0; i < n; ++i) dst[i] = static_cast<int16_t>(w[i] - zero_point);
}

TfLiteStatus Prepare(TfLiteContext* context, TfLiteNode* node, TfliteFlavor flavor) {
  const auto* params = static_cast<const TfLiteDepthwiseConvParams*>(node->builtin_data);
  auto* data = static_cast<OpData*>(node->user_data);
  SYSTOLE_KERNEL_ENSURE(context, params != nullptr,
                        "DEPTHWISE_CONV_2D: missing DepthwiseConv2DOptions");
  SYSTOLE_KERNEL_ENSURE(context, NumInputs(node) == 2 || NumInputs(node) == 3,
                        "DEPTHWISE_CONV_2D: expected 2 or 3 inputs, got %d", NumInputs(node));
  SYSTOLE_KERNEL_ENSURE(context, NumOutputs(node) == 1,
                        "DEPTHWISE_CONV_2D: expected 1 output, got %d", NumOutputs(node));
  const TfLiteTensor* input = GetInput(context, node, 0);
  const TfLiteTensor* filter = GetInput(context, node, 1);
  const TfLiteTensor* bias = GetInput(context, node, 2);
  TfLiteTensor* output = GetOutput(context, node, 0);
  SYSTOLE_KERNEL_ENSURE(context, input && filter && output,
                        "DEPTHWISE_CONV_2D: missing input/output");
  bool int8 = false;
  SYSTOLE_KERNEL_ENSURE_OK(
      CheckQuantizedOperands(context, "DEPTHWISE_CONV_2D", input, filter, output, "filter", "", &int8));
  SYSTOLE_KERNEL_ENSURE(context, NumDimensions(input) == 4 && NumDimensions(filter) == 4,
                        "DEPTHWISE_CONV_2D: input and filter must be 4-D (got %d-D, %d-D)",
                        NumDimensions(input), NumDimensions(filter));
  SYSTOLE_KERNEL_ENSURE(context, SizeOfDimension(filter, 0) == 1,
                        "DEPTHWISE_CONV_2D: filter dimension 0 must be 1, got %d",
                        SizeOfDimension(filter, 0));
  const int batches = SizeOfDimension(input, 0);
  const int in_h = SizeOfDimension(input, 1);
  const int in_w = SizeOfDimension(input, 2);
  const int in_c = SizeOfDimension(input, 3);
  const int k_h = SizeOfDimension(filter, 1);
  const int k_w = SizeOfDimension(filter, 2);
  const int out_c = SizeOfDimension(filter, 3);
  SYSTOLE_KERNEL_ENSURE(context, in_c > 0 && out_c > 0 && k_h > 0 && k_w > 0,
                        "DEPTHWISE_CONV_2D: empty input channels or filter");
  SYSTOLE_KERNEL_ENSURE(context, out_c % in_c == 0,
                        "DEPTHWISE_CONV_2D: %d output channels is not a multiple of %d input "
                        "channels",
                        out_c, in_c);
  data->depth_multiplier = out_c / in_c;
  SYSTOLE_KERNEL_ENSURE(context,
                        params->depth_multiplier <= 0 ||
                            params->depth_multiplier == data->depth_multiplier,
                        "DEPTHWISE_CONV_2D: depth_multiplier %d does not match filter (%d / %d)",
                        params->depth_multiplier, out_c, in_c);
  SYSTOLE_KERNEL_ENSURE_OK(CheckConvWindow(context, "DEPTHWISE_CONV_2D", params->stride_height,
                                           params->stride_width, params->dilation_height_factor,
                                           params->dilation_width_factor, params->padding));
  SYSTOLE_KERNEL_ENSURE_OK(CheckBias(context, "DEPTHWISE_CONV_2D", bias, out_c));
  data->padding = ComputePaddingHeightWidth(
      params->stride_height, params->stride_width, params->dilation_height_factor,
      params->dilation_width_factor, in_h, in_w, k_h, k_w, params->padding, &data->out_height,
      &data->out_width);
  SYSTOLE_KERNEL_ENSURE(context, data->out_height > 0 && data->out_width > 0,
                        "DEPTHWISE_CONV_2D: output would be empty (%d x %d)", data->out_height,
                        data->out_width);

  // TFLite's depthwise kernels requantize with the two-step multiplier in
  // every flavor; XNNPACK, when it takes the node, with its own.
  GemmRequant& rq = data->requant;
  SYSTOLE_KERNEL_ENSURE_OK(
      PrepareConvRequant(context, input, filter, bias, output, params->activation, out_c, !int8, &rq));
  data->input_zero_point = input->params.zero_point;
  rq.rounding = gemm::Rounding::kTflite;
  if (flavor == TfliteFlavor::kXnnpack &&
      XnnpackTakesNode(context, node, tflite::BuiltinOperator_DEPTHWISE_CONV_2D))
    UseXnnpackRequant(input, filter, output, params->activation, out_c, int8, &rq);
  data->weights.assign(static_cast<size_t>(k_h) * k_w * out_c, 0);
  data->weights_ready = false;
  if (IsConstantTensor(filter)) {
    if (int8) ConvertWeights(filter->data.int8, data->weights.size(), 0, data->weights.data());
    else ConvertWeights(filter->data.uint8, data->weights.size(), rq.filter_zero_point, data->weights.data());
    data->weights_ready = true;
  }
  data->acc.assign(out_c, 0);
  return context->ResizeTensor(
      context, output,
      IntArrayFromVector({batches, data->out_height, data->out_width, out_c}));
}

template <typename T>
TfLiteStatus EvalTyped(TfLiteContext* context, TfLiteNode* node) {
  const auto* params = static_cast<const TfLiteDepthwiseConvParams*>(node->builtin_data);
  auto* data = static_cast<OpData*>(node->user_data);
  const TfLiteTensor* input = GetInput(context, node, 0);
  const TfLiteTensor* filter = GetInput(context, node, 1);
  const TfLiteTensor* bias = GetInput(context, node, 2);
  TfLiteTensor* output = GetOutput(context, node, 0);
  if (!data->weights_ready) {
    ConvertWeights(reinterpret_cast<const T*>(filter->data.raw), data->weights.size(),
                   data->requant.filter_zero_point, data->weights.data());
  }
  const gemm::OutputStage os = data->requant.Stage(bias, output);

  const int batches = SizeOfDimension(input, 0);
  const int in_h = SizeOfDimension(input, 1);
  const int in_w = SizeOfDimension(input, 2);
  const int in_c = SizeOfDimension(input, 3);
  const int k_h = SizeOfDimension(filter, 1);
  const int k_w = SizeOfDimension(filter, 2);
  const int out_c = SizeOfDimension(filter, 3);
  const int dm = data->depth_multiplier;
  const int32_t zx = data->input_zero_point;
  const T* in = reinterpret_cast<const T*>(input->data.raw);
  T* out = reinterpret_cast<T*>(output->data.raw);
  int32_t* acc = data->acc.data();
  const int16_t* w = data->weights.data();

  for (int b = 0; b < batches; ++b) {
    for (int oy = 0; oy < data->out_height; ++oy) {
      const int iy0 = oy * params->stride_height - data->padding.height;
      for (int ox = 0; ox < data->out_width; ++ox) {
        const int ix0 = ox * params->stride_width - data->padding.width;
        std::memset(acc, 0, sizeof(int32_t) * out_c);
        for (int ky = 0; ky < k_h; ++ky) {
          const int iy = iy0 + ky * params->dilation_height_factor;
          if (iy < 0 || iy >= in_h) continue;
          for (int kx = 0; kx < k_w; ++kx) {
            const int ix = ix0 + kx * params->dilation_width_factor;
            if (ix < 0 || ix >= in_w) continue;
            const T* ip = in + ((static_cast<size_t>(b) * in_h + iy) * in_w + ix) * in_c;
            const int16_t* wp = w + (static_cast<size_t>(ky) * k_w + kx) * out_c;
            if (dm == 1) {
              gemm::MultiplyAccumulate(ip, zx, wp, in_c, acc);
            } else {
              for (int ic = 0; ic < in_c; ++ic) {
                const int32_t x = static_cast<int32_t>(ip[ic]) - zx;
                for (int m = 0; m < dm; ++m) acc[ic * dm + m] += x * wp[ic * dm + m];
              }
            }
          }
        }
        gemm::Requantize(
            acc, out_c, 0, os,
            out + ((static_cast<size_t>(b) * data->out_height + oy) * data->out_width + ox) *
                      out_c);
      }
    }
  }
  return kTfLiteOk;
}

TfLiteStatus Eval(TfLiteContext* context, TfLiteNode* node) {
  return EvalInt8OrUint8(context, GetInput(context, node, 0), "DEPTHWISE_CONV_2D",
                         [&](auto zero) { return EvalTyped<decltype(zero)>(context, node); });
}

}  // namespace

const TfLiteRegistration* RegisterDepthwiseConv2D(TfliteFlavor flavor) {
  static const auto r = FlavoredKernelRegistrations<Prepare>(Eval, Init, Free);
  return &r[static_cast<int>(flavor)];
}

}  // namespace kernels
}  // namespace systole
