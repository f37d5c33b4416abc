#include "delegate/partitioner.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "compiler/graph.h"
#include "driver/driver.h"
#include "schema/executable_generated.h"
#include "schema/tflite_generated.h"

namespace systole::delegate {
namespace {

std::string JoinOps(const std::vector<std::string>& ops) {
  std::string s;
  for (const std::string& o : ops) s += (s.empty() ? "" : ",") + o;
  return s;
}

std::string JoinInts(const std::vector<int>& v) {
  std::string s;
  for (int x : v) s += (s.empty() ? "" : ", ") + std::to_string(x);
  return s;
}

bool IsKnownBuiltin(const std::string& name) {
  for (int c = tflite::BuiltinOperator_MIN; c <= tflite::BuiltinOperator_MAX; ++c) {
    const char* n = tflite::EnumNameBuiltinOperator(static_cast<tflite::BuiltinOperator>(c));
    if (n != nullptr && name == n) return true;
  }
  return false;
}

std::vector<int> ToVector(const TfLiteIntArray* a) {
  return a ? std::vector<int>(a->data, a->data + a->size) : std::vector<int>();
}

bool IsConstant(const TfLiteContext* ctx, int t) {
  return ctx->tensors[t].allocation_type == kTfLiteMmapRo;
}

struct Subset {
  std::vector<int> nodes, inputs, outputs;
};

struct NodeInfo {
  TfLiteNode* node = nullptr;
  TfLiteRegistration* reg = nullptr;
  std::string op;
  bool precompiled = false;
};

// Splits a subset into executable runs: each precompiled node alone, and the
// maximal runs of other nodes between them. A run's inputs are the
// non-constant tensors it reads but does not produce; its outputs are the
// tensors it produces that the subset exports or another run reads.
std::vector<Step> SplitSteps(TfLiteContext* ctx, const Subset& sub,
                             const std::map<int, NodeInfo>& info) {
  std::vector<std::vector<int>> runs;
  std::vector<bool> run_precompiled;
  for (int n : sub.nodes) {
    const bool pre = info.at(n).precompiled;
    if (pre || runs.empty() || run_precompiled.back()) {
      runs.push_back({n});
      run_precompiled.push_back(pre);
    } else {
      runs.back().push_back(n);
    }
  }
  const std::set<int> exported(sub.outputs.begin(), sub.outputs.end());
  std::vector<Step> steps;
  for (size_t r = 0; r < runs.size(); ++r) {
    Step step;
    step.precompiled = run_precompiled[r];
    step.spec.nodes = runs[r];
    std::set<int> produced, seen;
    for (int n : runs[r]) {
      const TfLiteNode* node = info.at(n).node;
      for (int t : ToVector(node->inputs)) {
        if (t < 0 || produced.count(t) || IsConstant(ctx, t) || !seen.insert(t).second) continue;
        step.spec.inputs.push_back(t);
      }
      for (int t : ToVector(node->outputs)) produced.insert(t);
    }
    std::set<int> read_elsewhere;
    for (size_t o = 0; o < runs.size(); ++o) {
      if (o == r) continue;
      for (int n : runs[o]) {
        for (int t : ToVector(info.at(n).node->inputs)) read_elsewhere.insert(t);
      }
    }
    for (int n : runs[r]) {
      for (int t : ToVector(info.at(n).node->outputs)) {
        if (exported.count(t) || read_elsewhere.count(t)) step.spec.outputs.push_back(t);
      }
    }
    if (step.precompiled) {
      const TfLiteNode* node = info.at(runs[r][0]).node;
      step.spec.inputs = ToVector(node->inputs);
      step.spec.outputs = ToVector(node->outputs);
      step.executable = static_cast<const uint8_t*>(node->custom_initial_data);
      step.executable_size = static_cast<size_t>(std::max(node->custom_initial_data_size, 0));
    }
    steps.push_back(std::move(step));
  }
  return steps;
}

}  // namespace

std::string NodeOpName(const TfLiteRegistration& reg) {
  if (reg.builtin_code == tflite::BuiltinOperator_CUSTOM ||
      reg.builtin_code == tflite::BuiltinOperator_DELEGATE) {
    return reg.custom_name ? reg.custom_name : "CUSTOM";
  }
  return compiler::OpName(reg.builtin_code);
}

StatusOr<std::vector<std::string>> ParseOpList(const std::string& list, const std::string& option) {
  std::vector<std::string> ops;
  std::string cur;
  auto flush = [&]() -> Status {
    if (cur.empty()) return Status::Ok();
    if (!IsKnownBuiltin(cur)) {
      return InvalidArgument("%s: unknown operator '%s' (expected builtin operator names such as "
                             "CONV_2D,SOFTMAX)",
                             option.c_str(), cur.c_str());
    }
    ops.push_back(cur);
    cur.clear();
    return Status::Ok();
  };
  for (char c : list) {
    if (c == ',') {
      RETURN_IF_ERROR(flush());
    } else if (!std::isspace(static_cast<unsigned char>(c))) {
      cur += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  RETURN_IF_ERROR(flush());
  return ops;
}

Status PartitionOptions::Validate() const {
  for (const auto* list : {&allow, &deny}) {
    for (const std::string& op : *list) {
      if (!IsKnownBuiltin(op)) {
        return InvalidArgument("%s: unknown operator '%s'", list == &allow ? "--allow" : "--deny",
                               op.c_str());
      }
    }
  }
  if (min_partition_ops < 1) {
    return InvalidArgument("--min-partition-ops %d: must be at least 1", min_partition_ops);
  }
  if (max_partitions < 0) {
    return InvalidArgument("--max-partitions %d: must be 0 (no limit) or more", max_partitions);
  }
  return Status::Ok();
}

std::vector<int> PartitionPlan::claimed_nodes() const {
  std::vector<int> v;
  for (const Partition& p : partitions) v.insert(v.end(), p.nodes.begin(), p.nodes.end());
  std::sort(v.begin(), v.end());
  return v;
}

int ExecutableOpCount(const uint8_t* data, size_t size) {
  if (data == nullptr || !driver::VerifyExecutable(data, size).ok()) return 0;
  const exe::Executable* e = exe::GetExecutable(data);
  return e->ops() ? static_cast<int>(e->ops()->size()) : 0;
}

StatusOr<PartitionPlan> PlanPartitions(TfLiteContext* ctx, const PartitionOptions& options,
                                       const SupportFn& support, const CompileFn& compile) {
  RETURN_IF_ERROR(options.Validate());
  TfLiteIntArray* plan_array = nullptr;
  if (ctx->GetExecutionPlan(ctx, &plan_array) != kTfLiteOk) {
    return Internal("GetExecutionPlan failed");
  }
  const std::vector<int> plan = ToVector(plan_array);
  const std::set<std::string> allow(options.allow.begin(), options.allow.end());
  const std::set<std::string> deny(options.deny.begin(), options.deny.end());

  std::map<int, NodeInfo> info;
  std::map<int, std::string> reason;  // refused nodes
  std::set<int> candidates, precompiled;
  for (int n : plan) {
    NodeInfo ni;
    if (ctx->GetNodeAndRegistration(ctx, n, &ni.node, &ni.reg) != kTfLiteOk) {
      return Internal("GetNodeAndRegistration(%d) failed", n);
    }
    ni.op = NodeOpName(*ni.reg);
    const std::string label = StrFormat("%s (op %d)", ni.op.c_str(), n);
    if (ni.reg->builtin_code == tflite::BuiltinOperator_CUSTOM && ni.reg->custom_name &&
        std::string(ni.reg->custom_name) == compiler::kCustomOpName && ni.node->delegate == nullptr) {
      ni.precompiled = true;
      precompiled.insert(n);
    } else if (ni.node->delegate != nullptr) {
      reason[n] = label + ": already taken by another delegate";
    } else if (ni.reg->builtin_code == tflite::BuiltinOperator_CUSTOM) {
      reason[n] = label + ": custom operators other than " + compiler::kCustomOpName +
                  " cannot be compiled";
    } else if (deny.count(ni.op)) {
      reason[n] = label + ": denied by --deny " + JoinOps(options.deny);
    } else if (!allow.empty() && !allow.count(ni.op)) {
      reason[n] = label + ": not in --allow " + JoinOps(options.allow);
    } else {
      Status s = support(ctx, n);
      if (s.ok()) {
        candidates.insert(n);
      } else {
        reason[n] = s.message();
      }
    }
    info[n] = ni;
  }

  PartitionPlan result;
  // Each round either removes at least one candidate or ends.
  for (size_t round = 0; round <= plan.size() + 1; ++round) {
    std::vector<int> claimed(candidates.begin(), candidates.end());
    claimed.insert(claimed.end(), precompiled.begin(), precompiled.end());
    std::sort(claimed.begin(), claimed.end());
    std::vector<Subset> subsets;
    if (!claimed.empty()) {
      TfLiteIntArray* arr = TfLiteIntArrayCreate(static_cast<int>(claimed.size()));
      std::copy(claimed.begin(), claimed.end(), arr->data);
      TfLiteDelegateParams* params = nullptr;
      int num = 0;
      const TfLiteStatus st = ctx->PreviewDelegatePartitioning(ctx, arr, &params, &num);
      TfLiteIntArrayFree(arr);
      if (st != kTfLiteOk) return Internal("PreviewDelegatePartitioning failed");
      for (int i = 0; i < num; ++i) {
        subsets.push_back({ToVector(params[i].nodes_to_replace), ToVector(params[i].input_tensors),
                           ToVector(params[i].output_tensors)});
      }
    }
    auto has_candidates = [&](const Subset& s) {
      return std::any_of(s.nodes.begin(), s.nodes.end(), [&](int n) { return candidates.count(n) > 0; });
    };
    auto drop = [&](const Subset& s, const std::string& why) {
      for (int n : s.nodes) {
        if (!candidates.count(n)) continue;
        candidates.erase(n);
        reason[n] = StrFormat("%s (op %d): %s", info[n].op.c_str(), n, why.c_str());
      }
    };
    // Too small.
    bool changed = false;
    for (const Subset& s : subsets) {
      if (has_candidates(s) && static_cast<int>(s.nodes.size()) < options.min_partition_ops) {
        drop(s, StrFormat("in a partition of %zu op%s, below --min-partition-ops %d", s.nodes.size(),
                          s.nodes.size() == 1 ? "" : "s", options.min_partition_ops));
        changed = true;
      }
    }
    if (changed) continue;
    // Too many: keep the largest (stable: the earliest of equal size).
    std::vector<size_t> order;
    for (size_t i = 0; i < subsets.size(); ++i) {
      if (has_candidates(subsets[i])) order.push_back(i);
    }
    if (options.max_partitions > 0 && static_cast<int>(order.size()) > options.max_partitions) {
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return subsets[a].nodes.size() > subsets[b].nodes.size();
      });
      for (size_t k = options.max_partitions; k < order.size(); ++k) {
        const Subset& s = subsets[order[k]];
        drop(s, StrFormat("in a partition of %zu op%s, beyond --max-partitions %d (the %d largest of "
                          "%zu partitions are kept)",
                          s.nodes.size(), s.nodes.size() == 1 ? "" : "s", options.max_partitions,
                          options.max_partitions, order.size()));
      }
      continue;
    }
    // Compile.
    result.partitions.clear();
    for (const Subset& s : subsets) {
      Partition p;
      p.nodes = s.nodes;
      for (int t : s.inputs) {
        if (t >= 0 && !IsConstant(ctx, t)) p.inputs.push_back(t);
      }
      p.outputs = s.outputs;
      p.steps = SplitSteps(ctx, s, info);
      for (Step& step : p.steps) {
        if (step.precompiled) continue;
        StatusOr<std::shared_ptr<const compiler::CompiledPartition>> c = compile(ctx, step.spec);
        if (c.ok()) {
          step.compiled = *c;
          continue;
        }
        Subset failed{step.spec.nodes, {}, {}};
        drop(failed, StrFormat("its partition (ops %s) failed to compile: %s",
                               JoinInts(step.spec.nodes).c_str(), c.status().message().c_str()));
        changed = true;
      }
      result.partitions.push_back(std::move(p));
    }
    if (changed) continue;

    // Stable: record the decisions.
    std::map<int, int> partition_of;
    for (size_t i = 0; i < result.partitions.size(); ++i) {
      for (int n : result.partitions[i].nodes) partition_of[n] = static_cast<int>(i);
      for (const Step& step : result.partitions[i].steps) {
        result.accelerator_ops += step.precompiled
                                      ? ExecutableOpCount(step.executable, step.executable_size)
                                      : static_cast<int>(step.spec.nodes.size());
      }
    }
    for (int n : plan) {
      OpDecision d;
      d.node = n;
      d.op = info[n].op;
      auto it = partition_of.find(n);
      if (it != partition_of.end()) {
        d.partition = it->second;
      } else {
        d.reason = reason.count(n) ? reason[n] : StrFormat("%s (op %d): not claimed", d.op.c_str(), n);
        result.cpu_ops++;
      }
      result.ops.push_back(std::move(d));
    }
    return result;
  }
  return Internal("partitioning did not converge");
}

}  // namespace systole::delegate
