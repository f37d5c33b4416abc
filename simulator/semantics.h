// What each instruction does to the machine state, untimed: the one C++
// definition of the ISA semantics, shared by the functional model and the
// behavioural compute core (the RTL is the independent implementation, and
// the tests compare all of them with TFLite-style reference kernels).
// Callers pass only validated instructions (arch/validate.h).
//
// Why this is in simulator/ and not in arch/: arch/ says what the machine is
// (which words are legal, what they cost, the port contract a core follows);
// this file *executes* instructions, so it is a model, the shared engine of
// the two C++ models. Nothing outside the models needs it: the compiler plans
// with the validator, cycle model and estimator, the driver with the
// configuration and host memory. Keeping it out of arch/ also keeps it out of
// reach of the RTL harness, which links arch/ only, so the RTL stays an
// independent implementation that the conformance tests compare against it.
#ifndef SYSTOLE_SIMULATOR_SEMANTICS_H_
#define SYSTOLE_SIMULATOR_SEMANTICS_H_

#include <array>
#include <cstdint>
#include <vector>

#include "arch/compute_core.h"
#include "arch/device_config.h"
#include "arch/host_memory.h"
#include "schema/isa/isa_generated.h"

namespace systole::sim {

// The on-chip memories of a device. They persist across runs (the parameter
// cache keeps its weights); Clear() zeroes them.
struct DeviceMemory {
  std::vector<uint8_t> abuf, pbuf;
  std::vector<int32_t> acc;
  int cols = 0;

  explicit DeviceMemory(const DeviceConfig& c)
      : abuf(c.abuf_bytes), pbuf(c.pbuf_bytes), acc(size_t{c.acc_rows} * c.cols), cols(c.cols) {}
  CoreMemories view() {
    return CoreMemories{abuf.data(), static_cast<uint32_t>(abuf.size()), pbuf.data(),
                        static_cast<uint32_t>(pbuf.size()), acc.data(),
                        static_cast<uint32_t>(acc.size() / cols)};
  }
  void Clear() {
    std::fill(abuf.begin(), abuf.end(), 0);
    std::fill(pbuf.begin(), pbuf.end(), 0);
    std::fill(acc.begin(), acc.end(), 0);
  }
};

// Architectural state inside the compute core.
struct CoreState {
  // 9-bit signed weights (int8, or a UINT8 byte minus its zero point).
  std::vector<int16_t> weights;  // R x C, row-major: the active set
  std::vector<int16_t> shadow;   // R x C: the shadow set (PRELOAD_WEIGHTS)
  bool preload_pending = false;  // a PRELOAD_WEIGHTS waits for a MATMUL
  isa::PreloadWeightsArgs preload{};
  std::array<int32_t, isa::kNumVregs> vregs{};
  void Reset(const CoreConfig& c) {
    weights.assign(size_t(c.rows) * c.cols, 0);
    shadow.assign(size_t(c.rows) * c.cols, 0);
    preload_pending = false;
    preload = isa::PreloadWeightsArgs{};
    vregs.fill(0);
  }
};

// Executes one COMPUTE-unit instruction.
void ExecuteCompute(const isa::Instruction& insn, const CoreConfig& core,
                    const CoreMemories& mem, CoreState* state);

// Executes one LOAD/STORE (copies the bytes).
void ExecuteDma(const isa::Instruction& insn, const HostMemory& host, const CoreMemories& mem);

}  // namespace systole::sim

#endif  // SYSTOLE_SIMULATOR_SEMANTICS_H_
