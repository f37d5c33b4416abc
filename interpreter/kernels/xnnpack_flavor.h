// What TensorFlow Lite 2.14.1's XNNPACK delegate (QS8 and QU8 enabled,
// default options) takes from a model, and how XNNPACK computes what it takes:
// the flavor `xnnpack` (common/tflite_flavor.h). The CPU kernels use it for
// their xnnpack registration; the compiler uses it to reproduce XNNPACK on the
// accelerator.
//
// Source: tensorflow/lite/delegates/xnnpack/xnnpack_delegate.cc
// (Subgraph::Visit<Op>Node and the Check* helpers) decides which nodes are
// taken; google/XNNPACK computes them:
//   CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED: int32 accumulation (bias
//     included, wrapping), then "fp32" requantization: float(acc) (RNE) *
//     scale (binary32, XnnpackRequantScales), rounded to nearest even,
//     + output zero point, clamped to XnnpackActivationRange. Weight zero
//     points of int8 filters are ignored (XNNPACK's QS8/QC8 operators have no
//     kernel zero point); uint8 filters keep theirs (QU8).
//   MEAN (4-D, axes {1, 2} or {2}): XNNPACK global average pooling:
//     acc = sum(x) - count * in_zp, f = float(acc) * (in_scale /
//     (out_scale * float(count))), RNE, + out_zp, clamped.
//   ADD: XNNPACK's vadd: 21-bit multipliers m_i = lrintf(s_i / s_out * 2^k),
//     k = 20 - exponent(max ratio), acc = m_a (a - a_zp) + m_b (b - b_zp),
//     out = clamp(((acc + 2^(k-1)) >> k) + out_zp) (ties up).
//   MUL: acc = (a - a_zp) * (b - b_zp), f = float(acc) * (a_scale * b_scale /
//     out_scale), RNE, + out_zp, clamped.
//   QUANTIZE float32 -> int8/uint8: f = x * (1.0f / out_scale), clamped,
//     RNE, + out_zp.
//   QUANTIZE (int8 -> int8, uint8 -> uint8): Q8 fixed point:
//     m = lrintf(256 * in_scale / out_scale),
//     out = sat(((x - in_zp) * m + 128) >> 8) + out_zp).
//   RESIZE_BILINEAR: 11-bit fixed-point weights, see resize.cc.
#ifndef SYSTOLE_INTERPRETER_KERNELS_XNNPACK_FLAVOR_H_
#define SYSTOLE_INTERPRETER_KERNELS_XNNPACK_FLAVOR_H_

#include <cstdint>
#include <vector>

#include "interpreter/tflite_c.h"

namespace systole {
namespace kernels {

// True when the XNNPACK delegate of TFLite 2.14.1 takes this node (builtin
// code as tflite::BuiltinOperator), so that flavor xnnpack computes it with
// XNNPACK's arithmetic; false for the cases it leaves to TFLite's builtin
// kernels. Answered from the delegate's checks for ADD, SUB, CONV_2D,
// DEPTHWISE_CONV_2D, FULLY_CONNECTED, MEAN, MUL, QUANTIZE and
// RESIZE_BILINEAR. Every other code gives false, although the delegate also
// takes some of them: pure data movement (CONCATENATION, PAD, RESHAPE, SPLIT,
// TRANSPOSE, DEPTH_TO_SPACE, MAX_POOL_2D) whose bytes cannot differ, and
// quantized LOGISTIC, whose XNNPACK table is not modelled here (its per-op
// goldens equal TFLite's builtin kernel).
// Rules implemented (delegate: Visit*Node / Check* helpers; XNNPACK: operator
// creation limits):
//  * quantized tensors: int8/uint8, affine, one scale and zero point
//    (quantized_dimension 0), scale positive and normal, zero point in the
//    type's range; all tensors of the node the same type;
//  * fused activation None, Relu, ReluN1To1 or Relu6;
//  * CONV_2D: 3 inputs (bias required), 4-D input/filter/output, SAME/VALID,
//    positive strides/dilations, static filter (int8: per-tensor or
//    per-channel along dim 0; uint8 per-tensor) and static int32 1-D bias,
//    every float(s_in * s_w[c]) / s_out < 256;
//  * DEPTHWISE_CONV_2D: as CONV_2D, per-channel along dim 3, depth_multiplier
//    > 0 dividing the output channels;
//  * FULLY_CONNECTED: default weights format, per-tensor static 2-D filter
//    (per-channel filters are refused), optional static per-tensor int32 bias,
//    output shape consistent with keep_num_dims, scale < 256;
//  * MEAN: 4-D input, static int32 axes exactly {2} or {1, 2} (either order;
//    negative axes refused), output rank 4 or 4 - #axes, s_in / s_out in
//    [2^-8, 2^8);
//  * ADD, SUB: s_in / s_out in [2^-10, 256) for both inputs;
//    MUL: s_a * s_b / s_out in [2^-16, 256);
//  * QUANTIZE: float32 -> per-tensor int8/uint8, or int8 -> int8 / uint8 ->
//    uint8 with s_in / s_out in [2^-8, 2^7];
//  * RESIZE_BILINEAR: 4-D, static positive int32 size.
bool XnnpackTakesNode(const TfLiteContext* context, const TfLiteNode* node,
                      int32_t builtin_code);

// The binary32 requantization scale per output channel of an XNNPACK
// CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED:
//   float(input_scale * filter_scale[c]) / output_scale, evaluated in float
//   left to right, as XNNPACK's operator creation does. One entry per output
//   channel (`channels`), per-tensor filters repeat their one scale.
std::vector<float> XnnpackRequantScales(const TfLiteTensor* input, const TfLiteTensor* filter,
                                        const TfLiteTensor* output);
// The same for `channels` output channels, whatever the output's declared
// shape: kernels pass the count they compute (an untrusted model may declare
// an output shape their Prepare is about to replace).
std::vector<float> XnnpackRequantScales(const TfLiteTensor* input, const TfLiteTensor* filter,
                                        const TfLiteTensor* output, int channels);

// The quantized clamp XNNPACK applies for a fused activation (None, Relu,
// ReluN1To1, Relu6): xnn_qs8_quantize / xnn_qu8_quantize of the float range,
// lrintf(clamp(bound / scale + zp)) (round to nearest even, in float).
void XnnpackActivationRange(TfLiteFusedActivation activation, const TfLiteTensor* output,
                            int32_t* act_min, int32_t* act_max);

}  // namespace kernels
}  // namespace systole

#endif  // SYSTOLE_INTERPRETER_KERNELS_XNNPACK_FLAVOR_H_
