// FULLY_CONNECTED on int8 / uint8 tensors, bit-exact with TensorFlow Lite's
// builtin kernel (tensorflow/lite/kernels/fully_connected.cc,
// kGenericOptimized):
//
//  * multiplier: float(input_scale * weights_scale) / output_scale (legacy
//    per-tensor path, GetQuantizedConvolutionMultipler), with TFLite's check
//    that the bias scale matches input * weights scale;
//  * per-channel int8 weights: one multiplier per output unit from double
//    products (as CONV_2D computes them);
//  * the weights zero point is honoured for int8 and uint8 (TFLite passes it to
//    the GEMM as the LHS zero point);
//  * int8 -> cpu_backend_gemm on ruy (single rounding), uint8 -> gemmlowp
//    (TFLite's double rounding).
//
// Inputs: 0 = input (any rank; flattened to [batches, K] with K = weights
// dims[1]), 1 = weights [units, K], 2 = optional int32 bias [units].
// Output: [batches, units], or with keep_num_dims the input shape with its
// last dimension replaced by units.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "common/fixed_point.h"
#include "interpreter/kernels/builtin_kernels.h"
#include "interpreter/kernels/gemm.h"
#include "interpreter/kernels/gemm_requant.h"
#include "interpreter/kernels/kernel_util.h"
#include "interpreter/kernels/xnnpack_flavor.h"
#include "schema/tflite_generated.h"

namespace systole {
namespace kernels {
namespace {

constexpr int kRowsPerTile = 32;

struct OpData {
  GemmRequant requant;  // per unit
  int batches = 0;
  gemm::PackedRhs rhs;
  bool rhs_packed = false;
  std::vector<int16_t> lhs;
};

void* Init(TfLiteContext*, const char*, size_t) { return new OpData; }
void Free(TfLiteContext*, void* buffer) { delete static_cast<OpData*>(buffer); }

TfLiteStatus Prepare(TfLiteContext* context, TfLiteNode* node, TfliteFlavor flavor) {
  const auto* params = static_cast<const TfLiteFullyConnectedParams*>(node->builtin_data);
  auto* data = static_cast<OpData*>(node->user_data);
  SYSTOLE_KERNEL_ENSURE(context, params != nullptr,
                        "FULLY_CONNECTED: missing FullyConnectedOptions");
  SYSTOLE_KERNEL_ENSURE(context, NumInputs(node) == 2 || NumInputs(node) == 3,
                        "FULLY_CONNECTED: expected 2 or 3 inputs, got %d", NumInputs(node));
  SYSTOLE_KERNEL_ENSURE(context, NumOutputs(node) == 1,
                        "FULLY_CONNECTED: expected 1 output, got %d (shuffled weights are not "
                        "supported)",
                        NumOutputs(node));
  SYSTOLE_KERNEL_ENSURE(context,
                        params->weights_format == kTfLiteFullyConnectedWeightsFormatDefault,
                        "FULLY_CONNECTED: weights format %d not supported (default only)",
                        static_cast<int>(params->weights_format));
  const TfLiteTensor* input = GetInput(context, node, 0);
  const TfLiteTensor* filter = GetInput(context, node, 1);
  const TfLiteTensor* bias = GetInput(context, node, 2);
  TfLiteTensor* output = GetOutput(context, node, 0);
  SYSTOLE_KERNEL_ENSURE(context, input && filter && output,
                        "FULLY_CONNECTED: missing input/output");
  bool int8 = false;
  SYSTOLE_KERNEL_ENSURE_OK(CheckQuantizedOperands(context, "FULLY_CONNECTED", input, filter, output, "weights",
                                                  "; no hybrid or float", &int8));
  SYSTOLE_KERNEL_ENSURE(context, NumDimensions(filter) == 2,
                        "FULLY_CONNECTED: weights must be 2-D, got %d-D", NumDimensions(filter));
  const int units = SizeOfDimension(filter, 0);
  const int depth = SizeOfDimension(filter, 1);
  SYSTOLE_KERNEL_ENSURE(context, units > 0 && depth > 0, "FULLY_CONNECTED: empty weights");
  const int64_t input_size = NumElements(input);
  SYSTOLE_KERNEL_ENSURE(context, input_size % depth == 0,
                        "FULLY_CONNECTED: input has %lld elements, not a multiple of the "
                        "weights depth %d",
                        static_cast<long long>(input_size), depth);
  data->batches = static_cast<int>(input_size / depth);
  SYSTOLE_KERNEL_ENSURE_OK(CheckBias(context, "FULLY_CONNECTED", bias, units));

  GemmRequant& rq = data->requant;
  rq.multiplier.assign(units, 0);
  rq.shift.assign(units, 0);
  const TfLiteAffineQuantization* affine = AffineQuantization(filter);
  const bool per_channel = affine != nullptr && affine->scale != nullptr &&
                           affine->scale->size > 1;
  if (per_channel) {
    SYSTOLE_KERNEL_ENSURE(context, int8,
                          "FULLY_CONNECTED: per-channel weights need int8 tensors");
    int32_t unused_multiplier = 0;
    int unused_shift = 0;
    SYSTOLE_KERNEL_ENSURE_OK(PopulateConvolutionQuantizationParams(
        context, input, filter, bias, output, params->activation, &unused_multiplier,
        &unused_shift, &rq.act_min, &rq.act_max, rq.multiplier.data(), rq.shift.data(), units));
  } else {
    if (bias != nullptr) {
      const double product = static_cast<double>(input->params.scale * filter->params.scale);
      const double diff = std::abs(product - static_cast<double>(bias->params.scale));
      SYSTOLE_KERNEL_ENSURE(context, diff / static_cast<double>(output->params.scale) <= 0.02,
                            "FULLY_CONNECTED: bias scale %g differs from input scale * weights "
                            "scale %g",
                            bias->params.scale, product);
    }
    double real_multiplier = 0.0;
    SYSTOLE_KERNEL_ENSURE_OK(
        GetQuantizedConvolutionMultipler(context, input, filter, output, &real_multiplier));
    int32_t multiplier = 0;
    int exponent = 0;
    QuantizeMultiplier(real_multiplier, &multiplier, &exponent);
    std::fill(rq.multiplier.begin(), rq.multiplier.end(), multiplier);
    std::fill(rq.shift.begin(), rq.shift.end(), exponent);
    SYSTOLE_KERNEL_ENSURE_OK(
        CalculateActivationRangeQuantized(context, params->activation, output, &rq.act_min, &rq.act_max));
  }
  // int8: ruy's single rounding on ruy builds, TFLite's two-step multiplier
  // ruy's x86 kernels on x86-64 builds (kRuyX86); uint8 (gemmlowp): the
  // two-step multiplier.
  rq.rounding = !int8                          ? gemm::Rounding::kTflite
                : flavor == TfliteFlavor::kRuy ? gemm::Rounding::kRuy
                                               : gemm::Rounding::kRuyX86;
  rq.filter_zero_point = filter->params.zero_point;
  rq.scale.clear();
  if (flavor == TfliteFlavor::kXnnpack &&
      XnnpackTakesNode(context, node, tflite::BuiltinOperator_FULLY_CONNECTED))
    UseXnnpackRequant(input, filter, output, params->activation, units, int8, &rq);

  data->rhs.Reserve(units, depth);
  data->rhs_packed = false;
  if (IsConstantTensor(filter)) {
    if (int8) gemm::PackRhs(filter->data.int8, rq.filter_zero_point, &data->rhs);
    else gemm::PackRhs(filter->data.uint8, rq.filter_zero_point, &data->rhs);
    data->rhs_packed = true;
  }
  data->lhs.assign(static_cast<size_t>(std::min(kRowsPerTile, std::max(data->batches, 1))) *
                       data->rhs.depth_pad,
                   0);

  std::vector<int> out_shape;
  if (params->keep_num_dims) {
    SYSTOLE_KERNEL_ENSURE(context,
                          NumDimensions(input) >= 1 &&
                              SizeOfDimension(input, NumDimensions(input) - 1) == depth,
                          "FULLY_CONNECTED: keep_num_dims needs the input's last dimension "
                          "(%d) to equal the weights depth %d",
                          NumDimensions(input) >= 1
                              ? SizeOfDimension(input, NumDimensions(input) - 1)
                              : 0,
                          depth);
    out_shape.assign(input->dims->data, input->dims->data + input->dims->size);
    out_shape.back() = units;
  } else {
    out_shape = {data->batches, units};
  }
  return context->ResizeTensor(context, output, IntArrayFromVector(out_shape));
}

template <typename T>
TfLiteStatus EvalTyped(TfLiteContext* context, TfLiteNode* node) {
  auto* data = static_cast<OpData*>(node->user_data);
  const TfLiteTensor* input = GetInput(context, node, 0);
  const TfLiteTensor* filter = GetInput(context, node, 1);
  const TfLiteTensor* bias = GetInput(context, node, 2);
  TfLiteTensor* output = GetOutput(context, node, 0);
  if (!data->rhs_packed) {
    gemm::PackRhs(reinterpret_cast<const T*>(filter->data.raw), data->requant.filter_zero_point, &data->rhs);
  }
  const gemm::OutputStage os = data->requant.Stage(bias, output);

  const int depth = data->rhs.depth;
  const int depth_pad = data->rhs.depth_pad;
  const int units = data->rhs.cols;
  const int32_t zx = input->params.zero_point;
  const T* in = reinterpret_cast<const T*>(input->data.raw);
  T* out = reinterpret_cast<T*>(output->data.raw);
  int16_t* lhs = data->lhs.data();
  for (int b0 = 0; b0 < data->batches; b0 += kRowsPerTile) {
    const int rows = std::min(kRowsPerTile, data->batches - b0);
    for (int r = 0; r < rows; ++r) {
      int16_t* dst = lhs + static_cast<size_t>(r) * depth_pad;
      gemm::SubtractZeroPoint(in + static_cast<size_t>(b0 + r) * depth, depth, zx, dst);
      if (depth_pad != depth) dst[depth] = 0;
    }
    gemm::GemmRequantize(lhs, rows, data->rhs, os, out + static_cast<size_t>(b0) * units, units);
  }
  return kTfLiteOk;
}

TfLiteStatus Eval(TfLiteContext* context, TfLiteNode* node) {
  return EvalInt8OrUint8(context, GetInput(context, node, 0), "FULLY_CONNECTED",
                         [&](auto zero) { return EvalTyped<decltype(zero)>(context, node); });
}

}  // namespace

const TfLiteRegistration* RegisterFullyConnected(TfliteFlavor flavor) {
  static const auto r = FlavoredKernelRegistrations<Prepare>(Eval, Init, Free);
  return &r[static_cast<int>(flavor)];
}

}  // namespace kernels
}  // namespace systole
