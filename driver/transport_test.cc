// One driver suite over every transport (TEST_P over the registry of
// transport_test_util.h): real models compiled by `systole compile` run
// bit-exact against the in-process simulator; parameters are uploaded once;
// two sessions are isolated; 4 threads x 2 inferences share one Device;
// faults (delay, drop, truncate, corrupt, device error, disappear, exit,
// SIGKILL, interrupt) each give a clear error within the timeout, and the
// device is usable again after a reset where it still exists.
//
// This file registers the in-process "sim" and the remote transports
// (`systole serve` subprocesses on a Unix socket and on TCP port 0, and with
// the RTL core when this build has it); usb and pcie register theirs from
// their own files. Remote-only checks (loopback refusal, socket mode, busy
// server, garbage on the socket, exact upload accounting) follow the suite.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "arch/program.h"
#include "common/xorshift32.h"
#include "driver/driver.h"
#include "driver/frame_transport.h"
#include "driver/socket_io.h"
#include "driver/transport_test_util.h"
#include "schema/tflite_generated.h"
#include "testing/test_models.h"

namespace systole::driver::testing {
namespace {

namespace p = protocol;
using Ms = std::chrono::milliseconds;

sim::DeviceConfig TestHw() { return *sim::DeviceConfig::FromName("tiny"); }

// ---------------------------------------------------------------------------
// Models: compiled once per process with `systole compile --config tiny`; the
// executables are the SYSTOLE custom ops' options.

struct TestModel {
  std::string name;
  std::vector<uint8_t> exe;
  bool small = false;  // run on slow (RTL) devices too
};

bool RunTool(const std::string& cmd) {
  const int rc = std::system((cmd + " >/dev/null").c_str());
  EXPECT_EQ(rc, 0) << cmd;
  return rc == 0;
}

std::vector<uint8_t> ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// The executable of a compiled model's single SYSTOLE op; empty if it has not exactly one.
std::vector<uint8_t> ExtractExecutable(const std::vector<uint8_t>& model) {
  flatbuffers::Verifier v(model.data(), model.size());
  if (!tflite::VerifyModelBuffer(v)) return {};
  const tflite::Model* m = tflite::GetModel(model.data());
  std::vector<uint8_t> exe;
  int found = 0;
  for (const tflite::SubGraph* sg : *m->subgraphs()) {
    if (!sg->operators()) continue;
    for (const tflite::Operator* op : *sg->operators()) {
      const tflite::OperatorCode* oc = m->operator_codes()->Get(op->opcode_index());
      if (oc->custom_code() && oc->custom_code()->str() == "SYSTOLE" && op->custom_options()) {
        exe.assign(op->custom_options()->begin(), op->custom_options()->end());
        ++found;
      }
    }
  }
  return found == 1 ? exe : std::vector<uint8_t>{};
}

std::vector<uint8_t> CompileModel(const std::string& name, const std::string& tflite) {
  const std::string out = TempDir() + "/" + name + "_systole.tflite";
  if (!RunTool(StrFormat("'%s' compile '%s' -o '%s' --config tiny --quiet", SystoleBinary().c_str(), tflite.c_str(),
                         out.c_str())))
    return {};
  std::vector<uint8_t> exe = ExtractExecutable(ReadAll(out));
  EXPECT_FALSE(exe.empty()) << name << ": compiled model has not exactly one SYSTOLE op";
  return exe;
}

const std::vector<TestModel>& Models() {
  static const std::vector<TestModel> models = [] {
    std::vector<TestModel> v;
    {  // testing/: the diamond (ADD, MUL), no parameters to speak of
      const std::string path = TempDir() + "/diamond.tflite";
      const std::vector<uint8_t> bytes = systole::testing::DiamondModel();
      std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                   static_cast<std::streamsize>(bytes.size()));
      v.push_back({"diamond", CompileModel("diamond", path), true});
    }
    {  // modelgen/: the built-in MobileNetV2-shaped model (31 ops, cached parameters)
      const std::string path = TempDir() + "/mobilenet-v2-like.tflite";
      if (RunTool(StrFormat("'%s' make-model mobilenet-v2-like -o '%s' --quiet", SystoleBinary().c_str(), path.c_str())))
        v.push_back({"mobilenet-v2-like", CompileModel("mobilenet-v2-like", path), false});
    }
    const std::string shared = std::string(SYSTOLE_SHARED_DIR) + "/models/hello_world_int8.tflite";
    if (std::ifstream(shared).good()) {
      v.push_back({"hello_world_int8", CompileModel("hello_world_int8", shared), true});
    } else {
      std::printf("[transport_test] %s absent: the shared model is not checked\n", shared.c_str());
    }
    return v;
  }();
  return models;
}

using Outputs = std::vector<std::vector<uint8_t>>;

std::vector<std::vector<uint8_t>> MakeInputs(const LoadedExecutable& e, uint32_t seed) {
  Xorshift32 rng(seed);
  std::vector<std::vector<uint8_t>> in;
  for (const TensorBindingInfo& b : e.inputs()) {
    std::vector<uint8_t> t(b.size);
    for (uint8_t& x : t) x = rng.NextByte();
    in.push_back(std::move(t));
  }
  return in;
}

StatusOr<Outputs> RunOnce(Device& dev, LoadedExecutable& e, uint32_t seed) {
  const std::vector<std::vector<uint8_t>> in = MakeInputs(e, seed);
  Outputs out;
  for (const TensorBindingInfo& b : e.outputs()) out.emplace_back(b.size, 0xEE);
  std::vector<const uint8_t*> ip;
  std::vector<uint8_t*> op;
  for (const auto& t : in) ip.push_back(t.data());
  for (auto& t : out) op.push_back(t.data());
  StatusOr<RunStats> st = dev.Run(e, ip, op);
  if (!st.ok()) return st.status();
  return out;
}

// In-process simulator outputs for (model, seed): the reference.
const Outputs& Reference(const TestModel& m, uint32_t seed) {
  static std::map<std::pair<std::string, uint32_t>, Outputs> cache;
  static std::mutex mu;
  std::lock_guard<std::mutex> l(mu);
  auto key = std::make_pair(m.name, seed);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  Outputs out;
  auto dev = Device::Open("sim", TestHw());
  EXPECT_TRUE(dev.ok()) << dev.status().ToString();
  if (dev.ok()) {
    auto e = (*dev)->Load(m.exe.data(), m.exe.size());
    EXPECT_TRUE(e.ok()) << m.name << ": " << e.status().ToString();
    if (e.ok()) {
      auto o = RunOnce(**dev, **e, seed);
      EXPECT_TRUE(o.ok()) << m.name << ": " << o.status().ToString();
      if (o.ok()) out = *o;
    }
  }
  return cache.emplace(key, out).first->second;
}

// ---------------------------------------------------------------------------
// Hand-built programs for the transport-level cases: COPY moves n bytes from
// host region 0 through ABUF[0, n) to host region 1; STORE_ONLY stores
// ABUF[0, n) to region 1 without loading anything.

isa::LoadArgs Load(uint32_t n) {
  isa::LoadArgs a;
  a.buffer = static_cast<uint32_t>(isa::Buffer::kAbuf);
  a.region = 0;
  a.rows = 1;
  a.row_bytes = n;
  a.sram_stride = n;
  a.host_stride = n;
  return a;
}
isa::StoreArgs Store(uint32_t n) {
  isa::StoreArgs a;
  a.buffer = static_cast<uint32_t>(isa::Buffer::kAbuf);
  a.region = 1;
  a.rows = 1;
  a.row_bytes = n;
  a.sram_stride = n;
  a.host_stride = n;
  return a;
}
std::vector<isa::InsnWord> CopyProgram(uint32_t n) {
  using sim::operator|;
  sim::ProgramBuilder b;
  b.Add(Load(n), sim::PushNext());
  b.Add(isa::NopArgs{}, sim::PopPrev() | sim::PushNext());
  b.Add(Store(n), sim::PopPrev());
  EXPECT_TRUE(b.status().ok()) << b.status().ToString();
  return b.words();
}
std::vector<isa::InsnWord> StoreOnlyProgram(uint32_t n) {
  sim::ProgramBuilder b;
  b.Add(Store(n));
  EXPECT_TRUE(b.status().ok()) << b.status().ToString();
  return b.words();
}

struct Regions {
  std::vector<uint8_t> in, out;
  sim::HostMemory host;
  explicit Regions(uint32_t n, uint8_t fill = 0) : in(n, fill), out(n, 0xEE) {
    EXPECT_TRUE(host.Map(0, in.data(), n, true, false).ok());
    EXPECT_TRUE(host.Map(1, out.data(), n, false, true).ok());
  }
};

constexpr uint32_t kCopyBytes = 4096;

// ---------------------------------------------------------------------------
// The suite.

class TransportTest : public ::testing::TestWithParam<TransportParam> {
 protected:
  void SetUp() override {
    StatusOr<std::unique_ptr<TransportEnv>> env = GetParam().make("tiny");
    ASSERT_TRUE(env.ok()) << env.status().ToString();
    env_ = std::move(env).value();
  }
  void TearDown() override {
    if (env_) {
      Status s = env_->Close();
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
    env_.reset();
  }

  std::unique_ptr<Device> OpenDevice() {
    StatusOr<std::unique_ptr<Device>> d = Device::Open(env_->device(), TestHw());
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? std::move(d).value() : nullptr;
  }
  std::unique_ptr<Transport> OpenTransport(int timeout_ms = 10000) {
    TransportOptions o;
    o.timeout_ms = timeout_ms;
    StatusOr<std::unique_ptr<Transport>> t = env_->OpenTransport(o);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? std::move(t).value() : nullptr;
  }
  std::vector<const TestModel*> ModelsForThisDevice() const {
    std::vector<const TestModel*> v;
    for (const TestModel& m : Models())
      if (!m.exe.empty() && (m.small || !env_->slow())) v.push_back(&m);
    return v;
  }

  std::unique_ptr<TransportEnv> env_;
};

TEST_P(TransportTest, IdentifiesTheDevice) {
  auto t = OpenTransport();
  ASSERT_TRUE(t);
  const sim::DeviceConfig hw = TestHw();
  EXPECT_EQ(t->config().rows, hw.rows);
  EXPECT_EQ(t->config().abuf_bytes, hw.abuf_bytes);
  EXPECT_EQ(t->config().pbuf_bytes, hw.pbuf_bytes);
  EXPECT_EQ(t->config().acc_rows, hw.acc_rows);
  const DeviceIdentity id = t->Identify();
  EXPECT_FALSE(id.transport.empty());
  EXPECT_FALSE(id.description.empty());
  if (env_->slow()) {
    EXPECT_NE(id.description.find("RTL core"), std::string::npos) << id.description;
  }
  if (env_->counts_frames()) {
    EXPECT_EQ(id.protocol_version, p::kVersion);
    EXPECT_NE(id.firmware_version.find("systole"), std::string::npos) << id.firmware_version;
  }
}

TEST_P(TransportTest, RunsModelsBitExact) {
  auto dev = OpenDevice();
  ASSERT_TRUE(dev);
  const auto models = ModelsForThisDevice();
  ASSERT_FALSE(models.empty());
  for (const TestModel* m : models) {
    auto e = dev->Load(m->exe.data(), m->exe.size());
    ASSERT_TRUE(e.ok()) << m->name << ": " << e.status().ToString();
    for (uint32_t seed : {1u, 2u, 1u}) {
      StatusOr<Outputs> out = RunOnce(*dev, **e, seed);
      ASSERT_TRUE(out.ok()) << m->name << ": " << out.status().ToString();
      EXPECT_EQ(*out, Reference(*m, seed)) << m->name << " seed " << seed << " differs from the in-process sim";
    }
  }
}

TEST_P(TransportTest, ParametersUploadOnce) {
  const TestModel* model = nullptr;
  for (const TestModel* m : ModelsForThisDevice())
    if (m->name != "diamond") model = m;  // one with cached parameters
  ASSERT_NE(model, nullptr);
  auto dev = OpenDevice();
  ASSERT_TRUE(dev);
  auto e = dev->Load(model->exe.data(), model->exe.size());
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  FrameTransportStats s[4];
  s[0] = GetFrameTransportStats();
  for (int i = 1; i <= 3; ++i) {
    StatusOr<Outputs> out = RunOnce(*dev, **e, 1);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(*out, Reference(*model, 1));
    s[i] = GetFrameTransportStats();
  }
  auto up = [&](int i) { return s[i].region_bytes_uploaded - s[i - 1].region_bytes_uploaded; };
  auto words = [&](int i) { return s[i].program_words_uploaded - s[i - 1].program_words_uploaded; };
  auto skipped = [&](int i) { return s[i].region_uploads_skipped - s[i - 1].region_uploads_skipped; };
  if (env_->counts_frames()) {
    std::printf("[%s] %s: uploaded %llu bytes on the first run, %llu on the second, %llu on the third\n",
                GetParam().name.c_str(), model->name.c_str(), static_cast<unsigned long long>(up(1)),
                static_cast<unsigned long long>(up(2)), static_cast<unsigned long long>(up(3)));
    EXPECT_GT(up(1), up(2)) << "the parameters were sent again";
    EXPECT_EQ(up(2), up(3));
    EXPECT_GE(skipped(2), 1u);
    EXPECT_GT(words(1), 0u);
    EXPECT_EQ(words(2), 0u) << "the program was sent again";
    EXPECT_EQ(words(3), 0u);
  } else {
    // Host regions are shared in place: no frame traffic at all.
    EXPECT_EQ(s[3].bytes_sent, s[0].bytes_sent);
  }
}

TEST_P(TransportTest, SessionsAreIsolated) {
  auto a = OpenTransport();
  auto b = OpenTransport();
  ASSERT_TRUE(a && b);
  const std::vector<uint8_t> secret(kCopyBytes, 0xA5);
  ASSERT_TRUE(a->WriteMemory(isa::Buffer::kPbuf, 1024, secret.data(), secret.size()).ok());
  {
    Regions r(kCopyBytes, 0xA5);  // A's host region 0 holds the secret, its run puts it in ABUF
    ExecuteOptions o;
    o.region_ids[0] = 77;
    StatusOr<sim::PerfCounters> c = a->Execute(CopyProgram(kCopyBytes), r.host, o);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_EQ(r.out, secret);
  }
  std::vector<uint8_t> got(kCopyBytes, 1);
  ASSERT_TRUE(b->ReadMemory(isa::Buffer::kAbuf, 0, got.data(), got.size()).ok());
  EXPECT_EQ(got, std::vector<uint8_t>(kCopyBytes, 0)) << "B sees A's ABUF";
  ASSERT_TRUE(b->ReadMemory(isa::Buffer::kPbuf, 1024, got.data(), got.size()).ok());
  EXPECT_EQ(got, std::vector<uint8_t>(kCopyBytes, 0)) << "B sees A's PBUF";
  {
    // B stores its ABUF to its own region 1; it must not see A's bytes there,
    // and a run of B naming region 0 with the same id reads B's zeros, not A's
    // cached copy.
    Regions r(kCopyBytes, 0x00);
    ExecuteOptions o;
    o.region_ids[0] = 77;
    StatusOr<sim::PerfCounters> c = b->Execute(StoreOnlyProgram(kCopyBytes), r.host, o);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_EQ(r.out, std::vector<uint8_t>(kCopyBytes, 0));
    c = b->Execute(CopyProgram(kCopyBytes), r.host, o);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_EQ(r.out, std::vector<uint8_t>(kCopyBytes, 0));
  }
  // A still has its bytes; A's reset clears only A.
  ASSERT_TRUE(a->ReadMemory(isa::Buffer::kAbuf, 0, got.data(), got.size()).ok());
  EXPECT_EQ(got, secret);
  const std::vector<uint8_t> mark(64, 0x3C);
  ASSERT_TRUE(b->WriteMemory(isa::Buffer::kAbuf, 8192, mark.data(), mark.size()).ok());
  ASSERT_TRUE(a->Reset().ok());
  ASSERT_TRUE(a->ReadMemory(isa::Buffer::kAbuf, 0, got.data(), got.size()).ok());
  EXPECT_EQ(got, std::vector<uint8_t>(kCopyBytes, 0));
  std::vector<uint8_t> m2(64);
  ASSERT_TRUE(b->ReadMemory(isa::Buffer::kAbuf, 8192, m2.data(), m2.size()).ok());
  EXPECT_EQ(m2, mark);
}

TEST_P(TransportTest, FourThreadsTwoInferencesEach) {
  auto dev = OpenDevice();
  ASSERT_TRUE(dev);
  const auto models = ModelsForThisDevice();
  std::vector<std::unique_ptr<LoadedExecutable>> exes;
  for (const TestModel* m : models) {
    auto e = dev->Load(m->exe.data(), m->exe.size());
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    exes.push_back(std::move(e).value());
    Reference(*m, 10), Reference(*m, 11);  // computed before the threads start
  }
  // TODO(lead): once `devapi` is merged (thread-safe Device with Submit/Wait),
  // drop this mutex and submit the 8 inferences asynchronously, so that
  // several are in flight at once.
  std::mutex device_mu;
  std::vector<std::string> failures(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < 2; ++k) {
        const size_t mi = static_cast<size_t>(t + k) % models.size();
        const uint32_t seed = 10 + static_cast<uint32_t>(k);
        StatusOr<Outputs> out = [&] {
          std::lock_guard<std::mutex> l(device_mu);
          return RunOnce(*dev, *exes[mi], seed);
        }();
        if (!out.ok()) failures[t] += out.status().ToString() + "; ";
        else if (*out != Reference(*models[mi], seed)) failures[t] += models[mi]->name + " differs; ";
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(failures[t], "") << "thread " << t;
}

// ---------------------------------------------------------------------------
// Faults: only on transports whose device takes FAULT commands.

class TransportFaultTest : public TransportTest {
 protected:
  void SetUp() override {
    TransportTest::SetUp();
    if (env_ && !env_->supports_faults()) GTEST_FAIL() << "registered as a fault transport but takes no faults";
  }
  // Arms `kind` for the next RUN over a second connection.
  void Arm(p::FaultKind kind, uint32_t arg = 0) {
    auto ctl = OpenTransport();
    ASSERT_TRUE(ctl);
    Status s = InjectFault(*ctl, kind, arg, static_cast<uint16_t>(p::Opcode::kRun));
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  // Runs COPY on t; returns its status and how long it took.
  Status TimedCopy(Transport& t, double* ms) {
    Regions r(kCopyBytes, 0x42);
    const auto t0 = std::chrono::steady_clock::now();
    StatusOr<sim::PerfCounters> c = t.Execute(CopyProgram(kCopyBytes), r.host, ExecuteOptions{});
    *ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (c.ok() && r.out != r.in) return Internal("COPY gave wrong bytes");
    return c.status();
  }
  void ExpectUsableAfterReset(Transport& t) {
    Status s = t.Reset();
    ASSERT_TRUE(s.ok()) << s.ToString();
    double ms;
    s = TimedCopy(t, &ms);
    EXPECT_TRUE(s.ok()) << "after reset: " << s.ToString();
  }
  static constexpr int kTimeoutMs = 500;
};

TEST_P(TransportFaultTest, DelayedReplyTimesOut) {
  auto t = OpenTransport(kTimeoutMs);
  ASSERT_TRUE(t);
  Arm(p::FaultKind::kDelay, 1500);
  double ms;
  Status s = TimedCopy(*t, &ms);
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded) << s.ToString();
  EXPECT_NE(s.message().find("run timeout 500 ms"), std::string::npos) << s.message();
  EXPECT_LT(ms, 2 * kTimeoutMs);
  ExpectUsableAfterReset(*t);
}

TEST_P(TransportFaultTest, DroppedReplyTimesOut) {
  auto t = OpenTransport(kTimeoutMs);
  ASSERT_TRUE(t);
  Arm(p::FaultKind::kDrop);
  double ms;
  Status s = TimedCopy(*t, &ms);
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded) << s.ToString();
  EXPECT_GE(ms, kTimeoutMs * 0.9);
  EXPECT_LT(ms, 2 * kTimeoutMs);
  ExpectUsableAfterReset(*t);
}

TEST_P(TransportFaultTest, TruncatedReplyIsAnError) {
  auto t = OpenTransport(kTimeoutMs);
  ASSERT_TRUE(t);
  Arm(p::FaultKind::kTruncate);
  double ms;
  Status s = TimedCopy(*t, &ms);
  // A stream cannot tell a short reply from a slow one: the rest never comes.
  // A message link (USB) sees the short transfer at once: DATA_LOSS.
  EXPECT_TRUE(s.code() == StatusCode::kDeadlineExceeded || s.code() == StatusCode::kDataLoss) << s.ToString();
  EXPECT_NE(s.message().find("truncated"), std::string::npos) << s.message();
  EXPECT_LT(ms, 2 * kTimeoutMs);
  ExpectUsableAfterReset(*t);
}

TEST_P(TransportFaultTest, CorruptReplyIsDataLoss) {
  auto t = OpenTransport(kTimeoutMs);
  ASSERT_TRUE(t);
  Arm(p::FaultKind::kCorrupt);
  double ms;
  Status s = TimedCopy(*t, &ms);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  EXPECT_NE(s.message().find("CRC-32 mismatch"), std::string::npos) << s.message();
  EXPECT_LT(ms, 2 * kTimeoutMs);
  ExpectUsableAfterReset(*t);
}

TEST_P(TransportFaultTest, DeviceErrorIsReported) {
  auto t = OpenTransport(kTimeoutMs);
  ASSERT_TRUE(t);
  Arm(p::FaultKind::kDeviceError);
  double ms;
  Status s = TimedCopy(*t, &ms);
  EXPECT_EQ(s.code(), StatusCode::kInternal) << s.ToString();
  EXPECT_NE(s.message().find("device error"), std::string::npos) << s.message();
  EXPECT_LT(ms, 2 * kTimeoutMs);
  s = TimedCopy(*t, &ms);  // the link is fine: no reset needed
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST_P(TransportFaultTest, DeviceDisappears) {
  auto t = OpenTransport(kTimeoutMs);
  ASSERT_TRUE(t);
  Arm(p::FaultKind::kDisappear);
  double ms;
  Status s = TimedCopy(*t, &ms);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_LT(ms, 2 * kTimeoutMs);
  const auto t0 = std::chrono::steady_clock::now();
  s = t->Reset();  // nobody answers any more
  EXPECT_FALSE(s.ok());
  const double reset_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(reset_ms, 2 * kTimeoutMs);
}

TEST_P(TransportFaultTest, DeviceProcessExits) {
  auto t = OpenTransport(kTimeoutMs);
  ASSERT_TRUE(t);
  Arm(p::FaultKind::kExit);
  double ms;
  Status s = TimedCopy(*t, &ms);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_LT(ms, 2 * kTimeoutMs);
  s = TimedCopy(*t, &ms);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_LT(ms, 2 * kTimeoutMs);
}

TEST_P(TransportFaultTest, DeviceKilledMidRun) {
  auto t = OpenTransport(1500);
  ASSERT_TRUE(t);
  Arm(p::FaultKind::kDelay, 5000);  // the run "takes" 5 s: kill the device meanwhile
  Status s;
  double ms = 0;
  std::thread runner([&] { s = TimedCopy(*t, &ms); });
  std::this_thread::sleep_for(Ms(150));
  const Status k = env_->KillDevice();
  runner.join();
  if (k.code() == StatusCode::kUnimplemented) {
    EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded) << s.ToString();
    return;
  }
  ASSERT_TRUE(k.ok()) << k.ToString();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_LT(ms, 1000) << "the client noticed the dead device only at its timeout";
}

TEST_P(TransportFaultTest, InterruptCancelsARun) {
  auto t = OpenTransport(2000);
  ASSERT_TRUE(t);
  Arm(p::FaultKind::kDelay, 1500);
  Status s;
  double ms = 0;
  std::thread runner([&] { s = TimedCopy(*t, &ms); });
  std::this_thread::sleep_for(Ms(100));
  t->Interrupt();
  runner.join();
  EXPECT_EQ(s.code(), StatusCode::kCancelled) << s.ToString();
  EXPECT_LT(ms, 1000);
  ExpectUsableAfterReset(*t);
}

std::string ParamName(const ::testing::TestParamInfo<TransportParam>& i) { return i.param.name; }

std::vector<TransportParam> FaultParams() {
  std::vector<TransportParam> v;
  for (const TransportParam& p : TransportRegistry())
    if (p.name != "sim") v.push_back(p);  // the in-process simulator has no link to fail
  return v;
}

INSTANTIATE_TEST_SUITE_P(Transports, TransportTest, ::testing::ValuesIn(TransportRegistry()), ParamName);
INSTANTIATE_TEST_SUITE_P(Transports, TransportFaultTest, ::testing::ValuesIn(FaultParams()), ParamName);

// ---------------------------------------------------------------------------
// Remote only: the server's own rules.

std::string RunCapture(const std::string& cmd, int* rc) {
  std::string out;
  FILE* f = popen((cmd + " 2>&1").c_str(), "r");
  if (!f) return out;
  char buf[512];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  const int st = pclose(f);
  *rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

TEST(RemoteServeTest, RefusesNonLoopbackAndBadPaths) {
  int rc;
  std::string out = RunCapture(SystoleBinary() + " serve --listen tcp:0.0.0.0:0", &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("host '0.0.0.0' is not loopback"), std::string::npos) << out;
  out = RunCapture(SystoleBinary() + " serve --listen tcp:192.168.1.1:5000", &rc);
  EXPECT_EQ(rc, 1);
  const std::string file = TempDir() + "/not_a_socket";
  std::ofstream(file) << "x";
  out = RunCapture(SystoleBinary() + " serve --listen unix:" + file, &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("is not a socket"), std::string::npos) << out;
  EXPECT_TRUE(std::ifstream(file).good()) << "the file was replaced";
  out = RunCapture(SystoleBinary() + " serve --listen bogus", &rc);
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("expected unix:PATH or tcp:HOST:PORT"), std::string::npos) << out;
  out = RunCapture(SystoleBinary() + " serve --listen unix:/tmp/x --backend gpu", &rc);
  EXPECT_EQ(rc, 2);
  out = RunCapture(SystoleBinary() + " serve --help", &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_NE(out.find("--allow-faults"), std::string::npos);
}

TEST(RemoteServeTest, UnixSocketIsPrivateAndStaleOnesAreReplaced) {
  const std::string path = NewSocketPath();
  {  // a stale socket: bound, nobody listening
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path.c_str());
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
    close(fd);
  }
  auto s = ServerProcess::Start({"--listen", "unix:" + path, "--config", "tiny"});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  struct stat st;
  ASSERT_EQ(lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  int rc;
  std::string out = RunCapture(SystoleBinary() + " serve --listen unix:" + path, &rc);  // a live one is not replaced
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("another server is listening"), std::string::npos) << out;
  const int status = (*s)->Stop(5000);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_NE(lstat(path.c_str(), &st), 0) << "the socket file was left behind";
}

TEST(RemoteServeTest, BusyServerAndDisabledFaults) {
  auto s = ServerProcess::Start({"--listen", "tcp:127.0.0.1:0", "--config", "tiny", "--max-clients", "1"});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  TransportOptions o;
  o.timeout_ms = 2000;
  auto a = OpenRemoteTransport((*s)->address(), o);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = OpenRemoteTransport((*s)->address(), o);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(b.status().message().find("server busy"), std::string::npos) << b.status().message();
  Status f = InjectFault(**a, p::FaultKind::kDrop, 0, 0);
  EXPECT_EQ(f.code(), StatusCode::kFailedPrecondition) << f.ToString();
  EXPECT_NE(f.message().find("--allow-faults"), std::string::npos);
  a->reset();
  // The slot frees up once A is gone.
  for (int i = 0; i < 100; ++i) {
    b = OpenRemoteTransport((*s)->address(), o);
    if (b.ok()) break;
    std::this_thread::sleep_for(Ms(10));
  }
  EXPECT_TRUE(b.ok()) << b.status().ToString();
}

TEST(RemoteServeTest, GarbageOnTheSocket) {
  auto s = ServerProcess::Start({"--listen", "unix:" + NewSocketPath(), "--config", "tiny"});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  StatusOr<SocketAddress> a = ParseSocketAddress((*s)->address());
  ASSERT_TRUE(a.ok());
  const Deadline d = Clock::now() + Ms(2000);
  auto recv_frame = [&](int fd) -> StatusOr<std::vector<uint8_t>> {
    std::vector<uint8_t> f(p::kHeaderBytes);
    RETURN_IF_ERROR(RecvExact(fd, f.data(), f.size(), d, -1));
    ASSIGN_OR_RETURN(size_t len, FrameLengthFromHeader(f.data(), f.size()));
    f.resize(len);
    RETURN_IF_ERROR(RecvExact(fd, f.data() + p::kHeaderBytes, len - p::kHeaderBytes, d, -1));
    return f;
  };
  {  // An unknown opcode: an ERROR, and the connection goes on.
    StatusOr<int> fd = ConnectSocket(*a, d, -1);
    ASSERT_TRUE(fd.ok());
    std::vector<uint8_t> f = EncodeFrame(0x4242, 5, nullptr, 0);
    ASSERT_TRUE(SendAll(*fd, f.data(), f.size(), d, -1).ok());
    auto r = recv_frame(*fd);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    auto fr = DecodeFrame(*r);
    ASSERT_TRUE(fr.ok());
    EXPECT_EQ(fr->header.opcode, static_cast<uint16_t>(p::Opcode::kError));
    EXPECT_EQ(fr->header.sequence, 5u);
    f = EncodeMessage(p::IdentifyRequest{}, 6);
    ASSERT_TRUE(SendAll(*fd, f.data(), f.size(), d, -1).ok());
    r = recv_frame(*fd);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(DecodeFrame(*r)->header.opcode, static_cast<uint16_t>(p::Opcode::kIdentifyReply));
    close(*fd);
  }
  {  // Bad magic: an ERROR naming it, then the server closes the connection.
    StatusOr<int> fd = ConnectSocket(*a, d, -1);
    ASSERT_TRUE(fd.ok());
    std::vector<uint8_t> junk(64, 0x77);
    ASSERT_TRUE(SendAll(*fd, junk.data(), junk.size(), d, -1).ok());
    auto r = recv_frame(*fd);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    auto fr = DecodeFrame(*r);
    ASSERT_TRUE(fr.ok());
    p::ErrorReply e;
    ASSERT_TRUE(e.Parse(fr->payload, fr->payload_size).ok());
    EXPECT_NE(e.message.find("bad magic"), std::string::npos) << e.message;
    uint8_t byte;
    Status eof = RecvExact(*fd, &byte, 1, d, -1);
    EXPECT_EQ(eof.code(), StatusCode::kUnavailable) << eof.ToString();
    close(*fd);
  }
  {  // A header announcing more than MAX_PAYLOAD_BYTES: ERROR and close.
    StatusOr<int> fd = ConnectSocket(*a, d, -1);
    ASSERT_TRUE(fd.ok());
    std::vector<uint8_t> f = EncodeMessage(p::IdentifyRequest{}, 1);
    f[p::kHeaderPayloadLengthOffset + 3] = 0x10;
    ASSERT_TRUE(SendAll(*fd, f.data(), f.size(), d, -1).ok());
    auto r = recv_frame(*fd);
    ASSERT_TRUE(r.ok());
    uint8_t byte;
    EXPECT_EQ(RecvExact(*fd, &byte, 1, d, -1).code(), StatusCode::kUnavailable);
    close(*fd);
  }
}

TEST(RemoteServeTest, RegionIdsSkipUploadsExactly) {
  auto s = ServerProcess::Start({"--listen", "unix:" + NewSocketPath(), "--config", "tiny"});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto t = OpenRemoteTransport((*s)->address(), TransportOptions{});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  Regions r(kCopyBytes, 0x11);
  const std::vector<isa::InsnWord> prog = CopyProgram(kCopyBytes);
  ExecuteOptions o;
  o.region_ids[0] = 1234;
  const FrameTransportStats s0 = GetFrameTransportStats();
  ASSERT_TRUE((*t)->Execute(prog, r.host, o).ok());
  const FrameTransportStats s1 = GetFrameTransportStats();
  ASSERT_TRUE((*t)->Execute(prog, r.host, o).ok());
  const FrameTransportStats s2 = GetFrameTransportStats();
  EXPECT_EQ(s1.region_bytes_uploaded - s0.region_bytes_uploaded, kCopyBytes);
  EXPECT_EQ(s2.region_bytes_uploaded - s1.region_bytes_uploaded, 0u);
  EXPECT_EQ(s1.program_words_uploaded - s0.program_words_uploaded, prog.size());
  EXPECT_EQ(s2.program_words_uploaded - s1.program_words_uploaded, 0u);
  EXPECT_EQ(s2.region_bytes_downloaded - s1.region_bytes_downloaded, kCopyBytes);
  // Another id (or 0) means new bytes: sent again, and the run sees them.
  std::fill(r.in.begin(), r.in.end(), 0x22);
  o.region_ids[0] = 0;
  ASSERT_TRUE((*t)->Execute(prog, r.host, o).ok());
  EXPECT_EQ(GetFrameTransportStats().region_bytes_uploaded - s2.region_bytes_uploaded, kCopyBytes);
  EXPECT_EQ(r.out, r.in);
  // After a reset the device holds nothing: the same id is sent again.
  ASSERT_TRUE((*t)->Reset().ok());
  o.region_ids[0] = 1234;
  const FrameTransportStats s3 = GetFrameTransportStats();
  ASSERT_TRUE((*t)->Execute(prog, r.host, o).ok());
  EXPECT_EQ(GetFrameTransportStats().region_bytes_uploaded - s3.region_bytes_uploaded, kCopyBytes);
}

}  // namespace
}  // namespace systole::driver::testing
