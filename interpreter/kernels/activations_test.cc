// SOFTMAX / LOGISTIC / TANH / RELU / RELU6 / HARD_SWISH: the output
// quantizations TensorFlow Lite refuses must be refused in Prepare, and the
// ones it accepts (however odd) accepted. Checked on ../shared/oracle.
// Bit-exactness is covered by tests/op_cases (activation_cases.cc).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "interpreter/interpreter.h"
#include "interpreter/model.h"
#include "interpreter/op_resolver.h"
#include "testing/model_builder.h"

namespace systole {
namespace {

using testing::ModelBuilder;
using testing::Quant;

Status PrepareUnary(tflite::BuiltinOperator op, tflite::TensorType type, float in_scale,
                    int in_zp, float out_scale, int out_zp) {
  ModelBuilder mb;
  const int x = mb.AddTensor("a", type, {4, 16}, Quant::PerTensor(in_scale, in_zp));
  const int o = mb.AddTensor("o", type, {4, 16}, Quant::PerTensor(out_scale, out_zp));
  mb.AddOperator(op, type == tflite::TensorType_INT8 ? 2 : 1, {x}, {o});
  mb.SetInputs({x});
  mb.SetOutputs({o});
  std::vector<uint8_t> bytes = mb.Finish();
  EXPECT_TRUE(mb.ok()) << mb.error();
  auto model = Model::FromBuffer(std::move(bytes));
  if (!model.ok()) return model.status();
  BuiltinOpResolver resolver(TfliteFlavor::kRuy);
  auto interp = Interpreter::Create(**model, resolver);
  if (!interp.ok()) return interp.status();
  return (*interp)->AllocateTensors();
}

constexpr auto kInt8 = tflite::TensorType_INT8;
constexpr auto kUint8 = tflite::TensorType_UINT8;

TEST(ActivationsTest, SoftmaxInt8OutputQuantizationIsChecked) {
  EXPECT_TRUE(PrepareUnary(tflite::BuiltinOperator_SOFTMAX, kInt8, 0.05f, 0, 1.f / 256, -128).ok());
  Status s = PrepareUnary(tflite::BuiltinOperator_SOFTMAX, kInt8, 0.05f, 0, 1.f / 256, -100);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("zero point must be -128"), std::string::npos) << s.message();
  s = PrepareUnary(tflite::BuiltinOperator_SOFTMAX, kInt8, 0.05f, 0, 1.f / 128, -128);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("1/256"), std::string::npos) << s.message();
}

TEST(ActivationsTest, SoftmaxUint8AcceptsAnyOutputQuantization) {
  // TFLite does not check it (and then ignores the zero point).
  EXPECT_TRUE(PrepareUnary(tflite::BuiltinOperator_SOFTMAX, kUint8, 0.05f, 128, 1.f / 128, 10).ok());
}

TEST(ActivationsTest, LogisticNeedsOutputScale1Over256Only) {
  EXPECT_TRUE(PrepareUnary(tflite::BuiltinOperator_LOGISTIC, kInt8, 0.05f, 0, 1.f / 256, -100).ok());
  EXPECT_TRUE(PrepareUnary(tflite::BuiltinOperator_LOGISTIC, kUint8, 0.05f, 128, 1.f / 256, 10).ok());
  const Status s = PrepareUnary(tflite::BuiltinOperator_LOGISTIC, kInt8, 0.05f, 0, 1.f / 128, -128);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("LOGISTIC"), std::string::npos) << s.message();
}

TEST(ActivationsTest, TanhAcceptsAnyOutputQuantization) {
  EXPECT_TRUE(PrepareUnary(tflite::BuiltinOperator_TANH, kInt8, 0.05f, 0, 1.f / 256, -128).ok());
}

TEST(ActivationsTest, HardSwishRejectsOutputMultiplierAboveOne) {
  // input_scale / (128 * output_scale) = 3.9: TFLite fails to initialize.
  const Status s = PrepareUnary(tflite::BuiltinOperator_HARD_SWISH, kInt8, 0.5f, 0, 0.001f, 0);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("HARD_SWISH"), std::string::npos) << s.message();
}

TEST(ActivationsTest, RejectsMixedTypes) {
  ModelBuilder mb;
  const int x = mb.AddTensor("a", kInt8, {4}, Quant::PerTensor(0.05f, 0));
  const int o = mb.AddTensor("o", kUint8, {4}, Quant::PerTensor(0.05f, 128));
  mb.AddOperator(tflite::BuiltinOperator_RELU, 2, {x}, {o});
  mb.SetInputs({x});
  mb.SetOutputs({o});
  auto model = Model::FromBuffer(mb.Finish());
  ASSERT_TRUE(model.ok()) << model.status().message();
  BuiltinOpResolver resolver(TfliteFlavor::kRuy);
  auto interp = Interpreter::Create(**model, resolver);
  ASSERT_TRUE(interp.ok()) << interp.status().message();
  const Status s = (*interp)->AllocateTensors();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("INT8"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("UINT8"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace systole
