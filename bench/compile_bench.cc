// Compile time of the Systole compiler: MobileNetV2-224 int8
// (../shared/models/mobilenet_v2_quantized_1x3x224x224.tflite), the figure
// issue 4 asks for, plus the smaller shared models.
//
//   BM_CompileModel      `systole compile` end to end: load, partition, compile
//                        every partition (compile cache cleared each time),
//                        rewrite the .tflite. The Time column is ms per
//                        compile; counters give the output size and the ops
//                        mapped to the accelerator.
//   BM_CompileCacheHit   the same with a warm process-wide compile cache (what a
//                        second interpreter of the same model pays).
//
//   build/bench/compile_bench [--benchmark_filter=MobileNetV2]
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>
#include <vector>

#include "delegate/compile_cache.h"
#include "delegate/compile_model.h"
#include "interpreter/tensor_io.h"

namespace systole {
namespace {

void BM_Compile(benchmark::State& state, const std::string& file, bool warm_cache) {
  const std::string path = std::string(SYSTOLE_SHARED_DIR) + "/models/" + file;
  std::vector<uint8_t> bytes;
  if (!std::filesystem::exists(path) || !ReadFile(path, &bytes).ok()) {
    state.SkipWithError(("model not found: " + path).c_str());
    return;
  }
  delegate::DelegateOptions options;  // edge configuration
  size_t out_bytes = 0;
  int accelerator_ops = 0;
  delegate::ClearCompileCache();
  if (warm_cache) (void)delegate::CompileModel(bytes, path, options);
  for (auto _ : state) {
    if (!warm_cache) delegate::ClearCompileCache();
    auto r = delegate::CompileModel(bytes, path, options);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      return;
    }
    out_bytes = r->tflite.size();
    accelerator_ops = r->plan.accelerator_ops;
    benchmark::DoNotOptimize(r->tflite.data());
  }
  state.counters["output_bytes"] = static_cast<double>(out_bytes);
  state.counters["accelerator_ops"] = accelerator_ops;
}

#define SYSTOLE_COMPILE_BENCH(name, file)                                               \
  BENCHMARK_CAPTURE(BM_Compile, name, file, false)->Unit(benchmark::kMillisecond)->UseRealTime(); \
  BENCHMARK_CAPTURE(BM_Compile, name##_cache_hit, file, true)->Unit(benchmark::kMillisecond)->UseRealTime()

SYSTOLE_COMPILE_BENCH(MobileNetV2_224, "mobilenet_v2_quantized_1x3x224x224.tflite");
SYSTOLE_COMPILE_BENCH(MobileNetV1_025_128, "mobilenet_v1_0.25_128_quant.tflite");
SYSTOLE_COMPILE_BENCH(ResNet8, "pretrainedResnet_quant.tflite");
SYSTOLE_COMPILE_BENCH(KwsDsCnn, "kws_ref_model.tflite");

}  // namespace
}  // namespace systole

BENCHMARK_MAIN();
