#include "tests/test_util.h"

#include <cctype>
#include <fstream>
#include <sstream>

#include "common/sha256.h"
#include "interpreter/interpreter.h"
#include "interpreter/model.h"
#include "interpreter/op_resolver.h"
#include "interpreter/tensor_io.h"

namespace systole {
namespace testing {

std::string SharedDir() { return SYSTOLE_SHARED_DIR; }
bool FlavorReproduced(TfliteFlavor) { return true; }

std::string GoldenDir(TfliteFlavor flavor) {
  const std::string base = SYSTOLE_GOLDEN_DIR;
  return flavor == TfliteFlavor::kRuy ? base : base + "/" + TfliteFlavorName(flavor);
}

StatusOr<RunResult> RunOnCpu(const std::vector<uint8_t>& model_bytes, uint32_t seed, TfliteFlavor flavor,
                             const std::string& name) {
  ASSIGN_OR_RETURN(std::unique_ptr<Model> model, Model::FromBuffer(model_bytes, name));
  BuiltinOpResolver resolver(flavor);
  ASSIGN_OR_RETURN(std::unique_ptr<Interpreter> interp, Interpreter::Create(*model, resolver));
  RETURN_IF_ERROR(interp->AllocateTensors());
  RETURN_IF_ERROR(FillInputsFromSeed(interp.get(), seed));
  RunResult r;
  for (int t : interp->inputs()) {
    const TfLiteTensor* tt = interp->tensor(t);
    const auto* p = reinterpret_cast<const uint8_t*>(tt->data.raw_const);
    r.inputs.emplace_back(p, p + tt->bytes);
  }
  RETURN_IF_ERROR(interp->Invoke());
  for (int t : interp->outputs()) {
    const TfLiteTensor* tt = interp->tensor(t);
    const auto* p = reinterpret_cast<const uint8_t*>(tt->data.raw_const);
    r.outputs.emplace_back(p, p + tt->bytes);
  }
  return r;
}

StatusOr<nlohmann::json> LoadJson(const std::string& path) {
  std::ifstream f(path);
  if (!f) return NotFound("%s: cannot open", path.c_str());
  nlohmann::json j = nlohmann::json::parse(f, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return DataLoss("%s: not valid JSON", path.c_str());
  return j;
}

namespace {
int64_t ElementAt(const std::vector<uint8_t>& bytes, const std::string& dtype, size_t i) {
  if (dtype == "int8") return static_cast<int8_t>(bytes[i]);
  if (dtype == "uint8") return bytes[i];
  if (dtype == "int32") {
    int32_t v;
    std::memcpy(&v, bytes.data() + 4 * i, 4);
    return v;
  }
  return bytes[i];
}
}  // namespace

std::string CompareWithGolden(const RunResult& run, const nlohmann::json& entry) {
  std::ostringstream msg;
  if (!entry.contains("outputs")) return "golden entry has no outputs (the oracle could not run it)";
  // The native x86-64 goldens record no inputs (they were made from the
  // oracle's xorshift32 inputs, the ones RunOnCpu generates); the others do.
  static const nlohmann::json kNone = nlohmann::json::array();
  const auto& ins = entry.contains("inputs") ? entry.at("inputs") : kNone;
  if (entry.contains("inputs") && ins.size() != run.inputs.size()) {
    msg << "golden has " << ins.size() << " inputs, model has " << run.inputs.size();
    return msg.str();
  }
  for (size_t i = 0; i < ins.size(); ++i) {
    if (Sha256Hex(run.inputs[i].data(), run.inputs[i].size()) != ins[i].value("sha256", "")) {
      msg << "input " << i << " bytes differ from the oracle's (input generator mismatch)";
      return msg.str();
    }
  }
  const auto& outs = entry["outputs"];
  if (outs.size() != run.outputs.size()) {
    msg << "golden has " << outs.size() << " outputs, model has " << run.outputs.size();
    return msg.str();
  }
  for (size_t i = 0; i < outs.size(); ++i) {
    const auto& o = outs[i];
    const std::vector<uint8_t>& got = run.outputs[i];
    if (Sha256Hex(got.data(), got.size()) == o.value("sha256", "")) continue;
    msg << "output " << i << " ('" << o.value("name", "") << "') differs from TFLite";
    const std::string dtype = o.value("dtype", "");
    const size_t esize = dtype == "int32" || dtype == "float32" ? 4 : 1;
    const nlohmann::json* vals = o.contains("values") ? &o["values"]
                                 : o.contains("first_values") ? &o["first_values"] : nullptr;
    if (got.size() != o.value("bytes", size_t{0})) {
      msg << ": " << got.size() << " bytes, TFLite has " << o.value("bytes", 0);
    } else if (vals && dtype != "float32") {
      int mismatches = 0;
      for (size_t k = 0; k < vals->size() && k * esize < got.size(); ++k) {
        const int64_t want = (*vals)[k].get<int64_t>();
        const int64_t have = ElementAt(got, dtype, k);
        if (want != have) {
          if (mismatches < 5) msg << "; [" << k << "] = " << have << ", TFLite " << want;
          ++mismatches;
        }
      }
      msg << " (" << mismatches << " of the " << vals->size() << " recorded values differ)";
    }
    return msg.str();
  }
  return "";
}

void PrintTo(const ModelSeed& p, std::ostream* os) {
  *os << p.model << " seed " << p.seed << " flavor " << TfliteFlavorName(p.flavor);
}

std::string ModelSeedName(const ModelSeed& p) {
  std::string n = p.model.substr(0, p.model.find(".tflite"));
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  n += "_seed" + std::to_string(p.seed);
  if (p.flavor != TfliteFlavor::kRuy) n += std::string("_") + TfliteFlavorName(p.flavor);
  return n;
}

std::vector<std::string> SharedModels(bool include_lstm) {
  std::vector<std::string> v = {"ad01_int8.tflite",
                                "hello_world_int8.tflite",
                                "kws_ref_model.tflite",
                                "micro_speech_quantized.tflite",
                                "mobilenet_v1_0.25_128_quant.tflite",
                                "mobilenet_v2_quantized_1x3x224x224.tflite",
                                "pretrainedResnet_quant.tflite",
                                "simple_add_model.tflite",
                                "vww_96_int8.tflite"};
  if (include_lstm) v.insert(v.end() - 1, "trained_lstm_int8.tflite");
  return v;
}

std::vector<ModelSeed> SharedModelSeeds(bool include_lstm, const std::vector<uint32_t>& seeds,
                                        const std::vector<TfliteFlavor>& flavors) {
  std::vector<ModelSeed> v;
  for (TfliteFlavor f : flavors)
    for (const std::string& m : SharedModels(include_lstm))
      for (uint32_t s : seeds) v.push_back({m, s, f});
  return v;
}

std::string SharedModelPath(const std::string& model) { return SharedDir() + "/models/" + model; }

StatusOr<nlohmann::json> SharedModelGolden(const ModelSeed& p) {
  ASSIGN_OR_RETURN(nlohmann::json golden,
                   LoadJson(GoldenDir(p.flavor) + "/models_seed" + std::to_string(p.seed) + ".json"));
  const std::string key = "models/" + p.model;
  if (!golden.contains("models") || !golden["models"].contains(key))
    return NotFound("no %s golden for %s, seed %u (regenerate: tests/golden/regen_goldens.sh or "
                    "import_native_goldens.sh)",
                    TfliteFlavorName(p.flavor), p.model.c_str(), p.seed);
  return golden["models"][key];
}

}  // namespace testing
}  // namespace systole
