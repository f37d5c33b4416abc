// Runs one builtin CPU kernel on a few tensors held in memory, without a
// model flatbuffer or an interpreter (in the style of TensorFlow Lite Micro's
// kernel_runner.h). The kernel is the very registration BuiltinOpResolver
// gives for the flavor, so what it computes here is what the interpreter
// computes in a model; the compiler uses it to tabulate lookup tables and to
// read index maps off the kernels, bit-exact by construction.
//
//   KernelRunner r(flavor, tflite::BuiltinOperator_LOGISTIC);
//   int x = r.AddTensor(kTfLiteInt8, {1, 256}, scale, zp);
//   int y = r.AddTensor(kTfLiteInt8, {1, 256}, out_scale, out_zp);
//   RETURN_IF_ERROR(r.Prepare({x}, {y}, /*builtin_data=*/nullptr));
//   ... fill r.data(x) ...; RETURN_IF_ERROR(r.Invoke()); ... read r.data(y) ...
//
// Tensors are per-tensor affine quantized; non-constant tensors get buffers
// owned by the runner, sized after the kernel's prepare (which may resize
// its outputs).
#ifndef SYSTOLE_INTERPRETER_KERNEL_RUNNER_H_
#define SYSTOLE_INTERPRETER_KERNEL_RUNNER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/tflite_flavor.h"
#include "interpreter/tflite_c.h"

namespace systole {

class KernelRunner {
 public:
  KernelRunner(TfliteFlavor flavor, int32_t builtin_code, int version = 1);
  ~KernelRunner();
  KernelRunner(const KernelRunner&) = delete;
  KernelRunner& operator=(const KernelRunner&) = delete;

  // An activation tensor (owned, zero-filled buffer); returns its index.
  int AddTensor(TfLiteType type, const std::vector<int>& dims, float scale, int32_t zero_point);
  // A constant INT32 vector (e.g. RESIZE's size, PAD's paddings).
  int AddConstInt32(const std::vector<int32_t>& values);

  // Makes the node (inputs, outputs; builtin_data is the op's TfLite*Params
  // or nullptr, not owned, alive until the runner is destroyed), runs the
  // kernel's init and prepare, and allocates the tensors.
  Status Prepare(const std::vector<int>& inputs, const std::vector<int>& outputs, void* builtin_data);
  Status Invoke();

  TfLiteTensor* tensor(int index) { return &tensors_[index]; }
  uint8_t* data(int index) { return reinterpret_cast<uint8_t*>(tensors_[index].data.raw); }

 private:
  static TfLiteStatus ResizeTensor(TfLiteContext* context, TfLiteTensor* tensor, TfLiteIntArray* dims);
  static void ReportError(TfLiteContext* context, const char* format, ...);
  int NewTensor(TfLiteType type, const std::vector<int>& dims);
  void AllocateBuffer(int index);
  Status Error(const char* stage);

  std::string name_;
  const TfLiteRegistration* registration_ = nullptr;
  std::vector<TfLiteTensor> tensors_;
  std::vector<std::vector<uint64_t>> buffers_;  // 8-byte aligned storage
  TfLiteContext context_{};
  TfLiteNode node_{};
  bool initialized_ = false, prepared_ = false;
  std::string error_;
};

}  // namespace systole

#endif  // SYSTOLE_INTERPRETER_KERNEL_RUNNER_H_
