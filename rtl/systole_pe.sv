// Systole processing element: one int8 x int8 multiply-accumulate cell of the
// weight-stationary systolic array.
//
// Dataflow (per clock, when the array is not stalled):
//   * the stationary weight w_q is written from w_i when w_we_i is high;
//   * the activation arriving on act_i is registered to act_o (flows right);
//   * psum_o <= psum_i + act_i * w_q (flows down), in AccW-bit two's complement
//     (wrapping, as TFLite's int32 accumulator does in practice).
// The PE has no valid bit: idle slots carry act_i == 0, which adds nothing.
module systole_pe #(
  parameter int unsigned AccW = 32  // accumulator width in bits
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,
  input  logic                   w_we_i,   // load the stationary weight
  input  logic signed [7:0]      w_i,
  input  logic signed [7:0]      act_i,    // from the left neighbour
  input  logic signed [AccW-1:0] psum_i,   // from the PE above
  output logic signed [7:0]      act_o,    // to the right neighbour
  output logic signed [AccW-1:0] psum_o    // to the PE below
);
  if (AccW < 17 || AccW > 48) begin : gen_bad_accw
    $error("systole_pe: AccW=%0d out of range [17, 48]", AccW);
  end

  logic signed [7:0]      w_q;
  logic signed [15:0]     prod;

  assign prod = act_i * w_q;

  // The weight is architectural state (reset to 0). The activation and
  // partial-sum registers are pure datapath without reset: the array feeds
  // zeros from the edges, so they are flushed within Rows + Cols cycles, before
  // any result is marked valid (systole_array's valid pipeline is reset).
  // This also keeps the Verilated PE grid ~2x cheaper.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      w_q <= '0;
    end else if (w_we_i) begin
      w_q <= w_i;
    end
  end

  always_ff @(posedge clk_i) begin
    act_o  <= act_i;
    psum_o <= psum_i + AccW'(prod);
  end
endmodule
