// The float32 UNIDIRECTIONAL_SEQUENCE_LSTM (TFLite lstm_eval.cc EvalFloat),
// in TFLite's order of operations:
//  * each gate starts from its bias (or 0 under layer norm); the input and the
//    recurrent products go through optimized_ops::FullyConnected with the
//    running gate as its bias, i.e. out[r] = (sum_k W[r][k] * x[k]) + acc[r],
//    the dot product summed from k = 0 upwards (ruy's portable kernel, which
//    the WebAssembly build runs); an all-zero input vector skips its product;
//  * peephole terms are added element by element; layer norm is
//    MeanStddevNormalization (float sums, variance + 1e-8, 1/sqrt), times the
//    coefficients, plus the bias;
//  * activations: Eigen's logistic and fast tanh (see LstmSigmoid/LstmTanh);
//  * verified bit-exact against the WebAssembly (ruy) oracle on the float op
//    cases; the native x86 builds run Eigen's vectorized exp and GEMV there,
//    which this does not reproduce (no native goldens exist for these cases);
//  * cell = forget * cell, then += cell_gate * input_gate (CIFG: 1 - forget),
//    clipped; hidden = output_gate * act(cell), projected (bias first, then
//    the product) and clipped.
#include "interpreter/kernels/lstm_float.h"

#include <algorithm>
#include <cmath>

#include "interpreter/kernels/kernel_util.h"

namespace systole {
namespace kernels {

float LstmSigmoid(float x) {
  // Eigen's scalar_logistic_op<float> of the TFLite build (exp(x) / (1 +
  // exp(x)), exp clamped where the quotient first rounds to 1), with the C
  // library's expf; the op cases pinned this variant against the oracle (the
  // rational approximation of Eigen 3.4.0 and 1 / (1 + exp(-x)) both differ
  // by an ulp here and there).
  const float e = std::exp(std::min(x, 16.6355324f));
  return e / (1.0f + e);
}

float LstmTanh(float a_x) {
  // Eigen generic_fast_tanh_float, no FMA.
  const float x = std::max(std::min(a_x, 7.90531110763549805f), -7.90531110763549805f);
  if (std::fabs(a_x) < 0.0004f) return a_x;
  const float x2 = x * x;
  float p = x2 * -2.76076847742355e-16f + 2.00018790482477e-13f;
  p = x2 * p + -8.60467152213735e-11f;
  p = x2 * p + 5.12229709037114e-08f;
  p = x2 * p + 1.48572235717979e-05f;
  p = x2 * p + 6.37261928875436e-04f;
  p = x2 * p + 4.89352455891786e-03f;
  p = x * p;
  float q = x2 * 1.19825839466702e-06f + 1.18534705686654e-04f;
  q = x2 * q + 2.26843463243900e-03f;
  q = x2 * q + 4.89352518554385e-03f;
  return p / q;
}

namespace {

void Activate(const float* in, int n, TfLiteFusedActivation activation, float* out) {
  switch (activation) {
    case kTfLiteActNone:
      return;  // ApplyActivationToVector leaves the result untouched
    case kTfLiteActRelu:
      for (int i = 0; i < n; ++i) out[i] = std::max(0.0f, in[i]);
      return;
    case kTfLiteActReluN1To1:
      for (int i = 0; i < n; ++i) out[i] = std::max(-1.0f, std::min(in[i], 1.0f));
      return;
    case kTfLiteActRelu6:
      for (int i = 0; i < n; ++i) out[i] = std::max(0.0f, std::min(in[i], 6.0f));
      return;
    case kTfLiteActTanh:
      for (int i = 0; i < n; ++i) out[i] = LstmTanh(in[i]);
      return;
    case kTfLiteActSignBit:
      for (int i = 0; i < n; ++i) out[i] = std::signbit(in[i]) ? 1.0f : 0.0f;
      return;
    case kTfLiteActSigmoid:
      for (int i = 0; i < n; ++i) out[i] = LstmSigmoid(in[i]);
      return;
  }
}

// lstm_eval's MatrixBatchVectorMultiplyAccumulate through FullyConnected:
// out[b][r] = dot(W[r], x[b]) + acc[b][r].
void MatMulAdd(const float* w, const float* x, const float* acc, float* out, int rows, int cols, int n_batch) {
  for (int b = 0; b < n_batch; ++b) {
    for (int r = 0; r < rows; ++r) {
      const float* wr = w + r * cols;
      const float* xb = x + b * cols;
      float dot = 0.0f;
      for (int k = 0; k < cols; ++k) dot += wr[k] * xb[k];
      out[b * rows + r] = dot + acc[b * rows + r];
    }
  }
}

bool IsZero(const float* v, int n) {
  for (int i = 0; i < n; ++i)
    if (v[i] != 0.0f) return false;
  return true;
}

struct GateWeights {
  const float* input = nullptr;
  const float* recurrent = nullptr;
  const float* cell = nullptr;
  const float* layer_norm = nullptr;
  const float* bias = nullptr;
};

// CalculateLstmGateFloat. `gate` receives the activated gate; `scratch` is
// the accumulation buffer (both n_batch * n_cell).
void Gate(const GateWeights& g, const float* input, const float* output_state, const float* cell_state,
          int n_batch, int n_input, int n_output, int n_cell, TfLiteFusedActivation activation,
          bool input_all_zeros, float* gate, float* scratch) {
  const int n = n_batch * n_cell;
  if (g.layer_norm != nullptr) {
    std::fill_n(gate, n, 0.0f);
  } else {
    for (int b = 0; b < n_batch; ++b) std::copy_n(g.bias, n_cell, gate + b * n_cell);
  }
  float* acc = gate;
  float* out = scratch;
  if (!input_all_zeros) {
    MatMulAdd(g.input, input, acc, out, n_cell, n_input, n_batch);
    std::swap(acc, out);
  }
  MatMulAdd(g.recurrent, output_state, acc, out, n_cell, n_output, n_batch);
  if (g.cell != nullptr) {
    for (int b = 0; b < n_batch; ++b)
      for (int v = 0; v < n_cell; ++v) out[b * n_cell + v] += g.cell[v] * cell_state[b * n_cell + v];
  }
  if (g.layer_norm != nullptr) {
    for (int b = 0; b < n_batch; ++b) {
      float* v = out + b * n_cell;
      float sum = 0.0f;
      for (int i = 0; i < n_cell; ++i) sum += v[i];
      const float mean = sum / n_cell;
      float sum_diff_sq = 0.0f;
      for (int i = 0; i < n_cell; ++i) {
        const float diff = v[i] - mean;
        sum_diff_sq += diff * diff;
      }
      const float variance = sum_diff_sq / n_cell;
      const float stddev_inv = 1.0f / std::sqrt(variance + 1e-8f);
      for (int i = 0; i < n_cell; ++i) v[i] = (v[i] - mean) * stddev_inv;
      for (int i = 0; i < n_cell; ++i) v[i] = g.layer_norm[i] * v[i];
      for (int i = 0; i < n_cell; ++i) v[i] += g.bias[i];
    }
  }
  Activate(out, n, activation, gate);
}

const float* F(const TfLiteTensor* t) { return t == nullptr ? nullptr : t->data.f; }

}  // namespace

TfLiteStatus EvalLstmFloat(TfLiteContext* context, TfLiteNode* node,
                           const TfLiteUnidirectionalSequenceLSTMParams* params, bool use_layer_norm,
                           std::vector<float> (&scratch)[5]) {
  auto in = [&](int i) { return GetInput(context, node, i); };
  const TfLiteTensor* input = in(0);
  TfLiteTensor* output_state = &context->tensors[node->inputs->data[18]];
  TfLiteTensor* cell_state = &context->tensors[node->inputs->data[19]];
  TfLiteTensor* output = GetOutput(context, node, 0);
  GateWeights g[4];
  for (int k = 0; k < 4; ++k) {
    g[k].input = F(in(1 + k));
    g[k].recurrent = F(in(5 + k));
    g[k].cell = k == 2 ? nullptr : F(in(k == 3 ? 11 : 9 + k));
    g[k].layer_norm = use_layer_norm ? F(in(20 + k)) : nullptr;
    g[k].bias = F(in(12 + k));
  }
  const float* projection = F(in(16));
  const float* projection_bias = F(in(17));
  const bool use_cifg = g[0].input == nullptr;
  const bool time_major = params->time_major;
  const int max_time = time_major ? input->dims->data[0] : input->dims->data[1];
  const int n_batch = time_major ? input->dims->data[1] : input->dims->data[0];
  const int n_input = input->dims->data[2];
  const int n_cell = in(4)->dims->data[0];
  const int n_output = in(8)->dims->data[1];
  const int out_dim = output->dims->data[output->dims->size - 1];

  // LstmStepFloat for `nb` batches.
  auto step = [&](const float* x, int nb, float* h, float* c, float* out_ptr) {
    float* input_gate = scratch[0].data();
    float* forget_gate = scratch[1].data();
    float* cell_gate = scratch[2].data();
    float* output_gate = scratch[3].data();
    float* accumulation = scratch[4].data();
    const bool zeros = IsZero(x, nb * n_input);
    if (!use_cifg) {
      Gate(g[0], x, h, c, nb, n_input, n_output, n_cell, kTfLiteActSigmoid, zeros, input_gate, accumulation);
    }
    Gate(g[1], x, h, c, nb, n_input, n_output, n_cell, kTfLiteActSigmoid, zeros, forget_gate, accumulation);
    Gate(g[2], x, h, c, nb, n_input, n_output, n_cell, params->activation, zeros, cell_gate, accumulation);
    // UpdateLstmCellFloat.
    const int n = nb * n_cell;
    for (int i = 0; i < n; ++i) c[i] = forget_gate[i] * c[i];
    if (use_cifg) {
      for (int i = 0; i < n; ++i) forget_gate[i] = 1.0f - forget_gate[i];
      for (int i = 0; i < n; ++i) c[i] += cell_gate[i] * forget_gate[i];
    } else {
      for (int i = 0; i < n; ++i) c[i] += cell_gate[i] * input_gate[i];
    }
    if (params->cell_clip > 0.0f) {
      const float clip = params->cell_clip;
      for (int i = 0; i < n; ++i) c[i] = std::max(std::min(clip, c[i]), -clip);
    }
    Gate(g[3], x, h, c, nb, n_input, n_output, n_cell, kTfLiteActSigmoid, zeros, output_gate, accumulation);
    // CalculateLstmOutputFloat (scratch = the cell gate buffer).
    float* hidden = cell_gate;
    Activate(c, n, params->activation, hidden);
    for (int i = 0; i < n; ++i) hidden[i] = output_gate[i] * hidden[i];
    if (projection != nullptr) {
      float* bias_scratch = accumulation;
      for (int b = 0; b < nb; ++b) {
        if (projection_bias != nullptr) {
          std::copy_n(projection_bias, n_output, bias_scratch + b * n_output);
        } else {
          std::fill_n(bias_scratch + b * n_output, n_output, 0.0f);
        }
      }
      MatMulAdd(projection, hidden, bias_scratch, h, n_output, n_cell, nb);
      if (params->proj_clip > 0.0f) {
        const float clip = params->proj_clip;
        for (int i = 0; i < nb * n_output; ++i) h[i] = std::max(std::min(clip, h[i]), -clip);
      }
    } else {
      std::copy_n(hidden, nb * n_output, h);
    }
    for (int b = 0; b < nb; ++b) std::copy_n(h + b * n_output, n_output, out_ptr + b * out_dim);
  };

  if (time_major) {
    for (int t = 0; t < max_time; ++t) {
      step(input->data.f + t * n_batch * n_input, n_batch, output_state->data.f, cell_state->data.f,
           output->data.f + t * n_batch * out_dim);
    }
  } else {
    for (int b = 0; b < n_batch; ++b) {
      for (int t = 0; t < max_time; ++t) {
        const int offset = b * max_time + t;
        step(input->data.f + offset * n_input, 1, output_state->data.f + b * out_dim, cell_state->data.f + b * n_cell,
             output->data.f + offset * out_dim);
      }
    }
  }
  return kTfLiteOk;
}

}  // namespace kernels
}  // namespace systole
