// TEST ONLY: the "usb_emulated" parameter of the transport suite and
// benchmark (transport_test_util.h): the real libusb against fake USB
// devices (usb_test_device.h) whose sessions run on one DeviceHost with the
// in-process SystemC device. Linked only into binaries that run under
// umockdev-wrapper (transport_test_usb, transport_bench_usb).
//
// Two fake devices share the one DeviceHost: the suite opens a second
// connection to the same device (session isolation, FAULT commands) while
// the first is open, and a USB interface has one owner at a time (a second
// claim is EBUSY), so the second connection goes to the second device, as a
// second USB function of the same accelerator would. Their addresses are the
// lowest free ones (the benchmark keeps several environments alive), and
// device() is "usb:N" for the first of them, N found by its port path.
#include <memory>
#include <vector>

#include "driver/device_session.h"
#include "driver/transport_test_util.h"
#include "driver/usb_link.h"
#include "driver/usb_test_device.h"

namespace systole::driver::testing {
namespace {

constexpr int kDevices = 2;

class UsbEnv : public TransportEnv {
 public:
  ~UsbEnv() override {
    if (host_) host_->Shutdown();  // sessions held in a DELAY fault end now
    devices_.clear();              // their sessions end on the host
  }

  Status Init(const std::string& config) {
    ASSIGN_OR_RETURN(sim::DeviceConfig hw, sim::DeviceConfig::FromName(config));
    ASSIGN_OR_RETURN(std::unique_ptr<Transport> sim, OpenSimTransport(hw, false));
    DeviceHostOptions ho;
    ho.allow_faults = true;
    ho.firmware_version = "systole-usb-fake (umockdev)";
    host_ = std::make_unique<DeviceHost>(std::move(sim), ho);
    for (int i = 0; i < kDevices; ++i) {
      FakeUsbDeviceOptions o = SystoleFakeUsbOptions(host_.get());
      o.address = 0;  // the lowest free one
      ASSIGN_OR_RETURN(std::unique_ptr<FakeUsbDevice> d, FakeUsbDevice::Create(std::move(o)));
      devices_.push_back(std::move(d));
    }
    return Status::Ok();
  }

  std::string device() const override { return StrFormat("usb:%d", IndexOf(*devices_[0])); }

  // The first of this environment's devices whose interface is free.
  StatusOr<std::unique_ptr<Transport>> OpenTransport(const TransportOptions& o) override {
    Status last = Unavailable("no fake USB device of this environment is listed");
    for (const auto& d : devices_) {
      const int index = IndexOf(*d);
      if (index < 0) continue;
      StatusOr<std::unique_ptr<Transport>> t = OpenUsbTransport(index, o);
      if (t.ok() || t.status().message().find("LIBUSB_ERROR_BUSY") == std::string::npos) return t;
      last = t.status();
    }
    return last;
  }

  // The device's index among the attached Systole devices (usb:N), -1
  // when it is not listed.
  static int IndexOf(const FakeUsbDevice& d) {
    for (const UsbDeviceInfo& info : ListUsbDevices(/*read_strings=*/false))
      if (info.port_path == d.port_path()) return info.index;
    return -1;
  }

  bool counts_frames() const override { return true; }
  bool supports_faults() const override { return true; }

  // Both devices leave the bus at once (the USB way of a device dying); a
  // session held in a DELAY fault is woken so that it ends.
  Status KillDevice() override {
    for (auto& d : devices_) d->Unplug();
    host_->Shutdown();
    return Status::Ok();
  }

 private:
  std::unique_ptr<DeviceHost> host_;
  std::vector<std::unique_ptr<FakeUsbDevice>> devices_;
};

const RegisterTransport kUsb({"usb_emulated", [](const std::string& config) -> StatusOr<std::unique_ptr<TransportEnv>> {
                               auto env = std::make_unique<UsbEnv>();
                               RETURN_IF_ERROR(env->Init(config));
                               return std::unique_ptr<TransportEnv>(std::move(env));
                             }});

}  // namespace
}  // namespace systole::driver::testing
