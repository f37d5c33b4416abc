// SHA-256 (FIPS 180-4), used to compare tensor bytes with the checksums the
// TFLite oracle records in golden files, and for the executable's digest
// (schema/executable_digest.h).
#ifndef SYSTOLE_COMMON_SHA256_H_
#define SYSTOLE_COMMON_SHA256_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace systole {

// Lower-case hex digest of `size` bytes at `data`.
std::string Sha256Hex(const void* data, size_t size);

// Incremental SHA-256: Update() any number of times, then Finish() once.
class Sha256 {
 public:
  using Digest = std::array<uint8_t, 32>;
  Sha256();
  void Update(const void* data, size_t size);
  Digest Finish();

 private:
  uint32_t state_[8];
  uint8_t pending_[64];
  size_t pending_size_ = 0;
  uint64_t total_bytes_ = 0;
};

// Lower-case hex of any bytes (e.g. a Sha256::Digest).
std::string HexBytes(const uint8_t* data, size_t size);

}  // namespace systole

#endif  // SYSTOLE_COMMON_SHA256_H_
