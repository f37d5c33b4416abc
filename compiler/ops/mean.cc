// MEAN over H and W (TFLite's integer 4-D path, keep_dims, axis {1, 2}).
#include <algorithm>
#include <cstdint>
#include <vector>

#include "common/fixed_point.h"
#include "compiler/ops/op.h"
#include "interpreter/quant_arith.h"
#include "schema/tflite_generated.h"

namespace systole::compiler {

Status CheckMean(const OpChecker& op) {
  RETURN_IF_ERROR(op.Activations(1));
  RETURN_IF_ERROR(op.Image(op.In(0), "input"));
  const auto* p = static_cast<const TfLiteReducerParams*>(op.node()->builtin_data);
  const TfLiteTensor* axis = op.In(1);
  const bool hw_axes = axis != nullptr && IsConstant(axis) && axis->type == kTfLiteInt32 &&
                       NumElements(axis) == 2 &&
                       ((axis->data.i32[0] == 1 && axis->data.i32[1] == 2) ||
                        (axis->data.i32[0] == 2 && axis->data.i32[1] == 1));
  if (p == nullptr || !p->keep_dims || !hw_axes)
    return op.Fail("only the spatial mean of TFLite's integer path (4-D, keep_dims, axis {1, 2}) is mapped; "
                "other axes use TFLite's float rescale");
  if (MeanOutputOffset(op.In(0), op.Out(0)) < -128 || MeanOutputOffset(op.In(0), op.Out(0)) > 127)
    return op.Fail("output offset out_zp - in_zp * s_in / s_out does not fit the requantizer's int8 zero point");
  return Status::Ok();
}

Status PlanMean(PartitionCompiler&, int, LayoutPhase) { return Status::Ok(); }  // no layout needs

// MEAN over H and W (TFLite's optimized 4-D path): the integer sum of the raw
// values accumulated tap by tap with VMACC (weights 1), then POSTPROC with
// TFLite's multiplier and the offset as output zero point.
Status LowerMean(PartitionCompiler& pc, int step, OpCode* oc) {
  const TfLiteTensor* input = pc.T(pc.in(step, 0));
  const TfLiteTensor* output = pc.T(pc.out(step));
  const View& iv = pc.ts_[pc.in(step, 0)].view;
  const View& ov = pc.ts_[pc.out(step)].view;
  const int count = iv.h * iv.w;
  const float real = input->params.scale / (static_cast<float>(count) * output->params.scale);
  int32_t mult = 0;
  int shift = 0;
  QuantizeMultiplier(static_cast<double>(real), &mult, &shift);
  std::vector<uint8_t>& P = oc->params;
  const uint32_t ones = static_cast<uint32_t>(P.size());
  for (int i = 0; i < pc.C_; ++i) P.push_back(1);
  // Raw sums: uint8 device values are value - 128.
  const std::vector<uint32_t> tile_at = AddRequantTiles(
      &P, iv.c, pc.C_, [&](int) { return DeviceOffset(input) * count; }, [&](int) { return mult; },
      [&](int) { return shift; });
  const int32_t offset = MeanOutputOffset(input, output);
  for (int t = 0, c0 = 0; c0 < iv.c; c0 += pc.C_, ++t) {
    const int n = std::min(pc.C_, iv.c - c0);
    bool first = true;
    for (int y = 0; y < iv.h; ++y)
      for (int x = 0; x < iv.w; ++x) {
        isa::VmaccArgs v;
        v.m = 1;
        v.n = static_cast<uint32_t>(n);
        v.accumulate = !first;
        v.acc_addr = 0;
        v.a_addr = static_cast<uint32_t>(pc.Addr(iv, y, x) + c0);
        v.a_inner_count = 1;
        v.w_addr = ones;
        oc->compute.push_back(Instruction{{}, v});
        oc->macs += static_cast<uint64_t>(n);
        first = false;
      }
    pc.EmitPostproc(ov, 0, 1, 1, c0, n, tile_at[t], offset, -128, 127, Requant::kTwoStep, oc);
  }
  return Status::Ok();
}

}  // namespace systole::compiler
