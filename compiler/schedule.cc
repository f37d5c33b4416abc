#include "compiler/schedule.h"

#include <algorithm>
#include <iterator>
#include <map>

#include "compiler/tokens.h"
#include "arch/validate.h"

namespace systole::compiler {

using namespace tokens;  // NOLINT: kLoad, kCompute, kStore, Wait, Signal

void RelocatePbuf(Instruction* insn, uint32_t base) {
  switch (insn->opcode()) {
    case isa::Opcode::kLoadWeights: insn->as<isa::LoadWeightsArgs>().pbuf_addr += base; break;
    case isa::Opcode::kPreloadWeights: insn->as<isa::PreloadWeightsArgs>().pbuf_addr += base; break;
    case isa::Opcode::kPostproc: insn->as<isa::PostprocArgs>().param_addr += base; break;
    case isa::Opcode::kVmacc: insn->as<isa::VmaccArgs>().w_addr += base; break;
    case isa::Opcode::kVmaccWide: insn->as<isa::VmaccWideArgs>().w_addr += base; break;
    case isa::Opcode::kVlut: insn->as<isa::VlutArgs>().lut_addr += base; break;
    case isa::Opcode::kSoftmax: insn->as<isa::SoftmaxArgs>().table_addr += base; break;
    default: break;
  }
}

std::vector<Instruction> LinearParameterLoads(uint64_t host_off, uint64_t pbuf_addr, uint64_t bytes,
                                              isa::Deps first, isa::Deps last) {
  const uint64_t chunk = 1u << 20;
  std::vector<Instruction> list;
  for (uint64_t o = 0; o < bytes; o += chunk) {
    isa::LoadArgs a;
    a.buffer = static_cast<uint32_t>(isa::Buffer::kPbuf);
    a.region = kRegionParams;
    a.rows = 1;
    a.row_bytes = static_cast<uint32_t>(std::min(chunk, bytes - o));
    a.sram_addr = static_cast<uint32_t>(pbuf_addr + o);
    a.host_offset = static_cast<uint32_t>(host_off + o);
    list.push_back(Instruction{{}, a});
  }
  if (list.empty())
    list.push_back(Instruction{{}, isa::LoadArgs{static_cast<uint32_t>(isa::Buffer::kPbuf), kRegionParams, 0, 0, 0, 0, 0, 0}});
  Add(&list.front(), first);
  Add(&list.back(), last);
  return list;
}

namespace {

constexpr uint64_t kVregBytes = uint64_t{1} << 40;  // the vector registers, above every ABUF address
constexpr uint64_t kEverything = ~uint64_t{0};

using Spans = std::vector<std::pair<uint64_t, uint64_t>>;

// A union of [begin, end) intervals, kept merged.
class IntervalSet {
 public:
  void Add(uint64_t b, uint64_t e) {
    if (b >= e) return;
    auto it = m_.upper_bound(b);
    if (it != m_.begin() && std::prev(it)->second >= b) {
      --it;
      b = it->first;
      e = std::max(e, it->second);
      it = m_.erase(it);
    }
    while (it != m_.end() && it->first <= e) {
      e = std::max(e, it->second);
      it = m_.erase(it);
    }
    m_[b] = e;
  }
  void Add(const Spans& v) {
    for (const auto& [b, e] : v) Add(b, e);
  }
  bool Touches(uint64_t b, uint64_t e) const {
    if (b >= e) return false;
    auto it = m_.lower_bound(e);  // first interval starting at or after e
    return it != m_.begin() && std::prev(it)->second > b;
  }
  bool Touches(const Spans& v) const {
    for (const auto& [b, e] : v)
      if (Touches(b, e)) return true;
    return false;
  }

 private:
  std::map<uint64_t, uint64_t> m_;
};

}  // namespace

Accesses AccessesOf(const Instruction& insn) {
  Accesses x;
  const std::pair<uint64_t, uint64_t> vregs{kVregBytes, kVregBytes + 64};
  const std::pair<uint64_t, uint64_t> all{0, kEverything};
  auto span = [](uint64_t b, uint64_t len) { return std::make_pair(b, b + len); };
  switch (insn.opcode()) {
    case isa::Opcode::kNop:
    case isa::Opcode::kLoadWeights:
    case isa::Opcode::kPreloadWeights:  // PBUF to the shadow weights: no ABUF access
      break;
    case isa::Opcode::kMatmul:
    case isa::Opcode::kVmacc:
    case isa::Opcode::kVmaccWide:
      x.reads = sim::AbufReads(insn);
      break;
    case isa::Opcode::kPostproc: {
      const auto& a = insn.as<isa::PostprocArgs>();
      x.writes.push_back({a.dst_addr, sim::PostprocEnd(a)});
      break;
    }
    case isa::Opcode::kVadd:
    case isa::Opcode::kVsub:
    case isa::Opcode::kVmul: {
      x.reads = sim::AbufReads(insn);
      x.reads.push_back(vregs);
      uint64_t dst = 0, len = 0;
      if (insn.opcode() == isa::Opcode::kVadd) dst = insn.as<isa::VaddArgs>().dst, len = insn.as<isa::VaddArgs>().len;
      if (insn.opcode() == isa::Opcode::kVsub) dst = insn.as<isa::VsubArgs>().dst, len = insn.as<isa::VsubArgs>().len;
      if (insn.opcode() == isa::Opcode::kVmul) dst = insn.as<isa::VmulArgs>().dst, len = insn.as<isa::VmulArgs>().len;
      x.writes.push_back(span(dst, len));
      break;
    }
    case isa::Opcode::kVlut: {
      const auto& a = insn.as<isa::VlutArgs>();
      x.reads = sim::AbufReads(insn);
      x.writes.push_back(span(a.dst, a.len));
      break;
    }
    case isa::Opcode::kVfill: {
      const auto& a = insn.as<isa::VfillArgs>();
      x.writes.push_back(span(a.dst, a.len));
      break;
    }
    case isa::Opcode::kSetreg:
      x.writes.push_back(vregs);
      break;
    default:  // pools, SOFTMAX, anything else: a barrier
      x.reads.push_back(all);
      x.writes.push_back(all);
      break;
  }
  return x;
}

std::vector<size_t> UnitEnds(const std::vector<Instruction>& compute) {
  // Per index, whether the next accumulator access at or after it adds to
  // sums already there (an accumulating MATMUL/VMACC, or a POSTPROC reading).
  const size_t n = compute.size();
  std::vector<bool> next_reads_acc(n + 1, false);
  for (size_t i = n; i-- > 0;) {
    const Instruction& insn = compute[i];
    next_reads_acc[i] = next_reads_acc[i + 1];
    switch (insn.opcode()) {
      case isa::Opcode::kMatmul: next_reads_acc[i] = insn.as<isa::MatmulArgs>().accumulate; break;
      case isa::Opcode::kVmacc: next_reads_acc[i] = insn.as<isa::VmaccArgs>().accumulate; break;
      case isa::Opcode::kVmaccWide: next_reads_acc[i] = insn.as<isa::VmaccWideArgs>().accumulate; break;
      case isa::Opcode::kPostproc: next_reads_acc[i] = true; break;
      default: break;
    }
  }
  std::vector<size_t> ends;
  // Accumulator rows written and not yet read out by a POSTPROC (a GEMM's
  // POSTPROC may follow the next group's first MATMUL, in another region).
  std::vector<char> dirty;
  uint64_t dirty_rows = 0;
  auto mark = [&](uint64_t begin, uint64_t count, bool d) {
    if (dirty.size() < begin + count) dirty.resize(begin + count, 0);
    for (uint64_t r = begin; r < begin + count; ++r)
      if (dirty[r] != d) {
        dirty[r] = d;
        d ? ++dirty_rows : --dirty_rows;
      }
  };
  for (size_t i = 0; i < n; ++i) {
    const Instruction& insn = compute[i];
    const isa::Opcode op = insn.opcode();
    switch (op) {
      case isa::Opcode::kMatmul: mark(insn.as<isa::MatmulArgs>().acc_addr, insn.as<isa::MatmulArgs>().m, true); break;
      case isa::Opcode::kVmacc: mark(insn.as<isa::VmaccArgs>().acc_addr, insn.as<isa::VmaccArgs>().m, true); break;
      case isa::Opcode::kVmaccWide:
        mark(insn.as<isa::VmaccWideArgs>().acc_addr, insn.as<isa::VmaccWideArgs>().m, true);
        break;
      case isa::Opcode::kPostproc: mark(insn.as<isa::PostprocArgs>().acc_addr, insn.as<isa::PostprocArgs>().m, false); break;
      default: break;
    }
    const bool weights_next = op == isa::Opcode::kLoadWeights || op == isa::Opcode::kPreloadWeights;
    if (i + 1 == n || (dirty_rows == 0 && !weights_next && !next_reads_acc[i + 1])) ends.push_back(i + 1);
  }
  return ends;
}

namespace {

isa::LoadWeightsArgs AsLoad(const isa::PreloadWeightsArgs& p) {
  isa::LoadWeightsArgs w;
  w.k = p.k;
  w.n = p.n;
  w.pbuf_addr = p.pbuf_addr;
  w.w_stride = p.w_stride;
  w.u8 = p.u8;
  w.w_zp = p.w_zp;
  return w;
}

}  // namespace

std::vector<std::vector<Instruction>> SplitWeightState(const std::vector<Instruction>& compute,
                                                       const std::vector<size_t>& ends,
                                                       const std::vector<bool>& apart) {
  // Program-order weight state (docs/ISA.md: a PRELOAD_WEIGHTS is pending
  // until the next MATMUL fills the shadow set with it, after that MATMUL's
  // own take_shadow): for each MATMUL, the weights it multiplies by and the
  // instruction that put them in the registers (its LOAD_WEIGHTS, or the
  // PRELOAD_WEIGHTS it or an earlier MATMUL took); for each PRELOAD_WEIGHTS,
  // the first MATMUL that takes it (-1: none).
  const size_t n = compute.size();
  std::vector<long> src(n, -1), taker(n, -1);
  std::vector<isa::LoadWeightsArgs> used(n);
  isa::LoadWeightsArgs active, shadow, pending;
  long active_src = -1, shadow_src = -1, pending_src = -1;
  for (size_t i = 0; i < n; ++i) {
    const Instruction& insn = compute[i];
    if (insn.opcode() == isa::Opcode::kLoadWeights) {
      active = insn.as<isa::LoadWeightsArgs>();
      active_src = static_cast<long>(i);
    } else if (insn.opcode() == isa::Opcode::kPreloadWeights) {
      pending = AsLoad(insn.as<isa::PreloadWeightsArgs>());
      pending_src = static_cast<long>(i);
    } else if (insn.opcode() == isa::Opcode::kMatmul) {
      if (insn.as<isa::MatmulArgs>().take_shadow) {
        active = shadow;
        active_src = shadow_src;
        if (shadow_src >= 0 && taker[shadow_src] < 0) taker[shadow_src] = static_cast<long>(i);
      }
      src[i] = active_src;
      used[i] = active;
      if (pending_src >= 0) {
        shadow = pending;
        shadow_src = pending_src;
        pending_src = -1;
      }
    }
  }
  std::vector<std::vector<Instruction>> units;
  size_t b = 0;
  for (size_t u = 0; u < ends.size(); ++u) {
    const size_t e = ends[u];
    const bool head = u > 0 && apart[u - 1];        // emitted apart from the unit before it
    const bool tail = u + 1 < ends.size() && apart[u];  // ... and from the one after it
    std::vector<Instruction> out;
    long last_mm = -1;  // index in `out` of the unit's last MATMUL so far
    for (size_t i = b; i < e; ++i) {
      Instruction insn = compute[i];
      // A preload taken after the unit (or never): nothing here reads it.
      if (tail && insn.opcode() == isa::Opcode::kPreloadWeights &&
          (taker[i] < 0 || static_cast<size_t>(taker[i]) >= e))
        continue;
      if (head && insn.opcode() == isa::Opcode::kMatmul && src[i] >= 0 && static_cast<size_t>(src[i]) < b) {
        auto& mm = insn.as<isa::MatmulArgs>();
        const isa::LoadWeightsArgs& w = used[i];
        if (mm.take_shadow && last_mm >= 0) {
          // Preload it under the unit's MATMUL before, as the emitter does.
          out.insert(out.begin() + last_mm,
                     Instruction{{}, isa::PreloadWeightsArgs{w.k, w.n, w.pbuf_addr, w.w_stride, w.u8, w.w_zp}});
        } else {
          out.push_back(Instruction{{}, w});
          mm.take_shadow = false;
        }
      }
      if (insn.opcode() == isa::Opcode::kMatmul) last_mm = static_cast<long>(out.size());
      out.push_back(insn);
    }
    units.push_back(std::move(out));
    b = e;
  }
  return units;
}

namespace {

class Scheduler {
 public:
  explicit Scheduler(const ScheduleInput& in) : in_(in), ops_(*in.ops) {
    for (size_t s = 0; s < ops_.size(); ++s)
      if (!ops_[s].params.empty()) {
        block_index_[static_cast<int>(s)] = static_cast<int>(blocks_.size());
        blocks_.push_back(static_cast<int>(s));
      }
  }

  StatusOr<Schedule> Run() {
    if (in_.input_groups.empty() || in_.ops == nullptr) return InvalidArgument("schedule: no input loads");
    if (in_.cascade && !in_.stream && in_.input_groups.size() > 1) return RunCascade();
    RETURN_IF_ERROR(InputLoads());
    if (in_.stream)
      for (size_t j = 0; j < std::min<size_t>(2, blocks_.size()); ++j) StreamLoad(j);
    out_.seq.push_back(ComputeNop(Wait(kCompute, kLoad)));  // the first group
    popped_ = 1;
    for (const Instruction& i : in_.preamble) {
      WaitForGroups(i);
      out_.seq.push_back(i);
    }
    for (size_t s = 0; s < ops_.size(); ++s) Op(static_cast<int>(s));
    return Finish();
  }

 private:
  StatusOr<Schedule> Finish() {
    WaitForAllGroups();
    out_.seq.push_back(ComputeNop(Signal(kCompute, kStore)));
    if (in_.stores.empty()) return InvalidArgument("partition has no outputs");
    for (size_t i = 0; i < in_.stores.size(); ++i) {
      out_.seq.push_back(in_.stores[i]);
      if (i == 0) Add(&out_.seq.back(), Wait(kStore, kCompute));
    }
    return std::move(out_);
  }

  // The cascade (cached parameters, input in n row-band groups): the
  // preamble and every op's compute are cut into units (UnitEnds) and each
  // unit gets a phase, the number of the last input group it has to wait
  // for: at least the last group whose bytes it reads or writes, and at
  // least the phase of every earlier unit it conflicts with (one writes
  // what the other reads or writes). Compute then runs phase 0's units,
  // waits for group 1, runs phase 1's units, ... each phase in program
  // order. Conflicting units keep their order (an earlier unit's phase is
  // never higher), no unit carries accumulator state into another, and a
  // unit emitted apart from its op's unit before or after it is given its own
  // weight-register state (SplitWeightState), so the results are those of
  // the program order. An op with
  // between-op DMA (or token flags) and everything after it is in the last
  // phase, in program order, as without the cascade.
  StatusOr<Schedule> RunCascade() {
    RETURN_IF_ERROR(InputLoads());
    out_.seq.push_back(ComputeNop(Wait(kCompute, kLoad)));
    popped_ = 1;
    const std::vector<LoadGroup>& g = in_.input_groups;
    const int last = static_cast<int>(g.size()) - 1;
    struct Unit {
      int op;  // -1: the preamble
      std::vector<Instruction> insns;
      int phase;
    };
    std::vector<Unit> units;
    // The spans of the units placed so far, by phase.
    std::vector<IntervalSet> reads(g.size()), writes(g.size());
    bool barrier = false;
    auto place = [&](int op, std::vector<Instruction> insns) {
      Unit u{op, std::move(insns), 0};
      if (barrier) {
        u.phase = last;
        units.push_back(std::move(u));
        return;
      }
      Accesses a;
      for (const Instruction& i : u.insns) {
        Accesses x = AccessesOf(i);
        a.reads.insert(a.reads.end(), x.reads.begin(), x.reads.end());
        a.writes.insert(a.writes.end(), x.writes.begin(), x.writes.end());
      }
      for (int k = last; k > u.phase; --k) {
        IntervalSet band;
        band.Add(g[k].abuf_begin, g[k].abuf_end);
        if (band.Touches(a.reads) || band.Touches(a.writes) || writes[k].Touches(a.reads) ||
            writes[k].Touches(a.writes) || reads[k].Touches(a.writes)) {
          u.phase = k;
          break;
        }
      }
      reads[u.phase].Add(a.reads);
      writes[u.phase].Add(a.writes);
      units.push_back(std::move(u));
    };
    for (const Instruction& i : in_.preamble) place(-1, {i});
    size_t tail_from = ops_.size();  // the first op emitted after every phase (program order)
    for (size_t s = 0; s < ops_.size(); ++s) {
      const OpCode& op = ops_[s];
      bool flags = false;
      for (const Instruction& i : op.compute) flags |= i.deps.pop_prev || i.deps.pop_next || i.deps.push_prev || i.deps.push_next;
      if (!op.pre.empty() || !op.post.empty() || flags) {
        tail_from = s;
        break;
      }
      std::vector<Instruction> insns = op.compute;
      for (Instruction& i : insns) RelocatePbuf(&i, in_.block_at[s]);
      size_t b = 0;
      const size_t first = units.size();
      const std::vector<size_t> ends = UnitEnds(insns);
      for (size_t e : ends) {
        place(static_cast<int>(s), std::vector<Instruction>(insns.begin() + b, insns.begin() + e));
        b = e;
      }
      // Units of different phases are emitted apart: each gets the weights
      // it multiplies by (SplitWeightState).
      std::vector<bool> apart(ends.size(), false);
      bool any = false;
      for (size_t u = 0; u + 1 < ends.size(); ++u) {
        apart[u] = units[first + u].phase != units[first + u + 1].phase;
        any = any || apart[u];
      }
      if (any) {
        std::vector<std::vector<Instruction>> split = SplitWeightState(insns, ends, apart);
        for (size_t u = 0; u < ends.size(); ++u) units[first + u].insns = std::move(split[u]);
      }
      if (insns.empty()) units.push_back(Unit{static_cast<int>(s), {}, 0});
    }
    // Emission, recording where each op's instructions went.
    std::vector<std::vector<uint64_t>> at(ops_.size());
    for (int k = 0; k <= last; ++k) {
      if (k > 0) PopGroup();
      for (const Unit& u : units) {
        if (u.phase != k) continue;
        if (u.phase < last) ++out_.cascade_units;
        for (const Instruction& i : u.insns) {
          if (u.op >= 0) at[u.op].push_back(out_.seq.size());
          out_.seq.push_back(i);
        }
      }
    }
    // Ranges: the ops up to the last one with an instruction before another
    // op's share one range; the rest are contiguous in program order.
    int shared = -1;  // last op index inside the shared range
    uint64_t hi = 0;  // one past the shared range
    uint64_t seen_max = 0;
    for (size_t s = 0; s < tail_from; ++s)
      for (uint64_t i : at[s]) {
        if (i < seen_max) shared = static_cast<int>(s);
        seen_max = std::max(seen_max, i + 1);
      }
    out_.op_ranges.assign(ops_.size(), {0, 0});
    if (shared >= 0) {
      for (int s = 0; s <= shared; ++s)
        for (uint64_t i : at[s]) hi = std::max(hi, i + 1);
      // Ops after `shared` with an instruction inside join it.
      for (size_t s = static_cast<size_t>(shared) + 1; s < tail_from; ++s)
        if (!at[s].empty() && at[s].front() < hi) {
          shared = static_cast<int>(s);
          for (uint64_t i : at[s]) hi = std::max(hi, i + 1);
        }
      int owner = -1;
      for (int s = 0; s <= shared && owner < 0; ++s)
        if (!at[s].empty()) owner = s;
      // The range starts after the loads and the first wait (where the
      // program-order schedule's first op would start).
      uint64_t begin = hi;
      for (int s = 0; s <= shared; ++s)
        if (!at[s].empty()) begin = std::min(begin, at[s].front());
      for (int s = 0; s <= shared; ++s) out_.op_ranges[s] = {s < owner ? begin : hi, 0};
      out_.op_ranges[owner] = {begin, hi - begin};
      out_.cascaded_ops = shared + 1;
      out_.insn_op.assign(out_.seq.size(), -1);
      for (int s = 0; s <= shared; ++s)
        for (uint64_t i : at[s]) out_.insn_op[i] = s;
    }
    for (size_t s = static_cast<size_t>(shared + 1); s < tail_from; ++s) {
      if (at[s].empty()) {
        // An op without instructions sits where the next one starts.
        uint64_t next = out_.seq.size();
        for (size_t t = s + 1; t < tail_from && next == out_.seq.size(); ++t)
          if (!at[t].empty()) next = at[t].front();
        out_.op_ranges[s] = {next, 0};
      } else {
        out_.op_ranges[s] = {at[s].front(), at[s].back() + 1 - at[s].front()};
      }
    }
    for (size_t s = tail_from; s < ops_.size(); ++s) Op(static_cast<int>(s));
    return Finish();
  }


  // Each group's last load signals compute.
  Status InputLoads() {
    for (const LoadGroup& g : in_.input_groups) {
      out_.seq.insert(out_.seq.end(), g.loads.begin(), g.loads.end());
      if (!out_.seq.empty()) Add(&out_.seq.back(), Signal(kLoad, kCompute));
    }
    if (out_.seq.empty()) return InvalidArgument("partition has no inputs");
    return Status::Ok();
  }

  // Block j into its PBUF half; from the third block on, the load waits for
  // compute to free the half (the op two blocks back is done).
  void StreamLoad(size_t j) {
    const int s = blocks_[j];
    const uint32_t dst = static_cast<uint32_t>((j % 2) * in_.pbuf_half);
    const std::vector<Instruction> loads =
        LinearParameterLoads(in_.block_at[s], dst, ops_[s].params.size(),
                             j >= 2 ? Wait(kLoad, kCompute) : isa::Deps{}, Signal(kLoad, kCompute));
    out_.seq.insert(out_.seq.end(), loads.begin(), loads.end());
  }

  void PopGroup() {
    out_.seq.push_back(ComputeNop(Wait(kCompute, kLoad)));
    ++popped_;
  }
  // Waits for every group that `insn` reads from and that has not arrived.
  void WaitForGroups(const Instruction& insn) {
    const std::vector<LoadGroup>& g = in_.input_groups;
    size_t need = 0;
    for (const auto& [b, e] : sim::AbufReads(insn))
      for (size_t k = popped_; k < g.size(); ++k)
        if (b < g[k].abuf_end && g[k].abuf_begin < e) need = std::max(need, k + 1);
    while (popped_ < need) PopGroup();
  }
  void WaitForAllGroups() {
    while (popped_ < in_.input_groups.size()) PopGroup();
  }

  void Op(int s) {
    const OpCode& op = ops_[s];
    const uint64_t begin = out_.seq.size();
    auto bi = block_index_.find(s);
    const bool has_block = bi != block_index_.end();
    const uint32_t base = !in_.stream ? in_.block_at[s]
                          : has_block ? static_cast<uint32_t>((bi->second % 2) * in_.pbuf_half)
                                      : 0;
    if (in_.stream && has_block) out_.seq.push_back(ComputeNop(Wait(kCompute, kLoad)));
    // Between-op DMA shares the load unit's token stream: every group first.
    if (!op.pre.empty() || !op.post.empty()) WaitForAllGroups();
    out_.seq.insert(out_.seq.end(), op.pre.begin(), op.pre.end());
    for (Instruction insn : op.compute) {
      RelocatePbuf(&insn, base);
      WaitForGroups(insn);
      out_.seq.push_back(insn);
    }
    out_.seq.insert(out_.seq.end(), op.post.begin(), op.post.end());
    if (in_.stream && has_block) {
      const size_t j = static_cast<size_t>(bi->second);
      // Free this half for block j+2, then queue that block's load.
      if (j + 2 < blocks_.size()) {
        out_.seq.push_back(ComputeNop(Signal(kCompute, kLoad)));
        StreamLoad(j + 2);
      }
    }
    if (out_.op_ranges.size() <= static_cast<size_t>(s)) out_.op_ranges.resize(s + 1);
    out_.op_ranges[s] = {begin, out_.seq.size() - begin};
  }

  const ScheduleInput& in_;
  const std::vector<OpCode>& ops_;
  std::vector<int> blocks_;          // steps with a non-empty block, in order
  std::map<int, int> block_index_;   // step -> j
  size_t popped_ = 0;                // input groups compute has waited for
  Schedule out_;
};

}  // namespace

StatusOr<Schedule> ScheduleInference(const ScheduleInput& in) { return Scheduler(in).Run(); }

}  // namespace systole::compiler
