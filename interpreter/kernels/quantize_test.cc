// QUANTIZE / DEQUANTIZE: type combinations and quantizations outside what the
// matched TensorFlow Lite supports are refused in Prepare with the op and the
// types named. Bit-exactness is covered by tests/op_cases (quantize_cases.cc).
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

Status PrepareConvert(tflite::BuiltinOperator op, tflite::TensorType in_type, const Quant& qin,
                      tflite::TensorType out_type, const Quant& qout,
                      const std::vector<int32_t>& in_shape = {2, 3}) {
  ModelBuilder mb;
  const int x = mb.AddTensor("a", in_type, in_shape, qin);
  const int o = mb.AddTensor("o", out_type, {2, 3}, qout);
  mb.AddOperator(op, 2, {x}, {o});
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

TEST(QuantizeTest, AcceptsSupportedCombinations) {
  const Quant q8 = Quant::PerTensor(0.05f, 3);
  const Quant qu8 = Quant::PerTensor(0.05f, 130);
  EXPECT_TRUE(PrepareConvert(tflite::BuiltinOperator_QUANTIZE, tflite::TensorType_FLOAT32,
                             Quant::None(), tflite::TensorType_INT8, q8)
                  .ok());
  EXPECT_TRUE(PrepareConvert(tflite::BuiltinOperator_QUANTIZE, tflite::TensorType_UINT8, qu8,
                             tflite::TensorType_INT8, q8)
                  .ok());
  EXPECT_TRUE(PrepareConvert(tflite::BuiltinOperator_DEQUANTIZE, tflite::TensorType_UINT8, qu8,
                             tflite::TensorType_FLOAT32, Quant::None())
                  .ok());
}

TEST(QuantizeTest, RejectsUnsupportedTypes) {
  Status s = PrepareConvert(tflite::BuiltinOperator_QUANTIZE, tflite::TensorType_INT8,
                            Quant::PerTensor(0.05f, 3), tflite::TensorType_FLOAT32, Quant::None());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("QUANTIZE: input type INT8 with output type FLOAT32"),
            std::string::npos)
      << s.message();
  s = PrepareConvert(tflite::BuiltinOperator_DEQUANTIZE, tflite::TensorType_INT8,
                     Quant::PerTensor(0.05f, 3), tflite::TensorType_UINT8,
                     Quant::PerTensor(0.05f, 3));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("DEQUANTIZE"), std::string::npos) << s.message();
}

TEST(QuantizeTest, PerChannelOnlyForFloatQuantizeAndDequantize) {
  const Quant pc = Quant::PerChannel({0.1f, 0.2f, 0.3f}, std::vector<int64_t>{0, 0, 0}, 1);
  EXPECT_TRUE(PrepareConvert(tflite::BuiltinOperator_QUANTIZE, tflite::TensorType_FLOAT32,
                             Quant::None(), tflite::TensorType_INT8, pc)
                  .ok());
  EXPECT_TRUE(PrepareConvert(tflite::BuiltinOperator_DEQUANTIZE, tflite::TensorType_INT8, pc,
                             tflite::TensorType_FLOAT32, Quant::None())
                  .ok());
  const Status s = PrepareConvert(tflite::BuiltinOperator_QUANTIZE, tflite::TensorType_INT8,
                                  Quant::PerTensor(0.05f, 3), tflite::TensorType_INT8, pc);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("per-channel"), std::string::npos) << s.message();
}

// The output takes the input's shape, so a per-channel output must find its
// channels there, not only in its declared shape (model_fuzz: a scalar input
// with a per-channel [1,2,2,3] output read dimension 3 of a rank-0 tensor).
TEST(QuantizeTest, PerChannelOutputMustMatchTheInputShape) {
  const Quant pc = Quant::PerChannel({0.1f, 0.2f, 0.3f}, std::vector<int64_t>{0, 0, 0}, 1);
  for (const std::vector<int32_t>& shape : {std::vector<int32_t>{}, std::vector<int32_t>{3, 2},
                                            std::vector<int32_t>{6}}) {
    const Status s = PrepareConvert(tflite::BuiltinOperator_QUANTIZE, tflite::TensorType_FLOAT32,
                                    Quant::None(), tflite::TensorType_INT8, pc, shape);
    ASSERT_FALSE(s.ok()) << "input rank " << shape.size();
    EXPECT_NE(s.message().find("do not match the input's shape"), std::string::npos) << s.message();
  }
}

}  // namespace
}  // namespace systole
