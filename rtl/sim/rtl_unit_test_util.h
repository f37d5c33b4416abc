// Helpers of the block tests of the compute core's units (rtl/systole_<unit>_test.cc):
// instruction words for the insn_i ports, the datapath class bits the
// sequencer decodes (systole_core_pkg::op_class_t), and the schedule length T
// from the C++ cycle model.
#ifndef SYSTOLE_RTL_SIM_RTL_UNIT_TEST_UTIL_H_
#define SYSTOLE_RTL_SIM_RTL_UNIT_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <cstdint>

#include "arch/compute_core.h"
#include "arch/cycle_model.h"
#include "rtl/sim/vl_bits.h"
#include "schema/isa/isa_generated.h"

namespace systole::rtl {

// The block models are Verilated at 8x8 (rtl/CMakeLists.txt).
constexpr int kUnitRows = 8;
constexpr int kUnitCols = 8;

inline isa::InsnWord EncodeInsn(const isa::Instruction& insn) {
  isa::InsnWord w;
  const Status s = isa::Encode(insn, &w);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return w;
}

template <typename Args>
isa::Instruction Insn(const Args& args) {
  isa::Instruction insn;
  insn.args = args;
  return insn;
}

// insn_i (256 bits) of a model.
template <typename Port>
void SetInsnPort(Port& port, const isa::Instruction& insn) {
  const isa::InsnWord w = EncodeInsn(insn);
  for (int i = 0; i < 4; ++i) SetBits(port, 64 * i, 64, w.w[i]);
}

// op_class_t: a packed struct, its first member (lw) the most significant bit.
enum ClassBit : uint32_t {
  kClsSm = 1u << 0,
  kClsPool = 1u << 1,
  kClsFill = 1u << 2,
  kClsLut = 1u << 3,
  kClsElt = 1u << 4,
  kClsVm = 1u << 5,
  kClsPp = 1u << 6,
  kClsMm = 1u << 7,
  kClsLw = 1u << 8,
  kClsVw = 1u << 9,
  kClsL2 = 1u << 10,
};

inline uint32_t ClassOf(isa::Opcode op) {
  switch (op) {
    case isa::Opcode::kLoadWeights: return kClsLw;
    case isa::Opcode::kMatmul: return kClsMm;
    case isa::Opcode::kPostproc: return kClsPp;
    case isa::Opcode::kVmacc: return kClsVm;
    case isa::Opcode::kVmaccWide: return kClsVw;
    case isa::Opcode::kVadd:
    case isa::Opcode::kVsub:
    case isa::Opcode::kVmul: return kClsElt;
    case isa::Opcode::kVlut: return kClsLut;
    case isa::Opcode::kVfill: return kClsFill;
    case isa::Opcode::kMaxpool:
    case isa::Opcode::kAvgpool: return kClsPool;
    case isa::Opcode::kSoftmax: return kClsSm;
    case isa::Opcode::kVl2norm: return kClsL2;
    default: return 0;
  }
}

// T of an instruction on the 8x8 block configuration.
inline uint64_t UnitCycles(const isa::Instruction& insn) {
  return sim::ComputeCycles(insn, sim::CoreConfig{kUnitRows, kUnitCols});
}

// Drives the sequencer view a unit sees in cycle `cnt` of `insn` (cycle 0 is
// the accept cycle): the ports every view-driven unit has.
template <typename Model>
void SetView(Model* m, const isa::Instruction& insn, uint32_t cnt) {
  m->busy_i = cnt > 0;
  m->cnt_i = cnt;
  SetInsnPort(m->insn_i, insn);
  m->cls_i = ClassOf(insn.opcode());
}

}  // namespace systole::rtl

#endif  // SYSTOLE_RTL_SIM_RTL_UNIT_TEST_UTIL_H_
