// The memory ports of the compute core (docs/accelerator.md, "Memory ports")
// as C++ structs, and the device side that services them from CoreMemories.
// An RTL adapter copies the Verilated model's port outputs into CoreRequests
// after the rising edge, calls ServiceCorePorts(), and drives the returned
// CoreReadData into the model's *_rdata_i inputs for the next cycle. This is
// the whole co-simulation boundary; keeping it here means every core sees the
// same port semantics:
//   * a read returns `len` bytes from `addr`; bytes >= len of the bus are 0;
//   * reads are serviced before writes (read-first within a cycle);
//   * the device validated every instruction, so an address outside a memory
//     is a core bug: it is reported (Internal) and the access is dropped/zero.
#ifndef SYSTOLE_ARCH_CORE_PORTS_H_
#define SYSTOLE_ARCH_CORE_PORTS_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "arch/compute_core.h"
#include "schema/isa/isa_generated.h"
#include "common/status.h"

namespace systole::sim {

struct ByteReadReq {
  bool req = false;
  uint32_t addr = 0;
  uint32_t len = 0;
};

// The PBUF read port: `len` contiguous bytes (up to 4*C; rows = 1), or
// (rows > 1, a MATMUL's preload: PRELOAD_ROWS weight rows a cycle) `rows`
// rows of `len` <= C bytes at addr + g*stride into bus bytes g*C ...
struct PbufReadReq : ByteReadReq {
  uint32_t rows = 1;
  uint32_t stride = 0;
};

struct CoreRequests {
  ByteReadReq abuf_a;  // up to max(R, C) bytes
  ByteReadReq abuf_b;  // up to C bytes
  PbufReadReq pbuf;    // up to 4*C bytes
  bool abuf_we = false;
  uint32_t abuf_waddr = 0, abuf_wlen = 0;  // up to C bytes
  const uint8_t* abuf_wdata = nullptr;
  bool acc_re = false;
  uint32_t acc_raddr = 0;
  // ACC read port P (POSTPROC beside MATMULs): rows accp_raddr + g for every
  // g < isa::kPostprocRows with accp_rows[g] (P x C int32, row-major; other
  // rows of the bus are 0).
  bool accp_re = false;
  uint32_t accp_raddr = 0;
  const bool* accp_rows = nullptr;  // kPostprocRows flags
  // ABUF write port P (POSTPROC): abuf_p_len bytes from row g of the
  // kPostprocRows x C byte bus to abuf_p_addr[g], for every g with
  // abuf_p_rows[g].
  bool abuf_p_we = false;
  uint32_t abuf_p_len = 0;
  const bool* abuf_p_rows = nullptr;      // kPostprocRows flags
  const uint32_t* abuf_p_addr = nullptr;  // kPostprocRows addresses
  const uint8_t* abuf_p_wdata = nullptr;  // kPostprocRows x C
  bool acc_we = false;
  uint32_t acc_waddr = 0;
  const int32_t* acc_wdata = nullptr;  // C lanes
  const bool* acc_wmask = nullptr;     // C lanes; nullptr = all lanes
  // VMACC_WIDE's ports: ABUF port V reads `abuf_v_len` bytes at
  // abuf_v_addr[r] into row r (r < R) of its R x C byte bus for every row with
  // abuf_v_rows[r]; the wide ACC ports read / write rows raddr + r / waddr + r
  // (R x C int32, row-major) for every row with its flag set (writes: lanes
  // with accv_wmask[c]). Other rows of a read bus are 0.
  bool abuf_v_req = false;
  uint32_t abuf_v_len = 0;
  const uint32_t* abuf_v_addr = nullptr;  // R addresses
  const bool* abuf_v_rows = nullptr;      // R flags
  bool accv_re = false;
  uint32_t accv_raddr = 0;
  const bool* accv_rrows = nullptr;  // R flags
  bool accv_we = false;
  uint32_t accv_waddr = 0;
  const bool* accv_wrows = nullptr;    // R flags
  const bool* accv_wmask = nullptr;    // C lanes
  const int32_t* accv_wdata = nullptr;  // R x C
};

// Data for the next cycle; sized by Resize(config).
struct CoreReadData {
  std::vector<uint8_t> abuf_a, abuf_b, pbuf;
  std::vector<int32_t> acc, accp;  // accp: kPostprocRows x C
  std::vector<uint8_t> abuf_v;  // R x C
  std::vector<int32_t> accv;    // R x C
  void Resize(const CoreConfig& c) {
    abuf_v.assign(size_t(c.rows) * c.cols, 0);
    accv.assign(size_t(c.rows) * c.cols, 0);
    abuf_a.assign(std::max(c.rows, c.cols), 0);
    abuf_b.assign(c.cols, 0);
    pbuf.assign(4 * c.cols, 0);
    acc.assign(c.cols, 0);
    accp.assign(size_t{isa::kPostprocRows} * c.cols, 0);
  }
};

// Services one cycle of port requests. Returns the first out-of-range access
// as Internal (the core broke the contract) but always completes the cycle.
inline Status ServiceCorePorts(const CoreConfig& c, const CoreMemories& m, const CoreRequests& r,
                               CoreReadData* out) {
  Status status;
  auto fail = [&](const char* port, uint64_t addr, uint64_t len) {
    if (status.ok()) status = Internal("compute core: %s access [%llu, +%llu) out of range", port,
                                       static_cast<unsigned long long>(addr), static_cast<unsigned long long>(len));
  };
  auto read = [&](const ByteReadReq& q, const uint8_t* mem, uint32_t size, std::vector<uint8_t>* bus,
                  const char* port) {
    if (!q.req) return;
    std::fill(bus->begin(), bus->end(), 0);
    const uint64_t len = std::min<uint64_t>(q.len, bus->size());
    if (uint64_t{q.addr} + len > size) return fail(port, q.addr, len);
    std::memcpy(bus->data(), mem + q.addr, len);
  };
  read(r.abuf_a, m.abuf, m.abuf_bytes, &out->abuf_a, "ABUF A");
  read(r.abuf_b, m.abuf, m.abuf_bytes, &out->abuf_b, "ABUF B");
  if (r.pbuf.rows <= 1) {
    read(r.pbuf, m.pbuf, m.pbuf_bytes, &out->pbuf, "PBUF");
  } else if (r.pbuf.req) {
    std::fill(out->pbuf.begin(), out->pbuf.end(), 0);
    const uint32_t rows = std::min<uint32_t>(r.pbuf.rows, 4);
    const uint64_t len = std::min<uint64_t>(r.pbuf.len, c.cols);
    for (uint32_t g = 0; g < rows; ++g) {
      const uint64_t a = uint64_t{r.pbuf.addr} + uint64_t{g} * r.pbuf.stride;
      if (a + len > m.pbuf_bytes) {
        fail("PBUF", a, len);
        continue;
      }
      std::memcpy(out->pbuf.data() + size_t{g} * c.cols, m.pbuf + a, len);
    }
  }
  if (r.acc_re) {
    if (r.acc_raddr >= m.acc_rows) fail("ACC read", r.acc_raddr, 1);
    else std::memcpy(out->acc.data(), m.acc + size_t{r.acc_raddr} * c.cols, sizeof(int32_t) * c.cols);
  }
  // Rows raddr + i (i < n, with flag i) of ACC into row i of a wide bus.
  auto read_rows = [&](uint32_t raddr, const bool* flags, uint32_t n, std::vector<int32_t>* bus, const char* port) {
    std::fill(bus->begin(), bus->end(), 0);
    for (uint32_t i = 0; i < n; ++i) {
      if (!flags[i]) continue;
      const uint64_t a = uint64_t{raddr} + i;
      if (a >= m.acc_rows) {
        fail(port, a, 1);
        continue;
      }
      std::memcpy(bus->data() + size_t{i} * c.cols, m.acc + a * c.cols, sizeof(int32_t) * c.cols);
    }
  };
  if (r.accp_re) read_rows(r.accp_raddr, r.accp_rows, isa::kPostprocRows, &out->accp, "ACC read P");
  if (r.abuf_v_req) {
    std::fill(out->abuf_v.begin(), out->abuf_v.end(), 0);
    const uint64_t len = std::min<uint64_t>(r.abuf_v_len, c.cols);
    for (int row = 0; row < c.rows; ++row) {
      if (!r.abuf_v_rows[row]) continue;
      if (uint64_t{r.abuf_v_addr[row]} + len > m.abuf_bytes) {
        fail("ABUF V", r.abuf_v_addr[row], len);
        continue;
      }
      std::memcpy(out->abuf_v.data() + size_t(row) * c.cols, m.abuf + r.abuf_v_addr[row], len);
    }
  }
  if (r.accv_re) read_rows(r.accv_raddr, r.accv_rrows, uint32_t(c.rows), &out->accv, "ACC wide read");
  if (r.abuf_we) {
    const uint64_t len = std::min<uint64_t>(r.abuf_wlen, c.cols);
    if (uint64_t{r.abuf_waddr} + len > m.abuf_bytes) fail("ABUF write", r.abuf_waddr, len);
    else std::memcpy(m.abuf + r.abuf_waddr, r.abuf_wdata, len);
  }
  if (r.abuf_p_we) {
    const uint64_t len = std::min<uint64_t>(r.abuf_p_len, c.cols);
    for (uint32_t g = 0; g < isa::kPostprocRows; ++g) {
      if (!r.abuf_p_rows[g]) continue;
      if (uint64_t{r.abuf_p_addr[g]} + len > m.abuf_bytes) {
        fail("ABUF write P", r.abuf_p_addr[g], len);
        continue;
      }
      std::memcpy(m.abuf + r.abuf_p_addr[g], r.abuf_p_wdata + size_t{g} * c.cols, len);
    }
  }
  if (r.acc_we) {
    if (r.acc_waddr >= m.acc_rows) {
      fail("ACC write", r.acc_waddr, 1);
    } else {
      int32_t* row = m.acc + size_t{r.acc_waddr} * c.cols;
      for (int i = 0; i < c.cols; ++i)
        if (r.acc_wmask == nullptr || r.acc_wmask[i]) row[i] = r.acc_wdata[i];
    }
  }
  if (r.accv_we) {
    for (int row = 0; row < c.rows; ++row) {
      if (!r.accv_wrows[row]) continue;
      const uint64_t a = uint64_t{r.accv_waddr} + row;
      if (a >= m.acc_rows) {
        fail("ACC wide write", a, 1);
        continue;
      }
      int32_t* dst = m.acc + a * c.cols;
      const int32_t* src = r.accv_wdata + size_t(row) * c.cols;
      for (int i = 0; i < c.cols; ++i)
        if (r.accv_wmask[i]) dst[i] = src[i];
    }
  }
  return status;
}

}  // namespace systole::sim

#endif  // SYSTOLE_ARCH_CORE_PORTS_H_
