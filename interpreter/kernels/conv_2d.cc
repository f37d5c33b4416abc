// CONV_2D on int8 / uint8 tensors, bit-exact with TensorFlow Lite's builtin
// kernel (tensorflow/lite/kernels/conv.cc, kGenericOptimized, the kernel the
// default BuiltinOpResolver registers):
//
//  * int8 (TF2 scheme): weights int8 with per-channel or per-tensor scales
//    (zero points ignored, as TFLite's int8 kernel does). TFLite always takes
//    the per-channel path (EvalQuantizedPerChannel -> optimized_integer_ops::
//    ConvPerChannel): multipliers from double(input_scale) * double(w_scale[c])
//    / double(output_scale), im2col padded with the input zero point, then
//    cpu_backend_gemm, which is ruy in every build: ruy's portable kernels
//    round once (gemm::Rounding::kRuy, flavor ruy); its x86-64 kernels
//    round twice, half up (kRuyX86, flavors x86 and xnnpack's fallback).
//  * uint8 (TF1 scheme): per-tensor weights with a zero point; the legacy
//    multiplier float(input_scale * w_scale) / output_scale; optimized_ops::Conv
//    -> cpu_backend_gemm on gemmlowp -> TFLite's double rounding.
//
// Inputs: 0 = input [N, H, W, Cin], 1 = filter [Cout, KH, KW, Cin],
// 2 = optional int32 bias [Cout]. Output [N, OH, OW, Cout].
// Deliberate difference: the TFLite build we match refuses a CONV_2D without
// bias (2 inputs or an omitted third input: "the optimized versions require
// bias"); this kernel accepts it and uses a zero bias.
//
// Implementation: rows of im2col (or, for 1x1 stride-1 convolutions, the
// input pixels themselves) are converted to int16 (x - zx), kRowsPerTile at a
// time, and multiplied by the weights packed once at Prepare (gemm.h).
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

constexpr int kRowsPerTile = 64;

struct OpData {
  GemmRequant requant;
  int32_t input_zero_point = 0;
  TfLitePaddingValues padding{};
  int out_height = 0;
  int out_width = 0;
  gemm::PackedRhs rhs;
  bool rhs_packed = false;
  std::vector<int16_t> lhs;  // kRowsPerTile x rhs.depth_pad
};

void* Init(TfLiteContext*, const char*, size_t) { return new OpData; }
void Free(TfLiteContext*, void* buffer) { delete static_cast<OpData*>(buffer); }

TfLiteStatus Prepare(TfLiteContext* context, TfLiteNode* node, TfliteFlavor flavor) {
  const auto* params = static_cast<const TfLiteConvParams*>(node->builtin_data);
  auto* data = static_cast<OpData*>(node->user_data);
  SYSTOLE_KERNEL_ENSURE(context, params != nullptr, "CONV_2D: missing Conv2DOptions");
  SYSTOLE_KERNEL_ENSURE(context, NumInputs(node) == 2 || NumInputs(node) == 3,
                        "CONV_2D: expected 2 or 3 inputs, got %d", NumInputs(node));
  SYSTOLE_KERNEL_ENSURE(context, NumOutputs(node) == 1, "CONV_2D: expected 1 output, got %d",
                        NumOutputs(node));
  const TfLiteTensor* input = GetInput(context, node, 0);
  const TfLiteTensor* filter = GetInput(context, node, 1);
  const TfLiteTensor* bias = GetInput(context, node, 2);
  TfLiteTensor* output = GetOutput(context, node, 0);
  SYSTOLE_KERNEL_ENSURE(context, input && filter && output, "CONV_2D: missing input/output");

  bool int8 = false;
  SYSTOLE_KERNEL_ENSURE_OK(CheckQuantizedOperands(context, "CONV_2D", input, filter, output, "filter", "", &int8));
  SYSTOLE_KERNEL_ENSURE(context, NumDimensions(input) == 4 && NumDimensions(filter) == 4,
                        "CONV_2D: input and filter must be 4-D (got %d-D, %d-D)",
                        NumDimensions(input), NumDimensions(filter));
  const int batches = SizeOfDimension(input, 0);
  const int in_h = SizeOfDimension(input, 1);
  const int in_w = SizeOfDimension(input, 2);
  const int in_c = SizeOfDimension(input, 3);
  const int out_c = SizeOfDimension(filter, 0);
  const int k_h = SizeOfDimension(filter, 1);
  const int k_w = SizeOfDimension(filter, 2);
  SYSTOLE_KERNEL_ENSURE(context, SizeOfDimension(filter, 3) == in_c,
                        "CONV_2D: filter has %d input channels, input has %d (grouped "
                        "convolution is not supported)",
                        SizeOfDimension(filter, 3), in_c);
  SYSTOLE_KERNEL_ENSURE(context, out_c > 0 && k_h > 0 && k_w > 0 && in_c > 0,
                        "CONV_2D: empty filter");
  SYSTOLE_KERNEL_ENSURE_OK(CheckConvWindow(context, "CONV_2D", params->stride_height, params->stride_width,
                                           params->dilation_height_factor, params->dilation_width_factor,
                                           params->padding));
  SYSTOLE_KERNEL_ENSURE_OK(CheckBias(context, "CONV_2D", bias, out_c));

  data->padding = ComputePaddingHeightWidth(
      params->stride_height, params->stride_width, params->dilation_height_factor,
      params->dilation_width_factor, in_h, in_w, k_h, k_w, params->padding, &data->out_height,
      &data->out_width);
  SYSTOLE_KERNEL_ENSURE(context, data->out_height > 0 && data->out_width > 0,
                        "CONV_2D: output would be empty (%d x %d)", data->out_height,
                        data->out_width);

  GemmRequant& rq = data->requant;
  SYSTOLE_KERNEL_ENSURE_OK(
      PrepareConvRequant(context, input, filter, bias, output, params->activation, out_c, !int8, &rq));
  data->input_zero_point = input->params.zero_point;
  // uint8 (gemmlowp): TFLite's two-step multiplier. int8: WebAssembly/ARM ruy
  // rounds once; on x86-64 ruy's AVX2/AVX-512 kernels round twice, half up
  // (fixed_point.h).
  rq.rounding = !int8                          ? gemm::Rounding::kTflite
                : flavor == TfliteFlavor::kRuy ? gemm::Rounding::kRuy
                                               : gemm::Rounding::kRuyX86;
  if (flavor == TfliteFlavor::kXnnpack && XnnpackTakesNode(context, node, tflite::BuiltinOperator_CONV_2D))
    UseXnnpackRequant(input, filter, output, params->activation, out_c, int8, &rq);

  data->rhs.Reserve(out_c, k_h * k_w * in_c);
  data->rhs_packed = false;
  if (IsConstantTensor(filter)) {
    if (int8) gemm::PackRhs(filter->data.int8, 0, &data->rhs);
    else gemm::PackRhs(filter->data.uint8, rq.filter_zero_point, &data->rhs);
    data->rhs_packed = true;
  }
  data->lhs.assign(static_cast<size_t>(kRowsPerTile) * data->rhs.depth_pad, 0);

  return context->ResizeTensor(
      context, output,
      IntArrayFromVector({batches, data->out_height, data->out_width, out_c}));
}

template <typename T>
TfLiteStatus EvalTyped(TfLiteContext* context, TfLiteNode* node) {
  const auto* params = static_cast<const TfLiteConvParams*>(node->builtin_data);
  auto* data = static_cast<OpData*>(node->user_data);
  const TfLiteTensor* input = GetInput(context, node, 0);
  const TfLiteTensor* filter = GetInput(context, node, 1);
  const TfLiteTensor* bias = GetInput(context, node, 2);
  TfLiteTensor* output = GetOutput(context, node, 0);
  if (!data->rhs_packed) {
    gemm::PackRhs(reinterpret_cast<const T*>(filter->data.raw), data->requant.filter_zero_point, &data->rhs);
  }
  const gemm::OutputStage os = data->requant.Stage(bias, output);

  const int batches = SizeOfDimension(input, 0);
  const int in_h = SizeOfDimension(input, 1);
  const int in_w = SizeOfDimension(input, 2);
  const int in_c = SizeOfDimension(input, 3);
  const int k_h = SizeOfDimension(filter, 1);
  const int k_w = SizeOfDimension(filter, 2);
  const int out_c = data->rhs.cols;
  const int out_h = data->out_height;
  const int out_w = data->out_width;
  const int depth_pad = data->rhs.depth_pad;
  const int stride_h = params->stride_height;
  const int stride_w = params->stride_width;
  const int dil_h = params->dilation_height_factor;
  const int dil_w = params->dilation_width_factor;
  const int32_t zx = data->input_zero_point;
  const T* in = reinterpret_cast<const T*>(input->data.raw);
  T* out = reinterpret_cast<T*>(output->data.raw);
  int16_t* lhs = data->lhs.data();

  const bool pointwise = k_h == 1 && k_w == 1 && stride_h == 1 && stride_w == 1;
  const int64_t total_rows = static_cast<int64_t>(batches) * out_h * out_w;
  for (int64_t row0 = 0; row0 < total_rows; row0 += kRowsPerTile) {
    const int rows = static_cast<int>(std::min<int64_t>(kRowsPerTile, total_rows - row0));
    if (pointwise) {
      // The output pixel grid is the input pixel grid (no padding possible).
      const T* src = in + row0 * in_c;
      if (depth_pad == in_c) {
        gemm::SubtractZeroPoint(src, rows * in_c, zx, lhs);
      } else {
        for (int r = 0; r < rows; ++r) {
          gemm::SubtractZeroPoint(src + static_cast<size_t>(r) * in_c, in_c, zx,
                                  lhs + static_cast<size_t>(r) * depth_pad);
          lhs[static_cast<size_t>(r) * depth_pad + in_c] = 0;
        }
      }
    } else {
      for (int r = 0; r < rows; ++r) {
        const int64_t p = row0 + r;
        const int ox = static_cast<int>(p % out_w);
        const int oy = static_cast<int>((p / out_w) % out_h);
        const int b = static_cast<int>(p / (static_cast<int64_t>(out_w) * out_h));
        int16_t* dst = lhs + static_cast<size_t>(r) * depth_pad;
        const int iy0 = oy * stride_h - data->padding.height;
        const int ix0 = ox * stride_w - data->padding.width;
        for (int ky = 0; ky < k_h; ++ky) {
          const int iy = iy0 + ky * dil_h;
          for (int kx = 0; kx < k_w; ++kx) {
            const int ix = ix0 + kx * dil_w;
            if (iy >= 0 && iy < in_h && ix >= 0 && ix < in_w) {
              gemm::SubtractZeroPoint(
                  in + ((static_cast<size_t>(b) * in_h + iy) * in_w + ix) * in_c, in_c, zx, dst);
            } else {
              std::memset(dst, 0, sizeof(int16_t) * in_c);
            }
            dst += in_c;
          }
        }
        for (int k = k_h * k_w * in_c; k < depth_pad; ++k) *dst++ = 0;
      }
    }
    gemm::GemmRequantize(lhs, rows, data->rhs, os, out + row0 * out_c, out_c);
  }
  return kTfLiteOk;
}

TfLiteStatus Eval(TfLiteContext* context, TfLiteNode* node) {
  return EvalInt8OrUint8(context, GetInput(context, node, 0), "CONV_2D",
                         [&](auto zero) { return EvalTyped<decltype(zero)>(context, node); });
}

}  // namespace

const TfLiteRegistration* RegisterConv2D(TfliteFlavor flavor) {
  static const auto r = FlavoredKernelRegistrations<Prepare>(Eval, Init, Free);
  return &r[static_cast<int>(flavor)];
}

}  // namespace kernels
}  // namespace systole
