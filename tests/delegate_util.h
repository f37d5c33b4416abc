// End-to-end helpers for the delegate: run a model through a Systole
// delegate with oracle-compatible inputs, and count where its ops ran.
#ifndef SYSTOLE_TESTS_DELEGATE_UTIL_H_
#define SYSTOLE_TESTS_DELEGATE_UTIL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "delegate/systole_delegate.h"
#include "tests/test_util.h"

namespace systole {
namespace testing {

struct DelegatedRun {
  RunResult result;
  int accelerator_ops = 0;
  int cpu_ops = 0;
  int partitions = 0;
  delegate::DelegateCounters counters;
  std::string plan;  // delegate::FormatPlan
};

// Loads `model`, applies a new delegate made with `options`, fills the inputs
// from `seed` (xorshift32, as the oracle) and invokes once.
StatusOr<DelegatedRun> RunWithDelegate(const std::vector<uint8_t>& model, uint32_t seed,
                                       const delegate::DelegateOptions& options,
                                       const std::string& name = "<model>");

}  // namespace testing
}  // namespace systole

#endif  // SYSTOLE_TESTS_DELEGATE_UTIL_H_
