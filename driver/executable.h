// Internal to driver/: reading and verifying a Systole executable
// (schema/executable.fbs, docs/executable.md).
//
// Trust model: the bytes are untrusted. ParseExecutable() checks everything
// once (structure, identifier, versions, the SHA-256 digest of everything that
// affects execution (schema/executable_digest.h), configuration, every
// instruction word against the recorded configuration and region sizes,
// bindings, op records) and returns a ParsedExecutable whose fields need no further checks:
// the per-inference path only copies bytes and runs the chunks.
#ifndef SYSTOLE_DRIVER_EXECUTABLE_H_
#define SYSTOLE_DRIVER_EXECUTABLE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "arch/device_config.h"
#include "arch/host_memory.h"
#include "common/status.h"
#include "common/tflite_flavor.h"
#include "driver/driver.h"
#include "schema/executable_generated.h"
#include "schema/isa/isa_generated.h"

namespace systole::driver {

// Upper bound of each host region (INPUT, OUTPUT, SCRATCH are allocated by
// the driver at load time, so a hostile size must not allocate gigabytes).
inline constexpr uint64_t kMaxRegionBytes = uint64_t{1} << 30;

struct ParsedChunk {
  int index = -1;  // in Executable.chunks; -1 = absent
  std::vector<isa::InsnWord> words;
  bool present() const { return index >= 0; }
};

struct ParsedOp {
  int node_index = 0;
  std::string name;
  uint32_t first_instruction = 0, num_instructions = 0;
  uint64_t macs = 0, estimated_cycles = 0;
};

class ParsedExecutable {
 public:
  // The flatbuffer, inside bytes() (a 16-byte-aligned private copy).
  const exe::Executable& fb() const { return *fb_; }
  const std::vector<uint8_t>& bytes() const { return bytes_; }

  // The recorded hardware configuration: rows, cols, abuf_bytes, pbuf_bytes,
  // acc_rows from the file, every other field at DeviceConfig's default.
  sim::DeviceConfig config;
  ParsedChunk parameter_load;  // may be absent
  ParsedChunk inference;       // always present, at least one instruction
  // Whether the INFERENCE chunk LOADs into PBUF (streamed parameters): then
  // running it can overwrite another executable's cached parameters.
  bool inference_writes_pbuf = false;

  std::vector<TensorBindingInfo> inputs, outputs;
  const uint8_t* parameters = nullptr;  // inside bytes(); null when empty
  uint64_t parameters_bytes = 0;
  uint32_t input_bytes = 0, output_bytes = 0, scratch_bytes = 0;
  std::vector<ParsedOp> ops;  // sorted, disjoint, inside the INFERENCE chunk
  // Executable.instruction_ops: per INFERENCE instruction, its op (index into
  // ops) or exe::kNoOp; empty when absent (the ranges of ops then decide).
  std::vector<uint16_t> instruction_ops;
  // The op of INFERENCE instruction pc (instruction_ops, else the range that
  // holds it), or -1.
  int OpOf(uint64_t pc) const;
  TfliteFlavor flavor = TfliteFlavor::kRuy;  // the TFLite arithmetic it reproduces

 private:
  friend StatusOr<std::unique_ptr<ParsedExecutable>> ParseExecutable(const uint8_t* data, size_t size);
  std::vector<uint8_t> bytes_;
  const exe::Executable* fb_ = nullptr;
};

// Copies and verifies. Errors start with "executable: " and name the part
// and the rule.
StatusOr<std::unique_ptr<ParsedExecutable>> ParseExecutable(const uint8_t* data, size_t size);

// "16x16 (ABUF 1 MiB, PBUF 2 MiB, ACC 4096 rows)": the part of a
// configuration an executable is compiled for.
std::string DescribeCompiledConfig(const sim::DeviceConfig& c);

// Host memory as the given chunk sees it: region 0 PARAMETERS (read-only) for
// both chunks; INPUT (read-only), OUTPUT (write-only) and SCRATCH (read/write)
// for INFERENCE only. Regions of size 0 stay unmapped. The pointers may be
// null for verification: Map() then gets a placeholder, which validation
// never dereferences (it only reads sizes and permissions).
struct RegionBuffers {
  const uint8_t* parameters = nullptr;
  uint8_t* input = nullptr;
  uint8_t* output = nullptr;
  uint8_t* scratch = nullptr;
};
StatusOr<sim::HostMemory> MapRegions(const ParsedExecutable& exe, exe::ChunkKind kind, const RegionBuffers& b);

}  // namespace systole::driver

#endif  // SYSTOLE_DRIVER_EXECUTABLE_H_
