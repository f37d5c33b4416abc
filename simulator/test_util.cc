#include "simulator/test_util.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "common/fixed_point.h"
#include "common/inv_sqrt.h"
#include "common/float32.h"

namespace systole::sim::testing {
namespace {

using isa::Instruction;

int RandInt(Xorshift32& rng, int lo, int hi) {  // inclusive
  return lo + static_cast<int>(rng.Next() % static_cast<uint32_t>(hi - lo + 1));
}
int8_t RandI8(Xorshift32& rng) { return static_cast<int8_t>(rng.NextByte()); }
double RandReal(Xorshift32& rng, double lo, double hi) {
  return lo + (hi - lo) * (rng.Next() >> 8) / double(1 << 24);
}
std::vector<int8_t> RandVec(Xorshift32& rng, size_t n) {
  std::vector<int8_t> v(n);
  for (auto& x : v) x = RandI8(rng);
  return v;
}
int8_t Clamp8(int32_t v, int lo, int hi) { return static_cast<int8_t>(std::min(std::max(v, lo), hi)); }
// Half the GEMM / depthwise cases take their weights as UINT8 bytes with a
// zero point (LOAD_WEIGHTS / VMACC u8 = 1): the byte b stands for b - zp, in
// [-255, 255]. zp is 0, 255 or random (a third each).
struct WeightMode {
  bool u8 = false;
  uint32_t zp = 0;
  int32_t operator()(int8_t b) const {
    return u8 ? int32_t{static_cast<uint8_t>(b)} - static_cast<int32_t>(zp) : int32_t{b};
  }
};
WeightMode RandomWeightMode(Xorshift32& rng) {
  WeightMode m;
  m.u8 = rng.Next() % 2 == 0;
  if (m.u8) {
    const uint32_t pick = rng.Next() % 3;
    m.zp = pick == 0 ? 0 : pick == 1 ? 255 : rng.Next() % 256;
  }
  return m;
}
void PutI32(std::vector<uint8_t>* b, int32_t v) {
  for (int i = 0; i < 4; ++i) b->push_back(static_cast<uint8_t>(static_cast<uint32_t>(v) >> (8 * i)));
}

// XNNPACK's fp32 requantization on the host FPU, in XNNPACK's order (not the
// ISA's): scale, clamp in float to [lo - zp, hi - zp], lrintf, + zp. A NaN
// product (NaN or inf * 0 scales, which XNNPACK never sees) gives the ISA's
// r = 0.
int8_t XnnpackFp32Requant(int32_t v, uint32_t scale_bits, int32_t zp, int lo, int hi) {
  float f = static_cast<float>(v) * f32::FromBits(scale_bits);
  if (std::isnan(f)) return Clamp8(zp, lo, hi);
  f = std::min(std::max(f, static_cast<float>(lo - zp)), static_cast<float>(hi - zp));
  return static_cast<int8_t>(std::lrintf(f) + zp);
}

// Per-channel output stage as TFLite's per-channel conv/depthwise kernels.
// single_round: ruy's one-rounding multiplier (TFLite's int8 CONV_2D and
// FULLY_CONNECTED), POSTPROC single_round = 1; else TFLite's double rounding.
// fp32: XNNPACK's binary32 requantization, POSTPROC fp32 = 1; mult holds the
// binary32 scales' bit patterns and shift is junk the hardware must ignore.
struct OutputStage {
  std::vector<int32_t> bias, mult, shift;
  int32_t zp = 0, act_min = -128, act_max = 127;
  bool single_round = false;
  bool half_up = false;  // ruy's x86 kernels (POSTPROC half_up)
  bool fp32 = false;
  int8_t Apply(int32_t acc, int c) const {
    acc = static_cast<int32_t>(static_cast<uint32_t>(acc) + static_cast<uint32_t>(bias[c]));
    if (fp32) return XnnpackFp32Requant(acc, static_cast<uint32_t>(mult[c]), zp, act_min, act_max);
    acc = single_round ? MultiplyByQuantizedMultiplierSingleRound(acc, mult[c], shift[c])
          : half_up    ? MultiplyByQuantizedMultiplierRuyX86(acc, mult[c], shift[c])
                       : MultiplyByQuantizedMultiplier(acc, mult[c], shift[c]);
    return Clamp8(acc + zp, act_min, act_max);
  }
};

OutputStage RandomOutputStage(Xorshift32& rng, int channels, int depth) {
  OutputStage s;
  for (int c = 0; c < channels; ++c) {
    s.bias.push_back(RandInt(rng, -20000, 20000));
    int32_t m;
    int sh;
    // Scales that keep most outputs inside int8 with some saturation.
    QuantizeMultiplier(RandReal(rng, 0.3, 3.0) / (64.0 * std::sqrt(double(depth)) * 8.0), &m, &sh);
    s.mult.push_back(m);
    s.shift.push_back(sh);
  }
  s.zp = RandInt(rng, -20, 20);
  if (rng.Next() & 1) s.act_min = s.zp;  // fused RELU
  return s;
}

// A binary32 scale for POSTPROC fp32: mostly a realistic one (as the
// fixed-point multipliers above), sometimes log-uniform in [1e-6, 1], and
// rarely an extreme (subnormal, zero, huge, infinite, negative) so that
// saturation, clamping and the special cases are hit.
uint32_t RandomFp32Scale(Xorshift32& rng, int depth) {
  const double realistic = RandReal(rng, 0.3, 3.0) / (64.0 * std::sqrt(double(depth)) * 8.0);
  switch (rng.Next() % 32) {
    case 0: return rng.Next() & 0x007FFFFFu;                           // subnormal (or +0)
    case 1: return 0x5E000000u | (rng.Next() & 0x00FFFFFFu);           // ~2^61..2^63: saturates
    case 2: return (rng.Next() & 1) ? 0x7F800000u : 0xFF800000u;       // +-inf
    case 3: return f32::Bits(static_cast<float>(-realistic));         // negative
    case 4: return rng.Next() & 0x80000000u;                           // +-0
    case 5: case 6: case 7: case 8:
      return f32::Bits(static_cast<float>(std::pow(10.0, RandReal(rng, -6.0, 0.0))));
    default: return f32::Bits(static_cast<float>(realistic));
  }
}

// Switches an output stage to POSTPROC fp32: binary32 scales in mult, junk in
// shift (ignored by the hardware), single_round off.
void MakeFp32(OutputStage* s, Xorshift32& rng, int depth) {
  s->fp32 = true;
  s->single_round = false;
  for (size_t c = 0; c < s->mult.size(); ++c) {
    s->mult[c] = static_cast<int32_t>(RandomFp32Scale(rng, depth));
    s->shift[c] = static_cast<int32_t>(rng.Next());
  }
}

// Collects the four phases of a one-shot program and wires their tokens:
//   pre (compute, e.g. VFILL of padding) -push_prev-> loads -push_next->
//   compute -push_next-> stores
class Emitter {
 public:
  Emitter(const DeviceConfig& c, OpCase* oc) : c_(c), oc_(oc) {}

  uint32_t AllocA(uint32_t bytes) { return Alloc(&abuf_top_, bytes, c_.abuf_bytes); }
  uint32_t AllocP(uint32_t bytes) { return Alloc(&pbuf_top_, bytes, c_.pbuf_bytes); }
  // Appends data to host region 0 / 1 and returns its offset there.
  uint32_t HostInput(const std::vector<int8_t>& v) {
    const uint32_t off = static_cast<uint32_t>(oc_->input.size());
    oc_->input.insert(oc_->input.end(), v.begin(), v.end());
    return off;
  }
  uint32_t HostParams(const std::vector<uint8_t>& v) {
    const uint32_t off = static_cast<uint32_t>(oc_->params.size());
    oc_->params.insert(oc_->params.end(), v.begin(), v.end());
    return off;
  }
  // Stages a parameter blob in PBUF (loaded by one LOAD at the start).
  uint32_t Param(const std::vector<uint8_t>& bytes) {
    const uint32_t p = AllocP(static_cast<uint32_t>(bytes.size()));
    loads.push_back(Load(isa::Buffer::kPbuf, 1, HostParams(bytes), p, 1, bytes.size(), 0, 0));
    return p;
  }
  uint32_t ParamBlock(const OutputStage& s, int c0, int n) {
    std::vector<uint8_t> b;
    for (int c = 0; c < n; ++c) PutI32(&b, s.bias[c0 + c]);
    for (int c = 0; c < n; ++c) PutI32(&b, s.mult[c0 + c]);
    for (int c = 0; c < n; ++c) PutI32(&b, s.shift[c0 + c]);
    return Param(b);
  }
  static Instruction Load(isa::Buffer buf, int region, uint32_t host_off, uint32_t sram, uint32_t rows,
                          uint32_t row_bytes, uint32_t host_stride, uint32_t sram_stride) {
    return Instruction{{}, isa::LoadArgs{static_cast<uint32_t>(buf), static_cast<uint32_t>(region), rows,
                                         row_bytes, sram, sram_stride, host_off, host_stride}};
  }
  static Instruction Store(uint32_t host_off, uint32_t sram, uint32_t rows, uint32_t row_bytes,
                           uint32_t host_stride, uint32_t sram_stride) {
    return Instruction{{}, isa::StoreArgs{0, 2, rows, row_bytes, sram, sram_stride, host_off, host_stride}};
  }
  template <typename A>
  void Compute(const A& a) {
    compute.push_back(Instruction{{}, a});
  }
  void SetRegs(std::vector<std::pair<isa::VReg, int32_t>> regs) {
    for (auto& [r, v] : regs)
      Compute(isa::SetregArgs{static_cast<uint32_t>(r), 1, v, 0, 0});
  }

  void Finish() {
    if (!pre.empty()) {
      pre.back().deps.push_prev = true;
      loads.front().deps.pop_next = true;
    }
    loads.back().deps.push_next = true;
    compute.front().deps.pop_prev = true;
    compute.back().deps.push_next = true;
    stores.front().deps.pop_prev = true;
    ProgramBuilder pb;
    for (auto* phase : {&pre, &loads, &compute, &stores})
      for (const Instruction& i : *phase) pb.Add(i);
    if (!pb.status().ok()) {
      std::fprintf(stderr, "test_util: %s: %s\n", oc_->name.c_str(), pb.status().ToString().c_str());
      std::abort();  // a bug in the generator, not in the code under test
    }
    oc_->program = pb.words();
    oc_->insns = pb.instructions();
  }

  std::vector<Instruction> pre, loads, compute, stores;

 private:
  uint32_t Alloc(uint32_t* top, uint32_t bytes, uint32_t size) {
    const uint32_t a = (*top + 15) & ~15u;
    if (a + bytes > size) {
      std::fprintf(stderr, "test_util: case too big for the buffers\n");
      std::abort();
    }
    *top = a + bytes;
    return a;
  }
  const DeviceConfig& c_;
  OpCase* oc_;
  uint32_t abuf_top_ = 0, pbuf_top_ = 0;
};

// ----------------------------------------------------------------- GEMM

OpCase Gemm(const DeviceConfig& cfg, Xorshift32& rng, int M, int K, int N, bool dbuf) {
  OpCase oc;
  oc.name = StrFormat("gemm %dx%dx%d%s", M, K, N, dbuf ? " double-buffered" : "");
  const auto x = RandVec(rng, size_t(M) * K);
  const auto w = RandVec(rng, size_t(K) * N);
  const WeightMode wt = RandomWeightMode(rng);
  if (wt.u8) oc.name += StrFormat(" uint8 weights zp %u", wt.zp);
  const int zp_in = RandInt(rng, -128, 127);
  OutputStage os = RandomOutputStage(rng, N, K);
  // FULLY_CONNECTED: ruy (1), gemmlowp-style (0) or ruy x86 (3) rounding, or XNNPACK's fp32 (2).
  const uint32_t mode = rng.Next() % 4;
  os.single_round = mode == 1;
  os.half_up = mode == 3;
  if (mode == 2) MakeFp32(&os, rng, K);
  // Reference: TFLite FULLY_CONNECTED-style int8 (per-channel output stage).
  oc.expected.resize(size_t(M) * N);
  for (int m = 0; m < M; ++m)
    for (int n = 0; n < N; ++n) {
      int32_t acc = 0;
      for (int k = 0; k < K; ++k) acc += (x[m * K + k] - zp_in) * wt(w[k * N + n]);
      oc.expected[m * N + n] = os.Apply(acc, n);
    }
  // Fold the input zero point into the bias: the array multiplies raw int8.
  OutputStage folded = os;
  for (int n = 0; n < N; ++n) {
    int32_t sw = 0;
    for (int k = 0; k < K; ++k) sw += wt(w[k * N + n]);
    folded.bias[n] -= zp_in * sw;
  }
  Emitter e(cfg, &oc);
  const int R = cfg.rows, C = cfg.cols;
  const uint32_t p_w = e.Param(std::vector<uint8_t>(w.begin(), w.end()));
  std::vector<uint32_t> p_blk;
  for (int n0 = 0; n0 < N; n0 += C) p_blk.push_back(e.ParamBlock(folded, n0, std::min(C, N - n0)));
  const uint32_t host_x = e.HostInput(x);

  const int mt = dbuf ? std::max(1, (M + 2) / 3) : M;  // rows per tile
  const int tiles = (M + mt - 1) / mt;
  const int slots = dbuf ? 2 : 1;
  std::vector<uint32_t> a_x, a_o;
  for (int s = 0; s < slots; ++s) {
    a_x.push_back(e.AllocA(mt * K));
    a_o.push_back(e.AllocA(mt * N));
  }
  // Tile loop: phases interleave in program order (load t, compute t, store t).
  std::vector<Instruction> loads, compute, stores;
  ProgramBuilder pb;
  for (auto& l : e.loads) pb.Add(l);  // parameter loads first, no tokens
  for (int t = 0; t < tiles; ++t) {
    const int m0 = t * mt, mm = std::min(mt, M - m0), s = t % slots;
    Instruction ld = Emitter::Load(isa::Buffer::kAbuf, 0, host_x + m0 * K, a_x[s], mm, K, K, K);
    ld.deps.push_next = true;
    if (t >= slots) ld.deps.pop_next = true;  // wait until compute freed the slot
    pb.Add(ld);
    std::vector<Instruction> comp;
    for (int n0 = 0, j = 0; n0 < N; n0 += C, ++j) {
      const int nn = std::min(C, N - n0);
      for (int k0 = 0; k0 < K; k0 += R) {
        const int kk = std::min(R, K - k0);
        comp.push_back({{}, isa::LoadWeightsArgs{uint32_t(kk), uint32_t(nn), uint32_t(p_w + k0 * N + n0),
                                                 uint32_t(N), wt.u8, wt.zp}});
        comp.push_back({{}, isa::MatmulArgs{uint32_t(mm), uint32_t(kk), k0 > 0, 0, uint32_t(a_x[s] + k0),
                                            uint32_t(mm), uint32_t(K), 0}});
      }
      comp.push_back({{}, isa::PostprocArgs{uint32_t(mm), uint32_t(nn), 0, uint32_t(a_o[s] + n0), uint32_t(N),
                                            p_blk[j], folded.zp, folded.act_min, folded.act_max,
                                            folded.single_round, folded.fp32, folded.half_up}});
    }
    comp.front().deps.pop_prev = true;
    if (t >= slots) comp.front().deps.pop_next = true;  // output slot stored
    if (dbuf) comp.back().deps.push_prev = true;        // input slot free
    comp.back().deps.push_next = true;
    for (auto& i : comp) pb.Add(i);
    Instruction st = Emitter::Store(m0 * N, a_o[s], mm, N, N, N);
    st.deps.pop_prev = true;
    if (dbuf) st.deps.push_prev = true;
    pb.Add(st);
  }
  if (!pb.status().ok()) {
    std::fprintf(stderr, "gemm: %s\n", pb.status().ToString().c_str());
    std::abort();
  }
  oc.program = pb.words();
  oc.insns = pb.instructions();
  return oc;
}

// ------------------------------------------------------ convolutions

struct ConvGeom {
  int H, W, KH, KW, S, OH, OW, pad_top, pad_left, Hp, Wp;
  bool same;
};
ConvGeom RandomGeom(Xorshift32& rng, int scale) {
  ConvGeom g;
  g.KH = RandInt(rng, 1, 3);
  g.KW = RandInt(rng, 1, 3);
  g.S = RandInt(rng, 1, 2);
  g.same = rng.Next() & 1;
  g.H = RandInt(rng, g.KH, 5 * scale + 2);
  g.W = RandInt(rng, g.KW, 5 * scale + 2);
  if (g.same) {
    g.OH = (g.H + g.S - 1) / g.S;
    g.OW = (g.W + g.S - 1) / g.S;
    const int ph = std::max((g.OH - 1) * g.S + g.KH - g.H, 0), pw = std::max((g.OW - 1) * g.S + g.KW - g.W, 0);
    g.pad_top = ph / 2;
    g.pad_left = pw / 2;
    g.Hp = g.H + ph;
    g.Wp = g.W + pw;
  } else {
    g.OH = (g.H - g.KH) / g.S + 1;
    g.OW = (g.W - g.KW) / g.S + 1;
    g.pad_top = g.pad_left = 0;
    g.Hp = g.H;
    g.Wp = g.W;
  }
  return g;
}

// Loads an H x W x ch input into a (zero-point padded) Hp x Wp x ch ABUF image.
uint32_t StageInput(Emitter& e, const ConvGeom& g, int ch, const std::vector<int8_t>& x, int zp) {
  const uint32_t a_in = e.AllocA(g.Hp * g.Wp * ch);
  if (g.Hp != g.H || g.Wp != g.W)
    e.pre.push_back({{}, isa::VfillArgs{zp, uint32_t(g.Hp * g.Wp * ch), a_in}});
  e.loads.push_back(Emitter::Load(isa::Buffer::kAbuf, 0, e.HostInput(x),
                                  a_in + (g.pad_top * g.Wp + g.pad_left) * ch, g.H, g.W * ch, g.W * ch,
                                  g.Wp * ch));
  return a_in;
}

OpCase Conv(const DeviceConfig& cfg, Xorshift32& rng, int scale) {
  const int R = cfg.rows, C = cfg.cols;
  ConvGeom g = RandomGeom(rng, scale);
  int Cin = RandInt(rng, 1, R + R / 2);
  int Cout = RandInt(rng, 1, C + C / 2);
  // The weights (KH*KW*Cin*Cout bytes) must fit in PBUF: a 3x3 kernel at 64x64
  // can need 83 KB, more than the 64 KiB test buffers.
  while (size_t(g.KH) * g.KW * Cin * Cout > cfg.pbuf_bytes / 2 && Cout > 1) Cout = (Cout + 1) / 2;
  // The input (with room for its padding border) and the output (with up to
  // two spare pixels per row) must fit in ABUF too: at 64x64 a large random
  // geometry with wide channels did not (SYSTOLE_SEED=1 and 2).
  auto abuf_need = [&] {
    return size_t(g.H + g.KH) * (g.W + g.KW) * Cin + size_t(g.OH) * (g.OW + 2) * Cout + 1024;
  };
  while (abuf_need() > cfg.abuf_bytes * 3 / 4 && (Cin > 1 || Cout > 1)) {
    if (Cin >= Cout) Cin = (Cin + 1) / 2;
    else Cout = (Cout + 1) / 2;
  }
  OpCase oc;
  oc.name = StrFormat("conv %dx%dx%d -> %d, k%dx%d s%d %s", g.H, g.W, Cin, Cout, g.KH, g.KW, g.S,
                      g.same ? "same" : "valid");
  const auto x = RandVec(rng, size_t(g.H) * g.W * Cin);
  const auto w = RandVec(rng, size_t(Cout) * g.KH * g.KW * Cin);  // TFLite [Cout][KH][KW][Cin]
  // UINT8 weights (u8 = 1) go through LOAD_WEIGHTS and PRELOAD_WEIGHTS alike.
  const WeightMode wm = RandomWeightMode(rng);
  if (wm.u8) oc.name += StrFormat(" uint8 weights zp %u", wm.zp);
  const int zp_in = RandInt(rng, -128, 127);
  OutputStage os = RandomOutputStage(rng, Cout, g.KH * g.KW * Cin);
  // CONV_2D: ruy (1), gemmlowp-style (0) or ruy x86 (3) rounding, or XNNPACK's fp32 (2).
  const uint32_t mode = rng.Next() % 4;
  os.single_round = mode == 1;
  os.half_up = mode == 3;
  if (mode == 2) MakeFp32(&os, rng, g.KH * g.KW * Cin);
  // Reference: TFLite reference_integer_ops::ConvPerChannel (dilation 1).
  oc.expected.resize(size_t(g.OH) * g.OW * Cout);
  for (int oy = 0; oy < g.OH; ++oy)
    for (int ox = 0; ox < g.OW; ++ox)
      for (int co = 0; co < Cout; ++co) {
        int32_t acc = 0;
        for (int ky = 0; ky < g.KH; ++ky)
          for (int kx = 0; kx < g.KW; ++kx) {
            const int iy = oy * g.S - g.pad_top + ky, ix = ox * g.S - g.pad_left + kx;
            if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W) continue;
            for (int ci = 0; ci < Cin; ++ci)
              acc += (x[(iy * g.W + ix) * Cin + ci] - zp_in) * wm(w[((co * g.KH + ky) * g.KW + kx) * Cin + ci]);
          }
        oc.expected[(oy * g.OW + ox) * Cout + co] = os.Apply(acc, co);
      }
  OutputStage folded = os;
  for (int co = 0; co < Cout; ++co) {
    int32_t sw = 0;
    for (int i = 0; i < g.KH * g.KW * Cin; ++i) sw += wm(w[co * g.KH * g.KW * Cin + i]);
    folded.bias[co] -= zp_in * sw;
  }
  Emitter e(cfg, &oc);
  // PBUF: per tap a [Cin][Cout] matrix.
  std::vector<uint8_t> wt(size_t(g.KH) * g.KW * Cin * Cout);
  for (int t = 0; t < g.KH * g.KW; ++t)
    for (int ci = 0; ci < Cin; ++ci)
      for (int co = 0; co < Cout; ++co)
        wt[(t * Cin + ci) * Cout + co] = static_cast<uint8_t>(w[(co * g.KH * g.KW + t) * Cin + ci]);
  const uint32_t p_w = e.Param(wt);
  const uint32_t a_in = StageInput(e, g, Cin, x, zp_in);
  // The output: packed, or (2-D POSTPROC, dst_row_len = OW) image rows of
  // OW pixels with pad_px spare pixels at their end.
  const bool two_d = rng.Next() % 2 == 0;
  const int pad_px = two_d ? RandInt(rng, 0, 2) : 0;
  const uint32_t pitch = uint32_t((g.OW + pad_px) * Cout);
  const uint32_t a_out = e.AllocA(g.OH * pitch);
  const uint32_t m = g.OH * g.OW;
  // Cout tiles: each in its own accumulator region (rotating, when they fit)
  // with its POSTPROC after the next tile's first MATMUL, so that it runs
  // beside that tile's MATMULs; or all in rows 0.. with the POSTPROC right
  // after the tile's last MATMUL (it waits for that MATMUL's rows).
  const int co_tiles = (Cout + C - 1) / C;
  const int regions = std::min(co_tiles, 3);
  const bool rotate = rng.Next() % 2 == 0 && uint64_t(regions) * m <= cfg.acc_rows;
  if (two_d) oc.name += StrFormat(" 2-D out +%d px", pad_px);
  if (rotate) oc.name += " rotating ACC";
  std::vector<Instruction> deferred;  // the previous tile's POSTPROC
  for (int co0 = 0; co0 < Cout; co0 += C) {
    const int nn = std::min(C, Cout - co0);
    const uint32_t acc_base = rotate ? uint32_t((co0 / C) % regions) * m : 0;
    const uint32_t p_blk = e.ParamBlock(folded, co0, nn);
    // Shadow weights: the first tile is a LOAD_WEIGHTS, every later one a
    // PRELOAD_WEIGHTS ahead of the previous MATMUL, taken by its own.
    std::vector<std::pair<isa::PreloadWeightsArgs, isa::MatmulArgs>> tiles;
    for (int t = 0; t < g.KH * g.KW; ++t) {
      const int ky = t / g.KW, kx = t % g.KW;
      for (int ci0 = 0; ci0 < Cin; ci0 += R) {
        const int kk = std::min(R, Cin - ci0);
        isa::MatmulArgs mm{m, uint32_t(kk), t > 0 || ci0 > 0, acc_base,
                           uint32_t(a_in + (ky * g.Wp + kx) * Cin + ci0), uint32_t(g.OW),
                           uint32_t(g.S * Cin), uint32_t(g.S * g.Wp * Cin)};
        mm.take_shadow = !tiles.empty();
        tiles.push_back({isa::PreloadWeightsArgs{uint32_t(kk), uint32_t(nn),
                                                 uint32_t(p_w + (t * Cin + ci0) * Cout + co0), uint32_t(Cout),
                                                 wm.u8, wm.zp},
                         mm});
      }
    }
    for (size_t i = 0; i < tiles.size(); ++i) {
      const isa::PreloadWeightsArgs& w = tiles[i].first;
      if (i == 0) e.Compute(isa::LoadWeightsArgs{w.k, w.n, w.pbuf_addr, w.w_stride, w.u8, w.w_zp});
      if (i + 1 < tiles.size()) e.Compute(tiles[i + 1].first);
      e.Compute(tiles[i].second);
      if (i == 0) {
        for (const Instruction& d : deferred) e.compute.push_back(d);
        deferred.clear();
      }
    }
    isa::PostprocArgs pp{m, uint32_t(nn), acc_base, uint32_t(a_out + co0), uint32_t(Cout), p_blk, folded.zp,
                         folded.act_min, folded.act_max, folded.single_round, folded.fp32, folded.half_up};
    if (two_d) {
      pp.dst_row_len = uint32_t(g.OW);
      pp.dst_row_pitch = pitch;
    }
    if (rotate) deferred.push_back(Instruction{{}, pp});
    else e.Compute(pp);
  }
  for (const Instruction& d : deferred) e.compute.push_back(d);
  e.stores.push_back(two_d ? Emitter::Store(0, a_out, g.OH, g.OW * Cout, g.OW * Cout, pitch)
                           : Emitter::Store(0, a_out, 1, m * Cout, 0, 0));
  e.Finish();
  return oc;
}

OpCase Depthwise(const DeviceConfig& cfg, Xorshift32& rng, int scale) {
  const int C = cfg.cols;
  ConvGeom g = RandomGeom(rng, scale);
  const int Ch = RandInt(rng, 1, C + C / 2 + 1);
  OpCase oc;
  oc.name = StrFormat("depthwise %dx%dx%d, k%dx%d s%d %s", g.H, g.W, Ch, g.KH, g.KW, g.S,
                      g.same ? "same" : "valid");
  const auto x = RandVec(rng, size_t(g.H) * g.W * Ch);
  const auto w = RandVec(rng, size_t(g.KH) * g.KW * Ch);  // TFLite [1][KH][KW][Ch]
  const WeightMode wt = RandomWeightMode(rng);
  if (wt.u8) oc.name += StrFormat(" uint8 weights zp %u", wt.zp);
  const bool wide = rng.Next() % 2 == 0;  // VMACC_WIDE or VMACC (the same results)
  if (wide) oc.name += " (VMACC_WIDE)";
  const int zp_in = RandInt(rng, -128, 127);
  OutputStage os = RandomOutputStage(rng, Ch, g.KH * g.KW);
  if (rng.Next() % 3 == 0) MakeFp32(&os, rng, g.KH * g.KW);  // XNNPACK's fp32 depthwise
  // Reference: TFLite reference_integer_ops::DepthwiseConvPerChannel (multiplier 1).
  oc.expected.resize(size_t(g.OH) * g.OW * Ch);
  for (int oy = 0; oy < g.OH; ++oy)
    for (int ox = 0; ox < g.OW; ++ox)
      for (int c = 0; c < Ch; ++c) {
        int32_t acc = 0;
        for (int ky = 0; ky < g.KH; ++ky)
          for (int kx = 0; kx < g.KW; ++kx) {
            const int iy = oy * g.S - g.pad_top + ky, ix = ox * g.S - g.pad_left + kx;
            if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W) continue;
            acc += (x[(iy * g.W + ix) * Ch + c] - zp_in) * wt(w[(ky * g.KW + kx) * Ch + c]);
          }
        oc.expected[(oy * g.OW + ox) * Ch + c] = os.Apply(acc, c);
      }
  OutputStage folded = os;
  for (int c = 0; c < Ch; ++c) {
    int32_t sw = 0;
    for (int t = 0; t < g.KH * g.KW; ++t) sw += wt(w[t * Ch + c]);
    folded.bias[c] -= zp_in * sw;
  }
  Emitter e(cfg, &oc);
  const uint32_t p_w = e.Param(std::vector<uint8_t>(w.begin(), w.end()));
  const uint32_t a_in = StageInput(e, g, Ch, x, zp_in);
  const uint32_t a_out = e.AllocA(g.OH * g.OW * Ch);
  const uint32_t m = g.OH * g.OW;
  for (int c0 = 0; c0 < Ch; c0 += C) {
    const int nn = std::min(C, Ch - c0);
    const uint32_t p_blk = e.ParamBlock(folded, c0, nn);
    for (int t = 0; t < g.KH * g.KW; ++t) {
      const int ky = t / g.KW, kx = t % g.KW;
      const isa::VmaccArgs v{m, uint32_t(nn), t > 0, 0, uint32_t(a_in + (ky * g.Wp + kx) * Ch + c0),
                             uint32_t(g.OW), uint32_t(g.S * Ch), uint32_t(g.S * g.Wp * Ch),
                             uint32_t(p_w + t * Ch + c0), 0, wt.u8, wt.zp};
      if (wide)  // the same fields and results on the wide vector path
        e.Compute(isa::VmaccWideArgs{v.m, v.n, v.accumulate, v.acc_addr, v.a_addr, v.a_inner_count,
                                     v.a_inner_stride, v.a_outer_stride, v.w_addr, v.w_shift, v.u8, v.w_zp});
      else
        e.Compute(v);
    }
    e.Compute(isa::PostprocArgs{m, uint32_t(nn), 0, uint32_t(a_out + c0), uint32_t(Ch), p_blk, folded.zp,
                                folded.act_min, folded.act_max, folded.single_round, folded.fp32, folded.half_up});
  }
  e.stores.push_back(Emitter::Store(0, a_out, 1, m * Ch, 0, 0));
  e.Finish();
  return oc;
}

// ------------------------------------------------------------ pooling

OpCase Pool(const DeviceConfig& cfg, Xorshift32& rng, bool is_max, int scale) {
  const int C = cfg.cols;
  const int KH = RandInt(rng, 1, 3), KW = RandInt(rng, 1, 3), S = RandInt(rng, 1, 2);
  const int H = RandInt(rng, KH, 6 * scale + 2), W = RandInt(rng, KW, 6 * scale + 2);
  const int Ch = RandInt(rng, 1, C + C / 2 + 1);
  const bool same = rng.Next() & 1;
  const int OH = same ? (H + S - 1) / S : (H - KH) / S + 1, OW = same ? (W + S - 1) / S : (W - KW) / S + 1;
  const int pad_top = same ? std::max((OH - 1) * S + KH - H, 0) / 2 : 0;
  const int pad_left = same ? std::max((OW - 1) * S + KW - W, 0) / 2 : 0;
  OpCase oc;
  oc.name = StrFormat("%s %dx%dx%d, k%dx%d s%d %s", is_max ? "maxpool" : "avgpool", H, W, Ch, KH, KW, S,
                      same ? "same" : "valid");
  const auto x = RandVec(rng, size_t(H) * W * Ch);
  int lo = -128, hi = 127;
  if (rng.Next() & 1) lo = RandInt(rng, -128, 0);
  if (rng.Next() & 1) hi = RandInt(rng, 0, 127);
  // The window of an output pixel, clipped to the input (TFLite counts only
  // the valid elements, so a padded window is just a smaller window).
  struct Win {
    int y0, y1, x0, x1;
  };
  auto window = [&](int oy, int ox) {
    const int y = oy * S - pad_top, xx = ox * S - pad_left;
    return Win{std::max(y, 0), std::min(y + KH, H), std::max(xx, 0), std::min(xx + KW, W)};
  };
  // Reference: TFLite reference_integer_ops::MaxPool / AveragePool.
  oc.expected.resize(size_t(OH) * OW * Ch);
  for (int oy = 0; oy < OH; ++oy)
    for (int ox = 0; ox < OW; ++ox)
      for (int c = 0; c < Ch; ++c) {
        const Win w = window(oy, ox);
        int32_t acc = is_max ? -128 : 0;
        int count = 0;
        for (int iy = w.y0; iy < w.y1; ++iy)
          for (int ix = w.x0; ix < w.x1; ++ix) {
            const int v = x[(iy * W + ix) * Ch + c];
            acc = is_max ? std::max(acc, v) : acc + v;
            ++count;
          }
        if (!is_max) acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
        oc.expected[(oy * OW + ox) * Ch + c] = Clamp8(acc, lo, hi);
      }
  Emitter e(cfg, &oc);
  const uint32_t a_in = e.AllocA(H * W * Ch), a_out = e.AllocA(OH * OW * Ch);
  e.loads.push_back(Emitter::Load(isa::Buffer::kAbuf, 0, e.HostInput(x), a_in, 1, H * W * Ch, 0, 0));
  e.SetRegs({{isa::VReg::kActMin, lo}, {isa::VReg::kActMax, hi}});
  auto emit = [&](uint32_t m, uint32_t nn, uint32_t kh, uint32_t kw, uint32_t addr, uint32_t dst, uint32_t inner,
                  uint32_t is, uint32_t os) {
    if (is_max)
      e.Compute(isa::MaxpoolArgs{m, nn, kh, kw, addr, dst, inner, uint32_t(Ch), is, uint32_t(Ch), os,
                                 uint32_t(W * Ch)});
    else
      e.Compute(isa::AvgpoolArgs{m, nn, kh, kw, addr, dst, inner, uint32_t(Ch), is, uint32_t(Ch), os,
                                 uint32_t(W * Ch)});
  };
  for (int c0 = 0; c0 < Ch; c0 += C) {
    const uint32_t nn = std::min(C, Ch - c0);
    if (!same) {  // one instruction walks every pixel
      emit(OH * OW, nn, KH, KW, a_in + c0, a_out + c0, OW, S * Ch, S * W * Ch);
      continue;
    }
    // SAME: one instruction per output pixel with its clipped window (a
    // compiler would group the unclipped interior into one instruction).
    for (int oy = 0; oy < OH; ++oy)
      for (int ox = 0; ox < OW; ++ox) {
        const Win w = window(oy, ox);
        emit(1, nn, w.y1 - w.y0, w.x1 - w.x0, a_in + (w.y0 * W + w.x0) * Ch + c0,
             a_out + (oy * OW + ox) * Ch + c0, 1, 0, 0);
      }
  }
  e.stores.push_back(Emitter::Store(0, a_out, 1, OH * OW * Ch, 0, 0));
  e.Finish();
  return oc;
}

// --------------------------------------------------------- elementwise

OpCase Eltwise(const DeviceConfig& cfg, Xorshift32& rng, OpKind kind, int scale) {
  const int len = RandInt(rng, 1, (4 * cfg.cols + 5) * scale);
  OpCase oc;
  oc.name = StrFormat("%s len %d", OpKindName(kind), len);
  const auto a = RandVec(rng, len), b = RandVec(rng, len);
  const int zp1 = RandInt(rng, -128, 127), zp2 = RandInt(rng, -128, 127), zpo = RandInt(rng, -128, 127);
  const double s1 = RandReal(rng, 0.01, 0.1), s2 = RandReal(rng, 0.01, 0.1), so = RandReal(rng, 0.02, 0.2);
  int lo = -128, hi = 127;
  if (rng.Next() & 1) lo = std::max(-128, zpo);
  int32_t m1 = 0, m2 = 0, mo = 0;
  int sh1 = 0, sh2 = 0, sho = 0, left_shift = 0;
  oc.expected.resize(len);
  if (kind == OpKind::kMul) {
    // TFLite mul.cc Prepare / reference_integer_ops::Mul.
    QuantizeMultiplier(s1 * s2 / so, &mo, &sho);
    for (int i = 0; i < len; ++i) {
      const int32_t prod = (a[i] - zp1) * (b[i] - zp2);
      oc.expected[i] = Clamp8(MultiplyByQuantizedMultiplier(prod, mo, sho) + zpo, lo, hi);
    }
  } else {
    // TFLite add.cc / sub.cc Prepare for int8 and reference_integer_ops::Add.
    left_shift = 20;
    const double twice_max = 2 * std::max(s1, s2);
    QuantizeMultiplierSmallerThanOneExp(s1 / twice_max, &m1, &sh1);
    QuantizeMultiplierSmallerThanOneExp(s2 / twice_max, &m2, &sh2);
    QuantizeMultiplierSmallerThanOneExp(twice_max / ((1 << left_shift) * so), &mo, &sho);
    for (int i = 0; i < len; ++i) {
      const int32_t x1 = (a[i] - zp1) * (1 << left_shift), x2 = (b[i] - zp2) * (1 << left_shift);
      const int32_t y1 = MultiplyByQuantizedMultiplierSmallerThanOneExp(x1, m1, sh1);
      const int32_t y2 = MultiplyByQuantizedMultiplierSmallerThanOneExp(x2, m2, sh2);
      const int32_t raw = kind == OpKind::kAdd ? y1 + y2 : y1 - y2;
      oc.expected[i] = Clamp8(MultiplyByQuantizedMultiplierSmallerThanOneExp(raw, mo, sho) + zpo, lo, hi);
    }
  }
  Emitter e(cfg, &oc);
  const uint32_t pa = e.AllocA(len), pbb = e.AllocA(len);
  const bool in_place = rng.Next() & 1;
  const uint32_t po = in_place ? pa : e.AllocA(len);
  e.loads.push_back(Emitter::Load(isa::Buffer::kAbuf, 0, e.HostInput(a), pa, 1, len, 0, 0));
  e.loads.push_back(Emitter::Load(isa::Buffer::kAbuf, 0, e.HostInput(b), pbb, 1, len, 0, 0));
  // Three registers per SETREG, in VReg order.
  const int32_t regs[isa::kNumVregs] = {zp1, zp2, zpo, lo, hi, left_shift, m1, sh1, m2, sh2, mo, sho};
  for (int r = 0; r < isa::kNumVregs; r += 3)
    e.Compute(isa::SetregArgs{uint32_t(r), 3, regs[r], regs[r + 1], regs[r + 2]});
  if (kind == OpKind::kAdd) e.Compute(isa::VaddArgs{uint32_t(len), pa, pbb, po});
  if (kind == OpKind::kSub) e.Compute(isa::VsubArgs{uint32_t(len), pa, pbb, po});
  if (kind == OpKind::kMul) e.Compute(isa::VmulArgs{uint32_t(len), pa, pbb, po});
  e.stores.push_back(Emitter::Store(0, po, 1, len, 0, 0));
  e.Finish();
  return oc;
}

OpCase Lut(const DeviceConfig& cfg, Xorshift32& rng, int scale) {
  const int len = RandInt(rng, 1, (4 * cfg.cols + 5) * scale);
  OpCase oc;
  oc.name = StrFormat("lut len %d", len);
  const auto x = RandVec(rng, len);
  const auto table = RandVec(rng, 256);
  oc.expected.resize(len);
  for (int i = 0; i < len; ++i) oc.expected[i] = table[x[i] + 128];
  Emitter e(cfg, &oc);
  const uint32_t p_lut = e.Param(std::vector<uint8_t>(table.begin(), table.end()));
  const uint32_t a_in = e.AllocA(len), a_out = e.AllocA(len);
  e.loads.push_back(Emitter::Load(isa::Buffer::kAbuf, 0, e.HostInput(x), a_in, 1, len, 0, 0));
  e.Compute(isa::VlutArgs{uint32_t(len), a_in, a_out, p_lut});
  e.stores.push_back(Emitter::Store(0, a_out, 1, len, 0, 0));
  e.Finish();
  return oc;
}

// ------------------------------------------------------------- softmax

OpCase Softmax(const DeviceConfig& cfg, Xorshift32& rng, int scale) {
  const int m = RandInt(rng, 1, 3 * scale), len = RandInt(rng, 1, (3 * cfg.cols + 5) * scale);
  // TFLite's two kernels: INT8 (round half away, output zp usually -128, scale
  // 1/256) and UINT8 (truncating p + 0.5; UINT8 tensors are value - 128 on the
  // device, out_zp = -128). Sometimes other output scales and zero points
  // (clamping), and sometimes a table of random bit patterns (NaN, inf and
  // subnormal paths).
  const bool trunc_round = rng.Next() & 1;
  int out_zp = -128;
  float out_scale = 1.0f / 256.0f;
  if (rng.Next() % 3 == 0) {
    out_zp = RandInt(rng, -128, 127);
    out_scale = static_cast<float>(RandReal(rng, 1.0 / 512.0, 1.0 / 16.0));
  }
  const bool random_bits = rng.Next() % 5 == 0;
  const float input_scale = static_cast<float>(RandReal(rng, 0.005, 0.5));
  const float beta = (rng.Next() & 1) ? 1.0f : static_cast<float>(RandReal(rng, 0.25, 2.0));
  std::vector<uint32_t> table = SoftmaxTable(input_scale, beta);
  if (random_bits)
    for (auto& t : table) t = rng.Next();
  const uint32_t scale_bits = f32::Bits(out_scale);
  OpCase oc;
  oc.name = StrFormat("softmax %dx%d %s%s zp %d scale %g input_scale %g beta %g", m, len,
                      trunc_round ? "uint8-rounding" : "int8-rounding", random_bits ? " random-table" : "", out_zp,
                      out_scale, input_scale, beta);
  const auto x = RandVec(rng, size_t(m) * len);
  oc.expected = SoftmaxReference(x, len, table, scale_bits, trunc_round, out_zp);
  Emitter e(cfg, &oc);
  // The table at an unaligned PBUF address (a few pad bytes first).
  const uint32_t pad = rng.Next() % 4;
  std::vector<uint8_t> blob(pad, 0);
  for (uint32_t t : table) PutI32(&blob, static_cast<int32_t>(t));
  const uint32_t p_table = e.Param(blob) + pad;
  const uint32_t a_in = e.AllocA(m * len);
  const uint32_t a_out = (rng.Next() & 1) ? a_in : e.AllocA(m * len);  // in place or not
  e.loads.push_back(Emitter::Load(isa::Buffer::kAbuf, 0, e.HostInput(x), a_in, 1, m * len, 0, 0));
  e.Compute(isa::SoftmaxArgs{uint32_t(m), uint32_t(len), trunc_round, a_in, a_out, p_table, scale_bits,
                             out_zp});
  e.stores.push_back(Emitter::Store(0, a_out, 1, m * len, 0, 0));
  e.Finish();
  return oc;
}

// VL2NORM on random rows: int8 or uint8 rounding, any input zero point,
// sometimes one row all at the zero point (sum 0), in place or not.
OpCase L2Norm(const DeviceConfig& cfg, Xorshift32& rng, int scale) {
  const int m = RandInt(rng, 1, 4 * scale), len = RandInt(rng, 1, (3 * cfg.cols + 5) * scale);
  const bool uint8 = rng.Next() & 1;
  const int in_zp = RandInt(rng, -128, 127);
  auto x = RandVec(rng, size_t(m) * len);
  if (rng.Next() % 3 == 0)
    for (int j = 0; j < len; ++j) x[j] = static_cast<int8_t>(in_zp);
  OpCase oc;
  oc.name = StrFormat("l2norm %dx%d %s zp %d", m, len, uint8 ? "uint8" : "int8", in_zp);
  oc.expected = L2NormReference(x, len, uint8, in_zp);
  Emitter e(cfg, &oc);
  const uint32_t a_in = e.AllocA(m * len);
  const uint32_t a_out = (rng.Next() & 1) ? a_in : e.AllocA(m * len);
  e.loads.push_back(Emitter::Load(isa::Buffer::kAbuf, 0, e.HostInput(x), a_in, 1, m * len, 0, 0));
  e.Compute(isa::Vl2normArgs{uint32_t(m), uint32_t(len), uint8, a_in, a_out, in_zp});
  e.stores.push_back(Emitter::Store(0, a_out, 1, m * len, 0, 0));
  e.Finish();
  return oc;
}

}  // namespace

std::vector<uint32_t> SoftmaxTable(float input_scale, float beta) {
  std::vector<uint32_t> table(256);
  const float s = -input_scale * beta;
  for (int v = 0; v <= 255; ++v) table[255 - v] = f32::Bits(std::exp(s * static_cast<float>(v)));
  return table;
}

std::vector<int8_t> L2NormReference(const std::vector<int8_t>& x, int len, bool uint8, int in_zp) {
  std::vector<int8_t> out(x.size());
  for (size_t r = 0; r * len < x.size(); ++r) {
    const int8_t* in = &x[r * len];
    int32_t sum = 0;
    for (int j = 0; j < len; ++j) sum += (in[j] - in_zp) * (in[j] - in_zp);
    int32_t inv = 0;
    int shift = 0;
    InvSqrtQuantizedMultiplierExp(sum, -1, &inv, &shift);
    for (int j = 0; j < len; ++j) {
      const int32_t d = in[j] - in_zp;
      const int32_t q = uint8 ? MultiplyByQuantizedMultiplierSmallerThanOneExp(128 * d, inv, shift)
                              : MultiplyByQuantizedMultiplier(d, inv, shift + 7);
      out[r * len + j] = static_cast<int8_t>(std::min(std::max(q, -128), 127));
    }
  }
  return out;
}

std::vector<int8_t> SoftmaxReference(const std::vector<int8_t>& x, int len, const std::vector<uint32_t>& table,
                                     uint32_t scale_bits, bool trunc_round, int out_zp) {
  // Saturating float -> int32 (the ISA's rule; a C cast would be undefined).
  auto to_int = [](double v) -> int64_t {
    if (std::isnan(v)) return 0;
    if (v >= 2147483647.0) return INT32_MAX;
    if (v <= -2147483648.0) return INT32_MIN;
    return static_cast<int64_t>(v);
  };
  const float scale = f32::FromBits(scale_bits);
  std::vector<int8_t> out(x.size());
  for (size_t r = 0; r * len < x.size(); ++r) {
    const int8_t* in = &x[r * len];
    int max_val = -128;
    for (int j = 0; j < len; ++j) max_val = std::max(max_val, int{in[j]});
    auto table_at = [&](int v) { return f32::FromBits(table[255 - max_val + v]); };
    float sum_exp = 0.0f;
    for (int j = 0; j < len; ++j) sum_exp += table_at(in[j]);
    const float scaled_sum = sum_exp * scale;
    const float inv_sum_exp = 1.0f / scaled_sum;
    for (int j = 0; j < len; ++j) {
      const float prob_rescaled = table_at(in[j]) * inv_sum_exp;
      int64_t q;
      if (trunc_round) {
        const float biased = prob_rescaled + 0.5f;
        q = to_int(std::trunc(double{biased}));
      } else {
        q = to_int(std::round(double{prob_rescaled}));
      }
      out[r * len + j] = static_cast<int8_t>(std::min<int64_t>(std::max<int64_t>(q + out_zp, -128), 127));
    }
  }
  return out;
}

const char* OpKindName(OpKind k) {
  switch (k) {
    case OpKind::kGemm: return "gemm";
    case OpKind::kConv: return "conv";
    case OpKind::kDepthwise: return "depthwise";
    case OpKind::kMaxPool: return "maxpool";
    case OpKind::kAvgPool: return "avgpool";
    case OpKind::kAdd: return "add";
    case OpKind::kSub: return "sub";
    case OpKind::kMul: return "mul";
    case OpKind::kLut: return "lut";
    case OpKind::kSoftmax: return "softmax";
    case OpKind::kL2Norm: return "l2norm";
    case OpKind::kNumKinds: break;
  }
  return "?";
}

OpCase MakeGemm(const DeviceConfig& config, Xorshift32& rng, int m, int k, int n, bool double_buffered) {
  return Gemm(config, rng, m, k, n, double_buffered);
}

OpCase MakeCase(OpKind kind, const DeviceConfig& cfg, Xorshift32& rng, int scale) {
  switch (kind) {
    case OpKind::kGemm: {
      const int m = RandInt(rng, 1, 24 * scale), k = RandInt(rng, 1, 2 * cfg.rows + 3);
      const int n = RandInt(rng, 1, 2 * cfg.cols + 3);
      return Gemm(cfg, rng, m, k, n, m >= 3 && (rng.Next() & 1));
    }
    case OpKind::kConv: return Conv(cfg, rng, scale);
    case OpKind::kDepthwise: return Depthwise(cfg, rng, scale);
    case OpKind::kMaxPool: return Pool(cfg, rng, true, scale);
    case OpKind::kAvgPool: return Pool(cfg, rng, false, scale);
    case OpKind::kAdd:
    case OpKind::kSub:
    case OpKind::kMul: return Eltwise(cfg, rng, kind, scale);
    case OpKind::kLut: return Lut(cfg, rng, scale);
    case OpKind::kSoftmax: return Softmax(cfg, rng, scale);
    case OpKind::kL2Norm: return L2Norm(cfg, rng, scale);
    case OpKind::kNumKinds: break;
  }
  std::abort();
}

HostBuffers::HostBuffers(const OpCase& op) : in(op.input), params(op.params), out(op.expected.size()) {
  // Regions must be non-empty; pad empty ones with a byte nobody reads.
  if (in.empty()) in.push_back(0);
  if (params.empty()) params.push_back(0);
  if (out.empty()) out.push_back(0);
  (void)host.Map(0, in.data(), in.size(), true, false);
  (void)host.Map(1, params.data(), params.size(), true, false);
  (void)host.Map(2, out.data(), out.size(), false, true);
}

std::string Diff(const std::vector<int8_t>& want, const std::vector<int8_t>& got) {
  if (want.size() != got.size()) return StrFormat("size %zu != %zu", got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i)
    if (want[i] != got[i]) return StrFormat("element %zu: got %d, want %d", i, got[i], want[i]);
  return "";
}

}  // namespace systole::sim::testing

namespace systole::sim::testing {
namespace {

std::string CheckBytes(const char* what, const uint8_t* got, const std::vector<uint8_t>& want) {
  for (size_t i = 0; i < want.size(); ++i)
    if (got[i] != want[i])
      return StrFormat("%s byte %zu: got %d, want %d", what, i, int8_t(got[i]), int8_t(want[i]));
  return "";
}

// a + (p << s) modulo 2^32 (VMACC's w_shift).
int32_t AddShiftWrap(int32_t a, int32_t p, int s) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + (static_cast<uint32_t>(p) << s));
}

void SetI32(uint8_t* p, int32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(static_cast<uint32_t>(v) >> (8 * i));
}

}  // namespace

std::vector<InsnTest> InstructionTests(const DeviceConfig& cfg, uint32_t seed) {
  const int R = cfg.rows, C = cfg.cols;
  Xorshift32 rng(seed);
  std::vector<InsnTest> tests;
  auto rand_bytes = [&](size_t n) {
    std::vector<uint8_t> v(n);
    for (auto& b : v) b = rng.NextByte();
    return v;
  };

  {  // NOP changes nothing.
    InsnTest t;
    t.name = "NOP";
    t.program.Add(isa::NopArgs{});
    t.check = [](const DeviceMemory& m, const std::vector<uint8_t>&) {
      for (uint8_t b : m.abuf)
        if (b) return std::string("ABUF changed");
      return std::string();
    };
    tests.push_back(std::move(t));
  }
  {  // LOAD: 2-D host -> ABUF and -> PBUF with strides.
    InsnTest t;
    t.name = "LOAD";
    t.host_in = rand_bytes(256);
    t.program.Add(isa::LoadArgs{0, 0, 3, 5, 10, 9, 4, 7});  // ABUF
    t.program.Add(isa::LoadArgs{1, 0, 2, 6, 33, 6, 1, 20});  // PBUF
    const auto in = t.host_in;
    t.check = [in](const DeviceMemory& m, const std::vector<uint8_t>&) {
      for (int r = 0; r < 3; ++r)
        for (int i = 0; i < 5; ++i)
          if (m.abuf[10 + r * 9 + i] != in[4 + r * 7 + i]) return StrFormat("ABUF row %d byte %d", r, i);
      if (m.abuf[10 + 5] != 0) return std::string("ABUF gap written");
      for (int r = 0; r < 2; ++r)
        for (int i = 0; i < 6; ++i)
          if (m.pbuf[33 + r * 6 + i] != in[1 + r * 20 + i]) return StrFormat("PBUF row %d byte %d", r, i);
      return std::string();
    };
    tests.push_back(std::move(t));
  }
  {  // LOAD: 3-D, three host planes interleaved into pixels (NCHW -> NHWC).
    InsnTest t;
    t.name = "LOAD 3-D";
    t.host_in = rand_bytes(256);
    isa::LoadArgs a{0, 0, 10, 1, 40, 3, 5, 1};  // 10 pixels, 1 byte each, pixel pitch 3
    a.extra_planes = 2;
    a.sram_plane_stride = 1;
    a.host_plane_stride = 60;
    t.program.Add(a);
    const auto in = t.host_in;
    t.check = [in](const DeviceMemory& m, const std::vector<uint8_t>&) {
      for (int p = 0; p < 3; ++p)
        for (int r = 0; r < 10; ++r)
          if (m.abuf[40 + r * 3 + p] != in[5 + p * 60 + r]) return StrFormat("pixel %d channel %d", r, p);
      if (m.abuf[40 + 30] != 0 || m.abuf[39] != 0) return std::string("ABUF outside the planes written");
      return std::string();
    };
    tests.push_back(std::move(t));
  }
  {  // STORE: 2-D ABUF -> host.
    InsnTest t;
    t.name = "STORE";
    const auto data = rand_bytes(64);
    t.init = [data](DeviceMemory& m) { std::copy(data.begin(), data.end(), m.abuf.begin() + 100); };
    t.program.Add(isa::StoreArgs{0, 2, 4, 3, 100, 8, 17, 5});
    t.check = [data](const DeviceMemory&, const std::vector<uint8_t>& out) {
      for (int r = 0; r < 4; ++r)
        for (int i = 0; i < 3; ++i)
          if (out[17 + r * 5 + i] != data[r * 8 + i]) return StrFormat("host row %d byte %d", r, i);
      if (out[17 + 3] != 0) return std::string("host gap written");
      return std::string();
    };
    tests.push_back(std::move(t));
  }
  {  // SETREG + VFILL.
    InsnTest t;
    t.name = "VFILL";
    const uint32_t len = 2 * C + 3;
    t.program.Add(isa::VfillArgs{-7, len, 40});
    t.check = [len](const DeviceMemory& m, const std::vector<uint8_t>&) {
      if (m.abuf[39] != 0 || m.abuf[40 + len] != 0) return std::string("wrote outside");
      for (uint32_t i = 0; i < len; ++i)
        if (int8_t(m.abuf[40 + i]) != -7) return StrFormat("byte %u", i);
      return std::string();
    };
    tests.push_back(std::move(t));
  }
  {  // The 9-bit weight path: UINT8 weights with a zero point (u8 = 1) at the
     // extremes: byte 255 with zp 0 (+255), byte 0 with zp 255 (-255), with
     // activations -128 / 127; LOAD_WEIGHTS + MATMUL, PRELOAD_WEIGHTS (the
     // shadow set, zp 200) taken by a later MATMUL, VMACC_WIDE and VMACC (the
     // accumulating taps with a w_shift, VMACC's wrapping past 2^31).
     // Columns >= n of the loaded weights are 0 (not -zp); lanes >= n untouched.
    InsnTest t;
    t.name = "LOAD_WEIGHTS/PRELOAD_WEIGHTS/VMACC uint8 weights (9-bit)";
    const int k = R, n = std::max(1, C - 1), m = 4, mv = R + 1;
    std::vector<uint8_t> w = rand_bytes(size_t(k) * n), a = rand_bytes(size_t(m) * k + 2 * size_t(mv) * C);
    for (int r = 0; r < k; ++r)
      for (int c = 0; c < n; ++c)
        if ((r + c) % 3 != 2) w[size_t(r) * n + c] = (r + c) % 3 == 0 ? 255 : 0;
    for (size_t i = 0; i < a.size(); ++i)
      if (i % 5 != 4) a[i] = (i / 3) % 2 ? 0x80 : 0x7f;  // -128 / 127, a few random bytes
    for (int r = 0; r < k; ++r) a[r] = 0x80;              // vector 0: all -128
    for (int r = 0; r < k; ++r) a[size_t(k) + r] = 0x7f;  // vector 1: all 127
    const uint32_t acc_vw = 16, acc_v = acc_vw + uint32_t(mv) + 1, a_v = uint32_t(m * k);
    const uint32_t acc_s = acc_v + uint32_t(mv) + 2;  // the MATMUL on the preloaded shadow set
    const int shift_vw = 5, shift_v = 23;
    t.init = [w, a](DeviceMemory& mem) {
      std::copy(w.begin(), w.end(), mem.pbuf.begin() + 64);
      std::copy(a.begin(), a.end(), mem.abuf.begin());
      for (auto& x : mem.acc) x = -9;
    };
    t.program.Add(isa::LoadWeightsArgs{uint32_t(k), uint32_t(n), 64, uint32_t(n), true, 0});
    t.program.Add(isa::PreloadWeightsArgs{uint32_t(k), uint32_t(n), 64, uint32_t(n), true, 200});
    t.program.Add(isa::MatmulArgs{uint32_t(m), uint32_t(k), false, 0, 0, uint32_t(m), uint32_t(k), 0});
    t.program.Add(isa::LoadWeightsArgs{uint32_t(k), uint32_t(n), 64, uint32_t(n), true, 255});
    t.program.Add(isa::MatmulArgs{uint32_t(m), uint32_t(k), false, 8, 0, uint32_t(m), uint32_t(k), 0});
    isa::MatmulArgs take{uint32_t(m), uint32_t(k), false, acc_s, 0, uint32_t(m), uint32_t(k), 0};
    take.take_shadow = true;
    t.program.Add(take);
    // Depthwise taps: row 0 of w as the lane weights; zp 255, then zp 0 accumulated.
    t.program.Add(isa::VmaccWideArgs{uint32_t(mv), uint32_t(n), false, acc_vw, a_v, uint32_t(mv), uint32_t(C), 0,
                                     64, 0, true, 255});
    t.program.Add(isa::VmaccWideArgs{uint32_t(mv), uint32_t(n), true, acc_vw, a_v + uint32_t(mv * C),
                                     uint32_t(mv), uint32_t(C), 0, 64 + uint32_t(n), shift_vw, true, 0});
    t.program.Add(isa::VmaccArgs{uint32_t(mv), uint32_t(n), false, acc_v, a_v, uint32_t(mv), uint32_t(C), 0, 64,
                                 0, true, 255});
    t.program.Add(isa::VmaccArgs{uint32_t(mv), uint32_t(n), true, acc_v, a_v + uint32_t(mv * C), uint32_t(mv),
                                 uint32_t(C), 0, 64 + uint32_t(n), shift_v, true, 0});
    t.check = [=](const DeviceMemory& mem, const std::vector<uint8_t>&) {
      auto at = [&](uint32_t row, int c) { return mem.acc[size_t(row) * C + c]; };
      for (int i = 0; i < m; ++i)
        for (int c = 0; c < C; ++c)
          for (int zp : {0, 255, 200}) {
            int32_t want = 0;
            if (c < n)
              for (int r = 0; r < k; ++r) want += int8_t(a[size_t(i) * k + r]) * (int(w[size_t(r) * n + c]) - zp);
            const uint32_t row = (zp == 200 ? acc_s : zp ? 8u : 0u) + uint32_t(i);
            if (at(row, c) != want) return StrFormat("matmul acc[%u][%d] = %d, want %d", row, c, at(row, c), want);
          }
      for (uint32_t base : {acc_vw, acc_v})
        for (int i = 0; i <= mv; ++i)
          for (int c = 0; c < C; ++c) {
            int32_t want = -9;
            if (c < n && i < mv)
              want = AddShiftWrap(int8_t(a[a_v + size_t(i) * C + c]) * (int(w[size_t(c)]) - 255),
                                  int8_t(a[a_v + size_t(mv + i) * C + c]) * int(w[size_t(n + c)]),
                                  base == acc_vw ? shift_vw : shift_v);
            if (at(base + uint32_t(i), c) != want)
              return StrFormat("vmacc acc[%u][%d] = %d, want %d", base + i, c, at(base + uint32_t(i), c), want);
          }
      return std::string();
    };
    tests.push_back(std::move(t));
  }
  {  // LOAD_WEIGHTS + MATMUL (overwrite, then accumulate with a 2-D pattern).
    InsnTest t;
    t.name = "MATMUL";
    const int k = std::max(1, R - 1), n = std::max(1, C - 1), m = 7;
    const auto w = rand_bytes(size_t(k) * n), a = rand_bytes(4096);
    t.init = [w, a](DeviceMemory& mem) {
      std::copy(w.begin(), w.end(), mem.pbuf.begin() + 64);
      std::copy(a.begin(), a.end(), mem.abuf.begin());
      for (auto& x : mem.acc) x = 12345;  // overwritten by the first MATMUL
    };
    t.program.Add(isa::LoadWeightsArgs{uint32_t(k), uint32_t(n), 64, uint32_t(n)});
    t.program.Add(isa::MatmulArgs{uint32_t(m), uint32_t(k), false, 3, 5, uint32_t(m), uint32_t(k + 2), 0});
    // Second pass: 2 runs of 3 vectors + 1: inner 3, stride 11, outer 100.
    t.program.Add(isa::MatmulArgs{uint32_t(m), uint32_t(k), true, 3, 1000, 3, 11, 100});
    t.check = [w, a, k, n, m, C](const DeviceMemory& mem, const std::vector<uint8_t>&) {
      for (int i = 0; i < m; ++i)
        for (int c = 0; c < C; ++c) {
          int32_t want = 0;
          if (c < n)
            for (int r = 0; r < k; ++r) {
              const int a1 = int8_t(a[5 + i * (k + 2) + r]);
              const int a2 = int8_t(a[1000 + (i / 3) * 100 + (i % 3) * 11 + r]);
              want += (a1 + a2) * int8_t(w[r * n + c]);
            }
          const int32_t got = mem.acc[size_t(3 + i) * C + c];
          if (got != want) return StrFormat("acc[%d][%d] = %d, want %d", 3 + i, c, got, want);
        }
      if (mem.acc[2 * C] != 12345) return std::string("acc row 2 touched");
      return std::string();
    };
    tests.push_back(std::move(t));
  }
  {  // Shadow weights: PRELOAD_WEIGHTS filled by the next MATMUL, taken by a later one.
    InsnTest t;
    t.name = "PRELOAD_WEIGHTS";
    const int k0 = std::max(1, R - 1), n0 = C, k1 = std::max(1, R / 2), n1 = std::max(1, C - 2), m = 5;
    const auto w = rand_bytes(3 * size_t(R) * C), a = rand_bytes(1024);
    // Tiles: W0 at PBUF 0 (k0 x n0, stride C), W1 at 4096 (k1 x n1, stride C + 3),
    // W2 at 8192 (k0 x n0, stride C); a decoy preload at 12288 that W2 replaces.
    t.init = [w, a, R, C](DeviceMemory& mem) {
      for (int j = 0; j < 3; ++j)
        std::copy(w.begin() + size_t(j) * R * C, w.begin() + size_t(j + 1) * R * C, mem.pbuf.begin() + 4096 * j);
      std::fill(mem.pbuf.begin() + 12288, mem.pbuf.begin() + 12288 + size_t(R) * C, 0x55);
      std::copy(a.begin(), a.end(), mem.abuf.begin());
    };
    const uint32_t s1 = uint32_t(C + 3);
    auto mm = [&](uint32_t acc, uint32_t a_addr, bool accumulate, bool take) {
      isa::MatmulArgs x{uint32_t(m), uint32_t(R), accumulate, acc, a_addr, uint32_t(m), uint32_t(R), 0};
      x.take_shadow = take;
      return x;
    };
    t.program.Add(isa::LoadWeightsArgs{uint32_t(k0), uint32_t(n0), 0, uint32_t(C)});
    t.program.Add(isa::PreloadWeightsArgs{uint32_t(k1), uint32_t(n1), 4096, s1});
    t.program.Add(mm(0, 0, false, false));  // W0; fills S = W1
    t.program.Add(isa::PreloadWeightsArgs{uint32_t(k0), uint32_t(n0), 12288, uint32_t(C)});  // replaced below
    t.program.Add(isa::PreloadWeightsArgs{uint32_t(k0), uint32_t(n0), 8192, uint32_t(C)});
    t.program.Add(mm(0, 100, true, true));   // W1, accumulating; fills S = W2
    t.program.Add(mm(8, 200, false, false)); // W1 again (no take, nothing pending)
    t.program.Add(mm(16, 300, false, true)); // W2
    t.check = [w, a, R, C, k0, n0, k1, n1, m, s1](const DeviceMemory& mem, const std::vector<uint8_t>&) {
      // Tile j's weight at row r, column c (0 outside its k x n).
      auto W = [&](int j, int r, int c) -> int {
        const int k = j == 1 ? k1 : k0, n = j == 1 ? n1 : n0;
        const size_t stride = j == 1 ? s1 : size_t(C);
        if (r >= k || c >= n) return 0;
        const size_t off = r * stride + c;
        if (off >= size_t(R) * C) return 0;  // outside the copied tile: PBUF is zero there
        return int8_t(w[size_t(j) * R * C + off]);
      };
      auto dot = [&](int j, int a_addr, int i, int c) {
        int32_t y = 0;
        for (int r = 0; r < R; ++r) y += int8_t(a[a_addr + i * R + r]) * W(j, r, c);
        return y;
      };
      for (int i = 0; i < m; ++i)
        for (int c = 0; c < C; ++c) {
          const int32_t want[3] = {dot(0, 0, i, c) + dot(1, 100, i, c), dot(1, 200, i, c), dot(2, 300, i, c)};
          for (int b = 0; b < 3; ++b) {
            const int32_t got = mem.acc[size_t(8 * b + i) * C + c];
            if (got != want[b]) return StrFormat("block %d acc[%d][%d] = %d, want %d", b, i, c, got, want[b]);
          }
        }
      return std::string();
    };
    tests.push_back(std::move(t));
  }
  // POSTPROC: per-channel bias, multiplier, shift (including clamped shifts), zp, clamp;
  // both rounding modes.
  for (int mode = 0; mode < 3; ++mode) {
    const bool single_round = mode == 1, half_up = mode == 2;
    InsnTest t;
    t.name = single_round ? "POSTPROC single_round" : half_up ? "POSTPROC half_up" : "POSTPROC";
    const int n = C, m = 5;
    std::vector<int32_t> acc(size_t(m) * C), bias(n), mult(n), shift(n);
    for (auto& x : acc) x = static_cast<int32_t>(rng.Next()) >> RandInt(rng, 8, 20);
    for (int c = 0; c < n; ++c) {
      bias[c] = RandInt(rng, -5000, 5000);
      QuantizeMultiplier(RandReal(rng, 1e-4, 2.0), &mult[c], &shift[c]);
    }
    shift[0] = 40;  // out of range: the hardware clamps it to 31
    t.init = [=](DeviceMemory& mem) {
      std::copy(acc.begin(), acc.end(), mem.acc.begin() + 2 * C);
      for (int c = 0; c < n; ++c) {
        SetI32(&mem.pbuf[16 + 4 * c], bias[c]);
        SetI32(&mem.pbuf[16 + 4 * n + 4 * c], mult[c]);
        SetI32(&mem.pbuf[16 + 8 * n + 4 * c], shift[c]);
      }
    };
    t.program.Add(
        isa::PostprocArgs{uint32_t(m), uint32_t(n), 2, 300, uint32_t(n + 3), 16, -3, -100, 90, single_round, false, half_up});
    t.check = [=](const DeviceMemory& mem, const std::vector<uint8_t>&) {
      for (int i = 0; i < m; ++i)
        for (int c = 0; c < n; ++c) {
          const int32_t x = static_cast<int32_t>(uint32_t(acc[i * C + c]) + uint32_t(bias[c]));
          const int sh = std::min(shift[c], 31);
          const int32_t v = single_round ? MultiplyByQuantizedMultiplierSingleRound(x, mult[c], sh)
                            : half_up    ? MultiplyByQuantizedMultiplierRuyX86(x, mult[c], sh)
                                         : MultiplyByQuantizedMultiplier(x, mult[c], sh);
          const int8_t want = Clamp8(v - 3, -100, 90);
          const int8_t got = int8_t(mem.abuf[300 + i * (n + 3) + c]);
          if (got != want) return StrFormat("out[%d][%d] = %d, want %d", i, c, got, want);
        }
      return std::string();
    };
    tests.push_back(std::move(t));
  }
  {  // POSTPROC 2-D output (dst_row_len > 0): rows of dst_row_len pixels,
    // dst_row_pitch apart, pixels dst_stride apart; n < C; the bytes around
    // each pixel (padding columns, row gaps) must keep their fill.
    InsnTest t;
    t.name = "POSTPROC 2-D";
    const int n = C > 2 ? C - 1 : C, m = 11;
    const uint32_t row_len = 3, stride = uint32_t(n + 2), pitch = 3 * stride + 5, dst = 500;
    std::vector<int32_t> acc(size_t(m) * C), bias(n), mult(n), shift(n);
    for (auto& x : acc) x = static_cast<int32_t>(rng.Next()) >> RandInt(rng, 8, 20);
    for (int c = 0; c < n; ++c) {
      bias[c] = RandInt(rng, -5000, 5000);
      QuantizeMultiplier(RandReal(rng, 1e-4, 2.0), &mult[c], &shift[c]);
    }
    t.init = [=](DeviceMemory& mem) {
      std::copy(acc.begin(), acc.end(), mem.acc.begin() + 5 * C);
      std::fill(mem.abuf.begin() + dst, mem.abuf.begin() + dst + 4 * pitch, 0xA5);
      for (int c = 0; c < n; ++c) {
        SetI32(&mem.pbuf[64 + 4 * c], bias[c]);
        SetI32(&mem.pbuf[64 + 4 * n + 4 * c], mult[c]);
        SetI32(&mem.pbuf[64 + 8 * n + 4 * c], shift[c]);
      }
    };
    isa::PostprocArgs pp{uint32_t(m), uint32_t(n), 5, dst, stride, 64, 4, -90, 100};
    pp.dst_row_len = row_len;
    pp.dst_row_pitch = pitch;
    t.program.Add(pp);
    t.check = [=](const DeviceMemory& mem, const std::vector<uint8_t>&) {
      std::vector<int> want(4 * pitch, 0xA5);
      for (int i = 0; i < m; ++i)
        for (int c = 0; c < n; ++c) {
          const int32_t x = static_cast<int32_t>(uint32_t(acc[i * C + c]) + uint32_t(bias[c]));
          const int32_t v = MultiplyByQuantizedMultiplier(x, mult[c], std::min(shift[c], 31));
          // dst(i) = dst + (i / row_len) * pitch + (i % row_len) * stride (ISA.md)
          want[(i / row_len) * pitch + (i % row_len) * stride + c] = uint8_t(Clamp8(v + 4, -90, 100));
        }
      for (uint32_t b = 0; b < 4 * pitch; ++b)
        if (mem.abuf[dst + b] != want[b])
          return StrFormat("ABUF[dst + %u] = %d, want %d", b, mem.abuf[dst + b], want[b]);
      return std::string();
    };
    tests.push_back(std::move(t));
  }
  {  // POSTPROC fp32: binary32 scales (every special class), junk shifts,
    // accumulators at the conversion's rounding boundaries and ties, several
    // zero points and clamps; against XNNPACK's order on the host FPU.
    InsnTest t;
    t.name = "POSTPROC fp32";
    const std::vector<uint32_t> specials = {
        0x00000000u, 0x80000000u, 0x00000001u, 0x007FFFFFu, 0x00800000u, 0x2F800000u, 0x30000000u,
        0x33800000u, 0x358637BDu, 0x3A83126Fu, 0x3C000000u, 0x3EFFFFFFu, 0x3F000000u, 0xBF000000u,
        0x3F000001u, 0x3F7FFFFFu, 0x3F800000u, 0xBF800000u, 0x4F000000u, 0x5E800000u, 0x7F7FFFFFu,
        0x7F800000u, 0xFF800000u, 0x7FC00000u, 0xFFC00001u, 0x7F800001u};
    const int n = C, m = 7;
    const int blocks = static_cast<int>((specials.size() + n - 1) / n) + 1;  // the last one random
    const int32_t special_acc[] = {INT32_MIN, INT32_MAX, 0, 1, -1, 16777217, -16777219, 33554435,
                                   2147483520, -2147483520, 255, -255};
    std::vector<int32_t> acc(size_t(m) * C), bias(size_t(blocks) * n), scale(size_t(blocks) * n),
        shift(size_t(blocks) * n);
    for (auto& x : acc) {
      switch (rng.Next() % 4) {
        case 0: x = special_acc[rng.Next() % (sizeof special_acc / sizeof special_acc[0])]; break;
        case 1: x = RandInt(rng, -255, 255); break;  // with scale 0.5: ties
        default: x = static_cast<int32_t>(rng.Next()) >> RandInt(rng, 0, 24); break;
      }
    }
    for (int c = 0; c < C; ++c) {  // rows 0 and 1: odd values, ties with the scales +-0.5
      acc[c] = 2 * c + 1;
      acc[C + c] = -(2 * c + 3);
    }
    for (int j = 0; j < blocks * n; ++j) {
      bias[j] = (rng.Next() & 1) ? 0 : 2 * RandInt(rng, -2500, 2500);  // even: rows 0 and 1 stay odd
      scale[j] = static_cast<int32_t>(size_t(j) < specials.size() ? specials[j] : RandomFp32Scale(rng, 64));
      shift[j] = static_cast<int32_t>(rng.Next());
    }
    const int32_t zps[] = {-3, 100, -128, 127};
    const int32_t los[] = {-100, -128, 0, -128}, his[] = {90, 127, 127, -5};
    const uint32_t stride = uint32_t(n + 3), out_bytes = uint32_t(m) * stride;
    auto dst = [=](int b) { return 300 + uint32_t(b) * out_bytes; };
    auto params = [=](int b) { return 16 + uint32_t(b) * 12 * uint32_t(n); };
    t.init = [=](DeviceMemory& mem) {
      std::copy(acc.begin(), acc.end(), mem.acc.begin() + 2 * C);
      for (int b = 0; b < blocks; ++b)
        for (int c = 0; c < n; ++c) {
          SetI32(&mem.pbuf[params(b) + 4 * c], bias[b * n + c]);
          SetI32(&mem.pbuf[params(b) + 4 * n + 4 * c], scale[b * n + c]);
          SetI32(&mem.pbuf[params(b) + 8 * n + 4 * c], shift[b * n + c]);
        }
    };
    for (int b = 0; b < blocks; ++b)
      t.program.Add(isa::PostprocArgs{uint32_t(m), uint32_t(n), 2, dst(b), stride, params(b), zps[b % 4],
                                      los[b % 4], his[b % 4], false, true});
    t.check = [=](const DeviceMemory& mem, const std::vector<uint8_t>&) {
      for (int b = 0; b < blocks; ++b)
        for (int i = 0; i < m; ++i) {
          for (int c = 0; c < n; ++c) {
            const int32_t x = static_cast<int32_t>(uint32_t(acc[i * C + c]) + uint32_t(bias[b * n + c]));
            const int8_t want = XnnpackFp32Requant(x, uint32_t(scale[b * n + c]), zps[b % 4], los[b % 4], his[b % 4]);
            const int8_t got = int8_t(mem.abuf[dst(b) + i * stride + c]);
            if (got != want)
              return StrFormat("block %d out[%d][%d] = %d, want %d (v %d, scale 0x%08x)", b, i, c, got, want, x,
                               uint32_t(scale[b * n + c]));
          }
          if (mem.abuf[dst(b) + i * stride + n] != 0) return StrFormat("block %d row %d gap written", b, i);
        }
      return std::string();
    };
    tests.push_back(std::move(t));
  }
  {  // VMACC_WIDE overwrite + accumulate over R-pixel groups: m not a multiple
     // of R, runs shorter than a group (5 pixels) and longer (R + 3), lanes >= n
     // and rows past m untouched.
    InsnTest t;
    t.name = "VMACC_WIDE";
    const int n = std::max(1, C - 1), m = 2 * R + 3, run2 = R + 3;
    const auto a = rand_bytes(32768), w = rand_bytes(2 * n);
    t.init = [=](DeviceMemory& mem) {
      std::copy(a.begin(), a.end(), mem.abuf.begin());
      std::copy(w.begin(), w.end(), mem.pbuf.begin() + 8);
      for (auto& x : mem.acc) x = -9;
    };
    t.program.Add(isa::VmaccWideArgs{uint32_t(m), uint32_t(n), false, 1, 0, 5, 40, 300, 8});
    t.program.Add(isa::VmaccWideArgs{uint32_t(m), uint32_t(n), true, 1, 16000, uint32_t(run2), uint32_t(n),
                                     uint32_t(run2 * n + 7), uint32_t(8 + n), 21});
    t.check = [=](const DeviceMemory& mem, const std::vector<uint8_t>&) {
      for (int i = 0; i <= m; ++i)
        for (int c = 0; c < C; ++c) {
          int32_t want = -9;
          if (c < n && i < m)
            want = AddShiftWrap(int8_t(a[(i / 5) * 300 + (i % 5) * 40 + c]) * int8_t(w[c]),
                                int8_t(a[16000 + (i / run2) * (run2 * n + 7) + (i % run2) * n + c]) * int8_t(w[n + c]),
                                21);
          if (mem.acc[size_t(1 + i) * C + c] != want)
            return StrFormat("acc[%d][%d] = %d, want %d", 1 + i, c, mem.acc[size_t(1 + i) * C + c], want);
        }
      return std::string();
    };
    tests.push_back(std::move(t));
  }
  {  // VMACC overwrite + accumulate; lanes >= n untouched.
    InsnTest t;
    t.name = "VMACC";
    const int n = std::max(1, C - 1), m = 6;
    const auto a = rand_bytes(2048), w = rand_bytes(2 * n);
    t.init = [=](DeviceMemory& mem) {
      std::copy(a.begin(), a.end(), mem.abuf.begin());
      std::copy(w.begin(), w.end(), mem.pbuf.begin() + 8);
      for (auto& x : mem.acc) x = -9;
    };
    t.program.Add(isa::VmaccArgs{uint32_t(m), uint32_t(n), false, 1, 0, 2, 40, 300, 8});
    t.program.Add(isa::VmaccArgs{uint32_t(m), uint32_t(n), true, 1, 1000, uint32_t(m), uint32_t(n), 0,
                                 uint32_t(8 + n), 14});
    t.check = [=](const DeviceMemory& mem, const std::vector<uint8_t>&) {
      for (int i = 0; i < m; ++i)
        for (int c = 0; c < C; ++c) {
          int32_t want = -9;
          if (c < n)
            want = AddShiftWrap(int8_t(a[(i / 2) * 300 + (i % 2) * 40 + c]) * int8_t(w[c]),
                                int8_t(a[1000 + i * n + c]) * int8_t(w[n + c]), 14);
          if (mem.acc[size_t(1 + i) * C + c] != want)
            return StrFormat("acc[%d][%d] = %d, want %d", 1 + i, c, mem.acc[size_t(1 + i) * C + c], want);
        }
      return std::string();
    };
    tests.push_back(std::move(t));
  }
  {  // VLUT.
    InsnTest t;
    t.name = "VLUT";
    const auto lut = rand_bytes(256), x = rand_bytes(3 * C + 1);
    t.init = [=](DeviceMemory& mem) {
      std::copy(lut.begin(), lut.end(), mem.pbuf.begin() + 512);
      std::copy(x.begin(), x.end(), mem.abuf.begin() + 7);
    };
    t.program.Add(isa::VlutArgs{uint32_t(x.size()), 7, 2000, 512});
    t.check = [=](const DeviceMemory& mem, const std::vector<uint8_t>&) {
      for (size_t i = 0; i < x.size(); ++i)
        if (mem.abuf[2000 + i] != lut[int8_t(x[i]) + 128]) return StrFormat("element %zu", i);
      return std::string();
    };
    tests.push_back(std::move(t));
  }
  // SOFTMAX: rows shorter and longer than C, one element, several rows, in
  // place, both roundings, a realistic expf table (TFLite's), a table of random
  // bit patterns (NaN / inf / subnormal paths) and random scale bits, the
  // table at an unaligned PBUF address. Checked against SoftmaxReference.
  struct Sm {
    const char* name;
    int m, len;
    bool trunc_round, in_place, random_table, random_scale;
    int out_zp;
  };
  const Sm sms[] = {
      {"SOFTMAX int8 len 1", 1, 1, false, false, false, false, -128},
      {"SOFTMAX int8 len < C, 3 rows", 3, std::max(1, C - 3), false, false, false, false, -128},
      {"SOFTMAX int8 len > C, 4 rows, in place", 4, 2 * C + 5, false, true, false, false, -128},
      {"SOFTMAX uint8 rounding len > C, 2 rows", 2, C + 1, true, false, false, false, -128},
      {"SOFTMAX uint8 rounding in place, zp 5", 3, 7, true, true, false, false, 5},
      {"SOFTMAX int8 random table", 6, C / 2 + 3, false, false, true, false, 17},
      {"SOFTMAX uint8 rounding random table and scale", 6, 5, true, false, true, true, -128},
      {"SOFTMAX int8 random scale", 4, 9, false, true, false, true, -3},
  };
  for (const Sm& sm : sms) {
    InsnTest t;
    t.name = sm.name;
    const size_t bytes = size_t(sm.m) * sm.len;
    std::vector<uint8_t> x = rand_bytes(bytes);
    if (sm.len >= 4) {  // the extremes in one row: table entries 0 and 255
      x[1] = 0x80;
      x[2] = 0x7F;
    }
    std::vector<uint32_t> table =
        SoftmaxTable(static_cast<float>(RandReal(rng, 0.01, 0.3)), (rng.Next() & 1) ? 1.0f : 0.7f);
    if (sm.random_table)
      for (auto& e : table) e = rng.Next();
    const uint32_t scale = sm.random_scale ? rng.Next() : f32::Bits(1.0f / 256.0f);
    const uint32_t src = 64 + (rng.Next() % 8), dst = sm.in_place ? src : uint32_t(src + bytes + 40);
    const uint32_t table_addr = 1000 + (rng.Next() % 4);
    const std::vector<int8_t> want8 = SoftmaxReference(std::vector<int8_t>(x.begin(), x.end()), sm.len, table,
                                                       scale, sm.trunc_round, sm.out_zp);
    const std::vector<uint8_t> want(want8.begin(), want8.end());
    t.init = [=](DeviceMemory& mem) {
      std::copy(x.begin(), x.end(), mem.abuf.begin() + src);
      for (int i = 0; i < 256; ++i) SetI32(&mem.pbuf[table_addr + 4 * i], static_cast<int32_t>(table[i]));
    };
    t.program.Add(isa::SoftmaxArgs{uint32_t(sm.m), uint32_t(sm.len), sm.trunc_round, src, dst, table_addr, scale,
                                   sm.out_zp});
    t.check = [=](const DeviceMemory& mem, const std::vector<uint8_t>&) {
      if (!sm.in_place && (mem.abuf[dst - 1] != 0 || mem.abuf[dst + bytes] != 0))
        return std::string("wrote outside");
      return CheckBytes("output", &mem.abuf[dst], want);
    };
    tests.push_back(std::move(t));
  }
  // VL2NORM: TFLite's L2_NORMALIZATION arithmetic (common/fixed_point.h) per
  // row; zero rows (sum 0), a single +-1 (sum 1), extremes (d = +-255, the
  // largest sums), in place and not.
  struct L2 {
    const char* name;
    int m, len;
    bool uint8, in_place;
    int in_zp;
  };
  const L2 l2s[] = {
      {"VL2NORM int8 len 1, 4 rows", 4, 1, false, false, 0},
      {"VL2NORM int8 len > C, 3 rows, in place, zp -7", 3, 2 * C + 5, false, true, -7},
      {"VL2NORM uint8 len < C, 5 rows, zp 127", 5, std::max(2, C - 3), true, false, 127},
      {"VL2NORM uint8 len 300, 2 rows, in place, zp -128", 2, 300, true, true, -128},
      {"VL2NORM int8 len 7, 6 rows, zp 100", 6, 7, false, false, 100},
  };
  for (const L2& l2 : l2s) {
    InsnTest t;
    t.name = l2.name;
    const size_t bytes = size_t(l2.m) * l2.len;
    std::vector<uint8_t> x = rand_bytes(bytes);
    for (int j = 0; j < l2.len; ++j) x[j] = static_cast<uint8_t>(l2.in_zp);  // row 0: sum 0
    if (l2.m > 2) {  // row 1: sum 1; row 2: the extremes
      for (int j = 0; j < l2.len; ++j) {
        x[size_t(l2.len) + j] = static_cast<uint8_t>(l2.in_zp);
        x[2 * size_t(l2.len) + j] = static_cast<uint8_t>(l2.in_zp < 0 ? 127 : -128);
      }
      x[size_t(l2.len)] = static_cast<uint8_t>(l2.in_zp + (l2.in_zp < 127 ? 1 : -1));
    }
    const std::vector<int8_t> ref = L2NormReference(std::vector<int8_t>(x.begin(), x.end()), l2.len, l2.uint8, l2.in_zp);
    const std::vector<uint8_t> want(ref.begin(), ref.end());
    const uint32_t src = 64 + (rng.Next() % 8), dst = l2.in_place ? src : uint32_t(src + bytes + 40);
    t.init = [=](DeviceMemory& mem) { std::copy(x.begin(), x.end(), mem.abuf.begin() + src); };
    t.program.Add(isa::Vl2normArgs{uint32_t(l2.m), uint32_t(l2.len), l2.uint8, src, dst, l2.in_zp});
    t.check = [=](const DeviceMemory& mem, const std::vector<uint8_t>&) {
      if (!l2.in_place && (mem.abuf[dst - 1] != 0 || mem.abuf[dst + bytes] != 0))
        return std::string("wrote outside");
      return CheckBytes("output", &mem.abuf[dst], want);
    };
    tests.push_back(std::move(t));
  }
  // VADD/VSUB/VMUL and the pools are checked against the TFLite reference in
  // the op cases below (one small case per opcode, whole program incl. DMA).
  struct Op {
    const char* name;
    OpKind kind;
  };
  for (Op op : {Op{"VADD", OpKind::kAdd}, Op{"VSUB", OpKind::kSub}, Op{"VMUL", OpKind::kMul},
                Op{"MAXPOOL", OpKind::kMaxPool}, Op{"AVGPOOL", OpKind::kAvgPool}}) {
    OpCase oc = MakeCase(op.kind, cfg, rng);
    InsnTest t;
    t.name = op.name;
    for (const auto& i : oc.insns) t.program.Add(i);
    // Host: inputs at region 0; outputs written to region 2.
    t.host_in = oc.input;
    t.host_in.resize(std::max<size_t>(t.host_in.size(), 1));
    t.host_out.assign(oc.expected.size(), 0);
    const auto want = oc.expected;
    t.check = [want](const DeviceMemory&, const std::vector<uint8_t>& out) {
      return CheckBytes("output", out.data(), std::vector<uint8_t>(want.begin(), want.end()));
    };
    tests.push_back(std::move(t));
  }
  return tests;
}

}  // namespace systole::sim::testing

namespace systole::sim::testing {

std::vector<IllegalCase> IllegalPrograms(const DeviceConfig& cfg) {
  std::vector<IllegalCase> v;
  auto one = [&](const std::string& name, const isa::Instruction& insn, StatusCode code, const std::string& needle,
                 int pad_before = 1) {
    ProgramBuilder pb;
    for (int i = 0; i < pad_before; ++i) pb.Add(isa::NopArgs{});
    pb.Add(insn);
    v.push_back(IllegalCase{name, pb.words(), code, needle});
  };
  const uint32_t A = cfg.abuf_bytes, P = cfg.pbuf_bytes;
  {
    isa::InsnWord w;
    isa::SetBits(&w, 0, 8, 0xEE);
    v.push_back({"unknown opcode", {isa::InsnWord{}, w}, StatusCode::kInvalidArgument,
                 "instruction 1: unknown opcode 238"});
    isa::InsnWord r;
    isa::SetBits(&r, 0, 8, static_cast<uint32_t>(isa::Opcode::kVfill));
    isa::SetBits(&r, 32, 32, 1);
    isa::SetBits(&r, 250, 1, 1);
    v.push_back({"reserved bits", {r}, StatusCode::kInvalidArgument, "reserved bits"});
  }
  one("matmul reads past ABUF", {{}, isa::MatmulArgs{4, 2, false, 0, A - 3, 4, 1, 0}}, StatusCode::kOutOfRange,
      "outside ABUF");
  one("matmul 2-D pattern past ABUF", {{}, isa::MatmulArgs{8, 1, false, 0, 0, 2, 1, A / 2}},
      StatusCode::kOutOfRange, "outside ABUF");
  one("matmul past ACC", {{}, isa::MatmulArgs{4, 2, false, cfg.acc_rows - 2, 0, 4, 2, 0}},
      StatusCode::kOutOfRange, "outside ACC");
  one("matmul k > R", {{}, isa::MatmulArgs{1, uint32_t(cfg.rows + 1), false, 0, 0, 1, 0, 0}},
      StatusCode::kOutOfRange, "k =");
  one("load_weights past PBUF", {{}, isa::LoadWeightsArgs{2, 2, P - 2, 8}}, StatusCode::kOutOfRange,
      "outside PBUF");
  one("preload_weights past PBUF", {{}, isa::PreloadWeightsArgs{2, 2, P - 2, 8}}, StatusCode::kOutOfRange,
      "PRELOAD_WEIGHTS: weights");
  one("preload_weights k > R", {{}, isa::PreloadWeightsArgs{uint32_t(cfg.rows + 1), 1, 0, 1}},
      StatusCode::kOutOfRange, "PRELOAD_WEIGHTS: k =");
  one("load_weights w_zp without u8", {{}, isa::LoadWeightsArgs{2, 2, 0, 8, false, 7}}, StatusCode::kOutOfRange,
      "w_zp is 7 but u8 = 0");
  one("preload_weights w_zp without u8", {{}, isa::PreloadWeightsArgs{2, 2, 0, 8, false, 5}},
      StatusCode::kOutOfRange, "PRELOAD_WEIGHTS: w_zp is 5 but u8 = 0");
  one("vmacc_wide w_zp without u8", {{}, isa::VmaccWideArgs{1, 2, false, 0, 0, 1, 0, 0, 0, 0, false, 9}},
      StatusCode::kOutOfRange, "w_zp is 9 but u8 = 0");
  one("postproc params past PBUF", {{}, isa::PostprocArgs{1, 2, 0, 0, 2, P - 20, 0, -128, 127}},
      StatusCode::kOutOfRange, "outside PBUF");
  {  // 2-D output: rows 0..1 at 0, 2..3 at A/2, 4..5 at A (past ABUF); as 1-D it would fit
    isa::PostprocArgs pp{6, 2, 0, 0, 2, 0, 0, -128, 127};
    pp.dst_row_len = 2;
    pp.dst_row_pitch = A / 2;
    one("postproc 2-D output past ABUF", {{}, pp}, StatusCode::kOutOfRange, "POSTPROC: output");
  }
  one("postproc act_min > act_max", {{}, isa::PostprocArgs{1, 2, 0, 0, 2, 0, 0, 5, 4}}, StatusCode::kOutOfRange,
      "act_min");
  one("postproc fp32 with single_round", {{}, isa::PostprocArgs{1, 2, 0, 0, 2, 0, 0, -128, 127, true, true}},
      StatusCode::kOutOfRange, "POSTPROC: single_round must be 0 when fp32 = 1");
  one("vadd dst partially overlaps", {{}, isa::VaddArgs{16, 0, 100, 8}}, StatusCode::kOutOfRange, "overlaps");
  one("pool output overlaps input", {{}, isa::MaxpoolArgs{1, 2, 2, 2, 0, 4, 1, 2, 0, 2, 0, 16}},
      StatusCode::kOutOfRange, "overlaps");
  // SOFTMAX fields: m, len, trunc_round, src, dst, table_addr, scale, out_zp.
  one("softmax rows past ABUF", {{}, isa::SoftmaxArgs{4, 16, 0, A - 40, 0, 0, 0x3B800000u, -128}},
      StatusCode::kOutOfRange, "SOFTMAX: src");
  one("softmax table past PBUF", {{}, isa::SoftmaxArgs{1, 8, 0, 0, 64, P - 1000, 0x3B800000u, -128}},
      StatusCode::kOutOfRange, "SOFTMAX: table");
  one("softmax dst partially overlaps", {{}, isa::SoftmaxArgs{2, 8, 0, 0, 4, 0, 0x3B800000u, -128}},
      StatusCode::kOutOfRange, "overlaps");
  {
    isa::InsnWord w;  // len = 0 (the field's minimum is 1)
    isa::SetBits(&w, 0, 8, static_cast<uint32_t>(isa::Opcode::kSoftmax));
    isa::SetBits(&w, 16, 16, 1);
    v.push_back({"softmax len 0", {isa::InsnWord{}, w}, StatusCode::kOutOfRange, "SOFTMAX: field len = 0"});
  }
  // VL2NORM fields: m, len, uint8, src, dst, in_zp.
  one("l2norm rows past ABUF", {{}, isa::Vl2normArgs{4, 16, 0, A - 40, 0, 0}}, StatusCode::kOutOfRange,
      "VL2NORM: src");
  one("l2norm dst partially overlaps", {{}, isa::Vl2normArgs{2, 8, 0, 0, 4, 0}}, StatusCode::kOutOfRange,
      "overlaps");
  {
    isa::InsnWord w;  // len = 33026 (past VL2NORM_LEN_MAX: the int32 sum could overflow)
    isa::SetBits(&w, 0, 8, static_cast<uint32_t>(isa::Opcode::kVl2norm));
    isa::SetBits(&w, 16, 16, 1);
    isa::SetBits(&w, 32, 16, 33026);
    v.push_back({"l2norm len past its maximum", {isa::InsnWord{}, w}, StatusCode::kOutOfRange,
                 "VL2NORM: field len = 33026"});
  }
  {
    isa::InsnWord w;  // w_shift = 25 (the field's maximum is 24)
    isa::SetBits(&w, 0, 8, static_cast<uint32_t>(isa::Opcode::kVmacc));
    isa::SetBits(&w, 16, 16, 1);
    isa::SetBits(&w, 32, 16, 1);
    isa::SetBits(&w, 49, 5, 25);
    isa::SetBits(&w, 128, 16, 1);
    v.push_back({"vmacc w_shift past its maximum", {isa::InsnWord{}, w}, StatusCode::kOutOfRange,
                 "VMACC: field w_shift = 25"});
  }
  one("setreg value out of range", {{}, isa::SetregArgs{static_cast<uint32_t>(isa::VReg::kIn1Shift), 1, 40, 0, 0}},
      StatusCode::kOutOfRange, "IN1_SHIFT");
  one("setreg past last register", {{}, isa::SetregArgs{11, 2, 0, 0, 0}}, StatusCode::kOutOfRange, "registers");
  one("load from unmapped region", {{}, isa::LoadArgs{0, 5, 1, 4, 0, 4, 0, 4}}, StatusCode::kOutOfRange,
      "not mapped");
  one("load past host region", {{}, isa::LoadArgs{0, 0, 2, 200, 0, 200, 0, 200}}, StatusCode::kOutOfRange,
      "past host region 0");
  one("load from write-only region", {{}, isa::LoadArgs{0, 2, 1, 4, 0, 4, 0, 4}}, StatusCode::kOutOfRange,
      "not readable");
  one("store into read-only region", {{}, isa::StoreArgs{0, 0, 1, 4, 0, 4, 0, 4}}, StatusCode::kOutOfRange,
      "not writable");
  one("store past host region", {{}, isa::StoreArgs{0, 2, 1, 4, 0, 4, 254, 4}}, StatusCode::kOutOfRange,
      "past host region 2");
  one("store from PBUF", {{}, isa::StoreArgs{1, 2, 1, 4, 0, 4, 0, 4}}, StatusCode::kOutOfRange, "must be ABUF");
  one("load into ABUF past its end", {{}, isa::LoadArgs{0, 0, 1, 8, A - 4, 8, 0, 8}}, StatusCode::kOutOfRange,
      "outside ABUF");
  {
    isa::LoadArgs a{0, 0, 2, 4, 0, 4, 0, 4};
    a.extra_planes = 3;
    a.host_plane_stride = 1000;  // the first plane fits, the last one (at 3000) does not
    one("load with its last plane past the host region", {{}, a}, StatusCode::kOutOfRange, "past host region 0");
    isa::LoadArgs b{0, 0, 1, 8, 0, 8, 0, 8};
    b.extra_planes = 1;
    b.sram_plane_stride = A - 4;
    one("load with its last plane past ABUF", {{}, b}, StatusCode::kOutOfRange, "outside ABUF");
  }
  one("load with pop_prev", {{true, false, false, false}, isa::LoadArgs{0, 0, 0, 0, 0, 0, 0, 0}},
      StatusCode::kInvalidArgument, "no previous unit");
  one("store with push_next", {{false, false, false, true}, isa::StoreArgs{0, 2, 0, 0, 0, 0, 0, 0}},
      StatusCode::kInvalidArgument, "no next unit");
  {
    ProgramBuilder pb;  // compute waits for a load token nobody pushes
    pb.Add(isa::NopArgs{}, PopPrev());
    v.push_back({"deadlock", pb.words(), StatusCode::kFailedPrecondition, "deadlock"});
  }
  return v;
}

}  // namespace systole::sim::testing
