// RESHAPE and SQUEEZE: an alias of the input's bytes when it is contiguous
// (PlanReshape), else an identity VLUT copy in flat element order.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "common/fixed_point.h"
#include "compiler/ops/op.h"
#include "interpreter/quant_arith.h"
#include "schema/tflite_generated.h"

namespace systole::compiler {

Status CheckReshape(const OpChecker& op) {
  if (op.node()->outputs->size != 1 || op.In(0) == nullptr) return op.Fail("needs one input and one output");
  const TfLiteTensor* in = op.In(0);
  const TfLiteTensor* out = op.Out(0);
  if (!IsInt8Or8(out) || in->type != out->type) return op.Fail("needs INT8/UINT8 input and output of one type");
  if (IsConstant(in)) return op.Fail("input is a constant tensor");
  if (NumElements(in) > op.hw().abuf_bytes) return op.Fail("tensor does not fit the activation buffer");
  return Status::Ok();
}

// The output aliases a contiguous input without a border.
Status PlanReshape(PartitionCompiler& pc, int step, LayoutPhase phase) {
  if (phase != LayoutPhase::kView) return Status::Ok();
  const int t = pc.out(step);
  TensorState& st = pc.ts_[t];
  const TensorState& src = pc.ts_[pc.in(step, 0)];
  if (src.has_view && pc.Plain(src.view) && st.bt + st.bb + st.bl + st.br == 0 &&
      !pc.roots_[src.view.root].needs_fill) {
    const Geometry g = GeometryOf(pc.T(t));
    st.view = View{src.view.root, 0, int64_t{g.w} * g.c, g.c, g.h, g.w, g.c};
    st.has_view = true;
    pc.aliased_copies_.insert(step);
  }
  return Status::Ok();
}

Status LowerReshape(PartitionCompiler& pc, int step, OpCode* oc) {
  if (pc.aliased_copies_.count(step)) return Status::Ok();
  const uint32_t lut = AddIdentityLut(&oc->params);
  const View& a = pc.ts_[pc.in(step, 0)].view;
  const View& o = pc.ts_[pc.out(step)].view;
  pc.CopyRuns(a, 0, o, 0, int64_t{a.h} * a.w * a.c, lut, oc);
  return Status::Ok();
}

}  // namespace systole::compiler
