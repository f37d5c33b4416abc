// Tests of the Verilated compute core through RtlComputeCore: every uop on its
// own, then random back-to-back programs, each checked bit for bit against a
// straightforward C++ reference (common/fixed_point.h arithmetic) and for the
// exact cycle count (sum of UopCycles).
#include "rtl/sim/rtl_compute_core.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "common/fixed_point.h"
#include "common/xorshift32.h"
#include "rtl/sim/rtl_test_util.h"

namespace systole::rtl {
namespace {

constexpr uint32_t kAccDepth = 512;  // systole_core default AccDepth
constexpr uint32_t kUnifiedRows = 1024, kWeightRows = 256, kParamRows = 16;

int32_t Wrap(int64_t v) { return static_cast<int32_t>(static_cast<uint32_t>(v)); }
int8_t Clamp(int32_t v, int8_t lo, int8_t hi) {
  return static_cast<int8_t>(std::min<int32_t>(std::max<int32_t>(v, lo), hi));
}

struct Lane {
  int32_t bias, mult;
  int8_t shift;
};
Lane ReadLane(const uint8_t* prow, int c) {
  Lane l;
  std::memcpy(&l.bias, prow + c * kParamLaneBytes, 4);
  std::memcpy(&l.mult, prow + c * kParamLaneBytes + 4, 4);
  l.shift = static_cast<int8_t>(prow[c * kParamLaneBytes + 8]);
  return l;
}
void WriteLane(uint8_t* prow, int c, const Lane& l) {
  std::memcpy(prow + c * kParamLaneBytes, &l.bias, 4);
  std::memcpy(prow + c * kParamLaneBytes + 4, &l.mult, 4);
  prow[c * kParamLaneBytes + 8] = static_cast<uint8_t>(l.shift);
}

// Functional reference of systole_core's uops (docs/rtl.md).
class RefCore {
 public:
  RefCore(int rows, int cols) : rows_(rows), cols_(cols), w_(rows * cols), acc_(kAccDepth * cols) {}

  void Run(const Uop& u, FlatCoreMemory& m) {
    const int vec = m.vec_bytes();
    auto U = [&](uint32_t row) { return m.UnifiedRow(row); };
    switch (u.kind) {
      case UopKind::kLoadWeights:
        for (int r = 0; r < rows_; ++r)
          for (int c = 0; c < cols_; ++c)
            w_[r * cols_ + c] = static_cast<int8_t>(m.WeightRow(u.a_addr + r)[c]);
        break;
      case UopKind::kMatmul:
        for (uint32_t i = 0; i < u.len; ++i) {
          const uint8_t* x = U(u.a_addr + i);
          int32_t* acc = &acc_[((u.acc_addr + i) % kAccDepth) * cols_];
          for (int c = 0; c < cols_; ++c) {
            uint32_t y = 0;
            for (int r = 0; r < rows_; ++r)
              y += static_cast<uint32_t>(int32_t{static_cast<int8_t>(x[r])} * w_[r * cols_ + c]);
            acc[c] = Wrap(int64_t{u.accumulate ? acc[c] : 0} + static_cast<int32_t>(y));
          }
        }
        break;
      case UopKind::kRequant: {
        const uint8_t* p = m.ParamRow(u.p_addr);
        for (uint32_t i = 0; i < u.len; ++i) {
          const int32_t* acc = &acc_[((u.acc_addr + i) % kAccDepth) * cols_];
          uint8_t* o = U(u.o_addr + i);
          for (int c = 0; c < cols_; ++c) {
            const Lane l = ReadLane(p, c);
            const int32_t x = MultiplyByQuantizedMultiplier(Wrap(int64_t{acc[c]} + l.bias), l.mult, l.shift);
            o[c] = static_cast<uint8_t>(Clamp(Wrap(int64_t{x} + u.zero_point), u.act_min, u.act_max));
          }
        }
        break;
      }
      case UopKind::kVAdd:
      case UopKind::kVSub:
      case UopKind::kVMul: {
        const uint8_t* p = m.ParamRow(u.p_addr);
        const Lane in1 = ReadLane(p, 0), in2 = ReadLane(p, 1), out = ReadLane(p, 2);
        const int ls = out.bias & 31;
        for (uint32_t i = 0; i < u.len; ++i) {
          const uint8_t* a = U(u.a_addr + i);
          const uint8_t* b = U(u.b_addr + i);
          std::vector<uint8_t> res(cols_);
          for (int c = 0; c < cols_; ++c) {
            const int32_t v1 = Wrap(int64_t{static_cast<int8_t>(a[c])} + in1.bias);
            const int32_t v2 = Wrap(int64_t{static_cast<int8_t>(b[c])} + in2.bias);
            int32_t raw;
            if (u.kind == UopKind::kVMul) {
              raw = Wrap(int64_t{v1} * v2);
            } else {
              const int32_t s1 = MultiplyByQuantizedMultiplier(
                  static_cast<int32_t>(static_cast<uint32_t>(v1) << ls), in1.mult, in1.shift);
              const int32_t s2 = MultiplyByQuantizedMultiplier(
                  static_cast<int32_t>(static_cast<uint32_t>(v2) << ls), in2.mult, in2.shift);
              raw = u.kind == UopKind::kVAdd ? Wrap(int64_t{s1} + s2) : Wrap(int64_t{s1} - s2);
            }
            const int32_t y = MultiplyByQuantizedMultiplier(raw, out.mult, out.shift);
            res[c] = static_cast<uint8_t>(Clamp(Wrap(int64_t{y} + u.zero_point), u.act_min, u.act_max));
          }
          std::memcpy(U(u.o_addr + i), res.data(), cols_);
        }
        break;
      }
      case UopKind::kVMax: {
        std::vector<int8_t> mx(cols_, -128);
        for (uint32_t i = 0; i < u.len; ++i) {
          const uint8_t* b = U(u.b_addr + i * u.stride);
          for (int c = 0; c < cols_; ++c) mx[c] = std::max(mx[c], static_cast<int8_t>(b[c]));
        }
        uint8_t* o = U(u.o_addr);
        for (int c = 0; c < cols_; ++c) o[c] = static_cast<uint8_t>(Clamp(mx[c], u.act_min, u.act_max));
        break;
      }
      case UopKind::kNop:
        break;
    }
    (void)vec;
  }

 private:
  int rows_, cols_;
  std::vector<int8_t> w_;
  std::vector<int32_t> acc_;
};

// Random data in every memory; parameter rows 0..7 hold per-channel requant
// records, 8..15 vector-op records derived from random real scales as TFLite's
// Prepare() would compute them.
void FillMemory(FlatCoreMemory& m, int cols, Xorshift32& rng) {
  for (auto& b : m.unified()) b = rng.NextByte();
  for (auto& b : m.weights()) b = rng.NextByte();
  for (uint32_t r = 0; r < kParamRows; ++r) {
    uint8_t* p = m.params().data() + r * m.param_row_bytes();
    for (int c = 0; c < cols; ++c) {
      Lane l;
      l.bias = static_cast<int32_t>(rng.Next()) >> 16;
      int shift = 0;
      QuantizeMultiplier(std::ldexp(1.0 + (rng.Next() % 1000) / 1000.0, -6 - static_cast<int>(rng.Next() % 10)),
                         &l.mult, &shift);
      l.bias = static_cast<int32_t>(rng.Next()) >> 16;
      l.shift = static_cast<int8_t>(shift);
      WriteLane(p, c, l);
    }
    if (r >= 8) {  // vector-op record: ADD/SUB style (also used by MUL: lane 2)
      const double s1 = 0.01 + (rng.Next() % 1000) / 10000.0;
      const double s2 = 0.01 + (rng.Next() % 1000) / 10000.0;
      const double so = 0.02 + (rng.Next() % 1000) / 5000.0;
      const int left_shift = 20;
      const double twice_max = 2 * std::max(s1, s2);
      Lane in1{static_cast<int32_t>(rng.Next() % 256) - 128, 0, 0};
      Lane in2{static_cast<int32_t>(rng.Next() % 256) - 128, 0, 0};
      Lane out{left_shift, 0, 0};
      int sh = 0;
      QuantizeMultiplierSmallerThanOneExp(s1 / twice_max, &in1.mult, &sh);
      in1.shift = static_cast<int8_t>(sh);
      QuantizeMultiplierSmallerThanOneExp(s2 / twice_max, &in2.mult, &sh);
      in2.shift = static_cast<int8_t>(sh);
      const double out_real = (r & 1) ? s1 * s2 / so  // MUL-style scale
                                      : twice_max / ((1 << left_shift) * so);
      QuantizeMultiplier(out_real, &out.mult, &sh);
      out.shift = static_cast<int8_t>(sh);
      WriteLane(p, 0, in1);
      WriteLane(p, 1, in2);
      WriteLane(p, 2, out);
    }
  }
}

Uop RandomUop(UopKind kind, int rows, Xorshift32& rng) {
  Uop u;
  u.kind = kind;
  u.len = 1 + rng.Next() % 40;
  u.a_addr = rng.Next() % 300;          // inputs in rows [0, 400)
  u.b_addr = 100 + rng.Next() % 300;
  u.o_addr = 500 + rng.Next() % 400;    // outputs in rows [500, 1000)
  u.acc_addr = rng.Next() % kAccDepth;  // wraps around the accumulator
  u.accumulate = rng.Next() & 1;
  u.zero_point = static_cast<int32_t>(rng.Next() % 256) - 128;
  int8_t lo = static_cast<int8_t>(rng.NextByte()), hi = static_cast<int8_t>(rng.NextByte());
  if (rng.Next() & 1) lo = -128, hi = 127;
  u.act_min = std::min(lo, hi);
  u.act_max = std::max(lo, hi);
  u.p_addr = rng.Next() % 8;
  u.stride = 1 + rng.Next() % 7;
  switch (kind) {
    case UopKind::kLoadWeights:
      u.a_addr = rng.Next() % (kWeightRows - rows);
      break;
    case UopKind::kVAdd:
    case UopKind::kVSub:
    case UopKind::kVMul:
      u.p_addr = 8 + rng.Next() % 8;
      break;
    default:
      break;
  }
  return u;
}

class RtlCoreTest : public ::testing::TestWithParam<int> {
 protected:
  void RunAndCompare(const std::vector<Uop>& prog, uint32_t seed) {
    const int n = GetParam();
    auto core_or = CreateRtlComputeCore(n, n);
    ASSERT_TRUE(core_or.ok()) << core_or.status().ToString();
    auto core = std::move(core_or).value();
    Xorshift32 rng(seed);
    FlatCoreMemory rtl_mem(n, n, kUnifiedRows, kWeightRows, kParamRows);
    FillMemory(rtl_mem, n, rng);
    FlatCoreMemory ref_mem = rtl_mem;
    RefCore ref(n, n);
    // Give the accumulator defined contents first (a matmul without accumulate).
    std::vector<Uop> full = {Uop{UopKind::kLoadWeights}, Uop{UopKind::kMatmul}};
    full[1].len = kAccDepth;
    full.insert(full.end(), prog.begin(), prog.end());
    uint64_t expect_cycles = 0;
    for (const Uop& u : full) {
      ref.Run(u, ref_mem);
      expect_cycles += UopCycles(u, n, n);
    }
    uint64_t cycles = 0;
    const Status s = core->Run(full, rtl_mem, &cycles);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(cycles, expect_cycles);
    const int vec = rtl_mem.vec_bytes();
    for (uint32_t row = 0; row < kUnifiedRows; ++row) {
      for (int c = 0; c < vec; ++c) {
        ASSERT_EQ(static_cast<int>(static_cast<int8_t>(rtl_mem.unified()[row * vec + c])),
                  static_cast<int>(static_cast<int8_t>(ref_mem.unified()[row * vec + c])))
            << "unified row " << row << " byte " << c;
      }
    }
  }
};

// One instruction kind per test (after weights + a matmul set up state).
void AddKindTests(std::vector<Uop>& prog, UopKind kind, int n, Xorshift32& rng) {
  for (int i = 0; i < 6; ++i) {
    if (kind == UopKind::kRequant) {
      Uop mm = RandomUop(UopKind::kMatmul, n, rng);
      prog.push_back(mm);
      Uop rq = RandomUop(UopKind::kRequant, n, rng);
      rq.acc_addr = mm.acc_addr;
      prog.push_back(rq);
    } else {
      prog.push_back(RandomUop(kind, n, rng));
    }
  }
}

TEST_P(RtlCoreTest, LoadWeightsAndMatmul) {
  const uint32_t seed = TestSeed("RtlCoreTest.LoadWeightsAndMatmul", 11);
  Xorshift32 rng(seed);
  std::vector<Uop> prog;
  for (int i = 0; i < 3; ++i) {
    prog.push_back(RandomUop(UopKind::kLoadWeights, GetParam(), rng));
    Uop mm = RandomUop(UopKind::kMatmul, GetParam(), rng);
    prog.push_back(mm);
    Uop mm2 = mm;  // accumulate a second K-tile onto the same rows
    mm2.accumulate = true;
    mm2.a_addr = rng.Next() % 300;
    prog.push_back(mm2);
    Uop rq = RandomUop(UopKind::kRequant, GetParam(), rng);
    rq.acc_addr = mm.acc_addr;
    rq.len = mm.len;
    prog.push_back(rq);
  }
  RunAndCompare(prog, seed);
}

#define SYSTOLE_KIND_TEST(Name, Kind, Seed)                       \
  TEST_P(RtlCoreTest, Name) {                                     \
    const uint32_t seed = TestSeed("RtlCoreTest." #Name, Seed);   \
    Xorshift32 rng(seed);                                         \
    std::vector<Uop> prog;                                        \
    AddKindTests(prog, Kind, GetParam(), rng);                    \
    RunAndCompare(prog, seed);                                    \
  }
SYSTOLE_KIND_TEST(Requant, UopKind::kRequant, 12)
SYSTOLE_KIND_TEST(VAdd, UopKind::kVAdd, 13)
SYSTOLE_KIND_TEST(VSub, UopKind::kVSub, 14)
SYSTOLE_KIND_TEST(VMul, UopKind::kVMul, 15)
SYSTOLE_KIND_TEST(VMax, UopKind::kVMax, 16)
SYSTOLE_KIND_TEST(Nop, UopKind::kNop, 17)

TEST_P(RtlCoreTest, RandomProgram) {
  const uint32_t seed = TestSeed("RtlCoreTest.RandomProgram", 18);
  Xorshift32 rng(seed);
  std::vector<Uop> prog;
  const UopKind kinds[] = {UopKind::kLoadWeights, UopKind::kMatmul, UopKind::kRequant,
                           UopKind::kVAdd,        UopKind::kVSub,   UopKind::kVMul,
                           UopKind::kVMax,        UopKind::kNop};
  for (int i = 0; i < 60; ++i) prog.push_back(RandomUop(kinds[rng.Next() % 8], GetParam(), rng));
  RunAndCompare(prog, seed);
}

INSTANTIATE_TEST_SUITE_P(Sizes, RtlCoreTest, ::testing::Values(8, 16),
                         [](const auto& info) { return std::to_string(info.param) + "x" + std::to_string(info.param); });

TEST(RtlCore, UnsupportedSizeIsAnError) {
  auto core = CreateRtlComputeCore(12, 12);
  EXPECT_FALSE(core.ok());
}

TEST(RtlCore, OutOfRangeAddressIsReportedNotFatal) {
  auto core = std::move(CreateRtlComputeCore(8, 8)).value();
  FlatCoreMemory mem(8, 8, 16, 16, 1);
  Uop u;
  u.kind = UopKind::kMatmul;
  u.a_addr = 10;
  u.len = 10;  // rows 10..19, memory has 16
  uint64_t cycles = 0;
  const Status s = core->Run({u}, mem, &cycles);
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange) << s.ToString();
  EXPECT_EQ(cycles, UopCycles(u, 8, 8));
}

TEST(RtlCore, WritesFstTrace) {
  auto core = std::move(CreateRtlComputeCore(8, 8)).value();
  const std::string path = ::testing::TempDir() + "rtl_core_trace.fst";
  ASSERT_TRUE(core->StartTrace(path).ok());
  FlatCoreMemory mem(8, 8, 64, 16, 4);
  Uop lw{UopKind::kLoadWeights};
  Uop mm{UopKind::kMatmul};
  mm.len = 8;
  ASSERT_TRUE(core->Run({lw, mm}, mem, nullptr).ok());
  core->StopTrace();
  FILE* f = std::fopen(path.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  std::fseek(f, 0, SEEK_END);
  EXPECT_GT(std::ftell(f), 100);
  std::fclose(f);
}

}  // namespace
}  // namespace systole::rtl
