// The USB transport end to end: Device ("usb:0") -> FrameTransport -> the
// USB FrameLink -> the real libusb-1.0 -> umockdev -> the fake device's
// ioctl handler (usb_test_device.h) -> DeviceSession -> DeviceHost -> the
// in-process SystemC device. Results are compared bit-exact with the same
// executables on Device "sim". USB-level faults (unplug mid-inference,
// stall, timeout, short transfer) and the protocol's faults (FAULT: delay
// beyond the timeout, drop, truncate, corrupt, device error, disappear) each
// give a clear error within the timeout; the device is used again after
// each (reset, reconnect), and nothing is left running or outstanding.
// Run under umockdev-wrapper (ctest does).
#include <dirent.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "driver/device_internal.h"
#include "driver/device_session.h"
#include "driver/driver_test_util.h"
#include "driver/frame_transport.h"
#include "driver/usb_link.h"
#include "driver/usb_test_device.h"

namespace systole::driver {
namespace {

using namespace testutil;  // NOLINT
using std::chrono::milliseconds;
namespace p = protocol;

constexpr int kLinkTimeoutMs = 2000;
constexpr int kRunTimeoutMs = 400;

int ThreadCount() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') ++n;
    closedir(d);
  }
  return n;
}

class UsbTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<std::unique_ptr<Transport>> sim = OpenSimTransport(TestConfig(), false);
    ASSERT_TRUE(sim.ok()) << sim.status().ToString();
    DeviceHostOptions ho;
    ho.allow_faults = true;
    ho.firmware_version = "systole-usb-fake (umockdev)";
    host_ = std::make_unique<DeviceHost>(std::move(*sim), ho);
    auto d = FakeUsbDevice::Create(SystoleFakeUsbOptions(host_.get()));
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    usb_ = std::move(*d);
    reference_ = OpenSim();
    ASSERT_NE(reference_, nullptr);
  }
  void TearDown() override {
    reference_.reset();
    if (host_) host_->Shutdown();  // sessions held in a DELAY fault end now
    usb_.reset();
    host_.reset();
  }

  static DeviceOptions Options() {
    DeviceOptions o;
    o.timeout_ms = kLinkTimeoutMs;
    return o;
  }

  std::unique_ptr<Device> OpenUsb() {
    StatusOr<std::unique_ptr<Device>> d = Device::Open("usb:0", TestConfig(), Options());
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? std::move(*d) : nullptr;
  }

  // A Device over a USB transport the test keeps a pointer to (FAULT).
  std::unique_ptr<Device> OpenUsbWithTransport(Transport** transport) {
    TransportOptions to;
    to.timeout_ms = kLinkTimeoutMs;
    StatusOr<std::unique_ptr<Transport>> t = OpenUsbTransport(0, to);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    if (!t.ok()) return nullptr;
    *transport = t->get();
    const sim::DeviceConfig hw = TestConfig();
    StatusOr<std::unique_ptr<Device>> d = OpenDeviceOnTransport("usb:0", std::move(*t), &hw, Options());
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? std::move(*d) : nullptr;
  }

  // Runs the LUT executable on `dev` and on the reference sim with the same
  // input; expects the same bytes and cycles.
  void ExpectLutMatchesSim(Device& dev, uint32_t seed) {
    Xorshift32 rng(seed);
    const std::vector<uint8_t> lut = RandomBytes(rng, 256);
    const std::vector<uint8_t> bytes = Build(LutExecutable(lut));
    auto e = MustLoad(dev, bytes);
    auto r = MustLoad(*reference_, bytes);
    ASSERT_TRUE(e && r);
    const std::vector<uint8_t> in = RandomBytes(rng, kLutLen);
    std::vector<uint8_t> got, want;
    StatusOr<RunStats> s = Run1(dev, *e, in, &got);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    StatusOr<RunStats> w = Run1(*reference_, *r, in, &want);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    EXPECT_EQ(got, want);
    EXPECT_EQ(s->counters.cycles, w->counters.cycles);
  }

  // A run that fails: the status, and how long it took.
  Status FailingRun(Device& dev, LoadedExecutable& e, milliseconds* took, int timeout_ms = kRunTimeoutMs) {
    std::vector<uint8_t> in(kLutLen, 1), out(kLutLen);
    RunOptions ro;
    ro.timeout_ms = timeout_ms;
    const auto t0 = std::chrono::steady_clock::now();
    StatusOr<RunStats> s = dev.Run(e, {in.data()}, {out.data()}, ro);
    *took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0);
    return s.ok() ? Status::Ok() : s.status();
  }

  std::unique_ptr<DeviceHost> host_;
  std::unique_ptr<FakeUsbDevice> usb_;
  std::unique_ptr<Device> reference_;
};

TEST_F(UsbTransportTest, OpensIdentifiesAndEnumerates) {
  auto dev = OpenUsb();
  ASSERT_NE(dev, nullptr);
  const DeviceInfo info = dev->Info();
  EXPECT_EQ(info.transport, "usb");
  EXPECT_EQ(info.protocol_version, static_cast<uint32_t>(p::kVersion));
  EXPECT_EQ(info.firmware_version, "systole-usb-fake (umockdev)");
  EXPECT_NE(info.location.find("usb 001/002 (1209:0001) port 1-1"), std::string::npos) << info.location;
  EXPECT_EQ(dev->config().rows, TestConfig().rows);
  dev.reset();

  const std::vector<DeviceIdentity> ids = EnumerateUsbDevices();
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids[0].transport, "usb");
  EXPECT_EQ(ids[0].protocol_version, static_cast<uint32_t>(p::kVersion));
  EXPECT_EQ(ids[0].firmware_version, "systole-usb-fake (umockdev)");

  bool listed = false;
  for (const DeviceInfo& d : EnumerateDevices())
    if (d.spec == "usb:0") {
      listed = true;
      EXPECT_TRUE(d.has_config) << d.error;
      EXPECT_EQ(d.transport, "usb");
    }
  EXPECT_TRUE(listed);
}

// Listing while this process has the device open: it shows as not
// identified (the interface is claimed), and the open device is unaffected
// (the listing's own control transfers and URBs stay on its own connection).
TEST_F(UsbTransportTest, EnumeratingWhileOpenLeavesTheOpenDeviceAlone) {
  auto dev = OpenUsb();
  ASSERT_NE(dev, nullptr);
  ExpectLutMatchesSim(*dev, 61);
  for (int i = 0; i < 3; ++i) {
    const std::vector<DeviceIdentity> ids = EnumerateUsbDevices();
    ASSERT_EQ(ids.size(), 1u);
    EXPECT_NE(ids[0].description.find("Systole USB accelerator (umockdev emulation) serial EMU0001"),
              std::string::npos)
        << ids[0].description;
    EXPECT_NE(ids[0].description.find("LIBUSB_ERROR_BUSY"), std::string::npos) << ids[0].description;
    ExpectLutMatchesSim(*dev, 62 + i);
  }
}

TEST_F(UsbTransportTest, ConfigurationMismatchIsRefused) {
  sim::DeviceConfig other = TestConfig();
  other.rows = other.cols = 16;
  StatusOr<std::unique_ptr<Device>> d = Device::Open("usb:0", other, Options());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument) << d.status().ToString();
}

TEST_F(UsbTransportTest, RunsBitExactLikeTheInProcessSim) {
  auto dev = OpenUsb();
  ASSERT_NE(dev, nullptr);
  for (uint32_t seed : {1u, 2u, 3u}) ExpectLutMatchesSim(*dev, seed);

  // Two inputs at binding offsets, uint8 sign flips.
  for (bool uint8 : {false, true}) {
    const std::vector<uint8_t> bytes = Build(VaddExecutable(19, uint8));
    auto e = MustLoad(*dev, bytes);
    auto r = MustLoad(*reference_, bytes);
    ASSERT_TRUE(e && r);
    Xorshift32 rng(7);
    const std::vector<uint8_t> a = RandomBytes(rng, 19), b = RandomBytes(rng, 19);
    std::vector<uint8_t> got(19), want(19);
    ASSERT_TRUE(dev->Run(*e, {a.data(), b.data()}, {got.data()}).ok());
    ASSERT_TRUE(reference_->Run(*r, {a.data(), b.data()}, {want.data()}).ok());
    EXPECT_EQ(got, want);
  }
}

TEST_F(UsbTransportTest, ParametersAreUploadedOnce) {
  auto dev = OpenUsb();
  ASSERT_NE(dev, nullptr);
  Xorshift32 rng(11);
  auto a = MustLoad(*dev, Build(LutExecutable(RandomBytes(rng, 256))));
  auto b = MustLoad(*dev, Build(LutExecutable(RandomBytes(rng, 256))));
  ASSERT_TRUE(a && b);
  const std::vector<uint8_t> in = RandomBytes(rng, kLutLen);
  std::vector<uint8_t> out;
  const uint64_t out0 = usb_->stats().out_bytes;
  StatusOr<RunStats> s = Run1(*dev, *a, in, &out);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_GT(s->parameter_load_cycles, 0u);
  const uint64_t first = usb_->stats().out_bytes - out0;
  // Warm: the parameter chunk does not run again.
  const FrameTransportStats f1 = GetFrameTransportStats();
  s = Run1(*dev, *a, in, &out);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->parameter_load_cycles, 0u);
  const FrameTransportStats f2 = GetFrameTransportStats();
  // Another executable's parameters evict a's from PBUF: a's chunk runs
  // again, but its parameter region is already on the device (region_ids).
  ASSERT_TRUE(Run1(*dev, *b, in, &out).ok());
  const FrameTransportStats f3 = GetFrameTransportStats();
  s = Run1(*dev, *a, in, &out);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_GT(s->parameter_load_cycles, 0u);
  const FrameTransportStats f4 = GetFrameTransportStats();
  EXPECT_GT(f4.region_uploads_skipped, f3.region_uploads_skipped);
  // The warm run sent fewer bytes over bulk OUT than the first.
  EXPECT_LT(f2.bytes_sent - f1.bytes_sent, first);
}

TEST_F(UsbTransportTest, EightInferencesInFlightFromFourThreads) {
  auto dev = OpenUsb();
  ASSERT_NE(dev, nullptr);
  Xorshift32 rng(5);
  const std::vector<uint8_t> lut = RandomBytes(rng, 256);
  const std::vector<uint8_t> bytes = Build(LutExecutable(lut));
  auto e = MustLoad(*dev, bytes);
  auto r = MustLoad(*reference_, bytes);
  ASSERT_TRUE(e && r);
  constexpr int kThreads = 4, kPerThread = 2;
  std::vector<std::vector<uint8_t>> in(kThreads * kPerThread), got(in.size()), want(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    in[i] = RandomBytes(rng, kLutLen);
    ASSERT_TRUE(Run1(*reference_, *r, in[i], &want[i]).ok());
    got[i].assign(kLutLen, 0xEE);
  }
  std::vector<std::thread> threads;
  std::vector<Status> results(in.size());
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::shared_ptr<Inference>> mine;
      for (int k = 0; k < kPerThread; ++k) {
        const int i = t * kPerThread + k;
        StatusOr<std::shared_ptr<Inference>> inf = dev->Submit(*e, {in[i].data()}, {got[i].data()});
        if (!inf.ok()) {
          results[i] = inf.status();
          continue;
        }
        mine.push_back(*inf);
      }
      for (int k = 0; k < static_cast<int>(mine.size()); ++k) {
        StatusOr<RunStats> s = mine[k]->Wait(10000);
        results[t * kPerThread + k] = s.ok() ? Status::Ok() : s.status();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_TRUE(results[i].ok()) << i << ": " << results[i].ToString();
    EXPECT_EQ(got[i], want[i]) << i;
  }
}

// ---------------------------------------------------------------------------
// USB-level faults.

TEST_F(UsbTransportTest, UnplugMidInferenceIsUnavailableAndReplugRecovers) {
  Transport* t = nullptr;
  auto dev = OpenUsbWithTransport(&t);
  ASSERT_NE(dev, nullptr);
  auto e = MustLoad(*dev, Build(LutExecutable(std::vector<uint8_t>(256, 4))));
  ASSERT_TRUE(e);
  // The run's reply is held back on the device: the unplug lands while the
  // host waits for it.
  ASSERT_TRUE(InjectFault(*t, p::FaultKind::kDelay, 1500, static_cast<uint16_t>(p::Opcode::kRun)).ok());
  std::thread unplug([&] {
    std::this_thread::sleep_for(milliseconds(100));
    usb_->Unplug();
  });
  milliseconds took{};
  Status st = FailingRun(*dev, *e, &took, 1200);
  unplug.join();
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.ToString();
  EXPECT_TRUE(Contains(st, "device unplugged")) << st.ToString();
  EXPECT_LT(took, milliseconds(1200));
  // Still gone: the next run says so (the reset cannot reconnect).
  st = FailingRun(*dev, *e, &took);
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(Contains(st, "device gone") || Contains(st, "unplugged")) << st.ToString();
  // Plugged back in at the same port: the device is used again.
  // (The abandoned session still sleeps in its DELAY; the new one has its
  // own firmware thread.)
  ASSERT_TRUE(usb_->Replug().ok());
  std::vector<uint8_t> out;
  StatusOr<RunStats> s = Internal("not run");
  for (int i = 0; i < 3; ++i) {  // the failed reset may need a run to recover
    s = Run1(*dev, *e, std::vector<uint8_t>(kLutLen, 2), &out);
    if (s.ok()) break;
  }
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(out, std::vector<uint8_t>(kLutLen, 4));
}

TEST_F(UsbTransportTest, StalledEndpointsAreDataLossThenRecover) {
  auto dev = OpenUsb();
  ASSERT_NE(dev, nullptr);
  auto e = MustLoad(*dev, Build(LutExecutable(std::vector<uint8_t>(256, 6))));
  ASSERT_TRUE(e);
  for (uint8_t ep : {kFakeUsbBulkIn, kFakeUsbInterruptIn, kFakeUsbBulkOut}) {
    usb_->Stall(ep);
    milliseconds took{};
    Status st = FailingRun(*dev, *e, &took);
    EXPECT_EQ(st.code(), StatusCode::kDataLoss) << StrFormat("ep 0x%02x: ", ep) << st.ToString();
    EXPECT_TRUE(Contains(st, StrFormat("0x%02x: endpoint stalled (LIBUSB_ERROR_PIPE)", ep))) << st.ToString();
    EXPECT_LT(took, milliseconds(kRunTimeoutMs + kLinkTimeoutMs));
    ExpectLutMatchesSim(*dev, ep);  // the reset cleared the halt
  }
}

TEST_F(UsbTransportTest, HungEndpointTimesOutThenRecovers) {
  auto dev = OpenUsb();
  ASSERT_NE(dev, nullptr);
  auto e = MustLoad(*dev, Build(LutExecutable(std::vector<uint8_t>(256, 6))));
  ASSERT_TRUE(e);
  std::vector<uint8_t> warm;
  ASSERT_TRUE(Run1(*dev, *e, std::vector<uint8_t>(kLutLen, 0), &warm).ok());
  usb_->Hang(kFakeUsbInterruptIn, true);  // the completion never arrives
  milliseconds took{};
  Status st = FailingRun(*dev, *e, &took);
  EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded) << st.ToString();
  EXPECT_LT(took, milliseconds(kRunTimeoutMs + 1500));
  usb_->Hang(kFakeUsbInterruptIn, false);
  ExpectLutMatchesSim(*dev, 21);
  usb_->Hang(kFakeUsbBulkOut, true);  // the device takes no bytes
  st = FailingRun(*dev, *e, &took);
  EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded) << st.ToString();
  EXPECT_LT(took, milliseconds(kLinkTimeoutMs + 1500));
  usb_->Hang(kFakeUsbBulkOut, false);
  ExpectLutMatchesSim(*dev, 22);
}

TEST_F(UsbTransportTest, ShortTransferIsDataLossThenRecovers) {
  auto dev = OpenUsb();
  ASSERT_NE(dev, nullptr);
  auto e = MustLoad(*dev, Build(LutExecutable(std::vector<uint8_t>(256, 6))));
  ASSERT_TRUE(e);
  for (uint8_t ep : {kFakeUsbBulkIn, kFakeUsbInterruptIn}) {
    usb_->ShortNextIn(ep, p::kHeaderBytes + 2);
    const FakeUsbStats before = usb_->stats();
    milliseconds took{};
    Status st = FailingRun(*dev, *e, &took);
    const FakeUsbStats after = usb_->stats();
    EXPECT_GT(after.frames_bulk_in + after.frames_interrupt, before.frames_bulk_in + before.frames_interrupt);
    EXPECT_EQ(st.code(), StatusCode::kDataLoss) << st.ToString();
    EXPECT_TRUE(Contains(st, "short transfer")) << st.ToString();
    EXPECT_LT(took, milliseconds(kRunTimeoutMs + 1500));
    ExpectLutMatchesSim(*dev, 30 + ep);
  }
}

// ---------------------------------------------------------------------------
// The protocol's faults (FAULT), carried over USB.

struct ProtocolFault {
  p::FaultKind kind;
  uint32_t arg;
  p::Opcode opcode;
  StatusCode code;
  const char* needle;
};

TEST_F(UsbTransportTest, ProtocolFaultsGiveClearErrorsAndTheDeviceIsReused) {
  Transport* t = nullptr;
  auto dev = OpenUsbWithTransport(&t);
  ASSERT_NE(dev, nullptr);
  auto e = MustLoad(*dev, Build(LutExecutable(std::vector<uint8_t>(256, 9))));
  ASSERT_TRUE(e);
  const ProtocolFault faults[] = {
      {p::FaultKind::kDelay, kRunTimeoutMs + 400, p::Opcode::kRun, StatusCode::kDeadlineExceeded, ""},
      {p::FaultKind::kDrop, 0, p::Opcode::kRun, StatusCode::kDeadlineExceeded, ""},
      {p::FaultKind::kTruncate, 0, p::Opcode::kReadMemory, StatusCode::kDataLoss, "short transfer"},
      {p::FaultKind::kCorrupt, 0, p::Opcode::kReadMemory, StatusCode::kDataLoss, ""},
      {p::FaultKind::kDeviceError, 0, p::Opcode::kRun, StatusCode::kInternal, ""},
  };
  for (const ProtocolFault& f : faults) {
    SCOPED_TRACE(p::FaultKindName(static_cast<uint32_t>(f.kind)));
    std::vector<uint8_t> warm;
    ASSERT_TRUE(Run1(*dev, *e, std::vector<uint8_t>(kLutLen, 0), &warm).ok());
    ASSERT_TRUE(InjectFault(*t, f.kind, f.arg, static_cast<uint16_t>(f.opcode)).ok());
    milliseconds took{};
    Status st = FailingRun(*dev, *e, &took);
    EXPECT_EQ(st.code(), f.code) << st.ToString();
    EXPECT_TRUE(Contains(st, f.needle)) << st.ToString();
    EXPECT_LT(took, milliseconds(kRunTimeoutMs + kLinkTimeoutMs));
    // Reset and reuse.
    std::vector<uint8_t> out;
    StatusOr<RunStats> s = Run1(*dev, *e, std::vector<uint8_t>(kLutLen, 5), &out);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ(out, std::vector<uint8_t>(kLutLen, 9));
  }
}

TEST_F(UsbTransportTest, DisappearingDeviceIsUnavailable) {
  Transport* t = nullptr;
  auto dev = OpenUsbWithTransport(&t);
  ASSERT_NE(dev, nullptr);
  auto e = MustLoad(*dev, Build(LutExecutable(std::vector<uint8_t>(256, 9))));
  ASSERT_TRUE(e);
  ASSERT_TRUE(InjectFault(*t, p::FaultKind::kDisappear, 0, static_cast<uint16_t>(p::Opcode::kRun)).ok());
  milliseconds took{};
  Status st = FailingRun(*dev, *e, &took);
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.ToString();
  EXPECT_TRUE(Contains(st, "device unplugged")) << st.ToString();
  EXPECT_LT(took, milliseconds(kRunTimeoutMs + kLinkTimeoutMs));
}

TEST_F(UsbTransportTest, CancelWhileRunningIsCancelled) {
  Transport* t = nullptr;
  auto dev = OpenUsbWithTransport(&t);
  ASSERT_NE(dev, nullptr);
  auto e = MustLoad(*dev, Build(LutExecutable(std::vector<uint8_t>(256, 3))));
  ASSERT_TRUE(e);
  std::vector<uint8_t> warm;
  ASSERT_TRUE(Run1(*dev, *e, std::vector<uint8_t>(kLutLen, 0), &warm).ok());
  ASSERT_TRUE(InjectFault(*t, p::FaultKind::kDelay, 800, static_cast<uint16_t>(p::Opcode::kRun)).ok());
  std::vector<uint8_t> in(kLutLen, 1), out(kLutLen, 0xEE);
  RunOptions ro;
  ro.timeout_ms = 5000;
  StatusOr<std::shared_ptr<Inference>> inf = dev->Submit(*e, {in.data()}, {out.data()}, ro);
  ASSERT_TRUE(inf.ok()) << inf.status().ToString();
  std::this_thread::sleep_for(milliseconds(100));
  const auto t0 = std::chrono::steady_clock::now();
  (*inf)->Cancel();
  StatusOr<RunStats> s = (*inf)->Wait(3000);
  EXPECT_EQ(s.status().code(), StatusCode::kCancelled) << s.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, milliseconds(1000));
  EXPECT_EQ(out, std::vector<uint8_t>(kLutLen, 0xEE));  // outputs untouched
  std::this_thread::sleep_for(milliseconds(800));       // the delayed device finishes
  ExpectLutMatchesSim(*dev, 41);
}

TEST_F(UsbTransportTest, NoThreadOrUrbLeftAfterClose) {
  // Baseline after one open/close: umockdev and udev start helper threads of
  // their own on first use.
  {
    auto dev = OpenUsb();
    ASSERT_NE(dev, nullptr);
    ExpectLutMatchesSim(*dev, 49);
  }
  std::this_thread::sleep_for(milliseconds(200));
  const int before = ThreadCount();
  for (int i = 0; i < 3; ++i) {
    auto dev = OpenUsb();
    ASSERT_NE(dev, nullptr);
    ExpectLutMatchesSim(*dev, 50 + i);
    dev->Close();
  }
  // The link's event thread and the Device's worker are joined; the fake
  // device's session thread ends once the interface is released (it may
  // take a moment to be scheduled).
  for (int i = 0; i < 100 && ThreadCount() != before; ++i) std::this_thread::sleep_for(milliseconds(10));
  EXPECT_EQ(ThreadCount(), before);
  EXPECT_EQ(usb_->urbs_outstanding(), 0u);
}

TEST_F(UsbTransportTest, NoDeviceIsUnavailable) {
  usb_->Unplug();
  StatusOr<std::unique_ptr<Device>> d = Device::Open("usb", TestConfig(), Options());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kUnavailable) << d.status().ToString();
  EXPECT_TRUE(Contains(d.status(), "no Systole USB device attached")) << d.status().ToString();
}

}  // namespace
}  // namespace systole::driver
