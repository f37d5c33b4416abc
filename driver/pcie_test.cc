// The PCIe transport and the emulated PCIe function without SystemC: the
// device model executes on FakeDeviceTransport (a fake behind the real
// Transport interface, defined here), so these tests run with LeakSanitizer
// on. Real parts otherwise: sealed memfds, eventfds, the device model's
// thread, the transport over a shared-memory PcieMapping, SCM_RIGHTS over a
// socketpair. Also: the generated accessors, the device side against hostile
// rings, malformed shared memory and fd messages, the sysfs scan on a fake
// tree.
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

#include "driver/pcie_device_model.h"
#include "driver/pcie_mapping.h"
#include "driver/pcie_serve.h"
#include "driver/server.h"
#include "schema/pcie/pcie_regs_generated.h"

namespace systole::driver {
namespace {

namespace reg = pcie::reg;
namespace field = pcie::field;
using std::chrono::milliseconds;

bool Contains(const Status& s, const std::string& text) { return s.message().find(text) != std::string::npos; }

// ---------------------------------------------------------------------------
// A fake device (test only): on-chip memories as vectors; Execute() does no
// real work but is deterministic and checkable: every writable region's byte
// j becomes (first readable region's byte j mod its size) + program size + j,
// and the counters are self-consistent. A program whose first word is
// 0xDEAD fails with FAILED_PRECONDITION, like a device deadlock.
class FakeDeviceTransport : public Transport {
 public:
  explicit FakeDeviceTransport(sim::DeviceConfig c) : config_(c), abuf_(c.abuf_bytes), pbuf_(c.pbuf_bytes) {}
  std::string Describe() const override { return "fake device"; }
  const sim::DeviceConfig& config() const override { return config_; }
  DeviceIdentity Identify() const override { return DeviceIdentity{"fake", "fake device", 0, "fake", "test"}; }
  Status WriteMemory(isa::Buffer b, uint32_t addr, const uint8_t* data, size_t size) override {
    std::vector<uint8_t>& m = b == isa::Buffer::kAbuf ? abuf_ : pbuf_;
    if (uint64_t{addr} + size > m.size()) return OutOfRange("fake: outside");
    std::memcpy(m.data() + addr, data, size);
    return Status::Ok();
  }
  Status ReadMemory(isa::Buffer b, uint32_t addr, uint8_t* data, size_t size) override {
    std::vector<uint8_t>& m = b == isa::Buffer::kAbuf ? abuf_ : pbuf_;
    if (uint64_t{addr} + size > m.size()) return OutOfRange("fake: outside");
    std::memcpy(data, m.data() + addr, size);
    return Status::Ok();
  }
  StatusOr<sim::PerfCounters> Execute(const std::vector<isa::InsnWord>& program, const sim::HostMemory& host,
                                      const ExecuteOptions&) override {
    ++runs;
    if (!program.empty() && program[0].w[0] == 0xDEAD) return FailedPrecondition("deadlock at cycle 7 (fake)");
    const sim::HostRegion* in = nullptr;
    for (int i = 0; i < isa::kNumHostRegions; ++i)
      if (host.region(i).mapped() && host.region(i).readable && in == nullptr) in = &host.region(i);
    for (int i = 0; i < isa::kNumHostRegions; ++i) {
      const sim::HostRegion& r = host.region(i);
      if (!r.mapped() || !r.writable) continue;
      for (uint64_t j = 0; j < r.size; ++j)
        r.data[j] = static_cast<uint8_t>((in != nullptr ? in->data[j % in->size] : 0) + program.size() + j);
    }
    sim::PerfCounters p;
    p.cycles = 100 + program.size();
    for (sim::UnitCounters* u : {&p.load, &p.compute, &p.store}) {
      u->busy = program.size();
      u->idle = p.cycles - u->busy;
      u->instructions = program.size();
    }
    p.macs = 42;
    return p;
  }
  Status Reset() override {
    std::fill(abuf_.begin(), abuf_.end(), 0);
    std::fill(pbuf_.begin(), pbuf_.end(), 0);
    ++resets;
    return Status::Ok();
  }
  int runs = 0, resets = 0;

 private:
  sim::DeviceConfig config_;
  std::vector<uint8_t> abuf_, pbuf_;
};

sim::DeviceConfig FakeConfig() {
  sim::DeviceConfig c = sim::DeviceConfig::Small(8);
  c.pbuf_bytes = 4u << 20;  // larger than the test window: transfers are chunked
  c.link = sim::LinkConfig::PcieGen2x1();
  return c;
}

// The fake device behind the emulated function, and the transport over it.
struct Rig {
  explicit Rig(uint64_t window = 2u << 20, int timeout_ms = 400) : fake(FakeConfig()) {
    PcieDeviceModelOptions o;
    o.dma_bytes = window;
    o.fw_kind = 3;
    auto m = PcieDeviceModel::Create(&fake, o);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    model = std::move(m).value();
    auto fds = model->ExportFds();
    EXPECT_TRUE(fds.ok()) << fds.status().ToString();
    auto map = MakeShmMapping(*fds, "test-shm");
    EXPECT_TRUE(map.ok()) << map.status().ToString();
    TransportOptions to;
    to.timeout_ms = timeout_ms;
    auto t = OpenPcieTransportOver(std::move(map).value(), to);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    if (t.ok()) transport = std::move(t).value();
  }
  FakeDeviceTransport fake;
  std::unique_ptr<PcieDeviceModel> model;
  std::unique_ptr<Transport> transport;
};

std::vector<isa::InsnWord> Program(size_t n, uint64_t first = 1) {
  std::vector<isa::InsnWord> p(n);
  for (size_t i = 0; i < n; ++i) p[i].w[0] = first + i;
  return p;
}

// Runs once with a readable region 0 and a writable region 2 and checks the
// fake's output.
Status RunAndCheck(Transport& t, uint64_t param_id = 0, size_t in_bytes = 3000) {
  std::vector<uint8_t> in(in_bytes), out(777, 0xEE);
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<uint8_t>(i * 7 + 3);
  sim::HostMemory host;
  RETURN_IF_ERROR(host.Map(0, in.data(), in.size(), true, false));
  RETURN_IF_ERROR(host.Map(2, out.data(), out.size(), false, true));
  ExecuteOptions o;
  o.region_ids[0] = param_id;
  const std::vector<isa::InsnWord> prog = Program(5);
  ASSIGN_OR_RETURN(sim::PerfCounters p, t.Execute(prog, host, o));
  if (p.cycles != 105 || p.macs != 42 || p.load.busy != 5) return Internal("counters %s", p.ToString().c_str());
  for (size_t j = 0; j < out.size(); ++j)
    if (out[j] != static_cast<uint8_t>(in[j % in.size()] + 5 + j)) return Internal("output byte %zu wrong", j);
  return Status::Ok();
}

// ---------------------------------------------------------------------------
// Generated accessors.

TEST(PcieRegs, FieldsAndCrc) {
  EXPECT_EQ(field::kStatusDeviceLost.mask(), 0x80000000u);
  EXPECT_EQ(field::kHwArrayCols.Get(0x00400020u), 0x40u);
  EXPECT_EQ(field::kHwArrayRows.Get(0x00400020u), 0x20u);
  EXPECT_EQ(field::kControlReset.Set(0x1u, 1), 0x3u);
  EXPECT_EQ(field::kFwVersionKind.Make(2), 0x02000000u);
  const char* digits = "123456789";
  EXPECT_EQ(pcie::Crc32(reinterpret_cast<const uint8_t*>(digits), 9), 0xCBF43926u);
  EXPECT_STREQ(pcie::RegisterName(reg::kRingTail), "RING_TAIL");
  EXPECT_EQ(pcie::RegisterName(0x998), nullptr);
  EXPECT_STREQ(pcie::OpcodeName(5), "RUN");
  EXPECT_EQ(pcie::CplStatusName(99), nullptr);
}

TEST(PcieRegs, StructuresRoundTripAndReservedBytes) {
  pcie::Descriptor d;
  d.opcode = 5;
  d.seq = 0x01020304;
  d.dma_addr = 0x1122334455667788ull;
  d.length = 9;
  d.device_addr = 0x40;
  d.table_addr = 0xabcdef;
  uint8_t b[pcie::kDescriptorBytes];
  pcie::EncodeDescriptor(d, b);
  EXPECT_EQ(b[4], 0x04);
  EXPECT_EQ(b[15], 0x11);
  const pcie::Descriptor e = pcie::DecodeDescriptor(b);
  EXPECT_EQ(e.dma_addr, d.dma_addr);
  EXPECT_EQ(e.table_addr, d.table_addr);
  EXPECT_EQ(pcie::DescriptorReservedNonZero(b), -1);
  uint8_t c[pcie::kCompletionBytes];
  pcie::EncodeCompletion(pcie::Completion{}, c);
  EXPECT_EQ(pcie::CompletionReservedNonZero(c), -1);
  c[500] = 1;
  EXPECT_EQ(pcie::CompletionReservedNonZero(c), 500);
}

// ---------------------------------------------------------------------------
// Transport over the emulated function.

TEST(PcieTransport, IdentifiesFromRegisters) {
  Rig rig;
  ASSERT_NE(rig.transport, nullptr);
  const sim::DeviceConfig& c = rig.transport->config();
  const sim::DeviceConfig want = FakeConfig();
  EXPECT_EQ(c.rows, want.rows);
  EXPECT_EQ(c.cols, want.cols);
  EXPECT_EQ(c.abuf_bytes, want.abuf_bytes);
  EXPECT_EQ(c.pbuf_bytes, want.pbuf_bytes);
  EXPECT_EQ(c.acc_rows, want.acc_rows);
  EXPECT_EQ(c.clock_hz, want.clock_hz);
  EXPECT_EQ(c.link.name, "pcie-gen2-x1");
  const DeviceIdentity id = rig.transport->Identify();
  EXPECT_EQ(id.transport, "pci");
  EXPECT_EQ(id.protocol_version, pcie::kRegMapVersion);
  EXPECT_EQ(id.location, "test-shm");
  EXPECT_NE(id.firmware_version.find("0.1.0"), std::string::npos) << id.firmware_version;
}

TEST(PcieTransport, WriteAndReadMemoryInChunks) {
  Rig rig;
  ASSERT_NE(rig.transport, nullptr);
  std::vector<uint8_t> big(3u << 20);  // > the 2 MiB window: several descriptors
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 131 + (i >> 12));
  ASSERT_TRUE(rig.transport->WriteMemory(isa::Buffer::kPbuf, 1000, big.data(), big.size()).ok());
  std::vector<uint8_t> back(big.size());
  ASSERT_TRUE(rig.transport->ReadMemory(isa::Buffer::kPbuf, 1000, back.data(), back.size()).ok());
  EXPECT_EQ(back, big);
  std::vector<uint8_t> a(100, 5), ab(100);
  ASSERT_TRUE(rig.transport->WriteMemory(isa::Buffer::kAbuf, 0, a.data(), a.size()).ok());
  ASSERT_TRUE(rig.transport->ReadMemory(isa::Buffer::kAbuf, 0, ab.data(), ab.size()).ok());
  EXPECT_EQ(a, ab);
  Status s = rig.transport->WriteMemory(isa::Buffer::kAbuf, FakeConfig().abuf_bytes - 10, a.data(), a.size());
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange) << s.ToString();
  EXPECT_TRUE(Contains(s, "ABUF")) << s.ToString();
}

TEST(PcieTransport, ExecuteStagesRegionsAndCachesById) {
  Rig rig;
  ASSERT_NE(rig.transport, nullptr);
  const PcieTransportStats* st = GetPcieTransportStats(*rig.transport);
  ASSERT_NE(st, nullptr);
  ASSERT_TRUE(RunAndCheck(*rig.transport, /*param_id=*/77, 100000).ok());
  const uint64_t first = st->bytes_staged;
  EXPECT_GE(first, 100000u);
  EXPECT_EQ(st->region_bytes_cached, 0u);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(RunAndCheck(*rig.transport, 77, 100000).ok());
  // The 100000-byte region was sent once; later runs staged only the rest.
  EXPECT_EQ(st->region_bytes_cached, 300000u);
  EXPECT_LT(st->bytes_staged - first, 3 * 2000u);
  // Content id 0: sent every time.
  ASSERT_TRUE(RunAndCheck(*rig.transport, 0, 100000).ok());
  EXPECT_EQ(st->region_bytes_cached, 300000u);
  // Reset forgets the cache.
  ASSERT_TRUE(rig.transport->Reset().ok());
  ASSERT_TRUE(RunAndCheck(*rig.transport, 77, 100000).ok());
  EXPECT_EQ(st->region_bytes_cached, 300000u);
  EXPECT_EQ(rig.fake.runs, 6);
}

// Prints (does not check) the transport's own cost per command: a small run
// on the fake device, which does no work, so the time is the ring, the
// staging copies, the doorbell and interrupt eventfds and two thread wake-ups.
TEST(PcieTransport, ManyCommandsWrapTheRingAndPrintTheRoundTrip) {
  Rig rig;
  ASSERT_NE(rig.transport, nullptr);
  const int n = 2000;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) ASSERT_TRUE(RunAndCheck(*rig.transport, 0, 64).ok()) << i;
  const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / n;
  EXPECT_EQ(GetPcieTransportStats(*rig.transport)->commands, static_cast<uint64_t>(n));
  std::printf("[pcie] %d RUN commands (64-byte input, 777-byte output) on the fake device: %.1f us each\n", n, us);
}

TEST(PcieTransport, ExecErrorKeepsItsCodeAndText) {
  Rig rig;
  ASSERT_NE(rig.transport, nullptr);
  std::vector<uint8_t> out(16);
  sim::HostMemory host;
  ASSERT_TRUE(host.Map(1, out.data(), out.size(), false, true).ok());
  StatusOr<sim::PerfCounters> r = rig.transport->Execute(Program(3, 0xDEAD), host, ExecuteOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << r.status().ToString();
  EXPECT_TRUE(Contains(r.status(), "deadlock at cycle 7")) << r.status().ToString();
  EXPECT_TRUE(RunAndCheck(*rig.transport).ok());  // usable: no reset was needed
  EXPECT_EQ(GetPcieTransportStats(*rig.transport)->resets, 1u);
}

TEST(PcieTransport, RunTooLargeForTheWindowIsOutOfRange) {
  Rig rig;
  ASSERT_NE(rig.transport, nullptr);
  std::vector<uint8_t> huge(3u << 20);
  sim::HostMemory host;
  ASSERT_TRUE(host.Map(0, huge.data(), huge.size(), true, false).ok());
  StatusOr<sim::PerfCounters> r = rig.transport->Execute(Program(2), host, ExecuteOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kOutOfRange) << r.status().ToString();
  EXPECT_TRUE(RunAndCheck(*rig.transport).ok());
}

// ---------------------------------------------------------------------------
// Faults.

TEST(PcieFaults, HangIsDeadlineExceededThenUsable) {
  Rig rig(2u << 20, 300);
  ASSERT_NE(rig.transport, nullptr);
  rig.model->InjectFault(static_cast<uint32_t>(pcie::Fault::kHang));
  const auto t0 = std::chrono::steady_clock::now();
  Status s = RunAndCheck(*rig.transport);
  const auto ms = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded) << s.ToString();
  EXPECT_TRUE(Contains(s, "did not complete within its timeout") && Contains(s, "device reset")) << s.ToString();
  EXPECT_LT(ms, 1500);
  EXPECT_TRUE(RunAndCheck(*rig.transport).ok());
  EXPECT_GE(rig.fake.resets, 1);
}

TEST(PcieFaults, PerRunTimeoutOverridesTheDefault) {
  Rig rig(2u << 20, 10000);
  ASSERT_NE(rig.transport, nullptr);
  rig.model->InjectFault(static_cast<uint32_t>(pcie::Fault::kHang));
  std::vector<uint8_t> out(8);
  sim::HostMemory host;
  ASSERT_TRUE(host.Map(0, out.data(), out.size(), true, true).ok());
  ExecuteOptions o;
  o.timeout_ms = 150;
  const auto t0 = std::chrono::steady_clock::now();
  StatusOr<sim::PerfCounters> r = rig.transport->Execute(Program(1), host, o);
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_LT(std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count(), 1500);
}

TEST(PcieFaults, DeviceErrorIsReportedThenCleared) {
  Rig rig;
  ASSERT_NE(rig.transport, nullptr);
  rig.model->InjectFault(static_cast<uint32_t>(pcie::Fault::kDeviceError));
  Status s = RunAndCheck(*rig.transport);
  EXPECT_EQ(s.code(), StatusCode::kInternal) << s.ToString();
  EXPECT_TRUE(Contains(s, "ERROR_CODE INTERNAL") && Contains(s, "injected device error")) << s.ToString();
  EXPECT_EQ(pcie::ReadStatus(rig.model->bar()) & field::kStatusError.mask(), 0u);  // cleared by the reset
  EXPECT_TRUE(RunAndCheck(*rig.transport).ok());
}

struct CorruptCase {
  pcie::Fault fault;
  const char* text;
};
void PrintTo(const CorruptCase& c, std::ostream* os) { *os << pcie::FaultName(static_cast<uint32_t>(c.fault)); }
// CORRUPT_SEQ -> CorruptSeq (test names).
std::string camel(const char* name) {
  std::string out;
  bool up = true;
  for (const char* p = name; *p; ++p) {
    if (*p == '_') {
      up = true;
      continue;
    }
    out += up ? *p : static_cast<char>(std::tolower(static_cast<unsigned char>(*p)));
    up = false;
  }
  return out;
}

class PcieCorruptCompletion : public ::testing::TestWithParam<CorruptCase> {};

TEST_P(PcieCorruptCompletion, IsDataLossNamingTheFieldThenUsable) {
  Rig rig;
  ASSERT_NE(rig.transport, nullptr);
  rig.model->InjectFault(static_cast<uint32_t>(GetParam().fault));
  Status s = RunAndCheck(*rig.transport);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  EXPECT_TRUE(Contains(s, GetParam().text)) << s.ToString();
  EXPECT_TRUE(Contains(s, "completion record")) << s.ToString();
  EXPECT_TRUE(RunAndCheck(*rig.transport).ok());
}

INSTANTIATE_TEST_SUITE_P(Faults, PcieCorruptCompletion,
                         ::testing::Values(CorruptCase{pcie::Fault::kCorruptSeq, "sequence number"},
                                           CorruptCase{pcie::Fault::kCorruptStatus, "unknown status"},
                                           CorruptCase{pcie::Fault::kCorruptCounters, "counters inconsistent"},
                                           CorruptCase{pcie::Fault::kCorruptChecksum, "checksum"}),
                         [](const ::testing::TestParamInfo<CorruptCase>& i) {
                           return std::string(camel(pcie::FaultName(static_cast<uint32_t>(i.param.fault))));
                         });

TEST(PcieFaults, CorruptCompletionOnAMemoryReadToo) {
  Rig rig;
  ASSERT_NE(rig.transport, nullptr);
  rig.model->InjectFault(static_cast<uint32_t>(pcie::Fault::kCorruptChecksum));
  std::vector<uint8_t> b(64);
  Status s = rig.transport->ReadMemory(isa::Buffer::kAbuf, 0, b.data(), b.size());
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
}

TEST(PcieFaults, DisappearIsUnavailableForGood) {
  Rig rig(2u << 20, 2000);
  ASSERT_NE(rig.transport, nullptr);
  rig.model->InjectFault(static_cast<uint32_t>(pcie::Fault::kDisappear));
  const auto t0 = std::chrono::steady_clock::now();
  Status s = RunAndCheck(*rig.transport);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_TRUE(Contains(s, "disappeared")) << s.ToString();
  EXPECT_LT(std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count(), 1500);
  EXPECT_TRUE(rig.model->lost());
  EXPECT_EQ(RunAndCheck(*rig.transport).code(), StatusCode::kUnavailable);
  EXPECT_EQ(rig.transport->Reset().code(), StatusCode::kUnavailable);
  std::vector<uint8_t> b(4);
  EXPECT_EQ(rig.transport->ReadMemory(isa::Buffer::kAbuf, 0, b.data(), 4).code(), StatusCode::kUnavailable);
}

TEST(PcieFaults, DeviceStoppedMidRunIsUnavailable) {
  Rig rig(2u << 20, 5000);
  ASSERT_NE(rig.transport, nullptr);
  rig.model->InjectFault(static_cast<uint32_t>(pcie::Fault::kHang));
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(100));
    rig.model->Stop();  // the server shuts its device down
  });
  const auto t0 = std::chrono::steady_clock::now();
  Status s = RunAndCheck(*rig.transport);
  stopper.join();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_LT(std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count(), 1500);
}

TEST(PcieFaults, InterruptCancelsARunAndResetRecovers) {
  Rig rig(2u << 20, 5000);
  ASSERT_NE(rig.transport, nullptr);
  rig.model->InjectFault(static_cast<uint32_t>(pcie::Fault::kHang));
  std::thread canceller([&] {
    std::this_thread::sleep_for(milliseconds(100));
    rig.transport->Interrupt();
  });
  const auto t0 = std::chrono::steady_clock::now();
  Status s = RunAndCheck(*rig.transport);
  canceller.join();
  EXPECT_EQ(s.code(), StatusCode::kCancelled) << s.ToString();
  EXPECT_LT(std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count(), 1500);
  // Without an explicit Reset(), the next call resets the device itself.
  EXPECT_TRUE(RunAndCheck(*rig.transport).ok());
  ASSERT_TRUE(rig.transport->Reset().ok());
  EXPECT_TRUE(RunAndCheck(*rig.transport).ok());
  // A stray Interrupt() between runs does not cancel the next one.
  rig.transport->Interrupt();
  EXPECT_TRUE(RunAndCheck(*rig.transport).ok());
}

// ---------------------------------------------------------------------------
// The device side against a hostile host: the test drives BAR0 and the ring
// itself.

class HostileRing : public ::testing::Test {
 protected:
  void SetUp() override {
    PcieDeviceModelOptions o;
    o.dma_bytes = 1u << 20;
    auto m = PcieDeviceModel::Create(&fake_, o);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    model_ = std::move(m).value();
    auto fds = model_->ExportFds();
    ASSERT_TRUE(fds.ok());
    doorbell_ = fds->doorbell_fd;
    for (int fd : {fds->bar_fd, fds->dma_fd, fds->irq_fd}) ::close(fd);
    bar_ = model_->bar();
    win_ = model_->dma();
  }
  void TearDown() override {
    model_.reset();
    if (doorbell_ >= 0) ::close(doorbell_);
  }
  void Ring() {
    const uint64_t one = 1;
    ASSERT_EQ(::write(doorbell_, &one, 8), 8);
  }
  void Write(uint32_t off, uint32_t v) { pcie::WriteReg(bar_, off, v); }
  uint32_t Read(uint32_t off) { return __atomic_load_n(&bar_[off / 4], __ATOMIC_ACQUIRE); }
  // Waits (bounded) until pred holds.
  template <typename P>
  bool Eventually(P pred) {
    for (int i = 0; i < 2000; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    return false;
  }
  void Configure(uint64_t wbase, uint64_t wsize, uint64_t ring, uint32_t n, uint64_t cpl) {
    Write(reg::kDmaWindowBaseLo, static_cast<uint32_t>(wbase));
    Write(reg::kDmaWindowBaseHi, static_cast<uint32_t>(wbase >> 32));
    Write(reg::kDmaWindowSizeLo, static_cast<uint32_t>(wsize));
    Write(reg::kDmaWindowSizeHi, static_cast<uint32_t>(wsize >> 32));
    Write(reg::kRingBaseLo, static_cast<uint32_t>(ring));
    Write(reg::kRingBaseHi, static_cast<uint32_t>(ring >> 32));
    Write(reg::kRingSize, n);
    Write(reg::kCplBaseLo, static_cast<uint32_t>(cpl));
    Write(reg::kCplBaseHi, static_cast<uint32_t>(cpl >> 32));
    Write(reg::kControl, field::kControlEnable.mask());
    Ring();
  }
  void ConfigureGood() {
    Configure(0, 1u << 20, 0, 4, 4096);
    ASSERT_TRUE(Eventually([&] { return Read(reg::kStatus) & field::kStatusEnabled.mask(); }));
  }
  // Submits one descriptor and returns its completion record.
  pcie::Completion Submit(const pcie::Descriptor& d) {
    const uint32_t tail = Read(reg::kRingTail);
    pcie::EncodeDescriptor(d, win_ + (tail % 4) * pcie::kDescriptorBytes);
    Write(reg::kRingTail, tail + 1);
    Ring();
    EXPECT_TRUE(Eventually([&] { return Read(reg::kCplHead) == tail + 1; })) << "no completion";
    const uint8_t* rec = win_ + 4096 + (tail % 4) * pcie::kCompletionBytes;
    uint32_t crc;
    std::memcpy(&crc, rec + pcie::kCompletionChecksumOffset, 4);
    EXPECT_EQ(crc, pcie::Crc32(rec, pcie::kCompletionChecksumOffset));
    return pcie::DecodeCompletion(rec);
  }
  void ResetDevice() {
    Write(reg::kControl, field::kControlReset.mask());
    Ring();
    ASSERT_TRUE(Eventually([&] { return (Read(reg::kControl) & field::kControlReset.mask()) == 0; }));
  }

  FakeDeviceTransport fake_{FakeConfig()};
  std::unique_ptr<PcieDeviceModel> model_;
  volatile uint32_t* bar_ = nullptr;
  uint8_t* win_ = nullptr;
  int doorbell_ = -1;
};

TEST_F(HostileRing, BadDescriptorsAreRefusedOneByOne) {
  ConfigureGood();
  auto expect = [&](pcie::Descriptor d, pcie::CplStatus want, const char* why) {
    static uint32_t seq = 100;
    d.seq = ++seq;
    const pcie::Completion c = Submit(d);
    EXPECT_EQ(c.seq, d.seq) << why;
    EXPECT_EQ(c.status, static_cast<uint32_t>(want)) << why << ": " << reinterpret_cast<const char*>(c.error_text);
  };
  pcie::Descriptor d;
  d.opcode = 99;
  expect(d, pcie::CplStatus::kBadDescriptor, "unknown opcode");
  d = {};
  d.opcode = static_cast<uint16_t>(pcie::Opcode::kNop);
  d.flags = 1;
  expect(d, pcie::CplStatus::kBadDescriptor, "flags");
  d = {};
  d.opcode = static_cast<uint16_t>(pcie::Opcode::kNop);
  d.length = 4;
  expect(d, pcie::CplStatus::kBadDescriptor, "NOP with operands");
  d = {};
  d.opcode = static_cast<uint16_t>(pcie::Opcode::kWriteAbuf);
  d.dma_addr = (1u << 20) - 8;
  d.length = 16;
  expect(d, pcie::CplStatus::kDmaOutOfWindow, "write straddling the window end");
  d.dma_addr = ~uint64_t{0} - 4;
  d.length = 16;
  expect(d, pcie::CplStatus::kDmaOutOfWindow, "address wrapping");
  d.dma_addr = 8192;
  d.length = 0;
  expect(d, pcie::CplStatus::kBadDescriptor, "zero length");
  d.length = 16;
  d.device_addr = FakeConfig().abuf_bytes - 8;
  expect(d, pcie::CplStatus::kDeviceAddrOutOfRange, "past ABUF");
  d = {};
  d.opcode = static_cast<uint16_t>(pcie::Opcode::kReadPbuf);
  d.dma_addr = 8192;
  d.length = 16;
  d.table_addr = 5;
  expect(d, pcie::CplStatus::kBadDescriptor, "table_addr on a read");
  // RUN: program outside, table outside, a region outside, reserved flags.
  d = {};
  d.opcode = static_cast<uint16_t>(pcie::Opcode::kRun);
  d.dma_addr = 16384;
  d.length = 0x7fffff;
  d.table_addr = 12288;
  expect(d, pcie::CplStatus::kBadDescriptor, "program too long");
  d.length = 1u << 16;  // 2 MiB of words: beyond the 1 MiB window
  expect(d, pcie::CplStatus::kDmaOutOfWindow, "program outside");
  d.length = 2;
  d.table_addr = (1u << 20) - 100;
  expect(d, pcie::CplStatus::kDmaOutOfWindow, "table outside");
  d.table_addr = 12288;
  std::memset(win_ + 12288, 0, pcie::kNumRegionEntries * pcie::kRegionEntryBytes);
  pcie::RegionEntry e;
  e.dma_addr = 1u << 19;
  e.size = 1u << 20;
  e.flags = 1;
  pcie::EncodeRegionEntry(e, win_ + 12288 + 3 * pcie::kRegionEntryBytes);
  expect(d, pcie::CplStatus::kDmaOutOfWindow, "region outside");
  e.size = 64;
  e.flags = 8;
  pcie::EncodeRegionEntry(e, win_ + 12288 + 3 * pcie::kRegionEntryBytes);
  expect(d, pcie::CplStatus::kBadDescriptor, "reserved region flags");
  e = {};
  e.dma_addr = 4;  // unmapped entry with an address
  pcie::EncodeRegionEntry(e, win_ + 12288 + 3 * pcie::kRegionEntryBytes);
  expect(d, pcie::CplStatus::kBadDescriptor, "unmapped entry with fields");
  EXPECT_EQ(fake_.runs, 0);
  // And a good one still runs.
  std::memset(win_ + 12288, 0, pcie::kNumRegionEntries * pcie::kRegionEntryBytes);
  expect(d, pcie::CplStatus::kOk, "good RUN");
  EXPECT_EQ(fake_.runs, 1);
  EXPECT_EQ(Read(reg::kStatus) & field::kStatusError.mask(), 0u);
}

TEST_F(HostileRing, BadRingConfigurationStopsTheRingUntilReset) {
  struct Case {
    uint64_t wbase, wsize, ring;
    uint32_t n;
    uint64_t cpl;
    uint32_t code;
  };
  const uint32_t kRing = static_cast<uint32_t>(pcie::ErrorCode::kRingConfig);
  const uint32_t kWin = static_cast<uint32_t>(pcie::ErrorCode::kWindowConfig);
  const Case cases[] = {
      {0, 0, 0, 4, 4096, kWin},                       // empty window
      {0, 2u << 20, 0, 4, 4096, kWin},                // beyond the exported memory
      {~uint64_t{0} - 10, 100, 0, 4, 4096, kWin},     // wrapping window
      {0, 1u << 20, 0, 3, 4096, kRing},               // ring size not a power of two
      {0, 1u << 20, 0, 512, 4096, kRing},             // ring too large
      {0, 1u << 20, 8, 4, 4096, kRing},               // misaligned ring
      {0, 1u << 20, (1u << 20) - 64, 4, 4096, kRing}, // ring past the window
      {4096, 8192, 0, 4, 4096, kRing},                // ring below the window
      {0, 1u << 20, 0, 4, (1u << 20) - 512, kRing},   // completions past the window
  };
  for (const Case& c : cases) {
    Configure(c.wbase, c.wsize, c.ring, c.n, c.cpl);
    ASSERT_TRUE(Eventually([&] { return Read(reg::kStatus) & field::kStatusError.mask(); }))
        << "no error for ring 0x" << std::hex << c.ring << " size " << c.n;
    EXPECT_EQ(Read(reg::kErrorCode), c.code);
    EXPECT_EQ(Read(reg::kStatus) & field::kStatusEnabled.mask(), 0u);
    ResetDevice();
    EXPECT_EQ(Read(reg::kStatus) & field::kStatusError.mask(), 0u);
  }
  ConfigureGood();
}

TEST_F(HostileRing, DoorbellBeyondTheRingIsAnError) {
  ConfigureGood();
  Write(reg::kRingTail, 1000);  // 1000 descriptors "ready" in a 4-entry ring
  Ring();
  ASSERT_TRUE(Eventually([&] { return Read(reg::kStatus) & field::kStatusError.mask(); }));
  EXPECT_EQ(Read(reg::kErrorCode), static_cast<uint32_t>(pcie::ErrorCode::kBadTail));
  EXPECT_EQ(Read(reg::kErrorDetail), 1000u);
  EXPECT_EQ(fake_.runs, 0);
  ResetDevice();
  ConfigureGood();
  pcie::Descriptor d;
  d.opcode = static_cast<uint16_t>(pcie::Opcode::kNop);
  d.seq = 5;
  EXPECT_EQ(Submit(d).status, 0u);
}

TEST_F(HostileRing, ScribbledIdRegistersAreRestoredByReset) {
  Write(reg::kIdMagic, 0);
  Write(reg::kHwAbufBytes, 0);
  ResetDevice();
  EXPECT_EQ(Read(reg::kIdMagic), pcie::kMagic);
  EXPECT_EQ(Read(reg::kHwAbufBytes), FakeConfig().abuf_bytes);
}

// ---------------------------------------------------------------------------
// The host side against malformed shared memory and registers.

int SealedMemfd(uint64_t bytes, bool seal = true) {
  const int fd = ::memfd_create("t", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(::ftruncate(fd, static_cast<off_t>(bytes)), 0);
  if (seal) {
    EXPECT_EQ(::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
  }
  return fd;
}

PcieShmFds RawFds(uint64_t dma_bytes, bool seal = true) {
  PcieShmFds f;
  f.bar_fd = SealedMemfd(pcie::kBar0Bytes, seal);
  f.dma_fd = SealedMemfd(dma_bytes, seal);
  f.doorbell_fd = ::eventfd(0, EFD_CLOEXEC);
  f.irq_fd = ::eventfd(0, EFD_CLOEXEC);
  f.dma_bytes = dma_bytes;
  return f;
}

TEST(PcieShm, UnsealedOrShortMemoryIsRefused) {
  StatusOr<std::unique_ptr<PcieMapping>> m = MakeShmMapping(RawFds(2u << 20, /*seal=*/false), "x");
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(Contains(m.status(), "F_SEAL_SHRINK")) << m.status().ToString();
  PcieShmFds f = RawFds(2u << 20);
  f.dma_bytes = 4u << 20;  // claims more than the memfd holds
  m = MakeShmMapping(f, "x");
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(Contains(m.status(), "DMA window memory")) << m.status().ToString();
  PcieShmFds g = RawFds(2u << 20);
  ::close(g.irq_fd);
  g.irq_fd = -1;
  EXPECT_FALSE(MakeShmMapping(g, "x").ok());
}

// Valid identification and capability registers of an 8x8 device, and
// STATUS = 1, written by hand into a BAR.
void WriteGoodIds(volatile uint32_t* bar) {
  pcie::WriteReg(bar, reg::kIdMagic, pcie::kMagic);
  pcie::WriteReg(bar, reg::kIdPci, field::kIdPciVendor.Make(pcie::kPciVendorId) |
                                       field::kIdPciDevice.Make(pcie::kPciDeviceId));
  pcie::WriteReg(bar, reg::kRegmapVersion, pcie::kRegMapVersion);
  pcie::WriteReg(bar, reg::kHwArray, field::kHwArrayRows.Make(8) | field::kHwArrayCols.Make(8));
  pcie::WriteReg(bar, reg::kHwAbufBytes, 65536);
  pcie::WriteReg(bar, reg::kHwPbufBytes, 65536);
  pcie::WriteReg(bar, reg::kHwAccRows, 1024);
  pcie::WriteReg(bar, reg::kHwClockHz, 500000000);
  pcie::WriteReg(bar, reg::kHwQueues, field::kHwQueuesQueueDepth.Make(32) | field::kHwQueuesTokenDepth.Make(32));
  pcie::WriteReg(bar, reg::kHwLinkBytesPerS, 400000000);
  pcie::WriteReg(bar, reg::kHwLinkLatencyNs, 20000);
  pcie::WriteReg(bar, reg::kStatus, 1);
}

// A BAR the test fills by hand (no device behind it).
struct RawBar {
  RawBar() {
    auto m = MakeShmMapping(RawFds(2u << 20), "raw");
    EXPECT_TRUE(m.ok());
    mapping = std::move(m).value();
    bar = mapping->bar0();
    WriteGoodIds(bar);
  }
  Status Open() {
    TransportOptions o;
    o.timeout_ms = 200;
    return OpenPcieTransportOver(std::move(mapping), o).status();
  }
  std::unique_ptr<PcieMapping> mapping;
  volatile uint32_t* bar = nullptr;
};

TEST(PcieShm, BadIdentificationRegistersAreNamed) {
  {
    RawBar b;
    pcie::WriteReg(b.bar, reg::kIdMagic, 0x12345678);
    Status s = b.Open();
    EXPECT_EQ(s.code(), StatusCode::kNotFound) << s.ToString();
    EXPECT_TRUE(Contains(s, "ID_MAGIC 0x12345678")) << s.ToString();
  }
  {
    RawBar b;
    pcie::WriteReg(b.bar, reg::kIdMagic, 0xFFFFFFFF);
    EXPECT_EQ(b.Open().code(), StatusCode::kUnavailable);
  }
  {
    RawBar b;
    pcie::WriteReg(b.bar, reg::kIdPci, 0x12348086);
    EXPECT_EQ(b.Open().code(), StatusCode::kNotFound);
  }
  {
    RawBar b;
    pcie::WriteReg(b.bar, reg::kRegmapVersion, 99);
    Status s = b.Open();
    EXPECT_EQ(s.code(), StatusCode::kUnimplemented) << s.ToString();
    EXPECT_TRUE(Contains(s, "version 99")) << s.ToString();
  }
  {
    RawBar b;
    pcie::WriteReg(b.bar, reg::kHwArray, 0);  // 0x0 array
    Status s = b.Open();
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
    EXPECT_TRUE(Contains(s, "invalid configuration")) << s.ToString();
  }
  {
    // Good IDs, but nobody answers the reset: DEADLINE_EXCEEDED, not a hang.
    RawBar b;
    const auto t0 = std::chrono::steady_clock::now();
    Status s = b.Open();
    EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded) << s.ToString();
    EXPECT_TRUE(Contains(s, "CONTROL.RESET")) << s.ToString();
    EXPECT_LT(std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count(), 1500);
  }
}

// A scripted hostile device (test only): a thread that plays the device side
// of BAR0 by hand, answering reset and enable correctly and each command
// with whatever `respond` writes, so the driver meets records and registers
// the real device model never produces.
class ScriptedDevice {
 public:
  // respond(bar, window, index, descriptor): writes the completion (or not).
  using Respond = std::function<void(volatile uint32_t*, uint8_t*, uint32_t, const pcie::Descriptor&)>;
  explicit ScriptedDevice(Respond respond) : respond_(std::move(respond)) {
    // Two mappings of the same memory: the device's own (alive as long as
    // this object) and the one the transport takes.
    PcieShmFds f = RawFds(2u << 20);
    PcieShmFds mine = f;
    for (int* fd : {&mine.bar_fd, &mine.dma_fd, &mine.doorbell_fd, &mine.irq_fd}) *fd = ::fcntl(*fd, F_DUPFD_CLOEXEC, 0);
    doorbell_ = mine.doorbell_fd;
    irq_ = mine.irq_fd;
    auto own = MakeShmMapping(mine, "scripted-device");
    EXPECT_TRUE(own.ok());
    own_ = std::move(own).value();
    auto m = MakeShmMapping(f, "scripted");
    EXPECT_TRUE(m.ok());
    mapping_ = std::move(m).value();
    bar_ = own_->bar0();
    win_ = own_->dma_host();
    WriteGoodIds(bar_);
    thread_ = std::thread([this] { Loop(); });
  }
  ~ScriptedDevice() {
    stop_ = true;
    const uint64_t one = 1;
    EXPECT_EQ(::write(doorbell_, &one, 8), 8);
    thread_.join();
  }
  StatusOr<std::unique_ptr<Transport>> Open() {
    TransportOptions o;
    o.timeout_ms = 300;
    return OpenPcieTransportOver(std::move(mapping_), o);
  }

 private:
  void Irq() {
    const uint64_t one = 1;
    EXPECT_EQ(::write(irq_, &one, 8), 8);
  }
  void Loop() {
    uint32_t head = 0;
    while (!stop_) {
      pollfd p{doorbell_, POLLIN, 0};
      if (::poll(&p, 1, 1000) <= 0) continue;
      uint64_t v;
      while (::read(doorbell_, &v, 8) == 8) {
      }
      const uint32_t control = pcie::ReadControl(bar_);
      if (control & field::kControlReset.mask()) {
        head = 0;
        pcie::WriteReg(bar_, reg::kCplHead, 0);
        pcie::WriteReg(bar_, reg::kStatus, 1);
        pcie::WriteControl(bar_, 0);
        Irq();
        continue;
      }
      if (control & field::kControlEnable.mask()) pcie::WriteReg(bar_, reg::kStatus, 1 | field::kStatusEnabled.mask());
      const uint32_t tail = pcie::ReadRingTail(bar_);
      while (head != tail) {
        const pcie::Descriptor d = pcie::DecodeDescriptor(win_ + (head % 16) * pcie::kDescriptorBytes);
        respond_(bar_, win_, head, d);
        ++head;
        Irq();
      }
    }
  }
  Respond respond_;
  std::unique_ptr<PcieMapping> own_, mapping_;
  volatile uint32_t* bar_ = nullptr;
  uint8_t* win_ = nullptr;
  int doorbell_ = -1, irq_ = -1;  // owned by own_
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Writes a completion record for descriptor `index` (CRC computed), then CPL_HEAD.
void Complete(volatile uint32_t* bar, uint8_t* win, uint32_t index, pcie::Completion c, uint32_t cpl_head) {
  uint8_t rec[pcie::kCompletionBytes];
  pcie::EncodeCompletion(c, rec);
  const uint32_t crc = pcie::Crc32(rec, pcie::kCompletionChecksumOffset);
  std::memcpy(rec + pcie::kCompletionChecksumOffset, &crc, 4);
  std::memcpy(win + 4096 + (index % 16) * pcie::kCompletionBytes, rec, sizeof rec);
  pcie::WriteReg(bar, reg::kCplHead, cpl_head);
}

pcie::Completion OkFor(const pcie::Descriptor& d) {
  pcie::Completion c;
  c.seq = d.seq;
  c.opcode = d.opcode;
  return c;
}

Status ReadSome(Transport& t) {
  std::vector<uint8_t> b(64);
  return t.ReadMemory(isa::Buffer::kAbuf, 0, b.data(), b.size());
}

TEST(PcieHostileDevice, CplHeadJumpingIsDataLoss) {
  ScriptedDevice dev([](volatile uint32_t* bar, uint8_t* win, uint32_t i, const pcie::Descriptor& d) {
    Complete(bar, win, i, OkFor(d), i + 7);
  });
  auto t = dev.Open();
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  Status s = ReadSome(**t);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  EXPECT_TRUE(Contains(s, "CPL_HEAD moved from 0 to 7")) << s.ToString();
}

TEST(PcieHostileDevice, ErrorTextIsBoundedAndPrintable) {
  ScriptedDevice dev([](volatile uint32_t* bar, uint8_t* win, uint32_t i, const pcie::Descriptor& d) {
    pcie::Completion c = OkFor(d);
    c.status = static_cast<uint16_t>(pcie::CplStatus::kExecError);
    c.detail = static_cast<uint32_t>(StatusCode::kFailedPrecondition);
    std::memset(c.error_text, 'A', sizeof c.error_text);  // no NUL at all
    c.error_text[3] = 0x07;                              // a control character
    c.error_text_len = i == 0 ? sizeof c.error_text : 5000;
    Complete(bar, win, i, c, i + 1);
  });
  auto t = dev.Open();
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  Status s = ReadSome(**t);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_EQ(s.message().size(), pcie::kErrorTextBytes);
  EXPECT_EQ(s.message().substr(0, 5), "AAA?A");
  s = ReadSome(**t);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  EXPECT_TRUE(Contains(s, "error_text_len 5000")) << s.ToString();
}

TEST(PcieHostileDevice, UnknownExecErrorCodeAndStaleRecordsAreDataLoss) {
  ScriptedDevice dev([](volatile uint32_t* bar, uint8_t* win, uint32_t i, const pcie::Descriptor& d) {
    pcie::Completion c = OkFor(d);
    if (i == 0) {
      c.status = static_cast<uint16_t>(pcie::CplStatus::kExecError);
      c.detail = 999;
      Complete(bar, win, i, c, i + 1);
    } else if (i == 1) {
      pcie::WriteReg(bar, reg::kCplHead, i + 1);  // advances the head, writes no record (the slot is zero)
    } else {
      c.opcode = 1;  // the record of another command
      Complete(bar, win, i, c, i + 1);
    }
  });
  auto t = dev.Open();
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  Status s = ReadSome(**t);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  EXPECT_TRUE(Contains(s, "unknown status code 999")) << s.ToString();
  // The scripted device's head restarts at 0 after the driver's reset.
  s = ReadSome(**t);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
}

TEST(PcieHostileDevice, ErrorWithoutCompletionAndSilenceAreBounded) {
  std::atomic<int> mode{0};
  ScriptedDevice dev([&](volatile uint32_t* bar, uint8_t*, uint32_t, const pcie::Descriptor&) {
    if (mode == 0) {
      pcie::WriteReg(bar, reg::kErrorCode, 77);  // an ERROR_CODE no spec value has
      pcie::WriteReg(bar, reg::kStatus, 1 | field::kStatusEnabled.mask() | field::kStatusError.mask());
    }
    // mode 1: nothing at all
  });
  auto t = dev.Open();
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  Status s = ReadSome(**t);
  EXPECT_EQ(s.code(), StatusCode::kInternal) << s.ToString();
  EXPECT_TRUE(Contains(s, "ERROR_CODE unknown (77)")) << s.ToString();
  mode = 1;
  const auto t0 = std::chrono::steady_clock::now();
  s = ReadSome(**t);
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded) << s.ToString();
  EXPECT_LT(std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count(), 1500);
}

// ---------------------------------------------------------------------------
// fd passing and the sysfs scan.

TEST(PcieFdPassing, RoundTripOverASocketPair) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  FakeDeviceTransport fake(FakeConfig());
  PcieDeviceModelOptions o;
  o.dma_bytes = 2u << 20;
  auto model = PcieDeviceModel::Create(&fake, o);
  ASSERT_TRUE(model.ok());
  StatusOr<PcieShmFds> fds = (*model)->ExportFds();
  ASSERT_TRUE(fds.ok());
  ASSERT_TRUE(SendPcieFds(sv[0], *fds).ok());
  for (int fd : {fds->bar_fd, fds->dma_fd, fds->doorbell_fd, fds->irq_fd}) ::close(fd);
  StatusOr<PcieShmFds> got = ReceivePcieFds(sv[1], Clock::now() + milliseconds(500));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->dma_bytes, 2u << 20);
  auto map = MakeShmMapping(*got, "socketpair");
  ASSERT_TRUE(map.ok()) << map.status().ToString();
  TransportOptions to;
  to.timeout_ms = 1000;
  auto t = OpenPcieTransportOver(std::move(map).value(), to);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_TRUE(RunAndCheck(**t).ok());
  ::close(sv[0]);
  ::close(sv[1]);
}

TEST(PcieFdPassing, MalformedMessagesAreRefusedWithoutLeaks) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  // Bytes without descriptors.
  uint8_t junk[24] = {1, 2, 3};
  ASSERT_EQ(::write(sv[0], junk, sizeof junk), 24);
  StatusOr<PcieShmFds> r = ReceivePcieFds(sv[1], Clock::now() + milliseconds(200));
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().ToString();
  // Right magic, too few descriptors.
  PcieShmFds f;
  f.bar_fd = f.dma_fd = f.doorbell_fd = f.irq_fd = ::eventfd(0, EFD_CLOEXEC);
  ASSERT_TRUE(SendPcieFds(sv[0], f).ok());  // the same fd four times: four received
  r = ReceivePcieFds(sv[1], Clock::now() + milliseconds(200));
  ASSERT_TRUE(r.ok());  // the fd message is well-formed; the mapping refuses eventfds as memory
  EXPECT_FALSE(MakeShmMapping(*r, "x").ok());
  ::close(f.bar_fd);
  // Nothing sent: a timeout, then the peer closing.
  r = ReceivePcieFds(sv[1], Clock::now() + milliseconds(50));
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  ::close(sv[0]);
  r = ReceivePcieFds(sv[1], Clock::now() + milliseconds(200));
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  ::close(sv[1]);
}

TEST(PcieEnumerate, ScansSysfsForTheSystoleIds) {
  char tmpl[] = "/tmp/pcie_sysfs_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string root = tmpl;
  auto add = [&](const std::string& addr, const char* vendor, const char* device) {
    ASSERT_EQ(::mkdir((root + "/" + addr).c_str(), 0700), 0);
    std::ofstream(root + "/" + addr + "/vendor") << vendor << "\n";
    std::ofstream(root + "/" + addr + "/device") << device << "\n";
  };
  add("0000:03:00.0", "0x1d6b", "0x5379");
  add("0000:00:1f.0", "0x8086", "0xa0c8");
  add("0000:01:00.0", "0x1d6b", "0x5379");
  add("0000:02:00.0", "0x1d6b", "0x0002");
  ASSERT_EQ(::mkdir((root + "/0000:04:00.0").c_str(), 0700), 0);  // unreadable ids: skipped
  const std::vector<std::string> found = ListSystolePciFunctions(root);
  EXPECT_EQ(found, (std::vector<std::string>{"0000:01:00.0", "0000:03:00.0"}));
  EXPECT_TRUE(ListSystolePciFunctions(root + "/nonexistent").empty());
  std::system(("rm -rf " + root).c_str());
}

TEST(PcieOpen, DeviceStringsAreCheckedAndHardwareAbsenceIsAnError) {
  StatusOr<std::unique_ptr<Transport>> t = OpenPcieTransport("banana", TransportOptions{});
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument) << t.status().ToString();
  t = OpenPcieTransport("7", TransportOptions{});  // no Systole function on this machine
  EXPECT_EQ(t.status().code(), StatusCode::kNotFound) << t.status().ToString();
  t = OpenPcieTransport("0000:ff:1f.7", TransportOptions{});  // no such function: VFIO cannot open it
  EXPECT_FALSE(t.ok());
  EXPECT_TRUE(Contains(t.status(), "0000:ff:1f.7")) << t.status().ToString();
  EXPECT_TRUE(EnumeratePcieDevices().empty());
}

// ---------------------------------------------------------------------------
// Through `systole serve`'s server (in-process, on a fake device): the
// PCIE_ATTACH hook, fd passing over its Unix socket, session isolation, the
// server going away.

class PcieServer : public ::testing::Test {
 protected:
  void Start(bool with_pcie, bool allow_faults = false) {
    char tmpl[] = "/tmp/pcie_srv_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/s.sock";
    DeviceHostOptions ho;
    ho.allow_faults = allow_faults;
    host_ = std::make_unique<DeviceHost>(std::make_unique<FakeDeviceTransport>(FakeConfig()), ho);
    ServerOptions so;
    so.listen = "unix:" + path_;
    if (with_pcie) {
      PcieServeOptions po;
      po.dma_bytes = 2u << 20;
      so.pcie_attach = MakePcieAttachHook(po);
    }
    auto srv = Server::Listen(host_.get(), so);
    ASSERT_TRUE(srv.ok()) << srv.status().ToString();
    server_ = std::move(srv).value();
    thread_ = std::thread([this] { serve_status_ = server_->Serve(); });
  }
  void StopServer() {
    if (server_ != nullptr) server_->Stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }
  void TearDown() override {
    StopServer();
    host_.reset();
    if (!dir_.empty()) ::rmdir(dir_.c_str());
  }
  StatusOr<std::unique_ptr<Transport>> Open(int timeout_ms = 1000) {
    TransportOptions o;
    o.timeout_ms = timeout_ms;
    return OpenPcieTransport("unix:" + path_, o);
  }

  std::string dir_, path_;
  std::unique_ptr<DeviceHost> host_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  Status serve_status_;
};

TEST_F(PcieServer, AttachRunAndIsolateClients) {
  Start(true);
  auto a = Open();
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = Open();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ((*a)->Identify().location, "unix:" + path_);
  EXPECT_EQ((*a)->config().pbuf_bytes, FakeConfig().pbuf_bytes);
  EXPECT_TRUE(RunAndCheck(**a, 5, 5000).ok());
  EXPECT_TRUE(RunAndCheck(**b).ok());
  // Each attachment has its own on-chip memory contents.
  std::vector<uint8_t> mine(256, 0x5a), seen(256, 1);
  ASSERT_TRUE((*a)->WriteMemory(isa::Buffer::kAbuf, 0, mine.data(), mine.size()).ok());
  ASSERT_TRUE((*b)->ReadMemory(isa::Buffer::kAbuf, 0, seen.data(), seen.size()).ok());
  EXPECT_EQ(seen, std::vector<uint8_t>(256, 0));
  ASSERT_TRUE((*a)->ReadMemory(isa::Buffer::kAbuf, 0, seen.data(), seen.size()).ok());
  EXPECT_EQ(seen, mine);
}

TEST_F(PcieServer, WithoutPcieTheServerSaysSo) {
  Start(false);
  auto a = Open();
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), StatusCode::kUnimplemented) << a.status().ToString();
  EXPECT_TRUE(Contains(a.status(), "PCIe emulation not enabled")) << a.status().ToString();
}

TEST_F(PcieServer, NoServerIsUnavailable) {
  path_ = "/tmp/pcie_no_such_dir_xyz/s.sock";
  auto a = Open();
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), StatusCode::kUnavailable) << a.status().ToString();
}

TEST_F(PcieServer, ServerStoppingIsUnavailableWithinTheTimeout) {
  Start(true);
  auto a = Open(5000);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(RunAndCheck(**a).ok());
  const auto t0 = std::chrono::steady_clock::now();
  StopServer();  // closes every client connection
  Status s = RunAndCheck(**a);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_LT(std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count(), 2000);
}

TEST_F(PcieServer, FaultRegisterOnlyWithAllowFaults) {
  for (bool allow : {false, true}) {
    SCOPED_TRACE(allow ? "faults allowed" : "faults not allowed");
    Start(true, allow);
    TransportOptions o;
    o.timeout_ms = 300;
    auto m = AttachShmMapping(path_, o);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    volatile uint32_t* bar = (*m)->bar0();
    auto t = OpenPcieTransportOver(std::move(m).value(), o);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    pcie::WriteFaultInject(bar, static_cast<uint32_t>(pcie::Fault::kHang));
    Status s = RunAndCheck(**t);
    if (allow) {
      EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded) << s.ToString();
      EXPECT_TRUE(RunAndCheck(**t).ok());
    } else {
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
    t->reset();
    StopServer();
    host_.reset();
    ::rmdir(dir_.c_str());
  }
}

}  // namespace
}  // namespace systole::driver
