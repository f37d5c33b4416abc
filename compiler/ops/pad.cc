// PAD of H and W: free when fused (its input is laid out in the interior of
// the output: PlanPad), else an identity VLUT copy into the interior; the
// margins are filled when the output buffer comes alive.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "common/fixed_point.h"
#include "compiler/ops/op.h"
#include "interpreter/quant_arith.h"
#include "schema/tflite_generated.h"

namespace systole::compiler {

Status CheckPad(const OpChecker& op) {
  RETURN_IF_ERROR(op.Activations(1));
  RETURN_IF_ERROR(op.Image(op.In(0), "input"));
  const TfLiteTensor* pads = op.In(1);
  if (pads == nullptr || !IsConstant(pads) || pads->type != kTfLiteInt32 || NumElements(pads) != 8)
    return op.Fail("paddings must be a constant INT32 [4, 2] tensor");
  const int32_t* pd = pads->data.i32;
  if (pd[0] || pd[1] || pd[6] || pd[7]) return op.Fail("padding of the batch or channel dimension");
  for (int i = 0; i < 8; ++i)
    if (pd[i] < 0) return op.Fail("negative padding");
  return Status::Ok();
}

// The output is always a root whose margins are filled with the output zero
// point (TFLite pads quantized tensors with it). When the input has no other
// reader and needs no border of its own, it is laid out in the output's
// interior (fused: the PAD costs only the fill).
Status PlanPad(PartitionCompiler& pc, int step, LayoutPhase phase) {
  const int32_t* pd = pc.T(pc.in(step, 1))->data.i32;
  switch (phase) {
    case LayoutPhase::kFuse: {
      const int i = pc.in(step, 0);
      const TensorState& st = pc.ts_[i];
      const TensorState& o = pc.ts_[pc.out(step)];
      const bool dma_written = st.input_dma || st.between_op_dma;  // must stay plain
      if (!dma_written && st.consumers.size() == 1 && !st.is_output && st.bt + st.bb + st.bl + st.br == 0 &&
          o.bt + o.bb + o.bl + o.br == 0) {
        pc.fused_pads_.insert(step);
        pc.interior_[i] = Interior{pc.out(step), pd[2], pd[4]};
      }
      return Status::Ok();
    }
    case LayoutPhase::kRoots:  // before its fused input's view
      pc.MakeRoot(pc.out(step));
      return Status::Ok();
    case LayoutPhase::kFinish: {
      Root& r = pc.roots_[pc.ts_[pc.out(step)].view.root];
      const Geometry gi = GeometryOf(pc.T(pc.in(step, 0)));
      r.in_y += pd[2];
      r.in_x += pd[4];
      r.in_h = gi.h;
      r.in_w = gi.w;
      r.needs_fill = true;
      r.fill = DeviceZeroPoint(pc.T(pc.out(step)));
      return Status::Ok();
    }
    default:
      return Status::Ok();
  }
}

Status LowerPad(PartitionCompiler& pc, int step, OpCode* oc) {
  if (pc.fused_pads_.count(step)) return Status::Ok();
  const uint32_t lut = AddIdentityLut(&oc->params);
  const View& a = pc.ts_[pc.in(step, 0)].view;
  View o = pc.ts_[pc.out(step)].view;
  const int32_t* pd = pc.T(pc.in(step, 1))->data.i32;
  o.offset += int64_t{pd[2]} * o.row_pitch + int64_t{pd[4]} * o.pix_pitch;
  o.h = a.h, o.w = a.w;
  pc.CopyRuns(a, 0, o, 0, int64_t{a.h} * a.w * a.c, lut, oc);
  return Status::Ok();
}

}  // namespace systole::compiler
