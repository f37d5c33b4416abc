// QUANTIZE and DEQUANTIZE cases: float32 -> int8/uint8 (inputs are uniform in
// [-1, 1), scales chosen to cover no clipping, clipping, and coarse steps),
// requantization between int8 and uint8 in all four directions with
// multipliers above, below and exactly 1 (including the int8<->uint8 "zero
// point shift by 128" fast path), and int8/uint8 -> float32.
#include <cstdint>
#include <string>
#include <vector>

#include "testing/model_builder.h"
#include "tests/op_cases/op_case.h"

namespace systole {
namespace testing {
namespace {

struct QParams {
  float scale;
  int64_t zero_point;
};

tflite::TensorType TypeOf(char t) {
  switch (t) {
    case 'f': return tflite::TensorType_FLOAT32;
    case 'u': return tflite::TensorType_UINT8;
    case 's': return tflite::TensorType_INT16;
    default: return tflite::TensorType_INT8;
  }
}
const char* TypeStr(char t) {
  return t == 'f' ? "f32" : t == 'u' ? "u8" : t == 's' ? "i16" : "i8";
}

void AddConvertQ(OpCaseList* cases, tflite::BuiltinOperator op, const std::string& variant,
                 char in_type, char out_type, const std::vector<int32_t>& shape, const Quant& qin,
                 const Quant& qout, uint32_t seed) {
  ModelBuilder b;
  const int in = b.AddTensor("in", TypeOf(in_type), shape, qin);
  const int out = b.AddTensor("out", TypeOf(out_type), shape, qout);
  // Versions as the converter writes them: QUANTIZE 2 for int8 output,
  // DEQUANTIZE 2 for int8 input, 1 for uint8.
  int version = 1;
  if (op == tflite::BuiltinOperator_QUANTIZE && (out_type == 'i' || in_type == 'i')) version = 2;
  if (op == tflite::BuiltinOperator_DEQUANTIZE && in_type == 'i') version = 2;
  if (in_type == 's' || out_type == 's') version = 3;  // int16
  b.AddOperator(op, version, {in}, {out});
  b.SetInputs({in});
  b.SetOutputs({out});
  OpCase c;
  c.name = std::string(op == tflite::BuiltinOperator_QUANTIZE ? "quantize/" : "dequantize/") +
           TypeStr(in_type) + "_to_" + TypeStr(out_type) + "_" + variant;
  c.seed = seed;
  c.model = b.Finish();
  cases->push_back(std::move(c));
}

void AddConvert(OpCaseList* cases, tflite::BuiltinOperator op, const std::string& variant,
                char in_type, char out_type, const std::vector<int32_t>& shape, QParams qin,
                QParams qout, uint32_t seed) {
  AddConvertQ(cases, op, variant, in_type, out_type, shape,
              in_type == 'f' ? Quant::None() : Quant::PerTensor(qin.scale, qin.zero_point),
              out_type == 'f' ? Quant::None() : Quant::PerTensor(qout.scale, qout.zero_point),
              seed);
}

}  // namespace

void AddQuantizeCases(OpCaseList* cases) {
  uint32_t seed = 200000;
  const auto Q = tflite::BuiltinOperator_QUANTIZE;
  const auto D = tflite::BuiltinOperator_DEQUANTIZE;

  // float32 -> int8 / uint8.
  AddConvert(cases, Q, "s1_128", 'f', 'i', {4, 64}, {}, {1.0f / 128, 0}, ++seed);
  AddConvert(cases, Q, "s0.01_zp10", 'f', 'i', {2, 3, 40}, {}, {0.01f, 10}, ++seed);
  AddConvert(cases, Q, "clip", 'f', 'i', {1, 8, 8, 3}, {}, {0.003f, -20}, ++seed);
  AddConvert(cases, Q, "coarse", 'f', 'i', {100}, {}, {0.3f, 3}, ++seed);
  AddConvert(cases, Q, "zp_min", 'f', 'i', {100}, {}, {0.0039215689f, -128}, ++seed);
  AddConvert(cases, Q, "s1_128", 'f', 'u', {4, 64}, {}, {1.0f / 128, 128}, ++seed);
  AddConvert(cases, Q, "s0.0078_zp100", 'f', 'u', {2, 3, 40}, {}, {0.0078f, 100}, ++seed);
  AddConvert(cases, Q, "clip", 'f', 'u', {1, 8, 8, 3}, {}, {0.002f, 140}, ++seed);
  AddConvert(cases, Q, "zp0", 'f', 'u', {100}, {}, {0.005f, 0}, ++seed);

  // Requantize.
  struct Rq {
    char in, out;
    const char* name;
    QParams qin, qout;
  };
  const Rq rqs[] = {
      {'i', 'u', "shift128", {0.05f, 3}, {0.05f, 131}},   // xor 0x80 fast path
      {'u', 'i', "shift128", {0.05f, 140}, {0.05f, 12}},  // xor 0x80 fast path
      {'i', 'u', "same_scale_zp", {0.05f, 3}, {0.05f, 100}},
      {'i', 'u', "mult_lt1", {0.02f, -10}, {0.07f, 128}},
      {'i', 'u', "mult_gt1", {0.07f, 5}, {0.0123f, 120}},
      {'u', 'i', "mult_lt1", {0.02f, 130}, {0.05f, 0}},
      {'u', 'i', "mult_gt1", {0.09f, 100}, {0.02f, -7}},
      {'i', 'i', "mult_lt1", {0.02f, -3}, {0.031f, 9}},
      {'i', 'i', "mult_gt1", {0.05f, 0}, {0.011f, -100}},
      {'i', 'i', "same", {0.05f, 4}, {0.05f, 4}},
      {'u', 'u', "mult_lt1", {0.011f, 128}, {0.017f, 77}},
      {'u', 'u', "mult_gt1", {0.04f, 128}, {0.0101f, 128}},
      {'u', 'u', "mult_half", {0.01f, 128}, {0.02f, 128}},
  };
  for (const Rq& r : rqs) {
    AddConvert(cases, Q, r.name, r.in, r.out, {3, 5, 7}, r.qin, r.qout, ++seed);
  }

  // int8 / uint8 -> float32.
  AddConvert(cases, D, "s0.05_zp0", 'i', 'f', {256}, {0.05f, 0}, {}, ++seed);
  AddConvert(cases, D, "s0.0137_zp-17", 'i', 'f', {2, 3, 4, 5}, {0.0137f, -17}, {}, ++seed);
  AddConvert(cases, D, "s3.3_zp127", 'i', 'f', {50}, {3.3f, 127}, {}, ++seed);
  AddConvert(cases, D, "s0.0039_zp128", 'u', 'f', {256}, {0.0039215689f, 128}, {}, ++seed);
  AddConvert(cases, D, "s0.021_zp3", 'u', 'f', {4, 25}, {0.021f, 3}, {}, ++seed);
  AddConvert(cases, D, "s1e-4_zp255", 'u', 'f', {50}, {1e-4f, 255}, {}, ++seed);

  // Per-channel: QUANTIZE float32 output and DEQUANTIZE input (TFLite's
  // PerChannelQuantize / PerChannelDequantize), along first, middle and last axes.
  const std::vector<int64_t> zp3 = {0, 5, -3};
  const std::vector<int64_t> zp3u = {128, 0, 200};
  AddConvertQ(cases, Q, "per_channel_axis1", 'f', 'i', {4, 3}, Quant::None(),
              Quant::PerChannel({0.01f, 0.02f, 0.003f}, zp3, 1), ++seed);
  AddConvertQ(cases, Q, "per_channel_axis0", 'f', 'i', {3, 2, 4}, Quant::None(),
              Quant::PerChannel({0.0071f, 0.013f, 0.0042f}, zp3, 0), ++seed);
  AddConvertQ(cases, Q, "per_channel_axis3", 'f', 'i', {1, 2, 2, 3}, Quant::None(),
              Quant::PerChannel({0.004f, 0.0091f, 0.05f}, zp3, 3), ++seed);
  AddConvertQ(cases, Q, "per_channel_axis1", 'f', 'u', {5, 3, 2}, Quant::None(),
              Quant::PerChannel({0.0083f, 0.0052f, 0.019f}, zp3u, 1), ++seed);
  AddConvertQ(cases, D, "per_channel_axis0", 'i', 'f', {3, 2, 4},
              Quant::PerChannel({0.0071f, 0.13f, 0.0042f}, zp3, 0), Quant::None(), ++seed);
  AddConvertQ(cases, D, "per_channel_axis2", 'i', 'f', {2, 2, 3},
              Quant::PerChannel({0.011f, 0.023f, 1.7f}, zp3, 2), Quant::None(), ++seed);
  AddConvertQ(cases, D, "per_channel_axis1", 'u', 'f', {4, 3},
              Quant::PerChannel({0.011f, 0.023f, 0.37f}, zp3u, 1), Quant::None(), ++seed);

  uint32_t seed16 = 201000;
  // int16 (per-tensor; after the others so that their seeds stay; ruy
  // goldens only): float32 -> int16 with zero and non-zero zero points
  // and clipping; int16 -> float32.
  AddConvert(cases, Q, "s1e-4_zp0", 'f', 's', {4, 64}, {}, {1e-4f, 0}, ++seed16);
  AddConvert(cases, Q, "s3e-5_zp0_clip", 'f', 's', {2, 3, 40}, {}, {3e-5f, 0}, ++seed16);
  AddConvert(cases, Q, "s0.01_zp-7", 'f', 's', {100}, {}, {0.01f, -7}, ++seed16);
  AddConvert(cases, D, "s1e-4_zp0", 's', 'f', {256}, {1e-4f, 0}, {}, ++seed16);
  AddConvert(cases, D, "s0.0123_zp0", 's', 'f', {2, 3, 4, 5}, {0.0123f, 0}, {}, ++seed16);
  for (size_t i = cases->size() - 5; i < cases->size(); ++i) (*cases)[i].ruy_golden_only = true;
}

}  // namespace testing
}  // namespace systole
