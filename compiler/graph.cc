// The compiler's view of tensors and a few shape and arithmetic rules
// (graph.h).
#include <cmath>
#include <string>
#include <vector>

#include "common/fixed_point.h"
#include "compiler/graph.h"
#include "schema/tflite_generated.h"

namespace systole::compiler {

std::string OpName(int32_t code) {
  if (code < tflite::BuiltinOperator_MIN || code > tflite::BuiltinOperator_MAX) return "UNKNOWN";
  const char* n = tflite::EnumNameBuiltinOperator(static_cast<tflite::BuiltinOperator>(code));
  return n != nullptr && *n ? n : "UNKNOWN";
}

std::vector<int> Dims(const TfLiteTensor* t) {
  std::vector<int> d;
  if (t->dims != nullptr) d.assign(t->dims->data, t->dims->data + t->dims->size);
  return d;
}

int64_t NumElements(const TfLiteTensor* t) {
  int64_t n = 1;
  for (int d : Dims(t)) n *= d;
  return n;
}

Geometry GeometryOf(const TfLiteTensor* t) {
  const std::vector<int> d = Dims(t);
  Geometry g;
  if (d.empty()) return g;
  g.c = d.back();
  if (d.size() >= 2) g.w = d[d.size() - 2];
  int64_t h = 1;
  for (size_t i = 0; i + 2 < d.size(); ++i) h *= d[i];
  g.h = static_cast<int>(h);
  return g;
}

int32_t MeanOutputOffset(const TfLiteTensor* in, const TfLiteTensor* out) {
  // TFLite's optimized 4-D MEAN: bias = out_zp - (int)round_away(in_zp * s_in / s_out), in float.
  float temp = static_cast<float>(in->params.zero_point) * in->params.scale / out->params.scale;
  temp = temp > 0 ? temp + 0.5f : temp - 0.5f;
  return out->params.zero_point - static_cast<int32_t>(temp) - DeviceOffset(out);
}

bool IsNchwToNhwc(const std::vector<int>& d, const int32_t* perm) {
  return d.size() == 4 && d[0] == 1 && perm[0] == 0 && perm[1] == 2 && perm[2] == 3 && perm[3] == 1 &&
         int64_t{d[2]} * d[3] <= 65535;
}

int64_t TransposeRuns(const std::vector<int>& in_dims, const int32_t* perm) {
  // The output's innermost dims that are also innermost, in order, in the input
  // form contiguous runs.
  const int rank = static_cast<int>(in_dims.size());
  int64_t run = 1, total = 1;
  for (int d : in_dims) total *= d;
  for (int k = rank - 1, j = rank - 1; k >= 0 && perm[k] == j; --k, --j) run *= in_dims[j];
  return run == 0 ? 0 : total / run;
}

bool FindRoundingDivisor(int n, int64_t max_sum, int32_t* mult, int* shift) {
  if (n <= 0) return false;
  for (int sh = 30; sh >= -31; --sh) {
    const int t = 31 - sh;
    const long double ideal = std::ldexp(1.0L, t) / n;
    if (ideal > 2147483647.0L) break;
    for (int64_t m : {static_cast<int64_t>(std::floor(ideal)), static_cast<int64_t>(std::ceil(ideal))}) {
      if (m <= 0 || m > 2147483647) continue;
      bool ok = true;
      for (int64_t x = 0; x <= max_sum && ok; ++x)
        ok = MultiplyByQuantizedMultiplierSingleRound(static_cast<int32_t>(x), static_cast<int32_t>(m), sh) ==
             static_cast<int32_t>((x + n / 2) / n);
      if (ok) {
        *mult = static_cast<int32_t>(m);
        *shift = sh;
        return true;
      }
    }
  }
  return false;
}

}  // namespace systole::compiler
