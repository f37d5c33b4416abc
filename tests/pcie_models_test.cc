// A real model over PCIe shared memory, bit-exact against the in-process
// simulator: a shared model compiled for the accelerator, its executables
// loaded on a Device whose transport is the PCIe driver over a memfd BAR and
// DMA window, the device side an emulated PCIe function (PcieDeviceModel)
// executing on the in-process SystemC device in its own thread. Parameters
// are uploaded once; 4 threads x 2 inferences; a hang recovers by reset.
//
// Also through `systole serve --pcie`: the server in-process (Device::Open
// "pci:unix:PATH", bit-exact) and as a real separate process (the systole
// binary), killed with SIGKILL under a client.
//
// SystemC lives in this process: LeakSanitizer stays off (CI default).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>

#include "common/xorshift32.h"
#include "compiler/compiler.h"
#include "delegate/compile_model.h"
#include "driver/device_internal.h"
#include "driver/driver.h"
#include "driver/pcie_device_model.h"
#include "driver/pcie_mapping.h"
#include "driver/pcie_serve.h"
#include "driver/server.h"
#include "driver/transport.h"
#include "schema/pcie/pcie_regs_generated.h"
#include "schema/tflite_generated.h"
#include "tests/test_util.h"

namespace systole {
namespace {

using driver::Device;
using driver::LoadedExecutable;

constexpr char kModel[] = "kws_ref_model.tflite";

std::vector<uint8_t> ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// The executables of the SYSTOLE ops of a compiled model, in operator order.
std::vector<std::vector<uint8_t>> Executables(const std::vector<uint8_t>& tflite) {
  std::vector<std::vector<uint8_t>> out;
  const tflite::Model* m = tflite::GetModel(tflite.data());
  const tflite::SubGraph* sg = m->subgraphs()->Get(0);
  for (const tflite::Operator* op : *sg->operators()) {
    const tflite::OperatorCode* oc = m->operator_codes()->Get(op->opcode_index());
    if (oc->custom_code() == nullptr || oc->custom_code()->str() != compiler::kCustomOpName) continue;
    if (op->custom_options() != nullptr) out.emplace_back(op->custom_options()->begin(), op->custom_options()->end());
  }
  return out;
}

struct Inputs {
  std::vector<std::vector<uint8_t>> in;
};

Inputs RandomInputs(const LoadedExecutable& exe, uint32_t seed) {
  Inputs x;
  Xorshift32 rng(seed);
  for (const driver::TensorBindingInfo& b : exe.inputs()) {
    std::vector<uint8_t> v(b.size);
    for (uint8_t& c : v) c = static_cast<uint8_t>(rng.Next());
    x.in.push_back(std::move(v));
  }
  return x;
}

StatusOr<std::vector<std::vector<uint8_t>>> RunOnce(Device& dev, LoadedExecutable& exe, const Inputs& x,
                                                    driver::RunStats* stats = nullptr) {
  std::vector<const uint8_t*> in;
  for (const auto& v : x.in) in.push_back(v.data());
  std::vector<std::vector<uint8_t>> out;
  std::vector<uint8_t*> op;
  for (const driver::TensorBindingInfo& b : exe.outputs()) out.emplace_back(b.size);
  for (auto& v : out) op.push_back(v.data());
  ASSIGN_OR_RETURN(driver::RunStats st, dev.Run(exe, in, op));
  if (stats != nullptr) *stats = st;
  return out;
}

class PcieModels : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string path = testing::SharedDir() + "/models/" + kModel;
    model_ = ReadFile(path);
    if (model_.empty()) GTEST_SKIP() << "shared model " << path << " not found (../shared absent)";
    auto hw = sim::DeviceConfig::FromName("edge");
    ASSERT_TRUE(hw.ok());
    hw_ = *hw;
    delegate::DelegateOptions o;
    o.config = "edge";
    auto compiled = delegate::CompileModel(model_, kModel, o);
    ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
    exes_ = Executables(compiled->tflite);
    ASSERT_FALSE(exes_.empty());
  }

  // Reference outputs on the in-process simulator, one per seed. Runs
  // before any PCIe device runs (SystemC runs are sequential per process).
  std::vector<std::vector<std::vector<uint8_t>>> Reference(size_t exe_index, const std::vector<uint32_t>& seeds) {
    auto dev = Device::Open("sim", hw_);
    EXPECT_TRUE(dev.ok());
    auto exe = (*dev)->Load(exes_[exe_index].data(), exes_[exe_index].size());
    EXPECT_TRUE(exe.ok());
    std::vector<std::vector<std::vector<uint8_t>>> ref;
    for (uint32_t s : seeds) {
      auto out = RunOnce(**dev, **exe, RandomInputs(**exe, s));
      EXPECT_TRUE(out.ok()) << out.status().ToString();
      ref.push_back(out.ok() ? *out : std::vector<std::vector<uint8_t>>{});
    }
    return ref;
  }

  // The emulated PCIe function on a fresh in-process simulator, and a
  // Device over the PCIe transport to it.
  void OpenPcie(int timeout_ms = 20000) {
    auto sim = driver::OpenSimTransport(hw_, false);
    ASSERT_TRUE(sim.ok()) << sim.status().ToString();
    sim_ = std::move(sim).value();
    driver::PcieDeviceModelOptions mo;
    mo.dma_bytes = uint64_t{64} << 20;
    auto m = driver::PcieDeviceModel::Create(sim_.get(), mo);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    model_dev_ = std::move(m).value();
    auto fds = model_dev_->ExportFds();
    ASSERT_TRUE(fds.ok());
    auto map = driver::MakeShmMapping(*fds, "in-process");
    ASSERT_TRUE(map.ok()) << map.status().ToString();
    driver::TransportOptions to;
    to.timeout_ms = timeout_ms;
    auto t = driver::OpenPcieTransportOver(std::move(map).value(), to);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    transport_ = t->get();
    driver::DeviceOptions dopt;
    dopt.timeout_ms = timeout_ms;  // the Device passes it to every run
    auto dev = driver::OpenDeviceOnTransport("pci:shm", std::move(t).value(), nullptr, dopt);
    ASSERT_TRUE(dev.ok()) << dev.status().ToString();
    dev_ = std::move(dev).value();
  }

  void TearDown() override {
    dev_.reset();  // the transport first, then the device model, then the simulator
    model_dev_.reset();
    sim_.reset();
  }

  std::vector<uint8_t> model_;
  sim::DeviceConfig hw_;
  std::vector<std::vector<uint8_t>> exes_;
  std::unique_ptr<driver::Transport> sim_;
  std::unique_ptr<driver::PcieDeviceModel> model_dev_;
  driver::Transport* transport_ = nullptr;
  std::unique_ptr<Device> dev_;
};

TEST_F(PcieModels, BitExactWithTheSimulatorAndParametersUploadedOnce) {
  const std::vector<uint32_t> seeds = {1, 2, 3};
  const auto ref = Reference(0, seeds);
  OpenPcie();
  ASSERT_NE(dev_, nullptr);
  EXPECT_EQ(dev_->config().rows, hw_.rows);
  EXPECT_EQ(dev_->config().pbuf_bytes, hw_.pbuf_bytes);
  auto exe = dev_->Load(exes_[0].data(), exes_[0].size());
  ASSERT_TRUE(exe.ok()) << exe.status().ToString();
  const driver::PcieTransportStats* st = driver::GetPcieTransportStats(*transport_);
  ASSERT_NE(st, nullptr);
  uint64_t staged_after_first = 0;
  for (size_t i = 0; i < seeds.size(); ++i) {
    driver::RunStats rs;
    auto out = RunOnce(*dev_, **exe, RandomInputs(**exe, seeds[i]), &rs);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(*out, ref[i]) << "seed " << seeds[i];
    EXPECT_GT(rs.counters.cycles, 0u);
    if (i == 0) {
      staged_after_first = st->bytes_staged;
    } else {
      EXPECT_EQ(rs.parameter_load_cycles, 0u) << "parameters reloaded on run " << i;
    }
  }
  // Runs 2 and 3 staged only inputs, scratch and programs: the parameter
  // region stayed cached in the DMA window.
  EXPECT_GT(st->region_bytes_cached, 0u);
  EXPECT_LT(st->bytes_staged - staged_after_first, staged_after_first);
}

TEST_F(PcieModels, FourThreadsTwoInferencesEach) {
  std::vector<uint32_t> seeds;
  for (uint32_t s = 10; s < 18; ++s) seeds.push_back(s);
  const auto ref = Reference(0, seeds);
  OpenPcie();
  ASSERT_NE(dev_, nullptr);
  auto exe = dev_->Load(exes_[0].data(), exes_[0].size());
  ASSERT_TRUE(exe.ok());
  // Device::Run is thread-safe: the four threads' runs queue on the device
  // (the transport suite submits 8 at once, transport_test.cc).
  std::vector<std::string> errors(8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < 2; ++k) {
        const int i = t * 2 + k;
        const Inputs x = RandomInputs(**exe, seeds[i]);
        auto out = RunOnce(*dev_, **exe, x);
        if (!out.ok()) errors[i] = out.status().ToString();
        else if (*out != ref[i]) errors[i] = "outputs differ from the simulator";
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(errors[i], "") << "inference " << i;
}

TEST_F(PcieModels, HangTimesOutThenTheDeviceIsUsableAgain) {
  const auto ref = Reference(0, {5});
  OpenPcie(/*timeout_ms=*/600);
  ASSERT_NE(dev_, nullptr);
  auto exe = dev_->Load(exes_[0].data(), exes_[0].size());
  ASSERT_TRUE(exe.ok());
  model_dev_->InjectFault(static_cast<uint32_t>(pcie::Fault::kHang));
  const auto t0 = std::chrono::steady_clock::now();
  auto out = RunOnce(*dev_, **exe, RandomInputs(**exe, 5));
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kDeadlineExceeded) << out.status().ToString();
  EXPECT_LT(ms, 2000);
  // The device was reset (memories zero): a freshly loaded executable
  // uploads its parameters again and is bit-exact.
  auto exe2 = dev_->Load(exes_[0].data(), exes_[0].size());
  ASSERT_TRUE(exe2.ok());
  auto again = RunOnce(*dev_, **exe2, RandomInputs(**exe2, 5));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, ref[0]);
}

TEST_F(PcieModels, ThroughTheServerInProcess) {
  const auto ref = Reference(0, {21, 22});
  char tmpl[] = "/tmp/pcie_models_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl, path = dir + "/s.sock";
  {
    auto sim = driver::OpenSimTransport(hw_, false);
    ASSERT_TRUE(sim.ok());
    driver::DeviceHost host(std::move(sim).value(), driver::DeviceHostOptions{});
    driver::ServerOptions so;
    so.listen = "unix:" + path;
    so.pcie_attach = driver::MakePcieAttachHook(driver::PcieServeOptions{});
    auto server = driver::Server::Listen(&host, so);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    std::thread serving([&] { Status s = (*server)->Serve(); (void)s; });
    {
      auto dev = Device::Open("pci:unix:" + path, hw_);
      ASSERT_TRUE(dev.ok()) << dev.status().ToString();
      EXPECT_NE((*dev)->Describe().find("pci (shm"), std::string::npos) << (*dev)->Describe();
      auto exe = (*dev)->Load(exes_[0].data(), exes_[0].size());
      ASSERT_TRUE(exe.ok());
      for (size_t i = 0; i < 2; ++i) {
        auto out = RunOnce(**dev, **exe, RandomInputs(**exe, 21 + static_cast<uint32_t>(i)));
        ASSERT_TRUE(out.ok()) << out.status().ToString();
        EXPECT_EQ(*out, ref[i]);
      }
    }
    (*server)->Stop();
    serving.join();
  }
  ::rmdir(dir.c_str());
}

// `systole serve --pcie` as its own process: same bytes, then SIGKILL.
TEST_F(PcieModels, SeparateServerProcessThenSigkill) {
  const auto ref = Reference(0, {31});
  char tmpl[] = "/tmp/pcie_proc_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl, path = dir + "/s.sock", out_path = dir + "/out.txt";
  const std::string listen = "unix:" + path;
  const char* argv[] = {SYSTOLE_BIN, "serve", "--pcie", "--listen", listen.c_str(), nullptr};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = -1;
  ASSERT_EQ(posix_spawn(&pid, SYSTOLE_BIN, &fa, nullptr, const_cast<char* const*>(argv), environ), 0);
  posix_spawn_file_actions_destroy(&fa);
  bool ready = false;
  for (int i = 0; i < 400 && !ready; ++i) {  // up to 20 s for the server to say it listens
    std::ifstream f(out_path);
    std::string line;
    ready = std::getline(f, line) && line.rfind("listening on", 0) == 0;
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(ready) << "systole serve did not start";
  {
    auto dev = Device::Open("pci:unix:" + path, hw_);
    ASSERT_TRUE(dev.ok()) << dev.status().ToString();
    auto exe = (*dev)->Load(exes_[0].data(), exes_[0].size());
    ASSERT_TRUE(exe.ok());
    auto out = RunOnce(**dev, **exe, RandomInputs(**exe, 31));
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(*out, ref[0]);
    ::kill(pid, SIGKILL);
    int st = 0;
    ::waitpid(pid, &st, 0);
    pid = -1;
    const auto t0 = std::chrono::steady_clock::now();
    auto dead = RunOnce(**dev, **exe, RandomInputs(**exe, 31));
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_FALSE(dead.ok());
    EXPECT_EQ(dead.status().code(), StatusCode::kUnavailable) << dead.status().ToString();
    EXPECT_LT(ms, 2000);
  }
  if (pid > 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  std::remove(out_path.c_str());
  std::remove(path.c_str());
  ::rmdir(dir.c_str());
}

}  // namespace
}  // namespace systole
