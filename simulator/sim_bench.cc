// Simulated cycles per wall-clock second of the SystemC device model, for
// 16x16 and 64x64 arrays: a compute-bound GEMM stream (weights resident, DMA
// only at the edges). "fast_forward" lets the behavioural core skip its busy
// cycles (event-driven); without it the device is clocked every cycle, which
// is the honest per-cycle speed and what an RTL core forces.
#include <benchmark/benchmark.h>

#include "simulator/device.h"
#include "simulator/test_util.h"

#ifdef SYSTOLE_HAVE_RTL_CORE
#include "rtl/sim/rtl_compute_core.h"
#endif

namespace systole::sim {
namespace {

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
  uint64_t cycles = 0;
  for (auto _ : state) {
    StatusOr<PerfCounters> r = (*dev)->Run(oc.program, hb.host, opt);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      return;
    }
    cycles += r->cycles;
  }
  state.counters["sim_cycles_per_s"] = benchmark::Counter(double(cycles), benchmark::Counter::kIsRate);
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

#ifdef SYSTOLE_HAVE_RTL_CORE
// The SystemC device with the Verilated RTL in the compute slot (clocked every
// cycle while the core is busy).
void BM_SystemC_Rtl(benchmark::State& state) {
  RunGemm(state, static_cast<int>(state.range(0)), true,
          [](const CoreConfig& c, const CoreMemories& m) { return rtl::MakeRtlComputeCore(c, m, {}); });
}
BENCHMARK(BM_SystemC_Rtl)->UseRealTime()->ArgNames({"array"})->Arg(16)->Arg(64)->Unit(benchmark::kMillisecond);
#endif

}  // namespace
}  // namespace systole::sim

BENCHMARK_MAIN();
