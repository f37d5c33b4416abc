// Golden cases for AVERAGE_POOL_2D, MAX_POOL_2D and MEAN, int8 and uint8.
//
// Pools: odd sizes, SAME windows clipped at the border (counts < window),
// strides 1-3 and 7, global windows, a 17x17 window (> 256 cells: TFLite's
// uint8 average switches to 32-bit accumulators), batch 2, every fused
// activation. Input and output share quantization, as TFLite requires.
//
// MEAN: TFLite chooses between three arithmetics (see
// interpreter/kernels/mean.cc), so the cases cover each: 4-D keep_dims over
// axes {1,2} / {2,1} (optimized integer path), the same axes written {-3,-2}
// or without keep_dims (generic paths), other axes, duplicate axes, all
// axes, each with equal input/output quantization (integer division path)
// and with different quantization (float rescale path).
#include <string>
#include <vector>

#include "tests/op_cases/op_case.h"
#include "tests/op_cases/shape_case_util.h"
#include "testing/model_builder.h"

namespace systole {
namespace testing {
namespace {

using shape_cases::ActQuant;
using shape_cases::kI8;
using shape_cases::kU8;
using shape_cases::PushCase;
using shape_cases::TypeTag;
using Shape = std::vector<int32_t>;

const char* ActTag(tflite::ActivationFunctionType a) {
  switch (a) {
    case tflite::ActivationFunctionType_RELU: return "relu";
    case tflite::ActivationFunctionType_RELU6: return "relu6";
    case tflite::ActivationFunctionType_RELU_N1_TO_1: return "relun1";
    default: return "none";
  }
}

struct PoolShape {
  const char* tag;
  int n, h, w, c;
  int fh, fw, sh, sw;
  tflite::Padding pad;
};

int OutSize(tflite::Padding p, int in, int k, int stride) {
  return p == tflite::Padding_SAME ? (in + stride - 1) / stride : (in - k + stride) / stride;
}

void AddPool(OpCaseList* cases, tflite::BuiltinOperator op, const PoolShape& s,
             tflite::TensorType t, tflite::ActivationFunctionType act, int quant_variant) {
  const bool avg = op == tflite::BuiltinOperator_AVERAGE_POOL_2D;
  const std::string name = std::string(avg ? "average_pool_2d/" : "max_pool_2d/") + s.tag + "_" +
                           TypeTag(t) + "_" + ActTag(act);
  ModelBuilder b;
  const Quant q = ActQuant(t, quant_variant);
  const int oh = OutSize(s.pad, s.h, s.fh, s.sh);
  const int ow = OutSize(s.pad, s.w, s.fw, s.sw);
  const int in = b.AddTensor("input", t, {s.n, s.h, s.w, s.c}, q);
  const int out = b.AddTensor("output", t, {s.n, oh, ow, s.c}, q);
  Pool2DOptions o;
  o.padding = s.pad;
  o.stride_h = s.sh;
  o.stride_w = s.sw;
  o.filter_h = s.fh;
  o.filter_w = s.fw;
  o.activation = act;
  b.AddOperator(op, t == kI8 ? 2 : 1, {in}, {out}, o);
  b.SetInputs({in});
  b.SetOutputs({out});
  PushCase(cases, name, &b);
}

constexpr tflite::Padding kSame = tflite::Padding_SAME;
constexpr tflite::Padding kValid = tflite::Padding_VALID;

const PoolShape kPoolShapes[] = {
    {"f2_s2_valid", 1, 6, 6, 3, 2, 2, 2, 2, kValid},
    {"f3_s2_same", 1, 7, 7, 4, 3, 3, 2, 2, kSame},
    {"f3_s1_same", 1, 5, 5, 8, 3, 3, 1, 1, kSame},
    {"f2_s1_valid_batch2", 2, 4, 4, 5, 2, 2, 1, 1, kValid},
    {"f3_s3_valid", 1, 9, 9, 2, 3, 3, 3, 3, kValid},
    {"global_8x8", 1, 8, 8, 16, 8, 8, 1, 1, kValid},
    {"f4x2_s2x3_same", 1, 10, 10, 3, 4, 2, 2, 3, kSame},
    {"global_7x7_s7", 1, 7, 7, 20, 7, 7, 7, 7, kValid},
    {"f17_s1_valid", 1, 20, 20, 2, 17, 17, 1, 1, kValid},
    {"f5_s2_same_odd", 1, 11, 9, 6, 5, 5, 2, 2, kSame},
};

constexpr tflite::ActivationFunctionType kActs[] = {
    tflite::ActivationFunctionType_NONE, tflite::ActivationFunctionType_RELU,
    tflite::ActivationFunctionType_RELU6, tflite::ActivationFunctionType_RELU_N1_TO_1};

// ---- MEAN ----

struct MeanShape {
  const char* tag;
  Shape input;
  std::vector<int32_t> axes;
  bool keep_dims;
};

void AddMean(OpCaseList* cases, const MeanShape& s, tflite::TensorType t, bool same_quant,
             int variant) {
  const std::string name = std::string("mean/") + s.tag + "_" + TypeTag(t) +
                           (same_quant ? "_samequant" : "_rescale");
  ModelBuilder b;
  const Quant in_q = ActQuant(t, variant);
  const Quant out_q = same_quant ? in_q : ActQuant(t, variant + 1 + (variant % 3));
  const int rank = static_cast<int>(s.input.size());
  std::vector<bool> reduced(rank, false);
  for (int a : s.axes) reduced[a < 0 ? a + rank : a] = true;
  Shape out_shape;
  for (int d = 0; d < rank; ++d) {
    if (!reduced[d]) out_shape.push_back(s.input[d]);
    else if (s.keep_dims) out_shape.push_back(1);
  }
  const int in = b.AddTensor("input", t, s.input, in_q);
  const int axis = b.AddConstInt32("axis", s.axes);
  const int out = b.AddTensor("output", t, out_shape, out_q);
  ReducerOptions o;
  o.keep_dims = s.keep_dims;
  b.AddOperator(tflite::BuiltinOperator_MEAN, t == kI8 ? 2 : 1, {in, axis}, {out}, o);
  b.SetInputs({in});
  b.SetOutputs({out});
  PushCase(cases, name, &b);
}

const MeanShape kMeanShapes[] = {
    {"4d_hw_keep", {1, 5, 5, 8}, {1, 2}, true},
    {"4d_wh_keep_batch2", {2, 4, 3, 6}, {2, 1}, true},
    {"4d_hw_keep_7x7x32", {1, 7, 7, 32}, {1, 2}, true},
    {"4d_hw_nokeep", {1, 5, 5, 8}, {1, 2}, false},
    {"4d_hw_negative_keep", {1, 5, 5, 8}, {-3, -2}, true},
    {"4d_last_axis", {2, 3, 4, 5}, {3}, false},
    {"4d_axes_0_2", {2, 3, 4, 5}, {0, 2}, false},
    {"2d_axis1", {3, 10}, {1}, false},
    {"2d_axis0_keep", {3, 10}, {0}, true},
    {"3d_all_axes", {2, 3, 4}, {0, 1, 2}, false},
    {"4d_duplicate_axes", {2, 3, 4, 5}, {1, 1}, false},
    {"4d_h_keep", {1, 4, 4, 3}, {1}, true},
    {"4d_hwc_keep", {1, 3, 5, 4}, {1, 2, 3}, true},
    {"4d_big_hw_keep", {1, 16, 16, 4}, {1, 2}, true},
};

}  // namespace

void AddPoolCases(OpCaseList* cases) {
  int i = 0;
  for (auto op : {tflite::BuiltinOperator_AVERAGE_POOL_2D, tflite::BuiltinOperator_MAX_POOL_2D}) {
    for (const PoolShape& s : kPoolShapes) {
      for (tflite::TensorType t : {kI8, kU8}) {
        AddPool(cases, op, s, t, tflite::ActivationFunctionType_NONE, i++);
      }
    }
    const PoolShape act = {"act_f3_s2_same", 1, 9, 8, 5, 3, 3, 2, 2, kSame};
    for (tflite::TensorType t : {kI8, kU8}) {
      for (auto a : kActs) {
        if (a == tflite::ActivationFunctionType_NONE) continue;
        AddPool(cases, op, act, t, a, i++);
      }
    }
  }
  for (const MeanShape& s : kMeanShapes) {
    for (tflite::TensorType t : {kI8, kU8}) {
      AddMean(cases, s, t, true, i);
      AddMean(cases, s, t, false, i);
      ++i;
    }
  }
}

}  // namespace testing
}  // namespace systole
