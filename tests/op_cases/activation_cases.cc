// SOFTMAX, LOGISTIC, TANH, RELU, RELU6, HARD_SWISH cases: int8 and uint8,
// 1-D..4-D, random but deterministic input quantization; the output
// quantization each op requires (SOFTMAX/LOGISTIC 1/256, TANH 1/128) plus a
// few off-standard ones; SOFTMAX with beta != 1 and several row lengths;
// RELU/RELU6 with requantization multipliers above, below and equal to 1;
// HARD_SWISH with reluish multipliers needing left and right shifts.
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

QParams RandomQuant(Xorshift32* rng, bool is_uint8, float lo, float hi) {
  const double u = static_cast<double>(rng->Next() >> 8) / 16777216.0;
  const float scale = static_cast<float>(lo * std::pow(static_cast<double>(hi) / lo, u));
  const int64_t zp = static_cast<int64_t>(rng->Next() % 201) - 100 + (is_uint8 ? 128 : 0);
  return {scale, zp};
}

std::string ShapeName(const std::vector<int32_t>& s) {
  std::string n;
  for (size_t i = 0; i < s.size(); ++i) n += (i ? "x" : "") + std::to_string(s[i]);
  return n;
}

void AddUnary(OpCaseList* cases, const std::string& name, tflite::BuiltinOperator op, int version,
              bool is_uint8, const std::vector<int32_t>& shape, QParams qin, QParams qout,
              uint32_t seed, const OpOptions& options = NoOptions{}) {
  const tflite::TensorType type = is_uint8 ? tflite::TensorType_UINT8 : tflite::TensorType_INT8;
  ModelBuilder b;
  const int in = b.AddTensor("in", type, shape, Quant::PerTensor(qin.scale, qin.zero_point));
  const int out = b.AddTensor("out", type, shape, Quant::PerTensor(qout.scale, qout.zero_point));
  b.AddOperator(op, version, {in}, {out}, options);
  b.SetInputs({in});
  b.SetOutputs({out});
  OpCase c;
  c.name = name;
  c.seed = seed;
  c.model = b.Finish();
  cases->push_back(std::move(c));
}

}  // namespace

void AddActivationCases(OpCaseList* cases) {
  const std::vector<std::vector<int32_t>> shapes = {
      {16}, {4, 10}, {2, 3, 7}, {1, 5, 5, 3}};
  uint32_t case_index = 100000;
  for (int t = 0; t < 2; ++t) {
    const bool u8 = t == 1;
    const std::string ty = u8 ? "u8_" : "i8_";
    const int version = u8 ? 1 : 2;
    const int64_t zp_softmax = u8 ? 0 : -128;
    const int64_t zp_tanh = u8 ? 128 : 0;

    // ---- SOFTMAX ----
    for (const auto& s : shapes) {
      Xorshift32 rng(0x50F7u + ++case_index);
      AddUnary(cases, "softmax/" + ty + ShapeName(s), tflite::BuiltinOperator_SOFTMAX, version,
               u8, s, RandomQuant(&rng, u8, 0.02f, 0.2f), {1.0f / 256, zp_softmax}, case_index);
    }
    {
      const float betas[] = {0.5f, 2.0f, 0.3f, 1.7f};
      int i = 0;
      for (float beta : betas) {
        Xorshift32 rng(0xBE7Au + ++case_index);
        SoftmaxOptions o;
        o.beta = beta;
        const std::vector<int32_t> s = i % 2 ? std::vector<int32_t>{3, 9} : std::vector<int32_t>{1, 2, 2, 8};
        AddUnary(cases, "softmax/" + ty + "beta" + std::to_string(i), tflite::BuiltinOperator_SOFTMAX,
                 version, u8, s, RandomQuant(&rng, u8, 0.02f, 0.2f), {1.0f / 256, zp_softmax},
                 case_index, o);
        ++i;
      }
    }
    // Row lengths 1 (output saturates to 1.0) and 64; and a wide input scale
    // where most entries underflow.
    AddUnary(cases, "softmax/" + ty + "depth1", tflite::BuiltinOperator_SOFTMAX, version, u8,
             {6, 1}, {0.1f, u8 ? 128 : 0}, {1.0f / 256, zp_softmax}, ++case_index);
    AddUnary(cases, "softmax/" + ty + "depth64", tflite::BuiltinOperator_SOFTMAX, version, u8,
             {2, 64}, {0.03f, u8 ? 140 : 12}, {1.0f / 256, zp_softmax}, ++case_index);
    AddUnary(cases, "softmax/" + ty + "wide_scale", tflite::BuiltinOperator_SOFTMAX, version, u8,
             {4, 12}, {0.5f, u8 ? 128 : 0}, {1.0f / 256, zp_softmax}, ++case_index);
    // TFLite checks only int8 SOFTMAX output quantization; uint8 takes any,
    // and its rounding ignores the output zero point.
    if (u8) {
      AddUnary(cases, "softmax/u8_odd_out_quant", tflite::BuiltinOperator_SOFTMAX, version, u8,
               {3, 20}, {0.07f, 128}, {1.0f / 128, 10}, ++case_index);
    }

    // ---- LOGISTIC ----
    for (const auto& s : shapes) {
      Xorshift32 rng(0x1061u + ++case_index);
      AddUnary(cases, "logistic/" + ty + ShapeName(s), tflite::BuiltinOperator_LOGISTIC, version,
               u8, s, RandomQuant(&rng, u8, 0.01f, 0.1f), {1.0f / 256, zp_softmax}, case_index);
    }
    // Table covering the whole saturating range, and a fine one near 0.
    AddUnary(cases, "logistic/" + ty + "wide", tflite::BuiltinOperator_LOGISTIC, version, u8,
             {256}, {0.08f, u8 ? 128 : 0}, {1.0f / 256, zp_softmax}, ++case_index);
    AddUnary(cases, "logistic/" + ty + "fine", tflite::BuiltinOperator_LOGISTIC, version, u8,
             {256}, {0.004f, u8 ? 100 : -20}, {1.0f / 256, zp_softmax}, ++case_index);
    // Only the 1/256 output scale is required; any zero point is accepted.
    AddUnary(cases, "logistic/" + ty + "odd_zp", tflite::BuiltinOperator_LOGISTIC, version, u8,
             {256}, {0.06f, u8 ? 128 : 0}, {1.0f / 256, u8 ? 10 : -100}, ++case_index);

    // ---- TANH ----
    for (const auto& s : shapes) {
      Xorshift32 rng(0x7A4Bu + ++case_index);
      AddUnary(cases, "tanh/" + ty + ShapeName(s), tflite::BuiltinOperator_TANH, version, u8, s,
               RandomQuant(&rng, u8, 0.005f, 0.05f), {1.0f / 128, zp_tanh}, case_index);
    }
    AddUnary(cases, "tanh/" + ty + "wide", tflite::BuiltinOperator_TANH, version, u8, {256},
             {0.04f, u8 ? 128 : 0}, {1.0f / 128, zp_tanh}, ++case_index);
    AddUnary(cases, "tanh/" + ty + "fine", tflite::BuiltinOperator_TANH, version, u8, {256},
             {0.002f, u8 ? 90 : -37}, {1.0f / 128, zp_tanh}, ++case_index);
    // Off-standard output quantization (TFLite's LUT path accepts it).
    AddUnary(cases, "tanh/" + ty + "odd_out_quant", tflite::BuiltinOperator_TANH, version, u8,
             {256}, {0.03f, u8 ? 128 : 0}, {0.011f, u8 ? 120 : -5}, ++case_index);

    // ---- RELU / RELU6 ----
    const tflite::BuiltinOperator relus[] = {tflite::BuiltinOperator_RELU,
                                             tflite::BuiltinOperator_RELU6};
    for (tflite::BuiltinOperator op : relus) {
      const std::string on = op == tflite::BuiltinOperator_RELU ? "relu/" : "relu6/";
      for (const auto& s : shapes) {
        Xorshift32 rng(0x4E1u + ++case_index);
        const QParams qin = RandomQuant(&rng, u8, 0.01f, 0.08f);
        const QParams qout = RandomQuant(&rng, u8, 0.01f, 0.08f);
        AddUnary(cases, on + ty + ShapeName(s), op, version, u8, s, qin, qout, case_index);
      }
      // Same quantization in and out (multiplier exactly 1).
      AddUnary(cases, on + ty + "same_quant", op, version, u8, {256}, {0.05f, u8 ? 128 : -3},
               {0.05f, u8 ? 128 : -3}, ++case_index);
      // Multiplier > 1 (output finer than input) and << 1.
      AddUnary(cases, on + ty + "mult_gt1", op, version, u8, {256}, {0.1f, u8 ? 120 : -8},
               {0.027f, u8 ? 10 : -118}, ++case_index);
      AddUnary(cases, on + ty + "mult_lt1", op, version, u8, {256}, {0.01f, u8 ? 128 : 0},
               {0.09f, u8 ? 5 : -123}, ++case_index);
      // Output zero point at the top of the range: everything clamps to it.
      AddUnary(cases, on + ty + "zp_top", op, version, u8, {64}, {0.02f, u8 ? 128 : 0},
               {0.02f, u8 ? 255 : 127}, ++case_index);
    }

    // ---- HARD_SWISH ----
    for (const auto& s : shapes) {
      Xorshift32 rng(0x5A15u + ++case_index);
      const QParams qin = RandomQuant(&rng, u8, 0.01f, 0.1f);
      const QParams qout = RandomQuant(&rng, u8, 0.01f, 0.1f);
      AddUnary(cases, "hard_swish/" + ty + ShapeName(s), tflite::BuiltinOperator_HARD_SWISH, 1,
               u8, s, qin, qout, case_index);
    }
    // reluish multiplier input_scale * 256 / 3: < 1 (right shift), ~1, >> 1.
    AddUnary(cases, "hard_swish/" + ty + "reluish_rshift", tflite::BuiltinOperator_HARD_SWISH, 1,
             u8, {256}, {0.003f, u8 ? 128 : 0}, {0.002f, u8 ? 60 : -70}, ++case_index);
    AddUnary(cases, "hard_swish/" + ty + "reluish_one", tflite::BuiltinOperator_HARD_SWISH, 1,
             u8, {256}, {3.0f / 256, u8 ? 128 : 0}, {0.01f, u8 ? 30 : -98}, ++case_index);
    AddUnary(cases, "hard_swish/" + ty + "reluish_lshift", tflite::BuiltinOperator_HARD_SWISH, 1,
             u8, {256}, {0.25f, u8 ? 128 : 0}, {0.15f, u8 ? 20 : -108}, ++case_index);
    AddUnary(cases, "hard_swish/" + ty + "coarse_out", tflite::BuiltinOperator_HARD_SWISH, 1,
             u8, {256}, {0.04f, u8 ? 150 : 22}, {0.3f, u8 ? 5 : -123}, ++case_index);
  }
}

}  // namespace testing
}  // namespace systole
