// libsystole_delegate.so: the Systole delegate as a TensorFlow Lite external
// delegate plugin (tensorflow/lite/delegates/external). The library exports
// exactly these two functions; everything else is hidden, and the Systole
// libraries are linked in statically, so it needs nothing from TFLite.
//
// Option keys (values are strings, as the external delegate passes them):
//   device             a device string (driver/driver.h):  (default sim)
//                      sim | sim:rtl | remote:unix:PATH | remote:tcp:HOST:PORT |
//                      usb | usb:N | pci | pci:N | pci:DDDD:BB:DD.F | pci:unix:PATH
//   config             edge | tiny | FILE.json             (default: the device's
//                      own configuration; edge for sim)
//   allow, deny        comma-separated builtin op names
//   min_partition_ops  integer >= 1                         (default 1)
//   max_partitions     integer >= 0, 0 = no limit           (default 0)
//   verbosity          0 | 1 | 2                            (default 0)
//   tflite_flavor      ruy | x86 | xnnpack: the host TFLite's arithmetic
//                      (default x86 on x86-64, ruy elsewhere; docs/flavors.md)
//   timeout_ms         integer >= 1: a device run's limit     (default 10000)
//
// Errors never crash the host. TFLite 2.14's external-delegate wrapper passes
// report_error = NULL and, when the plugin returns NULL, hands the
// application a delegate with null function pointers that crashes in
// ModifyGraphWithDelegate. So for every failure at create time (an unknown
// or repeated key, a bad value, a config file that is missing or does not
// parse, an unknown device or one that cannot be opened, an unknown op in
// allow/deny) tflite_plugin_create_delegate returns a *failing delegate*: it
// claims no nodes, and its Prepare reports the message through
// context->ReportError (TFLite prints "ERROR: systole delegate: ...") and
// returns kTfLiteError, so ModifyGraphWithDelegate fails cleanly. The message
// also goes to report_error, or to stderr when report_error is NULL. Bytes
// outside printable ASCII are shown as \xNN and long values are shortened.
// The failing delegate sets kTfLiteDelegateFlagsAllowDynamicTensors, like the
// real one, so TFLite calls its Prepare before preparing any node: on a
// compiled model the first error printed is the plugin's, not "unresolved
// custom op".
// tflite_plugin_destroy_delegate accepts everything create returned, and NULL.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "delegate/systole_delegate.h"

#define SYSTOLE_PLUGIN_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

using systole::InvalidArgument;
using systole::Status;
using systole::StatusOr;
using systole::delegate::DelegateOptions;

constexpr size_t kMaxShownValue = 64;     // bytes of a value echoed in a message
constexpr size_t kMaxMessage = 900;       // bytes of a whole message

// `s` with every byte outside printable ASCII as \xNN, cut once the result
// has `max` characters.
std::string Printable(const std::string& s, size_t max) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (out.size() >= max) {
      out += "... (" + std::to_string(s.size()) + " bytes)";
      break;
    }
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

std::string Shown(const std::string& value) { return "'" + Printable(value, kMaxShownValue) + "'"; }

Status ParseInt(const char* key, const std::string& value, int lo, int hi, const char* rule, int* out) {
  char* end = nullptr;
  errno = 0;
  const long v = value.empty() ? 0 : std::strtol(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || errno == ERANGE || v < lo || v > hi) {
    return InvalidArgument("option %s: %s is not %s", key, Shown(value).c_str(), rule);
  }
  *out = static_cast<int>(v);
  return Status::Ok();
}

Status ParseOps(const char* key, const std::string& value, std::vector<std::string>* out) {
  StatusOr<std::vector<std::string>> ops =
      systole::delegate::ParseOpList(value, std::string("option ") + key);
  if (!ops.ok()) return ops.status();
  *out = *ops;
  return Status::Ok();
}

// The option keys: one line each (a new key goes at the end; the "unknown
// option" message lists them in this order).
struct OptionKey {
  const char* key;
  Status (*parse)(const std::string& value, DelegateOptions* o);
};
const OptionKey kOptionKeys[] = {
    {"device", [](const std::string& v, DelegateOptions* o) { o->device = v; return Status::Ok(); }},
    {"config", [](const std::string& v, DelegateOptions* o) { o->config = v; return Status::Ok(); }},
    {"allow", [](const std::string& v, DelegateOptions* o) { return ParseOps("allow", v, &o->partition.allow); }},
    {"deny", [](const std::string& v, DelegateOptions* o) { return ParseOps("deny", v, &o->partition.deny); }},
    {"min_partition_ops", [](const std::string& v, DelegateOptions* o) {
       return ParseInt("min_partition_ops", v, 1, 1 << 30, "an integer >= 1", &o->partition.min_partition_ops);
     }},
    {"max_partitions", [](const std::string& v, DelegateOptions* o) {
       return ParseInt("max_partitions", v, 0, 1 << 30, "an integer >= 0 (0 = no limit)", &o->partition.max_partitions);
     }},
    {"verbosity", [](const std::string& v, DelegateOptions* o) {
       return ParseInt("verbosity", v, 0, 2, "0, 1 or 2", &o->verbosity);
     }},
    {"tflite_flavor", [](const std::string& v, DelegateOptions* o) {
       StatusOr<systole::TfliteFlavor> f = systole::ParseTfliteFlavor(v);
       if (!f.ok()) return systole::Annotate(f.status(), "option tflite_flavor");
       o->tflite_flavor = *f;
       return Status::Ok();
     }},
    {"timeout_ms", [](const std::string& v, DelegateOptions* o) {
       return ParseInt("timeout_ms", v, 1, 86400000, "an integer in 1..86400000", &o->timeout_ms);
     }},
};

std::string KnownKeys() {
  std::string s;
  for (const OptionKey& k : kOptionKeys) s += (s.empty() ? "" : ", ") + std::string(k.key);
  return s;
}

StatusOr<TfLiteDelegate*> CreateFromOptions(char** keys, char** values, size_t num_options) {
  if (num_options > 0 && (keys == nullptr || values == nullptr)) {
    return InvalidArgument("%zu options but the key or value array is NULL", num_options);
  }
  DelegateOptions opts;
  std::set<std::string> seen;
  for (size_t i = 0; i < num_options; ++i) {
    const std::string key = keys[i] ? keys[i] : "";
    const std::string value = values[i] ? values[i] : "";
    const OptionKey* spec = nullptr;
    for (const OptionKey& k : kOptionKeys) {
      if (key == k.key) spec = &k;
    }
    if (spec == nullptr) {
      return InvalidArgument("unknown option %s (expected %s)", Shown(key).c_str(), KnownKeys().c_str());
    }
    if (!seen.insert(key).second) return InvalidArgument("option %s given twice", key.c_str());
    RETURN_IF_ERROR(spec->parse(value, &opts));
  }
  ASSIGN_OR_RETURN(systole::delegate::TfLiteDelegatePtr d, systole::delegate::CreateDelegate(opts));
  // Open the device now, so that one that cannot be opened is reported here
  // rather than at the first AllocateTensors.
  RETURN_IF_ERROR(systole::delegate::OpenDevice(d.get()));
  return d.release();
}

// ---- The failing delegate ----

struct FailingDelegate {
  TfLiteDelegate base{};  // first: a TfLiteDelegate* is a FailingDelegate*
  std::string message;
};

TfLiteStatus FailingPrepare(TfLiteContext* context, TfLiteDelegate* delegate) {
  const auto* f = reinterpret_cast<const FailingDelegate*>(delegate);
  context->ReportError(context, "%s", f->message.c_str());
  return kTfLiteError;
}

TfLiteDelegate* NewFailingDelegate(const std::string& message) {
  auto* f = new (std::nothrow) FailingDelegate;
  if (f == nullptr) return nullptr;
  f->message = message;
  f->base.data_ = f;
  f->base.Prepare = FailingPrepare;
  f->base.flags = kTfLiteDelegateFlagsAllowDynamicTensors;
  return &f->base;
}

}  // namespace

SYSTOLE_PLUGIN_EXPORT TfLiteDelegate* tflite_plugin_create_delegate(
    char** options_keys, char** options_values, size_t num_options,
    void (*report_error)(const char*)) {
  std::string message;
  try {
    StatusOr<TfLiteDelegate*> d = CreateFromOptions(options_keys, options_values, num_options);
    if (d.ok()) return *d;
    message = d.status().message();
  } catch (const std::exception& e) {
    message = std::string("internal error: ") + e.what();
  }
  message = "systole delegate: " + Printable(message, kMaxMessage);
  if (report_error) {
    report_error(message.c_str());
  } else {
    std::fprintf(stderr, "%s\n", message.c_str());
  }
  return NewFailingDelegate(message);
}

SYSTOLE_PLUGIN_EXPORT void tflite_plugin_destroy_delegate(TfLiteDelegate* delegate) {
  if (delegate == nullptr) return;
  if (delegate->Prepare == FailingPrepare) {
    delete reinterpret_cast<FailingDelegate*>(delegate);
  } else if (systole::delegate::IsSystoleDelegate(delegate)) {
    SystoleDelegateDelete(delegate);
  }
  // Anything else was not made by this plugin: leave it alone.
}
