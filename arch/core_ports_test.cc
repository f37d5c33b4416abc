#include "arch/core_ports.h"

#include <gtest/gtest.h>

namespace systole::sim {
namespace {

TEST(CorePortsTest, ReadFirstZeroFillAndRangeErrors) {
  const CoreConfig c{4, 8};
  std::vector<uint8_t> abuf(64), pbuf(64);
  std::vector<int32_t> acc(2 * 8);
  for (int i = 0; i < 64; ++i) abuf[i] = static_cast<uint8_t>(i);
  CoreMemories m{abuf.data(), 64, pbuf.data(), 64, acc.data(), 2};
  CoreReadData d;
  d.Resize(c);
  CoreRequests r;
  r.abuf_a = {true, 10, 3};
  const uint8_t w[8] = {100, 101, 102, 103, 104, 105, 106, 107};
  r.abuf_we = true;
  r.abuf_waddr = 10;
  r.abuf_wlen = 2;
  r.abuf_wdata = w;
  ASSERT_TRUE(ServiceCorePorts(c, m, r, &d).ok());
  EXPECT_EQ(d.abuf_a[0], 10);  // read first: old data
  EXPECT_EQ(d.abuf_a[2], 12);
  EXPECT_EQ(d.abuf_a[3], 0);   // beyond len: zero
  EXPECT_EQ(abuf[10], 100);    // then the write
  EXPECT_EQ(abuf[12], 12);     // only len bytes written

  const int32_t lanes[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  const bool mask[8] = {true, false, true, false, true, false, true, false};
  CoreRequests a;
  a.acc_we = true;
  a.acc_waddr = 1;
  a.acc_wdata = lanes;
  a.acc_wmask = mask;
  ASSERT_TRUE(ServiceCorePorts(c, m, a, &d).ok());
  EXPECT_EQ(acc[8], 1);
  EXPECT_EQ(acc[9], 0);

  CoreRequests bad;
  bad.pbuf = {true, 60, 8};
  EXPECT_EQ(ServiceCorePorts(c, m, bad, &d).code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace systole::sim
