// Every per-op case (tests/op_cases) on the CPU interpreter, compared bit for
// bit with the real TensorFlow Lite's outputs recorded in
// tests/golden/op_cases.json (regenerate: tests/golden/regen_goldens.sh).
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "common/sha256.h"
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

TEST(OpCaseGoldens, EnoughCases) { EXPECT_GE(Cases().size(), 300u); }

}  // namespace
}  // namespace testing
}  // namespace systole
