// Converts an operator's flatbuffer options into the TfLite*Params struct its
// kernel reads from node->builtin_data (as TFLite's flatbuffer_conversions).
#ifndef SYSTOLE_INTERPRETER_BUILTIN_OPTIONS_H_
#define SYSTOLE_INTERPRETER_BUILTIN_OPTIONS_H_

#include "common/status.h"
#include "interpreter/tflite_c.h"
#include "schema/tflite_generated.h"

namespace systole {

// On success *params is a malloc'ed struct (free with std::free) or nullptr
// for ops without parameters. Missing options give TFLite's defaults.
Status ParseBuiltinOptions(tflite::BuiltinOperator op, const tflite::Operator* fb_op,
                           void** params);

}  // namespace systole

#endif  // SYSTOLE_INTERPRETER_BUILTIN_OPTIONS_H_
