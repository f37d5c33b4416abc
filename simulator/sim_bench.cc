// Simulated cycles per wall-clock second of the SystemC device model, for
// 16x16 and 64x64 arrays, with the behavioural core and (when built) the RTL
// in the compute slot: a double-buffered GEMM over the PCIe link (DMA-bound),
// and a compute-bound stream with no DMA. "fast_forward" lets the device skip
// cycles in which nothing can change (event-driven); without it the device is
// clocked every cycle, which is the honest per-cycle speed.
//
// Rates: sim_cycles_per_s is per wall-clock second (what a user waits);
// sim_cycles_per_cpu_s per second of process CPU time (all threads), which is
// the stabler figure on a shared machine. Instruction counts under
// `valgrind --tool=callgrind` are the stablest for before/after comparisons.
#include <benchmark/benchmark.h>
#include <time.h>

#include "arch/program.h"
#include "simulator/device.h"
#include "simulator/test_util.h"

#ifdef SYSTOLE_HAVE_RTL_CORE
#include "arch/rtl_core.h"
#endif

namespace systole::sim {
namespace {

double ProcessCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

// Process CPU time over the timed loop, for sim_cycles_per_cpu_s.
class CpuClock {
 public:
  CpuClock() : start_(ProcessCpuSeconds()) {}
  void Report(benchmark::State& state, uint64_t cycles) const {
    const double cpu = ProcessCpuSeconds() - start_;
    if (cpu > 0) state.counters["sim_cycles_per_cpu_s"] = double(cycles) / cpu;
  }

 private:
  double start_;
};

// Runs a 512-row double-buffered GEMM (K = N = 2n) over and over.
void RunGemm(benchmark::State& state, int n, bool ff, const CoreFactory& factory) {
  DeviceConfig cfg = DeviceConfig::Small(n);
  cfg.abuf_bytes = cfg.pbuf_bytes = 1u << 20;
  cfg.acc_rows = 4096;
  cfg.link = LinkConfig::PcieGen2x1();
  auto dev = Device::Create(cfg, factory);
  if (!dev.ok()) {
    state.SkipWithError(dev.status().ToString().c_str());
    return;
  }
  Xorshift32 rng(1);
  testing::OpCase oc = testing::MakeGemm(cfg, rng, 512, 2 * n, 2 * n, true);
  testing::HostBuffers hb(oc);
  RunOptions opt;
  opt.fast_forward = ff;
  uint64_t cycles = 0, core_busy = 0;
  CpuClock cpu;
  for (auto _ : state) {
    StatusOr<PerfCounters> r = (*dev)->Run(oc.program, hb.host, opt);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      return;
    }
    cycles += r->cycles;
    core_busy += r->compute.busy;
  }
  cpu.Report(state, cycles);
  state.counters["sim_cycles_per_s"] = benchmark::Counter(double(cycles), benchmark::Counter::kIsRate);
  // Cycles in which the compute core was busy (an RTL core is evaluated in
  // exactly these; the DMA waits around them are fast-forwarded).
  state.counters["core_busy_cycles_per_s"] =
      benchmark::Counter(double(core_busy), benchmark::Counter::kIsRate);
}

void BM_SystemC(benchmark::State& state) {
  RunGemm(state, static_cast<int>(state.range(0)), state.range(1) != 0, {});
}
BENCHMARK(BM_SystemC)
    ->UseRealTime()
    ->ArgNames({"array", "fast_forward"})
    ->Args({16, 0})
    ->Args({16, 1})
    ->Args({64, 0})
    ->Args({64, 1})
    ->Unit(benchmark::kMillisecond);

// Compute-bound stream, no DMA: LOAD_WEIGHTS, then MATMUL over 2048 vectors
// and POSTPROC of them, repeated; the core is busy in every cycle, so
// sim_cycles_per_s is the per-cycle speed of the core in the slot. The
// operands are whatever the memories hold (timing does not depend on data).
// fp32: POSTPROC in fp32 mode, its bias and binary32 scales loaded into PBUF
// once before the timed runs (on-chip memories persist across runs), so that
// the binary32 lanes see nonzero operands.
//
// random_data: ABUF and PBUF (weights and POSTPROC parameters alike) hold
// random bytes instead of zeros, so that the MAC arithmetic is real work for
// the behavioural core (it skips zero activations); fast_forward as above
// (off: every cycle ticked; on: the behavioural core's busy cycles skipped).
//
// weight_tiles: instead of two long MATMULs, LOAD_WEIGHTS then 64 MATMULs of
// m = n, each taking the weights a PRELOAD_WEIGHTS just before it loaded
// (take_shadow) and accumulating: back-to-back pipelined issue (ISA 6), a
// take every n + 1 cycles, so the RTL array always has vectors of two or
// three weight sets in flight (two or three weight waves moving; ISA 8 allows
// up to eight).
void RunComputeBound(benchmark::State& state, int n, const CoreFactory& factory, bool fp32 = false,
                     bool random_data = false, bool fast_forward = false, bool weight_tiles = false) {
  DeviceConfig cfg = DeviceConfig::Small(n);
  cfg.abuf_bytes = cfg.pbuf_bytes = 1u << 20;
  cfg.acc_rows = 4096;
  auto dev = Device::Create(cfg, factory);
  if (!dev.ok()) {
    state.SkipWithError(dev.status().ToString().c_str());
    return;
  }
  const uint32_t m = 2048;
  if (random_data) {
    Xorshift32 rng(7);
    DeviceMemory& mem = (*dev)->memory();
    for (uint8_t& b : mem.abuf) b = static_cast<uint8_t>(rng.Next());
    for (uint8_t& b : mem.pbuf) b = static_cast<uint8_t>(rng.Next());
  }
  std::vector<uint8_t> params;
  if (fp32) {
    for (int c = 0; c < n; ++c) {  // bias, scale (~1e-3), shift
      const uint32_t words[3] = {static_cast<uint32_t>((c * 7919) % 40001 - 20000), 0x3A800000u + 4099u * c, 0};
      for (int w = 0; w < 3; ++w)
        for (int b = 0; b < 4; ++b) params.push_back(static_cast<uint8_t>(words[w] >> (8 * b)));
    }
    // Reorder to the bias[n], mult[n], shift[n] layout.
    std::vector<uint8_t> blob(params.size());
    for (int c = 0; c < n; ++c)
      for (int w = 0; w < 3; ++w)
        for (int b = 0; b < 4; ++b) blob[size_t(w) * 4 * n + 4 * c + b] = params[size_t(c) * 12 + 4 * w + b];
    params = blob;
    HostMemory setup_host;
    (void)setup_host.Map(1, params.data(), params.size(), true, false);
    ProgramBuilder setup;
    setup.Add(isa::LoadArgs{static_cast<uint32_t>(isa::Buffer::kPbuf), 1, 1, uint32_t(params.size()), 0,
                            uint32_t(params.size()), 0, uint32_t(params.size())});
    StatusOr<PerfCounters> r = (*dev)->Run(setup.words(), setup_host, RunOptions{});
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      return;
    }
  }
  ProgramBuilder pb;
  if (weight_tiles) {
    pb.Add(isa::LoadWeightsArgs{uint32_t(n), uint32_t(n), 0, uint32_t(n)});
    for (int t = 0; t < 64; ++t) {
      pb.Add(isa::PreloadWeightsArgs{uint32_t(n), uint32_t(n), uint32_t(((t + 1) % 8) * n * n), uint32_t(n)});
      isa::MatmulArgs mm{uint32_t(n), uint32_t(n), t > 0, 0, uint32_t(t * n), uint32_t(n), uint32_t(n), 0};
      mm.take_shadow = t > 0;
      pb.Add(mm);
    }
  } else {
    for (int rep = 0; rep < 2; ++rep) {
      pb.Add(isa::LoadWeightsArgs{uint32_t(n), uint32_t(n), 0, uint32_t(n)});
      pb.Add(isa::MatmulArgs{m, uint32_t(n), rep > 0, 0, 0, m, uint32_t(n), 0});
    }
  }
  pb.Add(isa::PostprocArgs{m, uint32_t(n), 0, 0, uint32_t(n), 0, 0, -128, 127, !fp32, fp32});
  HostMemory host;
  RunOptions opt;
  opt.fast_forward = fast_forward;
  uint64_t cycles = 0;
  CpuClock cpu;
  for (auto _ : state) {
    StatusOr<PerfCounters> r = (*dev)->Run(pb.words(), host, opt);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      return;
    }
    cycles += r->cycles;
  }
  cpu.Report(state, cycles);
  state.counters["sim_cycles_per_s"] = benchmark::Counter(double(cycles), benchmark::Counter::kIsRate);
}

void BM_SystemC_ComputeBound(benchmark::State& state) {
  RunComputeBound(state, static_cast<int>(state.range(0)), {});
}
BENCHMARK(BM_SystemC_ComputeBound)->UseRealTime()->ArgNames({"array"})->Arg(16)->Arg(64)->Unit(
    benchmark::kMillisecond);

// The same stream on random operands: the behavioural core's MATMUL does all
// 2 x 2048 x n x n MACs and POSTPROC requantizes real values.
void BM_SystemC_ComputeBoundData(benchmark::State& state) {
  RunComputeBound(state, static_cast<int>(state.range(0)), {}, false, true, state.range(1) != 0);
}
BENCHMARK(BM_SystemC_ComputeBoundData)
    ->UseRealTime()
    ->ArgNames({"array", "fast_forward"})
    ->Args({16, 0})
    ->Args({64, 0})
    ->Args({64, 1})
    ->Unit(benchmark::kMillisecond);

#ifdef SYSTOLE_HAVE_RTL_CORE
void BM_SystemC_Rtl_ComputeBound(benchmark::State& state) {
  RunComputeBound(state, static_cast<int>(state.range(0)),
                  [](const CoreConfig& c, const CoreMemories& m) { return rtl::MakeRtlComputeCore(c, m, {}); });
}
BENCHMARK(BM_SystemC_Rtl_ComputeBound)->UseRealTime()->ArgNames({"array"})->Arg(16)->Arg(64)->Unit(
    benchmark::kMillisecond);

// Back-to-back MATMULs with a take and a preload each (weight_tiles above).
void BM_SystemC_Rtl_ComputeBoundTakes(benchmark::State& state) {
  RunComputeBound(
      state, static_cast<int>(state.range(0)),
      [](const CoreConfig& c, const CoreMemories& m) { return rtl::MakeRtlComputeCore(c, m, {}); }, false,
      false, false, true);
}
BENCHMARK(BM_SystemC_Rtl_ComputeBoundTakes)->UseRealTime()->ArgNames({"array"})->Arg(16)->Arg(64)->Unit(
    benchmark::kMillisecond);

// The same stream on random operands (ABUF and PBUF hold random bytes): the
// RTL does the same work per cycle either way; this pins that down.
void BM_SystemC_Rtl_ComputeBoundData(benchmark::State& state) {
  RunComputeBound(
      state, static_cast<int>(state.range(0)),
      [](const CoreConfig& c, const CoreMemories& m) { return rtl::MakeRtlComputeCore(c, m, {}); }, false,
      true);
}
BENCHMARK(BM_SystemC_Rtl_ComputeBoundData)->UseRealTime()->ArgNames({"array"})->Arg(64)->Unit(
    benchmark::kMillisecond);

// The same stream with POSTPROC in fp32 mode (the binary32 requant lanes busy
// for 2048 of its ~6300 cycles at 64x64).
void BM_SystemC_Rtl_ComputeBoundFp32(benchmark::State& state) {
  RunComputeBound(
      state, static_cast<int>(state.range(0)),
      [](const CoreConfig& c, const CoreMemories& m) { return rtl::MakeRtlComputeCore(c, m, {}); }, true);
}
BENCHMARK(BM_SystemC_Rtl_ComputeBoundFp32)->UseRealTime()->ArgNames({"array"})->Arg(16)->Arg(64)->Unit(
    benchmark::kMillisecond);

// The SystemC device with the Verilated RTL in the compute slot. The RTL is
// evaluated every cycle in which it is busy; with fast_forward the device
// skips the cycles in which only DMA is in flight, without it every cycle is
// a SystemC wake-up (an idle RTL core is not evaluated either way).
void BM_SystemC_Rtl(benchmark::State& state) {
  RunGemm(state, static_cast<int>(state.range(0)), state.range(1) != 0,
          [](const CoreConfig& c, const CoreMemories& m) { return rtl::MakeRtlComputeCore(c, m, {}); });
}
BENCHMARK(BM_SystemC_Rtl)
    ->UseRealTime()
    ->ArgNames({"array", "fast_forward"})
    ->Args({16, 0})
    ->Args({16, 1})
    ->Args({64, 0})
    ->Args({64, 1})
    ->Unit(benchmark::kMillisecond);
#endif

}  // namespace
}  // namespace systole::sim

BENCHMARK_MAIN();
