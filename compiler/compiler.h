// The Systole compiler: lowers one accelerator partition of a TFLite graph to
// the ISA and packs it into a versioned executable (schema/executable.fbs).
//
// Input is the graph as a TFLite delegate sees it (TfLiteContext + node
// indices), so the same code serves the ahead-of-time command (which loads the
// model into Systole's interpreter first), the delegate compiling on the fly,
// and the external-delegate plugin inside stock TensorFlow Lite.
//
// Support: CheckOpSupport() is the one predicate per operator. It is exactly
// what CompilePartition() can lower: an op it accepts always compiles, and
// its refusal reason names the op, its index and the constraint it broke.
//
// Determinism: the same graph, partition and options give the same bytes.
#ifndef SYSTOLE_COMPILER_COMPILER_H_
#define SYSTOLE_COMPILER_COMPILER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/tflite_flavor.h"
#include "interpreter/tflite_c.h"
#include "schema/executable_version.h"
#include "arch/device_config.h"

namespace systole::compiler {

// Bumped whenever the executable's meaning changes incompatibly.
using exe::kExecutableFormatVersion;  // schema/executable_version.h
// The custom op name carrying an executable in a compiled .tflite
// (custom_options = the executable's bytes).
constexpr const char* kCustomOpName = "SYSTOLE";

struct CompileOptions {
  sim::DeviceConfig hw;
  // Cache parameters in PBUF across inferences when they all fit (the Edge
  // TPU's parameter caching); otherwise, or when false, stream them.
  bool cache_parameters = true;
  // The TFLite build whose arithmetic the executable reproduces
  // (common/tflite_flavor.h); recorded in the executable.
  TfliteFlavor flavor = HostTfliteFlavor();
  // Also try loading a single input in row bands overlapping compute (and
  // cascading the first layers under it), kept when the estimator finds it
  // faster (docs/compiler.md, "Input bands"). false: the input is loaded whole.
  bool input_bands = true;
};

// Why an op can or cannot run on the accelerator. ok() = supported.
// The message reads "CONV_2D (op 3): <constraint>".
Status CheckOpSupport(TfLiteContext* context, int node_index, const CompileOptions& options);

// A partition: nodes in execution order, its input tensors (produced outside
// or graph inputs; constants excluded) and its output tensors (used outside
// or graph outputs).
struct PartitionSpec {
  std::vector<int> nodes;
  std::vector<int> inputs;
  std::vector<int> outputs;
};

struct OpReport {
  int node_index = 0;
  std::string op;        // "CONV_2D"
  uint64_t macs = 0;
  uint64_t estimated_cycles = 0;
  int num_instructions = 0;
};

struct CompileReport {
  std::vector<OpReport> ops;
  uint64_t macs = 0;
  uint64_t estimated_cycles = 0;         // whole INFERENCE chunk
  uint64_t cached_parameter_bytes = 0;
  uint64_t streamed_parameter_bytes = 0;
  uint64_t abuf_peak_bytes = 0;
  uint64_t pbuf_peak_bytes = 0;
  uint64_t instructions = 0;
  // Tiled partitions (docs/tiling.md): row bands run, and the activation
  // bytes moved between host memory and ABUF (loads / stores).
  bool tiled = false;
  uint64_t cascades = 0;  // groups of ops run band by band together
  uint64_t bands = 0;     // over all groups
  uint64_t host_load_bytes = 0, host_store_bytes = 0;
  // The partition input loaded in row bands (0: whole), and with the
  // cascade (docs/compiler.md, "Input bands"): how many ops' instructions
  // interleave with each other under the input DMA.
  int input_bands = 0;
  int cascaded_ops = 0;
};

struct CompiledPartition {
  std::vector<uint8_t> executable;  // schema/executable.fbs, identifier "SYSX"
  CompileReport report;
};

StatusOr<CompiledPartition> CompilePartition(TfLiteContext* context, const PartitionSpec& partition,
                                             const CompileOptions& options);

}  // namespace systole::compiler

#endif  // SYSTOLE_COMPILER_COMPILER_H_
