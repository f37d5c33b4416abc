// The quantization arithmetic of the CPU kernels, for other libraries that
// must reproduce it exactly (the compiler): each function here is a thin
// public entry to the very function the kernels call, so a multiplier, clamp,
// padding or table computed through it is the kernels' by construction. The
// kernels themselves (interpreter/kernels/) stay private to the interpreter.
#ifndef SYSTOLE_INTERPRETER_QUANT_ARITH_H_
#define SYSTOLE_INTERPRETER_QUANT_ARITH_H_

#include <cstdint>
#include <vector>

#include "interpreter/tflite_c.h"

namespace systole::quant_arith {

// TFLite CalculateActivationRangeQuantized.
TfLiteStatus ActivationRangeQuantized(TfLiteContext* context, TfLiteFusedActivation activation,
                                      const TfLiteTensor* output, int32_t* act_min, int32_t* act_max);

// TFLite ComputePaddingHeightWidth (out_height/out_width receive the output size).
TfLitePaddingValues PaddingHeightWidth(int stride_height, int stride_width, int dilation_height,
                                       int dilation_width, int in_height, int in_width, int filter_height,
                                       int filter_width, TfLitePadding padding, int* out_height, int* out_width);

// TFLite GetQuantizedConvolutionMultipler (4-argument form).
TfLiteStatus ConvolutionMultiplier(TfLiteContext* context, const TfLiteTensor* input, const TfLiteTensor* filter,
                                   const TfLiteTensor* output, double* multiplier);

// TFLite PopulateConvolutionQuantizationParams.
TfLiteStatus ConvolutionQuantizationParams(TfLiteContext* context, const TfLiteTensor* input,
                                           const TfLiteTensor* filter, const TfLiteTensor* bias,
                                           TfLiteTensor* output, TfLiteFusedActivation activation,
                                           int32_t* multiplier, int* shift, int32_t* act_min, int32_t* act_max,
                                           int32_t* per_channel_multiplier, int32_t* per_channel_shift,
                                           int num_channels);

// The exponent table of the quantized SOFTMAX kernel:
// table[255 - v] = expf(-input_scale * beta * v).
void SoftmaxTable(float input_scale, float beta, float table[256]);

// Flavor xnnpack: whether TFLite 2.14.1's XNNPACK delegate takes this node
// (and so computes it with XNNPACK's arithmetic) — the predicate the
// xnnpack-flavor kernels are registered by.
bool XnnpackTakesNode(const TfLiteContext* context, const TfLiteNode* node, int32_t builtin_code);

// XNNPACK's binary32 requantization scales of a CONV_2D / DEPTHWISE_CONV_2D /
// FULLY_CONNECTED (one per output channel) and its quantized activation clamp.
std::vector<float> XnnpackRequantScales(const TfLiteTensor* input, const TfLiteTensor* filter,
                                        const TfLiteTensor* output);
void XnnpackActivationRange(TfLiteFusedActivation activation, const TfLiteTensor* output, int32_t* act_min,
                            int32_t* act_max);

}  // namespace systole::quant_arith

#endif  // SYSTOLE_INTERPRETER_QUANT_ARITH_H_
