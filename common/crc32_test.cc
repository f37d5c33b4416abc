// CRC-32 against published check values and a bit-at-a-time reference.
#include "common/crc32.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/xorshift32.h"

namespace systole {
namespace {

uint32_t BitwiseCrc32(const std::vector<uint8_t>& d) {
  uint32_t c = 0xFFFFFFFFu;
  for (uint8_t b : d) {
    c ^= b;
    for (int i = 0; i < 8; ++i) c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
  }
  return ~c;
}

uint32_t Crc(const std::string& s) { return Crc32(s.data(), s.size()); }

TEST(Crc32Test, KnownVectors) {
  EXPECT_EQ(Crc(""), 0x00000000u);
  EXPECT_EQ(Crc("a"), 0xE8B7BE43u);
  EXPECT_EQ(Crc("abc"), 0x352441C2u);
  EXPECT_EQ(Crc("123456789"), 0xCBF43926u);  // the CRC catalogue's check value
  EXPECT_EQ(Crc("The quick brown fox jumps over the lazy dog"), 0x414FA339u);
  const std::vector<uint8_t> zeros(32, 0), ones(32, 0xFF);
  EXPECT_EQ(Crc32(zeros.data(), zeros.size()), 0x190A55ADu);  // as zlib.crc32
  EXPECT_EQ(Crc32(ones.data(), ones.size()), 0xFF6CAB0Bu);
}

TEST(Crc32Test, MatchesBitwiseReferenceAndExtends) {
  Xorshift32 rng(7);
  for (size_t n : {0u, 1u, 7u, 8u, 9u, 15u, 16u, 17u, 63u, 64u, 65u, 1000u, 4099u}) {
    std::vector<uint8_t> d(n);
    for (uint8_t& b : d) b = static_cast<uint8_t>(rng.Next());
    const uint32_t whole = Crc32(d.data(), d.size());
    EXPECT_EQ(whole, BitwiseCrc32(d)) << n;
    for (size_t cut : {size_t{0}, n / 3, n / 2, n}) {
      const uint32_t head = Crc32(d.data(), cut);
      EXPECT_EQ(Crc32Extend(head, d.data() + cut, n - cut), whole) << n << " cut " << cut;
    }
  }
}

}  // namespace
}  // namespace systole
