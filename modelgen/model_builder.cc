#include "modelgen/model_builder.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <fstream>
#include <limits>
#include <type_traits>
#include <utility>

#include "common/xorshift32.h"

namespace systole {
namespace modelgen {
namespace {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

// Options serialization. Each returns the union type and the table offset.
struct WrittenOptions {
  tflite::BuiltinOptions type = tflite::BuiltinOptions_NONE;
  Offset<void> offset;
};

WrittenOptions Write(FlatBufferBuilder& fbb, const Conv2DOptions& o) {
  return {tflite::BuiltinOptions_Conv2DOptions,
          tflite::CreateConv2DOptions(fbb, o.padding, o.stride_w, o.stride_h,
                                      o.activation, o.dilation_w, o.dilation_h)
              .Union()};
}

WrittenOptions Write(FlatBufferBuilder& fbb, const DepthwiseConv2DOptions& o) {
  return {tflite::BuiltinOptions_DepthwiseConv2DOptions,
          tflite::CreateDepthwiseConv2DOptions(
              fbb, o.padding, o.stride_w, o.stride_h, o.depth_multiplier,
              o.activation, o.dilation_w, o.dilation_h)
              .Union()};
}

WrittenOptions Write(FlatBufferBuilder& fbb, const FullyConnectedOptions& o) {
  return {tflite::BuiltinOptions_FullyConnectedOptions,
          tflite::CreateFullyConnectedOptions(
              fbb, o.activation, tflite::FullyConnectedOptionsWeightsFormat_DEFAULT,
              o.keep_num_dims)
              .Union()};
}

WrittenOptions Write(FlatBufferBuilder& fbb, const Pool2DOptions& o) {
  return {tflite::BuiltinOptions_Pool2DOptions,
          tflite::CreatePool2DOptions(fbb, o.padding, o.stride_w, o.stride_h,
                                      o.filter_w, o.filter_h, o.activation)
              .Union()};
}

WrittenOptions Write(FlatBufferBuilder& fbb, tflite::BuiltinOperator op,
                     const ArithmeticOptions& o) {
  switch (op) {
    case tflite::BuiltinOperator_SUB:
      return {tflite::BuiltinOptions_SubOptions,
              tflite::CreateSubOptions(fbb, o.activation).Union()};
    case tflite::BuiltinOperator_MUL:
      return {tflite::BuiltinOptions_MulOptions,
              tflite::CreateMulOptions(fbb, o.activation).Union()};
    case tflite::BuiltinOperator_DIV:
      return {tflite::BuiltinOptions_DivOptions,
              tflite::CreateDivOptions(fbb, o.activation).Union()};
    default:
      return {tflite::BuiltinOptions_AddOptions,
              tflite::CreateAddOptions(fbb, o.activation).Union()};
  }
}

WrittenOptions Write(FlatBufferBuilder& fbb, const ReducerOptions& o) {
  return {tflite::BuiltinOptions_ReducerOptions,
          tflite::CreateReducerOptions(fbb, o.keep_dims).Union()};
}

WrittenOptions Write(FlatBufferBuilder& fbb, const ReshapeOptions& o) {
  return {tflite::BuiltinOptions_ReshapeOptions,
          tflite::CreateReshapeOptionsDirect(
              fbb, o.has_new_shape ? &o.new_shape : nullptr)
              .Union()};
}

WrittenOptions Write(FlatBufferBuilder& fbb, const SqueezeOptions& o) {
  return {tflite::BuiltinOptions_SqueezeOptions,
          tflite::CreateSqueezeOptionsDirect(fbb, &o.squeeze_dims).Union()};
}

WrittenOptions Write(FlatBufferBuilder& fbb, const ConcatenationOptions& o) {
  return {tflite::BuiltinOptions_ConcatenationOptions,
          tflite::CreateConcatenationOptions(fbb, o.axis, o.activation)
              .Union()};
}

WrittenOptions Write(FlatBufferBuilder& fbb, const SplitOptions& o) {
  return {tflite::BuiltinOptions_SplitOptions,
          tflite::CreateSplitOptions(fbb, o.num_splits).Union()};
}

WrittenOptions Write(FlatBufferBuilder& fbb, const SoftmaxOptions& o) {
  return {tflite::BuiltinOptions_SoftmaxOptions,
          tflite::CreateSoftmaxOptions(fbb, o.beta).Union()};
}

WrittenOptions Write(FlatBufferBuilder& fbb, tflite::BuiltinOperator op,
                     const ArgMinMaxOptions& o) {
  if (op == tflite::BuiltinOperator_ARG_MIN) {
    return {tflite::BuiltinOptions_ArgMinOptions,
            tflite::CreateArgMinOptions(fbb, o.output_type).Union()};
  }
  return {tflite::BuiltinOptions_ArgMaxOptions,
          tflite::CreateArgMaxOptions(fbb, o.output_type).Union()};
}

WrittenOptions Write(FlatBufferBuilder& fbb, const GatherOptions& o) {
  return {tflite::BuiltinOptions_GatherOptions,
          tflite::CreateGatherOptions(fbb, o.axis, o.batch_dims).Union()};
}

WrittenOptions Write(FlatBufferBuilder& fbb, tflite::BuiltinOperator op,
                     const ResizeOptions& o) {
  if (op == tflite::BuiltinOperator_RESIZE_BILINEAR) {
    return {tflite::BuiltinOptions_ResizeBilinearOptions,
            tflite::CreateResizeBilinearOptions(fbb, o.align_corners,
                                                o.half_pixel_centers)
                .Union()};
  }
  return {tflite::BuiltinOptions_ResizeNearestNeighborOptions,
          tflite::CreateResizeNearestNeighborOptions(fbb, o.align_corners,
                                                     o.half_pixel_centers)
              .Union()};
}

WrittenOptions Write(FlatBufferBuilder& fbb, const StridedSliceOptions& o) {
  return {tflite::BuiltinOptions_StridedSliceOptions,
          tflite::CreateStridedSliceOptions(fbb, o.begin_mask, o.end_mask,
                                            o.ellipsis_mask, o.new_axis_mask,
                                            o.shrink_axis_mask, o.offset)
              .Union()};
}

WrittenOptions Write(FlatBufferBuilder& fbb, const PackOptions& o) {
  return {tflite::BuiltinOptions_PackOptions,
          tflite::CreatePackOptions(fbb, o.values_count, o.axis).Union()};
}

WrittenOptions Write(FlatBufferBuilder& fbb, const UnpackOptions& o) {
  return {tflite::BuiltinOptions_UnpackOptions,
          tflite::CreateUnpackOptions(fbb, o.num, o.axis).Union()};
}

WrittenOptions Write(FlatBufferBuilder& fbb, const TransposeConvOptions& o) {
  return {tflite::BuiltinOptions_TransposeConvOptions,
          tflite::CreateTransposeConvOptions(fbb, o.padding, o.stride_w,
                                             o.stride_h, o.activation)
              .Union()};
}

// Ops whose schema options table has no fields: the table the converter
// writes for them. NONE for ops not listed (LOGISTIC, TANH, RELU, ... have no
// table at all).
WrittenOptions WriteEmptyTable(FlatBufferBuilder& fbb,
                               tflite::BuiltinOperator op) {
  switch (op) {
    case tflite::BuiltinOperator_PAD:
      return {tflite::BuiltinOptions_PadOptions,
              tflite::CreatePadOptions(fbb).Union()};
    case tflite::BuiltinOperator_PADV2:
      return {tflite::BuiltinOptions_PadV2Options,
              tflite::CreatePadV2Options(fbb).Union()};
    case tflite::BuiltinOperator_TRANSPOSE:
      return {tflite::BuiltinOptions_TransposeOptions,
              tflite::CreateTransposeOptions(fbb).Union()};
    case tflite::BuiltinOperator_QUANTIZE:
      return {tflite::BuiltinOptions_QuantizeOptions,
              tflite::CreateQuantizeOptions(fbb).Union()};
    case tflite::BuiltinOperator_DEQUANTIZE:
      return {tflite::BuiltinOptions_DequantizeOptions,
              tflite::CreateDequantizeOptions(fbb).Union()};
    case tflite::BuiltinOperator_HARD_SWISH:
      return {tflite::BuiltinOptions_HardSwishOptions,
              tflite::CreateHardSwishOptions(fbb).Union()};
    case tflite::BuiltinOperator_MAXIMUM:
    case tflite::BuiltinOperator_MINIMUM:
      return {tflite::BuiltinOptions_MaximumMinimumOptions,
              tflite::CreateMaximumMinimumOptions(fbb).Union()};
    case tflite::BuiltinOperator_SLICE:
      return {tflite::BuiltinOptions_SliceOptions,
              tflite::CreateSliceOptions(fbb).Union()};
    case tflite::BuiltinOperator_EXPAND_DIMS:
      return {tflite::BuiltinOptions_ExpandDimsOptions,
              tflite::CreateExpandDimsOptions(fbb).Union()};
    case tflite::BuiltinOperator_LOG_SOFTMAX:
      return {tflite::BuiltinOptions_LogSoftmaxOptions,
              tflite::CreateLogSoftmaxOptions(fbb).Union()};
    case tflite::BuiltinOperator_SPACE_TO_BATCH_ND:
      return {tflite::BuiltinOptions_SpaceToBatchNDOptions,
              tflite::CreateSpaceToBatchNDOptions(fbb).Union()};
    case tflite::BuiltinOperator_BATCH_TO_SPACE_ND:
      return {tflite::BuiltinOptions_BatchToSpaceNDOptions,
              tflite::CreateBatchToSpaceNDOptions(fbb).Union()};
    case tflite::BuiltinOperator_CAST:
      return {tflite::BuiltinOptions_CastOptions,
              tflite::CreateCastOptions(fbb).Union()};
    case tflite::BuiltinOperator_EXP:
      return {tflite::BuiltinOptions_ExpOptions,
              tflite::CreateExpOptions(fbb).Union()};
    case tflite::BuiltinOperator_NEG:
      return {tflite::BuiltinOptions_NegOptions,
              tflite::CreateNegOptions(fbb).Union()};
    case tflite::BuiltinOperator_ABS:
      return {tflite::BuiltinOptions_AbsOptions,
              tflite::CreateAbsOptions(fbb).Union()};
    case tflite::BuiltinOperator_SQUARE:
      return {tflite::BuiltinOptions_SquareOptions,
              tflite::CreateSquareOptions(fbb).Union()};
    case tflite::BuiltinOperator_FLOOR_DIV:
      return {tflite::BuiltinOptions_FloorDivOptions,
              tflite::CreateFloorDivOptions(fbb).Union()};
    case tflite::BuiltinOperator_FLOOR_MOD:
      return {tflite::BuiltinOptions_FloorModOptions,
              tflite::CreateFloorModOptions(fbb).Union()};
    case tflite::BuiltinOperator_GATHER_ND:
      return {tflite::BuiltinOptions_GatherNdOptions,
              tflite::CreateGatherNdOptions(fbb).Union()};
    case tflite::BuiltinOperator_TOPK_V2:
      return {tflite::BuiltinOptions_TopKV2Options,
              tflite::CreateTopKV2Options(fbb).Union()};
    default:
      return {};
  }
}

// Which ops each options struct is for. Keep in sync with the header.
bool IsReducer(tflite::BuiltinOperator op) {
  switch (op) {
    case tflite::BuiltinOperator_MEAN:
    case tflite::BuiltinOperator_SUM:
    case tflite::BuiltinOperator_REDUCE_MAX:
    case tflite::BuiltinOperator_REDUCE_MIN:
    case tflite::BuiltinOperator_REDUCE_PROD:
    case tflite::BuiltinOperator_REDUCE_ANY:
    case tflite::BuiltinOperator_REDUCE_ALL:
      return true;
    default:
      return false;
  }
}

bool IsArithmetic(tflite::BuiltinOperator op) {
  return op == tflite::BuiltinOperator_ADD ||
         op == tflite::BuiltinOperator_SUB ||
         op == tflite::BuiltinOperator_MUL || op == tflite::BuiltinOperator_DIV;
}

bool IsPool(tflite::BuiltinOperator op) {
  return op == tflite::BuiltinOperator_AVERAGE_POOL_2D ||
         op == tflite::BuiltinOperator_MAX_POOL_2D ||
         op == tflite::BuiltinOperator_L2_POOL_2D;
}

bool IsResize(tflite::BuiltinOperator op) {
  return op == tflite::BuiltinOperator_RESIZE_BILINEAR ||
         op == tflite::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR;
}

// Returns "" if `options` may be used with `op`, else the name of the
// options struct (for the error message).
const char* MismatchedOptionsName(tflite::BuiltinOperator op,
                                  const OpOptions& options) {
  struct Visitor {
    tflite::BuiltinOperator op;
    const char* operator()(const NoOptions&) const { return ""; }
    const char* operator()(const RawOptions&) const { return ""; }
    const char* operator()(const Conv2DOptions&) const {
      return op == tflite::BuiltinOperator_CONV_2D ? "" : "Conv2DOptions";
    }
    const char* operator()(const DepthwiseConv2DOptions&) const {
      return op == tflite::BuiltinOperator_DEPTHWISE_CONV_2D
                 ? ""
                 : "DepthwiseConv2DOptions";
    }
    const char* operator()(const FullyConnectedOptions&) const {
      return op == tflite::BuiltinOperator_FULLY_CONNECTED
                 ? ""
                 : "FullyConnectedOptions";
    }
    const char* operator()(const Pool2DOptions&) const {
      return IsPool(op) ? "" : "Pool2DOptions";
    }
    const char* operator()(const ArithmeticOptions&) const {
      return IsArithmetic(op) ? "" : "ArithmeticOptions";
    }
    const char* operator()(const ReducerOptions&) const {
      return IsReducer(op) ? "" : "ReducerOptions";
    }
    const char* operator()(const ReshapeOptions&) const {
      return op == tflite::BuiltinOperator_RESHAPE ? "" : "ReshapeOptions";
    }
    const char* operator()(const SqueezeOptions&) const {
      return op == tflite::BuiltinOperator_SQUEEZE ? "" : "SqueezeOptions";
    }
    const char* operator()(const ConcatenationOptions&) const {
      return op == tflite::BuiltinOperator_CONCATENATION
                 ? ""
                 : "ConcatenationOptions";
    }
    const char* operator()(const SplitOptions&) const {
      return op == tflite::BuiltinOperator_SPLIT ? "" : "SplitOptions";
    }
    const char* operator()(const SoftmaxOptions&) const {
      return op == tflite::BuiltinOperator_SOFTMAX ? "" : "SoftmaxOptions";
    }
    const char* operator()(const ResizeOptions&) const {
      return IsResize(op) ? "" : "ResizeOptions";
    }
    const char* operator()(const ArgMinMaxOptions&) const {
      return op == tflite::BuiltinOperator_ARG_MAX || op == tflite::BuiltinOperator_ARG_MIN
                 ? ""
                 : "ArgMinMaxOptions";
    }
    const char* operator()(const GatherOptions&) const {
      return op == tflite::BuiltinOperator_GATHER ? "" : "GatherOptions";
    }
    const char* operator()(const StridedSliceOptions&) const {
      return op == tflite::BuiltinOperator_STRIDED_SLICE ? ""
                                                         : "StridedSliceOptions";
    }
    const char* operator()(const PackOptions&) const {
      return op == tflite::BuiltinOperator_PACK ? "" : "PackOptions";
    }
    const char* operator()(const UnpackOptions&) const {
      return op == tflite::BuiltinOperator_UNPACK ? "" : "UnpackOptions";
    }
    const char* operator()(const TransposeConvOptions&) const {
      return op == tflite::BuiltinOperator_TRANSPOSE_CONV
                 ? ""
                 : "TransposeConvOptions";
    }
  };
  return std::visit(Visitor{op}, options);
}

// The options of one builtin operator, NoOptions resolved to defaults.
WrittenOptions WriteOptions(FlatBufferBuilder& fbb, tflite::BuiltinOperator op,
                            const OpOptions& options) {
  if (const auto* raw = std::get_if<RawOptions>(&options)) {
    if (raw->type == tflite::BuiltinOptions_NONE || !raw->write) return {};
    return {raw->type, raw->write(fbb)};
  }
  if (std::holds_alternative<NoOptions>(options)) {
    if (op == tflite::BuiltinOperator_CONV_2D) return Write(fbb, Conv2DOptions{});
    if (op == tflite::BuiltinOperator_DEPTHWISE_CONV_2D)
      return Write(fbb, DepthwiseConv2DOptions{});
    if (op == tflite::BuiltinOperator_FULLY_CONNECTED)
      return Write(fbb, FullyConnectedOptions{});
    if (IsPool(op)) return Write(fbb, Pool2DOptions{});
    if (IsArithmetic(op)) return Write(fbb, op, ArithmeticOptions{});
    if (IsReducer(op)) return Write(fbb, ReducerOptions{});
    if (op == tflite::BuiltinOperator_RESHAPE) return Write(fbb, ReshapeOptions{});
    if (op == tflite::BuiltinOperator_SQUEEZE) return Write(fbb, SqueezeOptions{});
    if (op == tflite::BuiltinOperator_CONCATENATION)
      return Write(fbb, ConcatenationOptions{});
    if (op == tflite::BuiltinOperator_SPLIT) return Write(fbb, SplitOptions{});
    if (op == tflite::BuiltinOperator_SOFTMAX) return Write(fbb, SoftmaxOptions{});
    if (IsResize(op)) return Write(fbb, op, ResizeOptions{});
    if (op == tflite::BuiltinOperator_ARG_MAX || op == tflite::BuiltinOperator_ARG_MIN)
      return Write(fbb, op, ArgMinMaxOptions{});
    if (op == tflite::BuiltinOperator_GATHER) return Write(fbb, GatherOptions{});
    if (op == tflite::BuiltinOperator_STRIDED_SLICE)
      return Write(fbb, StridedSliceOptions{});
    if (op == tflite::BuiltinOperator_PACK) return Write(fbb, PackOptions{});
    if (op == tflite::BuiltinOperator_UNPACK) return Write(fbb, UnpackOptions{});
    if (op == tflite::BuiltinOperator_TRANSPOSE_CONV)
      return Write(fbb, TransposeConvOptions{});
    return WriteEmptyTable(fbb, op);
  }
  if (const auto* o = std::get_if<ArgMinMaxOptions>(&options))
    return Write(fbb, op, *o);
  if (const auto* o = std::get_if<ArithmeticOptions>(&options))
    return Write(fbb, op, *o);
  if (const auto* o = std::get_if<ResizeOptions>(&options))
    return Write(fbb, op, *o);
  // The remaining structs do not depend on `op` (already checked).
  return std::visit(
      [&fbb](const auto& o) -> WrittenOptions {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, NoOptions> ||
                      std::is_same_v<T, RawOptions> ||
                      std::is_same_v<T, ArithmeticOptions> ||
                      std::is_same_v<T, ArgMinMaxOptions> ||
                      std::is_same_v<T, ResizeOptions>) {
          return {};  // handled above
        } else {
          return Write(fbb, o);
        }
      },
      options);
}

std::string ShapeString(const std::vector<int32_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

}  // namespace

// ---------------------------------------------------------------------------
// Free helpers
// ---------------------------------------------------------------------------

int64_t NumElements(const std::vector<int32_t>& shape) {
  int64_t n = 1;
  for (int32_t d : shape) {
    if (d < 0) return -1;
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d) return -1;
    n *= d;
  }
  return n;
}

size_t ElementSize(tflite::TensorType type) {
  switch (type) {
    case tflite::TensorType_BOOL:
    case tflite::TensorType_INT8:
    case tflite::TensorType_UINT8:
      return 1;
    case tflite::TensorType_FLOAT16:
    case tflite::TensorType_INT16:
    case tflite::TensorType_UINT16:
      return 2;
    case tflite::TensorType_FLOAT32:
    case tflite::TensorType_INT32:
    case tflite::TensorType_UINT32:
      return 4;
    case tflite::TensorType_FLOAT64:
    case tflite::TensorType_INT64:
    case tflite::TensorType_UINT64:
    case tflite::TensorType_COMPLEX64:
      return 8;
    case tflite::TensorType_COMPLEX128:
      return 16;
    default:
      return 0;
  }
}

namespace {

template <typename T>
std::vector<T> RandomIntegers(size_t count, uint32_t seed, int64_t lo,
                              int64_t hi) {
  if (lo > hi || lo < std::numeric_limits<T>::min() ||
      hi > std::numeric_limits<T>::max()) {
    return {};
  }
  const uint64_t range = static_cast<uint64_t>(hi - lo) + 1;  // <= 2^32
  Xorshift32 rng(seed);
  std::vector<T> out(count);
  for (T& v : out) v = static_cast<T>(lo + static_cast<int64_t>(rng.Next() % range));
  return out;
}

}  // namespace

std::vector<int8_t> RandomInt8Data(size_t count, uint32_t seed, int lo,
                                   int hi) {
  return RandomIntegers<int8_t>(count, seed, lo, hi);
}

std::vector<uint8_t> RandomUint8Data(size_t count, uint32_t seed, int lo,
                                     int hi) {
  return RandomIntegers<uint8_t>(count, seed, lo, hi);
}

std::vector<int32_t> RandomInt32Data(size_t count, uint32_t seed, int32_t lo,
                                     int32_t hi) {
  return RandomIntegers<int32_t>(count, seed, lo, hi);
}

std::vector<float> RandomFloatData(size_t count, uint32_t seed, float lo,
                                   float hi) {
  if (!(lo <= hi)) return {};
  Xorshift32 rng(seed);
  std::vector<float> out(count);
  for (float& v : out) {
    const double unit = static_cast<double>(rng.Next() >> 8) / 16777216.0;
    v = static_cast<float>(lo + (static_cast<double>(hi) - lo) * unit);
  }
  return out;
}

// ---------------------------------------------------------------------------
// ModelBuilder
// ---------------------------------------------------------------------------

bool ModelBuilder::Fail(const char* fmt, ...) {
  if (!error_.empty()) return false;  // keep the first error
  char buf[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buf, sizeof(buf), fmt, args);
  va_end(args);
  error_ = buf;
  if (error_.empty()) error_ = "unknown error";
  return false;
}

int ModelBuilder::AddTensorSpec(TensorSpec spec) {
  const int index = static_cast<int>(tensors_.size());
  const char* name = spec.name.c_str();
  if (spec.type < tflite::TensorType_MIN || spec.type > tflite::TensorType_MAX) {
    Fail("tensor %d ('%s'): type %d is not a TensorType", index, name,
         static_cast<int>(spec.type));
    return -1;
  }
  if (NumElements(spec.shape) < 0) {
    Fail("tensor %d ('%s'): shape %s has a negative dimension or overflows",
         index, name, ShapeString(spec.shape).c_str());
    return -1;
  }
  const Quant& q = spec.quant;
  if (q.scales.size() != q.zero_points.size()) {
    Fail("tensor %d ('%s'): %zu scales but %zu zero points (must be equal)",
         index, name, q.scales.size(), q.zero_points.size());
    return -1;
  }
  const int rank = static_cast<int>(spec.shape.size());
  if (q.scales.size() > 1) {
    if (q.quantized_dimension < 0 || q.quantized_dimension >= rank) {
      Fail("tensor %d ('%s'): quantized_dimension %d out of range for rank %d",
           index, name, q.quantized_dimension, rank);
      return -1;
    }
    const int32_t dim = spec.shape[q.quantized_dimension];
    if (static_cast<size_t>(dim) != q.scales.size()) {
      Fail("tensor %d ('%s'): %zu per-channel scales but dimension %d of "
           "shape %s is %d (must be equal)",
           index, name, q.scales.size(), q.quantized_dimension,
           ShapeString(spec.shape).c_str(), dim);
      return -1;
    }
  } else if (q.quantized_dimension != 0 &&
             (q.quantized_dimension < 0 || q.quantized_dimension >= rank)) {
    Fail("tensor %d ('%s'): quantized_dimension %d out of range for rank %d",
         index, name, q.quantized_dimension, rank);
    return -1;
  }
  tensors_.push_back(std::move(spec));
  return index;
}

int ModelBuilder::AddTensor(const std::string& name, tflite::TensorType type,
                            const std::vector<int32_t>& shape,
                            const Quant& quant) {
  return AddTensorSpec(TensorSpec{name, type, shape, quant, 0, false});
}

int ModelBuilder::AddVariableTensor(const std::string& name,
                                    tflite::TensorType type,
                                    const std::vector<int32_t>& shape,
                                    const Quant& quant) {
  return AddTensorSpec(TensorSpec{name, type, shape, quant, 0, true});
}

int ModelBuilder::AddConstTensorImpl(const std::string& name,
                                     tflite::TensorType type,
                                     const std::vector<int32_t>& shape,
                                     std::vector<uint8_t> bytes,
                                     bool storage_type_matches,
                                     size_t element_count, const Quant& quant) {
  const int index = static_cast<int>(tensors_.size());
  if (!storage_type_matches) {
    Fail("tensor %d ('%s'): C++ element type does not match tensor type %s "
         "(see StorageTypeMatches)",
         index, name.c_str(), tflite::EnumNameTensorType(type));
    return -1;
  }
  const int64_t expected = NumElements(shape);
  if (expected >= 0 && static_cast<uint64_t>(expected) != element_count) {
    Fail("tensor %d ('%s'): shape %s needs %lld elements, data has %zu",
         index, name.c_str(), ShapeString(shape).c_str(),
         static_cast<long long>(expected), element_count);
    return -1;
  }
  return AddConstTensorBytes(name, type, shape, std::move(bytes), quant);
}

int ModelBuilder::AddConstTensorBytes(const std::string& name,
                                      tflite::TensorType type,
                                      const std::vector<int32_t>& shape,
                                      std::vector<uint8_t> bytes,
                                      const Quant& quant) {
  const int index = static_cast<int>(tensors_.size());
  const size_t element_size = ElementSize(type);
  const int64_t count = NumElements(shape);
  if (element_size == 0) {
    Fail("tensor %d ('%s'): constant data of type %s is not supported", index,
         name.c_str(), tflite::EnumNameTensorType(type));
    return -1;
  }
  if (count >= 0 &&
      static_cast<uint64_t>(count) * element_size != bytes.size()) {
    Fail("tensor %d ('%s'): shape %s of %s needs %llu bytes, data has %zu",
         index, name.c_str(), ShapeString(shape).c_str(),
         tflite::EnumNameTensorType(type),
         static_cast<unsigned long long>(count * element_size), bytes.size());
    return -1;
  }
  const int added = AddTensorSpec(TensorSpec{
      name, type, shape, quant, static_cast<int>(buffers_.size()) + 1, false});
  if (added < 0) return -1;
  buffers_.push_back(std::move(bytes));
  return added;
}

int ModelBuilder::AddConstInt32(const std::string& name,
                                const std::vector<int32_t>& values) {
  return AddConstInt32(name, {static_cast<int32_t>(values.size())}, values);
}

int ModelBuilder::AddConstInt32(const std::string& name,
                                const std::vector<int32_t>& shape,
                                const std::vector<int32_t>& values) {
  return AddConstTensor(name, tflite::TensorType_INT32, shape, values);
}

bool ModelBuilder::CheckTensorIndices(const char* what,
                                      const std::vector<int>& indices,
                                      bool allow_omitted) {
  for (size_t i = 0; i < indices.size(); ++i) {
    const int t = indices[i];
    if (t == -1 && allow_omitted) continue;
    if (t < 0 || t >= num_tensors()) {
      return Fail("%s[%zu]: tensor index %d out of range (%d tensors%s)", what,
                  i, t, num_tensors(),
                  allow_omitted ? "; -1 marks an omitted input" : "");
    }
  }
  return true;
}

int ModelBuilder::FindOrAddOpCode(tflite::BuiltinOperator code,
                                  const std::string& custom_code,
                                  int version) {
  for (size_t i = 0; i < opcodes_.size(); ++i) {
    const OpCodeSpec& c = opcodes_[i];
    if (c.code == code && c.custom_code == custom_code && c.version == version)
      return static_cast<int>(i);
  }
  opcodes_.push_back(OpCodeSpec{code, custom_code, version});
  return static_cast<int>(opcodes_.size()) - 1;
}

int ModelBuilder::AddOperator(tflite::BuiltinOperator op, int version,
                              const std::vector<int>& inputs,
                              const std::vector<int>& outputs,
                              const OpOptions& options) {
  const int index = num_operators();
  const char* op_name = tflite::EnumNameBuiltinOperator(op);
  if (op < tflite::BuiltinOperator_MIN || op > tflite::BuiltinOperator_MAX ||
      op_name[0] == '\0') {
    Fail("operator %d: %d is not a BuiltinOperator", index,
         static_cast<int>(op));
    return -1;
  }
  if (op == tflite::BuiltinOperator_CUSTOM) {
    Fail("operator %d: use AddCustomOperator for CUSTOM ops", index);
    return -1;
  }
  if (version < 1) {
    Fail("operator %d (%s): version %d must be >= 1", index, op_name, version);
    return -1;
  }
  const char* mismatch = MismatchedOptionsName(op, options);
  if (mismatch[0] != '\0') {
    Fail("operator %d (%s): %s do not apply to this op", index, op_name,
         mismatch);
    return -1;
  }
  if (const auto* raw = std::get_if<RawOptions>(&options)) {
    if ((raw->type == tflite::BuiltinOptions_NONE) != !raw->write) {
      Fail("operator %d (%s): RawOptions needs both a type and a writer "
           "(or neither)",
           index, op_name);
      return -1;
    }
  }
  const std::string what = std::string("operator ") + std::to_string(index) +
                           " (" + op_name + ")";
  if (!CheckTensorIndices((what + " inputs").c_str(), inputs, true) ||
      !CheckTensorIndices((what + " outputs").c_str(), outputs, false)) {
    return -1;
  }
  OpSpec spec;
  spec.opcode_index = FindOrAddOpCode(op, "", version);
  spec.inputs = inputs;
  spec.outputs = outputs;
  spec.options = options;
  operators_.push_back(std::move(spec));
  return index;
}

int ModelBuilder::AddCustomOperator(const std::string& custom_code,
                                    const std::vector<int>& inputs,
                                    const std::vector<int>& outputs,
                                    const std::vector<uint8_t>& custom_options,
                                    int version) {
  const int index = num_operators();
  if (custom_code.empty()) {
    Fail("operator %d (CUSTOM): custom_code must not be empty", index);
    return -1;
  }
  if (version < 1) {
    Fail("operator %d (CUSTOM '%s'): version %d must be >= 1", index,
         custom_code.c_str(), version);
    return -1;
  }
  const std::string what = "operator " + std::to_string(index) +
                           " (CUSTOM '" + custom_code + "')";
  if (!CheckTensorIndices((what + " inputs").c_str(), inputs, true) ||
      !CheckTensorIndices((what + " outputs").c_str(), outputs, false)) {
    return -1;
  }
  OpSpec spec;
  spec.opcode_index =
      FindOrAddOpCode(tflite::BuiltinOperator_CUSTOM, custom_code, version);
  spec.inputs = inputs;
  spec.outputs = outputs;
  spec.custom_options = custom_options;
  spec.is_custom = true;
  operators_.push_back(std::move(spec));
  return index;
}

void ModelBuilder::SetIntermediates(int op_index, const std::vector<int>& intermediates) {
  if (op_index < 0 || op_index >= num_operators()) {
    Fail("SetIntermediates: operator %d does not exist (%d operators)", op_index, num_operators());
    return;
  }
  const std::string what = "operator " + std::to_string(op_index) + " intermediates";
  if (CheckTensorIndices(what.c_str(), intermediates, false)) {
    operators_[op_index].intermediates = intermediates;
  }
}

void ModelBuilder::SetInputs(const std::vector<int>& inputs) {
  if (CheckTensorIndices("subgraph inputs", inputs, false)) inputs_ = inputs;
}

void ModelBuilder::SetOutputs(const std::vector<int>& outputs) {
  if (CheckTensorIndices("subgraph outputs", outputs, false)) outputs_ = outputs;
}

std::vector<uint8_t> ModelBuilder::Finish() {
  if (!ok()) return {};
  FlatBufferBuilder fbb;

  // Buffers: the empty sentinel, then one per constant tensor.
  std::vector<Offset<tflite::Buffer>> buffers;
  buffers.push_back(tflite::CreateBuffer(fbb));
  for (const std::vector<uint8_t>& data : buffers_) {
    buffers.push_back(tflite::CreateBufferDirect(fbb, &data));
  }

  std::vector<Offset<tflite::Tensor>> tensors;
  for (const TensorSpec& t : tensors_) {
    Offset<tflite::QuantizationParameters> quant;
    if (!t.quant.empty()) {
      quant = tflite::CreateQuantizationParametersDirect(
          fbb, /*min=*/nullptr, /*max=*/nullptr, &t.quant.scales,
          &t.quant.zero_points, tflite::QuantizationDetails_NONE,
          /*details=*/0, t.quant.quantized_dimension);
    }
    tensors.push_back(tflite::CreateTensorDirect(
        fbb, &t.shape, t.type, static_cast<uint32_t>(t.buffer), t.name.c_str(),
        quant, t.is_variable));
  }

  std::vector<Offset<tflite::Operator>> operators;
  for (const OpSpec& op : operators_) {
    const OpCodeSpec& code = opcodes_[op.opcode_index];
    WrittenOptions options;
    if (!op.is_custom) options = WriteOptions(fbb, code.code, op.options);
    operators.push_back(tflite::CreateOperatorDirect(
        fbb, static_cast<uint32_t>(op.opcode_index), &op.inputs, &op.outputs,
        options.type, options.offset,
        op.is_custom && !op.custom_options.empty() ? &op.custom_options
                                                   : nullptr,
        tflite::CustomOptionsFormat_FLEXBUFFERS,
        /*mutating_variable_inputs=*/nullptr,
        op.intermediates.empty() ? nullptr : &op.intermediates));
  }

  std::vector<Offset<tflite::OperatorCode>> opcodes;
  for (const OpCodeSpec& c : opcodes_) {
    // Legacy byte: the code itself below 127, else the placeholder 127.
    const int8_t legacy = static_cast<int8_t>(std::min<int32_t>(
        c.code, tflite::BuiltinOperator_PLACEHOLDER_FOR_GREATER_OP_CODES));
    opcodes.push_back(tflite::CreateOperatorCodeDirect(
        fbb, legacy, c.custom_code.empty() ? nullptr : c.custom_code.c_str(),
        c.version, c.code));
  }

  std::vector<Offset<tflite::SubGraph>> subgraphs = {
      tflite::CreateSubGraphDirect(fbb, &tensors, &inputs_, &outputs_,
                                   &operators, "main")};
  const Offset<tflite::Model> model = tflite::CreateModelDirect(
      fbb, /*version=*/3, &opcodes, &subgraphs, description_.c_str(), &buffers);
  tflite::FinishModelBuffer(fbb, model);

  std::vector<uint8_t> bytes(fbb.GetBufferPointer(),
                             fbb.GetBufferPointer() + fbb.GetSize());
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  if (!tflite::VerifyModelBuffer(verifier)) {
    Fail("internal: the written model (%zu bytes) fails VerifyModelBuffer",
         bytes.size());
    return {};
  }
  return bytes;
}

bool ModelBuilder::FinishToFile(const std::string& path) {
  const std::vector<uint8_t> bytes = Finish();
  if (bytes.empty()) return false;
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  file.close();
  if (!file) return Fail("cannot write model to '%s'", path.c_str());
  return true;
}

}  // namespace modelgen
}  // namespace systole
