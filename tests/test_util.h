// Shared helpers of the end-to-end tests: run a model on the CPU interpreter
// with oracle-compatible inputs, and read the oracle's golden files.
#ifndef SYSTOLE_TESTS_TEST_UTIL_H_
#define SYSTOLE_TESTS_TEST_UTIL_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/tflite_flavor.h"

namespace systole {
namespace testing {

// ../shared (models/, oracle/), as configured at build time; may not exist.
std::string SharedDir();
// The goldens of one TFLite flavor: tests/golden (ruy: regenerated from
// ../shared/oracle by tests/golden/regen_goldens.sh), tests/golden/x86 and
// tests/golden/xnnpack (native x86-64 TFLite 2.14.1 without / with XNNPACK,
// imported from ../shared/oracle/native-x86*/ by
// tests/golden/import_native_goldens.sh).
std::string GoldenDir(TfliteFlavor flavor);

struct RunResult {
  std::vector<std::vector<uint8_t>> inputs;   // per input tensor
  std::vector<std::vector<uint8_t>> outputs;  // per output tensor
};
// Loads, allocates, fills inputs from `seed` (xorshift32) and invokes once on
// the CPU interpreter.
StatusOr<RunResult> RunOnCpu(const std::vector<uint8_t>& model, uint32_t seed, TfliteFlavor flavor,
                             const std::string& name = "<model>");

// Parses a golden JSON file written by ../shared/oracle/tflite_ref.js check.
StatusOr<nlohmann::json> LoadJson(const std::string& path);

// Compares one run with one golden entry ({inputs: [{sha256}], outputs:
// [{sha256, values|first_values, dtype}]}); the message names the first
// differing element when the golden carries values.
std::string CompareWithGolden(const RunResult& run, const nlohmann::json& entry);

// The models of ../shared/models the end-to-end suites run, and one of them
// with a seed (the parameter of those suites).
struct ModelSeed {
  std::string model;  // file name, e.g. "vww_96_int8.tflite"
  uint32_t seed;
  TfliteFlavor flavor;  // whose goldens
};
void PrintTo(const ModelSeed& p, std::ostream* os);
// "vww_96_int8_seed2_x86": a test name (no suffix for ruy).
std::string ModelSeedName(const ModelSeed& p);
// Every shared model, trained_lstm_int8 (not supported) only when asked for.
std::vector<std::string> SharedModels(bool include_lstm);
// Whether Systole reproduces this flavor's TFLite yet. xnnpack (XNNPACK's own
// quantized operators) is not reproduced: its tests skip with that message
// (docs/flavors.md, issue 9).
bool FlavorReproduced(TfliteFlavor flavor);
inline constexpr char kXnnpackNotReproduced[] =
    "flavor xnnpack: XNNPACK's quantized arithmetic is not reproduced yet (docs/flavors.md, issue 9)";

// Every shared model with each of `seeds`, for each of `flavors`.
std::vector<ModelSeed> SharedModelSeeds(bool include_lstm, const std::vector<uint32_t>& seeds,
                                        const std::vector<TfliteFlavor>& flavors);
// ../shared/models/<model>.
std::string SharedModelPath(const std::string& model);
// The golden entry of `p` (GoldenDir(p.flavor)/models_seed<seed>.json).
StatusOr<nlohmann::json> SharedModelGolden(const ModelSeed& p);

}  // namespace testing
}  // namespace systole

#endif  // SYSTOLE_TESTS_TEST_UTIL_H_
