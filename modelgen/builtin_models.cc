#include "modelgen/builtin_models.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "common/xorshift32.h"
#include "modelgen/model_builder.h"

namespace systole {
namespace modelgen {
namespace {

const auto kI8 = tflite::TensorType_INT8;
const auto kI32 = tflite::TensorType_INT32;

// An activation: its tensor in the model, its quantization, and its values in
// the calibration pass (dequantized int8 values, NHWC with N = 1; [1, C]
// tensors have h = w = 1).
struct Act {
  int tensor = -1;
  int h = 0, w = 0, c = 0;
  float scale = 1.f;
  int zero_point = 0;
  std::vector<double> v;
};

// Quantization of a calibrated range: [lo, hi] widened to hold 0, 5% margin,
// the scale rounded up to the 2^(1/16) grid (see builtin_models.h).
void ChooseQuant(double lo, double hi, bool relu6, float* scale, int* zero_point) {
  lo = std::min(0.0, lo) * 1.05;
  hi = std::max(0.0, hi) * 1.05;
  if (relu6) lo = 0, hi = std::min(hi, 6.0);
  double s = std::max((hi - lo) / 255.0, 1e-6);
  s = std::exp2(std::ceil(std::log2(s) * 16.0) / 16.0);
  *scale = static_cast<float>(s);
  const long zp = std::lround(-128.0 - lo / static_cast<double>(*scale));
  *zero_point = static_cast<int>(std::min(127L, std::max(-128L, zp)));
}

// Rounds the calibration values to the chosen int8 grid (so that later
// layers are calibrated on what the int8 network computes).
void FakeQuantize(Act* a) {
  for (double& x : a->v) {
    long q = std::lround(x / a->scale) + a->zero_point;
    q = std::min(127L, std::max(-128L, q));
    x = static_cast<double>(q - a->zero_point) * a->scale;
  }
}

class MobileNetV2LikeWriter {
 public:
  std::vector<uint8_t> Write(std::string* error);
  // deeplab-like (builtin_models.h): the same layers at 513 x 513.
  std::vector<uint8_t> WriteDeepLab(std::string* error);

 private:
  // Uniform in [0, 1) from the model's own stream.
  double Unit() { return (rng_.NextUnitDouble() + 1.0) / 2.0; }

  Act Finish(const std::string& name, std::vector<double> v, int h, int w, int c, bool relu6);
  Act Conv(const Act& in, const std::string& name, int cout, int k, int stride, bool relu6,
           double gain);
  Act Depthwise(const Act& in, const std::string& name, int stride, int dilation = 1);
  Act Add(const Act& a, const Act& b, const std::string& name);
  Act Mean(const Act& in, const std::string& name);
  Act FullyConnected(const Act& in, const std::string& name, int units, double gain);
  Act Softmax(const Act& in, const std::string& name);

  // Per-output-channel weight scales: He-style std sqrt(gain / fan_in) for
  // int8 values uniform in [-127, 127] (std 127 / sqrt(3)), varied by
  // +-25% per channel so that per-channel quantization matters.
  std::vector<float> WeightScales(int channels, int fan_in, double gain) {
    std::vector<float> s(channels);
    for (float& x : s) {
      x = static_cast<float>(std::sqrt(gain / fan_in) / (127.0 / std::sqrt(3.0)) *
                             (0.75 + 0.5 * Unit()));
    }
    return s;
  }
  // Biases: real values uniform in [-amp, amp), quantized with in * w scales.
  std::vector<int32_t> Biases(float in_scale, const std::vector<float>& w_scales, double amp,
                              std::vector<double>* real) {
    std::vector<int32_t> q(w_scales.size());
    real->resize(w_scales.size());
    for (size_t i = 0; i < q.size(); ++i) {
      const double bs = static_cast<double>(in_scale) * w_scales[i];
      q[i] = static_cast<int32_t>(std::lround((Unit() * 2.0 - 1.0) * amp / bs));
      (*real)[i] = q[i] * bs;
    }
    return q;
  }
  std::vector<int8_t> Weights(size_t n) { return RandomInt8Data(n, next_seed_++, -127, 127); }
  // The weights tensor (per-channel scales along channel_dim, zero points 0)
  // and its INT32 bias tensor (scales in_scale * ws[c]); returns their ids.
  std::pair<int, int> AddWeightsAndBias(const std::string& name, const std::vector<int>& shape,
                                        const std::vector<int8_t>& wq, const std::vector<float>& ws,
                                        int channel_dim, float in_scale, const std::vector<int32_t>& bq) {
    const size_t n = ws.size();
    std::vector<float> bs(n);
    for (size_t o = 0; o < n; ++o) bs[o] = in_scale * ws[o];
    const int w_t = b_.AddConstTensor(name + "/weights", kI8, shape, wq,
                                      Quant::PerChannel(ws, std::vector<int64_t>(n, 0), channel_dim));
    const int b_t = b_.AddConstTensor(name + "/bias", kI32, {static_cast<int>(n)}, bq,
                                      Quant::PerChannel(bs, std::vector<int64_t>(n, 0), 0));
    return {w_t, b_t};
  }
  // SAME padding as TFLite computes it for a k x k window: the odd pixel goes after.
  struct SameWindow {
    int oh, ow, pad_t, pad_l;
  };
  static SameWindow Same(const Act& in, int k, int stride) {
    SameWindow g;
    g.oh = (in.h + stride - 1) / stride;
    g.ow = (in.w + stride - 1) / stride;
    g.pad_t = std::max((g.oh - 1) * stride + k - in.h, 0) / 2;
    g.pad_l = std::max((g.ow - 1) * stride + k - in.w, 0) / 2;
    return g;
  }

  ModelBuilder b_;
  Xorshift32 rng_{20260301u};
  uint32_t next_seed_ = 1;
};

Act MobileNetV2LikeWriter::Finish(const std::string& name, std::vector<double> v, int h, int w,
                                  int c, bool relu6) {
  Act a;
  a.h = h, a.w = w, a.c = c;
  if (relu6) for (double& x : v) x = std::min(6.0, std::max(0.0, x));
  double lo = 0, hi = 0;
  for (double x : v) lo = std::min(lo, x), hi = std::max(hi, x);
  ChooseQuant(lo, hi, relu6, &a.scale, &a.zero_point);
  a.v = std::move(v);
  FakeQuantize(&a);
  // h = w = 0: the classifier's [1, C] (FULLY_CONNECTED).
  const std::vector<int32_t> shape =
      h == 0 ? std::vector<int32_t>{1, c} : std::vector<int32_t>{1, h, w, c};
  a.tensor = b_.AddTensor(name, kI8, shape, Quant::PerTensor(a.scale, a.zero_point));
  return a;
}

Act MobileNetV2LikeWriter::Conv(const Act& in, const std::string& name, int cout, int k,
                                int stride, bool relu6, double gain) {
  const int cin = in.c, fan_in = k * k * cin;
  const std::vector<int8_t> wq = Weights(static_cast<size_t>(cout) * fan_in);
  const std::vector<float> ws = WeightScales(cout, fan_in, gain);
  std::vector<double> bias;
  const std::vector<int32_t> bq = Biases(in.scale, ws, relu6 ? 0.2 : 0.05, &bias);
  const auto [w_t, b_t] = AddWeightsAndBias(name, {cout, k, k, cin}, wq, ws, 0, in.scale, bq);
  const auto [oh, ow, pad_t, pad_l] = Same(in, k, stride);
  std::vector<double> out(static_cast<size_t>(oh) * ow * cout);
  for (int y = 0; y < oh; ++y)
    for (int x = 0; x < ow; ++x)
      for (int o = 0; o < cout; ++o) {
        double acc = bias[o];
        for (int ky = 0; ky < k; ++ky) {
          const int iy = y * stride - pad_t + ky;
          if (iy < 0 || iy >= in.h) continue;
          for (int kx = 0; kx < k; ++kx) {
            const int ix = x * stride - pad_l + kx;
            if (ix < 0 || ix >= in.w) continue;
            const double* px = &in.v[(static_cast<size_t>(iy) * in.w + ix) * cin];
            const int8_t* pw = &wq[((static_cast<size_t>(o) * k + ky) * k + kx) * cin];
            double s = 0;
            for (int i = 0; i < cin; ++i) s += px[i] * pw[i];
            acc += s * ws[o];
          }
        }
        out[(static_cast<size_t>(y) * ow + x) * cout + o] = acc;
      }
  Act a = Finish(name, std::move(out), oh, ow, cout, relu6);
  Conv2DOptions opt;
  opt.padding = tflite::Padding_SAME;
  opt.stride_h = opt.stride_w = stride;
  opt.activation = relu6 ? tflite::ActivationFunctionType_RELU6 : tflite::ActivationFunctionType_NONE;
  b_.AddOperator(tflite::BuiltinOperator_CONV_2D, 3, {in.tensor, w_t, b_t}, {a.tensor}, opt);
  return a;
}

Act MobileNetV2LikeWriter::Depthwise(const Act& in, const std::string& name, int stride, int dilation) {
  const int c = in.c, k = 3;
  const std::vector<int8_t> wq = Weights(static_cast<size_t>(k) * k * c);
  const std::vector<float> ws = WeightScales(c, k * k, 2.0);
  std::vector<double> bias;
  const std::vector<int32_t> bq = Biases(in.scale, ws, 0.2, &bias);
  const auto [w_t, b_t] = AddWeightsAndBias(name, {1, k, k, c}, wq, ws, 3, in.scale, bq);
  // SAME padding of a dilated window: that of its (k - 1) * dilation + 1 extent.
  const auto [oh, ow, pad_t, pad_l] = Same(in, (k - 1) * dilation + 1, stride);
  std::vector<double> out(static_cast<size_t>(oh) * ow * c);
  for (int y = 0; y < oh; ++y)
    for (int x = 0; x < ow; ++x)
      for (int o = 0; o < c; ++o) {
        double s = 0;
        for (int ky = 0; ky < k; ++ky) {
          const int iy = y * stride - pad_t + ky * dilation;
          if (iy < 0 || iy >= in.h) continue;
          for (int kx = 0; kx < k; ++kx) {
            const int ix = x * stride - pad_l + kx * dilation;
            if (ix < 0 || ix >= in.w) continue;
            s += in.v[(static_cast<size_t>(iy) * in.w + ix) * c + o] * wq[(ky * k + kx) * c + o];
          }
        }
        out[(static_cast<size_t>(y) * ow + x) * c + o] = bias[o] + s * ws[o];
      }
  Act a = Finish(name, std::move(out), oh, ow, c, /*relu6=*/true);
  DepthwiseConv2DOptions opt;
  opt.padding = tflite::Padding_SAME;
  opt.stride_h = opt.stride_w = stride;
  opt.depth_multiplier = 1;
  opt.dilation_h = opt.dilation_w = dilation;
  opt.activation = tflite::ActivationFunctionType_RELU6;
  b_.AddOperator(tflite::BuiltinOperator_DEPTHWISE_CONV_2D, 3, {in.tensor, w_t, b_t}, {a.tensor},
                 opt);
  return a;
}

Act MobileNetV2LikeWriter::Add(const Act& x, const Act& y, const std::string& name) {
  std::vector<double> out(x.v.size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = x.v[i] + y.v[i];
  Act a = Finish(name, std::move(out), x.h, x.w, x.c, false);
  b_.AddOperator(tflite::BuiltinOperator_ADD, 2, {x.tensor, y.tensor}, {a.tensor},
                 ArithmeticOptions{});
  return a;
}

Act MobileNetV2LikeWriter::Mean(const Act& in, const std::string& name) {
  std::vector<double> out(in.c, 0.0);
  for (int p = 0; p < in.h * in.w; ++p)
    for (int c = 0; c < in.c; ++c) out[c] += in.v[static_cast<size_t>(p) * in.c + c];
  for (double& x : out) x /= in.h * in.w;
  const int axes = b_.AddConstInt32(name + "/axes", {1, 2});
  Act a = Finish(name, std::move(out), 1, 1, in.c, false);
  ReducerOptions opt;
  opt.keep_dims = true;  // [1, 1, 1, C], as the accelerator maps MEAN
  b_.AddOperator(tflite::BuiltinOperator_MEAN, 2, {in.tensor, axes}, {a.tensor}, opt);
  return a;
}

Act MobileNetV2LikeWriter::FullyConnected(const Act& in, const std::string& name, int units,
                                          double gain) {
  const int depth = in.c;
  const std::vector<int8_t> wq = Weights(static_cast<size_t>(units) * depth);
  const float ws = WeightScales(1, depth, gain)[0];
  std::vector<double> bias;
  const std::vector<int32_t> bq = Biases(in.scale, std::vector<float>(units, ws), 0.5, &bias);
  const int w_t = b_.AddConstTensor(name + "/weights", kI8, {units, depth}, wq,
                                    Quant::PerTensor(ws, 0));
  const int b_t = b_.AddConstTensor(name + "/bias", kI32, {units}, bq,
                                    Quant::PerTensor(in.scale * ws, 0));
  std::vector<double> out(units);
  for (int u = 0; u < units; ++u) {
    double s = 0;
    for (int i = 0; i < depth; ++i) s += in.v[i] * wq[static_cast<size_t>(u) * depth + i];
    out[u] = bias[u] + s * ws;
  }
  Act a = Finish(name, std::move(out), 0, 0, units, false);
  b_.AddOperator(tflite::BuiltinOperator_FULLY_CONNECTED, 4, {in.tensor, w_t, b_t}, {a.tensor},
                 FullyConnectedOptions{});
  return a;
}

Act MobileNetV2LikeWriter::Softmax(const Act& in, const std::string& name) {
  Act a;
  a.h = a.w = 1, a.c = in.c;
  a.scale = 1.f / 256.f, a.zero_point = -128;  // TFLite's int8 SOFTMAX output
  a.tensor = b_.AddTensor(name, kI8, {1, in.c}, Quant::PerTensor(a.scale, a.zero_point));
  b_.AddOperator(tflite::BuiltinOperator_SOFTMAX, 2, {in.tensor}, {a.tensor}, SoftmaxOptions{});
  return a;
}

std::vector<uint8_t> MobileNetV2LikeWriter::Write(std::string* error) {
  constexpr int kSize = 96, kClasses = 100;
  // The input: real = q / 128, calibrated on the oracle's seed-1 bytes (what
  // `systole run --seed 1` feeds).
  Act x;
  x.h = x.w = kSize, x.c = 3;
  x.scale = 1.f / 128.f, x.zero_point = 0;
  x.tensor = b_.AddTensor("input", kI8, {1, kSize, kSize, 3}, Quant::PerTensor(x.scale, 0));
  const int input = x.tensor;
  Xorshift32 in_rng(1);
  x.v.resize(static_cast<size_t>(kSize) * kSize * 3);
  for (double& v : x.v) v = static_cast<int8_t>(in_rng.NextByte()) / 128.0;

  x = Conv(x, "stem/conv", 16, 3, 2, true, 2.0);
  // Inverted residual blocks (MobileNetV2's table at width 0.5, one block
  // fewer per stage): expansion t, output channels c, repeats n, stride s.
  struct Stage { int t, c, n, s; };
  const Stage stages[] = {{1, 8, 1, 1}, {6, 16, 2, 2}, {6, 24, 2, 2}, {6, 32, 2, 2}, {6, 48, 1, 1}};
  int block = 0;
  for (const Stage& st : stages) {
    for (int r = 0; r < st.n; ++r, ++block) {
      const std::string p = "block" + std::to_string(block);
      const int stride = r == 0 ? st.s : 1;
      Act h = x;
      if (st.t != 1) h = Conv(h, p + "/expand", x.c * st.t, 1, 1, true, 2.0);
      h = Depthwise(h, p + "/depthwise", stride);
      h = Conv(h, p + "/project", st.c, 1, 1, false, 1.0);
      if (stride == 1 && x.c == st.c) h = Add(x, h, p + "/add");
      x = std::move(h);
    }
  }
  x = Conv(x, "head/conv", 128, 1, 1, true, 2.0);
  x = Mean(x, "head/mean");
  x = FullyConnected(x, "head/logits", kClasses, 1.5);
  x = Softmax(x, "head/softmax");
  b_.SetInputs({input});
  b_.SetOutputs({x.tensor});
  b_.SetDescription("systole make-model mobilenet-v2-like (modelgen/builtin_models.cc)");
  std::vector<uint8_t> bytes = b_.Finish();
  if (!b_.ok()) {
    *error = "mobilenet-v2-like: the model builder failed: " + b_.error();
    return {};
  }
  return bytes;
}

std::vector<uint8_t> MobileNetV2LikeWriter::WriteDeepLab(std::string* error) {
  constexpr int kSize = 513, kClasses = 8;
  Act x;
  x.h = x.w = kSize, x.c = 3;
  x.scale = 1.f / 128.f, x.zero_point = 0;
  x.tensor = b_.AddTensor("input", kI8, {1, kSize, kSize, 3}, Quant::PerTensor(x.scale, 0));
  const int input = x.tensor;
  Xorshift32 in_rng(1);
  x.v.resize(static_cast<size_t>(kSize) * kSize * 3);
  for (double& v : x.v) v = static_cast<int8_t>(in_rng.NextByte()) / 128.0;

  x = Conv(x, "stem/conv", 16, 3, 2, true, 2.0);  // 257 x 257
  // Inverted residual blocks down to output stride 8 (65 x 65), then
  // dilated depthwise convolutions (rates 2 and 4) instead of more strides,
  // as DeepLab's atrous MobileNetV2: expansion t, channels c, stride s, rate d.
  struct Block { int t, c, s, d; };
  const Block blocks[] = {{1, 8, 1, 1}, {6, 16, 2, 1}, {6, 16, 1, 1}, {6, 24, 2, 1},
                          {6, 24, 1, 2}, {6, 24, 1, 4}, {6, 32, 1, 4}};
  int index = 0;
  for (const Block& bl : blocks) {
    const std::string p = "block" + std::to_string(index++);
    Act h = x;
    if (bl.t != 1) h = Conv(h, p + "/expand", x.c * bl.t, 1, 1, true, 2.0);
    h = Depthwise(h, p + "/depthwise", bl.s, bl.d);
    h = Conv(h, p + "/project", bl.c, 1, 1, false, 1.0);
    if (bl.s == 1 && x.c == bl.c) h = Add(x, h, p + "/add");
    x = std::move(h);
  }
  x = Conv(x, "head/conv", 32, 1, 1, true, 2.0);
  x = Conv(x, "head/logits", kClasses, 1, 1, false, 1.0);
  b_.SetInputs({input});
  b_.SetOutputs({x.tensor});
  b_.SetDescription("systole make-model deeplab-like (modelgen/builtin_models.cc)");
  std::vector<uint8_t> bytes = b_.Finish();
  if (!b_.ok()) {
    *error = "deeplab-like: the model builder failed: " + b_.error();
    return {};
  }
  return bytes;
}

}  // namespace

const std::vector<BuiltinModel>& BuiltinModels() {
  static const std::vector<BuiltinModel> kModels = {
      {"mobilenet-v2-like",
       "MobileNetV2-shaped int8 classifier, input [1, 96, 96, 3], 100 classes"},
      {"deeplab-like",
       "DeepLab-shaped int8 segmenter (dilated depthwise, output stride 8), input [1, 513, 513, 3]"},
  };
  return kModels;
}

std::vector<uint8_t> MobileNetV2Like(std::string* error) {
  return MobileNetV2LikeWriter().Write(error);
}

std::vector<uint8_t> DeepLabLike(std::string* error) {
  return MobileNetV2LikeWriter().WriteDeepLab(error);
}

std::vector<uint8_t> MakeBuiltinModel(const std::string& name, std::string* error) {
  if (name == "mobilenet-v2-like") return MobileNetV2Like(error);
  if (name == "deeplab-like") return DeepLabLike(error);
  std::string known;
  for (const BuiltinModel& m : BuiltinModels()) known += (known.empty() ? "" : ", ") + std::string(m.name);
  *error = "unknown built-in model '" + name + "' (expected one of: " + known + ")";
  return {};
}

}  // namespace modelgen
}  // namespace systole
