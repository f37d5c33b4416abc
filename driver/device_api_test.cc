// The Device API's contract: device strings, the asynchronous queue (several
// inferences in flight from several threads, bit-exact), Wait timeouts,
// Cancel, Close, destruction with work pending, recovery after failures.
//
// Suites:
//   DeviceSpecTest   parsing table (no device)
//   DeviceApiFake    a FakeTransport behind the real Transport interface,
//                    whose runs block until the test releases them: timing
//                    is decided by the test, not by a simulator. No SystemC:
//                    these run with LeakSanitizer on (driver/CMakeLists.txt).
//   DeviceApiSim     the in-process SystemC device (LeakSanitizer off, as
//                    for every SystemC test).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "driver/device_internal.h"
#include "driver/driver.h"
#include "driver/driver_test_util.h"

namespace systole::driver {
namespace {

using namespace testutil;  // NOLINT: the executable builders
using std::chrono::milliseconds;
using TestClock = std::chrono::steady_clock;

bool Contains(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

// ---------------------------------------------------------------------------
// Device strings.

TEST(DeviceSpecTest, ValidStringsParseToTheirCanonicalForm) {
  struct Case {
    const char* in;
    DeviceSpec::Kind kind;
    const char* address;
    int index;
    const char* canonical;
  };
  using K = DeviceSpec::Kind;
  const Case cases[] = {
      {"sim", K::kSim, "", -1, "sim"},
      {"sim:rtl", K::kSimRtl, "", -1, "sim:rtl"},
      {"remote:unix:/run/x.sock", K::kRemote, "unix:/run/x.sock", -1, "remote:unix:/run/x.sock"},
      {"remote:unix:rel/s", K::kRemote, "unix:rel/s", -1, "remote:unix:rel/s"},
      {"remote:tcp:127.0.0.1:5000", K::kRemote, "tcp:127.0.0.1:5000", -1, "remote:tcp:127.0.0.1:5000"},
      {"remote:tcp:localhost:65535", K::kRemote, "tcp:localhost:65535", -1, "remote:tcp:localhost:65535"},
      {"remote:tcp:[::1]:1", K::kRemote, "tcp:[::1]:1", -1, "remote:tcp:[::1]:1"},
      {"usb", K::kUsb, "", -1, "usb"},
      {"usb:0", K::kUsb, "", 0, "usb:0"},
      {"usb:12", K::kUsb, "", 12, "usb:12"},
      {"pci", K::kPci, "", -1, "pci"},
      {"pci:0", K::kPci, "0", -1, "pci:0"},
      {"pci:3", K::kPci, "3", -1, "pci:3"},
      {"pci:0000:03:00.0", K::kPci, "0000:03:00.0", -1, "pci:0000:03:00.0"},
      {"pci:0000:AF:1f.7", K::kPci, "0000:af:1f.7", -1, "pci:0000:af:1f.7"},
      {"pci:unix:/tmp/bar.sock", K::kPci, "unix:/tmp/bar.sock", -1, "pci:unix:/tmp/bar.sock"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.in);
    StatusOr<DeviceSpec> s = ParseDeviceSpec(c.in);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ(s->kind, c.kind);
    EXPECT_EQ(s->address, c.address);
    EXPECT_EQ(s->index, c.index);
    EXPECT_EQ(s->ToString(), c.canonical);
    StatusOr<DeviceSpec> again = ParseDeviceSpec(s->ToString());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->ToString(), c.canonical);
  }
}

TEST(DeviceSpecTest, InvalidStringsNameTheProblemAndListTheForms) {
  struct Case {
    std::string in;
    const char* why;
  };
  const Case cases[] = {
      {"", "empty device string"},
      {"tpu", "unknown device kind 'tpu'"},
      {"cpu", "unknown device kind 'cpu'"},
      {"SIM", "unknown device kind 'SIM'"},
      {"sim:", "'sim' takes no argument but 'rtl'"},
      {"sim:remote", "'sim' takes no argument but 'rtl'"},
      {"remote", "'remote' needs unix:PATH or tcp:HOST:PORT"},
      {"remote:", "'remote' needs unix:PATH or tcp:HOST:PORT"},
      {"remote:udp:1.2.3.4:5", "'remote' needs unix:PATH or tcp:HOST:PORT"},
      {"remote:unix:", "empty socket path after 'unix:'"},
      {"remote:unix:/tmp/a\nb", "control bytes"},
      {"remote:tcp:", "expected tcp:HOST:PORT"},
      {"remote:tcp:localhost", "expected tcp:HOST:PORT"},
      {"remote:tcp::80", "empty host"},
      {"remote:tcp:localhost:0", "port '0' is not a number in 1..65535"},
      {"remote:tcp:localhost:65536", "port '65536' is not a number in 1..65535"},
      {"remote:tcp:localhost:http", "port 'http' is not a number"},
      {"remote:tcp:localhost:-1", "port '-1' is not a number"},
      {"remote:tcp:a b:80", "spaces"},
      {"usb:", "USB index '' is not a number in 0..255"},
      {"usb:-1", "USB index '-1'"},
      {"usb:01", "USB index '01'"},
      {"usb:256", "USB index '256'"},
      {"usb:x", "USB index 'x'"},
      {"usb:0:1", "USB index '0:1'"},
      {"pci:", "'' is neither an index"},
      {"pci:0000:03:00", "'0000:03:00' is neither an index"},
      {"pci:0000:03:20.0", "'0000:03:20.0' is neither"},  // device > 0x1f
      {"pci:0000:03:00.8", "'0000:03:00.8' is neither"},  // function > 7
      {"pci:03:00.0", "'03:00.0' is neither"},
      {"pci:unix:", "empty socket path after 'unix:'"},
      {std::string("usb:\x01\xff", 6), "USB index '\\x01\\xff'"},
      {std::string(5000, 'x'), "longer than 4096 bytes"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.in.substr(0, 40));
    StatusOr<DeviceSpec> s = ParseDeviceSpec(c.in);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(Contains(s.status().message(), c.why)) << s.status().ToString();
    EXPECT_TRUE(Contains(s.status().message(), DeviceSpecForms())) << s.status().ToString();
    EXPECT_LT(s.status().message().size(), 600u);
    // Device::Open refuses it the same way, before touching any transport.
    StatusOr<std::unique_ptr<Device>> d = Device::Open(c.in);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().message(), s.status().message());
  }
}

// Valid strings for devices this process cannot open fail cleanly, naming
// the device (the code depends on the transport: missing hardware, no server).
TEST(DeviceSpecTest, AbsentDevicesFailCleanly) {
  for (const char* spec : {"usb:7", "pci:0000:7f:1f.7", "remote:unix:/nonexistent/systole-test.sock"}) {
    SCOPED_TRACE(spec);
    DeviceOptions o;
    o.timeout_ms = 500;
    StatusOr<std::unique_ptr<Device>> d = Device::Open(spec, o);
    ASSERT_FALSE(d.ok());
    EXPECT_NE(d.status().code(), StatusCode::kInvalidArgument) << d.status().ToString();
    EXPECT_TRUE(Contains(d.status().message(), spec)) << d.status().ToString();
  }
}

TEST(DeviceSpecTest, EnumerateListsTheInProcessSimulator) {
  EnumerateOptions o;
  o.remote_addresses = {"unix:/nonexistent/systole-test.sock", "bogus"};
  o.timeout_ms = 500;
  const std::vector<DeviceInfo> found = EnumerateDevices(o);
  ASSERT_GE(found.size(), 3u);
  EXPECT_EQ(found[0].spec, "sim");
  EXPECT_EQ(found[0].transport, "sim");
  EXPECT_TRUE(found[0].has_config);
  const DeviceInfo& bad_server = found[found.size() - 2];
  EXPECT_EQ(bad_server.spec, "remote:unix:/nonexistent/systole-test.sock");
  EXPECT_FALSE(bad_server.error.empty());
  EXPECT_FALSE(bad_server.has_config);
  const DeviceInfo& bogus = found.back();
  EXPECT_TRUE(Contains(bogus.error, "'remote' needs unix:PATH or tcp:HOST:PORT")) << bogus.error;
  // Every listed spec parses.
  for (const DeviceInfo& d : found)
    if (d.error.empty()) {
      EXPECT_TRUE(ParseDeviceSpec(d.spec).ok()) << d.spec;
    }
}

// ---------------------------------------------------------------------------
// A fake transport: configurable runs that block until released.

class FakeTransport : public Transport {
 public:
  explicit FakeTransport(const sim::DeviceConfig& hw) : hw_(hw) {}

  std::string Describe() const override { return "fake (device_api_test)"; }
  const sim::DeviceConfig& config() const override { return hw_; }
  DeviceIdentity Identify() const override {
    DeviceIdentity id;
    id.transport = "fake";
    id.description = Describe();
    id.protocol_version = 7;
    id.firmware_version = "fake 1.0";
    id.location = "test";
    return id;
  }
  Status WriteMemory(isa::Buffer, uint32_t, const uint8_t*, size_t) override { return Status::Ok(); }
  Status ReadMemory(isa::Buffer, uint32_t, uint8_t*, size_t) override { return Status::Ok(); }

  // Every run: wait (when blocking) until released or interrupted; then copy
  // the INPUT region's first bytes to OUTPUT (so staging mix-ups show) and
  // report 100 cycles, or the injected failure.
  StatusOr<sim::PerfCounters> Execute(const std::vector<isa::InsnWord>& program, const sim::HostMemory& host,
                                      const ExecuteOptions& options) override {
    std::unique_lock<std::mutex> lock(mu_);
    ++executes_;
    timeouts_seen_.push_back(options.timeout_ms);
    running_ = true;
    cv_.notify_all();
    cv_.wait(lock, [&] { return !block_ || releases_ > 0 || interrupted_; });
    running_ = false;
    if (releases_ > 0) --releases_;
    if (interrupted_) {
      interrupted_ = false;
      return Cancelled("fake: interrupted");
    }
    if (fail_next_ > 0) {
      --fail_next_;
      return Unavailable("fake: injected link failure");
    }
    const sim::HostRegion& in = host.region(exe::Region_INPUT);
    const sim::HostRegion& out = host.region(exe::Region_OUTPUT);
    if (in.mapped() && out.mapped()) std::copy(in.data, in.data + std::min(in.size, out.size), out.data);
    sim::PerfCounters c;
    c.cycles = 100 + program.size();
    return c;
  }
  Status Reset() override {
    std::lock_guard<std::mutex> lock(mu_);
    ++resets_;
    if (fail_resets_ > 0) {
      --fail_resets_;
      return Unavailable("fake: reset failed");
    }
    return Status::Ok();
  }
  void Interrupt() override {
    std::lock_guard<std::mutex> lock(mu_);
    ++interrupts_;
    if (running_) interrupted_ = true;
    cv_.notify_all();
  }

  // Test controls.
  void SetBlocking(bool b) {
    std::lock_guard<std::mutex> lock(mu_);
    block_ = b;
    cv_.notify_all();
  }
  void Release(int n = 1) {
    std::lock_guard<std::mutex> lock(mu_);
    releases_ += n;
    cv_.notify_all();
  }
  bool WaitUntilRunning(int nth_execute) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(5), [&] { return running_ && executes_ >= nth_execute; });
  }
  void FailNext(int n) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_next_ = n;
  }
  void FailResets(int n) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_resets_ = n;
  }
  int executes() { std::lock_guard<std::mutex> l(mu_); return executes_; }
  int resets() { std::lock_guard<std::mutex> l(mu_); return resets_; }
  int interrupts() { std::lock_guard<std::mutex> l(mu_); return interrupts_; }
  std::vector<int> timeouts_seen() { std::lock_guard<std::mutex> l(mu_); return timeouts_seen_; }

 private:
  sim::DeviceConfig hw_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool block_ = false, running_ = false, interrupted_ = false;
  int releases_ = 0, executes_ = 0, resets_ = 0, interrupts_ = 0, fail_next_ = 0, fail_resets_ = 0;
  std::vector<int> timeouts_seen_;
};

// A device over a FakeTransport the test keeps a pointer to (the device owns it).
struct FakeDevice {
  FakeTransport* fake = nullptr;
  std::unique_ptr<Device> dev;
};
FakeDevice OpenFake(const DeviceOptions& options = {}) {
  auto t = std::make_unique<FakeTransport>(TestConfig());
  FakeDevice f;
  f.fake = t.get();
  const sim::DeviceConfig hw = TestConfig();
  StatusOr<std::unique_ptr<Device>> d = OpenDeviceOnTransport("fake", std::move(t), &hw, options);
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  if (d.ok()) f.dev = std::move(d).value();
  return f;
}

// One input, one output, kLutLen bytes each, and a PARAMETER_LOAD chunk.
std::unique_ptr<LoadedExecutable> LoadLut(Device& dev, uint8_t fill) {
  return MustLoad(dev, Build(LutExecutable(std::vector<uint8_t>(256, fill))));
}

double SecondsSince(TestClock::time_point t) {
  return std::chrono::duration<double>(TestClock::now() - t).count();
}

TEST(DeviceApiFake, OpenChecksTheExpectedConfigurationAndOptions) {
  sim::DeviceConfig other = TestConfig();
  other.rows = other.cols = 16;
  StatusOr<std::unique_ptr<Device>> d =
      OpenDeviceOnTransport("fake", std::make_unique<FakeTransport>(TestConfig()), &other);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(d.status().message(), "device 'fake' is 8x8")) << d.status().ToString();
  EXPECT_TRUE(Contains(d.status().message(), "but 16x16")) << d.status().ToString();
  // Without an expectation: the device's own configuration.
  d = OpenDeviceOnTransport("fake", std::make_unique<FakeTransport>(TestConfig()), nullptr);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ((*d)->config().rows, 8);
  const DeviceInfo info = (*d)->Info();
  EXPECT_EQ(info.protocol_version, 7u);
  EXPECT_EQ(info.firmware_version, "fake 1.0");
  EXPECT_TRUE(info.has_config);
  for (int bad : {0, -5}) {
    DeviceOptions o;
    o.timeout_ms = bad;
    d = OpenDeviceOnTransport("fake", std::make_unique<FakeTransport>(TestConfig()), nullptr, o);
    ASSERT_FALSE(d.ok());
    EXPECT_TRUE(Contains(d.status().message(), "timeout_ms")) << d.status().ToString();
    o = DeviceOptions{};
    o.queue_depth = bad;
    d = OpenDeviceOnTransport("fake", std::make_unique<FakeTransport>(TestConfig()), nullptr, o);
    ASSERT_FALSE(d.ok());
    EXPECT_TRUE(Contains(d.status().message(), "queue_depth")) << d.status().ToString();
  }
}

TEST(DeviceApiFake, WaitTimeoutIsPromptAndTheInferenceGoesOn) {
  FakeDevice f = OpenFake();
  auto exe = LoadLut(*f.dev, 1);
  f.fake->SetBlocking(true);
  std::vector<uint8_t> in(kLutLen, 5), out(kLutLen, 0);
  StatusOr<std::shared_ptr<Inference>> inf = f.dev->Submit(*exe, {in.data()}, {out.data()});
  ASSERT_TRUE(inf.ok()) << inf.status().ToString();
  ASSERT_TRUE(f.fake->WaitUntilRunning(1));
  for (int i = 0; i < 2; ++i) {
    const auto t0 = TestClock::now();
    StatusOr<RunStats> r = (*inf)->Wait(50);
    EXPECT_LT(SecondsSince(t0), 2.0);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
    EXPECT_TRUE(Contains(r.status().message(), "not done after 50 ms")) << r.status().ToString();
    EXPECT_FALSE((*inf)->Done());
  }
  StatusOr<RunStats> zero = (*inf)->Wait(0);
  EXPECT_EQ(zero.status().code(), StatusCode::kDeadlineExceeded);
  f.fake->Release(2);  // PARAMETER_LOAD, INFERENCE
  StatusOr<RunStats> r = (*inf)->Wait();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE((*inf)->Done());
  EXPECT_GT(r->parameter_load_cycles, 0u);
  EXPECT_EQ(out, in);  // the fake copies INPUT to OUTPUT
  // Done: every later Wait gives the same result at once.
  StatusOr<RunStats> again = (*inf)->Wait(0);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->counters.cycles, r->counters.cycles);
}

TEST(DeviceApiFake, TimeoutsReachTheTransport) {
  DeviceOptions o;
  o.timeout_ms = 1234;
  FakeDevice f = OpenFake(o);
  auto exe = LoadLut(*f.dev, 1);
  std::vector<uint8_t> in(kLutLen), out(kLutLen);
  ASSERT_TRUE(f.dev->Run(*exe, {in.data()}, {out.data()}).ok());
  RunOptions ro;
  ro.timeout_ms = 321;
  ASSERT_TRUE(f.dev->Run(*exe, {in.data()}, {out.data()}, ro).ok());
  const std::vector<int> seen = f.fake->timeouts_seen();
  ASSERT_EQ(seen.size(), 3u);  // PARAMETER_LOAD + INFERENCE, then INFERENCE (cached)
  for (int i = 0; i < 2; ++i) {
    EXPECT_GT(seen[i], 1000);
    EXPECT_LE(seen[i], 1234);
  }
  EXPECT_GT(seen[2], 0);
  EXPECT_LE(seen[2], 321);
  ro.timeout_ms = -1;
  StatusOr<RunStats> bad = f.dev->Run(*exe, {in.data()}, {out.data()}, ro);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(Contains(bad.status().message(), "timeout_ms -1 is negative")) << bad.status().ToString();
}

// A transport that ignores its deadline is interrupted by the watchdog: the
// run fails with DEADLINE_EXCEEDED, the device is reset and works again.
TEST(DeviceApiFake, RunPastItsTimeoutIsInterrupted) {
  FakeDevice f = OpenFake();
  auto exe = LoadLut(*f.dev, 1);
  std::vector<uint8_t> in(kLutLen, 3), out(kLutLen);
  ASSERT_TRUE(f.dev->Run(*exe, {in.data()}, {out.data()}).ok());
  f.fake->SetBlocking(true);
  RunOptions ro;
  ro.timeout_ms = 100;
  const auto t0 = TestClock::now();
  StatusOr<RunStats> r = f.dev->Run(*exe, {in.data()}, {out.data()}, ro);
  EXPECT_LT(SecondsSince(t0), 2.0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
  EXPECT_TRUE(Contains(r.status().message(), "executable #1: run did not complete within 100 ms"))
      << r.status().ToString();
  EXPECT_EQ(f.fake->interrupts(), 1);
  EXPECT_EQ(f.fake->resets(), 1);
  f.fake->SetBlocking(false);
  r = f.dev->Run(*exe, {in.data()}, {out.data()});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GT(r->parameter_load_cycles, 0u);  // the reset forgot the cached parameters
}

TEST(DeviceApiFake, CancelQueuedCompletesAtOnceWithoutRunning) {
  FakeDevice f = OpenFake();
  auto exe = LoadLut(*f.dev, 1);
  f.fake->SetBlocking(true);
  std::vector<uint8_t> in(kLutLen, 1), out1(kLutLen), out2(kLutLen, 0xAB);
  auto first = f.dev->Submit(*exe, {in.data()}, {out1.data()});
  auto second = f.dev->Submit(*exe, {in.data()}, {out2.data()});
  ASSERT_TRUE(first.ok() && second.ok());
  ASSERT_TRUE(f.fake->WaitUntilRunning(1));
  (*second)->Cancel();
  EXPECT_TRUE((*second)->Done());
  StatusOr<RunStats> r2 = (*second)->Wait(0);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.status().code(), StatusCode::kCancelled);
  EXPECT_TRUE(Contains(r2.status().message(), "cancelled before it ran")) << r2.status().ToString();
  EXPECT_FALSE((*first)->Done());
  f.fake->Release(2);
  ASSERT_TRUE((*first)->Wait().ok());
  EXPECT_EQ(f.fake->executes(), 2);  // the first's two chunks; nothing of the second
  EXPECT_EQ(out2, std::vector<uint8_t>(kLutLen, 0xAB));
  EXPECT_EQ(f.fake->resets(), 0);
  // Cancelling a finished inference changes nothing.
  (*first)->Cancel();
  EXPECT_TRUE((*first)->Wait(0).ok());
}

TEST(DeviceApiFake, CancelRunningInterruptsResetsAndInvalidatesTheCache) {
  FakeDevice f = OpenFake();
  auto exe = LoadLut(*f.dev, 1);
  std::vector<uint8_t> in(kLutLen, 9), out(kLutLen, 0);
  ASSERT_TRUE(f.dev->Run(*exe, {in.data()}, {out.data()}).ok());  // parameters now cached
  f.fake->SetBlocking(true);
  std::fill(out.begin(), out.end(), 0xCD);
  auto inf = f.dev->Submit(*exe, {in.data()}, {out.data()});
  ASSERT_TRUE(inf.ok());
  ASSERT_TRUE(f.fake->WaitUntilRunning(3));
  (*inf)->Cancel();
  StatusOr<RunStats> r = (*inf)->Wait(2000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled) << r.status().ToString();
  EXPECT_TRUE(Contains(r.status().message(), "cancelled while running")) << r.status().ToString();
  EXPECT_EQ(f.fake->interrupts(), 1);
  EXPECT_EQ(f.fake->resets(), 1);
  EXPECT_EQ(out, std::vector<uint8_t>(kLutLen, 0xCD));  // not written
  f.fake->SetBlocking(false);
  StatusOr<RunStats> next = f.dev->Run(*exe, {in.data()}, {out.data()});
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_GT(next->parameter_load_cycles, 0u);
  EXPECT_EQ(out, in);
}

TEST(DeviceApiFake, FailureResetsAndInvalidatesTheParameterCache) {
  FakeDevice f = OpenFake();
  auto a = LoadLut(*f.dev, 1);
  std::vector<uint8_t> in(kLutLen, 2), out(kLutLen);
  StatusOr<RunStats> r = f.dev->Run(*a, {in.data()}, {out.data()});
  ASSERT_TRUE(r.ok());
  EXPECT_GT(r->parameter_load_cycles, 0u);
  r = f.dev->Run(*a, {in.data()}, {out.data()});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->parameter_load_cycles, 0u);  // cached

  f.fake->FailNext(1);  // the INFERENCE chunk fails
  r = f.dev->Run(*a, {in.data()}, {out.data()});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(Contains(r.status().message(), "executable #1, chunk 1 (INFERENCE): fake: injected link failure"))
      << r.status().ToString();
  EXPECT_EQ(f.fake->resets(), 1);
  r = f.dev->Run(*a, {in.data()}, {out.data()});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GT(r->parameter_load_cycles, 0u);  // reloaded after the failure

  // A failure whose reset fails too: the next run retries the reset first.
  f.fake->FailNext(1);
  f.fake->FailResets(2);
  r = f.dev->Run(*a, {in.data()}, {out.data()});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status().message(), "then resetting the device failed: fake: reset failed"))
      << r.status().ToString();
  r = f.dev->Run(*a, {in.data()}, {out.data()});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status().message(), "unusable until it can be reset")) << r.status().ToString();
  r = f.dev->Run(*a, {in.data()}, {out.data()});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GT(r->parameter_load_cycles, 0u);
  EXPECT_EQ(f.fake->resets(), 4);
}

// Two inferences of one executable in flight at once each keep their own
// staging: their inputs are copied at Submit, their outputs stay apart.
TEST(DeviceApiFake, InFlightInferencesOfOneExecutableDoNotShareStaging) {
  FakeDevice f = OpenFake();
  auto exe = LoadLut(*f.dev, 1);
  f.fake->SetBlocking(true);
  std::vector<uint8_t> in(kLutLen), out1(kLutLen), out2(kLutLen), out3(kLutLen);
  std::fill(in.begin(), in.end(), 1);
  auto i1 = f.dev->Submit(*exe, {in.data()}, {out1.data()});
  std::fill(in.begin(), in.end(), 2);  // the caller's input buffer is free once Submit returns
  auto i2 = f.dev->Submit(*exe, {in.data()}, {out2.data()});
  std::fill(in.begin(), in.end(), 3);
  auto i3 = f.dev->Submit(*exe, {in.data()}, {out3.data()});
  std::fill(in.begin(), in.end(), 4);
  ASSERT_TRUE(i1.ok() && i2.ok() && i3.ok());
  f.fake->Release(4);  // 2 + 1 + 1 chunks
  ASSERT_TRUE((*i3)->Wait().ok());
  ASSERT_TRUE((*i1)->Wait().ok());
  ASSERT_TRUE((*i2)->Wait().ok());
  EXPECT_EQ(out1, std::vector<uint8_t>(kLutLen, 1));
  EXPECT_EQ(out2, std::vector<uint8_t>(kLutLen, 2));
  EXPECT_EQ(out3, std::vector<uint8_t>(kLutLen, 3));
}

TEST(DeviceApiFake, SubmitBlocksWhileTheQueueIsFull) {
  DeviceOptions o;
  o.queue_depth = 2;
  FakeDevice f = OpenFake(o);
  auto exe = LoadLut(*f.dev, 1);
  f.fake->SetBlocking(true);
  std::vector<uint8_t> in(kLutLen), out(kLutLen * 3);
  auto i1 = f.dev->Submit(*exe, {in.data()}, {out.data()});
  auto i2 = f.dev->Submit(*exe, {in.data()}, {out.data() + kLutLen});
  ASSERT_TRUE(i1.ok() && i2.ok());
  std::atomic<bool> submitted{false};
  std::shared_ptr<Inference> i3;
  std::thread t([&] {
    auto r = f.dev->Submit(*exe, {in.data()}, {out.data() + 2 * kLutLen});
    EXPECT_TRUE(r.ok());
    if (r.ok()) i3 = *r;
    submitted = true;
  });
  ASSERT_TRUE(f.fake->WaitUntilRunning(1));
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_FALSE(submitted.load());  // 2 in flight: the third waits for a slot
  f.fake->Release(2);              // the first completes
  t.join();
  EXPECT_TRUE(submitted.load());
  f.fake->SetBlocking(false);
  ASSERT_TRUE((*i2)->Wait().ok());
  ASSERT_TRUE(i3->Wait().ok());
}

TEST(DeviceApiFake, CloseCancelsQueuedWorkAndBoundsTheRunningOne) {
  DeviceOptions o;
  o.timeout_ms = 200;  // the running inference's bound
  FakeDevice f = OpenFake(o);
  auto exe = LoadLut(*f.dev, 1);
  f.fake->SetBlocking(true);
  std::vector<uint8_t> in(kLutLen), out(kLutLen);
  std::vector<std::shared_ptr<Inference>> infs;
  for (int i = 0; i < 3; ++i) {
    auto r = f.dev->Submit(*exe, {in.data()}, {out.data()});
    ASSERT_TRUE(r.ok());
    infs.push_back(*r);
  }
  ASSERT_TRUE(f.fake->WaitUntilRunning(1));
  const auto t0 = TestClock::now();
  f.dev->Close();  // the fake never completes the run: the watchdog interrupts it
  EXPECT_LT(SecondsSince(t0), 2.0);
  for (auto& i : infs) EXPECT_TRUE(i->Done());
  EXPECT_EQ(infs[0]->Wait(0).status().code(), StatusCode::kDeadlineExceeded) << infs[0]->Wait(0).status().ToString();
  for (int i = 1; i < 3; ++i) {
    Status s = infs[i]->Wait(0).status();
    EXPECT_EQ(s.code(), StatusCode::kCancelled);
    EXPECT_TRUE(Contains(s.message(), "device 'fake' closed before it ran")) << s.ToString();
  }
  StatusOr<RunStats> after = f.dev->Run(*exe, {in.data()}, {out.data()});
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(after.status().message(), "device 'fake' is closed")) << after.status().ToString();
  f.dev->Close();  // idempotent
}

// Destroying the Device with inferences pending: the running one finishes,
// the queued ones are cancelled, and every handle (and the executable)
// stays usable after the device is gone.
TEST(DeviceApiFake, DestroyingTheDeviceWithWorkPending) {
  FakeDevice f = OpenFake();
  auto exe = LoadLut(*f.dev, 1);
  f.fake->SetBlocking(true);
  std::vector<uint8_t> in(kLutLen, 6), out(kLutLen);
  std::vector<std::shared_ptr<Inference>> infs;
  for (int i = 0; i < 4; ++i) {
    auto r = f.dev->Submit(*exe, {in.data()}, {out.data()});
    ASSERT_TRUE(r.ok());
    infs.push_back(*r);
  }
  ASSERT_TRUE(f.fake->WaitUntilRunning(1));
  FakeTransport* fake = f.fake;
  std::thread releaser([fake] {
    std::this_thread::sleep_for(milliseconds(50));
    fake->Release(2);
  });
  f.dev.reset();
  releaser.join();
  ASSERT_TRUE(infs[0]->Wait(0).ok()) << infs[0]->Wait(0).status().ToString();
  EXPECT_EQ(out, in);
  for (int i = 1; i < 4; ++i) EXPECT_EQ(infs[i]->Wait(0).status().code(), StatusCode::kCancelled);
  for (auto& i : infs) i->Cancel();  // no device any more: nothing happens
  EXPECT_EQ(exe->inputs().size(), 1u);
}

// Many threads submitting, waiting with timeouts, cancelling and closing at
// once: every inference completes exactly once; nothing hangs or leaks.
TEST(DeviceApiFake, StressSubmitCancelClose) {
  for (int round = 0; round < 3; ++round) {
    FakeDevice f = OpenFake();
    auto a = LoadLut(*f.dev, 1);
    auto b = LoadLut(*f.dev, 2);
    std::vector<std::thread> threads;
    std::atomic<int> completed{0};
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        std::vector<uint8_t> in(kLutLen, static_cast<uint8_t>(t)), out(kLutLen);
        for (int k = 0; k < 20; ++k) {
          auto inf = f.dev->Submit((k + t) % 2 ? *a : *b, {in.data()}, {out.data()});
          if (!inf.ok()) {
            EXPECT_EQ(inf.status().code(), StatusCode::kFailedPrecondition) << inf.status().ToString();
            continue;
          }
          if (k % 3 == 0) (*inf)->Cancel();
          StatusOr<RunStats> r = (*inf)->Wait();
          EXPECT_TRUE(r.ok() || r.status().code() == StatusCode::kCancelled) << r.status().ToString();
          if (r.ok()) {
            EXPECT_EQ(out, in);
          }
          ++completed;
        }
      });
    }
    if (round == 1) f.dev->Close();  // while the threads submit
    for (auto& t : threads) t.join();
    EXPECT_LE(completed.load(), 80);
  }
}

// ---------------------------------------------------------------------------
// The in-process SystemC device.

// 4 threads x 2 inferences in flight on one "sim" Device, two executables
// whose parameters share PBUF (so the cache is reloaded as they interleave):
// every output is bit-exact with a sequential run on a device of its own.
TEST(DeviceApiSim, FourThreadsTwoInFlightEachBitExact) {
  Xorshift32 rng(1234);
  const std::vector<uint8_t> lut_a = RandomBytes(rng, 256), lut_b = RandomBytes(rng, 256);
  const std::vector<uint8_t> bytes_a = Build(LutExecutable(lut_a)), bytes_b = Build(LutExecutable(lut_b));
  constexpr int kThreads = 4, kRounds = 6;
  // inputs[t][k][j]: thread t, round k, j = 0 (executable A) or 1 (B).
  std::vector<std::vector<std::array<std::vector<uint8_t>, 2>>> inputs(kThreads), expected(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    inputs[t].resize(kRounds);
    expected[t].resize(kRounds);
    for (int k = 0; k < kRounds; ++k)
      for (int j = 0; j < 2; ++j) inputs[t][k][j] = RandomBytes(rng, kLutLen);
  }
  {
    auto seq = OpenSim(TestConfig());
    ASSERT_NE(seq, nullptr);
    auto a = MustLoad(*seq, bytes_a), b = MustLoad(*seq, bytes_b);
    for (int t = 0; t < kThreads; ++t)
      for (int k = 0; k < kRounds; ++k)
        for (int j = 0; j < 2; ++j) {
          std::vector<uint8_t>& out = expected[t][k][j];
          ASSERT_TRUE(Run1(*seq, j == 0 ? *a : *b, inputs[t][k][j], &out).ok());
          const std::vector<uint8_t>& lut = j == 0 ? lut_a : lut_b;
          for (uint32_t i = 0; i < kLutLen; ++i)
            ASSERT_EQ(out[i], lut[static_cast<int8_t>(inputs[t][k][j][i]) + 128]);
        }
  }
  auto dev = OpenSim(TestConfig());
  ASSERT_NE(dev, nullptr);
  auto a = MustLoad(*dev, bytes_a), b = MustLoad(*dev, bytes_b);
  std::atomic<int> reloads{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < kRounds; ++k) {
        std::array<std::vector<uint8_t>, 2> out;
        std::array<std::shared_ptr<Inference>, 2> inf;
        for (int j = 0; j < 2; ++j) out[j].assign(kLutLen, 0xEE);
        for (int j = 0; j < 2; ++j) {
          // Threads alternate the order, so A and B interleave on the device.
          const int which = (j + t) % 2;
          StatusOr<std::shared_ptr<Inference>> s =
              dev->Submit(which == 0 ? *a : *b, {inputs[t][k][which].data()}, {out[which].data()});
          ASSERT_TRUE(s.ok()) << s.status().ToString();
          inf[which] = *s;
        }
        for (int j = 0; j < 2; ++j) {
          StatusOr<RunStats> r = inf[j]->Wait(10000);
          ASSERT_TRUE(r.ok()) << r.status().ToString();
          if (r->parameter_load_cycles > 0) ++reloads;
          EXPECT_EQ(out[j], expected[t][k][j]) << "thread " << t << " round " << k << " executable " << j;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_GE(reloads.load(), 2);  // each executable loaded its parameters at least once
}

// Two sim Devices used from two threads at once: their runs share the one
// SystemC kernel, serialised by the driver.
TEST(DeviceApiSim, TwoDevicesFromTwoThreads) {
  Xorshift32 rng(77);
  const std::vector<uint8_t> lut = RandomBytes(rng, 256);
  const std::vector<uint8_t> bytes = Build(LutExecutable(lut));
  std::vector<std::thread> threads;
  for (int d = 0; d < 2; ++d) {
    threads.emplace_back([&, d] {
      auto dev = OpenSim(TestConfig());
      ASSERT_NE(dev, nullptr);
      auto e = MustLoad(*dev, bytes);
      Xorshift32 local(static_cast<uint32_t>(d + 1));
      for (int k = 0; k < 5; ++k) {
        const std::vector<uint8_t> in = RandomBytes(local, kLutLen);
        std::vector<uint8_t> out;
        StatusOr<RunStats> r = Run1(*dev, *e, in, &out);
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        for (uint32_t i = 0; i < kLutLen; ++i) ASSERT_EQ(out[i], lut[static_cast<int8_t>(in[i]) + 128]);
      }
    });
  }
  for (auto& th : threads) th.join();
}

TEST(DeviceApiSim, OpenWithoutConfigurationUsesTheDefaultPreset) {
  StatusOr<std::unique_ptr<Device>> d = Device::Open("sim");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ((*d)->config().rows, sim::DeviceConfig{}.rows);
  EXPECT_EQ((*d)->spec(), "sim");
  EXPECT_EQ((*d)->Info().transport, "sim");
}

}  // namespace
}  // namespace systole::driver
