// Every per-op case (tests/op_cases) on the CPU interpreter, and through the
// Systole delegate on the simulated accelerator ("sim", edge configuration),
// compared bit for bit with the real TensorFlow Lite's outputs: the ruy flavor
// in tests/golden/op_cases.json (regenerate: tests/golden/regen_goldens.sh),
// one test per case; the x86 and xnnpack flavors in
// tests/golden/{x86,xnnpack}/op_cases.json (native x86-64 TFLite 2.14.1:
// tests/golden/import_native_goldens.sh), one test per flavor looping over
// every case.
// Cases whose ops the compiler refuses run on the CPU through the delegate;
// OpCaseDelegateSummary prints how many cases ran on the accelerator.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <set>

#include "common/sha256.h"
#include "tests/delegate_util.h"
#include "tests/op_cases/op_case.h"
#include "tests/test_util.h"

namespace systole {
namespace testing {
namespace {

const nlohmann::json& Goldens(TfliteFlavor flavor = TfliteFlavor::kRuy) {
  static const nlohmann::json* goldens[3] = {};
  const nlohmann::json*& g = goldens[static_cast<int>(flavor)];
  if (g == nullptr) {
    auto j = LoadJson(GoldenDir(flavor) + "/op_cases.json");
    g = new nlohmann::json(j.ok() ? *j : nlohmann::json::object());
  }
  return *g;
}

const nlohmann::json* GoldenFor(const std::string& case_name, TfliteFlavor flavor = TfliteFlavor::kRuy) {
  if (!Goldens(flavor).contains("models")) return nullptr;
  for (const auto& [file, entry] : Goldens(flavor).at("models").items()) {
    if (entry.value("case", "") == case_name) return &entry;
  }
  return nullptr;
}

delegate::DelegateOptions RuyOptions() {
  delegate::DelegateOptions o;
  o.tflite_flavor = TfliteFlavor::kRuy;  // tests/golden/op_cases.json comes from ../shared/oracle
  return o;
}

const OpCaseList& Cases() {
  static const OpCaseList* cases = new OpCaseList(AllOpCases());
  return *cases;
}

class OpCaseTest : public ::testing::TestWithParam<size_t> {};

TEST_P(OpCaseTest, CpuMatchesTfLite) {
  const OpCase& c = Cases()[GetParam()];
  SCOPED_TRACE("case " + c.name + " seed " + std::to_string(c.seed));
  const nlohmann::json* golden = GoldenFor(c.name);
  ASSERT_NE(golden, nullptr) << "no golden for this case: run tests/golden/regen_goldens.sh";
  ASSERT_EQ(Sha256Hex(c.model.data(), c.model.size()), golden->value("model_sha256", ""))
      << "the case's model changed since its golden was made: run tests/golden/regen_goldens.sh";
  auto run = RunOnCpu(c.model, c.seed, TfliteFlavor::kRuy, c.name);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  const std::string diff = CompareWithGolden(*run, *golden);
  EXPECT_TRUE(diff.empty()) << diff;
}

TEST_P(OpCaseTest, DelegateMatchesTfLite) {
  const OpCase& c = Cases()[GetParam()];
  SCOPED_TRACE("case " + c.name + " seed " + std::to_string(c.seed));
  const nlohmann::json* golden = GoldenFor(c.name);
  ASSERT_NE(golden, nullptr) << "no golden for this case: run tests/golden/regen_goldens.sh";
  auto run = RunWithDelegate(c.model, c.seed, RuyOptions(), c.name);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  std::printf("%s: %d ops on the accelerator, %d on the CPU\n", c.name.c_str(), run->accelerator_ops,
              run->cpu_ops);
  const std::string diff = CompareWithGolden(run->result, *golden);
  EXPECT_TRUE(diff.empty()) << diff << "\n" << run->plan;
}

std::string CaseName(const ::testing::TestParamInfo<size_t>& info) {
  std::string n;
  for (char c : Cases()[info.param].name) n += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(AllOps, OpCaseTest, ::testing::Range<size_t>(0, Cases().size()), CaseName);

TEST(OpCaseGoldens, EveryGoldenHasACase) {
  std::set<std::string> names;
  for (const auto& c : Cases()) names.insert(c.name);
  ASSERT_TRUE(Goldens().contains("models")) << "tests/golden/op_cases.json missing or invalid";
  for (const auto& [file, entry] : Goldens().at("models").items()) {
    EXPECT_TRUE(names.count(entry.value("case", ""))) << "stale golden " << file;
  }
}

// One pass over every case through the delegate: how many ran (entirely or
// partly) on the accelerator, and the reasons the others did not.
TEST(OpCaseDelegateSummary, CountsCasesOnTheAccelerator) {
  int full = 0, partial = 0, cpu = 0, mismatches = 0;
  std::map<std::string, int> reasons;
  for (const OpCase& c : Cases()) {
    const nlohmann::json* golden = GoldenFor(c.name);
    if (golden == nullptr) continue;
    auto run = RunWithDelegate(c.model, c.seed, RuyOptions(), c.name);
    ASSERT_TRUE(run.ok()) << c.name << ": " << run.status().ToString();
    if (!CompareWithGolden(run->result, *golden).empty()) ++mismatches;
    if (run->accelerator_ops == 0) {
      ++cpu;
    } else if (run->cpu_ops == 0) {
      ++full;
    } else {
      ++partial;
    }
  }
  std::printf("op cases through the delegate: %d entirely on the accelerator, %d partly, %d on the CPU "
              "only (of %zu)\n",
              full, partial, cpu, Cases().size());
  EXPECT_EQ(mismatches, 0);
  EXPECT_GT(full + partial, 0);
}

// Graph cases with an op refused in the middle (RESIZE_BILINEAR, denied:
// the accelerator runs it at these scales otherwise): several accelerator
// partitions, still bit-exact with TFLite.
TEST(OpCaseDelegateSummary, RefusedOpInTheMiddleGivesSeveralPartitions) {
  for (const char* name : {"graph/conv_bilinear_conv_i8", "graph/conv_bilinear_branch_add_i8"}) {
    const OpCase* c = nullptr;
    for (const OpCase& k : Cases()) if (k.name == name) c = &k;
    ASSERT_NE(c, nullptr) << name;
    const nlohmann::json* golden = GoldenFor(name);
    ASSERT_NE(golden, nullptr) << name;
    delegate::DelegateOptions options = RuyOptions();
    options.partition.deny = {"RESIZE_BILINEAR"};
    auto run = RunWithDelegate(c->model, c->seed, options, name);
    ASSERT_TRUE(run.ok()) << run.status().ToString();
    EXPECT_EQ(run->partitions, 2) << run->plan;
    EXPECT_EQ(run->cpu_ops, 1) << run->plan;
    EXPECT_NE(run->plan.find("RESIZE_BILINEAR (op 1)"), std::string::npos) << run->plan;
    EXPECT_EQ(CompareWithGolden(run->result, *golden), "");
  }
}

// Heads of real models: the int8 convolutions form one accelerator
// partition, the float / int32 / int64 pre- and post-processing stays on the
// CPU, and the outputs equal TFLite's.
TEST(OpCaseDelegateSummary, FloatHeadsGiveOneAcceleratorPartition) {
  for (const char* name : {"head/int8_conv_dequant_softmax_argmax", "head/f32_quant_conv_mean_topk_argmax64"}) {
    const OpCase* c = nullptr;
    for (const OpCase& k : Cases()) if (k.name == name) c = &k;
    ASSERT_NE(c, nullptr) << name;
    const nlohmann::json* golden = GoldenFor(name);
    ASSERT_NE(golden, nullptr) << name;
    auto run = RunWithDelegate(c->model, c->seed, RuyOptions(), name);
    ASSERT_TRUE(run.ok()) << run.status().ToString();
    EXPECT_EQ(run->partitions, 1) << run->plan;
    EXPECT_EQ(run->accelerator_ops, 2) << run->plan;
    EXPECT_GE(run->cpu_ops, 5) << run->plan;
    EXPECT_EQ(CompareWithGolden(run->result, *golden), "");
  }
}

TEST(OpCaseGoldens, EnoughCases) { EXPECT_GE(Cases().size(), 300u); }

// The native x86-64 flavors: every case with a golden, on the CPU interpreter
// and through the delegate (edge), in one process per flavor and path. Cases
// whose golden was made from another model (stale) or that crash that TFLite
// build (`error`) are listed, not compared.
enum class Path { kCpu, kDelegate };

void CheckFlavor(TfliteFlavor flavor, Path path) {
  if (!FlavorReproduced(flavor)) GTEST_SKIP() << kXnnpackNotReproduced;
  ASSERT_TRUE(Goldens(flavor).contains("models"))
      << GoldenDir(flavor) << "/op_cases.json missing (tests/golden/import_native_goldens.sh)";
  int compared = 0, stale = 0, no_output = 0, no_native = 0, mismatches = 0, on_cpu = 0;
  std::string listed;
  std::map<std::string, int> cpu_reasons;
  delegate::DelegateOptions o;
  o.tflite_flavor = flavor;
  int ruy_only = 0;
  for (const OpCase& c : Cases()) {
    if (c.ruy_golden_only) {  // no native golden was made for it
      ++ruy_only;
      continue;
    }
    const nlohmann::json* golden = GoldenFor(c.name, flavor);
    if (golden == nullptr) {
      // Native goldens exist for the cases that predate them only; newer
      // cases have ruy goldens from the oracle (OpCaseTest) and are listed.
      ++no_native;
      listed += "  no " + std::string(TfliteFlavorName(flavor)) + " golden (case newer than them): " + c.name + "\n";
      continue;
    }
    if (golden->contains("error")) {
      ++no_output;
      listed += "  no golden (that TFLite fails): " + c.name + ": " + golden->value("error", "") + "\n";
      continue;
    }
    if (Sha256Hex(c.model.data(), c.model.size()) != golden->value("model_sha256", "")) {
      ++stale;
      listed += "  stale golden (model changed since): " + c.name + "\n";
      continue;
    }
    ++compared;
    std::string diff;
    if (path == Path::kCpu) {
      auto run = RunOnCpu(c.model, c.seed, flavor, c.name);
      diff = run.ok() ? CompareWithGolden(*run, *golden) : run.status().ToString();
    } else {
      auto run = RunWithDelegate(c.model, c.seed, o, c.name);
      diff = run.ok() ? CompareWithGolden(run->result, *golden) : run.status().ToString();
      if (run.ok() && run->cpu_ops > 0) {
        ++on_cpu;
        cpu_reasons[c.name.substr(0, c.name.find('/'))]++;
      }
      if (!diff.empty() && run.ok()) diff += "\n" + run->plan;
    }
    if (!diff.empty()) {
      ++mismatches;
      ADD_FAILURE() << TfliteFlavorName(flavor) << " " << c.name << " (seed " << c.seed << "): " << diff;
    }
  }
  std::printf("%s flavor, %s: %d cases compared, %d mismatches, %d stale goldens, %d without a golden, %d newer "
              "than the native goldens, %d with ruy (wasm oracle) goldens only\n%s",
              TfliteFlavorName(flavor), path == Path::kCpu ? "CPU" : "delegate (sim, edge)", compared, mismatches,
              stale, no_output, no_native, ruy_only, listed.c_str());
  if (path == Path::kDelegate) {
    std::printf("cases with ops left on the CPU: %d\n", on_cpu);
    for (const auto& [op, n] : cpu_reasons) std::printf("  %s: %d\n", op.c_str(), n);
  }
  EXPECT_GT(compared, 700);
}

TEST(OpCaseFlavors, X86CpuMatchesNativeTfLite) { CheckFlavor(TfliteFlavor::kX86, Path::kCpu); }
TEST(OpCaseFlavors, X86DelegateMatchesNativeTfLite) { CheckFlavor(TfliteFlavor::kX86, Path::kDelegate); }
TEST(OpCaseFlavors, XnnpackCpuMatchesNativeTfLite) { CheckFlavor(TfliteFlavor::kXnnpack, Path::kCpu); }
TEST(OpCaseFlavors, XnnpackDelegateMatchesNativeTfLite) { CheckFlavor(TfliteFlavor::kXnnpack, Path::kDelegate); }

}  // namespace
}  // namespace testing
}  // namespace systole
