#include "common/tflite_flavor.h"

namespace systole {

const char* TfliteFlavorName(TfliteFlavor flavor) {
  switch (flavor) {
    case TfliteFlavor::kRuy: return "ruy";
    case TfliteFlavor::kX86: return "x86";
    case TfliteFlavor::kXnnpack: return "xnnpack";
  }
  return "unknown";
}

StatusOr<TfliteFlavor> ParseTfliteFlavor(const std::string& name) {
  for (TfliteFlavor f : kAllTfliteFlavors) {
    if (name == TfliteFlavorName(f)) return f;
  }
  return InvalidArgument("TFLite flavor '%s' is not one of ruy, x86, xnnpack", name.c_str());
}

TfliteFlavor HostTfliteFlavor() {
#if defined(__x86_64__) || defined(_M_X64)
  return TfliteFlavor::kX86;
#else
  return TfliteFlavor::kRuy;
#endif
}

}  // namespace systole
