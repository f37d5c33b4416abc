// PAD, RESHAPE, SQUEEZE, TRANSPOSE, CONCATENATION, SPLIT, RESIZE_*: what the
// matched TensorFlow Lite refuses is refused in Prepare, naming the op and the
// rule; plus a few hand-computed results. Bit-exactness against the real
// TFLite is covered by tests/op_cases (shape_cases.cc, graph_cases.cc).
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "interpreter/interpreter.h"
#include "interpreter/kernels/kernel_test_util.h"
#include "interpreter/model.h"
#include "interpreter/op_resolver.h"
#include "testing/model_builder.h"

namespace systole {
namespace {

using testing::ModelBuilder;
using testing::Quant;
constexpr tflite::TensorType kI8 = tflite::TensorType_INT8;
constexpr tflite::TensorType kU8 = tflite::TensorType_UINT8;

using testing::ExpectRejected;
using testing::Load;
using testing::Loaded;

// One `op` from an int8 input x (scale 0.1, zero point 0) and a constant int32
// second input `c_name` to an int8 output o of the same quantization; x is the
// model's input, o its output.
void XAndConstInt32(ModelBuilder* mb, tflite::BuiltinOperator op, int version, const std::vector<int32_t>& x_shape,
                    const std::string& c_name, const std::vector<int32_t>& c_shape,
                    const std::vector<int32_t>& c_values, const std::vector<int32_t>& o_shape,
                    const testing::OpOptions& opt = testing::NoOptions{}) {
  const Quant q = Quant::PerTensor(0.1f, 0);
  const int x = mb->AddTensor("x", kI8, x_shape, q);
  const int c = mb->AddConstInt32(c_name, c_shape, c_values);
  const int o = mb->AddTensor("o", kI8, o_shape, q);
  mb->AddOperator(op, version, {x, c}, {o}, opt);
  mb->SetInputs({x});
  mb->SetOutputs({o});
}

TEST(ShapeKernelsTest, TransposeRejectsSixDims) {
  ModelBuilder mb;
  XAndConstInt32(&mb, tflite::BuiltinOperator_TRANSPOSE, 5, {1, 2, 1, 2, 1, 2}, "perm", {6}, {5, 4, 3, 2, 1, 0},
                 {2, 1, 2, 1, 2, 1});
  ExpectRejected(&mb, "TRANSPOSE: 6-D input; only 1-D to 5-D");
}

TEST(ShapeKernelsTest, TransposeRejectsBadPerm) {
  ModelBuilder mb;
  XAndConstInt32(&mb, tflite::BuiltinOperator_TRANSPOSE, 2, {2, 3}, "perm", {2}, {0, 2}, {2, 3});
  ExpectRejected(&mb, "out of bounds");
}

TEST(ShapeKernelsTest, ConcatenationInt8RefusesRescaling) {
  ModelBuilder mb;
  const int a = mb.AddTensor("a", kI8, {1, 2}, Quant::PerTensor(0.1f, 0));
  const int b = mb.AddTensor("b", kI8, {1, 2}, Quant::PerTensor(0.2f, 0));
  const int o = mb.AddTensor("o", kI8, {1, 4}, Quant::PerTensor(0.1f, 0));
  testing::ConcatenationOptions opt;
  opt.axis = 1;
  mb.AddOperator(tflite::BuiltinOperator_CONCATENATION, 2, {a, b}, {o}, opt);
  mb.SetInputs({a, b});
  mb.SetOutputs({o});
  ExpectRejected(&mb, "int8 concatenation does not rescale");
}

TEST(ShapeKernelsTest, ConcatenationRefusesFusedActivation) {
  ModelBuilder mb;
  const Quant q = Quant::PerTensor(0.1f, 128);
  const int a = mb.AddTensor("a", kU8, {1, 2}, q);
  const int o = mb.AddTensor("o", kU8, {1, 2}, q);
  testing::ConcatenationOptions opt;
  opt.axis = 1;
  opt.activation = tflite::ActivationFunctionType_RELU;
  mb.AddOperator(tflite::BuiltinOperator_CONCATENATION, 1, {a}, {o}, opt);
  mb.SetInputs({a});
  mb.SetOutputs({o});
  ExpectRejected(&mb, "must be NONE");
}

TEST(ShapeKernelsTest, ResizeBilinearRefusesAlignCornersWithHalfPixel) {
  ModelBuilder mb;
  testing::ResizeOptions opt;
  opt.align_corners = true;
  opt.half_pixel_centers = true;
  XAndConstInt32(&mb, tflite::BuiltinOperator_RESIZE_BILINEAR, 3, {1, 2, 2, 1}, "size", {2}, {4, 4}, {1, 4, 4, 1}, opt);
  ExpectRejected(&mb, "half_pixel_centers requires align_corners to be false");
}

TEST(ShapeKernelsTest, SplitRefusesUnevenSplit) {
  ModelBuilder mb;
  const Quant q = Quant::PerTensor(0.1f, 0);
  const int axis = mb.AddConstInt32("axis", {}, {1});
  const int x = mb.AddTensor("x", kI8, {2, 5}, q);
  const int o0 = mb.AddTensor("o0", kI8, {2, 2}, q);
  const int o1 = mb.AddTensor("o1", kI8, {2, 2}, q);
  testing::SplitOptions opt;
  opt.num_splits = 2;
  mb.AddOperator(tflite::BuiltinOperator_SPLIT, 2, {axis, x}, {o0, o1}, opt);
  mb.SetInputs({x});
  mb.SetOutputs({o0, o1});
  ExpectRejected(&mb, "not an even split");
}

TEST(ShapeKernelsTest, PadRefusesNegativePaddingAndVariablePaddings) {
  {
    ModelBuilder mb;
    XAndConstInt32(&mb, tflite::BuiltinOperator_PAD, 2, {3, 3}, "paddings", {2, 2}, {0, 0, -1, 0}, {3, 2});
    ExpectRejected(&mb, "must be >= 0");
  }
  {
    ModelBuilder mb;
    const Quant q = Quant::PerTensor(0.1f, 0);
    const int x = mb.AddTensor("x", kI8, {3, 3}, q);
    const int pads = mb.AddTensor("paddings", tflite::TensorType_INT32, {2, 2});
    const int o = mb.AddTensor("o", kI8, {3, 3}, q);
    mb.AddOperator(tflite::BuiltinOperator_PAD, 2, {x, pads}, {o});
    mb.SetInputs({x, pads});
    mb.SetOutputs({o});
    ExpectRejected(&mb, "paddings must be a constant tensor");
  }
}

TEST(ShapeKernelsTest, ReshapeAndSqueezeRefuseBadShapes) {
  {
    ModelBuilder mb;
    XAndConstInt32(&mb, tflite::BuiltinOperator_RESHAPE, 1, {2, 3}, "shape", {3}, {4, -1, -1}, {4, 1, 1});
    ExpectRejected(&mb, "more than one dimension of the new shape is -1");
  }
  {
    ModelBuilder mb;
    XAndConstInt32(&mb, tflite::BuiltinOperator_RESHAPE, 1, {2, 3}, "shape", {2}, {4, 2}, {4, 2});
    ExpectRejected(&mb, "input has 6 elements but the new shape has 8");
  }
  {
    // Three dimensions of 2^31 - 1: the element count overflows int64 (the
    // fuzzer's case; without the check, undefined behaviour).
    ModelBuilder mb;
    XAndConstInt32(&mb, tflite::BuiltinOperator_RESHAPE, 1, {2, 3}, "shape", {3},
                   {2147483647, 2147483647, 2147483647}, {1, 1, 1});
    ExpectRejected(&mb, "the new shape has more than 2^63 elements");
  }
  {
    ModelBuilder mb;
    const Quant q = Quant::PerTensor(0.1f, 0);
    const int x = mb.AddTensor("x", kI8, {1, 3}, q);
    const int o = mb.AddTensor("o", kI8, {1}, q);
    testing::SqueezeOptions opt;
    opt.squeeze_dims = {1};
    mb.AddOperator(tflite::BuiltinOperator_SQUEEZE, 1, {x}, {o}, opt);
    mb.SetInputs({x});
    mb.SetOutputs({o});
    ExpectRejected(&mb, "only size-1 dimensions can be squeezed");
  }
}

// PAD fills with the *output* zero point; the input bytes are moved unchanged.
TEST(ShapeKernelsTest, PadUsesOutputZeroPoint) {
  ModelBuilder mb;
  const int x = mb.AddTensor("x", kI8, {1, 2}, Quant::PerTensor(0.1f, -3));
  const int pads = mb.AddConstInt32("paddings", {2, 2}, {1, 0, 1, 1});
  const int o = mb.AddTensor("o", kI8, {2, 4}, Quant::PerTensor(0.1f, 9));
  mb.AddOperator(tflite::BuiltinOperator_PAD, 2, {x, pads}, {o});
  mb.SetInputs({x});
  mb.SetOutputs({o});
  Loaded l;
  const Status s = Load(&mb, &l);
  ASSERT_TRUE(s.ok()) << s.message();
  l.interp->input_tensor(0)->data.int8[0] = -100;
  l.interp->input_tensor(0)->data.int8[1] = 55;
  ASSERT_TRUE(l.interp->Invoke().ok());
  const int8_t* out = l.interp->output_tensor(0)->data.int8;
  const std::vector<int8_t> expected = {9, 9, 9, 9, 9, -100, 55, 9};
  EXPECT_EQ(std::vector<int8_t>(out, out + 8), expected);
}

// int8 bilinear, 1x2 -> 1x3 without corners alignment: scale_10 = 683,
// x = 0, 683, 1366 (10 fractional bits); values -100 and 100 give
// -100, (-100*341 + 100*683)/1024 = 33.4 -> 33, 100.
TEST(ShapeKernelsTest, ResizeBilinearInt8FixedPoint) {
  ModelBuilder mb;
  XAndConstInt32(&mb, tflite::BuiltinOperator_RESIZE_BILINEAR, 2, {1, 1, 2, 1}, "size", {2}, {1, 3}, {1, 1, 3, 1},
                 testing::ResizeOptions{});
  Loaded l;
  const Status s = Load(&mb, &l);
  ASSERT_TRUE(s.ok()) << s.message();
  l.interp->input_tensor(0)->data.int8[0] = -100;
  l.interp->input_tensor(0)->data.int8[1] = 100;
  ASSERT_TRUE(l.interp->Invoke().ok());
  const int8_t* out = l.interp->output_tensor(0)->data.int8;
  EXPECT_EQ(out[0], -100);
  EXPECT_EQ(out[1], 33);
  EXPECT_EQ(out[2], 100);
}

}  // namespace
}  // namespace systole
