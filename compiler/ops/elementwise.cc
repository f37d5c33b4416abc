// ADD, SUB, MUL: SETREG x 4 + VADD/VSUB/VMUL with TFLite's rescale
// multipliers. One operand may be a constant (loaded into ABUF with the
// inputs); a broadcast operand is first expanded into a scratch buffer by
// identity VLUT copies.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "common/fixed_point.h"
#include "compiler/ops/op.h"
#include "interpreter/quant_arith.h"
#include "schema/tflite_generated.h"

namespace systole::compiler {

Status CheckElementwise(const OpChecker& op) {
  // Same-shape operands that are both activations can run in row bands.
  const bool tileable = op.In(0) != nullptr && op.In(1) != nullptr && !IsConstant(op.In(0)) &&
                        !IsConstant(op.In(1)) && Dims(op.In(0)) == Dims(op.Out(0)) &&
                        Dims(op.In(1)) == Dims(op.Out(0)) && Dims(op.Out(0)).size() == 4 &&
                        Dims(op.Out(0))[0] == 1;
  RETURN_IF_ERROR(op.Activations(2, /*constants_ok=*/true, tileable));
  if (tileable) {
    const std::vector<int> o = Dims(op.Out(0));
    RETURN_IF_ERROR(op.BandFits(6 * ((int64_t{o[2]} * o[3] + 63) / 64 * 64)));
  }
  if (IsConstant(op.In(0)) && IsConstant(op.In(1))) return op.Fail("both inputs are constants");
  if (Dims(op.In(0)) != Dims(op.In(1))) {
    // Broadcasting: the smaller operand is expanded on chip by copies.
    const std::vector<int> a = Dims(op.In(0)), b = Dims(op.In(1)), o = Dims(op.Out(0));
    if (o.size() > 4 || a.size() > o.size() || b.size() > o.size())
      return op.Fail(StrFormat("broadcast of rank %zu above 4", o.size()));
    for (size_t k = 0; k < o.size(); ++k) {
      const int da = k + a.size() >= o.size() ? a[k + a.size() - o.size()] : 1;
      const int db = k + b.size() >= o.size() ? b[k + b.size() - o.size()] : 1;
      if ((da != o[k] && da != 1) || (db != o[k] && db != 1))
        return op.Fail("input shapes do not broadcast to the output shape");
    }
    if (2 * NumElements(op.Out(0)) > op.hw().abuf_bytes)
      return op.Fail("the expanded operand and the output do not fit the activation buffer");
  } else if (Dims(op.In(0)) != Dims(op.Out(0))) {
    return op.Fail("output shape differs from the inputs'");
  }
  const void* d = op.node()->builtin_data;
  const TfLiteFusedActivation a =
      d == nullptr ? kTfLiteActNone
                   : op.code() == tflite::BuiltinOperator_ADD ? static_cast<const TfLiteAddParams*>(d)->activation
                     : op.code() == tflite::BuiltinOperator_SUB ? static_cast<const TfLiteSubParams*>(d)->activation
                                                               : static_cast<const TfLiteMulParams*>(d)->activation;
  return op.Activation(a);
}

// A constant operand is loaded into ABUF with the inputs; a broadcast
// operand is expanded into a scratch buffer alive in this step only.
Status PlanElementwise(PartitionCompiler& pc, int step, LayoutPhase phase) {
  if (phase == LayoutPhase::kGraph) {
    for (int i = 0; i < 2; ++i) {
      const int t = pc.in(step, i);
      if (t < 0 || !IsConstant(pc.T(t))) continue;
      pc.ts_[t].is_const = true;
      pc.ts_[t].consumers.push_back(step);
    }
  } else if (phase == LayoutPhase::kScratch) {
    for (int i = 0; i < 2; ++i) {
      if (Dims(pc.T(pc.in(step, i))) == Dims(pc.T(pc.out(step)))) continue;
      Root r;
      r.bytes = NumElements(pc.T(pc.out(step)));
      r.first = r.last = step;
      r.uses = {step};
      r.pinned = true;
      const Geometry g = GeometryOf(pc.T(pc.out(step)));
      r.hb = g.h, r.wb = g.w, r.c = g.c;
      r.in_h = g.h, r.in_w = g.w;
      pc.roots_.push_back(r);
      pc.expand_root_[{step, i}] = static_cast<int>(pc.roots_.size()) - 1;
    }
  }
  return Status::Ok();
}

Status LowerElementwise(PartitionCompiler& pc, int step, OpCode* oc) {
  TfLiteTensor* in1 = &pc.ctx_->tensors[pc.in(step, 0)];
  TfLiteTensor* in2 = &pc.ctx_->tensors[pc.in(step, 1)];
  TfLiteTensor* outp = &pc.ctx_->tensors[pc.out(step)];
  const int c = pc.code(step);
  const void* bd = pc.node(step)->builtin_data;
  const TfLiteFusedActivation act =
      bd == nullptr ? kTfLiteActNone
      : c == tflite::BuiltinOperator_ADD ? static_cast<const TfLiteAddParams*>(bd)->activation
      : c == tflite::BuiltinOperator_SUB ? static_cast<const TfLiteSubParams*>(bd)->activation
                                          : static_cast<const TfLiteMulParams*>(bd)->activation;
  int32_t lo = 0, hi = 0;
  if (quant_arith::ActivationRangeQuantized(pc.ctx_, act, outp, &lo, &hi) != kTfLiteOk)
    return pc.OpError(step, "activation range");
  lo -= DeviceOffset(outp);
  hi -= DeviceOffset(outp);
  int32_t ls = 0, m1 = 0, m2 = 0, mo = 0;
  int s1 = 0, s2 = 0, so = 0;
  if (c == tflite::BuiltinOperator_MUL) {
    const double real = in1->params.scale * in2->params.scale / outp->params.scale;
    if (!QuantizeMultiplier(real, &mo, &so)) return pc.OpError(step, "output multiplier cannot be represented");
  } else {
    ls = 20;
    const double twice_max = 2 * std::max(in1->params.scale, in2->params.scale);
    const double r1 = in1->params.scale / twice_max, r2 = in2->params.scale / twice_max;
    const double ro = twice_max / ((1 << ls) * outp->params.scale);
    if (!QuantizeMultiplierSmallerThanOneExp(r1, &m1, &s1) || !QuantizeMultiplierSmallerThanOneExp(r2, &m2, &s2) ||
        !QuantizeMultiplierSmallerThanOneExp(ro, &mo, &so))
      return pc.OpError(step, "rescale multipliers cannot be represented");
  }
  if (so < -31 || so > 31 || s1 < -31 || s2 < -31) return pc.OpError(step, "shift outside [-31, 31]");
  auto setreg = [&](isa::VReg r, int32_t a, int32_t b, int32_t d) {
    isa::SetregArgs s;
    s.vreg = static_cast<uint32_t>(r);
    s.count = 3;
    s.value0 = a, s.value1 = b, s.value2 = d;
    oc->compute.push_back(Instruction{{}, s});
  };
  setreg(isa::VReg::kIn1Zp, DeviceZeroPoint(in1), DeviceZeroPoint(in2), DeviceZeroPoint(outp));
  setreg(isa::VReg::kActMin, lo, hi, ls);
  setreg(isa::VReg::kIn1Mult, m1, s1, m2);
  setreg(isa::VReg::kIn2Shift, s2, mo, so);
  View a = pc.ts_[pc.in(step, 0)].view;
  View b = pc.ts_[pc.in(step, 1)].view;
  const View& o = pc.ts_[pc.out(step)].view;
  for (int i = 0; i < 2; ++i) {
    auto it = pc.expand_root_.find({step, i});
    if (it == pc.expand_root_.end()) continue;
    const View src = i == 0 ? a : b;
    View dst{it->second, 0, int64_t{o.w} * o.c, o.c, o.h, o.w, o.c};
    pc.ExpandBroadcast(src, Dims(pc.T(pc.in(step, i))), dst, Dims(outp), oc);
    (i == 0 ? a : b) = dst;
  }
  const bool flat = a.row_pitch == int64_t{a.w} * a.c && b.row_pitch == int64_t{b.w} * b.c &&
                    o.row_pitch == int64_t{o.w} * o.c;
  const int rows = flat ? 1 : o.h;
  const int64_t len = flat ? int64_t{o.h} * o.w * o.c : int64_t{o.w} * o.c;
  for (int y = 0; y < rows; ++y) {
    const uint32_t s1a = static_cast<uint32_t>(pc.Addr(a, y, 0)), s2a = static_cast<uint32_t>(pc.Addr(b, y, 0));
    const uint32_t d = static_cast<uint32_t>(pc.Addr(o, y, 0));
    if (c == tflite::BuiltinOperator_ADD) oc->compute.push_back(Instruction{{}, isa::VaddArgs{uint32_t(len), s1a, s2a, d}});
    else if (c == tflite::BuiltinOperator_SUB) oc->compute.push_back(Instruction{{}, isa::VsubArgs{uint32_t(len), s1a, s2a, d}});
    else oc->compute.push_back(Instruction{{}, isa::VmulArgs{uint32_t(len), s1a, s2a, d}});
  }
  return Status::Ok();
}

}  // namespace systole::compiler
