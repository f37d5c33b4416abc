// Inferences per second and transport overhead per inference for every
// registered transport (driver/transport_test_util.h: in-process "sim",
// "remote_unix" and "remote_tcp" to a `systole serve` subprocess; usb and
// pcie add theirs by linking their registration files in), on two small
// shared models compiled for the edge configuration: hello_world_int8 (the
// device time is negligible: the figure is the transport's fixed cost) and
// mobilenet_v1_0.25_128_quant (the built-in mobilenet-v2-like stands in for
// either when ../shared is absent).
//
// Counters per benchmark:
//   inferences/s   wall-clock throughput (one inference at a time)
//   wall_us        wall time per inference
//   device_us      simulated device time per inference (cycles / clock)
//   min_wall_us    the fastest inference
//   overhead_us    wall_us minus the in-process sim's wall_us for the same
//                  model: what the transport adds per inference
//   min_overhead_us the same from the fastest inferences (robust to load
//                  from other processes, which the mean is not)
//   link_bytes     protocol bytes sent + received per inference
//
//   build/bench/transport_bench [--benchmark_filter=remote]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/xorshift32.h"
#include "delegate/compile_model.h"
#include "driver/driver.h"
#include "driver/frame_transport.h"
#include "driver/transport_test_util.h"
#include "interpreter/tensor_io.h"
#include "modelgen/builtin_models.h"
#include "schema/tflite_generated.h"

namespace systole {
namespace {

using driver::testing::TransportEnv;
using driver::testing::TransportParam;

struct BenchModel {
  std::string name;
  std::vector<uint8_t> exe;
};

// The largest SYSTOLE op's executable of the compiled model.
std::vector<uint8_t> LargestExecutable(const std::vector<uint8_t>& model) {
  const tflite::Model* m = tflite::GetModel(model.data());
  std::vector<uint8_t> best;
  for (const tflite::SubGraph* sg : *m->subgraphs()) {
    if (!sg->operators()) continue;
    for (const tflite::Operator* op : *sg->operators()) {
      const tflite::OperatorCode* oc = m->operator_codes()->Get(op->opcode_index());
      if (oc->custom_code() && oc->custom_code()->str() == "SYSTOLE" && op->custom_options() &&
          op->custom_options()->size() > best.size())
        best.assign(op->custom_options()->begin(), op->custom_options()->end());
    }
  }
  return best;
}

StatusOr<BenchModel> LoadModel(const std::string& shared_name) {
  BenchModel m;
  std::vector<uint8_t> bytes;
  const std::string shared = std::string(SYSTOLE_SHARED_DIR) + "/models/" + shared_name + ".tflite";
  if (std::filesystem::exists(shared) && ReadFile(shared, &bytes).ok()) {
    m.name = shared_name;
  } else {
    std::string error;
    bytes = modelgen::MakeBuiltinModel("mobilenet-v2-like", &error);
    if (bytes.empty()) return Internal("%s", error.c_str());
    m.name = "mobilenet-v2-like";
    std::fprintf(stderr, "transport_bench: %s absent; using the built-in mobilenet-v2-like\n", shared.c_str());
  }
  delegate::DelegateOptions o;  // edge
  ASSIGN_OR_RETURN(delegate::CompiledModel c, delegate::CompileModel(bytes, m.name, o));
  m.exe = LargestExecutable(c.tflite);
  if (m.exe.empty()) return Internal("%s: no SYSTOLE op after compiling", m.name.c_str());
  return m;
}

struct Live {
  std::unique_ptr<TransportEnv> env;
  std::unique_ptr<driver::Device> dev;
  std::unique_ptr<driver::LoadedExecutable> exe;
  std::vector<std::vector<uint8_t>> in, out;
};

std::map<std::string, Live>& Lives() {  // by transport and model
  static std::map<std::string, Live> m;
  return m;
}
std::map<std::string, std::pair<double, double>> g_sim_wall_us;  // model -> (mean, min) of the in-process sim

Status Prepare(const TransportParam& p, const BenchModel& model, Live* live) {
  ASSIGN_OR_RETURN(live->env, p.make("edge"));
  ASSIGN_OR_RETURN(live->dev, driver::Device::Open(live->env->device(), *sim::DeviceConfig::FromName("edge")));
  ASSIGN_OR_RETURN(live->exe, live->dev->Load(model.exe.data(), model.exe.size()));
  Xorshift32 rng(1);
  for (const driver::TensorBindingInfo& b : live->exe->inputs()) {
    live->in.emplace_back(b.size);
    for (uint8_t& x : live->in.back()) x = rng.NextByte();
  }
  for (const driver::TensorBindingInfo& b : live->exe->outputs()) live->out.emplace_back(b.size);
  return Status::Ok();
}

StatusOr<driver::RunStats> RunOnce(Live& l) {
  std::vector<const uint8_t*> ip;
  std::vector<uint8_t*> op;
  for (auto& t : l.in) ip.push_back(t.data());
  for (auto& t : l.out) op.push_back(t.data());
  return l.dev->Run(*l.exe, ip, op);
}

void BM_Transport(benchmark::State& state, TransportParam param, const BenchModel* model) {
  Live& live = Lives()[param.name + "/" + model->name];
  if (!live.exe) {
    Status s = Prepare(param, *model, &live);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      return;
    }
    StatusOr<driver::RunStats> warm = RunOnce(live);  // parameters uploaded and cached
    if (!warm.ok()) {
      state.SkipWithError(warm.status().ToString().c_str());
      return;
    }
  }
  double device_s = 0, min_us = 1e30;
  const driver::FrameTransportStats f0 = driver::GetFrameTransportStats();
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    const auto i0 = std::chrono::steady_clock::now();
    StatusOr<driver::RunStats> r = RunOnce(live);
    min_us = std::min(min_us, std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - i0).count());
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      return;
    }
    device_s += r->seconds_simulated;
  }
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const driver::FrameTransportStats f1 = driver::GetFrameTransportStats();
  const double n = static_cast<double>(state.iterations());
  const double wall_us = wall_s / n * 1e6;
  if (param.name == "sim") g_sim_wall_us[model->name] = {wall_us, min_us};
  const auto sim = g_sim_wall_us.count(model->name) ? g_sim_wall_us[model->name] : std::make_pair(0.0, 0.0);
  state.counters["inferences/s"] = n / wall_s;
  state.counters["wall_us"] = wall_us;
  state.counters["min_wall_us"] = min_us;
  state.counters["device_us"] = device_s / n * 1e6;
  // Against the in-process simulator: mean (noisy on a busy machine) and the
  // difference of the fastest inferences (robust to other load).
  state.counters["overhead_us"] = sim.first > 0 ? wall_us - sim.first : 0;
  state.counters["min_overhead_us"] = sim.second > 0 ? min_us - sim.second : 0;
  state.counters["link_bytes"] =
      static_cast<double>((f1.bytes_sent - f0.bytes_sent) + (f1.bytes_received - f0.bytes_received)) / n;
  state.SetLabel(model->name);
}

}  // namespace
}  // namespace systole

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  std::vector<systole::BenchModel> models;
  for (const char* name : {"hello_world_int8", "mobilenet_v1_0.25_128_quant"}) {
    systole::StatusOr<systole::BenchModel> model = systole::LoadModel(name);
    if (!model.ok()) {
      std::fprintf(stderr, "transport_bench: %s\n", model.status().ToString().c_str());
      return 1;
    }
    models.push_back(*model);
  }
  std::vector<systole::driver::testing::TransportParam> params = systole::driver::testing::TransportRegistry();
  // The RTL core simulates the same device thousands of times slower: its
  // transport overhead is the SystemC one's, so it is not benchmarked here.
  params.erase(std::remove_if(params.begin(), params.end(),
                              [](const auto& p) { return p.name.find("rtl") != std::string::npos; }),
               params.end());
  // The in-process simulator first: the others' overhead is measured against it.
  std::stable_sort(params.begin(), params.end(),
                   [](const auto& a, const auto& b) { return a.name == "sim" && b.name != "sim"; });
  for (const systole::BenchModel& m : models) {
    for (const auto& p : params) {
      benchmark::RegisterBenchmark(("BM_Transport/" + m.name + "/" + p.name).c_str(), systole::BM_Transport, p, &m)
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond)
          ->MinTime(1.0);
    }
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  for (auto& [name, live] : systole::Lives()) {
    live.exe.reset();
    live.dev.reset();
    if (live.env) {
      systole::Status s = live.env->Close();
      if (!s.ok()) std::fprintf(stderr, "transport_bench: %s: %s\n", name.c_str(), s.ToString().c_str());
    }
  }
  return 0;
}
