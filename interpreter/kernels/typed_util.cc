#include "interpreter/kernels/typed_util.h"

namespace systole {
namespace kernels {

// True if TFLite's optimized_ops::ProcessBroadcastShapes would classify this
// (already broadcast-compatible, unequal) pair of shapes as one of the two
// "fast" fivefold categories, false if as kGenericBroadcast.
bool IsFivefoldBroadcast(const int* dims0, const int* dims1, int rank) {
  int category = 0;  // 1: first input broadcasts, 2: second input broadcasts
  for (int i = rank - 1; i >= 0; --i) {
    if (dims0[i] == dims1[i]) continue;
    if (dims0[i] == 1) {
      category = 1;
    } else if (dims1[i] == 1) {
      category = 2;
    } else {
      return false;
    }
    break;
  }
  if (category == 0) return true;  // equal shapes: no broadcast at all
  const int* a = category == 2 ? dims1 : dims0;
  const int* b = category == 2 ? dims0 : dims1;
  int i = rank - 1;
  while (i >= 0 && a[i] == b[i]) --i;
  while (i >= 0 && a[i] == 1) --i;
  while (i >= 0 && a[i] == b[i]) --i;
  while (i >= 0 && b[i] == 1) --i;
  while (i >= 0 && a[i] == b[i]) --i;
  return i < 0;
}


TfLiteStatus ComputeBroadcast2(TfLiteContext* context, const char* op, const TfLiteTensor* in1,
                               const TfLiteTensor* in2, int max_rank, bool fivefold_any_rank,
                               Broadcast2* b) {
  const int rank1 = NumDimensions(in1);
  const int rank2 = NumDimensions(in2);
  const int rank = std::max(rank1, rank2);
  const bool same = HaveSameShapes(in1, in2);
  SYSTOLE_KERNEL_ENSURE(context, rank <= kBroadcastMaxDims,
                        "%s: inputs of rank %d and %d; at most %d dimensions are supported", op,
                        rank1, rank2, kBroadcastMaxDims);
  b->rank = rank;
  b->out_shape.assign(rank, 1);
  int dims1[kBroadcastMaxDims];
  int dims2[kBroadcastMaxDims];
  for (int i = 0; i < kBroadcastMaxDims; ++i) {
    const int from_end = kBroadcastMaxDims - 1 - i;
    dims1[i] = from_end < rank1 ? SizeOfDimension(in1, rank1 - 1 - from_end) : 1;
    dims2[i] = from_end < rank2 ? SizeOfDimension(in2, rank2 - 1 - from_end) : 1;
    SYSTOLE_KERNEL_ENSURE(
        context, dims1[i] == dims2[i] || dims1[i] == 1 || dims2[i] == 1,
        "%s: input shapes are not broadcastable (dimension %d from the end: %d vs %d)", op,
        from_end, dims1[i], dims2[i]);
    b->out_dims[i] = dims1[i] == 1 ? dims2[i] : dims1[i];
    if (from_end < rank) b->out_shape[rank - 1 - from_end] = b->out_dims[i];
  }
  if (!same && rank > max_rank) {
    const bool fivefold = fivefold_any_rank &&
                          IsFivefoldBroadcast(dims1 + kBroadcastMaxDims - rank,
                                              dims2 + kBroadcastMaxDims - rank, rank);
    SYSTOLE_KERNEL_ENSURE(context, fivefold,
                          "%s: broadcasting rank-%d shapes is not supported (TFLite's generic "
                          "broadcast takes at most %d dimensions)",
                          op, rank, max_rank);
  }
  int64_t stride1 = 1;
  int64_t stride2 = 1;
  b->num_elements = 1;
  for (int i = kBroadcastMaxDims - 1; i >= 0; --i) {
    b->strides1[i] = dims1[i] == 1 ? 0 : stride1;
    b->strides2[i] = dims2[i] == 1 ? 0 : stride2;
    stride1 *= dims1[i];
    stride2 *= dims2[i];
    b->num_elements *= b->out_dims[i];
  }
  return kTfLiteOk;
}

TfLiteStatus CheckArity(TfLiteContext* context, const TfLiteNode* node, const char* op,
                        int min_inputs, int max_inputs, int outputs) {
  SYSTOLE_KERNEL_ENSURE(context, NumInputs(node) >= min_inputs && NumInputs(node) <= max_inputs,
                        "%s: has %d inputs, expected %d%s", op, NumInputs(node), min_inputs,
                        max_inputs != min_inputs ? " or more" : "");
  SYSTOLE_KERNEL_ENSURE(context, NumOutputs(node) == outputs, "%s: has %d outputs, expected %d",
                        op, NumOutputs(node), outputs);
  for (int i = 0; i < NumInputs(node); ++i) {
    SYSTOLE_KERNEL_ENSURE(context, GetInput(context, node, i) != nullptr || i >= min_inputs,
                          "%s: input %d is missing", op, i);
  }
  for (int i = 0; i < outputs; ++i) {
    SYSTOLE_KERNEL_ENSURE(context, GetOutput(context, node, i) != nullptr,
                          "%s: output %d is missing", op, i);
  }
  return kTfLiteOk;
}

}  // namespace kernels
}  // namespace systole
