// Scheduling: the INFERENCE chunk's instruction sequence across the three
// units with the tokens between them (docs/compiler.md, "Program shape"):
//
//   input loads (one token per group) [streamed: first two parameter blocks]
//   compute waits for the first group; preamble (fills); per op:
//     [streamed: wait for its block] [spill loads] compute [spill stores]
//     [streamed: free its PBUF half, load block j+2]
//   compute signals store; output stores.
//
// With several input groups (row bands of the input), compute waits for
// group k just before its first instruction whose ABUF reads touch the
// group's bytes, and for every group before any between-op DMA and before
// the final token to store.
#ifndef SYSTOLE_COMPILER_SCHEDULE_H_
#define SYSTOLE_COMPILER_SCHEDULE_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "common/status.h"
#include "compiler/partition.h"

namespace systole::compiler {

// Loads that end with one token to compute.
struct LoadGroup {
  std::vector<Instruction> loads;
  uint64_t abuf_begin = 0, abuf_end = 0;  // ABUF bytes the group writes are inside [begin, end)
};

struct ScheduleInput {
  std::vector<LoadGroup> input_groups;  // at least one
  std::vector<Instruction> preamble;    // compute before the first op
  const std::vector<OpCode>* ops = nullptr;
  // Cached parameters: op s's PBUF addresses are relocated by block_at[s].
  // Streamed: op s's block (if not empty) is loaded from the parameter
  // region at block_at[s] into PBUF half j % 2 (j counting non-empty blocks).
  bool stream = false;
  std::vector<uint32_t> block_at;
  uint32_t pbuf_half = 0;
  std::vector<Instruction> stores;  // output stores; the first waits for compute
  // With several input groups and cached parameters: run every piece of
  // compute as soon as the input bands it depends on have arrived (a cascade
  // of the first layers band by band under the input DMA), instead of only
  // delaying each band's wait to its first reader. See CascadePhases.
  bool cascade = false;
};

struct Schedule {
  std::vector<Instruction> seq;
  // (first index, count) of each op in seq. Ops whose instructions the
  // cascade interleaved share one range, given to the first of them with
  // compute instructions (the others get empty ranges), as tiled cascades.
  std::vector<std::pair<uint64_t, uint64_t>> op_ranges;
  // Per instruction of seq inside the interleaved range, the op that emitted
  // it (-1: none, or outside the range): the per-op figures of the compile
  // report split the cascade by it. Empty without a cascade.
  std::vector<int> insn_op;
  int cascaded_ops = 0;      // ops inside the interleaved range (0: none)
  int cascade_units = 0;     // pieces of compute moved ahead of the last input band
};

// A compute instruction's ABUF accesses for the cascade's dependence test,
// as [begin, end) spans; the vector registers (SETREG, read by the vector
// and pool instructions) appear as bytes above every ABUF address. An
// instruction whose writes are not modelled writes "everything".
struct Accesses {
  std::vector<std::pair<uint64_t, uint64_t>> reads, writes;
};
Accesses AccessesOf(const Instruction& insn);

// Splits one op's compute instructions into units that carry no accumulator
// state across their ends (a unit ends after a POSTPROC when the next
// accumulator access starts a fresh sum, never right after a weight load).
// Weight-register state (LOAD_WEIGHTS, PRELOAD_WEIGHTS, MATMUL take_shadow)
// may cross an end: SplitWeightState makes the units independent where they
// are emitted apart. Returns the index one past each unit's end.
std::vector<size_t> UnitEnds(const std::vector<Instruction>& compute);

// The units of `compute` ending at `ends` (UnitEnds), where apart[u] says
// units u and u+1 are not emitted back to back: such a unit u+1 gets a
// LOAD_WEIGHTS (or PRELOAD_WEIGHTS) for the first MATMUL whose weights an
// earlier unit put in the registers (take_shadow cleared), and unit u drops
// the PRELOAD_WEIGHTS taken outside it. Run in order, with anything that
// loads its own weights between the units apart, the MATMULs multiply by the
// weights they do in program order.
std::vector<std::vector<Instruction>> SplitWeightState(const std::vector<Instruction>& compute,
                                                       const std::vector<size_t>& ends,
                                                       const std::vector<bool>& apart);

StatusOr<Schedule> ScheduleInference(const ScheduleInput& in);

// LOADs copying `bytes` from the parameter region at host_off to PBUF at
// pbuf_addr, in rows the DMA fields carry (one empty LOAD for 0 bytes); the
// first gets `first` tokens, the last `last`.
std::vector<Instruction> LinearParameterLoads(uint64_t host_off, uint64_t pbuf_addr, uint64_t bytes,
                                              isa::Deps first, isa::Deps last);

// The PBUF-address fields of a compute instruction moved by `base` (the
// relocation of a parameter block).
void RelocatePbuf(Instruction* insn, uint32_t base);

}  // namespace systole::compiler

#endif  // SYSTOLE_COMPILER_SCHEDULE_H_
