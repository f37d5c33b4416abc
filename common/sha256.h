// SHA-256 (FIPS 180-4), used to compare tensor bytes with the checksums the
// TFLite oracle records in golden files.
#ifndef SYSTOLE_COMMON_SHA256_H_
#define SYSTOLE_COMMON_SHA256_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace systole {

// Lower-case hex digest of `size` bytes at `data`.
std::string Sha256Hex(const void* data, size_t size);

}  // namespace systole

#endif  // SYSTOLE_COMMON_SHA256_H_
