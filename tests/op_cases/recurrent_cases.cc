// UNIDIRECTIONAL_SEQUENCE_LSTM cases: the integer (int8 activations and
// weights, int16 cell state, 5 intermediates) and float32 kernels, with and
// without CIFG, peephole, layer norm and projection (with/without bias), time
// major and batch major, cell and projection clipping, nonzero zero points.
// Weights and biases are deterministic pseudo-random constants; the input
// sequence comes from the case seed; the states start at zero.
#include <cstdint>
#include <string>
#include <vector>

#include "testing/model_builder.h"
#include "tests/op_cases/op_case.h"

namespace systole {
namespace testing {
namespace {

struct LstmSpec {
  std::string name;
  bool integer = true;
  bool time_major = false;
  int batch = 1, time = 4, n_input = 6, n_cell = 8, n_output = 8;
  bool cifg = false, peephole = false, layer_norm = false, projection = false, projection_bias = false;
  float cell_clip = 0.0f, proj_clip = 0.0f;
  int input_zp = 0, state_zp = 0, hidden_zp = 0;
  tflite::ActivationFunctionType activation = tflite::ActivationFunctionType_TANH;
};

void AddLstm(OpCaseList* cases, const LstmSpec& s, uint32_t seed) {
  ModelBuilder b;
  uint32_t data_seed = seed * 97u;
  auto next_seed = [&] { return ++data_seed; };
  const bool q = s.integer;
  const auto act_type = q ? tflite::TensorType_INT8 : tflite::TensorType_FLOAT32;
  const std::vector<int32_t> in_shape =
      s.time_major ? std::vector<int32_t>{s.time, s.batch, s.n_input} : std::vector<int32_t>{s.batch, s.time, s.n_input};
  const std::vector<int32_t> out_shape =
      s.time_major ? std::vector<int32_t>{s.time, s.batch, s.n_output} : std::vector<int32_t>{s.batch, s.time, s.n_output};
  // Quantization (integer path), as TFLite's quantizer lays it out.
  const float s_in = 1.0f / 64, s_w = 0.5f / 127, s_h = 1.0f / 128, s_hidden = 1.0f / 128;
  const float s_cell = 1.0f / 2048;  // 2^-11
  const float s_peephole = 1.0f / 16384, s_ln = 1.0f / 16384, s_gate_ln = 0.0008f;
  const Quant q_in = q ? Quant::PerTensor(s_in, s.input_zp) : Quant::None();
  const Quant q_h = q ? Quant::PerTensor(s_h, s.state_zp) : Quant::None();
  const int input = b.AddTensor("input", act_type, in_shape, q_in);

  auto weights = [&](const std::string& name, int rows, int cols) {
    if (q) {
      return b.AddConstTensor(name, tflite::TensorType_INT8, {rows, cols},
                              RandomInt8Data(static_cast<size_t>(rows) * cols, next_seed(), -127, 127),
                              Quant::PerTensor(s_w, 0));
    }
    return b.AddConstTensor(name, tflite::TensorType_FLOAT32, {rows, cols},
                            RandomFloatData(static_cast<size_t>(rows) * cols, next_seed(), -0.5f, 0.5f));
  };
  auto bias = [&](const std::string& name, int size, float in_scale, float w_scale) {
    if (q) {
      if (s.layer_norm) {
        return b.AddConstTensor(name, tflite::TensorType_INT32, {size},
                                RandomInt32Data(size, next_seed(), -3000000, 3000000),
                                Quant::PerTensor(s_ln / 1024, 0));
      }
      return b.AddConstTensor(name, tflite::TensorType_INT32, {size}, RandomInt32Data(size, next_seed(), -3000, 3000),
                              Quant::PerTensor(in_scale * w_scale, 0));
    }
    return b.AddConstTensor(name, tflite::TensorType_FLOAT32, {size}, RandomFloatData(size, next_seed(), -0.2f, 0.2f));
  };
  auto vec16 = [&](const std::string& name, int size, int lo, int hi, float scale, float flo, float fhi) {
    if (q) {
      std::vector<int16_t> v;
      for (int32_t x : RandomInt32Data(size, next_seed(), lo, hi)) v.push_back(static_cast<int16_t>(x));
      return b.AddConstTensor(name, tflite::TensorType_INT16, {size}, v, Quant::PerTensor(scale, 0));
    }
    return b.AddConstTensor(name, tflite::TensorType_FLOAT32, {size}, RandomFloatData(size, next_seed(), flo, fhi));
  };
  const int C = s.n_cell, I = s.n_input, O = s.n_output;
  std::vector<int> in(24, -1);
  in[0] = input;
  const char* gates[4] = {"input", "forget", "cell", "output"};
  for (int g = 0; g < 4; ++g) {
    if (g == 0 && s.cifg) continue;
    in[1 + g] = weights(std::string(gates[g]) + "_x_w", C, I);
    in[5 + g] = weights(std::string(gates[g]) + "_h_w", C, O);
  }
  if (s.peephole) {
    if (!s.cifg) in[9] = vec16("cell_to_input", C, -4915, 4915, s_peephole, -0.3f, 0.3f);
    in[10] = vec16("cell_to_forget", C, -4915, 4915, s_peephole, -0.3f, 0.3f);
    in[11] = vec16("cell_to_output", C, -4915, 4915, s_peephole, -0.3f, 0.3f);
  }
  for (int g = 0; g < 4; ++g) {
    if (g == 0 && s.cifg) continue;
    in[12 + g] = bias(std::string(gates[g]) + "_bias", C, s_in, s_w);
  }
  if (s.projection) {
    in[16] = weights("projection_w", O, C);
    if (s.projection_bias) {
      if (q) {
        in[17] = b.AddConstTensor("projection_bias", tflite::TensorType_INT32, {O},
                                  RandomInt32Data(O, next_seed(), -3000, 3000), Quant::PerTensor(s_hidden * s_w, 0));
      } else {
        in[17] = b.AddConstTensor("projection_bias", tflite::TensorType_FLOAT32, {O},
                                  RandomFloatData(O, next_seed(), -0.1f, 0.1f));
      }
    }
  }
  in[18] = b.AddVariableTensor("output_state", act_type, {s.batch, O}, q_h);
  in[19] = b.AddVariableTensor("cell_state", q ? tflite::TensorType_INT16 : tflite::TensorType_FLOAT32,
                               {s.batch, C}, q ? Quant::PerTensor(s_cell, 0) : Quant::None());
  if (s.layer_norm) {
    for (int g = 0; g < 4; ++g) {
      if (g == 0 && s.cifg) continue;
      in[20 + g] = vec16(std::string(gates[g]) + "_ln", C, 8192, 24576, s_ln, 0.5f, 1.5f);
    }
  } else {
    in.resize(20);
  }
  const int output = b.AddTensor("output", act_type, out_shape, q_h);
  const float cell_clip = s.cell_clip, proj_clip = s.proj_clip;
  const bool time_major = s.time_major;
  const auto activation = s.activation;
  RawOptions options;
  options.type = tflite::BuiltinOptions_UnidirectionalSequenceLSTMOptions;
  options.write = [=](flatbuffers::FlatBufferBuilder& fbb) {
    return tflite::CreateUnidirectionalSequenceLSTMOptions(fbb, activation, cell_clip, proj_clip, time_major)
        .Union();
  };
  const int op = b.AddOperator(tflite::BuiltinOperator_UNIDIRECTIONAL_SEQUENCE_LSTM, 1, in, {output}, options);
  if (q) {
    std::vector<int> intermediates;
    for (int g = 0; g < 4; ++g) {
      if (s.layer_norm) {
        intermediates.push_back(b.AddTensor(std::string(gates[g]) + "_intermediate", tflite::TensorType_INT16, {0},
                                            Quant::PerTensor(s_gate_ln, 0)));
      } else {
        intermediates.push_back(
            b.AddTensor(std::string(gates[g]) + "_intermediate", tflite::TensorType_FLOAT32, {0}));
      }
    }
    intermediates.push_back(b.AddTensor("hidden_intermediate", tflite::TensorType_INT8, {0},
                                        Quant::PerTensor(s_hidden, s.hidden_zp)));
    b.SetIntermediates(op, intermediates);
  }
  b.SetInputs({input});
  b.SetOutputs({output});
  OpCase c;
  c.name = "unidirectional_sequence_lstm/" + s.name;
  c.seed = seed;
  c.model = b.Finish();
  cases->push_back(std::move(c));
}

}  // namespace

void AddRecurrentCases(OpCaseList* cases) {
  uint32_t seed = 900000;
  auto add = [&](LstmSpec s) { AddLstm(cases, s, ++seed); };
  // Integer (8x8_16).
  LstmSpec base;
  base.name = "i8_basic";
  add(base);
  LstmSpec s = base;
  s.name = "i8_zero_points_batch2";
  s.batch = 2, s.input_zp = -3, s.state_zp = 5;
  add(s);
  s = base;
  s.name = "i8_time_major_batch3";
  s.time_major = true, s.batch = 3, s.input_zp = 7;
  add(s);
  s = base;
  s.name = "i8_cifg";
  s.cifg = true;
  add(s);
  s = base;
  s.name = "i8_peephole_cell_clip";
  s.peephole = true, s.cell_clip = 1.5f;
  add(s);
  s = base;
  s.name = "i8_layer_norm";
  s.layer_norm = true;
  add(s);
  s = base;
  s.name = "i8_layer_norm_cifg_time_major";
  s.layer_norm = true, s.cifg = true, s.time_major = true, s.batch = 2;
  add(s);
  s = base;
  s.name = "i8_projection";
  s.projection = true, s.n_output = 5;
  add(s);
  s = base;
  s.name = "i8_projection_bias_clip";
  s.projection = true, s.projection_bias = true, s.n_output = 5, s.proj_clip = 0.4f, s.cell_clip = 2.0f;
  add(s);
  s = base;
  s.name = "i8_projection_hidden_zp";
  s.projection = true, s.n_output = 6, s.hidden_zp = 9, s.state_zp = -4;
  add(s);
  s = base;
  s.name = "i8_peephole_layer_norm_projection";
  s.peephole = true, s.layer_norm = true, s.projection = true, s.n_output = 8, s.batch = 2;
  add(s);
  // Float.
  LstmSpec f;
  f.integer = false;
  f.name = "f32_basic";
  add(f);
  s = f;
  s.name = "f32_time_major_batch2";
  s.time_major = true, s.batch = 2;
  add(s);
  s = f;
  s.name = "f32_cifg_peephole_clip";
  s.cifg = true, s.peephole = true, s.cell_clip = 0.5f;
  add(s);
  s = f;
  s.name = "f32_layer_norm";
  s.layer_norm = true, s.batch = 2;
  add(s);
  s = f;
  s.name = "f32_projection_bias_clip";
  s.projection = true, s.projection_bias = true, s.n_output = 5, s.proj_clip = 0.3f;
  add(s);
  s = f;
  s.name = "f32_relu_activation";
  s.activation = tflite::ActivationFunctionType_RELU;
  add(s);
}

}  // namespace testing
}  // namespace systole
