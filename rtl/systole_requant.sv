// Systole requantization lane: int32 accumulator -> int8, bit-exact with
// TFLite's per-channel output stage as written in common/fixed_point.h:
//
//   x   = acc + bias                                  (int32, wrapping)
//   x   = MultiplyByQuantizedMultiplier(x, mult, shift)   (systole_mbqm; or
//         the single-rounding variant when single_round_i)
//   y   = x + zero_point                              (int32, wrapping)
//   out = clamp(y, act_min, act_max)                  (int8)
//
// shift_i must lie in [-31, 31] (TFLite's QuantizeMultiplier range);
// act_min_i <= act_max_i is expected (if not, act_max_i wins, like
// std::min(std::max(y, lo), hi)).
//
// Latency = 5 register stages (4 in systole_mbqm, then zero point + clamp),
// one result per cycle, no stalls. All operands travel with the data, so
// parameters may change every cycle.
module systole_requant #(
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
    logic signed [31:0] zp;
    logic signed [7:0]  lo;
    logic signed [7:0]  hi;
  } tail_t;

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
    .tag_i   ({zero_point_i, act_min_i, act_max_i}),
    .valid_o (m_valid),
    .y_o     (m_y),
    .tag_o   (m_tail)
  );

  // ---- S5: zero point and activation clamp ----------------------------------
  logic signed [31:0] s5_y;
  logic signed [7:0]  s5_out;
  assign s5_y = m_y + m_tail.zp;
  always_comb begin
    if (s5_y > 32'(m_tail.hi)) begin
      s5_out = m_tail.hi;
    end else if (s5_y < 32'(m_tail.lo)) begin
      s5_out = m_tail.lo;
    end else begin
      s5_out = s5_y[7:0];
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      valid_o <= 1'b0;
      out_o   <= '0;
    end else if (en_i) begin
      valid_o <= m_valid;
      out_o   <= s5_out;
    end
  end
endmodule
