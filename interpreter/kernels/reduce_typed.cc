// float32 / int32 SUM, REDUCE_MAX, REDUCE_MIN and MEAN, as TensorFlow Lite's
// reduce.cc (reference_ops::ReduceGeneric / Mean):
//  * the axes (a constant int32 or int64 tensor) may be negative and repeat;
//    keep_dims keeps reduced dimensions as 1;
//  * every output starts at the reducer's initial value (SUM/MEAN 0,
//    REDUCE_MAX lowest(), REDUCE_MIN max()) and folds the input elements in
//    row-major input order: SUM out + in (int32 wraps), REDUCE_MAX
//    (out > in) ? out : in, REDUCE_MIN (out < in) ? out : in (so a NaN input
//    replaces the running value, and the next element replaces the NaN);
//  * MEAN: float sum / float(count); int32: int64 sum / count (truncating).
#include "interpreter/kernels/reduce_typed.h"

#include "interpreter/kernels/builtin_kernels.h"

namespace systole {
namespace kernels {
namespace {

const char* Name(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum: return "SUM";
    case ReduceOp::kMax: return "REDUCE_MAX";
    case ReduceOp::kMin: return "REDUCE_MIN";
    case ReduceOp::kMean: return "MEAN";
  }
  return "?";
}

// Calls f(input_index, output_index) in row-major input order.
template <typename F>
void ForEachReduced(const ReduceShape& s, F&& f) {
  int64_t out_strides[kBroadcastMaxDims];
  int64_t stride = 1;
  int64_t total = 1;
  for (int d = s.rank - 1; d >= 0; --d) {
    out_strides[d] = s.reduced[d] ? 0 : stride;
    if (!s.reduced[d]) stride *= s.dims[d];
    total *= s.dims[d];
  }
  if (total == 0) return;
  int index[kBroadcastMaxDims] = {};
  int64_t o = 0;
  for (int64_t i = 0; i < total; ++i) {
    f(i, o);
    for (int d = s.rank - 1; d >= 0; --d) {
      o += out_strides[d];
      if (++index[d] < s.dims[d]) break;
      o -= out_strides[d] * s.dims[d];
      index[d] = 0;
    }
  }
}

template <typename T>
TfLiteStatus EvalTyped(TfLiteContext* context, TfLiteNode* node, ReduceOp op,
                       const ReduceShape& s) {
  const T* in = Data<T>(GetInput(context, node, 0));
  T* out = Data<T>(GetOutput(context, node, 0));
  if (op == ReduceOp::kMean && std::is_integral<T>::value) {
    std::vector<int64_t> sums(s.out_count, 0);
    ForEachReduced(s, [&](int64_t i, int64_t o) { sums[o] += in[i]; });
    for (int64_t o = 0; o < s.out_count; ++o) {
      out[o] = s.reduced_count > 0 ? static_cast<T>(sums[o] / s.reduced_count) : T(0);
    }
    return kTfLiteOk;
  }
  T init = 0;
  if (op == ReduceOp::kMax) init = std::numeric_limits<T>::lowest();
  if (op == ReduceOp::kMin) init = std::numeric_limits<T>::max();
  for (int64_t o = 0; o < s.out_count; ++o) out[o] = init;
  switch (op) {
    case ReduceOp::kSum:
    case ReduceOp::kMean:
      if constexpr (std::is_same<T, int32_t>::value) {
        ForEachReduced(s, [&](int64_t i, int64_t o) { out[o] = WrapAdd(out[o], in[i]); });
      } else {
        ForEachReduced(s, [&](int64_t i, int64_t o) { out[o] = out[o] + in[i]; });
      }
      break;
    case ReduceOp::kMax:
      ForEachReduced(s, [&](int64_t i, int64_t o) { out[o] = out[o] > in[i] ? out[o] : in[i]; });
      break;
    case ReduceOp::kMin:
      ForEachReduced(s, [&](int64_t i, int64_t o) { out[o] = out[o] < in[i] ? out[o] : in[i]; });
      break;
  }
  if (op == ReduceOp::kMean && s.reduced_count > 0) {
    const float n = static_cast<float>(s.reduced_count);
    for (int64_t o = 0; o < s.out_count; ++o) out[o] = static_cast<T>(out[o] / n);
  }
  return kTfLiteOk;
}

}  // namespace

bool IsTypedReduceType(TfLiteType t) { return t == kTfLiteFloat32 || t == kTfLiteInt32; }

TfLiteStatus PrepareReduceTyped(TfLiteContext* context, TfLiteNode* node, ReduceOp op,
                                ReduceShape* s) {
  const char* name = Name(op);
  SYSTOLE_KERNEL_ENSURE_OK(CheckArity(context, node, name, 2, 2, 1));
  const auto* params = static_cast<const TfLiteReducerParams*>(node->builtin_data);
  SYSTOLE_KERNEL_ENSURE(context, params != nullptr, "%s: missing ReducerOptions", name);
  const TfLiteTensor* input = GetInput(context, node, 0);
  const TfLiteTensor* axis = GetInput(context, node, 1);
  TfLiteTensor* output = GetOutput(context, node, 0);
  SYSTOLE_KERNEL_ENSURE(context, IsTypedReduceType(input->type) && output->type == input->type,
                        "%s: input type %s with output type %s is not supported (FLOAT32 or "
                        "INT32, same type)",
                        name, TypeName(input->type), TypeName(output->type));
  SYSTOLE_KERNEL_ENSURE(context, axis->type == kTfLiteInt32 || axis->type == kTfLiteInt64,
                        "%s: axis type %s is not supported (INT32 or INT64)", name,
                        TypeName(axis->type));
  SYSTOLE_KERNEL_ENSURE(context, IsConstantTensor(axis), "%s: axis must be a constant tensor",
                        name);
  s->rank = NumDimensions(input);
  SYSTOLE_KERNEL_ENSURE(context, s->rank <= kBroadcastMaxDims,
                        "%s: input rank %d is more than %d", name, s->rank, kBroadcastMaxDims);
  for (int d = 0; d < s->rank; ++d) {
    s->dims[d] = SizeOfDimension(input, d);
    s->reduced[d] = false;
  }
  const int64_t num_axis = NumElements(axis);
  for (int64_t i = 0; i < num_axis; ++i) {
    int64_t a = ReadIndex(axis, i);
    const int64_t given = a;
    if (a < 0) a += s->rank;
    SYSTOLE_KERNEL_ENSURE(context, a >= 0 && a < s->rank,
                          "%s: axis %lld is out of range for an input of rank %d", name,
                          static_cast<long long>(given), s->rank);
    s->reduced[a] = true;
  }
  std::vector<int> out_shape;
  s->out_count = 1;
  s->reduced_count = 1;
  for (int d = 0; d < s->rank; ++d) {
    if (s->reduced[d]) {
      s->reduced_count *= s->dims[d];
      if (params->keep_dims) out_shape.push_back(1);
    } else {
      s->out_count *= s->dims[d];
      out_shape.push_back(s->dims[d]);
    }
  }
  return ResizeOutput(context, output, out_shape);
}

TfLiteStatus EvalReduceTyped(TfLiteContext* context, TfLiteNode* node, ReduceOp op,
                             const ReduceShape& s) {
  const TfLiteTensor* input = GetInput(context, node, 0);
  if (input->type == kTfLiteFloat32) return EvalTyped<float>(context, node, op, s);
  if (input->type == kTfLiteInt32) return EvalTyped<int32_t>(context, node, op, s);
  context->ReportError(context, "%s: type %s is not supported", Name(op), TypeName(input->type));
  return kTfLiteError;
}

namespace {

void* InitShape(TfLiteContext*, const char*, size_t) { return new ReduceShape; }
void FreeShape(TfLiteContext*, void* p) { delete static_cast<ReduceShape*>(p); }
template <ReduceOp kOp>
TfLiteStatus PrepareOp(TfLiteContext* context, TfLiteNode* node) {
  return PrepareReduceTyped(context, node, kOp, static_cast<ReduceShape*>(node->user_data));
}
template <ReduceOp kOp>
TfLiteStatus EvalOp(TfLiteContext* context, TfLiteNode* node) {
  return EvalReduceTyped(context, node, kOp, *static_cast<const ReduceShape*>(node->user_data));
}
template <ReduceOp kOp>
const TfLiteRegistration* Registration() {
  static const TfLiteRegistration r =
      KernelRegistration(PrepareOp<kOp>, EvalOp<kOp>, InitShape, FreeShape);
  return &r;
}

}  // namespace

const TfLiteRegistration* RegisterSum(TfliteFlavor) { return Registration<ReduceOp::kSum>(); }
const TfLiteRegistration* RegisterReduceMax(TfliteFlavor) {
  return Registration<ReduceOp::kMax>();
}
const TfLiteRegistration* RegisterReduceMin(TfliteFlavor) {
  return Registration<ReduceOp::kMin>();
}

}  // namespace kernels
}  // namespace systole
