// Compiler tests: every shared model, partitioned into the runs of supported
// ops, compiled and executed on the SystemC device model, must give the same
// outputs as the CPU interpreter (which is bit-exact with TFLite, see
// tests/models_test). The partitions are handed to the compiler through the
// interpreter's real delegate interface by a small test delegate
// ("CompileAndSimulateDelegate") that runs executables through the driver
// (driver::Device "sim"); the product delegate is in delegate/. Per layer, the
// simulated compute cycles must equal the compiler's estimate exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/test_temp.h"
#include "common/fixed_point.h"
#include "arch/cycle_model.h"
#include "compiler/compiler.h"
#include "compiler/graph.h"
#include "interpreter/interpreter.h"
#include "interpreter/model.h"
#include "interpreter/op_resolver.h"
#include "interpreter/tensor_io.h"
#include "modelgen/builtin_models.h"
#include "schema/executable_generated.h"
#include "driver/driver.h"
#include "simulator/device.h"
#include "testing/model_builder.h"

#ifndef SYSTOLE_SHARED_DIR
#define SYSTOLE_SHARED_DIR "../shared"
#endif

namespace systole::compiler {
namespace {

// Tests compare with ../shared/oracle (the ruy flavor).
CompileOptions RuyOptions() {
  CompileOptions o;
  o.flavor = TfliteFlavor::kRuy;
  return o;
}

struct TestDelegate {
  TfLiteDelegate base{};
  CompileOptions options = RuyOptions();
  std::unique_ptr<driver::Device> device;
  int partitions = 0;
  int ops_on_device = 0;
  uint64_t cycles = 0;
  uint64_t estimated = 0;
  uint64_t abuf_peak = 0;
  uint64_t scratch = 0;
  int tiled = 0;  // partitions compiled with activation tiling
  uint64_t host_traffic = 0;
  int cascades = 0;
  int input_bands = 0;   // of the last partition compiled
  int cascaded_ops = 0;
  std::vector<uint8_t> last_exe;
  bool compile_only = false;
  std::string error;
};

struct Kernel {
  TestDelegate* d;
  std::vector<uint8_t> exe;
  std::unique_ptr<driver::LoadedExecutable> loaded;
  std::vector<int> inputs, outputs;
};

std::vector<int> ToVec(const TfLiteIntArray* a) { return std::vector<int>(a->data, a->data + a->size); }

void* Init(TfLiteContext* ctx, const char* buffer, size_t) {
  const auto* p = reinterpret_cast<const TfLiteDelegateParams*>(buffer);
  auto* d = reinterpret_cast<TestDelegate*>(p->delegate);
  PartitionSpec spec;
  spec.nodes = ToVec(p->nodes_to_replace);
  for (int t : ToVec(p->input_tensors))
    if (ctx->tensors[t].allocation_type != kTfLiteMmapRo) spec.inputs.push_back(t);
  spec.outputs = ToVec(p->output_tensors);
  auto k = std::make_unique<Kernel>();
  k->d = d;
  k->inputs = spec.inputs;
  k->outputs = spec.outputs;
  StatusOr<CompiledPartition> c = CompilePartition(ctx, spec, d->options);
  if (!c.ok()) {
    d->error = c.status().ToString();
    return k.release();
  }
  k->exe = std::move(c->executable);
  d->estimated += c->report.estimated_cycles;
  d->abuf_peak = std::max(d->abuf_peak, c->report.abuf_peak_bytes);
  d->tiled += c->report.tiled;
  d->cascades += static_cast<int>(c->report.cascades);
  d->input_bands = c->report.input_bands;
  d->cascaded_ops = c->report.cascaded_ops;
  d->last_exe = k->exe;
  d->host_traffic += c->report.host_load_bytes + c->report.host_store_bytes;
  d->scratch += exe::GetExecutable(k->exe.data())->scratch_bytes();
  d->partitions++;
  d->ops_on_device += static_cast<int>(spec.nodes.size());
  return k.release();
}
void Free(TfLiteContext*, void* b) { delete static_cast<Kernel*>(b); }
TfLiteStatus Prepare(TfLiteContext*, TfLiteNode* node) {
  return static_cast<Kernel*>(node->user_data)->exe.empty() ? kTfLiteError : kTfLiteOk;
}

TfLiteStatus Invoke(TfLiteContext* ctx, TfLiteNode* node) {
  auto* k = static_cast<Kernel*>(node->user_data);
  if (k->d->compile_only) return kTfLiteOk;
  if (k->loaded == nullptr) {
    StatusOr<std::unique_ptr<driver::LoadedExecutable>> l = k->d->device->Load(k->exe.data(), k->exe.size());
    if (!l.ok()) {
      k->d->error = l.status().ToString();
      return kTfLiteError;
    }
    k->loaded = std::move(*l);
  }
  std::vector<const uint8_t*> in;
  std::vector<uint8_t*> out;
  for (const auto& b : k->loaded->inputs()) in.push_back(reinterpret_cast<const uint8_t*>(ctx->tensors[b.tensor_index].data.raw));
  for (const auto& b : k->loaded->outputs()) out.push_back(reinterpret_cast<uint8_t*>(ctx->tensors[b.tensor_index].data.raw));
  driver::RunOptions ro;
  ro.per_op = true;
  StatusOr<driver::RunStats> r = k->d->device->Run(*k->loaded, in, out, ro);
  if (!r.ok()) {
    k->d->error = r.status().ToString();
    return kTfLiteError;
  }
  k->d->cycles += r->counters.cycles;
  // Per layer, the simulated compute cycles are exactly the compiler's estimate.
  for (const driver::OpCycles& oc : r->ops)
    if (oc.compute_cycles != oc.estimated_cycles && k->d->error.empty())
      k->d->error = StrFormat("%s (op %d): simulated %llu compute cycles, estimated %llu", oc.op.c_str(),
                              oc.node_index, static_cast<unsigned long long>(oc.compute_cycles),
                              static_cast<unsigned long long>(oc.estimated_cycles));
  return kTfLiteOk;
}

TfLiteStatus DelegatePrepare(TfLiteContext* ctx, TfLiteDelegate* delegate) {
  auto* d = reinterpret_cast<TestDelegate*>(delegate);
  TfLiteIntArray* plan = nullptr;
  if (ctx->GetExecutionPlan(ctx, &plan) != kTfLiteOk) return kTfLiteError;
  std::vector<int> supported;
  for (int i = 0; i < plan->size; ++i)
    if (CheckOpSupport(ctx, plan->data[i], d->options).ok()) supported.push_back(plan->data[i]);
  std::vector<int> arr(supported.size() + 1);
  arr[0] = static_cast<int>(supported.size());
  std::copy(supported.begin(), supported.end(), arr.begin() + 1);
  TfLiteRegistration reg{};
  reg.init = Init;
  reg.free = Free;
  reg.prepare = Prepare;
  reg.invoke = Invoke;
  reg.custom_name = "CompileAndSimulateDelegate";
  return ctx->ReplaceNodeSubsetsWithDelegateKernels(ctx, reg, reinterpret_cast<TfLiteIntArray*>(arr.data()),
                                                    delegate);
}

std::string ModelPath(const std::string& name) { return std::string(SYSTOLE_SHARED_DIR) + "/models/" + name; }

struct Outputs {
  std::vector<std::vector<uint8_t>> data;
};

StatusOr<Outputs> RunModel(const std::string& path, uint32_t seed, TestDelegate* d) {
  ASSIGN_OR_RETURN(std::unique_ptr<Model> model, Model::FromFile(path));
  BuiltinOpResolver resolver(TfliteFlavor::kRuy);
  ASSIGN_OR_RETURN(std::unique_ptr<Interpreter> interp, Interpreter::Create(*model, resolver));
  if (d != nullptr) RETURN_IF_ERROR(interp->ModifyGraphWithDelegate(&d->base));
  RETURN_IF_ERROR(interp->AllocateTensors());
  RETURN_IF_ERROR(FillInputsFromSeed(interp.get(), seed));
  RETURN_IF_ERROR(interp->Invoke());
  Outputs o;
  for (size_t i = 0; i < interp->outputs().size(); ++i) {
    const TfLiteTensor* t = interp->output_tensor(static_cast<int>(i));
    o.data.emplace_back(reinterpret_cast<const uint8_t*>(t->data.raw),
                        reinterpret_cast<const uint8_t*>(t->data.raw) + t->bytes);
  }
  return o;
}

// `d` compiles for `hw` and runs on the in-process simulator.
Status UseSimulator(TestDelegate* d, const sim::DeviceConfig& hw) {
  d->base.Prepare = DelegatePrepare;
  d->options.hw = hw;
  ASSIGN_OR_RETURN(d->device, driver::Device::Open("sim", hw));
  return Status::Ok();
}

// The model at `path` compiled whole, as one partition.
StatusOr<CompiledPartition> CompileWholeModel(const std::string& path, const CompileOptions& opts) {
  ASSIGN_OR_RETURN(std::unique_ptr<Model> model, Model::FromFile(path));
  BuiltinOpResolver resolver(opts.flavor);
  ASSIGN_OR_RETURN(std::unique_ptr<Interpreter> interp, Interpreter::Create(*model, resolver));
  RETURN_IF_ERROR(interp->AllocateTensors());
  PartitionSpec spec;
  spec.nodes = interp->execution_plan();
  spec.inputs = interp->inputs();
  spec.outputs = interp->outputs();
  return CompilePartition(interp->context(), spec, opts);
}

// The instructions of an executable's chunks, in order (of one kind, or all).
StatusOr<std::vector<isa::Instruction>> ChunkInstructions(const std::vector<uint8_t>& executable,
                                                          std::optional<exe::ChunkKind> kind = std::nullopt) {
  std::vector<isa::Instruction> out;
  for (const auto* chunk : *exe::GetExecutable(executable.data())->chunks()) {
    if (kind && chunk->kind() != *kind) continue;
    // Copied out: flatbuffer vectors of bytes carry no alignment for the words.
    std::vector<isa::InsnWord> words(chunk->instructions()->size() / sizeof(isa::InsnWord));
    std::memcpy(words.data(), chunk->instructions()->data(), words.size() * sizeof(isa::InsnWord));
    for (const isa::InsnWord& word : words) {
      ASSIGN_OR_RETURN(isa::Instruction insn, isa::Decode(word));
      out.push_back(insn);
    }
  }
  return out;
}

// (model, configuration): "edge", "tiny" (16x16), "streamed" (edge with
// parameters streamed per operator instead of cached).
class ModelOnDevice : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(ModelOnDevice, MatchesCpu) {
  const std::string name = std::get<0>(GetParam());
  const std::string config = std::get<1>(GetParam());
  const std::string path = ModelPath(name);
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path << " (../shared/models absent)";
  StatusOr<sim::DeviceConfig> hw =
      sim::DeviceConfig::FromName(config == "streamed" || config == "spill" || config == "pcie" ? "edge" : config);
  ASSERT_TRUE(hw.ok()) << hw.status().ToString();
  if (config == "pcie") hw->link = sim::LinkConfig::PcieGen2x1();  // input bands pay off here
  if (config == "spill") {
    // The smallest activation buffer (binary search, compile only) for which
    // the model still compiles: below what "edge" allocates, so tensors idle
    // between the steps that use them (residual branches) move to host memory.
    auto compiles = [&](uint32_t abuf, uint64_t* scratch) {
      sim::DeviceConfig c = *hw;
      c.abuf_bytes = abuf;
      TestDelegate t;
      t.base.Prepare = DelegatePrepare;
      t.options.hw = c;
      t.compile_only = true;
      // Spilling, not activation tiling (which takes over when spilling cannot fit).
      const bool ok = RunModel(path, 1, &t).ok() && t.error.empty() && t.tiled == 0;
      *scratch = t.scratch;
      return ok;
    };
    uint64_t scratch = 0;
    uint32_t lo = 64, hi = hw->abuf_bytes;  // hi compiles
    while (hi - lo > 64) {
      const uint32_t mid = (lo + hi) / 2 / 64 * 64;
      if (compiles(mid, &scratch)) hi = mid;
      else lo = mid;
    }
    ASSERT_TRUE(compiles(hi, &scratch));
    if (scratch == 0) GTEST_SKIP() << "at its smallest activation buffer (" << hi << " bytes) nothing is spilled";
    hw->abuf_bytes = hi;
  }
  TestDelegate d;
  d.options.cache_parameters = config != "streamed";
  const Status sim = UseSimulator(&d, *hw);
  ASSERT_TRUE(sim.ok()) << sim.ToString();
  StatusOr<Outputs> cpu = RunModel(path, 1, nullptr);
  ASSERT_TRUE(cpu.ok()) << cpu.status().ToString();
  StatusOr<Outputs> acc = RunModel(path, 1, &d);
  ASSERT_TRUE(acc.ok()) << acc.status().ToString() << " / " << d.error;
  EXPECT_TRUE(d.error.empty()) << d.error;
  std::printf("[model] %s (%s): %d ops in %d partitions on the device, %llu cycles, ABUF peak %llu, scratch %llu\n",
              name.c_str(), config.c_str(), d.ops_on_device, d.partitions, static_cast<unsigned long long>(d.cycles),
              static_cast<unsigned long long>(d.abuf_peak), static_cast<unsigned long long>(d.scratch));
  if (config == "spill") {
    EXPECT_GT(d.scratch, 0u) << "nothing was spilled";
    std::printf("[spill] %s: ABUF %u bytes, %llu bytes spilled\n", name.c_str(), hw->abuf_bytes,
                static_cast<unsigned long long>(d.scratch));
  }
  // The analytic estimate the compiler reports is close to the simulation.
  EXPECT_NEAR(static_cast<double>(d.estimated), static_cast<double>(d.cycles), 0.05 * d.cycles)
      << "estimated " << d.estimated << " vs simulated " << d.cycles;
  ASSERT_EQ(cpu->data.size(), acc->data.size());
  for (size_t i = 0; i < cpu->data.size(); ++i) {
    ASSERT_EQ(cpu->data[i].size(), acc->data[i].size());
    size_t diff = 0, first = SIZE_MAX;
    for (size_t j = 0; j < cpu->data[i].size(); ++j)
      if (cpu->data[i][j] != acc->data[i][j]) {
        ++diff;
        if (first == SIZE_MAX) first = j;
      }
    EXPECT_EQ(diff, 0u) << "output " << i << ": " << diff << " bytes differ, first at " << first << " (cpu "
                        << int(cpu->data[i][first == SIZE_MAX ? 0 : first]) << ", device "
                        << int(acc->data[i][first == SIZE_MAX ? 0 : first]) << ")";
  }
}

// Input bands: on a PCIe link (1 us per transfer) the model's input is loaded in
// row bands that compute consumes as they arrive (several input LOADs, each
// signalling compute), because the estimator finds that faster; on USB 3
// (20 us per transfer) the same partition loads its input whole.
TEST(Compiler, InputBandsWhenTheEstimatorSaysSo) {
  // MobileNetV1 0.25/128: its stem still takes long enough to overlap with the
  // input's load on PCIe (since GEMM pixel packing, vww_96's stem no longer does).
  const std::string path = ModelPath("mobilenet_v1_0.25_128_quant.tflite");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path;
  auto input_tokens = [&](const sim::LinkConfig& link) -> int {
    CompileOptions opts;
    opts.flavor = TfliteFlavor::kRuy;
    opts.hw.link = link;
    StatusOr<CompiledPartition> c = CompileWholeModel(path, opts);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    if (!c.ok()) return -1;
    StatusOr<std::vector<isa::Instruction>> insns = ChunkInstructions(c->executable, exe::ChunkKind_INFERENCE);
    EXPECT_TRUE(insns.ok()) << insns.status().ToString();
    if (!insns.ok()) return -1;
    int tokens = 0;
    for (const isa::Instruction& insn : *insns)
      if (insn.opcode() == isa::Opcode::kLoad && insn.deps.push_next && insn.as<isa::LoadArgs>().region == 1)
        ++tokens;
    return tokens;
  };
  EXPECT_GT(input_tokens(sim::LinkConfig::PcieGen2x1()), 1);
  EXPECT_EQ(input_tokens(sim::LinkConfig::Usb3()), 1);
}

// The input cascade (docs/compiler.md, "Input bands"): the builtin
// MobileNetV2-like model on a PCIe link loads its input in row bands, and the
// first layers' compute runs between the band waits (an instruction of a
// later layer before the last band's wait); the estimate drops against the
// whole-input load, the SystemC device takes exactly the estimated cycles and
// the outputs equal the CPU's.
TEST(Compiler, InputCascadeUnderTheInputDma) {
  std::string error;
  const std::vector<uint8_t> bytes = modelgen::MakeBuiltinModel("mobilenet-v2-like", &error);
  ASSERT_FALSE(bytes.empty()) << error;
  const std::string path = systole::testing::TempPath("mobilenet_v2_like_cascade.tflite");
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
    std::fclose(f);
  }
  sim::DeviceConfig hw;
  hw.link = sim::LinkConfig::PcieGen2x1();
  auto run = [&](bool bands, TestDelegate* d) -> StatusOr<Outputs> {
    d->options.input_bands = bands;
    RETURN_IF_ERROR(UseSimulator(d, hw));
    return RunModel(path, 3, d);
  };
  TestDelegate whole, cascaded;
  StatusOr<Outputs> a = run(false, &whole);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  StatusOr<Outputs> b = run(true, &cascaded);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  StatusOr<Outputs> cpu = RunModel(path, 3, nullptr);
  ASSERT_TRUE(cpu.ok()) << cpu.status().ToString();
  EXPECT_TRUE(whole.error.empty()) << whole.error;
  EXPECT_TRUE(cascaded.error.empty()) << cascaded.error;
  ASSERT_EQ(cascaded.partitions, 1);
  EXPECT_EQ(whole.input_bands, 0);
  EXPECT_EQ(cpu->data, b->data);
  EXPECT_EQ(cpu->data, a->data);
  EXPECT_EQ(cascaded.cycles, cascaded.estimated);
  EXPECT_LE(cascaded.estimated, whole.estimated);
  EXPECT_GE(cascaded.input_bands, 2);
  EXPECT_GE(cascaded.cascaded_ops, 3);
  std::printf("[cascade] mobilenet-v2-like on pcie: %llu cycles loaded whole, %llu in %d bands (%d ops cascaded)\n",
              static_cast<unsigned long long>(whole.estimated), static_cast<unsigned long long>(cascaded.estimated),
              cascaded.input_bands, cascaded.cascaded_ops);
  EXPECT_LT(cascaded.estimated, whole.estimated);
  EXPECT_EQ(cascaded.cycles, cascaded.estimated);
  EXPECT_EQ(whole.cycles, whole.estimated);
  EXPECT_EQ(cpu->data, b->data);
  EXPECT_EQ(cpu->data, a->data);
  // The program: several input LOADs signal compute, and array work (MATMUL
  // or VMACC_WIDE) of a layer after the first runs before the last band's wait.
  const exe::Executable* e = exe::GetExecutable(cascaded.last_exe.data());
  int input_tokens = 0, waits = 0, gemm_before_last_wait = 0, gemm = 0, dw_before_last_wait = 0;
  for (const auto* chunk : *e->chunks()) {
    if (chunk->kind() != exe::ChunkKind_INFERENCE) continue;
    std::vector<isa::InsnWord> w(chunk->instructions()->size() / sizeof(isa::InsnWord));
    std::memcpy(w.data(), chunk->instructions()->data(), w.size() * sizeof(isa::InsnWord));
    std::vector<isa::Instruction> insns;
    for (const isa::InsnWord& word : w) {
      StatusOr<isa::Instruction> i = isa::Decode(word);
      ASSERT_TRUE(i.ok());
      insns.push_back(*i);
    }
    for (const isa::Instruction& i : insns) {
      if (i.opcode() == isa::Opcode::kLoad && i.deps.push_next && i.as<isa::LoadArgs>().region == 1) ++input_tokens;
      if (i.unit() == isa::Unit::kCompute && i.deps.pop_prev) ++waits;
    }
    int seen = 0;
    for (const isa::Instruction& i : insns) {
      if (i.unit() == isa::Unit::kCompute && i.deps.pop_prev && ++seen == input_tokens) break;
      if (i.opcode() == isa::Opcode::kMatmul || i.opcode() == isa::Opcode::kVmaccWide) ++gemm_before_last_wait;
      if (i.opcode() == isa::Opcode::kVmaccWide) ++dw_before_last_wait;
    }
    for (const isa::Instruction& i : insns)
      if (i.opcode() == isa::Opcode::kMatmul || i.opcode() == isa::Opcode::kVmaccWide) ++gemm;
  }
  EXPECT_EQ(input_tokens, cascaded.input_bands);
  EXPECT_GE(waits, input_tokens);
  // Not only the stem (a CONV_2D): the depthwise layer after it too.
  EXPECT_GT(dw_before_last_wait, 0);
  EXPECT_LT(gemm_before_last_wait, gemm);
  std::printf("[cascade] %d of %d MATMUL/VMACC_WIDE before the last input band's wait\n", gemm_before_last_wait, gemm);
}

// UINT8 weights take one pass on the 9-bit weight path (ISA 5): every
// LOAD_WEIGHTS, PRELOAD_WEIGHTS (shadow weights) and VMACC_WIDE of
// MobileNetV1 0.25 (asymmetric UINT8 weights) has u8 = 1 with a weight zero
// point of the model's, and no accumulation group reads the same activations
// twice (UINT8 weights split into int8 parts would: one MATMUL per part).
TEST(Compiler, Uint8WeightsTakeOnePass) {
  const std::string path = ModelPath("mobilenet_v1_0.25_128_quant.tflite");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path;
  StatusOr<std::unique_ptr<Model>> model = Model::FromFile(path);
  ASSERT_TRUE(model.ok());
  BuiltinOpResolver resolver(TfliteFlavor::kRuy);
  StatusOr<std::unique_ptr<Interpreter>> interp = Interpreter::Create(**model, resolver);
  ASSERT_TRUE(interp.ok());
  ASSERT_TRUE((*interp)->AllocateTensors().ok());
  std::vector<uint32_t> zps;  // the weight zero points of the model's convolutions
  for (int n : (*interp)->execution_plan()) {
    const TfLiteNode& node = (*interp)->node(n);
    const int32_t code = (*interp)->registration(n).builtin_code;
    if (code == tflite::BuiltinOperator_CONV_2D || code == tflite::BuiltinOperator_DEPTHWISE_CONV_2D)
      zps.push_back(static_cast<uint32_t>((*interp)->context()->tensors[node.inputs->data[1]].params.zero_point));
  }
  ASSERT_FALSE(zps.empty());
  CompileOptions opts;
  opts.flavor = TfliteFlavor::kRuy;
  StatusOr<CompiledPartition> c = CompileWholeModel(path, opts);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  StatusOr<std::vector<isa::Instruction>> insns = ChunkInstructions(c->executable);
  ASSERT_TRUE(insns.ok()) << insns.status().ToString();
  int load_weights = 0, preloads = 0, takes = 0, matmuls = 0, vmacc = 0;
  std::set<uint32_t> group;  // a_addr of the MATMULs accumulating into the current ACC rows
  auto known_zp = [&](uint32_t zp) { return std::find(zps.begin(), zps.end(), zp) != zps.end(); };
  for (const isa::Instruction& insn : *insns) {
    if (insn.opcode() == isa::Opcode::kLoadWeights) {
      const auto& a = insn.as<isa::LoadWeightsArgs>();
      EXPECT_TRUE(a.u8);
      EXPECT_TRUE(known_zp(a.w_zp)) << a.w_zp;
      ++load_weights;
    }
    if (insn.opcode() == isa::Opcode::kPreloadWeights) {
      const auto& a = insn.as<isa::PreloadWeightsArgs>();
      EXPECT_TRUE(a.u8);
      EXPECT_TRUE(known_zp(a.w_zp)) << a.w_zp;
      ++preloads;
    }
    if (insn.opcode() == isa::Opcode::kMatmul) {
      const auto& a = insn.as<isa::MatmulArgs>();
      ++matmuls;
      if (a.take_shadow) ++takes;
      if (!a.accumulate) group.clear();
      EXPECT_TRUE(group.insert(a.a_addr).second) << "a second pass over ABUF " << a.a_addr;
    }
    if (insn.opcode() == isa::Opcode::kVmaccWide) {
      const auto& a = insn.as<isa::VmaccWideArgs>();
      EXPECT_TRUE(a.u8);
      EXPECT_TRUE(known_zp(a.w_zp)) << a.w_zp;
      ++vmacc;
    }
  }
  EXPECT_GT(load_weights, 0);
  EXPECT_GT(vmacc, 0);
  EXPECT_GT(preloads, 0);
  EXPECT_EQ(preloads, takes);
  EXPECT_GT(matmuls, 0);
}

// UINT8 average pooling: (sum + n/2) / n by one single-rounding multiply,
// exact for every window size up to 32x32 (the search checks every sum).
TEST(Compiler, RoundingDivisorIsExact) {
  for (int n = 1; n <= 1024; n = n < 64 ? n + 1 : n * 2 - 1) {
    int32_t m = 0;
    int sh = 0;
    ASSERT_TRUE(FindRoundingDivisor(n, 255 * int64_t{n}, &m, &sh)) << "n = " << n;
    for (int64_t x = 0; x <= 255 * int64_t{n}; x += 7)
      ASSERT_EQ(MultiplyByQuantizedMultiplierSingleRound(static_cast<int32_t>(x), m, sh), (x + n / 2) / n)
          << "n = " << n << ", sum = " << x;
  }
}

// NCHW -> NHWC of a tensor produced on the device: a round trip through host
// memory (STORE, then strided LOADs), bit-exact with the CPU.
TEST(Compiler, TransposeRoundTripThroughHost) {
  using namespace systole::testing;
  ModelBuilder b;
  const auto q = Quant::PerTensor(0.05f, -3);
  const int x = b.AddTensor("x", tflite::TensorType_INT8, {1, 3, 9, 7}, q);
  const int r = b.AddTensor("r", tflite::TensorType_INT8, {1, 3, 9, 7}, q);
  const int perm = b.AddConstInt32("perm", {0, 2, 3, 1});
  const int y = b.AddTensor("y", tflite::TensorType_INT8, {1, 9, 7, 3}, q);
  b.AddOperator(tflite::BuiltinOperator_RELU, 1, {x}, {r});
  b.AddOperator(tflite::BuiltinOperator_TRANSPOSE, 2, {r, perm}, {y});
  b.SetInputs({x});
  b.SetOutputs({y});
  ASSERT_TRUE(b.ok()) << b.error();
  const std::string path = systole::testing::TempPath("transpose_roundtrip.tflite");
  ASSERT_TRUE(b.FinishToFile(path));
  StatusOr<sim::DeviceConfig> hw = sim::DeviceConfig::FromName("tiny");
  ASSERT_TRUE(hw.ok());
  TestDelegate d;
  ASSERT_TRUE(UseSimulator(&d, *hw).ok());
  StatusOr<Outputs> cpu = RunModel(path, 7, nullptr);
  StatusOr<Outputs> acc = RunModel(path, 7, &d);
  ASSERT_TRUE(cpu.ok() && acc.ok()) << d.error;
  EXPECT_EQ(d.ops_on_device, 2);
  EXPECT_GT(d.scratch, 0u);
  EXPECT_EQ(cpu->data, acc->data);
}

// Activation tiling (docs/tiling.md): a chain of convolutions whose tensors
// do not fit ABUF — SAME and VALID padding, stride 2 on an even height (the
// odd padding row at the bottom), dilation 2 — and a residual ADD, compiled
// for shrinking activation buffers: row bands, cascades while they fit, then
// one op per group; bit-exact with the CPU on the SystemC device, the peak
// ABUF within the configured size, host traffic reported.
TEST(Compiler, TiledActivationsMatchCpu) {
  using namespace systole::testing;
  ModelBuilder b;
  const auto i8 = tflite::TensorType_INT8;
  uint32_t seed = 11;
  auto act = [&](const std::string& name, std::vector<int32_t> shape, float scale, int zp) {
    return b.AddTensor(name, i8, shape, Quant::PerTensor(scale, zp));
  };
  auto conv = [&](int in, float in_scale, int cin, std::vector<int32_t> out_shape, int k, int stride, int dil,
                  tflite::Padding pad, bool depthwise, const std::string& name) {
    const int cout = out_shape[3];
    const float ws = 0.02f;
    const std::vector<int32_t> wshape = depthwise ? std::vector<int32_t>{1, k, k, cout}
                                                  : std::vector<int32_t>{cout, k, k, cin};
    size_t n = 1;
    for (int d : wshape) n *= static_cast<size_t>(d);
    const int w = b.AddConstTensor(name + "/w", i8, wshape, RandomInt8Data(n, seed++, -100, 100),
                                   Quant::PerTensor(ws, 0));
    const int bias = b.AddConstTensor(name + "/b", tflite::TensorType_INT32, {cout},
                                      RandomInt32Data(cout, seed++, -2000, 2000), Quant::PerTensor(in_scale * ws, 0));
    const int out = act(name, out_shape, 0.1f, -5);
    if (depthwise) {
      DepthwiseConv2DOptions o;
      o.padding = pad, o.stride_h = o.stride_w = stride, o.dilation_h = o.dilation_w = dil;
      o.activation = tflite::ActivationFunctionType_RELU6;
      b.AddOperator(tflite::BuiltinOperator_DEPTHWISE_CONV_2D, 2, {in, w, bias}, {out}, o);
    } else {
      Conv2DOptions o;
      o.padding = pad, o.stride_h = o.stride_w = stride, o.dilation_h = o.dilation_w = dil;
      b.AddOperator(tflite::BuiltinOperator_CONV_2D, 3, {in, w, bias}, {out}, o);
    }
    return out;
  };
  const int x = act("x", {1, 46, 23, 8}, 0.05f, 3);
  const int a = conv(x, 0.05f, 8, {1, 23, 12, 16}, 3, 2, 1, tflite::Padding_SAME, false, "a");   // even H, stride 2
  const int c = conv(a, 0.1f, 16, {1, 23, 12, 16}, 3, 1, 2, tflite::Padding_SAME, true, "c");    // dilation 2
  const int d = conv(c, 0.1f, 16, {1, 23, 12, 16}, 1, 1, 1, tflite::Padding_SAME, false, "d");
  const int e = act("e", {1, 23, 12, 16}, 0.15f, 1);
  b.AddOperator(tflite::BuiltinOperator_ADD, 2, {a, d}, {e}, ArithmeticOptions{});
  const int f = conv(e, 0.15f, 16, {1, 21, 10, 16}, 3, 1, 1, tflite::Padding_VALID, true, "f");  // VALID
  b.SetInputs({x});
  b.SetOutputs({f});
  ASSERT_TRUE(b.ok()) << b.error();
  const std::string path = systole::testing::TempPath("tiled_chain.tflite");
  ASSERT_TRUE(b.FinishToFile(path));
  StatusOr<Outputs> cpu = RunModel(path, 5, nullptr);
  ASSERT_TRUE(cpu.ok()) << cpu.status().ToString();
  for (const char* config : {"edge", "tiny"}) {
    int last_cascades = 0;
    for (uint32_t abuf : {12u << 10, 6u << 10, 3u << 10}) {
      StatusOr<sim::DeviceConfig> hw = sim::DeviceConfig::FromName(config);
      ASSERT_TRUE(hw.ok());
      hw->abuf_bytes = abuf;
      TestDelegate t;
      ASSERT_TRUE(UseSimulator(&t, *hw).ok());
      StatusOr<Outputs> acc = RunModel(path, 5, &t);
      ASSERT_TRUE(acc.ok()) << acc.status().ToString() << " / " << t.error;
      EXPECT_TRUE(t.error.empty()) << t.error;
      const std::string where = StrFormat("%s, ABUF %u", config, abuf);
      EXPECT_EQ(t.ops_on_device, 5) << where;
      EXPECT_EQ(t.partitions, 1) << where;
      EXPECT_EQ(t.tiled, 1) << where;
      EXPECT_LE(t.abuf_peak, abuf) << where;
      EXPECT_GT(t.host_traffic, 0u) << where;
      EXPECT_EQ(cpu->data, acc->data) << where;
      // Smaller buffers cascade fewer ops: more groups.
      EXPECT_GE(t.cascades, last_cascades) << where;
      last_cascades = t.cascades;
      if (abuf == (12u << 10)) {
        EXPECT_LT(t.cascades, 5) << where << ": no cascade";
      }
      if (abuf == (3u << 10)) {
        EXPECT_EQ(t.cascades, 5) << where << ": every op its own group";
      }
      std::printf("[tiled] %s: %d cascades, ABUF peak %llu, host traffic %llu, %llu cycles\n", where.c_str(),
                  t.cascades, static_cast<unsigned long long>(t.abuf_peak),
                  static_cast<unsigned long long>(t.host_traffic), static_cast<unsigned long long>(t.cycles));
    }
  }
}

// A model of one 1x1 CONV_2D (VALID, int8, random weights and bias from
// `seed`) at h x w, Cin -> Cout, written to a temporary file: its path.
std::string OneByOneConvModel(const std::string& name, int cin, int cout, int h, int w, uint32_t seed) {
  using namespace systole::testing;
  ModelBuilder b;
  const auto i8 = tflite::TensorType_INT8;
  const int x = b.AddTensor("x", i8, {1, h, w, cin}, Quant::PerTensor(0.05f, 3));
  const int wt = b.AddConstTensor("w", i8, {cout, 1, 1, cin}, RandomInt8Data(size_t(cout) * cin, seed, -100, 100),
                                  Quant::PerTensor(0.02f, 0));
  const int bias = b.AddConstTensor("b", tflite::TensorType_INT32, {cout}, RandomInt32Data(cout, seed + 1, -2000, 2000),
                                    Quant::PerTensor(0.05f * 0.02f, 0));
  const int y = b.AddTensor("y", i8, {1, h, w, cout}, Quant::PerTensor(0.1f, -5));
  Conv2DOptions o;
  o.padding = tflite::Padding_VALID;
  b.AddOperator(tflite::BuiltinOperator_CONV_2D, 3, {x, wt, bias}, {y}, o);
  b.SetInputs({x});
  b.SetOutputs({y});
  EXPECT_TRUE(b.ok()) << b.error();
  const std::string path = systole::testing::TempPath(name + ".tflite");
  EXPECT_TRUE(b.FinishToFile(path));
  return path;
}

// The model at `path` on the simulated edge device, all of it on the
// accelerator, gives the CPU interpreter's outputs (input seed `seed`); then
// compiled whole for edge (ruy flavor), the INFERENCE chunk's instructions.
std::vector<isa::Instruction> RunsOnEdgeAndCompiles(const std::string& path, uint32_t seed) {
  StatusOr<Outputs> cpu = RunModel(path, seed, nullptr);
  EXPECT_TRUE(cpu.ok()) << cpu.status().ToString();
  StatusOr<sim::DeviceConfig> hw = sim::DeviceConfig::FromName("edge");
  EXPECT_TRUE(hw.ok());
  if (!hw.ok()) return {};
  TestDelegate t;
  EXPECT_TRUE(UseSimulator(&t, *hw).ok());
  StatusOr<Outputs> acc = RunModel(path, seed, &t);
  EXPECT_TRUE(acc.ok()) << acc.status().ToString() << " / " << t.error;
  EXPECT_EQ(t.ops_on_device, 1);
  if (cpu.ok() && acc.ok()) {
    EXPECT_EQ(cpu->data, acc->data);
  }
  CompileOptions opts;
  opts.flavor = TfliteFlavor::kRuy;
  opts.hw = *hw;
  StatusOr<CompiledPartition> c = CompileWholeModel(path, opts);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  if (!c.ok()) return {};
  StatusOr<std::vector<isa::Instruction>> insns = ChunkInstructions(c->executable, exe::ChunkKind_INFERENCE);
  EXPECT_TRUE(insns.ok()) << insns.status().ToString();
  return insns.ok() ? *insns : std::vector<isa::Instruction>{};
}

// A 1x1 convolution with a narrow K and a wide output (Cin 16 -> Cout 96, as
// MobileNetV2's first expansion) packs 2 output pixels per accumulator row on
// the 64x64 array: K rows 2 x 16, 192 columns in 3 Cout tiles, half the rows
// (PackGemm). Unpacked it would stream every row through 2 Cout tiles with 16
// of the 64 rows used. Outputs equal the CPU interpreter's.
TEST(Compiler, NarrowKPacksPixelsAcrossCoutTiles) {
  const int cin = 16, cout = 96, h = 6, w = 10;
  const std::vector<isa::Instruction> insns =
      RunsOnEdgeAndCompiles(OneByOneConvModel("narrow_k_pack", cin, cout, h, w, 21), 4);
  ASSERT_FALSE(insns.empty());
  int matmuls = 0, rows = 0;
  for (const isa::Instruction& insn : insns) {
    if (insn.opcode() != isa::Opcode::kMatmul) continue;
    const auto& a = insn.as<isa::MatmulArgs>();
    EXPECT_EQ(a.k, 2u * cin) << "two pixels' 16 input channels in one vector";
    ++matmuls;
    rows += static_cast<int>(a.m);
  }
  EXPECT_EQ(matmuls, 3) << "one MATMUL per Cout tile of the 192 packed columns";
  EXPECT_EQ(rows, 3 * h * w / 2) << "half the pixels' rows through each of the 3 tiles (unpacked: 2 x 60)";
}

// A 1x1 convolution with a deep K and a narrow output (Cin 144 -> Cout 24, as
// MobileNetV2's 56x56 projection) packs 2 output pixels per accumulator row on
// the 64x64 array: their windows are 288 contiguous input bytes, cut into
// slices of 64, 64, 64, 64 and 32 rows of the block-diagonal 288 x 48 filter
// (PackGemm, deep K). Unpacked it would stream every pixel through 3 slices
// (64, 64, 16 rows) with 24 of the 64 columns used: 96 rows against 80.
// Outputs equal the CPU interpreter's.
TEST(Compiler, DeepKPacksPixels) {
  const int cin = 144, cout = 24, h = 4, w = 8;
  const std::vector<isa::Instruction> insns =
      RunsOnEdgeAndCompiles(OneByOneConvModel("deep_k_pack", cin, cout, h, w, 41), 6);
  ASSERT_FALSE(insns.empty());
  std::vector<uint32_t> ks;
  uint32_t rows = 0;
  for (const isa::Instruction& insn : insns) {
    if (insn.opcode() == isa::Opcode::kMatmul) {
      ks.push_back(insn.as<isa::MatmulArgs>().k);
      rows += insn.as<isa::MatmulArgs>().m;
    }
    if (insn.opcode() == isa::Opcode::kPostproc) {
      EXPECT_EQ(insn.as<isa::PostprocArgs>().n, 2u * cout);
    }
  }
  EXPECT_EQ(ks, (std::vector<uint32_t>{64, 64, 64, 64, 32})) << "the 2 x 144 bytes of two pixels in 5 slices";
  EXPECT_EQ(rows, 5u * h * w / 2) << "half the pixels' rows through 5 slices (unpacked: 3 x 32)";
}

// The GEMM's compute instructions of `insns` (LOAD_WEIGHTS, PRELOAD_WEIGHTS,
// MATMUL, POSTPROC) alone, in order.
std::vector<isa::Instruction> GemmInstructions(const std::vector<isa::Instruction>& insns) {
  std::vector<isa::Instruction> gemm;
  for (const isa::Instruction& insn : insns) {
    const isa::Opcode op = insn.opcode();
    if (op == isa::Opcode::kMatmul || op == isa::Opcode::kPostproc || op == isa::Opcode::kLoadWeights ||
        op == isa::Opcode::kPreloadWeights)
      gemm.push_back(insn);
  }
  return gemm;
}

// The cycles of `compute` accepted as early as the core's issue rules allow.
uint64_t TimelineCycles(const std::vector<isa::Instruction>& compute, const sim::CoreConfig& core) {
  uint64_t cycles = 0;
  for (uint64_t c : sim::ComputeTimeline(compute, core)) cycles += c;
  return cycles;
}

// A 1x1 convolution with one MATMUL per (row block, Cout tile) group: 32 -> 16
// at 48x48 packs 2 pixels per accumulator row (1,152 rows, 24 per output row),
// which one accumulator region (1,365 rows) would hold whole, and then its one
// POSTPROC (1,152 cycles) could only follow the one MATMUL. EmitGemm times
// smaller row blocks with the core's issue rules and takes the fastest: each
// block's POSTPROC runs beside the next block's MATMUL, so the compute stream
// takes little more than its MATMUL rows. Outputs equal the CPU interpreter's.
TEST(Compiler, RowBlocksHidePostprocBehindMatmuls) {
  const int cin = 32, cout = 16, h = 48, w = 48;
  const std::vector<isa::Instruction> insns =
      RunsOnEdgeAndCompiles(OneByOneConvModel("row_blocks", cin, cout, h, w, 31), 5);
  ASSERT_FALSE(insns.empty());
  StatusOr<sim::DeviceConfig> hw = sim::DeviceConfig::FromName("edge");
  ASSERT_TRUE(hw.ok());
  const std::vector<isa::Instruction> gemm = GemmInstructions(insns);
  uint64_t rows = 0;
  int postprocs = 0;
  for (const isa::Instruction& insn : gemm) {
    if (insn.opcode() == isa::Opcode::kMatmul) rows += insn.as<isa::MatmulArgs>().m;
    if (insn.opcode() == isa::Opcode::kPostproc) ++postprocs;
  }
  const uint64_t cycles = TimelineCycles(gemm, hw->core());
  EXPECT_EQ(rows, uint64_t{h} * w / 2) << "2 pixels per accumulator row, one Cout tile";
  EXPECT_GT(postprocs, 2);
  // Serial, it would be 2 x 1,152 rows plus the latencies; hidden, the
  // MATMUL rows plus one block's POSTPROC and the fill and drain.
  EXPECT_LT(cycles, rows + rows / 4 + 300) << postprocs << " POSTPROCs";
}

// A 1x1 convolution on a 7x7 map with a deep K (Cin 160 -> Cout 320, as
// MobileNetV2's last blocks): each (row block, Cout tile) group is 3 MATMULs
// of m = 49, and a group's sums are complete m + R + C - 1 + L = 177 cycles
// after its last MATMUL was accepted, more than two MATMUL issue intervals.
// Its POSTPROC must wait for them; placed right after the next group's first
// MATMUL (as before), it held up the MATMULs behind it for the difference
// in every group. EmitGemm places it after the MATMULs that span the drain,
// so the compute stream takes its MATMUL issue intervals plus one drain and
// one POSTPROC. Outputs equal the CPU interpreter's.
TEST(Compiler, PostprocWaitsBehindMatmulsForItsSums) {
  const int cin = 160, cout = 320, h = 7, w = 7;
  const std::vector<isa::Instruction> insns =
      RunsOnEdgeAndCompiles(OneByOneConvModel("post_waits", cin, cout, h, w, 51), 7);
  ASSERT_FALSE(insns.empty());
  StatusOr<sim::DeviceConfig> hw = sim::DeviceConfig::FromName("edge");
  ASSERT_TRUE(hw.ok());
  const std::vector<isa::Instruction> gemm = GemmInstructions(insns);
  uint64_t issue = 0, last_drain = 0, last_post = 0;
  int postprocs = 0, matmuls = 0;
  for (const isa::Instruction& insn : gemm) {
    const isa::Opcode op = insn.opcode();
    if (op == isa::Opcode::kMatmul || op == isa::Opcode::kPreloadWeights || op == isa::Opcode::kLoadWeights)
      issue += sim::ComputeIssueCycles(insn, hw->core());
    if (op == isa::Opcode::kMatmul) {
      ++matmuls;
      last_drain = sim::ComputeCycles(insn, hw->core()) - sim::ComputeIssueCycles(insn, hw->core());
    }
    if (op == isa::Opcode::kPostproc) {
      ++postprocs;
      last_post = sim::ComputeCycles(insn, hw->core());
    }
  }
  const uint64_t cycles = TimelineCycles(gemm, hw->core());
  EXPECT_EQ(matmuls, 3 * 5) << "3 K slices (64, 64, 32) x 5 Cout tiles";
  EXPECT_EQ(postprocs, 5);
  // Right after the next group's first MATMUL: 1,384 cycles against 1,188 (ISA 7).
  EXPECT_LE(cycles, issue + last_drain + last_post + 40) << "issue " << issue << ", drain " << last_drain;
}

// Compiling the same partition twice gives the same bytes.
TEST(Compiler, Deterministic) {
  const std::string path = ModelPath("pretrainedResnet_quant.tflite");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path;
  std::vector<std::vector<uint8_t>> out;
  for (int run = 0; run < 2; ++run) {
    StatusOr<std::unique_ptr<Model>> model = Model::FromFile(path);
    ASSERT_TRUE(model.ok());
    BuiltinOpResolver resolver(TfliteFlavor::kRuy);
    StatusOr<std::unique_ptr<Interpreter>> interp = Interpreter::Create(**model, resolver);
    ASSERT_TRUE(interp.ok());
    ASSERT_TRUE((*interp)->AllocateTensors().ok());
    CompileOptions opts;
    opts.flavor = TfliteFlavor::kRuy;
    PartitionSpec spec;
    TfLiteContext* ctx = (*interp)->context();
    for (int n : (*interp)->execution_plan())
      if (CheckOpSupport(ctx, n, opts).ok()) spec.nodes.push_back(n);
    // Every op of ResNet-8 is supported (its final SOFTMAX by the softmax unit).
    ASSERT_EQ(spec.nodes.size(), (*interp)->execution_plan().size());
    spec.inputs = {(*interp)->inputs()[0]};
    const TfLiteNode& last = (*interp)->node(spec.nodes.back());
    spec.outputs = {last.outputs->data[0]};
    StatusOr<CompiledPartition> c = CompilePartition(ctx, spec, opts);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_GT(c->report.macs, 0u);
    EXPECT_GT(c->report.estimated_cycles, 0u);
    out.push_back(c->executable);
  }
  EXPECT_EQ(out[0], out[1]);
}

// The support predicate names the op, its index and the rule.
TEST(Compiler, RefusalsNameOpIndexAndRule) {
  const std::string path = ModelPath("mobilenet_v2_quantized_1x3x224x224.tflite");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path;
  StatusOr<std::unique_ptr<Model>> model = Model::FromFile(path);
  ASSERT_TRUE(model.ok());
  BuiltinOpResolver resolver(TfliteFlavor::kRuy);
  StatusOr<std::unique_ptr<Interpreter>> interp = Interpreter::Create(**model, resolver);
  ASSERT_TRUE(interp.ok());
  ASSERT_TRUE((*interp)->AllocateTensors().ok());
  CompileOptions opts;
  opts.flavor = TfliteFlavor::kRuy;
  int refused = 0;
  for (int n : (*interp)->execution_plan()) refused += !CheckOpSupport((*interp)->context(), n, opts).ok();
  EXPECT_EQ(refused, 0);  // MobileNetV2 runs whole (TRANSPOSE by the input DMA, MEAN by VMACC)
  // On a device with a 4 KiB activation buffer, MobileNetV2's first CONV_2D
  // is refused with its index and the rule.
  {
    CompileOptions small = opts;
    small.hw.abuf_bytes = 4 << 10;
    int conv = -1;
    for (int n : (*interp)->execution_plan())
      if (conv < 0 && (*interp)->registration(n).builtin_code == tflite::BuiltinOperator_CONV_2D) conv = n;
    ASSERT_GE(conv, 0);
    const Status s = CheckOpSupport((*interp)->context(), conv, small);
    // (Its output may exceed ABUF, docs/tiling.md, but not one row band of it.)
    EXPECT_NE(s.ToString().find(StrFormat("CONV_2D (op %d): one output row in double-buffered row bands needs", conv)),
              std::string::npos)
        << s.ToString();
    EXPECT_NE(s.ToString().find("more than the 4096-byte activation buffer"), std::string::npos) << s.ToString();
  }
  // A device whose activation buffer is too small: a clear compile error.
  opts.hw.abuf_bytes = 64 << 10;
  PartitionSpec spec;
  spec.nodes = {1, 2};  // PAD, CONV_2D
  spec.inputs = {(*interp)->node(1).inputs->data[0]};
  spec.outputs = {(*interp)->node(2).outputs->data[0]};
  StatusOr<CompiledPartition> c = CompilePartition((*interp)->context(), spec, opts);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().ToString().find("activation buffer"), std::string::npos) << c.status().ToString();
}

INSTANTIATE_TEST_SUITE_P(SharedModels, ModelOnDevice,
                         ::testing::Combine(::testing::Values("hello_world_int8.tflite", "simple_add_model.tflite",
                                           "micro_speech_quantized.tflite", "kws_ref_model.tflite",
                                           "pretrainedResnet_quant.tflite", "vww_96_int8.tflite",
                                           "ad01_int8.tflite", "mobilenet_v1_0.25_128_quant.tflite",
                                           "mobilenet_v2_quantized_1x3x224x224.tflite"),
                                           ::testing::Values("edge", "tiny", "streamed", "spill", "pcie")),
                         [](const auto& info) {
                           const std::string& m = std::get<0>(info.param);
                           std::string n = m.substr(0, m.rfind('.')) + "_" + std::get<1>(info.param);
                           for (char& c : n)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

}  // namespace
}  // namespace systole::compiler
