// AVERAGE_POOL_2D and MAX_POOL_2D on int8 / uint8 tensors, bit-exact with
// TensorFlow Lite's builtin kernels (tensorflow/lite/kernels/pooling.cc,
// kGenericOptimized -> optimized_ops / optimized_integer_ops pooling):
//
//  * the window is clipped to the input (padding cells are not counted);
//  * average: int32 sum of the valid cells divided by their count, rounded
//    half away from zero ((s + n/2) / n for s > 0, (s - n/2) / n otherwise,
//    C++ truncating division; uint8 sums are never negative);
//  * the result is clamped to the fused activation range of the output.
// Input and output quantization are assumed equal, as TFLite assumes (it only
// DCHECKs it): values pass through unscaled.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "interpreter/kernels/builtin_kernels.h"
#include "interpreter/kernels/kernel_util.h"

namespace systole {
namespace kernels {
namespace {

enum class PoolType { kAverage, kMax };

const char* OpName(PoolType type) {
  return type == PoolType::kAverage ? "AVERAGE_POOL_2D" : "MAX_POOL_2D";
}

struct OpData {
  TfLitePaddingValues padding{};
  int out_height = 0;
  int out_width = 0;
  int32_t act_min = 0;
  int32_t act_max = 0;
  std::vector<int32_t> acc;  // [channels]
};

void* Init(TfLiteContext*, const char*, size_t) { return new OpData; }
void Free(TfLiteContext*, void* buffer) { delete static_cast<OpData*>(buffer); }

template <PoolType kType>
TfLiteStatus Prepare(TfLiteContext* context, TfLiteNode* node) {
  const char* op = OpName(kType);
  auto* params = static_cast<TfLitePoolParams*>(node->builtin_data);
  auto* data = static_cast<OpData*>(node->user_data);
  SYSTOLE_KERNEL_ENSURE(context, params != nullptr, "%s: missing Pool2DOptions", op);
  SYSTOLE_KERNEL_ENSURE(context, NumInputs(node) == 1, "%s: expected 1 input, got %d", op,
                        NumInputs(node));
  SYSTOLE_KERNEL_ENSURE(context, NumOutputs(node) == 1, "%s: expected 1 output, got %d", op,
                        NumOutputs(node));
  const TfLiteTensor* input = GetInput(context, node, 0);
  TfLiteTensor* output = GetOutput(context, node, 0);
  SYSTOLE_KERNEL_ENSURE(context, input && output, "%s: missing input/output", op);
  SYSTOLE_KERNEL_ENSURE(context,
                        (input->type == kTfLiteInt8 || input->type == kTfLiteUInt8) &&
                            output->type == input->type,
                        "%s: input %s / output %s not supported (int8 or uint8, same type)", op,
                        TypeName(input->type), TypeName(output->type));
  SYSTOLE_KERNEL_ENSURE(context, NumDimensions(input) == 4, "%s: input must be 4-D, got %d-D",
                        op, NumDimensions(input));
  SYSTOLE_KERNEL_ENSURE(context, params->stride_width > 0 && params->stride_height > 0,
                        "%s: strides must be positive (%d, %d)", op, params->stride_height,
                        params->stride_width);
  SYSTOLE_KERNEL_ENSURE(context, params->filter_width > 0 && params->filter_height > 0,
                        "%s: filter size must be positive (%d, %d)", op, params->filter_height,
                        params->filter_width);
  SYSTOLE_KERNEL_ENSURE(context,
                        params->padding == kTfLitePaddingSame ||
                            params->padding == kTfLitePaddingValid,
                        "%s: unknown padding %d", op, static_cast<int>(params->padding));
  const int batches = SizeOfDimension(input, 0);
  const int height = SizeOfDimension(input, 1);
  const int width = SizeOfDimension(input, 2);
  const int channels = SizeOfDimension(input, 3);
  data->padding = ComputePaddingHeightWidth(
      params->stride_height, params->stride_width, 1, 1, height, width, params->filter_height,
      params->filter_width, params->padding, &data->out_height, &data->out_width);
  params->computed.padding = data->padding;
  SYSTOLE_KERNEL_ENSURE(context, data->out_height > 0 && data->out_width > 0,
                        "%s: output would be empty (%d x %d)", op, data->out_height,
                        data->out_width);
  SYSTOLE_KERNEL_ENSURE_OK(CalculateActivationRangeQuantized(
      context, params->activation, output, &data->act_min, &data->act_max));
  data->acc.assign(std::max(channels, 1), 0);
  return context->ResizeTensor(
      context, output, IntArrayFromVector({batches, data->out_height, data->out_width, channels}));
}

template <PoolType kType, typename T>
TfLiteStatus EvalTyped(TfLiteContext* context, TfLiteNode* node) {
  const auto* params = static_cast<const TfLitePoolParams*>(node->builtin_data);
  auto* data = static_cast<OpData*>(node->user_data);
  const TfLiteTensor* input = GetInput(context, node, 0);
  TfLiteTensor* output = GetOutput(context, node, 0);
  const int batches = SizeOfDimension(input, 0);
  const int height = SizeOfDimension(input, 1);
  const int width = SizeOfDimension(input, 2);
  const int channels = SizeOfDimension(input, 3);
  const T* in = reinterpret_cast<const T*>(input->data.raw);
  T* out = reinterpret_cast<T*>(output->data.raw);
  int32_t* acc = data->acc.data();
  const int32_t init =
      kType == PoolType::kAverage ? 0 : static_cast<int32_t>(std::numeric_limits<T>::lowest());
  for (int b = 0; b < batches; ++b) {
    for (int oy = 0; oy < data->out_height; ++oy) {
      const int y0 = oy * params->stride_height - data->padding.height;
      const int fy_begin = std::max(0, -y0);
      const int fy_end = std::min(params->filter_height, height - y0);
      for (int ox = 0; ox < data->out_width; ++ox) {
        const int x0 = ox * params->stride_width - data->padding.width;
        const int fx_begin = std::max(0, -x0);
        const int fx_end = std::min(params->filter_width, width - x0);
        const int count = (fy_end - fy_begin) * (fx_end - fx_begin);
        // TFLite's optimized average pool fails the same way.
        SYSTOLE_KERNEL_ENSURE(context, count > 0,
                              "%s: a pooling window lies entirely in the padding",
                              OpName(kType));
        std::fill(acc, acc + channels, init);
        for (int fy = fy_begin; fy < fy_end; ++fy) {
          for (int fx = fx_begin; fx < fx_end; ++fx) {
            const T* ip =
                in + ((static_cast<size_t>(b) * height + y0 + fy) * width + x0 + fx) * channels;
            if (kType == PoolType::kAverage) {
              for (int c = 0; c < channels; ++c) acc[c] += ip[c];
            } else {
              for (int c = 0; c < channels; ++c) acc[c] = std::max<int32_t>(acc[c], ip[c]);
            }
          }
        }
        T* op = out + ((static_cast<size_t>(b) * data->out_height + oy) * data->out_width + ox) *
                          channels;
        for (int c = 0; c < channels; ++c) {
          int32_t v = acc[c];
          if (kType == PoolType::kAverage) {
            v = v > 0 ? (v + count / 2) / count : (v - count / 2) / count;
          }
          v = std::min(std::max(v, data->act_min), data->act_max);
          op[c] = static_cast<T>(v);
        }
      }
    }
  }
  return kTfLiteOk;
}

template <PoolType kType>
TfLiteStatus Eval(TfLiteContext* context, TfLiteNode* node) {
  const TfLiteTensor* input = GetInput(context, node, 0);
  switch (input->type) {
    case kTfLiteInt8: return EvalTyped<kType, int8_t>(context, node);
    case kTfLiteUInt8: return EvalTyped<kType, uint8_t>(context, node);
    default:
      context->ReportError(context, "%s: input type %s not supported", OpName(kType),
                           TypeName(input->type));
      return kTfLiteError;
  }
}

}  // namespace

const TfLiteRegistration* RegisterAveragePool2D(TfliteFlavor) {
  static const TfLiteRegistration r = KernelRegistration(Prepare<PoolType::kAverage>, Eval<PoolType::kAverage>, Init, Free);
  return &r;
}

const TfLiteRegistration* RegisterMaxPool2D(TfliteFlavor) {
  static const TfLiteRegistration r = KernelRegistration(Prepare<PoolType::kMax>, Eval<PoolType::kMax>, Init, Free);
  return &r;
}

}  // namespace kernels
}  // namespace systole
