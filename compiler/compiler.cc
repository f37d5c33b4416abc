// CompilePartition: lowers a partition to the ISA (docs/compiler.md). The
// passes are in partition.h's order: layout.cc, abuf_alloc.cc, the op
// lowerings (compiler/ops/, through the op table), schedule.cc, writer.cc.
#include "compiler/compiler.h"

#include <algorithm>
#include <climits>

#include "compiler/abuf_alloc.h"
#include "compiler/ops/op.h"
#include "interpreter/quant_arith.h"
#include "schema/tflite_generated.h"
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

// The banded input loads CompilePartition tries after the whole one.
// (Each extra band costs the link's per-transfer latency once per DMA of a
// band, three for an NCHW image; the cascade needs enough compute that
// depends on the early bands only to pay for it.)
std::vector<InputPlan> InputPlans() {
  return {
      InputPlan{kInputBands, false},  // bands waited for by their first readers
      InputPlan{2, true},             // the cascade over 2 and 8 bands
      InputPlan{8, true},
      InputPlan{2, true, true},       // the same, buffers placed by band phase
      InputPlan{3, true, true},
      InputPlan{4, true, true},
      InputPlan{8, true, true},
  };
}

}  // namespace

void PartitionCompiler::CascadeCuts() {
  cascade_cuts_.clear();
  if (!input_bands_ || !plan_.cascade || spec_.inputs.size() != 1) return;
  const int nb = plan_.bands;
  // Rows of tensor t computable from input bands 0..k (k < nb - 1); a tensor
  // without an entry is complete from the start (constants).
  std::map<int, std::vector<int>> avail;
  auto height = [&](int t) {
    const std::vector<int> d = Dims(T(t));
    return d.size() == 4 ? d[1] : -1;
  };
  int in_t = spec_.inputs[0];
  const TensorState& ist = ts_.at(in_t);
  if (ist.transposed_by >= 0) in_t = out(ist.transposed_by);
  const int h = height(in_t);
  if (h < 2) return;
  {
    std::vector<int> a(nb - 1);
    const int bands = std::min(nb, h);  // as InputLoads cuts them
    for (int k = 0; k + 1 < nb; ++k) a[k] = k + 1 < bands ? h * (k + 1) / bands : h;
    avail[in_t] = a;
  }
  auto get = [&](int t) -> std::vector<int> {
    auto it = avail.find(t);
    if (it != avail.end()) return it->second;
    return std::vector<int>(nb - 1, ts_.count(t) && !ts_.at(t).is_const && !IsConstant(T(t)) ? 0 : INT32_MAX);
  };
  for (size_t s = 0; s < nodes_.size(); ++s) {
    const int step = static_cast<int>(s);
    const int c = code(step);
    const int o = out(step);
    if (o == in_t) continue;
    const int oh = height(o);
    std::vector<int> a(nb - 1, 0);
    int sh = 1, dh = 1, kh = 1, pt = 0;
    if (c == tflite::BuiltinOperator_CONV_2D || c == tflite::BuiltinOperator_DEPTHWISE_CONV_2D ||
        c == tflite::BuiltinOperator_AVERAGE_POOL_2D || c == tflite::BuiltinOperator_MAX_POOL_2D) {
      const std::vector<int> id = Dims(T(in(step, 0)));
      if (id.size() != 4 || oh < 0) continue;
      int sw = 1, dw = 1, kw = 1, ohh = 0, oww = 0;
      TfLitePadding pad = kTfLitePaddingValid;
      if (c == tflite::BuiltinOperator_CONV_2D) {
        const auto* p = static_cast<const TfLiteConvParams*>(node(step)->builtin_data);
        sh = p->stride_height, sw = p->stride_width, dh = p->dilation_height_factor, dw = p->dilation_width_factor;
        pad = p->padding;
        kh = Dims(T(in(step, 1)))[1], kw = Dims(T(in(step, 1)))[2];
      } else if (c == tflite::BuiltinOperator_DEPTHWISE_CONV_2D) {
        const auto* p = static_cast<const TfLiteDepthwiseConvParams*>(node(step)->builtin_data);
        sh = p->stride_height, sw = p->stride_width, dh = p->dilation_height_factor, dw = p->dilation_width_factor;
        pad = p->padding;
        kh = Dims(T(in(step, 1)))[1], kw = Dims(T(in(step, 1)))[2];
      } else {
        const auto* p = static_cast<const TfLitePoolParams*>(node(step)->builtin_data);
        sh = p->stride_height, sw = p->stride_width, pad = p->padding;
        kh = p->filter_height, kw = p->filter_width;
      }
      pt = quant_arith::PaddingHeightWidth(sh, sw, dh, dw, id[1], id[2], kh, kw, pad, &ohh, &oww).height;
      cascade_rowmap_[step] = RowMap{1, sh, kh, dh, pt};
      const std::vector<int> ia = get(in(step, 0));
      for (int k = 0; k + 1 < nb; ++k) {
        if (ia[k] >= id[1]) {
          a[k] = oh;
          continue;
        }
        // Output row y reads input rows up to y*sh - pt + (kh-1)*dh.
        const int64_t num = int64_t{ia[k]} - 1 + pt - int64_t{kh - 1} * dh;
        a[k] = num < 0 ? 0 : static_cast<int>(std::min<int64_t>(oh, num / sh + 1));
      }
    } else if (c == tflite::BuiltinOperator_PAD && oh >= 0) {
      const int top = T(in(step, 1))->data.i32[2];
      cascade_rowmap_[step] = RowMap{2, 1, 1, 1, top};
      const int ih = height(in(step, 0));
      const std::vector<int> ia = get(in(step, 0));
      for (int k = 0; k + 1 < nb; ++k) a[k] = ia[k] >= ih ? oh : std::min(oh, ia[k] + top);
    } else {
      // Anything else waits for its whole input.
      bool full = true;
      for (int i = 0; i < node(step)->inputs->size; ++i) {
        if (in(step, i) < 0) continue;
        const std::vector<int> ia = get(in(step, i));
        const int ih = height(in(step, i));
        for (int k = 0; k + 1 < nb; ++k) full &= ia[k] == INT32_MAX || (ih >= 0 && ia[k] >= ih);
      }
      for (int k = 0; k + 1 < nb; ++k) a[k] = full ? std::max(oh, 1) : 0;
      if (!full) {
        avail[o] = a;
        continue;
      }
      a.assign(nb - 1, INT32_MAX);
    }
    avail[o] = a;
    if (oh < 0) continue;
    std::vector<int> cuts;
    for (int k = 0; k + 1 < nb; ++k)
      if (a[k] > 0 && a[k] < oh && (cuts.empty() || cuts.back() != a[k])) cuts.push_back(a[k]);
    if (!cuts.empty()) cascade_cuts_[step] = cuts;
  }
  cascade_avail_ = avail;
}

std::vector<std::vector<std::vector<std::pair<int64_t, int64_t>>>> PartitionCompiler::PhaseFootprints() const {
  const int nb = plan_.bands;
  std::vector<std::vector<std::vector<std::pair<int64_t, int64_t>>>> fp(roots_.size());
  std::vector<bool> unknown(roots_.size(), false);
  // Rows [A(k-1), A(k)) of a tensor with availability `a` appear in phase k.
  auto bound = [&](const std::vector<int>& a, int k, int h) {
    if (k < 0) return 0;
    if (k >= nb - 1) return h;
    return a[k] == INT32_MAX ? h : std::min(a[k], h);
  };
  for (const auto& [t, st] : ts_) {
    if (!st.has_view || st.view.root < 0) continue;
    const int r = st.view.root;
    const View& v = st.view;
    const int h = v.h;
    const auto at = cascade_avail_.find(t);
    if (at == cascade_avail_.end() || h < 1) {
      unknown[r] = true;
      continue;
    }
    if (fp[r].empty()) fp[r].assign(nb, {});
    auto add = [&](int k, int y0, int y1) {
      y0 = std::max(y0, 0), y1 = std::min(y1, h);
      if (y0 >= y1) return;
      const int64_t b = y0 == 0 ? 0 : v.offset + int64_t{y0} * v.row_pitch;
      const int64_t e = y1 == h ? roots_[r].bytes : v.offset + int64_t{y1} * v.row_pitch;
      fp[r][k].push_back({b, std::max(b, e)});
    };
    for (int k = 0; k < nb; ++k) add(k, bound(at->second, k - 1, h), bound(at->second, k, h));
    for (int c : st.consumers) {
      const auto ot = cascade_avail_.find(out(c));
      const int oh = ts_.count(out(c)) && ts_.at(out(c)).has_view ? ts_.at(out(c)).view.h : -1;
      const auto rm = cascade_rowmap_.find(c);
      if (ot == cascade_avail_.end() || oh < 1) {
        add(nb - 1, 0, h);
        continue;
      }
      for (int k = 0; k < nb; ++k) {
        const int lo = bound(ot->second, k - 1, oh), hi = bound(ot->second, k, oh);
        if (lo >= hi) continue;
        if (rm != cascade_rowmap_.end() && rm->second.kind == 1) {
          const RowMap& m = rm->second;
          add(k, lo * m.sh - m.pt, (hi - 1) * m.sh - m.pt + (m.kh - 1) * m.dh + 1);
        } else if (rm != cascade_rowmap_.end() && rm->second.kind == 2) {
          add(k, lo - rm->second.pt, hi - rm->second.pt);
        } else if (oh == h) {
          add(k, lo, hi);
        } else {
          add(k, 0, h);
        }
      }
    }
  }
  for (size_t r = 0; r < roots_.size(); ++r)
    if (unknown[r]) fp[r].clear();
  return fp;
}

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

StatusOr<PendingPartition> PartitionCompiler::Run() {
  RETURN_IF_ERROR(ReadGraph());
  RETURN_IF_ERROR(PlanLayout());
  CascadeCuts();
  // The cascade: buffers placed by the band phases their rows are touched in
  // (InputPlan::phased); or the input's buffer lives until the last op that
  // follows the bands (a later buffer placed over its last band would wait
  // for that band).
  bool placed = false;
  if (!cascade_cuts_.empty() && plan_.phased) {
    // Bottom-up, or with the buffers of the first cascaded ops placed from the
    // top down (leaving the bottom for a large later one): the placement whose
    // first root that the phases cannot place comes latest, then the fewest.
    const std::vector<PhaseSpans> phases = PhaseFootprints();
    std::vector<int> splits = {INT_MIN};
    for (const auto& [step, cuts] : cascade_cuts_)
      if (splits.size() < 17) splits.push_back(step + 1);
    std::vector<Root> best;
    AbufAllocation best_a;
    for (int split : splits) {
      std::vector<Root> trial = roots_;
      StatusOr<AbufAllocation> a = AllocateAbufPhased(&trial, hw_.abuf_bytes, phases, split);
      if (!a.ok()) continue;
      if (best.empty() || a->first_fallback > best_a.first_fallback ||
          (a->first_fallback == best_a.first_fallback && a->fallbacks < best_a.fallbacks)) {
        best = std::move(trial);
        best_a = *a;
      }
    }
    if (!best.empty()) {
      roots_ = std::move(best);
      abuf_peak_ = best_a.peak;
      placed = true;
    }
  }
  if (!cascade_cuts_.empty() && !placed) {
    const int until = cascade_cuts_.rbegin()->first;
    for (Root& r : roots_)
      if (r.first == -1 && r.last < until) r.last = until;
  }
  if (!placed) RETURN_IF_ERROR(Allocate());
  OpCode pre;
  std::vector<OpCode> ops;
  RETURN_IF_ERROR(LowerAll(&pre, &ops));

  ParameterBlob blob = PackParameters(ops);
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
  // (An NCHW input the DMA transposes is banded by the rows of its NHWC view.)
  if (cache && io.inputs.size() == 1) {
    const TensorState& ist = ts_[io.inputs[0].tensor];
    input_bands_possible_ = (ist.transposed_by >= 0 ? ts_[out(ist.transposed_by)].view : ist.view).h >= 2;
  }
  ScheduleInput si;
  RETURN_IF_ERROR(InputLoads(blob, io, input_bands_ && input_bands_possible_, &si.input_groups));
  if (input_bands_ && input_bands_possible_) {
    // All input LOADs are queued at the start: more than the load unit's queue
    // holds would stall instruction fetch (and the compute behind it).
    size_t loads = 0;
    for (const LoadGroup& g : si.input_groups) loads += g.loads.size();
    if (loads > static_cast<size_t>(hw_.queue_depth))
      return FailedPrecondition("%zu input LOADs exceed the %d-entry load queue", loads, hw_.queue_depth);
  }
  si.preamble = pre.compute;
  si.ops = &ops;
  si.stream = !cache;
  si.block_at = blob.block_at;
  si.pbuf_half = half;
  si.cascade = plan_.cascade;
  RETURN_IF_ERROR(OutputStores(io, &si.stores));
  ASSIGN_OR_RETURN(Schedule schedule, ScheduleInference(si));
  return Write(ops, std::move(blob), io, cache, half, schedule);
}

StatusOr<CompiledPartition> CompilePartition(TfLiteContext* context, const PartitionSpec& partition,
                                             const CompileOptions& options) {
  RETURN_IF_ERROR(options.hw.Validate());
  // Compiled with the partition input loaded whole and with each input-band
  // plan of InputPlans() (row bands overlapping the first layers); the
  // estimator picks (each band costs the link's per-transfer latency, so
  // banding wins only when compute can hide it).
  // Only the kept plan's executable is written; the plans share the GEMM
  // weights gathered from the filters.
  PartitionCompiler::GemmWeightCache gemm_weights;
  PartitionCompiler first(context, partition, options);
  first.gemm_weights_ = &gemm_weights;
  StatusOr<PendingPartition> whole = first.Run();
  // Activations that do not fit ABUF: every op in row bands through host
  // memory (docs/tiling.md). When tiling cannot take the partition, the
  // layout's error stands.
  if (!whole.ok() && first.abuf_overflow()) {
    StatusOr<PendingPartition> tiled = PartitionCompiler(context, partition, options).RunTiled();
    if (tiled.ok()) return WriteExecutable(context, options, std::move(*tiled));
    if (tiled.status().code() != StatusCode::kUnimplemented) return tiled.status();
    return whole.status();
  }
  if (!whole.ok()) return whole.status();
  PendingPartition best = std::move(*whole);
  if (!first.input_bands_possible() || !options.input_bands) return WriteExecutable(context, options, std::move(best));
  for (const InputPlan& plan : InputPlans()) {
    PartitionCompiler banded_compiler(context, partition, options, plan);
    banded_compiler.gemm_weights_ = &gemm_weights;
    StatusOr<PendingPartition> banded = banded_compiler.Run();
    if (banded.ok() && banded->result.report.estimated_cycles < best.result.report.estimated_cycles)
      best = std::move(*banded);
  }
  return WriteExecutable(context, options, std::move(best));
}

}  // namespace systole::compiler
