// ADD, SUB, MUL cases: int8 and uint8, 0-D..5-D, same-shape and broadcast
// shapes (either input broadcast, both at once), random but deterministic
// scales and zero points (equal scales included), requantization multipliers
// above and below 1, fused activations, and a constant second operand.
//
// Quantization parameters come from a fixed xorshift32 stream per case
// (seeded by the case index), so the case list and model bytes are stable.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "common/xorshift32.h"
#include "testing/model_builder.h"
#include "tests/op_cases/op_case.h"

namespace systole {
namespace testing {
namespace {

struct QParams {
  float scale;
  int64_t zero_point;
};

// Scale log-uniform in [lo, hi]; zero point uniform over most of the type's
// range (the extremes are covered by explicit cases).
QParams RandomQuant(Xorshift32* rng, bool is_uint8, float lo, float hi) {
  const double u = static_cast<double>(rng->Next() >> 8) / 16777216.0;
  const float scale = static_cast<float>(lo * std::pow(static_cast<double>(hi) / lo, u));
  const int64_t zp = static_cast<int64_t>(rng->Next() % 201) - 100 + (is_uint8 ? 128 : 0);
  return {scale, zp};
}

std::vector<int32_t> BroadcastShape(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  const size_t rank = std::max(a.size(), b.size());
  std::vector<int32_t> out(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    const int32_t da = i < a.size() ? a[a.size() - 1 - i] : 1;
    const int32_t db = i < b.size() ? b[b.size() - 1 - i] : 1;
    out[rank - 1 - i] = da == 1 ? db : da;
  }
  return out;
}

std::string ShapeName(const std::vector<int32_t>& s) {
  if (s.empty()) return "s";
  std::string n;
  for (size_t i = 0; i < s.size(); ++i) n += (i ? "x" : "") + std::to_string(s[i]);
  return n;
}

struct BinaryCase {
  tflite::BuiltinOperator op;
  bool is_uint8;
  std::vector<int32_t> shape1, shape2;
  QParams q1, q2, qout;
  tflite::ActivationFunctionType activation = tflite::ActivationFunctionType_NONE;
  bool const_input2 = false;
  uint32_t seed = 1;
};

const char* OpName(tflite::BuiltinOperator op) {
  switch (op) {
    case tflite::BuiltinOperator_ADD: return "add";
    case tflite::BuiltinOperator_SUB: return "sub";
    default: return "mul";
  }
}

const char* ActName(tflite::ActivationFunctionType a) {
  switch (a) {
    case tflite::ActivationFunctionType_RELU: return "_relu";
    case tflite::ActivationFunctionType_RELU6: return "_relu6";
    case tflite::ActivationFunctionType_RELU_N1_TO_1: return "_relun1";
    default: return "";
  }
}

void AddBinary(OpCaseList* cases, const std::string& variant, const BinaryCase& c) {
  const tflite::TensorType type = c.is_uint8 ? tflite::TensorType_UINT8 : tflite::TensorType_INT8;
  ModelBuilder b;
  const int in1 = b.AddTensor("in1", type, c.shape1, Quant::PerTensor(c.q1.scale, c.q1.zero_point));
  int in2;
  const Quant q2 = Quant::PerTensor(c.q2.scale, c.q2.zero_point);
  size_t n2 = 1;
  for (int32_t d : c.shape2) n2 *= static_cast<size_t>(d);
  if (c.const_input2) {
    in2 = c.is_uint8 ? b.AddConstTensor("in2", type, c.shape2, RandomUint8Data(n2, c.seed + 1000), q2)
                     : b.AddConstTensor("in2", type, c.shape2, RandomInt8Data(n2, c.seed + 1000), q2);
  } else {
    in2 = b.AddTensor("in2", type, c.shape2, q2);
  }
  const int out = b.AddTensor("out", type, BroadcastShape(c.shape1, c.shape2),
                              Quant::PerTensor(c.qout.scale, c.qout.zero_point));
  ArithmeticOptions options;
  options.activation = c.activation;
  // Op versions as the TFLite converter writes them: int8 is version 2.
  b.AddOperator(c.op, c.is_uint8 ? 1 : 2, {in1, in2}, {out}, options);
  if (c.const_input2) {
    b.SetInputs({in1});
  } else {
    b.SetInputs({in1, in2});
  }
  b.SetOutputs({out});
  OpCase oc;
  oc.name = std::string(OpName(c.op)) + "/" + (c.is_uint8 ? "u8_" : "i8_") + variant +
            ActName(c.activation) + (c.const_input2 ? "_const" : "");
  oc.seed = c.seed;
  oc.model = b.Finish();
  cases->push_back(std::move(oc));
}

// Which ops a shape pair applies to: TFLite's SUB broadcasts any pattern up
// to 5-D but nothing at 6-D; ADD/MUL broadcast "fivefold" patterns at any
// rank but other patterns only up to 4-D (it aborts beyond; those shapes are
// rejected in Prepare by Systole and are not golden cases).
enum class Ops { kAll, kSubOnly, kAddMulOnly };
struct ShapePair {
  std::vector<int32_t> a, b;
  Ops ops = Ops::kAll;
};

}  // namespace

void AddElementwiseCases(OpCaseList* cases) {
  const std::vector<ShapePair> shapes = {
      {{8}, {8}},
      {{3, 5}, {3, 5}},
      {{2, 3, 4}, {2, 3, 4}},
      {{1, 4, 4, 3}, {1, 4, 4, 3}},
      {{1, 4, 4, 3}, {3}},
      {{2, 1, 3}, {1, 5, 1}},
      {{1, 4, 4, 3}, {1, 1, 1, 3}},
      {{1}, {2, 3, 4}},
      {{2, 3, 1, 4}, {1, 3, 5, 1}},
      {{2, 3}, {}},
      {{4, 1}, {1, 4}},
      {{1, 2, 3, 2, 2}, {1, 2, 3, 2, 2}},
      {{1, 2, 3, 2, 4}, {4}},
      {{1, 2, 1, 2, 3, 2}, {1, 2, 1, 2, 3, 2}},
      {{2, 1, 3, 1, 2}, {1, 2, 1, 4, 2}, Ops::kSubOnly},
      {{2, 1, 3, 2, 2}, {1, 4, 1, 1, 1}, Ops::kSubOnly},
      {{1, 1, 2, 3, 2, 2}, {2, 1, 1, 1, 1, 2}, Ops::kAddMulOnly},
  };
  const tflite::BuiltinOperator ops[] = {tflite::BuiltinOperator_ADD, tflite::BuiltinOperator_SUB,
                                         tflite::BuiltinOperator_MUL};
  uint32_t case_index = 0;
  for (tflite::BuiltinOperator op : ops) {
    const bool is_mul = op == tflite::BuiltinOperator_MUL;
    for (int t = 0; t < 2; ++t) {
      const bool u8 = t == 1;
      // Random quantization over every shape.
      for (const ShapePair& s : shapes) {
        ++case_index;
        const bool is_sub = op == tflite::BuiltinOperator_SUB;
        if ((s.ops == Ops::kSubOnly && !is_sub) || (s.ops == Ops::kAddMulOnly && is_sub)) continue;
        Xorshift32 rng(0xE1E3u + case_index);
        BinaryCase c;
        c.op = op;
        c.is_uint8 = u8;
        c.shape1 = s.a;
        c.shape2 = s.b;
        c.q1 = RandomQuant(&rng, u8, 0.005f, 0.1f);
        c.q2 = RandomQuant(&rng, u8, 0.005f, 0.1f);
        c.qout = is_mul ? RandomQuant(&rng, u8, 0.0002f, 0.01f) : RandomQuant(&rng, u8, 0.01f, 0.2f);
        c.seed = case_index;
        AddBinary(cases, ShapeName(s.a) + "_" + ShapeName(s.b), c);
      }
      // Equal scales everywhere (the common case of a converter-produced graph).
      {
        ++case_index;
        BinaryCase c;
        c.op = op;
        c.is_uint8 = u8;
        c.shape1 = {1, 4, 4, 3};
        c.shape2 = {1, 4, 4, 3};
        c.q1 = {0.05f, u8 ? 128 : 0};
        c.q2 = {0.05f, u8 ? 120 : -8};
        c.qout = {0.05f, u8 ? 130 : 2};
        c.seed = case_index;
        AddBinary(cases, "equal_scales", c);
      }
      // Output scale small relative to inputs (large output multiplier; for
      // MUL a requantization multiplier > 1), and large (multiplier << 1).
      {
        ++case_index;
        Xorshift32 rng(0xB16u + case_index);
        BinaryCase c;
        c.op = op;
        c.is_uint8 = u8;
        c.shape1 = {2, 3, 4};
        c.shape2 = {2, 3, 4};
        c.q1 = RandomQuant(&rng, u8, 0.05f, 0.5f);
        c.q2 = RandomQuant(&rng, u8, 0.05f, 0.5f);
        c.qout = is_mul ? QParams{c.q1.scale * c.q2.scale / 3.7f, u8 ? 128 : 0}
                        : QParams{0.003f, u8 ? 100 : -30};
        c.seed = case_index;
        AddBinary(cases, "small_out_scale", c);
      }
      {
        ++case_index;
        Xorshift32 rng(0x5A11u + case_index);
        BinaryCase c;
        c.op = op;
        c.is_uint8 = u8;
        c.shape1 = {2, 3, 4};
        c.shape2 = {4};
        c.q1 = RandomQuant(&rng, u8, 0.002f, 0.01f);
        c.q2 = RandomQuant(&rng, u8, 0.002f, 0.01f);
        c.qout = is_mul ? QParams{0.01f, u8 ? 128 : 0} : QParams{0.5f, u8 ? 128 : 0};
        c.seed = case_index;
        AddBinary(cases, "large_out_scale", c);
      }
      // Very different input scales (one input almost vanishes).
      {
        ++case_index;
        BinaryCase c;
        c.op = op;
        c.is_uint8 = u8;
        c.shape1 = {3, 7};
        c.shape2 = {3, 7};
        c.q1 = {0.25f, u8 ? 10 : -118};
        c.q2 = {0.0007f, u8 ? 250 : 122};
        c.qout = is_mul ? QParams{0.002f, u8 ? 64 : -64} : QParams{0.3f, u8 ? 0 : -128};
        c.seed = case_index;
        AddBinary(cases, "skewed_scales", c);
      }
      // Fused activations.
      const tflite::ActivationFunctionType acts[] = {tflite::ActivationFunctionType_RELU,
                                                     tflite::ActivationFunctionType_RELU6,
                                                     tflite::ActivationFunctionType_RELU_N1_TO_1};
      for (tflite::ActivationFunctionType a : acts) {
        ++case_index;
        Xorshift32 rng(0xAC7u + case_index);
        BinaryCase c;
        c.op = op;
        c.is_uint8 = u8;
        c.shape1 = {1, 3, 3, 4};
        c.shape2 = {1, 1, 1, 4};
        c.q1 = RandomQuant(&rng, u8, 0.02f, 0.06f);
        c.q2 = RandomQuant(&rng, u8, 0.02f, 0.06f);
        // Output range of about [-8, 8] (MUL: [-4, 4]) so RELU6 and
        // RELU_N1_TO_1 clamp inside the type range.
        c.qout = is_mul ? QParams{0.03f, u8 ? 128 : 0} : QParams{0.0625f, u8 ? 128 : 0};
        c.activation = a;
        c.seed = case_index;
        AddBinary(cases, "4d_bcast", c);
      }
      // A constant second operand (a bias- or scale-like vector).
      {
        ++case_index;
        Xorshift32 rng(0xC0Du + case_index);
        BinaryCase c;
        c.op = op;
        c.is_uint8 = u8;
        c.shape1 = {1, 4, 4, 3};
        c.shape2 = {3};
        c.q1 = RandomQuant(&rng, u8, 0.01f, 0.05f);
        c.q2 = RandomQuant(&rng, u8, 0.01f, 0.05f);
        c.qout = is_mul ? RandomQuant(&rng, u8, 0.0005f, 0.003f) : RandomQuant(&rng, u8, 0.02f, 0.1f);
        c.const_input2 = true;
        c.seed = case_index;
        AddBinary(cases, "1x4x4x3_3", c);
      }
    }
  }
}

}  // namespace testing
}  // namespace systole
