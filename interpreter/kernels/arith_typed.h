// float32 / int32 binary arithmetic (ADD, SUB, MUL, DIV, FLOOR_DIV,
// FLOOR_MOD) with broadcasting, bit-exact with TensorFlow Lite's kernels
// (add.cc, sub.cc, mul.cc, div.cc, floor_div.cc, floor_mod.cc). ADD / SUB /
// MUL reach it from elementwise.cc when their inputs are float32 or int32.
#ifndef SYSTOLE_INTERPRETER_KERNELS_ARITH_TYPED_H_
#define SYSTOLE_INTERPRETER_KERNELS_ARITH_TYPED_H_

#include "interpreter/kernels/typed_util.h"

namespace systole {
namespace kernels {

enum class ArithOp { kAdd, kSub, kMul, kDiv, kFloorDiv, kFloorMod };

bool IsTypedArithType(TfLiteType t);
// Checks types and shapes, resizes the output, fills `b`.
TfLiteStatus PrepareArithTyped(TfLiteContext* context, TfLiteNode* node, ArithOp op,
                               Broadcast2* b);
TfLiteStatus EvalArithTyped(TfLiteContext* context, TfLiteNode* node, ArithOp op,
                            const Broadcast2& b);

}  // namespace kernels
}  // namespace systole

#endif  // SYSTOLE_INTERPRETER_KERNELS_ARITH_TYPED_H_
