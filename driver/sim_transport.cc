// The in-process transport: a sim::Device (SystemC model) in this process.
// The one file of driver/ that includes simulator/ (scripts/check_layering.py);
// the RTL core comes through its entry point in arch/rtl_core.h.
#include <cinttypes>
#include <mutex>

#include "driver/transport.h"
#include "simulator/device.h"

#if defined(SYSTOLE_HAVE_RTL_CORE)
#include "arch/rtl_core.h"
#endif

namespace systole::driver {
namespace {

// SystemC has one kernel per process (simulator/device.h): runs of every sim
// device, and the elaboration in sim::Device::Create, are serialised here,
// whichever Device worker thread they come from.
std::mutex& KernelMutex() {
  static std::mutex* mu = new std::mutex;  // never destroyed: workers may run until exit
  return *mu;
}

class SimTransport : public Transport {
 public:
  SimTransport(std::unique_ptr<sim::Device> device, std::string description)
      : device_(std::move(device)), description_(std::move(description)) {}

  std::string Describe() const override { return description_; }
  const sim::DeviceConfig& config() const override { return device_->config(); }
  DeviceIdentity Identify() const override {
    DeviceIdentity id;
    id.transport = "sim";
    id.description = description_;
    id.location = "in-process";
    id.firmware_version = "in-process SystemC model";
    return id;
  }
  Status Reset() override {
    device_->memory().Clear();
    return Status::Ok();
  }

  Status WriteMemory(isa::Buffer buffer, uint32_t addr, const uint8_t* data, size_t size) override {
    ASSIGN_OR_RETURN(std::vector<uint8_t>* mem, Memory(buffer, addr, size));
    if (size > 0) std::copy(data, data + size, mem->begin() + addr);
    return Status::Ok();
  }
  Status ReadMemory(isa::Buffer buffer, uint32_t addr, uint8_t* data, size_t size) override {
    ASSIGN_OR_RETURN(std::vector<uint8_t>* mem, Memory(buffer, addr, size));
    if (size > 0) std::copy(mem->begin() + addr, mem->begin() + addr + size, data);
    return Status::Ok();
  }

  StatusOr<sim::PerfCounters> Execute(const std::vector<isa::InsnWord>& program, const sim::HostMemory& host,
                                      const ExecuteOptions& options) override {
    sim::RunOptions o;
    o.chrome_trace_path = options.chrome_trace_path;
    o.spans = options.spans;
    o.cancel = options.cancel;
    o.progress = options.progress;
    // Interrupt() is not honoured and options.timeout_ms is not enforced
    // here (the run is bounded by sim::RunOptions::max_cycles); the caller's
    // cancel flag is (ExecuteOptions::cancel).
    std::lock_guard<std::mutex> lock(KernelMutex());
    return device_->Run(program, host, o);
  }

 private:
  StatusOr<std::vector<uint8_t>*> Memory(isa::Buffer buffer, uint32_t addr, size_t size) {
    std::vector<uint8_t>* mem = nullptr;
    if (buffer == isa::Buffer::kAbuf) mem = &device_->memory().abuf;
    else if (buffer == isa::Buffer::kPbuf) mem = &device_->memory().pbuf;
    else return InvalidArgument("device memory: unknown buffer %d", static_cast<int>(buffer));
    if (uint64_t{addr} + size > mem->size())
      return OutOfRange("device memory: [0x%x, 0x%" PRIx64 ") outside %s (size 0x%zx)", addr,
                        uint64_t{addr} + size, isa::BufferName(buffer), mem->size());
    return mem;
  }

  std::unique_ptr<sim::Device> device_;
  std::string description_;
};

}  // namespace

StatusOr<std::unique_ptr<Transport>> OpenSimTransport(const sim::DeviceConfig& hw, bool rtl_core) {
  sim::CoreFactory factory;  // empty: the behavioural core
  std::string description = "sim (SystemC, behavioural core)";
  if (rtl_core) {
#if defined(SYSTOLE_HAVE_RTL_CORE)
    factory = [](const sim::CoreConfig& core, const sim::CoreMemories& mem) {
      return rtl::MakeRtlComputeCore(core, mem, rtl::RtlCoreOptions{});
    };
    description = "sim:rtl (SystemC, Verilated RTL core)";
#else
    return Unimplemented(
        "device 'sim:rtl': this build has no RTL core (configure with -DSYSTOLE_WITH_RTL=ON, without rtl in "
        "SYSTOLE_EXCLUDE); use 'sim'");
#endif
  }
  std::unique_ptr<sim::Device> device;
  {
    std::lock_guard<std::mutex> lock(KernelMutex());
    ASSIGN_OR_RETURN(device, sim::Device::Create(hw, factory));
  }
  return std::unique_ptr<Transport>(new SimTransport(std::move(device), description));
}

}  // namespace systole::driver
