// Instruction and parameter-block helpers the op lowerings share
// (partition.h): fills, POSTPROC, the GEMM on the array, copies by VLUT.
#include <algorithm>
#include <deque>
#include <functional>
#include <utility>

#include "arch/cycle_model.h"
#include "arch/issue.h"
#include "common/fixed_point.h"
#include "compiler/partition.h"
#include "common/float32.h"
#include "interpreter/quant_arith.h"
#include "schema/tflite_generated.h"

namespace systole::compiler {

// EmitGemm tries row blocks of a region, a half, ... 1/kMaxBlockSplit of it.
constexpr int kMaxBlockSplit = 16;
// PackGemm packs at most this many pixels of a deep-K window.
constexpr int kMaxDeepPack = 8;

void PutI32(std::vector<uint8_t>* v, int32_t x) {
  const uint32_t u = static_cast<uint32_t>(x);
  for (int i = 0; i < 4; ++i) v->push_back(static_cast<uint8_t>(u >> (8 * i)));
}

void Align(std::vector<uint8_t>* v, size_t a) {
  while (v->size() % a) v->push_back(0);
}

// The identity table of VLUT (a copy): entry i is i - 128.
std::vector<uint8_t> IdentityLut() {
  std::vector<uint8_t> t(256);
  for (int v = 0; v < 256; ++v) t[v] = static_cast<uint8_t>(v - 128);
  return t;
}

// Appends the identity table to a parameter block; returns its offset.
uint32_t AddIdentityLut(std::vector<uint8_t>* params) {
  const uint32_t at = static_cast<uint32_t>(params->size());
  const std::vector<uint8_t> t = IdentityLut();
  params->insert(params->end(), t.begin(), t.end());
  return at;
}

// bias'[c] = bias[c] - zx * sum(w[.][c]), wrapping like TFLite's int32 accumulators.
std::vector<int32_t> FoldInputZeroPoint(const TfLiteTensor* bias, int32_t zx, const std::vector<int64_t>& wsum) {
  std::vector<int32_t> folded(wsum.size());
  for (size_t c = 0; c < wsum.size(); ++c) {
    const int64_t b = bias ? bias->data.i32[c] : 0;
    folded[c] = static_cast<int32_t>(static_cast<uint32_t>(b - int64_t{zx} * wsum[c]));
  }
  return folded;
}

// Splits device-space weights d (int16 range) into int8 parts whose sum is d.
std::vector<std::vector<int16_t>> SplitInt8(const std::vector<int32_t>& d) {
  std::vector<std::vector<int16_t>> parts;
  // Weights already in the int8 range (the usual case) are their only part.
  int32_t lo = 0, hi = 0;
  for (int32_t v : d) lo = std::min(lo, v), hi = std::max(hi, v);  // no early exit: vectorizes
  if (lo >= -128 && hi <= 127) {
    parts.emplace_back(d.begin(), d.end());
    return parts;
  }
  std::vector<int32_t> rest = d;
  do {
    std::vector<int16_t> p(rest.size());
    bool more = false;
    for (size_t i = 0; i < rest.size(); ++i) {
      const int32_t v = std::min(127, std::max(-128, rest[i]));
      p[i] = static_cast<int16_t>(v);
      rest[i] -= v;
      more |= rest[i] != 0;
    }
    parts.push_back(std::move(p));
    if (!more) break;
  } while (true);
  return parts;
}

void PartitionCompiler::Gemm::AddSlices(int64_t offset, int k, const std::vector<int32_t>& d) {
  if (u8) {
    slices.push_back(Slice{offset, k, std::vector<int16_t>(d.begin(), d.end())});
    return;
  }
  for (std::vector<int16_t>& part : SplitInt8(d)) slices.push_back(Slice{offset, k, std::move(part)});
}

void PartitionCompiler::EmitFill(const Root& r, OpCode* oc) {
  // Everything outside the interior rectangle, as contiguous runs.
  const int64_t pitch = int64_t{r.wb} * r.c;
  auto fill = [&](int64_t begin, int64_t end) {
    while (begin < end) {
      const int64_t len = std::min<int64_t>(end - begin, 0x7fffffff);
      isa::VfillArgs a;
      a.value = r.fill;
      a.len = static_cast<uint32_t>(len);
      a.dst = static_cast<uint32_t>(r.addr + begin);
      oc->compute.push_back(Instruction{{}, a});
      begin += len;
    }
  };
  const int64_t top_end = r.in_y * pitch + int64_t{r.in_x} * r.c;
  fill(0, top_end);
  for (int y = r.in_y; y < r.in_y + r.in_h; ++y) {
    const int64_t a = y * pitch + int64_t{r.in_x + r.in_w} * r.c;
    const int64_t b = y + 1 < r.in_y + r.in_h ? (y + 1) * pitch + int64_t{r.in_x} * r.c : r.bytes;
    fill(a, b);
  }
  if (r.in_h == 0) fill(top_end, r.bytes);
}

void PartitionCompiler::EmitPostproc(const View& out, int oy0, int rows, int ow, int n0, int n, uint32_t param_rel,
                                     int32_t zp, int32_t lo, int32_t hi, Requant requant, OpCode* oc, int acc0) {
  auto one = [&](int acc_row, int64_t dst, int m) {
    isa::PostprocArgs p;
    p.m = static_cast<uint32_t>(m);
    p.n = static_cast<uint32_t>(n);
    p.acc_addr = static_cast<uint32_t>(acc_row);
    p.dst_addr = static_cast<uint32_t>(dst);
    p.dst_stride = static_cast<uint32_t>(out.pix_pitch);
    p.param_addr = param_rel;
    p.out_zp = zp;
    p.act_min = lo;
    p.act_max = hi;
    p.single_round = requant == Requant::kSingle;
    p.half_up = requant == Requant::kHalfUp;
    p.fp32 = requant == Requant::kFp32;
    oc->compute.push_back(Instruction{{}, p});
  };
  if (out.row_pitch == int64_t{ow} * out.pix_pitch || rows == 1) {
    one(acc0, Addr(out, oy0, 0) + n0, rows * ow);
  } else if (ow < (1 << 13) && out.row_pitch < (1 << 24)) {
    // Rows with padding columns between them: one POSTPROC, a 2-D output.
    one(acc0, Addr(out, oy0, 0) + n0, rows * ow);
    isa::PostprocArgs& p = oc->compute.back().as<isa::PostprocArgs>();
    p.dst_row_len = static_cast<uint32_t>(ow);
    p.dst_row_pitch = static_cast<uint32_t>(out.row_pitch);
  } else {
    for (int r = 0; r < rows; ++r) one(acc0 + r * ow, Addr(out, oy0 + r, 0) + n0, ow);
  }
}

// Weight tiles and requantization parameters go into the op's block as:
//   for each slice: k x cout int8 (row stride cout)
//   for each cout tile of C: bias[n], mult[n], shift[n] (int32)
// Two packings that fill more of the array with the same GEMM:
//  * slices adjacent in ABUF (a window's kx taps when the input's pixels are
//    dense, e.g. a Cin = 3 first layer) merge into one slice of up to R rows;
//  * with cout <= C/2 (or, for a narrow K, with cout > C/2 when fewer rows
//    stream in all: PackGemm), P neighbouring output pixels share an accumulator row:
//    vector j reads the union of their windows ((P-1)*inner_stride + k bytes),
//    column p*cout + co holds pixel p's channel co (the filter shifted down by
//    p*inner_stride rows), and POSTPROC writes the P pixels' channels as one
//    contiguous run of P*cout bytes (parameters repeated P times);
//  * a deep K (a dense window of K > R contiguous bytes, e.g. a 1x1
//    convolution with Cin 144 -> Cout 24): P pixels' windows are P*K
//    contiguous bytes, cut into slices of R rows of the block-diagonal
//    (P*K) x (P*cout) filter, when that streams fewer rows in all.
// All only regroup the same products into the same int32 sums (wrapping
// addition is associative), so the results are bit-identical.
PartitionCompiler::Gemm PartitionCompiler::PackGemm(Gemm g) const {
  std::vector<Slice> in = std::move(g.slices);
  g.slices.clear();
  for (Slice& s : in) {
    if (!g.slices.empty()) {
      Slice& last = g.slices.back();
      if (last.offset + last.k == s.offset && last.k + s.k <= R_) {
        last.w.insert(last.w.end(), s.w.begin(), s.w.end());
        last.k += s.k;
        continue;
      }
    }
    g.slices.push_back(std::move(s));
  }
  int pack = 1;
  if (g.inner_stride > 0 && g.out.pix_pitch == g.cout) {
    int max_k = 0;
    for (const Slice& s : g.slices) max_k = std::max(max_k, s.k);
    auto fits = [&](int p) { return g.ow % p == 0 && (p - 1) * g.inner_stride + max_k <= R_; };
    for (int p = C_ / g.cout; p >= 2; --p)
      if (fits(p)) {
        pack = p;
        break;
      }
    // Wider than the array (cout > C/2, a narrow K): P pixels in P*cout
    // columns, several Cout tiles, when that streams fewer rows in all, e.g.
    // Cin 16 -> Cout 96: 2 tiles of m rows unpacked, 3 tiles of m/2 rows with
    // P = 2 (the array's rows hold 2 x 16 of the K). Rows streamed per output
    // image row: ceil(P*cout / C) tiles x ow/P.
    if (pack == 1) {
      auto rows = [&](int p) { return int64_t{(p * g.cout + C_ - 1) / C_} * (g.ow / p); };
      for (int p = 2; (p - 1) * g.inner_stride + max_k <= R_; ++p)
        if (fits(p) && rows(p) < rows(pack)) pack = p;
    }
  }
  // Deep K: the slices (merged above) cover the window [o0, o0 + K) without
  // gaps and the next pixel's window starts right after it (inner_stride
  // = K), so P pixels read P*K contiguous bytes. Rows streamed per output
  // image row: ceil(P*K / R) slices x ceil(P*cout / C) tiles x ow/P.
  bool deep = false;
  int64_t deep_k = 0;
  if (pack == 1 && g.inner_stride > R_ && g.out.pix_pitch == g.cout && !g.slices.empty()) {
    bool dense = true;
    for (const Slice& s : g.slices) {
      dense = dense && s.offset == g.slices[0].offset + deep_k;
      deep_k += s.k;
    }
    if (dense && deep_k == g.inner_stride) {
      auto ceil = [](int64_t a, int64_t b) { return (a + b - 1) / b; };
      auto rows = [&](int p) { return ceil(p * deep_k, R_) * ceil(int64_t{p} * g.cout, C_) * (g.ow / p); };
      int64_t best = static_cast<int64_t>(g.slices.size()) * ceil(g.cout, C_) * g.ow;
      for (int p = 2; p <= kMaxDeepPack; ++p)
        if (g.ow % p == 0 && rows(p) < best) {
          best = rows(p);
          pack = p;
          deep = true;
        }
    }
  }
  if (pack == 1) return g;
  const int n = pack * g.cout;
  if (deep) {
    std::vector<int16_t> whole;  // the K x cout filter, the slices in order
    whole.reserve(size_t(deep_k) * g.cout);
    for (const Slice& s : g.slices) whole.insert(whole.end(), s.w.begin(), s.w.end());
    const int64_t o0 = g.slices[0].offset, total = pack * deep_k;
    g.slices.clear();
    for (int64_t at = 0; at < total; at += R_) {
      Slice s{o0 + at, static_cast<int>(std::min<int64_t>(R_, total - at)), {}};
      s.w.assign(size_t(s.k) * n, 0);
      for (int r = 0; r < s.k; ++r) {
        const int64_t row = at + r, p = row / deep_k, kk = row % deep_k;  // pixel p's input channel kk
        for (int co = 0; co < g.cout; ++co)
          s.w[size_t(r) * n + size_t(p * g.cout + co)] = whole[size_t(kk) * g.cout + co];
      }
      g.slices.push_back(std::move(s));
    }
  } else {
    for (Slice& s : g.slices) {
      const int k = static_cast<int>((pack - 1) * g.inner_stride) + s.k;
      std::vector<int16_t> w(size_t(k) * n, 0);
      for (int p = 0; p < pack; ++p)
        for (int r = 0; r < s.k; ++r)
          for (int co = 0; co < g.cout; ++co)
            w[(size_t(r) + size_t(p * g.inner_stride)) * n + size_t(p * g.cout + co)] = s.w[size_t(r) * g.cout + co];
      s.k = k;
      s.w = std::move(w);
    }
  }
  auto rep = [&](std::vector<int32_t>& v) {
    std::vector<int32_t> r(n);
    for (int c = 0; c < n; ++c) r[c] = v[c % g.cout];
    v = std::move(r);
  };
  rep(g.bias), rep(g.mult), rep(g.shift);
  g.cout = n;
  g.ow /= pack;
  g.inner_stride *= pack;
  g.out.pix_pitch *= pack;
  g.out.w /= pack;
  g.out.c = n;
  return g;
}

Status PartitionCompiler::EmitGemm(int step, Gemm unpacked, OpCode* oc) {
  for (const Slice& s : unpacked.slices)  // useful MACs (packing adds zero weights)
    oc->macs += uint64_t(unpacked.oh) * unpacked.ow * s.k * unpacked.cout;
  const Gemm g = PackGemm(std::move(unpacked));
  std::vector<uint8_t>& P = oc->params;
  size_t weight_bytes = 0;
  for (const Slice& s : g.slices) weight_bytes += s.w.size() + 3;
  P.reserve(P.size() + weight_bytes);
  std::vector<uint32_t> slice_at;
  for (const Slice& s : g.slices) {
    Align(&P, 4);
    slice_at.push_back(static_cast<uint32_t>(P.size()));
    // UINT8: the weight bytes themselves (d + w_zp in [0, 255]; packing's zeros become w_zp).
    const int32_t zp = g.u8 ? g.w_zp : 0;
    const size_t at = P.size();
    P.resize(at + s.w.size());
    std::transform(s.w.begin(), s.w.end(), P.begin() + at, [zp](int16_t v) { return static_cast<uint8_t>(v + zp); });
  }
  const std::vector<uint32_t> tile_at = AddRequantTiles(
      &P, g.cout, C_, [&](int c) { return g.bias[c]; }, [&](int c) { return g.mult[c]; },
      [&](int c) { return g.shift[c]; });
  if (g.ow > static_cast<int>(hw_.acc_rows) || g.ow > 65535)
    return OpError(step, StrFormat("output rows of %d pixels exceed the %u accumulator rows", g.ow, hw_.acc_rows));
  // The MATMULs of the op in issue order, each with its weight tile, and the
  // POSTPROC that follows a (row block, Cout tile) group.
  struct Step {
    isa::LoadWeightsArgs w;
    isa::MatmulArgs mm;
    int post_oy0 = -1, post_rows = 0, post_n0 = 0, post_n = 0, post_t = 0;  // POSTPROC after it
    int post_acc = 0;  // its accumulator region
    int oy0 = 0;       // its row block
  };
  // Accumulator regions: (row block, Cout tile) group j accumulates in region
  // j % regions, so that its POSTPROC, emitted after the later groups'
  // MATMULs that span its sums' drain, runs beside them (arch/issue.h: a
  // POSTPROC and MATMULs on other accumulator rows overlap). Three regions when a row
  // block of a third of the accumulators holds at least one output row.
  const int regions = static_cast<int64_t>(g.ow) * 3 <= hw_.acc_rows ? 3
                      : static_cast<int64_t>(g.ow) * 2 <= hw_.acc_rows ? 2 : 1;
  const int64_t region_rows = hw_.acc_rows / regions;
  // The op's instructions with row blocks of at most block_pixels
  // accumulator rows each (whole output rows; at most a region), into
  // out->compute.
  auto emit = [&](int64_t block_pixels, OpCode* out) -> Status {
    std::vector<Step> steps;
    int group = 0;
    for (const auto& [oy0, rows] : RowBlocks(0, g.oh, g.ow, block_pixels)) {
      const int m = rows * g.ow;
      for (int t = 0, n0 = 0; n0 < g.cout; n0 += C_, ++t) {
        const int n = std::min(C_, g.cout - n0);
        bool first = true;
        for (size_t si = 0; si < g.slices.size(); ++si) {
          const Slice& s = g.slices[si];
          Step st;
          st.w.k = static_cast<uint32_t>(s.k);
          st.w.n = static_cast<uint32_t>(n);
          st.w.pbuf_addr = slice_at[si] + static_cast<uint32_t>(n0);
          st.w.w_stride = static_cast<uint32_t>(g.cout);
          st.w.u8 = g.u8;
          st.w.w_zp = static_cast<uint32_t>(g.w_zp);
          st.oy0 = oy0;
          isa::MatmulArgs& mm = st.mm;
          mm.m = static_cast<uint32_t>(m);
          mm.k = static_cast<uint32_t>(s.k);
          mm.accumulate = !first;
          mm.acc_addr = static_cast<uint32_t>((group % regions) * region_rows);  // NOLINT
          const int64_t a = g.origin + oy0 * g.outer_stride + s.offset;
          if (a < 0 || a > UINT32_MAX) return Internal("%s: negative ABUF address", OpLabel(step).c_str());
          mm.a_addr = static_cast<uint32_t>(a);
          mm.a_inner_count = static_cast<uint32_t>(g.ow);
          mm.a_inner_stride = static_cast<uint32_t>(g.inner_stride);
          mm.a_outer_stride = static_cast<uint32_t>(g.outer_stride);
          steps.push_back(st);
          first = false;
        }
        Step& last = steps.back();
        last.post_oy0 = oy0, last.post_rows = rows, last.post_n0 = n0, last.post_n = n, last.post_t = t;
        last.post_acc = static_cast<int>((group % regions) * region_rows);
        ++group;
      }
    }
    // Shadow weights (docs/accelerator.md): only the first tile is a
    // LOAD_WEIGHTS; every later distinct tile is a PRELOAD_WEIGHTS issued before
    // the MATMUL ahead of it (which fills the shadow set while it streams) and
    // taken by its own MATMUL (take_shadow). A tile equal to the active one is
    // neither reloaded nor taken. Everything stays inside this op, whose PBUF
    // block is resident for all of its compute instructions. (The input
    // cascade may run the op's row blocks apart; the scheduler then gives each
    // piece its own weights: compiler/schedule.cc SplitWeightState.)
    auto same = [](const isa::LoadWeightsArgs& a, const isa::LoadWeightsArgs& b) {
      return a.k == b.k && a.n == b.n && a.pbuf_addr == b.pbuf_addr && a.w_stride == b.w_stride && a.u8 == b.u8 &&
             a.w_zp == b.w_zp;
    };
    auto emit_post = [&](const Step& st) {
      EmitPostproc(g.out, st.post_oy0, st.post_rows, g.ow, st.post_n0, st.post_n, tile_at[st.post_t], g.out_zp,
                   g.act_min, g.act_max, g.requant, out, st.post_acc);
    };
    // A group's POSTPROC waits in `pending` until the MATMULs issued since
    // its group's last one span that MATMUL's drain (its sums are complete:
    // the POSTPROC is then accepted without stalling the array, arch/issue.h),
    // or until a MATMUL is about to write its accumulator region again. With
    // one region it follows its group at once. Pending POSTPROCs go out in
    // order (one is in flight at a time).
    struct Pending {
      size_t step;
      uint64_t elapsed;  // issue cycles since its group's last MATMUL was issued
      uint64_t drain;    // that MATMUL's cycles
    };
    std::deque<Pending> pending;
    const sim::CoreConfig core = hw_.core();
    auto flush_until = [&](size_t count) {
      for (; count > 0 && !pending.empty(); --count) {
        emit_post(steps[pending.front().step]);
        pending.pop_front();
      }
    };
    auto advance = [&](const Instruction& insn) {
      const uint64_t t = sim::ComputeIssueCycles(insn, core);
      for (Pending& p : pending) p.elapsed += t;
      size_t ready = 0;
      while (ready < pending.size() && pending[ready].elapsed >= pending[ready].drain) ++ready;
      flush_until(ready);
    };
    for (size_t i = 0; i < steps.size(); ++i) {
      Step& st = steps[i];
      if (i == 0) out->compute.push_back(Instruction{{}, st.w});
      st.mm.take_shadow = i > 0 && !same(st.w, steps[i - 1].w);
      // A POSTPROC whose region this MATMUL writes goes first (and every one before it).
      for (size_t q = pending.size(); q-- > 0;)
        if (steps[pending[q].step].post_acc == static_cast<int>(st.mm.acc_addr)) {
          flush_until(q + 1);
          break;
        }
      // (advance may emit POSTPROCs into out->compute: no references into it.)
      if (i + 1 < steps.size() && !same(steps[i + 1].w, st.w)) {
        const isa::LoadWeightsArgs& nw = steps[i + 1].w;
        const Instruction pre{{}, isa::PreloadWeightsArgs{nw.k, nw.n, nw.pbuf_addr, nw.w_stride, nw.u8, nw.w_zp}};
        out->compute.push_back(pre);
        advance(pre);
      }
      const Instruction mm{{}, st.mm};
      out->compute.push_back(mm);
      advance(mm);
      if (st.post_oy0 >= 0) {
        if (regions == 1 || i + 1 == steps.size() || CascadeCutAt(steps[i + 1].oy0)) {
          flush_until(pending.size());
          emit_post(st);
        } else {
          pending.push_back({i, sim::ComputeIssueCycles(mm, core), sim::ComputeCycles(mm, core)});
        }
      }
    }
    flush_until(pending.size());
    return Status::Ok();
  };
  // The row block size. A group's POSTPROC runs beside the next group's
  // MATMULs, but the last group's runs alone, and so does every POSTPROC
  // that waits for the one before it (one in flight): with few large groups
  // (a whole region each) the post-processing of an op with one MATMUL per
  // group is as long as its MATMULs and mostly serial. Smaller blocks hide
  // more of it, at the cost of more instructions and their fixed latencies.
  // Each candidate (a region, a half, a third ... 1/kMaxBlockSplit of it, at
  // least one output row) is timed by the core's own issue rules
  // (arch/issue.h) over the op's compute instructions alone; the fastest
  // wins, ties to the larger block. Each is emitted once, the winner kept.
  return AppendFastestRowBlocks(region_rows, g.ow, kMaxBlockSplit, emit, oc);
}

uint64_t PartitionCompiler::ComputeCycles(const std::vector<Instruction>& compute) const {
  sim::IssueModel issue(hw_.core());
  uint64_t t = 0;
  for (const Instruction& insn : compute) {
    t = issue.EarliestAccept(insn, t);
    issue.Accept(insn, t);
  }
  return issue.all_done();
}

Status PartitionCompiler::ConvQuant(int step, int cout, std::vector<int32_t>* mult, std::vector<int32_t>* shift,
                                    int32_t* act_min, int32_t* act_max, bool per_channel_path) {
  TfLiteTensor* input = &ctx_->tensors[in(step, 0)];
  TfLiteTensor* filter = &ctx_->tensors[in(step, 1)];
  TfLiteTensor* bias = const_cast<TfLiteTensor*>(BiasOf(step));
  TfLiteTensor* output = &ctx_->tensors[out(step)];
  TfLiteFusedActivation act = kTfLiteActNone;
  const int c = code(step);
  if (c == tflite::BuiltinOperator_CONV_2D) act = static_cast<const TfLiteConvParams*>(node(step)->builtin_data)->activation;
  else if (c == tflite::BuiltinOperator_DEPTHWISE_CONV_2D)
    act = static_cast<const TfLiteDepthwiseConvParams*>(node(step)->builtin_data)->activation;
  else act = static_cast<const TfLiteFullyConnectedParams*>(node(step)->builtin_data)->activation;
  mult->assign(cout, 0);
  shift->assign(cout, 0);
  const bool uint8 = input->type == kTfLiteUInt8;
  if (XnnpackTakes(step)) {
    // XNNPACK: binary32 scales in the mult slots (POSTPROC fp32), its own clamp.
    const std::vector<float> scales = quant_arith::XnnpackRequantScales(input, filter, output);
    if (scales.size() != static_cast<size_t>(cout) && scales.size() != 1)
      return OpError(step, StrFormat("XNNPACK scales: %zu for %d channels", scales.size(), cout));
    for (int ch = 0; ch < cout; ++ch)
      (*mult)[ch] = static_cast<int32_t>(f32::Bits(scales[scales.size() == 1 ? 0 : ch]));
    quant_arith::XnnpackActivationRange(act, output, act_min, act_max);
  } else if (per_channel_path) {
    int32_t legacy_mult = 0;
    int legacy_shift = 0;
    if (quant_arith::ConvolutionQuantizationParams(ctx_, input, filter, bias, output, act, &legacy_mult,
                                                       &legacy_shift, act_min, act_max, mult->data(),
                                                       shift->data(), cout) != kTfLiteOk)
      return OpError(step, "quantization parameters cannot be represented");
    if (uint8) {
      std::fill(mult->begin(), mult->end(), legacy_mult);
      std::fill(shift->begin(), shift->end(), -legacy_shift);
    }
  } else {
    // FULLY_CONNECTED per-tensor path (GetQuantizedConvolutionMultipler).
    double real = 0;
    if (quant_arith::ConvolutionMultiplier(ctx_, input, filter, output, &real) != kTfLiteOk)
      return OpError(step, "output multiplier cannot be represented");
    int32_t m = 0;
    int e = 0;
    QuantizeMultiplier(real, &m, &e);
    std::fill(mult->begin(), mult->end(), m);
    std::fill(shift->begin(), shift->end(), e);
    if (quant_arith::ActivationRangeQuantized(ctx_, act, output, act_min, act_max) != kTfLiteOk)
      return OpError(step, "activation range");
  }
  *act_min -= DeviceOffset(output);
  *act_max -= DeviceOffset(output);
  return Status::Ok();
}

void PartitionCompiler::CopyRuns(const View& sv, int64_t src_flat, const View& dv, int64_t dst_flat, int64_t len,
                                 uint32_t lut, OpCode* oc) {
  std::vector<std::pair<int64_t, int64_t>> src, dst;
  FlatRuns(sv, src_flat, len, [&](int64_t a, int64_t n) { src.push_back({a, n}); });
  FlatRuns(dv, dst_flat, len, [&](int64_t a, int64_t n) { dst.push_back({a, n}); });
  size_t si = 0, di = 0;
  int64_t so = 0, dof = 0;
  while (si < src.size() && di < dst.size()) {
    const int64_t n = std::min(src[si].second - so, dst[di].second - dof);
    isa::VlutArgs v;
    v.len = static_cast<uint32_t>(n);
    v.src = static_cast<uint32_t>(src[si].first + so);
    v.dst = static_cast<uint32_t>(dst[di].first + dof);
    v.lut_addr = lut;
    if (!oc->compute.empty() && oc->compute.back().opcode() == isa::Opcode::kVlut) {
      auto& prev = oc->compute.back().as<isa::VlutArgs>();
      const uint64_t merged = uint64_t{prev.len} + v.len;
      const bool disjoint = uint64_t{prev.src} + merged <= prev.dst || uint64_t{prev.dst} + merged <= prev.src;
      if (prev.lut_addr == lut && prev.src + prev.len == v.src && prev.dst + prev.len == v.dst &&
          merged < (1ull << 31) && disjoint) {
        prev.len += v.len;
        v.len = 0;
      }
    }
    if (v.len) oc->compute.push_back(Instruction{{}, v});
    so += n, dof += n;
    if (so == src[si].second) ++si, so = 0;
    if (dof == dst[di].second) ++di, dof = 0;
  }
}

void PartitionCompiler::ExpandBroadcast(const View& src, std::vector<int> sd, const View& dst, std::vector<int> od,
                                        OpCode* oc) {
  while (sd.size() < od.size()) sd.insert(sd.begin(), 1);
  const int rank = static_cast<int>(od.size());
  const uint32_t lut = AddIdentityLut(&oc->params);
  int k = rank;  // dims [k, rank) are equal: contiguous blocks of `block` elements
  while (k > 0 && sd[k - 1] == od[k - 1]) --k;
  std::vector<int64_t> s_stride(rank + 1, 1), o_size(rank + 1, 1);
  for (int d = rank - 1; d >= 0; --d) {
    s_stride[d] = s_stride[d + 1] * sd[d];
    o_size[d] = o_size[d + 1] * od[d];
  }
  // s_stride[d+1] is the source stride of dim d; o_size[d+1] the output block of dim d.
  std::function<void(int, int64_t, int64_t)> fill = [&](int d, int64_t s_off, int64_t d_off) {
    if (d == k) {
      CopyRuns(src, s_off, dst, d_off, o_size[k], lut, oc);
      return;
    }
    const int64_t blk = o_size[d + 1];
    if (sd[d] == 1) {
      fill(d + 1, s_off, d_off);
      for (int64_t n = 1; n < od[d];) {  // double the block in place
        const int64_t m = std::min<int64_t>(n, od[d] - n);
        CopyRuns(dst, d_off, dst, d_off + n * blk, m * blk, lut, oc);
        n += m;
      }
    } else {
      for (int i = 0; i < od[d]; ++i) fill(d + 1, s_off + i * s_stride[d + 1], d_off + i * blk);
    }
  };
  fill(0, 0, 0);
}

}  // namespace systole::compiler
