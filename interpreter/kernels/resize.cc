// RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR on 4-D NHWC tensors, bit-exact
// with TensorFlow Lite's default (optimized, portable C++) kernels:
//
// RESIZE_BILINEAR (tensorflow/lite/kernels/resize_bilinear.cc)
//  * UINT8 -> optimized_ops::ResizeBilinear: float32 weights,
//    ResizeBilinearGenericSmallChannel, out = (uint8)(sum_i v_i * w_i + 0.5f),
//    summed left to right in float. (Its x8 half-pixel "888" fast path, taken
//    when depth % 8 == 0, is exact 8.8 fixed point; with x8 scaling every
//    float weight and partial sum is a dyadic rational with <= 16 significant
//    bits, so the float path gives the same bytes and is used for it.)
//  * INT8 -> reference_ops::ResizeBilinearInteger: 10-bit fixed-point
//    coordinates, int64 accumulation with 20 fractional bits, rounded half
//    away from zero (TFLite's default double-rounding build).
//  * FLOAT32 -> ResizeBilinear2x2 for exact 2x upsampling without
//    align_corners/half_pixel_centers, else ResizeBilinearGeneric (float
//    weights, no rounding).
//  align_corners and half_pixel_centers must not both be set.
// RESIZE_NEAREST_NEIGHBOR (tensorflow/lite/kernels/resize_nearest_neighbor.cc)
//  * UINT8 without align_corners/half_pixel_centers -> optimized_ops: 16.16
//    fixed-point scale (in << 16) / out + 1, index = min((o * s) >> 16, in - 1).
//  * everything else -> reference_ops: float scale, floor (or round with
//    align_corners), half-pixel offset 0.5. INT8 takes this path too in the
//    matched TFLite even where the two index formulas disagree (checked on the
//    oracle: resize_nearest_neighbor/{i8,u8}_fixed_vs_float_index); later
//    TFLite releases route int8 through the optimized kernel as well.
//  * Flavor xnnpack, int8/uint8 nodes the XNNPACK delegate takes
//    (xnnpack_flavor.h): XNNPACK's resize-bilinear (indirection.c
//    xnn_indirection_init_resize_bilinear2d_hwc_q11 and the s8/u8 ibilinear
//    kernels): float coordinates (legacy: o * scale; half-pixel:
//    clamp(o * scale + (0.5 * scale - 0.5), 0, in - 1); scale =
//    (in - a) / (out - a), a = 1 with align_corners and out != 1), weights
//    alpha = lrintf(frac * 2048), t = tl * 2048 + (tr - tl) * ax (same for
//    b), acc = t * 2048 + (b - t) * ay, out = (acc + 2^21) >> 22.
// Input 1 (size) is a constant INT32 [2] tensor: (new_height, new_width).
// Quantization is passed through: the output should carry the input's.

// Bit-exactness needs every float multiply and add rounded separately, as the
// reference (wasm, no FMA) does: forbid contraction into fused multiply-adds
// even when the build targets an FMA-capable CPU.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "interpreter/kernels/builtin_kernels.h"
#include "interpreter/kernels/kernel_util.h"
#include "interpreter/kernels/xnnpack_flavor.h"
#include "schema/tflite_generated.h"

namespace systole {
namespace kernels {
namespace {

struct ResizeShape {
  int batches, in_h, in_w, depth, out_h, out_w;
};

ResizeShape GetResizeShape(const TfLiteTensor* input, const TfLiteTensor* size) {
  return {SizeOfDimension(input, 0), SizeOfDimension(input, 1), SizeOfDimension(input, 2),
          SizeOfDimension(input, 3), size->data.i32[0], size->data.i32[1]};
}

TfLiteStatus ResizePrepare(TfLiteContext* context, TfLiteNode* node, const char* op,
                           bool align_corners, bool half_pixel_centers) {
  SYSTOLE_KERNEL_ENSURE(context, NumInputs(node) == 2, "%s: expected 2 inputs, got %d", op,
                        NumInputs(node));
  SYSTOLE_KERNEL_ENSURE(context, NumOutputs(node) == 1, "%s: expected 1 output, got %d", op,
                        NumOutputs(node));
  const TfLiteTensor* input = GetInput(context, node, 0);
  const TfLiteTensor* size = GetInput(context, node, 1);
  TfLiteTensor* output = GetOutput(context, node, 0);
  SYSTOLE_KERNEL_ENSURE(context, input && size && output, "%s: missing input/output tensor", op);
  SYSTOLE_KERNEL_ENSURE(context, NumDimensions(input) == 4, "%s: input is %d-D; must be 4-D (NHWC)",
                        op, NumDimensions(input));
  SYSTOLE_KERNEL_ENSURE(context, NumDimensions(size) == 1 && SizeOfDimension(size, 0) == 2,
                        "%s: size must be a 1-D tensor of 2 elements", op);
  SYSTOLE_KERNEL_ENSURE(context, size->type == kTfLiteInt32, "%s: size must be INT32, got %s", op,
                        TypeName(size->type));
  SYSTOLE_KERNEL_ENSURE(context, IsConstantTensor(size) && size->data.raw != nullptr,
                        "%s: size must be a constant tensor (static shapes only)", op);
  SYSTOLE_KERNEL_ENSURE(context, input->type == output->type,
                        "%s: input type %s differs from output type %s", op,
                        TypeName(input->type), TypeName(output->type));
  SYSTOLE_KERNEL_ENSURE(context,
                        input->type == kTfLiteFloat32 || input->type == kTfLiteInt8 ||
                            input->type == kTfLiteUInt8,
                        "%s: type %s not supported (float32, int8, uint8)", op,
                        TypeName(input->type));
  SYSTOLE_KERNEL_ENSURE(context, !(align_corners && half_pixel_centers),
                        "%s: half_pixel_centers requires align_corners to be false", op);
  const int h = size->data.i32[0];
  const int w = size->data.i32[1];
  SYSTOLE_KERNEL_ENSURE(context, h > 0 && w > 0, "%s: output size %dx%d must be positive", op, h,
                        w);
  SYSTOLE_KERNEL_ENSURE(context, SizeOfDimension(input, 1) > 0 && SizeOfDimension(input, 2) > 0,
                        "%s: input height and width must be positive", op);
  // 10-bit fixed point (int8 bilinear) and 16.16 (uint8 nearest) coordinates
  // must not overflow int32.
  SYSTOLE_KERNEL_ENSURE(context,
                        SizeOfDimension(input, 1) < (1 << 14) && SizeOfDimension(input, 2) < (1 << 14) &&
                            h < (1 << 14) && w < (1 << 14),
                        "%s: sizes must be below 16384", op);
  return context->ResizeTensor(
      context, output,
      IntArrayFromVector({SizeOfDimension(input, 0), h, w, SizeOfDimension(input, 3)}));
}

// ---- RESIZE_BILINEAR ----

// reference_ops::ComputeInterpolationValues (float).
void InterpolationValues(int value, float scale, bool half_pixel_centers, int input_size,
                         float* scaled, int* lower, int* upper) {
  if (half_pixel_centers) {
    const float centered = static_cast<float>(value) + 0.5f;
    const float scaled_centered = centered * scale;
    *scaled = scaled_centered - 0.5f;
  } else {
    *scaled = static_cast<float>(value) * scale;
  }
  const float floor_value = std::floor(*scaled);
  *lower = std::max(static_cast<int32_t>(floor_value), 0);
  *upper = std::min(static_cast<int32_t>(std::ceil(*scaled)), input_size - 1);
}

// reference_ops::ComputeInterpolationValuesInteger (10 fractional bits).
void InterpolationValues10(int32_t value, int32_t scale_10, bool half_pixel_centers,
                           int32_t input_size, int32_t* scaled, int32_t* lower, int32_t* upper) {
  if (half_pixel_centers) {
    *scaled = value * scale_10 + scale_10 / 2 - (1 << 9);
  } else {
    *scaled = value * scale_10;
  }
  *lower = std::max(*scaled / (1 << 10), 0);
  *upper = std::min((*scaled + (1 << 10) - 1) / (1 << 10), input_size - 1);
}

float BilinearScale(int in, int out, bool align_corners) {
  if (align_corners && out > 1) return static_cast<float>(in - 1) / static_cast<float>(out - 1);
  return static_cast<float>(in) / static_cast<float>(out);
}

int32_t BilinearScale10(int in, int out, bool align_corners) {
  if (align_corners && out > 1) return ((1 << 10) * (in - 1) + (out - 1) / 2) / (out - 1);
  return ((1 << 10) * in + out / 2) / out;
}

// Float weights; T = uint8_t adds 0.5 and truncates, T = float does not round.
template <typename T>
void BilinearFloat(const ResizeShape& s, bool align_corners, bool half_pixel_centers,
                   const T* input, T* output) {
  const float height_scale = BilinearScale(s.in_h, s.out_h, align_corners);
  const float width_scale = BilinearScale(s.in_w, s.out_w, align_corners);
  const float rounding = std::is_same<T, float>::value ? 0.f : 0.5f;
  T* out = output;
  for (int b = 0; b < s.batches; ++b) {
    for (int y = 0; y < s.out_h; ++y) {
      float in_y;
      int y0, y1;
      InterpolationValues(y, height_scale, half_pixel_centers, s.in_h, &in_y, &y0, &y1);
      for (int x = 0; x < s.out_w; ++x) {
        float in_x;
        int x0, x1;
        InterpolationValues(x, width_scale, half_pixel_centers, s.in_w, &in_x, &x0, &x1);
        const int64_t row0 = (static_cast<int64_t>(b) * s.in_h + y0) * s.in_w;
        const int64_t row1 = (static_cast<int64_t>(b) * s.in_h + y1) * s.in_w;
        const int64_t offset[4] = {(row0 + x0) * s.depth, (row0 + x1) * s.depth,
                                   (row1 + x0) * s.depth, (row1 + x1) * s.depth};
        const float dy = in_y - static_cast<float>(y0);
        const float dx = in_x - static_cast<float>(x0);
        const float one_dy = 1.f - dy;
        const float one_dx = 1.f - dx;
        const float w[4] = {one_dy * one_dx, one_dy * dx, dy * one_dx, dy * dx};
        for (int c = 0; c < s.depth; ++c) {
          // Each product and partial sum is rounded to float, as in TFLite.
          const float p0 = static_cast<float>(input[offset[0] + c]) * w[0];
          const float p1 = static_cast<float>(input[offset[1] + c]) * w[1];
          const float p2 = static_cast<float>(input[offset[2] + c]) * w[2];
          const float p3 = static_cast<float>(input[offset[3] + c]) * w[3];
          float acc = p0 + p1;
          acc = acc + p2;
          acc = acc + p3;
          acc = acc + rounding;
          if (std::is_same<T, float>::value) {
            *out++ = static_cast<T>(acc);
          } else {
            *out++ = static_cast<T>(static_cast<int32_t>(acc));
          }
        }
      }
    }
  }
}

// optimized_ops::ResizeBilinear2x2 (float, exact 2x upsampling, portable path):
// averages of neighbours, in TFLite's order of operations.
void BilinearFloat2x2(const ResizeShape& s, const float* input, float* output) {
  const int64_t in_x_step = s.depth;
  const int64_t in_y_step = static_cast<int64_t>(s.in_w) * s.depth;
  const int64_t out_x_step = s.depth;
  const int64_t out_y_step = static_cast<int64_t>(s.out_w) * s.depth;
  for (int b = 0; b < s.batches; ++b) {
    for (int y0 = 0, y = 0; y <= s.out_h - 2; y += 2, ++y0) {
      for (int x0 = 0, x = 0; x <= s.out_w - 2; x += 2, ++x0) {
        const int x1 = std::min(x0 + 1, s.in_w - 1);
        const int y1 = std::min(y0 + 1, s.in_h - 1);
        const int64_t dx = (x1 - x0) * in_x_step;
        const int64_t dy = (y1 - y0) * in_y_step;
        const float* in = input + ((static_cast<int64_t>(b) * s.in_h + y0) * s.in_w + x0) * s.depth;
        float* out = output + ((static_cast<int64_t>(b) * s.out_h + y) * s.out_w + x) * s.depth;
        for (int c = 0; c < s.depth; ++c) {
          const float x0y0 = in[c];
          const float x1y0 = in[c + dx];
          const float x0y1 = in[c + dy];
          const float x1y1 = in[c + dx + dy];
          out[c] = x0y0;
          out[c + out_x_step] = (x0y0 + x1y0) / 2;
          const float bottom_left = (x0y0 + x0y1) / 2;
          out[c + out_y_step] = bottom_left;
          out[c + out_x_step + out_y_step] = (bottom_left + ((x1y0 + x1y1) / 2)) / 2;
        }
      }
    }
  }
}

void BilinearInt8(const ResizeShape& s, bool align_corners, bool half_pixel_centers,
                  const int8_t* input, int8_t* output) {
  const int32_t height_scale_10 = BilinearScale10(s.in_h, s.out_h, align_corners);
  const int32_t width_scale_10 = BilinearScale10(s.in_w, s.out_w, align_corners);
  int8_t* out = output;
  for (int b = 0; b < s.batches; ++b) {
    for (int y = 0; y < s.out_h; ++y) {
      int32_t in_y, y0, y1;
      InterpolationValues10(y, height_scale_10, half_pixel_centers, s.in_h, &in_y, &y0, &y1);
      const int64_t wy1 = in_y - (1 << 10) * y0;
      const int64_t wy0 = (1 << 10) - wy1;
      for (int x = 0; x < s.out_w; ++x) {
        int32_t in_x, x0, x1;
        InterpolationValues10(x, width_scale_10, half_pixel_centers, s.in_w, &in_x, &x0, &x1);
        const int64_t wx1 = in_x - (1 << 10) * x0;
        const int64_t wx0 = (1 << 10) - wx1;
        const int64_t row0 = (static_cast<int64_t>(b) * s.in_h + y0) * s.in_w;
        const int64_t row1 = (static_cast<int64_t>(b) * s.in_h + y1) * s.in_w;
        const int8_t* p00 = input + (row0 + x0) * s.depth;
        const int8_t* p01 = input + (row0 + x1) * s.depth;
        const int8_t* p10 = input + (row1 + x0) * s.depth;
        const int8_t* p11 = input + (row1 + x1) * s.depth;
        for (int c = 0; c < s.depth; ++c) {
          const int64_t acc = p00[c] * wy0 * wx0 + p10[c] * wy1 * wx0 + p01[c] * wy0 * wx1 +
                              p11[c] * wy1 * wx1;
          const int64_t round = acc > 0 ? (1 << 19) : -(1 << 19);
          *out++ = static_cast<int8_t>((acc + round) / (1 << 20));
        }
      }
    }
  }
}

// One axis of XNNPACK's q11 indirection: source indices and 11-bit weight.
struct XnnTap {
  int lo, hi;
  int32_t alpha;
};

XnnTap XnnpackTap(int o, int in_size, int out_size, bool align_corners, bool legacy) {
  const int32_t adjustment = (align_corners && out_size != 1) ? 1 : 0;
  const float scale = static_cast<float>(in_size - adjustment) /
                      static_cast<float>(out_size - adjustment);
  const int max_index = in_size - 1;
  float pos;
  if (legacy) {
    pos = static_cast<float>(o) * scale;
  } else {
    const float offset = 0.5f * scale - 0.5f;
    pos = static_cast<float>(o) * scale + offset;
    pos = std::min(std::max(pos, 0.0f), static_cast<float>(max_index));
  }
  XnnTap t;
  t.lo = static_cast<int>(static_cast<int32_t>(pos));
  t.hi = std::min(t.lo + 1, max_index);
  const float alpha = pos - static_cast<float>(t.lo);
  t.alpha = static_cast<int16_t>(std::lrint(alpha * 2048.0f));
  return t;
}

template <typename T>
void BilinearXnnpack(const ResizeShape& s, bool align_corners, bool half_pixel_centers,
                     const T* input, T* output) {
  const bool legacy = align_corners || !half_pixel_centers;
  std::vector<XnnTap> xs(static_cast<size_t>(s.out_w));
  for (int x = 0; x < s.out_w; ++x) xs[x] = XnnpackTap(x, s.in_w, s.out_w, align_corners, legacy);
  T* out = output;
  for (int b = 0; b < s.batches; ++b) {
    for (int y = 0; y < s.out_h; ++y) {
      const XnnTap ty = XnnpackTap(y, s.in_h, s.out_h, align_corners, legacy);
      const int64_t row0 = (static_cast<int64_t>(b) * s.in_h + ty.lo) * s.in_w;
      const int64_t row1 = (static_cast<int64_t>(b) * s.in_h + ty.hi) * s.in_w;
      for (int x = 0; x < s.out_w; ++x) {
        const XnnTap& tx = xs[x];
        const T* tl = input + (row0 + tx.lo) * s.depth;
        const T* tr = input + (row0 + tx.hi) * s.depth;
        const T* bl = input + (row1 + tx.lo) * s.depth;
        const T* br = input + (row1 + tx.hi) * s.depth;
        for (int c = 0; c < s.depth; ++c) {
          const int32_t top = tl[c] * 2048 + (tr[c] - tl[c]) * tx.alpha;
          const int32_t bottom = bl[c] * 2048 + (br[c] - bl[c]) * tx.alpha;
          const int32_t acc = top * 2048 + (bottom - top) * ty.alpha;
          *out++ = static_cast<T>((acc + (1 << 21)) >> 22);
        }
      }
    }
  }
}

struct BilinearData {
  bool xnnpack = false;
};

void* BilinearInit(TfLiteContext*, const char*, size_t) { return new BilinearData; }
void BilinearFree(TfLiteContext*, void* buffer) { delete static_cast<BilinearData*>(buffer); }

TfLiteStatus BilinearPrepare(TfLiteContext* context, TfLiteNode* node, TfliteFlavor flavor) {
  const auto* params = static_cast<const TfLiteResizeBilinearParams*>(node->builtin_data);
  auto* data = static_cast<BilinearData*>(node->user_data);
  SYSTOLE_KERNEL_ENSURE_OK(ResizePrepare(context, node, "RESIZE_BILINEAR",
                                         params && params->align_corners,
                                         params && params->half_pixel_centers));
  data->xnnpack = flavor == TfliteFlavor::kXnnpack &&
                  XnnpackTakesNode(context, node, tflite::BuiltinOperator_RESIZE_BILINEAR);
  return kTfLiteOk;
}

TfLiteStatus BilinearEval(TfLiteContext* context, TfLiteNode* node) {
  const auto* params = static_cast<const TfLiteResizeBilinearParams*>(node->builtin_data);
  const bool align_corners = params && params->align_corners;
  const bool half_pixel_centers = params && params->half_pixel_centers;
  const TfLiteTensor* input = GetInput(context, node, 0);
  const TfLiteTensor* size = GetInput(context, node, 1);
  TfLiteTensor* output = GetOutput(context, node, 0);
  const ResizeShape s = GetResizeShape(input, size);
  if (static_cast<const BilinearData*>(node->user_data)->xnnpack) {
    if (input->type == kTfLiteInt8) {
      BilinearXnnpack(s, align_corners, half_pixel_centers, input->data.int8, output->data.int8);
    } else {
      BilinearXnnpack(s, align_corners, half_pixel_centers, input->data.uint8, output->data.uint8);
    }
    return kTfLiteOk;
  }
  switch (input->type) {
    case kTfLiteUInt8:
      BilinearFloat<uint8_t>(s, align_corners, half_pixel_centers, input->data.uint8,
                             output->data.uint8);
      return kTfLiteOk;
    case kTfLiteInt8:
      BilinearInt8(s, align_corners, half_pixel_centers, input->data.int8, output->data.int8);
      return kTfLiteOk;
    case kTfLiteFloat32:
      if (!align_corners && !half_pixel_centers && s.out_h == 2 * s.in_h &&
          s.out_w == 2 * s.in_w) {
        BilinearFloat2x2(s, input->data.f, output->data.f);
      } else {
        BilinearFloat<float>(s, align_corners, half_pixel_centers, input->data.f,
                             output->data.f);
      }
      return kTfLiteOk;
    default:
      context->ReportError(context, "RESIZE_BILINEAR: type %s not supported",
                           TypeName(input->type));
      return kTfLiteError;
  }
}

// ---- RESIZE_NEAREST_NEIGHBOR ----

// reference_ops GetNearestNeighbor.
int NearestFloat(int value, int input_size, int output_size, bool align_corners,
                 bool half_pixel_centers) {
  const float scale = (align_corners && output_size > 1)
                          ? static_cast<float>(input_size - 1) / static_cast<float>(output_size - 1)
                          : static_cast<float>(input_size) / static_cast<float>(output_size);
  const float offset = half_pixel_centers ? 0.5f : 0.0f;
  const float pos = (static_cast<float>(value) + offset) * scale;
  int32_t result = align_corners ? static_cast<int32_t>(std::round(pos))
                                 : static_cast<int32_t>(std::floor(pos));
  result = std::min(result, input_size - 1);
  if (half_pixel_centers) result = std::max(result, 0);
  return result;
}

TfLiteStatus NearestPrepare(TfLiteContext* context, TfLiteNode* node) {
  const auto* params = static_cast<const TfLiteResizeNearestNeighborParams*>(node->builtin_data);
  // TFLite accepts align_corners together with half_pixel_centers here
  // (reference GetNearestNeighbor defines it); only bilinear rejects it.
  return ResizePrepare(context, node, "RESIZE_NEAREST_NEIGHBOR", false,
                       params && params->half_pixel_centers);
}

TfLiteStatus NearestEval(TfLiteContext* context, TfLiteNode* node) {
  const auto* params = static_cast<const TfLiteResizeNearestNeighborParams*>(node->builtin_data);
  const bool align_corners = params && params->align_corners;
  const bool half_pixel_centers = params && params->half_pixel_centers;
  const TfLiteTensor* input = GetInput(context, node, 0);
  const TfLiteTensor* size = GetInput(context, node, 1);
  TfLiteTensor* output = GetOutput(context, node, 0);
  const ResizeShape s = GetResizeShape(input, size);
  const size_t elem = input->type == kTfLiteFloat32 ? 4 : 1;
  // Only uint8 takes the optimized 16.16 fixed-point index path in TFLite.
  const bool fixed_point =
      input->type == kTfLiteUInt8 && !align_corners && !half_pixel_centers;
  const int32_t height_scale_16 = (s.in_h << 16) / s.out_h + 1;
  const int32_t width_scale_16 = (s.in_w << 16) / s.out_w + 1;
  const size_t pixel_bytes = static_cast<size_t>(s.depth) * elem;
  const uint8_t* in = reinterpret_cast<const uint8_t*>(input->data.raw);
  uint8_t* out = reinterpret_cast<uint8_t*>(output->data.raw);
  for (int b = 0; b < s.batches; ++b) {
    const uint8_t* batch_in = in + static_cast<size_t>(b) * s.in_h * s.in_w * pixel_bytes;
    for (int y = 0; y < s.out_h; ++y) {
      const int in_y = fixed_point
                           ? std::min((y * height_scale_16) >> 16, s.in_h - 1)
                           : NearestFloat(y, s.in_h, s.out_h, align_corners, half_pixel_centers);
      const uint8_t* row_in = batch_in + static_cast<size_t>(in_y) * s.in_w * pixel_bytes;
      for (int x = 0; x < s.out_w; ++x) {
        const int in_x = fixed_point
                             ? std::min((x * width_scale_16) >> 16, s.in_w - 1)
                             : NearestFloat(x, s.in_w, s.out_w, align_corners, half_pixel_centers);
        std::memcpy(out, row_in + static_cast<size_t>(in_x) * pixel_bytes, pixel_bytes);
        out += pixel_bytes;
      }
    }
  }
  return kTfLiteOk;
}

}  // namespace

const TfLiteRegistration* RegisterResizeBilinear(TfliteFlavor flavor) {
  static const auto r =
      FlavoredKernelRegistrations<BilinearPrepare>(BilinearEval, BilinearInit, BilinearFree);
  return &r[static_cast<int>(flavor)];
}

const TfLiteRegistration* RegisterResizeNearestNeighbor(TfliteFlavor) {
  static const TfLiteRegistration r = KernelRegistration(NearestPrepare, NearestEval);
  return &r;
}

}  // namespace kernels
}  // namespace systole
