// systole inspect MODEL.tflite: a model's tensors, operators and parameters.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "compiler/compiler.h"
#include "interpreter/builtin_options.h"
#include "interpreter/model.h"
#include "interpreter/op_resolver.h"
#include "tools/cli.h"

namespace systole {
namespace cli {
namespace {

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
    const long long zp = q->zero_point() && q->zero_point()->size() ? ZeroPointAt(*q, 0) : 0;
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

}  // namespace

int Inspect(int argc, char** argv) {
  std::string path;
  OptionParser p("inspect", kInspectUsage, "model");
  p.Positional(&path);
  if (const int rc = p.Parse(argc, argv); rc >= 0) return rc;
  auto model_or = Model::FromFile(path);
  if (!model_or.ok()) return Fail(model_or.status());
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

}  // namespace cli
}  // namespace systole
