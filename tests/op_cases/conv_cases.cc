// Golden cases for CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED, each in
// three quantization schemes:
//   i8pc  int8 activations, int8 weights with per-channel scales (TF2)
//   i8pt  int8 activations, int8 weights with one scale (TF2, per-tensor)
//   u8    uint8 activations and weights, weight zero point != 0 (TF1)
// over odd shapes, 1x1 and larger kernels, strides 1-3, dilation, SAME and
// VALID padding, depth multipliers 1-4, batch 2, FC input flattening and
// keep_num_dims, every fused activation, with and without bias (CONV_2D:
// always with, TFLite rejects it otherwise), int8 FC weight zero points.
//
// Scales are drawn from a per-case xorshift32 stream (seeded by the case
// name) so that the effective multipliers in * w / out are realistic (well
// below 1, output range roughly matched to the accumulator spread); a few
// "mgt1" cases use multipliers in (1, 4). Weights and biases come from the
// same stream; runtime inputs from the oracle's seed (FNV-1a of the name).
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

const char* SchemeTag(Scheme s) {
  switch (s) {
    case Scheme::kI8PerChannel: return "i8pc";
    case Scheme::kI8PerTensor: return "i8pt";
    case Scheme::kU8: return "u8";
  }
  return "?";
}

tflite::TensorType ActType(Scheme s) {
  return s == Scheme::kU8 ? tflite::TensorType_UINT8 : tflite::TensorType_INT8;
}

const char* ActTag(tflite::ActivationFunctionType a) {
  switch (a) {
    case tflite::ActivationFunctionType_RELU: return "relu";
    case tflite::ActivationFunctionType_RELU6: return "relu6";
    case tflite::ActivationFunctionType_RELU_N1_TO_1: return "relun1";
    default: return "none";
  }
}

constexpr tflite::ActivationFunctionType kActs[] = {
    tflite::ActivationFunctionType_NONE, tflite::ActivationFunctionType_RELU,
    tflite::ActivationFunctionType_RELU6, tflite::ActivationFunctionType_RELU_N1_TO_1};

// Deterministic per-case numbers.
class Rng {
 public:
  explicit Rng(const std::string& name) : x_(SeedFor(name) ^ 0x5bd1e995u) {}
  float Uniform(float lo, float hi) {
    return lo + (hi - lo) * static_cast<float>(x_.Next() >> 8) / 16777216.0f;
  }
  int Int(int lo, int hi) { return lo + static_cast<int>(x_.Next() % (hi - lo + 1)); }
  uint32_t Seed() { return x_.Next() | 1u; }

 private:
  Xorshift32 x_;
};

// Everything a weighted op needs besides its shapes.
struct Weighted {
  Quant in_q, out_q, w_q, b_q;
  int w_tensor = -1;
  int b_tensor = -1;
};

// Adds weights [w_shape] (output channels along `channel_axis`, `channels` of
// them; `depth` = accumulation length) and an optional bias, and picks the
// activation scales. `mult_gt1` picks an output scale giving multipliers > 1.
Weighted AddWeights(ModelBuilder* b, Rng* rng, Scheme scheme, const Shape& w_shape,
                    int channel_axis, int channels, int depth, bool with_bias, bool mult_gt1,
                    int w_zero_point = 0) {
  Weighted r;
  const bool u8 = scheme == Scheme::kU8;
  const float in_scale = rng->Uniform(0.004f, 0.06f);
  const int in_zp = u8 ? rng->Int(90, 160) : rng->Int(-40, 30);
  r.in_q = Quant::PerTensor(in_scale, in_zp);

  int64_t w_count = 1;
  for (int d : w_shape) w_count *= d;
  std::vector<float> w_scales;
  int w_zp = 0;
  if (scheme == Scheme::kI8PerChannel) {
    for (int c = 0; c < channels; ++c) w_scales.push_back(rng->Uniform(0.002f, 0.03f));
    std::vector<int64_t> zps(channels, 0);
    r.w_q = Quant::PerChannel(w_scales, zps, channel_axis);
    r.w_tensor = b->AddConstTensor("weights", tflite::TensorType_INT8, w_shape,
                                   RandomInt8Data(w_count, rng->Seed(), -127, 127), r.w_q);
  } else if (scheme == Scheme::kI8PerTensor) {
    w_scales.push_back(rng->Uniform(0.002f, 0.03f));
    r.w_q = Quant::PerTensor(w_scales[0], w_zero_point);
    r.w_tensor = b->AddConstTensor("weights", tflite::TensorType_INT8, w_shape,
                                   RandomInt8Data(w_count, rng->Seed(), -127, 127), r.w_q);
  } else {
    w_scales.push_back(rng->Uniform(0.002f, 0.03f));
    w_zp = rng->Int(100, 155);
    r.w_q = Quant::PerTensor(w_scales[0], w_zp);
    r.w_tensor = b->AddConstTensor("weights", tflite::TensorType_UINT8, w_shape,
                                   RandomUint8Data(w_count, rng->Seed()), r.w_q);
  }

  // Output scale: the accumulator spreads over ~ 70 * 70 * sqrt(depth) units
  // of in_scale * w_scale; map that to ~ 60 output steps.
  const float w_ref = w_scales[0];
  const float spread = 70.0f * 70.0f * std::sqrt(static_cast<float>(depth));
  float out_scale = in_scale * w_ref * spread / rng->Uniform(30.0f, 90.0f);
  if (mult_gt1) out_scale = in_scale * w_ref / rng->Uniform(1.05f, 3.5f);
  const int out_zp = u8 ? rng->Int(100, 150) : rng->Int(-20, 20);
  r.out_q = Quant::PerTensor(out_scale, out_zp);

  if (with_bias) {
    std::vector<float> b_scales;
    for (int c = 0; c < channels; ++c) {
      b_scales.push_back(in_scale * w_scales[w_scales.size() == 1 ? 0 : c]);
    }
    const std::vector<int64_t> b_zps(channels, 0);
    r.b_q = scheme == Scheme::kI8PerChannel ? Quant::PerChannel(b_scales, b_zps, 0)
                                             : Quant::PerTensor(b_scales[0], 0);
    const int32_t bias_range = static_cast<int32_t>(2000 * std::sqrt(static_cast<float>(depth)));
    r.b_tensor = b->AddConstTensor("bias", tflite::TensorType_INT32, {channels},
                                   RandomInt32Data(channels, rng->Seed(), -bias_range, bias_range),
                                   r.b_q);
  }
  return r;
}

int OutSize(tflite::Padding p, int in, int k, int stride, int dil) {
  const int eff = (k - 1) * dil + 1;
  return p == tflite::Padding_SAME ? (in + stride - 1) / stride : (in - eff + stride) / stride;
}

// ---- CONV_2D and DEPTHWISE_CONV_2D ----

struct ConvShape {
  const char* tag;
  int n, h, w, cin;
  int cout_or_dm;  // CONV: output channels; DEPTHWISE: depth multiplier
  int kh, kw, sh, sw, dh, dw;
  tflite::Padding pad;
};

void AddConv(OpCaseList* cases, bool depthwise, const ConvShape& s, Scheme scheme,
             tflite::ActivationFunctionType act, bool with_bias, bool mult_gt1 = false) {
  const std::string name = std::string(depthwise ? "depthwise_conv_2d/" : "conv_2d/") + s.tag +
                           "_" + SchemeTag(scheme) + "_" + ActTag(act) +
                           (with_bias ? "" : "_nobias") + (mult_gt1 ? "_mgt1" : "");
  Rng rng(name);
  ModelBuilder b;
  const int cout = depthwise ? s.cin * s.cout_or_dm : s.cout_or_dm;
  const Shape w_shape = depthwise ? Shape{1, s.kh, s.kw, cout} : Shape{cout, s.kh, s.kw, s.cin};
  const int depth = depthwise ? s.kh * s.kw : s.kh * s.kw * s.cin;
  Weighted wt = AddWeights(&b, &rng, scheme, w_shape, depthwise ? 3 : 0, cout, depth, with_bias,
                           mult_gt1);
  const tflite::TensorType t = ActType(scheme);
  const int oh = OutSize(s.pad, s.h, s.kh, s.sh, s.dh);
  const int ow = OutSize(s.pad, s.w, s.kw, s.sw, s.dw);
  const int in = b.AddTensor("input", t, {s.n, s.h, s.w, s.cin}, wt.in_q);
  const int out = b.AddTensor("output", t, {s.n, oh, ow, cout}, wt.out_q);
  // No bias: a 2-input node. (TFLite's DEPTHWISE_CONV_2D rejects an omitted
  // (-1) third input; its CONV_2D rejects both forms, see AddConvCases.)
  std::vector<int> inputs = {in, wt.w_tensor};
  if (with_bias) inputs.push_back(wt.b_tensor);
  const bool dilated = s.dh != 1 || s.dw != 1;
  if (depthwise) {
    DepthwiseConv2DOptions o;
    o.padding = s.pad;
    o.stride_h = s.sh;
    o.stride_w = s.sw;
    o.dilation_h = s.dh;
    o.dilation_w = s.dw;
    o.depth_multiplier = s.cout_or_dm;
    o.activation = act;
    const int version = scheme == Scheme::kU8 ? (dilated ? 2 : 1) : 3;
    b.AddOperator(tflite::BuiltinOperator_DEPTHWISE_CONV_2D, version, inputs, {out}, o);
  } else {
    Conv2DOptions o;
    o.padding = s.pad;
    o.stride_h = s.sh;
    o.stride_w = s.sw;
    o.dilation_h = s.dh;
    o.dilation_w = s.dw;
    o.activation = act;
    const int version = scheme == Scheme::kU8 ? (dilated ? 2 : 1) : 3;
    b.AddOperator(tflite::BuiltinOperator_CONV_2D, version, inputs, {out}, o);
  }
  b.SetInputs({in});
  b.SetOutputs({out});
  PushCase(cases, name, &b);
}

constexpr tflite::Padding kSame = tflite::Padding_SAME;
constexpr tflite::Padding kValid = tflite::Padding_VALID;

const ConvShape kConvShapes[] = {
    // tag                     n  h   w  cin cout kh kw sh sw dh dw pad
    {"k3_s1_same", 1, 5, 5, 3, 4, 3, 3, 1, 1, 1, 1, kSame},
    {"k3_s2_same_odd", 1, 7, 6, 5, 8, 3, 3, 2, 2, 1, 1, kSame},
    {"k1_s1", 1, 8, 8, 8, 16, 1, 1, 1, 1, 1, 1, kSame},
    {"k1_s2_valid", 1, 9, 9, 4, 6, 1, 1, 2, 2, 1, 1, kValid},
    {"k5x3_valid", 1, 11, 7, 3, 5, 5, 3, 1, 1, 1, 1, kValid},
    {"k3_batch2", 2, 6, 6, 4, 7, 3, 3, 1, 1, 1, 1, kSame},
    {"k3_s3_same", 1, 10, 10, 6, 12, 3, 3, 3, 3, 1, 1, kSame},
    {"k3_dil2_same", 1, 9, 9, 3, 4, 3, 3, 1, 1, 2, 2, kSame},
    {"k2_dil2x3_valid", 1, 12, 10, 5, 3, 2, 2, 1, 1, 2, 3, kValid},
    {"k1_1x1_spatial", 1, 1, 1, 17, 9, 1, 1, 1, 1, 1, 1, kValid},
    {"k1_odd_depth_wide", 1, 4, 4, 33, 20, 1, 1, 1, 1, 1, 1, kSame},
    {"k2x3_s2x1_same", 1, 6, 5, 7, 17, 2, 3, 2, 1, 1, 1, kSame},
    {"k7_s2_same", 1, 15, 15, 2, 3, 7, 7, 2, 2, 1, 1, kSame},
    {"k3_valid_to_1x1", 1, 3, 3, 16, 40, 3, 3, 1, 1, 1, 1, kValid},
    {"k1_batch2", 2, 5, 4, 3, 5, 1, 1, 1, 1, 1, 1, kSame},
    {"k3_s2_valid_deep", 1, 9, 9, 24, 32, 3, 3, 2, 2, 1, 1, kValid},
    {"k3_s1x2_dil2_same", 1, 8, 9, 4, 6, 3, 3, 1, 2, 2, 1, kSame},
    {"k3_rows_gt_tile", 1, 10, 15, 8, 20, 3, 3, 1, 1, 1, 1, kSame},
};

const ConvShape kDepthwiseShapes[] = {
    // tag                     n  h   w  cin dm kh kw sh sw dh dw pad
    {"k3_s1_same", 1, 6, 6, 4, 1, 3, 3, 1, 1, 1, 1, kSame},
    {"k3_s2_same_dm2", 1, 7, 7, 3, 2, 3, 3, 2, 2, 1, 1, kSame},
    {"k3_valid_dm3", 1, 8, 8, 5, 3, 3, 3, 1, 1, 1, 1, kValid},
    {"k3_s2_valid", 1, 9, 9, 8, 1, 3, 3, 2, 2, 1, 1, kValid},
    {"k3_batch2", 2, 5, 5, 6, 1, 3, 3, 1, 1, 1, 1, kSame},
    {"k3_dil2_same", 1, 10, 10, 4, 1, 3, 3, 1, 1, 2, 2, kSame},
    {"k5x3_s1x2_dm2", 1, 9, 11, 3, 2, 5, 3, 1, 2, 1, 1, kSame},
    {"k3_s3_same_c16", 1, 12, 12, 16, 1, 3, 3, 3, 3, 1, 1, kSame},
    {"k2_dil2x1_valid", 1, 4, 4, 20, 1, 2, 2, 1, 1, 2, 1, kValid},
    {"k3_c1_dm4", 1, 6, 7, 1, 4, 3, 3, 1, 1, 1, 1, kSame},
    {"k1_valid_c24", 1, 5, 5, 24, 1, 1, 1, 1, 1, 1, 1, kValid},
    {"k3_s2_same_c12", 1, 13, 13, 12, 1, 3, 3, 2, 2, 1, 1, kSame},
    {"k3_valid_to_1x1_c9", 1, 3, 3, 9, 1, 3, 3, 1, 1, 1, 1, kValid},
};

// ---- FULLY_CONNECTED ----

struct FcShape {
  const char* tag;
  Shape input;
  int units;
  bool keep_num_dims;
};

// `w_zero_point` (int8 per-tensor only): TFLite's int8 FULLY_CONNECTED
// honours a weight zero point (it is the GEMM's LHS zero point).
void AddFc(OpCaseList* cases, const FcShape& s, Scheme scheme,
           tflite::ActivationFunctionType act, bool with_bias, bool mult_gt1 = false,
           int w_zero_point = 0) {
  const std::string name = std::string("fully_connected/") + s.tag + "_" + SchemeTag(scheme) +
                           "_" + ActTag(act) + (with_bias ? "" : "_nobias") +
                           (mult_gt1 ? "_mgt1" : "") +
                           (w_zero_point != 0 ? "_wzp" + std::to_string(w_zero_point) : "");
  Rng rng(name);
  ModelBuilder b;
  const int depth = s.input.back();
  int64_t total = 1;
  for (int d : s.input) total *= d;
  const int batches = static_cast<int>(total / depth);
  Weighted wt = AddWeights(&b, &rng, scheme, {s.units, depth}, 0, s.units, depth, with_bias,
                           mult_gt1, w_zero_point);
  const tflite::TensorType t = ActType(scheme);
  Shape out_shape = {batches, s.units};
  if (s.keep_num_dims) {
    out_shape = s.input;
    out_shape.back() = s.units;
  }
  const int in = b.AddTensor("input", t, s.input, wt.in_q);
  const int out = b.AddTensor("output", t, out_shape, wt.out_q);
  std::vector<int> inputs = {in, wt.w_tensor};
  inputs.push_back(with_bias ? wt.b_tensor : -1);
  FullyConnectedOptions o;
  o.activation = act;
  o.keep_num_dims = s.keep_num_dims;
  const int version = s.keep_num_dims ? 5 : (scheme == Scheme::kU8 ? 1 : 4);
  b.AddOperator(tflite::BuiltinOperator_FULLY_CONNECTED, version, inputs, {out}, o);
  b.SetInputs({in});
  b.SetOutputs({out});
  PushCase(cases, name, &b);
}

const FcShape kFcShapes[] = {
    {"b1_k16_u8", {1, 16}, 8, false},
    {"b3_k10_u5", {3, 10}, 5, false},
    {"b2_k33_u17", {2, 33}, 17, false},
    {"b1_k64_u100", {1, 64}, 100, false},
    {"b4_k7_u3", {4, 7}, 3, false},
    {"4d_flatten_k8", {1, 2, 3, 8}, 6, false},
    {"3d_keep_dims", {2, 5, 12}, 7, true},
    {"3d_flatten", {2, 5, 12}, 7, false},
    {"4d_keep_dims", {1, 2, 3, 9}, 4, true},
    {"4d_1x1x1_k40", {1, 1, 1, 40}, 10, false},
    {"k1_u4", {5, 1}, 4, false},
    {"b1_k300_u20", {1, 300}, 20, false},
    {"b8_k64_u64", {8, 64}, 64, false},
    {"b40_k12_u5", {40, 12}, 5, false},
};

}  // namespace

void AddConvCases(OpCaseList* cases) {
  const Scheme kSchemes[] = {Scheme::kI8PerChannel, Scheme::kI8PerTensor, Scheme::kU8};
  // Shape sweeps: every scheme, activation and bias presence rotating.
  int i = 0;
  // CONV_2D always gets a bias: this TFLite refuses a CONV_2D without one
  // (conv.cc: "the optimized versions require bias"), so no golden could be
  // made. Systole's kernel accepts it (bias treated as zero).
  for (const ConvShape& s : kConvShapes) {
    for (Scheme scheme : kSchemes) {
      AddConv(cases, false, s, scheme, kActs[i % 4], true);
      ++i;
    }
  }
  for (const ConvShape& s : kDepthwiseShapes) {
    for (Scheme scheme : kSchemes) {
      AddConv(cases, true, s, scheme, kActs[i % 4], i % 5 != 3);
      ++i;
    }
  }
  for (const FcShape& s : kFcShapes) {
    for (Scheme scheme : kSchemes) {
      AddFc(cases, s, scheme, kActs[i % 4], i % 5 != 3);
      ++i;
    }
  }
  // Activation sweeps on one shape per op.
  const ConvShape act_conv = {"act", 1, 6, 5, 4, 6, 3, 3, 1, 1, 1, 1, kSame};
  const ConvShape act_dw = {"act", 1, 6, 5, 6, 1, 3, 3, 1, 1, 1, 1, kSame};
  const FcShape act_fc = {"act", {2, 24}, 12, false};
  for (Scheme scheme : kSchemes) {
    for (auto act : kActs) {
      AddConv(cases, false, act_conv, scheme, act, true);
      AddConv(cases, true, act_dw, scheme, act, true);
      AddFc(cases, act_fc, scheme, act, true);
    }
  }
  // Effective multipliers > 1 (left shifts in the output stage).
  for (Scheme scheme : kSchemes) {
    AddConv(cases, false, kConvShapes[0], scheme, tflite::ActivationFunctionType_NONE, true, true);
    AddConv(cases, true, kDepthwiseShapes[0], scheme, tflite::ActivationFunctionType_NONE, true,
            true);
    AddFc(cases, kFcShapes[1], scheme, tflite::ActivationFunctionType_NONE, true, true);
  }
  AddFc(cases, kFcShapes[2], Scheme::kI8PerTensor, tflite::ActivationFunctionType_NONE, true,
        false, 7);
  AddFc(cases, kFcShapes[7], Scheme::kI8PerTensor, tflite::ActivationFunctionType_RELU, false,
        false, -3);
  // A MobileNet-like 1x1 expansion with a wider output (several GEMM blocks).
  const ConvShape wide = {"k1_mnv2_expand", 1, 7, 7, 24, 144, 1, 1, 1, 1, 1, 1, kSame};
  AddConv(cases, false, wide, Scheme::kI8PerChannel, tflite::ActivationFunctionType_RELU6, true);
  const ConvShape wide_dw = {"k3_mnv2_dw", 1, 7, 7, 144, 1, 3, 3, 2, 2, 1, 1, kSame};
  AddConv(cases, true, wide_dw, Scheme::kI8PerChannel, tflite::ActivationFunctionType_RELU6,
          true);
}

}  // namespace testing
}  // namespace systole
