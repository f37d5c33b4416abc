#include "arch/core_ports.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace systole::sim {
namespace {

// The memories of a 4x8 core: ABUF and PBUF hold the low byte of their
// addresses, ACC two rows of zeros.
struct Memories {
  Memories(size_t abuf_bytes, size_t pbuf_bytes) : abuf(abuf_bytes), pbuf(pbuf_bytes), acc(2 * 8) {
    for (size_t i = 0; i < abuf.size(); ++i) abuf[i] = static_cast<uint8_t>(i);
    for (size_t i = 0; i < pbuf.size(); ++i) pbuf[i] = static_cast<uint8_t>(i);
    d.Resize(c);
  }
  CoreMemories view() {
    return {abuf.data(), uint32_t(abuf.size()), pbuf.data(), uint32_t(pbuf.size()), acc.data(), 2};
  }
  const CoreConfig c{4, 8};
  std::vector<uint8_t> abuf, pbuf;
  std::vector<int32_t> acc;
  CoreReadData d;  // the read data of the last ServiceCorePorts
};

TEST(CorePortsTest, ReadFirstZeroFillAndRangeErrors) {
  Memories mem(64, 64);
  const CoreConfig& c = mem.c;
  std::vector<uint8_t>& abuf = mem.abuf;
  std::vector<int32_t>& acc = mem.acc;
  CoreReadData& d = mem.d;
  const CoreMemories m = mem.view();
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
  bad.pbuf.req = true;
  bad.pbuf.addr = 60;
  bad.pbuf.len = 8;
  EXPECT_EQ(ServiceCorePorts(c, m, bad, &d).code(), StatusCode::kInternal);
}

// A MATMUL's preload reads PRELOAD_ROWS weight rows a cycle: `rows` rows of
// len bytes, `stride` apart in PBUF, row g into bus bytes g*C ..; bytes past
// len in each row are 0. A row past PBUF's end is an error.
TEST(CorePortsTest, PbufStridedRows) {
  Memories mem(64, 128);
  const CoreConfig& c = mem.c;
  CoreReadData& d = mem.d;
  const CoreMemories m = mem.view();
  std::fill(d.pbuf.begin(), d.pbuf.end(), 0xEE);
  CoreRequests r;
  r.pbuf.req = true;
  r.pbuf.addr = 5;
  r.pbuf.len = 6;
  r.pbuf.rows = 3;
  r.pbuf.stride = 20;
  ASSERT_TRUE(ServiceCorePorts(c, m, r, &d).ok());
  for (int g = 0; g < 4; ++g)
    for (int b = 0; b < 8; ++b) {
      const int want = g < 3 && b < 6 ? 5 + 20 * g + b : 0;
      EXPECT_EQ(d.pbuf[size_t(g) * 8 + b], want) << "row " << g << " byte " << b;
    }
  r.pbuf.addr = 90;  // row 2 at 130: past the end
  EXPECT_EQ(ServiceCorePorts(c, m, r, &d).code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace systole::sim
