// SOFTMAX, LOGISTIC, TANH, RELU, RELU6 and HARD_SWISH on int8 / uint8
// tensors, bit-exact with TensorFlow Lite's builtin kernels
// (tensorflow/lite/kernels/activations.cc as registered by the default
// BuiltinOpResolver, on a build without TFLITE_SOFTMAX_USE_UINT16_LUT, i.e.
// not aarch64+clang):
//
//  * SOFTMAX: optimized_ops::PopulateSoftmaxLookupTable (a 256-entry float
//    table of expf(-input_scale * beta * d) for d = max - x) and the float
//    normalisation of optimized_ops::Softmax.
//  * LOGISTIC / TANH: kGenericOptimized, a 256-entry table built in Prepare
//    with float math (PopulateLookupTable), applied per byte.
//  * RELU / RELU6: requantize with input_scale / output_scale (QuantizeMultiplier),
//    then clamp (optimized_ops::ReluX, QuantizedReluX).
//  * HARD_SWISH: the int16 fixed-point "reluish" formulation of
//    reference_ops::HardSwish (the optimized kernel's portable loop is the same).
//
// Float rounding caveat: the reference is TFLite compiled to WebAssembly, whose
// expf / tanhf come from its musl-based libc; the tables here call the host
// libm (glibc on Debian). glibc and musl share ARM's optimized-routines expf,
// so LOGISTIC and SOFTMAX tables agree; the two tanhf implementations differ
// and could disagree in the last ulp, which would change a TANH table entry
// only when tanh(x) / output_scale lands within an ulp of a .5 boundary. No
// such case was found: 600 random-quantization TANH/LOGISTIC/SOFTMAX/
// HARD_SWISH/RELU6 models (1024 inputs each) matched the oracle bit for bit.
// Nothing here may be built with FMA contraction (-mfma / -ffp-contract=fast
// on an FMA target): wasm has no fused multiply-add.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "common/fixed_point.h"
#include "interpreter/kernels/builtin_kernels.h"
#include "interpreter/kernels/unary_float.h"
#include "interpreter/kernels/gemmlowp_fixed_point.h"
#include "interpreter/kernels/kernel_util.h"
#include "interpreter/kernels/softmax_table.h"

namespace systole {
namespace kernels {
namespace {

// ---------------------------------------------------------------- common ----

struct OpData {
  // LOGISTIC / TANH: output byte indexed by the input byte (as uint8).
  uint8_t table[256] = {0};
  // SOFTMAX: expf(-input_scale * beta * (255 - i)).
  float softmax_table[256] = {0};
  float output_scale = 0.0f;
  int32_t output_zero_point = 0;
  // RELU / RELU6.
  int32_t output_multiplier = 0;
  int output_shift = 0;
  int32_t act_min = 0;
  int32_t act_max = 0;
  // HARD_SWISH (TFLite HardSwishParams).
  int16_t hs_input_zero_point = 0;
  int16_t hs_output_zero_point = 0;
  int16_t hs_reluish_multiplier_fixedpoint_int16 = 0;
  int hs_reluish_multiplier_exponent = 0;
  int16_t hs_output_multiplier_fixedpoint_int16 = 0;
  int hs_output_multiplier_exponent = 0;
};

void* Init(TfLiteContext*, const char*, size_t) { return new OpData; }
void Free(TfLiteContext*, void* buffer) { delete static_cast<OpData*>(buffer); }

// TFLite GenericPrepare: one input, one output of the same 8-bit type and shape.
TfLiteStatus PrepareUnary(TfLiteContext* context, TfLiteNode* node, const char* op,
                          const TfLiteTensor** input, TfLiteTensor** output) {
  SYSTOLE_KERNEL_ENSURE(context, NumInputs(node) == 1 && NumOutputs(node) == 1,
                        "%s: expects 1 input and 1 output, got %d and %d", op, NumInputs(node),
                        NumOutputs(node));
  *input = GetInput(context, node, 0);
  *output = GetOutput(context, node, 0);
  SYSTOLE_KERNEL_ENSURE(context, *input && *output, "%s: missing input or output tensor", op);
  SYSTOLE_KERNEL_ENSURE(context, (*input)->type == (*output)->type,
                        "%s: input type %s and output type %s must be equal", op,
                        TypeName((*input)->type), TypeName((*output)->type));
  SYSTOLE_KERNEL_ENSURE(context,
                        (*input)->type == kTfLiteInt8 || (*input)->type == kTfLiteUInt8,
                        "%s: type %s is not supported (int8 and uint8 only)", op,
                        TypeName((*input)->type));
  SYSTOLE_KERNEL_ENSURE(context, (*input)->params.scale > 0.0f && (*output)->params.scale > 0.0f,
                        "%s: input and output scales must be positive (got %g, %g)", op,
                        static_cast<double>((*input)->params.scale),
                        static_cast<double>((*output)->params.scale));
  return kTfLiteOk;
}

TfLiteStatus ResizeLikeInput(TfLiteContext* context, const TfLiteTensor* input,
                             TfLiteTensor* output) {
  return context->ResizeTensor(context, output, TfLiteIntArrayCopy(input->dims));
}

// ------------------------------------------------------- LOGISTIC / TANH ----

// TFLite PopulateLookupTable<T>: dequantize in float, transform, rescale by
// 1 / output_scale in float, round half away from zero, add the zero point.
template <typename T>
void PopulateLookupTable(OpData* data, const TfLiteTensor* input, const TfLiteTensor* output,
                         float (*transform)(float)) {
  const float inverse_scale = 1 / output->params.scale;
  const int32_t maxval = std::numeric_limits<T>::max();
  const int32_t minval = std::numeric_limits<T>::min();
  for (int32_t val = minval; val <= maxval; ++val) {
    const float dequantized = input->params.scale * (val - input->params.zero_point);
    const float transformed = transform(dequantized);
    const float rescaled = std::round(transformed * inverse_scale);
    const int32_t quantized = static_cast<int32_t>(rescaled + output->params.zero_point);
    data->table[static_cast<uint8_t>(static_cast<T>(val))] =
        static_cast<uint8_t>(static_cast<T>(std::max(std::min(maxval, quantized), minval)));
  }
}

float LogisticTransform(float v) { return 1.0f / (1.0f + std::exp(-v)); }
float TanhTransform(float v) { return std::tanh(v); }

TfLiteStatus LogisticPrepare(TfLiteContext* context, TfLiteNode* node) {
  const TfLiteTensor* input = nullptr;
  TfLiteTensor* output = nullptr;
  SYSTOLE_KERNEL_ENSURE_OK(PrepareUnary(context, node, "LOGISTIC", &input, &output));
  // TFLite (kGenericOptimized) only requires the 1/256 output scale here.
  SYSTOLE_KERNEL_ENSURE(context, output->params.scale == 1. / 256,
                        "LOGISTIC: output scale must be exactly 1/256, got %g",
                        static_cast<double>(output->params.scale));
  OpData* data = static_cast<OpData*>(node->user_data);
  if (input->type == kTfLiteUInt8) {
    PopulateLookupTable<uint8_t>(data, input, output, LogisticTransform);
  } else {
    PopulateLookupTable<int8_t>(data, input, output, LogisticTransform);
  }
  return ResizeLikeInput(context, input, output);
}

TfLiteStatus TanhPrepare(TfLiteContext* context, TfLiteNode* node) {
  const TfLiteTensor* input = nullptr;
  TfLiteTensor* output = nullptr;
  SYSTOLE_KERNEL_ENSURE_OK(PrepareUnary(context, node, "TANH", &input, &output));
  OpData* data = static_cast<OpData*>(node->user_data);
  if (input->type == kTfLiteUInt8) {
    PopulateLookupTable<uint8_t>(data, input, output, TanhTransform);
  } else {
    PopulateLookupTable<int8_t>(data, input, output, TanhTransform);
  }
  return ResizeLikeInput(context, input, output);
}

// TFLite EvalUsingLookupTable: int8 bytes index the table as uint8.
TfLiteStatus LookupTableInvoke(TfLiteContext* context, TfLiteNode* node) {
  const OpData& data = *static_cast<const OpData*>(node->user_data);
  const TfLiteTensor* input = GetInput(context, node, 0);
  TfLiteTensor* output = GetOutput(context, node, 0);
  const int64_t n = NumElements(input);
  const uint8_t* in = input->data.uint8;
  uint8_t* out = output->data.uint8;
  for (int64_t i = 0; i < n; ++i) out[i] = data.table[in[i]];
  return kTfLiteOk;
}

// -------------------------------------------------------------- SOFTMAX ----

TfLiteStatus SoftmaxPrepare(TfLiteContext* context, TfLiteNode* node) {
  const TfLiteTensor* input = nullptr;
  TfLiteTensor* output = nullptr;
  SYSTOLE_KERNEL_ENSURE_OK(PrepareUnary(context, node, "SOFTMAX", &input, &output));
  SYSTOLE_KERNEL_ENSURE(context, NumDimensions(input) >= 1,
                        "SOFTMAX: input must have at least 1 dimension");
  // As TFLite: only int8 output quantization is checked. uint8 accepts any
  // output quantization, and its rounding (QuantizeSoftmaxOutput<uint8_t>)
  // ignores the output zero point altogether.
  if (input->type == kTfLiteInt8) {
    SYSTOLE_KERNEL_ENSURE(context, output->params.zero_point == -128,
                          "SOFTMAX: INT8 output zero point must be -128, got %d",
                          static_cast<int>(output->params.zero_point));
    SYSTOLE_KERNEL_ENSURE(context,
                          std::fabs(output->params.scale - 1.f / 256) <= 0.001f * 1.f / 256,
                          "SOFTMAX: INT8 output scale must be 1/256, got %g",
                          static_cast<double>(output->params.scale));
  }
  const float beta = node->builtin_data == nullptr
                         ? 1.0f
                         : static_cast<const TfLiteSoftmaxParams*>(node->builtin_data)->beta;
  OpData* data = static_cast<OpData*>(node->user_data);
  PopulateSoftmaxTable(input->params.scale, beta, data->softmax_table);
  data->output_scale = output->params.scale;
  data->output_zero_point = output->params.zero_point;
  return ResizeLikeInput(context, input, output);
}

// TFLite QuantizeSoftmaxOutput (non-aarch64): uint8 truncates x + 0.5f,
// int8 rounds half away from zero.
template <typename T>
inline int32_t QuantizeSoftmaxOutput(float prob_rescaled, int32_t zero_point) {
  return static_cast<int32_t>(std::round(prob_rescaled)) + zero_point;
}
template <>
inline int32_t QuantizeSoftmaxOutput<uint8_t>(float prob_rescaled, int32_t) {
  return static_cast<int32_t>(prob_rescaled + 0.5f);
}

template <typename T>
void SoftmaxTyped(const OpData& data, const TfLiteTensor* input, T* out) {
  const int rank = NumDimensions(input);
  const int depth = SizeOfDimension(input, rank - 1);
  const int64_t outer = depth == 0 ? 0 : NumElements(input) / depth;
  const T* in = reinterpret_cast<const T*>(input->data.raw_const);
  const int32_t clamp_max = std::numeric_limits<T>::max();
  const int32_t clamp_min = std::numeric_limits<T>::min();
  for (int64_t i = 0; i < outer; ++i, in += depth, out += depth) {
    int32_t max_val = std::numeric_limits<T>::min();
    for (int j = 0; j < depth; ++j) max_val = std::max(max_val, static_cast<int32_t>(in[j]));
    // softmax_table[base + x] == exp(-input_scale * beta * (max_val - x)),
    // base + x in [0, 255]. (TFLite forms &table[base] first, which for int8
    // points past the array; indexing with the sum avoids that UB.)
    const int32_t base = 255 - max_val;
    float sum_exp = 0.0f;
    for (int j = 0; j < depth; ++j) sum_exp += data.softmax_table[base + in[j]];
    const float inv_sum_exp = 1.0f / (sum_exp * data.output_scale);
    for (int j = 0; j < depth; ++j) {
      const float prob_rescaled = data.softmax_table[base + in[j]] * inv_sum_exp;
      const int32_t q = QuantizeSoftmaxOutput<T>(prob_rescaled, data.output_zero_point);
      out[j] = static_cast<T>(std::max(std::min(clamp_max, q), clamp_min));
    }
  }
}

TfLiteStatus SoftmaxInvoke(TfLiteContext* context, TfLiteNode* node) {
  const OpData& data = *static_cast<const OpData*>(node->user_data);
  const TfLiteTensor* input = GetInput(context, node, 0);
  TfLiteTensor* output = GetOutput(context, node, 0);
  if (input->type == kTfLiteUInt8) {
    SoftmaxTyped<uint8_t>(data, input, output->data.uint8);
  } else {
    SoftmaxTyped<int8_t>(data, input, output->data.int8);
  }
  return kTfLiteOk;
}

// --------------------------------------------------------- RELU / RELU6 ----

TfLiteStatus ReluPrepareImpl(TfLiteContext* context, TfLiteNode* node, const char* op,
                             float act_min, float act_max) {
  const TfLiteTensor* input = nullptr;
  TfLiteTensor* output = nullptr;
  SYSTOLE_KERNEL_ENSURE_OK(PrepareUnary(context, node, op, &input, &output));
  OpData* data = static_cast<OpData*>(node->user_data);
  // float / float, then widened, as TFLite's ReluPrepare.
  const double real_multiplier = input->params.scale / output->params.scale;
  SYSTOLE_KERNEL_ENSURE(
      context, QuantizeMultiplier(real_multiplier, &data->output_multiplier, &data->output_shift),
      "%s: multiplier input_scale / output_scale = %g cannot be represented", op,
      real_multiplier);
  // QuantizedReluX: the clamp bounds use roundf of float quotients.
  const int32_t type_min = input->type == kTfLiteUInt8 ? 0 : -128;
  const int32_t type_max = input->type == kTfLiteUInt8 ? 255 : 127;
  const float out_scale = output->params.scale;
  const int32_t out_zp = output->params.zero_point;
  data->act_min = std::max(type_min, out_zp + static_cast<int32_t>(roundf(act_min / out_scale)));
  data->act_max = act_max == std::numeric_limits<float>::infinity()
                      ? type_max
                      : std::min(type_max, out_zp + static_cast<int32_t>(roundf(act_max / out_scale)));
  data->output_zero_point = out_zp;
  return ResizeLikeInput(context, input, output);
}

TfLiteStatus ReluPrepare(TfLiteContext* context, TfLiteNode* node) {
  return ReluPrepareImpl(context, node, "RELU", 0.0f, std::numeric_limits<float>::infinity());
}
TfLiteStatus Relu6Prepare(TfLiteContext* context, TfLiteNode* node) {
  return ReluPrepareImpl(context, node, "RELU6", 0.0f, 6.0f);
}

template <typename T>
void ReluXTyped(const OpData& d, int32_t input_zero_point, const T* in, T* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    int32_t v = d.output_zero_point +
                MultiplyByQuantizedMultiplier(static_cast<int32_t>(in[i]) - input_zero_point,
                                              d.output_multiplier, d.output_shift);
    v = std::min(d.act_max, std::max(d.act_min, v));
    out[i] = static_cast<T>(v);
  }
}

TfLiteStatus ReluInvoke(TfLiteContext* context, TfLiteNode* node) {
  const OpData& data = *static_cast<const OpData*>(node->user_data);
  const TfLiteTensor* input = GetInput(context, node, 0);
  TfLiteTensor* output = GetOutput(context, node, 0);
  const int64_t n = NumElements(input);
  if (input->type == kTfLiteUInt8) {
    ReluXTyped<uint8_t>(data, input->params.zero_point, input->data.uint8, output->data.uint8, n);
  } else {
    ReluXTyped<int8_t>(data, input->params.zero_point, input->data.int8, output->data.int8, n);
  }
  return kTfLiteOk;
}

// ----------------------------------------------------------- HARD_SWISH ----

TfLiteStatus HardSwishPrepare(TfLiteContext* context, TfLiteNode* node) {
  const TfLiteTensor* input = nullptr;
  TfLiteTensor* output = nullptr;
  SYSTOLE_KERNEL_ENSURE_OK(PrepareUnary(context, node, "HARD_SWISH", &input, &output));
  OpData* data = static_cast<OpData*>(node->user_data);
  data->hs_input_zero_point = static_cast<int16_t>(input->params.zero_point);
  data->hs_output_zero_point = static_cast<int16_t>(output->params.zero_point);
  // All in float, as TFLite's HardSwishPrepare; widened only for QuantizeMultiplier.
  const float input_scale = input->params.scale;
  const float hires_input_scale = (1.0f / 128.0f) * input_scale;
  const float reluish_scale = 3.0f / 32768.0f;
  const float output_scale = output->params.scale;
  const float output_multiplier = hires_input_scale / output_scale;
  int32_t output_multiplier_fixedpoint_int32 = 0;
  QuantizeMultiplier(output_multiplier, &output_multiplier_fixedpoint_int32,
                     &data->hs_output_multiplier_exponent);
  data->hs_output_multiplier_fixedpoint_int16 =
      DownScaleInt32ToInt16Multiplier(output_multiplier_fixedpoint_int32);
  SYSTOLE_KERNEL_ENSURE(context, data->hs_output_multiplier_exponent <= 0,
                        "HARD_SWISH: input_scale / (128 * output_scale) = %g must be below 1 "
                        "(output scale too small for the input scale)",
                        static_cast<double>(output_multiplier));
  const float reluish_multiplier = hires_input_scale / reluish_scale;
  int32_t reluish_multiplier_fixedpoint_int32 = 0;
  QuantizeMultiplier(reluish_multiplier, &reluish_multiplier_fixedpoint_int32,
                     &data->hs_reluish_multiplier_exponent);
  data->hs_reluish_multiplier_fixedpoint_int16 =
      DownScaleInt32ToInt16Multiplier(reluish_multiplier_fixedpoint_int32);
  return ResizeLikeInput(context, input, output);
}

// reference_ops::HardSwish<T> (hard_swish.h), element by element.
template <typename T>
void HardSwishTyped(const OpData& p, const T* in, T* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const int16_t input_value = static_cast<int16_t>(in[i] - p.hs_input_zero_point);
    const int16_t input_value_on_hires_input_scale = static_cast<int16_t>(input_value * (1 << 7));
    const int16_t input_value_on_preshift_output_scale = SaturatingRoundingDoublingHighMul16(
        input_value_on_hires_input_scale, p.hs_output_multiplier_fixedpoint_int16);
    int16_t reluish_value = input_value_on_hires_input_scale;
    if (p.hs_reluish_multiplier_exponent > 0) {
      reluish_value = SaturatingLeftShift16(reluish_value, p.hs_reluish_multiplier_exponent - 1);
    }
    reluish_value =
        SaturatingRoundingDoublingHighMul16(reluish_value, p.hs_reluish_multiplier_fixedpoint_int16);
    if (p.hs_reluish_multiplier_exponent > 0) {
      reluish_value = SaturatingLeftShift16(reluish_value, 1);
    }
    if (p.hs_reluish_multiplier_exponent < 0) {
      reluish_value = RoundingDivideByPOT16(reluish_value, -p.hs_reluish_multiplier_exponent);
    }
    // [-1, 1] -> [0, 1] in Q15.
    reluish_value = static_cast<int16_t>((reluish_value + (1 << 15)) >> 1);
    const int16_t preshift_output_value =
        SaturatingDoublingHighMul16(reluish_value, input_value_on_preshift_output_scale);
    int16_t output_value =
        RoundingDivideByPOT16(preshift_output_value, -p.hs_output_multiplier_exponent);
    output_value = static_cast<int16_t>(output_value + p.hs_output_zero_point);
    output_value = std::min<int16_t>(output_value, std::numeric_limits<T>::max());
    output_value = std::max<int16_t>(output_value, std::numeric_limits<T>::min());
    out[i] = static_cast<T>(output_value);
  }
}

TfLiteStatus HardSwishInvoke(TfLiteContext* context, TfLiteNode* node) {
  const OpData& data = *static_cast<const OpData*>(node->user_data);
  const TfLiteTensor* input = GetInput(context, node, 0);
  TfLiteTensor* output = GetOutput(context, node, 0);
  const int64_t n = NumElements(input);
  if (input->type == kTfLiteUInt8) {
    HardSwishTyped<uint8_t>(data, input->data.uint8, output->data.uint8, n);
  } else {
    HardSwishTyped<int8_t>(data, input->data.int8, output->data.int8, n);
  }
  return kTfLiteOk;
}

}  // namespace

#define SYSTOLE_ACTIVATION_REGISTRATION(fn, prepare, invoke)                                \
  const TfLiteRegistration* fn(TfliteFlavor) {                                              \
    static const TfLiteRegistration r = KernelRegistration(prepare, invoke, Init, Free);    \
    return &r;                                                                              \
  }

namespace {
// float32 inputs go to unary_float.h.
template <FloatUnary kOp, TfLiteStatus (*kPrepare)(TfLiteContext*, TfLiteNode*)>
TfLiteStatus PrepareOrFloat(TfLiteContext* context, TfLiteNode* node) {
  if (HasFloatInput(context, node)) return PrepareFloatUnary(context, node, kOp);
  return kPrepare(context, node);
}
template <FloatUnary kOp, TfLiteStatus (*kInvoke)(TfLiteContext*, TfLiteNode*)>
TfLiteStatus InvokeOrFloat(TfLiteContext* context, TfLiteNode* node) {
  if (HasFloatInput(context, node)) return EvalFloatUnary(context, node, kOp);
  return kInvoke(context, node);
}
}  // namespace

SYSTOLE_ACTIVATION_REGISTRATION(RegisterSoftmax, (PrepareOrFloat<FloatUnary::kSoftmax, SoftmaxPrepare>),
                                (InvokeOrFloat<FloatUnary::kSoftmax, SoftmaxInvoke>))
SYSTOLE_ACTIVATION_REGISTRATION(RegisterLogistic, (PrepareOrFloat<FloatUnary::kLogistic, LogisticPrepare>),
                                (InvokeOrFloat<FloatUnary::kLogistic, LookupTableInvoke>))
SYSTOLE_ACTIVATION_REGISTRATION(RegisterTanh, (PrepareOrFloat<FloatUnary::kTanh, TanhPrepare>),
                                (InvokeOrFloat<FloatUnary::kTanh, LookupTableInvoke>))
SYSTOLE_ACTIVATION_REGISTRATION(RegisterRelu, (PrepareOrFloat<FloatUnary::kRelu, ReluPrepare>),
                                (InvokeOrFloat<FloatUnary::kRelu, ReluInvoke>))
SYSTOLE_ACTIVATION_REGISTRATION(RegisterRelu6, (PrepareOrFloat<FloatUnary::kRelu6, Relu6Prepare>),
                                (InvokeOrFloat<FloatUnary::kRelu6, ReluInvoke>))
SYSTOLE_ACTIVATION_REGISTRATION(RegisterHardSwish, HardSwishPrepare, HardSwishInvoke)

#undef SYSTOLE_ACTIVATION_REGISTRATION

}  // namespace kernels
}  // namespace systole
