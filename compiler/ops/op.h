// What an op family (compiler/ops/<family>.cc) works with: the support
// checker its rule runs on, the partition state its lowering writes, and the
// op table built from compiler/ops/op_list.inc.
#ifndef SYSTOLE_COMPILER_OPS_OP_H_
#define SYSTOLE_COMPILER_OPS_OP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/tflite_flavor.h"
#include "compiler/compiler.h"
#include "compiler/partition.h"
#include "interpreter/tflite_c.h"

namespace systole::compiler {

// One node seen by CheckOpSupport, with the rules several ops share.
// Every refusal reads "<OP> (op <index>): <reason>".
class OpChecker {
 public:
  OpChecker(TfLiteContext* ctx, int node_index, const TfLiteNode* node, const TfLiteRegistration* reg,
            const CompileOptions& opts);

  TfLiteContext* context() const { return ctx_; }
  const TfLiteNode* node() const { return node_; }
  int32_t code() const { return reg_->builtin_code; }
  const sim::DeviceConfig& hw() const { return hw_; }
  TfliteFlavor flavor() const { return flavor_; }

  Status Fail(const std::string& why) const;
  // Input i, or nullptr when absent (optional input or out of range).
  const TfLiteTensor* In(int i) const;
  const TfLiteTensor* Out(int i) const;
  // Activations: int8 or uint8, not constant, same type on both sides; the
  // output fits ABUF, unless the op can run in row bands (`tileable`,
  // docs/tiling.md: its caller checks that one band fits instead).
  Status Activations(int num_inputs, bool constants_ok = false, bool tileable = false) const;
  // A row op over the last axis (SOFTMAX, L2_NORMALIZATION): one activation
  // input, a last axis of 1..max_len elements ("<axis> of N elements exceeds
  // <max_len><why>" otherwise), the output shaped as the input.
  Status LastAxisRows(int max_len, const char* axis, const char* why = "") const;
  // A tiled op's one-output-row band (double-buffered slots) fits ABUF.
  Status BandFits(int64_t one_row_bytes) const;
  // A fused activation the requantizer's clamp does.
  Status Activation(TfLiteFusedActivation a) const;
  // A 4-D batch-1 NHWC tensor.
  Status Image(const TfLiteTensor* t, const char* what) const;
  // Constant weights of the activations' type (and the optional bias) whose
  // parameters fit half of PBUF.
  Status Weights(const TfLiteTensor* w, const TfLiteTensor* in) const;

 private:
  TfLiteContext* ctx_;
  int index_;
  const TfLiteNode* node_;
  const TfLiteRegistration* reg_;
  const sim::DeviceConfig& hw_;
  TfliteFlavor flavor_;
  std::string name_;
};

const char* TypeStr(TfLiteType t);

// The per-family entry points, declared from the op list.
#define SYSTOLE_COMPILER_OP(builtin, family)                                \
  Status Check##family(const OpChecker& checker);                          \
  Status Plan##family(PartitionCompiler& pc, int step, LayoutPhase phase); \
  Status Lower##family(PartitionCompiler& pc, int step, OpCode* oc);
#include "compiler/ops/op_list.inc"
#undef SYSTOLE_COMPILER_OP

// One row of the op table.
struct OpEntry {
  int32_t builtin_code;
  const char* name;    // "CONV_2D"
  const char* family;  // "Conv": compiler/ops/conv.cc
  Status (*check)(const OpChecker&);
  Status (*plan)(PartitionCompiler&, int, LayoutPhase);
  Status (*lower)(PartitionCompiler&, int, OpCode*);
};

// Every supported op, in op_list.inc's order.
const std::vector<OpEntry>& OpTable();
// The entry of a builtin code, or nullptr when the accelerator does not run it.
const OpEntry* FindOp(int32_t builtin_code);
// "CONV_2D, DEPTHWISE_CONV_2D, ..." (the refusal message's list).
std::string SupportedOpNames();

}  // namespace systole::compiler

#endif  // SYSTOLE_COMPILER_OPS_OP_H_
