#include "driver/protocol.h"

#include <cstring>

#include "common/crc32.h"

namespace systole::driver {

using protocol::kHeaderBytes;

FrameHeader ParseHeader(const uint8_t* p) {
  using namespace protocol;
  FrameHeader h;
  h.magic = wire::GetU32(p + kHeaderMagicOffset);
  h.version = wire::GetU16(p + kHeaderVersionOffset);
  h.opcode = wire::GetU16(p + kHeaderOpcodeOffset);
  h.sequence = wire::GetU32(p + kHeaderSequenceOffset);
  h.payload_length = wire::GetU32(p + kHeaderPayloadLengthOffset);
  h.crc32 = wire::GetU32(p + kHeaderCrc32Offset);
  return h;
}

StatusOr<size_t> FrameLengthFromHeader(const uint8_t* header, size_t n) {
  if (n < kHeaderBytes) return InvalidArgument("frame header: %zu bytes, a header has %zu", n, kHeaderBytes);
  const FrameHeader h = ParseHeader(header);
  if (h.magic != protocol::kMagic)
    return DataLoss("frame header: bad magic 0x%08x (expected 0x%08x)", h.magic, protocol::kMagic);
  if (h.payload_length > protocol::kMaxPayloadBytes)
    return DataLoss("frame header: payload length %u exceeds MAX_PAYLOAD_BYTES (%llu)", h.payload_length,
                    static_cast<unsigned long long>(protocol::kMaxPayloadBytes));
  return kHeaderBytes + size_t{h.payload_length};
}

StatusOr<Frame> DecodeFrame(const uint8_t* data, size_t size) {
  if (size < kHeaderBytes)
    return DataLoss("frame: %zu bytes, shorter than its %zu-byte header (truncated)", size, kHeaderBytes);
  ASSIGN_OR_RETURN(size_t want, FrameLengthFromHeader(data, size));
  Frame f;
  f.header = ParseHeader(data);
  if (size < want)
    return DataLoss("frame %s: %zu bytes, its header announces %zu (truncated)",
                    DescribeOpcode(f.header.opcode).c_str(), size, want);
  if (size > want)
    return DataLoss("frame %s: %zu bytes, its header announces %zu (trailing bytes)",
                    DescribeOpcode(f.header.opcode).c_str(), size, want);
  uint32_t crc = Crc32(data, protocol::kCrcCoveredHeaderBytes);
  crc = Crc32Extend(crc, data + kHeaderBytes, f.header.payload_length);
  if (crc != f.header.crc32)
    return DataLoss("frame %s: CRC-32 mismatch (header says 0x%08x, bytes give 0x%08x)",
                    DescribeOpcode(f.header.opcode).c_str(), f.header.crc32, crc);
  f.payload = data + kHeaderBytes;
  f.payload_size = f.header.payload_length;
  return f;
}

std::vector<uint8_t> EncodeFrame(uint16_t opcode, uint32_t sequence, const uint8_t* payload, size_t payload_size) {
  using namespace protocol;
  std::vector<uint8_t> f;
  f.reserve(kHeaderBytes + payload_size);
  wire::PutU32(&f, kMagic);
  wire::PutU16(&f, kVersion);
  wire::PutU16(&f, opcode);
  wire::PutU32(&f, sequence);
  wire::PutU32(&f, static_cast<uint32_t>(payload_size));
  uint32_t crc = Crc32(f.data(), kCrcCoveredHeaderBytes);
  crc = Crc32Extend(crc, payload, payload_size);
  wire::PutU32(&f, crc);
  if (payload_size > 0) f.insert(f.end(), payload, payload + payload_size);
  return f;
}

std::vector<uint8_t> EncodeError(uint32_t sequence, uint16_t request_opcode, const Status& status) {
  protocol::ErrorReply e;
  e.status = static_cast<uint32_t>(status.ok() ? StatusCode::kInternal : status.code());
  e.request_opcode = request_opcode;
  e.message = status.ok() ? "error without a status" : status.message();
  return EncodeMessage(e, sequence);
}

Status ErrorReplyToStatus(const protocol::ErrorReply& e) {
  if (protocol::StatusCodeName(e.status) == nullptr)
    return DataLoss("ERROR reply: status code %u is not one the protocol defines (message '%s')", e.status,
                    e.message.c_str());
  return Status(static_cast<StatusCode>(e.status), e.message);
}

std::string DescribeOpcode(uint16_t opcode) {
  const char* n = protocol::OpcodeName(opcode);
  if (n == nullptr) return StrFormat("unknown opcode 0x%04x", opcode);
  return StrFormat("%s (0x%04x)", n, opcode);
}

}  // namespace systole::driver

namespace systole::driver {
// ERROR carries common/status.h's codes unchanged.
static_assert(static_cast<int>(StatusCode::kInvalidArgument) == static_cast<int>(protocol::StatusCode::kInvalidArgument));
static_assert(static_cast<int>(StatusCode::kDataLoss) == static_cast<int>(protocol::StatusCode::kDataLoss));
static_assert(static_cast<int>(StatusCode::kCancelled) == static_cast<int>(protocol::StatusCode::kCancelled));
}  // namespace systole::driver
