#include "testing/test_models.h"

#include <cstdio>

#include "testing/model_builder.h"

namespace systole::testing {

std::vector<uint8_t> DiamondModel() {
  ModelBuilder b;
  auto q = [](float s, int z) { return Quant::PerTensor(s, z); };
  const auto kI8 = tflite::TensorType_INT8;
  const int in0 = b.AddTensor("in0", kI8, {1, 4, 4, 3}, q(0.05f, -2));
  const int in1 = b.AddTensor("in1", kI8, {1, 4, 4, 3}, q(0.04f, 3));
  const int a = b.AddTensor("a", kI8, {1, 4, 4, 3}, q(0.09f, 1));
  const int m = b.AddTensor("b", kI8, {1, 4, 4, 3}, q(0.03f, 0));
  const int c = b.AddTensor("c", kI8, {1, 4, 4, 3}, q(0.12f, -5));
  const int d = b.AddTensor("d", kI8, {1, 4, 4, 3}, q(0.1f, 4));
  b.AddOperator(tflite::BuiltinOperator_ADD, 1, {in0, in1}, {a});
  b.AddOperator(tflite::BuiltinOperator_MUL, 1, {in0, in1}, {m});
  b.AddOperator(tflite::BuiltinOperator_ADD, 1, {a, m}, {c});
  b.AddOperator(tflite::BuiltinOperator_ADD, 1, {in0, in0}, {d});
  b.SetInputs({in0, in1});
  b.SetOutputs({c, d});
  std::vector<uint8_t> bytes = b.Finish();
  if (!b.ok()) {
    std::fprintf(stderr, "DiamondModel: %s\n", b.error().c_str());
    return {};
  }
  return bytes;
}

}  // namespace systole::testing
