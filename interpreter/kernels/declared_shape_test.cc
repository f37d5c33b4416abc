// An untrusted model may declare a GEMM-class output with fewer channels than
// the kernel computes; Prepare resizes the output (as TFLite does), and every
// per-channel table the kernel builds must follow the computed count, in every
// flavor. model_fuzz found the XNNPACK requantization scales sized from the
// declared shape (a heap read past the end under ASan).

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "interpreter/interpreter.h"
#include "interpreter/model.h"
#include "interpreter/op_resolver.h"
#include "testing/model_builder.h"

namespace systole {
namespace {

using testing::ModelBuilder;
using testing::Quant;

enum class Gemm { kConv, kDepthwise, kFullyConnected };

// 20 output channels computed, 16 declared.
std::vector<uint8_t> DeclaredTooNarrow(Gemm kind) {
  ModelBuilder b;
  const auto i8 = tflite::TensorType_INT8;
  const int in = b.AddTensor("in", i8, {1, 4, 4, 20}, Quant::PerTensor(0.025f, 30));
  std::vector<int8_t> w;
  std::vector<int32_t> w_shape;
  int out = -1;
  if (kind == Gemm::kFullyConnected) {
    w_shape = {20, 320};
    out = b.AddTensor("out", i8, {1, 16}, Quant::PerTensor(0.1f, -12));
  } else {
    w_shape = kind == Gemm::kConv ? std::vector<int32_t>{20, 2, 2, 20} : std::vector<int32_t>{1, 2, 2, 20};
    out = b.AddTensor("out", i8, {1, 3, 3, 16}, Quant::PerTensor(0.1f, -12));
  }
  size_t n = 1;
  for (int d : w_shape) n *= static_cast<size_t>(d);
  for (size_t i = 0; i < n; ++i) w.push_back(static_cast<int8_t>(static_cast<int>(i * 7 % 255) - 127));
  const int filter = b.AddConstTensor("w", i8, w_shape, w, Quant::PerTensor(0.03f, 0));
  const int bias = b.AddConstTensor("b", tflite::TensorType_INT32, {20}, std::vector<int32_t>(20, 5),
                                    Quant::PerTensor(0.025f * 0.03f, 0));
  if (kind == Gemm::kConv) {
    testing::Conv2DOptions o;
    o.padding = tflite::Padding_VALID;
    b.AddOperator(tflite::BuiltinOperator_CONV_2D, 3, {in, filter, bias}, {out}, o);
  } else if (kind == Gemm::kDepthwise) {
    testing::DepthwiseConv2DOptions o;
    o.padding = tflite::Padding_VALID;
    b.AddOperator(tflite::BuiltinOperator_DEPTHWISE_CONV_2D, 3, {in, filter, bias}, {out}, o);
  } else {
    b.AddOperator(tflite::BuiltinOperator_FULLY_CONNECTED, 4, {in, filter, bias}, {out});
  }
  b.SetInputs({in});
  b.SetOutputs({out});
  EXPECT_TRUE(b.ok()) << b.error();
  return b.Finish();
}

TEST(DeclaredShape, GemmOutputWithFewerChannelsThanComputed) {
  for (Gemm kind : {Gemm::kConv, Gemm::kDepthwise, Gemm::kFullyConnected}) {
    for (TfliteFlavor flavor : {TfliteFlavor::kRuy, TfliteFlavor::kX86, TfliteFlavor::kXnnpack}) {
      SCOPED_TRACE(::testing::Message() << "kind " << static_cast<int>(kind) << ", flavor "
                                        << static_cast<int>(flavor));
      auto model = Model::FromBuffer(DeclaredTooNarrow(kind), "declared too narrow");
      ASSERT_TRUE(model.ok()) << model.status().ToString();
      BuiltinOpResolver resolver(flavor);
      auto interp = Interpreter::Create(**model, resolver);
      ASSERT_TRUE(interp.ok()) << interp.status().ToString();
      Interpreter& in = **interp;
      const Status s = in.AllocateTensors();
      ASSERT_TRUE(s.ok()) << s.ToString();
      const TfLiteTensor* out = in.output_tensor(0);
      EXPECT_EQ(out->dims->data[out->dims->size - 1], 20);
      std::vector<int8_t> x(in.input_tensor(0)->bytes, 11);
      std::copy(x.begin(), x.end(), in.input_tensor(0)->data.int8);
      ASSERT_TRUE(in.Invoke().ok());
    }
  }
}

}  // namespace
}  // namespace systole
