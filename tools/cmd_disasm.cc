// systole disasm FILE: an executable's (.sysx) or a compiled model's listing.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "compiler/compiler.h"
#include "driver/driver.h"
#include "interpreter/model.h"
#include "interpreter/tensor_io.h"
#include "tools/cli.h"

namespace systole {
namespace cli {
namespace {

constexpr char kDisasmUsage[] =
    "usage: systole disasm FILE\n"
    "\n"
    "FILE is a Systole executable (.sysx) or a compiled .tflite (systole compile):\n"
    "prints the executable's header, configuration, tensor bindings and instruction\n"
    "streams; for a .tflite, of every SYSTOLE op.\n";

}  // namespace

int Disasm(int argc, char** argv) {
  std::string path;
  OptionParser p("disasm", kDisasmUsage, "file");
  p.Positional(&path);
  if (const int rc = p.Parse(argc, argv); rc >= 0) return rc;
  std::vector<uint8_t> bytes;
  Status s = ReadFile(path, &bytes);
  if (!s.ok()) return Fail(s);
  if (bytes.size() >= 8 && std::memcmp(bytes.data() + 4, "SYSX", 4) == 0) {
    auto text = driver::DisassembleExecutable(bytes.data(), bytes.size());
    if (!text.ok()) return Fail(Annotate(text.status(), path));
    std::fputs(text->c_str(), stdout);
    return 0;
  }
  if (bytes.size() < 8 || std::memcmp(bytes.data() + 4, "TFL3", 4) != 0) {
    return Fail(InvalidArgument("%s: neither a Systole executable (identifier SYSX) nor a .tflite "
                                "model (TFL3)",
                                path.c_str()));
  }
  auto model_or = Model::FromFile(path);
  if (!model_or.ok()) return Fail(model_or.status());
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
    if (!text.ok()) return Fail(Annotate(text.status(), StrFormat("%s: operator %d", path.c_str(), i)));
    std::fputs(text->c_str(), stdout);
  }
  if (found == 0) {
    return Fail(InvalidArgument("%s: the model has no %s ops (compile it with systole compile)",
                                path.c_str(), compiler::kCustomOpName));
  }
  return 0;
}

}  // namespace cli
}  // namespace systole
