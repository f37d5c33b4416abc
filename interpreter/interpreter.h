// Systole's CPU interpreter: runs a verified TFLite model with int8/uint8
// kernels that are bit-exact with TensorFlow Lite, and accepts delegates
// through TensorFlow Lite's delegate interface, applying them exactly as
// TensorFlow Lite 2.14 does (tensorflow/lite/core/subgraph.cc).
//
// Lifecycle:
//   Interpreter::Create(model, resolver)   builds tensors and nodes. An unknown
//                                          builtin op fails here, naming op,
//                                          version, index. A custom op the
//                                          resolver does not know is accepted
//                                          as an *unresolved* custom op, as
//                                          TFLite's InterpreterBuilder does: a
//                                          delegate may claim it; otherwise
//                                          preparing it fails with
//                                          "Encountered unresolved custom op: NAME."
//   ModifyGraphWithDelegate(delegate)*     optional, any number of delegates
//   AllocateTensors()                      prepares every node, plans the
//                                          activation arena, binds tensor data
//   (write inputs) Invoke() (read outputs) repeatable
//   ResizeInputTensor(t, dims)             then AllocateTensors again
// The Model and the OpResolver must outlive the Interpreter. Delegates are
// owned by the caller and must outlive the Interpreter.
//
// ModifyGraphWithDelegate follows TFLite 2.14's Subgraph::ModifyGraphWithDelegate:
//   1. Unless the delegate sets kTfLiteDelegateFlagsAllowDynamicTensors (and
//      no delegate without it was applied before), every node of the current
//      execution plan is prepared first, to propagate shapes and find dynamic
//      tensors. A node that fails (e.g. an unresolved custom op) fails the
//      call before the delegate sees the graph; a dynamic tensor is
//      kTfLiteApplicationError ("Attempting to use a delegate that only
//      supports static-sized tensors ...").
//   2. delegate->Prepare, which may replace node subsets with delegate
//      kernels. If it fails, every delegate is removed, the original plan is
//      restored ("Restored original execution plan after delegate application
//      failure.") and the result is kTfLiteDelegateError (kTfLiteError when
//      even the restored graph cannot be prepared).
//   3. Without the flag: tensors are re-allocated (every node prepared again)
//      and the graph becomes immutable (kStateInvokableAndImmutable). With the
//      flag: re-allocated only if the graph was invokable before.
// ResizeInputTensor on an immutable graph undoes every delegate; the next
// AllocateTensors (or ModifyGraphWithDelegate) re-applies them in order.
// last_delegate_status() is the TfLiteStatus TFLite's
// Interpreter::ModifyGraphWithDelegate would have returned.
//
// The TfLiteContext given to kernels and delegates implements, exactly as TFLite
// does: GetExecutionPlan, GetNodeAndRegistration,
// ReplaceNodeSubsetsWithDelegateKernels, PreviewDelegatePartitioning,
// ResizeTensor, ReportError, AddTensors, AllocatePersistentBuffer. Functions
// Systole does not implement report an error instead of crashing. Not
// emulated: TfLiteTensor::delegate / data_is_stale bookkeeping (buffer
// handles), dynamic tensors (a kernel that makes one fails AllocateTensors),
// the ban on GetExecutionPlan / GetNodeAndRegistration outside a delegate's
// Prepare (Systole's compiler uses them on a plain interpreter).
#ifndef SYSTOLE_INTERPRETER_INTERPRETER_H_
#define SYSTOLE_INTERPRETER_INTERPRETER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "interpreter/model.h"
#include "interpreter/op_resolver.h"
#include "interpreter/tflite_c.h"

namespace systole {

class Interpreter {
 public:
  static StatusOr<std::unique_ptr<Interpreter>> Create(const Model& model,
                                                       const OpResolver& resolver);
  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  // TFLite's subgraph states.
  enum State { kStateUninvokable, kStateInvokable, kStateInvokableAndImmutable };

  Status ModifyGraphWithDelegate(TfLiteDelegate* delegate);
  Status AllocateTensors();
  Status Invoke();
  // Resizes graph input or other non-constant tensor `tensor_index`; as
  // TFLite, undoes the delegates if the graph is immutable.
  Status ResizeInputTensor(int tensor_index, const std::vector<int>& dims);

  State state() const { return state_; }
  // What TFLite's ModifyGraphWithDelegate would have returned for the last
  // call (kTfLiteOk, kTfLiteError, kTfLiteDelegateError, kTfLiteApplicationError).
  TfLiteStatus last_delegate_status() const { return last_delegate_status_; }
  // Delegates applied (in order), as TFLite's delegates_applied_.
  const std::vector<TfLiteDelegate*>& delegates_applied() const { return delegates_applied_; }

  const std::vector<int>& inputs() const { return inputs_; }
  const std::vector<int>& outputs() const { return outputs_; }
  size_t tensors_size() const { return tensors_.size(); }
  TfLiteTensor* tensor(int index) { return &tensors_[index]; }
  const TfLiteTensor* tensor(int index) const { return &tensors_[index]; }
  TfLiteTensor* input_tensor(int i) { return tensor(inputs_[i]); }
  TfLiteTensor* output_tensor(int i) { return tensor(outputs_[i]); }

  // Node indices in execution order (after delegation: includes delegate nodes).
  const std::vector<int>& execution_plan() const { return plan_; }
  size_t nodes_size() const { return nodes_.size(); }
  const TfLiteNode& node(int index) const { return nodes_[index]->node; }
  const TfLiteRegistration& registration(int index) const { return nodes_[index]->registration; }
  // "CONV_2D", a custom op's name, or "DELEGATE" for a delegate kernel.
  std::string NodeName(int index) const;
  // Operator index in the model of a node (-1 for nodes added by delegates).
  int NodeOperatorIndex(int index) const { return nodes_[index]->op_index; }

  // As TFLite's InterpreterOptions::SetPreserveAllTensors: every tensor keeps
  // its own arena bytes, so intermediate results can be read after Invoke
  // (call before AllocateTensors).
  void SetPreserveAllTensors(bool preserve) { preserve_all_tensors_ = preserve; }

  // Bytes of the planned activation arena (valid after AllocateTensors).
  size_t arena_bytes() const { return arena_size_; }
  // Sum of the sizes of all non-constant tensors, i.e. what the arena would be
  // without lifetime-based reuse.
  size_t unshared_activation_bytes() const { return unshared_bytes_; }

  const Model& model() const { return model_; }
  TfLiteContext* context() { return &context_; }

 private:
  struct NodeEntry {
    TfLiteNode node{};
    TfLiteRegistration registration{};
    int op_index = -1;
    bool prepared = false;
    bool initialized = false;
    void* owned_builtin_data = nullptr;  // malloc'ed params
    ~NodeEntry();
  };

  Interpreter(const Model& model, const OpResolver& resolver);
  Status Build();
  Status AddNodeForOperator(int op_index);
  Status PlanArena();
  void InitContext();

  // TFLite's Subgraph machinery (tensorflow/lite/core/subgraph.cc), each
  // returning the TfLiteStatus TFLite returns; messages go to ReportError.
  TfLiteStatus OpPrepare(NodeEntry& n);
  TfLiteStatus PrepareOpsStartingAt(int first, const std::vector<int>& plan, int* last_prepared);
  TfLiteStatus AllocateTensorsImpl();
  TfLiteStatus EnsureMemoryAllocations();
  TfLiteStatus SubgraphModifyGraphWithDelegate(TfLiteDelegate* delegate);
  TfLiteStatus UndoAllDelegates();
  TfLiteStatus RedoAllDelegates();
  TfLiteStatus RemoveAllDelegates();
  void ReportErrorf(const char* fmt, ...);
  bool HasDynamicTensor(const TfLiteIntArray* tensors, int* index) const;
  std::string NodeWhere(int node_index) const;
  void ResetErrors() { error_.clear(); }
  std::string TakeError();

  // Partitioning shared by ReplaceNodeSubsetsWithDelegateKernels and
  // PreviewDelegatePartitioning: splits the execution plan into consecutive
  // subsets, each all-delegated or all-not, never creating a cycle.
  struct Subset {
    bool delegated = false;
    std::vector<int> nodes;
    std::vector<int> inputs;
    std::vector<int> outputs;
  };
  std::vector<Subset> PartitionPlan(const std::vector<int>& nodes_to_replace) const;

  // TfLiteContext callbacks.
  static TfLiteStatus CtxGetExecutionPlan(TfLiteContext* ctx, TfLiteIntArray** plan);
  static TfLiteStatus CtxResizeTensor(TfLiteContext* ctx, TfLiteTensor* t, TfLiteIntArray* dims);
  static void CtxReportError(TfLiteContext* ctx, const char* fmt, ...);
  static TfLiteStatus CtxAddTensors(TfLiteContext* ctx, int n, int* first);
  static TfLiteStatus CtxGetNodeAndRegistration(TfLiteContext* ctx, int index,
                                                TfLiteNode** node, TfLiteRegistration** reg);
  static TfLiteStatus CtxReplaceNodeSubsets(TfLiteContext* ctx, TfLiteRegistration reg,
                                            const TfLiteIntArray* nodes,
                                            TfLiteDelegate* delegate);
  static TfLiteStatus CtxPreviewDelegatePartitioning(TfLiteContext* ctx,
                                                     const TfLiteIntArray* nodes,
                                                     TfLiteDelegateParams** params, int* n);
  static void* CtxAllocatePersistentBuffer(TfLiteContext* ctx, size_t bytes);

  const Model& model_;
  const OpResolver& resolver_;
  TfLiteContext context_{};
  std::vector<TfLiteTensor> tensors_;
  std::vector<std::unique_ptr<NodeEntry>> nodes_;
  std::vector<int> plan_;
  std::vector<int> inputs_;
  std::vector<int> outputs_;
  State state_ = kStateUninvokable;
  bool in_delegate_prepare_ = false;
  bool preparing_ = false;            // inside PrepareOpsStartingAt
  int failed_node_ = -1;              // node whose prepare failed last
  bool has_dynamic_tensors_ = false;
  bool preserve_all_tensors_ = false;
  int dynamic_tensor_index_ = -1;
  size_t original_nodes_ = 0;         // nodes made from the model's operators
  std::vector<int> pre_delegation_plan_;
  std::vector<TfLiteDelegate*> delegates_applied_;
  bool delegates_undone_ = false;
  TfLiteStatus last_delegate_status_ = kTfLiteOk;

  // Activation arena (64-byte aligned) and its size.
  std::unique_ptr<uint8_t, void (*)(void*)> arena_{nullptr, nullptr};
  size_t arena_size_ = 0;
  size_t unshared_bytes_ = 0;
  // Copies of constant data that was not aligned in the file.
  std::vector<std::unique_ptr<uint8_t[]>> aligned_copies_;
  // Buffers handed out by AllocatePersistentBuffer (freed with the interpreter).
  std::vector<std::unique_ptr<uint8_t[]>> persistent_;
  // Storage behind GetExecutionPlan / PreviewDelegatePartitioning results.
  TfLiteIntArray* plan_cache_ = nullptr;
  std::vector<TfLiteDelegateParams> preview_params_;
  std::vector<TfLiteIntArray*> preview_arrays_;
  void ClearPreview();
  // Params handed to delegate kernels' init (one per replaced subset).
  std::vector<std::unique_ptr<TfLiteDelegateParams, void (*)(TfLiteDelegateParams*)>>
      delegate_params_;
  std::string error_;
};

// Human-readable shape, "[1, 224, 224, 3]".
std::string ShapeString(const TfLiteIntArray* dims);

}  // namespace systole

#endif  // SYSTOLE_INTERPRETER_INTERPRETER_H_
