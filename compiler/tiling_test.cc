// The band and halo arithmetic of activation tiling (compiler/tiling.h).
#include "compiler/tiling.h"

#include <gtest/gtest.h>

namespace systole::compiler {
namespace {

TEST(Tiling, HaloOfStrideDilationAndPadding) {
  // 3x3, stride 1, SAME (pad 1): output rows [0, 4) read rows [-1, 5).
  Band b = BandOf(RowWindow{1, 1, 3, 1, 10}, 0, 4);
  EXPECT_EQ(b.in_y0, -1);
  EXPECT_EQ(b.in_y1, 5);
  EXPECT_EQ(b.in_rows(), 6);
  // 3x3, stride 2, VALID: output rows [2, 5) read rows [4, 11).
  b = BandOf(RowWindow{2, 1, 3, 0, 11}, 2, 5);
  EXPECT_EQ(b.in_y0, 4);
  EXPECT_EQ(b.in_y1, 11);
  // 3x3 dilated 4, SAME (pad 4): output rows [0, 3) read [-4, 6): 2 + 2 * 4 + 1 rows.
  b = BandOf(RowWindow{1, 4, 3, 4, 65}, 0, 3);
  EXPECT_EQ(b.in_y0, -4);
  EXPECT_EQ(b.in_y1, 7);
  EXPECT_EQ(InputRowsOf(RowWindow{1, 4, 3, 4, 65}, 3), 11);
  // 1x1 / elementwise: no halo.
  b = BandOf(RowWindow{}, 7, 9);
  EXPECT_EQ(b.in_y0, 7);
  EXPECT_EQ(b.in_y1, 9);
  // Stride 2, SAME on an even height: TFLite puts the odd padding row last
  // (pad_top 0): the last output row reads one row below the tensor.
  const RowWindow even{2, 1, 3, 0, 8};
  b = BandOf(even, 3, 4);
  EXPECT_EQ(b.in_y0, 6);
  EXPECT_EQ(b.in_y1, 9);  // row 8 is padding
}

TEST(Tiling, BandsCoverEveryOutputRowOnceAndTheirHalosOverlap) {
  const RowWindow w{2, 2, 3, 2, 33};  // stride 2, dilation 2
  for (int rows : {1, 2, 5, 16, 17, 40}) {
    const std::vector<Band> bands = SplitBands(w, 17, rows);
    ASSERT_FALSE(bands.empty());
    EXPECT_EQ(bands.front().out_y0, 0);
    EXPECT_EQ(bands.back().out_y1, 17);
    for (size_t i = 0; i < bands.size(); ++i) {
      EXPECT_LE(bands[i].out_y1 - bands[i].out_y0, rows);
      EXPECT_GT(bands[i].out_y1, bands[i].out_y0);
      if (i > 0) {
        EXPECT_EQ(bands[i].out_y0, bands[i - 1].out_y1);
        // The window of 3 taps dilated 2 spans 5 rows at stride 2: 3 rows shared.
        EXPECT_EQ(bands[i - 1].in_y1 - bands[i].in_y0, 3);
      }
      // Each band reads exactly what its first and last rows' windows span.
      EXPECT_EQ(bands[i].in_y0, bands[i].out_y0 * 2 - 2);
      EXPECT_EQ(bands[i].in_y1, (bands[i].out_y1 - 1) * 2 - 2 + 4 + 1);
    }
  }
  EXPECT_TRUE(SplitBands(w, 17, 0).empty());
}

TEST(Tiling, BandRowsAreTheMostThatFitTheBudget) {
  // Two slots of (r + 2) input rows of 1000 bytes and two of r output rows of 500.
  auto bytes = [](int r) { return int64_t{2} * (r + 2) * 1000 + int64_t{2} * r * 500; };
  EXPECT_EQ(MaxBandRows(100, bytes, 2u << 20), 100);   // everything fits: capped at the height
  EXPECT_EQ(MaxBandRows(100, bytes, 64 << 10), 20);    // 2000 + 3000 r <= 65536
  EXPECT_EQ(bytes(20) <= (64 << 10), true);
  EXPECT_EQ(bytes(21) <= (64 << 10), false);
  EXPECT_EQ(MaxBandRows(100, bytes, 7000), 1);
  EXPECT_EQ(MaxBandRows(100, bytes, 6999), 0);  // not even one row
}

}  // namespace
}  // namespace systole::compiler
