// Bit-field access to Verilator port storage (CData/SData/IData/QData or
// VlWide<N>), so test benches address packed
// SystemVerilog arrays as "element i of width w" without caring which C type
// Verilator picked for the port. Fields may straddle 32-bit words; width <= 64.
#ifndef SYSTOLE_RTL_SIM_VL_BITS_H_
#define SYSTOLE_RTL_SIM_VL_BITS_H_

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "verilated.h"

namespace systole::rtl {

inline uint64_t LowMask(int width) {
  return width >= 64 ? ~uint64_t{0} : ((uint64_t{1} << width) - 1);
}

// Scalar ports (<= 64 bits).
template <typename T, typename = std::enable_if_t<std::is_integral_v<T>>>
inline uint64_t GetBits(const T& port, int lsb, int width) {
  return (static_cast<uint64_t>(port) >> lsb) & LowMask(width);
}
template <typename T, typename = std::enable_if_t<std::is_integral_v<T>>>
inline void SetBits(T& port, int lsb, int width, uint64_t value) {
  const uint64_t mask = LowMask(width) << lsb;
  uint64_t v = static_cast<uint64_t>(port);
  v = (v & ~mask) | ((value << lsb) & mask);
  port = static_cast<T>(v);
}

// Wide ports (> 64 bits): 32-bit words, word 0 holds bits [31:0].
template <std::size_t N>
inline uint64_t GetBits(const VlWide<N>& port, int lsb, int width) {
  uint64_t out = 0;
  for (int got = 0; got < width;) {
    const int bit = lsb + got;
    const int word = bit >> 5;
    const int off = bit & 31;
    const int take = (32 - off) < (width - got) ? (32 - off) : (width - got);
    const uint64_t chunk = (static_cast<uint64_t>(port.at(word)) >> off) & LowMask(take);
    out |= chunk << got;
    got += take;
  }
  return out;
}
template <std::size_t N>
inline void SetBits(VlWide<N>& port, int lsb, int width, uint64_t value) {
  for (int put = 0; put < width;) {
    const int bit = lsb + put;
    const int word = bit >> 5;
    const int off = bit & 31;
    const int take = (32 - off) < (width - put) ? (32 - off) : (width - put);
    const uint32_t mask = static_cast<uint32_t>(LowMask(take) << off);
    const uint32_t chunk = static_cast<uint32_t>(((value >> put) & LowMask(take)) << off);
    port.at(word) = (port.at(word) & ~mask) | chunk;
    put += take;
  }
}

// Sign-extends the low `width` bits of v.
inline int64_t SignExtend(uint64_t v, int width) {
  const uint64_t m = uint64_t{1} << (width - 1);
  v &= LowMask(width);
  return static_cast<int64_t>((v ^ m) - m);
}

}  // namespace systole::rtl

#endif  // SYSTOLE_RTL_SIM_VL_BITS_H_
