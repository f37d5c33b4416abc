// SLICE and STRIDED_SLICE, as TensorFlow Lite's tensorflow/lite/kernels/
// slice.cc and strided_slice.cc (with internal/strided_slice_logic.h and
// reference_ops::StridedSlice). Both are pure data moves: quantization is
// passed through untouched and any fixed-size element type works the same.
//
// SLICE: inputs (input, begin, size); begin and size are 1-D INT32 or INT64
// tensors with one entry per input dimension; size -1 means "to the end".
// Input 1-D to 5-D.
//
// STRIDED_SLICE: inputs (input, begin, end, strides), 1-D INT32 tensors of
// one length (the number of slice specs), with StridedSliceOptions
// begin/end/ellipsis/new_axis/shrink_axis masks and `offset` (end is relative
// to begin). The specs are first expanded to the "effective" dimensions
// exactly as TFLite's BuildStridedSliceParams does (ellipsis expanded to the
// dimensions the specs leave out, new_axis inserting a size-1 dimension,
// dimensions past the last spec taken whole), then each axis gets
// StridedSliceStartForAxis / StridedSliceEndForAxis. Input and effective
// dimensions at most 5.
//
// Where TFLite would read outside a tensor or leave part of the output
// unwritten (begin/size entries missing, a negative or out-of-range SLICE
// begin, a shrunk axis whose begin is out of range, more than one ellipsis
// bit, `offset` combined with ellipsis/new_axis or fewer specs than
// dimensions), Systole reports an error instead of producing undefined bytes.
// Systole's interpreter has no dynamic tensors, so the index tensors must be
// constant (TFLite accepts runtime ones and makes the output dynamic).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "interpreter/kernels/builtin_kernels.h"
#include "interpreter/kernels/kernel_util.h"

namespace systole {
namespace kernels {
namespace {

constexpr int kMaxSliceDims = 5;

size_t SliceElementSize(TfLiteType type) {
  switch (type) {
    case kTfLiteInt64: return 8;
    case kTfLiteFloat32: case kTfLiteInt32: case kTfLiteUInt32: return 4;
    case kTfLiteInt16: return 2;
    case kTfLiteInt8: case kTfLiteUInt8: case kTfLiteBool: return 1;
    default: return 0;
  }
}

// One axis of a 5-D strided walk: start, exclusive stop and (non-zero) step.
struct AxisWalk {
  int start = 0;
  int stop = 1;
  int stride = 1;
  int Count() const {
    const int64_t span = static_cast<int64_t>(stop) - start;
    if (stride > 0) return span <= 0 ? 0 : static_cast<int>((span + stride - 1) / stride);
    return span >= 0 ? 0 : static_cast<int>((-span + (-stride) - 1) / (-stride));
  }
};

// Copies the elements selected by `walk` (5 axes of a row-major `shape`) to
// `out` in order.
void StridedCopy(const uint8_t* in, const int* shape, const AxisWalk* walk, size_t elem,
                 uint8_t* out) {
  int64_t strides[kMaxSliceDims];
  int64_t acc = 1;
  for (int i = kMaxSliceDims - 1; i >= 0; --i) {
    strides[i] = acc;
    acc *= shape[i];
  }
  int count[kMaxSliceDims];
  for (int i = 0; i < kMaxSliceDims; ++i) count[i] = walk[i].Count();
  for (int i0 = 0; i0 < count[0]; ++i0) {
    const int64_t o0 = (walk[0].start + int64_t{i0} * walk[0].stride) * strides[0];
    for (int i1 = 0; i1 < count[1]; ++i1) {
      const int64_t o1 = o0 + (walk[1].start + int64_t{i1} * walk[1].stride) * strides[1];
      for (int i2 = 0; i2 < count[2]; ++i2) {
        const int64_t o2 = o1 + (walk[2].start + int64_t{i2} * walk[2].stride) * strides[2];
        for (int i3 = 0; i3 < count[3]; ++i3) {
          const int64_t o3 = o2 + (walk[3].start + int64_t{i3} * walk[3].stride) * strides[3];
          if (walk[4].stride == 1) {
            const size_t n = static_cast<size_t>(count[4]) * elem;
            std::memcpy(out, in + (o3 + walk[4].start) * static_cast<int64_t>(elem), n);
            out += n;
            continue;
          }
          for (int i4 = 0; i4 < count[4]; ++i4) {
            const int64_t o4 = o3 + walk[4].start + int64_t{i4} * walk[4].stride;
            std::memcpy(out, in + o4 * static_cast<int64_t>(elem), elem);
            out += elem;
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------- SLICE ----

int64_t IndexAt(const TfLiteTensor* t, int i) {
  return t->type == kTfLiteInt64 ? t->data.i64[i] : t->data.i32[i];
}

// Validates the node; fills per-dimension begin and (resolved) size.
TfLiteStatus ResolveSlice(TfLiteContext* context, TfLiteNode* node, std::vector<int>* begins,
                          std::vector<int>* sizes) {
  SYSTOLE_KERNEL_ENSURE(context, NumInputs(node) == 3, "SLICE: expected 3 inputs, got %d",
                        NumInputs(node));
  SYSTOLE_KERNEL_ENSURE(context, NumOutputs(node) == 1, "SLICE: expected 1 output, got %d",
                        NumOutputs(node));
  const TfLiteTensor* input = GetInput(context, node, 0);
  const TfLiteTensor* begin = GetInput(context, node, 1);
  const TfLiteTensor* size = GetInput(context, node, 2);
  const TfLiteTensor* output = GetOutput(context, node, 0);
  SYSTOLE_KERNEL_ENSURE(context, input && begin && size && output,
                        "SLICE: missing input/output tensor");
  SYSTOLE_KERNEL_ENSURE(context, input->type == output->type,
                        "SLICE: input type %s differs from output type %s",
                        TypeName(input->type), TypeName(output->type));
  SYSTOLE_KERNEL_ENSURE(context, SliceElementSize(input->type) != 0,
                        "SLICE: type %s not supported (float32, int8, uint8, int16, int32, "
                        "uint32, int64, bool)",
                        TypeName(input->type));
  SYSTOLE_KERNEL_ENSURE(context, begin->type == kTfLiteInt32 || begin->type == kTfLiteInt64,
                        "SLICE: begin must be INT32 or INT64, got %s", TypeName(begin->type));
  SYSTOLE_KERNEL_ENSURE(context, size->type == begin->type,
                        "SLICE: size type %s differs from begin type %s", TypeName(size->type),
                        TypeName(begin->type));
  const int dims = NumDimensions(input);
  SYSTOLE_KERNEL_ENSURE(context, dims <= kMaxSliceDims,
                        "SLICE: %d-D input; only 1-D to 5-D is supported", dims);
  SYSTOLE_KERNEL_ENSURE(context, NumDimensions(begin) == 1 && SizeOfDimension(begin, 0) == dims,
                        "SLICE: begin must be 1-D with %d entries (one per input dimension)",
                        dims);
  SYSTOLE_KERNEL_ENSURE(context, NumDimensions(size) == 1 && SizeOfDimension(size, 0) == dims,
                        "SLICE: size must be 1-D with %d entries (one per input dimension)",
                        dims);
  SYSTOLE_KERNEL_ENSURE(context,
                        IsConstantTensor(begin) && IsConstantTensor(size) && begin->data.raw &&
                            size->data.raw,
                        "SLICE: begin and size must be constant tensors (Systole's interpreter "
                        "has no dynamic tensors)");
  begins->assign(dims, 0);
  sizes->assign(dims, 0);
  for (int i = 0; i < dims; ++i) {
    const int64_t dim = SizeOfDimension(input, i);
    const int64_t b = IndexAt(begin, i);
    int64_t s = IndexAt(size, i);
    SYSTOLE_KERNEL_ENSURE(context, b >= 0 && b <= dim,
                          "SLICE: begin[%d] = %lld is outside [0, %lld] (dimension size)", i,
                          static_cast<long long>(b), static_cast<long long>(dim));
    if (s < 0) {
      SYSTOLE_KERNEL_ENSURE(context, s == -1,
                            "SLICE: size[%d] = %lld is invalid (must be >= 0, or -1 for the "
                            "rest of the dimension)",
                            i, static_cast<long long>(s));
      s = dim - b;
    } else {
      SYSTOLE_KERNEL_ENSURE(context, b + s <= dim,
                            "SLICE: begin[%d] + size[%d] = %lld exceeds the dimension size %lld",
                            i, i, static_cast<long long>(b + s), static_cast<long long>(dim));
    }
    (*begins)[i] = static_cast<int>(b);
    (*sizes)[i] = static_cast<int>(s);
  }
  return kTfLiteOk;
}

TfLiteStatus SlicePrepare(TfLiteContext* context, TfLiteNode* node) {
  std::vector<int> begins, sizes;
  SYSTOLE_KERNEL_ENSURE_OK(ResolveSlice(context, node, &begins, &sizes));
  return context->ResizeTensor(context, GetOutput(context, node, 0), IntArrayFromVector(sizes));
}

TfLiteStatus SliceEval(TfLiteContext* context, TfLiteNode* node) {
  std::vector<int> begins, sizes;
  SYSTOLE_KERNEL_ENSURE_OK(ResolveSlice(context, node, &begins, &sizes));
  const TfLiteTensor* input = GetInput(context, node, 0);
  TfLiteTensor* output = GetOutput(context, node, 0);
  const int dims = NumDimensions(input);
  int shape[kMaxSliceDims];
  AxisWalk walk[kMaxSliceDims];
  const int lead = kMaxSliceDims - dims;
  for (int i = 0; i < kMaxSliceDims; ++i) {
    if (i < lead) {
      shape[i] = 1;
      continue;
    }
    shape[i] = SizeOfDimension(input, i - lead);
    walk[i].start = begins[i - lead];
    walk[i].stop = begins[i - lead] + sizes[i - lead];
  }
  if (NumElements(output) == 0) return kTfLiteOk;
  StridedCopy(reinterpret_cast<const uint8_t*>(input->data.raw), shape, walk,
              SliceElementSize(input->type), reinterpret_cast<uint8_t*>(output->data.raw));
  return kTfLiteOk;
}

// -------------------------------------------------------- STRIDED_SLICE ----

int Clamp(int v, int lo, int hi) { return v > hi ? hi : (v < lo ? lo : v); }

// The slice in effective dimensions: shape (with new axes as size 1), the
// walk per axis, and which axes are shrunk (dropped from the output).
struct StridedPlan {
  int dims = 0;
  int shape[kMaxSliceDims] = {1, 1, 1, 1, 1};
  AxisWalk walk[kMaxSliceDims];
  bool shrink[kMaxSliceDims] = {false, false, false, false, false};
  std::vector<int> output_shape;
};

TfLiteStatus PlanStridedSlice(TfLiteContext* context, TfLiteNode* node, StridedPlan* plan) {
  SYSTOLE_KERNEL_ENSURE(context, NumInputs(node) == 4, "STRIDED_SLICE: expected 4 inputs, got %d",
                        NumInputs(node));
  SYSTOLE_KERNEL_ENSURE(context, NumOutputs(node) == 1,
                        "STRIDED_SLICE: expected 1 output, got %d", NumOutputs(node));
  const auto* params = static_cast<const TfLiteStridedSliceParams*>(node->builtin_data);
  SYSTOLE_KERNEL_ENSURE(context, params != nullptr, "STRIDED_SLICE: missing StridedSliceOptions");
  const TfLiteTensor* input = GetInput(context, node, 0);
  const TfLiteTensor* begin = GetInput(context, node, 1);
  const TfLiteTensor* end = GetInput(context, node, 2);
  const TfLiteTensor* strides = GetInput(context, node, 3);
  const TfLiteTensor* output = GetOutput(context, node, 0);
  SYSTOLE_KERNEL_ENSURE(context, input && begin && end && strides && output,
                        "STRIDED_SLICE: missing input/output tensor");
  SYSTOLE_KERNEL_ENSURE(context, input->type == output->type,
                        "STRIDED_SLICE: input type %s differs from output type %s",
                        TypeName(input->type), TypeName(output->type));
  SYSTOLE_KERNEL_ENSURE(context, SliceElementSize(input->type) != 0,
                        "STRIDED_SLICE: type %s not supported (float32, int8, uint8, int16, "
                        "int32, uint32, int64, bool)",
                        TypeName(input->type));
  const TfLiteTensor* idx[3] = {begin, end, strides};
  const char* idx_name[3] = {"begin", "end", "strides"};
  for (int k = 0; k < 3; ++k) {
    SYSTOLE_KERNEL_ENSURE(context, idx[k]->type == kTfLiteInt32,
                          "STRIDED_SLICE: %s must be INT32, got %s", idx_name[k],
                          TypeName(idx[k]->type));
    SYSTOLE_KERNEL_ENSURE(context, NumDimensions(idx[k]) == 1, "STRIDED_SLICE: %s must be 1-D",
                          idx_name[k]);
    SYSTOLE_KERNEL_ENSURE(context, IsConstantTensor(idx[k]) && idx[k]->data.raw != nullptr,
                          "STRIDED_SLICE: %s must be a constant tensor (Systole's interpreter "
                          "has no dynamic tensors)",
                          idx_name[k]);
  }
  const int begin_count = SizeOfDimension(begin, 0);
  SYSTOLE_KERNEL_ENSURE(context,
                        SizeOfDimension(end, 0) == begin_count &&
                            SizeOfDimension(strides, 0) == begin_count,
                        "STRIDED_SLICE: begin, end and strides must have the same length (%d, "
                        "%d, %d)",
                        begin_count, SizeOfDimension(end, 0), SizeOfDimension(strides, 0));
  const int input_dims = NumDimensions(input);
  SYSTOLE_KERNEL_ENSURE(context, input_dims <= kMaxSliceDims,
                        "STRIDED_SLICE: %d-D input; only 1-D to 5-D is supported", input_dims);
  const int ellipsis = params->ellipsis_mask;
  const int new_axis = params->new_axis_mask;
  const uint32_t ellipsis_bits = static_cast<uint32_t>(ellipsis);
  SYSTOLE_KERNEL_ENSURE(context, (ellipsis_bits & (ellipsis_bits - 1)) == 0,
                        "STRIDED_SLICE: ellipsis_mask 0x%x has more than one bit set", ellipsis);
  SYSTOLE_KERNEL_ENSURE(context, begin_count <= 16, "STRIDED_SLICE: %d slice specs; at most 16",
                        begin_count);

  // Expansion of the specs to effective dimensions (TFLite BuildStridedSliceParams).
  int num_add_axis = 0;
  for (int i = 0; i < begin_count; ++i) {
    if (!((1 << i) & ellipsis) && ((1 << i) & new_axis)) ++num_add_axis;
  }
  const int eff_dims = input_dims + num_add_axis;
  SYSTOLE_KERNEL_ENSURE(context, eff_dims <= kMaxSliceDims,
                        "STRIDED_SLICE: %d dimensions including new axes; at most 5", eff_dims);
  int eff_ellipsis = 0, eff_new_axis = 0;
  int ellipsis_start = eff_dims, expanded_ellipsis = 0;
  for (int i = 0; i < eff_dims;) {
    if ((1 << i) & ellipsis) {
      ellipsis_start = i;
      const int ellipsis_end =
          std::max(i + 1, std::min(i + 1 + num_add_axis + input_dims - begin_count, eff_dims));
      expanded_ellipsis = ellipsis_end - ellipsis_start - 1;
      for (; i < ellipsis_end; ++i) eff_ellipsis |= 1 << i;
      continue;
    }
    if (i - expanded_ellipsis >= 0 && ((1 << (i - expanded_ellipsis)) & new_axis)) {
      eff_new_axis |= 1 << i;
    }
    ++i;
  }
  const bool offset = params->offset;
  SYSTOLE_KERNEL_ENSURE(context,
                        !offset || (ellipsis == 0 && new_axis == 0 && begin_count == input_dims),
                        "STRIDED_SLICE: offset=true needs one spec per input dimension and no "
                        "ellipsis/new_axis masks (TFLite reads end out of bounds otherwise)");
  const int32_t* b = begin->data.i32;
  const int32_t* e = end->data.i32;
  const int32_t* s = strides->data.i32;
  int start_idx[kMaxSliceDims] = {0}, stop_idx[kMaxSliceDims] = {0}, stride[kMaxSliceDims];
  int begin_mask = 0, end_mask = 0, shrink_mask = 0;
  int eff_shape[kMaxSliceDims];
  int added_ellipsis = 0, added_axes = 0;
  for (int i = 0; i < eff_dims; ++i) {
    const bool maps_input = !((1 << i) & eff_new_axis) || ((1 << i) & eff_ellipsis);
    SYSTOLE_KERNEL_ENSURE(context, !maps_input || (i - added_axes >= 0 && i - added_axes < input_dims),
                          "STRIDED_SLICE: new_axis_mask 0x%x and ellipsis_mask 0x%x do not fit a %d-D "
                          "input with %d slice specs",
                          new_axis, ellipsis, input_dims, begin_count);
    if ((1 << i) & eff_ellipsis) {
      added_ellipsis = std::max(0, i - ellipsis_start);
      begin_mask |= 1 << i;
      end_mask |= 1 << i;
      stride[i] = 1;
      eff_shape[i] = SizeOfDimension(input, i - added_axes);
    } else if ((1 << i) & eff_new_axis) {
      start_idx[i] = 0;
      stop_idx[i] = 1;
      stride[i] = 1;
      eff_shape[i] = 1;
      ++added_axes;
    } else if (i >= begin_count + expanded_ellipsis) {
      stride[i] = 1;
      begin_mask |= 1 << i;
      end_mask |= 1 << i;
      eff_shape[i] = SizeOfDimension(input, i - added_axes);
    } else {
      const int orig = i - added_ellipsis;
      start_idx[i] = b[orig];
      stop_idx[i] = e[orig];
      stride[i] = s[orig];
      if (params->begin_mask & (1 << orig)) begin_mask |= 1 << i;
      if (params->end_mask & (1 << orig)) end_mask |= 1 << i;
      if (params->shrink_axis_mask & (1 << orig)) shrink_mask |= 1 << i;
      eff_shape[i] = SizeOfDimension(input, i - added_axes);
    }
  }

  // Per effective axis: start, stop (TFLite StridedSliceStartForAxis /
  // StridedSliceEndForAxis) and the output extent.
  plan->dims = eff_dims;
  plan->output_shape.clear();
  const int lead = kMaxSliceDims - eff_dims;
  int64_t walked = 1;
  int64_t declared = 1;
  for (int i = 0; i < eff_dims; ++i) {
    SYSTOLE_KERNEL_ENSURE(context, stride[i] != 0, "STRIDED_SLICE: stride for dimension %d is 0",
                          i);
    const int size = eff_shape[i];
    int start = start_idx[i];
    if (start < 0) start += size;
    start = stride[i] > 0 ? Clamp(start, 0, size) : Clamp(start, -1, size - 1);
    if (begin_mask & (1 << i)) start = stride[i] > 0 ? 0 : size - 1;
    const bool shrink = (shrink_mask & (1 << i)) != 0;
    int stop;
    if (shrink) {
      stop = start >= size ? start : start + 1;
    } else {
      // (64-bit: an offset end plus begin may pass INT32_MAX; the clamp
      // brings it back into the axis.)
      int64_t end64 = stop_idx[i];
      if (offset) end64 += start;
      if (end64 < 0) end64 += size;
      end64 = stride[i] > 0 ? std::min<int64_t>(std::max<int64_t>(end64, 0), size)
                            : std::min<int64_t>(std::max<int64_t>(end64, -1), size - 1);
      stop = static_cast<int>(end64);
      if (end_mask & (1 << i)) stop = stride[i] > 0 ? size : -1;
    }
    AxisWalk& w = plan->walk[lead + i];
    w.start = start;
    w.stop = stop;
    w.stride = stride[i];
    plan->shape[lead + i] = size;
    plan->shrink[lead + i] = shrink;
    walked *= w.Count();
    if (!shrink) {
      // TFLite's output extent: ceil(float(extent) / stride), at least 0;
      // with offset the extent is the end value itself.
      const int extent = offset ? e[i] : stop - start;
      const double dim_f = std::ceil(extent / static_cast<float>(stride[i]));
      SYSTOLE_KERNEL_ENSURE(context, dim_f <= 1e9,
                            "STRIDED_SLICE: output dimension %d would be %.0f elements", i, dim_f);
      int dim = static_cast<int>(dim_f);
      if (dim < 0) dim = 0;
      plan->output_shape.push_back(dim);
      declared *= dim;
    }
  }
  SYSTOLE_KERNEL_ENSURE(context, walked == declared,
                        "STRIDED_SLICE: the slice selects %lld elements but the output shape "
                        "has %lld (a shrunk axis with an out-of-range begin, or an offset slice "
                        "running past the end)",
                        static_cast<long long>(walked), static_cast<long long>(declared));
  return kTfLiteOk;
}

TfLiteStatus StridedSlicePrepare(TfLiteContext* context, TfLiteNode* node) {
  StridedPlan plan;
  SYSTOLE_KERNEL_ENSURE_OK(PlanStridedSlice(context, node, &plan));
  return context->ResizeTensor(context, GetOutput(context, node, 0),
                               IntArrayFromVector(plan.output_shape));
}

TfLiteStatus StridedSliceEval(TfLiteContext* context, TfLiteNode* node) {
  StridedPlan plan;
  SYSTOLE_KERNEL_ENSURE_OK(PlanStridedSlice(context, node, &plan));
  const TfLiteTensor* input = GetInput(context, node, 0);
  TfLiteTensor* output = GetOutput(context, node, 0);
  if (NumElements(output) == 0) return kTfLiteOk;
  StridedCopy(reinterpret_cast<const uint8_t*>(input->data.raw), plan.shape, plan.walk,
              SliceElementSize(input->type), reinterpret_cast<uint8_t*>(output->data.raw));
  return kTfLiteOk;
}

}  // namespace

const TfLiteRegistration* RegisterSlice(TfliteFlavor) {
  static const TfLiteRegistration r = KernelRegistration(SlicePrepare, SliceEval);
  return &r;
}

const TfLiteRegistration* RegisterStridedSlice(TfliteFlavor) {
  static const TfLiteRegistration r = KernelRegistration(StridedSlicePrepare, StridedSliceEval);
  return &r;
}

}  // namespace kernels
}  // namespace systole
