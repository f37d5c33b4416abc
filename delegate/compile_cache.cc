#include "delegate/compile_cache.h"

#include <cstddef>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "common/sha256.h"
#include "schema/tflite_generated.h"

namespace systole::delegate {
namespace {

// Appends values in a fixed little-endian layout (x86-64 / LP64 only builds
// this project; the key is never stored on disk).
class KeyWriter {
 public:
  void Bytes(const void* p, size_t n) {
    Int(static_cast<int64_t>(n));
    const auto* b = static_cast<const uint8_t*>(p);
    buf_.insert(buf_.end(), b, b + n);
  }
  void Int(int64_t v) {
    const auto* b = reinterpret_cast<const uint8_t*>(&v);
    buf_.insert(buf_.end(), b, b + sizeof(v));
  }
  void Float(double v) {
    const auto* b = reinterpret_cast<const uint8_t*>(&v);
    buf_.insert(buf_.end(), b, b + sizeof(v));
  }
  void Str(const std::string& s) { Bytes(s.data(), s.size()); }
  void Array(const TfLiteIntArray* a) {
    if (a == nullptr) {
      Int(-1);
      return;
    }
    Int(a->size);
    for (int i = 0; i < a->size; ++i) Int(a->data[i]);
  }
  void Ints(const std::vector<int>& v) {
    Int(static_cast<int64_t>(v.size()));
    for (int x : v) Int(x);
  }
  std::string Digest() const { return Sha256Hex(buf_.data(), buf_.size()); }

 private:
  std::vector<uint8_t> buf_;
};

// Bytes of a builtin op's parameter struct that define it (the parser
// zero-fills the rest). Pool params stop before the `computed` padding,
// which kernels fill in at prepare time. Under a newer TensorFlow Lite the
// structs may carry fields appended after these (e.g. quantized_bias_type):
// the compiler cannot read those either (it sees only this layout), so the
// key covers every input of the compiled result; the support predicate
// refuses the tensor types such fields describe (INT16 biases, ...).
size_t ParamBytes(int32_t code) {
  switch (code) {
    case tflite::BuiltinOperator_CONV_2D: return sizeof(TfLiteConvParams);
    case tflite::BuiltinOperator_DEPTHWISE_CONV_2D: return sizeof(TfLiteDepthwiseConvParams);
    case tflite::BuiltinOperator_FULLY_CONNECTED: return sizeof(TfLiteFullyConnectedParams);
    case tflite::BuiltinOperator_AVERAGE_POOL_2D:
    case tflite::BuiltinOperator_MAX_POOL_2D: return offsetof(TfLitePoolParams, computed);
    case tflite::BuiltinOperator_ADD: return sizeof(TfLiteAddParams);
    case tflite::BuiltinOperator_SUB: return sizeof(TfLiteSubParams);
    case tflite::BuiltinOperator_MUL: return sizeof(TfLiteMulParams);
    case tflite::BuiltinOperator_SOFTMAX: return sizeof(TfLiteSoftmaxParams);
    case tflite::BuiltinOperator_CONCATENATION: return sizeof(TfLiteConcatenationParams);
    case tflite::BuiltinOperator_RESHAPE: return sizeof(TfLiteReshapeParams);
    case tflite::BuiltinOperator_SQUEEZE: return sizeof(TfLiteSqueezeParams);
    case tflite::BuiltinOperator_SPLIT: return sizeof(TfLiteSplitParams);
    case tflite::BuiltinOperator_MEAN: return sizeof(TfLiteReducerParams);
    case tflite::BuiltinOperator_RESIZE_BILINEAR: return sizeof(TfLiteResizeBilinearParams);
    case tflite::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR:
      return sizeof(TfLiteResizeNearestNeighborParams);
    case tflite::BuiltinOperator_TRANSPOSE_CONV: return sizeof(TfLiteTransposeConvParams);
    default: return 0;
  }
}

void WriteTensor(KeyWriter* w, const TfLiteTensor& t) {
  w->Int(t.type);
  w->Array(t.dims);
  w->Int(t.params.zero_point);
  w->Float(t.params.scale);
  w->Int(t.quantization.type);
  if (t.quantization.type == kTfLiteAffineQuantization && t.quantization.params) {
    const auto* q = static_cast<const TfLiteAffineQuantization*>(t.quantization.params);
    w->Int(q->quantized_dimension);
    w->Int(q->scale ? q->scale->size : -1);
    if (q->scale) {
      for (int i = 0; i < q->scale->size; ++i) w->Float(q->scale->data[i]);
    }
    w->Array(q->zero_point);
  }
  const bool constant = t.allocation_type == kTfLiteMmapRo;
  w->Int(constant);
  if (constant) w->Bytes(t.data.raw_const, t.bytes);
}

struct Entry {
  Status status;
  std::shared_ptr<const compiler::CompiledPartition> compiled;
};

struct Cache {
  std::mutex mu;
  std::map<std::string, Entry> entries;
  CompileCacheStats stats;
};

Cache& TheCache() {
  static Cache* cache = new Cache;  // never destroyed: usable until exit
  return *cache;
}

}  // namespace

std::string PartitionKey(TfLiteContext* ctx, const compiler::PartitionSpec& spec,
                         const compiler::CompileOptions& options) {
  KeyWriter w;
  w.Str("systole-partition");
  w.Int(compiler::kExecutableFormatVersion);
  const sim::DeviceConfig& hw = options.hw;
  w.Str(hw.ToString());
  w.Int(hw.rows);
  w.Int(hw.cols);
  w.Float(hw.clock_hz);
  w.Int(hw.abuf_bytes);
  w.Int(hw.pbuf_bytes);
  w.Int(hw.acc_rows);
  w.Int(hw.queue_depth);
  w.Int(hw.token_depth);
  w.Str(hw.link.name);
  w.Float(hw.link.bytes_per_second);
  w.Float(hw.link.latency_seconds);
  w.Int(options.cache_parameters);
  w.Int(static_cast<int>(options.flavor));
  w.Int(options.input_bands);
  w.Ints(spec.nodes);
  w.Ints(spec.inputs);
  w.Ints(spec.outputs);
  std::set<int> tensors;
  for (int n : spec.nodes) {
    TfLiteNode* node = nullptr;
    TfLiteRegistration* reg = nullptr;
    if (ctx->GetNodeAndRegistration(ctx, n, &node, &reg) != kTfLiteOk) {
      w.Str("unknown node");
      continue;
    }
    w.Int(reg->builtin_code);
    w.Int(reg->version);
    w.Str(reg->custom_name ? reg->custom_name : "");
    const size_t pb = ParamBytes(reg->builtin_code);
    w.Bytes(node->builtin_data && pb ? node->builtin_data : "", node->builtin_data ? pb : 0);
    w.Array(node->inputs);
    w.Array(node->outputs);
    for (const TfLiteIntArray* a : {node->inputs, node->outputs}) {
      for (int i = 0; i < a->size; ++i) {
        if (a->data[i] >= 0) tensors.insert(a->data[i]);
      }
    }
  }
  for (int t : tensors) {
    w.Int(t);
    WriteTensor(&w, ctx->tensors[t]);
  }
  return w.Digest();
}

StatusOr<std::shared_ptr<const compiler::CompiledPartition>> CompileCached(
    TfLiteContext* ctx, const compiler::PartitionSpec& spec, const compiler::CompileOptions& options,
    bool* hit) {
  const std::string key = PartitionKey(ctx, spec, options);
  Cache& cache = TheCache();
  {
    std::lock_guard<std::mutex> lock(cache.mu);
    auto it = cache.entries.find(key);
    if (it != cache.entries.end()) {
      cache.stats.hits++;
      if (hit) *hit = true;
      if (!it->second.status.ok()) return it->second.status;
      return it->second.compiled;
    }
  }
  // Compile outside the lock: partitions of different models compile in parallel.
  StatusOr<compiler::CompiledPartition> c = compiler::CompilePartition(ctx, spec, options);
  Entry e;
  if (c.ok()) {
    e.compiled = std::make_shared<const compiler::CompiledPartition>(std::move(*c));
  } else {
    e.status = c.status();
  }
  std::lock_guard<std::mutex> lock(cache.mu);
  cache.stats.misses++;
  auto [it, inserted] = cache.entries.emplace(key, std::move(e));
  if (inserted) cache.stats.entries++;
  if (hit) *hit = false;
  if (!it->second.status.ok()) return it->second.status;
  return it->second.compiled;
}

CompileCacheStats GetCompileCacheStats() {
  Cache& cache = TheCache();
  std::lock_guard<std::mutex> lock(cache.mu);
  return cache.stats;
}

void ClearCompileCache() {
  Cache& cache = TheCache();
  std::lock_guard<std::mutex> lock(cache.mu);
  cache.entries.clear();
  cache.stats.entries = 0;
}

}  // namespace systole::delegate
