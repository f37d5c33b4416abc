// systole_rowwalk: the row walker of the scalar row units (systole_softmax,
// systole_l2norm). ph_o is the cycle within the current row, src_o the
// address of the row's first element (src + r*len for row r).
//
//   accept_i        ph = 0, src = src_i (the instruction's first row)
//   run_i           ph steps 0 .. row_t_i - 1; after the last cycle of a row
//                   ph = 0 and src advances by len_i (the next row)
//   otherwise       both hold
module systole_rowwalk (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        accept_i,
  input  logic        run_i,
  input  logic [31:0] src_i,
  input  logic [31:0] len_i,
  input  logic [31:0] row_t_i,  // cycles per row (> 0 while run_i)
  output logic [31:0] ph_o,
  output logic [31:0] src_o
);
  logic [31:0] ph_q, ph_d;
  logic [31:0] src_q, src_d;
  always_comb begin
    ph_d  = ph_q;
    src_d = src_q;
    if (accept_i) begin
      ph_d  = '0;
      src_d = src_i;
    end else if (run_i) begin
      if (ph_q == row_t_i - 32'd1) begin
        ph_d  = '0;
        src_d = src_q + len_i;
      end else begin
        ph_d = ph_q + 32'd1;
      end
    end
  end
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ph_q  <= '0;
      src_q <= '0;
    end else begin
      ph_q  <= ph_d;
      src_q <= src_d;
    end
  end
  assign ph_o  = ph_q;
  assign src_o = src_q;

  a_ph_range: assert property (@(posedge clk_i) run_i |-> ph_q < row_t_i);
endmodule
