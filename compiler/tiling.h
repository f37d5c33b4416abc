// Activation tiling (docs/tiling.md): when a partition's activations do not
// fit ABUF, every operator runs in row bands streamed between host memory
// and ABUF, double-buffered against compute. This header holds the band and
// halo arithmetic (unit-tested in tiling_test.cc); the pass itself is
// PartitionCompiler::RunTiled (tiling.cc).
#ifndef SYSTOLE_COMPILER_TILING_H_
#define SYSTOLE_COMPILER_TILING_H_

#include <cstdint>
#include <functional>
#include <vector>

namespace systole::compiler {

// An operator's vertical window over one input: output row y reads input
// rows [y*stride - pad_top, y*stride - pad_top + (kernel-1)*dilation + 1).
// Elementwise operators: stride 1, kernel 1, pad 0.
struct RowWindow {
  int stride = 1, dilation = 1, kernel = 1, pad_top = 0;
  int in_h = 1;  // input rows; rows outside [0, in_h) are padding
};

// Output rows [out_y0, out_y1) and the input rows [in_y0, in_y1) they read
// (the halo included; may reach outside [0, in_h): padding rows).
struct Band {
  int out_y0 = 0, out_y1 = 0;
  int in_y0 = 0, in_y1 = 0;
  int in_rows() const { return in_y1 - in_y0; }
};

// The band of output rows [y0, y1).
Band BandOf(const RowWindow& w, int y0, int y1);
// Input rows a band of `rows` output rows reads (its buffer's height).
int64_t InputRowsOf(const RowWindow& w, int rows);
// oh output rows in bands of `rows` (the last one shorter).
std::vector<Band> SplitBands(const RowWindow& w, int oh, int rows);
// The largest r in [1, oh] with bytes(r) <= budget (bytes grows with r),
// or 0 when not even one row fits.
int MaxBandRows(int oh, const std::function<int64_t(int)>& bytes, int64_t budget);

}  // namespace systole::compiler

#endif  // SYSTOLE_COMPILER_TILING_H_
