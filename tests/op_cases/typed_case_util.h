// Helpers for the float32 / int32 / int64 / bool op cases (cast_cases.cc,
// float_cases.cc, arith_cases.cc, reduce_cases.cc, index_cases.cc,
// head_cases.cc): type tags, edge-value constants and case finishing.
//
// int64 outputs: the oracle (../shared/oracle) cannot read int64 tensors, so
// FinishTypedCase appends a CAST to int32 after every int64 model output and
// makes that the output instead (the values our cases produce fit in int32,
// so the check is exact). int64 inputs cannot be fed either: cases reach int64
// through a CAST from int32 inside the model, or through constants.
#ifndef SYSTOLE_TESTS_OP_CASES_TYPED_CASE_UTIL_H_
#define SYSTOLE_TESTS_OP_CASES_TYPED_CASE_UTIL_H_

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "testing/model_builder.h"
#include "tests/op_cases/op_case.h"
#include "tests/op_cases/shape_case_util.h"

namespace systole {
namespace testing {
namespace typed_cases {

constexpr tflite::TensorType kF32 = tflite::TensorType_FLOAT32;
constexpr tflite::TensorType kI32 = tflite::TensorType_INT32;
constexpr tflite::TensorType kI64 = tflite::TensorType_INT64;
constexpr tflite::TensorType kI16 = tflite::TensorType_INT16;
constexpr tflite::TensorType kI8 = tflite::TensorType_INT8;
constexpr tflite::TensorType kU8 = tflite::TensorType_UINT8;
constexpr tflite::TensorType kBool = tflite::TensorType_BOOL;

inline std::string Tag(tflite::TensorType t) {
  switch (t) {
    case kF32: return "f32";
    case kI32: return "i32";
    case kI64: return "i64";
    case kI16: return "i16";
    case kI8: return "i8";
    case kU8: return "u8";
    case kBool: return "bool";
    default: return "t" + std::to_string(static_cast<int>(t));
  }
}

inline std::string ShapeTag(const std::vector<int32_t>& s) {
  if (s.empty()) return "s";
  std::string n;
  for (size_t i = 0; i < s.size(); ++i) n += (i ? "x" : "") + std::to_string(s[i]);
  return n;
}

// Float edge values: NaN, infinities, signed zeros, extremes, a denormal,
// halves (rounding ties) and values just past the integer types' ranges.
inline std::vector<float> FloatEdges() {
  const float inf = std::numeric_limits<float>::infinity();
  return {std::numeric_limits<float>::quiet_NaN(), inf, -inf, 0.0f, -0.0f,
          std::numeric_limits<float>::max(), std::numeric_limits<float>::lowest(),
          std::numeric_limits<float>::min(), 1e-45f, 1.0f, -1.0f, 0.5f, -0.5f, 2.5f, -2.5f,
          127.5f, -128.5f, 255.5f, 300.0f, -300.0f, 32767.5f, -32768.5f, 1e9f, -1e9f,
          2147483520.0f, 2147483648.0f, -2147483648.0f, -2147483904.0f, 1e20f, -1e20f};
}
inline std::vector<int32_t> Int32Edges() {
  return {0, 1, -1, 2, -2, 7, -7, 127, -128, 128, 255, 256, -129, 32767, -32768, 65535,
          std::numeric_limits<int32_t>::max(), std::numeric_limits<int32_t>::min(),
          std::numeric_limits<int32_t>::max() - 1, std::numeric_limits<int32_t>::min() + 1};
}

// Replaces every int64 output by a CAST of it to int32, sets the outputs and
// appends the case.
inline void FinishTypedCase(OpCaseList* cases, const std::string& name, ModelBuilder* b,
                            const std::vector<int>& inputs, const std::vector<int>& outputs,
                            const std::vector<tflite::TensorType>& output_types,
                            const std::vector<std::vector<int32_t>>& output_shapes) {
  std::vector<int> outs;
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (output_types[i] == kI64) {
      const int o32 = b->AddTensor("out" + std::to_string(i) + "_i32", kI32, output_shapes[i]);
      b->AddOperator(tflite::BuiltinOperator_CAST, 1, {outputs[i]}, {o32});
      outs.push_back(o32);
    } else {
      outs.push_back(outputs[i]);
    }
  }
  b->SetInputs(inputs);
  b->SetOutputs(outs);
  shape_cases::PushCase(cases, name, b);
  cases->back().ruy_golden_only = true;
}

}  // namespace typed_cases
}  // namespace testing
}  // namespace systole

#endif  // SYSTOLE_TESTS_OP_CASES_TYPED_CASE_UTIL_H_
