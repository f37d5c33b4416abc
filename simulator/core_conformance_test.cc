// Compute-core conformance: any ComputeCore in the device's slot must run the
// same programs as the behavioural core, bit-exact and cycle-identical (every
// PerfCounters field equal). Always instantiated for the behavioural core
// itself (checks the harness); instantiated for the Verilated RTL
// (rtl/sim/rtl_compute_core.h, MakeRtlComputeCore) when the build has it
// (SYSTOLE_HAVE_RTL_CORE, set by simulator/CMakeLists.txt).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "simulator/behavioral_core.h"
#include "simulator/device.h"
#include "simulator/test_util.h"

#ifdef SYSTOLE_HAVE_RTL_CORE
#include "arch/rtl_core.h"
#endif

namespace systole::sim {
namespace {

using testing::HostBuffers;
using testing::OpCase;
using testing::OpKind;

struct CoreUnderTest {
  std::string name;
  CoreFactory factory;
};

std::vector<CoreUnderTest> Cores() {
  std::vector<CoreUnderTest> v;
  v.push_back({"behavioral", [](const CoreConfig& c, const CoreMemories& m)
                                 -> StatusOr<std::unique_ptr<ComputeCore>> { return MakeBehavioralCore(c, m); }});
#ifdef SYSTOLE_HAVE_RTL_CORE
  v.push_back({"rtl", [](const CoreConfig& c, const CoreMemories& m) -> StatusOr<std::unique_ptr<ComputeCore>> {
                 rtl::RtlCoreOptions opt;
                 if (const char* p = std::getenv("SYSTOLE_RTL_FST")) opt.trace_path = p;
                 return rtl::MakeRtlComputeCore(c, m, opt);
               }});
#endif
  return v;
}

class CoreConformanceTest : public ::testing::TestWithParam<std::tuple<int, int>> {
 protected:
  CoreUnderTest core() const { return Cores()[std::get<0>(GetParam())]; }
  DeviceConfig config() const {
    DeviceConfig c = DeviceConfig::Small(std::get<1>(GetParam()));
    c.link = LinkConfig::PcieGen2x1();
    return c;
  }
};

// Whether the core implements every compute instruction of a program.
bool Supported(const ComputeCore& core, const std::vector<isa::Instruction>& insns) {
  for (const auto& i : insns)
    if (i.unit() == isa::Unit::kCompute && !core.Supports(i.opcode())) return false;
  return true;
}

TEST_P(CoreConformanceTest, EachInstruction) {
  auto dut = Device::Create(config(), core().factory);
  ASSERT_TRUE(dut.ok()) << dut.status().ToString();
  int ran = 0;
  for (auto& t : testing::InstructionTests(config(), 7)) {
    SCOPED_TRACE(t.name);
    if (!Supported((*dut)->core(), t.program.instructions())) {
      std::printf("skipped (not implemented by %s): %s\n", core().name.c_str(), t.name.c_str());
      continue;
    }
    ++ran;
    (*dut)->memory().Clear();
    if (t.init) t.init((*dut)->memory());
    HostMemory host;
    ASSERT_TRUE(host.Map(0, t.host_in.data(), t.host_in.size(), true, false).ok());
    ASSERT_TRUE(host.Map(2, t.host_out.data(), t.host_out.size(), false, true).ok());
    StatusOr<PerfCounters> r = (*dut)->Run(t.program.words(), host);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(t.check((*dut)->memory(), t.host_out), "");
  }
  EXPECT_GT(ran, 0);
}

TEST_P(CoreConformanceTest, RandomProgramsBitExactAndCycleIdentical) {
  auto ref = Device::Create(config());
  auto dut = Device::Create(config(), core().factory);
  ASSERT_TRUE(ref.ok() && dut.ok());
  Xorshift32 rng(testing::TestSeed("CoreConformanceTest", 77 + std::get<1>(GetParam())));
  RunOptions exact;
  exact.fast_forward = false;  // clock every cycle on both sides
  int ran = 0, skipped = 0;
  for (int i = 0; i < 60; ++i) {
    const auto kind = static_cast<OpKind>(rng.Next() % static_cast<uint32_t>(OpKind::kNumKinds));
    OpCase oc = testing::MakeCase(kind, config(), rng);
    SCOPED_TRACE(::testing::Message() << core().name << " program " << i << ": " << oc.name);
    if (!Supported((*dut)->core(), oc.insns)) {
      ++skipped;
      continue;
    }
    ++ran;
    HostBuffers a(oc), b(oc);
    StatusOr<PerfCounters> ra = (*ref)->Run(oc.program, a.host, exact);
    StatusOr<PerfCounters> rb = (*dut)->Run(oc.program, b.host, exact);
    ASSERT_TRUE(ra.ok()) << ra.status().ToString();
    ASSERT_TRUE(rb.ok()) << rb.status().ToString();
    ASSERT_EQ(testing::Diff(oc.expected, b.output()), "");
    ASSERT_EQ(ra->cycles, rb->cycles);
    ASSERT_EQ(ra->ToString(), rb->ToString());
  }
  std::printf("%s: %d programs bit-exact and cycle-identical, %d skipped (unimplemented opcodes)\n",
              core().name.c_str(), ran, skipped);
  EXPECT_GT(ran, 0);
}

std::vector<std::tuple<int, int>> Params() {
  std::vector<std::tuple<int, int>> v;
  // 8x8 and 16x16 for every core, plus one 64x64 (the default array) smoke.
  for (int c = 0; c < static_cast<int>(Cores().size()); ++c)
    for (int n : {8, 16, 64}) v.emplace_back(c, n);
  return v;
}

INSTANTIATE_TEST_SUITE_P(Cores, CoreConformanceTest, ::testing::ValuesIn(Params()),
                         [](const auto& info) {
                           return Cores()[std::get<0>(info.param)].name + "_" +
                                  std::to_string(std::get<1>(info.param));
                         });

}  // namespace
}  // namespace systole::sim
