// Layout: the partition's graph (ReadGraph) and a view in ABUF for every
// activation tensor (PlanLayout): borders for SAME-padded convolution
// readers, fused PADs, aliased RESHAPE/SQUEEZE, DMA-transposed inputs, root
// buffers and their lifetimes (docs/compiler.md, "Layout of activations").
#include <algorithm>
#include <climits>

#include "compiler/partition.h"
#include "interpreter/quant_arith.h"
#include "schema/tflite_generated.h"

namespace systole::compiler {

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

// SAME-padding borders needed by convolution readers.
void PartitionCompiler::PlanBorders() {
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
        quant_arith::PaddingHeightWidth(sh, sw, dh, dw, id[1], id[2], fd[1], fd[2], pad, &oh, &ow);
    TensorState& st = ts_[in(s, 0)];
    const int need_b = std::max(0, (oh - 1) * sh + (fd[1] - 1) * dh + 1 - pv.height - id[1]);
    const int need_r = std::max(0, (ow - 1) * sw + (fd[2] - 1) * dw + 1 - pv.width - id[2]);
    st.bt = std::max(st.bt, pv.height);
    st.bl = std::max(st.bl, pv.width);
    st.bb = std::max(st.bb, need_b);
    st.br = std::max(st.br, need_r);
  }
}

// PAD fusion: the input's only reader is the PAD. Returns input tensor ->
// (pad step, output tensor) of the fused PADs.
std::map<int, std::pair<int, int>> PartitionCompiler::PlanFusedPads() {
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
  return pad_child;
}

// A root buffer for tensor t with the borders its readers need.
void PartitionCompiler::MakeRoot(int t) {
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
}

// Views, in an order where a view's parent exists first: roots first.
void PartitionCompiler::MakeViews(const std::map<int, std::pair<int, int>>& pad_child) {
  // Walk tensors in dataflow order: partition inputs, then op outputs.
  std::vector<int> order(spec_.inputs.begin(), spec_.inputs.end());
  for (const auto& [t, st] : ts_)
    if (st.is_const) order.push_back(t);
  for (size_t s = 0; s < nodes_.size(); ++s)
    for (int i = 0; i < node(s)->outputs->size; ++i) order.push_back(node(s)->outputs->data[i]);

  // PAD outputs must have views before their fused children: give them roots
  // up front (a PAD output is always a root).
  for (size_t s = 0; s < nodes_.size(); ++s)
    if (code(s) == tflite::BuiltinOperator_PAD) MakeRoot(out(s));

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
    MakeRoot(t);
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
}

Status PartitionCompiler::PlanLifetimes() {
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

Status PartitionCompiler::PlanLayout() {
  PlanBorders();
  MakeViews(PlanFusedPads());
  return PlanLifetimes();
}

}  // namespace systole::compiler
