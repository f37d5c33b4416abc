// TEST ONLY: the fake Systole USB device (usb_test_device.h) on umockdev.
//
// The ioctl handler runs on umockdev's worker thread and only moves bytes
// between URBs and queues (never blocks longer than kReapWaitUs); each
// session's Handle() runs on that session's own firmware thread, so a long
// device run never holds up the host's ioctls. All state is guarded by mu_.
//
// Emulation notes (docs/usb.md): a URB is the unit here, not a packet. An IN
// URB completes when it is full or at the end of a frame (what a short packet
// or zero-length packet does on the wire). An emulated usbfs node is always
// "writable", so libusb's event loop polls it continuously; REAPURBNDELAY
// with nothing to reap waits up to kReapWaitUs for the firmware before
// answering EAGAIN, which keeps that loop from spinning a core.
#include "driver/usb_test_device.h"

#include "driver/device_session.h"

#include <sys/ioctl.h>  // before linux/usbdevice_fs.h (TOOLCHAIN.md)
#include <linux/usbdevice_fs.h>
#include <umockdev.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace systole::driver {
namespace {

constexpr int kReapWaitUs = 250;
// One testbed per process, shared by the fake devices alive at a time (a
// testbed owns the process's umockdev environment); the last one out
// removes it.
std::mutex g_testbed_mu;
UMockdevTestbed* g_testbed = nullptr;
int g_testbed_users = 0;
std::set<int> g_addresses;  // of the fake devices alive

// Reserves `want` (0: the lowest free address); 0 when taken or none left.
int ReserveAddress(int want) {
  std::lock_guard<std::mutex> l(g_testbed_mu);
  if (want == 0)
    for (int a = 2; a <= 127 && want == 0; ++a)
      if (!g_addresses.count(a)) want = a;
  if (want == 0 || g_addresses.count(want)) return 0;
  g_addresses.insert(want);
  return want;
}
void FreeAddress(int a) {
  std::lock_guard<std::mutex> l(g_testbed_mu);
  g_addresses.erase(a);
}

UMockdevTestbed* AcquireTestbed() {
  std::lock_guard<std::mutex> l(g_testbed_mu);
  if (g_testbed_users++ == 0) g_testbed = umockdev_testbed_new();
  return g_testbed;
}
void ReleaseTestbed() {
  std::lock_guard<std::mutex> l(g_testbed_mu);
  if (--g_testbed_users == 0) {
    g_object_unref(g_testbed);
    g_testbed = nullptr;
  }
}

std::string HexBytes(const std::vector<uint8_t>& b) {
  std::string s;
  for (uint8_t v : b) s += StrFormat("%02x", v);
  return s;
}

std::vector<uint8_t> Descriptors(const FakeUsbDeviceOptions& o) {
  const uint8_t pl = o.bulk_packet & 0xff, ph = o.bulk_packet >> 8;
  std::vector<uint8_t> d = {
      // device: USB 2.0, class per interface, ep0 64 bytes, 1209:0001 v1.00,
      // strings 1/2/3, one configuration
      0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40, kSystoleUsbVendorId & 0xff, kSystoleUsbVendorId >> 8,
      kSystoleUsbProductId & 0xff, kSystoleUsbProductId >> 8, 0x00, 0x01, 0x01, 0x02, 0x03, 0x01};
  const uint8_t num_ep = o.with_interrupt_endpoint ? 3 : 2;
  const uint16_t total = 9 + 9 + 7 * num_ep;
  std::vector<uint8_t> c = {
      0x09, 0x02, static_cast<uint8_t>(total & 0xff), static_cast<uint8_t>(total >> 8), 0x01, 0x01, 0x00, 0x80, 0xfa,
      0x09, 0x04, 0x00, 0x00, num_ep, kSystoleUsbInterfaceClass, kSystoleUsbInterfaceSubclass,
      kSystoleUsbInterfaceProtocol, 0x00,
      0x07, 0x05, kFakeUsbBulkOut, 0x02, pl, ph, 0x00,
      0x07, 0x05, kFakeUsbBulkIn, 0x02, pl, ph, 0x00};
  if (o.with_interrupt_endpoint) {
    const uint8_t intr[] = {0x07, 0x05, kFakeUsbInterruptIn, 0x03, 0x40, 0x00, 0x01};
    c.insert(c.end(), intr, intr + sizeof(intr));
  }
  d.insert(d.end(), c.begin(), c.end());
  return d;
}

std::string Strings(uint8_t index) {
  switch (index) {
    case 1: return "Systole";
    case 2: return "Systole USB accelerator (umockdev emulation)";
    case 3: return "EMU0001";
  }
  return "";
}

struct Urb {
  UMockdevIoctlClient* client = nullptr;  // the connection (open file) that submitted it
  UMockdevIoctlData* data = nullptr;  // the resolved usbdevfs_urb (our reference)
  UMockdevIoctlData* buffer = nullptr;  // its resolved buffer (our reference; null when length 0)
  usbdevfs_urb* u() const { return reinterpret_cast<usbdevfs_urb*>(data->data); }
  uint8_t* buf() const { return buffer ? buffer->data : nullptr; }
};

class FakeUsbDeviceImpl : public FakeUsbDevice {
 public:
  explicit FakeUsbDeviceImpl(FakeUsbDeviceOptions o, int address)
      : o_(std::move(o)),
        address_(address),
        dev_node_(StrFormat("/dev/bus/usb/001/%03d", address)),
        sys_path_(StrFormat("/sys/devices/usb1/1-%d", address - 1)) {}

  ~FakeUsbDeviceImpl() override {
    std::vector<Worker> workers;
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
      cv_.notify_all();
      workers.swap(workers_);
    }
    for (Worker& w : workers) w.thread.join();
    if (testbed_ != nullptr) {
      if (!removed_) umockdev_testbed_remove_device(testbed_, sys_path_.c_str());
      umockdev_testbed_detach_ioctl(testbed_, dev_node_.c_str(), nullptr);
      if (handler_ != nullptr) g_object_unref(handler_);
      ReleaseTestbed();
    }
    FreeAddress(address_);
    std::lock_guard<std::mutex> l(mu_);
    for (Urb& u : pending_) Release(u);
    for (Urb& u : done_) Release(u);
  }

  Status Init() {
    if (!o_.framing.frame_length || o_.framing.header_bytes == 0 || !o_.new_session)
      return InvalidArgument("fake usb device: framing and new_session are required");
    testbed_ = AcquireTestbed();
    if (!umockdev_in_mock_environment())
      return FailedPrecondition(
          "fake usb device: not running under umockdev-wrapper (LD_PRELOAD of libumockdev-preload.so); run the "
          "test binary as `umockdev-wrapper BINARY` (ctest does)");
    handler_ = umockdev_ioctl_base_new();
    g_signal_connect(handler_, "handle-ioctl", G_CALLBACK(&FakeUsbDeviceImpl::OnIoctl), this);
    g_signal_connect(handler_, "client-vanished", G_CALLBACK(&FakeUsbDeviceImpl::OnVanished), this);
    return Add();
  }

  void Unplug() override {
    {
      std::lock_guard<std::mutex> l(mu_);
      if (unplugged_) return;
      unplugged_ = true;
      // What the kernel does on disconnect: every URB in flight ends with
      // ENODEV, later ioctls fail with ENODEV.
      for (Urb& u : pending_) {
        u.u()->status = -ENODEV;
        u.u()->actual_length = 0;
        done_.push_back(u);
      }
      pending_.clear();
      ResetStreams();
      claimed_by_ = nullptr;
      removed_ = true;
      cv_.notify_all();
    }
    umockdev_testbed_remove_device(testbed_, sys_path_.c_str());
  }

  Status Replug() override {
    {
      std::lock_guard<std::mutex> l(mu_);
      if (!unplugged_) return FailedPrecondition("fake usb device: Replug() while plugged in");
      unplugged_ = false;
      removed_ = false;
      claimed_by_ = nullptr;
      stalled_.clear();
      hung_.clear();
      short_.clear();
    }
    umockdev_testbed_detach_ioctl(testbed_, dev_node_.c_str(), nullptr);
    return Add();
  }

  void Stall(uint8_t ep) override {
    std::lock_guard<std::mutex> l(mu_);
    stalled_.insert(ep);
    cv_.notify_all();
  }
  void Hang(uint8_t ep, bool hang) override {
    std::lock_guard<std::mutex> l(mu_);
    if (hang) hung_.insert(ep);
    else hung_.erase(ep);
  }
  void ShortNextIn(uint8_t ep, size_t bytes) override {
    std::lock_guard<std::mutex> l(mu_);
    short_[ep] = bytes;
  }
  FakeUsbStats stats() const override {
    std::lock_guard<std::mutex> l(mu_);
    return stats_;
  }
  int address() const override { return address_; }
  std::string port_path() const override { return StrFormat("1-%d", address_ - 1); }
  size_t urbs_outstanding() const override {
    std::lock_guard<std::mutex> l(mu_);
    return pending_.size() + done_.size();
  }

 private:
  Status Add() {
    GError* err = nullptr;
    if (!umockdev_testbed_attach_ioctl(testbed_, dev_node_.c_str(), handler_, &err)) {
      Status st = Internal("fake usb device: attach_ioctl %s: %s", dev_node_.c_str(), err ? err->message : "?");
      if (err) g_error_free(err);
      return st;
    }
    const std::string desc = StrFormat(
        "P: /devices/usb1/1-%d\n"
        "N: bus/usb/001/%03d\n"
        "E: SUBSYSTEM=usb\n"
        "E: DEVTYPE=usb_device\n"
        "E: DRIVER=usb\n"
        "E: BUSNUM=001\n"
        "E: DEVNUM=%03d\n"
        "E: DEVNAME=%s\n"
        "A: busnum=1\\n\n"
        "A: devnum=%d\\n\n"
        "A: bConfigurationValue=1\\n\n"
        "A: speed=480\\n\n"
        "H: descriptors=%s\n",
        address_ - 1, address_, address_, dev_node_.c_str(), address_, HexBytes(Descriptors(o_)).c_str());
    if (!umockdev_testbed_add_from_string(testbed_, desc.c_str(), &err)) {
      Status st = Internal("fake usb device: add_from_string: %s", err ? err->message : "?");
      if (err) g_error_free(err);
      return st;
    }
    return Status::Ok();
  }

  static void Release(Urb& u) {
    if (u.buffer) umockdev_ioctl_data_unref(u.buffer);
    if (u.data) umockdev_ioctl_data_unref(u.data);
    u = Urb{};
  }

  // mu_ held: a new host session or an unplug forgets bytes in flight.
  void ResetStreams() {
    out_acc_.clear();
    in_.clear();
    jobs_.clear();
    ++generation_;
    cv_.notify_all();  // the old session's thread ends
  }

  static gboolean OnIoctl(UMockdevIoctlBase*, UMockdevIoctlClient* client, gpointer self) {
    static_cast<FakeUsbDeviceImpl*>(self)->Ioctl(client);
    return TRUE;
  }
  // A connection (an open file of the node) went away: its claim goes too.
  static void OnVanished(UMockdevIoctlBase*, UMockdevIoctlClient* client, gpointer self) {
    auto* d = static_cast<FakeUsbDeviceImpl*>(self);
    std::lock_guard<std::mutex> l(d->mu_);
    if (d->claimed_by_ == client) d->claimed_by_ = nullptr;
    // Its URBs go with it (the kernel discards them when the file closes).
    for (auto* q : {&d->pending_, &d->done_}) {
      for (auto it = q->begin(); it != q->end();) {
        if (it->client == client) {
          Release(*it);
          it = q->erase(it);
        } else {
          ++it;
        }
      }
    }
  }

  void Complete(UMockdevIoctlClient* client, long res, int err) { umockdev_ioctl_client_complete(client, res, err); }

  void Ioctl(UMockdevIoctlClient* client) {
    const unsigned long req = umockdev_ioctl_client_get_request(client);
    UMockdevIoctlData* arg = umockdev_ioctl_client_get_arg(client);
    std::unique_lock<std::mutex> l(mu_);
    if (req == USBDEVFS_REAPURB || req == USBDEVFS_REAPURBNDELAY) {
      // URBs belong to the open file that submitted them, as in usbfs.
      auto mine = [&] {
        return std::find_if(done_.begin(), done_.end(), [&](const Urb& u) { return u.client == client; });
      };
      Fill();
      if (mine() == done_.end() && !unplugged_) {
        cv_.wait_for(l, std::chrono::microseconds(kReapWaitUs));
        Fill();
      }
      auto it = mine();
      if (it == done_.end()) {
        if (unplugged_) {
          l.unlock();
          std::this_thread::sleep_for(std::chrono::microseconds(kReapWaitUs));
          return Complete(client, -1, ENODEV);
        }
        return Complete(client, -1, EAGAIN);
      }
      Urb u = *it;
      done_.erase(it);
      UMockdevIoctlData* slot = umockdev_ioctl_data_resolve(arg, 0, sizeof(void*), nullptr);
      umockdev_ioctl_data_set_ptr(slot, 0, u.data);
      umockdev_ioctl_data_unref(slot);
      Release(u);
      return Complete(client, 0, 0);
    }
    if (unplugged_) return Complete(client, -1, ENODEV);
    switch (req) {
      case USBDEVFS_GET_CAPABILITIES: {
        UMockdevIoctlData* d = umockdev_ioctl_data_resolve(arg, 0, sizeof(uint32_t), nullptr);
        const uint32_t caps = USBDEVFS_CAP_ZERO_PACKET | USBDEVFS_CAP_BULK_CONTINUATION |
                              USBDEVFS_CAP_NO_PACKET_SIZE_LIM;
        std::memcpy(d->data, &caps, sizeof(caps));
        umockdev_ioctl_data_unref(d);
        return Complete(client, 0, 0);
      }
      case USBDEVFS_GETDRIVER:
      case USBDEVFS_IOCTL:  // disconnect a kernel driver: there is none
        return Complete(client, -1, ENODATA);
      case USBDEVFS_CLAIMINTERFACE:
        // One owner per interface, as the kernel enforces across open files.
        if (claimed_by_ != nullptr && claimed_by_ != client) return Complete(client, -1, EBUSY);
        claimed_by_ = client;
        ResetStreams();
        ++stats_.sessions;
        return Complete(client, 0, 0);
      case USBDEVFS_RELEASEINTERFACE:
        if (claimed_by_ != client) return Complete(client, -1, EINVAL);
        claimed_by_ = nullptr;
        ResetStreams();
        return Complete(client, 0, 0);
      case USBDEVFS_CLEAR_HALT: {
        UMockdevIoctlData* d = umockdev_ioctl_data_resolve(arg, 0, sizeof(unsigned int), nullptr);
        unsigned int ep = 0;
        std::memcpy(&ep, d->data, sizeof(ep));
        umockdev_ioctl_data_unref(d);
        stalled_.erase(static_cast<uint8_t>(ep));
        return Complete(client, 0, 0);
      }
      case USBDEVFS_SETINTERFACE:
      case USBDEVFS_SETCONFIGURATION:
      case USBDEVFS_RESET:
      case USBDEVFS_RESETEP:
        return Complete(client, 0, 0);
      case USBDEVFS_SUBMITURB: {
        const long r = Submit(arg, client);
        return Complete(client, r, r < 0 ? EINVAL : 0);
      }
      case USBDEVFS_DISCARDURB: {
        const unsigned long addr = *reinterpret_cast<unsigned long*>(arg->data);
        for (auto it = pending_.begin(); it != pending_.end(); ++it) {
          if (it->client == client && it->data->client_addr == addr) {
            it->u()->status = -ENOENT;
            it->u()->actual_length = 0;
            done_.push_back(*it);
            pending_.erase(it);
            ++stats_.discarded;
            return Complete(client, 0, 0);
          }
        }
        return Complete(client, -1, EINVAL);
      }
      default:
        if (std::getenv("SYSTOLE_FAKE_USB_DEBUG")) std::fprintf(stderr, "fake usb: ioctl 0x%lx unhandled\n", req);
        return Complete(client, -1, ENOTTY);
    }
  }

  // mu_ held. Returns the ioctl's result (0; -errno is reported through
  // the URB status instead, as the kernel does for transfer errors).
  long Submit(UMockdevIoctlData* arg, UMockdevIoctlClient* client) {
    Urb urb;
    urb.client = client;
    urb.data = umockdev_ioctl_data_resolve(arg, 0, sizeof(usbdevfs_urb), nullptr);
    usbdevfs_urb* u = urb.u();
    if (u->buffer_length < 0 || u->buffer_length > (64 << 20)) {
      Release(urb);
      return -1;
    }
    if (u->buffer_length > 0)
      urb.buffer = umockdev_ioctl_data_resolve(urb.data, offsetof(usbdevfs_urb, buffer),
                                               static_cast<size_t>(u->buffer_length), nullptr);
    u->actual_length = 0;
    u->status = 0;
    const uint8_t ep = u->endpoint;
    if (u->type == USBDEVFS_URB_TYPE_CONTROL) {
      ControlUrb(urb);
      done_.push_back(urb);
      return 0;
    }
    if (stalled_.count(ep)) {
      u->status = -EPIPE;
      done_.push_back(urb);
      return 0;
    }
    if ((ep & 0x80) == 0) {
      if (hung_.count(ep)) {
        pending_.push_back(urb);
        return 0;
      }
      if (u->flags & USBDEVFS_URB_ZERO_PACKET) ++stats_.zero_packet_flags;
      const uint8_t* b = urb.buf();
      out_acc_.insert(out_acc_.end(), b, b + u->buffer_length);
      stats_.out_bytes += static_cast<uint64_t>(u->buffer_length);
      u->actual_length = u->buffer_length;
      CutFrames();
      done_.push_back(urb);
      return 0;
    }
    pending_.push_back(urb);
    Fill();
    return 0;
  }

  // mu_ held: GET_DESCRIPTOR(STRING); anything else stalls ep0.
  void ControlUrb(Urb& urb) {
    usbdevfs_urb* u = urb.u();
    uint8_t* b = urb.buf();
    if (u->buffer_length < 8) {
      u->status = -EPIPE;
      return;
    }
    const uint16_t value = b[2] | (b[3] << 8), length = b[6] | (b[7] << 8);
    std::vector<uint8_t> reply;
    if (b[0] == 0x80 && b[1] == 0x06 && (value >> 8) == 0x03) {
      const uint8_t index = value & 0xff;
      if (index == 0) {
        reply = {0x04, 0x03, 0x09, 0x04};  // English (US)
      } else {
        const std::string s = Strings(index);
        if (!s.empty()) {
          reply = {static_cast<uint8_t>(2 + 2 * s.size()), 0x03};
          for (char c : s) {
            reply.push_back(static_cast<uint8_t>(c));
            reply.push_back(0);
          }
        }
      }
    }
    if (reply.empty()) {
      u->status = -EPIPE;
      return;
    }
    const size_t n = std::min<size_t>({reply.size(), length, static_cast<size_t>(u->buffer_length - 8)});
    std::memcpy(b + 8, reply.data(), n);
    u->actual_length = static_cast<int>(n);
  }

  // mu_ held: whole frames off the OUT stream go to the firmware.
  void CutFrames() {
    const UsbFraming& f = o_.framing;
    size_t pos = 0;
    while (out_acc_.size() - pos >= f.header_bytes) {
      StatusOr<size_t> len = f.frame_length(out_acc_.data() + pos, f.header_bytes);
      if (!len.ok() || *len < f.header_bytes) {
        // A real device would resynchronise; this one drops what it has.
        ++stats_.framing_errors;
        out_acc_.clear();
        return;
      }
      if (out_acc_.size() - pos < *len) break;
      jobs_.push_back(Job{generation_, std::vector<uint8_t>(out_acc_.begin() + pos, out_acc_.begin() + pos + *len)});
      StartWorker();
      ++stats_.frames_in;
      pos += *len;
    }
    out_acc_.erase(out_acc_.begin(), out_acc_.begin() + pos);
    cv_.notify_all();
  }

  // mu_ held: completes IN URBs that data, a stall or an unplug can end, in
  // submission order per endpoint.
  void Fill() {
    std::set<uint8_t> blocked;
    for (auto it = pending_.begin(); it != pending_.end();) {
      usbdevfs_urb* u = it->u();
      const uint8_t ep = u->endpoint;
      bool complete = false;
      if (blocked.count(ep) || hung_.count(ep)) {
      } else if (stalled_.count(ep)) {
        u->status = -EPIPE;
        complete = true;
      } else if ((ep & 0x80) && !in_[ep].empty()) {
        OutQueue& q = in_[ep];
        std::vector<uint8_t>& frame = q.front();
        size_t left = frame.size() - q.offset;
        auto sh = short_.find(ep);
        bool cut = false;
        if (sh != short_.end() && q.offset == 0 && sh->second < left) {  // armed until a frame is longer
          left = std::min(left, sh->second);
          short_.erase(sh);
          cut = true;
        }
        const size_t n = std::min(left, static_cast<size_t>(u->buffer_length));
        if (n > 0) std::memcpy(it->buf(), frame.data() + q.offset, n);
        u->actual_length = static_cast<int>(n);
        u->status = 0;
        q.offset += n;
        if (cut || q.offset == frame.size()) {
          q.pop_front();
          q.offset = 0;
        }
        complete = true;
      }
      if (complete) {
        done_.push_back(*it);
        it = pending_.erase(it);
      } else {
        blocked.insert(ep);
        ++it;
      }
    }
  }

  // mu_ held: the current session's firmware thread, started with its
  // first frame. Each session has its own (as each client of `systole serve`
  // does), so a new session is served at once while an abandoned one may
  // still be busy (e.g. in a DELAY fault); the old one ends after that.
  void StartWorker() {
    if (worker_gen_ == generation_ && !workers_.empty()) return;
    for (auto it = workers_.begin(); it != workers_.end();) {  // reap finished ones
      if (it->done->load()) {
        it->thread.join();
        it = workers_.erase(it);
      } else {
        ++it;
      }
    }
    worker_gen_ = generation_;
    auto done = std::make_shared<std::atomic<bool>>(false);
    const uint64_t gen = generation_;
    workers_.push_back(Worker{std::thread([this, gen, done] {
                                SessionLoop(gen);
                                done->store(true);
                              }),
                              done});
  }

  void SessionLoop(uint64_t gen) {
    std::unique_ptr<FakeUsbSession> session = o_.new_session();
    std::unique_lock<std::mutex> l(mu_);
    for (;;) {
      cv_.wait(l, [&] { return stop_ || gen != generation_ || !jobs_.empty(); });
      if (stop_ || gen != generation_) break;  // the host left: this session is over
      Job job = std::move(jobs_.front());
      jobs_.pop_front();
      l.unlock();
      std::vector<FakeUsbFrame> out;
      Status st = session->Handle(job.frame, &out);
      if (!st.ok() && std::getenv("SYSTOLE_FAKE_USB_DEBUG"))
        std::fprintf(stderr, "fake usb: session: %s\n", st.ToString().c_str());
      if (session->vanished()) {
        Unplug();
        l.lock();
        continue;
      }
      l.lock();
      if (job.generation != generation_ || unplugged_) continue;  // the host left meanwhile
      for (FakeUsbFrame& f : out) {
        const uint8_t ep = f.interrupt ? kFakeUsbInterruptIn : kFakeUsbBulkIn;
        if (f.interrupt && !o_.with_interrupt_endpoint) continue;
        in_[ep].push_back(std::move(f.bytes));
        ++(f.interrupt ? stats_.frames_interrupt : stats_.frames_bulk_in);
      }
      Fill();
      cv_.notify_all();
    }
    l.unlock();
    session.reset();
  }

  struct Job {
    uint64_t generation;
    std::vector<uint8_t> frame;
  };
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  struct OutQueue : std::deque<std::vector<uint8_t>> {
    size_t offset = 0;  // bytes of front() already sent
  };

  const FakeUsbDeviceOptions o_;
  const int address_;
  const std::string dev_node_, sys_path_;
  UMockdevTestbed* testbed_ = nullptr;
  UMockdevIoctlBase* handler_ = nullptr;
  std::vector<Worker> workers_;  // session threads (guarded by mu_)
  uint64_t worker_gen_ = 0;      // the generation whose thread was started last

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool unplugged_ = false;
  bool removed_ = false;  // the node is out of the testbed
  UMockdevIoctlClient* claimed_by_ = nullptr;  // the connection owning interface 0
  uint64_t generation_ = 0;
  std::deque<Urb> pending_, done_;
  std::vector<uint8_t> out_acc_;
  std::deque<Job> jobs_;
  std::map<uint8_t, OutQueue> in_;
  std::set<uint8_t> stalled_, hung_;
  std::map<uint8_t, size_t> short_;
  FakeUsbStats stats_;
};

class SystoleSession : public FakeUsbSession {
 public:
  explicit SystoleSession(DeviceHost* host) : host_(host), session_(host) {}
  Status Handle(const std::vector<uint8_t>& frame, std::vector<FakeUsbFrame>* out) override {
    std::vector<OutFrame> frames;
    Status st = session_.Handle(frame, &frames);
    for (OutFrame& f : frames) out->push_back(FakeUsbFrame{std::move(f.bytes), f.completion});
    return st;
  }
  bool vanished() const override { return host_->vanish() != DeviceHost::Vanish::kNone; }

 private:
  DeviceHost* host_;
  DeviceSession session_;
};

}  // namespace

FakeUsbDeviceOptions SystoleFakeUsbOptions(DeviceHost* host) {
  FakeUsbDeviceOptions o;
  o.framing = ProtocolUsbFraming();
  o.new_session = [host] { return std::make_unique<SystoleSession>(host); };
  return o;
}

StatusOr<std::unique_ptr<FakeUsbDevice>> FakeUsbDevice::Create(FakeUsbDeviceOptions options) {
  if (options.address != 0 && (options.address < 2 || options.address > 127))
    return InvalidArgument("fake usb device: address %d outside 2..127", options.address);
  const int address = ReserveAddress(options.address);
  if (address == 0)
    return FailedPrecondition("fake usb device: address %d is in use by another fake device", options.address);
  auto d = std::make_unique<FakeUsbDeviceImpl>(std::move(options), address);
  RETURN_IF_ERROR(d->Init());
  return std::unique_ptr<FakeUsbDevice>(std::move(d));
}

}  // namespace systole::driver
