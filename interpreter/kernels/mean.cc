// MEAN on int8 / uint8 tensors, bit-exact with TensorFlow Lite's builtin
// kernel (tensorflow/lite/kernels/reduce.cc, EvalMean<kGenericOptimized>),
// which picks one of three different arithmetics:
//
//  1. 4-D input, keep_dims, axis exactly {1, 2} or {2, 1} (literal values:
//     {-3, -2} does not qualify): optimized_integer_ops::Mean /
//     optimized_ops::Mean. Integer sum, then
//        bias = out_zp - (int)(round_away(in_zp * in_scale / out_scale))   [float]
//        m    = QuantizeMultiplier(float(in_scale / (count * out_scale)))
//        out  = clamp(MultiplyByQuantizedMultiplier(sum, m) + bias)
//  2. otherwise, if input and output scale and zero point are equal:
//     reference_ops::Mean: int32 sum / count, truncated toward zero.
//  3. otherwise reference_ops::QuantizedMeanOrSum, in float:
//        s = in_scale / out_scale; bias = -in_zp * s
//        out = clamp(round(float(sum) / float(count) * s + bias) + out_zp)
//     (older TFLite added 0.5f to bias before round(); the build we match
//     does not: checked against it, every rescale case is one unit lower
//     with the +0.5.)
//
// Paths 2 and 3 are the ruy flavor's (the WebAssembly TFLite). The native
// x86-64 TFLite 2.14.1 (flavors x86 and xnnpack's fallback) replaces both by
// one integer path (reduce.cc EvalQuantizedMean ->
// reference_ops::QuantizedMeanOrSum, the overload taking a multiplier):
//  4. (m, e) = QuantizeMultiplier(double(in_scale) / double(out_scale))
//     (PrepareMeanOrSum); then 1/count is folded in:
//        k = min(floor(log2(count)), 32, 31 + e)
//        m' = (int64(m) << k) / count   (truncating), e' = e - k
//     out = clamp(MultiplyByQuantizedMultiplier(int32(sum - in_zp * count),
//                                               m', e') + out_zp)
//     so the mean is rounded twice (the doubling high multiply, then the
//     rounding right shift), even when input and output quantization agree.
//
// Flavor xnnpack: nodes the XNNPACK delegate takes (xnnpack_flavor.h: 4-D,
// literal axes {1, 2} or {2}) run XNNPACK's global average pooling
// (operators/global-average-pooling-nwc.c, qs8/qu8 gavgpool fp32 kernels):
//  5. acc = sum - count * in_zp (int32), f = float(acc) * scale with
//     scale = in_scale / (out_scale * float(count)) in binary32, rounded to
//     nearest even, + out_zp, clamped to the type's range.
//
// Inputs: 0 = data, 1 = axis (constant int32, negative values count from the
// end, duplicates allowed). Output shape as TFLite's ResizeOutputTensor.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "common/fixed_point.h"
#include "interpreter/kernels/builtin_kernels.h"
#include "interpreter/kernels/reduce_typed.h"
#include "interpreter/kernels/gemm.h"
#include "interpreter/kernels/kernel_util.h"
#include "interpreter/kernels/xnnpack_flavor.h"
#include "schema/tflite_generated.h"

namespace systole {
namespace kernels {
namespace {

constexpr int kMaxDims = 8;

enum class MeanPath { kOptimized4D, kEqualQuant, kFloatRescale, kIntegerRescale, kXnnpack };

struct OpData {
  MeanPath path = MeanPath::kFloatRescale;
  // Paths 1 and 4.
  int32_t multiplier = 0;
  // Path 5.
  float xnn_scale = 0.0f;
  int shift = 0;
  int32_t bias = 0;
  // Paths 2 and 3: input dims padded to kMaxDims; reduced[d] true for reduced dims.
  int dims[kMaxDims];
  bool reduced[kMaxDims];
  int64_t count = 1;
  std::vector<int32_t> sums;  // [output elements]
  // float32 / int32 input: reduce_typed.h does the work.
  bool typed = false;
  ReduceShape typed_shape;
};

void* Init(TfLiteContext*, const char*, size_t) { return new OpData; }
void Free(TfLiteContext*, void* buffer) { delete static_cast<OpData*>(buffer); }

TfLiteStatus Prepare(TfLiteContext* context, TfLiteNode* node, TfliteFlavor flavor) {
  const auto* params = static_cast<const TfLiteReducerParams*>(node->builtin_data);
  auto* data = static_cast<OpData*>(node->user_data);
  SYSTOLE_KERNEL_ENSURE(context, params != nullptr, "MEAN: missing ReducerOptions");
  SYSTOLE_KERNEL_ENSURE(context, NumInputs(node) == 2, "MEAN: expected 2 inputs, got %d",
                        NumInputs(node));
  SYSTOLE_KERNEL_ENSURE(context, NumOutputs(node) == 1, "MEAN: expected 1 output, got %d",
                        NumOutputs(node));
  const TfLiteTensor* input = GetInput(context, node, 0);
  const TfLiteTensor* axis = GetInput(context, node, 1);
  TfLiteTensor* output = GetOutput(context, node, 0);
  SYSTOLE_KERNEL_ENSURE(context, input && axis && output, "MEAN: missing input/output");
  data->typed = IsTypedReduceType(input->type);
  if (data->typed) return PrepareReduceTyped(context, node, ReduceOp::kMean, &data->typed_shape);
  SYSTOLE_KERNEL_ENSURE(context,
                        (input->type == kTfLiteInt8 || input->type == kTfLiteUInt8) &&
                            output->type == input->type,
                        "MEAN: input %s / output %s not supported (int8 or uint8, same type)",
                        TypeName(input->type), TypeName(output->type));
  SYSTOLE_KERNEL_ENSURE(context, axis->type == kTfLiteInt32, "MEAN: axis must be INT32, got %s",
                        TypeName(axis->type));
  SYSTOLE_KERNEL_ENSURE(context, IsConstantTensor(axis),
                        "MEAN: axis must be a constant tensor (static shapes only)");
  const int rank = NumDimensions(input);
  SYSTOLE_KERNEL_ENSURE(context, rank >= 1 && rank <= kMaxDims,
                        "MEAN: input rank %d not supported (1..%d)", rank, kMaxDims);
  const int num_axis = static_cast<int>(NumElements(axis));
  const int32_t* axes = axis->data.i32;

  bool reduced[kMaxDims] = {};
  for (int i = 0; i < num_axis; ++i) {
    int a = axes[i];
    SYSTOLE_KERNEL_ENSURE(context, a >= -rank && a < rank,
                          "MEAN: axis %d out of range for a %d-D input", a, rank);
    if (a < 0) a += rank;
    reduced[a] = true;
  }
  // Output shape, as TFLite's ResizeOutputTensor.
  std::vector<int> out_shape;
  for (int d = 0; d < rank; ++d) {
    if (reduced[d]) {
      if (params->keep_dims) out_shape.push_back(1);
    } else {
      out_shape.push_back(SizeOfDimension(input, d));
    }
  }

  const int pad = kMaxDims - rank;
  data->count = 1;
  int64_t out_elems = 1;
  for (int d = 0; d < kMaxDims; ++d) {
    const int src = d - pad;
    data->dims[d] = src >= 0 ? SizeOfDimension(input, src) : 1;
    data->reduced[d] = src >= 0 && reduced[src];
    if (data->reduced[d]) data->count *= data->dims[d];
    else out_elems *= data->dims[d];
  }
  SYSTOLE_KERNEL_ENSURE(context, NumElements(input) > 0, "MEAN: empty input not supported");
  data->sums.assign(static_cast<size_t>(out_elems), 0);

  const float in_scale = input->params.scale;
  const float out_scale = output->params.scale;
  const int32_t in_zp = input->params.zero_point;
  const int32_t out_zp = output->params.zero_point;
  if (flavor == TfliteFlavor::kXnnpack &&
      XnnpackTakesNode(context, node, tflite::BuiltinOperator_MEAN)) {
    data->path = MeanPath::kXnnpack;
    data->xnn_scale = in_scale / (out_scale * static_cast<float>(data->count));
  } else if (params->keep_dims && rank == 4 && num_axis == 2 &&
      ((axes[0] == 1 && axes[1] == 2) || (axes[0] == 2 && axes[1] == 1))) {
    data->path = MeanPath::kOptimized4D;
    const float count = static_cast<float>(SizeOfDimension(input, 1) * SizeOfDimension(input, 2));
    float temp = static_cast<float>(in_zp) * in_scale / out_scale;
    temp = temp > 0 ? temp + 0.5f : temp - 0.5f;
    data->bias = static_cast<int32_t>(static_cast<uint32_t>(out_zp) - static_cast<uint32_t>(TruncToInt32X86(temp)));
    const float real_scale = in_scale / (count * out_scale);
    QuantizeMultiplier(static_cast<double>(real_scale), &data->multiplier, &data->shift);
  } else if (flavor != TfliteFlavor::kRuy) {
    data->path = MeanPath::kIntegerRescale;
    int32_t m = 0;
    int e = 0;
    QuantizeMultiplier(static_cast<double>(in_scale) / static_cast<double>(out_scale), &m, &e);
    int k = 0;
    while ((data->count >> (k + 1)) != 0) ++k;  // floor(log2(count))
    k = std::min(k, 32);
    k = std::min(k, 31 + e);
    data->multiplier = static_cast<int32_t>((static_cast<int64_t>(m) << k) / data->count);
    data->shift = e - k;
  } else if (in_zp == out_zp && in_scale == out_scale) {
    data->path = MeanPath::kEqualQuant;
  } else {
    data->path = MeanPath::kFloatRescale;
  }
  return context->ResizeTensor(context, output, IntArrayFromVector(out_shape));
}

template <typename T>
TfLiteStatus EvalTyped(TfLiteContext* context, TfLiteNode* node) {
  auto* data = static_cast<OpData*>(node->user_data);
  const TfLiteTensor* input = GetInput(context, node, 0);
  TfLiteTensor* output = GetOutput(context, node, 0);
  const T* in = reinterpret_cast<const T*>(input->data.raw);
  T* out = reinterpret_cast<T*>(output->data.raw);
  constexpr int32_t kMin = std::numeric_limits<T>::min();
  constexpr int32_t kMax = std::numeric_limits<T>::max();

  // Sum every input element into its output slot (row-major over kept dims).
  int32_t* sums = data->sums.data();
  std::fill(data->sums.begin(), data->sums.end(), 0);
  int64_t out_stride[kMaxDims];
  int64_t s = 1;
  for (int d = kMaxDims - 1; d >= 0; --d) {
    out_stride[d] = data->reduced[d] ? 0 : s;
    if (!data->reduced[d]) s *= data->dims[d];
  }
  int idx[kMaxDims] = {};
  const int64_t n = NumElements(input);
  int64_t out_pos = 0;
  for (int64_t i = 0; i < n; ++i) {
    sums[out_pos] += in[i];
    for (int d = kMaxDims - 1; d >= 0; --d) {
      if (++idx[d] < data->dims[d]) {
        out_pos += out_stride[d];
        break;
      }
      out_pos -= out_stride[d] * (data->dims[d] - 1);
      idx[d] = 0;
    }
  }

  const size_t out_elems = data->sums.size();
  switch (data->path) {
    case MeanPath::kOptimized4D:
      for (size_t i = 0; i < out_elems; ++i) {
        int32_t v = MultiplyByQuantizedMultiplier(sums[i], data->multiplier, data->shift);
        v += data->bias;
        out[i] = static_cast<T>(std::min(std::max(v, kMin), kMax));
      }
      break;
    case MeanPath::kXnnpack: {
      const int32_t bias = -static_cast<int32_t>(data->count) * input->params.zero_point;
      for (size_t i = 0; i < out_elems; ++i) {
        const int32_t acc = static_cast<int32_t>(static_cast<uint32_t>(sums[i]) +
                                                 static_cast<uint32_t>(bias));
        out[i] = static_cast<T>(gemm::RequantizeFp32(acc, data->xnn_scale,
                                                     output->params.zero_point, kMin, kMax));
      }
      break;
    }
    case MeanPath::kIntegerRescale: {
      const int64_t zp_sum = static_cast<int64_t>(input->params.zero_point) * data->count;
      const int32_t out_zp = output->params.zero_point;
      for (size_t i = 0; i < out_elems; ++i) {
        const int32_t shifted = static_cast<int32_t>(sums[i] - zp_sum);
        int32_t v = MultiplyByQuantizedMultiplier(shifted, data->multiplier, data->shift) + out_zp;
        out[i] = static_cast<T>(std::min(std::max(v, kMin), kMax));
      }
      break;
    }
    case MeanPath::kEqualQuant: {
      const int32_t count = static_cast<int32_t>(data->count);
      for (size_t i = 0; i < out_elems; ++i) out[i] = static_cast<T>(sums[i] / count);
      break;
    }
    case MeanPath::kFloatRescale: {
      const float scale = input->params.scale / output->params.scale;
      const float bias = static_cast<float>(-input->params.zero_point) * scale;
      const float count = static_cast<float>(data->count);
      const int32_t out_zp = output->params.zero_point;
      for (size_t i = 0; i < out_elems; ++i) {
        const float mean = static_cast<float>(sums[i]) / count;
        float r = std::round(mean * scale + bias) + static_cast<float>(out_zp);
        r = std::min(r, static_cast<float>(kMax));
        r = std::max(r, static_cast<float>(kMin));
        out[i] = static_cast<T>(r);
      }
      break;
    }
  }
  return kTfLiteOk;
}

TfLiteStatus Eval(TfLiteContext* context, TfLiteNode* node) {
  const auto& data = *static_cast<const OpData*>(node->user_data);
  if (data.typed) return EvalReduceTyped(context, node, ReduceOp::kMean, data.typed_shape);
  return EvalInt8OrUint8(context, GetInput(context, node, 0), "MEAN",
                         [&](auto zero) { return EvalTyped<decltype(zero)>(context, node); });
}

}  // namespace

const TfLiteRegistration* RegisterMean(TfliteFlavor flavor) {
  static const auto r = FlavoredKernelRegistrations<Prepare>(Eval, Init, Free);
  return &r[static_cast<int>(flavor)];
}

}  // namespace kernels
}  // namespace systole
