// What CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED share on int8/uint8
// tensors: the operand checks, the requantization state computed at Prepare
// and the gemm::OutputStage built from it at Eval. Each kernel still decides
// its own rounding (TFLite's kernels differ: conv_2d.cc, fully_connected.cc,
// depthwise_conv_2d.cc say which and why); only the mechanics live here.
#ifndef SYSTOLE_INTERPRETER_KERNELS_GEMM_REQUANT_H_
#define SYSTOLE_INTERPRETER_KERNELS_GEMM_REQUANT_H_

#include <cstdint>
#include <vector>

#include "interpreter/kernels/gemm.h"
#include "interpreter/kernels/kernel_util.h"

namespace systole {
namespace kernels {

struct GemmRequant {
  std::vector<int32_t> multiplier;  // per output channel
  std::vector<int32_t> shift;       // per output channel, > 0 = left
  int32_t act_min = 0;
  int32_t act_max = 0;
  gemm::Rounding rounding = gemm::Rounding::kTflite;
  std::vector<float> scale;  // per output channel, Rounding::kFp32 only
  int32_t filter_zero_point = 0;

  // The output stage of one Eval: bias (may be null) and the output's zero point.
  gemm::OutputStage Stage(const TfLiteTensor* bias, const TfLiteTensor* output) const;
};

// Input, filter and output are all int8 or all uint8; *int8 tells which.
// The error reads "<op>: input T / <filter_name> T / output T not supported
// (int8/int8/int8 or uint8/uint8/uint8 only<extra>)".
TfLiteStatus CheckQuantizedOperands(TfLiteContext* context, const char* op, const TfLiteTensor* input,
                                    const TfLiteTensor* filter, const TfLiteTensor* output,
                                    const char* filter_name, const char* extra, bool* int8);

// An optional bias is INT32 with `channels` elements.
TfLiteStatus CheckBias(TfLiteContext* context, const char* op, const TfLiteTensor* bias, int channels);

// Positive strides and dilations, SAME or VALID padding.
TfLiteStatus CheckConvWindow(TfLiteContext* context, const char* op, int stride_h, int stride_w, int dilation_h,
                             int dilation_w, TfLitePadding padding);

// TFLite's convolution quantization (PopulateConvolutionQuantizationParams):
// per-channel multipliers; for uint8 every channel gets the legacy per-tensor
// multiplier and the filter keeps its zero point (int8 filters: 0). Leaves
// `rounding` and `scale` to the caller.
TfLiteStatus PrepareConvRequant(TfLiteContext* context, const TfLiteTensor* input, const TfLiteTensor* filter,
                                const TfLiteTensor* bias, TfLiteTensor* output, TfLiteFusedActivation activation,
                                int channels, bool uint8, GemmRequant* r);

// XNNPACK's requantization of a node it takes (xnnpack_flavor.h): binary32
// scales, its own activation clamp; int8 weight zero points ignored (QS8/QC8
// have none), uint8 keep theirs.
// `channels`: the output channels the kernel computes (one scale each).
void UseXnnpackRequant(const TfLiteTensor* input, const TfLiteTensor* filter, const TfLiteTensor* output,
                       TfLiteFusedActivation activation, int channels, bool int8, GemmRequant* r);

}  // namespace kernels
}  // namespace systole

#endif  // SYSTOLE_INTERPRETER_KERNELS_GEMM_REQUANT_H_
