// CRC-32 (IEEE 802.3, as zlib, PNG and Ethernet: reflected polynomial
// 0xEDB88320, initial value and final XOR 0xFFFFFFFF). The device protocol's
// frame checksum (docs/protocol.md).
//
//   Crc32("123456789", 9) == 0xCBF43926
//   Crc32Extend(Crc32(a, n), b, m) == Crc32(a || b, n + m)
#ifndef SYSTOLE_COMMON_CRC32_H_
#define SYSTOLE_COMMON_CRC32_H_

#include <cstddef>
#include <cstdint>

namespace systole {

uint32_t Crc32(const void* data, size_t size);
// The CRC of the concatenation of the bytes `crc` covers and `data`.
uint32_t Crc32Extend(uint32_t crc, const void* data, size_t size);

}  // namespace systole

#endif  // SYSTOLE_COMMON_CRC32_H_
