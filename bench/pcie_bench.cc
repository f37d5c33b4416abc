// PCIe transport figures: inferences per second and transport overhead per
// inference on a small shared model (kws_ref_model, edge configuration),
// for the in-process simulator and the PCIe driver over shared memory (the
// emulated function in-process, and through an in-process `systole serve
// --pcie` server). The overhead counter is the wall time per inference
// beyond the in-process simulator's (measured first, same inputs): what the
// ring, the staging copies into the DMA window, the eventfd round trips and
// the completion checks cost.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "common/xorshift32.h"
#include "compiler/compiler.h"
#include "delegate/compile_model.h"
#include "driver/driver.h"
#include "driver/pcie_device_model.h"
#include "driver/pcie_mapping.h"
#include "driver/pcie_serve.h"
#include "driver/server.h"
#include "driver/transport.h"
#include "schema/tflite_generated.h"

namespace systole {
namespace {

constexpr char kModel[] = "kws_ref_model.tflite";

struct Bench {
  sim::DeviceConfig hw;
  std::vector<uint8_t> exe;
  bool ok = false;
  std::string why;
  double sim_us = 0;  // in-process baseline per inference
};

Bench& Get() {
  static Bench b = [] {
    Bench x;
    std::ifstream f(std::string(SYSTOLE_SHARED_DIR) + "/models/" + kModel, std::ios::binary);
    std::vector<uint8_t> model((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (model.empty()) {
      x.why = std::string("shared model ") + kModel + " not found";
      return x;
    }
    x.hw = *sim::DeviceConfig::FromName("edge");
    delegate::DelegateOptions o;
    o.config = "edge";
    auto c = delegate::CompileModel(model, kModel, o);
    if (!c.ok()) {
      x.why = c.status().ToString();
      return x;
    }
    const tflite::Model* m = tflite::GetModel(c->tflite.data());
    for (const tflite::Operator* op : *m->subgraphs()->Get(0)->operators()) {
      const tflite::OperatorCode* oc = m->operator_codes()->Get(op->opcode_index());
      if (oc->custom_code() && oc->custom_code()->str() == compiler::kCustomOpName && op->custom_options()) {
        x.exe.assign(op->custom_options()->begin(), op->custom_options()->end());
        break;
      }
    }
    x.ok = !x.exe.empty();
    if (!x.ok) x.why = "no accelerator partition";
    return x;
  }();
  return b;
}

// Runs the benchmark loop on `dev`; returns microseconds per inference.
double Loop(benchmark::State& state, driver::Device& dev) {
  Bench& b = Get();
  auto exe = dev.Load(b.exe.data(), b.exe.size());
  if (!exe.ok()) {
    state.SkipWithError(exe.status().ToString().c_str());
    return 0;
  }
  std::vector<std::vector<uint8_t>> in, out;
  Xorshift32 rng(1);
  for (const auto& t : (*exe)->inputs()) {
    in.emplace_back(t.size);
    for (uint8_t& c : in.back()) c = static_cast<uint8_t>(rng.Next());
  }
  for (const auto& t : (*exe)->outputs()) out.emplace_back(t.size);
  std::vector<const uint8_t*> ip;
  std::vector<uint8_t*> op;
  for (auto& v : in) ip.push_back(v.data());
  for (auto& v : out) op.push_back(v.data());
  if (!dev.Run(**exe, ip, op).ok()) {  // warm-up: parameters uploaded
    state.SkipWithError("warm-up run failed");
    return 0;
  }
  double sim_s = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    auto r = dev.Run(**exe, ip, op);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      break;
    }
    sim_s = r->seconds_simulated;
  }
  const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() /
                    std::max<int64_t>(1, state.iterations());
  state.counters["inferences_per_s"] = benchmark::Counter(1e6 / us);
  state.counters["us_per_inference"] = us;
  state.counters["simulated_device_us"] = sim_s * 1e6;
  if (Get().sim_us > 0) state.counters["overhead_us"] = us - Get().sim_us;
  return us;
}

void BM_InProcessSim(benchmark::State& state) {
  Bench& b = Get();
  if (!b.ok) return state.SkipWithError(b.why.c_str());
  auto dev = driver::Device::Open("sim", b.hw);
  if (!dev.ok()) return state.SkipWithError(dev.status().ToString().c_str());
  const double us = Loop(state, **dev);
  if (state.iterations() > 1) b.sim_us = us;  // the baseline: the last, longest measurement
}

void BM_PcieSharedMemory(benchmark::State& state) {
  Bench& b = Get();
  if (!b.ok) return state.SkipWithError(b.why.c_str());
  auto sim = driver::OpenSimTransport(b.hw, false);
  if (!sim.ok()) return state.SkipWithError(sim.status().ToString().c_str());
  auto model = driver::PcieDeviceModel::Create(sim->get(), driver::PcieDeviceModelOptions{});
  if (!model.ok()) return state.SkipWithError(model.status().ToString().c_str());
  auto fds = (*model)->ExportFds();
  auto map = driver::MakeShmMapping(*fds, "bench");
  auto t = driver::OpenPcieTransportOver(std::move(map).value(), driver::TransportOptions{});
  if (!t.ok()) return state.SkipWithError(t.status().ToString().c_str());
  auto dev = driver::OpenDeviceOn("pci:shm", std::move(t).value());
  Loop(state, **dev);
  dev->reset();
}

void BM_PcieThroughServe(benchmark::State& state) {
  Bench& b = Get();
  if (!b.ok) return state.SkipWithError(b.why.c_str());
  char tmpl[] = "/tmp/pcie_bench_XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return state.SkipWithError("mkdtemp");
  const std::string dir = tmpl, path = dir + "/s.sock";
  {
    auto sim = driver::OpenSimTransport(b.hw, false);
    if (!sim.ok()) return state.SkipWithError(sim.status().ToString().c_str());
    driver::DeviceHost host(std::move(sim).value(), driver::DeviceHostOptions{});
    driver::ServerOptions so;
    so.listen = "unix:" + path;
    so.pcie_attach = driver::MakePcieAttachHook(driver::PcieServeOptions{});
    auto server = driver::Server::Listen(&host, so);
    if (!server.ok()) return state.SkipWithError(server.status().ToString().c_str());
    std::thread serving([&] { Status s = (*server)->Serve(); (void)s; });
    {
      auto dev = driver::Device::Open("pci:unix:" + path, b.hw);
      if (dev.ok()) Loop(state, **dev);
      else state.SkipWithError(dev.status().ToString().c_str());
    }
    (*server)->Stop();
    serving.join();
  }
  ::rmdir(dir.c_str());
}

BENCHMARK(BM_InProcessSim)->Unit(benchmark::kMicrosecond)->MinTime(1.0)->UseRealTime();
BENCHMARK(BM_PcieSharedMemory)->Unit(benchmark::kMicrosecond)->MinTime(1.0)->UseRealTime();
BENCHMARK(BM_PcieThroughServe)->Unit(benchmark::kMicrosecond)->MinTime(1.0)->UseRealTime();

}  // namespace
}  // namespace systole

BENCHMARK_MAIN();
