// The TFLite delegate interface of Systole's interpreter, exercised by a test
// delegate ("AddOnCpuDelegate", a fake behind the real interface): it claims
// every ADD node through GetExecutionPlan / GetNodeAndRegistration, replaces
// them with ReplaceNodeSubsetsWithDelegateKernels, and runs the claimed nodes
// with the builtin ADD kernel. Results must equal the plain CPU run, and the
// partitions must be what TFLite's partitioning gives.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
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

TfLiteDelegate MakeDelegate(DelegateStats* stats, int64_t flags = kTfLiteDelegateFlagsNone) {
  TfLiteDelegate d{};
  d.data_ = stats;
  d.Prepare = DelegatePrepare;
  d.flags = flags;
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
  const std::vector<int> plan = d.interp->execution_plan();
  Status s = d.interp->ModifyGraphWithDelegate(&delegate);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("test delegate refuses"), std::string::npos);
  // As TFLite: delegates removed, original plan restored, kTfLiteDelegateError.
  EXPECT_EQ(d.interp->last_delegate_status(), kTfLiteDelegateError);
  EXPECT_NE(s.message().find("Restored original execution plan after delegate application failure."),
            std::string::npos)
      << s.message();
  EXPECT_EQ(d.interp->execution_plan(), plan);
  EXPECT_TRUE(d.interp->delegates_applied().empty());
  EXPECT_TRUE(d.interp->AllocateTensors().ok());
  EXPECT_TRUE(d.interp->Invoke().ok());
}

// ---- TFLite 2.14's ModifyGraphWithDelegate steps and states ----

// in -> ADD(in, in) -> FAKE (custom op: copies its input) -> ADD(x, x) -> out.
std::vector<uint8_t> CustomOpModel() {
  ModelBuilder b;
  const auto kI8 = tflite::TensorType_INT8;
  const int in = b.AddTensor("in", kI8, {1, 2, 2, 3}, Quant::PerTensor(0.05f, -2));
  const int a = b.AddTensor("a", kI8, {1, 2, 2, 3}, Quant::PerTensor(0.1f, 1));
  const int f = b.AddTensor("f", kI8, {1, 2, 2, 3}, Quant::PerTensor(0.1f, 1));
  const int out = b.AddTensor("out", kI8, {1, 2, 2, 3}, Quant::PerTensor(0.2f, 0));
  b.AddOperator(tflite::BuiltinOperator_ADD, 1, {in, in}, {a});
  b.AddCustomOperator("FAKE", {a}, {f});
  b.AddOperator(tflite::BuiltinOperator_ADD, 1, {f, f}, {out});
  b.SetInputs({in});
  b.SetOutputs({out});
  std::vector<uint8_t> bytes = b.Finish();
  EXPECT_TRUE(b.ok()) << b.error();
  return bytes;
}

int g_fake_prepares = 0;

TfLiteStatus FakePrepare(TfLiteContext*, TfLiteNode*) {
  g_fake_prepares++;
  return kTfLiteOk;
}
TfLiteStatus FakeInvoke(TfLiteContext* ctx, TfLiteNode* node) {
  const TfLiteTensor& in = ctx->tensors[node->inputs->data[0]];
  TfLiteTensor& out = ctx->tensors[node->outputs->data[0]];
  std::memcpy(out.data.raw, in.data.raw, out.bytes);
  return kTfLiteOk;
}
// A FAKE whose output is dynamic-sized (as a kernel that knows its output
// shape only when it runs).
TfLiteStatus FakeDynamicPrepare(TfLiteContext* ctx, TfLiteNode* node) {
  ctx->tensors[node->outputs->data[0]].allocation_type = kTfLiteDynamic;
  return kTfLiteOk;
}

TfLiteRegistration FakeRegistration(bool dynamic = false) {
  TfLiteRegistration r{};
  r.prepare = dynamic ? FakeDynamicPrepare : FakePrepare;
  r.invoke = FakeInvoke;
  r.custom_name = "FAKE";
  r.version = 1;
  return r;
}

// A delegate that claims the FAKE nodes and runs them as FakeInvoke does.
struct FakeDelegate {
  TfLiteDelegate base{};
  int prepare_calls = 0;
  explicit FakeDelegate(int64_t flags) {
    base.data_ = this;
    base.flags = flags;
    base.Prepare = [](TfLiteContext* ctx, TfLiteDelegate* d) -> TfLiteStatus {
      static_cast<FakeDelegate*>(d->data_)->prepare_calls++;
      TfLiteIntArray* plan = nullptr;
      if (ctx->GetExecutionPlan(ctx, &plan) != kTfLiteOk) return kTfLiteError;
      std::vector<int> claimed;
      for (int i = 0; i < plan->size; ++i) {
        TfLiteNode* node = nullptr;
        TfLiteRegistration* reg = nullptr;
        if (ctx->GetNodeAndRegistration(ctx, plan->data[i], &node, &reg) != kTfLiteOk) return kTfLiteError;
        if (reg->custom_name && std::string(reg->custom_name) == "FAKE") claimed.push_back(plan->data[i]);
      }
      TfLiteRegistration kernel{};
      kernel.invoke = FakeInvoke;
      kernel.custom_name = "FakeDelegate";
      TfLiteIntArray* nodes = TfLiteIntArrayCreate(static_cast<int>(claimed.size()));
      for (size_t i = 0; i < claimed.size(); ++i) nodes->data[i] = claimed[i];
      const TfLiteStatus st = ctx->ReplaceNodeSubsetsWithDelegateKernels(ctx, kernel, nodes, d);
      TfLiteIntArrayFree(nodes);
      return st;
    };
  }
};

struct LoadedCustom {
  std::unique_ptr<Model> model;
  BuiltinOpResolver resolver{TfliteFlavor::kRuy};
  std::unique_ptr<Interpreter> interp;
};

void LoadCustom(bool register_fake, LoadedCustom* l, bool dynamic = false) {
  auto model = Model::FromBuffer(CustomOpModel(), "custom.tflite");
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  l->model = std::move(*model);
  if (register_fake) l->resolver.AddCustom("FAKE", FakeRegistration(dynamic));
  auto interp = Interpreter::Create(*l->model, l->resolver);
  ASSERT_TRUE(interp.ok()) << interp.status().ToString();
  l->interp = std::move(*interp);
}

std::vector<uint8_t> RunLoaded(Interpreter* interp) {
  Status s = interp->AllocateTensors();
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(FillInputsFromSeed(interp, 7).ok());
  s = interp->Invoke();
  EXPECT_TRUE(s.ok()) << s.ToString();
  return GetOutputs(*interp);
}

std::vector<uint8_t> CustomOpReference() {
  LoadedCustom l;
  LoadCustom(true, &l);
  return l.interp ? RunLoaded(l.interp.get()) : std::vector<uint8_t>();
}

// TFLite's InterpreterBuilder accepts a custom op nobody registered; it fails
// when the node is prepared.
TEST(DelegateTest, UnresolvedCustomOpIsAcceptedAndFailsAtPrepare) {
  LoadedCustom l;
  ASSERT_NO_FATAL_FAILURE(LoadCustom(false, &l));
  EXPECT_EQ(l.interp->NodeName(1), "FAKE");
  Status s = l.interp->AllocateTensors();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("operator 1 (FAKE): Encountered unresolved custom op: FAKE."),
            std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("Node number 1 (FAKE) failed to prepare."), std::string::npos)
      << s.message();
  EXPECT_FALSE(l.interp->Invoke().ok());
}

// STEP 1 without kTfLiteDelegateFlagsAllowDynamicTensors: every node is
// prepared before the delegate's Prepare, so the unresolved op fails first.
TEST(DelegateTest, DelegateWithoutTheFlagCannotClaimAnUnresolvedOp) {
  LoadedCustom l;
  ASSERT_NO_FATAL_FAILURE(LoadCustom(false, &l));
  FakeDelegate d(kTfLiteDelegateFlagsNone);
  Status s = l.interp->ModifyGraphWithDelegate(&d.base);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(l.interp->last_delegate_status(), kTfLiteError);
  EXPECT_EQ(d.prepare_calls, 0);
  EXPECT_NE(s.message().find("Encountered unresolved custom op: FAKE."), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("Node number 1 (FAKE) failed to prepare."), std::string::npos) << s.message();
}

// With the flag: no pre-prepare, the delegate claims the op, nothing is
// allocated until AllocateTensors.
TEST(DelegateTest, DelegateWithTheFlagClaimsAnUnresolvedOp) {
  const std::vector<uint8_t> want = CustomOpReference();
  LoadedCustom l;
  ASSERT_NO_FATAL_FAILURE(LoadCustom(false, &l));
  FakeDelegate d(kTfLiteDelegateFlagsAllowDynamicTensors);
  g_fake_prepares = 0;
  Status s = l.interp->ModifyGraphWithDelegate(&d.base);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(d.prepare_calls, 1);
  EXPECT_EQ(l.interp->state(), Interpreter::kStateUninvokable);
  EXPECT_FALSE(l.interp->Invoke().ok());
  EXPECT_EQ(RunLoaded(l.interp.get()), want);
  EXPECT_EQ(l.interp->state(), Interpreter::kStateInvokable);
}

// A registered custom op passes the pre-prepare; a delegate without the flag
// leaves the graph allocated and immutable (STEP 3), invokable at once.
TEST(DelegateTest, StaticDelegateOnARegisteredOpFreezesTheGraph) {
  const std::vector<uint8_t> want = CustomOpReference();
  LoadedCustom l;
  ASSERT_NO_FATAL_FAILURE(LoadCustom(true, &l));
  DelegateStats stats;  // claims the ADD nodes
  TfLiteDelegate add = MakeDelegate(&stats);
  g_fake_prepares = 0;
  ASSERT_TRUE(l.interp->ModifyGraphWithDelegate(&add).ok());
  EXPECT_EQ(g_fake_prepares, 2);  // STEP 1 and the re-allocation of STEP 3
  EXPECT_EQ(l.interp->state(), Interpreter::kStateInvokableAndImmutable);
  ASSERT_TRUE(FillInputsFromSeed(l.interp.get(), 7).ok());
  ASSERT_TRUE(l.interp->Invoke().ok());  // no AllocateTensors needed
  EXPECT_EQ(GetOutputs(*l.interp), want);
  // A delegate with the flag after a static one: the graph stays immutable
  // (CASE 2: prepared again, re-allocated).
  FakeDelegate fake(kTfLiteDelegateFlagsAllowDynamicTensors);
  ASSERT_TRUE(l.interp->ModifyGraphWithDelegate(&fake.base).ok());
  EXPECT_EQ(l.interp->state(), Interpreter::kStateInvokableAndImmutable);
  EXPECT_EQ(l.interp->delegates_applied().size(), 2u);
  EXPECT_EQ(RunLoaded(l.interp.get()), want);
  for (int n : l.interp->execution_plan()) EXPECT_NE(l.interp->node(n).delegate, nullptr);
}

// A dynamic-sized tensor: a delegate without the flag is refused with TFLite's
// kTfLiteApplicationError and message; Systole's interpreter itself cannot
// allocate dynamic tensors and says so.
TEST(DelegateTest, DynamicTensorsRefuseStaticDelegates) {
  LoadedCustom l;
  ASSERT_NO_FATAL_FAILURE(LoadCustom(true, &l, /*dynamic=*/true));
  DelegateStats stats;
  TfLiteDelegate add = MakeDelegate(&stats);
  Status s = l.interp->ModifyGraphWithDelegate(&add);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(l.interp->last_delegate_status(), kTfLiteApplicationError);
  EXPECT_EQ(stats.prepare_calls, 0);
  EXPECT_NE(s.message().find("Attempting to use a delegate that only supports static-sized tensors "
                             "with a graph that has dynamic-sized tensors (tensor#2 is a "
                             "dynamic-sized tensor)."),
            std::string::npos)
      << s.message();
  s = l.interp->AllocateTensors();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("tensor 2 ('f') is dynamic-sized"), std::string::npos) << s.message();
}

// ResizeInputTensor on a graph frozen by a static delegate undoes the
// delegates; AllocateTensors applies them again, with propagated shapes.
TEST(DelegateTest, ResizeInputTensorUndoesAndRedoesStaticDelegates) {
  const std::vector<int> shape = {1, 2, 4, 3};
  std::vector<uint8_t> want;
  {
    LoadedDiamond d;
    ASSERT_NO_FATAL_FAILURE(LoadDiamond(&d));
    for (int t : d.interp->inputs()) ASSERT_TRUE(d.interp->ResizeInputTensor(t, shape).ok());
    want = RunLoaded(d.interp.get());
    EXPECT_EQ(want.size(), 2u * 2 * 4 * 3);
  }
  LoadedDiamond d;
  ASSERT_NO_FATAL_FAILURE(LoadDiamond(&d));
  DelegateStats stats;
  TfLiteDelegate delegate = MakeDelegate(&stats);
  ASSERT_TRUE(d.interp->ModifyGraphWithDelegate(&delegate).ok());
  EXPECT_EQ(d.interp->state(), Interpreter::kStateInvokableAndImmutable);
  const int in0 = d.interp->inputs()[0];
  // The same shape changes nothing.
  ASSERT_TRUE(d.interp->ResizeInputTensor(in0, {1, 4, 4, 3}).ok());
  EXPECT_EQ(d.interp->state(), Interpreter::kStateInvokableAndImmutable);
  for (int t : d.interp->inputs()) ASSERT_TRUE(d.interp->ResizeInputTensor(t, shape).ok());
  EXPECT_EQ(d.interp->state(), Interpreter::kStateUninvokable);
  EXPECT_EQ(d.interp->execution_plan(), (std::vector<int>{0, 1, 2, 3}));  // delegates undone
  EXPECT_EQ(RunLoaded(d.interp.get()), want);
  EXPECT_EQ(stats.prepare_calls, 2);  // applied again by AllocateTensors
  EXPECT_EQ(d.interp->state(), Interpreter::kStateInvokableAndImmutable);
  EXPECT_EQ(d.interp->execution_plan().size(), 3u);  // delegate, MUL, delegate
}

}  // namespace
}  // namespace testing
}  // namespace systole
