// Device: executables over a Transport. Owns parameter caching, the host
// staging buffers of each executable and the uint8 sign flips.
#include "driver/driver.h"

#include <algorithm>

#include <atomic>
#include <cinttypes>
#include <cstring>

#include "driver/executable.h"
#include "driver/transport.h"

namespace systole::driver {
namespace {

// Serial numbers of devices and loaded executables: unique in the process and
// never reused (an address can be), so a stale executable can neither pass as
// another device's nor alias another executable's cached parameters.
uint64_t NextSerial() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1);
}

class LoadedExecutableImpl : public LoadedExecutable {
 public:
  LoadedExecutableImpl(uint64_t owner, uint64_t id, int number, std::unique_ptr<ParsedExecutable> exe)
      : owner_(owner), id_(id), name_(StrFormat("executable #%d", number)), exe_(std::move(exe)) {
    // Host staging buffers, allocated once (sizes are bounded by
    // kMaxRegionBytes at verification). Zeroed so that bytes no binding
    // covers are deterministic.
    input_.assign(exe_->input_bytes, 0);
    output_.assign(exe_->output_bytes, 0);
    scratch_.assign(exe_->scratch_bytes, 0);
  }
  const std::vector<TensorBindingInfo>& inputs() const override { return exe_->inputs; }
  const std::vector<TensorBindingInfo>& outputs() const override { return exe_->outputs; }

  uint64_t owner() const { return owner_; }
  uint64_t id() const { return id_; }
  const std::string& name() const { return name_; }
  const ParsedExecutable& exe() const { return *exe_; }
  RegionBuffers regions() {
    return RegionBuffers{exe_->parameters, input_.data(), output_.data(), scratch_.data()};
  }
  uint8_t* input() { return input_.data(); }
  const uint8_t* output() const { return output_.data(); }

 private:
  uint64_t owner_;  // serial of the device that loaded it
  uint64_t id_;     // its own serial
  std::string name_;  // for messages: "executable #<n-th load on its device>"
  std::unique_ptr<ParsedExecutable> exe_;
  std::vector<uint8_t> input_, output_, scratch_;
};

// Copies n bytes, flipping bit 7 of each when asked (uint8 <-> int8 with
// value - 128: the only difference is the sign bit).
void CopyMaybeFlip(uint8_t* dst, const uint8_t* src, size_t n, bool flip) {
  if (!flip) {
    std::memcpy(dst, src, n);
    return;
  }
  for (size_t i = 0; i < n; ++i) dst[i] = src[i] ^ 0x80;
}

class DeviceImpl : public Device {
 public:
  DeviceImpl(std::string spec, std::unique_ptr<Transport> transport)
      : spec_(std::move(spec)), transport_(std::move(transport)) {}

  const sim::DeviceConfig& config() const override { return transport_->config(); }
  std::string Describe() const override {
    return StrFormat("%s, %s", transport_->Describe().c_str(), config().ToString().c_str());
  }

  StatusOr<std::unique_ptr<LoadedExecutable>> Load(const uint8_t* data, size_t size) override {
    ASSIGN_OR_RETURN(std::unique_ptr<ParsedExecutable> e, ParseExecutable(data, size));
    const sim::DeviceConfig& have = config();
    const sim::DeviceConfig& want = e->config;
    if (want.rows != have.rows || want.cols != have.cols || want.abuf_bytes != have.abuf_bytes ||
        want.pbuf_bytes != have.pbuf_bytes || want.acc_rows != have.acc_rows)
      return InvalidArgument("executable was compiled for %s, this device is %s (recompile for this device)",
                             DescribeCompiledConfig(want).c_str(), DescribeCompiledConfig(have).c_str());
    return std::unique_ptr<LoadedExecutable>(new LoadedExecutableImpl(serial_, NextSerial(), ++loads_, std::move(e)));
  }

  StatusOr<RunStats> Run(LoadedExecutable& loaded, const std::vector<const uint8_t*>& inputs,
                         const std::vector<uint8_t*>& outputs, const RunOptions& options) override {
    auto* x = dynamic_cast<LoadedExecutableImpl*>(&loaded);
    if (x == nullptr || x->owner() != serial_)
      return InvalidArgument("device '%s': executable was loaded by another device", spec_.c_str());
    const ParsedExecutable& e = x->exe();
    const std::string& name = x->name();
    if (inputs.size() != e.inputs.size() || outputs.size() != e.outputs.size())
      return InvalidArgument("%s: %zu inputs and %zu outputs given, it has %zu and %zu", name.c_str(),
                             inputs.size(), outputs.size(), e.inputs.size(), e.outputs.size());
    for (size_t i = 0; i < inputs.size(); ++i)
      if (inputs[i] == nullptr) return InvalidArgument("%s: input %zu is null", name.c_str(), i);
    for (size_t i = 0; i < outputs.size(); ++i)
      if (outputs[i] == nullptr) return InvalidArgument("%s: output %zu is null", name.c_str(), i);

    RunStats stats;
    const RegionBuffers buffers = x->regions();

    // Parameter caching: PBUF holds the parameters of at most one executable.
    if (e.parameter_load.present() && resident_ != x->id()) {
      resident_ = 0;  // PBUF is about to change; valid again only if the chunk completes
      ASSIGN_OR_RETURN(sim::HostMemory host, MapRegions(e, exe::ChunkKind_PARAMETER_LOAD, buffers));
      ExecuteOptions po;
      po.region_ids[exe::Region_PARAMETERS] = x->id();  // immutable: a copying transport sends it once
      StatusOr<sim::PerfCounters> r = transport_->Execute(e.parameter_load.words, host, po);
      if (!r.ok())
        return Annotate(r.status(), StrFormat("%s, chunk %d (PARAMETER_LOAD)", name.c_str(), e.parameter_load.index));
      stats.parameter_load_cycles = r->cycles;
      resident_ = x->id();
    }

    for (size_t i = 0; i < inputs.size(); ++i) {
      const TensorBindingInfo& b = e.inputs[i];
      CopyMaybeFlip(x->input() + b.offset, inputs[i], b.size, b.flip_sign_bit);
    }

    ASSIGN_OR_RETURN(sim::HostMemory host, MapRegions(e, exe::ChunkKind_INFERENCE, buffers));
    ExecuteOptions xo;
    xo.region_ids[exe::Region_PARAMETERS] = x->id();
    xo.chrome_trace_path = options.chrome_trace_path;
    std::vector<sim::InstructionSpan> spans;
    if (options.per_op) xo.spans = &spans;
    StatusOr<sim::PerfCounters> r = transport_->Execute(e.inference.words, host, xo);
    // Streamed parameters overwrite PBUF: whatever was cached there is gone,
    // unless it is this executable's own (its compiler keeps the two apart).
    if (e.inference_writes_pbuf && resident_ != x->id()) resident_ = 0;
    if (!r.ok()) {
      // A partial run may have clobbered PBUF, and a remote link that failed
      // reconnects to a fresh device session (on-chip memories zero).
      resident_ = 0;
      return Annotate(r.status(), StrFormat("%s, chunk %d (INFERENCE)", name.c_str(), e.inference.index));
    }

    for (size_t i = 0; i < outputs.size(); ++i) {
      const TensorBindingInfo& b = e.outputs[i];
      CopyMaybeFlip(outputs[i], x->output() + b.offset, b.size, b.flip_sign_bit);
    }
    stats.counters = *r;
    stats.seconds_simulated = static_cast<double>(r->cycles) / config().clock_hz;
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
      for (const sim::InstructionSpan& sp : spans) {
        auto it = std::upper_bound(e.ops.begin(), e.ops.end(), sp.pc,
                                   [](uint64_t pc, const ParsedOp& o) { return pc < o.first_instruction; });
        if (it == e.ops.begin()) continue;
        --it;
        if (sp.pc >= uint64_t{it->first_instruction} + it->num_instructions) continue;
        OpCycles& oc = stats.ops[it - e.ops.begin()];
        if (sp.unit == static_cast<int>(isa::Unit::kCompute)) oc.compute_cycles += sp.cycles;
        oc.first_cycle = std::min(oc.first_cycle, sp.start);
        oc.last_cycle = std::max(oc.last_cycle, sp.start + sp.cycles - 1);
      }
      for (OpCycles& oc : stats.ops)
        if (oc.first_cycle == UINT64_MAX) oc.first_cycle = 0;
    }
    return stats;
  }

 private:
  std::string spec_;
  std::unique_ptr<Transport> transport_;
  const uint64_t serial_ = NextSerial();
  int loads_ = 0;
  uint64_t resident_ = 0;  // id of the executable whose cached parameters PBUF holds; 0 = none
};

}  // namespace

StatusOr<std::unique_ptr<Device>> Device::Open(const std::string& spec, const sim::DeviceConfig& hw) {
  {
    Status s = hw.Validate();
    if (!s.ok()) return Annotate(s, StrFormat("device '%s'", spec.c_str()));
  }
  std::unique_ptr<Transport> transport;
  if (spec == "sim" || spec == "sim:rtl") {
    StatusOr<std::unique_ptr<Transport>> t = OpenSimTransport(hw, spec == "sim:rtl");
    if (!t.ok()) {
      // OpenSimTransport's own errors already name the device.
      const Status st = t.status();  // status() returns a copy: keep it alive
      if (st.message().rfind("device '", 0) == 0) return st;
      return Annotate(st, StrFormat("device '%s'", spec.c_str()));
    }
    transport = std::move(t).value();
  } else if (spec.rfind("remote:", 0) == 0) {  // remote:unix:PATH, remote:tcp:HOST:PORT (systole serve)
    StatusOr<std::unique_ptr<Transport>> t = OpenRemoteTransport(spec.substr(7), TransportOptions{});
    if (!t.ok()) return Annotate(t.status(), StrFormat("device '%s'", spec.c_str()));
    transport = std::move(t).value();
  } else if (spec == "pci" || spec.rfind("pci:", 0) == 0) {  // pci, pci:N, pci:DDDD:BB:DD.F, pci:unix:PATH
    StatusOr<std::unique_ptr<Transport>> t = OpenPcieTransport(spec == "pci" ? "" : spec.substr(4), TransportOptions{});
    if (!t.ok()) return Annotate(t.status(), StrFormat("device '%s'", spec.c_str()));
    transport = std::move(t).value();
  } else {
    return InvalidArgument("device '%s': unknown; valid devices are 'sim' (SystemC model, behavioural core), "
                           "'sim:rtl' (SystemC model, Verilated RTL core), 'remote:unix:PATH' and "
                           "'remote:tcp:HOST:PORT' (systole serve), 'pci', 'pci:N', 'pci:DDDD:BB:DD.F' and "
                           "'pci:unix:PATH' (PCIe)",
                           spec.c_str());
  }
  return std::unique_ptr<Device>(new DeviceImpl(spec, std::move(transport)));
}

StatusOr<std::unique_ptr<Device>> OpenDeviceOn(const std::string& spec, std::unique_ptr<Transport> transport) {
  if (transport == nullptr) return InvalidArgument("device '%s': no transport", spec.c_str());
  return std::unique_ptr<Device>(new DeviceImpl(spec, std::move(transport)));
}

}  // namespace systole::driver
