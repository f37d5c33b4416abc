// The compiler's working state for one partition, shared by the passes
// (compiler/*.cc) and the op lowerings (compiler/ops/*.cc). Internal: not
// part of the public API (compiler.h).
//
// Pipeline (docs/compiler.md):
//  1. ReadGraph (layout.cc): the partition's ops and tensors; every op must
//     pass CheckOpSupport.
//  2. PlanLayout (layout.cc): a view in ABUF for every activation tensor
//     (borders for SAME-padded readers, fused PADs, aliases).
//  3. Allocate (abuf_alloc.h): ABUF ranges for the root buffers over their
//     lifetimes, spilling idle ones to host memory.
//  4. Lower (compiler.cc + ops/): per op, compute instructions and a
//     parameter block with PBUF addresses relative to the block.
//  5. Schedule (schedule.h): the INFERENCE chunk with input loads, streamed
//     parameter loads, compute and output stores, tokens between them.
//  6. Write (writer.cc): estimate and report; WriteExecutable: the executable
//     flatbuffer (of the plan CompilePartition keeps).
#ifndef SYSTOLE_COMPILER_PARTITION_H_
#define SYSTOLE_COMPILER_PARTITION_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "compiler/compiler.h"
#include "interpreter/quant_arith.h"
#include "compiler/graph.h"
#include "schema/isa/isa_generated.h"

namespace systole::compiler {

using isa::Instruction;

constexpr int kRegionParams = 0;
constexpr int kRegionInput = 1;
constexpr int kRegionOutput = 2;
constexpr int kRegionScratch = 3;
constexpr uint32_t kMaxRowBytes = (1u << 24) - 1;  // LOAD/STORE row_bytes field
constexpr uint32_t kMaxRows = 65535;
constexpr int kInputBands = 4;  // row bands of a partition input, each its own DMA token

// How a partition's single input is loaded (CompilePartition tries several
// and keeps the fastest by the estimator):
//  bands == 0: whole, one token;
//  bands > 0: in `bands` row bands, each its own token; without `cascade`,
//    compute waits for each band just before its first reader; with it,
//    every piece of compute runs as soon as the bands it depends on are in
//    (ScheduleInput::cascade), and the convolutions and pools whose rows
//    follow the input's work in row blocks cut where each band ends
//    (CascadeCuts, RowBlocks), so that the later layers follow the first
//    ones band by band.
struct InputPlan {
  int bands = 0;
  bool cascade = false;
  // With the cascade: place the buffers by the input band phase in which
  // each of their rows is written and read (AllocateAbufPhased), so a later
  // op's early rows may go over rows of dead buffers no later phase touches.
  bool phased = false;
};

// A tensor's place in ABUF: element (y, x, c) is at
// buffer base + offset + y * row_pitch + x * pix_pitch + c.
struct View {
  int root = -1;  // index into roots_
  int64_t offset = 0;
  int64_t row_pitch = 0;
  int64_t pix_pitch = 0;
  int h = 1, w = 1, c = 1;
};

// A buffer in ABUF that views share.
struct Root {
  int64_t bytes = 0;
  int first = 0, last = 0;  // op steps; -1 = before the first op, INT_MAX = to the end
  uint32_t addr = 0;
  // Fill everything except the interior rectangle with `fill` when the root
  // comes alive (borders and PAD margins).
  bool needs_fill = false;
  int32_t fill = 0;
  int hb = 0, wb = 0, c = 0;                   // buffer geometry
  int in_y = 0, in_x = 0, in_h = 0, in_w = 0;  // interior rectangle
  std::vector<int> uses;  // steps that write or read it, sorted
  bool pinned = false;    // partition input or output: never spilled
  bool spilled = false;
  std::map<int, uint32_t> seg_addr;  // spilled: ABUF address in each use step
  uint64_t scratch_offset = 0;       // spilled: home in the SCRATCH region
};

struct TensorState {
  bool in_partition = false;
  bool is_input = false, is_output = false;
  int producer = -1;                   // step
  std::vector<int> consumers;          // steps
  int bt = 0, bb = 0, bl = 0, br = 0;  // border needed by SAME-padded readers
  View view;
  bool has_view = false;
  int transposed_by = -1;  // a partition input the DMA loads transposed (TRANSPOSE step)
  bool is_const = false;   // a constant elementwise operand, loaded into ABUF with the inputs
  // Written by a DMA (contiguous, no border): by the input loads (on chip
  // from the start), or by a between-op DMA after its producer.
  bool input_dma = false, between_op_dma = false;
};

// The points at which an op family shapes the layout: Plan<Family>(pc, step,
// phase) in compiler/ops/<family>.cc, called for every op in step order.
enum class LayoutPhase {
  kGraph,    // the graph is read: classify the op, mark its constant operands
  kBorders,  // the border its SAME-padded input needs
  kFuse,     // whether its input is written in place into its output (interior_)
  kRoots,    // roots made before the dataflow walk (parents of fused inputs)
  kView,     // its output is being placed: it may alias instead of getting a root
  kFinish,   // every view exists: adjust its roots (margins)
  kScratch,  // lifetimes are known: scratch roots alive in its step only
};

// A tensor laid out inside another (a fused PAD's input in its output).
struct Interior {
  int parent;  // tensor
  int y, x;    // position of element (0, 0) in the parent
};

struct LoadGroup;  // schedule.h
struct Schedule;   // schedule.h

// A partition input or output in its host region.
struct HostBinding {
  int tensor;
  uint32_t offset, size;
};
struct HostIo {
  std::vector<HostBinding> inputs, outputs;  // spec order, 64-byte aligned
  uint32_t input_bytes = 0, output_bytes = 0;
};

// The executable's parameter region: op blocks (64-byte aligned; what PBUF
// holds), then the constant elementwise operands (loaded into ABUF).
struct ParameterBlob {
  std::vector<uint8_t> bytes;
  std::vector<uint32_t> block_at;     // per op
  uint64_t pbuf_part = 0;             // bytes of the op blocks
  uint64_t largest_block = 0;
  std::map<int, uint32_t> const_at;  // constant tensor -> offset
};

// A compiled partition whose executable flatbuffer is not made yet: Write
// keeps what goes into it, WriteExecutable makes it. CompilePartition
// compiles a partition in several plans and compares their reports, so only
// the chosen plan's executable is made (and digested).
struct PendingPartition {
  CompiledPartition result;  // the report; `executable` is empty
  std::vector<isa::InsnWord> inference, parameter_load;  // the encoded chunks
  ParameterBlob blob;
  HostIo io;
  bool cache = false;
  uint64_t scratch_bytes = 0;
  uint64_t instructions = 0;  // of the INFERENCE chunk
  std::vector<std::pair<uint64_t, uint64_t>> op_ranges;  // Schedule::op_ranges
  std::vector<int> insn_op;                              // Schedule::insn_op
};
// The executable of `p` (writer.cc): `p.result` with its flatbuffer.
CompiledPartition WriteExecutable(TfLiteContext* ctx, const CompileOptions& opts, PendingPartition p);

// One op's lowering.
struct OpCode {
  int node = 0;
  std::string name;
  std::vector<Instruction> compute;
  std::vector<uint8_t> params;  // PBUF-relative addresses in `compute` point into this
  uint64_t macs = 0;
  // Spilled tensors and DMA transposes: loads before the op and stores after
  // it, with their token handshakes (not relocated).
  std::vector<Instruction> pre, post;
};

// POSTPROC's requantization modes (docs/ISA.md): TFLite's two-step
// MultiplyByQuantizedMultiplier, ruy's single rounding (single_round), ruy's
// x86-64 kernels (half_up).
enum class Requant { kTwoStep, kSingle, kHalfUp, kFp32 };  // kFp32: XNNPACK (POSTPROC fp32)

// Parameter-block helpers (emit.cc).
void PutI32(std::vector<uint8_t>* v, int32_t x);
void Align(std::vector<uint8_t>* v, size_t a);
// The identity table of VLUT (a copy): entry i is i - 128.
std::vector<uint8_t> IdentityLut();
// Appends the identity table to a parameter block; returns its offset.
uint32_t AddIdentityLut(std::vector<uint8_t>* params);
// bias'[c] = bias[c] - zx * sum(w[.][c]), wrapping like TFLite's int32 accumulators.
std::vector<int32_t> FoldInputZeroPoint(const TfLiteTensor* bias, int32_t zx, const std::vector<int64_t>& wsum);
// Splits device-space weights d (int16 range) into int8 parts whose sum is d
// (each part's values held as int16, as Gemm slices keep them).
std::vector<std::vector<int16_t>> SplitInt8(const std::vector<int32_t>& d);

// Appends the POSTPROC parameter blocks of `channels` output channels, one per
// tile of `tile` channels: bias[n], mult[n], shift[n] (int32, 4-aligned).
// Returns each tile's offset in the block.
template <typename Bias, typename Mult, typename Shift>
std::vector<uint32_t> AddRequantTiles(std::vector<uint8_t>* P, int channels, int tile, Bias bias, Mult mult,
                                      Shift shift) {
  std::vector<uint32_t> at;
  for (int c0 = 0; c0 < channels; c0 += tile) {
    const int n = std::min(tile, channels - c0);
    Align(P, 4);
    at.push_back(static_cast<uint32_t>(P->size()));
    for (int j = 0; j < n; ++j) PutI32(P, bias(c0 + j));
    for (int j = 0; j < n; ++j) PutI32(P, mult(c0 + j));
    for (int j = 0; j < n; ++j) PutI32(P, shift(c0 + j));
  }
  return at;
}

// The state of one partition's compilation. Members are public: the op
// lowerings in compiler/ops/ read the layout and use the emit helpers.
class PartitionCompiler {
 public:
  // input_bands: load a partition input in row bands that compute consumes
  // as they arrive (and block the ops reading it by as many row blocks).
  PartitionCompiler(TfLiteContext* ctx, const PartitionSpec& spec, const CompileOptions& opts, InputPlan plan = {})
      : ctx_(ctx), spec_(spec), opts_(opts), hw_(opts.hw), R_(hw_.rows), C_(hw_.cols), input_bands_(plan.bands > 0),
        plan_(plan) {}

  // The executable is made afterwards, by WriteExecutable.
  StatusOr<PendingPartition> Run();
  // The partition with every activation in host memory and every op in row
  // bands (tiling.cc, docs/tiling.md): for partitions whose layout does not
  // fit ABUF (Run failed with abuf_overflow()).
  // `cascade` false: every op its own group (each intermediate through host memory).
  StatusOr<PendingPartition> RunTiled(bool cascade = true);
  // After Run(): whether it failed because the activations do not fit ABUF.
  bool abuf_overflow() const { return abuf_overflow_; }
  // After Run(): whether this partition can load its input in bands (one
  // input, cached parameters, at least two rows), i.e. whether compiling it
  // with input_bands = true gives a different program.
  bool input_bands_possible() const { return input_bands_possible_; }

  // ---- graph access
  const TfLiteNode* node(int step) const { return nodes_[step]; }
  int code(int step) const { return regs_[step]->builtin_code; }
  const TfLiteTensor* T(int idx) const { return &ctx_->tensors[idx]; }
  int in(int step, int i) const { return node(step)->inputs->data[i]; }
  int out(int step) const { return node(step)->outputs->data[0]; }
  // The optional bias input (input 2) of a convolution or FULLY_CONNECTED.
  const TfLiteTensor* BiasOf(int step) const {
    return node(step)->inputs->size > 2 && in(step, 2) >= 0 ? T(in(step, 2)) : nullptr;
  }
  // Output rows of `ow` pixels per accumulator block.
  // With input bands, an op reading a partition input works in at least
  // kInputBands blocks, so its first block needs only the first band.
  // acc_rows: the accumulator rows a block may use (0: all of them).
  int RowsPerBlock(int oh, int ow, int64_t acc_rows = 0) const {
    const int64_t acc = acc_rows > 0 ? acc_rows : hw_.acc_rows;
    int rows = std::max(1, std::min<int>(oh, std::min<int64_t>(acc, 65535) / ow));
    if (input_bands_ && lowering_step_ >= 0) {
      // The op's activation input: its first input that is not a constant
      // (input 0, except TRANSPOSE_CONV's data at input 2).
      for (int i = 0; i < node(lowering_step_)->inputs->size; ++i) {
        const auto it = ts_.find(in(lowering_step_, i));
        if (it == ts_.end() || it->second.is_const || IsConstant(T(it->first))) continue;
        if (roots_[it->second.view.root].first == -1)
          rows = std::min(rows, std::max(1, (oh + plan_.bands - 1) / plan_.bands));
        break;
      }
    }
    return rows;
  }
  // The output row blocks [first, first + rows) an op with rows [y0, y1) of
  // `ow` accumulator pixels works in: RowsPerBlock's uniform blocks, or
  // with the input cascade, blocks cut at the rows each input band makes
  // computable (cascade_cuts_), at most the accumulator's rows each.
  std::vector<std::pair<int, int>> RowBlocks(int y0, int y1, int ow, int64_t acc_rows = 0) const {
    std::vector<std::pair<int, int>> blocks;
    const auto cuts = cascade_cuts_.find(lowering_step_);
    if (band_.active || !plan_.cascade || cuts == cascade_cuts_.end()) {
      const int rows = RowsPerBlock(y1 - y0, ow, acc_rows);
      for (int y = y0; y < y1; y += rows) blocks.push_back({y, std::min(rows, y1 - y)});
      return blocks;
    }
    const int64_t acc = acc_rows > 0 ? acc_rows : hw_.acc_rows;
    const int most = std::max(1, std::min<int>(y1 - y0, std::min<int64_t>(acc, 65535) / ow));
    std::vector<int> ends;
    for (int c : cuts->second)
      if (c > y0 && c < y1) ends.push_back(c);
    ends.push_back(y1);
    int y = y0;
    for (int e : ends) {
      const int n = (e - y + most - 1) / most;  // pieces of this stretch, as even as possible
      for (int i = 0; i < n; ++i) {
        const int b = y + (e - y) * i / n, f = y + (e - y) * (i + 1) / n;
        blocks.push_back({b, f - b});
      }
      y = e;
    }
    return blocks;
  }
  // Whether the op being lowered has a cascade cut at output row y (its
  // compute splits into pieces there, which must carry no accumulator state
  // across: a GEMM emits every POSTPROC before the cut).
  bool CascadeCutAt(int y) const {
    if (band_.active || !plan_.cascade) return false;
    const auto cuts = cascade_cuts_.find(lowering_step_);
    return cuts != cascade_cuts_.end() && std::find(cuts->second.begin(), cuts->second.end(), y) != cuts->second.end();
  }
  // With the input cascade: per step, the output rows computable from input
  // bands 0..k for each band but the last (compiler.cc).
  void CascadeCuts();
  // The output rows an op lowers: all of them, or in a tiled partition the
  // current band's (views then map absolute rows into the band's buffers).
  struct BandWindow {
    bool active = false;
    int y0 = 0, y1 = 0;
  };
  void OutputRows(int oh, int* y0, int* y1) const {
    *y0 = band_.active ? band_.y0 : 0;
    *y1 = band_.active ? band_.y1 : oh;
  }
  std::string OpLabel(int step) const {
    return StrFormat("%s (op %d)", OpName(code(step)).c_str(), spec_.nodes[step]);
  }
  Status OpError(int step, const std::string& why) const {
    return Unimplemented("%s: %s", OpLabel(step).c_str(), why.c_str());
  }
  int64_t Addr(const View& v, int64_t y, int64_t x) const {
    return int64_t{roots_[v.root].addr} + v.offset + y * v.row_pitch + x * v.pix_pitch;
  }
  bool Plain(const View& v) const {
    const Root& r = roots_[v.root];
    return v.offset == 0 && v.pix_pitch == v.c && v.row_pitch == int64_t{v.w} * v.c &&
           r.bytes == int64_t{v.h} * v.w * v.c;
  }

  // ---- passes
  Status ReadGraph();   // layout.cc
  Status PlanLayout();  // layout.cc
  Status Allocate();    // abuf_alloc.cc
  // A root buffer for tensor t, with the borders its readers need, and the
  // tensor's view in its interior.
  void MakeRoot(int t);
  // The op's lowering (through the op table), after the fills of the roots
  // that come alive at this step.
  Status Lower(int step, OpCode* oc);
  // Every op, with the spill loads and stores around it; `pre` receives the
  // fills of the roots alive from the start.
  Status LowerAll(OpCode* pre, std::vector<OpCode>* ops);

  // ---- host DMA (io_dma.cc)
  HostIo BindHostRegions() const;
  // The loads of the constant operands and the partition inputs: one group,
  // or with `banded` one group per row band of the (single) input.
  Status InputLoads(const ParameterBlob& blob, const HostIo& io, bool banded, std::vector<LoadGroup>* groups) const;
  Status OutputStores(const HostIo& io, std::vector<Instruction>* stores) const;

  // ---- the executable (writer.cc)
  ParameterBlob PackParameters(const std::vector<OpCode>& ops) const;
  // Encodes the chunks, estimates (validating the program against the
  // configuration) and writes the report; keeps what the executable needs.
  StatusOr<PendingPartition> Write(const std::vector<OpCode>& ops, ParameterBlob blob, const HostIo& io, bool cache,
                                   uint32_t pbuf_half, const Schedule& schedule) const;

  // ---- emit helpers (emit.cc)
  // Writes the broadcast of `src` (dims sd) to the contiguous `dst` (dims od)
  // with identity VLUT copies, doubling repeated blocks.
  void ExpandBroadcast(const View& src, std::vector<int> sd, const View& dst, std::vector<int> od, OpCode* oc);
  void CopyRuns(const View& src, int64_t src_flat, const View& dst, int64_t dst_flat, int64_t len, uint32_t lut,
                OpCode* oc);
  // Calls fn(addr, len) for the ABUF runs holding flat elements
  // [begin, begin + len) of a view (split where the view's rows are not adjacent).
  template <typename Fn>
  void FlatRuns(const View& v, int64_t begin, int64_t len, Fn fn) const {
    const int64_t row = int64_t{v.w} * v.c;
    if (v.row_pitch == row) {
      fn(Addr(v, 0, 0) + begin, len);
      return;
    }
    while (len > 0) {
      const int64_t y = begin / row, in_row = begin % row;
      const int64_t n = std::min(len, row - in_row);
      fn(Addr(v, y, 0) + in_row, n);
      begin += n;
      len -= n;
    }
  }

  struct Slice {
    int64_t offset;  // ABUF offset of the slice's first byte relative to the window origin
    int k;
    std::vector<int16_t> w;  // k x cout, row-major, device-space weights (int8, or [-255, 255] when u8)
  };
  struct Gemm {
    int oh = 1, ow = 1;
    int64_t origin = 0;  // ABUF address of output (0,0)'s window origin
    int64_t inner_stride = 0, outer_stride = 0;
    std::vector<Slice> slices;
    int cout = 0;
    std::vector<int32_t> bias, mult, shift;
    int32_t out_zp = 0, act_min = -128, act_max = 127;
    Requant requant = Requant::kTwoStep;
    View out;
    // UINT8 weights (u8): PBUF holds the bytes w = d + w_zp and LOAD_WEIGHTS
    // (u8 = 1) subtracts w_zp, so d in [-255, 255] takes one pass; otherwise
    // the slices are int8.
    bool u8 = false;
    int32_t w_zp = 0;
    // Appends the slice(s) of weights d (k x cout) at ABUF offset `offset`:
    // one slice when u8, else d split into int8 parts whose sum is d (SplitInt8).
    void AddSlices(int64_t offset, int k, const std::vector<int32_t>& d);
  };
  Status EmitGemm(int step, Gemm g, OpCode* oc);
  // The cycles of `compute` alone, each instruction accepted as early as the
  // core's issue rules allow (arch/issue.h; no DMA): how EmitGemm and the
  // depthwise lowering compare their row-block candidates.
  uint64_t ComputeCycles(const std::vector<Instruction>& compute) const;
  // Emits an op's compute instructions with row blocks of region_rows,
  // region_rows / 2 ... region_rows / max_split accumulator rows (whole output
  // rows of `ow` pixels, at least one; each distinct size once) through
  // emit(block_pixels, &trial) -> Status, times each with ComputeCycles and
  // appends the fastest to oc->compute (ties to the larger block).
  template <typename Emit>
  Status AppendFastestRowBlocks(int64_t region_rows, int ow, int max_split, Emit emit, OpCode* oc) const {
    OpCode best;
    uint64_t best_cycles = UINT64_MAX;
    int last_rows = -1;
    for (int d = 1; d <= max_split; ++d) {
      const int rows = static_cast<int>(std::max<int64_t>(1, region_rows / d / ow));
      if (rows == last_rows) continue;
      last_rows = rows;
      OpCode trial;
      RETURN_IF_ERROR(emit(int64_t{rows} * ow, &trial));
      const uint64_t c = ComputeCycles(trial.compute);
      if (c < best_cycles) best = std::move(trial), best_cycles = c;
      if (rows == 1) break;
    }
    oc->compute.insert(oc->compute.end(), best.compute.begin(), best.compute.end());
    return Status::Ok();
  }
  Gemm PackGemm(Gemm g) const;  // merges adjacent slices, packs pixels (emit.cc)
  // A CONV_2D or FULLY_CONNECTED GEMM's weight slices and per-column weight
  // sums as gathered from its filter: they depend only on the op and its
  // input view's pitches (the slices' offsets). CompilePartition shares one
  // cache between the compilations of a partition in its input plans, so
  // each filter is gathered and split once.
  struct GemmWeights {
    int64_t row_pitch = 0, pix_pitch = 0;
    std::vector<Slice> slices;
    std::vector<int64_t> wsum;
  };
  using GemmWeightCache = std::map<int, GemmWeights>;  // by step
  // Fills g->slices and *wsum (zeros on entry) for `step` reading view `in`:
  // from the cache when it holds them for these pitches, else by gather()
  // (and the cache keeps a copy).
  template <typename Gather>
  void GemmWeightsOf(int step, const View& in, Gemm* g, std::vector<int64_t>* wsum, Gather gather) {
    if (gemm_weights_ != nullptr) {
      const auto it = gemm_weights_->find(step);
      if (it != gemm_weights_->end() && it->second.row_pitch == in.row_pitch && it->second.pix_pitch == in.pix_pitch) {
        g->slices = it->second.slices;
        *wsum = it->second.wsum;
        return;
      }
    }
    gather();
    if (gemm_weights_ != nullptr) (*gemm_weights_)[step] = GemmWeights{in.row_pitch, in.pix_pitch, g->slices, *wsum};
  }
  // acc0: the first accumulator row of the block (its region).
  void EmitPostproc(const View& out, int oy0, int rows, int ow, int n0, int n, uint32_t param_rel, int32_t zp,
                    int32_t lo, int32_t hi, Requant requant, OpCode* oc, int acc0 = 0);
  // The requantization of an int8 CONV_2D / FULLY_CONNECTED GEMM in this
  // flavor's TFLite (ruy's portable or x86 kernels).
  Requant Int8GemmRequant() const {
    return opts_.flavor == TfliteFlavor::kRuy ? Requant::kSingle : Requant::kHalfUp;
  }
  // In the xnnpack flavor: whether TFLite's XNNPACK delegate takes this node,
  // so that the accelerator must compute it as XNNPACK does (CONV_2D,
  // DEPTHWISE_CONV_2D, FULLY_CONNECTED: binary32 requantization, POSTPROC fp32).
  bool XnnpackTakes(int step) const {
    return opts_.flavor == TfliteFlavor::kXnnpack && quant_arith::XnnpackTakesNode(ctx_, node(step), code(step));
  }
  void EmitFill(const Root& r, OpCode* oc);
  Status ConvQuant(int step, int cout, std::vector<int32_t>* mult, std::vector<int32_t>* shift, int32_t* act_min,
                   int32_t* act_max, bool per_channel_path);

  // ---- state
  TfLiteContext* ctx_;
  const PartitionSpec& spec_;
  const CompileOptions& opts_;
  const sim::DeviceConfig& hw_;
  const int R_, C_;

  std::vector<const TfLiteNode*> nodes_;
  std::vector<const TfLiteRegistration*> regs_;
  std::map<int, TensorState> ts_;
  std::vector<Root> roots_;
  const bool input_bands_;
  const InputPlan plan_;
  std::map<int, std::vector<int>> cascade_cuts_;  // step -> output rows (CascadeCuts)
  // CascadeCuts' rows of each tensor computable from input bands 0..k
  // (INT32_MAX: complete from the start), and per step how output rows map
  // to input rows (kind 1: window sh/kh/dh/pt; 2: PAD by `pt` rows; 0: same rows).
  std::map<int, std::vector<int>> cascade_avail_;
  struct RowMap {
    int kind = 0, sh = 1, kh = 1, dh = 1, pt = 0;
  };
  std::map<int, RowMap> cascade_rowmap_;
  std::vector<std::vector<std::vector<std::pair<int64_t, int64_t>>>> PhaseFootprints() const;
  bool input_bands_possible_ = false;
  int lowering_step_ = -1;
  std::set<int> fused_pads_;          // steps whose PAD is free (input written in place)
  std::set<int> transposes_by_copy_;  // TRANSPOSE steps lowered to VLUT copies
  std::set<int> transposes_by_dma_;   // NCHW -> NHWC steps: STORE to SCRATCH, strided LOAD back
  std::map<std::pair<int, int>, int> expand_root_;  // (step, input) -> root of the broadcast-expanded operand
  std::set<int> aliased_copies_;                    // RESHAPE/SQUEEZE steps that are aliases
  std::map<int, Interior> interior_;                // tensors written in place into another's interior
  uint64_t abuf_peak_ = 0;
  bool abuf_overflow_ = false;
  // Tiling (tiling.cc): the band being lowered, and the totals.
  BandWindow band_;
  bool tiled_ = false;
  uint64_t tiled_bands_ = 0, tiled_groups_ = 0, host_load_bytes_ = 0, host_store_bytes_ = 0;
  uint64_t scratch_bytes_ = 0;
  // Loads/stores between ops (spills, DMA transposes) share the load unit's
  // token stream with streamed parameter blocks: only with cached parameters.
  bool mid_dma_ = false;
  GemmWeightCache* gemm_weights_ = nullptr;  // shared by CompilePartition's plans (GemmWeightsOf)

 private:
  // PlanLayout's steps (layout.cc).
  Status RunLayoutPhase(LayoutPhase phase);
  Status MakeViews();
  Status PlanLifetimes();
};

}  // namespace systole::compiler

#endif  // SYSTOLE_COMPILER_PARTITION_H_
