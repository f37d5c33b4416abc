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

StatusOr<std::vector<uint8_t>> BuildLut(TfLiteContext* context, int node_index, const std::string& op_name) {
  TfLiteNode* node = nullptr;
  TfLiteRegistration* reg = nullptr;
  if (context->GetNodeAndRegistration(context, node_index, &node, &reg) != kTfLiteOk)
    return InvalidArgument("op %d: no such node", node_index);
  const TfLiteTensor* in = &context->tensors[node->inputs->data[0]];
  const TfLiteTensor* out = &context->tensors[node->outputs->data[0]];

  // A one-op model over a [1, 256] input holding every value.
  systole::testing::ModelBuilder b;
  const int ti = b.AddTensor("in", FbType(in->type), {1, 256}, QuantOf(in));
  const int to = b.AddTensor("out", FbType(out->type), {1, 256}, QuantOf(out));
  b.AddOperator(static_cast<tflite::BuiltinOperator>(reg->builtin_code), 1, {ti}, {to});
  b.SetInputs({ti});
  b.SetOutputs({to});
  if (!b.ok()) return Internal("%s (op %d): building the lookup-table model: %s", op_name.c_str(), node_index,
                               b.error().c_str());
  ASSIGN_OR_RETURN(std::unique_ptr<Model> model, Model::FromBuffer(b.Finish(), "lut-" + op_name));
  BuiltinOpResolver resolver;
  ASSIGN_OR_RETURN(std::unique_ptr<Interpreter> interp, Interpreter::Create(*model, resolver));
  Status s = interp->AllocateTensors();
  if (!s.ok()) return Annotate(s, StrFormat("%s (op %d): tabulating", op_name.c_str(), node_index));
  const int in_off = in->type == kTfLiteUInt8 ? 128 : 0;
  const int out_off = out->type == kTfLiteUInt8 ? 128 : 0;
  uint8_t* x = reinterpret_cast<uint8_t*>(interp->input_tensor(0)->data.raw);
  for (int i = 0; i < 256; ++i) x[i] = static_cast<uint8_t>(i - 128 + in_off);  // device value i-128
  s = interp->Invoke();
  if (!s.ok()) return Annotate(s, StrFormat("%s (op %d): tabulating", op_name.c_str(), node_index));
  const uint8_t* y = reinterpret_cast<const uint8_t*>(interp->output_tensor(0)->data.raw);
  std::vector<uint8_t> table(256);
  for (int i = 0; i < 256; ++i) table[i] = static_cast<uint8_t>(y[i] - out_off);
  return table;
}

}  // namespace systole::compiler
