// systole devices: lists the Systole devices this process can open
// (driver::EnumerateDevices), each with the device string that opens it.
#include <cstdio>
#include <string>
#include <vector>

#include "driver/driver.h"
#include "tools/cli.h"

namespace systole {
namespace cli {
namespace {

constexpr char kDevicesUsage[] =
    "usage: systole devices [--remote ADDR]... [--no-identify] [--timeout-ms N]\n"
    "\n"
    "Lists the Systole devices attached to this machine: the in-process simulator\n"
    "(sim, and sim:rtl when this build has the RTL core), every Systole USB device\n"
    "and PCIe function found, and the device servers given with --remote. For each:\n"
    "the device string that opens it (systole run --device, the delegate's device\n"
    "option), its transport, location, protocol and firmware version, and its\n"
    "hardware configuration (each device is opened briefly to ask).\n"
    "\n"
    "  --remote ADDR     also query the systole serve at ADDR: unix:PATH or\n"
    "                    tcp:HOST:PORT (repeatable)\n"
    "  --no-identify     do not open devices; list what enumeration alone finds\n"
    "  --timeout-ms N    per device while identifying (default 2000)\n"
    "\n"
    "Exit status: 0, also when only the simulator is found; 1 when a --remote\n"
    "server could not be queried.\n";

}  // namespace

int Devices(int argc, char** argv) {
  driver::EnumerateOptions opts;
  OptionParser p("devices", kDevicesUsage, "");
  p.Value({"--remote"}, [&](const std::string& v) {
    const std::string spec = v.rfind("remote:", 0) == 0 ? v : "remote:" + v;
    StatusOr<driver::DeviceSpec> s = driver::ParseDeviceSpec(spec);
    if (!s.ok() || s->kind != driver::DeviceSpec::Kind::kRemote) {
      return p.Error("--remote '%s' is not unix:PATH or tcp:HOST:PORT", v.c_str());
    }
    opts.remote_addresses.push_back(s->address);
    return true;
  }, " (unix:PATH or tcp:HOST:PORT)");
  p.Flag({"--no-identify"}, [&] { opts.identify = false; });
  p.Value({"--timeout-ms"}, [&](const std::string& v) {
    uint64_t ms = 0;
    if (!ParseUint(v, 600000, &ms) || ms == 0) {
      return p.Error("--timeout-ms '%s' is not an integer in [1, 600000]", v.c_str());
    }
    opts.timeout_ms = static_cast<int>(ms);
    return true;
  });
  if (const int rc = p.Parse(argc, argv); rc >= 0) return rc;

  const std::vector<driver::DeviceInfo> found = driver::EnumerateDevices(opts);
  int rc = 0;
  for (const driver::DeviceInfo& d : found) {
    std::printf("%s\n", d.spec.c_str());
    std::printf("  transport:     %s\n", d.transport.c_str());
    if (!d.description.empty()) std::printf("  description:   %s\n", d.description.c_str());
    if (!d.location.empty()) std::printf("  location:      %s\n", d.location.c_str());
    if (d.transport != "sim" && d.error.empty()) std::printf("  protocol:      %u\n", d.protocol_version);
    if (!d.firmware_version.empty()) std::printf("  firmware:      %s\n", d.firmware_version.c_str());
    if (d.has_config) {
      std::printf("  configuration: %s%s\n", d.config.ToString().c_str(),
                  d.transport == "sim" ? " (default; any with --config)" : "");
    } else if (d.error.empty()) {
      std::printf("  configuration: %s\n", opts.identify ? "chosen at open (--config)" : "not identified");
    }
    if (!d.error.empty()) {
      std::printf("  error:         %s\n", d.error.c_str());
      if (d.transport == "remote") rc = 1;
    }
  }
  const size_t hardware = found.size() - opts.remote_addresses.size();
  size_t sims = 0;
  for (const driver::DeviceInfo& d : found) sims += d.transport == "sim";
  if (hardware == sims) std::printf("(no Systole USB or PCIe device found)\n");
  return rc;
}

}  // namespace cli
}  // namespace systole
