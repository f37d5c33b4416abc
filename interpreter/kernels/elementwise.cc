// ADD, SUB and MUL on int8 / uint8 tensors, with numpy-style broadcasting,
// bit-exact with TensorFlow Lite's builtin kernels
// (tensorflow/lite/kernels/{add,sub,mul}.cc, kGenericOptimized):
//
//  * ADD / SUB: both inputs are brought to a common scale of 2 * max(s1, s2)
//    after a left shift of 20 bits, summed in int32, then rescaled to the
//    output (optimized_ops::Add / integer_ops::AddElementwise). TFLite's SUB
//    reuses the ADD arithmetic with input 2's multiplier negated; negating the
//    multiplier is *not* the same as negating the scaled value (gemmlowp's
//    rounding high-multiply breaks negative ties toward zero), so we do the same.
//  * MUL: (x1 - z1) * (x2 - z2) rescaled by s1 * s2 / s_out, where the scale
//    product is computed in float as TFLite does.
//
// Broadcasting never changes the per-element arithmetic in TFLite (the fivefold
// fast path, the slow N-D paths and the elementwise path evaluate the same
// expression), so one strided loop covers every shape here. Which shapes are
// accepted does differ, and we follow the TFLite build we match (checked on it):
//   * equal shapes: any rank (we cap at kMaxDims);
//   * ADD / MUL: broadcasts that optimized_ops::ProcessBroadcastShapes can fold
//     into its five-level loop, any rank; other ("generic") broadcasts go to
//     BroadcastAdd4DSlow / BroadcastMul4DSlow and are limited to 4-D (TFLite
//     aborts beyond that; we reject in Prepare);
//   * SUB: any broadcast up to 5-D (TFLite aborts at 6-D; we reject).
//
// Flavor xnnpack, nodes the XNNPACK delegate takes (xnnpack_flavor.h):
//  * ADD: XNNPACK's qs8/qu8 vadd (microparams-init.c
//    xnn_init_q{s,u}8_add_minmax_*_params, the same numbers for every x86
//    variant): with r1 = s1 / s_out and r2 = s2 / s_out in float,
//    shift = 20 - exponent(max(r1, r2)), m_i = lrintf(r_i * 2^shift),
//    acc = m1 * (x1 - z1) + m2 * (x2 - z2),
//    out = clamp(((acc + 2^(shift-1)) >> shift) + z_out) (arithmetic shift:
//    ties round up);
//  * MUL: XNNPACK's qs8/qu8 vmul "fp32": (x1 - z1) * (x2 - z2) in int32,
//    times (s1 * s2) / s_out in binary32, rounded to nearest even, + z_out.
// Both clamp to XnnpackActivationRange.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "common/fixed_point.h"
#include "interpreter/kernels/arith_typed.h"
#include "interpreter/kernels/typed_util.h"
#include "interpreter/kernels/builtin_kernels.h"
#include "interpreter/kernels/gemm.h"
#include "interpreter/kernels/kernel_util.h"
#include "interpreter/kernels/xnnpack_flavor.h"
#include "schema/tflite_generated.h"

namespace systole {
namespace kernels {
namespace {

constexpr int kMaxDims = 8;

enum class ElementwiseOp { kAdd, kSub, kMul };

const char* OpName(ElementwiseOp op) {
  switch (op) {
    case ElementwiseOp::kAdd: return "ADD";
    case ElementwiseOp::kSub: return "SUB";
    case ElementwiseOp::kMul: return "MUL";
  }
  return "?";
}

// Everything Invoke needs, derived once in Prepare.
struct OpData {
  // Output shape padded on the left to kMaxDims, and the element strides of
  // each input over that shape (0 along broadcast dimensions).
  int out_dims[kMaxDims];
  int64_t in1_strides[kMaxDims];
  int64_t in2_strides[kMaxDims];
  int64_t num_elements = 0;

  int32_t input1_offset = 0;  // -zero_point
  int32_t input2_offset = 0;
  int32_t output_offset = 0;  // +zero_point
  int left_shift = 0;         // ADD/SUB only
  int32_t input1_multiplier = 0;
  int input1_shift = 0;
  int32_t input2_multiplier = 0;  // negated for SUB
  int input2_shift = 0;
  int32_t output_multiplier = 0;
  int output_shift = 0;
  int32_t act_min = 0;
  int32_t act_max = 0;
  // Flavor xnnpack, node taken by the XNNPACK delegate.
  bool xnnpack = false;
  float xnn_scale = 0.0f;      // MUL
  int32_t xnn_mult1 = 0;       // ADD
  int32_t xnn_mult2 = 0;
  int xnn_shift = 0;
  // float32 / int32 inputs: arith_typed.h does the work.
  bool typed = false;
  Broadcast2 typed_broadcast;
};

ArithOp TypedOp(ElementwiseOp op) {
  return op == ElementwiseOp::kAdd ? ArithOp::kAdd
         : op == ElementwiseOp::kSub ? ArithOp::kSub
                                     : ArithOp::kMul;
}

void* Init(TfLiteContext*, const char*, size_t) { return new OpData; }
void Free(TfLiteContext*, void* buffer) { delete static_cast<OpData*>(buffer); }

// TFLite CalculateShapeForBroadcast plus the strides of each input.
TfLiteStatus ComputeBroadcast(TfLiteContext* context, ElementwiseOp op, const TfLiteTensor* in1,
                              const TfLiteTensor* in2, OpData* data, std::vector<int>* out_shape) {
  const int rank1 = NumDimensions(in1);
  const int rank2 = NumDimensions(in2);
  const int rank = std::max(rank1, rank2);
  SYSTOLE_KERNEL_ENSURE(context, rank <= kMaxDims,
                        "%s: inputs of rank %d and %d; at most %d dimensions are supported",
                        OpName(op), rank1, rank2, kMaxDims);
  out_shape->assign(rank, 1);
  int dims1[kMaxDims];
  int dims2[kMaxDims];
  for (int i = 0; i < kMaxDims; ++i) {
    const int from_end = kMaxDims - 1 - i;
    dims1[i] = from_end < rank1 ? SizeOfDimension(in1, rank1 - 1 - from_end) : 1;
    dims2[i] = from_end < rank2 ? SizeOfDimension(in2, rank2 - 1 - from_end) : 1;
    SYSTOLE_KERNEL_ENSURE(context, dims1[i] >= 0 && dims2[i] >= 0,
                          "%s: negative dimension in an input shape", OpName(op));
    SYSTOLE_KERNEL_ENSURE(
        context, dims1[i] == dims2[i] || dims1[i] == 1 || dims2[i] == 1,
        "%s: input shapes are not broadcastable (dimension %d from the end: %d vs %d)",
        OpName(op), from_end, dims1[i], dims2[i]);
    data->out_dims[i] = dims1[i] == 1 ? dims2[i] : dims1[i];
    if (from_end < rank) (*out_shape)[rank - 1 - from_end] = data->out_dims[i];
  }
  const bool same_shape = HaveSameShapes(in1, in2);
  if (!same_shape) {
    // The rank limits of TFLite's broadcast kernels (see the file comment).
    if (op == ElementwiseOp::kSub) {
      SYSTOLE_KERNEL_ENSURE(context, rank <= 5,
                            "SUB: broadcasting rank-%d shapes is not supported (at most 5-D, as "
                            "TFLite's BroadcastSub)",
                            rank);
    } else {
      SYSTOLE_KERNEL_ENSURE(
          context, rank <= 4 || IsFivefoldBroadcast(dims1 + kMaxDims - rank,
                                                    dims2 + kMaxDims - rank, rank),
          "%s: this broadcast of rank-%d shapes needs TFLite's generic broadcast, which "
          "supports at most 4 dimensions",
          OpName(op), rank);
    }
  }
  int64_t stride1 = 1;
  int64_t stride2 = 1;
  data->num_elements = 1;
  for (int i = kMaxDims - 1; i >= 0; --i) {
    data->in1_strides[i] = dims1[i] == 1 ? 0 : stride1;
    data->in2_strides[i] = dims2[i] == 1 ? 0 : stride2;
    stride1 *= dims1[i];
    stride2 *= dims2[i];
    data->num_elements *= data->out_dims[i];
  }
  return kTfLiteOk;
}

TfLiteStatus CheckZeroPoint(TfLiteContext* context, ElementwiseOp op, const char* what,
                            const TfLiteTensor* t) {
  const int32_t lo = t->type == kTfLiteUInt8 ? 0 : -128;
  const int32_t hi = t->type == kTfLiteUInt8 ? 255 : 127;
  SYSTOLE_KERNEL_ENSURE(context, t->params.zero_point >= lo && t->params.zero_point <= hi,
                        "%s: %s zero point %d is outside the %s range", OpName(op), what,
                        static_cast<int>(t->params.zero_point), TypeName(t->type));
  SYSTOLE_KERNEL_ENSURE(context, t->params.scale > 0.0f,
                        "%s: %s scale %g must be positive", OpName(op), what,
                        static_cast<double>(t->params.scale));
  return kTfLiteOk;
}

template <ElementwiseOp kOp>
TfLiteStatus Prepare(TfLiteContext* context, TfLiteNode* node, TfliteFlavor flavor) {
  OpData* data = static_cast<OpData*>(node->user_data);
  SYSTOLE_KERNEL_ENSURE(context, NumInputs(node) == 2 && NumOutputs(node) == 1,
                        "%s: expects 2 inputs and 1 output, got %d and %d", OpName(kOp),
                        NumInputs(node), NumOutputs(node));
  const TfLiteTensor* in1 = GetInput(context, node, 0);
  const TfLiteTensor* in2 = GetInput(context, node, 1);
  TfLiteTensor* out = GetOutput(context, node, 0);
  SYSTOLE_KERNEL_ENSURE(context, in1 && in2 && out, "%s: missing input or output tensor",
                        OpName(kOp));
  data->typed = IsTypedArithType(in1->type);
  if (data->typed) return PrepareArithTyped(context, node, TypedOp(kOp), &data->typed_broadcast);
  SYSTOLE_KERNEL_ENSURE(context, in1->type == in2->type && in1->type == out->type,
                        "%s: input types %s, %s and output type %s must be equal",
                        OpName(kOp), TypeName(in1->type), TypeName(in2->type),
                        TypeName(out->type));
  SYSTOLE_KERNEL_ENSURE(context, out->type == kTfLiteInt8 || out->type == kTfLiteUInt8,
                        "%s: type %s is not supported (int8 and uint8 only)", OpName(kOp),
                        TypeName(out->type));
  SYSTOLE_KERNEL_ENSURE_OK(CheckZeroPoint(context, kOp, "input 1", in1));
  SYSTOLE_KERNEL_ENSURE_OK(CheckZeroPoint(context, kOp, "input 2", in2));
  SYSTOLE_KERNEL_ENSURE_OK(CheckZeroPoint(context, kOp, "output", out));

  std::vector<int> out_shape;
  SYSTOLE_KERNEL_ENSURE_OK(ComputeBroadcast(context, kOp, in1, in2, data, &out_shape));

  const TfLiteFusedActivation activation =
      node->builtin_data == nullptr
          ? kTfLiteActNone
          : (kOp == ElementwiseOp::kAdd
                 ? static_cast<const TfLiteAddParams*>(node->builtin_data)->activation
                 : kOp == ElementwiseOp::kSub
                       ? static_cast<const TfLiteSubParams*>(node->builtin_data)->activation
                       : static_cast<const TfLiteMulParams*>(node->builtin_data)->activation);
  SYSTOLE_KERNEL_ENSURE_OK(
      CalculateActivationRangeQuantized(context, activation, out, &data->act_min, &data->act_max));

  data->input1_offset = -in1->params.zero_point;
  data->input2_offset = -in2->params.zero_point;
  data->output_offset = out->params.zero_point;

  if (kOp == ElementwiseOp::kMul) {
    // float * float / float, then widened: the order TFLite's mul.cc uses.
    const double real_multiplier = in1->params.scale * in2->params.scale / out->params.scale;
    SYSTOLE_KERNEL_ENSURE(
        context, QuantizeMultiplier(real_multiplier, &data->output_multiplier, &data->output_shift),
        "MUL: output multiplier %g (s1 * s2 / s_out) cannot be represented", real_multiplier);
  } else {
    data->left_shift = 20;
    const double twice_max_input_scale = 2 * std::max(in1->params.scale, in2->params.scale);
    const double real_input1_multiplier = in1->params.scale / twice_max_input_scale;
    const double real_input2_multiplier = in2->params.scale / twice_max_input_scale;
    const double real_output_multiplier =
        twice_max_input_scale / ((1 << data->left_shift) * out->params.scale);
    SYSTOLE_KERNEL_ENSURE(context,
                          QuantizeMultiplierSmallerThanOneExp(
                              real_input1_multiplier, &data->input1_multiplier, &data->input1_shift) &&
                              QuantizeMultiplierSmallerThanOneExp(real_input2_multiplier,
                                                                  &data->input2_multiplier,
                                                                  &data->input2_shift),
                          "%s: input rescale multipliers (%g, %g) must be in (0, 1)", OpName(kOp),
                          real_input1_multiplier, real_input2_multiplier);
    SYSTOLE_KERNEL_ENSURE(
        context,
        QuantizeMultiplierSmallerThanOneExp(real_output_multiplier, &data->output_multiplier,
                                            &data->output_shift),
        "%s: output multiplier %g = 2 * max(s1, s2) / (2^20 * s_out) must be in (0, 1); the "
        "output scale is too small for the input scales",
        OpName(kOp), real_output_multiplier);
    if (kOp == ElementwiseOp::kSub) data->input2_multiplier = -data->input2_multiplier;
  }

  data->xnnpack = false;
  if (flavor == TfliteFlavor::kXnnpack &&
      XnnpackTakesNode(context, node,
                       kOp == ElementwiseOp::kMul   ? tflite::BuiltinOperator_MUL
                       : kOp == ElementwiseOp::kSub ? tflite::BuiltinOperator_SUB
                                                    : tflite::BuiltinOperator_ADD)) {
    data->xnnpack = true;
    XnnpackActivationRange(activation, out, &data->act_min, &data->act_max);
    if (kOp == ElementwiseOp::kMul) {
      const float product_scale = in1->params.scale * in2->params.scale;
      data->xnn_scale = product_scale / out->params.scale;
    } else {
      const float r1 = in1->params.scale / out->params.scale;
      const float r2 = in2->params.scale / out->params.scale;
      const int exponent = std::ilogb(std::max(r1, r2));  // r in [2^-10, 2^8): normal
      data->xnn_shift = 20 - exponent;
      data->xnn_mult1 = static_cast<int32_t>(std::lrint(std::ldexp(r1, data->xnn_shift)));
      data->xnn_mult2 = static_cast<int32_t>(std::lrint(std::ldexp(r2, data->xnn_shift)));
      // XNNPACK's subtract is its add with input 2's scale negated.
      if (kOp == ElementwiseOp::kSub) data->xnn_mult2 = -data->xnn_mult2;
    }
  }

  return context->ResizeTensor(context, out, IntArrayFromVector(out_shape));
}

// integer_ops::AddElementwise / optimized_ops::AddElementwise per element.
inline int32_t AddElement(const OpData& d, int32_t x1, int32_t x2) {
  const int32_t shifted1 = (d.input1_offset + x1) * (1 << d.left_shift);
  const int32_t shifted2 = (d.input2_offset + x2) * (1 << d.left_shift);
  const int32_t scaled1 =
      MultiplyByQuantizedMultiplierSmallerThanOneExp(shifted1, d.input1_multiplier, d.input1_shift);
  const int32_t scaled2 =
      MultiplyByQuantizedMultiplierSmallerThanOneExp(shifted2, d.input2_multiplier, d.input2_shift);
  const int32_t raw = MultiplyByQuantizedMultiplierSmallerThanOneExp(
                          scaled1 + scaled2, d.output_multiplier, d.output_shift) +
                      d.output_offset;
  return std::min(d.act_max, std::max(d.act_min, raw));
}

// integer_ops::MulElementwise / optimized_ops::MulElementwise per element.
inline int32_t MulElement(const OpData& d, int32_t x1, int32_t x2) {
  const int32_t product = (d.input1_offset + x1) * (d.input2_offset + x2);
  const int32_t raw =
      d.output_offset + MultiplyByQuantizedMultiplier(product, d.output_multiplier, d.output_shift);
  return std::min(d.act_max, std::max(d.act_min, raw));
}

// XNNPACK's vadd per element (see the file comment).
inline int32_t XnnAddElement(const OpData& d, int32_t x1, int32_t x2) {
  const int32_t acc = d.xnn_mult1 * (x1 + d.input1_offset) + d.xnn_mult2 * (x2 + d.input2_offset);
  const int32_t r = (acc + (int32_t{1} << (d.xnn_shift - 1))) >> d.xnn_shift;
  return std::min(d.act_max, std::max(d.act_min, r + d.output_offset));
}

// XNNPACK's vmul (fp32) per element.
inline int32_t XnnMulElement(const OpData& d, int32_t x1, int32_t x2) {
  const int32_t product = (d.input1_offset + x1) * (d.input2_offset + x2);
  return gemm::RequantizeFp32(product, d.xnn_scale, d.output_offset, d.act_min, d.act_max);
}

template <ElementwiseOp kOp, typename T>
void EvalTyped(const OpData& d, const T* in1, const T* in2, T* out) {
  // Odometer over the (padded) output shape; the innermost dimension is the
  // hot loop.
  int index[kMaxDims] = {};
  const int inner = d.out_dims[kMaxDims - 1];
  const int64_t s1 = d.in1_strides[kMaxDims - 1];
  const int64_t s2 = d.in2_strides[kMaxDims - 1];
  int64_t o = 0;
  if (d.num_elements == 0) return;
  while (true) {
    int64_t i1 = 0;
    int64_t i2 = 0;
    for (int k = 0; k < kMaxDims - 1; ++k) {
      i1 += index[k] * d.in1_strides[k];
      i2 += index[k] * d.in2_strides[k];
    }
    for (int j = 0; j < inner; ++j, ++o, i1 += s1, i2 += s2) {
      const int32_t r = kOp == ElementwiseOp::kMul
                            ? (d.xnnpack ? XnnMulElement(d, in1[i1], in2[i2])
                                         : MulElement(d, in1[i1], in2[i2]))
                            : (d.xnnpack ? XnnAddElement(d, in1[i1], in2[i2])
                                         : AddElement(d, in1[i1], in2[i2]));
      out[o] = static_cast<T>(r);
    }
    int k = kMaxDims - 2;
    for (; k >= 0; --k) {
      if (++index[k] < d.out_dims[k]) break;
      index[k] = 0;
    }
    if (k < 0) return;
  }
}

template <ElementwiseOp kOp>
TfLiteStatus Invoke(TfLiteContext* context, TfLiteNode* node) {
  const OpData& d = *static_cast<const OpData*>(node->user_data);
  if (d.typed) return EvalArithTyped(context, node, TypedOp(kOp), d.typed_broadcast);
  const TfLiteTensor* in1 = GetInput(context, node, 0);
  const TfLiteTensor* in2 = GetInput(context, node, 1);
  TfLiteTensor* out = GetOutput(context, node, 0);
  switch (out->type) {
    case kTfLiteInt8:
      EvalTyped<kOp, int8_t>(d, in1->data.int8, in2->data.int8, out->data.int8);
      return kTfLiteOk;
    case kTfLiteUInt8:
      EvalTyped<kOp, uint8_t>(d, in1->data.uint8, in2->data.uint8, out->data.uint8);
      return kTfLiteOk;
    default:
      context->ReportError(context, "%s: type %s is not supported", OpName(kOp),
                           TypeName(out->type));
      return kTfLiteError;
  }
}

template <ElementwiseOp kOp>
const TfLiteRegistration* MakeRegistration(TfliteFlavor flavor) {
  static const auto r = FlavoredKernelRegistrations<Prepare<kOp>>(Invoke<kOp>, Init, Free);
  return &r[static_cast<int>(flavor)];
}

}  // namespace

const TfLiteRegistration* RegisterAdd(TfliteFlavor flavor) {
  return MakeRegistration<ElementwiseOp::kAdd>(flavor);
}
const TfLiteRegistration* RegisterSub(TfliteFlavor flavor) {
  return MakeRegistration<ElementwiseOp::kSub>(flavor);
}
const TfLiteRegistration* RegisterMul(TfliteFlavor flavor) {
  return MakeRegistration<ElementwiseOp::kMul>(flavor);
}

}  // namespace kernels
}  // namespace systole
