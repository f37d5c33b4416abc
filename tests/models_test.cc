// Every model in ../shared/models on the CPU interpreter, seeds 1, 2 and 3,
// in each TFLite flavor, compared bit for bit with that real TensorFlow
// Lite's outputs: tests/golden/models_seed{1,2,3}.json for ruy (regenerate:
// tests/golden/regen_goldens.sh), tests/golden/{x86,xnnpack}/ for the native
// x86-64 builds (tests/golden/import_native_goldens.sh).
// Skips with a message when ../shared/models is absent.
#include <gtest/gtest.h>

#include <filesystem>

#include "interpreter/interpreter.h"
#include "interpreter/model.h"
#include "interpreter/op_resolver.h"
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
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  const std::string diff = CompareWithGolden(*run, *golden);
  EXPECT_TRUE(diff.empty()) << diff;
}

INSTANTIATE_TEST_SUITE_P(Shared, SharedModelTest,
                         ::testing::ValuesIn(SharedModelSeeds(/*include_lstm=*/true, {1, 2, 3},
                                                              {TfliteFlavor::kRuy, TfliteFlavor::kX86,
                                                               TfliteFlavor::kXnnpack})),
                         [](const auto& info) { return ModelSeedName(info.param); });

// Every operator output of the models in tests/golden/model_layers.json
// (the oracle's `dump`, seeds 1-3), read from an interpreter that preserves
// all tensors. trained_lstm_int8's SOFTMAX output is one-hot for every seed,
// so this is what shows its UNIDIRECTIONAL_SEQUENCE_LSTM bit-exact (ruy
// flavor: the layers come from the WebAssembly oracle; no per-layer goldens
// exist for the native x86 builds).
class LayerTest : public ::testing::TestWithParam<TfliteFlavor> {};

TEST_P(LayerTest, EveryOpOutputMatchesTfLite) {
  auto golden = LoadJson(GoldenDir(TfliteFlavor::kRuy) + "/model_layers.json");
  ASSERT_TRUE(golden.ok()) << golden.status().ToString();
  int checked = 0;
  for (const auto& [key, seeds] : (*golden)["models"].items()) {
    const std::string path = SharedDir() + "/" + key;
    if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not found: ../shared/models is absent";
    std::vector<uint8_t> bytes;
    ASSERT_TRUE(ReadFile(path, &bytes).ok());
    auto model = Model::FromBuffer(bytes, key);
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    BuiltinOpResolver resolver(GetParam());
    for (const auto& [seed, tensors] : seeds.items()) {
      auto interp = Interpreter::Create(**model, resolver);
      ASSERT_TRUE(interp.ok()) << interp.status().ToString();
      (*interp)->SetPreserveAllTensors(true);
      ASSERT_TRUE((*interp)->AllocateTensors().ok());
      ASSERT_TRUE(FillInputsFromSeed(interp->get(), static_cast<uint32_t>(std::stoul(seed))).ok());
      ASSERT_TRUE((*interp)->Invoke().ok());
      for (const auto& t : tensors) {
        const TfLiteTensor* tt = (*interp)->tensor(t["tensor"].get<int>());
        ASSERT_EQ(t["dtype"].get<std::string>(), "int8") << "only int8 layers are recorded";
        const auto& want = t["values"];
        ASSERT_EQ(want.size(), tt->bytes) << key << " tensor " << t["tensor"];
        int mismatches = 0;
        std::string first;
        for (size_t i = 0; i < want.size(); ++i) {
          if (tt->data.int8[i] != want[i].get<int>()) {
            if (mismatches++ == 0)
              first = "[" + std::to_string(i) + "] = " + std::to_string(tt->data.int8[i]) + ", TFLite " +
                      std::to_string(want[i].get<int>());
          }
        }
        EXPECT_EQ(mismatches, 0) << key << " seed " << seed << " op " << t["op_index"] << " (" << t["op"]
                                 << ") tensor " << t["tensor"] << ": " << mismatches << " of " << want.size()
                                 << " differ, first " << first;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 0);
}

INSTANTIATE_TEST_SUITE_P(Layers, LayerTest, ::testing::Values(TfliteFlavor::kRuy),
                         [](const auto& info) { return std::string(TfliteFlavorName(info.param)); });

}  // namespace
}  // namespace testing
}  // namespace systole
