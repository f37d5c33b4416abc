// The built-in models of `systole make-model` (modelgen/builtin_models.h)
// against tests/golden/builtin_models.json, which the real TensorFlow Lite made
// (../shared/oracle, the ruy flavor; tests/golden/regen_builtin_goldens.sh):
//   * the generator still writes the bytes whose sha256 the golden records;
//   * every model runs bit-exact with the golden on the CPU interpreter and
//     through the delegate on the SystemC device, entirely on the accelerator.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/sha256.h"
#include "modelgen/builtin_models.h"
#include "tests/delegate_util.h"
#include "tests/test_util.h"

namespace systole {
namespace testing {
namespace {

// The golden entries: {key, entry} with the entry's model name and seed.
std::vector<std::pair<std::string, nlohmann::json>> GoldenEntries() {
  auto golden = LoadJson(GoldenDir(TfliteFlavor::kRuy) + "/builtin_models.json");
  EXPECT_TRUE(golden.ok()) << golden.status().message();
  std::vector<std::pair<std::string, nlohmann::json>> r;
  if (!golden.ok()) return r;
  for (const auto& [key, entry] : (*golden)["models"].items()) r.emplace_back(key, entry);
  return r;
}

std::vector<uint8_t> Make(const std::string& name) {
  std::string error;
  std::vector<uint8_t> bytes = modelgen::MakeBuiltinModel(name, &error);
  EXPECT_FALSE(bytes.empty()) << error;
  return bytes;
}

TEST(BuiltinModelsTest, GoldenCoversEveryBuiltinModelWithTwoSeeds) {
  const auto entries = GoldenEntries();
  for (const modelgen::BuiltinModel& m : modelgen::BuiltinModels()) {
    int n = 0;
    for (const auto& [key, e] : entries) n += e.value("model", "") == m.name;
    EXPECT_EQ(n, 2) << m.name << ": regenerate tests/golden/builtin_models.json";
  }
}

TEST(BuiltinModelsTest, BytesAreTheGoldensModel) {
  for (const auto& [key, e] : GoldenEntries()) {
    const std::vector<uint8_t> a = Make(e.value("model", ""));
    EXPECT_EQ(Sha256Hex(a.data(), a.size()), e.value("model_sha256", "")) << key;
    EXPECT_EQ(a, Make(e.value("model", ""))) << key << ": two runs differ";
  }
}

TEST(BuiltinModelsTest, UnknownNameIsNamed) {
  std::string error;
  EXPECT_TRUE(modelgen::MakeBuiltinModel("mobilenet-v3", &error).empty());
  EXPECT_EQ(error, "unknown built-in model 'mobilenet-v3' (expected one of: mobilenet-v2-like, deeplab-like)");
}

TEST(BuiltinModelsTest, CpuIsBitExactWithTflite) {
  for (const auto& [key, e] : GoldenEntries()) {
    const uint32_t seed = e.value("seed", 0u);
    auto run = RunOnCpu(Make(e.value("model", "")), seed, TfliteFlavor::kRuy, key);
    ASSERT_TRUE(run.ok()) << key << ": " << run.status().message();
    EXPECT_EQ(CompareWithGolden(*run, e), "") << key << " seed " << seed;
  }
}

TEST(BuiltinModelsTest, DelegateRunsEverythingOnTheAcceleratorBitExact) {
  for (const auto& [key, e] : GoldenEntries()) {
    const uint32_t seed = e.value("seed", 0u);
    delegate::DelegateOptions o;
    o.device = "sim";
    o.tflite_flavor = TfliteFlavor::kRuy;
    auto run = RunWithDelegate(Make(e.value("model", "")), seed, o, key);
    ASSERT_TRUE(run.ok()) << key << ": " << run.status().message();
    EXPECT_EQ(run->cpu_ops, 0) << key << "\n" << run->plan;
    EXPECT_EQ(run->partitions, 1) << key << "\n" << run->plan;
    EXPECT_GT(run->counters.cycles, 0u) << key;
    EXPECT_EQ(CompareWithGolden(run->result, e), "") << key << " seed " << seed;
  }
}

// deeplab-like's feature maps are several times ABUF: the compiler tiles it
// (docs/tiling.md). On the tiny configuration (16x16 array) too, every op
// runs on the accelerator, bit-exact with TFLite, and the device moves far
// less than the feature maps through host memory (cascades keep the
// intermediates on chip).
TEST(BuiltinModelsTest, DeepLabTiledOnTheTinyConfigurationBitExact) {
  for (const auto& [key, e] : GoldenEntries()) {
    if (e.value("model", "") != "deeplab-like" || e.value("seed", 0u) != 1u) continue;
    delegate::DelegateOptions o;
    o.device = "sim";
    o.config = "tiny";
    o.tflite_flavor = TfliteFlavor::kRuy;
    auto run = RunWithDelegate(Make("deeplab-like"), 1, o, key);
    ASSERT_TRUE(run.ok()) << key << ": " << run.status().message();
    EXPECT_EQ(run->cpu_ops, 0) << run->plan;
    EXPECT_EQ(run->partitions, 1) << run->plan;
    // The input (789507 bytes) is read once; the 257x257x48 expansion alone
    // would be 3.2 MB each way.
    EXPECT_GE(run->counters.bytes_loaded, 789507u);
    EXPECT_LT(run->counters.bytes_loaded + run->counters.bytes_stored, 4u << 20);
    EXPECT_EQ(CompareWithGolden(run->result, e), "") << key;
    return;
  }
  FAIL() << "no deeplab-like seed-1 golden";
}

}  // namespace
}  // namespace testing
}  // namespace systole
