// systole_seq: the compute core's sequencer. Holds the instruction register and
// the cycle counter, decodes the opcode into the one-hot datapath class, and
// executes SETREG (the vector configuration registers live here).
//
// Handshake (the compute-core contract, docs/accelerator.md): an instruction is
// accepted in cycle t when insn_valid_i && insn_ready_o. The front end (this
// sequencer) is busy in cycles t .. t+O-1 (cycle 0 = the accept cycle), O =
// the issue interval, compute_issue_last_cycle() + 1 of the ISA package, which
// gen_isa.py generates from the "issue" (else "cycles") formulas of
// schema/isa/isa.json: the sequencer has no cycle table of its own. O = T
// (the busy cycles, compute_last_cycle() + 1) except for MATMUL, whose drain
// (the array's results and their ACC writes) runs on in the write-back's
// MATMUL tracker (systole_wb) after the front end is free, and POSTPROC
// (O = 3), which runs on in the post-processing lane below.
//   issue_ready_o  the front end is free (cycle t+O on)
//   drained_o      nothing is in flight: the front end is free, the MATMUL
//                  tracker is empty (drained_i) and the post lane is idle
//   insn_ready_o   issue_ready_o and the accept rule of insn_i (arch/issue.h,
//                  IssueModel, the one C++ copy of it):
//                    PRELOAD_WEIGHTS  always;
//                    MATMUL    no POSTPROC in flight, or its ACC rows and
//                              its ABUF reads miss the POSTPROC's ACC rows
//                              and ABUF writes (ranges latched at the
//                              POSTPROC's accept);
//                    POSTPROC  no POSTPROC in flight and no in-flight MATMUL
//                              writes its ACC rows (mm_hit_i: the tracker,
//                              queried with acc_q_lo_o .. acc_q_hi_o);
//                    VMACC_WIDE  no MATMUL in flight (drained_i), and no
//                              POSTPROC, or its ACC rows and ABUF reads miss
//                              the POSTPROC's (as MATMUL; ISA 7);
//                    others    drained_o.
//   done_o         in t+T-1 of every instruction but MATMUL (the tracker's
//                  done), POSTPROC (pp_done_o) and PRELOAD_WEIGHTS (none)
//
// Post-processing lane: a second instruction register and cycle counter,
// loaded at a POSTPROC's accept, counting its T cycles while the front end
// takes the next instructions (from cycle 3 on). Its view (pp_*_o, like the
// front end's below) drives the POSTPROC datapath: ACC read port P (agen),
// the requant bank (vlanes) and the ABUF write port (wb); pp_done_o in its
// cycle T-1. At most one POSTPROC is in flight.
//
// Outputs to the units (all combinational, valid in every cycle):
//   accept_o  the accept cycle (cycle 0)
//   busy_o    cycles 1 .. O-1 of a multi-cycle instruction
//   active_o  busy_o or accept_o
//   insn_o    the current instruction: insn_i while idle, the register while busy
//   cnt_o     the current cycle within it, 0 in the accept cycle
//   cls_o     its datapath class (one-hot or zero)
//   chunks_o  ceil(len / Cols) of VADD..VFILL (the element vectors)
//   taps_o    kh * kw of MAXPOOL/AVGPOOL (the window taps per pixel)
//   vreg_o    the vector registers (SETREG writes them in its accept cycle)
//   pre_o     the fields of the last PRELOAD_WEIGHTS (shadow weights)
//   pre_run_o the current MATMUL performs that preload: a PRELOAD_WEIGHTS was
//             pending at its accept (the pending flag clears there)
// Latency: none (SETREG's registers change at the end of its accept cycle).
module systole_seq
  import systole_isa_pkg::*;
  import systole_core_pkg::*;
#(
  parameter int unsigned Rows = 16,
  parameter int unsigned Cols = 16
) (
  input  logic               clk_i,
  input  logic               rst_ni,
  input  logic               insn_valid_i,
  input  insn_t              insn_i,
  input  logic               drained_i,  // the MATMUL tracker is empty
  input  logic               mm_hit_i,   // an in-flight MATMUL writes ACC rows [acc_q_lo_o, acc_q_hi_o)
  output logic [63:0]        acc_q_lo_o,
  output logic [63:0]        acc_q_hi_o,
  output logic               insn_ready_o,
  output logic               issue_ready_o,
  output logic               drained_o,
  output logic               done_o,
  output logic               accept_o,
  output logic               busy_o,
  output logic               active_o,
  output insn_t              insn_o,
  output logic [31:0]        cnt_o,
  output op_class_t          cls_o,
  output logic [31:0]        chunks_o,
  output logic [15:0]        taps_o,
  output logic signed [31:0] vreg_o [NumVregs],
  output preload_weights_t   pre_o,
  output logic               pre_run_o,
  // post-processing lane
  output logic               pp_busy_o,
  output logic               pp_active_o,
  output insn_t              pp_insn_o,
  output logic [31:0]        pp_cnt_o,
  output logic               pp_done_o
);
  // ---- instruction register, cycle counter -----------------------------------
  logic        busy_q, busy_d;
  insn_t       insn_q, insn_d;
  logic [31:0] cnt_q, cnt_d;    // cycle index in the instruction
  logic [31:0] last_q, last_d;  // O - 1

  logic        accept, active, ready;
  insn_t       insn;
  logic [31:0] cnt, last;
  opcode_e     op, op_i;

  logic        pp_busy_q;
  logic        rule_ok;
  assign op_i     = opcode_e'(insn_i[OpcodeLsb +: OpcodeWidth]);
  assign ready    = !busy_q && rule_ok;
  assign accept   = insn_valid_i && ready;
  assign active   = busy_q || accept;
  assign insn     = busy_q ? insn_q : insn_i;
  assign cnt      = busy_q ? cnt_q : 32'd0;
  assign op       = opcode_e'(insn[OpcodeLsb +: OpcodeWidth]);
  // The issue table: isa.json's formulas (generated into systole_isa_pkg).
  assign last     = compute_issue_last_cycle(insn, Rows, Cols);

  always_comb begin
    busy_d = busy_q;
    insn_d = insn_q;
    cnt_d  = cnt_q;
    last_d = last_q;
    if (accept) begin
      busy_d = last != 32'd0;
      insn_d = insn_i;
      cnt_d  = 32'd1;
      last_d = last;
    end else if (busy_q) begin
      busy_d = cnt_q != last_q;
      cnt_d  = cnt_q + 32'd1;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q <= 1'b0;
      insn_q <= '0;
      cnt_q  <= '0;
      last_q <= '0;
    end else begin
      busy_q <= busy_d;
      insn_q <= insn_d;
      cnt_q  <= cnt_d;
      last_q <= last_d;
    end
  end

  assign insn_ready_o  = ready;
  assign issue_ready_o = !busy_q;
  assign drained_o     = !busy_q && drained_i && !pp_busy_q;
  // O = T for all but MATMUL (done from the tracker), POSTPROC (the post
  // lane's done) and PRELOAD_WEIGHTS (none).
  assign done_o = active && (busy_q ? cnt_q == last_q : last == 32'd0)
                  && op != OpMatmul && op != OpPreloadWeights && op != OpPostproc;
  assign accept_o     = accept;
  assign busy_o       = busy_q;
  assign active_o     = active;
  assign insn_o       = insn;
  assign cnt_o        = cnt;

  // ---- post-processing lane ----------------------------------------------------
  // The POSTPROC's ACC rows and ABUF write range, latched at its accept (the
  // MATMUL accept rule compares against them).
  postproc_t   f_pp_i, f_ppq;
  matmul_t     f_mm_i;
  vmacc_wide_t f_vw_i;
  insn_t       pp_insn_q, pp_insn_d;
  logic        pp_busy_d, pp_accept, pp_active;
  logic [31:0] pp_cnt_q, pp_cnt_d, pp_last_q, pp_last_d;
  logic [63:0] pp_ab_lo_q, pp_ab_hi_q, pp_ab_lo_d, pp_ab_hi_d;
  assign f_pp_i    = postproc_t'(insn_i);
  assign f_mm_i    = matmul_t'(insn_i);
  assign f_vw_i    = vmacc_wide_t'(insn_i);
  assign f_ppq     = postproc_t'(pp_insn_q);
  assign pp_accept = accept && op_i == OpPostproc;
  assign pp_active = pp_accept || pp_busy_q;
  // verilator tracing_off
  always_comb begin
    pp_busy_d  = pp_busy_q;
    pp_insn_d  = pp_insn_q;
    pp_cnt_d   = pp_cnt_q;
    pp_last_d  = pp_last_q;
    pp_ab_lo_d = pp_ab_lo_q;
    pp_ab_hi_d = pp_ab_hi_q;
    if (pp_accept) begin
      pp_last_d  = compute_last_cycle(insn_i, Rows, Cols);
      pp_busy_d  = pp_last_d != 32'd0;
      pp_insn_d  = insn_i;
      pp_cnt_d   = 32'd1;
      pp_ab_lo_d = 64'(f_pp_i.dst_addr);
      pp_ab_hi_d = f_pp_i.dst_row_len == '0
                   ? 64'(f_pp_i.dst_addr) + (64'(f_pp_i.m) - 64'd1) * 64'(f_pp_i.dst_stride) + 64'(f_pp_i.n)
                   : pattern_end(64'(f_pp_i.dst_addr), 64'(f_pp_i.m), 64'(f_pp_i.dst_row_len),
                                 64'(f_pp_i.dst_stride), 64'(f_pp_i.dst_row_pitch), 64'(f_pp_i.n));
    end else if (pp_busy_q) begin
      pp_busy_d = pp_cnt_q != pp_last_q;
      pp_cnt_d  = pp_cnt_q + 32'd1;
    end
  end
  // verilator tracing_on
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      pp_busy_q  <= 1'b0;
      pp_insn_q  <= '0;
      pp_cnt_q   <= '0;
      pp_last_q  <= '0;
      pp_ab_lo_q <= '0;
      pp_ab_hi_q <= '0;
    end else begin
      pp_busy_q  <= pp_busy_d;
      pp_insn_q  <= pp_insn_d;
      pp_cnt_q   <= pp_cnt_d;
      pp_last_q  <= pp_last_d;
      pp_ab_lo_q <= pp_ab_lo_d;
      pp_ab_hi_q <= pp_ab_hi_d;
    end
  end
  assign pp_busy_o   = pp_busy_q;
  assign pp_active_o = pp_active;
  assign pp_insn_o   = pp_busy_q ? pp_insn_q : insn_i;
  assign pp_cnt_o    = pp_busy_q ? pp_cnt_q : 32'd0;
  assign pp_done_o   = pp_active && (pp_busy_q ? pp_cnt_q == pp_last_q : pp_last_d == 32'd0);

  // ---- accept rule (arch/issue.h) ---------------------------------------------
  // A POSTPROC is in flight in cycle t iff its done cycle >= t: pp_busy_q.
  assign acc_q_lo_o = 64'(f_pp_i.acc_addr);
  assign acc_q_hi_o = 64'(f_pp_i.acc_addr) + 64'(f_pp_i.m);
  logic [63:0] pp_acc_lo, pp_acc_hi;
  assign pp_acc_lo = 64'(f_ppq.acc_addr);
  assign pp_acc_hi = 64'(f_ppq.acc_addr) + 64'(f_ppq.m);
  // Whether an instruction writing ACC rows [acc, acc + m) and reading the
  // ABUF pattern of `width`-byte vectors at a (MATMUL, VMACC_WIDE) touches the
  // in-flight POSTPROC's ACC rows or ABUF writes.
  function automatic logic hits_post(logic [63:0] acc, logic [63:0] m, logic [63:0] a, logic [63:0] inner,
                                     logic [63:0] stride, logic [63:0] outer, logic [63:0] width);
    return (acc < pp_acc_hi && pp_acc_lo < acc + m) ||
           (a < pp_ab_hi_q && pp_ab_lo_q < pattern_end(a, m, inner, stride, outer, width));
  endfunction
  // verilator tracing_off
  always_comb begin
    rule_ok = drained_i && !pp_busy_q;
    if (op_i == OpPreloadWeights) rule_ok = 1'b1;
    if (op_i == OpPostproc) rule_ok = !pp_busy_q && !mm_hit_i;
    if (op_i == OpMatmul)
      rule_ok = !pp_busy_q || !hits_post(64'(f_mm_i.acc_addr), 64'(f_mm_i.m), 64'(f_mm_i.a_addr),
                                         64'(f_mm_i.a_inner_count), 64'(f_mm_i.a_inner_stride),
                                         64'(f_mm_i.a_outer_stride), 64'(f_mm_i.k));
    if (op_i == OpVmaccWide)
      rule_ok = drained_i && (!pp_busy_q || !hits_post(64'(f_vw_i.acc_addr), 64'(f_vw_i.m), 64'(f_vw_i.a_addr),
                                                       64'(f_vw_i.a_inner_count), 64'(f_vw_i.a_inner_stride),
                                                       64'(f_vw_i.a_outer_stride), 64'(f_vw_i.n)));
  end
  // verilator tracing_on

  // ---- decode ---------------------------------------------------------------------
  op_class_t cls;
  always_comb begin
    cls = '0;
    unique case (op)
      OpLoadWeights:          cls.lw   = 1'b1;
      OpMatmul:               cls.mm   = 1'b1;
      OpPostproc:             cls.pp   = 1'b1;
      OpVmacc:                cls.vm   = 1'b1;
      OpVmaccWide:            cls.vw   = 1'b1;
      OpVadd, OpVsub, OpVmul: cls.elt  = 1'b1;
      OpVlut:                 cls.lut  = 1'b1;
      OpVfill:                cls.fill = 1'b1;
      OpMaxpool, OpAvgpool:   cls.pool = 1'b1;
      OpSoftmax:              cls.sm   = 1'b1;
      OpVl2norm:              cls.l2   = 1'b1;
      default:                ;  // NOP, SETREG, other units
    endcase
  end
  assign cls_o = cls;

  // Element chunks of VADD..VFILL (33 bits: len may be 2^32-1; the four share
  // the len field) and the window taps of a pooled pixel.
  vadd_t    f_el;
  maxpool_t f_pool;
  logic [32:0] len_up;
  assign f_el     = vadd_t'(insn);
  assign f_pool   = maxpool_t'(insn);
  assign len_up   = 33'(f_el.len) + 33'(Cols - 1);
  assign chunks_o = 32'(len_up / 33'(Cols));
  assign taps_o   = 16'(f_pool.kh) * 16'(f_pool.kw);

  // ---- vector registers (SETREG) ----------------------------------------------
  setreg_t            f_set;
  logic signed [31:0] vreg_q [NumVregs];
  logic signed [31:0] vreg_d [NumVregs];
  assign f_set = setreg_t'(insn);
  // Loop indices and block temporaries are not traced, so that the Verilated
  // model keeps them in C++ locals (docs/rtl.md, "Simulation speed").
  // verilator tracing_off
  always_comb begin
    vreg_d = vreg_q;
    if (accept && op == OpSetreg) begin
      for (int unsigned j = 0; j < NumVregs; j++) begin
        if (32'(j) == 32'(f_set.vreg))                            vreg_d[j] = f_set.value0;
        if (32'(j) == 32'(f_set.vreg) + 1 && f_set.count >= 2'd2) vreg_d[j] = f_set.value1;
        if (32'(j) == 32'(f_set.vreg) + 2 && f_set.count == 2'd3) vreg_d[j] = f_set.value2;
      end
    end
  end
  // verilator tracing_on
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) vreg_q <= '{default: '0};
    else         vreg_q <= vreg_d;
  end
  assign vreg_o = vreg_q;

  // ---- pending PRELOAD_WEIGHTS (shadow weights) ------------------------------
  // PRELOAD_WEIGHTS latches its fields in its accept cycle (a later one
  // replaces a pending one); the next MATMUL takes the pending flag over in
  // its accept cycle and keeps it (run_q) for its busy cycles.
  preload_weights_t pre_q, pre_d;
  logic             pend_q, pend_d, run_q, run_d;
  always_comb begin
    pre_d  = pre_q;
    pend_d = pend_q;
    run_d  = run_q;
    if (accept && op == OpPreloadWeights) begin
      pre_d  = preload_weights_t'(insn_i);
      pend_d = 1'b1;
    end
    if (accept && op == OpMatmul) begin
      pend_d = 1'b0;
      run_d  = pend_q;
    end
  end
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      pre_q  <= '0;
      pend_q <= 1'b0;
      run_q  <= 1'b0;
    end else begin
      pre_q  <= pre_d;
      pend_q <= pend_d;
      run_q  <= run_d;
    end
  end
  assign pre_o     = pre_q;
  assign pre_run_o = cls.mm && (busy_q ? run_q : pend_q);

  // ---- assertions -------------------------------------------------------------------
  // At most one datapath per instruction; the counter never passes O - 1; a
  // busy core neither accepts nor loses its instruction; done_o is followed by
  // issue_ready_o (the front end is never busy past a done cycle); O = T for
  // every instruction that is not MATMUL.
  a_cls_onehot: assert property (@(posedge clk_i) $onehot0(cls));
  a_cnt_range:  assert property (@(posedge clk_i) busy_q |-> cnt_q <= last_q);
  a_no_accept:  assert property (@(posedge clk_i) busy_q |-> !accept);
  a_done_ready: assert property (@(posedge clk_i) done_o |-> !busy_d);
  a_busy_done:  assert property (@(posedge clk_i)
                                 busy_q && !done_o && op != OpMatmul && op != OpPostproc |-> busy_d);
  a_issue_eq_t: assert property (@(posedge clk_i)
                                 accept && op != OpMatmul && op != OpPostproc
                                 |-> last == compute_last_cycle(insn, Rows, Cols));
  a_pp_cnt:     assert property (@(posedge clk_i) pp_busy_q |-> pp_cnt_q <= pp_last_q);
  a_pp_one:     assert property (@(posedge clk_i) pp_busy_q |-> !pp_accept);

  logic unused_ok;
  assign unused_ok = ^{f_el, f_pool, f_set, f_pp_i, f_ppq, f_mm_i, f_vw_i};
endmodule
