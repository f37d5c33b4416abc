// ModelBuilder: writes valid .tflite models with chosen shapes, types,
// quantization and operator options: the per-op test cases, and the built-in
// models of `systole make-model` (modelgen/builtin_models.h).
//
// Part of the shipped library systole_modelgen (it was test-only, in
// testing/, before; testing/model_builder.h still forwards here so that the
// tests can keep writing systole::testing::ModelBuilder).
//
// Typical use:
//
//   using namespace systole::modelgen;  // or write the code inside it
//   ModelBuilder b;
//   int in  = b.AddTensor("in", tflite::TensorType_INT8, {1, 8, 8, 3},
//                         Quant::PerTensor(0.05f, -3));
//   int w   = b.AddConstTensor("w", tflite::TensorType_INT8, {4, 3, 3, 3},
//                              RandomInt8Data(4 * 3 * 3 * 3, /*seed=*/7),
//                              Quant::PerChannel(w_scales, w_zero_points, 0));
//   int bias = b.AddConstTensor("b", tflite::TensorType_INT32, {4}, bias_data,
//                               Quant::PerChannel(bias_scales, zeros, 0));
//   int out = b.AddTensor("out", tflite::TensorType_INT8, {1, 8, 8, 4},
//                         Quant::PerTensor(0.1f, 2));
//   Conv2DOptions conv;
//   conv.activation = tflite::ActivationFunctionType_RELU;
//   b.AddOperator(tflite::BuiltinOperator_CONV_2D, /*version=*/3,
//                 {in, w, bias}, {out}, conv);
//   b.SetInputs({in});
//   b.SetOutputs({out});
//   std::vector<uint8_t> bytes = b.Finish();   // empty on misuse: see error()
//
// What the written model looks like (as TFLite's converter writes them):
//   * one subgraph named "main"; Model.version = 3; a description string;
//   * Model.buffers[0] is the empty sentinel buffer; every constant tensor
//     gets its own buffer, every other tensor refers to buffer 0;
//   * one OperatorCode per distinct (builtin code, custom code, version), with
//     the opcode in both `deprecated_builtin_code` (clamped to 127) and
//     `builtin_code`;
//   * ops without parameters get the empty options table the schema has for
//     them (PadOptions, TransposeOptions, QuantizeOptions, ...) or none where
//     the schema has none (LOGISTIC, TANH, RELU, RELU6).
// The builder does not check operator semantics (shape inference, which
// inputs an op expects, quantization rules): it writes what it is told, so
// tests can also build models that a runtime must reject.
//
// Errors: no exceptions and no asserts. The first misuse (bad tensor index,
// data size not matching the shape, options struct not matching the op, ...)
// is recorded; later calls are still accepted but Finish() then returns an
// empty vector. ok() / error() report it; the message names the object, the
// value and the rule broken.
//
// Thread safety: none; one builder per thread. Finish() does not consume the
// builder: it can be called again (e.g. after adding more operators).
//
// Naming: the option structs below deliberately reuse the schema's table
// names (Conv2DOptions, ...) inside systole::modelgen. Write code inside
// namespace systole::modelgen (or systole::testing, which imports it), or
// qualify; do not put `using namespace tflite;` and
// `using namespace systole::modelgen;` side by side at the same scope
// (the names would be ambiguous).
#ifndef SYSTOLE_MODELGEN_MODEL_BUILDER_H_
#define SYSTOLE_MODELGEN_MODEL_BUILDER_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "schema/tflite_generated.h"

namespace systole {
namespace modelgen {

// Quantization parameters of a tensor: real = scale * (q - zero_point).
// An empty Quant (Quant::None(), the default) writes no quantization table,
// as for float32 tensors and for int32 shape / axis / padding tensors.
struct Quant {
  std::vector<float> scales;
  std::vector<int64_t> zero_points;
  // The dimension the per-channel entries run along (0 for per-tensor).
  int32_t quantized_dimension = 0;

  static Quant None() { return Quant(); }
  static Quant PerTensor(float scale, int64_t zero_point) {
    Quant q;
    q.scales = {scale};
    q.zero_points = {zero_point};
    return q;
  }
  // `scales` and `zero_points` must have the same length, equal to the size
  // of dimension `axis` of the tensor (checked by AddTensor/AddConstTensor).
  static Quant PerChannel(std::vector<float> scales,
                          std::vector<int64_t> zero_points, int32_t axis) {
    Quant q;
    q.scales = std::move(scales);
    q.zero_points = std::move(zero_points);
    q.quantized_dimension = axis;
    return q;
  }
  // Same, for zero points held in any other integer type.
  template <typename ZeroPoint>
  static Quant PerChannel(std::vector<float> scales,
                          const std::vector<ZeroPoint>& zero_points,
                          int32_t axis) {
    static_assert(std::is_integral<ZeroPoint>::value,
                  "zero points must be integers");
    Quant q;
    q.scales = std::move(scales);
    q.zero_points.assign(zero_points.begin(), zero_points.end());
    q.quantized_dimension = axis;
    return q;
  }
  bool empty() const { return scales.empty() && zero_points.empty(); }
};

// ---------------------------------------------------------------------------
// Operator options. Each struct is accepted only by the ops listed with it;
// field defaults are the values TFLite's converter writes by default.
// ---------------------------------------------------------------------------

// The default argument of AddOperator: for an op that has a struct below, that
// struct's defaults are written (e.g. SOFTMAX gets beta = 1); otherwise the
// op's empty options table if the schema has one (PAD, TRANSPOSE, QUANTIZE,
// DEQUANTIZE, HARD_SWISH, CAST, EXP, FLOOR_DIV, GATHER_ND, TOPK_V2, ...), else
// no options (LOGISTIC, TANH, RELU, SQRT, RSQRT, LOG, ...).
struct NoOptions {};

// CONV_2D.
struct Conv2DOptions {
  tflite::Padding padding = tflite::Padding_SAME;
  int32_t stride_w = 1;
  int32_t stride_h = 1;
  int32_t dilation_w = 1;
  int32_t dilation_h = 1;
  tflite::ActivationFunctionType activation =
      tflite::ActivationFunctionType_NONE;
};

// DEPTHWISE_CONV_2D. Filter shape [1, H, W, in_channels * depth_multiplier].
struct DepthwiseConv2DOptions {
  tflite::Padding padding = tflite::Padding_SAME;
  int32_t stride_w = 1;
  int32_t stride_h = 1;
  int32_t depth_multiplier = 1;
  int32_t dilation_w = 1;
  int32_t dilation_h = 1;
  tflite::ActivationFunctionType activation =
      tflite::ActivationFunctionType_NONE;
};

// FULLY_CONNECTED. keep_num_dims needs op version >= 5.
struct FullyConnectedOptions {
  tflite::ActivationFunctionType activation =
      tflite::ActivationFunctionType_NONE;
  bool keep_num_dims = false;
};

// AVERAGE_POOL_2D, MAX_POOL_2D.
struct Pool2DOptions {
  tflite::Padding padding = tflite::Padding_VALID;
  int32_t stride_w = 1;
  int32_t stride_h = 1;
  int32_t filter_w = 1;
  int32_t filter_h = 1;
  tflite::ActivationFunctionType activation =
      tflite::ActivationFunctionType_NONE;
};

// ADD, SUB, MUL (written as AddOptions / SubOptions / MulOptions).
struct ArithmeticOptions {
  tflite::ActivationFunctionType activation =
      tflite::ActivationFunctionType_NONE;
};

// MEAN (and the other reducers: SUM, REDUCE_MAX, REDUCE_MIN, REDUCE_PROD).
// The axes are the op's second input: a constant int32 tensor.
struct ReducerOptions {
  bool keep_dims = false;
};

// RESHAPE. With `has_new_shape` the `new_shape` option is written; the target
// shape may also (or instead) be given as a second, int32 input tensor.
struct ReshapeOptions {
  bool has_new_shape = false;
  std::vector<int32_t> new_shape;
};

// SQUEEZE. Empty squeeze_dims: drop every dimension of size 1.
struct SqueezeOptions {
  std::vector<int32_t> squeeze_dims;
};

// CONCATENATION.
struct ConcatenationOptions {
  int32_t axis = 0;
  tflite::ActivationFunctionType activation =
      tflite::ActivationFunctionType_NONE;
};

// SPLIT. Inputs are {axis (int32 scalar constant), data}.
struct SplitOptions {
  int32_t num_splits = 1;
};

// SOFTMAX.
struct SoftmaxOptions {
  float beta = 1.0f;
};

// RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR. Inputs are {data, size}, size a
// constant int32 tensor [2] = {new_height, new_width}.
struct ResizeOptions {
  bool align_corners = false;
  bool half_pixel_centers = false;
};

// ARG_MAX, ARG_MIN (written as ArgMaxOptions / ArgMinOptions). TFLite takes
// the output tensor's type from `output_type` (INT32 or INT64).
struct ArgMinMaxOptions {
  tflite::TensorType output_type = tflite::TensorType_INT64;
};

// GATHER.
struct GatherOptions {
  int32_t axis = 0;
  int32_t batch_dims = 0;
};

// STRIDED_SLICE. Inputs are {data, begin, end, strides} (1-D int32). Bit i
// of a mask applies to slice spec i; `offset`: end is relative to begin.
struct StridedSliceOptions {
  int32_t begin_mask = 0;
  int32_t end_mask = 0;
  int32_t ellipsis_mask = 0;
  int32_t new_axis_mask = 0;
  int32_t shrink_axis_mask = 0;
  bool offset = false;
};

// PACK: values_count inputs stacked along a new dimension `axis`.
struct PackOptions {
  int32_t values_count = 1;
  int32_t axis = 0;
};

// UNPACK: `num` outputs, one per index of dimension `axis`.
struct UnpackOptions {
  int32_t num = 1;
  int32_t axis = 0;
};

// TRANSPOSE_CONV. Inputs are {output_shape (constant int32 [4]), weights
// [Cout, KH, KW, Cin], data, optional int32 bias [Cout]}; a fused activation
// other than NONE needs op version >= 4.
struct TransposeConvOptions {
  tflite::Padding padding = tflite::Padding_SAME;
  int32_t stride_w = 1;
  int32_t stride_h = 1;
  tflite::ActivationFunctionType activation =
      tflite::ActivationFunctionType_NONE;
};

// Escape hatch for any builtin the structs above do not cover: `write` builds
// the options table and returns its offset; `type` names it.
struct RawOptions {
  tflite::BuiltinOptions type = tflite::BuiltinOptions_NONE;
  std::function<flatbuffers::Offset<void>(flatbuffers::FlatBufferBuilder&)>
      write;
};

using OpOptions =
    std::variant<NoOptions, Conv2DOptions, DepthwiseConv2DOptions,
                 FullyConnectedOptions, Pool2DOptions, ArithmeticOptions,
                 ReducerOptions, ReshapeOptions, SqueezeOptions,
                 ConcatenationOptions, SplitOptions, SoftmaxOptions,
                 ResizeOptions, RawOptions, ArgMinMaxOptions, GatherOptions,
                 StridedSliceOptions, PackOptions, UnpackOptions,
                 TransposeConvOptions>;

// True if T is the C++ storage type of one element of `type`: float FLOAT32,
// double FLOAT64, uint16_t FLOAT16 (raw bits), int8_t INT8, uint8_t UINT8 and
// BOOL, int16_t INT16, uint16_t UINT16, int32_t INT32, uint32_t UINT32,
// int64_t INT64, uint64_t UINT64. Other types have no fixed storage type.
template <typename T>
bool StorageTypeMatches(tflite::TensorType type) {
  switch (type) {
    case tflite::TensorType_FLOAT32: return std::is_same<T, float>::value;
    case tflite::TensorType_FLOAT64: return std::is_same<T, double>::value;
    case tflite::TensorType_FLOAT16: return std::is_same<T, uint16_t>::value;
    case tflite::TensorType_INT8: return std::is_same<T, int8_t>::value;
    case tflite::TensorType_UINT8:
    case tflite::TensorType_BOOL: return std::is_same<T, uint8_t>::value;
    case tflite::TensorType_INT16: return std::is_same<T, int16_t>::value;
    case tflite::TensorType_UINT16: return std::is_same<T, uint16_t>::value;
    case tflite::TensorType_INT32: return std::is_same<T, int32_t>::value;
    case tflite::TensorType_UINT32: return std::is_same<T, uint32_t>::value;
    case tflite::TensorType_INT64: return std::is_same<T, int64_t>::value;
    case tflite::TensorType_UINT64: return std::is_same<T, uint64_t>::value;
    default: return false;
  }
}

// Number of elements of `shape` (1 for a scalar), or -1 if a dimension is
// negative or the product overflows int64.
int64_t NumElements(const std::vector<int32_t>& shape);

// Size in bytes of one element of `type`, or 0 for types without a fixed
// byte size (STRING, INT4, RESOURCE, VARIANT).
size_t ElementSize(tflite::TensorType type);

class ModelBuilder {
 public:
  ModelBuilder() = default;

  // Adds a tensor without data (input, output or intermediate activation).
  // Returns its index in the subgraph, or -1 on error.
  int AddTensor(const std::string& name, tflite::TensorType type,
                const std::vector<int32_t>& shape,
                const Quant& quant = Quant::None());

  // Adds a persistent state tensor (Tensor.is_variable = true, no data),
  // e.g. the state inputs of an LSTM. Returns its index or -1.
  int AddVariableTensor(const std::string& name, tflite::TensorType type,
                        const std::vector<int32_t>& shape,
                        const Quant& quant = Quant::None());

  // Adds a constant tensor. T must be the storage type of `type` (see
  // StorageTypeMatches above: int8_t for INT8, int32_t for INT32, float for
  // FLOAT32, uint8_t for UINT8 and BOOL, ...) and `data` must hold exactly
  // prod(shape) elements. The bytes are copied in host order, which is the
  // file's little-endian order on every host this project targets. Returns
  // the tensor's index or -1.
  template <typename T>
  int AddConstTensor(const std::string& name, tflite::TensorType type,
                     const std::vector<int32_t>& shape,
                     const std::vector<T>& data,
                     const Quant& quant = Quant::None()) {
    static_assert(std::is_arithmetic<T>::value && !std::is_same<T, bool>::value,
                  "use uint8_t data for BOOL tensors");
    std::vector<uint8_t> bytes(data.size() * sizeof(T));
    if (!bytes.empty()) std::memcpy(bytes.data(), data.data(), bytes.size());
    return AddConstTensorImpl(name, type, shape, std::move(bytes),
                              StorageTypeMatches<T>(type), data.size(), quant);
  }

  // Raw-bytes variant: `bytes` must be exactly prod(shape) * element size.
  int AddConstTensorBytes(const std::string& name, tflite::TensorType type,
                          const std::vector<int32_t>& shape,
                          std::vector<uint8_t> bytes,
                          const Quant& quant = Quant::None());

  // Shorthand for the int32 constants many ops take as inputs (MEAN axes,
  // PAD paddings [rank, 2], TRANSPOSE perm, RESHAPE shape, SPLIT axis,
  // RESIZE size). `shape` defaults to {values.size()}; pass {} for a scalar.
  int AddConstInt32(const std::string& name,
                    const std::vector<int32_t>& values);
  int AddConstInt32(const std::string& name, const std::vector<int32_t>& shape,
                    const std::vector<int32_t>& values);

  // Adds a builtin operator (not CUSTOM: see AddCustomOperator). `inputs` may
  // contain -1 (omitted optional input); `outputs` may not. `options` must be
  // NoOptions, RawOptions or the struct listed for `op` above. Returns the
  // operator's index or -1.
  int AddOperator(tflite::BuiltinOperator op, int version,
                  const std::vector<int>& inputs,
                  const std::vector<int>& outputs,
                  const OpOptions& options = NoOptions{});

  // Adds a CUSTOM operator named `custom_code`; `custom_options` is copied
  // verbatim (custom_options_format FLEXBUFFERS, as TFLite expects).
  int AddCustomOperator(const std::string& custom_code,
                        const std::vector<int>& inputs,
                        const std::vector<int>& outputs,
                        const std::vector<uint8_t>& custom_options = {},
                        int version = 1);

  // Operator.intermediates of an added operator (e.g. the 5 scale-carrying
  // tensors of an integer LSTM). Tensors must exist.
  void SetIntermediates(int op_index, const std::vector<int>& intermediates);

  // Subgraph inputs / outputs (runtime-fed and produced tensors), in order.
  void SetInputs(const std::vector<int>& inputs);
  void SetOutputs(const std::vector<int>& outputs);

  // Model.description; default "systole::testing::ModelBuilder" (the
  // builder's name when the per-op cases' goldens were made: the default
  // stays so that every case keeps its bytes and model_sha256).
  void SetDescription(const std::string& description) {
    description_ = description;
  }

  // Serializes the model (file identifier "TFL3"). Returns an empty vector if
  // any call so far failed, or if the result does not pass
  // tflite::VerifyModelBuffer (then error() says so; a builder bug).
  std::vector<uint8_t> Finish();

  // Finish() and write the bytes to `path`. Returns false (and sets error())
  // on any failure.
  bool FinishToFile(const std::string& path);

  bool ok() const { return error_.empty(); }
  // The first error, or "" if none.
  const std::string& error() const { return error_; }

  int num_tensors() const { return static_cast<int>(tensors_.size()); }
  int num_operators() const { return static_cast<int>(operators_.size()); }

 private:
  struct TensorSpec {
    std::string name;
    tflite::TensorType type;
    std::vector<int32_t> shape;
    Quant quant;
    int buffer = 0;  // index into buffers_ (+1 in the file; 0 = sentinel)
    bool is_variable = false;
  };
  struct OpSpec {
    int opcode_index;
    std::vector<int> inputs;
    std::vector<int> outputs;
    OpOptions options;
    std::vector<uint8_t> custom_options;
    std::vector<int> intermediates;
    bool is_custom = false;
  };
  struct OpCodeSpec {
    tflite::BuiltinOperator code;
    std::string custom_code;
    int version;
  };

  int AddConstTensorImpl(const std::string& name, tflite::TensorType type,
                         const std::vector<int32_t>& shape,
                         std::vector<uint8_t> bytes, bool storage_type_matches,
                         size_t element_count, const Quant& quant);
  int AddTensorSpec(TensorSpec spec);
  int FindOrAddOpCode(tflite::BuiltinOperator code,
                      const std::string& custom_code, int version);
  bool CheckTensorIndices(const char* what, const std::vector<int>& indices,
                          bool allow_omitted);
  // Records the first error (printf-style); always returns false.
  bool Fail(const char* fmt, ...)
#if defined(__GNUC__)
      __attribute__((format(printf, 2, 3)))
#endif
      ;

  std::vector<TensorSpec> tensors_;
  std::vector<std::vector<uint8_t>> buffers_;  // constant data, in order
  std::vector<OpCodeSpec> opcodes_;
  std::vector<OpSpec> operators_;
  std::vector<int> inputs_;
  std::vector<int> outputs_;
  std::string description_ = "systole::testing::ModelBuilder";
  std::string error_;
};

// ---------------------------------------------------------------------------
// Deterministic test data.
//
// All generators use the project's xorshift32 stream (common/xorshift32.h,
// the same stream as the oracle's --seed inputs):
//   state = seed XOR 0x9E3779B9 (0x9E3779B9 if that is 0);
//   next(): state ^= state << 13; state ^= state >> 17; state ^= state << 5.
// Element i of the result is lo + (next() mod (hi - lo + 1)), with one next()
// per element, computed in 64-bit arithmetic. (The modulo makes the values
// very slightly non-uniform; irrelevant for tests, and exactly reproducible.)
// lo > hi, or a bound outside the element type's range, yields an empty vector.
// ---------------------------------------------------------------------------
std::vector<int8_t> RandomInt8Data(size_t count, uint32_t seed, int lo = -128,
                                   int hi = 127);
std::vector<uint8_t> RandomUint8Data(size_t count, uint32_t seed, int lo = 0,
                                     int hi = 255);
std::vector<int32_t> RandomInt32Data(size_t count, uint32_t seed,
                                     int32_t lo = -1000, int32_t hi = 1000);
// Uniform in [lo, hi): lo + (hi - lo) * (next() >> 8) / 2^24.
std::vector<float> RandomFloatData(size_t count, uint32_t seed, float lo = -1.f,
                                   float hi = 1.f);

}  // namespace modelgen
}  // namespace systole

#endif  // SYSTOLE_MODELGEN_MODEL_BUILDER_H_
