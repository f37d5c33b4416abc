// RtlComputeCore: the Verilated systole_core (rtl/systole_core.sv) behind a
// small C++ interface — the thin co-simulation boundary of the device model's
// array slot. The adapter clocks the model cycle by cycle and services its
// memory ports from a CoreMemory; nothing else crosses the boundary.
//
// Lifecycle: CreateRtlComputeCore(rows, cols) -> [StartTrace(path)] ->
// Run(uops) ... -> destroy (closes the trace). One instance owns one
// VerilatedContext and one model; instances are independent, not thread-safe.
//
// INTERIM: this interface predates simulator/compute_core.h. It runs decoded
// uops with the RTL's own port layout; conformance with sim::ComputeCore and
// the ISA (docs/accelerator.md, "Compute-core contract") is the open work
// listed in docs/rtl.md. Do not export the sim factory from this header until
// the RTL conforms: simulator/CMakeLists.txt enables the RTL in its
// conformance test as soon as it finds it.
#ifndef SYSTOLE_RTL_SIM_RTL_COMPUTE_CORE_H_
#define SYSTOLE_RTL_SIM_RTL_COMPUTE_CORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace systole::rtl {

// The core configurations that are Verilated into systole_rtl_models
// (rows, cols). Keep in sync with rtl/CMakeLists.txt (SYSTOLE_RTL_CORE_CONFIGS).
#define SYSTOLE_RTL_CORE_CONFIGS(X) \
  X(8, 8)                           \
  X(16, 16)                         \
  X(64, 64)

// Micro-ops executed by systole_core (the decoded form of an instruction).
// Values are the RTL's cmd_op_i encoding (internal to the core, not the ISA).
enum class UopKind : uint8_t {
  kNop = 0,
  kLoadWeights = 1,  // W rows [a_addr, a_addr + rows) -> array weights
  kMatmul = 2,       // acc[acc_addr+i] (+)= U[a_addr+i][0:rows] x W, i < len
  kRequant = 3,      // U[o_addr+i][0:cols] = requant(acc[acc_addr+i], P[p_addr])
  kVAdd = 4,         // U[o_addr+i] = TFLite ADD(U[a_addr+i], U[b_addr+i]), P[p_addr]
  kVSub = 5,         // ... SUB
  kVMul = 6,         // ... MUL
  kVMax = 7,         // U[o_addr] = clamp(max_i U[b_addr + i*stride]), i < len
};

struct Uop {
  UopKind kind = UopKind::kNop;
  uint32_t a_addr = 0, b_addr = 0, o_addr = 0, p_addr = 0;  // row addresses
  uint32_t acc_addr = 0;  // accumulator row (mod accumulator depth)
  uint32_t len = 0;       // rows streamed, < 2^16
  uint32_t stride = 0;    // kVMax row stride
  bool accumulate = false;
  int32_t zero_point = 0;  // output offset
  int8_t act_min = -128, act_max = 127;
};

// Exact cycle count of one uop (identical to the RTL; see docs/rtl.md).
uint64_t UopCycles(const Uop& uop, int rows, int cols);

// Parameter-memory record of one lane: 9 bytes little-endian
// {bias/offset int32, multiplier int32, shift int8}. A P row holds `cols` of
// them. kRequant uses lane c for channel c; vector uops use lane 0 =
// {in1_offset, in1_mult, in1_shift}, lane 1 = {in2_offset, in2_mult,
// in2_shift}, lane 2 = {left_shift (ADD/SUB), out_mult, out_shift}.
constexpr int kParamLaneBytes = 9;

// The memories behind the core's ports. Rows are `vec_bytes` wide for U
// (unified activation buffer: A, B reads and O writes of the first `cols`
// bytes) and W; `cols * kParamLaneBytes` for P. A null return means "address
// out of range": the adapter reads zeros / drops the write and Run() reports
// OutOfRange.
class CoreMemory {
 public:
  virtual ~CoreMemory() = default;
  virtual uint8_t* UnifiedRow(uint32_t addr) = 0;
  virtual const uint8_t* WeightRow(uint32_t addr) = 0;
  virtual const uint8_t* ParamRow(uint32_t addr) = 0;
};

// A CoreMemory over three flat byte vectors (tests, benchmarks).
class FlatCoreMemory : public CoreMemory {
 public:
  FlatCoreMemory(int rows, int cols, uint32_t unified_rows, uint32_t weight_rows,
                 uint32_t param_rows);
  uint8_t* UnifiedRow(uint32_t addr) override;
  const uint8_t* WeightRow(uint32_t addr) override;
  const uint8_t* ParamRow(uint32_t addr) override;
  int vec_bytes() const { return vec_bytes_; }
  int param_row_bytes() const { return param_row_bytes_; }
  std::vector<uint8_t>& unified() { return unified_; }
  std::vector<uint8_t>& weights() { return weights_; }
  std::vector<uint8_t>& params() { return params_; }

 private:
  int vec_bytes_, param_row_bytes_;
  std::vector<uint8_t> unified_, weights_, params_;
};

class RtlComputeCore {
 public:
  virtual ~RtlComputeCore() = default;
  virtual int rows() const = 0;
  virtual int cols() const = 0;
  int vec_bytes() const { return rows() > cols() ? rows() : cols(); }

  // Runs the uops back to back (each is accepted in the last cycle of the
  // previous one) and returns when the core is idle again. *cycles (if not
  // null) gets the cycles from the first accept edge to idle = sum of
  // UopCycles(). Memory errors do not stop the run; the first is returned.
  virtual Status Run(const std::vector<Uop>& uops, CoreMemory& mem, uint64_t* cycles) = 0;

  // Clock cycles simulated since creation (including reset and idle cycles).
  virtual uint64_t total_cycles() const = 0;

  // Starts writing an FST waveform of every cycle from now on; stops at
  // destruction or StopTrace(). Fails if the file cannot be opened.
  virtual Status StartTrace(const std::string& fst_path) = 0;
  virtual void StopTrace() = 0;
};

// Supported (rows, cols): SYSTOLE_RTL_CORE_CONFIGS. Else InvalidArgument.
StatusOr<std::unique_ptr<RtlComputeCore>> CreateRtlComputeCore(int rows, int cols);

}  // namespace systole::rtl

#endif  // SYSTOLE_RTL_SIM_RTL_COMPUTE_CORE_H_
