// Systole requantization lane: int32 accumulator -> int8, bit-exact with
// TFLite's per-channel output stage as written in common/fixed_point.h, or
// (fp32_i) with XNNPACK's binary32 requantization as written in
// common/float32.h (docs/ISA.md, POSTPROC):
//
//   x   = acc + bias                                  (int32, wrapping)
//   fp32_i = 0:
//     x   = MultiplyByQuantizedMultiplier(x, mult, shift)   (systole_mbqm; or
//           the single-rounding variant when single_round_i)
//     y   = x + zero_point                            (int32, wrapping)
//   fp32_i = 1 (mult_i holds a binary32 scale; shift_i, single_round_i ignored):
//     f   = f32_from_int32(x)                         (ties to even)
//     p   = f32_mul(f, mult)                          (ties to even, subnormals kept)
//     r   = f32_to_int32_even(p)                      (ties to even, saturating, NaN -> 0)
//     y   = r + zero_point                            (34 bits: no wrap-around)
//   out = clamp(y, act_min, act_max)                  (int8)
//
// shift_i must lie in [-31, 31] (TFLite's QuantizeMultiplier range);
// act_min_i <= act_max_i is expected (if not, act_max_i wins, like
// std::min(std::max(y, lo), hi)).
//
// Latency = 5 register stages in both modes, one result per cycle, no stalls:
// 4 in systole_mbqm or in the binary32 pipeline beside it
//   F1 int32 -> binary32 (leading-one detect, round)
//   F2 24 x 24 significand multiply, exponent sum, special operands
//   F3 normalise and round the product (f32_round_pack)
//   F4 binary32 -> int32, ties to even, saturate
// then zero point + clamp (S5). All operands travel with the data, so
// parameters and the mode may change every cycle. The binary32 stages compute
// inside their clocked process, under the clock enable and their mode bit, so
// they cost nothing (in silicon: no toggling; in Verilator: no evaluation)
// while the lane runs fixed-point operands, and vice versa the fixed-point
// pipeline's result is simply not selected in fp32 mode.
module systole_requant
  import systole_fp32_pkg::*;
#(
  parameter int unsigned ShiftW = 6
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     en_i,     // clock enable: 0 holds every stage
  input  logic                     valid_i,
  input  logic signed [31:0]       acc_i,
  input  logic signed [31:0]       bias_i,
  input  logic signed [31:0]       mult_i,
  input  logic signed [ShiftW-1:0] shift_i,
  input  logic                     single_round_i,
  input  logic                     half_up_i,
  input  logic                     fp32_i,
  input  logic signed [31:0]       zero_point_i,
  input  logic signed [7:0]        act_min_i,
  input  logic signed [7:0]        act_max_i,
  output logic                     valid_o,
  output logic signed [7:0]        out_o
);
  if (ShiftW < 6 || ShiftW > 8) begin : gen_bad_shiftw
    $error("systole_requant: ShiftW=%0d out of range [6, 8]", ShiftW);
  end

  typedef struct packed {
    logic               fp32;
    logic signed [31:0] zp;
    logic signed [7:0]  lo;
    logic signed [7:0]  hi;
  } tail_t;

  // x = acc_i + bias_i is written out at each use below: as a named net the
  // Verilated model would evaluate it on every input change.

  logic               m_valid;
  logic signed [31:0] m_y;
  tail_t              m_tail;

  systole_mbqm #(.ShiftW(ShiftW), .TagW($bits(tail_t))) u_mbqm (
    .clk_i,
    .rst_ni,
    .en_i,
    .valid_i,
    .x_i     (acc_i + bias_i),
    .mult_i,
    .shift_i,
    .single_round_i,
    .half_up_i,
    .tag_i   ({fp32_i, zero_point_i, act_min_i, act_max_i}),
    .valid_o (m_valid),
    .y_o     (m_y),
    .tag_o   (m_tail)
  );

  // ---- F1..F4: binary32 pipeline (fp32_i) -----------------------------------
  // fpv_q[k]: stage F(k+1) holds an fp32 operand. Each stage's data register
  // loads only then. One process, guarded by "any fp32 operand in flight", so
  // that fixed-point operands cost the Verilated model one test per lane; the
  // stages are written last-to-first (each reads its predecessor before that
  // is overwritten in the text, the same as nonblocking semantics require), so
  // the Verilated model needs no delayed-assignment copies. The data registers
  // need no reset: a stage's value is used only when its mode bit says so.
  logic [2:0]           fpv_q;
  logic [31:0]          f1_q, s1_q;   // binary32(x), the scale
  f32_mul_wide_t        w2_q;         // exact product
  logic [31:0]          p3_q;         // rounded product
  logic signed [31:0]   r4_q;         // product rounded to int32
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni)   fpv_q <= '0;
    else if (en_i) fpv_q <= {fpv_q[1:0], fp32_i};
  end
  always_ff @(posedge clk_i) begin
    if (en_i && (fp32_i || fpv_q != 3'd0)) begin
      if (fpv_q[2]) r4_q <= f32_to_int32_even(p3_q);
      if (fpv_q[1]) p3_q <= f32_mul_finish(w2_q);
      if (fpv_q[0]) w2_q <= f32_mul_wide(f1_q, s1_q);
      if (fp32_i) begin
        f1_q <= f32_from_int32(acc_i + bias_i);
        s1_q <= mult_i;
      end
    end
  end

  // ---- S5: zero point and activation clamp ----------------------------------
  // Fixed point: y = m_y + zp wraps in 32 bits (TFLite's int32 addition).
  // fp32: y = r + zp in 34 bits (|r| <= 2^31, |zp| <= 2^31), never wraps, so a
  // saturated r clamps to the bound on its side (as XNNPACK's float clamp).
  // Computed inside the clocked process (evaluated only on the clock edge).
  function automatic logic signed [7:0] clamp8(logic signed [33:0] y, logic signed [7:0] lo,
                                               logic signed [7:0] hi);
    if (y > 34'(hi)) return hi;
    if (y < 34'(lo)) return lo;
    return y[7:0];
  endfunction

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      valid_o <= 1'b0;
      out_o   <= '0;
    end else if (en_i) begin
      valid_o <= m_valid;
      out_o   <= clamp8(m_tail.fp32 ? 34'(r4_q) + 34'(m_tail.zp) : 34'(32'(m_y + m_tail.zp)),
                        m_tail.lo, m_tail.hi);
    end
  end
endmodule
