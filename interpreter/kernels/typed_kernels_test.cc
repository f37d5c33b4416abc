// CAST, float32/int32 arithmetic, reductions and the index ops: malformed
// models get specific errors naming the op, the rule and the types (in
// Prepare, or in Invoke for data-dependent rules), never a crash; a few
// hand-computed results. Bit-exactness against the real TFLite is covered by
// tests/op_cases (cast_cases.cc, float_cases.cc, arith_cases.cc,
// reduce_cases.cc, index_cases.cc, head_cases.cc).
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "interpreter/interpreter.h"
#include "interpreter/kernels/kernel_test_util.h"
#include "interpreter/model.h"
#include "interpreter/op_resolver.h"
#include "interpreter/tensor_io.h"
#include "common/xorshift32.h"
#include "testing/model_builder.h"

namespace systole {
namespace {

using testing::ArgMinMaxOptions;
using testing::GatherOptions;
using testing::ModelBuilder;
using testing::ReducerOptions;
constexpr tflite::TensorType kF32 = tflite::TensorType_FLOAT32;
constexpr tflite::TensorType kI32 = tflite::TensorType_INT32;
constexpr tflite::TensorType kI64 = tflite::TensorType_INT64;
constexpr tflite::TensorType kI8 = tflite::TensorType_INT8;

using testing::ExpectRejected;
using testing::Load;
using testing::Loaded;

// Prepares fine, fails in Invoke with `needle`.
void ExpectInvokeFails(ModelBuilder* mb, const std::string& needle) {
  Loaded l;
  ASSERT_TRUE(Load(mb, &l).ok());
  const Status s = l.interp->Invoke();
  ASSERT_FALSE(s.ok()) << "expected an Invoke failure containing \"" << needle << "\"";
  EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
}

void Unary(ModelBuilder* mb, tflite::BuiltinOperator op, tflite::TensorType in_type,
           tflite::TensorType out_type, std::vector<int32_t> shape = {4}) {
  const int x = mb->AddTensor("x", in_type, shape);
  const int y = mb->AddTensor("y", out_type, shape);
  mb->AddOperator(op, 1, {x}, {y});
  mb->SetInputs({x});
  mb->SetOutputs({y});
}

TEST(TypedKernelsTest, CastRejectsUnsupportedTypeNamingOpVersionIndexAndTypes) {
  ModelBuilder mb;
  Unary(&mb, tflite::BuiltinOperator_CAST, kF32, tflite::TensorType_UINT16);
  ExpectRejected(&mb,
                 "operator 0 (CAST): CAST: input type FLOAT32 to output type UINT16 is not "
                 "supported");
  ModelBuilder mb2;
  Unary(&mb2, tflite::BuiltinOperator_CAST, kF32, tflite::TensorType_UINT16);
  ExpectRejected(&mb2, "(CAST version 1)");
}

TEST(TypedKernelsTest, CastRejectsTwoInputs) {
  ModelBuilder mb;
  const int x = mb.AddTensor("x", kF32, {4});
  const int x2 = mb.AddTensor("x2", kF32, {4});
  const int y = mb.AddTensor("y", kI32, {4});
  mb.AddOperator(tflite::BuiltinOperator_CAST, 1, {x, x2}, {y});
  mb.SetInputs({x, x2});
  mb.SetOutputs({y});
  ExpectRejected(&mb, "CAST: has 2 inputs, expected 1");
}

TEST(TypedKernelsTest, CastComputesWasmConversions) {
  ModelBuilder mb;
  const std::vector<float> v = {-1.5f, 2.7f, 300.f, -300.f, 1e10f};
  const int c = mb.AddConstTensor("c", kF32, {5}, v);
  const int x = mb.AddTensor("x", kF32, {1});
  const int cat = mb.AddTensor("cat", kF32, {6});
  mb.AddOperator(tflite::BuiltinOperator_CONCATENATION, 1, {x, c}, {cat},
                 testing::ConcatenationOptions{});
  const int i8 = mb.AddTensor("i8", kI8, {6});
  const int u8 = mb.AddTensor("u8", tflite::TensorType_UINT8, {6});
  const int i32 = mb.AddTensor("i32", kI32, {6});
  mb.AddOperator(tflite::BuiltinOperator_CAST, 1, {cat}, {i8});
  mb.AddOperator(tflite::BuiltinOperator_CAST, 1, {cat}, {u8});
  mb.AddOperator(tflite::BuiltinOperator_CAST, 1, {cat}, {i32});
  mb.SetInputs({x});
  mb.SetOutputs({i8, u8, i32});
  Loaded l;
  ASSERT_TRUE(Load(&mb, &l).ok());
  l.interp->input_tensor(0)->data.f[0] = 0.0f;
  ASSERT_TRUE(l.interp->Invoke().ok());
  const int8_t* o8 = l.interp->output_tensor(0)->data.int8;
  const uint8_t* ou8 = l.interp->output_tensor(1)->data.uint8;
  const int32_t* o32 = l.interp->output_tensor(2)->data.i32;
  EXPECT_EQ(o8[1], -1);
  EXPECT_EQ(o8[2], 2);
  EXPECT_EQ(o8[3], 44);   // 300 wraps
  EXPECT_EQ(ou8[1], 0);   // negative -> 0 through uint32
  EXPECT_EQ(ou8[4], 0);
  EXPECT_EQ(o32[5], INT32_MIN);  // out of range
}

TEST(TypedKernelsTest, ArithRejectsMixedTypesAndGenericFiveDimBroadcast) {
  ModelBuilder mb;
  const int a = mb.AddTensor("a", kF32, {2, 3});
  const int b = mb.AddTensor("b", kI32, {2, 3});
  const int o = mb.AddTensor("o", kF32, {2, 3});
  mb.AddOperator(tflite::BuiltinOperator_ADD, 1, {a, b}, {o});
  mb.SetInputs({a, b});
  mb.SetOutputs({o});
  ExpectRejected(&mb, "ADD: input types FLOAT32 and INT32 with output type FLOAT32");

  ModelBuilder mb2;
  const int a2 = mb2.AddTensor("a", kF32, {2, 1, 2, 1, 2});
  const int b2 = mb2.AddTensor("b", kF32, {1, 2, 1, 2, 1});
  const int o2 = mb2.AddTensor("o", kF32, {2, 2, 2, 2, 2});
  mb2.AddOperator(tflite::BuiltinOperator_MUL, 1, {a2, b2}, {o2});
  mb2.SetInputs({a2, b2});
  mb2.SetOutputs({o2});
  ExpectRejected(&mb2, "MUL: broadcasting rank-5 shapes is not supported");
}

void IntDivision(ModelBuilder* mb, tflite::BuiltinOperator op, int32_t divisor) {
  const int a = mb->AddTensor("a", kI32, {3});
  const int b = mb->AddConstTensor("b", kI32, {3}, std::vector<int32_t>{1, divisor, 2});
  const int o = mb->AddTensor("o", kI32, {3});
  mb->AddOperator(op, 1, {a, b}, {o});
  mb->SetInputs({a});
  mb->SetOutputs({o});
}

TEST(TypedKernelsTest, IntegerDivisionByZeroFailsInInvoke) {
  for (auto op : {tflite::BuiltinOperator_DIV, tflite::BuiltinOperator_FLOOR_DIV,
                  tflite::BuiltinOperator_FLOOR_MOD}) {
    ModelBuilder mb;
    IntDivision(&mb, op, 0);
    ExpectInvokeFails(&mb, "Division by 0 (element 1 of input 2)");
  }
}

TEST(TypedKernelsTest, FloorDivAndModRoundTowardMinusInfinity) {
  ModelBuilder mb;
  const int a = mb.AddTensor("a", kI32, {4});
  const int b = mb.AddConstTensor("b", kI32, {4}, std::vector<int32_t>{3, -3, 3, -3});
  const int q = mb.AddTensor("q", kI32, {4});
  const int r = mb.AddTensor("r", kI32, {4});
  mb.AddOperator(tflite::BuiltinOperator_FLOOR_DIV, 1, {a, b}, {q});
  mb.AddOperator(tflite::BuiltinOperator_FLOOR_MOD, 1, {a, b}, {r});
  mb.SetInputs({a});
  mb.SetOutputs({q, r});
  Loaded l;
  ASSERT_TRUE(Load(&mb, &l).ok());
  const int32_t in[4] = {7, 7, -7, -7};
  std::memcpy(l.interp->input_tensor(0)->data.i32, in, sizeof(in));
  ASSERT_TRUE(l.interp->Invoke().ok());
  const int32_t* oq = l.interp->output_tensor(0)->data.i32;
  const int32_t* orr = l.interp->output_tensor(1)->data.i32;
  EXPECT_EQ(std::vector<int32_t>(oq, oq + 4), (std::vector<int32_t>{2, -3, -3, 2}));
  EXPECT_EQ(std::vector<int32_t>(orr, orr + 4), (std::vector<int32_t>{1, -2, 2, -1}));
}

TEST(TypedKernelsTest, UnaryFloatOpsRejectOtherTypes) {
  ModelBuilder mb;
  Unary(&mb, tflite::BuiltinOperator_SQRT, kI32, kI32);
  ExpectRejected(&mb, "SQRT: input type INT32 with output type INT32 is not supported");
  ModelBuilder mb2;
  Unary(&mb2, tflite::BuiltinOperator_EXP, kF32, kI32);
  ExpectRejected(&mb2, "EXP: input type FLOAT32 with output type INT32 is not supported");
}

void Reduce(ModelBuilder* mb, tflite::BuiltinOperator op, tflite::TensorType type,
            std::vector<int32_t> axes, std::vector<int32_t> out_shape) {
  const int x = mb->AddTensor("x", type, {2, 3});
  const int ax = mb->AddConstInt32("axes", axes);
  const int o = mb->AddTensor("o", type, out_shape);
  mb->AddOperator(op, 1, {x, ax}, {o}, ReducerOptions{});
  mb->SetInputs({x});
  mb->SetOutputs({o});
}

TEST(TypedKernelsTest, ReduceRejectsBadAxisAndType) {
  ModelBuilder mb;
  Reduce(&mb, tflite::BuiltinOperator_SUM, kF32, {2}, {2});
  ExpectRejected(&mb, "SUM: axis 2 is out of range for an input of rank 2");
  ModelBuilder mb2;
  Reduce(&mb2, tflite::BuiltinOperator_REDUCE_MAX, kI8, {1}, {2});
  ExpectRejected(&mb2, "REDUCE_MAX: input type INT8 with output type INT8 is not supported");
  ModelBuilder mb3;
  Reduce(&mb3, tflite::BuiltinOperator_MEAN, kF32, {-3}, {2});
  ExpectRejected(&mb3, "MEAN: axis -3 is out of range");
}

TEST(TypedKernelsTest, ArgMaxRejectsBadAxisAndOutputType) {
  for (int32_t axis : {2, -3}) {
    ModelBuilder mb;
    const int x = mb.AddTensor("x", kF32, {2, 3});
    const int ax = mb.AddConstInt32("axis", {1}, {axis});
    const int o = mb.AddTensor("o", kI32, {2});
    ArgMinMaxOptions opt;
    opt.output_type = kI32;
    mb.AddOperator(tflite::BuiltinOperator_ARG_MAX, 1, {x, ax}, {o}, opt);
    mb.SetInputs({x});
    mb.SetOutputs({o});
    ExpectRejected(&mb, "ARG_MAX: axis " + std::to_string(axis) + " is out of range");
  }
  ModelBuilder mb;
  const int x = mb.AddTensor("x", kF32, {2, 3});
  const int ax = mb.AddConstInt32("axis", {1}, {1});
  const int o = mb.AddTensor("o", kF32, {2});
  mb.AddOperator(tflite::BuiltinOperator_ARG_MIN, 1, {x, ax}, {o});
  mb.SetInputs({x});
  mb.SetOutputs({o});
  ExpectRejected(&mb, "ARG_MIN: output type FLOAT32 is not supported (INT32 or INT64)");
}

TEST(TypedKernelsTest, ArgMaxRejectsNonConstantAxis) {
  ModelBuilder mb;
  const int x = mb.AddTensor("x", kF32, {2, 3});
  const int ax = mb.AddTensor("axis", kI32, {1});
  const int o = mb.AddTensor("o", kI64, {2});
  mb.AddOperator(tflite::BuiltinOperator_ARG_MAX, 1, {x, ax}, {o});
  mb.SetInputs({x, ax});
  mb.SetOutputs({o});
  ExpectRejected(&mb, "ARG_MAX: axis must be a constant tensor");
}

TEST(TypedKernelsTest, GatherRejectsBadOptionsAndOutOfRangeIndices) {
  {
    ModelBuilder mb;
    const int p = mb.AddTensor("p", kF32, {5, 3});
    const int pos = mb.AddConstInt32("pos", {2}, {1, 5});
    const int o = mb.AddTensor("o", kF32, {2, 3});
    mb.AddOperator(tflite::BuiltinOperator_GATHER, 1, {p, pos}, {o}, GatherOptions{});
    mb.SetInputs({p});
    mb.SetOutputs({o});
    ExpectInvokeFails(&mb, "GATHER: Gather index out of bounds (position 1 is 5, axis size 5)");
  }
  {
    ModelBuilder mb;
    const int p = mb.AddTensor("p", kF32, {5, 3});
    const int pos = mb.AddConstInt32("pos", {2}, {1, 2});
    const int o = mb.AddTensor("o", kF32, {2, 3});
    GatherOptions g;
    g.axis = 2;
    mb.AddOperator(tflite::BuiltinOperator_GATHER, 1, {p, pos}, {o}, g);
    mb.SetInputs({p});
    mb.SetOutputs({o});
    ExpectRejected(&mb, "GATHER: axis 2 is out of range for params of rank 2");
  }
  {
    ModelBuilder mb;
    const int p = mb.AddTensor("p", kF32, {5, 3});
    const int pos = mb.AddConstInt32("pos", {2}, {1, 2});
    const int o = mb.AddTensor("o", kF32, {2, 3});
    GatherOptions g;
    g.batch_dims = 1;
    mb.AddOperator(tflite::BuiltinOperator_GATHER, 1, {p, pos}, {o}, g);
    mb.SetInputs({p});
    mb.SetOutputs({o});
    ExpectRejected(&mb, "GATHER: batch_dims 1 must be in [0, min(axis 0");
  }
}

TEST(TypedKernelsTest, GatherNdRejectsDeepIndicesAndOutOfRange) {
  {
    ModelBuilder mb;
    const int p = mb.AddTensor("p", kF32, {3, 4});
    const int idx = mb.AddConstInt32("idx", {1, 3}, {0, 0, 0});
    const int o = mb.AddTensor("o", kF32, {1});
    mb.AddOperator(tflite::BuiltinOperator_GATHER_ND, 1, {p, idx}, {o});
    mb.SetInputs({p});
    mb.SetOutputs({o});
    ExpectRejected(&mb, "GATHER_ND: index depth 3 is more than the params rank 2");
  }
  {
    ModelBuilder mb;
    const int p = mb.AddTensor("p", kF32, {3, 4});
    const int idx = mb.AddConstInt32("idx", {2, 2}, {0, 0, 1, 4});
    const int o = mb.AddTensor("o", kF32, {2});
    mb.AddOperator(tflite::BuiltinOperator_GATHER_ND, 1, {p, idx}, {o});
    mb.SetInputs({p});
    mb.SetOutputs({o});
    ExpectInvokeFails(&mb, "GATHER_ND: index out of bounds (slice 1, coordinate 1 is 4");
  }
}

TEST(TypedKernelsTest, ExpandDimsAndTopKRejectOutOfRange) {
  {
    ModelBuilder mb;
    const int x = mb.AddTensor("x", kF32, {3, 4});
    const int ax = mb.AddConstInt32("axis", {}, {3});
    const int o = mb.AddTensor("o", kF32, {3, 4, 1});
    mb.AddOperator(tflite::BuiltinOperator_EXPAND_DIMS, 1, {x, ax}, {o});
    mb.SetInputs({x});
    mb.SetOutputs({o});
    ExpectRejected(&mb, "EXPAND_DIMS: axis 3 is out of range for an input of rank 2");
  }
  {
    ModelBuilder mb;
    const int x = mb.AddTensor("x", kF32, {3, 4});
    const int k = mb.AddConstInt32("k", {}, {5});
    const int v = mb.AddTensor("v", kF32, {3, 5});
    const int i = mb.AddTensor("i", kI32, {3, 5});
    mb.AddOperator(tflite::BuiltinOperator_TOPK_V2, 1, {x, k}, {v, i});
    mb.SetInputs({x});
    mb.SetOutputs({v, i});
    ExpectRejected(&mb, "TOPK_V2: k 5 must be in [0, 4]");
  }
}

TEST(TypedKernelsTest, DequantizeInt16NeedsZeroPointZero) {
  ModelBuilder mb;
  const int x = mb.AddTensor("x", tflite::TensorType_INT16, {4}, testing::Quant::PerTensor(0.1f, 3));
  const int y = mb.AddTensor("y", kF32, {4});
  mb.AddOperator(tflite::BuiltinOperator_DEQUANTIZE, 3, {x}, {y});
  mb.SetInputs({x});
  mb.SetOutputs({y});
  ExpectRejected(&mb, "DEQUANTIZE: INT16 input zero point must be 0, got 3");
}

// Model I/O of the wider types in the oracle's raw layout: int16 and bool
// inputs, int64 / bool / float32 outputs, concatenated little-endian.
TEST(TypedKernelsTest, RawIoOfWiderTypes) {
  ModelBuilder mb;
  const int a = mb.AddTensor("a", tflite::TensorType_INT16, {3});
  const int b = mb.AddTensor("b", tflite::TensorType_BOOL, {2});
  const int a64 = mb.AddTensor("a64", kI64, {3});
  mb.AddOperator(tflite::BuiltinOperator_CAST, 1, {a}, {a64});
  const int bf = mb.AddTensor("bf", kF32, {2});
  mb.AddOperator(tflite::BuiltinOperator_CAST, 1, {b}, {bf});
  const int ab = mb.AddTensor("ab", tflite::TensorType_BOOL, {3});
  mb.AddOperator(tflite::BuiltinOperator_CAST, 1, {a}, {ab});
  mb.SetInputs({a, b});
  mb.SetOutputs({a64, bf, ab});
  Loaded l;
  ASSERT_TRUE(Load(&mb, &l).ok());
  EXPECT_EQ(InputBytes(*l.interp), 3u * 2 + 2);
  EXPECT_EQ(OutputBytes(*l.interp), 3u * 8 + 2 * 4 + 3);
  const std::vector<uint8_t> in = {0xFF, 0xFF, 0x00, 0x00, 0x02, 0x01, 1, 0};  // -1, 0, 258; true, false
  ASSERT_TRUE(SetInputs(l.interp.get(), in).ok());
  ASSERT_TRUE(l.interp->Invoke().ok());
  const std::vector<uint8_t> out = GetOutputs(*l.interp);
  ASSERT_EQ(out.size(), OutputBytes(*l.interp));
  int64_t v64[3];
  std::memcpy(v64, out.data(), sizeof(v64));
  EXPECT_EQ(v64[0], -1);
  EXPECT_EQ(v64[1], 0);
  EXPECT_EQ(v64[2], 258);
  float vf[2];
  std::memcpy(vf, out.data() + 24, sizeof(vf));
  EXPECT_EQ(vf[0], 1.0f);
  EXPECT_EQ(vf[1], 0.0f);
  EXPECT_EQ(std::vector<uint8_t>(out.begin() + 32, out.end()), (std::vector<uint8_t>{1, 0, 1}));
}

// A bool element is one byte, 0 or 1; any other byte (in a raw input or a
// constant) is refused, naming the tensor, instead of being read as a C++ bool.
TEST(TypedKernelsTest, BoolBytesOtherThanZeroOrOneAreRefused) {
  ModelBuilder mb;
  const int b = mb.AddTensor("b", tflite::TensorType_BOOL, {2});
  const int bf = mb.AddTensor("bf", kF32, {2});
  mb.AddOperator(tflite::BuiltinOperator_CAST, 1, {b}, {bf});
  mb.SetInputs({b});
  mb.SetOutputs({bf});
  Loaded l;
  ASSERT_TRUE(Load(&mb, &l).ok());
  const Status s = SetInputs(l.interp.get(), {1, 2});
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.ToString().find("input 'b' (BOOL): byte 2 at element 1"), std::string::npos) << s.ToString();
  EXPECT_TRUE(SetInputs(l.interp.get(), {1, 0}).ok());

  ModelBuilder mc;
  const int c = mc.AddConstTensor("c", tflite::TensorType_BOOL, {2}, std::vector<uint8_t>{1, 7});
  const int x = mc.AddTensor("x", kF32, {2});
  const int cf = mc.AddTensor("cf", kF32, {2});
  mc.AddOperator(tflite::BuiltinOperator_CAST, 1, {c}, {cf});
  const int y = mc.AddTensor("y", kF32, {2});
  mc.AddOperator(tflite::BuiltinOperator_ADD, 1, {x, cf}, {y});
  mc.SetInputs({x});
  mc.SetOutputs({y});
  Loaded m;
  const Status t = Load(&mc, &m);
  EXPECT_FALSE(t.ok());
  EXPECT_NE(t.ToString().find("BOOL constant has byte 7 at element 1"), std::string::npos) << t.ToString();
}

// A model with every new op (CAST, float and int32 arithmetic, reductions,
// the index ops, TOPK_V2), corrupted at random: any outcome but a crash, hang
// or sanitizer report is fine.
std::vector<uint8_t> EveryNewOpModel() {
  ModelBuilder mb;
  const int x = mb.AddTensor("x", kF32, {2, 6});
  const int i = mb.AddTensor("i", kI32, {2, 6});
  mb.AddOperator(tflite::BuiltinOperator_CAST, 1, {x}, {i});
  const int i64 = mb.AddTensor("i64", kI64, {2, 6});
  mb.AddOperator(tflite::BuiltinOperator_CAST, 1, {i}, {i64});
  const int d = mb.AddConstTensor("d", kI32, {6}, std::vector<int32_t>{1, 2, 3, -4, 5, 6});
  const int q = mb.AddTensor("q", kI32, {2, 6});
  mb.AddOperator(tflite::BuiltinOperator_FLOOR_DIV, 1, {i, d}, {q});
  const int e = mb.AddTensor("e", kF32, {2, 6});
  mb.AddOperator(tflite::BuiltinOperator_EXP, 1, {x}, {e});
  const int f = mb.AddConstTensor("f", kF32, {6}, std::vector<float>{1, 2, 3, 4, 5, 6});
  const int dv = mb.AddTensor("dv", kF32, {2, 6});
  mb.AddOperator(tflite::BuiltinOperator_DIV, 1, {e, f}, {dv});
  const int ax = mb.AddConstInt32("ax", {1});
  const int s = mb.AddTensor("s", kF32, {2});
  mb.AddOperator(tflite::BuiltinOperator_SUM, 1, {dv, ax}, {s}, ReducerOptions{});
  const int am = mb.AddTensor("am", kI64, {2});
  mb.AddOperator(tflite::BuiltinOperator_ARG_MAX, 1, {dv, ax}, {am});
  const int pos = mb.AddConstInt32("pos", {3}, {5, 0, 2});
  const int g = mb.AddTensor("g", kI32, {2, 3});
  GatherOptions go;
  go.axis = 1;
  mb.AddOperator(tflite::BuiltinOperator_GATHER, 1, {q, pos}, {g}, go);
  const int idx = mb.AddConstInt32("idx", {2, 2}, {0, 1, 1, 5});
  const int gn = mb.AddTensor("gn", kF32, {2});
  mb.AddOperator(tflite::BuiltinOperator_GATHER_ND, 1, {dv, idx}, {gn});
  const int k = mb.AddConstInt32("k", {}, {2});
  const int tv = mb.AddTensor("tv", kF32, {2, 2});
  const int ti = mb.AddTensor("ti", kI32, {2, 2});
  mb.AddOperator(tflite::BuiltinOperator_TOPK_V2, 1, {dv, k}, {tv, ti});
  const int ea = mb.AddConstInt32("ea", {}, {0});
  const int ex = mb.AddTensor("ex", kF32, {1, 2});
  mb.AddOperator(tflite::BuiltinOperator_EXPAND_DIMS, 1, {gn, ea}, {ex});
  mb.SetInputs({x});
  mb.SetOutputs({i64, s, am, g, ex, tv, ti});
  return mb.Finish();
}

Status LoadAndRun(const std::vector<uint8_t>& bytes) {
  auto model = Model::FromBuffer(bytes, "corrupt.tflite");
  if (!model.ok()) return model.status();
  static const BuiltinOpResolver resolver(TfliteFlavor::kRuy);
  auto interp = Interpreter::Create(**model, resolver);
  if (!interp.ok()) return interp.status();
  RETURN_IF_ERROR((*interp)->AllocateTensors());
  RETURN_IF_ERROR(FillInputsFromSeed(interp->get(), 5));
  return (*interp)->Invoke();
}

TEST(TypedKernelsTest, EveryNewOpModelRunsAndSurvivesCorruption) {
  const std::vector<uint8_t> good = EveryNewOpModel();
  ASSERT_FALSE(good.empty());
  ASSERT_TRUE(LoadAndRun(good).ok());
  const uint32_t seed = 4242;
  SCOPED_TRACE("seed " + std::to_string(seed));
  Xorshift32 rng(seed);
  int rejected = 0;
  for (int trial = 0; trial < 1500; ++trial) {
    std::vector<uint8_t> bad = good;
    const int flips = 1 + static_cast<int>(rng.Next() % 4);
    for (int f = 0; f < flips; ++f) bad[rng.Next() % bad.size()] = rng.NextByte();
    if (!LoadAndRun(bad).ok()) ++rejected;
  }
  EXPECT_GT(rejected, 0);
}

}  // namespace
}  // namespace systole
