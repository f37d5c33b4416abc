// Malformed UNIDIRECTIONAL_SEQUENCE_LSTM and TFLite_Detection_PostProcess
// nodes: each is refused by AllocateTensors with a message naming the input
// or option and the rule (bit-exactness is covered by the op cases against
// the oracle). Also the gemmlowp fixed-point helpers at known points.
#include <gtest/gtest.h>

#include <flatbuffers/flexbuffers.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "interpreter/interpreter.h"
#include "interpreter/kernels/lstm_fixed_point.h"
#include "interpreter/model.h"
#include "interpreter/op_resolver.h"
#include "modelgen/model_builder.h"

namespace systole {
namespace {

using modelgen::ModelBuilder;
using modelgen::Quant;

// Loads and allocates `bytes`; returns the AllocateTensors (or load) error,
// or "" on success.
std::string AllocateError(const std::vector<uint8_t>& bytes) {
  if (bytes.empty()) return "builder failed";
  auto model = Model::FromBuffer(bytes, "test");
  if (!model.ok()) return model.status().ToString();
  BuiltinOpResolver resolver(TfliteFlavor::kRuy);
  auto interp = Interpreter::Create(**model, resolver);
  if (!interp.ok()) return interp.status().ToString();
  Status s = (*interp)->AllocateTensors();
  if (!s.ok()) return s.ToString();
  // A node that prepares must also run on zero inputs.
  s = (*interp)->Invoke();
  return s.ok() ? "" : s.ToString();
}

struct LstmModel {
  int inputs = 20;          // 20 or 24
  bool int16_weights = false;
  bool int8_weights_float_input = false;
  bool intermediates = true;
  bool variable_states = true;
  float cell_scale = 1.0f / 2048;
  int forget_rows = 8;      // n_cell rows of input_to_forget_weights
  float cell_clip = 0.0f;
};

std::vector<uint8_t> BuildLstm(const LstmModel& m) {
  ModelBuilder b;
  const int T = 3, I = 4, C = 8, O = 8;
  const bool float_input = m.int8_weights_float_input;
  const int input = float_input ? b.AddTensor("in", tflite::TensorType_FLOAT32, {1, T, I})
                                : b.AddTensor("in", tflite::TensorType_INT8, {1, T, I}, Quant::PerTensor(0.02f, 0));
  std::vector<int> in(m.inputs, -1);
  in[0] = input;
  for (int g = 0; g < 4; ++g) {
    const int rows = g == 1 ? m.forget_rows : C;
    if (m.int16_weights) {
      in[1 + g] = b.AddConstTensor("wx" + std::to_string(g), tflite::TensorType_INT16, {rows, I},
                                   std::vector<int16_t>(rows * I, 3), Quant::PerTensor(0.01f, 0));
    } else {
      in[1 + g] = b.AddConstTensor("wx" + std::to_string(g), tflite::TensorType_INT8, {rows, I},
                                   std::vector<int8_t>(rows * I, 3), Quant::PerTensor(0.01f, 0));
    }
    in[5 + g] = b.AddConstTensor("wh" + std::to_string(g), tflite::TensorType_INT8, {C, O},
                                 std::vector<int8_t>(C * O, -2), Quant::PerTensor(0.01f, 0));
    in[12 + g] = b.AddConstTensor("b" + std::to_string(g), tflite::TensorType_INT32, {C},
                                  std::vector<int32_t>(C, 100), Quant::PerTensor(0.0002f, 0));
  }
  if (m.variable_states) {
    in[18] = b.AddVariableTensor("h", tflite::TensorType_INT8, {1, O}, Quant::PerTensor(1.0f / 128, 0));
    in[19] = b.AddVariableTensor("c", tflite::TensorType_INT16, {1, C}, Quant::PerTensor(m.cell_scale, 0));
  } else {
    in[18] = b.AddTensor("h", tflite::TensorType_INT8, {1, O}, Quant::PerTensor(1.0f / 128, 0));
    in[19] = b.AddTensor("c", tflite::TensorType_INT16, {1, C}, Quant::PerTensor(m.cell_scale, 0));
  }
  const int out = b.AddTensor("out", tflite::TensorType_INT8, {1, T, O}, Quant::PerTensor(1.0f / 128, 0));
  const float clip = m.cell_clip;
  modelgen::RawOptions o;
  o.type = tflite::BuiltinOptions_UnidirectionalSequenceLSTMOptions;
  o.write = [clip](flatbuffers::FlatBufferBuilder& fbb) {
    return tflite::CreateUnidirectionalSequenceLSTMOptions(fbb, tflite::ActivationFunctionType_TANH, clip).Union();
  };
  const int op = b.AddOperator(tflite::BuiltinOperator_UNIDIRECTIONAL_SEQUENCE_LSTM, 1, in, {out}, o);
  if (m.intermediates) {
    std::vector<int> im;
    for (int i = 0; i < 4; ++i) im.push_back(b.AddTensor("im" + std::to_string(i), tflite::TensorType_FLOAT32, {0}));
    im.push_back(b.AddTensor("hidden", tflite::TensorType_INT8, {0}, Quant::PerTensor(1.0f / 128, 0)));
    b.SetIntermediates(op, im);
  }
  b.SetInputs({input});
  b.SetOutputs({out});
  return b.Finish();
}

TEST(LstmMalformed, ValidModelRuns) { EXPECT_EQ(AllocateError(BuildLstm({})), ""); }

void ExpectLstmError(const LstmModel& m, const std::string& needle) {
  const std::string e = AllocateError(BuildLstm(m));
  EXPECT_NE(e.find(needle), std::string::npos) << "error: '" << e << "', expected to contain '" << needle << "'";
}

TEST(LstmMalformed, WrongInputCount) {
  LstmModel m;
  m.inputs = 21;
  ExpectLstmError(m, "UNIDIRECTIONAL_SEQUENCE_LSTM: expects 20 or 24 inputs, got 21");
}

TEST(LstmMalformed, WrongWeightShape) {
  LstmModel m;
  m.forget_rows = 7;
  ExpectLstmError(m, "input 2 (input_to_forget_weights) must have shape [8, 4]");
}

TEST(LstmMalformed, WrongWeightType) {
  LstmModel m;
  m.int16_weights = true;
  ExpectLstmError(m, "must be INT8, got INT16");
}

TEST(LstmMalformed, HybridNotSupported) {
  LstmModel m;
  m.int8_weights_float_input = true;
  ExpectLstmError(m, "hybrid LSTM) is not supported");
}

TEST(LstmMalformed, MissingIntermediates) {
  LstmModel m;
  m.intermediates = false;
  ExpectLstmError(m, "needs 5 intermediate tensors");
}

TEST(LstmMalformed, StatesMustBeVariable) {
  LstmModel m;
  m.variable_states = false;
  // Caught when the graph is built: a non-variable state is read before any
  // operator writes it.
  ExpectLstmError(m, "reads tensor 13 ('h') before any operator writes it");
}

TEST(LstmMalformed, CellScaleMustBePowerOfTwo) {
  LstmModel m;
  m.cell_scale = 0.0003f;
  ExpectLstmError(m, "must be a power of two");
}

TEST(LstmMalformed, NegativeCellClip) {
  LstmModel m;
  m.cell_clip = -1.0f;
  ExpectLstmError(m, "cell_clip is -1; must be >= 0");
}

// ---- TFLite_Detection_PostProcess ----

std::vector<uint8_t> Options(const std::function<void(flexbuffers::Builder&)>& body) {
  flexbuffers::Builder fbb;
  fbb.Map([&] { body(fbb); });
  fbb.Finish();
  return fbb.GetBuffer();
}

// Writes every option a valid model needs, except the one named `omit` (a
// test then writes it with a bad value, or leaves it out).
void GoodOptions(flexbuffers::Builder& fbb, const std::string& omit) {
  auto i = [&](const char* k, int64_t v) { if (omit != k) fbb.Int(k, v); };
  auto f = [&](const char* k, float v) { if (omit != k) fbb.Float(k, v); };
  i("max_detections", 3);
  i("max_classes_per_detection", 1);
  f("nms_score_threshold", 0.1f);
  f("nms_iou_threshold", 0.5f);
  i("num_classes", 2);
  f("y_scale", 10.0f);
  f("x_scale", 10.0f);
  f("h_scale", 5.0f);
  f("w_scale", 5.0f);
}

struct DetectionModel {
  std::vector<uint8_t> options = Options([](flexbuffers::Builder& fbb) { GoodOptions(fbb, ""); });
  tflite::TensorType type = tflite::TensorType_FLOAT32;
  int classes = 3;       // with background
  int anchor_rows = 4;
  bool three_inputs = true;
};

std::vector<uint8_t> BuildDetection(const DetectionModel& m) {
  ModelBuilder b;
  const Quant q = m.type == tflite::TensorType_FLOAT32 ? Quant::None() : Quant::PerTensor(0.1f, 0);
  const int boxes = b.AddTensor("boxes", m.type, {1, 4, 4}, q);
  const int scores = b.AddTensor("scores", m.type, {1, 4, m.classes}, q);
  int anchors = -1;
  if (m.type == tflite::TensorType_FLOAT32) {
    anchors = b.AddConstTensor("anchors", m.type, {m.anchor_rows, 4}, std::vector<float>(m.anchor_rows * 4, 0.5f));
  } else {
    anchors = b.AddConstTensorBytes("anchors", m.type, {m.anchor_rows, 4}, std::vector<uint8_t>(m.anchor_rows * 4, 5), q);
  }
  std::vector<int> outs;
  for (int i = 0; i < 4; ++i) outs.push_back(b.AddTensor("o" + std::to_string(i), tflite::TensorType_FLOAT32, {1}));
  std::vector<int> ins = {boxes, scores};
  if (m.three_inputs) ins.push_back(anchors);
  b.AddCustomOperator("TFLite_Detection_PostProcess", ins, outs, m.options);
  b.SetInputs({boxes, scores});
  b.SetOutputs(outs);
  return b.Finish();
}

void ExpectDetectionError(const DetectionModel& m, const std::string& needle) {
  const std::string e = AllocateError(BuildDetection(m));
  EXPECT_NE(e.find(needle), std::string::npos) << "error: '" << e << "', expected to contain '" << needle << "'";
}

TEST(DetectionMalformed, ValidModelRuns) { EXPECT_EQ(AllocateError(BuildDetection({})), ""); }

TEST(DetectionMalformed, MissingOptions) {
  DetectionModel m;
  m.options.clear();
  ExpectDetectionError(m, "custom options are missing");
}

TEST(DetectionMalformed, GarbageOptions) {
  DetectionModel m;
  m.options = {0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03};
  ExpectDetectionError(m, "not a valid FlexBuffer");
}

TEST(DetectionMalformed, OptionsNotAMap) {
  DetectionModel m;
  flexbuffers::Builder fbb;
  fbb.Int(42);
  fbb.Finish();
  m.options = fbb.GetBuffer();
  ExpectDetectionError(m, "custom options must be a FlexBuffer map");
}

TEST(DetectionMalformed, MissingKey) {
  DetectionModel m;
  m.options = Options([](flexbuffers::Builder& fbb) { GoodOptions(fbb, "nms_iou_threshold"); });
  ExpectDetectionError(m, "custom option 'nms_iou_threshold' is missing");
}

TEST(DetectionMalformed, KeyOfWrongType) {
  DetectionModel m;
  m.options = Options([](flexbuffers::Builder& fbb) {
    GoodOptions(fbb, "");
    fbb.String("detections_per_class", "many");
  });
  ExpectDetectionError(m, "custom option 'detections_per_class' must be a number");
}

TEST(DetectionMalformed, IouOutOfRange) {
  DetectionModel m;
  m.options = Options([](flexbuffers::Builder& fbb) {
    GoodOptions(fbb, "nms_iou_threshold");
    fbb.Float("nms_iou_threshold", 1.5f);
  });
  ExpectDetectionError(m, "nms_iou_threshold is 1.5; must be in (0, 1]");
}

TEST(DetectionMalformed, ZeroMaxDetections) {
  DetectionModel m;
  m.options = Options([](flexbuffers::Builder& fbb) {
    GoodOptions(fbb, "max_detections");
    fbb.Int("max_detections", 0);
  });
  ExpectDetectionError(m, "max_detections is 0; must be > 0");
}

TEST(DetectionMalformed, WrongInputCount) {
  DetectionModel m;
  m.three_inputs = false;
  ExpectDetectionError(m, "expects 3 inputs (boxes, scores, anchors), got 2");
}

TEST(DetectionMalformed, AnchorShape) {
  DetectionModel m;
  m.anchor_rows = 5;
  ExpectDetectionError(m, "anchors (input 2) must have shape [4, 4]");
}

TEST(DetectionMalformed, ClassCount) {
  DetectionModel m;
  m.classes = 5;  // num_classes 2: more than one background class
  ExpectDetectionError(m, "class predictions have 5 classes; num_classes is 2");
}

TEST(DetectionMalformed, Int8RefusedAsTfLiteDoes) {
  DetectionModel m;
  m.type = tflite::TensorType_INT8;
  ExpectDetectionError(m, "must be FLOAT32 or UINT8");
}

// ---- gemmlowp fixed point at known points ----

TEST(LstmFixedPoint, LogisticAndTanhKnownValues) {
  using kernels::fxp::Fx;
  EXPECT_EQ(kernels::fxp::Logistic(Fx<int16_t, 3>::FromRaw(0)).raw, 16384);  // 0.5 in Q0.15
  EXPECT_EQ(kernels::fxp::Tanh(Fx<int16_t, 3>::FromRaw(0)).raw, 0);
  // logistic(8) ~ 0.99966, tanh(-8) ~ -1 (Q3.12 input 32767 ~ 8).
  EXPECT_NEAR(kernels::fxp::Logistic(Fx<int16_t, 3>::FromRaw(32767)).raw / 32768.0, 0.99966, 2e-4);
  EXPECT_NEAR(kernels::fxp::Tanh(Fx<int16_t, 3>::FromRaw(-32768)).raw / 32768.0, -1.0, 2e-4);
  // logistic(1) = 0.7311, tanh(0.5) = 0.4621.
  EXPECT_NEAR(kernels::fxp::Logistic(Fx<int16_t, 3>::FromRaw(4096)).raw / 32768.0, 0.73106, 3e-4);
  EXPECT_NEAR(kernels::fxp::Tanh(Fx<int16_t, 3>::FromRaw(2048)).raw / 32768.0, 0.46212, 3e-4);
}

TEST(LstmFixedPoint, InverseSqrt) {
  int32_t m = 0;
  int shift = 0;
  kernels::GetInvSqrtQuantizedMultiplierExp(1 << 20, -1, &m, &shift);
  // 1/sqrt(2^20) = 2^-10 = m * 2^(shift - 31).
  EXPECT_NEAR(m * std::pow(2.0, shift - 31), 1.0 / 1024, 1e-7);
  kernels::GetInvSqrtQuantizedMultiplierExp(1, -1, &m, &shift);
  EXPECT_EQ(m, INT32_MAX);
  EXPECT_EQ(shift, 0);
}

}  // namespace
}  // namespace systole
