// UNIDIRECTIONAL_SEQUENCE_LSTM, as TensorFlow Lite's
// kernels/unidirectional_sequence_lstm.cc with lstm_eval.cc:
//
//  * int8 input, int8 weights, int16 cell state (the "8x8_16" integer LSTM,
//    EvalInteger8x8_16): Prepare derives every effective scale with
//    QuantizeMultiplier and folds the input/output-state zero points into
//    per-row effective biases (bias - zp * row_sum(W)); each step computes the
//    four gates as int32 dot products requantized to int16 (Q3.12 gates, or the
//    layer-norm intermediates' scales), accumulated with saturation, optional
//    peephole terms, optional integer layer normalization, gemmlowp fixed-point
//    sigmoid/tanh, the int16 cell update with clipping, and the hidden state
//    tanh(cell) * output_gate requantized to int8, optionally projected.
//    This is portable_tensor_utils.cc's arithmetic, which both the WebAssembly
//    (ruy) and the native x86-64 builds run for this op, so the kernel is the
//    same in every flavor.
//  * float32 (EvalFloat): the same step in float, in TFLite's order of
//    operations (lstm_float.cc in this directory).
//
// Inputs (TFLite's lstm::full indices): 0 input; 1-4 input_to_{input,forget,
// cell,output} weights; 5-8 recurrent_to_*; 9-11 cell_to_{input,forget,output}
// (peephole); 12-15 {input,forget,cell,output} gate biases; 16 projection
// weights; 17 projection bias; 18 output state and 19 cell state (variable
// tensors); 20-23 layer-norm coefficients. Optional inputs are -1. The integer
// path needs the node's 5 intermediate tensors (their scales: the gate
// outputs under layer norm, and the hidden state).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "interpreter/kernels/builtin_kernels.h"
#include "interpreter/kernels/kernel_util.h"
#include "interpreter/kernels/lstm_fixed_point.h"
#include "interpreter/kernels/lstm_float.h"

namespace systole {
namespace kernels {
namespace {

enum LstmInput {
  kInput = 0,
  kInputToInputWeights = 1,
  kInputToForgetWeights = 2,
  kInputToCellWeights = 3,
  kInputToOutputWeights = 4,
  kRecurrentToInputWeights = 5,
  kRecurrentToForgetWeights = 6,
  kRecurrentToCellWeights = 7,
  kRecurrentToOutputWeights = 8,
  kCellToInputWeights = 9,
  kCellToForgetWeights = 10,
  kCellToOutputWeights = 11,
  kInputGateBias = 12,
  kForgetGateBias = 13,
  kCellGateBias = 14,
  kOutputGateBias = 15,
  kProjectionWeights = 16,
  kProjectionBias = 17,
  kOutputState = 18,
  kCellState = 19,
  kInputLayerNorm = 20,
  kForgetLayerNorm = 21,
  kCellLayerNorm = 22,
  kOutputLayerNorm = 23,
};

constexpr const char* kOp = "UNIDIRECTIONAL_SEQUENCE_LSTM";

// One gate's integer parameters (lstm_eval::IntegerLstmParameter, per gate).
struct IntegerGate {
  int32_t input_scale_a = 0, input_scale_b = 0;          // input * W
  int32_t recurrent_scale_a = 0, recurrent_scale_b = 0;  // output_state * W
  int32_t cell_scale_a = 0, cell_scale_b = 0;            // peephole
  int32_t layer_norm_scale_a = 0, layer_norm_scale_b = 0;
  int32_t variance_guard = 0;
  std::vector<int32_t> input_effective_bias, recurrent_effective_bias;
};

struct OpData {
  bool use_layer_norm = false;
  bool is_integer = false;
  // Integer path.
  IntegerGate gate[4];  // input, forget, cell, output
  int32_t effective_proj_scale_a = 0, effective_proj_scale_b = 0;
  int32_t effective_hidden_scale_a = 0, effective_hidden_scale_b = 0;
  int32_t hidden_zp = 0;
  int16_t quantized_cell_clip = 0;
  int8_t quantized_proj_clip = 0;
  int cell_scale = 0;
  std::vector<int32_t> projection_effective_bias;
  // Scratch (sized in Prepare, not allocated while invoking).
  std::vector<int16_t> scratch16[4];
  std::vector<int8_t> scratch8;
  std::vector<float> scratch_f[5];
};

void* Init(TfLiteContext*, const char*, size_t) { return new OpData(); }
void Free(TfLiteContext*, void* buffer) { delete static_cast<OpData*>(buffer); }

const TfLiteTensor* In(TfLiteContext* context, TfLiteNode* node, int index) {
  return GetInput(context, node, index);
}

// TFLite CheckedLog2 (kernel_util.cc).
bool CheckedLog2(float x, int* log2_result) {
  const float x_log2 = std::log(x) * (1.0f / std::log(2.0f));
  const float x_log2_rounded = std::round(x_log2);
  const float x_log2_fracpart = x_log2 - x_log2_rounded;
  *log2_result = static_cast<int>(x_log2_rounded);
  return std::abs(x_log2_fracpart) < 1e-3f;
}

// TFLite QuantizeMultiplier into (a, b) as lstm_eval stores them.
void Decompose(double scale, int32_t* a, int32_t* b) {
  int shift = 0;
  QuantizeMultiplier(scale, a, &shift);
  *b = shift;
}

// PrecomputeZeroPointTimesWeightWithBias: bias (or 0) + zero_point * row_sum(W).
std::vector<int32_t> EffectiveBias(int32_t zero_point, const TfLiteTensor* weights,
                                   const TfLiteTensor* bias) {
  std::vector<int32_t> out;
  if (weights == nullptr) return out;
  const int rows = weights->dims->data[0];
  const int cols = weights->dims->data[1];
  out.assign(rows, 0);
  if (bias != nullptr) std::memcpy(out.data(), bias->data.i32, rows * sizeof(int32_t));
  if (zero_point != 0) {
    const int8_t* w = weights->data.int8;
    for (int r = 0; r < rows; ++r) {
      int32_t row_sum = 0;
      for (int c = 0; c < cols; ++c) row_sum += *w++;
      out[r] = static_cast<int32_t>(static_cast<uint32_t>(out[r]) +
                                    static_cast<uint32_t>(row_sum) * static_cast<uint32_t>(zero_point));
    }
  }
  return out;
}

float ScaleOf(const TfLiteTensor* t) { return t == nullptr ? 1.0f : t->params.scale; }

// CheckInputTensorDimensions plus the type rules of TFLite's Prepare, with
// messages naming the input and the rule.
TfLiteStatus CheckInputs(TfLiteContext* context, TfLiteNode* node, int n_input, int n_output,
                         int n_cell, bool use_layer_norm, bool is_integer) {
  const auto* params = static_cast<const TfLiteUnidirectionalSequenceLSTMParams*>(node->builtin_data);
  SYSTOLE_KERNEL_ENSURE(context, params->cell_clip >= 0, "%s: cell_clip is %g; must be >= 0", kOp,
                        params->cell_clip);
  SYSTOLE_KERNEL_ENSURE(context, params->proj_clip >= 0, "%s: proj_clip is %g; must be >= 0", kOp,
                        params->proj_clip);
  const TfLiteType weight_type = is_integer ? kTfLiteInt8 : kTfLiteFloat32;
  auto check_matrix = [&](int index, const char* name, int rows, int cols, bool optional) -> TfLiteStatus {
    const TfLiteTensor* t = In(context, node, index);
    if (t == nullptr) {
      SYSTOLE_KERNEL_ENSURE(context, optional, "%s: input %d (%s) is required", kOp, index, name);
      return kTfLiteOk;
    }
    SYSTOLE_KERNEL_ENSURE(context, t->type == weight_type, "%s: input %d (%s) must be %s, got %s", kOp,
                          index, name, TypeName(weight_type), TypeName(t->type));
    SYSTOLE_KERNEL_ENSURE(context,
                          t->dims->size == 2 && t->dims->data[0] == rows && t->dims->data[1] == cols,
                          "%s: input %d (%s) must have shape [%d, %d]", kOp, index, name, rows, cols);
    SYSTOLE_KERNEL_ENSURE(context, IsConstantTensor(t), "%s: input %d (%s) must be a constant tensor",
                          kOp, index, name);
    return kTfLiteOk;
  };
  auto check_vector = [&](int index, const char* name, int size, TfLiteType type,
                          bool optional) -> TfLiteStatus {
    const TfLiteTensor* t = In(context, node, index);
    if (t == nullptr) {
      SYSTOLE_KERNEL_ENSURE(context, optional, "%s: input %d (%s) is required", kOp, index, name);
      return kTfLiteOk;
    }
    SYSTOLE_KERNEL_ENSURE(context, t->type == type, "%s: input %d (%s) must be %s, got %s", kOp, index,
                          name, TypeName(type), TypeName(t->type));
    SYSTOLE_KERNEL_ENSURE(context, t->dims->size == 1 && t->dims->data[0] == size,
                          "%s: input %d (%s) must have shape [%d]", kOp, index, name, size);
    SYSTOLE_KERNEL_ENSURE(context, IsConstantTensor(t), "%s: input %d (%s) must be a constant tensor",
                          kOp, index, name);
    return kTfLiteOk;
  };
  SYSTOLE_KERNEL_ENSURE_OK(check_matrix(kInputToInputWeights, "input_to_input_weights", n_cell, n_input, true));
  SYSTOLE_KERNEL_ENSURE_OK(check_matrix(kInputToForgetWeights, "input_to_forget_weights", n_cell, n_input, false));
  SYSTOLE_KERNEL_ENSURE_OK(check_matrix(kInputToCellWeights, "input_to_cell_weights", n_cell, n_input, false));
  SYSTOLE_KERNEL_ENSURE_OK(check_matrix(kRecurrentToInputWeights, "recurrent_to_input_weights", n_cell, n_output, true));
  SYSTOLE_KERNEL_ENSURE_OK(check_matrix(kRecurrentToForgetWeights, "recurrent_to_forget_weights", n_cell, n_output, false));
  SYSTOLE_KERNEL_ENSURE_OK(check_matrix(kRecurrentToCellWeights, "recurrent_to_cell_weights", n_cell, n_output, false));
  SYSTOLE_KERNEL_ENSURE_OK(check_matrix(kRecurrentToOutputWeights, "recurrent_to_output_weights", n_cell, n_output, false));
  const bool has_ii = In(context, node, kInputToInputWeights) != nullptr;
  const bool has_ri = In(context, node, kRecurrentToInputWeights) != nullptr;
  SYSTOLE_KERNEL_ENSURE(context, has_ii == has_ri,
                        "%s: input_to_input_weights and recurrent_to_input_weights must both be "
                        "present (LSTM) or both absent (CIFG)",
                        kOp);
  const bool use_cifg = !has_ii;
  const TfLiteType peephole_type = is_integer ? kTfLiteInt16 : kTfLiteFloat32;
  SYSTOLE_KERNEL_ENSURE_OK(check_vector(kCellToInputWeights, "cell_to_input_weights", n_cell, peephole_type, true));
  SYSTOLE_KERNEL_ENSURE_OK(check_vector(kCellToForgetWeights, "cell_to_forget_weights", n_cell, peephole_type, true));
  SYSTOLE_KERNEL_ENSURE_OK(check_vector(kCellToOutputWeights, "cell_to_output_weights", n_cell, peephole_type, true));
  const bool has_ci = In(context, node, kCellToInputWeights) != nullptr;
  const bool has_cf = In(context, node, kCellToForgetWeights) != nullptr;
  const bool has_co = In(context, node, kCellToOutputWeights) != nullptr;
  SYSTOLE_KERNEL_ENSURE(context,
                        ((has_ci || use_cifg) && has_cf && has_co) || (!has_ci && !has_cf && !has_co),
                        "%s: the peephole weights (inputs 9-11) must be all present or all absent", kOp);
  const TfLiteType bias_type = is_integer ? kTfLiteInt32 : kTfLiteFloat32;
  if (use_cifg) {
    SYSTOLE_KERNEL_ENSURE(context, In(context, node, kInputGateBias) == nullptr,
                          "%s: input 12 (input_gate_bias) must be absent in a CIFG LSTM", kOp);
  } else {
    SYSTOLE_KERNEL_ENSURE_OK(check_vector(kInputGateBias, "input_gate_bias", n_cell, bias_type, false));
  }
  SYSTOLE_KERNEL_ENSURE_OK(check_vector(kForgetGateBias, "forget_gate_bias", n_cell, bias_type, false));
  SYSTOLE_KERNEL_ENSURE_OK(check_vector(kCellGateBias, "cell_gate_bias", n_cell, bias_type, false));
  SYSTOLE_KERNEL_ENSURE_OK(check_vector(kOutputGateBias, "output_gate_bias", n_cell, bias_type, false));
  SYSTOLE_KERNEL_ENSURE_OK(check_matrix(kProjectionWeights, "projection_weights", n_output, n_cell, true));
  SYSTOLE_KERNEL_ENSURE_OK(check_vector(kProjectionBias, "projection_bias", n_output, bias_type, true));
  SYSTOLE_KERNEL_ENSURE(context,
                        In(context, node, kProjectionWeights) != nullptr ||
                            In(context, node, kProjectionBias) == nullptr,
                        "%s: a projection bias (input 17) needs projection weights (input 16)", kOp);
  if (use_layer_norm) {
    const TfLiteType ln_type = is_integer ? kTfLiteInt16 : kTfLiteFloat32;
    if (use_cifg) {
      SYSTOLE_KERNEL_ENSURE(context, In(context, node, kInputLayerNorm) == nullptr,
                            "%s: input 20 (input_layer_norm_coefficients) must be absent in a CIFG LSTM",
                            kOp);
    } else {
      SYSTOLE_KERNEL_ENSURE_OK(check_vector(kInputLayerNorm, "input_layer_norm_coefficients", n_cell, ln_type, false));
    }
    SYSTOLE_KERNEL_ENSURE_OK(check_vector(kForgetLayerNorm, "forget_layer_norm_coefficients", n_cell, ln_type, false));
    SYSTOLE_KERNEL_ENSURE_OK(check_vector(kCellLayerNorm, "cell_layer_norm_coefficients", n_cell, ln_type, false));
    SYSTOLE_KERNEL_ENSURE_OK(check_vector(kOutputLayerNorm, "output_layer_norm_coefficients", n_cell, ln_type, false));
  }
  return kTfLiteOk;
}

const TfLiteAffineQuantization* RequireQuantization(TfLiteContext* context, const TfLiteTensor* t) {
  const TfLiteAffineQuantization* q = AffineQuantization(t);
  if (q == nullptr || q->scale == nullptr || q->scale->size < 1 || q->zero_point == nullptr ||
      q->zero_point->size < 1)
    return nullptr;
  return q;
}

// PopulateQuantizedLstmParams8x8_16 + PopulatePrecomputedZPTimesWeightsWithBias.
TfLiteStatus PrepareInteger(TfLiteContext* context, TfLiteNode* node, OpData* d, int n_cell,
                            int n_output) {
  const auto* params = static_cast<const TfLiteUnidirectionalSequenceLSTMParams*>(node->builtin_data);
  const TfLiteTensor* input = In(context, node, kInput);
  const TfLiteTensor* output_state = In(context, node, kOutputState);
  const TfLiteTensor* cell_state = In(context, node, kCellState);
  const TfLiteTensor* output = GetOutput(context, node, 0);
  SYSTOLE_KERNEL_ENSURE(context, output_state->type == kTfLiteInt8,
                        "%s: the output state (input 18) must be INT8 in the integer LSTM, got %s", kOp,
                        TypeName(output_state->type));
  SYSTOLE_KERNEL_ENSURE(context, cell_state->type == kTfLiteInt16,
                        "%s: the cell state (input 19) must be INT16 in the integer LSTM, got %s", kOp,
                        TypeName(cell_state->type));
  SYSTOLE_KERNEL_ENSURE(context, output->type == kTfLiteInt8, "%s: the output must be INT8, got %s", kOp,
                        TypeName(output->type));
  SYSTOLE_KERNEL_ENSURE(context, node->intermediates != nullptr && node->intermediates->size == 5,
                        "%s: the integer LSTM needs 5 intermediate tensors (gate and hidden scales), "
                        "got %d",
                        kOp, node->intermediates ? node->intermediates->size : 0);
  for (int i = 0; i < 5; ++i) {
    const int t = node->intermediates->data[i];
    SYSTOLE_KERNEL_ENSURE(context, t >= 0 && static_cast<size_t>(t) < context->tensors_size,
                          "%s: intermediate %d is not a tensor of the graph", kOp, i);
  }
  SYSTOLE_KERNEL_ENSURE(context, RequireQuantization(context, cell_state) != nullptr,
                        "%s: the cell state (input 19) must be quantized", kOp);
  SYSTOLE_KERNEL_ENSURE(context, RequireQuantization(context, output) != nullptr,
                        "%s: the output must be quantized", kOp);
  const float cell_clip = params->cell_clip;
  const float proj_clip = params->proj_clip;
  d->quantized_cell_clip =
      cell_clip > 0.0f ? static_cast<int16_t>(std::min(std::max(cell_clip / cell_state->params.scale, -32768.0f), 32767.0f))
                       : 0;
  d->quantized_proj_clip =
      proj_clip > 0.0f ? static_cast<int8_t>(std::min(std::max(proj_clip / output->params.scale, -128.0f), 127.0f))
                       : 0;

  const TfLiteTensor* w_in[4] = {In(context, node, kInputToInputWeights), In(context, node, kInputToForgetWeights),
                                 In(context, node, kInputToCellWeights), In(context, node, kInputToOutputWeights)};
  const TfLiteTensor* w_rec[4] = {In(context, node, kRecurrentToInputWeights),
                                  In(context, node, kRecurrentToForgetWeights),
                                  In(context, node, kRecurrentToCellWeights),
                                  In(context, node, kRecurrentToOutputWeights)};
  const TfLiteTensor* w_cell[4] = {In(context, node, kCellToInputWeights), In(context, node, kCellToForgetWeights),
                                   nullptr, In(context, node, kCellToOutputWeights)};
  const TfLiteTensor* ln[4] = {In(context, node, kInputLayerNorm), In(context, node, kForgetLayerNorm),
                               In(context, node, kCellLayerNorm), In(context, node, kOutputLayerNorm)};
  const TfLiteTensor* bias[4] = {In(context, node, kInputGateBias), In(context, node, kForgetGateBias),
                                 In(context, node, kCellGateBias), In(context, node, kOutputGateBias)};
  const TfLiteTensor* projection = In(context, node, kProjectionWeights);
  const bool use_cifg = w_in[0] == nullptr;
  const bool use_peephole = w_cell[3] != nullptr;
  const bool use_layer_norm = d->use_layer_norm;

  float intermediate_scale[5];
  int32_t intermediate_zp[5];
  for (int i = 0; i < 4; ++i) {
    if (use_layer_norm) {
      const TfLiteTensor* t = &context->tensors[node->intermediates->data[i]];
      const TfLiteAffineQuantization* q = RequireQuantization(context, t);
      SYSTOLE_KERNEL_ENSURE(context, q != nullptr,
                            "%s: intermediate %d (the gate's layer-norm output) must be quantized", kOp, i);
      intermediate_scale[i] = q->scale->data[0];
      intermediate_zp[i] = q->zero_point->data[0];
    } else {
      intermediate_scale[i] = static_cast<float>(std::pow(2, -12));  // Q3.12
      intermediate_zp[i] = 0;
    }
  }
  {
    const TfLiteTensor* hidden = &context->tensors[node->intermediates->data[4]];
    const TfLiteAffineQuantization* q = RequireQuantization(context, hidden);
    SYSTOLE_KERNEL_ENSURE(context, q != nullptr, "%s: intermediate 4 (the hidden state) must be quantized",
                          kOp);
    intermediate_scale[4] = q->scale->data[0];
    intermediate_zp[4] = q->zero_point->data[0];
  }
  (void)intermediate_zp;

  int cell_scale = 1;
  SYSTOLE_KERNEL_ENSURE(context, CheckedLog2(cell_state->params.scale, &cell_scale),
                        "%s: the cell state scale %g must be a power of two", kOp, cell_state->params.scale);
  SYSTOLE_KERNEL_ENSURE(context, 15 + cell_scale >= 0 && 15 + cell_scale <= 6,
                        "%s: the cell state scale 2^%d is out of range (TFLite's tanh takes 2^-15 to 2^-9)",
                        kOp, cell_scale);
  d->cell_scale = cell_scale;
  const float input_scale = input->params.scale;
  const float output_state_scale = output_state->params.scale;

  for (int g = 0; g < 4; ++g) {
    IntegerGate& gate = d->gate[g];
    float effective_input = 1.0f, effective_recurrent = 1.0f, effective_cell = 1.0f;
    if (w_in[g] != nullptr) {
      effective_input = ScaleOf(w_in[g]) * input_scale / intermediate_scale[g];
      effective_recurrent = ScaleOf(w_rec[g]) * output_state_scale / intermediate_scale[g];
    }
    if (use_peephole && w_cell[g] != nullptr) {
      effective_cell = static_cast<float>(std::pow(2, cell_scale) * ScaleOf(w_cell[g]) / intermediate_scale[g]);
    }
    Decompose(effective_input, &gate.input_scale_a, &gate.input_scale_b);
    Decompose(effective_recurrent, &gate.recurrent_scale_a, &gate.recurrent_scale_b);
    Decompose(effective_cell, &gate.cell_scale_a, &gate.cell_scale_b);
    const float layer_norm_scale = use_layer_norm && ln[g] != nullptr ? ln[g]->params.scale : 1.0f;
    Decompose(layer_norm_scale, &gate.layer_norm_scale_a, &gate.layer_norm_scale_b);
    gate.variance_guard = std::max(1, static_cast<int32_t>(10000 * layer_norm_scale));
    // Zero points folded into the biases; under layer norm the gate bias is
    // added after the normalization instead.
    const TfLiteTensor* gate_bias = use_layer_norm ? nullptr : bias[g];
    gate.input_effective_bias = EffectiveBias(-input->params.zero_point, w_in[g], gate_bias);
    gate.recurrent_effective_bias = EffectiveBias(-output_state->params.zero_point, w_rec[g], nullptr);
  }
  (void)use_cifg;
  const float effective_hidden_scale =
      static_cast<float>(std::pow(2, -15) / intermediate_scale[4] * std::pow(2, -15));
  const float effective_proj_scale = ScaleOf(projection) * intermediate_scale[4] / output_state_scale;
  Decompose(effective_proj_scale, &d->effective_proj_scale_a, &d->effective_proj_scale_b);
  Decompose(effective_hidden_scale, &d->effective_hidden_scale_a, &d->effective_hidden_scale_b);
  d->hidden_zp = intermediate_zp[4];
  d->projection_effective_bias = EffectiveBias(d->hidden_zp, projection, In(context, node, kProjectionBias));
  if (use_peephole) {
    SYSTOLE_KERNEL_ENSURE(context, n_output <= n_cell,
                          "%s: integer peephole with n_output %d > n_cell %d is not supported (TFLite's "
                          "kernel reads n_output cell values per batch)",
                          kOp, n_output, n_cell);
  }
  return kTfLiteOk;
}

TfLiteStatus Prepare(TfLiteContext* context, TfLiteNode* node) {
  OpData* d = static_cast<OpData*>(node->user_data);
  const auto* params = static_cast<const TfLiteUnidirectionalSequenceLSTMParams*>(node->builtin_data);
  SYSTOLE_KERNEL_ENSURE(context, params != nullptr, "%s: missing UnidirectionalSequenceLSTMOptions", kOp);
  const int num_inputs = NumInputs(node);
  SYSTOLE_KERNEL_ENSURE(context, num_inputs == 20 || num_inputs == 24,
                        "%s: expects 20 or 24 inputs, got %d", kOp, num_inputs);
  SYSTOLE_KERNEL_ENSURE(context, NumOutputs(node) == 1, "%s: expects 1 output, got %d", kOp,
                        NumOutputs(node));
  SYSTOLE_KERNEL_ENSURE(context, !params->diagonal_recurrent_tensors,
                        "%s: diagonal recurrent tensors are not supported", kOp);
  d->use_layer_norm = num_inputs == 24 && In(context, node, kForgetLayerNorm) != nullptr;

  const TfLiteTensor* input = In(context, node, kInput);
  SYSTOLE_KERNEL_ENSURE(context, input != nullptr, "%s: input 0 is required", kOp);
  SYSTOLE_KERNEL_ENSURE(context, input->type == kTfLiteInt8 || input->type == kTfLiteFloat32,
                        "%s: input type %s not supported (INT8 integer LSTM or FLOAT32)", kOp,
                        TypeName(input->type));
  d->is_integer = input->type == kTfLiteInt8;
  SYSTOLE_KERNEL_ENSURE(context, input->dims->size == 3,
                        "%s: the input must be 3-D ([time, batch, input] or [batch, time, input]), got "
                        "%d-D",
                        kOp, input->dims->size);
  const bool time_major = params->time_major;
  const int n_batch = time_major ? input->dims->data[1] : input->dims->data[0];
  const int n_input = input->dims->data[2];
  const TfLiteTensor* input_to_output = In(context, node, kInputToOutputWeights);
  SYSTOLE_KERNEL_ENSURE(context, input_to_output != nullptr, "%s: input 4 (input_to_output_weights) is required",
                        kOp);
  SYSTOLE_KERNEL_ENSURE(context, input_to_output->dims->size == 2 && input_to_output->dims->data[1] == n_input,
                        "%s: input 4 (input_to_output_weights) must have shape [n_cell, %d]", kOp, n_input);
  if (input->type == kTfLiteFloat32) {
    SYSTOLE_KERNEL_ENSURE(context, input_to_output->type == kTfLiteFloat32,
                          "%s: float input with %s weights (the hybrid LSTM) is not supported", kOp,
                          TypeName(input_to_output->type));
  }
  const int n_cell = input_to_output->dims->data[0];
  const TfLiteTensor* recurrent_to_output = In(context, node, kRecurrentToOutputWeights);
  SYSTOLE_KERNEL_ENSURE(context, recurrent_to_output != nullptr,
                        "%s: input 8 (recurrent_to_output_weights) is required", kOp);
  SYSTOLE_KERNEL_ENSURE(context,
                        recurrent_to_output->dims->size == 2 && recurrent_to_output->dims->data[0] == n_cell,
                        "%s: input 8 (recurrent_to_output_weights) must have shape [%d, n_output]", kOp,
                        n_cell);
  const int n_output = recurrent_to_output->dims->data[1];
  SYSTOLE_KERNEL_ENSURE(context, n_batch > 0 && n_input > 0 && n_cell > 0 && n_output > 0,
                        "%s: empty dimension (batch %d, input %d, cell %d, output %d)", kOp, n_batch,
                        n_input, n_cell, n_output);
  SYSTOLE_KERNEL_ENSURE_OK(CheckInputs(context, node, n_input, n_output, n_cell, d->use_layer_norm, d->is_integer));

  const TfLiteTensor* output_state = In(context, node, kOutputState);
  const TfLiteTensor* cell_state = In(context, node, kCellState);
  SYSTOLE_KERNEL_ENSURE(context, output_state != nullptr && output_state->is_variable,
                        "%s: input 18 (output state) must be a variable tensor", kOp);
  SYSTOLE_KERNEL_ENSURE(context, cell_state != nullptr && cell_state->is_variable,
                        "%s: input 19 (cell state) must be a variable tensor", kOp);
  SYSTOLE_KERNEL_ENSURE(context, NumElements(output_state) == int64_t{n_batch} * n_output,
                        "%s: the output state (input 18) has %lld elements; batch * n_output = %d", kOp,
                        static_cast<long long>(NumElements(output_state)), n_batch * n_output);
  SYSTOLE_KERNEL_ENSURE(context, NumElements(cell_state) == int64_t{n_batch} * n_cell,
                        "%s: the cell state (input 19) has %lld elements; batch * n_cell = %d", kOp,
                        static_cast<long long>(NumElements(cell_state)), n_batch * n_cell);
  TfLiteTensor* output = GetOutput(context, node, 0);
  SYSTOLE_KERNEL_ENSURE(context, output != nullptr, "%s: missing output tensor", kOp);
  TfLiteIntArray* output_size = TfLiteIntArrayCopy(input->dims);
  output_size->data[input->dims->size - 1] = n_output;
  SYSTOLE_KERNEL_ENSURE_OK(context->ResizeTensor(context, output, output_size));

  if (d->is_integer) {
    SYSTOLE_KERNEL_ENSURE_OK(PrepareInteger(context, node, d, n_cell, n_output));
    for (auto& s : d->scratch16) s.assign(static_cast<size_t>(n_batch) * n_cell, 0);
    d->scratch8.assign(static_cast<size_t>(n_batch) * n_cell, 0);
  } else {
    SYSTOLE_KERNEL_ENSURE(context, output_state->type == kTfLiteFloat32 && cell_state->type == kTfLiteFloat32 &&
                                       output->type == kTfLiteFloat32,
                          "%s: the float LSTM needs FLOAT32 states and output", kOp);
    for (auto& s : d->scratch_f) s.assign(static_cast<size_t>(n_batch) * std::max(n_cell, n_output), 0.0f);
  }
  return kTfLiteOk;
}

// ---- Integer step (lstm_eval.cc LstmStepInteger8x8_16) ----

// PortableMatrixBatchVectorMultiplyAccumulate (int8 x int8 -> T, T = int16/int8).
template <typename T>
void MatMulAccumulate(const int8_t* input, const int32_t* bias, const int8_t* weights, int32_t multiplier,
                      int32_t shift, int n_batch, int n_input, int n_output, int32_t output_zp, T* output) {
  constexpr int32_t kMax = std::numeric_limits<T>::max();
  constexpr int32_t kMin = std::numeric_limits<T>::min();
  for (int b = 0; b < n_batch; ++b) {
    const int8_t* x = input + b * n_input;
    for (int row = 0; row < n_output; ++row) {
      const int8_t* w = weights + row * n_input;
      uint32_t acc = static_cast<uint32_t>(bias[row]);
      for (int col = 0; col < n_input; ++col) acc += static_cast<uint32_t>(int32_t{x[col]} * w[col]);
      int32_t v = MultiplyByQuantizedMultiplier(static_cast<int32_t>(acc), multiplier, shift);
      v = static_cast<int32_t>(static_cast<uint32_t>(v) + static_cast<uint32_t>(output_zp) +
                               static_cast<uint32_t>(int32_t{output[b * n_output + row]}));
      output[b * n_output + row] = static_cast<T>(std::min(kMax, std::max(kMin, v)));
    }
  }
}

// PortableApplyLayerNorm.
void ApplyLayerNorm(const int16_t* input, const int16_t* weights, const int32_t* bias, int32_t scale_a,
                    int32_t scale_b, int32_t variance_limit, int n_batch, int n_input, int16_t* output) {
  constexpr int kTwoToPower20 = 1 << 20;
  for (int i = 0; i < n_batch; ++i) {
    int64_t sum = 0, sum_sq = 0;
    for (int j = 0; j < n_input; ++j) {
      const int32_t val = input[i * n_input + j];
      sum += val;
      sum_sq += val * val;
    }
    const int32_t mean = static_cast<int32_t>(sum * 1024 / n_input);
    const int32_t temp = kTwoToPower20 / n_input;
    const int64_t variance = sum_sq * temp - static_cast<int64_t>(mean) * mean;
    int32_t variance2 = static_cast<int32_t>(variance / kTwoToPower20);
    if (variance2 < 1) variance2 = variance_limit;
    int32_t inv_a = 0;
    int inv_b = 0;
    GetInvSqrtQuantizedMultiplierExp(variance2, -1, &inv_a, &inv_b);
    for (int j = 0; j < n_input; ++j) {
      const int32_t index = i * n_input + j;
      const int32_t val = input[index];
      const int32_t shifted = static_cast<int32_t>(1024u * static_cast<uint32_t>(val) - static_cast<uint32_t>(mean));
      const int32_t rescaled = MultiplyByQuantizedMultiplier(shifted, inv_a, inv_b);
      // TFLite computes rescaled * w + bias in int32 (wrapping) before widening.
      const int64_t val3 = static_cast<int32_t>(static_cast<uint32_t>(rescaled) * static_cast<uint32_t>(int32_t{weights[j]}) +
                                                static_cast<uint32_t>(bias[j]));
      const int32_t val4 = static_cast<int32_t>((val3 > 0 ? val3 + 512 : val3 - 512) / 1024);
      int32_t val5 = MultiplyByQuantizedMultiplier(val4, scale_a, scale_b + 12);
      val5 = std::min(std::max(int32_t{-32768}, val5), int32_t{32767});
      output[index] = static_cast<int16_t>(val5);
    }
  }
}

template <int IntBits>
void ApplyTanhImpl(const int16_t* input, int n, int16_t* output) {
  for (int i = 0; i < n; ++i) {
    output[i] = fxp::Tanh(fxp::Fx<int16_t, IntBits>::FromRaw(input[i])).raw;
  }
}

// PortableApplyTanh(integer_bits, ...), integer_bits in [0, 6].
void ApplyTanh(int integer_bits, const int16_t* input, int n, int16_t* output) {
  switch (integer_bits) {
    case 0: ApplyTanhImpl<0>(input, n, output); break;
    case 1: ApplyTanhImpl<1>(input, n, output); break;
    case 2: ApplyTanhImpl<2>(input, n, output); break;
    case 3: ApplyTanhImpl<3>(input, n, output); break;
    case 4: ApplyTanhImpl<4>(input, n, output); break;
    case 5: ApplyTanhImpl<5>(input, n, output); break;
    case 6: ApplyTanhImpl<6>(input, n, output); break;
    default: break;
  }
}

void ApplySigmoid(const int16_t* input, int n, int16_t* output) {
  for (int i = 0; i < n; ++i) output[i] = fxp::Logistic(fxp::Fx<int16_t, 3>::FromRaw(input[i])).raw;
}

// CalculateLstmGateInteger8x8_16.
void IntegerGateStep(const IntegerGate& g, const int8_t* input, const int8_t* input_weights,
                     const int8_t* output_state, const int8_t* recurrent_weights, const int16_t* cell_state,
                     const int16_t* cell_weights, const int16_t* layer_norm, const int32_t* layer_norm_bias,
                     int n_batch, int n_input, int n_output, int n_cell, bool tanh_activation, int16_t* gate) {
  std::fill_n(gate, n_batch * n_cell, int16_t{0});
  MatMulAccumulate(input, g.input_effective_bias.data(), input_weights, g.input_scale_a, g.input_scale_b, n_batch,
                   n_input, n_cell, 0, gate);
  MatMulAccumulate(output_state, g.recurrent_effective_bias.data(), recurrent_weights, g.recurrent_scale_a,
                   g.recurrent_scale_b, n_batch, n_output, n_cell, 0, gate);
  if (cell_weights != nullptr) {
    // PortableVectorBatchVectorCwiseProductAccumulate with v_size = n_output,
    // as TFLite passes it.
    const int16_t* c = cell_state;
    int16_t* r = gate;
    for (int b = 0; b < n_batch; ++b) {
      for (int v = 0; v < n_output; ++v) {
        int32_t prod = int32_t{cell_weights[v]} * *c++;
        prod = MultiplyByQuantizedMultiplier(prod, g.cell_scale_a, g.cell_scale_b);
        const int32_t sum = prod + *r;
        *r++ = static_cast<int16_t>(std::max(std::min(32767, sum), -32768));
      }
    }
  }
  if (layer_norm != nullptr) {
    ApplyLayerNorm(gate, layer_norm, layer_norm_bias, g.layer_norm_scale_a, g.layer_norm_scale_b, g.variance_guard,
                   n_batch, n_cell, gate);
  }
  if (tanh_activation) {
    ApplyTanh(3, gate, n_batch * n_cell, gate);
  } else {
    ApplySigmoid(gate, n_batch * n_cell, gate);
  }
}

// PortableCwiseMul (int16 x int16 -> int16, rounding shift).
void CwiseMulShift(const int16_t* a, const int16_t* b, int n, int shift, int16_t* out) {
  for (int i = 0; i < n; ++i) {
    const int32_t value = int32_t{a[i]} * b[i];
    out[i] = static_cast<int16_t>(RoundingDivideByPOT(value, shift));
  }
}

struct IntegerTensors {
  const int8_t* w_in[4];
  const int8_t* w_rec[4];
  const int16_t* w_cell[4];
  const int16_t* ln[4];
  const int32_t* bias[4];
  const int8_t* projection;
};

// LstmStepInteger8x8_16.
void IntegerStep(const OpData& d, const IntegerTensors& w, const int8_t* input, int n_batch, int n_cell,
                 int n_input, int n_output, int8_t* output_state, int32_t output_state_zp, int16_t* cell_state,
                 int8_t* output, int16_t* s0, int16_t* s1, int16_t* s2, int16_t* s3, int8_t* s4) {
  const bool use_cifg = w.w_in[0] == nullptr;
  int16_t* input_gate = s0;
  int16_t* forget_gate = s1;
  int16_t* cell_gate = s2;
  int16_t* output_gate = s3;
  if (!use_cifg) {
    IntegerGateStep(d.gate[0], input, w.w_in[0], output_state, w.w_rec[0], cell_state, w.w_cell[0], w.ln[0],
                    w.bias[0], n_batch, n_input, n_output, n_cell, false, input_gate);
  }
  IntegerGateStep(d.gate[1], input, w.w_in[1], output_state, w.w_rec[1], cell_state, w.w_cell[1], w.ln[1], w.bias[1],
                  n_batch, n_input, n_output, n_cell, false, forget_gate);
  IntegerGateStep(d.gate[2], input, w.w_in[2], output_state, w.w_rec[2], cell_state, nullptr, w.ln[2], w.bias[2],
                  n_batch, n_input, n_output, n_cell, true, cell_gate);
  // UpdateLstmCellInteger.
  const int n = n_batch * n_cell;
  CwiseMulShift(forget_gate, cell_state, n, 15, cell_state);
  int16_t* scratch = forget_gate;
  if (use_cifg) {
    for (int i = 0; i < n; ++i) scratch[i] = static_cast<int16_t>(32767 - forget_gate[i]);
    CwiseMulShift(scratch, cell_gate, n, 30 + d.cell_scale, scratch);
  } else {
    CwiseMulShift(input_gate, cell_gate, n, 30 + d.cell_scale, scratch);
  }
  for (int i = 0; i < n; ++i) {
    const int32_t sum = int32_t{cell_state[i]} + scratch[i];
    cell_state[i] = static_cast<int16_t>(std::min(32767, std::max(-32768, sum)));
  }
  if (d.quantized_cell_clip > 0) {
    const int16_t clip = d.quantized_cell_clip;
    for (int i = 0; i < n; ++i) cell_state[i] = std::min<int16_t>(clip, std::max<int16_t>(static_cast<int16_t>(-clip), cell_state[i]));
  }
  IntegerGateStep(d.gate[3], input, w.w_in[3], output_state, w.w_rec[3], cell_state, w.w_cell[3], w.ln[3], w.bias[3],
                  n_batch, n_input, n_output, n_cell, false, output_gate);
  // CalculateLstmOutputInteger8x8_16: the activation is always tanh.
  int16_t* tanh_cell = s0;
  ApplyTanh(15 + d.cell_scale, cell_state, n, tanh_cell);
  // PortableCwiseMul (int16 x int16 -> int8 with a multiplier): value -= zp,
  // with zp = the hidden intermediate's zero point both with and without
  // projection, as the oracle's TFLite does (the projection's effective bias
  // adds hidden_zp * row_sum back; later TFLite versions pass -hidden_zp
  // here; op case i8_projection_hidden_zp pins this).
  auto hidden = [&](int32_t zp, int8_t* out) {
    for (int i = 0; i < n; ++i) {
      int32_t value = int32_t{output_gate[i]} * tanh_cell[i];
      value = MultiplyByQuantizedMultiplier(value, d.effective_hidden_scale_a, d.effective_hidden_scale_b);
      value -= zp;
      out[i] = static_cast<int8_t>(std::min(127, std::max(-128, value)));
    }
  };
  if (w.projection != nullptr) {
    hidden(d.hidden_zp, s4);
    std::fill_n(output_state, n_batch * n_output, int8_t{0});
    MatMulAccumulate(s4, d.projection_effective_bias.data(), w.projection, d.effective_proj_scale_a,
                     d.effective_proj_scale_b, n_batch, n_cell, n_output, output_state_zp, output_state);
    if (d.quantized_proj_clip > 0) {
      const int8_t clip = d.quantized_proj_clip;
      for (int i = 0; i < n_batch * n_output; ++i)
        output_state[i] = std::min<int8_t>(clip, std::max<int8_t>(static_cast<int8_t>(-clip), output_state[i]));
    }
  } else {
    hidden(d.hidden_zp, output_state);
  }
  std::copy_n(output_state, n_batch * n_output, output);
}

template <typename T>
const T* Data(const TfLiteTensor* t) {
  return t == nullptr ? nullptr : reinterpret_cast<const T*>(t->data.raw_const);
}

TfLiteStatus EvalInteger(TfLiteContext* context, TfLiteNode* node, OpData* d, bool time_major) {
  const TfLiteTensor* input = In(context, node, kInput);
  TfLiteTensor* output_state = &context->tensors[node->inputs->data[kOutputState]];
  TfLiteTensor* cell_state = &context->tensors[node->inputs->data[kCellState]];
  TfLiteTensor* output = GetOutput(context, node, 0);
  IntegerTensors w{};
  const int in_idx[4] = {kInputToInputWeights, kInputToForgetWeights, kInputToCellWeights, kInputToOutputWeights};
  const int rec_idx[4] = {kRecurrentToInputWeights, kRecurrentToForgetWeights, kRecurrentToCellWeights,
                          kRecurrentToOutputWeights};
  const int cell_idx[4] = {kCellToInputWeights, kCellToForgetWeights, -1, kCellToOutputWeights};
  const int ln_idx[4] = {kInputLayerNorm, kForgetLayerNorm, kCellLayerNorm, kOutputLayerNorm};
  const int bias_idx[4] = {kInputGateBias, kForgetGateBias, kCellGateBias, kOutputGateBias};
  for (int g = 0; g < 4; ++g) {
    w.w_in[g] = Data<int8_t>(In(context, node, in_idx[g]));
    w.w_rec[g] = Data<int8_t>(In(context, node, rec_idx[g]));
    w.w_cell[g] = cell_idx[g] < 0 ? nullptr : Data<int16_t>(In(context, node, cell_idx[g]));
    w.ln[g] = d->use_layer_norm ? Data<int16_t>(In(context, node, ln_idx[g])) : nullptr;
    w.bias[g] = Data<int32_t>(In(context, node, bias_idx[g]));
  }
  w.projection = Data<int8_t>(In(context, node, kProjectionWeights));
  const int max_time = time_major ? input->dims->data[0] : input->dims->data[1];
  const int n_batch = time_major ? input->dims->data[1] : input->dims->data[0];
  const int n_input = input->dims->data[2];
  const int n_cell = In(context, node, kInputToOutputWeights)->dims->data[0];
  const int n_output = In(context, node, kRecurrentToOutputWeights)->dims->data[1];
  const int32_t output_state_zp = output_state->params.zero_point;
  const int out_dim = output->dims->data[output->dims->size - 1];
  int16_t* s[4] = {d->scratch16[0].data(), d->scratch16[1].data(), d->scratch16[2].data(), d->scratch16[3].data()};
  if (time_major) {
    for (int t = 0; t < max_time; ++t) {
      IntegerStep(*d, w, input->data.int8 + t * n_batch * n_input, n_batch, n_cell, n_input, n_output,
                  output_state->data.int8, output_state_zp, cell_state->data.i16,
                  output->data.int8 + t * n_batch * out_dim, s[0], s[1], s[2], s[3], d->scratch8.data());
    }
  } else {
    for (int b = 0; b < n_batch; ++b) {
      for (int t = 0; t < max_time; ++t) {
        const int offset = b * max_time + t;
        IntegerStep(*d, w, input->data.int8 + offset * n_input, 1, n_cell, n_input, n_output,
                    output_state->data.int8 + b * out_dim, output_state_zp, cell_state->data.i16 + b * n_cell,
                    output->data.int8 + offset * out_dim, s[0], s[1], s[2], s[3], d->scratch8.data());
      }
    }
  }
  return kTfLiteOk;
}

TfLiteStatus Eval(TfLiteContext* context, TfLiteNode* node) {
  OpData* d = static_cast<OpData*>(node->user_data);
  const auto* params = static_cast<const TfLiteUnidirectionalSequenceLSTMParams*>(node->builtin_data);
  if (d->is_integer) return EvalInteger(context, node, d, params->time_major);
  return EvalLstmFloat(context, node, params, d->use_layer_norm, d->scratch_f);
}

}  // namespace

const TfLiteRegistration* RegisterUnidirectionalSequenceLstm(TfliteFlavor) {
  static const TfLiteRegistration r = KernelRegistration(Prepare, Eval, Init, Free);
  return &r;
}

}  // namespace kernels
}  // namespace systole
