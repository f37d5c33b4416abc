// The PCIe transport: BAR0 registers, a descriptor ring and a completion ring
// in the DMA window, staged host regions, completion by interrupt. The same
// code runs over every PcieMapping (VFIO, sysfs, shared memory from
// `systole serve`); see pcie_mapping.h and docs/pcie.md.
//
// Window layout (device addresses relative to dma_device_base()):
//   [0, 512)            descriptor ring, kRingEntries x 32 bytes
//   [4096, 12288)       completion ring, kRingEntries x 512 bytes
//   [12288, 12672)      host-region table of the RUN in flight
//   [16384, end)        data area: programs, staged host regions (regions with
//                       a content id stay cached there across runs), and the
//                       bounce buffer of WriteMemory/ReadMemory
//
// Everything read back from the device (registers, completion records) is
// untrusted: ID and configuration registers are checked at open, CPL_HEAD
// must advance by exactly one per command, each completion record must carry
// a good CRC-32, the expected sequence number and opcode, a known status,
// zero reserved bytes, bounded text and self-consistent counters; anything
// else is DATA_LOSS naming the field.
//
// Recovery: a timeout, a device-level error or a corrupt completion resets
// the device through CONTROL.RESET before the error is returned, so the next
// call finds it usable (on-chip memories are then zero, and cached regions
// forgotten). A device that reads all ones or sets STATUS.DEVICE_LOST is gone:
// UNAVAILABLE from then on.
#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cinttypes>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <thread>

#include "driver/pcie_mapping.h"
#include "schema/pcie/pcie_regs_generated.h"

namespace systole::driver {
namespace {

using pcie::CplStatus;
namespace reg = pcie::reg;
namespace field = pcie::field;

constexpr uint32_t kRingEntries = 16;
constexpr uint64_t kRingOffset = 0;
constexpr uint64_t kCplOffset = 4096;
constexpr uint64_t kTableOffset = kCplOffset + uint64_t{kRingEntries} * pcie::kCompletionBytes;
constexpr uint64_t kDataOffset = 16384;
constexpr uint64_t kMinWindow = kDataOffset + (uint64_t{1} << 20);
constexpr uint64_t kAlign = 64;
constexpr uint32_t kAllIrqs =
    field::kIrqStatusCompletion.mask() | field::kIrqStatusError.mask() | field::kIrqStatusResetDone.mask();

static_assert(uint64_t{kRingEntries} * pcie::kDescriptorBytes <= kCplOffset, "ring overlaps completions");
static_assert(kTableOffset + pcie::kNumRegionEntries * pcie::kRegionEntryBytes <= kDataOffset, "table overlaps data");

uint64_t AlignUp(uint64_t v) { return (v + kAlign - 1) & ~(kAlign - 1); }

sim::LinkConfig LinkFromRegisters(uint32_t bps, uint32_t latency_ns) {
  for (const sim::LinkConfig& l : {sim::LinkConfig::Usb3(), sim::LinkConfig::PcieGen2x1(), sim::LinkConfig::Ideal()}) {
    const double b = std::min(l.bytes_per_second, 4294967295.0);
    if (std::llround(b) == bps && std::llround(l.latency_seconds * 1e9) == latency_ns) return l;
  }
  return sim::LinkConfig{"custom", static_cast<double>(bps), latency_ns * 1e-9};
}

// A bounded, printable copy of the device's text.
std::string DeviceText(const pcie::Completion& c) {
  std::string s;
  const uint32_t n = std::min<uint32_t>(c.error_text_len, sizeof c.error_text);
  for (uint32_t i = 0; i < n && c.error_text[i] != 0; ++i) {
    const char ch = static_cast<char>(c.error_text[i]);
    s += (ch >= 0x20 && ch < 0x7f) ? ch : '?';
  }
  return s.empty() ? std::string("(no text)") : s;
}

sim::PerfCounters CountersOf(const pcie::Completion& c) {
  sim::PerfCounters p;
  p.cycles = c.cycles;
  p.load = {c.load_busy, c.load_stall_dma, c.load_stall_dep, c.load_idle, c.load_instructions};
  p.compute = {c.compute_busy, c.compute_stall_dma, c.compute_stall_dep, c.compute_idle, c.compute_instructions};
  p.store = {c.store_busy, c.store_stall_dma, c.store_stall_dep, c.store_idle, c.store_instructions};
  p.fetch_stall_queue_full = c.fetch_stall_queue_full;
  p.macs = c.macs;
  p.bytes_loaded = c.bytes_loaded;
  p.bytes_stored = c.bytes_stored;
  return p;
}

// Every cycle of a run lands in exactly one bucket of each unit
// (arch/perf_counters.h); stalls and instruction counts cannot exceed it.
Status CheckCounters(const sim::PerfCounters& p) {
  const struct {
    const char* name;
    const sim::UnitCounters& u;
  } units[] = {{"load", p.load}, {"compute", p.compute}, {"store", p.store}};
  for (const auto& x : units) {
    const uint64_t a = x.u.busy, b = x.u.stall_dma, c = x.u.stall_dep, d = x.u.idle;
    const bool overflow = a > p.cycles || b > p.cycles || c > p.cycles || d > p.cycles;
    if (overflow || a + b + c + d != p.cycles)
      return DataLoss("performance counters inconsistent: %s unit busy %" PRIu64 " + stall_dma %" PRIu64
                      " + stall_dep %" PRIu64 " + idle %" PRIu64 " != cycles %" PRIu64,
                      x.name, a, b, c, d, p.cycles);
    if (x.u.instructions > p.cycles && p.cycles > 0)
      return DataLoss("performance counters inconsistent: %s unit ran %" PRIu64 " instructions in %" PRIu64 " cycles",
                      x.name, x.u.instructions, p.cycles);
  }
  if (p.fetch_stall_queue_full > p.cycles)
    return DataLoss("performance counters inconsistent: fetch stalled %" PRIu64 " of %" PRIu64 " cycles",
                    p.fetch_stall_queue_full, p.cycles);
  return Status::Ok();
}

class PcieTransport : public Transport {
 public:
  PcieTransport(std::unique_ptr<PcieMapping> m, const TransportOptions& o)
      : m_(std::move(m)), options_(o), bar_(m_->bar0()) {}

  ~PcieTransport() override {
    // Leave the function quiet: ring stopped, interrupts masked.
    if (!lost_ && Present()) {
      pcie::WriteIrqMask(bar_, 0);
      m_->Doorbell(reg::kControl, 0);
    }
  }

  Status Open() {
    const std::string where = Where();
    if (m_->bar0_bytes() < pcie::kBar0Bytes)
      return InvalidArgument("%s: BAR0 is %zu bytes, the register map needs %u", where.c_str(), m_->bar0_bytes(),
                             pcie::kBar0Bytes);
    const uint32_t magic = pcie::ReadIdMagic(bar_);
    if (magic == 0xFFFFFFFFu) return Unavailable("%s: the device does not respond (BAR0 reads all ones)", where.c_str());
    if (magic != pcie::kMagic)
      return NotFound("%s: not a Systole function (ID_MAGIC 0x%08x, expected 0x%08x)", where.c_str(), magic,
                      pcie::kMagic);
    const uint32_t ids = pcie::ReadIdPci(bar_);
    if (field::kIdPciVendor.Get(ids) != pcie::kPciVendorId || field::kIdPciDevice.Get(ids) != pcie::kPciDeviceId)
      return NotFound("%s: ID_PCI %04x:%04x is not a Systole function (%04x:%04x)", where.c_str(),
                      field::kIdPciVendor.Get(ids), field::kIdPciDevice.Get(ids), pcie::kPciVendorId,
                      pcie::kPciDeviceId);
    const uint32_t version = pcie::ReadRegmapVersion(bar_);
    if (version != pcie::kRegMapVersion)
      return Unimplemented("%s: register map version %u; this driver speaks version %u (docs/pcie.md)", where.c_str(),
                           version, pcie::kRegMapVersion);
    const uint32_t arr = pcie::ReadHwArray(bar_), q = pcie::ReadHwQueues(bar_);
    config_.rows = static_cast<int>(field::kHwArrayRows.Get(arr));
    config_.cols = static_cast<int>(field::kHwArrayCols.Get(arr));
    config_.abuf_bytes = pcie::ReadHwAbufBytes(bar_);
    config_.pbuf_bytes = pcie::ReadHwPbufBytes(bar_);
    config_.acc_rows = pcie::ReadHwAccRows(bar_);
    config_.clock_hz = pcie::ReadHwClockHz(bar_);
    config_.queue_depth = static_cast<int>(field::kHwQueuesQueueDepth.Get(q));
    config_.token_depth = static_cast<int>(field::kHwQueuesTokenDepth.Get(q));
    config_.link = LinkFromRegisters(pcie::ReadHwLinkBytesPerS(bar_), pcie::ReadHwLinkLatencyNs(bar_));
    {
      Status s = config_.Validate();
      if (!s.ok()) return DataLoss("%s: the device reports an invalid configuration: %s", where.c_str(),
                                   s.message().c_str());
    }
    const uint32_t fw = pcie::ReadFwVersion(bar_);
    static const char* const kKinds[] = {"hardware", "emulated, behavioural core", "emulated, RTL core", "emulated"};
    const uint32_t kind = field::kFwVersionKind.Get(fw);
    identity_.transport = "pci";
    identity_.protocol_version = version;
    identity_.firmware_version =
        StrFormat("%u.%u.%u (%s)", field::kFwVersionMajor.Get(fw), field::kFwVersionMinor.Get(fw),
                  field::kFwVersionPatch.Get(fw), kind < 4 ? kKinds[kind] : "unknown kind");
    identity_.location = m_->location();
    identity_.description = StrFormat("pci (%s, %s)", m_->kind(), kind < 4 ? kKinds[kind] : "unknown kind");

    if (m_->dma_host() == nullptr) return Status::Ok();  // identify-only (sysfs): no rings
    if (m_->dma_bytes() < kMinWindow)
      return InvalidArgument("%s: DMA window of %" PRIu64 " bytes; at least %" PRIu64 " needed", where.c_str(),
                             m_->dma_bytes(), kMinWindow);
    return ResetAndEnable(Clock::now() + std::chrono::milliseconds(options_.timeout_ms));
  }

  std::string Describe() const override { return identity_.description; }
  const sim::DeviceConfig& config() const override { return config_; }
  DeviceIdentity Identify() const override { return identity_; }
  const PcieTransportStats& stats() const { return stats_; }

  Status WriteMemory(isa::Buffer buffer, uint32_t addr, const uint8_t* data, size_t size) override {
    return Transfer(true, buffer, addr, const_cast<uint8_t*>(data), size);
  }
  Status ReadMemory(isa::Buffer buffer, uint32_t addr, uint8_t* data, size_t size) override {
    return Transfer(false, buffer, addr, data, size);
  }

  StatusOr<sim::PerfCounters> Execute(const std::vector<isa::InsnWord>& program, const sim::HostMemory& host,
                                      const ExecuteOptions& options) override {
    cancel_ = false;  // an Interrupt() before this call is not for it
    RETURN_IF_ERROR(Usable());
    if (program.empty()) return InvalidArgument("%s: empty program", Where().c_str());
    if (program.size() > pcie::kMaxProgramWords)
      return InvalidArgument("%s: program of %zu words exceeds the device's %u", Where().c_str(), program.size(),
                             pcie::kMaxProgramWords);
    // Lay out the window: cached regions stay, everything else goes after them.
    struct Place {
      uint64_t off = 0;
      bool copy_in = false;
    };
    std::array<Place, isa::kNumHostRegions> place{};
    const uint64_t prog_bytes = program.size() * sizeof(isa::InsnWord);
    auto layout = [&](bool keep_cache) -> bool {
      if (!keep_cache) cache_.clear();
      uint64_t cursor = kDataOffset;
      for (const auto& [id, c] : cache_) cursor = std::max(cursor, AlignUp(c.off + c.size));
      for (int i = 0; i < isa::kNumHostRegions; ++i) {
        const sim::HostRegion& r = host.region(i);
        if (!r.mapped()) continue;
        const uint64_t id = options.region_ids[i];
        auto it = cache_.find(id);
        if (id != 0 && !r.writable && it != cache_.end() && it->second.size == r.size) {
          place[i] = {it->second.off, false};
          continue;
        }
        place[i] = {cursor, true};
        if (r.size > m_->dma_bytes() || cursor > m_->dma_bytes() - r.size) return false;
        cursor = AlignUp(cursor + r.size);
      }
      prog_off_ = cursor;
      return prog_bytes <= m_->dma_bytes() && cursor <= m_->dma_bytes() - prog_bytes;
    };
    if (!layout(true) && !layout(false)) {
      uint64_t need = prog_bytes;
      for (int i = 0; i < isa::kNumHostRegions; ++i) need += host.region(i).size;
      return OutOfRange("%s: the run needs %" PRIu64 " bytes of DMA window (program and host regions); the window "
                        "has %" PRIu64 " after its rings",
                        Where().c_str(), need, m_->dma_bytes() - kDataOffset);
    }
    uint8_t* win = m_->dma_host();
    std::array<uint8_t, pcie::kNumRegionEntries * pcie::kRegionEntryBytes> table{};
    for (int i = 0; i < isa::kNumHostRegions; ++i) {
      const sim::HostRegion& r = host.region(i);
      if (!r.mapped()) continue;
      const uint64_t id = options.region_ids[i];
      if (place[i].copy_in) {
        std::memcpy(win + place[i].off, r.data, r.size);
        stats_.bytes_staged += r.size;
        if (id != 0 && !r.writable) cache_[id] = CacheEntry{place[i].off, r.size};
      } else {
        stats_.region_bytes_cached += r.size;
      }
      pcie::RegionEntry e;
      e.dma_addr = m_->dma_device_base() + place[i].off;
      e.size = r.size;
      e.flags = (r.readable ? 1u : 0u) | (r.writable ? 2u : 0u);
      pcie::EncodeRegionEntry(e, table.data() + i * pcie::kRegionEntryBytes);
    }
    std::memcpy(win + kTableOffset, table.data(), table.size());
    std::memcpy(win + prog_off_, program.data(), prog_bytes);
    stats_.bytes_staged += prog_bytes;

    pcie::Descriptor d;
    d.opcode = static_cast<uint16_t>(pcie::Opcode::kRun);
    d.dma_addr = m_->dma_device_base() + prog_off_;
    d.length = static_cast<uint32_t>(program.size());
    d.table_addr = m_->dma_device_base() + kTableOffset;
    const int timeout = options.timeout_ms > 0 ? options.timeout_ms : options_.timeout_ms;
    ASSIGN_OR_RETURN(pcie::Completion c, Submit(d, Clock::now() + std::chrono::milliseconds(timeout)));
    const sim::PerfCounters p = CountersOf(c);
    for (int i = 0; i < isa::kNumHostRegions; ++i) {
      const sim::HostRegion& r = host.region(i);
      if (r.mapped() && r.writable) std::memcpy(r.data, win + place[i].off, r.size);
    }
    return p;
  }

  Status Reset() override {
    if (lost_) return Unavailable("%s: the device is gone; it cannot be reset", Where().c_str());
    if (m_->dma_host() == nullptr) return NoDma();
    cancel_ = false;
    return ResetAndEnable(Clock::now() + std::chrono::milliseconds(options_.timeout_ms));
  }

  void Interrupt() override {
    cancel_ = true;
    m_->Interrupt();
  }

 private:
  struct CacheEntry {
    uint64_t off = 0, size = 0;
  };

  std::string Where() const { return StrFormat("pci:%s", m_->location().c_str()); }
  Status NoDma() const {
    return FailedPrecondition("%s: mapped through sysfs resource0, which gives the device no DMA window (no "
                              "IOMMU mapping); bind the function to vfio-pci to run on it",
                              Where().c_str());
  }
  bool Present() const {
    const uint32_t s = pcie::ReadStatus(bar_);
    return s != 0xFFFFFFFFu && !(s & field::kStatusDeviceLost.mask());
  }
  Status Lost(const char* when) {
    lost_ = true;
    return Unavailable("%s: the device disappeared %s (STATUS 0x%08x)", Where().c_str(), when,
                       pcie::ReadStatus(bar_));
  }
  Status Usable() {
    if (m_->dma_host() == nullptr) return NoDma();
    if (lost_) return Unavailable("%s: the device is gone", Where().c_str());
    if (!Present()) return Lost("since the last command");
    if (needs_reset_) RETURN_IF_ERROR(ResetAndEnable(Clock::now() + std::chrono::milliseconds(options_.timeout_ms)));
    return Status::Ok();
  }

  // Waits until cond() (re-read after every interrupt) or the deadline.
  template <typename Cond>
  Status WaitFor(Cond cond, Deadline deadline, const char* what) {
    for (;;) {
      pcie::WriteIrqMask(bar_, kAllIrqs);
      m_->ClearBits(reg::kIrqStatus, kAllIrqs);
      if (!Present()) return Lost(what);
      if (cond()) return Status::Ok();
      Status s = m_->WaitInterrupt(deadline);
      if (s.ok()) continue;
      if (s.code() == StatusCode::kCancelled && !cancel_) continue;  // a stale wake-up
      if (!Present()) return Lost(what);
      if (s.code() == StatusCode::kDeadlineExceeded && cond()) return Status::Ok();
      // The mapping says the device (or the server exporting it) is gone:
      // nothing can reset it, so later calls, Reset() included, fail at once.
      if (s.code() == StatusCode::kUnavailable) lost_ = true;
      return s;
    }
  }

  Status ResetAndEnable(Deadline deadline) {
    const std::string where = Where();
    cache_.clear();
    needs_reset_ = true;  // until the reset and the enable went through
    pcie::WriteIrqMask(bar_, kAllIrqs);
    m_->Doorbell(reg::kControl, field::kControlReset.mask());
    Status s = WaitFor([this] { return !(pcie::ReadControl(bar_) & field::kControlReset.mask()); }, deadline,
                       "during a reset");
    if (!s.ok()) return Annotate(s, StrFormat("%s: reset (CONTROL.RESET) did not complete", where.c_str()));
    ++stats_.resets;
    const uint64_t base = m_->dma_device_base();
    auto write64 = [this](uint32_t lo, uint64_t v) {
      pcie::WriteReg(bar_, lo, static_cast<uint32_t>(v));
      pcie::WriteReg(bar_, lo + 4, static_cast<uint32_t>(v >> 32));
    };
    write64(reg::kDmaWindowBaseLo, base);
    write64(reg::kDmaWindowSizeLo, m_->dma_bytes());
    write64(reg::kRingBaseLo, base + kRingOffset);
    write64(reg::kCplBaseLo, base + kCplOffset);
    pcie::WriteRingSize(bar_, kRingEntries);
    std::memset(m_->dma_host(), 0, kDataOffset);
    tail_ = 0;
    m_->Doorbell(reg::kControl, field::kControlEnable.mask());
    // Enabling raises no interrupt: poll briefly for ENABLED or ERROR.
    for (;;) {
      const uint32_t st = pcie::ReadStatus(bar_);
      if (!Present()) return Lost("while being enabled");
      if (st & field::kStatusError.mask()) return DeviceError("refused the ring configuration");
      if (st & field::kStatusEnabled.mask()) break;
      if (Clock::now() >= deadline)
        return DeadlineExceeded("%s: the device did not enable its ring in time (STATUS 0x%08x)", where.c_str(), st);
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    needs_reset_ = false;
    return Status::Ok();
  }

  // The device-level error in ERROR_CODE/ERROR_DETAIL.
  Status DeviceError(const char* what) {
    const uint32_t code = pcie::ReadErrorCode(bar_), detail = pcie::ReadErrorDetail(bar_);
    const char* name = pcie::ErrorCodeName(code);
    needs_reset_ = true;
    return Internal("%s: the device %s: ERROR_CODE %s (%u), ERROR_DETAIL 0x%x", Where().c_str(), what,
                    name != nullptr ? name : "unknown", code, detail);
  }

  // After a failure that leaves the ring out of step: reset now so that the
  // next call finds the device usable; the original error is what we return.
  Status Recover(Status s) {
    needs_reset_ = true;
    if (lost_ || s.code() == StatusCode::kUnavailable) return s;
    Status r = ResetAndEnable(Clock::now() + std::chrono::milliseconds(options_.timeout_ms));
    if (r.ok()) return Status(s.code(), s.message() + " (device reset; on-chip memories cleared)");
    return Status(s.code(), s.message() + "; the reset that followed failed too: " + r.message());
  }

  StatusOr<pcie::Completion> Submit(pcie::Descriptor d, Deadline deadline) {
    const std::string where = Where();
    const uint32_t index = tail_;
    d.seq = ++seq_;
    const uint32_t slot = index % kRingEntries;
    uint8_t* win = m_->dma_host();
    pcie::EncodeDescriptor(d, win + kRingOffset + uint64_t{slot} * pcie::kDescriptorBytes);
    std::memset(win + kCplOffset + uint64_t{slot} * pcie::kCompletionBytes, 0, pcie::kCompletionBytes);
    tail_ = index + 1;
    m_->Doorbell(reg::kRingTail, tail_);

    uint32_t cpl_head = 0;
    Status s = WaitFor(
        [&] {
          cpl_head = pcie::ReadCplHead(bar_);
          return cpl_head != index || (pcie::ReadStatus(bar_) & field::kStatusError.mask());
        },
        deadline, "while running a command");
    if (!s.ok()) {
      if (s.code() == StatusCode::kDeadlineExceeded)
        return Recover(DeadlineExceeded("%s: %s (seq %u) did not complete within its timeout", where.c_str(),
                                        pcie::OpcodeName(d.opcode), d.seq));
      if (s.code() == StatusCode::kCancelled) {
        needs_reset_ = true;  // the command may still be running: reset before the next one
        return Cancelled("%s: %s (seq %u) cancelled", where.c_str(), pcie::OpcodeName(d.opcode), d.seq);
      }
      return s;
    }
    if (cpl_head == index) return Recover(DeviceError("stopped its ring"));
    if (cpl_head != index + 1)
      return Recover(DataLoss("%s: CPL_HEAD moved from %u to %u for one command", where.c_str(), index, cpl_head));
    std::atomic_thread_fence(std::memory_order_acquire);
    uint8_t rec[pcie::kCompletionBytes];
    std::memcpy(rec, win + kCplOffset + uint64_t{slot} * pcie::kCompletionBytes, sizeof rec);
    StatusOr<pcie::Completion> c = CheckCompletion(rec, d);
    if (!c.ok()) return Recover(c.status());
    ++stats_.commands;
    const CplStatus st = static_cast<CplStatus>(c->status);
    const char* op = pcie::OpcodeName(d.opcode);
    switch (st) {
      case CplStatus::kOk:
        return c;
      case CplStatus::kExecError: {
        const uint32_t code = c->detail;
        if (code == 0 || code > static_cast<uint32_t>(StatusCode::kCancelled))
          return Recover(DataLoss("%s: completion record (seq %u): EXEC_ERROR with unknown status code %u",
                                  where.c_str(), d.seq, code));
        return Status(static_cast<StatusCode>(code), DeviceText(*c));
      }
      case CplStatus::kDeviceError:
        return Recover(DeviceError(StrFormat("reported an error running %s (seq %u): %s", op, d.seq,
                                             DeviceText(*c).c_str())
                                       .c_str()));
      case CplStatus::kDeviceAddrOutOfRange:
        return OutOfRange("%s: %s refused by the device: %s", where.c_str(), op, DeviceText(*c).c_str());
      case CplStatus::kAborted:
        return Recover(Unavailable("%s: %s (seq %u) aborted by a device reset", where.c_str(), op, d.seq));
      case CplStatus::kBadDescriptor:
      case CplStatus::kDmaOutOfWindow:
        return Internal("%s: the device refused descriptor %s (seq %u): %s, detail %u: %s", where.c_str(), op, d.seq,
                        pcie::CplStatusName(c->status), c->detail, DeviceText(*c).c_str());
    }
    return Internal("unreachable");
  }

  StatusOr<pcie::Completion> CheckCompletion(const uint8_t* rec, const pcie::Descriptor& d) {
    const std::string where = Where();
    uint32_t stored;
    std::memcpy(&stored, rec + pcie::kCompletionChecksumOffset, 4);
    const uint32_t crc = pcie::Crc32(rec, pcie::kCompletionChecksumOffset);
    if (stored != crc)
      return DataLoss("%s: completion record (seq %u): checksum 0x%08x, computed 0x%08x", where.c_str(), d.seq,
                      stored, crc);
    const pcie::Completion c = pcie::DecodeCompletion(rec);
    if (c.seq != d.seq)
      return DataLoss("%s: completion record: sequence number %u, expected %u", where.c_str(), c.seq, d.seq);
    if (c.opcode != d.opcode)
      return DataLoss("%s: completion record (seq %u): opcode %u, expected %u", where.c_str(), d.seq, c.opcode,
                      d.opcode);
    if (pcie::CplStatusName(c.status) == nullptr)
      return DataLoss("%s: completion record (seq %u): unknown status %u", where.c_str(), d.seq, c.status);
    const int reserved = pcie::CompletionReservedNonZero(rec);
    if (reserved >= 0)
      return DataLoss("%s: completion record (seq %u): reserved byte %d is not zero", where.c_str(), d.seq, reserved);
    if (c.error_text_len > sizeof c.error_text)
      return DataLoss("%s: completion record (seq %u): error_text_len %u exceeds %zu", where.c_str(), d.seq,
                      c.error_text_len, sizeof c.error_text);
    if (c.status == static_cast<uint32_t>(CplStatus::kOk)) {
      Status s = CheckCounters(CountersOf(c));
      if (!s.ok()) return Annotate(s, StrFormat("%s: completion record (seq %u)", where.c_str(), d.seq));
    }
    return c;
  }

  // WriteMemory/ReadMemory through the bounce buffer, one descriptor per chunk.
  Status Transfer(bool write, isa::Buffer buffer, uint32_t addr, uint8_t* data, size_t size) {
    const char* bname = isa::BufferName(buffer);
    if (buffer != isa::Buffer::kAbuf && buffer != isa::Buffer::kPbuf)
      return InvalidArgument("%s: unknown buffer %d", Where().c_str(), static_cast<int>(buffer));
    const uint64_t cap = buffer == isa::Buffer::kAbuf ? config_.abuf_bytes : config_.pbuf_bytes;
    if (uint64_t{addr} + size > cap)
      return OutOfRange("%s: [0x%x, +%zu) outside %s (%" PRIu64 " bytes)", Where().c_str(), addr, size, bname, cap);
    if (size == 0) return Status::Ok();
    cancel_ = false;
    RETURN_IF_ERROR(Usable());
    uint64_t off = kDataOffset;
    for (const auto& [id, c] : cache_) off = std::max(off, AlignUp(c.off + c.size));
    if (m_->dma_bytes() - off < (uint64_t{1} << 20)) {
      cache_.clear();
      off = kDataOffset;
    }
    const uint64_t chunk_max = std::min<uint64_t>(m_->dma_bytes() - off, pcie::kMaxTransferBytes);
    uint8_t* bounce = m_->dma_host() + off;
    for (size_t done = 0; done < size;) {
      const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(size - done, chunk_max));
      if (write) {
        std::memcpy(bounce, data + done, n);
        stats_.bytes_staged += n;
      }
      pcie::Descriptor d;
      d.opcode = static_cast<uint16_t>(
          write ? (buffer == isa::Buffer::kAbuf ? pcie::Opcode::kWriteAbuf : pcie::Opcode::kWritePbuf)
                : (buffer == isa::Buffer::kAbuf ? pcie::Opcode::kReadAbuf : pcie::Opcode::kReadPbuf));
      d.dma_addr = m_->dma_device_base() + off;
      d.length = n;
      d.device_addr = static_cast<uint32_t>(addr + done);
      ASSIGN_OR_RETURN(pcie::Completion c, Submit(d, Clock::now() + std::chrono::milliseconds(options_.timeout_ms)));
      (void)c;
      if (!write) std::memcpy(data + done, bounce, n);
      done += n;
    }
    return Status::Ok();
  }

  std::unique_ptr<PcieMapping> m_;
  TransportOptions options_;
  volatile uint32_t* bar_;
  sim::DeviceConfig config_;
  DeviceIdentity identity_;
  PcieTransportStats stats_;
  std::map<uint64_t, CacheEntry> cache_;  // region content id -> its copy in the window
  uint64_t prog_off_ = 0;
  uint32_t tail_ = 0, seq_ = 0;
  bool lost_ = false, needs_reset_ = false;
  std::atomic<bool> cancel_{false};
};

bool IsPciAddress(const std::string& s) {
  // DDDD:BB:DD.F, hex digits.
  if (s.size() != 12 || s[4] != ':' || s[7] != ':' || s[10] != '.') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 4 || i == 7 || i == 10) continue;
    if (!std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return s[11] >= '0' && s[11] <= '7';
}

}  // namespace

StatusOr<std::unique_ptr<Transport>> OpenPcieTransportOver(std::unique_ptr<PcieMapping> mapping,
                                                           const TransportOptions& options) {
  if (mapping == nullptr || mapping->bar0() == nullptr) return InvalidArgument("PCIe transport: no mapping");
  if (options.timeout_ms <= 0) return InvalidArgument("PCIe transport: timeout_ms must be > 0");
  auto t = std::make_unique<PcieTransport>(std::move(mapping), options);
  RETURN_IF_ERROR(t->Open());
  return std::unique_ptr<Transport>(std::move(t));
}

const PcieTransportStats* GetPcieTransportStats(const Transport& t) {
  const auto* p = dynamic_cast<const PcieTransport*>(&t);
  return p != nullptr ? &p->stats() : nullptr;
}

StatusOr<std::unique_ptr<Transport>> OpenPcieTransport(const std::string& where, const TransportOptions& options) {
  if (where.rfind("unix:", 0) == 0) {
    ASSIGN_OR_RETURN(std::unique_ptr<PcieMapping> m, AttachShmMapping(where.substr(5), options));
    return OpenPcieTransportOver(std::move(m), options);
  }
  std::string address = where;
  if (!IsPciAddress(where)) {
    int index = 0;
    if (!where.empty()) {
      char* end = nullptr;
      const long v = std::strtol(where.c_str(), &end, 10);
      if (end == where.c_str() || *end != '\0' || v < 0 || v > 255)
        return InvalidArgument("device 'pci:%s': expected an index, a PCI address DDDD:BB:DD.F or unix:PATH",
                               where.c_str());
      index = static_cast<int>(v);
    }
    const std::vector<std::string> found = ListSystolePciFunctions();
    if (index >= static_cast<int>(found.size()))
      return NotFound("device 'pci%s%s': %zu Systole PCIe function(s) found (vendor:device %04x:%04x under "
                      "/sys/bus/pci/devices)",
                      where.empty() ? "" : ":", where.c_str(), found.size(), pcie::kPciVendorId, pcie::kPciDeviceId);
    address = found[index];
  }
  StatusOr<std::unique_ptr<PcieMapping>> m = OpenVfioMapping(address, uint64_t{256} << 20);
  if (!m.ok()) return Annotate(m.status(), StrFormat("device 'pci:%s'", where.c_str()));
  return OpenPcieTransportOver(std::move(m).value(), options);
}

std::vector<DeviceIdentity> EnumeratePcieDevices() {
  std::vector<DeviceIdentity> out;
  for (const std::string& addr : ListSystolePciFunctions()) {
    DeviceIdentity id;
    id.transport = "pci";
    id.location = addr;
    // The registers through resource0 (needs root); the IDs alone otherwise.
    StatusOr<std::unique_ptr<PcieMapping>> m = OpenSysfsMapping(addr);
    if (m.ok()) {
      StatusOr<std::unique_ptr<Transport>> t = OpenPcieTransportOver(std::move(m).value(), TransportOptions{});
      if (t.ok()) {
        id = (*t)->Identify();
        id.description += ", " + (*t)->config().ToString();
        out.push_back(id);
        continue;
      }
      id.description = "Systole PCIe function (" + t.status().message() + ")";
    } else {
      id.description = "Systole PCIe function (registers not readable: " + m.status().message() + ")";
    }
    out.push_back(id);
  }
  return out;
}

}  // namespace systole::driver
