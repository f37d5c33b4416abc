#include "common/float32.h"

#include <cstring>

namespace systole::f32 {
namespace {

// A finite binary32 value as sign, integer significand and exponent:
// value = (-1)^sign * sig * 2^exp, sig < 2^24.
struct Unpacked {
  bool sign;
  int32_t exp;
  uint32_t sig;
};

constexpr uint32_t kExpMask = 0x7F800000u;
constexpr uint32_t kFracMask = 0x007FFFFFu;
constexpr uint32_t kInf = 0x7F800000u;

bool IsNaN(uint32_t a) { return (a & kExpMask) == kExpMask && (a & kFracMask) != 0; }
bool IsInf(uint32_t a) { return (a & 0x7FFFFFFFu) == kInf; }
bool IsZero(uint32_t a) { return (a & 0x7FFFFFFFu) == 0; }
uint32_t SignBit(bool s) { return s ? 0x80000000u : 0u; }

Unpacked Unpack(uint32_t a) {
  const uint32_t e = (a & kExpMask) >> 23;
  const uint32_t f = a & kFracMask;
  if (e == 0) return {(a >> 31) != 0, -149, f};  // zero or subnormal
  return {(a >> 31) != 0, static_cast<int32_t>(e) - 150, f | 0x00800000u};
}

int BitLength(uint64_t m) { return m == 0 ? 0 : 64 - __builtin_clzll(m); }

// Rounds (-1)^sign * m * 2^e (m exact, or with lost bits jammed into bit 0 at
// least two bits below the rounding position) to binary32, ties to even.
uint32_t RoundPack(bool sign, int32_t e, uint64_t m) {
  if (m == 0) return SignBit(sign);
  const int n = BitLength(m);
  // Exponent of the result's least significant kept bit: 24 significant bits,
  // but never below the subnormal quantum 2^-149.
  int32_t lsb = e + n - 24;
  if (lsb < -149) lsb = -149;
  const int32_t drop = lsb - e;
  uint64_t q;
  if (drop <= 0) {
    q = m << -drop;  // exact; q < 2^24
  } else if (drop > 64) {
    q = 0;  // m < 2^64 < half a quantum: rounds to zero
  } else {
    const unsigned __int128 wide = m;
    q = static_cast<uint64_t>(wide >> drop);
    const unsigned __int128 rem = wide & ((static_cast<unsigned __int128>(1) << drop) - 1);
    const unsigned __int128 half = static_cast<unsigned __int128>(1) << (drop - 1);
    if (rem > half || (rem == half && (q & 1))) ++q;
  }
  if (q == (uint64_t{1} << 24)) {  // rounding carried out of the significand
    q >>= 1;
    ++lsb;
  }
  if (q >= (uint64_t{1} << 23)) {  // normal
    const int32_t biased = lsb + 150;
    if (biased >= 255) return SignBit(sign) | kInf;
    return SignBit(sign) | (static_cast<uint32_t>(biased) << 23) |
           (static_cast<uint32_t>(q) & kFracMask);
  }
  return SignBit(sign) | static_cast<uint32_t>(q);  // subnormal or zero (lsb == -149)
}

// Exact value of a finite a rounded to an integer by `mode`, as int64 with
// |result| <= 2^32 (larger magnitudes are clamped there, enough to saturate).
enum class ToInt { kHalfAway, kTrunc, kHalfEven };
int32_t ToInt32(uint32_t a, ToInt mode) {
  if (IsNaN(a)) return 0;
  const bool sign = (a >> 31) != 0;
  if (IsInf(a)) return sign ? INT32_MIN : INT32_MAX;
  const Unpacked u = Unpack(a);
  int64_t mag;
  if (u.exp >= 0) {
    mag = u.exp >= 9 ? (int64_t{1} << 33) : (int64_t{u.sig} << u.exp);  // sig < 2^24
  } else if (u.exp <= -26) {
    mag = 0;  // |a| < 2^-2
  } else {
    const int drop = -u.exp;
    mag = u.sig >> drop;
    const bool half = (u.sig >> (drop - 1)) & 1;                    // the first dropped bit
    const bool below = (u.sig & ((uint32_t{1} << (drop - 1)) - 1)) != 0;  // any dropped bit after it
    if (mode == ToInt::kHalfAway && half) ++mag;
    if (mode == ToInt::kHalfEven && half && (below || (mag & 1))) ++mag;
  }
  const int64_t v = sign ? -mag : mag;
  if (v > INT32_MAX) return INT32_MAX;
  if (v < INT32_MIN) return INT32_MIN;
  return static_cast<int32_t>(v);
}

}  // namespace

uint32_t Add(uint32_t a, uint32_t b) {
  if (IsNaN(a) || IsNaN(b)) return kNaN;
  if (IsInf(a) || IsInf(b)) {
    if (IsInf(a) && IsInf(b) && (a != b)) return kNaN;  // inf - inf
    return IsInf(a) ? a : b;
  }
  Unpacked x = Unpack(a), y = Unpack(b);
  if (x.exp < y.exp || (x.exp == y.exp && x.sig < y.sig)) {
    const Unpacked t = x;
    x = y;
    y = t;
  }
  // |x| >= |y|. Align y to x with x shifted left by s <= 40 bits; y's bits
  // below x's new quantum are jammed into bit 0 (x is normal whenever d > 0,
  // so x << 40 >= 2^63 keeps the rounding position at bit 39 or above).
  const int32_t d = x.exp - y.exp;
  const int32_t s = d < 40 ? d : 40;
  const uint64_t xm = uint64_t{x.sig} << s;
  uint64_t ym = y.sig;
  const int32_t rshift = d - s;
  if (rshift > 0) {
    const uint64_t lost = rshift >= 64 ? ym : (ym & ((uint64_t{1} << rshift) - 1));
    ym = rshift >= 64 ? 0 : (ym >> rshift);
    if (lost) ym |= 1;
  }
  const int32_t e = x.exp - s;
  if (x.sign == y.sign) return RoundPack(x.sign, e, xm + ym);
  const uint64_t m = xm - ym;  // xm >= ym
  if (m == 0) return 0;  // exact cancellation is +0 under ties-to-even
  return RoundPack(x.sign, e, m);
}

uint32_t Mul(uint32_t a, uint32_t b) {
  if (IsNaN(a) || IsNaN(b)) return kNaN;
  const bool sign = ((a ^ b) >> 31) != 0;
  if (IsInf(a) || IsInf(b)) {
    if (IsZero(a) || IsZero(b)) return kNaN;  // inf * 0
    return SignBit(sign) | kInf;
  }
  const Unpacked x = Unpack(a), y = Unpack(b);
  return RoundPack(sign, x.exp + y.exp, uint64_t{x.sig} * y.sig);
}

uint32_t Div(uint32_t a, uint32_t b) {
  if (IsNaN(a) || IsNaN(b)) return kNaN;
  const bool sign = ((a ^ b) >> 31) != 0;
  if (IsInf(a)) return IsInf(b) ? kNaN : (SignBit(sign) | kInf);
  if (IsInf(b)) return SignBit(sign);
  if (IsZero(b)) return IsZero(a) ? kNaN : (SignBit(sign) | kInf);
  if (IsZero(a)) return SignBit(sign);
  Unpacked x = Unpack(a), y = Unpack(b);
  // Normalise both significands to [2^23, 2^24).
  while (x.sig < 0x00800000u) {
    x.sig <<= 1;
    --x.exp;
  }
  while (y.sig < 0x00800000u) {
    y.sig <<= 1;
    --y.exp;
  }
  // 40 extra quotient bits: q in (2^39, 2^41), the remainder jammed into bit 0.
  const uint64_t num = uint64_t{x.sig} << 40;
  uint64_t q = num / y.sig;
  if (num % y.sig) q |= 1;
  return RoundPack(sign, x.exp - y.exp - 40, q);
}

int32_t RoundHalfAwayToInt32(uint32_t a) { return ToInt32(a, ToInt::kHalfAway); }
int32_t TruncToInt32(uint32_t a) { return ToInt32(a, ToInt::kTrunc); }
int32_t RoundHalfEvenToInt32(uint32_t a) { return ToInt32(a, ToInt::kHalfEven); }

uint32_t FromInt32(int32_t v) {
  // |v| as uint32 (2^31 for INT32_MIN), exact in m; RoundPack rounds it to 24 bits.
  const uint32_t mag = v < 0 ? 0u - static_cast<uint32_t>(v) : static_cast<uint32_t>(v);
  return RoundPack(v < 0, 0, mag);
}

uint32_t Bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

float FromBits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}

}  // namespace systole::f32
