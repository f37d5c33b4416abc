// The driver on the in-process SystemC device: executables built by hand
// (FlatBufferBuilder + ProgramBuilder) run and give the outputs computed here
// independently; parameter caching; uint8 sign flips; malformed executables
// are clean errors. Every Device of the process shares one SystemC
// elaboration, so the binary also passes when run directly.
#include "driver/driver.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <fstream>
#include <optional>
#include <sstream>

#include "arch/program.h"
#include "common/sha256.h"
#include "common/test_temp.h"
#include "common/test_seed.h"
#include "common/xorshift32.h"
#include "driver/driver_test_util.h"
#include "schema/executable_digest.h"
#include "schema/executable_generated.h"
#include "schema/executable_version.h"

namespace systole::driver {
namespace {

using sim::PopPrev;
using sim::PushNext;
using sim::operator|;
using namespace testutil;  // NOLINT: the executable builders

// ---------------------------------------------------------------------------
// Opening devices.

TEST(DriverOpen, UnknownSpecListsValidOnes) {
  StatusOr<std::unique_ptr<Device>> d = Device::Open("tpu:0", TestConfig());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(d.status(), "'tpu:0'")) << d.status().ToString();
  EXPECT_TRUE(Contains(d.status(), DeviceSpecForms())) << d.status().ToString();
}

TEST(DriverOpen, InvalidConfigIsRejected) {
  sim::DeviceConfig c = TestConfig();
  c.rows = 1;
  StatusOr<std::unique_ptr<Device>> d = Device::Open("sim", c);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument) << d.status().ToString();
}

TEST(DriverOpen, SimRtlOpensOrSaysWhyNot) {
  StatusOr<std::unique_ptr<Device>> d = Device::Open("sim:rtl", TestConfig());
#if defined(SYSTOLE_HAVE_RTL_CORE)
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_NE((*d)->Describe().find("RTL"), std::string::npos);
#else
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kUnimplemented);
  EXPECT_TRUE(Contains(d.status(), "device 'sim:rtl': this build has no RTL core (configure with -DSYSTOLE_WITH_RTL=ON"))
      << d.status().ToString();
#endif
}

TEST(DriverOpen, DescribeNamesTransportAndConfig) {
  auto dev = OpenSim();
  ASSERT_NE(dev, nullptr);
  const std::string d = dev->Describe();
  EXPECT_NE(d.find("sim (SystemC, behavioural core)"), std::string::npos) << d;
  EXPECT_NE(d.find("8x8"), std::string::npos) << d;
  EXPECT_EQ(dev->config().rows, 8);
}

// ---------------------------------------------------------------------------
// Running executables: the same tests on every backend this build has.

class DriverBackendTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<Device> Open(const sim::DeviceConfig& hw = TestConfig()) { return OpenSim(hw, GetParam()); }
};

// A core under construction (the RTL) may implement a subset of the compute
// opcodes; the device then refuses the program with UNIMPLEMENTED at fetch.
// That is a skip, not a failure, of a driver test.
#define ASSERT_RUN_OK(st)                                                                  \
  do {                                                                                     \
    if (!(st).ok() && (st).status().code() == StatusCode::kUnimplemented &&                 \
        (st).status().message().find("does not implement") != std::string::npos)          \
      GTEST_SKIP() << (st).status().ToString();                                            \
    ASSERT_TRUE((st).ok()) << (st).status().ToString();                                    \
  } while (0)

TEST_P(DriverBackendTest, LutMatchesTable) {
  Xorshift32 rng(11);
  const std::vector<uint8_t> lut = RandomBytes(rng, 256);
  auto dev = Open();
  auto e = MustLoad(*dev, Build(LutExecutable(lut)));
  ASSERT_NE(e, nullptr);
  ASSERT_EQ(e->inputs().size(), 1u);
  EXPECT_EQ(e->inputs()[0].name, "x");
  EXPECT_EQ(e->inputs()[0].size, kLutLen);
  EXPECT_EQ(e->outputs()[0].shape, (std::vector<int>{1, static_cast<int>(kLutLen)}));
  for (int iter = 0; iter < 3; ++iter) {
    const std::vector<uint8_t> in = RandomBytes(rng, kLutLen);
    std::vector<uint8_t> out;
    StatusOr<RunStats> st = Run1(*dev, *e, in, &out);
    ASSERT_RUN_OK(st);
    for (uint32_t i = 0; i < kLutLen; ++i)
      EXPECT_EQ(out[i], lut[static_cast<int8_t>(in[i]) + 128]) << "element " << i;
    EXPECT_GT(st->counters.cycles, 0u);
    EXPECT_EQ(st->counters.bytes_loaded, kLutLen);
    EXPECT_EQ(st->counters.bytes_stored, kLutLen);
    EXPECT_DOUBLE_EQ(st->seconds_simulated, st->counters.cycles / dev->config().clock_hz);
  }
}

// MATMUL + POSTPROC: y = clamp(x W + bias + zp) with an identity requantizer
// (multiplier 2^30, shift 1: MultiplyByQuantizedMultiplier(v) = v).
TEST_P(DriverBackendTest, MatmulPostprocMatchesReference) {
  const sim::DeviceConfig hw = TestConfig();
  constexpr int M = 5, K = 8, N = 8, kZp = -3;
  Xorshift32 rng(5);
  std::vector<int8_t> w(K * N), x(M * K);
  for (auto& v : w) v = static_cast<int8_t>(static_cast<int>(rng.Next() % 31) - 15);
  for (auto& v : x) v = static_cast<int8_t>(rng.Next());
  std::vector<int32_t> bias(N);
  for (auto& b : bias) b = static_cast<int32_t>(rng.Next() % 2001) - 1000;

  ExeSpec s;
  s.hw = hw;
  // PBUF: W (K x N) at 0, then bias / mult / shift at 64.
  constexpr uint32_t kParamAddr = K * N;
  s.parameters.assign(w.begin(), w.end());
  auto put32 = [&s](int32_t v) {
    for (int k = 0; k < 4; ++k) s.parameters.push_back(static_cast<uint8_t>(static_cast<uint32_t>(v) >> (8 * k)));
  };
  for (int c = 0; c < N; ++c) put32(bias[c]);
  for (int c = 0; c < N; ++c) put32(1 << 30);
  for (int c = 0; c < N; ++c) put32(1);
  sim::ProgramBuilder pl;
  pl.Add(Dma(isa::Buffer::kPbuf, exe::Region_PARAMETERS, 1, static_cast<uint32_t>(s.parameters.size()), 0, 0));
  s.parameter_load = Words(pl);

  constexpr uint32_t kOut = 512;
  sim::ProgramBuilder p;
  p.Add(Dma(isa::Buffer::kAbuf, exe::Region_INPUT, M, K, 0, 0), PushNext());
  p.Add(isa::LoadWeightsArgs{K, N, 0, N}, PopPrev());
  isa::MatmulArgs mm;
  mm.m = M;
  mm.k = K;
  mm.a_addr = 0;
  mm.a_inner_count = M;
  mm.a_inner_stride = K;
  p.Add(mm);
  isa::PostprocArgs pp;
  pp.m = M;
  pp.n = N;
  pp.dst_addr = kOut;
  pp.dst_stride = N;
  pp.param_addr = kParamAddr;
  pp.out_zp = kZp;
  pp.act_min = -128;
  pp.act_max = 127;
  p.Add(pp, PushNext());
  p.Add(StoreDma(exe::Region_OUTPUT, M, N, kOut, 0), PopPrev());
  s.inference = Words(p);
  s.inputs = {Binding{"act", 3, kTypeInt8, {M, K}, exe::Region_INPUT, 0, M * K, false}};
  s.outputs = {Binding{"fc", 4, kTypeInt8, {M, N}, exe::Region_OUTPUT, 0, M * N, false}};
  s.input_bytes = M * K;
  s.output_bytes = M * N;
  s.ops = {Op{1, "FULLY_CONNECTED", 1, 3, uint64_t{M} * K * N, 50}};

  auto dev = Open(hw);
  auto e = MustLoad(*dev, Build(s));
  ASSERT_NE(e, nullptr);
  std::vector<uint8_t> in(x.begin(), x.end()), out;
  StatusOr<RunStats> st = Run1(*dev, *e, in, &out);
  ASSERT_RUN_OK(st);
  for (int i = 0; i < M; ++i)
    for (int c = 0; c < N; ++c) {
      int32_t acc = bias[c];
      for (int k = 0; k < K; ++k) acc += int32_t{x[i * K + k]} * w[k * N + c];
      const int want = std::min(127, std::max(-128, acc + kZp));
      EXPECT_EQ(static_cast<int8_t>(out[i * N + c]), want) << "row " << i << " col " << c;
    }
  EXPECT_EQ(st->counters.macs, uint64_t{M} * K * hw.cols);
  EXPECT_GT(st->parameter_load_cycles, 0u);
}

void RunVadd(const std::string& spec, bool uint8) {
  constexpr uint32_t n = 37;
  auto dev = OpenSim(TestConfig(), spec);
  auto e = MustLoad(*dev, Build(VaddExecutable(n, uint8)));
  ASSERT_NE(e, nullptr);
  Xorshift32 rng(uint8 ? 21 : 20);
  const std::vector<uint8_t> a = RandomBytes(rng, n), b = RandomBytes(rng, n);
  std::vector<uint8_t> out(n, 0xEE);
  StatusOr<RunStats> st = dev->Run(*e, {a.data(), b.data()}, {out.data()});
  ASSERT_RUN_OK(st);
  EXPECT_EQ(st->parameter_load_cycles, 0u);  // no PARAMETER_LOAD chunk
  for (uint32_t i = 0; i < n; ++i) {
    int want;
    if (uint8) {
      want = std::min(127, std::max(-128, (a[i] - 128) + (b[i] - 128))) + 128;
    } else {
      want = static_cast<uint8_t>(std::min(127, std::max(-128, static_cast<int8_t>(a[i]) + static_cast<int8_t>(b[i]))));
    }
    EXPECT_EQ(out[i], want) << "element " << i << " a " << int{a[i]} << " b " << int{b[i]};
  }
}

TEST_P(DriverBackendTest, VaddTwoInputsAtBindingOffsets) { RunVadd(GetParam(), false); }
TEST_P(DriverBackendTest, Uint8TensorsFlipTheSignBit) { RunVadd(GetParam(), true); }

TEST_P(DriverBackendTest, ChromeTraceOfTheInference) {
  auto dev = Open();
  auto e = MustLoad(*dev, Build(LutExecutable(std::vector<uint8_t>(256, 3))));
  ASSERT_NE(e, nullptr);
  const std::string path = systole::testing::TempPath(std::string("driver_trace_") + (GetParam() == "sim" ? "sim" : "rtl") + ".json");
  std::remove(path.c_str());
  std::vector<uint8_t> in(kLutLen), out(kLutLen);
  RunOptions o;
  o.chrome_trace_path = path;
  StatusOr<RunStats> st = dev->Run(*e, {in.data()}, {out.data()}, o);
  ASSERT_RUN_OK(st);
  std::ifstream f(path);
  std::stringstream text;
  text << f.rdbuf();
  EXPECT_NE(text.str().find("VLUT"), std::string::npos) << path;
  std::remove(path.c_str());
}

// RunOptions::cancel (the in-process simulator): set before the run, nothing
// runs; set while it runs (here by the progress callback, as a signal
// handler would), the run ends with CANCELLED, the outputs stay untouched,
// and the device runs the executable correctly right after.
TEST_P(DriverBackendTest, CancelFlagStopsARunningSimulation) {
  auto dev = Open();
  ExeSpec spec = LutExecutable(std::vector<uint8_t>(256, 3));
  sim::ProgramBuilder fill;
  for (int i = 0; i < 20000; ++i) fill.Add(isa::VfillArgs{1, 64, 4096});  // 160000 cycles before the LUT
  std::vector<isa::InsnWord> words = Words(fill);
  words.insert(words.end(), spec.inference.begin(), spec.inference.end());
  spec.inference = words;
  spec.ops[0].first = 20000;
  auto e = MustLoad(*dev, Build(spec));
  ASSERT_NE(e, nullptr);
  std::vector<uint8_t> in(kLutLen, 0), out(kLutLen, 0x55);
  std::atomic<bool> cancel{true};
  RunOptions o;
  o.cancel = &cancel;
  StatusOr<RunStats> st = dev->Run(*e, {in.data()}, {out.data()}, o);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.status().code(), StatusCode::kCancelled) << st.status().ToString();
  EXPECT_NE(st.status().message().find("cancelled before it ran"), std::string::npos) << st.status().ToString();
  cancel.store(false);
  std::vector<uint64_t> seen;
  o.progress = [&](uint64_t cycles) {
    seen.push_back(cycles);
    cancel.store(true);
  };
  st = dev->Run(*e, {in.data()}, {out.data()}, o);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.status().code(), StatusCode::kCancelled) << st.status().ToString();
  EXPECT_NE(st.status().message().find("run cancelled at cycle"), std::string::npos) << st.status().ToString();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_LT(seen[0], 160000u);
  EXPECT_EQ(out, std::vector<uint8_t>(kLutLen, 0x55));
  cancel.store(false);
  seen.clear();
  o.progress = [&](uint64_t cycles) { seen.push_back(cycles); };
  st = dev->Run(*e, {in.data()}, {out.data()}, o);
  ASSERT_RUN_OK(st);
  EXPECT_EQ(out, std::vector<uint8_t>(kLutLen, 3));
  EXPECT_GT(st->counters.cycles, 160000u);
  EXPECT_GE(seen.size(), 2u);
}

TEST_P(DriverBackendTest, WrongNumberOfBuffersIsAnError) {
  auto dev = Open();
  auto e = MustLoad(*dev, Build(VaddExecutable(16, false)));
  ASSERT_NE(e, nullptr);
  std::vector<uint8_t> a(16), out(16);
  StatusOr<RunStats> st = dev->Run(*e, {a.data()}, {out.data()});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.status().code(), StatusCode::kInvalidArgument);
  st = dev->Run(*e, {a.data(), nullptr}, {out.data()});
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(Contains(st.status(), "input 1 is null")) << st.status().ToString();
}

TEST_P(DriverBackendTest, ExecutableOfAnotherDeviceIsRejected) {
  auto dev1 = Open();
  auto dev2 = Open();
  auto e = MustLoad(*dev1, Build(LutExecutable(std::vector<uint8_t>(256, 1))));
  ASSERT_NE(e, nullptr);
  std::vector<uint8_t> in(kLutLen), out;
  StatusOr<RunStats> st = Run1(*dev2, *e, in, &out);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(Contains(st.status(), "another device")) << st.status().ToString();
}

// A program that passes verification but deadlocks on the device (the
// compute unit waits for a token nobody pushes): the device's error comes
// back naming the executable and the chunk, and the device keeps working.
TEST_P(DriverBackendTest, DeviceErrorsCarryContext) {
  ExeSpec s = LutExecutable(std::vector<uint8_t>(256, 7));
  sim::ProgramBuilder p;
  p.Add(isa::NopArgs{}, PopPrev());
  s.inference = Words(p);
  s.ops.clear();
  auto dev = Open();
  auto bad = MustLoad(*dev, Build(s));
  ASSERT_NE(bad, nullptr);
  std::vector<uint8_t> in(kLutLen), out;
  StatusOr<RunStats> st = Run1(*dev, *bad, in, &out);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(Contains(st.status(), "executable #1, chunk 1 (INFERENCE)")) << st.status().ToString();
  EXPECT_TRUE(Contains(st.status(), "deadlock")) << st.status().ToString();

  auto good = MustLoad(*dev, Build(LutExecutable(std::vector<uint8_t>(256, 9))));
  ASSERT_NE(good, nullptr);
  st = Run1(*dev, *good, in, &out);
  ASSERT_RUN_OK(st);
  EXPECT_EQ(out, std::vector<uint8_t>(kLutLen, 9));
}

// ---------------------------------------------------------------------------
// Parameter caching.

TEST_P(DriverBackendTest, ParametersLoadOnceAndReloadAfterAnotherExecutable) {
  Xorshift32 rng(31);
  const std::vector<uint8_t> lut_a = RandomBytes(rng, 256), lut_b = RandomBytes(rng, 256);
  auto dev = Open();
  // Both tables at the same PBUF address: B's parameter load overwrites A's.
  auto a = MustLoad(*dev, Build(LutExecutable(lut_a)));
  auto b = MustLoad(*dev, Build(LutExecutable(lut_b)));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  const std::vector<uint8_t> in = RandomBytes(rng, kLutLen);
  auto check = [&](LoadedExecutable& e, const std::vector<uint8_t>& lut, bool expect_reload, const char* step) {
    SCOPED_TRACE(step);
    std::vector<uint8_t> out;
    StatusOr<RunStats> st = Run1(*dev, e, in, &out);
    ASSERT_RUN_OK(st);
    if (expect_reload) EXPECT_GT(st->parameter_load_cycles, 0u);
    else EXPECT_EQ(st->parameter_load_cycles, 0u);
    for (uint32_t i = 0; i < kLutLen; ++i) ASSERT_EQ(out[i], lut[static_cast<int8_t>(in[i]) + 128]) << i;
  };
  check(*a, lut_a, true, "A first run loads");
  check(*a, lut_a, false, "A second run is cached");
  check(*a, lut_a, false, "A third run is cached");
  check(*b, lut_b, true, "B loads");
  check(*b, lut_b, false, "B cached");
  check(*a, lut_a, true, "A reloads after B");
  check(*a, lut_a, false, "A cached again");
  // An executable without parameters leaves A's cache alone.
  auto v = MustLoad(*dev, Build(VaddExecutable(16, false)));
  ASSERT_NE(v, nullptr);
  std::vector<uint8_t> x(16), y(16), z(16);
  ASSERT_TRUE(dev->Run(*v, {x.data(), y.data()}, {z.data()}).ok());
  check(*a, lut_a, false, "A cached after a parameterless run");
  // Destroying B and loading a new executable never aliases A's cache.
  b.reset();
  auto c = MustLoad(*dev, Build(LutExecutable(lut_b)));
  check(*c, lut_b, true, "C loads");
  check(*a, lut_a, true, "A reloads after C");
}

// An executable that streams parameters into PBUF during inference (no
// PARAMETER_LOAD chunk) invalidates another executable's cache.
TEST_P(DriverBackendTest, StreamedParametersInvalidateTheCache) {
  Xorshift32 rng(41);
  const std::vector<uint8_t> lut_a = RandomBytes(rng, 256), lut_s = RandomBytes(rng, 256);
  ExeSpec s = LutExecutable(lut_s);
  sim::ProgramBuilder p;
  p.Add(Dma(isa::Buffer::kPbuf, exe::Region_PARAMETERS, 1, 256, 0, 0));
  p.Add(Dma(isa::Buffer::kAbuf, exe::Region_INPUT, 1, kLutLen, 0, 0), PushNext());
  p.Add(isa::VlutArgs{kLutLen, 0, 1024, 0}, PopPrev() | PushNext());
  p.Add(StoreDma(exe::Region_OUTPUT, 1, kLutLen, 1024, 0), PopPrev());
  s.inference = Words(p);
  s.parameter_load.clear();
  s.ops.clear();
  auto dev = Open();
  auto a = MustLoad(*dev, Build(LutExecutable(lut_a)));
  auto st = MustLoad(*dev, Build(s));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(st, nullptr);
  const std::vector<uint8_t> in = RandomBytes(rng, kLutLen);
  std::vector<uint8_t> out;
  StatusOr<RunStats> r = Run1(*dev, *a, in, &out);
  ASSERT_RUN_OK(r);
  r = Run1(*dev, *st, in, &out);
  ASSERT_RUN_OK(r);
  EXPECT_EQ(r->parameter_load_cycles, 0u);
  for (uint32_t i = 0; i < kLutLen; ++i) ASSERT_EQ(out[i], lut_s[static_cast<int8_t>(in[i]) + 128]);
  r = Run1(*dev, *a, in, &out);
  ASSERT_RUN_OK(r);
  EXPECT_GT(r->parameter_load_cycles, 0u);
  for (uint32_t i = 0; i < kLutLen; ++i) ASSERT_EQ(out[i], lut_a[static_cast<int8_t>(in[i]) + 128]);
}

#if defined(SYSTOLE_HAVE_RTL_CORE)
INSTANTIATE_TEST_SUITE_P(Backends, DriverBackendTest, ::testing::Values("sim", "sim:rtl"),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           return i.param == "sim" ? std::string("sim") : std::string("sim_rtl");
                         });
#else
INSTANTIATE_TEST_SUITE_P(Backends, DriverBackendTest, ::testing::Values("sim"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return std::string("sim"); });
#endif

// ---------------------------------------------------------------------------
// Verification: malformed executables are clean errors.

Status Verify(const std::vector<uint8_t>& b) { return VerifyExecutable(b.data(), b.size()); }

TEST(DriverVerify, GoodExecutablesVerify) {
  EXPECT_TRUE(Verify(Build(LutExecutable(std::vector<uint8_t>(256)))).ok());
  EXPECT_TRUE(Verify(Build(VaddExecutable(16, true))).ok());
}

TEST(DriverVerify, ConfigMismatchNamesBoth) {
  sim::DeviceConfig tiny;
  tiny.rows = tiny.cols = 16;
  tiny.abuf_bytes = 1u << 20;
  tiny.pbuf_bytes = 2u << 20;
  tiny.acc_rows = 4096;
  ExeSpec s = LutExecutable(std::vector<uint8_t>(256));
  s.hw = tiny;
  const std::vector<uint8_t> b = Build(s);
  ASSERT_TRUE(Verify(b).ok()) << Verify(b).ToString();
  auto dev = OpenSim(sim::DeviceConfig());  // the 64x64 "edge" part
  StatusOr<std::unique_ptr<LoadedExecutable>> e = dev->Load(b.data(), b.size());
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(),
            "executable was compiled for 16x16 (ABUF 1 MiB, PBUF 2 MiB, ACC 4096 rows), this device is 64x64 "
            "(ABUF 2 MiB, PBUF 8 MiB, ACC 4096 rows) (recompile for this device)");
  // Each of the five fields counts.
  for (int field = 0; field < 5; ++field) {
    ExeSpec t = LutExecutable(std::vector<uint8_t>(256));
    t.hw = TestConfig();
    if (field == 0) t.hw.rows = 16;
    if (field == 1) t.hw.cols = 16;
    if (field == 2) t.hw.abuf_bytes *= 2;
    if (field == 3) t.hw.pbuf_bytes *= 2;
    if (field == 4) t.hw.acc_rows *= 2;
    auto dev8 = OpenSim();
    const std::vector<uint8_t> tb = Build(t);
    EXPECT_FALSE(dev8->Load(tb.data(), tb.size()).ok()) << "field " << field;
  }
}

TEST(DriverVerify, TruncatedAtEveryLength) {
  const std::vector<uint8_t> b = Build(VaddExecutable(16, true));
  EXPECT_EQ(VerifyExecutable(nullptr, 0).code(), StatusCode::kDataLoss);
  for (size_t n = 0; n < b.size(); ++n) {
    Status s = VerifyExecutable(b.data(), n);
    ASSERT_FALSE(s.ok()) << "length " << n;
    EXPECT_TRUE(s.message().rfind("executable: ", 0) == 0) << s.ToString();
  }
}

// Runs `bytes` on `dev` with inputs filled from `seed`; the outputs, or the
// Load or Run error.
StatusOr<std::vector<std::vector<uint8_t>>> LoadAndRun(Device& dev, const std::vector<uint8_t>& bytes,
                                                       uint32_t seed) {
  ASSIGN_OR_RETURN(std::unique_ptr<LoadedExecutable> e, dev.Load(bytes.data(), bytes.size()));
  Xorshift32 rng(seed);
  std::vector<std::vector<uint8_t>> ins, outs;
  std::vector<const uint8_t*> in_ptrs;
  std::vector<uint8_t*> out_ptrs;
  for (const auto& t : e->inputs()) ins.push_back(RandomBytes(rng, t.size));
  for (const auto& t : e->outputs()) outs.emplace_back(t.size, 0xEE);
  for (auto& v : ins) in_ptrs.push_back(v.data());
  for (auto& v : outs) out_ptrs.push_back(v.data());
  RETURN_IF_ERROR(dev.Run(*e, in_ptrs, out_ptrs).status());
  return outs;
}

// Random byte corruptions (500 per base executable) never crash, and never
// give a wrong answer: each one is refused with an "executable: " error, or
// (the bytes changed lie outside what the digest covers: names, op records,
// stats, producer) it loads, disassembles and runs to the uncorrupted
// executable's outputs. tests/executable_integrity_test.cc does the same to
// compiled models.
TEST(DriverVerify, RandomCorruptions) {
  const uint32_t seed = TestSeed("DriverVerify.RandomCorruptions", 1234);
  Xorshift32 rng(seed);
  const std::vector<uint8_t> bases[] = {Build(LutExecutable(RandomBytes(rng, 256))),
                                        Build(VaddExecutable(19, true))};
  auto dev = OpenSim();
  std::vector<std::vector<uint8_t>> want[2];
  for (int k = 0; k < 2; ++k) {
    StatusOr<std::vector<std::vector<uint8_t>>> out = LoadAndRun(*dev, bases[k], 77);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    want[k] = *out;
  }
  int refused = 0, same = 0, unchanged = 0;
  for (int iter = 0; iter < 1000; ++iter) {
    const std::vector<uint8_t>& good = bases[iter % 2];
    std::vector<uint8_t> b = good;
    const int flips = 1 + static_cast<int>(rng.Next() % 4);
    for (int f = 0; f < flips; ++f) b[rng.Next() % b.size()] = static_cast<uint8_t>(rng.Next());
    if (b == good) {
      ++unchanged;
      continue;
    }
    Status s = Verify(b);
    if (!s.ok()) {
      ++refused;
      EXPECT_TRUE(s.message().rfind("executable: ", 0) == 0) << s.ToString();
      StatusOr<std::string> d = DisassembleExecutable(b.data(), b.size());
      EXPECT_FALSE(d.ok());
      continue;
    }
    ASSERT_TRUE(DisassembleExecutable(b.data(), b.size()).ok());
    StatusOr<std::vector<std::vector<uint8_t>>> out = LoadAndRun(*dev, b, 77);
    ASSERT_TRUE(out.ok()) << "iteration " << iter << " verified but: " << out.status().ToString();
    ASSERT_EQ(*out, want[iter % 2]) << "iteration " << iter << ": a corrupted executable verified and gave other "
                                       "outputs (seed " << seed << ")";
    ++same;
  }
  std::printf("1000 corruptions: %d refused, %d verified and ran to the same outputs, %d flipped nothing\n", refused,
              same, unchanged);
}

// The digest covers each field that affects execution (changing it alone,
// keeping the old digest, is refused) and none of the informational ones
// (changing them keeps the digest valid): docs/executable.md, "Integrity".
TEST(DriverVerify, DigestCoversWhatAffectsExecution) {
  const ExeSpec base = LutExecutable(std::vector<uint8_t>(256, 5));
  const std::vector<uint8_t> sealed = Build(base);
  ASSERT_TRUE(Verify(sealed).ok()) << Verify(sealed).ToString();
  const std::vector<std::pair<const char*, std::function<void(ExeSpec&)>>> covered = {
      {"one parameter byte", [](ExeSpec& s) { s.parameters[200] ^= 1; }},
      {"one more parameter byte", [](ExeSpec& s) { s.parameters.push_back(0); }},
      {"one inference instruction bit", [](ExeSpec& s) { s.inference[1].w[1] ^= 1; }},
      {"one parameter-load instruction bit", [](ExeSpec& s) { s.parameter_load[0].w[2] ^= uint64_t{1} << 40; }},
      {"no parameter-load chunk", [](ExeSpec& s) { s.parameter_load.clear(); }},
      {"input_bytes", [](ExeSpec& s) { s.input_bytes += 1; }},
      {"output_bytes", [](ExeSpec& s) { s.output_bytes += 1; }},
      {"scratch_bytes", [](ExeSpec& s) { s.scratch_bytes = 64; }},
      {"binding offset", [](ExeSpec& s) { s.outputs[0].offset = 1; }},
      {"binding size and shape", [](ExeSpec& s) { s.inputs[0].shape = {2, 20}; }},
      {"binding type", [](ExeSpec& s) { s.inputs[0].type = kTypeUint8; }},
      {"binding sign flip", [](ExeSpec& s) { s.inputs[0].flip = true; }},
      {"binding tensor index", [](ExeSpec& s) { s.outputs[0].tensor_index = 9; }},
      {"binding region", [](ExeSpec& s) { s.outputs[0].region = exe::Region_SCRATCH; }},
      {"one binding fewer", [](ExeSpec& s) { s.outputs.clear(); }},
      {"config rows", [](ExeSpec& s) { s.hw.rows = 16; }},
      {"config acc_rows", [](ExeSpec& s) { s.hw.acc_rows *= 2; }},
      {"tflite flavor", [](ExeSpec& s) { s.flavor = 1; }},
  };
  for (const auto& [what, mutate] : covered) {
    SCOPED_TRACE(what);
    ExeSpec s = base;
    mutate(s);
    s.digest = DigestOf(sealed);
    Status st = Verify(Build(s));
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.code(), StatusCode::kDataLoss) << st.ToString();
    EXPECT_TRUE(Contains(st, "executable: digest mismatch")) << st.ToString();
    EXPECT_TRUE(Contains(st, "recorded sha256 " + HexBytes(DigestOf(sealed).data(), 32) + ", contents hash to "))
        << st.ToString();
  }
  const std::vector<std::pair<const char*, std::function<void(ExeSpec&)>>> informational = {
      {"binding name", [](ExeSpec& s) { s.inputs[0].name = "renamed"; }},
      {"op records", [](ExeSpec& s) { s.ops = {Op{3, "TANH", 0, 2, 7, 8}}; }},
      {"producer", [](ExeSpec& s) { s.producer = "someone else"; }},
  };
  for (const auto& [what, mutate] : informational) {
    SCOPED_TRACE(what);
    ExeSpec s = base;
    mutate(s);
    s.digest = DigestOf(sealed);
    const std::vector<uint8_t> b = Build(s);
    EXPECT_TRUE(Verify(b).ok()) << Verify(b).ToString();
    EXPECT_EQ(DigestOf(Build(s)), DigestOf(sealed));
  }
}

struct BadCase {
  const char* name;
  std::function<void(ExeSpec&)> mutate;
  StatusCode code;
  const char* needle;
};

TEST(DriverVerify, MalformedExecutablesNameTheRule) {
  const uint32_t kAbuf = TestConfig().abuf_bytes;
  const std::vector<BadCase> cases = {
      {"wrong identifier", [](ExeSpec& s) { s.identifier = "TFL3"; }, StatusCode::kInvalidArgument,
       "file identifier 'TFL3', expected 'SYSX'"},
      {"newer format version", [](ExeSpec& s) { s.format_version = exe::kExecutableFormatVersion + 1; },
       StatusCode::kInvalidArgument,
       "executable: format version 3, this driver reads version 2: the file was written by a newer systole"},
      {"format version 1 (before the digest)", [](ExeSpec& s) { s.format_version = 1; },
       StatusCode::kInvalidArgument,
       "executable: format version 1, this driver reads version 2: the file was written by an older systole "
       "(recompile the model with this systole)"},
      {"format version 0", [](ExeSpec& s) { s.format_version = 0; }, StatusCode::kInvalidArgument,
       "executable: format version 0, this driver reads version 2: the file was written by an older systole"},
      {"no digest", [](ExeSpec& s) { s.digest = std::vector<uint8_t>(); }, StatusCode::kInvalidArgument,
       "executable: digest: missing (format version 2 requires the SHA-256 of the instructions, parameters, "
       "bindings and configuration; recompile the model)"},
      {"digest of the wrong length", [](ExeSpec& s) { s.digest = std::vector<uint8_t>(20, 7); },
       StatusCode::kInvalidArgument, "executable: digest: 20 bytes, must be 32 (SHA-256)"},
      {"digest that does not match",
       [](ExeSpec& s) { s.digest = std::vector<uint8_t>(exe::kExecutableDigestBytes, 0xab); },
       StatusCode::kDataLoss,
       "executable: digest mismatch: the instructions, parameters, bindings or configuration were changed after "
       "compilation (recorded sha256 abababab"},
      {"wrong ISA version", [](ExeSpec& s) { s.isa_version = 99; }, StatusCode::kInvalidArgument,
       "ISA version 99"},
      {"array too small", [](ExeSpec& s) { s.hw.rows = 1; }, StatusCode::kInvalidArgument,
       "executable: hardware config: device config: array 1x8"},
      {"empty ABUF", [](ExeSpec& s) { s.hw.abuf_bytes = 0; }, StatusCode::kInvalidArgument, "empty on-chip memory"},
      {"bad opcode word",
       [](ExeSpec& s) {
         isa::InsnWord w;
         w.w[0] = 0xff;
         s.inference.insert(s.inference.begin() + 1, w);
       },
       StatusCode::kInvalidArgument, "executable: chunk 1 (INFERENCE): instruction 1"},
      {"reserved bit set",
       [](ExeSpec& s) { s.inference[2].w[3] |= uint64_t{1} << 63; }, StatusCode::kInvalidArgument,
       "executable: chunk 1 (INFERENCE): instruction 2"},
      {"DMA past the input region",
       [](ExeSpec& s) {
         sim::ProgramBuilder p;
         p.Add(Dma(isa::Buffer::kAbuf, exe::Region_INPUT, 1, kLutLen + 1, 0, 0));
         s.inference[0] = p.words()[0];
       },
       StatusCode::kOutOfRange, "instruction 0: LOAD: host range DMA ends at 0x29, past host region 1"},
      {"STORE into the read-only input region",
       [](ExeSpec& s) {
         sim::ProgramBuilder p;
         p.Add(StoreDma(exe::Region_INPUT, 1, 8, 0, 0), PopPrev());
         s.inference[2] = p.words()[0];
       },
       StatusCode::kOutOfRange, "region 1 is not writable"},
      {"DMA from an unmapped region",
       [](ExeSpec& s) {
         sim::ProgramBuilder p;
         p.Add(Dma(isa::Buffer::kAbuf, 7, 1, 8, 0, 0), PushNext());
         s.inference[0] = p.words()[0];
       },
       StatusCode::kOutOfRange, "7 is not mapped"},
      {"SCRATCH used but scratch_bytes 0",
       [](ExeSpec& s) {
         sim::ProgramBuilder p;
         p.Add(Dma(isa::Buffer::kAbuf, exe::Region_SCRATCH, 1, 8, 0, 0), PushNext());
         s.inference[0] = p.words()[0];
       },
       StatusCode::kOutOfRange, "3 is not mapped"},
      {"PARAMETER_LOAD reads the input region",
       [](ExeSpec& s) {
         sim::ProgramBuilder p;
         p.Add(Dma(isa::Buffer::kPbuf, exe::Region_INPUT, 1, 8, 0, 0));
         s.parameter_load = p.words();
       },
       StatusCode::kOutOfRange, "executable: chunk 0 (PARAMETER_LOAD): instruction 0: LOAD: region 1 is not mapped"},
      {"PARAMETER_LOAD past the parameters",
       [](ExeSpec& s) {
         sim::ProgramBuilder p;
         p.Add(Dma(isa::Buffer::kPbuf, exe::Region_PARAMETERS, 1, 257, 0, 0));
         s.parameter_load = p.words();
       },
       StatusCode::kOutOfRange, "past host region 0 (size 0x100)"},
      {"VLUT outside ABUF",
       [kAbuf](ExeSpec& s) {
         sim::ProgramBuilder p;
         p.Add(isa::VlutArgs{kLutLen, kAbuf - 8, 1024, 0}, PopPrev() | PushNext());
         s.inference[1] = p.words()[0];
       },
       StatusCode::kOutOfRange, "executable: chunk 1 (INFERENCE): instruction 1: VLUT: src"},
      {"no INFERENCE chunk",
       [](ExeSpec& s) { s.inference.clear(); }, StatusCode::kInvalidArgument,
       "executable: chunk 1 (INFERENCE): no instructions"},
      {"input binding past the region",
       [](ExeSpec& s) { s.inputs[0].offset = 1; }, StatusCode::kOutOfRange,
       "executable: input 0 ('x'): bytes [1, 41) outside the INPUT region (40 bytes)"},
      {"output binding in the INPUT region",
       [](ExeSpec& s) { s.outputs[0].region = exe::Region_INPUT; }, StatusCode::kInvalidArgument,
       "executable: output 0 ('y'): region 1 (INPUT), must be OUTPUT"},
      {"binding size is not the shape's",
       [](ExeSpec& s) { s.inputs[0].shape = {2, 3}; }, StatusCode::kInvalidArgument,
       "size 40 bytes, but shape gives 6 elements"},
      {"negative dimension",
       [](ExeSpec& s) { s.inputs[0].shape = {-1, 40}; }, StatusCode::kInvalidArgument, "dimension 0 is -1"},
      {"float binding",
       [](ExeSpec& s) { s.outputs[0].type = 0; }, StatusCode::kInvalidArgument,
       "type 0 (FLOAT32) not supported (INT8 or UINT8 only)"},
      {"negative tensor index",
       [](ExeSpec& s) { s.inputs[0].tensor_index = -2; }, StatusCode::kInvalidArgument, "tensor_index -2 < 0"},
      {"overlapping input bindings",
       [](ExeSpec& s) {
         s.input_bytes = 80;
         s.inputs.push_back(Binding{"x2", 5, kTypeInt8, {kLutLen}, exe::Region_INPUT, 39, kLutLen, false});
       },
       StatusCode::kInvalidArgument, "input 1 ('x2') at [39, 79) overlaps input 0 ('x') at [0, 40)"},
      {"sign flip on int8",
       [](ExeSpec& s) { s.inputs[0].flip = true; }, StatusCode::kInvalidArgument, "flip_sign_bit set on an INT8"},
      {"huge scratch",
       [](ExeSpec& s) { s.scratch_bytes = 0xffffffffu; }, StatusCode::kOutOfRange,
       "scratch_bytes = 4294967295 exceeds the limit"},
      {"op record past the chunk",
       [](ExeSpec& s) { s.ops = {Op{0, "LOGISTIC", 1, 3, 0, 0}}; }, StatusCode::kOutOfRange,
       "op record 0 (LOGISTIC): instructions [1, 4) outside the INFERENCE chunk (3 instructions)"},
      {"op records overlap",
       [](ExeSpec& s) { s.ops = {Op{0, "A", 0, 2, 0, 0}, Op{1, "B", 1, 2, 0, 0}}; },
       StatusCode::kInvalidArgument, "op record 1 (B): starts at instruction 1"},
      {"instruction_ops of the wrong length",
       [](ExeSpec& s) {
         s.ops = {Op{0, "A", 0, 3, 0, 0}};
         s.instruction_ops = std::vector<uint16_t>{0, 0};
       },
       StatusCode::kInvalidArgument, "instruction_ops has 2 entries, the INFERENCE chunk 3 instructions"},
      {"instruction_ops naming no op",
       [](ExeSpec& s) {
         s.ops = {Op{0, "A", 0, 3, 0, 0}};
         s.instruction_ops = std::vector<uint16_t>{0, 1, exe::kNoOp};
       },
       StatusCode::kOutOfRange, "instruction_ops[1] = 1 names no op record (1 records; 65535 = none)"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    ExeSpec s = LutExecutable(std::vector<uint8_t>(256));
    c.mutate(s);
    const std::vector<uint8_t> b = Build(s);
    Status st = Verify(b);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.code(), c.code) << st.ToString();
    EXPECT_TRUE(Contains(st, c.needle)) << st.ToString() << "\n  wanted: " << c.needle;
    // Load gives the same verdict.
    auto dev = OpenSim();
    StatusOr<std::unique_ptr<LoadedExecutable>> e = dev->Load(b.data(), b.size());
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.status().message(), st.message());
  }
}

// Byte-level damage the builder cannot produce.
TEST(DriverVerify, ChunkBytesNotAMultipleOfTheWordSize) {
  ExeSpec s = LutExecutable(std::vector<uint8_t>(256));
  flatbuffers::FlatBufferBuilder fbb;
  auto config = exe::CreateHardwareConfig(fbb, s.hw.rows, s.hw.cols, s.hw.abuf_bytes, s.hw.pbuf_bytes, s.hw.acc_rows);
  std::vector<uint8_t> insn = WordBytes(s.inference);
  insn.pop_back();
  std::vector<flatbuffers::Offset<exe::Chunk>> chunks = {
      exe::CreateChunkDirect(fbb, exe::ChunkKind_INFERENCE, &insn)};
  const std::vector<uint8_t> zeros(exe::kExecutableDigestBytes, 0);
  auto root = exe::CreateExecutableDirect(fbb, exe::kExecutableFormatVersion, isa::kIsaVersion, config, &chunks,
                                          nullptr, nullptr, nullptr, 0, 0, 0, nullptr, 0, nullptr, 0, &zeros);
  const std::vector<uint8_t> b = FinishSealed(fbb, root);
  Status st = VerifyExecutable(b.data(), b.size());
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(Contains(st, "chunk 0 (INFERENCE): 95 instruction bytes, not a multiple of 32")) << st.ToString();
}

TEST(DriverVerify, DuplicateAndUnknownChunks) {
  ExeSpec s = LutExecutable(std::vector<uint8_t>(256));
  for (int variant = 0; variant < 3; ++variant) {
    flatbuffers::FlatBufferBuilder fbb;
    auto config =
        exe::CreateHardwareConfig(fbb, s.hw.rows, s.hw.cols, s.hw.abuf_bytes, s.hw.pbuf_bytes, s.hw.acc_rows);
    std::vector<uint8_t> insn = WordBytes(s.inference);
    std::vector<flatbuffers::Offset<exe::Chunk>> chunks = {
        exe::CreateChunkDirect(fbb, exe::ChunkKind_INFERENCE, &insn)};
    if (variant == 0) chunks.push_back(exe::CreateChunkDirect(fbb, exe::ChunkKind_INFERENCE, &insn));
    if (variant == 1) chunks.push_back(exe::CreateChunkDirect(fbb, static_cast<exe::ChunkKind>(7), &insn));
    const std::vector<uint8_t> zeros(exe::kExecutableDigestBytes, 0);
    auto root = exe::CreateExecutableDirect(fbb, exe::kExecutableFormatVersion, isa::kIsaVersion, config,
                                            variant == 2 ? nullptr : &chunks, nullptr, nullptr, nullptr, 0, 0, 0,
                                            nullptr, 0, nullptr, 0, &zeros);
    const std::vector<uint8_t> b = FinishSealed(fbb, root);
    Status st = VerifyExecutable(b.data(), b.size());
    ASSERT_FALSE(st.ok()) << variant;
    const char* needle[] = {"chunk 1: a second INFERENCE chunk (first is chunk 0)", "chunk 1: unknown kind 7",
                            "no chunks"};
    EXPECT_TRUE(Contains(st, needle[variant])) << st.ToString();
  }
}

// ---------------------------------------------------------------------------
// Disassembly (compared against a checked-in listing).

std::vector<uint8_t> DisasmExample() {
  std::vector<uint8_t> lut(256);
  for (int i = 0; i < 256; ++i) lut[i] = static_cast<uint8_t>(255 - i);
  ExeSpec s = VaddExecutable(24, true);
  s.producer = "driver_test (hand-built)";
  s.parameters = lut;
  sim::ProgramBuilder pl;
  pl.Add(Dma(isa::Buffer::kPbuf, exe::Region_PARAMETERS, 1, 256, 4096, 0));
  s.parameter_load = Words(pl);
  s.ops = {Op{4, "ADD", 2, 5, 0, 40}, Op{7, "CONV_2D", 7, 1, 1234567, 5000}};
  return Build(s);
}

TEST(DriverDisasm, MatchesExpectedListing) {
  const std::vector<uint8_t> b = DisasmExample();
  StatusOr<std::string> d = DisassembleExecutable(b.data(), b.size());
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  const std::string path = std::string(SYSTOLE_DRIVER_TESTDATA) + "/vadd_uint8.disasm";
  if (std::getenv("SYSTOLE_REGEN")) {
    std::ofstream(path) << *d;
    GTEST_SKIP() << "wrote " << path;
  }
  std::ifstream f(path);
  ASSERT_TRUE(f.good()) << "missing " << path << " (regenerate: SYSTOLE_REGEN=1 driver_test)";
  std::stringstream want;
  want << f.rdbuf();
  EXPECT_EQ(*d, want.str()) << "regenerate with SYSTOLE_REGEN=1 build/driver/driver_test "
                               "--gtest_filter=DriverDisasm.* after checking the change";
  // Deterministic.
  EXPECT_EQ(*d, DisassembleExecutable(b.data(), b.size()).value());
}

TEST(DriverDisasm, MalformedIsAnError) {
  std::vector<uint8_t> b = DisasmExample();
  b[4] = 'X';
  StatusOr<std::string> d = DisassembleExecutable(b.data(), b.size());
  ASSERT_FALSE(d.ok());
  EXPECT_TRUE(Contains(d.status(), "file identifier")) << d.status().ToString();
}

}  // namespace
}  // namespace systole::driver
