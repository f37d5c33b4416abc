// Golden cases for L2_NORMALIZATION, int8 and uint8: 1-D to 4-D inputs, the
// last axis from 1 to 1000 elements, several input zero points. The
// accelerator runs them with VL2NORM (compiler/ops/l2_norm.cc). The output
// quantization is the one TFLite requires (scale 1/128, zero point 0 / 128).
// Inputs come from the oracle's xorshift32 stream (seed = FNV-1a of the name).
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

void AddL2Norm(OpCaseList* cases, const std::string& variant, tflite::TensorType t, const std::vector<int32_t>& shape,
               int quant_variant) {
  ModelBuilder b;
  const int in = b.AddTensor("input", t, shape, ActQuant(t, quant_variant));
  const int out = b.AddTensor("output", t, shape, Quant::PerTensor(1.0f / 128.0f, t == kI8 ? 0 : 128));
  RawOptions o;
  o.type = tflite::BuiltinOptions_L2NormOptions;
  o.write = [](flatbuffers::FlatBufferBuilder& fbb) {
    return tflite::CreateL2NormOptions(fbb, tflite::ActivationFunctionType_NONE).Union();
  };
  b.AddOperator(tflite::BuiltinOperator_L2_NORMALIZATION, 2, {in}, {out}, o);
  b.SetInputs({in});
  b.SetOutputs({out});
  PushCase(cases, "l2_normalization/" + TypeTag(t) + "_" + variant, &b);
}

}  // namespace

void AddL2NormCases(OpCaseList* cases) {
  for (tflite::TensorType t : {kI8, kU8}) {
    AddL2Norm(cases, "1d_8", t, {8}, 0);
    AddL2Norm(cases, "2d_3x16", t, {3, 16}, 1);
    AddL2Norm(cases, "3d_2x5x7", t, {2, 5, 7}, 2);
    AddL2Norm(cases, "4d_1x3x4x32", t, {1, 3, 4, 32}, 3);
    AddL2Norm(cases, "4d_1x2x2x300", t, {1, 2, 2, 300}, 4);
    AddL2Norm(cases, "depth1_6x1", t, {6, 1}, 5);
    AddL2Norm(cases, "depth2_4x2", t, {4, 2}, 1);
    AddL2Norm(cases, "4d_1x6x5x20", t, {1, 6, 5, 20}, 0);
    AddL2Norm(cases, "4d_1x2x3x70", t, {1, 2, 3, 70}, 2);
    AddL2Norm(cases, "2d_2x1000", t, {2, 1000}, 5);
  }
}

}  // namespace testing
}  // namespace systole
