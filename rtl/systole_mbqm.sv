// Systole MultiplyByQuantizedMultiplier pipeline, bit-exact with
// common/fixed_point.h. Three modes, chosen per operand (single_round_i,
// half_up_i):
//
//   0 0: TFLite's double-rounding MultiplyByQuantizedMultiplier
//        y = RoundingDivideByPOT(SRDHM(x << max(shift, 0), mult), max(-shift, 0))
//   0 1: ruy's x86-64 kernels (MultiplyByQuantizedMultiplierRuyX86): the same
//        two steps, both rounding half up:
//        h = low32((int64(x << max(shift, 0)) * mult + 2^30) >> 31)
//        y = h > 2^31-1-nudge ? 2^(31-r) : (h + nudge) >>> r, nudge = r > 0 ? 2^(r-1) : 0
//   1 -: ruy's single rounding (MultiplyByQuantizedMultiplierSingleRound)
//        t = 31 - shift; y = low32((int64(x) * mult + (t > 0 ? 2^(t-1) : 0)) >> t)
//
// shift_i is a two's-complement ShiftW-bit value that must lie in [-31, 31].
// Latency = 4 register stages, one result per cycle:
//   S1 left shift   S2 32x32 multiply   S3 doubling-high + round (or the
//   single rounding)   S4 rounding right shift (identity in mode 1)
// The side-band tag_i travels with the data (for operands needed afterwards).
module systole_mbqm #(
  parameter int unsigned ShiftW = 6,
  parameter int unsigned TagW   = 1
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     en_i,     // clock enable: 0 holds every stage
  input  logic                     valid_i,
  input  logic signed [31:0]       x_i,
  input  logic signed [31:0]       mult_i,
  input  logic signed [ShiftW-1:0] shift_i,
  input  logic                     single_round_i,
  input  logic                     half_up_i,
  input  logic [TagW-1:0]          tag_i,
  output logic                     valid_o,
  output logic signed [31:0]       y_o,
  output logic [TagW-1:0]          tag_o
);
  if (ShiftW < 6 || ShiftW > 8) begin : gen_bad_shiftw
    $error("systole_mbqm: ShiftW=%0d out of range [6, 8]", ShiftW);
  end
  if (TagW < 1 || TagW > 256) begin : gen_bad_tagw
    $error("systole_mbqm: TagW=%0d out of range [1, 256]", TagW);
  end

  // ---- S1: left shift ----------------------------------------------------------
  logic [4:0]         s1_lshift, s1_rshift;
  logic [5:0]         s1_total;  // single rounding: 31 - shift in [0, 62]
  assign s1_lshift = (shift_i[ShiftW-1] || single_round_i) ? 5'd0 : shift_i[4:0];
  assign s1_rshift = (shift_i[ShiftW-1] && !single_round_i) ? 5'(-shift_i) : 5'd0;
  assign s1_total  = 6'(7'sd31 - 7'(shift_i));

  logic               v1_q, sr1_q, hu1_q;
  logic signed [31:0] x1_q, m1_q;
  logic [4:0]         r1_q;
  logic [5:0]         n1_q;
  logic [TagW-1:0]    t1_q;

  // ---- S2: 32x32 signed multiply -------------------------------------------
  logic signed [63:0] s2_prod;
  logic               s2_ovf;
  assign s2_prod = 64'(x1_q) * 64'(m1_q);
  assign s2_ovf  = (x1_q == m1_q) && (x1_q == 32'sh8000_0000);

  logic               v2_q, ovf2_q, sr2_q, hu2_q;
  logic signed [63:0] p2_q;
  logic [4:0]         r2_q;
  logic [5:0]         n2_q;
  logic [TagW-1:0]    t2_q;

  // ---- S3: SaturatingRoundingDoublingHighMul --------------------------------
  // high = trunc_toward_zero((ab + nudge) / 2^31), nudge = ab >= 0 ? 2^30 : 1 - 2^30
  logic signed [63:0] s3_nudged, s3_biased;
  logic signed [31:0] s3_high;
  assign s3_nudged = p2_q + (p2_q[63] ? -64'sd1073741823 : 64'sd1073741824);
  // Division toward zero: add (2^31 - 1) before the arithmetic shift when negative.
  assign s3_biased = s3_nudged + (s3_nudged[63] ? 64'sd2147483647 : 64'sd0);
  assign s3_high   = ovf2_q ? 32'sh7fff_ffff : s3_biased[62:31];
  // Single rounding: |x * mult| <= 2^62, so adding 2^61 cannot overflow.
  // Half up (ruy x86): floor((ab + 2^30) / 2^31), no saturation.
  logic signed [63:0] s3_halfup;
  assign s3_halfup = (p2_q + 64'sd1073741824) >>> 31;
  logic signed [63:0] s3_round, s3_single;
  assign s3_round  = (n2_q == 6'd0) ? 64'sd0 : (64'sd1 <<< (n2_q - 6'd1));
  assign s3_single = (p2_q + s3_round) >>> n2_q;

  logic               v3_q, hu3_q;
  logic signed [31:0] h3_q;
  logic [4:0]         r3_q;
  logic [TagW-1:0]    t3_q;

  // ---- S4: RoundingDivideByPOT ---------------------------------------------
  logic [31:0]        s4_mask, s4_rem, s4_thr;
  logic signed [31:0] s4_res;
  assign s4_mask = (32'd1 << r3_q) - 32'd1;
  assign s4_rem  = h3_q & s4_mask;
  assign s4_thr  = (s4_mask >> 1) + {31'd0, h3_q[31]};
  // Half up: (h + nudge) >>> r, or 2^(31-r) when the nudge would overflow.
  logic signed [31:0] s4_nudge, s4_hu;
  assign s4_nudge = (r3_q == 5'd0) ? 32'sd0 : (32'sd1 <<< (r3_q - 5'd1));
  assign s4_hu    = (h3_q > (32'sh7fff_ffff - s4_nudge)) ? (32'sd1 <<< (5'd31 - r3_q))
                                                         : ((h3_q + s4_nudge) >>> r3_q);
  assign s4_res  = hu3_q ? s4_hu : (h3_q >>> r3_q) + ((s4_rem > s4_thr) ? 32'sd1 : 32'sd0);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v1_q <= 1'b0; sr1_q <= 1'b0; hu1_q <= 1'b0; x1_q <= '0; m1_q <= '0; r1_q <= '0; n1_q <= '0; t1_q <= '0;
      v2_q <= 1'b0; sr2_q <= 1'b0; hu2_q <= 1'b0; ovf2_q <= 1'b0; p2_q <= '0; r2_q <= '0; n2_q <= '0; t2_q <= '0;
      v3_q <= 1'b0; hu3_q <= 1'b0; h3_q <= '0; r3_q <= '0; t3_q <= '0;
      valid_o <= 1'b0; y_o <= '0; tag_o <= '0;
    end else if (en_i) begin
      v1_q <= valid_i; sr1_q <= single_round_i; hu1_q <= half_up_i && !single_round_i; x1_q <= x_i << s1_lshift; m1_q <= mult_i;
      r1_q <= s1_rshift; n1_q <= s1_total; t1_q <= tag_i;
      v2_q <= v1_q; sr2_q <= sr1_q; hu2_q <= hu1_q; ovf2_q <= s2_ovf; p2_q <= s2_prod; r2_q <= r1_q; n2_q <= n1_q;
      t2_q <= t1_q;
      v3_q <= v2_q; hu3_q <= hu2_q;
      h3_q <= sr2_q ? s3_single[31:0] : hu2_q ? s3_halfup[31:0] : s3_high; r3_q <= r2_q; t3_q <= t2_q;
      valid_o <= v3_q; y_o <= s4_res; tag_o <= t3_q;
    end
  end

  // Deliberately dropped: the quotient's sign-extension/fraction bits (the
  // value is known to fit in 32 bits).
  logic [63:0] unused_biased;
  assign unused_biased = {s3_biased[63], s3_biased[30:0], s3_single[63:32]};
  logic [31:0] unused_halfup;
  assign unused_halfup = s3_halfup[63:32];
  if (ShiftW > 6) begin : gen_unused_shift
    logic [ShiftW-6:0] unused_shift_hi;
    assign unused_shift_hi = shift_i[ShiftW-1:5];
  end
endmodule
