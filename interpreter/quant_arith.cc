#include "interpreter/quant_arith.h"

#include "interpreter/kernels/kernel_util.h"
#include "interpreter/kernels/softmax_table.h"
#include "interpreter/kernels/xnnpack_flavor.h"

namespace systole::quant_arith {

TfLiteStatus ActivationRangeQuantized(TfLiteContext* context, TfLiteFusedActivation activation,
                                      const TfLiteTensor* output, int32_t* act_min, int32_t* act_max) {
  return kernels::CalculateActivationRangeQuantized(context, activation, output, act_min, act_max);
}

TfLitePaddingValues PaddingHeightWidth(int stride_height, int stride_width, int dilation_height,
                                       int dilation_width, int in_height, int in_width, int filter_height,
                                       int filter_width, TfLitePadding padding, int* out_height, int* out_width) {
  return kernels::ComputePaddingHeightWidth(stride_height, stride_width, dilation_height, dilation_width,
                                            in_height, in_width, filter_height, filter_width, padding, out_height,
                                            out_width);
}

TfLiteStatus ConvolutionMultiplier(TfLiteContext* context, const TfLiteTensor* input, const TfLiteTensor* filter,
                                   const TfLiteTensor* output, double* multiplier) {
  return kernels::GetQuantizedConvolutionMultipler(context, input, filter, output, multiplier);
}

TfLiteStatus ConvolutionQuantizationParams(TfLiteContext* context, const TfLiteTensor* input,
                                           const TfLiteTensor* filter, const TfLiteTensor* bias,
                                           TfLiteTensor* output, TfLiteFusedActivation activation,
                                           int32_t* multiplier, int* shift, int32_t* act_min, int32_t* act_max,
                                           int32_t* per_channel_multiplier, int32_t* per_channel_shift,
                                           int num_channels) {
  return kernels::PopulateConvolutionQuantizationParams(context, input, filter, bias, output, activation,
                                                        multiplier, shift, act_min, act_max,
                                                        per_channel_multiplier, per_channel_shift, num_channels);
}

void SoftmaxTable(float input_scale, float beta, float table[256]) {
  kernels::PopulateSoftmaxTable(input_scale, beta, table);
}

bool XnnpackTakesNode(const TfLiteContext* context, const TfLiteNode* node, int32_t builtin_code) {
  return kernels::XnnpackTakesNode(context, node, builtin_code);
}

std::vector<float> XnnpackRequantScales(const TfLiteTensor* input, const TfLiteTensor* filter,
                                        const TfLiteTensor* output) {
  return kernels::XnnpackRequantScales(input, filter, output);
}

void XnnpackActivationRange(TfLiteFusedActivation activation, const TfLiteTensor* output, int32_t* act_min,
                            int32_t* act_max) {
  kernels::XnnpackActivationRange(activation, output, act_min, act_max);
}

}  // namespace systole::quant_arith
