// Test-only: executables built by hand (FlatBufferBuilder + ProgramBuilder)
// for the driver tests (driver_test.cc, device_api_test.cc).
#ifndef SYSTOLE_DRIVER_DRIVER_TEST_UTIL_H_
#define SYSTOLE_DRIVER_DRIVER_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "arch/program.h"
#include "common/sha256.h"
#include "common/xorshift32.h"
#include "driver/driver.h"
#include "schema/executable_digest.h"
#include "schema/executable_generated.h"
#include "schema/executable_version.h"

namespace systole::driver::testutil {

using sim::PopPrev;
using sim::PushNext;
using sim::operator|;

inline constexpr int8_t kTypeUint8 = 3;
inline constexpr int8_t kTypeInt8 = 9;

// ---------------------------------------------------------------------------
// Building executables.

struct Binding {
  std::string name;
  int tensor_index = 0;
  int8_t type = kTypeInt8;
  std::vector<int> shape;
  exe::Region region = exe::Region_INPUT;
  uint32_t offset = 0;
  uint32_t size = 0;
  bool flip = false;
};

struct Op {
  int node_index;
  std::string name;
  uint32_t first, count;
  uint64_t macs, cycles;
};

struct ExeSpec {
  sim::DeviceConfig hw;
  uint32_t format_version = exe::kExecutableFormatVersion;
  uint32_t isa_version = isa::kIsaVersion;
  std::string identifier = "SYSX";
  std::vector<isa::InsnWord> parameter_load;  // no chunk when empty
  std::vector<isa::InsnWord> inference;
  std::vector<uint8_t> parameters;
  std::vector<Binding> inputs, outputs;
  uint32_t input_bytes = 0, output_bytes = 0, scratch_bytes = 0;
  std::vector<Op> ops;
  std::string producer = "driver_test";
  uint8_t flavor = 0;
  // Unset: the digest of the contents, as the compiler writes it. Set: these
  // bytes verbatim (empty = no digest field).
  std::optional<std::vector<uint8_t>> digest;
  std::optional<std::vector<uint16_t>> instruction_ops;  // unset: no field
};

// Fills the digest field (32 bytes, already in the buffer) with the digest of
// the contents, as compiler/writer.cc does.
inline void SealDigest(std::vector<uint8_t>* bytes) {
  const exe::Executable* fb = exe::GetExecutable(bytes->data());
  ASSERT_NE(fb->digest(), nullptr);
  ASSERT_EQ(fb->digest()->size(), exe::kExecutableDigestBytes);
  const Sha256::Digest d = exe::ComputeExecutableDigest(*fb);
  std::memcpy(bytes->data() + (fb->digest()->data() - bytes->data()), d.data(), d.size());
}

// The recorded digest of an executable.
inline std::vector<uint8_t> DigestOf(const std::vector<uint8_t>& bytes) {
  const exe::Executable* fb = exe::GetExecutable(bytes.data());
  return std::vector<uint8_t>(fb->digest()->begin(), fb->digest()->end());
}

// An executable built by hand, through the builder API, sealed.
inline std::vector<uint8_t> FinishSealed(flatbuffers::FlatBufferBuilder& fbb,
                                         flatbuffers::Offset<exe::Executable> root) {
  fbb.Finish(root, "SYSX");
  std::vector<uint8_t> b(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
  SealDigest(&b);
  return b;
}

inline std::vector<uint8_t> WordBytes(const std::vector<isa::InsnWord>& words) {
  std::vector<uint8_t> b;
  for (const isa::InsnWord& w : words)
    for (int i = 0; i < isa::kInsnWords; ++i)
      for (int k = 0; k < 8; ++k) b.push_back(static_cast<uint8_t>(w.w[i] >> (8 * k)));
  return b;
}

inline std::vector<uint8_t> Build(const ExeSpec& s) {
  flatbuffers::FlatBufferBuilder fbb;
  auto config = exe::CreateHardwareConfig(fbb, s.hw.rows, s.hw.cols, s.hw.abuf_bytes, s.hw.pbuf_bytes,
                                          s.hw.acc_rows);
  std::vector<flatbuffers::Offset<exe::Chunk>> chunks;
  if (!s.parameter_load.empty()) {
    auto b = WordBytes(s.parameter_load);
    chunks.push_back(exe::CreateChunkDirect(fbb, exe::ChunkKind_PARAMETER_LOAD, &b));
  }
  auto ib = WordBytes(s.inference);
  chunks.push_back(exe::CreateChunkDirect(fbb, exe::ChunkKind_INFERENCE, &ib));
  auto bindings = [&fbb](const std::vector<Binding>& v) {
    std::vector<flatbuffers::Offset<exe::TensorBinding>> out;
    for (const Binding& b : v)
      out.push_back(exe::CreateTensorBindingDirect(fbb, b.name.c_str(), b.tensor_index, b.type, &b.shape,
                                                   b.region, b.offset, b.size, b.flip));
    return out;
  };
  auto inputs = bindings(s.inputs);
  auto outputs = bindings(s.outputs);
  std::vector<flatbuffers::Offset<exe::OpRecord>> ops;
  uint64_t macs = 0, cycles = 0;
  for (const Op& o : s.ops) {
    ops.push_back(exe::CreateOpRecordDirect(fbb, o.node_index, o.name.c_str(), o.first, o.count, o.macs, o.cycles));
    macs += o.macs;
    cycles += o.cycles;
  }
  auto stats = exe::CreateStats(fbb, macs, cycles, s.parameters.size(), 0, 4096, s.parameters.size());
  const std::vector<uint8_t> digest = s.digest.value_or(std::vector<uint8_t>(exe::kExecutableDigestBytes, 0));
  auto root = exe::CreateExecutableDirect(fbb, s.format_version, s.isa_version, config, &chunks, &s.parameters,
                                          &inputs, &outputs, s.input_bytes, s.output_bytes, s.scratch_bytes, &ops,
                                          stats, s.producer.c_str(), s.flavor, digest.empty() ? nullptr : &digest,
                                          s.instruction_ops ? &*s.instruction_ops : nullptr);
  fbb.Finish(root, s.identifier.c_str());
  std::vector<uint8_t> b(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
  if (!s.digest.has_value()) SealDigest(&b);
  return b;
}

inline std::vector<isa::InsnWord> Words(const sim::ProgramBuilder& p) {
  EXPECT_TRUE(p.status().ok()) << p.status().ToString();
  return p.words();
}

inline sim::DeviceConfig TestConfig() {
  sim::DeviceConfig c = sim::DeviceConfig::Small(8);
  c.link = sim::LinkConfig::PcieGen2x1();
  return c;
}

inline isa::LoadArgs Dma(isa::Buffer buf, int region, uint32_t rows, uint32_t row_bytes, uint32_t sram, uint32_t host) {
  isa::LoadArgs a;
  a.buffer = static_cast<uint32_t>(buf);
  a.region = region;
  a.rows = rows;
  a.row_bytes = row_bytes;
  a.sram_addr = sram;
  a.sram_stride = row_bytes;
  a.host_offset = host;
  a.host_stride = row_bytes;
  return a;
}
inline isa::StoreArgs StoreDma(int region, uint32_t rows, uint32_t row_bytes, uint32_t sram, uint32_t host) {
  isa::LoadArgs l = Dma(isa::Buffer::kAbuf, region, rows, row_bytes, sram, host);
  return isa::StoreArgs{l.buffer, l.region, l.rows, l.row_bytes, l.sram_addr, l.sram_stride, l.host_offset,
                        l.host_stride};
}

// LUT executable: PARAMETER_LOAD puts a 256-byte table at PBUF `lut_addr`;
// INFERENCE loads `n` int8 inputs, VLUT, stores. out[i] = lut[in[i] + 128].
inline constexpr uint32_t kLutLen = 40;
inline ExeSpec LutExecutable(const std::vector<uint8_t>& lut, uint32_t lut_addr = 0) {
  ExeSpec s;
  s.hw = TestConfig();
  s.parameters = lut;
  sim::ProgramBuilder pl;
  pl.Add(Dma(isa::Buffer::kPbuf, exe::Region_PARAMETERS, 1, 256, lut_addr, 0));
  s.parameter_load = Words(pl);
  sim::ProgramBuilder p;
  p.Add(Dma(isa::Buffer::kAbuf, exe::Region_INPUT, 1, kLutLen, 0, 0), PushNext());
  p.Add(isa::VlutArgs{kLutLen, 0, 1024, lut_addr}, PopPrev() | PushNext());
  p.Add(StoreDma(exe::Region_OUTPUT, 1, kLutLen, 1024, 0), PopPrev());
  s.inference = Words(p);
  s.inputs = {Binding{"x", 0, kTypeInt8, {1, kLutLen}, exe::Region_INPUT, 0, kLutLen, false}};
  s.outputs = {Binding{"y", 1, kTypeInt8, {1, kLutLen}, exe::Region_OUTPUT, 0, kLutLen, false}};
  s.input_bytes = kLutLen;
  s.output_bytes = kLutLen;
  s.ops = {Op{0, "LOGISTIC", 0, 3, 0, 100}};
  return s;
}

inline std::vector<uint8_t> RandomBytes(Xorshift32& rng, size_t n) {
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng.Next());
  return v;
}

inline std::unique_ptr<Device> OpenSim(const sim::DeviceConfig& hw = TestConfig(), const std::string& spec = "sim") {
  StatusOr<std::unique_ptr<Device>> d = Device::Open(spec, hw);
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return d.ok() ? std::move(d).value() : nullptr;
}

inline std::unique_ptr<LoadedExecutable> MustLoad(Device& dev, const std::vector<uint8_t>& bytes) {
  StatusOr<std::unique_ptr<LoadedExecutable>> e = dev.Load(bytes.data(), bytes.size());
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return e.ok() ? std::move(e).value() : nullptr;
}

// Runs a one-input one-output executable.
inline StatusOr<RunStats> Run1(Device& dev, LoadedExecutable& e, const std::vector<uint8_t>& in, std::vector<uint8_t>* out) {
  out->assign(e.outputs()[0].size, 0xEE);
  return dev.Run(e, {in.data()}, {out->data()});
}

inline bool Contains(const Status& s, const std::string& needle) {
  return s.message().find(needle) != std::string::npos;
}

// VADD of two inputs packed at binding offsets, identity rescaling:
// out = clamp(a + b). With `uint8`, the tensors are uint8 (sign bit flipped
// on the way in and out): out = clamp((a-128) + (b-128)) + 128.
inline ExeSpec VaddExecutable(uint32_t n, bool uint8) {
  ExeSpec s;
  s.hw = TestConfig();
  constexpr uint32_t kOffB = 100;  // input b's offset in INPUT (a gap after a)
  sim::ProgramBuilder p;
  p.Add(Dma(isa::Buffer::kAbuf, exe::Region_INPUT, 1, n, 0, 0));
  p.Add(Dma(isa::Buffer::kAbuf, exe::Region_INPUT, 1, n, 256, kOffB), PushNext());
  const int32_t q = 1 << 30;
  p.Add(isa::SetregArgs{0, 3, 0, 0, 0});        // IN1_ZP, IN2_ZP, OUT_ZP
  p.Add(isa::SetregArgs{3, 3, -128, 127, 0});   // ACT_MIN, ACT_MAX, LEFT_SHIFT
  p.Add(isa::SetregArgs{6, 3, q, 1, q});        // IN1_MULT, IN1_SHIFT, IN2_MULT
  p.Add(isa::SetregArgs{9, 3, 1, q, 1});        // IN2_SHIFT, OUT_MULT, OUT_SHIFT
  p.Add(isa::VaddArgs{n, 0, 256, 512}, PopPrev() | PushNext());
  p.Add(StoreDma(exe::Region_OUTPUT, 1, n, 512, 8), PopPrev());
  s.inference = Words(p);
  const int8_t t = uint8 ? kTypeUint8 : kTypeInt8;
  const int dim = static_cast<int>(n);
  s.inputs = {Binding{"a", 0, t, {dim}, exe::Region_INPUT, 0, n, uint8},
              Binding{"b", 1, t, {dim}, exe::Region_INPUT, kOffB, n, uint8}};
  s.outputs = {Binding{"sum", 2, t, {dim}, exe::Region_OUTPUT, 8, n, uint8}};
  s.input_bytes = kOffB + n;
  s.output_bytes = 8 + n;
  s.ops = {Op{0, "ADD", 2, 5, 0, 40}};
  return s;
}


}  // namespace systole::driver::testutil

#endif  // SYSTOLE_DRIVER_DRIVER_TEST_UTIL_H_
