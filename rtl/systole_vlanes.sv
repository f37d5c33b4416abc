// systole_vlanes: the Cols-wide vector lanes of POSTPROC, VADD/VSUB/VMUL and
// VMACC.
//
//   requant bank   POSTPROC_ROWS x Cols systole_requant: POSTPROC requantizes
//                  POSTPROC_ROWS accumulator rows a cycle (per-channel bias,
//                  mult, shift from PBUF, shared by the rows; with fp32 the
//                  mult vector holds binary32 scales); row group 0 is shared
//                  with VADD..VMUL (output rescale from the vector
//                  registers); rq_o[g] is group g's int8 result vector
//   eltwise front  Cols x 2 systole_mbqm: the ADD/SUB input rescales, the MUL
//                  product riding in the tag; feeds the requant bank
//   VMACC lane     ACC + a * w per lane (w: the tap weights); vm_o
//
// Schedule (cnt_i; data arrive MemReadLatency = L = 1 after systole_agen's read):
//   POSTPROC  bias, mult, shift vectors latched in cycles L, L+1, L+2; ACC rows
//             jP .. jP+P-1 (P = POSTPROC_ROWS; row jP+g in group g) enter the
//             bank in 3 + j + L, rq_o holds them REQUANT_LATENCY later
//   VADD..    chunk j enters in j + L; the front (4 stages) plus EltPad pad
//             registers plus the bank: rq_o ELTWISE_LATENCY later
//   VMACC     weights latched in cycle L; vm_o is row i's result in
//             1 + i + L + VMACC_LATENCY (registered)
// The view (busy_i .. cls_i) is the post-processing lane's while a POSTPROC
// is in flight, else the front end's (systole_core muxes them; a serial
// VADD..VMUL or VMACC never overlaps a POSTPROC).
// No handshake, no valid bits: the sequencer's schedule says when rq_o and vm_o
// hold a result (systole_wb). The pipelines are clock-enabled only while an
// instruction using them is in flight.
module systole_vlanes
  import systole_isa_pkg::*;
  import systole_core_pkg::*;
#(
  parameter int unsigned Cols = 16
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     busy_i,
  input  logic                     active_i,
  input  insn_t                    insn_i,
  input  logic [31:0]              cnt_i,
  input  op_class_t                cls_i,
  input  logic signed [31:0]       vreg_i [NumVregs],
  input  logic [4*Cols-1:0][7:0]   pbuf_i,        // PBUF read data
  input  logic [Cols-1:0][7:0]     a_i,           // ABUF port A read data
  input  logic [Cols-1:0][7:0]     b_i,           // ABUF port B read data
  input  logic [Cols-1:0][31:0]    acc_i,         // ACC read data (VMACC)
  input  logic [PostprocRows-1:0][Cols-1:0][31:0] accp_i,  // ACC read port P data (POSTPROC)
  output logic signed [7:0]        rq_o [PostprocRows][Cols],
  output logic signed [31:0]       vm_o [Cols]
);
  // Pipeline depths implemented here. Constants above them are met by padding.
  localparam int unsigned L            = MemReadLatency;
  localparam int unsigned RequantDepth = 5;  // systole_requant
  localparam int unsigned MbqmDepth    = 4;  // systole_mbqm
  localparam int unsigned ReqPad = RequantLatency - RequantDepth;
  localparam int unsigned EltPad = EltwiseLatency - MbqmDepth - RequantLatency;
  if (RequantLatency < RequantDepth || RequantLatency > RequantDepth + 8) begin : gen_bad_requant
    $error("systole_vlanes: REQUANT_LATENCY %0d not in [%0d, %0d]", RequantLatency, RequantDepth,
           RequantDepth + 8);
  end
  if (EltwiseLatency < MbqmDepth + RequantLatency || EltPad > 8) begin : gen_bad_eltwise
    $error("systole_vlanes: ELTWISE_LATENCY %0d not in [%0d, %0d]", EltwiseLatency,
           MbqmDepth + RequantLatency, MbqmDepth + RequantLatency + 8);
  end
  if (VmaccLatency != 1) begin : gen_bad_vmacc
    $error("systole_vlanes: built for VMACC_LATENCY 1, ISA says %0d", VmaccLatency);
  end

  postproc_t f_pp;
  vmacc_t    f_vm;
  opcode_e   op;
  assign f_pp = postproc_t'(insn_i);
  assign f_vm = vmacc_t'(insn_i);
  assign op   = opcode_e'(insn_i[OpcodeLsb +: OpcodeWidth]);

  logic signed [7:0] act_min, act_max;
  assign act_min = vreg_i[VRegActMin][7:0];
  assign act_max = vreg_i[VRegActMax][7:0];

  // ---- POSTPROC parameter vectors -----------------------------------------------
  logic [Cols-1:0][31:0] pbuf_words;  // the PBUF bus as C little-endian int32
  assign pbuf_words = pbuf_i;
  // Per-lane registers here are written whole-array from a `_d` computed
  // with blocking assignments (Verilator does not support nonblocking writes
  // to array elements in loops it does not unroll, i.e. Cols > 64).
  logic signed [31:0] bias_q [Cols];
  logic signed [31:0] mult_q [Cols];   // fixed-point multiplier, or the binary32 scale (fp32)
  logic signed [5:0]  shift_q [Cols];  // clamped to [-31, 31]
  // The three parameter words are taken from the PBUF bus in the clocked
  // block, in their cycles only (a combinational copy and clamp of the bus
  // was evaluated on every input change; docs/rtl.md, "Simulation speed").
  // verilator tracing_off
  always_ff @(posedge clk_i) begin
    logic signed [31:0] pword_d [Cols];
    logic signed [5:0]  pshift_d [Cols];
    if (busy_i && cls_i.pp && cnt_i >= 32'(L) && cnt_i <= 32'(L + 2)) begin
      for (int c = 0; c < Cols; c++) begin
        pword_d[c] = pbuf_words[c];
        if (pword_d[c] > 32'sd31)       pshift_d[c] = 6'sd31;
        else if (pword_d[c] < -32'sd31) pshift_d[c] = -6'sd31;
        else                            pshift_d[c] = pword_d[c][5:0];
      end
      if (cnt_i == 32'(L))     bias_q  <= pword_d;
      if (cnt_i == 32'(L + 1)) mult_q  <= pword_d;
      if (cnt_i == 32'(L + 2)) shift_q <= pshift_d;
    end
  end
  // verilator tracing_on

  // ---- eltwise front (VADD/VSUB/VMUL) -------------------------------------------
  logic signed [7:0] elt_x1 [EltPad + 1][Cols];
  logic signed [7:0] elt_x2 [EltPad + 1][Cols];
  always_comb begin
    for (int c = 0; c < Cols; c++) begin
      elt_x1[0][c] = a_i[c];
      elt_x2[0][c] = b_i[c];
    end
  end
  for (genvar s = 0; s < EltPad; s++) begin : gen_elt_pad
    always_ff @(posedge clk_i) begin
      if (active_i && cls_i.elt) begin
        elt_x1[s+1] <= elt_x1[s];
        elt_x2[s+1] <= elt_x2[s];
      end
    end
  end

  logic signed [31:0] elt_y [Cols];  // combined front result, into the requant bank
  // Clock enables of the lane pipelines: only while an instruction using them
  // is in flight (they are flushed by the schedule, not by valid bits).
  logic elt_en, rq_en, rqp_en;
  assign elt_en = active_i && cls_i.elt;
  assign rq_en  = active_i && (cls_i.elt || cls_i.pp);
  assign rqp_en = active_i && cls_i.pp;
  // The lane banks run on gated clocks: a latch-based clock gate each (the
  // enable is sampled while the clock is low, so the gated clock cannot
  // glitch), the same cycles as the enables above. Gated, the banks cost
  // nothing while idle, in silicon and in the Verilated model, whose lane
  // processes are then not even called (with an enable they were called for
  // every lane in every clock: 4 x C requant lanes made the 64x64 model 4x
  // slower; docs/rtl.md, "Simulation speed").
  logic elt_en_l, rq_en_l, rqp_en_l, elt_clk, rq_clk, rqp_clk;
  always_latch begin
    if (!clk_i) begin
      elt_en_l = elt_en;
      rq_en_l  = rq_en;
      rqp_en_l = rqp_en;
    end
  end
  assign elt_clk = clk_i && elt_en_l;
  assign rq_clk  = clk_i && rq_en_l;
  assign rqp_clk = clk_i && rqp_en_l;
  logic signed [31:0] in1_off, in2_off;
  logic [4:0]         left_shift;
  logic               elt_sub, elt_mul;
  assign in1_off    = -vreg_i[VRegIn1Zp];
  assign in2_off    = -vreg_i[VRegIn2Zp];
  assign left_shift = vreg_i[VRegLeftShift][4:0];
  assign elt_sub    = op == OpVsub;
  assign elt_mul    = op == OpVmul;

  for (genvar c = 0; c < Cols; c++) begin : gen_elt_lane
    logic signed [31:0] v1, v2, prod, y1, y2, prod_d;
    logic               unused_v, unused_v2;
    logic [0:0]         unused_t;
    assign v1   = 32'(elt_x1[EltPad][c]) + in1_off;
    assign v2   = 32'(elt_x2[EltPad][c]) + in2_off;
    assign prod = v1 * v2;
    systole_mbqm #(.ShiftW(6), .TagW(32)) u_in1 (
      .clk_i (elt_clk), .rst_ni, .en_i (1'b1), .valid_i (1'b0),
      .x_i (v1 <<< left_shift), .mult_i (vreg_i[VRegIn1Mult]),
      .shift_i (vreg_i[VRegIn1Shift][5:0]), .single_round_i (1'b0), .half_up_i (1'b0),
      .tag_i (prod), .valid_o (unused_v), .y_o (y1), .tag_o (prod_d)
    );
    systole_mbqm #(.ShiftW(6), .TagW(1)) u_in2 (
      .clk_i (elt_clk), .rst_ni, .en_i (1'b1), .valid_i (1'b0),
      .x_i (v2 <<< left_shift), .mult_i (vreg_i[VRegIn2Mult]),
      .shift_i (vreg_i[VRegIn2Shift][5:0]), .single_round_i (1'b0), .half_up_i (1'b0),
      .tag_i (1'b0), .valid_o (unused_v2), .y_o (y2), .tag_o (unused_t)
    );
    assign elt_y[c] = elt_mul ? prod_d : (elt_sub ? y1 - y2 : y1 + y2);
  end

  // ---- requant bank (POSTPROC, eltwise output stage) ------------------------------
  // Row group g requantizes POSTPROC row jP+g; group 0 also serves VADD..VMUL
  // (on rq_clk), groups 1 .. POSTPROC_ROWS-1 only POSTPROC (on rqp_clk).
  logic signed [7:0] rq_out [PostprocRows][ReqPad + 1][Cols];
  for (genvar g = 0; g < PostprocRows; g++) begin : gen_requant_rows
    localparam bit Shared = g == 0;
    logic elt;  // this cycle's operands are VADD..VMUL's
    assign elt = Shared && !cls_i.pp;
    for (genvar c = 0; c < Cols; c++) begin : gen_lane
      logic unused_valid;
      systole_requant #(.ShiftW(6)) u_requant (
        .clk_i          (Shared ? rq_clk : rqp_clk),
        .rst_ni,
        .en_i           (1'b1),
        .valid_i        (1'b0),
        .acc_i          (elt ? elt_y[c] : accp_i[g][c]),
        .bias_i         (elt ? 32'sd0 : bias_q[c]),
        .mult_i         (elt ? vreg_i[VRegOutMult] : mult_q[c]),
        .shift_i        (elt ? vreg_i[VRegOutShift][5:0] : shift_q[c]),
        .single_round_i (!elt && f_pp.single_round[0]),
        .half_up_i      (!elt && f_pp.half_up[0]),
        .fp32_i         (!elt && f_pp.fp32[0]),
        .zero_point_i   (elt ? vreg_i[VRegOutZp] : 32'(f_pp.out_zp)),
        .act_min_i      (elt ? act_min : f_pp.act_min),
        .act_max_i      (elt ? act_max : f_pp.act_max),
        .valid_o        (unused_valid),
        .out_o          (rq_out[g][0][c])
      );
    end
    for (genvar s = 0; s < ReqPad; s++) begin : gen_req_pad
      always_ff @(posedge clk_i) if (Shared ? rq_en : rqp_en) rq_out[g][s+1] <= rq_out[g][s];
    end
    assign rq_o[g] = rq_out[g][ReqPad];
  end

  // ---- VMACC lane --------------------------------------------------------------
  logic signed [8:0]  vm_w_q [Cols];  // 9-bit: int8, or uint8 - w_zp (u8 = 1)
  logic signed [31:0] vm_q   [Cols];
  // The lanes' next values are computed in the clocked block, under the
  // enables of the registers they feed: as a combinational block they
  // followed the inputs and ran in both evaluations of every clock
  // (docs/rtl.md, "Simulation speed").
  // verilator tracing_off
  always_ff @(posedge clk_i) begin
    if (busy_i && cls_i.vm && cnt_i == 32'(L))
      for (int c = 0; c < Cols; c++)
        vm_w_q[c] <= f_vm.u8[0] ? $signed({1'b0, pbuf_i[c]} - {1'b0, f_vm.w_zp}) : 9'($signed(pbuf_i[c]));
    if (busy_i && cls_i.vm)
      for (int c = 0; c < Cols; c++)
        vm_q[c] <= (f_vm.accumulate[0] ? acc_i[c] : 32'sd0) + (32'($signed(a_i[c]) * vm_w_q[c]) << f_vm.w_shift);
  end
  // verilator tracing_on
  assign vm_o = vm_q;

  // The lanes serve one instruction class at a time.
  a_one_user: assert property (@(posedge clk_i) !(cls_i.pp && cls_i.elt));

  logic unused_ok;
  assign unused_ok = ^{f_pp, f_vm, cls_i, pbuf_i, vreg_i[VRegActMin][31:8], vreg_i[VRegActMax][31:8]};
endmodule
