// systole_fp32_div: IEEE-754 binary32 division, a / b (SOFTMAX: 1 / x).
//
// Ports: start_i (one cycle) latches a_i / b_i; q_o holds the quotient from
// the cycle done_o pulses until the next start. Latency 28 cycles, fixed.
//
// Sequential restoring divider: q_o = a_i / b_i (float32.cc: Div).
//
// Special operands (NaN, inf, zero) give their result directly. Otherwise both
// significands are normalised to [2^23, 2^24) (subnormals shifted up, their
// exponents lowered), and the quotient of the significands, which lies in
// (1/2, 2), is developed one bit per cycle by restoring division:
//   rem = sig_a; repeat QuotBits times:
//     bit = rem >= sig_b; if (bit) rem -= sig_b; quo = 2*quo + bit; rem = 2*rem
// giving quo = floor(sig_a * 2^25 / sig_b) in (2^24, 2^26). f32_round_pack then
// rounds 2*quo + (rem != 0) at exponent e_a - e_b - 26. float32.cc develops 41
// quotient bits instead of 26; both round the exact quotient correctly (the
// remainder flag is a sticky bit at least two places below the rounding
// position, also for subnormal results), so the results are identical:
// rtl_block_test checks this against float32.cc.
//
// Timing: start_i in cycle s latches the operands (special-case check and
// normalisation happen in that cycle); cycles s+1 .. s+26 each develop one
// quotient bit; cycle s+27 rounds into q_o; done_o is high in cycle
// s + Latency (= s+28), from which q_o holds the result until the next
// start. A start while busy restarts the division.
module systole_fp32_div
  import systole_fp32_pkg::*;
#(
  // The instantiating unit's budget for Latency (elaboration-time check).
  parameter int unsigned MaxLatency = 28,
  // Quotient bits developed, and the latency from start_i to the cycle in
  // which q_o holds the result (and done_o is high).
  localparam int unsigned QuotBits = 26,
  localparam int unsigned Latency  = QuotBits + 2
) (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        start_i,
  input  logic [31:0] a_i,
  input  logic [31:0] b_i,
  output logic        done_o,
  output logic [31:0] q_o
);
  localparam int unsigned StepW = $clog2(QuotBits + 2);
  if (Latency > MaxLatency) begin : gen_bad_latency
    $error("systole_fp32_div: needs %0d cycles, the budget is %0d", Latency, MaxLatency);
  end

  // Leading zeros of a nonzero 24-bit significand.
  function automatic int lead_zeros(logic [23:0] sig);
    int n;
    n = 0;
    for (int i = 0; i < 24; i++) begin
      if (sig[i]) n = 23 - i;
    end
    return n;
  endfunction

  // ---- start cycle: special cases, normalisation --------------------------------
  f32_unpacked_t x, y;
  logic          sign, special;
  logic [31:0]   special_res;
  int            lz_a, lz_b;
  always_comb begin
    x    = f32_unpack(a_i);
    y    = f32_unpack(b_i);
    sign = x.sign ^ y.sign;
    special     = 1'b1;
    special_res = 32'd0;
    if (f32_is_nan(a_i) || f32_is_nan(b_i))  special_res = F32NaN;
    else if (f32_is_inf(a_i))                special_res = f32_is_inf(b_i) ? F32NaN
                                                                           : {sign, 31'h7F80_0000};
    else if (f32_is_inf(b_i))                special_res = {sign, 31'd0};
    else if (f32_is_zero(b_i))               special_res = f32_is_zero(a_i) ? F32NaN
                                                                            : {sign, 31'h7F80_0000};
    else if (f32_is_zero(a_i))               special_res = {sign, 31'd0};
    else                                     special     = 1'b0;
    lz_a = special ? 0 : lead_zeros(x.sig);
    lz_b = special ? 0 : lead_zeros(y.sig);
  end

  // ---- iteration state -------------------------------------------------------------
  logic             busy_q, special_q, sign_q;
  logic [31:0]      special_res_q;
  int               exp_q;             // exponent of the quotient's bit 0 (before rounding)
  logic [23:0]      den_q;             // normalised sig_b
  logic [24:0]      rem_q;             // partial remainder, < 2 * den_q
  logic [QuotBits-1:0] quo_q;
  logic [StepW-1:0] step_q;            // quotient bits still to develop
  logic             done_q;
  logic [31:0]      q_q;

  logic [23:0] rem_sub;               // rem_q - den_q if that is >= 0, else rem_q (< den_q)
  logic        q_bit;
  assign q_bit   = rem_q >= {1'b0, den_q};
  assign rem_sub = 24'(q_bit ? rem_q - {1'b0, den_q} : rem_q);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q <= 1'b0; special_q <= 1'b0; sign_q <= 1'b0; special_res_q <= '0; exp_q <= 0;
      den_q <= '0; rem_q <= '0; quo_q <= '0; step_q <= '0; done_q <= 1'b0; q_q <= '0;
    end else begin
      done_q <= 1'b0;
      if (start_i) begin
        busy_q        <= 1'b1;
        special_q     <= special;
        special_res_q <= special_res;
        sign_q        <= sign;
        exp_q         <= (x.exp - lz_a) - (y.exp - lz_b) - int'(QuotBits);
        rem_q         <= {1'b0, x.sig << lz_a};
        den_q         <= y.sig << lz_b;
        quo_q         <= '0;
        step_q        <= StepW'(QuotBits);
      end else if (busy_q && step_q != '0) begin
        // One restoring step: the next quotient bit.
        quo_q  <= {quo_q[QuotBits-2:0], q_bit};
        rem_q  <= {rem_sub, 1'b0};
        step_q <= step_q - StepW'(1);
      end else if (busy_q) begin
        // Round and pack: the remainder is the sticky bit.
        busy_q <= 1'b0;
        done_q <= 1'b1;
        q_q    <= special_q ? special_res_q
                            : f32_round_pack(sign_q, exp_q,
                                             64'({quo_q, rem_q != 25'd0}));
      end
    end
  end
  assign done_o = done_q;
  assign q_o    = q_q;

  // The step counter stays in range, and done_o pulses once the division has
  // finished (the rounding cycle clears busy_q as it raises done_q).
  a_step_range: assert property (@(posedge clk_i) step_q <= StepW'(QuotBits));
  a_done_idle:  assert property (@(posedge clk_i) done_o |-> !busy_q);
endmodule

