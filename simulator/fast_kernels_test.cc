// The vectorised loops of the C++ models against the plain definitions:
// every MATMUL kernel this CPU runs against the triple loop of the ISA
// (odd k, C not a multiple of the vector width, extreme int8 values, zero
// pairs), and the three integer POSTPROC modes against common/fixed_point.h
// on random and edge-case operands (INT32_MIN, shifts of +-31, saturation).
#include "simulator/fast_kernels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <vector>

#include "common/fixed_point.h"
#include "common/test_seed.h"
#include "common/xorshift32.h"

namespace systole::sim {
namespace {

int8_t RandomInt8(Xorshift32& rng) {
  // A third extreme values or zero, the rest uniform.
  switch (rng.Next() % 9) {
    case 0: return -128;
    case 1: return 127;
    case 2: return 0;
    default: return static_cast<int8_t>(rng.Next());
  }
}

class MatmulKernelTest : public ::testing::TestWithParam<const char*> {
 protected:
  void TearDown() override { UseMatmulKernelForTesting(""); }
};

TEST_P(MatmulKernelTest, EqualsTripleLoop) {
  if (!UseMatmulKernelForTesting(GetParam())) GTEST_SKIP() << GetParam() << " not available on this CPU";
  Xorshift32 rng(TestSeed("MatmulKernelTest", 0x3a7c));
  const int shapes[][2] = {{1, 2}, {2, 2}, {3, 5}, {7, 16}, {16, 17}, {33, 40}, {64, 64}, {255, 256}, {256, 256}};
  for (const auto& shape : shapes) {
    const int k = shape[0], cols = shape[1], stride = cols + 3;
    // 9-bit weights (LOAD_WEIGHTS u8 = 1 gives [-255, 255]), extremes included.
    std::vector<int16_t> w(size_t(k) * stride);
    for (int16_t& v : w) {
      const uint32_t pick = rng.Next() % 6;
      v = pick == 0 ? int16_t{255} : pick == 1 ? int16_t{-255} : pick == 2 ? int16_t(int(rng.Next() % 511) - 255)
                                                               : int16_t{RandomInt8(rng)};
    }
    PackedWeights pw;
    pw.Pack(w.data(), k, cols, stride);
    ASSERT_GE(pw.padded_cols(), cols);
    std::vector<int32_t> y(pw.padded_cols());
    for (int row = 0; row < 20; ++row) {
      std::vector<int8_t> x(k);
      for (int8_t& v : x) v = row == 0 ? 0 : row == 1 ? -128 : RandomInt8(rng);
      if (row == 2) std::fill(x.begin(), x.begin() + k / 2, 0);  // leading zero pairs
      pw.DotRow(x.data(), y.data());
      for (int c = 0; c < pw.padded_cols(); ++c) {
        int32_t want = 0;
        if (c < cols)
          for (int r = 0; r < k; ++r) want += int32_t{x[r]} * w[size_t(r) * stride + c];
        ASSERT_EQ(y[c], want) << "k=" << k << " cols=" << cols << " row=" << row << " c=" << c;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, MatmulKernelTest, ::testing::Values("portable", "avx2", "avx512bw"));

TEST(FastKernelsTest, UnknownMatmulKernelIsRefused) { EXPECT_FALSE(UseMatmulKernelForTesting("sse9")); }

int32_t Reference(RequantMode mode, int32_t v, int32_t m, int32_t s) {
  switch (mode) {
    case RequantMode::kDoubleRound: return MultiplyByQuantizedMultiplier(v, m, s);
    case RequantMode::kSingleRound: return MultiplyByQuantizedMultiplierSingleRound(v, m, s);
    case RequantMode::kHalfUp: return MultiplyByQuantizedMultiplierRuyX86(v, m, s);
  }
  return 0;
}

class RequantKernelTest : public ::testing::TestWithParam<const char*> {
 protected:
  void TearDown() override { UseRequantKernelForTesting(""); }
};

TEST_P(RequantKernelTest, RequantRowEqualsFixedPoint) {
  if (!UseRequantKernelForTesting(GetParam())) GTEST_SKIP() << GetParam() << " not available on this CPU";
  Xorshift32 rng(TestSeed("RequantRowEqualsFixedPoint", 0x51e7));
  const int32_t special[] = {0, 1, -1, INT32_MIN, INT32_MAX, 1 << 30, -(1 << 30), 12345, -98765};
  auto pick = [&](int32_t random) {
    const uint32_t r = rng.Next() % 4;
    return r == 0 ? special[rng.Next() % (sizeof(special) / sizeof(special[0]))] : random;
  };
  for (RequantMode mode : {RequantMode::kDoubleRound, RequantMode::kSingleRound, RequantMode::kHalfUp}) {
    for (int trial = 0; trial < 400; ++trial) {
      const uint32_t n = 1 + rng.Next() % 70;
      std::vector<int32_t> acc(n), bias(n), mult(n), shift(n);
      for (uint32_t c = 0; c < n; ++c) {
        acc[c] = pick(static_cast<int32_t>(rng.Next()) >> (rng.Next() % 24));
        bias[c] = pick(static_cast<int32_t>(rng.Next()) >> (rng.Next() % 24));
        mult[c] = pick(rng.Next() % 2 ? static_cast<int32_t>((1u << 30) + rng.Next() % (1u << 30))
                                      : static_cast<int32_t>(rng.Next()));
        shift[c] = rng.Next() % 4 == 0 ? (rng.Next() % 2 ? 31 : -31) : static_cast<int32_t>(rng.Next() % 63) - 31;
      }
      const int32_t zp = static_cast<int32_t>(rng.Next() % 256) - 128;
      const int32_t lo = -128 + static_cast<int32_t>(rng.Next() % 64), hi = 127 - static_cast<int32_t>(rng.Next() % 64);
      std::vector<uint8_t> out(n);
      RequantRow(mode, acc.data(), bias.data(), mult.data(), shift.data(), n, zp, lo, hi, out.data());
      for (uint32_t c = 0; c < n; ++c) {
        const int32_t v = static_cast<int32_t>(static_cast<uint32_t>(acc[c]) + static_cast<uint32_t>(bias[c]));
        const int32_t q = static_cast<int32_t>(static_cast<uint32_t>(Reference(mode, v, mult[c], shift[c])) +
                                               static_cast<uint32_t>(zp));
        const uint8_t want = static_cast<uint8_t>(std::min(std::max(q, lo), hi));
        ASSERT_EQ(out[c], want) << "mode " << int(mode) << " v=" << v << " m=" << mult[c] << " s=" << shift[c];
      }
    }
  }
}
INSTANTIATE_TEST_SUITE_P(Kernels, RequantKernelTest, ::testing::Values("portable", "avx2"));

TEST(FastKernelsTest, UnknownRequantKernelIsRefused) { EXPECT_FALSE(UseRequantKernelForTesting("sse9")); }

}  // namespace
}  // namespace systole::sim
