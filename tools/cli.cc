#include "tools/cli.h"

#include <cstdarg>
#include <cstdio>
#include <utility>

#include "delegate/partitioner.h"

namespace systole {
namespace cli {

OptionParser::OptionParser(std::string cmd, std::string usage, std::string positional_noun)
    : cmd_(std::move(cmd)), usage_(std::move(usage)), positional_noun_(std::move(positional_noun)) {}

void OptionParser::Flag(std::vector<std::string> names, std::function<void()> on) {
  options_.push_back(Option{std::move(names), false, std::move(on), nullptr, ""});
}

void OptionParser::Value(std::vector<std::string> names, std::function<bool(const std::string&)> on,
                         std::string values_hint) {
  options_.push_back(Option{std::move(names), true, nullptr, std::move(on), std::move(values_hint)});
}

const OptionParser::Option* OptionParser::Find(const std::string& arg) const {
  for (const Option& o : options_) {
    for (const std::string& n : o.names) {
      if (n == arg) return &o;
    }
  }
  return nullptr;
}

bool OptionParser::Error(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char buf[2048];
  std::vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  std::fprintf(stderr, "systole %s: %s\n", cmd_.c_str(), buf);
  return false;
}

int OptionParser::UsageError() const {
  std::fputs(usage_.c_str(), stderr);
  return 2;
}

int OptionParser::Parse(int argc, char** argv) {
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(usage_.c_str(), stdout);
      return 0;
    }
    if (const Option* o = Find(a)) {
      if (!o->takes_value) {
        o->on_flag();
        continue;
      }
      if (i + 1 >= argc) {
        Error("%s needs a value%s", a.c_str(), o->values_hint.c_str());
        return 2;
      }
      if (!o->on_value(argv[++i])) return 2;
      continue;
    }
    if (a.size() > 1 && a[0] == '-') {
      Error("unknown option '%s' (see systole %s --help)", a.c_str(), cmd_.c_str());
      return 2;
    }
    if (!positional_) {
      Error("unexpected argument '%s' (see systole %s --help)", a.c_str(), cmd_.c_str());
      return 2;
    }
    if (!positional_->empty()) {
      Error("more than one %s given ('%s', '%s')", positional_noun_.c_str(), positional_->c_str(),
            a.c_str());
      return 2;
    }
    *positional_ = a;
  }
  if (positional_ && positional_->empty()) return UsageError();
  return -1;
}

int Fail(const Status& s) {
  std::fprintf(stderr, "error: %s\n", s.message().c_str());
  return 1;
}

bool ParseUint(const std::string& s, uint64_t max, uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v > max) return false;
  }
  *out = v;
  return true;
}

const char kPartitionOptionsHelp[] =
    "  --allow OPS              only these builtin ops may go to the accelerator\n"
    "                           (comma-separated, e.g. CONV_2D,DEPTHWISE_CONV_2D)\n"
    "  --deny OPS               these builtin ops stay on the CPU (e.g. SOFTMAX)\n"
    "  --min-partition-ops N    partitions of fewer ops stay on the CPU (default 1)\n"
    "  --max-partitions N       offload only the N largest partitions (default 0 = all)\n";

void AddPartitionOptions(OptionParser* p, delegate::PartitionOptions* o, bool* given) {
  for (const char* name : {"--allow", "--deny"}) {
    const std::string n = name;
    p->Value({n}, [p, o, given, n](const std::string& v) {
      StatusOr<std::vector<std::string>> ops = delegate::ParseOpList(v, n);
      if (!ops.ok()) return p->Error("%s", ops.status().message().c_str());
      (n == "--allow" ? o->allow : o->deny) = *ops;
      *given = true;
      return true;
    });
  }
  for (const char* name : {"--min-partition-ops", "--max-partitions"}) {
    const std::string n = name;
    p->Value({n}, [p, o, given, n](const std::string& v) {
      const uint64_t lo = n == "--min-partition-ops" ? 1 : 0;
      uint64_t k = 0;
      if (!ParseUint(v, 1000000, &k) || k < lo) {
        return p->Error("%s '%s' is not an integer in [%llu, 1000000]", n.c_str(), v.c_str(),
                        static_cast<unsigned long long>(lo));
      }
      (n == "--min-partition-ops" ? o->min_partition_ops : o->max_partitions) = static_cast<int>(k);
      *given = true;
      return true;
    });
  }
}

void AddFlavorOption(OptionParser* p, TfliteFlavor* flavor) {
  p->Value({"--tflite-flavor"}, [p, flavor](const std::string& v) {
    StatusOr<TfliteFlavor> f = ParseTfliteFlavor(v);
    if (!f.ok()) return p->Error("--tflite-flavor: %s", f.status().message().c_str());
    *flavor = *f;
    return true;
  }, " (ruy, x86 or xnnpack)");
}

}  // namespace cli
}  // namespace systole
