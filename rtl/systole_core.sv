// Systole compute core: weight-stationary systolic array + int32 accumulator
// memory + per-channel requantization + vector unit, driven by an in-order
// sequencer that executes one decoded instruction ("uop") at a time in a fixed,
// data-independent number of cycles (see docs/rtl.md, "Cycle counts").
//
// Command handshake: a uop is accepted at a rising edge where cmd_valid_i &&
// cmd_ready_o. cmd_ready_o is high when idle and during the LAST cycle of the
// running uop, so back-to-back uops start every T cycles (T per uop below).
//
// Memory ports are synchronous-SRAM-like and never stall: a read whose *_re_o
// is high in cycle k returns its row on *_rdata_i in cycle k+1; a write with
// o_we_o high in cycle k is performed at the end of cycle k. Addresses count
// rows (VecW bytes for A/B/W, Cols bytes for O, Cols*72 bits for P).
//
// uops (op, fields used) and cycle counts T, with M = len, L = Rows + Cols - 1:
//   UopLoadW   W[a_addr .. a_addr+Rows-1] -> array weights        T = Rows + 1
//   UopMatmul  acc[acc_addr+i] (+)= A[a_addr+i][0:Rows] * W        T = M + L + 1
//   UopRequant O[o_addr+i] = requant(acc[acc_addr+i], P[p_addr])   T = M + 7
//   UopVAdd/VSub/VMul  O[o_addr+i] = op(A[a_addr+i], B[b_addr+i]) T = M + 11
//   UopVMax    O[o_addr] = clamp(max_i B[b_addr + i*stride])       T = M + 2
//   UopNop     (anything else)                                     T = 1
module systole_core #(
  parameter int unsigned Rows     = 16,
  parameter int unsigned Cols     = 16,
  parameter int unsigned AddrW    = 20,   // row-address width of the memory ports
  parameter int unsigned AccDepth = 512,  // accumulator rows (Cols x int32 each)
  localparam int unsigned VecW    = Rows > Cols ? Rows : Cols,  // A/B/W row bytes
  localparam int unsigned AccAW   = $clog2(AccDepth),
  localparam int unsigned PW      = 72    // per-lane parameter record bits
) (
  input  logic                    clk_i,
  input  logic                    rst_ni,
  // decoded instruction
  input  logic                    cmd_valid_i,
  output logic                    cmd_ready_o,
  input  logic [3:0]              cmd_op_i,
  input  logic [AddrW-1:0]        cmd_a_addr_i,
  input  logic [AddrW-1:0]        cmd_b_addr_i,
  input  logic [AddrW-1:0]        cmd_o_addr_i,
  input  logic [AddrW-1:0]        cmd_p_addr_i,
  input  logic [AccAW-1:0]        cmd_acc_addr_i,
  input  logic [15:0]             cmd_len_i,
  input  logic [AddrW-1:0]        cmd_stride_i,
  input  logic                    cmd_accumulate_i,
  input  logic [31:0]             cmd_zero_point_i,
  input  logic [7:0]              cmd_act_min_i,
  input  logic [7:0]              cmd_act_max_i,
  output logic                    busy_o,
  // activation read port (matmul input, vector operand 1)
  output logic                    a_re_o,
  output logic [AddrW-1:0]        a_addr_o,
  input  logic [VecW-1:0][7:0]    a_rdata_i,
  // second operand read port (vector operand 2, pooling input)
  output logic                    b_re_o,
  output logic [AddrW-1:0]        b_addr_o,
  input  logic [VecW-1:0][7:0]    b_rdata_i,
  // weight read port
  output logic                    w_re_o,
  output logic [AddrW-1:0]        w_addr_o,
  input  logic [VecW-1:0][7:0]    w_rdata_i,
  // parameter read port: lane c = {shift[7:0], mult[31:0], bias[31:0]}
  output logic                    p_re_o,
  output logic [AddrW-1:0]        p_addr_o,
  input  logic [Cols-1:0][PW-1:0] p_rdata_i,
  // output write port
  output logic                    o_we_o,
  output logic [AddrW-1:0]        o_addr_o,
  output logic [Cols-1:0][7:0]    o_wdata_o
);
  if (Rows < 4 || Rows > 256) begin : gen_bad_rows
    $error("systole_core: Rows=%0d out of range [4, 256]", Rows);
  end
  if (Cols < 4 || Cols > 256) begin : gen_bad_cols
    $error("systole_core: Cols=%0d out of range [4, 256]", Cols);
  end
  if (AddrW < 8 || AddrW > 32) begin : gen_bad_addrw
    $error("systole_core: AddrW=%0d out of range [8, 32]", AddrW);
  end
  if (AccDepth < 16 || AccDepth > 65536 || (AccDepth & (AccDepth - 1)) != 0) begin : gen_bad_acc
    $error("systole_core: AccDepth=%0d must be a power of two in [16, 65536]", AccDepth);
  end

  localparam logic [3:0] UopNop     = 4'd0;
  localparam logic [3:0] UopLoadW   = 4'd1;
  localparam logic [3:0] UopMatmul  = 4'd2;
  localparam logic [3:0] UopRequant = 4'd3;
  localparam logic [3:0] UopVAdd    = 4'd4;
  localparam logic [3:0] UopVSub    = 4'd5;
  localparam logic [3:0] UopVMul    = 4'd6;
  localparam logic [3:0] UopVMax    = 4'd7;
  localparam int unsigned Latency   = Rows + Cols - 1;

  // ---- sequencer state --------------------------------------------------------
  logic              busy_q;
  logic [31:0]       cyc_q, total_q;
  logic [3:0]        op_q;
  logic [AddrW-1:0]  a_addr_q, b_addr_q, p_addr_q, stride_q;
  logic [15:0]       len_q;
  logic              accum_q;
  logic [31:0]       zp_q;
  logic [7:0]        act_min_q, act_max_q;

  logic              accept, last;
  logic [31:0]       total_d;
  assign last        = busy_q && (cyc_q == total_q - 32'd1);
  assign cmd_ready_o = !busy_q || last;
  assign accept      = cmd_valid_i && cmd_ready_o;
  assign busy_o      = busy_q;

  always_comb begin
    unique case (cmd_op_i)
      UopLoadW:                  total_d = Rows + 1;
      UopMatmul:                 total_d = 32'(cmd_len_i) + Latency + 1;
      UopRequant:                total_d = 32'(cmd_len_i) + 7;
      UopVAdd, UopVSub, UopVMul: total_d = 32'(cmd_len_i) + 11;
      UopVMax:                   total_d = 32'(cmd_len_i) + 2;
      default:                   total_d = 1;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q <= 1'b0; cyc_q <= '0; total_q <= 32'd1; op_q <= UopNop;
      a_addr_q <= '0; b_addr_q <= '0; p_addr_q <= '0; stride_q <= '0;
      len_q <= '0; accum_q <= 1'b0; zp_q <= '0;
      act_min_q <= '0; act_max_q <= '0;
    end else if (accept) begin
      busy_q <= 1'b1; cyc_q <= '0; total_q <= total_d; op_q <= cmd_op_i;
      a_addr_q <= cmd_a_addr_i; b_addr_q <= cmd_b_addr_i;
      p_addr_q <= cmd_p_addr_i; stride_q <= cmd_stride_i;
      len_q <= cmd_len_i; accum_q <= cmd_accumulate_i; zp_q <= cmd_zero_point_i;
      act_min_q <= cmd_act_min_i; act_max_q <= cmd_act_max_i;
    end else if (last) begin
      busy_q <= 1'b0;
    end else if (busy_q) begin
      cyc_q <= cyc_q + 32'd1;
    end
  end

  logic is_loadw, is_matmul, is_requant, is_vec, is_vmax;
  assign is_loadw   = busy_q && op_q == UopLoadW;
  assign is_matmul  = busy_q && op_q == UopMatmul;
  assign is_requant = busy_q && op_q == UopRequant;
  assign is_vec     = busy_q && (op_q == UopVAdd || op_q == UopVSub || op_q == UopVMul);
  assign is_vmax    = busy_q && op_q == UopVMax;

  logic [31:0] len32;
  assign len32 = 32'(len_q);

  // ---- read issue ---------------------------------------------------------------
  // A: matmul rows at cycles [0, M); vector operand 1 at [1, M+1).
  // B: vector operand 2 at [1, M+1); vmax at [0, M) with stride.
  logic a_mm, a_vec, b_max;
  assign a_mm  = is_matmul && cyc_q < len32;
  assign a_vec = is_vec && cyc_q >= 32'd1 && cyc_q <= len32;
  assign b_max = is_vmax && cyc_q < len32;

  assign a_re_o   = a_mm || a_vec;
  assign a_addr_o = a_addr_q + AddrW'(a_mm ? cyc_q : cyc_q - 32'd1);
  assign b_re_o   = a_vec || b_max;
  assign b_addr_o = b_max ? b_addr_q + AddrW'(cyc_q * 32'(stride_q))
                          : b_addr_q + AddrW'(cyc_q - 32'd1);
  assign w_re_o   = is_loadw && cyc_q < Rows;
  assign w_addr_o = a_addr_q + AddrW'(cyc_q);
  assign p_re_o   = (is_requant || is_vec) && cyc_q == 32'd0;
  assign p_addr_o = p_addr_q;

  // Read-data-valid flags (one cycle after issue).
  logic              w_rv_q, a_mm_rv_q, vec_rv_q, max_rv_q, p_rv_q;
  logic [$clog2(Rows)-1:0] w_row_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      w_rv_q <= 1'b0; a_mm_rv_q <= 1'b0; vec_rv_q <= 1'b0; max_rv_q <= 1'b0; p_rv_q <= 1'b0;
      w_row_q <= '0;
    end else begin
      w_rv_q    <= w_re_o;
      w_row_q   <= cyc_q[$clog2(Rows)-1:0];
      a_mm_rv_q <= a_mm;
      vec_rv_q  <= a_vec;
      max_rv_q  <= b_max;
      p_rv_q    <= p_re_o;
    end
  end

  // ---- parameter registers (valid from cycle 2 of REQUANT / vector uops) ------
  logic [Cols-1:0][PW-1:0] par_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      par_q <= '0;
    end else if (p_rv_q) begin
      par_q <= p_rdata_i;
    end
  end

  // ---- systolic array ------------------------------------------------------------
  logic [Rows-1:0][7:0]       arr_act;
  logic [Cols-1:0][7:0]       arr_w;
  logic                       arr_valid;
  logic [Cols-1:0][31:0]      arr_psum;
  assign arr_act = a_rdata_i[Rows-1:0];
  assign arr_w   = w_rdata_i[Cols-1:0];

  systole_array #(.Rows(Rows), .Cols(Cols), .AccW(32)) u_array (
    .clk_i,
    .rst_ni,
    .w_we_i       (w_rv_q),
    .w_row_i      (w_row_q),
    .w_i          (arr_w),
    .act_valid_i  (a_mm_rv_q),
    .act_i        (arr_act),
    .psum_valid_o (arr_valid),
    .psum_o       (arr_psum)
  );

  // ---- accumulator memory ------------------------------------------------------------
  // Matmul results land at acc_addr + i (mod AccDepth): overwritten, or added to
  // when the uop's accumulate flag is set. REQUANT reads acc_addr + i.
  logic [Cols-1:0][31:0] acc_mem [AccDepth];
  logic [AccAW-1:0]      acc_wptr_q, acc_rptr_q;
  logic                  acc_re;
  logic [Cols-1:0][31:0] acc_rdata;

  assign acc_re    = is_requant && cyc_q >= 32'd2 && cyc_q < len32 + 32'd2;
  assign acc_rdata = acc_mem[acc_rptr_q];

  always_ff @(posedge clk_i) begin
    if (arr_valid) begin
      for (int unsigned c = 0; c < Cols; c++) begin
        acc_mem[acc_wptr_q][c] <= (accum_q ? acc_mem[acc_wptr_q][c] : 32'd0) + arr_psum[c];
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      acc_wptr_q <= '0;
      acc_rptr_q <= '0;
    end else if (accept) begin
      acc_wptr_q <= cmd_acc_addr_i;
      acc_rptr_q <= cmd_acc_addr_i;
    end else begin
      if (arr_valid) acc_wptr_q <= acc_wptr_q + AccAW'(1);
      if (acc_re)    acc_rptr_q <= acc_rptr_q + AccAW'(1);
    end
  end

  // ---- vector unit front half + requantization lanes ------------------------------
  logic [1:0] vec_op;
  assign vec_op = op_q == UopVSub ? 2'd1 : (op_q == UopVMul ? 2'd2 : 2'd0);

  logic [Cols-1:0]       vec_valid, rq_valid;
  logic [Cols-1:0][31:0] vec_y;
  logic [Cols-1:0][7:0]  rq_out;

  // Per-tensor vector parameters, broadcast from lanes 0..2 of the P row.
  logic [PW-1:0] par_in1, par_in2, par_out;
  assign par_in1 = par_q[0];
  assign par_in2 = par_q[1];
  assign par_out = par_q[2];

  for (genvar c = 0; c < Cols; c++) begin : gen_lane
    systole_vec_lane #(.ShiftW(8)) u_vec (
      .clk_i,
      .rst_ni,
      .valid_i      (vec_rv_q),
      .op_i         (vec_op),
      .x1_i         (a_rdata_i[c]),
      .x2_i         (b_rdata_i[c]),
      .off1_i       (par_in1[31:0]),
      .off2_i       (par_in2[31:0]),
      .left_shift_i (par_out[4:0]),
      .m1_i         (par_in1[63:32]),
      .s1_i         (par_in1[71:64]),
      .m2_i         (par_in2[63:32]),
      .s2_i         (par_in2[71:64]),
      .valid_o      (vec_valid[c]),
      .y_o          (vec_y[c])
    );

    logic        rq_in_valid;
    logic [31:0] rq_acc, rq_bias, rq_mult;
    logic [7:0]  rq_shift;
    always_comb begin
      if (is_requant) begin
        rq_in_valid = acc_re;
        rq_acc      = acc_rdata[c];
        rq_bias     = par_q[c][31:0];
        rq_mult     = par_q[c][63:32];
        rq_shift    = par_q[c][71:64];
      end else begin
        rq_in_valid = vec_valid[c];
        rq_acc      = vec_y[c];
        rq_bias     = 32'd0;
        rq_mult     = par_out[63:32];
        rq_shift    = par_out[71:64];
      end
    end

    systole_requant #(.ShiftW(8)) u_requant (
      .clk_i,
      .rst_ni,
      .valid_i      (rq_in_valid),
      .acc_i        (rq_acc),
      .bias_i       (rq_bias),
      .mult_i       (rq_mult),
      .shift_i      (rq_shift),
      .zero_point_i (zp_q),
      .act_min_i    (act_min_q),
      .act_max_i    (act_max_q),
      .valid_o      (rq_valid[c]),
      .out_o        (rq_out[c])
    );
  end

  // ---- max-pool reduction -----------------------------------------------------------
  logic [Cols-1:0][7:0] max_q;
  logic                 max_first_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      max_q       <= '0;
      max_first_q <= 1'b1;
    end else if (accept) begin
      max_first_q <= 1'b1;
    end else if (max_rv_q) begin
      max_first_q <= 1'b0;
      for (int unsigned c = 0; c < Cols; c++) begin
        if (max_first_q || $signed(b_rdata_i[c]) > $signed(max_q[c])) max_q[c] <= b_rdata_i[c];
      end
    end
  end

  logic [Cols-1:0][7:0] max_clamped;
  for (genvar c = 0; c < Cols; c++) begin : gen_max_clamp
    assign max_clamped[c] =
        $signed(max_q[c]) > $signed(act_max_q) ? act_max_q :
        $signed(max_q[c]) < $signed(act_min_q) ? act_min_q : max_q[c];
  end

  // ---- output write port --------------------------------------------------------------
  logic             max_we;
  logic [AddrW-1:0] o_ptr_q;
  assign max_we    = is_vmax && cyc_q == len32 + 32'd1;
  assign o_we_o    = rq_valid[0] || max_we;
  assign o_addr_o  = o_ptr_q;
  assign o_wdata_o = max_we ? max_clamped : rq_out;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      o_ptr_q <= '0;
    end else if (accept) begin
      o_ptr_q <= cmd_o_addr_i;
    end else if (o_we_o) begin
      o_ptr_q <= o_ptr_q + AddrW'(1);
    end
  end

  // Lanes beyond Rows/Cols of the shared-width ports and unused lane flags.
  logic unused_sig;
  assign unused_sig = ^{rq_valid[Cols-1:1], vec_valid, a_rdata_i, w_rdata_i, b_rdata_i,
                        par_in1, par_in2, par_out};
endmodule
