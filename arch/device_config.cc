#include "arch/device_config.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace systole::sim {

StatusOr<DeviceConfig> DeviceConfig::FromName(const std::string& name) {
  DeviceConfig c;
  if (name == "edge" || name.empty()) return c;
  if (name == "tiny") {
    c.rows = c.cols = 16;
    c.abuf_bytes = 2u << 20;
    c.pbuf_bytes = 4u << 20;
    c.acc_rows = 4096;
    return c;
  }
  std::ifstream in(name);
  if (!in)
    return NotFound("hardware config '%s': not a preset (edge, tiny) and no such file", name.c_str());
  nlohmann::json j;
  try {
    in >> j;
  } catch (const std::exception& e) {
    return InvalidArgument("hardware config %s: not valid JSON: %s", name.c_str(), e.what());
  }
  if (!j.is_object()) return InvalidArgument("hardware config %s: top level must be an object", name.c_str());
  try {
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& k = it.key();
      const nlohmann::json& v = it.value();
      auto need_int = [&](int64_t lo, int64_t hi) -> StatusOr<int64_t> {
        if (!v.is_number_integer())
          return InvalidArgument("hardware config %s: '%s' must be an integer", name.c_str(), k.c_str());
        const int64_t x = v.get<int64_t>();
        if (x < lo || x > hi)
          return OutOfRange("hardware config %s: '%s' = %lld outside [%lld, %lld]", name.c_str(), k.c_str(),
                            static_cast<long long>(x), static_cast<long long>(lo),
                            static_cast<long long>(hi));
        return x;
      };
      auto need_num = [&]() -> StatusOr<double> {
        if (!v.is_number())
          return InvalidArgument("hardware config %s: '%s' must be a number", name.c_str(), k.c_str());
        return v.get<double>();
      };
      if (k == "rows") {
        ASSIGN_OR_RETURN(int64_t x, need_int(2, isa::kMaxDim));
        c.rows = static_cast<int>(x);
      } else if (k == "cols") {
        ASSIGN_OR_RETURN(int64_t x, need_int(2, isa::kMaxDim));
        c.cols = static_cast<int>(x);
      } else if (k == "abuf_bytes") {
        ASSIGN_OR_RETURN(int64_t x, need_int(1, int64_t{1} << 30));
        c.abuf_bytes = static_cast<uint32_t>(x);
      } else if (k == "pbuf_bytes") {
        ASSIGN_OR_RETURN(int64_t x, need_int(1, int64_t{1} << 30));
        c.pbuf_bytes = static_cast<uint32_t>(x);
      } else if (k == "acc_rows") {
        ASSIGN_OR_RETURN(int64_t x, need_int(1, int64_t{1} << 20));
        c.acc_rows = static_cast<uint32_t>(x);
      } else if (k == "queue_depth") {
        ASSIGN_OR_RETURN(int64_t x, need_int(1, 4096));
        c.queue_depth = static_cast<int>(x);
      } else if (k == "token_depth") {
        ASSIGN_OR_RETURN(int64_t x, need_int(1, 4096));
        c.token_depth = static_cast<int>(x);
      } else if (k == "clock_hz") {
        ASSIGN_OR_RETURN(c.clock_hz, need_num());
      } else if (k == "link") {
        const std::string l = v.is_string() ? v.get<std::string>() : "";
        if (l == "usb3") c.link = LinkConfig::Usb3();
        else if (l == "pcie-gen2-x1") c.link = LinkConfig::PcieGen2x1();
        else if (l == "ideal") c.link = LinkConfig::Ideal();
        else
          return InvalidArgument("hardware config %s: 'link' must be \"usb3\", \"pcie-gen2-x1\" or \"ideal\"",
                                 name.c_str());
      } else if (k == "link_bytes_per_second") {
        ASSIGN_OR_RETURN(c.link.bytes_per_second, need_num());
      } else if (k == "link_latency_seconds") {
        ASSIGN_OR_RETURN(c.link.latency_seconds, need_num());
      } else {
        return InvalidArgument("hardware config %s: unknown key '%s'", name.c_str(), k.c_str());
      }
    }
  } catch (const std::exception& e) {
    return InvalidArgument("hardware config %s: %s", name.c_str(), e.what());
  }
  Status s = c.Validate();
  if (!s.ok()) return Annotate(s, "hardware config " + name);
  return c;
}

std::string DeviceConfig::ToString() const {
  auto mem = [](uint64_t b) {
    if (b % (1u << 20) == 0) return StrFormat("%llu MiB", static_cast<unsigned long long>(b >> 20));
    if (b % (1u << 10) == 0) return StrFormat("%llu KiB", static_cast<unsigned long long>(b >> 10));
    return StrFormat("%llu B", static_cast<unsigned long long>(b));
  };
  return StrFormat("%dx%d @ %.0f MHz, ABUF %s, PBUF %s, ACC %u rows, %s", rows, cols, clock_hz / 1e6,
                   mem(abuf_bytes).c_str(), mem(pbuf_bytes).c_str(), acc_rows, link.name.c_str());
}

}  // namespace systole::sim
