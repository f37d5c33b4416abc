// Golden cases for TRANSPOSE_CONV in three quantization schemes (int8 with
// per-channel weights, int8 with per-tensor weights, uint8 with a weight zero
// point): strides 1-3, SAME and VALID padding, square and non-square kernels,
// an output_shape smaller than in * stride (SAME accepts it), batch 2, with
// and without bias. Scales, weights and biases come from a per-case
// xorshift32 stream (seeded by the case name); runtime inputs from the
// oracle's seed (FNV-1a of the name).
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "common/xorshift32.h"
#include "tests/op_cases/op_case.h"
#include "tests/op_cases/shape_case_util.h"
#include "testing/model_builder.h"

namespace systole {
namespace testing {
namespace {

using shape_cases::PushCase;
using shape_cases::SeedFor;
using Shape = std::vector<int32_t>;

enum class Scheme { kI8PerChannel, kI8PerTensor, kU8 };

class Rng {
 public:
  explicit Rng(const std::string& name) : x_(SeedFor(name) ^ 0x2545f491u) {}
  float Uniform(float lo, float hi) { return lo + (hi - lo) * static_cast<float>(x_.Next() >> 8) / 16777216.0f; }
  int Int(int lo, int hi) { return lo + static_cast<int>(x_.Next() % (hi - lo + 1)); }
  uint32_t Seed() { return x_.Next() | 1u; }

 private:
  Xorshift32 x_;
};

struct TconvShape {
  const char* tag;
  int n, h, w, cin, cout, kh, kw, sh, sw;
  tflite::Padding pad;
  int out_h = 0, out_w = 0;  // 0: the standard size for the padding
};

void AddTransposeConv(OpCaseList* cases, const TconvShape& s, Scheme scheme, bool with_bias) {
  static const char* const kTags[] = {"i8pc", "i8pt", "u8"};
  const std::string name = std::string("transpose_conv/") + s.tag + "_" + kTags[static_cast<int>(scheme)] +
                           (with_bias ? "" : "_nobias");
  Rng rng(name);
  ModelBuilder b;
  const bool u8 = scheme == Scheme::kU8;
  const tflite::TensorType t = u8 ? tflite::TensorType_UINT8 : tflite::TensorType_INT8;
  const float in_scale = rng.Uniform(0.004f, 0.06f);
  const Quant in_q = Quant::PerTensor(in_scale, u8 ? rng.Int(90, 160) : rng.Int(-40, 30));
  const Shape w_shape{s.cout, s.kh, s.kw, s.cin};
  const int64_t w_count = int64_t{s.cout} * s.kh * s.kw * s.cin;
  std::vector<float> w_scales;
  int w_tensor;
  if (scheme == Scheme::kI8PerChannel) {
    for (int c = 0; c < s.cout; ++c) w_scales.push_back(rng.Uniform(0.002f, 0.03f));
    w_tensor = b.AddConstTensor("weights", t, w_shape, RandomInt8Data(w_count, rng.Seed(), -127, 127),
                                Quant::PerChannel(w_scales, std::vector<int64_t>(s.cout, 0), 0));
  } else if (scheme == Scheme::kI8PerTensor) {
    w_scales.push_back(rng.Uniform(0.002f, 0.03f));
    w_tensor = b.AddConstTensor("weights", t, w_shape, RandomInt8Data(w_count, rng.Seed(), -127, 127),
                                Quant::PerTensor(w_scales[0], 0));
  } else {
    w_scales.push_back(rng.Uniform(0.002f, 0.03f));
    w_tensor = b.AddConstTensor("weights", t, w_shape, RandomUint8Data(w_count, rng.Seed()),
                                Quant::PerTensor(w_scales[0], rng.Int(100, 155)));
  }
  // Each output sums about kh*kw*cin / (sh*sw) products.
  const float depth = static_cast<float>(s.kh * s.kw * s.cin) / static_cast<float>(s.sh * s.sw);
  const float out_scale = in_scale * w_scales[0] * 70.0f * 70.0f * std::sqrt(depth) / rng.Uniform(30.0f, 90.0f);
  const Quant out_q = Quant::PerTensor(out_scale, u8 ? rng.Int(100, 150) : rng.Int(-20, 20));
  const int oh = s.out_h ? s.out_h : (s.pad == tflite::Padding_SAME ? s.h * s.sh : (s.h - 1) * s.sh + s.kh);
  const int ow = s.out_w ? s.out_w : (s.pad == tflite::Padding_SAME ? s.w * s.sw : (s.w - 1) * s.sw + s.kw);
  const int shape = b.AddConstInt32("output_shape", {s.n, oh, ow, s.cout});
  const int in = b.AddTensor("input", t, {s.n, s.h, s.w, s.cin}, in_q);
  const int out = b.AddTensor("output", t, {s.n, oh, ow, s.cout}, out_q);
  std::vector<int> inputs{shape, w_tensor, in};
  if (with_bias) {
    std::vector<float> b_scales;
    for (float ws : w_scales) b_scales.push_back(in_scale * ws);
    const Quant b_q = scheme == Scheme::kI8PerChannel
                          ? Quant::PerChannel(b_scales, std::vector<int64_t>(s.cout, 0), 0)
                          : Quant::PerTensor(b_scales[0], 0);
    const int32_t range = static_cast<int32_t>(2000 * std::sqrt(depth));
    inputs.push_back(b.AddConstTensor("bias", tflite::TensorType_INT32, {s.cout},
                                      RandomInt32Data(s.cout, rng.Seed(), -range, range), b_q));
  }
  TransposeConvOptions o;
  o.padding = s.pad;
  o.stride_h = s.sh;
  o.stride_w = s.sw;
  b.AddOperator(tflite::BuiltinOperator_TRANSPOSE_CONV, with_bias ? 3 : (u8 ? 1 : 2), inputs, {out}, o);
  b.SetInputs({in});
  b.SetOutputs({out});
  PushCase(cases, name, &b);
}

}  // namespace

void AddTransposeConvCases(OpCaseList* cases) {
  const tflite::Padding kSame = tflite::Padding_SAME, kValid = tflite::Padding_VALID;
  const TconvShape shapes[] = {
      {"k3_s2_same", 1, 5, 5, 8, 6, 3, 3, 2, 2, kSame},
      {"k2_s2_valid", 1, 4, 6, 5, 7, 2, 2, 2, 2, kValid},
      {"k4_s2_same", 1, 6, 4, 3, 4, 4, 4, 2, 2, kSame},
      {"k3_s1_same", 1, 6, 6, 4, 5, 3, 3, 1, 1, kSame},
      {"k3_s1_valid", 1, 5, 4, 3, 3, 3, 3, 1, 1, kValid},
      {"k5x3_s3x2_valid", 1, 3, 4, 4, 6, 5, 3, 3, 2, kValid},
      {"k3_s2_same_small_out", 1, 4, 4, 6, 5, 3, 3, 2, 2, kSame, 7, 7},
      {"k1_s2_same", 1, 5, 3, 7, 9, 1, 1, 2, 2, kSame},
      {"k3_s2_same_batch2", 2, 3, 3, 4, 3, 3, 3, 2, 2, kSame},
      {"k3_s2_same_c70", 1, 4, 4, 70, 66, 3, 3, 2, 2, kSame},
  };
  for (const TconvShape& s : shapes)
    for (Scheme sc : {Scheme::kI8PerChannel, Scheme::kI8PerTensor, Scheme::kU8}) AddTransposeConv(cases, s, sc, true);
  for (Scheme sc : {Scheme::kI8PerChannel, Scheme::kU8}) {
    AddTransposeConv(cases, shapes[0], sc, false);
    AddTransposeConv(cases, shapes[5], sc, false);
  }
}

}  // namespace testing
}  // namespace systole
