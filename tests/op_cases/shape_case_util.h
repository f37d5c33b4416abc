// Small helpers shared by shape_cases.cc and graph_cases.cc: the activation
// quantization used per type, case naming and seeding.
#ifndef SYSTOLE_TESTS_OP_CASES_SHAPE_CASE_UTIL_H_
#define SYSTOLE_TESTS_OP_CASES_SHAPE_CASE_UTIL_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>

#include "tests/op_cases/op_case.h"
#include "testing/model_builder.h"

namespace systole {
namespace testing {
namespace shape_cases {

constexpr tflite::TensorType kI8 = tflite::TensorType_INT8;
constexpr tflite::TensorType kU8 = tflite::TensorType_UINT8;

inline std::string TypeTag(tflite::TensorType t) { return t == kI8 ? "i8" : "u8"; }

// A few plausible activation quantizations (non-zero zero points, so that a
// kernel that mixes up "pad with 0" and "pad with the zero point" shows).
inline Quant ActQuant(tflite::TensorType t, int variant) {
  static const float kScales[] = {0.0235f, 0.05f, 0.1f, 0.0078125f, 0.5f, 0.0313f};
  static const int kI8Zp[] = {-5, 3, -128, 0, 17, -20};
  static const int kU8Zp[] = {131, 120, 0, 128, 255, 90};
  const int v = variant % 6;
  return Quant::PerTensor(kScales[v], t == kI8 ? kI8Zp[v] : kU8Zp[v]);
}

// FNV-1a of the name: a stable, per-case input seed (never 0).
inline uint32_t SeedFor(const std::string& name) {
  uint32_t h = 2166136261u;
  for (unsigned char c : name) {
    h ^= c;
    h *= 16777619u;
  }
  return h == 0 ? 1 : h;
}

// Appends the case. A builder error is printed and the case kept with an
// empty model, so that op_cases_test fails on it instead of losing it.
inline void PushCase(OpCaseList* cases, const std::string& name, ModelBuilder* b) {
  OpCase c;
  c.name = name;
  c.seed = SeedFor(name);
  c.model = b->Finish();
  if (c.model.empty()) {
    std::fprintf(stderr, "op case %s: model builder error: %s\n", name.c_str(),
                 b->error().c_str());
  }
  cases->push_back(std::move(c));
}

}  // namespace shape_cases
}  // namespace testing
}  // namespace systole

#endif  // SYSTOLE_TESTS_OP_CASES_SHAPE_CASE_UTIL_H_
