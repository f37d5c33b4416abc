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

namespace systole {
namespace testing {

// ../shared (models/, oracle/), as configured at build time; may not exist.
std::string SharedDir();
// The source tree's tests/golden folder.
std::string GoldenDir();

struct RunResult {
  std::vector<std::vector<uint8_t>> inputs;   // per input tensor
  std::vector<std::vector<uint8_t>> outputs;  // per output tensor
};
// Loads, allocates, fills inputs from `seed` (xorshift32) and invokes once on
// the CPU interpreter.
StatusOr<RunResult> RunOnCpu(const std::vector<uint8_t>& model, uint32_t seed,
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
};
void PrintTo(const ModelSeed& p, std::ostream* os);
// "vww_96_int8_seed2": a test name.
std::string ModelSeedName(const ModelSeed& p);
// Every shared model, trained_lstm_int8 (not supported) only when asked for.
std::vector<std::string> SharedModels(bool include_lstm);
// Every shared model with each of `seeds`.
std::vector<ModelSeed> SharedModelSeeds(bool include_lstm, const std::vector<uint32_t>& seeds = {1, 2, 3});
// ../shared/models/<model>.
std::string SharedModelPath(const std::string& model);
// The oracle's golden entry of `p` (tests/golden/models_seed<seed>.json).
StatusOr<nlohmann::json> SharedModelGolden(const ModelSeed& p);

}  // namespace testing
}  // namespace systole

#endif  // SYSTOLE_TESTS_TEST_UTIL_H_
