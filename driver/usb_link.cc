// The USB FrameLink over libusb-1.0 (usb_link.h, docs/usb.md).
//
// One libusb context per link and one event thread that runs libusb's event
// loop for it: every transfer callback runs there. Two IN transfers stay
// submitted while the link is open (bulk IN for direct replies, interrupt IN
// for completions); each endpoint's bytes are cut into frames by the framing
// rule and the frames of both go to one queue in arrival order, which
// Receive() pops. Send() submits bulk OUT transfers one chunk at a time.
//
// Errors: a stall, a transfer error, bytes that cannot start a frame or a
// frame cut short by a short packet make the link "broken" (the stream is out
// of step): every later Send/Receive returns that status until Reconnect().
// A device that disappears (transfer status NO_DEVICE, a hotplug "left"
// event, or ENODEV on a probe after a timeout) is UNAVAILABLE "device
// unplugged". Timeouts are not sticky: a late frame stays whole.
#include "driver/usb_link.h"

#include <libusb.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

namespace systole::driver {
namespace {

constexpr int kCancelWaitMs = 1000;  // how long a cancelled transfer may take to come back

std::string Hex4(uint16_t v) { return StrFormat("%04x", v); }

// libusb's error codes as Status, naming the libusb error.
Status UsbError(int err, const std::string& what) {
  const char* name = libusb_error_name(err);
  switch (err) {
    case LIBUSB_ERROR_NO_DEVICE:
      return Unavailable("%s: device unplugged (%s)", what.c_str(), name);
    case LIBUSB_ERROR_TIMEOUT:
      return DeadlineExceeded("%s: timed out (%s)", what.c_str(), name);
    case LIBUSB_ERROR_PIPE:
      return DataLoss("%s: endpoint stalled (%s)", what.c_str(), name);
    case LIBUSB_ERROR_OVERFLOW:
      return DataLoss("%s: device sent more than requested (%s)", what.c_str(), name);
    case LIBUSB_ERROR_IO:
      return Unavailable("%s: I/O error (%s)", what.c_str(), name);
    case LIBUSB_ERROR_ACCESS:
      return Unavailable("%s: permission denied (%s; see docs/usb.md for the udev rule)", what.c_str(), name);
    case LIBUSB_ERROR_BUSY:
      return Unavailable("%s: interface claimed by another program (%s)", what.c_str(), name);
    case LIBUSB_ERROR_NOT_FOUND:
      return NotFound("%s: not found (%s)", what.c_str(), name);
    case LIBUSB_ERROR_INTERRUPTED:
      return Cancelled("%s: interrupted (%s)", what.c_str(), name);
    case LIBUSB_ERROR_NO_MEM:
      return Internal("%s: out of memory (%s)", what.c_str(), name);
    default:
      return Unavailable("%s: %s", what.c_str(), name);
  }
}

Status TransferError(libusb_transfer_status st, const std::string& what) {
  switch (st) {
    case LIBUSB_TRANSFER_COMPLETED: return Status::Ok();
    case LIBUSB_TRANSFER_ERROR: return UsbError(LIBUSB_ERROR_IO, what);
    case LIBUSB_TRANSFER_TIMED_OUT: return UsbError(LIBUSB_ERROR_TIMEOUT, what);
    case LIBUSB_TRANSFER_CANCELLED: return Cancelled("%s: cancelled", what.c_str());
    case LIBUSB_TRANSFER_STALL: return UsbError(LIBUSB_ERROR_PIPE, what);
    case LIBUSB_TRANSFER_NO_DEVICE: return UsbError(LIBUSB_ERROR_NO_DEVICE, what);
    case LIBUSB_TRANSFER_OVERFLOW: return UsbError(LIBUSB_ERROR_OVERFLOW, what);
  }
  return Unavailable("%s: transfer status %d", what.c_str(), static_cast<int>(st));
}

std::string PortPath(libusb_device* dev) {
  uint8_t ports[8];
  int n = libusb_get_port_numbers(dev, ports, sizeof(ports));
  std::string s = StrFormat("%u", libusb_get_bus_number(dev));
  for (int i = 0; i < n; ++i) s += StrFormat("%c%u", i == 0 ? '-' : '.', ports[i]);
  return s;
}

// Whether dev is a Systole device: VID:PID and interface 0 of the active
// (else first) configuration is the vendor interface.
bool IsSystole(libusb_device* dev) {
  libusb_device_descriptor d;
  if (libusb_get_device_descriptor(dev, &d) != 0) return false;
  if (d.idVendor != kSystoleUsbVendorId || d.idProduct != kSystoleUsbProductId) return false;
  return true;
}

// The Systole devices of a context, ordered by bus and port path (stable
// indexes while nothing is plugged in or out). Each returned device holds a
// reference the caller drops.
std::vector<libusb_device*> SystoleDevices(libusb_context* ctx) {
  libusb_device** list = nullptr;
  ssize_t n = libusb_get_device_list(ctx, &list);
  std::vector<libusb_device*> out;
  for (ssize_t i = 0; i < n; ++i)
    if (IsSystole(list[i])) out.push_back(libusb_ref_device(list[i]));
  if (list != nullptr) libusb_free_device_list(list, 1);
  std::sort(out.begin(), out.end(), [](libusb_device* a, libusb_device* b) {
    std::string pa = PortPath(a), pb = PortPath(b);
    if (pa != pb) return pa < pb;
    return libusb_get_device_address(a) < libusb_get_device_address(b);
  });
  return out;
}

void UnrefAll(std::vector<libusb_device*>& devs) {
  for (libusb_device* d : devs) libusb_unref_device(d);
  devs.clear();
}

struct Endpoints {
  uint8_t bulk_out = 0, bulk_in = 0, intr_in = 0;
  int out_packet = 0;  // wMaxPacketSize of bulk OUT (zero-length packet rule)
};

// Finds the three endpoints on interface 0 (alt setting 0) of the active
// configuration; the error names what is missing.
StatusOr<Endpoints> FindEndpoints(libusb_device* dev, const std::string& where) {
  libusb_config_descriptor* cfg = nullptr;
  int r = libusb_get_active_config_descriptor(dev, &cfg);
  if (r != 0) r = libusb_get_config_descriptor(dev, 0, &cfg);
  if (r != 0) return UsbError(r, where + ": reading the configuration descriptor");
  Endpoints ep;
  Status st;
  if (cfg->bNumInterfaces <= kSystoleUsbInterface || cfg->interface[kSystoleUsbInterface].num_altsetting < 1) {
    st = InvalidArgument("%s: configuration %u has no interface %d", where.c_str(), cfg->bConfigurationValue,
                         kSystoleUsbInterface);
  } else {
    const libusb_interface_descriptor& alt = cfg->interface[kSystoleUsbInterface].altsetting[0];
    if (alt.bInterfaceClass != kSystoleUsbInterfaceClass || alt.bInterfaceSubClass != kSystoleUsbInterfaceSubclass ||
        alt.bInterfaceProtocol != kSystoleUsbInterfaceProtocol) {
      st = InvalidArgument("%s: interface %d is class %02x/%02x/%02x, a Systole device has %02x/%02x/%02x",
                           where.c_str(), kSystoleUsbInterface, alt.bInterfaceClass, alt.bInterfaceSubClass,
                           alt.bInterfaceProtocol, kSystoleUsbInterfaceClass, kSystoleUsbInterfaceSubclass,
                           kSystoleUsbInterfaceProtocol);
    } else {
      for (int i = 0; i < alt.bNumEndpoints; ++i) {
        const libusb_endpoint_descriptor& e = alt.endpoint[i];
        const int type = e.bmAttributes & LIBUSB_TRANSFER_TYPE_MASK;
        const bool in = (e.bEndpointAddress & LIBUSB_ENDPOINT_DIR_MASK) == LIBUSB_ENDPOINT_IN;
        if (type == LIBUSB_TRANSFER_TYPE_BULK && !in && ep.bulk_out == 0) {
          ep.bulk_out = e.bEndpointAddress;
          ep.out_packet = e.wMaxPacketSize & 0x7ff;
        } else if (type == LIBUSB_TRANSFER_TYPE_BULK && in && ep.bulk_in == 0) {
          ep.bulk_in = e.bEndpointAddress;
        } else if (type == LIBUSB_TRANSFER_TYPE_INTERRUPT && in && ep.intr_in == 0) {
          ep.intr_in = e.bEndpointAddress;
        }
      }
      std::string missing;
      if (ep.bulk_out == 0) missing += ", bulk OUT";
      if (ep.bulk_in == 0) missing += ", bulk IN";
      if (ep.intr_in == 0) missing += ", interrupt IN";
      if (!missing.empty())
        st = InvalidArgument("%s: interface %d lacks endpoints a Systole device has: %s", where.c_str(),
                             kSystoleUsbInterface, missing.c_str() + 2);
      else if (ep.out_packet == 0)
        st = InvalidArgument("%s: bulk OUT endpoint 0x%02x has wMaxPacketSize 0", where.c_str(), ep.bulk_out);
    }
  }
  libusb_free_config_descriptor(cfg);
  if (!st.ok()) return st;
  return ep;
}

std::string ReadString(libusb_device_handle* h, uint8_t index) {
  if (index == 0) return "";
  unsigned char buf[256];
  int n = libusb_get_string_descriptor_ascii(h, index, buf, sizeof(buf));
  if (n <= 0) return "";
  return std::string(reinterpret_cast<char*>(buf), static_cast<size_t>(n));
}

class UsbFrameLink : public FrameLink {
 public:
  explicit UsbFrameLink(UsbFraming framing) : framing_(std::move(framing)) {}

  ~UsbFrameLink() override {
    CloseHandle();
    if (hotplug_registered_) libusb_hotplug_deregister_callback(ctx_, hotplug_);
    if (events_.joinable()) {
      stop_ = true;
      libusb_interrupt_event_handler(ctx_);
      events_.join();
    }
    for (Stream* s : {&bulk_in_, &intr_in_})
      if (s->xfer != nullptr) libusb_free_transfer(s->xfer);
    if (out_xfer_ != nullptr) libusb_free_transfer(out_xfer_);
    if (ctx_ != nullptr) libusb_exit(ctx_);
  }

  Status Init(int index) {
    if (framing_.header_bytes == 0 || !framing_.frame_length)
      return InvalidArgument("usb link: no framing rule given");
    int r = libusb_init(&ctx_);
    if (r != 0) {
      ctx_ = nullptr;
      return UsbError(r, "usb: libusb_init");
    }
    bulk_in_.xfer = libusb_alloc_transfer(0);
    intr_in_.xfer = libusb_alloc_transfer(0);
    out_xfer_ = libusb_alloc_transfer(0);
    if (bulk_in_.xfer == nullptr || intr_in_.xfer == nullptr || out_xfer_ == nullptr)
      return Internal("usb: libusb_alloc_transfer failed");
    bulk_in_.buf.resize(kUsbBulkInBytes);
    intr_in_.buf.resize(kUsbInterruptInBytes);

    std::vector<libusb_device*> devs = SystoleDevices(ctx_);
    if (devs.empty()) {
      return Unavailable("usb: no Systole USB device attached (looked for %04x:%04x; see `systole devices`)",
                         kSystoleUsbVendorId, kSystoleUsbProductId);
    }
    if (index >= static_cast<int>(devs.size())) {
      size_t n = devs.size();
      UnrefAll(devs);
      return NotFound("usb:%d: only %zu Systole USB device%s attached (usb:0..usb:%zu)", index, n,
                      n == 1 ? "" : "s", n - 1);
    }
    libusb_device* dev = devs[index < 0 ? 0 : index];
    port_path_ = PortPath(dev);
    Status st = OpenHandle(dev);
    UnrefAll(devs);
    RETURN_IF_ERROR(st);

    if (libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG)) {
      r = libusb_hotplug_register_callback(ctx_, LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT, LIBUSB_HOTPLUG_NO_FLAGS,
                                           kSystoleUsbVendorId, kSystoleUsbProductId, LIBUSB_HOTPLUG_MATCH_ANY,
                                           &UsbFrameLink::HotplugCallback, this, &hotplug_);
      hotplug_registered_ = (r == 0);
    }
    events_ = std::thread([this] { EventLoop(); });
    return Status::Ok();
  }

  std::string Describe() const override {
    std::lock_guard<std::mutex> l(mu_);
    return describe_;
  }

  Status Send(const std::vector<uint8_t>& frame, Deadline deadline) override {
    std::lock_guard<std::mutex> sl(send_mu_);
    size_t off = 0;
    // The last chunk carries a zero-length packet when the frame is a
    // multiple of wMaxPacketSize, so a device that ends transfers on short
    // packets sees the end (chunks before it are multiples of 64 KiB, hence
    // of any packet size: no short packet inside a frame).
    do {
      const size_t n = std::min(kUsbOutChunkBytes, frame.size() - off);
      const bool last = off + n == frame.size();
      {
        std::unique_lock<std::mutex> l(mu_);
        if (!broken_.ok()) return broken_;
        if (handle_ == nullptr) return FailedPrecondition("usb link is closed");
        libusb_fill_bulk_transfer(out_xfer_, handle_, ep_.bulk_out, const_cast<uint8_t*>(frame.data() + off),
                                  static_cast<int>(n), &UsbFrameLink::OutCallback, this, 0);
        out_xfer_->flags = (last && frame.size() % ep_.out_packet == 0) ? LIBUSB_TRANSFER_ADD_ZERO_PACKET : 0;
        out_done_ = false;
        int r = libusb_submit_transfer(out_xfer_);
        if (r != 0) {
          Status st = UsbError(r, StrFormat("bulk OUT 0x%02x", ep_.bulk_out));
          if (r == LIBUSB_ERROR_NO_DEVICE || r == LIBUSB_ERROR_PIPE) Break(st);
          return st;
        }
        out_in_flight_ = true;
        bool done = cv_.wait_until(l, deadline, [&] { return out_done_ || !broken_.ok(); });
        if (!out_done_) {
          // Timeout or the link broke (unplug, Interrupt): take the transfer back.
          Status why = done ? broken_
                            : DeadlineExceeded("bulk OUT 0x%02x: device did not take %zu bytes within the deadline",
                                               ep_.bulk_out, frame.size());
          l.unlock();
          libusb_cancel_transfer(out_xfer_);
          l.lock();
          cv_.wait_for(l, std::chrono::milliseconds(kCancelWaitMs), [&] { return out_done_; });
          if (!out_done_) Break(Unavailable("bulk OUT 0x%02x: transfer could not be cancelled", ep_.bulk_out));
          // A partly sent frame leaves the device's stream out of step.
          if (why.code() == StatusCode::kDeadlineExceeded) Break(why);
          return why;
        }
        Status st = TransferError(out_status_, StrFormat("bulk OUT 0x%02x", ep_.bulk_out));
        if (!st.ok()) {
          Break(st);
          return st;
        }
        if (out_actual_ != static_cast<int>(n)) {
          st = DataLoss("bulk OUT 0x%02x: device took %d of %zu bytes", ep_.bulk_out,
                        out_actual_, n);
          Break(st);
          return st;
        }
      }
      off += n;
    } while (off < frame.size());
    return Status::Ok();
  }

  StatusOr<std::vector<uint8_t>> Receive(Deadline deadline) override {
    std::unique_lock<std::mutex> l(mu_);
    for (;;) {
      if (!frames_.empty()) {
        std::vector<uint8_t> f = std::move(frames_.front());
        frames_.pop_front();
        ResumeParked();
        return f;
      }
      if (!broken_.ok()) return broken_;
      if (handle_ == nullptr) return FailedPrecondition("usb link is closed");
      if (cv_.wait_until(l, deadline) == std::cv_status::timeout && frames_.empty() && broken_.ok()) {
        // Tell a silent device from a vanished one.
        libusb_device_handle* h = handle_;
        l.unlock();
        int r = libusb_kernel_driver_active(h, kSystoleUsbInterface);
        l.lock();
        if (r == LIBUSB_ERROR_NO_DEVICE) Break(UsbError(r, "USB"));
        if (!frames_.empty() || !broken_.ok()) continue;
        return DeadlineExceeded("no frame from the device within the deadline (bulk IN 0x%02x, interrupt IN 0x%02x)",
                                ep_.bulk_in, ep_.intr_in);
      }
    }
  }

  void Interrupt() override {
    {
      std::lock_guard<std::mutex> l(mu_);
      Break(Cancelled("usb link interrupted"));
    }
    // Transfers are allocated once per link; cancelling one that is not in
    // flight is a no-op (LIBUSB_ERROR_NOT_FOUND).
    libusb_cancel_transfer(out_xfer_);
    libusb_cancel_transfer(bulk_in_.xfer);
    libusb_cancel_transfer(intr_in_.xfer);
  }

  Status Reconnect(Deadline deadline) override {
    std::lock_guard<std::mutex> sl(send_mu_);
    CloseHandle();
    // Find the device again at the same place: bus and port path (its
    // address changes when it re-enumerates), VID:PID.
    // A device that is leaving may still be listed for a moment (open then
    // fails with NO_DEVICE): retry until it is back or the time is up.
    const Deadline give_up = std::min(deadline, Clock::now() + std::chrono::seconds(1));
    Status last = Unavailable("not attached at that port any more");
    for (;;) {
      std::vector<libusb_device*> devs = SystoleDevices(ctx_);
      libusb_device* found = nullptr;
      for (libusb_device* d : devs)
        if (PortPath(d) == port_path_) found = d;
      Status st = found ? OpenHandle(found) : last;
      UnrefAll(devs);
      if (found && (st.ok() || st.code() != StatusCode::kUnavailable)) return st;
      last = st;
      if (Clock::now() >= give_up)
        return Unavailable("usb %s (%04x:%04x): device gone (%s)", port_path_.c_str(), kSystoleUsbVendorId,
                           kSystoleUsbProductId, last.message().c_str());
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

 private:
  struct Stream {
    const char* kind = "";
    uint8_t ep = 0;
    libusb_transfer* xfer = nullptr;
    std::vector<uint8_t> buf;  // the transfer's buffer
    std::vector<uint8_t> acc;  // bytes of the frame being received
    bool in_flight = false;
    bool parked = false;  // not resubmitted: the frame queue was full
  };

  // mu_ held. The first error wins; the link stays broken until Reconnect().
  void Break(const Status& st) {
    if (broken_.ok()) broken_ = st;
    cv_.notify_all();
  }

  // Opens and claims dev, finds its endpoints, starts listening. mu_ not held.
  Status OpenHandle(libusb_device* dev) {
    libusb_device_descriptor dd;
    libusb_get_device_descriptor(dev, &dd);
    const std::string where = StrFormat("usb %03u/%03u (%s:%s) port %s", libusb_get_bus_number(dev),
                                        libusb_get_device_address(dev), Hex4(dd.idVendor).c_str(),
                                        Hex4(dd.idProduct).c_str(), PortPath(dev).c_str());
    ASSIGN_OR_RETURN(Endpoints ep, FindEndpoints(dev, where));
    libusb_device_handle* h = nullptr;
    int r = libusb_open(dev, &h);
    if (r != 0) return UsbError(r, where + ": open");
    r = libusb_kernel_driver_active(h, kSystoleUsbInterface);
    if (r == 1) r = libusb_detach_kernel_driver(h, kSystoleUsbInterface);
    if (r < 0 && r != LIBUSB_ERROR_NOT_SUPPORTED) {
      libusb_close(h);
      return UsbError(r, where + ": detaching the kernel driver of interface 0");
    }
    r = libusb_claim_interface(h, kSystoleUsbInterface);
    if (r != 0) {
      libusb_close(h);
      return UsbError(r, where + ": claiming interface 0");
    }
    // Fresh data toggles, no stall left over from a previous user.
    for (uint8_t e : {ep.bulk_out, ep.bulk_in, ep.intr_in}) {
      r = libusb_clear_halt(h, e);
      if (r != 0) {
        libusb_release_interface(h, kSystoleUsbInterface);
        libusb_close(h);
        return UsbError(r, StrFormat("%s: clearing endpoint 0x%02x", where.c_str(), e));
      }
    }
    std::lock_guard<std::mutex> l(mu_);
    handle_ = h;
    ep_ = ep;
    device_ = libusb_ref_device(dev);
    describe_ = where;
    broken_ = Status::Ok();
    frames_.clear();
    bulk_in_.kind = "bulk IN";
    bulk_in_.ep = ep.bulk_in;
    intr_in_.kind = "interrupt IN";
    intr_in_.ep = ep.intr_in;
    for (Stream* s : {&bulk_in_, &intr_in_}) {
      s->acc.clear();
      s->parked = false;
      Submit(*s);
    }
    return broken_;
  }

  // mu_ held.
  void Submit(Stream& s) {
    if (s.ep == ep_.intr_in)
      libusb_fill_interrupt_transfer(s.xfer, handle_, s.ep, s.buf.data(), static_cast<int>(s.buf.size()),
                                     &UsbFrameLink::InCallback, this, 0);
    else
      libusb_fill_bulk_transfer(s.xfer, handle_, s.ep, s.buf.data(), static_cast<int>(s.buf.size()),
                                &UsbFrameLink::InCallback, this, 0);
    int r = libusb_submit_transfer(s.xfer);
    if (r != 0) {
      Break(UsbError(r, StrFormat("%s 0x%02x", s.kind, s.ep)));
      return;
    }
    s.in_flight = true;
  }

  // mu_ held: resubmits IN transfers parked on a full queue.
  void ResumeParked() {
    for (Stream* s : {&bulk_in_, &intr_in_}) {
      if (s->parked && frames_.size() < kUsbMaxQueuedFrames && broken_.ok() && handle_ != nullptr) {
        s->parked = false;
        Submit(*s);
      }
    }
  }

  // Cancels what is in flight, waits for the callbacks, releases and closes.
  // Idempotent. mu_ not held.
  void CloseHandle() {
    std::unique_lock<std::mutex> l(mu_);
    if (handle_ == nullptr) return;
    closing_ = true;
    l.unlock();
    libusb_cancel_transfer(out_xfer_);
    libusb_cancel_transfer(bulk_in_.xfer);
    libusb_cancel_transfer(intr_in_.xfer);
    l.lock();
    cv_.wait_for(l, std::chrono::milliseconds(kCancelWaitMs),
                 [&] { return !bulk_in_.in_flight && !intr_in_.in_flight && !out_in_flight_; });
    const bool stuck = bulk_in_.in_flight || intr_in_.in_flight || out_in_flight_;
    libusb_device_handle* h = handle_;
    handle_ = nullptr;
    l.unlock();
    libusb_release_interface(h, kSystoleUsbInterface);
    // libusb_close takes transfers still in flight out of its lists; fresh
    // ones replace them so nothing libusb might still touch is reused.
    libusb_close(h);
    l.lock();
    if (stuck) {
      for (Stream* s : {&bulk_in_, &intr_in_}) {
        if (s->in_flight) {
          libusb_free_transfer(s->xfer);
          s->xfer = libusb_alloc_transfer(0);
          s->in_flight = false;
        }
      }
      if (out_in_flight_) {
        libusb_free_transfer(out_xfer_);
        out_xfer_ = libusb_alloc_transfer(0);
        out_in_flight_ = false;
        out_done_ = true;
      }
    }
    if (device_ != nullptr) libusb_unref_device(device_);
    device_ = nullptr;
    closing_ = false;
    if (broken_.ok()) broken_ = FailedPrecondition("usb link is closed");
    cv_.notify_all();
  }

  void EventLoop() {
    while (!stop_) {
      timeval tv{0, 100 * 1000};
      libusb_handle_events_timeout_completed(ctx_, &tv, nullptr);
    }
  }

  static void LIBUSB_CALL OutCallback(libusb_transfer* t) {
    auto* self = static_cast<UsbFrameLink*>(t->user_data);
    std::lock_guard<std::mutex> l(self->mu_);
    self->out_status_ = t->status;
    self->out_actual_ = t->actual_length;
    self->out_done_ = true;
    self->out_in_flight_ = false;
    if (t->status == LIBUSB_TRANSFER_NO_DEVICE) self->Break(UsbError(LIBUSB_ERROR_NO_DEVICE, "USB"));
    self->cv_.notify_all();
  }

  static void LIBUSB_CALL InCallback(libusb_transfer* t) {
    auto* self = static_cast<UsbFrameLink*>(t->user_data);
    std::lock_guard<std::mutex> l(self->mu_);
    Stream& s = (t == self->bulk_in_.xfer) ? self->bulk_in_ : self->intr_in_;
    s.in_flight = false;
    self->OnIn(s, t);
    self->cv_.notify_all();
  }

  // mu_ held; on the event thread.
  void OnIn(Stream& s, libusb_transfer* t) {
    const std::string what = StrFormat("%s 0x%02x", s.kind, s.ep);
    if (t->status == LIBUSB_TRANSFER_CANCELLED) return;  // closing or interrupted
    if (t->status != LIBUSB_TRANSFER_COMPLETED) {
      Break(TransferError(t->status, what));
      return;
    }
    const size_t got = static_cast<size_t>(std::clamp(t->actual_length, 0, t->length));
    s.acc.insert(s.acc.end(), s.buf.begin(), s.buf.begin() + got);
    // Cut whole frames off the front.
    size_t pos = 0;
    while (s.acc.size() - pos >= framing_.header_bytes) {
      StatusOr<size_t> len = framing_.frame_length(s.acc.data() + pos, framing_.header_bytes);
      if (!len.ok()) {
        s.acc.clear();
        Break(Annotate(len.status(), what));
        return;
      }
      if (*len < framing_.header_bytes) {
        s.acc.clear();
        Break(DataLoss("%s: frame length %zu shorter than its header", what.c_str(), *len));
        return;
      }
      if (s.acc.size() - pos < *len) break;
      frames_.emplace_back(s.acc.begin() + pos, s.acc.begin() + pos + *len);
      pos += *len;
    }
    s.acc.erase(s.acc.begin(), s.acc.begin() + pos);
    // A short packet ends the device's transfer: it must end on a frame
    // boundary.
    if (got < s.buf.size() && !s.acc.empty()) {
      size_t have = s.acc.size();
      size_t want = 0;
      if (have >= framing_.header_bytes) {
        StatusOr<size_t> len = framing_.frame_length(s.acc.data(), framing_.header_bytes);
        if (len.ok()) want = *len;
      }
      s.acc.clear();
      Break(want > 0 ? DataLoss("%s: short transfer: frame of %zu bytes truncated after %zu", what.c_str(), want, have)
                     : DataLoss("%s: short transfer: frame truncated after %zu bytes, less than a header (%zu)", what.c_str(), have,
                                framing_.header_bytes));
      return;
    }
    if (closing_ || !broken_.ok() || handle_ == nullptr) return;
    if (frames_.size() >= kUsbMaxQueuedFrames) {
      s.parked = true;
      return;
    }
    Submit(s);
  }

  static int LIBUSB_CALL HotplugCallback(libusb_context*, libusb_device* dev, libusb_hotplug_event event,
                                         void* user) {
    auto* self = static_cast<UsbFrameLink*>(user);
    std::lock_guard<std::mutex> l(self->mu_);
    if (event == LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT && dev == self->device_)
      self->Break(UsbError(LIBUSB_ERROR_NO_DEVICE, "USB"));
    return 0;  // stay registered
  }

  const UsbFraming framing_;
  libusb_context* ctx_ = nullptr;
  std::thread events_;
  std::atomic<bool> stop_{false};
  libusb_hotplug_callback_handle hotplug_{};
  bool hotplug_registered_ = false;
  std::string port_path_;

  std::mutex send_mu_;  // one Send (or Reconnect) at a time
  mutable std::mutex mu_;
  std::condition_variable cv_;
  libusb_device_handle* handle_ = nullptr;
  libusb_device* device_ = nullptr;
  Endpoints ep_;
  std::string describe_ = "usb (not open)";
  Status broken_;
  bool closing_ = false;
  std::deque<std::vector<uint8_t>> frames_;
  Stream bulk_in_, intr_in_;
  libusb_transfer* out_xfer_ = nullptr;
  bool out_in_flight_ = false, out_done_ = true;
  libusb_transfer_status out_status_ = LIBUSB_TRANSFER_COMPLETED;
  int out_actual_ = 0;
};

}  // namespace

StatusOr<std::unique_ptr<FrameLink>> OpenUsbFrameLink(int index, const UsbFraming& framing,
                                                      const TransportOptions& options) {
  auto link = std::make_unique<UsbFrameLink>(framing);
  RETURN_IF_ERROR(link->Init(index));
  return std::unique_ptr<FrameLink>(std::move(link));
}

std::vector<UsbDeviceInfo> ListUsbDevices(bool read_strings) {
  std::vector<UsbDeviceInfo> out;
  libusb_context* ctx = nullptr;
  if (libusb_init(&ctx) != 0) return out;
  std::vector<libusb_device*> devs = SystoleDevices(ctx);
  for (size_t i = 0; i < devs.size(); ++i) {
    UsbDeviceInfo info;
    info.index = static_cast<int>(i);
    info.bus = libusb_get_bus_number(devs[i]);
    info.address = libusb_get_device_address(devs[i]);
    info.port_path = PortPath(devs[i]);
    libusb_device_descriptor dd;
    libusb_get_device_descriptor(devs[i], &dd);
    libusb_device_handle* h = nullptr;
    int r = read_strings ? libusb_open(devs[i], &h) : LIBUSB_ERROR_NOT_SUPPORTED;
    if (!read_strings) {
    } else if (r == 0) {
      info.manufacturer = ReadString(h, dd.iManufacturer);
      info.product = ReadString(h, dd.iProduct);
      info.serial = ReadString(h, dd.iSerialNumber);
      libusb_close(h);
    } else {
      info.error = UsbError(r, "open").message();
    }
    out.push_back(info);
  }
  UnrefAll(devs);
  libusb_exit(ctx);
  return out;
}

}  // namespace systole::driver
