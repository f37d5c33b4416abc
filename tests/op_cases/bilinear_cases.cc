// Golden cases for RESIZE_BILINEAR as the accelerator maps it
// (compiler/ops/resize_bilinear.cc), int8 and uint8: the scales it takes
// (integer up- and down-scaling factors, align_corners with (in - 1) : (out - 1)
// an integer ratio, half-pixel centres, more channels than the vector unit's
// lanes, several row blocks, non-integer ratios: every scale for INT8) and some
// it refuses (UINT8 at non-dyadic scales, batch 2), which run on the CPU. The basic shapes and modes are in
// shape_cases.cc. Inputs come from the oracle's xorshift32 stream (seed =
// FNV-1a of the name); output quantization differs from the input's in some
// cases (TFLite passes the raw values through).
#include <string>
#include <vector>

#include "tests/op_cases/op_case.h"
#include "tests/op_cases/shape_case_util.h"
#include "testing/model_builder.h"

namespace systole {
namespace testing {
namespace {

using shape_cases::ActQuant;
using shape_cases::kI8;
using shape_cases::kU8;
using shape_cases::PushCase;
using shape_cases::TypeTag;
using Shape = std::vector<int32_t>;

enum Mode { kLegacy, kAlignCorners, kHalfPixel };

void AddBilinear(OpCaseList* cases, const std::string& variant, tflite::TensorType t, const Shape& in_shape,
                 int out_h, int out_w, Mode mode, int quant_variant = 1, int out_quant_variant = -1) {
  ModelBuilder b;
  const int in = b.AddTensor("input", t, in_shape, ActQuant(t, quant_variant));
  const int size = b.AddConstInt32("size", {out_h, out_w});
  const int out = b.AddTensor("output", t, {in_shape[0], out_h, out_w, in_shape[3]},
                              ActQuant(t, out_quant_variant < 0 ? quant_variant : out_quant_variant));
  ResizeOptions opt;
  opt.align_corners = mode == kAlignCorners;
  opt.half_pixel_centers = mode == kHalfPixel;
  const int version = mode == kHalfPixel ? 3 : (t == kI8 ? 2 : 1);
  b.AddOperator(tflite::BuiltinOperator_RESIZE_BILINEAR, version, {in, size}, {out}, opt);
  b.SetInputs({in});
  b.SetOutputs({out});
  const char* tag = mode == kAlignCorners ? "_ac" : (mode == kHalfPixel ? "_hp" : "");
  PushCase(cases, "resize_bilinear/dev_" + TypeTag(t) + "_" + variant + tag, &b);
}

}  // namespace

void AddBilinearCases(OpCaseList* cases) {
  for (tflite::TensorType t : {kI8, kU8}) {
    // A pose-network decoder step: 2x half-pixel upsampling, 70 channels
    // (two channel tiles on the 64-lane edge configuration).
    AddBilinear(cases, "pose_12x16x70_up2x", t, {1, 12, 16, 70}, 24, 32, kHalfPixel);
    AddBilinear(cases, "32x32x16_up2x", t, {1, 32, 32, 16}, 64, 64, kHalfPixel, 2);
    AddBilinear(cases, "8x6x8_up2x", t, {1, 8, 6, 8}, 16, 12, kLegacy, 3);
    AddBilinear(cases, "9x9x5_to_17x17", t, {1, 9, 9, 5}, 17, 17, kAlignCorners, 4);
    AddBilinear(cases, "5x9x3_to_9x33", t, {1, 5, 9, 3}, 9, 33, kAlignCorners, 0);
    AddBilinear(cases, "4x4x3_up4x", t, {1, 4, 4, 3}, 16, 16, kHalfPixel, 5);
    AddBilinear(cases, "3x5x4_up4x", t, {1, 3, 5, 4}, 12, 20, kLegacy, 1);
    AddBilinear(cases, "16x16x6_down2x", t, {1, 16, 16, 6}, 8, 8, kHalfPixel, 2);
    AddBilinear(cases, "10x12x4_down2x", t, {1, 10, 12, 4}, 5, 6, kLegacy, 3);
    AddBilinear(cases, "13x9x2_to_4x3", t, {1, 13, 9, 2}, 4, 3, kAlignCorners, 4);
    AddBilinear(cases, "5x5x3_same", t, {1, 5, 5, 3}, 5, 5, kHalfPixel, 0);
    AddBilinear(cases, "6x7x5_rows_only", t, {1, 6, 7, 5}, 12, 7, kHalfPixel, 1);
    AddBilinear(cases, "8x8x4_to_16x4", t, {1, 8, 8, 4}, 16, 4, kHalfPixel, 5);
    AddBilinear(cases, "1x1x6_to_4x5", t, {1, 1, 1, 6}, 4, 5, kHalfPixel, 2);
    AddBilinear(cases, "2x2x130_up2x", t, {1, 2, 2, 130}, 4, 4, kLegacy, 3);
    AddBilinear(cases, "4x4x3_up2x_requant", t, {1, 4, 4, 3}, 8, 8, kHalfPixel, 1, 4);
    AddBilinear(cases, "64x2x1_up2x", t, {1, 64, 2, 1}, 128, 4, kHalfPixel, 0);
    // Non-dyadic scales: INT8 on the accelerator (weights as int8 digits
    // with VMACC's w_shift), UINT8 refused (TFLite's binary32 roundings).
    AddBilinear(cases, "4x4x3_up3x", t, {1, 4, 4, 3}, 12, 12, kHalfPixel, 4);
    AddBilinear(cases, "4x6x2_to_6x9", t, {1, 4, 6, 2}, 6, 9, kLegacy, 5);
    AddBilinear(cases, "7x7x2_to_10x10", t, {1, 7, 7, 2}, 10, 10, kAlignCorners, 0);
    AddBilinear(cases, "5x7x4_to_11x13", t, {1, 5, 7, 4}, 11, 13, kLegacy, 1);
    AddBilinear(cases, "9x6x3_to_4x5", t, {1, 9, 6, 3}, 4, 5, kHalfPixel, 2);
    AddBilinear(cases, "3x3x8_to_7x10", t, {1, 3, 3, 8}, 7, 10, kAlignCorners, 3);
    AddBilinear(cases, "20x15x3_to_33x26", t, {1, 20, 15, 3}, 33, 26, kHalfPixel, 4);
    AddBilinear(cases, "6x5x70_to_7x9", t, {1, 6, 5, 70}, 7, 9, kHalfPixel, 5);
    AddBilinear(cases, "7x3x2_to_3x1", t, {1, 7, 3, 2}, 3, 1, kAlignCorners, 0);
    AddBilinear(cases, "8x8x3_to_13x5_requant", t, {1, 8, 8, 3}, 13, 5, kLegacy, 1, 3);
    // Dyadic scales with more fractional bits than 8 int8 multiplies carried
    // before w_shift (both types on the accelerator).
    AddBilinear(cases, "2x2x3_up16x", t, {1, 2, 2, 3}, 32, 32, kHalfPixel, 2);
    AddBilinear(cases, "3x2x4_up8x", t, {1, 3, 2, 4}, 24, 16, kHalfPixel, 3);
    AddBilinear(cases, "5x3x2_to_33x17", t, {1, 5, 3, 2}, 33, 17, kAlignCorners, 4);
    // Refused by the compiler (on the CPU): batch 2.
    AddBilinear(cases, "batch2_4x4x3_up2x", t, {2, 4, 4, 3}, 8, 8, kHalfPixel, 2);
  }
}

}  // namespace testing
}  // namespace systole
