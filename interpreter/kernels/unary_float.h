// float32 elementwise unary ops: SQRT, RSQRT, EXP, LOG, ABS, NEG, SQUARE and
// the float32 paths of LOGISTIC, TANH, RELU, RELU6 and SOFTMAX (reached from
// activations.cc when the input is float32).
#ifndef SYSTOLE_INTERPRETER_KERNELS_UNARY_FLOAT_H_
#define SYSTOLE_INTERPRETER_KERNELS_UNARY_FLOAT_H_

#include "interpreter/kernels/typed_util.h"

namespace systole {
namespace kernels {

enum class FloatUnary {
  kSqrt, kRsqrt, kExp, kLog, kAbs, kNeg, kSquare,
  kLogistic, kTanh, kRelu, kRelu6, kSoftmax,
};

// True if the node's first input is float32 (the float path applies).
bool HasFloatInput(TfLiteContext* context, const TfLiteNode* node);
TfLiteStatus PrepareFloatUnary(TfLiteContext* context, TfLiteNode* node, FloatUnary op);
TfLiteStatus EvalFloatUnary(TfLiteContext* context, TfLiteNode* node, FloatUnary op);

}  // namespace kernels
}  // namespace systole

#endif  // SYSTOLE_INTERPRETER_KERNELS_UNARY_FLOAT_H_
