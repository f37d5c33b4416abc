// FULLY_CONNECTED: the GEMM of conv.cc with one "pixel" per batch row.
#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "common/fixed_point.h"
#include "compiler/ops/op.h"
#include "interpreter/quant_arith.h"
#include "schema/tflite_generated.h"

namespace systole::compiler {

Status CheckFullyConnected(const OpChecker& op) {
  RETURN_IF_ERROR(op.Activations(1));
  const auto* p = static_cast<const TfLiteFullyConnectedParams*>(op.node()->builtin_data);
  if (p == nullptr) return op.Fail("missing options");
  if (p->weights_format != kTfLiteFullyConnectedWeightsFormatDefault)
    return op.Fail("shuffled weights format");
  RETURN_IF_ERROR(op.Weights(op.In(1), op.In(0)));
  const std::vector<int> w = Dims(op.In(1));
  if (w.size() != 2 || w[1] <= 0 || NumElements(op.In(0)) % w[1] != 0)
    return op.Fail("weights must be [units, depth] with depth dividing the input");
  return op.Activation(p->activation);
}

Status PlanFullyConnected(PartitionCompiler&, int, LayoutPhase) { return Status::Ok(); }  // no layout needs

Status LowerFullyConnected(PartitionCompiler& pc, int step, OpCode* oc) {
  const TfLiteTensor* input = pc.T(pc.in(step, 0));
  const TfLiteTensor* filter = pc.T(pc.in(step, 1));
  const TfLiteTensor* bias = pc.BiasOf(step);
  const TfLiteTensor* output = pc.T(pc.out(step));
  const std::vector<int> fd = Dims(filter);
  const int units = fd[0], depth = fd[1];
  const int64_t batches = NumElements(input) / depth;
  const View& iv = pc.ts_[pc.in(step, 0)].view;
  const View& ov = pc.ts_[pc.out(step)].view;
  if (!pc.Plain(iv) || !pc.Plain(ov)) return pc.OpError(step, "input and output must be contiguous in the activation buffer");
  const bool uint8 = input->type == kTfLiteUInt8;
  // TFLite's FULLY_CONNECTED subtracts the filter zero point for INT8 too (unlike CONV_2D).
  // XNNPACK's QS8 fully-connected has no filter zero point (QU8 keeps it).
  const int32_t wzp = pc.XnnpackTakes(step) && !uint8 ? 0 : filter->params.zero_point;
  const auto* affine = static_cast<const TfLiteAffineQuantization*>(filter->quantization.params);
  const bool per_channel = filter->quantization.type == kTfLiteAffineQuantization && affine && affine->scale &&
                           affine->scale->size > 1;

  PartitionCompiler::Gemm g;
  g.oh = static_cast<int>(batches), g.ow = 1, g.cout = units;
  g.origin = pc.Addr(iv, 0, 0);
  g.inner_stride = depth;
  g.outer_stride = depth;
  // Output as batches rows of `units` channels.
  g.out = View{ov.root, ov.offset, units, units, static_cast<int>(batches), 1, units};
  RETURN_IF_ERROR(pc.ConvQuant(step, units, &g.mult, &g.shift, &g.act_min, &g.act_max, per_channel));
  g.requant = pc.XnnpackTakes(step) ? Requant::kFp32 : !uint8 ? pc.Int8GemmRequant() : Requant::kTwoStep;
  g.out_zp = DeviceZeroPoint(output);
  // UINT8 weights: one pass on the 9-bit weight path (LOAD_WEIGHTS u8 = 1).
  // INT8 weights with a zero point (d in [-255, 255]) still split into int8 parts.
  g.u8 = filter->type == kTfLiteUInt8;
  g.w_zp = g.u8 ? wzp : 0;
  const int32_t xzp = DeviceZeroPoint(input);
  std::vector<int64_t> wsum(units, 0);
  pc.GemmWeightsOf(step, iv, &g, &wsum, [&] {
    std::vector<int32_t> d;
    for (int c0 = 0; c0 < depth; c0 += pc.R_) {
      const int k = std::min(pc.R_, depth - c0);
      d.resize(size_t(k) * units);  // every element is written below
      for (int r = 0; r < k; ++r)
        for (int u = 0; u < units; ++u) {
          const int64_t i = int64_t{u} * depth + c0 + r;
          const int32_t v = uint8 ? int32_t{filter->data.uint8[i]} - wzp : int32_t{filter->data.int8[i]} - wzp;
          d[size_t(r) * units + u] = v;
          wsum[u] += v;
        }
      g.AddSlices(c0, k, d);
    }
  });
  g.bias = FoldInputZeroPoint(bias, xzp, wsum);
  // A row block per POSTPROC: rows are batches, one "pixel" each.
  return pc.EmitGemm(step, std::move(g), oc);
}

}  // namespace systole::compiler
