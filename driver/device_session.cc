#include "driver/device_session.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstring>
#include <cstdlib>
#include <new>

namespace systole::driver {

namespace p = protocol;

namespace {

constexpr size_t kWordBytes = sizeof(uint64_t) * isa::kInsnWords;  // 32
static_assert(kWordBytes == 32, "protocol words are 32 bytes");


template <typename Msg>
std::vector<uint8_t> ToPayload(const Msg& m) {
  std::vector<uint8_t> v;
  m.AppendTo(&v);
  return v;
}

template <typename Msg>
Status ParseRequest(const Frame& f, Msg* m) {
  return m->Parse(f.payload, f.payload_size);
}

const char* SpaceName(uint32_t space) {
  if (space == static_cast<uint32_t>(p::Space::kAbuf)) return "ABUF";
  if (space == static_cast<uint32_t>(p::Space::kPbuf)) return "PBUF";
  return "HOST_REGION";
}

}  // namespace

// ---------------------------------------------------------------------------
// DeviceHost

DeviceHost::DeviceHost(std::unique_ptr<Transport> device, DeviceHostOptions options)
    : device_(std::move(device)), options_(std::move(options)) {}

DeviceHost::~DeviceHost() { Shutdown(); }

void DeviceHost::Shutdown() {
  std::lock_guard<std::mutex> l(fault_mu_);
  shutdown_ = true;
  fault_cv_.notify_all();
}

uint64_t DeviceHost::NewSessionId() {
  std::lock_guard<std::mutex> l(mu_);
  return next_id_++;
}

Status DeviceHost::SwitchToLocked(uint64_t id) {
  if (active_ == id) return Status::Ok();
  const sim::DeviceConfig& hw = device_->config();
  if (active_ != 0) {
    Saved s;
    s.abuf.resize(hw.abuf_bytes);
    s.pbuf.resize(hw.pbuf_bytes);
    Status st = device_->ReadMemory(isa::Buffer::kAbuf, 0, s.abuf.data(), s.abuf.size());
    if (st.ok()) st = device_->ReadMemory(isa::Buffer::kPbuf, 0, s.pbuf.data(), s.pbuf.size());
    if (!st.ok()) return Annotate(st, "device: saving a session's on-chip memories");
    saved_[active_] = std::move(s);
    active_ = 0;
  }
  // Zero everything (also the accumulators, which no session can save):
  // nothing of the previous session survives the switch.
  if (!device_clean_) {
    RETURN_IF_ERROR(Annotate(device_->Reset(), "device: clearing on-chip memories"));
    device_clean_ = true;
  }
  auto it = saved_.find(id);
  if (it != saved_.end()) {
    Status st = device_->WriteMemory(isa::Buffer::kAbuf, 0, it->second.abuf.data(), it->second.abuf.size());
    if (st.ok()) st = device_->WriteMemory(isa::Buffer::kPbuf, 0, it->second.pbuf.data(), it->second.pbuf.size());
    if (!st.ok()) return Annotate(st, "device: restoring a session's on-chip memories");
    saved_.erase(it);
  }
  active_ = id;
  device_clean_ = false;
  return Status::Ok();
}

Status DeviceHost::WithDevice(uint64_t session_id, const std::function<Status(Transport&)>& fn) {
  std::lock_guard<std::mutex> l(mu_);
  RETURN_IF_ERROR(SwitchToLocked(session_id));
  return fn(*device_);
}

void DeviceHost::EndSession(uint64_t id) {
  std::lock_guard<std::mutex> l(mu_);
  saved_.erase(id);
  if (active_ == id) active_ = 0;  // its contents stay until the next session enters (which clears them)
}

void DeviceHost::ResetSession(uint64_t id) {
  std::lock_guard<std::mutex> l(mu_);
  saved_.erase(id);
  if (active_ == id) {
    active_ = 0;
    if (device_->Reset().ok()) device_clean_ = true;
  }
}

void DeviceHost::ArmFault(const Fault& f) {
  std::lock_guard<std::mutex> l(fault_mu_);
  fault_ = f;
}

DeviceHost::Fault DeviceHost::TakeFault(uint16_t opcode) {
  std::lock_guard<std::mutex> l(fault_mu_);
  if (fault_.kind == 0) return {};
  const bool device_error = fault_.kind == static_cast<uint32_t>(p::FaultKind::kDeviceError);
  const uint32_t want = device_error ? static_cast<uint32_t>(p::Opcode::kRun) : fault_.opcode;
  if (want != 0 && want != opcode) return {};
  Fault f = fault_;
  fault_ = Fault{};
  return f;
}

void DeviceHost::Delay(uint32_t ms) {
  std::unique_lock<std::mutex> l(fault_mu_);
  fault_cv_.wait_for(l, std::chrono::milliseconds(ms), [&] { return shutdown_; });
}

// ---------------------------------------------------------------------------
// DeviceSession

void DeviceSession::FreeDeleter::operator()(uint8_t* p) const { std::free(p); }

DeviceSession::DeviceSession(DeviceHost* host) : host_(host), id_(host->NewSessionId()) {}

DeviceSession::~DeviceSession() { host_->EndSession(id_); }

uint64_t DeviceSession::bytes_held() const {
  uint64_t n = 0;
  for (const Region& r : regions_) n += r.size;
  for (const Slot& s : slots_) n += uint64_t{s.total} * kWordBytes;
  return n;
}

Status DeviceSession::Handle(const uint8_t* data, size_t size, std::vector<OutFrame>* out) {
  StatusOr<Frame> fr = DecodeFrame(data, size);
  if (!fr.ok()) {
    uint32_t seq = 0;
    uint16_t op = 0;
    if (size >= p::kHeaderBytes) {
      const FrameHeader h = ParseHeader(data);
      seq = h.sequence;
      op = h.opcode;
    }
    out->push_back(OutFrame{EncodeError(seq, op, fr.status()), false});
    return fr.status();
  }
  const Frame& f = *fr;
  const uint16_t op = f.header.opcode;
  const uint32_t seq = f.header.sequence;
  const bool is_run = op == static_cast<uint16_t>(p::Opcode::kRun);
  if (f.header.version != p::kVersion) {
    out->push_back(OutFrame{EncodeError(seq, op,
                                        Unimplemented("protocol version %u is not supported (this device speaks "
                                                      "version %u)",
                                                      f.header.version, p::kVersion)),
                            is_run});
    return Status::Ok();
  }
  if (!p::IsRequestOpcode(op)) {
    out->push_back(OutFrame{
        EncodeError(seq, op, Unimplemented("%s is not a request this device serves", DescribeOpcode(op).c_str())),
        false});
    return Status::Ok();
  }

  const DeviceHost::Fault fault = host_->TakeFault(op);
  const auto kind = static_cast<p::FaultKind>(fault.kind);
  if (fault.kind != 0 && (kind == p::FaultKind::kDisappear || kind == p::FaultKind::kExit)) {
    host_->SetVanish(kind == p::FaultKind::kExit ? DeviceHost::Vanish::kExit : DeviceHost::Vanish::kDisappear);
    return Status::Ok();  // no reply: the device is gone
  }

  StatusOr<std::vector<uint8_t>> reply =
      (fault.kind != 0 && kind == p::FaultKind::kDeviceError)
          ? StatusOr<std::vector<uint8_t>>(Internal("device error during RUN (injected by FAULT DEVICE_ERROR)"))
          : Dispatch(f);
  OutFrame o;
  o.completion = is_run;
  if (reply.ok()) {
    o.bytes = EncodeFrame(static_cast<uint16_t>(op | p::kReplyBit), seq, reply->data(), reply->size());
  } else {
    o.bytes = EncodeError(seq, op, reply.status());
  }
  if (fault.kind != 0) {
    switch (kind) {
      case p::FaultKind::kDelay:
        host_->Delay(fault.arg);
        break;
      case p::FaultKind::kDrop:
        return Status::Ok();
      case p::FaultKind::kTruncate: {
        const size_t payload = o.bytes.size() - p::kHeaderBytes;
        o.bytes.resize(payload > 0 ? p::kHeaderBytes + payload / 2 : p::kHeaderBytes / 2);
        break;
      }
      case p::FaultKind::kCorrupt: {
        const size_t payload = o.bytes.size() - p::kHeaderBytes;
        const size_t at = payload > 0 ? p::kHeaderBytes + payload / 2 : p::kHeaderCrc32Offset;
        o.bytes[at] ^= 0x5A;
        break;
      }
      default:
        break;
    }
  }
  out->push_back(std::move(o));
  return Status::Ok();
}

StatusOr<std::vector<uint8_t>> DeviceSession::Dispatch(const Frame& f) {
  try {
    switch (static_cast<p::Opcode>(f.header.opcode)) {
      case p::Opcode::kIdentify: return DoIdentify(f);
      case p::Opcode::kWriteMemory: return DoWrite(f);
      case p::Opcode::kReadMemory: return DoRead(f);
      case p::Opcode::kMapRegion: return DoMap(f);
      case p::Opcode::kLoadProgram: return DoLoadProgram(f);
      case p::Opcode::kRun: return DoRun(f);
      case p::Opcode::kReset: return DoReset(f);
      case p::Opcode::kFault: return DoFault(f);
      case p::Opcode::kPcieAttach:
        return Unimplemented("PCIE_ATTACH: PCIe emulation not enabled on this device");
      default:
        return Unimplemented("%s is not a request this device serves", DescribeOpcode(f.header.opcode).c_str());
    }
  } catch (const std::bad_alloc&) {
    return Unavailable("%s: the device is out of memory", DescribeOpcode(f.header.opcode).c_str());
  }
}

StatusOr<std::vector<uint8_t>> DeviceSession::DoIdentify(const Frame& f) {
  p::IdentifyRequest req;
  RETURN_IF_ERROR(ParseRequest(f, &req));
  const sim::DeviceConfig& hw = host_->config();
  p::IdentifyReply r;
  r.protocol_version = p::kVersion;
  r.max_payload_bytes = static_cast<uint32_t>(p::kMaxPayloadBytes);
  r.max_region_bytes = p::kMaxRegionBytes;
  r.max_session_bytes = p::kMaxSessionBytes;
  r.max_program_words = static_cast<uint32_t>(p::kMaxProgramWords);
  r.num_program_slots = static_cast<uint32_t>(p::kNumProgramSlots);
  r.num_host_regions = isa::kNumHostRegions;
  r.rows = static_cast<uint32_t>(hw.rows);
  r.cols = static_cast<uint32_t>(hw.cols);
  r.clock_hz = hw.clock_hz;
  r.abuf_bytes = hw.abuf_bytes;
  r.pbuf_bytes = hw.pbuf_bytes;
  r.acc_rows = hw.acc_rows;
  r.queue_depth = static_cast<uint32_t>(hw.queue_depth);
  r.token_depth = static_cast<uint32_t>(hw.token_depth);
  r.link_bytes_per_second = hw.link.bytes_per_second;
  r.link_latency_seconds = hw.link.latency_seconds;
  r.link_name = hw.link.name;
  r.firmware_version = host_->options().firmware_version;
  r.description = host_->Describe();
  return ToPayload(r);
}

namespace {
// [address, address + length) inside [0, size)? (overflow-safe)
bool Inside(uint64_t address, uint64_t length, uint64_t size) { return address <= size && length <= size - address; }
}  // namespace

StatusOr<std::vector<uint8_t>> DeviceSession::DoWrite(const Frame& f) {
  p::WriteMemoryRequest req;
  RETURN_IF_ERROR(ParseRequest(f, &req));
  if (req.data_size > p::kMaxChunkBytes)
    return OutOfRange("WRITE_MEMORY: %zu bytes exceed MAX_CHUNK_BYTES (%llu)", req.data_size,
                      static_cast<unsigned long long>(p::kMaxChunkBytes));
  const uint32_t host0 = static_cast<uint32_t>(p::Space::kHostRegion);
  if (req.space >= host0) {
    const uint32_t i = req.space - host0;
    if (i >= static_cast<uint32_t>(isa::kNumHostRegions))
      return InvalidArgument("WRITE_MEMORY: space %u is not ABUF (0), PBUF (1) or a host region (256..%d)", req.space,
                             255 + isa::kNumHostRegions);
    Region& r = regions_[i];
    if (!r.mapped) return FailedPrecondition("WRITE_MEMORY: host region %u is not mapped (MAP_REGION first)", i);
    if (!Inside(req.address, req.data_size, r.size))
      return OutOfRange("WRITE_MEMORY: [0x%" PRIx64 ", +%zu) outside host region %u (%" PRIu64 " bytes)", req.address,
                        req.data_size, i, r.size);
    if (req.data_size > 0) std::memcpy(r.bytes.get() + req.address, req.data, req.data_size);
    return std::vector<uint8_t>{};
  }
  if (req.space > 1)
    return InvalidArgument("WRITE_MEMORY: space %u is not ABUF (0), PBUF (1) or a host region (256..%d)", req.space,
                           255 + isa::kNumHostRegions);
  const isa::Buffer b = req.space == 0 ? isa::Buffer::kAbuf : isa::Buffer::kPbuf;
  const uint64_t cap = req.space == 0 ? host_->config().abuf_bytes : host_->config().pbuf_bytes;
  if (!Inside(req.address, req.data_size, cap))
    return OutOfRange("WRITE_MEMORY: [0x%" PRIx64 ", +%zu) outside %s (%" PRIu64 " bytes)", req.address,
                      req.data_size, SpaceName(req.space), cap);
  RETURN_IF_ERROR(host_->WithDevice(id_, [&](Transport& t) {
    return t.WriteMemory(b, static_cast<uint32_t>(req.address), req.data, req.data_size);
  }));
  return std::vector<uint8_t>{};
}

StatusOr<std::vector<uint8_t>> DeviceSession::DoRead(const Frame& f) {
  p::ReadMemoryRequest req;
  RETURN_IF_ERROR(ParseRequest(f, &req));
  if (req.length > p::kMaxChunkBytes)
    return OutOfRange("READ_MEMORY: %u bytes exceed MAX_CHUNK_BYTES (%llu)", req.length,
                      static_cast<unsigned long long>(p::kMaxChunkBytes));
  const uint32_t host0 = static_cast<uint32_t>(p::Space::kHostRegion);
  if (req.space >= host0) {
    const uint32_t i = req.space - host0;
    if (i >= static_cast<uint32_t>(isa::kNumHostRegions))
      return InvalidArgument("READ_MEMORY: space %u is not ABUF (0), PBUF (1) or a host region (256..%d)", req.space,
                             255 + isa::kNumHostRegions);
    const Region& r = regions_[i];
    if (!r.mapped) return FailedPrecondition("READ_MEMORY: host region %u is not mapped", i);
    if (!Inside(req.address, req.length, r.size))
      return OutOfRange("READ_MEMORY: [0x%" PRIx64 ", +%u) outside host region %u (%" PRIu64 " bytes)", req.address,
                        req.length, i, r.size);
    return std::vector<uint8_t>(r.bytes.get() + req.address, r.bytes.get() + req.address + req.length);
  }
  if (req.space > 1)
    return InvalidArgument("READ_MEMORY: space %u is not ABUF (0), PBUF (1) or a host region (256..%d)", req.space,
                           255 + isa::kNumHostRegions);
  const isa::Buffer b = req.space == 0 ? isa::Buffer::kAbuf : isa::Buffer::kPbuf;
  const uint64_t cap = req.space == 0 ? host_->config().abuf_bytes : host_->config().pbuf_bytes;
  if (!Inside(req.address, req.length, cap))
    return OutOfRange("READ_MEMORY: [0x%" PRIx64 ", +%u) outside %s (%" PRIu64 " bytes)", req.address, req.length,
                      SpaceName(req.space), cap);
  std::vector<uint8_t> data(req.length);
  RETURN_IF_ERROR(host_->WithDevice(id_, [&](Transport& t) {
    return t.ReadMemory(b, static_cast<uint32_t>(req.address), data.data(), data.size());
  }));
  return data;
}

StatusOr<std::vector<uint8_t>> DeviceSession::DoMap(const Frame& f) {
  p::MapRegionRequest req;
  RETURN_IF_ERROR(ParseRequest(f, &req));
  if (req.region >= static_cast<uint32_t>(isa::kNumHostRegions))
    return OutOfRange("MAP_REGION: region %u outside [0, %d)", req.region, isa::kNumHostRegions);
  const uint32_t known = static_cast<uint32_t>(p::RegionFlag::kReadable) | static_cast<uint32_t>(p::RegionFlag::kWritable);
  if (req.flags & ~known) return InvalidArgument("MAP_REGION: flags 0x%x have bits other than READABLE|WRITABLE", req.flags);
  if (req.size > p::kMaxRegionBytes)
    return OutOfRange("MAP_REGION: region %u of %" PRIu64 " bytes exceeds MAX_REGION_BYTES (%llu)", req.region, req.size,
                      static_cast<unsigned long long>(p::kMaxRegionBytes));
  Region& r = regions_[req.region];
  const uint64_t after = bytes_held() - r.size + req.size;
  if (after > p::kMaxSessionBytes)
    return OutOfRange("MAP_REGION: region %u of %" PRIu64 " bytes would make this session hold %" PRIu64
                      " bytes, over MAX_SESSION_BYTES (%llu)",
                      req.region, req.size, after, static_cast<unsigned long long>(p::kMaxSessionBytes));
  if (req.size == 0) {
    r = Region{};
    return std::vector<uint8_t>{};
  }
  if (req.size != r.size) {
    uint8_t* fresh = static_cast<uint8_t*>(std::calloc(req.size, 1));
    if (fresh == nullptr)
      return Unavailable("MAP_REGION: the device cannot allocate %" PRIu64 " bytes for region %u", req.size, req.region);
    if (r.bytes) std::memcpy(fresh, r.bytes.get(), std::min(r.size, req.size));
    r.bytes.reset(fresh);
    r.size = req.size;
  }
  r.flags = req.flags;
  r.mapped = true;
  return std::vector<uint8_t>{};
}

StatusOr<std::vector<uint8_t>> DeviceSession::DoLoadProgram(const Frame& f) {
  p::LoadProgramRequest req;
  RETURN_IF_ERROR(ParseRequest(f, &req));
  if (req.slot >= p::kNumProgramSlots)
    return OutOfRange("LOAD_PROGRAM: slot %u outside [0, %llu)", req.slot,
                      static_cast<unsigned long long>(p::kNumProgramSlots));
  if (req.words_size % kWordBytes != 0)
    return InvalidArgument("LOAD_PROGRAM: %zu bytes of words is not a multiple of 32 (one instruction)",
                           req.words_size);
  if (req.total_words == 0 || req.total_words > p::kMaxProgramWords)
    return OutOfRange("LOAD_PROGRAM: total_words %u outside [1, MAX_PROGRAM_WORDS (%llu)]", req.total_words,
                      static_cast<unsigned long long>(p::kMaxProgramWords));
  Slot& s = slots_[req.slot];
  const size_t n = req.words_size / kWordBytes;
  if (req.first_word == 0) {
    const uint64_t after = bytes_held() - uint64_t{s.total} * kWordBytes + uint64_t{req.total_words} * kWordBytes;
    if (after > p::kMaxSessionBytes)
      return OutOfRange("LOAD_PROGRAM: %u words would make this session hold %" PRIu64
                        " bytes, over MAX_SESSION_BYTES (%llu)",
                        req.total_words, after, static_cast<unsigned long long>(p::kMaxSessionBytes));
    s = Slot{};
    s.total = req.total_words;
    s.words.reserve(req.total_words);
  } else if (s.total == 0 || s.complete || req.total_words != s.total || req.first_word != s.words.size()) {
    const uint32_t expect = static_cast<uint32_t>(s.words.size());
    s = Slot{};
    return FailedPrecondition("LOAD_PROGRAM: chunk at word %u of %u does not continue slot %u (expected a chunk at word "
                              "%u, or 0 to start a program); the slot is now empty",
                              req.first_word, req.total_words, req.slot, expect);
  }
  if (s.words.size() + n > s.total) {
    s = Slot{};
    return OutOfRange("LOAD_PROGRAM: chunk of %zu words at word %u runs past total_words %u; the slot is now empty", n,
                      req.first_word, req.total_words);
  }
  for (size_t i = 0; i < n; ++i) {
    isa::InsnWord w;
    for (int k = 0; k < isa::kInsnWords; ++k) w.w[k] = p::wire::GetU64(req.words + i * kWordBytes + 8 * k);
    s.words.push_back(w);
  }
  s.complete = s.words.size() == s.total;
  p::LoadProgramReply r;
  r.loaded_words = static_cast<uint32_t>(s.words.size());
  return ToPayload(r);
}

StatusOr<std::vector<uint8_t>> DeviceSession::DoRun(const Frame& f) {
  p::RunRequest req;
  RETURN_IF_ERROR(ParseRequest(f, &req));
  if (req.slot >= p::kNumProgramSlots)
    return OutOfRange("RUN: slot %u outside [0, %llu)", req.slot, static_cast<unsigned long long>(p::kNumProgramSlots));
  const Slot& s = slots_[req.slot];
  if (!s.complete)
    return FailedPrecondition("RUN: slot %u holds no complete program (%zu of %u words loaded)", req.slot,
                              s.words.size(), s.total);
  sim::HostMemory mem;
  for (int i = 0; i < isa::kNumHostRegions; ++i) {
    if (!(req.region_mask & (1u << i))) continue;
    Region& r = regions_[i];
    if (!r.mapped) return FailedPrecondition("RUN: region_mask names host region %d, which is not mapped", i);
    RETURN_IF_ERROR(mem.Map(i, r.bytes.get(), r.size, r.flags & static_cast<uint32_t>(p::RegionFlag::kReadable),
                            r.flags & static_cast<uint32_t>(p::RegionFlag::kWritable)));
  }
  if (isa::kNumHostRegions < 32 && (req.region_mask >> isa::kNumHostRegions) != 0)
    return OutOfRange("RUN: region_mask 0x%x names regions beyond %d", req.region_mask, isa::kNumHostRegions - 1);
  sim::PerfCounters c;
  RETURN_IF_ERROR(host_->WithDevice(id_, [&](Transport& t) -> Status {
    StatusOr<sim::PerfCounters> r = t.Execute(s.words, mem, ExecuteOptions{});
    if (!r.ok()) return r.status();
    c = *r;
    return Status::Ok();
  }));
  p::RunReply r;
  r.cycles = c.cycles;
  r.load_busy = c.load.busy;
  r.load_stall_dma = c.load.stall_dma;
  r.load_stall_dep = c.load.stall_dep;
  r.load_idle = c.load.idle;
  r.load_instructions = c.load.instructions;
  r.compute_busy = c.compute.busy;
  r.compute_stall_dma = c.compute.stall_dma;
  r.compute_stall_dep = c.compute.stall_dep;
  r.compute_idle = c.compute.idle;
  r.compute_instructions = c.compute.instructions;
  r.store_busy = c.store.busy;
  r.store_stall_dma = c.store.stall_dma;
  r.store_stall_dep = c.store.stall_dep;
  r.store_idle = c.store.idle;
  r.store_instructions = c.store.instructions;
  r.fetch_stall_queue_full = c.fetch_stall_queue_full;
  r.macs = c.macs;
  r.bytes_loaded = c.bytes_loaded;
  r.bytes_stored = c.bytes_stored;
  return ToPayload(r);
}

StatusOr<std::vector<uint8_t>> DeviceSession::DoReset(const Frame& f) {
  p::ResetRequest req;
  RETURN_IF_ERROR(ParseRequest(f, &req));
  for (Region& r : regions_) r = Region{};
  for (Slot& s : slots_) s = Slot{};
  host_->ResetSession(id_);
  return std::vector<uint8_t>{};
}

StatusOr<std::vector<uint8_t>> DeviceSession::DoFault(const Frame& f) {
  p::FaultRequest req;
  RETURN_IF_ERROR(ParseRequest(f, &req));
  if (!host_->options().allow_faults)
    return FailedPrecondition("FAULT: fault injection is disabled on this device (systole serve --allow-faults)");
  if (p::FaultKindName(req.kind) == nullptr) return InvalidArgument("FAULT: unknown kind %u", req.kind);
  if (req.kind == static_cast<uint32_t>(p::FaultKind::kDelay) && req.arg > p::kMaxFaultDelayMs)
    return OutOfRange("FAULT: DELAY of %u ms exceeds MAX_FAULT_DELAY_MS (%llu)", req.arg,
                      static_cast<unsigned long long>(p::kMaxFaultDelayMs));
  if (req.opcode != 0 && (req.opcode > 0xFFFF || !p::IsRequestOpcode(static_cast<uint16_t>(req.opcode))))
    return InvalidArgument("FAULT: opcode 0x%x is not a request opcode", req.opcode);
  host_->ArmFault(DeviceHost::Fault{req.kind, req.arg, req.opcode});
  return std::vector<uint8_t>{};
}

}  // namespace systole::driver
