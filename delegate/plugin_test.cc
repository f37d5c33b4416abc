// libsystole_delegate.so as stock TensorFlow Lite 2.14 uses it: dlopen
// (RTLD_NOW | RTLD_LOCAL), tflite_plugin_create_delegate with string options
// and report_error = NULL, the delegate wrapped as TFLite's
// ExternalDelegateWrapper wraps it (flags copied at create time, Prepare
// relayed), applied through the interpreter's TFLite-faithful
// ModifyGraphWithDelegate. This binary links no Systole delegate, compiler,
// driver or simulator code: everything comes from the plugin; compiled models
// come from the `systole compile` tool. Outputs must be bit-exact with the CPU.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "common/test_temp.h"
#include "common/test_seed.h"
#include "interpreter/interpreter.h"
#include "interpreter/model.h"
#include "interpreter/op_resolver.h"
#include "interpreter/tensor_io.h"
#include "testing/model_builder.h"

namespace systole {
namespace testing {
namespace {

using CreateFn = TfLiteDelegate* (*)(char**, char**, size_t, void (*)(const char*));
using DestroyFn = void (*)(TfLiteDelegate*);
using Options = std::vector<std::pair<std::string, std::string>>;

std::string g_error;
int g_error_calls = 0;
void ReportError(const char* msg) {
  g_error = msg;
  g_error_calls++;
}

struct Plugin {
  void* handle = nullptr;
  CreateFn create = nullptr;
  DestroyFn destroy = nullptr;
  Plugin() {
    handle = dlopen(SYSTOLE_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
    if (!handle) return;
    create = reinterpret_cast<CreateFn>(dlsym(handle, "tflite_plugin_create_delegate"));
    destroy = reinterpret_cast<DestroyFn>(dlsym(handle, "tflite_plugin_destroy_delegate"));
  }
  TfLiteDelegate* Create(Options options, void (*report)(const char*) = ReportError) {
    std::vector<char*> keys, values;
    for (auto& [k, v] : options) {
      keys.push_back(k.data());
      values.push_back(v.data());
    }
    g_error.clear();
    g_error_calls = 0;
    return create(keys.data(), values.data(), keys.size(), report);
  }
};

Plugin& ThePlugin() {
  static Plugin* p = new Plugin;  // never dlclose'd: SystemC keeps global state
  return *p;
}

// TFLite 2.14's ExternalDelegateWrapper (delegates/external/external_delegate.cc),
// re-told: the plugin is created with report_error = NULL; the wrapper's
// flags are the plugin delegate's flags at create time; Prepare is relayed.
// `force_flags` >= 0 replaces the flags (a delegate without
// kTfLiteDelegateFlagsAllowDynamicTensors).
class ExternalDelegate {
 public:
  explicit ExternalDelegate(Options options, int64_t force_flags = -1) {
    plugin_ = ThePlugin().Create(std::move(options), nullptr);
    if (plugin_ == nullptr) return;  // stock TFLite would crash later
    wrapper_.data_ = this;
    wrapper_.Prepare = Relay;
    wrapper_.flags = force_flags >= 0 ? force_flags : plugin_->flags;
  }
  ~ExternalDelegate() {
    if (plugin_) ThePlugin().destroy(plugin_);
  }
  ExternalDelegate(const ExternalDelegate&) = delete;
  ExternalDelegate& operator=(const ExternalDelegate&) = delete;

  bool ok() const { return plugin_ != nullptr; }
  TfLiteDelegate* get() { return &wrapper_; }
  int prepare_calls() const { return prepare_calls_; }

 private:
  static TfLiteStatus Relay(TfLiteContext* ctx, TfLiteDelegate* d) {
    auto* self = static_cast<ExternalDelegate*>(d->data_);
    self->prepare_calls_++;
    return self->plugin_->Prepare(ctx, self->plugin_);
  }
  TfLiteDelegate wrapper_{};
  TfLiteDelegate* plugin_ = nullptr;
  int prepare_calls_ = 0;
};

// CONV_2D 3x3 (per-channel int8) -> SOFTMAX -> ADD(softmax, conv).
std::vector<uint8_t> SmallNet() {
  ModelBuilder b;
  const auto kI8 = tflite::TensorType_INT8;
  const int in = b.AddTensor("input", kI8, {1, 6, 6, 4}, Quant::PerTensor(0.05f, -3));
  std::vector<int8_t> w(8 * 3 * 3 * 4);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<int8_t>((i * 37 + 11) % 200 - 100);
  std::vector<float> ws(8);
  for (int i = 0; i < 8; ++i) ws[i] = 0.002f + 0.0005f * i;
  const int wt = b.AddConstTensor<int8_t>("w", kI8, {8, 3, 3, 4}, w,
                                          Quant::PerChannel(ws, std::vector<int64_t>(8, 0), 0));
  std::vector<int32_t> bias(8);
  std::vector<float> bs(8);
  for (int i = 0; i < 8; ++i) bias[i] = (i - 4) * 100, bs[i] = 0.05f * ws[i];
  const int bt = b.AddConstTensor<int32_t>("b", tflite::TensorType_INT32, {8}, bias,
                                           Quant::PerChannel(bs, std::vector<int64_t>(8, 0), 0));
  const int conv = b.AddTensor("conv", kI8, {1, 6, 6, 8}, Quant::PerTensor(0.08f, 2));
  Conv2DOptions co;
  co.padding = tflite::Padding_SAME;
  co.activation = tflite::ActivationFunctionType_RELU;
  b.AddOperator(tflite::BuiltinOperator_CONV_2D, 3, {in, wt, bt}, {conv}, co);
  const int sm = b.AddTensor("softmax", kI8, {1, 6, 6, 8}, Quant::PerTensor(1.0f / 256, -128));
  SoftmaxOptions so;
  so.beta = 1.0f;
  b.AddOperator(tflite::BuiltinOperator_SOFTMAX, 2, {conv}, {sm}, so);
  const int added = b.AddTensor("added", kI8, {1, 6, 6, 8}, Quant::PerTensor(0.06f, -1));
  b.AddOperator(tflite::BuiltinOperator_ADD, 2, {sm, conv}, {added});
  b.SetInputs({in});
  b.SetOutputs({added});
  std::vector<uint8_t> bytes = b.Finish();
  EXPECT_TRUE(b.ok()) << b.error();
  return bytes;
}

// A model and an interpreter on it with the plain builtin resolver: exactly
// what stock TFLite has, so SYSTOLE ops are unresolved custom ops. The
// resolver computes as the host's TFLite (the plugin's default flavor, and
// systole compile's) unless a test names another flavor.
struct Loaded {
  std::unique_ptr<Model> model;
  std::unique_ptr<BuiltinOpResolver> resolver;
  std::unique_ptr<Interpreter> interp;
};

void Load(const std::vector<uint8_t>& bytes, Loaded* l, TfliteFlavor flavor = HostTfliteFlavor()) {
  auto model = Model::FromBuffer(bytes, "model.tflite");
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  l->model = std::move(*model);
  l->resolver = std::make_unique<BuiltinOpResolver>(flavor);
  auto interp = Interpreter::Create(*l->model, *l->resolver);
  ASSERT_TRUE(interp.ok()) << interp.status().ToString();
  l->interp = std::move(*interp);
}

std::vector<uint8_t> AllocateAndRun(Interpreter* interp) {
  Status s = interp->AllocateTensors();
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!s.ok()) return {};
  EXPECT_TRUE(FillInputsFromSeed(interp, 5).ok());
  s = interp->Invoke();
  EXPECT_TRUE(s.ok()) << s.ToString();
  return GetOutputs(*interp);
}

std::vector<uint8_t> RunOnCpu(const std::vector<uint8_t>& bytes, TfliteFlavor flavor = HostTfliteFlavor()) {
  Loaded l;
  Load(bytes, &l, flavor);
  return l.interp ? AllocateAndRun(l.interp.get()) : std::vector<uint8_t>();
}

int DelegateNodes(const Interpreter& interp) {
  int n = 0;
  for (int i : interp.execution_plan()) n += interp.node(i).delegate != nullptr;
  return n;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<uint8_t> ReadBytes(const std::string& path) {
  const std::string s = ReadFile(path);
  return std::vector<uint8_t>(s.begin(), s.end());
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
}

// A private temporary folder for this test process (common/test_temp.h).
const std::string& TempDir() { return systole::testing::ProcessTempDir(); }

bool IsPrintableAscii(const std::string& s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c >= 0x7f) return false;
  }
  return true;
}

// ---- The plugin itself ----

TEST(Plugin, LoadsWithRtldNowAndExportsTheEntryPoints) {
  Plugin& p = ThePlugin();
  ASSERT_NE(p.handle, nullptr) << dlerror();
  ASSERT_NE(p.create, nullptr);
  ASSERT_NE(p.destroy, nullptr);
  // Internal symbols stay hidden.
  EXPECT_EQ(dlsym(p.handle, "SystoleDelegateCreate"), nullptr);
  EXPECT_EQ(dlsym(p.handle, "TfLiteIntArrayCreate"), nullptr);
}

// One self-contained file: a copy of the plugin alone in an empty directory
// loads with RTLD_NOW | RTLD_LOCAL into this host, which defines no sc_main
// (libsystemc.so's reference resolves to the plugin's own stub), and works.
TEST(Plugin, LoadsAloneFromAnEmptyDirectoryIntoAHostWithoutScMain) {
  EXPECT_EQ(dlsym(RTLD_DEFAULT, "sc_main"), nullptr) << "this host must not define sc_main";
  const std::string dir = TempDir() + "/alone";
  std::filesystem::create_directories(dir);
  const std::string copy = dir + "/libsystole_delegate.so";
  std::filesystem::copy_file(SYSTOLE_PLUGIN_PATH, copy, std::filesystem::copy_options::overwrite_existing);
  void* h = dlopen(copy.c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(h, nullptr) << dlerror();
  EXPECT_NE(dlsym(h, "sc_main"), nullptr);
  EXPECT_EQ(dlsym(RTLD_DEFAULT, "sc_main"), nullptr) << "RTLD_LOCAL: the stub stays out of the global scope";
  auto create = reinterpret_cast<CreateFn>(dlsym(h, "tflite_plugin_create_delegate"));
  auto destroy = reinterpret_cast<DestroyFn>(dlsym(h, "tflite_plugin_destroy_delegate"));
  ASSERT_NE(create, nullptr);
  ASSERT_NE(destroy, nullptr);
  // A bad device string: a failing delegate with the message, no crash.
  std::string k = "device", v = "usb:x";
  char* keys[] = {k.data()};
  char* values[] = {v.data()};
  g_error.clear();
  g_error_calls = 0;
  TfLiteDelegate* d = create(keys, values, 1, ReportError);
  ASSERT_NE(d, nullptr);
  EXPECT_NE(g_error.find("device 'usb:x': USB index 'x' is not a number"), std::string::npos) << g_error;
  destroy(d);
  // Not dlclose'd: the copy shares libsystemc.so with the other copy.
}

TEST(Plugin, DelegatedRunIsBitExactWithTheCpu) {
  ASSERT_NE(ThePlugin().handle, nullptr) << dlerror();
  const std::vector<uint8_t> model = SmallNet();
  // Each TFLite flavor: the host interpreter runs that build's kernels and the
  // plugin is told so with tflite_flavor.
  for (TfliteFlavor flavor : kAllTfliteFlavors) {
    const std::string fname = TfliteFlavorName(flavor);
    SCOPED_TRACE("tflite_flavor " + fname);
    const std::vector<uint8_t> cpu = RunOnCpu(model, flavor);
    ASSERT_FALSE(cpu.empty());
    {
      ExternalDelegate d({{"device", "sim"}, {"config", "edge"}, {"max_partitions", "4"}, {"tflite_flavor", fname}});
      ASSERT_TRUE(d.ok());
      Loaded l;
      ASSERT_NO_FATAL_FAILURE(Load(model, &l, flavor));
      Status s = l.interp->ModifyGraphWithDelegate(d.get());
      ASSERT_TRUE(s.ok()) << s.ToString();
      EXPECT_EQ(AllocateAndRun(l.interp.get()), cpu);
      // The whole graph, SOFTMAX included; in xnnpack the nodes XNNPACK
      // takes stay on the CPU (docs/flavors.md).
      if (flavor != TfliteFlavor::kXnnpack) EXPECT_EQ(DelegateNodes(*l.interp), 1);
    }
    if (flavor == TfliteFlavor::kXnnpack) continue;
    {  // With SOFTMAX denied: CONV_2D and ADD in two partitions around it.
      ExternalDelegate d({{"device", "sim"}, {"config", "edge"}, {"deny", "SOFTMAX"}, {"tflite_flavor", fname}});
      ASSERT_TRUE(d.ok());
      Loaded l;
      ASSERT_NO_FATAL_FAILURE(Load(model, &l, flavor));
      Status s = l.interp->ModifyGraphWithDelegate(d.get());
      ASSERT_TRUE(s.ok()) << s.ToString();
      EXPECT_EQ(AllocateAndRun(l.interp.get()), cpu);
      EXPECT_EQ(DelegateNodes(*l.interp), 2);
    }
  }
}

// The plugin's delegate with its flag cleared, on a plain model: TFLite's
// static-delegate path (pre-prepare, re-allocate, freeze). After
// ResizeInputTensor TFLite undoes the delegate and AllocateTensors applies it
// again with the propagated shapes: the partition is compiled for them.
TEST(Plugin, WithoutTheFlagAPlainModelIsFrozenAndReDelegatedAfterAResize) {
  ASSERT_NE(ThePlugin().handle, nullptr) << dlerror();
  const std::vector<uint8_t> model = SmallNet();
  std::vector<uint8_t> cpu_resized;
  {
    Loaded l;
    ASSERT_NO_FATAL_FAILURE(Load(model, &l));
    ASSERT_TRUE(l.interp->ResizeInputTensor(l.interp->inputs()[0], {1, 8, 8, 4}).ok());
    cpu_resized = AllocateAndRun(l.interp.get());
    ASSERT_EQ(cpu_resized.size(), 8u * 8 * 8);
  }
  const std::vector<uint8_t> cpu = RunOnCpu(model);
  ExternalDelegate d(Options{{"device", "sim"}}, kTfLiteDelegateFlagsNone);
  ASSERT_TRUE(d.ok());
  Loaded l;
  ASSERT_NO_FATAL_FAILURE(Load(model, &l));
  Status s = l.interp->ModifyGraphWithDelegate(d.get());
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(l.interp->state(), Interpreter::kStateInvokableAndImmutable);
  EXPECT_EQ(DelegateNodes(*l.interp), 1);
  ASSERT_TRUE(FillInputsFromSeed(l.interp.get(), 5).ok());
  ASSERT_TRUE(l.interp->Invoke().ok());  // allocated by ModifyGraphWithDelegate
  EXPECT_EQ(GetOutputs(*l.interp), cpu);
  ASSERT_TRUE(l.interp->ResizeInputTensor(l.interp->inputs()[0], {1, 8, 8, 4}).ok());
  EXPECT_EQ(DelegateNodes(*l.interp), 0);  // undone
  EXPECT_EQ(AllocateAndRun(l.interp.get()), cpu_resized);
  EXPECT_EQ(d.prepare_calls(), 2);
  EXPECT_EQ(DelegateNodes(*l.interp), 1);
  EXPECT_EQ(l.interp->state(), Interpreter::kStateInvokableAndImmutable);
}

// One failure at create time and what the message must say.
struct CreateFailure {
  Options options;
  std::string message;  // expected in every place the message goes
};

std::vector<CreateFailure> CreateFailures() {
  const std::string dir = TempDir();
  WriteFile(dir + "/bad.json", "{\"rows\": 16, ");  // does not parse
  // A configuration no sim:rtl device can have: 12x12 was never Verilated
  // (and builds without RTL have no sim:rtl at all).
  WriteFile(dir + "/array12.json", "{\"rows\": 12, \"cols\": 12}");
  return {
      {{{"devcie", "sim"}},
       "systole delegate: unknown option 'devcie' (expected device, config, allow, deny, "
       "min_partition_ops, max_partitions, verbosity"},  // keys added later come after
      // Device strings: malformed ones name the problem and list the forms;
      // valid ones for absent devices name the device.
      {{{"device", "usb:x"}},
       "device 'usb:x': USB index 'x' is not a number in 0..255; valid devices: sim, sim:rtl, "
       "remote:unix:PATH, remote:tcp:HOST:PORT, usb, usb:N, pci, pci:N, pci:DDDD:BB:DD.F, pci:unix:PATH"},
      {{{"device", "tpu:0"}}, "device 'tpu:0': unknown device kind 'tpu'; valid devices: sim,"},
      {{{"device", "remote:tcp:localhost:99999"}}, "device 'remote:tcp:localhost:99999': port '99999' is not"},
      {{{"device", "pci:0000:03:00"}}, "device 'pci:0000:03:00': '0000:03:00' is neither an index"},
      {{{"device", ""}}, "device '': empty device string"},
      {{{"device", "usb:9"}}, "device 'usb:9'"},
      {{{"device", "pci:unix:/nonexistent/systole-bar.sock"}}, "device 'pci:unix:/nonexistent/systole-bar.sock'"},
      {{{"device", "remote:unix:/nonexistent/systole.sock"}, {"timeout_ms", "500"}},
       "device 'remote:unix:/nonexistent/systole.sock'"},
      {{{"timeout_ms", "0"}}, "option timeout_ms: '0' is not an integer in 1..86400000"},
      {{{"device", "sim:rtl"}, {"config", dir + "/array12.json"}}, "device 'sim:rtl'"},
      {{{"config", dir + "/missing.json"}}, "missing.json': not a preset (edge, tiny) and no such file"},
      {{{"config", dir + "/bad.json"}}, "bad.json: not valid JSON"},
      {{{"allow", "CONV_2D,NOPE"}}, "option allow: unknown operator 'NOPE'"},
      {{{"deny", "SOFTMAX,NOPE"}}, "option deny: unknown operator 'NOPE'"},
      {{{"min_partition_ops", "0"}}, "option min_partition_ops: '0' is not an integer >= 1"},
      {{{"min_partition_ops", "zero"}}, "option min_partition_ops: 'zero' is not an integer >= 1"},
      {{{"max_partitions", "-1"}}, "option max_partitions: '-1' is not an integer >= 0"},
      {{{"max_partitions", "99999999999999999999"}},
       "option max_partitions: '99999999999999999999' is not an integer >= 0"},
      {{{"verbosity", "3"}}, "option verbosity: '3' is not 0, 1 or 2"},
      {{{"verbosity", ""}}, "option verbosity: '' is not 0, 1 or 2"},
      {{{"tflite_flavor", "arm64"}}, "option tflite_flavor: TFLite flavor 'arm64' is not one of ruy, x86, xnnpack"},
      {{{"device", "sim"}, {"device", "sim"}}, "option device given twice"},
      {{{"", "sim"}}, "unknown option ''"},
      {{{"device", "\xc3\xa9\x01sim"}}, "device '\\xc3\\xa9\\x01sim'"},
      // Long values are shortened; the message stays below 1000 bytes even
      // when every byte is escaped.
      {{{"deny", std::string(3000, '\xff')}}, "option deny: unknown operator '\\xff\\xff"},
      {{{"config", std::string(5000, 'c')}}, "hardware config 'cccc"},
  };
}

// The scenario: benchmark_model --external_delegate_options='devcie:sim'.
// The plugin returns a delegate (never NULL), the message goes to stderr
// (report_error is NULL), and applying it fails cleanly with the message.
TEST(Plugin, EveryCreateFailureGivesAFailingDelegateThatTfLiteReports) {
  ASSERT_NE(ThePlugin().handle, nullptr) << dlerror();
  const std::vector<uint8_t> model = SmallNet();
  const std::vector<uint8_t> cpu = RunOnCpu(model);
  for (const CreateFailure& f : CreateFailures()) {
    SCOPED_TRACE(f.message);
    ::testing::internal::CaptureStderr();
    ExternalDelegate d(f.options);
    const std::string err = ::testing::internal::GetCapturedStderr();
    ASSERT_TRUE(d.ok()) << "the plugin returned NULL: stock TFLite would crash";
    EXPECT_NE(err.find(f.message), std::string::npos) << err;
    Loaded l;
    ASSERT_NO_FATAL_FAILURE(Load(model, &l));
    const std::vector<int> plan = l.interp->execution_plan();
    Status s = l.interp->ModifyGraphWithDelegate(d.get());
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(d.prepare_calls(), 1);
    // As TFLite: the failed delegate is removed, the original plan restored.
    EXPECT_EQ(l.interp->last_delegate_status(), kTfLiteDelegateError);
    EXPECT_NE(s.message().find(f.message), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("Restored original execution plan after delegate application failure."),
              std::string::npos)
        << s.message();
    EXPECT_EQ(l.interp->execution_plan(), plan);
    EXPECT_TRUE(l.interp->delegates_applied().empty());
    // The application can go on without the delegate.
    EXPECT_EQ(AllocateAndRun(l.interp.get()), cpu);
  }
}

TEST(Plugin, TheMessageGoesToReportErrorWhenTheHostPassesOne) {
  Plugin& p = ThePlugin();
  ASSERT_NE(p.handle, nullptr) << dlerror();
  for (const CreateFailure& f : CreateFailures()) {
    SCOPED_TRACE(f.message);
    ::testing::internal::CaptureStderr();
    TfLiteDelegate* d = p.Create(f.options, ReportError);
    const std::string err = ::testing::internal::GetCapturedStderr();
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(g_error_calls, 1);
    EXPECT_NE(g_error.find(f.message), std::string::npos) << g_error;
    EXPECT_LT(g_error.size(), 1000u);
    EXPECT_TRUE(IsPrintableAscii(g_error)) << g_error;
    EXPECT_EQ(err.find("systole delegate"), std::string::npos) << "also on stderr: " << err;
    p.destroy(d);
  }
}

TEST(Plugin, DestroyAcceptsNullAndFailingDelegates) {
  Plugin& p = ThePlugin();
  ASSERT_NE(p.handle, nullptr) << dlerror();
  p.destroy(nullptr);
  TfLiteDelegate* d = p.Create({{"colour", "blue"}});
  ASSERT_NE(d, nullptr);
  EXPECT_NE(g_error.find("unknown option 'colour'"), std::string::npos) << g_error;
  p.destroy(d);
}

// Random keys and values (empty, very long, non-ASCII, near-valid) through
// create, apply and destroy: never NULL, never a crash or a leak (the ASan
// build runs this with LeakSanitizer), every message printable and bounded.
// SYSTOLE_SEED=n replays with seed n.
TEST(Plugin, RandomOptionsNeverCrashAndAlwaysExplain) {
  Plugin& p = ThePlugin();
  ASSERT_NE(p.handle, nullptr) << dlerror();
  const uint32_t seed = TestSeed("Plugin.RandomOptionsNeverCrashAndAlwaysExplain", 20261203u);
  std::mt19937 rng(seed);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  auto random_bytes = [&](size_t max_len) {
    std::string s(pick(max_len + 1), '\0');
    for (char& c : s) c = static_cast<char>(1 + pick(255));  // no NUL: C strings
    return s;
  };
  const std::vector<std::string> keys = {"device", "config", "allow", "deny", "min_partition_ops",
                                         "max_partitions", "verbosity", "Device", "device ", ""};
  const std::vector<std::string> values = {
      "", "sim", "sim:rtl", "usb", "edge", "tiny", "0", "1", "2", "-1", "3", "2147483648",
      "99999999999999999999", " 1", "1x", "CONV_2D", "conv_2d, add", "SOFTMAX,,", "NOPE",
      "/nonexistent/cfg.json", "/", std::string(10000, 'A'), "\xff\xfe", "\xe2\x82\xac"};
  const std::vector<uint8_t> model = SmallNet();
  int failing = 0, working = 0;
  for (int c = 0; c < 300; ++c) {
    Options opts;
    const size_t n = pick(5);
    for (size_t i = 0; i < n; ++i) {
      std::string k = pick(4) == 0 ? random_bytes(40) : keys[pick(keys.size())];
      std::string v = pick(3) == 0 ? random_bytes(pick(8) == 0 ? 5000 : 30) : values[pick(values.size())];
      opts.emplace_back(k, v);
    }
    // Mostly failing cases: a working delegate opens a SystemC device.
    if (pick(4) != 0) opts.emplace_back("devcie", random_bytes(10));
    SCOPED_TRACE("case " + std::to_string(c));
    TfLiteDelegate* d = p.Create(opts, ReportError);
    ASSERT_NE(d, nullptr);
    EXPECT_LE(g_error_calls, 1);
    if (g_error_calls == 1) {
      failing++;
      EXPECT_EQ(g_error.rfind("systole delegate: ", 0), 0u) << g_error;
      EXPECT_TRUE(IsPrintableAscii(g_error)) << g_error;
      EXPECT_LT(g_error.size(), 1100u);
    } else {
      working++;
    }
    Loaded l;
    ASSERT_NO_FATAL_FAILURE(Load(model, &l));
    Status s = l.interp->ModifyGraphWithDelegate(d);
    EXPECT_EQ(s.ok(), g_error_calls == 0) << s.ToString();
    if (!s.ok()) {
      EXPECT_NE(s.message().find(g_error), std::string::npos) << s.message();
    }
    l.interp.reset();
    p.destroy(d);
  }
  std::printf("%d failing and %d working delegates\n", failing, working);
  EXPECT_GT(failing, 200);
}

// ---- Compiled models (`systole compile`), the Edge TPU workflow ----

std::string SharedModelsDir() {
  const char* env = std::getenv("SYSTOLE_SHARED_DIR");
  return std::string(env ? env : SYSTOLE_SHARED_DIR) + "/models";
}

// Runs `systole compile IN -o OUT ARGS`; "" on success, else its output.
std::string Compile(const std::string& in, const std::string& out, const std::string& args) {
  const std::string log = out + ".log";
  const std::string cmd = std::string("'") + SYSTOLE_TOOL_PATH + "' compile '" + in + "' -o '" + out +
                          "' " + args + " > '" + log + "' 2>&1";
  if (std::system(cmd.c_str()) != 0) return "failed: " + cmd + "\n" + ReadFile(log);
  return "";
}

struct CompiledCase {
  std::string name;
  std::vector<uint8_t> plain, compiled;
};

// SmallNet with SOFTMAX left on the CPU (SYSTOLE, SOFTMAX, SYSTOLE), and
// shared models compiled whole (one SYSTOLE op).
std::vector<CompiledCase> CompiledCases() {
  std::vector<CompiledCase> cases;
  const std::string dir = TempDir();
  {
    const std::vector<uint8_t> plain = SmallNet();
    WriteFile(dir + "/small.tflite", std::string(plain.begin(), plain.end()));
    const std::string err = Compile(dir + "/small.tflite", dir + "/small_systole.tflite", "--deny SOFTMAX");
    EXPECT_EQ(err, "");
    cases.push_back({"small_net_deny_softmax", plain, ReadBytes(dir + "/small_systole.tflite")});
  }
  for (const char* m : {"mobilenet_v1_0.25_128_quant", "kws_ref_model"}) {
    const std::string path = SharedModelsDir() + "/" + m + ".tflite";
    if (access(path.c_str(), R_OK) != 0) {
      std::printf("skipping %s: %s not found (SYSTOLE_SHARED_DIR)\n", m, path.c_str());
      continue;
    }
    const std::string out = dir + "/" + m + "_systole.tflite";
    EXPECT_EQ(Compile(path, out, ""), "");
    cases.push_back({m, ReadBytes(path), ReadBytes(out)});
  }
  return cases;
}

int CountNodesNamed(const Interpreter& interp, const std::string& name) {
  int n = 0;
  for (int i : interp.execution_plan()) n += interp.NodeName(i) == name;
  return n;
}

// The scenario: systole compile, then benchmark_model with the plugin.
// The SYSTOLE ops are unresolved custom ops (no registration, as in stock
// TFLite); the delegate's kTfLiteDelegateFlagsAllowDynamicTensors skips
// TFLite's pre-prepare, the delegate claims them, outputs equal the plain
// model's on the CPU.
TEST(PluginCompiled, RunsInStockTfLiteAndMatchesThePlainModel) {
  ASSERT_NE(ThePlugin().handle, nullptr) << dlerror();
  for (const CompiledCase& c : CompiledCases()) {
    SCOPED_TRACE(c.name);
    ASSERT_FALSE(c.compiled.empty());
    const std::vector<uint8_t> cpu = RunOnCpu(c.plain);
    ASSERT_FALSE(cpu.empty());
    const bool small = c.name == "small_net_deny_softmax";
    // The small net also with SOFTMAX denied at run time: then it stays on
    // the CPU between the two SYSTOLE ops.
    for (const Options& opts : {Options{{"device", "sim"}}, Options{{"deny", "SOFTMAX"}}}) {
      if (!small && opts[0].first == "deny") continue;
      SCOPED_TRACE(opts[0].first + ":" + opts[0].second);
      Loaded l;
      ASSERT_NO_FATAL_FAILURE(Load(c.compiled, &l));
      const int systole_ops = CountNodesNamed(*l.interp, "SYSTOLE");
      EXPECT_EQ(systole_ops, small ? 2 : 1);
      ExternalDelegate d(opts);
      ASSERT_TRUE(d.ok());
      Status s = l.interp->ModifyGraphWithDelegate(d.get());
      ASSERT_TRUE(s.ok()) << s.ToString();
      EXPECT_EQ(l.interp->last_delegate_status(), kTfLiteOk);
      // The flag path: nothing prepared or allocated yet.
      EXPECT_EQ(l.interp->state(), Interpreter::kStateUninvokable);
      EXPECT_EQ(CountNodesNamed(*l.interp, "SYSTOLE"), 0) << "an unclaimed SYSTOLE op";
      if (small) {  // the graphs docs/executable.md shows
        if (opts[0].first == "deny") {
          EXPECT_EQ(l.interp->execution_plan(), (std::vector<int>{3, 1, 4}));
          EXPECT_EQ(l.interp->NodeName(1), "SOFTMAX");
        } else {
          EXPECT_EQ(l.interp->execution_plan(), (std::vector<int>{3}));
        }
        EXPECT_EQ(l.interp->NodeName(3), "SystoleDelegate");
      }
      EXPECT_EQ(AllocateAndRun(l.interp.get()), cpu);
      EXPECT_EQ(l.interp->state(), Interpreter::kStateInvokable);
    }
  }
}

// What stock TFLite does with a delegate that lacks the flag: STEP 1 of
// ModifyGraphWithDelegate prepares every node, the unresolved SYSTOLE op
// fails, and the delegate's Prepare is never called.
TEST(PluginCompiled, WithoutTheFlagThePrePrepareRejectsTheSystoleOp) {
  ASSERT_NE(ThePlugin().handle, nullptr) << dlerror();
  const std::vector<CompiledCase> cases = CompiledCases();
  ASSERT_FALSE(cases.empty());
  const CompiledCase& c = cases[0];
  Loaded l;
  ASSERT_NO_FATAL_FAILURE(Load(c.compiled, &l));
  ExternalDelegate d(Options{{"device", "sim"}}, kTfLiteDelegateFlagsNone);
  ASSERT_TRUE(d.ok());
  Status s = l.interp->ModifyGraphWithDelegate(d.get());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(l.interp->last_delegate_status(), kTfLiteError);
  EXPECT_EQ(d.prepare_calls(), 0);
  EXPECT_NE(s.message().find("Encountered unresolved custom op: SYSTOLE."), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("Node number 0 (SYSTOLE) failed to prepare."), std::string::npos)
      << s.message();
}

// A mistyped option on a compiled model: the plugin's message comes first
// (its failing delegate has the flag too), then TFLite's own errors from
// restoring a graph it cannot prepare: kTfLiteError.
TEST(PluginCompiled, AMistypedOptionIsReportedBeforeTheUnresolvedOp) {
  ASSERT_NE(ThePlugin().handle, nullptr) << dlerror();
  const std::vector<CompiledCase> cases = CompiledCases();
  ASSERT_FALSE(cases.empty());
  Loaded l;
  ASSERT_NO_FATAL_FAILURE(Load(cases[0].compiled, &l));
  ::testing::internal::CaptureStderr();
  ExternalDelegate d(Options{{"devcie", "sim"}});
  ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(d.ok());
  Status s = l.interp->ModifyGraphWithDelegate(d.get());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(l.interp->last_delegate_status(), kTfLiteError);
  const size_t ours = s.message().find("systole delegate: unknown option 'devcie'");
  const size_t theirs = s.message().find("Encountered unresolved custom op: SYSTOLE.");
  ASSERT_NE(ours, std::string::npos) << s.message();
  ASSERT_NE(theirs, std::string::npos) << s.message();
  EXPECT_LT(ours, theirs);
}

// The flag hands the delegate's kernels the shape contract: an input resized
// away from the compiled shape is a clear error at AllocateTensors.
TEST(PluginCompiled, ResizingAnInputAwayFromTheCompiledShapeIsAClearError) {
  ASSERT_NE(ThePlugin().handle, nullptr) << dlerror();
  const std::vector<CompiledCase> cases = CompiledCases();
  ASSERT_FALSE(cases.empty());
  const std::vector<uint8_t> cpu = RunOnCpu(cases[0].plain);
  Loaded l;
  ASSERT_NO_FATAL_FAILURE(Load(cases[0].compiled, &l));
  ExternalDelegate d(Options{{"device", "sim"}});
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(l.interp->ModifyGraphWithDelegate(d.get()).ok());
  EXPECT_EQ(AllocateAndRun(l.interp.get()), cpu);
  const int input = l.interp->inputs()[0];
  // The same shape: nothing to do, still invokable.
  ASSERT_TRUE(l.interp->ResizeInputTensor(input, {1, 6, 6, 4}).ok());
  EXPECT_EQ(l.interp->state(), Interpreter::kStateInvokable);
  ASSERT_TRUE(l.interp->ResizeInputTensor(input, {1, 8, 8, 4}).ok());
  Status s = l.interp->AllocateTensors();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("executable expects 'input' [1, 6, 6, 4]"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("is [1, 8, 8, 4]"), std::string::npos) << s.message();
  // Back to the compiled shape: runs again.
  ASSERT_TRUE(l.interp->ResizeInputTensor(input, {1, 6, 6, 4}).ok());
  EXPECT_EQ(AllocateAndRun(l.interp.get()), cpu);
}

}  // namespace
}  // namespace testing
}  // namespace systole
