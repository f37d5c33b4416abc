// Randomised differential test of compiled instruction streams (seed logged,
// SYSTOLE_SEED replays one case): random one-op models (CONV_2D,
// DEPTHWISE_CONV_2D, FULLY_CONNECTED, AVERAGE/MAX_POOL_2D, ADD, SUB, MUL,
// SOFTMAX;
// int8 and uint8, random shapes, strides, padding, quantization, fused
// activations) are compiled for the 16x16 "tiny" configuration and run on the
// three accelerator models: the untimed functional model, the SystemC device
// with the behavioural core, and (when built) the SystemC device with the
// Verilated RTL core. All outputs must equal the CPU interpreter's kernels
// bit for bit (themselves bit-exact with TFLite, see op_cases_test), and the
// RTL's cycle count must equal the behavioural core's.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common/test_seed.h"
#include "common/xorshift32.h"
#include "compiler/compiler.h"
#include "driver/driver.h"
#include "interpreter/interpreter.h"
#include "interpreter/model.h"
#include "interpreter/op_resolver.h"
#include "interpreter/tensor_io.h"
#include "schema/executable_generated.h"
#include "simulator/functional_model.h"
#include "testing/model_builder.h"

namespace systole {
namespace testing {
namespace {

// Case parameters from the project's xorshift32 stream (common/xorshift32.h).
class Rng {
 public:
  explicit Rng(uint32_t seed) : x_(seed) {}
  int Int(int lo, int hi) { return lo + static_cast<int>(x_.Next() % static_cast<uint32_t>(hi - lo + 1)); }
  float Float(float lo, float hi) { return lo + (hi - lo) * static_cast<float>(x_.Next() >> 8) / 16777216.f; }
  bool Coin() { return x_.Next() & 1; }

 private:
  Xorshift32 x_;
};

struct Case {
  std::string name;
  std::vector<uint8_t> model;
};

tflite::ActivationFunctionType RandomActivation(Rng& r) {
  switch (r.Int(0, 3)) {
    case 0: return tflite::ActivationFunctionType_NONE;
    case 1: return tflite::ActivationFunctionType_RELU;
    case 2: return tflite::ActivationFunctionType_RELU6;
    default: return tflite::ActivationFunctionType_RELU_N1_TO_1;
  }
}

// One random single-op model.
Case MakeCase(uint32_t seed) {
  Rng r(seed);
  ModelBuilder b;
  const bool u8 = r.Int(0, 3) == 0;
  const tflite::TensorType t = u8 ? tflite::TensorType_UINT8 : tflite::TensorType_INT8;
  const int zlo = u8 ? 0 : -128, zhi = u8 ? 255 : 127;
  auto act_q = [&]() { return Quant::PerTensor(r.Float(0.01f, 0.1f), r.Int(zlo + 20, zhi - 20)); };
  const int kind = r.Int(0, 8);
  const int h = r.Int(1, 12), w = r.Int(1, 12), c = r.Int(1, 40);
  Case out;
  const Quant in_q = act_q();
  const int x = b.AddTensor("x", t, {1, h, w, c}, in_q);
  auto weights = [&](std::vector<int32_t> shape, int64_t n, int channels, int axis, Quant* wq) {
    std::vector<float> scales;
    std::vector<int64_t> zps;
    const bool per_channel = !u8 && r.Coin();
    for (int i = 0; i < (per_channel ? channels : 1); ++i) {
      scales.push_back(r.Float(0.002f, 0.02f));
      zps.push_back(u8 ? r.Int(100, 156) : 0);
    }
    *wq = per_channel ? Quant::PerChannel(scales, zps, axis) : Quant::PerTensor(scales[0], zps[0]);
    if (u8) return b.AddConstTensor("w", t, shape, RandomUint8Data(n, seed * 7 + 1), *wq);
    return b.AddConstTensor("w", t, shape, RandomInt8Data(n, seed * 7 + 1), *wq);
  };
  auto bias = [&](int n, const Quant& wq) {
    std::vector<float> s;
    for (float ws : wq.scales) s.push_back(in_q.scales[0] * ws);
    std::vector<int64_t> z(s.size(), 0);
    const Quant bq = s.size() == 1 ? Quant::PerTensor(s[0], 0) : Quant::PerChannel(s, z, 0);
    return b.AddConstTensor("b", tflite::TensorType_INT32, {n}, RandomInt32Data(n, seed * 7 + 2, -3000, 3000), bq);
  };
  if (kind == 0 || kind == 1) {  // CONV_2D / DEPTHWISE_CONV_2D
    const int kh = r.Int(1, 4), kw = r.Int(1, 4), sh = r.Int(1, 2), sw = r.Int(1, 2);
    const bool same = r.Coin();
    const int oh = same ? (h + sh - 1) / sh : (h - kh) / sh + 1;
    const int ow = same ? (w + sw - 1) / sw : (w - kw) / sw + 1;
    if (oh < 1 || ow < 1) return MakeCase(seed + 0x9e3779b9u);  // (an xor could cycle back)
    Quant wq;
    int cout, wt;
    if (kind == 0) {
      cout = r.Int(1, 40);
      wt = weights({cout, kh, kw, c}, int64_t{cout} * kh * kw * c, cout, 0, &wq);
    } else {
      const int mult = r.Int(0, 3) == 0 ? r.Int(2, 3) : 1;
      cout = c * mult;
      wt = weights({1, kh, kw, cout}, int64_t{kh} * kw * cout, cout, 3, &wq);
    }
    const int bt = bias(cout, wq);
    const int y = b.AddTensor("y", t, {1, oh, ow, cout}, act_q());
    if (kind == 0) {
      Conv2DOptions o;
      o.padding = same ? tflite::Padding_SAME : tflite::Padding_VALID;
      o.stride_h = sh, o.stride_w = sw, o.activation = RandomActivation(r);
      b.AddOperator(tflite::BuiltinOperator_CONV_2D, 3, {x, wt, bt}, {y}, o);
    } else {
      DepthwiseConv2DOptions o;
      o.padding = same ? tflite::Padding_SAME : tflite::Padding_VALID;
      o.stride_h = sh, o.stride_w = sw, o.depth_multiplier = cout / c, o.activation = RandomActivation(r);
      b.AddOperator(tflite::BuiltinOperator_DEPTHWISE_CONV_2D, 3, {x, wt, bt}, {y}, o);
    }
    b.SetOutputs({y});
    out.name = StrFormat("%s %s %dx%dx%d -> %d, k%dx%d s%dx%d %s", kind == 0 ? "conv" : "depthwise",
                         u8 ? "u8" : "i8", h, w, c, cout, kh, kw, sh, sw, same ? "same" : "valid");
  } else if (kind == 2) {  // FULLY_CONNECTED on the flattened input
    const int units = r.Int(1, 40);
    const int depth = h * w * c;
    Quant wq;
    const int wt = weights({units, depth}, int64_t{units} * depth, units, 0, &wq);
    const int bt = bias(units, wq);
    const int y = b.AddTensor("y", t, {1, units}, act_q());
    FullyConnectedOptions o;
    o.activation = RandomActivation(r);
    b.AddOperator(tflite::BuiltinOperator_FULLY_CONNECTED, u8 ? 1 : 4, {x, wt, bt}, {y}, o);
    b.SetOutputs({y});
    out.name = StrFormat("fully_connected %s %d -> %d", u8 ? "u8" : "i8", depth, units);
  } else if (kind == 3 || kind == 4) {  // AVERAGE / MAX pool
    const bool avg = kind == 3;
    const int fh = r.Int(1, std::min(h, 4)), fw = r.Int(1, std::min(w, 4)), sh = r.Int(1, 2), sw = r.Int(1, 2);
    const bool same = !(avg && u8) && r.Coin();  // uint8 averages: VALID (see docs/compiler.md)
    const int oh = same ? (h + sh - 1) / sh : (h - fh) / sh + 1;
    const int ow = same ? (w + sw - 1) / sw : (w - fw) / sw + 1;
    const int y = b.AddTensor("y", t, {1, oh, ow, c}, in_q);
    Pool2DOptions o;
    o.padding = same ? tflite::Padding_SAME : tflite::Padding_VALID;
    o.stride_h = sh, o.stride_w = sw, o.filter_h = fh, o.filter_w = fw, o.activation = RandomActivation(r);
    b.AddOperator(avg ? tflite::BuiltinOperator_AVERAGE_POOL_2D : tflite::BuiltinOperator_MAX_POOL_2D, 2, {x}, {y},
                  o);
    b.SetOutputs({y});
    out.name = StrFormat("%s %s %dx%dx%d f%dx%d s%dx%d %s", avg ? "avgpool" : "maxpool", u8 ? "u8" : "i8", h, w, c,
                         fh, fw, sh, sw, same ? "same" : "valid");
  } else if (kind == 8) {  // SOFTMAX over the last dimension
    SoftmaxOptions o;
    o.beta = r.Coin() ? 1.0f : r.Float(0.1f, 3.0f);
    const Quant oq = !u8 || r.Coin() ? Quant::PerTensor(1.0f / 256, u8 ? 0 : -128)
                                     : Quant::PerTensor(r.Float(0.002f, 0.05f), r.Int(0, 255));
    const int y = b.AddTensor("y", t, {1, h, w, c}, oq);
    b.AddOperator(tflite::BuiltinOperator_SOFTMAX, 1, {x}, {y}, o);
    b.SetOutputs({y});
    out.name = StrFormat("softmax %s %dx%dx%d beta %g", u8 ? "u8" : "i8", h, w, c, static_cast<double>(o.beta));
  } else {  // ADD / SUB / MUL, sometimes broadcasting the second input
    const int op = kind - 5;  // kinds 5, 6, 7
    const bool bcast = r.Int(0, 2) == 0;
    const Quant q2 = act_q();
    const int x2 = bcast ? b.AddTensor("x2", t, {1, 1, 1, c}, q2) : b.AddTensor("x2", t, {1, h, w, c}, q2);
    // Keep the output scale within TFLite's representable rescale range.
    const float s1 = in_q.scales[0], s2 = q2.scales[0];
    const float so = op == 2 ? s1 * s2 * r.Float(20.f, 120.f) : std::max(s1, s2) * r.Float(1.f, 3.f);
    const int y = b.AddTensor("y", t, {1, h, w, c}, Quant::PerTensor(so, r.Int(zlo + 20, zhi - 20)));
    ArithmeticOptions o;
    o.activation = RandomActivation(r);
    const tflite::BuiltinOperator ops[] = {tflite::BuiltinOperator_ADD, tflite::BuiltinOperator_SUB,
                                           tflite::BuiltinOperator_MUL};
    b.AddOperator(ops[op], 2, {x, x2}, {y}, o);
    b.SetInputs({x, x2});
    b.SetOutputs({y});
    out.name = StrFormat("%s %s %dx%dx%d%s", op == 0 ? "add" : op == 1 ? "sub" : "mul", u8 ? "u8" : "i8", h, w, c,
                         bcast ? " broadcast" : "");
    out.model = b.Finish();
    return out;
  }
  b.SetInputs({x});
  out.model = b.Finish();
  return out;
}

std::vector<std::vector<uint8_t>> RunFunctional(const std::vector<uint8_t>& exe_bytes, const sim::DeviceConfig& hw,
                                                const std::vector<const uint8_t*>& inputs, Status* status) {
  const exe::Executable* e = exe::GetExecutable(exe_bytes.data());
  sim::FunctionalModel fm(hw);
  std::vector<uint8_t> params(e->parameters()->begin(), e->parameters()->end());
  if (params.empty()) params.resize(1);
  std::vector<uint8_t> in(std::max<uint32_t>(1, e->input_bytes())), out(std::max<uint32_t>(1, e->output_bytes()));
  std::vector<uint8_t> scratch(std::max<uint32_t>(1, e->scratch_bytes()));
  for (uint32_t i = 0; i < e->inputs()->size(); ++i) {
    const auto* b = e->inputs()->Get(i);
    for (uint32_t j = 0; j < b->size(); ++j) in[b->offset() + j] = inputs[i][j] ^ (b->flip_sign_bit() ? 0x80 : 0);
  }
  sim::HostMemory host;
  Status s = host.Map(0, params.data(), params.size(), true, false);
  if (s.ok()) s = host.Map(1, in.data(), in.size(), true, false);
  if (s.ok()) s = host.Map(2, out.data(), out.size(), false, true);
  if (s.ok()) s = host.Map(3, scratch.data(), scratch.size(), true, true);
  for (const auto* chunk : *e->chunks()) {
    if (!s.ok()) break;
    std::vector<isa::InsnWord> words(chunk->instructions()->size() / sizeof(isa::InsnWord));
    std::memcpy(words.data(), chunk->instructions()->data(), words.size() * sizeof(isa::InsnWord));
    StatusOr<sim::FunctionalStats> r = fm.Run(words, host);
    if (!r.ok()) s = r.status();
  }
  *status = s;
  std::vector<std::vector<uint8_t>> result;
  for (const auto* b : *e->outputs()) {
    std::vector<uint8_t> v(out.begin() + b->offset(), out.begin() + b->offset() + b->size());
    if (b->flip_sign_bit())
      for (uint8_t& x : v) x ^= 0x80;
    result.push_back(std::move(v));
  }
  return result;
}

TEST(RandomOps, FunctionalSystemCAndRtlMatchTheCpuKernels) {
  const bool replay = SeedFromEnvironment().has_value();
  const uint32_t base = SeedFromEnvironment().value_or(20261123u);
  const char* n = std::getenv("SYSTOLE_RANDOM_CASES");  // more cases, e.g. for soak runs
  const int count = n != nullptr ? std::atoi(n) : replay ? 1 : 150;
  std::printf("[seed] RandomOps base seed %u, %d cases; replay one with SYSTOLE_SEED=<seed>\n", base, count);
  StatusOr<sim::DeviceConfig> hw = sim::DeviceConfig::FromName("tiny");
  ASSERT_TRUE(hw.ok());
  StatusOr<std::unique_ptr<driver::Device>> sim_dev = driver::Device::Open("sim", *hw);
  ASSERT_TRUE(sim_dev.ok()) << sim_dev.status().ToString();
  StatusOr<std::unique_ptr<driver::Device>> rtl_dev = driver::Device::Open("sim:rtl", *hw);
  if (!rtl_dev.ok()) std::printf("sim:rtl not in this build (%s): functional + SystemC only\n", rtl_dev.status().message().c_str());
  int compiled = 0, refused = 0, cpu_refused = 0;
  for (int i = 0; i < count; ++i) {
    const uint32_t seed = base + static_cast<uint32_t>(i);
    const Case c = MakeCase(seed);
    SCOPED_TRACE(StrFormat("seed %u: %s", seed, c.name.c_str()));
    StatusOr<std::unique_ptr<Model>> model = Model::FromBuffer(c.model, c.name);
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    BuiltinOpResolver resolver(TfliteFlavor::kRuy);
    StatusOr<std::unique_ptr<Interpreter>> interp = Interpreter::Create(**model, resolver);
    ASSERT_TRUE(interp.ok()) << interp.status().ToString();
    if (!(*interp)->AllocateTensors().ok()) {  // a quantization TFLite refuses too
      ++cpu_refused;
      continue;
    }
    ASSERT_TRUE(FillInputsFromSeed(interp->get(), seed).ok());
    TfLiteContext* ctx = (*interp)->context();
    compiler::CompileOptions opts;
    opts.flavor = TfliteFlavor::kRuy;
    opts.hw = *hw;
    compiler::PartitionSpec spec;
    bool supported = true;
    for (int n : (*interp)->execution_plan()) {
      supported &= compiler::CheckOpSupport(ctx, n, opts).ok();
      spec.nodes.push_back(n);
    }
    if (!supported) {
      ++refused;
      continue;
    }
    spec.inputs = (*interp)->inputs();
    spec.outputs = (*interp)->outputs();
    StatusOr<compiler::CompiledPartition> exe = compiler::CompilePartition(ctx, spec, opts);
    ASSERT_TRUE(exe.ok()) << exe.status().ToString();
    ++compiled;
    std::vector<const uint8_t*> inputs;
    for (int t : spec.inputs) inputs.push_back(reinterpret_cast<const uint8_t*>((*interp)->tensor(t)->data.raw));
    // Reference: the CPU interpreter's kernels.
    ASSERT_TRUE((*interp)->Invoke().ok());
    std::vector<std::vector<uint8_t>> want;
    for (int t : spec.outputs) {
      const TfLiteTensor* o = (*interp)->tensor(t);
      want.emplace_back(reinterpret_cast<const uint8_t*>(o->data.raw),
                        reinterpret_cast<const uint8_t*>(o->data.raw) + o->bytes);
    }
    // Functional model.
    Status fs;
    EXPECT_EQ(RunFunctional(exe->executable, *hw, inputs, &fs), want) << "functional model";
    ASSERT_TRUE(fs.ok()) << fs.ToString();
    // SystemC (behavioural core) and SystemC + RTL core.
    uint64_t cycles[2] = {0, 0};
    driver::Device* devs[2] = {sim_dev->get(), rtl_dev.ok() ? rtl_dev->get() : nullptr};
    for (int d = 0; d < 2; ++d) {
      if (devs[d] == nullptr) continue;
      StatusOr<std::unique_ptr<driver::LoadedExecutable>> l = devs[d]->Load(exe->executable.data(), exe->executable.size());
      ASSERT_TRUE(l.ok()) << l.status().ToString();
      std::vector<std::vector<uint8_t>> got(want.size());
      std::vector<uint8_t*> outs;
      for (size_t k = 0; k < want.size(); ++k) {
        got[k].resize(want[k].size());
        outs.push_back(got[k].data());
      }
      StatusOr<driver::RunStats> r = devs[d]->Run(**l, inputs, outs);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_EQ(got, want) << (d == 0 ? "SystemC" : "SystemC + RTL core");
      cycles[d] = r->counters.cycles;
    }
    if (devs[1] != nullptr) {
      EXPECT_EQ(cycles[0], cycles[1]) << "RTL and behavioural core cycle counts differ";
    }
    if (::testing::Test::HasFailure()) {
      std::printf("first failing case: SYSTOLE_SEED=%u (%s)\n", seed, c.name.c_str());
      return;
    }
  }
  std::printf("RandomOps: %d compiled and matched, %d refused by the support predicate, %d refused by the CPU "
              "kernels\n",
              compiled, refused, cpu_refused);
  if (count >= 20) {
    EXPECT_GT(compiled, count * 3 / 4);
  }
}

}  // namespace
}  // namespace testing
}  // namespace systole
