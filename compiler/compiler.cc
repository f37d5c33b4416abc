// CompilePartition: lowers a partition to the ISA (docs/compiler.md).
//
// Pipeline:
//  1. Read the partition's ops and tensors from the TfLiteContext; every op
//     must pass CheckOpSupport.
//  2. Layout: every activation tensor gets a view in ABUF. Tensors read by a
//     SAME-padded convolution get a border filled with their zero point (the
//     padding is materialised, so the array multiplies raw values and the
//     input zero point folds into the bias). A PAD whose input has no other
//     reader is fused: its input is written straight into the interior of
//     its output. RESHAPE/SQUEEZE of a contiguous tensor is an alias.
//  3. Allocation: views share root buffers; roots get ABUF ranges by
//     first-fit over their lifetimes (step of first write .. last read;
//     partition inputs from the start, outputs to the end).
//  4. Lowering per op into compute instructions + a parameter block (weights
//     in array-tile order, bias/multiplier/shift vectors, LUTs), with PBUF
//     addresses relative to the block (relocated at assembly).
//  5. Assembly: parameters are cached (PARAMETER_LOAD chunk, run once) when
//     they all fit in PBUF, otherwise streamed per op into two PBUF halves,
//     the LOAD of op j+1's block overlapping op j's compute (tokens).
//     Inputs are loaded at the start, outputs stored at the end.
#include "compiler/compiler.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <set>

#include "common/fixed_point.h"
#include "common/float32.h"
#include "compiler/graph.h"
#include "compiler/lut.h"
#include "interpreter/kernels/kernel_util.h"
#include "interpreter/kernels/softmax_table.h"
#include "schema/executable_generated.h"
#include "schema/isa/isa_generated.h"
#include "schema/tflite_generated.h"
#include "arch/cycle_model.h"
#include "arch/estimator.h"
#include "arch/host_memory.h"
#include "arch/program.h"
#include "arch/validate.h"

namespace systole::compiler {
namespace {

using isa::Instruction;

constexpr int kRegionParams = 0;
constexpr int kRegionInput = 1;
constexpr int kRegionOutput = 2;
constexpr int kRegionScratch = 3;
constexpr uint32_t kMaxRowBytes = (1u << 24) - 1;  // LOAD/STORE row_bytes field
constexpr uint32_t kMaxRows = 65535;
constexpr int kInputBands = 4;  // row bands of a partition input, each its own DMA token

// A tensor's place in ABUF: element (y, x, c) is at
// buffer base + offset + y * row_pitch + x * pix_pitch + c.
struct View {
  int root = -1;  // index into roots_
  int64_t offset = 0;
  int64_t row_pitch = 0;
  int64_t pix_pitch = 0;
  int h = 1, w = 1, c = 1;
};

struct Root {
  int64_t bytes = 0;
  int first = 0, last = 0;  // op steps; -1 = before the first op, INT_MAX = to the end
  uint32_t addr = 0;
  // Fill everything except the interior rectangle with `fill` when the root
  // comes alive (borders and PAD margins).
  bool needs_fill = false;
  int32_t fill = 0;
  int hb = 0, wb = 0, c = 0;           // buffer geometry
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
  int producer = -1;  // step
  std::vector<int> consumers;  // steps
  int bt = 0, bb = 0, bl = 0, br = 0;  // border needed by SAME-padded readers
  View view;
  bool has_view = false;
  int transposed_by = -1;  // a partition input the DMA loads transposed (TRANSPOSE step)
  bool is_const = false;   // a constant elementwise operand, loaded into ABUF with the inputs
};

struct OpCode {
  int node = 0;
  std::string name;
  std::vector<Instruction> compute;
  std::vector<uint8_t> params;  // PBUF-relative addresses in `compute` point into this
  uint64_t macs = 0;
  // Spilled tensors: loads before the op and stores after it, with their
  // token handshakes (not relocated).
  std::vector<Instruction> pre, post;
};

void PutI32(std::vector<uint8_t>* v, int32_t x) {
  const uint32_t u = static_cast<uint32_t>(x);
  for (int i = 0; i < 4; ++i) v->push_back(static_cast<uint8_t>(u >> (8 * i)));
}
void Align(std::vector<uint8_t>* v, size_t a) {
  while (v->size() % a) v->push_back(0);
}

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

// POSTPROC's requantization modes (docs/ISA.md): TFLite's two-step
// MultiplyByQuantizedMultiplier, ruy's single rounding (single_round), ruy's
// x86-64 kernels (half_up).
enum class Requant { kTwoStep, kSingle, kHalfUp };

class PartitionCompiler {
 public:
  // input_bands: load a partition input in row bands that compute consumes
  // as they arrive (and block the ops reading it by as many row blocks).
  PartitionCompiler(TfLiteContext* ctx, const PartitionSpec& spec, const CompileOptions& opts, bool input_bands)
      : ctx_(ctx), spec_(spec), opts_(opts), hw_(opts.hw), R_(hw_.rows), C_(hw_.cols), input_bands_(input_bands) {}

  StatusOr<CompiledPartition> Run();
  // After Run(): whether this partition can load its input in bands (one
  // input, cached parameters, at least two rows), i.e. whether compiling it
  // with input_bands = true gives a different program.
  bool input_bands_possible() const { return input_bands_possible_; }

 private:
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
  int RowsPerBlock(int oh, int ow) const {
    int rows = std::max(1, std::min<int>(oh, std::min<int64_t>(hw_.acc_rows, 65535) / ow));
    if (input_bands_ && lowering_step_ >= 0 && roots_[ts_.at(in(lowering_step_, 0)).view.root].first == -1)
      rows = std::min(rows, std::max(1, (oh + kInputBands - 1) / kInputBands));
    return rows;
  }
  std::string OpLabel(int step) const {
    return StrFormat("%s (op %d)", OpName(code(step)).c_str(), spec_.nodes[step]);
  }
  Status OpError(int step, const std::string& why) const {
    return Unimplemented("%s: %s", OpLabel(step).c_str(), why.c_str());
  }

  Status ReadGraph();
  Status PlanLayout();
  Status Allocate();
  Status Lower(int step, OpCode* oc);
  StatusOr<CompiledPartition> Assemble();

  // Lowerings.
  Status LowerConv(int step, OpCode* oc);
  Status LowerDepthwise(int step, OpCode* oc);
  Status LowerFullyConnected(int step, OpCode* oc);
  Status LowerEltwise(int step, OpCode* oc);
  Status LowerPool(int step, OpCode* oc);
  Status LowerLut(int step, OpCode* oc);
  Status LowerSoftmax(int step, OpCode* oc);
  Status LowerCopy(int step, OpCode* oc);  // RESHAPE/SQUEEZE (not aliased) and PAD (not fused)
  Status LowerMean(int step, OpCode* oc);
  Status LowerConcat(int step, OpCode* oc);
  Status LowerSplit(int step, OpCode* oc);
  Status LowerResizeNearest(int step, OpCode* oc);
  Status LowerTransposeCopy(int step, OpCode* oc);
  Status LowerTransposeDma(int step, OpCode* oc);
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
    std::vector<int8_t> w;  // k x cout, row-major
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
  };
  Status EmitGemm(int step, const Gemm& g, OpCode* oc);
  void EmitPostproc(const View& out, int oy0, int rows, int ow, int n0, int n, uint32_t param_rel,
                    int32_t zp, int32_t lo, int32_t hi, Requant requant, OpCode* oc);
  // The requantization of an int8 CONV_2D / FULLY_CONNECTED GEMM in this
  // flavor's TFLite (ruy's portable or x86 kernels).
  Requant Int8GemmRequant() const {
    return opts_.flavor == TfliteFlavor::kRuy ? Requant::kSingle : Requant::kHalfUp;
  }
  void EmitFill(const Root& r, OpCode* oc);

  int64_t Addr(const View& v, int64_t y, int64_t x) const {
    return int64_t{roots_[v.root].addr} + v.offset + y * v.row_pitch + x * v.pix_pitch;
  }
  bool Plain(const View& v) const {
    const Root& r = roots_[v.root];
    return v.offset == 0 && v.pix_pitch == v.c && v.row_pitch == int64_t{v.w} * v.c &&
           r.bytes == int64_t{v.h} * v.w * v.c;
  }
  Status ConvQuant(int step, int cout, std::vector<int32_t>* mult, std::vector<int32_t>* shift,
                   int32_t* act_min, int32_t* act_max, bool per_channel_path);

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
  bool input_bands_possible_ = false;
  int lowering_step_ = -1;
  std::set<int> fused_pads_;      // steps whose PAD is free (input written in place)
  std::set<int> transposes_by_copy_;  // TRANSPOSE steps lowered to VLUT copies
  std::set<int> transposes_by_dma_;   // NCHW -> NHWC steps: STORE to SCRATCH, strided LOAD back
  std::map<std::pair<int, int>, int> expand_root_;  // (step, input) -> root of the broadcast-expanded operand
  std::set<int> aliased_copies_;  // RESHAPE/SQUEEZE steps that are aliases
  uint64_t abuf_peak_ = 0;
  uint64_t scratch_bytes_ = 0;
  // Loads/stores between ops (spills, DMA transposes) share the load unit's
  // token stream with streamed parameter blocks: only with cached parameters.
  bool mid_dma_ = false;
};

// ---------------------------------------------------------------- graph

Status PartitionCompiler::ReadGraph() {
  if (spec_.nodes.empty()) return InvalidArgument("partition has no ops");
  for (size_t s = 0; s < spec_.nodes.size(); ++s) {
    TfLiteNode* n = nullptr;
    TfLiteRegistration* r = nullptr;
    if (ctx_->GetNodeAndRegistration(ctx_, spec_.nodes[s], &n, &r) != kTfLiteOk)
      return InvalidArgument("partition: no node %d", spec_.nodes[s]);
    RETURN_IF_ERROR(CheckOpSupport(ctx_, spec_.nodes[s], opts_));
    nodes_.push_back(n);
    regs_.push_back(r);
  }
  for (int t : spec_.inputs) {
    if (t < 0 || static_cast<size_t>(t) >= ctx_->tensors_size) return InvalidArgument("partition input %d", t);
    ts_[t].is_input = true;
  }
  for (int t : spec_.outputs) {
    if (t < 0 || static_cast<size_t>(t) >= ctx_->tensors_size) return InvalidArgument("partition output %d", t);
    ts_[t].is_output = true;
  }
  for (size_t s = 0; s < nodes_.size(); ++s) {
    const TfLiteNode* n = nodes_[s];
    for (int i = 0; i < n->inputs->size; ++i) {
      const int t = n->inputs->data[i];
      if (t < 0) continue;
      const bool eltwise = code(static_cast<int>(s)) == tflite::BuiltinOperator_ADD ||
                           code(static_cast<int>(s)) == tflite::BuiltinOperator_SUB ||
                           code(static_cast<int>(s)) == tflite::BuiltinOperator_MUL;
      if (IsConstant(T(t)) && !eltwise) continue;
      if (IsConstant(T(t))) ts_[t].is_const = true;
      ts_[t].consumers.push_back(static_cast<int>(s));
    }
    for (int i = 0; i < n->outputs->size; ++i) {
      TensorState& st = ts_[n->outputs->data[i]];
      st.producer = static_cast<int>(s);
    }
  }
  for (size_t s = 0; s < nodes_.size(); ++s) {
    if (code(s) != tflite::BuiltinOperator_TRANSPOSE) continue;
    TensorState& st = ts_[in(s, 0)];
    const bool nchw_to_nhwc = IsNchwToNhwc(Dims(T(in(s, 0))), T(in(s, 1))->data.i32);
    // The input DMA transposes a partition input read by nothing else; other
    // NCHW -> NHWC transposes make a round trip through host memory; the
    // rest are gathers by copies.
    if (nchw_to_nhwc && st.is_input && st.consumers.size() == 1 && !st.is_output)
      st.transposed_by = static_cast<int>(s);
    else if (nchw_to_nhwc)
      transposes_by_dma_.insert(static_cast<int>(s));
    else
      transposes_by_copy_.insert(static_cast<int>(s));
  }
  for (auto& [t, st] : ts_) {
    if (st.producer < 0 && !st.is_input && !st.is_const)
      return InvalidArgument("partition: tensor %d is read but neither produced inside nor a partition input", t);
    if (!IsInt8Or8(T(t))) return InvalidArgument("partition: tensor %d is not INT8/UINT8", t);
  }
  return Status::Ok();
}

// ---------------------------------------------------------------- layout

Status PartitionCompiler::PlanLayout() {
  // SAME-padding borders needed by convolution readers.
  for (size_t s = 0; s < nodes_.size(); ++s) {
    const int c = code(s);
    if (c != tflite::BuiltinOperator_CONV_2D && c != tflite::BuiltinOperator_DEPTHWISE_CONV_2D) continue;
    const TfLiteTensor* input = T(in(s, 0));
    const TfLiteTensor* filter = T(in(s, 1));
    int sh, sw, dh, dw;
    TfLitePadding pad;
    if (c == tflite::BuiltinOperator_CONV_2D) {
      const auto* p = static_cast<const TfLiteConvParams*>(node(s)->builtin_data);
      sh = p->stride_height, sw = p->stride_width, dh = p->dilation_height_factor, dw = p->dilation_width_factor;
      pad = p->padding;
    } else {
      const auto* p = static_cast<const TfLiteDepthwiseConvParams*>(node(s)->builtin_data);
      sh = p->stride_height, sw = p->stride_width, dh = p->dilation_height_factor, dw = p->dilation_width_factor;
      pad = p->padding;
    }
    const std::vector<int> id = Dims(input), fd = Dims(filter);
    int oh = 0, ow = 0;
    const TfLitePaddingValues pv =
        kernels::ComputePaddingHeightWidth(sh, sw, dh, dw, id[1], id[2], fd[1], fd[2], pad, &oh, &ow);
    TensorState& st = ts_[in(s, 0)];
    const int need_b = std::max(0, (oh - 1) * sh + (fd[1] - 1) * dh + 1 - pv.height - id[1]);
    const int need_r = std::max(0, (ow - 1) * sw + (fd[2] - 1) * dw + 1 - pv.width - id[2]);
    st.bt = std::max(st.bt, pv.height);
    st.bl = std::max(st.bl, pv.width);
    st.bb = std::max(st.bb, need_b);
    st.br = std::max(st.br, need_r);
  }

  // PAD fusion: the input's only reader is the PAD.
  std::map<int, std::pair<int, int>> pad_child;  // input tensor -> (pad step, output tensor)
  for (size_t s = 0; s < nodes_.size(); ++s) {
    if (code(s) != tflite::BuiltinOperator_PAD) continue;
    const int i = in(s, 0);
    const TensorState& st = ts_[i];
    const bool from_transpose = st.producer >= 0 && code(st.producer) == tflite::BuiltinOperator_TRANSPOSE &&
                                !transposes_by_copy_.count(st.producer);  // DMA-written: must stay plain
    if (!from_transpose && st.consumers.size() == 1 && !st.is_output && st.bt + st.bb + st.bl + st.br == 0 &&
        ts_[out(s)].bt + ts_[out(s)].bb + ts_[out(s)].bl + ts_[out(s)].br == 0) {
      fused_pads_.insert(static_cast<int>(s));
      pad_child[i] = {static_cast<int>(s), out(s)};
    }
  }

  // Views, in an order where a view's parent exists first: roots first.
  auto make_root = [&](int t) {
    TensorState& st = ts_[t];
    const Geometry g = GeometryOf(T(t));
    Root r;
    r.c = g.c;
    r.hb = g.h + st.bt + st.bb;
    r.wb = g.w + st.bl + st.br;
    r.bytes = int64_t{r.hb} * r.wb * r.c;
    r.in_y = st.bt, r.in_x = st.bl, r.in_h = g.h, r.in_w = g.w;
    r.fill = DeviceZeroPoint(T(t));
    r.needs_fill = st.bt + st.bb + st.bl + st.br > 0;
    roots_.push_back(r);
    st.view = View{static_cast<int>(roots_.size()) - 1, int64_t{st.bt} * r.wb * r.c + int64_t{st.bl} * r.c,
                   int64_t{r.wb} * r.c, r.c, g.h, g.w, g.c};
    st.has_view = true;
  };

  // Walk tensors in dataflow order: partition inputs, then op outputs.
  std::vector<int> order(spec_.inputs.begin(), spec_.inputs.end());
  for (const auto& [t, st] : ts_)
    if (st.is_const) order.push_back(t);
  for (size_t s = 0; s < nodes_.size(); ++s)
    for (int i = 0; i < node(s)->outputs->size; ++i) order.push_back(node(s)->outputs->data[i]);

  // PAD outputs must have views before their fused children: give them roots
  // up front (a PAD output is always a root).
  for (size_t s = 0; s < nodes_.size(); ++s)
    if (code(s) == tflite::BuiltinOperator_PAD) make_root(out(s));

  for (int t : order) {
    TensorState& st = ts_[t];
    if (st.has_view || st.transposed_by >= 0) continue;
    auto pc = pad_child.find(t);
    if (pc != pad_child.end()) {
      const int s = pc->second.first;
      const View& pv = ts_[pc->second.second].view;
      const int32_t* pd = T(in(s, 1))->data.i32;
      const Geometry g = GeometryOf(T(t));
      st.view = View{pv.root, pv.offset + int64_t{pd[2]} * pv.row_pitch + int64_t{pd[4]} * pv.pix_pitch,
                     pv.row_pitch, pv.pix_pitch, g.h, g.w, g.c};
      st.has_view = true;
      continue;
    }
    const int s = st.producer;
    if (s >= 0 && (code(s) == tflite::BuiltinOperator_RESHAPE || code(s) == tflite::BuiltinOperator_SQUEEZE)) {
      const TensorState& src = ts_[in(s, 0)];
      if (src.has_view && Plain(src.view) && st.bt + st.bb + st.bl + st.br == 0 && !roots_[src.view.root].needs_fill) {
        const Geometry g = GeometryOf(T(t));
        st.view = View{src.view.root, 0, int64_t{g.w} * g.c, g.c, g.h, g.w, g.c};
        st.has_view = true;
        aliased_copies_.insert(s);
        continue;
      }
    }
    make_root(t);
  }

  // PAD roots: the margins are the PAD's zero-point padding; the interior is
  // what the input (fused child or copy) writes.
  for (size_t s = 0; s < nodes_.size(); ++s) {
    if (code(s) != tflite::BuiltinOperator_PAD) continue;
    const TensorState& o = ts_[out(s)];
    Root& r = roots_[o.view.root];
    const int32_t* pd = T(in(s, 1))->data.i32;
    const Geometry gi = GeometryOf(T(in(s, 0)));
    r.in_y += pd[2];
    r.in_x += pd[4];
    r.in_h = gi.h;
    r.in_w = gi.w;
    r.needs_fill = true;
    // TFLite pads quantized tensors with the output zero point.
    r.fill = DeviceZeroPoint(T(out(s)));
  }

  // Lifetimes of roots over all their views.
  for (Root& r : roots_) {
    r.first = INT32_MAX;
    r.last = -1;
  }
  for (auto& [t, st] : ts_) {
    if (st.transposed_by >= 0) continue;  // never on chip in its own layout
    if (!st.has_view) return Internal("tensor %d has no layout", t);
    Root& r = roots_[st.view.root];
    const bool transposed = st.producer >= 0 && code(st.producer) == tflite::BuiltinOperator_TRANSPOSE &&
                            !transposes_by_copy_.count(st.producer) && !transposes_by_dma_.count(st.producer);
    const bool dma_transposed = st.producer >= 0 && transposes_by_dma_.count(st.producer);
    const bool loaded = st.is_input || st.is_const || transposed;
    if ((transposed || dma_transposed) && (r.needs_fill || !Plain(st.view)))
      return Unimplemented("tensor %d: the transposed input must be contiguous (no border)", t);
    r.first = std::min(r.first, loaded ? -1 : st.producer);
    int last = st.producer;
    for (int c : st.consumers) last = std::max(last, c);
    if (st.is_output) last = INT32_MAX;
    r.last = std::max(r.last, last);
    if (st.producer >= 0) r.uses.push_back(st.producer);
    for (int c : st.consumers) r.uses.push_back(c);
    r.pinned |= loaded || st.is_output || dma_transposed;
  }
  // Scratch buffers for broadcast operands, alive in their step only.
  for (size_t s = 0; s < nodes_.size(); ++s) {
    const int c = code(s);
    if (c != tflite::BuiltinOperator_ADD && c != tflite::BuiltinOperator_SUB && c != tflite::BuiltinOperator_MUL)
      continue;
    for (int i = 0; i < 2; ++i) {
      if (Dims(T(in(s, i))) == Dims(T(out(s)))) continue;
      Root r;
      r.bytes = NumElements(T(out(s)));
      r.first = r.last = static_cast<int>(s);
      r.uses = {static_cast<int>(s)};
      r.pinned = true;
      const Geometry g = GeometryOf(T(out(s)));
      r.hb = g.h, r.wb = g.w, r.c = g.c;
      r.in_h = g.h, r.in_w = g.w;
      roots_.push_back(r);
      expand_root_[{static_cast<int>(s), i}] = static_cast<int>(roots_.size()) - 1;
    }
  }
  for (Root& r : roots_) {
    std::sort(r.uses.begin(), r.uses.end());
    r.uses.erase(std::unique(r.uses.begin(), r.uses.end()), r.uses.end());
  }
  return Status::Ok();
}

// First-fit allocation of ABUF over lifetimes. A root that does not fit is
// spilled to host memory (region 3, SCRATCH): it is on chip only in the steps
// that write or read it, each time at its own address, stored after the step
// that writes it and loaded before each step that reads it.
Status PartitionCompiler::Allocate() {
  struct Unit {
    int root;
    int first, last;
    int step;  // the step of a spilled root's segment, or INT32_MIN
  };
  while (true) {
    std::vector<Unit> units;
    for (size_t i = 0; i < roots_.size(); ++i) {
      const Root& r = roots_[i];
      if (!r.spilled) {
        units.push_back({static_cast<int>(i), r.first, r.last, INT32_MIN});
        continue;
      }
      for (int s : r.uses) units.push_back({static_cast<int>(i), s, s, s});
    }
    std::stable_sort(units.begin(), units.end(), [](const Unit& a, const Unit& b) { return a.first < b.first; });
    std::vector<std::pair<const Unit*, int64_t>> placed;
    uint64_t peak = 0;
    const Unit* failed = nullptr;
    std::map<std::pair<int, int>, uint32_t> seg;
    for (const Unit& u : units) {
      const int64_t bytes = roots_[u.root].bytes;
      std::vector<std::pair<int64_t, int64_t>> busy;
      for (const auto& [o, addr] : placed)
        if (!(o->last < u.first || u.last < o->first)) busy.push_back({addr, addr + roots_[o->root].bytes});
      std::sort(busy.begin(), busy.end());
      int64_t at = 0;
      for (const auto& [b, e] : busy) {
        if (at + bytes <= b) break;
        at = std::max(at, (e + 63) / 64 * 64);
      }
      if (at + bytes > hw_.abuf_bytes) {
        failed = &u;
        break;
      }
      placed.push_back({&u, at});
      peak = std::max<uint64_t>(peak, at + bytes);
      if (u.step == INT32_MIN) roots_[u.root].addr = static_cast<uint32_t>(at);
      else seg[{u.root, u.step}] = static_cast<uint32_t>(at);
    }
    if (failed == nullptr) {
      abuf_peak_ = peak;
      for (size_t i = 0; i < roots_.size(); ++i) {
        Root& r = roots_[i];
        r.seg_addr.clear();
        if (!r.spilled) continue;
        for (int st : r.uses) r.seg_addr[st] = seg[{static_cast<int>(i), st}];
        r.scratch_offset = scratch_bytes_;
        scratch_bytes_ += (r.bytes + 63) / 64 * 64;
      }
      return Status::Ok();
    }
    // Spill the largest root that is idle in some step of its lifetime.
    int best = -1;
    for (size_t i = 0; i < roots_.size(); ++i) {
      const Root& r = roots_[i];
      if (r.spilled || r.pinned || r.uses.size() < 2) continue;
      if (static_cast<int64_t>(r.uses.back() - r.uses.front() + 1) == static_cast<int64_t>(r.uses.size())) continue;
      if (best < 0 || r.bytes > roots_[best].bytes) best = static_cast<int>(i);
    }
    if (best < 0 || !opts_.cache_parameters) {
      const Root& r = roots_[failed->root];
      return OutOfRange(
          "activations do not fit the %u-byte activation buffer: a %lld-byte tensor needed in step %d (%s) "
          "finds no room%s",
          hw_.abuf_bytes, static_cast<long long>(r.bytes), std::max(failed->first, 0),
          OpLabel(std::max(failed->first, 0)).c_str(),
          best < 0 ? " even with idle tensors moved to host memory: one operator's inputs and outputs must fit"
                   : " (moving tensors to host memory needs cached parameters)");
    }
    roots_[best].spilled = true;
  }
}

// ---------------------------------------------------------------- emit helpers

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
                                     int32_t zp, int32_t lo, int32_t hi, Requant requant, OpCode* oc) {
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
    oc->compute.push_back(Instruction{{}, p});
  };
  if (out.row_pitch == int64_t{ow} * out.pix_pitch) {
    one(0, Addr(out, oy0, 0) + n0, rows * ow);
  } else {
    for (int r = 0; r < rows; ++r) one(r * ow, Addr(out, oy0 + r, 0) + n0, ow);
  }
}

// Weight tiles and requantization parameters go into the op's block as:
//   for each slice: k x cout int8 (row stride cout)
//   for each cout tile of C: bias[n], mult[n], shift[n] (int32)
Status PartitionCompiler::EmitGemm(int step, const Gemm& g, OpCode* oc) {
  std::vector<uint8_t>& P = oc->params;
  std::vector<uint32_t> slice_at;
  for (const Slice& s : g.slices) {
    Align(&P, 4);
    slice_at.push_back(static_cast<uint32_t>(P.size()));
    for (int8_t v : s.w) P.push_back(static_cast<uint8_t>(v));
  }
  const std::vector<uint32_t> tile_at = AddRequantTiles(
      &P, g.cout, C_, [&](int c) { return g.bias[c]; }, [&](int c) { return g.mult[c]; },
      [&](int c) { return g.shift[c]; });
  if (g.ow > static_cast<int>(hw_.acc_rows) || g.ow > 65535)
    return OpError(step, StrFormat("output rows of %d pixels exceed the %u accumulator rows", g.ow, hw_.acc_rows));
  const int rows_per_block = RowsPerBlock(g.oh, g.ow);
  for (int oy0 = 0; oy0 < g.oh; oy0 += rows_per_block) {
    const int rows = std::min(rows_per_block, g.oh - oy0);
    const int m = rows * g.ow;
    for (int t = 0, n0 = 0; n0 < g.cout; n0 += C_, ++t) {
      const int n = std::min(C_, g.cout - n0);
      bool first = true;
      for (size_t si = 0; si < g.slices.size(); ++si) {
        const Slice& s = g.slices[si];
        isa::LoadWeightsArgs lw;
        lw.k = static_cast<uint32_t>(s.k);
        lw.n = static_cast<uint32_t>(n);
        lw.pbuf_addr = slice_at[si] + static_cast<uint32_t>(n0);
        lw.w_stride = static_cast<uint32_t>(g.cout);
        oc->compute.push_back(Instruction{{}, lw});
        isa::MatmulArgs mm;
        mm.m = static_cast<uint32_t>(m);
        mm.k = static_cast<uint32_t>(s.k);
        mm.accumulate = !first;
        mm.acc_addr = 0;
        const int64_t a = g.origin + oy0 * g.outer_stride + s.offset;
        if (a < 0 || a > UINT32_MAX) return Internal("%s: negative ABUF address", OpLabel(step).c_str());
        mm.a_addr = static_cast<uint32_t>(a);
        mm.a_inner_count = static_cast<uint32_t>(g.ow);
        mm.a_inner_stride = static_cast<uint32_t>(g.inner_stride);
        mm.a_outer_stride = static_cast<uint32_t>(g.outer_stride);
        oc->compute.push_back(Instruction{{}, mm});
        oc->macs += uint64_t(m) * s.k * n;
        first = false;
      }
      EmitPostproc(g.out, oy0, rows, g.ow, n0, n, tile_at[t], g.out_zp, g.act_min, g.act_max, g.requant, oc);
    }
  }
  return Status::Ok();
}

// Splits device-space weights d (int16 range) into int8 parts whose sum is d.
std::vector<std::vector<int8_t>> SplitInt8(const std::vector<int32_t>& d) {
  std::vector<std::vector<int8_t>> parts;
  std::vector<int32_t> rest = d;
  do {
    std::vector<int8_t> p(rest.size());
    bool more = false;
    for (size_t i = 0; i < rest.size(); ++i) {
      const int32_t v = std::min(127, std::max(-128, rest[i]));
      p[i] = static_cast<int8_t>(v);
      rest[i] -= v;
      more |= rest[i] != 0;
    }
    parts.push_back(std::move(p));
    if (!more) break;
  } while (true);
  return parts;
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
  if (per_channel_path) {
    int32_t legacy_mult = 0;
    int legacy_shift = 0;
    if (kernels::PopulateConvolutionQuantizationParams(ctx_, input, filter, bias, output, act, &legacy_mult,
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
    if (kernels::GetQuantizedConvolutionMultipler(ctx_, input, filter, output, &real) != kTfLiteOk)
      return OpError(step, "output multiplier cannot be represented");
    int32_t m = 0;
    int e = 0;
    QuantizeMultiplier(real, &m, &e);
    std::fill(mult->begin(), mult->end(), m);
    std::fill(shift->begin(), shift->end(), e);
    if (kernels::CalculateActivationRangeQuantized(ctx_, act, output, act_min, act_max) != kTfLiteOk)
      return OpError(step, "activation range");
  }
  *act_min -= DeviceOffset(output);
  *act_max -= DeviceOffset(output);
  return Status::Ok();
}

// ---------------------------------------------------------------- lowerings

Status PartitionCompiler::LowerConv(int step, OpCode* oc) {
  const TfLiteTensor* input = T(in(step, 0));
  const TfLiteTensor* filter = T(in(step, 1));
  const TfLiteTensor* bias = BiasOf(step);
  const TfLiteTensor* output = T(out(step));
  const bool dw = code(step) == tflite::BuiltinOperator_DEPTHWISE_CONV_2D;
  int sh, sw, dh, dwl;
  TfLitePadding pad;
  if (dw) {
    const auto* p = static_cast<const TfLiteDepthwiseConvParams*>(node(step)->builtin_data);
    sh = p->stride_height, sw = p->stride_width, dh = p->dilation_height_factor, dwl = p->dilation_width_factor;
    pad = p->padding;
  } else {
    const auto* p = static_cast<const TfLiteConvParams*>(node(step)->builtin_data);
    sh = p->stride_height, sw = p->stride_width, dh = p->dilation_height_factor, dwl = p->dilation_width_factor;
    pad = p->padding;
  }
  const std::vector<int> id = Dims(input), fd = Dims(filter);
  const int cin = id[3], kh = fd[1], kw = fd[2];
  const int cout = dw ? fd[3] : fd[0];
  int oh = 0, ow = 0;
  const TfLitePaddingValues pv =
      kernels::ComputePaddingHeightWidth(sh, sw, dh, dwl, id[1], id[2], kh, kw, pad, &oh, &ow);
  const View& iv = ts_[in(step, 0)].view;
  const bool uint8 = input->type == kTfLiteUInt8;
  const int32_t wzp = uint8 ? filter->params.zero_point : 0;
  // Weight of (co, ky, kx, ci) in device space.
  // A depthwise convolution with depth multiplier M runs on the array with a
  // block-diagonal filter: output channel co reads input channel co / M.
  const int mult_dw = dw ? cout / cin : 1;
  auto weight = [&](int co, int ky, int kx, int ci) -> int32_t {
    if (dw && co / mult_dw != ci) return 0;
    int64_t i = dw ? (int64_t{ky} * kw + kx) * cout + co : ((int64_t{co} * kh + ky) * kw + kx) * cin + ci;
    return uint8 ? int32_t{filter->data.uint8[i]} - wzp : int32_t{filter->data.int8[i]};
  };

  Gemm g;
  g.oh = oh, g.ow = ow, g.cout = cout;
  g.origin = Addr(iv, -pv.height, -pv.width);
  g.inner_stride = int64_t{sw} * iv.pix_pitch;
  g.outer_stride = int64_t{sh} * iv.row_pitch;
  g.out = ts_[out(step)].view;
  RETURN_IF_ERROR(ConvQuant(step, cout, &g.mult, &g.shift, &g.act_min, &g.act_max, true));
  // int8 CONV_2D: ruy's requantization (flavor-dependent); uint8 (gemmlowp)
  // and depthwise kernels: TFLite's double rounding.
  g.requant = !uint8 && !dw ? Int8GemmRequant() : Requant::kTwoStep;
  g.out_zp = DeviceZeroPoint(output);
  const int32_t xzp = DeviceZeroPoint(input);
  std::vector<int64_t> wsum(cout, 0);
  const int ci_per = cin;
  for (int ky = 0; ky < kh; ++ky)
    for (int kx = 0; kx < kw; ++kx)
      for (int c0 = 0; c0 < ci_per; c0 += R_) {
        const int k = std::min(R_, ci_per - c0);
        std::vector<int32_t> d(size_t(k) * cout);
        for (int r = 0; r < k; ++r)
          for (int co = 0; co < cout; ++co) {
            d[size_t(r) * cout + co] = weight(co, ky, kx, c0 + r);
            wsum[co] += d[size_t(r) * cout + co];
          }
        const int64_t off = int64_t{ky} * dh * iv.row_pitch + int64_t{kx} * dwl * iv.pix_pitch + c0;
        for (auto& part : SplitInt8(d)) g.slices.push_back(Slice{off, k, std::move(part)});
      }
  g.bias = FoldInputZeroPoint(bias, xzp, wsum);
  return EmitGemm(step, g, oc);
}

Status PartitionCompiler::LowerFullyConnected(int step, OpCode* oc) {
  const TfLiteTensor* input = T(in(step, 0));
  const TfLiteTensor* filter = T(in(step, 1));
  const TfLiteTensor* bias = BiasOf(step);
  const TfLiteTensor* output = T(out(step));
  const std::vector<int> fd = Dims(filter);
  const int units = fd[0], depth = fd[1];
  const int64_t batches = NumElements(input) / depth;
  const View& iv = ts_[in(step, 0)].view;
  const View& ov = ts_[out(step)].view;
  if (!Plain(iv) || !Plain(ov)) return OpError(step, "input and output must be contiguous in the activation buffer");
  const bool uint8 = input->type == kTfLiteUInt8;
  // TFLite's FULLY_CONNECTED subtracts the filter zero point for INT8 too (unlike CONV_2D).
  const int32_t wzp = filter->params.zero_point;
  const auto* affine = static_cast<const TfLiteAffineQuantization*>(filter->quantization.params);
  const bool per_channel = filter->quantization.type == kTfLiteAffineQuantization && affine && affine->scale &&
                           affine->scale->size > 1;

  Gemm g;
  g.oh = static_cast<int>(batches), g.ow = 1, g.cout = units;
  g.origin = Addr(iv, 0, 0);
  g.inner_stride = depth;
  g.outer_stride = depth;
  // Output as batches rows of `units` channels.
  g.out = View{ov.root, ov.offset, units, units, static_cast<int>(batches), 1, units};
  RETURN_IF_ERROR(ConvQuant(step, units, &g.mult, &g.shift, &g.act_min, &g.act_max, per_channel));
  g.requant = !uint8 ? Int8GemmRequant() : Requant::kTwoStep;  // as CONV_2D
  g.out_zp = DeviceZeroPoint(output);
  const int32_t xzp = DeviceZeroPoint(input);
  std::vector<int64_t> wsum(units, 0);
  for (int c0 = 0; c0 < depth; c0 += R_) {
    const int k = std::min(R_, depth - c0);
    std::vector<int32_t> d(size_t(k) * units);
    for (int r = 0; r < k; ++r)
      for (int u = 0; u < units; ++u) {
        const int64_t i = int64_t{u} * depth + c0 + r;
        const int32_t v = uint8 ? int32_t{filter->data.uint8[i]} - wzp : int32_t{filter->data.int8[i]} - wzp;
        d[size_t(r) * units + u] = v;
        wsum[u] += v;
      }
    for (auto& part : SplitInt8(d)) g.slices.push_back(Slice{c0, k, std::move(part)});
  }
  g.bias = FoldInputZeroPoint(bias, xzp, wsum);
  // A row block per POSTPROC: rows are batches, one "pixel" each.
  return EmitGemm(step, g, oc);
}

Status PartitionCompiler::LowerDepthwise(int step, OpCode* oc) {
  const TfLiteTensor* input = T(in(step, 0));
  const TfLiteTensor* filter = T(in(step, 1));
  const TfLiteTensor* bias = BiasOf(step);
  const TfLiteTensor* output = T(out(step));
  const auto* p = static_cast<const TfLiteDepthwiseConvParams*>(node(step)->builtin_data);
  const std::vector<int> id = Dims(input), fd = Dims(filter);
  const int ch = id[3], kh = fd[1], kw = fd[2];
  int oh = 0, ow = 0;
  const TfLitePaddingValues pv = kernels::ComputePaddingHeightWidth(
      p->stride_height, p->stride_width, p->dilation_height_factor, p->dilation_width_factor, id[1], id[2], kh, kw,
      p->padding, &oh, &ow);
  const View& iv = ts_[in(step, 0)].view;
  const View& ov = ts_[out(step)].view;
  const bool uint8 = input->type == kTfLiteUInt8;
  const int32_t wzp = uint8 ? filter->params.zero_point : 0;
  std::vector<int32_t> mult, shift;
  int32_t lo = -128, hi = 127;
  RETURN_IF_ERROR(ConvQuant(step, ch, &mult, &shift, &lo, &hi, true));
  const int32_t xzp = DeviceZeroPoint(input);

  // Parameters: per tap, the parts of its ch weights; then per channel tile
  // bias/mult/shift.
  std::vector<uint8_t>& P = oc->params;
  std::vector<int64_t> wsum(ch, 0);
  struct Tap {
    int64_t off;
    std::vector<uint32_t> parts;  // PBUF-relative address of each part's ch weights
  };
  std::vector<Tap> taps;
  for (int ky = 0; ky < kh; ++ky)
    for (int kx = 0; kx < kw; ++kx) {
      std::vector<int32_t> d(ch);
      for (int c = 0; c < ch; ++c) {
        const int64_t i = (int64_t{ky} * kw + kx) * ch + c;
        d[c] = uint8 ? int32_t{filter->data.uint8[i]} - wzp : int32_t{filter->data.int8[i]};
        wsum[c] += d[c];
      }
      Tap t{int64_t{ky} * p->dilation_height_factor * iv.row_pitch +
                int64_t{kx} * p->dilation_width_factor * iv.pix_pitch,
            {}};
      for (auto& part : SplitInt8(d)) {
        t.parts.push_back(static_cast<uint32_t>(P.size()));
        for (int8_t v : part) P.push_back(static_cast<uint8_t>(v));
      }
      taps.push_back(std::move(t));
    }
  const std::vector<int32_t> folded = FoldInputZeroPoint(bias, xzp, wsum);
  const std::vector<uint32_t> tile_at = AddRequantTiles(
      &P, ch, C_, [&](int c) { return folded[c]; }, [&](int c) { return mult[c]; }, [&](int c) { return shift[c]; });
  if (ow > static_cast<int>(hw_.acc_rows)) return OpError(step, "output row longer than the accumulator");
  const int rows_per_block = RowsPerBlock(oh, ow);
  const int64_t origin = Addr(iv, -pv.height, -pv.width);
  const int64_t outer = int64_t{p->stride_height} * iv.row_pitch;
  for (int t = 0, c0 = 0; c0 < ch; c0 += C_, ++t) {
    const int n = std::min(C_, ch - c0);
    for (int oy0 = 0; oy0 < oh; oy0 += rows_per_block) {
      const int rows = std::min(rows_per_block, oh - oy0);
      const int m = rows * ow;
      bool first = true;
      for (const Tap& tap : taps)
        for (uint32_t part : tap.parts) {
          isa::VmaccArgs v;
          v.m = static_cast<uint32_t>(m);
          v.n = static_cast<uint32_t>(n);
          v.accumulate = !first;
          v.acc_addr = 0;
          v.a_addr = static_cast<uint32_t>(origin + oy0 * outer + tap.off + c0);
          v.a_inner_count = static_cast<uint32_t>(ow);
          v.a_inner_stride = static_cast<uint32_t>(int64_t{p->stride_width} * iv.pix_pitch);
          v.a_outer_stride = static_cast<uint32_t>(outer);
          v.w_addr = part + static_cast<uint32_t>(c0);
          oc->compute.push_back(Instruction{{}, v});
          oc->macs += uint64_t(m) * n;
          first = false;
        }
      EmitPostproc(ov, oy0, rows, ow, c0, n, tile_at[t], DeviceZeroPoint(output), lo, hi, Requant::kTwoStep, oc);
    }
  }
  return Status::Ok();
}

Status PartitionCompiler::LowerEltwise(int step, OpCode* oc) {
  TfLiteTensor* in1 = &ctx_->tensors[in(step, 0)];
  TfLiteTensor* in2 = &ctx_->tensors[in(step, 1)];
  TfLiteTensor* outp = &ctx_->tensors[out(step)];
  const int c = code(step);
  const void* bd = node(step)->builtin_data;
  const TfLiteFusedActivation act =
      bd == nullptr ? kTfLiteActNone
      : c == tflite::BuiltinOperator_ADD ? static_cast<const TfLiteAddParams*>(bd)->activation
      : c == tflite::BuiltinOperator_SUB ? static_cast<const TfLiteSubParams*>(bd)->activation
                                          : static_cast<const TfLiteMulParams*>(bd)->activation;
  int32_t lo = 0, hi = 0;
  if (kernels::CalculateActivationRangeQuantized(ctx_, act, outp, &lo, &hi) != kTfLiteOk)
    return OpError(step, "activation range");
  lo -= DeviceOffset(outp);
  hi -= DeviceOffset(outp);
  int32_t ls = 0, m1 = 0, m2 = 0, mo = 0;
  int s1 = 0, s2 = 0, so = 0;
  if (c == tflite::BuiltinOperator_MUL) {
    const double real = in1->params.scale * in2->params.scale / outp->params.scale;
    if (!QuantizeMultiplier(real, &mo, &so)) return OpError(step, "output multiplier cannot be represented");
  } else {
    ls = 20;
    const double twice_max = 2 * std::max(in1->params.scale, in2->params.scale);
    const double r1 = in1->params.scale / twice_max, r2 = in2->params.scale / twice_max;
    const double ro = twice_max / ((1 << ls) * outp->params.scale);
    if (!QuantizeMultiplierSmallerThanOneExp(r1, &m1, &s1) || !QuantizeMultiplierSmallerThanOneExp(r2, &m2, &s2) ||
        !QuantizeMultiplierSmallerThanOneExp(ro, &mo, &so))
      return OpError(step, "rescale multipliers cannot be represented");
  }
  if (so < -31 || so > 31 || s1 < -31 || s2 < -31) return OpError(step, "shift outside [-31, 31]");
  auto setreg = [&](isa::VReg r, int32_t a, int32_t b, int32_t d) {
    isa::SetregArgs s;
    s.vreg = static_cast<uint32_t>(r);
    s.count = 3;
    s.value0 = a, s.value1 = b, s.value2 = d;
    oc->compute.push_back(Instruction{{}, s});
  };
  setreg(isa::VReg::kIn1Zp, DeviceZeroPoint(in1), DeviceZeroPoint(in2), DeviceZeroPoint(outp));
  setreg(isa::VReg::kActMin, lo, hi, ls);
  setreg(isa::VReg::kIn1Mult, m1, s1, m2);
  setreg(isa::VReg::kIn2Shift, s2, mo, so);
  View a = ts_[in(step, 0)].view;
  View b = ts_[in(step, 1)].view;
  const View& o = ts_[out(step)].view;
  for (int i = 0; i < 2; ++i) {
    auto it = expand_root_.find({step, i});
    if (it == expand_root_.end()) continue;
    const View src = i == 0 ? a : b;
    View dst{it->second, 0, int64_t{o.w} * o.c, o.c, o.h, o.w, o.c};
    ExpandBroadcast(src, Dims(T(in(step, i))), dst, Dims(outp), oc);
    (i == 0 ? a : b) = dst;
  }
  const bool flat = a.row_pitch == int64_t{a.w} * a.c && b.row_pitch == int64_t{b.w} * b.c &&
                    o.row_pitch == int64_t{o.w} * o.c;
  const int rows = flat ? 1 : o.h;
  const int64_t len = flat ? int64_t{o.h} * o.w * o.c : int64_t{o.w} * o.c;
  for (int y = 0; y < rows; ++y) {
    const uint32_t s1a = static_cast<uint32_t>(Addr(a, y, 0)), s2a = static_cast<uint32_t>(Addr(b, y, 0));
    const uint32_t d = static_cast<uint32_t>(Addr(o, y, 0));
    if (c == tflite::BuiltinOperator_ADD) oc->compute.push_back(Instruction{{}, isa::VaddArgs{uint32_t(len), s1a, s2a, d}});
    else if (c == tflite::BuiltinOperator_SUB) oc->compute.push_back(Instruction{{}, isa::VsubArgs{uint32_t(len), s1a, s2a, d}});
    else oc->compute.push_back(Instruction{{}, isa::VmulArgs{uint32_t(len), s1a, s2a, d}});
  }
  return Status::Ok();
}

Status PartitionCompiler::LowerPool(int step, OpCode* oc) {
  const auto* p = static_cast<const TfLitePoolParams*>(node(step)->builtin_data);
  TfLiteTensor* output = &ctx_->tensors[out(step)];
  const bool is_max = code(step) == tflite::BuiltinOperator_MAX_POOL_2D;
  const View& iv = ts_[in(step, 0)].view;
  const View& ov = ts_[out(step)].view;
  const int H = iv.h, W = iv.w, ch = iv.c;
  int oh = 0, ow = 0;
  const TfLitePaddingValues pv = kernels::ComputePaddingHeightWidth(
      p->stride_height, p->stride_width, 1, 1, H, W, p->filter_height, p->filter_width, p->padding, &oh, &ow);
  int32_t lo = 0, hi = 0;
  if (kernels::CalculateActivationRangeQuantized(ctx_, p->activation, output, &lo, &hi) != kTfLiteOk)
    return OpError(step, "activation range");
  lo -= DeviceOffset(output);
  hi -= DeviceOffset(output);
  isa::SetregArgs sr;
  sr.vreg = static_cast<uint32_t>(isa::VReg::kActMin);
  sr.count = 2;
  sr.value0 = lo, sr.value1 = hi;
  oc->compute.push_back(Instruction{{}, sr});
  auto emit = [&](int m, int kh, int kw, int64_t a_addr, int inner, int64_t inner_stride, int64_t outer,
                  int64_t dst) {
    for (int c0 = 0; c0 < ch; c0 += C_) {
      const int n = std::min(C_, ch - c0);
      auto fill = [&](auto& a) {
        a.m = static_cast<uint32_t>(m);
        a.n = static_cast<uint32_t>(n);
        a.kh = static_cast<uint32_t>(kh);
        a.kw = static_cast<uint32_t>(kw);
        a.a_addr = static_cast<uint32_t>(a_addr + c0);
        a.dst_addr = static_cast<uint32_t>(dst + c0);
        a.a_inner_count = static_cast<uint32_t>(inner);
        a.win_col_stride = static_cast<uint32_t>(iv.pix_pitch);
        a.a_inner_stride = static_cast<uint32_t>(inner_stride);
        a.dst_stride = static_cast<uint32_t>(ov.pix_pitch);
        a.a_outer_stride = static_cast<uint32_t>(outer);
        a.win_row_stride = static_cast<uint32_t>(iv.row_pitch);
      };
      if (is_max) {
        isa::MaxpoolArgs a;
        fill(a);
        oc->compute.push_back(Instruction{{}, a});
      } else {
        isa::AvgpoolArgs a;
        fill(a);
        oc->compute.push_back(Instruction{{}, a});
      }
    }
  };
  const int64_t sw_b = int64_t{p->stride_width} * iv.pix_pitch;
  const int64_t sh_b = int64_t{p->stride_height} * iv.row_pitch;
  if (!is_max && output->type == kTfLiteUInt8) {
    // TFLite's UINT8 average rounds half up: sum with VMACC (weights 1),
    // then divide exactly with a single-rounding multiplier in POSTPROC.
    const int n_win = p->filter_height * p->filter_width;
    int32_t mult = 0;
    int shift = 0;
    if (!FindRoundingDivisor(n_win, 255 * int64_t{n_win}, &mult, &shift))
      return OpError(step, "no exact divisor");
    oc->compute.pop_back();  // the SETREG is not needed
    std::vector<uint8_t>& P = oc->params;
    const uint32_t ones = static_cast<uint32_t>(P.size());
    for (int i = 0; i < C_; ++i) P.push_back(1);
    // Bias 128 * n: device values are value - 128.
    const std::vector<uint32_t> tile_at = AddRequantTiles(
        &P, ch, C_, [&](int) { return 128 * n_win; }, [&](int) { return mult; }, [&](int) { return shift; });
    if (ow > static_cast<int>(hw_.acc_rows)) return OpError(step, "output row longer than the accumulator");
    const int rows_per_block = RowsPerBlock(oh, ow);
    for (int t = 0, c0 = 0; c0 < ch; c0 += C_, ++t) {
      const int n = std::min(C_, ch - c0);
      for (int oy0 = 0; oy0 < oh; oy0 += rows_per_block) {
        const int rows = std::min(rows_per_block, oh - oy0);
        bool first = true;
        for (int ky = 0; ky < p->filter_height; ++ky)
          for (int kx = 0; kx < p->filter_width; ++kx) {
            isa::VmaccArgs v;
            v.m = static_cast<uint32_t>(rows * ow);
            v.n = static_cast<uint32_t>(n);
            v.accumulate = !first;
            v.a_addr = static_cast<uint32_t>(Addr(iv, int64_t{oy0} * p->stride_height + ky, kx) + c0);
            v.a_inner_count = static_cast<uint32_t>(ow);
            v.a_inner_stride = static_cast<uint32_t>(sw_b);
            v.a_outer_stride = static_cast<uint32_t>(sh_b);
            v.w_addr = ones;
            oc->compute.push_back(Instruction{{}, v});
            first = false;
          }
        EmitPostproc(ov, oy0, rows, ow, c0, n, tile_at[t], -128, lo, hi, Requant::kSingle, oc);
      }
    }
    return Status::Ok();
  }
  const bool valid_all = pv.height == 0 && pv.width == 0 && (oh - 1) * p->stride_height + p->filter_height <= H &&
                         (ow - 1) * p->stride_width + p->filter_width <= W;
  const bool out_rows_contiguous = ov.row_pitch == int64_t{ow} * ov.pix_pitch;
  if (valid_all && out_rows_contiguous && int64_t{oh} * ow <= 65535 && sh_b < (1 << 24) && sw_b < (1 << 24)) {
    emit(oh * ow, p->filter_height, p->filter_width, Addr(iv, 0, 0), ow, sw_b, sh_b, Addr(ov, 0, 0));
    return Status::Ok();
  }
  // Clipped windows (TFLite counts only the valid cells): per output row,
  // runs of output pixels with the same clipped window.
  for (int oy = 0; oy < oh; ++oy) {
    const int iy0 = oy * p->stride_height - pv.height;
    const int fy0 = std::max(0, -iy0), fy1 = std::min(p->filter_height, H - iy0);
    if (fy1 <= fy0) return OpError(step, "empty pooling window");
    int ox = 0;
    while (ox < ow) {
      const int ix0 = ox * p->stride_width - pv.width;
      const int fx0 = std::max(0, -ix0), fx1 = std::min(p->filter_width, W - ix0);
      if (fx1 <= fx0) return OpError(step, "empty pooling window");
      int run = 1;
      while (ox + run < ow) {
        const int jx = (ox + run) * p->stride_width - pv.width;
        if (std::max(0, -jx) != fx0 || std::min(p->filter_width, W - jx) != fx1) break;
        ++run;
      }
      emit(run, fy1 - fy0, fx1 - fx0, Addr(iv, iy0 + fy0, ix0 + fx0), run, sw_b, 0, Addr(ov, oy, ox));
      ox += run;
    }
  }
  return Status::Ok();
}

Status PartitionCompiler::LowerLut(int step, OpCode* oc) {
  ASSIGN_OR_RETURN(std::vector<uint8_t> table, BuildLut(ctx_, spec_.nodes[step], OpName(code(step)), opts_.flavor));
  const uint32_t lut = static_cast<uint32_t>(oc->params.size());
  oc->params.insert(oc->params.end(), table.begin(), table.end());
  const View& a = ts_[in(step, 0)].view;
  const View& o = ts_[out(step)].view;
  const bool flat = a.row_pitch == int64_t{a.w} * a.c && o.row_pitch == int64_t{o.w} * o.c;
  const int rows = flat ? 1 : o.h;
  const int64_t len = flat ? int64_t{o.h} * o.w * o.c : int64_t{o.w} * o.c;
  for (int y = 0; y < rows; ++y) {
    isa::VlutArgs v;
    v.len = static_cast<uint32_t>(len);
    v.src = static_cast<uint32_t>(Addr(a, y, 0));
    v.dst = static_cast<uint32_t>(Addr(o, y, 0));
    v.lut_addr = lut;
    oc->compute.push_back(Instruction{{}, v});
  }
  return Status::Ok();
}

// SOFTMAX over the last dimension (C): one instruction per run of pixels
// whose C-vectors are contiguous in both views, at most 65535 rows each. The
// exponent table is TFLite's own (kernels::PopulateSoftmaxTable), as float32.
Status PartitionCompiler::LowerSoftmax(int step, OpCode* oc) {
  const TfLiteTensor* in_t = T(in(step, 0));
  const TfLiteTensor* out_t = T(out(step));
  const auto* p = static_cast<const TfLiteSoftmaxParams*>(node(step)->builtin_data);
  float table[256];
  kernels::PopulateSoftmaxTable(in_t->params.scale, p == nullptr ? 1.0f : p->beta, table);
  const uint32_t table_addr = static_cast<uint32_t>(oc->params.size());
  for (float v : table) {
    const uint32_t b = f32::Bits(v);
    for (int k = 0; k < 4; ++k) oc->params.push_back(static_cast<uint8_t>(b >> (8 * k)));
  }
  const View& a = ts_[in(step, 0)].view;
  const View& o = ts_[out(step)].view;
  const bool pixels_contiguous = a.pix_pitch == a.c && o.pix_pitch == o.c;
  const bool rows_contiguous = pixels_contiguous && a.row_pitch == int64_t{a.w} * a.c &&
                               o.row_pitch == int64_t{o.w} * o.c;
  const int64_t total = int64_t{o.h} * o.w;  // rows of the softmax
  const int64_t run = rows_contiguous ? total : pixels_contiguous ? o.w : 1;
  for (int64_t first = 0; first < total; first += run) {
    const int64_t y = first / o.w, x = first % o.w;
    for (int64_t done = 0; done < run; done += 65535) {
      isa::SoftmaxArgs s;
      s.m = static_cast<uint32_t>(std::min<int64_t>(65535, run - done));
      s.len = static_cast<uint32_t>(o.c);
      s.trunc_round = out_t->type == kTfLiteUInt8;
      s.src = static_cast<uint32_t>(Addr(a, y, x) + done * a.c);
      s.dst = static_cast<uint32_t>(Addr(o, y, x) + done * o.c);
      s.table_addr = table_addr;
      s.scale = f32::Bits(out_t->params.scale);
      s.out_zp = out_t->type == kTfLiteUInt8 ? -128 : out_t->params.zero_point;
      oc->compute.push_back(Instruction{{}, s});
    }
  }
  return Status::Ok();
}

Status PartitionCompiler::LowerCopy(int step, OpCode* oc) {
  // Identity table; copies run by run (flat element order).
  const uint32_t lut = AddIdentityLut(&oc->params);
  const View& a = ts_[in(step, 0)].view;
  View o = ts_[out(step)].view;
  if (code(step) == tflite::BuiltinOperator_PAD) {
    const int32_t* pd = T(in(step, 1))->data.i32;
    o.offset += int64_t{pd[2]} * o.row_pitch + int64_t{pd[4]} * o.pix_pitch;
    o.h = a.h, o.w = a.w;
  }
  CopyRuns(a, 0, o, 0, int64_t{a.h} * a.w * a.c, lut, oc);
  return Status::Ok();
}

// MEAN over H and W (TFLite's optimized 4-D path): the integer sum of the raw
// values accumulated tap by tap with VMACC (weights 1), then POSTPROC with
// TFLite's multiplier and the offset as output zero point.
Status PartitionCompiler::LowerMean(int step, OpCode* oc) {
  const TfLiteTensor* input = T(in(step, 0));
  const TfLiteTensor* output = T(out(step));
  const View& iv = ts_[in(step, 0)].view;
  const View& ov = ts_[out(step)].view;
  const int count = iv.h * iv.w;
  const float real = input->params.scale / (static_cast<float>(count) * output->params.scale);
  int32_t mult = 0;
  int shift = 0;
  QuantizeMultiplier(static_cast<double>(real), &mult, &shift);
  std::vector<uint8_t>& P = oc->params;
  const uint32_t ones = static_cast<uint32_t>(P.size());
  for (int i = 0; i < C_; ++i) P.push_back(1);
  // Raw sums: uint8 device values are value - 128.
  const std::vector<uint32_t> tile_at = AddRequantTiles(
      &P, iv.c, C_, [&](int) { return DeviceOffset(input) * count; }, [&](int) { return mult; },
      [&](int) { return shift; });
  const int32_t offset = MeanOutputOffset(input, output);
  for (int t = 0, c0 = 0; c0 < iv.c; c0 += C_, ++t) {
    const int n = std::min(C_, iv.c - c0);
    bool first = true;
    for (int y = 0; y < iv.h; ++y)
      for (int x = 0; x < iv.w; ++x) {
        isa::VmaccArgs v;
        v.m = 1;
        v.n = static_cast<uint32_t>(n);
        v.accumulate = !first;
        v.acc_addr = 0;
        v.a_addr = static_cast<uint32_t>(Addr(iv, y, x) + c0);
        v.a_inner_count = 1;
        v.w_addr = ones;
        oc->compute.push_back(Instruction{{}, v});
        oc->macs += static_cast<uint64_t>(n);
        first = false;
      }
    EmitPostproc(ov, 0, 1, 1, c0, n, tile_at[t], offset, -128, 127, Requant::kTwoStep, oc);
  }
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

// RESIZE_NEAREST_NEIGHBOR: pixel copies from the probed index map; an output
// row equal to the previous one is one copy of that row.
Status PartitionCompiler::LowerResizeNearest(int step, OpCode* oc) {
  const auto* p = static_cast<const TfLiteResizeNearestNeighborParams*>(node(step)->builtin_data);
  ASSIGN_OR_RETURN(NearestIndices idx, ProbeResizeNearest(opts_.flavor, T(in(step, 0)), T(out(step)), p && p->align_corners,
                                                          p && p->half_pixel_centers));
  const uint32_t lut = AddIdentityLut(&oc->params);
  const View& iv = ts_[in(step, 0)].view;
  const View& ov = ts_[out(step)].view;
  const int64_t row = int64_t{ov.w} * ov.c;
  for (int y = 0; y < ov.h; ++y) {
    if (y > 0 && idx.rows[y] == idx.rows[y - 1]) {
      CopyRuns(ov, (y - 1) * row, ov, y * row, row, lut, oc);
      continue;
    }
    for (int x = 0; x < ov.w; ++x)
      CopyRuns(iv, (int64_t{idx.rows[y]} * iv.w + idx.cols[x]) * iv.c, ov, y * row + int64_t{x} * ov.c, ov.c, lut, oc);
  }
  return Status::Ok();
}

// TRANSPOSE as a gather: the output in row-major order, one copy per run
// that is contiguous in both tensors.
Status PartitionCompiler::LowerTransposeCopy(int step, OpCode* oc) {
  const std::vector<int> id = Dims(T(in(step, 0)));
  const int32_t* perm = T(in(step, 1))->data.i32;
  const int rank = static_cast<int>(id.size());
  std::vector<int> od(rank);
  std::vector<int64_t> in_stride(rank, 1);
  for (int d = rank - 2; d >= 0; --d) in_stride[d] = in_stride[d + 1] * id[d + 1];
  for (int k = 0; k < rank; ++k) od[k] = id[perm[k]];
  int64_t run = 1;
  int inner = rank;  // output dims [inner, rank) form one run
  for (int k = rank - 1, j = rank - 1; k >= 0 && perm[k] == j; --k, --j) run *= id[j], inner = k;
  const uint32_t lut = AddIdentityLut(&oc->params);
  const View& iv = ts_[in(step, 0)].view;
  const View& ov = ts_[out(step)].view;
  std::vector<int> idx(inner, 0);
  int64_t out_flat = 0;
  const int64_t total = NumElements(T(out(step)));
  while (out_flat < total) {
    int64_t src = 0;
    for (int k = 0; k < inner; ++k) src += idx[k] * in_stride[perm[k]];
    CopyRuns(iv, src, ov, out_flat, run, lut, oc);
    out_flat += run;
    for (int k = inner - 1; k >= 0; --k) {
      if (++idx[k] < od[k]) break;
      idx[k] = 0;
    }
  }
  return Status::Ok();
}

// NCHW -> NHWC of a tensor already on chip: STORE it to SCRATCH, then one
// strided LOAD per channel writes it back transposed (as the input DMA does).
Status PartitionCompiler::LowerTransposeDma(int step, OpCode* oc) {
  mid_dma_ = true;
  const View& iv = ts_[in(step, 0)].view;
  const View& ov = ts_[out(step)].view;
  const int64_t bytes = NumElements(T(in(step, 0)));
  const uint64_t home = scratch_bytes_;
  scratch_bytes_ += (bytes + 63) / 64 * 64;
  // compute -> store: the input is written; store -> compute: it is in host memory.
  oc->post.push_back(Instruction{isa::Deps{false, false, false, true}, isa::NopArgs{}});
  const size_t first_store = oc->post.size();
  int64_t flat = 0;
  FlatRuns(iv, 0, bytes, [&](int64_t addr, int64_t len) {
    for (int64_t o = 0; o < len; o += kMaxRowBytes) {
      isa::StoreArgs a;
      a.buffer = static_cast<uint32_t>(isa::Buffer::kAbuf);
      a.region = kRegionScratch;
      a.rows = 1;
      a.row_bytes = static_cast<uint32_t>(std::min<int64_t>(kMaxRowBytes, len - o));
      a.sram_addr = static_cast<uint32_t>(addr + o);
      a.host_offset = static_cast<uint32_t>(home + flat + o);
      oc->post.push_back(Instruction{{}, a});
    }
    flat += len;
  });
  oc->post[first_store].deps.pop_prev = true;
  oc->post.back().deps.push_prev = true;
  oc->post.push_back(Instruction{isa::Deps{false, true, false, false}, isa::NopArgs{}});
  // compute -> load: go ahead; load -> compute: the output is written.
  oc->post.push_back(Instruction{isa::Deps{false, false, true, false}, isa::NopArgs{}});
  const size_t first_load = oc->post.size();
  const int64_t plane = int64_t{ov.h} * ov.w;
  for (int c = 0; c < ov.c; ++c) {
    isa::LoadArgs a;
    a.buffer = static_cast<uint32_t>(isa::Buffer::kAbuf);
    a.region = kRegionScratch;
    a.rows = static_cast<uint32_t>(plane);
    a.row_bytes = 1;
    a.sram_addr = static_cast<uint32_t>(Addr(ov, 0, 0) + c);
    a.sram_stride = static_cast<uint32_t>(ov.pix_pitch);
    a.host_offset = static_cast<uint32_t>(home + c * plane);
    a.host_stride = 1;
    oc->post.push_back(Instruction{{}, a});
  }
  oc->post[first_load].deps.pop_next = true;
  oc->post.back().deps.push_next = true;
  oc->post.push_back(Instruction{isa::Deps{true, false, false, false}, isa::NopArgs{}});
  return Status::Ok();
}

// SPLIT: each output's block of every outer slice copied out of the input.
Status PartitionCompiler::LowerSplit(int step, OpCode* oc) {
  const TfLiteTensor* input = T(in(step, 1));
  const std::vector<int> id = Dims(input);
  int axis = T(in(step, 0))->data.i32[0];
  if (axis < 0) axis += static_cast<int>(id.size());
  int64_t outer = 1;
  for (int d = 0; d < axis; ++d) outer *= id[d];
  const int64_t in_inner = NumElements(input) / std::max<int64_t>(outer, 1);
  const uint32_t lut = AddIdentityLut(&oc->params);
  const View& iv = ts_[in(step, 1)].view;
  int64_t offset = 0;
  for (int i = 0; i < node(step)->outputs->size; ++i) {
    const int t = node(step)->outputs->data[i];
    const int64_t inner = NumElements(T(t)) / std::max<int64_t>(outer, 1);
    for (int64_t o = 0; o < outer; ++o) CopyRuns(iv, o * in_inner + offset, ts_[t].view, o * inner, inner, lut, oc);
    offset += inner;
  }
  return Status::Ok();
}

// CONCATENATION: for each slice of the output before the axis, each input's
// block is copied into place by VLUT (identity, or UINT8 requantization
// tabulated from the CPU kernel).
Status PartitionCompiler::LowerConcat(int step, OpCode* oc) {
  const TfLiteTensor* output = T(out(step));
  const std::vector<int> od = Dims(output);
  const auto* p = static_cast<const TfLiteConcatenationParams*>(node(step)->builtin_data);
  int axis = p ? p->axis : 0;
  if (axis < 0) axis += static_cast<int>(od.size());
  int64_t outer = 1;
  for (int d = 0; d < axis; ++d) outer *= od[d];
  int64_t out_inner = 1;
  for (size_t d = axis; d < od.size(); ++d) out_inner *= od[d];
  const View& ov = ts_[out(step)].view;
  int64_t offset = 0;
  for (int i = 0; i < node(step)->inputs->size; ++i) {
    const TfLiteTensor* input = T(in(step, i));
    const View& iv = ts_[in(step, i)].view;
    const int64_t inner = NumElements(input) / std::max<int64_t>(outer, 1);
    std::vector<uint8_t> table(256);
    const bool same = input->params.scale == output->params.scale &&
                      input->params.zero_point == output->params.zero_point;
    if (same) {
      table = IdentityLut();
    } else {
      ASSIGN_OR_RETURN(table, BuildLutFor(opts_.flavor, input, output, tflite::BuiltinOperator_CONCATENATION,
                                          StrFormat("%s input %d", OpLabel(step).c_str(), i)));
    }
    const uint32_t lut = static_cast<uint32_t>(oc->params.size());
    oc->params.insert(oc->params.end(), table.begin(), table.end());
    for (int64_t o = 0; o < outer; ++o) CopyRuns(iv, o * inner, ov, o * out_inner + offset, inner, lut, oc);
    offset += inner;
  }
  return Status::Ok();
}

Status PartitionCompiler::Lower(int step, OpCode* oc) {
  lowering_step_ = step;
  oc->node = spec_.nodes[step];
  oc->name = OpName(code(step));
  // Roots that come alive at this step get their border/margin fill first.
  for (const Root& r : roots_)
    if (r.first == step && r.needs_fill) EmitFill(r, oc);
  switch (code(step)) {
    case tflite::BuiltinOperator_CONV_2D:
      return LowerConv(step, oc);
    case tflite::BuiltinOperator_DEPTHWISE_CONV_2D:
      if (Dims(T(in(step, 1)))[3] != Dims(T(in(step, 0)))[3]) return LowerConv(step, oc);  // multiplier > 1
      return LowerDepthwise(step, oc);
    case tflite::BuiltinOperator_FULLY_CONNECTED:
      return LowerFullyConnected(step, oc);
    case tflite::BuiltinOperator_ADD:
    case tflite::BuiltinOperator_SUB:
    case tflite::BuiltinOperator_MUL:
      return LowerEltwise(step, oc);
    case tflite::BuiltinOperator_AVERAGE_POOL_2D:
    case tflite::BuiltinOperator_MAX_POOL_2D:
      return LowerPool(step, oc);
    case tflite::BuiltinOperator_RESHAPE:
    case tflite::BuiltinOperator_SQUEEZE:
      if (aliased_copies_.count(step)) return Status::Ok();
      return LowerCopy(step, oc);
    case tflite::BuiltinOperator_PAD:
      if (fused_pads_.count(step)) return Status::Ok();
      return LowerCopy(step, oc);
    case tflite::BuiltinOperator_TRANSPOSE:
      if (transposes_by_copy_.count(step)) return LowerTransposeCopy(step, oc);
      if (transposes_by_dma_.count(step)) return LowerTransposeDma(step, oc);
      return Status::Ok();  // done by the input DMA
    case tflite::BuiltinOperator_MEAN:
      return LowerMean(step, oc);
    case tflite::BuiltinOperator_CONCATENATION:
      return LowerConcat(step, oc);
    case tflite::BuiltinOperator_SPLIT:
      return LowerSplit(step, oc);
    case tflite::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR:
      return LowerResizeNearest(step, oc);
    case tflite::BuiltinOperator_SOFTMAX:
      return LowerSoftmax(step, oc);
    default:
      return LowerLut(step, oc);
  }
}

// ---------------------------------------------------------------- assembly

// PBUF-address fields of an instruction (the relocations of parameter blocks).
void RelocatePbuf(Instruction* insn, uint32_t base) {
  switch (insn->opcode()) {
    case isa::Opcode::kLoadWeights: insn->as<isa::LoadWeightsArgs>().pbuf_addr += base; break;
    case isa::Opcode::kPostproc: insn->as<isa::PostprocArgs>().param_addr += base; break;
    case isa::Opcode::kVmacc: insn->as<isa::VmaccArgs>().w_addr += base; break;
    case isa::Opcode::kVlut: insn->as<isa::VlutArgs>().lut_addr += base; break;
    case isa::Opcode::kSoftmax: insn->as<isa::SoftmaxArgs>().table_addr += base; break;
    default: break;
  }
}

isa::Deps WithFlags(isa::Deps d, bool pop_prev, bool pop_next, bool push_prev, bool push_next) {
  d.pop_prev |= pop_prev;
  d.pop_next |= pop_next;
  d.push_prev |= push_prev;
  d.push_next |= push_next;
  return d;
}

StatusOr<CompiledPartition> PartitionCompiler::Run() {
  RETURN_IF_ERROR(ReadGraph());
  RETURN_IF_ERROR(PlanLayout());
  RETURN_IF_ERROR(Allocate());

  // Preamble: fills of roots alive from the start (partition inputs).
  OpCode pre;
  for (const Root& r : roots_)
    if (r.first == -1 && r.needs_fill) EmitFill(r, &pre);
  std::vector<OpCode> ops(nodes_.size());
  for (size_t s = 0; s < nodes_.size(); ++s) {
    const int step = static_cast<int>(s);
    std::vector<const Root*> to_load, to_store;
    for (Root& r : roots_) {
      if (!r.spilled || !r.seg_addr.count(step)) continue;
      r.addr = r.seg_addr[step];
      if (step == r.first) to_store.push_back(&r);
      else to_load.push_back(&r);
    }
    RETURN_IF_ERROR(Lower(step, &ops[s]));
    // One copy of a whole root buffer between ABUF and SCRATCH, in rows the
    // DMA fields can carry.
    auto copy = [&](const Root& r, bool to_host, std::vector<Instruction>* out) {
      const uint64_t row = 1u << 20;
      for (uint64_t o = 0; o < static_cast<uint64_t>(r.bytes); o += row) {
        const uint32_t len = static_cast<uint32_t>(std::min<uint64_t>(row, r.bytes - o));
        if (to_host) {
          isa::StoreArgs a;
          a.buffer = static_cast<uint32_t>(isa::Buffer::kAbuf);
          a.region = kRegionScratch;
          a.rows = 1;
          a.row_bytes = len;
          a.sram_addr = static_cast<uint32_t>(r.addr + o);
          a.host_offset = static_cast<uint32_t>(r.scratch_offset + o);
          out->push_back(Instruction{{}, a});
        } else {
          isa::LoadArgs a;
          a.buffer = static_cast<uint32_t>(isa::Buffer::kAbuf);
          a.region = kRegionScratch;
          a.rows = 1;
          a.row_bytes = len;
          a.sram_addr = static_cast<uint32_t>(r.addr + o);
          a.host_offset = static_cast<uint32_t>(r.scratch_offset + o);
          out->push_back(Instruction{{}, a});
        }
      }
    };
    if (!to_load.empty() || !to_store.empty()) mid_dma_ = true;
    if (!to_load.empty()) {
      // compute -> load: the segment's bytes are free; load -> compute: loaded.
      OpCode& oc = ops[s];
      oc.pre.push_back(Instruction{isa::Deps{false, false, true, false}, isa::NopArgs{}});
      const size_t first = oc.pre.size();
      for (const Root* r : to_load) copy(*r, false, &oc.pre);
      oc.pre[first].deps.pop_next = true;
      oc.pre.back().deps.push_next = true;
      oc.pre.push_back(Instruction{isa::Deps{true, false, false, false}, isa::NopArgs{}});
    }
    if (!to_store.empty()) {
      // compute -> store: written; store -> compute: stored, the bytes may be reused.
      OpCode& oc = ops[s];
      oc.post.push_back(Instruction{isa::Deps{false, false, false, true}, isa::NopArgs{}});
      const size_t first = oc.post.size();
      for (const Root* r : to_store) copy(*r, true, &oc.post);
      oc.post[first].deps.pop_prev = true;
      oc.post.back().deps.push_prev = true;
      oc.post.push_back(Instruction{isa::Deps{false, true, false, false}, isa::NopArgs{}});
    }
  }

  // Parameter blob: op blocks, 64-byte aligned.
  std::vector<uint8_t> blob;
  std::vector<uint32_t> block_at(ops.size(), 0);
  uint64_t largest_block = 0;
  for (size_t s = 0; s < ops.size(); ++s) {
    Align(&blob, 64);
    block_at[s] = static_cast<uint32_t>(blob.size());
    blob.insert(blob.end(), ops[s].params.begin(), ops[s].params.end());
    largest_block = std::max<uint64_t>(largest_block, ops[s].params.size());
  }
  // Constant elementwise operands follow the op blocks; they go to ABUF with
  // the inputs, never to PBUF.
  const uint64_t pbuf_part = blob.size();
  std::map<int, uint32_t> const_at;
  for (const auto& [t, st] : ts_) {
    if (!st.is_const) continue;
    Align(&blob, 64);
    const_at[t] = static_cast<uint32_t>(blob.size());
    const TfLiteTensor* ct = T(t);
    const uint8_t* b = reinterpret_cast<const uint8_t*>(ct->data.raw);
    for (int64_t i = 0; i < NumElements(ct); ++i) blob.push_back(static_cast<uint8_t>(b[i] - DeviceOffset(ct)));
  }
  const bool cache = opts_.cache_parameters && pbuf_part <= hw_.pbuf_bytes;
  const uint32_t half = (hw_.pbuf_bytes / 2) / 64 * 64;
  if (!cache && mid_dma_)
    return OutOfRange("the parameters (%llu bytes) do not fit the %u-byte parameter cache, and streaming them "
                      "cannot be combined with moving activations through host memory",
                      static_cast<unsigned long long>(blob.size()), hw_.pbuf_bytes);
  if (!cache && largest_block > half)
    return OutOfRange("an operator's parameters (%llu bytes) exceed half the %u-byte parameter cache",
                             static_cast<unsigned long long>(largest_block), hw_.pbuf_bytes);

  // Host regions: inputs and outputs packed in spec order.
  struct Binding {
    int tensor;
    uint32_t offset, size;
  };
  std::vector<Binding> in_b, out_b;
  uint32_t in_bytes = 0, out_bytes = 0;
  for (int t : spec_.inputs) {
    const uint32_t sz = static_cast<uint32_t>(NumElements(T(t)));
    in_b.push_back({t, in_bytes, sz});
    in_bytes += (sz + 63) / 64 * 64;
  }
  for (int t : spec_.outputs) {
    const uint32_t sz = static_cast<uint32_t>(NumElements(T(t)));
    out_b.push_back({t, out_bytes, sz});
    out_bytes += (sz + 63) / 64 * 64;
  }

  sim::ProgramBuilder prog;
  auto load = [&](int buffer, int region, uint64_t host_off, uint64_t host_stride, uint64_t sram, uint64_t sram_stride,
                  uint32_t rows, uint64_t row_bytes, isa::Deps d) {
    isa::LoadArgs a;
    a.buffer = static_cast<uint32_t>(buffer);
    a.region = static_cast<uint32_t>(region);
    a.rows = rows;
    a.row_bytes = static_cast<uint32_t>(row_bytes);
    a.sram_addr = static_cast<uint32_t>(sram);
    a.sram_stride = static_cast<uint32_t>(sram_stride);
    a.host_offset = static_cast<uint32_t>(host_off);
    a.host_stride = static_cast<uint32_t>(host_stride);
    prog.Add(Instruction{d, a});
  };
  // A linear copy host -> PBUF split into rows the fields can carry.
  auto load_linear = [&](uint64_t host_off, uint64_t pbuf_addr, uint64_t bytes, isa::Deps first, isa::Deps last,
                         std::vector<Instruction>* out_list) {
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
    if (list.empty()) list.push_back(Instruction{{}, isa::LoadArgs{static_cast<uint32_t>(isa::Buffer::kPbuf), kRegionParams, 0, 0, 0, 0, 0, 0}});
    list.front().deps = WithFlags(list.front().deps, first.pop_prev, first.pop_next, first.push_prev, first.push_next);
    list.back().deps = WithFlags(list.back().deps, last.pop_prev, last.pop_next, last.push_prev, last.push_next);
    out_list->insert(out_list->end(), list.begin(), list.end());
  };

  // Parameter-load chunk (cached mode).
  std::vector<Instruction> param_chunk;
  if (cache && pbuf_part > 0) load_linear(0, 0, pbuf_part, {}, {}, &param_chunk);

  // 1. Input loads (and constant elementwise operands); the last one signals compute.
  // A tensor's rows go to its view: one DMA row when the view is contiguous.
  auto load_view = [&](int region, uint64_t host_off, const View& v, uint32_t size) -> Status {
    const int64_t row = int64_t{v.w} * v.c;
    if (v.row_pitch == row && size <= kMaxRowBytes) {
      load(static_cast<int>(isa::Buffer::kAbuf), region, host_off, 0, Addr(v, 0, 0), 0, 1, size, {});
      return Status::Ok();
    }
    if (row > kMaxRowBytes) return Unimplemented("tensor row of %lld bytes", static_cast<long long>(row));
    for (int y0 = 0; y0 < v.h; y0 += kMaxRows) {
      const int rows = std::min<int>(kMaxRows, v.h - y0);
      load(static_cast<int>(isa::Buffer::kAbuf), region, host_off + y0 * row, row, Addr(v, y0, 0), v.row_pitch,
           static_cast<uint32_t>(rows), static_cast<uint64_t>(row), {});
    }
    return Status::Ok();
  };
  // Input bands: with cached parameters, a single partition input is loaded in
  // up to kInputBands bands of rows, each signalling compute, and compute
  // waits for a band only before its first instruction that reads it (found
  // from the instructions' ABUF read ranges), so the input DMA overlaps the
  // first layers' compute. (Streamed parameters share the load unit's token
  // stream in a fixed order, so they keep one input token.)
  input_bands_possible_ = cache && in_b.size() == 1 && ts_[in_b[0].tensor].view.h >= 2;
  const bool banded = input_bands_ && input_bands_possible_;
  struct Band {
    uint64_t begin, end;  // ABUF bytes the band writes are inside [begin, end)
  };
  std::vector<Band> bands;
  std::vector<size_t> band_last;  // last load of each band
  for (const auto& [t, off] : const_at)
    RETURN_IF_ERROR(load_view(kRegionParams, off, ts_[t].view, static_cast<uint32_t>(NumElements(T(t)))));
  for (const Binding& b : in_b) {
    const TensorState& ist = ts_[b.tensor];
    const bool transposed = ist.transposed_by >= 0;
    const View& v = transposed ? ts_[out(ist.transposed_by)].view : ist.view;
    const int nb = banded ? std::min(kInputBands, v.h) : 1;
    for (int k = 0; k < nb; ++k) {
      const int y0 = v.h * k / nb, y1 = v.h * (k + 1) / nb;
      if (transposed) {
        // NCHW in host memory -> NHWC on chip: one strided DMA per channel.
        const int64_t plane = int64_t{v.h} * v.w;
        for (int c = 0; c < v.c; ++c)
          load(static_cast<int>(isa::Buffer::kAbuf), kRegionInput, b.offset + c * plane + int64_t{y0} * v.w, 1,
               Addr(v, y0, 0) + c, v.pix_pitch, static_cast<uint32_t>(int64_t{y1 - y0} * v.w), 1, {});
      } else {
        View rows = v;
        rows.offset += int64_t{y0} * v.row_pitch;
        rows.h = y1 - y0;
        RETURN_IF_ERROR(load_view(kRegionInput, b.offset + uint64_t(y0) * v.w * v.c, rows,
                                  static_cast<uint32_t>(int64_t{y1 - y0} * v.w * v.c)));
      }
      if (nb > 1) {
        band_last.push_back(prog.instructions().size() - 1);
        bands.push_back({static_cast<uint64_t>(Addr(v, y0, 0)),
                         static_cast<uint64_t>(k + 1 == nb ? Addr(v, v.h - 1, 0) + int64_t{v.w} * v.pix_pitch
                                                           : Addr(v, y1, 0))});
      }
    }
  }
  // Mark the last input load (of each band): copy out, patch, re-add
  // (ProgramBuilder keeps words).
  std::vector<Instruction> seq = prog.instructions();
  if (seq.empty()) return InvalidArgument("partition has no inputs");
  for (size_t i : band_last) seq[i].deps.push_next = true;
  seq.back().deps.push_next = true;

  // 2. Parameter streaming loads are interleaved with the ops' compute.
  std::vector<int> pblocks;  // steps with a non-empty block, in order
  for (size_t s = 0; s < ops.size(); ++s)
    if (!ops[s].params.empty()) pblocks.push_back(static_cast<int>(s));
  std::map<int, int> block_index;  // step -> j
  for (size_t j = 0; j < pblocks.size(); ++j) block_index[pblocks[j]] = static_cast<int>(j);
  auto stream_load = [&](size_t j) {
    const int s = pblocks[j];
    const uint32_t dst = static_cast<uint32_t>((j % 2) * half);
    load_linear(block_at[s], dst, ops[s].params.size(), isa::Deps{false, j >= 2, false, false},
                isa::Deps{false, false, false, true}, &seq);
  };
  if (!cache) {
    for (size_t j = 0; j < std::min<size_t>(2, pblocks.size()); ++j) stream_load(j);
  }

  // 3. Compute: wait for inputs, run the ops, signal the stores.
  std::vector<std::pair<uint64_t, uint64_t>> op_ranges;  // (first index, count) in the INFERENCE chunk
  seq.push_back(Instruction{isa::Deps{true, false, false, false}, isa::NopArgs{}});  // (the first band)
  size_t bands_popped = 1;
  auto pop_band = [&]() {
    seq.push_back(Instruction{isa::Deps{true, false, false, false}, isa::NopArgs{}});
    ++bands_popped;
  };
  auto wait_for_bands = [&](const Instruction& insn) {
    size_t need = 0;
    for (const auto& [b, e] : sim::AbufReads(insn))
      for (size_t k = bands_popped; k < bands.size(); ++k)
        if (b < bands[k].end && bands[k].begin < e) need = std::max(need, k + 1);
    while (bands_popped < need) pop_band();
  };
  auto wait_for_all_bands = [&]() {
    while (bands_popped < bands.size()) pop_band();
  };
  for (Instruction& i : pre.compute) {
    wait_for_bands(i);
    seq.push_back(i);
  }
  for (size_t s = 0; s < ops.size(); ++s) {
    const uint64_t begin = seq.size();
    auto bi = block_index.find(static_cast<int>(s));
    const bool has_block = bi != block_index.end();
    const uint32_t base = cache ? block_at[s] : has_block ? static_cast<uint32_t>((bi->second % 2) * half) : 0;
    if (!cache && has_block) seq.push_back(Instruction{isa::Deps{true, false, false, false}, isa::NopArgs{}});
    // Between-op DMA shares the load unit's token stream: every band first.
    if (!ops[s].pre.empty() || !ops[s].post.empty()) wait_for_all_bands();
    seq.insert(seq.end(), ops[s].pre.begin(), ops[s].pre.end());
    for (Instruction insn : ops[s].compute) {
      RelocatePbuf(&insn, base);
      wait_for_bands(insn);
      seq.push_back(insn);
    }
    seq.insert(seq.end(), ops[s].post.begin(), ops[s].post.end());
    if (!cache && has_block) {
      const size_t j = static_cast<size_t>(bi->second);
      // Free this half for block j+2, then queue that block's load.
      if (j + 2 < pblocks.size()) {
        seq.push_back(Instruction{isa::Deps{false, false, true, false}, isa::NopArgs{}});
        stream_load(j + 2);
      }
    }
    op_ranges.push_back({begin, seq.size() - begin});
  }
  wait_for_all_bands();
  seq.push_back(Instruction{isa::Deps{false, false, false, true}, isa::NopArgs{}});

  // 4. Output stores after the compute token.
  bool first_store = true;
  for (const Binding& b : out_b) {
    const View& v = ts_[b.tensor].view;
    const int64_t row = int64_t{v.w} * v.c;
    auto store = [&](uint64_t host_off, uint64_t host_stride, uint64_t sram, uint64_t sram_stride, uint32_t rows,
                     uint64_t row_bytes) {
      isa::StoreArgs a;
      a.buffer = static_cast<uint32_t>(isa::Buffer::kAbuf);
      a.region = kRegionOutput;
      a.rows = rows;
      a.row_bytes = static_cast<uint32_t>(row_bytes);
      a.sram_addr = static_cast<uint32_t>(sram);
      a.sram_stride = static_cast<uint32_t>(sram_stride);
      a.host_offset = static_cast<uint32_t>(host_off);
      a.host_stride = static_cast<uint32_t>(host_stride);
      seq.push_back(Instruction{isa::Deps{first_store, false, false, false}, a});
      first_store = false;
    };
    if (v.row_pitch == row && b.size <= kMaxRowBytes) {
      store(b.offset, 0, Addr(v, 0, 0), 0, 1, b.size);
    } else {
      if (row > kMaxRowBytes) return Unimplemented("output row of %lld bytes", static_cast<long long>(row));
      for (int y0 = 0; y0 < v.h; y0 += kMaxRows) {
        const int rows = std::min<int>(kMaxRows, v.h - y0);
        store(b.offset + y0 * row, row, Addr(v, y0, 0), v.row_pitch, static_cast<uint32_t>(rows),
              static_cast<uint64_t>(row));
      }
    }
  }
  if (first_store) return InvalidArgument("partition has no outputs");

  // Encode.
  sim::ProgramBuilder inference, params_prog;
  for (const Instruction& i : seq) inference.Add(i);
  for (const Instruction& i : param_chunk) params_prog.Add(i);
  RETURN_IF_ERROR(inference.status());
  RETURN_IF_ERROR(params_prog.status());

  // Estimate (and validate against the configuration, as the device will).
  std::vector<uint8_t> in_buf(std::max<uint32_t>(in_bytes, 1)), out_buf(std::max<uint32_t>(out_bytes, 1));
  std::vector<uint8_t> blob_copy = blob;
  if (blob_copy.empty()) blob_copy.resize(1);
  sim::HostMemory host;
  RETURN_IF_ERROR(host.Map(kRegionParams, blob_copy.data(), blob_copy.size(), true, false));
  RETURN_IF_ERROR(host.Map(kRegionInput, in_buf.data(), in_buf.size(), true, false));
  RETURN_IF_ERROR(host.Map(kRegionOutput, out_buf.data(), out_buf.size(), false, true));
  std::vector<uint8_t> scratch_buf(scratch_bytes_);
  if (scratch_bytes_ > 0) RETURN_IF_ERROR(host.Map(kRegionScratch, scratch_buf.data(), scratch_buf.size(), true, true));
  ASSIGN_OR_RETURN(sim::Estimate est, sim::EstimateCycles(inference.words(), hw_, host));

  CompiledPartition result;
  CompileReport& rep = result.report;
  rep.estimated_cycles = est.cycles;
  rep.cached_parameter_bytes = cache ? pbuf_part : 0;
  rep.streamed_parameter_bytes = cache ? 0 : pbuf_part;
  rep.abuf_peak_bytes = abuf_peak_;
  rep.pbuf_peak_bytes = cache ? pbuf_part : std::min<uint64_t>(pbuf_part, 2ull * half);
  rep.instructions = seq.size();
  const sim::CoreConfig core = hw_.core();
  for (size_t s = 0; s < ops.size(); ++s) {
    OpReport o;
    o.node_index = ops[s].node;
    o.op = ops[s].name;
    o.macs = ops[s].macs;
    for (uint64_t i = op_ranges[s].first; i < op_ranges[s].first + op_ranges[s].second; ++i)
      if (seq[i].unit() == isa::Unit::kCompute) o.estimated_cycles += sim::ComputeCycles(seq[i], core);
    o.num_instructions = static_cast<int>(op_ranges[s].second);
    rep.macs += o.macs;
    rep.ops.push_back(o);
  }

  // Flatbuffer.
  flatbuffers::FlatBufferBuilder fb(1 << 16);
  auto words_bytes = [&](const std::vector<isa::InsnWord>& w) {
    std::vector<uint8_t> b(w.size() * sizeof(isa::InsnWord));
    if (!w.empty()) std::memcpy(b.data(), w.data(), b.size());
    return fb.CreateVector(b);
  };
  std::vector<flatbuffers::Offset<exe::Chunk>> chunks;
  if (cache && !blob.empty()) chunks.push_back(exe::CreateChunk(fb, exe::ChunkKind_PARAMETER_LOAD, words_bytes(params_prog.words())));
  chunks.push_back(exe::CreateChunk(fb, exe::ChunkKind_INFERENCE, words_bytes(inference.words())));
  auto chunks_v = fb.CreateVector(chunks);
  fb.ForceVectorAlignment(blob.size(), 1, 16);
  auto params_v = fb.CreateVector(blob);
  auto bindings = [&](const std::vector<Binding>& bs, exe::Region region) {
    std::vector<flatbuffers::Offset<exe::TensorBinding>> v;
    for (const Binding& b : bs) {
      const TfLiteTensor* t = T(b.tensor);
      auto name = fb.CreateString(t->name ? t->name : "");
      auto shape = fb.CreateVector(Dims(t));
      v.push_back(exe::CreateTensorBinding(fb, name, b.tensor, t->type == kTfLiteUInt8 ? 3 : 9, shape, region, b.offset,
                                           b.size, t->type == kTfLiteUInt8));
    }
    return fb.CreateVector(v);
  };
  auto ins_v = bindings(in_b, exe::Region_INPUT);
  auto outs_v = bindings(out_b, exe::Region_OUTPUT);
  std::vector<flatbuffers::Offset<exe::OpRecord>> recs;
  for (size_t s = 0; s < ops.size(); ++s) {
    recs.push_back(exe::CreateOpRecord(fb, rep.ops[s].node_index, fb.CreateString(rep.ops[s].op),
                                       static_cast<uint32_t>(op_ranges[s].first),
                                       static_cast<uint32_t>(op_ranges[s].second), rep.ops[s].macs,
                                       rep.ops[s].estimated_cycles));
  }
  auto recs_v = fb.CreateVector(recs);
  auto stats = exe::CreateStats(fb, rep.macs, rep.estimated_cycles, rep.cached_parameter_bytes,
                                rep.streamed_parameter_bytes, rep.abuf_peak_bytes, rep.pbuf_peak_bytes);
  auto cfg = exe::CreateHardwareConfig(fb, hw_.rows, hw_.cols, hw_.abuf_bytes, hw_.pbuf_bytes, hw_.acc_rows);
  auto producer = fb.CreateString(StrFormat("systole-compiler %u; parameters %s; tflite flavor %s",
                                            kExecutableFormatVersion, cache ? "cached" : "streamed",
                                            TfliteFlavorName(opts_.flavor)));
  auto root = exe::CreateExecutable(fb, kExecutableFormatVersion, isa::kIsaVersion, cfg, chunks_v, params_v, ins_v,
                                    outs_v, in_bytes, out_bytes, static_cast<uint32_t>(scratch_bytes_), recs_v, stats,
                                    producer, static_cast<uint8_t>(opts_.flavor));
  fb.Finish(root, exe::ExecutableIdentifier());
  result.executable.assign(fb.GetBufferPointer(), fb.GetBufferPointer() + fb.GetSize());
  return result;
}

}  // namespace

StatusOr<CompiledPartition> CompilePartition(TfLiteContext* context, const PartitionSpec& partition,
                                             const CompileOptions& options) {
  RETURN_IF_ERROR(options.hw.Validate());
  // Compiled twice, with the partition input loaded whole and in row bands
  // overlapping the first layers; the estimator picks (each band costs the
  // link's per-transfer latency, so banding wins only when compute can hide it).
  PartitionCompiler first(context, partition, options, false);
  StatusOr<CompiledPartition> whole = first.Run();
  if (!whole.ok() || !first.input_bands_possible()) return whole;
  StatusOr<CompiledPartition> banded = PartitionCompiler(context, partition, options, true).Run();
  if (banded.ok() && banded->report.estimated_cycles < whole->report.estimated_cycles) return banded;
  return whole;
}

}  // namespace systole::compiler
