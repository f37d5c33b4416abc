// libsystole_delegate.so: the Systole delegate as a TensorFlow Lite external
// delegate plugin (tensorflow/lite/delegates/external). The library exports
// exactly these two functions; everything else is hidden, and the Systole
// libraries are linked in statically, so it needs nothing from TFLite.
//
// Option keys (values are strings, as the external delegate passes them):
//   device             sim | sim:rtl                       (default sim)
//   config             edge | tiny | FILE.json             (default edge)
//   allow, deny        comma-separated builtin op names
//   min_partition_ops  integer >= 1                         (default 1)
//   max_partitions     integer >= 0, 0 = no limit           (default 0)
//   verbosity          0 | 1 | 2                            (default 0)
//   tflite_flavor      ruy | x86 | xnnpack: the host TFLite's arithmetic
//                      (default x86 on x86-64, ruy elsewhere; see docs/flavors.md)
// An unknown key or a bad value is reported through report_error and
// tflite_plugin_create_delegate returns nullptr.
#include <cstdlib>
#include <string>

#include "delegate/systole_delegate.h"

#define SYSTOLE_PLUGIN_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

bool ParseInt(const char* s, int lo, int hi, int* out) {
  if (s == nullptr || *s == '\0') return false;
  char* end = nullptr;
  const long v = std::strtol(s, &end, 10);
  if (*end != '\0' || v < lo || v > hi) return false;
  *out = static_cast<int>(v);
  return true;
}

}  // namespace

SYSTOLE_PLUGIN_EXPORT TfLiteDelegate* tflite_plugin_create_delegate(
    char** options_keys, char** options_values, size_t num_options,
    void (*report_error)(const char*)) {
  SystoleDelegateOptions o = SystoleDelegateOptionsDefault();
  auto fail = [&](const std::string& msg) -> TfLiteDelegate* {
    if (report_error) report_error(("systole delegate: " + msg).c_str());
    return nullptr;
  };
  for (size_t i = 0; i < num_options; ++i) {
    const std::string key = options_keys[i] ? options_keys[i] : "";
    const char* value = options_values[i] ? options_values[i] : "";
    if (key == "device") {
      o.device = value;
    } else if (key == "config") {
      o.config = value;
    } else if (key == "allow") {
      o.allow = value;
    } else if (key == "deny") {
      o.deny = value;
    } else if (key == "min_partition_ops") {
      if (!ParseInt(value, 1, 1 << 30, &o.min_partition_ops)) {
        return fail("option min_partition_ops: '" + std::string(value) + "' is not an integer >= 1");
      }
    } else if (key == "max_partitions") {
      if (!ParseInt(value, 0, 1 << 30, &o.max_partitions)) {
        return fail("option max_partitions: '" + std::string(value) + "' is not an integer >= 0");
      }
    } else if (key == "tflite_flavor") {
      o.tflite_flavor = value;
    } else if (key == "verbosity") {
      if (!ParseInt(value, 0, 2, &o.verbosity)) {
        return fail("option verbosity: '" + std::string(value) + "' is not 0, 1 or 2");
      }
    } else {
      return fail("unknown option '" + key +
                  "' (expected device, config, allow, deny, min_partition_ops, max_partitions, "
                  "verbosity, tflite_flavor)");
    }
  }
  return SystoleDelegateCreate(&o, report_error);
}

SYSTOLE_PLUGIN_EXPORT void tflite_plugin_destroy_delegate(TfLiteDelegate* delegate) {
  SystoleDelegateDelete(delegate);
}
