// MAXIMUM/MINIMUM, SLICE, STRIDED_SLICE, PACK, UNPACK: malformed models are
// refused in Prepare with a message naming the op and the rule; plus
// STRIDED_SLICE's `offset` option (version 8, newer than the reference TFLite
// build, so it has no golden case) checked by hand. Bit-exactness against the
// real TFLite is covered by tests/op_cases/slice_cases.cc.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "interpreter/interpreter.h"
#include "interpreter/kernels/kernel_test_util.h"
#include "interpreter/kernel_runner.h"
#include "interpreter/model.h"
#include "interpreter/op_resolver.h"
#include "testing/model_builder.h"

namespace systole {
namespace {

using testing::ModelBuilder;
using testing::Quant;
constexpr tflite::TensorType kI8 = tflite::TensorType_INT8;
constexpr tflite::TensorType kU8 = tflite::TensorType_UINT8;
constexpr tflite::TensorType kF32 = tflite::TensorType_FLOAT32;

using testing::ExpectRejected;
using testing::Load;
using testing::Loaded;

const Quant kQ = Quant::PerTensor(0.1f, 3);

// ---- MAXIMUM / MINIMUM ----

void MaxMinModel(ModelBuilder* mb, tflite::TensorType ta, const std::vector<int32_t>& sa,
                 tflite::TensorType tb, const std::vector<int32_t>& sb,
                 const std::vector<int32_t>& so) {
  const int a = mb->AddTensor("a", ta, sa, kQ);
  const int b = mb->AddTensor("b", tb, sb, kQ);
  const int o = mb->AddTensor("o", ta, so, kQ);
  mb->AddOperator(tflite::BuiltinOperator_MAXIMUM, 2, {a, b}, {o});
  mb->SetInputs({a, b});
  mb->SetOutputs({o});
}

TEST(SliceKernelsTest, MaximumRejectsUnbroadcastableShapes) {
  ModelBuilder mb;
  MaxMinModel(&mb, kI8, {2, 3}, kI8, {2, 4}, {2, 4});
  ExpectRejected(&mb, "MAXIMUM: shapes are not broadcastable");
}

TEST(SliceKernelsTest, MaximumRejectsMixedTypes) {
  ModelBuilder mb;
  MaxMinModel(&mb, kI8, {4}, kU8, {4}, {4});
  ExpectRejected(&mb, "MAXIMUM: input types differ (INT8 and UINT8)");
}

TEST(SliceKernelsTest, MaximumRejectsSixDimensions) {
  ModelBuilder mb;
  MaxMinModel(&mb, kI8, {1, 2, 1, 2, 1, 2}, kI8, {2}, {1, 2, 1, 2, 1, 2});
  ExpectRejected(&mb, "MAXIMUM: 6-D output; at most 5-D");
}

TEST(SliceKernelsTest, MinimumBroadcastsByHand) {
  ModelBuilder mb;
  const int a = mb.AddTensor("a", kI8, {2, 1}, kQ);
  const int b = mb.AddTensor("b", kI8, {3}, kQ);
  const int o = mb.AddTensor("o", kI8, {2, 3}, kQ);
  mb.AddOperator(tflite::BuiltinOperator_MINIMUM, 2, {a, b}, {o});
  mb.SetInputs({a, b});
  mb.SetOutputs({o});
  Loaded l;
  ASSERT_TRUE(Load(&mb, &l).ok());
  const int8_t av[] = {-5, 7};
  const int8_t bv[] = {0, -9, 100};
  for (int i = 0; i < 2; ++i) l.interp->input_tensor(0)->data.int8[i] = av[i];
  for (int i = 0; i < 3; ++i) l.interp->input_tensor(1)->data.int8[i] = bv[i];
  ASSERT_TRUE(l.interp->Invoke().ok());
  const int8_t* out = l.interp->output_tensor(0)->data.int8;
  const std::vector<int8_t> got(out, out + 6);
  EXPECT_EQ(got, (std::vector<int8_t>{-5, -9, -5, 0, -9, 7}));
}

// ---- SLICE ----

void SliceModel(ModelBuilder* mb, const std::vector<int32_t>& shape,
                const std::vector<int32_t>& begin, const std::vector<int32_t>& size,
                const std::vector<int32_t>& out_shape) {
  const int x = mb->AddTensor("x", kI8, shape, kQ);
  const int b = mb->AddConstInt32("begin", begin);
  const int s = mb->AddConstInt32("size", size);
  const int o = mb->AddTensor("o", kI8, out_shape, kQ);
  mb->AddOperator(tflite::BuiltinOperator_SLICE, 2, {x, b, s}, {o});
  mb->SetInputs({x});
  mb->SetOutputs({o});
}

TEST(SliceKernelsTest, SliceRejectsBeginPlusSizePastTheEnd) {
  ModelBuilder mb;
  SliceModel(&mb, {4, 5}, {1, 2}, {2, 4}, {2, 4});
  ExpectRejected(&mb, "SLICE: begin[1] + size[1] = 6 exceeds the dimension size 5");
}

TEST(SliceKernelsTest, SliceRejectsNegativeBegin) {
  ModelBuilder mb;
  SliceModel(&mb, {4, 5}, {-1, 0}, {1, 5}, {1, 5});
  ExpectRejected(&mb, "SLICE: begin[0] = -1 is outside [0, 4]");
}

TEST(SliceKernelsTest, SliceRejectsInvalidSize) {
  ModelBuilder mb;
  SliceModel(&mb, {4, 5}, {0, 0}, {-2, 5}, {4, 5});
  ExpectRejected(&mb, "SLICE: size[0] = -2 is invalid");
}

TEST(SliceKernelsTest, SliceRejectsShortBegin) {
  ModelBuilder mb;
  SliceModel(&mb, {4, 5}, {0}, {1, 5}, {1, 5});
  ExpectRejected(&mb, "SLICE: begin must be 1-D with 2 entries");
}

TEST(SliceKernelsTest, SliceRejectsRuntimeBegin) {
  ModelBuilder mb;
  const int x = mb.AddTensor("x", kI8, {4}, kQ);
  const int b = mb.AddTensor("begin", tflite::TensorType_INT32, {1});
  const int s = mb.AddConstInt32("size", {2});
  const int o = mb.AddTensor("o", kI8, {2}, kQ);
  mb.AddOperator(tflite::BuiltinOperator_SLICE, 2, {x, b, s}, {o});
  mb.SetInputs({x, b});
  mb.SetOutputs({o});
  ExpectRejected(&mb, "SLICE: begin and size must be constant tensors");
}

// ---- STRIDED_SLICE ----

void StridedModel(ModelBuilder* mb, tflite::TensorType t, const std::vector<int32_t>& shape,
                  const std::vector<int32_t>& begin, const std::vector<int32_t>& end,
                  const std::vector<int32_t>& strides, const testing::StridedSliceOptions& o,
                  const std::vector<int32_t>& out_shape, int version = 2) {
  const Quant q = t == kF32 ? Quant::None() : kQ;
  const int x = mb->AddTensor("x", t, shape, q);
  const int b = mb->AddConstInt32("begin", begin);
  const int e = mb->AddConstInt32("end", end);
  const int s = mb->AddConstInt32("strides", strides);
  const int y = mb->AddTensor("y", t, out_shape, q);
  mb->AddOperator(tflite::BuiltinOperator_STRIDED_SLICE, version, {x, b, e, s}, {y}, o);
  mb->SetInputs({x});
  mb->SetOutputs({y});
}

TEST(SliceKernelsTest, StridedSliceRejectsZeroStride) {
  ModelBuilder mb;
  StridedModel(&mb, kI8, {4, 4}, {0, 0}, {4, 4}, {1, 0}, {}, {4, 4});
  ExpectRejected(&mb, "STRIDED_SLICE: stride for dimension 1 is 0");
}

TEST(SliceKernelsTest, StridedSliceRejectsMismatchedLengths) {
  ModelBuilder mb;
  StridedModel(&mb, kI8, {4, 4}, {0, 0}, {4}, {1, 1}, {}, {4, 4});
  ExpectRejected(&mb, "STRIDED_SLICE: begin, end and strides must have the same length");
}

TEST(SliceKernelsTest, StridedSliceRejectsTwoEllipses) {
  ModelBuilder mb;
  testing::StridedSliceOptions o;
  o.ellipsis_mask = 0b11;
  StridedModel(&mb, kI8, {4, 4}, {0, 0}, {4, 4}, {1, 1}, o, {4, 4});
  ExpectRejected(&mb, "more than one bit set");
}

TEST(SliceKernelsTest, StridedSliceRejectsShrinkPastTheEnd) {
  ModelBuilder mb;
  testing::StridedSliceOptions o;
  o.shrink_axis_mask = 0b1;
  StridedModel(&mb, kI8, {3, 4}, {5, 0}, {6, 4}, {1, 1}, o, {4});
  ExpectRejected(&mb, "a shrunk axis with an out-of-range begin");
}

TEST(SliceKernelsTest, StridedSliceRejectsTooManyNewAxes) {
  ModelBuilder mb;
  testing::StridedSliceOptions o;
  o.new_axis_mask = 0b11;
  StridedModel(&mb, kI8, {1, 2, 3, 4}, {0, 0, 0}, {1, 1, 1}, {1, 1, 1}, o, {1, 1, 1, 2, 3, 4});
  ExpectRejected(&mb, "6 dimensions including new axes; at most 5");
}

TEST(SliceKernelsTest, StridedSliceRejectsInt64Indices) {
  ModelBuilder mb;
  const int x = mb.AddTensor("x", kI8, {4}, kQ);
  const int b = mb.AddConstTensor("b", tflite::TensorType_INT64, {1}, std::vector<int64_t>{0});
  const int e = mb.AddConstTensor("e", tflite::TensorType_INT64, {1}, std::vector<int64_t>{2});
  const int s = mb.AddConstTensor("s", tflite::TensorType_INT64, {1}, std::vector<int64_t>{1});
  const int y = mb.AddTensor("y", kI8, {2}, kQ);
  mb.AddOperator(tflite::BuiltinOperator_STRIDED_SLICE, 2, {x, b, e, s}, {y});
  mb.SetInputs({x});
  mb.SetOutputs({y});
  ExpectRejected(&mb, "STRIDED_SLICE: begin must be INT32, got INT64");
}

// offset=true: end is a length relative to begin. x = 0..23 as a 4x6 float
// tensor; begin {1, -5} (-5 -> 1), end (lengths) {2, 4}, strides {2, 2}:
// row 1 and columns 1, 3 -> shape {1, 2}, values {7, 9}.
TEST(SliceKernelsTest, StridedSliceOffsetByHand) {
  ModelBuilder mb;
  testing::StridedSliceOptions o;
  o.offset = true;
  StridedModel(&mb, kF32, {4, 6}, {1, -5}, {2, 4}, {2, 2}, o, {1, 2}, 8);
  Loaded l;
  const Status s = Load(&mb, &l);
  ASSERT_TRUE(s.ok()) << s.message();
  for (int i = 0; i < 24; ++i) l.interp->input_tensor(0)->data.f[i] = static_cast<float>(i);
  ASSERT_TRUE(l.interp->Invoke().ok());
  const TfLiteTensor* y = l.interp->output_tensor(0);
  ASSERT_EQ(y->dims->size, 2);
  EXPECT_EQ(y->dims->data[0], 1);
  EXPECT_EQ(y->dims->data[1], 2);
  EXPECT_EQ(y->data.f[0], 7.0f);
  EXPECT_EQ(y->data.f[1], 9.0f);
}

TEST(SliceKernelsTest, StridedSliceOffsetRunningPastTheEndIsRejected) {
  ModelBuilder mb;
  testing::StridedSliceOptions o;
  o.offset = true;
  StridedModel(&mb, kI8, {4, 6}, {2, 0}, {5, 6}, {1, 1}, o, {5, 6}, 8);
  ExpectRejected(&mb, "an offset slice running past the end");
}

// ---- PACK / UNPACK ----

TEST(SliceKernelsTest, PackRejectsBadAxis) {
  ModelBuilder mb;
  const int a = mb.AddTensor("a", kI8, {2, 3}, kQ);
  const int b = mb.AddTensor("b", kI8, {2, 3}, kQ);
  const int o = mb.AddTensor("o", kI8, {2, 2, 3}, kQ);
  testing::PackOptions opt;
  opt.values_count = 2;
  opt.axis = 3;
  mb.AddOperator(tflite::BuiltinOperator_PACK, 2, {a, b}, {o}, opt);
  mb.SetInputs({a, b});
  mb.SetOutputs({o});
  ExpectRejected(&mb, "PACK: axis 3 is out of range for a 3-D output");
}

TEST(SliceKernelsTest, PackRejectsMismatchedShapes) {
  ModelBuilder mb;
  const int a = mb.AddTensor("a", kI8, {2, 3}, kQ);
  const int b = mb.AddTensor("b", kI8, {3, 2}, kQ);
  const int o = mb.AddTensor("o", kI8, {2, 2, 3}, kQ);
  testing::PackOptions opt;
  opt.values_count = 2;
  mb.AddOperator(tflite::BuiltinOperator_PACK, 2, {a, b}, {o}, opt);
  mb.SetInputs({a, b});
  mb.SetOutputs({o});
  ExpectRejected(&mb, "PACK: input 1 shape differs from input 0 shape");
}

TEST(SliceKernelsTest, PackRejectsValuesCountMismatch) {
  ModelBuilder mb;
  const int a = mb.AddTensor("a", kI8, {2}, kQ);
  const int o = mb.AddTensor("o", kI8, {2, 2}, kQ);
  testing::PackOptions opt;
  opt.values_count = 2;
  mb.AddOperator(tflite::BuiltinOperator_PACK, 2, {a}, {o}, opt);
  mb.SetInputs({a});
  mb.SetOutputs({o});
  ExpectRejected(&mb, "PACK: 1 inputs but values_count is 2");
}

TEST(SliceKernelsTest, PackRejectsRescaling) {
  ModelBuilder mb;
  const int a = mb.AddTensor("a", kI8, {2}, kQ);
  const int b = mb.AddTensor("b", kI8, {2}, Quant::PerTensor(0.2f, 3));
  const int o = mb.AddTensor("o", kI8, {2, 2}, kQ);
  testing::PackOptions opt;
  opt.values_count = 2;
  mb.AddOperator(tflite::BuiltinOperator_PACK, 2, {a, b}, {o}, opt);
  mb.SetInputs({a, b});
  mb.SetOutputs({o});
  ExpectRejected(&mb, "PACK does not rescale");
}

TEST(SliceKernelsTest, UnpackRejectsNumMismatch) {
  ModelBuilder mb;
  const int x = mb.AddTensor("x", kI8, {3, 2}, kQ);
  const int a = mb.AddTensor("a", kI8, {2}, kQ);
  const int b = mb.AddTensor("b", kI8, {2}, kQ);
  testing::UnpackOptions opt;
  opt.num = 2;
  mb.AddOperator(tflite::BuiltinOperator_UNPACK, 2, {x}, {a, b}, opt);
  mb.SetInputs({x});
  mb.SetOutputs({a, b});
  ExpectRejected(&mb, "UNPACK: num is 2 but dimension 0 has size 3");
}

TEST(SliceKernelsTest, UnpackRejectsBadAxis) {
  ModelBuilder mb;
  const int x = mb.AddTensor("x", kI8, {2, 2}, kQ);
  const int a = mb.AddTensor("a", kI8, {2}, kQ);
  const int b = mb.AddTensor("b", kI8, {2}, kQ);
  testing::UnpackOptions opt;
  opt.num = 2;
  opt.axis = -3;
  mb.AddOperator(tflite::BuiltinOperator_UNPACK, 2, {x}, {a, b}, opt);
  mb.SetInputs({x});
  mb.SetOutputs({a, b});
  ExpectRejected(&mb, "UNPACK: axis -3 is out of range for a 2-D input");
}

// Hostile STRIDED_SLICE parameters (random ranks, spec counts, indices,
// strides and masks, a fixed xorshift seed): every combination is either
// refused in Prepare or runs; with the sanitizers on, nothing is read or
// written out of bounds. Also checks that a prepared slice's output holds
// exactly the elements it declares (the kernel compares them itself).
TEST(SliceKernelsTest, StridedSliceSurvivesRandomParameters) {
  uint32_t state = 0x51CEu;  // seed
  auto next = [&state]() {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  };
  auto pick = [&next](int lo, int hi) { return lo + static_cast<int>(next() % static_cast<uint32_t>(hi - lo + 1)); };
  int prepared = 0, refused = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    KernelRunner r(TfliteFlavor::kRuy, tflite::BuiltinOperator_STRIDED_SLICE, 2);
    const int rank = pick(1, 5);
    std::vector<int> dims(rank);
    for (int& d : dims) d = pick(1, 4);
    const int x = r.AddTensor(kTfLiteInt8, dims, 0.1f, 0);
    const int specs = pick(1, 6);
    std::vector<int32_t> b(specs), e(specs), st(specs);
    for (int i = 0; i < specs; ++i) {
      b[i] = pick(-6, 6);
      e[i] = pick(-6, 6);
      st[i] = pick(-3, 3);
    }
    const int bt = r.AddConstInt32(b), et = r.AddConstInt32(e), stt = r.AddConstInt32(st);
    const int y = r.AddTensor(kTfLiteInt8, {1}, 0.1f, 0);
    TfLiteStridedSliceParams p{};
    p.begin_mask = pick(0, 63);
    p.end_mask = pick(0, 63);
    p.shrink_axis_mask = pick(0, 63) & pick(0, 63);
    p.ellipsis_mask = pick(0, 3) == 0 ? (1 << pick(0, 5)) : (pick(0, 9) == 0 ? 0b11 : 0);
    p.new_axis_mask = pick(0, 2) == 0 ? pick(0, 63) : 0;
    p.offset = pick(0, 4) == 0;
    if (!r.Prepare({x, bt, et, stt}, {y}, &p).ok()) {
      ++refused;
      continue;
    }
    ++prepared;
    for (int64_t i = 0, n = static_cast<int64_t>(r.tensor(x)->bytes); i < n; ++i) r.data(x)[i] = static_cast<uint8_t>(i);
    const Status s = r.Invoke();
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  std::printf("random STRIDED_SLICE parameters: %d prepared and run, %d refused\n", prepared, refused);
  EXPECT_GT(prepared, 300);
  EXPECT_GT(refused, 100);
}

}  // namespace
}  // namespace systole
