// CAST between float32, int8, uint8, int16, int32, int64 and bool, as
// TensorFlow Lite's cast.cc: every element is static_cast to the output type
// (to bool: != 0). Where C++ leaves the conversion undefined (a float out of
// the integer's range, NaN) we give what TFLite's x86 and WebAssembly builds
// compute (ConvertValue in typed_util.h).
#include "interpreter/kernels/builtin_kernels.h"
#include "interpreter/kernels/typed_util.h"

namespace systole {
namespace kernels {
namespace {

bool CastType(TfLiteType t) {
  switch (t) {
    case kTfLiteFloat32:
    case kTfLiteInt8:
    case kTfLiteUInt8:
    case kTfLiteInt16:
    case kTfLiteInt32:
    case kTfLiteInt64:
    case kTfLiteBool: return true;
    default: return false;
  }
}

TfLiteStatus Prepare(TfLiteContext* context, TfLiteNode* node) {
  SYSTOLE_KERNEL_ENSURE_OK(CheckArity(context, node, "CAST", 1, 1, 1));
  const TfLiteTensor* input = GetInput(context, node, 0);
  TfLiteTensor* output = GetOutput(context, node, 0);
  SYSTOLE_KERNEL_ENSURE(context, CastType(input->type) && CastType(output->type),
                        "CAST: input type %s to output type %s is not supported (types: FLOAT32, "
                        "INT8, UINT8, INT16, INT32, INT64, BOOL)",
                        TypeName(input->type), TypeName(output->type));
  return context->ResizeTensor(context, output, TfLiteIntArrayCopy(input->dims));
}

TfLiteStatus Eval(TfLiteContext* context, TfLiteNode* node) {
  const TfLiteTensor* input = GetInput(context, node, 0);
  TfLiteTensor* output = GetOutput(context, node, 0);
  const int64_t n = NumElements(input);
  return DispatchType(context, input->type, "CAST", "input", [&](auto from) {
    using From = decltype(from);
    return DispatchType(context, output->type, "CAST", "output", [&](auto to) {
      using To = decltype(to);
      const From* in = Data<From>(input);
      To* out = Data<To>(output);
      for (int64_t i = 0; i < n; ++i) out[i] = ConvertValue<To>(LoadElement(in + i));
      return kTfLiteOk;
    });
  });
}

}  // namespace

const TfLiteRegistration* RegisterCast(TfliteFlavor) {
  static const TfLiteRegistration r = KernelRegistration(Prepare, Eval);
  return &r;
}

}  // namespace kernels
}  // namespace systole
