// The accelerator's support rules shared by the last-axis row ops, SOFTMAX
// and L2_NORMALIZATION (OpChecker::LastAxisRows): the axis limit of each
// (SOFTMAX's 16-bit row length, VL2NORM's int32 sum of squares), accepted at
// the limit and refused one past it with the op's own wording.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "compiler/compiler.h"
#include "interpreter/interpreter.h"
#include "interpreter/model.h"
#include "interpreter/op_resolver.h"
#include "schema/isa/isa_generated.h"
#include "testing/model_builder.h"

namespace systole::compiler {
namespace {

using testing::ModelBuilder;
using testing::Quant;

// The support status of op 0 of `b` (one row op over {2, len}) on the edge device.
Status Check0(ModelBuilder* b) {
  std::vector<uint8_t> bytes = b->Finish();
  EXPECT_TRUE(b->ok()) << b->error();
  auto model = Model::FromBuffer(std::move(bytes));
  if (!model.ok()) return model.status();
  static const BuiltinOpResolver resolver(TfliteFlavor::kRuy);
  auto interp = Interpreter::Create(**model, resolver);
  if (!interp.ok()) return interp.status();
  EXPECT_TRUE((*interp)->AllocateTensors().ok());
  return CheckOpSupport((*interp)->context(), 0, CompileOptions());
}

Status CheckSoftmax(int len) {
  ModelBuilder b;
  const int x = b.AddTensor("x", tflite::TensorType_INT8, {2, len}, Quant::PerTensor(0.1f, 0));
  const int y = b.AddTensor("y", tflite::TensorType_INT8, {2, len}, Quant::PerTensor(1.0f / 256, -128));
  b.AddOperator(tflite::BuiltinOperator_SOFTMAX, 2, {x}, {y}, testing::SoftmaxOptions{});
  b.SetInputs({x});
  b.SetOutputs({y});
  return Check0(&b);
}

Status CheckL2Norm(int len) {
  ModelBuilder b;
  const int x = b.AddTensor("x", tflite::TensorType_INT8, {2, len}, Quant::PerTensor(0.1f, 3));
  const int y = b.AddTensor("y", tflite::TensorType_INT8, {2, len}, Quant::PerTensor(1.0f / 128, 0));
  testing::RawOptions o;
  o.type = tflite::BuiltinOptions_L2NormOptions;
  o.write = [](flatbuffers::FlatBufferBuilder& fbb) {
    return tflite::CreateL2NormOptions(fbb, tflite::ActivationFunctionType_NONE).Union();
  };
  b.AddOperator(tflite::BuiltinOperator_L2_NORMALIZATION, 2, {x}, {y}, o);
  b.SetInputs({x});
  b.SetOutputs({y});
  return Check0(&b);
}

TEST(RowOpSupport, SoftmaxAxisLimit) {
  Status s = CheckSoftmax(65535);
  EXPECT_TRUE(s.ok()) << s.ToString();
  s = CheckSoftmax(65536);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.ToString().find("SOFTMAX (op 0): softmax axis of 65536 elements exceeds 65535"), std::string::npos)
      << s.ToString();
}

TEST(RowOpSupport, L2NormAxisLimit) {
  const int max = isa::kVl2normLenMax;
  Status s = CheckL2Norm(max);
  EXPECT_TRUE(s.ok()) << s.ToString();
  s = CheckL2Norm(max + 1);
  ASSERT_FALSE(s.ok());
  const std::string want = "L2_NORMALIZATION (op 0): normalized axis of " + std::to_string(max + 1) +
                           " elements exceeds " + std::to_string(max) + " (the int32 sum of squares)";
  EXPECT_NE(s.ToString().find(want), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace systole::compiler
