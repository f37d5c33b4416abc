#include "simulator/device.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <deque>
#include <systemc>

#include "arch/cycle_model.h"
#include "arch/issue.h"
#include "arch/tokens.h"
#include "arch/validate.h"
#include "simulator/behavioral_core.h"

namespace systole::sim {
namespace {

constexpr int kLoad = static_cast<int>(isa::Unit::kLoad);
constexpr int kCompute = static_cast<int>(isa::Unit::kCompute);
constexpr int kStore = static_cast<int>(isa::Unit::kStore);

struct Entry {
  isa::Instruction insn;
  uint64_t pc = 0;
  uint64_t visible = 0;  // first cycle the unit may see it (fetch cycle + 1)
};

struct InFlight {  // an instruction in the compute core
  Entry e;
  uint64_t start = 0;  // accept cycle
};

struct TraceEvent {
  int unit;
  uint64_t pc, start, cycles;
  isa::Opcode op;
};

// The cycle engine of one run. Tick() advances one clock cycle and returns how
// many cycles may pass before the next one that can change anything (0 when
// the run has ended). Within a cycle: fetch, then the units; tokens pushed in
// a cycle are visible from the next, so the order of units does not matter.
class Engine {
 public:
  Engine(const DeviceConfig& c, const std::vector<isa::InsnWord>& program, const HostMemory& host,
         const CoreMemories& mem, ComputeCore* core, const RunOptions& opt)
      : c_(c), program_(program), host_(host), mem_(mem), core_(core), opt_(opt) {}

  uint64_t Tick() {
    if (opt_.cancel != nullptr && opt_.cancel->load(std::memory_order_relaxed))
      return End(Cancelled("run cancelled at cycle %" PRIu64, cycle_));
    bool progress = Fetch();
    if (finished_) return 0;  // illegal instruction: the device stops at once
    for (int u : {kLoad, kStore}) progress |= DmaUnit(u);
    progress |= ComputeUnit();
    for (int q = 0; q < kNumTokenQueues; ++q) {
      tokens_[q] += staged_[q];
      staged_[q] = 0;
      if (tokens_[q] > static_cast<uint32_t>(c_.token_depth))
        return End(FailedPrecondition("cycle %" PRIu64 ": token FIFO %d overflow (depth %d)", cycle_, q,
                                      c_.token_depth));
    }
    const bool any_busy = dma_busy_[kLoad] || dma_busy_[kStore] || ComputeInFlight();
    if (!any_busy && pc_ == program_.size() && queues_[0].empty() && queues_[1].empty() &&
        queues_[2].empty()) {
      counters_.cycles = cycle_ + 1;
      return End(Status::Ok());
    }
    if (!any_busy && !progress) return End(Deadlock());
    if (cycle_ + 1 >= opt_.max_cycles)
      return End(OutOfRange("run exceeded max_cycles = %" PRIu64, opt_.max_cycles));
    ++cycle_;
    const uint64_t skip = opt_.fast_forward ? Skippable() : 0;
    if (skip) SkipCycles(skip);
    return skip + 1;
  }

  bool finished() const { return finished_; }
  void ReportProgress() const {
    if (opt_.progress && !finished_) opt_.progress(cycle_);
  }
  const Status& status() const { return status_; }
  PerfCounters& counters() { return counters_; }
  const std::vector<TraceEvent>& trace() const { return trace_; }

 private:
  UnitCounters& unit_counters(int u) {
    return u == kLoad ? counters_.load : u == kStore ? counters_.store : counters_.compute;
  }

  uint64_t End(Status s) {
    status_ = std::move(s);
    finished_ = true;
    return 0;
  }

  Status Deadlock() const {
    std::string heads;
    for (int u = 0; u < 3; ++u)
      if (!queues_[u].empty())
        heads += StrFormat(" %s unit waits at instruction %" PRIu64 " (%s);",
                           isa::UnitName(static_cast<isa::Unit>(u)), queues_[u].front().pc,
                           isa::OpcodeName(queues_[u].front().insn.opcode()));
    return FailedPrecondition("deadlock at cycle %" PRIu64 ": no unit can make progress:%s", cycle_,
                              heads.c_str());
  }

  // Decodes/validates the next word (once) and queues it if there is room.
  bool Fetch() {
    if (pc_ == program_.size()) return false;
    if (!fetched_) {
      StatusOr<isa::Instruction> insn = DecodeAndValidate(program_[pc_], pc_, c_, host_);
      if (!insn.ok()) {
        End(insn.status());
        pc_ = program_.size();
        return false;
      }
      if (insn->unit() == isa::Unit::kCompute && !core_->Supports(insn->opcode())) {
        End(Unimplemented("instruction %" PRIu64 ": compute core '%s' does not implement %s", pc_,
                          core_->Name(), isa::OpcodeName(insn->opcode())));
        pc_ = program_.size();
        return false;
      }
      fetched_ = true;
      fetch_insn_ = *insn;
    }
    auto& q = queues_[static_cast<int>(fetch_insn_.unit())];
    if (static_cast<int>(q.size()) >= c_.queue_depth) {
      ++counters_.fetch_stall_queue_full;
      return false;
    }
    q.push_back(Entry{fetch_insn_, pc_, cycle_ + 1});
    ++pc_;
    fetched_ = false;
    return true;
  }

  // The head of queue u, if the unit may start it now (visible, tokens ready).
  const Entry* Startable(int u) const {
    if (queues_[u].empty()) return nullptr;
    const Entry& e = queues_[u].front();
    if (e.visible > cycle_ || !TokensReady(e.insn, tokens_)) return nullptr;
    return &e;
  }

  void CountWaiting(int u, uint64_t n) {
    UnitCounters& uc = unit_counters(u);
    if (queues_[u].empty() || queues_[u].front().visible > cycle_) {
      uc.idle += n;
    } else if (WaitsOnDma(queues_[u].front().insn, tokens_)) {
      uc.stall_dma += n;
    } else {
      uc.stall_dep += n;
    }
  }

  bool DmaUnit(int u) {
    bool progress = false;
    if (!dma_busy_[u]) {
      const Entry* e = Startable(u);
      if (e == nullptr) {
        CountWaiting(u, 1);
        return false;
      }
      dma_cur_[u] = *e;
      queues_[u].pop_front();
      PopTokens(dma_cur_[u].insn, &tokens_);
      dma_start_[u] = cycle_;
      dma_end_[u] = cycle_ + DmaCycles(DmaBytes(dma_cur_[u].insn), c_) - 1;
      dma_busy_[u] = true;
      progress = true;
    }
    ++unit_counters(u).busy;
    if (cycle_ == dma_end_[u]) {
      ExecuteDma(dma_cur_[u].insn, host_, mem_);
      PushTokens(dma_cur_[u].insn, &staged_);
      (u == kLoad ? counters_.bytes_loaded : counters_.bytes_stored) += DmaBytes(dma_cur_[u].insn);
      ++unit_counters(u).instructions;
      trace_.push_back(TraceEvent{u, dma_cur_[u].pc, dma_start_[u], cycle_ - dma_start_[u] + 1,
                                  dma_cur_[u].insn.opcode()});
      dma_busy_[u] = false;
      progress = true;
    }
    return progress;
  }

  // The compute core may hold several instructions (compute_core.h): they
  // complete on two lanes, each in program order (MATMULs; everything else
  // but PRELOAD_WEIGHTS, which completes in its accept cycle).
  bool ComputeUnit() {
    const isa::Instruction* offer = nullptr;
    bool progress = false;
    bool preload = false;
    InFlight accepted;
    if (const Entry* e = Startable(kCompute); e != nullptr && core_->Ready(e->insn)) {
      accepted = InFlight{*e, cycle_};
      queues_[kCompute].pop_front();
      PopTokens(accepted.e.insn, &tokens_);
      progress = true;
      const DoneLane lane = DoneLaneOf(accepted.e.insn.opcode());
      if (lane == DoneLane::kNone) {
        preload = true;
        offer = &accepted.e.insn;
      } else {
        std::deque<InFlight>& q = compute_lanes_[DoneLaneIndex(lane)];
        q.push_back(accepted);
        offer = &q.back().e.insn;
      }
    }
    if (!preload && !ComputeInFlight()) {
      CountWaiting(kCompute, 1);
      // An idle core with nothing offered has no observable behaviour; it is
      // still clocked so that an RTL core sees every cycle of the run.
      core_->Step(nullptr);
      return false;
    }
    ++counters_.compute.busy;
    const uint32_t done = core_->Step(offer);
    for (int l = 0; l < kDoneLanes; ++l)
      if (done & (1u << l)) CompleteHead(l);
    if (preload) Complete(accepted);
    return progress || done != 0;
  }

  bool ComputeInFlight() const {
    for (const auto& q : compute_lanes_)
      if (!q.empty()) return true;
    return false;
  }

  void CompleteHead(int lane) {
    if (compute_lanes_[lane].empty()) {
      End(Internal("cycle %" PRIu64 ": compute core '%s' signalled a done on the %s lane with nothing in flight there",
                   cycle_, core_->Name(), lane == 0 ? "array" : lane == 1 ? "other" : "post"));
      return;
    }
    Complete(compute_lanes_[lane].front());
    compute_lanes_[lane].pop_front();
  }

  void Complete(const InFlight& f) {
    PushTokens(f.e.insn, &staged_);
    counters_.macs += MacCount(f.e.insn, c_.core());
    ++counters_.compute.instructions;
    trace_.push_back(TraceEvent{kCompute, f.e.pc, f.start, cycle_ - f.start + 1, f.e.insn.opcode()});
  }

  // Cycles from now (cycle_, not yet simulated) during which no unit can start
  // or finish anything and fetch cannot move: the next event is a completion.
  uint64_t Skippable() {
    if (pc_ < program_.size()) {
      const int u = fetched_ ? static_cast<int>(fetch_insn_.unit()) : -1;
      if (u < 0 || static_cast<int>(queues_[u].size()) < c_.queue_depth) return 0;
    }
    for (int u = 0; u < 3; ++u) {
      if (queues_[u].empty()) continue;
      const Entry& e = queues_[u].front();
      const bool can_take = u == kCompute ? core_->Ready(e.insn) : !dma_busy_[u];
      if (can_take && (e.visible > cycle_ || TokensReady(e.insn, tokens_))) return 0;
    }
    uint64_t skip = UINT64_MAX;
    bool any = false;
    for (int u : {kLoad, kStore})
      if (dma_busy_[u]) {
        skip = std::min(skip, dma_end_[u] - cycle_);
        any = true;
      }
    if (ComputeInFlight()) {
      skip = std::min(skip, core_->SkippableCycles());
      any = true;
    }
    return any ? skip : 0;
  }

  void SkipCycles(uint64_t n) {
    for (int u : {kLoad, kStore}) {
      if (dma_busy_[u]) unit_counters(u).busy += n;
      else CountWaiting(u, n);
    }
    if (ComputeInFlight()) {
      counters_.compute.busy += n;
      core_->Skip(n);
    } else {
      CountWaiting(kCompute, n);
    }
    if (pc_ < program_.size()) counters_.fetch_stall_queue_full += n;
    cycle_ += n;
  }

  const DeviceConfig& c_;
  const std::vector<isa::InsnWord>& program_;
  const HostMemory& host_;
  CoreMemories mem_;
  ComputeCore* core_;
  RunOptions opt_;

  uint64_t cycle_ = 0;
  uint64_t pc_ = 0;
  bool fetched_ = false;
  isa::Instruction fetch_insn_;
  std::deque<Entry> queues_[3];
  TokenCounts tokens_{}, staged_{};
  bool dma_busy_[3] = {false, false, false};
  Entry dma_cur_[3];
  uint64_t dma_start_[3] = {0, 0, 0}, dma_end_[3] = {0, 0, 0};
  std::deque<InFlight> compute_lanes_[kDoneLanes];  // in flight, by DoneLaneIndex: MATMULs; others; POSTPROCs
  PerfCounters counters_;
  std::vector<TraceEvent> trace_;
  bool finished_ = false;
  Status status_;
};

// The one SystemC module of the process. Instead of an sc_clock (which never
// lets sc_start() return) the device clocks itself with a timed SC_METHOD.
// Temporal decoupling (as TLM-2 loosely-timed models do): one activation runs
// the engine ahead of SystemC time by up to kQuantumCycles cycles, Tick() by
// Tick() (so every cycle is still evaluated, the core clocked, the counters
// kept exactly as before), then syncs with next_trigger(cycles * period). The
// device is the only process of the kernel and nothing outside it samples
// the time within a quantum, so results, cycle counts and the final SystemC
// time are those of one activation per Tick(), without the kernel's
// per-activation cost (timed event, scheduler queue) in every cycle. When a
// run ends the method waits on `kick`, the kernel runs out of events and
// sc_start() returns, ready for the next run.
SC_MODULE(DeviceKernel) {
  static constexpr uint64_t kQuantumCycles = 1u << 16;
  sc_core::sc_event kick;
  Engine* engine = nullptr;
  sc_core::sc_time period;

  SC_CTOR(DeviceKernel) {
    SC_METHOD(Clock);
    sensitive << kick;
    dont_initialize();
  }

  void Clock() {
    if (engine == nullptr || engine->finished()) return;  // back to static sensitivity (kick)
    uint64_t ahead = 0;
    while (ahead < kQuantumCycles) {
      const uint64_t k = engine->Tick();
      if (k == 0) break;  // the run ended in this cycle
      ahead += k;
    }
    engine->ReportProgress();
    if (ahead) next_trigger(period * static_cast<double>(ahead));
  }
};

DeviceKernel* Kernel() {
  static DeviceKernel* kernel = new DeviceKernel("systole_device");
  return kernel;
}

Status WriteChromeTrace(const std::string& path, const std::vector<TraceEvent>& events,
                        const DeviceConfig& c, const PerfCounters& counters) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return Unavailable("chrome trace: cannot open %s for writing", path.c_str());
  const double us_per_cycle = 1e6 / c.clock_hz;
  std::fprintf(f, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n");
  std::fprintf(f, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"args\":{\"name\":\"systole %dx%d\"}}",
               c.rows, c.cols);
  for (int u = 0; u < 3; ++u)
    std::fprintf(f, ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%d,\"args\":{\"name\":\"%s\"}}",
                 u, isa::UnitName(static_cast<isa::Unit>(u)));
  for (const TraceEvent& e : events)
    std::fprintf(f,
                 ",\n{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"X\",\"pid\":1,\"tid\":%d,\"ts\":%.4f,"
                 "\"dur\":%.4f,\"args\":{\"pc\":%" PRIu64 ",\"start_cycle\":%" PRIu64 ",\"cycles\":%" PRIu64 "}}",
                 isa::OpcodeName(e.op), isa::UnitName(static_cast<isa::Unit>(e.unit)), e.unit,
                 e.start * us_per_cycle, e.cycles * us_per_cycle, e.pc, e.start, e.cycles);
  std::fprintf(f, ",\n{\"name\":\"macs\",\"ph\":\"C\",\"pid\":1,\"ts\":%.4f,\"args\":{\"macs\":%" PRIu64 "}}",
               counters.cycles * us_per_cycle, counters.macs);
  std::fprintf(f, "\n]}\n");
  const bool ok = std::fclose(f) == 0;
  return ok ? Status::Ok() : Unavailable("chrome trace: error writing %s", path.c_str());
}

}  // namespace

StatusOr<std::unique_ptr<Device>> Device::Create(const DeviceConfig& config, const CoreFactory& factory) {
  RETURN_IF_ERROR(config.Validate());
  Kernel();  // elaborate the SystemC module before any sc_start
  std::unique_ptr<Device> d(new Device(config));
  if (factory) {
    ASSIGN_OR_RETURN(d->core_, factory(config.core(), d->memory_.view()));
  } else {
    d->core_ = MakeBehavioralCore(config.core(), d->memory_.view());
  }
  return d;
}

Device::~Device() = default;

StatusOr<PerfCounters> Device::Run(const std::vector<isa::InsnWord>& program, const HostMemory& host,
                                   const RunOptions& options) {
  core_->Reset();
  Engine engine(config_, program, host, memory_.view(), core_.get(), options);
  DeviceKernel* k = Kernel();
  k->engine = &engine;
  k->period = sc_core::sc_time(1.0 / config_.clock_hz, sc_core::SC_SEC);
  k->kick.notify(sc_core::SC_ZERO_TIME);
  sc_core::sc_start();
  k->engine = nullptr;
  if (!engine.finished()) return Internal("device: SystemC kernel returned before the run ended");
  if (!options.chrome_trace_path.empty()) {
    RETURN_IF_ERROR(WriteChromeTrace(options.chrome_trace_path, engine.trace(), config_, engine.counters()));
  }
  if (options.spans != nullptr) {
    options.spans->clear();
    for (const TraceEvent& e : engine.trace()) options.spans->push_back(InstructionSpan{e.unit, e.pc, e.start, e.cycles});
  }
  if (!engine.status().ok()) {
    core_->Reset();
    return engine.status();
  }
  return engine.counters();
}

}  // namespace systole::sim
