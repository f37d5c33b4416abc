// TRANSPOSE: permutes the dimensions of a 1-D..5-D tensor, as TensorFlow
// Lite's tensorflow/lite/kernels/transpose.cc: output dim i = input dim
// perm[i]. The reference TFLite build (tfjs-tflite 0.0.1-alpha.10) rejects
// 6-D inputs ("Transpose op only supports 1D-5D input arrays."; 6-D support
// came later), so Systole rejects them too: a model must run on both or on
// neither. Input 1 (perm) is a constant 1-D INT32 tensor with one entry per
// input dimension, each in [0, dims). The data move is type-agnostic.
// Stricter than TFLite: a perm with a repeated axis is rejected (TFLite does
// not check and produces an ill-defined result).
#include <cstdint>
#include <cstring>
#include <vector>

#include "interpreter/kernels/builtin_kernels.h"
#include "interpreter/kernels/kernel_util.h"

namespace systole {
namespace kernels {
namespace {

constexpr int kMaxTransposeDims = 5;  // the reference TFLite's limit
constexpr int kLoopDims = 6;          // the copy loop below handles up to 6

size_t ElementSize(TfLiteType type) {
  switch (type) {
    case kTfLiteFloat32:
    case kTfLiteInt32:
    case kTfLiteUInt32:
      return 4;
    case kTfLiteInt16:
    case kTfLiteUInt16:
      return 2;
    case kTfLiteInt8:
    case kTfLiteUInt8:
    case kTfLiteBool:
      return 1;
    case kTfLiteInt64:
      return 8;
    default:
      return 0;
  }
}

// Reads and checks perm into out[0..dims) (no allocation: also used by invoke).
TfLiteStatus ReadPerm(TfLiteContext* context, const TfLiteTensor* input, const TfLiteTensor* perm,
                      int* out) {
  const int dims = NumDimensions(input);
  SYSTOLE_KERNEL_ENSURE(context, perm->type == kTfLiteInt32, "TRANSPOSE: perm must be INT32, got %s",
                        TypeName(perm->type));
  SYSTOLE_KERNEL_ENSURE(context, NumDimensions(perm) == 1 && SizeOfDimension(perm, 0) == dims,
                        "TRANSPOSE: perm must be 1-D with %d entries (one per input dimension)",
                        dims);
  SYSTOLE_KERNEL_ENSURE(context, IsConstantTensor(perm) && perm->data.raw != nullptr,
                        "TRANSPOSE: perm must be a constant tensor (static shapes only)");
  SYSTOLE_KERNEL_ENSURE(context, dims <= kMaxTransposeDims,
                        "TRANSPOSE: %d-D input; only 1-D to 5-D is supported", dims);
  bool seen[kMaxTransposeDims] = {false};
  for (int i = 0; i < dims; ++i) {
    const int p = perm->data.i32[i];
    SYSTOLE_KERNEL_ENSURE(context, p >= 0 && p < dims,
                          "TRANSPOSE: perm[%d] = %d is out of bounds for a %d-D input", i, p, dims);
    SYSTOLE_KERNEL_ENSURE(context, !seen[p], "TRANSPOSE: perm repeats axis %d", p);
    seen[p] = true;
    out[i] = p;
  }
  return kTfLiteOk;
}

TfLiteStatus TransposePrepare(TfLiteContext* context, TfLiteNode* node) {
  SYSTOLE_KERNEL_ENSURE(context, NumInputs(node) == 2, "TRANSPOSE: expected 2 inputs, got %d",
                        NumInputs(node));
  SYSTOLE_KERNEL_ENSURE(context, NumOutputs(node) == 1, "TRANSPOSE: expected 1 output, got %d",
                        NumOutputs(node));
  const TfLiteTensor* input = GetInput(context, node, 0);
  const TfLiteTensor* perm = GetInput(context, node, 1);
  TfLiteTensor* output = GetOutput(context, node, 0);
  SYSTOLE_KERNEL_ENSURE(context, input && perm && output, "TRANSPOSE: missing input/output tensor");
  const int dims = NumDimensions(input);
  SYSTOLE_KERNEL_ENSURE(context, dims <= kMaxTransposeDims,
                        "TRANSPOSE: %d-D input; only 1-D to 5-D is supported", dims);
  SYSTOLE_KERNEL_ENSURE(context, input->type == output->type,
                        "TRANSPOSE: input type %s differs from output type %s",
                        TypeName(input->type), TypeName(output->type));
  SYSTOLE_KERNEL_ENSURE(context, ElementSize(input->type) != 0, "TRANSPOSE: type %s not supported",
                        TypeName(input->type));
  int p[kMaxTransposeDims];
  SYSTOLE_KERNEL_ENSURE_OK(ReadPerm(context, input, perm, p));
  std::vector<int> shape(dims);
  for (int i = 0; i < dims; ++i) shape[i] = SizeOfDimension(input, p[i]);
  return context->ResizeTensor(context, output, IntArrayFromVector(shape));
}

TfLiteStatus TransposeEval(TfLiteContext* context, TfLiteNode* node) {
  const TfLiteTensor* input = GetInput(context, node, 0);
  const TfLiteTensor* perm = GetInput(context, node, 1);
  TfLiteTensor* output = GetOutput(context, node, 0);
  int p[kMaxTransposeDims];
  SYSTOLE_KERNEL_ENSURE_OK(ReadPerm(context, input, perm, p));
  const int dims = NumDimensions(input);
  const size_t elem = ElementSize(input->type);
  const int64_t total = NumElements(input);
  if (total == 0) return kTfLiteOk;

  // Pad to kLoopDims with leading unit dimensions; for each output dimension the
  // stride (in elements) of the input dimension it walks.
  int out_dims[kLoopDims];
  int64_t in_stride_of_out[kLoopDims];
  int64_t in_strides[kLoopDims];
  int64_t s = 1;
  for (int i = dims - 1; i >= 0; --i) {
    in_strides[i] = s;
    s *= SizeOfDimension(input, i);
  }
  const int lead = kLoopDims - dims;
  for (int i = 0; i < kLoopDims; ++i) {
    if (i < lead) {
      out_dims[i] = 1;
      in_stride_of_out[i] = 0;
    } else {
      out_dims[i] = SizeOfDimension(input, p[i - lead]);
      in_stride_of_out[i] = in_strides[p[i - lead]];
    }
  }
  const uint8_t* in = reinterpret_cast<const uint8_t*>(input->data.raw);
  uint8_t* out = reinterpret_cast<uint8_t*>(output->data.raw);
  for (int i0 = 0; i0 < out_dims[0]; ++i0) {
    for (int i1 = 0; i1 < out_dims[1]; ++i1) {
      for (int i2 = 0; i2 < out_dims[2]; ++i2) {
        for (int i3 = 0; i3 < out_dims[3]; ++i3) {
          for (int i4 = 0; i4 < out_dims[4]; ++i4) {
            const int64_t base = i0 * in_stride_of_out[0] + i1 * in_stride_of_out[1] +
                                 i2 * in_stride_of_out[2] + i3 * in_stride_of_out[3] +
                                 i4 * in_stride_of_out[4];
            for (int i5 = 0; i5 < out_dims[5]; ++i5) {
              std::memcpy(out, in + (base + i5 * in_stride_of_out[5]) * elem, elem);
              out += elem;
            }
          }
        }
      }
    }
  }
  return kTfLiteOk;
}

}  // namespace

const TfLiteRegistration* RegisterTranspose(TfliteFlavor) {
  static const TfLiteRegistration r = KernelRegistration(TransposePrepare, TransposeEval);
  return &r;
}

}  // namespace kernels
}  // namespace systole
