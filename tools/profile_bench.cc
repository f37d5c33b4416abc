// Wall time of `systole profile` on MobileNetV2-224 (../shared/models) with
// each backend, at edge (64x64) and tiny (16x16): compile + estimate or
// simulate + attribution. The rtl backend is registered when the build has
// the RTL core (it is Verilated for 16x16 and 64x64).
//   build/tools/profile_bench [--benchmark_filter=analytic]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "delegate/compile_cache.h"
#include "delegate/compile_model.h"
#include "tools/profile.h"

namespace systole::profile {
namespace {

const std::string kModel = std::string(SYSTOLE_SHARED_DIR) + "/models/mobilenet_v2_quantized_1x3x224x224.tflite";

void BM_ProfileMobileNetV2(benchmark::State& state, Backend backend, const char* config) {
  if (!std::ifstream(kModel)) {
    state.SkipWithError(("absent: " + kModel).c_str());
    return;
  }
  ProfileOptions o;
  o.backend = backend;
  o.config_name = config;
  o.delegate.config = config;
  uint64_t cycles = 0;
  double latency_ms = 0, gemm_utilization = 0;
  for (auto _ : state) {
    // Every iteration compiles, as `systole profile` does: without this the
    // process-wide compile cache made the first benchmark pay the compile
    // and the others not (analytic_edge looked slower than systemc_edge).
    delegate::ClearCompileCache();
    StatusOr<Profile> p = ProfileModel(kModel, o);
    if (!p.ok()) {
      state.SkipWithError(p.status().ToString().c_str());
      return;
    }
    cycles = p->total.cycles;
    latency_ms = p->total.latency_ms;
    // Issue 14's figure: the array's share over the GEMM-class layers, MACs /
    // (their cycles x R x C), each layer's cycles including its waits.
    // Cascaded groups count whole (delegate::GemmClassShare).
    std::vector<delegate::OpCost> in_order;
    for (const Layer& l : p->layers)
      if (l.kind == Layer::Kind::kOp) in_order.push_back(delegate::OpCost{l.op, l.macs, l.cycles});
    gemm_utilization =
        delegate::GemmClassShare(in_order).utilization(static_cast<double>(p->config.rows) * p->config.cols);
  }
  state.counters["device_cycles"] = static_cast<double>(cycles);
  // Input DMA to the last output byte, parameters cached, at the configured
  // clock and link.
  state.counters["latency_ms"] = latency_ms;
  state.counters["gemm_util_pct"] = 100.0 * gemm_utilization;
  state.counters["sim_cycles_per_s"] =
      benchmark::Counter(static_cast<double>(cycles) * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

BENCHMARK_CAPTURE(BM_ProfileMobileNetV2, analytic_edge, Backend::kAnalytic, "edge")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_ProfileMobileNetV2, systemc_edge, Backend::kSystemC, "edge")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_ProfileMobileNetV2, analytic_tiny, Backend::kAnalytic, "tiny")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_ProfileMobileNetV2, systemc_tiny, Backend::kSystemC, "tiny")->Unit(benchmark::kMillisecond)->UseRealTime();
#ifdef SYSTOLE_HAVE_RTL
BENCHMARK_CAPTURE(BM_ProfileMobileNetV2, rtl_tiny, Backend::kRtl, "tiny")->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK_CAPTURE(BM_ProfileMobileNetV2, rtl_edge, Backend::kRtl, "edge")->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
#endif

}  // namespace
}  // namespace systole::profile

BENCHMARK_MAIN();
