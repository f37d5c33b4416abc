// The op table (from op_list.inc) and the support rules several ops share.
#include "compiler/ops/op.h"

#include "schema/tflite_generated.h"

namespace systole::compiler {

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

OpChecker::OpChecker(TfLiteContext* ctx, int node_index, const TfLiteNode* node, const TfLiteRegistration* reg,
                     const CompileOptions& opts)
    : ctx_(ctx), index_(node_index), node_(node), reg_(reg), hw_(opts.hw), flavor_(opts.flavor) {
  name_ = OpName(reg->builtin_code);
}

Status OpChecker::Fail(const std::string& why) const {
  return Unimplemented("%s (op %d): %s", name_.c_str(), index_, why.c_str());
}

const TfLiteTensor* OpChecker::In(int i) const {
  if (i >= node_->inputs->size || node_->inputs->data[i] < 0) return nullptr;
  return &ctx_->tensors[node_->inputs->data[i]];
}

Status OpChecker::Activations(int num_inputs, bool constants_ok, bool tileable) const {
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
  if (!tileable && bytes > hw_.abuf_bytes)
    return Fail(StrFormat("output of %lld bytes does not fit the %u-byte activation buffer",
                          static_cast<long long>(bytes), hw_.abuf_bytes));
  return Status::Ok();
}

Status OpChecker::LastAxisRows(int max_len, const char* axis, const char* why) const {
  RETURN_IF_ERROR(Activations(1));
  const std::vector<int> d = Dims(In(0));
  if (d.empty() || d.back() < 1) return Fail("input needs at least one dimension of size >= 1");
  if (d.back() > max_len) return Fail(StrFormat("%s of %d elements exceeds %d%s", axis, d.back(), max_len, why));
  if (Dims(Out(0)) != d) return Fail("output shape differs from the input's");
  return Status::Ok();
}

Status OpChecker::BandFits(int64_t one_row_bytes) const {
  if (one_row_bytes <= hw_.abuf_bytes) return Status::Ok();
  return Fail(StrFormat("one output row in double-buffered row bands needs %lld bytes, more than the %u-byte "
                        "activation buffer",
                        static_cast<long long>(one_row_bytes), hw_.abuf_bytes));
}

Status OpChecker::Activation(TfLiteFusedActivation a) const {
  if (a == kTfLiteActNone || a == kTfLiteActRelu || a == kTfLiteActReluN1To1 || a == kTfLiteActRelu6)
    return Status::Ok();
  return Fail(StrFormat("fused activation %d is not a clamp (only NONE, RELU, RELU_N1_TO_1, RELU6)",
                        static_cast<int>(a)));
}

Status OpChecker::Image(const TfLiteTensor* t, const char* what) const {
  const std::vector<int> d = Dims(t);
  if (d.size() != 4) return Fail(StrFormat("%s must be 4-D NHWC, has rank %zu", what, d.size()));
  if (d[0] != 1) return Fail(StrFormat("%s has batch %d; the accelerator runs batch 1", what, d[0]));
  return Status::Ok();
}

Status OpChecker::Weights(const TfLiteTensor* w, const TfLiteTensor* in) const {
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
    // The 9-bit weight path subtracts an 8-bit zero point (LOAD_WEIGHTS / VMACC w_zp).
    if (w->params.zero_point < 0 || w->params.zero_point > 255)
      return Fail(StrFormat("UINT8 weight zero point %d outside [0, 255]", w->params.zero_point));
  }
  // Parameters are streamed per operator when the model's do not all fit,
  // so one operator's must fit half the parameter cache (double buffering).
  // One byte a weight: UINT8 weights take the 9-bit weight path in one pass.
  const int64_t bytes = NumElements(w) + 12 * int64_t{Dims(w)[0]} + 256;
  if (bytes > hw_.pbuf_bytes / 2)
    return Fail(StrFormat("weights of %lld bytes exceed half the %u-byte parameter cache",
                          static_cast<long long>(NumElements(w)), hw_.pbuf_bytes));
  return Status::Ok();
}

const TfLiteTensor* OpChecker::Out(int i) const { return &ctx_->tensors[node_->outputs->data[i]]; }

const std::vector<OpEntry>& OpTable() {
  static const std::vector<OpEntry> table = {
#define SYSTOLE_COMPILER_OP(builtin, family) \
  {tflite::BuiltinOperator_##builtin, #builtin, #family, &Check##family, &Plan##family, &Lower##family},
#include "compiler/ops/op_list.inc"
#undef SYSTOLE_COMPILER_OP
  };
  return table;
}

const OpEntry* FindOp(int32_t builtin_code) {
  for (const OpEntry& e : OpTable())
    if (e.builtin_code == builtin_code) return &e;
  return nullptr;
}

std::string SupportedOpNames() {
  std::string s;
  for (const OpEntry& e : OpTable()) {
    if (!s.empty()) s += ", ";
    s += e.name;
  }
  return s;
}

}  // namespace systole::compiler
