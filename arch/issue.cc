#include "arch/issue.h"

#include <algorithm>

#include "arch/cycle_model.h"
#include "arch/validate.h"

namespace systole::sim {

DoneLane DoneLaneOf(isa::Opcode op) {
  if (op == isa::Opcode::kPreloadWeights) return DoneLane::kNone;
  if (op == isa::Opcode::kPostproc) return DoneLane::kPost;
  return op == isa::Opcode::kMatmul ? DoneLane::kArray : DoneLane::kOther;
}

uint64_t IssueModel::EarliestAccept(const isa::Instruction& insn, uint64_t t) const {
  uint64_t s = std::max(t, issue_at_);
  switch (insn.opcode()) {
    case isa::Opcode::kPreloadWeights:
      break;
    case isa::Opcode::kMatmul: {
      const auto& a = insn.as<isa::MatmulArgs>();
      s = BesidePost(a, a.k, s);
      break;
    }
    case isa::Opcode::kPostproc: {
      const auto& a = insn.as<isa::PostprocArgs>();
      const Range acc{a.acc_addr, uint64_t{a.acc_addr} + a.m};
      if (post_) s = std::max(s, post_done_ + 1);
      for (const Matmul& m : matmuls_)
        if (m.acc.Overlaps(acc)) s = std::max(s, m.done + 1);
      break;
    }
    case isa::Opcode::kVmaccWide: {
      // Serial, but beside a POSTPROC on other rows and bytes: it uses the
      // wide ports and the array's multipliers, the POSTPROC port P and the
      // requantization lanes.
      const auto& a = insn.as<isa::VmaccWideArgs>();
      s = BesidePost(a, a.n, std::max(s, other_done_));
      break;
    }
    default:
      s = std::max(s, all_done_);
      break;
  }
  return s;
}

void IssueModel::Accept(const isa::Instruction& insn, uint64_t t) {
  const uint64_t done = t + ComputeCycles(insn, core_) - 1;
  issue_at_ = t + ComputeIssueCycles(insn, core_);
  all_done_ = std::max(all_done_, done + 1);
  if (insn.opcode() != isa::Opcode::kPostproc) other_done_ = std::max(other_done_, done + 1);
  while (!matmuls_.empty() && matmuls_.front().done < t) matmuls_.pop_front();
  if (post_ && post_done_ < t) post_ = false;
  if (insn.opcode() == isa::Opcode::kMatmul) {
    const auto& a = insn.as<isa::MatmulArgs>();
    matmuls_.push_back(Matmul{done, Range{a.acc_addr, uint64_t{a.acc_addr} + a.m}});
  } else if (insn.opcode() == isa::Opcode::kPostproc) {
    const auto& a = insn.as<isa::PostprocArgs>();
    post_ = true;
    post_done_ = done;
    post_acc_ = Range{a.acc_addr, uint64_t{a.acc_addr} + a.m};
    post_abuf_ = Range{a.dst_addr, PostprocEnd(a)};
  }
}

}  // namespace systole::sim
