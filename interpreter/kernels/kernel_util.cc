#include "interpreter/kernels/kernel_util.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace systole {
namespace kernels {

const char* TypeName(TfLiteType type) {
  switch (type) {
    case kTfLiteNoType: return "NOTYPE";
    case kTfLiteFloat32: return "FLOAT32";
    case kTfLiteInt32: return "INT32";
    case kTfLiteUInt8: return "UINT8";
    case kTfLiteInt64: return "INT64";
    case kTfLiteString: return "STRING";
    case kTfLiteBool: return "BOOL";
    case kTfLiteInt16: return "INT16";
    case kTfLiteComplex64: return "COMPLEX64";
    case kTfLiteInt8: return "INT8";
    case kTfLiteFloat16: return "FLOAT16";
    case kTfLiteFloat64: return "FLOAT64";
    case kTfLiteComplex128: return "COMPLEX128";
    case kTfLiteUInt64: return "UINT64";
    case kTfLiteResource: return "RESOURCE";
    case kTfLiteVariant: return "VARIANT";
    case kTfLiteUInt32: return "UINT32";
    case kTfLiteUInt16: return "UINT16";
    case kTfLiteInt4: return "INT4";
  }
  return "UNKNOWN";
}

TfLiteIntArray* IntArrayFromVector(const std::vector<int>& v) {
  TfLiteIntArray* a = TfLiteIntArrayCreate(static_cast<int>(v.size()));
  for (size_t i = 0; i < v.size(); ++i) a->data[i] = v[i];
  return a;
}

TfLiteStatus CalculateActivationRangeQuantized(TfLiteContext* context,
                                               TfLiteFusedActivation activation,
                                               const TfLiteTensor* output, int32_t* act_min,
                                               int32_t* act_max) {
  int32_t qmin = 0;
  int32_t qmax = 0;
  switch (output->type) {
    case kTfLiteUInt8: qmin = 0; qmax = 255; break;
    case kTfLiteInt8: qmin = -128; qmax = 127; break;
    case kTfLiteInt16: qmin = -32768; qmax = 32767; break;
    default:
      context->ReportError(context, "activation range: output type %s is not quantized",
                           TypeName(output->type));
      return kTfLiteError;
  }
  const float scale = output->params.scale;
  const int32_t zero_point = output->params.zero_point;
  // Same float arithmetic as TFLite: x / scale in float, rounded half away from zero.
  auto quantize = [scale, zero_point](float x) -> int32_t {
    return static_cast<int32_t>(static_cast<uint32_t>(zero_point) +
                                static_cast<uint32_t>(TruncToInt32X86(std::round(x / scale))));
  };
  switch (activation) {
    case kTfLiteActRelu:
      *act_min = std::max(qmin, quantize(0.0f));
      *act_max = qmax;
      break;
    case kTfLiteActRelu6:
      *act_min = std::max(qmin, quantize(0.0f));
      *act_max = std::min(qmax, quantize(6.0f));
      break;
    case kTfLiteActReluN1To1:
      *act_min = std::max(qmin, quantize(-1.0f));
      *act_max = std::min(qmax, quantize(1.0f));
      break;
    case kTfLiteActNone:
      *act_min = qmin;
      *act_max = qmax;
      break;
    default:
      context->ReportError(context,
                           "fused activation %d is not supported on a quantized output",
                           static_cast<int>(activation));
      return kTfLiteError;
  }
  return kTfLiteOk;
}

int ComputeOutSize(TfLitePadding padding, int image_size, int filter_size, int stride,
                   int dilation_rate) {
  const int effective_filter_size = (filter_size - 1) * dilation_rate + 1;
  if (stride == 0) return 0;
  switch (padding) {
    case kTfLitePaddingSame: return (image_size + stride - 1) / stride;
    case kTfLitePaddingValid: return (image_size + stride - effective_filter_size) / stride;
    default: return 0;
  }
}

namespace {
int ComputePaddingWithOffset(int stride, int dilation_rate, int in_size, int filter_size,
                             int out_size, int* offset) {
  const int effective_filter_size = (filter_size - 1) * dilation_rate + 1;
  int total_padding = (out_size - 1) * stride + effective_filter_size - in_size;
  total_padding = total_padding > 0 ? total_padding : 0;
  *offset = total_padding % 2;
  return total_padding / 2;
}
}  // namespace

TfLitePaddingValues ComputePaddingHeightWidth(int stride_height, int stride_width,
                                              int dilation_rate_height,
                                              int dilation_rate_width, int in_height,
                                              int in_width, int filter_height,
                                              int filter_width, TfLitePadding padding,
                                              int* out_height, int* out_width) {
  *out_width = ComputeOutSize(padding, in_width, filter_width, stride_width, dilation_rate_width);
  *out_height =
      ComputeOutSize(padding, in_height, filter_height, stride_height, dilation_rate_height);
  TfLitePaddingValues values;
  int offset = 0;
  values.height = ComputePaddingWithOffset(stride_height, dilation_rate_height, in_height,
                                           filter_height, *out_height, &offset);
  values.height_offset = offset;
  values.width = ComputePaddingWithOffset(stride_width, dilation_rate_width, in_width,
                                          filter_width, *out_width, &offset);
  values.width_offset = offset;
  return values;
}

}  // namespace kernels
}  // namespace systole
