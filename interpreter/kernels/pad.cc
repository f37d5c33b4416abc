// PAD: pads an N-D tensor (N <= 5) with a constant, as TensorFlow Lite's
// builtin kernel (tensorflow/lite/kernels/pad.cc) does.
//
// Inputs: 0 = input, 1 = paddings (int32 or int64 [N, 2], constant),
//         2 = optional constant_values (scalar of the input type; PADV2 form).
// The pad value is 0 for float/int32 and, for int8/uint8, the output zero
// point (TFLite: "quantized pad requires that 0 is represented"); with
// constant_values it is that value, whose zero point must equal the output's.
// The kernel is a pure byte move: input and output quantization are not
// compared (TFLite does not compare them either).
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "interpreter/kernels/builtin_kernels.h"
#include "interpreter/kernels/kernel_util.h"

namespace systole {
namespace kernels {
namespace {

constexpr int kMaxPadDims = 5;  // TFLite PadKernelMaxDimensionCount()

// Reads the [dims, 2] paddings into before/after (kMaxPadDims entries each,
// so that invoke does not allocate); checks shape and signs.
TfLiteStatus ReadPaddings(TfLiteContext* context, const TfLiteTensor* input,
                          const TfLiteTensor* paddings, int* before, int* after) {
  const int dims = NumDimensions(input);
  SYSTOLE_KERNEL_ENSURE(context, paddings->type == kTfLiteInt32 || paddings->type == kTfLiteInt64,
                        "PAD: paddings must be INT32 or INT64, got %s",
                        TypeName(paddings->type));
  SYSTOLE_KERNEL_ENSURE(context,
                        NumDimensions(paddings) == 2 && SizeOfDimension(paddings, 0) == dims &&
                            SizeOfDimension(paddings, 1) == 2,
                        "PAD: paddings must have shape [%d, 2] for a %d-D input", dims, dims);
  SYSTOLE_KERNEL_ENSURE(context, paddings->data.raw != nullptr,
                        "PAD: paddings must be a constant tensor (static shapes only)");
  SYSTOLE_KERNEL_ENSURE(context, dims <= kMaxPadDims, "PAD: %d-D input; at most %d-D supported",
                        dims, kMaxPadDims);
  for (int i = 0; i < dims; ++i) {
    int64_t b, a;
    if (paddings->type == kTfLiteInt32) {
      b = paddings->data.i32[2 * i];
      a = paddings->data.i32[2 * i + 1];
    } else {
      b = paddings->data.i64[2 * i];
      a = paddings->data.i64[2 * i + 1];
    }
    SYSTOLE_KERNEL_ENSURE(context, b >= 0 && a >= 0,
                          "PAD: padding of dimension %d is negative (%lld, %lld); must be >= 0", i,
                          static_cast<long long>(b), static_cast<long long>(a));
    SYSTOLE_KERNEL_ENSURE(context, b <= std::numeric_limits<int>::max() / 4 &&
                                       a <= std::numeric_limits<int>::max() / 4,
                          "PAD: padding of dimension %d is too large", i);
    before[i] = static_cast<int>(b);
    after[i] = static_cast<int>(a);
  }
  return kTfLiteOk;
}

TfLiteStatus PadPrepare(TfLiteContext* context, TfLiteNode* node) {
  SYSTOLE_KERNEL_ENSURE(context, NumInputs(node) == 2 || NumInputs(node) == 3,
                        "PAD: expected 2 or 3 inputs, got %d", NumInputs(node));
  SYSTOLE_KERNEL_ENSURE(context, NumOutputs(node) == 1, "PAD: expected 1 output, got %d",
                        NumOutputs(node));
  const TfLiteTensor* input = GetInput(context, node, 0);
  const TfLiteTensor* paddings = GetInput(context, node, 1);
  TfLiteTensor* output = GetOutput(context, node, 0);
  SYSTOLE_KERNEL_ENSURE(context, input && paddings && output, "PAD: missing input/output tensor");
  SYSTOLE_KERNEL_ENSURE(context, input->type == output->type,
                        "PAD: input type %s differs from output type %s", TypeName(input->type),
                        TypeName(output->type));
  SYSTOLE_KERNEL_ENSURE(context,
                        input->type == kTfLiteFloat32 || input->type == kTfLiteInt32 ||
                            input->type == kTfLiteInt8 || input->type == kTfLiteUInt8,
                        "PAD: type %s not supported (float32, int32, int8, uint8)",
                        TypeName(input->type));
  const int dims = NumDimensions(input);
  SYSTOLE_KERNEL_ENSURE(context, dims <= kMaxPadDims, "PAD: %d-D input; at most %d-D supported",
                        dims, kMaxPadDims);
  SYSTOLE_KERNEL_ENSURE(context, IsConstantTensor(paddings),
                        "PAD: paddings must be a constant tensor (static shapes only)");
  if (NumInputs(node) == 3) {
    const TfLiteTensor* value = GetInput(context, node, 2);
    if (value != nullptr) {
      SYSTOLE_KERNEL_ENSURE(context, value->type == input->type,
                            "PAD: constant_values type %s differs from input type %s",
                            TypeName(value->type), TypeName(input->type));
      SYSTOLE_KERNEL_ENSURE(context, NumElements(value) == 1,
                            "PAD: constant_values must be a scalar");
      if (input->type == kTfLiteInt8 || input->type == kTfLiteUInt8) {
        SYSTOLE_KERNEL_ENSURE(context, value->params.zero_point == output->params.zero_point,
                              "PAD: constant_values zero point %d differs from output zero "
                              "point %d",
                              value->params.zero_point, output->params.zero_point);
      }
    }
  }
  if (input->type == kTfLiteInt8 || input->type == kTfLiteUInt8) {
    const int32_t lo = input->type == kTfLiteInt8 ? -128 : 0;
    const int32_t hi = input->type == kTfLiteInt8 ? 127 : 255;
    SYSTOLE_KERNEL_ENSURE(context,
                          output->params.zero_point >= lo && output->params.zero_point <= hi,
                          "PAD: output zero point %d is outside the %s range",
                          output->params.zero_point, TypeName(output->type));
  }
  int before[kMaxPadDims], after[kMaxPadDims];
  SYSTOLE_KERNEL_ENSURE_OK(ReadPaddings(context, input, paddings, before, after));
  std::vector<int> out_shape(dims);
  for (int i = 0; i < dims; ++i) {
    out_shape[i] = SizeOfDimension(input, i) + before[i] + after[i];
  }
  return context->ResizeTensor(context, output, IntArrayFromVector(out_shape));
}

TfLiteStatus PadEval(TfLiteContext* context, TfLiteNode* node) {
  const TfLiteTensor* input = GetInput(context, node, 0);
  const TfLiteTensor* paddings = GetInput(context, node, 1);
  const TfLiteTensor* value = NumInputs(node) == 3 ? GetInput(context, node, 2) : nullptr;
  TfLiteTensor* output = GetOutput(context, node, 0);
  int before[kMaxPadDims], after[kMaxPadDims];
  SYSTOLE_KERNEL_ENSURE_OK(ReadPaddings(context, input, paddings, before, after));

  size_t elem = 0;
  uint8_t pad_bytes[4] = {0, 0, 0, 0};
  switch (input->type) {
    case kTfLiteFloat32:
    case kTfLiteInt32:
      elem = 4;
      if (value != nullptr) std::memcpy(pad_bytes, value->data.raw, 4);
      break;
    case kTfLiteInt8:
    case kTfLiteUInt8:
      elem = 1;
      if (value != nullptr) {
        pad_bytes[0] = static_cast<uint8_t>(value->data.raw[0]);
      } else {
        pad_bytes[0] = static_cast<uint8_t>(output->params.zero_point);
      }
      break;
    default:
      context->ReportError(context, "PAD: type %s not supported", TypeName(input->type));
      return kTfLiteError;
  }

  // Extend to kMaxPadDims with leading 1-sized, unpadded dimensions.
  const int dims = NumDimensions(input);
  int in_shape[kMaxPadDims], out_shape[kMaxPadDims], left[kMaxPadDims];
  for (int i = 0; i < kMaxPadDims; ++i) {
    const int src = i - (kMaxPadDims - dims);
    in_shape[i] = src >= 0 ? SizeOfDimension(input, src) : 1;
    left[i] = src >= 0 ? before[src] : 0;
    out_shape[i] = src >= 0 ? in_shape[i] + before[src] + after[src] : 1;
  }
  const int64_t out_elems = NumElements(output);
  uint8_t* out = reinterpret_cast<uint8_t*>(output->data.raw);
  if (elem == 1) {
    std::memset(out, pad_bytes[0], static_cast<size_t>(out_elems));
  } else {
    for (int64_t i = 0; i < out_elems; ++i) std::memcpy(out + i * elem, pad_bytes, elem);
  }
  if (NumElements(input) == 0) return kTfLiteOk;

  // Copy each innermost input row to its place in the output.
  const uint8_t* in = reinterpret_cast<const uint8_t*>(input->data.raw);
  const size_t row_bytes = static_cast<size_t>(in_shape[4]) * elem;
  for (int a = 0; a < in_shape[0]; ++a) {
    for (int b = 0; b < in_shape[1]; ++b) {
      for (int c = 0; c < in_shape[2]; ++c) {
        for (int d = 0; d < in_shape[3]; ++d) {
          const int64_t in_row =
              ((static_cast<int64_t>(a) * in_shape[1] + b) * in_shape[2] + c) * in_shape[3] + d;
          const int64_t out_pos =
              ((((static_cast<int64_t>(a + left[0]) * out_shape[1] + b + left[1]) *
                     out_shape[2] +
                 c + left[2]) *
                    out_shape[3] +
                d + left[3]) *
                   out_shape[4] +
               left[4]);
          std::memcpy(out + out_pos * elem, in + in_row * row_bytes, row_bytes);
        }
      }
    }
  }
  return kTfLiteOk;
}

}  // namespace

const TfLiteRegistration* RegisterPad(TfliteFlavor) {
  static const TfLiteRegistration r = KernelRegistration(PadPrepare, PadEval);
  return &r;
}

}  // namespace kernels
}  // namespace systole
