// Simulated cycles per second of the Verilated compute core (RTL slot).
// Workload: weights load + long matmul streams + requant, i.e. the array busy
// nearly every cycle. Reported as the "cycles/s" counter (simulated clock
// cycles per wall-clock second). Target: >= 50 k cycles/s at 64x64.
#include <benchmark/benchmark.h>

#include <vector>

#include "common/xorshift32.h"
#include "rtl/sim/rtl_compute_core.h"

namespace systole::rtl {
namespace {

void BM_RtlCoreMatmul(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  auto core = std::move(CreateRtlComputeCore(n, n)).value();
  FlatCoreMemory mem(n, n, 4096, 256, 4);
  Xorshift32 rng(1);
  for (auto& b : mem.unified()) b = rng.NextByte();
  for (auto& b : mem.weights()) b = rng.NextByte();
  Uop lw{UopKind::kLoadWeights};
  Uop mm{UopKind::kMatmul};
  mm.len = 2048;
  Uop rq{UopKind::kRequant};
  rq.len = 256;
  rq.o_addr = 2048;
  const std::vector<Uop> prog = {lw, mm, rq};
  uint64_t total = 0;
  for (auto _ : state) {
    uint64_t cycles = 0;
    if (!core->Run(prog, mem, &cycles).ok()) state.SkipWithError("run failed");
    total += cycles;
  }
  state.counters["cycles/s"] = benchmark::Counter(static_cast<double>(total), benchmark::Counter::kIsRate);
  state.counters["MAC/s"] =
      benchmark::Counter(static_cast<double>(total) * n * n, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RtlCoreMatmul)->Arg(8)->Arg(16)->Arg(64)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace systole::rtl

BENCHMARK_MAIN();
