#include "interpreter/interpreter.h"

#include <algorithm>
#include <cstdarg>
#include <cstdlib>
#include <cstring>
#include <set>

#include "interpreter/builtin_options.h"

namespace systole {
namespace {

constexpr size_t kArenaAlignment = 64;

TfLiteType ConvertType(tflite::TensorType t) {
  switch (t) {
    case tflite::TensorType_FLOAT32: return kTfLiteFloat32;
    case tflite::TensorType_FLOAT16: return kTfLiteFloat16;
    case tflite::TensorType_INT32: return kTfLiteInt32;
    case tflite::TensorType_UINT8: return kTfLiteUInt8;
    case tflite::TensorType_INT64: return kTfLiteInt64;
    case tflite::TensorType_STRING: return kTfLiteString;
    case tflite::TensorType_BOOL: return kTfLiteBool;
    case tflite::TensorType_INT16: return kTfLiteInt16;
    case tflite::TensorType_COMPLEX64: return kTfLiteComplex64;
    case tflite::TensorType_INT8: return kTfLiteInt8;
    case tflite::TensorType_FLOAT64: return kTfLiteFloat64;
    case tflite::TensorType_COMPLEX128: return kTfLiteComplex128;
    case tflite::TensorType_UINT64: return kTfLiteUInt64;
    case tflite::TensorType_UINT32: return kTfLiteUInt32;
    case tflite::TensorType_UINT16: return kTfLiteUInt16;
    default: return kTfLiteNoType;
  }
}

size_t TypeSize(TfLiteType t) {
  switch (t) {
    case kTfLiteFloat32: case kTfLiteInt32: case kTfLiteUInt32: return 4;
    case kTfLiteUInt8: case kTfLiteInt8: case kTfLiteBool: return 1;
    case kTfLiteInt64: case kTfLiteUInt64: case kTfLiteFloat64: case kTfLiteComplex64: return 8;
    case kTfLiteInt16: case kTfLiteUInt16: case kTfLiteFloat16: return 2;
    case kTfLiteComplex128: return 16;
    default: return 0;
  }
}

size_t TensorBytes(const TfLiteTensor& t) {
  size_t n = TypeSize(t.type);
  if (t.dims) {
    for (int i = 0; i < t.dims->size; ++i) n *= static_cast<size_t>(std::max(0, t.dims->data[i]));
  }
  return n;
}

void FreeQuantization(TfLiteQuantization* q) {
  if (q->type == kTfLiteAffineQuantization && q->params) {
    auto* a = static_cast<TfLiteAffineQuantization*>(q->params);
    TfLiteFloatArrayFree(a->scale);
    TfLiteIntArrayFree(a->zero_point);
    std::free(a);
  }
  q->type = kTfLiteNoQuantization;
  q->params = nullptr;
}

TfLiteIntArray* ToIntArray(const std::vector<int>& v) {
  TfLiteIntArray* a = TfLiteIntArrayCreate(static_cast<int>(v.size()));
  for (size_t i = 0; i < v.size(); ++i) a->data[i] = v[i];
  return a;
}

void FreeDelegateParams(TfLiteDelegateParams* p) {
  if (!p) return;
  TfLiteIntArrayFree(p->nodes_to_replace);
  TfLiteIntArrayFree(p->input_tensors);
  TfLiteIntArrayFree(p->output_tensors);
  delete p;
}

Interpreter* Self(const TfLiteContext* ctx) { return static_cast<Interpreter*>(ctx->impl_); }

// An unresolved custom op (TFLite's CreateUnresolvedCustomOp, util.cc): no
// init/prepare, an invoke that fails, recognised by that invoke function.
TfLiteStatus UnresolvedOpInvoke(TfLiteContext* ctx, TfLiteNode*) {
  ctx->ReportError(ctx, "Encountered an unresolved custom op. Did you miss a custom op or delegate?");
  return kTfLiteError;
}
bool IsUnresolvedCustomOp(const TfLiteRegistration& r) {
  return r.builtin_code == tflite::BuiltinOperator_CUSTOM && r.invoke == &UnresolvedOpInvoke;
}
bool IsFlexOp(const char* name) { return name && std::strncmp(name, "Flex", 4) == 0; }

// Context functions Systole does not provide: fail loudly instead of crashing.
TfLiteExternalContext* CtxGetExternalContext(TfLiteContext*, TfLiteExternalContextType) {
  return nullptr;
}
void CtxSetExternalContext(TfLiteContext*, TfLiteExternalContextType, TfLiteExternalContext*) {}
TfLiteStatus CtxAllocateBufferForEval(TfLiteContext* ctx, size_t, void**) {
  ctx->ReportError(ctx, "AllocateBufferForEval is not supported by Systole's interpreter");
  return kTfLiteError;
}
TfLiteStatus CtxRequestScratchBufferInArena(TfLiteContext* ctx, size_t, int*) {
  ctx->ReportError(ctx, "RequestScratchBufferInArena is not supported by Systole's interpreter");
  return kTfLiteError;
}
void* CtxGetScratchBuffer(TfLiteContext*, int) { return nullptr; }
TfLiteStatus CtxResizeTensorExplicit(TfLiteContext* ctx, TfLiteTensor* t, int dims,
                                     const int* shape) {
  if (dims < 0) return kTfLiteError;
  TfLiteIntArray* a = TfLiteIntArrayCreate(dims);
  for (int i = 0; i < dims; ++i) a->data[i] = shape[i];
  return ctx->ResizeTensor(ctx, t, a);
}
TfLiteEvalTensor* CtxGetEvalTensor(const TfLiteContext*, int) { return nullptr; }
TfLiteStatus CtxGetModelMetadata(const TfLiteContext* ctx, const char* name, const char** ptr,
                                 size_t* bytes) {
  const tflite::Model* m = Self(ctx)->model().fb();
  if (!m->metadata() || !m->buffers()) return kTfLiteError;
  for (const tflite::Metadata* md : *m->metadata()) {
    if (md->name() && md->name()->str() == name && md->buffer() < m->buffers()->size()) {
      const tflite::Buffer* b = m->buffers()->Get(md->buffer());
      if (!b->data()) return kTfLiteError;
      *ptr = reinterpret_cast<const char*>(b->data()->data());
      *bytes = b->data()->size();
      return kTfLiteOk;
    }
  }
  return kTfLiteError;
}
TfLiteStatus CtxAcquireSubgraphContext(TfLiteContext* ctx, int index, TfLiteContext** out) {
  if (index != 0) return kTfLiteError;
  *out = ctx;
  return kTfLiteOk;
}
TfLiteStatus CtxReleaseSubgraphContext(TfLiteContext*, int index) {
  return index == 0 ? kTfLiteOk : kTfLiteError;
}
TfLiteTensor* CtxGetTensor(const TfLiteContext* ctx, int index) {
  if (index < 0 || static_cast<size_t>(index) >= ctx->tensors_size) return nullptr;
  return &ctx->tensors[index];
}

}  // namespace

std::string ShapeString(const TfLiteIntArray* dims) {
  std::string s = "[";
  if (dims) {
    for (int i = 0; i < dims->size; ++i) {
      if (i) s += ", ";
      s += std::to_string(dims->data[i]);
    }
  }
  return s + "]";
}

Interpreter::NodeEntry::~NodeEntry() {
  TfLiteIntArrayFree(node.inputs);
  TfLiteIntArrayFree(node.outputs);
  TfLiteIntArrayFree(node.intermediates);
  TfLiteIntArrayFree(node.temporaries);
  std::free(owned_builtin_data);
}

Interpreter::Interpreter(const Model& model, const OpResolver& resolver)
    : model_(model), resolver_(resolver) {}

Interpreter::~Interpreter() {
  for (auto& n : nodes_) {
    if (n->initialized && n->registration.free) {
      n->registration.free(&context_, n->node.user_data);
    }
  }
  nodes_.clear();
  for (TfLiteTensor& t : tensors_) {
    TfLiteIntArrayFree(t.dims);
    FreeQuantization(&t.quantization);
  }
  TfLiteIntArrayFree(plan_cache_);
  ClearPreview();
}

void Interpreter::ClearPreview() {
  for (TfLiteIntArray* a : preview_arrays_) TfLiteIntArrayFree(a);
  preview_arrays_.clear();
  preview_params_.clear();
}

std::string Interpreter::TakeError() {
  std::string e = error_;
  error_.clear();
  while (!e.empty() && (e.back() == '\n' || e.back() == ' ')) e.pop_back();
  return e.empty() ? std::string("(no message)") : e;
}

void Interpreter::InitContext() {
  context_.impl_ = this;
  context_.tensors = tensors_.data();
  context_.tensors_size = tensors_.size();
  context_.GetExecutionPlan = &Interpreter::CtxGetExecutionPlan;
  context_.ResizeTensor = &Interpreter::CtxResizeTensor;
  context_.ReportError = &Interpreter::CtxReportError;
  context_.AddTensors = &Interpreter::CtxAddTensors;
  context_.GetNodeAndRegistration = &Interpreter::CtxGetNodeAndRegistration;
  context_.ReplaceNodeSubsetsWithDelegateKernels = &Interpreter::CtxReplaceNodeSubsets;
  context_.recommended_num_threads = 1;
  context_.GetExternalContext = CtxGetExternalContext;
  context_.SetExternalContext = CtxSetExternalContext;
  context_.AllocatePersistentBuffer = &Interpreter::CtxAllocatePersistentBuffer;
  context_.AllocateBufferForEval = CtxAllocateBufferForEval;
  context_.RequestScratchBufferInArena = CtxRequestScratchBufferInArena;
  context_.GetScratchBuffer = CtxGetScratchBuffer;
  context_.ResizeTensorExplicit = CtxResizeTensorExplicit;
  context_.PreviewDelegatePartitioning = &Interpreter::CtxPreviewDelegatePartitioning;
  context_.GetEvalTensor = CtxGetEvalTensor;
  context_.GetModelMetadata = CtxGetModelMetadata;
  context_.AcquireSubgraphContext = CtxAcquireSubgraphContext;
  context_.ReleaseSubgraphContext = CtxReleaseSubgraphContext;
  context_.GetTensor = CtxGetTensor;
}

StatusOr<std::unique_ptr<Interpreter>> Interpreter::Create(const Model& model,
                                                           const OpResolver& resolver) {
  std::unique_ptr<Interpreter> interp(new Interpreter(model, resolver));
  Status s = interp->Build();
  if (!s.ok()) return Annotate(s, model.name());
  return interp;
}

Status Interpreter::Build() {
  const tflite::SubGraph* sg = model_.main_subgraph();
  const size_t num_tensors = sg->tensors() ? sg->tensors()->size() : 0;
  tensors_.assign(num_tensors, TfLiteTensor{});
  InitContext();
  for (size_t i = 0; i < num_tensors; ++i) {
    const tflite::Tensor* ft = sg->tensors()->Get(static_cast<flatbuffers::uoffset_t>(i));
    TfLiteTensor& t = tensors_[i];
    t.type = ConvertType(ft->type());
    t.buffer_handle = kTfLiteNullBufferHandle;
    t.name = ft->name() ? ft->name()->c_str() : "";
    t.is_variable = ft->is_variable();
    const int rank = ft->shape() ? static_cast<int>(ft->shape()->size()) : 0;
    t.dims = TfLiteIntArrayCreate(rank);
    for (int d = 0; d < rank; ++d) t.dims->data[d] = ft->shape()->Get(d);
    t.bytes = TensorBytes(t);
    if (const tflite::QuantizationParameters* q = ft->quantization()) {
      const int ns = q->scale() ? static_cast<int>(q->scale()->size()) : 0;
      if (ns > 0) {
        auto* a = static_cast<TfLiteAffineQuantization*>(std::calloc(1, sizeof(TfLiteAffineQuantization)));
        a->scale = TfLiteFloatArrayCreate(ns);
        a->zero_point = TfLiteIntArrayCreate(ns);
        const bool has_zp = q->zero_point() && q->zero_point()->size() > 0;
        for (int k = 0; k < ns; ++k) {
          a->scale->data[k] = q->scale()->Get(k);
          a->zero_point->data[k] = has_zp ? static_cast<int>(ZeroPointAt(*q, static_cast<unsigned>(k))) : 0;
        }
        a->quantized_dimension = q->quantized_dimension();
        t.quantization.type = kTfLiteAffineQuantization;
        t.quantization.params = a;
        t.params.scale = a->scale->data[0];
        t.params.zero_point = a->zero_point->data[0];
      }
    }
    const Model::Data data = model_.TensorData(static_cast<int>(i));
    if (data.data) {
      const uint8_t* p = data.data;
      if (t.type == kTfLiteBool)
        for (size_t k = 0; k < data.size; ++k)
          if (p[k] > 1)
            return InvalidArgument("tensor %zu ('%s'): BOOL constant has byte %u at element %zu; bool elements are 0 or 1",
                                   i, t.name, unsigned{p[k]}, k);
      if (reinterpret_cast<uintptr_t>(p) % 16 != 0) {
        // Keep kernels' typed loads aligned even for files that do not align data.
        std::unique_ptr<uint8_t[]> copy(new uint8_t[data.size]);
        std::memcpy(copy.get(), p, data.size);
        p = copy.get();
        aligned_copies_.push_back(std::move(copy));
      }
      t.data.raw_const = reinterpret_cast<const char*>(p);
      t.allocation_type = kTfLiteMmapRo;
      t.bytes = data.size;
    } else {
      t.allocation_type = kTfLiteArenaRw;
    }
  }
  if (sg->inputs()) inputs_.assign(sg->inputs()->begin(), sg->inputs()->end());
  if (sg->outputs()) outputs_.assign(sg->outputs()->begin(), sg->outputs()->end());
  for (int t : inputs_) {
    if (tensors_[t].allocation_type == kTfLiteMmapRo) {
      return InvalidArgument("subgraph input tensor %d ('%s') is a constant", t, tensors_[t].name);
    }
  }
  const size_t num_ops = sg->operators() ? sg->operators()->size() : 0;
  for (size_t i = 0; i < num_ops; ++i) RETURN_IF_ERROR(AddNodeForOperator(static_cast<int>(i)));

  // Every non-constant tensor an operator reads must be produced by an earlier
  // operator or be a graph input: TFLite requires topological order.
  std::vector<bool> ready(tensors_.size(), false);
  for (size_t t = 0; t < tensors_.size(); ++t) {
    ready[t] = tensors_[t].allocation_type == kTfLiteMmapRo || tensors_[t].is_variable;
  }
  for (int t : inputs_) ready[t] = true;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const TfLiteNode& n = nodes_[i]->node;
    for (int k = 0; k < n.inputs->size; ++k) {
      const int t = n.inputs->data[k];
      if (t >= 0 && !ready[t]) {
        return InvalidArgument(
            "operator %zu (%s) reads tensor %d ('%s') before any operator writes it "
            "(operators must be in topological order)",
            i, NodeName(static_cast<int>(i)).c_str(), t, tensors_[t].name);
      }
    }
    for (int k = 0; k < n.outputs->size; ++k) {
      const int t = n.outputs->data[k];
      if (tensors_[t].allocation_type == kTfLiteMmapRo) {
        return InvalidArgument("operator %zu (%s) writes constant tensor %d ('%s')", i,
                               NodeName(static_cast<int>(i)).c_str(), t, tensors_[t].name);
      }
      ready[t] = true;
    }
  }
  for (int t : outputs_) {
    if (!ready[t]) {
      return InvalidArgument("subgraph output tensor %d ('%s') is never written", t,
                             tensors_[t].name);
    }
  }
  plan_.resize(nodes_.size());
  for (size_t i = 0; i < nodes_.size(); ++i) plan_[i] = static_cast<int>(i);
  original_nodes_ = nodes_.size();
  return Status::Ok();
}

Status Interpreter::AddNodeForOperator(int op_index) {
  const tflite::Operator* op = model_.main_subgraph()->operators()->Get(op_index);
  const tflite::OperatorCode* oc = model_.fb()->operator_codes()->Get(op->opcode_index());
  const tflite::BuiltinOperator code = model_.BuiltinCode(op->opcode_index());
  const int version = oc->version();
  auto entry = std::make_unique<NodeEntry>();
  entry->op_index = op_index;
  const TfLiteRegistration* reg = nullptr;
  TfLiteRegistration unresolved{};
  if (code == tflite::BuiltinOperator_CUSTOM) {
    if (!oc->custom_code()) {
      return InvalidArgument("operator %d: Operator with CUSTOM builtin_code has no custom_code.",
                             op_index);
    }
    reg = resolver_.FindCustom(oc->custom_code()->str(), version);
    if (!reg) {
      // As TFLite's InterpreterBuilder: accept it for now, a delegate may
      // claim it; preparing it fails (OpPrepare).
      unresolved.invoke = UnresolvedOpInvoke;
      unresolved.builtin_code = tflite::BuiltinOperator_CUSTOM;
      unresolved.custom_name = oc->custom_code()->c_str();  // the model outlives us
      unresolved.version = 1;
      reg = &unresolved;
    }
    if (op->custom_options()) {
      entry->node.custom_initial_data = op->custom_options()->data();
      entry->node.custom_initial_data_size = static_cast<int>(op->custom_options()->size());
    }
  } else {
    reg = resolver_.FindBuiltin(code, version);
    if (!reg) {
      const int max_version = resolver_.MaxBuiltinVersion(code);
      if (max_version > 0) {
        return Unimplemented(
            "operator %d: %s version %d is not supported (Systole supports up to version %d)",
            op_index, BuiltinOperatorName(code).c_str(), version, max_version);
      }
      return Unimplemented("operator %d: %s (version %d) is not supported by Systole's CPU "
                           "interpreter",
                           op_index, BuiltinOperatorName(code).c_str(), version);
    }
  }
  entry->registration = *reg;
  entry->registration.builtin_code = static_cast<int32_t>(code);
  if (reg != &unresolved) entry->registration.version = version;
  void* params = nullptr;
  Status s = ParseBuiltinOptions(code, op, &params);
  if (!s.ok()) {
    return Annotate(s, StrFormat("operator %d (%s)", op_index, BuiltinOperatorName(code).c_str()));
  }
  entry->owned_builtin_data = params;
  entry->node.builtin_data = params;
  auto to_array = [](const flatbuffers::Vector<int32_t>* v) {
    TfLiteIntArray* a = TfLiteIntArrayCreate(v ? static_cast<int>(v->size()) : 0);
    for (int i = 0; i < a->size; ++i) a->data[i] = v->Get(i);
    return a;
  };
  entry->node.inputs = to_array(op->inputs());
  entry->node.outputs = to_array(op->outputs());
  entry->node.intermediates = to_array(op->intermediates());
  entry->node.temporaries = TfLiteIntArrayCreate(0);
  if (entry->registration.init) {
    const char* buf = static_cast<const char*>(entry->node.custom_initial_data);
    const size_t len = static_cast<size_t>(entry->node.custom_initial_data_size);
    entry->node.user_data = entry->registration.init(&context_, buf, len);
  }
  entry->initialized = true;
  nodes_.push_back(std::move(entry));
  return Status::Ok();
}

std::string Interpreter::NodeName(int index) const {
  const TfLiteRegistration& r = nodes_[index]->registration;
  if (nodes_[index]->node.delegate) return r.custom_name ? r.custom_name : "DELEGATE";
  if (r.custom_name) return r.custom_name;
  return BuiltinOperatorName(static_cast<tflite::BuiltinOperator>(r.builtin_code));
}

// ---- Preparing and delegating, as TFLite 2.14's Subgraph ----

void Interpreter::ReportErrorf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char buf[1024];
  std::vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  context_.ReportError(&context_, "%s", buf);
}

bool Interpreter::HasDynamicTensor(const TfLiteIntArray* tensors, int* index) const {
  for (int i = 0; i < tensors->size; ++i) {
    const int t = tensors->data[i];
    if (t >= 0 && tensors_[t].allocation_type == kTfLiteDynamic) {
      if (index) *index = t;
      return true;
    }
  }
  return false;
}

std::string Interpreter::NodeWhere(int node_index) const {
  const NodeEntry& n = *nodes_[node_index];
  return n.op_index >= 0 ? StrFormat("operator %d (%s)", n.op_index, NodeName(node_index).c_str())
                         : StrFormat("node %d (%s)", node_index, NodeName(node_index).c_str());
}

TfLiteStatus Interpreter::OpPrepare(NodeEntry& n) {
  if (n.registration.prepare == nullptr) {
    if (IsUnresolvedCustomOp(n.registration)) {
      if (IsFlexOp(n.registration.custom_name)) {
        ReportErrorf("Regular TensorFlow ops are not supported by this interpreter. Make sure you "
                     "apply/link the Flex delegate before inference.");
      } else {
        ReportErrorf("Encountered unresolved custom op: %s.",
                     n.registration.custom_name ? n.registration.custom_name : "UnknownOp");
      }
      return kTfLiteError;
    }
    return kTfLiteOk;  // resolved ops may have no prepare
  }
  return n.registration.prepare(&context_, &n.node);
}

TfLiteStatus Interpreter::PrepareOpsStartingAt(int first, const std::vector<int>& plan,
                                               int* last_prepared) {
  if (first == 0) {
    // Graph outputs forwarded from inputs are never prepared by an op.
    dynamic_tensor_index_ = -1;
    TfLiteIntArray* outs = ToIntArray(outputs_);
    has_dynamic_tensors_ = HasDynamicTensor(outs, &dynamic_tensor_index_);
    TfLiteIntArrayFree(outs);
  }
  preparing_ = true;
  for (int i = first; i < static_cast<int>(plan.size()); ++i) {
    const int idx = plan[i];
    NodeEntry& n = *nodes_[idx];
    if (OpPrepare(n) != kTfLiteOk) {
      preparing_ = false;
      failed_node_ = idx;
      ReportErrorf("Node number %d (%s) failed to prepare.", idx, NodeName(idx).c_str());
      return kTfLiteError;
    }
    n.prepared = true;
    *last_prepared = i;
    // Stop at a node with dynamic outputs: later shapes are known only after
    // it runs.
    if (HasDynamicTensor(n.node.outputs, &dynamic_tensor_index_)) {
      has_dynamic_tensors_ = true;
      break;
    }
  }
  preparing_ = false;
  return kTfLiteOk;
}

TfLiteStatus Interpreter::AllocateTensorsImpl() {
  if (RedoAllDelegates() != kTfLiteOk) return kTfLiteError;
  TfLiteIntArray* ins = ToIntArray(inputs_);
  const bool dynamic_inputs = HasDynamicTensor(ins, nullptr);
  TfLiteIntArrayFree(ins);
  // Nothing changed since the last allocation: keep it.
  if (state_ != kStateUninvokable && !dynamic_inputs) return kTfLiteOk;
  failed_node_ = -1;
  int last = -1;
  if (PrepareOpsStartingAt(0, plan_, &last) != kTfLiteOk) return kTfLiteError;
  if (has_dynamic_tensors_) {
    ReportErrorf("tensor %d ('%s') is dynamic-sized; Systole's interpreter does not support "
                 "dynamic tensors",
                 dynamic_tensor_index_, tensors_[dynamic_tensor_index_].name);
    return kTfLiteError;
  }
  Status s = PlanArena();
  if (!s.ok()) {
    ReportErrorf("%s", s.message().c_str());
    return kTfLiteError;
  }
  state_ = kStateInvokable;
  return kTfLiteOk;
}

TfLiteStatus Interpreter::EnsureMemoryAllocations() {
  state_ = kStateUninvokable;
  if (AllocateTensorsImpl() != kTfLiteOk) return kTfLiteError;
  return state_ == kStateInvokable ? kTfLiteOk : kTfLiteError;
}

TfLiteStatus Interpreter::UndoAllDelegates() {
  if (pre_delegation_plan_.empty()) return kTfLiteOk;
  // Delegate nodes are appended after the model's nodes: free them all.
  for (size_t i = original_nodes_; i < nodes_.size(); ++i) {
    NodeEntry& n = *nodes_[i];
    if (n.initialized && n.registration.free) n.registration.free(&context_, n.node.user_data);
    n.initialized = false;
  }
  nodes_.resize(original_nodes_);
  delegate_params_.clear();
  plan_ = pre_delegation_plan_;
  pre_delegation_plan_.clear();
  state_ = kStateUninvokable;
  delegates_undone_ = true;
  return kTfLiteOk;
}

TfLiteStatus Interpreter::RedoAllDelegates() {
  if (!delegates_undone_) return kTfLiteOk;
  delegates_undone_ = false;
  std::vector<TfLiteDelegate*> to_apply;
  to_apply.swap(delegates_applied_);
  for (TfLiteDelegate* d : to_apply) {
    const TfLiteStatus st = SubgraphModifyGraphWithDelegate(d);
    if (st != kTfLiteOk) return st;
  }
  return kTfLiteOk;
}

TfLiteStatus Interpreter::RemoveAllDelegates() {
  if (UndoAllDelegates() != kTfLiteOk) return kTfLiteError;
  delegates_applied_.clear();
  delegates_undone_ = false;
  return EnsureMemoryAllocations();
}

TfLiteStatus Interpreter::SubgraphModifyGraphWithDelegate(TfLiteDelegate* delegate) {
  if (delegate == nullptr) {
    ReportErrorf("Null delegate.");
    return kTfLiteDelegateError;
  }
  // On a failed delegate: back to the graph without any delegate.
  auto reset_if_not_ok = [this](TfLiteStatus st) -> TfLiteStatus {
    if (st == kTfLiteOk) return kTfLiteOk;
    if (RemoveAllDelegates() != kTfLiteOk) return kTfLiteError;
    ReportErrorf("Restored original execution plan after delegate application failure.");
    return kTfLiteDelegateError;
  };

  // STEP 1: check and prepare the graph.
  if (RedoAllDelegates() != kTfLiteOk) return kTfLiteError;
  const bool allows_dynamic = (delegate->flags & kTfLiteDelegateFlagsAllowDynamicTensors) != 0;
  const State before = state_;
  if (state_ == kStateInvokableAndImmutable) {
    // A static-only delegate ran before: shapes are propagated already.
    state_ = kStateUninvokable;
  } else if (!allows_dynamic) {
    int last = -1;
    if (PrepareOpsStartingAt(0, plan_, &last) != kTfLiteOk) return kTfLiteError;
    if (has_dynamic_tensors_) {
      // TFLite allocates what it can here; Systole cannot plan dynamic
      // tensors, which is only an error if something else failed.
      if (EnsureMemoryAllocations() != kTfLiteOk && !has_dynamic_tensors_) return kTfLiteError;
      ReportErrorf("Attempting to use a delegate that only supports static-sized tensors with a "
                   "graph that has dynamic-sized tensors (tensor#%d is a dynamic-sized tensor).",
                   dynamic_tensor_index_);
      return kTfLiteApplicationError;
    }
  }
  if (delegates_applied_.empty()) pre_delegation_plan_ = plan_;

  // STEP 2: the delegate replaces the nodes it takes.
  in_delegate_prepare_ = true;
  const TfLiteStatus status = delegate->Prepare(&context_, delegate);
  in_delegate_prepare_ = false;
  ClearPreview();
  {
    const TfLiteStatus st = reset_if_not_ok(status);
    if (st != kTfLiteOk) return st;
  }

  // STEP 3: leave the graph consistent.
  if (!allows_dynamic) {
    state_ = kStateUninvokable;
    const TfLiteStatus st = reset_if_not_ok(EnsureMemoryAllocations());
    if (st != kTfLiteOk) return st;
    state_ = kStateInvokableAndImmutable;
  } else if (before == kStateInvokableAndImmutable) {
    int last = -1;
    TfLiteStatus st = reset_if_not_ok(PrepareOpsStartingAt(0, plan_, &last));
    if (st != kTfLiteOk) return st;
    if (has_dynamic_tensors_) {
      if (RemoveAllDelegates() != kTfLiteOk) return kTfLiteError;
      ReportErrorf("Cannot allow dynamic tensors due to previous delegation, resetting to original "
                   "execution plan.");
      return kTfLiteApplicationError;
    }
    st = reset_if_not_ok(EnsureMemoryAllocations());
    if (st != kTfLiteOk) return st;
    state_ = kStateInvokableAndImmutable;
  } else if (before == kStateInvokable) {
    const TfLiteStatus st = reset_if_not_ok(EnsureMemoryAllocations());
    if (st != kTfLiteOk) return st;
  }
  delegates_applied_.push_back(delegate);
  return status;
}

Status Interpreter::ModifyGraphWithDelegate(TfLiteDelegate* delegate) {
  if (delegate && !delegate->Prepare) return InvalidArgument("delegate has no Prepare function");
  ResetErrors();
  // TFLite's Interpreter::ModifyGraphWithDelegateImpl around the subgraph's.
  TfLiteStatus st = SubgraphModifyGraphWithDelegate(delegate);
  if (st == kTfLiteDelegateError && RemoveAllDelegates() != kTfLiteOk) st = kTfLiteError;
  last_delegate_status_ = st;
  switch (st) {
    case kTfLiteOk: return Status::Ok();
    case kTfLiteDelegateError:
      return Internal("delegate Prepare failed: %s", TakeError().c_str());
    case kTfLiteApplicationError:
      return FailedPrecondition("delegate not applied: %s", TakeError().c_str());
    default:
      return InvalidArgument("ModifyGraphWithDelegate failed: %s", TakeError().c_str());
  }
}

Status Interpreter::AllocateTensors() {
  ResetErrors();
  if (AllocateTensorsImpl() == kTfLiteOk) return Status::Ok();
  const std::string msg = TakeError();
  if (failed_node_ >= 0 && static_cast<size_t>(failed_node_) < nodes_.size()) {
    const NodeEntry& n = *nodes_[failed_node_];
    if (n.op_index >= 0 && !n.node.delegate) {
      // The op's version too, so that an unsupported op / type combination
      // names the op, its version, its index and (in msg) the types.
      return InvalidArgument("%s: %s (%s version %d)", NodeWhere(failed_node_).c_str(),
                             msg.c_str(), NodeName(failed_node_).c_str(),
                             n.registration.version);
    }
    return InvalidArgument("%s: %s", NodeWhere(failed_node_).c_str(), msg.c_str());
  }
  return InvalidArgument("%s", msg.c_str());
}

Status Interpreter::ResizeInputTensor(int tensor_index, const std::vector<int>& dims) {
  ResetErrors();
  if (tensor_index < 0 || static_cast<size_t>(tensor_index) >= tensors_.size()) {
    return InvalidArgument("ResizeInputTensor: tensor index %d out of range (%zu tensors)",
                           tensor_index, tensors_.size());
  }
  const bool delegates_applied = !pre_delegation_plan_.empty();
  const bool immutable = state_ == kStateInvokableAndImmutable;
  if (immutable && !delegates_applied) {
    return FailedPrecondition("ResizeInputTensor is disallowed when graph is immutable.");
  }
  TfLiteTensor* t = &tensors_[tensor_index];
  if (t->data.raw != nullptr &&
      TfLiteIntArrayEqualsArray(t->dims, static_cast<int>(dims.size()), dims.data())) {
    return Status::Ok();
  }
  if (immutable) UndoAllDelegates();
  state_ = kStateUninvokable;
  if (CtxResizeTensor(&context_, t, ToIntArray(dims)) != kTfLiteOk) {
    return InvalidArgument("ResizeInputTensor: %s", TakeError().c_str());
  }
  return Status::Ok();
}

Status Interpreter::PlanArena() {
  // Lifetimes in execution-plan steps: [first write, last read]. Graph inputs
  // live for the whole plan: TFLite's Subgraph builds its ArenaPlanner with
  // preserve_inputs = true, so an input's bytes are never reused and a caller
  // may read them back or Invoke again without setting them. Graph outputs
  // live until the end.
  const int steps = static_cast<int>(plan_.size());
  const size_t n = tensors_.size();
  std::vector<int> first(n, -1), last(n, -1);
  auto needs_arena = [&](int t) {
    return t >= 0 && tensors_[t].allocation_type == kTfLiteArenaRw;
  };
  for (int t : inputs_) {
    if (needs_arena(t)) first[t] = 0, last[t] = steps;
  }
  for (int s = 0; s < steps; ++s) {
    const TfLiteNode& node = nodes_[plan_[s]]->node;
    for (int k = 0; k < node.outputs->size; ++k) {
      const int t = node.outputs->data[k];
      if (needs_arena(t)) {
        if (first[t] < 0) first[t] = s;
        last[t] = std::max(last[t], s);
      }
    }
    for (int k = 0; k < node.inputs->size; ++k) {
      const int t = node.inputs->data[k];
      if (needs_arena(t)) {
        if (first[t] < 0) first[t] = s;
        last[t] = std::max(last[t], s);
      }
    }
  }
  for (int t : outputs_) {
    if (needs_arena(t)) {
      if (first[t] < 0) first[t] = 0;
      last[t] = steps;
    }
  }
  // Variable tensors persist for the interpreter's lifetime (every tensor
  // does when preserving all tensors).
  for (size_t t = 0; t < n; ++t) {
    if ((tensors_[t].is_variable || (preserve_all_tensors_ && first[t] >= 0)) &&
        needs_arena(static_cast<int>(t))) {
      first[t] = 0;
      last[t] = steps;
    }
  }
  // Greedy by size (largest first): place each tensor at the lowest offset
  // that does not overlap a live, already placed tensor.
  std::vector<int> order;
  unshared_bytes_ = 0;
  for (size_t t = 0; t < n; ++t) {
    if (first[t] >= 0) {
      tensors_[t].bytes = TensorBytes(tensors_[t]);
      order.push_back(static_cast<int>(t));
      unshared_bytes_ += tensors_[t].bytes;
    }
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return tensors_[a].bytes > tensors_[b].bytes; });
  struct Placed {
    size_t offset, size;
    int first, last;
  };
  std::vector<Placed> placed;
  std::vector<size_t> offset(n, 0);
  size_t total = 0;
  auto align = [](size_t v) { return (v + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment; };
  for (int t : order) {
    const size_t size = align(std::max<size_t>(tensors_[t].bytes, 1));
    std::vector<std::pair<size_t, size_t>> busy;
    for (const Placed& p : placed) {
      if (p.first <= last[t] && first[t] <= p.last) busy.emplace_back(p.offset, p.size);
    }
    std::sort(busy.begin(), busy.end());
    size_t candidate = 0;
    for (const auto& b : busy) {
      if (candidate + size <= b.first) break;
      candidate = std::max(candidate, b.first + b.second);
    }
    offset[t] = candidate;
    placed.push_back({candidate, size, first[t], last[t]});
    total = std::max(total, candidate + size);
  }
  arena_size_ = total;
  arena_.reset();
  void* mem = total ? std::aligned_alloc(kArenaAlignment, total) : nullptr;
  if (total && !mem) return Internal("cannot allocate a %zu-byte tensor arena", total);
  if (mem) std::memset(mem, 0, total);
  arena_ = std::unique_ptr<uint8_t, void (*)(void*)>(static_cast<uint8_t*>(mem), std::free);
  for (int t : order) tensors_[t].data.raw = reinterpret_cast<char*>(arena_.get() + offset[t]);
  // TFLite's ResetVariableTensor: every byte of a variable tensor becomes 0,
  // or the zero point for INT8 ones.
  for (int t : order) {
    TfLiteTensor& v = tensors_[t];
    if (v.is_variable && v.type == kTfLiteInt8) std::memset(v.data.raw, v.params.zero_point, v.bytes);
  }
  return Status::Ok();
}

Status Interpreter::Invoke() {
  if (state_ == kStateUninvokable) {
    return FailedPrecondition("Invoke called on model that is not ready (call AllocateTensors first)");
  }
  ResetErrors();
  for (int idx : plan_) {
    NodeEntry& n = *nodes_[idx];
    if (n.registration.invoke && n.registration.invoke(&context_, &n.node) != kTfLiteOk) {
      const std::string where =
          n.op_index >= 0 ? StrFormat("operator %d (%s)", n.op_index, NodeName(idx).c_str())
                          : StrFormat("node %d (%s)", idx, NodeName(idx).c_str());
      return Internal("%s failed: %s", where.c_str(), TakeError().c_str());
    }
  }
  return Status::Ok();
}

// ---- Delegate partitioning ----

std::vector<Interpreter::Subset> Interpreter::PartitionPlan(
    const std::vector<int>& nodes_to_replace) const {
  std::set<int> replace(nodes_to_replace.begin(), nodes_to_replace.end());
  const size_t nt = tensors_.size();
  // Which plan step produces each tensor.
  std::vector<int> producer(nt, -1);
  for (size_t s = 0; s < plan_.size(); ++s) {
    const TfLiteNode& node = nodes_[plan_[s]]->node;
    for (int k = 0; k < node.outputs->size; ++k) producer[node.outputs->data[k]] = static_cast<int>(s);
  }
  std::vector<bool> done(plan_.size(), false);
  std::vector<Subset> subsets;
  size_t remaining = plan_.size();
  // Alternate between kinds; each round takes, in plan order, every node of
  // the current kind whose producers are all done (or in this subset). This
  // is TFLite's greedy scheme: subsets come out topologically ordered, so
  // replacing each by one node cannot create a cycle.
  bool kind = !plan_.empty() && replace.count(plan_[0]) > 0;
  while (remaining > 0) {
    Subset sub;
    sub.delegated = kind;
    bool progress = true;
    std::vector<bool> in_sub(plan_.size(), false);
    while (progress) {
      progress = false;
      for (size_t s = 0; s < plan_.size(); ++s) {
        if (done[s] || (replace.count(plan_[s]) > 0) != kind) continue;
        const TfLiteNode& node = nodes_[plan_[s]]->node;
        bool ok = true;
        for (int k = 0; k < node.inputs->size && ok; ++k) {
          const int t = node.inputs->data[k];
          if (t < 0) continue;
          const int p = producer[t];
          if (p >= 0 && !done[p] && !in_sub[p]) ok = false;
        }
        if (!ok) continue;
        in_sub[s] = true;
        done[s] = true;
        --remaining;
        sub.nodes.push_back(plan_[s]);
        progress = true;
      }
    }
    if (!sub.nodes.empty()) subsets.push_back(std::move(sub));
    kind = !kind;
  }
  // Boundary tensors of each subset.
  std::vector<int> subset_of_step(plan_.size(), -1);
  std::vector<int> step_of_node(nodes_.size(), -1);
  for (size_t s = 0; s < plan_.size(); ++s) step_of_node[plan_[s]] = static_cast<int>(s);
  for (size_t i = 0; i < subsets.size(); ++i) {
    for (int nidx : subsets[i].nodes) subset_of_step[step_of_node[nidx]] = static_cast<int>(i);
  }
  std::set<int> graph_outputs(outputs_.begin(), outputs_.end());
  for (size_t i = 0; i < subsets.size(); ++i) {
    Subset& sub = subsets[i];
    std::set<int> produced;
    for (int nidx : sub.nodes) {
      const TfLiteNode& node = nodes_[nidx]->node;
      for (int k = 0; k < node.outputs->size; ++k) produced.insert(node.outputs->data[k]);
    }
    std::set<int> seen_in;
    for (int nidx : sub.nodes) {
      const TfLiteNode& node = nodes_[nidx]->node;
      for (int k = 0; k < node.inputs->size; ++k) {
        const int t = node.inputs->data[k];
        if (t >= 0 && !produced.count(t) && seen_in.insert(t).second) sub.inputs.push_back(t);
      }
    }
    for (int nidx : sub.nodes) {
      const TfLiteNode& node = nodes_[nidx]->node;
      for (int k = 0; k < node.outputs->size; ++k) {
        const int t = node.outputs->data[k];
        bool used_outside = graph_outputs.count(t) > 0;
        for (size_t s = 0; s < plan_.size() && !used_outside; ++s) {
          if (subset_of_step[s] == static_cast<int>(i)) continue;
          const TfLiteNode& other = nodes_[plan_[s]]->node;
          for (int m = 0; m < other.inputs->size; ++m) {
            if (other.inputs->data[m] == t) used_outside = true;
          }
        }
        if (used_outside) sub.outputs.push_back(t);
      }
    }
  }
  return subsets;
}

TfLiteStatus Interpreter::CtxGetExecutionPlan(TfLiteContext* ctx, TfLiteIntArray** plan) {
  Interpreter* self = Self(ctx);
  TfLiteIntArrayFree(self->plan_cache_);
  self->plan_cache_ = ToIntArray(self->plan_);
  *plan = self->plan_cache_;
  return kTfLiteOk;
}

TfLiteStatus Interpreter::CtxGetNodeAndRegistration(TfLiteContext* ctx, int index,
                                                    TfLiteNode** node, TfLiteRegistration** reg) {
  Interpreter* self = Self(ctx);
  if (index < 0 || static_cast<size_t>(index) >= self->nodes_.size()) {
    ctx->ReportError(ctx, "GetNodeAndRegistration: node index %d out of range (%zu nodes)", index,
                     self->nodes_.size());
    return kTfLiteError;
  }
  *node = &self->nodes_[index]->node;
  *reg = &self->nodes_[index]->registration;
  return kTfLiteOk;
}

TfLiteStatus Interpreter::CtxReplaceNodeSubsets(TfLiteContext* ctx, TfLiteRegistration reg,
                                                const TfLiteIntArray* nodes,
                                                TfLiteDelegate* delegate) {
  Interpreter* self = Self(ctx);
  if (!self->in_delegate_prepare_) {
    ctx->ReportError(ctx, "ReplaceNodeSubsetsWithDelegateKernels may only be called from a "
                          "delegate's Prepare");
    return kTfLiteError;
  }
  std::vector<int> to_replace;
  for (int i = 0; i < nodes->size; ++i) {
    const int n = nodes->data[i];
    if (std::find(self->plan_.begin(), self->plan_.end(), n) == self->plan_.end()) {
      ctx->ReportError(ctx, "ReplaceNodeSubsetsWithDelegateKernels: node %d is not in the "
                            "execution plan", n);
      return kTfLiteError;
    }
    to_replace.push_back(n);
  }
  std::vector<Subset> subsets = self->PartitionPlan(to_replace);
  std::vector<int> new_plan;
  for (Subset& sub : subsets) {
    if (!sub.delegated) {
      new_plan.insert(new_plan.end(), sub.nodes.begin(), sub.nodes.end());
      continue;
    }
    std::unique_ptr<TfLiteDelegateParams, void (*)(TfLiteDelegateParams*)> params(
        new TfLiteDelegateParams{delegate, ToIntArray(sub.nodes), ToIntArray(sub.inputs),
                                 ToIntArray(sub.outputs)},
        FreeDelegateParams);
    auto entry = std::make_unique<NodeEntry>();
    entry->registration = reg;
    entry->registration.builtin_code = tflite::BuiltinOperator_DELEGATE;
    entry->node.inputs = ToIntArray(sub.inputs);
    entry->node.outputs = ToIntArray(sub.outputs);
    entry->node.intermediates = TfLiteIntArrayCreate(0);
    entry->node.temporaries = TfLiteIntArrayCreate(0);
    entry->node.delegate = delegate;
    if (reg.init) {
      entry->node.user_data =
          reg.init(ctx, reinterpret_cast<const char*>(params.get()), 0);
    }
    entry->initialized = true;
    const int new_index = static_cast<int>(self->nodes_.size());
    self->nodes_.push_back(std::move(entry));
    self->delegate_params_.push_back(std::move(params));
    new_plan.push_back(new_index);
    // TFLite's AddNodeWithParameters: a new node makes the graph uninvokable.
    self->state_ = kStateUninvokable;
  }
  self->plan_ = new_plan;
  return kTfLiteOk;
}

TfLiteStatus Interpreter::CtxPreviewDelegatePartitioning(TfLiteContext* ctx,
                                                         const TfLiteIntArray* nodes,
                                                         TfLiteDelegateParams** params, int* n) {
  Interpreter* self = Self(ctx);
  self->ClearPreview();
  std::vector<int> to_replace(nodes->data, nodes->data + nodes->size);
  for (const Subset& sub : self->PartitionPlan(to_replace)) {
    if (!sub.delegated) continue;
    TfLiteDelegateParams p{nullptr, ToIntArray(sub.nodes), ToIntArray(sub.inputs),
                           ToIntArray(sub.outputs)};
    self->preview_arrays_.push_back(p.nodes_to_replace);
    self->preview_arrays_.push_back(p.input_tensors);
    self->preview_arrays_.push_back(p.output_tensors);
    self->preview_params_.push_back(p);
  }
  *params = self->preview_params_.empty() ? nullptr : self->preview_params_.data();
  *n = static_cast<int>(self->preview_params_.size());
  return kTfLiteOk;
}

TfLiteStatus Interpreter::CtxResizeTensor(TfLiteContext* ctx, TfLiteTensor* t,
                                          TfLiteIntArray* dims) {
  Interpreter* self = Self(ctx);
  if (!dims) return kTfLiteError;
  if (t->allocation_type == kTfLiteMmapRo) {
    const bool same = TfLiteIntArrayEqualsArray(t->dims, dims->size, dims->data);
    TfLiteIntArrayFree(dims);
    if (!same) {
      ctx->ReportError(ctx, "cannot resize constant tensor '%s'", t->name);
      return kTfLiteError;
    }
    return kTfLiteOk;
  }
  int64_t count = 1;
  for (int i = 0; i < dims->size; ++i) {
    if (dims->data[i] < 0) {
      TfLiteIntArrayFree(dims);
      ctx->ReportError(ctx, "tensor '%s': negative dimension in resize", t->name);
      return kTfLiteError;
    }
    count *= dims->data[i];
    if (count > kMaxTensorBytes) {
      TfLiteIntArrayFree(dims);
      ctx->ReportError(ctx, "tensor '%s': resized shape is too large", t->name);
      return kTfLiteError;
    }
  }
  const bool changed = !TfLiteIntArrayEqualsArray(t->dims, dims->size, dims->data);
  TfLiteIntArrayFree(t->dims);
  t->dims = dims;
  t->bytes = TensorBytes(*t);
  // TFLite leaves the state alone and re-plans lazily; Systole's arena is
  // planned once, so a resize outside a prepare pass needs AllocateTensors.
  if (changed && !self->preparing_) self->state_ = kStateUninvokable;
  return kTfLiteOk;
}

void Interpreter::CtxReportError(TfLiteContext* ctx, const char* fmt, ...) {
  Interpreter* self = Self(ctx);
  va_list ap;
  va_start(ap, fmt);
  char buf[1024];
  std::vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  if (!self->error_.empty()) self->error_ += "; ";
  self->error_ += buf;
}

TfLiteStatus Interpreter::CtxAddTensors(TfLiteContext* ctx, int n, int* first) {
  Interpreter* self = Self(ctx);
  if (n < 0) return kTfLiteError;
  *first = static_cast<int>(self->tensors_.size());
  for (int i = 0; i < n; ++i) {
    TfLiteTensor t{};
    t.type = kTfLiteNoType;
    t.dims = TfLiteIntArrayCreate(0);
    t.allocation_type = kTfLiteArenaRw;
    t.buffer_handle = kTfLiteNullBufferHandle;
    t.name = "";
    self->tensors_.push_back(t);
  }
  ctx->tensors = self->tensors_.data();
  ctx->tensors_size = self->tensors_.size();
  return kTfLiteOk;
}

void* Interpreter::CtxAllocatePersistentBuffer(TfLiteContext* ctx, size_t bytes) {
  Interpreter* self = Self(ctx);
  std::unique_ptr<uint8_t[]> buf(new (std::nothrow) uint8_t[bytes ? bytes : 1]());
  void* p = buf.get();
  if (buf) self->persistent_.push_back(std::move(buf));
  return p;
}

}  // namespace systole
