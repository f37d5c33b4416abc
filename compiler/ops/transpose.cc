// TRANSPOSE. NCHW -> NHWC is done by the DMA: a partition input is loaded
// transposed (io_dma.cc), a tensor on chip makes a round trip through host
// memory; other permutations are gathers by identity VLUT copies.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "common/fixed_point.h"
#include "compiler/ops/op.h"
#include "compiler/tokens.h"
#include "interpreter/quant_arith.h"
#include "schema/tflite_generated.h"

namespace systole::compiler {
namespace {

// TRANSPOSE as a gather: the output in row-major order, one copy per run
// that is contiguous in both tensors.
Status LowerByCopies(PartitionCompiler& pc, int step, OpCode* oc) {
  const std::vector<int> id = Dims(pc.T(pc.in(step, 0)));
  const int32_t* perm = pc.T(pc.in(step, 1))->data.i32;
  const int rank = static_cast<int>(id.size());
  std::vector<int> od(rank);
  std::vector<int64_t> in_stride(rank, 1);
  for (int d = rank - 2; d >= 0; --d) in_stride[d] = in_stride[d + 1] * id[d + 1];
  for (int k = 0; k < rank; ++k) od[k] = id[perm[k]];
  int64_t run = 1;
  int inner = rank;  // output dims [inner, rank) form one run
  for (int k = rank - 1, j = rank - 1; k >= 0 && perm[k] == j; --k, --j) run *= id[j], inner = k;
  const uint32_t lut = AddIdentityLut(&oc->params);
  const View& iv = pc.ts_[pc.in(step, 0)].view;
  const View& ov = pc.ts_[pc.out(step)].view;
  std::vector<int> idx(inner, 0);
  int64_t out_flat = 0;
  const int64_t total = NumElements(pc.T(pc.out(step)));
  while (out_flat < total) {
    int64_t src = 0;
    for (int k = 0; k < inner; ++k) src += idx[k] * in_stride[perm[k]];
    pc.CopyRuns(iv, src, ov, out_flat, run, lut, oc);
    out_flat += run;
    for (int k = inner - 1; k >= 0; --k) {
      if (++idx[k] < od[k]) break;
      idx[k] = 0;
    }
  }
  return Status::Ok();
}

// NCHW -> NHWC of a tensor already on chip: STORE it to SCRATCH, then one
// strided LOAD per channel writes it back transposed (as the input DMA does).
Status LowerByDma(PartitionCompiler& pc, int step, OpCode* oc) {
  pc.mid_dma_ = true;
  const View& iv = pc.ts_[pc.in(step, 0)].view;
  const View& ov = pc.ts_[pc.out(step)].view;
  const int64_t bytes = NumElements(pc.T(pc.in(step, 0)));
  const uint64_t home = pc.scratch_bytes_;
  pc.scratch_bytes_ += (bytes + 63) / 64 * 64;
  // compute -> store: the input is written; store -> compute: it is in host memory.
  using namespace tokens;
  oc->post.push_back(ComputeNop(Signal(kCompute, kStore)));
  const size_t first_store = oc->post.size();
  int64_t flat = 0;
  pc.FlatRuns(iv, 0, bytes, [&](int64_t addr, int64_t len) {
    for (int64_t o = 0; o < len; o += kMaxRowBytes) {
      isa::StoreArgs a;
      a.buffer = static_cast<uint32_t>(isa::Buffer::kAbuf);
      a.region = kRegionScratch;
      a.rows = 1;
      a.row_bytes = static_cast<uint32_t>(std::min<int64_t>(kMaxRowBytes, len - o));
      a.sram_addr = static_cast<uint32_t>(addr + o);
      a.host_offset = static_cast<uint32_t>(home + flat + o);
      oc->post.push_back(Instruction{{}, a});
    }
    flat += len;
  });
  Add(&oc->post[first_store], Wait(kStore, kCompute));
  Add(&oc->post.back(), Signal(kStore, kCompute));
  oc->post.push_back(ComputeNop(Wait(kCompute, kStore)));
  // compute -> load: go ahead; load -> compute: the output is written.
  oc->post.push_back(ComputeNop(Signal(kCompute, kLoad)));
  const size_t first_load = oc->post.size();
  const int64_t plane = int64_t{ov.h} * ov.w;
  for (int c = 0; c < ov.c; ++c) {
    isa::LoadArgs a;
    a.buffer = static_cast<uint32_t>(isa::Buffer::kAbuf);
    a.region = kRegionScratch;
    a.rows = static_cast<uint32_t>(plane);
    a.row_bytes = 1;
    a.sram_addr = static_cast<uint32_t>(pc.Addr(ov, 0, 0) + c);
    a.sram_stride = static_cast<uint32_t>(ov.pix_pitch);
    a.host_offset = static_cast<uint32_t>(home + c * plane);
    a.host_stride = 1;
    oc->post.push_back(Instruction{{}, a});
  }
  Add(&oc->post[first_load], Wait(kLoad, kCompute));
  Add(&oc->post.back(), Signal(kLoad, kCompute));
  oc->post.push_back(ComputeNop(Wait(kCompute, kLoad)));
  return Status::Ok();
}

}  // namespace

Status CheckTranspose(const OpChecker& op) {
  if (op.node()->outputs->size != 1 || op.In(0) == nullptr) return op.Fail("needs one input and one output");
  const TfLiteTensor* in = op.In(0);
  const TfLiteTensor* out = op.Out(0);
  if (!IsInt8Or8(out) || in->type != out->type) return op.Fail("needs INT8/UINT8 input and output of one type");
  if (IsConstant(in)) return op.Fail("input is a constant tensor");
  const TfLiteTensor* perm = op.In(1);
  if (perm == nullptr || !IsConstant(perm) || perm->type != kTfLiteInt32 ||
      NumElements(perm) != static_cast<int64_t>(Dims(in).size()))
    return op.Fail("perm must be a constant INT32 vector of the input's rank");
  if (NumElements(out) > op.hw().abuf_bytes) return op.Fail("tensor does not fit the activation buffer");
  // NCHW -> NHWC is done by the DMA: loading a partition input
  // transposed, or a round trip through host memory. (No call to
  // GetExecutionPlan here: in TFLite it invalidates the caller's plan.)
  const std::vector<int> d = Dims(in);
  if (IsNchwToNhwc(d, perm->data.i32)) return Status::Ok();
  // Otherwise a gather by VLUT copies of the runs that stay contiguous.
  const int64_t runs = TransposeRuns(d, perm->data.i32);
  if (runs > kMaxTransposeCopies)
    return op.Fail(StrFormat("the accelerator has no transpose unit; this permutation needs %lld copies "
                          "(limit %lld)",
                          static_cast<long long>(runs), static_cast<long long>(kMaxTransposeCopies)));
  return Status::Ok();
}

// The input DMA transposes a partition input read by nothing else; other
// NCHW -> NHWC transposes make a round trip through host memory; the rest
// are gathers by copies.
Status PlanTranspose(PartitionCompiler& pc, int step, LayoutPhase phase) {
  if (phase != LayoutPhase::kGraph) return Status::Ok();
  TensorState& st = pc.ts_[pc.in(step, 0)];
  const bool nchw_to_nhwc = IsNchwToNhwc(Dims(pc.T(pc.in(step, 0))), pc.T(pc.in(step, 1))->data.i32);
  if (nchw_to_nhwc && st.is_input && st.consumers.size() == 1 && !st.is_output) {
    st.transposed_by = step;
    pc.ts_[pc.out(step)].input_dma = true;
  } else if (nchw_to_nhwc) {
    pc.transposes_by_dma_.insert(step);
    pc.ts_[pc.out(step)].between_op_dma = true;
  } else {
    pc.transposes_by_copy_.insert(step);
  }
  return Status::Ok();
}

Status LowerTranspose(PartitionCompiler& pc, int step, OpCode* oc) {
  if (pc.transposes_by_copy_.count(step)) return LowerByCopies(pc, step, oc);
  if (pc.transposes_by_dma_.count(step)) return LowerByDma(pc, step, oc);
  return Status::Ok();  // done by the input DMA
}

}  // namespace systole::compiler
