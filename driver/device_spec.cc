// Device strings (driver.h, "Device strings"): parsing and the canonical form.
#include <cctype>
#include <cstdlib>

#include "driver/driver.h"

namespace systole::driver {
namespace {

constexpr char kForms[] =
    "sim, sim:rtl, remote:unix:PATH, remote:tcp:HOST:PORT, usb, usb:N, pci, pci:N, pci:DDDD:BB:DD.F, "
    "pci:unix:PATH";

// Longest device string accepted (a Unix socket path is at most 107 bytes;
// this only keeps messages and keys bounded).
constexpr size_t kMaxSpecBytes = 4096;

// `s` for a message: printable ASCII as is, anything else as \xNN, cut long.
std::string Shown(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (out.size() >= 120) return out + "...";
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += StrFormat("\\x%02x", c);
    }
  }
  return out;
}

Status Bad(const std::string& spec, const std::string& why) {
  return InvalidArgument("device '%s': %s; valid devices: %s", Shown(spec).c_str(), why.c_str(), kForms);
}

// A decimal number in [0, max] without sign, spaces or leading zeros ("0" itself is fine).
bool ParseDecimal(const std::string& s, long max, long* out) {
  if (s.empty() || s.size() > 9 || (s.size() > 1 && s[0] == '0')) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  const long v = std::strtol(s.c_str(), nullptr, 10);
  if (v > max) return false;
  *out = v;
  return true;
}

bool IsHex(const std::string& s, size_t n) {
  if (s.size() != n) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// "DDDD:BB:DD.F": domain, bus, device (<= 0x1f), function (0-7).
bool IsPciAddress(const std::string& s) {
  if (s.size() != 12 || s[4] != ':' || s[7] != ':' || s[10] != '.') return false;
  if (!IsHex(s.substr(0, 4), 4) || !IsHex(s.substr(5, 2), 2) || !IsHex(s.substr(8, 2), 2)) return false;
  if (std::strtol(s.substr(8, 2).c_str(), nullptr, 16) > 0x1f) return false;
  return s[11] >= '0' && s[11] <= '7';
}

bool HasControlBytes(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

// "unix:PATH" or "tcp:HOST:PORT" (remote:...) / "unix:PATH" (pci:...).
Status CheckUnixPath(const std::string& spec, const std::string& path) {
  if (path.empty()) return Bad(spec, "empty socket path after 'unix:'");
  if (HasControlBytes(path)) return Bad(spec, "the socket path contains control bytes");
  return Status::Ok();
}

}  // namespace

const char* DeviceSpecForms() { return kForms; }

std::string DeviceSpec::ToString() const {
  switch (kind) {
    case Kind::kSim: return "sim";
    case Kind::kSimRtl: return "sim:rtl";
    case Kind::kRemote: return "remote:" + address;
    case Kind::kUsb: return index < 0 ? "usb" : "usb:" + std::to_string(index);
    case Kind::kPci: return address.empty() ? "pci" : "pci:" + address;
  }
  return "?";
}

StatusOr<DeviceSpec> ParseDeviceSpec(const std::string& spec) {
  if (spec.empty()) return Bad(spec, "empty device string");
  if (spec.size() > kMaxSpecBytes) return Bad(spec, StrFormat("longer than %zu bytes", kMaxSpecBytes));
  DeviceSpec d;
  const size_t colon = spec.find(':');
  const std::string head = spec.substr(0, colon);
  const bool has_rest = colon != std::string::npos;
  const std::string rest = has_rest ? spec.substr(colon + 1) : "";
  if (head == "sim") {
    if (!has_rest) return d;
    if (rest == "rtl") {
      d.kind = DeviceSpec::Kind::kSimRtl;
      return d;
    }
    return Bad(spec, "'sim' takes no argument but 'rtl'");
  }
  if (head == "remote") {
    d.kind = DeviceSpec::Kind::kRemote;
    if (rest.rfind("unix:", 0) == 0) {
      RETURN_IF_ERROR(CheckUnixPath(spec, rest.substr(5)));
      d.address = rest;
      return d;
    }
    if (rest.rfind("tcp:", 0) == 0) {
      const std::string hp = rest.substr(4);
      const size_t c = hp.rfind(':');
      if (c == std::string::npos) return Bad(spec, "expected tcp:HOST:PORT");
      const std::string host = hp.substr(0, c);
      long port = 0;
      if (host.empty()) return Bad(spec, "empty host in tcp:HOST:PORT");
      if (HasControlBytes(host) || host.find_first_of(" /") != std::string::npos)
        return Bad(spec, "the host contains spaces, '/' or control bytes");
      if (!ParseDecimal(hp.substr(c + 1), 65535, &port) || port == 0)
        return Bad(spec, StrFormat("port '%s' is not a number in 1..65535", Shown(hp.substr(c + 1)).c_str()));
      d.address = rest;
      return d;
    }
    return Bad(spec, "'remote' needs unix:PATH or tcp:HOST:PORT");
  }
  if (head == "usb") {
    d.kind = DeviceSpec::Kind::kUsb;
    if (!has_rest) return d;
    long n = 0;
    if (!ParseDecimal(rest, 255, &n)) return Bad(spec, StrFormat("USB index '%s' is not a number in 0..255", Shown(rest).c_str()));
    d.index = static_cast<int>(n);
    return d;
  }
  if (head == "pci") {
    d.kind = DeviceSpec::Kind::kPci;
    if (!has_rest) return d;
    if (rest.rfind("unix:", 0) == 0) {
      RETURN_IF_ERROR(CheckUnixPath(spec, rest.substr(5)));
      d.address = rest;
      return d;
    }
    long n = 0;
    if (ParseDecimal(rest, 255, &n)) {
      d.address = rest;
      return d;
    }
    if (IsPciAddress(rest)) {
      d.address = rest;
      for (char& c : d.address) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return d;
    }
    return Bad(spec, StrFormat("'%s' is neither an index in 0..255, a PCI address DDDD:BB:DD.F (hex; device "
                               "<= 1f, function 0-7) nor unix:PATH",
                               Shown(rest).c_str()));
  }
  return Bad(spec, StrFormat("unknown device kind '%s'", Shown(head).c_str()));
}

}  // namespace systole::driver
