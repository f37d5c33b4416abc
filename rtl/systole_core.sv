// Systole compute core: executes every COMPUTE-unit instruction of the ISA
// (schema/isa/isa.json, docs/ISA.md) with exactly the cycle schedule of the
// compute-core contract (docs/accelerator.md, "Compute-core contract").
//
// Handshake: an instruction is accepted in a cycle t with insn_valid_i &&
// insn_ready_o. The instruction is busy in cycles t .. t+T-1 (cycle 0 = the
// accept cycle) and pulses done_o in cycle t+T-1 (PRELOAD_WEIGHTS: no done).
// The front end is free again (issue_ready_o) in t+O, O = the issue interval
// (= T, except MATMUL: max(m, ceil(R/PRELOAD_ROWS), ceil((R+C-2)/(WEIGHT_BANKS-1))) + L (ISA 8), its drain overlaps what follows);
// drained_o: nothing in flight. insn_ready_o = issue_ready_o && (insn_i is a
// MATMUL or PRELOAD_WEIGHTS, or drained_o): only those two may start while
// MATMULs drain. Dones come in program order, at most one per cycle.
// Cycle 0 of the schedule is the accept cycle itself, so the sequencer works on
// a view of the current instruction that is insn_i while idle and the
// instruction register while busy (`insn`, `cnt` below); reads of cycle 0 are
// issued straight from insn_i.
//
// Memories are outside the core (ABUF, PBUF, ACC); every read returns its data
// MemReadLatency = 1 cycle after the request, writes happen at the end of
// their cycle. The ports never stall, so T is data independent.
//
// This module is wiring: every datapath is a unit of its own, each with a
// header comment giving its schedule and a block test (rtl/*_test.cc):
//   * systole_seq      instruction register, cycle counter (T from the cycle
//                      formulas of isa.json), decode, vector registers (SETREG)
//   * systole_agen     read-port addresses: ABUF A/B, PBUF, ACC read
//   * systole_feed     LOAD_WEIGHTS rows and MATMUL vectors into systole_array
//                      (and the shadow weight rows of PRELOAD_WEIGHTS)
//   * systole_vlanes   requant bank (POSTPROC, VADD..VMUL output stage),
//                      eltwise front (systole_mbqm), VMACC lane
//   * systole_lut      VLUT table and lookup lanes
//   * systole_pool     MAXPOOL / AVGPOOL reducer
//   * systole_softmax  SOFTMAX: row sequencer, exponent table, binary32
//                      datapath, divider (systole_fp32_div)
//   * systole_vwide    VMACC_WIDE: R x C lanes on port V and the wide ACC ports
//   * systole_wb       write-back: ABUF and ACC write ports, and the MATMUL
//                      tracker (the ACC reads/writes and done of MATMULs
//                      still draining after the front end moved on)
// The units share systole_core_pkg (the datapath class, in_win()).
module systole_core
  import systole_isa_pkg::*;
  import systole_core_pkg::*;
#(
  parameter int unsigned Rows = 16,
  parameter int unsigned Cols = 16,
  localparam int unsigned VecW = Rows > Cols ? Rows : Cols
) (
  input  logic                    clk_i,
  input  logic                    rst_ni,
  // instruction handshake
  input  logic                    insn_valid_i,
  input  insn_t                   insn_i,
  output logic                    insn_ready_o,
  output logic                    issue_ready_o,
  output logic                    drained_o,
  output logic                    done_mm_o,     // a MATMUL completed (array lane)
  output logic                    done_other_o,  // any other instruction (PRELOAD_WEIGHTS: none)
  output logic                    done_pp_o,     // a POSTPROC completed (post lane)
  // ABUF read port A (max(R, C) bytes)
  output logic                    abuf_a_req_o,
  output logic [31:0]             abuf_a_addr_o,
  output logic [15:0]             abuf_a_len_o,
  input  logic [VecW-1:0][7:0]    abuf_a_rdata_i,
  // ABUF read port B (C bytes)
  output logic                    abuf_b_req_o,
  output logic [31:0]             abuf_b_addr_o,
  output logic [15:0]             abuf_b_len_o,
  input  logic [Cols-1:0][7:0]    abuf_b_rdata_i,
  // ABUF write port (C bytes)
  output logic                    abuf_we_o,
  output logic [31:0]             abuf_waddr_o,
  output logic [15:0]             abuf_wlen_o,
  output logic [Cols-1:0][7:0]    abuf_wdata_o,
  // ABUF write port P (POSTPROC: POSTPROC_ROWS rows of C bytes, one address
  // per row, abuf_p_len_o bytes in each row with its flag)
  output logic                                   abuf_p_we_o,
  output logic [PostprocRows-1:0]                abuf_p_rows_o,
  output logic [PostprocRows-1:0][31:0]          abuf_p_addr_o,
  output logic [15:0]                            abuf_p_len_o,
  output logic [PostprocRows-1:0][Cols-1:0][7:0] abuf_p_wdata_o,
  // PBUF read port (4*C bytes; pbuf_rows_o > 1: that many rows of len bytes,
  // pbuf_stride_o apart, row g into bytes g*C ..)
  output logic                    pbuf_req_o,
  output logic [31:0]             pbuf_addr_o,
  output logic [15:0]             pbuf_len_o,
  output logic [2:0]              pbuf_rows_o,
  output logic [31:0]             pbuf_stride_o,
  input  logic [4*Cols-1:0][7:0]  pbuf_rdata_i,
  // ACC read port (C x int32, row addressed)
  output logic                    acc_re_o,
  output logic [31:0]             acc_raddr_o,
  input  logic [Cols-1:0][31:0]   acc_rdata_i,
  // ACC read port P (POSTPROC; rows accp_raddr_o + g with accp_rows_o[g],
  // g < POSTPROC_ROWS, C x int32 each)
  output logic                    accp_re_o,
  output logic [31:0]             accp_raddr_o,
  output logic [PostprocRows-1:0] accp_rows_o,
  input  logic [PostprocRows-1:0][Cols-1:0][31:0] accp_rdata_i,
  // ACC write port (C x int32, lane mask)
  output logic                    acc_we_o,
  output logic [31:0]             acc_waddr_o,
  output logic [Cols-1:0]         acc_wmask_o,
  output logic [Cols-1:0][31:0]   acc_wdata_o,
  // VMACC_WIDE (systole_vwide): ABUF read port V (R rows of C bytes, one
  // address per row) and the R-row accumulator read and write ports
  output logic                             abuf_v_req_o,
  output logic [Rows-1:0]                  abuf_v_rows_o,
  output logic [Rows-1:0][31:0]            abuf_v_addr_o,
  output logic [15:0]                      abuf_v_len_o,
  input  logic [Rows-1:0][Cols-1:0][7:0]   abuf_v_rdata_i,
  output logic                             accv_re_o,
  output logic [31:0]                      accv_raddr_o,
  output logic [Rows-1:0]                  accv_rrows_o,
  input  logic [Rows-1:0][Cols-1:0][31:0]  accv_rdata_i,
  output logic                             accv_we_o,
  output logic [31:0]                      accv_waddr_o,
  output logic [Rows-1:0]                  accv_wrows_o,
  output logic [Cols-1:0]                  accv_wmask_o,
  output logic [Rows-1:0][Cols-1:0][31:0]  accv_wdata_o
);
  // ---- parameter and contract checks (elaboration time) ---------------------
  // (Each unit checks the ISA constants its schedule is built for.)
  if (Rows < 2 || Rows > MaxDim) begin : gen_bad_rows
    $error("systole_core: Rows=%0d out of range [2, %0d]", Rows, MaxDim);
  end
  if (Cols < 2 || Cols > MaxDim) begin : gen_bad_cols
    $error("systole_core: Cols=%0d out of range [2, %0d]", Cols, MaxDim);
  end
  if (PreloadRows < 1 || PreloadRows > 4) begin : gen_bad_preload_rows
    $error("systole_core: PRELOAD_ROWS = %0d does not fit the 4*C-byte PBUF port", PreloadRows);
  end
  if (MemReadLatency != 1) begin : gen_bad_mem_latency
    $error("systole_core: built for MEM_READ_LATENCY = 1, ISA says %0d", MemReadLatency);
  end

  // ---- sequencer ---------------------------------------------------------------
  logic               accept, busy, active;
  insn_t              insn;
  logic [31:0]        cnt, chunks;
  logic [15:0]        taps;
  op_class_t          cls;
  logic signed [31:0] vreg [NumVregs];
  preload_weights_t   pre;
  logic               pre_run;
  logic               seq_done, mm_done, mm_empty, mm_re, mm_hit, acc_add;
  logic [31:0]        mm_raddr;
  logic [63:0]        acc_q_lo, acc_q_hi;
  logic               pp_busy, pp_active, pp_done;
  insn_t              pp_insn;
  logic [31:0]        pp_cnt;
  systole_seq #(.Rows(Rows), .Cols(Cols)) u_seq (
    .clk_i, .rst_ni, .insn_valid_i, .insn_i, .drained_i (mm_empty),
    .mm_hit_i (mm_hit), .acc_q_lo_o (acc_q_lo), .acc_q_hi_o (acc_q_hi),
    .insn_ready_o, .issue_ready_o, .drained_o, .done_o (seq_done),
    .accept_o (accept), .busy_o (busy), .active_o (active), .insn_o (insn), .cnt_o (cnt),
    .cls_o (cls), .chunks_o (chunks), .taps_o (taps), .vreg_o (vreg),
    .pre_o (pre), .pre_run_o (pre_run),
    .pp_busy_o (pp_busy), .pp_active_o (pp_active),
    .pp_insn_o (pp_insn), .pp_cnt_o (pp_cnt), .pp_done_o (pp_done)
  );

  // The view of the units a POSTPROC shares with serial instructions (the
  // requant bank's row group 0; systole_wb's view): the post lane's while a POSTPROC is in
  // flight, else the front end's. A POSTPROC overlaps only MATMULs and
  // PRELOAD_WEIGHTS, which use neither.
  logic      v_busy, v_active;
  insn_t     v_insn;
  logic [31:0] v_cnt;
  op_class_t v_cls, pp_cls;
  always_comb begin
    pp_cls    = '0;
    pp_cls.pp = 1'b1;
  end
  assign v_busy   = pp_active ? pp_busy : busy;
  assign v_active = pp_active || active;
  assign v_insn   = pp_active ? pp_insn : insn;
  assign v_cnt    = pp_active ? pp_cnt : cnt;
  assign v_cls    = pp_active ? pp_cls : cls;

  // ---- read ports ----------------------------------------------------------------
  logic        sm_rd, pool_first, pool_last, agen_acc_re;
  logic [31:0] sm_addr, agen_acc_raddr;
  systole_agen #(.Rows(Rows), .Cols(Cols)) u_agen (
    .clk_i, .rst_ni,
    .accept_i (accept), .busy_i (busy), .active_i (active), .insn_i (insn), .cnt_i (cnt),
    .cls_i (cls), .chunks_i (chunks), .taps_i (taps), .pre_i (pre), .pre_run_i (pre_run),
    .pp_busy_i (pp_busy), .pp_active_i (pp_active), .pp_insn_i (pp_insn), .pp_cnt_i (pp_cnt),
    .sm_rd_i (sm_rd), .sm_addr_i (sm_addr),
    .abuf_a_req_o, .abuf_a_addr_o, .abuf_a_len_o,
    .abuf_b_req_o, .abuf_b_addr_o, .abuf_b_len_o,
    .pbuf_req_o, .pbuf_addr_o, .pbuf_len_o, .pbuf_rows_o, .pbuf_stride_o,
    .acc_re_o (agen_acc_re), .acc_raddr_o (agen_acc_raddr),
    .accp_re_o, .accp_raddr_o, .accp_rows_o,
    .pool_first_o (pool_first), .pool_last_o (pool_last)
  );

  // ---- units -----------------------------------------------------------------------
  logic                  psum_valid, psum_next;
  logic [Cols-1:0][31:0] psum;
  systole_feed #(.Rows(Rows), .Cols(Cols)) u_feed (
    .clk_i, .rst_ni,
    .busy_i (busy), .active_i (active), .insn_i (insn), .cnt_i (cnt), .cls_i (cls),
    .pre_i (pre), .pre_run_i (pre_run),
    .w_i (pbuf_rdata_i[PreloadRows*Cols-1:0]), .act_i (abuf_a_rdata_i[Rows-1:0]), .drain_i (!mm_empty),
    .psum_valid_o (psum_valid), .psum_next_o (psum_next), .psum_o (psum)
  );

  logic signed [7:0]  rq [PostprocRows][Cols];
  logic signed [31:0] vm [Cols];
  systole_vlanes #(.Cols(Cols)) u_vlanes (
    .clk_i, .rst_ni,
    .busy_i (v_busy), .active_i (v_active), .insn_i (v_insn), .cnt_i (v_cnt), .cls_i (v_cls),
    .vreg_i (vreg), .pbuf_i (pbuf_rdata_i), .a_i (abuf_a_rdata_i[Cols-1:0]),
    .b_i (abuf_b_rdata_i), .acc_i (acc_rdata_i), .accp_i (accp_rdata_i),
    .rq_o (rq), .vm_o (vm)
  );

  logic [7:0] lut [Cols];
  systole_lut #(.Cols(Cols)) u_lut (
    .clk_i, .busy_i (busy), .is_lut_i (cls.lut), .cnt_i (cnt),
    .pbuf_i (pbuf_rdata_i), .a_i (abuf_a_rdata_i[Cols-1:0]), .out_o (lut)
  );

  logic              pool_valid;
  logic signed [7:0] pool [Cols];
  systole_pool #(.Cols(Cols)) u_pool (
    .clk_i, .rst_ni,
    .rd_i (abuf_a_req_o && cls.pool), .first_i (pool_first), .last_i (pool_last),
    .avg_i (insn[OpcodeLsb +: OpcodeWidth] == OpAvgpool), .taps_i (taps),
    .act_min_i (vreg[VRegActMin][7:0]), .act_max_i (vreg[VRegActMax][7:0]),
    .data_i (abuf_a_rdata_i[Cols-1:0]), .valid_o (pool_valid), .out_o (pool)
  );

  logic        sm_we, smu_rd, smu_we, l2_rd, l2_we;
  logic [7:0]  sm_out, smu_out, l2_out;
  logic [31:0] smu_addr, l2_addr;
  systole_softmax #(.Cols(Cols)) u_softmax (
    .clk_i, .rst_ni,
    .accept_i (accept), .busy_i (busy), .is_sm_i (cls.sm), .insn_i (insn), .cnt_i (cnt),
    .pbuf_i (pbuf_rdata_i), .x_i (abuf_a_rdata_i[0]),
    .rd_o (smu_rd), .addr_o (smu_addr), .we_o (smu_we), .out_o (smu_out)
  );
  systole_l2norm u_l2norm (
    .clk_i, .rst_ni,
    .accept_i (accept), .busy_i (busy), .is_l2_i (cls.l2), .insn_i (insn), .cnt_i (cnt),
    .x_i (abuf_a_rdata_i[0]),
    .rd_o (l2_rd), .addr_o (l2_addr), .we_o (l2_we), .out_o (l2_out)
  );
  // The two scalar row units share the one-byte read and write paths.
  assign sm_rd   = cls.l2 ? l2_rd : smu_rd;
  assign sm_addr = cls.l2 ? l2_addr : smu_addr;
  assign sm_we   = cls.l2 ? l2_we : smu_we;
  assign sm_out  = cls.l2 ? l2_out : smu_out;

  logic              vw_en, vw_acc;
  logic [4:0]        vw_shift;
  logic signed [8:0] vw_w [Cols];
  systole_vwide #(.Rows(Rows), .Cols(Cols)) u_vwide (
    .clk_i, .rst_ni,
    .busy_i (busy), .active_i (active), .insn_i (insn), .cnt_i (cnt), .cls_i (cls),
    .pbuf_i (pbuf_rdata_i[Cols-1:0]),
    .v_req_o (abuf_v_req_o), .v_rows_o (abuf_v_rows_o), .v_addr_o (abuf_v_addr_o),
    .v_len_o (abuf_v_len_o),
    .accv_re_o, .accv_raddr_o, .accv_rrows_o,
    .accv_we_o, .accv_waddr_o, .accv_wrows_o, .accv_wmask_o,
    .lane_en_o (vw_en), .lane_acc_o (vw_acc), .lane_shift_o (vw_shift), .lane_w_o (vw_w)
  );
  // VMACC_WIDE's R x C lanes and sums register (controls from systole_vwide).
  // The register is the output port itself, in this, the top module: held in
  // systole_vwide as its output port, the Verilated model copied all R x C
  // sums (16 KB at 64x64) into this port on every clock (docs/rtl.md,
  // "Simulation speed").
  // verilator tracing_off
  always_ff @(posedge clk_i) begin
    if (vw_en)
      for (int unsigned r = 0; r < Rows; r++)
        for (int unsigned c = 0; c < Cols; c++)
          accv_wdata_o[r][c] <= (vw_acc ? accv_rdata_i[r][c] : 32'd0) +
                                (32'($signed(abuf_v_rdata_i[r][c]) * vw_w[c]) << vw_shift);
  end
  // verilator tracing_on

  // ---- write ports --------------------------------------------------------------
  systole_wb #(.Rows(Rows), .Cols(Cols)) u_wb (
    .clk_i, .rst_ni,
    .accept_i (accept), .busy_i (busy), .active_i (active), .insn_i (insn), .cnt_i (cnt),
    .cls_i (cls), .chunks_i (chunks),
    .ab_busy_i (v_busy), .ab_active_i (v_active), .ab_insn_i (v_insn), .ab_cnt_i (v_cnt),
    .ab_cls_i (v_cls), .q_lo_i (acc_q_lo), .q_hi_i (acc_q_hi), .mm_hit_o (mm_hit),
    .rq_i (rq), .lut_i (lut), .pool_valid_i (pool_valid), .pool_i (pool),
    .sm_we_i (sm_we), .sm_i (sm_out), .psum_valid_i (psum_valid), .psum_next_i (psum_next),
    .abuf_we_o, .abuf_waddr_o, .abuf_wlen_o, .abuf_wdata_o,
    .abuf_p_we_o, .abuf_p_rows_o, .abuf_p_addr_o, .abuf_p_len_o, .abuf_p_wdata_o,
    .acc_we_o, .acc_waddr_o, .acc_wmask_o, .acc_add_o (acc_add),
    .mm_re_o (mm_re), .mm_raddr_o (mm_raddr), .mm_done_o (mm_done), .mm_empty_o (mm_empty)
  );

  // The ACC write data: a MATMUL's result row (plus the ACC read data when it
  // accumulates) or the VMACC lanes' sums, as systole_wb selects. Formed
  // here, at the core's port: an inlined unit's output port wired to a
  // top-level port is copied by the Verilated model in every evaluation
  // (docs/rtl.md, "Simulation speed").
  // verilator tracing_off
  always_comb begin
    for (int unsigned c = 0; c < Cols; c++)
      acc_wdata_o[c] = psum_valid ? (acc_add ? acc_rdata_i[c] : 32'd0) + psum[c] : vm[c];
  end
  // verilator tracing_on

  // The ACC read port: MATMUL accumulate reads (tracker) or VMACC (agen),
  // never both (VMACC starts only once every MATMUL has drained). POSTPROC
  // reads on port P.
  assign acc_re_o    = agen_acc_re || mm_re;
  assign acc_raddr_o = mm_re ? mm_raddr : agen_acc_raddr;
  // done lanes (compute_core.h): a MATMUL's last ACC write; the sequencer's
  // (serial instructions); the post lane's (POSTPROC). A serial instruction
  // runs beside nothing but (VMACC_WIDE) a POSTPROC, so its done never meets
  // a MATMUL's; a POSTPROC's may meet a MATMUL's or a VMACC_WIDE's.
  assign done_mm_o    = mm_done;
  assign done_other_o = seq_done;
  assign done_pp_o    = pp_done;
  a_acc_port: assert property (@(posedge clk_i) !(agen_acc_re && mm_re));
  a_one_done: assert property (@(posedge clk_i) !(seq_done && mm_done));

  // Deliberately unused: bytes of the wide read buses beyond what a lane uses.
  logic unused_ok;
  assign unused_ok = ^{abuf_a_rdata_i, pbuf_rdata_i};
endmodule
