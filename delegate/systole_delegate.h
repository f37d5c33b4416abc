// The Systole TFLite delegate: runs the parts of a graph the accelerator
// supports on a Systole device (driver::Device), the rest stays on the CPU.
// Written only against the TFLite C ABI (interpreter/tflite_c.h), so the same
// code works in Systole's interpreter and, built as libsystole_delegate.so
// (delegate/plugin.cc), inside stock TensorFlow Lite as an external delegate.
//
// Lifecycle (as every TFLite delegate):
//   auto d = CreateDelegate(options);               // options checked here
//   interpreter->ModifyGraphWithDelegate(d->get()); // Prepare: plan partitions
//                                                   // (delegate/partitioner.h), compile
//                                                   // each (process-wide cache,
//                                                   // delegate/compile_cache.h), replace
//                                                   // them by delegate kernels
//   interpreter->AllocateTensors();                 // kernels open the device and
//                                                   // Load their executables, once
//   interpreter->Invoke();                          // each kernel copies its inputs in,
//                                                   // Runs, copies its outputs out
// The delegate must outlive every interpreter it was applied to. Devices are
// shared process-wide (one per device string, and per configuration for
// sim): several delegates, and one delegate applied to several interpreters,
// may run at once from different threads (driver::Device queues their runs);
// each interpreter, as always in TFLite, is invoked by one thread at a time.
// Prepare calls of one delegate are serialised.
//
// Precompiled partitions: a .tflite written by `systole compile` carries its
// partitions as custom ops named compiler::kCustomOpName ("SYSTOLE", custom
// options = the executable). The delegate claims those nodes too. Without
// the delegate, SystoleCustomOpRegistration() runs them (register it with
// BuiltinOpResolver::AddCustom or any TFLite op resolver); it uses the "sim"
// device with the configuration the executable was compiled for.
#ifndef SYSTOLE_DELEGATE_SYSTOLE_DELEGATE_H_
#define SYSTOLE_DELEGATE_SYSTOLE_DELEGATE_H_

#include "interpreter/tflite_c.h"

#ifdef __cplusplus
extern "C" {
#endif

// C API (the plugin's and other languages' view).
typedef struct SystoleDelegateOptions {
  const char* device;     // a device string (driver/driver.h): "sim" (default), "sim:rtl", "usb:0",
                          // "remote:unix:/run/x.sock", "pci:0", ...
  const char* config;     // "edge", "tiny", or a JSON file (sim::DeviceConfig::FromName); NULL or
                          // "" = the device's own configuration ("edge" for sim)
  const char* allow;      // comma-separated builtin op names; NULL or "" = every op
  const char* deny;       // comma-separated builtin op names; NULL or "" = none
  int min_partition_ops;  // default 1
  int max_partitions;     // default 0 = no limit
  int verbosity;          // 0 silent, 1 partition summary, 2 + every op's decision (stderr)
  // The host TFLite's arithmetic flavor: "ruy", "x86" or "xnnpack"
  // (common/tflite_flavor.h); NULL or "" = this machine's default (x86 on
  // x86-64, ruy elsewhere).
  const char* tflite_flavor;
  int timeout_ms;         // per device run; 0 (default) = the device's default (10 s)
} SystoleDelegateOptions;

SystoleDelegateOptions SystoleDelegateOptionsDefault(void);
// NULL when the options are invalid; the reason goes to `report_error` when
// it is not NULL.
TfLiteDelegate* SystoleDelegateCreate(const SystoleDelegateOptions* options,
                                      void (*report_error)(const char* message));
void SystoleDelegateDelete(TfLiteDelegate* delegate);

#ifdef __cplusplus
}  // extern "C"

#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "common/tflite_flavor.h"
#include "delegate/partitioner.h"
#include "arch/device_config.h"

namespace systole::delegate {

struct DelegateOptions {
  std::string device = "sim";  // a device string (driver::ParseDeviceSpec)
  // The configuration to compile for: a preset name or JSON file; "" = the
  // device's own (opened at CreateDelegate to ask; "edge" for sim). A device
  // that reports another configuration than the one named fails to open,
  // naming both.
  std::string config;
  PartitionOptions partition;
  bool cache_parameters = true;  // compiler::CompileOptions::cache_parameters
  int verbosity = 0;
  int timeout_ms = 0;  // per device run; 0 = the device's default (10 s)
  // Whose arithmetic the accelerator reproduces: the TFLite build the delegate
  // runs in (common/tflite_flavor.h). Precompiled SYSTOLE ops of another
  // flavor are refused.
  TfliteFlavor tflite_flavor = HostTfliteFlavor();
};

// Sums over every Run of every kernel of this delegate.
struct DelegateCounters {
  uint64_t runs = 0;                   // executable runs
  uint64_t cycles = 0;                 // INFERENCE chunks
  uint64_t parameter_load_cycles = 0;  // PARAMETER_LOAD chunks (cache misses)
  uint64_t macs = 0;
  uint64_t bytes_loaded = 0;   // host -> device
  uint64_t bytes_stored = 0;   // device -> host
  uint64_t instructions = 0;   // load + compute + store units
  double seconds_simulated = 0;
};

using TfLiteDelegatePtr = std::unique_ptr<TfLiteDelegate, void (*)(TfLiteDelegate*)>;

StatusOr<TfLiteDelegatePtr> CreateDelegate(const DelegateOptions& options);
// Opens the delegate's device for its configuration now (otherwise the first
// AllocateTensors does), so that a device that cannot be opened is reported
// at once; the device is kept for the delegate's kernels.
Status OpenDevice(TfLiteDelegate* delegate);

// The hardware configuration compiled partitions target.
const sim::DeviceConfig& DelegateDeviceConfig(const TfLiteDelegate* delegate);
// The plan of the last Prepare (nullptr before the first).
const PartitionPlan* LastPlan(const TfLiteDelegate* delegate);
DelegateCounters Counters(const TfLiteDelegate* delegate);
// Describe() of the devices opened so far, one per line.
std::string DescribeDevices(const TfLiteDelegate* delegate);
// True when `delegate` was made by CreateDelegate / SystoleDelegateCreate.
bool IsSystoleDelegate(const TfLiteDelegate* delegate);
// For a node of a delegate kernel made by this delegate: the index of its
// partition in LastPlan() at the time the kernel was made; -1 otherwise.
int KernelPartitionIndex(const TfLiteNode& node);

// The kernel of the kCustomOpName custom op (see above).
const TfLiteRegistration* SystoleCustomOpRegistration();

// A one-screen summary of a plan: partitions, then every op left on the CPU
// with its reason.
std::string FormatPlan(const PartitionPlan& plan);

}  // namespace systole::delegate

#endif  // __cplusplus

#endif  // SYSTOLE_DELEGATE_SYSTOLE_DELEGATE_H_
