#include "interpreter/kernel_runner.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>

#include "interpreter/op_resolver.h"
#include "schema/tflite_generated.h"

namespace systole {
namespace {

size_t ElementBytes(TfLiteType type) {
  switch (type) {
    case kTfLiteInt16: return 2;
    case kTfLiteInt32:
    case kTfLiteFloat32: return 4;
    case kTfLiteInt64: return 8;
    default: return 1;
  }
}

size_t BytesOf(const TfLiteTensor& t) {
  size_t n = ElementBytes(t.type);
  for (int i = 0; t.dims != nullptr && i < t.dims->size; ++i) n *= static_cast<size_t>(t.dims->data[i] < 0 ? 0 : t.dims->data[i]);
  return n;
}

TfLiteIntArray* IntArray(const std::vector<int>& v) {
  TfLiteIntArray* a = TfLiteIntArrayCreate(static_cast<int>(v.size()));
  for (size_t i = 0; i < v.size(); ++i) a->data[i] = v[i];
  return a;
}

}  // namespace

KernelRunner::KernelRunner(TfliteFlavor flavor, int32_t builtin_code, int version) {
  const char* n = builtin_code >= tflite::BuiltinOperator_MIN && builtin_code <= tflite::BuiltinOperator_MAX
                      ? tflite::EnumNameBuiltinOperator(static_cast<tflite::BuiltinOperator>(builtin_code))
                      : nullptr;
  name_ = n != nullptr && *n ? n : "UNKNOWN";
  registration_ = BuiltinOpResolver(flavor).FindBuiltin(builtin_code, version);
  tensors_.reserve(8);
}

KernelRunner::~KernelRunner() {
  if (initialized_ && registration_->free != nullptr) registration_->free(&context_, node_.user_data);
  for (TfLiteIntArray* a : {node_.inputs, node_.outputs, node_.intermediates, node_.temporaries})
    if (a != nullptr) TfLiteIntArrayFree(a);
  for (TfLiteTensor& t : tensors_) {
    if (t.dims != nullptr) TfLiteIntArrayFree(t.dims);
    if (t.quantization.type == kTfLiteAffineQuantization && t.quantization.params != nullptr) {
      auto* q = static_cast<TfLiteAffineQuantization*>(t.quantization.params);
      TfLiteFloatArrayFree(q->scale);
      TfLiteIntArrayFree(q->zero_point);
      std::free(q);
    }
  }
}

int KernelRunner::NewTensor(TfLiteType type, const std::vector<int>& dims) {
  TfLiteTensor t{};
  t.type = type;
  t.dims = IntArray(dims);
  t.bytes = BytesOf(t);
  t.name = "";
  t.buffer_handle = kTfLiteNullBufferHandle;
  t.allocation_type = kTfLiteArenaRw;
  tensors_.push_back(t);
  buffers_.emplace_back();
  return static_cast<int>(tensors_.size()) - 1;
}

void KernelRunner::AllocateBuffer(int index) {
  TfLiteTensor& t = tensors_[index];
  buffers_[index].assign((t.bytes + 7) / 8 + 1, 0);
  t.data.raw = reinterpret_cast<char*>(buffers_[index].data());
}

int KernelRunner::AddTensor(TfLiteType type, const std::vector<int>& dims, float scale, int32_t zero_point) {
  const int i = NewTensor(type, dims);
  TfLiteTensor& t = tensors_[i];
  auto* q = static_cast<TfLiteAffineQuantization*>(std::calloc(1, sizeof(TfLiteAffineQuantization)));
  q->scale = TfLiteFloatArrayCreate(1);
  q->zero_point = TfLiteIntArrayCreate(1);
  q->scale->data[0] = scale;
  q->zero_point->data[0] = zero_point;
  t.quantization.type = kTfLiteAffineQuantization;
  t.quantization.params = q;
  t.params.scale = scale;
  t.params.zero_point = zero_point;
  AllocateBuffer(i);
  return i;
}

int KernelRunner::AddConstInt32(const std::vector<int32_t>& values) {
  const int i = NewTensor(kTfLiteInt32, {static_cast<int>(values.size())});
  AllocateBuffer(i);
  for (size_t k = 0; k < values.size(); ++k) tensors_[i].data.i32[k] = values[k];
  tensors_[i].allocation_type = kTfLiteMmapRo;
  return i;
}

TfLiteStatus KernelRunner::ResizeTensor(TfLiteContext* context, TfLiteTensor* tensor, TfLiteIntArray* dims) {
  auto* self = static_cast<KernelRunner*>(context->impl_);
  if (dims == nullptr) return kTfLiteError;
  const bool same = TfLiteIntArrayEqualsArray(tensor->dims, dims->size, dims->data);
  if (tensor->allocation_type == kTfLiteMmapRo && !same) {
    TfLiteIntArrayFree(dims);
    ReportError(context, "cannot resize a constant tensor");
    return kTfLiteError;
  }
  TfLiteIntArrayFree(tensor->dims);
  tensor->dims = dims;
  tensor->bytes = BytesOf(*tensor);
  if (tensor->allocation_type != kTfLiteMmapRo && !same) self->AllocateBuffer(static_cast<int>(tensor - self->tensors_.data()));
  return kTfLiteOk;
}

void KernelRunner::ReportError(TfLiteContext* context, const char* format, ...) {
  auto* self = static_cast<KernelRunner*>(context->impl_);
  char buf[512];
  va_list ap;
  va_start(ap, format);
  std::vsnprintf(buf, sizeof buf, format, ap);
  va_end(ap);
  if (!self->error_.empty()) self->error_ += "; ";
  self->error_ += buf;
}

Status KernelRunner::Error(const char* stage) {
  Status s = Internal("%s kernel %s failed%s%s", name_.c_str(), stage, error_.empty() ? "" : ": ", error_.c_str());
  error_.clear();
  return s;
}

Status KernelRunner::Prepare(const std::vector<int>& inputs, const std::vector<int>& outputs, void* builtin_data) {
  if (registration_ == nullptr) return Unimplemented("%s: no CPU kernel registered", name_.c_str());
  if (initialized_) return Internal("%s: KernelRunner::Prepare called twice", name_.c_str());
  for (int t : inputs)
    if (t >= static_cast<int>(tensors_.size())) return InvalidArgument("%s: no tensor %d", name_.c_str(), t);
  for (int t : outputs)
    if (t < 0 || t >= static_cast<int>(tensors_.size())) return InvalidArgument("%s: no tensor %d", name_.c_str(), t);
  context_.tensors_size = tensors_.size();
  context_.tensors = tensors_.data();
  context_.impl_ = this;
  context_.ResizeTensor = &KernelRunner::ResizeTensor;
  context_.ReportError = &KernelRunner::ReportError;
  node_.inputs = IntArray(inputs);
  node_.outputs = IntArray(outputs);
  node_.intermediates = TfLiteIntArrayCreate(0);
  node_.temporaries = TfLiteIntArrayCreate(0);
  node_.builtin_data = builtin_data;
  if (registration_->init != nullptr) node_.user_data = registration_->init(&context_, nullptr, 0);
  initialized_ = true;
  if (registration_->prepare != nullptr && registration_->prepare(&context_, &node_) != kTfLiteOk)
    return Error("prepare");
  prepared_ = true;
  return Status::Ok();
}

Status KernelRunner::Invoke() {
  if (!prepared_) return Internal("%s: KernelRunner::Invoke before Prepare", name_.c_str());
  if (registration_->invoke(&context_, &node_) != kTfLiteOk) return Error("invoke");
  return Status::Ok();
}

}  // namespace systole
