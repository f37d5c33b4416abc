// The USB FrameLink (usb_link.cc) with the real libusb-1.0 against the
// umockdev-emulated device (usb_test_device.h), with a toy framing and an
// echo session, so the link is tested without the protocol: enumeration,
// endpoint discovery, chunking and zero-length packets, both IN channels,
// and every USB-level fault (stall, timeout, short transfer, unplug,
// interrupt). Run under umockdev-wrapper (ctest does).
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "driver/usb_link.h"
#include "driver/usb_test_device.h"

namespace systole::driver {
namespace {

using std::chrono::milliseconds;

// Toy framing: 'T' 'F' flags 0 | uint32 LE total length | payload.
constexpr size_t kToyHeader = 8;
UsbFraming ToyFraming() {
  UsbFraming f;
  f.header_bytes = kToyHeader;
  f.frame_length = [](const uint8_t* h, size_t n) -> StatusOr<size_t> {
    if (n < kToyHeader || h[0] != 'T' || h[1] != 'F') return DataLoss("toy frame: bad magic");
    uint32_t len = 0;
    std::memcpy(&len, h + 4, 4);
    if (len < kToyHeader || len > (1u << 22)) return DataLoss("toy frame: length %u out of range", len);
    return static_cast<size_t>(len);
  };
  return f;
}

// Flags: 1 = also send a copy on the interrupt endpoint, 2 = only there,
// 4 = answer with garbage, 8 = no answer.
std::vector<uint8_t> ToyFrame(size_t size, uint8_t flags, uint8_t seed = 0) {
  std::vector<uint8_t> f(size);
  f[0] = 'T';
  f[1] = 'F';
  f[2] = flags;
  f[3] = 0;
  const uint32_t len = static_cast<uint32_t>(size);
  std::memcpy(f.data() + 4, &len, 4);
  for (size_t i = kToyHeader; i < size; ++i) f[i] = static_cast<uint8_t>(i * 7 + seed);
  return f;
}

class EchoSession : public FakeUsbSession {
 public:
  Status Handle(const std::vector<uint8_t>& frame, std::vector<FakeUsbFrame>* out) override {
    const uint8_t flags = frame[2];
    if (flags & 8) return Status::Ok();
    if (flags & 4) {
      out->push_back({std::vector<uint8_t>(64, 0xee), false});
      return Status::Ok();
    }
    if (!(flags & 2)) out->push_back({frame, false});
    if (flags & 3) out->push_back({frame, true});
    return Status::Ok();
  }
};

class GarbageSession : public FakeUsbSession {
 public:
  Status Handle(const std::vector<uint8_t>&, std::vector<FakeUsbFrame>* out) override {
    out->push_back({std::vector<uint8_t>(64, 0xee), false});
    return Status::Ok();
  }
};

class UsbLinkTest : public ::testing::Test {
 protected:
  void SetUp() override { MakeDevice(true); }

  void MakeDevice(bool with_interrupt) {
    dev_.reset();
    FakeUsbDeviceOptions o;
    o.framing = ToyFraming();
    o.new_session = [] { return std::make_unique<EchoSession>(); };
    o.with_interrupt_endpoint = with_interrupt;
    auto d = FakeUsbDevice::Create(std::move(o));
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    dev_ = std::move(*d);
  }

  std::unique_ptr<FrameLink> Open() {
    TransportOptions opts;
    opts.timeout_ms = 1000;
    auto l = OpenUsbFrameLink(-1, ToyFraming(), opts);
    EXPECT_TRUE(l.ok()) << l.status().ToString();
    return l.ok() ? std::move(*l) : nullptr;
  }

  static Deadline In(int ms) { return Clock::now() + milliseconds(ms); }

  void ExpectEcho(FrameLink& link, size_t size, uint8_t seed = 0) {
    const std::vector<uint8_t> f = ToyFrame(size, 0, seed);
    ASSERT_TRUE(link.Send(f, In(1000)).ok());
    auto r = link.Receive(In(1000));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(*r, f);
  }

  std::unique_ptr<FakeUsbDevice> dev_;
};

TEST_F(UsbLinkTest, ListsTheDeviceWithItsStrings) {
  std::vector<UsbDeviceInfo> list = ListUsbDevices();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].bus, 1);
  EXPECT_EQ(list[0].address, 2);
  EXPECT_EQ(list[0].port_path, "1-1");
  EXPECT_EQ(list[0].manufacturer, "Systole");
  EXPECT_EQ(list[0].product, "Systole USB accelerator (umockdev emulation)");
  EXPECT_EQ(list[0].serial, "EMU0001");
  EXPECT_EQ(list[0].error, "");
}

TEST_F(UsbLinkTest, EchoesSmallAndMultiChunkFrames) {
  auto link = Open();
  ASSERT_NE(link, nullptr);
  EXPECT_NE(link->Describe().find("usb 001/002 (1209:0001) port 1-1"), std::string::npos) << link->Describe();
  ExpectEcho(*link, 8);
  ExpectEcho(*link, 100);
  // Several OUT chunks and several bulk IN transfers per frame.
  ExpectEcho(*link, 3 * kUsbOutChunkBytes + 17, 3);
  for (int i = 0; i < 20; ++i) ExpectEcho(*link, 200 + i, static_cast<uint8_t>(i));
  EXPECT_EQ(dev_->stats().frames_in, 23u);
}

TEST_F(UsbLinkTest, ZeroLengthPacketOnlyWhenTheFrameIsAMultipleOfThePacketSize) {
  auto link = Open();
  ASSERT_NE(link, nullptr);
  ExpectEcho(*link, 511);
  EXPECT_EQ(dev_->stats().zero_packet_flags, 0u);
  ExpectEcho(*link, 1024);
  EXPECT_EQ(dev_->stats().zero_packet_flags, 1u);
  // Exactly two OUT chunks: only the last one carries the flag.
  ExpectEcho(*link, 2 * kUsbOutChunkBytes);
  EXPECT_EQ(dev_->stats().zero_packet_flags, 2u);
  // A reply that fills bulk IN transfers exactly still ends where it should.
  ExpectEcho(*link, kUsbBulkInBytes);
  ExpectEcho(*link, 2 * kUsbBulkInBytes);
  ExpectEcho(*link, 9);
}

TEST_F(UsbLinkTest, InterruptEndpointFramesAreReceivedToo) {
  auto link = Open();
  ASSERT_NE(link, nullptr);
  const std::vector<uint8_t> only_intr = ToyFrame(40, 2);
  ASSERT_TRUE(link->Send(only_intr, In(1000)).ok());
  auto r = link->Receive(In(1000));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, only_intr);
  // Bigger than one interrupt transfer.
  const std::vector<uint8_t> big = ToyFrame(3 * kUsbInterruptInBytes + 5, 2);
  ASSERT_TRUE(link->Send(big, In(1000)).ok());
  r = link->Receive(In(1000));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, big);
  // Both: two frames.
  const std::vector<uint8_t> both = ToyFrame(30, 1);
  ASSERT_TRUE(link->Send(both, In(1000)).ok());
  for (int i = 0; i < 2; ++i) {
    r = link->Receive(In(1000));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(*r, both);
  }
  EXPECT_EQ(dev_->stats().frames_interrupt, 3u);
}

TEST_F(UsbLinkTest, DeviceWithoutInterruptEndpointIsRefused) {
  MakeDevice(false);
  TransportOptions opts;
  auto l = OpenUsbFrameLink(0, ToyFraming(), opts);
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(l.status().message().find("lacks endpoints a Systole device has: interrupt IN"), std::string::npos)
      << l.status().ToString();
}

TEST_F(UsbLinkTest, IndexBeyondTheDevicesIsNotFound) {
  TransportOptions opts;
  auto l = OpenUsbFrameLink(3, ToyFraming(), opts);
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().code(), StatusCode::kNotFound);
  EXPECT_NE(l.status().message().find("only 1 Systole USB device attached"), std::string::npos)
      << l.status().ToString();
}

TEST_F(UsbLinkTest, SilentDeviceTimesOutAndTheLinkStillWorks) {
  auto link = Open();
  ASSERT_NE(link, nullptr);
  ASSERT_TRUE(link->Send(ToyFrame(16, 8), In(1000)).ok());  // no answer
  const auto t0 = Clock::now();
  auto r = link->Receive(In(150));
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
  EXPECT_LT(Clock::now() - t0, milliseconds(1500));
  ExpectEcho(*link, 64);  // a timeout is not sticky
}

TEST_F(UsbLinkTest, HungBulkOutTimesOutThenReconnects) {
  auto link = Open();
  ASSERT_NE(link, nullptr);
  dev_->Hang(kFakeUsbBulkOut, true);
  const auto t0 = Clock::now();
  Status st = link->Send(ToyFrame(64, 0), In(150));
  EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded) << st.ToString();
  EXPECT_NE(st.message().find("bulk OUT 0x01"), std::string::npos) << st.ToString();
  EXPECT_LT(Clock::now() - t0, milliseconds(1500));
  EXPECT_GE(dev_->stats().discarded, 1u);
  dev_->Hang(kFakeUsbBulkOut, false);
  ASSERT_TRUE(link->Reconnect(In(1000)).ok());
  ExpectEcho(*link, 64);
}

TEST_F(UsbLinkTest, HungBulkInTimesOut) {
  auto link = Open();
  ASSERT_NE(link, nullptr);
  dev_->Hang(kFakeUsbBulkIn, true);
  ASSERT_TRUE(link->Send(ToyFrame(16, 0), In(1000)).ok());
  auto r = link->Receive(In(150));
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
  dev_->Hang(kFakeUsbBulkIn, false);
  ASSERT_TRUE(link->Reconnect(In(1000)).ok());
  ExpectEcho(*link, 64);
}

TEST_F(UsbLinkTest, StalledBulkInIsDataLossUntilReconnect) {
  auto link = Open();
  ASSERT_NE(link, nullptr);
  ExpectEcho(*link, 32);
  dev_->Stall(kFakeUsbBulkIn);
  auto r = link->Receive(In(1000));
  ASSERT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().ToString();
  EXPECT_NE(r.status().message().find("bulk IN 0x81: endpoint stalled (LIBUSB_ERROR_PIPE)"), std::string::npos)
      << r.status().ToString();
  // Sticky until the link is re-established (which clears the halt).
  EXPECT_EQ(link->Send(ToyFrame(16, 0), In(100)).code(), StatusCode::kDataLoss);
  ASSERT_TRUE(link->Reconnect(In(1000)).ok());
  ExpectEcho(*link, 32);
}

TEST_F(UsbLinkTest, StalledBulkOutIsDataLoss) {
  auto link = Open();
  ASSERT_NE(link, nullptr);
  dev_->Stall(kFakeUsbBulkOut);
  Status st = link->Send(ToyFrame(16, 0), In(1000));
  EXPECT_EQ(st.code(), StatusCode::kDataLoss) << st.ToString();
  EXPECT_NE(st.message().find("bulk OUT 0x01: endpoint stalled"), std::string::npos) << st.ToString();
  ASSERT_TRUE(link->Reconnect(In(1000)).ok());
  ExpectEcho(*link, 16);
}

TEST_F(UsbLinkTest, ShortTransferIsDataLoss) {
  auto link = Open();
  ASSERT_NE(link, nullptr);
  dev_->ShortNextIn(kFakeUsbBulkIn, 20);
  ASSERT_TRUE(link->Send(ToyFrame(100, 0), In(1000)).ok());
  auto r = link->Receive(In(1000));
  ASSERT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().ToString();
  EXPECT_NE(r.status().message().find("short transfer: frame of 100 bytes truncated after 20"), std::string::npos)
      << r.status().ToString();
  // Less than a header.
  ASSERT_TRUE(link->Reconnect(In(1000)).ok());
  dev_->ShortNextIn(kFakeUsbInterruptIn, 3);
  ASSERT_TRUE(link->Send(ToyFrame(100, 2), In(1000)).ok());
  r = link->Receive(In(1000));
  ASSERT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().ToString();
  EXPECT_NE(r.status().message().find("interrupt IN 0x82: short transfer: frame truncated after 3 bytes"), std::string::npos)
      << r.status().ToString();
  ASSERT_TRUE(link->Reconnect(In(1000)).ok());
  ExpectEcho(*link, 100);
}

TEST_F(UsbLinkTest, GarbageFromTheDeviceIsDataLoss) {
  auto link = Open();
  ASSERT_NE(link, nullptr);
  ASSERT_TRUE(link->Send(ToyFrame(16, 4), In(1000)).ok());
  auto r = link->Receive(In(1000));
  ASSERT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().ToString();
  EXPECT_NE(r.status().message().find("toy frame: bad magic"), std::string::npos) << r.status().ToString();
  ASSERT_TRUE(link->Reconnect(In(1000)).ok());
  ExpectEcho(*link, 16);
}

TEST_F(UsbLinkTest, InterruptWakesABlockedReceive) {
  auto link = Open();
  ASSERT_NE(link, nullptr);
  std::thread t([&] {
    std::this_thread::sleep_for(milliseconds(50));
    link->Interrupt();
  });
  const auto t0 = Clock::now();
  auto r = link->Receive(In(5000));
  t.join();
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled) << r.status().ToString();
  EXPECT_LT(Clock::now() - t0, milliseconds(2000));
  ASSERT_TRUE(link->Reconnect(In(1000)).ok());
  ExpectEcho(*link, 16);
}

TEST_F(UsbLinkTest, UnplugWhileWaitingIsUnavailableAndReplugReconnects) {
  auto link = Open();
  ASSERT_NE(link, nullptr);
  ASSERT_TRUE(link->Send(ToyFrame(16, 8), In(1000)).ok());  // no answer: Receive waits
  std::thread t([&] {
    std::this_thread::sleep_for(milliseconds(50));
    dev_->Unplug();
  });
  const auto t0 = Clock::now();
  auto r = link->Receive(In(5000));
  t.join();
  ASSERT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  EXPECT_NE(r.status().message().find("device unplugged"), std::string::npos) << r.status().ToString();
  EXPECT_LT(Clock::now() - t0, milliseconds(2000));
  EXPECT_EQ(link->Send(ToyFrame(16, 0), In(100)).code(), StatusCode::kUnavailable);
  Status st = link->Reconnect(In(300));
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.ToString();
  EXPECT_NE(st.message().find("device gone"), std::string::npos) << st.ToString();
  ASSERT_TRUE(dev_->Replug().ok());
  st = link->Reconnect(In(2000));
  ASSERT_TRUE(st.ok()) << st.ToString();
  ExpectEcho(*link, 16);
}

// A device with the right ids and interface that answers IDENTIFY with
// bytes that are not a frame: OpenUsbTransport fails cleanly.
TEST_F(UsbLinkTest, DeviceThatDoesNotSpeakTheProtocolFailsAtIdentify) {
  dev_.reset();
  FakeUsbDeviceOptions o;
  o.framing = ProtocolUsbFraming();
  o.new_session = [] { return std::make_unique<GarbageSession>(); };
  auto d = FakeUsbDevice::Create(std::move(o));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  dev_ = std::move(*d);
  TransportOptions opts;
  opts.timeout_ms = 1000;
  const auto t0 = Clock::now();
  auto t = OpenUsbTransport(0, opts);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kDataLoss) << t.status().ToString();
  EXPECT_NE(t.status().message().find("IDENTIFY"), std::string::npos) << t.status().ToString();
  EXPECT_NE(t.status().message().find("magic"), std::string::npos) << t.status().ToString();
  EXPECT_LT(Clock::now() - t0, milliseconds(1500));
}

TEST_F(UsbLinkTest, InterfaceHasOneOwner) {
  auto first = Open();
  ASSERT_NE(first, nullptr);
  TransportOptions opts;
  auto second = OpenUsbFrameLink(0, ToyFraming(), opts);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find("claiming interface 0: interface claimed by another program "
                                           "(LIBUSB_ERROR_BUSY)"),
            std::string::npos)
      << second.status().ToString();
  ExpectEcho(*first, 40);
  first.reset();
  auto again = OpenUsbFrameLink(0, ToyFraming(), opts);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ExpectEcho(**again, 40);
}

TEST_F(UsbLinkTest, TwoDevicesAreIndexedByPortPath) {
  FakeUsbDeviceOptions o;
  o.framing = ToyFraming();
  o.new_session = [] { return std::make_unique<EchoSession>(); };
  o.address = 5;  // port 1-4
  auto second = FakeUsbDevice::Create(std::move(o));
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  std::vector<UsbDeviceInfo> list = ListUsbDevices();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].port_path, "1-1");
  EXPECT_EQ(list[1].port_path, "1-4");
  EXPECT_EQ(list[1].address, 5);
  TransportOptions opts;
  auto a = OpenUsbFrameLink(0, ToyFraming(), opts);
  auto b = OpenUsbFrameLink(1, ToyFraming(), opts);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*b)->Describe().find("usb 001/005"), std::string::npos) << (*b)->Describe();
  ExpectEcho(**a, 33);
  ExpectEcho(**b, 34);
  EXPECT_EQ((*second)->stats().frames_in, 1u);
  EXPECT_EQ(dev_->stats().frames_in, 1u);
}

TEST_F(UsbLinkTest, NothingOutstandingAfterClose) {
  {
    auto link = Open();
    ASSERT_NE(link, nullptr);
    ExpectEcho(*link, 16);
  }
  EXPECT_EQ(dev_->urbs_outstanding(), 0u);
}

}  // namespace
}  // namespace systole::driver
