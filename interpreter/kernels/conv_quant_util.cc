// GetQuantizedConvolutionMultipler and PopulateConvolutionQuantizationParams
// (declared in kernel_util.h), with TensorFlow Lite's arithmetic:
//  * the legacy per-tensor multiplier multiplies the two scales in *float*
//    and only then widens to double;
//  * the per-channel multipliers widen each scale to double first.
// The two can differ in the last bit of the quantized multiplier, which is why
// CONV_2D (per-channel arrays, also for per-tensor int8 weights) and
// FULLY_CONNECTED (legacy multiplier) can requantize differently for the same
// scales.
#include <cmath>

#include "common/fixed_point.h"
#include "interpreter/kernels/kernel_util.h"

namespace systole {
namespace kernels {

TfLiteStatus GetQuantizedConvolutionMultipler(TfLiteContext* context, const TfLiteTensor* input,
                                              const TfLiteTensor* filter,
                                              const TfLiteTensor* output, double* multiplier) {
  const double input_product_scale =
      static_cast<double>(input->params.scale * filter->params.scale);
  SYSTOLE_KERNEL_ENSURE(context, input_product_scale >= 0,
                        "input scale %g * filter scale %g is negative", input->params.scale,
                        filter->params.scale);
  *multiplier = input_product_scale / static_cast<double>(output->params.scale);
  return kTfLiteOk;
}

TfLiteStatus PopulateConvolutionQuantizationParams(
    TfLiteContext* context, const TfLiteTensor* input, const TfLiteTensor* filter,
    const TfLiteTensor* bias, TfLiteTensor* output, TfLiteFusedActivation activation,
    int32_t* multiplier, int* shift, int32_t* output_activation_min,
    int32_t* output_activation_max, int32_t* per_channel_multiplier,
    int32_t* per_channel_shift, int num_channels) {
  SYSTOLE_KERNEL_ENSURE(context, filter->quantization.type == kTfLiteAffineQuantization,
                        "filter has no affine quantization");
  const TfLiteAffineQuantization* affine = AffineQuantization(filter);
  SYSTOLE_KERNEL_ENSURE(context, affine != nullptr && affine->scale != nullptr &&
                                     affine->scale->size >= 1,
                        "filter has no quantization scale");
  const bool is_per_channel = affine->scale->size > 1;
  if (is_per_channel) {
    SYSTOLE_KERNEL_ENSURE(context, input->type == kTfLiteInt8 || input->type == kTfLiteInt16,
                          "per-channel quantized filter needs an int8/int16 input, got %s",
                          TypeName(input->type));
    SYSTOLE_KERNEL_ENSURE(context, filter->type == kTfLiteInt8,
                          "per-channel quantized filter must be int8, got %s",
                          TypeName(filter->type));
    SYSTOLE_KERNEL_ENSURE(context, affine->scale->size == num_channels,
                          "filter has %d scales for %d output channels", affine->scale->size,
                          num_channels);
    const int qd = affine->quantized_dimension;
    SYSTOLE_KERNEL_ENSURE(context,
                          qd >= 0 && qd < filter->dims->size &&
                              filter->dims->data[qd] == num_channels,
                          "filter quantized_dimension %d does not hold the %d output channels",
                          qd, num_channels);
  }
  const float input_scale = input->params.scale;
  const float output_scale = output->params.scale;
  for (int i = 0; i < num_channels; ++i) {
    const double filter_scale =
        static_cast<double>(is_per_channel ? affine->scale->data[i] : affine->scale->data[0]);
    const double effective =
        static_cast<double>(input_scale) * filter_scale / static_cast<double>(output_scale);
    int32_t significand = 0;
    int channel_shift = 0;
    QuantizeMultiplier(effective, &significand, &channel_shift);
    per_channel_multiplier[i] = significand;
    per_channel_shift[i] = channel_shift;
  }
  if (input->type == kTfLiteUInt8) {
    // Legacy per-tensor path; TFLite also checks bias scale ~= input * filter.
    if (bias != nullptr) {
      const double product = static_cast<double>(input->params.scale * filter->params.scale);
      const double diff = std::abs(product - static_cast<double>(bias->params.scale));
      SYSTOLE_KERNEL_ENSURE(context, diff / static_cast<double>(output->params.scale) <= 0.02,
                            "bias scale %g differs from input scale * filter scale %g",
                            bias->params.scale, product);
    }
    double real_multiplier = 0.0;
    SYSTOLE_KERNEL_ENSURE_OK(
        GetQuantizedConvolutionMultipler(context, input, filter, output, &real_multiplier));
    int exponent = 0;
    QuantizeMultiplier(real_multiplier, multiplier, &exponent);
    *shift = -exponent;
  }
  if (input->type == kTfLiteInt8 || input->type == kTfLiteUInt8 ||
      input->type == kTfLiteInt16) {
    SYSTOLE_KERNEL_ENSURE_OK(CalculateActivationRangeQuantized(
        context, activation, output, output_activation_min, output_activation_max));
  }
  return kTfLiteOk;
}

}  // namespace kernels
}  // namespace systole
