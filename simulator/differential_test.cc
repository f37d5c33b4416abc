// Randomised differential tests: a few hundred legal programs (GEMM, conv,
// depthwise, pooling, elementwise, LUT) on the functional model and the
// SystemC model, checked bit for bit against each other and the TFLite-style
// reference kernels; the analytic estimator is measured against SystemC.
// Seed logged; replay with SYSTOLE_SEED=<seed>.
#include <gtest/gtest.h>

#include <cmath>

#include "arch/estimator.h"
#include "simulator/device.h"
#include "simulator/functional_model.h"
#include "simulator/test_util.h"

namespace systole::sim {
namespace {

using testing::HostBuffers;
using testing::OpCase;
using testing::OpKind;

class DifferentialTest : public ::testing::TestWithParam<int> {};

TEST_P(DifferentialTest, FunctionalSystemCAndReferenceAgree) {
  const int n = GetParam();
  DeviceConfig cfg = DeviceConfig::Small(n);
  cfg.link = (n == 8) ? LinkConfig::Usb3() : LinkConfig::PcieGen2x1();
  auto dev = Device::Create(cfg);
  ASSERT_TRUE(dev.ok());
  Xorshift32 rng(testing::TestSeed("DifferentialTest", 1000 + n));
  const int kPrograms = 150;
  double max_err = 0, sum_err = 0;
  for (int i = 0; i < kPrograms; ++i) {
    const auto kind = static_cast<OpKind>(rng.Next() % static_cast<uint32_t>(OpKind::kNumKinds));
    OpCase oc = testing::MakeCase(kind, cfg, rng);
    SCOPED_TRACE(::testing::Message() << "program " << i << ": " << oc.name);

    FunctionalModel fm(cfg);
    HostBuffers fh(oc);
    StatusOr<FunctionalStats> fr = fm.Run(oc.program, fh.host);
    ASSERT_TRUE(fr.ok()) << fr.status().ToString();
    ASSERT_EQ(testing::Diff(oc.expected, fh.output()), "") << "functional vs reference";

    HostBuffers sh(oc);
    StatusOr<PerfCounters> sr = (*dev)->Run(oc.program, sh.host);
    ASSERT_TRUE(sr.ok()) << sr.status().ToString();
    ASSERT_EQ(testing::Diff(oc.expected, sh.output()), "") << "SystemC vs reference";
    EXPECT_EQ(fr->macs, sr->macs);
    EXPECT_EQ(fr->bytes_loaded, sr->bytes_loaded);
    EXPECT_EQ(fr->bytes_stored, sr->bytes_stored);

    StatusOr<Estimate> est = EstimateCycles(oc.program, cfg, sh.host);
    ASSERT_TRUE(est.ok());
    const double err = std::fabs(double(est->cycles) - double(sr->cycles)) / double(sr->cycles);
    max_err = std::max(max_err, err);
    sum_err += err;
  }
  std::printf("estimator vs SystemC over %d programs: mean error %.4f%%, max %.4f%%\n", kPrograms,
              100 * sum_err / kPrograms, 100 * max_err);
  EXPECT_LT(max_err, 0.02);
}

INSTANTIATE_TEST_SUITE_P(Arrays, DifferentialTest, ::testing::Values(8, 16));

}  // namespace
}  // namespace systole::sim
