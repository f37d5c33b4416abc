// SPLIT by identity VLUT copies.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "common/fixed_point.h"
#include "compiler/ops/op.h"
#include "interpreter/quant_arith.h"
#include "schema/tflite_generated.h"

namespace systole::compiler {

Status CheckSplit(const OpChecker& op) {
  const TfLiteTensor* axis = op.In(0);
  const TfLiteTensor* in = op.In(1);
  if (axis == nullptr || in == nullptr || !IsConstant(axis) || axis->type != kTfLiteInt32 ||
      NumElements(axis) != 1)
    return op.Fail("axis must be a constant INT32 scalar");
  if (!IsInt8Or8(in) || IsConstant(in)) return op.Fail("input must be an INT8/UINT8 activation");
  for (int i = 0; i < op.node()->outputs->size; ++i)
    if (op.Out(i)->type != in->type) return op.Fail("outputs must have the input's type");
  if (NumElements(in) > op.hw().abuf_bytes) return op.Fail("tensor does not fit the activation buffer");
  return Status::Ok();
}

Status PlanSplit(PartitionCompiler&, int, LayoutPhase) { return Status::Ok(); }  // no layout needs

// SPLIT: each output's block of every outer slice copied out of the input.
Status LowerSplit(PartitionCompiler& pc, int step, OpCode* oc) {
  const TfLiteTensor* input = pc.T(pc.in(step, 1));
  const std::vector<int> id = Dims(input);
  int axis = pc.T(pc.in(step, 0))->data.i32[0];
  if (axis < 0) axis += static_cast<int>(id.size());
  int64_t outer = 1;
  for (int d = 0; d < axis; ++d) outer *= id[d];
  const int64_t in_inner = NumElements(input) / std::max<int64_t>(outer, 1);
  const uint32_t lut = AddIdentityLut(&oc->params);
  const View& iv = pc.ts_[pc.in(step, 1)].view;
  int64_t offset = 0;
  for (int i = 0; i < pc.node(step)->outputs->size; ++i) {
    const int t = pc.node(step)->outputs->data[i];
    const int64_t inner = NumElements(pc.T(t)) / std::max<int64_t>(outer, 1);
    for (int64_t o = 0; o < outer; ++o) pc.CopyRuns(iv, o * in_inner + offset, pc.ts_[t].view, o * inner, inner, lut, oc);
    offset += inner;
  }
  return Status::Ok();
}

}  // namespace systole::compiler
