// Block test of rtl/systole_rowwalk.sv, the row walker of the softmax and L2
// units: random row lengths and periods, run_i with random stalls, accept_i
// (a new instruction) at random points, against a cycle-by-cycle reference:
// ph counts 0 .. row_t - 1 while running, and src advances by len after the
// last cycle of each row.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>

#include "Vsystole_rowwalk.h"
#include "common/test_seed.h"
#include "common/xorshift32.h"
#include "rtl/sim/rtl_test_util.h"

namespace systole::rtl {
namespace {

TEST(RowwalkTest, RowsStallsAndRestarts) {
  VerilatedContext ctx;
  auto m = std::make_unique<Vsystole_rowwalk>(&ctx);
  m->accept_i = 0;
  m->run_i = 0;
  Reset(m.get());
  EXPECT_EQ(m->ph_o, 0u);
  EXPECT_EQ(m->src_o, 0u);

  Xorshift32 rng(TestSeed("RowwalkTest.RowsStallsAndRestarts", 0x7a11u));
  uint32_t ph = 0, src = 0, len = 0, row_t = 1;
  int rows_done = 0;
  for (int t = 0; t < 20000; ++t) {
    const bool accept = t == 0 || rng.Next() % 300 == 0;
    if (accept) {
      len = 1 + rng.Next() % 20;
      row_t = len + 1 + rng.Next() % (2 * len + 40);
    }
    const bool run = !accept && rng.Next() % 4 != 0;  // stalls a quarter of the time
    const uint32_t new_src = rng.Next();               // wraps at 2^32 like the RTL
    m->accept_i = accept;
    m->run_i = run;
    m->src_i = new_src;
    m->len_i = len;
    m->row_t_i = row_t;
    Tick(m.get());
    if (accept) {
      ph = 0;
      src = new_src;
    } else if (run) {
      if (ph == row_t - 1) {
        ph = 0;
        src += len;
        ++rows_done;
      } else {
        ++ph;
      }
    }
    ASSERT_EQ(m->ph_o, ph) << "cycle " << t;
    ASSERT_EQ(m->src_o, src) << "cycle " << t;
  }
  EXPECT_GT(rows_done, 200);  // the walk really crossed rows
  m->final();
}

}  // namespace
}  // namespace systole::rtl
