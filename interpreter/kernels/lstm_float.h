// The float32 step of UNIDIRECTIONAL_SEQUENCE_LSTM (TFLite lstm_eval.cc
// EvalFloat / LstmStepFloat), private to unidirectional_sequence_lstm.cc.
#ifndef SYSTOLE_INTERPRETER_KERNELS_LSTM_FLOAT_H_
#define SYSTOLE_INTERPRETER_KERNELS_LSTM_FLOAT_H_

#include <vector>

#include "interpreter/tflite_c.h"

namespace systole {
namespace kernels {

// Runs the whole sequence. `scratch` holds 5 buffers of batch * max(n_cell,
// n_output) floats (sized in Prepare).
TfLiteStatus EvalLstmFloat(TfLiteContext* context, TfLiteNode* node,
                           const TfLiteUnidirectionalSequenceLSTMParams* params, bool use_layer_norm,
                           std::vector<float> (&scratch)[5]);

// The activations TFLite's float LSTM applies (tensor_utils
// ApplyActivationToVector: Eigen's logistic and fast tanh, evaluated one
// element at a time without FMA, as the WebAssembly build does).
float LstmSigmoid(float x);
float LstmTanh(float x);

}  // namespace kernels
}  // namespace systole

#endif  // SYSTOLE_INTERPRETER_KERNELS_LSTM_FLOAT_H_
