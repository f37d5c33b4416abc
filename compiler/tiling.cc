// Activation tiling (docs/tiling.md). When the layout of a partition does not
// fit ABUF (Allocate fails), RunTiled compiles it again with every activation
// tensor in host memory (partition inputs and outputs in their regions,
// intermediates in SCRATCH) and every operator run in row bands:
//
//   per op: LOAD band 0, LOAD band 1; then per band b
//     compute: wait for its load (and, from b = 2, for the store that freed
//              its output slot), fill its padding rows, the op's lowering
//              restricted to the band's output rows, signal store (and load:
//              its input slot is free for band b + 2)
//     store:   the band's output rows to the tensor's home(s)
//     load:    band b + 2 into the freed slot
//   compute waits for the op's last store, then lets the next op's loads go.
//
// Two slots per input and two for the output give the double buffering: the
// load of band b + 1 and the store of band b - 1 run while band b computes.
#include "compiler/tiling.h"

#include <algorithm>
#include <map>

#include "compiler/ops/op.h"
#include "compiler/partition.h"
#include "compiler/schedule.h"
#include "compiler/tokens.h"
#include "interpreter/quant_arith.h"
#include "schema/tflite_generated.h"

namespace systole::compiler {

Band BandOf(const RowWindow& w, int y0, int y1) {
  Band b;
  b.out_y0 = y0;
  b.out_y1 = y1;
  b.in_y0 = y0 * w.stride - w.pad_top;
  b.in_y1 = b.in_y0 + static_cast<int>(InputRowsOf(w, y1 - y0));
  return b;
}

int64_t InputRowsOf(const RowWindow& w, int rows) {
  return int64_t{rows - 1} * w.stride + int64_t{w.kernel - 1} * w.dilation + 1;
}

std::vector<Band> SplitBands(const RowWindow& w, int oh, int rows) {
  std::vector<Band> bands;
  if (rows <= 0) return bands;
  for (int y0 = 0; y0 < oh; y0 += rows) bands.push_back(BandOf(w, y0, std::min(oh, y0 + rows)));
  return bands;
}

int MaxBandRows(int oh, const std::function<int64_t(int)>& bytes, int64_t budget) {
  int lo = 0, hi = oh;
  while (lo < hi) {
    const int mid = lo + (hi - lo + 1) / 2;
    if (bytes(mid) <= budget) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

namespace {

using namespace tokens;  // NOLINT: kLoad, kCompute, kStore, Wait, Signal

int64_t Align64(int64_t x) { return (x + 63) / 64 * 64; }

// Where a tensor lives in host memory (NHWC, contiguous).
struct Home {
  int region = kRegionScratch;
  uint64_t offset = 0;
};

struct TiledInput {
  int tensor = -1;
  RowWindow win;
  int bl = 0, br = 0;  // border columns (SAME padding), filled with the zero point
  int w = 0, c = 0;
  int64_t pitch = 0;  // bytes per buffer row
  int32_t zp = 0;
  uint32_t slot[2] = {0, 0};
};

struct TiledOp {
  int step = 0;
  bool conv = false;  // absolute-row views and a band window; else band-relative views
  std::vector<TiledInput> ins;
  int oh = 0, ow = 0, oc = 0;
};

// A cascade: ops run together band by band, each after the first reading its
// predecessor's output from an ABUF buffer (rows of the band plus the halo
// the reader's window needs), so that only the first op's inputs and the
// last op's output move through host memory.
struct Group {
  std::vector<int> ops;  // indices into the op list, a chain
  int rows = 0;          // output rows of the last op per band
  // Per band: the rows [first, second) each op of the chain produces.
  std::vector<std::vector<std::pair<int, int>>> produce;
  std::vector<int64_t> in_rows;   // per input of the first op: its slots' rows
  std::vector<int64_t> mid_rows;  // per op but the last: its output buffer's rows
  std::vector<uint32_t> mid;      // ... and that buffer's ABUF address
  uint32_t out_slot[2] = {0, 0};
  int64_t bytes = 0;  // ABUF bytes of every slot and buffer
};

// Bands of `rows` output rows of the chain's last op, the rows every op
// produces for each, the buffer heights and the ABUF bytes.
Group PlanGroup(const std::vector<TiledOp>& ops, const std::vector<int>& chain, int rows) {
  Group g;
  g.ops = chain;
  g.rows = rows;
  const size_t n = chain.size();
  const TiledOp& last = ops[chain.back()];
  const TiledOp& first = ops[chain.front()];
  g.mid_rows.assign(n - 1, 0);
  g.in_rows.assign(first.ins.size(), 0);
  for (int y0 = 0; y0 < last.oh; y0 += rows) {
    std::vector<std::pair<int, int>> r(n);
    r[n - 1] = {y0, std::min(last.oh, y0 + rows)};
    for (size_t k = n - 1; k > 0; --k) {
      const RowWindow& w = ops[chain[k]].ins[0].win;
      const Band ib = BandOf(w, r[k].first, r[k].second);
      r[k - 1] = {std::max(ib.in_y0, 0), std::min(ib.in_y1, w.in_h)};
      g.mid_rows[k - 1] = std::max<int64_t>(g.mid_rows[k - 1], ib.in_rows());
    }
    for (size_t i = 0; i < first.ins.size(); ++i)
      g.in_rows[i] = std::max<int64_t>(g.in_rows[i], BandOf(first.ins[i].win, r[0].first, r[0].second).in_rows());
    g.produce.push_back(std::move(r));
  }
  for (size_t i = 0; i < first.ins.size(); ++i) g.bytes += 2 * Align64(g.in_rows[i] * first.ins[i].pitch);
  for (size_t k = 0; k + 1 < n; ++k) g.bytes += Align64(g.mid_rows[k] * ops[chain[k + 1]].ins[0].pitch);
  g.bytes += 2 * Align64(int64_t{rows} * last.ow * last.oc);
  return g;
}

isa::LoadArgs Load(const Home& h, uint64_t host_off, uint64_t host_stride, uint64_t sram, uint64_t sram_stride,
                   uint32_t rows, uint64_t row_bytes) {
  isa::LoadArgs a;
  a.buffer = static_cast<uint32_t>(isa::Buffer::kAbuf);
  a.region = static_cast<uint32_t>(h.region);
  a.rows = rows;
  a.row_bytes = static_cast<uint32_t>(row_bytes);
  a.sram_addr = static_cast<uint32_t>(sram);
  a.sram_stride = static_cast<uint32_t>(sram_stride);
  a.host_offset = static_cast<uint32_t>(h.offset + host_off);
  a.host_stride = static_cast<uint32_t>(host_stride);
  return a;
}

}  // namespace

StatusOr<PendingPartition> PartitionCompiler::RunTiled(bool cascade) {
  RETURN_IF_ERROR(ReadGraph());
  // What tiling handles: convolutions (a halo of rows) and same-shape
  // elementwise ops on activations (no halo).
  std::vector<TiledOp> ops(nodes_.size());
  for (size_t s = 0; s < nodes_.size(); ++s) {
    const int step = static_cast<int>(s);
    TiledOp& op = ops[s];
    op.step = step;
    const int c = code(step);
    const std::vector<int> od = Dims(T(out(step)));
    if (od.size() != 4 || od[0] != 1) return OpError(step, "cannot be tiled: output is not a batch-1 NHWC image");
    op.oh = od[1], op.ow = od[2], op.oc = od[3];
    if (c == tflite::BuiltinOperator_CONV_2D || c == tflite::BuiltinOperator_DEPTHWISE_CONV_2D) {
      int sh, sw, dh, dw;
      TfLitePadding pad;
      if (c == tflite::BuiltinOperator_CONV_2D) {
        const auto* p = static_cast<const TfLiteConvParams*>(node(step)->builtin_data);
        sh = p->stride_height, sw = p->stride_width, dh = p->dilation_height_factor, dw = p->dilation_width_factor;
        pad = p->padding;
      } else {
        const auto* p = static_cast<const TfLiteDepthwiseConvParams*>(node(step)->builtin_data);
        sh = p->stride_height, sw = p->stride_width, dh = p->dilation_height_factor, dw = p->dilation_width_factor;
        pad = p->padding;
      }
      const std::vector<int> id = Dims(T(in(step, 0))), fd = Dims(T(in(step, 1)));
      int oh = 0, ow = 0;
      const TfLitePaddingValues pv =
          quant_arith::PaddingHeightWidth(sh, sw, dh, dw, id[1], id[2], fd[1], fd[2], pad, &oh, &ow);
      TiledInput ti;
      ti.tensor = in(step, 0);
      ti.win = RowWindow{sh, dh, fd[1], pv.height, id[1]};
      ti.bl = pv.width;
      ti.br = std::max(0, (ow - 1) * sw + (fd[2] - 1) * dw + 1 - pv.width - id[2]);
      ti.w = id[2], ti.c = id[3];
      op.conv = true;
      op.ins.push_back(ti);
    } else if (c == tflite::BuiltinOperator_ADD || c == tflite::BuiltinOperator_SUB ||
               c == tflite::BuiltinOperator_MUL) {
      for (int i = 0; i < 2; ++i) {
        const int t = in(step, i);
        if (IsConstant(T(t)) || Dims(T(t)) != od)
          return OpError(step, "cannot be tiled: an operand is a constant or broadcast");
        TiledInput ti;
        ti.tensor = t;
        ti.win = RowWindow{1, 1, 1, 0, od[1]};
        ti.w = od[2], ti.c = od[3];
        op.ins.push_back(ti);
      }
    } else {
      return OpError(step, "cannot be tiled (row bands are implemented for CONV_2D, DEPTHWISE_CONV_2D and "
                           "same-shape ADD/SUB/MUL)");
    }
    if (int64_t{op.ow} * op.oc > kMaxRowBytes) return OpError(step, "cannot be tiled: an output row exceeds a DMA row");
    for (TiledInput& ti : op.ins) {
      if (int64_t{ti.w} * ti.c > kMaxRowBytes) return OpError(step, "cannot be tiled: an input row exceeds a DMA row");
      ti.pitch = int64_t{ti.w + ti.bl + ti.br} * ti.c;
      ti.zp = DeviceZeroPoint(T(ti.tensor));
    }
  }

  // Cascades: an op joins its predecessor's group when it is a convolution
  // reading only that op's output, which nothing else reads, and the group
  // still fits ABUF with one-row bands.
  auto fits = [&](const std::vector<int>& chain, int rows) {
    return PlanGroup(ops, chain, rows).bytes <= static_cast<int64_t>(hw_.abuf_bytes);
  };
  std::vector<std::vector<int>> chains;
  for (size_t s = 0; s < ops.size(); ++s) {
    const int step = static_cast<int>(s);
    if (!fits({step}, 1)) {
      const Group one = PlanGroup(ops, {step}, 1);
      return OutOfRange("%s: one output row in double-buffered bands needs %lld bytes, more than the %u-byte "
                        "activation buffer",
                        OpLabel(step).c_str(), static_cast<long long>(one.bytes), hw_.abuf_bytes);
    }
    if (cascade && !chains.empty()) {
      std::vector<int>& c = chains.back();
      const int prev = out(c.back());
      const TensorState& pst = ts_[prev];
      std::vector<int> longer = c;
      longer.push_back(step);
      if (ops[s].conv && in(step, 0) == prev && pst.consumers.size() == 1 && !pst.is_output && fits(longer, 1)) {
        c.push_back(step);
        continue;
      }
    }
    chains.push_back({step});
  }
  // Band height per group: the most output rows whose buffers fit ABUF, at
  // most half the rows so that loads and stores overlap compute.
  std::vector<Group> groups;
  for (const std::vector<int>& chain : chains) {
    const TiledOp& last = ops[chain.back()];
    const int64_t out_row = int64_t{last.ow} * last.oc;
    int rows = MaxBandRows(
        last.oh, [&](int r) { return PlanGroup(ops, chain, r).bytes; }, hw_.abuf_bytes);
    if (last.oh >= 2) rows = std::min(rows, (last.oh + 1) / 2);
    if (rows * out_row > kMaxRowBytes) rows = std::max<int>(1, static_cast<int>(kMaxRowBytes / out_row));
    Group g = PlanGroup(ops, chain, rows);
    uint64_t at = 0;
    TiledOp& first = ops[chain.front()];
    for (size_t i = 0; i < first.ins.size(); ++i)
      for (uint32_t& slot : first.ins[i].slot) {
        slot = static_cast<uint32_t>(at);
        at += Align64(g.in_rows[i] * first.ins[i].pitch);
      }
    for (size_t k = 0; k + 1 < chain.size(); ++k) {
      g.mid.push_back(static_cast<uint32_t>(at));
      at += Align64(g.mid_rows[k] * ops[chain[k + 1]].ins[0].pitch);
    }
    for (uint32_t& slot : g.out_slot) {
      slot = static_cast<uint32_t>(at);
      at += Align64(int64_t{rows} * out_row);
    }
    abuf_peak_ = std::max<uint64_t>(abuf_peak_, at);
    groups.push_back(std::move(g));
  }

  // Host homes: partition inputs in INPUT, outputs in OUTPUT (write-only, so
  // an output that later groups read also gets a copy in SCRATCH), the
  // outputs of groups that later groups read in SCRATCH.
  const HostIo io = BindHostRegions();
  std::map<int, Home> read_home;
  std::map<int, std::vector<Home>> write_homes;
  for (const HostBinding& b : io.inputs) read_home[b.tensor] = Home{kRegionInput, b.offset};
  for (const HostBinding& b : io.outputs) write_homes[b.tensor].push_back(Home{kRegionOutput, b.offset});
  for (const Group& g : groups) {
    const int t = out(ops[g.ops.back()].step);
    if (ts_[t].consumers.empty()) continue;
    const Home h{kRegionScratch, scratch_bytes_};
    scratch_bytes_ += Align64(NumElements(T(t)));
    read_home[t] = h;
    write_homes[t].push_back(h);
  }
  for (const Group& g : groups) {
    for (const TiledInput& ti : ops[g.ops.front()].ins)
      if (!read_home.count(ti.tensor)) return Internal("tiling: tensor %d has no home in host memory", ti.tensor);
    if (write_homes[out(ops[g.ops.back()].step)].empty())
      return Internal("tiling: op %d's output goes nowhere", ops[g.ops.back()].step);
  }

  // Lower every op for every band of its group: its views point into the
  // group's slots and buffers.
  std::vector<OpCode> codes(nodes_.size());
  std::vector<std::vector<std::vector<Instruction>>> band_code(nodes_.size());  // [step][band]
  for (const Group& g : groups) {
    const size_t n = g.ops.size();
    for (size_t b = 0; b < g.produce.size(); ++b) {
      const int slot = static_cast<int>(b % 2);
      for (size_t k = 0; k < n; ++k) {
        const TiledOp& op = ops[g.ops[k]];
        const int step = op.step;
        const auto [y0, y1] = g.produce[b][k];
        roots_.clear();
        auto root_at = [&](uint32_t addr) {
          Root r;
          r.addr = addr;
          roots_.push_back(r);
          return static_cast<int>(roots_.size()) - 1;
        };
        for (const TiledInput& ti : op.ins) {
          const uint32_t base = k == 0 ? ti.slot[slot] : g.mid[k - 1];
          View v{root_at(base), 0, ti.pitch, ti.c, 0, ti.w, ti.c};
          if (op.conv) {
            v.offset = int64_t{ti.bl} * ti.c - int64_t{BandOf(ti.win, y0, y1).in_y0} * ti.pitch;
            v.h = ti.win.in_h;
          } else {
            v.h = y1 - y0;
          }
          ts_[ti.tensor].view = v;
          ts_[ti.tensor].has_view = true;
        }
        View ov;
        if (k + 1 < n) {
          // Into the next op's input buffer, as that op's view maps the rows.
          const TiledInput& next = ops[g.ops[k + 1]].ins[0];
          const auto [ny0, ny1] = g.produce[b][k + 1];
          ov = View{root_at(g.mid[k]), 0, next.pitch, next.c, op.oh, op.ow, op.oc};
          const int64_t origin = int64_t{next.bl} * next.c - int64_t{BandOf(next.win, ny0, ny1).in_y0} * next.pitch;
          ov.offset = op.conv ? origin : origin + int64_t{y0} * next.pitch;
          if (!op.conv) ov.h = y1 - y0;
        } else {
          const int64_t out_row = int64_t{op.ow} * op.oc;
          ov = View{root_at(g.out_slot[slot]), 0, out_row, op.oc, op.oh, op.ow, op.oc};
          if (op.conv) ov.offset = -int64_t{y0} * out_row;
          else ov.h = y1 - y0;
        }
        ts_[out(step)].view = ov;
        ts_[out(step)].has_view = true;
        OpCode one;
        if (y1 > y0) {
          band_ = op.conv ? BandWindow{true, y0, y1} : BandWindow{};
          Status st = Lower(step, &one);
          band_ = BandWindow{};
          RETURN_IF_ERROR(st);
        }
        OpCode& oc = codes[step];
        if (b == 0) {
          oc.node = spec_.nodes[step];
          oc.name = OpName(code(step));
          oc.params = one.params;
        } else if (y1 > y0 && one.params != oc.params) {
          return Internal("%s: parameters differ between bands", OpLabel(step).c_str());
        }
        oc.macs += one.macs;
        band_code[step].push_back(std::move(one.compute));
      }
    }
  }

  ParameterBlob blob = PackParameters(codes);
  if (!opts_.cache_parameters || blob.pbuf_part > hw_.pbuf_bytes)
    return OutOfRange("tiled activations need cached parameters: %llu bytes of parameters%s",
                      static_cast<unsigned long long>(blob.pbuf_part),
                      opts_.cache_parameters ? " do not fit the parameter cache" : " with caching off");

  // The program, group by group (the protocol at the top of this file).
  Schedule sch;
  std::vector<Instruction>& seq = sch.seq;
  sch.op_ranges.assign(nodes_.size(), {0, 0});
  for (size_t gi = 0; gi < groups.size(); ++gi) {
    const Group& g = groups[gi];
    const TiledOp& first = ops[g.ops.front()];
    const TiledOp& last = ops[g.ops.back()];
    const size_t nb = g.produce.size();
    const uint64_t begin = seq.size();
    auto load = [&](size_t b) {
      const size_t at = seq.size();
      const int slot = static_cast<int>(b % 2);
      const auto [y0, y1] = g.produce[b][0];
      for (const TiledInput& ti : first.ins) {
        const Band ib = BandOf(ti.win, y0, y1);
        const int ly0 = std::max(ib.in_y0, 0), ly1 = std::min(ib.in_y1, ti.win.in_h);
        if (ly1 <= ly0) continue;
        const int64_t row = int64_t{ti.w} * ti.c;
        const uint64_t sram = ti.slot[slot] + (ly0 - ib.in_y0) * ti.pitch + int64_t{ti.bl} * ti.c;
        const Home& h = read_home[ti.tensor];
        if (ti.pitch == row && (ly1 - ly0) * row <= kMaxRowBytes) {
          seq.push_back(Instruction{{}, Load(h, ly0 * row, 0, sram, 0, 1, (ly1 - ly0) * row)});
        } else {
          for (int y = ly0; y < ly1; y += static_cast<int>(kMaxRows)) {
            const int n = std::min<int>(kMaxRows, ly1 - y);
            seq.push_back(Instruction{{}, Load(h, y * row, row, sram + (y - ly0) * ti.pitch, ti.pitch,
                                               static_cast<uint32_t>(n), row)});
          }
        }
        host_load_bytes_ += static_cast<uint64_t>((ly1 - ly0) * row);
      }
      if (seq.size() == at)  // the band is all padding: a token-only load
        seq.push_back(Instruction{{}, Load(read_home[first.ins[0].tensor], 0, 0, first.ins[0].slot[slot], 0, 0, 0)});
      if (b >= 2 || (b == 0 && gi > 0)) Add(&seq[at], Wait(kLoad, kCompute));
      Add(&seq.back(), Signal(kLoad, kCompute));
    };
    // Border columns and padding rows of a buffer holding rows [in_y0, in_y1)
    // of an input (the rows outside the tensor are padding).
    auto fill_rows = [&](const TiledInput& ti, uint32_t base, int in_y0, int y0, int y1) {
      if (y1 <= y0) return;
      isa::VfillArgs a;
      a.value = ti.zp;
      a.len = static_cast<uint32_t>((y1 - y0) * ti.pitch);
      a.dst = static_cast<uint32_t>(base + (y0 - in_y0) * ti.pitch);
      seq.push_back(Instruction{{}, a});
    };
    auto fill_borders = [&](const TiledInput& ti, uint32_t base, int64_t rows) {
      if (ti.bl + ti.br == 0) return;
      Root r;
      r.addr = base;
      r.c = ti.c;
      r.hb = static_cast<int>(rows);
      r.wb = ti.w + ti.bl + ti.br;
      r.bytes = rows * ti.pitch;
      r.in_y = 0, r.in_x = ti.bl, r.in_h = static_cast<int>(rows), r.in_w = ti.w;
      r.fill = ti.zp;
      OpCode f;
      EmitFill(r, &f);
      seq.insert(seq.end(), f.compute.begin(), f.compute.end());
    };
    load(0);
    if (nb > 1) load(1);
    for (size_t b = 0; b < nb; ++b) {
      const int slot = static_cast<int>(b % 2);
      seq.push_back(
          ComputeNop(b >= 2 ? Merge(Wait(kCompute, kLoad), Wait(kCompute, kStore)) : Wait(kCompute, kLoad)));
      for (size_t k = 0; k < g.ops.size(); ++k) {
        const TiledOp& op = ops[g.ops[k]];
        const auto [y0, y1] = g.produce[b][k];
        for (size_t i = 0; i < op.ins.size(); ++i) {
          const TiledInput& ti = op.ins[i];
          const uint32_t base = k == 0 ? ti.slot[slot] : g.mid[k - 1];
          // Borders once per slot (b < 2) or buffer (b == 0): nothing else writes them.
          if (k == 0 ? b < 2 : b == 0) fill_borders(ti, base, k == 0 ? g.in_rows[i] : g.mid_rows[k - 1]);
          const Band ib = BandOf(ti.win, y0, y1);
          if (y1 > y0) {
            fill_rows(ti, base, ib.in_y0, ib.in_y0, std::min(0, ib.in_y1));
            fill_rows(ti, base, ib.in_y0, std::max(ti.win.in_h, ib.in_y0), ib.in_y1);
          }
        }
        for (Instruction insn : band_code[op.step][b]) {
          RelocatePbuf(&insn, blob.block_at[op.step]);
          seq.push_back(insn);
        }
      }
      seq.push_back(ComputeNop(b + 2 < nb ? Merge(Signal(kCompute, kStore), Signal(kCompute, kLoad))
                                          : Signal(kCompute, kStore)));
      // The band's output rows to every home of the last op's output.
      const size_t at = seq.size();
      const auto [y0, y1] = g.produce[b].back();
      const int64_t out_row = int64_t{last.ow} * last.oc;
      for (const Home& h : write_homes[out(last.step)]) {
        isa::StoreArgs a;
        a.buffer = static_cast<uint32_t>(isa::Buffer::kAbuf);
        a.region = static_cast<uint32_t>(h.region);
        a.rows = 1;
        a.row_bytes = static_cast<uint32_t>((y1 - y0) * out_row);
        a.sram_addr = g.out_slot[slot];
        a.host_offset = static_cast<uint32_t>(h.offset + y0 * out_row);
        seq.push_back(Instruction{{}, a});
        host_store_bytes_ += static_cast<uint64_t>((y1 - y0) * out_row);
      }
      Add(&seq[at], Wait(kStore, kCompute));
      if (b + 2 < nb || b + 1 == nb) Add(&seq.back(), Signal(kStore, kCompute));
      if (b + 2 < nb) load(b + 2);
    }
    // The group's last store is done: its output is in host memory for the next.
    seq.push_back(ComputeNop(gi + 1 < groups.size() ? Merge(Wait(kCompute, kStore), Signal(kCompute, kLoad))
                                                    : Wait(kCompute, kStore)));
    // A cascade's instructions interleave its ops: its first op's record
    // covers them all (profile and estimate), the others get empty ranges
    // after it (and their MACs).
    sch.op_ranges[first.step] = {begin, seq.size() - begin};
    for (size_t k = 1; k < g.ops.size(); ++k) sch.op_ranges[ops[g.ops[k]].step] = {seq.size(), 0};
    tiled_bands_ += nb;
  }
  tiled_ = true;
  tiled_groups_ = groups.size();
  const uint32_t half = (hw_.pbuf_bytes / 2) / 64 * 64;
  return Write(codes, std::move(blob), io, /*cache=*/true, half, sch);
}

}  // namespace systole::compiler
