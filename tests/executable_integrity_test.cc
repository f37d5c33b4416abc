// Integrity of compiled executables (docs/executable.md, "Integrity"): small
// models are compiled, their executables damaged byte by byte (deterministic
// seeds), and each damaged executable must either be refused by Load() with
// an "executable..." error, or load and run to exactly the outputs of the
// undamaged executable (the bytes changed lay outside what the digest covers,
// e.g. a binding or op name). Never a crash, a hang or a silent wrong answer.
//
// Models: per-op cases of several operator families and graph cases
// (tests/op_cases, always present) and, when ../shared/models is there, two
// small shared models (skipped with a message otherwise). The in-process
// "sim" device runs everything.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/test_seed.h"
#include "common/xorshift32.h"
#include "delegate/compile_model.h"
#include "driver/driver.h"
#include "interpreter/tensor_io.h"
#include "schema/executable_generated.h"
#include "tests/op_cases/op_case.h"
#include "tests/test_util.h"

namespace systole {
namespace testing {
namespace {

using Outputs = std::vector<std::vector<uint8_t>>;

struct NamedExecutable {
  std::string name;  // model, partition and step
  std::vector<uint8_t> bytes;
};

// Every executable the compiler writes for `model` (default options: edge).
std::vector<NamedExecutable> CompileExecutables(const std::string& name, const std::vector<uint8_t>& model,
                                                sim::DeviceConfig* hw) {
  std::vector<NamedExecutable> out;
  StatusOr<delegate::CompiledModel> compiled = delegate::CompileModel(model, name, delegate::DelegateOptions());
  EXPECT_TRUE(compiled.ok()) << name << ": " << compiled.status().ToString();
  if (!compiled.ok()) return out;
  *hw = compiled->hw;
  for (size_t p = 0; p < compiled->plan.partitions.size(); ++p) {
    const auto& steps = compiled->plan.partitions[p].steps;
    for (size_t s = 0; s < steps.size(); ++s)
      out.push_back({name + " p" + std::to_string(p) + ".s" + std::to_string(s),
                     std::vector<uint8_t>(steps[s].executable_data(),
                                          steps[s].executable_data() + steps[s].executable_bytes())});
  }
  return out;
}

// Runs a loaded executable once with inputs drawn from `seed`.
StatusOr<Outputs> RunOnce(driver::Device& dev, driver::LoadedExecutable& e, uint32_t seed) {
  Xorshift32 rng(seed);
  Outputs ins, outs;
  std::vector<const uint8_t*> in_ptrs;
  std::vector<uint8_t*> out_ptrs;
  for (const auto& t : e.inputs()) {
    ins.emplace_back(t.size);
    for (uint8_t& b : ins.back()) b = static_cast<uint8_t>(rng.Next());
  }
  for (const auto& t : e.outputs()) outs.emplace_back(t.size, 0xEE);
  for (auto& v : ins) in_ptrs.push_back(v.data());
  for (auto& v : outs) out_ptrs.push_back(v.data());
  RETURN_IF_ERROR(dev.Run(e, in_ptrs, out_ptrs).status());
  return outs;
}

// [begin, end) of a byte vector field inside the executable's bytes.
struct Span {
  size_t begin = 0, end = 0;
  bool empty() const { return begin == end; }
};
Span SpanOf(const std::vector<uint8_t>& bytes, const flatbuffers::Vector<uint8_t>* v) {
  if (v == nullptr || v->size() == 0) return {};
  const size_t at = static_cast<size_t>(v->data() - bytes.data());
  return {at, at + v->size()};
}

// The tallies the test prints and checks.
struct Tally {
  int corrupted = 0;
  int refused = 0;       // Load() failed (with an "executable..." message)
  int same = 0;          // loaded and ran to the undamaged outputs
  int wrong = 0;         // loaded, then gave other outputs or failed to run: must stay 0
  std::map<std::string, int> reasons;  // refusals by the first words of their message
};

// The message's part and rule, for the summary: "executable: digest
// mismatch", "executable: format version 17922" etc.
std::string Reason(const std::string& message) {
  const size_t end = message.find_first_of(":,(", std::string("executable: ").size());
  return message.substr(0, std::min<size_t>(end, 48));
}

// Damages `exe` `n` times (each time 1-4 bytes, anywhere, or inside the
// parameters, or inside the instructions) and checks every outcome.
void Corrupt(driver::Device& dev, const NamedExecutable& exe, int n, Xorshift32& rng, Tally* tally) {
  StatusOr<std::unique_ptr<driver::LoadedExecutable>> good = dev.Load(exe.bytes.data(), exe.bytes.size());
  ASSERT_TRUE(good.ok()) << exe.name << ": the undamaged executable: " << good.status().ToString();
  StatusOr<Outputs> want = RunOnce(dev, **good, 5);
  ASSERT_TRUE(want.ok()) << exe.name << ": the undamaged executable: " << want.status().ToString();
  const exe::Executable* fb = exe::GetExecutable(exe.bytes.data());
  const Span params = SpanOf(exe.bytes, fb->parameters());
  std::vector<Span> code;
  for (const exe::Chunk* c : *fb->chunks()) code.push_back(SpanOf(exe.bytes, c->instructions()));
  for (int i = 0; i < n; ++i) {
    std::vector<uint8_t> b = exe.bytes;
    // A third of them where the issue found its silent wrong answers (the
    // parameters), a sixth in the instructions, the rest anywhere.
    Span where{0, b.size()};
    const int kind = i % 6;
    if (kind < 2 && !params.empty()) where = params;
    if (kind == 2) where = code[rng.Next() % code.size()];
    const int flips = 1 + static_cast<int>(rng.Next() % 4);
    while (b == exe.bytes)
      for (int f = 0; f < flips; ++f)
        b[where.begin + rng.Next() % (where.end - where.begin)] = static_cast<uint8_t>(rng.Next());
    ++tally->corrupted;
    const std::string what = exe.name + " corruption " + std::to_string(i);
    StatusOr<std::unique_ptr<driver::LoadedExecutable>> loaded = dev.Load(b.data(), b.size());
    if (!loaded.ok()) {
      const std::string m = loaded.status().message();
      ++tally->refused;
      ++tally->reasons[Reason(m)];
      EXPECT_EQ(m.rfind("executable", 0), 0u) << what << ": refused without naming the executable: " << m;
      continue;
    }
    StatusOr<Outputs> got = RunOnce(dev, **loaded, 5);
    if (!got.ok()) {
      ++tally->wrong;
      ADD_FAILURE() << what << ": loaded but failed to run: " << got.status().ToString();
      continue;
    }
    if (*got != *want) {
      ++tally->wrong;
      ADD_FAILURE() << what << ": SILENT WRONG ANSWER: loaded and ran to other outputs";
      continue;
    }
    ++tally->same;
  }
}

void Report(const char* what, const Tally& t) {
  std::printf("%s: %d corrupted executables: %d refused at Load, %d ran to the undamaged outputs, %d wrong\n", what,
              t.corrupted, t.refused, t.same, t.wrong);
  for (const auto& [reason, count] : t.reasons) std::printf("  %5d  %s\n", count, reason.c_str());
}

// The first op case of each of these families (the name prefix before '/').
const char* const kFamilies[] = {"conv_2d",  "depthwise_conv_2d", "fully_connected", "add",
                                 "mul",      "softmax",           "logistic",        "max_pool_2d",
                                 "mean",     "concatenation",     "hard_swish",      "resize_bilinear",
                                 "graph"};

TEST(ExecutableIntegrity, CorruptedOpCaseExecutablesAreRefusedOrHarmless) {
  const uint32_t seed = TestSeed("ExecutableIntegrity.CorruptedOpCaseExecutablesAreRefusedOrHarmless", 2026);
  Xorshift32 rng(seed);
  std::vector<NamedExecutable> exes;
  sim::DeviceConfig hw;
  const OpCaseList cases = AllOpCases();
  for (const char* family : kFamilies) {
    for (const OpCase& c : cases) {
      if (c.name.rfind(std::string(family) + "/", 0) != 0) continue;
      std::vector<NamedExecutable> e = CompileExecutables(c.name, c.model, &hw);
      if (e.empty()) continue;  // nothing mapped to the accelerator: try the family's next case
      exes.insert(exes.end(), e.begin(), e.end());
      break;
    }
  }
  ASSERT_GE(exes.size(), 12u);
  StatusOr<std::unique_ptr<driver::Device>> dev = driver::Device::Open("sim", hw);
  ASSERT_TRUE(dev.ok()) << dev.status().ToString();
  Tally t;
  for (const NamedExecutable& e : exes) Corrupt(**dev, e, 30, rng, &t);
  Report("op cases", t);
  EXPECT_GE(t.corrupted, 150);
  EXPECT_EQ(t.wrong, 0);
  EXPECT_EQ(t.refused + t.same, t.corrupted);
  EXPECT_GT(t.refused, 0);
}

TEST(ExecutableIntegrity, CorruptedSharedModelExecutablesAreRefusedOrHarmless) {
  const uint32_t seed = TestSeed("ExecutableIntegrity.CorruptedSharedModelExecutablesAreRefusedOrHarmless", 2027);
  Xorshift32 rng(seed);
  Tally t;
  for (const char* model : {"hello_world_int8.tflite", "micro_speech_quantized.tflite"}) {
    const std::string path = SharedModelPath(model);
    if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not found: ../shared/models is absent";
    std::vector<uint8_t> bytes;
    ASSERT_TRUE(ReadFile(path, &bytes).ok()) << path;
    sim::DeviceConfig hw;
    std::vector<NamedExecutable> exes = CompileExecutables(model, bytes, &hw);
    ASSERT_FALSE(exes.empty()) << model;
    StatusOr<std::unique_ptr<driver::Device>> dev = driver::Device::Open("sim", hw);
    ASSERT_TRUE(dev.ok()) << dev.status().ToString();
    for (const NamedExecutable& e : exes) Corrupt(**dev, e, 60, rng, &t);
  }
  Report("shared models", t);
  EXPECT_EQ(t.wrong, 0);
  EXPECT_EQ(t.refused + t.same, t.corrupted);
}

}  // namespace
}  // namespace testing
}  // namespace systole
