// Small helpers shared by the RTL unit tests: seed selection/logging and a
// clock tick for Verilated models with clk_i.
#ifndef SYSTOLE_RTL_SIM_RTL_TEST_UTIL_H_
#define SYSTOLE_RTL_SIM_RTL_TEST_UTIL_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace systole::rtl {

// Seed for a randomised test: $SYSTOLE_SEED if set, else `fallback`. Always
// printed so a failure can be replayed with SYSTOLE_SEED=<seed>.
inline uint32_t TestSeed(const char* test_name, uint32_t fallback) {
  uint32_t seed = fallback;
  if (const char* env = std::getenv("SYSTOLE_SEED")) {
    seed = static_cast<uint32_t>(std::strtoul(env, nullptr, 0));
  }
  std::printf("[seed] %s: SYSTOLE_SEED=%u\n", test_name, seed);
  return seed;
}

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
  m->rst_ni = 0;
  m->eval();
  m->rst_ni = 1;
  m->eval();
}

}  // namespace systole::rtl

#endif  // SYSTOLE_RTL_SIM_RTL_TEST_UTIL_H_
