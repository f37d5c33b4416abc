// Golden cases for the shape / data-movement kernels: PAD, RESHAPE, SQUEEZE,
// TRANSPOSE, CONCATENATION, SPLIT, RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR,
// each for int8 and uint8. Every case is a one-op model whose runtime inputs
// are filled by the oracle's xorshift32 stream (seed = FNV-1a of the name, so
// adding a case never changes another one's inputs).
//
// Operator versions are those TFLite's converter writes for the type/feature
// (e.g. int8 -> 2, half_pixel_centers -> 3, 5-D PAD -> 4).
#include <cstdio>
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

// ---- PAD ----

void AddPad(OpCaseList* cases, const std::string& variant, tflite::TensorType t,
            const Shape& shape, const std::vector<int32_t>& pads,
            const Quant* out_quant = nullptr) {
  ModelBuilder b;
  const int rank = static_cast<int>(shape.size());
  Shape out_shape = shape;
  for (int i = 0; i < rank; ++i) out_shape[i] += pads[2 * i] + pads[2 * i + 1];
  const Quant q = ActQuant(t, 0);
  const int in = b.AddTensor("input", t, shape, q);
  const int p = b.AddConstInt32("paddings", {rank, 2}, pads);
  const int out = b.AddTensor("output", t, out_shape, out_quant ? *out_quant : q);
  const int version = rank > 4 ? 4 : (t == kI8 ? 2 : 1);
  b.AddOperator(tflite::BuiltinOperator_PAD, version, {in, p}, {out});
  b.SetInputs({in});
  b.SetOutputs({out});
  PushCase(cases, "pad/" + TypeTag(t) + "_" + variant, &b);
}

void AddPadCases(OpCaseList* cases) {
  for (tflite::TensorType t : {kI8, kU8}) {
    AddPad(cases, "1d", t, {9}, {3, 4});
    AddPad(cases, "2d", t, {5, 7}, {1, 2, 0, 3});
    AddPad(cases, "3d", t, {3, 4, 5}, {0, 0, 2, 1, 1, 1});
    AddPad(cases, "4d_hw_same", t, {1, 6, 6, 3}, {0, 0, 1, 1, 1, 1, 0, 0});
    AddPad(cases, "4d_hw_asym", t, {1, 5, 4, 2}, {0, 0, 0, 1, 2, 0, 0, 0});
    AddPad(cases, "4d_all_dims", t, {2, 3, 3, 4}, {1, 0, 0, 0, 0, 2, 1, 3});
    AddPad(cases, "4d_zero_pads", t, {1, 4, 4, 2}, {0, 0, 0, 0, 0, 0, 0, 0});
    AddPad(cases, "4d_wide", t, {1, 3, 3, 8}, {0, 0, 3, 3, 3, 3, 0, 0});
    AddPad(cases, "4d_channels", t, {1, 2, 2, 3}, {0, 0, 0, 0, 0, 0, 2, 5});
  }
  AddPad(cases, "5d", kI8, {1, 2, 3, 2, 2}, {0, 0, 1, 0, 0, 1, 1, 1, 0, 1});
  // The pad value is the *output* zero point (bytes are copied unchanged).
  const Quant other_i8 = Quant::PerTensor(0.05f, 20);
  AddPad(cases, "4d_out_zp_differs", kI8, {1, 3, 3, 2}, {0, 0, 1, 1, 1, 1, 0, 0}, &other_i8);
  const Quant other_u8 = Quant::PerTensor(0.05f, 7);
  AddPad(cases, "4d_out_zp_differs", kU8, {1, 3, 3, 2}, {0, 0, 1, 1, 1, 1, 0, 0}, &other_u8);
}

// ---- RESHAPE / SQUEEZE ----

// `tensor_shape` (if non-empty or `use_tensor`) goes in a second input;
// `option_shape` (if `use_option`) in ReshapeOptions.new_shape.
void AddReshape(OpCaseList* cases, const std::string& variant, tflite::TensorType t,
                const Shape& in_shape, const Shape& target, bool use_tensor, bool use_option,
                const Shape& out_shape) {
  ModelBuilder b;
  const Quant q = ActQuant(t, 1);
  const int in = b.AddTensor("input", t, in_shape, q);
  std::vector<int> inputs = {in};
  if (use_tensor) inputs.push_back(b.AddConstInt32("shape", target));
  const int out = b.AddTensor("output", t, out_shape, q);
  ReshapeOptions opt;
  opt.has_new_shape = use_option;
  if (use_option) opt.new_shape = target;
  b.AddOperator(tflite::BuiltinOperator_RESHAPE, 1, inputs, {out}, opt);
  b.SetInputs({in});
  b.SetOutputs({out});
  PushCase(cases, "reshape/" + TypeTag(t) + "_" + variant, &b);
}

void AddSqueeze(OpCaseList* cases, const std::string& variant, tflite::TensorType t,
                const Shape& in_shape, const std::vector<int32_t>& dims, const Shape& out_shape) {
  ModelBuilder b;
  const Quant q = ActQuant(t, 1);
  const int in = b.AddTensor("input", t, in_shape, q);
  const int out = b.AddTensor("output", t, out_shape, q);
  SqueezeOptions opt;
  opt.squeeze_dims = dims;
  b.AddOperator(tflite::BuiltinOperator_SQUEEZE, 1, {in}, {out}, opt);
  b.SetInputs({in});
  b.SetOutputs({out});
  PushCase(cases, "squeeze/" + TypeTag(t) + "_" + variant, &b);
}

void AddReshapeCases(OpCaseList* cases) {
  for (tflite::TensorType t : {kI8, kU8}) {
    AddReshape(cases, "flatten_tensor", t, {1, 4, 4, 3}, {1, 48}, true, false, {1, 48});
    AddReshape(cases, "infer_tensor", t, {1, 4, 4, 3}, {-1, 12}, true, true, {4, 12});
    AddReshape(cases, "infer_option_only", t, {2, 3, 8}, {4, -1}, false, true, {4, 12});
    AddReshape(cases, "to_5d", t, {1, 4, 4, 3}, {2, 2, 2, 2, 3}, true, true, {2, 2, 2, 2, 3});
    AddReshape(cases, "2d_to_4d", t, {6, 8}, {1, 2, -1, 8}, true, true, {1, 2, 3, 8});
    AddReshape(cases, "to_1d", t, {1, 1, 1, 10}, {10}, true, true, {10});
    AddSqueeze(cases, "all_unit_dims", t, {1, 1, 4, 1, 3}, {}, {4, 3});
    AddSqueeze(cases, "dim0", t, {1, 5, 1, 2}, {0}, {5, 1, 2});
    AddSqueeze(cases, "negative_dim", t, {2, 1, 3}, {-2}, {2, 3});
    AddSqueeze(cases, "hw_of_nhwc", t, {1, 1, 1, 8}, {1, 2}, {1, 8});
    AddSqueeze(cases, "6d_all_unit_dims", t, {1, 2, 1, 2, 1, 3}, {}, {2, 2, 3});
    // 6-D, not 8-D: TFLite reshapes to up to 8 dimensions, but Systole's model
    // loader (interpreter/model.cc) caps tensor rank at 6.
    AddReshape(cases, "3d_to_6d", t, {2, 3, 4}, {1, 2, 3, 1, 2, -1}, true, true,
               {1, 2, 3, 1, 2, 2});
  }
}

// ---- TRANSPOSE ----

void AddTranspose(OpCaseList* cases, const std::string& variant, tflite::TensorType t,
                  const Shape& in_shape, const std::vector<int32_t>& perm) {
  ModelBuilder b;
  Shape out_shape(in_shape.size());
  for (size_t i = 0; i < perm.size(); ++i) out_shape[i] = in_shape[perm[i]];
  const Quant q = ActQuant(t, 2);
  const int in = b.AddTensor("input", t, in_shape, q);
  const int p = b.AddConstInt32("perm", perm);
  const int out = b.AddTensor("output", t, out_shape, q);
  const int version = in_shape.size() > 4 ? 5 : 2;
  b.AddOperator(tflite::BuiltinOperator_TRANSPOSE, version, {in, p}, {out});
  b.SetInputs({in});
  b.SetOutputs({out});
  PushCase(cases, "transpose/" + TypeTag(t) + "_" + variant, &b);
}

void AddTransposeCases(OpCaseList* cases) {
  for (tflite::TensorType t : {kI8, kU8}) {
    AddTranspose(cases, "nchw_to_nhwc", t, {1, 3, 8, 8}, {0, 2, 3, 1});
    AddTranspose(cases, "nhwc_to_nchw", t, {1, 4, 5, 3}, {0, 3, 1, 2});
    AddTranspose(cases, "2d", t, {5, 7}, {1, 0});
    AddTranspose(cases, "3d_rotate", t, {2, 3, 4}, {2, 0, 1});
    AddTranspose(cases, "3d_swap01", t, {2, 3, 4}, {1, 0, 2});
    AddTranspose(cases, "4d_reverse", t, {2, 3, 4, 5}, {3, 2, 1, 0});
    AddTranspose(cases, "4d_identity", t, {1, 2, 3, 4}, {0, 1, 2, 3});
    AddTranspose(cases, "5d", t, {2, 3, 2, 2, 3}, {4, 0, 3, 1, 2});
    AddTranspose(cases, "5d_swap_last2", t, {2, 2, 3, 2, 4}, {0, 1, 2, 4, 3});
    // No 6-D case: the reference TFLite rejects 6-D TRANSPOSE (see transpose.cc).
  }
}

// ---- CONCATENATION ----

struct ConcatInput {
  Shape shape;
  Quant quant;
};

void AddConcat(OpCaseList* cases, const std::string& variant, tflite::TensorType t,
               const std::vector<ConcatInput>& inputs, int axis, const Quant& out_quant) {
  ModelBuilder b;
  Shape out_shape = inputs[0].shape;
  const int rank = static_cast<int>(out_shape.size());
  const int a = axis < 0 ? axis + rank : axis;
  out_shape[a] = 0;
  std::vector<int> ins;
  for (size_t i = 0; i < inputs.size(); ++i) {
    out_shape[a] += inputs[i].shape[a];
    ins.push_back(
        b.AddTensor("input" + std::to_string(i), t, inputs[i].shape, inputs[i].quant));
  }
  const int out = b.AddTensor("output", t, out_shape, out_quant);
  ConcatenationOptions opt;
  opt.axis = axis;
  b.AddOperator(tflite::BuiltinOperator_CONCATENATION, t == kI8 ? 2 : 1, ins, {out}, opt);
  b.SetInputs(ins);
  b.SetOutputs({out});
  PushCase(cases, "concatenation/" + TypeTag(t) + "_" + variant, &b);
}

void AddConcatCases(OpCaseList* cases) {
  for (tflite::TensorType t : {kI8, kU8}) {
    const Quant q = ActQuant(t, 3);
    AddConcat(cases, "2in_axis0", t, {{{1, 3, 3, 2}, q}, {{2, 3, 3, 2}, q}}, 0, q);
    AddConcat(cases, "2in_axis1", t, {{{1, 2, 3, 2}, q}, {{1, 3, 3, 2}, q}}, 1, q);
    AddConcat(cases, "2in_axis2", t, {{{1, 3, 1, 2}, q}, {{1, 3, 4, 2}, q}}, 2, q);
    AddConcat(cases, "2in_axis3", t, {{{1, 3, 3, 2}, q}, {{1, 3, 3, 5}, q}}, 3, q);
    AddConcat(cases, "3in_axis3", t,
              {{{1, 2, 2, 3}, q}, {{1, 2, 2, 1}, q}, {{1, 2, 2, 4}, q}}, 3, q);
    AddConcat(cases, "3in_axis_neg1", t,
              {{{2, 2, 2}, q}, {{2, 2, 5}, q}, {{2, 2, 1}, q}}, -1, q);
    AddConcat(cases, "4in_axis1", t,
              {{{1, 1, 4, 2}, q}, {{1, 2, 4, 2}, q}, {{1, 3, 4, 2}, q}, {{1, 1, 4, 2}, q}}, 1,
              q);
    AddConcat(cases, "2d_axis0", t, {{{3, 5}, q}, {{2, 5}, q}}, 0, q);
    AddConcat(cases, "2d_axis1", t, {{{3, 5}, q}, {{3, 2}, q}}, 1, q);
    AddConcat(cases, "5d_axis4", t, {{{1, 2, 2, 2, 3}, q}, {{1, 2, 2, 2, 2}, q}}, 4, q);
    AddConcat(cases, "4in_axis_neg3", t,
              {{{2, 2, 3, 2}, q}, {{2, 1, 3, 2}, q}, {{2, 2, 3, 2}, q}, {{2, 3, 3, 2}, q}}, -3,
              q);
  }
  // uint8 requantizes inputs whose (scale, zero point) differ from the
  // output's. (int8 rejects that, as TFLite does; see the report.)
  const Quant out = Quant::PerTensor(0.04f, 128);
  AddConcat(cases, "requant_2in_axis3", kU8,
            {{{1, 3, 3, 2}, Quant::PerTensor(0.02f, 100)}, {{1, 3, 3, 3}, out}}, 3, out);
  AddConcat(cases, "requant_3in_axis1", kU8,
            {{{1, 2, 3, 2}, Quant::PerTensor(0.1f, 128)},
             {{1, 1, 3, 2}, out},
             {{1, 2, 3, 2}, Quant::PerTensor(0.03f, 10)}},
            1, out);
  AddConcat(cases, "requant_4in_axis2_clamp", kU8,
            {{{1, 2, 2, 2}, Quant::PerTensor(0.5f, 0)},
             {{1, 2, 1, 2}, Quant::PerTensor(0.01f, 255)},
             {{1, 2, 3, 2}, Quant::PerTensor(0.0173f, 77)},
             {{1, 2, 2, 2}, Quant::PerTensor(0.123f, 200)}},
            2, Quant::PerTensor(0.0627f, 31));
  AddConcat(cases, "requant_same_scale_zp_differs", kU8,
            {{{2, 8}, Quant::PerTensor(0.04f, 120)}, {{2, 8}, out}}, 1, out);
  AddConcat(cases, "requant_5d_axis_neg1", kU8,
            {{{1, 2, 2, 2, 3}, Quant::PerTensor(0.05f, 100)}, {{1, 2, 2, 2, 2}, out}}, -1, out);
  AddConcat(cases, "requant_ties", kU8,
            {{{4, 16}, Quant::PerTensor(0.02f, 3)}, {{4, 16}, Quant::PerTensor(0.06f, 250)}},
            0, Quant::PerTensor(0.04f, 128));
}

// ---- SPLIT ----

void AddSplit(OpCaseList* cases, const std::string& variant, tflite::TensorType t,
              const Shape& in_shape, int axis, int num_splits) {
  ModelBuilder b;
  const Quant q = ActQuant(t, 4);
  const int rank = static_cast<int>(in_shape.size());
  const int a = axis < 0 ? axis + rank : axis;
  const int ax = b.AddConstInt32("axis", {}, {axis});
  const int in = b.AddTensor("input", t, in_shape, q);
  Shape out_shape = in_shape;
  out_shape[a] /= num_splits;
  std::vector<int> outs;
  for (int i = 0; i < num_splits; ++i) {
    outs.push_back(b.AddTensor("output" + std::to_string(i), t, out_shape, q));
  }
  SplitOptions opt;
  opt.num_splits = num_splits;
  b.AddOperator(tflite::BuiltinOperator_SPLIT, t == kI8 ? 2 : 1, {ax, in}, outs, opt);
  b.SetInputs({in});
  b.SetOutputs(outs);
  PushCase(cases, "split/" + TypeTag(t) + "_" + variant, &b);
}

void AddSplitCases(OpCaseList* cases) {
  for (tflite::TensorType t : {kI8, kU8}) {
    AddSplit(cases, "axis0_2", t, {2, 3, 4, 2}, 0, 2);
    AddSplit(cases, "axis1_2", t, {1, 4, 3, 2}, 1, 2);
    AddSplit(cases, "axis1_4", t, {1, 4, 3, 2}, 1, 4);
    AddSplit(cases, "axis2_3", t, {1, 2, 6, 3}, 2, 3);
    AddSplit(cases, "axis3_2", t, {1, 3, 3, 8}, 3, 2);
    AddSplit(cases, "axis3_4", t, {1, 3, 3, 8}, 3, 4);
    AddSplit(cases, "axis_neg1_3", t, {2, 2, 6}, -1, 3);
    AddSplit(cases, "axis_neg4_2", t, {4, 2, 2, 2}, -4, 2);
    AddSplit(cases, "2d_axis0_3", t, {6, 4}, 0, 3);
    AddSplit(cases, "3d_axis1_3", t, {3, 6, 2}, 1, 3);
    AddSplit(cases, "5d_axis2_2", t, {1, 2, 4, 2, 3}, 2, 2);
  }
}

// ---- RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR ----

void AddResize(OpCaseList* cases, bool bilinear, const std::string& variant,
               tflite::TensorType t, const Shape& in_shape, int out_h, int out_w,
               bool align_corners, bool half_pixel_centers) {
  ModelBuilder b;
  const Quant q = ActQuant(t, 5);
  const int in = b.AddTensor("input", t, in_shape, q);
  const int size = b.AddConstInt32("size", {out_h, out_w});
  const int out =
      b.AddTensor("output", t, {in_shape[0], out_h, out_w, in_shape[3]}, q);
  ResizeOptions opt;
  opt.align_corners = align_corners;
  opt.half_pixel_centers = half_pixel_centers;
  const int version = half_pixel_centers ? 3 : (t == kI8 ? 2 : 1);
  b.AddOperator(bilinear ? tflite::BuiltinOperator_RESIZE_BILINEAR
                         : tflite::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR,
                version, {in, size}, {out}, opt);
  b.SetInputs({in});
  b.SetOutputs({out});
  const char* mode = align_corners ? "_ac" : (half_pixel_centers ? "_hp" : "");
  PushCase(cases,
           std::string(bilinear ? "resize_bilinear/" : "resize_nearest_neighbor/") +
               TypeTag(t) + "_" + variant + mode,
           &b);
}

void AddResizeCases(OpCaseList* cases) {
  struct Mode {
    bool ac, hp;
  };
  const Mode modes[] = {{false, false}, {true, false}, {false, true}};
  for (bool bilinear : {true, false}) {
    for (tflite::TensorType t : {kI8, kU8}) {
      for (const Mode& m : modes) {
        AddResize(cases, bilinear, "up2x", t, {1, 4, 4, 3}, 8, 8, m.ac, m.hp);
        AddResize(cases, bilinear, "down_8x8_to_3x5", t, {1, 8, 8, 2}, 3, 5, m.ac, m.hp);
        AddResize(cases, bilinear, "up_3x5_to_7x4", t, {2, 3, 5, 3}, 7, 4, m.ac, m.hp);
        AddResize(cases, bilinear, "5x7_to_13x3", t, {1, 5, 7, 2}, 13, 3, m.ac, m.hp);
        AddResize(cases, bilinear, "7x3_to_2x11", t, {1, 7, 3, 3}, 2, 11, m.ac, m.hp);
      }
      AddResize(cases, bilinear, "to_1x1", t, {1, 3, 4, 2}, 1, 1, true, false);
      AddResize(cases, bilinear, "from_1x1", t, {1, 1, 1, 4}, 3, 2, false, false);
    }
  }
  // uint8 bilinear: x8 half-pixel upsampling with depth % 8 == 0 takes
  // TFLite's "888" fixed-point fast path.
  AddResize(cases, true, "up8x_depth8", kU8, {1, 2, 3, 8}, 16, 24, false, true);
  AddResize(cases, true, "up8x_depth8", kI8, {1, 2, 3, 8}, 16, 24, false, true);
  // Nearest neighbour where TFLite's 16.16 fixed-point index (optimized
  // uint8 kernel) and the float index (reference kernel) disagree: 14 -> 46
  // rows (row 23) and 26 -> 22 columns (column 11).
  AddResize(cases, false, "fixed_vs_float_index", kU8, {1, 14, 26, 1}, 46, 22, false, false);
  AddResize(cases, false, "fixed_vs_float_index", kI8, {1, 14, 26, 1}, 46, 22, false, false);
}

}  // namespace

void AddShapeCases(OpCaseList* cases) {
  AddPadCases(cases);
  AddReshapeCases(cases);
  AddTransposeCases(cases);
  AddConcatCases(cases);
  AddSplitCases(cases);
  AddResizeCases(cases);
}

}  // namespace testing
}  // namespace systole
