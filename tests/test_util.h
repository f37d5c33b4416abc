// Shared helpers of the end-to-end tests: run a model on the CPU interpreter
// with oracle-compatible inputs, and read the oracle's golden files.
#ifndef SYSTOLE_TESTS_TEST_UTIL_H_
#define SYSTOLE_TESTS_TEST_UTIL_H_

#include <cstdint>
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

}  // namespace testing
}  // namespace systole

#endif  // SYSTOLE_TESTS_TEST_UTIL_H_
