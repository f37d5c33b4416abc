// Device: executables over a Transport. Owns parameter caching, the host
// staging buffers of each inference, the uint8 sign flips, the queue of
// inferences and its worker thread, timeouts and recovery after a failure.
//
// Threads and locks. Each device has a worker (all transport calls but
// Interrupt) and a watchdog (interrupts a run that overstays its deadline).
// Core::mu guards the queue, `running` and the device's open/closed state;
// InferenceImpl::mu guards one inference's outcome. Lock order: Core::mu,
// then InferenceImpl::mu. Transport::Interrupt is called with Core::mu held
// (it must not block; transport.h). The parameter cache (`resident`) and
// `needs_reset` belong to the worker alone.
#include "driver/driver.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "arch/cycle_model.h"
#include "driver/device_internal.h"
#include "driver/executable.h"
#include "driver/transport.h"

namespace systole::driver {
namespace {

using Clock = std::chrono::steady_clock;

// Serial numbers of devices and loaded executables: unique in the process and
// never reused (an address can be), so a stale executable can neither pass as
// another device's nor alias another executable's cached parameters.
uint64_t NextSerial() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1);
}

// Copies n bytes, flipping bit 7 of each when asked (uint8 <-> int8 with
// value - 128: the only difference is the sign bit).
void CopyMaybeFlip(uint8_t* dst, const uint8_t* src, size_t n, bool flip) {
  if (!flip) {
    std::memcpy(dst, src, n);
    return;
  }
  for (size_t i = 0; i < n; ++i) dst[i] = src[i] ^ 0x80;
}

// How long after a run's deadline the watchdog interrupts the transport. The
// transport enforces the deadline itself (ExecuteOptions::timeout_ms); this
// is the backstop for a link that does not.
int WatchdogGraceMs(int timeout_ms) { return 200 + timeout_ms / 10; }

// Host staging of one inference: INPUT, OUTPUT and SCRATCH regions.
struct Staging {
  std::vector<uint8_t> input, output, scratch;
};

// What a loaded executable and its in-flight inferences share: the parsed
// executable and a pool of staging buffers (allocated zeroed, so bytes no
// binding covers are deterministic, and reused across inferences).
struct ExecState {
  ExecState(uint64_t owner, uint64_t id, int number, std::unique_ptr<ParsedExecutable> e)
      : owner(owner), id(id), name(StrFormat("executable #%d", number)), exe(std::move(e)) {}

  std::unique_ptr<Staging> TakeStaging() {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!spare.empty()) {
        std::unique_ptr<Staging> s = std::move(spare.back());
        spare.pop_back();
        return s;
      }
    }
    auto s = std::make_unique<Staging>();
    s->input.assign(exe->input_bytes, 0);
    s->output.assign(exe->output_bytes, 0);
    s->scratch.assign(exe->scratch_bytes, 0);
    return s;
  }
  void ReturnStaging(std::unique_ptr<Staging> s) {
    if (!s) return;
    std::lock_guard<std::mutex> lock(mu);
    if (spare.size() < kMaxSpare) spare.push_back(std::move(s));
  }

  static constexpr size_t kMaxSpare = 4;
  const uint64_t owner;  // serial of the device that loaded it
  const uint64_t id;     // its own serial
  const std::string name;  // for messages: "executable #<n-th load on its device>"
  const std::unique_ptr<ParsedExecutable> exe;
  std::mutex mu;
  std::vector<std::unique_ptr<Staging>> spare;
};

class LoadedExecutableImpl : public LoadedExecutable {
 public:
  explicit LoadedExecutableImpl(std::shared_ptr<ExecState> state) : state_(std::move(state)) {}
  const std::vector<TensorBindingInfo>& inputs() const override { return state_->exe->inputs; }
  const std::vector<TensorBindingInfo>& outputs() const override { return state_->exe->outputs; }
  const std::shared_ptr<ExecState>& state() const { return state_; }

 private:
  std::shared_ptr<ExecState> state_;
};

struct Core;

class InferenceImpl : public Inference, public std::enable_shared_from_this<InferenceImpl> {
 public:
  ~InferenceImpl() override {
    if (exe) exe->ReturnStaging(std::move(staging));
  }

  StatusOr<RunStats> Wait(int timeout_ms) override {
    std::unique_lock<std::mutex> lock(mu_);
    if (timeout_ms < 0) {
      cv_.wait(lock, [&] { return done_; });
    } else if (!cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return done_; })) {
      return DeadlineExceeded("%s: inference not done after %d ms (still queued or running; wait again or "
                              "Cancel it)",
                              exe->name.c_str(), timeout_ms);
    }
    if (!status_.ok()) return status_;
    return stats_;
  }
  bool Done() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return done_;
  }
  void Cancel() override;

  // Set before the inference is queued; then used by whoever owns it: the
  // queue, the worker, or the canceller that took it off the queue.
  std::shared_ptr<ExecState> exe;
  std::unique_ptr<Staging> staging;
  std::vector<uint8_t*> outputs;
  RunOptions options;
  int timeout_ms = 0;
  std::weak_ptr<Core> core;

  // Completes once; later calls are ignored. Releases the staging buffers.
  void Complete(const Status& s, RunStats stats) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (done_) return;
      done_ = true;
      status_ = s;
      stats_ = std::move(stats);
    }
    exe->ReturnStaging(std::move(staging));
    cv_.notify_all();
  }
  void RequestCancel() {
    std::lock_guard<std::mutex> lock(mu_);
    cancel_requested_ = true;
  }
  bool cancel_requested() const {
    std::lock_guard<std::mutex> lock(mu_);
    return cancel_requested_;
  }
  void MarkTimedOut() {
    std::lock_guard<std::mutex> lock(mu_);
    timed_out_ = true;
  }
  bool timed_out() const {
    std::lock_guard<std::mutex> lock(mu_);
    return timed_out_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  bool cancel_requested_ = false;
  bool timed_out_ = false;  // the watchdog interrupted it
  Status status_;
  RunStats stats_;
};

// The device's state shared with its inferences (for Cancel). Outlives the
// DeviceImpl only while a Cancel() holds it; the threads are joined by then.
struct Core {
  std::unique_ptr<Transport> transport;
  std::string spec;  // canonical
  uint64_t serial = NextSerial();
  sim::DeviceConfig config;
  DeviceInfo info;
  std::string description;
  DeviceOptions options;

  std::mutex mu;
  std::condition_variable cv_work;   // queue not empty, or closed
  std::condition_variable cv_space;  // a slot freed, or closed
  std::condition_variable cv_watch;  // a run started, or stop
  std::deque<std::shared_ptr<InferenceImpl>> queue;
  std::shared_ptr<InferenceImpl> running;
  Clock::time_point running_deadline;
  int running_timeout_ms = 0;
  bool running_interrupted = false;
  bool closed = false;
  bool stop_watchdog = false;

  // Worker thread only.
  uint64_t resident = 0;  // id of the executable whose cached parameters PBUF holds; 0 = none
  bool needs_reset = false;  // a reset after a failure has not succeeded yet

  void Cancel(const std::shared_ptr<InferenceImpl>& inf) {
    std::unique_lock<std::mutex> lock(mu);
    auto it = std::find(queue.begin(), queue.end(), inf);
    if (it != queue.end()) {
      queue.erase(it);
      cv_space.notify_all();
      lock.unlock();
      inf->Complete(Cancelled("%s: cancelled before it ran", inf->exe->name.c_str()), {});
      return;
    }
    if (running == inf) {
      inf->RequestCancel();
      transport->Interrupt();
    }
  }
};

void InferenceImpl::Cancel() {
  std::shared_ptr<Core> c = core.lock();
  if (c) c->Cancel(shared_from_this());  // else the device is gone, and every inference of it is done
}

class DeviceImpl : public Device {
 public:
  explicit DeviceImpl(std::shared_ptr<Core> core) : core_(std::move(core)) {
    worker_ = std::thread([c = core_.get()] { Worker(c); });
    watchdog_ = std::thread([c = core_.get()] { Watchdog(c); });
  }
  ~DeviceImpl() override { Close(); }

  const sim::DeviceConfig& config() const override { return core_->config; }
  std::string Describe() const override { return core_->description; }
  DeviceInfo Info() const override { return core_->info; }
  const std::string& spec() const override { return core_->spec; }

  StatusOr<std::unique_ptr<LoadedExecutable>> Load(const uint8_t* data, size_t size) override {
    ASSIGN_OR_RETURN(std::unique_ptr<ParsedExecutable> e, ParseExecutable(data, size));
    const sim::DeviceConfig& have = config();
    const sim::DeviceConfig& want = e->config;
    if (want.rows != have.rows || want.cols != have.cols || want.abuf_bytes != have.abuf_bytes ||
        want.pbuf_bytes != have.pbuf_bytes || want.acc_rows != have.acc_rows)
      return InvalidArgument("executable was compiled for %s, this device is %s (recompile for this device)",
                             DescribeCompiledConfig(want).c_str(), DescribeCompiledConfig(have).c_str());
    auto state = std::make_shared<ExecState>(core_->serial, NextSerial(), ++loads_, std::move(e));
    return std::unique_ptr<LoadedExecutable>(new LoadedExecutableImpl(std::move(state)));
  }

  StatusOr<std::shared_ptr<Inference>> Submit(LoadedExecutable& loaded, const std::vector<const uint8_t*>& inputs,
                                              const std::vector<uint8_t*>& outputs,
                                              const RunOptions& options) override {
    auto* x = dynamic_cast<LoadedExecutableImpl*>(&loaded);
    if (x == nullptr || x->state()->owner != core_->serial)
      return InvalidArgument("device '%s': executable was loaded by another device", core_->spec.c_str());
    const std::shared_ptr<ExecState>& state = x->state();
    const ParsedExecutable& e = *state->exe;
    const std::string& name = state->name;
    if (inputs.size() != e.inputs.size() || outputs.size() != e.outputs.size())
      return InvalidArgument("%s: %zu inputs and %zu outputs given, it has %zu and %zu", name.c_str(),
                             inputs.size(), outputs.size(), e.inputs.size(), e.outputs.size());
    for (size_t i = 0; i < inputs.size(); ++i)
      if (inputs[i] == nullptr) return InvalidArgument("%s: input %zu is null", name.c_str(), i);
    for (size_t i = 0; i < outputs.size(); ++i)
      if (outputs[i] == nullptr) return InvalidArgument("%s: output %zu is null", name.c_str(), i);
    if (options.timeout_ms < 0)
      return InvalidArgument("%s: RunOptions::timeout_ms %d is negative (0 = the device's default)", name.c_str(),
                             options.timeout_ms);

    auto inf = std::make_shared<InferenceImpl>();
    inf->exe = state;
    inf->staging = state->TakeStaging();
    for (size_t i = 0; i < inputs.size(); ++i) {
      const TensorBindingInfo& b = e.inputs[i];
      CopyMaybeFlip(inf->staging->input.data() + b.offset, inputs[i], b.size, b.flip_sign_bit);
    }
    inf->outputs = outputs;
    inf->options = options;
    inf->timeout_ms = options.timeout_ms > 0 ? options.timeout_ms : core_->options.timeout_ms;
    inf->core = core_;

    Core& c = *core_;
    std::unique_lock<std::mutex> lock(c.mu);
    c.cv_space.wait(lock, [&] {
      return c.closed || c.queue.size() + (c.running ? 1 : 0) < static_cast<size_t>(c.options.queue_depth);
    });
    if (c.closed) return FailedPrecondition("device '%s' is closed", c.spec.c_str());
    c.queue.push_back(inf);
    c.cv_work.notify_one();
    return std::shared_ptr<Inference>(std::move(inf));
  }

  StatusOr<RunStats> Run(LoadedExecutable& exe, const std::vector<const uint8_t*>& inputs,
                         const std::vector<uint8_t*>& outputs, const RunOptions& options) override {
    ASSIGN_OR_RETURN(std::shared_ptr<Inference> inf, Submit(exe, inputs, outputs, options));
    return inf->Wait(-1);
  }

  void Close() override {
    std::lock_guard<std::mutex> close_lock(close_mu_);
    if (joined_) return;
    std::deque<std::shared_ptr<InferenceImpl>> dropped;
    {
      std::lock_guard<std::mutex> lock(core_->mu);
      core_->closed = true;
      dropped.swap(core_->queue);
      core_->cv_work.notify_all();
      core_->cv_space.notify_all();
    }
    for (auto& inf : dropped)
      inf->Complete(Cancelled("%s: device '%s' closed before it ran", inf->exe->name.c_str(), core_->spec.c_str()),
                    {});
    worker_.join();  // after the running inference, if any (bounded by its timeout: the watchdog)
    {
      std::lock_guard<std::mutex> lock(core_->mu);
      core_->stop_watchdog = true;
      core_->cv_watch.notify_all();
    }
    watchdog_.join();
    joined_ = true;
  }

 private:
  static void Worker(Core* c);
  static void Watchdog(Core* c);

  std::shared_ptr<Core> core_;
  std::atomic<int> loads_{0};
  std::thread worker_, watchdog_;
  std::mutex close_mu_;
  bool joined_ = false;
};

// After a failed run: the device state is unknown. Reset it and forget the
// cached parameters; a reset that fails is retried before the next run.
Status Recover(Core& c, const Status& error) {
  c.resident = 0;
  Status r = c.transport->Reset();
  if (r.ok()) {
    c.needs_reset = false;
    return error;
  }
  c.needs_reset = true;
  return Status(error.code(), error.message() + "; then resetting the device failed: " + r.message());
}

// One inference on the worker thread: returns its outcome; writes the
// caller's outputs only on success.
StatusOr<RunStats> RunOne(Core& c, InferenceImpl& inf) {
  ExecState& x = *inf.exe;
  const ParsedExecutable& e = *x.exe;
  const std::string& name = x.name;
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(inf.timeout_ms);
  auto remaining_ms = [&] {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return static_cast<int>(std::max<int64_t>(1, left));
  };
  // The outcome of a failed chunk, as the caller should see it.
  auto failed = [&](const Status& s, const char* chunk, int index) {
    Status why = Annotate(s, StrFormat("%s, chunk %d (%s)", name.c_str(), index, chunk));
    if (inf.timed_out())
      why = DeadlineExceeded("%s: run did not complete within %d ms (interrupted; %s)", name.c_str(), inf.timeout_ms,
                             why.message().c_str());
    else if (inf.cancel_requested())
      why = Cancelled("%s: cancelled while running (%s)", name.c_str(), why.message().c_str());
    return Recover(c, why);
  };

  if (c.needs_reset) {
    Status r = c.transport->Reset();
    if (!r.ok())
      return Annotate(r, StrFormat("device '%s' is unusable until it can be reset (an earlier run failed)",
                                   c.spec.c_str()));
    c.needs_reset = false;
    c.resident = 0;
  }
  auto flag_set = [&] { return inf.options.cancel != nullptr && inf.options.cancel->load(); };
  if (inf.cancel_requested() || flag_set()) return Cancelled("%s: cancelled before it ran", name.c_str());

  RunStats stats;
  Staging& st = *inf.staging;
  const RegionBuffers buffers{e.parameters, st.input.data(), st.output.data(), st.scratch.data()};

  // Parameter caching: PBUF holds the parameters of at most one executable.
  if (e.parameter_load.present() && c.resident != x.id) {
    c.resident = 0;  // PBUF is about to change; valid again only if the chunk completes
    ASSIGN_OR_RETURN(sim::HostMemory host, MapRegions(e, exe::ChunkKind_PARAMETER_LOAD, buffers));
    ExecuteOptions po;
    po.region_ids[exe::Region_PARAMETERS] = x.id;  // immutable: a copying transport sends it once
    po.timeout_ms = remaining_ms();
    po.cancel = inf.options.cancel;
    StatusOr<sim::PerfCounters> r = c.transport->Execute(e.parameter_load.words, host, po);
    if (!r.ok()) return failed(r.status(), "PARAMETER_LOAD", e.parameter_load.index);
    stats.parameter_load_cycles = r->cycles;
    c.resident = x.id;
    if (inf.cancel_requested()) return Cancelled("%s: cancelled while running (after PARAMETER_LOAD)", name.c_str());
  }

  ASSIGN_OR_RETURN(sim::HostMemory host, MapRegions(e, exe::ChunkKind_INFERENCE, buffers));
  ExecuteOptions xo;
  xo.region_ids[exe::Region_PARAMETERS] = x.id;
  xo.chrome_trace_path = inf.options.chrome_trace_path;
  xo.timeout_ms = remaining_ms();
  xo.cancel = inf.options.cancel;
  xo.progress = inf.options.progress;
  std::vector<sim::InstructionSpan> spans;
  if (inf.options.per_op || inf.options.spans) xo.spans = &spans;
  StatusOr<sim::PerfCounters> r = c.transport->Execute(e.inference.words, host, xo);
  // Streamed parameters overwrite PBUF: whatever was cached there is gone,
  // unless it is this executable's own (its compiler keeps the two apart).
  if (e.inference_writes_pbuf && c.resident != x.id) c.resident = 0;
  if (!r.ok()) return failed(r.status(), "INFERENCE", e.inference.index);
  // A run that completed is a run that completed: the watchdog's interrupt
  // came too late to matter (or the transport cannot be interrupted). A
  // cancel that came too late still means "do not deliver".
  if (inf.cancel_requested() || flag_set())
    return Cancelled("%s: cancelled while running (outputs not written)", name.c_str());

  for (size_t i = 0; i < inf.outputs.size(); ++i) {
    const TensorBindingInfo& b = e.outputs[i];
    CopyMaybeFlip(inf.outputs[i], st.output.data() + b.offset, b.size, b.flip_sign_bit);
  }
  stats.counters = *r;
  stats.seconds_simulated = static_cast<double>(r->cycles) / c.config.clock_hz;
  const RunOptions& options = inf.options;
    if (options.per_op) {
      // Op records are sorted and disjoint: attribute each span by its pc.
      for (const ParsedOp& op : e.ops) {
        OpCycles oc;
        oc.node_index = op.node_index;
        oc.op = op.name;
        oc.estimated_cycles = op.estimated_cycles;
        oc.macs = op.macs;
        oc.first_cycle = UINT64_MAX;
        stats.ops.push_back(oc);
      }
      // Compute cycles per op: each cycle once (a MATMUL accepted during the
      // previous one's drain takes the overlapped cycles over, as in the
      // compile report's estimate, sim::AttributeComputeSpans).
      std::vector<const sim::InstructionSpan*> compute;
      for (const sim::InstructionSpan& sp : spans)
        if (sp.unit == static_cast<int>(isa::Unit::kCompute)) compute.push_back(&sp);
      std::sort(compute.begin(), compute.end(),
                [](const sim::InstructionSpan* a, const sim::InstructionSpan* b) { return a->pc < b->pc; });
      std::vector<std::pair<uint64_t, uint64_t>> start_cycles;
      for (const sim::InstructionSpan* sp : compute) start_cycles.emplace_back(sp->start, sp->cycles);
      const std::vector<uint64_t> attributed = sim::AttributeComputeSpans(start_cycles);
      std::unordered_map<uint64_t, uint64_t> cycles_of_pc;
      for (size_t j = 0; j < compute.size(); ++j) cycles_of_pc[compute[j]->pc] = attributed[j];
      for (const sim::InstructionSpan& sp : spans) {
        const int op = e.OpOf(sp.pc);
        if (op < 0) continue;
        OpCycles& oc = stats.ops[op];
        if (sp.unit == static_cast<int>(isa::Unit::kCompute)) oc.compute_cycles += cycles_of_pc[sp.pc];
        oc.first_cycle = std::min(oc.first_cycle, sp.start);
        oc.last_cycle = std::max(oc.last_cycle, sp.start + sp.cycles - 1);
      }
      for (OpCycles& oc : stats.ops)
        if (oc.first_cycle == UINT64_MAX) oc.first_cycle = 0;
    }
  if (options.spans) stats.spans = std::move(spans);
  return stats;
}

void DeviceImpl::Worker(Core* c) {
  for (;;) {
    std::shared_ptr<InferenceImpl> inf;
    {
      std::unique_lock<std::mutex> lock(c->mu);
      c->cv_work.wait(lock, [&] { return c->closed || !c->queue.empty(); });
      if (c->queue.empty()) return;  // closed (Close took the queue)
      inf = std::move(c->queue.front());
      c->queue.pop_front();
      c->running = inf;
      c->running_timeout_ms = inf->timeout_ms;
      c->running_deadline = Clock::now() + std::chrono::milliseconds(inf->timeout_ms);
      c->running_interrupted = false;
      c->cv_watch.notify_all();
    }
    StatusOr<RunStats> r = RunOne(*c, *inf);
    {
      std::lock_guard<std::mutex> lock(c->mu);
      c->running.reset();
      c->cv_space.notify_all();
    }
    if (r.ok()) {
      inf->Complete(Status::Ok(), std::move(r).value());
    } else {
      inf->Complete(r.status(), {});
    }
  }
}

void DeviceImpl::Watchdog(Core* c) {
  std::unique_lock<std::mutex> lock(c->mu);
  while (!c->stop_watchdog) {
    if (c->running && !c->running_interrupted) {
      const Clock::time_point fire =
          c->running_deadline + std::chrono::milliseconds(WatchdogGraceMs(c->running_timeout_ms));
      if (Clock::now() >= fire) {
        c->running_interrupted = true;
        c->running->MarkTimedOut();
        c->transport->Interrupt();
        continue;
      }
      c->cv_watch.wait_until(lock, fire);
    } else {
      c->cv_watch.wait(lock);
    }
  }
}

bool SameCompiledConfig(const sim::DeviceConfig& a, const sim::DeviceConfig& b) {
  return a.rows == b.rows && a.cols == b.cols && a.abuf_bytes == b.abuf_bytes && a.pbuf_bytes == b.pbuf_bytes &&
         a.acc_rows == b.acc_rows;
}

Status CheckOptions(const std::string& name, const DeviceOptions& options) {
  if (options.timeout_ms < 1 || options.timeout_ms > 24 * 3600 * 1000)
    return InvalidArgument("device '%s': DeviceOptions::timeout_ms %d is not in 1..86400000", name.c_str(),
                           options.timeout_ms);
  if (options.queue_depth < 1 || options.queue_depth > 4096)
    return InvalidArgument("device '%s': DeviceOptions::queue_depth %d is not in 1..4096", name.c_str(),
                           options.queue_depth);
  return Status::Ok();
}

StatusOr<std::unique_ptr<Device>> MakeDevice(const std::string& name, std::unique_ptr<Transport> transport,
                                             const sim::DeviceConfig* hw, const DeviceOptions& options) {
  auto core = std::make_shared<Core>();
  core->transport = std::move(transport);
  core->spec = name;
  core->options = options;
  core->config = core->transport->config();
  if (hw != nullptr && !SameCompiledConfig(core->config, *hw))
    return InvalidArgument("device '%s' is %s, but %s was expected (compile for the device's configuration, or "
                           "open it without one to take its own)",
                           name.c_str(), DescribeCompiledConfig(core->config).c_str(),
                           DescribeCompiledConfig(*hw).c_str());
  core->description = StrFormat("%s, %s", core->transport->Describe().c_str(), core->config.ToString().c_str());
  const DeviceIdentity id = core->transport->Identify();
  DeviceInfo& info = core->info;
  info.spec = name;
  info.transport = id.transport;
  info.description = id.description;
  info.location = id.location;
  info.protocol_version = id.protocol_version;
  info.firmware_version = id.firmware_version;
  info.has_config = true;
  info.config = core->config;
  return std::unique_ptr<Device>(new DeviceImpl(std::move(core)));
}

// hw == nullptr: the device's own configuration ("sim": the default preset).
StatusOr<std::unique_ptr<Device>> OpenDevice(const std::string& spec_string, const sim::DeviceConfig* hw,
                                             const DeviceOptions& options) {
  ASSIGN_OR_RETURN(DeviceSpec spec, ParseDeviceSpec(spec_string));
  const std::string name = spec.ToString();
  if (hw != nullptr) {
    Status s = hw->Validate();
    if (!s.ok()) return Annotate(s, StrFormat("device '%s'", name.c_str()));
  }
  RETURN_IF_ERROR(CheckOptions(name, options));
  TransportOptions topts;
  topts.timeout_ms = options.timeout_ms;
  StatusOr<std::unique_ptr<Transport>> t = Unimplemented("device '%s': no transport", name.c_str());
  switch (spec.kind) {
    case DeviceSpec::Kind::kSim:
    case DeviceSpec::Kind::kSimRtl:
      t = OpenSimTransport(hw ? *hw : sim::DeviceConfig{}, spec.kind == DeviceSpec::Kind::kSimRtl);
      break;
    case DeviceSpec::Kind::kRemote: t = OpenRemoteTransport(spec.address, topts); break;
    case DeviceSpec::Kind::kUsb: t = OpenUsbTransport(spec.index, topts); break;
    case DeviceSpec::Kind::kPci: t = OpenPcieTransport(spec.address, topts); break;
  }
  if (!t.ok()) {
    const Status st = t.status();  // status() returns a copy: keep it alive
    if (st.message().rfind("device '" + name + "'", 0) == 0) return st;  // already names the device
    return Annotate(st, StrFormat("device '%s'", name.c_str()));
  }
  return MakeDevice(name, std::move(t).value(), hw, options);
}

DeviceInfo InfoFromIdentity(const std::string& spec, const DeviceIdentity& id) {
  DeviceInfo d;
  d.spec = spec;
  d.transport = id.transport;
  d.description = id.description;
  d.location = id.location;
  d.protocol_version = id.protocol_version;
  d.firmware_version = id.firmware_version;
  return d;
}

// Fills `d` by opening d.spec (its own configuration) when asked to.
void Identify(DeviceInfo* d, const EnumerateOptions& options) {
  if (!options.identify) return;
  DeviceOptions o;
  o.timeout_ms = std::max(1, options.timeout_ms);
  StatusOr<std::unique_ptr<Device>> dev = Device::Open(d->spec, o);
  if (!dev.ok()) {
    d->error = dev.status().ToString();
    return;
  }
  const DeviceInfo got = (*dev)->Info();
  d->description = got.description;
  if (d->location.empty()) d->location = got.location;
  d->protocol_version = got.protocol_version;
  d->firmware_version = got.firmware_version;
  d->has_config = true;
  d->config = got.config;
}

}  // namespace

StatusOr<std::unique_ptr<Device>> Device::Open(const std::string& spec, const sim::DeviceConfig& hw,
                                               const DeviceOptions& options) {
  return OpenDevice(spec, &hw, options);
}

StatusOr<std::unique_ptr<Device>> Device::Open(const std::string& spec, const DeviceOptions& options) {
  return OpenDevice(spec, nullptr, options);
}

StatusOr<std::unique_ptr<Device>> OpenDeviceOnTransport(const std::string& spec,
                                                        std::unique_ptr<Transport> transport,
                                                        const sim::DeviceConfig* expected,
                                                        const DeviceOptions& options) {
  if (transport == nullptr) return InvalidArgument("device '%s': no transport", spec.c_str());
  RETURN_IF_ERROR(CheckOptions(spec, options));
  return MakeDevice(spec, std::move(transport), expected, options);
}

std::vector<DeviceInfo> EnumerateDevices(const EnumerateOptions& options) {
  std::vector<DeviceInfo> out;
  {
    DeviceInfo d;
    d.spec = "sim";
    d.transport = "sim";
    d.description = "sim (SystemC, behavioural core; any configuration, default edge)";
    d.location = "in-process";
    d.firmware_version = "in-process SystemC model";
    d.has_config = true;  // what Open("sim") uses
    out.push_back(d);
#if defined(SYSTOLE_HAVE_RTL_CORE)
    d.spec = "sim:rtl";
    d.description = "sim:rtl (SystemC, Verilated RTL core; the Verilated array sizes only)";
    d.has_config = false;
    out.push_back(d);
#endif
  }
  const std::vector<DeviceIdentity> usb = EnumerateUsbDevices();
  for (size_t i = 0; i < usb.size(); ++i) {
    DeviceInfo d = InfoFromIdentity(StrFormat("usb:%zu", i), usb[i]);
    Identify(&d, options);
    out.push_back(d);
  }
  const std::vector<DeviceIdentity> pci = EnumeratePcieDevices();
  for (size_t i = 0; i < pci.size(); ++i) {
    // By address when the enumeration gives one (stable across plugging),
    // else by index.
    std::string spec = "pci:" + pci[i].location;
    StatusOr<DeviceSpec> parsed = ParseDeviceSpec(spec);
    if (!parsed.ok() || parsed->address.empty()) spec = StrFormat("pci:%zu", i);
    DeviceInfo d = InfoFromIdentity(spec, pci[i]);
    Identify(&d, options);
    out.push_back(d);
  }
  for (const std::string& a : options.remote_addresses) {
    DeviceInfo d;
    d.transport = "remote";
    d.spec = a.rfind("remote:", 0) == 0 ? a : "remote:" + a;
    StatusOr<DeviceSpec> parsed = ParseDeviceSpec(d.spec);
    if (!parsed.ok() || parsed->kind != DeviceSpec::Kind::kRemote) {
      d.error = parsed.ok() ? StrFormat("'%s' is not a remote address (unix:PATH or tcp:HOST:PORT)", a.c_str())
                            : parsed.status().ToString();
      out.push_back(d);
      continue;
    }
    d.spec = parsed->ToString();
    d.location = parsed->address;
    Identify(&d, options);
    out.push_back(d);
  }
  return out;
}

}  // namespace systole::driver
