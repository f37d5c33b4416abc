// ADD / SUB / MUL: the shapes and quantizations TensorFlow Lite refuses (or
// aborts on) must be refused in Prepare with a message naming the op and the
// rule. Bit-exactness on accepted models is covered by tests/op_cases
// (elementwise_cases.cc) against the real TFLite goldens. Each refusal below
// was checked on ../shared/oracle (TFLite aborts or fails to initialize).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "interpreter/interpreter.h"
#include "interpreter/model.h"
#include "interpreter/op_resolver.h"
#include "testing/model_builder.h"

namespace systole {
namespace {

using testing::ArithmeticOptions;
using testing::ModelBuilder;
using testing::Quant;

// Builds a one-op binary model and returns the AllocateTensors status.
Status PrepareBinary(tflite::BuiltinOperator op, tflite::TensorType type,
                     const std::vector<int32_t>& a, const std::vector<int32_t>& b,
                     const std::vector<int32_t>& out, float out_scale = 0.1f) {
  ModelBuilder mb;
  const int x = mb.AddTensor("a", type, a, Quant::PerTensor(0.05f, 3));
  const int y = mb.AddTensor("b", type, b, Quant::PerTensor(0.05f, 3));
  const int o = mb.AddTensor("o", type, out, Quant::PerTensor(out_scale, 3));
  mb.AddOperator(op, 2, {x, y}, {o}, ArithmeticOptions{});
  mb.SetInputs({x, y});
  mb.SetOutputs({o});
  std::vector<uint8_t> bytes = mb.Finish();
  EXPECT_TRUE(mb.ok()) << mb.error();
  auto model = Model::FromBuffer(std::move(bytes));
  EXPECT_TRUE(model.ok()) << model.status().message();
  if (!model.ok()) return model.status();
  BuiltinOpResolver resolver(TfliteFlavor::kRuy);
  auto interp = Interpreter::Create(**model, resolver);
  if (!interp.ok()) return interp.status();
  return (*interp)->AllocateTensors();
}

TEST(ElementwiseTest, AcceptsFivefoldBroadcastAtAnyRank) {
  // ProcessBroadcastShapes folds these into its five-level loop.
  EXPECT_TRUE(PrepareBinary(tflite::BuiltinOperator_ADD, tflite::TensorType_INT8,
                            {1, 1, 2, 3, 2, 2}, {2, 1, 1, 1, 1, 2}, {2, 1, 2, 3, 2, 2})
                  .ok());
  EXPECT_TRUE(PrepareBinary(tflite::BuiltinOperator_MUL, tflite::TensorType_UINT8,
                            {1, 2, 3, 2, 4}, {4}, {1, 2, 3, 2, 4}, 0.01f)
                  .ok());
}

TEST(ElementwiseTest, RejectsGenericBroadcastAbove4DForAddAndMul) {
  for (auto op : {tflite::BuiltinOperator_ADD, tflite::BuiltinOperator_MUL}) {
    const Status s = PrepareBinary(op, tflite::TensorType_INT8, {2, 1, 3, 2, 2},
                                   {1, 4, 1, 1, 1}, {2, 4, 3, 2, 2}, 0.01f);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.message().find("at most 4 dimensions"), std::string::npos) << s.message();
  }
  // The same pattern at rank 4 is fine.
  EXPECT_TRUE(PrepareBinary(tflite::BuiltinOperator_ADD, tflite::TensorType_INT8, {2, 1, 3, 2},
                            {1, 4, 1, 1}, {2, 4, 3, 2})
                  .ok());
}

TEST(ElementwiseTest, SubBroadcastsUpTo5D) {
  EXPECT_TRUE(PrepareBinary(tflite::BuiltinOperator_SUB, tflite::TensorType_UINT8,
                            {2, 1, 3, 2, 2}, {1, 4, 1, 1, 1}, {2, 4, 3, 2, 2})
                  .ok());
  const Status s = PrepareBinary(tflite::BuiltinOperator_SUB, tflite::TensorType_INT8,
                                 {1, 2, 1, 2, 3, 2}, {2}, {1, 2, 1, 2, 3, 2});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("SUB"), std::string::npos) << s.message();
  // Equal shapes need no broadcast and work at 6-D.
  EXPECT_TRUE(PrepareBinary(tflite::BuiltinOperator_SUB, tflite::TensorType_INT8,
                            {1, 2, 1, 2, 3, 2}, {1, 2, 1, 2, 3, 2}, {1, 2, 1, 2, 3, 2})
                  .ok());
}

TEST(ElementwiseTest, RejectsIncompatibleShapes) {
  const Status s = PrepareBinary(tflite::BuiltinOperator_ADD, tflite::TensorType_INT8, {2, 3},
                                 {4, 3}, {4, 3});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("not broadcastable"), std::string::npos) << s.message();
}

TEST(ElementwiseTest, RejectsOutputScaleTooSmallForAdd) {
  // 2 * max(s1, s2) / (2^20 * s_out) >= 1: TFLite's QuantizeMultiplierSmallerThanOneExp
  // would CHECK-fail.
  const Status s = PrepareBinary(tflite::BuiltinOperator_ADD, tflite::TensorType_INT8, {4}, {4},
                                 {4}, 1e-8f);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("output multiplier"), std::string::npos) << s.message();
}

// float32 and int32 are arith_typed.cc's (typed_kernels_test.cc); int16 is
// still refused.
TEST(ElementwiseTest, RejectsInt16) {
  const Status s = PrepareBinary(tflite::BuiltinOperator_MUL, tflite::TensorType_INT16, {4},
                                 {4}, {4});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("INT16"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace systole
