// Every model in ../shared/models through the Systole
// delegate on the SystemC device model ("sim", edge configuration), seeds 1,
// 2 and 3, compared bit for bit with the real TensorFlow Lite's outputs
// (tests/golden/models_seed{1,2,3}.json). Prints how many ops ran on the
// accelerator and on the CPU, and requires all of them on the accelerator. With the "tiny" configuration every model also
// runs on the Verilated RTL core ("sim:rtl", seeds 1-3) when this build has
// it, with exactly the cycle count of the behavioural core. Skips with a message when ../shared/models is absent.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <ostream>

#include "delegate/compile_model.h"
#include "driver/driver.h"
#include "interpreter/interpreter.h"
#include "interpreter/model.h"
#include "interpreter/op_resolver.h"
#include "interpreter/tensor_io.h"
#include "tests/delegate_util.h"

namespace systole {
namespace testing {
namespace {

void CheckModel(const ModelSeed& p, const delegate::DelegateOptions& options, uint64_t* cycles = nullptr,
                int expected_cpu_ops = 0) {
  if (!FlavorReproduced(p.flavor)) GTEST_SKIP() << kXnnpackNotReproduced;
  const std::string path = SharedModelPath(p.model);
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not found: ../shared/models is absent";
  auto golden = SharedModelGolden(p);
  ASSERT_TRUE(golden.ok()) << golden.status().ToString();
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(ReadFile(path, &bytes).ok());
  auto run = RunWithDelegate(bytes, p.seed, options, p.model);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  std::printf("%s seed %u on %s/%s: %d ops on the accelerator (%d partitions), %d on the CPU, "
              "%llu cycles\n",
              p.model.c_str(), p.seed, options.device.c_str(), options.config.c_str(),
              run->accelerator_ops, run->partitions, run->cpu_ops,
              static_cast<unsigned long long>(run->counters.cycles));
  if (run->cpu_ops > 0) std::printf("%s\n", run->plan.c_str());
  if (cycles != nullptr) *cycles = run->counters.cycles;
  // Every model here runs whole on the accelerator (SOFTMAX included), except
  // in the xnnpack flavor, where the nodes XNNPACK takes stay on the CPU
  // (docs/flavors.md).
  if (p.flavor != TfliteFlavor::kXnnpack) {
    EXPECT_EQ(run->cpu_ops, expected_cpu_ops) << run->plan;
    EXPECT_EQ(run->partitions, 1) << run->plan;
  }
  const std::string diff = CompareWithGolden(run->result, *golden);
  EXPECT_TRUE(diff.empty()) << diff << "\n" << run->plan;
}

class DelegateModelTest : public ::testing::TestWithParam<ModelSeed> {};

TEST_P(DelegateModelTest, SimEdgeMatchesTfLite) {
  delegate::DelegateOptions o;
  o.tflite_flavor = GetParam().flavor;  // the golden's TFLite build
  o.device = "sim";
  o.config = "edge";
  CheckModel(GetParam(), o);
}

// Every shared model but the LSTM (DelegateLstmTest: its LSTM stays on the CPU).
// Every flavor: ruy goldens from ../shared/oracle, x86 and xnnpack from the
// native x86-64 TFLite (tests/golden/{x86,xnnpack}).
const std::vector<TfliteFlavor> kFlavors = {TfliteFlavor::kRuy, TfliteFlavor::kX86, TfliteFlavor::kXnnpack};
std::vector<ModelSeed> AllModelSeeds() { return SharedModelSeeds(/*include_lstm=*/false, {1, 2, 3}, kFlavors); }
// The RTL runs: ruy with seeds 1-3, the other flavors with seed 1.
std::vector<ModelSeed> RtlModelSeeds() {
  std::vector<ModelSeed> v = SharedModelSeeds(false, {1, 2, 3}, {TfliteFlavor::kRuy});
  for (const ModelSeed& p : SharedModelSeeds(false, {1}, {TfliteFlavor::kX86, TfliteFlavor::kXnnpack})) v.push_back(p);
  return v;
}
std::string Name(const ::testing::TestParamInfo<ModelSeed>& info) { return ModelSeedName(info.param); }

INSTANTIATE_TEST_SUITE_P(Shared, DelegateModelTest, ::testing::ValuesIn(AllModelSeeds()), Name);

// trained_lstm_int8: the delegate takes RESHAPE, FULLY_CONNECTED and SOFTMAX
// (one partition) and leaves UNIDIRECTIONAL_SEQUENCE_LSTM on Systole's CPU
// interpreter, with the compiler's reason in the plan; outputs bit-exact.
class DelegateLstmTest : public ::testing::TestWithParam<ModelSeed> {};

TEST_P(DelegateLstmTest, LstmStaysOnCpuRestOnAccelerator) {
  delegate::DelegateOptions o;
  o.tflite_flavor = GetParam().flavor;
  o.device = "sim";
  o.config = "edge";
  CheckModel(GetParam(), o, nullptr, /*expected_cpu_ops=*/1);
  if (HasFatalFailure() || IsSkipped()) return;
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(ReadFile(SharedModelPath(GetParam().model), &bytes).ok());
  auto run = RunWithDelegate(bytes, GetParam().seed, o, GetParam().model);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->accelerator_ops, 3) << run->plan;
  EXPECT_NE(run->plan.find("UNIDIRECTIONAL_SEQUENCE_LSTM"), std::string::npos) << run->plan;
  EXPECT_NE(run->plan.find("not supported by the accelerator"), std::string::npos) << run->plan;
}

INSTANTIATE_TEST_SUITE_P(Shared, DelegateLstmTest,
                         ::testing::ValuesIn([] {
                           std::vector<ModelSeed> v;
                           for (TfliteFlavor f : kFlavors)
                             for (uint32_t s : {1u, 2u, 3u}) v.push_back({"trained_lstm_int8.tflite", s, f});
                           return v;
                         }()),
                         Name);

// Ahead of time: `systole compile`'s rewrite of each model (seed 1) runs in
// Systole's interpreter with only the SYSTOLE custom op registered (no
// delegate) and gives TFLite's outputs.
class AotModelTest : public ::testing::TestWithParam<ModelSeed> {};

TEST_P(AotModelTest, CompiledModelMatchesTfLite) {
  const ModelSeed& p = GetParam();
  if (!FlavorReproduced(p.flavor)) GTEST_SKIP() << kXnnpackNotReproduced;
  const std::string path = SharedModelPath(p.model);
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not found: ../shared/models is absent";
  auto golden = SharedModelGolden(p);
  ASSERT_TRUE(golden.ok()) << golden.status().ToString();
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(ReadFile(path, &bytes).ok());
  delegate::DelegateOptions o;
  o.tflite_flavor = p.flavor;
  auto compiled = delegate::CompileModel(bytes, p.model, o);
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  std::printf("%s: %d SYSTOLE ops, %d ops on the accelerator, %d on the CPU, %zu -> %zu bytes\n",
              p.model.c_str(), compiled->custom_ops, compiled->plan.accelerator_ops,
              compiled->plan.cpu_ops, bytes.size(), compiled->tflite.size());
  if (p.flavor != TfliteFlavor::kXnnpack) EXPECT_GT(compiled->custom_ops, 0);  // xnnpack: may all stay on the CPU
  auto model = Model::FromBuffer(compiled->tflite, p.model + " (compiled)");
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  BuiltinOpResolver resolver(p.flavor);
  resolver.AddCustom(compiler::kCustomOpName, *delegate::SystoleCustomOpRegistration());
  auto interp = Interpreter::Create(**model, resolver);
  ASSERT_TRUE(interp.ok()) << interp.status().ToString();
  ASSERT_TRUE((*interp)->AllocateTensors().ok());
  ASSERT_TRUE(FillInputsFromSeed(interp->get(), p.seed).ok());
  RunResult r;
  for (int t : (*interp)->inputs()) {
    const TfLiteTensor* tt = (*interp)->tensor(t);
    r.inputs.emplace_back(tt->data.uint8, tt->data.uint8 + tt->bytes);
  }
  Status s = (*interp)->Invoke();
  ASSERT_TRUE(s.ok()) << s.ToString();
  for (int t : (*interp)->outputs()) {
    const TfLiteTensor* tt = (*interp)->tensor(t);
    r.outputs.emplace_back(tt->data.uint8, tt->data.uint8 + tt->bytes);
  }
  const std::string diff = CompareWithGolden(r, *golden);
  EXPECT_TRUE(diff.empty()) << diff;
}

INSTANTIATE_TEST_SUITE_P(Shared, AotModelTest, ::testing::ValuesIn(SharedModelSeeds(true, {1}, kFlavors)), Name);

// The RTL core in the device's compute slot, tiny configuration (16x16).
class DelegateRtlModelTest : public ::testing::TestWithParam<ModelSeed> {};

TEST_P(DelegateRtlModelTest, SimRtlTinyMatchesTfLite) {
  auto hw = sim::DeviceConfig::FromName("tiny");
  ASSERT_TRUE(hw.ok()) << hw.status().ToString();
  auto probe = driver::Device::Open("sim:rtl", *hw);
  if (!probe.ok()) GTEST_SKIP() << "sim:rtl not available in this build: " << probe.status().message();
  probe->reset();
  delegate::DelegateOptions o;
  o.tflite_flavor = GetParam().flavor;  // the golden's TFLite build
  o.device = "sim:rtl";
  o.config = "tiny";
  uint64_t rtl_cycles = 0, sim_cycles = 0;
  CheckModel(GetParam(), o, &rtl_cycles);
  // Cycle-true: the behavioural core in the same slot takes exactly as long.
  o.device = "sim";
  CheckModel(GetParam(), o, &sim_cycles);
  EXPECT_EQ(rtl_cycles, sim_cycles) << "RTL and SystemC cycle counts differ";
}

// Every model (the RTL runs ~0.4 M cycles/s at 16x16: seeds 1-3 of one
// flavor are ~16 M cycles).
INSTANTIATE_TEST_SUITE_P(Shared, DelegateRtlModelTest, ::testing::ValuesIn(RtlModelSeeds()), Name);

// The tiny configuration on the behavioural core: the same compiler output
// the RTL runs, checked even where the RTL is not built.
TEST_P(DelegateRtlModelTest, SimTinyMatchesTfLite) {
  delegate::DelegateOptions o;
  o.tflite_flavor = GetParam().flavor;  // the golden's TFLite build
  o.device = "sim";
  o.config = "tiny";
  CheckModel(GetParam(), o);
}

}  // namespace
}  // namespace testing
}  // namespace systole
