// Moving model inputs and outputs in and out of an Interpreter, in the byte
// layout ../shared/oracle uses: the raw bytes of every input (output) tensor,
// concatenated in model order, little-endian, row-major.
#ifndef SYSTOLE_INTERPRETER_TENSOR_IO_H_
#define SYSTOLE_INTERPRETER_TENSOR_IO_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "interpreter/interpreter.h"

namespace systole {

// Total bytes of all inputs (outputs), for checking file sizes.
size_t InputBytes(const Interpreter& interp);
size_t OutputBytes(const Interpreter& interp);

// Fills every input from one xorshift32 stream, exactly as the oracle's
// --seed does (see common/xorshift32.h). Needs allocated tensors.
Status FillInputsFromSeed(Interpreter* interp, uint32_t seed);
// The bytes FillInputsFromSeed would write, without an interpreter.
std::vector<uint8_t> SeedInputBytes(const std::vector<TfLiteType>& types,
                                    const std::vector<size_t>& bytes, uint32_t seed);

// Splits `data` over the inputs; its size must equal InputBytes.
Status SetInputs(Interpreter* interp, const std::vector<uint8_t>& data);
std::vector<uint8_t> GetInputs(const Interpreter& interp);
std::vector<uint8_t> GetOutputs(const Interpreter& interp);

Status ReadFile(const std::string& path, std::vector<uint8_t>* data);
Status WriteFile(const std::string& path, const std::vector<uint8_t>& data);

}  // namespace systole

#endif  // SYSTOLE_INTERPRETER_TENSOR_IO_H_
