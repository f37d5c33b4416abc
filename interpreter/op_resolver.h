// Maps an operator (builtin code + version, or custom name) to a kernel.
//
// BuiltinOpResolver knows every kernel listed in kernels/builtin_ops.inc,
// plus the custom op TFLite_Detection_PostProcess (as TFLite's does).
// Custom ops (e.g. the accelerator's compiled partitions) are added with
// AddCustom by whoever provides them; there is no static registration.
#ifndef SYSTOLE_INTERPRETER_OP_RESOLVER_H_
#define SYSTOLE_INTERPRETER_OP_RESOLVER_H_

#include <map>
#include <string>

#include "common/tflite_flavor.h"
#include "interpreter/tflite_c.h"

namespace systole {

class OpResolver {
 public:
  virtual ~OpResolver() = default;
  // nullptr when the op (or this version of it) is not supported.
  virtual const TfLiteRegistration* FindBuiltin(int32_t builtin_code, int version) const = 0;
  virtual const TfLiteRegistration* FindCustom(const std::string& name, int version) const = 0;
  // Highest supported version of a builtin, 0 if unknown (for messages).
  virtual int MaxBuiltinVersion(int32_t builtin_code) const = 0;
};

class BuiltinOpResolver : public OpResolver {
 public:
  // The kernels of the TFLite build of `flavor` (there is no default: the
  // flavor decides the bytes a quantized model produces).
  explicit BuiltinOpResolver(TfliteFlavor flavor);
  TfliteFlavor flavor() const { return flavor_; }
  const TfLiteRegistration* FindBuiltin(int32_t builtin_code, int version) const override;
  const TfLiteRegistration* FindCustom(const std::string& name, int version) const override;
  int MaxBuiltinVersion(int32_t builtin_code) const override;

  // The registration is copied; its function pointers must stay valid.
  void AddCustom(const std::string& name, const TfLiteRegistration& registration);

 private:
  struct Entry {
    const TfLiteRegistration* registration;
    int max_version;
  };
  TfliteFlavor flavor_;
  std::map<int32_t, Entry> builtins_;
  std::map<std::string, TfLiteRegistration> customs_;
};

}  // namespace systole

#endif  // SYSTOLE_INTERPRETER_OP_RESOLVER_H_
