// CAST cases: every pair of float32, int8, uint8, int16, int32, int64 and
// bool (inputs from the oracle's seeded stream: floats in [-1, 1) scaled by a
// MUL so that they span the integer ranges, integers over their whole
// range), and float32 edge values (NaN, infinities, signed zeros, ties, values
// past each integer type's range) into every other type. int64 inputs come
// from a CAST int32 -> int64 inside the model; int64 outputs are cast back to
// int32 for the oracle (typed_case_util.h).
#include <string>
#include <vector>

#include "tests/op_cases/typed_case_util.h"

namespace systole {
namespace testing {
namespace {

using namespace typed_cases;  // NOLINT

const tflite::TensorType kTypes[] = {kF32, kI8, kU8, kI16, kI32, kI64, kBool};

// Source tensor of type `from` with `shape`: a model input, or a CAST of an
// int32 input for int64. Returns the tensor; *input is the model input.
int Source(ModelBuilder* b, tflite::TensorType from, const std::vector<int32_t>& shape,
           float float_scale, int* input) {
  if (from == kI64) {
    *input = b->AddTensor("in", kI32, shape);
    const int t = b->AddTensor("in_i64", kI64, shape);
    b->AddOperator(tflite::BuiltinOperator_CAST, 1, {*input}, {t});
    return t;
  }
  if (from == kF32 && float_scale != 1.0f) {
    *input = b->AddTensor("in", kF32, shape);
    const int s = b->AddConstTensor("scale", kF32, {}, std::vector<float>{float_scale});
    const int t = b->AddTensor("scaled", kF32, shape);
    b->AddOperator(tflite::BuiltinOperator_MUL, 1, {*input, s}, {t});
    return t;
  }
  *input = b->AddTensor("in", from, shape);
  return *input;
}

void AddPair(OpCaseList* cases, tflite::TensorType from, tflite::TensorType to,
             const std::vector<int32_t>& shape, float float_scale, const std::string& variant) {
  ModelBuilder b;
  int input = -1;
  const int src = Source(&b, from, shape, float_scale, &input);
  const int out = b.AddTensor("out", to, shape);
  b.AddOperator(tflite::BuiltinOperator_CAST, 1, {src}, {out});
  FinishTypedCase(cases, "cast/" + Tag(from) + "_to_" + Tag(to) + "_" + variant, &b, {input},
                  {out}, {to}, {shape});
}

void AddFloatEdges(OpCaseList* cases, tflite::TensorType to) {
  ModelBuilder b;
  const std::vector<float> edges = FloatEdges();
  const int32_t n = static_cast<int32_t>(edges.size());
  const int x = b.AddTensor("in", kF32, {4});
  const int e = b.AddConstTensor("edges", kF32, {n}, edges);
  const int cat = b.AddTensor("cat", kF32, {n + 4});
  b.AddOperator(tflite::BuiltinOperator_CONCATENATION, 1, {x, e}, {cat}, ConcatenationOptions{});
  const int out = b.AddTensor("out", to, {n + 4});
  b.AddOperator(tflite::BuiltinOperator_CAST, 1, {cat}, {out});
  FinishTypedCase(cases, "cast/f32_to_" + Tag(to) + "_edges", &b, {x}, {out}, {to}, {{n + 4}});
}

void AddInt32Edges(OpCaseList* cases, tflite::TensorType to) {
  ModelBuilder b;
  const std::vector<int32_t> edges = Int32Edges();
  const int32_t n = static_cast<int32_t>(edges.size());
  const int x = b.AddTensor("in", kI32, {3});
  const int e = b.AddConstTensor("edges", kI32, {n}, edges);
  const int cat = b.AddTensor("cat", kI32, {n + 3});
  b.AddOperator(tflite::BuiltinOperator_CONCATENATION, 1, {x, e}, {cat}, ConcatenationOptions{});
  const int out = b.AddTensor("out", to, {n + 3});
  b.AddOperator(tflite::BuiltinOperator_CAST, 1, {cat}, {out});
  FinishTypedCase(cases, "cast/i32_to_" + Tag(to) + "_edges", &b, {x}, {out}, {to}, {{n + 3}});
}

}  // namespace

void AddCastCases(OpCaseList* cases) {
  for (tflite::TensorType from : kTypes) {
    for (tflite::TensorType to : kTypes) {
      if (from == to) continue;
      AddPair(cases, from, to, {2, 3, 7}, 1.0f, "unit");
      if (from == kF32) {
        AddPair(cases, from, to, {64}, 200.0f, "x200");
        AddPair(cases, from, to, {5, 13}, 70000.0f, "x70000");
      }
    }
  }
  for (tflite::TensorType to : kTypes) {
    if (to != kF32) AddFloatEdges(cases, to);
    if (to != kI32) AddInt32Edges(cases, to);
  }
  // Scalars and empty-ish shapes.
  AddPair(cases, kI32, kF32, {}, 1.0f, "scalar");
  AddPair(cases, kF32, kI32, {1, 1, 1, 1}, 1000.0f, "4d_one");
}

}  // namespace testing
}  // namespace systole
