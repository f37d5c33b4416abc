// TRANSPOSE_CONV as sh * sw ordinary stride-1 convolutions ("phases"): the
// outputs (py + sh * j, px + sw * i) receive exactly the taps ky with
// (py + pad_h - ky) divisible by sh (same for x), from input pixel
// (j + dy, i + dx), dy = (py + pad_h - ky) / sh. Each phase is one GEMM
// (EmitGemm: LOAD_WEIGHTS + MATMUL per tap and Cin tile, POSTPROC) whose
// output view strides over the output tensor by (sh, sw). Input pixels outside
// the image are a border filled with the input zero point (they add 0, as in
// TFLite's scatter); each phase folds the zero point into its own bias with
// its own weight sums. The int32 sums equal TFLite's (reference scatter or
// optimized GEMM + col2im), then POSTPROC's two-step requantization is
// TFLite's MultiplyByQuantizedMultiplier with per-channel multipliers (int8)
// or the legacy per-tensor one (uint8) (interpreter/kernels/transpose_conv.cc).
#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "compiler/ops/op.h"
#include "interpreter/quant_arith.h"
#include "schema/tflite_generated.h"

namespace systole::compiler {
namespace {

struct Tap {
  int k;  // kernel row (or column)
  int d;  // input offset of phase element 0
};

// One axis: per phase, its output count and taps.
struct AxisPhases {
  std::vector<int> count;
  std::vector<std::vector<Tap>> taps;
  int border_lo = 0, border_hi = 0;  // input border the taps read
};

AxisPhases Phases(int in, int out, int k, int stride, int pad) {
  AxisPhases a;
  a.count.resize(stride);
  a.taps.resize(stride);
  for (int p = 0; p < stride; ++p) {
    a.count[p] = out > p ? (out - p + stride - 1) / stride : 0;
    if (a.count[p] == 0) continue;
    for (int kk = 0; kk < k; ++kk) {
      const int num = p + pad - kk;
      if (((num % stride) + stride) % stride != 0) continue;
      const int d = (num - ((num % stride) + stride) % stride) / stride;
      a.taps[p].push_back(Tap{kk, d});
      a.border_lo = std::max(a.border_lo, -d);
      a.border_hi = std::max(a.border_hi, a.count[p] - 1 + d - (in - 1));
    }
  }
  return a;
}

struct TconvGeometry {
  int in_h, in_w, cin, out_h, out_w, cout, kh, kw;
  TfLitePaddingValues pad;
  AxisPhases y, x;
};

TconvGeometry Geom(const TfLiteTensor* shape, const TfLiteTensor* filter, const TfLiteTensor* input,
              const TfLiteTransposeConvParams* p) {
  TconvGeometry g;
  const std::vector<int> id = Dims(input), fd = Dims(filter);
  g.in_h = id[1], g.in_w = id[2], g.cin = id[3];
  g.cout = fd[0], g.kh = fd[1], g.kw = fd[2];
  g.out_h = shape->data.i32[1], g.out_w = shape->data.i32[2];
  int unused_h = 0, unused_w = 0;
  g.pad = quant_arith::PaddingHeightWidth(p->stride_height, p->stride_width, 1, 1, g.out_h, g.out_w, g.kh, g.kw,
                                          p->padding, &unused_h, &unused_w);
  g.y = Phases(g.in_h, g.out_h, g.kh, p->stride_height, g.pad.height);
  g.x = Phases(g.in_w, g.out_w, g.kw, p->stride_width, g.pad.width);
  return g;
}

}  // namespace

Status CheckTransposeConv(const OpChecker& op) {
  const auto* p = static_cast<const TfLiteTransposeConvParams*>(op.node()->builtin_data);
  if (p == nullptr) return op.Fail("missing options");
  if (op.node()->inputs->size < 3) return op.Fail("needs output_shape, weights and input");
  const TfLiteTensor* shape = op.In(0);
  const TfLiteTensor* filter = op.In(1);
  const TfLiteTensor* input = op.In(2);
  const TfLiteTensor* bias = op.In(3);
  if (shape == nullptr || !IsConstant(shape) || shape->type != kTfLiteInt32 || NumElements(shape) != 4)
    return op.Fail("output_shape must be a constant INT32 tensor of 4 elements");
  if (input == nullptr || IsConstant(input)) return op.Fail("input must be a non-constant tensor");
  if (op.node()->outputs->size != 1) return op.Fail("needs exactly one output");
  const TfLiteTensor* out = op.Out(0);
  if (!IsInt8Or8(out) || input->type != out->type)
    return op.Fail(std::string("input ") + TypeStr(input->type) + " / output " + TypeStr(out->type) +
                   ": INT8 or UINT8 on both sides");
  if (NumElements(out) > op.hw().abuf_bytes) return op.Fail("output does not fit the activation buffer");
  RETURN_IF_ERROR(op.Image(input, "input"));
  if (filter == nullptr || !IsConstant(filter) || filter->type != input->type || Dims(filter).size() != 4 ||
      Dims(filter)[3] != Dims(input)[3])
    return op.Fail("weights must be a constant [Cout, KH, KW, Cin] tensor of the input's type");
  if (bias != nullptr && (!IsConstant(bias) || bias->type != kTfLiteInt32))
    return op.Fail("bias must be a constant INT32 tensor");
  if (filter->type == kTfLiteUInt8) {
    const auto* q = static_cast<const TfLiteAffineQuantization*>(filter->quantization.params);
    if (filter->quantization.type == kTfLiteAffineQuantization && q != nullptr && q->scale != nullptr &&
        q->scale->size > 1)
      return op.Fail("per-channel UINT8 weights");
    if (filter->params.zero_point < 0 || filter->params.zero_point > 255)
      return op.Fail("UINT8 weight zero point outside [0, 255]");
  }
  if (p->stride_height < 1 || p->stride_width < 1 || p->stride_height > 16 || p->stride_width > 16)
    return op.Fail("strides must be 1..16");
  if (p->padding != kTfLitePaddingSame && p->padding != kTfLitePaddingValid) return op.Fail("unknown padding");
  RETURN_IF_ERROR(op.Activation(p->activation));
  const std::vector<int> od = Dims(out);
  if (od.size() != 4 || od[0] != 1 || od[1] != shape->data.i32[1] || od[2] != shape->data.i32[2] ||
      od[3] != Dims(filter)[0])
    return op.Fail("output shape does not match output_shape and the weights");
  // The weights of one phase and Cin tile, streamed per op, must fit half PBUF.
  if (NumElements(filter) + int64_t{12} * od[3] > op.hw().pbuf_bytes / 2)
    return op.Fail("weights do not fit half of the parameter cache");
  if (op.flavor() == TfliteFlavor::kXnnpack)
    return op.Fail("TFLite flavor xnnpack: XNNPACK's quantized deconvolution is not reproduced");
  return Status::Ok();
}

Status PlanTransposeConv(PartitionCompiler& pc, int step, LayoutPhase phase) {
  if (phase != LayoutPhase::kBorders) return Status::Ok();
  const auto* p = static_cast<const TfLiteTransposeConvParams*>(pc.node(step)->builtin_data);
  const TconvGeometry g = Geom(pc.T(pc.in(step, 0)), pc.T(pc.in(step, 1)), pc.T(pc.in(step, 2)), p);
  TensorState& st = pc.ts_[pc.in(step, 2)];
  st.bt = std::max(st.bt, g.y.border_lo);
  st.bb = std::max(st.bb, g.y.border_hi);
  st.bl = std::max(st.bl, g.x.border_lo);
  st.br = std::max(st.br, g.x.border_hi);
  return Status::Ok();
}

Status LowerTransposeConv(PartitionCompiler& pc, int step, OpCode* oc) {
  const auto* p = static_cast<const TfLiteTransposeConvParams*>(pc.node(step)->builtin_data);
  TfLiteTensor* input = const_cast<TfLiteTensor*>(pc.T(pc.in(step, 2)));
  TfLiteTensor* filter = const_cast<TfLiteTensor*>(pc.T(pc.in(step, 1)));
  const TfLiteTensor* bias =
      pc.node(step)->inputs->size > 3 && pc.in(step, 3) >= 0 ? pc.T(pc.in(step, 3)) : nullptr;
  TfLiteTensor* output = const_cast<TfLiteTensor*>(pc.T(pc.out(step)));
  const TconvGeometry g = Geom(pc.T(pc.in(step, 0)), filter, input, p);
  const bool uint8 = input->type == kTfLiteUInt8;
  std::vector<int32_t> mult(g.cout), shift(g.cout);
  int32_t legacy_mult = 0, act_min = 0, act_max = 0;
  int legacy_shift = 0;
  if (quant_arith::ConvolutionQuantizationParams(pc.ctx_, input, filter, const_cast<TfLiteTensor*>(bias), output,
                                                 p->activation, &legacy_mult, &legacy_shift, &act_min, &act_max,
                                                 mult.data(), shift.data(), g.cout) != kTfLiteOk)
    return pc.OpError(step, "quantization parameters cannot be represented");
  if (uint8) {
    std::fill(mult.begin(), mult.end(), legacy_mult);
    std::fill(shift.begin(), shift.end(), -legacy_shift);
  }
  act_min -= DeviceOffset(output);
  act_max -= DeviceOffset(output);
  const int32_t wzp = uint8 ? filter->params.zero_point : 0;
  auto weight = [&](int co, int ky, int kx, int ci) -> int32_t {
    const int64_t i = ((int64_t{co} * g.kh + ky) * g.kw + kx) * g.cin + ci;
    return uint8 ? int32_t{filter->data.uint8[i]} - wzp : int32_t{filter->data.int8[i]};
  };
  const View& iv = pc.ts_[pc.in(step, 2)].view;
  const View& ov = pc.ts_[pc.out(step)].view;
  const int32_t xzp = DeviceZeroPoint(input);
  for (int py = 0; py < p->stride_height; ++py)
    for (int px = 0; px < p->stride_width; ++px) {
      if (g.y.count[py] == 0 || g.x.count[px] == 0) continue;
      PartitionCompiler::Gemm gm;
      gm.oh = g.y.count[py], gm.ow = g.x.count[px], gm.cout = g.cout;
      gm.origin = pc.Addr(iv, 0, 0);
      gm.inner_stride = iv.pix_pitch;
      gm.outer_stride = iv.row_pitch;
      gm.out = ov;
      gm.out.offset = ov.offset + int64_t{py} * ov.row_pitch + int64_t{px} * ov.pix_pitch;
      gm.out.row_pitch = int64_t{p->stride_height} * ov.row_pitch;
      gm.out.pix_pitch = int64_t{p->stride_width} * ov.pix_pitch;
      gm.out.h = gm.oh, gm.out.w = gm.ow;
      gm.mult = mult, gm.shift = shift;
      gm.out_zp = DeviceZeroPoint(output);
      gm.act_min = act_min, gm.act_max = act_max;
      gm.requant = Requant::kTwoStep;
      gm.u8 = uint8;  // UINT8 weights: one pass on the 9-bit weight path
      gm.w_zp = wzp;
      std::vector<int64_t> wsum(g.cout, 0);
      for (const Tap& ty : g.y.taps[py])
        for (const Tap& tx : g.x.taps[px])
          for (int c0 = 0; c0 < g.cin; c0 += pc.R_) {
            const int k = std::min(pc.R_, g.cin - c0);
            std::vector<int32_t> d(size_t(k) * g.cout);
            for (int r = 0; r < k; ++r)
              for (int co = 0; co < g.cout; ++co) {
                d[size_t(r) * g.cout + co] = weight(co, ty.k, tx.k, c0 + r);
                wsum[co] += d[size_t(r) * g.cout + co];
              }
            const int64_t off = int64_t{ty.d} * iv.row_pitch + int64_t{tx.d} * iv.pix_pitch + c0;
            gm.AddSlices(off, k, d);
          }
      if (gm.slices.empty())  // no tap reaches this phase: bias only (a zero-weight pass)
        gm.slices.push_back(PartitionCompiler::Slice{0, 1, std::vector<int16_t>(g.cout, 0)});
      gm.bias = FoldInputZeroPoint(bias, xzp, wsum);
      RETURN_IF_ERROR(pc.EmitGemm(step, std::move(gm), oc));
    }
  return Status::Ok();
}

}  // namespace systole::compiler
