// The XNNPACK delegate's node conditions (TFLite 2.14.1,
// tensorflow/lite/delegates/xnnpack/xnnpack_delegate.cc, Subgraph::Visit*Node)
// and XNNPACK's operator-creation limits that make a taken node fail
// (google/XNNPACK src/operators/*.c). Written from reading those sources.
#include "interpreter/kernels/xnnpack_flavor.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "interpreter/kernels/kernel_util.h"
#include "schema/tflite_generated.h"

namespace systole {
namespace kernels {
namespace {

const TfLiteTensor* Tensor(const TfLiteContext* context, const TfLiteIntArray* list, int i) {
  if (i < 0 || i >= list->size) return nullptr;
  const int t = list->data[i];
  return t < 0 ? nullptr : &context->tensors[t];
}

bool IsStatic(const TfLiteTensor* t) {
  return t->allocation_type == kTfLiteMmapRo && t->data.raw != nullptr;
}

// xnn_define_quantized_tensor_value: scale positive and normal, zero point in
// the type's range.
bool XnnQuantOk(TfLiteType type, float scale, int32_t zero_point) {
  if (!(scale > 0.0f) || !std::isnormal(scale)) return false;
  if (type == kTfLiteInt8) return zero_point >= -128 && zero_point <= 127;
  if (type == kTfLiteUInt8) return zero_point >= 0 && zero_point <= 255;
  return false;
}

// CheckTensorFloat32OrQUInt8Type for the quantized types: int8 or uint8 with
// per-tensor affine quantization (quantized_dimension 0, one scale, one
// zero point).
bool IsQ8PerTensor(const TfLiteTensor* t) {
  if (t == nullptr || (t->type != kTfLiteInt8 && t->type != kTfLiteUInt8)) return false;
  const TfLiteAffineQuantization* q = AffineQuantization(t);
  if (q == nullptr || q->quantized_dimension != 0 || q->scale == nullptr ||
      q->zero_point == nullptr || q->scale->size != 1 || q->zero_point->size != 1) {
    return false;
  }
  return XnnQuantOk(t->type, q->scale->data[0], q->zero_point->data[0]);
}

// CheckTensorFloat32OrQCInt8Type: int8 with affine scales (per-channel along
// `channel_dim` if more than one), or per-tensor uint8.
bool IsQC8Filter(const TfLiteTensor* t, int channel_dim) {
  if (t == nullptr) return false;
  if (t->type == kTfLiteUInt8) return IsQ8PerTensor(t);
  if (t->type != kTfLiteInt8) return false;
  const TfLiteAffineQuantization* q = AffineQuantization(t);
  if (q == nullptr || q->scale == nullptr) return false;
  if (q->scale->size > 1 && q->quantized_dimension != channel_dim) return false;
  for (int i = 0; i < q->scale->size; ++i) {
    if (!(q->scale->data[i] > 0.0f) || !std::isnormal(q->scale->data[i])) return false;
  }
  return true;
}

// CheckTensorFloat32OrQCInt32Type / CheckTensorFloat32OrQInt32Type (bias).
bool IsQInt32Bias(const TfLiteTensor* t, bool per_channel_allowed) {
  if (t == nullptr || t->type != kTfLiteInt32) return false;
  const TfLiteAffineQuantization* q = AffineQuantization(t);
  if (q == nullptr || q->quantized_dimension != 0) return false;
  if (!per_channel_allowed && (q->scale == nullptr || q->scale->size != 1)) return false;
  return true;
}

// ConvertActivationToOutputRange: None, Relu, ReluN1To1, Relu6.
bool ActivationOk(TfLiteFusedActivation a) {
  return a == kTfLiteActNone || a == kTfLiteActRelu || a == kTfLiteActReluN1To1 ||
         a == kTfLiteActRelu6;
}

bool SameQ8Types(const TfLiteTensor* a, const TfLiteTensor* b, const TfLiteTensor* c) {
  return a->type == b->type && a->type == c->type;
}

bool ScalesBelow256(const TfLiteTensor* input, const TfLiteTensor* filter,
                    const TfLiteTensor* output) {
  for (float s : XnnpackRequantScales(input, filter, output)) {
    if (!(s < 256.0f)) return false;
  }
  return true;
}

// The operands XNNPACK's CONV_2D and DEPTHWISE_CONV_2D both require: 4-D
// per-tensor Q8 input and output, a static 4-D QC8 filter quantized along
// channel_dim, a static 1-D int32 bias (required), one Q8 type throughout,
// scales XNNPACK accepts.
bool ConvOperandsOk(const TfLiteContext* context, const TfLiteNode* node, int channel_dim) {
  const TfLiteTensor* input = Tensor(context, node->inputs, 0);
  const TfLiteTensor* filter = Tensor(context, node->inputs, 1);
  const TfLiteTensor* bias = Tensor(context, node->inputs, 2);
  const TfLiteTensor* output = Tensor(context, node->outputs, 0);
  if (!IsQ8PerTensor(input) || NumDimensions(input) != 4) return false;
  if (!IsQC8Filter(filter, channel_dim) || NumDimensions(filter) != 4 || !IsStatic(filter)) return false;
  if (!IsQInt32Bias(bias, true) || NumDimensions(bias) != 1 || !IsStatic(bias)) return false;
  if (!IsQ8PerTensor(output) || NumDimensions(output) != 4) return false;
  return SameQ8Types(input, filter, output) && ScalesBelow256(input, filter, output);
}

bool TakesConv2D(const TfLiteContext* context, const TfLiteNode* node) {
  const auto* params = static_cast<const TfLiteConvParams*>(node->builtin_data);
  if (params == nullptr || node->inputs->size != 3 || node->outputs->size != 1) return false;
  // CheckConvolutionParams / CalculatePadding.
  if (params->stride_height <= 0 || params->stride_width <= 0 ||
      params->dilation_height_factor <= 0 || params->dilation_width_factor <= 0) {
    return false;
  }
  if (params->padding != kTfLitePaddingSame && params->padding != kTfLitePaddingValid) return false;
  if (!ActivationOk(params->activation)) return false;
  return ConvOperandsOk(context, node, /*channel_dim=*/0);
}

bool TakesDepthwiseConv2D(const TfLiteContext* context, const TfLiteNode* node) {
  const auto* params = static_cast<const TfLiteDepthwiseConvParams*>(node->builtin_data);
  if (params == nullptr || node->inputs->size != 3 || node->outputs->size != 1) return false;
  if (!ConvOperandsOk(context, node, /*channel_dim=*/3)) return false;
  // CheckDepthwiseConvolutionParams.
  const int output_channels = SizeOfDimension(Tensor(context, node->inputs, 1), 3);
  if (params->stride_height <= 0 || params->stride_width <= 0 ||
      params->dilation_height_factor <= 0 || params->dilation_width_factor <= 0 ||
      params->depth_multiplier <= 0 || output_channels % params->depth_multiplier != 0) {
    return false;
  }
  if (params->padding != kTfLitePaddingSame && params->padding != kTfLitePaddingValid) return false;
  return ActivationOk(params->activation);
}

bool TakesFullyConnected(const TfLiteContext* context, const TfLiteNode* node) {
  const auto* params = static_cast<const TfLiteFullyConnectedParams*>(node->builtin_data);
  if (params == nullptr) return false;
  // CheckFullyConnectedParams.
  if (!ActivationOk(params->activation) ||
      params->weights_format != kTfLiteFullyConnectedWeightsFormatDefault) {
    return false;
  }
  if (node->inputs->size < 2 || node->inputs->size > 3 || node->outputs->size != 1) return false;
  const TfLiteTensor* input = Tensor(context, node->inputs, 0);
  const TfLiteTensor* filter = Tensor(context, node->inputs, 1);
  const TfLiteTensor* bias = Tensor(context, node->inputs, 2);  // optional
  const TfLiteTensor* output = Tensor(context, node->outputs, 0);
  if (!IsQ8PerTensor(input) || output == nullptr) return false;
  // The filter goes through CheckTensorFloat32OrQUInt8Type: per-tensor only.
  if (!IsQ8PerTensor(filter) || NumDimensions(filter) != 2 || !IsStatic(filter)) return false;
  if (bias != nullptr &&
      (!IsQInt32Bias(bias, false) || NumDimensions(bias) != 1 || !IsStatic(bias))) {
    return false;
  }
  if (!IsQ8PerTensor(output) || !SameQ8Types(input, filter, output)) return false;
  const int units = SizeOfDimension(filter, 0);
  const int depth = SizeOfDimension(filter, 1);
  if (NumDimensions(input) == 0) return false;
  int64_t elements = 1;
  for (int i = 0; i < NumDimensions(input); ++i) {
    if (SizeOfDimension(input, i) <= 0) return false;
    elements *= SizeOfDimension(input, i);
  }
  if (params->keep_num_dims) {
    if (NumDimensions(output) != NumDimensions(input)) return false;
    for (int i = 0; i + 1 < NumDimensions(input); ++i) {
      if (SizeOfDimension(input, i) != SizeOfDimension(output, i)) return false;
    }
  } else {
    if (depth <= 0 || elements % depth != 0 || NumDimensions(output) != 2 ||
        SizeOfDimension(output, 0) != elements / depth) {
      return false;
    }
  }
  if (SizeOfDimension(output, NumDimensions(output) - 1) != units) return false;
  return ScalesBelow256(input, filter, output);
}

bool TakesMean(const TfLiteContext* context, const TfLiteNode* node) {
  const auto* params = static_cast<const TfLiteReducerParams*>(node->builtin_data);
  if (params == nullptr || node->inputs->size != 2 || node->outputs->size != 1) return false;
  const TfLiteTensor* input = Tensor(context, node->inputs, 0);
  const TfLiteTensor* axes = Tensor(context, node->inputs, 1);
  const TfLiteTensor* output = Tensor(context, node->outputs, 0);
  if (!IsQ8PerTensor(input) || NumDimensions(input) != 4) return false;
  if (axes == nullptr || axes->type != kTfLiteInt32 || NumDimensions(axes) > 1 ||
      !IsStatic(axes)) {
    return false;
  }
  const int n = static_cast<int>(NumElements(axes));
  const int32_t* a = axes->data.i32;
  // Literal axis values: only {2} (1-D global average pooling) or {1, 2} in
  // either order (2-D); negative equivalents are refused.
  if (n == 1) {
    if (a[0] != 2) return false;
  } else if (n == 2) {
    if (std::min(a[0], a[1]) != 1 || std::max(a[0], a[1]) != 2) return false;
  } else {
    return false;
  }
  if (!IsQ8PerTensor(output) || output->type != input->type) return false;
  if (NumDimensions(output) != (params->keep_dims ? 4 : 4 - n)) return false;
  // xnn_create_global_average_pooling_nwc_q{s,u}8: input/output scale ratio in
  // [2^-8, 2^8).
  const float ratio = input->params.scale / output->params.scale;
  return ratio >= 0x1.0p-8f && ratio < 0x1.0p+8f;
}

bool TakesAdd(const TfLiteContext* context, const TfLiteNode* node) {
  const auto* params = static_cast<const TfLiteAddParams*>(node->builtin_data);
  if (node->inputs->size != 2 || node->outputs->size != 1) return false;
  if (params != nullptr && !ActivationOk(params->activation)) return false;
  const TfLiteTensor* a = Tensor(context, node->inputs, 0);
  const TfLiteTensor* b = Tensor(context, node->inputs, 1);
  const TfLiteTensor* output = Tensor(context, node->outputs, 0);
  if (!IsQ8PerTensor(a) || !IsQ8PerTensor(b) || !IsQ8PerTensor(output)) return false;
  if (!SameQ8Types(a, b, output)) return false;
  // CheckTensorsInputOutputScale for each input: [2^-10, 256).
  for (const TfLiteTensor* in : {a, b}) {
    const float ratio = in->params.scale / output->params.scale;
    if (!(ratio >= 1.0f / 1024.0f && ratio < 256.0f)) return false;
  }
  return true;
}

bool TakesMul(const TfLiteContext* context, const TfLiteNode* node) {
  const auto* params = static_cast<const TfLiteMulParams*>(node->builtin_data);
  if (node->inputs->size != 2 || node->outputs->size != 1) return false;
  if (params != nullptr && !ActivationOk(params->activation)) return false;
  const TfLiteTensor* a = Tensor(context, node->inputs, 0);
  const TfLiteTensor* b = Tensor(context, node->inputs, 1);
  const TfLiteTensor* output = Tensor(context, node->outputs, 0);
  if (!IsQ8PerTensor(a) || !IsQ8PerTensor(b) || !IsQ8PerTensor(output)) return false;
  if (!SameQ8Types(a, b, output)) return false;
  // CheckTensorsInputProductOutputScale: [2^-16, 256).
  const float product_scale = a->params.scale * b->params.scale;
  const float ratio = product_scale / output->params.scale;
  return ratio >= 1.0f / 65536.0f && ratio < 256.0f;
}

bool TakesQuantize(const TfLiteContext* context, const TfLiteNode* node) {
  if (node->inputs->size != 1 || node->outputs->size != 1) return false;
  const TfLiteTensor* input = Tensor(context, node->inputs, 0);
  const TfLiteTensor* output = Tensor(context, node->outputs, 0);
  if (input == nullptr || !IsQ8PerTensor(output)) return false;
  // float32 -> per-tensor int8/uint8 (xnn_create_convert_nc_f32_q{s,u}8:
  // output scale positive and normal, checked by IsQ8PerTensor).
  if (input->type == kTfLiteFloat32) return true;
  // Requantization within one 8-bit type (xnn_define_convert QS8->QS8 /
  // QU8->QU8).
  if (!IsQ8PerTensor(input) || input->type != output->type) return false;
  // xnn_create_convert_nc_q{s,u}8: input/output scale ratio in [2^-8, 2^7].
  const float ratio = input->params.scale / output->params.scale;
  return ratio >= 0x1.0p-8f && ratio <= 0x1.0p+7f;
}

bool TakesResizeBilinear(const TfLiteContext* context, const TfLiteNode* node) {
  if (node->inputs->size != 2 || node->outputs->size != 1) return false;
  const TfLiteTensor* input = Tensor(context, node->inputs, 0);
  const TfLiteTensor* shape = Tensor(context, node->inputs, 1);
  const TfLiteTensor* output = Tensor(context, node->outputs, 0);
  if (!IsQ8PerTensor(input) || NumDimensions(input) != 4) return false;
  if (shape == nullptr || shape->type != kTfLiteInt32 || NumDimensions(shape) != 1 ||
      !IsStatic(shape)) {
    return false;
  }
  if (!IsQ8PerTensor(output) || NumDimensions(output) != 4) return false;
  for (int i = 0; i < NumElements(shape); ++i) {
    if (shape->data.i32[i] <= 0) return false;
  }
  return true;
}

}  // namespace

bool XnnpackTakesNode(const TfLiteContext* context, const TfLiteNode* node,
                      int32_t builtin_code) {
  switch (builtin_code) {
    case tflite::BuiltinOperator_CONV_2D: return TakesConv2D(context, node);
    case tflite::BuiltinOperator_DEPTHWISE_CONV_2D: return TakesDepthwiseConv2D(context, node);
    case tflite::BuiltinOperator_FULLY_CONNECTED: return TakesFullyConnected(context, node);
    case tflite::BuiltinOperator_MEAN: return TakesMean(context, node);
    case tflite::BuiltinOperator_ADD: return TakesAdd(context, node);
    case tflite::BuiltinOperator_SUB: return TakesAdd(context, node);  // same checks
    case tflite::BuiltinOperator_MUL: return TakesMul(context, node);
    case tflite::BuiltinOperator_QUANTIZE: return TakesQuantize(context, node);
    case tflite::BuiltinOperator_RESIZE_BILINEAR: return TakesResizeBilinear(context, node);
    default: return false;
  }
}

std::vector<float> XnnpackRequantScales(const TfLiteTensor* input, const TfLiteTensor* filter,
                                        const TfLiteTensor* output) {
  return XnnpackRequantScales(
      input, filter, output,
      NumDimensions(output) > 0 ? SizeOfDimension(output, NumDimensions(output) - 1) : 1);
}

std::vector<float> XnnpackRequantScales(const TfLiteTensor* input, const TfLiteTensor* filter,
                                        const TfLiteTensor* output, int channels) {
  std::vector<float> scales(static_cast<size_t>(std::max(channels, 0)));
  const float input_scale = input->params.scale;
  const float output_scale = output->params.scale;
  const TfLiteAffineQuantization* q = AffineQuantization(filter);
  const bool per_channel = q != nullptr && q->scale != nullptr && q->scale->size > 1;
  for (int c = 0; c < channels; ++c) {
    const float kernel_scale =
        per_channel && c < q->scale->size ? q->scale->data[c] : filter->params.scale;
    scales[c] = input_scale * kernel_scale / output_scale;
  }
  return scales;
}

void XnnpackActivationRange(TfLiteFusedActivation activation, const TfLiteTensor* output,
                            int32_t* act_min, int32_t* act_max) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  float lo = -kInf;
  float hi = kInf;
  switch (activation) {
    case kTfLiteActRelu: lo = 0.0f; break;
    case kTfLiteActReluN1To1: lo = -1.0f; hi = 1.0f; break;
    case kTfLiteActRelu6: lo = 0.0f; hi = 6.0f; break;
    default: break;
  }
  const bool is_signed = output->type == kTfLiteInt8;
  const float qmin = is_signed ? -128.0f : 0.0f;
  const float qmax = is_signed ? 127.0f : 255.0f;
  const float scale = output->params.scale;
  const float zp = static_cast<float>(output->params.zero_point);
  auto quantize = [&](float v) {
    return static_cast<int32_t>(std::lrint(std::fmin(std::fmax(v / scale + zp, qmin), qmax)));
  };
  *act_min = quantize(lo);
  *act_max = quantize(hi);
}

}  // namespace kernels
}  // namespace systole
