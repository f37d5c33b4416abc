// Small helpers shared by the RTL unit tests: the seed helper and a
// clock tick for Verilated models with clk_i.
#ifndef SYSTOLE_RTL_SIM_RTL_TEST_UTIL_H_
#define SYSTOLE_RTL_SIM_RTL_TEST_UTIL_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "common/test_seed.h"

namespace systole::rtl {

// TestSeed: common/test_seed.h (systole::TestSeed, found from systole::rtl).

// One rising edge: inputs set before the call are sampled at the edge;
// registered outputs are visible after it.
template <typename Model>
inline void Tick(Model* m) {
  m->clk_i = 0;
  m->eval();
  m->clk_i = 1;
  m->eval();
}

template <typename Model>
inline void Reset(Model* m) {
  m->clk_i = 0;
  m->rst_ni = 1;  // a falling edge even on a fresh model (rst_ni starts at 0)
  m->eval();
  m->rst_ni = 0;
  m->eval();
  m->rst_ni = 1;
  m->eval();
}

}  // namespace systole::rtl

#endif  // SYSTOLE_RTL_SIM_RTL_TEST_UTIL_H_
