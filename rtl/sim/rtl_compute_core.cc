#include "rtl/sim/rtl_compute_core.h"

#include <cstring>
#include <type_traits>

#include "verilated.h"
#include "verilated_fst_c.h"

#include "Vsystole_core_16x16.h"
#include "Vsystole_core_64x64.h"
#include "Vsystole_core_8x8.h"

namespace systole::rtl {
namespace {

constexpr int kLoadWeightsExtra = 1;
constexpr int kMatmulExtra = 1;    // + rows + cols - 1 (array latency)
constexpr int kRequantExtra = 7;   // param read, param latch, 5-stage requant
constexpr int kVectorExtra = 11;   // param read, operand read, 4 + 5 pipeline stages
constexpr int kVMaxExtra = 2;      // read latency, write

// Little-endian byte image of a port (CData..QData or VlWide): bit 8*i of the
// SystemVerilog vector is byte i here, as packed [N-1:0][7:0] arrays lay out.
template <typename P>
void CopyIn(P& port, const uint8_t* src, size_t n) {
  static_assert(std::is_trivially_copyable_v<P>);
  std::memcpy(static_cast<void*>(&port), src, n);
}
template <typename P>
void CopyOut(const P& port, uint8_t* dst, size_t n) {
  std::memcpy(dst, static_cast<const void*>(&port), n);
}

template <typename Model, int kRows, int kCols>
class RtlCoreImpl final : public RtlComputeCore {
 public:
  static constexpr int kVec = kRows > kCols ? kRows : kCols;
  static constexpr int kParamBytes = kCols * kParamLaneBytes;
  static_assert(sizeof(Model::a_rdata_i) >= kVec, "A port narrower than a row");
  static_assert(sizeof(Model::p_rdata_i) >= kParamBytes, "P port narrower than a row");

  RtlCoreImpl() {
    ctx_.traceEverOn(true);
    model_ = std::make_unique<Model>(&ctx_, "core");
    model_->clk_i = 0;
    model_->rst_ni = 0;
    model_->cmd_valid_i = 0;
    model_->eval();
    Cycle();  // one clock in reset
    model_->rst_ni = 1;
    model_->eval();
  }
  ~RtlCoreImpl() override {
    StopTrace();
    model_->final();
  }

  int rows() const override { return kRows; }
  int cols() const override { return kCols; }
  uint64_t total_cycles() const override { return cycle_; }

  Status StartTrace(const std::string& path) override {
    StopTrace();
    trace_ = std::make_unique<VerilatedFstC>();
    model_->trace(trace_.get(), 99);
    trace_->open(path.c_str());
    if (!trace_->isOpen()) {
      trace_.reset();
      return Unavailable("RtlComputeCore: cannot open FST trace '%s'", path.c_str());
    }
    return Status::Ok();
  }
  void StopTrace() override {
    if (trace_) {
      trace_->close();
      trace_.reset();
    }
  }

  Status Run(const std::vector<Uop>& uops, CoreMemory& mem, uint64_t* cycles) override {
    mem_ = &mem;
    error_ = Status::Ok();
    for (const Uop& u : uops) {
      if (u.len >= (1u << 16)) {
        return InvalidArgument("RtlComputeCore: uop len %u exceeds 65535", u.len);
      }
    }
    size_t next = 0;
    uint64_t counted = 0;
    bool started = false;
    while (true) {
      if (next < uops.size()) {
        Present(uops[next]);
      } else {
        model_->cmd_valid_i = 0;
      }
      model_->eval();
      const bool accepted = model_->cmd_valid_i && model_->cmd_ready_o;
      Cycle();
      if (started) ++counted;
      if (accepted) {
        started = true;
        ++next;
      }
      if (started && next == uops.size() && !model_->busy_o) break;
      if (!started && uops.empty()) break;
    }
    if (cycles) *cycles = counted;
    mem_ = nullptr;
    return error_;
  }

 private:
  void Present(const Uop& u) {
    Model& m = *model_;
    m.cmd_valid_i = 1;
    m.cmd_op_i = static_cast<uint8_t>(u.kind);
    m.cmd_a_addr_i = u.a_addr;
    m.cmd_b_addr_i = u.b_addr;
    m.cmd_o_addr_i = u.o_addr;
    m.cmd_p_addr_i = u.p_addr;
    m.cmd_acc_addr_i = u.acc_addr;
    m.cmd_len_i = u.len;
    m.cmd_stride_i = u.stride;
    m.cmd_accumulate_i = u.accumulate;
    m.cmd_zero_point_i = static_cast<uint32_t>(u.zero_point);
    m.cmd_act_min_i = static_cast<uint8_t>(u.act_min);
    m.cmd_act_max_i = static_cast<uint8_t>(u.act_max);
  }

  void Fail(const char* port, uint32_t addr) {
    if (error_.ok()) {
      error_ = OutOfRange("RtlComputeCore: %s port address %u out of range (cycle %llu)", port,
                          addr, static_cast<unsigned long long>(cycle_));
    }
  }

  // One clock cycle: the memory side samples the requests of this cycle, the
  // rising edge happens, and read data for the next cycle is driven.
  void Cycle() {
    Model& m = *model_;
    m.clk_i = 0;
    m.eval();
    if (trace_) trace_->dump(2 * cycle_);
    const bool a_re = m.a_re_o, b_re = m.b_re_o, w_re = m.w_re_o, p_re = m.p_re_o;
    const uint32_t a_addr = m.a_addr_o, b_addr = m.b_addr_o, w_addr = m.w_addr_o,
                   p_addr = m.p_addr_o;
    if (m.o_we_o && mem_) {
      if (uint8_t* row = mem_->UnifiedRow(m.o_addr_o)) {
        CopyOut(m.o_wdata_o, row, kCols);
      } else {
        Fail("O", m.o_addr_o);
      }
    }
    m.clk_i = 1;
    m.eval();
    if (trace_) trace_->dump(2 * cycle_ + 1);
    ++cycle_;
    // Reads see memory after this cycle's write (write-first), like the
    // behavioural model; the RTL never reads a row it writes in the same uop.
    if (mem_) {
      if (a_re) ReadInto(m.a_rdata_i, mem_->UnifiedRow(a_addr), kVec, "A", a_addr);
      if (b_re) ReadInto(m.b_rdata_i, mem_->UnifiedRow(b_addr), kVec, "B", b_addr);
      if (w_re) ReadInto(m.w_rdata_i, mem_->WeightRow(w_addr), kVec, "W", w_addr);
      if (p_re) ReadInto(m.p_rdata_i, mem_->ParamRow(p_addr), kParamBytes, "P", p_addr);
    }
  }

  template <typename P>
  void ReadInto(P& port, const uint8_t* row, size_t n, const char* name, uint32_t addr) {
    if (row) {
      CopyIn(port, row, n);
    } else {
      static const uint8_t kZeros[kParamBytes > kVec ? kParamBytes : kVec] = {};
      CopyIn(port, kZeros, n);
      Fail(name, addr);
    }
  }

  VerilatedContext ctx_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<VerilatedFstC> trace_;
  CoreMemory* mem_ = nullptr;
  Status error_;
  uint64_t cycle_ = 0;
};

}  // namespace

uint64_t UopCycles(const Uop& u, int rows, int cols) {
  switch (u.kind) {
    case UopKind::kLoadWeights:
      return rows + kLoadWeightsExtra;
    case UopKind::kMatmul:
      return uint64_t{u.len} + rows + cols - 1 + kMatmulExtra;
    case UopKind::kRequant:
      return uint64_t{u.len} + kRequantExtra;
    case UopKind::kVAdd:
    case UopKind::kVSub:
    case UopKind::kVMul:
      return uint64_t{u.len} + kVectorExtra;
    case UopKind::kVMax:
      return uint64_t{u.len} + kVMaxExtra;
    case UopKind::kNop:
      break;
  }
  return 1;
}

FlatCoreMemory::FlatCoreMemory(int rows, int cols, uint32_t unified_rows, uint32_t weight_rows,
                               uint32_t param_rows)
    : vec_bytes_(rows > cols ? rows : cols),
      param_row_bytes_(cols * kParamLaneBytes),
      unified_(size_t{unified_rows} * vec_bytes_),
      weights_(size_t{weight_rows} * vec_bytes_),
      params_(size_t{param_rows} * param_row_bytes_) {}

uint8_t* FlatCoreMemory::UnifiedRow(uint32_t addr) {
  const size_t off = size_t{addr} * vec_bytes_;
  return off + vec_bytes_ <= unified_.size() ? unified_.data() + off : nullptr;
}
const uint8_t* FlatCoreMemory::WeightRow(uint32_t addr) {
  const size_t off = size_t{addr} * vec_bytes_;
  return off + vec_bytes_ <= weights_.size() ? weights_.data() + off : nullptr;
}
const uint8_t* FlatCoreMemory::ParamRow(uint32_t addr) {
  const size_t off = size_t{addr} * param_row_bytes_;
  return off + param_row_bytes_ <= params_.size() ? params_.data() + off : nullptr;
}

StatusOr<std::unique_ptr<RtlComputeCore>> CreateRtlComputeCore(int rows, int cols) {
#define SYSTOLE_RTL_MAKE(r, c)                                              \
  if (rows == (r) && cols == (c)) {                                         \
    return std::unique_ptr<RtlComputeCore>(                                 \
        new RtlCoreImpl<Vsystole_core_##r##x##c, (r), (c)>());              \
  }
  SYSTOLE_RTL_CORE_CONFIGS(SYSTOLE_RTL_MAKE)
#undef SYSTOLE_RTL_MAKE
  return InvalidArgument(
      "CreateRtlComputeCore: %dx%d array not built (Verilated configs: 8x8, 16x16, 64x64)",
      rows, cols);
}

}  // namespace systole::rtl
