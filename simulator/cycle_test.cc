// Cycle counts against first principles (docs/accelerator.md, "GEMM closed
// form"): an M x K by K x N tile on an R x C weight-stationary array with no
// memory stalls takes LOAD_WEIGHTS = R + 1 and MATMUL = M + R + C cycles
// (fill R, stream M, drain C - 1, plus one cycle of memory read latency).
#include <algorithm>
#include <gtest/gtest.h>

#include <memory>

#include "arch/estimator.h"
#include "arch/program.h"
#include "simulator/device.h"

namespace systole::sim {
namespace {

struct Shape {
  int R, C, M, K, N;
};

// The small device with an R x C array.
DeviceConfig ArrayConfig(const Shape& s) {
  DeviceConfig cfg = DeviceConfig::Small(8);
  cfg.rows = s.R;
  cfg.cols = s.C;
  return cfg;
}
StatusOr<std::unique_ptr<Device>> MakeDevice(const Shape& s) { return Device::Create(ArrayConfig(s)); }

TEST(CycleTest, GemmTileMatchesClosedForm) {
  for (Shape s : {Shape{8, 8, 1, 8, 8}, Shape{8, 8, 37, 5, 3}, Shape{16, 16, 100, 16, 16},
                  Shape{8, 16, 20, 8, 16}, Shape{16, 8, 9, 11, 7}, Shape{64, 64, 256, 64, 64}}) {
    SCOPED_TRACE(::testing::Message() << s.R << "x" << s.C << " array, M=" << s.M);
    auto dev = MakeDevice(s);
    ASSERT_TRUE(dev.ok());
    // UINT8 weights (u8 = 1, the 9-bit weight path) load in the same cycles.
    for (int variant = 0; variant < 4; ++variant) {
      const bool u8 = variant >= 2, ff = variant % 2 == 0;
      ProgramBuilder pb;
      pb.Add(isa::LoadWeightsArgs{uint32_t(s.K), uint32_t(s.N), 0, uint32_t(s.N), u8, u8 ? 255u : 0u});
      pb.Add(isa::MatmulArgs{uint32_t(s.M), uint32_t(s.K), false, 0, 0, uint32_t(s.M), uint32_t(s.K), 0});
      ASSERT_TRUE(pb.status().ok());
      HostMemory host;
      RunOptions opt;
      opt.fast_forward = ff;
      StatusOr<PerfCounters> r = (*dev)->Run(pb.words(), host, opt);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      const uint64_t load_weights = s.R + 1;
      const uint64_t fill = s.R, stream = s.M, drain = s.C - 1, mem_latency = 1;
      const uint64_t matmul = fill + stream + drain + mem_latency;
      EXPECT_EQ(r->compute.busy, load_weights + matmul);
      // One cycle of fetch before the first instruction can start.
      EXPECT_EQ(r->cycles, 1 + load_weights + matmul);
      EXPECT_EQ(r->macs, uint64_t(s.M) * s.K * s.C);
    }
  }
}

// Shadow weights (docs/accelerator.md): a K-split GEMM tile, two weight tiles
// accumulated into the same rows. Serially, LOAD_WEIGHTS + MATMUL twice costs
// 2(R + 1) + 2(M + R + C); with PRELOAD_WEIGHTS the second weight load runs
// inside the first MATMUL (its PBUF rows, four a cycle, in that MATMUL's cycles 0..ceil(R/4)-1), so
// it costs 1 cycle instead of R + 1, and the MATMULs are unchanged. The same
// with UINT8 weight tiles (u8 = 1, w_zp: the 9-bit weight path) on both loads.
TEST(CycleTest, ShadowWeightsHideTheSecondWeightLoad) {
  const Shape shapes[] = {Shape{8, 8, 1, 8, 8}, Shape{8, 8, 37, 5, 3}, Shape{16, 8, 9, 11, 7},
                         Shape{64, 64, 49, 64, 64}};
  for (int variant = 0; variant < 8; ++variant) {
    const Shape s = shapes[variant % 4];
    const int u8 = variant / 4;
    SCOPED_TRACE(::testing::Message() << s.R << "x" << s.C << " array, M=" << s.M << (u8 ? ", uint8 weights" : ""));
    auto dev = MakeDevice(s);
    ASSERT_TRUE(dev.ok());
    ProgramBuilder pb;
    const uint32_t w1 = uint32_t(s.K * s.N);
    const uint32_t zp = u8 ? 131u : 0u;
    pb.Add(isa::LoadWeightsArgs{uint32_t(s.K), uint32_t(s.N), 0, uint32_t(s.N), uint32_t(u8), zp});
    pb.Add(isa::PreloadWeightsArgs{uint32_t(s.K), uint32_t(s.N), w1, uint32_t(s.N), uint32_t(u8), zp});
    pb.Add(isa::MatmulArgs{uint32_t(s.M), uint32_t(s.K), false, 0, 0, uint32_t(s.M), uint32_t(s.K), 0});
    isa::MatmulArgs second{uint32_t(s.M), uint32_t(s.K), true, 0, uint32_t(s.M * s.K), uint32_t(s.M),
                           uint32_t(s.K), 0};
    second.take_shadow = true;
    pb.Add(second);
    ASSERT_TRUE(pb.status().ok());
    HostMemory host;
    const uint64_t load_weights = s.R + 1, preload = 1;
    const uint64_t matmul = s.R + s.M + (s.C - 1) + 1;  // fill, stream, drain, memory latency
    // The second MATMUL is accepted max(M, ceil(R/4), ceil((R+C-2)/8)) + 1
    // cycles after the first (pipelined issue, ISA 8): its fill runs under
    // the first one's drain.
    const uint64_t issue = std::max({s.M, (s.R + 3) / 4, (s.R + s.C - 2 + 7) / 8}) + 1;
    const uint64_t busy = load_weights + preload + issue + matmul;
    EXPECT_EQ(busy + s.R + (matmul - issue), 2 * load_weights + 2 * matmul);  // R + drain saved
    for (bool ff : {true, false}) {
      RunOptions opt;
      opt.fast_forward = ff;
      StatusOr<PerfCounters> r = (*dev)->Run(pb.words(), host, opt);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_EQ(r->compute.busy, busy);
      EXPECT_EQ(r->cycles, 1 + busy);  // one cycle of fetch first
      EXPECT_EQ(r->macs, 2 * uint64_t(s.M) * s.K * s.C);
    }
    StatusOr<Estimate> est = EstimateCycles(pb.words(), ArrayConfig(s), host);
    ASSERT_TRUE(est.ok()) << est.status().ToString();
    EXPECT_EQ(est->cycles, 1 + busy);
    EXPECT_EQ(est->compute_busy, busy);
  }
}

// A POSTPROC runs beside MATMULs on other accumulator rows (arch/issue.h):
// on a 16x16 array, MATMUL A (rows 0..M-1), MATMUL B (rows 64..), POSTPROC of
// A, MATMUL C (rows 128..) and the POSTPROC of B. Worked out from the
// formulas (L = 1, REQUANT_LATENCY = 5): MATMUL T = M + R + C, issue interval
// O = max(M, R, C) + 1; POSTPROC T = ceil(M / POSTPROC_ROWS) + 9 = Tp, O = 3.
//   A at 0; B at O = M + 1 (M >= 16); A is done at M + 31, B's interval ends at
//   2M + 2: POSTPROC(A) at 2M + 2; C at 2M + 5 (3 later: beside it);
//   POSTPROC(B) waits for B's done (2M + 32) and for POSTPROC(A)'s
//   (2M + 1 + Tp): at max(2M + 33, 2M + 2 + Tp, C's interval end 3M + 6).
// With C on A's rows instead, C must wait for POSTPROC(A) to finish.
TEST(CycleTest, PostprocRunsBesideMatmulsOnOtherRows) {
  const Shape s{16, 16, 40, 16, 16};
  const uint64_t M = s.M, T_mm = M + s.R + s.C, T_pp = (M + isa::kPostprocRows - 1) / isa::kPostprocRows + 9;
  for (bool conflict : {false, true}) {
    SCOPED_TRACE(conflict ? "MATMUL C on POSTPROC(A)'s rows" : "MATMUL C on its own rows");
    auto dev = MakeDevice(s);
    ASSERT_TRUE(dev.ok());
    ProgramBuilder pb;
    auto mm = [&](uint32_t acc, uint32_t a) {
      pb.Add(isa::MatmulArgs{uint32_t(M), uint32_t(s.K), false, acc, a, uint32_t(M), uint32_t(s.K), 0});
    };
    auto pp = [&](uint32_t acc, uint32_t dst) {
      pb.Add(isa::PostprocArgs{uint32_t(M), uint32_t(s.N), acc, dst, uint32_t(s.N), 0, 0, -128, 127});
    };
    pb.Add(isa::LoadWeightsArgs{uint32_t(s.K), uint32_t(s.N), 0, uint32_t(s.N)});
    mm(0, 0);
    mm(64, 0);
    pp(0, 4096);
    mm(conflict ? 0 : 128, 0);
    pp(64, 8192);
    ASSERT_TRUE(pb.status().ok());
    const uint64_t lw = s.R + 1;  // LOAD_WEIGHTS first (serial), then the timeline above shifted by lw
    const uint64_t pa = lw + 2 * M + 2, c = conflict ? pa + T_pp : pa + 3;
    const uint64_t pb_start = std::max({lw + 2 * M + 33, pa + T_pp, c + M + 1});
    const uint64_t end = std::max({c + T_mm, pb_start + T_pp});
    HostMemory host;
    std::vector<InstructionSpan> spans;
    for (bool ff : {true, false}) {
      RunOptions opt;
      opt.fast_forward = ff;
      opt.spans = &spans;
      spans.clear();
      StatusOr<PerfCounters> r = (*dev)->Run(pb.words(), host, opt);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_EQ(r->cycles, 1 + end);  // one cycle of fetch first
      std::vector<uint64_t> start(6, 0);
      for (const InstructionSpan& sp : spans) start[sp.pc] = sp.start - 1;
      EXPECT_EQ(start, (std::vector<uint64_t>{0, lw, lw + M + 1, pa, c, pb_start}));
    }
    std::vector<InstructionSpan> est_spans;
    StatusOr<Estimate> est = EstimateCycles(pb.words(), ArrayConfig(s), host, &est_spans);
    ASSERT_TRUE(est.ok()) << est.status().ToString();
    EXPECT_EQ(est->cycles, 1 + end);
  }
}

TEST(CycleTest, DmaTimeFollowsTheLinkModel) {
  // 1 MB over USB 3 (400 MB/s, 20 us) at 500 MHz: 10000 + 1250000 cycles.
  DeviceConfig cfg = DeviceConfig::Small(8);
  cfg.abuf_bytes = 2u << 20;
  cfg.link = LinkConfig::Usb3();
  auto dev = Device::Create(cfg);
  ASSERT_TRUE(dev.ok());
  std::vector<uint8_t> buf(1000000);
  HostMemory host;
  ASSERT_TRUE(host.Map(0, buf.data(), buf.size(), true, false).ok());
  ProgramBuilder pb;
  pb.Add(isa::LoadArgs{0, 0, 1, 1000000, 0, 0, 0, 0});
  StatusOr<PerfCounters> r = (*dev)->Run(pb.words(), host);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->load.busy, 10000u + 1250000u);
  EXPECT_EQ(r->cycles, 1 + 10000u + 1250000u);
  EXPECT_EQ(r->bytes_loaded, 1000000u);
}

}  // namespace
}  // namespace systole::sim
