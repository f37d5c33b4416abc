// The Systole driver: one device API over several transports.
//
//   ASSIGN_OR_RETURN(auto dev, driver::Device::Open("usb:0"));  // or "sim", "remote:unix:/run/s.sock", ...
//   ASSIGN_OR_RETURN(auto exe, dev->Load(data, size));           // verify, copy
//   ASSIGN_OR_RETURN(RunStats st, dev->Run(*exe, inputs, outputs));       // synchronous, or
//   ASSIGN_OR_RETURN(auto inf, dev->Submit(*exe, inputs, outputs));       // asynchronous:
//   StatusOr<RunStats> r = inf->Wait(/*timeout_ms=*/100);  // DEADLINE_EXCEEDED while not done
//
// Device strings (`systole run --device`, the delegate's `device` option;
// ParseDeviceSpec):
//   sim                   in-process SystemC device, behavioural compute core
//   sim:rtl               in-process SystemC device, Verilated RTL core (builds
//                         with SYSTOLE_WITH_RTL, Verilated array sizes only)
//   remote:unix:PATH      `systole serve --listen unix:PATH`
//   remote:tcp:HOST:PORT  `systole serve --listen tcp:HOST:PORT`
//   usb, usb:N            the first / the N-th Systole USB device (libusb-1.0)
//   pci, pci:N            the first / the N-th Systole PCIe function
//   pci:DDDD:BB:DD.F      the PCIe function at that address (VFIO or sysfs)
//   pci:unix:PATH         the BAR and DMA window `systole serve` exports as
//                         shared memory over PATH (tests, benchmarks)
// A malformed or unknown string is INVALID_ARGUMENT listing the valid forms;
// a valid one this build cannot open is UNIMPLEMENTED; a device that is not
// there is UNAVAILABLE or NOT_FOUND. EnumerateDevices() lists what is
// attached, each with the string that opens it.
//
// Hardware configuration: Open(spec, hw) says which configuration the caller
// expects (it compiled for it). "sim" and "sim:rtl" are built with hw. Every
// other device reports its own configuration when it opens; if it differs
// from hw in anything an executable depends on (array rows/cols, ABUF, PBUF,
// accumulator rows), Open fails with INVALID_ARGUMENT naming both. Clock and
// link figures are the device's own (config() reports them). Open(spec)
// takes the device's own configuration; for "sim" and "sim:rtl" that is the
// default preset ("edge", sim::DeviceConfig{}).
//
// Transports: a Device talks to hardware only through the internal Transport
// interface (driver/transport.h). Everything above it (verification,
// parameter caching, staging, sign flips, the queue, timeouts) is this one
// file, for every transport.
//
// Threading: every method of Device, LoadedExecutable and Inference may be
// called from any thread, concurrently; one Device serves any number of
// interpreters (delegate instances) at once. Each Device has one worker
// thread that owns all transport calls (transports are single-threaded) and
// serves a bounded FIFO queue of inferences (DeviceOptions::queue_depth
// queued + running; Submit blocks while it is full). Inferences run one at a
// time, in submission order.
//
// Asynchronous runs: Submit() checks its arguments, copies the inputs into
// the inference's own staging buffers (the caller may reuse its input
// buffers as soon as Submit returns) and queues it. The output buffers must
// stay valid until the inference is done (Done() is true, Wait() returned
// anything but DEADLINE_EXCEEDED for a wait timeout, or the Device was
// closed): the worker writes them when the run succeeds, and only then.
// Each in-flight inference has its own INPUT/OUTPUT/SCRATCH staging, so
// several inferences of one executable may be in flight at once.
// Run() is Submit() + Wait() without a wait timeout.
//
// Timeouts: a run that has not completed RunOptions::timeout_ms after it
// started on the device (0 = DeviceOptions::timeout_ms, default 10 s) fails
// with DEADLINE_EXCEEDED: the transport enforces it (ExecuteOptions::
// timeout_ms), and the Device interrupts the transport if the run is still
// going shortly after (a watchdog; the in-process simulator cannot be
// interrupted and runs to completion, but stops at once when the caller's
// RunOptions::cancel flag is set). Wait(timeout) only bounds the wait:
// DEADLINE_EXCEEDED with Done() false means the inference is still queued or
// running and may be waited for again.
//
// Cancel(): a queued inference completes with CANCELLED without running; a
// running one is interrupted (Transport::Interrupt; the remote, USB and PCIe
// transports honour it) and completes with CANCELLED, and its outputs are
// not written. A finished inference is not affected.
//
// Failures: a run that fails (device error, link error, timeout, cancel
// while running) leaves the device in an unknown state: the Device resets it
// (Transport::Reset) and forgets which parameters it holds, so the next run
// of any executable reloads them. The error names the executable and chunk.
// If the reset itself fails the device is unusable until reopened: later
// runs fail with that reset error.
//
// Lifecycle and ownership: Open -> Load (any number of executables; a
// LoadedExecutable owns a copy of the bytes, so the caller's bytes may be
// freed after Load) -> Submit/Run (any number, any executable of this device,
// in any order, from any thread) -> Close. Close() stops accepting work
// (later Submit/Run: FAILED_PRECONDITION), completes every queued inference
// with CANCELLED, lets the running one finish (bounded by its timeout), and
// joins the worker; the destructor calls it. Inference handles and
// LoadedExecutables may outlive their Device and each other (an inference
// keeps what it needs of its executable alive).
//
// Parameter caching: an executable's PARAMETER_LOAD chunk fills PBUF with
// its cached parameters. The device remembers whose parameters PBUF holds:
// a run executes the chunk only when they are not this executable's (first
// run, another executable's parameters or streamed parameters in PBUF since,
// or a failed run) and reports its cycles in RunStats::parameter_load_cycles
// (0 when the cache was warm).
//
// "sim" devices of one process share its single SystemC elaboration
// (simulator/device.h): any number may be open; their runs are serialised
// process-wide.
//
// Executables are untrusted input: Load() verifies the flatbuffer, the file
// identifier, the format and ISA versions, that it was compiled for this
// device's hardware configuration, every instruction word (decoded and
// validated against the configuration), and every binding's range, and
// returns a Status naming the rule broken.
#ifndef SYSTOLE_DRIVER_DRIVER_H_
#define SYSTOLE_DRIVER_DRIVER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "arch/device_config.h"
#include "arch/perf_counters.h"
#include "common/status.h"

namespace systole::driver {
// A tensor the executable reads or writes, as recorded in its bindings.
struct TensorBindingInfo {
  std::string name;
  int tensor_index = 0;
  int type = 0;  // TFLite TensorType value
  std::vector<int> shape;
  uint32_t offset = 0;  // in the INPUT or OUTPUT region
  uint32_t size = 0;    // bytes
  bool flip_sign_bit = false;
};

// A verified executable, ready to run on the device that loaded it.
class LoadedExecutable {
 public:
  virtual ~LoadedExecutable() = default;
  virtual const std::vector<TensorBindingInfo>& inputs() const = 0;
  virtual const std::vector<TensorBindingInfo>& outputs() const = 0;
};

// One operator of the executable in one run (RunOptions::per_op).
struct OpCycles {
  int node_index = 0;
  std::string op;                  // "CONV_2D"
  uint64_t compute_cycles = 0;     // busy cycles of its compute instructions
  uint64_t first_cycle = 0;        // first busy cycle of any of its instructions
  uint64_t last_cycle = 0;         // last busy cycle of any of its instructions
  uint64_t estimated_cycles = 0;   // the compiler's estimate (compute instructions)
  uint64_t macs = 0;
};

struct RunStats {
  sim::PerfCounters counters;  // of the INFERENCE chunk
  uint64_t parameter_load_cycles = 0;  // > 0 when this run had to (re)load cached parameters
  double seconds_simulated = 0;        // counters.cycles / clock
  std::vector<OpCycles> ops;           // with RunOptions::per_op
  // With RunOptions::spans: every instruction of the INFERENCE chunk as the
  // device ran it (unit, pc, first busy cycle, cycles), in completion order
  // (in-process sim only; other transports leave it empty).
  std::vector<sim::InstructionSpan> spans;
};

struct RunOptions {
  std::string chrome_trace_path;  // Chrome-trace JSON of the inference chunk (in-process sim)
  bool per_op = false;            // fill RunStats::ops from the executable's op records
  bool spans = false;             // fill RunStats::spans (systole profile)
  // The run's budget once it starts on the device; 0 = DeviceOptions::timeout_ms.
  int timeout_ms = 0;
  // In-process simulator only (other transports ignore both; use
  // Inference::Cancel there). cancel: once it is true (any thread, e.g. a
  // SIGINT handler, may set it) the run stops before its next simulated
  // cycle and completes with CANCELLED (outputs not written; the device is
  // reset as after any failed run). progress: called on the device's worker
  // thread during the INFERENCE chunk with its cycles so far, at least every
  // 65536 simulated cycles; it must be quick and must not call the Device.
  const std::atomic<bool>* cancel = nullptr;
  std::function<void(uint64_t cycles)> progress;
};

struct DeviceOptions {
  // Default per-run timeout (RunOptions::timeout_ms = 0), and the timeout of
  // each link operation of remote, USB and PCIe transports (connect, one frame).
  int timeout_ms = 10000;
  // Inferences queued or running at once; Submit blocks while this many are.
  int queue_depth = 16;
};

// A parsed device string (see the list above). ToString() is canonical:
// ParseDeviceSpec(s.ToString()) gives s back.
struct DeviceSpec {
  enum class Kind { kSim, kSimRtl, kRemote, kUsb, kPci };
  Kind kind = Kind::kSim;
  // kRemote: "unix:PATH" or "tcp:HOST:PORT". kPci: "", "N", "DDDD:BB:DD.F"
  // or "unix:PATH" (OpenPcieTransport's `where`). Otherwise empty.
  std::string address;
  int index = -1;  // kUsb: N, -1 = the first found
  std::string ToString() const;
};
StatusOr<DeviceSpec> ParseDeviceSpec(const std::string& spec);
// One line listing every valid form, for help texts and error messages.
const char* DeviceSpecForms();

// What EnumerateDevices() finds.
struct DeviceInfo {
  std::string spec;               // opens it: Device::Open(spec)
  std::string transport;          // "sim", "remote", "usb", "pci"
  std::string description;        // one line
  std::string location;           // "in-process", "unix:/run/s.sock", "usb 001/002", "0000:03:00.0"
  uint32_t protocol_version = 0;  // docs/protocol.md / docs/pcie.md version; 0 = in-process
  std::string firmware_version;
  bool has_config = false;        // config is the device's own (it was opened to ask)
  sim::DeviceConfig config;
  std::string error;              // why it could not be opened to identify it, if so
};

struct EnumerateOptions {
  // Servers to list too: "unix:PATH", "tcp:HOST:PORT" or "remote:..." specs.
  std::vector<std::string> remote_addresses;
  // Open each device briefly to read its configuration and versions (a
  // device in use by another process then shows its error instead).
  bool identify = true;
  int timeout_ms = 2000;  // per remote/USB/PCIe open while identifying
};

// The in-process "sim" ("sim:rtl" when this build has it), every Systole USB
// device and PCIe function found, and the given servers, in that order.
std::vector<DeviceInfo> EnumerateDevices(const EnumerateOptions& options = {});

// One asynchronous run (Device::Submit). Thread-safe; shared by the caller
// and the device's worker, so it may outlive the Device.
class Inference {
 public:
  virtual ~Inference() = default;
  // Waits until the inference is done, at most timeout_ms (< 0: no limit).
  // Returns its result (the same on every call once done), or
  // DEADLINE_EXCEEDED "not done after N ms" when the wait timed out: the
  // inference goes on and may be waited for again (Done() tells the two
  // DEADLINE_EXCEEDED apart).
  virtual StatusOr<RunStats> Wait(int timeout_ms = -1) = 0;
  virtual bool Done() const = 0;
  // See "Cancel()" above. Returns at once; Wait() for the outcome.
  virtual void Cancel() = 0;
};

class Device {
 public:
  virtual ~Device() = default;  // implementations Close() first
  // spec: a device string (see above). hw: the configuration the caller
  // expects (see "Hardware configuration").
  static StatusOr<std::unique_ptr<Device>> Open(const std::string& spec, const sim::DeviceConfig& hw,
                                                const DeviceOptions& options = {});
  // The device's own configuration ("sim": the default preset).
  static StatusOr<std::unique_ptr<Device>> Open(const std::string& spec, const DeviceOptions& options = {});

  virtual const sim::DeviceConfig& config() const = 0;
  virtual std::string Describe() const = 0;  // e.g. "sim (SystemC, behavioural core), 64x64 ..."
  virtual DeviceInfo Info() const = 0;       // as identified when it opened
  virtual const std::string& spec() const = 0;  // canonical device string

  virtual StatusOr<std::unique_ptr<LoadedExecutable>> Load(const uint8_t* data, size_t size) = 0;

  // inputs[i] / outputs[i] point to inputs()[i].size / outputs()[i].size
  // bytes in the tensors' own type (uint8 stays uint8: the driver flips the
  // sign bit when the binding says so). Argument errors (another device's
  // executable, wrong counts, null pointers, a closed device) are returned
  // here; run errors by Wait().
  virtual StatusOr<std::shared_ptr<Inference>> Submit(LoadedExecutable& exe, const std::vector<const uint8_t*>& inputs,
                                                      const std::vector<uint8_t*>& outputs,
                                                      const RunOptions& options = {}) = 0;

  // Submit + Wait: thread-safe, queued behind any inference in flight.
  virtual StatusOr<RunStats> Run(LoadedExecutable& exe, const std::vector<const uint8_t*>& inputs,
                                 const std::vector<uint8_t*>& outputs, const RunOptions& options = {}) = 0;

  // See "Lifecycle" above. Idempotent.
  virtual void Close() = 0;
};

// Verifies an executable without a device: flatbuffer structure, identifier,
// versions, instruction words against its own recorded configuration. Used by
// Load() and by `systole disasm`.
Status VerifyExecutable(const uint8_t* data, size_t size);

// Human-readable listing: header, configuration, bindings, per-op sections of
// the instruction streams (one disassembled instruction per line).
StatusOr<std::string> DisassembleExecutable(const uint8_t* data, size_t size);

}  // namespace systole::driver

#endif  // SYSTOLE_DRIVER_DRIVER_H_
