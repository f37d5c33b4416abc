// float32 and int32 SUM, MEAN, REDUCE_MAX and REDUCE_MIN: single, multiple,
// negative and repeated axis lists (an empty one is a 0-element constant, which
// Systole's model loader treats as an unwritten tensor: not covered), keep_dims on and off, 1-D to 5-D,
// and float edge values (NaN, infinities, signed zeros) in the reduced data.
#include <string>
#include <vector>

#include "tests/op_cases/typed_case_util.h"

namespace systole {
namespace testing {
namespace {

using namespace typed_cases;  // NOLINT

struct RedOp {
  tflite::BuiltinOperator op;
  const char* name;
};
const RedOp kOps[] = {
    {tflite::BuiltinOperator_SUM, "sum"},
    {tflite::BuiltinOperator_MEAN, "mean"},
    {tflite::BuiltinOperator_REDUCE_MAX, "reduce_max"},
    {tflite::BuiltinOperator_REDUCE_MIN, "reduce_min"},
};

std::vector<int32_t> OutShape(const std::vector<int32_t>& in, const std::vector<int32_t>& axes,
                              bool keep) {
  std::vector<bool> red(in.size(), false);
  for (int32_t a : axes) red[a < 0 ? a + static_cast<int32_t>(in.size()) : a] = true;
  std::vector<int32_t> out;
  for (size_t d = 0; d < in.size(); ++d) {
    if (!red[d]) {
      out.push_back(in[d]);
    } else if (keep) {
      out.push_back(1);
    }
  }
  return out;
}

std::string AxesTag(const std::vector<int32_t>& axes) {
  std::string s = "ax";
  if (axes.empty()) return s + "none";
  for (int32_t a : axes) s += (a < 0 ? "m" + std::to_string(-a) : std::to_string(a));
  return s;
}

void AddReduce(OpCaseList* cases, const RedOp& op, tflite::TensorType type,
               const std::vector<int32_t>& shape, const std::vector<int32_t>& axes, bool keep,
               float scale = 100.0f) {
  ModelBuilder b;
  const int x = b.AddTensor("x", type, shape);
  int src = x;
  if (type == kF32) {
    const int s = b.AddConstTensor("scale", kF32, {}, std::vector<float>{scale});
    src = b.AddTensor("xs", kF32, shape);
    b.AddOperator(tflite::BuiltinOperator_MUL, 1, {x, s}, {src});
  } else {
    // Keep int32 sums of MEAN meaningful: seeded int32 values are full range
    // (SUM wraps; MEAN sums in int64).
  }
  const int ax = b.AddConstInt32("axes", axes);
  const std::vector<int32_t> so = OutShape(shape, axes, keep);
  const int out = b.AddTensor("out", type, so);
  ReducerOptions o;
  o.keep_dims = keep;
  b.AddOperator(op.op, 1, {src, ax}, {out}, o);
  FinishTypedCase(cases,
                  std::string(op.name) + "/" + Tag(type) + "_" + ShapeTag(shape) + "_" +
                      AxesTag(axes) + (keep ? "_keep" : ""),
                  &b, {x}, {out}, {type}, {so});
}

void AddEdges(OpCaseList* cases, const RedOp& op) {
  ModelBuilder b;
  const std::vector<float> e = FloatEdges();
  const int32_t n = static_cast<int32_t>(e.size());
  // Rows: each edge value alone with the seeded inputs, and pairs of edges.
  std::vector<float> data;
  for (int32_t i = 0; i < n; ++i) {
    data.push_back(e[i]);
    data.push_back(e[(i + 1) % n]);
    data.push_back(e[(i + 7) % n]);
  }
  const int c = b.AddConstTensor("edges", kF32, {n, 3}, data);
  const int x = b.AddTensor("x", kF32, {n, 2});
  const int cat = b.AddTensor("cat", kF32, {n, 5});
  ConcatenationOptions co;
  co.axis = 1;
  b.AddOperator(tflite::BuiltinOperator_CONCATENATION, 1, {c, x}, {cat}, co);
  const int ax = b.AddConstInt32("axes", {1});
  const int out = b.AddTensor("out", kF32, {n});
  b.AddOperator(op.op, 1, {cat, ax}, {out}, ReducerOptions{});
  FinishTypedCase(cases, std::string(op.name) + "/f32_edges", &b, {x}, {out}, {kF32}, {{n}});
}

}  // namespace

void AddReduceCases(OpCaseList* cases) {
  struct Shape {
    std::vector<int32_t> shape;
    std::vector<int32_t> axes;
  };
  const Shape shapes[] = {
      {{37}, {0}},
      {{4, 9}, {1}},
      {{4, 9}, {0}},
      {{4, 9}, {-1}},
      {{2, 3, 5}, {0, 2}},
      {{2, 3, 5}, {2, 0, -1}},
      {{1, 6, 6, 8}, {1, 2}},
      {{2, 4, 4, 3}, {1, 2}},
      {{2, 3, 4, 5}, {0, 1, 2, 3}},
      {{2, 2, 3, 2, 2}, {1, 3}},
  };
  for (const RedOp& op : kOps) {
    for (tflite::TensorType type : {kF32, kI32}) {
      for (const Shape& s : shapes) {
        AddReduce(cases, op, type, s.shape, s.axes, false);
        if (s.shape.size() >= 2) AddReduce(cases, op, type, s.shape, s.axes, true);
      }
    }
    AddEdges(cases, op);
  }
}

}  // namespace testing
}  // namespace systole
