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
  std::vector<Band> bands;  // on ins[0]'s window
  uint32_t out_slot[2] = {0, 0};
  int64_t abuf = 0;
};

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

StatusOr<CompiledPartition> PartitionCompiler::RunTiled() {
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
    for (TiledInput& ti : op.ins) {
      ti.pitch = int64_t{ti.w + ti.bl + ti.br} * ti.c;
      ti.zp = DeviceZeroPoint(T(ti.tensor));
    }
    // Band height: the most output rows whose double-buffered slots fit ABUF,
    // at most half the rows so that loads and stores overlap compute.
    const int64_t out_row = int64_t{op.ow} * op.oc;
    auto bytes = [&](int r) {
      int64_t b = 2 * Align64(r * out_row);
      for (const TiledInput& ti : op.ins) b += 2 * Align64(InputRowsOf(ti.win, r) * ti.pitch);
      return b;
    };
    int rows = MaxBandRows(op.oh, bytes, hw_.abuf_bytes);
    if (rows == 0)
      return OutOfRange("%s: one output row in double-buffered bands needs %lld bytes, more than the %u-byte "
                        "activation buffer",
                        OpLabel(step).c_str(), static_cast<long long>(bytes(1)), hw_.abuf_bytes);
    if (op.oh >= 2) rows = std::min(rows, (op.oh + 1) / 2);
    if (rows * out_row > kMaxRowBytes) rows = std::max<int>(1, static_cast<int>(kMaxRowBytes / out_row));
    op.bands = SplitBands(op.ins[0].win, op.oh, rows);
    uint64_t at = 0;
    for (TiledInput& ti : op.ins)
      for (uint32_t& slot : ti.slot) {
        slot = static_cast<uint32_t>(at);
        at += Align64(InputRowsOf(ti.win, rows) * ti.pitch);
      }
    for (uint32_t& slot : op.out_slot) {
      slot = static_cast<uint32_t>(at);
      at += Align64(rows * out_row);
    }
    op.abuf = static_cast<int64_t>(at);
    abuf_peak_ = std::max<uint64_t>(abuf_peak_, at);
  }

  // Host homes: partition inputs in INPUT, outputs in OUTPUT (write-only, so
  // an output that later ops read also gets a copy in SCRATCH), the rest in
  // SCRATCH.
  const HostIo io = BindHostRegions();
  std::map<int, Home> read_home;
  std::map<int, std::vector<Home>> write_homes;
  for (const HostBinding& b : io.inputs) read_home[b.tensor] = Home{kRegionInput, b.offset};
  for (const HostBinding& b : io.outputs) write_homes[b.tensor].push_back(Home{kRegionOutput, b.offset});
  for (size_t s = 0; s < nodes_.size(); ++s) {
    const int t = out(static_cast<int>(s));
    if (ts_[t].consumers.empty()) continue;
    const Home h{kRegionScratch, scratch_bytes_};
    scratch_bytes_ += Align64(NumElements(T(t)));
    read_home[t] = h;
    write_homes[t].push_back(h);
  }
  for (const TiledOp& op : ops) {
    for (const TiledInput& ti : op.ins)
      if (!read_home.count(ti.tensor)) return Internal("tiling: tensor %d has no home in host memory", ti.tensor);
    if (write_homes[out(op.step)].empty()) return Internal("tiling: op %d's output goes nowhere", op.step);
  }

  // Lower every band: the op's views point into its slots.
  std::vector<OpCode> codes(nodes_.size());
  std::vector<std::vector<std::vector<Instruction>>> band_code(nodes_.size());
  for (TiledOp& op : ops) {
    const int step = op.step;
    OpCode& oc = codes[step];
    oc.node = spec_.nodes[step];
    oc.name = OpName(code(step));
    for (size_t b = 0; b < op.bands.size(); ++b) {
      const Band& band = op.bands[b];
      const int slot = static_cast<int>(b % 2);
      roots_.clear();
      for (const TiledInput& ti : op.ins) {
        Root r;
        r.addr = ti.slot[slot];
        roots_.push_back(r);
        View v{static_cast<int>(roots_.size()) - 1, 0, ti.pitch, ti.c, 0, ti.w, ti.c};
        if (op.conv) {
          const Band ib = BandOf(ti.win, band.out_y0, band.out_y1);
          v.offset = int64_t{ti.bl} * ti.c - int64_t{ib.in_y0} * ti.pitch;
          v.h = ti.win.in_h;
        } else {
          v.h = band.out_y1 - band.out_y0;
        }
        ts_[ti.tensor].view = v;
        ts_[ti.tensor].has_view = true;
      }
      Root r;
      r.addr = op.out_slot[slot];
      roots_.push_back(r);
      const int64_t out_row = int64_t{op.ow} * op.oc;
      View ov{static_cast<int>(roots_.size()) - 1, 0, out_row, op.oc, band.out_y1 - band.out_y0, op.ow, op.oc};
      if (op.conv) {
        ov.offset = -int64_t{band.out_y0} * out_row;
        ov.h = op.oh;
      }
      ts_[out(step)].view = ov;
      ts_[out(step)].has_view = true;
      band_ = op.conv ? BandWindow{true, band.out_y0, band.out_y1} : BandWindow{};
      OpCode one;
      RETURN_IF_ERROR(Lower(step, &one));
      band_ = BandWindow{};
      if (b == 0) oc.params = one.params;
      else if (one.params != oc.params) return Internal("%s: parameters differ between bands", OpLabel(step).c_str());
      oc.macs += one.macs;
      band_code[step].push_back(std::move(one.compute));
    }
  }

  const ParameterBlob blob = PackParameters(codes);
  if (!opts_.cache_parameters || blob.pbuf_part > hw_.pbuf_bytes)
    return OutOfRange("tiled activations need cached parameters: %llu bytes of parameters%s", 
                      static_cast<unsigned long long>(blob.pbuf_part),
                      opts_.cache_parameters ? " do not fit the parameter cache" : " with caching off");

  // The program.
  Schedule sch;
  std::vector<Instruction>& seq = sch.seq;
  for (size_t s = 0; s < ops.size(); ++s) {
    const TiledOp& op = ops[s];
    const int step = op.step;
    const size_t n = op.bands.size();
    const uint64_t begin = seq.size();
    auto load = [&](size_t b) {
      const size_t first = seq.size();
      const int slot = static_cast<int>(b % 2);
      for (const TiledInput& ti : op.ins) {
        const Band ib = BandOf(ti.win, op.bands[b].out_y0, op.bands[b].out_y1);
        const int y0 = ib.load_y0(ti.win), y1 = ib.load_y1(ti.win);
        if (y1 <= y0) continue;
        const int64_t row = int64_t{ti.w} * ti.c;
        const uint64_t sram = ti.slot[slot] + (y0 - ib.in_y0) * ti.pitch + int64_t{ti.bl} * ti.c;
        const Home& h = read_home[ti.tensor];
        if (ti.pitch == row && (y1 - y0) * row <= kMaxRowBytes)
          seq.push_back(Instruction{{}, Load(h, y0 * row, 0, sram, 0, 1, (y1 - y0) * row)});
        else
          seq.push_back(Instruction{{}, Load(h, y0 * row, row, sram, ti.pitch, static_cast<uint32_t>(y1 - y0), row)});
        host_load_bytes_ += static_cast<uint64_t>((y1 - y0) * row);
      }
      if (seq.size() == first)  // the band is all padding: a token-only load
        seq.push_back(Instruction{{}, Load(read_home[op.ins[0].tensor], 0, 0, op.ins[0].slot[slot], 0, 0, 0)});
      if (b >= 2 || (b == 0 && s > 0)) Add(&seq[first], Wait(kLoad, kCompute));
      Add(&seq.back(), Signal(kLoad, kCompute));
    };
    load(0);
    if (n > 1) load(1);
    for (size_t b = 0; b < n; ++b) {
      const Band& band = op.bands[b];
      const int slot = static_cast<int>(b % 2);
      seq.push_back(ComputeNop(b >= 2 ? Merge(Wait(kCompute, kLoad), Wait(kCompute, kStore)) : Wait(kCompute, kLoad)));
      OpCode fills;
      for (const TiledInput& ti : op.ins) {
        const int64_t rows = InputRowsOf(ti.win, op.bands[0].out_y1 - op.bands[0].out_y0);
        // Border columns once per op and slot (loads never write them).
        if (b < 2 && ti.bl + ti.br > 0) {
          Root r;
          r.addr = ti.slot[slot];
          r.c = ti.c;
          r.hb = static_cast<int>(rows);
          r.wb = ti.w + ti.bl + ti.br;
          r.bytes = rows * ti.pitch;
          r.in_y = 0, r.in_x = ti.bl, r.in_h = static_cast<int>(rows), r.in_w = ti.w;
          r.fill = ti.zp;
          EmitFill(r, &fills);
        }
        // Padding rows of this band (above row 0 or below the last row).
        const Band ib = BandOf(ti.win, band.out_y0, band.out_y1);
        auto fill_rows = [&](int y0, int y1) {
          if (y1 <= y0) return;
          isa::VfillArgs a;
          a.value = ti.zp;
          a.len = static_cast<uint32_t>((y1 - y0) * ti.pitch);
          a.dst = static_cast<uint32_t>(ti.slot[slot] + (y0 - ib.in_y0) * ti.pitch);
          fills.compute.push_back(Instruction{{}, a});
        };
        fill_rows(ib.in_y0, std::min(0, ib.in_y1));
        fill_rows(std::max(ti.win.in_h, ib.in_y0), ib.in_y1);
      }
      seq.insert(seq.end(), fills.compute.begin(), fills.compute.end());
      for (Instruction insn : band_code[step][b]) {
        RelocatePbuf(&insn, blob.block_at[step]);
        seq.push_back(insn);
      }
      seq.push_back(ComputeNop(b + 2 < n ? Merge(Signal(kCompute, kStore), Signal(kCompute, kLoad))
                                         : Signal(kCompute, kStore)));
      // Stores of the band's output rows to every home.
      const size_t first = seq.size();
      const int64_t out_row = int64_t{op.ow} * op.oc;
      const int64_t len = (band.out_y1 - band.out_y0) * out_row;
      for (const Home& h : write_homes[out(step)]) {
        isa::StoreArgs a;
        a.buffer = static_cast<uint32_t>(isa::Buffer::kAbuf);
        a.region = static_cast<uint32_t>(h.region);
        a.rows = 1;
        a.row_bytes = static_cast<uint32_t>(len);
        a.sram_addr = op.out_slot[slot];
        a.host_offset = static_cast<uint32_t>(h.offset + band.out_y0 * out_row);
        seq.push_back(Instruction{{}, a});
        host_store_bytes_ += static_cast<uint64_t>(len);
      }
      Add(&seq[first], Wait(kStore, kCompute));
      if (b + 2 < n || b + 1 == n) Add(&seq.back(), Signal(kStore, kCompute));
      if (b + 2 < n) load(b + 2);
    }
    // The op's last store is done: its output is in host memory for the next op.
    seq.push_back(ComputeNop(s + 1 < ops.size() ? Merge(Wait(kCompute, kStore), Signal(kCompute, kLoad))
                                                 : Wait(kCompute, kStore)));
    sch.op_ranges.push_back({begin, seq.size() - begin});
    tiled_bands_ += n;
  }
  tiled_ = true;
  const uint32_t half = (hw_.pbuf_bytes / 2) / 64 * 64;
  return Write(codes, blob, io, /*cache=*/true, half, sch);
}

}  // namespace systole::compiler
