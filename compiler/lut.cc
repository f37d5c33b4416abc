#include "compiler/lut.h"

#include <climits>

#include "compiler/graph.h"
#include "interpreter/kernel_runner.h"
#include "schema/tflite_generated.h"

namespace systole::compiler {

StatusOr<std::vector<uint8_t>> BuildLut(TfLiteContext* context, int node_index, const std::string& op_name,
                                        TfliteFlavor flavor) {
  TfLiteNode* node = nullptr;
  TfLiteRegistration* reg = nullptr;
  if (context->GetNodeAndRegistration(context, node_index, &node, &reg) != kTfLiteOk)
    return InvalidArgument("op %d: no such node", node_index);
  return BuildLutFor(flavor, &context->tensors[node->inputs->data[0]], &context->tensors[node->outputs->data[0]],
                     reg->builtin_code, StrFormat("%s (op %d)", op_name.c_str(), node_index));
}

StatusOr<std::vector<uint8_t>> BuildLutFor(TfliteFlavor flavor, const TfLiteTensor* in, const TfLiteTensor* out,
                                           int32_t builtin_code, const std::string& what) {
  // The op's CPU kernel on one [1, 256] input holding every value, with
  // default options (a one-input CONCATENATION: axis 0, no activation).
  KernelRunner runner(flavor, builtin_code, 1);
  const int x = runner.AddTensor(in->type, {1, 256}, in->params.scale, in->params.zero_point);
  const int y = runner.AddTensor(out->type, {1, 256}, out->params.scale, out->params.zero_point);
  TfLiteConcatenationParams concat{};
  void* options = builtin_code == tflite::BuiltinOperator_CONCATENATION ? &concat : nullptr;
  Status s = runner.Prepare({x}, {y}, options);
  if (!s.ok()) return Annotate(s, what + ": tabulating");
  const int in_off = in->type == kTfLiteUInt8 ? 128 : 0;
  const int out_off = out->type == kTfLiteUInt8 ? 128 : 0;
  for (int i = 0; i < 256; ++i) runner.data(x)[i] = static_cast<uint8_t>(i - 128 + in_off);  // device value i-128
  s = runner.Invoke();
  if (!s.ok()) return Annotate(s, what + ": tabulating");
  std::vector<uint8_t> table(256);
  for (int i = 0; i < 256; ++i) table[i] = static_cast<uint8_t>(runner.data(y)[i] - out_off);
  return table;
}

StatusOr<NearestIndices> ProbeResizeNearest(TfliteFlavor flavor, const TfLiteTensor* in, const TfLiteTensor* out,
                                            bool align_corners, bool half_pixel_centers) {
  const int h = in->dims->data[1], w = in->dims->data[2];
  const int oh = out->dims->data[1], ow = out->dims->data[2];
  if (h > 256 || w > 256) return Unimplemented("RESIZE_NEAREST_NEIGHBOR: input above 256x256 cannot be probed");
  const bool u8 = in->type == kTfLiteUInt8;
  NearestIndices idx;
  // Pass 0: every input pixel holds its row; pass 1: its column.
  for (int pass = 0; pass < 2; ++pass) {
    KernelRunner runner(flavor, tflite::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR, 3);
    const int x = runner.AddTensor(in->type, {1, h, w, 1}, 1.0f, 0);
    const int size = runner.AddConstInt32({oh, ow});
    const int y = runner.AddTensor(in->type, {1, oh, ow, 1}, 1.0f, 0);
    TfLiteResizeNearestNeighborParams options{};
    options.align_corners = align_corners;
    options.half_pixel_centers = half_pixel_centers;
    Status s = runner.Prepare({x, size}, {y}, &options);
    if (!s.ok()) return Annotate(s, "probing RESIZE_NEAREST_NEIGHBOR");
    for (int r = 0; r < h; ++r)
      for (int c = 0; c < w; ++c) runner.data(x)[r * w + c] = static_cast<uint8_t>((pass == 0 ? r : c) - (u8 ? 0 : 128));
    s = runner.Invoke();
    if (!s.ok()) return Annotate(s, "probing RESIZE_NEAREST_NEIGHBOR");
    const uint8_t* res = runner.data(y);
    auto val = [&](int i) { return static_cast<int>(static_cast<uint8_t>(res[i] + (u8 ? 0 : 128))); };
    if (pass == 0)
      for (int r = 0; r < oh; ++r) idx.rows.push_back(val(r * ow));
    else
      for (int c = 0; c < ow; ++c) idx.cols.push_back(val(c));
  }
  return idx;
}

StatusOr<GatherSources> ProbeGather(TfliteFlavor flavor, const TfLiteContext* context, const TfLiteNode* node,
                                    int32_t builtin_code, const std::string& what) {
  KernelRunner runner(flavor, builtin_code, 1);
  std::vector<int> inputs, outputs;
  int data_index = 0;
  for (int i = 0; i < node->inputs->size; ++i) {
    const int t = node->inputs->data[i];
    if (t < 0) return InvalidArgument("%s: optional input %d is absent", what.c_str(), i);
    const TfLiteTensor& in = context->tensors[t];
    const std::vector<int> dims(in.dims->data, in.dims->data + in.dims->size);
    if (in.allocation_type == kTfLiteMmapRo) {
      if (in.type != kTfLiteInt32 && in.type != kTfLiteInt64)
        return Unimplemented("%s: constant input %d is %d, not an INT32/INT64 index tensor", what.c_str(), i,
                             static_cast<int>(in.type));
      std::vector<int32_t> values(static_cast<size_t>(NumElements(&in)));
      for (size_t k = 0; k < values.size(); ++k) {
        const int64_t v = in.type == kTfLiteInt64 ? in.data.i64[k] : in.data.i32[k];
        if (v < INT32_MIN || v > INT32_MAX) return Unimplemented("%s: index %lld outside int32", what.c_str(), static_cast<long long>(v));
        values[k] = static_cast<int32_t>(v);
      }
      const int c = runner.AddConstInt32(values);
      if (dims.size() != 1) return Unimplemented("%s: index input %d is not 1-D", what.c_str(), i);
      inputs.push_back(c);
      continue;
    }
    const int64_t n = NumElements(&in);
    if (n >= (int64_t{1} << kGatherInputShift) || data_index >= 127)
      return Unimplemented("%s: too large to probe", what.c_str());
    const int x = runner.AddTensor(kTfLiteInt32, dims, in.params.scale, in.params.zero_point);
    for (int64_t k = 0; k < n; ++k)
      reinterpret_cast<int32_t*>(runner.data(x))[k] = static_cast<int32_t>((data_index << kGatherInputShift) | k);
    ++data_index;
    inputs.push_back(x);
  }
  for (int i = 0; i < node->outputs->size; ++i) {
    const TfLiteTensor& out = context->tensors[node->outputs->data[i]];
    outputs.push_back(runner.AddTensor(kTfLiteInt32, std::vector<int>(out.dims->data, out.dims->data + out.dims->size),
                                       out.params.scale, out.params.zero_point));
  }
  Status s = runner.Prepare(inputs, outputs, node->builtin_data);
  if (s.ok()) s = runner.Invoke();
  if (!s.ok()) return Annotate(s, what + ": probing the CPU kernel");
  GatherSources g;
  for (int i = 0; i < node->outputs->size; ++i) {
    const TfLiteTensor& out = context->tensors[node->outputs->data[i]];
    const TfLiteTensor* probe = runner.tensor(outputs[i]);
    if (!TfLiteIntArrayEqualsArray(probe->dims, out.dims->size, out.dims->data))
      return InvalidArgument("%s: output %d shape differs from the CPU kernel's", what.c_str(), i);
    const int32_t* v = reinterpret_cast<const int32_t*>(probe->data.raw);
    g.sources.emplace_back(v, v + NumElements(&out));
  }
  return g;
}

}  // namespace systole::compiler
