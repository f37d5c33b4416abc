#include "common/xorshift32.h"

#include <gtest/gtest.h>

namespace systole {
namespace {

// The test vector published in ../shared/oracle/README.md.
TEST(Xorshift32Test, MatchesOracleSeed1) {
  Xorshift32 rng(1);
  EXPECT_EQ(rng.Next(), 0x51086638u);
  EXPECT_EQ(rng.Next(), 0xe426533fu);
  EXPECT_EQ(rng.Next(), 0xe67527ffu);
  EXPECT_EQ(rng.Next(), 0x13d631fau);
}

TEST(Xorshift32Test, FirstBytesOfSeed1) {
  Xorshift32 rng(1);
  const int expected[] = {56, 63, 255, 250, 206, 231, 202, 13};
  for (int e : expected) EXPECT_EQ(rng.NextByte(), e);
}

TEST(Xorshift32Test, SeedEqualToGoldenRatioConstantDoesNotStick) {
  Xorshift32 rng(0x9E3779B9u);  // state would be 0: replaced by the constant
  EXPECT_NE(rng.Next(), 0u);
}

}  // namespace
}  // namespace systole
