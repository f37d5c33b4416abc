#include "arch/validate.h"

#include <algorithm>
#include <cinttypes>

namespace systole::sim {
namespace {

using isa::Opcode;

struct Range {
  uint64_t begin, end;  // [begin, end)
};
bool Overlap(Range a, Range b) { return a.begin < b.end && b.begin < a.end; }

// One past the last byte the windows of a MAXPOOL / AVGPOOL read.
template <typename PoolArgs>
uint64_t PoolWindowsEnd(const PoolArgs& a) {
  const uint64_t win = uint64_t{a.kh - 1} * a.win_row_stride + uint64_t{a.kw - 1} * a.win_col_stride;
  return PatternEnd(a.a_addr, a.m, a.a_inner_count, a.a_inner_stride, a.a_outer_stride, a.n) + win;
}

class Checker {
 public:
  Checker(const isa::Instruction& insn, const DeviceConfig& c, const HostMemory& h)
      : insn_(insn), c_(c), h_(h), name_(isa::OpcodeName(insn.opcode())) {}

  Status Fail(const char* field, const std::string& rule) const {
    return OutOfRange("%s: %s %s", name_, field, rule.c_str());
  }
  Status Le(const char* field, uint64_t v, uint64_t max) const {
    if (v > max) return Fail(field, StrFormat("= %" PRIu64 " exceeds %" PRIu64, v, max));
    return Status::Ok();
  }
  // [begin, end) must lie inside a memory of `size` units called `mem`.
  Status Inside(const char* what, uint64_t begin, uint64_t end, uint64_t size,
                const char* mem) const {
    if (end > size)
      return Fail(what, StrFormat("[0x%" PRIx64 ", 0x%" PRIx64 ") outside %s (size 0x%" PRIx64 ")",
                                  begin, end, mem, size));
    return Status::Ok();
  }
  Status AccRows(uint64_t addr, uint64_t m) const {
    return Inside("acc rows", addr, addr + m, c_.acc_rows, "ACC");
  }
  Status Disjoint(const char* what, Range dst, Range src) const {
    if (Overlap(dst, src) && dst.begin != src.begin)
      return Fail(what, "partially overlaps its input (must be identical or disjoint)");
    return Status::Ok();
  }
  Status Host(const char* dir, int region, uint64_t end, bool need_read) const {
    const HostRegion& r = h_.region(region);
    if (!r.mapped()) return Fail("region", StrFormat("%d is not mapped by the host", region));
    if (need_read && !r.readable)
      return Fail("region", StrFormat("%d is not readable by the device", region));
    if (!need_read && !r.writable)
      return Fail("region", StrFormat("%d is not writable by the device", region));
    if (end > r.size)
      return Fail(dir, StrFormat("DMA ends at 0x%" PRIx64 ", past host region %d (size 0x%" PRIx64 ")",
                                 end, region, r.size));
    return Status::Ok();
  }

  // A weight zero point is only meaningful for UINT8 weights (u8 = 1).
  template <typename Args>
  Status WeightZeroPoint(const Args& a) const {
    if (!a.u8 && a.w_zp != 0) return Fail("w_zp", StrFormat("is %u but u8 = 0 (must be 0 for int8 weights)", a.w_zp));
    return Status::Ok();
  }

  template <typename Args>
  Status CheckVmacc(const Args& a) const {
    RETURN_IF_ERROR(WeightZeroPoint(a));
    RETURN_IF_ERROR(Le("n", a.n, static_cast<uint64_t>(c_.cols)));
    RETURN_IF_ERROR(AccRows(a.acc_addr, a.m));
    RETURN_IF_ERROR(Inside("weights", a.w_addr, uint64_t{a.w_addr} + a.n, c_.pbuf_bytes, "PBUF"));
    return Inside("activations", a.a_addr,
                  PatternEnd(a.a_addr, a.m, a.a_inner_count, a.a_inner_stride, a.a_outer_stride, a.n),
                  c_.abuf_bytes, "ABUF");
  }

  Status Deps() const {
    const isa::Unit u = insn_.unit();
    if (u == isa::Unit::kLoad && (insn_.deps.pop_prev || insn_.deps.push_prev))
      return InvalidArgument("%s: the load unit has no previous unit (pop_prev/push_prev set)", name_);
    if (u == isa::Unit::kStore && (insn_.deps.pop_next || insn_.deps.push_next))
      return InvalidArgument("%s: the store unit has no next unit (pop_next/push_next set)", name_);
    return Status::Ok();
  }

  Status Dma(const isa::LoadArgs& a, bool is_load) const {
    if (!is_load && a.buffer != static_cast<uint32_t>(isa::Buffer::kAbuf))
      return Fail("buffer", "must be ABUF (only activations are stored to the host)");
    const HostRegion& r = h_.region(a.region);
    if (!r.mapped()) return Fail("region", StrFormat("%u is not mapped by the host", a.region));
    if (a.rows == 0 || a.row_bytes == 0) return Status::Ok();
    const bool abuf = a.buffer == static_cast<uint32_t>(isa::Buffer::kAbuf);
    const uint64_t sram_end = uint64_t{a.sram_addr} + uint64_t{a.extra_planes} * a.sram_plane_stride +
                              uint64_t{a.rows - 1} * a.sram_stride + a.row_bytes;
    RETURN_IF_ERROR(Inside("sram range", a.sram_addr, sram_end,
                           abuf ? c_.abuf_bytes : c_.pbuf_bytes, abuf ? "ABUF" : "PBUF"));
    const uint64_t host_end = uint64_t{a.host_offset} + uint64_t{a.extra_planes} * a.host_plane_stride +
                              uint64_t{a.rows - 1} * a.host_stride + a.row_bytes;
    return Host("host range", a.region, host_end, is_load);
  }

  template <typename PoolArgs>
  Status Pool(const PoolArgs& a) const {
    RETURN_IF_ERROR(Le("n", a.n, static_cast<uint64_t>(c_.cols)));
    const uint64_t in_end = PoolWindowsEnd(a);
    RETURN_IF_ERROR(Inside("windows", a.a_addr, in_end, c_.abuf_bytes, "ABUF"));
    const uint64_t out_end = uint64_t{a.dst_addr} + uint64_t{a.m - 1} * a.dst_stride + a.n;
    RETURN_IF_ERROR(Inside("output", a.dst_addr, out_end, c_.abuf_bytes, "ABUF"));
    if (Overlap({a.dst_addr, out_end}, {a.a_addr, in_end}))
      return Fail("output", "overlaps the input windows");
    return Status::Ok();
  }

  Status Run() const {
    RETURN_IF_ERROR(Deps());
    const uint64_t R = c_.rows, C = c_.cols;
    switch (insn_.opcode()) {
      case Opcode::kNop:
        return Status::Ok();
      case Opcode::kLoad:
        return Dma(insn_.as<isa::LoadArgs>(), true);
      case Opcode::kStore: {
        const auto& s = insn_.as<isa::StoreArgs>();
        isa::LoadArgs a{s.buffer, s.region, s.rows, s.row_bytes, s.sram_addr, s.sram_stride,
                        s.host_offset, s.host_stride};
        return Dma(a, false);
      }
      case Opcode::kLoadWeights: {
        const auto& a = insn_.as<isa::LoadWeightsArgs>();
        RETURN_IF_ERROR(Le("k", a.k, R));
        RETURN_IF_ERROR(Le("n", a.n, C));
        RETURN_IF_ERROR(WeightZeroPoint(a));
        return Inside("weights", a.pbuf_addr, uint64_t{a.pbuf_addr} + uint64_t{a.k - 1} * a.w_stride + a.n,
                      c_.pbuf_bytes, "PBUF");
      }
      case Opcode::kPreloadWeights: {  // same rule as LOAD_WEIGHTS
        const auto& a = insn_.as<isa::PreloadWeightsArgs>();
        RETURN_IF_ERROR(Le("k", a.k, R));
        RETURN_IF_ERROR(Le("n", a.n, C));
        RETURN_IF_ERROR(WeightZeroPoint(a));
        return Inside("weights", a.pbuf_addr, uint64_t{a.pbuf_addr} + uint64_t{a.k - 1} * a.w_stride + a.n,
                      c_.pbuf_bytes, "PBUF");
      }
      case Opcode::kMatmul: {
        const auto& a = insn_.as<isa::MatmulArgs>();
        RETURN_IF_ERROR(Le("k", a.k, R));
        RETURN_IF_ERROR(AccRows(a.acc_addr, a.m));
        return Inside("activations", a.a_addr,
                      PatternEnd(a.a_addr, a.m, a.a_inner_count, a.a_inner_stride, a.a_outer_stride, a.k),
                      c_.abuf_bytes, "ABUF");
      }
      case Opcode::kPostproc: {
        const auto& a = insn_.as<isa::PostprocArgs>();
        RETURN_IF_ERROR(Le("n", a.n, C));
        RETURN_IF_ERROR(AccRows(a.acc_addr, a.m));
        if (a.act_min > a.act_max)
          return Fail("act_min", StrFormat("%d > act_max %d", a.act_min, a.act_max));
        if (a.fp32 && a.single_round)
          return Fail("single_round", "must be 0 when fp32 = 1 (the binary32 scale has no fixed-point rounding)");
        RETURN_IF_ERROR(Inside("output", a.dst_addr, PostprocEnd(a), c_.abuf_bytes, "ABUF"));
        return Inside("params", a.param_addr, uint64_t{a.param_addr} + 12ull * a.n, c_.pbuf_bytes, "PBUF");
      }
      case Opcode::kVmacc: return CheckVmacc(insn_.as<isa::VmaccArgs>());
      case Opcode::kVmaccWide: return CheckVmacc(insn_.as<isa::VmaccWideArgs>());
      case Opcode::kVadd:
      case Opcode::kVsub:
      case Opcode::kVmul: {
        uint32_t len, s1, s2, d;
        if (insn_.opcode() == Opcode::kVadd) {
          const auto& a = insn_.as<isa::VaddArgs>(); len = a.len; s1 = a.src1; s2 = a.src2; d = a.dst;
        } else if (insn_.opcode() == Opcode::kVsub) {
          const auto& a = insn_.as<isa::VsubArgs>(); len = a.len; s1 = a.src1; s2 = a.src2; d = a.dst;
        } else {
          const auto& a = insn_.as<isa::VmulArgs>(); len = a.len; s1 = a.src1; s2 = a.src2; d = a.dst;
        }
        RETURN_IF_ERROR(Inside("src1", s1, uint64_t{s1} + len, c_.abuf_bytes, "ABUF"));
        RETURN_IF_ERROR(Inside("src2", s2, uint64_t{s2} + len, c_.abuf_bytes, "ABUF"));
        RETURN_IF_ERROR(Inside("dst", d, uint64_t{d} + len, c_.abuf_bytes, "ABUF"));
        RETURN_IF_ERROR(Disjoint("dst", {d, uint64_t{d} + len}, {s1, uint64_t{s1} + len}));
        return Disjoint("dst", {d, uint64_t{d} + len}, {s2, uint64_t{s2} + len});
      }
      case Opcode::kVlut: {
        const auto& a = insn_.as<isa::VlutArgs>();
        RETURN_IF_ERROR(Inside("src", a.src, uint64_t{a.src} + a.len, c_.abuf_bytes, "ABUF"));
        RETURN_IF_ERROR(Inside("dst", a.dst, uint64_t{a.dst} + a.len, c_.abuf_bytes, "ABUF"));
        RETURN_IF_ERROR(Inside("lut", a.lut_addr, uint64_t{a.lut_addr} + isa::kLutBytes, c_.pbuf_bytes, "PBUF"));
        return Disjoint("dst", {a.dst, uint64_t{a.dst} + a.len}, {a.src, uint64_t{a.src} + a.len});
      }
      case Opcode::kVfill: {
        const auto& a = insn_.as<isa::VfillArgs>();
        return Inside("dst", a.dst, uint64_t{a.dst} + a.len, c_.abuf_bytes, "ABUF");
      }
      case Opcode::kSoftmax: {
        const auto& a = insn_.as<isa::SoftmaxArgs>();
        const uint64_t bytes = uint64_t{a.m} * a.len;
        RETURN_IF_ERROR(Inside("src", a.src, uint64_t{a.src} + bytes, c_.abuf_bytes, "ABUF"));
        RETURN_IF_ERROR(Inside("dst", a.dst, uint64_t{a.dst} + bytes, c_.abuf_bytes, "ABUF"));
        RETURN_IF_ERROR(Inside("table", a.table_addr, uint64_t{a.table_addr} + isa::kSoftmaxTableBytes,
                               c_.pbuf_bytes, "PBUF"));
        return Disjoint("dst", {a.dst, uint64_t{a.dst} + bytes}, {a.src, uint64_t{a.src} + bytes});
      }
      case Opcode::kVl2norm: {
        const auto& a = insn_.as<isa::Vl2normArgs>();
        const uint64_t bytes = uint64_t{a.m} * a.len;
        RETURN_IF_ERROR(Inside("src", a.src, uint64_t{a.src} + bytes, c_.abuf_bytes, "ABUF"));
        RETURN_IF_ERROR(Inside("dst", a.dst, uint64_t{a.dst} + bytes, c_.abuf_bytes, "ABUF"));
        return Disjoint("dst", {a.dst, uint64_t{a.dst} + bytes}, {a.src, uint64_t{a.src} + bytes});
      }
      case Opcode::kMaxpool:
        return Pool(insn_.as<isa::MaxpoolArgs>());
      case Opcode::kAvgpool:
        return Pool(insn_.as<isa::AvgpoolArgs>());
      case Opcode::kSetreg: {
        const auto& a = insn_.as<isa::SetregArgs>();
        if (a.vreg + a.count > static_cast<uint32_t>(isa::kNumVregs))
          return Fail("vreg", StrFormat("%u + count %u exceeds %d registers", a.vreg, a.count, isa::kNumVregs));
        const int32_t v[3] = {a.value0, a.value1, a.value2};
        for (uint32_t j = 0; j < 3; ++j) {
          if (j >= a.count) {
            if (v[j] != 0) return Fail("value", StrFormat("%u set beyond count %u", j, a.count));
            continue;
          }
          const isa::VRegInfo& info = isa::kVRegInfo[a.vreg + j];
          if (v[j] < info.min || v[j] > info.max)
            return Fail("value", StrFormat("%d for register %s outside [%" PRId64 ", %" PRId64 "]", v[j],
                                           info.name, info.min, info.max));
        }
        return Status::Ok();
      }
    }
    return Unimplemented("%s: no validation rule", name_);
  }

 private:
  const isa::Instruction& insn_;
  const DeviceConfig& c_;
  const HostMemory& h_;
  const char* name_;
};

}  // namespace

Status ValidateInstruction(const isa::Instruction& insn, const DeviceConfig& config,
                           const HostMemory& host) {
  return Checker(insn, config, host).Run();
}

StatusOr<isa::Instruction> DecodeAndValidate(const isa::InsnWord& word, uint64_t pc,
                                             const DeviceConfig& config, const HostMemory& host) {
  StatusOr<isa::Instruction> insn = isa::Decode(word);
  if (!insn.ok()) return Annotate(insn.status(), StrFormat("instruction %" PRIu64, pc));
  Status s = ValidateInstruction(*insn, config, host);
  if (!s.ok()) return Annotate(s, StrFormat("instruction %" PRIu64, pc));
  return insn;
}

Status DeviceConfig::Validate() const {
  if (rows < 2 || rows > isa::kMaxDim || cols < 2 || cols > isa::kMaxDim)
    return InvalidArgument("device config: array %dx%d outside [2, %d]", rows, cols, isa::kMaxDim);
  if (abuf_bytes == 0 || pbuf_bytes == 0 || acc_rows == 0)
    return InvalidArgument("device config: empty on-chip memory");
  if (!(clock_hz > 0) || !(link.bytes_per_second > 0) || link.latency_seconds < 0)
    return InvalidArgument("device config: clock and link bandwidth must be positive");
  if (queue_depth < 1 || token_depth < 1)
    return InvalidArgument("device config: queue and token depths must be >= 1");
  return Status::Ok();
}

uint64_t PostprocDst(const isa::PostprocArgs& a, uint64_t i) {
  if (a.dst_row_len == 0) return a.dst_addr + i * a.dst_stride;
  return a.dst_addr + (i / a.dst_row_len) * a.dst_row_pitch + (i % a.dst_row_len) * a.dst_stride;
}

uint64_t PostprocEnd(const isa::PostprocArgs& a) {
  if (a.dst_row_len == 0) return uint64_t{a.dst_addr} + uint64_t{a.m - 1} * a.dst_stride + a.n;
  return PatternEnd(a.dst_addr, a.m, a.dst_row_len, a.dst_stride, a.dst_row_pitch, a.n);
}

uint64_t PatternEnd(uint64_t base, uint64_t count, uint64_t inner, uint64_t stride, uint64_t outer,
                    uint64_t width) {
  const uint64_t runs = (count + inner - 1) / inner;
  const uint64_t per_run = std::min(count, inner);
  return base + (runs - 1) * outer + (per_run - 1) * stride + width;
}

std::vector<std::pair<uint64_t, uint64_t>> AbufReads(const isa::Instruction& insn) {
  using Opcode = isa::Opcode;
  auto pattern = [](uint64_t base, uint64_t m, uint64_t inner, uint64_t stride, uint64_t outer, uint64_t width) {
    return std::make_pair(base, PatternEnd(base, m, inner, stride, outer, width));
  };
  switch (insn.opcode()) {
    case Opcode::kMatmul: {
      const auto& a = insn.as<isa::MatmulArgs>();
      return {pattern(a.a_addr, a.m, a.a_inner_count, a.a_inner_stride, a.a_outer_stride, a.k)};
    }
    case Opcode::kVmacc: {
      const auto& a = insn.as<isa::VmaccArgs>();
      return {pattern(a.a_addr, a.m, a.a_inner_count, a.a_inner_stride, a.a_outer_stride, a.n)};
    }
    case Opcode::kVmaccWide: {
      const auto& a = insn.as<isa::VmaccWideArgs>();
      return {pattern(a.a_addr, a.m, a.a_inner_count, a.a_inner_stride, a.a_outer_stride, a.n)};
    }
    case Opcode::kMaxpool: {
      const auto& a = insn.as<isa::MaxpoolArgs>();
      return {{a.a_addr, PoolWindowsEnd(a)}};
    }
    case Opcode::kAvgpool: {
      const auto& a = insn.as<isa::AvgpoolArgs>();
      return {{a.a_addr, PoolWindowsEnd(a)}};
    }
    case Opcode::kVadd: {
      const auto& a = insn.as<isa::VaddArgs>();
      return {{a.src1, uint64_t{a.src1} + a.len}, {a.src2, uint64_t{a.src2} + a.len}};
    }
    case Opcode::kVsub: {
      const auto& a = insn.as<isa::VsubArgs>();
      return {{a.src1, uint64_t{a.src1} + a.len}, {a.src2, uint64_t{a.src2} + a.len}};
    }
    case Opcode::kVmul: {
      const auto& a = insn.as<isa::VmulArgs>();
      return {{a.src1, uint64_t{a.src1} + a.len}, {a.src2, uint64_t{a.src2} + a.len}};
    }
    case Opcode::kVlut: {
      const auto& a = insn.as<isa::VlutArgs>();
      return {{a.src, uint64_t{a.src} + a.len}};
    }
    case Opcode::kSoftmax: {
      const auto& a = insn.as<isa::SoftmaxArgs>();
      return {{a.src, uint64_t{a.src} + uint64_t{a.m} * a.len}};
    }
    case Opcode::kVl2norm: {
      const auto& a = insn.as<isa::Vl2normArgs>();
      return {{a.src, uint64_t{a.src} + uint64_t{a.m} * a.len}};
    }
    case Opcode::kStore: {
      const auto& a = insn.as<isa::StoreArgs>();
      if (a.rows == 0) return {};
      return {{a.sram_addr, uint64_t{a.sram_addr} + uint64_t{a.rows - 1} * a.sram_stride + a.row_bytes}};
    }
    default:
      return {};
  }
}

}  // namespace systole::sim
