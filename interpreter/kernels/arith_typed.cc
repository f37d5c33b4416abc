// float32 / int32 ADD, SUB, MUL, DIV, FLOOR_DIV and FLOOR_MOD.
//
// Arithmetic as TensorFlow Lite's reference functions:
//  * ADD/SUB/MUL/DIV: ActivationFunctionWithMinMax(a op b, lo, hi) with the
//    float/int32 CalculateActivationRange (no activation: [lowest, max], so an
//    infinite float result becomes +-FLT_MAX, as in TFLite). int32 wraps.
//  * DIV int32: truncating division; a zero divisor is an error (TFLite
//    reports it through CheckNonZero and then divides anyway, which traps).
//  * FLOOR_DIV: floor(double(a) / double(b)) converted back to the type; a
//    zero divisor is "Division by 0" as in TFLite, for float32 too.
//  * FLOOR_MOD: the C remainder (fmod for float) moved to the divisor's sign
//    when they differ; an int32 zero divisor is "Division by 0".
// Broadcast rank limits follow the TFLite build we match (it aborts beyond
// them; we reject in Prepare): ADD/MUL/FLOOR_DIV/FLOOR_MOD 4-D, SUB/DIV 5-D;
// equal shapes any rank up to 8; ADD/MUL also any "fivefold" broadcast
// (e.g. with a scalar) at any rank, as TFLite's ProcessBroadcastShapes path.
#include "interpreter/kernels/arith_typed.h"

#include <cmath>

#include "interpreter/kernels/builtin_kernels.h"

namespace systole {
namespace kernels {
namespace {

const char* Name(ArithOp op) {
  switch (op) {
    case ArithOp::kAdd: return "ADD";
    case ArithOp::kSub: return "SUB";
    case ArithOp::kMul: return "MUL";
    case ArithOp::kDiv: return "DIV";
    case ArithOp::kFloorDiv: return "FLOOR_DIV";
    case ArithOp::kFloorMod: return "FLOOR_MOD";
  }
  return "?";
}

int MaxBroadcastRank(ArithOp op) {
  switch (op) {
    case ArithOp::kSub:
    case ArithOp::kDiv: return 5;
    default: return 4;
  }
}

TfLiteFusedActivation Activation(const TfLiteNode* node, ArithOp op) {
  if (node->builtin_data == nullptr) return kTfLiteActNone;
  switch (op) {
    case ArithOp::kAdd: return static_cast<const TfLiteAddParams*>(node->builtin_data)->activation;
    case ArithOp::kSub: return static_cast<const TfLiteSubParams*>(node->builtin_data)->activation;
    case ArithOp::kMul: return static_cast<const TfLiteMulParams*>(node->builtin_data)->activation;
    case ArithOp::kDiv: return static_cast<const TfLiteDivParams*>(node->builtin_data)->activation;
    default: return kTfLiteActNone;
  }
}

template <typename T>
T FloorDivValue(T a, T b) {
  const double q = std::floor(static_cast<double>(a) / static_cast<double>(b));
  return ConvertValue<T>(q);
}

template <typename T>
T FloorModValue(T a, T b) {
  T r;
  if constexpr (std::is_integral<T>::value) {
    r = (b == -1) ? 0 : a % b;  // INT_MIN % -1 is 0 (and not a trap)
  } else {
    r = std::fmod(a, b);
  }
  return (r != 0 && ((b < 0) != (r < 0))) ? static_cast<T>(r + b) : r;
}

template <typename T>
T Apply(ArithOp op, T a, T b) {
  if constexpr (std::is_same<T, int32_t>::value) {
    switch (op) {
      case ArithOp::kAdd: return WrapAdd(a, b);
      case ArithOp::kSub: return WrapSub(a, b);
      case ArithOp::kMul: return WrapMul(a, b);
      case ArithOp::kDiv:
        return (b == -1) ? WrapSub(0, a) : static_cast<T>(a / b);  // b != 0 checked
      case ArithOp::kFloorDiv: return FloorDivValue(a, b);
      case ArithOp::kFloorMod: return FloorModValue(a, b);
    }
  } else {
    switch (op) {
      case ArithOp::kAdd: return a + b;
      case ArithOp::kSub: return a - b;
      case ArithOp::kMul: return a * b;
      case ArithOp::kDiv: return a / b;
      case ArithOp::kFloorDiv: return FloorDivValue(a, b);
      case ArithOp::kFloorMod: return FloorModValue(a, b);
    }
  }
  return T();
}

template <typename T>
TfLiteStatus EvalTyped(TfLiteContext* context, TfLiteNode* node, ArithOp op,
                       const Broadcast2& b) {
  const TfLiteTensor* in1 = GetInput(context, node, 0);
  const TfLiteTensor* in2 = GetInput(context, node, 1);
  TfLiteTensor* out = GetOutput(context, node, 0);
  const T* x = Data<T>(in1);
  const T* y = Data<T>(in2);
  T* z = Data<T>(out);
  if ((std::is_integral<T>::value &&
       (op == ArithOp::kDiv || op == ArithOp::kFloorMod)) ||
      op == ArithOp::kFloorDiv) {
    const int64_t n2 = NumElements(in2);
    for (int64_t i = 0; i < n2; ++i) {
      SYSTOLE_KERNEL_ENSURE(context, y[i] != 0, "%s: Division by 0 (element %lld of input 2)",
                            Name(op), static_cast<long long>(i));
    }
  }
  const bool clamp = op == ArithOp::kAdd || op == ArithOp::kSub || op == ArithOp::kMul ||
                     op == ArithOp::kDiv;
  T lo, hi;
  ActivationRange(Activation(node, op), &lo, &hi);
  b.ForEach([&](int64_t o, int64_t i1, int64_t i2) {
    const T r = Apply<T>(op, x[i1], y[i2]);
    z[o] = clamp ? ClampMinMax(r, lo, hi) : r;
  });
  return kTfLiteOk;
}

}  // namespace

bool IsTypedArithType(TfLiteType t) { return t == kTfLiteFloat32 || t == kTfLiteInt32; }

TfLiteStatus PrepareArithTyped(TfLiteContext* context, TfLiteNode* node, ArithOp op,
                               Broadcast2* b) {
  const char* name = Name(op);
  SYSTOLE_KERNEL_ENSURE_OK(CheckArity(context, node, name, 2, 2, 1));
  const TfLiteTensor* in1 = GetInput(context, node, 0);
  const TfLiteTensor* in2 = GetInput(context, node, 1);
  TfLiteTensor* out = GetOutput(context, node, 0);
  SYSTOLE_KERNEL_ENSURE(context,
                        in1->type == in2->type && in1->type == out->type &&
                            IsTypedArithType(in1->type),
                        "%s: input types %s and %s with output type %s are not supported (all "
                        "FLOAT32 or all INT32)",
                        name, TypeName(in1->type), TypeName(in2->type), TypeName(out->type));
  const TfLiteFusedActivation act = Activation(node, op);
  SYSTOLE_KERNEL_ENSURE(context,
                        act == kTfLiteActNone || act == kTfLiteActRelu ||
                            act == kTfLiteActRelu6 || act == kTfLiteActReluN1To1,
                        "%s: fused activation %d is not supported", name, static_cast<int>(act));
  const bool fivefold = op == ArithOp::kAdd || op == ArithOp::kMul;
  SYSTOLE_KERNEL_ENSURE_OK(
      ComputeBroadcast2(context, name, in1, in2, MaxBroadcastRank(op), fivefold, b));
  return ResizeOutput(context, out, b->out_shape);
}

TfLiteStatus EvalArithTyped(TfLiteContext* context, TfLiteNode* node, ArithOp op,
                            const Broadcast2& b) {
  const TfLiteTensor* out = GetOutput(context, node, 0);
  if (out->type == kTfLiteFloat32) return EvalTyped<float>(context, node, op, b);
  if (out->type == kTfLiteInt32) return EvalTyped<int32_t>(context, node, op, b);
  context->ReportError(context, "%s: type %s is not supported", Name(op), TypeName(out->type));
  return kTfLiteError;
}

namespace {

void* InitBroadcast(TfLiteContext*, const char*, size_t) { return new Broadcast2; }
void FreeBroadcast(TfLiteContext*, void* p) { delete static_cast<Broadcast2*>(p); }

template <ArithOp kOp>
TfLiteStatus PrepareOp(TfLiteContext* context, TfLiteNode* node) {
  return PrepareArithTyped(context, node, kOp, static_cast<Broadcast2*>(node->user_data));
}
template <ArithOp kOp>
TfLiteStatus EvalOp(TfLiteContext* context, TfLiteNode* node) {
  return EvalArithTyped(context, node, kOp, *static_cast<const Broadcast2*>(node->user_data));
}
template <ArithOp kOp>
const TfLiteRegistration* Registration() {
  static const TfLiteRegistration r =
      KernelRegistration(PrepareOp<kOp>, EvalOp<kOp>, InitBroadcast, FreeBroadcast);
  return &r;
}

}  // namespace

const TfLiteRegistration* RegisterDiv(TfliteFlavor) { return Registration<ArithOp::kDiv>(); }
const TfLiteRegistration* RegisterFloorDiv(TfliteFlavor) {
  return Registration<ArithOp::kFloorDiv>();
}
const TfLiteRegistration* RegisterFloorMod(TfliteFlavor) {
  return Registration<ArithOp::kFloorMod>();
}

}  // namespace kernels
}  // namespace systole
