// Simulated cycles per wall-clock second of the SystemC device model, for
// 16x16 and 64x64 arrays: a compute-bound GEMM stream (weights resident, DMA
// only at the edges). "fast_forward" lets the behavioural core skip its busy
// cycles (event-driven); without it the device is clocked every cycle, which
// is the honest per-cycle speed and what an RTL core forces.
#include <benchmark/benchmark.h>

#include "simulator/device.h"
#include "simulator/test_util.h"

namespace systole::sim {
namespace {

void BM_SystemC(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const bool ff = state.range(1) != 0;
  DeviceConfig cfg = DeviceConfig::Small(n);
  cfg.abuf_bytes = cfg.pbuf_bytes = 1u << 20;
  cfg.acc_rows = 4096;
  cfg.link = LinkConfig::PcieGen2x1();
  auto dev = Device::Create(cfg);
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
BENCHMARK(BM_SystemC)
    ->UseRealTime()
    ->ArgNames({"array", "fast_forward"})
    ->Args({16, 0})
    ->Args({16, 1})
    ->Args({64, 0})
    ->Args({64, 1})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace systole::sim

BENCHMARK_MAIN();
