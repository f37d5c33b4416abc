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
#ifndef SYSTOLE_INTERPRETER_KERNELS_BUILTIN_KERNELS_H_
#define SYSTOLE_INTERPRETER_KERNELS_BUILTIN_KERNELS_H_

#include "interpreter/tflite_c.h"

namespace systole {
namespace kernels {

#define SYSTOLE_BUILTIN_KERNEL(op, max_version, fn) const TfLiteRegistration* fn();
#include "interpreter/kernels/builtin_ops.inc"
#undef SYSTOLE_BUILTIN_KERNEL

}  // namespace kernels
}  // namespace systole

#endif  // SYSTOLE_INTERPRETER_KERNELS_BUILTIN_KERNELS_H_
