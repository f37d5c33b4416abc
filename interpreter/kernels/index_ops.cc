// ARG_MAX, ARG_MIN, GATHER, GATHER_ND, EXPAND_DIMS and TOPK_V2, as TensorFlow
// Lite's arg_min_max.cc, gather.cc, gather_nd.cc, expand_dims.cc and
// topk_v2.cc:
//  * ARG_MAX / ARG_MIN: per (outer, inner) position the index of the first
//    element that is strictly greater (smaller) than all before it; inputs
//    float32, int8, uint8, int32, bool; output int32 or int64; the axis a
//    constant int32/int64 tensor of one element, negative counts from the end.
//  * GATHER: axis and batch_dims from GatherOptions; out-of-range positions
//    are an error ("Gather index out of bounds", as TFLite).
//  * GATHER_ND: output shape indices[:-1] + params[indices[-1]:]; an index
//    out of range is an error.
//  * EXPAND_DIMS: axis in [-(rank + 1), rank].
//  * TOPK_V2: the k largest of the last dimension, by value descending, ties
//    by lower index first (TFLite's TopContainer order); indices int32.
#include <algorithm>
#include <cstring>
#include <numeric>

#include "interpreter/kernels/builtin_kernels.h"
#include "interpreter/kernels/typed_util.h"

namespace systole {
namespace kernels {
namespace {

TfLiteStatus ReadConstScalarIndex(TfLiteContext* context, const char* op, const char* what,
                                  const TfLiteTensor* t, int64_t* value) {
  SYSTOLE_KERNEL_ENSURE(context, t->type == kTfLiteInt32 || t->type == kTfLiteInt64,
                        "%s: %s type %s is not supported (INT32 or INT64)", op, what,
                        TypeName(t->type));
  SYSTOLE_KERNEL_ENSURE(context, NumElements(t) == 1, "%s: %s must have 1 element, has %lld", op,
                        what, static_cast<long long>(NumElements(t)));
  SYSTOLE_KERNEL_ENSURE(context, IsConstantTensor(t), "%s: %s must be a constant tensor", op,
                        what);
  *value = ReadIndex(t, 0);
  return kTfLiteOk;
}

size_t ElementBytes(TfLiteType t) {
  switch (t) {
    case kTfLiteFloat32:
    case kTfLiteInt32: return 4;
    case kTfLiteInt64: return 8;
    case kTfLiteInt16: return 2;
    case kTfLiteInt8:
    case kTfLiteUInt8:
    case kTfLiteBool: return 1;
    default: return 0;
  }
}

// ------------------------------------------------------- ARG_MAX / ARG_MIN --

struct ArgData {
  int64_t outer = 0, axis_size = 0, inner = 0;
};

template <bool kMax>
TfLiteStatus ArgPrepare(TfLiteContext* context, TfLiteNode* node) {
  const char* op = kMax ? "ARG_MAX" : "ARG_MIN";
  SYSTOLE_KERNEL_ENSURE_OK(CheckArity(context, node, op, 2, 2, 1));
  const TfLiteTensor* input = GetInput(context, node, 0);
  TfLiteTensor* output = GetOutput(context, node, 0);
  SYSTOLE_KERNEL_ENSURE(context,
                        input->type == kTfLiteFloat32 || input->type == kTfLiteInt8 ||
                            input->type == kTfLiteUInt8 || input->type == kTfLiteInt32 ||
                            input->type == kTfLiteBool,
                        "%s: input type %s is not supported (FLOAT32, INT8, UINT8, INT32, BOOL)",
                        op, TypeName(input->type));
  SYSTOLE_KERNEL_ENSURE(context, output->type == kTfLiteInt32 || output->type == kTfLiteInt64,
                        "%s: output type %s is not supported (INT32 or INT64)", op,
                        TypeName(output->type));
  int64_t axis = 0;
  SYSTOLE_KERNEL_ENSURE_OK(
      ReadConstScalarIndex(context, op, "axis", GetInput(context, node, 1), &axis));
  const int rank = NumDimensions(input);
  const int64_t given = axis;
  if (axis < 0) axis += rank;
  SYSTOLE_KERNEL_ENSURE(context, axis >= 0 && axis < rank,
                        "%s: axis %lld is out of range for an input of rank %d", op,
                        static_cast<long long>(given), rank);
  auto* d = static_cast<ArgData*>(node->user_data);
  d->outer = 1;
  d->inner = 1;
  std::vector<int> shape;
  for (int i = 0; i < rank; ++i) {
    if (i < axis) d->outer *= SizeOfDimension(input, i);
    if (i > axis) d->inner *= SizeOfDimension(input, i);
    if (i != axis) shape.push_back(SizeOfDimension(input, i));
  }
  d->axis_size = SizeOfDimension(input, static_cast<int>(axis));
  SYSTOLE_KERNEL_ENSURE(context, d->axis_size > 0, "%s: the axis dimension is empty", op);
  return ResizeOutput(context, output, shape);
}

template <bool kMax, typename T, typename Out>
void ArgEvalTyped(const ArgData& d, const T* in, Out* out) {
  for (int64_t o = 0; o < d.outer; ++o) {
    for (int64_t i = 0; i < d.inner; ++i) {
      T best = LoadElement(in + o * d.axis_size * d.inner + i);
      Out best_index = 0;
      for (int64_t a = 1; a < d.axis_size; ++a) {
        const T v = LoadElement(in + (o * d.axis_size + a) * d.inner + i);
        if (kMax ? v > best : v < best) {
          best = v;
          best_index = static_cast<Out>(a);
        }
      }
      out[o * d.inner + i] = best_index;
    }
  }
}

template <bool kMax>
TfLiteStatus ArgEval(TfLiteContext* context, TfLiteNode* node) {
  const auto& d = *static_cast<const ArgData*>(node->user_data);
  const TfLiteTensor* input = GetInput(context, node, 0);
  TfLiteTensor* output = GetOutput(context, node, 0);
  return DispatchType(context, input->type, kMax ? "ARG_MAX" : "ARG_MIN", "input", [&](auto t) {
    using T = decltype(t);
    if (output->type == kTfLiteInt64) {
      ArgEvalTyped<kMax>(d, Data<T>(input), output->data.i64);
    } else {
      ArgEvalTyped<kMax>(d, Data<T>(input), output->data.i32);
    }
    return kTfLiteOk;
  });
}

void* InitArg(TfLiteContext*, const char*, size_t) { return new ArgData; }
void FreeArg(TfLiteContext*, void* p) { delete static_cast<ArgData*>(p); }

// ------------------------------------------------------------------ GATHER --

struct GatherData {
  int64_t batch = 1, outer = 1, axis_size = 0, inner = 1, coords = 1;
};

TfLiteStatus GatherPrepare(TfLiteContext* context, TfLiteNode* node) {
  SYSTOLE_KERNEL_ENSURE_OK(CheckArity(context, node, "GATHER", 2, 2, 1));
  const TfLiteTensor* params = GetInput(context, node, 0);
  const TfLiteTensor* positions = GetInput(context, node, 1);
  TfLiteTensor* output = GetOutput(context, node, 0);
  const auto* p = static_cast<const TfLiteGatherParams*>(node->builtin_data);
  SYSTOLE_KERNEL_ENSURE(context, p != nullptr, "GATHER: missing GatherOptions");
  SYSTOLE_KERNEL_ENSURE(context, ElementBytes(params->type) != 0 && output->type == params->type,
                        "GATHER: params type %s with output type %s is not supported (FLOAT32, "
                        "INT8, UINT8, INT16, INT32, INT64, BOOL; output of the same type)",
                        TypeName(params->type), TypeName(output->type));
  SYSTOLE_KERNEL_ENSURE(context,
                        positions->type == kTfLiteInt32 || positions->type == kTfLiteInt64,
                        "GATHER: positions type %s is not supported (INT32 or INT64)",
                        TypeName(positions->type));
  const int prank = NumDimensions(params);
  const int irank = NumDimensions(positions);
  int axis = p->axis;
  if (axis < 0) axis += prank;
  SYSTOLE_KERNEL_ENSURE(context, axis >= 0 && axis < prank,
                        "GATHER: axis %d is out of range for params of rank %d", p->axis, prank);
  int batch_dims = p->batch_dims;
  if (batch_dims < 0) batch_dims += irank;
  SYSTOLE_KERNEL_ENSURE(context, batch_dims >= 0 && batch_dims <= axis && batch_dims <= irank,
                        "GATHER: batch_dims %d must be in [0, min(axis %d, positions rank %d)]",
                        p->batch_dims, axis, irank);
  for (int i = 0; i < batch_dims; ++i) {
    SYSTOLE_KERNEL_ENSURE(context, SizeOfDimension(params, i) == SizeOfDimension(positions, i),
                          "GATHER: batch dimension %d differs: params %d, positions %d", i,
                          SizeOfDimension(params, i), SizeOfDimension(positions, i));
  }
  auto* d = static_cast<GatherData*>(node->user_data);
  *d = GatherData();
  std::vector<int> shape;
  for (int i = 0; i < axis; ++i) shape.push_back(SizeOfDimension(params, i));
  for (int i = batch_dims; i < irank; ++i) shape.push_back(SizeOfDimension(positions, i));
  for (int i = axis + 1; i < prank; ++i) shape.push_back(SizeOfDimension(params, i));
  for (int i = 0; i < batch_dims; ++i) d->batch *= SizeOfDimension(params, i);
  for (int i = batch_dims; i < axis; ++i) d->outer *= SizeOfDimension(params, i);
  d->axis_size = SizeOfDimension(params, axis);
  for (int i = axis + 1; i < prank; ++i) d->inner *= SizeOfDimension(params, i);
  for (int i = batch_dims; i < irank; ++i) d->coords *= SizeOfDimension(positions, i);
  return ResizeOutput(context, output, shape);
}

TfLiteStatus GatherEval(TfLiteContext* context, TfLiteNode* node) {
  const auto& d = *static_cast<const GatherData*>(node->user_data);
  const TfLiteTensor* params = GetInput(context, node, 0);
  const TfLiteTensor* positions = GetInput(context, node, 1);
  TfLiteTensor* output = GetOutput(context, node, 0);
  const size_t elem = ElementBytes(params->type);
  const size_t slice = static_cast<size_t>(d.inner) * elem;
  const int64_t npos = NumElements(positions);
  for (int64_t i = 0; i < npos; ++i) {
    const int64_t v = ReadIndex(positions, i);
    SYSTOLE_KERNEL_ENSURE(context, v >= 0 && v < d.axis_size,
                          "GATHER: Gather index out of bounds (position %lld is %lld, axis size "
                          "%lld)",
                          static_cast<long long>(i), static_cast<long long>(v),
                          static_cast<long long>(d.axis_size));
  }
  const char* in = params->data.raw_const;
  char* out = output->data.raw;
  for (int64_t b = 0; b < d.batch; ++b) {
    for (int64_t o = 0; o < d.outer; ++o) {
      for (int64_t c = 0; c < d.coords; ++c) {
        const int64_t from = ReadIndex(positions, b * d.coords + c);
        if (slice == 0) continue;
        std::memcpy(out + (((b * d.outer + o) * d.coords) + c) * slice,
                    in + (((b * d.outer + o) * d.axis_size) + from) * slice, slice);
      }
    }
  }
  return kTfLiteOk;
}

void* InitGather(TfLiteContext*, const char*, size_t) { return new GatherData; }
void FreeGather(TfLiteContext*, void* p) { delete static_cast<GatherData*>(p); }

// --------------------------------------------------------------- GATHER_ND --

TfLiteStatus GatherNdPrepare(TfLiteContext* context, TfLiteNode* node) {
  SYSTOLE_KERNEL_ENSURE_OK(CheckArity(context, node, "GATHER_ND", 2, 2, 1));
  const TfLiteTensor* params = GetInput(context, node, 0);
  const TfLiteTensor* indices = GetInput(context, node, 1);
  TfLiteTensor* output = GetOutput(context, node, 0);
  SYSTOLE_KERNEL_ENSURE(context,
                        ElementBytes(params->type) != 0 && params->type != kTfLiteBool &&
                            output->type == params->type,
                        "GATHER_ND: params type %s with output type %s is not supported "
                        "(FLOAT32, INT8, UINT8, INT16, INT32, INT64; output of the same type)",
                        TypeName(params->type), TypeName(output->type));
  SYSTOLE_KERNEL_ENSURE(context, indices->type == kTfLiteInt32 || indices->type == kTfLiteInt64,
                        "GATHER_ND: indices type %s is not supported (INT32 or INT64)",
                        TypeName(indices->type));
  const int prank = NumDimensions(params);
  const int irank = NumDimensions(indices);
  SYSTOLE_KERNEL_ENSURE(context, prank >= 1, "GATHER_ND: params must have at least 1 dimension");
  SYSTOLE_KERNEL_ENSURE(context, irank >= 1, "GATHER_ND: indices must have at least 1 dimension");
  const int nd = SizeOfDimension(indices, irank - 1);
  SYSTOLE_KERNEL_ENSURE(context, nd <= prank,
                        "GATHER_ND: index depth %d is more than the params rank %d", nd, prank);
  std::vector<int> shape;
  for (int i = 0; i < irank - 1; ++i) shape.push_back(SizeOfDimension(indices, i));
  for (int i = nd; i < prank; ++i) shape.push_back(SizeOfDimension(params, i));
  return ResizeOutput(context, output, shape);
}

TfLiteStatus GatherNdEval(TfLiteContext* context, TfLiteNode* node) {
  const TfLiteTensor* params = GetInput(context, node, 0);
  const TfLiteTensor* indices = GetInput(context, node, 1);
  TfLiteTensor* output = GetOutput(context, node, 0);
  const int prank = NumDimensions(params);
  const int irank = NumDimensions(indices);
  const int nd = SizeOfDimension(indices, irank - 1);
  const size_t elem = ElementBytes(params->type);
  int64_t slice_elems = 1;
  for (int i = nd; i < prank; ++i) slice_elems *= SizeOfDimension(params, i);
  const int64_t n_slices = nd == 0 ? NumElements(indices) : NumElements(indices) / nd;
  std::vector<int64_t> strides(nd, 0);
  int64_t stride = slice_elems;
  for (int i = nd - 1; i >= 0; --i) {
    strides[i] = stride;
    stride *= SizeOfDimension(params, i);
  }
  const size_t slice = static_cast<size_t>(slice_elems) * elem;
  for (int64_t s = 0; s < n_slices; ++s) {
    int64_t from = 0;
    for (int j = 0; j < nd; ++j) {
      const int64_t v = ReadIndex(indices, s * nd + j);
      SYSTOLE_KERNEL_ENSURE(context, v >= 0 && v < SizeOfDimension(params, j),
                            "GATHER_ND: index out of bounds (slice %lld, coordinate %d is %lld, "
                            "dimension size %d)",
                            static_cast<long long>(s), j, static_cast<long long>(v),
                            SizeOfDimension(params, j));
      from += v * strides[j];
    }
    if (slice != 0) {
      std::memcpy(output->data.raw + s * slice, params->data.raw_const + from * elem, slice);
    }
  }
  return kTfLiteOk;
}

// ------------------------------------------------------------- EXPAND_DIMS --

TfLiteStatus ExpandDimsPrepare(TfLiteContext* context, TfLiteNode* node) {
  SYSTOLE_KERNEL_ENSURE_OK(CheckArity(context, node, "EXPAND_DIMS", 2, 2, 1));
  const TfLiteTensor* input = GetInput(context, node, 0);
  TfLiteTensor* output = GetOutput(context, node, 0);
  SYSTOLE_KERNEL_ENSURE(context, ElementBytes(input->type) != 0 && output->type == input->type,
                        "EXPAND_DIMS: input type %s with output type %s is not supported",
                        TypeName(input->type), TypeName(output->type));
  int64_t axis = 0;
  SYSTOLE_KERNEL_ENSURE_OK(
      ReadConstScalarIndex(context, "EXPAND_DIMS", "axis", GetInput(context, node, 1), &axis));
  const int rank = NumDimensions(input);
  const int64_t given = axis;
  if (axis < 0) axis += rank + 1;
  SYSTOLE_KERNEL_ENSURE(context, axis >= 0 && axis <= rank,
                        "EXPAND_DIMS: axis %lld is out of range for an input of rank %d",
                        static_cast<long long>(given), rank);
  SYSTOLE_KERNEL_ENSURE(context, rank + 1 <= kBroadcastMaxDims,
                        "EXPAND_DIMS: output rank %d is more than %d", rank + 1,
                        kBroadcastMaxDims);
  std::vector<int> shape;
  for (int i = 0; i < rank; ++i) {
    if (i == axis) shape.push_back(1);
    shape.push_back(SizeOfDimension(input, i));
  }
  if (axis == rank) shape.push_back(1);
  return ResizeOutput(context, output, shape);
}

TfLiteStatus CopyEval(TfLiteContext* context, TfLiteNode* node) {
  const TfLiteTensor* input = GetInput(context, node, 0);
  TfLiteTensor* output = GetOutput(context, node, 0);
  if (input->bytes > 0 && input->data.raw_const != output->data.raw) {
    std::memcpy(output->data.raw, input->data.raw_const, input->bytes);
  }
  return kTfLiteOk;
}

// ----------------------------------------------------------------- TOPK_V2 --

TfLiteStatus TopKPrepare(TfLiteContext* context, TfLiteNode* node) {
  SYSTOLE_KERNEL_ENSURE_OK(CheckArity(context, node, "TOPK_V2", 2, 2, 2));
  const TfLiteTensor* input = GetInput(context, node, 0);
  const TfLiteTensor* k_tensor = GetInput(context, node, 1);
  TfLiteTensor* values = GetOutput(context, node, 0);
  TfLiteTensor* indices = GetOutput(context, node, 1);
  SYSTOLE_KERNEL_ENSURE(context,
                        (input->type == kTfLiteFloat32 || input->type == kTfLiteInt8 ||
                         input->type == kTfLiteUInt8 || input->type == kTfLiteInt32 ||
                         input->type == kTfLiteInt64) &&
                            values->type == input->type,
                        "TOPK_V2: input type %s with values type %s is not supported (FLOAT32, "
                        "INT8, UINT8, INT32, INT64; values of the same type)",
                        TypeName(input->type), TypeName(values->type));
  SYSTOLE_KERNEL_ENSURE(context, indices->type == kTfLiteInt32,
                        "TOPK_V2: indices output type %s is not supported (INT32)",
                        TypeName(indices->type));
  SYSTOLE_KERNEL_ENSURE(context, k_tensor->type == kTfLiteInt32,
                        "TOPK_V2: k type %s is not supported (INT32)", TypeName(k_tensor->type));
  int64_t k = 0;
  SYSTOLE_KERNEL_ENSURE_OK(ReadConstScalarIndex(context, "TOPK_V2", "k", k_tensor, &k));
  const int rank = NumDimensions(input);
  SYSTOLE_KERNEL_ENSURE(context, rank >= 1, "TOPK_V2: input must have at least 1 dimension");
  const int depth = SizeOfDimension(input, rank - 1);
  SYSTOLE_KERNEL_ENSURE(context, k >= 0 && k <= depth,
                        "TOPK_V2: k %lld must be in [0, %d] (the size of the last dimension)",
                        static_cast<long long>(k), depth);
  std::vector<int> shape(input->dims->data, input->dims->data + rank);
  shape[rank - 1] = static_cast<int>(k);
  SYSTOLE_KERNEL_ENSURE_OK(ResizeOutput(context, values, shape));
  return ResizeOutput(context, indices, shape);
}

TfLiteStatus TopKEval(TfLiteContext* context, TfLiteNode* node) {
  const TfLiteTensor* input = GetInput(context, node, 0);
  TfLiteTensor* values = GetOutput(context, node, 0);
  TfLiteTensor* indices = GetOutput(context, node, 1);
  const int rank = NumDimensions(input);
  const int depth = SizeOfDimension(input, rank - 1);
  const int k = SizeOfDimension(values, rank - 1);
  const int64_t rows = depth == 0 ? 0 : NumElements(input) / depth;
  return DispatchType(context, input->type, "TOPK_V2", "input", [&](auto t) {
    using T = decltype(t);
    const T* in = Data<T>(input);
    T* out = Data<T>(values);
    std::vector<int32_t> order(depth);
    for (int64_t r = 0; r < rows; ++r) {
      const T* row = in + r * depth;
      std::iota(order.begin(), order.end(), 0);
      std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int32_t a, int32_t b) {
        if (row[b] < row[a]) return true;
        if (row[b] > row[a]) return false;
        return a < b;
      });
      for (int j = 0; j < k; ++j) {
        out[r * k + j] = row[order[j]];
        indices->data.i32[r * k + j] = order[j];
      }
    }
    return kTfLiteOk;
  });
}

}  // namespace

const TfLiteRegistration* RegisterArgMax(TfliteFlavor) {
  static const TfLiteRegistration r =
      KernelRegistration(ArgPrepare<true>, ArgEval<true>, InitArg, FreeArg);
  return &r;
}
const TfLiteRegistration* RegisterArgMin(TfliteFlavor) {
  static const TfLiteRegistration r =
      KernelRegistration(ArgPrepare<false>, ArgEval<false>, InitArg, FreeArg);
  return &r;
}
const TfLiteRegistration* RegisterGather(TfliteFlavor) {
  static const TfLiteRegistration r =
      KernelRegistration(GatherPrepare, GatherEval, InitGather, FreeGather);
  return &r;
}
const TfLiteRegistration* RegisterGatherNd(TfliteFlavor) {
  static const TfLiteRegistration r = KernelRegistration(GatherNdPrepare, GatherNdEval);
  return &r;
}
const TfLiteRegistration* RegisterExpandDims(TfliteFlavor) {
  static const TfLiteRegistration r = KernelRegistration(ExpandDimsPrepare, CopyEval);
  return &r;
}
const TfLiteRegistration* RegisterTopKV2(TfliteFlavor) {
  static const TfLiteRegistration r = KernelRegistration(TopKPrepare, TopKEval);
  return &r;
}

}  // namespace kernels
}  // namespace systole
