// Systole's CPU interpreter: runs a verified TFLite model with int8/uint8
// kernels that are bit-exact with TensorFlow Lite, and accepts delegates
// through TensorFlow Lite's delegate interface.
//
// Lifecycle:
//   Interpreter::Create(model, resolver)   builds tensors and nodes; unknown
//                                          ops fail here, naming op, version, index
//   ModifyGraphWithDelegate(delegate)*     optional, any number of delegates;
//                                          calls delegate->Prepare, which may
//                                          replace node subsets with kernels
//   AllocateTensors()                      prepares every node, plans the
//                                          activation arena, binds tensor data
//   (write inputs) Invoke() (read outputs) repeatable
// The Model and the OpResolver must outlive the Interpreter. Delegates are
// owned by the caller and must outlive the Interpreter.
//
// The TfLiteContext given to kernels and delegates implements, exactly as TFLite
// does: GetExecutionPlan, GetNodeAndRegistration,
// ReplaceNodeSubsetsWithDelegateKernels, PreviewDelegatePartitioning,
// ResizeTensor, ReportError, AddTensors, AllocatePersistentBuffer. Functions
// Systole does not implement report an error instead of crashing.
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

  Status ModifyGraphWithDelegate(TfLiteDelegate* delegate);
  Status AllocateTensors();
  Status Invoke();

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
  bool allocated_ = false;
  bool in_delegate_prepare_ = false;

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
