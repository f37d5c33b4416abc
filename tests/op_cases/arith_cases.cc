// float32 and int32 ADD, SUB, MUL, DIV, FLOOR_DIV and FLOOR_MOD: same shapes
// and broadcasts (either side, both sides, scalars, up to each op's rank
// limit), fused activations (NONE, RELU, RELU6, RELU_N1_TO_1 where TFLite has
// them), and all pairs of edge values (NaN, infinities, signed zeros, extremes;
// int32 extremes with wrap-around) via a broadcast of a constant column
// against a row that also holds seeded inputs. Integer divisors never contain
// 0 (TFLite rejects or traps on it: see the malformed-input tests).
#include <string>
#include <vector>

#include "tests/op_cases/typed_case_util.h"

namespace systole {
namespace testing {
namespace {

using namespace typed_cases;  // NOLINT

struct BinOp {
  tflite::BuiltinOperator op;
  const char* name;
  bool has_activation;
  bool divides;
};

const BinOp kOps[] = {
    {tflite::BuiltinOperator_ADD, "add", true, false},
    {tflite::BuiltinOperator_SUB, "sub", true, false},
    {tflite::BuiltinOperator_MUL, "mul", true, false},
    {tflite::BuiltinOperator_DIV, "div", true, true},
    {tflite::BuiltinOperator_FLOOR_DIV, "floor_div", false, true},
    {tflite::BuiltinOperator_FLOOR_MOD, "floor_mod", false, true},
};

std::vector<int32_t> Broadcast(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  const size_t rank = std::max(a.size(), b.size());
  std::vector<int32_t> out(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    const int32_t da = i < a.size() ? a[a.size() - 1 - i] : 1;
    const int32_t db = i < b.size() ? b[b.size() - 1 - i] : 1;
    out[rank - 1 - i] = da == 1 ? db : da;
  }
  return out;
}

// An integer divisor tensor: the seeded int32 input OR'ed away from 0 is not
// expressible in TFLite ops, so integer divisors are constants instead.
std::vector<int32_t> NonZeroInts(size_t n, uint32_t seed) {
  std::vector<int32_t> v = RandomInt32Data(n, seed, -50, 50);
  for (int32_t& x : v) {
    if (x == 0) x = 3;
  }
  return v;
}

OpOptions Options(const BinOp& op, tflite::ActivationFunctionType act) {
  if (!op.has_activation) return NoOptions{};
  ArithmeticOptions o;
  o.activation = act;
  return o;
}

std::string ActTag(tflite::ActivationFunctionType act) {
  switch (act) {
    case tflite::ActivationFunctionType_RELU: return "_relu";
    case tflite::ActivationFunctionType_RELU6: return "_relu6";
    case tflite::ActivationFunctionType_RELU_N1_TO_1: return "_relun1";
    default: return "";
  }
}

void AddShapes(OpCaseList* cases, const BinOp& op, tflite::TensorType type,
               const std::vector<int32_t>& s1, const std::vector<int32_t>& s2,
               tflite::ActivationFunctionType act = tflite::ActivationFunctionType_NONE,
               float scale = 10.0f) {
  ModelBuilder b;
  const std::vector<int32_t> so = Broadcast(s1, s2);
  const int x = b.AddTensor("x", type, s1);
  std::vector<int> inputs = {x};
  int x_src = x;
  int y;
  if (type == kI32 && op.divides) {
    y = b.AddConstTensor("y", kI32, s2, NonZeroInts(static_cast<size_t>(NumElements(s2)), 77));
  } else {
    y = b.AddTensor("y", type, s2);
    inputs.push_back(y);
  }
  if (type == kF32 && scale != 1.0f) {  // spread the [-1, 1) inputs
    const int s = b.AddConstTensor("scale", kF32, {}, std::vector<float>{scale});
    x_src = b.AddTensor("xs", kF32, s1);
    b.AddOperator(tflite::BuiltinOperator_MUL, 1, {x, s}, {x_src});
  }
  const int out = b.AddTensor("out", type, so);
  b.AddOperator(op.op, 1, {x_src, y}, {out}, Options(op, act));
  FinishTypedCase(cases,
                  std::string(op.name) + "/" + Tag(type) + "_" + ShapeTag(s1) + "_" + ShapeTag(s2) +
                      ActTag(act),
                  &b, inputs, {out}, {type}, {so});
}

// All pairs of edges: const column [n, 1] op (row [1, k + n] = seeded inputs
// then the edges).
void AddEdges(OpCaseList* cases, const BinOp& op, tflite::TensorType type) {
  ModelBuilder b;
  int col;
  int row_edges;
  int32_t n;
  if (type == kF32) {
    std::vector<float> e;
    for (float v : FloatEdges()) {
      if (op.op != tflite::BuiltinOperator_FLOOR_DIV || v != 0.0f) e.push_back(v);
    }
    n = static_cast<int32_t>(e.size());
    col = b.AddConstTensor("col", kF32, {n, 1}, e);
    row_edges = b.AddConstTensor("row_edges", kF32, {1, n}, e);
  } else {
    std::vector<int32_t> e = Int32Edges();
    std::vector<int32_t> d;
    for (int32_t v : e) {
      // No zero divisor; no INT32_MIN / -1 for DIV (it traps in TFLite).
      if (op.divides && v == 0) continue;  // (the float list keeps its zeros)
      if (op.op == tflite::BuiltinOperator_DIV && v == -1) continue;
      d.push_back(v);
    }
    n = static_cast<int32_t>(d.size());
    col = b.AddConstTensor("col", kI32, {n, 1}, d);
    row_edges = b.AddConstTensor("row_edges", kI32, {1, n}, d);
  }
  const int k = 5;
  const int x = b.AddTensor("x", type, {1, k});
  int row = b.AddTensor("row", type, {1, k + n});
  b.AddOperator(tflite::BuiltinOperator_CONCATENATION, 1, {x, row_edges}, {row},
                [] { ConcatenationOptions o; o.axis = 1; return o; }());
  const int out = b.AddTensor("out", type, {n, k + n});
  // Integer division: the seeded int32 values (which may be 0) are dividends.
  // FLOOR_DIV rejects zero divisors of every type: the edges divide instead.
  const bool int_div =
      (type == kI32 && op.divides) || op.op == tflite::BuiltinOperator_FLOOR_DIV;
  b.AddOperator(op.op, 1, {int_div ? row : col, int_div ? col : row}, {out},
                Options(op, tflite::ActivationFunctionType_NONE));
  FinishTypedCase(cases, std::string(op.name) + "/" + Tag(type) + "_edges", &b, {x}, {out}, {type},
                  {{n, k + n}});
}

}  // namespace

void AddArithCases(OpCaseList* cases) {
  const std::vector<std::pair<std::vector<int32_t>, std::vector<int32_t>>> shapes = {
      {{2, 3, 8}, {2, 3, 8}},       {{4, 17}, {17}},          {{17}, {4, 17}},
      {{3, 1, 5}, {1, 4, 1}},       {{2, 3, 4, 5}, {}},       {{}, {6, 7}},
      {{1, 2, 1, 3}, {2, 1, 4, 1}}, {{64}, {64}},
  };
  for (const BinOp& op : kOps) {
    for (tflite::TensorType type : {kF32, kI32}) {
      for (const auto& s : shapes) AddShapes(cases, op, type, s.first, s.second);
      if (op.has_activation) {
        for (auto act : {tflite::ActivationFunctionType_RELU, tflite::ActivationFunctionType_RELU6,
                         tflite::ActivationFunctionType_RELU_N1_TO_1}) {
          AddShapes(cases, op, type, {3, 11}, {11}, act);
        }
      }
      if (op.op == tflite::BuiltinOperator_ADD || op.op == tflite::BuiltinOperator_MUL ||
          op.op == tflite::BuiltinOperator_SUB) {
        AddShapes(cases, op, type, {2, 1, 3, 1}, {1, 4, 1, 2});  // generic 4-D broadcast
        AddShapes(cases, op, type, {2, 3, 1, 2, 2, 3}, {2, 3, 1, 2, 2, 3});  // 6-D, same shape
      }
      if (op.op == tflite::BuiltinOperator_DIV) {
        AddShapes(cases, op, type, {2, 1, 2, 3, 2}, {1, 3, 1, 3, 1});  // 5-D broadcast
      }
      AddEdges(cases, op, type);
    }
  }
}

}  // namespace testing
}  // namespace systole
