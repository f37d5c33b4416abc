// systole_fp32: unit-test top of the binary32 arithmetic (rtl/systole_fp32_test.cc),
// not used by the core. The combinational operations of systole_fp32_pkg on
// (a_i, b_i) and the conversions of a_i appear on their own outputs in the same
// cycle; the divider systole_fp32_div is wired to div_start_i / div_done_o /
// div_q_o (latency 28, see systole_fp32_div.sv).
module systole_fp32
  import systole_fp32_pkg::*;
(
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic [31:0] a_i,
  input  logic [31:0] b_i,
  output logic [31:0] add_o,
  output logic [31:0] mul_o,
  output logic [31:0] round_o,   // f32_to_int32(a_i, trunc = 0)
  output logic [31:0] trunc_o,   // f32_to_int32(a_i, trunc = 1)
  output logic [31:0] even_o,    // f32_to_int32_even(a_i)
  output logic [31:0] from_int_o,  // f32_from_int32(a_i)
  input  logic        div_start_i,
  output logic        div_done_o,
  output logic [31:0] div_q_o
);
  assign add_o   = f32_add(a_i, b_i);
  assign mul_o   = f32_mul(a_i, b_i);
  assign round_o = f32_to_int32(a_i, 1'b0);
  assign trunc_o = f32_to_int32(a_i, 1'b1);
  assign even_o  = f32_to_int32_even(a_i);
  assign from_int_o = f32_from_int32(a_i);

  systole_fp32_div u_div (
    .clk_i, .rst_ni, .start_i (div_start_i), .a_i, .b_i, .done_o (div_done_o), .q_o (div_q_o)
  );
endmodule
