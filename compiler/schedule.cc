#include "compiler/schedule.h"

#include <algorithm>
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
    WaitForAllGroups();
    out_.seq.push_back(ComputeNop(Signal(kCompute, kStore)));
    if (in_.stores.empty()) return InvalidArgument("partition has no outputs");
    for (size_t i = 0; i < in_.stores.size(); ++i) {
      out_.seq.push_back(in_.stores[i]);
      if (i == 0) Add(&out_.seq.back(), Wait(kStore, kCompute));
    }
    return std::move(out_);
  }

 private:
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
    out_.op_ranges.push_back({begin, out_.seq.size() - begin});
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
