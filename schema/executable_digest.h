// The executable's integrity digest (format version 2): SHA-256 over a
// canonical encoding of every field of schema/executable.fbs that affects
// execution. The compiler writes it, the driver recomputes and compares it
// (docs/executable.md, "Integrity", describes the same encoding for other
// implementations).
//
// The encoding is built from field values, not from the flatbuffer's bytes, so
// any writer that stores the same values gets the same digest whatever its
// layout. All integers little-endian; a "vector" is its u32 element count
// followed by its elements; an absent table or vector reads as its defaults
// (zeros, empty). In this order:
//
//   the 4 ASCII bytes "SYSX"
//   u32 format_version, u32 isa_version, u8 tflite_flavor
//   config: i32 rows, i32 cols, u32 abuf_bytes, u32 pbuf_bytes, u32 acc_rows
//   u32 input_bytes, u32 output_bytes, u32 scratch_bytes
//   chunks, in file order: u32 count, then per chunk
//       u8 kind, u32 instruction byte count, the instruction bytes
//   u32 parameter byte count, the parameter bytes
//   inputs, then outputs: u32 count, then per binding
//       i32 tensor_index, i8 type, u8 region, u32 offset, u32 size,
//       u8 flip_sign_bit, u32 rank, i32 per dimension
//
// Not covered (they do not change what the device computes or where the host
// puts tensors): binding names, op records, stats, producer, and the digest
// itself.
#ifndef SYSTOLE_SCHEMA_EXECUTABLE_DIGEST_H_
#define SYSTOLE_SCHEMA_EXECUTABLE_DIGEST_H_

#include <cstddef>
#include <cstdint>

#include "common/sha256.h"
#include "schema/executable_generated.h"

namespace systole::exe {

inline constexpr size_t kExecutableDigestBytes = 32;  // SHA-256

namespace digest_internal {

class Encoder {
 public:
  void U8(uint8_t v) { h_.Update(&v, 1); }
  void U32(uint32_t v) {
    uint8_t b[4];
    for (int i = 0; i < 4; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
    h_.Update(b, 4);
  }
  void I32(int32_t v) { U32(static_cast<uint32_t>(v)); }
  void Bytes(const flatbuffers::Vector<uint8_t>* v) {
    U32(v ? v->size() : 0);
    if (v && v->size() > 0) h_.Update(v->data(), v->size());
  }
  void Raw(const void* p, size_t n) { h_.Update(p, n); }
  Sha256::Digest Finish() { return h_.Finish(); }

 private:
  Sha256 h_;
};

inline void EncodeBindings(Encoder& e, const flatbuffers::Vector<flatbuffers::Offset<TensorBinding>>* v) {
  e.U32(v ? v->size() : 0);
  if (v == nullptr) return;
  for (const TensorBinding* b : *v) {
    e.I32(b->tensor_index());
    e.U8(static_cast<uint8_t>(b->type()));
    e.U8(static_cast<uint8_t>(b->region()));
    e.U32(b->offset());
    e.U32(b->size());
    e.U8(b->flip_sign_bit() ? 1 : 0);
    e.U32(b->shape() ? b->shape()->size() : 0);
    if (b->shape())
      for (int32_t d : *b->shape()) e.I32(d);
  }
}

}  // namespace digest_internal

// The digest `fb` should carry. `fb` must have passed the flatbuffers
// Verifier (every table, vector and string inside the buffer).
inline Sha256::Digest ComputeExecutableDigest(const Executable& fb) {
  digest_internal::Encoder e;
  e.Raw("SYSX", 4);
  e.U32(fb.format_version());
  e.U32(fb.isa_version());
  e.U8(fb.tflite_flavor());
  const HardwareConfig* c = fb.config();
  e.I32(c ? c->rows() : 0);
  e.I32(c ? c->cols() : 0);
  e.U32(c ? c->abuf_bytes() : 0);
  e.U32(c ? c->pbuf_bytes() : 0);
  e.U32(c ? c->acc_rows() : 0);
  e.U32(fb.input_bytes());
  e.U32(fb.output_bytes());
  e.U32(fb.scratch_bytes());
  e.U32(fb.chunks() ? fb.chunks()->size() : 0);
  if (fb.chunks())
    for (const Chunk* chunk : *fb.chunks()) {
      e.U8(static_cast<uint8_t>(chunk->kind()));
      e.Bytes(chunk->instructions());
    }
  e.Bytes(fb.parameters());
  digest_internal::EncodeBindings(e, fb.inputs());
  digest_internal::EncodeBindings(e, fb.outputs());
  return e.Finish();
}

}  // namespace systole::exe

#endif  // SYSTOLE_SCHEMA_EXECUTABLE_DIGEST_H_
