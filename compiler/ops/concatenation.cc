// CONCATENATION by VLUT copies (identity, or UINT8 requantization tabulated
// from the CPU kernel).
#include <algorithm>
#include <cstdint>
#include <vector>

#include "common/fixed_point.h"
#include "compiler/lut.h"
#include "compiler/ops/op.h"
#include "interpreter/quant_arith.h"
#include "schema/tflite_generated.h"

namespace systole::compiler {

Status CheckConcatenation(const OpChecker& op) {
  const int n = op.node()->inputs->size;
  if (n < 1) return op.Fail("no inputs");
  RETURN_IF_ERROR(op.Activations(n));
  const auto* p = static_cast<const TfLiteConcatenationParams*>(op.node()->builtin_data);
  if (p != nullptr && p->activation != kTfLiteActNone) return op.Fail("fused activation");
  for (int i = 0; i < n; ++i) {
    const bool same = op.In(i)->params.scale == op.Out(0)->params.scale &&
                      op.In(i)->params.zero_point == op.Out(0)->params.zero_point;
    if (!same && op.Out(0)->type != kTfLiteUInt8)
      return op.Fail("INT8 inputs with quantization different from the output (TFLite refuses it)");
  }
  return Status::Ok();
}

Status PlanConcatenation(PartitionCompiler&, int, LayoutPhase) { return Status::Ok(); }  // no layout needs

// CONCATENATION: for each slice of the output before the axis, each input's
// block is copied into place by VLUT (identity, or UINT8 requantization
// tabulated from the CPU kernel).
Status LowerConcatenation(PartitionCompiler& pc, int step, OpCode* oc) {
  const TfLiteTensor* output = pc.T(pc.out(step));
  const std::vector<int> od = Dims(output);
  const auto* p = static_cast<const TfLiteConcatenationParams*>(pc.node(step)->builtin_data);
  int axis = p ? p->axis : 0;
  if (axis < 0) axis += static_cast<int>(od.size());
  int64_t outer = 1;
  for (int d = 0; d < axis; ++d) outer *= od[d];
  int64_t out_inner = 1;
  for (size_t d = axis; d < od.size(); ++d) out_inner *= od[d];
  const View& ov = pc.ts_[pc.out(step)].view;
  int64_t offset = 0;
  for (int i = 0; i < pc.node(step)->inputs->size; ++i) {
    const TfLiteTensor* input = pc.T(pc.in(step, i));
    const View& iv = pc.ts_[pc.in(step, i)].view;
    const int64_t inner = NumElements(input) / std::max<int64_t>(outer, 1);
    std::vector<uint8_t> table(256);
    const bool same = input->params.scale == output->params.scale &&
                      input->params.zero_point == output->params.zero_point;
    if (same) {
      table = IdentityLut();
    } else {
      ASSIGN_OR_RETURN(table, BuildLutFor(pc.opts_.flavor, input, output, tflite::BuiltinOperator_CONCATENATION,
                                          StrFormat("%s input %d", pc.OpLabel(step).c_str(), i)));
    }
    const uint32_t lut = static_cast<uint32_t>(oc->params.size());
    oc->params.insert(oc->params.end(), table.begin(), table.end());
    for (int64_t o = 0; o < outer; ++o) pc.CopyRuns(iv, o * inner, ov, o * out_inner + offset, inner, lut, oc);
    offset += inner;
  }
  return Status::Ok();
}

}  // namespace systole::compiler
