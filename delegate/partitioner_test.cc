// Partitioner unit tests with a fake support predicate and a fake compiler
// ("FakeSupport", "FakeCompile": fakes behind the real interfaces), on small
// graphs loaded into Systole's interpreter: partitions never create cycles,
// options refuse ops with reasons naming op, index and constraint, a failed
// compile sends its partition back to the CPU.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "delegate/partitioner.h"
#include "interpreter/interpreter.h"
#include "interpreter/model.h"
#include "interpreter/op_resolver.h"
#include "testing/model_builder.h"
#include "testing/test_models.h"

namespace systole {
namespace testing {
namespace {

using delegate::PartitionOptions;
using delegate::PartitionPlan;

Quant Q(float s, int z) { return Quant::PerTensor(s, z); }

// x = ADD(in0, in1); y = MUL(x, in0); z = ADD(y, x). With ADD delegated, one
// partition {x, z} would need y, which needs x: a cycle. It must be split.
std::vector<uint8_t> CycleModel() {
  ModelBuilder b;
  const int in0 = b.AddTensor("in0", tflite::TensorType_INT8, {1, 2, 2, 4}, Q(0.05f, -2));
  const int in1 = b.AddTensor("in1", tflite::TensorType_INT8, {1, 2, 2, 4}, Q(0.04f, 3));
  const int x = b.AddTensor("x", tflite::TensorType_INT8, {1, 2, 2, 4}, Q(0.09f, 1));
  const int y = b.AddTensor("y", tflite::TensorType_INT8, {1, 2, 2, 4}, Q(0.03f, 0));
  const int z = b.AddTensor("z", tflite::TensorType_INT8, {1, 2, 2, 4}, Q(0.12f, -5));
  b.AddOperator(tflite::BuiltinOperator_ADD, 1, {in0, in1}, {x});
  b.AddOperator(tflite::BuiltinOperator_MUL, 1, {x, in0}, {y});
  b.AddOperator(tflite::BuiltinOperator_ADD, 1, {y, x}, {z});
  b.SetInputs({in0, in1});
  b.SetOutputs({z});
  std::vector<uint8_t> bytes = b.Finish();
  EXPECT_TRUE(b.ok()) << b.error();
  return bytes;
}

struct Loaded {
  std::unique_ptr<Model> model;
  BuiltinOpResolver resolver{TfliteFlavor::kRuy};
  std::unique_ptr<Interpreter> interp;
};

void Load(const std::vector<uint8_t>& bytes, Loaded* l) {
  auto model = Model::FromBuffer(bytes, "test.tflite");
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  l->model = std::move(*model);
  auto interp = Interpreter::Create(*l->model, l->resolver);
  ASSERT_TRUE(interp.ok()) << interp.status().ToString();
  l->interp = std::move(*interp);
}

// FakeSupport: accepts ADD only, with the compiler's message format.
Status FakeSupport(TfLiteContext* ctx, int node) {
  TfLiteNode* n = nullptr;
  TfLiteRegistration* r = nullptr;
  if (ctx->GetNodeAndRegistration(ctx, node, &n, &r) != kTfLiteOk) return Internal("no node");
  if (r->builtin_code == tflite::BuiltinOperator_ADD) return Status::Ok();
  return Unimplemented("%s (op %d): fake compiler supports ADD only",
                       delegate::NodeOpName(*r).c_str(), node);
}

// FakeCompile: records what it was asked; fails for partitions containing a
// node of `fail_on`.
struct FakeCompile {
  std::set<int> fail_on;
  std::vector<std::vector<int>> calls;
  StatusOr<std::shared_ptr<const compiler::CompiledPartition>> operator()(
      TfLiteContext*, const compiler::PartitionSpec& spec) {
    calls.push_back(spec.nodes);
    for (int n : spec.nodes) {
      if (fail_on.count(n)) return Unimplemented("fake compile error at op %d", n);
    }
    auto c = std::make_shared<compiler::CompiledPartition>();
    c->executable = {1, 2, 3};
    return std::shared_ptr<const compiler::CompiledPartition>(c);
  }
};

StatusOr<PartitionPlan> Plan(Loaded* l, const PartitionOptions& o, FakeCompile* compile) {
  return delegate::PlanPartitions(
      l->interp->context(), o, FakeSupport,
      [compile](TfLiteContext* c, const compiler::PartitionSpec& s) { return (*compile)(c, s); });
}

std::string ReasonOf(const PartitionPlan& p, int node) {
  for (const auto& d : p.ops) {
    if (d.node == node) return d.reason;
  }
  return "<no decision>";
}

TEST(Partitioner, DiamondMatchesTfLiteGreedyScheme) {
  Loaded l;
  ASSERT_NO_FATAL_FAILURE(Load(DiamondModel(), &l));
  FakeCompile compile;
  auto plan = Plan(&l, {}, &compile);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->partitions.size(), 2u);
  EXPECT_EQ(plan->partitions[0].nodes, (std::vector<int>{0, 3}));
  EXPECT_EQ(plan->partitions[0].inputs, (std::vector<int>{0, 1}));
  EXPECT_EQ(plan->partitions[0].outputs, (std::vector<int>{2, 5}));
  EXPECT_EQ(plan->partitions[1].nodes, (std::vector<int>{2}));
  EXPECT_EQ(plan->accelerator_ops, 3);
  EXPECT_EQ(plan->cpu_ops, 1);
  EXPECT_EQ(ReasonOf(*plan, 1), "MUL (op 1): fake compiler supports ADD only");
  EXPECT_EQ(plan->claimed_nodes(), (std::vector<int>{0, 2, 3}));
}

TEST(Partitioner, CycleIsSplit) {
  Loaded l;
  ASSERT_NO_FATAL_FAILURE(Load(CycleModel(), &l));
  FakeCompile compile;
  auto plan = Plan(&l, {}, &compile);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->partitions.size(), 2u);
  EXPECT_EQ(plan->partitions[0].nodes, (std::vector<int>{0}));
  EXPECT_EQ(plan->partitions[0].outputs, (std::vector<int>{2}));
  EXPECT_EQ(plan->partitions[1].nodes, (std::vector<int>{2}));
  EXPECT_EQ(plan->partitions[1].inputs, (std::vector<int>{3, 2}));
}

TEST(Partitioner, DenyAndAllowGiveReasons) {
  Loaded l;
  ASSERT_NO_FATAL_FAILURE(Load(DiamondModel(), &l));
  FakeCompile compile;
  PartitionOptions o;
  o.deny = {"ADD"};
  auto plan = Plan(&l, o, &compile);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_TRUE(plan->partitions.empty());
  EXPECT_EQ(ReasonOf(*plan, 3), "ADD (op 3): denied by --deny ADD");
  EXPECT_TRUE(compile.calls.empty());

  o = PartitionOptions();
  o.allow = {"CONV_2D", "MUL"};
  plan = Plan(&l, o, &compile);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(ReasonOf(*plan, 0), "ADD (op 0): not in --allow CONV_2D,MUL");
  EXPECT_EQ(ReasonOf(*plan, 1), "MUL (op 1): fake compiler supports ADD only");
}

TEST(Partitioner, MinPartitionOps) {
  Loaded l;
  ASSERT_NO_FATAL_FAILURE(Load(DiamondModel(), &l));
  FakeCompile compile;
  PartitionOptions o;
  o.min_partition_ops = 2;
  auto plan = Plan(&l, o, &compile);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->partitions.size(), 1u);
  EXPECT_EQ(plan->partitions[0].nodes, (std::vector<int>{0, 3}));
  EXPECT_EQ(ReasonOf(*plan, 2), "ADD (op 2): in a partition of 1 op, below --min-partition-ops 2");
  o.min_partition_ops = 3;
  plan = Plan(&l, o, &compile);
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->partitions.empty());
  EXPECT_EQ(ReasonOf(*plan, 0), "ADD (op 0): in a partition of 2 ops, below --min-partition-ops 3");
}

TEST(Partitioner, MaxPartitionsKeepsTheLargest) {
  Loaded l;
  ASSERT_NO_FATAL_FAILURE(Load(DiamondModel(), &l));
  FakeCompile compile;
  PartitionOptions o;
  o.max_partitions = 1;
  auto plan = Plan(&l, o, &compile);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->partitions.size(), 1u);
  EXPECT_EQ(plan->partitions[0].nodes, (std::vector<int>{0, 3}));
  EXPECT_EQ(ReasonOf(*plan, 2),
            "ADD (op 2): in a partition of 1 op, beyond --max-partitions 1 (the 1 largest of 2 "
            "partitions are kept)");
}

TEST(Partitioner, FailedCompileFallsBackWithTheError) {
  Loaded l;
  ASSERT_NO_FATAL_FAILURE(Load(DiamondModel(), &l));
  FakeCompile compile;
  compile.fail_on = {3};
  auto plan = Plan(&l, {}, &compile);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  // {0, 3} failed; then op 0 and op 2 form... op 0 alone (op 2 needs MUL).
  EXPECT_EQ(ReasonOf(*plan, 3),
            "ADD (op 3): its partition (ops 0, 3) failed to compile: fake compile error at op 3");
  EXPECT_EQ(ReasonOf(*plan, 0), ReasonOf(*plan, 3).replace(0, 10, "ADD (op 0)"));
  ASSERT_EQ(plan->partitions.size(), 1u);
  EXPECT_EQ(plan->partitions[0].nodes, (std::vector<int>{2}));
}

TEST(Partitioner, OptionValidation) {
  auto ops = delegate::ParseOpList("conv_2d, Softmax", "--deny");
  ASSERT_TRUE(ops.ok());
  EXPECT_EQ(*ops, (std::vector<std::string>{"CONV_2D", "SOFTMAX"}));
  auto bad = delegate::ParseOpList("CONV_2D,FROB", "--deny");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("--deny: unknown operator 'FROB'"), std::string::npos);
  PartitionOptions o;
  o.min_partition_ops = 0;
  EXPECT_NE(o.Validate().message().find("--min-partition-ops 0"), std::string::npos);
  o = PartitionOptions();
  o.max_partitions = -1;
  EXPECT_FALSE(o.Validate().ok());
}

}  // namespace
}  // namespace testing
}  // namespace systole
