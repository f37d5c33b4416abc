#include "compiler/lut.h"

#include "interpreter/interpreter.h"
#include "interpreter/model.h"
#include "interpreter/op_resolver.h"
#include "schema/tflite_generated.h"
#include "testing/model_builder.h"

namespace systole::compiler {
namespace {

tflite::TensorType FbType(TfLiteType t) {
  return t == kTfLiteUInt8 ? tflite::TensorType_UINT8 : tflite::TensorType_INT8;
}

systole::testing::Quant QuantOf(const TfLiteTensor* t) {
  return systole::testing::Quant::PerTensor(t->params.scale, t->params.zero_point);
}

}  // namespace

StatusOr<std::vector<uint8_t>> BuildLut(TfLiteContext* context, int node_index, const std::string& op_name,
                                        TfliteFlavor flavor) {
  TfLiteNode* node = nullptr;
  TfLiteRegistration* reg = nullptr;
  if (context->GetNodeAndRegistration(context, node_index, &node, &reg) != kTfLiteOk)
    return InvalidArgument("op %d: no such node", node_index);
  return BuildLutFor(flavor, &context->tensors[node->inputs->data[0]], &context->tensors[node->outputs->data[0]],
                     reg->builtin_code, StrFormat("%s (op %d)", op_name.c_str(), node_index));
}

StatusOr<std::vector<uint8_t>> BuildLutFor(TfliteFlavor flavor, const TfLiteTensor* in, const TfLiteTensor* out, int32_t builtin_code,
                                           const std::string& what) {
  // A one-op model over a [1, 256] input holding every value.
  systole::testing::ModelBuilder b;
  const int ti = b.AddTensor("in", FbType(in->type), {1, 256}, QuantOf(in));
  const int to = b.AddTensor("out", FbType(out->type), {1, 256}, QuantOf(out));
  b.AddOperator(static_cast<tflite::BuiltinOperator>(builtin_code), 1, {ti}, {to});
  b.SetInputs({ti});
  b.SetOutputs({to});
  if (!b.ok()) return Internal("%s: building the lookup-table model: %s", what.c_str(), b.error().c_str());
  ASSIGN_OR_RETURN(std::unique_ptr<Model> model, Model::FromBuffer(b.Finish(), "lut for " + what));
  BuiltinOpResolver resolver(flavor);
  ASSIGN_OR_RETURN(std::unique_ptr<Interpreter> interp, Interpreter::Create(*model, resolver));
  Status s = interp->AllocateTensors();
  if (!s.ok()) return Annotate(s, what + ": tabulating");
  const int in_off = in->type == kTfLiteUInt8 ? 128 : 0;
  const int out_off = out->type == kTfLiteUInt8 ? 128 : 0;
  uint8_t* x = reinterpret_cast<uint8_t*>(interp->input_tensor(0)->data.raw);
  for (int i = 0; i < 256; ++i) x[i] = static_cast<uint8_t>(i - 128 + in_off);  // device value i-128
  s = interp->Invoke();
  if (!s.ok()) return Annotate(s, what + ": tabulating");
  const uint8_t* y = reinterpret_cast<const uint8_t*>(interp->output_tensor(0)->data.raw);
  std::vector<uint8_t> table(256);
  for (int i = 0; i < 256; ++i) table[i] = static_cast<uint8_t>(y[i] - out_off);
  return table;
}

StatusOr<NearestIndices> ProbeResizeNearest(TfliteFlavor flavor, const TfLiteTensor* in, const TfLiteTensor* out, bool align_corners,
                                            bool half_pixel_centers) {
  const int h = in->dims->data[1], w = in->dims->data[2];
  const int oh = out->dims->data[1], ow = out->dims->data[2];
  if (h > 256 || w > 256) return Unimplemented("RESIZE_NEAREST_NEIGHBOR: input above 256x256 cannot be probed");
  const bool u8 = in->type == kTfLiteUInt8;
  NearestIndices idx;
  for (int pass = 0; pass < 2; ++pass) {
    systole::testing::ModelBuilder b;
    const auto q = systole::testing::Quant::PerTensor(1.0f, 0);
    const int ti = b.AddTensor("in", FbType(in->type), {1, h, w, 1}, q);
    const int ts = b.AddConstInt32("size", {oh, ow});
    const int to = b.AddTensor("out", FbType(in->type), {1, oh, ow, 1}, q);
    systole::testing::ResizeOptions o;
    o.align_corners = align_corners;
    o.half_pixel_centers = half_pixel_centers;
    b.AddOperator(tflite::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR, 3, {ti, ts}, {to}, o);
    b.SetInputs({ti});
    b.SetOutputs({to});
    if (!b.ok()) return Internal("probing RESIZE_NEAREST_NEIGHBOR: %s", b.error().c_str());
    ASSIGN_OR_RETURN(std::unique_ptr<Model> model, Model::FromBuffer(b.Finish(), "resize probe"));
    BuiltinOpResolver resolver(flavor);
    ASSIGN_OR_RETURN(std::unique_ptr<Interpreter> interp, Interpreter::Create(*model, resolver));
    RETURN_IF_ERROR(interp->AllocateTensors());
    uint8_t* x = reinterpret_cast<uint8_t*>(interp->input_tensor(0)->data.raw);
    for (int y = 0; y < h; ++y)
      for (int c = 0; c < w; ++c) x[y * w + c] = static_cast<uint8_t>((pass == 0 ? y : c) - (u8 ? 0 : 128));
    RETURN_IF_ERROR(interp->Invoke());
    const uint8_t* r = reinterpret_cast<const uint8_t*>(interp->output_tensor(0)->data.raw);
    auto val = [&](int i) { return static_cast<int>(static_cast<uint8_t>(r[i] + (u8 ? 0 : 128))); };
    if (pass == 0)
      for (int y = 0; y < oh; ++y) idx.rows.push_back(val(y * ow));
    else
      for (int c = 0; c < ow; ++c) idx.cols.push_back(val(c));
  }
  return idx;
}

}  // namespace systole::compiler
