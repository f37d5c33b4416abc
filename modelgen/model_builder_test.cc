#include "modelgen/model_builder.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace systole {
namespace modelgen {
namespace {

// Parses `bytes` as a model; fails the test if it does not verify.
const tflite::Model* VerifiedModel(const std::vector<uint8_t>& bytes) {
  if (bytes.empty()) {
    ADD_FAILURE() << "Finish() returned no bytes";
    return nullptr;
  }
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  if (!tflite::VerifyModelBuffer(verifier)) {
    ADD_FAILURE() << "VerifyModelBuffer failed";
    return nullptr;
  }
  if (!tflite::ModelBufferHasIdentifier(bytes.data())) {
    ADD_FAILURE() << "file identifier is not TFL3";
    return nullptr;
  }
  return tflite::GetModel(bytes.data());
}

std::vector<int32_t> ToVector(const flatbuffers::Vector<int32_t>* v) {
  return v ? std::vector<int32_t>(v->begin(), v->end()) : std::vector<int32_t>();
}

template <typename T>
std::vector<T> AsVector(const flatbuffers::Vector<T>* v) {
  return v ? std::vector<T>(v->begin(), v->end()) : std::vector<T>();
}

// The brief's example: a per-channel quantized 3x3 CONV_2D.
ModelBuilder MakeConvModel() {
  ModelBuilder b;
  const int in = b.AddTensor("in", tflite::TensorType_INT8, {1, 8, 8, 3},
                             Quant::PerTensor(0.05f, -3));
  const std::vector<float> w_scales = {0.01f, 0.02f, 0.015f, 0.03f};
  const int w = b.AddConstTensor(
      "w", tflite::TensorType_INT8, {4, 3, 3, 3},
      RandomInt8Data(4 * 3 * 3 * 3, /*seed=*/7, -127, 127),
      Quant::PerChannel(w_scales, std::vector<int64_t>(4, 0), 0));
  std::vector<float> bias_scales;
  for (float s : w_scales) bias_scales.push_back(0.05f * s);
  const int bias = b.AddConstTensor(
      "b", tflite::TensorType_INT32, {4}, RandomInt32Data(4, /*seed=*/8),
      Quant::PerChannel(bias_scales, std::vector<int32_t>(4, 0), 0));
  const int out = b.AddTensor("out", tflite::TensorType_INT8, {1, 8, 8, 4},
                              Quant::PerTensor(0.1f, 2));
  Conv2DOptions conv;
  conv.padding = tflite::Padding_SAME;
  conv.activation = tflite::ActivationFunctionType_RELU;
  b.AddOperator(tflite::BuiltinOperator_CONV_2D, /*version=*/3, {in, w, bias},
                {out}, conv);
  b.SetInputs({in});
  b.SetOutputs({out});
  return b;
}

TEST(ModelBuilderTest, ConvModelReadsBack) {
  ModelBuilder b = MakeConvModel();
  const std::vector<uint8_t> bytes = b.Finish();
  ASSERT_TRUE(b.ok()) << b.error();
  const tflite::Model* model = VerifiedModel(bytes);
  ASSERT_NE(model, nullptr);

  EXPECT_EQ(model->version(), 3u);
  ASSERT_NE(model->description(), nullptr);
  EXPECT_EQ(model->description()->str(), "systole::testing::ModelBuilder");

  // Buffer 0 is the empty sentinel; w and b have their own buffers.
  ASSERT_EQ(model->buffers()->size(), 3u);
  EXPECT_TRUE(model->buffers()->Get(0)->data() == nullptr ||
              model->buffers()->Get(0)->data()->size() == 0);
  EXPECT_EQ(model->buffers()->Get(1)->data()->size(), 4u * 3 * 3 * 3);
  EXPECT_EQ(model->buffers()->Get(2)->data()->size(), 4u * 4);
  // Buffer.data is declared force_align: 16.
  const size_t w_offset = static_cast<size_t>(
      model->buffers()->Get(1)->data()->data() - bytes.data());
  EXPECT_EQ(w_offset % 16, 0u);

  ASSERT_EQ(model->operator_codes()->size(), 1u);
  const tflite::OperatorCode* code = model->operator_codes()->Get(0);
  EXPECT_EQ(code->builtin_code(), tflite::BuiltinOperator_CONV_2D);
  EXPECT_EQ(code->deprecated_builtin_code(), tflite::BuiltinOperator_CONV_2D);
  EXPECT_EQ(code->version(), 3);

  ASSERT_EQ(model->subgraphs()->size(), 1u);
  const tflite::SubGraph* sg = model->subgraphs()->Get(0);
  EXPECT_EQ(sg->name()->str(), "main");
  EXPECT_EQ(ToVector(sg->inputs()), std::vector<int32_t>({0}));
  EXPECT_EQ(ToVector(sg->outputs()), std::vector<int32_t>({3}));
  ASSERT_EQ(sg->tensors()->size(), 4u);

  const tflite::Tensor* in = sg->tensors()->Get(0);
  EXPECT_EQ(in->name()->str(), "in");
  EXPECT_EQ(in->type(), tflite::TensorType_INT8);
  EXPECT_EQ(ToVector(in->shape()), std::vector<int32_t>({1, 8, 8, 3}));
  EXPECT_EQ(in->buffer(), 0u);
  EXPECT_EQ(AsVector(in->quantization()->scale()),
            std::vector<float>({0.05f}));
  EXPECT_EQ(AsVector(in->quantization()->zero_point()),
            std::vector<int64_t>({-3}));

  const tflite::Tensor* w = sg->tensors()->Get(1);
  EXPECT_EQ(w->buffer(), 1u);
  EXPECT_EQ(w->quantization()->scale()->size(), 4u);
  EXPECT_EQ(w->quantization()->quantized_dimension(), 0);
  // The data is the seeded stream, byte for byte.
  const std::vector<int8_t> expected_w = RandomInt8Data(108, 7, -127, 127);
  const auto* w_data = model->buffers()->Get(1)->data();
  ASSERT_EQ(w_data->size(), expected_w.size());
  for (size_t i = 0; i < expected_w.size(); ++i) {
    ASSERT_EQ(static_cast<int8_t>(w_data->Get(i)), expected_w[i]) << i;
  }
  const tflite::Tensor* bias = sg->tensors()->Get(2);
  EXPECT_EQ(bias->type(), tflite::TensorType_INT32);
  EXPECT_EQ(bias->buffer(), 2u);
  EXPECT_EQ(sg->tensors()->Get(3)->quantization()->zero_point()->Get(0), 2);

  ASSERT_EQ(sg->operators()->size(), 1u);
  const tflite::Operator* op = sg->operators()->Get(0);
  EXPECT_EQ(op->opcode_index(), 0u);
  EXPECT_EQ(ToVector(op->inputs()), std::vector<int32_t>({0, 1, 2}));
  EXPECT_EQ(ToVector(op->outputs()), std::vector<int32_t>({3}));
  const tflite::Conv2DOptions* opts = op->builtin_options_as_Conv2DOptions();
  ASSERT_NE(opts, nullptr);
  EXPECT_EQ(opts->padding(), tflite::Padding_SAME);
  EXPECT_EQ(opts->stride_w(), 1);
  EXPECT_EQ(opts->stride_h(), 1);
  EXPECT_EQ(opts->dilation_w_factor(), 1);
  EXPECT_EQ(opts->dilation_h_factor(), 1);
  EXPECT_EQ(opts->fused_activation_function(),
            tflite::ActivationFunctionType_RELU);
}

TEST(ModelBuilderTest, FewOpModelSharesOpCodes) {
  // DEPTHWISE_CONV_2D -> AVERAGE_POOL_2D -> RESHAPE -> FULLY_CONNECTED x2 ->
  // SOFTMAX, as in the MLPerf Tiny models.
  ModelBuilder b;
  const Quant q = Quant::PerTensor(0.05f, -1);
  const int in = b.AddTensor("in", tflite::TensorType_INT8, {1, 10, 10, 4}, q);
  const int dw_w = b.AddConstTensor(
      "dw_w", tflite::TensorType_INT8, {1, 3, 3, 8}, RandomInt8Data(72, 1),
      Quant::PerChannel(std::vector<float>(8, 0.02f), std::vector<int64_t>(8, 0),
                        3));
  const int dw_b = b.AddConstTensor("dw_b", tflite::TensorType_INT32, {8},
                                    RandomInt32Data(8, 2));
  const int dw_out = b.AddTensor("dw_out", tflite::TensorType_INT8,
                                 {1, 5, 5, 8}, q);
  DepthwiseConv2DOptions dw;
  dw.stride_w = dw.stride_h = 2;
  dw.depth_multiplier = 2;
  dw.dilation_w = 1;
  dw.activation = tflite::ActivationFunctionType_RELU6;
  b.AddOperator(tflite::BuiltinOperator_DEPTHWISE_CONV_2D, 3,
                {in, dw_w, dw_b}, {dw_out}, dw);
  const int pool_out = b.AddTensor("pool", tflite::TensorType_INT8,
                                   {1, 1, 1, 8}, q);
  Pool2DOptions pool;
  pool.filter_w = 5;
  pool.filter_h = 5;
  pool.stride_w = pool.stride_h = 5;
  b.AddOperator(tflite::BuiltinOperator_AVERAGE_POOL_2D, 2, {dw_out},
                {pool_out}, pool);
  const int flat = b.AddTensor("flat", tflite::TensorType_INT8, {1, 8}, q);
  ReshapeOptions reshape;
  reshape.has_new_shape = true;
  reshape.new_shape = {1, 8};
  const int shape = b.AddConstInt32("shape", {1, 8});
  b.AddOperator(tflite::BuiltinOperator_RESHAPE, 1, {pool_out, shape}, {flat},
                reshape);
  const int fc_w = b.AddConstTensor("fc_w", tflite::TensorType_INT8, {8, 8},
                                    RandomInt8Data(64, 3),
                                    Quant::PerTensor(0.01f, 0));
  const int fc1 = b.AddTensor("fc1", tflite::TensorType_INT8, {1, 8}, q);
  FullyConnectedOptions fc;
  fc.activation = tflite::ActivationFunctionType_RELU;
  b.AddOperator(tflite::BuiltinOperator_FULLY_CONNECTED, 4, {flat, fc_w, -1},
                {fc1}, fc);
  const int fc2 = b.AddTensor("fc2", tflite::TensorType_INT8, {1, 8}, q);
  b.AddOperator(tflite::BuiltinOperator_FULLY_CONNECTED, 4, {fc1, fc_w, -1},
                {fc2}, FullyConnectedOptions{});
  const int out = b.AddTensor("out", tflite::TensorType_INT8, {1, 8},
                              Quant::PerTensor(1.0f / 256, -128));
  b.AddOperator(tflite::BuiltinOperator_SOFTMAX, 2, {fc2}, {out});
  b.SetInputs({in});
  b.SetOutputs({out});
  b.SetDescription("few-op test model");
  const std::vector<uint8_t> bytes = b.Finish();
  ASSERT_TRUE(b.ok()) << b.error();
  const tflite::Model* model = VerifiedModel(bytes);
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->description()->str(), "few-op test model");

  // 6 operators, 5 distinct (code, version) pairs.
  const tflite::SubGraph* sg = model->subgraphs()->Get(0);
  ASSERT_EQ(sg->operators()->size(), 6u);
  EXPECT_EQ(model->operator_codes()->size(), 5u);
  EXPECT_EQ(sg->operators()->Get(3)->opcode_index(),
            sg->operators()->Get(4)->opcode_index());

  const auto* dwo = sg->operators()->Get(0)->builtin_options_as_DepthwiseConv2DOptions();
  ASSERT_NE(dwo, nullptr);
  EXPECT_EQ(dwo->stride_w(), 2);
  EXPECT_EQ(dwo->stride_h(), 2);
  EXPECT_EQ(dwo->depth_multiplier(), 2);
  EXPECT_EQ(dwo->fused_activation_function(),
            tflite::ActivationFunctionType_RELU6);
  EXPECT_EQ(sg->tensors()->Get(dw_w)->quantization()->quantized_dimension(), 3);

  const auto* po = sg->operators()->Get(1)->builtin_options_as_Pool2DOptions();
  ASSERT_NE(po, nullptr);
  EXPECT_EQ(po->padding(), tflite::Padding_VALID);
  EXPECT_EQ(po->filter_width(), 5);
  EXPECT_EQ(po->filter_height(), 5);
  EXPECT_EQ(po->stride_w(), 5);

  const auto* ro = sg->operators()->Get(2)->builtin_options_as_ReshapeOptions();
  ASSERT_NE(ro, nullptr);
  EXPECT_EQ(ToVector(ro->new_shape()), std::vector<int32_t>({1, 8}));
  const tflite::Tensor* shape_t = sg->tensors()->Get(shape);
  EXPECT_EQ(shape_t->type(), tflite::TensorType_INT32);
  EXPECT_EQ(ToVector(shape_t->shape()), std::vector<int32_t>({2}));
  EXPECT_EQ(shape_t->quantization(), nullptr);

  const tflite::Operator* fc_op = sg->operators()->Get(3);
  EXPECT_EQ(ToVector(fc_op->inputs()), std::vector<int32_t>({flat, fc_w, -1}));
  EXPECT_EQ(fc_op->builtin_options_as_FullyConnectedOptions()
                ->fused_activation_function(),
            tflite::ActivationFunctionType_RELU);
  EXPECT_FALSE(fc_op->builtin_options_as_FullyConnectedOptions()->keep_num_dims());

  // SOFTMAX with NoOptions gets beta = 1.
  const auto* so = sg->operators()->Get(5)->builtin_options_as_SoftmaxOptions();
  ASSERT_NE(so, nullptr);
  EXPECT_EQ(so->beta(), 1.0f);
}

TEST(ModelBuilderTest, EveryOptionKindRoundTrips) {
  ModelBuilder b;
  const Quant q = Quant::PerTensor(0.1f, 0);
  auto t = [&](const char* name, std::vector<int32_t> shape) {
    return b.AddTensor(name, tflite::TensorType_INT8, shape, q);
  };
  const int x = t("x", {1, 4, 4, 2});
  const int y = t("y", {1, 4, 4, 2});
  // float -> QUANTIZE -> int8; int8 -> DEQUANTIZE -> float.
  const int f_in = b.AddTensor("f_in", tflite::TensorType_FLOAT32, {1, 4, 4, 2});
  const int f_out = b.AddTensor("f_out", tflite::TensorType_FLOAT32, {1, 4, 4, 2});
  b.AddOperator(tflite::BuiltinOperator_QUANTIZE, 1, {f_in}, {x});

  struct Case {
    tflite::BuiltinOperator op;
    OpOptions options;
    tflite::BuiltinOptions expected;
  };
  ArithmeticOptions relu;
  relu.activation = tflite::ActivationFunctionType_RELU;
  ReducerOptions keep;
  keep.keep_dims = true;
  SqueezeOptions squeeze;
  squeeze.squeeze_dims = {0};
  ConcatenationOptions concat;
  concat.axis = 3;
  SplitOptions split;
  split.num_splits = 2;
  ResizeOptions resize;
  resize.half_pixel_centers = true;
  Pool2DOptions max_pool;
  max_pool.padding = tflite::Padding_SAME;
  max_pool.filter_w = max_pool.filter_h = 2;
  SoftmaxOptions softmax;
  softmax.beta = 0.5f;
  const std::vector<Case> cases = {
      {tflite::BuiltinOperator_ADD, relu, tflite::BuiltinOptions_AddOptions},
      {tflite::BuiltinOperator_SUB, relu, tflite::BuiltinOptions_SubOptions},
      {tflite::BuiltinOperator_MUL, relu, tflite::BuiltinOptions_MulOptions},
      {tflite::BuiltinOperator_MEAN, keep, tflite::BuiltinOptions_ReducerOptions},
      {tflite::BuiltinOperator_PAD, NoOptions{}, tflite::BuiltinOptions_PadOptions},
      {tflite::BuiltinOperator_SQUEEZE, squeeze, tflite::BuiltinOptions_SqueezeOptions},
      {tflite::BuiltinOperator_TRANSPOSE, NoOptions{},
       tflite::BuiltinOptions_TransposeOptions},
      {tflite::BuiltinOperator_CONCATENATION, concat,
       tflite::BuiltinOptions_ConcatenationOptions},
      {tflite::BuiltinOperator_SPLIT, split, tflite::BuiltinOptions_SplitOptions},
      {tflite::BuiltinOperator_SOFTMAX, softmax, tflite::BuiltinOptions_SoftmaxOptions},
      {tflite::BuiltinOperator_RESIZE_BILINEAR, resize,
       tflite::BuiltinOptions_ResizeBilinearOptions},
      {tflite::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR, resize,
       tflite::BuiltinOptions_ResizeNearestNeighborOptions},
      {tflite::BuiltinOperator_MAX_POOL_2D, max_pool,
       tflite::BuiltinOptions_Pool2DOptions},
      {tflite::BuiltinOperator_LOGISTIC, NoOptions{}, tflite::BuiltinOptions_NONE},
      {tflite::BuiltinOperator_TANH, NoOptions{}, tflite::BuiltinOptions_NONE},
      {tflite::BuiltinOperator_RELU, NoOptions{}, tflite::BuiltinOptions_NONE},
      {tflite::BuiltinOperator_RELU6, NoOptions{}, tflite::BuiltinOptions_NONE},
      {tflite::BuiltinOperator_HARD_SWISH, NoOptions{},
       tflite::BuiltinOptions_HardSwishOptions},
      {tflite::BuiltinOperator_DEQUANTIZE, NoOptions{},
       tflite::BuiltinOptions_DequantizeOptions},
  };
  // Shapes are not meaningful here: only the options are checked.
  for (const Case& c : cases) {
    const bool dequant = c.op == tflite::BuiltinOperator_DEQUANTIZE;
    ASSERT_GE(b.AddOperator(c.op, 1, {x, -1}, {dequant ? f_out : y}, c.options),
              0)
        << b.error();
  }
  // Escape hatches: RawOptions for a builtin without a struct, and a custom op.
  RawOptions gather;
  gather.type = tflite::BuiltinOptions_GatherOptions;
  gather.write = [](flatbuffers::FlatBufferBuilder& fbb) {
    return tflite::CreateGatherOptions(fbb, /*axis=*/2).Union();
  };
  b.AddOperator(tflite::BuiltinOperator_GATHER, 1, {x, -1}, {y}, gather);
  b.AddCustomOperator("SystoleTestOp", {x}, {y}, {1, 2, 3}, 2);
  // A code above 127 lands in builtin_code, with 127 in the legacy byte.
  b.AddOperator(tflite::BuiltinOperator_GELU, 1, {x}, {y});
  b.SetInputs({f_in});
  b.SetOutputs({y, f_out});

  const std::vector<uint8_t> bytes = b.Finish();
  ASSERT_TRUE(b.ok()) << b.error();
  const tflite::Model* model = VerifiedModel(bytes);
  ASSERT_NE(model, nullptr);
  const tflite::SubGraph* sg = model->subgraphs()->Get(0);
  ASSERT_EQ(sg->operators()->size(), 1 + cases.size() + 3);

  const tflite::Operator* quant = sg->operators()->Get(0);
  EXPECT_EQ(quant->builtin_options_type(), tflite::BuiltinOptions_QuantizeOptions);
  EXPECT_EQ(sg->tensors()->Get(f_in)->type(), tflite::TensorType_FLOAT32);
  EXPECT_EQ(sg->tensors()->Get(f_in)->quantization(), nullptr);

  for (size_t i = 0; i < cases.size(); ++i) {
    const tflite::Operator* op = sg->operators()->Get(1 + i);
    const auto* code = model->operator_codes()->Get(op->opcode_index());
    EXPECT_EQ(code->builtin_code(), cases[i].op) << i;
    EXPECT_EQ(op->builtin_options_type(), cases[i].expected)
        << tflite::EnumNameBuiltinOperator(cases[i].op);
  }
  auto op_at = [&](size_t i) { return sg->operators()->Get(1 + i); };
  EXPECT_EQ(op_at(0)->builtin_options_as_AddOptions()->fused_activation_function(),
            tflite::ActivationFunctionType_RELU);
  EXPECT_TRUE(op_at(3)->builtin_options_as_ReducerOptions()->keep_dims());
  EXPECT_EQ(ToVector(op_at(5)->builtin_options_as_SqueezeOptions()->squeeze_dims()),
            std::vector<int32_t>({0}));
  EXPECT_EQ(op_at(7)->builtin_options_as_ConcatenationOptions()->axis(), 3);
  EXPECT_EQ(op_at(8)->builtin_options_as_SplitOptions()->num_splits(), 2);
  EXPECT_EQ(op_at(9)->builtin_options_as_SoftmaxOptions()->beta(), 0.5f);
  EXPECT_TRUE(op_at(10)->builtin_options_as_ResizeBilinearOptions()->half_pixel_centers());
  EXPECT_FALSE(op_at(10)->builtin_options_as_ResizeBilinearOptions()->align_corners());
  EXPECT_TRUE(
      op_at(11)->builtin_options_as_ResizeNearestNeighborOptions()->half_pixel_centers());
  EXPECT_EQ(op_at(12)->builtin_options_as_Pool2DOptions()->padding(),
            tflite::Padding_SAME);

  const size_t n = cases.size();
  EXPECT_EQ(op_at(n)->builtin_options_as_GatherOptions()->axis(), 2);
  const tflite::Operator* custom = op_at(n + 1);
  const auto* custom_code = model->operator_codes()->Get(custom->opcode_index());
  EXPECT_EQ(custom_code->builtin_code(), tflite::BuiltinOperator_CUSTOM);
  EXPECT_EQ(custom_code->deprecated_builtin_code(), tflite::BuiltinOperator_CUSTOM);
  EXPECT_EQ(custom_code->custom_code()->str(), "SystoleTestOp");
  EXPECT_EQ(custom_code->version(), 2);
  EXPECT_EQ(custom->builtin_options_type(), tflite::BuiltinOptions_NONE);
  ASSERT_NE(custom->custom_options(), nullptr);
  EXPECT_EQ(std::vector<uint8_t>(custom->custom_options()->begin(),
                                 custom->custom_options()->end()),
            std::vector<uint8_t>({1, 2, 3}));
  const auto* gelu_code = model->operator_codes()->Get(op_at(n + 2)->opcode_index());
  EXPECT_EQ(gelu_code->builtin_code(), tflite::BuiltinOperator_GELU);
  EXPECT_EQ(gelu_code->deprecated_builtin_code(),
            tflite::BuiltinOperator_PLACEHOLDER_FOR_GREATER_OP_CODES);
}

TEST(ModelBuilderTest, VariableTensor) {
  ModelBuilder b;
  const int state = b.AddVariableTensor("state", tflite::TensorType_INT16,
                                        {1, 20}, Quant::PerTensor(1.0f / 4096, 0));
  const int out = b.AddTensor("out", tflite::TensorType_INT16, {1, 20},
                              Quant::PerTensor(1.0f / 4096, 0));
  b.AddOperator(tflite::BuiltinOperator_RELU, 1, {state}, {out});
  b.SetOutputs({out});
  const std::vector<uint8_t> bytes = b.Finish();
  const tflite::Model* model = VerifiedModel(bytes);
  ASSERT_NE(model, nullptr);
  const tflite::Tensor* t = model->subgraphs()->Get(0)->tensors()->Get(state);
  EXPECT_TRUE(t->is_variable());
  EXPECT_EQ(t->buffer(), 0u);
}

TEST(ModelBuilderTest, MisuseIsReportedNotCrashed) {
  {
    ModelBuilder b;
    EXPECT_EQ(b.AddConstTensor("w", tflite::TensorType_INT8, {2, 2},
                               std::vector<int8_t>{1, 2, 3}),
              -1);
    EXPECT_FALSE(b.ok());
    EXPECT_NE(b.error().find("'w'"), std::string::npos) << b.error();
    EXPECT_NE(b.error().find("needs 4 elements, data has 3"), std::string::npos)
        << b.error();
    EXPECT_TRUE(b.Finish().empty());
  }
  {
    ModelBuilder b;
    EXPECT_EQ(b.AddConstTensor("w", tflite::TensorType_INT8, {2},
                               std::vector<int32_t>{1, 2}),
              -1);
    EXPECT_NE(b.error().find("does not match tensor type INT8"), std::string::npos)
        << b.error();
  }
  {
    ModelBuilder b;
    EXPECT_EQ(b.AddTensor("w", tflite::TensorType_INT8, {4, 3},
                          Quant::PerChannel({0.1f, 0.2f, 0.3f}, {0, 0, 0}, 0)),
              -1);
    EXPECT_NE(b.error().find("3 per-channel scales but dimension 0"),
              std::string::npos)
        << b.error();
  }
  {
    ModelBuilder b;
    const int x = b.AddTensor("x", tflite::TensorType_INT8, {1, 4});
    EXPECT_EQ(b.AddOperator(tflite::BuiltinOperator_ADD, 1, {x, x}, {x},
                            Conv2DOptions{}),
              -1);
    EXPECT_NE(b.error().find("operator 0 (ADD): Conv2DOptions do not apply"),
              std::string::npos)
        << b.error();
    // The first error is kept.
    b.AddOperator(tflite::BuiltinOperator_ADD, 1, {x, 7}, {x});
    EXPECT_NE(b.error().find("Conv2DOptions"), std::string::npos);
  }
  {
    ModelBuilder b;
    const int x = b.AddTensor("x", tflite::TensorType_INT8, {1, 4});
    EXPECT_EQ(b.AddOperator(tflite::BuiltinOperator_ADD, 1, {x, 7}, {x}), -1);
    EXPECT_NE(b.error().find("inputs[1]: tensor index 7 out of range"),
              std::string::npos)
        << b.error();
  }
  {
    ModelBuilder b;
    const int x = b.AddTensor("x", tflite::TensorType_INT8, {1, 4});
    EXPECT_EQ(b.AddOperator(tflite::BuiltinOperator_ADD, 0, {x}, {x}), -1);
    EXPECT_EQ(b.AddCustomOperator("", {x}, {x}), -1);
    EXPECT_EQ(b.AddOperator(tflite::BuiltinOperator_CUSTOM, 1, {x}, {x}), -1);
    EXPECT_EQ(b.AddOperator(static_cast<tflite::BuiltinOperator>(210), 1, {x},
                            {x}),
              -1);
    EXPECT_FALSE(b.ok());
  }
  {
    ModelBuilder b;
    b.SetOutputs({0});
    EXPECT_NE(b.error().find("subgraph outputs[0]"), std::string::npos)
        << b.error();
  }
}

TEST(ModelBuilderTest, SeededDataIsTheSharedXorshiftStream) {
  // README of the oracle: seed 1 gives next() = 0x51086638, 0xe426533f,
  // 0xe67527ff, 0x13d631fa -> low bytes 56 63 255 250.
  EXPECT_EQ(RandomUint8Data(4, 1), std::vector<uint8_t>({56, 63, 255, 250}));
  // int8 over the full range: -128 + (next() mod 256).
  EXPECT_EQ(RandomInt8Data(4, 1),
            std::vector<int8_t>({56 - 128, 63 - 128, 127, 250 - 128}));
  EXPECT_EQ(RandomInt32Data(2, 1, 0, 9),
            std::vector<int32_t>({static_cast<int32_t>(0x51086638u % 10),
                                  static_cast<int32_t>(0xe426533fu % 10)}));
  EXPECT_EQ(RandomInt8Data(100, 5), RandomInt8Data(100, 5));
  EXPECT_NE(RandomInt8Data(100, 5), RandomInt8Data(100, 6));
  for (int8_t v : RandomInt8Data(1000, 9, -3, 3)) {
    EXPECT_GE(v, -3);
    EXPECT_LE(v, 3);
  }
  for (float v : RandomFloatData(1000, 9, -2.f, 2.f)) {
    EXPECT_GE(v, -2.f);
    EXPECT_LT(v, 2.f);
  }
  EXPECT_TRUE(RandomInt8Data(4, 1, 0, 200).empty());  // outside int8
  EXPECT_TRUE(RandomInt8Data(4, 1, 3, 2).empty());    // lo > hi
  EXPECT_EQ(NumElements({}), 1);
  EXPECT_EQ(NumElements({2, 3, 4}), 24);
  EXPECT_EQ(NumElements({2, -1}), -1);
}

// ---------------------------------------------------------------------------
// Round trip through the real TensorFlow Lite (../shared/oracle): the models
// this builder writes must load and run there, and compute what they say.
// ---------------------------------------------------------------------------

std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)),
                              std::istreambuf_iterator<char>());
}

class OracleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = SYSTOLE_NODE_EXECUTABLE;
    tool_ = std::string(SYSTOLE_SHARED_DIR) + "/oracle/tflite_ref.js";
    if (node_.empty()) GTEST_SKIP() << "node not found at configure time";
    if (!std::ifstream(tool_).good()) GTEST_SKIP() << "no oracle at " << tool_;
    if (!std::ifstream(std::string(SYSTOLE_SHARED_DIR) +
                       "/oracle/node_modules/@tensorflow/tfjs-tflite/package.json")
             .good()) {
      GTEST_SKIP() << "oracle not set up (run shared/oracle/setup.sh)";
    }
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    prefix_ = ::testing::TempDir() + "systole_mb_" + info->name() + "_" +
              std::to_string(::getpid());
  }

  void TearDown() override {
    for (const char* suffix : {".tflite", ".in.bin", ".out.bin"}) {
      std::remove((prefix_ + suffix).c_str());
    }
  }

  // Writes the model, runs it with seed-1 inputs on TFLite; returns false
  // (with a test failure) if anything fails.
  bool Run(ModelBuilder& b, std::vector<uint8_t>* input,
           std::vector<uint8_t>* output) {
    const std::string model = prefix_ + ".tflite";
    if (!b.FinishToFile(model)) {
      ADD_FAILURE() << b.error();
      return false;
    }
    const std::string cmd = "'" + node_ + "' '" + tool_ + "' run '" + model +
                            "' --seed 1 '" + prefix_ + ".out.bin' --save-input '" +
                            prefix_ + ".in.bin' --quiet";
    const int rc = std::system(cmd.c_str());
    if (rc != 0) {
      ADD_FAILURE() << "oracle failed (" << rc << "): " << cmd;
      return false;
    }
    *input = ReadBytes(prefix_ + ".in.bin");
    *output = ReadBytes(prefix_ + ".out.bin");
    return true;
  }

  std::string node_, tool_, prefix_;
};

int8_t ClampInt8(int v) {
  return static_cast<int8_t>(v < -128 ? -128 : (v > 127 ? 127 : v));
}

TEST_F(OracleTest, Conv2DRuns) {
  ModelBuilder b = MakeConvModel();
  std::vector<uint8_t> in, out;
  ASSERT_TRUE(Run(b, &in, &out));
  EXPECT_EQ(in.size(), 8u * 8 * 3);
  EXPECT_EQ(out.size(), 8u * 8 * 4);
}

TEST_F(OracleTest, Conv2DOneByOneIdentityIsExact) {
  // Weights 64 with scale 1/64 (= 1.0), zero bias, output scale = input
  // scale: q_out = clamp(q_in - zp_in + zp_out). Checks the OHWI filter
  // layout and the per-channel quantization the builder writes.
  ModelBuilder b;
  const int in = b.AddTensor("in", tflite::TensorType_INT8, {1, 4, 4, 3},
                             Quant::PerTensor(0.5f, -3));
  std::vector<int8_t> w(3 * 3, 0);
  for (int o = 0; o < 3; ++o) w[o * 3 + o] = 64;
  const int wt = b.AddConstTensor(
      "w", tflite::TensorType_INT8, {3, 1, 1, 3}, w,
      Quant::PerChannel(std::vector<float>(3, 1.0f / 64), {0, 0, 0}, 0));
  const int bias = b.AddConstTensor(
      "b", tflite::TensorType_INT32, {3}, std::vector<int32_t>(3, 0),
      Quant::PerChannel(std::vector<float>(3, 0.5f / 64), {0, 0, 0}, 0));
  const int out = b.AddTensor("out", tflite::TensorType_INT8, {1, 4, 4, 3},
                              Quant::PerTensor(0.5f, 2));
  b.AddOperator(tflite::BuiltinOperator_CONV_2D, 3, {in, wt, bias}, {out},
                Conv2DOptions{});
  b.SetInputs({in});
  b.SetOutputs({out});
  std::vector<uint8_t> input, output;
  ASSERT_TRUE(Run(b, &input, &output));
  ASSERT_EQ(input.size(), 48u);
  ASSERT_EQ(output.size(), 48u);
  for (size_t i = 0; i < input.size(); ++i) {
    EXPECT_EQ(static_cast<int8_t>(output[i]),
              ClampInt8(static_cast<int8_t>(input[i]) + 3 + 2))
        << "element " << i;
  }
}

TEST_F(OracleTest, DepthwiseConv2DRuns) {
  ModelBuilder b;
  const int in = b.AddTensor("in", tflite::TensorType_INT8, {1, 9, 9, 4},
                             Quant::PerTensor(0.05f, 3));
  std::vector<float> scales = {0.01f, 0.02f, 0.03f, 0.04f, 0.01f, 0.02f,
                               0.03f, 0.04f};
  const int w = b.AddConstTensor(
      "w", tflite::TensorType_INT8, {1, 3, 3, 8},
      RandomInt8Data(72, 11, -127, 127),
      Quant::PerChannel(scales, std::vector<int64_t>(8, 0), 3));
  std::vector<float> bias_scales;
  for (float s : scales) bias_scales.push_back(0.05f * s);
  const int bias = b.AddConstTensor(
      "b", tflite::TensorType_INT32, {8}, RandomInt32Data(8, 12),
      Quant::PerChannel(bias_scales, std::vector<int64_t>(8, 0), 0));
  const int out = b.AddTensor("out", tflite::TensorType_INT8, {1, 5, 5, 8},
                              Quant::PerTensor(0.08f, -5));
  DepthwiseConv2DOptions dw;
  dw.stride_w = dw.stride_h = 2;
  dw.depth_multiplier = 2;
  dw.activation = tflite::ActivationFunctionType_RELU6;
  b.AddOperator(tflite::BuiltinOperator_DEPTHWISE_CONV_2D, 3, {in, w, bias},
                {out}, dw);
  b.SetInputs({in});
  b.SetOutputs({out});
  std::vector<uint8_t> input, output;
  ASSERT_TRUE(Run(b, &input, &output));
  EXPECT_EQ(input.size(), 9u * 9 * 4);
  ASSERT_EQ(output.size(), 5u * 5 * 8);
  // RELU6 in the output domain: q in [zp, zp + 6 / scale] = [-5, 70].
  for (uint8_t v : output) {
    EXPECT_GE(static_cast<int8_t>(v), -5);
    EXPECT_LE(static_cast<int8_t>(v), 70);
  }
}

TEST_F(OracleTest, AddWithEqualScalesIsExact) {
  // Equal scales: real sum = s * ((a - za) + (b - zb)), so
  // q_out = clamp((a - za) + (b - zb) + zo).
  ModelBuilder b;
  const int a = b.AddTensor("a", tflite::TensorType_INT8, {1, 4, 4, 2},
                            Quant::PerTensor(0.25f, 10));
  const int c = b.AddTensor("c", tflite::TensorType_INT8, {1, 4, 4, 2},
                            Quant::PerTensor(0.25f, -7));
  const int out = b.AddTensor("out", tflite::TensorType_INT8, {1, 4, 4, 2},
                              Quant::PerTensor(0.25f, 1));
  b.AddOperator(tflite::BuiltinOperator_ADD, 2, {a, c}, {out});
  b.SetInputs({a, c});
  b.SetOutputs({out});
  std::vector<uint8_t> input, output;
  ASSERT_TRUE(Run(b, &input, &output));
  ASSERT_EQ(input.size(), 64u);
  ASSERT_EQ(output.size(), 32u);
  for (size_t i = 0; i < 32; ++i) {
    const int qa = static_cast<int8_t>(input[i]);
    const int qc = static_cast<int8_t>(input[32 + i]);
    EXPECT_EQ(static_cast<int8_t>(output[i]), ClampInt8((qa - 10) + (qc + 7) + 1))
        << "element " << i;
  }
}

TEST_F(OracleTest, SoftmaxSumsToOne) {
  ModelBuilder b;
  const int in = b.AddTensor("in", tflite::TensorType_INT8, {2, 10},
                             Quant::PerTensor(0.1f, 0));
  const int out = b.AddTensor("out", tflite::TensorType_INT8, {2, 10},
                              Quant::PerTensor(1.0f / 256, -128));
  b.AddOperator(tflite::BuiltinOperator_SOFTMAX, 2, {in}, {out});
  b.SetInputs({in});
  b.SetOutputs({out});
  std::vector<uint8_t> input, output;
  ASSERT_TRUE(Run(b, &input, &output));
  ASSERT_EQ(output.size(), 20u);
  for (int row = 0; row < 2; ++row) {
    int sum = 0;
    for (int i = 0; i < 10; ++i) sum += static_cast<int8_t>(output[row * 10 + i]) + 128;
    EXPECT_NEAR(sum, 256, 10) << "row " << row;  // rounding: <= 1/2 LSB each
  }
}

}  // namespace
}  // namespace modelgen
}  // namespace systole
