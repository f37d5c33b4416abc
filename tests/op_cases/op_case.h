// Per-op test cases: small one-op (or few-op) models made with the model
// builder, each run with a deterministic xorshift32 input seed. The same list
// feeds
//   * the golden generator (tests/golden/regen_op_goldens.sh), which runs every
//     case on the real TensorFlow Lite (../shared/oracle) and records the
//     output checksums in tests/golden/op_cases.json, and
//   * op_cases_test, which runs every case on Systole's interpreter (and, later,
//     through the delegate) and compares bit for bit with those goldens.
// A case's model bytes must be deterministic: the golden file records their
// sha256 so that a changed builder or case is caught instead of silently
// compared against a stale golden.
#ifndef SYSTOLE_TESTS_OP_CASES_OP_CASE_H_
#define SYSTOLE_TESTS_OP_CASES_OP_CASE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace systole {
namespace testing {

struct OpCase {
  // Unique and stable, [a-z0-9_.-] with '/' separating op and variant, e.g.
  // "conv_2d/k3_s2_same_relu6_pc".
  std::string name;
  uint32_t seed = 1;           // input seed (oracle --seed)
  std::vector<uint8_t> model;  // .tflite bytes
  // Goldens from the wasm oracle (ruy flavor) only: the native x86 goldens
  // (tests/golden/x86, xnnpack) predate the case; the flavor tests skip it.
  bool ruy_golden_only = false;
};
using OpCaseList = std::vector<OpCase>;

// One family per group of kernels; each lives in its own <family>_cases.cc.
#define SYSTOLE_OP_CASE_FAMILIES(X) \
  X(Conv)          /* CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED */     \
  X(Pool)          /* AVERAGE_POOL_2D, MAX_POOL_2D, MEAN */              \
  X(Elementwise)   /* ADD, SUB, MUL */                                   \
  X(Activation)    /* SOFTMAX, LOGISTIC, TANH, RELU, RELU6, HARD_SWISH */ \
  X(Quantize)      /* QUANTIZE, DEQUANTIZE */                            \
  X(Shape)         /* PAD, RESHAPE, SQUEEZE, TRANSPOSE, CONCATENATION, SPLIT, RESIZE_* */ \
  X(Graph)         /* few-op models: multiple inputs/outputs, chains */    \
  X(Cast)          /* CAST between float32/int8/uint8/int16/int32/int64/bool */ \
  X(Float)         /* float32 SQRT..SQUARE, LOGISTIC, TANH, RELU(6), SOFTMAX */ \
  X(Arith)         /* float32/int32 ADD, SUB, MUL, DIV, FLOOR_DIV, FLOOR_MOD */ \
  X(Reduce)        /* float32/int32 SUM, MEAN, REDUCE_MAX, REDUCE_MIN */        \
  X(Index)         /* ARG_MAX/MIN, GATHER(_ND), EXPAND_DIMS, TOPK_V2, shapes */ \
  X(Head)          /* int8 bodies with float/int32 pre- and post-processing */ \
  X(Recurrent)     /* UNIDIRECTIONAL_SEQUENCE_LSTM */                     \
  X(Detection)     /* TFLite_Detection_PostProcess (custom op) */ \
  X(Slice)         /* MAXIMUM, MINIMUM, SLICE, STRIDED_SLICE, PACK, UNPACK */ \
  X(Bilinear)      /* RESIZE_BILINEAR as the accelerator maps it */          \
  X(TransposeConv) /* TRANSPOSE_CONV */                                      \
  X(L2Norm)        /* L2_NORMALIZATION */

#define SYSTOLE_DECLARE_FAMILY(name) void Add##name##Cases(OpCaseList* cases);
SYSTOLE_OP_CASE_FAMILIES(SYSTOLE_DECLARE_FAMILY)
#undef SYSTOLE_DECLARE_FAMILY

// Every case of every family, in a stable order.
OpCaseList AllOpCases();

}  // namespace testing
}  // namespace systole

#endif  // SYSTOLE_TESTS_OP_CASES_OP_CASE_H_
