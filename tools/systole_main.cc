// systole: the command-line front end of the Systole SDK.
//
//   systole run MODEL.tflite [--device cpu|DEVICE] [--delegate] [--config C] [--timeout-ms N]
//                            [--input in.bin | --seed N] [--output out.bin] [--repeat N]
//   systole compile MODEL.tflite [-o OUT.tflite] [--config C] [partition options]
//   systole disasm FILE.sysx | FILE.tflite
//   systole inspect MODEL.tflite
//   systole make-model NAME [-o OUT.tflite]
//   systole devices [--remote ADDR]...
//   systole profile MODEL.tflite [--config C] [--backend analytic|systemc|rtl] [--json/--csv/--html/--trace OUT]
//   systole serve --listen unix:PATH|tcp:127.0.0.1:PORT [--backend systemc|rtl] [--config C]
//
// Each command lives in its own file (cmd_*.cc) and parses its arguments with
// the one option parser of cli.h. Input/output files use the layout of
// ../shared/oracle: the raw bytes of all input (output) tensors, concatenated
// in model order.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tools/cli.h"

namespace {

constexpr char kMainUsage[] =
    "usage: systole <command> [options]\n"
    "\n"
    "Commands:\n"
    "  run         run a .tflite model on the CPU interpreter or an accelerator device\n"
    "  compile     compile a .tflite model for the accelerator (ahead of time)\n"
    "  disasm      disassemble an executable (.sysx) or a compiled model's SYSTOLE ops\n"
    "  inspect     print a model's tensors, operators and their parameters\n"
    "  make-model  write a built-in model (mobilenet-v2-like), the same bytes every time\n"
    "  devices     list the accelerator devices attached (USB, PCIe, servers, simulator)\n"
    "  serve       run a simulated device as a server (remote:unix:PATH, remote:tcp:HOST:PORT)\n"
    "  profile     per-layer cycles, utilization, bytes and stalls of a model on the accelerator\n"
    "  sweep       profile a model over a grid of configurations (CSV, HTML, Pareto front, cluster jobs)\n"
    "\n"
    "Run 'systole <command> --help' for a command's options.\n";

struct Command {
  const char* name;
  int (*main)(int argc, char** argv);
};
constexpr Command kCommands[] = {
    {"run", systole::cli::Run},         {"compile", systole::cli::Compile},
    {"disasm", systole::cli::Disasm},   {"inspect", systole::cli::Inspect},
    {"make-model", systole::cli::MakeModel}, {"devices", systole::cli::Devices},
    {"serve", systole::cli::Serve},     {"profile", systole::cli::Profile},
    {"sweep", systole::cli::Sweep},
};

}  // namespace

int main(int argc, char** argv) {
  // SystemC prints a banner on stdout at its first elaboration, which would
  // interleave with the report; a user who sets the variable keeps control.
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", /*overwrite=*/0);
  if (argc < 2) {
    std::fputs(kMainUsage, stderr);
    return 2;
  }
  const std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::fputs(kMainUsage, stdout);
    return 0;
  }
  for (const Command& c : kCommands) {
    if (cmd == c.name) return c.main(argc - 2, argv + 2);
  }
  std::fprintf(stderr, "systole: unknown command '%s'\n%s", cmd.c_str(), kMainUsage);
  return 2;
}
