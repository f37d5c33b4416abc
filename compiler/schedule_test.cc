#include "compiler/schedule.h"

#include <gtest/gtest.h>

#include <map>

#include "compiler/tokens.h"

namespace systole::compiler {
namespace {

using namespace tokens;  // NOLINT

Instruction Vlut(uint32_t src, uint32_t len, uint32_t dst, uint32_t lut) {
  isa::VlutArgs v;
  v.src = src;
  v.len = len;
  v.dst = dst;
  v.lut_addr = lut;
  return Instruction{{}, v};
}

Instruction AbufLoad(uint32_t sram, uint32_t bytes) {
  isa::LoadArgs a;
  a.buffer = static_cast<uint32_t>(isa::Buffer::kAbuf);
  a.region = kRegionInput;
  a.rows = 1;
  a.row_bytes = bytes;
  a.sram_addr = sram;
  return Instruction{{}, a};
}

Instruction Store() {
  isa::StoreArgs a;
  a.buffer = static_cast<uint32_t>(isa::Buffer::kAbuf);
  a.region = kRegionOutput;
  a.rows = 1;
  a.row_bytes = 16;
  return Instruction{{}, a};
}

// An op copying 16 bytes by VLUT with a 256-byte table at block offset 0.
OpCode CopyOp(uint32_t src, uint32_t dst) {
  OpCode op;
  op.params.assign(256, 0);
  op.compute.push_back(Vlut(src, 16, dst, 0));
  return op;
}

bool IsNop(const Instruction& i) { return i.opcode() == isa::Opcode::kNop; }
bool Same(isa::Deps a, isa::Deps b) {
  return a.pop_prev == b.pop_prev && a.pop_next == b.pop_next && a.push_prev == b.push_prev &&
         a.push_next == b.push_next;
}

// Every token pushed is popped, on each of the four channels.
void ExpectBalancedTokens(const std::vector<Instruction>& seq) {
  int load_to_compute = 0, compute_to_load = 0, compute_to_store = 0, store_to_compute = 0;
  for (const Instruction& i : seq) {
    const isa::Unit u = i.unit();
    if (u == kLoad) load_to_compute += i.deps.push_next, compute_to_load -= i.deps.pop_next;
    if (u == kStore) store_to_compute += i.deps.push_prev, compute_to_store -= i.deps.pop_prev;
    if (u == kCompute) {
      load_to_compute -= i.deps.pop_prev;
      compute_to_load += i.deps.push_prev;
      compute_to_store += i.deps.push_next;
      store_to_compute -= i.deps.pop_next;
    }
  }
  EXPECT_EQ(load_to_compute, 0);
  EXPECT_EQ(compute_to_load, 0);
  EXPECT_EQ(compute_to_store, 0);
  EXPECT_EQ(store_to_compute, 0);
}

TEST(Tokens, NamedPartnersMapToTheIsaFlags) {
  EXPECT_TRUE(Same(Wait(kCompute, kLoad), isa::Deps{true, false, false, false}));
  EXPECT_TRUE(Same(Wait(kCompute, kStore), isa::Deps{false, true, false, false}));
  EXPECT_TRUE(Same(Signal(kCompute, kLoad), isa::Deps{false, false, true, false}));
  EXPECT_TRUE(Same(Signal(kCompute, kStore), isa::Deps{false, false, false, true}));
  EXPECT_TRUE(Same(Wait(kLoad, kCompute), isa::Deps{false, true, false, false}));
  EXPECT_TRUE(Same(Signal(kLoad, kCompute), isa::Deps{false, false, false, true}));
  EXPECT_TRUE(Same(Wait(kStore, kCompute), isa::Deps{true, false, false, false}));
  EXPECT_TRUE(Same(Signal(kStore, kCompute), isa::Deps{false, false, true, false}));
}

TEST(Schedule, CachedParametersRelocateBlocksAndHandTokensLoadComputeStore) {
  std::vector<OpCode> ops = {CopyOp(0, 64), CopyOp(64, 128)};
  ScheduleInput in;
  in.input_groups.push_back(LoadGroup{{AbufLoad(0, 16)}, 0, 0});
  in.ops = &ops;
  in.block_at = {0, 256};
  in.stores = {Store(), Store()};
  StatusOr<Schedule> s = ScheduleInference(in);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const std::vector<Instruction>& q = s->seq;
  ASSERT_EQ(q.size(), 7u);
  EXPECT_TRUE(Same(q[0].deps, Signal(kLoad, kCompute)));  // the input load
  EXPECT_TRUE(IsNop(q[1]) && Same(q[1].deps, Wait(kCompute, kLoad)));
  EXPECT_EQ(q[2].as<isa::VlutArgs>().lut_addr, 0u);
  EXPECT_EQ(q[3].as<isa::VlutArgs>().lut_addr, 256u);  // relocated to its block
  EXPECT_TRUE(IsNop(q[4]) && Same(q[4].deps, Signal(kCompute, kStore)));
  EXPECT_TRUE(Same(q[5].deps, Wait(kStore, kCompute)));  // only the first store waits
  EXPECT_TRUE(Same(q[6].deps, isa::Deps{}));
  ASSERT_EQ(s->op_ranges.size(), 2u);
  EXPECT_EQ(s->op_ranges[0], std::make_pair(uint64_t{2}, uint64_t{1}));
  EXPECT_EQ(s->op_ranges[1], std::make_pair(uint64_t{3}, uint64_t{1}));
  ExpectBalancedTokens(q);
}

TEST(Schedule, StreamedParametersDoubleBufferThroughTwoPbufHalves) {
  std::vector<OpCode> ops = {CopyOp(0, 64), CopyOp(64, 128), CopyOp(128, 192)};
  ScheduleInput in;
  in.input_groups.push_back(LoadGroup{{AbufLoad(0, 16)}, 0, 0});
  in.ops = &ops;
  in.stream = true;
  in.block_at = {0, 256, 512};
  in.pbuf_half = 1024;
  in.stores = {Store()};
  StatusOr<Schedule> s = ScheduleInference(in);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const std::vector<Instruction>& q = s->seq;
  // input, block 0 -> half 0, block 1 -> half 1, compute waits for the input.
  ASSERT_GE(q.size(), 4u);
  EXPECT_EQ(q[1].as<isa::LoadArgs>().host_offset, 0u);
  EXPECT_EQ(q[1].as<isa::LoadArgs>().sram_addr, 0u);
  EXPECT_EQ(q[2].as<isa::LoadArgs>().host_offset, 256u);
  EXPECT_EQ(q[2].as<isa::LoadArgs>().sram_addr, 1024u);
  EXPECT_TRUE(Same(q[1].deps, Signal(kLoad, kCompute)));
  EXPECT_TRUE(Same(q[2].deps, Signal(kLoad, kCompute)));
  // Each op waits for its block; op 0 then frees half 0 for block 2, whose
  // load waits for that token.
  std::vector<uint32_t> luts;
  int block2 = -1;
  for (size_t i = 0; i < q.size(); ++i) {
    if (q[i].opcode() == isa::Opcode::kVlut) {
      luts.push_back(q[i].as<isa::VlutArgs>().lut_addr);
      EXPECT_TRUE(IsNop(q[i - 1]) && Same(q[i - 1].deps, Wait(kCompute, kLoad)));
    }
    if (q[i].opcode() == isa::Opcode::kLoad && q[i].as<isa::LoadArgs>().host_offset == 512u) block2 = static_cast<int>(i);
  }
  EXPECT_EQ(luts, (std::vector<uint32_t>{0, 1024, 0}));
  ASSERT_GT(block2, 0);
  EXPECT_EQ(q[block2].as<isa::LoadArgs>().sram_addr, 0u);
  EXPECT_TRUE(Same(q[block2].deps, Merge(Wait(kLoad, kCompute), Signal(kLoad, kCompute))));
  EXPECT_TRUE(IsNop(q[block2 - 1]) && Same(q[block2 - 1].deps, Signal(kCompute, kLoad)));
  EXPECT_EQ(q[block2 - 2].opcode(), isa::Opcode::kVlut);  // right after op 0
  ExpectBalancedTokens(q);
}

TEST(Schedule, ComputeWaitsForAnInputBandOnlyBeforeReadingIt) {
  // Band 0 writes ABUF [0, 64), band 1 [64, 128). Op 0 reads band 0 only,
  // op 1 reads band 1.
  std::vector<OpCode> ops = {CopyOp(0, 256), CopyOp(64, 320)};
  ScheduleInput in;
  in.input_groups.push_back(LoadGroup{{AbufLoad(0, 64)}, 0, 64});
  in.input_groups.push_back(LoadGroup{{AbufLoad(64, 64)}, 64, 128});
  in.ops = &ops;
  in.block_at = {0, 256};
  in.stores = {Store()};
  StatusOr<Schedule> s = ScheduleInference(in);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const std::vector<Instruction>& q = s->seq;
  ASSERT_EQ(q.size(), 8u);
  EXPECT_TRUE(Same(q[0].deps, Signal(kLoad, kCompute)));  // each band signals
  EXPECT_TRUE(Same(q[1].deps, Signal(kLoad, kCompute)));
  EXPECT_TRUE(IsNop(q[2]) && Same(q[2].deps, Wait(kCompute, kLoad)));  // band 0
  EXPECT_EQ(q[3].opcode(), isa::Opcode::kVlut);                        // op 0 runs before band 1 arrives
  EXPECT_TRUE(IsNop(q[4]) && Same(q[4].deps, Wait(kCompute, kLoad)));  // band 1, inside op 1
  EXPECT_EQ(q[5].opcode(), isa::Opcode::kVlut);
  EXPECT_EQ(s->op_ranges[1], std::make_pair(uint64_t{4}, uint64_t{2}));
  ExpectBalancedTokens(q);
}

TEST(Schedule, EveryBandArrivesBeforeBetweenOpDmaAndTheStores) {
  std::vector<OpCode> ops = {CopyOp(0, 256)};
  ops[0].post.push_back(ComputeNop(Signal(kCompute, kStore)));  // a spill store's handshake
  ops[0].post.push_back(Store());
  Add(&ops[0].post.back(), Merge(Wait(kStore, kCompute), Signal(kStore, kCompute)));
  ops[0].post.push_back(ComputeNop(Wait(kCompute, kStore)));
  ScheduleInput in;
  in.input_groups.push_back(LoadGroup{{AbufLoad(0, 64)}, 0, 64});
  in.input_groups.push_back(LoadGroup{{AbufLoad(64, 64)}, 64, 128});
  in.ops = &ops;
  in.block_at = {0};
  in.stores = {Store()};
  StatusOr<Schedule> s = ScheduleInference(in);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const std::vector<Instruction>& q = s->seq;
  // The second band is waited for before the op's DMA, though the op never reads it.
  EXPECT_TRUE(IsNop(q[3]) && Same(q[3].deps, Wait(kCompute, kLoad)));
  EXPECT_EQ(q[4].opcode(), isa::Opcode::kVlut);
  ExpectBalancedTokens(q);
}

// The cascade: each op's two units (one per band) run as soon as their band
// is in, so op 1's first unit runs before band 1's wait; a unit writing
// bytes a later unit of a lower phase reads keeps its order (a WAR), and a
// unit writing into band 1's bytes waits for band 1.
TEST(Schedule, CascadeRunsEachUnitAfterTheBandsItDependsOn) {
  auto two = [](Instruction a, Instruction b) {
    OpCode op;
    op.params.assign(256, 0);
    op.compute = {a, b};
    return op;
  };
  std::vector<OpCode> ops = {
      two(Vlut(0, 64, 256, 0), Vlut(64, 64, 320, 0)),     // op 0: band 0 -> [256, 320), band 1 -> [320, 384)
      two(Vlut(256, 64, 512, 0), Vlut(320, 64, 576, 0)),  // op 1: follows op 0 row by row
      two(Vlut(512, 16, 96, 0), Vlut(576, 16, 700, 0)),   // op 2: its first unit writes into band 1's bytes
  };
  ScheduleInput in;
  in.input_groups.push_back(LoadGroup{{AbufLoad(0, 64)}, 0, 64});
  in.input_groups.push_back(LoadGroup{{AbufLoad(64, 64)}, 64, 128});
  in.ops = &ops;
  in.block_at = {0, 256, 512};
  in.stores = {Store()};
  in.cascade = true;
  StatusOr<Schedule> s = ScheduleInference(in);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const std::vector<Instruction>& q = s->seq;
  ASSERT_EQ(q.size(), 12u);
  EXPECT_TRUE(IsNop(q[2]) && Same(q[2].deps, Wait(kCompute, kLoad)));  // band 0
  EXPECT_EQ(q[3].as<isa::VlutArgs>().src, 0u);                          // op 0, band 0
  EXPECT_EQ(q[4].as<isa::VlutArgs>().src, 256u);                        // op 1, band 0: before band 1
  EXPECT_TRUE(IsNop(q[5]) && Same(q[5].deps, Wait(kCompute, kLoad)));  // band 1
  EXPECT_EQ(q[6].as<isa::VlutArgs>().src, 64u);
  EXPECT_EQ(q[7].as<isa::VlutArgs>().src, 320u);
  EXPECT_EQ(q[8].as<isa::VlutArgs>().dst, 96u);  // writes band 1's bytes: after its wait
  EXPECT_EQ(q[9].as<isa::VlutArgs>().dst, 700u);
  EXPECT_EQ(q[3].as<isa::VlutArgs>().lut_addr, 0u);  // relocated by block
  EXPECT_EQ(q[4].as<isa::VlutArgs>().lut_addr, 256u);
  EXPECT_EQ(s->cascaded_ops, 2);
  EXPECT_EQ(s->op_ranges[0], std::make_pair(uint64_t{3}, uint64_t{5}));  // ops 0 and 1 share one range
  EXPECT_EQ(s->op_ranges[1], std::make_pair(uint64_t{8}, uint64_t{0}));
  EXPECT_EQ(s->op_ranges[2], std::make_pair(uint64_t{8}, uint64_t{2}));
  ExpectBalancedTokens(q);
}

TEST(Schedule, UnitsEndWhereNoAccumulatorStateIsLive) {
  auto lw = [] { return Instruction{{}, isa::LoadWeightsArgs{}}; };
  auto mm = [](bool acc) {
    isa::MatmulArgs m;
    m.m = 1;
    m.k = 1;
    m.a_inner_count = 1;
    m.accumulate = acc;
    return Instruction{{}, m};
  };
  isa::PostprocArgs pa;
  pa.m = 1;
  pa.n = 1;
  const Instruction pp{{}, pa};
  // Two Cout tiles of one block (the second accumulating two slices), then a
  // copy: ends after each POSTPROC and after the copy.
  EXPECT_EQ(UnitEnds({lw(), mm(false), pp, lw(), mm(false), lw(), mm(true), pp, Vlut(0, 1, 8, 0)}),
            (std::vector<size_t>{3, 8, 9}));
  // A second POSTPROC reading the same sums: no end between them; weights
  // reused by a later MATMUL do not prevent an end (SplitWeightState).
  EXPECT_EQ(UnitEnds({lw(), mm(false), pp, pp, mm(false), pp}), (std::vector<size_t>{4, 6}));
  // Never right after a weight load or preload.
  const Instruction pre{{}, isa::PreloadWeightsArgs{1, 1, 64, 1}};
  EXPECT_EQ(UnitEnds({lw(), mm(false), pp, pre, mm(false), pp}), (std::vector<size_t>{3, 6}));
  // Accumulator regions (a GEMM's POSTPROC after the next group's first
  // MATMUL): no end while any region holds sums not read out, even right
  // after a POSTPROC or before a MATMUL that overwrites.
  auto mm_at = [&](bool acc, uint32_t row) {
    Instruction i = mm(acc);
    i.as<isa::MatmulArgs>().acc_addr = row;
    return i;
  };
  auto pp_at = [&](uint32_t row) {
    Instruction i = pp;
    i.as<isa::PostprocArgs>().acc_addr = row;
    return i;
  };
  EXPECT_EQ(UnitEnds({lw(), mm_at(false, 0), mm_at(false, 8), pp_at(0), mm_at(false, 16), pp_at(8), pp_at(16),
                      mm_at(false, 0), pp_at(0)}),
            (std::vector<size_t>{7, 9}));
}

// Units of one op run apart (the input cascade): each gets the weights its
// MATMULs multiply by in program order, with PRELOAD_WEIGHTS pending until
// the next MATMUL (which takes the shadow set before filling it).
TEST(Schedule, UnitsRunApartGetTheirOwnWeights) {
  auto mm = [](bool take, uint32_t a_addr) {
    isa::MatmulArgs m;
    m.m = 1;
    m.k = 1;
    m.a_inner_count = 1;
    m.a_addr = a_addr;
    m.take_shadow = take;
    return Instruction{{}, m};
  };
  auto lw = [](uint32_t at) { return Instruction{{}, isa::LoadWeightsArgs{1, 1, at, 1}}; };
  auto pre = [](uint32_t at) { return Instruction{{}, isa::PreloadWeightsArgs{1, 1, at, 1}}; };
  isa::PostprocArgs pa;
  pa.m = 1;
  pa.n = 1;
  const Instruction pp{{}, pa};
  // Three row blocks of three tiles each, as EmitGemm issues them (tiles at
  // PBUF 0, 64, 128; the first block's last preload is taken by the second
  // block's first MATMUL, and so on).
  std::vector<Instruction> c = {lw(0),  pre(64), mm(false, 0), pp, pre(128), mm(true, 1), pp, pre(0),  mm(true, 2), pp,
                                pre(64), mm(true, 3), pp, pre(128), mm(true, 4), pp, pre(0), mm(true, 5), pp,
                                pre(64), mm(true, 6), pp, pre(128), mm(true, 7), pp, mm(true, 8), pp};
  const std::vector<size_t> ends = UnitEnds(c);
  ASSERT_EQ(ends.size(), 9u);
  // Blocks apart after the third and the sixth MATMUL.
  std::vector<bool> apart(ends.size(), false);
  apart[2] = apart[5] = true;
  const std::vector<std::vector<Instruction>> units = SplitWeightState(c, ends, apart);
  ASSERT_EQ(units.size(), 9u);
  // Weights each MATMUL uses when the units run in the order 0-2, 6-8, 3-5,
  // with a foreign LOAD_WEIGHTS (PBUF 999) before each group.
  std::map<uint32_t, uint32_t> used;  // a_addr -> PBUF address of its weights
  uint32_t active = 0, shadow = 0, pending = 0;
  bool has_pending = false;
  for (const std::vector<size_t>& group : {std::vector<size_t>{0, 1, 2}, {6, 7, 8}, {3, 4, 5}}) {
    active = 999;
    for (size_t u : group)
      for (const Instruction& i : units[u]) {
        if (i.opcode() == isa::Opcode::kLoadWeights) active = i.as<isa::LoadWeightsArgs>().pbuf_addr;
        if (i.opcode() == isa::Opcode::kPreloadWeights) {
          pending = i.as<isa::PreloadWeightsArgs>().pbuf_addr;
          has_pending = true;
        }
        if (i.opcode() == isa::Opcode::kMatmul) {
          if (i.as<isa::MatmulArgs>().take_shadow) active = shadow;
          if (has_pending) shadow = pending, has_pending = false;
          used[i.as<isa::MatmulArgs>().a_addr] = active;
        }
      }
    // A group's last unit leaves nothing pending for the next group.
    EXPECT_FALSE(has_pending);
  }
  for (uint32_t a = 0; a < 9; ++a) EXPECT_EQ(used[a], (a % 3) * 64) << "MATMUL " << a;
  // Units run back to back are left as they are; a head gets one LOAD_WEIGHTS.
  EXPECT_EQ(units[1].size(), 3u);
  ASSERT_EQ(units[3].size(), 4u);  // its own preload for the next unit, then LOAD_WEIGHTS, MATMUL, POSTPROC
  EXPECT_EQ(units[3][1].opcode(), isa::Opcode::kLoadWeights);
  EXPECT_FALSE(units[3][2].as<isa::MatmulArgs>().take_shadow);
  // A tail drops the preload taken outside it.
  EXPECT_EQ(units[2].size(), 2u);
}

TEST(Schedule, RefusesAPartitionWithoutInputsOrOutputs) {
  std::vector<OpCode> ops = {CopyOp(0, 64)};
  ScheduleInput in;
  in.input_groups.push_back(LoadGroup{});
  in.ops = &ops;
  in.block_at = {0};
  in.stores = {Store()};
  EXPECT_FALSE(ScheduleInference(in).ok());
  in.input_groups[0].loads.push_back(AbufLoad(0, 16));
  in.stores.clear();
  EXPECT_FALSE(ScheduleInference(in).ok());
}

}  // namespace
}  // namespace systole::compiler
