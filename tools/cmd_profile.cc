// systole profile MODEL.tflite: per-layer cycles, utilization, bytes and
// stalls on the accelerator (tools/profile.h, docs/profile.md).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>
#include <unistd.h>

#include "interpreter/tensor_io.h"
#include "tools/cli.h"
#include "tools/profile.h"

namespace systole {
namespace cli {
namespace {

constexpr char kProfileUsage[] =
    "usage: systole profile MODEL.tflite [--config edge|tiny|FILE] [--backend analytic|systemc|rtl]\n"
    "                       [--validate] [--json OUT] [--csv OUT] [--html OUT] [--trace OUT.json]\n"
    "                       [--tflite-flavor ruy|x86|xnnpack] [partition options] [--quiet]\n"
    "\n"
    "Compiles MODEL as 'systole compile' does (a compiled model's SYSTOLE ops are used\n"
    "as they are), then estimates or simulates every executable and prints a table, one\n"
    "row per layer: cycles (host-link transfers included), share, array utilization,\n"
    "MACs, bytes over the link and on chip, and the stall breakdown (array = MATMUL\n"
    "streaming; link, dependencies, vector unit, weight load, pipeline fill/drain);\n"
    "then the totals: cycles and latency at the configured clock, inferences/s and\n"
    "effective TOPS. Ops on the CPU are listed with their reason (not timed).\n"
    "total.cycles is what 'systole run --device sim' reports for the same model and\n"
    "configuration (docs/profile.md).\n"
    "\n"
    "  --config C        accelerator configuration: edge (default), tiny or a JSON file\n"
    "  --backend B       analytic (default): the estimator, no cycle loop;\n"
    "                    systemc: the SystemC device; rtl: the SystemC device with the\n"
    "                    Verilated RTL core (builds with SYSTOLE_WITH_RTL)\n"
    "  --validate        also run the SystemC device and show each row's error\n"
    "  --json OUT        the report as JSON (schema: docs/profile.md)\n"
    "  --csv OUT         one row per layer as CSV\n"
    "  --html OUT        a self-contained HTML page with charts (no network references)\n"
    "  --trace OUT.json  Chrome-trace / Perfetto timeline: layers, units, link\n"
    "  --tflite-flavor F as for systole compile\n"
    "  --quiet           print nothing but errors (the files are still written)\n"
    "%s"
    "\n"
    "Progress goes to stderr (not with --quiet): on a terminal a bar redrawn at most\n"
    "5 times a second (executables done / total, the running executable's simulated\n"
    "cycles and their share of its analytic estimate); otherwise a line at most\n"
    "every 5 seconds.\n"
    "Ctrl-C (or SIGTERM) stops the simulation within a cycle (the executable being\n"
    "run is dropped) and writes the report with the executables done so far, marked\n"
    "partial (JSON \"partial\": true, PARTIAL in the text and HTML); a second Ctrl-C\n"
    "kills it at once.\n"
    "\n"
    "Exit status: 0 the report is complete; 1 an error (message on stderr); 2 a\n"
    "usage error; 130 interrupted: the report is written and partial.\n";

std::atomic<bool> g_interrupted{false};
extern "C" void OnInterrupt(int) { g_interrupted.store(true); }

// The progress display (stderr): a bar redrawn at most every 0.2 s on a
// terminal, else a line at most every 5 s; the first and the last states are
// always shown on a terminal.
class ProgressDisplay {
 public:
  explicit ProgressDisplay(bool tty) : tty_(tty), start_(Clock::now()), last_(start_) {}

  void Update(const profile::ProfileOptions::Progress& pr) {
    const auto now = Clock::now();
    const bool final_state = pr.done == pr.total;
    const double interval = tty_ ? 0.2 : 5.0;
    if (!(tty_ && (shown_ == 0 || final_state)) &&
        std::chrono::duration<double>(now - last_).count() < interval)
      return;
    if (!tty_ && final_state && shown_ == 0) return;  // a short run: no log noise
    last_ = now;
    ++shown_;
    double frac = pr.total ? static_cast<double>(pr.done) / pr.total : 1.0;
    std::string run;
    if (pr.run_estimate > 0) {
      const double f = std::min(1.0, static_cast<double>(pr.run_cycles) / static_cast<double>(pr.run_estimate));
      frac += f / std::max(1, pr.total);
      run = StrFormat("; executable %d: %.1f Mcycles, ~%.0f %%", pr.done + 1, pr.run_cycles / 1e6, 100.0 * f);
    }
    // Under 80 columns: a wrapped line would break the redraw.
    const int width = 20, filled = std::min(width, static_cast<int>(frac * width));
    const double secs = std::chrono::duration<double>(now - start_).count();
    std::fprintf(stderr, "%sprofile [%.*s%*s] %d/%d%s, %.1f s%s", tty_ ? "\r\033[K" : "", filled,
                 "####################", width - filled, "", pr.done, pr.total, run.c_str(), secs, tty_ ? "" : "\n");
    open_line_ = tty_ && !final_state;
    if (tty_ && final_state) std::fputc('\n', stderr);
    std::fflush(stderr);
  }
  // Ends a bar left open (an interrupted or failed run).
  void Close() {
    if (open_line_) std::fputc('\n', stderr);
    open_line_ = false;
  }

 private:
  using Clock = std::chrono::steady_clock;
  bool tty_;
  Clock::time_point start_, last_;
  int shown_ = 0;
  bool open_line_ = false;
};

}  // namespace

int Profile(int argc, char** argv) {
  std::string path, json_path, csv_path, html_path, trace_path;
  bool quiet = false, partition_given = false;
  profile::ProfileOptions opts;
  OptionParser p("profile", StrFormat(kProfileUsage, kPartitionOptionsHelp), "model");
  AddFlavorOption(&p, &opts.delegate.tflite_flavor);
  AddPartitionOptions(&p, &opts.delegate.partition, &partition_given);
  p.Value({"--config"}, [&](const std::string& v) {
    opts.delegate.config = v;
    opts.config_name = v;
    return true;
  });
  p.Value(
      {"--backend"},
      [&](const std::string& v) {
        StatusOr<profile::Backend> b = profile::ParseBackend(v);
        if (!b.ok()) return p.Error("--backend '%s' is not analytic, systemc or rtl", v.c_str());
        opts.backend = *b;
        return true;
      },
      " (analytic, systemc or rtl)");
  p.Flag({"--validate"}, [&] { opts.validate = true; });
  p.Value({"--json"}, [&](const std::string& v) { json_path = v; return true; });
  p.Value({"--csv"}, [&](const std::string& v) { csv_path = v; return true; });
  p.Value({"--html"}, [&](const std::string& v) { html_path = v; return true; });
  p.Value({"--trace"}, [&](const std::string& v) { trace_path = v; return true; });
  p.Flag({"--quiet", "-q"}, [&] { quiet = true; });
  p.Positional(&path);
  if (const int rc = p.Parse(argc, argv); rc >= 0) return rc;
  opts.keep_runs = !trace_path.empty();
  opts.cancel = &g_interrupted;
  ProgressDisplay display(isatty(fileno(stderr)) != 0);
  if (!quiet) opts.progress = [&display](const profile::ProfileOptions::Progress& pr) { display.Update(pr); };
  // SA_RESETHAND: a second Ctrl-C finds the default action and kills.
  struct sigaction sa = {}, old_int = {}, old_term = {};
  sa.sa_handler = OnInterrupt;
  sa.sa_flags = SA_RESETHAND;
  g_interrupted.store(false);
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  StatusOr<profile::Profile> prof = profile::ProfileModel(path, opts);
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  display.Close();
  if (!prof.ok()) return Fail(prof.status());
  auto write = [](const std::string& file, const std::string& text) {
    return WriteFile(file, std::vector<uint8_t>(text.begin(), text.end()));
  };
  struct Out {
    const std::string& path;
    std::string (*make)(const profile::Profile&);
  };
  for (const Out& o : {Out{json_path, profile::ToJson}, Out{csv_path, profile::ToCsv},
                       Out{html_path, profile::ToHtml}, Out{trace_path, profile::ToChromeTrace}}) {
    if (o.path.empty()) continue;
    Status s = write(o.path, o.make(*prof));
    if (!s.ok()) return Fail(s);
  }
  if (!quiet) std::fputs(profile::FormatText(*prof).c_str(), stdout);
  if (prof->partial) {
    std::fprintf(stderr, "systole profile: interrupted; the report is partial\n");
    return 130;
  }
  return 0;
}

}  // namespace cli
}  // namespace systole
