// The functional model: every instruction, whole operators against the
// TFLite-style references, and the estimator.
#include "simulator/functional_model.h"

#include <gtest/gtest.h>

#include "arch/cycle_model.h"
#include "arch/estimator.h"
#include "arch/validate.h"
#include "simulator/test_util.h"

namespace systole::sim {
namespace {

using testing::HostBuffers;
using testing::OpCase;
using testing::OpKind;

class FunctionalTest : public ::testing::TestWithParam<int> {
 protected:
  DeviceConfig config() const { return DeviceConfig::Small(GetParam()); }
};

TEST_P(FunctionalTest, EachInstruction) {
  for (auto& t : testing::InstructionTests(config(), 7)) {
    SCOPED_TRACE(t.name);
    FunctionalModel model(config());
    if (t.init) t.init(model.memory());
    HostMemory host;
    ASSERT_TRUE(host.Map(0, t.host_in.data(), t.host_in.size(), true, false).ok());
    ASSERT_TRUE(host.Map(2, t.host_out.data(), t.host_out.size(), false, true).ok());
    ASSERT_TRUE(t.program.status().ok()) << t.program.status().ToString();
    StatusOr<FunctionalStats> r = model.Run(t.program.words(), host);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(t.check(model.memory(), t.host_out), "");
  }
}

TEST_P(FunctionalTest, OperatorsMatchReferenceKernels) {
  Xorshift32 rng(testing::TestSeed("FunctionalTest.OperatorsMatchReferenceKernels", 11 + GetParam()));
  for (int k = 0; k < static_cast<int>(OpKind::kNumKinds); ++k)
    for (int rep = 0; rep < 6; ++rep) {
      OpCase oc = testing::MakeCase(static_cast<OpKind>(k), config(), rng);
      SCOPED_TRACE(oc.name);
      FunctionalModel model(config());
      HostBuffers hb(oc);
      StatusOr<FunctionalStats> r = model.Run(oc.program, hb.host);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      ASSERT_EQ(testing::Diff(oc.expected, hb.output()), "");
    }
}

TEST_P(FunctionalTest, IllegalProgramsAreErrors) {
  for (const auto& c : testing::IllegalPrograms(config())) {
    SCOPED_TRACE(c.name);
    FunctionalModel model(config());
    std::vector<uint8_t> in(256), out(256);
    HostMemory host;
    ASSERT_TRUE(host.Map(0, in.data(), in.size(), true, false).ok());
    ASSERT_TRUE(host.Map(2, out.data(), out.size(), false, true).ok());
    StatusOr<FunctionalStats> r = model.Run(c.program, host);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), c.code) << r.status().ToString();
    EXPECT_NE(r.status().message().find(c.needle), std::string::npos) << r.status().ToString();
  }
}

INSTANTIATE_TEST_SUITE_P(Arrays, FunctionalTest, ::testing::Values(8, 16));

TEST(FunctionalModelTest, RandomWordsNeverCrash) {
  // Fuzz the decode/validate boundary: random words must give a status.
  const DeviceConfig cfg = DeviceConfig::Small(8);
  Xorshift32 rng(testing::TestSeed("FunctionalModelTest.RandomWordsNeverCrash", 5));
  std::vector<uint8_t> in(256), out(256);
  HostMemory host;
  ASSERT_TRUE(host.Map(0, in.data(), in.size(), true, false).ok());
  ASSERT_TRUE(host.Map(2, out.data(), out.size(), false, true).ok());
  int legal = 0;
  for (int i = 0; i < 3000; ++i) {
    isa::InsnWord w;
    for (auto& x : w.w) x = (uint64_t{rng.Next()} << 32) | rng.Next();
    // Keep a known opcode and clear a random subset of bits to reach deeper checks.
    isa::SetBits(&w, 0, 8, rng.Next() % 16);
    for (auto& x : w.w) x &= (uint64_t{rng.Next()} << 32) | rng.Next();
    for (auto& x : w.w) x &= (uint64_t{rng.Next()} << 32) | rng.Next();
    // Legal words are executed too, unless they are legitimately huge (a
    // 65535-pixel pool with a 255x255 window is legal and slow).
    StatusOr<isa::Instruction> insn = DecodeAndValidate(w, 0, cfg, host);
    if (insn.ok() && insn->unit() == isa::Unit::kCompute && ComputeCycles(*insn, cfg.core()) > 100000) continue;
    FunctionalModel model(cfg);
    const bool ok = model.Run({w}, host).ok();
    EXPECT_EQ(ok, insn.ok());
    legal += ok;
  }
  std::printf("random words accepted: %d of 3000\n", legal);
}

}  // namespace
}  // namespace systole::sim
