// Test-only: load a model written with the model builder into the CPU
// interpreter (ruy flavor) and check that Prepare refuses it for a stated
// reason. Shared by the kernel tests that check malformed models.
#ifndef SYSTOLE_INTERPRETER_KERNELS_KERNEL_TEST_UTIL_H_
#define SYSTOLE_INTERPRETER_KERNELS_KERNEL_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "interpreter/interpreter.h"
#include "interpreter/model.h"
#include "interpreter/op_resolver.h"
#include "testing/model_builder.h"

namespace systole::testing {

// Keeps the model alive as long as the interpreter.
struct Loaded {
  std::unique_ptr<Model> model;
  std::unique_ptr<Interpreter> interp;
};

// Finishes `mb`, loads it and allocates its tensors (which prepares every node).
inline Status Load(ModelBuilder* mb, Loaded* out) {
  std::vector<uint8_t> bytes = mb->Finish();
  EXPECT_TRUE(mb->ok()) << mb->error();
  auto model = Model::FromBuffer(std::move(bytes));
  if (!model.ok()) return model.status();
  out->model = std::move(*model);
  static const BuiltinOpResolver resolver(TfliteFlavor::kRuy);
  auto interp = Interpreter::Create(*out->model, resolver);
  if (!interp.ok()) return interp.status();
  out->interp = std::move(*interp);
  return out->interp->AllocateTensors();
}

// Loading `mb` fails with a message that contains `needle`.
inline void ExpectRejected(ModelBuilder* mb, const std::string& needle) {
  Loaded l;
  const Status s = Load(mb, &l);
  ASSERT_FALSE(s.ok()) << "expected a refusal containing \"" << needle << "\"";
  EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
}

}  // namespace systole::testing

#endif  // SYSTOLE_INTERPRETER_KERNELS_KERNEL_TEST_UTIL_H_
