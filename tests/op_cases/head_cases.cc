// Few-op models in the shape of deployed heads: an int8 body (CONV_2D) wrapped
// in float32 / int32 pre- and post-processing, as real quantized models are
// (QUANTIZE from float in, DEQUANTIZE to float, float math, ARG_MAX, CAST).
// op_cases_test runs them on the interpreter and through the delegate, where
// the int8 convolutions form one accelerator partition and the float ops stay
// on the CPU.
#include <string>
#include <vector>

#include "tests/op_cases/typed_case_util.h"

namespace systole {
namespace testing {
namespace {

using namespace typed_cases;  // NOLINT

// int8 CONV_2D 3x3 SAME with per-channel weights; returns the output tensor.
int Conv(ModelBuilder* b, const std::string& name, int in, int in_c, int out_c, float in_scale,
         float out_scale, int out_zp, int h, int w, uint32_t seed,
         tflite::ActivationFunctionType act = tflite::ActivationFunctionType_RELU) {
  std::vector<float> w_scales;
  std::vector<int64_t> w_zps(out_c, 0);
  std::vector<float> b_scales;
  for (int c = 0; c < out_c; ++c) {
    w_scales.push_back(0.004f + 0.001f * c);
    b_scales.push_back(in_scale * w_scales.back());
  }
  const int wt = b->AddConstTensor(name + "_w", kI8, {out_c, 3, 3, in_c},
                                   RandomInt8Data(out_c * 9 * in_c, seed, -127, 127),
                                   Quant::PerChannel(w_scales, w_zps, 0));
  const int bias = b->AddConstTensor(name + "_b", kI32, {out_c},
                                     RandomInt32Data(out_c, seed + 1, -2000, 2000),
                                     Quant::PerChannel(b_scales, w_zps, 0));
  const int out = b->AddTensor(name, kI8, {1, h, w, out_c}, Quant::PerTensor(out_scale, out_zp));
  Conv2DOptions o;
  o.activation = act;
  b->AddOperator(tflite::BuiltinOperator_CONV_2D, 3, {in, wt, bias}, {out}, o);
  return out;
}

}  // namespace

void AddHeadCases(OpCaseList* cases) {
  // int8 in -> CONV -> CONV -> DEQUANTIZE -> float MUL/ADD -> SOFTMAX ->
  // RESHAPE -> ARG_MAX (int32) and the float probabilities.
  {
    ModelBuilder b;
    const int in = b.AddTensor("image", kI8, {1, 8, 8, 3}, Quant::PerTensor(0.02f, -3));
    const int c1 = Conv(&b, "conv1", in, 3, 8, 0.02f, 0.03f, -128, 8, 8, 1601);
    const int c2 = Conv(&b, "conv2", c1, 8, 5, 0.03f, 0.05f, 4, 8, 8, 1602,
                        tflite::ActivationFunctionType_NONE);
    const int f = b.AddTensor("logits_f", kF32, {1, 8, 8, 5});
    b.AddOperator(tflite::BuiltinOperator_DEQUANTIZE, 2, {c2}, {f});
    const int scale = b.AddConstTensor("scale", kF32, {5}, std::vector<float>{1.5f, 0.5f, 2.f, 1.f, 0.25f});
    const int fs = b.AddTensor("scaled", kF32, {1, 8, 8, 5});
    b.AddOperator(tflite::BuiltinOperator_MUL, 1, {f, scale}, {fs});
    const int bias = b.AddConstTensor("bias", kF32, {5}, std::vector<float>{0.1f, -0.2f, 0.f, 0.3f, 1.f});
    const int fb = b.AddTensor("biased", kF32, {1, 8, 8, 5});
    b.AddOperator(tflite::BuiltinOperator_ADD, 1, {fs, bias}, {fb});
    const int sm = b.AddTensor("probs", kF32, {1, 8, 8, 5});
    b.AddOperator(tflite::BuiltinOperator_SOFTMAX, 1, {fb}, {sm});
    const int shape = b.AddConstInt32("shape", {64, 5});
    const int r = b.AddTensor("probs2d", kF32, {64, 5});
    b.AddOperator(tflite::BuiltinOperator_RESHAPE, 1, {sm, shape}, {r});
    const int ax = b.AddConstInt32("axis", {1}, {-1});
    const int am = b.AddTensor("classes", kI32, {64});
    ArgMinMaxOptions ao;
    ao.output_type = kI32;
    b.AddOperator(tflite::BuiltinOperator_ARG_MAX, 1, {r, ax}, {am}, ao);
    FinishTypedCase(cases, "head/int8_conv_dequant_softmax_argmax", &b, {in}, {am, r}, {kI32, kF32},
                    {{64}, {64, 5}});
  }
  // float in -> QUANTIZE -> CONV -> CONV -> DEQUANTIZE -> MEAN -> LOGISTIC,
  // TOPK_V2, ARG_MAX (int64, cast back to int32), GATHER of the scores.
  {
    ModelBuilder b;
    const int in = b.AddTensor("image_f", kF32, {1, 6, 6, 3});
    const int q = b.AddTensor("image_q", kI8, {1, 6, 6, 3}, Quant::PerTensor(1.f / 128, 0));
    b.AddOperator(tflite::BuiltinOperator_QUANTIZE, 2, {in}, {q});
    const int c1 = Conv(&b, "conv1", q, 3, 6, 1.f / 128, 0.04f, -128, 6, 6, 1701);
    const int c2 = Conv(&b, "conv2", c1, 6, 10, 0.04f, 0.06f, -10, 6, 6, 1702,
                        tflite::ActivationFunctionType_NONE);
    const int f = b.AddTensor("feat_f", kF32, {1, 6, 6, 10});
    b.AddOperator(tflite::BuiltinOperator_DEQUANTIZE, 2, {c2}, {f});
    const int axes = b.AddConstInt32("axes", {1, 2});
    const int m = b.AddTensor("pooled", kF32, {1, 10});
    b.AddOperator(tflite::BuiltinOperator_MEAN, 1, {f, axes}, {m}, ReducerOptions{});
    const int s = b.AddTensor("scores", kF32, {1, 10});
    b.AddOperator(tflite::BuiltinOperator_LOGISTIC, 1, {m}, {s});
    const int k = b.AddConstInt32("k", {}, {3});
    const int tv = b.AddTensor("top_values", kF32, {1, 3});
    const int ti = b.AddTensor("top_indices", kI32, {1, 3});
    b.AddOperator(tflite::BuiltinOperator_TOPK_V2, 1, {s, k}, {tv, ti});
    const int ax = b.AddConstInt32("axis", {1}, {1});
    const int am = b.AddTensor("best", kI64, {1});
    b.AddOperator(tflite::BuiltinOperator_ARG_MAX, 1, {s, ax}, {am});
    const int ids = b.AddTensor("ids", kI32, {1, 3});
    const int one = b.AddConstInt32("one", {}, {1});
    b.AddOperator(tflite::BuiltinOperator_ADD, 1, {ti, one}, {ids});
    FinishTypedCase(cases, "head/f32_quant_conv_mean_topk_argmax64", &b, {in}, {tv, ids, am},
                    {kF32, kI32, kI64}, {{1, 3}, {1, 3}, {1}});
  }
}

}  // namespace testing
}  // namespace systole
