// The model builder moved to the shipped library systole_modelgen
// (modelgen/model_builder.h). This header keeps the tests' spelling:
// systole::testing::ModelBuilder, Quant, RandomInt8Data, ... are the
// systole::modelgen ones.
#ifndef SYSTOLE_TESTING_MODEL_BUILDER_H_
#define SYSTOLE_TESTING_MODEL_BUILDER_H_

#include "modelgen/model_builder.h"

namespace systole {
namespace testing {
using namespace ::systole::modelgen;  // NOLINT(google-build-using-namespace)
}  // namespace testing
}  // namespace systole

#endif  // SYSTOLE_TESTING_MODEL_BUILDER_H_
