// Systole vector-unit lane, front half of TFLite's int8 elementwise kernels.
// Its int32 result feeds a systole_requant lane (bias 0, output multiplier,
// zero point, clamp), which completes the op bit-exactly:
//
//   ADD/SUB (reference_integer_ops::AddElementwise / SubElementwise):
//     v1 = (x1 + off1) << left_shift;  v2 = (x2 + off2) << left_shift
//     y  = MBQM(v1, m1, s1) +/- MBQM(v2, m2, s2)
//   MUL (reference_integer_ops::MulElementwise):
//     y  = (x1 + off1) * (x2 + off2)
//
// s1_i/s2_i must be in [-31, 0] (MultiplyByQuantizedMultiplierSmallerThanOneExp),
// left_shift_i in [0, 31]. Latency = 4 cycles for every op; one result per cycle.
module systole_vec_lane #(
  parameter int unsigned ShiftW = 6
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     valid_i,
  input  logic [1:0]               op_i,          // 0 ADD, 1 SUB, 2 MUL (3: ADD)
  input  logic signed [7:0]        x1_i,
  input  logic signed [7:0]        x2_i,
  input  logic signed [31:0]       off1_i,
  input  logic signed [31:0]       off2_i,
  input  logic [4:0]               left_shift_i,
  input  logic signed [31:0]       m1_i,
  input  logic signed [ShiftW-1:0] s1_i,
  input  logic signed [31:0]       m2_i,
  input  logic signed [ShiftW-1:0] s2_i,
  output logic                     valid_o,
  output logic signed [31:0]       y_o
);
  localparam logic [1:0] OpSub = 2'd1;
  localparam logic [1:0] OpMul = 2'd2;

  logic signed [31:0] v1, v2, prod;
  assign v1   = 32'(x1_i) + off1_i;
  assign v2   = 32'(x2_i) + off2_i;
  assign prod = v1 * v2;

  // Tag of lane A carries {op, product} past the 4-stage MBQM.
  logic               a_valid, b_valid;
  logic signed [31:0] a_y, b_y;
  logic [33:0]        a_tag;
  logic [0:0]         b_tag;

  systole_mbqm #(.ShiftW(ShiftW), .TagW(34)) u_mbqm_a (
    .clk_i, .rst_ni, .valid_i,
    .x_i (v1 << left_shift_i), .mult_i (m1_i), .shift_i (s1_i),
    .tag_i ({op_i, prod}),
    .valid_o (a_valid), .y_o (a_y), .tag_o (a_tag)
  );
  systole_mbqm #(.ShiftW(ShiftW), .TagW(1)) u_mbqm_b (
    .clk_i, .rst_ni, .valid_i,
    .x_i (v2 << left_shift_i), .mult_i (m2_i), .shift_i (s2_i),
    .tag_i (1'b0),
    .valid_o (b_valid), .y_o (b_y), .tag_o (b_tag)
  );

  always_comb begin
    unique case (a_tag[33:32])
      OpSub:   y_o = a_y - b_y;
      OpMul:   y_o = a_tag[31:0];
      default: y_o = a_y + b_y;
    endcase
  end
  assign valid_o = a_valid;

  logic unused_b;
  assign unused_b = b_valid ^ b_tag[0];
endmodule
