// float32 / int32 reductions: SUM, REDUCE_MAX, REDUCE_MIN and the float32 /
// int32 path of MEAN (reached from mean.cc), as TensorFlow Lite's reduce.cc.
#ifndef SYSTOLE_INTERPRETER_KERNELS_REDUCE_TYPED_H_
#define SYSTOLE_INTERPRETER_KERNELS_REDUCE_TYPED_H_

#include <vector>

#include "interpreter/kernels/typed_util.h"

namespace systole {
namespace kernels {

enum class ReduceOp { kSum, kMax, kMin, kMean };

struct ReduceShape {
  int rank = 0;
  int dims[kBroadcastMaxDims] = {};
  bool reduced[kBroadcastMaxDims] = {};
  int64_t out_count = 0;
  int64_t reduced_count = 1;  // elements folded into each output
};

bool IsTypedReduceType(TfLiteType t);
TfLiteStatus PrepareReduceTyped(TfLiteContext* context, TfLiteNode* node, ReduceOp op,
                                ReduceShape* shape);
TfLiteStatus EvalReduceTyped(TfLiteContext* context, TfLiteNode* node, ReduceOp op,
                             const ReduceShape& shape);

}  // namespace kernels
}  // namespace systole

#endif  // SYSTOLE_INTERPRETER_KERNELS_REDUCE_TYPED_H_
