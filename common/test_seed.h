// The one seed helper of the tests (header-only, test code only): every
// randomised test takes its seed from here, so SYSTOLE_SEED=<n> replays any of
// them the same way and every log names its seed the same way.
#ifndef SYSTOLE_COMMON_TEST_SEED_H_
#define SYSTOLE_COMMON_TEST_SEED_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>

namespace systole {

// $SYSTOLE_SEED when set (decimal, or hex with 0x), else nothing.
inline std::optional<uint32_t> SeedFromEnvironment() {
  const char* env = std::getenv("SYSTOLE_SEED");
  if (env == nullptr) return std::nullopt;
  return static_cast<uint32_t>(std::strtoul(env, nullptr, 0));
}

// Seed for a randomised test: $SYSTOLE_SEED if set, else `fallback`. Always
// printed ("[seed] NAME: SYSTOLE_SEED=N") so a failure can be replayed.
inline uint32_t TestSeed(const char* test_name, uint32_t fallback) {
  const uint32_t seed = SeedFromEnvironment().value_or(fallback);
  std::printf("[seed] %s: SYSTOLE_SEED=%u\n", test_name, seed);
  return seed;
}

}  // namespace systole

#endif  // SYSTOLE_COMMON_TEST_SEED_H_
