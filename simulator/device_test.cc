// The SystemC device model with the behavioural core: every instruction,
// illegal programs, counters, traces. All tests share one elaboration (one
// SystemC module per process), so the binary also passes when run directly.
#include "simulator/device.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/test_temp.h"
#include "simulator/test_util.h"

namespace systole::sim {
namespace {

using testing::HostBuffers;
using testing::OpCase;
using testing::OpKind;

std::unique_ptr<Device> MakeDevice(const DeviceConfig& cfg) {
  StatusOr<std::unique_ptr<Device>> d = Device::Create(cfg);
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return std::move(d).value();
}

void ExpectCountersConsistent(const PerfCounters& p) {
  for (const UnitCounters* u : {&p.load, &p.compute, &p.store})
    EXPECT_EQ(u->busy + u->stall_dma + u->stall_dep + u->idle, p.cycles) << p.ToString();
}

class DeviceTest : public ::testing::TestWithParam<int> {
 protected:
  DeviceConfig config() const {
    DeviceConfig c = DeviceConfig::Small(GetParam());
    c.link = LinkConfig::PcieGen2x1();
    return c;
  }
};

TEST_P(DeviceTest, EachInstruction) {
  auto dev = MakeDevice(config());
  for (auto& t : testing::InstructionTests(config(), 7)) {
    SCOPED_TRACE(t.name);
    dev->memory().Clear();
    if (t.init) t.init(dev->memory());
    HostMemory host;
    ASSERT_TRUE(host.Map(0, t.host_in.data(), t.host_in.size(), true, false).ok());
    ASSERT_TRUE(host.Map(2, t.host_out.data(), t.host_out.size(), false, true).ok());
    StatusOr<PerfCounters> r = dev->Run(t.program.words(), host);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(t.check(dev->memory(), t.host_out), "");
    ExpectCountersConsistent(*r);
  }
}

TEST_P(DeviceTest, IllegalProgramsAreErrorsAndTheDeviceRecovers) {
  auto dev = MakeDevice(config());
  std::vector<uint8_t> in(256), out(256);
  HostMemory host;
  ASSERT_TRUE(host.Map(0, in.data(), in.size(), true, false).ok());
  ASSERT_TRUE(host.Map(2, out.data(), out.size(), false, true).ok());
  Xorshift32 rng(3);
  for (const auto& c : testing::IllegalPrograms(config())) {
    SCOPED_TRACE(c.name);
    StatusOr<PerfCounters> r = dev->Run(c.program, host);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), c.code) << r.status().ToString();
    EXPECT_NE(r.status().message().find(c.needle), std::string::npos) << r.status().ToString();
    // The same device runs a legal program right after.
    OpCase oc = testing::MakeCase(OpKind::kAdd, config(), rng);
    HostBuffers hb(oc);
    StatusOr<PerfCounters> ok = dev->Run(oc.program, hb.host);
    ASSERT_TRUE(ok.ok()) << ok.status().ToString();
    EXPECT_EQ(testing::Diff(oc.expected, hb.output()), "");
  }
}

TEST_P(DeviceTest, FastForwardChangesNothingButSpeed) {
  auto dev = MakeDevice(config());
  Xorshift32 rng(testing::TestSeed("DeviceTest.FastForwardChangesNothingButSpeed", 21));
  for (int k = 0; k < static_cast<int>(OpKind::kNumKinds); ++k) {
    OpCase oc = testing::MakeCase(static_cast<OpKind>(k), config(), rng);
    SCOPED_TRACE(oc.name);
    HostBuffers a(oc), b(oc);
    RunOptions slow;
    slow.fast_forward = false;
    StatusOr<PerfCounters> fast = dev->Run(oc.program, a.host);
    StatusOr<PerfCounters> full = dev->Run(oc.program, b.host, slow);
    ASSERT_TRUE(fast.ok() && full.ok());
    EXPECT_EQ(fast->ToString(), full->ToString());
    EXPECT_EQ(a.out, b.out);
    ExpectCountersConsistent(*fast);
  }
}

TEST_P(DeviceTest, WritesChromeTrace) {
  auto dev = MakeDevice(config());
  Xorshift32 rng(9);
  OpCase oc = testing::MakeGemm(config(), rng, 12, GetParam() + 3, GetParam() + 1, true);
  HostBuffers hb(oc);
  RunOptions opt;
  opt.chrome_trace_path = systole::testing::TempPath("systole_trace.json");
  StatusOr<PerfCounters> r = dev->Run(oc.program, hb.host, opt);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(testing::Diff(oc.expected, hb.output()), "");
  std::ifstream f(opt.chrome_trace_path);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string json = ss.str();
  EXPECT_EQ(json.rfind("{\"displayTimeUnit\"", 0), 0u);
  EXPECT_NE(json.find("\"name\":\"MATMUL\""), std::string::npos);
  EXPECT_NE(json.find("\"name\":\"STORE\""), std::string::npos);
  EXPECT_EQ(json.substr(json.size() - 4), "\n]}\n");
  std::printf("%s", r->ToString().c_str());
  EXPECT_GT(r->compute.stall_dma, 0u);  // the compute unit waited for the link
  // MATMULs: 12 rows x (R + 3) deep x C lanes, for each of the 2 column tiles.
  EXPECT_EQ(r->macs, 12ull * (GetParam() + 3) * GetParam() * 2);
}

INSTANTIATE_TEST_SUITE_P(Arrays, DeviceTest, ::testing::Values(8, 16));

TEST(DeviceRunTest, ParameterCachePersistsAcrossRuns) {
  // Run 1 loads weights into PBUF; run 2 uses them without touching the host.
  auto dev = MakeDevice(DeviceConfig::Small(8));
  std::vector<uint8_t> w(64), out(8);
  for (int i = 0; i < 64; ++i) w[i] = static_cast<uint8_t>(i % 8 == i / 8 ? 1 : 0);  // identity
  HostMemory host;
  ASSERT_TRUE(host.Map(1, w.data(), w.size(), true, false).ok());
  ASSERT_TRUE(host.Map(2, out.data(), out.size(), false, true).ok());
  ProgramBuilder load;
  load.Add(isa::LoadArgs{1, 1, 1, 64, 100, 64, 0, 64});
  ASSERT_TRUE(dev->Run(load.words(), host).ok());
  for (int i = 0; i < 8; ++i) dev->memory().abuf[i] = static_cast<uint8_t>(i + 1);
  // acc = x * I; POSTPROC with bias 0, mult 2^30 (x0.5), shift 1 -> x; store.
  for (int c = 0; c < 8; ++c) {
    const int32_t mult = 1 << 30, shift = 1;
    std::memcpy(&dev->memory().pbuf[1000 + 32 + 4 * c], &mult, 4);
    std::memcpy(&dev->memory().pbuf[1000 + 64 + 4 * c], &shift, 4);
  }
  ProgramBuilder use;
  use.Add(isa::LoadWeightsArgs{8, 8, 100, 8});
  use.Add(isa::MatmulArgs{1, 8, false, 0, 0, 1, 8, 0});
  use.Add(isa::PostprocArgs{1, 8, 0, 64, 8, 1000, 0, -128, 127}, PushNext());
  use.Add(isa::StoreArgs{0, 2, 1, 8, 64, 8, 0, 8}, PopPrev());
  StatusOr<PerfCounters> r = dev->Run(use.words(), host);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(out[i], i + 1);
  EXPECT_EQ(r->bytes_loaded, 0u);
}

TEST(DeviceRunTest, TokenFifoOverflowIsAnError) {
  DeviceConfig cfg = DeviceConfig::Small(8);
  cfg.token_depth = 4;
  auto dev = MakeDevice(cfg);
  ProgramBuilder pb;
  for (int i = 0; i < 6; ++i) pb.Add(isa::NopArgs{}, PushNext());  // nobody pops
  HostMemory host;
  StatusOr<PerfCounters> r = dev->Run(pb.words(), host);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("token FIFO"), std::string::npos) << r.status().ToString();
}

TEST(DeviceRunTest, FetchStallsOnAFullQueue) {
  DeviceConfig cfg = DeviceConfig::Small(8);
  cfg.queue_depth = 4;
  auto dev = MakeDevice(cfg);
  ProgramBuilder pb;
  for (int i = 0; i < 20; ++i) pb.Add(isa::VfillArgs{1, 64, 0});  // 8 cycles each
  HostMemory host;
  StatusOr<PerfCounters> r = dev->Run(pb.words(), host);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GT(r->fetch_stall_queue_full, 0u);
  EXPECT_EQ(r->compute.busy, 20u * 8);
  EXPECT_EQ(r->cycles, 1 + 20u * 8);
}

TEST(DeviceRunTest, SpansCoverEveryInstruction) {
  auto dev = MakeDevice(DeviceConfig::Small(8));
  ProgramBuilder pb;
  for (int i = 0; i < 5; ++i) pb.Add(isa::VfillArgs{1, 64, uint32_t(64 * i)});  // 8 cycles each
  HostMemory host;
  std::vector<InstructionSpan> spans;
  RunOptions opt;
  opt.spans = &spans;
  StatusOr<PerfCounters> r = dev->Run(pb.words(), host, opt);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(spans.size(), 5u);
  uint64_t busy = 0;
  for (size_t i = 0; i < spans.size(); ++i) {
    EXPECT_EQ(spans[i].pc, i);
    EXPECT_EQ(spans[i].unit, static_cast<int>(isa::Unit::kCompute));
    EXPECT_EQ(spans[i].cycles, 8u);
    busy += spans[i].cycles;
  }
  EXPECT_EQ(busy, r->compute.busy);
}

// RunOptions::progress reports every quantum of simulated cycles;
// RunOptions::cancel ends the run with CANCELLED before the next cycle, and
// the device runs the same program to completion right after.
TEST(DeviceRunTest, ProgressAndCancel) {
  auto dev = MakeDevice(DeviceConfig::Small(8));
  ProgramBuilder pb;
  for (int i = 0; i < 20000; ++i) pb.Add(isa::VfillArgs{1, 64, 0});  // 8 cycles each: 160001 cycles
  HostMemory host;
  std::atomic<bool> cancel{false};
  std::vector<uint64_t> seen;
  RunOptions opt;
  opt.fast_forward = false;  // one Tick per cycle: the quanta are exactly 65536 cycles
  opt.cancel = &cancel;
  opt.progress = [&](uint64_t cycles) {
    seen.push_back(cycles);
    cancel.store(true);  // as a signal handler would, mid-run
  };
  StatusOr<PerfCounters> r = dev->Run(pb.words(), host, opt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled) << r.status().ToString();
  EXPECT_NE(r.status().message().find("cancelled at cycle 65536"), std::string::npos) << r.status().ToString();
  EXPECT_EQ(seen, std::vector<uint64_t>{65536});
  // Set before the run: nothing is simulated.
  seen.clear();
  r = dev->Run(pb.words(), host, opt);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cancelled at cycle 0"), std::string::npos) << r.status().ToString();
  EXPECT_TRUE(seen.empty());
  // Not set: the run completes, with progress at every quantum.
  cancel.store(false);
  opt.progress = [&](uint64_t cycles) { seen.push_back(cycles); };
  r = dev->Run(pb.words(), host, opt);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->cycles, 1 + 20000u * 8);
  EXPECT_EQ(seen, (std::vector<uint64_t>{65536, 131072}));
}

TEST(DeviceConfigTest, RejectsBadConfigs) {
  DeviceConfig c = DeviceConfig::Small(8);
  c.rows = 1;
  EXPECT_FALSE(Device::Create(c).ok());
  c = DeviceConfig::Small(8);
  c.cols = 300;
  EXPECT_FALSE(Device::Create(c).ok());
}

}  // namespace
}  // namespace systole::sim
