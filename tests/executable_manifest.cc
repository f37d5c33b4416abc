// executable_manifest: compiles every shared model (edge and tiny) and every
// per-op case (edge) in the ruy, x86 and xnnpack flavors, and prints the sha256 of each
// executable the compiler writes, one line each:
//
//   <config> <flavor> <model or case> p<partition>.s<step> <bytes> <sha256>
//
// Models the compiler maps nothing of print "-" in place of the partition.
// tests/manifest/executables.txt is this output at the last intended change of
// the compiler's output; the ctest `executable_manifest_unchanged` fails when
// any executable changes (regenerate: scripts/executable_manifest.sh, then
// review and commit the diff). Refactors must leave it byte-identical.
//
//   executable_manifest [--shared DIR]      (default: SYSTOLE_SHARED_DIR)
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "common/sha256.h"
#include "delegate/compile_model.h"
#include "interpreter/tensor_io.h"
#include "tests/op_cases/op_case.h"
#include "tests/test_util.h"

namespace {

using systole::TfliteFlavor;

int Emit(const std::string& config, TfliteFlavor flavor, const std::string& name,
         const std::vector<uint8_t>& model) {
  systole::delegate::DelegateOptions o;
  o.config = config;
  o.tflite_flavor = flavor;
  auto compiled = systole::delegate::CompileModel(model, name, o);
  if (!compiled.ok()) {
    std::printf("%s %s %s error %s\n", config.c_str(), systole::TfliteFlavorName(flavor), name.c_str(),
                compiled.status().message().c_str());
    return 1;
  }
  bool any = false;
  for (size_t p = 0; p < compiled->plan.partitions.size(); ++p) {
    const auto& steps = compiled->plan.partitions[p].steps;
    for (size_t s = 0; s < steps.size(); ++s) {
      any = true;
      std::printf("%s %s %s p%zu.s%zu %zu %s\n", config.c_str(), systole::TfliteFlavorName(flavor), name.c_str(), p,
                  s, steps[s].executable_bytes(),
                  systole::Sha256Hex(steps[s].executable_data(), steps[s].executable_bytes()).c_str());
    }
  }
  if (!any) std::printf("%s %s %s - 0 -\n", config.c_str(), systole::TfliteFlavorName(flavor), name.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string shared = SYSTOLE_SHARED_DIR;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--shared" && i + 1 < argc) {
      shared = argv[++i];
    } else if (a == "--help" || a == "-h") {
      std::printf("usage: executable_manifest [--shared DIR]\n"
                  "Prints the sha256 of every executable the compiler writes for the shared models\n"
                  "(edge, tiny) and the per-op cases (edge), flavors ruy, x86 and xnnpack.\n");
      return 0;
    } else {
      std::fprintf(stderr, "executable_manifest: unknown argument '%s'\n", a.c_str());
      return 2;
    }
  }
  const std::vector<std::string> models = systole::testing::SharedModels(/*include_lstm=*/true);
  int errors = 0;
  for (TfliteFlavor flavor : {TfliteFlavor::kRuy, TfliteFlavor::kX86, TfliteFlavor::kXnnpack}) {
    for (const char* config : {"edge", "tiny"}) {
      for (const std::string& m : models) {
        std::vector<uint8_t> bytes;
        const std::string path = shared + "/models/" + m;
        if (!std::filesystem::exists(path) || !systole::ReadFile(path, &bytes).ok()) {
          std::printf("%s %s %s missing\n", config, systole::TfliteFlavorName(flavor), m.c_str());
          continue;
        }
        errors += Emit(config, flavor, m, bytes);
      }
    }
    for (const systole::testing::OpCase& c : systole::testing::AllOpCases()) {
      errors += Emit("edge", flavor, c.name, c.model);
    }
  }
  return errors == 0 ? 0 : 1;
}
