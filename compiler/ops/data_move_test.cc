// The accelerator's support rules for MAXIMUM/MINIMUM and SLICE,
// STRIDED_SLICE, PACK, UNPACK: each refusal names the op, its index and the
// rule (what runs is checked bit for bit by tests/op_cases through the
// delegate).
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "compiler/compiler.h"
#include "interpreter/interpreter.h"
#include "interpreter/model.h"
#include "interpreter/op_resolver.h"
#include "testing/model_builder.h"

namespace systole::compiler {
namespace {

using testing::ModelBuilder;
using testing::Quant;

struct Loaded {
  std::unique_ptr<Model> model;
  std::unique_ptr<Interpreter> interp;
};

Loaded Load(ModelBuilder* b) {
  Loaded l;
  std::vector<uint8_t> bytes = b->Finish();
  EXPECT_TRUE(b->ok()) << b->error();
  auto model = Model::FromBuffer(std::move(bytes));
  EXPECT_TRUE(model.ok());
  l.model = std::move(*model);
  static const BuiltinOpResolver resolver(TfliteFlavor::kRuy);
  auto interp = Interpreter::Create(*l.model, resolver);
  EXPECT_TRUE(interp.ok());
  l.interp = std::move(*interp);
  EXPECT_TRUE(l.interp->AllocateTensors().ok());
  return l;
}

// The support status of op 0 with the default (edge) device, or `opts`.
Status Check0(ModelBuilder* b, const CompileOptions& opts) {
  Loaded l = Load(b);
  return CheckOpSupport(l.interp->context(), 0, opts);
}
Status Check0(ModelBuilder* b) {
  static const CompileOptions* defaults = new CompileOptions();
  return Check0(b, *defaults);
}

void ExpectRefusal(const Status& s, const std::string& needle) {
  ASSERT_FALSE(s.ok()) << "expected a refusal containing \"" << needle << "\"";
  EXPECT_NE(s.ToString().find(needle), std::string::npos) << s.ToString();
}

void StridedSlice(ModelBuilder* b, tflite::TensorType t, const std::vector<int32_t>& shape,
                  const std::vector<int32_t>& begin, const std::vector<int32_t>& end,
                  const std::vector<int32_t>& strides, const std::vector<int32_t>& out_shape) {
  const Quant q = t == tflite::TensorType_FLOAT32 ? Quant::None() : Quant::PerTensor(0.1f, 0);
  const int x = b->AddTensor("x", t, shape, q);
  const int bt = b->AddConstInt32("begin", begin);
  const int et = b->AddConstInt32("end", end);
  const int st = b->AddConstInt32("strides", strides);
  const int y = b->AddTensor("y", t, out_shape, q);
  b->AddOperator(tflite::BuiltinOperator_STRIDED_SLICE, 2, {x, bt, et, st}, {y});
  b->SetInputs({x});
  b->SetOutputs({y});
}

TEST(DataMoveSupport, StridedSliceAcceptedForInt8) {
  ModelBuilder b;
  StridedSlice(&b, tflite::TensorType_INT8, {1, 8, 8, 4}, {0, 0, 0, 0}, {1, 8, 8, 4}, {1, 2, 2, 1}, {1, 4, 4, 4});
  const Status s = Check0(&b);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(DataMoveSupport, StridedSliceRefusesFloat) {
  ModelBuilder b;
  StridedSlice(&b, tflite::TensorType_FLOAT32, {4, 6}, {0, 0}, {4, 6}, {1, 2}, {4, 3});
  ExpectRefusal(Check0(&b), "STRIDED_SLICE (op 0): input 0 is FLOAT32, not INT8/UINT8");
}

TEST(DataMoveSupport, StridedSliceRefusesTooManyCopies) {
  ModelBuilder b;  // every other element of 256 x 200: 25600 single-element runs
  StridedSlice(&b, tflite::TensorType_INT8, {256, 200}, {0, 0}, {256, 200}, {1, 2}, {256, 100});
  ExpectRefusal(Check0(&b), "STRIDED_SLICE (op 0): needs 25600 copies (limit 16384)");
}

TEST(DataMoveSupport, StridedSliceRefusesEmptyOutput) {
  ModelBuilder b;
  StridedSlice(&b, tflite::TensorType_INT8, {6, 3}, {1, 0}, {4, 3}, {-1, 1}, {0, 3});
  ExpectRefusal(Check0(&b), "STRIDED_SLICE (op 0): output 0 is empty");
}

TEST(DataMoveSupport, UnpackRefusesOutputsAboveTheActivationBuffer) {
  ModelBuilder b;
  const Quant q = Quant::PerTensor(0.1f, 0);
  const int x = b.AddTensor("x", tflite::TensorType_UINT8, {2, 64, 64}, q);
  const int y0 = b.AddTensor("y0", tflite::TensorType_UINT8, {64, 64}, q);
  const int y1 = b.AddTensor("y1", tflite::TensorType_UINT8, {64, 64}, q);
  testing::UnpackOptions o;
  o.num = 2;
  b.AddOperator(tflite::BuiltinOperator_UNPACK, 2, {x}, {y0, y1}, o);
  b.SetInputs({x});
  b.SetOutputs({y0, y1});
  CompileOptions opts;
  opts.hw.abuf_bytes = 4096;
  ExpectRefusal(Check0(&b, opts), "UNPACK (op 0): outputs of 8192 bytes do not fit the 4096-byte activation buffer");
}

void MaxMin(ModelBuilder* b, tflite::BuiltinOperator op, const std::vector<int32_t>& a_shape,
            const std::vector<int32_t>& b_shape, const std::vector<int32_t>& out_shape) {
  const Quant q = Quant::PerTensor(0.1f, 0);
  const int a = b->AddTensor("a", tflite::TensorType_INT8, a_shape, q);
  const int c = b->AddTensor("b", tflite::TensorType_INT8, b_shape, q);
  const int y = b->AddTensor("y", tflite::TensorType_INT8, out_shape, q);
  b->AddOperator(op, 2, {a, c}, {y});
  b->SetInputs({a, c});
  b->SetOutputs({y});
}

TEST(MaxMinSupport, RefusesRank5Broadcast) {
  ModelBuilder b;
  MaxMin(&b, tflite::BuiltinOperator_MAXIMUM, {2, 1, 3, 2, 4}, {1, 2, 1, 2, 1}, {2, 2, 3, 2, 4});
  ExpectRefusal(Check0(&b), "MAXIMUM (op 0): broadcast of rank 5 above 4");
}

TEST(MaxMinSupport, MinimumNeedsThreeScratchCopies) {
  ModelBuilder b;  // 1024-byte output: 4 KiB with its 3 scratch copies
  MaxMin(&b, tflite::BuiltinOperator_MINIMUM, {1, 16, 16, 4}, {1, 16, 16, 4}, {1, 16, 16, 4});
  CompileOptions opts;
  opts.hw.abuf_bytes = 4000;
  ExpectRefusal(Check0(&b, opts), "MINIMUM (op 0): the output and 3 scratch copies of it (4096 bytes) do not fit");
  opts.hw.abuf_bytes = 4096;
  const Status s = Check0(&b, opts);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

}  // namespace
}  // namespace systole::compiler
