#include "rtl/sim/rtl_compute_core.h"

#include <cstdio>
#include <cstring>
#include <type_traits>
#include <vector>

#include "arch/core_ports.h"
#include "arch/cycle_model.h"
#include "verilated.h"
#include "verilated_fst_c.h"

#include "Vsystole_core_16x16.h"
#include "Vsystole_core_64x64.h"
#include "Vsystole_core_8x8.h"

namespace systole::rtl {
namespace {

// Verilator stores a packed port (CData..QData, or VlWide<N> above 64 bits)
// little-endian: byte i of the memory image is bits [8i+7:8i] of the
// SystemVerilog vector, which is how the core's [N-1:0][7:0] / [N-1:0][31:0]
// buses are laid out.
template <typename P>
void CopyIn(P& port, const void* src, size_t n) {
  static_assert(std::is_trivially_copyable_v<P>);
  std::memcpy(static_cast<void*>(&port), src, n);
}
template <typename P>
void CopyOut(const P& port, void* dst, size_t n) {
  std::memcpy(dst, static_cast<const void*>(&port), n);
}

template <typename Model, int kRows, int kCols>
class RtlCore final : public sim::ComputeCore {
 public:
  static constexpr int kVec = kRows > kCols ? kRows : kCols;
  static_assert(sizeof(Model::abuf_a_rdata_i) >= kVec, "port A narrower than max(R, C)");
  static_assert(sizeof(Model::abuf_b_rdata_i) >= kCols, "port B narrower than C");
  static_assert(sizeof(Model::pbuf_rdata_i) >= 4 * kCols, "PBUF port narrower than 4C");
  static_assert(sizeof(Model::acc_rdata_i) >= 4 * kCols, "ACC port narrower than C x int32");
  static_assert(sizeof(Model::insn_i) == sizeof(isa::InsnWord), "insn_i is not 256 bits");
  static_assert(sizeof(Model::abuf_v_rdata_i) >= size_t(kRows) * kCols, "port V narrower than R x C");
  static_assert(sizeof(Model::accv_rdata_i) >= 4 * size_t(kRows) * kCols, "wide ACC port narrower");
  static_assert(sizeof(Model::abuf_v_addr_o) == 4 * size_t(kRows), "port V addresses");

  RtlCore(const sim::CoreConfig& config, const sim::CoreMemories& mem)
      : config_(config), mem_(mem), wdata_(kCols), acc_wdata_(kCols), accv_wdata_(size_t(kRows) * kCols) {
    ctx_.traceEverOn(true);  // before the model exists, so it can be traced
    model_ = std::make_unique<Model>(&ctx_, "core");
    rd_.Resize(config_);
    Reset();
  }
  ~RtlCore() override {
    if (trace_) trace_->close();
    model_->final();
    // The model's scopes (the names its assertions report) were registered
    // with the thread's current context, ctx_ (its constructor made it
    // current), and Verilator erases them from the thread's current context
    // again: make that ctx_ once more, or destroying this core after another
    // core's context is gone would touch freed memory (two devices in one
    // thread, as in the driver tests).
    Verilated::threadContextp(&ctx_);
    model_.reset();
  }

  Status OpenTrace(const std::string& path) {
    trace_ = std::make_unique<VerilatedFstC>();
    model_->trace(trace_.get(), 99);
    trace_->open(path.c_str());
    if (!trace_->isOpen()) {
      trace_.reset();
      return Unavailable("RTL compute core: cannot open FST trace '%s'", path.c_str());
    }
    return Status::Ok();
  }

  const char* Name() const override { return "rtl"; }

  void Reset() override {
    Model& m = *model_;
    m.clk_i = 0;
    m.insn_valid_i = 0;
    // A falling edge of rst_ni even on the first call (a fresh model's
    // rst_ni is already 0, and the asynchronous reset needs the edge).
    m.rst_ni = 1;
    m.eval();
    m.rst_ni = 0;
    m.eval();
    m.rst_ni = 1;
    m.eval();
    idle_ = m.drained_o;
  }

  // The contract's accept rule (arch/issue.h) is the RTL's own insn_ready_o,
  // a combinational function of insn_i and the state after the last edge:
  // drive `next` on insn_i (insn_valid_i low, no edge) and evaluate. Only
  // once the front end is free (issue_ready_o): before, nothing is accepted.
  bool Ready(const isa::Instruction& next) const override {
    Model& m = *model_;
    if (!m.issue_ready_o) return false;
    if (next.opcode() == isa::Opcode::kPreloadWeights) return true;
    isa::InsnWord word;
    if (!isa::Encode(next, &word).ok()) return true;  // Step reports it
    m.insn_valid_i = 0;
    CopyIn(m.insn_i, word.w, sizeof(word.w));
    m.eval();
    return m.insn_ready_o;
  }

  // One clock cycle: drive the handshake, evaluate the low phase (the core's
  // requests of this cycle are now on its outputs; capture them), rising
  // edge, then service the captured requests: writes land in the memories
  // (end of this cycle), reads are driven for the next cycle.
  uint32_t Step(const isa::Instruction* insn) override {
    // An idle core with no instruction has no observable behaviour: every
    // datapath register it would clock is dead until the next accept.
    if (insn == nullptr && idle_) {
      ++cycle_;
      return false;
    }
    Model& m = *model_;
    m.insn_valid_i = insn != nullptr;
    if (insn != nullptr) {
      isa::InsnWord word;
      const Status s = isa::Encode(*insn, &word);
      if (!s.ok()) Report(s);
      CopyIn(m.insn_i, word.w, sizeof(word.w));
    }
    m.clk_i = 0;
    m.eval();
    if (trace_) trace_->dump(2 * cycle_);

    sim::CoreRequests req;
    req.abuf_a = {m.abuf_a_req_o != 0, m.abuf_a_addr_o, m.abuf_a_len_o};
    req.abuf_b = {m.abuf_b_req_o != 0, m.abuf_b_addr_o, m.abuf_b_len_o};
    req.pbuf.req = m.pbuf_req_o != 0;
    req.pbuf.addr = m.pbuf_addr_o;
    req.pbuf.len = m.pbuf_len_o;
    req.pbuf.rows = m.pbuf_rows_o;
    req.pbuf.stride = m.pbuf_stride_o;
    req.abuf_we = m.abuf_we_o;
    if (req.abuf_we) {
      req.abuf_waddr = m.abuf_waddr_o;
      req.abuf_wlen = m.abuf_wlen_o;
      CopyOut(m.abuf_wdata_o, wdata_.data(), kCols);
      req.abuf_wdata = wdata_.data();
    }
    req.acc_re = m.acc_re_o;
    req.acc_raddr = m.acc_raddr_o;
    req.accp_re = m.accp_re_o;
    if (req.accp_re) {
      req.accp_raddr = m.accp_raddr_o;
      UnpackBits(m.accp_rows_o, isa::kPostprocRows, accp_rows_);
      req.accp_rows = accp_rows_;
    }
    req.abuf_p_we = m.abuf_p_we_o;
    if (req.abuf_p_we) {
      req.abuf_p_len = m.abuf_p_len_o;
      UnpackBits(m.abuf_p_rows_o, isa::kPostprocRows, abuf_p_rows_);
      CopyOut(m.abuf_p_addr_o, abuf_p_addr_, sizeof(abuf_p_addr_));
      CopyOut(m.abuf_p_wdata_o, abuf_p_wdata_.data(), abuf_p_wdata_.size());
      req.abuf_p_rows = abuf_p_rows_;
      req.abuf_p_addr = abuf_p_addr_;
      req.abuf_p_wdata = abuf_p_wdata_.data();
    }
    req.acc_we = m.acc_we_o;
    if (req.acc_we) {
      req.acc_waddr = m.acc_waddr_o;
      CopyOut(m.acc_wdata_o, acc_wdata_.data(), sizeof(int32_t) * kCols);
      uint8_t mask[(kCols + 7) / 8];
      CopyOut(m.acc_wmask_o, mask, sizeof(mask));
      for (int c = 0; c < kCols; ++c) acc_wmask_[c] = (mask[c / 8] >> (c % 8)) & 1;
      req.acc_wdata = acc_wdata_.data();
      req.acc_wmask = acc_wmask_;
    }
    req.abuf_v_req = m.abuf_v_req_o;
    if (req.abuf_v_req) {
      req.abuf_v_len = m.abuf_v_len_o;
      CopyOut(m.abuf_v_addr_o, v_addr_, sizeof(v_addr_));
      UnpackBits(m.abuf_v_rows_o, kRows, v_rows_);
      req.abuf_v_addr = v_addr_;
      req.abuf_v_rows = v_rows_;
    }
    req.accv_re = m.accv_re_o;
    if (req.accv_re) {
      req.accv_raddr = m.accv_raddr_o;
      UnpackBits(m.accv_rrows_o, kRows, accv_rrows_);
      req.accv_rrows = accv_rrows_;
    }
    req.accv_we = m.accv_we_o;
    if (req.accv_we) {
      req.accv_waddr = m.accv_waddr_o;
      UnpackBits(m.accv_wrows_o, kRows, accv_wrows_);
      UnpackBits(m.accv_wmask_o, kCols, accv_wmask_);
      CopyOut(m.accv_wdata_o, accv_wdata_.data(), sizeof(int32_t) * kRows * kCols);
      req.accv_wrows = accv_wrows_;
      req.accv_wmask = accv_wmask_;
      req.accv_wdata = accv_wdata_.data();
    }
    const uint32_t done = (m.done_mm_o ? sim::kDoneArray : 0u) | (m.done_other_o ? sim::kDoneOther : 0u) |
                          (m.done_pp_o ? sim::kDonePost : 0u);

    m.clk_i = 1;
    m.eval();
    if (trace_) trace_->dump(2 * cycle_ + 1);
    ++cycle_;

    const Status s = sim::ServiceCorePorts(config_, mem_, req, &rd_);
    if (!s.ok()) Report(s);
    if (req.abuf_a.req) CopyIn(m.abuf_a_rdata_i, rd_.abuf_a.data(), kVec);
    if (req.abuf_b.req) CopyIn(m.abuf_b_rdata_i, rd_.abuf_b.data(), kCols);
    if (req.pbuf.req) CopyIn(m.pbuf_rdata_i, rd_.pbuf.data(), 4 * kCols);
    if (req.acc_re) CopyIn(m.acc_rdata_i, rd_.acc.data(), sizeof(int32_t) * kCols);
    if (req.accp_re) CopyIn(m.accp_rdata_i, rd_.accp.data(), sizeof(int32_t) * isa::kPostprocRows * kCols);
    if (req.abuf_v_req) CopyIn(m.abuf_v_rdata_i, rd_.abuf_v.data(), size_t(kRows) * kCols);
    if (req.accv_re) CopyIn(m.accv_rdata_i, rd_.accv.data(), sizeof(int32_t) * kRows * kCols);
    idle_ = m.drained_o;
    return done;
  }

 private:
  // A packed [n-1:0] flag vector (bit i = flag i) into bools.
  template <typename P>
  static void UnpackBits(const P& port, int n, bool* out) {
    uint8_t bits[(kRows > kCols ? kRows : kCols) / 8 + 1] = {};
    CopyOut(port, bits, (n + 7) / 8);
    for (int i = 0; i < n; ++i) out[i] = (bits[i / 8] >> (i % 8)) & 1;
  }

  // A port error is a core bug (the device validated every instruction);
  // ComputeCore has no error channel, so say it once, loudly. The
  // conformance test then fails on the outputs.
  void Report(const Status& s) {
    if (reported_) return;
    reported_ = true;
    std::fprintf(stderr, "RTL compute core, cycle %llu: %s\n",
                 static_cast<unsigned long long>(cycle_), s.ToString().c_str());
  }

  sim::CoreConfig config_;
  sim::CoreMemories mem_;
  VerilatedContext ctx_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<VerilatedFstC> trace_;
  sim::CoreReadData rd_;
  std::vector<uint8_t> wdata_;
  std::vector<int32_t> acc_wdata_;
  bool acc_wmask_[kCols] = {};
  std::vector<int32_t> accv_wdata_;
  uint32_t v_addr_[kRows] = {};
  bool v_rows_[kRows] = {}, accv_rrows_[kRows] = {}, accv_wrows_[kRows] = {}, accv_wmask_[kCols] = {};
  bool accp_rows_[isa::kPostprocRows] = {}, abuf_p_rows_[isa::kPostprocRows] = {};
  uint32_t abuf_p_addr_[isa::kPostprocRows] = {};
  std::vector<uint8_t> abuf_p_wdata_ = std::vector<uint8_t>(size_t{isa::kPostprocRows} * kCols);
  uint64_t cycle_ = 0;
  bool idle_ = true;
  bool reported_ = false;
};

template <typename Model, int kRows, int kCols>
StatusOr<std::unique_ptr<sim::ComputeCore>> Make(const sim::CoreConfig& config,
                                                 const sim::CoreMemories& memories,
                                                 const RtlCoreOptions& options) {
  auto core = std::make_unique<RtlCore<Model, kRows, kCols>>(config, memories);
  if (!options.trace_path.empty()) {
    const Status s = core->OpenTrace(options.trace_path);
    if (!s.ok()) return s;
  }
  return std::unique_ptr<sim::ComputeCore>(std::move(core));
}

}  // namespace

StatusOr<std::unique_ptr<sim::ComputeCore>> MakeRtlComputeCore(const sim::CoreConfig& config,
                                                               const sim::CoreMemories& memories,
                                                               const RtlCoreOptions& options) {
#define SYSTOLE_RTL_MAKE(r, c)                                                    \
  if (config.rows == (r) && config.cols == (c)) {                                 \
    return Make<Vsystole_core_##r##x##c, (r), (c)>(config, memories, options);   \
  }
  SYSTOLE_RTL_CORE_CONFIGS(SYSTOLE_RTL_MAKE)
#undef SYSTOLE_RTL_MAKE
  return Unimplemented(
      "RTL compute core: a %dx%d array is not Verilated (built: 8x8, 16x16, 64x64; add the size "
      "to SYSTOLE_RTL_CORE_CONFIGS in rtl/CMakeLists.txt and rtl/sim/rtl_compute_core.h)",
      config.rows, config.cols);
}

}  // namespace systole::rtl
