// The device protocol's frames (docs/protocol.md; constants and message
// layouts generated from schema/protocol/protocol.json into
// schema/protocol/protocol_generated.h).
//
// A frame is a fixed header (magic, version, opcode, sequence number, payload
// length, CRC-32) and a payload. Links use FrameLengthFromHeader() to find a
// frame's end in a byte stream; both ends check a whole frame with
// DecodeFrame() before they look at its payload.
#ifndef SYSTOLE_DRIVER_PROTOCOL_H_
#define SYSTOLE_DRIVER_PROTOCOL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "schema/protocol/protocol_generated.h"

namespace systole::driver {

struct FrameHeader {
  uint32_t magic = 0;
  uint16_t version = 0;
  uint16_t opcode = 0;
  uint32_t sequence = 0;
  uint32_t payload_length = 0;
  uint32_t crc32 = 0;
};

// Reads the header fields of `p` (at least protocol::kHeaderBytes), unchecked.
FrameHeader ParseHeader(const uint8_t* p);

// The whole frame's length (header + payload) from its first `n` bytes
// (n >= protocol::kHeaderBytes): DATA_LOSS when the magic is wrong or the
// announced payload exceeds MAX_PAYLOAD_BYTES (the stream is out of step),
// INVALID_ARGUMENT when n is too short to hold a header.
StatusOr<size_t> FrameLengthFromHeader(const uint8_t* header, size_t n);

// A checked frame: a view into the bytes given to DecodeFrame.
struct Frame {
  FrameHeader header;
  const uint8_t* payload = nullptr;
  size_t payload_size = 0;
};

// Checks a whole frame: length at least a header, magic, the payload length
// against the limit and against the bytes present, the CRC. DATA_LOSS naming
// what was wrong (the stream is out of step). The version and opcode are
// not checked here: a frame with another version or an unknown opcode is
// well delimited, and the receiver answers it with an ERROR.
StatusOr<Frame> DecodeFrame(const uint8_t* data, size_t size);
inline StatusOr<Frame> DecodeFrame(const std::vector<uint8_t>& f) { return DecodeFrame(f.data(), f.size()); }

// Encodes a frame of `opcode` with `payload`.
std::vector<uint8_t> EncodeFrame(uint16_t opcode, uint32_t sequence, const uint8_t* payload, size_t payload_size);

// Encodes a message (a generated protocol::*Request / *Reply struct).
template <typename Msg>
std::vector<uint8_t> EncodeMessage(const Msg& msg, uint32_t sequence) {
  std::vector<uint8_t> f(protocol::kHeaderBytes);
  msg.AppendTo(&f);
  const size_t n = f.size() - protocol::kHeaderBytes;
  std::vector<uint8_t> out = EncodeFrame(static_cast<uint16_t>(Msg::kOpcode), sequence,
                                         f.data() + protocol::kHeaderBytes, n);
  return out;
}

// An ERROR frame for `status` (not OK) in reply to `request_opcode`.
std::vector<uint8_t> EncodeError(uint32_t sequence, uint16_t request_opcode, const Status& status);
// The Status an ERROR reply carries (its code and message); DATA_LOSS when the
// code is not one of protocol::StatusCode.
Status ErrorReplyToStatus(const protocol::ErrorReply& e);

// "RUN (0x0006)" or "unknown opcode 0x1234".
std::string DescribeOpcode(uint16_t opcode);

}  // namespace systole::driver

#endif  // SYSTOLE_DRIVER_PROTOCOL_H_
