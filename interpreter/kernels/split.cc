// SPLIT: splits input 1 into num_splits equal slices along the axis given by
// input 0 (a constant INT32 scalar; negative counts from the back), as
// TensorFlow Lite's tensorflow/lite/kernels/split.cc. Outputs keep the
// input's type; the data move is type-agnostic (quantization is passed
// through untouched, as in TFLite).
#include <cstdint>
#include <cstring>
#include <vector>

#include "interpreter/kernels/builtin_kernels.h"
#include "interpreter/kernels/kernel_util.h"

namespace systole {
namespace kernels {
namespace {

size_t SplitElementSize(TfLiteType type) {
  switch (type) {
    case kTfLiteFloat32:
    case kTfLiteInt32:
      return 4;
    case kTfLiteInt16:
      return 2;
    case kTfLiteInt8:
    case kTfLiteUInt8:
      return 1;
    default:
      return 0;
  }
}

// Validates the node and returns the resolved axis.
TfLiteStatus ResolveSplit(TfLiteContext* context, TfLiteNode* node, int* axis_out) {
  const auto* params = static_cast<const TfLiteSplitParams*>(node->builtin_data);
  SYSTOLE_KERNEL_ENSURE(context, params != nullptr, "SPLIT: missing SplitOptions (num_splits)");
  const int num_splits = params->num_splits;
  SYSTOLE_KERNEL_ENSURE(context, num_splits > 0, "SPLIT: num_splits is %d; must be > 0",
                        num_splits);
  SYSTOLE_KERNEL_ENSURE(context, NumOutputs(node) == num_splits,
                        "SPLIT: %d outputs but num_splits is %d", NumOutputs(node), num_splits);
  const TfLiteTensor* axis = GetInput(context, node, 0);
  const TfLiteTensor* input = GetInput(context, node, 1);
  SYSTOLE_KERNEL_ENSURE(context, axis && input, "SPLIT: missing input tensor");
  SYSTOLE_KERNEL_ENSURE(context, axis->type == kTfLiteInt32,
                        "SPLIT: axis (input 0) must be INT32, got %s", TypeName(axis->type));
  SYSTOLE_KERNEL_ENSURE(context, NumElements(axis) == 1, "SPLIT: axis (input 0) must be a scalar");
  SYSTOLE_KERNEL_ENSURE(context, IsConstantTensor(axis) && axis->data.raw != nullptr,
                        "SPLIT: axis (input 0) must be a constant tensor (static shapes only)");
  const int dims = NumDimensions(input);
  int a = axis->data.i32[0];
  if (a < 0) a += dims;
  SYSTOLE_KERNEL_ENSURE(context, a >= 0 && a < dims,
                        "SPLIT: axis %d is out of range for a %d-D input", axis->data.i32[0], dims);
  SYSTOLE_KERNEL_ENSURE(context, SizeOfDimension(input, a) % num_splits == 0,
                        "SPLIT: not an even split: dimension %d has size %d, num_splits %d", a,
                        SizeOfDimension(input, a), num_splits);
  *axis_out = a;
  return kTfLiteOk;
}

TfLiteStatus SplitPrepare(TfLiteContext* context, TfLiteNode* node) {
  SYSTOLE_KERNEL_ENSURE(context, NumInputs(node) == 2, "SPLIT: expected 2 inputs, got %d",
                        NumInputs(node));
  int axis = 0;
  SYSTOLE_KERNEL_ENSURE_OK(ResolveSplit(context, node, &axis));
  const TfLiteTensor* input = GetInput(context, node, 1);
  SYSTOLE_KERNEL_ENSURE(context, SplitElementSize(input->type) != 0,
                        "SPLIT: type %s not supported (float32, int32, int16, int8, uint8)",
                        TypeName(input->type));
  const int num_splits = NumOutputs(node);
  for (int i = 0; i < num_splits; ++i) {
    TfLiteTensor* output = GetOutput(context, node, i);
    SYSTOLE_KERNEL_ENSURE(context, output != nullptr, "SPLIT: output %d is missing", i);
    SYSTOLE_KERNEL_ENSURE(context, output->type == input->type,
                          "SPLIT: output %d type %s differs from input type %s", i,
                          TypeName(output->type), TypeName(input->type));
    std::vector<int> shape(input->dims->data, input->dims->data + input->dims->size);
    shape[axis] /= num_splits;
    SYSTOLE_KERNEL_ENSURE_OK(context->ResizeTensor(context, output, IntArrayFromVector(shape)));
  }
  return kTfLiteOk;
}

TfLiteStatus SplitEval(TfLiteContext* context, TfLiteNode* node) {
  int axis = 0;
  SYSTOLE_KERNEL_ENSURE_OK(ResolveSplit(context, node, &axis));
  const TfLiteTensor* input = GetInput(context, node, 1);
  const int num_splits = NumOutputs(node);
  const size_t elem = SplitElementSize(input->type);
  int64_t outer = 1;
  for (int i = 0; i < axis; ++i) outer *= SizeOfDimension(input, i);
  int64_t inner = 1;
  for (int i = axis + 1; i < NumDimensions(input); ++i) inner *= SizeOfDimension(input, i);
  const size_t slice_bytes =
      static_cast<size_t>(SizeOfDimension(input, axis) / num_splits * inner) * elem;
  const uint8_t* in = reinterpret_cast<const uint8_t*>(input->data.raw);
  for (int64_t k = 0; k < outer; ++k) {
    for (int i = 0; i < num_splits; ++i) {
      uint8_t* out = reinterpret_cast<uint8_t*>(GetOutput(context, node, i)->data.raw);
      std::memcpy(out + k * slice_bytes, in, slice_bytes);
      in += slice_bytes;
    }
  }
  return kTfLiteOk;
}

}  // namespace

const TfLiteRegistration* RegisterSplit(TfliteFlavor) {
  static const TfLiteRegistration r = KernelRegistration(SplitPrepare, SplitEval);
  return &r;
}

}  // namespace kernels
}  // namespace systole
