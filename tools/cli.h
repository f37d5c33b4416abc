// The systole command line: one option parser for every command
// (OptionParser), the option groups several commands share, and the
// commands (each in its own file: cmd_run.cc, cmd_compile.cc, cmd_disasm.cc,
// cmd_inspect.cc, cmd_make_model.cc, cmd_devices.cc; systole_main.cc dispatches).
//
// Conventions every command follows (the parser enforces them):
//   * --help / -h prints the command's usage on stdout, exit 0;
//   * a missing argument prints the usage on stderr, exit 2;
//   * an option error names the command, the option, the value and the rule
//     ("systole run: --seed 'abc' is not an integer in [0, 4294967295]"),
//     exit 2; a failure while working prints "error: ..." and exits 1.
#ifndef SYSTOLE_TOOLS_CLI_H_
#define SYSTOLE_TOOLS_CLI_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/sha256.h"
#include "common/status.h"
#include "common/tflite_flavor.h"
#include "delegate/systole_delegate.h"

namespace systole {
namespace cli {

class OptionParser {
 public:
  // `cmd` is the command's name ("run"); `usage` its full --help text;
  // `positional_noun` what the one positional argument is ("model", "file").
  OptionParser(std::string cmd, std::string usage, std::string positional_noun);

  // An option without a value.
  void Flag(std::vector<std::string> names, std::function<void()> on);
  // An option with a value (the next argument). `on` checks the value; on a
  // bad one it reports with Error() and returns false. `values_hint` is added
  // to the message when the value is missing, e.g. " (ruy, x86 or xnnpack)".
  void Value(std::vector<std::string> names, std::function<bool(const std::string&)> on,
             std::string values_hint = "");
  // The one positional argument (required).
  void Positional(std::string* out) { positional_ = out; }

  // Parses argv[0, argc). Returns -1 when the command should go on, else its
  // exit code (0 after --help, 2 after an error, which is printed).
  int Parse(int argc, char** argv);

  // Prints "systole CMD: MESSAGE" on stderr; returns false.
  bool Error(const char* fmt, ...) SYSTOLE_PRINTF_ATTR(2, 3);
  // Prints the usage on stderr (a required argument is missing); returns 2.
  int UsageError() const;

  const std::string& cmd() const { return cmd_; }
  const std::string& usage() const { return usage_; }

 private:
  struct Option {
    std::vector<std::string> names;
    bool takes_value;
    std::function<void()> on_flag;
    std::function<bool(const std::string&)> on_value;
    std::string values_hint;
  };
  const Option* Find(const std::string& arg) const;

  std::string cmd_, usage_, positional_noun_;
  std::vector<Option> options_;
  std::string* positional_ = nullptr;
};

// "error: MESSAGE" on stderr; returns 1 (the exit code of a failed command).
int Fail(const Status& s);

// Decimal digits only, at most `max`.
bool ParseUint(const std::string& s, uint64_t max, uint64_t* out);

// --allow, --deny, --min-partition-ops, --max-partitions (run, compile).
// `*given` becomes true when one of them is used.
extern const char kPartitionOptionsHelp[];
void AddPartitionOptions(OptionParser* p, delegate::PartitionOptions* o, bool* given);
// --tflite-flavor ruy|x86|xnnpack (run, compile).
void AddFlavorOption(OptionParser* p, TfliteFlavor* flavor);

// The commands: argv holds the arguments after the command's name.
int Run(int argc, char** argv);
int Compile(int argc, char** argv);
int Disasm(int argc, char** argv);
int Inspect(int argc, char** argv);
int MakeModel(int argc, char** argv);
int Devices(int argc, char** argv);
int Serve(int argc, char** argv);
int Profile(int argc, char** argv);
int Sweep(int argc, char** argv);

}  // namespace cli
}  // namespace systole

#endif  // SYSTOLE_TOOLS_CLI_H_
