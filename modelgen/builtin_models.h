// Built-in models: networks that `systole make-model NAME` writes, byte for
// byte the same on every run (no files, no downloads), so that a clone of the
// repository alone has a real model to compile and run.
//
//   mobilenet-v2-like  MobileNetV2-shaped int8 classifier, input INT8
//                      [1, 96, 96, 3]: stem CONV_2D 3x3/2 + ReLU6, 8 inverted
//                      residual blocks (expand 1x1 + ReLU6, DEPTHWISE 3x3 +
//                      ReLU6, project 1x1, residual ADD where shapes allow),
//                      head CONV_2D 1x1 + ReLU6, MEAN over H and W (kept),
//                      FULLY_CONNECTED to 100 classes, SOFTMAX. Weights are
//                      per-channel int8 (FULLY_CONNECTED per-tensor) drawn from
//                      the xorshift32 stream; activation ranges are calibrated
//                      by a float forward pass on the oracle's seed-1 input, so
//                      the int8 outputs use their range without saturating.
//   deeplab-like       DeepLab-shaped int8 segmenter, input INT8 [1, 513,
//                      513, 3]: the same stem and inverted residual blocks
//                      (7, narrow) down to output stride 8 (65 x 65), the
//                      last three with dilated DEPTHWISE 3x3 (rates 2, 4, 4),
//                      head CONV_2D 1x1 + ReLU6 and CONV_2D 1x1 to 8 class
//                      logits [1, 65, 65, 8]. Its early feature maps (up to
//                      257 x 257 x 48, 3.2 MB) exceed the edge ABUF: the
//                      compiler tiles it (docs/tiling.md).
//
// Determinism: the calibration runs in double precision in a fixed order, and
// each scale is rounded up to a grid of 2^(1/16) steps, so that the last bits
// of a floating-point result cannot move it. tests/golden/builtin_models.json
// pins the sha256 of the bytes.
#ifndef SYSTOLE_MODELGEN_BUILTIN_MODELS_H_
#define SYSTOLE_MODELGEN_BUILTIN_MODELS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace systole {
namespace modelgen {

struct BuiltinModel {
  const char* name;     // as `systole make-model` takes it
  const char* summary;  // one line for --help
};

// Every built-in model, in the order --help lists them.
const std::vector<BuiltinModel>& BuiltinModels();

// The .tflite bytes of the built-in model `name`. Empty, with *error set to a
// message naming the model and the rule broken, when `name` is unknown or the
// builder failed.
std::vector<uint8_t> MakeBuiltinModel(const std::string& name, std::string* error);

// mobilenet-v2-like (see above).
std::vector<uint8_t> MobileNetV2Like(std::string* error);
// deeplab-like (see above).
std::vector<uint8_t> DeepLabLike(std::string* error);

}  // namespace modelgen
}  // namespace systole

#endif  // SYSTOLE_MODELGEN_BUILTIN_MODELS_H_
