// The tensor arena keeps graph inputs intact, as TFLite does: Subgraph builds
// its ArenaPlanner with preserve_inputs = true, so a caller may read an input
// back after Invoke, or Invoke again without setting it, and get the same
// answer.

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "interpreter/interpreter.h"
#include "interpreter/model.h"
#include "interpreter/op_resolver.h"
#include "schema/tflite_generated.h"
#include "testing/model_builder.h"

namespace systole {
namespace {

// x -> RELU -> a -> RELU6 -> b -> RELU -> y. x is read only by step 0, so an
// arena that ends its life there reuses its bytes for b.
std::vector<uint8_t> ChainModel() {
  testing::ModelBuilder b;
  const auto t = tflite::TensorType_INT8;
  const int x = b.AddTensor("x", t, {1, 256}, testing::Quant::PerTensor(0.05f, 3));
  const int a = b.AddTensor("a", t, {1, 256}, testing::Quant::PerTensor(0.03f, -7));
  const int m = b.AddTensor("b", t, {1, 256}, testing::Quant::PerTensor(0.02f, 5));
  const int y = b.AddTensor("y", t, {1, 256}, testing::Quant::PerTensor(0.04f, -2));
  b.AddOperator(tflite::BuiltinOperator_RELU, 1, {x}, {a});
  b.AddOperator(tflite::BuiltinOperator_RELU6, 1, {a}, {m});
  b.AddOperator(tflite::BuiltinOperator_RELU, 1, {m}, {y});
  b.SetInputs({x});
  b.SetOutputs({y});
  EXPECT_TRUE(b.ok()) << b.error();
  return b.Finish();
}

TEST(InterpreterArena, GraphInputsSurviveInvoke) {
  auto model = Model::FromBuffer(ChainModel(), "relu chain");
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  BuiltinOpResolver resolver(TfliteFlavor::kRuy);
  auto interp = Interpreter::Create(**model, resolver);
  ASSERT_TRUE(interp.ok()) << interp.status().ToString();
  Interpreter& in = **interp;
  ASSERT_TRUE(in.AllocateTensors().ok());

  uint8_t* x = reinterpret_cast<uint8_t*>(in.input_tensor(0)->data.raw);
  const uint8_t* y = reinterpret_cast<const uint8_t*>(in.output_tensor(0)->data.raw);
  std::vector<uint8_t> input(256);
  for (int i = 0; i < 256; ++i) input[i] = static_cast<uint8_t>(i * 37 + 11);
  std::copy(input.begin(), input.end(), x);

  ASSERT_TRUE(in.Invoke().ok());
  EXPECT_EQ(std::vector<uint8_t>(x, x + 256), input) << "Invoke overwrote the graph input";
  const std::vector<uint8_t> first(y, y + 256);

  // A second Invoke without touching the input gives the same output.
  ASSERT_TRUE(in.Invoke().ok());
  EXPECT_EQ(std::vector<uint8_t>(y, y + 256), first);
  EXPECT_EQ(std::vector<uint8_t>(x, x + 256), input);
}

}  // namespace
}  // namespace systole
