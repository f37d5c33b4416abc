// The emulated Systole PCIe function (see pcie_device_model.h).
#include "driver/pcie_device_model.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstring>
#include <vector>

#include "schema/pcie/pcie_regs_generated.h"

namespace systole::driver {
namespace {

using pcie::CplStatus;
using pcie::ErrorCode;
using pcie::Fault;
using pcie::Opcode;
namespace reg = pcie::reg;
namespace field = pcie::field;

constexpr uint32_t kU(CplStatus s) { return static_cast<uint32_t>(s); }
constexpr uint32_t kU(ErrorCode s) { return static_cast<uint32_t>(s); }

int MakeSealedMemfd(const char* name, uint64_t bytes, Status* err) {
  const int fd = ::memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) {
    *err = Unavailable("memfd_create(%s): %s", name, std::strerror(errno));
    return -1;
  }
  if (::ftruncate(fd, static_cast<off_t>(bytes)) != 0 ||
      ::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    *err = Unavailable("memfd %s (%" PRIu64 " bytes): %s", name, bytes, std::strerror(errno));
    ::close(fd);
    return -1;
  }
  return fd;
}

uint32_t Saturate32(double v) {
  if (!(v > 0)) return 0;
  if (v >= 4294967295.0) return 0xFFFFFFFFu;
  return static_cast<uint32_t>(std::llround(v));
}

// Printable ASCII of msg, at most n - 1 bytes, NUL-padded to n.
uint32_t CopyText(const std::string& msg, uint8_t* out, size_t n) {
  std::memset(out, 0, n);
  size_t k = 0;
  for (char c : msg) {
    if (k + 1 >= n) break;
    out[k++] = (c >= 0x20 && c < 0x7f) ? static_cast<uint8_t>(c) : '?';
  }
  return static_cast<uint32_t>(k);
}

void FillCounters(const sim::PerfCounters& p, pcie::Completion* c) {
  c->cycles = p.cycles;
  c->load_busy = p.load.busy;
  c->load_stall_dma = p.load.stall_dma;
  c->load_stall_dep = p.load.stall_dep;
  c->load_idle = p.load.idle;
  c->load_instructions = p.load.instructions;
  c->compute_busy = p.compute.busy;
  c->compute_stall_dma = p.compute.stall_dma;
  c->compute_stall_dep = p.compute.stall_dep;
  c->compute_idle = p.compute.idle;
  c->compute_instructions = p.compute.instructions;
  c->store_busy = p.store.busy;
  c->store_stall_dma = p.store.stall_dma;
  c->store_stall_dep = p.store.stall_dep;
  c->store_idle = p.store.idle;
  c->store_instructions = p.store.instructions;
  c->fetch_stall_queue_full = p.fetch_stall_queue_full;
  c->macs = p.macs;
  c->bytes_loaded = p.bytes_loaded;
  c->bytes_stored = p.bytes_stored;
}

}  // namespace

StatusOr<std::unique_ptr<PcieDeviceModel>> PcieDeviceModel::Create(Transport* device,
                                                                   const PcieDeviceModelOptions& options) {
  if (device == nullptr) {
    if (options.watch_fd >= 0) ::close(options.watch_fd);
    return InvalidArgument("PCIe device model: no device transport");
  }
  return Create(device->config(), [device](const std::function<Status(Transport&)>& fn) { return fn(*device); },
                options);
}

StatusOr<std::unique_ptr<PcieDeviceModel>> PcieDeviceModel::Create(const sim::DeviceConfig& config,
                                                                   PcieDeviceAccess access,
                                                                   const PcieDeviceModelOptions& options) {
  std::unique_ptr<PcieDeviceModel> m(new PcieDeviceModel());
  m->watch_fd_ = options.watch_fd;  // owned from here on, whatever happens
  RETURN_IF_ERROR(m->Init(config, std::move(access), options));
  return m;
}

Status PcieDeviceModel::Init(const sim::DeviceConfig& config, PcieDeviceAccess access,
                             const PcieDeviceModelOptions& options) {
  config_ = config;
  access_ = std::move(access);
  options_ = options;
  if (options.dma_bytes < 4096 || options.dma_bytes > (uint64_t{1} << 40))
    return InvalidArgument("PCIe device model: DMA window of %" PRIu64 " bytes outside [4 KiB, 1 TiB]",
                           options.dma_bytes);
  dma_bytes_ = options.dma_bytes;
  Status err;
  bar_fd_ = MakeSealedMemfd("systole-pcie-bar0", pcie::kBar0Bytes, &err);
  if (bar_fd_ < 0) return err;
  dma_fd_ = MakeSealedMemfd("systole-pcie-dma", dma_bytes_, &err);
  if (dma_fd_ < 0) return err;
  doorbell_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  irq_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (doorbell_fd_ < 0 || irq_fd_ < 0 || stop_fd_ < 0)
    return Unavailable("PCIe device model: eventfd: %s", std::strerror(errno));
  void* b = ::mmap(nullptr, pcie::kBar0Bytes, PROT_READ | PROT_WRITE, MAP_SHARED, bar_fd_, 0);
  if (b == MAP_FAILED) return Unavailable("PCIe device model: mmap BAR0: %s", std::strerror(errno));
  bar_ = static_cast<volatile uint32_t*>(b);
  void* d = ::mmap(nullptr, dma_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED, dma_fd_, 0);
  if (d == MAP_FAILED) return Unavailable("PCIe device model: mmap DMA window: %s", std::strerror(errno));
  dma_ = static_cast<uint8_t*>(d);
  WriteIdentity();
  SetReg(reg::kStatus, field::kStatusReady.mask());
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

PcieDeviceModel::~PcieDeviceModel() {
  Stop();
  if (bar_ != nullptr) ::munmap(const_cast<uint32_t*>(bar_), pcie::kBar0Bytes);
  if (dma_ != nullptr) ::munmap(dma_, dma_bytes_);
  for (int fd : {bar_fd_, dma_fd_, doorbell_fd_, irq_fd_, stop_fd_, watch_fd_})
    if (fd >= 0) ::close(fd);
}

void PcieDeviceModel::Stop() {
  std::call_once(stop_once_, [this] {
    if (!thread_.joinable()) return;
    const uint64_t one = 1;
    ssize_t n = ::write(stop_fd_, &one, sizeof one);
    (void)n;
    thread_.join();
    if (!lost_.exchange(true)) {
      OrReg(reg::kStatus, field::kStatusDeviceLost.mask());
      n = ::write(irq_fd_, &one, sizeof one);  // wake a waiting host: it will see DEVICE_LOST
    }
  });
}

StatusOr<PcieShmFds> PcieDeviceModel::ExportFds() const {
  PcieShmFds f;
  int* out[] = {&f.bar_fd, &f.dma_fd, &f.doorbell_fd, &f.irq_fd};
  const int in[] = {bar_fd_, dma_fd_, doorbell_fd_, irq_fd_};
  for (int i = 0; i < 4; ++i) {
    *out[i] = ::fcntl(in[i], F_DUPFD_CLOEXEC, 0);
    if (*out[i] < 0) {
      const Status s = Unavailable("PCIe device model: dup: %s", std::strerror(errno));
      for (int j = 0; j < i; ++j) ::close(*out[j]);
      return s;
    }
  }
  f.dma_bytes = dma_bytes_;
  f.dma_device_base = 0;
  return f;
}

void PcieDeviceModel::InjectFault(uint32_t fault) { injected_.store(fault); }

void PcieDeviceModel::WriteIdentity() {
  const sim::DeviceConfig& c = config_;
  SetReg(reg::kIdMagic, pcie::kMagic);
  SetReg(reg::kIdPci, field::kIdPciVendor.Make(pcie::kPciVendorId) | field::kIdPciDevice.Make(pcie::kPciDeviceId));
  SetReg(reg::kRegmapVersion, pcie::kRegMapVersion);
  SetReg(reg::kFwVersion, field::kFwVersionKind.Make(options_.fw_kind) | field::kFwVersionMajor.Make(options_.fw_major) |
                              field::kFwVersionMinor.Make(options_.fw_minor) |
                              field::kFwVersionPatch.Make(options_.fw_patch));
  SetReg(reg::kHwArray, field::kHwArrayRows.Make(c.rows) | field::kHwArrayCols.Make(c.cols));
  SetReg(reg::kHwAbufBytes, c.abuf_bytes);
  SetReg(reg::kHwPbufBytes, c.pbuf_bytes);
  SetReg(reg::kHwAccRows, c.acc_rows);
  SetReg(reg::kHwClockHz, Saturate32(c.clock_hz));
  SetReg(reg::kHwQueues, field::kHwQueuesQueueDepth.Make(c.queue_depth) | field::kHwQueuesTokenDepth.Make(c.token_depth));
  SetReg(reg::kHwLinkBytesPerS, Saturate32(c.link.bytes_per_second));
  SetReg(reg::kHwLinkLatencyNs, Saturate32(c.link.latency_seconds * 1e9));
  SetReg(reg::kDmaWindowMaxLo, static_cast<uint32_t>(dma_bytes_));
  SetReg(reg::kDmaWindowMaxHi, static_cast<uint32_t>(dma_bytes_ >> 32));
}

void PcieDeviceModel::Raise(uint32_t bits) {
  OrReg(reg::kIrqStatus, bits);
  if (Reg(reg::kIrqMask) & bits) {
    const uint64_t one = 1;
    ssize_t n = ::write(irq_fd_, &one, sizeof one);
    (void)n;
  }
}

void PcieDeviceModel::Fail(uint32_t code, uint32_t detail) {
  failed_ = true;
  SetReg(reg::kErrorCode, code);
  SetReg(reg::kErrorDetail, detail);
  OrReg(reg::kStatus, field::kStatusError.mask());
  AndReg(reg::kStatus, ~field::kStatusBusy.mask());
  Raise(field::kIrqStatusError.mask());
}

void PcieDeviceModel::Vanish() {
  // A surprise-removed function: every register reads all ones. The
  // interrupt eventfd fires once (the hot-unplug event a real host would get
  // from its PCIe hotplug or AER driver), then nothing ever completes.
  lost_ = true;
  for (uint32_t i = 0; i < pcie::kBar0Bytes / 4; ++i) __atomic_store_n(&bar_[i], 0xFFFFFFFFu, __ATOMIC_RELEASE);
  const uint64_t one = 1;
  ssize_t n = ::write(irq_fd_, &one, sizeof one);
  (void)n;
}

void PcieDeviceModel::DoReset() {
  {
    Status s = access_([](Transport& t) { return t.Reset(); });
    (void)s;  // a device that cannot reset its memories reports it on the next command
  }
  enabled_ = hung_ = failed_ = false;
  head_ = cpl_head_ = 0;
  WriteIdentity();
  SetReg(reg::kRingHead, 0);
  SetReg(reg::kRingTail, 0);
  SetReg(reg::kCplHead, 0);
  SetReg(reg::kErrorCode, 0);
  SetReg(reg::kErrorDetail, 0);
  SetReg(reg::kFaultInject, 0);
  SetReg(reg::kStatus, field::kStatusReady.mask());
  AndReg(reg::kControl, ~(field::kControlReset.mask() | field::kControlEnable.mask()));
  Raise(field::kIrqStatusResetDone.mask());
}

bool PcieDeviceModel::InWindow(uint64_t addr, uint64_t len) const {
  if (len == 0) return false;
  if (addr < win_base_) return false;
  const uint64_t off = addr - win_base_;
  return off <= win_size_ && len <= win_size_ - off;
}

void PcieDeviceModel::TryEnable() {
  auto pair = [this](uint32_t lo) { return uint64_t{Reg(lo)} | (uint64_t{Reg(lo + 4)} << 32); };
  const uint64_t wb = pair(reg::kDmaWindowBaseLo), ws = pair(reg::kDmaWindowSizeLo);
  if (ws == 0 || wb > dma_bytes_ || ws > dma_bytes_ - wb)
    return Fail(kU(ErrorCode::kWindowConfig), ws == 0 ? reg::kDmaWindowSizeLo : reg::kDmaWindowBaseLo);
  win_base_ = wb;
  win_size_ = ws;
  const uint32_t n = Reg(reg::kRingSize);
  if (n == 0 || n > pcie::kMaxRingEntries || (n & (n - 1)))
    return Fail(kU(ErrorCode::kRingConfig), reg::kRingSize);
  const uint64_t rb = pair(reg::kRingBaseLo), cb = pair(reg::kCplBaseLo);
  if (rb % 64 || !InWindow(rb, uint64_t{n} * pcie::kDescriptorBytes))
    return Fail(kU(ErrorCode::kRingConfig), reg::kRingBaseLo);
  if (cb % 64 || !InWindow(cb, uint64_t{n} * pcie::kCompletionBytes))
    return Fail(kU(ErrorCode::kRingConfig), reg::kCplBaseLo);
  ring_size_ = n;
  ring_base_ = rb;
  cpl_base_ = cb;
  enabled_ = true;
  OrReg(reg::kStatus, field::kStatusEnabled.mask());
}

void PcieDeviceModel::Loop() {
  struct Finish {
    std::atomic<bool>* f;
    ~Finish() { f->store(true); }
  } finish{&finished_};
  for (;;) {
    // The watched socket: only its hang-up matters (POLLRDHUP; POLLIN is
    // not asked for, the server's own thread reads its frames).
    pollfd p[3] = {{doorbell_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}, {watch_fd_, POLLRDHUP, 0}};
    if (::poll(p, watch_fd_ >= 0 ? 3 : 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[1].revents) return;
    if (watch_fd_ >= 0 && (p[2].revents & (POLLRDHUP | POLLHUP | POLLERR))) {
      // The client is gone: stop serving, as an unplugged device would.
      lost_ = true;
      OrReg(reg::kStatus, field::kStatusDeviceLost.mask());
      return;
    }
    uint64_t v;
    while (::read(doorbell_fd_, &v, sizeof v) == sizeof v) {
    }
    std::atomic_thread_fence(std::memory_order_acquire);
    const uint32_t control = Reg(reg::kControl);
    if (control & field::kControlReset.mask()) {
      DoReset();
      continue;
    }
    if (failed_ || hung_) continue;
    if (!enabled_) {
      if (!(control & field::kControlEnable.mask())) continue;
      TryEnable();
      if (!enabled_) continue;
    }
    ProcessRing();
    if (lost_) return;
  }
}

void PcieDeviceModel::ProcessRing() {
  for (;;) {
    // A reset written while we work is served before the next descriptor.
    if (Reg(reg::kControl) & field::kControlReset.mask()) {
      DoReset();
      return;
    }
    const uint32_t tail = Reg(reg::kRingTail);
    const uint32_t pending = tail - head_;
    if (pending == 0) return;
    if (pending > ring_size_) return Fail(kU(ErrorCode::kBadTail), tail);
    uint32_t fault = __atomic_exchange_n(&bar_[reg::kFaultInject / 4], 0u, __ATOMIC_ACQ_REL);
    if (!options_.allow_faults) fault = 0;
    if (const uint32_t f = injected_.exchange(0); f != 0) fault = f;
    if (fault == static_cast<uint32_t>(Fault::kDisappear)) return Vanish();
    const uint32_t index = head_++;
    SetReg(reg::kRingHead, head_);
    if (fault == static_cast<uint32_t>(Fault::kHang)) {
      hung_ = true;  // taken, never completed; only CONTROL.RESET brings the device back
      return;
    }
    ExecuteOne(index, fault);
    if (failed_) return;
  }
}

void PcieDeviceModel::ExecuteOne(uint32_t index, uint32_t fault) {
  const uint32_t slot = index & (ring_size_ - 1);
  uint8_t raw[pcie::kDescriptorBytes];
  std::memcpy(raw, dma_ + (ring_base_ + uint64_t{slot} * pcie::kDescriptorBytes), sizeof raw);
  const pcie::Descriptor d = pcie::DecodeDescriptor(raw);

  pcie::Completion c;
  c.seq = d.seq;
  c.opcode = d.opcode;
  c.status = kU(CplStatus::kOk);
  auto reject = [&](CplStatus s, uint32_t detail, const std::string& text) {
    c.status = kU(s);
    c.detail = detail;
    c.error_text_len = CopyText(text, c.error_text, sizeof c.error_text);
  };
  OrReg(reg::kStatus, field::kStatusBusy.mask());

  const Opcode op = static_cast<Opcode>(d.opcode);
  const bool known = pcie::OpcodeName(d.opcode) != nullptr;
  if (!known) {
    reject(CplStatus::kBadDescriptor, pcie::kDescriptorOpcodeOffset, StrFormat("unknown opcode %u", d.opcode));
  } else if (d.flags != 0) {
    reject(CplStatus::kBadDescriptor, pcie::kDescriptorFlagsOffset, "flags must be 0");
  } else if (fault == static_cast<uint32_t>(Fault::kDeviceError)) {
    reject(CplStatus::kDeviceError, kU(ErrorCode::kInternal), "injected device error");
  } else if (op == Opcode::kNop || op == Opcode::kReset) {
    if (d.dma_addr != 0 || d.length != 0 || d.device_addr != 0 || d.table_addr != 0) {
      reject(CplStatus::kBadDescriptor, pcie::kDescriptorDmaAddrOffset, "NOP/RESET take no operands");
    } else if (op == Opcode::kReset) {
      Status s = access_([](Transport& t) { return t.Reset(); });
      if (!s.ok()) reject(CplStatus::kExecError, static_cast<uint32_t>(s.code()), s.message());
    }
  } else if (op == Opcode::kRun) {
    if (d.device_addr != 0) {
      reject(CplStatus::kBadDescriptor, pcie::kDescriptorDeviceAddrOffset, "RUN: device_addr must be 0");
    } else if (d.length == 0 || d.length > pcie::kMaxProgramWords) {
      reject(CplStatus::kBadDescriptor, pcie::kDescriptorLengthOffset,
             StrFormat("RUN: %u instruction words outside [1, %u]", d.length, pcie::kMaxProgramWords));
    } else if (!InWindow(d.dma_addr, uint64_t{d.length} * sizeof(isa::InsnWord))) {
      reject(CplStatus::kDmaOutOfWindow, 0xFFFFFFFFu,
             StrFormat("RUN: program [0x%" PRIx64 ", +%" PRIu64 ") outside the DMA window", d.dma_addr,
                       uint64_t{d.length} * sizeof(isa::InsnWord)));
    } else if (!InWindow(d.table_addr, uint64_t{pcie::kNumRegionEntries} * pcie::kRegionEntryBytes)) {
      reject(CplStatus::kDmaOutOfWindow, 0xFFFFFFFFu,
             StrFormat("RUN: region table at 0x%" PRIx64 " outside the DMA window", d.table_addr));
    } else {
      // Copy the table, check every entry, then the program.
      uint8_t table[pcie::kNumRegionEntries * pcie::kRegionEntryBytes];
      std::memcpy(table, dma_ + d.table_addr, sizeof table);
      sim::HostMemory host;
      bool ok = true;
      for (uint32_t i = 0; i < pcie::kNumRegionEntries && ok; ++i) {
        const uint8_t* raw_e = table + i * pcie::kRegionEntryBytes;
        const pcie::RegionEntry e = pcie::DecodeRegionEntry(raw_e);
        if (e.size == 0) {
          if (e.dma_addr != 0 || e.flags != 0 || e.reserved != 0) {
            reject(CplStatus::kBadDescriptor, i, StrFormat("RUN: unmapped region %u has non-zero fields", i));
            ok = false;
          }
          continue;
        }
        if ((e.flags & ~3u) != 0 || e.reserved != 0) {
          reject(CplStatus::kBadDescriptor, i, StrFormat("RUN: region %u: reserved flag bits set", i));
          ok = false;
        } else if (!InWindow(e.dma_addr, e.size)) {
          reject(CplStatus::kDmaOutOfWindow, i,
                 StrFormat("RUN: region %u [0x%" PRIx64 ", +%" PRIu64 ") outside the DMA window", i, e.dma_addr,
                           e.size));
          ok = false;
        } else if (i < static_cast<uint32_t>(isa::kNumHostRegions)) {
          Status s = host.Map(static_cast<int>(i), dma_ + e.dma_addr, e.size, e.flags & 1, e.flags & 2);
          if (!s.ok()) {
            reject(CplStatus::kBadDescriptor, i, s.message());
            ok = false;
          }
        }
      }
      if (ok) {
        std::vector<isa::InsnWord> program(d.length);
        std::memcpy(static_cast<void*>(program.data()), dma_ + d.dma_addr, program.size() * sizeof(isa::InsnWord));
        sim::PerfCounters counters;
        Status s = access_([&](Transport& t) {
          StatusOr<sim::PerfCounters> r = t.Execute(program, host, ExecuteOptions{});
          if (!r.ok()) return r.status();
          counters = *r;
          return Status::Ok();
        });
        if (s.ok()) {
          FillCounters(counters, &c);
        } else {
          reject(CplStatus::kExecError, static_cast<uint32_t>(s.code()), s.message());
        }
      }
    }
  } else {  // WRITE_ABUF/PBUF, READ_ABUF/PBUF
    const bool write = op == Opcode::kWriteAbuf || op == Opcode::kWritePbuf;
    const isa::Buffer buf = (op == Opcode::kWriteAbuf || op == Opcode::kReadAbuf) ? isa::Buffer::kAbuf
                                                                                 : isa::Buffer::kPbuf;
    const sim::DeviceConfig& cfg = config_;
    const uint64_t buf_bytes = buf == isa::Buffer::kAbuf ? cfg.abuf_bytes : cfg.pbuf_bytes;
    if (d.table_addr != 0) {
      reject(CplStatus::kBadDescriptor, pcie::kDescriptorTableAddrOffset, "WRITE/READ: table_addr must be 0");
    } else if (d.length == 0 || d.length > pcie::kMaxTransferBytes) {
      reject(CplStatus::kBadDescriptor, pcie::kDescriptorLengthOffset,
             StrFormat("transfer of %u bytes outside [1, %u]", d.length, pcie::kMaxTransferBytes));
    } else if (!InWindow(d.dma_addr, d.length)) {
      reject(CplStatus::kDmaOutOfWindow, 0xFFFFFFFFu,
             StrFormat("%s: [0x%" PRIx64 ", +%u) outside the DMA window", pcie::OpcodeName(d.opcode), d.dma_addr,
                       d.length));
    } else if (uint64_t{d.device_addr} + d.length > buf_bytes) {
      reject(CplStatus::kDeviceAddrOutOfRange, d.device_addr,
             StrFormat("%s: [0x%x, +%u) outside %s (%" PRIu64 " bytes)", pcie::OpcodeName(d.opcode), d.device_addr,
                       d.length, isa::BufferName(buf), buf_bytes));
    } else {
      uint8_t* p = dma_ + d.dma_addr;
      Status s = access_([&](Transport& t) {
        return write ? t.WriteMemory(buf, d.device_addr, p, d.length) : t.ReadMemory(buf, d.device_addr, p, d.length);
      });
      if (!s.ok()) reject(CplStatus::kExecError, static_cast<uint32_t>(s.code()), s.message());
    }
  }

  // Faults that corrupt what the host reads back.
  if (fault == static_cast<uint32_t>(Fault::kCorruptSeq)) c.seq ^= 0x5a5a0001u;
  if (fault == static_cast<uint32_t>(Fault::kCorruptStatus)) c.status = 0x7777;
  if (fault == static_cast<uint32_t>(Fault::kCorruptCounters)) c.load_busy = c.cycles + 12345;

  uint8_t rec[pcie::kCompletionBytes];
  pcie::EncodeCompletion(c, rec);
  const uint32_t crc = pcie::Crc32(rec, pcie::kCompletionChecksumOffset);
  std::memcpy(rec + pcie::kCompletionChecksumOffset, &crc, 4);
  if (fault == static_cast<uint32_t>(Fault::kCorruptChecksum)) rec[20] ^= 0x10;
  std::memcpy(dma_ + (cpl_base_ + uint64_t{slot} * pcie::kCompletionBytes), rec, sizeof rec);
  std::atomic_thread_fence(std::memory_order_release);
  SetReg(reg::kCplHead, ++cpl_head_);
  AndReg(reg::kStatus, ~field::kStatusBusy.mask());
  commands_.fetch_add(1);
  if (c.status == kU(CplStatus::kDeviceError)) {
    OrReg(reg::kIrqStatus, field::kIrqStatusCompletion.mask());
    return Fail(kU(ErrorCode::kInternal), d.seq);
  }
  Raise(field::kIrqStatusCompletion.mask());
}

}  // namespace systole::driver
