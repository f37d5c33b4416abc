// Malformed and hostile models: each gets a specific error, never a crash.
// (The ASan+UBSan CI build runs these too.)
#include "interpreter/model.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/xorshift32.h"
#include "interpreter/interpreter.h"
#include "interpreter/op_resolver.h"
#include "interpreter/tensor_io.h"
#include "testing/model_builder.h"

namespace systole {
namespace {

namespace fb = flatbuffers;

// Knobs for a hand-built ADD model whose fields can be broken one at a time.
struct RawModel {
  uint32_t version = 3;
  uint32_t tensor_buffer = 0;          // of tensor 0
  int32_t dim0 = 4;                    // of tensor 0
  uint32_t opcode_index = 0;
  int32_t op_input = 1;                // second input of the op
  int32_t subgraph_output = 2;
  int const_bytes = -1;                // >= 0: tensor 1 is constant with this many bytes
  int num_scales_t1 = 1;
  int32_t quantized_dimension = 0;
  tflite::BuiltinOperator op = tflite::BuiltinOperator_ADD;
  int op_version = 1;
  bool with_identifier = true;
  bool reversed_ops = false;           // an op reading a tensor produced later
};

std::vector<uint8_t> Build(const RawModel& r) {
  fb::FlatBufferBuilder b;
  std::vector<fb::Offset<tflite::Buffer>> buffers;
  buffers.push_back(tflite::CreateBuffer(b));
  if (r.const_bytes >= 0) {
    std::vector<uint8_t> data(static_cast<size_t>(r.const_bytes), 1);
    buffers.push_back(tflite::CreateBuffer(b, b.CreateVector(data)));
  }
  auto quant = [&](int n) {
    std::vector<float> s(static_cast<size_t>(n), 0.5f);
    std::vector<int64_t> z(static_cast<size_t>(n), 0);
    return tflite::CreateQuantizationParameters(b, 0, 0, b.CreateVector(s), b.CreateVector(z),
                                                tflite::QuantizationDetails_NONE, 0,
                                                r.quantized_dimension);
  };
  std::vector<fb::Offset<tflite::Tensor>> tensors;
  std::vector<int32_t> shape0 = {1, r.dim0};
  std::vector<int32_t> shape = {1, 4};
  tensors.push_back(tflite::CreateTensor(b, b.CreateVector(shape0), tflite::TensorType_INT8,
                                         r.tensor_buffer, b.CreateString("a"), quant(1)));
  tensors.push_back(tflite::CreateTensor(b, b.CreateVector(shape), tflite::TensorType_INT8,
                                         r.const_bytes >= 0 ? 1 : 0, b.CreateString("b"),
                                         quant(r.num_scales_t1)));
  tensors.push_back(tflite::CreateTensor(b, b.CreateVector(shape), tflite::TensorType_INT8, 0,
                                         b.CreateString("c"), quant(1)));
  tensors.push_back(tflite::CreateTensor(b, b.CreateVector(shape), tflite::TensorType_INT8, 0,
                                         b.CreateString("d"), quant(1)));
  std::vector<int32_t> in1 = {0, r.op_input}, out1 = {2};
  std::vector<int32_t> in2 = {2, 2}, out2 = {3};
  auto opts = tflite::CreateAddOptions(b).Union();
  std::vector<fb::Offset<tflite::Operator>> ops;
  auto op1 = tflite::CreateOperator(b, r.opcode_index, b.CreateVector(in1), b.CreateVector(out1),
                                    tflite::BuiltinOptions_AddOptions, opts);
  auto op2 = tflite::CreateOperator(b, 0, b.CreateVector(in2), b.CreateVector(out2),
                                    tflite::BuiltinOptions_AddOptions,
                                    tflite::CreateAddOptions(b).Union());
  if (r.reversed_ops) {
    ops = {op2, op1};
  } else {
    ops = {op1};
  }
  std::vector<int32_t> inputs = {0};
  if (r.const_bytes < 0) inputs.push_back(1);
  std::vector<int32_t> outputs = {r.subgraph_output};
  auto sg = tflite::CreateSubGraph(b, b.CreateVector(tensors), b.CreateVector(inputs),
                                   b.CreateVector(outputs), b.CreateVector(ops), b.CreateString("main"));
  std::vector<fb::Offset<tflite::OperatorCode>> codes = {tflite::CreateOperatorCode(
      b, static_cast<int8_t>(std::min<int>(r.op, 127)), 0, r.op_version, r.op)};
  auto model = tflite::CreateModel(b, r.version, b.CreateVector(codes),
                                   b.CreateVector(std::vector<fb::Offset<tflite::SubGraph>>{sg}),
                                   b.CreateString("raw test model"), b.CreateVector(buffers));
  if (r.with_identifier) {
    b.Finish(model, tflite::ModelIdentifier());
  } else {
    b.Finish(model);
  }
  return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
}

// Loads and, if that works, creates an interpreter, allocates and invokes.
Status LoadAndRun(const std::vector<uint8_t>& bytes) {
  ASSIGN_OR_RETURN(std::unique_ptr<Model> model, Model::FromBuffer(bytes, "test.tflite"));
  BuiltinOpResolver resolver(TfliteFlavor::kRuy);
  ASSIGN_OR_RETURN(std::unique_ptr<Interpreter> interp, Interpreter::Create(*model, resolver));
  RETURN_IF_ERROR(interp->AllocateTensors());
  RETURN_IF_ERROR(FillInputsFromSeed(interp.get(), 1));
  return interp->Invoke();
}

void ExpectError(const RawModel& r, StatusCode code, const std::string& fragment) {
  Status s = LoadAndRun(Build(r));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), code) << s.ToString();
  EXPECT_NE(s.message().find(fragment), std::string::npos)
      << "message '" << s.message() << "' lacks '" << fragment << "'";
  EXPECT_NE(s.message().find("test.tflite"), std::string::npos) << s.message();
}

TEST(ModelTest, ValidRawModelRuns) { EXPECT_TRUE(LoadAndRun(Build(RawModel{})).ok()); }

TEST(ModelTest, EmptyAndTinyFiles) {
  for (size_t n : {0, 1, 7}) {
    auto m = Model::FromBuffer(std::vector<uint8_t>(n, 0), "tiny.tflite");
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.status().code(), StatusCode::kDataLoss);
    EXPECT_NE(m.status().message().find("too short"), std::string::npos);
  }
}

TEST(ModelTest, WrongIdentifier) {
  RawModel r;
  r.with_identifier = false;
  ExpectError(r, StatusCode::kInvalidArgument, "expected 'TFL3'");
}

TEST(ModelTest, MissingFile) {
  auto m = Model::FromFile("/nonexistent/model.tflite");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kNotFound);
  EXPECT_NE(m.status().message().find("/nonexistent/model.tflite"), std::string::npos);
}

TEST(ModelTest, WrongSchemaVersion) {
  RawModel r;
  r.version = 2;
  ExpectError(r, StatusCode::kInvalidArgument, "schema version 2");
}

TEST(ModelTest, TensorBufferIndexOutOfRange) {
  RawModel r;
  r.tensor_buffer = 40;
  ExpectError(r, StatusCode::kOutOfRange, "tensor 0 ('a'): buffer index 40 out of range");
}

TEST(ModelTest, NegativeDimension) {
  RawModel r;
  r.dim0 = -3;
  ExpectError(r, StatusCode::kInvalidArgument, "dimension 1 is -3");
}

TEST(ModelTest, HugeShape) {
  RawModel r;
  r.dim0 = 2000000000;
  ExpectError(r, StatusCode::kInvalidArgument, "more than");
}

TEST(ModelTest, OpcodeIndexOutOfRange) {
  RawModel r;
  r.opcode_index = 5;
  ExpectError(r, StatusCode::kOutOfRange, "operator 0: opcode index 5 out of range");
}

TEST(ModelTest, OperatorTensorIndexOutOfRange) {
  RawModel r;
  r.op_input = 99;
  ExpectError(r, StatusCode::kOutOfRange, "operator 0 (ADD) inputs[1]: tensor index 99");
}

TEST(ModelTest, SubgraphOutputOutOfRange) {
  RawModel r;
  r.subgraph_output = -2;
  ExpectError(r, StatusCode::kOutOfRange, "subgraph outputs[0]: tensor index -2");
}

TEST(ModelTest, BufferSizeDoesNotMatchShape) {
  RawModel r;
  r.const_bytes = 3;  // shape [1, 4] int8 needs 4
  ExpectError(r, StatusCode::kInvalidArgument, "holds 3 bytes but shape and type INT8 need 4");
}

TEST(ModelTest, PerChannelScaleCountMismatch) {
  RawModel r;
  r.num_scales_t1 = 3;
  r.quantized_dimension = 1;  // dimension 1 has size 4
  ExpectError(r, StatusCode::kInvalidArgument, "3 per-channel scales but dimension 1 has size 4");
}

TEST(ModelTest, QuantizedDimensionOutOfRange) {
  RawModel r;
  r.num_scales_t1 = 3;
  r.quantized_dimension = 7;
  ExpectError(r, StatusCode::kInvalidArgument, "quantized_dimension 7 out of range");
}

TEST(ModelTest, UnsupportedOperatorNamesOpVersionAndIndex) {
  RawModel r;
  r.op = tflite::BuiltinOperator_BIDIRECTIONAL_SEQUENCE_LSTM;
  ExpectError(r, StatusCode::kUnimplemented,
              "operator 0: BIDIRECTIONAL_SEQUENCE_LSTM (version 1) is not supported");
}

TEST(ModelTest, UnsupportedOperatorVersion) {
  RawModel r;
  r.op_version = 99;
  ExpectError(r, StatusCode::kUnimplemented, "operator 0: ADD version 99 is not supported");
}

TEST(ModelTest, OperatorsOutOfTopologicalOrder) {
  RawModel r;
  r.reversed_ops = true;
  r.subgraph_output = 3;
  ExpectError(r, StatusCode::kInvalidArgument, "before any operator writes it");
}

TEST(ModelTest, ShapeMismatchIsAKernelError) {
  RawModel r;
  r.dim0 = 5;  // ADD of [1,5] and [1,4] does not broadcast
  Status s = LoadAndRun(Build(r));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("operator 0 (ADD)"), std::string::npos) << s.message();
}

// Every truncation of a valid model is rejected cleanly.
TEST(ModelTest, EveryTruncationIsRejected) {
  const std::vector<uint8_t> good = Build(RawModel{});
  for (size_t n = 0; n < good.size(); ++n) {
    std::vector<uint8_t> cut(good.begin(), good.begin() + static_cast<long>(n));
    auto m = Model::FromBuffer(cut, "cut.tflite");
    EXPECT_FALSE(m.ok()) << "truncated to " << n << " of " << good.size() << " bytes";
  }
}

// Random corruption: any outcome but a crash, hang or sanitizer report is fine.
TEST(ModelTest, RandomByteCorruptionNeverCrashes) {
  const std::vector<uint8_t> good = Build(RawModel{});
  const uint32_t seed = 12345;
  SCOPED_TRACE("seed " + std::to_string(seed));
  Xorshift32 rng(seed);
  int rejected = 0;
  for (int trial = 0; trial < 1000; ++trial) {
    std::vector<uint8_t> bad = good;
    const int flips = 1 + static_cast<int>(rng.Next() % 4);
    for (int f = 0; f < flips; ++f) bad[rng.Next() % bad.size()] = rng.NextByte();
    if (!LoadAndRun(bad).ok()) ++rejected;
  }
  EXPECT_GT(rejected, 0);
}

TEST(ModelTest, CorruptedSharedModelsNeverCrash) {
  const std::string path = std::string(SYSTOLE_SHARED_DIR) + "/models/kws_ref_model.tflite";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not found: ../shared is absent";
  std::vector<uint8_t> good;
  ASSERT_TRUE(ReadFile(path, &good).ok());
  Xorshift32 rng(99);
  SCOPED_TRACE("seed 99");
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<uint8_t> bad = good;
    // Corrupt the flatbuffer structure region (tables live near the end and start).
    const size_t pos = (rng.Next() & 1) ? rng.Next() % 4096 : bad.size() - 1 - rng.Next() % 8192;
    bad[pos] = rng.NextByte();
    (void)LoadAndRun(bad);
  }
}

}  // namespace
}  // namespace systole
