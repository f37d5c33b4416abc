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
// MATMUL tracker (systole_wb) after the front end is free.
//   issue_ready_o  the front end is free (cycle t+O on)
//   drained_o      nothing is in flight: the front end is free and the
//                  MATMUL tracker is empty (drained_i)
//   insn_ready_o   issue_ready_o && (MATMUL or PRELOAD_WEIGHTS offered, or
//                  drained_o): any other instruction waits for the drain
//   done_o         in t+T-1 of every instruction but MATMUL (the tracker's
//                  done) and PRELOAD_WEIGHTS (no done pulse)
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
  output logic               pre_run_o
);
  // ---- instruction register, cycle counter -----------------------------------
  logic        busy_q, busy_d;
  insn_t       insn_q, insn_d;
  logic [31:0] cnt_q, cnt_d;    // cycle index in the instruction
  logic [31:0] last_q, last_d;  // O - 1

  logic        accept, active, ready, overlaps;
  insn_t       insn;
  logic [31:0] cnt, last;
  opcode_e     op, op_i;

  assign op_i     = opcode_e'(insn_i[OpcodeLsb +: OpcodeWidth]);
  assign overlaps = op_i == OpMatmul || op_i == OpPreloadWeights;
  assign ready    = !busy_q && (overlaps || drained_i);
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
  assign drained_o     = !busy_q && drained_i;
  // O = T for all but MATMUL (done from the tracker) and PRELOAD_WEIGHTS (none).
  assign done_o = active && (busy_q ? cnt_q == last_q : last == 32'd0)
                  && op != OpMatmul && op != OpPreloadWeights;
  assign accept_o     = accept;
  assign busy_o       = busy_q;
  assign active_o     = active;
  assign insn_o       = insn;
  assign cnt_o        = cnt;

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
  a_busy_done:  assert property (@(posedge clk_i) busy_q && !done_o && op != OpMatmul |-> busy_d);
  a_issue_eq_t: assert property (@(posedge clk_i)
                                 accept && op != OpMatmul |-> last == compute_last_cycle(insn, Rows, Cols));

  logic unused_ok;
  assign unused_ok = ^{f_el, f_pool, f_set};
endmodule
