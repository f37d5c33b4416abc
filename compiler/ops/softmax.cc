// SOFTMAX over the last dimension: the scalar softmax unit (binary32) with
// TFLite's own exponent table.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "common/fixed_point.h"
#include "common/float32.h"
#include "compiler/ops/op.h"
#include "interpreter/quant_arith.h"
#include "schema/tflite_generated.h"

namespace systole::compiler {

Status CheckSoftmax(const OpChecker& op) {
  // The SOFTMAX instruction (binary32 unit), over the last dimension.
  RETURN_IF_ERROR(op.LastAxisRows(65535, "softmax axis"));
  const TfLiteTensor* in = op.In(0);
  const TfLiteTensor* out = op.Out(0);
  if (in->type == kTfLiteInt8 &&
      (out->params.zero_point != -128 || std::fabs(out->params.scale - 1.f / 256) > 0.001f / 256))
    return op.Fail("INT8 output must have zero point -128 and scale 1/256 (TFLite's requirement)");
  const float beta = op.node()->builtin_data == nullptr
                         ? 1.0f
                         : static_cast<const TfLiteSoftmaxParams*>(op.node()->builtin_data)->beta;
  float table[256];
  quant_arith::SoftmaxTable(in->params.scale, beta, table);
  for (float v : table)
    if (!(v >= 0.0f && v <= 1.0f))
      return op.Fail(StrFormat("exponent table leaves [0, 1] (input scale %g, beta %g): TFLite's float "
                            "result would overflow its integer conversion",
                            static_cast<double>(in->params.scale), static_cast<double>(beta)));
  // Probabilities reach 1 / output_scale; keep them far inside int32 so
  // TFLite's float -> int conversion is defined.
  if (!(out->params.scale >= 1.0f / (1 << 30) && out->params.scale <= 1e30f))
    return op.Fail(StrFormat("output scale %g outside [2^-30, 1e30]", static_cast<double>(out->params.scale)));
  return Status::Ok();
}

Status PlanSoftmax(PartitionCompiler&, int, LayoutPhase) { return Status::Ok(); }  // no layout needs

// SOFTMAX over the last dimension (C): one instruction per run of pixels
// whose C-vectors are contiguous in both views, at most 65535 rows each. The
// exponent table is TFLite's own (quant_arith::SoftmaxTable), as float32.
Status LowerSoftmax(PartitionCompiler& pc, int step, OpCode* oc) {
  const TfLiteTensor* in_t = pc.T(pc.in(step, 0));
  const TfLiteTensor* out_t = pc.T(pc.out(step));
  const auto* p = static_cast<const TfLiteSoftmaxParams*>(pc.node(step)->builtin_data);
  float table[256];
  quant_arith::SoftmaxTable(in_t->params.scale, p == nullptr ? 1.0f : p->beta, table);
  const uint32_t table_addr = static_cast<uint32_t>(oc->params.size());
  for (float v : table) {
    const uint32_t b = f32::Bits(v);
    for (int k = 0; k < 4; ++k) oc->params.push_back(static_cast<uint8_t>(b >> (8 * k)));
  }
  const View& a = pc.ts_[pc.in(step, 0)].view;
  const View& o = pc.ts_[pc.out(step)].view;
  const bool pixels_contiguous = a.pix_pitch == a.c && o.pix_pitch == o.c;
  const bool rows_contiguous = pixels_contiguous && a.row_pitch == int64_t{a.w} * a.c &&
                               o.row_pitch == int64_t{o.w} * o.c;
  const int64_t total = int64_t{o.h} * o.w;  // rows of the softmax
  const int64_t run = rows_contiguous ? total : pixels_contiguous ? o.w : 1;
  for (int64_t first = 0; first < total; first += run) {
    const int64_t y = first / o.w, x = first % o.w;
    for (int64_t done = 0; done < run; done += 65535) {
      isa::SoftmaxArgs s;
      s.m = static_cast<uint32_t>(std::min<int64_t>(65535, run - done));
      s.len = static_cast<uint32_t>(o.c);
      s.trunc_round = out_t->type == kTfLiteUInt8;
      s.src = static_cast<uint32_t>(pc.Addr(a, y, x) + done * a.c);
      s.dst = static_cast<uint32_t>(pc.Addr(o, y, x) + done * o.c);
      s.table_addr = table_addr;
      s.scale = f32::Bits(out_t->params.scale);
      s.out_zp = out_t->type == kTfLiteUInt8 ? -128 : out_t->params.zero_point;
      oc->compute.push_back(Instruction{{}, s});
    }
  }
  return Status::Ok();
}

}  // namespace systole::compiler
