// RESHAPE and SQUEEZE: shape-only ops whose data is a byte copy, following
// TensorFlow Lite's tensorflow/lite/kernels/reshape.cc and squeeze.cc.
//
// RESHAPE new shape: from input 1 when it is a 1-D INT32 tensor (which must be
// constant here: static shapes only), else from TfLiteReshapeParams (the
// legacy form; a params shape of [0] means a scalar, as in TFLite). At most
// one entry may be -1; it is inferred from the element count.
// SQUEEZE: removes the listed size-1 dimensions (negative indices count from
// the back), or every size-1 dimension when the list is empty.
#include <cstring>
#include <vector>

#include "interpreter/kernels/builtin_kernels.h"
#include "interpreter/kernels/kernel_util.h"

namespace systole {
namespace kernels {
namespace {

size_t TypeSize(TfLiteType type) {
  switch (type) {
    case kTfLiteFloat32:
    case kTfLiteInt32:
    case kTfLiteUInt32:
      return 4;
    case kTfLiteInt16:
    case kTfLiteUInt16:
    case kTfLiteFloat16:
      return 2;
    case kTfLiteInt8:
    case kTfLiteUInt8:
    case kTfLiteBool:
      return 1;
    case kTfLiteInt64:
    case kTfLiteUInt64:
    case kTfLiteFloat64:
      return 8;
    default:
      return 0;
  }
}

// Shared by RESHAPE and SQUEEZE: same type, supported type.
TfLiteStatus CheckCopyTypes(TfLiteContext* context, const char* op, const TfLiteTensor* input,
                            const TfLiteTensor* output) {
  SYSTOLE_KERNEL_ENSURE(context, input->type == output->type,
                        "%s: input type %s differs from output type %s", op,
                        TypeName(input->type), TypeName(output->type));
  SYSTOLE_KERNEL_ENSURE(context, TypeSize(input->type) != 0, "%s: type %s not supported", op,
                        TypeName(input->type));
  return kTfLiteOk;
}

TfLiteStatus CopyEval(TfLiteContext* context, TfLiteNode* node) {
  const TfLiteTensor* input = GetInput(context, node, 0);
  TfLiteTensor* output = GetOutput(context, node, 0);
  const int64_t n = NumElements(input);
  SYSTOLE_KERNEL_ENSURE(context, n == NumElements(output),
                        "RESHAPE/SQUEEZE: output has %lld elements, input %lld",
                        static_cast<long long>(NumElements(output)), static_cast<long long>(n));
  const size_t bytes = static_cast<size_t>(n) * TypeSize(input->type);
  if (bytes != 0 && output->data.raw != input->data.raw) {
    std::memmove(output->data.raw, input->data.raw, bytes);
  }
  return kTfLiteOk;
}

TfLiteStatus ReshapePrepare(TfLiteContext* context, TfLiteNode* node) {
  SYSTOLE_KERNEL_ENSURE(context, NumInputs(node) == 1 || NumInputs(node) == 2,
                        "RESHAPE: expected 1 or 2 inputs, got %d", NumInputs(node));
  SYSTOLE_KERNEL_ENSURE(context, NumOutputs(node) == 1, "RESHAPE: expected 1 output, got %d",
                        NumOutputs(node));
  const TfLiteTensor* input = GetInput(context, node, 0);
  TfLiteTensor* output = GetOutput(context, node, 0);
  SYSTOLE_KERNEL_ENSURE(context, input && output, "RESHAPE: missing input/output tensor");
  SYSTOLE_KERNEL_ENSURE_OK(CheckCopyTypes(context, "RESHAPE", input, output));

  std::vector<int> shape;
  const TfLiteTensor* shape_tensor = NumInputs(node) == 2 ? GetInput(context, node, 1) : nullptr;
  if (shape_tensor != nullptr && NumDimensions(shape_tensor) == 1 &&
      shape_tensor->type == kTfLiteInt32) {
    SYSTOLE_KERNEL_ENSURE(context, IsConstantTensor(shape_tensor) && shape_tensor->data.raw,
                          "RESHAPE: the shape tensor must be constant (static shapes only)");
    const int n = SizeOfDimension(shape_tensor, 0);
    shape.assign(shape_tensor->data.i32, shape_tensor->data.i32 + n);
  } else {
    const auto* params = static_cast<const TfLiteReshapeParams*>(node->builtin_data);
    SYSTOLE_KERNEL_ENSURE(context, params != nullptr,
                          "RESHAPE: no 1-D INT32 shape tensor and no new_shape option");
    int n = params->num_dimensions;
    SYSTOLE_KERNEL_ENSURE(context, n >= 0 && n <= TFLITE_RESHAPE_PARAMS_MAX_DIMENSION_COUNT,
                          "RESHAPE: new_shape has %d dimensions; at most %d", n,
                          TFLITE_RESHAPE_PARAMS_MAX_DIMENSION_COUNT);
    // Legacy models write [0] for a scalar.
    if (n == 1 && params->shape[0] == 0) n = 0;
    shape.assign(params->shape, params->shape + n);
  }

  const int64_t in_elems = NumElements(input);
  int64_t out_elems = 1;
  int stretch = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      SYSTOLE_KERNEL_ENSURE(context, stretch == -1,
                            "RESHAPE: more than one dimension of the new shape is -1");
      stretch = static_cast<int>(i);
    } else {
      SYSTOLE_KERNEL_ENSURE(context, shape[i] >= 0,
                            "RESHAPE: dimension %d of the new shape is %d; must be >= -1",
                            static_cast<int>(i), shape[i]);
      SYSTOLE_KERNEL_ENSURE(context, !__builtin_mul_overflow(out_elems, int64_t{shape[i]}, &out_elems),
                            "RESHAPE: the new shape has more than 2^63 elements");
    }
  }
  if (stretch != -1) {
    if (in_elems == 0 && out_elems == 0) {
      shape[stretch] = 0;
    } else {
      SYSTOLE_KERNEL_ENSURE(context, out_elems != 0,
                            "RESHAPE: cannot infer the -1 dimension next to a 0 dimension");
      shape[stretch] = static_cast<int>(in_elems / out_elems);
    }
    out_elems *= shape[stretch];
  }
  SYSTOLE_KERNEL_ENSURE(context, in_elems == out_elems,
                        "RESHAPE: input has %lld elements but the new shape has %lld",
                        static_cast<long long>(in_elems), static_cast<long long>(out_elems));
  return context->ResizeTensor(context, output, IntArrayFromVector(shape));
}

TfLiteStatus SqueezePrepare(TfLiteContext* context, TfLiteNode* node) {
  SYSTOLE_KERNEL_ENSURE(context, NumInputs(node) == 1, "SQUEEZE: expected 1 input, got %d",
                        NumInputs(node));
  SYSTOLE_KERNEL_ENSURE(context, NumOutputs(node) == 1, "SQUEEZE: expected 1 output, got %d",
                        NumOutputs(node));
  const TfLiteTensor* input = GetInput(context, node, 0);
  TfLiteTensor* output = GetOutput(context, node, 0);
  SYSTOLE_KERNEL_ENSURE(context, input && output, "SQUEEZE: missing input/output tensor");
  SYSTOLE_KERNEL_ENSURE_OK(CheckCopyTypes(context, "SQUEEZE", input, output));
  const int dims = NumDimensions(input);
  SYSTOLE_KERNEL_ENSURE(context, dims <= 8, "SQUEEZE: %d-D input; at most 8-D supported", dims);

  const auto* params = static_cast<const TfLiteSqueezeParams*>(node->builtin_data);
  const int num_listed = params != nullptr ? params->num_squeeze_dims : 0;
  SYSTOLE_KERNEL_ENSURE(context, num_listed >= 0 && num_listed <= 8,
                        "SQUEEZE: %d squeeze_dims; at most 8", num_listed);
  bool squeeze[8] = {false};
  if (num_listed == 0) {
    for (int i = 0; i < dims; ++i) squeeze[i] = SizeOfDimension(input, i) == 1;
  } else {
    for (int i = 0; i < num_listed; ++i) {
      const int d = params->squeeze_dims[i];
      const int cur = d < 0 ? d + dims : d;
      SYSTOLE_KERNEL_ENSURE(context, cur >= 0 && cur < dims,
                            "SQUEEZE: squeeze_dims[%d] = %d is out of range for a %d-D input", i,
                            d, dims);
      SYSTOLE_KERNEL_ENSURE(context, SizeOfDimension(input, cur) == 1,
                            "SQUEEZE: dimension %d has size %d; only size-1 dimensions can be "
                            "squeezed",
                            cur, SizeOfDimension(input, cur));
      squeeze[cur] = true;
    }
  }
  std::vector<int> shape;
  for (int i = 0; i < dims; ++i) {
    if (!squeeze[i]) shape.push_back(SizeOfDimension(input, i));
  }
  return context->ResizeTensor(context, output, IntArrayFromVector(shape));
}

TfLiteRegistration MakeRegistration(TfLiteStatus (*prepare)(TfLiteContext*, TfLiteNode*)) {
  TfLiteRegistration r{};
  r.prepare = prepare;
  r.invoke = CopyEval;
  return r;
}

}  // namespace

const TfLiteRegistration* RegisterReshape(TfliteFlavor) {
  static const TfLiteRegistration r = MakeRegistration(ReshapePrepare);
  return &r;
}

const TfLiteRegistration* RegisterSqueeze(TfliteFlavor) {
  static const TfLiteRegistration r = MakeRegistration(SqueezePrepare);
  return &r;
}

}  // namespace kernels
}  // namespace systole
