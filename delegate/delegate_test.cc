// The Systole delegate with the real compiler and driver on the SystemC
// device ("sim", edge configuration): outputs bit-exact with the CPU
// interpreter, partitions and reasons, the compile cache, precompiled SYSTOLE
// ops (with and without the delegate), ahead-of-time compilation, bad options.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "delegate/compile_cache.h"
#include "delegate/compile_model.h"
#include "delegate/systole_delegate.h"
#include "interpreter/interpreter.h"
#include "interpreter/model.h"
#include "interpreter/op_resolver.h"
#include "interpreter/tensor_io.h"
#include "testing/model_builder.h"
#include "testing/test_models.h"

namespace systole {
namespace testing {
namespace {

using delegate::DelegateOptions;


struct RunOut {
  std::vector<uint8_t> outputs;
  std::vector<std::string> plan;  // node names in execution order
};

// Runs `bytes` (seed 7) on Systole's interpreter, with `delegate` when given
// and with the SYSTOLE custom op registered.
RunOut RunModel(const std::vector<uint8_t>& bytes, TfLiteDelegate* delegate) {
  RunOut r;
  auto model = Model::FromBuffer(bytes, "test.tflite");
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  if (!model.ok()) return r;
  BuiltinOpResolver resolver(TfliteFlavor::kRuy);
  resolver.AddCustom(compiler::kCustomOpName, *delegate::SystoleCustomOpRegistration());
  auto interp = Interpreter::Create(**model, resolver);
  EXPECT_TRUE(interp.ok()) << interp.status().ToString();
  if (!interp.ok()) return r;
  if (delegate) {
    Status s = (*interp)->ModifyGraphWithDelegate(delegate);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  Status s = (*interp)->AllocateTensors();
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(FillInputsFromSeed(interp->get(), 7).ok());
  s = (*interp)->Invoke();
  EXPECT_TRUE(s.ok()) << s.ToString();
  r.outputs = GetOutputs(**interp);
  for (int n : (*interp)->execution_plan()) r.plan.push_back((*interp)->NodeName(n));
  return r;
}

// The interpreter here runs the ruy kernels; the delegate must reproduce them.
DelegateOptions RuyOptions() {
  DelegateOptions o;
  o.tflite_flavor = TfliteFlavor::kRuy;
  return o;
}

delegate::TfLiteDelegatePtr MakeDelegate(const DelegateOptions& o) {
  auto d = delegate::CreateDelegate(o);
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return std::move(*d);
}

TEST(SystoleDelegate, WholeGraphInOnePartition) {
  const std::vector<uint8_t> model = DiamondModel();
  const RunOut cpu = RunModel(model, nullptr);
  auto d = MakeDelegate(RuyOptions());
  const RunOut dlg = RunModel(model, d.get());
  EXPECT_EQ(cpu.outputs, dlg.outputs);
  const delegate::PartitionPlan* plan = delegate::LastPlan(d.get());
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(plan->partitions.size(), 1u);
  EXPECT_EQ(plan->accelerator_ops, 4);
  EXPECT_EQ(plan->cpu_ops, 0);
  EXPECT_EQ(dlg.plan, (std::vector<std::string>{"SystoleDelegate"}));
  const delegate::DelegateCounters c = delegate::Counters(d.get());
  EXPECT_EQ(c.runs, 1u);
  EXPECT_GT(c.cycles, 0u);
}

TEST(SystoleDelegate, DeniedOpSplitsTheGraphAndResultsMatch) {
  const std::vector<uint8_t> model = DiamondModel();
  const RunOut cpu = RunModel(model, nullptr);
  DelegateOptions o;
  o.tflite_flavor = TfliteFlavor::kRuy;  // goldens from ../shared/oracle
  o.partition.deny = {"MUL"};
  auto d = MakeDelegate(o);
  const RunOut dlg = RunModel(model, d.get());
  EXPECT_EQ(cpu.outputs, dlg.outputs);
  const delegate::PartitionPlan* plan = delegate::LastPlan(d.get());
  ASSERT_EQ(plan->partitions.size(), 2u);
  EXPECT_EQ(plan->partitions[0].nodes, (std::vector<int>{0, 3}));
  EXPECT_EQ(plan->partitions[1].nodes, (std::vector<int>{2}));
  EXPECT_EQ(plan->ops[1].reason, "MUL (op 1): denied by --deny MUL");
  EXPECT_EQ(dlg.plan, (std::vector<std::string>{"SystoleDelegate", "MUL", "SystoleDelegate"}));
  EXPECT_EQ(delegate::Counters(d.get()).runs, 2u);
  EXPECT_NE(delegate::FormatPlan(*plan).find("MUL (op 1): denied by --deny MUL"), std::string::npos);
}

TEST(SystoleDelegate, CompileCacheServesTheSecondInterpreter) {
  delegate::ClearCompileCache();
  const std::vector<uint8_t> model = DiamondModel();
  auto d = MakeDelegate(RuyOptions());
  const RunOut first = RunModel(model, d.get());
  const delegate::CompileCacheStats s1 = delegate::GetCompileCacheStats();
  const RunOut second = RunModel(model, d.get());
  const delegate::CompileCacheStats s2 = delegate::GetCompileCacheStats();
  EXPECT_EQ(first.outputs, second.outputs);
  EXPECT_EQ(s2.misses, s1.misses);
  EXPECT_GT(s2.hits, s1.hits);
  EXPECT_EQ(s2.entries, 1u);
}

TEST(SystoleDelegate, AheadOfTimeModelRunsWithAndWithoutTheDelegate) {
  const std::vector<uint8_t> model = DiamondModel();
  const RunOut cpu = RunModel(model, nullptr);
  DelegateOptions o;
  o.tflite_flavor = TfliteFlavor::kRuy;  // goldens from ../shared/oracle
  o.partition.deny = {"MUL"};
  auto compiled = delegate::CompileModel(model, "diamond.tflite", o);
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  EXPECT_EQ(compiled->custom_ops, 2);
  // Without the delegate: the SYSTOLE custom op kernel.
  const RunOut custom = RunModel(compiled->tflite, nullptr);
  EXPECT_EQ(custom.plan, (std::vector<std::string>{"SYSTOLE", "MUL", "SYSTOLE"}));
  EXPECT_EQ(cpu.outputs, custom.outputs);
  // With the delegate: it claims the SYSTOLE ops (MUL stays denied).
  auto d = MakeDelegate(o);
  const RunOut dlg = RunModel(compiled->tflite, d.get());
  EXPECT_EQ(cpu.outputs, dlg.outputs);
  const delegate::PartitionPlan* plan = delegate::LastPlan(d.get());
  ASSERT_EQ(plan->partitions.size(), 2u);
  EXPECT_TRUE(plan->partitions[0].steps[0].precompiled);
  EXPECT_EQ(plan->accelerator_ops, 3);
  // Compiling a compiled model keeps its SYSTOLE ops.
  auto again = delegate::CompileModel(compiled->tflite, "diamond_systole.tflite", o);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(RunModel(again->tflite, nullptr).outputs, cpu.outputs);
  const std::string report =
      delegate::FormatCompileReport(*compiled, "diamond.tflite", "out.tflite", "edge");
  EXPECT_NE(report.find("MUL (op 1): denied by --deny MUL"), std::string::npos) << report;
  EXPECT_NE(report.find("Operator"), std::string::npos);
  // The accelerator ops by estimated cycles: the two ADDs of the diamond.
  EXPECT_NE(report.find("All accelerator ops by estimated cycles"), std::string::npos) << report;
  const std::string verbose =
      delegate::FormatCompileReport(*compiled, "diamond.tflite", "out.tflite", "edge", /*verbose=*/true);
  EXPECT_NE(verbose.find("\n  MUL (op 1): denied by --deny MUL\n"), std::string::npos) << verbose;
}

// Issue 14's utilization figure with a cascaded group: PAD (op 1) carries
// the cycles of itself and of the CONV_2D/DEPTHWISE_CONV_2D after it, which
// report 0; the group counts once, whole. A lone FULLY_CONNECTED counts its
// own cycles; an ADD outside any GEMM group does not count.
TEST(CompileReport, GemmClassShareCountsCascadedGroupsWhole) {
  using delegate::OpCost;
  const std::vector<OpCost> ops = {
      {"TRANSPOSE", 0, 0},  {"PAD", 0, 1000},   {"CONV_2D", 4000, 0}, {"DEPTHWISE_CONV_2D", 2000, 0},
      {"ADD", 0, 50},       {"FULLY_CONNECTED", 640, 20}, {"RESHAPE", 0, 0}, {"SOFTMAX", 0, 30}};
  const delegate::GemmShare share = delegate::GemmClassShare(ops);
  EXPECT_EQ(share.macs, 6640u);
  EXPECT_EQ(share.cycles, 1020u);
  EXPECT_DOUBLE_EQ(share.utilization(4.0), 6640.0 / 4080.0);
  EXPECT_EQ(delegate::GemmClassShare({}).cycles, 0u);
  EXPECT_EQ(delegate::GemmClassShare({}).utilization(4.0), 0.0);
}

TEST(CompileReport, OpsAsRanges) {
  EXPECT_EQ(delegate::DescribeOpsAsRanges({}), "");
  EXPECT_EQ(delegate::DescribeOpsAsRanges({{"ADD", 3}}), "ADD (op 3)");
  EXPECT_EQ(delegate::DescribeOpsAsRanges(
                {{"CONV_2D", 1}, {"ADD", 3}, {"CONV_2D", 4}, {"CONV_2D", 5}, {"CONV_2D", 6}, {"ADD", 7}, {"CONV_2D", 9}}),
            "CONV_2D (ops 1, 4-6, 9), ADD (ops 3, 7)");
  EXPECT_EQ(delegate::DescribeOpsAsRanges({{"PAD", 0}, {"PAD", 1}}), "PAD (ops 0-1)");
}

TEST(SystoleDelegate, MixedPrecompiledAndCompiledOpsInOnePartition) {
  // AOT with MUL denied, then run with the delegate allowing MUL: SYSTOLE,
  // MUL, SYSTOLE all go to the accelerator; MUL's partition is compiled on
  // the fly between the two precompiled executables.
  const std::vector<uint8_t> model = DiamondModel();
  const RunOut cpu = RunModel(model, nullptr);
  DelegateOptions o;
  o.tflite_flavor = TfliteFlavor::kRuy;  // goldens from ../shared/oracle
  o.partition.deny = {"MUL"};
  auto compiled = delegate::CompileModel(model, "diamond.tflite", o);
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  auto d = MakeDelegate(RuyOptions());
  const RunOut dlg = RunModel(compiled->tflite, d.get());
  EXPECT_EQ(cpu.outputs, dlg.outputs);
  const delegate::PartitionPlan* plan = delegate::LastPlan(d.get());
  ASSERT_EQ(plan->partitions.size(), 1u);
  EXPECT_EQ(plan->partitions[0].steps.size(), 3u);
  EXPECT_EQ(plan->cpu_ops, 0);
}

// One device serves several interpreters at once: two delegates (sharing
// the process's "sim" device) applied to interpreters that four threads
// invoke concurrently; every output is the CPU's.
TEST(SystoleDelegate, SeveralInterpretersOnSeveralThreadsShareTheDevice) {
  const std::vector<uint8_t> model = DiamondModel();
  const RunOut cpu = RunModel(model, nullptr);
  DelegateOptions deny_mul = RuyOptions();
  deny_mul.partition.deny = {"MUL"};
  auto whole = MakeDelegate(RuyOptions());
  auto split = MakeDelegate(deny_mul);
  constexpr int kThreads = 4, kRuns = 3;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRuns; ++r) {
        const RunOut out = RunModel(model, t % 2 ? split.get() : whole.get());
        EXPECT_EQ(out.outputs, cpu.outputs) << "thread " << t << " run " << r;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(delegate::Counters(whole.get()).runs, uint64_t{kThreads / 2 * kRuns});
  EXPECT_EQ(delegate::Counters(split.get()).runs, uint64_t{kThreads / 2 * kRuns * 2});
  EXPECT_EQ(delegate::DescribeDevices(whole.get()), delegate::DescribeDevices(split.get()));
}

TEST(SystoleDelegate, BadDeviceStringsAreClearErrors) {
  struct Case {
    const char* device;
    const char* message;
  };
  for (const Case& c : {Case{"usb:x", "device 'usb:x': USB index 'x' is not a number in 0..255; valid devices: "},
                        Case{"gpu", "device 'gpu': unknown device kind 'gpu'; valid devices: sim, sim:rtl, "},
                        Case{"remote:tcp:h", "device 'remote:tcp:h': expected tcp:HOST:PORT"},
                        Case{"remote:unix:/nonexistent/systole.sock", "device 'remote:unix:/nonexistent/systole.sock'"}}) {
    SCOPED_TRACE(c.device);
    DelegateOptions o = RuyOptions();
    o.device = c.device;
    auto d = delegate::CreateDelegate(o);
    ASSERT_FALSE(d.ok());
    EXPECT_NE(d.status().message().find(c.message), std::string::npos) << d.status().ToString();
  }
  // A valid string with a configuration named: the device opens at the first
  // Prepare, and its error comes back from ModifyGraphWithDelegate.
  DelegateOptions o = RuyOptions();
  o.device = "usb:7";
  o.config = "edge";
  auto d = delegate::CreateDelegate(o);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  Status s = delegate::OpenDevice(d->get());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("device 'usb:7'"), std::string::npos) << s.ToString();
}

TEST(SystoleDelegate, BadOptionsNameTheProblem) {
  DelegateOptions o;
  o.tflite_flavor = TfliteFlavor::kRuy;  // goldens from ../shared/oracle
  o.device = "usb:0";
  auto d = delegate::CreateDelegate(o);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("device 'usb:0'"), std::string::npos) << d.status().ToString();
  o = DelegateOptions();
  o.tflite_flavor = TfliteFlavor::kRuy;
  o.config = "/nonexistent/config.json";
  d = delegate::CreateDelegate(o);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("/nonexistent/config.json"), std::string::npos) << d.status().ToString();
  o = DelegateOptions();
  o.tflite_flavor = TfliteFlavor::kRuy;
  o.partition.deny = {"NOT_AN_OP"};
  EXPECT_FALSE(delegate::CreateDelegate(o).ok());

  std::string error;
  static std::string* sink = &error;
  SystoleDelegateOptions c = SystoleDelegateOptionsDefault();
  c.deny = "SOFTMAX,FROB";
  TfLiteDelegate* cd = SystoleDelegateCreate(&c, [](const char* m) { *sink = m; });
  EXPECT_EQ(cd, nullptr);
  EXPECT_NE(error.find("unknown operator 'FROB'"), std::string::npos) << error;
  c = SystoleDelegateOptionsDefault();
  cd = SystoleDelegateCreate(&c, nullptr);
  ASSERT_NE(cd, nullptr);
  SystoleDelegateDelete(cd);
}

}  // namespace
}  // namespace testing
}  // namespace systole
