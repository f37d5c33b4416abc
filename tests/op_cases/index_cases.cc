// ARG_MAX / ARG_MIN (float32, int8, uint8, int32 and bool inputs; int32 and
// int64 outputs, the latter cast to int32 for the oracle; every axis,
// negative axes, int64 axis tensors; ties), GATHER (axis, batch_dims,
// int32/int64 positions, every supported params type), GATHER_ND,
// EXPAND_DIMS (every axis, any type) and TOPK_V2 (ties, k = 1, k = depth; k = 0 crashes TFLite),
// plus RESHAPE / SQUEEZE / TRANSPOSE / CONCATENATION on the wider types.
#include <string>
#include <vector>

#include "tests/op_cases/typed_case_util.h"

namespace systole {
namespace testing {
namespace {

using namespace typed_cases;  // NOLINT

int Count(const std::vector<int32_t>& s) { return static_cast<int>(NumElements(s)); }

// A model input of `type`; int64 via a CAST of an int32 input.
int Input(ModelBuilder* b, tflite::TensorType type, const std::vector<int32_t>& shape, int* in) {
  if (type == kI64) {
    *in = b->AddTensor("in", kI32, shape);
    const int t = b->AddTensor("in64", kI64, shape);
    b->AddOperator(tflite::BuiltinOperator_CAST, 1, {*in}, {t});
    return t;
  }
  *in = b->AddTensor("in", type, shape);
  return *in;
}

void AddArg(OpCaseList* cases, bool is_max, tflite::TensorType in_type,
            tflite::TensorType out_type, const std::vector<int32_t>& shape, int32_t axis,
            bool axis64 = false, bool ties = false) {
  ModelBuilder b;
  int in = -1;
  int x = Input(&b, in_type, shape, &in);
  if (ties) {  // few distinct values: many ties, the first must win
    const int s = b.AddConstTensor("scale", kF32, {}, std::vector<float>{2.0f});
    const int y = b.AddTensor("y", kF32, shape);
    b.AddOperator(tflite::BuiltinOperator_MUL, 1, {x, s}, {y});
    const int r = b.AddTensor("r", kI32, shape);
    b.AddOperator(tflite::BuiltinOperator_CAST, 1, {y}, {r});
    x = r;
  }
  const int ax = axis64 ? b.AddConstTensor("axis", kI64, {1}, std::vector<int64_t>{axis})
                        : b.AddConstInt32("axis", {1}, {axis});
  std::vector<int32_t> so;
  const int32_t a = axis < 0 ? axis + static_cast<int32_t>(shape.size()) : axis;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (static_cast<int32_t>(d) != a) so.push_back(shape[d]);
  }
  const int out = b.AddTensor("out", out_type, so);
  ArgMinMaxOptions o;
  o.output_type = out_type;
  b.AddOperator(is_max ? tflite::BuiltinOperator_ARG_MAX : tflite::BuiltinOperator_ARG_MIN,
                in_type == kF32 || in_type == kI32 ? 1 : 2, {x, ax}, {out}, o);
  FinishTypedCase(cases,
                  std::string(is_max ? "arg_max/" : "arg_min/") + Tag(in_type) + "_to_" +
                      Tag(out_type) + "_" + ShapeTag(shape) + "_ax" + std::to_string(axis) +
                      (axis64 ? "_axis64" : "") + (ties ? "_ties" : ""),
                  &b, {in}, {out}, {out_type}, {so});
}

void AddGather(OpCaseList* cases, tflite::TensorType type, const std::vector<int32_t>& pshape,
               tflite::TensorType pos_type, const std::vector<int32_t>& pos_shape,
               const std::vector<int32_t>& pos, int32_t axis, int32_t batch_dims) {
  ModelBuilder b;
  int in = -1;
  const int params = Input(&b, type, pshape, &in);
  const int p = pos_type == kI64
                    ? b.AddConstTensor("pos", kI64, pos_shape,
                                       std::vector<int64_t>(pos.begin(), pos.end()))
                    : b.AddConstInt32("pos", pos_shape, pos);
  const int32_t a = axis < 0 ? axis + static_cast<int32_t>(pshape.size()) : axis;
  std::vector<int32_t> so(pshape.begin(), pshape.begin() + a);
  so.insert(so.end(), pos_shape.begin() + batch_dims, pos_shape.end());
  so.insert(so.end(), pshape.begin() + a + 1, pshape.end());
  const int out = b.AddTensor("out", type, so);
  GatherOptions o;
  o.axis = axis;
  o.batch_dims = batch_dims;
  b.AddOperator(tflite::BuiltinOperator_GATHER, 1, {params, p}, {out}, o);
  FinishTypedCase(cases,
                  "gather/" + Tag(type) + "_" + ShapeTag(pshape) + "_pos" + Tag(pos_type) + "_" +
                      ShapeTag(pos_shape) + "_ax" + std::to_string(axis) + "_b" +
                      std::to_string(batch_dims),
                  &b, {in}, {out}, {type}, {so});
}

void AddGatherNd(OpCaseList* cases, tflite::TensorType type, const std::vector<int32_t>& pshape,
                 tflite::TensorType idx_type, const std::vector<int32_t>& idx_shape,
                 const std::vector<int32_t>& idx) {
  ModelBuilder b;
  int in = -1;
  const int params = Input(&b, type, pshape, &in);
  const int p = idx_type == kI64
                    ? b.AddConstTensor("idx", kI64, idx_shape,
                                       std::vector<int64_t>(idx.begin(), idx.end()))
                    : b.AddConstInt32("idx", idx_shape, idx);
  const int nd = idx_shape.back();
  std::vector<int32_t> so(idx_shape.begin(), idx_shape.end() - 1);
  so.insert(so.end(), pshape.begin() + nd, pshape.end());
  const int out = b.AddTensor("out", type, so);
  b.AddOperator(tflite::BuiltinOperator_GATHER_ND, 1, {params, p}, {out});
  FinishTypedCase(cases,
                  "gather_nd/" + Tag(type) + "_" + ShapeTag(pshape) + "_idx" + Tag(idx_type) +
                      "_" + ShapeTag(idx_shape),
                  &b, {in}, {out}, {type}, {so});
}

void AddExpandDims(OpCaseList* cases, tflite::TensorType type, const std::vector<int32_t>& shape,
                   int32_t axis) {
  ModelBuilder b;
  int in = -1;
  const int x = Input(&b, type, shape, &in);
  const int ax = b.AddConstInt32("axis", {}, {axis});
  std::vector<int32_t> so = shape;
  const int32_t a = axis < 0 ? axis + static_cast<int32_t>(shape.size()) + 1 : axis;
  so.insert(so.begin() + a, 1);
  const int out = b.AddTensor("out", type, so);
  b.AddOperator(tflite::BuiltinOperator_EXPAND_DIMS, 1, {x, ax}, {out});
  FinishTypedCase(cases,
                  "expand_dims/" + Tag(type) + "_" + ShapeTag(shape) + "_ax" + std::to_string(axis),
                  &b, {in}, {out}, {type}, {so});
}

void AddTopK(OpCaseList* cases, tflite::TensorType type, const std::vector<int32_t>& shape,
             int32_t k, bool ties = false) {
  ModelBuilder b;
  int in = -1;
  int x = Input(&b, type, shape, &in);
  if (ties) {
    const int s = b.AddConstTensor("scale", kF32, {}, std::vector<float>{3.0f});
    const int y = b.AddTensor("y", kF32, shape);
    b.AddOperator(tflite::BuiltinOperator_MUL, 1, {x, s}, {y});
    const int r = b.AddTensor("r", kI32, shape);
    b.AddOperator(tflite::BuiltinOperator_CAST, 1, {y}, {r});
    x = r;
    type = kI32;
  }
  const int kt = b.AddConstInt32("k", {}, {k});
  std::vector<int32_t> so = shape;
  so.back() = k;
  const int values = b.AddTensor("values", type, so);
  const int indices = b.AddTensor("indices", kI32, so);
  b.AddOperator(tflite::BuiltinOperator_TOPK_V2, 1, {x, kt}, {values, indices});
  FinishTypedCase(cases,
                  "topk_v2/" + Tag(type) + "_" + ShapeTag(shape) + "_k" + std::to_string(k) +
                      (ties ? "_ties" : ""),
                  &b, {in}, {values, indices}, {type, kI32}, {so, so});
}

// RESHAPE, SQUEEZE, TRANSPOSE and CONCATENATION of one wider type.
void AddShapeOps(OpCaseList* cases, tflite::TensorType type) {
  {
    ModelBuilder b;
    int in = -1;
    const int x = Input(&b, type, {2, 3, 4}, &in);
    const int shape = b.AddConstInt32("shape", {4, 6});
    const int r = b.AddTensor("r", type, {4, 6});
    b.AddOperator(tflite::BuiltinOperator_RESHAPE, 1, {x, shape}, {r});
    const int perm = b.AddConstInt32("perm", {1, 0});
    const int t = b.AddTensor("t", type, {6, 4});
    b.AddOperator(tflite::BuiltinOperator_TRANSPOSE, 1, {r, perm}, {t});
    const int t2 = b.AddTensor("t2", type, {12, 4});
    ConcatenationOptions co;
    co.axis = 0;
    b.AddOperator(tflite::BuiltinOperator_CONCATENATION, 1, {t, t}, {t2}, co);
    FinishTypedCase(cases, "shape_ops/" + Tag(type) + "_reshape_transpose_concat", &b, {in}, {t2},
                    {type}, {{12, 4}});
  }
  {
    ModelBuilder b;
    int in = -1;
    const int x = Input(&b, type, {1, 5, 1, 3}, &in);
    const int s = b.AddTensor("s", type, {5, 3});
    b.AddOperator(tflite::BuiltinOperator_SQUEEZE, 1, {x}, {s}, SqueezeOptions{});
    FinishTypedCase(cases, "shape_ops/" + Tag(type) + "_squeeze", &b, {in}, {s}, {type}, {{5, 3}});
  }
}

}  // namespace

void AddIndexCases(OpCaseList* cases) {
  for (bool is_max : {true, false}) {
    for (tflite::TensorType t : {kF32, kI8, kU8, kI32, kBool}) {
      for (tflite::TensorType o : {kI32, kI64}) {
        AddArg(cases, is_max, t, o, {3, 4, 10}, -1);
      }
      AddArg(cases, is_max, t, kI32, {3, 4, 10}, 1);
      AddArg(cases, is_max, t, kI64, {3, 4, 10}, 0, /*axis64=*/true);
    }
    AddArg(cases, is_max, kF32, kI32, {1, 1001}, 1);
    AddArg(cases, is_max, kF32, kI32, {2, 3, 4, 5}, -2);
    AddArg(cases, is_max, kF32, kI32, {7}, 0);
    AddArg(cases, is_max, kF32, kI64, {4, 50}, 1, false, /*ties=*/true);
    AddArg(cases, is_max, kF32, kI32, {50, 4}, 0, false, /*ties=*/true);
  }

  for (tflite::TensorType t : {kF32, kI8, kU8, kI16, kI32, kI64, kBool}) {
    AddGather(cases, t, {5, 3}, kI32, {4}, {4, 0, 0, 2}, 0, 0);
  }
  AddGather(cases, kF32, {4, 6, 2}, kI32, {2, 3}, {5, 0, 1, 1, 3, 2}, 1, 0);
  AddGather(cases, kF32, {4, 6, 2}, kI64, {3}, {1, 0, 1}, -1, 0);
  AddGather(cases, kF32, {4, 6, 2}, kI32, {}, {3}, 0, 0);
  AddGather(cases, kI32, {2, 5, 3}, kI32, {2, 4}, {0, 4, 2, 2, 1, 1, 3, 0}, 1, 1);
  AddGather(cases, kI8, {3, 2, 4, 2}, kI64, {3, 2}, {3, 0, 1, 1, 2, 3}, 2, 1);
  AddGather(cases, kF32, {1001, 4}, kI32, {3, 1}, {1000, 0, 517}, 0, 0);

  for (tflite::TensorType t : {kF32, kI8, kU8, kI16, kI32, kI64}) {
    AddGatherNd(cases, t, {3, 4}, kI32, {2, 2}, {0, 1, 2, 3});
  }
  AddGatherNd(cases, kF32, {3, 4, 2}, kI32, {3, 1}, {2, 0, 1});
  AddGatherNd(cases, kF32, {3, 4, 2}, kI64, {2, 2, 3}, {0, 0, 0, 2, 3, 1, 1, 1, 1, 0, 2, 0});
  AddGatherNd(cases, kI32, {2, 3, 4, 5}, kI32, {4, 2}, {1, 2, 0, 0, 1, 0, 0, 2});

  for (tflite::TensorType t : {kF32, kI8, kU8, kI16, kI32, kI64, kBool}) {
    AddExpandDims(cases, t, {3, 4}, 0);
  }
  for (int32_t axis : {1, 2, -1, -3}) AddExpandDims(cases, kF32, {3, 4}, axis);
  AddExpandDims(cases, kI32, {}, 0);

  for (tflite::TensorType t : {kF32, kI8, kU8, kI32, kI64}) AddTopK(cases, t, {3, 20}, 5);
  AddTopK(cases, kF32, {1001}, 1);
  AddTopK(cases, kF32, {2, 3, 7}, 7);
  AddTopK(cases, kF32, {4, 30}, 10, /*ties=*/true);

  for (tflite::TensorType t : {kF32, kI16, kI32, kI64, kBool}) AddShapeOps(cases, t);
}

}  // namespace testing
}  // namespace systole
