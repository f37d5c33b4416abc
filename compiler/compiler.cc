// CompilePartition: lowers a partition to the ISA (docs/compiler.md). The
// passes are in partition.h's order: layout.cc, abuf_alloc.cc, the op
// lowerings (compiler/ops/, through the op table), schedule.cc, writer.cc.
#include "compiler/compiler.h"

#include <algorithm>

#include "compiler/ops/op.h"
#include "compiler/partition.h"
#include "compiler/schedule.h"
#include "compiler/tokens.h"

namespace systole::compiler {
namespace {

// One copy of a whole root buffer between ABUF and SCRATCH, in rows the DMA
// fields can carry.
void CopyRoot(const Root& r, bool to_host, std::vector<Instruction>* out) {
  const uint64_t row = 1u << 20;
  for (uint64_t o = 0; o < static_cast<uint64_t>(r.bytes); o += row) {
    const uint32_t len = static_cast<uint32_t>(std::min<uint64_t>(row, r.bytes - o));
    // LOAD and STORE carry the same fields; only the direction differs.
    auto emit = [&](auto a) {
      a.buffer = static_cast<uint32_t>(isa::Buffer::kAbuf);
      a.region = kRegionScratch;
      a.rows = 1;
      a.row_bytes = len;
      a.sram_addr = static_cast<uint32_t>(r.addr + o);
      a.host_offset = static_cast<uint32_t>(r.scratch_offset + o);
      out->push_back(Instruction{{}, a});
    };
    if (to_host) emit(isa::StoreArgs{});
    else emit(isa::LoadArgs{});
  }
}

// Spilled roots read in a step are loaded before it (compute -> load: the
// segment's bytes are free; load -> compute: loaded); the one it writes is
// stored after it (compute -> store: written; store -> compute: stored, the
// bytes may be reused).
void SpillDma(const std::vector<const Root*>& to_load, const std::vector<const Root*>& to_store, OpCode* oc) {
  using namespace tokens;  // NOLINT
  if (!to_load.empty()) {
    oc->pre.push_back(ComputeNop(Signal(kCompute, kLoad)));
    const size_t first = oc->pre.size();
    for (const Root* r : to_load) CopyRoot(*r, false, &oc->pre);
    Add(&oc->pre[first], Wait(kLoad, kCompute));
    Add(&oc->pre.back(), Signal(kLoad, kCompute));
    oc->pre.push_back(ComputeNop(Wait(kCompute, kLoad)));
  }
  if (!to_store.empty()) {
    oc->post.push_back(ComputeNop(Signal(kCompute, kStore)));
    const size_t first = oc->post.size();
    for (const Root* r : to_store) CopyRoot(*r, true, &oc->post);
    Add(&oc->post[first], Wait(kStore, kCompute));
    Add(&oc->post.back(), Signal(kStore, kCompute));
    oc->post.push_back(ComputeNop(Wait(kCompute, kStore)));
  }
}

}  // namespace

Status PartitionCompiler::Lower(int step, OpCode* oc) {
  lowering_step_ = step;
  oc->node = spec_.nodes[step];
  oc->name = OpName(code(step));
  // Roots that come alive at this step get their border/margin fill first.
  for (const Root& r : roots_)
    if (r.first == step && r.needs_fill) EmitFill(r, oc);
  const OpEntry* entry = FindOp(code(step));
  if (entry == nullptr) return OpError(step, "no lowering");  // CheckOpSupport refused it already
  return entry->lower(*this, step, oc);
}

Status PartitionCompiler::LowerAll(OpCode* pre, std::vector<OpCode>* ops) {
  // Preamble: fills of roots alive from the start (partition inputs).
  for (const Root& r : roots_)
    if (r.first == -1 && r.needs_fill) EmitFill(r, pre);
  ops->assign(nodes_.size(), OpCode{});
  for (size_t s = 0; s < nodes_.size(); ++s) {
    const int step = static_cast<int>(s);
    std::vector<const Root*> to_load, to_store;
    for (Root& r : roots_) {
      if (!r.spilled || !r.seg_addr.count(step)) continue;
      r.addr = r.seg_addr[step];
      if (step == r.first) to_store.push_back(&r);
      else to_load.push_back(&r);
    }
    RETURN_IF_ERROR(Lower(step, &(*ops)[s]));
    if (!to_load.empty() || !to_store.empty()) mid_dma_ = true;
    SpillDma(to_load, to_store, &(*ops)[s]);
  }
  return Status::Ok();
}

StatusOr<CompiledPartition> PartitionCompiler::Run() {
  RETURN_IF_ERROR(ReadGraph());
  RETURN_IF_ERROR(PlanLayout());
  RETURN_IF_ERROR(Allocate());
  OpCode pre;
  std::vector<OpCode> ops;
  RETURN_IF_ERROR(LowerAll(&pre, &ops));

  const ParameterBlob blob = PackParameters(ops);
  const bool cache = opts_.cache_parameters && blob.pbuf_part <= hw_.pbuf_bytes;
  const uint32_t half = (hw_.pbuf_bytes / 2) / 64 * 64;
  if (!cache && mid_dma_)
    return OutOfRange("the parameters (%llu bytes) do not fit the %u-byte parameter cache, and streaming them "
                      "cannot be combined with moving activations through host memory",
                      static_cast<unsigned long long>(blob.bytes.size()), hw_.pbuf_bytes);
  if (!cache && blob.largest_block > half)
    return OutOfRange("an operator's parameters (%llu bytes) exceed half the %u-byte parameter cache",
                      static_cast<unsigned long long>(blob.largest_block), hw_.pbuf_bytes);

  const HostIo io = BindHostRegions();
  // Input bands: with cached parameters, a single partition input may be
  // loaded in row bands that compute waits for one by one. (Streamed
  // parameters share the load unit's token stream in a fixed order, so they
  // keep one input token.)
  input_bands_possible_ = cache && io.inputs.size() == 1 && ts_[io.inputs[0].tensor].view.h >= 2;
  ScheduleInput si;
  RETURN_IF_ERROR(InputLoads(blob, io, input_bands_ && input_bands_possible_, &si.input_groups));
  si.preamble = pre.compute;
  si.ops = &ops;
  si.stream = !cache;
  si.block_at = blob.block_at;
  si.pbuf_half = half;
  RETURN_IF_ERROR(OutputStores(io, &si.stores));
  ASSIGN_OR_RETURN(Schedule schedule, ScheduleInference(si));
  return Write(ops, blob, io, cache, half, schedule);
}

StatusOr<CompiledPartition> CompilePartition(TfLiteContext* context, const PartitionSpec& partition,
                                             const CompileOptions& options) {
  RETURN_IF_ERROR(options.hw.Validate());
  // Compiled twice, with the partition input loaded whole and in row bands
  // overlapping the first layers; the estimator picks (each band costs the
  // link's per-transfer latency, so banding wins only when compute can hide it).
  PartitionCompiler first(context, partition, options, false);
  StatusOr<CompiledPartition> whole = first.Run();
  // Activations that do not fit ABUF: every op in row bands through host
  // memory (docs/tiling.md). When tiling cannot take the partition, the
  // layout's error stands.
  if (!whole.ok() && first.abuf_overflow()) {
    StatusOr<CompiledPartition> tiled = PartitionCompiler(context, partition, options, false).RunTiled();
    if (tiled.ok()) return tiled;
    if (tiled.status().code() != StatusCode::kUnimplemented) return tiled;
    return whole;
  }
  if (!whole.ok() || !first.input_bands_possible()) return whole;
  StatusOr<CompiledPartition> banded = PartitionCompiler(context, partition, options, true).Run();
  if (banded.ok() && banded->report.estimated_cycles < whole->report.estimated_cycles) return banded;
  return whole;
}

}  // namespace systole::compiler
