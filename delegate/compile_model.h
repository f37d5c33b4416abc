// Ahead-of-time compilation (`systole compile`): partitions and compiles a
// .tflite exactly as the delegate would, then writes a .tflite in which every
// compiled partition is one custom op compiler::kCustomOpName ("SYSTOLE",
// custom_options = the executable, 16-byte aligned; operator inputs = the
// partition's non-constant inputs, outputs = its outputs, in the executable's
// binding order). CPU ops stay as they were; everything else of the model
// (other subgraphs, metadata, signatures, tensor names) is kept. Constant
// buffers only the compiled ops used are emptied. The result runs in any
// interpreter that registers the custom op (delegate::SystoleCustomOpRegistration)
// and gives the same outputs.
#ifndef SYSTOLE_DELEGATE_COMPILE_MODEL_H_
#define SYSTOLE_DELEGATE_COMPILE_MODEL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "delegate/partitioner.h"
#include "delegate/systole_delegate.h"
#include "arch/device_config.h"

namespace systole::delegate {

struct CompiledModel {
  std::vector<uint8_t> tflite;  // the rewritten model
  PartitionPlan plan;           // node indices = operator indices of the input model
  sim::DeviceConfig hw;
  TfliteFlavor flavor = TfliteFlavor::kRuy;  // DelegateOptions::tflite_flavor
  int custom_ops = 0;           // SYSTOLE ops in the output
};

StatusOr<CompiledModel> CompileModel(const std::vector<uint8_t>& tflite, const std::string& name,
                                     const DelegateOptions& options);

// The edgetpu_compiler-style report of a compilation: model, configuration,
// partitions, an "Operator / Count / Status" table, the ops left on the CPU
// grouped by reason (one line per reason naming the op kinds and their
// indices as ranges; `verbose`: one line per op), the accelerator ops that
// take the most estimated cycles with their MACs and array utilization (the
// top kTopOps; `verbose`: all), parameter memory, streamed bytes, estimated
// cycles and latency.
inline constexpr int kTopOps = 10;
std::string FormatCompileReport(const CompiledModel& result, const std::string& input_name,
                                const std::string& output_name, const std::string& config_name,
                                bool verbose = false);

// "CONV_2D (ops 1, 4-6), ADD (op 3)": op kinds in order of first appearance,
// each with its node indices as ranges. `ops` are (kind, node index) in
// increasing node order.
std::string DescribeOpsAsRanges(const std::vector<std::pair<std::string, int>>& ops);

// The GEMM-class ops over which issue 14 measures the array's utilization:
// CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED.
bool IsGemmClassOp(const std::string& op);

// One op's record in program order, for GemmClassShare.
struct OpCost {
  std::string op;
  uint64_t macs = 0;
  uint64_t cycles = 0;
};

// Issue 14's utilization figure: the MACs of the GEMM-class ops and the
// cycles they take. Ops run as one cascaded group under the input DMA
// (docs/tiling.md) report all the group's cycles in its first record and 0 in
// the others; a group holding a GEMM-class op with MACs counts whole, the
// cycles of its other ops too, so the figure errs low, never high.
struct GemmShare {
  uint64_t macs = 0;
  uint64_t cycles = 0;
  double utilization(double peak_macs_per_cycle) const {
    return cycles ? static_cast<double>(macs) / (peak_macs_per_cycle * static_cast<double>(cycles)) : 0.0;
  }
};
GemmShare GemmClassShare(const std::vector<OpCost>& in_program_order);

}  // namespace systole::delegate

#endif  // SYSTOLE_DELEGATE_COMPILE_MODEL_H_
