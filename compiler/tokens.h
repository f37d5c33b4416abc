// Token handshakes between the accelerator's three units. They form a pipe,
// LOAD -> COMPUTE -> STORE (docs/ISA.md): an instruction can wait for
// (pop) or send (push) a token only to a neighbour, which the ISA encodes
// as the positional flags pop_prev/pop_next/push_prev/push_next relative to
// the instruction's own unit. These helpers name the partner unit instead,
// so a call site reads "compute waits for load".
#ifndef SYSTOLE_COMPILER_TOKENS_H_
#define SYSTOLE_COMPILER_TOKENS_H_

#include <cstdlib>

#include "schema/isa/isa_generated.h"

namespace systole::compiler::tokens {

constexpr isa::Unit kLoad = isa::Unit::kLoad;
constexpr isa::Unit kCompute = isa::Unit::kCompute;
constexpr isa::Unit kStore = isa::Unit::kStore;

// Whether `partner` is the unit before `self` in the pipe (false: after).
// Aborts for a pair that is not adjacent (LOAD and STORE share no tokens).
constexpr bool IsPrev(isa::Unit self, isa::Unit partner) {
  if (static_cast<int>(partner) + 1 == static_cast<int>(self)) return true;
  if (static_cast<int>(self) + 1 == static_cast<int>(partner)) return false;
  std::abort();
}

// An instruction of `self` that waits for a token from `from` before it starts.
constexpr isa::Deps Wait(isa::Unit self, isa::Unit from) {
  isa::Deps d;
  (IsPrev(self, from) ? d.pop_prev : d.pop_next) = true;
  return d;
}

// An instruction of `self` that sends a token to `to` when it completes.
constexpr isa::Deps Signal(isa::Unit self, isa::Unit to) {
  isa::Deps d;
  (IsPrev(self, to) ? d.push_prev : d.push_next) = true;
  return d;
}

// Both sets of flags.
constexpr isa::Deps Merge(isa::Deps a, isa::Deps b) {
  return isa::Deps{a.pop_prev || b.pop_prev, a.pop_next || b.pop_next, a.push_prev || b.push_prev,
                   a.push_next || b.push_next};
}

// Adds `d` to an instruction's flags.
inline void Add(isa::Instruction* insn, isa::Deps d) { insn->deps = Merge(insn->deps, d); }

// A compute-unit NOP that only moves tokens.
inline isa::Instruction ComputeNop(isa::Deps d) { return isa::Instruction{d, isa::NopArgs{}}; }

}  // namespace systole::compiler::tokens

#endif  // SYSTOLE_COMPILER_TOKENS_H_
