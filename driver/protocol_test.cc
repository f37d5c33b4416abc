// The device protocol: frame codec round trips and every class of malformed
// frame, the device side (DeviceSession) answering bad requests with ERROR
// frames (or closing on frames it cannot delimit), session isolation, and a
// deterministic random/mutated-frame test: 100k frames into
// DeviceSession::Handle, each answered by one valid frame or a close.
#include "driver/protocol.h"

#include <gtest/gtest.h>

#include <cstring>
#include <deque>
#include <functional>
#include <memory>

#include "common/crc32.h"
#include "common/test_seed.h"
#include "common/xorshift32.h"
#include "arch/program.h"
#include "driver/device_session.h"
#include "driver/frame_link.h"
#include "driver/frame_transport.h"

namespace systole::driver {
namespace {

namespace p = protocol;

std::unique_ptr<DeviceHost> MakeHost(bool allow_faults = false) {
  auto t = OpenSimTransport(sim::DeviceConfig::Small(8), false);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  DeviceHostOptions o;
  o.allow_faults = allow_faults;
  o.firmware_version = "protocol_test";
  return std::make_unique<DeviceHost>(std::move(t).value(), o);
}

// Sends one frame to the session; expects exactly one reply, decodes it.
struct Reply {
  FrameHeader header;
  std::vector<uint8_t> payload;
  Status error;  // from an ERROR reply
  bool completion = false;
};

Reply Exchange(DeviceSession& s, const std::vector<uint8_t>& frame, Status* handle_status = nullptr) {
  std::vector<OutFrame> out;
  Status hs = s.Handle(frame, &out);
  if (handle_status) *handle_status = hs;
  Reply r;
  EXPECT_EQ(out.size(), 1u);
  if (out.size() != 1) return r;
  StatusOr<Frame> f = DecodeFrame(out[0].bytes);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  if (!f.ok()) return r;
  r.header = f->header;
  r.payload.assign(f->payload, f->payload + f->payload_size);
  r.completion = out[0].completion;
  if (r.header.opcode == static_cast<uint16_t>(p::Opcode::kError)) {
    p::ErrorReply e;
    EXPECT_TRUE(e.Parse(r.payload.data(), r.payload.size()).ok());
    r.error = ErrorReplyToStatus(e);
    EXPECT_FALSE(r.error.ok());
  }
  return r;
}

template <typename Msg>
Reply Send(DeviceSession& s, const Msg& m, uint32_t seq = 7) {
  Reply r = Exchange(s, EncodeMessage(m, seq));
  EXPECT_EQ(r.header.sequence, seq);
  return r;
}

TEST(ProtocolFrame, RoundTrip) {
  std::vector<uint8_t> data = {1, 2, 3, 4, 5};
  p::WriteMemoryRequest w;
  w.space = 257;
  w.address = 0x123456789abcull;
  w.data = data.data();
  w.data_size = data.size();
  std::vector<uint8_t> f = EncodeMessage(w, 42);
  ASSERT_EQ(f.size(), p::kHeaderBytes + 12 + 5);
  StatusOr<size_t> len = FrameLengthFromHeader(f.data(), p::kHeaderBytes);
  ASSERT_TRUE(len.ok());
  EXPECT_EQ(*len, f.size());
  StatusOr<Frame> d = DecodeFrame(f);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->header.magic, p::kMagic);
  EXPECT_EQ(d->header.version, p::kVersion);
  EXPECT_EQ(d->header.opcode, static_cast<uint16_t>(p::Opcode::kWriteMemory));
  EXPECT_EQ(d->header.sequence, 42u);
  p::WriteMemoryRequest back;
  ASSERT_TRUE(back.Parse(d->payload, d->payload_size).ok());
  EXPECT_EQ(back.space, 257u);
  EXPECT_EQ(back.address, 0x123456789abcull);
  ASSERT_EQ(back.data_size, 5u);
  EXPECT_EQ(std::memcmp(back.data, data.data(), 5), 0);
  // Little-endian on the wire: magic bytes 'S' 'Y' 'S' 'P'.
  EXPECT_EQ(std::string(f.begin(), f.begin() + 4), "SYSP");

  p::IdentifyReply id;
  id.rows = 64;
  id.clock_hz = 500e6;
  id.link_name = "usb3";
  id.firmware_version = "fw";
  id.description = std::string(5000, 'x');  // clipped to MAX_STRING_BYTES
  std::vector<uint8_t> g = EncodeMessage(id, 1);
  StatusOr<Frame> gd = DecodeFrame(g);
  ASSERT_TRUE(gd.ok());
  p::IdentifyReply ib;
  ASSERT_TRUE(ib.Parse(gd->payload, gd->payload_size).ok());
  EXPECT_EQ(ib.rows, 64u);
  EXPECT_EQ(ib.clock_hz, 500e6);
  EXPECT_EQ(ib.link_name, "usb3");
  EXPECT_EQ(ib.description.size(), p::kMaxStringBytes);
}

TEST(ProtocolFrame, MalformedFrames) {
  p::ResetRequest r;
  const std::vector<uint8_t> good = EncodeMessage(r, 3);
  ASSERT_TRUE(DecodeFrame(good).ok());

  std::vector<uint8_t> bad = good;
  bad[0] ^= 1;
  StatusOr<Frame> f = DecodeFrame(bad);
  EXPECT_EQ(f.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(f.status().message().find("bad magic"), std::string::npos) << f.status().message();

  bad = good;
  bad[p::kHeaderPayloadLengthOffset + 3] = 0x7F;  // length far over the limit
  f = DecodeFrame(bad);
  EXPECT_EQ(f.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(f.status().message().find("MAX_PAYLOAD_BYTES"), std::string::npos) << f.status().message();
  EXPECT_EQ(FrameLengthFromHeader(bad.data(), bad.size()).status().code(), StatusCode::kDataLoss);

  bad = good;
  bad[p::kHeaderSequenceOffset] ^= 1;  // covered by the CRC
  f = DecodeFrame(bad);
  EXPECT_EQ(f.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(f.status().message().find("CRC-32 mismatch"), std::string::npos) << f.status().message();

  f = DecodeFrame(good.data(), good.size() - 1);
  EXPECT_EQ(f.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(f.status().message().find("truncated"), std::string::npos) << f.status().message();
  std::vector<uint8_t> longer = good;
  longer.push_back(0);
  EXPECT_NE(DecodeFrame(longer).status().message().find("trailing"), std::string::npos);

  p::WriteMemoryRequest w;  // payload needs 12 fixed bytes
  std::vector<uint8_t> shorty = EncodeFrame(static_cast<uint16_t>(p::Opcode::kWriteMemory), 1, nullptr, 0);
  f = DecodeFrame(shorty);
  ASSERT_TRUE(f.ok());
  Status ps = w.Parse(f->payload, f->payload_size);
  EXPECT_EQ(ps.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(ps.message().find("WRITE_MEMORY payload: 0 bytes, shorter than its 12 fixed bytes"), std::string::npos)
      << ps.message();
}

TEST(DeviceSessionTest, IdentifyReportsTheConfiguration) {
  auto host = MakeHost();
  DeviceSession s(host.get());
  Reply r = Send(s, p::IdentifyRequest{});
  ASSERT_EQ(r.header.opcode, static_cast<uint16_t>(p::Opcode::kIdentifyReply));
  p::IdentifyReply id;
  ASSERT_TRUE(id.Parse(r.payload.data(), r.payload.size()).ok());
  const sim::DeviceConfig hw = sim::DeviceConfig::Small(8);
  EXPECT_EQ(id.protocol_version, p::kVersion);
  EXPECT_EQ(id.rows, 8u);
  EXPECT_EQ(id.abuf_bytes, hw.abuf_bytes);
  EXPECT_EQ(id.pbuf_bytes, hw.pbuf_bytes);
  EXPECT_EQ(id.acc_rows, hw.acc_rows);
  EXPECT_EQ(id.clock_hz, hw.clock_hz);
  EXPECT_EQ(id.link_name, hw.link.name);
  EXPECT_EQ(id.firmware_version, "protocol_test");
  EXPECT_EQ(id.num_host_regions, static_cast<uint32_t>(isa::kNumHostRegions));
}

TEST(DeviceSessionTest, StreamOutOfStepClosesTheConnection) {
  auto host = MakeHost();
  DeviceSession s(host.get());
  std::vector<uint8_t> f = EncodeMessage(p::ResetRequest{}, 9);
  f[1] ^= 0xFF;  // bad magic
  Status hs;
  Reply r = Exchange(s, f, &hs);
  EXPECT_EQ(hs.code(), StatusCode::kDataLoss);
  EXPECT_EQ(r.error.code(), StatusCode::kDataLoss);
  f = EncodeMessage(p::ResetRequest{}, 9);
  f.back() ^= 0x01;  // CRC
  r = Exchange(s, f, &hs);
  EXPECT_EQ(hs.code(), StatusCode::kDataLoss);
  EXPECT_NE(r.error.message().find("CRC"), std::string::npos);
  EXPECT_EQ(r.header.sequence, 9u);
}

TEST(DeviceSessionTest, BadRequestsGetErrorFrames) {
  auto host = MakeHost();
  DeviceSession s(host.get());
  Status hs;
  // Another protocol version: ERROR, the connection stays.
  std::vector<uint8_t> f = EncodeMessage(p::IdentifyRequest{}, 5);
  f[p::kHeaderVersionOffset] = 99;
  const uint32_t crc = Crc32Extend(Crc32(f.data(), p::kCrcCoveredHeaderBytes), f.data() + p::kHeaderBytes,
                                   f.size() - p::kHeaderBytes);
  for (int i = 0; i < 4; ++i) f[p::kHeaderCrc32Offset + i] = static_cast<uint8_t>(crc >> (8 * i));
  Reply r = Exchange(s, f, &hs);
  EXPECT_TRUE(hs.ok());
  EXPECT_EQ(r.error.code(), StatusCode::kUnimplemented);
  EXPECT_NE(r.error.message().find("protocol version 99"), std::string::npos) << r.error.message();

  // Unknown opcode.
  r = Exchange(s, EncodeFrame(0x0777, 6, nullptr, 0), &hs);
  EXPECT_TRUE(hs.ok());
  EXPECT_EQ(r.error.code(), StatusCode::kUnimplemented);
  EXPECT_EQ(r.header.sequence, 6u);
  EXPECT_NE(r.error.message().find("unknown opcode 0x0777"), std::string::npos) << r.error.message();
  // A reply opcode sent as a request.
  r = Exchange(s, EncodeFrame(0x8001, 6, nullptr, 0), &hs);
  EXPECT_EQ(r.error.code(), StatusCode::kUnimplemented);

  // Payload too short for its opcode.
  const uint8_t two[2] = {1, 2};
  r = Exchange(s, EncodeFrame(static_cast<uint16_t>(p::Opcode::kRun), 8, two, 2), &hs);
  EXPECT_EQ(r.error.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(r.completion);  // an ERROR replying to RUN is a completion
  EXPECT_NE(r.error.message().find("RUN payload"), std::string::npos) << r.error.message();

  // Out-of-range memory access.
  p::ReadMemoryRequest rd;
  rd.space = static_cast<uint32_t>(p::Space::kAbuf);
  rd.address = sim::DeviceConfig::Small(8).abuf_bytes - 4;
  rd.length = 8;
  r = Send(s, rd);
  EXPECT_EQ(r.error.code(), StatusCode::kOutOfRange);
  EXPECT_NE(r.error.message().find("outside ABUF"), std::string::npos) << r.error.message();
  rd.address = UINT64_MAX - 2;  // no wrap-around
  EXPECT_EQ(Send(s, rd).error.code(), StatusCode::kOutOfRange);
  rd.space = 999;
  EXPECT_EQ(Send(s, rd).error.code(), StatusCode::kInvalidArgument);
  rd.space = static_cast<uint32_t>(p::Space::kHostRegion) + 3;
  rd.address = 0;
  EXPECT_EQ(Send(s, rd).error.code(), StatusCode::kFailedPrecondition);  // not mapped
  rd.length = static_cast<uint32_t>(p::kMaxChunkBytes) + 1;
  r = Send(s, rd);
  EXPECT_EQ(r.error.code(), StatusCode::kOutOfRange);
  EXPECT_NE(r.error.message().find("MAX_CHUNK_BYTES"), std::string::npos) << r.error.message();

  // Region too big; session total over its limit.
  p::MapRegionRequest m;
  m.region = 0;
  m.flags = 3;
  m.size = p::kMaxRegionBytes + 1;
  r = Send(s, m);
  EXPECT_EQ(r.error.code(), StatusCode::kOutOfRange);
  EXPECT_NE(r.error.message().find("MAX_REGION_BYTES"), std::string::npos) << r.error.message();
  m.size = p::kMaxRegionBytes;  // calloc'ed: costs no memory until written
  EXPECT_TRUE(Send(s, m).error.ok());
  m.region = 1;
  EXPECT_TRUE(Send(s, m).error.ok());
  m.region = 2;
  m.size = 1;
  r = Send(s, m);
  EXPECT_EQ(r.error.code(), StatusCode::kOutOfRange);
  EXPECT_NE(r.error.message().find("MAX_SESSION_BYTES"), std::string::npos) << r.error.message();
  m.region = 16;
  EXPECT_EQ(Send(s, m).error.code(), StatusCode::kOutOfRange);
  EXPECT_TRUE(Send(s, p::ResetRequest{}).error.ok());
  EXPECT_EQ(s.bytes_held(), 0u);

  // Programs: too long, out-of-order chunks, run of an empty slot.
  p::LoadProgramRequest lp;
  std::vector<uint8_t> words(64, 0);
  lp.slot = 0;
  lp.total_words = static_cast<uint32_t>(p::kMaxProgramWords) + 1;
  lp.words = words.data();
  lp.words_size = 64;
  r = Send(s, lp);
  EXPECT_NE(r.error.message().find("MAX_PROGRAM_WORDS"), std::string::npos) << r.error.message();
  lp.total_words = 4;
  lp.first_word = 1;
  EXPECT_EQ(Send(s, lp).error.code(), StatusCode::kFailedPrecondition);
  lp.words_size = 33;
  lp.first_word = 0;
  EXPECT_EQ(Send(s, lp).error.code(), StatusCode::kInvalidArgument);
  lp.slot = 4;
  EXPECT_EQ(Send(s, lp).error.code(), StatusCode::kOutOfRange);
  p::RunRequest run;
  run.slot = 1;
  r = Send(s, run);
  EXPECT_EQ(r.error.code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(r.completion);

  // FAULT without --allow-faults; PCIE_ATTACH without PCIe emulation.
  p::FaultRequest fr;
  fr.kind = static_cast<uint32_t>(p::FaultKind::kDrop);
  r = Send(s, fr);
  EXPECT_EQ(r.error.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.error.message().find("--allow-faults"), std::string::npos);
  r = Send(s, p::PcieAttachRequest{});
  EXPECT_NE(r.error.message().find("PCIe emulation not enabled"), std::string::npos);
}

TEST(DeviceSessionTest, SessionsAreIsolated) {
  auto host = MakeHost();
  auto a = std::make_unique<DeviceSession>(host.get());
  DeviceSession b(host.get());
  const std::vector<uint8_t> secret(256, 0xA5);
  for (uint32_t space : {0u, 1u}) {
    p::WriteMemoryRequest w;
    w.space = space;
    w.address = 128;
    w.data = secret.data();
    w.data_size = secret.size();
    ASSERT_TRUE(Send(*a, w).error.ok());
  }
  p::MapRegionRequest m;
  m.region = 2;
  m.flags = 3;
  m.size = 1024;
  ASSERT_TRUE(Send(*a, m).error.ok());
  auto read = [&](DeviceSession& s, uint32_t space) {
    p::ReadMemoryRequest rd;
    rd.space = space;
    rd.address = 128;
    rd.length = 256;
    return Send(s, rd);
  };
  for (uint32_t space : {0u, 1u}) {
    Reply r = read(b, space);
    ASSERT_TRUE(r.error.ok()) << r.error.ToString();
    EXPECT_EQ(r.payload, std::vector<uint8_t>(256, 0)) << "space " << space;
    r = read(*a, space);  // A gets its bytes back after B used the device
    EXPECT_EQ(r.payload, secret) << "space " << space;
  }
  EXPECT_EQ(read(b, 256 + 2).error.code(), StatusCode::kFailedPrecondition);  // B has no region 2
  // A's RESET zeroes only A's state.
  p::WriteMemoryRequest w;
  w.space = 0;
  w.address = 128;
  w.data = secret.data();
  w.data_size = secret.size();
  ASSERT_TRUE(Send(b, w).error.ok());
  ASSERT_TRUE(Send(*a, p::ResetRequest{}).error.ok());
  EXPECT_EQ(read(*a, 0).payload, std::vector<uint8_t>(256, 0));
  EXPECT_EQ(read(b, 0).payload, secret);
  // A session that ends leaves nothing behind for the next one.
  ASSERT_TRUE(Send(*a, w).error.ok());
  a.reset();
  DeviceSession c(host.get());
  EXPECT_EQ(read(c, 0).payload, std::vector<uint8_t>(256, 0));
}

TEST(DeviceSessionTest, FaultsApplyToTheNextMatchingReply) {
  auto host = MakeHost(/*allow_faults=*/true);
  DeviceSession s(host.get());
  p::FaultRequest fr;
  fr.kind = static_cast<uint32_t>(p::FaultKind::kDrop);
  fr.opcode = static_cast<uint32_t>(p::Opcode::kReset);
  ASSERT_TRUE(Send(s, fr).error.ok());
  std::vector<OutFrame> out;
  ASSERT_TRUE(s.Handle(EncodeMessage(p::IdentifyRequest{}, 1), &out).ok());
  EXPECT_EQ(out.size(), 1u);  // not a RESET: untouched
  out.clear();
  ASSERT_TRUE(s.Handle(EncodeMessage(p::ResetRequest{}, 2), &out).ok());
  EXPECT_TRUE(out.empty());  // dropped

  fr.kind = static_cast<uint32_t>(p::FaultKind::kCorrupt);
  fr.opcode = 0;
  ASSERT_TRUE(Send(s, fr).error.ok());
  out.clear();
  ASSERT_TRUE(s.Handle(EncodeMessage(p::IdentifyRequest{}, 3), &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(DecodeFrame(out[0].bytes).status().code(), StatusCode::kDataLoss);

  fr.kind = static_cast<uint32_t>(p::FaultKind::kTruncate);
  ASSERT_TRUE(Send(s, fr).error.ok());
  out.clear();
  ASSERT_TRUE(s.Handle(EncodeMessage(p::IdentifyRequest{}, 4), &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(DecodeFrame(out[0].bytes).status().message().find("truncated"), std::string::npos);

  fr.kind = static_cast<uint32_t>(p::FaultKind::kDeviceError);
  ASSERT_TRUE(Send(s, fr).error.ok());
  p::RunRequest run;
  Reply r = Send(s, run);
  EXPECT_EQ(r.error.code(), StatusCode::kInternal);
  EXPECT_NE(r.error.message().find("DEVICE_ERROR"), std::string::npos);

  fr.kind = static_cast<uint32_t>(p::FaultKind::kDisappear);
  ASSERT_TRUE(Send(s, fr).error.ok());
  EXPECT_EQ(host->vanish(), DeviceHost::Vanish::kNone);
  out.clear();
  ASSERT_TRUE(s.Handle(EncodeMessage(p::IdentifyRequest{}, 5), &out).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(host->vanish(), DeviceHost::Vanish::kDisappear);

  fr.kind = 99;
  EXPECT_EQ(Send(s, fr).error.code(), StatusCode::kInvalidArgument);
  fr.kind = static_cast<uint32_t>(p::FaultKind::kDelay);
  fr.arg = static_cast<uint32_t>(p::kMaxFaultDelayMs) + 1;
  EXPECT_EQ(Send(s, fr).error.code(), StatusCode::kOutOfRange);
}


// A fake link for tests (behind the real FrameLink interface): frames go
// straight to an in-process DeviceSession; `mangle` may alter each reply
// before the client sees it. Receive() with nothing queued is a timeout.
class SessionLinkForTest : public FrameLink {
 public:
  SessionLinkForTest(DeviceHost* host, std::function<void(std::vector<uint8_t>*)> mangle)
      : host_(host), session_(std::make_unique<DeviceSession>(host)), mangle_(std::move(mangle)) {}
  std::string Describe() const override { return "in-process session (test)"; }
  Status Send(const std::vector<uint8_t>& frame, Deadline) override {
    std::vector<OutFrame> out;
    Status s = session_->Handle(frame, &out);
    for (OutFrame& o : out) {
      if (mangle_) mangle_(&o.bytes);
      pending_.push_back(std::move(o.bytes));
    }
    if (!s.ok()) return Unavailable("the device closed the connection: %s", s.message().c_str());
    return Status::Ok();
  }
  StatusOr<std::vector<uint8_t>> Receive(Deadline) override {
    if (pending_.empty()) return DeadlineExceeded("no reply");
    std::vector<uint8_t> f = std::move(pending_.front());
    pending_.pop_front();
    // What a stream link does: check the header, deliver what arrived.
    if (f.size() < p::kHeaderBytes) return DeadlineExceeded("short reply");
    StatusOr<size_t> len = FrameLengthFromHeader(f.data(), f.size());
    if (!len.ok()) return len.status();
    if (f.size() < *len) return DeadlineExceeded("reply truncated");
    f.resize(*len);
    return f;
  }
  void Interrupt() override {}
  Status Reconnect(Deadline) override {
    pending_.clear();
    session_ = std::make_unique<DeviceSession>(host_);
    ++reconnects;
    return Status::Ok();
  }
  int reconnects = 0;

 private:
  DeviceHost* host_;
  std::unique_ptr<DeviceSession> session_;
  std::function<void(std::vector<uint8_t>*)> mangle_;
  std::deque<std::vector<uint8_t>> pending_;
};

std::vector<isa::InsnWord> CopyProgram(uint32_t n) {
  using sim::operator|;
  isa::LoadArgs l;
  l.buffer = 0;
  l.region = 0;
  l.rows = 1;
  l.row_bytes = n;
  l.sram_stride = n;
  l.host_stride = n;
  isa::StoreArgs st;
  st.region = 1;
  st.rows = 1;
  st.row_bytes = n;
  st.sram_stride = n;
  st.host_stride = n;
  sim::ProgramBuilder b;
  b.Add(l, sim::PushNext());
  b.Add(isa::NopArgs{}, sim::PopPrev() | sim::PushNext());
  b.Add(st, sim::PopPrev());
  EXPECT_TRUE(b.status().ok());
  return b.words();
}

// The client side against a well-behaved device, then against replies
// mangled at random (bytes flipped with the CRC repaired or not, cut,
// sequence numbers and opcodes changed): every call returns a Status (the
// right bytes when nothing was mangled), nothing crashes, and after a
// mangled reply the transport reconnects and works again.
TEST(FrameTransportTest, SurvivesMangledReplies) {
  auto host = MakeHost();
  Xorshift32 rng(TestSeed("SurvivesMangledReplies", 99));
  bool mangled = false;
  int mangle_percent = 0;
  auto mangle = [&](std::vector<uint8_t>* f) {
    if (static_cast<int>(rng.Next() % 100) >= mangle_percent) return;
    mangled = true;
    switch (rng.Next() % 5) {
      case 0: (*f)[rng.Next() % f->size()] ^= static_cast<uint8_t>(1 + rng.Next() % 255); break;
      case 1: f->resize(rng.Next() % f->size()); break;
      case 2: (*f)[p::kHeaderSequenceOffset] ^= 1; break;
      default: {  // a valid frame with wrong contents
        if (f->size() < p::kHeaderBytes) break;
        const size_t plen = f->size() - p::kHeaderBytes;
        (*f)[plen > 0 ? p::kHeaderBytes + rng.Next() % plen : p::kHeaderOpcodeOffset] ^= 0x10;
        if (rng.Next() % 2) (*f)[p::kHeaderOpcodeOffset] ^= 0x01;
        const uint32_t crc = Crc32Extend(Crc32(f->data(), p::kCrcCoveredHeaderBytes), f->data() + p::kHeaderBytes,
                                         f->size() - p::kHeaderBytes);
        for (int i = 0; i < 4; ++i) (*f)[p::kHeaderCrc32Offset + i] = static_cast<uint8_t>(crc >> (8 * i));
        break;
      }
    }
  };
  auto link = std::make_unique<SessionLinkForTest>(host.get(), mangle);
  SessionLinkForTest* raw = link.get();
  TransportOptions o;
  o.timeout_ms = 100;
  StatusOr<std::unique_ptr<Transport>> t = MakeFrameTransport(std::move(link), o);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)->config().rows, 8);
  int ok = 0, failed = 0;
  for (int it = 0; it < 3000; ++it) {
    mangle_percent = it < 100 ? 0 : 5;
    mangled = false;
    const uint32_t n = 32 * (1 + rng.Next() % 64);
    std::vector<uint8_t> in(n), out(n, 0);
    for (uint8_t& b : in) b = static_cast<uint8_t>(rng.Next());
    sim::HostMemory mem;
    ASSERT_TRUE(mem.Map(0, in.data(), n, true, false).ok());
    ASSERT_TRUE(mem.Map(1, out.data(), n, false, true).ok());
    StatusOr<sim::PerfCounters> c = (*t)->Execute(CopyProgram(n), mem, ExecuteOptions{});
    if (c.ok()) {
      ++ok;
      if (!mangled) {
        ASSERT_EQ(out, in) << "iteration " << it;
      }
    } else {
      ++failed;
      ASSERT_TRUE(mangled) << "iteration " << it << ": " << c.status().ToString();
    }
  }
  EXPECT_GT(ok, 0);
  EXPECT_GT(failed, 0);
  EXPECT_GT(raw->reconnects, 0);
  std::printf("mangled replies: %d runs ok, %d failed cleanly, %d reconnects\n", ok, failed, raw->reconnects);
}

// Random and mutated frames: every one is answered by exactly one well-formed
// frame echoing its sequence number, or (frames that cannot be delimited) by
// an ERROR and a close. Nothing crashes (run under ASan/UBSan in CI).
TEST(DeviceSessionTest, RandomAndMutatedFramesNeverCrash) {
  auto host = MakeHost();
  Xorshift32 rng(TestSeed("RandomAndMutatedFramesNeverCrash", 0x5eed));
  auto session = std::make_unique<DeviceSession>(host.get());
  auto pick = [&](uint32_t n) { return rng.Next() % n; };
  auto num = [&]() -> uint64_t {
    switch (pick(6)) {
      case 0: return 0;
      case 1: return pick(16);
      case 2: return pick(4096);
      case 3: return 0xFFFFFFFFu;
      case 4: return UINT64_MAX - pick(8);
      default: return 256 + pick(20);
    }
  };
  std::vector<uint8_t> data;
  int closes = 0, errors = 0, replies = 0;
  const int kFrames = 100000;
  for (int it = 0; it < kFrames; ++it) {
    std::vector<uint8_t> payload;
    const uint16_t opcode = static_cast<uint16_t>(pick(10) == 0 ? rng.Next() : 1 + pick(9));
    data.assign(pick(4) == 0 ? pick(2048) : pick(64), 0);
    for (uint8_t& b : data) b = static_cast<uint8_t>(rng.Next());
    switch (opcode) {
      case 2: { p::WriteMemoryRequest m; m.space = static_cast<uint32_t>(num()); m.address = num(); m.data = data.data(); m.data_size = data.size(); m.AppendTo(&payload); break; }
      case 3: { p::ReadMemoryRequest m; m.space = static_cast<uint32_t>(num()); m.address = num(); m.length = static_cast<uint32_t>(num() % 100000); m.AppendTo(&payload); break; }
      case 4: { p::MapRegionRequest m; m.region = static_cast<uint32_t>(pick(18)); m.flags = static_cast<uint32_t>(pick(5)); m.size = pick(3) == 0 ? num() : pick(8192); m.AppendTo(&payload); break; }
      case 5: { p::LoadProgramRequest m; m.slot = static_cast<uint32_t>(pick(5)); m.first_word = static_cast<uint32_t>(pick(3)); m.total_words = static_cast<uint32_t>(pick(4) == 0 ? num() : pick(4)); data.resize(32 * pick(3)); m.words = data.data(); m.words_size = data.size(); m.AppendTo(&payload); break; }
      case 6: { p::RunRequest m; m.slot = static_cast<uint32_t>(pick(5)); m.region_mask = rng.Next(); m.AppendTo(&payload); break; }
      case 8: { p::FaultRequest m; m.kind = static_cast<uint32_t>(pick(9)); m.AppendTo(&payload); break; }
      default: payload = data; break;
    }
    std::vector<uint8_t> f = EncodeFrame(opcode, static_cast<uint32_t>(it), payload.data(), payload.size());
    // Mutate: flip bytes, cut, extend; sometimes repair the CRC so the
    // mutation reaches the payload decoders.
    const int mutation = static_cast<int>(pick(6));
    if (mutation == 1 || mutation == 2) {
      for (uint32_t k = 0, n = 1 + pick(4); k < n; ++k) f[pick(static_cast<uint32_t>(f.size()))] ^= static_cast<uint8_t>(1 + pick(255));
    } else if (mutation == 3) {
      f.resize(pick(static_cast<uint32_t>(f.size()) + 1));
    } else if (mutation == 4) {
      f.push_back(static_cast<uint8_t>(rng.Next()));
    }
    if (mutation == 2 && f.size() >= p::kHeaderBytes) {
      const size_t plen = f.size() - p::kHeaderBytes;
      for (int i = 0; i < 4; ++i) f[p::kHeaderPayloadLengthOffset + i] = static_cast<uint8_t>(plen >> (8 * i));
      const uint32_t crc = Crc32Extend(Crc32(f.data(), p::kCrcCoveredHeaderBytes), f.data() + p::kHeaderBytes, plen);
      for (int i = 0; i < 4; ++i) f[p::kHeaderCrc32Offset + i] = static_cast<uint8_t>(crc >> (8 * i));
    }
    std::vector<OutFrame> out;
    const Status hs = session->Handle(f, &out);
    ASSERT_EQ(out.size(), 1u) << "frame " << it;
    StatusOr<Frame> reply = DecodeFrame(out[0].bytes);
    ASSERT_TRUE(reply.ok()) << "frame " << it << ": " << reply.status().ToString();
    const bool is_error = reply->header.opcode == static_cast<uint16_t>(p::Opcode::kError);
    if (is_error) {
      p::ErrorReply e;
      ASSERT_TRUE(e.Parse(reply->payload, reply->payload_size).ok());
      ASSERT_FALSE(ErrorReplyToStatus(e).ok());
    }
    if (!hs.ok()) {
      ASSERT_EQ(hs.code(), StatusCode::kDataLoss);
      ASSERT_TRUE(is_error);
      ++closes;
      session = std::make_unique<DeviceSession>(host.get());  // the server would close the connection
      continue;
    }
    ASSERT_EQ(reply->header.sequence, ParseHeader(f.data()).sequence) << "frame " << it;
    if (is_error) ++errors;
    else {
      ASSERT_EQ(reply->header.opcode, static_cast<uint16_t>(f[p::kHeaderOpcodeOffset] | (f[p::kHeaderOpcodeOffset + 1] << 8) | p::kReplyBit));
      ++replies;
    }
  }
  EXPECT_EQ(closes + errors + replies, kFrames);
  EXPECT_GT(closes, 0);
  EXPECT_GT(errors, 0);
  EXPECT_GT(replies, 0);
  std::printf("random frames: %d replies, %d errors, %d closes\n", replies, errors, closes);
}

}  // namespace
}  // namespace systole::driver
