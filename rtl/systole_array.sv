// Systole weight-stationary systolic array: Rows x Cols PEs (systole_pe).
//
// Computes y[c] = sum_{r<Rows} x[r] * W[r][c] for a stream of input vectors x
// (one per cycle), in AccW-bit wrapping arithmetic.
//
//   * Weights: W[w_row_i][*] <= w_i when w_we_i (one row per cycle).
//     Weights must not change while vectors that use them are in flight.
//   * Input: act_i is an UNSKEWED vector; the array skews it internally (row r
//     is delayed r cycles) and feeds row r from the left; activations flow
//     right, int32 partial sums flow down.
//   * Output: psum_o is the DESKEWED result vector (column c delayed
//     Cols-1-c cycles). A vector presented in cycle t appears on psum_o in
//     cycle t + Latency (Latency = Rows + Cols - 1), flagged by psum_valid_o.
//     Slots without act_valid_i are fed as zeros.
module systole_array #(
  parameter int unsigned Rows = 16,  // K: input depth (activations per vector)
  parameter int unsigned Cols = 16,  // N: output channels
  parameter int unsigned AccW = 32,
  localparam int unsigned RowIdxW = Rows > 1 ? $clog2(Rows) : 1,
  localparam int unsigned Latency = Rows + Cols - 1
) (
  input  logic                                clk_i,
  input  logic                                rst_ni,
  // weight load port
  input  logic                                w_we_i,
  input  logic [RowIdxW-1:0]                  w_row_i,
  input  logic [Cols-1:0][7:0]                w_i,
  // activation stream
  input  logic                                act_valid_i,
  input  logic [Rows-1:0][7:0]                act_i,
  // result stream
  output logic                                psum_valid_o,
  output logic [Cols-1:0][AccW-1:0]           psum_o
);
  if (Rows < 2 || Rows > 256) begin : gen_bad_rows
    $error("systole_array: Rows=%0d out of range [2, 256]", Rows);
  end
  if (Cols < 2 || Cols > 256) begin : gen_bad_cols
    $error("systole_array: Cols=%0d out of range [2, 256]", Cols);
  end

  // act_h[r][c]: activation entering PE(r,c) from the left; act_h[r][Cols] unused.
  // Unpacked on purpose: Verilator keeps them as C arrays (packed 2-D vectors
  // this wide become multi-word concatenations and cost ~10x simulation speed).
  logic [7:0]      act_h  [Rows][Cols+1];
  // psum_v[r][c]: partial sum entering PE(r,c) from above; psum_v[Rows] = bottom.
  logic [AccW-1:0] psum_v [Rows+1][Cols];

  // ---- input skew: row r delayed by r cycles -------------------------------
  for (genvar r = 0; r < Rows; r++) begin : gen_skew
    logic [7:0] act_in;
    assign act_in = act_valid_i ? act_i[r] : 8'h00;
    if (r == 0) begin : gen_direct
      assign act_h[0][0] = act_in;
    end else begin : gen_delay
      logic [7:0] dly_q [r];  // dly_q[0] is the newest
      always_ff @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
          for (int unsigned i = 0; i < r; i++) dly_q[i] <= '0;
        end else begin
          dly_q[0] <= act_in;
          for (int unsigned i = 1; i < r; i++) dly_q[i] <= dly_q[i-1];
        end
      end
      assign act_h[r][0] = dly_q[r-1];
    end
  end

  // ---- PE grid --------------------------------------------------------------
  for (genvar c = 0; c < Cols; c++) begin : gen_top
    assign psum_v[0][c] = '0;
  end
  for (genvar r = 0; r < Rows; r++) begin : gen_row
    logic row_we;
    assign row_we = w_we_i && (w_row_i == RowIdxW'(r));
    for (genvar c = 0; c < Cols; c++) begin : gen_col
      systole_pe #(.AccW(AccW)) u_pe (
        .clk_i,
        .rst_ni,
        .w_we_i (row_we),
        .w_i    (w_i[c]),
        .act_i  (act_h[r][c]),
        .psum_i (psum_v[r][c]),
        .act_o  (act_h[r][c+1]),
        .psum_o (psum_v[r+1][c])
      );
    end
  end

  // The activation leaving the right edge is not used.
  logic [Rows-1:0][7:0] unused_act_right;
  for (genvar r = 0; r < Rows; r++) begin : gen_unused
    assign unused_act_right[r] = act_h[r][Cols];
  end

  // ---- output deskew: column c delayed by Cols-1-c cycles --------------------
  for (genvar c = 0; c < Cols; c++) begin : gen_deskew
    localparam int unsigned D = Cols - 1 - c;
    if (D == 0) begin : gen_direct
      assign psum_o[c] = psum_v[Rows][c];
    end else begin : gen_delay
      logic [AccW-1:0] dly_q [D];
      always_ff @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
          for (int unsigned i = 0; i < D; i++) dly_q[i] <= '0;
        end else begin
          dly_q[0] <= psum_v[Rows][c];
          for (int unsigned i = 1; i < D; i++) dly_q[i] <= dly_q[i-1];
        end
      end
      assign psum_o[c] = dly_q[D-1];
    end
  end

  // ---- valid pipeline ---------------------------------------------------------
  logic [Latency-1:0] valid_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      valid_q <= '0;
    end else begin
      valid_q <= {valid_q[Latency-2:0], act_valid_i};
    end
  end
  assign psum_valid_o = valid_q[Latency-1];

  logic unused_ok;
  assign unused_ok = ^unused_act_right;
endmodule
