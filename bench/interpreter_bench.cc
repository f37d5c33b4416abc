// CPU inference time of Systole's interpreter on the shared models.
// Prints milliseconds per inference (the "ms/inference" counter) for each
// model; MobileNetV2-224 is the figure issue #2 asks for (reference TFLite
// builtin kernels: about 44 ms on this kind of machine).
//
//   build/bench/interpreter_bench [--benchmark_filter=MobileNetV2]
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "interpreter/interpreter.h"
#include "interpreter/model.h"
#include "interpreter/op_resolver.h"
#include "interpreter/tensor_io.h"

namespace systole {
namespace {

void BM_Inference(benchmark::State& state, const std::string& file) {
  const std::string path = std::string(SYSTOLE_SHARED_DIR) + "/models/" + file;
  if (!std::filesystem::exists(path)) {
    state.SkipWithError(("model not found: " + path).c_str());
    return;
  }
  auto model = Model::FromFile(path);
  if (!model.ok()) {
    state.SkipWithError(model.status().ToString().c_str());
    return;
  }
  BuiltinOpResolver resolver(TfliteFlavor::kRuy);
  auto interp = Interpreter::Create(**model, resolver);
  if (!interp.ok() || !(*interp)->AllocateTensors().ok() ||
      !FillInputsFromSeed(interp->get(), 1).ok()) {
    state.SkipWithError("cannot prepare the interpreter");
    return;
  }
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    if (!(*interp)->Invoke().ok()) {
      state.SkipWithError("Invoke failed");
      return;
    }
  }
  const double wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  state.counters["ms_per_inference"] = wall_ms / static_cast<double>(state.iterations());
  state.counters["arena_KiB"] = static_cast<double>((*interp)->arena_bytes()) / 1024.0;
}

BENCHMARK_CAPTURE(BM_Inference, MobileNetV2_224_int8, "mobilenet_v2_quantized_1x3x224x224.tflite")
    ->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();
BENCHMARK_CAPTURE(BM_Inference, MobileNetV1_025_128_uint8, "mobilenet_v1_0.25_128_quant.tflite")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Inference, VWW_96_int8, "vww_96_int8.tflite")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Inference, ResNet8_int8, "pretrainedResnet_quant.tflite")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Inference, KWS_DSCNN_int8, "kws_ref_model.tflite")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Inference, AD01_FC_int8, "ad01_int8.tflite")->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace systole

BENCHMARK_MAIN();
