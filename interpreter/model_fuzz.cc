// libFuzzer target (clang builds only; see interpreter/CMakeLists.txt and
// "Fuzzing" in README.md): arbitrary bytes as a .tflite model through
// Model::FromBuffer, Interpreter::Create, AllocateTensors and Invoke, with the
// builtin resolver of every arithmetic flavor. A malformed model must be
// refused with a Status; nothing may crash, leak or hang.
//   build-fuzz/interpreter/model_fuzz -max_len=65536 CORPUS_DIR
// Small real models (the per-op cases written by `op_case_tool --write DIR`,
// ../shared/models/hello_world_int8.tflite) make a good seed corpus.
#include <cstdint>
#include <cstring>
#include <vector>

#include "interpreter/interpreter.h"
#include "interpreter/model.h"
#include "interpreter/op_resolver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using systole::TfliteFlavor;
  auto model = systole::Model::FromBuffer(std::vector<uint8_t>(data, data + size), "fuzz input");
  if (!model.ok()) return 0;
  const TfliteFlavor flavor = size % 3 == 0   ? TfliteFlavor::kRuy
                              : size % 3 == 1 ? TfliteFlavor::kX86
                                              : TfliteFlavor::kXnnpack;
  systole::BuiltinOpResolver resolver(flavor);
  auto interp = systole::Interpreter::Create(**model, resolver);
  if (!interp.ok()) return 0;
  systole::Interpreter& in = **interp;
  if (!in.AllocateTensors().ok()) return 0;
  // A well-formed model with 100 MB tensors is legal and simply slow (TFLite
  // runs it too); it would only make the fuzzer report timeouts.
  if (in.arena_bytes() > (8u << 20)) return 0;
  // Inputs get deterministic bytes so a run is reproducible.
  for (size_t i = 0; i < in.inputs().size(); ++i) {
    TfLiteTensor* t = in.input_tensor(static_cast<int>(i));
    if (t != nullptr && t->data.raw != nullptr) std::memset(t->data.raw, 0x5a, t->bytes);
  }
  (void)in.Invoke();
  return 0;
}
