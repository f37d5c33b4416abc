// Compute-core conformance: any ComputeCore in the device's slot must run the
// same programs as the behavioural core, bit-exact and cycle-identical (every
// PerfCounters field equal). Always instantiated for the behavioural core
// itself (checks the harness); instantiated for the Verilated RTL
// (rtl/sim/rtl_compute_core.h, MakeRtlComputeCore) when the build has it
// (SYSTOLE_HAVE_RTL_CORE, set by simulator/CMakeLists.txt).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "arch/program.h"
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

// Runs oc on both devices, clocked every cycle: the device under test's
// output is the expected one and every counter equals the reference's.
void ExpectSameAsReference(Device& ref, Device& dut, const OpCase& oc) {
  RunOptions exact;
  exact.fast_forward = false;  // clock every cycle on both sides
  HostBuffers a(oc), b(oc);
  StatusOr<PerfCounters> ra = ref.Run(oc.program, a.host, exact);
  StatusOr<PerfCounters> rb = dut.Run(oc.program, b.host, exact);
  ASSERT_TRUE(ra.ok()) << ra.status().ToString();
  ASSERT_TRUE(rb.ok()) << rb.status().ToString();
  ASSERT_EQ(testing::Diff(oc.expected, b.output()), "");
  ASSERT_EQ(ra->cycles, rb->cycles);
  ASSERT_EQ(ra->ToString(), rb->ToString());
}

TEST_P(CoreConformanceTest, RandomProgramsBitExactAndCycleIdentical) {
  auto ref = Device::Create(config());
  auto dut = Device::Create(config(), core().factory);
  ASSERT_TRUE(ref.ok() && dut.ok());
  Xorshift32 rng(testing::TestSeed("CoreConformanceTest", 77 + std::get<1>(GetParam())));
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
    ASSERT_NO_FATAL_FAILURE(ExpectSameAsReference(**ref, **dut, oc));
  }
  std::printf("%s: %d programs bit-exact and cycle-identical, %d skipped (unimplemented opcodes)\n",
              core().name.c_str(), ran, skipped);
  EXPECT_GT(ran, 0);
}

// RunOptions::cancel on every core (`systole profile --backend rtl`'s Ctrl-C):
// set by the progress callback at the first quantum (cycle 65536), in the
// middle of a long SOFTMAX (one-element rows: the row walker, the divider
// and the output stage all hold state), the run ends with CANCELLED at that
// cycle, well before max_cycles (if the cancel were ignored the run would end
// OUT_OF_RANGE there instead). The device is clean afterwards: the next
// programs are bit-exact and cycle-identical with a fresh behavioural device.
TEST_P(CoreConformanceTest, CancelMidInstructionLeavesACleanCore) {
  if (core().name != "behavioral" && std::get<1>(GetParam()) > 16)
    GTEST_SKIP() << "the RTL at 8x8 and 16x16 covers the cancel; 64x64 would take ~2 s";
  auto ref = Device::Create(config());
  auto dut = Device::Create(config(), core().factory);
  ASSERT_TRUE(ref.ok() && dut.ok());
  ProgramBuilder pb;
  pb.Add(isa::SoftmaxArgs{60000, 1, false, 0, 0, 0, 0x3F800000u, -128});  // ~2M cycles
  ASSERT_TRUE(pb.status().ok()) << pb.status().ToString();
  ASSERT_TRUE(Supported((*dut)->core(), pb.instructions()));
  std::atomic<bool> cancel{false};
  std::vector<uint64_t> seen;
  RunOptions opt;
  opt.fast_forward = false;
  opt.max_cycles = uint64_t{1} << 18;
  opt.cancel = &cancel;
  opt.progress = [&](uint64_t cycles) {
    seen.push_back(cycles);
    cancel.store(true);  // as the CLI's SIGINT handler does, mid-run
  };
  HostMemory none;
  StatusOr<PerfCounters> r = (*dut)->Run(pb.words(), none, opt);
  ASSERT_FALSE(r.ok()) << "the run ignored the cancel flag";
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled) << r.status().ToString();
  EXPECT_NE(r.status().message().find("run cancelled at cycle 65536"), std::string::npos) << r.status().ToString();
  EXPECT_EQ(seen, std::vector<uint64_t>{65536});
  Xorshift32 rng(testing::TestSeed("CoreConformanceTest.Cancel", 91 + std::get<1>(GetParam())));
  for (OpKind kind : {OpKind::kSoftmax, OpKind::kGemm, OpKind::kSoftmax}) {
    OpCase oc = testing::MakeCase(kind, config(), rng);
    SCOPED_TRACE(::testing::Message() << core().name << " after the cancel: " << oc.name);
    ASSERT_NO_FATAL_FAILURE(ExpectSameAsReference(**ref, **dut, oc));
  }
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
