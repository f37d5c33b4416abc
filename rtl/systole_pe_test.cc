// Unit test of rtl/systole_pe.sv against the obvious C++ MAC.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>

#include "Vsystole_pe.h"
#include "common/xorshift32.h"
#include "rtl/sim/rtl_test_util.h"
#include "rtl/sim/vl_bits.h"

namespace systole::rtl {
namespace {

TEST(SystolePe, RandomMacMatchesCpp) {
  Xorshift32 rng(TestSeed("SystolePe.RandomMacMatchesCpp", 1));
  VerilatedContext ctx;
  auto pe = std::make_unique<Vsystole_pe>(&ctx);
  Reset(pe.get());  // act_o/psum_o have no reset (datapath); w_q does
  int8_t w = 0;
  for (int i = 0; i < 20000; ++i) {
    const bool we = (rng.Next() & 7) == 0;
    const int8_t wi = static_cast<int8_t>(rng.NextByte());
    const int8_t act = static_cast<int8_t>(rng.NextByte());
    // Mostly small partial sums, sometimes near the int32 edges (wrap).
    int32_t psum = static_cast<int32_t>(rng.Next());
    if (rng.Next() & 1) psum >>= 12;
    pe->w_we_i = we;
    pe->w_i = static_cast<uint8_t>(wi);
    pe->act_i = static_cast<uint8_t>(act);
    pe->psum_i = static_cast<uint32_t>(psum);
    Tick(pe.get());
    const int32_t expect = static_cast<int32_t>(static_cast<uint32_t>(psum) +
                                                static_cast<uint32_t>(act * w));
    ASSERT_EQ(static_cast<int32_t>(pe->psum_o), expect) << "step " << i;
    ASSERT_EQ(static_cast<int8_t>(pe->act_o), act) << "step " << i;
    if (we) w = wi;  // the new weight is used from the next cycle on
  }
}

}  // namespace
}  // namespace systole::rtl
