// A verified, bounds-checked TensorFlow Lite model.
//
// Trust model: a .tflite file is untrusted input. Model::FromFile/FromBuffer
// run the flatbuffers verifier and then check every index and size the
// interpreter will later follow (tensor -> buffer, operator -> opcode,
// operator -> tensors, subgraph inputs/outputs, shapes versus buffer sizes,
// quantization arrays versus shapes). After a successful load, the rest of
// Systole may follow those links without re-checking them. A bad file gives a
// Status naming the object and the rule it broke; it never crashes.
//
// Lifecycle: the Model owns the file bytes; an Interpreter built from it keeps
// pointers into them, so the Model must outlive its interpreters.
#ifndef SYSTOLE_INTERPRETER_MODEL_H_
#define SYSTOLE_INTERPRETER_MODEL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "schema/tflite_generated.h"

namespace systole {

// Limits that keep hostile files from exhausting memory or time.
inline constexpr size_t kMaxModelBytes = size_t{2} << 30;  // 2 GiB (flatbuffers limit)
inline constexpr int kMaxTensorRank = 8;  // as TFLite
inline constexpr int64_t kMaxTensorBytes = int64_t{1} << 30;  // 1 GiB per tensor

class Model {
 public:
  static StatusOr<std::unique_ptr<Model>> FromFile(const std::string& path);
  // `name` is used in error messages (e.g. the file name).
  static StatusOr<std::unique_ptr<Model>> FromBuffer(std::vector<uint8_t> bytes,
                                                     const std::string& name = "<buffer>");

  const tflite::Model* fb() const { return model_; }
  const tflite::SubGraph* main_subgraph() const { return model_->subgraphs()->Get(0); }
  const std::vector<uint8_t>& bytes() const { return bytes_; }
  const std::string& name() const { return name_; }

  // The constant data of tensor `tensor_index` of the main subgraph, or
  // {nullptr, 0} for a tensor without data. Bounds were checked at load time.
  struct Data {
    const uint8_t* data = nullptr;
    size_t size = 0;
  };
  Data TensorData(int tensor_index) const;

  // Builtin code of operator code `opcode_index`, resolving the
  // deprecated_builtin_code / builtin_code split exactly as TFLite does.
  tflite::BuiltinOperator BuiltinCode(int opcode_index) const;

 private:
  Model(std::vector<uint8_t> bytes, std::string name)
      : bytes_(std::move(bytes)), name_(std::move(name)) {}
  Status Validate();

  std::vector<uint8_t> bytes_;
  std::string name_;
  const tflite::Model* model_ = nullptr;
};

// Size in bytes of one element of a schema tensor type, or 0 if the type has
// no fixed size (STRING, RESOURCE, VARIANT, INT4 packed).
size_t TensorTypeSize(tflite::TensorType type);

// "CONV_2D", or "BUILTIN_<n>" for values outside the enum.
std::string BuiltinOperatorName(tflite::BuiltinOperator op);

// Element k of a quantization's int64 zero_point vector. The flatbuffer
// verifier only checks a vector's length field for 4-byte alignment, so the
// elements of a valid file may sit at any 4-byte boundary; read them bytewise
// rather than as (possibly misaligned) int64_t.
int64_t ZeroPointAt(const tflite::QuantizationParameters& q, unsigned k);

}  // namespace systole

#endif  // SYSTOLE_INTERPRETER_MODEL_H_
