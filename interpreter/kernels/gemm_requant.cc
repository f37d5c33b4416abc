#include "interpreter/kernels/gemm_requant.h"

#include <algorithm>

#include "interpreter/kernels/xnnpack_flavor.h"

namespace systole {
namespace kernels {

gemm::OutputStage GemmRequant::Stage(const TfLiteTensor* bias, const TfLiteTensor* output) const {
  gemm::OutputStage os;
  os.bias = bias != nullptr ? bias->data.i32 : nullptr;
  os.mult = multiplier.data();
  os.shift = shift.data();
  os.scale = scale.data();
  os.zero_point = output->params.zero_point;
  os.act_min = act_min;
  os.act_max = act_max;
  os.rounding = rounding;
  return os;
}

TfLiteStatus CheckQuantizedOperands(TfLiteContext* context, const char* op, const TfLiteTensor* input,
                                    const TfLiteTensor* filter, const TfLiteTensor* output,
                                    const char* filter_name, const char* extra, bool* int8) {
  *int8 = input->type == kTfLiteInt8 && filter->type == kTfLiteInt8 && output->type == kTfLiteInt8;
  const bool uint8 =
      input->type == kTfLiteUInt8 && filter->type == kTfLiteUInt8 && output->type == kTfLiteUInt8;
  SYSTOLE_KERNEL_ENSURE(context, *int8 || uint8,
                        "%s: input %s / %s %s / output %s not supported (int8/int8/int8 or uint8/uint8/uint8 "
                        "only%s)",
                        op, TypeName(input->type), filter_name, TypeName(filter->type), TypeName(output->type),
                        extra);
  return kTfLiteOk;
}

TfLiteStatus CheckBias(TfLiteContext* context, const char* op, const TfLiteTensor* bias, int channels) {
  if (bias == nullptr) return kTfLiteOk;
  SYSTOLE_KERNEL_ENSURE(context, bias->type == kTfLiteInt32,
                        "%s: bias must be INT32 for quantized inputs, got %s", op, TypeName(bias->type));
  SYSTOLE_KERNEL_ENSURE(context, NumElements(bias) == channels, "%s: bias has %lld elements, expected %d", op,
                        static_cast<long long>(NumElements(bias)), channels);
  return kTfLiteOk;
}

TfLiteStatus CheckConvWindow(TfLiteContext* context, const char* op, int stride_h, int stride_w, int dilation_h,
                             int dilation_w, TfLitePadding padding) {
  SYSTOLE_KERNEL_ENSURE(context, stride_w > 0 && stride_h > 0, "%s: strides must be positive (%d, %d)", op,
                        stride_h, stride_w);
  SYSTOLE_KERNEL_ENSURE(context, dilation_w > 0 && dilation_h > 0,
                        "%s: dilation factors must be positive (%d, %d)", op, dilation_h, dilation_w);
  SYSTOLE_KERNEL_ENSURE(context, padding == kTfLitePaddingSame || padding == kTfLitePaddingValid,
                        "%s: unknown padding %d", op, static_cast<int>(padding));
  return kTfLiteOk;
}

TfLiteStatus PrepareConvRequant(TfLiteContext* context, const TfLiteTensor* input, const TfLiteTensor* filter,
                                const TfLiteTensor* bias, TfLiteTensor* output, TfLiteFusedActivation activation,
                                int channels, bool uint8, GemmRequant* r) {
  r->multiplier.assign(channels, 0);
  r->shift.assign(channels, 0);
  int32_t legacy_multiplier = 0;
  int legacy_shift = 0;
  SYSTOLE_KERNEL_ENSURE_OK(PopulateConvolutionQuantizationParams(
      context, input, filter, bias, output, activation, &legacy_multiplier, &legacy_shift, &r->act_min,
      &r->act_max, r->multiplier.data(), r->shift.data(), channels));
  if (uint8) {
    std::fill(r->multiplier.begin(), r->multiplier.end(), legacy_multiplier);
    std::fill(r->shift.begin(), r->shift.end(), -legacy_shift);
    r->filter_zero_point = filter->params.zero_point;
  } else {
    r->filter_zero_point = 0;
  }
  r->scale.clear();
  return kTfLiteOk;
}

void UseXnnpackRequant(const TfLiteTensor* input, const TfLiteTensor* filter, const TfLiteTensor* output,
                       TfLiteFusedActivation activation, int channels, bool int8, GemmRequant* r) {
  r->rounding = gemm::Rounding::kFp32;
  r->scale = XnnpackRequantScales(input, filter, output, channels);
  XnnpackActivationRange(activation, output, &r->act_min, &r->act_max);
  if (int8) r->filter_zero_point = 0;
}

}  // namespace kernels
}  // namespace systole
