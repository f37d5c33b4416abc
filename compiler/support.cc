// CheckOpSupport: the one per-operator support predicate (compiler.h). Each
// rule here mirrors a limit of the lowering in compiler.cc; keep them in step.
#include <algorithm>
#include <cmath>
#include <string>

#include "common/fixed_point.h"
#include "interpreter/quant_arith.h"

#include "compiler/compiler.h"
#include "compiler/graph.h"
#include "schema/tflite_generated.h"

namespace systole::compiler {

std::string OpName(int32_t code) {
  if (code < tflite::BuiltinOperator_MIN || code > tflite::BuiltinOperator_MAX) return "UNKNOWN";
  const char* n = tflite::EnumNameBuiltinOperator(static_cast<tflite::BuiltinOperator>(code));
  return n != nullptr && *n ? n : "UNKNOWN";
}

std::vector<int> Dims(const TfLiteTensor* t) {
  std::vector<int> d;
  if (t->dims != nullptr) d.assign(t->dims->data, t->dims->data + t->dims->size);
  return d;
}

int64_t NumElements(const TfLiteTensor* t) {
  int64_t n = 1;
  for (int d : Dims(t)) n *= d;
  return n;
}

Geometry GeometryOf(const TfLiteTensor* t) {
  const std::vector<int> d = Dims(t);
  Geometry g;
  if (d.empty()) return g;
  g.c = d.back();
  if (d.size() >= 2) g.w = d[d.size() - 2];
  int64_t h = 1;
  for (size_t i = 0; i + 2 < d.size(); ++i) h *= d[i];
  g.h = static_cast<int>(h);
  return g;
}

int32_t MeanOutputOffset(const TfLiteTensor* in, const TfLiteTensor* out) {
  // TFLite's optimized 4-D MEAN: bias = out_zp - (int)round_away(in_zp * s_in / s_out), in float.
  float temp = static_cast<float>(in->params.zero_point) * in->params.scale / out->params.scale;
  temp = temp > 0 ? temp + 0.5f : temp - 0.5f;
  return out->params.zero_point - static_cast<int32_t>(temp) - DeviceOffset(out);
}

bool IsNchwToNhwc(const std::vector<int>& d, const int32_t* perm) {
  return d.size() == 4 && d[0] == 1 && perm[0] == 0 && perm[1] == 2 && perm[2] == 3 && perm[3] == 1 &&
         int64_t{d[2]} * d[3] <= 65535;
}

int64_t TransposeRuns(const std::vector<int>& in_dims, const int32_t* perm) {
  // The output's innermost dims that are also innermost, in order, in the input
  // form contiguous runs.
  const int rank = static_cast<int>(in_dims.size());
  int64_t run = 1, total = 1;
  for (int d : in_dims) total *= d;
  for (int k = rank - 1, j = rank - 1; k >= 0 && perm[k] == j; --k, --j) run *= in_dims[j];
  return run == 0 ? 0 : total / run;
}

bool FindRoundingDivisor(int n, int64_t max_sum, int32_t* mult, int* shift) {
  if (n <= 0) return false;
  for (int sh = 30; sh >= -31; --sh) {
    const int t = 31 - sh;
    const long double ideal = std::ldexp(1.0L, t) / n;
    if (ideal > 2147483647.0L) break;
    for (int64_t m : {static_cast<int64_t>(std::floor(ideal)), static_cast<int64_t>(std::ceil(ideal))}) {
      if (m <= 0 || m > 2147483647) continue;
      bool ok = true;
      for (int64_t x = 0; x <= max_sum && ok; ++x)
        ok = MultiplyByQuantizedMultiplierSingleRound(static_cast<int32_t>(x), static_cast<int32_t>(m), sh) ==
             static_cast<int32_t>((x + n / 2) / n);
      if (ok) {
        *mult = static_cast<int32_t>(m);
        *shift = sh;
        return true;
      }
    }
  }
  return false;
}

namespace {

const char* TypeStr(TfLiteType t) {
  switch (t) {
    case kTfLiteInt8: return "INT8";
    case kTfLiteUInt8: return "UINT8";
    case kTfLiteInt16: return "INT16";
    case kTfLiteInt32: return "INT32";
    case kTfLiteFloat32: return "FLOAT32";
    default: return "a non-8-bit type";
  }
}

class Checker {
 public:
  Checker(TfLiteContext* ctx, int node_index, const TfLiteNode* node, const TfLiteRegistration* reg,
          const CompileOptions& opts)
      : ctx_(ctx), index_(node_index), node_(node), reg_(reg), hw_(opts.hw), flavor_(opts.flavor) {
    name_ = OpName(reg->builtin_code);
  }

  Status Fail(const std::string& why) const {
    return Unimplemented("%s (op %d): %s", name_.c_str(), index_, why.c_str());
  }
  const TfLiteTensor* In(int i) const {
    if (i >= node_->inputs->size || node_->inputs->data[i] < 0) return nullptr;
    return &ctx_->tensors[node_->inputs->data[i]];
  }
  const TfLiteTensor* Out(int i) const { return &ctx_->tensors[node_->outputs->data[i]]; }

  // Activations: int8 or uint8, not constant, same type on both sides.
  Status Activations(int num_inputs, bool constants_ok = false) const {
    if (node_->outputs->size != 1) return Fail("needs exactly one output");
    const TfLiteTensor* out = Out(0);
    if (!IsInt8Or8(out)) return Fail(std::string("output is ") + TypeStr(out->type) + ", not INT8/UINT8");
    for (int i = 0; i < num_inputs; ++i) {
      const TfLiteTensor* in = In(i);
      if (in == nullptr) return Fail(StrFormat("input %d is missing", i));
      if (in->type != out->type)
        return Fail(StrFormat("input %d is %s but the output is %s (mixed types)", i, TypeStr(in->type),
                              TypeStr(out->type)));
      if (IsConstant(in) && !constants_ok)
        return Fail(StrFormat("input %d is a constant tensor; the accelerator takes constants only as "
                              "weights, biases and elementwise operands",
                              i));
    }
    const int64_t bytes = NumElements(out);
    if (bytes > hw_.abuf_bytes)
      return Fail(StrFormat("output of %lld bytes does not fit the %u-byte activation buffer",
                            static_cast<long long>(bytes), hw_.abuf_bytes));
    return Status::Ok();
  }

  Status Activation(TfLiteFusedActivation a) const {
    if (a == kTfLiteActNone || a == kTfLiteActRelu || a == kTfLiteActReluN1To1 || a == kTfLiteActRelu6)
      return Status::Ok();
    return Fail(StrFormat("fused activation %d is not a clamp (only NONE, RELU, RELU_N1_TO_1, RELU6)",
                          static_cast<int>(a)));
  }

  Status Image(const TfLiteTensor* t, const char* what) const {
    const std::vector<int> d = Dims(t);
    if (d.size() != 4) return Fail(StrFormat("%s must be 4-D NHWC, has rank %zu", what, d.size()));
    if (d[0] != 1) return Fail(StrFormat("%s has batch %d; the accelerator runs batch 1", what, d[0]));
    return Status::Ok();
  }

  Status Weights(const TfLiteTensor* w, const TfLiteTensor* in) const {
    if (w == nullptr || !IsConstant(w)) return Fail("weights must be a constant tensor");
    if (w->type != in->type)
      return Fail(StrFormat("weights are %s, activations %s", TypeStr(w->type), TypeStr(in->type)));
    const TfLiteTensor* bias = In(2);
    if (bias != nullptr && (!IsConstant(bias) || bias->type != kTfLiteInt32))
      return Fail("bias must be a constant INT32 tensor");
    if (w->type == kTfLiteUInt8) {
      const auto* q = static_cast<const TfLiteAffineQuantization*>(w->quantization.params);
      if (w->quantization.type == kTfLiteAffineQuantization && q != nullptr && q->scale != nullptr &&
          q->scale->size > 1)
        return Fail("per-channel UINT8 weights (TFLite supports per-channel only for INT8)");
    }
    // Parameters are streamed per operator when the model's do not all fit,
    // so one operator's must fit half the parameter cache (double buffering).
    const int64_t parts = w->type == kTfLiteUInt8 ? 3 : 1;  // uint8 weights split into int8 parts
    const int64_t bytes = NumElements(w) * parts + 12 * int64_t{Dims(w)[0]} + 256;
    if (bytes > hw_.pbuf_bytes / 2)
      return Fail(StrFormat("weights of %lld bytes exceed half the %u-byte parameter cache",
                            static_cast<long long>(NumElements(w)), hw_.pbuf_bytes));
    return Status::Ok();
  }

  Status Run() {
    // TFLite with XNNPACK computes the nodes its delegate takes with
    // XNNPACK's own operators (binary32 requantization, its own ADD/SUB/MUL,
    // MEAN and resize arithmetic). The accelerator does not reproduce those
    // yet, so exactly those nodes stay on the CPU (whose xnnpack kernels do);
    // QUANTIZE is tabulated from that very kernel, so it maps as usual.
    if (flavor_ == TfliteFlavor::kXnnpack && reg_->builtin_code != tflite::BuiltinOperator_QUANTIZE &&
        quant_arith::XnnpackTakesNode(ctx_, node_, reg_->builtin_code))
      return Fail("TFLite flavor xnnpack: XNNPACK takes this node and computes it with its own arithmetic, "
                  "which the accelerator does not reproduce yet");
    switch (reg_->builtin_code) {
      case tflite::BuiltinOperator_CONV_2D: {
        RETURN_IF_ERROR(Activations(1));
        const auto* p = static_cast<const TfLiteConvParams*>(node_->builtin_data);
        if (p == nullptr) return Fail("missing options");
        RETURN_IF_ERROR(Image(In(0), "input"));
        RETURN_IF_ERROR(Weights(In(1), In(0)));
        const std::vector<int> w = Dims(In(1));
        if (w.size() != 4 || w[3] != Dims(In(0))[3]) return Fail("filter must be [Cout, KH, KW, Cin]");
        return Activation(p->activation);
      }
      case tflite::BuiltinOperator_DEPTHWISE_CONV_2D: {
        RETURN_IF_ERROR(Activations(1));
        const auto* p = static_cast<const TfLiteDepthwiseConvParams*>(node_->builtin_data);
        if (p == nullptr) return Fail("missing options");
        RETURN_IF_ERROR(Image(In(0), "input"));
        RETURN_IF_ERROR(Weights(In(1), In(0)));
        const std::vector<int> w = Dims(In(1));
        const int cin = Dims(In(0))[3];
        if (w.size() != 4 || w[0] != 1) return Fail("filter must be [1, KH, KW, Cout]");
        if (cin <= 0 || w[3] % cin != 0)
          return Fail(StrFormat("%d output channels are not a multiple of the %d input channels", w[3], cin));
        return Activation(p->activation);
      }
      case tflite::BuiltinOperator_FULLY_CONNECTED: {
        RETURN_IF_ERROR(Activations(1));
        const auto* p = static_cast<const TfLiteFullyConnectedParams*>(node_->builtin_data);
        if (p == nullptr) return Fail("missing options");
        if (p->weights_format != kTfLiteFullyConnectedWeightsFormatDefault)
          return Fail("shuffled weights format");
        RETURN_IF_ERROR(Weights(In(1), In(0)));
        const std::vector<int> w = Dims(In(1));
        if (w.size() != 2 || w[1] <= 0 || NumElements(In(0)) % w[1] != 0)
          return Fail("weights must be [units, depth] with depth dividing the input");
        return Activation(p->activation);
      }
      case tflite::BuiltinOperator_ADD:
      case tflite::BuiltinOperator_SUB:
      case tflite::BuiltinOperator_MUL: {
        RETURN_IF_ERROR(Activations(2, /*constants_ok=*/true));
        if (IsConstant(In(0)) && IsConstant(In(1))) return Fail("both inputs are constants");
        if (Dims(In(0)) != Dims(In(1))) {
          // Broadcasting: the smaller operand is expanded on chip by copies.
          const std::vector<int> a = Dims(In(0)), b = Dims(In(1)), o = Dims(Out(0));
          if (o.size() > 4 || a.size() > o.size() || b.size() > o.size())
            return Fail(StrFormat("broadcast of rank %zu above 4", o.size()));
          for (size_t k = 0; k < o.size(); ++k) {
            const int da = k + a.size() >= o.size() ? a[k + a.size() - o.size()] : 1;
            const int db = k + b.size() >= o.size() ? b[k + b.size() - o.size()] : 1;
            if ((da != o[k] && da != 1) || (db != o[k] && db != 1))
              return Fail("input shapes do not broadcast to the output shape");
          }
          if (2 * NumElements(Out(0)) > hw_.abuf_bytes)
            return Fail("the expanded operand and the output do not fit the activation buffer");
        } else if (Dims(In(0)) != Dims(Out(0))) {
          return Fail("output shape differs from the inputs'");
        }
        const void* d = node_->builtin_data;
        const TfLiteFusedActivation a =
            d == nullptr ? kTfLiteActNone
                         : reg_->builtin_code == tflite::BuiltinOperator_ADD ? static_cast<const TfLiteAddParams*>(d)->activation
                           : reg_->builtin_code == tflite::BuiltinOperator_SUB ? static_cast<const TfLiteSubParams*>(d)->activation
                                                                     : static_cast<const TfLiteMulParams*>(d)->activation;
        return Activation(a);
      }
      case tflite::BuiltinOperator_AVERAGE_POOL_2D:
      case tflite::BuiltinOperator_MAX_POOL_2D: {
        RETURN_IF_ERROR(Activations(1));
        const auto* p = static_cast<const TfLitePoolParams*>(node_->builtin_data);
        if (p == nullptr) return Fail("missing options");
        RETURN_IF_ERROR(Image(In(0), "input"));
        if (reg_->builtin_code == tflite::BuiltinOperator_AVERAGE_POOL_2D && In(0)->type == kTfLiteUInt8) {
          // TFLite rounds half up here; the accelerator sums with VMACC and divides in POSTPROC, which needs
          // every window to have the same size (no clipped SAME edges).
          const std::vector<int> d = Dims(In(0));
          int oh = 0, ow = 0;
          const TfLitePaddingValues pv = quant_arith::PaddingHeightWidth(
              p->stride_height, p->stride_width, 1, 1, d[1], d[2], p->filter_height, p->filter_width, p->padding,
              &oh, &ow);
          const bool clipped = pv.height != 0 || pv.width != 0 ||
                               (oh - 1) * p->stride_height + p->filter_height > d[1] ||
                               (ow - 1) * p->stride_width + p->filter_width > d[2];
          if (clipped)
            return Fail("UINT8 average pooling with padded (clipped) windows: TFLite rounds half up, which the "
                        "accelerator reproduces only when every window has the same size");
          int32_t m = 0;
          int sh = 0;
          const int n = p->filter_height * p->filter_width;
          if (!FindRoundingDivisor(n, 255 * int64_t{n}, &m, &sh))
            return Fail(StrFormat("no exact multiplier divides by the window size %d", n));
        }
        if (p->filter_height > 255 || p->filter_width > 255 || p->filter_height < 1 || p->filter_width < 1)
          return Fail(StrFormat("window %dx%d outside 1..255", p->filter_height, p->filter_width));
        if (In(0)->params.zero_point != Out(0)->params.zero_point ||
            In(0)->params.scale != Out(0)->params.scale)
          return Fail("input and output quantization differ");
        return Activation(p->activation);
      }
      case tflite::BuiltinOperator_RESHAPE:
      case tflite::BuiltinOperator_SQUEEZE: {
        if (node_->outputs->size != 1 || In(0) == nullptr) return Fail("needs one input and one output");
        const TfLiteTensor* in = In(0);
        const TfLiteTensor* out = Out(0);
        if (!IsInt8Or8(out) || in->type != out->type) return Fail("needs INT8/UINT8 input and output of one type");
        if (IsConstant(in)) return Fail("input is a constant tensor");
        if (NumElements(in) > hw_.abuf_bytes) return Fail("tensor does not fit the activation buffer");
        return Status::Ok();
      }
      case tflite::BuiltinOperator_PAD: {
        RETURN_IF_ERROR(Activations(1));
        RETURN_IF_ERROR(Image(In(0), "input"));
        const TfLiteTensor* pads = In(1);
        if (pads == nullptr || !IsConstant(pads) || pads->type != kTfLiteInt32 || NumElements(pads) != 8)
          return Fail("paddings must be a constant INT32 [4, 2] tensor");
        const int32_t* pd = pads->data.i32;
        if (pd[0] || pd[1] || pd[6] || pd[7]) return Fail("padding of the batch or channel dimension");
        for (int i = 0; i < 8; ++i)
          if (pd[i] < 0) return Fail("negative padding");
        return Status::Ok();
      }
      case tflite::BuiltinOperator_LOGISTIC:
      case tflite::BuiltinOperator_TANH:
      case tflite::BuiltinOperator_RELU:
      case tflite::BuiltinOperator_RELU6:
      case tflite::BuiltinOperator_HARD_SWISH:
        // Tabulated into a 256-entry VLUT from the CPU kernel (bit-exact).
        return Activations(1);
      case tflite::BuiltinOperator_QUANTIZE: {
        if (node_->outputs->size != 1 || In(0) == nullptr) return Fail("needs one input and one output");
        if (!IsInt8Or8(In(0)) || !IsInt8Or8(Out(0)))
          return Fail(StrFormat("%s -> %s; only 8-bit requantization (INT8/UINT8 -> INT8/UINT8) maps to the "
                                "lookup unit",
                                TypeStr(In(0)->type), TypeStr(Out(0)->type)));
        if (IsConstant(In(0))) return Fail("input is a constant tensor");
        return Status::Ok();
      }
      case tflite::BuiltinOperator_SPLIT: {
        const TfLiteTensor* axis = In(0);
        const TfLiteTensor* in = In(1);
        if (axis == nullptr || in == nullptr || !IsConstant(axis) || axis->type != kTfLiteInt32 ||
            NumElements(axis) != 1)
          return Fail("axis must be a constant INT32 scalar");
        if (!IsInt8Or8(in) || IsConstant(in)) return Fail("input must be an INT8/UINT8 activation");
        for (int i = 0; i < node_->outputs->size; ++i)
          if (Out(i)->type != in->type) return Fail("outputs must have the input's type");
        if (NumElements(in) > hw_.abuf_bytes) return Fail("tensor does not fit the activation buffer");
        return Status::Ok();
      }
      case tflite::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR: {
        RETURN_IF_ERROR(Activations(1));
        RETURN_IF_ERROR(Image(In(0), "input"));
        const TfLiteTensor* size = In(1);
        if (size == nullptr || !IsConstant(size)) return Fail("size must be a constant tensor");
        if (Dims(In(0))[1] > 256 || Dims(In(0))[2] > 256)
          return Fail("input above 256x256 (the compiler reads the index map off the CPU kernel with 8-bit probes)");
        if (In(0)->params.scale != Out(0)->params.scale || In(0)->params.zero_point != Out(0)->params.zero_point)
          return Fail("input and output quantization differ");
        return Status::Ok();
      }
      case tflite::BuiltinOperator_SOFTMAX: {
        // The SOFTMAX instruction (binary32 unit), over the last dimension.
        RETURN_IF_ERROR(Activations(1));
        const TfLiteTensor* in = In(0);
        const TfLiteTensor* out = Out(0);
        const std::vector<int> d = Dims(in);
        if (d.empty() || d.back() < 1) return Fail("input needs at least one dimension of size >= 1");
        if (d.back() > 65535) return Fail(StrFormat("softmax axis of %d elements exceeds 65535", d.back()));
        if (Dims(out) != d) return Fail("output shape differs from the input's");
        if (in->type == kTfLiteInt8 &&
            (out->params.zero_point != -128 || std::fabs(out->params.scale - 1.f / 256) > 0.001f / 256))
          return Fail("INT8 output must have zero point -128 and scale 1/256 (TFLite's requirement)");
        const float beta = node_->builtin_data == nullptr
                               ? 1.0f
                               : static_cast<const TfLiteSoftmaxParams*>(node_->builtin_data)->beta;
        float table[256];
        quant_arith::SoftmaxTable(in->params.scale, beta, table);
        for (float v : table)
          if (!(v >= 0.0f && v <= 1.0f))
            return Fail(StrFormat("exponent table leaves [0, 1] (input scale %g, beta %g): TFLite's float "
                                  "result would overflow its integer conversion",
                                  static_cast<double>(in->params.scale), static_cast<double>(beta)));
        // Probabilities reach 1 / output_scale; keep them far inside int32 so
        // TFLite's float -> int conversion is defined.
        if (!(out->params.scale >= 1.0f / (1 << 30) && out->params.scale <= 1e30f))
          return Fail(StrFormat("output scale %g outside [2^-30, 1e30]", static_cast<double>(out->params.scale)));
        return Status::Ok();
      }
      case tflite::BuiltinOperator_MEAN: {
        RETURN_IF_ERROR(Activations(1));
        RETURN_IF_ERROR(Image(In(0), "input"));
        const auto* p = static_cast<const TfLiteReducerParams*>(node_->builtin_data);
        const TfLiteTensor* axis = In(1);
        const bool hw_axes = axis != nullptr && IsConstant(axis) && axis->type == kTfLiteInt32 &&
                             NumElements(axis) == 2 &&
                             ((axis->data.i32[0] == 1 && axis->data.i32[1] == 2) ||
                              (axis->data.i32[0] == 2 && axis->data.i32[1] == 1));
        if (p == nullptr || !p->keep_dims || !hw_axes)
          return Fail("only the spatial mean of TFLite's integer path (4-D, keep_dims, axis {1, 2}) is mapped; "
                      "other axes use TFLite's float rescale");
        if (MeanOutputOffset(In(0), Out(0)) < -128 || MeanOutputOffset(In(0), Out(0)) > 127)
          return Fail("output offset out_zp - in_zp * s_in / s_out does not fit the requantizer's int8 zero point");
        return Status::Ok();
      }
      case tflite::BuiltinOperator_TRANSPOSE: {
        if (node_->outputs->size != 1 || In(0) == nullptr) return Fail("needs one input and one output");
        const TfLiteTensor* in = In(0);
        const TfLiteTensor* out = Out(0);
        if (!IsInt8Or8(out) || in->type != out->type) return Fail("needs INT8/UINT8 input and output of one type");
        if (IsConstant(in)) return Fail("input is a constant tensor");
        const TfLiteTensor* perm = In(1);
        if (perm == nullptr || !IsConstant(perm) || perm->type != kTfLiteInt32 ||
            NumElements(perm) != static_cast<int64_t>(Dims(in).size()))
          return Fail("perm must be a constant INT32 vector of the input's rank");
        if (NumElements(out) > hw_.abuf_bytes) return Fail("tensor does not fit the activation buffer");
        // NCHW -> NHWC is done by the DMA: loading a partition input
        // transposed, or a round trip through host memory. (No call to
        // GetExecutionPlan here: in TFLite it invalidates the caller's plan.)
        const std::vector<int> d = Dims(in);
        if (IsNchwToNhwc(d, perm->data.i32)) return Status::Ok();
        // Otherwise a gather by VLUT copies of the runs that stay contiguous.
        const int64_t runs = TransposeRuns(d, perm->data.i32);
        if (runs > kMaxTransposeCopies)
          return Fail(StrFormat("the accelerator has no transpose unit; this permutation needs %lld copies "
                                "(limit %lld)",
                                static_cast<long long>(runs), static_cast<long long>(kMaxTransposeCopies)));
        return Status::Ok();
      }
      case tflite::BuiltinOperator_CONCATENATION: {
        const int n = node_->inputs->size;
        if (n < 1) return Fail("no inputs");
        RETURN_IF_ERROR(Activations(n));
        const auto* p = static_cast<const TfLiteConcatenationParams*>(node_->builtin_data);
        if (p != nullptr && p->activation != kTfLiteActNone) return Fail("fused activation");
        for (int i = 0; i < n; ++i) {
          const bool same = In(i)->params.scale == Out(0)->params.scale &&
                            In(i)->params.zero_point == Out(0)->params.zero_point;
          if (!same && Out(0)->type != kTfLiteUInt8)
            return Fail("INT8 inputs with quantization different from the output (TFLite refuses it)");
        }
        return Status::Ok();
      }
      default:
        if (reg_->builtin_code == tflite::BuiltinOperator_CUSTOM)
          return Fail(StrFormat("custom op '%s' is not an accelerator op",
                                reg_->custom_name ? reg_->custom_name : "?"));
        return Fail("operator not supported by the accelerator (supported: CONV_2D, DEPTHWISE_CONV_2D, "
                    "FULLY_CONNECTED, ADD, SUB, MUL, AVERAGE_POOL_2D, MAX_POOL_2D, MEAN, PAD, RESHAPE, SQUEEZE, CONCATENATION, SPLIT, RESIZE_NEAREST_NEIGHBOR, "
                    "TRANSPOSE, LOGISTIC, TANH, RELU, RELU6, HARD_SWISH, QUANTIZE, SOFTMAX)");
    }
  }

 private:
  TfLiteContext* ctx_;
  int index_;
  const TfLiteNode* node_;
  const TfLiteRegistration* reg_;
  const sim::DeviceConfig& hw_;
  TfliteFlavor flavor_;
  std::string name_;
};

}  // namespace

Status CheckOpSupport(TfLiteContext* context, int node_index, const CompileOptions& options) {
  TfLiteNode* node = nullptr;
  TfLiteRegistration* reg = nullptr;
  if (context->GetNodeAndRegistration(context, node_index, &node, &reg) != kTfLiteOk || node == nullptr ||
      reg == nullptr)
    return InvalidArgument("op %d: no such node", node_index);
  if (node->outputs == nullptr || node->inputs == nullptr || node->outputs->size < 1)
    return InvalidArgument("op %d: node without inputs/outputs", node_index);
  if (reg->builtin_code == tflite::BuiltinOperator_CUSTOM) {
    return Unimplemented("%s (op %d): custom op is not an accelerator op",
                         reg->custom_name ? reg->custom_name : "CUSTOM", node_index);
  }
  return Checker(context, node_index, node, reg, options).Run();
}

}  // namespace systole::compiler
