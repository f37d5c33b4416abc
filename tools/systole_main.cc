// systole: the command-line front end of the Systole SDK.
//
//   systole run MODEL.tflite [--device sim|sim:rtl|cpu] [--delegate] [--config C]
//                            [--input in.bin | --seed N] [--output out.bin] [--repeat N]
//   systole compile MODEL.tflite [-o OUT.tflite] [--config C] [partition options]
//   systole disasm FILE.sysx | FILE.tflite
//   systole inspect MODEL.tflite
//
// Input/output files use the layout of ../shared/oracle: the raw bytes of all
// input (output) tensors, concatenated in model order.
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "common/sha256.h"
#include "compiler/compiler.h"
#include "delegate/compile_model.h"
#include "delegate/systole_delegate.h"
#include "driver/driver.h"
#include "interpreter/builtin_options.h"
#include "interpreter/interpreter.h"
#include "interpreter/kernels/kernel_util.h"
#include "interpreter/model.h"
#include "interpreter/op_resolver.h"
#include "interpreter/tensor_io.h"

namespace systole {
namespace {

constexpr char kMainUsage[] =
    "usage: systole <command> [options]\n"
    "\n"
    "Commands:\n"
    "  run      run a .tflite model on the CPU interpreter or the simulated accelerator\n"
    "  compile  compile a .tflite model for the accelerator (ahead of time)\n"
    "  disasm   disassemble an executable (.sysx) or a compiled model's SYSTOLE ops\n"
    "  inspect  print a model's tensors, operators and their parameters\n"
    "\n"
    "Run 'systole <command> --help' for a command's options.\n";

constexpr char kPartitionOptionsHelp[] =
    "  --allow OPS              only these builtin ops may go to the accelerator\n"
    "                           (comma-separated, e.g. CONV_2D,DEPTHWISE_CONV_2D)\n"
    "  --deny OPS               these builtin ops stay on the CPU (e.g. SOFTMAX)\n"
    "  --min-partition-ops N    partitions of fewer ops stay on the CPU (default 1)\n"
    "  --max-partitions N       offload only the N largest partitions (default 0 = all)\n";

constexpr char kRunUsage[] =
    "usage: systole run MODEL.tflite [--device sim|sim:rtl|cpu] [--delegate] [--config C]\n"
    "                   [--tflite-flavor ruy|x86|xnnpack]\n"
    "                   [--input IN.bin | --seed N] [--output OUT.bin] [--repeat N] [--quiet]\n"
    "                   [--allow OPS] [--deny OPS] [--min-partition-ops N] [--max-partitions N]\n"
    "\n"
    "Runs MODEL on Systole's CPU interpreter (bit-exact with TensorFlow Lite), or with\n"
    "the Systole delegate on the simulated accelerator: ops the accelerator supports\n"
    "are compiled and run there, the others on the CPU (outputs stay bit-exact).\n"
    "\n"
    "  --device D        cpu: the CPU interpreter only; sim: the SystemC device model;\n"
    "                    sim:rtl: the same with the Verilated RTL compute core. Default:\n"
    "                    sim when MODEL has SYSTOLE ops (systole compile) or --delegate\n"
    "                    is given, else cpu\n"
    "  --delegate        apply the Systole delegate (same as --device sim)\n"
    "  --config C        accelerator configuration: edge (default), tiny or a JSON file\n"
    "  --tflite-flavor F the TFLite build to be bit-exact with, on the CPU and the device:\n"
    "                    ruy (ARM, Android, WebAssembly), x86 (x86-64 without ruy) or\n"
    "                    xnnpack (x86-64 applying XNNPACK to quantized ops); default x86\n"
    "                    on x86-64, else ruy (docs/flavors.md)\n"
    "  --verbose         print the partitions and every op left on the CPU with its reason\n"
    "  --input IN.bin    raw bytes of all input tensors, concatenated in model order\n"
    "  --seed N          generate inputs with the oracle's xorshift32 stream (default 1)\n"
    "  --output OUT.bin  write the raw bytes of all output tensors, concatenated\n"
    "  --repeat N        invoke N times and report timing (default 1)\n"
    "  --quiet           print nothing but errors\n"
    "\n"
    "Partition options (with the delegate):\n"
    "%s"
    "\n"
    "Prints the number of ops on the accelerator and on the CPU, the input and output\n"
    "tensors (shape, type, quantization, sha256 of the bytes), the arena size, the time\n"
    "per inference and, on a device, its performance counters.\n";

constexpr char kCompileUsage[] =
    "usage: systole compile MODEL.tflite [-o OUT.tflite] [--config edge|tiny|FILE]\n"
    "                       [--tflite-flavor ruy|x86|xnnpack] [--allow OPS] [--deny OPS] [--min-partition-ops N]\n"
    "                       [--max-partitions N] [--quiet]\n"
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
    "  --quiet                  print nothing but errors\n"
    "\n"
    "Prints a report: partitions, an Operator / Count / Status table, every op left on\n"
    "the CPU with the reason, parameter memory, streamed bytes and the estimated cycles\n"
    "and latency.\n";

constexpr char kDisasmUsage[] =
    "usage: systole disasm FILE\n"
    "\n"
    "FILE is a Systole executable (.sysx) or a compiled .tflite (systole compile):\n"
    "prints the executable's header, configuration, tensor bindings and instruction\n"
    "streams; for a .tflite, of every SYSTOLE op.\n";

constexpr char kInspectUsage[] =
    "usage: systole inspect MODEL.tflite\n"
    "\n"
    "Prints the model's input and output tensors, the operators with their counts,\n"
    "and for every operator its version, options and tensors (shape, type,\n"
    "quantization). Works for models with operators Systole cannot run.\n";

std::string TypeNameOf(tflite::TensorType t) { return tflite::EnumNameTensorType(t); }

std::string QuantString(const tflite::Tensor* t) {
  const tflite::QuantizationParameters* q = t->quantization();
  if (!q || !q->scale() || q->scale()->size() == 0) return "not quantized";
  if (q->scale()->size() == 1) {
    const long long zp = q->zero_point() && q->zero_point()->size() ? q->zero_point()->Get(0) : 0;
    return StrFormat("q(%.9g, %lld)", static_cast<double>(q->scale()->Get(0)), zp);
  }
  float lo = q->scale()->Get(0), hi = lo;
  for (float s : *q->scale()) lo = std::min(lo, s), hi = std::max(hi, s);
  return StrFormat("per-channel on axis %d: %u scales in [%.3g, %.3g]", q->quantized_dimension(),
                   q->scale()->size(), static_cast<double>(lo), static_cast<double>(hi));
}

std::string ShapeOf(const tflite::Tensor* t) {
  std::string s = "[";
  if (t->shape()) {
    for (flatbuffers::uoffset_t i = 0; i < t->shape()->size(); ++i) {
      if (i) s += ", ";
      s += std::to_string(t->shape()->Get(i));
    }
  }
  return s + "]";
}

const char* PaddingName(TfLitePadding p) {
  return p == kTfLitePaddingSame ? "SAME" : p == kTfLitePaddingValid ? "VALID" : "?";
}
const char* ActName(TfLiteFusedActivation a) {
  switch (a) {
    case kTfLiteActNone: return "NONE";
    case kTfLiteActRelu: return "RELU";
    case kTfLiteActReluN1To1: return "RELU_N1_TO_1";
    case kTfLiteActRelu6: return "RELU6";
    case kTfLiteActTanh: return "TANH";
    case kTfLiteActSignBit: return "SIGN_BIT";
    case kTfLiteActSigmoid: return "SIGMOID";
  }
  return "?";
}

std::string OptionsString(tflite::BuiltinOperator code, const tflite::Operator* op) {
  void* params = nullptr;
  Status s = ParseBuiltinOptions(code, op, &params);
  if (!s.ok()) return "invalid options: " + s.message();
  std::string r;
  switch (code) {
    case tflite::BuiltinOperator_CONV_2D: {
      auto* p = static_cast<TfLiteConvParams*>(params);
      r = StrFormat("padding=%s stride=%dx%d dilation=%dx%d activation=%s", PaddingName(p->padding),
                    p->stride_height, p->stride_width, p->dilation_height_factor,
                    p->dilation_width_factor, ActName(p->activation));
      break;
    }
    case tflite::BuiltinOperator_DEPTHWISE_CONV_2D: {
      auto* p = static_cast<TfLiteDepthwiseConvParams*>(params);
      r = StrFormat("padding=%s stride=%dx%d dilation=%dx%d depth_multiplier=%d activation=%s",
                    PaddingName(p->padding), p->stride_height, p->stride_width,
                    p->dilation_height_factor, p->dilation_width_factor, p->depth_multiplier,
                    ActName(p->activation));
      break;
    }
    case tflite::BuiltinOperator_FULLY_CONNECTED: {
      auto* p = static_cast<TfLiteFullyConnectedParams*>(params);
      r = StrFormat("activation=%s keep_num_dims=%d", ActName(p->activation), p->keep_num_dims);
      break;
    }
    case tflite::BuiltinOperator_AVERAGE_POOL_2D:
    case tflite::BuiltinOperator_MAX_POOL_2D: {
      auto* p = static_cast<TfLitePoolParams*>(params);
      r = StrFormat("filter=%dx%d padding=%s stride=%dx%d activation=%s", p->filter_height,
                    p->filter_width, PaddingName(p->padding), p->stride_height, p->stride_width,
                    ActName(p->activation));
      break;
    }
    case tflite::BuiltinOperator_ADD:
    case tflite::BuiltinOperator_SUB:
    case tflite::BuiltinOperator_MUL:
      r = StrFormat("activation=%s", ActName(*static_cast<TfLiteFusedActivation*>(params)));
      break;
    case tflite::BuiltinOperator_MEAN:
      r = StrFormat("keep_dims=%d", static_cast<TfLiteReducerParams*>(params)->keep_dims);
      break;
    case tflite::BuiltinOperator_SOFTMAX:
      r = StrFormat("beta=%g", static_cast<double>(static_cast<TfLiteSoftmaxParams*>(params)->beta));
      break;
    case tflite::BuiltinOperator_CONCATENATION: {
      auto* p = static_cast<TfLiteConcatenationParams*>(params);
      r = StrFormat("axis=%d activation=%s", p->axis, ActName(p->activation));
      break;
    }
    case tflite::BuiltinOperator_SPLIT:
      r = StrFormat("num_splits=%d", static_cast<TfLiteSplitParams*>(params)->num_splits);
      break;
    case tflite::BuiltinOperator_RESIZE_BILINEAR:
    case tflite::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR: {
      auto* p = static_cast<TfLiteResizeBilinearParams*>(params);
      r = StrFormat("align_corners=%d half_pixel_centers=%d", p->align_corners,
                    p->half_pixel_centers);
      break;
    }
    default:
      break;
  }
  std::free(params);
  return r;
}

int Inspect(int argc, char** argv) {
  std::string path;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kInspectUsage, stdout);
      return 0;
    }
    if (a.rfind("--", 0) == 0) {
      std::fprintf(stderr, "systole inspect: unknown option '%s'\n%s", a.c_str(), kInspectUsage);
      return 2;
    }
    if (!path.empty()) {
      std::fprintf(stderr, "systole inspect: more than one model given\n");
      return 2;
    }
    path = a;
  }
  if (path.empty()) {
    std::fputs(kInspectUsage, stderr);
    return 2;
  }
  auto model_or = Model::FromFile(path);
  if (!model_or.ok()) {
    std::fprintf(stderr, "error: %s\n", model_or.status().message().c_str());
    return 1;
  }
  const Model& model = **model_or;
  const tflite::SubGraph* sg = model.main_subgraph();
  const auto& tensors = *sg->tensors();
  auto tensor_line = [&](int idx) {
    if (idx < 0) return std::string("(optional, absent)");
    const tflite::Tensor* t = tensors.Get(idx);
    const bool constant = model.TensorData(idx).data != nullptr;
    return StrFormat("#%d '%s' %s %s %s%s", idx, t->name() ? t->name()->c_str() : "",
                     TypeNameOf(t->type()).c_str(), ShapeOf(t).c_str(), QuantString(t).c_str(),
                     constant ? " (constant)" : "");
  };
  std::printf("model: %s (%zu bytes, schema v%u", path.c_str(), model.bytes().size(),
              model.fb()->version());
  if (model.fb()->description()) std::printf(", \"%s\"", model.fb()->description()->c_str());
  std::printf(")\nsubgraphs: %u, tensors: %u, operators: %u\n", model.fb()->subgraphs()->size(),
              tensors.size(), sg->operators() ? sg->operators()->size() : 0);
  std::printf("\ninputs:\n");
  if (sg->inputs()) for (int t : *sg->inputs()) std::printf("  %s\n", tensor_line(t).c_str());
  std::printf("outputs:\n");
  if (sg->outputs()) for (int t : *sg->outputs()) std::printf("  %s\n", tensor_line(t).c_str());

  BuiltinOpResolver resolver(HostTfliteFlavor());  // which ops exist does not depend on the flavor
  std::map<std::string, int> counts;
  const int num_ops = sg->operators() ? static_cast<int>(sg->operators()->size()) : 0;
  for (int i = 0; i < num_ops; ++i) {
    const tflite::Operator* op = sg->operators()->Get(i);
    const tflite::BuiltinOperator code = model.BuiltinCode(op->opcode_index());
    const tflite::OperatorCode* oc = model.fb()->operator_codes()->Get(op->opcode_index());
    std::string name = code == tflite::BuiltinOperator_CUSTOM && oc->custom_code()
                           ? "CUSTOM:" + oc->custom_code()->str()
                           : BuiltinOperatorName(code);
    counts[name + " v" + std::to_string(oc->version())]++;
  }
  std::printf("\noperator counts:\n");
  for (const auto& [name, n] : counts) {
    std::printf("  %-36s x%d\n", name.c_str(), n);
  }
  std::printf("\noperators:\n");
  for (int i = 0; i < num_ops; ++i) {
    const tflite::Operator* op = sg->operators()->Get(i);
    const tflite::BuiltinOperator code = model.BuiltinCode(op->opcode_index());
    const tflite::OperatorCode* oc = model.fb()->operator_codes()->Get(op->opcode_index());
    const bool systole_op = code == tflite::BuiltinOperator_CUSTOM && oc->custom_code() &&
                            oc->custom_code()->str() == compiler::kCustomOpName;
    const bool supported = code == tflite::BuiltinOperator_CUSTOM
                               ? false
                               : resolver.FindBuiltin(code, oc->version()) != nullptr;
    std::printf("  [%d] %s v%d%s", i,
                code == tflite::BuiltinOperator_CUSTOM && oc->custom_code()
                    ? ("CUSTOM:" + oc->custom_code()->str()).c_str()
                    : BuiltinOperatorName(code).c_str(),
                oc->version(),
                systole_op  ? "  (accelerator executable: systole disasm)"
                : supported ? ""
                            : "  (not supported by the CPU interpreter)");
    const std::string opts = OptionsString(code, op);
    if (!opts.empty()) std::printf("  %s", opts.c_str());
    std::printf("\n");
    if (op->inputs()) for (int t : *op->inputs()) std::printf("      in  %s\n", tensor_line(t).c_str());
    if (op->outputs()) for (int t : *op->outputs()) std::printf("      out %s\n", tensor_line(t).c_str());
  }
  return 0;
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

std::string TensorSummary(const TfLiteTensor* t) {
  std::string q = "not quantized";
  if (const TfLiteAffineQuantization* a = kernels::AffineQuantization(t)) {
    q = a->scale->size == 1
            ? StrFormat("q(%.9g, %d)", static_cast<double>(a->scale->data[0]), a->zero_point->data[0])
            : StrFormat("per-channel (%d scales, axis %d)", a->scale->size, a->quantized_dimension);
  }
  return StrFormat("'%s' %s %s %s, %zu bytes", t->name, kernels::TypeName(t->type),
                   ShapeString(t->dims).c_str(), q.c_str(), t->bytes);
}

// Parses the partition options shared by run and compile. Returns 1 when
// argv[*i] was one of them (consumed, with its value), 0 when it was not, -1
// on an error (printed).
int ParsePartitionOption(const char* cmd, int argc, char** argv, int* i,
                         delegate::PartitionOptions* o) {
  const std::string a = argv[*i];
  if (a != "--allow" && a != "--deny" && a != "--min-partition-ops" && a != "--max-partitions") return 0;
  if (*i + 1 >= argc) {
    std::fprintf(stderr, "systole %s: %s needs a value\n", cmd, a.c_str());
    return -1;
  }
  const std::string v = argv[++*i];
  if (a == "--allow" || a == "--deny") {
    StatusOr<std::vector<std::string>> ops = delegate::ParseOpList(v, a);
    if (!ops.ok()) {
      std::fprintf(stderr, "systole %s: %s\n", cmd, ops.status().message().c_str());
      return -1;
    }
    (a == "--allow" ? o->allow : o->deny) = *ops;
    return 1;
  }
  uint64_t n = 0;
  const uint64_t lo = a == "--min-partition-ops" ? 1 : 0;
  if (!ParseUint(v, 1000000, &n) || n < lo) {
    std::fprintf(stderr, "systole %s: %s '%s' is not an integer in [%llu, 1000000]\n", cmd, a.c_str(),
                 v.c_str(), static_cast<unsigned long long>(lo));
    return -1;
  }
  (a == "--min-partition-ops" ? o->min_partition_ops : o->max_partitions) = static_cast<int>(n);
  return 1;
}

// --tflite-flavor ruy|x86|xnnpack (run and compile). Returns 1 when argv[*i]
// was it (consumed, with its value), 0 when it was not, -1 on an error
// (printed).
int ParseFlavorOption(const char* cmd, int argc, char** argv, int* i, TfliteFlavor* flavor) {
  if (std::string(argv[*i]) != "--tflite-flavor") return 0;
  if (*i + 1 >= argc) {
    std::fprintf(stderr, "systole %s: --tflite-flavor needs a value (ruy, x86 or xnnpack)\n", cmd);
    return -1;
  }
  StatusOr<TfliteFlavor> f = ParseTfliteFlavor(argv[++*i]);
  if (!f.ok()) {
    std::fprintf(stderr, "systole %s: --tflite-flavor: %s\n", cmd, f.status().message().c_str());
    return -1;
  }
  *flavor = *f;
  return 1;
}

// An argument of run or compile that no option took: the one model, or an
// error (printed) for an unknown option or a second model.
bool TakeModelArgument(const char* cmd, const std::string& a, std::string* path) {
  if (a.rfind("-", 0) == 0) {
    std::fprintf(stderr, "systole %s: unknown option '%s' (see systole %s --help)\n", cmd, a.c_str(), cmd);
    return false;
  }
  if (!path->empty()) {
    std::fprintf(stderr, "systole %s: more than one model given ('%s', '%s')\n", cmd, path->c_str(), a.c_str());
    return false;
  }
  *path = a;
  return true;
}

int CountSystoleOps(const Model& model) {
  const tflite::SubGraph* sg = model.main_subgraph();
  int n = 0;
  const int num_ops = sg->operators() ? static_cast<int>(sg->operators()->size()) : 0;
  for (int i = 0; i < num_ops; ++i) {
    const tflite::Operator* op = sg->operators()->Get(i);
    const tflite::OperatorCode* oc = model.fb()->operator_codes()->Get(op->opcode_index());
    if (model.BuiltinCode(op->opcode_index()) == tflite::BuiltinOperator_CUSTOM && oc->custom_code() &&
        oc->custom_code()->str() == compiler::kCustomOpName) {
      ++n;
    }
  }
  return n;
}

int Run(int argc, char** argv) {
  std::string path, input_path, output_path, device;
  uint64_t seed = 1, repeat = 1;
  bool have_seed = false, quiet = false, use_delegate = false;
  delegate::DelegateOptions dopts;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* what) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "systole run: %s needs a value\n", what);
        return nullptr;
      }
      return argv[++i];
    };
    const int fo = ParseFlavorOption("run", argc, argv, &i, &dopts.tflite_flavor);
    if (fo < 0) return 2;
    if (fo > 0) continue;
    const int po = ParsePartitionOption("run", argc, argv, &i, &dopts.partition);
    if (po < 0) return 2;
    if (po > 0) {
      use_delegate = true;
      continue;
    }
    if (a == "--help" || a == "-h") {
      std::printf(kRunUsage, kPartitionOptionsHelp);
      return 0;
    } else if (a == "--input") {
      const char* v = value("--input");
      if (!v) return 2;
      input_path = v;
    } else if (a == "--output") {
      const char* v = value("--output");
      if (!v) return 2;
      output_path = v;
    } else if (a == "--device") {
      const char* v = value("--device");
      if (!v) return 2;
      device = v;
      if (device != "cpu" && device != "sim" && device != "sim:rtl") {
        std::fprintf(stderr, "systole run: --device '%s' is unknown (expected cpu, sim or sim:rtl)\n", v);
        return 2;
      }
    } else if (a == "--config") {
      const char* v = value("--config");
      if (!v) return 2;
      dopts.config = v;
      use_delegate = true;
    } else if (a == "--delegate") {
      use_delegate = true;
    } else if (a == "--verbose" || a == "-v") {
      dopts.verbosity = 2;
    } else if (a == "--seed") {
      const char* v = value("--seed");
      if (!v) return 2;
      if (!ParseUint(v, UINT32_MAX, &seed)) {
        std::fprintf(stderr, "systole run: --seed '%s' is not an integer in [0, 4294967295]\n", v);
        return 2;
      }
      have_seed = true;
    } else if (a == "--repeat") {
      const char* v = value("--repeat");
      if (!v) return 2;
      if (!ParseUint(v, 1000000, &repeat) || repeat == 0) {
        std::fprintf(stderr, "systole run: --repeat '%s' is not an integer in [1, 1000000]\n", v);
        return 2;
      }
    } else if (a == "--quiet" || a == "-q") {
      quiet = true;
    } else if (!TakeModelArgument("run", a, &path)) {
      return 2;
    }
  }
  if (path.empty()) {
    std::fprintf(stderr, kRunUsage, kPartitionOptionsHelp);
    return 2;
  }
  if (have_seed && !input_path.empty()) {
    std::fprintf(stderr, "systole run: give either --input or --seed, not both\n");
    return 2;
  }
  if (device == "cpu" && use_delegate) {
    std::fprintf(stderr, "systole run: --device cpu runs no delegate; the partition options, --config "
                         "and --delegate need --device sim or sim:rtl\n");
    return 2;
  }
  auto fail = [](const Status& s) {
    std::fprintf(stderr, "error: %s\n", s.message().c_str());
    return 1;
  };
  auto model_or = Model::FromFile(path);
  if (!model_or.ok()) return fail(model_or.status());
  const int systole_ops = CountSystoleOps(**model_or);
  if (device.empty()) device = (systole_ops > 0 || use_delegate) ? "sim" : "cpu";
  if (device == "cpu" && systole_ops > 0) {
    return fail(InvalidArgument("%s has %d %s op%s compiled for the accelerator: run it with --device "
                                "sim (or sim:rtl)",
                                path.c_str(), systole_ops, compiler::kCustomOpName,
                                systole_ops == 1 ? "" : "s"));
  }
  BuiltinOpResolver resolver(dopts.tflite_flavor);
  resolver.AddCustom(compiler::kCustomOpName, *delegate::SystoleCustomOpRegistration());
  delegate::TfLiteDelegatePtr dlg(nullptr, nullptr);
  if (device != "cpu") {
    dopts.device = device;
    auto d = delegate::CreateDelegate(dopts);
    if (!d.ok()) return fail(d.status());
    dlg = std::move(*d);
  }
  auto interp_or = Interpreter::Create(**model_or, resolver);
  if (!interp_or.ok()) return fail(interp_or.status());
  Interpreter& interp = **interp_or;
  Status s;
  if (dlg) {
    s = interp.ModifyGraphWithDelegate(dlg.get());
    if (!s.ok()) return fail(s);
  }
  s = interp.AllocateTensors();
  if (!s.ok()) return fail(s);
  if (!input_path.empty()) {
    std::vector<uint8_t> data;
    s = ReadFile(input_path, &data);
    if (s.ok()) s = SetInputs(&interp, data);
    if (!s.ok()) return fail(Annotate(s, input_path));
  } else {
    s = FillInputsFromSeed(&interp, static_cast<uint32_t>(seed));
    if (!s.ok()) return fail(s);
  }
  const std::vector<uint8_t> inputs = GetInputs(interp);
  std::vector<double> times_ms;
  std::vector<uint8_t> first_outputs;
  for (uint64_t r = 0; r < repeat; ++r) {
    if (r > 0) {
      s = SetInputs(&interp, inputs);
      if (!s.ok()) return fail(s);
    }
    const auto t0 = std::chrono::steady_clock::now();
    s = interp.Invoke();
    const auto t1 = std::chrono::steady_clock::now();
    if (!s.ok()) return fail(s);
    times_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    if (r == 0) first_outputs = GetOutputs(interp);
  }
  if (!output_path.empty()) {
    s = WriteFile(output_path, first_outputs);
    if (!s.ok()) return fail(s);
  }
  if (quiet) return 0;
  std::printf("model: %s\n", path.c_str());
  std::printf("tflite flavor: %s\n", TfliteFlavorName(dopts.tflite_flavor));
  if (!dlg) {
    std::printf("device: cpu (Systole interpreter), %zu operators\n", interp.execution_plan().size());
    std::printf("ops: 0 on the accelerator, %zu on the CPU\n", interp.execution_plan().size());
  } else {
    const delegate::PartitionPlan* plan = delegate::LastPlan(dlg.get());
    std::string described = delegate::DescribeDevices(dlg.get());
    if (!described.empty() && described.back() == '\n') described.pop_back();
    std::printf("device: %s\n", described.empty() ? device.c_str() : described.c_str());
    std::printf("ops: %d on the accelerator (%zu partition%s), %d on the CPU\n", plan->accelerator_ops,
                plan->partitions.size(), plan->partitions.size() == 1 ? "" : "s", plan->cpu_ops);
    for (const delegate::OpDecision& d : plan->ops) {
      if (d.partition < 0) std::printf("  on the CPU: %s\n", d.reason.c_str());
    }
  }
  std::printf("input source: %s\n",
              input_path.empty() ? StrFormat("xorshift32 seed %llu", static_cast<unsigned long long>(seed)).c_str()
                                 : input_path.c_str());
  size_t offset = 0;
  for (size_t i = 0; i < interp.inputs().size(); ++i) {
    const TfLiteTensor* t = interp.input_tensor(static_cast<int>(i));
    std::printf("input  %zu: %s, offset %zu, sha256 %s\n", i, TensorSummary(t).c_str(), offset,
                Sha256Hex(t->data.raw_const, t->bytes).c_str());
    offset += t->bytes;
  }
  offset = 0;
  for (size_t i = 0; i < interp.outputs().size(); ++i) {
    const TfLiteTensor* t = interp.output_tensor(static_cast<int>(i));
    std::printf("output %zu: %s, offset %zu, sha256 %s\n", i, TensorSummary(t).c_str(), offset,
                Sha256Hex(first_outputs.data() + offset, t->bytes).c_str());
    offset += t->bytes;
  }
  std::printf("arena: %zu bytes (%zu without reuse)\n", interp.arena_bytes(),
              interp.unshared_activation_bytes());
  double min_ms = times_ms[0], sum = 0;
  for (double t : times_ms) min_ms = std::min(min_ms, t), sum += t;
  std::printf("time: first %.3f ms, min %.3f ms, mean %.3f ms over %zu run(s)\n", times_ms[0],
              min_ms, sum / static_cast<double>(times_ms.size()), times_ms.size());
  if (dlg) {
    const delegate::DelegateCounters c = delegate::Counters(dlg.get());
    const double n = static_cast<double>(repeat);
    auto per = [&](uint64_t v) { return static_cast<unsigned long long>(static_cast<double>(v) / n + 0.5); };
    std::printf("device counters (per inference, %zu executable run(s) in total):\n",
                static_cast<size_t>(c.runs));
    std::printf("  cycles: %llu (%.3f ms simulated at %.0f MHz)\n", per(c.cycles),
                c.seconds_simulated / n * 1e3, delegate::DelegateDeviceConfig(dlg.get()).clock_hz / 1e6);
    std::printf("  parameter-load cycles: %llu in total (cache misses)\n",
                static_cast<unsigned long long>(c.parameter_load_cycles));
    std::printf("  MACs: %llu\n", per(c.macs));
    std::printf("  bytes loaded: %llu, stored: %llu\n", per(c.bytes_loaded), per(c.bytes_stored));
    std::printf("  instructions: %llu\n", per(c.instructions));
  }
  if (!output_path.empty()) std::printf("wrote %zu output bytes to %s\n", first_outputs.size(), output_path.c_str());
  return 0;
}

int Compile(int argc, char** argv) {
  std::string path, out_path;
  bool quiet = false;
  delegate::DelegateOptions dopts;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    const int fo = ParseFlavorOption("compile", argc, argv, &i, &dopts.tflite_flavor);
    if (fo < 0) return 2;
    if (fo > 0) continue;
    const int po = ParsePartitionOption("compile", argc, argv, &i, &dopts.partition);
    if (po < 0) return 2;
    if (po > 0) continue;
    if (a == "--help" || a == "-h") {
      std::printf(kCompileUsage, kPartitionOptionsHelp);
      return 0;
    } else if (a == "-o" || a == "--output" || a == "--config") {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "systole compile: %s needs a value\n", a.c_str());
        return 2;
      }
      (a == "--config" ? dopts.config : out_path) = argv[++i];
    } else if (a == "--quiet" || a == "-q") {
      quiet = true;
    } else if (!TakeModelArgument("compile", a, &path)) {
      return 2;
    }
  }
  if (path.empty()) {
    std::fprintf(stderr, kCompileUsage, kPartitionOptionsHelp);
    return 2;
  }
  if (out_path.empty()) {
    std::string base = path.substr(path.find_last_of('/') + 1);
    const size_t dot = base.rfind(".tflite");
    if (dot != std::string::npos) base.resize(dot);
    out_path = base + "_systole.tflite";
  }
  auto fail = [](const Status& s) {
    std::fprintf(stderr, "error: %s\n", s.message().c_str());
    return 1;
  };
  std::vector<uint8_t> bytes;
  Status s = ReadFile(path, &bytes);
  if (!s.ok()) return fail(s);
  auto compiled = delegate::CompileModel(bytes, path, dopts);
  if (!compiled.ok()) return fail(compiled.status());
  s = WriteFile(out_path, compiled->tflite);
  if (!s.ok()) return fail(s);
  if (!quiet) {
    std::fputs(delegate::FormatCompileReport(*compiled, path, out_path, dopts.config).c_str(), stdout);
  }
  return 0;
}

int Disasm(int argc, char** argv) {
  std::string path;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kDisasmUsage, stdout);
      return 0;
    }
    if (a.rfind("-", 0) == 0) {
      std::fprintf(stderr, "systole disasm: unknown option '%s'\n", a.c_str());
      return 2;
    }
    if (!path.empty()) {
      std::fprintf(stderr, "systole disasm: more than one file given\n");
      return 2;
    }
    path = a;
  }
  if (path.empty()) {
    std::fputs(kDisasmUsage, stderr);
    return 2;
  }
  auto fail = [](const Status& s) {
    std::fprintf(stderr, "error: %s\n", s.message().c_str());
    return 1;
  };
  std::vector<uint8_t> bytes;
  Status s = ReadFile(path, &bytes);
  if (!s.ok()) return fail(s);
  if (bytes.size() >= 8 && std::memcmp(bytes.data() + 4, "SYSX", 4) == 0) {
    auto text = driver::DisassembleExecutable(bytes.data(), bytes.size());
    if (!text.ok()) return fail(Annotate(text.status(), path));
    std::fputs(text->c_str(), stdout);
    return 0;
  }
  if (bytes.size() < 8 || std::memcmp(bytes.data() + 4, "TFL3", 4) != 0) {
    return fail(InvalidArgument("%s: neither a Systole executable (identifier SYSX) nor a .tflite "
                                "model (TFL3)",
                                path.c_str()));
  }
  auto model_or = Model::FromFile(path);
  if (!model_or.ok()) return fail(model_or.status());
  const Model& model = **model_or;
  const tflite::SubGraph* sg = model.main_subgraph();
  const int num_ops = sg->operators() ? static_cast<int>(sg->operators()->size()) : 0;
  int found = 0;
  for (int i = 0; i < num_ops; ++i) {
    const tflite::Operator* op = sg->operators()->Get(i);
    const tflite::OperatorCode* oc = model.fb()->operator_codes()->Get(op->opcode_index());
    if (model.BuiltinCode(op->opcode_index()) != tflite::BuiltinOperator_CUSTOM || !oc->custom_code() ||
        oc->custom_code()->str() != compiler::kCustomOpName) {
      continue;
    }
    ++found;
    std::printf("%s== operator %d: %s, inputs [", found > 1 ? "\n" : "", i, compiler::kCustomOpName);
    if (op->inputs()) for (flatbuffers::uoffset_t k = 0; k < op->inputs()->size(); ++k)
      std::printf("%s%d", k ? ", " : "", op->inputs()->Get(k));
    std::printf("], outputs [");
    if (op->outputs()) for (flatbuffers::uoffset_t k = 0; k < op->outputs()->size(); ++k)
      std::printf("%s%d", k ? ", " : "", op->outputs()->Get(k));
    std::printf("]\n");
    // A copy: the executable's verifier wants its own alignment.
    std::vector<uint8_t> exe;
    if (op->custom_options()) exe.assign(op->custom_options()->begin(), op->custom_options()->end());
    auto text = driver::DisassembleExecutable(exe.data(), exe.size());
    if (!text.ok()) return fail(Annotate(text.status(), StrFormat("%s: operator %d", path.c_str(), i)));
    std::fputs(text->c_str(), stdout);
  }
  if (found == 0) {
    return fail(InvalidArgument("%s: the model has no %s ops (compile it with systole compile)",
                                path.c_str(), compiler::kCustomOpName));
  }
  return 0;
}

}  // namespace
}  // namespace systole

int main(int argc, char** argv) {
  // SystemC prints a banner on stdout at its first elaboration, which would
  // interleave with the report; a user who sets the variable keeps control.
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", /*overwrite=*/0);
  if (argc < 2) {
    std::fputs(systole::kMainUsage, stderr);
    return 2;
  }
  const std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::fputs(systole::kMainUsage, stdout);
    return 0;
  }
  if (cmd == "run") return systole::Run(argc - 2, argv + 2);
  if (cmd == "inspect") return systole::Inspect(argc - 2, argv + 2);
  if (cmd == "compile") return systole::Compile(argc - 2, argv + 2);
  if (cmd == "disasm") return systole::Disasm(argc - 2, argv + 2);
  std::fprintf(stderr, "systole: unknown command '%s'\n%s", cmd.c_str(), systole::kMainUsage);
  return 2;
}
