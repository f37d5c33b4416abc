// Tests of the generated ISA encoder/decoder (schema/isa/isa_generated.*).
#include "schema/isa/isa_generated.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>

namespace systole::isa {
namespace {

TEST(IsaTest, EveryOpcodeRoundTripsWithMaxFields) {
  // Fill each field of each opcode with its maximum legal value, encode, decode,
  // re-encode: the words must be identical and the disassembly must name it.
  for (int code = 0; code < 256; ++code) {
    const OpcodeInfo* info = FindOpcodeInfo(code);
    if (!info) continue;
    InsnWord word;
    SetBits(&word, kOpcodeLsb, kOpcodeWidth, code);
    SetBits(&word, kPushNextLsb, 1, UnitOf(info->opcode) != Unit::kStore);
    for (int i = 0; i < info->num_fields; ++i) {
      const FieldInfo& f = info->fields[i];
      int64_t v = f.max;
      if (std::string(f.name) == "buffer") v = 0;
      SetBits(&word, f.lsb, f.width, static_cast<uint32_t>(v));
    }
    StatusOr<Instruction> insn = Decode(word);
    ASSERT_TRUE(insn.ok()) << info->name << ": " << insn.status().ToString();
    EXPECT_EQ(static_cast<int>(insn->opcode()), code);
    InsnWord again;
    ASSERT_TRUE(Encode(*insn, &again).ok());
    EXPECT_EQ(again, word) << info->name;
    EXPECT_EQ(Disassemble(*insn).rfind(info->name, 0), 0u) << Disassemble(*insn);
  }
}

TEST(IsaTest, MatmulFieldsLandOnTheirBits) {
  Instruction insn{Deps{true, false, false, true},
                   MatmulArgs{/*m=*/5, /*k=*/8, /*accumulate=*/true, /*acc_addr=*/7,
                              /*a_addr=*/0x1234, /*a_inner_count=*/5,
                              /*a_inner_stride=*/8, /*a_outer_stride=*/0}};
  insn.as<MatmulArgs>().take_shadow = true;
  InsnWord w;
  ASSERT_TRUE(Encode(insn, &w).ok());
  EXPECT_EQ(GetBits(w, 0, 8), static_cast<uint32_t>(Opcode::kMatmul));
  EXPECT_EQ(GetBits(w, 8, 1), 1u);   // pop_prev
  EXPECT_EQ(GetBits(w, 11, 1), 1u);  // push_next
  EXPECT_EQ(GetBits(w, 16, 16), 5u);
  EXPECT_EQ(GetBits(w, 48, 1), 1u);  // accumulate
  EXPECT_EQ(GetBits(w, 49, 1), 1u);  // take_shadow
  EXPECT_EQ(GetBits(w, 96, 32), 0x1234u);
  EXPECT_EQ(Disassemble(insn),
            "MATMUL m=5 k=8 accumulate=1 acc_addr=7 a_addr=0x1234 a_inner_count=5 "
            "a_inner_stride=8 a_outer_stride=0 take_shadow=1 [pop_prev push_next]");
}

TEST(IsaTest, PreloadWeightsFieldsLandOnTheirBits) {
  Instruction insn{Deps{}, PreloadWeightsArgs{/*k=*/9, /*n=*/3, /*pbuf_addr=*/0x4000, /*w_stride=*/17}};
  InsnWord w;
  ASSERT_TRUE(Encode(insn, &w).ok());
  EXPECT_EQ(GetBits(w, 0, 8), 25u);
  EXPECT_EQ(GetBits(w, 16, 16), 9u);
  EXPECT_EQ(GetBits(w, 32, 16), 3u);
  EXPECT_EQ(GetBits(w, 64, 32), 0x4000u);
  EXPECT_EQ(GetBits(w, 96, 32), 17u);
  StatusOr<Instruction> back = Decode(w);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->opcode(), Opcode::kPreloadWeights);
  EXPECT_EQ(back->as<PreloadWeightsArgs>().w_stride, 17u);
}

// The 9-bit weight path's fields (UINT8 weights with a zero point) next to
// take_shadow and w_shift: LOAD_WEIGHTS / PRELOAD_WEIGHTS u8 on bit 48,
// VMACC / VMACC_WIDE u8 on bit 54 (w_shift holds 49..53); w_zp on 56..63.
TEST(IsaTest, Uint8WeightFieldsLandOnTheirBits) {
  auto encode = [](const Instruction& insn) {
    InsnWord w;
    EXPECT_TRUE(Encode(insn, &w).ok());
    return w;
  };
  const InsnWord lw = encode(Instruction{Deps{}, LoadWeightsArgs{4, 5, 0, 5, /*u8=*/1, /*w_zp=*/0xA7}});
  EXPECT_EQ(GetBits(lw, 48, 1), 1u);
  EXPECT_EQ(GetBits(lw, 56, 8), 0xA7u);
  const InsnWord pre = encode(Instruction{Deps{}, PreloadWeightsArgs{4, 5, 0, 5, /*u8=*/1, /*w_zp=*/0xFF}});
  EXPECT_EQ(GetBits(pre, 48, 1), 1u);
  EXPECT_EQ(GetBits(pre, 56, 8), 0xFFu);
  StatusOr<Instruction> back = Decode(pre);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->as<PreloadWeightsArgs>().u8, 1u);
  EXPECT_EQ(back->as<PreloadWeightsArgs>().w_zp, 0xFFu);
  VmaccArgs v{};
  v.m = 1, v.n = 1, v.a_inner_count = 1, v.w_shift = 24, v.u8 = 1, v.w_zp = 0x81;
  for (const InsnWord& w : {encode(Instruction{Deps{}, v}),
                            encode(Instruction{Deps{}, VmaccWideArgs{1, 1, 0, 0, 0, 1, 0, 0, 0, 24, 1, 0x81}})}) {
    EXPECT_EQ(GetBits(w, 49, 5), 24u);
    EXPECT_EQ(GetBits(w, 54, 1), 1u);
    EXPECT_EQ(GetBits(w, 56, 8), 0x81u);
    StatusOr<Instruction> d = Decode(w);
    ASSERT_TRUE(d.ok());
  }
}

TEST(IsaTest, SignedFieldsSignExtend) {
  Instruction insn{Deps{}, PostprocArgs{1, 1, 0, 0, 1, 0, /*out_zp=*/-5, /*act_min=*/-128,
                                        /*act_max=*/127}};
  InsnWord w;
  ASSERT_TRUE(Encode(insn, &w).ok());
  StatusOr<Instruction> back = Decode(w);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->as<PostprocArgs>().out_zp, -5);
  EXPECT_EQ(back->as<PostprocArgs>().act_min, -128);
}

TEST(IsaTest, UnknownOpcodeIsAnError) {
  std::set<uint32_t> known;
  for (int c = 0; c < 256; ++c)
    if (IsValidOpcode(c)) known.insert(c);
  EXPECT_EQ(static_cast<int>(known.size()), kNumOpcodes);
  InsnWord w;
  SetBits(&w, 0, 8, 0xEE);
  StatusOr<Instruction> insn = Decode(w);
  ASSERT_FALSE(insn.ok());
  EXPECT_NE(insn.status().message().find("unknown opcode 238"), std::string::npos);
  EXPECT_EQ(DisassembleWord(w).rfind("<invalid", 0), 0u);
}

TEST(IsaTest, ReservedBitsAreAnError) {
  InsnWord w;
  SetBits(&w, 0, 8, static_cast<uint32_t>(Opcode::kNop));
  SetBits(&w, 200, 1, 1);
  StatusOr<Instruction> insn = Decode(w);
  ASSERT_FALSE(insn.ok());
  EXPECT_NE(insn.status().message().find("reserved bits"), std::string::npos);
}

TEST(IsaTest, OutOfRangeFieldsAreErrors) {
  // k = 0 and k = 300 are outside [1, 256]; the buffer enum has 2 values.
  InsnWord w;
  SetBits(&w, 0, 8, static_cast<uint32_t>(Opcode::kLoadWeights));
  SetBits(&w, 16, 16, 0);
  SetBits(&w, 32, 16, 1);
  EXPECT_EQ(Decode(w).status().code(), StatusCode::kOutOfRange);
  SetBits(&w, 16, 16, 300);
  EXPECT_EQ(Decode(w).status().code(), StatusCode::kOutOfRange);

  Instruction load{Deps{}, LoadArgs{/*buffer=*/7}};
  InsnWord out;
  EXPECT_FALSE(Encode(load, &out).ok());
  Instruction big{Deps{}, SetregArgs{/*vreg=*/0, /*count=*/4}};
  EXPECT_EQ(Encode(big, &out).code(), StatusCode::kOutOfRange);
}

TEST(IsaTest, FieldsCrossingWordBoundariesWork) {
  InsnWord w;
  SetBits(&w, 60, 8, 0xAB);
  EXPECT_EQ(GetBits(w, 60, 8), 0xABu);
  EXPECT_EQ(w.w[0] >> 60, 0xBu);
  EXPECT_EQ(w.w[1] & 0xF, 0xAu);
}

}  // namespace
}  // namespace systole::isa
