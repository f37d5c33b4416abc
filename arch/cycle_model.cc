#include "arch/cycle_model.h"

#include <algorithm>
#include <cmath>

#include "arch/issue.h"

namespace systole::sim {
namespace {
uint64_t CeilDiv(uint64_t a, uint64_t b) { return (a + b - 1) / b; }
}  // namespace

uint64_t ComputeIssueCycles(const isa::Instruction& insn, const CoreConfig& core) {
  const uint64_t R = core.rows, C = core.cols, L = isa::kMemReadLatency;
  switch (insn.opcode()) {
    case isa::Opcode::kMatmul:
      // Its vectors, its preload (PRELOAD_ROWS weight rows a cycle) and at
      // most WEIGHT_BANKS - 1 weight sets entering the cells (R + C - 1
      // diagonals each) at once (ISA 8).
      return std::max<uint64_t>({insn.as<isa::MatmulArgs>().m, CeilDiv(R, isa::kPreloadRows),
                                 CeilDiv(R + C - 2, isa::kWeightBanks - 1)}) +
             L;
    case isa::Opcode::kPostproc:
      return 3;
    default:
      return ComputeCycles(insn, core);
  }
}

std::vector<uint64_t> AttributeComputeSpans(const std::vector<std::pair<uint64_t, uint64_t>>& start_cycles) {
  // Each busy cycle belongs to the latest-started instruction busy in it.
  // Starts are in program order (non-decreasing); `active` holds the
  // instructions that may still be busy, oldest first.
  const size_t n = start_cycles.size();
  std::vector<uint64_t> out(n, 0);
  std::vector<size_t> active;
  auto end = [&](size_t j) { return start_cycles[j].first + start_cycles[j].second; };
  // Hands [from, to) to its owners: the newest active instruction until it
  // ends, then the newest one still busy, ...
  auto assign = [&](uint64_t from, uint64_t to) {
    uint64_t cur = from;
    for (size_t k = active.size(); k-- > 0 && cur < to;) {
      const uint64_t e = std::min(end(active[k]), to);
      if (e > cur) {
        out[active[k]] += e - cur;
        cur = e;
      }
    }
    std::vector<size_t> still;
    for (size_t j : active)
      if (end(j) > to) still.push_back(j);
    active.swap(still);
  };
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) assign(start_cycles[i - 1].first, std::max(start_cycles[i].first, start_cycles[i - 1].first));
    active.push_back(i);
  }
  if (n > 0) assign(start_cycles[n - 1].first, UINT64_MAX);
  return out;
}

std::vector<uint64_t> ComputeTimeline(const std::vector<isa::Instruction>& seq, const CoreConfig& core) {
  std::vector<std::pair<uint64_t, uint64_t>> spans;
  std::vector<size_t> index;
  IssueModel issue(core);
  for (size_t i = 0; i < seq.size(); ++i) {
    const isa::Instruction& insn = seq[i];
    if (insn.unit() != isa::Unit::kCompute) continue;
    const uint64_t start = issue.EarliestAccept(insn, 0);
    issue.Accept(insn, start);
    spans.emplace_back(start, ComputeCycles(insn, core));
    index.push_back(i);
  }
  const std::vector<uint64_t> a = AttributeComputeSpans(spans);
  std::vector<uint64_t> out(seq.size(), 0);
  for (size_t j = 0; j < a.size(); ++j) out[index[j]] = a[j];
  return out;
}


uint64_t ComputeCycles(const isa::Instruction& insn, const CoreConfig& core) {
  using isa::Opcode;
  const uint64_t R = core.rows, C = core.cols, L = isa::kMemReadLatency;
  switch (insn.opcode()) {
    case Opcode::kNop:
    case Opcode::kSetreg:
    case Opcode::kPreloadWeights:
      return 1;
    case Opcode::kLoadWeights:
      return R + L;
    case Opcode::kMatmul:
      return insn.as<isa::MatmulArgs>().m + R + C - 1 + L;
    case Opcode::kPostproc:
      return CeilDiv(insn.as<isa::PostprocArgs>().m, isa::kPostprocRows) + 3 + L + isa::kRequantLatency;
    case Opcode::kVmacc:
      return insn.as<isa::VmaccArgs>().m + 1 + L + isa::kVmaccLatency;
    case Opcode::kVmaccWide:
      return CeilDiv(insn.as<isa::VmaccWideArgs>().m, R) + 1 + L + isa::kVmaccLatency;
    case Opcode::kVadd:
      return CeilDiv(insn.as<isa::VaddArgs>().len, C) + L + isa::kEltwiseLatency;
    case Opcode::kVsub:
      return CeilDiv(insn.as<isa::VsubArgs>().len, C) + L + isa::kEltwiseLatency;
    case Opcode::kVmul:
      return CeilDiv(insn.as<isa::VmulArgs>().len, C) + L + isa::kEltwiseLatency;
    case Opcode::kVlut:
      return CeilDiv(isa::kLutBytes, 4 * C) + CeilDiv(insn.as<isa::VlutArgs>().len, C) + L +
             isa::kLutLatency;
    case Opcode::kVfill:
      return CeilDiv(insn.as<isa::VfillArgs>().len, C);
    case Opcode::kMaxpool: {
      const auto& a = insn.as<isa::MaxpoolArgs>();
      return uint64_t{a.m} * a.kh * a.kw + L + isa::kPoolLatency;
    }
    case Opcode::kAvgpool: {
      const auto& a = insn.as<isa::AvgpoolArgs>();
      return uint64_t{a.m} * a.kh * a.kw + L + isa::kPoolLatency;
    }
    case Opcode::kVl2norm: {
      const auto& a = insn.as<isa::Vl2normArgs>();
      return 1 + uint64_t{a.m} * (2 * uint64_t{a.len} + 2 * L + isa::kL2normIsqrtLatency + isa::kL2normLatency);
    }
    case Opcode::kSoftmax: {
      const auto& a = insn.as<isa::SoftmaxArgs>();
      return CeilDiv(isa::kSoftmaxTableBytes, 4 * C) + L +
             uint64_t{a.m} * (3 * uint64_t{a.len} + 3 * L + isa::kSoftmaxDivLatency + isa::kSoftmaxLatency);
    }
    case Opcode::kLoad:
    case Opcode::kStore:
      break;  // not a compute-core instruction
  }
  return 1;
}

uint64_t DmaBytes(const isa::Instruction& insn) {
  if (insn.opcode() == isa::Opcode::kLoad) {
    const auto& a = insn.as<isa::LoadArgs>();
    return (uint64_t{a.extra_planes} + 1) * a.rows * a.row_bytes;
  }
  if (insn.opcode() == isa::Opcode::kStore) {
    const auto& a = insn.as<isa::StoreArgs>();
    return uint64_t{a.rows} * a.row_bytes;
  }
  return 0;
}

uint64_t DmaCycles(uint64_t bytes, const DeviceConfig& config) {
  const uint64_t latency =
      static_cast<uint64_t>(std::llround(config.link.latency_seconds * config.clock_hz));
  // ceil(bytes * clock / bandwidth) in double: exact for the integer-valued
  // presets and identical in every model since all call this function.
  const double transfer = std::ceil(static_cast<double>(bytes) * config.clock_hz /
                                    config.link.bytes_per_second - 1e-9);
  const uint64_t t = latency + (bytes ? static_cast<uint64_t>(transfer) : 0);
  return t < 1 ? 1 : t;
}

uint64_t MacCount(const isa::Instruction& insn, const CoreConfig& core) {
  if (insn.opcode() == isa::Opcode::kMatmul) {
    const auto& a = insn.as<isa::MatmulArgs>();
    return uint64_t{a.m} * a.k * core.cols;
  }
  if (insn.opcode() == isa::Opcode::kVmacc) {
    const auto& a = insn.as<isa::VmaccArgs>();
    return uint64_t{a.m} * a.n;
  }
  if (insn.opcode() == isa::Opcode::kVmaccWide) {
    const auto& a = insn.as<isa::VmaccWideArgs>();
    return uint64_t{a.m} * a.n;
  }
  return 0;
}

}  // namespace systole::sim
