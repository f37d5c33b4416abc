// Lookup tables for elementwise int8 -> int8 operators (LOGISTIC, TANH, RELU,
// RELU6, HARD_SWISH, QUANTIZE): the compiler tabulates the CPU kernel itself
// over all 256 inputs, so the VLUT result is bit-exact with the interpreter
// (and so with TFLite) by construction.
#ifndef SYSTOLE_COMPILER_LUT_H_
#define SYSTOLE_COMPILER_LUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "interpreter/tflite_c.h"

namespace systole::compiler {

// Entry i holds the device-space output for device-space input i - 128
// (uint8 tensors live on the device as value - 128).
StatusOr<std::vector<uint8_t>> BuildLut(TfLiteContext* context, int node_index, const std::string& op_name);

}  // namespace systole::compiler

#endif  // SYSTOLE_COMPILER_LUT_H_
