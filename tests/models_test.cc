// Every model in ../shared/models on the CPU interpreter, seeds 1, 2 and 3,
// in each TFLite flavor, compared bit for bit with that real TensorFlow
// Lite's outputs: tests/golden/models_seed{1,2,3}.json for ruy (regenerate:
// tests/golden/regen_goldens.sh), tests/golden/{x86,xnnpack}/ for the native
// x86-64 builds (tests/golden/import_native_goldens.sh).
// Skips with a message when ../shared/models is absent.
#include <gtest/gtest.h>

#include <filesystem>

#include "interpreter/tensor_io.h"
#include "tests/test_util.h"

namespace systole {
namespace testing {
namespace {

class SharedModelTest : public ::testing::TestWithParam<ModelSeed> {};

TEST_P(SharedModelTest, CpuMatchesTfLite) {
  const ModelSeed& p = GetParam();
  if (!FlavorReproduced(p.flavor)) GTEST_SKIP() << kXnnpackNotReproduced;
  const std::string path = SharedModelPath(p.model);
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not found: ../shared/models is absent";
  auto golden = SharedModelGolden(p);
  ASSERT_TRUE(golden.ok()) << golden.status().ToString();
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(ReadFile(path, &bytes).ok());
  auto run = RunOnCpu(bytes, p.seed, p.flavor, p.model);
  if (p.model == "trained_lstm_int8.tflite") {
    // Documented limitation: UNIDIRECTIONAL_SEQUENCE_LSTM is not implemented.
    ASSERT_FALSE(run.ok());
    EXPECT_NE(run.status().message().find("UNIDIRECTIONAL_SEQUENCE_LSTM"), std::string::npos)
        << run.status().ToString();
    return;
  }
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  const std::string diff = CompareWithGolden(*run, *golden);
  EXPECT_TRUE(diff.empty()) << diff;
}

INSTANTIATE_TEST_SUITE_P(Shared, SharedModelTest,
                         ::testing::ValuesIn(SharedModelSeeds(/*include_lstm=*/true, {1, 2, 3},
                                                              {TfliteFlavor::kRuy, TfliteFlavor::kX86,
                                                               TfliteFlavor::kXnnpack})),
                         [](const auto& info) { return ModelSeedName(info.param); });

}  // namespace
}  // namespace testing
}  // namespace systole
