// SLICE, STRIDED_SLICE, PACK, UNPACK: pure data moves, lowered to identity
// VLUT copies of the runs that are contiguous in both the source and the
// destination. Where each output element comes from is read off the CPU
// kernel itself (compiler/lut.h ProbeGather), so every mask, negative stride
// and clamping rule is the interpreter's, which is bit-exact with TFLite. The
// copies move raw bytes, so the result is exact whatever the quantization
// (TFLite's SLICE/STRIDED_SLICE do not requantize; PACK/UNPACK require equal
// quantization in the CPU kernel already).
#include <algorithm>
#include <cstdint>
#include <vector>

#include "compiler/lut.h"
#include "compiler/ops/op.h"
#include "schema/tflite_generated.h"

namespace systole::compiler {
namespace {

// Runs of consecutive output elements with consecutive sources in one input.
struct Run {
  int input;
  int64_t src, dst, len;
};

std::vector<Run> Runs(const std::vector<int32_t>& sources) {
  std::vector<Run> runs;
  const int32_t kFlatMask = (int32_t{1} << kGatherInputShift) - 1;
  for (size_t j = 0; j < sources.size(); ++j) {
    const int input = sources[j] >> kGatherInputShift;
    const int64_t flat = sources[j] & kFlatMask;
    if (!runs.empty() && runs.back().input == input && runs.back().src + runs.back().len == flat) {
      ++runs.back().len;
    } else {
      runs.push_back({input, flat, static_cast<int64_t>(j), 1});
    }
  }
  return runs;
}

// The data inputs (the non-constant ones, in order).
std::vector<int> DataInputs(const TfLiteNode* node, const TfLiteContext* ctx) {
  std::vector<int> v;
  for (int i = 0; i < node->inputs->size; ++i) {
    const int t = node->inputs->data[i];
    if (t >= 0 && !IsConstant(&ctx->tensors[t])) v.push_back(i);
  }
  return v;
}

}  // namespace

Status CheckDataMove(const OpChecker& op) {
  const TfLiteNode* node = op.node();
  const bool is_pack = op.code() == tflite::BuiltinOperator_PACK;
  const int num_data = is_pack ? node->inputs->size : 1;
  for (int i = 0; i < node->inputs->size; ++i) {
    const TfLiteTensor* in = op.In(i);
    if (in == nullptr) return op.Fail(StrFormat("input %d is missing", i));
    if (i < num_data) {
      if (!IsInt8Or8(in)) return op.Fail(StrFormat("input %d is %s, not INT8/UINT8", i, TypeStr(in->type)));
      if (IsConstant(in)) return op.Fail(StrFormat("input %d is a constant tensor (nothing to compute)", i));
    } else if (!IsConstant(in)) {
      return op.Fail(StrFormat("index input %d is not constant (shapes must be static)", i));
    }
  }
  int64_t out_bytes = 0;
  for (int i = 0; i < node->outputs->size; ++i) {
    const TfLiteTensor* out = op.Out(i);
    if (out->type != op.In(0)->type) return op.Fail("outputs must have the input's type");
    if (NumElements(out) == 0) return op.Fail(StrFormat("output %d is empty", i));
    out_bytes += NumElements(out);
  }
  if (out_bytes > op.hw().abuf_bytes)
    return op.Fail(StrFormat("outputs of %lld bytes do not fit the %u-byte activation buffer",
                             static_cast<long long>(out_bytes), op.hw().abuf_bytes));
  ASSIGN_OR_RETURN(GatherSources g, ProbeGather(op.flavor(), op.context(), node, op.code(), "probing"));
  int64_t runs = 0;
  for (const auto& s : g.sources) runs += static_cast<int64_t>(Runs(s).size());
  if (runs > kMaxTransposeCopies)
    return op.Fail(StrFormat("needs %lld copies (limit %lld): the accelerator has no strided gather unit",
                             static_cast<long long>(runs), static_cast<long long>(kMaxTransposeCopies)));
  return Status::Ok();
}

Status PlanDataMove(PartitionCompiler&, int, LayoutPhase) { return Status::Ok(); }  // no layout needs

Status LowerDataMove(PartitionCompiler& pc, int step, OpCode* oc) {
  const TfLiteNode* node = pc.node(step);
  ASSIGN_OR_RETURN(GatherSources g, ProbeGather(pc.opts_.flavor, pc.ctx_, node, pc.code(step), pc.OpLabel(step)));
  const std::vector<int> data = DataInputs(node, pc.ctx_);
  const uint32_t lut = AddIdentityLut(&oc->params);
  for (int o = 0; o < node->outputs->size; ++o) {
    const View& ov = pc.ts_[node->outputs->data[o]].view;
    for (const Run& r : Runs(g.sources[o])) {
      if (r.input >= static_cast<int>(data.size())) return pc.OpError(step, "probe named an unknown input");
      const View& iv = pc.ts_[node->inputs->data[data[r.input]]].view;
      pc.CopyRuns(iv, r.src, ov, r.dst, r.len, lut, oc);
    }
  }
  return Status::Ok();
}

}  // namespace systole::compiler
