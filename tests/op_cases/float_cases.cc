// float32 unary cases: SQRT, RSQRT, EXP, LOG, ABS, NEG, SQUARE, LOGISTIC,
// TANH, RELU, RELU6 and SOFTMAX (several betas and depths), each on the
// oracle's seeded inputs scaled to a useful range (a MUL by a constant), and
// on the float edge values (NaN, infinities, signed zeros, extremes,
// denormals) concatenated after a few seeded inputs; NEG also on int32.
#include <string>
#include <vector>

#include "tests/op_cases/typed_case_util.h"

namespace systole {
namespace testing {
namespace {

using namespace typed_cases;  // NOLINT

struct UnaryOp {
  tflite::BuiltinOperator op;
  const char* name;
  int version;
};

const UnaryOp kOps[] = {
    {tflite::BuiltinOperator_SQRT, "sqrt", 1},       {tflite::BuiltinOperator_RSQRT, "rsqrt", 1},
    {tflite::BuiltinOperator_EXP, "exp", 1},         {tflite::BuiltinOperator_LOG, "log", 1},
    {tflite::BuiltinOperator_ABS, "abs", 1},         {tflite::BuiltinOperator_NEG, "neg", 1},
    {tflite::BuiltinOperator_SQUARE, "square", 1},   {tflite::BuiltinOperator_LOGISTIC, "logistic", 1},
    {tflite::BuiltinOperator_TANH, "tanh", 1},       {tflite::BuiltinOperator_RELU, "relu", 1},
    {tflite::BuiltinOperator_RELU6, "relu6", 1},     {tflite::BuiltinOperator_SOFTMAX, "softmax", 1},
};

// in * scale (+ offset) -> op.
void AddScaled(OpCaseList* cases, const UnaryOp& u, const std::vector<int32_t>& shape, float scale,
               float offset, const std::string& variant, const OpOptions& options = NoOptions{}) {
  ModelBuilder b;
  const int x = b.AddTensor("in", kF32, shape);
  int src = x;
  if (scale != 1.0f) {
    const int s = b.AddConstTensor("scale", kF32, {}, std::vector<float>{scale});
    src = b.AddTensor("scaled", kF32, shape);
    b.AddOperator(tflite::BuiltinOperator_MUL, 1, {x, s}, {src});
  }
  if (offset != 0.0f) {
    const int o = b.AddConstTensor("offset", kF32, {}, std::vector<float>{offset});
    const int t = b.AddTensor("shifted", kF32, shape);
    b.AddOperator(tflite::BuiltinOperator_ADD, 1, {src, o}, {t});
    src = t;
  }
  const int out = b.AddTensor("out", kF32, shape);
  b.AddOperator(u.op, u.version, {src}, {out}, options);
  FinishTypedCase(cases, std::string(u.name) + "/f32_" + ShapeTag(shape) + "_" + variant, &b, {x},
                  {out}, {kF32}, {shape});
}

void AddEdges(OpCaseList* cases, const UnaryOp& u) {
  ModelBuilder b;
  const std::vector<float> edges = FloatEdges();
  const int32_t n = static_cast<int32_t>(edges.size());
  const int x = b.AddTensor("in", kF32, {6});
  const int e = b.AddConstTensor("edges", kF32, {n}, edges);
  const int cat = b.AddTensor("cat", kF32, {n + 6});
  b.AddOperator(tflite::BuiltinOperator_CONCATENATION, 1, {x, e}, {cat}, ConcatenationOptions{});
  const int out = b.AddTensor("out", kF32, {n + 6});
  b.AddOperator(u.op, u.version, {cat}, {out});
  FinishTypedCase(cases, std::string(u.name) + "/f32_edges", &b, {x}, {out}, {kF32}, {{n + 6}});
}

}  // namespace

void AddFloatCases(OpCaseList* cases) {
  for (const UnaryOp& u : kOps) {
    const bool softmax = u.op == tflite::BuiltinOperator_SOFTMAX;
    const bool positive_only = u.op == tflite::BuiltinOperator_SQRT ||
                               u.op == tflite::BuiltinOperator_RSQRT ||
                               u.op == tflite::BuiltinOperator_LOG;
    AddScaled(cases, u, {2, 3, 16}, 1.0f, 0.0f, "unit");
    AddScaled(cases, u, {257}, 12.0f, 0.0f, "x12");
    if (positive_only) AddScaled(cases, u, {4, 33}, 50.0f, 50.0f, "pos");
    if (!softmax) AddScaled(cases, u, {1, 5, 5, 3}, 1000.0f, 0.0f, "x1000");
    if (!softmax) AddEdges(cases, u);
    if (softmax) {
      for (float beta : {0.5f, 2.0f, 1e-3f}) {
        SoftmaxOptions o;
        o.beta = beta;
        AddScaled(cases, u, {3, 10}, 8.0f, 0.0f, "beta" + std::to_string(beta).substr(0, 5), o);
      }
      AddScaled(cases, u, {2, 2, 1001}, 30.0f, 0.0f, "deep");
      AddScaled(cases, u, {7, 1}, 5.0f, 0.0f, "depth1");
    }
  }
  // NEG on int32 (wraps at INT32_MIN).
  {
    ModelBuilder b;
    const int x = b.AddTensor("in", kI32, {2, 40});
    const int out = b.AddTensor("out", kI32, {2, 40});
    b.AddOperator(tflite::BuiltinOperator_NEG, 1, {x}, {out});
    FinishTypedCase(cases, "neg/i32_2x40", &b, {x}, {out}, {kI32}, {{2, 40}});
  }
}

}  // namespace testing
}  // namespace systole
