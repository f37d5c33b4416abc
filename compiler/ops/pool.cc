// AVERAGE_POOL_2D and MAX_POOL_2D: AVGPOOL / MAXPOOL, SAME edges as separate
// instructions with clipped windows. UINT8 average pooling (TFLite rounds half
// up) sums with VMACC and divides exactly in POSTPROC.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "common/fixed_point.h"
#include "compiler/ops/op.h"
#include "interpreter/quant_arith.h"
#include "schema/tflite_generated.h"

namespace systole::compiler {
namespace {

// TFLite's UINT8 average pooling rounds half up, the AVGPOOL unit half away
// from zero: VMACC sums each window (weights 1), POSTPROC divides exactly.
Status LowerUint8Average(PartitionCompiler& pc, int step, const TfLitePoolParams* p, const View& iv, const View& ov,
                         int oh, int ow, int32_t lo, int32_t hi, OpCode* oc) {
  const int ch = iv.c;
  const int64_t sw_b = int64_t{p->stride_width} * iv.pix_pitch;
  const int64_t sh_b = int64_t{p->stride_height} * iv.row_pitch;
  const int n_win = p->filter_height * p->filter_width;
  int32_t mult = 0;
  int shift = 0;
  if (!FindRoundingDivisor(n_win, 255 * int64_t{n_win}, &mult, &shift))
    return pc.OpError(step, "no exact divisor");
  std::vector<uint8_t>& P = oc->params;
  const uint32_t ones = static_cast<uint32_t>(P.size());
  for (int i = 0; i < pc.C_; ++i) P.push_back(1);
  // Bias 128 * n: device values are value - 128.
  const std::vector<uint32_t> tile_at = AddRequantTiles(
      &P, ch, pc.C_, [&](int) { return 128 * n_win; }, [&](int) { return mult; }, [&](int) { return shift; });
  if (ow > static_cast<int>(pc.hw_.acc_rows)) return pc.OpError(step, "output row longer than the accumulator");
  const std::vector<std::pair<int, int>> blocks = pc.RowBlocks(0, oh, ow);
  for (int t = 0, c0 = 0; c0 < ch; c0 += pc.C_, ++t) {
    const int n = std::min(pc.C_, ch - c0);
    for (const auto& [oy0, rows] : blocks) {
      bool first = true;
      for (int ky = 0; ky < p->filter_height; ++ky)
        for (int kx = 0; kx < p->filter_width; ++kx) {
          isa::VmaccArgs v;
          v.m = static_cast<uint32_t>(rows * ow);
          v.n = static_cast<uint32_t>(n);
          v.accumulate = !first;
          v.a_addr = static_cast<uint32_t>(pc.Addr(iv, int64_t{oy0} * p->stride_height + ky, kx) + c0);
          v.a_inner_count = static_cast<uint32_t>(ow);
          v.a_inner_stride = static_cast<uint32_t>(sw_b);
          v.a_outer_stride = static_cast<uint32_t>(sh_b);
          v.w_addr = ones;
          oc->compute.push_back(Instruction{{}, v});
          first = false;
        }
      pc.EmitPostproc(ov, oy0, rows, ow, c0, n, tile_at[t], -128, lo, hi, Requant::kSingle, oc);
    }
  }
  return Status::Ok();
}

}  // namespace

Status CheckPool(const OpChecker& op) {
  RETURN_IF_ERROR(op.Activations(1));
  const auto* p = static_cast<const TfLitePoolParams*>(op.node()->builtin_data);
  if (p == nullptr) return op.Fail("missing options");
  RETURN_IF_ERROR(op.Image(op.In(0), "input"));
  if (op.code() == tflite::BuiltinOperator_AVERAGE_POOL_2D && op.In(0)->type == kTfLiteUInt8) {
    // TFLite rounds half up here; the accelerator sums with VMACC and divides in POSTPROC, which needs
    // every window to have the same size (no clipped SAME edges).
    const std::vector<int> d = Dims(op.In(0));
    int oh = 0, ow = 0;
    const TfLitePaddingValues pv = quant_arith::PaddingHeightWidth(
        p->stride_height, p->stride_width, 1, 1, d[1], d[2], p->filter_height, p->filter_width, p->padding,
        &oh, &ow);
    const bool clipped = pv.height != 0 || pv.width != 0 ||
                         (oh - 1) * p->stride_height + p->filter_height > d[1] ||
                         (ow - 1) * p->stride_width + p->filter_width > d[2];
    if (clipped)
      return op.Fail("UINT8 average pooling with padded (clipped) windows: TFLite rounds half up, which the "
                  "accelerator reproduces only when every window has the same size");
    int32_t m = 0;
    int sh = 0;
    const int n = p->filter_height * p->filter_width;
    if (!FindRoundingDivisor(n, 255 * int64_t{n}, &m, &sh))
      return op.Fail(StrFormat("no exact multiplier divides by the window size %d", n));
  }
  if (p->filter_height > 255 || p->filter_width > 255 || p->filter_height < 1 || p->filter_width < 1)
    return op.Fail(StrFormat("window %dx%d outside 1..255", p->filter_height, p->filter_width));
  if (op.In(0)->params.zero_point != op.Out(0)->params.zero_point ||
      op.In(0)->params.scale != op.Out(0)->params.scale)
    return op.Fail("input and output quantization differ");
  return op.Activation(p->activation);
}

Status PlanPool(PartitionCompiler&, int, LayoutPhase) { return Status::Ok(); }  // no layout needs

Status LowerPool(PartitionCompiler& pc, int step, OpCode* oc) {
  const auto* p = static_cast<const TfLitePoolParams*>(pc.node(step)->builtin_data);
  TfLiteTensor* output = &pc.ctx_->tensors[pc.out(step)];
  const bool is_max = pc.code(step) == tflite::BuiltinOperator_MAX_POOL_2D;
  const View& iv = pc.ts_[pc.in(step, 0)].view;
  const View& ov = pc.ts_[pc.out(step)].view;
  const int H = iv.h, W = iv.w, ch = iv.c;
  int oh = 0, ow = 0;
  const TfLitePaddingValues pv = quant_arith::PaddingHeightWidth(
      p->stride_height, p->stride_width, 1, 1, H, W, p->filter_height, p->filter_width, p->padding, &oh, &ow);
  int32_t lo = 0, hi = 0;
  if (quant_arith::ActivationRangeQuantized(pc.ctx_, p->activation, output, &lo, &hi) != kTfLiteOk)
    return pc.OpError(step, "activation range");
  lo -= DeviceOffset(output);
  hi -= DeviceOffset(output);
  if (!is_max && output->type == kTfLiteUInt8) return LowerUint8Average(pc, step, p, iv, ov, oh, ow, lo, hi, oc);
  isa::SetregArgs sr;
  sr.vreg = static_cast<uint32_t>(isa::VReg::kActMin);
  sr.count = 2;
  sr.value0 = lo, sr.value1 = hi;
  oc->compute.push_back(Instruction{{}, sr});
  auto emit = [&](int m, int kh, int kw, int64_t a_addr, int inner, int64_t inner_stride, int64_t outer,
                  int64_t dst) {
    for (int c0 = 0; c0 < ch; c0 += pc.C_) {
      const int n = std::min(pc.C_, ch - c0);
      auto fill = [&](auto& a) {
        a.m = static_cast<uint32_t>(m);
        a.n = static_cast<uint32_t>(n);
        a.kh = static_cast<uint32_t>(kh);
        a.kw = static_cast<uint32_t>(kw);
        a.a_addr = static_cast<uint32_t>(a_addr + c0);
        a.dst_addr = static_cast<uint32_t>(dst + c0);
        a.a_inner_count = static_cast<uint32_t>(inner);
        a.win_col_stride = static_cast<uint32_t>(iv.pix_pitch);
        a.a_inner_stride = static_cast<uint32_t>(inner_stride);
        a.dst_stride = static_cast<uint32_t>(ov.pix_pitch);
        a.a_outer_stride = static_cast<uint32_t>(outer);
        a.win_row_stride = static_cast<uint32_t>(iv.row_pitch);
      };
      if (is_max) {
        isa::MaxpoolArgs a;
        fill(a);
        oc->compute.push_back(Instruction{{}, a});
      } else {
        isa::AvgpoolArgs a;
        fill(a);
        oc->compute.push_back(Instruction{{}, a});
      }
    }
  };
  const int64_t sw_b = int64_t{p->stride_width} * iv.pix_pitch;
  const int64_t sh_b = int64_t{p->stride_height} * iv.row_pitch;
  const bool valid_all = pv.height == 0 && pv.width == 0 && (oh - 1) * p->stride_height + p->filter_height <= H &&
                         (ow - 1) * p->stride_width + p->filter_width <= W;
  const bool out_rows_contiguous = ov.row_pitch == int64_t{ow} * ov.pix_pitch;
  if (valid_all && out_rows_contiguous && int64_t{oh} * ow <= 65535 && sh_b < (1 << 24) && sw_b < (1 << 24)) {
    emit(oh * ow, p->filter_height, p->filter_width, pc.Addr(iv, 0, 0), ow, sw_b, sh_b, pc.Addr(ov, 0, 0));
    return Status::Ok();
  }
  // Clipped windows (TFLite counts only the valid cells): per output row,
  // runs of output pixels with the same clipped window.
  for (int oy = 0; oy < oh; ++oy) {
    const int iy0 = oy * p->stride_height - pv.height;
    const int fy0 = std::max(0, -iy0), fy1 = std::min(p->filter_height, H - iy0);
    if (fy1 <= fy0) return pc.OpError(step, "empty pooling window");
    int ox = 0;
    while (ox < ow) {
      const int ix0 = ox * p->stride_width - pv.width;
      const int fx0 = std::max(0, -ix0), fx1 = std::min(p->filter_width, W - ix0);
      if (fx1 <= fx0) return pc.OpError(step, "empty pooling window");
      int run = 1;
      while (ox + run < ow) {
        const int jx = (ox + run) * p->stride_width - pv.width;
        if (std::max(0, -jx) != fx0 || std::min(p->filter_width, W - jx) != fx1) break;
        ++run;
      }
      emit(run, fy1 - fy0, fx1 - fx0, pc.Addr(iv, iy0 + fy0, ix0 + fx0), run, sw_b, 0, pc.Addr(ov, oy, ox));
      ox += run;
    }
  }
  return Status::Ok();
}

}  // namespace systole::compiler
