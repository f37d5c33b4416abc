// libsystole_delegate.so as stock TFLite's external delegate loads it:
// dlopen(RTLD_NOW | RTLD_LOCAL), tflite_plugin_create_delegate with string
// options, the delegate applied through ModifyGraphWithDelegate. This binary
// links no Systole delegate, compiler, driver or simulator code: everything
// comes from the plugin. Outputs must be bit-exact with the CPU.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

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

std::string g_error;
void ReportError(const char* msg) { g_error = msg; }

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
  TfLiteDelegate* Create(std::vector<std::pair<std::string, std::string>> options) {
    std::vector<char*> keys, values;
    for (auto& [k, v] : options) {
      keys.push_back(k.data());
      values.push_back(v.data());
    }
    g_error.clear();
    return create(keys.data(), values.data(), keys.size(), ReportError);
  }
};

Plugin& ThePlugin() {
  static Plugin* p = new Plugin;  // never dlclose'd: SystemC keeps global state
  return *p;
}

// CONV_2D 3x3 (per-channel int8) -> ADD with the input of the conv's twin ->
// SOFTMAX (refused by the compiler) -> FULLY_CONNECTED.
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

std::vector<uint8_t> RunModel(const std::vector<uint8_t>& bytes, TfLiteDelegate* delegate,
                         int* delegate_nodes, TfliteFlavor flavor = TfliteFlavor::kRuy) {
  auto model = Model::FromBuffer(bytes, "small.tflite");
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  BuiltinOpResolver resolver(flavor);  // the host TFLite's kernels
  auto interp = Interpreter::Create(**model, resolver);
  EXPECT_TRUE(interp.ok()) << interp.status().ToString();
  if (delegate) {
    Status s = (*interp)->ModifyGraphWithDelegate(delegate);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  EXPECT_TRUE((*interp)->AllocateTensors().ok());
  EXPECT_TRUE(FillInputsFromSeed(interp->get(), 5).ok());
  Status s = (*interp)->Invoke();
  EXPECT_TRUE(s.ok()) << s.ToString();
  *delegate_nodes = 0;
  for (int n : (*interp)->execution_plan()) *delegate_nodes += (*interp)->node(n).delegate != nullptr;
  return GetOutputs(**interp);
}

TEST(Plugin, LoadsWithRtldNowAndExportsTheEntryPoints) {
  Plugin& p = ThePlugin();
  ASSERT_NE(p.handle, nullptr) << dlerror();
  ASSERT_NE(p.create, nullptr);
  ASSERT_NE(p.destroy, nullptr);
  // Internal symbols stay hidden.
  EXPECT_EQ(dlsym(p.handle, "SystoleDelegateCreate"), nullptr);
  EXPECT_EQ(dlsym(p.handle, "TfLiteIntArrayCreate"), nullptr);
}

TEST(Plugin, DelegatedRunIsBitExactWithTheCpu) {
  Plugin& p = ThePlugin();
  ASSERT_NE(p.handle, nullptr) << dlerror();
  const std::vector<uint8_t> model = SmallNet();
  // Each flavor: the host interpreter runs that TFLite build's kernels and the
  // plugin is told so with tflite_flavor.
  for (TfliteFlavor flavor : kAllTfliteFlavors) {
    SCOPED_TRACE(TfliteFlavorName(flavor));
    const std::string fname = TfliteFlavorName(flavor);
    int nodes = 0;
    const std::vector<uint8_t> cpu = RunModel(model, nullptr, &nodes, flavor);
    {
      TfLiteDelegate* d =
          p.Create({{"device", "sim"}, {"config", "edge"}, {"max_partitions", "4"}, {"tflite_flavor", fname}});
      ASSERT_NE(d, nullptr) << g_error;
      const std::vector<uint8_t> dlg = RunModel(model, d, &nodes, flavor);
      EXPECT_EQ(cpu, dlg);
      // The whole graph, SOFTMAX included (xnnpack: the nodes XNNPACK takes
      // stay on the CPU).
      if (flavor != TfliteFlavor::kXnnpack) EXPECT_EQ(nodes, 1);
      p.destroy(d);
    }
    if (flavor == TfliteFlavor::kXnnpack) continue;
    {  // With SOFTMAX denied: CONV_2D and ADD in two partitions around it.
      TfLiteDelegate* d =
          p.Create({{"device", "sim"}, {"config", "edge"}, {"deny", "SOFTMAX"}, {"tflite_flavor", fname}});
      ASSERT_NE(d, nullptr) << g_error;
      const std::vector<uint8_t> dlg = RunModel(model, d, &nodes, flavor);
      EXPECT_EQ(cpu, dlg);
      EXPECT_EQ(nodes, 2);
      p.destroy(d);
    }
  }
}

TEST(Plugin, BadFlavorIsReported) {
  Plugin& p = ThePlugin();
  ASSERT_NE(p.handle, nullptr) << dlerror();
  EXPECT_EQ(p.Create({{"tflite_flavor", "arm64"}}), nullptr);
  EXPECT_NE(g_error.find("tflite_flavor"), std::string::npos) << g_error;
  EXPECT_NE(g_error.find("'arm64' is not one of ruy, x86, xnnpack"), std::string::npos) << g_error;
}

TEST(Plugin, BadOptionsAreReported) {
  Plugin& p = ThePlugin();
  ASSERT_NE(p.handle, nullptr) << dlerror();
  EXPECT_EQ(p.Create({{"colour", "blue"}}), nullptr);
  EXPECT_NE(g_error.find("unknown option 'colour'"), std::string::npos) << g_error;
  EXPECT_EQ(p.Create({{"min_partition_ops", "zero"}}), nullptr);
  EXPECT_NE(g_error.find("min_partition_ops"), std::string::npos) << g_error;
  EXPECT_EQ(p.Create({{"device", "usb:0"}}), nullptr);
  EXPECT_NE(g_error.find("usb:0"), std::string::npos) << g_error;
  EXPECT_EQ(p.Create({{"config", "huge"}}), nullptr);
  EXPECT_NE(g_error.find("huge"), std::string::npos) << g_error;
  EXPECT_EQ(p.Create({{"deny", "SOFTMAX,NOPE"}}), nullptr);
  EXPECT_NE(g_error.find("NOPE"), std::string::npos) << g_error;
}

}  // namespace
}  // namespace testing
}  // namespace systole
