// systole compile MODEL.tflite: ahead-of-time compilation, with a report.
#include <cstdio>
#include <string>
#include <vector>

#include "delegate/compile_model.h"
#include "delegate/systole_delegate.h"
#include "interpreter/tensor_io.h"
#include "tools/cli.h"

namespace systole {
namespace cli {
namespace {

constexpr char kCompileUsage[] =
    "usage: systole compile MODEL.tflite [-o OUT.tflite] [--config edge|tiny|FILE]\n"
    "                       [--tflite-flavor ruy|x86|xnnpack] [--allow OPS] [--deny OPS] [--min-partition-ops N]\n"
    "                       [--max-partitions N] [--verbose] [--quiet]\n"
    "\n"
    "Compiles MODEL ahead of time: every accelerator partition becomes one custom op\n"
    "SYSTOLE carrying its executable; ops left on the CPU stay as they are. The result\n"
    "runs with 'systole run OUT.tflite' (or any interpreter with the SYSTOLE custom op or\n"
    "the Systole delegate) and gives the same outputs as MODEL.\n"
    "\n"
    "  -o OUT.tflite            output file (default: MODEL's name + _systole.tflite,\n"
    "                           in the current directory)\n"
    "  --config C               accelerator configuration: edge (default), tiny or a\n"
    "                           JSON file (see arch/device_config.h)\n"
    "  --tflite-flavor F        whose arithmetic to reproduce bit for bit: ruy (ARM,\n"
    "                           Android, WebAssembly TFLite), x86 (x86-64 TFLite without\n"
    "                           ruy) or xnnpack (x86-64 TFLite applying XNNPACK to\n"
    "                           quantized ops). Recorded in every SYSTOLE op; the\n"
    "                           delegate refuses another flavor. Default: x86 on\n"
    "                           x86-64, else ruy (docs/flavors.md)\n"
    "%s"
    "  --verbose                list every op left on the CPU with its own reason, and\n"
    "                           every accelerator op in the cycles table\n"
    "  --quiet                  print nothing but errors\n"
    "\n"
    "Prints a report: partitions, an Operator / Count / Status table, the ops left on\n"
    "the CPU grouped by reason (one line per reason, op indices as ranges), the\n"
    "accelerator ops that take the most estimated cycles (MACs, array utilization),\n"
    "parameter memory, streamed bytes and the estimated cycles and latency.\n";

}  // namespace

int Compile(int argc, char** argv) {
  std::string path, out_path;
  bool quiet = false, verbose = false, partition_given = false;
  delegate::DelegateOptions dopts;
  OptionParser p("compile", StrFormat(kCompileUsage, kPartitionOptionsHelp), "model");
  AddFlavorOption(&p, &dopts.tflite_flavor);
  AddPartitionOptions(&p, &dopts.partition, &partition_given);
  p.Value({"-o", "--output"}, [&](const std::string& v) { out_path = v; return true; });
  p.Value({"--config"}, [&](const std::string& v) { dopts.config = v; return true; });
  p.Flag({"--quiet", "-q"}, [&] { quiet = true; });
  p.Flag({"--verbose", "-v"}, [&] { verbose = true; });
  p.Positional(&path);
  if (const int rc = p.Parse(argc, argv); rc >= 0) return rc;
  if (out_path.empty()) {
    std::string base = path.substr(path.find_last_of('/') + 1);
    const size_t dot = base.rfind(".tflite");
    if (dot != std::string::npos) base.resize(dot);
    out_path = base + "_systole.tflite";
  }
  std::vector<uint8_t> bytes;
  Status s = ReadFile(path, &bytes);
  if (!s.ok()) return Fail(s);
  auto compiled = delegate::CompileModel(bytes, path, dopts);
  if (!compiled.ok()) return Fail(compiled.status());
  s = WriteFile(out_path, compiled->tflite);
  if (!s.ok()) return Fail(s);
  if (!quiet) {
    std::fputs(delegate::FormatCompileReport(*compiled, path, out_path,
                                                   dopts.config.empty() ? "edge" : dopts.config, verbose).c_str(), stdout);
  }
  return 0;
}

}  // namespace cli
}  // namespace systole
