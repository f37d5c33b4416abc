#include "simulator/semantics.h"

#include <algorithm>
#include <cstring>

#include "arch/validate.h"
#include "common/fixed_point.h"
#include "common/inv_sqrt.h"
#include "common/float32.h"
#include "simulator/fast_kernels.h"

namespace systole::sim {
namespace {

using isa::Opcode;
using isa::VReg;

// Address of item i of a 2-D pattern (see MATMUL in docs/ISA.md).
inline uint64_t PatternAddr(uint64_t base, uint32_t i, uint32_t inner, uint64_t stride,
                            uint64_t outer) {
  return base + uint64_t{i / inner} * outer + uint64_t{i % inner} * stride;
}

inline int32_t LoadI32(const uint8_t* p) {
  uint32_t v = uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
  return static_cast<int32_t>(v);
}

// int32 add/sub wrapping like the hardware (no signed-overflow UB).
inline int32_t WrapAdd(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}
inline int32_t WrapSub(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) - static_cast<uint32_t>(b));
}
inline int8_t Clamp8(int32_t v, int32_t lo, int32_t hi) {
  return static_cast<int8_t>(std::min(std::max(v, lo), hi));
}

class Exec {
 public:
  Exec(const CoreConfig& c, const CoreMemories& m, CoreState* s) : c_(c), m_(m), s_(*s) {}

  int32_t reg(VReg r) const { return s_.vregs[static_cast<int>(r)]; }
  int8_t a8(uint64_t addr) const { return static_cast<int8_t>(m_.abuf[addr]); }
  int8_t p8(uint64_t addr) const { return static_cast<int8_t>(m_.pbuf[addr]); }
  int32_t* acc_row(uint32_t row) const { return m_.acc + size_t{row} * c_.cols; }

  // A weight byte as the 9-bit signed value the array multiplies by: int8, or
  // (u8 = 1) uint8 minus the weight zero point, in [-255, 255].
  int16_t wt(uint64_t addr, uint32_t u8, uint32_t w_zp) const {
    return static_cast<int16_t>(u8 ? int32_t{m_.pbuf[addr]} - static_cast<int32_t>(w_zp) : int32_t{p8(addr)});
  }

  // W[r][c] = wt(PBUF[pbuf_addr + r*w_stride + c]) for r < k, c < n, else 0.
  void FillWeights(std::vector<int16_t>* w, uint32_t k, uint32_t n, uint32_t pbuf_addr, uint32_t w_stride,
                   uint32_t u8, uint32_t w_zp) const {
    std::fill(w->begin(), w->end(), 0);
    for (uint32_t r = 0; r < k; ++r)
      for (uint32_t c = 0; c < n; ++c)
        (*w)[size_t{r} * c_.cols + c] = wt(uint64_t{pbuf_addr} + uint64_t{r} * w_stride + c, u8, w_zp);
  }
  void LoadWeights(const isa::LoadWeightsArgs& a) {
    FillWeights(&s_.weights, a.k, a.n, a.pbuf_addr, a.w_stride, a.u8, a.w_zp);
  }

  // y[c] = sum_{r < k} a8(addr + r) * weights[r][c] for every row, computed
  // by PackedWeights (fast_kernels.h); |sum| < 2^23: no overflow. ACC gets
  // y (accumulate = 0) or ACC + y, wrapping, for all C columns.
  // take_shadow copies S into W first; a pending PRELOAD_WEIGHTS fills S
  // during the MATMUL (after the copy, W unaffected).
  void Matmul(const isa::MatmulArgs& a) {
    if (a.take_shadow) s_.weights = s_.shadow;
    if (s_.preload_pending) {
      const isa::PreloadWeightsArgs& p = s_.preload;
      FillWeights(&s_.shadow, p.k, p.n, p.pbuf_addr, p.w_stride, p.u8, p.w_zp);
      s_.preload_pending = false;
    }
    PackedWeights pw;
    pw.Pack(s_.weights.data(), static_cast<int>(a.k), c_.cols, c_.cols);
    // PatternAddr(a_addr, i, ...) stepped without a division per row.
    uint64_t outer = a.a_addr;
    uint32_t j = 0;
    for (uint32_t i = 0; i < a.m; ++i, ++j) {
      if (j == a.a_inner_count) {
        j = 0;
        outer += a.a_outer_stride;
      }
      const uint64_t addr = outer + uint64_t{j} * a.a_inner_stride;
      pw.MatmulRow(reinterpret_cast<const int8_t*>(m_.abuf + addr), acc_row(a.acc_addr + i), a.accumulate);
    }
  }

  // The per-column parameters are decoded once per instruction; the integer
  // modes then requantize a row per RequantRow call (fast_kernels.h), the
  // fp32 mode element by element (PostprocRows).
  void Postproc(const isa::PostprocArgs& a) {
    const uint8_t* bias = m_.pbuf + a.param_addr;
    const uint8_t* mult = bias + 4 * a.n;
    const uint8_t* shift = bias + 8 * a.n;
    std::vector<int32_t> cols(3 * size_t{a.n});
    int32_t* b = cols.data();
    int32_t* mu = b + a.n;
    int32_t* sh = mu + a.n;
    for (uint32_t c = 0; c < a.n; ++c) {
      b[c] = LoadI32(bias + 4 * c);
      mu[c] = LoadI32(mult + 4 * c);
      sh[c] = std::min(31, std::max(-31, LoadI32(shift + 4 * c)));
    }
    if (a.fp32) {
      // XNNPACK's fp32 requantization; the shift vector is ignored.
      PostprocRows(a, b, [&](int32_t v, uint32_t c) -> int32_t {
        const int64_t r = f32::RoundHalfEvenToInt32(f32::Mul(f32::FromInt32(v), static_cast<uint32_t>(mu[c])));
        return static_cast<int32_t>(std::min<int64_t>(std::max<int64_t>(r + a.out_zp, a.act_min), a.act_max));
      });
      return;
    }
    const RequantMode mode = a.single_round ? RequantMode::kSingleRound
                             : a.half_up    ? RequantMode::kHalfUp
                                            : RequantMode::kDoubleRound;
    for (uint32_t i = 0; i < a.m; ++i)
      RequantRow(mode, acc_row(a.acc_addr + i), b, mu, sh, a.n, a.out_zp, a.act_min, a.act_max,
                 m_.abuf + PostprocDst(a, i));
  }

  // out[i][c] = requant(acc[i][c] + bias[c], c) as a byte.
  template <typename Requant>
  void PostprocRows(const isa::PostprocArgs& a, const int32_t* bias, Requant requant) {
    for (uint32_t i = 0; i < a.m; ++i) {
      const int32_t* acc = acc_row(a.acc_addr + i);
      uint8_t* out = m_.abuf + PostprocDst(a, i);
      for (uint32_t c = 0; c < a.n; ++c) out[c] = static_cast<uint8_t>(requant(WrapAdd(acc[c], bias[c]), c));
    }
  }

  // VMACC and VMACC_WIDE (same fields, same results).
  template <typename Args>
  void Vmacc(const Args& a) {
    for (uint32_t i = 0; i < a.m; ++i) {
      const uint64_t addr = PatternAddr(a.a_addr, i, a.a_inner_count, a.a_inner_stride, a.a_outer_stride);
      int32_t* acc = acc_row(a.acc_addr + i);
      for (uint32_t c = 0; c < a.n; ++c) {
        const int32_t p = static_cast<int32_t>(
            static_cast<uint32_t>(int32_t{a8(addr + c)} * wt(uint64_t{a.w_addr} + c, a.u8, a.w_zp)) << a.w_shift);
        acc[c] = a.accumulate ? WrapAdd(acc[c], p) : p;
      }
    }
  }

  template <typename Args>
  void Eltwise(const Args& a, Opcode op) {
    const int32_t zp1 = reg(VReg::kIn1Zp), zp2 = reg(VReg::kIn2Zp), ozp = reg(VReg::kOutZp);
    const int32_t lo = reg(VReg::kActMin), hi = reg(VReg::kActMax);
    const int ls = reg(VReg::kLeftShift);
    const int32_t m1 = reg(VReg::kIn1Mult), m2 = reg(VReg::kIn2Mult), mo = reg(VReg::kOutMult);
    const int s1 = reg(VReg::kIn1Shift), s2 = reg(VReg::kIn2Shift), so = reg(VReg::kOutShift);
    // dst is identical to or disjoint from the sources (validated), so an
    // element-at-a-time loop equals the hardware's chunked read-then-write.
    for (uint32_t i = 0; i < a.len; ++i) {
      const int32_t x1 = a8(uint64_t{a.src1} + i) - zp1;
      const int32_t x2 = a8(uint64_t{a.src2} + i) - zp2;
      int32_t raw;
      if (op == Opcode::kVmul) {
        raw = MultiplyByQuantizedMultiplier(x1 * x2, mo, so);
      } else {
        const int32_t a1 = MultiplyByQuantizedMultiplier(x1 * (1 << ls), m1, s1);
        const int32_t a2 = MultiplyByQuantizedMultiplier(x2 * (1 << ls), m2, s2);
        raw = MultiplyByQuantizedMultiplier(op == Opcode::kVadd ? WrapAdd(a1, a2) : WrapSub(a1, a2), mo, so);
      }
      m_.abuf[uint64_t{a.dst} + i] = static_cast<uint8_t>(Clamp8(WrapAdd(raw, ozp), lo, hi));
    }
  }

  template <typename Args>
  void Pool(const Args& a, bool is_max) {
    const int32_t lo = reg(VReg::kActMin), hi = reg(VReg::kActMax);
    const int32_t count = static_cast<int32_t>(a.kh * a.kw);
    for (uint32_t i = 0; i < a.m; ++i) {
      const uint64_t base = PatternAddr(a.a_addr, i, a.a_inner_count, a.a_inner_stride, a.a_outer_stride);
      uint8_t* out = m_.abuf + a.dst_addr + uint64_t{i} * a.dst_stride;
      for (uint32_t c = 0; c < a.n; ++c) {
        int32_t acc = is_max ? -128 : 0;
        for (uint32_t ky = 0; ky < a.kh; ++ky)
          for (uint32_t kx = 0; kx < a.kw; ++kx) {
            const int32_t v = a8(base + uint64_t{ky} * a.win_row_stride + uint64_t{kx} * a.win_col_stride + c);
            acc = is_max ? std::max(acc, v) : acc + v;
          }
        if (!is_max) acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
        out[c] = static_cast<uint8_t>(Clamp8(acc, lo, hi));
      }
    }
  }

  void Run(const isa::Instruction& insn) {
    switch (insn.opcode()) {
      case Opcode::kNop:
      case Opcode::kLoad:
      case Opcode::kStore:
        return;
      case Opcode::kSetreg: {
        const auto& a = insn.as<isa::SetregArgs>();
        const int32_t v[3] = {a.value0, a.value1, a.value2};
        for (uint32_t j = 0; j < a.count; ++j) s_.vregs[a.vreg + j] = v[j];
        return;
      }
      case Opcode::kLoadWeights: return LoadWeights(insn.as<isa::LoadWeightsArgs>());
      case Opcode::kMatmul: return Matmul(insn.as<isa::MatmulArgs>());
      case Opcode::kPreloadWeights:
        s_.preload = insn.as<isa::PreloadWeightsArgs>();
        s_.preload_pending = true;
        return;
      case Opcode::kPostproc: return Postproc(insn.as<isa::PostprocArgs>());
      case Opcode::kVmacc: return Vmacc(insn.as<isa::VmaccArgs>());
      case Opcode::kVmaccWide: return Vmacc(insn.as<isa::VmaccWideArgs>());
      case Opcode::kVadd: return Eltwise(insn.as<isa::VaddArgs>(), Opcode::kVadd);
      case Opcode::kVsub: return Eltwise(insn.as<isa::VsubArgs>(), Opcode::kVsub);
      case Opcode::kVmul: return Eltwise(insn.as<isa::VmulArgs>(), Opcode::kVmul);
      case Opcode::kVlut: {
        const auto& a = insn.as<isa::VlutArgs>();
        for (uint32_t i = 0; i < a.len; ++i)
          m_.abuf[uint64_t{a.dst} + i] = m_.pbuf[uint64_t{a.lut_addr} + (a8(uint64_t{a.src} + i) + 128)];
        return;
      }
      case Opcode::kVfill: {
        const auto& a = insn.as<isa::VfillArgs>();
        std::memset(m_.abuf + a.dst, static_cast<uint8_t>(a.value), a.len);
        return;
      }
      case Opcode::kMaxpool: return Pool(insn.as<isa::MaxpoolArgs>(), true);
      case Opcode::kAvgpool: return Pool(insn.as<isa::AvgpoolArgs>(), false);
      case Opcode::kSoftmax: return Softmax(insn.as<isa::SoftmaxArgs>());
      case Opcode::kVl2norm: return L2Norm(insn.as<isa::Vl2normArgs>());
    }
  }

  // TFLite's quantized L2_NORMALIZATION (fixed point, common/fixed_point.h).
  void L2Norm(const isa::Vl2normArgs& a) {
    std::vector<int32_t> d(a.len);
    for (uint32_t r = 0; r < a.m; ++r) {
      const uint64_t src = uint64_t{a.src} + uint64_t{r} * a.len;
      const uint64_t dst = uint64_t{a.dst} + uint64_t{r} * a.len;
      int32_t sum = 0;  // < 2^31: len <= VL2NORM_LEN_MAX (validated)
      for (uint32_t j = 0; j < a.len; ++j) {
        d[j] = int32_t{a8(src + j)} - a.in_zp;
        sum += d[j] * d[j];
      }
      int32_t inv = 0;
      int shift = 0;
      InvSqrtQuantizedMultiplierExp(sum, -1, &inv, &shift);
      for (uint32_t j = 0; j < a.len; ++j) {
        const int32_t q = a.uint8 ? MultiplyByQuantizedMultiplierSmallerThanOneExp(128 * d[j], inv, shift)
                                  : MultiplyByQuantizedMultiplier(d[j], inv, shift + 7);
        m_.abuf[dst + j] = static_cast<uint8_t>(std::min(std::max(q, -128), 127));
      }
    }
  }

  // TFLite's quantized softmax (optimized_ops::Softmax) in binary32 (float32.h).
  void Softmax(const isa::SoftmaxArgs& a) {
    std::vector<uint32_t> e(a.len);
    for (uint32_t r = 0; r < a.m; ++r) {
      const uint64_t src = uint64_t{a.src} + uint64_t{r} * a.len;
      const uint64_t dst = uint64_t{a.dst} + uint64_t{r} * a.len;
      auto x = [&](uint32_t j) -> int32_t { return a8(src + j); };
      int32_t mx = x(0);
      for (uint32_t j = 1; j < a.len; ++j) mx = std::max(mx, x(j));
      uint32_t sum = 0;
      for (uint32_t j = 0; j < a.len; ++j) {
        e[j] = static_cast<uint32_t>(LoadI32(m_.pbuf + a.table_addr + 4 * (255 - mx + x(j))));
        sum = f32::Add(sum, e[j]);
      }
      const uint32_t inv = f32::Div(f32::kOne, f32::Mul(sum, a.scale));
      for (uint32_t j = 0; j < a.len; ++j) {
        const uint32_t p = f32::Mul(e[j], inv);
        const int64_t q = a.trunc_round ? f32::TruncToInt32(f32::Add(p, f32::kHalf)) : f32::RoundHalfAwayToInt32(p);
        m_.abuf[dst + j] = static_cast<uint8_t>(std::min<int64_t>(std::max<int64_t>(q + a.out_zp, -128), 127));
      }
    }
  }

 private:
  const CoreConfig& c_;
  const CoreMemories& m_;
  CoreState& s_;
};

}  // namespace

void ExecuteCompute(const isa::Instruction& insn, const CoreConfig& core, const CoreMemories& mem,
                    CoreState* state) {
  Exec(core, mem, state).Run(insn);
}

void ExecuteDma(const isa::Instruction& insn, const HostMemory& host, const CoreMemories& mem) {
  if (insn.opcode() == Opcode::kLoad) {
    const auto& a = insn.as<isa::LoadArgs>();
    const HostRegion& r = host.region(a.region);
    uint8_t* buf = a.buffer == static_cast<uint32_t>(isa::Buffer::kAbuf) ? mem.abuf : mem.pbuf;
    for (uint64_t p = 0; p <= a.extra_planes; ++p)
      for (uint32_t row = 0; row < a.rows; ++row)
        std::memmove(buf + a.sram_addr + p * a.sram_plane_stride + uint64_t{row} * a.sram_stride,
                     r.data + a.host_offset + p * a.host_plane_stride + uint64_t{row} * a.host_stride,
                     a.row_bytes);
  } else if (insn.opcode() == Opcode::kStore) {
    const auto& a = insn.as<isa::StoreArgs>();
    const HostRegion& r = host.region(a.region);
    for (uint32_t row = 0; row < a.rows; ++row)
      std::memmove(r.data + a.host_offset + uint64_t{row} * a.host_stride,
                   mem.abuf + a.sram_addr + uint64_t{row} * a.sram_stride, a.row_bytes);
  }
}

}  // namespace systole::sim
