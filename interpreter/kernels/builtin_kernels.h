// Registrations of the builtin CPU kernels (one per line of builtin_ops.inc).
//
// Kernel contract (the same as TensorFlow Lite's):
//   init(context, nullptr, 0)  -> user_data (owned by the kernel, released in free)
//   prepare(context, node)     -> validate types/shapes/quantization, compute
//                                 output shapes with context->ResizeTensor, derive
//                                 multipliers; errors via context->ReportError
//                                 naming the op and the rule broken
//   invoke(context, node)      -> compute; must not allocate on the hot path
// node->builtin_data points to the TfLite*Params struct of the op (tflite_c.h),
// filled by the model loader from the flatbuffer options.
//
// Register<Op>(flavor) returns the kernel that computes as the TFLite build of
// that flavor does (common/tflite_flavor.h); ops whose arithmetic is the same
// in every build ignore the flavor.
#ifndef SYSTOLE_INTERPRETER_KERNELS_BUILTIN_KERNELS_H_
#define SYSTOLE_INTERPRETER_KERNELS_BUILTIN_KERNELS_H_

#include "common/tflite_flavor.h"
#include "interpreter/tflite_c.h"

namespace systole {
namespace kernels {

#define SYSTOLE_BUILTIN_KERNEL(op, max_version, fn) const TfLiteRegistration* fn(TfliteFlavor flavor);
#include "interpreter/kernels/builtin_ops.inc"
#undef SYSTOLE_BUILTIN_KERNEL

// Custom ops TFLite's builtin resolver also registers (BuiltinOpResolver adds
// them by name): "TFLite_Detection_PostProcess".
const TfLiteRegistration* RegisterDetectionPostProcess();

}  // namespace kernels
}  // namespace systole

#endif  // SYSTOLE_INTERPRETER_KERNELS_BUILTIN_KERNELS_H_
