// CheckOpSupport: the one per-operator support predicate (compiler.h). The
// rule of each op lives with its lowering in compiler/ops/<family>.cc; the
// op table (compiler/ops/op_list.inc) dispatches to it.
#include <string>

#include "compiler/compiler.h"
#include "compiler/graph.h"
#include "compiler/ops/op.h"
#include "interpreter/quant_arith.h"
#include "schema/tflite_generated.h"

namespace systole::compiler {

Status CheckOpSupport(TfLiteContext* context, int node_index, const CompileOptions& options) {
  TfLiteNode* node = nullptr;
  TfLiteRegistration* reg = nullptr;
  if (context->GetNodeAndRegistration(context, node_index, &node, &reg) != kTfLiteOk || node == nullptr ||
      reg == nullptr)
    return InvalidArgument("op %d: no such node", node_index);
  if (node->outputs == nullptr || node->inputs == nullptr || node->outputs->size < 1)
    return InvalidArgument("op %d: node without inputs/outputs", node_index);
  if (reg->builtin_code == tflite::BuiltinOperator_CUSTOM) {
    return Unimplemented("%s (op %d): custom op is not an accelerator op",
                         reg->custom_name ? reg->custom_name : "CUSTOM", node_index);
  }
  const OpChecker op(context, node_index, node, reg, options);
  // TFLite with XNNPACK computes the nodes its delegate takes with
  // XNNPACK's own operators. The accelerator reproduces its binary32
  // requantization (POSTPROC fp32: CONV_2D, DEPTHWISE_CONV_2D,
  // FULLY_CONNECTED), its q11 RESIZE_BILINEAR weights (ops/resize_bilinear.cc)
  // and tabulates QUANTIZE from the xnnpack CPU kernel; its ADD/SUB/MUL, MEAN
  // and nearest-neighbour resize arithmetic is not reproduced, so exactly
  // those nodes stay on the CPU (whose xnnpack kernels compute them).
  const int32_t code = reg->builtin_code;
  const bool device_reproduces = code == tflite::BuiltinOperator_QUANTIZE ||
                                 code == tflite::BuiltinOperator_CONV_2D ||
                                 code == tflite::BuiltinOperator_DEPTHWISE_CONV_2D ||
                                 code == tflite::BuiltinOperator_FULLY_CONNECTED ||
                                 code == tflite::BuiltinOperator_RESIZE_BILINEAR;
  if (options.flavor == TfliteFlavor::kXnnpack && !device_reproduces &&
      quant_arith::XnnpackTakesNode(context, node, code))
    return op.Fail("TFLite flavor xnnpack: XNNPACK takes this node and computes it with its own arithmetic, "
                   "which the accelerator does not reproduce yet");
  const OpEntry* entry = FindOp(reg->builtin_code);
  if (entry == nullptr)
    return op.Fail("operator not supported by the accelerator (supported: " + SupportedOpNames() + ")");
  return entry->check(op);
}

}  // namespace systole::compiler
