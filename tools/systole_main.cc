// systole: the command-line front end of the Systole SDK.
//
//   systole run MODEL.tflite [--input in.bin | --seed N] [--output out.bin] [--repeat N]
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
    "  run      run a .tflite model on the CPU interpreter\n"
    "  inspect  print a model's tensors, operators and their parameters\n"
    "\n"
    "Run 'systole <command> --help' for a command's options.\n";

constexpr char kRunUsage[] =
    "usage: systole run MODEL.tflite [--input IN.bin | --seed N] [--output OUT.bin]\n"
    "                   [--repeat N] [--quiet]\n"
    "\n"
    "Runs MODEL on Systole's CPU interpreter (bit-exact with TensorFlow Lite).\n"
    "\n"
    "  --input IN.bin    raw bytes of all input tensors, concatenated in model order\n"
    "  --seed N          generate inputs with the oracle's xorshift32 stream (default 1)\n"
    "  --output OUT.bin  write the raw bytes of all output tensors, concatenated\n"
    "  --repeat N        invoke N times and report timing (default 1)\n"
    "  --quiet           print nothing but errors\n"
    "\n"
    "Prints the input and output tensors (shape, type, quantization, sha256 of the\n"
    "bytes), the arena size and the time per inference.\n";

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

  BuiltinOpResolver resolver;
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
    const bool supported = code == tflite::BuiltinOperator_CUSTOM
                               ? false
                               : resolver.FindBuiltin(code, oc->version()) != nullptr;
    std::printf("  [%d] %s v%d%s", i,
                code == tflite::BuiltinOperator_CUSTOM && oc->custom_code()
                    ? ("CUSTOM:" + oc->custom_code()->str()).c_str()
                    : BuiltinOperatorName(code).c_str(),
                oc->version(), supported ? "" : "  (not supported by the CPU interpreter)");
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

int Run(int argc, char** argv) {
  std::string path, input_path, output_path;
  uint64_t seed = 1, repeat = 1;
  bool have_seed = false, quiet = false;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* what) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "systole run: %s needs a value\n", what);
        return nullptr;
      }
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      std::fputs(kRunUsage, stdout);
      return 0;
    } else if (a == "--input") {
      const char* v = value("--input");
      if (!v) return 2;
      input_path = v;
    } else if (a == "--output") {
      const char* v = value("--output");
      if (!v) return 2;
      output_path = v;
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
    } else if (a.rfind("-", 0) == 0) {
      std::fprintf(stderr, "systole run: unknown option '%s'\n%s", a.c_str(), kRunUsage);
      return 2;
    } else if (path.empty()) {
      path = a;
    } else {
      std::fprintf(stderr, "systole run: more than one model given ('%s', '%s')\n", path.c_str(),
                   a.c_str());
      return 2;
    }
  }
  if (path.empty()) {
    std::fputs(kRunUsage, stderr);
    return 2;
  }
  if (have_seed && !input_path.empty()) {
    std::fprintf(stderr, "systole run: give either --input or --seed, not both\n");
    return 2;
  }
  auto fail = [](const Status& s) {
    std::fprintf(stderr, "error: %s\n", s.message().c_str());
    return 1;
  };
  auto model_or = Model::FromFile(path);
  if (!model_or.ok()) return fail(model_or.status());
  BuiltinOpResolver resolver;
  auto interp_or = Interpreter::Create(**model_or, resolver);
  if (!interp_or.ok()) return fail(interp_or.status());
  Interpreter& interp = **interp_or;
  Status s = interp.AllocateTensors();
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
  std::printf("device: cpu (Systole interpreter), %zu operators\n", interp.execution_plan().size());
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
  if (!output_path.empty()) std::printf("wrote %zu output bytes to %s\n", first_outputs.size(), output_path.c_str());
  return 0;
}

}  // namespace
}  // namespace systole

int main(int argc, char** argv) {
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
  std::fprintf(stderr, "systole: unknown command '%s'\n%s", cmd.c_str(), systole::kMainUsage);
  return 2;
}
