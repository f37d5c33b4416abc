// LOGISTIC, TANH, RELU, RELU6, HARD_SWISH and 8-bit QUANTIZE: one VLUT whose
// 256-entry table is the flavor's CPU kernel run on every input (compiler/lut.h),
// bit-exact by construction.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "common/fixed_point.h"
#include "compiler/lut.h"
#include "compiler/ops/op.h"
#include "interpreter/quant_arith.h"
#include "schema/tflite_generated.h"

namespace systole::compiler {

Status CheckLookup(const OpChecker& op) {
  if (op.code() == tflite::BuiltinOperator_QUANTIZE) {
    if (op.node()->outputs->size != 1 || op.In(0) == nullptr) return op.Fail("needs one input and one output");
    if (!IsInt8Or8(op.In(0)) || !IsInt8Or8(op.Out(0)))
      return op.Fail(StrFormat("%s -> %s; only 8-bit requantization (INT8/UINT8 -> INT8/UINT8) maps to the "
                            "lookup unit",
                            TypeStr(op.In(0)->type), TypeStr(op.Out(0)->type)));
    if (IsConstant(op.In(0))) return op.Fail("input is a constant tensor");
    return Status::Ok();
  }
  // Tabulated into a 256-entry VLUT from the CPU kernel (bit-exact).
  return op.Activations(1);
}

Status PlanLookup(PartitionCompiler&, int, LayoutPhase) { return Status::Ok(); }  // no layout needs

Status LowerLookup(PartitionCompiler& pc, int step, OpCode* oc) {
  ASSIGN_OR_RETURN(std::vector<uint8_t> table, BuildLut(pc.ctx_, pc.spec_.nodes[step], OpName(pc.code(step)), pc.opts_.flavor));
  const uint32_t lut = static_cast<uint32_t>(oc->params.size());
  oc->params.insert(oc->params.end(), table.begin(), table.end());
  const View& a = pc.ts_[pc.in(step, 0)].view;
  const View& o = pc.ts_[pc.out(step)].view;
  const bool flat = a.row_pitch == int64_t{a.w} * a.c && o.row_pitch == int64_t{o.w} * o.c;
  const int rows = flat ? 1 : o.h;
  const int64_t len = flat ? int64_t{o.h} * o.w * o.c : int64_t{o.w} * o.c;
  for (int y = 0; y < rows; ++y) {
    isa::VlutArgs v;
    v.len = static_cast<uint32_t>(len);
    v.src = static_cast<uint32_t>(pc.Addr(a, y, 0));
    v.dst = static_cast<uint32_t>(pc.Addr(o, y, 0));
    v.lut_addr = lut;
    oc->compute.push_back(Instruction{{}, v});
  }
  return Status::Ok();
}

}  // namespace systole::compiler
