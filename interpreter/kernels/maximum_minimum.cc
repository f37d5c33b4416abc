// MAXIMUM / MINIMUM: element-wise max / min of two tensors with broadcasting,
// as TensorFlow Lite's tensorflow/lite/kernels/maximum_minimum.cc. The result
// is the raw stored value of one of the inputs: TFLite does not requantize
// (quantization parameters are neither compared nor applied), so neither do
// we. Types: float32, int8, uint8, int16, int32, int64. Comparison as TFLite:
// max = a > b ? a : b, min = a < b ? a : b (for a NaN the second input wins).
// Shapes: equal, or broadcastable (each dimension equal or 1, aligned from the
// back), at most 5-D as TFLite's broadcast path (6-D aborts in TFLite).
#include <algorithm>
#include <cstdint>
#include <vector>

#include "interpreter/kernels/builtin_kernels.h"
#include "interpreter/kernels/kernel_util.h"

namespace systole {
namespace kernels {
namespace {

constexpr int kMaxBroadcastDims = 5;

template <bool kIsMax>
const char* OpName() {
  return kIsMax ? "MAXIMUM" : "MINIMUM";
}

// Output shape of broadcasting a with b (TFLite CalculateShapeForBroadcast).
template <bool kIsMax>
TfLiteStatus BroadcastShape(TfLiteContext* context, const TfLiteTensor* a, const TfLiteTensor* b,
                            std::vector<int>* out) {
  const int da = NumDimensions(a);
  const int db = NumDimensions(b);
  const int n = std::max(da, db);
  out->assign(n, 1);
  for (int i = 0; i < n; ++i) {
    const int ia = da - n + i;
    const int ib = db - n + i;
    const int sa = ia >= 0 ? SizeOfDimension(a, ia) : 1;
    const int sb = ib >= 0 ? SizeOfDimension(b, ib) : 1;
    SYSTOLE_KERNEL_ENSURE(context, sa == sb || sa == 1 || sb == 1,
                          "%s: shapes are not broadcastable: dimension %d of the output has "
                          "input sizes %d and %d (each must be equal or 1)",
                          OpName<kIsMax>(), i, sa, sb);
    (*out)[i] = sa == 1 ? sb : sa;
  }
  return kTfLiteOk;
}

template <bool kIsMax>
TfLiteStatus MaxMinPrepare(TfLiteContext* context, TfLiteNode* node) {
  const char* op = OpName<kIsMax>();
  SYSTOLE_KERNEL_ENSURE(context, NumInputs(node) == 2, "%s: expected 2 inputs, got %d", op,
                        NumInputs(node));
  SYSTOLE_KERNEL_ENSURE(context, NumOutputs(node) == 1, "%s: expected 1 output, got %d", op,
                        NumOutputs(node));
  const TfLiteTensor* a = GetInput(context, node, 0);
  const TfLiteTensor* b = GetInput(context, node, 1);
  TfLiteTensor* output = GetOutput(context, node, 0);
  SYSTOLE_KERNEL_ENSURE(context, a && b && output, "%s: missing input/output tensor", op);
  SYSTOLE_KERNEL_ENSURE(context, a->type == b->type, "%s: input types differ (%s and %s)", op,
                        TypeName(a->type), TypeName(b->type));
  switch (a->type) {
    case kTfLiteFloat32: case kTfLiteInt8: case kTfLiteUInt8: case kTfLiteInt16:
    case kTfLiteInt32: case kTfLiteInt64:
      break;
    default:
      SYSTOLE_KERNEL_ENSURE(context, false,
                            "%s: type %s not supported (float32, int8, uint8, int16, int32, int64)",
                            op, TypeName(a->type));
  }
  // TFLite sets the output type from the inputs; a model whose output tensor
  // says otherwise would be read as the wrong type, so Systole rejects it.
  SYSTOLE_KERNEL_ENSURE(context, output->type == a->type,
                        "%s: output type %s differs from input type %s", op,
                        TypeName(output->type), TypeName(a->type));
  std::vector<int> shape;
  if (HaveSameShapes(a, b)) {
    shape.assign(a->dims->data, a->dims->data + a->dims->size);
  } else {
    SYSTOLE_KERNEL_ENSURE_OK(BroadcastShape<kIsMax>(context, a, b, &shape));
  }
  SYSTOLE_KERNEL_ENSURE(context, static_cast<int>(shape.size()) <= kMaxBroadcastDims,
                        "%s: %d-D output; at most %d-D is supported", op,
                        static_cast<int>(shape.size()), kMaxBroadcastDims);
  return context->ResizeTensor(context, output, IntArrayFromVector(shape));
}

template <bool kIsMax, typename T>
TfLiteStatus MaxMinTyped(const TfLiteTensor* a, const TfLiteTensor* b, TfLiteTensor* output) {
  const int n = NumDimensions(output);
  // Output shape and per-input element strides, right-aligned to 5-D, with
  // stride 0 along broadcast (size-1) dimensions.
  int shape[kMaxBroadcastDims];
  int64_t sa[kMaxBroadcastDims];
  int64_t sb[kMaxBroadcastDims];
  auto strides = [](const TfLiteTensor* t, int64_t* s) {
    const int d = NumDimensions(t);
    int64_t acc = 1;
    for (int i = kMaxBroadcastDims - 1; i >= 0; --i) {
      const int ti = d - (kMaxBroadcastDims - i);
      const int size = ti >= 0 ? SizeOfDimension(t, ti) : 1;
      s[i] = size == 1 ? 0 : acc;
      acc *= size;
    }
  };
  strides(a, sa);
  strides(b, sb);
  for (int i = 0; i < kMaxBroadcastDims; ++i) {
    const int oi = n - (kMaxBroadcastDims - i);
    shape[i] = oi >= 0 ? SizeOfDimension(output, oi) : 1;
  }
  const T* pa = reinterpret_cast<const T*>(a->data.raw);
  const T* pb = reinterpret_cast<const T*>(b->data.raw);
  T* out = reinterpret_cast<T*>(output->data.raw);
  for (int i0 = 0; i0 < shape[0]; ++i0) {
    for (int i1 = 0; i1 < shape[1]; ++i1) {
      for (int i2 = 0; i2 < shape[2]; ++i2) {
        for (int i3 = 0; i3 < shape[3]; ++i3) {
          const int64_t ba = i0 * sa[0] + i1 * sa[1] + i2 * sa[2] + i3 * sa[3];
          const int64_t bb = i0 * sb[0] + i1 * sb[1] + i2 * sb[2] + i3 * sb[3];
          for (int i4 = 0; i4 < shape[4]; ++i4) {
            const T x = pa[ba + i4 * sa[4]];
            const T y = pb[bb + i4 * sb[4]];
            *out++ = kIsMax ? (x > y ? x : y) : (x < y ? x : y);
          }
        }
      }
    }
  }
  return kTfLiteOk;
}

template <bool kIsMax>
TfLiteStatus MaxMinEval(TfLiteContext* context, TfLiteNode* node) {
  const TfLiteTensor* a = GetInput(context, node, 0);
  const TfLiteTensor* b = GetInput(context, node, 1);
  TfLiteTensor* output = GetOutput(context, node, 0);
  if (NumElements(output) == 0) return kTfLiteOk;
  switch (output->type) {
    case kTfLiteFloat32: return MaxMinTyped<kIsMax, float>(a, b, output);
    case kTfLiteInt8: return MaxMinTyped<kIsMax, int8_t>(a, b, output);
    case kTfLiteUInt8: return MaxMinTyped<kIsMax, uint8_t>(a, b, output);
    case kTfLiteInt16: return MaxMinTyped<kIsMax, int16_t>(a, b, output);
    case kTfLiteInt32: return MaxMinTyped<kIsMax, int32_t>(a, b, output);
    case kTfLiteInt64: return MaxMinTyped<kIsMax, int64_t>(a, b, output);
    default:
      context->ReportError(context, "%s: type %s not supported", OpName<kIsMax>(),
                           TypeName(output->type));
      return kTfLiteError;
  }
}

}  // namespace

const TfLiteRegistration* RegisterMaximum(TfliteFlavor) {
  static const TfLiteRegistration r = KernelRegistration(MaxMinPrepare<true>, MaxMinEval<true>);
  return &r;
}

const TfLiteRegistration* RegisterMinimum(TfliteFlavor) {
  static const TfLiteRegistration r = KernelRegistration(MaxMinPrepare<false>, MaxMinEval<false>);
  return &r;
}

}  // namespace kernels
}  // namespace systole
