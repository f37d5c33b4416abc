// op_case_tool: lists the per-op test cases or writes them out for the oracle.
//
//   op_case_tool --list            one line per case: name, seed, model bytes
//   op_case_tool --write DIR       DIR/<case>.tflite for every case, plus
//                                  DIR/op_cases.json: the skeleton that
//                                  `tflite_ref.js check --update --root DIR`
//                                  fills with the real TFLite's outputs
// Used by tests/golden/regen_goldens.sh.
#include <cstdio>
#include <fstream>
#include <set>
#include <string>

#include "common/sha256.h"
#include "tests/op_cases/op_case.h"

namespace {

std::string FileNameFor(const std::string& case_name) {
  std::string f;
  for (char c : case_name) f += (c == '/') ? '.' : c;
  return f + ".tflite";
}

int Usage(FILE* out) {
  std::fputs("usage: op_case_tool --list | --write DIR\n", out);
  return out == stdout ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage(stderr);
  const std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h") return Usage(stdout);
  const systole::testing::OpCaseList cases = systole::testing::AllOpCases();
  std::set<std::string> names;
  for (const auto& c : cases) {
    if (!names.insert(c.name).second) {
      std::fprintf(stderr, "op_case_tool: duplicate case name '%s'\n", c.name.c_str());
      return 1;
    }
    if (c.model.empty()) {
      std::fprintf(stderr, "op_case_tool: case '%s' has no model (builder error)\n", c.name.c_str());
      return 1;
    }
  }
  if (cmd == "--list") {
    for (const auto& c : cases) std::printf("%s seed=%u bytes=%zu\n", c.name.c_str(), c.seed, c.model.size());
    std::printf("%zu cases\n", cases.size());
    return 0;
  }
  if (cmd == "--write" && argc == 3) {
    const std::string dir = argv[2];
    std::ofstream json(dir + "/op_cases.json");
    json << "{\n \"description\": \"Per-op goldens: outputs of the real TensorFlow Lite "
            "(../shared/oracle) for every case of tests/op_cases. Regenerate with "
            "tests/golden/regen_goldens.sh BUILD_DIR.\",\n \"root\": \".\",\n \"seed\": 1,\n"
            " \"models\": {\n";
    for (size_t i = 0; i < cases.size(); ++i) {
      const auto& c = cases[i];
      const std::string file = FileNameFor(c.name);
      std::ofstream m(dir + "/" + file, std::ios::binary);
      m.write(reinterpret_cast<const char*>(c.model.data()), static_cast<std::streamsize>(c.model.size()));
      if (!m) {
        std::fprintf(stderr, "op_case_tool: cannot write %s/%s\n", dir.c_str(), file.c_str());
        return 1;
      }
      json << "  \"" << file << "\": {\"case\": \"" << c.name << "\", \"seed\": " << c.seed
           << ", \"model_sha256\": \"" << systole::Sha256Hex(c.model.data(), c.model.size())
           << "\"}" << (i + 1 < cases.size() ? "," : "") << "\n";
    }
    json << " }\n}\n";
    std::printf("wrote %zu cases to %s\n", cases.size(), dir.c_str());
    return json ? 0 : 1;
  }
  return Usage(stderr);
}
