// The compiler's view of a partition: operators and tensors read from a
// TfLiteContext, with the device-side facts the lowering needs (int8 storage,
// NHWC geometry, zero points in device space).
#ifndef SYSTOLE_COMPILER_GRAPH_H_
#define SYSTOLE_COMPILER_GRAPH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "interpreter/tflite_c.h"

namespace systole::compiler {

// Builtin operator name ("CONV_2D") of a TFLite builtin code.
std::string OpName(int32_t builtin_code);

// A tensor's shape seen as [H, W, C] (C = last dim, W = the one before, H =
// the product of the rest). Rank-4 tensors must have batch 1 to be images.
struct Geometry {
  int h = 1, w = 1, c = 1;
  int64_t elements() const { return int64_t{h} * w * c; }
};
Geometry GeometryOf(const TfLiteTensor* t);
std::vector<int> Dims(const TfLiteTensor* t);
int64_t NumElements(const TfLiteTensor* t);

inline bool IsConstant(const TfLiteTensor* t) { return t->allocation_type == kTfLiteMmapRo; }
inline bool IsInt8Or8(const TfLiteTensor* t) {
  return t->type == kTfLiteInt8 || t->type == kTfLiteUInt8;
}
// The zero point as the device sees it (uint8 values live on chip as value - 128).
inline int32_t DeviceZeroPoint(const TfLiteTensor* t) {
  return t->params.zero_point - (t->type == kTfLiteUInt8 ? 128 : 0);
}
inline int32_t DeviceOffset(const TfLiteTensor* t) { return t->type == kTfLiteUInt8 ? 128 : 0; }
// MEAN (4-D, keep_dims, axis {1, 2}): the offset TFLite adds after the
// multiplier, in device space.
int32_t MeanOutputOffset(const TfLiteTensor* in, const TfLiteTensor* out);
// A single-rounding multiplier (POSTPROC single_round = 1) that divides by n
// rounding half up, exactly for every sum in [0, max_sum] (checked
// exhaustively): TFLite's UINT8 average pool, (sum + n/2) / n.
bool FindRoundingDivisor(int n, int64_t max_sum, int32_t* mult, int* shift);
// TRANSPOSE [1, C, H, W] -> [1, H, W, C] with H*W <= 65535 (one DMA row per
// pixel): done by the DMA engine.
bool IsNchwToNhwc(const std::vector<int>& dims, const int32_t* perm);
// TRANSPOSE by copies: how many contiguous runs (one VLUT each at most).
int64_t TransposeRuns(const std::vector<int>& in_dims, const int32_t* perm);
constexpr int64_t kMaxTransposeCopies = 16384;

}  // namespace systole::compiler

#endif  // SYSTOLE_COMPILER_GRAPH_H_
