#include "interpreter/op_resolver.h"

#include "interpreter/kernels/builtin_kernels.h"
#include "schema/tflite_generated.h"

namespace systole {

BuiltinOpResolver::BuiltinOpResolver(TfliteFlavor flavor) : flavor_(flavor) {
#define SYSTOLE_BUILTIN_KERNEL(op, max_version, fn) \
  builtins_[tflite::BuiltinOperator_##op] = Entry{kernels::fn(flavor), max_version};
#include "interpreter/kernels/builtin_ops.inc"
#undef SYSTOLE_BUILTIN_KERNEL
  // As TFLite's BuiltinOpResolver, which registers this custom op too.
  customs_["TFLite_Detection_PostProcess"] = *kernels::RegisterDetectionPostProcess();
}

const TfLiteRegistration* BuiltinOpResolver::FindBuiltin(int32_t builtin_code,
                                                         int version) const {
  auto it = builtins_.find(builtin_code);
  if (it == builtins_.end() || version < 1 || version > it->second.max_version) return nullptr;
  return it->second.registration;
}

const TfLiteRegistration* BuiltinOpResolver::FindCustom(const std::string& name,
                                                        int version) const {
  auto it = customs_.find(name);
  return it == customs_.end() ? nullptr : &it->second;
}

int BuiltinOpResolver::MaxBuiltinVersion(int32_t builtin_code) const {
  auto it = builtins_.find(builtin_code);
  return it == builtins_.end() ? 0 : it->second.max_version;
}

void BuiltinOpResolver::AddCustom(const std::string& name,
                                  const TfLiteRegistration& registration) {
  customs_[name] = registration;
}

}  // namespace systole
