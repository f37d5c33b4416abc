// The partitioner: decides which nodes of a graph run on the accelerator and
// groups them into partitions, using only the TFLite delegate interface of a
// TfLiteContext (so it works in Systole's interpreter and in stock TFLite).
//
// One support predicate per op (compiler::CheckOpSupport, injected so tests
// can use a fake) plus options:
//   allow / deny         builtin operator names ("CONV_2D") to consider / refuse
//   min_partition_ops    partitions with fewer ops stay on the CPU
//   max_partitions       keep only the N largest partitions (ties: earliest),
//                        as TFLite's max_delegated_partitions does
// Partitions come from the context's PreviewDelegatePartitioning, i.e. the
// same greedy scheme ReplaceNodeSubsetsWithDelegateKernels applies, so they
// never create a cycle. Each partition is compiled (through the injected
// compile function); a partition whose compile fails goes back to the CPU
// with the compile error as its ops' reason. Whenever an option or a compile
// failure removes ops, the remaining ops are partitioned again, until the
// result is stable: the plan returned is exactly what
// ReplaceNodeSubsetsWithDelegateKernels will make of plan.claimed_nodes().
//
// Precompiled custom ops (compiler::kCustomOpName, custom_options = an
// executable) are always claimed; they are not subject to the options.
//
// Every node of the execution plan gets an OpDecision: the partition it runs
// in, or a reason a user can act on, "SOFTMAX (op 12): denied by --deny SOFTMAX".
#ifndef SYSTOLE_DELEGATE_PARTITIONER_H_
#define SYSTOLE_DELEGATE_PARTITIONER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "compiler/compiler.h"
#include "interpreter/tflite_c.h"

namespace systole::delegate {

struct PartitionOptions {
  std::vector<std::string> allow;  // builtin operator names; empty = every op
  std::vector<std::string> deny;   // builtin operator names
  int min_partition_ops = 1;
  int max_partitions = 0;  // 0 = no limit
  // Checks the op names (known builtin operators) and the ranges.
  Status Validate() const;
};

// "CONV_2D,ADD" -> {"CONV_2D", "ADD"} (case-insensitive, spaces ignored);
// unknown names are INVALID_ARGUMENT naming the option (e.g. "--deny").
StatusOr<std::vector<std::string>> ParseOpList(const std::string& list, const std::string& option);
// Name of a node's operator: "CONV_2D", or a custom op's name.
std::string NodeOpName(const TfLiteRegistration& reg);

// One executable run inside a partition.
struct Step {
  bool precompiled = false;  // a kCustomOpName node carrying its executable
  compiler::PartitionSpec spec;  // nodes (execution order), non-constant inputs, outputs
  // Compiled steps: the compiler's result (shared with the compile cache).
  std::shared_ptr<const compiler::CompiledPartition> compiled;
  // Precompiled steps: the node's custom_initial_data (owned by the model).
  const uint8_t* executable = nullptr;
  size_t executable_size = 0;

  const uint8_t* executable_data() const {
    return precompiled ? executable : compiled->executable.data();
  }
  size_t executable_bytes() const { return precompiled ? executable_size : compiled->executable.size(); }
};

// One delegated node subset (one delegate kernel).
struct Partition {
  std::vector<int> nodes;    // execution order
  std::vector<int> inputs;   // non-constant tensors read from outside
  std::vector<int> outputs;  // tensors used outside or graph outputs
  std::vector<Step> steps;   // usually one; more when precompiled ops are mixed in
};

struct OpDecision {
  int node = 0;
  std::string op;      // "CONV_2D"
  int partition = -1;  // index into PartitionPlan::partitions, -1 = CPU
  std::string reason;  // why it stays on the CPU (empty when partition >= 0)
};

struct PartitionPlan {
  std::vector<Partition> partitions;
  std::vector<OpDecision> ops;  // every node of the execution plan, in order
  // Number of accelerator ops; a precompiled node counts its executable's ops.
  int accelerator_ops = 0;
  int cpu_ops = 0;
  std::vector<int> claimed_nodes() const;
};

using SupportFn = std::function<Status(TfLiteContext* context, int node_index)>;
using CompileFn = std::function<StatusOr<std::shared_ptr<const compiler::CompiledPartition>>(
    TfLiteContext* context, const compiler::PartitionSpec& spec)>;

StatusOr<PartitionPlan> PlanPartitions(TfLiteContext* context, const PartitionOptions& options,
                                       const SupportFn& support, const CompileFn& compile);

// Number of operators recorded in an executable (its OpRecords), 0 if it
// does not verify.
int ExecutableOpCount(const uint8_t* data, size_t size);

}  // namespace systole::delegate

#endif  // SYSTOLE_DELEGATE_PARTITIONER_H_
