// PACK and UNPACK, as TensorFlow Lite's tensorflow/lite/kernels/pack.cc and
// unpack.cc (reference_ops::Pack / Unpack). Pure data moves.
//
// PACK: values_count inputs of one shape and type are stacked along a new
// dimension `axis` (negative counts from the back of the R+1-D output).
// Types float32, int8, uint8, int16, int32, uint32, int64 (TFLite's list).
// UNPACK: splits input along `axis` (negative counts from the back) into
// `num` = shape[axis] outputs of rank R-1. Types float32, int8, uint8, int16,
// int32, bool (TFLite's list, less the 16-bit floats Systole does not have).
// Both require every input/output to have the same per-tensor scale and zero
// point, as TFLite does (no rescaling).
//
// TFLite's PACK Prepare normalizes a negative axis by writing it back into the
// op's params; Systole keeps the params read-only and resolves the axis on
// every call.
#include <cstdint>
#include <cstring>
#include <vector>

#include "interpreter/kernels/builtin_kernels.h"
#include "interpreter/kernels/kernel_util.h"

namespace systole {
namespace kernels {
namespace {

size_t PackElementSize(TfLiteType type) {
  switch (type) {
    case kTfLiteInt64: return 8;
    case kTfLiteFloat32: case kTfLiteInt32: case kTfLiteUInt32: return 4;
    case kTfLiteInt16: return 2;
    case kTfLiteInt8: case kTfLiteUInt8: return 1;
    default: return 0;
  }
}

size_t UnpackElementSize(TfLiteType type) {
  switch (type) {
    case kTfLiteFloat32: case kTfLiteInt32: return 4;
    case kTfLiteInt16: return 2;
    case kTfLiteInt8: case kTfLiteUInt8: case kTfLiteBool: return 1;
    default: return 0;
  }
}

bool SameQuantParams(const TfLiteTensor* a, const TfLiteTensor* b) {
  return a->params.scale == b->params.scale && a->params.zero_point == b->params.zero_point;
}

// ----------------------------------------------------------------- PACK ----

TfLiteStatus ResolvePack(TfLiteContext* context, TfLiteNode* node, int* axis_out) {
  const auto* params = static_cast<const TfLitePackParams*>(node->builtin_data);
  SYSTOLE_KERNEL_ENSURE(context, params != nullptr, "PACK: missing PackOptions");
  SYSTOLE_KERNEL_ENSURE(context, params->values_count >= 1, "PACK: values_count is %d; must be >= 1",
                        params->values_count);
  SYSTOLE_KERNEL_ENSURE(context, NumInputs(node) == params->values_count,
                        "PACK: %d inputs but values_count is %d", NumInputs(node),
                        params->values_count);
  SYSTOLE_KERNEL_ENSURE(context, NumOutputs(node) == 1, "PACK: expected 1 output, got %d",
                        NumOutputs(node));
  const TfLiteTensor* input0 = GetInput(context, node, 0);
  const TfLiteTensor* output = GetOutput(context, node, 0);
  SYSTOLE_KERNEL_ENSURE(context, input0 && output, "PACK: missing input/output tensor");
  const int out_dims = NumDimensions(input0) + 1;
  int axis = params->axis;
  if (axis < 0) axis += out_dims;
  SYSTOLE_KERNEL_ENSURE(context, axis >= 0 && axis < out_dims,
                        "PACK: axis %d is out of range for a %d-D output", params->axis, out_dims);
  SYSTOLE_KERNEL_ENSURE(context, PackElementSize(input0->type) != 0,
                        "PACK: type %s not supported (float32, int8, uint8, int16, int32, uint32, "
                        "int64)",
                        TypeName(input0->type));
  SYSTOLE_KERNEL_ENSURE(context, output->type == input0->type,
                        "PACK: output type %s differs from input type %s", TypeName(output->type),
                        TypeName(input0->type));
  for (int i = 0; i < params->values_count; ++i) {
    const TfLiteTensor* input = GetInput(context, node, i);
    SYSTOLE_KERNEL_ENSURE(context, input != nullptr, "PACK: input %d is missing", i);
    SYSTOLE_KERNEL_ENSURE(context, input->type == input0->type,
                          "PACK: input %d type %s differs from input 0 type %s", i,
                          TypeName(input->type), TypeName(input0->type));
    SYSTOLE_KERNEL_ENSURE(context, HaveSameShapes(input, input0),
                          "PACK: input %d shape differs from input 0 shape", i);
    SYSTOLE_KERNEL_ENSURE(context, SameQuantParams(input, output),
                          "PACK: input %d quantization (scale %g, zero point %d) differs from the "
                          "output's (scale %g, zero point %d); PACK does not rescale",
                          i, input->params.scale, input->params.zero_point, output->params.scale,
                          output->params.zero_point);
  }
  *axis_out = axis;
  return kTfLiteOk;
}

TfLiteStatus PackPrepare(TfLiteContext* context, TfLiteNode* node) {
  int axis = 0;
  SYSTOLE_KERNEL_ENSURE_OK(ResolvePack(context, node, &axis));
  const TfLiteTensor* input0 = GetInput(context, node, 0);
  std::vector<int> shape(input0->dims->data, input0->dims->data + input0->dims->size);
  shape.insert(shape.begin() + axis, NumInputs(node));
  return context->ResizeTensor(context, GetOutput(context, node, 0), IntArrayFromVector(shape));
}

TfLiteStatus PackEval(TfLiteContext* context, TfLiteNode* node) {
  int axis = 0;
  SYSTOLE_KERNEL_ENSURE_OK(ResolvePack(context, node, &axis));
  const TfLiteTensor* input0 = GetInput(context, node, 0);
  TfLiteTensor* output = GetOutput(context, node, 0);
  const size_t elem = PackElementSize(input0->type);
  int64_t outer = 1;
  for (int i = 0; i < axis; ++i) outer *= SizeOfDimension(input0, i);
  int64_t inner = 1;
  for (int i = axis; i < NumDimensions(input0); ++i) inner *= SizeOfDimension(input0, i);
  const size_t block = static_cast<size_t>(inner) * elem;
  if (block == 0 || outer == 0) return kTfLiteOk;
  uint8_t* out = reinterpret_cast<uint8_t*>(output->data.raw);
  const int n = NumInputs(node);
  for (int64_t k = 0; k < outer; ++k) {
    for (int i = 0; i < n; ++i) {
      const uint8_t* in = reinterpret_cast<const uint8_t*>(GetInput(context, node, i)->data.raw);
      std::memcpy(out, in + k * block, block);
      out += block;
    }
  }
  return kTfLiteOk;
}

// --------------------------------------------------------------- UNPACK ----

TfLiteStatus ResolveUnpack(TfLiteContext* context, TfLiteNode* node, int* axis_out) {
  const auto* params = static_cast<const TfLiteUnpackParams*>(node->builtin_data);
  SYSTOLE_KERNEL_ENSURE(context, params != nullptr, "UNPACK: missing UnpackOptions");
  SYSTOLE_KERNEL_ENSURE(context, NumInputs(node) == 1, "UNPACK: expected 1 input, got %d",
                        NumInputs(node));
  SYSTOLE_KERNEL_ENSURE(context, NumOutputs(node) == params->num,
                        "UNPACK: %d outputs but num is %d", NumOutputs(node), params->num);
  const TfLiteTensor* input = GetInput(context, node, 0);
  SYSTOLE_KERNEL_ENSURE(context, input != nullptr, "UNPACK: missing input tensor");
  SYSTOLE_KERNEL_ENSURE(context, NumElements(input) > 0, "UNPACK: input has no elements");
  const int dims = NumDimensions(input);
  int axis = params->axis;
  if (axis < 0) axis += dims;
  SYSTOLE_KERNEL_ENSURE(context, axis >= 0 && axis < dims,
                        "UNPACK: axis %d is out of range for a %d-D input", params->axis, dims);
  SYSTOLE_KERNEL_ENSURE(context, UnpackElementSize(input->type) != 0,
                        "UNPACK: type %s not supported (float32, int8, uint8, int16, int32, bool)",
                        TypeName(input->type));
  SYSTOLE_KERNEL_ENSURE(context, params->num == SizeOfDimension(input, axis),
                        "UNPACK: num is %d but dimension %d has size %d", params->num, axis,
                        SizeOfDimension(input, axis));
  for (int i = 0; i < params->num; ++i) {
    const TfLiteTensor* output = GetOutput(context, node, i);
    SYSTOLE_KERNEL_ENSURE(context, output != nullptr, "UNPACK: output %d is missing", i);
    SYSTOLE_KERNEL_ENSURE(context, output->type == input->type,
                          "UNPACK: output %d type %s differs from input type %s", i,
                          TypeName(output->type), TypeName(input->type));
    SYSTOLE_KERNEL_ENSURE(context, SameQuantParams(input, output),
                          "UNPACK: output %d quantization (scale %g, zero point %d) differs from "
                          "the input's (scale %g, zero point %d); UNPACK does not rescale",
                          i, output->params.scale, output->params.zero_point, input->params.scale,
                          input->params.zero_point);
  }
  *axis_out = axis;
  return kTfLiteOk;
}

TfLiteStatus UnpackPrepare(TfLiteContext* context, TfLiteNode* node) {
  int axis = 0;
  SYSTOLE_KERNEL_ENSURE_OK(ResolveUnpack(context, node, &axis));
  const TfLiteTensor* input = GetInput(context, node, 0);
  std::vector<int> shape(input->dims->data, input->dims->data + input->dims->size);
  shape.erase(shape.begin() + axis);
  for (int i = 0; i < NumOutputs(node); ++i) {
    SYSTOLE_KERNEL_ENSURE_OK(
        context->ResizeTensor(context, GetOutput(context, node, i), IntArrayFromVector(shape)));
  }
  return kTfLiteOk;
}

TfLiteStatus UnpackEval(TfLiteContext* context, TfLiteNode* node) {
  int axis = 0;
  SYSTOLE_KERNEL_ENSURE_OK(ResolveUnpack(context, node, &axis));
  const TfLiteTensor* input = GetInput(context, node, 0);
  const size_t elem = UnpackElementSize(input->type);
  int64_t outer = 1;
  for (int i = 0; i < axis; ++i) outer *= SizeOfDimension(input, i);
  int64_t inner = 1;
  for (int i = axis + 1; i < NumDimensions(input); ++i) inner *= SizeOfDimension(input, i);
  const size_t block = static_cast<size_t>(inner) * elem;
  const uint8_t* in = reinterpret_cast<const uint8_t*>(input->data.raw);
  const int n = NumOutputs(node);
  for (int64_t k = 0; k < outer; ++k) {
    for (int i = 0; i < n; ++i) {
      uint8_t* out = reinterpret_cast<uint8_t*>(GetOutput(context, node, i)->data.raw);
      std::memcpy(out + k * block, in, block);
      in += block;
    }
  }
  return kTfLiteOk;
}

}  // namespace

const TfLiteRegistration* RegisterPack(TfliteFlavor) {
  static const TfLiteRegistration r = KernelRegistration(PackPrepare, PackEval);
  return &r;
}

const TfLiteRegistration* RegisterUnpack(TfliteFlavor) {
  static const TfLiteRegistration r = KernelRegistration(UnpackPrepare, UnpackEval);
  return &r;
}

}  // namespace kernels
}  // namespace systole
