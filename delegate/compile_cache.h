// A process-wide cache of compiled partitions, keyed by the SHA-256 of the
// partition's content: its operators (code, version, parameters), every
// tensor they touch (index, type, shape, quantization, constant bytes), the
// partition's inputs and outputs, the compile options (hardware
// configuration, parameter caching) and the executable format version. Two
// interpreters of the same model, or the same model loaded twice, compile
// each partition once. Failures are cached too (the partitioner retries
// after removing ops, which asks for the same partitions again).
//
// Thread-safe. Entries live until ClearCompileCache() or process exit.
#ifndef SYSTOLE_DELEGATE_COMPILE_CACHE_H_
#define SYSTOLE_DELEGATE_COMPILE_CACHE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "compiler/compiler.h"
#include "interpreter/tflite_c.h"

namespace systole::delegate {

// Hex SHA-256 of the partition's content (see above).
std::string PartitionKey(TfLiteContext* context, const compiler::PartitionSpec& spec,
                         const compiler::CompileOptions& options);

// compiler::CompilePartition through the cache. `hit` (optional) tells
// whether the result came from the cache.
StatusOr<std::shared_ptr<const compiler::CompiledPartition>> CompileCached(
    TfLiteContext* context, const compiler::PartitionSpec& spec,
    const compiler::CompileOptions& options, bool* hit = nullptr);

struct CompileCacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;  // = compiler invocations
  uint64_t entries = 0;
};
CompileCacheStats GetCompileCacheStats();
void ClearCompileCache();

}  // namespace systole::delegate

#endif  // SYSTOLE_DELEGATE_COMPILE_CACHE_H_
