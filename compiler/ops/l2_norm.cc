// L2_NORMALIZATION over the last dimension: the scalar VL2NORM unit (ISA 5),
// TFLite's fixed-point kernel (sum of squares, GetInvSqrtQuantizedMultiplierExp,
// per-element rescale) in hardware; bit-exact with
// interpreter/kernels/l2norm.cc.
#include <algorithm>
#include <cstdint>

#include "compiler/ops/op.h"
#include "schema/tflite_generated.h"

namespace systole::compiler {

Status CheckL2Norm(const OpChecker& op) {
  RETURN_IF_ERROR(op.LastAxisRows(isa::kVl2normLenMax, "normalized axis", " (the int32 sum of squares)"));
  const TfLiteTensor* in = op.In(0);
  const TfLiteTensor* out = op.Out(0);
  const auto* p = static_cast<const TfLiteL2NormParams*>(op.node()->builtin_data);
  if (p != nullptr && p->activation != kTfLiteActNone) return op.Fail("fused activation must be NONE");
  const int32_t want_zp = in->type == kTfLiteInt8 ? 0 : 128;
  if (out->params.scale != 1.0f / 128.0f || out->params.zero_point != want_zp)
    return op.Fail(StrFormat("output must have scale 1/128 and zero point %d (TFLite's requirement)", want_zp));
  return Status::Ok();
}

Status PlanL2Norm(PartitionCompiler&, int, LayoutPhase) { return Status::Ok(); }  // no layout needs

// One VL2NORM per run of pixels whose C-vectors are contiguous in both views,
// at most 65535 rows each (as SOFTMAX). UINT8 lives on the device as v - 128,
// so the zero point does too: x - zp is unchanged.
Status LowerL2Norm(PartitionCompiler& pc, int step, OpCode* oc) {
  const TfLiteTensor* in_t = pc.T(pc.in(step, 0));
  const View& a = pc.ts_[pc.in(step, 0)].view;
  const View& o = pc.ts_[pc.out(step)].view;
  const bool u8 = in_t->type == kTfLiteUInt8;
  const int32_t zp = in_t->params.zero_point - (u8 ? 128 : 0);
  if (zp < -128 || zp > 127) return pc.OpError(step, StrFormat("input zero point %d outside the type's range", zp));
  const bool pixels_contiguous = a.pix_pitch == a.c && o.pix_pitch == o.c;
  const bool rows_contiguous = pixels_contiguous && a.row_pitch == int64_t{a.w} * a.c &&
                               o.row_pitch == int64_t{o.w} * o.c;
  const int64_t total = int64_t{o.h} * o.w;
  const int64_t run = rows_contiguous ? total : pixels_contiguous ? o.w : 1;
  for (int64_t first = 0; first < total; first += run) {
    const int64_t y = first / o.w, x = first % o.w;
    for (int64_t done = 0; done < run; done += 65535) {
      isa::Vl2normArgs s;
      s.m = static_cast<uint32_t>(std::min<int64_t>(65535, run - done));
      s.len = static_cast<uint32_t>(o.c);
      s.uint8 = u8;
      s.src = static_cast<uint32_t>(pc.Addr(a, y, x) + done * a.c);
      s.dst = static_cast<uint32_t>(pc.Addr(o, y, x) + done * o.c);
      s.in_zp = zp;
      oc->compute.push_back(Instruction{{}, s});
    }
  }
  return Status::Ok();
}

}  // namespace systole::compiler
