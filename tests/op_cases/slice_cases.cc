// Golden cases for MAXIMUM, MINIMUM, SLICE, STRIDED_SLICE, PACK and UNPACK
// (issue 14/16), for int8 and uint8 and the other element types TFLite's
// kernels take (float32, int16, int32, bool; int64 only as SLICE index
// tensors, since the oracle cannot read int64 tensors). Runtime inputs come
// from the oracle's xorshift32 stream (seed = FNV-1a of the case name).
//
// MAXIMUM/MINIMUM compare raw stored values (TFLite does not requantize), so
// the int8/uint8 cases include one whose inputs and output have different
// quantization; the accelerator must refuse that one.
#include <cstdint>
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
using Shape = std::vector<int32_t>;
using tflite::TensorType;

constexpr TensorType kF32 = tflite::TensorType_FLOAT32;
constexpr TensorType kI16 = tflite::TensorType_INT16;
constexpr TensorType kI32 = tflite::TensorType_INT32;
constexpr TensorType kBool = tflite::TensorType_BOOL;

std::string Tag(TensorType t) {
  switch (t) {
    case tflite::TensorType_INT8: return "i8";
    case tflite::TensorType_UINT8: return "u8";
    case tflite::TensorType_FLOAT32: return "f32";
    case tflite::TensorType_INT16: return "i16";
    case tflite::TensorType_INT32: return "i32";
    case tflite::TensorType_BOOL: return "bool";
    default: return "other";
  }
}

// Per-tensor quantization for 8/16-bit types, none otherwise.
Quant QuantFor(TensorType t, int variant) {
  if (t == kI8 || t == kU8) return ActQuant(t, variant);
  if (t == kI16) return Quant::PerTensor(0.001f, 0);
  return Quant::None();
}

Shape Broadcast(const Shape& a, const Shape& b) {
  const size_t n = a.size() > b.size() ? a.size() : b.size();
  Shape out(n, 1);
  for (size_t i = 0; i < n; ++i) {
    const int ia = static_cast<int>(i) - static_cast<int>(n - a.size());
    const int ib = static_cast<int>(i) - static_cast<int>(n - b.size());
    const int sa = ia >= 0 ? a[ia] : 1;
    const int sb = ib >= 0 ? b[ib] : 1;
    out[i] = sa == 1 ? sb : sa;
  }
  return out;
}

// ---- MAXIMUM / MINIMUM ----

// `const_b`: input 1 is a constant filled with a ramp (else a runtime input).
void AddMaxMin(OpCaseList* cases, bool is_max, const std::string& variant, TensorType t,
               const Shape& a_shape, const Shape& b_shape, bool const_b = false,
               bool out_quant_differs = false) {
  ModelBuilder b;
  const Quant q = QuantFor(t, 0);
  const int in_a = b.AddTensor("a", t, a_shape, q);
  int in_b;
  if (const_b) {
    int64_t n = 1;
    for (int d : b_shape) n *= d;
    if (t == kI8) {
      std::vector<int8_t> v(n);
      for (int64_t i = 0; i < n; ++i) v[i] = static_cast<int8_t>(-40 + 23 * i);
      in_b = b.AddConstTensor("b", t, b_shape, v, q);
    } else if (t == kU8) {
      std::vector<uint8_t> v(n);
      for (int64_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(90 + 37 * i);
      in_b = b.AddConstTensor("b", t, b_shape, v, q);
    } else {
      std::vector<float> v(n);
      for (int64_t i = 0; i < n; ++i) v[i] = -0.5f + 0.125f * static_cast<float>(i);
      in_b = b.AddConstTensor("b", t, b_shape, v, q);
    }
  } else {
    in_b = b.AddTensor("b", t, b_shape, q);
  }
  const Quant oq = out_quant_differs ? QuantFor(t, 2) : q;
  const int out = b.AddTensor("output", t, Broadcast(a_shape, b_shape), oq);
  const int version = t == kI16 ? 4 : (t == kI8 ? 2 : 1);
  b.AddOperator(is_max ? tflite::BuiltinOperator_MAXIMUM : tflite::BuiltinOperator_MINIMUM,
                version, {in_a, in_b}, {out});
  b.SetInputs(const_b ? std::vector<int>{in_a} : std::vector<int>{in_a, in_b});
  b.SetOutputs({out});
  PushCase(cases, std::string(is_max ? "maximum/" : "minimum/") + Tag(t) + "_" + variant, &b);
}

void AddMaxMinCases(OpCaseList* cases) {
  for (bool is_max : {true, false}) {
    for (TensorType t : {kI8, kU8}) {
      AddMaxMin(cases, is_max, "4d_same", t, {1, 4, 4, 8}, {1, 4, 4, 8});
      AddMaxMin(cases, is_max, "bcast_channels", t, {1, 3, 5, 6}, {6});
      AddMaxMin(cases, is_max, "bcast_both", t, {2, 1, 3, 1}, {1, 4, 1, 5});
      AddMaxMin(cases, is_max, "const_scalar", t, {1, 5, 5, 3}, {1}, /*const_b=*/true);
      AddMaxMin(cases, is_max, "1d_long", t, {70}, {70});
    }
    AddMaxMin(cases, is_max, "out_quant_differs", kI8, {1, 3, 3, 4}, {1, 3, 3, 4}, false, true);
    AddMaxMin(cases, is_max, "2d_same", kF32, {6, 7}, {6, 7});
    AddMaxMin(cases, is_max, "bcast_rows", kF32, {4, 1, 5}, {3, 1});
    AddMaxMin(cases, is_max, "const_vector", kF32, {2, 3, 4}, {4}, /*const_b=*/true);
    AddMaxMin(cases, is_max, "5d_bcast", kI8, {2, 1, 3, 2, 4}, {1, 2, 1, 2, 1});
    AddMaxMin(cases, is_max, "3d_same", kI32, {3, 4, 5}, {3, 4, 5});
    AddMaxMin(cases, is_max, "bcast", kI16, {2, 3, 4}, {3, 1});
  }
}

// ---- SLICE ----

template <typename IndexT>
void AddSlice(OpCaseList* cases, const std::string& variant, TensorType t, const Shape& shape,
              const std::vector<IndexT>& begin, const std::vector<IndexT>& size) {
  ModelBuilder b;
  const Quant q = QuantFor(t, 1);
  const int in = b.AddTensor("input", t, shape, q);
  const TensorType it = sizeof(IndexT) == 8 ? tflite::TensorType_INT64 : kI32;
  const int32_t rank = static_cast<int32_t>(shape.size());
  const int bt = b.AddConstTensor("begin", it, {rank}, begin);
  const int st = b.AddConstTensor("size", it, {rank}, size);
  Shape out_shape(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) {
    out_shape[i] = size[i] == -1 ? shape[i] - static_cast<int32_t>(begin[i])
                                 : static_cast<int32_t>(size[i]);
  }
  const int out = b.AddTensor("output", t, out_shape, q);
  int version = t == kI8 ? 2 : 1;
  if (t == kBool) version = 4;
  if (rank == 5) version = 5;
  b.AddOperator(tflite::BuiltinOperator_SLICE, version, {in, bt, st}, {out});
  b.SetInputs({in});
  b.SetOutputs({out});
  PushCase(cases, "slice/" + Tag(t) + "_" + variant, &b);
}

void AddSliceOpCases(OpCaseList* cases) {
  using V = std::vector<int32_t>;
  for (TensorType t : {kI8, kU8}) {
    AddSlice(cases, "4d_hw", t, {1, 6, 7, 4}, V{0, 1, 2, 0}, V{1, 4, 3, 4});
    AddSlice(cases, "4d_channels", t, {1, 3, 3, 10}, V{0, 0, 0, 3}, V{-1, -1, -1, 5});
    AddSlice(cases, "3d_rest", t, {4, 5, 6}, V{1, 2, 3}, V{-1, 2, -1});
    AddSlice(cases, "2d", t, {7, 9}, V{2, 0}, V{3, 9});
    AddSlice(cases, "1d", t, {20}, V{5}, V{11});
  }
  AddSlice(cases, "5d", kI8, {2, 3, 2, 4, 3}, V{1, 0, 1, 1, 0}, V{1, 2, 1, 2, -1});
  AddSlice(cases, "4d_batch", kI8, {3, 2, 2, 5}, V{1, 0, 0, 0}, V{2, -1, -1, -1});
  AddSlice(cases, "int64_index", kI8, {2, 5, 6}, std::vector<int64_t>{1, 1, 2},
           std::vector<int64_t>{1, 3, -1});
  AddSlice(cases, "3d", kF32, {3, 4, 5}, V{0, 1, 1}, V{2, 2, 3});
  AddSlice(cases, "2d", kI32, {6, 4}, V{3, 1}, V{-1, 2});
  AddSlice(cases, "3d", kBool, {3, 4, 5}, V{1, 0, 2}, V{2, 4, 2});
}

// ---- STRIDED_SLICE ----

void AddStridedSlice(OpCaseList* cases, const std::string& variant, TensorType t,
                     const Shape& shape, const std::vector<int32_t>& begin,
                     const std::vector<int32_t>& end, const std::vector<int32_t>& strides,
                     const StridedSliceOptions& o, const Shape& out_shape) {
  ModelBuilder b;
  const Quant q = QuantFor(t, 2);
  const int in = b.AddTensor("input", t, shape, q);
  const int bt = b.AddConstInt32("begin", begin);
  const int et = b.AddConstInt32("end", end);
  const int st = b.AddConstInt32("strides", strides);
  const int out = b.AddTensor("output", t, out_shape, q);
  int version = t == kI8 ? 2 : 1;
  if (shape.size() == 5) version = 5;
  if (t == kBool) version = 6;
  b.AddOperator(tflite::BuiltinOperator_STRIDED_SLICE, version, {in, bt, et, st}, {out}, o);
  b.SetInputs({in});
  b.SetOutputs({out});
  PushCase(cases, "strided_slice/" + Tag(t) + "_" + variant, &b);
}

// (offset=true needs STRIDED_SLICE version 8, which the reference TFLite
// build predates: no golden case for it; see interpreter/kernels tests.)
StridedSliceOptions Masks(int begin, int end, int shrink = 0, int ellipsis = 0, int new_axis = 0) {
  StridedSliceOptions o;
  o.begin_mask = begin;
  o.end_mask = end;
  o.shrink_axis_mask = shrink;
  o.ellipsis_mask = ellipsis;
  o.new_axis_mask = new_axis;
  return o;
}

void AddStridedSliceCases(OpCaseList* cases) {
  for (TensorType t : {kI8, kU8}) {
    AddStridedSlice(cases, "4d_unit", t, {1, 6, 6, 4}, {0, 1, 2, 0}, {1, 5, 6, 4}, {1, 1, 1, 1},
                    Masks(0, 0), {1, 4, 4, 4});
    AddStridedSlice(cases, "4d_stride2", t, {1, 7, 8, 3}, {0, 0, 1, 0}, {1, 7, 8, 3},
                    {1, 2, 2, 1}, Masks(0, 0), {1, 4, 4, 3});
    AddStridedSlice(cases, "reverse_w", t, {1, 4, 5, 3}, {0, 0, -1, 0}, {1, 4, 0, 3},
                    {1, 1, -1, 1}, Masks(0b0000, 0b0100), {1, 4, 5, 3});
    AddStridedSlice(cases, "shrink_batch_h", t, {2, 5, 4, 3}, {1, 2, 0, 0}, {2, 3, 4, 3},
                    {1, 1, 1, 1}, Masks(0, 0, 0b0011), {4, 3});
    AddStridedSlice(cases, "masks_channels_step3", t, {1, 3, 3, 10}, {0, 0, 0, 1},
                    {0, 0, 0, 0}, {1, 1, 1, 3}, Masks(0b0111, 0b1111), {1, 3, 3, 3});
  }
  // Negative begin/end, negative stride, clamping, fewer specs than dims.
  AddStridedSlice(cases, "neg_begin_end", kI8, {8, 6}, {-6, -5}, {-1, -1}, {1, 2}, Masks(0, 0),
                  {5, 2});
  AddStridedSlice(cases, "neg_stride3", kI8, {10, 4}, {8, 3}, {0, -5}, {-3, -1}, Masks(0, 0),
                  {3, 4});
  AddStridedSlice(cases, "reverse_all", kI8, {3, 4, 5}, {0, 0, 0}, {0, 0, 0}, {-1, -1, -1},
                  Masks(0b111, 0b111), {3, 4, 5});
  AddStridedSlice(cases, "clamp_out_of_range", kI8, {5, 6}, {-20, 2}, {100, 50}, {1, 2},
                  Masks(0, 0), {5, 2});
  AddStridedSlice(cases, "fewer_specs", kI8, {4, 3, 5}, {1}, {3}, {1}, Masks(0, 0), {2, 3, 5});
  AddStridedSlice(cases, "empty_rev_range", kI8, {6, 3}, {1, 0}, {4, 3}, {-1, 1}, Masks(0, 0),
                  {0, 3});
  AddStridedSlice(cases, "shrink_negative", kI8, {3, 7}, {0, -2}, {3, -1}, {1, 1},
                  Masks(0, 0, 0b10), {3});
  AddStridedSlice(cases, "shrink_all", kI8, {3, 4}, {2, 1}, {3, 2}, {1, 1}, Masks(0, 0, 0b11),
                  {});
  // Ellipsis and new axes.
  AddStridedSlice(cases, "ellipsis_last", kI8, {2, 3, 4, 6}, {0, 1}, {0, 6}, {1, 2},
                  Masks(0, 0, 0, 0b01), {2, 3, 4, 3});
  AddStridedSlice(cases, "ellipsis_first_spec", kI8, {3, 4, 5}, {1, 0}, {3, 0}, {1, 1},
                  Masks(0, 0, 0, 0b10), {2, 4, 5});
  AddStridedSlice(cases, "ellipsis_shrink", kU8, {2, 3, 4, 5}, {0, 2}, {0, 3}, {1, 1},
                  Masks(0, 0, 0b10, 0b01), {2, 3, 4});
  AddStridedSlice(cases, "new_axis_front", kI8, {4, 5}, {0, 0, 1}, {0, 4, 5}, {1, 1, 2},
                  Masks(0, 0, 0, 0, 0b001), {1, 4, 2});
  AddStridedSlice(cases, "new_axis_middle", kU8, {3, 4, 2}, {0, 0, 0, 0}, {3, 0, 4, 2},
                  {1, 1, 1, 1}, Masks(0, 0, 0, 0, 0b0010), {3, 1, 4, 2});
  AddStridedSlice(cases, "ellipsis_new_axis", kI8, {2, 3, 4}, {0, 0}, {0, 0}, {1, 1},
                  Masks(0, 0, 0, 0b01, 0b10), {2, 3, 4, 1});
  AddStridedSlice(cases, "5d", kI8, {2, 3, 2, 4, 3}, {1, 0, 0, 3, 0}, {2, 3, 2, 0, 3},
                  {1, 2, 1, -2, 1}, Masks(0, 0), {1, 2, 2, 2, 3});
  // Other element types.
  AddStridedSlice(cases, "3d", kF32, {4, 5, 6}, {1, 0, 5}, {4, 5, 0}, {2, 2, -2}, Masks(0, 0),
                  {2, 3, 3});
  AddStridedSlice(cases, "2d_shrink", kI32, {5, 6}, {1, 0}, {2, 6}, {1, 3}, Masks(0, 0, 0b01),
                  {2});
  AddStridedSlice(cases, "3d", kI16, {3, 4, 6}, {0, 1, 0}, {3, 4, 6}, {1, 1, 2}, Masks(0, 0),
                  {3, 3, 3});
  AddStridedSlice(cases, "2d", kBool, {5, 6}, {4, 1}, {0, 6}, {-2, 2}, Masks(0, 0), {2, 3});
}

// ---- PACK / UNPACK ----

void AddPack(OpCaseList* cases, const std::string& variant, TensorType t, const Shape& shape,
             int count, int axis) {
  ModelBuilder b;
  const Quant q = QuantFor(t, 3);
  std::vector<int> ins;
  for (int i = 0; i < count; ++i) ins.push_back(b.AddTensor("in" + std::to_string(i), t, shape, q));
  Shape out_shape = shape;
  const int rank = static_cast<int>(shape.size()) + 1;
  const int a = axis < 0 ? axis + rank : axis;
  out_shape.insert(out_shape.begin() + a, count);
  const int out = b.AddTensor("output", t, out_shape, q);
  PackOptions o;
  o.values_count = count;
  o.axis = axis;
  const int version = t == kI16 ? 3 : (t == kI8 || t == kU8 ? 2 : 1);
  b.AddOperator(tflite::BuiltinOperator_PACK, version, ins, {out}, o);
  b.SetInputs(ins);
  b.SetOutputs({out});
  PushCase(cases, "pack/" + Tag(t) + "_" + variant, &b);
}

void AddUnpack(OpCaseList* cases, const std::string& variant, TensorType t, const Shape& shape,
               int axis) {
  ModelBuilder b;
  const Quant q = QuantFor(t, 4);
  const int in = b.AddTensor("input", t, shape, q);
  const int rank = static_cast<int>(shape.size());
  const int a = axis < 0 ? axis + rank : axis;
  Shape out_shape = shape;
  out_shape.erase(out_shape.begin() + a);
  std::vector<int> outs;
  for (int i = 0; i < shape[a]; ++i) {
    outs.push_back(b.AddTensor("out" + std::to_string(i), t, out_shape, q));
  }
  UnpackOptions o;
  o.num = shape[a];
  o.axis = axis;
  const int version = t == kI16 ? 3 : (t == kI8 || t == kU8 ? 2 : 1);
  b.AddOperator(tflite::BuiltinOperator_UNPACK, version, {in}, outs, o);
  b.SetInputs({in});
  b.SetOutputs(outs);
  PushCase(cases, "unpack/" + Tag(t) + "_" + variant, &b);
}

void AddPackCases(OpCaseList* cases) {
  for (TensorType t : {kI8, kU8}) {
    AddPack(cases, "axis0", t, {3, 4}, 2, 0);
    AddPack(cases, "axis1_3in", t, {2, 3, 5}, 3, 1);
    AddPack(cases, "axis_last_neg", t, {1, 4, 4, 3}, 2, -1);
    AddUnpack(cases, "axis0", t, {3, 4, 5}, 0);
    AddUnpack(cases, "axis1", t, {2, 3, 4}, 1);
    AddUnpack(cases, "axis_last_neg", t, {1, 3, 3, 4}, -1);
  }
  AddPack(cases, "4in_axis2", kI8, {2, 2, 3}, 4, 2);
  AddPack(cases, "1d_axis_neg2", kF32, {6}, 3, -2);
  AddPack(cases, "axis1", kI32, {3, 2}, 2, 1);
  AddPack(cases, "axis0", kI16, {2, 5}, 3, 0);
  AddUnpack(cases, "2d_axis_neg2", kF32, {3, 5}, -2);
  AddUnpack(cases, "axis2", kI32, {2, 2, 3}, 2);
  AddUnpack(cases, "axis1", kI16, {2, 3, 4}, 1);
  AddUnpack(cases, "axis0", kBool, {2, 6}, 0);
}

// ---- small graphs: the new ops between convolutions, whose fused SAME
// padding gives the tensors on chip row borders (pitched views) ----

int AddConv3x3(ModelBuilder* b, const std::string& name, int in, float in_scale, int cin, int cout, int out,
               uint32_t seed) {
  std::vector<float> ws(cout), bs(cout);
  for (int i = 0; i < cout; ++i) {
    ws[i] = 0.004f + 0.0005f * static_cast<float>(i % 4);
    bs[i] = in_scale * ws[i];
  }
  const int w = b->AddConstTensor<int8_t>(name + "/w", kI8, {cout, 3, 3, cin},
                                          RandomInt8Data(static_cast<size_t>(cout * 9 * cin), seed, -127, 127),
                                          Quant::PerChannel(ws, std::vector<int64_t>(cout, 0), 0));
  const int bias = b->AddConstTensor<int32_t>(name + "/b", kI32, {cout},
                                              RandomInt32Data(static_cast<size_t>(cout), seed + 1, -1500, 1500),
                                              Quant::PerChannel(bs, std::vector<int64_t>(cout, 0), 0));
  Conv2DOptions co;
  co.padding = tflite::Padding_SAME;
  return b->AddOperator(tflite::BuiltinOperator_CONV_2D, 3, {in, w, bias}, {out}, co);
}

// conv -> STRIDED_SLICE (every other row and column) -> conv.
void ConvStridedSliceConv(OpCaseList* cases) {
  ModelBuilder b;
  const Quant qi = Quant::PerTensor(0.05f, -3), q1 = Quant::PerTensor(0.08f, 4), qo = Quant::PerTensor(0.06f, -2);
  const int in = b.AddTensor("input", kI8, {1, 8, 8, 4}, qi);
  const int c1 = b.AddTensor("conv1", kI8, {1, 8, 8, 8}, q1);
  const int sl = b.AddTensor("slice", kI8, {1, 4, 4, 8}, q1);
  const int out = b.AddTensor("output", kI8, {1, 4, 4, 4}, qo);
  AddConv3x3(&b, "conv1", in, 0.05f, 4, 8, c1, 61);
  const int bt = b.AddConstInt32("begin", {0, 1, 0, 0});
  const int et = b.AddConstInt32("end", {1, 8, 8, 8});
  const int st = b.AddConstInt32("strides", {1, 2, 2, 1});
  b.AddOperator(tflite::BuiltinOperator_STRIDED_SLICE, 2, {c1, bt, et, st}, {sl}, Masks(0, 0));
  AddConv3x3(&b, "conv2", sl, 0.08f, 8, 4, out, 71);
  b.SetInputs({in});
  b.SetOutputs({out});
  PushCase(cases, "slice_graph/conv_strided_slice_conv_i8", &b);
}

// conv1, conv2 -> MAXIMUM / MINIMUM -> conv3 (the result lands in a view
// with borders).
void ConvMaxMinConv(OpCaseList* cases, bool is_max) {
  ModelBuilder b;
  const Quant qi = Quant::PerTensor(0.05f, 2), q1 = Quant::PerTensor(0.07f, -5), qo = Quant::PerTensor(0.05f, 1);
  const int in = b.AddTensor("input", kI8, {1, 6, 6, 3}, qi);
  const int c1 = b.AddTensor("conv1", kI8, {1, 6, 6, 8}, q1);
  const int c2 = b.AddTensor("conv2", kI8, {1, 6, 6, 8}, q1);
  const int mm = b.AddTensor("maxmin", kI8, {1, 6, 6, 8}, q1);
  const int out = b.AddTensor("output", kI8, {1, 6, 6, 4}, qo);
  AddConv3x3(&b, "conv1", in, 0.05f, 3, 8, c1, 81);
  AddConv3x3(&b, "conv2", in, 0.05f, 3, 8, c2, 91);
  b.AddOperator(is_max ? tflite::BuiltinOperator_MAXIMUM : tflite::BuiltinOperator_MINIMUM, 2, {c1, c2}, {mm});
  AddConv3x3(&b, "conv3", mm, 0.07f, 8, 4, out, 101);
  b.SetInputs({in});
  b.SetOutputs({out});
  PushCase(cases, std::string("slice_graph/conv_") + (is_max ? "maximum" : "minimum") + "_conv_i8", &b);
}

// conv -> UNPACK rows -> PACK them in reverse order -> conv (a vertical flip).
void ConvUnpackPackConv(OpCaseList* cases) {
  ModelBuilder b;
  const Quant qi = Quant::PerTensor(0.04f, 0), q1 = Quant::PerTensor(0.09f, 3), qo = Quant::PerTensor(0.05f, -1);
  const int in = b.AddTensor("input", kI8, {1, 6, 5, 4}, qi);
  const int c1 = b.AddTensor("conv1", kI8, {1, 6, 5, 4}, q1);
  std::vector<int> rows;
  for (int i = 0; i < 6; ++i) rows.push_back(b.AddTensor("row" + std::to_string(i), kI8, {1, 5, 4}, q1));
  const int packed = b.AddTensor("packed", kI8, {1, 6, 5, 4}, q1);
  const int out = b.AddTensor("output", kI8, {1, 6, 5, 4}, qo);
  AddConv3x3(&b, "conv1", in, 0.04f, 4, 4, c1, 111);
  UnpackOptions uo;
  uo.num = 6;
  uo.axis = 1;
  b.AddOperator(tflite::BuiltinOperator_UNPACK, 2, {c1}, rows, uo);
  PackOptions po;
  po.values_count = 6;
  po.axis = 1;
  b.AddOperator(tflite::BuiltinOperator_PACK, 2, std::vector<int>(rows.rbegin(), rows.rend()), {packed}, po);
  AddConv3x3(&b, "conv2", packed, 0.09f, 4, 4, out, 121);
  b.SetInputs({in});
  b.SetOutputs({out});
  PushCase(cases, "slice_graph/conv_unpack_pack_conv_i8", &b);
}

void AddSliceGraphCases(OpCaseList* cases) {
  ConvStridedSliceConv(cases);
  ConvMaxMinConv(cases, true);
  ConvMaxMinConv(cases, false);
  ConvUnpackPackConv(cases);
}

}  // namespace

void AddSliceCases(OpCaseList* cases) {
  AddMaxMinCases(cases);
  AddSliceOpCases(cases);
  AddStridedSliceCases(cases);
  AddPackCases(cases);
  AddSliceGraphCases(cases);
}

}  // namespace testing
}  // namespace systole
