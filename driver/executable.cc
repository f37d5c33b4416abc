// Verification and disassembly of Systole executables. See executable.h for
// the trust model and docs/executable.md for the rules checked here.
#include "driver/executable.h"

#include <algorithm>
#include <cinttypes>
#include <cstring>
#include <utility>

#include "arch/validate.h"
#include "common/sha256.h"
#include "schema/executable_digest.h"
#include "schema/executable_version.h"

namespace systole::driver {
namespace {

constexpr int kTfLiteUint8 = 3;
constexpr int kTfLiteInt8 = 9;

const char* TensorTypeName(int type) {
  // TFLite's TensorType values (schema/tflite.fbs), for messages only.
  static const char* const kNames[] = {"FLOAT32", "FLOAT16", "INT32",   "UINT8",   "INT64",   "STRING",
                                       "BOOL",    "INT16",   "COMPLEX64", "INT8",  "FLOAT64", "COMPLEX128",
                                       "UINT64",  "RESOURCE", "VARIANT", "UINT32", "UINT16",  "INT4"};
  if (type >= 0 && type < static_cast<int>(sizeof(kNames) / sizeof(kNames[0]))) return kNames[type];
  return "unknown";
}

const char* ChunkKindName(int kind) {
  const char* n = exe::EnumNameChunkKind(static_cast<exe::ChunkKind>(kind));
  return n[0] ? n : "unknown";
}

// "1 MiB", "64 KiB", "1000 bytes".
std::string FormatBytes(uint64_t b) {
  if (b != 0 && b % (uint64_t{1} << 20) == 0) return StrFormat("%" PRIu64 " MiB", b >> 20);
  if (b != 0 && b % (uint64_t{1} << 10) == 0) return StrFormat("%" PRIu64 " KiB", b >> 10);
  return StrFormat("%" PRIu64 " bytes", b);
}

// "1 byte", "732 bytes".
std::string Bytes(uint64_t n) { return StrFormat("%" PRIu64 " byte%s", n, n == 1 ? "" : "s"); }

// "950", "1.2 k", "3.4 M", "5.6 G": deterministic (printf of a double).
std::string FormatCount(uint64_t n) {
  if (n < 1000) return StrFormat("%" PRIu64, n);
  if (n < 1000000) return StrFormat("%.1f k", n / 1e3);
  if (n < 1000000000) return StrFormat("%.1f M", n / 1e6);
  return StrFormat("%.1f G", n / 1e9);
}

// A name from the file, printable and bounded (it goes into messages).
std::string SafeName(const flatbuffers::String* s) {
  if (s == nullptr) return "";
  std::string out;
  for (uint32_t i = 0; i < s->size() && out.size() < 64; ++i) {
    const unsigned char c = static_cast<unsigned char>(s->c_str()[i]);
    out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  }
  if (s->size() > 64) out += "...";
  return out;
}

isa::InsnWord WordAt(const uint8_t* p) {
  isa::InsnWord w;
  for (int i = 0; i < isa::kInsnWords; ++i) {
    uint64_t v = 0;
    for (int b = 7; b >= 0; --b) v = (v << 8) | p[i * 8 + b];
    w.w[i] = v;
  }
  return w;
}

Status ParseBinding(const exe::TensorBinding* b, const char* what, int i, exe::Region want_region,
                    uint32_t region_bytes, TensorBindingInfo* out) {
  if (b == nullptr) return InvalidArgument("executable: %s %d: missing", what, i);
  out->name = SafeName(b->name());
  const std::string id = StrFormat("executable: %s %d ('%s')", what, i, out->name.c_str());
  out->tensor_index = b->tensor_index();
  if (out->tensor_index < 0) return InvalidArgument("%s: tensor_index %d < 0", id.c_str(), out->tensor_index);
  out->type = b->type();
  if (out->type != kTfLiteInt8 && out->type != kTfLiteUint8)
    return InvalidArgument("%s: type %d (%s) not supported (INT8 or UINT8 only)", id.c_str(), out->type,
                           TensorTypeName(out->type));
  out->flip_sign_bit = b->flip_sign_bit();
  if (out->flip_sign_bit && out->type != kTfLiteUint8)
    return InvalidArgument("%s: flip_sign_bit set on an INT8 tensor (only UINT8 tensors are flipped)",
                           id.c_str());
  if (b->region() != want_region)
    return InvalidArgument("%s: region %d (%s), must be %s", id.c_str(), static_cast<int>(b->region()),
                           exe::EnumNameRegion(b->region())[0] ? exe::EnumNameRegion(b->region()) : "unknown",
                           exe::EnumNameRegion(want_region));
  uint64_t elements = 1;
  if (b->shape() != nullptr) {
    if (b->shape()->size() > 8)
      return InvalidArgument("%s: rank %u exceeds 8", id.c_str(), b->shape()->size());
    for (uint32_t d = 0; d < b->shape()->size(); ++d) {
      const int32_t dim = b->shape()->Get(d);
      if (dim < 1) return InvalidArgument("%s: dimension %u is %d, must be >= 1", id.c_str(), d, dim);
      out->shape.push_back(dim);
      elements *= static_cast<uint64_t>(dim);
      if (elements > kMaxRegionBytes)
        return InvalidArgument("%s: more than %" PRIu64 " elements", id.c_str(), kMaxRegionBytes);
    }
  }
  out->offset = b->offset();
  out->size = b->size();
  if (out->size != elements)  // 1 byte per element (INT8, UINT8)
    return InvalidArgument("%s: size %u bytes, but shape gives %" PRIu64 " elements of 1 byte", id.c_str(),
                           out->size, elements);
  if (uint64_t{out->offset} + out->size > region_bytes)
    return OutOfRange("%s: bytes [%u, %" PRIu64 ") outside the %s region (%u bytes)", id.c_str(), out->offset,
                      uint64_t{out->offset} + out->size, exe::EnumNameRegion(want_region), region_bytes);
  return Status::Ok();
}

Status ParseChunk(const exe::Chunk* c, int i, ParsedChunk* out) {
  if (c == nullptr) return InvalidArgument("executable: chunk %d: missing", i);
  const char* kind = ChunkKindName(c->kind());
  if (out->present())
    return InvalidArgument("executable: chunk %d: a second %s chunk (first is chunk %d)", i, kind, out->index);
  if (c->instructions() == nullptr || c->instructions()->size() == 0)
    return InvalidArgument("executable: chunk %d (%s): no instructions", i, kind);
  const uint32_t bytes = c->instructions()->size();
  if (bytes % isa::kInsnBytes != 0)
    return InvalidArgument("executable: chunk %d (%s): %u instruction bytes, not a multiple of %d", i, kind,
                           bytes, isa::kInsnBytes);
  out->index = i;
  out->words.reserve(bytes / isa::kInsnBytes);
  for (uint32_t off = 0; off < bytes; off += isa::kInsnBytes)
    out->words.push_back(WordAt(c->instructions()->data() + off));
  return Status::Ok();
}

// Decodes and validates every word of a chunk against the recorded
// configuration and the chunk's host regions.
Status ValidateChunk(const ParsedExecutable& e, const ParsedChunk& chunk, exe::ChunkKind kind,
                     bool* writes_pbuf) {
  ASSIGN_OR_RETURN(sim::HostMemory host, MapRegions(e, kind, RegionBuffers{}));
  for (size_t pc = 0; pc < chunk.words.size(); ++pc) {
    StatusOr<isa::Instruction> insn = sim::DecodeAndValidate(chunk.words[pc], pc, e.config, host);
    if (!insn.ok())
      return Annotate(insn.status(),
                      StrFormat("executable: chunk %d (%s)", chunk.index, exe::EnumNameChunkKind(kind)));
    if (writes_pbuf && insn->opcode() == isa::Opcode::kLoad &&
        insn->as<isa::LoadArgs>().buffer == static_cast<uint32_t>(isa::Buffer::kPbuf) &&
        insn->as<isa::LoadArgs>().rows > 0 && insn->as<isa::LoadArgs>().row_bytes > 0)
      *writes_pbuf = true;
  }
  return Status::Ok();
}

}  // namespace

std::string DescribeCompiledConfig(const sim::DeviceConfig& c) {
  return StrFormat("%dx%d (ABUF %s, PBUF %s, ACC %u rows)", c.rows, c.cols, FormatBytes(c.abuf_bytes).c_str(),
                   FormatBytes(c.pbuf_bytes).c_str(), c.acc_rows);
}

StatusOr<sim::HostMemory> MapRegions(const ParsedExecutable& e, exe::ChunkKind kind, const RegionBuffers& b) {
  // Validation needs sizes and permissions only; a placeholder keeps
  // HostMemory::Map's non-null rule. Nothing reads or writes through it.
  static uint8_t placeholder;
  auto ptr = [](const uint8_t* p) { return const_cast<uint8_t*>(p ? p : &placeholder); };
  sim::HostMemory host;
  // The device only reads region 0 (mapped read-only), so dropping const is safe.
  if (e.parameters_bytes > 0)
    RETURN_IF_ERROR(host.Map(exe::Region_PARAMETERS, ptr(b.parameters), e.parameters_bytes, true, false));
  if (kind == exe::ChunkKind_INFERENCE) {
    if (e.input_bytes > 0) RETURN_IF_ERROR(host.Map(exe::Region_INPUT, ptr(b.input), e.input_bytes, true, false));
    if (e.output_bytes > 0)
      RETURN_IF_ERROR(host.Map(exe::Region_OUTPUT, ptr(b.output), e.output_bytes, false, true));
    if (e.scratch_bytes > 0)
      RETURN_IF_ERROR(host.Map(exe::Region_SCRATCH, ptr(b.scratch), e.scratch_bytes, true, true));
  }
  return host;
}

StatusOr<std::unique_ptr<ParsedExecutable>> ParseExecutable(const uint8_t* data, size_t size) {
  // 8 bytes: root offset + file identifier.
  if (data == nullptr || size < 8)
    return DataLoss("executable: %zu bytes is too short (a flatbuffer has at least 8)", data ? size : 0);
  if (!flatbuffers::BufferHasIdentifier(data, exe::ExecutableIdentifier())) {
    std::string got;
    for (int i = 0; i < 4; ++i) {
      const unsigned char c = data[4 + i];
      got += (c >= 0x20 && c < 0x7f) ? std::string(1, static_cast<char>(c)) : StrFormat("\\x%02x", c);
    }
    return InvalidArgument("executable: file identifier '%s', expected '%s' (not a Systole executable)",
                           got.c_str(), exe::ExecutableIdentifier());
  }
  if (size > FLATBUFFERS_MAX_BUFFER_SIZE) return InvalidArgument("executable: %zu bytes is too large", size);

  std::unique_ptr<ParsedExecutable> e(new ParsedExecutable());
  // A private copy: flatbuffers reads scalars in place, so they must be
  // aligned (operator new gives 16 bytes, the parameters' force_align).
  e->bytes_.assign(data, data + size);
  flatbuffers::Verifier verifier(e->bytes_.data(), e->bytes_.size());
  if (!exe::VerifyExecutableBuffer(verifier))
    return DataLoss("executable: corrupt flatbuffer (structure check failed; truncated or damaged file)");
  e->fb_ = exe::GetExecutable(e->bytes_.data());
  const exe::Executable& fb = *e->fb_;

  if (fb.format_version() < exe::kExecutableFormatVersion)
    return InvalidArgument("executable: format version %u, this driver reads version %u: the file was written by an "
                           "older systole (recompile the model with this systole)",
                           fb.format_version(), exe::kExecutableFormatVersion);
  if (fb.format_version() > exe::kExecutableFormatVersion)
    return InvalidArgument("executable: format version %u, this driver reads version %u: the file was written by a "
                           "newer systole (use that release's driver, or recompile the model with this systole)",
                           fb.format_version(), exe::kExecutableFormatVersion);
  if (fb.isa_version() != static_cast<uint32_t>(isa::kIsaVersion))
    return InvalidArgument("executable: ISA version %u, this driver speaks ISA version %d (recompile the model)",
                           fb.isa_version(), isa::kIsaVersion);

  // Integrity: before any other rule, so that damage reads as damage.
  if (fb.digest() == nullptr)
    return InvalidArgument("executable: digest: missing (format version %u requires the SHA-256 of the "
                           "instructions, parameters, bindings and configuration; recompile the model)",
                           exe::kExecutableFormatVersion);
  if (fb.digest()->size() != exe::kExecutableDigestBytes)
    return InvalidArgument("executable: digest: %u bytes, must be %zu (SHA-256)", fb.digest()->size(),
                           exe::kExecutableDigestBytes);
  {
    const Sha256::Digest got = exe::ComputeExecutableDigest(fb);
    if (std::memcmp(got.data(), fb.digest()->data(), got.size()) != 0)
      return DataLoss("executable: digest mismatch: the instructions, parameters, bindings or configuration were "
                      "changed after compilation (recorded sha256 %s, contents hash to %s); the file is damaged: "
                      "recompile the model or copy it again",
                      HexBytes(fb.digest()->data(), fb.digest()->size()).c_str(),
                      HexBytes(got.data(), got.size()).c_str());
  }

  if (fb.tflite_flavor() > static_cast<uint8_t>(TfliteFlavor::kXnnpack))
    return InvalidArgument("executable: tflite_flavor %u is not 0 (ruy), 1 (x86) or 2 (xnnpack)",
                           static_cast<unsigned>(fb.tflite_flavor()));
  e->flavor = static_cast<TfliteFlavor>(fb.tflite_flavor());

  if (fb.config() == nullptr) return InvalidArgument("executable: no hardware config");
  sim::DeviceConfig& c = e->config;
  c.rows = fb.config()->rows();
  c.cols = fb.config()->cols();
  c.abuf_bytes = fb.config()->abuf_bytes();
  c.pbuf_bytes = fb.config()->pbuf_bytes();
  c.acc_rows = fb.config()->acc_rows();
  {
    Status s = c.Validate();
    if (!s.ok()) return Annotate(s, "executable: hardware config");
  }

  // Regions.
  if (fb.parameters() != nullptr && fb.parameters()->size() > 0) {
    e->parameters = fb.parameters()->data();
    e->parameters_bytes = fb.parameters()->size();
  }
  e->input_bytes = fb.input_bytes();
  e->output_bytes = fb.output_bytes();
  e->scratch_bytes = fb.scratch_bytes();
  struct {
    const char* name;
    uint64_t bytes;
  } regions[] = {{"input_bytes", e->input_bytes},
                 {"output_bytes", e->output_bytes},
                 {"scratch_bytes", e->scratch_bytes}};
  for (const auto& r : regions)
    if (r.bytes > kMaxRegionBytes)
      return OutOfRange("executable: %s = %" PRIu64 " exceeds the limit of %" PRIu64 " (1 GiB)", r.name, r.bytes,
                        kMaxRegionBytes);

  // Chunks: at most one PARAMETER_LOAD, exactly one INFERENCE.
  if (fb.chunks() == nullptr) return InvalidArgument("executable: no chunks (an INFERENCE chunk is required)");
  for (uint32_t i = 0; i < fb.chunks()->size(); ++i) {
    const exe::Chunk* chunk = fb.chunks()->Get(i);
    if (chunk == nullptr) return InvalidArgument("executable: chunk %u: missing", i);
    switch (chunk->kind()) {
      case exe::ChunkKind_PARAMETER_LOAD:
        RETURN_IF_ERROR(ParseChunk(chunk, static_cast<int>(i), &e->parameter_load));
        break;
      case exe::ChunkKind_INFERENCE:
        RETURN_IF_ERROR(ParseChunk(chunk, static_cast<int>(i), &e->inference));
        break;
      default:
        return InvalidArgument("executable: chunk %u: unknown kind %d", i, static_cast<int>(chunk->kind()));
    }
  }
  if (!e->inference.present()) return InvalidArgument("executable: no INFERENCE chunk");
  if (e->parameter_load.present())
    RETURN_IF_ERROR(ValidateChunk(*e, e->parameter_load, exe::ChunkKind_PARAMETER_LOAD, nullptr));
  RETURN_IF_ERROR(ValidateChunk(*e, e->inference, exe::ChunkKind_INFERENCE, &e->inference_writes_pbuf));

  // Bindings (the relocations of the partition's tensors).
  if (fb.inputs() != nullptr) {
    e->inputs.resize(fb.inputs()->size());
    for (uint32_t i = 0; i < fb.inputs()->size(); ++i)
      RETURN_IF_ERROR(ParseBinding(fb.inputs()->Get(i), "input", static_cast<int>(i), exe::Region_INPUT,
                                   e->input_bytes, &e->inputs[i]));
  }
  if (fb.outputs() != nullptr) {
    e->outputs.resize(fb.outputs()->size());
    for (uint32_t i = 0; i < fb.outputs()->size(); ++i)
      RETURN_IF_ERROR(ParseBinding(fb.outputs()->Get(i), "output", static_cast<int>(i), exe::Region_OUTPUT,
                                   e->output_bytes, &e->outputs[i]));
  }

  // Bindings of one region must not overlap: each tensor has its own bytes.
  for (const auto* list : {&e->inputs, &e->outputs}) {
    std::vector<size_t> order(list->size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [list](size_t a, size_t b) {
      return (*list)[a].offset != (*list)[b].offset ? (*list)[a].offset < (*list)[b].offset : a < b;
    });
    for (size_t k = 1; k < order.size(); ++k) {
      const TensorBindingInfo& p = (*list)[order[k - 1]];
      const TensorBindingInfo& q = (*list)[order[k]];
      if (uint64_t{p.offset} + p.size > q.offset) {
        const char* what = list == &e->inputs ? "input" : "output";
        return InvalidArgument("executable: %s %zu ('%s') at [%u, %" PRIu64 ") overlaps %s %zu ('%s') at [%u, %" PRIu64
                               ")",
                               what, order[k], q.name.c_str(), q.offset, uint64_t{q.offset} + q.size, what,
                               order[k - 1], p.name.c_str(), p.offset, uint64_t{p.offset} + p.size);
      }
    }
  }

  // Op records: in order, disjoint, inside the INFERENCE chunk.
  if (fb.ops() != nullptr) {
    const uint64_t n = e->inference.words.size();
    uint64_t next_free = 0;
    for (uint32_t i = 0; i < fb.ops()->size(); ++i) {
      const exe::OpRecord* op = fb.ops()->Get(i);
      if (op == nullptr) return InvalidArgument("executable: op record %u: missing", i);
      ParsedOp p;
      p.node_index = op->node_index();
      p.name = SafeName(op->name());
      p.first_instruction = op->first_instruction();
      p.num_instructions = op->num_instructions();
      p.macs = op->macs();
      p.estimated_cycles = op->estimated_cycles();
      const uint64_t end = uint64_t{p.first_instruction} + p.num_instructions;
      if (end > n)
        return OutOfRange("executable: op record %u (%s): instructions [%u, %" PRIu64
                          ") outside the INFERENCE chunk (%" PRIu64 " instructions)",
                          i, p.name.c_str(), p.first_instruction, end, n);
      if (p.first_instruction < next_free)
        return InvalidArgument("executable: op record %u (%s): starts at instruction %u, before the end (%" PRIu64
                               ") of the previous op (records must be in order and disjoint)",
                               i, p.name.c_str(), p.first_instruction, next_free);
      next_free = end;
      e->ops.push_back(std::move(p));
    }
  }
  if (const auto* v = fb.instruction_ops(); v != nullptr) {
    const uint64_t n = e->inference.words.size();
    if (v->size() != n)
      return InvalidArgument("executable: instruction_ops has %u entries, the INFERENCE chunk %" PRIu64
                             " instructions (one entry per instruction)",
                             v->size(), n);
    for (uint32_t i = 0; i < v->size(); ++i)
      if (v->Get(i) != exe::kNoOp && v->Get(i) >= e->ops.size())
        return OutOfRange("executable: instruction_ops[%u] = %u names no op record (%zu records; %u = none)", i,
                          v->Get(i), e->ops.size(), exe::kNoOp);
    e->instruction_ops.assign(v->begin(), v->end());
  }
  return e;
}

int ParsedExecutable::OpOf(uint64_t pc) const {
  if (!instruction_ops.empty()) {
    if (pc >= instruction_ops.size()) return -1;
    if (instruction_ops[pc] != exe::kNoOp) return instruction_ops[pc];
  }
  auto it = std::upper_bound(ops.begin(), ops.end(), pc,
                             [](uint64_t p, const ParsedOp& o) { return p < o.first_instruction; });
  if (it == ops.begin()) return -1;
  --it;
  if (pc >= uint64_t{it->first_instruction} + it->num_instructions) return -1;
  return static_cast<int>(it - ops.begin());
}

Status VerifyExecutable(const uint8_t* data, size_t size) { return ParseExecutable(data, size).status(); }

StatusOr<std::string> DisassembleExecutable(const uint8_t* data, size_t size) {
  ASSIGN_OR_RETURN(std::unique_ptr<ParsedExecutable> e, ParseExecutable(data, size));
  const exe::Executable& fb = e->fb();
  std::string out;
  out += StrFormat("; Systole executable, %zu bytes\n", size);
  out += StrFormat("; format version %u, ISA version %u, TFLite flavor %s\n", fb.format_version(), fb.isa_version(),
                   TfliteFlavorName(e->flavor));
  out += StrFormat("; digest: sha256 %s\n", HexBytes(fb.digest()->data(), fb.digest()->size()).c_str());
  out += StrFormat("; producer: %s\n", fb.producer() ? SafeName(fb.producer()).c_str() : "(none)");
  out += StrFormat("; config: %s\n", DescribeCompiledConfig(e->config).c_str());
  out += StrFormat("; regions: PARAMETERS %s, INPUT %s, OUTPUT %s, SCRATCH %s\n", Bytes(e->parameters_bytes).c_str(),
                   Bytes(e->input_bytes).c_str(), Bytes(e->output_bytes).c_str(), Bytes(e->scratch_bytes).c_str());
  if (const exe::Stats* s = fb.stats()) {
    out += StrFormat("; stats: %s MACs, est. %" PRIu64 " cycles, parameters cached %s / streamed %s, peak ABUF %s / "
                     "PBUF %s\n",
                     FormatCount(s->macs()).c_str(), s->estimated_cycles(), Bytes(s->cached_parameter_bytes()).c_str(),
                     Bytes(s->streamed_parameter_bytes()).c_str(), Bytes(s->abuf_peak_bytes()).c_str(),
                     Bytes(s->pbuf_peak_bytes()).c_str());
  } else {
    out += "; stats: (none)\n";
  }
  auto bindings = [&out](const char* what, const char* region, const std::vector<TensorBindingInfo>& v) {
    for (size_t i = 0; i < v.size(); ++i) {
      const TensorBindingInfo& b = v[i];
      std::string shape;
      for (size_t d = 0; d < b.shape.size(); ++d) shape += StrFormat("%s%d", d ? "," : "", b.shape[d]);
      out += StrFormat("; %s %zu: '%s' tensor %d, %s [%s], %s+%u, %s%s\n", what, i, b.name.c_str(),
                       b.tensor_index, TensorTypeName(b.type), shape.c_str(), region, b.offset, Bytes(b.size).c_str(),
                       b.flip_sign_bit ? ", sign bit flipped" : "");
    }
  };
  bindings("input", "INPUT", e->inputs);
  bindings("output", "OUTPUT", e->outputs);

  // One instruction per line, prefixed by its index in the chunk; DMA lines
  // name their host region.
  auto line = [&out](const isa::InsnWord& w, size_t pc) {
    out += StrFormat("%6zu  %s", pc, isa::DisassembleWord(w).c_str());
    StatusOr<isa::Instruction> insn = isa::Decode(w);  // verified: always decodes
    if (insn.ok() && (insn->opcode() == isa::Opcode::kLoad || insn->opcode() == isa::Opcode::kStore)) {
      const uint32_t region = insn->opcode() == isa::Opcode::kLoad ? insn->as<isa::LoadArgs>().region
                                                                   : insn->as<isa::StoreArgs>().region;
      const char* name = region <= exe::Region_MAX ? exe::EnumNameRegion(static_cast<exe::Region>(region)) : "?";
      out += StrFormat("  ; %s", name);
    }
    out += "\n";
  };
  auto plural = [](uint64_t n, const char* word) {
    return StrFormat("%" PRIu64 " %s%s", n, word, n == 1 ? "" : "s");
  };
  // Chunks in file order.
  const ParsedChunk* order[2] = {&e->parameter_load, &e->inference};
  if (e->parameter_load.present() && e->parameter_load.index > e->inference.index) std::swap(order[0], order[1]);
  for (const ParsedChunk* c : order) {
    if (!c->present()) continue;
    const bool inference = c == &e->inference;
    out += StrFormat(";\n; chunk %d %s: %s\n", c->index, inference ? "INFERENCE" : "PARAMETER_LOAD",
                     plural(c->words.size(), "instruction").c_str());
    if (!inference) {
      for (size_t pc = 0; pc < c->words.size(); ++pc) line(c->words[pc], pc);
      continue;
    }
    size_t pc = 0;
    for (const ParsedOp& op : e->ops) {
      if (pc < op.first_instruction) {
        out += "; (no op)\n";
        for (; pc < op.first_instruction; ++pc) line(c->words[pc], pc);
      }
      out += StrFormat("; op %d %s: %s, %s MACs, est. %" PRIu64 " cycles\n", op.node_index, op.name.c_str(),
                       plural(op.num_instructions, "instruction").c_str(), FormatCount(op.macs).c_str(),
                       op.estimated_cycles);
      for (; pc < uint64_t{op.first_instruction} + op.num_instructions; ++pc) line(c->words[pc], pc);
    }
    if (pc < c->words.size()) {
      if (!e->ops.empty()) out += "; (no op)\n";
      for (; pc < c->words.size(); ++pc) line(c->words[pc], pc);
    }
  }
  return out;
}

}  // namespace systole::driver
