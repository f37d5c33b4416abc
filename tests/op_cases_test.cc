// Every per-op case (tests/op_cases) on the CPU interpreter, and through the
// Systole delegate on the simulated accelerator ("sim", edge configuration),
// compared bit for bit with the real TensorFlow Lite's outputs recorded in
// tests/golden/op_cases.json (regenerate: tests/golden/regen_goldens.sh).
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

const nlohmann::json& Goldens() {
  static const nlohmann::json* goldens = [] {
    auto j = LoadJson(GoldenDir() + "/op_cases.json");
    return new nlohmann::json(j.ok() ? *j : nlohmann::json::object());
  }();
  return *goldens;
}

const nlohmann::json* GoldenFor(const std::string& case_name) {
  if (!Goldens().contains("models")) return nullptr;
  for (const auto& [file, entry] : Goldens().at("models").items()) {
    if (entry.value("case", "") == case_name) return &entry;
  }
  return nullptr;
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
  auto run = RunOnCpu(c.model, c.seed, c.name);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  const std::string diff = CompareWithGolden(*run, *golden);
  EXPECT_TRUE(diff.empty()) << diff;
}

TEST_P(OpCaseTest, DelegateMatchesTfLite) {
  const OpCase& c = Cases()[GetParam()];
  SCOPED_TRACE("case " + c.name + " seed " + std::to_string(c.seed));
  const nlohmann::json* golden = GoldenFor(c.name);
  ASSERT_NE(golden, nullptr) << "no golden for this case: run tests/golden/regen_goldens.sh";
  auto run = RunWithDelegate(c.model, c.seed, delegate::DelegateOptions(), c.name);
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
    auto run = RunWithDelegate(c.model, c.seed, delegate::DelegateOptions(), c.name);
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

// Graph cases with an op the compiler refuses in the middle: several
// accelerator partitions, still bit-exact with TFLite.
TEST(OpCaseDelegateSummary, RefusedOpInTheMiddleGivesSeveralPartitions) {
  for (const char* name : {"graph/conv_bilinear_conv_i8", "graph/conv_bilinear_branch_add_i8"}) {
    const OpCase* c = nullptr;
    for (const OpCase& k : Cases()) if (k.name == name) c = &k;
    ASSERT_NE(c, nullptr) << name;
    const nlohmann::json* golden = GoldenFor(name);
    ASSERT_NE(golden, nullptr) << name;
    auto run = RunWithDelegate(c->model, c->seed, delegate::DelegateOptions(), name);
    ASSERT_TRUE(run.ok()) << run.status().ToString();
    EXPECT_EQ(run->partitions, 2) << run->plan;
    EXPECT_EQ(run->cpu_ops, 1) << run->plan;
    EXPECT_NE(run->plan.find("RESIZE_BILINEAR (op 1)"), std::string::npos) << run->plan;
    EXPECT_EQ(CompareWithGolden(run->result, *golden), "");
  }
}

TEST(OpCaseGoldens, EnoughCases) { EXPECT_GE(Cases().size(), 300u); }

}  // namespace
}  // namespace testing
}  // namespace systole
