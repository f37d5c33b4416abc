// Layout: the partition's graph (ReadGraph) and a view in ABUF for every
// activation tensor (PlanLayout): root buffers, views inside them, and the
// roots' lifetimes (docs/compiler.md, "Layout of activations"). What an op
// needs of the layout (borders, fusion, aliases, scratch) is its family's
// Plan hook in compiler/ops/, called at each LayoutPhase.
#include <algorithm>
#include <climits>

#include "compiler/ops/op.h"
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
  // Constant inputs are parameters, except where an op's layout hook makes
  // them operands in ABUF (LayoutPhase::kGraph).
  for (size_t s = 0; s < nodes_.size(); ++s) {
    const TfLiteNode* n = nodes_[s];
    for (int i = 0; i < n->inputs->size; ++i) {
      const int t = n->inputs->data[i];
      if (t < 0 || IsConstant(T(t))) continue;
      ts_[t].consumers.push_back(static_cast<int>(s));
    }
    for (int i = 0; i < n->outputs->size; ++i) ts_[n->outputs->data[i]].producer = static_cast<int>(s);
  }
  RETURN_IF_ERROR(RunLayoutPhase(LayoutPhase::kGraph));
  for (auto& [t, st] : ts_) {
    if (st.producer < 0 && !st.is_input && !st.is_const)
      return InvalidArgument("partition: tensor %d is read but neither produced inside nor a partition input", t);
    if (!IsInt8Or8(T(t))) return InvalidArgument("partition: tensor %d is not INT8/UINT8", t);
  }
  return Status::Ok();
}

Status PartitionCompiler::RunLayoutPhase(LayoutPhase phase) {
  for (size_t s = 0; s < nodes_.size(); ++s) {
    const OpEntry* entry = FindOp(code(s));
    if (entry == nullptr) return OpError(static_cast<int>(s), "not an accelerator op");
    RETURN_IF_ERROR(entry->plan(*this, static_cast<int>(s), phase));
  }
  return Status::Ok();
}

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
Status PartitionCompiler::MakeViews() {
  // Walk tensors in dataflow order: partition inputs, then op outputs.
  std::vector<int> order(spec_.inputs.begin(), spec_.inputs.end());
  for (const auto& [t, st] : ts_)
    if (st.is_const) order.push_back(t);
  for (size_t s = 0; s < nodes_.size(); ++s)
    for (int i = 0; i < node(s)->outputs->size; ++i) order.push_back(node(s)->outputs->data[i]);
  for (int t : order) {
    TensorState& st = ts_[t];
    if (st.has_view || st.transposed_by >= 0) continue;
    auto it = interior_.find(t);
    if (it != interior_.end()) {
      const View& pv = ts_[it->second.parent].view;
      const Geometry g = GeometryOf(T(t));
      st.view = View{pv.root, pv.offset + int64_t{it->second.y} * pv.row_pitch + int64_t{it->second.x} * pv.pix_pitch,
                     pv.row_pitch, pv.pix_pitch, g.h, g.w, g.c};
      st.has_view = true;
      continue;
    }
    if (st.producer >= 0) {
      RETURN_IF_ERROR(FindOp(code(st.producer))->plan(*this, st.producer, LayoutPhase::kView));
      if (st.has_view) continue;
    }
    MakeRoot(t);
  }
  return Status::Ok();
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
    const bool loaded = st.is_input || st.is_const || st.input_dma;
    if ((st.input_dma || st.between_op_dma) && (r.needs_fill || !Plain(st.view)))
      return Unimplemented("tensor %d: the transposed input must be contiguous (no border)", t);
    r.first = std::min(r.first, loaded ? -1 : st.producer);
    int last = st.producer;
    for (int c : st.consumers) last = std::max(last, c);
    if (st.is_output) last = INT32_MAX;
    r.last = std::max(r.last, last);
    if (st.producer >= 0) r.uses.push_back(st.producer);
    for (int c : st.consumers) r.uses.push_back(c);
    r.pinned |= loaded || st.is_output || st.between_op_dma;
  }
  RETURN_IF_ERROR(RunLayoutPhase(LayoutPhase::kScratch));
  for (Root& r : roots_) {
    std::sort(r.uses.begin(), r.uses.end());
    r.uses.erase(std::unique(r.uses.begin(), r.uses.end()), r.uses.end());
  }
  return Status::Ok();
}

Status PartitionCompiler::PlanLayout() {
  RETURN_IF_ERROR(RunLayoutPhase(LayoutPhase::kBorders));
  RETURN_IF_ERROR(RunLayoutPhase(LayoutPhase::kFuse));
  RETURN_IF_ERROR(RunLayoutPhase(LayoutPhase::kRoots));
  RETURN_IF_ERROR(MakeViews());
  RETURN_IF_ERROR(RunLayoutPhase(LayoutPhase::kFinish));
  return PlanLifetimes();
}

}  // namespace systole::compiler
