// The deterministic input generator shared with ../shared/oracle (tflite_ref.js).
//
//   state = (seed XOR 0x9E3779B9) mod 2^32; if state == 0: state = 0x9E3779B9
//   next(): state ^= state << 13; state ^= state >> 17; state ^= state << 5
//
// Model inputs are filled in model input order from ONE stream: every byte of
// int8/uint8/int16/int32/uint32 tensors is `next() & 0xFF` (little-endian
// assembly for wider types), bool is `next() & 1`, float32/float64 elements are
// `(next() >> 8) / 2^24 * 2 - 1`. Seed 1 starts 0x51086638 0xe426533f ...
#ifndef SYSTOLE_COMMON_XORSHIFT32_H_
#define SYSTOLE_COMMON_XORSHIFT32_H_

#include <cstdint>

namespace systole {

class Xorshift32 {
 public:
  explicit Xorshift32(uint32_t seed) : state_(seed ^ 0x9E3779B9u) {
    if (state_ == 0) state_ = 0x9E3779B9u;
  }
  uint32_t Next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 17;
    state_ ^= state_ << 5;
    return state_;
  }
  uint8_t NextByte() { return static_cast<uint8_t>(Next() & 0xFFu); }
  // Uniform in [-1, 1), exactly as the oracle computes it (float64 math).
  double NextUnitDouble() {
    return static_cast<double>(Next() >> 8) / 16777216.0 * 2.0 - 1.0;
  }

 private:
  uint32_t state_;
};

}  // namespace systole

#endif  // SYSTOLE_COMMON_XORSHIFT32_H_
