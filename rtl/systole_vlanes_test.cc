// Block test of rtl/systole_vlanes.sv (8 lanes): whole instructions through the
// lanes with the operands on the read buses in the cycles the schedule
// delivers them, results checked in the cycles systole_wb writes them:
// POSTPROC (per-channel bias, multiplier, shift from PBUF; common/fixed_point.h;
// POSTPROC_ROWS accumulator rows a cycle, a short last group),
// VADD and VMUL (input rescales, output rescale, clamp from the vector
// registers; TFLite's reference arithmetic) and VMACC (with and without
// accumulate).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "Vsystole_vlanes.h"
#include "common/fixed_point.h"
#include "common/xorshift32.h"
#include "rtl/sim/rtl_test_util.h"
#include "rtl/sim/rtl_unit_test_util.h"

namespace systole::rtl {
namespace {

constexpr int L = isa::kMemReadLatency;

class VlanesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_ = std::make_unique<Vsystole_vlanes>(&ctx_);
    m_->active_i = 0;
    for (int j = 0; j < isa::kNumVregs; ++j) m_->vreg_i[j] = 0;
    Reset(m_.get());
  }
  void SetVreg(isa::VReg r, int32_t v) { m_->vreg_i[static_cast<int>(r)] = static_cast<uint32_t>(v); }
  // acc on the ACC read port (VMACC) or on row 0 of port P (POSTPROC); the
  // other port gets its complement, so that reading the wrong one fails.
  void Bus(int lane, int32_t a, int32_t b, int32_t acc, bool port_p = false) {
    SetBits(m_->a_i, 8 * lane, 8, static_cast<uint8_t>(a));
    SetBits(m_->b_i, 8 * lane, 8, static_cast<uint8_t>(b));
    SetBits(m_->acc_i, 32 * lane, 32, static_cast<uint32_t>(port_p ? ~acc : acc));
    SetPortP(0, lane, port_p ? acc : ~acc);
  }
  // Row g of ACC read port P, lane `lane`.
  void SetPortP(int g, int lane, int32_t acc) {
    SetBits(m_->accp_i, 32 * (g * kUnitCols + lane), 32, static_cast<uint32_t>(acc));
  }
  VerilatedContext ctx_;  // own context (other tests delete theirs)
  std::unique_ptr<Vsystole_vlanes> m_;
};

TEST_F(VlanesTest, Postproc) {
  Xorshift32 rng(TestSeed("VlanesTest.Postproc", 0x9b1u));
  isa::PostprocArgs a;
  constexpr int P = isa::kPostprocRows;
  a.m = 3 * P + 2;  // a short last group
  a.n = kUnitCols;
  a.out_zp = -3;
  a.act_min = -100;
  a.act_max = 90;
  const isa::Instruction insn = Insn(a);
  int32_t bias[kUnitCols], mult[kUnitCols], shift[kUnitCols];
  for (int c = 0; c < kUnitCols; ++c) {
    bias[c] = static_cast<int32_t>(rng.Next()) >> 12;
    mult[c] = static_cast<int32_t>((rng.Next() >> 1) | (1u << 30));
    shift[c] = -static_cast<int32_t>(rng.Next() % 20);
  }
  shift[0] = 40;  // clamped to 31 by the lane
  std::vector<std::vector<int32_t>> acc(a.m, std::vector<int32_t>(kUnitCols));
  for (auto& row : acc)
    for (int32_t& v : row) v = static_cast<int32_t>(rng.Next()) >> (rng.Next() % 24);
  const int groups = (int(a.m) + P - 1) / P;
  int checked = 0;
  m_->active_i = 1;
  for (uint64_t t = 0; t < UnitCycles(insn); ++t) {
    SetView(m_.get(), insn, static_cast<uint32_t>(t));
    const int p = static_cast<int>(t) - L;  // parameter vector arriving
    const int j = static_cast<int>(t) - 3 - L;  // ACC row group arriving
    for (int c = 0; c < kUnitCols; ++c) {
      const int32_t word = p == 0 ? bias[c] : p == 1 ? mult[c] : p == 2 ? shift[c] : int32_t(rng.Next());
      SetBits(m_->pbuf_i, 32 * c, 32, static_cast<uint32_t>(word));
      Bus(c, 0, 0, 0, true);
      for (int g = 0; g < P; ++g) {
        const int i = j * P + g;
        SetPortP(g, c, j >= 0 && i < int(a.m) ? acc[i][c] : int32_t(rng.Next()));
      }
    }
    m_->clk_i = 0;
    m_->eval();
    const int out = static_cast<int>(t) - 3 - L - isa::kRequantLatency;  // group written
    if (out >= 0 && out < groups) {
      for (int g = 0; g < P && out * P + g < int(a.m); ++g) {
        const int i = out * P + g;
        for (int c = 0; c < kUnitCols; ++c) {
          const int32_t x = static_cast<int32_t>(uint32_t(acc[i][c]) + uint32_t(bias[c]));
          const int32_t y = MultiplyByQuantizedMultiplier(x, mult[c], std::clamp(shift[c], -31, 31)) + a.out_zp;
          EXPECT_EQ(int8_t(m_->rq_o[g][c]), std::clamp<int32_t>(y, a.act_min, a.act_max))
              << "row " << i << " lane " << c;
        }
        ++checked;
      }
    }
    Tick(m_.get());
  }
  EXPECT_EQ(checked, int(a.m));
  m_->active_i = 0;
}

TEST_F(VlanesTest, VaddAndVmul) {
  Xorshift32 rng(TestSeed("VlanesTest.VaddAndVmul", 0x9b2u));
  SetVreg(isa::VReg::kIn1Zp, 3);
  SetVreg(isa::VReg::kIn2Zp, -7);
  SetVreg(isa::VReg::kLeftShift, 20);
  SetVreg(isa::VReg::kIn1Mult, 1518500250);
  SetVreg(isa::VReg::kIn1Shift, -1);
  SetVreg(isa::VReg::kIn2Mult, 1288490189);
  SetVreg(isa::VReg::kIn2Shift, 0);
  SetVreg(isa::VReg::kOutMult, 1677721600);
  SetVreg(isa::VReg::kOutShift, -20);
  SetVreg(isa::VReg::kOutZp, 5);
  SetVreg(isa::VReg::kActMin, -120);
  SetVreg(isa::VReg::kActMax, 110);
  for (const bool mul : {false, true}) {
    if (mul) {
      SetVreg(isa::VReg::kOutMult, 1373741824);
      SetVreg(isa::VReg::kOutShift, -6);
    }
    const uint32_t len = 37;
    const isa::Instruction insn = mul ? Insn(isa::VmulArgs{len, 0, 0, 0}) : Insn(isa::VaddArgs{len, 0, 0, 0});
    const uint32_t chunks = (len + kUnitCols - 1) / kUnitCols;
    std::vector<int8_t> x1(chunks * kUnitCols), x2(chunks * kUnitCols);
    for (size_t e = 0; e < x1.size(); ++e) {
      x1[e] = static_cast<int8_t>(rng.Next());
      x2[e] = static_cast<int8_t>(rng.Next());
    }
    m_->active_i = 1;
    for (uint64_t t = 0; t < UnitCycles(insn); ++t) {
      SetView(m_.get(), insn, static_cast<uint32_t>(t));
      const int j = static_cast<int>(t) - L;
      for (int c = 0; c < kUnitCols; ++c) {
        const bool in = j >= 0 && j < int(chunks);
        Bus(c, in ? x1[j * kUnitCols + c] : int8_t(rng.Next()), in ? x2[j * kUnitCols + c] : int8_t(rng.Next()), 0);
      }
      m_->clk_i = 0;
      m_->eval();
      const int out = static_cast<int>(t) - L - isa::kEltwiseLatency;
      if (out >= 0 && out < int(chunks)) {
        for (int c = 0; c < kUnitCols; ++c) {
          const int32_t v1 = x1[out * kUnitCols + c] - 3, v2 = x2[out * kUnitCols + c] + 7;
          int32_t raw;
          if (mul) {
            raw = MultiplyByQuantizedMultiplier(v1 * v2, 1373741824, -6);
          } else {
            const int32_t y1 = MultiplyByQuantizedMultiplier(v1 * (1 << 20), 1518500250, -1);
            const int32_t y2 = MultiplyByQuantizedMultiplier(v2 * (1 << 20), 1288490189, 0);
            raw = MultiplyByQuantizedMultiplier(y1 + y2, 1677721600, -20);
          }
          EXPECT_EQ(int8_t(m_->rq_o[0][c]), std::clamp<int32_t>(raw + 5, -120, 110))
              << (mul ? "VMUL" : "VADD") << " chunk " << out << " lane " << c;
        }
      }
      Tick(m_.get());
    }
    m_->active_i = 0;
  }
}

TEST_F(VlanesTest, Vmacc) {
  Xorshift32 rng(TestSeed("VlanesTest.Vmacc", 0x9b3u));
  for (const bool accumulate : {false, true}) {
    isa::VmaccArgs a;
    a.w_shift = accumulate ? 19 : 7;  // products past 2^31 wrap
    a.a_inner_count = 1;
    a.m = 9;
    a.n = kUnitCols;
    a.accumulate = accumulate;
    const isa::Instruction insn = Insn(a);
    int8_t w[kUnitCols];
    for (int8_t& v : w) v = static_cast<int8_t>(rng.Next());
    std::vector<std::vector<int8_t>> x(a.m, std::vector<int8_t>(kUnitCols));
    std::vector<std::vector<int32_t>> acc(a.m, std::vector<int32_t>(kUnitCols));
    for (uint32_t i = 0; i < a.m; ++i)
      for (int c = 0; c < kUnitCols; ++c) {
        x[i][c] = static_cast<int8_t>(rng.Next());
        acc[i][c] = static_cast<int32_t>(rng.Next()) >> 4;
      }
    m_->active_i = 1;
    for (uint64_t t = 0; t < UnitCycles(insn); ++t) {
      SetView(m_.get(), insn, static_cast<uint32_t>(t));
      const int i = static_cast<int>(t) - 1 - L;  // pixel (and ACC row) arriving
      const bool in = i >= 0 && i < int(a.m);
      for (int c = 0; c < 4 * kUnitCols; ++c)
        SetBits(m_->pbuf_i, 8 * c, 8, t == L && c < kUnitCols ? uint8_t(w[c]) : rng.Next() & 0xFF);
      for (int c = 0; c < kUnitCols; ++c)
        Bus(c, in ? x[i][c] : int8_t(rng.Next()), 0, in ? acc[i][c] : int32_t(rng.Next()));
      m_->clk_i = 0;
      m_->eval();
      const int out = static_cast<int>(t) - 1 - L - isa::kVmaccLatency;  // row written
      if (out >= 0 && out < int(a.m)) {
        for (int c = 0; c < kUnitCols; ++c) {
          const int32_t want = static_cast<int32_t>(static_cast<uint32_t>(accumulate ? acc[out][c] : 0) +
                                                    (static_cast<uint32_t>(int32_t{x[out][c]} * w[c]) << a.w_shift));
          EXPECT_EQ(int32_t(m_->vm_o[c]), want) << "row " << out << " lane " << c;
        }
      }
      Tick(m_.get());
    }
    m_->active_i = 0;
  }
}

}  // namespace
}  // namespace systole::rtl
