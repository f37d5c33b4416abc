// Block test of rtl/systole_pool.sv (8 lanes): random windows (1..16 taps) of
// MAXPOOL and AVGPOOL, back to back, taps arriving one cycle after their read
// flags; each pooled pixel is checked against the reference (max; TFLite's
// rounded average, sign(s) * ((|s| + taps/2) / taps); clamp) when valid_o
// pulses, POOL_LATENCY = 2 cycles after the window's last tap arrived.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <utility>
#include <memory>
#include <vector>

#include "Vsystole_pool.h"
#include "common/xorshift32.h"
#include "rtl/sim/rtl_test_util.h"
#include "rtl/sim/rtl_unit_test_util.h"

namespace systole::rtl {
namespace {

TEST(PoolTest, MaxAndAverageWindows) {
  VerilatedContext ctx;
  auto m = std::make_unique<Vsystole_pool>(&ctx);
  m->rd_i = 0;
  Reset(m.get());
  Xorshift32 rng(TestSeed("PoolTest.MaxAndAverageWindows", 0x9001u));
  for (const bool avg : {false, true}) {
    const int kh = 1 + rng.Next() % 4, kw = 1 + rng.Next() % 4, taps = kh * kw;
    const int pixels = 12;
    const int8_t lo = avg ? -90 : -128, hi = avg ? 100 : 127;
    m->avg_i = avg;
    m->taps_i = taps;
    m->act_min_i = static_cast<uint8_t>(lo);
    m->act_max_i = static_cast<uint8_t>(hi);
    std::vector<std::vector<int8_t>> tap(pixels * taps, std::vector<int8_t>(kUnitCols));
    for (auto& v : tap)
      for (int8_t& b : v) b = static_cast<int8_t>(rng.Next());
    std::deque<std::pair<int, std::vector<int8_t>>> want;  // (due cycle, pixel)
    int got = 0;
    const int reads = pixels * taps;
    for (int t = 0; t < reads + 4; ++t) {
      m->rd_i = t < reads;
      m->first_i = t < reads && t % taps == 0;
      m->last_i = t < reads && t % taps == taps - 1;
      const int d = t - isa::kMemReadLatency;  // tap arriving
      for (int c = 0; c < kUnitCols; ++c)
        SetBits(m->data_i, 8 * c, 8, d >= 0 && d < reads ? uint8_t(tap[d][c]) : rng.Next() & 0xFF);
      m->clk_i = 0;
      m->eval();
      if (m->valid_o) {
        ASSERT_FALSE(want.empty()) << "cycle " << t;
        EXPECT_EQ(want.front().first, t) << "pixel " << got;
        for (int c = 0; c < kUnitCols; ++c)
          EXPECT_EQ(int8_t(m->out_o[c]), want.front().second[c]) << (avg ? "AVG" : "MAX") << " pixel " << got << " lane " << c;
        want.pop_front();
        ++got;
      }
      // The window whose last tap arrives now: its result is due POOL_LATENCY later.
      if (d >= 0 && d < reads && d % taps == taps - 1) {
        std::vector<int8_t> out(kUnitCols);
        for (int c = 0; c < kUnitCols; ++c) {
          int32_t r = 0;
          if (avg) {
            int32_t s = 0;
            for (int k = d - taps + 1; k <= d; ++k) s += tap[k][c];
            const int32_t q = (std::abs(s) + taps / 2) / taps;
            r = s > 0 ? q : -q;
          } else {
            r = -128;
            for (int k = d - taps + 1; k <= d; ++k) r = std::max<int32_t>(r, tap[k][c]);
          }
          out[c] = static_cast<int8_t>(std::clamp<int32_t>(r, lo, hi));
        }
        want.emplace_back(t + isa::kPoolLatency, out);
      }
      Tick(m.get());
    }
    EXPECT_EQ(got, pixels);
  }
}

}  // namespace
}  // namespace systole::rtl
