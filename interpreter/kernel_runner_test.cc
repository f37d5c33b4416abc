#include "interpreter/kernel_runner.h"

#include <gtest/gtest.h>

#include <set>

#include "interpreter/interpreter.h"
#include "interpreter/model.h"
#include "interpreter/op_resolver.h"
#include "schema/tflite_generated.h"
#include "testing/model_builder.h"

namespace systole {
namespace {

struct Case {
  tflite::BuiltinOperator op;
  TfLiteType type;
  float in_scale;
  int32_t in_zp;
  float out_scale;
  int32_t out_zp;
};

// The same kernel on all 256 inputs, once in a one-op model through the
// interpreter and once through KernelRunner: identical bytes.
std::vector<uint8_t> ThroughInterpreter(const Case& c, TfliteFlavor flavor) {
  testing::ModelBuilder b;
  const tflite::TensorType t = c.type == kTfLiteUInt8 ? tflite::TensorType_UINT8 : tflite::TensorType_INT8;
  const int x = b.AddTensor("x", t, {1, 256}, testing::Quant::PerTensor(c.in_scale, c.in_zp));
  const int y = b.AddTensor("y", t, {1, 256}, testing::Quant::PerTensor(c.out_scale, c.out_zp));
  b.AddOperator(c.op, 1, {x}, {y});
  b.SetInputs({x});
  b.SetOutputs({y});
  EXPECT_TRUE(b.ok()) << b.error();
  auto model = Model::FromBuffer(b.Finish(), "one op");
  EXPECT_TRUE(model.ok());
  BuiltinOpResolver resolver(flavor);
  auto interp = Interpreter::Create(**model, resolver);
  EXPECT_TRUE(interp.ok());
  EXPECT_TRUE((*interp)->AllocateTensors().ok());
  uint8_t* in = reinterpret_cast<uint8_t*>((*interp)->input_tensor(0)->data.raw);
  for (int i = 0; i < 256; ++i) in[i] = static_cast<uint8_t>(i);
  EXPECT_TRUE((*interp)->Invoke().ok());
  const uint8_t* out = reinterpret_cast<const uint8_t*>((*interp)->output_tensor(0)->data.raw);
  return std::vector<uint8_t>(out, out + 256);
}

std::vector<uint8_t> ThroughRunner(const Case& c, TfliteFlavor flavor) {
  KernelRunner r(flavor, c.op);
  const int x = r.AddTensor(c.type, {1, 256}, c.in_scale, c.in_zp);
  const int y = r.AddTensor(c.type, {1, 256}, c.out_scale, c.out_zp);
  Status s = r.Prepare({x}, {y}, nullptr);
  EXPECT_TRUE(s.ok()) << s.ToString();
  for (int i = 0; i < 256; ++i) r.data(x)[i] = static_cast<uint8_t>(i);
  s = r.Invoke();
  EXPECT_TRUE(s.ok()) << s.ToString();
  return std::vector<uint8_t>(r.data(y), r.data(y) + 256);
}

TEST(KernelRunner, RunsTheKernelTheInterpreterRuns) {
  const Case cases[] = {
      {tflite::BuiltinOperator_LOGISTIC, kTfLiteInt8, 0.05f, 3, 1.f / 256, -128},
      {tflite::BuiltinOperator_TANH, kTfLiteUInt8, 0.03f, 120, 1.f / 128, 128},
      {tflite::BuiltinOperator_HARD_SWISH, kTfLiteInt8, 0.04f, -5, 0.03f, -20},
      {tflite::BuiltinOperator_QUANTIZE, kTfLiteInt8, 0.02f, 7, 0.05f, -3},
  };
  for (TfliteFlavor flavor : {TfliteFlavor::kRuy, TfliteFlavor::kX86, TfliteFlavor::kXnnpack})
    for (const Case& c : cases) {
      const std::vector<uint8_t> got = ThroughRunner(c, flavor);
      EXPECT_EQ(got, ThroughInterpreter(c, flavor))
          << tflite::EnumNameBuiltinOperator(c.op) << " in flavor " << TfliteFlavorName(flavor);
      EXPECT_GT(std::set<uint8_t>(got.begin(), got.end()).size(), 16u);  // a table, not a constant
    }
}

TEST(KernelRunner, ResizesOutputsInPrepareAndReportsKernelErrors) {
  // RESIZE_NEAREST_NEIGHBOR sizes its output from the constant size input.
  KernelRunner r(TfliteFlavor::kRuy, tflite::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR, 3);
  const int x = r.AddTensor(kTfLiteInt8, {1, 2, 2, 1}, 1.0f, 0);
  const int size = r.AddConstInt32({4, 4});
  const int y = r.AddTensor(kTfLiteInt8, {1, 1, 1, 1}, 1.0f, 0);
  TfLiteResizeNearestNeighborParams p{};
  ASSERT_TRUE(r.Prepare({x, size}, {y}, &p).ok());
  EXPECT_EQ(r.tensor(y)->bytes, 16u);
  for (int i = 0; i < 4; ++i) r.data(x)[i] = static_cast<uint8_t>(i);
  ASSERT_TRUE(r.Invoke().ok());
  EXPECT_EQ(r.data(y)[15], 3);

  // Mixed types: the kernel's prepare refuses, and the message says so.
  KernelRunner bad(TfliteFlavor::kRuy, tflite::BuiltinOperator_LOGISTIC);
  const int a = bad.AddTensor(kTfLiteInt8, {1, 4}, 0.1f, 0);
  const int o = bad.AddTensor(kTfLiteUInt8, {1, 4}, 1.f / 256, 0);
  Status s = bad.Prepare({a}, {o}, nullptr);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("LOGISTIC kernel prepare failed"), std::string::npos) << s.ToString();
  EXPECT_FALSE(bad.Invoke().ok());
}

}  // namespace
}  // namespace systole
