// The TFLite delegate interface of Systole's interpreter, exercised by a test
// delegate ("AddOnCpuDelegate", a fake behind the real interface): it claims
// every ADD node through GetExecutionPlan / GetNodeAndRegistration, replaces
// them with ReplaceNodeSubsetsWithDelegateKernels, and runs the claimed nodes
// with the builtin ADD kernel. Results must equal the plain CPU run, and the
// partitions must be what TFLite's partitioning gives.
#include <gtest/gtest.h>

#include <vector>

#include "interpreter/interpreter.h"
#include "interpreter/model.h"
#include "interpreter/op_resolver.h"
#include "interpreter/tensor_io.h"
#include "testing/model_builder.h"
#include "testing/test_models.h"

namespace systole {
namespace testing {
namespace {

struct DelegateStats {
  int prepare_calls = 0;
  int kernel_inits = 0;
  int kernel_invokes = 0;
  int preview_partitions = -1;
  std::vector<std::vector<int>> partitions;  // nodes of each replaced subset
  std::vector<std::vector<int>> partition_inputs;
  std::vector<std::vector<int>> partition_outputs;
};

// One replaced subset: the original nodes and registrations, run in order.
struct PartitionKernel {
  DelegateStats* stats;
  std::vector<std::pair<TfLiteNode*, TfLiteRegistration*>> nodes;
};

std::vector<int> ToVector(const TfLiteIntArray* a) { return std::vector<int>(a->data, a->data + a->size); }

void* KernelInit(TfLiteContext* context, const char* buffer, size_t) {
  const auto* params = reinterpret_cast<const TfLiteDelegateParams*>(buffer);
  auto* stats = static_cast<DelegateStats*>(params->delegate->data_);
  auto* k = new PartitionKernel{stats, {}};
  stats->kernel_inits++;
  stats->partitions.push_back(ToVector(params->nodes_to_replace));
  stats->partition_inputs.push_back(ToVector(params->input_tensors));
  stats->partition_outputs.push_back(ToVector(params->output_tensors));
  for (int i = 0; i < params->nodes_to_replace->size; ++i) {
    TfLiteNode* node = nullptr;
    TfLiteRegistration* reg = nullptr;
    if (context->GetNodeAndRegistration(context, params->nodes_to_replace->data[i], &node, &reg) ==
        kTfLiteOk) {
      k->nodes.emplace_back(node, reg);
    }
  }
  return k;
}
void KernelFree(TfLiteContext*, void* buffer) { delete static_cast<PartitionKernel*>(buffer); }
TfLiteStatus KernelPrepare(TfLiteContext* context, TfLiteNode* node) {
  auto* k = static_cast<PartitionKernel*>(node->user_data);
  for (auto& [n, r] : k->nodes) {
    if (r->prepare && r->prepare(context, n) != kTfLiteOk) return kTfLiteError;
  }
  return kTfLiteOk;
}
TfLiteStatus KernelInvoke(TfLiteContext* context, TfLiteNode* node) {
  auto* k = static_cast<PartitionKernel*>(node->user_data);
  k->stats->kernel_invokes++;
  for (auto& [n, r] : k->nodes) {
    if (r->invoke(context, n) != kTfLiteOk) return kTfLiteError;
  }
  return kTfLiteOk;
}

TfLiteStatus DelegatePrepare(TfLiteContext* context, TfLiteDelegate* delegate) {
  auto* stats = static_cast<DelegateStats*>(delegate->data_);
  stats->prepare_calls++;
  TfLiteIntArray* plan = nullptr;
  if (context->GetExecutionPlan(context, &plan) != kTfLiteOk) return kTfLiteError;
  std::vector<int> claimed;
  for (int i = 0; i < plan->size; ++i) {
    TfLiteNode* node = nullptr;
    TfLiteRegistration* reg = nullptr;
    if (context->GetNodeAndRegistration(context, plan->data[i], &node, &reg) != kTfLiteOk) {
      return kTfLiteError;
    }
    if (reg->builtin_code == tflite::BuiltinOperator_ADD) claimed.push_back(plan->data[i]);
  }
  TfLiteIntArray* nodes = TfLiteIntArrayCreate(static_cast<int>(claimed.size()));
  for (size_t i = 0; i < claimed.size(); ++i) nodes->data[i] = claimed[i];
  TfLiteDelegateParams* preview = nullptr;
  int num_preview = 0;
  if (context->PreviewDelegatePartitioning(context, nodes, &preview, &num_preview) == kTfLiteOk) {
    stats->preview_partitions = num_preview;
  }
  TfLiteRegistration reg{};
  reg.init = KernelInit;
  reg.free = KernelFree;
  reg.prepare = KernelPrepare;
  reg.invoke = KernelInvoke;
  reg.custom_name = "AddOnCpuDelegate";
  reg.version = 1;
  const TfLiteStatus st =
      context->ReplaceNodeSubsetsWithDelegateKernels(context, reg, nodes, delegate);
  TfLiteIntArrayFree(nodes);
  return st;
}

TfLiteDelegate MakeDelegate(DelegateStats* stats) {
  TfLiteDelegate d{};
  d.data_ = stats;
  d.Prepare = DelegatePrepare;
  d.flags = kTfLiteDelegateFlagsNone;
  return d;
}

std::vector<uint8_t> RunModel(const std::vector<uint8_t>& bytes, TfLiteDelegate* delegate,
                         std::vector<int>* plan = nullptr) {
  auto model = Model::FromBuffer(bytes, "diamond.tflite");
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  BuiltinOpResolver resolver(TfliteFlavor::kRuy);
  auto interp = Interpreter::Create(**model, resolver);
  EXPECT_TRUE(interp.ok()) << interp.status().ToString();
  if (delegate) {
    Status s = (*interp)->ModifyGraphWithDelegate(delegate);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  Status s = (*interp)->AllocateTensors();
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(FillInputsFromSeed(interp->get(), 3).ok());
  s = (*interp)->Invoke();
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (plan) {
    plan->clear();
    for (int n : (*interp)->execution_plan()) {
      plan->push_back((*interp)->node(n).delegate ? -1 : n);
    }
  }
  return GetOutputs(**interp);
}

TEST(DelegateTest, AddDelegateMatchesCpuAndPartitionsWithoutCycles) {
  const std::vector<uint8_t> model = DiamondModel();
  ASSERT_FALSE(model.empty());
  const std::vector<uint8_t> cpu = RunModel(model, nullptr);
  DelegateStats stats;
  TfLiteDelegate delegate = MakeDelegate(&stats);
  std::vector<int> plan;
  const std::vector<uint8_t> delegated = RunModel(model, &delegate, &plan);
  EXPECT_EQ(cpu, delegated);
  EXPECT_EQ(stats.prepare_calls, 1);
  EXPECT_EQ(stats.preview_partitions, 2);
  ASSERT_EQ(stats.partitions.size(), 2u);
  EXPECT_EQ(stats.partitions[0], (std::vector<int>{0, 3}));  // ADD a, ADD d
  EXPECT_EQ(stats.partitions[1], (std::vector<int>{2}));     // ADD c (needs MUL's output)
  EXPECT_EQ(stats.partition_inputs[0], (std::vector<int>{0, 1}));
  EXPECT_EQ(stats.partition_outputs[0], (std::vector<int>{2, 5}));
  EXPECT_EQ(stats.partition_inputs[1], (std::vector<int>{2, 3}));
  EXPECT_EQ(stats.partition_outputs[1], (std::vector<int>{4}));
  EXPECT_EQ(plan, (std::vector<int>{-1, 1, -1}));  // delegate, MUL, delegate
  EXPECT_EQ(stats.kernel_invokes, 2);
}

// The diamond model, loaded into an interpreter (model and resolver owned
// here because the interpreter keeps pointers to them).
struct LoadedDiamond {
  std::unique_ptr<Model> model;
  BuiltinOpResolver resolver{TfliteFlavor::kRuy};
  std::unique_ptr<Interpreter> interp;
};

void LoadDiamond(LoadedDiamond* d) {
  auto model = Model::FromBuffer(DiamondModel(), "diamond.tflite");
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  d->model = std::move(*model);
  auto interp = Interpreter::Create(*d->model, d->resolver);
  ASSERT_TRUE(interp.ok()) << interp.status().ToString();
  d->interp = std::move(*interp);
}

TEST(DelegateTest, ReplaceOutsidePrepareIsAnError) {
  LoadedDiamond d;
  ASSERT_NO_FATAL_FAILURE(LoadDiamond(&d));
  TfLiteContext* ctx = d.interp->context();
  TfLiteRegistration reg{};
  TfLiteIntArray* nodes = TfLiteIntArrayCreate(1);
  nodes->data[0] = 0;
  EXPECT_EQ(ctx->ReplaceNodeSubsetsWithDelegateKernels(ctx, reg, nodes, nullptr), kTfLiteError);
  TfLiteIntArrayFree(nodes);
}

TEST(DelegateTest, GetNodeAndRegistrationChecksRange) {
  LoadedDiamond d;
  ASSERT_NO_FATAL_FAILURE(LoadDiamond(&d));
  TfLiteContext* ctx = d.interp->context();
  TfLiteNode* node = nullptr;
  TfLiteRegistration* reg = nullptr;
  EXPECT_EQ(ctx->GetNodeAndRegistration(ctx, 4, &node, &reg), kTfLiteError);
  EXPECT_EQ(ctx->GetNodeAndRegistration(ctx, 1, &node, &reg), kTfLiteOk);
  EXPECT_EQ(reg->builtin_code, tflite::BuiltinOperator_MUL);
}

TEST(DelegateTest, FailingDelegatePrepareIsReported) {
  TfLiteDelegate delegate{};
  delegate.Prepare = [](TfLiteContext* ctx, TfLiteDelegate*) {
    ctx->ReportError(ctx, "test delegate refuses");
    return kTfLiteError;
  };
  LoadedDiamond d;
  ASSERT_NO_FATAL_FAILURE(LoadDiamond(&d));
  Status s = d.interp->ModifyGraphWithDelegate(&delegate);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("test delegate refuses"), std::string::npos);
}

}  // namespace
}  // namespace testing
}  // namespace systole
