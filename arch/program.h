// Building instruction streams in C++ (tests, benchmarks, the estimator's
// callers). Encoding errors are collected, not thrown: check status().
#ifndef SYSTOLE_ARCH_PROGRAM_H_
#define SYSTOLE_ARCH_PROGRAM_H_

#include <vector>

#include "common/status.h"
#include "schema/isa/isa_generated.h"

namespace systole::sim {

class ProgramBuilder {
 public:
  template <typename ArgsT>
  ProgramBuilder& Add(const ArgsT& args, isa::Deps deps = {}) {
    return Add(isa::Instruction{deps, args});
  }
  ProgramBuilder& Add(const isa::Instruction& insn) {
    isa::InsnWord w;
    Status s = isa::Encode(insn, &w);
    if (!s.ok() && status_.ok()) status_ = Annotate(s, StrFormat("instruction %zu", words_.size()));
    words_.push_back(w);
    insns_.push_back(insn);
    return *this;
  }
  const Status& status() const { return status_; }
  const std::vector<isa::InsnWord>& words() const { return words_; }
  const std::vector<isa::Instruction>& instructions() const { return insns_; }

 private:
  std::vector<isa::InsnWord> words_;
  std::vector<isa::Instruction> insns_;
  Status status_;
};

// Dependency flag shorthands.
inline isa::Deps PopPrev() { return isa::Deps{true, false, false, false}; }
inline isa::Deps PopNext() { return isa::Deps{false, true, false, false}; }
inline isa::Deps PushPrev() { return isa::Deps{false, false, true, false}; }
inline isa::Deps PushNext() { return isa::Deps{false, false, false, true}; }
inline isa::Deps operator|(isa::Deps a, isa::Deps b) {
  return isa::Deps{a.pop_prev || b.pop_prev, a.pop_next || b.pop_next, a.push_prev || b.push_prev,
                   a.push_next || b.push_next};
}

}  // namespace systole::sim

#endif  // SYSTOLE_ARCH_PROGRAM_H_
