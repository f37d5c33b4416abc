// MAXIMUM, MINIMUM on the pool unit, with no ISA change. TFLite compares the
// raw stored values (no requantization, whatever the scales), and UINT8
// values live on chip as value - 128, which keeps their order, so an
// element-wise max of device values is TFLite's result bit for bit:
//   MAXIMUM: MAXPOOLs with a 2x1 window whose two rows are the operands
//            (win_row_stride = the distance between them);
//   MINIMUM: min(a, b) = ~max(~a, ~b) (~x = -x - 1 reverses the int8 order
//            exactly): both operands through a NOT VLUT, the MAXPOOL, and
//            the result through the NOT VLUT again.
// The operands are first copied side by side into a scratch buffer (a
// broadcast operand expanded by identity copies, as ADD/SUB/MUL do): the pool
// unit reads the 2x1 windows from there, and its output may not overlap the
// span of its windows. One operand may be a constant.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "compiler/ops/op.h"
#include "schema/tflite_generated.h"

namespace systole::compiler {
namespace {

bool IsMinimum(int32_t code) { return code == tflite::BuiltinOperator_MINIMUM; }
// Output-sized scratch slots: the two operands, and MINIMUM's inverted max.
int ScratchCopies(int32_t code) { return IsMinimum(code) ? 3 : 2; }

// Entry i: the device value ~(i - 128) = 127 - i.
uint32_t AddNotLut(std::vector<uint8_t>* params) {
  const uint32_t at = static_cast<uint32_t>(params->size());
  for (int i = 0; i < 256; ++i) params->push_back(static_cast<uint8_t>(static_cast<int8_t>(127 - i)));
  return at;
}

// dst[k] = max(x[k], y[k]) for k < len (flat ABUF runs), as MAXPOOLs of a
// 2x1 window over n-channel pixels.
void EmitMax(uint32_t x, uint32_t y, uint32_t dst, int64_t len, int cols, OpCode* oc) {
  uint32_t lo = std::min(x, y);
  const uint32_t gap = std::max(x, y) - lo;
  while (len > 0) {
    const int64_t n = std::min<int64_t>(cols, len);
    const int64_t m = std::min<int64_t>(len / n, 65535);
    isa::MaxpoolArgs a;
    a.m = static_cast<uint32_t>(m);
    a.n = static_cast<uint32_t>(n);
    a.kh = 2;
    a.kw = 1;
    a.a_addr = lo;
    a.dst_addr = dst;
    a.a_inner_count = static_cast<uint32_t>(m);
    a.a_inner_stride = static_cast<uint32_t>(n);
    a.dst_stride = static_cast<uint32_t>(n);
    a.win_row_stride = gap;
    oc->compute.push_back(Instruction{{}, a});
    const uint32_t done = static_cast<uint32_t>(m * n);
    len -= done;
    lo += done;
    dst += done;
  }
}

}  // namespace

Status CheckMaxMin(const OpChecker& op) {
  RETURN_IF_ERROR(op.Activations(2, /*constants_ok=*/true));
  if (IsConstant(op.In(0)) && IsConstant(op.In(1))) return op.Fail("both inputs are constants");
  const std::vector<int> a = Dims(op.In(0)), b = Dims(op.In(1)), o = Dims(op.Out(0));
  for (const auto* d : {&a, &b}) {
    if (*d == o) continue;
    if (o.size() > 4 || d->size() > o.size()) return op.Fail(StrFormat("broadcast of rank %zu above 4", o.size()));
    for (size_t k = 0; k < o.size(); ++k) {
      const int dk = k + d->size() >= o.size() ? (*d)[k + d->size() - o.size()] : 1;
      if (dk != o[k] && dk != 1) return op.Fail("input shapes do not broadcast to the output shape");
    }
  }
  const int scratch = ScratchCopies(op.code());
  const int64_t need = (1 + scratch) * NumElements(op.Out(0));
  if (need > op.hw().abuf_bytes)
    return op.Fail(StrFormat("the output and %d scratch copies of it (%lld bytes) do not fit the activation buffer",
                             scratch, static_cast<long long>(need)));
  return Status::Ok();
}

// A constant operand is loaded into ABUF with the inputs. One scratch buffer
// alive in this step only (key (step, 0) of expand_root_), ScratchCopies()
// outputs long: the two operands side by side (the pool unit's windows span
// both, and its output must lie outside them), and for MINIMUM the inverted
// maximum.
Status PlanMaxMin(PartitionCompiler& pc, int step, LayoutPhase phase) {
  if (phase == LayoutPhase::kGraph) {
    for (int i = 0; i < 2; ++i) {
      const int t = pc.in(step, i);
      if (t < 0 || !IsConstant(pc.T(t))) continue;
      pc.ts_[t].is_const = true;
      pc.ts_[t].consumers.push_back(step);
    }
  } else if (phase == LayoutPhase::kScratch) {
    const int64_t total = NumElements(pc.T(pc.out(step)));
    Root r;
    r.bytes = ScratchCopies(pc.code(step)) * total;
    r.first = r.last = step;
    r.uses = {step};
    r.pinned = true;
    const Geometry g = GeometryOf(pc.T(pc.out(step)));
    r.hb = ScratchCopies(pc.code(step)) * g.h, r.wb = g.w, r.c = g.c;  // the slots stacked along H
    r.in_h = r.hb, r.in_w = g.w;
    pc.roots_.push_back(r);
    pc.expand_root_[{step, 0}] = static_cast<int>(pc.roots_.size()) - 1;
  }
  return Status::Ok();
}

Status LowerMaxMin(PartitionCompiler& pc, int step, OpCode* oc) {
  const TfLiteTensor* out = pc.T(pc.out(step));
  const View& o = pc.ts_[pc.out(step)].view;
  const int64_t total = NumElements(out);
  // Flat, output-shaped slot k of the scratch buffer.
  auto slot = [&](int k) {
    return View{pc.expand_root_.at({step, 0}), k * total, int64_t{o.w} * o.c, o.c, o.h, o.w, o.c};
  };
  const bool is_min = IsMinimum(pc.code(step));
  isa::SetregArgs clamp;
  clamp.vreg = static_cast<uint32_t>(isa::VReg::kActMin);
  clamp.count = 2;
  clamp.value0 = static_cast<uint32_t>(-128);
  clamp.value1 = 127;
  oc->compute.push_back(Instruction{{}, clamp});
  const View s0 = slot(0), s1 = slot(1);
  const uint32_t a0 = static_cast<uint32_t>(pc.Addr(s0, 0, 0));
  const uint32_t a1 = static_cast<uint32_t>(pc.Addr(s1, 0, 0));
  const uint32_t id_lut = AddIdentityLut(&oc->params);
  const uint32_t not_lut = is_min ? AddNotLut(&oc->params) : id_lut;
  // Operand i (broadcast-expanded; inverted for MINIMUM) into slot i.
  for (int i = 0; i < 2; ++i) {
    const View& src = pc.ts_[pc.in(step, i)].view;
    const View dst = slot(i);
    const std::vector<int> sd = Dims(pc.T(pc.in(step, i)));
    if (sd == Dims(out)) {
      pc.CopyRuns(src, 0, dst, 0, total, not_lut, oc);
    } else if (!is_min) {
      pc.ExpandBroadcast(src, sd, dst, Dims(out), oc);
    } else {
      const View tmp = slot(2);  // free until the maximum is written
      pc.ExpandBroadcast(src, sd, tmp, Dims(out), oc);
      pc.CopyRuns(tmp, 0, dst, 0, total, not_lut, oc);
    }
  }
  if (!is_min) {
    const auto flat = int64_t{o.w} * o.c == o.row_pitch;
    const int rows = flat ? 1 : o.h;
    const int64_t len = flat ? total : int64_t{o.w} * o.c;
    for (int r = 0; r < rows; ++r)
      EmitMax(a0 + static_cast<uint32_t>(r * len), a1 + static_cast<uint32_t>(r * len),
              static_cast<uint32_t>(pc.Addr(o, r, 0)), len, pc.C_, oc);
    return Status::Ok();
  }
  const View s2 = slot(2);
  EmitMax(a0, a1, static_cast<uint32_t>(pc.Addr(s2, 0, 0)), total, pc.C_, oc);
  pc.CopyRuns(s2, 0, o, 0, total, not_lut, oc);
  return Status::Ok();
}

}  // namespace systole::compiler
