// CONV_2D and DEPTHWISE_CONV_2D. CONV_2D (and a depthwise convolution with
// depth multiplier > 1, as a block-diagonal filter) is a GEMM on the array:
// LOAD_WEIGHTS + MATMUL per (output-row block, Cout tile, tap x Cin tile),
// POSTPROC. A depthwise convolution with multiplier 1 is VMACC per tap and
// channel tile, POSTPROC. Both read the input window in place (SAME padding is
// a border filled with the input zero point: PlanConv). The depthwise taps
// run on the wide vector path (VMACC_WIDE: R pixels a cycle).
#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "common/fixed_point.h"
#include "compiler/ops/op.h"
#include "interpreter/quant_arith.h"
#include "schema/tflite_generated.h"

namespace systole::compiler {
namespace {

// LowerDepthwiseVmacc tries row blocks of an accumulator half down to
// 1/kMaxDepthwiseSplit of it.
constexpr int kMaxDepthwiseSplit = 8;

Status LowerAsGemm(PartitionCompiler& pc, int step, OpCode* oc) {
  const TfLiteTensor* input = pc.T(pc.in(step, 0));
  const TfLiteTensor* filter = pc.T(pc.in(step, 1));
  const TfLiteTensor* bias = pc.BiasOf(step);
  const TfLiteTensor* output = pc.T(pc.out(step));
  const bool dw = pc.code(step) == tflite::BuiltinOperator_DEPTHWISE_CONV_2D;
  int sh, sw, dh, dwl;
  TfLitePadding pad;
  if (dw) {
    const auto* p = static_cast<const TfLiteDepthwiseConvParams*>(pc.node(step)->builtin_data);
    sh = p->stride_height, sw = p->stride_width, dh = p->dilation_height_factor, dwl = p->dilation_width_factor;
    pad = p->padding;
  } else {
    const auto* p = static_cast<const TfLiteConvParams*>(pc.node(step)->builtin_data);
    sh = p->stride_height, sw = p->stride_width, dh = p->dilation_height_factor, dwl = p->dilation_width_factor;
    pad = p->padding;
  }
  const std::vector<int> id = Dims(input), fd = Dims(filter);
  const int cin = id[3], kh = fd[1], kw = fd[2];
  const int cout = dw ? fd[3] : fd[0];
  int oh = 0, ow = 0;
  const TfLitePaddingValues pv =
      quant_arith::PaddingHeightWidth(sh, sw, dh, dwl, id[1], id[2], kh, kw, pad, &oh, &ow);
  const View& iv = pc.ts_[pc.in(step, 0)].view;
  const bool uint8 = input->type == kTfLiteUInt8;
  const int32_t wzp = uint8 ? filter->params.zero_point : 0;
  // Weight of (co, ky, kx, ci) in device space.
  // A depthwise convolution with depth multiplier M runs on the array with a
  // block-diagonal filter: output channel co reads input channel co / M.
  const int mult_dw = dw ? cout / cin : 1;
  auto weight = [&](int co, int ky, int kx, int ci) -> int32_t {
    if (dw && co / mult_dw != ci) return 0;
    int64_t i = dw ? (int64_t{ky} * kw + kx) * cout + co : ((int64_t{co} * kh + ky) * kw + kx) * cin + ci;
    return uint8 ? int32_t{filter->data.uint8[i]} - wzp : int32_t{filter->data.int8[i]};
  };

  // Output rows [y0, y1): all, or a tiled partition's band.
  int y0 = 0, y1 = oh;
  pc.OutputRows(oh, &y0, &y1);
  PartitionCompiler::Gemm g;
  g.oh = y1 - y0, g.ow = ow, g.cout = cout;
  g.inner_stride = int64_t{sw} * iv.pix_pitch;
  g.outer_stride = int64_t{sh} * iv.row_pitch;
  g.origin = pc.Addr(iv, -pv.height, -pv.width) + y0 * g.outer_stride;
  g.out = pc.ts_[pc.out(step)].view;
  g.out.offset += y0 * g.out.row_pitch;
  RETURN_IF_ERROR(pc.ConvQuant(step, cout, &g.mult, &g.shift, &g.act_min, &g.act_max, true));
  // int8 CONV_2D: ruy's requantization (flavor-dependent); uint8 (gemmlowp)
  // and depthwise kernels: TFLite's double rounding.
  g.requant = pc.XnnpackTakes(step) ? Requant::kFp32 : !uint8 && !dw ? pc.Int8GemmRequant() : Requant::kTwoStep;
  g.out_zp = DeviceZeroPoint(output);
  g.u8 = uint8;  // UINT8 weights: one pass on the 9-bit weight path
  g.w_zp = wzp;
  const int32_t xzp = DeviceZeroPoint(input);
  std::vector<int64_t> wsum(cout, 0);
  const int ci_per = cin;
  pc.GemmWeightsOf(step, iv, &g, &wsum, [&] {
    std::vector<int32_t> d;
    for (int ky = 0; ky < kh; ++ky)
      for (int kx = 0; kx < kw; ++kx)
        for (int c0 = 0; c0 < ci_per; c0 += pc.R_) {
          const int k = std::min(pc.R_, ci_per - c0);
          d.resize(size_t(k) * cout);  // every element is written below
          for (int r = 0; r < k; ++r)
            for (int co = 0; co < cout; ++co) {
              d[size_t(r) * cout + co] = weight(co, ky, kx, c0 + r);
              wsum[co] += d[size_t(r) * cout + co];
            }
          const int64_t off = int64_t{ky} * dh * iv.row_pitch + int64_t{kx} * dwl * iv.pix_pitch + c0;
          g.AddSlices(off, k, d);
        }
  });
  g.bias = FoldInputZeroPoint(bias, xzp, wsum);
  return pc.EmitGemm(step, std::move(g), oc);
}

Status LowerDepthwiseVmacc(PartitionCompiler& pc, int step, OpCode* oc) {
  const TfLiteTensor* input = pc.T(pc.in(step, 0));
  const TfLiteTensor* filter = pc.T(pc.in(step, 1));
  const TfLiteTensor* bias = pc.BiasOf(step);
  const TfLiteTensor* output = pc.T(pc.out(step));
  const auto* p = static_cast<const TfLiteDepthwiseConvParams*>(pc.node(step)->builtin_data);
  const std::vector<int> id = Dims(input), fd = Dims(filter);
  const int ch = id[3], kh = fd[1], kw = fd[2];
  int oh = 0, ow = 0;
  const TfLitePaddingValues pv = quant_arith::PaddingHeightWidth(
      p->stride_height, p->stride_width, p->dilation_height_factor, p->dilation_width_factor, id[1], id[2], kh, kw,
      p->padding, &oh, &ow);
  const View& iv = pc.ts_[pc.in(step, 0)].view;
  const View& ov = pc.ts_[pc.out(step)].view;
  const bool uint8 = input->type == kTfLiteUInt8;
  const int32_t wzp = uint8 ? filter->params.zero_point : 0;
  std::vector<int32_t> mult, shift;
  int32_t lo = -128, hi = 127;
  RETURN_IF_ERROR(pc.ConvQuant(step, ch, &mult, &shift, &lo, &hi, true));
  const int32_t xzp = DeviceZeroPoint(input);
  // With ch <= C/2, stride 1 and dense pixels, `pack` neighbouring output
  // pixels share an accumulator row: lane p*ch + c is pixel p's channel c, so
  // one VMACC lane-vector reads pack*ch contiguous input bytes (the tap's
  // weights and the requantization parameters repeated pack times).
  int pack = 1;
  if (p->stride_width == 1 && iv.pix_pitch == ch && ov.pix_pitch == ch)
    for (int q = pc.C_ / ch; q >= 2; --q)
      if (ow % q == 0) {
        pack = q;
        break;
      }

  // Parameters: per tap, the parts of its ch weights (INT8: one part; UINT8:
  // the ch weight bytes, one part on the 9-bit path, VMACC u8 = 1 subtracting
  // the weight zero point); then per channel tile bias/mult/shift.
  std::vector<uint8_t>& P = oc->params;
  std::vector<int64_t> wsum(ch, 0);
  struct Tap {
    int64_t off;
    std::vector<uint32_t> parts;  // PBUF-relative address of each part's ch weights
  };
  std::vector<Tap> taps;
  for (int ky = 0; ky < kh; ++ky)
    for (int kx = 0; kx < kw; ++kx) {
      std::vector<int32_t> d(ch);
      for (int c = 0; c < ch; ++c) {
        const int64_t i = (int64_t{ky} * kw + kx) * ch + c;
        d[c] = uint8 ? int32_t{filter->data.uint8[i]} - wzp : int32_t{filter->data.int8[i]};
        wsum[c] += d[c];
      }
      Tap t{int64_t{ky} * p->dilation_height_factor * iv.row_pitch +
                int64_t{kx} * p->dilation_width_factor * iv.pix_pitch,
            {}};
      t.parts.push_back(static_cast<uint32_t>(P.size()));
      for (int q = 0; q < pack; ++q)
        for (int c = 0; c < ch; ++c) P.push_back(static_cast<uint8_t>(d[c] + wzp));  // int8 (wzp 0) or the uint8 byte
      taps.push_back(std::move(t));
    }
  const std::vector<int32_t> folded = FoldInputZeroPoint(bias, xzp, wsum);
  const std::vector<uint32_t> tile_at = AddRequantTiles(
      &P, ch * pack, pc.C_, [&](int c) { return folded[c % ch]; }, [&](int c) { return mult[c % ch]; },
      [&](int c) { return shift[c % ch]; });
  const int packed_ow = ow / pack, lanes = ch * pack;
  View packed_ov = ov;
  packed_ov.pix_pitch *= pack;
  packed_ov.w /= pack;
  packed_ov.c = lanes;
  if (packed_ow > static_cast<int>(pc.hw_.acc_rows)) return pc.OpError(step, "output row longer than the accumulator");
  int y0 = 0, y1 = oh;  // all output rows, or a tiled partition's band
  pc.OutputRows(oh, &y0, &y1);
  const int64_t origin = pc.Addr(iv, -pv.height, -pv.width);
  const int64_t outer = int64_t{p->stride_height} * iv.row_pitch;
  // (row block, channel tile) groups alternate between two accumulator
  // halves, so that a group's POSTPROC runs beside the next group's
  // VMACC_WIDEs (arch/issue.h, ISA 7). The block size is timed like
  // EmitGemm's: a half, a third ... 1/kMaxDepthwiseSplit of it (whole output
  // rows), the fastest under the issue rules kept.
  const int regions = int64_t{packed_ow} * 2 <= pc.hw_.acc_rows ? 2 : 1;
  const int64_t region_rows = pc.hw_.acc_rows / regions;
  auto emit = [&](int64_t block_pixels, OpCode* out) -> Status {
    int group = 0;
    for (int t = 0, c0 = 0; c0 < lanes; c0 += pc.C_, ++t) {
      const int n = std::min(pc.C_, lanes - c0);
      for (const auto& [oy0, rows] : pc.RowBlocks(y0, y1, packed_ow, block_pixels)) {
        const int m = rows * packed_ow;
        const int acc0 = static_cast<int>((group++ % regions) * region_rows);
        bool first = true;
        for (const Tap& tap : taps)
          for (uint32_t part : tap.parts) {
            isa::VmaccWideArgs v;  // R pixels a cycle on the array's R x C lanes
            v.m = static_cast<uint32_t>(m);
            v.n = static_cast<uint32_t>(n);
            v.accumulate = !first;
            v.acc_addr = static_cast<uint32_t>(acc0);
            v.a_addr = static_cast<uint32_t>(origin + oy0 * outer + tap.off + c0);
            v.a_inner_count = static_cast<uint32_t>(packed_ow);
            v.a_inner_stride = static_cast<uint32_t>(int64_t{p->stride_width} * iv.pix_pitch * pack);
            v.a_outer_stride = static_cast<uint32_t>(outer);
            v.w_addr = part + static_cast<uint32_t>(c0);
            v.u8 = uint8;
            v.w_zp = static_cast<uint32_t>(wzp);
            out->compute.push_back(Instruction{{}, v});
            first = false;
          }
        pc.EmitPostproc(packed_ov, oy0, rows, packed_ow, c0, n, tile_at[t], DeviceZeroPoint(output), lo, hi,
                        pc.XnnpackTakes(step) ? Requant::kFp32 : Requant::kTwoStep, out, acc0);
      }
    }
    return Status::Ok();
  };
  RETURN_IF_ERROR(pc.AppendFastestRowBlocks(region_rows, packed_ow, kMaxDepthwiseSplit, emit, oc));
  uint64_t parts = 0;  // VMACC_WIDEs per group: each tap's parts
  for (const Tap& tap : taps) parts += tap.parts.size();
  oc->macs += parts * uint64_t(y1 - y0) * uint64_t(packed_ow) * uint64_t(lanes);
  return Status::Ok();
}

}  // namespace

namespace {

// The ABUF bytes of a one-output-row band when the op runs tiled
// (compiler/tiling.cc): two input slots with the window's rows and border
// columns, two output-row slots.
int64_t OneRowBandBytes(const std::vector<int>& id, const std::vector<int>& fd, const std::vector<int>& od, int sw,
                        int dh, int dw, TfLitePadding pad, int sh) {
  int oh = 0, ow = 0;
  const TfLitePaddingValues pv =
      quant_arith::PaddingHeightWidth(sh, sw, dh, dw, id[1], id[2], fd[1], fd[2], pad, &oh, &ow);
  const int br = std::max(0, (ow - 1) * sw + (fd[2] - 1) * dw + 1 - pv.width - id[2]);
  const int64_t in_rows = int64_t{fd[1] - 1} * dh + 1;
  const int64_t in_bytes = in_rows * (id[2] + pv.width + br) * id[3];
  const int64_t out_bytes = od.size() == 4 ? int64_t{od[2]} * od[3] : 0;
  return 2 * ((in_bytes + 63) / 64 * 64) + 2 * ((out_bytes + 63) / 64 * 64);
}

}  // namespace

Status CheckConv(const OpChecker& op) {
  if (op.code() == tflite::BuiltinOperator_CONV_2D) {
    RETURN_IF_ERROR(op.Activations(1, false, /*tileable=*/true));
    const auto* p = static_cast<const TfLiteConvParams*>(op.node()->builtin_data);
    if (p == nullptr) return op.Fail("missing options");
    RETURN_IF_ERROR(op.Image(op.In(0), "input"));
    RETURN_IF_ERROR(op.Weights(op.In(1), op.In(0)));
    const std::vector<int> w = Dims(op.In(1));
    if (w.size() != 4 || w[3] != Dims(op.In(0))[3]) return op.Fail("filter must be [Cout, KH, KW, Cin]");
    RETURN_IF_ERROR(op.BandFits(OneRowBandBytes(Dims(op.In(0)), w, Dims(op.Out(0)), p->stride_width,
                                                p->dilation_height_factor, p->dilation_width_factor, p->padding,
                                                p->stride_height)));
    return op.Activation(p->activation);
  }
  RETURN_IF_ERROR(op.Activations(1, false, /*tileable=*/true));
  const auto* p = static_cast<const TfLiteDepthwiseConvParams*>(op.node()->builtin_data);
  if (p == nullptr) return op.Fail("missing options");
  RETURN_IF_ERROR(op.Image(op.In(0), "input"));
  RETURN_IF_ERROR(op.Weights(op.In(1), op.In(0)));
  const std::vector<int> w = Dims(op.In(1));
  const int cin = Dims(op.In(0))[3];
  if (w.size() != 4 || w[0] != 1) return op.Fail("filter must be [1, KH, KW, Cout]");
  if (cin <= 0 || w[3] % cin != 0)
    return op.Fail(StrFormat("%d output channels are not a multiple of the %d input channels", w[3], cin));
  RETURN_IF_ERROR(op.BandFits(OneRowBandBytes(Dims(op.In(0)), w, Dims(op.Out(0)), p->stride_width,
                                              p->dilation_height_factor, p->dilation_width_factor, p->padding,
                                              p->stride_height)));
  return op.Activation(p->activation);
}

// SAME padding is materialised: the input gets a border as wide as the
// padding (filled with its zero point), so windows are read in place.
Status PlanConv(PartitionCompiler& pc, int step, LayoutPhase phase) {
  if (phase != LayoutPhase::kBorders) return Status::Ok();
  const TfLiteTensor* input = pc.T(pc.in(step, 0));
  const TfLiteTensor* filter = pc.T(pc.in(step, 1));
  int sh, sw, dh, dw;
  TfLitePadding pad;
  if (pc.code(step) == tflite::BuiltinOperator_CONV_2D) {
    const auto* p = static_cast<const TfLiteConvParams*>(pc.node(step)->builtin_data);
    sh = p->stride_height, sw = p->stride_width, dh = p->dilation_height_factor, dw = p->dilation_width_factor;
    pad = p->padding;
  } else {
    const auto* p = static_cast<const TfLiteDepthwiseConvParams*>(pc.node(step)->builtin_data);
    sh = p->stride_height, sw = p->stride_width, dh = p->dilation_height_factor, dw = p->dilation_width_factor;
    pad = p->padding;
  }
  const std::vector<int> id = Dims(input), fd = Dims(filter);
  int oh = 0, ow = 0;
  const TfLitePaddingValues pv =
      quant_arith::PaddingHeightWidth(sh, sw, dh, dw, id[1], id[2], fd[1], fd[2], pad, &oh, &ow);
  TensorState& st = pc.ts_[pc.in(step, 0)];
  const int need_b = std::max(0, (oh - 1) * sh + (fd[1] - 1) * dh + 1 - pv.height - id[1]);
  const int need_r = std::max(0, (ow - 1) * sw + (fd[2] - 1) * dw + 1 - pv.width - id[2]);
  st.bt = std::max(st.bt, pv.height);
  st.bl = std::max(st.bl, pv.width);
  st.bb = std::max(st.bb, need_b);
  st.br = std::max(st.br, need_r);
  return Status::Ok();
}

Status LowerConv(PartitionCompiler& pc, int step, OpCode* oc) {
  if (pc.code(step) == tflite::BuiltinOperator_DEPTHWISE_CONV_2D &&
      Dims(pc.T(pc.in(step, 1)))[3] == Dims(pc.T(pc.in(step, 0)))[3])
    return LowerDepthwiseVmacc(pc, step, oc);  // multiplier 1
  return LowerAsGemm(pc, step, oc);
}

}  // namespace systole::compiler
