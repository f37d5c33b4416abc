// The profile's reports: text table, JSON (docs/profile.md), CSV, a
// self-contained HTML page and a Chrome-trace timeline.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "arch/cycle_model.h"
#include "common/status.h"
#include "tools/profile.h"

namespace systole::profile {
namespace {

using Json = nlohmann::ordered_json;

const char* KindName(Layer::Kind k) {
  switch (k) {
    case Layer::Kind::kOp: return "op";
    case Layer::Kind::kInput: return "input";
    case Layer::Kind::kOutput: return "output";
    case Layer::Kind::kCpu: return "cpu";
  }
  return "?";
}

// 1234567 -> "1,234,567".
std::string Grouped(uint64_t v) {
  std::string s = std::to_string(v), out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && (s.size() - i) % 3 == 0) out += ',';
    out += s[i];
  }
  return out;
}

std::string Bytes(uint64_t b) {
  if (b < 10 * 1024) return StrFormat("%llu B", static_cast<unsigned long long>(b));
  if (b < 1024ull * 1024) return StrFormat("%.1f KiB", static_cast<double>(b) / 1024);
  return StrFormat("%.1f MiB", static_cast<double>(b) / (1024.0 * 1024));
}

std::string ConfigLine(const Profile& p) {
  const sim::DeviceConfig& c = p.config;
  return StrFormat("%s: %dx%d array, %.0f MHz, ABUF %s, PBUF %s, link %s (%.0f MB/s, %.1f us per transfer)",
                   p.config_name.c_str(), c.rows, c.cols, c.clock_hz / 1e6, Bytes(c.abuf_bytes).c_str(),
                   Bytes(c.pbuf_bytes).c_str(), c.link.name.c_str(), c.link.bytes_per_second / 1e6,
                   c.link.latency_seconds * 1e6);
}

double PeakOpsPerSecond(const sim::DeviceConfig& c) { return 2.0 * c.rows * c.cols * c.clock_hz; }

Json StallsJson(const Stalls& s) {
  Json j;
  j["link"] = s.link;
  j["dependencies"] = s.dependencies;
  j["vector_unit"] = s.vector_unit;
  j["weight_load"] = s.weight_load;
  j["pipeline"] = s.pipeline;
  return j;
}

Json ProfileJson(const Profile& p) {
  Json j;
  j["schema"] = "systole-profile/1";
  j["model"] = p.model;
  const sim::DeviceConfig& c = p.config;
  Json cfg;
  cfg["name"] = p.config_name;
  cfg["rows"] = c.rows;
  cfg["cols"] = c.cols;
  cfg["clock_hz"] = c.clock_hz;
  cfg["abuf_bytes"] = c.abuf_bytes;
  cfg["pbuf_bytes"] = c.pbuf_bytes;
  cfg["acc_rows"] = c.acc_rows;
  cfg["link"] = c.link.name;
  cfg["link_bytes_per_s"] = c.link.bytes_per_second;
  cfg["link_latency_s"] = c.link.latency_seconds;
  cfg["peak_tops"] = PeakOpsPerSecond(c) / 1e12;
  j["config"] = cfg;
  j["backend"] = BackendName(p.backend);
  j["tflite_flavor"] = p.flavor;
  j["partial"] = p.partial;
  j["partitions"] = p.partitions;
  j["accelerator_ops"] = p.accelerator_ops;
  j["cpu_ops"] = p.cpu_ops;
  const Total& t = p.total;
  Json tj;
  tj["cycles"] = t.cycles;
  tj["latency_ms"] = t.latency_ms;
  tj["macs"] = t.macs;
  tj["utilization"] = t.utilization;
  tj["link_bytes"] = t.link_bytes;
  tj["onchip_bytes"] = t.onchip_bytes;
  tj["inferences_per_s"] = t.inferences_per_s;
  tj["effective_tops"] = t.effective_tops;
  tj["array_cycles"] = t.array_cycles;
  tj["stalls"] = StallsJson(t.stalls);
  tj["parameter_load_cycles"] = t.parameter_load_cycles;
  tj["instructions"] = t.instructions;
  if (t.has_reference) {
    tj["reference_cycles"] = t.reference_cycles;
    tj["error_pct"] = t.error_pct;
  }
  j["total"] = tj;
  Json layers = Json::array();
  for (const Layer& l : p.layers) {
    Json lj;
    lj["op_index"] = l.op_index;
    lj["op"] = l.op;
    lj["kind"] = KindName(l.kind);
    lj["partition"] = l.partition;
    if (l.kind == Layer::Kind::kCpu) {
      lj["reason"] = l.reason;
      lj["cycles"] = nullptr;
      lj["macs"] = nullptr;
      lj["utilization"] = nullptr;
      lj["stalls"] = nullptr;
    } else {
      lj["start_cycle"] = l.start_cycle;
      lj["cycles"] = l.cycles;
      lj["latency_ms"] = static_cast<double>(l.cycles) / c.clock_hz * 1e3;
      lj["macs"] = l.macs;
      lj["utilization"] = l.utilization;
      lj["array_cycles"] = l.array_cycles;
      lj["busy_cycles"] = l.busy_cycles;
      lj["link_bytes"] = l.link_bytes;
      lj["onchip_bytes"] = l.onchip_bytes;
      lj["instructions"] = l.instructions;
      lj["stalls"] = StallsJson(l.stalls);
      if (l.has_reference) {
        lj["reference_cycles"] = l.reference_cycles;
        lj["error_pct"] = l.error_pct;
      }
    }
    layers.push_back(lj);
  }
  j["layers"] = layers;
  return j;
}

}  // namespace

std::string ToJson(const Profile& p) { return ProfileJson(p).dump(1) + "\n"; }

std::string FormatText(const Profile& p) {
  std::string o;
  const Total& t = p.total;
  const sim::DeviceConfig& c = p.config;
  o += StrFormat("model: %s%s\n", p.model.c_str(), p.partial ? "  [PARTIAL: interrupted]" : "");
  o += StrFormat("configuration: %s\n", ConfigLine(p).c_str());
  o += StrFormat("backend: %s%s; tflite flavor %s\n", BackendName(p.backend),
                 p.backend == Backend::kAnalytic ? " (list schedule of the instruction stream, no cycle loop)"
                 : p.backend == Backend::kSystemC ? " (SystemC device, behavioural core)"
                                                   : " (SystemC device, Verilated RTL core)",
                 p.flavor.c_str());
  o += StrFormat("ops: %d on the accelerator (%d partition%s), %d on the CPU\n", p.accelerator_ops, p.partitions,
                 p.partitions == 1 ? "" : "s", p.cpu_ops);
  o += "\n";
  const bool ref = t.has_reference;
  o += StrFormat("%4s %-18s %4s %11s %6s %6s %12s %10s %10s | %8s %8s %8s %8s %8s %8s%s\n", "op", "operator", "part",
                 "cycles", "%", "util", "MACs", "link", "on-chip", "array", "link", "deps", "vector", "wload",
                 "pipe", ref ? "    SystemC   err%" : "");
  for (const Layer& l : p.layers) {
    const std::string idx = l.op_index >= 0 ? std::to_string(l.op_index) : "-";
    if (l.kind == Layer::Kind::kCpu) {
      o += StrFormat("%4s %-18s %4s  on the CPU: %s\n", idx.c_str(), l.op.c_str(), "cpu", l.reason.c_str());
      continue;
    }
    const double pct = t.cycles ? 100.0 * static_cast<double>(l.cycles) / static_cast<double>(t.cycles) : 0;
    o += StrFormat("%4s %-18s %4d %11s %5.1f%% %5.1f%% %12s %10s %10s | %8llu %8llu %8llu %8llu %8llu %8llu", idx.c_str(),
                   l.op.c_str(), l.partition, Grouped(l.cycles).c_str(), pct, 100.0 * l.utilization,
                   Grouped(l.macs).c_str(), Bytes(l.link_bytes).c_str(), Bytes(l.onchip_bytes).c_str(),
                   static_cast<unsigned long long>(l.array_cycles), static_cast<unsigned long long>(l.stalls.link),
                   static_cast<unsigned long long>(l.stalls.dependencies),
                   static_cast<unsigned long long>(l.stalls.vector_unit),
                   static_cast<unsigned long long>(l.stalls.weight_load),
                   static_cast<unsigned long long>(l.stalls.pipeline));
    if (l.has_reference)
      o += StrFormat(" %11s %+6.2f", Grouped(l.reference_cycles).c_str(), l.error_pct);
    o += "\n";
  }
  o += "\n";
  o += StrFormat("total: %s cycles = %.3f ms at %.0f MHz (host link included); %.1f inferences/s\n",
                 Grouped(t.cycles).c_str(), t.latency_ms, c.clock_hz / 1e6, t.inferences_per_s);
  o += StrFormat("MACs: %s; array utilization %.1f %%; effective %.3f TOPS of %.3f peak\n", Grouped(t.macs).c_str(),
                 100.0 * t.utilization, t.effective_tops, PeakOpsPerSecond(c) / 1e12);
  o += StrFormat("bytes: %s over the link, %s on chip; %s instructions\n", Grouped(t.link_bytes).c_str(),
                 Grouped(t.onchip_bytes).c_str(), Grouped(t.instructions).c_str());
  auto share = [&](uint64_t v) { return t.cycles ? 100.0 * static_cast<double>(v) / static_cast<double>(t.cycles) : 0; };
  o += StrFormat("cycles: array %.1f %%; stalls: link %.1f %%, dependencies %.1f %%, vector unit %.1f %%, "
                 "weight load %.1f %%, pipeline fill/drain %.1f %%\n",
                 share(t.array_cycles), share(t.stalls.link), share(t.stalls.dependencies), share(t.stalls.vector_unit),
                 share(t.stalls.weight_load), share(t.stalls.pipeline));
  o += StrFormat("parameter load (once, cold cache): %s cycles, not in the total\n",
                 Grouped(t.parameter_load_cycles).c_str());
  if (p.cpu_ops > 0) o += StrFormat("ops on the CPU are not timed: the total is the accelerator's part\n");
  if (ref) {
    double worst = 0;
    int worst_op = -1;
    for (const Layer& l : p.layers)
      if (l.has_reference && l.kind == Layer::Kind::kOp && std::fabs(l.error_pct) >= std::fabs(worst)) {
        worst = l.error_pct;
        worst_op = l.op_index;
      }
    o += StrFormat("error against SystemC: total %+.2f %% (%s cycles), worst op %+.2f %% (op %d)\n", t.error_pct,
                   Grouped(t.reference_cycles).c_str(), worst, worst_op);
  }
  return o;
}

std::string ToCsv(const Profile& p) {
  std::string o =
      "op_index,op,kind,partition,start_cycle,cycles,macs,utilization,link_bytes,onchip_bytes,array_cycles,"
      "stall_link,stall_dependencies,stall_vector_unit,stall_weight_load,stall_pipeline,reference_cycles,error_pct,"
      "reason\n";
  auto quote = [](const std::string& s) {
    std::string q = "\"";
    for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return q + "\"";
  };
  for (const Layer& l : p.layers) {
    if (l.kind == Layer::Kind::kCpu) {
      o += StrFormat("%d,%s,cpu,-1,,,,,,,,,,,,,,,%s\n", l.op_index, l.op.c_str(), quote(l.reason).c_str());
      continue;
    }
    o += StrFormat("%d,%s,%s,%d,%llu,%llu,%llu,%.6f,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,", l.op_index, l.op.c_str(),
                   KindName(l.kind), l.partition, static_cast<unsigned long long>(l.start_cycle),
                   static_cast<unsigned long long>(l.cycles), static_cast<unsigned long long>(l.macs), l.utilization,
                   static_cast<unsigned long long>(l.link_bytes), static_cast<unsigned long long>(l.onchip_bytes),
                   static_cast<unsigned long long>(l.array_cycles), static_cast<unsigned long long>(l.stalls.link),
                   static_cast<unsigned long long>(l.stalls.dependencies),
                   static_cast<unsigned long long>(l.stalls.vector_unit),
                   static_cast<unsigned long long>(l.stalls.weight_load),
                   static_cast<unsigned long long>(l.stalls.pipeline));
    if (l.has_reference)
      o += StrFormat("%llu,%.4f,", static_cast<unsigned long long>(l.reference_cycles), l.error_pct);
    else
      o += ",,";
    o += "\n";
  }
  if (p.partial) o += "# partial: interrupted; only the executables that completed before it\n";
  return o;
}

std::string ToChromeTrace(const Profile& p) {
  Json events = Json::array();
  const double us_per_cycle = 1e6 / p.config.clock_hz;
  auto meta = [&](int tid, const char* name) {
    events.push_back(Json{{"ph", "M"}, {"pid", 1}, {"tid", tid}, {"name", "thread_name"}, {"args", {{"name", name}}}});
    events.push_back(
        Json{{"ph", "M"}, {"pid", 1}, {"tid", tid}, {"name", "thread_sort_index"}, {"args", {{"sort_index", tid}}}});
  };
  events.push_back(Json{{"ph", "M"}, {"pid", 1}, {"name", "process_name"},
                        {"args", {{"name", StrFormat("Systole %s (%s)", p.config_name.c_str(), BackendName(p.backend))}}}});
  meta(1, "layers");
  meta(2, "load unit");
  meta(3, "compute unit");
  meta(4, "store unit");
  meta(5, "link down (host to device)");
  meta(6, "link up (device to host)");
  for (const Layer& l : p.layers) {
    if (l.kind == Layer::Kind::kCpu || l.cycles == 0) continue;
    const std::string name = l.op_index >= 0 ? StrFormat("%s #%d", l.op.c_str(), l.op_index) : l.op;
    events.push_back(Json{{"ph", "X"}, {"pid", 1}, {"tid", 1}, {"name", name}, {"cat", "layer"},
                          {"ts", static_cast<double>(l.start_cycle) * us_per_cycle},
                          {"dur", static_cast<double>(l.cycles) * us_per_cycle},
                          {"args", {{"cycles", l.cycles}, {"macs", l.macs}, {"utilization", l.utilization},
                                    {"partition", l.partition}}}});
  }
  // Compute instructions overlap (a MATMUL's drain, a POSTPROC beside
  // MATMULs): each goes on the first compute track free at its start, so
  // that every track's slices nest (Perfetto rejects partial overlaps).
  std::vector<uint64_t> track_end;  // per compute track, in run-offset cycles
  auto compute_tid = [&](uint64_t start, uint64_t end) {
    size_t k = 0;
    while (k < track_end.size() && track_end[k] > start) ++k;
    if (k == track_end.size()) {
      track_end.push_back(0);
      if (k > 0) meta(static_cast<int>(10 + k), StrFormat("compute unit (overlapping %zu)", k).c_str());
    }
    track_end[k] = end;
    return k == 0 ? 3 : static_cast<int>(10 + k);
  };
  for (const ExecutableRun& r : p.runs) {
    std::vector<const sim::InstructionSpan*> order;
    for (const sim::InstructionSpan& s : r.spans) order.push_back(&s);
    std::stable_sort(order.begin(), order.end(), [](const sim::InstructionSpan* a, const sim::InstructionSpan* b) {
      return a->start < b->start;
    });
    for (const sim::InstructionSpan* sp : order) {
      const sim::InstructionSpan& s = *sp;
      const isa::Instruction& insn = r.program[s.pc];
      const Layer& l = p.layers[r.owner[s.pc]];
      const std::string layer = l.op_index >= 0 ? StrFormat("%s #%d", l.op.c_str(), l.op_index) : l.op;
      const double ts = static_cast<double>(r.offset + s.start) * us_per_cycle;
      const double dur = static_cast<double>(s.cycles) * us_per_cycle;
      Json args{{"pc", s.pc}, {"cycles", s.cycles}, {"layer", layer}, {"partition", r.partition}};
      const int tid = s.unit == static_cast<int>(isa::Unit::kCompute)
                          ? compute_tid(r.offset + s.start, r.offset + s.start + s.cycles)
                          : 2 + s.unit;
      events.push_back(Json{{"ph", "X"}, {"pid", 1}, {"tid", tid}, {"name", isa::OpcodeName(insn.opcode())},
                            {"cat", layer}, {"ts", ts}, {"dur", dur}, {"args", args}});
      if (insn.opcode() == isa::Opcode::kLoad || insn.opcode() == isa::Opcode::kStore) {
        const bool down = insn.opcode() == isa::Opcode::kLoad;
        const uint64_t bytes = sim::DmaBytes(insn);
        events.push_back(Json{{"ph", "X"}, {"pid", 1}, {"tid", down ? 5 : 6},
                              {"name", StrFormat("%llu B", static_cast<unsigned long long>(bytes))},
                              {"cat", layer}, {"ts", ts}, {"dur", dur},
                              {"args", {{"bytes", bytes}, {"layer", layer}, {"pc", s.pc}}}});
      }
    }
  }
  Json root;
  root["traceEvents"] = events;
  root["displayTimeUnit"] = "ns";
  root["otherData"] = {{"model", p.model}, {"backend", BackendName(p.backend)}, {"partial", p.partial}};
  return root.dump() + "\n";
}

}  // namespace systole::profile
