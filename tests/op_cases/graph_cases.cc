// Few-op models built from the shape / data-movement kernels: several inputs
// and outputs, chains, fan-out, intermediates that are also outputs, constant
// operands, and SPLIT feeding CONCATENATION (with uint8 requantization).
// Inputs come from the oracle's xorshift32 stream, in model input order.
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

void Finish(OpCaseList* cases, const std::string& name, ModelBuilder* b) {
  PushCase(cases, "graph/" + name, b);
}

// a[1,4,4,2] ++ b[1,4,4,3] (axis 3) -> RESHAPE [1,80].
void TwoInputsConcatReshape(OpCaseList* cases) {
  ModelBuilder b;
  const Quant q = ActQuant(kI8, 0);
  const int a = b.AddTensor("a", kI8, {1, 4, 4, 2}, q);
  const int c = b.AddTensor("b", kI8, {1, 4, 4, 3}, q);
  const int cat = b.AddTensor("concat", kI8, {1, 4, 4, 5}, q);
  const int shape = b.AddConstInt32("shape", {1, -1});
  const int out = b.AddTensor("output", kI8, {1, 80}, q);
  ConcatenationOptions co;
  co.axis = 3;
  b.AddOperator(tflite::BuiltinOperator_CONCATENATION, 2, {a, c}, {cat}, co);
  b.AddOperator(tflite::BuiltinOperator_RESHAPE, 1, {cat, shape}, {out});
  b.SetInputs({a, c});
  b.SetOutputs({out});
  Finish(cases, "two_inputs_concat_reshape_i8", &b);
}

// [1,48] -> RESHAPE [1,4,4,3] -> PAD (h, w by 1) -> TRANSPOSE to NCHW.
void ChainReshapePadTranspose(OpCaseList* cases, tflite::TensorType t) {
  ModelBuilder b;
  const Quant q = ActQuant(t, 1);
  const int in = b.AddTensor("input", t, {1, 48}, q);
  const int shape = b.AddConstInt32("shape", {1, 4, 4, 3});
  const int r = b.AddTensor("reshaped", t, {1, 4, 4, 3}, q);
  const int pads = b.AddConstInt32("paddings", {4, 2}, {0, 0, 1, 1, 1, 1, 0, 0});
  const int p = b.AddTensor("padded", t, {1, 6, 6, 3}, q);
  const int perm = b.AddConstInt32("perm", {0, 3, 1, 2});
  const int out = b.AddTensor("output", t, {1, 3, 6, 6}, q);
  b.AddOperator(tflite::BuiltinOperator_RESHAPE, 1, {in, shape}, {r});
  b.AddOperator(tflite::BuiltinOperator_PAD, t == kI8 ? 2 : 1, {r, pads}, {p});
  b.AddOperator(tflite::BuiltinOperator_TRANSPOSE, 2, {p, perm}, {out});
  b.SetInputs({in});
  b.SetOutputs({out});
  Finish(cases, std::string("reshape_pad_transpose_") + shape_cases::TypeTag(t), &b);
}

// SPLIT [1,4,4,6] into 3 on channels, CONCATENATION in the order 2, 0, 1.
void SplitConcatReorder(OpCaseList* cases) {
  ModelBuilder b;
  const Quant q = ActQuant(kI8, 2);
  const int axis = b.AddConstInt32("axis", {}, {3});
  const int in = b.AddTensor("input", kI8, {1, 4, 4, 6}, q);
  std::vector<int> parts;
  for (int i = 0; i < 3; ++i) {
    parts.push_back(b.AddTensor("part" + std::to_string(i), kI8, {1, 4, 4, 2}, q));
  }
  const int out = b.AddTensor("output", kI8, {1, 4, 4, 6}, q);
  SplitOptions so;
  so.num_splits = 3;
  b.AddOperator(tflite::BuiltinOperator_SPLIT, 2, {axis, in}, parts, so);
  ConcatenationOptions co;
  co.axis = -1;
  b.AddOperator(tflite::BuiltinOperator_CONCATENATION, 2, {parts[2], parts[0], parts[1]}, {out},
                co);
  b.SetInputs({in});
  b.SetOutputs({out});
  Finish(cases, "split_concat_reorder_i8", &b);
}

// uint8 SPLIT whose outputs are declared with different quantizations (the
// bytes are copied unchanged), then CONCATENATION requantizing both.
void SplitConcatRequantU8(OpCaseList* cases) {
  ModelBuilder b;
  const int axis = b.AddConstInt32("axis", {}, {1});
  const int in = b.AddTensor("input", kU8, {1, 6, 3, 2}, Quant::PerTensor(0.05f, 128));
  const int s0 = b.AddTensor("part0", kU8, {1, 3, 3, 2}, Quant::PerTensor(0.05f, 128));
  const int s1 = b.AddTensor("part1", kU8, {1, 3, 3, 2}, Quant::PerTensor(0.02f, 60));
  const int out = b.AddTensor("output", kU8, {1, 3, 3, 4}, Quant::PerTensor(0.07f, 100));
  SplitOptions so;
  so.num_splits = 2;
  b.AddOperator(tflite::BuiltinOperator_SPLIT, 1, {axis, in}, {s0, s1}, so);
  ConcatenationOptions co;
  co.axis = 3;
  b.AddOperator(tflite::BuiltinOperator_CONCATENATION, 1, {s1, s0}, {out}, co);
  b.SetInputs({in});
  b.SetOutputs({out});
  Finish(cases, "split_concat_requant_u8", &b);
}

// One input, two outputs: SPLIT on H; part 0 transposed, part 1 padded.
void SplitTwoOutputs(OpCaseList* cases) {
  ModelBuilder b;
  const Quant q = ActQuant(kU8, 3);
  const int axis = b.AddConstInt32("axis", {}, {1});
  const int in = b.AddTensor("input", kU8, {1, 4, 3, 2}, q);
  const int s0 = b.AddTensor("top", kU8, {1, 2, 3, 2}, q);
  const int s1 = b.AddTensor("bottom", kU8, {1, 2, 3, 2}, q);
  const int perm = b.AddConstInt32("perm", {0, 3, 2, 1});
  const int t0 = b.AddTensor("top_t", kU8, {1, 2, 3, 2}, q);
  const int pads = b.AddConstInt32("paddings", {4, 2}, {0, 0, 2, 0, 0, 1, 1, 0});
  const int p1 = b.AddTensor("bottom_p", kU8, {1, 4, 4, 3}, q);
  SplitOptions so;
  so.num_splits = 2;
  b.AddOperator(tflite::BuiltinOperator_SPLIT, 1, {axis, in}, {s0, s1}, so);
  b.AddOperator(tflite::BuiltinOperator_TRANSPOSE, 2, {s0, perm}, {t0});
  b.AddOperator(tflite::BuiltinOperator_PAD, 1, {s1, pads}, {p1});
  b.SetInputs({in});
  b.SetOutputs({t0, p1});
  Finish(cases, "split_two_outputs_u8", &b);
}

// Two inputs, two outputs: out0 = a ++ b on H, out1 = SQUEEZE(a).
void TwoInputsTwoOutputs(OpCaseList* cases) {
  ModelBuilder b;
  const Quant q = ActQuant(kI8, 4);
  const int a = b.AddTensor("a", kI8, {1, 1, 4, 3}, q);
  const int c = b.AddTensor("b", kI8, {1, 2, 4, 3}, q);
  const int cat = b.AddTensor("concat", kI8, {1, 3, 4, 3}, q);
  const int sq = b.AddTensor("squeezed", kI8, {4, 3}, q);
  ConcatenationOptions co;
  co.axis = 1;
  b.AddOperator(tflite::BuiltinOperator_CONCATENATION, 2, {a, c}, {cat}, co);
  b.AddOperator(tflite::BuiltinOperator_SQUEEZE, 1, {a}, {sq}, SqueezeOptions{});
  b.SetInputs({a, c});
  b.SetOutputs({cat, sq});
  Finish(cases, "two_inputs_two_outputs_i8", &b);
}

// RESIZE_BILINEAR 3x3 -> 6x6 (half-pixel), then RESIZE_NEAREST_NEIGHBOR to 4x4.
void ResizeChain(OpCaseList* cases, tflite::TensorType t) {
  ModelBuilder b;
  const Quant q = ActQuant(t, 5);
  const int in = b.AddTensor("input", t, {1, 3, 3, 2}, q);
  const int size0 = b.AddConstInt32("size0", {6, 6});
  const int mid = b.AddTensor("bilinear", t, {1, 6, 6, 2}, q);
  const int size1 = b.AddConstInt32("size1", {4, 4});
  const int out = b.AddTensor("output", t, {1, 4, 4, 2}, q);
  ResizeOptions hp;
  hp.half_pixel_centers = true;
  b.AddOperator(tflite::BuiltinOperator_RESIZE_BILINEAR, 3, {in, size0}, {mid}, hp);
  b.AddOperator(tflite::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR, t == kI8 ? 2 : 1,
                {mid, size1}, {out}, ResizeOptions{});
  b.SetInputs({in});
  b.SetOutputs({out});
  Finish(cases, std::string("bilinear_then_nearest_") + shape_cases::TypeTag(t), &b);
}

// NCHW input -> TRANSPOSE to NHWC -> 2x nearest upsampling -> back to NCHW.
void NchwUpsample(OpCaseList* cases) {
  ModelBuilder b;
  const Quant q = ActQuant(kI8, 1);
  const int in = b.AddTensor("input", kI8, {1, 3, 4, 5}, q);
  const int to_nhwc = b.AddConstInt32("to_nhwc", {0, 2, 3, 1});
  const int nhwc = b.AddTensor("nhwc", kI8, {1, 4, 5, 3}, q);
  const int size = b.AddConstInt32("size", {8, 10});
  const int up = b.AddTensor("upsampled", kI8, {1, 8, 10, 3}, q);
  const int to_nchw = b.AddConstInt32("to_nchw", {0, 3, 1, 2});
  const int out = b.AddTensor("output", kI8, {1, 3, 8, 10}, q);
  b.AddOperator(tflite::BuiltinOperator_TRANSPOSE, 2, {in, to_nhwc}, {nhwc});
  b.AddOperator(tflite::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR, 2, {nhwc, size}, {up},
                ResizeOptions{});
  b.AddOperator(tflite::BuiltinOperator_TRANSPOSE, 2, {up, to_nchw}, {out});
  b.SetInputs({in});
  b.SetOutputs({out});
  Finish(cases, "nchw_transpose_upsample_i8", &b);
}

// An intermediate that is also a model output: RESHAPE (output 0) feeding a
// TRANSPOSE (output 1).
void IntermediateOutput(OpCaseList* cases) {
  ModelBuilder b;
  const Quant q = ActQuant(kU8, 0);
  const int in = b.AddTensor("input", kU8, {2, 12}, q);
  const int shape = b.AddConstInt32("shape", {2, 3, 4});
  const int r = b.AddTensor("reshaped", kU8, {2, 3, 4}, q);
  const int perm = b.AddConstInt32("perm", {2, 1, 0});
  const int out = b.AddTensor("transposed", kU8, {4, 3, 2}, q);
  b.AddOperator(tflite::BuiltinOperator_RESHAPE, 1, {in, shape}, {r});
  b.AddOperator(tflite::BuiltinOperator_TRANSPOSE, 2, {r, perm}, {out});
  b.SetInputs({in});
  b.SetOutputs({r, out});
  Finish(cases, "intermediate_is_output_u8", &b);
}

// CONCATENATION with a constant operand, then SQUEEZE.
void ConcatConstant(OpCaseList* cases) {
  ModelBuilder b;
  const Quant q = ActQuant(kI8, 3);
  const int in = b.AddTensor("input", kI8, {1, 2, 3}, q);
  const int k = b.AddConstTensor<int8_t>("const", kI8, {1, 1, 3}, {-7, 0, 99}, q);
  const int cat = b.AddTensor("concat", kI8, {1, 3, 3}, q);
  const int out = b.AddTensor("output", kI8, {3, 3}, q);
  ConcatenationOptions co;
  co.axis = 1;
  b.AddOperator(tflite::BuiltinOperator_CONCATENATION, 2, {in, k}, {cat}, co);
  SqueezeOptions so;
  so.squeeze_dims = {0};
  b.AddOperator(tflite::BuiltinOperator_SQUEEZE, 1, {cat}, {out}, so);
  b.SetInputs({in});
  b.SetOutputs({out});
  Finish(cases, "concat_constant_squeeze_i8", &b);
}

// Fan-out: one input read by PAD and by RESIZE_BILINEAR (uint8, align_corners).
void FanOut(OpCaseList* cases) {
  ModelBuilder b;
  const Quant q = ActQuant(kU8, 2);
  const int in = b.AddTensor("input", kU8, {1, 3, 4, 2}, q);
  const int pads = b.AddConstInt32("paddings", {4, 2}, {0, 0, 1, 2, 0, 0, 0, 1});
  const int p = b.AddTensor("padded", kU8, {1, 6, 4, 3}, q);
  const int size = b.AddConstInt32("size", {5, 7});
  const int r = b.AddTensor("resized", kU8, {1, 5, 7, 2}, q);
  ResizeOptions ac;
  ac.align_corners = true;
  b.AddOperator(tflite::BuiltinOperator_PAD, 1, {in, pads}, {p});
  b.AddOperator(tflite::BuiltinOperator_RESIZE_BILINEAR, 1, {in, size}, {r}, ac);
  b.SetInputs({in});
  b.SetOutputs({r, p});
  Finish(cases, "fan_out_pad_resize_u8", &b);
}

// A CONV_2D with per-channel int8 weights and int32 bias (deterministic data).
int AddConv(ModelBuilder* b, const std::string& name, int in, float in_scale, int cin, int cout,
            int k, int out, uint32_t seed, tflite::ActivationFunctionType act) {
  std::vector<float> ws(cout), bs(cout);
  for (int i = 0; i < cout; ++i) {
    ws[i] = 0.004f + 0.0007f * static_cast<float>(i % 5);
    bs[i] = in_scale * ws[i];
  }
  const int w = b->AddConstTensor<int8_t>(name + "/w", kI8, {cout, k, k, cin},
                                          RandomInt8Data(static_cast<size_t>(cout * k * k * cin), seed, -127, 127),
                                          Quant::PerChannel(ws, std::vector<int64_t>(cout, 0), 0));
  const int bias = b->AddConstTensor<int32_t>(name + "/b", tflite::TensorType_INT32, {cout},
                                              RandomInt32Data(static_cast<size_t>(cout), seed + 1, -2000, 2000),
                                              Quant::PerChannel(bs, std::vector<int64_t>(cout, 0), 0));
  Conv2DOptions co;
  co.padding = tflite::Padding_SAME;
  co.activation = act;
  return b->AddOperator(tflite::BuiltinOperator_CONV_2D, 3, {in, w, bias}, {out}, co);
}

// CONV_2D 3x3 -> SOFTMAX -> CONV_2D 1x1: a SOFTMAX in the middle of a
// partition (it was refused before the SOFTMAX instruction existed).
void ConvSoftmaxConv(OpCaseList* cases) {
  ModelBuilder b;
  const int in = b.AddTensor("input", kI8, {1, 8, 8, 4}, Quant::PerTensor(0.05f, -3));
  const int c1 = b.AddTensor("conv1", kI8, {1, 8, 8, 8}, Quant::PerTensor(0.1f, -10));
  const int sm = b.AddTensor("softmax", kI8, {1, 8, 8, 8}, Quant::PerTensor(1.0f / 256, -128));
  const int out = b.AddTensor("output", kI8, {1, 8, 8, 4}, Quant::PerTensor(0.02f, 5));
  AddConv(&b, "conv1", in, 0.05f, 4, 8, 3, c1, 11, tflite::ActivationFunctionType_RELU);
  SoftmaxOptions so;
  so.beta = 1.0f;
  b.AddOperator(tflite::BuiltinOperator_SOFTMAX, 2, {c1}, {sm}, so);
  AddConv(&b, "conv2", sm, 1.0f / 256, 8, 4, 1, out, 21, tflite::ActivationFunctionType_NONE);
  b.SetInputs({in});
  b.SetOutputs({out});
  Finish(cases, "conv_softmax_conv_i8", &b);
}

// conv1 feeds SOFTMAX -> conv2 and, directly, conv3; ADD(conv2, conv3): one
// partition with a branch (and with --min-partition-ops / deny lists, a
// multi-partition case in the compiler text tests).
void ConvSoftmaxBranchAdd(OpCaseList* cases) {
  ModelBuilder b;
  const int in = b.AddTensor("input", kI8, {1, 6, 6, 3}, Quant::PerTensor(0.04f, 2));
  const int c1 = b.AddTensor("conv1", kI8, {1, 6, 6, 8}, Quant::PerTensor(0.09f, -20));
  const int sm = b.AddTensor("softmax", kI8, {1, 6, 6, 8}, Quant::PerTensor(1.0f / 256, -128));
  const int c2 = b.AddTensor("conv2", kI8, {1, 6, 6, 8}, Quant::PerTensor(0.03f, 1));
  const int c3 = b.AddTensor("conv3", kI8, {1, 6, 6, 8}, Quant::PerTensor(0.07f, -4));
  const int out = b.AddTensor("output", kI8, {1, 6, 6, 8}, Quant::PerTensor(0.08f, 3));
  AddConv(&b, "conv1", in, 0.04f, 3, 8, 3, c1, 31, tflite::ActivationFunctionType_RELU6);
  SoftmaxOptions so;
  so.beta = 1.0f;
  b.AddOperator(tflite::BuiltinOperator_SOFTMAX, 2, {c1}, {sm}, so);
  AddConv(&b, "conv2", sm, 1.0f / 256, 8, 8, 1, c2, 41, tflite::ActivationFunctionType_NONE);
  AddConv(&b, "conv3", c1, 0.09f, 8, 8, 3, c3, 51, tflite::ActivationFunctionType_RELU);
  b.AddOperator(tflite::BuiltinOperator_ADD, 2, {c2, c3}, {out});
  b.SetInputs({in});
  b.SetOutputs({out});
  Finish(cases, "conv_softmax_branch_add_i8", &b);
}

// Accelerator partitions split by an op the compiler refuses
// (RESIZE_BILINEAR): CONV_2D 3x3 -> RESIZE_BILINEAR 8x8 -> 12x12 -> CONV_2D
// 1x1. Through the delegate: two partitions around the CPU's resize.
void ConvBilinearConv(OpCaseList* cases) {
  ModelBuilder b;
  const int in = b.AddTensor("input", kI8, {1, 8, 8, 4}, Quant::PerTensor(0.05f, -3));
  const int c1 = b.AddTensor("conv1", kI8, {1, 8, 8, 8}, Quant::PerTensor(0.1f, -10));
  const int size = b.AddConstInt32("size", {12, 12});
  const int rs = b.AddTensor("resize", kI8, {1, 12, 12, 8}, Quant::PerTensor(0.1f, -10));
  const int out = b.AddTensor("output", kI8, {1, 12, 12, 4}, Quant::PerTensor(0.02f, 5));
  AddConv(&b, "conv1", in, 0.05f, 4, 8, 3, c1, 11, tflite::ActivationFunctionType_RELU);
  ResizeOptions hp;
  hp.half_pixel_centers = true;
  b.AddOperator(tflite::BuiltinOperator_RESIZE_BILINEAR, 3, {c1, size}, {rs}, hp);
  AddConv(&b, "conv2", rs, 0.1f, 8, 4, 1, out, 21, tflite::ActivationFunctionType_NONE);
  b.SetInputs({in});
  b.SetOutputs({out});
  Finish(cases, "conv_bilinear_conv_i8", &b);
}

// A branch around the refused op: conv1 feeds RESIZE_BILINEAR (6x6 -> 6x6,
// align_corners) -> conv2 and, directly, conv3; ADD(conv2, conv3). Partitions
// {conv1, conv3}, the resize on the CPU, {conv2, ADD}; the first partition's
// output crosses to the second.
void ConvBilinearBranchAdd(OpCaseList* cases) {
  ModelBuilder b;
  const int in = b.AddTensor("input", kI8, {1, 6, 6, 3}, Quant::PerTensor(0.04f, 2));
  const int c1 = b.AddTensor("conv1", kI8, {1, 6, 6, 8}, Quant::PerTensor(0.09f, -20));
  const int size = b.AddConstInt32("size", {6, 6});
  const int rs = b.AddTensor("resize", kI8, {1, 6, 6, 8}, Quant::PerTensor(0.09f, -20));
  const int c2 = b.AddTensor("conv2", kI8, {1, 6, 6, 8}, Quant::PerTensor(0.03f, 1));
  const int c3 = b.AddTensor("conv3", kI8, {1, 6, 6, 8}, Quant::PerTensor(0.07f, -4));
  const int out = b.AddTensor("output", kI8, {1, 6, 6, 8}, Quant::PerTensor(0.08f, 3));
  AddConv(&b, "conv1", in, 0.04f, 3, 8, 3, c1, 31, tflite::ActivationFunctionType_RELU6);
  ResizeOptions ac;
  ac.align_corners = true;
  b.AddOperator(tflite::BuiltinOperator_RESIZE_BILINEAR, 3, {c1, size}, {rs}, ac);
  AddConv(&b, "conv2", rs, 0.09f, 8, 8, 1, c2, 41, tflite::ActivationFunctionType_NONE);
  AddConv(&b, "conv3", c1, 0.09f, 8, 8, 3, c3, 51, tflite::ActivationFunctionType_RELU);
  b.AddOperator(tflite::BuiltinOperator_ADD, 2, {c2, c3}, {out});
  b.SetInputs({in});
  b.SetOutputs({out});
  Finish(cases, "conv_bilinear_branch_add_i8", &b);
}

}  // namespace

void AddGraphCases(OpCaseList* cases) {
  ConvSoftmaxConv(cases);
  ConvSoftmaxBranchAdd(cases);
  ConvBilinearConv(cases);
  ConvBilinearBranchAdd(cases);
  TwoInputsConcatReshape(cases);
  ChainReshapePadTranspose(cases, kI8);
  ChainReshapePadTranspose(cases, kU8);
  SplitConcatReorder(cases);
  SplitConcatRequantU8(cases);
  SplitTwoOutputs(cases);
  TwoInputsTwoOutputs(cases);
  ResizeChain(cases, kI8);
  ResizeChain(cases, kU8);
  NchwUpsample(cases);
  IntermediateOutput(cases);
  ConcatConstant(cases);
  FanOut(cases);
}

}  // namespace testing
}  // namespace systole
