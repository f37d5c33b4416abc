#include "driver/frame_transport.h"

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstring>
#include <mutex>

namespace systole::driver {

namespace p = protocol;

namespace {

constexpr size_t kWordBytes = sizeof(uint64_t) * isa::kInsnWords;

struct AtomicStats {
  std::atomic<uint64_t> frames_sent{0}, bytes_sent{0}, bytes_received{0}, region_bytes_uploaded{0},
      region_uploads_skipped{0}, region_bytes_downloaded{0}, program_words_uploaded{0}, reconnects{0};
};
AtomicStats& Stats() {
  static AtomicStats s;
  return s;
}

bool IsLinkFailure(StatusCode c) {
  return c == StatusCode::kUnavailable || c == StatusCode::kDeadlineExceeded || c == StatusCode::kCancelled ||
         c == StatusCode::kDataLoss;
}

class FrameTransport : public Transport {
 public:
  FrameTransport(std::unique_ptr<FrameLink> link, const TransportOptions& options, std::string name)
      : link_(std::move(link)), options_(options), name_(std::move(name)) {}

  Status Open() {
    const Deadline d = DeadlineIn(options_.timeout_ms);
    return IdentifyDevice(d, /*first=*/true);
  }

  std::string Describe() const override { return description_; }
  const sim::DeviceConfig& config() const override { return config_; }
  DeviceIdentity Identify() const override { return identity_; }

  Status WriteMemory(isa::Buffer buffer, uint32_t addr, const uint8_t* data, size_t size) override {
    const Deadline d = DeadlineIn(options_.timeout_ms);
    RETURN_IF_ERROR(EnsureLink(d));
    return Finish(Write(static_cast<uint32_t>(buffer), addr, data, size, d), "WRITE_MEMORY");
  }
  Status ReadMemory(isa::Buffer buffer, uint32_t addr, uint8_t* data, size_t size) override {
    const Deadline d = DeadlineIn(options_.timeout_ms);
    RETURN_IF_ERROR(EnsureLink(d));
    return Finish(Read(static_cast<uint32_t>(buffer), addr, data, size, d), "READ_MEMORY");
  }

  StatusOr<sim::PerfCounters> Execute(const std::vector<isa::InsnWord>& program, const sim::HostMemory& host,
                                      const ExecuteOptions& options) override {
    const int timeout = options.timeout_ms > 0 ? options.timeout_ms : options_.timeout_ms;
    const Deadline d = DeadlineIn(timeout);
    RETURN_IF_ERROR(EnsureLink(d));
    sim::PerfCounters c;
    Status s = ExecuteOnLink(program, host, options, d, &c);
    if (s.code() == StatusCode::kDeadlineExceeded)
      s = Status(s.code(), StrFormat("%s (run timeout %d ms)", s.message().c_str(), timeout));
    RETURN_IF_ERROR(Finish(s, "run"));
    return c;
  }

  Status Reset() override {
    const Deadline d = DeadlineIn(options_.timeout_ms);
    ForgetCaches();
    if (broken_) return EnsureLink(d);  // a new session is a reset one
    p::ResetRequest req;
    p::ResetReply rep;
    return Finish(Call(req, &rep, d), "RESET");
  }

  void Interrupt() override { link_->Interrupt(); }

  Status Fault(p::FaultKind kind, uint32_t arg, uint16_t opcode) {
    const Deadline d = DeadlineIn(options_.timeout_ms);
    RETURN_IF_ERROR(EnsureLink(d));
    p::FaultRequest req;
    req.kind = static_cast<uint32_t>(kind);
    req.arg = arg;
    req.opcode = opcode;
    p::FaultReply rep;
    return Finish(Call(req, &rep, d), "FAULT");
  }

 private:
  struct CachedRegion {
    bool mapped = false;
    uint64_t size = 0;
    uint32_t flags = 0;
    uint64_t content_id = 0;  // 0 = unknown contents
  };
  struct CachedSlot {
    std::vector<isa::InsnWord> words;
    bool valid = false;
    uint64_t last_use = 0;
  };

  static Deadline DeadlineIn(int ms) { return Clock::now() + std::chrono::milliseconds(ms > 0 ? ms : 1); }

  std::string Where() const { return StrFormat("%s device %s", name_.c_str(), link_->Describe().c_str()); }

  // Annotates a failure with the device, and marks the link for reconnection
  // when the failure left it out of step.
  Status Finish(const Status& s, const char* what) {
    if (s.ok()) return s;
    if (IsLinkFailure(s.code())) {
      broken_ = true;
      ForgetCaches();
    }
    return Annotate(s, StrFormat("%s: %s", Where().c_str(), what));
  }

  void ForgetCaches() {
    regions_ = {};
    for (CachedSlot& s : slots_) s = CachedSlot{};
  }

  Status EnsureLink(Deadline d) {
    if (!broken_) return Status::Ok();
    Status s = link_->Reconnect(d);
    if (s.ok()) s = IdentifyDevice(d, /*first=*/false);
    if (!s.ok()) return Annotate(s, StrFormat("%s: reconnecting", Where().c_str()));
    Stats().reconnects++;
    broken_ = false;
    return Status::Ok();
  }

  Status IdentifyDevice(Deadline d, bool first) {
    ForgetCaches();
    p::IdentifyRequest req;
    p::IdentifyReply r;
    RETURN_IF_ERROR(Call(req, &r, d));
    if (r.protocol_version != p::kVersion)
      return Unimplemented("device speaks protocol version %u, this driver version %u", r.protocol_version,
                           p::kVersion);
    if (r.num_host_regions != static_cast<uint32_t>(isa::kNumHostRegions))
      return DataLoss("IDENTIFY: device has %u host regions, the ISA %d", r.num_host_regions, isa::kNumHostRegions);
    if (r.num_program_slots == 0 || r.max_payload_bytes < 4096)
      return DataLoss("IDENTIFY: device limits unusable (%u program slots, max payload %u bytes)", r.num_program_slots,
                      r.max_payload_bytes);
    sim::DeviceConfig hw;
    hw.rows = static_cast<int>(std::min<uint32_t>(r.rows, 1u << 20));
    hw.cols = static_cast<int>(std::min<uint32_t>(r.cols, 1u << 20));
    hw.clock_hz = r.clock_hz;
    hw.abuf_bytes = r.abuf_bytes;
    hw.pbuf_bytes = r.pbuf_bytes;
    hw.acc_rows = r.acc_rows;
    hw.queue_depth = static_cast<int>(std::min<uint32_t>(r.queue_depth, 1u << 20));
    hw.token_depth = static_cast<int>(std::min<uint32_t>(r.token_depth, 1u << 20));
    hw.link.name = r.link_name;
    hw.link.bytes_per_second = r.link_bytes_per_second;
    hw.link.latency_seconds = r.link_latency_seconds;
    {
      Status v = hw.Validate();
      if (!v.ok()) return DataLoss("IDENTIFY: the device's configuration is invalid: %s", v.message().c_str());
    }
    if (!first) {
      if (hw.rows != config_.rows || hw.cols != config_.cols || hw.abuf_bytes != config_.abuf_bytes ||
          hw.pbuf_bytes != config_.pbuf_bytes || hw.acc_rows != config_.acc_rows)
        return FailedPrecondition("the device's configuration changed across a reconnect (%s, was %s)",
                                  hw.ToString().c_str(), config_.ToString().c_str());
      return Status::Ok();
    }
    config_ = hw;
    max_chunk_ = std::min<uint64_t>(p::kMaxChunkBytes, r.max_payload_bytes - 64) / kWordBytes * kWordBytes;
    num_slots_ = std::min<uint32_t>(r.num_program_slots, static_cast<uint32_t>(p::kNumProgramSlots));
    max_program_words_ = r.max_program_words;
    identity_.transport = name_;
    identity_.protocol_version = r.protocol_version;
    identity_.firmware_version = r.firmware_version;
    identity_.location = link_->Describe();
    identity_.description = StrFormat("%s %s: %s", name_.c_str(), link_->Describe().c_str(), r.description.c_str());
    description_ = identity_.description;
    return Status::Ok();
  }

  // One request, one verified reply.
  template <typename Req, typename Rep>
  Status Call(const Req& req, Rep* rep, Deadline d) {
    if (++sequence_ == 0) ++sequence_;  // 0 is reserved for the device's own notices
    const uint32_t seq = sequence_;
    std::vector<uint8_t> frame = EncodeMessage(req, seq);
    RETURN_IF_ERROR(Annotate(link_->Send(frame, d), Req::kName));
    Stats().frames_sent++;
    Stats().bytes_sent += frame.size();
    ASSIGN_OR_RETURN(reply_, link_->Receive(d));
    Stats().bytes_received += reply_.size();
    StatusOr<Frame> fr = DecodeFrame(reply_);
    if (!fr.ok()) return Annotate(fr.status(), StrFormat("reply to %s", Req::kName));
    const FrameHeader& h = fr->header;
    if (h.version != p::kVersion)
      return DataLoss("reply to %s: protocol version %u, expected %u", Req::kName, h.version, p::kVersion);
    if (h.sequence == 0 && h.opcode == static_cast<uint16_t>(p::Opcode::kError)) {
      // Sequence 0 is never a request's: the device refuses the connection
      // itself (e.g. a server at --max-clients) and closes it.
      p::ErrorReply e;
      if (e.Parse(fr->payload, fr->payload_size).ok() && !ErrorReplyToStatus(e).ok()) {
        broken_ = true;
        return Unavailable("the device refused the connection: %s", e.message.c_str());
      }
    }
    if (h.sequence != seq)
      return DataLoss("reply to %s: sequence number %u, expected %u", Req::kName, h.sequence, seq);
    if (h.opcode == static_cast<uint16_t>(p::Opcode::kError)) {
      p::ErrorReply e;
      Status ps = e.Parse(fr->payload, fr->payload_size);
      if (!ps.ok()) return DataLoss("reply to %s: malformed ERROR: %s", Req::kName, ps.message().c_str());
      if (e.request_opcode != static_cast<uint32_t>(Req::kOpcode))
        return DataLoss("reply to %s: ERROR for opcode 0x%x", Req::kName, e.request_opcode);
      Status es = ErrorReplyToStatus(e);
      if (es.ok()) return DataLoss("reply to %s: ERROR with status OK", Req::kName);
      return Annotate(es, StrFormat("%s refused by the device", Req::kName));
    }
    if (h.opcode != static_cast<uint16_t>(Rep::kOpcode))
      return DataLoss("reply to %s: %s, expected %s", Req::kName, DescribeOpcode(h.opcode).c_str(),
                      DescribeOpcode(static_cast<uint16_t>(Rep::kOpcode)).c_str());
    Status ps = rep->Parse(fr->payload, fr->payload_size);
    if (!ps.ok()) return DataLoss("reply to %s: %s", Req::kName, ps.message().c_str());
    return Status::Ok();
  }

  Status Write(uint32_t space, uint64_t addr, const uint8_t* data, size_t size, Deadline d) {
    size_t done = 0;
    do {
      const size_t n = std::min<size_t>(size - done, max_chunk_);
      p::WriteMemoryRequest req;
      req.space = space;
      req.address = addr + done;
      req.data = data + done;
      req.data_size = n;
      p::WriteMemoryReply rep;
      RETURN_IF_ERROR(Call(req, &rep, d));
      done += n;
    } while (done < size);
    return Status::Ok();
  }

  Status Read(uint32_t space, uint64_t addr, uint8_t* data, size_t size, Deadline d) {
    size_t done = 0;
    while (done < size) {
      const size_t n = std::min<size_t>(size - done, max_chunk_);
      p::ReadMemoryRequest req;
      req.space = space;
      req.address = addr + done;
      req.length = static_cast<uint32_t>(n);
      p::ReadMemoryReply rep;
      RETURN_IF_ERROR(Call(req, &rep, d));
      if (rep.data_size != n)
        return DataLoss("READ_MEMORY reply: %zu bytes, %zu requested", rep.data_size, n);
      std::memcpy(data + done, rep.data, n);
      done += n;
    }
    return Status::Ok();
  }

  StatusOr<uint32_t> ProgramSlot(const std::vector<isa::InsnWord>& program, Deadline d) {
    ++use_clock_;
    for (uint32_t i = 0; i < num_slots_; ++i) {
      CachedSlot& s = slots_[i];
      if (s.valid && s.words.size() == program.size() &&
          std::equal(program.begin(), program.end(), s.words.begin())) {
        s.last_use = use_clock_;
        return i;
      }
    }
    if (program.empty()) return InvalidArgument("empty program");
    if (program.size() > max_program_words_)
      return OutOfRange("program of %zu instructions exceeds the device's MAX_PROGRAM_WORDS (%u)", program.size(),
                        max_program_words_);
    uint32_t victim = 0;
    for (uint32_t i = 1; i < num_slots_; ++i)
      if (slots_[i].last_use < slots_[victim].last_use) victim = i;
    CachedSlot& s = slots_[victim];
    s = CachedSlot{};
    const size_t per = max_chunk_ / kWordBytes;
    std::vector<uint8_t> bytes;
    for (size_t first = 0; first < program.size(); first += per) {
      const size_t n = std::min(per, program.size() - first);
      bytes.clear();
      for (size_t i = first; i < first + n; ++i)
        for (int k = 0; k < isa::kInsnWords; ++k) p::wire::PutU64(&bytes, program[i].w[k]);
      p::LoadProgramRequest req;
      req.slot = victim;
      req.first_word = static_cast<uint32_t>(first);
      req.total_words = static_cast<uint32_t>(program.size());
      req.words = bytes.data();
      req.words_size = bytes.size();
      p::LoadProgramReply rep;
      RETURN_IF_ERROR(Call(req, &rep, d));
      if (rep.loaded_words != first + n)
        return DataLoss("LOAD_PROGRAM reply: %u words loaded, expected %zu", rep.loaded_words, first + n);
    }
    Stats().program_words_uploaded += program.size();
    s.words = program;
    s.valid = true;
    s.last_use = use_clock_;
    return victim;
  }

  Status ExecuteOnLink(const std::vector<isa::InsnWord>& program, const sim::HostMemory& host,
                       const ExecuteOptions& options, Deadline d, sim::PerfCounters* c) {
    uint32_t mask = 0;
    for (int i = 0; i < isa::kNumHostRegions; ++i) {
      const sim::HostRegion& r = host.region(i);
      if (!r.mapped()) continue;
      mask |= 1u << i;
      const uint32_t flags = (r.readable ? static_cast<uint32_t>(p::RegionFlag::kReadable) : 0u) |
                             (r.writable ? static_cast<uint32_t>(p::RegionFlag::kWritable) : 0u);
      CachedRegion& cr = regions_[i];
      if (!cr.mapped || cr.size != r.size || cr.flags != flags) {
        cr = CachedRegion{};
        p::MapRegionRequest req;
        req.region = static_cast<uint32_t>(i);
        req.flags = flags;
        req.size = r.size;
        p::MapRegionReply rep;
        RETURN_IF_ERROR(Call(req, &rep, d));
        cr.mapped = true;
        cr.size = r.size;
        cr.flags = flags;
      }
      if (!r.readable) continue;
      const uint64_t id = options.region_ids[i];
      if (id != 0 && cr.content_id == id) {
        Stats().region_uploads_skipped++;
        continue;
      }
      cr.content_id = 0;
      RETURN_IF_ERROR(Write(static_cast<uint32_t>(p::Space::kHostRegion) + i, 0, r.data, r.size, d));
      Stats().region_bytes_uploaded += r.size;
      cr.content_id = r.writable ? 0 : id;  // a region the run may write is not what the id names afterwards
    }
    ASSIGN_OR_RETURN(uint32_t slot, ProgramSlot(program, d));
    p::RunRequest req;
    req.slot = slot;
    req.region_mask = mask;
    p::RunReply rep;
    RETURN_IF_ERROR(Call(req, &rep, d));
    c->cycles = rep.cycles;
    c->load = sim::UnitCounters{rep.load_busy, rep.load_stall_dma, rep.load_stall_dep, rep.load_idle,
                                rep.load_instructions};
    c->compute = sim::UnitCounters{rep.compute_busy, rep.compute_stall_dma, rep.compute_stall_dep, rep.compute_idle,
                                   rep.compute_instructions};
    c->store = sim::UnitCounters{rep.store_busy, rep.store_stall_dma, rep.store_stall_dep, rep.store_idle,
                                 rep.store_instructions};
    c->fetch_stall_queue_full = rep.fetch_stall_queue_full;
    c->macs = rep.macs;
    c->bytes_loaded = rep.bytes_loaded;
    c->bytes_stored = rep.bytes_stored;
    for (int i = 0; i < isa::kNumHostRegions; ++i) {
      const sim::HostRegion& r = host.region(i);
      if (!r.mapped() || !r.writable) continue;
      RETURN_IF_ERROR(Read(static_cast<uint32_t>(p::Space::kHostRegion) + i, 0, r.data, r.size, d));
      Stats().region_bytes_downloaded += r.size;
    }
    return Status::Ok();
  }

  std::unique_ptr<FrameLink> link_;
  TransportOptions options_;
  std::string name_;
  sim::DeviceConfig config_;
  DeviceIdentity identity_;
  std::string description_;
  uint32_t sequence_ = 0;
  bool broken_ = false;
  uint64_t max_chunk_ = p::kMaxChunkBytes;
  uint32_t num_slots_ = 1;
  uint32_t max_program_words_ = 0;
  std::array<CachedRegion, isa::kNumHostRegions> regions_{};
  std::array<CachedSlot, p::kNumProgramSlots> slots_{};
  uint64_t use_clock_ = 0;
  std::vector<uint8_t> reply_;  // the last reply frame (reply views point into it)
};

}  // namespace

StatusOr<std::unique_ptr<Transport>> MakeFrameTransport(std::unique_ptr<FrameLink> link,
                                                        const TransportOptions& options,
                                                        const std::string& transport_name) {
  if (link == nullptr) return InvalidArgument("MakeFrameTransport: no link");
  const std::string where = link->Describe();
  auto t = std::make_unique<FrameTransport>(std::move(link), options, transport_name);
  Status s = t->Open();
  if (!s.ok()) return Annotate(s, StrFormat("%s device %s: IDENTIFY", transport_name.c_str(), where.c_str()));
  return std::unique_ptr<Transport>(std::move(t));
}

FrameTransportStats GetFrameTransportStats() {
  AtomicStats& a = Stats();
  FrameTransportStats s;
  s.frames_sent = a.frames_sent;
  s.bytes_sent = a.bytes_sent;
  s.bytes_received = a.bytes_received;
  s.region_bytes_uploaded = a.region_bytes_uploaded;
  s.region_uploads_skipped = a.region_uploads_skipped;
  s.region_bytes_downloaded = a.region_bytes_downloaded;
  s.program_words_uploaded = a.program_words_uploaded;
  s.reconnects = a.reconnects;
  return s;
}

Status InjectFault(Transport& t, protocol::FaultKind kind, uint32_t arg, uint16_t opcode) {
  auto* f = dynamic_cast<FrameTransport*>(&t);
  if (f == nullptr) return Unimplemented("fault injection needs a frame transport (remote, usb), not %s",
                                         t.Describe().c_str());
  return f->Fault(kind, arg, opcode);
}

}  // namespace systole::driver
