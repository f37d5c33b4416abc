// RESIZE_NEAREST_NEIGHBOR by pixel copies, the index map read off the CPU
// kernel itself (compiler/lut.h).
#include <algorithm>
#include <cstdint>
#include <vector>

#include "common/fixed_point.h"
#include "compiler/lut.h"
#include "compiler/ops/op.h"
#include "interpreter/quant_arith.h"
#include "schema/tflite_generated.h"

namespace systole::compiler {

Status CheckResizeNearest(const OpChecker& op) {
  RETURN_IF_ERROR(op.Activations(1));
  RETURN_IF_ERROR(op.Image(op.In(0), "input"));
  const TfLiteTensor* size = op.In(1);
  if (size == nullptr || !IsConstant(size)) return op.Fail("size must be a constant tensor");
  if (Dims(op.In(0))[1] > 256 || Dims(op.In(0))[2] > 256)
    return op.Fail("input above 256x256 (the compiler reads the index map off the CPU kernel with 8-bit probes)");
  if (op.In(0)->params.scale != op.Out(0)->params.scale || op.In(0)->params.zero_point != op.Out(0)->params.zero_point)
    return op.Fail("input and output quantization differ");
  return Status::Ok();
}

Status PlanResizeNearest(PartitionCompiler&, int, LayoutPhase) { return Status::Ok(); }  // no layout needs

// RESIZE_NEAREST_NEIGHBOR: pixel copies from the probed index map; an output
// row equal to the previous one is one copy of that row.
Status LowerResizeNearest(PartitionCompiler& pc, int step, OpCode* oc) {
  const auto* p = static_cast<const TfLiteResizeNearestNeighborParams*>(pc.node(step)->builtin_data);
  ASSIGN_OR_RETURN(NearestIndices idx, ProbeResizeNearest(pc.opts_.flavor, pc.T(pc.in(step, 0)), pc.T(pc.out(step)), p && p->align_corners,
                                                          p && p->half_pixel_centers));
  const uint32_t lut = AddIdentityLut(&oc->params);
  const View& iv = pc.ts_[pc.in(step, 0)].view;
  const View& ov = pc.ts_[pc.out(step)].view;
  const int64_t row = int64_t{ov.w} * ov.c;
  for (int y = 0; y < ov.h; ++y) {
    if (y > 0 && idx.rows[y] == idx.rows[y - 1]) {
      pc.CopyRuns(ov, (y - 1) * row, ov, y * row, row, lut, oc);
      continue;
    }
    for (int x = 0; x < ov.w; ++x)
      pc.CopyRuns(iv, (int64_t{idx.rows[y]} * iv.w + idx.cols[x]) * iv.c, ov, y * row + int64_t{x} * ov.c, ov.c, lut, oc);
  }
  return Status::Ok();
}

}  // namespace systole::compiler
