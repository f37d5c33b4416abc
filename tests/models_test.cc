// Every model in ../shared/models on the CPU interpreter, seeds 1, 2 and 3,
// compared bit for bit with the real TensorFlow Lite's outputs recorded in
// tests/golden/models_seed{1,2,3}.json (regenerate: tests/golden/regen_goldens.sh).
// Skips with a message when ../shared/models is absent.
#include <gtest/gtest.h>

#include <filesystem>

#include "interpreter/tensor_io.h"
#include "tests/test_util.h"

namespace systole {
namespace testing {
namespace {

struct ModelSeed {
  std::string model;
  uint32_t seed;
};

class SharedModelTest : public ::testing::TestWithParam<ModelSeed> {};

TEST_P(SharedModelTest, CpuMatchesTfLite) {
  const ModelSeed& p = GetParam();
  const std::string path = SharedDir() + "/models/" + p.model;
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not found: ../shared/models is absent";
  auto golden = LoadJson(GoldenDir() + "/models_seed" + std::to_string(p.seed) + ".json");
  ASSERT_TRUE(golden.ok()) << golden.status().ToString();
  const auto& models = (*golden)["models"];
  ASSERT_TRUE(models.contains("models/" + p.model)) << "no golden for " << p.model;
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(ReadFile(path, &bytes).ok());
  auto run = RunOnCpu(bytes, p.seed, p.model);
  if (p.model == "trained_lstm_int8.tflite") {
    // Documented limitation: UNIDIRECTIONAL_SEQUENCE_LSTM is not implemented.
    ASSERT_FALSE(run.ok());
    EXPECT_NE(run.status().message().find("UNIDIRECTIONAL_SEQUENCE_LSTM"), std::string::npos)
        << run.status().ToString();
    return;
  }
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  const std::string diff = CompareWithGolden(*run, models["models/" + p.model]);
  EXPECT_TRUE(diff.empty()) << diff;
}

std::vector<ModelSeed> AllModelSeeds() {
  const char* kModels[] = {"ad01_int8.tflite",
                           "hello_world_int8.tflite",
                           "kws_ref_model.tflite",
                           "micro_speech_quantized.tflite",
                           "mobilenet_v1_0.25_128_quant.tflite",
                           "mobilenet_v2_quantized_1x3x224x224.tflite",
                           "pretrainedResnet_quant.tflite",
                           "simple_add_model.tflite",
                           "trained_lstm_int8.tflite",
                           "vww_96_int8.tflite"};
  std::vector<ModelSeed> v;
  for (const char* m : kModels) {
    for (uint32_t s : {1u, 2u, 3u}) v.push_back({m, s});
  }
  return v;
}

std::string Name(const ::testing::TestParamInfo<ModelSeed>& info) {
  std::string n = info.param.model.substr(0, info.param.model.find(".tflite"));
  for (char& c : n) if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n + "_seed" + std::to_string(info.param.seed);
}

INSTANTIATE_TEST_SUITE_P(Shared, SharedModelTest, ::testing::ValuesIn(AllModelSeeds()), Name);

}  // namespace
}  // namespace testing
}  // namespace systole
