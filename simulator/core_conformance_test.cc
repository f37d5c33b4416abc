// Compute-core conformance: any ComputeCore in the device's slot must run the
// same programs as the behavioural core, bit-exact and cycle-identical (every
// PerfCounters field equal). Always instantiated for the behavioural core
// itself (checks the harness); instantiated for the Verilated RTL
// (rtl/sim/rtl_compute_core.h, MakeRtlComputeCore) when the build has it
// (SYSTOLE_HAVE_RTL_CORE, set by simulator/CMakeLists.txt).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "arch/cycle_model.h"
#include "arch/issue.h"
#include "arch/program.h"
#include "arch/validate.h"
#include "common/fixed_point.h"
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
  // Convolutions at a larger scale: runs of back-to-back MATMULs (a
  // PRELOAD_WEIGHTS between each, take_shadow, accumulating into the same
  // ACC rows) with m = OH * OW both below and above R + C, where the issue
  // interval is max(m, ceil(R/4), ceil((R+C-2)/8)) + L (ISA 8) and up to
  // WEIGHT_BANKS MATMULs drain at once.
  Xorshift32 conv_rng(testing::TestSeed("CoreConformanceTest.Conv", 35 + std::get<1>(GetParam())));
  const int n = std::get<1>(GetParam());
  for (int i = 0; i < 6; ++i) {
    OpCase oc = testing::MakeCase(OpKind::kConv, config(), conv_rng, i % 2 == 0 ? 1 : (n <= 16 ? 3 : 6));
    SCOPED_TRACE(::testing::Message() << core().name << " conv " << i << ": " << oc.name);
    if (!Supported((*dut)->core(), oc.insns)) continue;
    ++ran;
    std::printf("%s: conv %s\n", core().name.c_str(), oc.name.c_str());
    ASSERT_NO_FATAL_FAILURE(ExpectSameAsReference(**ref, **dut, oc));
  }
  std::printf("%s: %d programs bit-exact and cycle-identical, %d skipped (unimplemented opcodes)\n",
              core().name.c_str(), ran, skipped);
  EXPECT_GT(ran, 0);
}

// Clocks `prog` through the core directly, presenting each instruction in
// the first cycle Ready(next) allows, until `dones` done pulses have come:
// the accept cycles, the done cycles (one entry per lane's pulse) and whether
// both lanes ever pulsed in one cycle.
struct CoreRun {
  std::vector<uint64_t> accept, dones;
  bool both_lanes = false;
};
CoreRun ClockThroughCore(ComputeCore& cc, const std::vector<isa::Instruction>& prog, size_t dones) {
  CoreRun r;
  size_t next = 0;
  for (uint64_t cycle = 0; cycle < 100000 && (next < prog.size() || r.dones.size() < dones); ++cycle) {
    const isa::Instruction* in = nullptr;
    if (next < prog.size() && cc.Ready(prog[next])) {
      in = &prog[next++];
      r.accept.push_back(cycle);
    }
    const uint32_t done = cc.Step(in);
    for (uint32_t bit : {kDoneArray, kDoneOther, kDonePost})
      if (done & bit) r.dones.push_back(cycle);
    r.both_lanes = r.both_lanes || (done & (done - 1)) != 0;
  }
  return r;
}

// Pipelined MATMUL issue (ISA 6), on the core directly: a run of back-to-back
// MATMULs where the weights change at every one (LOAD_WEIGHTS, then a
// PRELOAD_WEIGHTS ahead of each MATMUL, taken by the next with take_shadow),
// some accumulating into the rows the previous one wrote, m small (1..5, the
// issue interval is then that of the preload and the weight banks, ISA 8),
// including a burst of 15 MATMULs of m = 1, and large (> R + C). Each
// instruction is presented in the first cycle Ready(next) allows; the accept
// cycles must follow the contract (t, t + O, ...; a LOAD_WEIGHTS waits for
// the drain) and the done pulses come at accept + T - 1 (none for
// PRELOAD_WEIGHTS). The ACC rows are checked against a plain C++ matmul with
// the weights each MATMUL was accepted with.
TEST_P(CoreConformanceTest, PipelinedMatmulsKeepTheirOwnWeights) {
  const DeviceConfig dc = config();
  const int R = dc.core().rows, C = dc.core().cols;
  Xorshift32 rng(testing::TestSeed("CoreConformanceTest.Pipelined", 5 + std::get<1>(GetParam())));
  const int kSets = 8;  // weight tiles in PBUF, [R][C] int8 each
  std::vector<uint8_t> abuf(1 << 16), pbuf(size_t(kSets) * R * C);
  for (auto& b : abuf) b = static_cast<uint8_t>(rng.Next());
  for (auto& b : pbuf) b = static_cast<uint8_t>(rng.Next());
  const uint32_t acc_rows = 2048;
  std::vector<int32_t> acc(size_t(acc_rows) * C, 0x5A5A5A5A);
  std::vector<int32_t> want = acc;
  CoreMemories mem{abuf.data(), uint32_t(abuf.size()), pbuf.data(), uint32_t(pbuf.size()), acc.data(), acc_rows};
  auto made = core().factory(dc.core(), mem);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  ComputeCore& cc = **made;

  // The program, and the reference: W (active) and S (shadow) as int weights.
  using Tile = std::vector<int32_t>;  // [R][C]
  auto tile = [&](int set, int k, int n) {
    Tile t(size_t(R) * C, 0);
    for (int r = 0; r < k; ++r)
      for (int c = 0; c < n; ++c) t[r * C + c] = static_cast<int8_t>(pbuf[(size_t(set) * R + r) * C + c]);
    return t;
  };
  ProgramBuilder pb;
  Tile W(size_t(R) * C, 0), S = W;
  bool pending = false;
  isa::PreloadWeightsArgs pend{};
  auto preload = [&](int set, int k, int n) {
    pend = isa::PreloadWeightsArgs{uint32_t(k), uint32_t(n), uint32_t(set * R * C), uint32_t(C)};
    pending = true;
    pb.Add(pend);
  };
  auto load = [&](int set) {
    pb.Add(isa::LoadWeightsArgs{uint32_t(R), uint32_t(C), uint32_t(set * R * C), uint32_t(C)});
    W = tile(set, R, C);
  };
  uint32_t a_next = 0;
  auto matmul = [&](int m, int k, bool take, bool accumulate, uint32_t acc_addr) {
    isa::MatmulArgs mm{uint32_t(m), uint32_t(k), accumulate, acc_addr, a_next, uint32_t(m), uint32_t(k), 0};
    mm.take_shadow = take;
    pb.Add(mm);
    if (take) W = S;
    for (int i = 0; i < m; ++i)
      for (int c = 0; c < C; ++c) {
        int32_t y = 0;
        for (int r = 0; r < k; ++r) y += int32_t(int8_t(abuf[a_next + i * k + r])) * W[r * C + c];
        int32_t& dst = want[size_t(acc_addr + i) * C + c];
        dst = accumulate ? int32_t(uint32_t(dst) + uint32_t(y)) : y;
      }
    if (pending) S = tile(int(pend.pbuf_addr / (R * C)), int(pend.k), int(pend.n));
    pending = false;
    a_next += uint32_t(m * k);
  };
  const int big = R + C + 3;
  load(0);
  preload(1, R, C);
  matmul(3, R, false, false, 0);      // W0; performs preload 1
  preload(2, R - 1, C - 1);
  matmul(1, R, true, false, 16);      // W1; preload 2 (zero-filled edges)
  preload(3, R, C);
  matmul(5, R, true, true, 14);       // W2; accumulates onto rows 14..18 (16 from W1)
  preload(4, R, C);
  matmul(big, R, true, false, 100);   // W3, m > R + C
  preload(5, R, C);
  matmul(2, R, true, true, 100 + big - 1);  // W4 onto the last row of the previous
  matmul(4, R - 2, true, true, 100);  // W5 (taken); no preload pending
  preload(6, R, C);
  matmul(2 * big, R, true, false, 400);   // take again: a no-op (W = S = W5); performs preload 6
  matmul(3, R, true, false, 800);     // W6
  // A FULLY_CONNECTED-like burst (ISA 8): 14 MATMULs of m = 1, each taking
  // the set preloaded by the one before, one issue interval apart: as many
  // weight sets in flight as the banks allow, the banks and wave slots reused.
  for (int j = 0; j < 14; ++j) {
    preload(1 + (j % 6), j % 3 == 2 ? R - 3 : R, C);
    matmul(1, R, true, j % 4 == 3, 900 + j - (j % 4 == 3 ? 1 : 0));
  }
  matmul(1, R, true, false, 950);     // takes the last preload
  load(7);                            // serial: waits for the drain
  matmul(2, R, false, true, 800);     // W7
  ASSERT_TRUE(pb.status().ok()) << pb.status().ToString();
  const std::vector<isa::Instruction>& prog = pb.instructions();

  // Expected accepts and dones from the contract formulas.
  std::vector<uint64_t> want_accept, want_done;
  IssueModel issue(dc.core());
  for (const isa::Instruction& in : prog) {
    const uint64_t t = issue.EarliestAccept(in, 0);
    issue.Accept(in, t);
    want_accept.push_back(t);
    if (in.opcode() != isa::Opcode::kPreloadWeights) want_done.push_back(t + ComputeCycles(in, dc.core()) - 1);
  }
  std::sort(want_done.begin(), want_done.end());
  const CoreRun run = ClockThroughCore(cc, prog, want_done.size());
  const std::vector<uint64_t>& accept = run.accept;
  const std::vector<uint64_t>& dones = run.dones;
  EXPECT_EQ(accept, want_accept);
  EXPECT_EQ(dones, want_done);
  // The MATMUL run really overlaps: a MATMUL after a MATMUL (or after the
  // PRELOAD_WEIGHTS that follows one) starts max(m, ceil(R / PRELOAD_ROWS),
  // ceil((R + C - 2) / (WEIGHT_BANKS - 1))) + L after it (ISA 8).
  for (size_t i = 0; i + 1 < prog.size(); ++i) {
    if (prog[i].opcode() != isa::Opcode::kMatmul) continue;
    const uint64_t o =
        std::max<uint64_t>({prog[i].as<isa::MatmulArgs>().m, (uint64_t(R) + isa::kPreloadRows - 1) / isa::kPreloadRows,
                            (uint64_t(R) + C - 2 + isa::kWeightBanks - 2) / (isa::kWeightBanks - 1)}) +
        isa::kMemReadLatency;
    if (prog[i + 1].opcode() != isa::Opcode::kLoadWeights && i + 1 < accept.size()) {
      EXPECT_EQ(accept[i + 1] - accept[i], o) << "instruction " << i + 1;
    }
  }
  for (uint32_t row = 0; row < acc_rows; ++row)
    for (int c = 0; c < C; ++c)
      ASSERT_EQ(acc[size_t(row) * C + c], want[size_t(row) * C + c]) << "ACC row " << row << " lane " << c;
}

// POSTPROC beside MATMULs (ISA 6), on the core directly: POSTPROCs in one
// accumulator region while MATMULs write another, and every case of the
// accept rule (arch/issue.h): a POSTPROC waiting for the MATMUL that writes
// its rows, a MATMUL waiting for the POSTPROC reading its rows, a MATMUL
// waiting for the POSTPROC writing the ABUF bytes it reads (and computing on
// them), two POSTPROCs back to back, POSTPROCs and MATMULs that may overlap,
// 2-D POSTPROC outputs, row groups of POSTPROC_ROWS with a short last one;
// and (ISA 7) VMACC_WIDE beside a POSTPROC, waiting when it writes rows the
// POSTPROC reads or reads bytes it writes (the two completing on their own
// done lanes, in either order). Accept and done cycles against IssueModel, whether each instruction waited
// against what the rule says for it, ACC and ABUF against a plain sequential
// C++ reference. (A POSTPROC that must still be in flight when a later
// instruction comes has POSTPROC_ROWS x the rows of the MATMUL before that
// instruction: it requantizes POSTPROC_ROWS rows a cycle.)
TEST_P(CoreConformanceTest, PostprocBesideMatmuls) {
  const DeviceConfig dc = config();
  const int R = dc.core().rows, C = dc.core().cols;
  Xorshift32 rng(testing::TestSeed("CoreConformanceTest.Postproc", 9 + std::get<1>(GetParam())));
  std::vector<uint8_t> abuf(1 << 18), pbuf(size_t(R) * C + 12 * size_t(C));
  for (auto& b : abuf) b = static_cast<uint8_t>(rng.Next());
  for (auto& b : pbuf) b = static_cast<uint8_t>(rng.Next());
  // Output stage parameters (bias, mult, shift per lane) after the weights.
  const uint32_t p_par = uint32_t(R * C);
  std::vector<int32_t> bias(C), mult(C), shift(C);
  for (int c = 0; c < C; ++c) {
    bias[c] = int32_t(rng.Next() % 20001) - 10000;
    QuantizeMultiplier(0.00005 + 0.00002 * c, &mult[c], &shift[c]);
    auto put = [&](uint32_t at, int32_t v) {
      for (int b = 0; b < 4; ++b) pbuf[at + b] = uint8_t(uint32_t(v) >> (8 * b));
    };
    put(p_par + 4 * c, bias[c]);
    put(p_par + 4 * C + 4 * c, mult[c]);
    put(p_par + 8 * C + 4 * c, shift[c]);
  }
  const uint32_t P = isa::kPostprocRows;
  const uint32_t big = uint32_t(R + C + 3), S = (P * big + 63) / 64 * 64;  // S: region stride
  const uint32_t acc_rows = 6 * S;
  std::vector<int32_t> acc(size_t(acc_rows) * C, 0x5A5A5A5A);
  std::vector<uint8_t> want_abuf = abuf;
  std::vector<int32_t> want_acc = acc;
  CoreMemories mem{abuf.data(), uint32_t(abuf.size()), pbuf.data(), uint32_t(pbuf.size()), acc.data(), acc_rows};
  auto made = core().factory(dc.core(), mem);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  ComputeCore& cc = **made;

  // The program and its sequential reference (the weights: tile 0 of PBUF).
  ProgramBuilder pb;
  pb.Add(isa::LoadWeightsArgs{uint32_t(R), uint32_t(C), 0, uint32_t(C)});
  uint32_t a_next = 0;
  auto alloc = [&](uint32_t bytes) {
    const uint32_t at = a_next;
    a_next += (bytes + 63) / 64 * 64;
    return at;
  };
  auto matmul = [&](uint32_t m, uint32_t acc_addr, uint32_t a_addr) {
    pb.Add(isa::MatmulArgs{m, uint32_t(R), false, acc_addr, a_addr, m, uint32_t(R), 0});
    for (uint32_t i = 0; i < m; ++i)
      for (int c = 0; c < C; ++c) {
        int32_t y = 0;
        for (int r = 0; r < R; ++r)
          y += int32_t(int8_t(want_abuf[a_addr + i * R + r])) * int32_t(int8_t(pbuf[r * C + c]));
        want_acc[size_t(acc_addr + i) * C + c] = y;
      }
  };
  // VMACC_WIDE with the tap weights of PBUF row 0 (the weight tile's first row), vectors C bytes apart.
  auto vmacc_wide = [&](uint32_t m, uint32_t acc_addr, uint32_t a_addr, bool accumulate) {
    isa::VmaccWideArgs v;
    v.m = m;
    v.n = uint32_t(C);
    v.accumulate = accumulate;
    v.acc_addr = acc_addr;
    v.a_addr = a_addr;
    v.a_inner_count = m;
    v.a_inner_stride = uint32_t(C);
    v.a_outer_stride = 0;
    v.w_addr = 0;
    pb.Add(v);
    for (uint32_t i = 0; i < m; ++i)
      for (int c = 0; c < C; ++c) {
        const uint32_t p = uint32_t(int32_t(int8_t(want_abuf[a_addr + i * C + c])) * int32_t(int8_t(pbuf[c])));
        int32_t& a = want_acc[size_t(acc_addr + i) * C + c];
        a = int32_t((accumulate ? uint32_t(a) : 0u) + p);
      }
  };
  auto postproc = [&](uint32_t m, uint32_t acc_addr, uint32_t dst, uint32_t row_len, uint32_t pitch) {
    isa::PostprocArgs a{m, uint32_t(C), acc_addr, dst, uint32_t(C), p_par, -7, -120, 110};
    a.dst_row_len = row_len;
    a.dst_row_pitch = pitch;
    pb.Add(a);
    for (uint32_t i = 0; i < m; ++i)
      for (int c = 0; c < C; ++c) {
        const int32_t x = int32_t(uint32_t(want_acc[size_t(acc_addr + i) * C + c]) + uint32_t(bias[c]));
        const int32_t v = MultiplyByQuantizedMultiplier(x, mult[c], std::min(shift[c], 31)) - 7;
        const uint32_t at = row_len == 0 ? dst + i * C : dst + (i / row_len) * pitch + (i % row_len) * C;
        want_abuf[at + c] = uint8_t(int8_t(std::clamp(v, -120, 110)));
      }
  };
  const uint32_t A0 = alloc(big * R), A1 = alloc(big * R), A2 = alloc(big * R), A3 = alloc(2 * big * R);
  const uint32_t D1 = alloc(P * big * C), D2 = alloc((big / 3 + 1) * (3 * C + 5)), D3 = alloc(4 * C),
                 D4 = alloc((P * big / 5 + 1) * (5 * C + 3)), D5 = alloc(3 * C), D6 = alloc(big * C),
                 D7 = alloc(P * big * C), D8 = alloc(P * big * C);
  ASSERT_LE(a_next, abuf.size());
  // index: expectation (w = waits beyond the issue interval, - = does not)
  matmul(big, 0, A0);                        // 1
  postproc(P * big, 0, D1, 0, 0);            // 2 w: M1 writes its rows
  matmul(big, S, A1);                        // 3 -: other region, other bytes
  matmul(3, 1, A2);                          // 4 w: writes rows POSTPROC 2 reads
  postproc(big, S, D2, 3, 3 * C + 5);        // 5 (2-D) waits for M3 if it still drains
  matmul(4, 2 * S, D2 + C);                  // 6 w: reads bytes POSTPROC 5 writes
  postproc(4, 2 * S, D3, 0, 0);              // 7 w: M6 writes its rows
  postproc(P * big, S, D4, 5, 5 * C + 3);    // 8 w: POSTPROC 7 in flight (2-D)
  matmul(big, 3 * S, A2);                    // 9 -: beside POSTPROC 8
  postproc(3, 0, D5, 0, 0);                  // 10 w: POSTPROC 8 in flight
  matmul(2 * big, 4 * S, A3);                // 11 -: beside POSTPROC 10
  postproc(big, 3 * S, D6, 2, 2 * C);        // 12 -: beside MATMUL 11 (2-D, no padding)
  // VMACC_WIDE (serial) beside a POSTPROC (ISA 7)
  postproc(P * big, 4 * S, D7, 0, 0);        // 13 w: M11 writes its rows
  vmacc_wide(big, 2 * S, A1, false);         // 14 -: beside POSTPROC 13
  vmacc_wide(4, 4 * S + 1, A2, true);        // 15 w: writes rows POSTPROC 13 reads
  postproc(P * big, 2 * S, D8, 0, 0);        // 16 -: VW 15 waited for POSTPROC 13
  vmacc_wide(4, 5 * S, D8 + C, false);       // 17 w: reads bytes POSTPROC 16 writes
  ASSERT_TRUE(pb.status().ok()) << pb.status().ToString();
  const std::vector<isa::Instruction>& prog = pb.instructions();
  // Every instruction is valid for this memory (2-D ranges inside ABUF).
  for (const isa::Instruction& in : prog) {
    if (in.opcode() == isa::Opcode::kPostproc) {
      ASSERT_LE(PostprocEnd(in.as<isa::PostprocArgs>()), abuf.size());
    }
  }

  std::vector<uint64_t> want_accept, want_done;
  std::vector<bool> waited;
  IssueModel issue(dc.core());
  for (const isa::Instruction& in : prog) {
    const uint64_t t = issue.EarliestAccept(in, 0);
    waited.push_back(t > issue.issue_at());
    issue.Accept(in, t);
    want_accept.push_back(t);
    want_done.push_back(t + ComputeCycles(in, dc.core()) - 1);
  }
  for (size_t i : {2, 4, 6, 7, 8, 10, 13, 15, 17}) EXPECT_TRUE(waited[i]) << "instruction " << i << " should wait";
  for (size_t i : {3, 9, 11, 12, 14, 16}) EXPECT_FALSE(waited[i]) << "instruction " << i << " should not wait";
  std::sort(want_done.begin(), want_done.end());
  const CoreRun run = ClockThroughCore(cc, prog, want_done.size());
  const std::vector<uint64_t>& accept = run.accept;
  const std::vector<uint64_t>& dones = run.dones;
  const bool both = run.both_lanes;  // two lanes completed in one cycle
  EXPECT_EQ(accept, want_accept);
  EXPECT_EQ(dones, want_done);
  std::printf("%s %dx%d: %zu instructions in %llu cycles%s\n", core().name.c_str(), R, C, prog.size(),
              static_cast<unsigned long long>(dones.empty() ? 0 : dones.back() + 1),
              both ? ", two lanes done in one cycle" : "");
  for (uint32_t row = 0; row < acc_rows; ++row)
    for (int c = 0; c < C; ++c)
      ASSERT_EQ(acc[size_t(row) * C + c], want_acc[size_t(row) * C + c]) << "ACC row " << row << " lane " << c;
  for (size_t i = 0; i < abuf.size(); ++i) ASSERT_EQ(int(abuf[i]), int(want_abuf[i])) << "ABUF byte " << i;
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
