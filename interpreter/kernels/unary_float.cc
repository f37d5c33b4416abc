// float32 unary ops, as TensorFlow Lite's builtin kernels compute them
// (elementwise.cc, exp.cc, neg.cc, square via elementwise, activations.cc with
// kGenericOptimized):
//   SQRT std::sqrt; RSQRT 1.f / std::sqrt; EXP std::exp; LOG std::log;
//   ABS std::abs; NEG -x (int32 too: wrapping); SQUARE x * x;
//   RELU max(x, 0) as WebAssembly's f32.max (the oracle's build): -0 -> +0,
//     NaN -> the default NaN 0xFFC00000;
//   RELU6 std::min(std::max(0.f, x), 6.f) (NaN -> 0);
//   LOGISTIC e / (1 + e) with e = exp(min(x, 80)) (what the oracle's Eigen
//     scalar_logistic_op computes, checked on its outputs);
//   TANH Eigen's array tanh() (optimized_ops::Tanh; Debian's Eigen 3.4 gives
//     the oracle's values), NaN -> the default NaN;
//   SOFTMAX optimized_ops::Softmax: per row max, exp((x - max) * beta), the
//     row sum left to right, then times the float reciprocal of the sum.
#include "interpreter/kernels/unary_float.h"

#include <Eigen/Core>
#include <cmath>
#include <cstring>

#include "interpreter/kernels/builtin_kernels.h"

namespace systole {
namespace kernels {
namespace {

const char* Name(FloatUnary op) {
  switch (op) {
    case FloatUnary::kSqrt: return "SQRT";
    case FloatUnary::kRsqrt: return "RSQRT";
    case FloatUnary::kExp: return "EXP";
    case FloatUnary::kLog: return "LOG";
    case FloatUnary::kAbs: return "ABS";
    case FloatUnary::kNeg: return "NEG";
    case FloatUnary::kSquare: return "SQUARE";
    case FloatUnary::kLogistic: return "LOGISTIC";
    case FloatUnary::kTanh: return "TANH";
    case FloatUnary::kRelu: return "RELU";
    case FloatUnary::kRelu6: return "RELU6";
    case FloatUnary::kSoftmax: return "SOFTMAX";
  }
  return "?";
}

// The NaN x86 and WebAssembly (V8) produce for an invalid operation:
// 0xFFC00000 (sign set).
float DefaultNaN() {
  const uint32_t bits = 0xFFC00000u;
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

void Softmax(const float* in, float* out, int64_t outer, int depth, float beta) {
  for (int64_t i = 0; i < outer; ++i, in += depth, out += depth) {
    float max = in[0];
    for (int c = 1; c < depth; ++c) max = max < in[c] ? in[c] : max;
    for (int c = 0; c < depth; ++c) {
      const float scaled = (in[c] - max) * beta;
      out[c] = std::exp(scaled);
    }
    float sum = out[0];
    for (int c = 1; c < depth; ++c) sum += out[c];
    const float scale = 1.0f / sum;
    for (int c = 0; c < depth; ++c) out[c] *= scale;
  }
}

}  // namespace

bool HasFloatInput(TfLiteContext* context, const TfLiteNode* node) {
  const TfLiteTensor* in = GetInput(context, node, 0);
  return in != nullptr && in->type == kTfLiteFloat32;
}

TfLiteStatus PrepareFloatUnary(TfLiteContext* context, TfLiteNode* node, FloatUnary op) {
  const char* name = Name(op);
  SYSTOLE_KERNEL_ENSURE_OK(CheckArity(context, node, name, 1, 1, 1));
  const TfLiteTensor* input = GetInput(context, node, 0);
  TfLiteTensor* output = GetOutput(context, node, 0);
  const bool int_ok = op == FloatUnary::kNeg && input->type == kTfLiteInt32;
  SYSTOLE_KERNEL_ENSURE(context,
                        (input->type == kTfLiteFloat32 || int_ok) && output->type == input->type,
                        "%s: input type %s with output type %s is not supported (FLOAT32%s)",
                        name, TypeName(input->type), TypeName(output->type),
                        op == FloatUnary::kNeg ? " or INT32" : "");
  if (op == FloatUnary::kSoftmax) {
    SYSTOLE_KERNEL_ENSURE(context, NumDimensions(input) >= 1,
                          "SOFTMAX: input must have at least 1 dimension");
  }
  return context->ResizeTensor(context, output, TfLiteIntArrayCopy(input->dims));
}

TfLiteStatus EvalFloatUnary(TfLiteContext* context, TfLiteNode* node, FloatUnary op) {
  const TfLiteTensor* input = GetInput(context, node, 0);
  TfLiteTensor* output = GetOutput(context, node, 0);
  const int64_t n = NumElements(input);
  if (input->type == kTfLiteInt32) {  // NEG
    for (int64_t i = 0; i < n; ++i) output->data.i32[i] = WrapSub(0, input->data.i32[i]);
    return kTfLiteOk;
  }
  const float* in = input->data.f;
  float* out = output->data.f;
  switch (op) {
    case FloatUnary::kSqrt:
      for (int64_t i = 0; i < n; ++i) out[i] = std::sqrt(in[i]);
      break;
    case FloatUnary::kRsqrt:
      for (int64_t i = 0; i < n; ++i) out[i] = 1.f / std::sqrt(in[i]);
      break;
    case FloatUnary::kExp:
      for (int64_t i = 0; i < n; ++i) out[i] = std::exp(in[i]);
      break;
    case FloatUnary::kLog:
      for (int64_t i = 0; i < n; ++i) out[i] = std::log(in[i]);
      break;
    case FloatUnary::kAbs:
      for (int64_t i = 0; i < n; ++i) out[i] = std::abs(in[i]);
      break;
    case FloatUnary::kNeg:
      for (int64_t i = 0; i < n; ++i) out[i] = -in[i];
      break;
    case FloatUnary::kSquare:
      for (int64_t i = 0; i < n; ++i) out[i] = in[i] * in[i];
      break;
    case FloatUnary::kRelu:
      // WebAssembly f32.max(x, 0): -0 -> +0, NaN -> the default NaN.
      for (int64_t i = 0; i < n; ++i) {
        out[i] = std::isnan(in[i]) ? DefaultNaN() : (in[i] > 0.f ? in[i] : 0.f);
      }
      break;
    case FloatUnary::kRelu6:
      for (int64_t i = 0; i < n; ++i) out[i] = std::min(std::max(0.f, in[i]), 6.f);
      break;
    case FloatUnary::kLogistic:
      // e / (1 + e), e = exp(min(x, 80)) (above 80 the quotient is 1.0f
      // either way; the clamp keeps e finite as TFLite's does).
      for (int64_t i = 0; i < n; ++i) {
        const float v = 80.f < in[i] ? 80.f : in[i];
        const float e = std::exp(v);
        out[i] = e / (1.f + e);
      }
      break;
    case FloatUnary::kTanh: {
      Eigen::Map<const Eigen::ArrayXf> x(in, n);
      Eigen::Map<Eigen::ArrayXf> y(out, n);
      y = x.tanh();
      for (int64_t i = 0; i < n; ++i) {
        if (std::isnan(in[i])) out[i] = DefaultNaN();
      }
      break;
    }
    case FloatUnary::kSoftmax: {
      const int depth = SizeOfDimension(input, NumDimensions(input) - 1);
      const float beta = node->builtin_data == nullptr
                             ? 1.0f
                             : static_cast<const TfLiteSoftmaxParams*>(node->builtin_data)->beta;
      if (depth > 0) Softmax(in, out, n / depth, depth, beta);
      break;
    }
  }
  return kTfLiteOk;
}

namespace {

template <FloatUnary kOp>
TfLiteStatus PrepareOp(TfLiteContext* context, TfLiteNode* node) {
  return PrepareFloatUnary(context, node, kOp);
}
template <FloatUnary kOp>
TfLiteStatus EvalOp(TfLiteContext* context, TfLiteNode* node) {
  return EvalFloatUnary(context, node, kOp);
}
template <FloatUnary kOp>
const TfLiteRegistration* Registration() {
  static const TfLiteRegistration r = KernelRegistration(PrepareOp<kOp>, EvalOp<kOp>);
  return &r;
}

}  // namespace

const TfLiteRegistration* RegisterSqrt(TfliteFlavor) { return Registration<FloatUnary::kSqrt>(); }
const TfLiteRegistration* RegisterRsqrt(TfliteFlavor) { return Registration<FloatUnary::kRsqrt>(); }
const TfLiteRegistration* RegisterExp(TfliteFlavor) { return Registration<FloatUnary::kExp>(); }
const TfLiteRegistration* RegisterLog(TfliteFlavor) { return Registration<FloatUnary::kLog>(); }
const TfLiteRegistration* RegisterAbs(TfliteFlavor) { return Registration<FloatUnary::kAbs>(); }
const TfLiteRegistration* RegisterNeg(TfliteFlavor) { return Registration<FloatUnary::kNeg>(); }
const TfLiteRegistration* RegisterSquare(TfliteFlavor) {
  return Registration<FloatUnary::kSquare>();
}

}  // namespace kernels
}  // namespace systole
