// Small models several test suites share (built with model_builder.h).
#ifndef SYSTOLE_TESTING_TEST_MODELS_H_
#define SYSTOLE_TESTING_TEST_MODELS_H_

#include <cstdint>
#include <vector>

namespace systole::testing {

// The diamond: in0, in1 (INT8 [1, 4, 4, 3]) ->
//   a = ADD(in0, in1); b = MUL(in0, in1); c = ADD(a, b); d = ADD(in0, in0);
// outputs c, d. With only ADD delegated, {a, d} can run first (one subset),
// then {b}, then {c}: three subsets, two of them delegated, and a partition
// {a, c} alone would form a cycle through b. Empty on a builder error
// (printed to stderr).
std::vector<uint8_t> DiamondModel();

}  // namespace systole::testing

#endif  // SYSTOLE_TESTING_TEST_MODELS_H_
