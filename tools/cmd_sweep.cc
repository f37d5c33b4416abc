// systole sweep MODEL.tflite: profiles a model on every configuration of a
// grid (array rows x cols x ABUF x PBUF x clock x link), in parallel threads
// of this process, or writes the jobs for a cluster (a Slurm job array or a
// GNU parallel job list, one `systole profile` per configuration) and later
// collects their JSON reports. Writes a CSV and an HTML chart with the Pareto
// front (docs/profile.md, "Sweeps"). No scheduler of its own.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <nlohmann/json.hpp>

#include "interpreter/tensor_io.h"
#include "tools/cli.h"
#include "tools/profile.h"

namespace systole {
namespace cli {
namespace {

constexpr char kSweepUsage[] =
    "usage: systole sweep MODEL.tflite [--config BASE] [--rows LIST] [--cols LIST] [--abuf LIST]\n"
    "                     [--pbuf LIST] [--clock LIST] [--link LIST] [--backend analytic|systemc]\n"
    "                     [--jobs N] [--csv OUT] [--html OUT] [--tflite-flavor F] [--quiet]\n"
    "       systole sweep MODEL.tflite ... --emit-jobs slurm|parallel DIR\n"
    "       systole sweep --collect DIR [--csv OUT] [--html OUT]\n"
    "\n"
    "Profiles MODEL on every configuration of the grid (the product of the lists;\n"
    "a dimension not given keeps BASE's value, default edge) and writes one CSV row\n"
    "per configuration (cycles, latency, inferences/s, utilization, effective TOPS,\n"
    "on-chip memory, Pareto-optimal or not) and an HTML page charting latency,\n"
    "utilization and on-chip memory against the configuration, marking the Pareto\n"
    "front (no other configuration is at least as good in latency, on-chip memory\n"
    "and array size, and better in one).\n"
    "\n"
    "  --rows, --cols LIST   array sizes, e.g. 16,32,64\n"
    "  --abuf, --pbuf LIST   memory sizes in bytes, K or M suffix allowed: 512K,2M\n"
    "  --clock LIST          clock in Hz, K, M or G suffix allowed: 250M,500M,1G\n"
    "  --link LIST           usb3, pcie (PCIe Gen2 x1) or ideal\n"
    "  --backend B           analytic (default) or systemc (runs are serialised)\n"
    "  --jobs N              parallel profiles (default: the machine's cores)\n"
    "  --csv OUT             default sweep.csv (in DIR with --collect)\n"
    "  --html OUT            default sweep.html (in DIR with --collect)\n"
    "  --emit-jobs K DIR     write DIR/configs/*.json, DIR/sweep.json and either\n"
    "                        DIR/sweep.slurm (K = slurm: sbatch DIR/sweep.slurm, a job\n"
    "                        array, one profile per task) or DIR/jobs.txt (K = parallel:\n"
    "                        parallel < DIR/jobs.txt); each job writes\n"
    "                        DIR/results/N.json. Nothing is run\n"
    "  --collect DIR         read DIR/results/*.json of the emitted jobs and write the\n"
    "                        CSV and HTML (missing results are listed as missing)\n"
    "\n"
    "Progress goes to stderr (not with --quiet): on a terminal a bar redrawn at most\n"
    "5 times a second, otherwise a line at every tenth of the configurations.\n"
    "Ctrl-C (or SIGTERM) starts no new profile and stops the running ones (systemc:\n"
    "within a simulated cycle), then writes the CSV and HTML with the configurations\n"
    "done so far; the others are 'not run' or 'interrupted' and the files are marked\n"
    "partial. A second Ctrl-C kills it at once.\n"
    "\n"
    "Exit status: 0 every configuration has its result (with --collect: the files\n"
    "are written, missing results listed as missing); 1 an error; 2 a usage error;\n"
    "130 interrupted: the files are written and partial.\n";

std::atomic<bool> g_stop{false};
extern "C" void OnSweepInterrupt(int) { g_stop.store(true); }

bool ParseSize(const std::string& s, uint64_t* out, bool hz) {
  if (s.empty()) return false;
  uint64_t mult = 1;
  std::string digits = s;
  const char last = static_cast<char>(std::toupper(static_cast<unsigned char>(s.back())));
  if (last == 'K' || last == 'M' || last == 'G') {
    mult = hz ? (last == 'K' ? 1000ull : last == 'M' ? 1000000ull : 1000000000ull)
              : (last == 'K' ? 1024ull : last == 'M' ? 1048576ull : 1073741824ull);
    digits.pop_back();
  }
  uint64_t v = 0;
  if (!ParseUint(digits, uint64_t{1} << 40, &v) || v == 0 || v > UINT64_MAX / mult) return false;
  *out = v * mult;
  return true;
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(item);
  return out;
}

struct Point {
  sim::DeviceConfig config;
  std::string status = "not run";  // ok, error: ..., missing, not run
  uint64_t cycles = 0;
  double latency_ms = 0, inferences_per_s = 0, utilization = 0, effective_tops = 0;
  uint64_t link_bytes = 0;
  bool pareto = false;
  uint64_t onchip() const { return uint64_t{config.abuf_bytes} + config.pbuf_bytes; }
  bool ok() const { return status == "ok"; }
};

nlohmann::json ConfigJson(const sim::DeviceConfig& c) {
  nlohmann::json j;
  j["rows"] = c.rows;
  j["cols"] = c.cols;
  j["abuf_bytes"] = c.abuf_bytes;
  j["pbuf_bytes"] = c.pbuf_bytes;
  j["acc_rows"] = c.acc_rows;
  j["clock_hz"] = c.clock_hz;
  j["link"] = c.link.name;  // the preset, then its figures (a base FILE may change them)
  j["link_bytes_per_second"] = c.link.bytes_per_second;
  j["link_latency_seconds"] = c.link.latency_seconds;
  j["queue_depth"] = c.queue_depth;
  j["token_depth"] = c.token_depth;
  return j;
}

void MarkPareto(std::vector<Point>* pts) {
  for (Point& p : *pts) {
    if (!p.ok()) continue;
    p.pareto = true;
    for (const Point& q : *pts) {
      if (&q == &p || !q.ok()) continue;
      const uint64_t pa = uint64_t(p.config.rows) * p.config.cols, qa = uint64_t(q.config.rows) * q.config.cols;
      const bool no_worse = q.cycles / q.config.clock_hz <= p.cycles / p.config.clock_hz && q.onchip() <= p.onchip() &&
                            qa <= pa;
      const bool better = q.cycles / q.config.clock_hz < p.cycles / p.config.clock_hz || q.onchip() < p.onchip() ||
                          qa < pa;
      if (no_worse && better) {
        p.pareto = false;
        break;
      }
    }
  }
}

std::string Label(const sim::DeviceConfig& c) {
  return StrFormat("%dx%d A%lluK P%lluK %.0fMHz %s", c.rows, c.cols,
                   static_cast<unsigned long long>(c.abuf_bytes >> 10),
                   static_cast<unsigned long long>(c.pbuf_bytes >> 10), c.clock_hz / 1e6, c.link.name.c_str());
}

std::string Csv(const std::vector<Point>& pts, bool partial) {
  std::string o = "index,rows,cols,abuf_bytes,pbuf_bytes,acc_rows,clock_hz,link,status,cycles,latency_ms,"
                  "inferences_per_s,utilization,effective_tops,link_bytes,onchip_bytes,pareto\n";
  for (size_t i = 0; i < pts.size(); ++i) {
    const Point& p = pts[i];
    std::string st = p.status;
    for (char& ch : st)
      if (ch == '"') ch = '\'';
    o += StrFormat("%zu,%d,%d,%u,%u,%u,%.0f,%s,\"%s\",%llu,%.6f,%.3f,%.6f,%.6f,%llu,%llu,%d\n", i, p.config.rows,
                   p.config.cols, p.config.abuf_bytes, p.config.pbuf_bytes, p.config.acc_rows, p.config.clock_hz,
                   p.config.link.name.c_str(), st.c_str(), static_cast<unsigned long long>(p.cycles), p.latency_ms,
                   p.inferences_per_s, p.utilization, p.effective_tops, static_cast<unsigned long long>(p.link_bytes),
                   static_cast<unsigned long long>(p.onchip()), p.pareto ? 1 : 0);
  }
  if (partial) o += "# partial: not every configuration has its result\n";
  return o;
}

constexpr char kHtmlHead[] = R"HTML(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Systole sweep</title>
<style>body{font-family:sans-serif;margin:16px}h2{font-size:16px}svg text{font-size:10px}
.partial{color:#b00;font-weight:bold}</style></head><body>
<h1>Systole sweep</h1><div id="summary"></div>
<h2>Latency against on-chip memory (Pareto front in red)</h2><div id="scatter"></div>
<h2>Latency, utilization and on-chip memory per configuration</h2><div id="bars"></div>
<script id="sweep-data" type="application/json">
)HTML";

constexpr char kHtmlTail[] = R"HTML(
</script>
<script>
"use strict";
(function () {
  const D = JSON.parse(document.getElementById("sweep-data").textContent);
  const NS = "http://www.w3.org/2000/svg";
  function el(tag, a, parent, text) {
    const e = document.createElementNS(NS, tag);
    for (const k in a) e.setAttribute(k, a[k]);
    if (text !== undefined) e.textContent = text;
    parent.appendChild(e);
    return e;
  }
  const ok = D.points.filter(p => p.status === "ok");
  const s = document.getElementById("summary");
  const p0 = document.createElement("p");
  p0.textContent = "model " + D.model + ": " + ok.length + " of " + D.points.length + " configurations profiled (" +
    D.backend + "); " + ok.filter(p => p.pareto).length + " on the Pareto front.";
  s.appendChild(p0);
  if (D.partial) { const e = document.createElement("p"); e.className = "partial";
    e.textContent = "PARTIAL: interrupted"; s.appendChild(e); }
  if (ok.length > 0) {
    const W = 640, H = 360, L = 70, B = 40;
    const xs = ok.map(p => p.onchip_bytes), ys = ok.map(p => p.latency_ms);
    const x0 = Math.min(...xs) / 1.5, x1 = Math.max(...xs) * 1.5, y0 = Math.min(...ys) / 1.5, y1 = Math.max(...ys) * 1.5;
    const lx = v => L + (Math.log(v) - Math.log(x0)) / (Math.log(x1) - Math.log(x0)) * (W - L - 10);
    const ly = v => H - B - (Math.log(v) - Math.log(y0)) / (Math.log(y1) - Math.log(y0)) * (H - B - 10);
    const svg = el("svg", {width: W, height: H}, document.getElementById("scatter"));
    el("rect", {x: L, y: 10, width: W - L - 10, height: H - B - 10, fill: "none", stroke: "#999"}, svg);
    el("text", {x: L, y: H - 8}, svg, "on-chip memory, ABUF + PBUF (bytes, log)");
    el("text", {x: 4, y: 20}, svg, "latency ms (log)");
    const front = ok.filter(p => p.pareto).sort((a, b) => a.onchip_bytes - b.onchip_bytes);
    if (front.length > 1)
      el("polyline", {points: front.map(p => lx(p.onchip_bytes) + "," + ly(p.latency_ms)).join(" "), fill: "none",
                      stroke: "#d62728"}, svg);
    for (const p of ok) {
      const c = el("circle", {cx: lx(p.onchip_bytes), cy: ly(p.latency_ms), r: 4 + Math.log2(p.rows * p.cols) / 3,
                              fill: p.pareto ? "#d62728" : "#2b7bba", "fill-opacity": 0.6}, svg);
      el("title", {}, c, p.label + ": " + p.latency_ms.toFixed(3) + " ms, utilization " +
        (100 * p.utilization).toFixed(1) + " %" + (p.pareto ? " (Pareto)" : ""));
    }
  }
  const rowH = 14, left = 250, bw = 200;
  const svg = el("svg", {width: left + 3 * (bw + 60), height: D.points.length * rowH + 30},
                 document.getElementById("bars"));
  const cols = [["latency_ms", "latency (ms)"], ["utilization", "utilization"], ["onchip_bytes", "on-chip bytes"]];
  cols.forEach(([k, name], ci) => {
    const max = Math.max(1e-12, ...ok.map(p => p[k]));
    const x = left + ci * (bw + 60);
    el("text", {x: x, y: 12}, svg, name);
    D.points.forEach((p, i) => {
      const y = 18 + i * rowH;
      if (ci === 0) el("text", {x: left - 4, y: y + 10, "text-anchor": "end"}, svg, p.label);
      if (p.status !== "ok") { if (ci === 0) el("text", {x: x, y: y + 10}, svg, p.status); return; }
      const r = el("rect", {x: x, y: y, width: p[k] / max * bw, height: rowH - 3,
                            fill: p.pareto ? "#d62728" : "#2b7bba"}, svg);
      el("title", {}, r, p.label + " " + name + ": " + p[k]);
    });
  });
  const done = document.createElement("div");
  done.id = "systole-rendered";
  done.textContent = "rendered " + D.points.length + " configurations";
  document.body.appendChild(done);
})();
</script></body></html>
)HTML";

std::string Html(const std::vector<Point>& pts, const std::string& model, const std::string& backend,
                 bool partial) {
  nlohmann::json d;
  d["model"] = model;
  d["backend"] = backend;
  d["partial"] = partial;
  d["points"] = nlohmann::json::array();
  for (const Point& p : pts) {
    nlohmann::json j = ConfigJson(p.config);
    j["label"] = Label(p.config);
    j["status"] = p.status;
    j["cycles"] = p.cycles;
    j["latency_ms"] = p.latency_ms;
    j["utilization"] = p.utilization;
    j["inferences_per_s"] = p.inferences_per_s;
    j["onchip_bytes"] = p.onchip();
    j["pareto"] = p.pareto;
    d["points"].push_back(j);
  }
  std::string json = d.dump(), safe;
  for (size_t i = 0; i < json.size(); ++i) {
    if (json[i] == '<' && i + 1 < json.size() && json[i + 1] == '/') {
      safe += "<\\/";
      ++i;
    } else {
      safe += json[i];
    }
  }
  return std::string(kHtmlHead) + safe + kHtmlTail;
}

Status WriteText(const std::string& path, const std::string& text) {
  return WriteFile(path, std::vector<uint8_t>(text.begin(), text.end()));
}

StatusOr<std::string> ReadText(const std::string& path) {
  std::vector<uint8_t> b;
  RETURN_IF_ERROR(ReadFile(path, &b));
  return std::string(b.begin(), b.end());
}

Status MakeDir(const std::string& d) {
  if (mkdir(d.c_str(), 0755) != 0 && errno != EEXIST) return Unavailable("cannot create directory %s", d.c_str());
  return Status::Ok();
}

std::string Absolute(const std::string& p) {
  if (!p.empty() && p[0] == '/') return p;
  char buf[4096];
  if (getcwd(buf, sizeof buf) == nullptr) return p;
  return std::string(buf) + "/" + p;
}

std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

void FillFromTotal(const nlohmann::json& total, Point* p) {
  p->cycles = total.at("cycles").get<uint64_t>();
  p->latency_ms = total.at("latency_ms").get<double>();
  p->inferences_per_s = total.at("inferences_per_s").get<double>();
  p->utilization = total.at("utilization").get<double>();
  p->effective_tops = total.at("effective_tops").get<double>();
  p->link_bytes = total.at("link_bytes").get<uint64_t>();
}

// partial_why: empty when every configuration has its result.
int Finish(std::vector<Point>* pts, const std::string& model, const std::string& backend,
           const std::string& partial_why, const std::string& csv_path, const std::string& html_path, bool quiet) {
  const bool partial = !partial_why.empty();
  MarkPareto(pts);
  Status s = WriteText(csv_path, Csv(*pts, partial));
  if (s.ok()) s = WriteText(html_path, Html(*pts, model, backend, partial));
  if (!s.ok()) return Fail(s);
  if (!quiet) {
    int ok = 0, front = 0;
    for (const Point& p : *pts) ok += p.ok(), front += p.pareto;
    std::printf("%d of %zu configurations profiled, %d on the Pareto front%s; wrote %s and %s\n", ok, pts->size(),
                front, partial ? (" (PARTIAL: " + partial_why + ")").c_str() : "", csv_path.c_str(), html_path.c_str());
    for (const Point& p : *pts)
      if (p.pareto)
        std::printf("  pareto: %-40s %10.3f ms  %5.1f %% utilization\n", Label(p.config).c_str(), p.latency_ms,
                    100 * p.utilization);
  }
  return partial_why == "interrupted" ? 130 : 0;
}

int Collect(const std::string& dir, std::string csv_path, std::string html_path, bool quiet) {
  StatusOr<std::string> manifest = ReadText(dir + "/sweep.json");
  if (!manifest.ok()) return Fail(manifest.status());
  nlohmann::json m;
  std::vector<Point> pts;
  try {
    m = nlohmann::json::parse(*manifest);
    for (const auto& c : m.at("configs")) {
      Point p;
      StatusOr<sim::DeviceConfig> cfg = sim::DeviceConfig::FromName(dir + "/" + c.get<std::string>());
      if (!cfg.ok()) return Fail(cfg.status());
      p.config = *cfg;
      pts.push_back(p);
    }
  } catch (const std::exception& e) {
    return Fail(InvalidArgument("%s/sweep.json: not a sweep manifest: %s", dir.c_str(), e.what()));
  }
  for (size_t i = 0; i < pts.size(); ++i) {
    const std::string rp = StrFormat("%s/results/%zu.json", dir.c_str(), i);
    StatusOr<std::string> r = ReadText(rp);
    if (!r.ok()) {
      pts[i].status = "missing";
      continue;
    }
    try {
      const nlohmann::json j = nlohmann::json::parse(*r);
      FillFromTotal(j.at("total"), &pts[i]);
      pts[i].status = j.value("partial", false) ? "partial" : "ok";
    } catch (const std::exception& e) {
      pts[i].status = StrFormat("error: %s: %s", rp.c_str(), e.what());
    }
  }
  if (csv_path.empty()) csv_path = dir + "/sweep.csv";
  if (html_path.empty()) html_path = dir + "/sweep.html";
  size_t missing = 0;
  for (const Point& p : pts) missing += p.status != "ok";
  return Finish(&pts, m.value("model", ""), m.value("backend", ""),
                missing ? StrFormat("%zu of %zu results missing or partial", missing, pts.size()) : "", csv_path,
                html_path, quiet);
}

}  // namespace

int Sweep(int argc, char** argv) {
  for (int i = 0; i < argc; ++i) {
    if (std::string(argv[i]) != "--collect") continue;
    // systole sweep --collect DIR [--csv OUT] [--html OUT] [--quiet]
    std::string dir, csv, html;
    bool quiet = false;
    OptionParser pc("sweep", kSweepUsage, "directory");
    pc.Flag({"--collect"}, [] {});
    pc.Value({"--csv"}, [&](const std::string& v) { csv = v; return true; });
    pc.Value({"--html"}, [&](const std::string& v) { html = v; return true; });
    pc.Flag({"--quiet", "-q"}, [&] { quiet = true; });
    pc.Positional(&dir);
    if (const int rc = pc.Parse(argc, argv); rc >= 0) return rc;
    return Collect(dir, csv, html, quiet);
  }
  std::string path, base = "edge", csv_path, html_path, emit_kind, emit_dir;
  std::vector<uint64_t> rows, cols, abuf, pbuf, clock;
  std::vector<sim::LinkConfig> links;
  profile::Backend backend = profile::Backend::kAnalytic;
  uint64_t jobs = std::max(1u, std::thread::hardware_concurrency());
  bool quiet = false;
  TfliteFlavor flavor = HostTfliteFlavor();
  OptionParser p("sweep", kSweepUsage, "model");
  AddFlavorOption(&p, &flavor);
  auto list = [&](const char* name, std::vector<uint64_t>* out, uint64_t lo, uint64_t hi, int kind) {
    p.Value({name}, [&p, name, out, lo, hi, kind](const std::string& v) {
      out->clear();
      for (const std::string& item : Split(v)) {
        uint64_t x = 0;
        const bool ok = kind == 0 ? ParseUint(item, hi, &x) : ParseSize(item, &x, kind == 2);
        if (!ok || x < lo || x > hi)
          return p.Error("%s: '%s' is not %s in [%llu, %llu]", name, item.c_str(),
                         kind == 0 ? "an integer" : kind == 1 ? "a size (bytes, K or M)" : "a clock (Hz, K, M or G)",
                         static_cast<unsigned long long>(lo), static_cast<unsigned long long>(hi));
        out->push_back(x);
      }
      if (out->empty()) return p.Error("%s: empty list", name);
      return true;
    });
  };
  list("--rows", &rows, 2, 256, 0);
  list("--cols", &cols, 2, 256, 0);
  list("--abuf", &abuf, 1024, uint64_t{1} << 31, 1);
  list("--pbuf", &pbuf, 1024, uint64_t{1} << 31, 1);
  list("--clock", &clock, 1000000, 10000000000ull, 2);
  p.Value({"--link"}, [&](const std::string& v) {
    links.clear();
    for (const std::string& l : Split(v)) {
      if (l == "usb3") links.push_back(sim::LinkConfig::Usb3());
      else if (l == "pcie" || l == "pcie-gen2-x1") links.push_back(sim::LinkConfig::PcieGen2x1());
      else if (l == "ideal") links.push_back(sim::LinkConfig::Ideal());
      else return p.Error("--link: '%s' is not usb3, pcie or ideal", l.c_str());
    }
    if (links.empty()) return p.Error("--link: empty list");
    return true;
  });
  p.Value({"--config"}, [&](const std::string& v) { base = v; return true; });
  p.Value({"--backend"}, [&](const std::string& v) {
    if (v == "analytic") backend = profile::Backend::kAnalytic;
    else if (v == "systemc") backend = profile::Backend::kSystemC;
    else return p.Error("--backend '%s' is not analytic or systemc", v.c_str());
    return true;
  });
  p.Value({"--jobs", "-j"}, [&](const std::string& v) {
    if (!ParseUint(v, 1024, &jobs) || jobs == 0) return p.Error("--jobs '%s' is not an integer in [1, 1024]", v.c_str());
    return true;
  });
  p.Value({"--csv"}, [&](const std::string& v) { csv_path = v; return true; });
  p.Value({"--html"}, [&](const std::string& v) { html_path = v; return true; });
  p.Flag({"--quiet", "-q"}, [&] { quiet = true; });
  // --emit-jobs KIND DIR: two values; the second is taken as the positional's
  // neighbour, so parse it by hand before the parser sees it.
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::string(argv[i]) == "--emit-jobs") {
      if (i + 2 >= argc) {
        std::fprintf(stderr, "systole sweep: --emit-jobs needs a kind (slurm or parallel) and a directory\n");
        return 2;
      }
      emit_kind = argv[i + 1];
      emit_dir = argv[i + 2];
      if (emit_kind != "slurm" && emit_kind != "parallel") {
        std::fprintf(stderr, "systole sweep: --emit-jobs '%s' is not slurm or parallel\n", emit_kind.c_str());
        return 2;
      }
      i += 2;
      continue;
    }
    args.push_back(argv[i]);
  }
  p.Positional(&path);
  if (const int rc = p.Parse(static_cast<int>(args.size()), args.data()); rc >= 0) return rc;

  StatusOr<sim::DeviceConfig> base_cfg = sim::DeviceConfig::FromName(base);
  if (!base_cfg.ok()) return Fail(base_cfg.status());
  if (rows.empty()) rows = {static_cast<uint64_t>(base_cfg->rows)};
  if (cols.empty()) cols = {static_cast<uint64_t>(base_cfg->cols)};
  if (abuf.empty()) abuf = {base_cfg->abuf_bytes};
  if (pbuf.empty()) pbuf = {base_cfg->pbuf_bytes};
  if (clock.empty()) clock = {static_cast<uint64_t>(base_cfg->clock_hz)};
  if (links.empty()) links = {base_cfg->link};
  std::vector<Point> pts;
  for (uint64_t r : rows)
    for (uint64_t c : cols)
      for (uint64_t a : abuf)
        for (uint64_t b : pbuf)
          for (uint64_t k : clock)
            for (const sim::LinkConfig& l : links) {
              Point pt;
              pt.config = *base_cfg;
              pt.config.rows = static_cast<int>(r);
              pt.config.cols = static_cast<int>(c);
              pt.config.abuf_bytes = static_cast<uint32_t>(a);
              pt.config.pbuf_bytes = static_cast<uint32_t>(b);
              pt.config.clock_hz = static_cast<double>(k);
              pt.config.link = l;
              pts.push_back(pt);
            }
  if (pts.size() > 100000) return Fail(InvalidArgument("sweep: %zu configurations; at most 100000", pts.size()));

  // Every configuration as a JSON file (sim::DeviceConfig::FromName's format),
  // so a job is exactly `systole profile MODEL --config FILE`.
  const bool emit = !emit_dir.empty();
  std::string dir = emit_dir;
  if (!emit) {
    char tmpl[] = "/tmp/systole-sweep-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return Fail(Unavailable("sweep: cannot create a temporary directory"));
    dir = tmpl;
  }
  Status s = MakeDir(dir);
  if (s.ok()) s = MakeDir(dir + "/configs");
  if (s.ok() && emit) s = MakeDir(dir + "/results");
  if (!s.ok()) return Fail(s);
  nlohmann::json manifest;
  manifest["model"] = Absolute(path);
  manifest["backend"] = profile::BackendName(backend);
  manifest["configs"] = nlohmann::json::array();
  std::vector<std::string> cfg_files;
  for (size_t i = 0; i < pts.size(); ++i) {
    nlohmann::json j = ConfigJson(pts[i].config);
    j["link"] = pts[i].config.link.name;
    const std::string rel = StrFormat("configs/%zu.json", i);
    s = WriteText(dir + "/" + rel, j.dump(1) + "\n");
    if (!s.ok()) return Fail(s);
    manifest["configs"].push_back(rel);
    cfg_files.push_back(dir + "/" + rel);
  }
  if (emit) {
    s = WriteText(dir + "/sweep.json", manifest.dump(1) + "\n");
    if (!s.ok()) return Fail(s);
    char self[4096];
    const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    const std::string exe = n > 0 ? std::string(self, static_cast<size_t>(n)) : "systole";
    const std::string adir = Absolute(dir), amodel = Absolute(path);
    auto job = [&](const std::string& index) {
      return StrFormat("%s profile %s --config %s/configs/%s.json --backend %s --tflite-flavor %s --json "
                       "%s/results/%s.json --quiet",
                       ShellQuote(exe).c_str(), ShellQuote(amodel).c_str(), ShellQuote(adir).c_str(), index.c_str(),
                       profile::BackendName(backend), TfliteFlavorName(flavor), ShellQuote(adir).c_str(),
                       index.c_str());
    };
    std::string text, file;
    if (emit_kind == "parallel") {
      for (size_t i = 0; i < pts.size(); ++i) text += job(std::to_string(i)) + "\n";
      file = dir + "/jobs.txt";
    } else {
      // sbatch reads #SBATCH arguments with quotes and backslash escapes;
      // in its file-name patterns %% is a literal %.
      std::string out_pattern;
      for (char ch : adir + "/results/") {
        if (ch == '"' || ch == '\\') out_pattern += '\\';
        out_pattern += ch;
        if (ch == '%') out_pattern += '%';
      }
      out_pattern += "%a.log";
      text = StrFormat("#!/bin/sh\n#SBATCH --job-name=systole-sweep\n#SBATCH --array=0-%zu\n#SBATCH --ntasks=1\n"
                       "#SBATCH --cpus-per-task=1\n#SBATCH --output=\"%s\"\n"
                       "# One systole profile per configuration (task i: configs/i.json -> results/i.json);\n"
                       "# then: systole sweep --collect %s\n"
                       "task=${SLURM_ARRAY_TASK_ID:?not set: submit this script with sbatch (a job array)}\n"
                       "exec %s\n",
                       pts.size() - 1, out_pattern.c_str(), ShellQuote(adir).c_str(), job("\"$task\"").c_str());
      file = dir + "/sweep.slurm";
    }
    s = WriteText(file, text);
    if (!s.ok()) return Fail(s);
    if (!quiet)
      std::printf("wrote %zu jobs: %s (then: systole sweep --collect %s)\n", pts.size(), file.c_str(),
                  ShellQuote(dir).c_str());
    return 0;
  }

  // In process: a pool of `jobs` threads over the configurations.
  g_stop.store(false);
  struct sigaction sa = {}, old_int = {}, old_term = {};
  sa.sa_handler = OnSweepInterrupt;
  sa.sa_flags = SA_RESETHAND;  // a second Ctrl-C finds the default action and kills
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  std::mutex out_mu;
  const bool tty = isatty(fileno(stderr));
  const auto t_start = std::chrono::steady_clock::now();
  auto t_shown = t_start - std::chrono::seconds(1);
  bool line_open = false;
  auto progress = [&] {
    if (quiet) return;
    std::lock_guard<std::mutex> lock(out_mu);
    const size_t d = done.load(), total = pts.size();
    const auto now = std::chrono::steady_clock::now();
    const double secs = std::chrono::duration<double>(now - t_start).count();
    const int width = 30, filled = static_cast<int>(total ? d * width / total : width);
    if (tty) {
      if (d < total && now - t_shown < std::chrono::milliseconds(200)) return;
      t_shown = now;
      std::fprintf(stderr, "\r\033[Ksweep [%.*s%*s] %zu/%zu configurations, %.1f s", filled,
                   "##############################", width - filled, "", d, total, secs);
      line_open = d < total;
      if (d == total) std::fputc('\n', stderr);
    } else if (d == total || d % std::max<size_t>(1, total / 10) == 0) {
      std::fprintf(stderr, "sweep: %zu/%zu configurations, %.1f s\n", d, total, secs);
    }
    std::fflush(stderr);
  };
  auto worker = [&] {
    for (;;) {
      if (g_stop.load()) return;
      const size_t i = next.fetch_add(1);
      if (i >= pts.size()) return;
      profile::ProfileOptions o;
      o.backend = backend;
      o.config_name = cfg_files[i];
      o.delegate.config = cfg_files[i];
      o.delegate.tflite_flavor = flavor;
      o.cancel = &g_stop;
      StatusOr<profile::Profile> r = profile::ProfileModel(path, o);
      Point& pt = pts[i];
      if (r.ok() && r->partial) {
        pt.status = "interrupted";  // stopped by Ctrl-C: no result
        return;
      }
      if (r.ok()) {
        pt.status = "ok";
        pt.cycles = r->total.cycles;
        pt.latency_ms = r->total.latency_ms;
        pt.inferences_per_s = r->total.inferences_per_s;
        pt.utilization = r->total.utilization;
        pt.effective_tops = r->total.effective_tops;
        pt.link_bytes = r->total.link_bytes;
      } else {
        pt.status = "error: " + r.status().ToString();
      }
      ++done;
      progress();
    }
  };
  std::vector<std::thread> pool;
  const size_t n_threads = std::min<size_t>(jobs, pts.size());
  for (size_t t = 0; t < n_threads; ++t) pool.emplace_back(worker);
  for (std::thread& t : pool) t.join();
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  if (line_open) std::fputc('\n', stderr);
  for (const std::string& f : cfg_files) std::remove(f.c_str());
  rmdir((dir + "/configs").c_str());
  rmdir(dir.c_str());
  const bool partial = done.load() < pts.size();
  if (csv_path.empty()) csv_path = "sweep.csv";
  if (html_path.empty()) html_path = "sweep.html";
  return Finish(&pts, path, profile::BackendName(backend), partial ? "interrupted" : "", csv_path, html_path, quiet);
}

}  // namespace cli
}  // namespace systole
