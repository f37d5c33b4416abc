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
#include "common/tflite_flavor.h"
#include "interpreter/tflite_c.h"

namespace systole::compiler {

// Entry i holds the device-space output for device-space input i - 128
// (uint8 tensors live on the device as value - 128).
// The kernel tabulated is the one of `flavor`'s TFLite build.
StatusOr<std::vector<uint8_t>> BuildLut(TfLiteContext* context, int node_index, const std::string& op_name,
                                        TfliteFlavor flavor);
// The same for an explicit (input, output) pair of a one-input `builtin_code`
// op with default options (CONCATENATION's UINT8 input requantization).
StatusOr<std::vector<uint8_t>> BuildLutFor(TfliteFlavor flavor, const TfLiteTensor* in, const TfLiteTensor* out, int32_t builtin_code,
                                           const std::string& what);

// RESIZE_NEAREST_NEIGHBOR's source row of every output row and source column
// of every output column, read off the CPU kernel itself by resizing inputs
// whose values are their own row (column) index. Needs H, W <= 256.
struct NearestIndices {
  std::vector<int> rows, cols;
};
StatusOr<NearestIndices> ProbeResizeNearest(TfliteFlavor flavor, const TfLiteTensor* in, const TfLiteTensor* out, bool align_corners,
                                            bool half_pixel_centers);

// Data-movement ops (SLICE, STRIDED_SLICE, PACK, UNPACK): where every output
// element comes from, read off the CPU kernel itself by running it on INT32
// probes whose elements hold (input index << 24) | flat index. The node's
// constant index inputs (begin/size/end/strides, INT32 or INT64) and its
// options are passed unchanged; non-constant inputs are the data inputs.
// sources[o][j] is that code for element j of output o. Needs every data
// input below 2^24 elements and at most 127 data inputs.
struct GatherSources {
  std::vector<std::vector<int32_t>> sources;
};
StatusOr<GatherSources> ProbeGather(TfliteFlavor flavor, const TfLiteContext* context, const TfLiteNode* node,
                                    int32_t builtin_code, const std::string& what);
constexpr int kGatherInputShift = 24;

}  // namespace systole::compiler

#endif  // SYSTOLE_COMPILER_LUT_H_
