// Systole weight-stationary systolic array: Rows x Cols int8 x 9-bit -> int32
// multiply-accumulate cells (weights are 9-bit signed: int8, or a UINT8 weight
// minus its zero point, in [-255, 255]; the loader in systole_feed forms them).
//
// Computes y[c] = sum_{r<Rows} x[r] * W[r][c] for a stream of input vectors x
// (one per cycle), in 32-bit wrapping arithmetic.
//
//   * Weights: W[w_row_i][*] <= w_i when w_we_i (one row per cycle).
//     Weights must not change while vectors that use them are in flight.
//   * Shadow weights: S[w_row_i][*] <= w_i when s_we_i; take_i copies all of S
//     into W (W <= S) at the end of its cycle. S is never read by a cell, so
//     it may be written while vectors stream through W.
//   * Input: act_i is an UNSKEWED vector; the array skews it internally (row r
//     is delayed r cycles) and feeds row r from the left; activations flow
//     right, int32 partial sums flow down.
//   * Output: psum_o is the DESKEWED result vector (column c delayed
//     Cols-1-c cycles). A vector presented in cycle t appears on psum_o in
//     cycle t + Latency (Latency = Rows + Cols - 1), flagged by psum_valid_o.
//     Slots without act_valid_i are fed as zeros.
//   * en_i = 0 freezes the datapath (skew, cells, deskew, valid): a clock gate
//     for the cycles in which no MATMUL runs. The weights are not gated.
//
// Cell (r, c) holds the stationary weight w_q[r][c], an activation register
// act_q[r][c] (to the right neighbour) and a partial-sum register
// psum_q[r][c] (to the cell below):
//   act_q[r][c]  <= act_in(r, c)
//   psum_q[r][c] <= psum_in(r, c) + act_in(r, c) * w_q[r][c]
// The grid is written as loops over arrays, not as Rows x Cols cell
// instances: the same netlist, but Verilator turns it into tight loops (the
// 64x64 model simulates several times faster). Each row's cells are one
// packed vector (act_q[r], psum_q[r]), so that the register update is a
// copy of Rows wide words rather than of Rows x Cols elements; the skew and
// deskew delays are rings with a write pointer instead of shifting chains
// (docs/rtl.md, "Simulation speed": same cycle behaviour, ~1.6x faster at
// 64x64). Datapath registers have no reset: the edges feed zeros, and no
// result is valid before the fill.
module systole_array #(
  parameter int unsigned Rows = 16,  // K: input depth (activations per vector)
  parameter int unsigned Cols = 16,  // N: output channels
  localparam int unsigned RowIdxW = Rows > 1 ? $clog2(Rows) : 1,
  localparam int unsigned Latency = Rows + Cols - 1
) (
  input  logic                       clk_i,
  input  logic                       rst_ni,
  input  logic                       en_i,
  // weight load port
  input  logic                       w_we_i,
  input  logic [RowIdxW-1:0]         w_row_i,
  input  logic [Cols-1:0][8:0]       w_i,
  input  logic                       s_we_i,
  input  logic                       take_i,
  // activation stream
  input  logic                       act_valid_i,
  input  logic [Rows-1:0][7:0]       act_i,
  // result stream
  output logic                       psum_valid_o,
  output logic [Cols-1:0][31:0]      psum_o
);
  if (Rows < 2 || Rows > 256) begin : gen_bad_rows
    $error("systole_array: Rows=%0d out of range [2, 256]", Rows);
  end
  if (Cols < 2 || Cols > 256) begin : gen_bad_cols
    $error("systole_array: Cols=%0d out of range [2, 256]", Cols);
  end

  logic signed [8:0]  w_q    [Rows][Cols];
  logic signed [8:0]  s_q    [Rows][Cols];  // shadow weight set
  logic signed [8:0]  w_row  [Cols];
  // One packed vector per row: cell c of row r is act_q[r][c] / psum_q[r][c]
  // (read through $signed()).
  logic [Cols-1:0][7:0]  act_q  [Rows];
  logic [Cols-1:0][7:0]  act_d  [Rows];
  logic [Cols-1:0][31:0] psum_q [Rows];
  logic [Cols-1:0][31:0] psum_d [Rows];
  // Cell (0, 0) has its own registers (it is the only cell fed by a module
  // input; act_q[0][0] / psum_q[0][0] are unused).
  logic signed [7:0]  act00_d, act00_q;
  logic signed [31:0] psum00_d, psum00_q;
  // Skew and deskew delay lines as rings: every enabled cycle, row r's input
  // (r >= 1) is written to skew_ring[r-1][ring_ptr] and column c's result
  // (c < Cols-1) to dskw_ring[c][ring_ptr], then ring_ptr advances; a value
  // delayed d cycles is read back at ring_ptr - d. The same delays as chains
  // of d registers, but each cycle writes one entry per row and column
  // instead of shifting every stage (docs/rtl.md: simulation speed).
  localparam int unsigned RingW = $clog2(Rows > Cols ? Rows : Cols);
  localparam int unsigned RingN = 1 << RingW;  // > every delay (<= max(Rows, Cols) - 1)
  logic [RingW-1:0]   ring_ptr;
  logic signed [7:0]  skew_ring [Rows-1][RingN];
  logic signed [31:0] dskw_ring [Cols-1][RingN];
  logic [Latency-1:0] valid_q;

  // ---- weights ----------------------------------------------------------------
  always_comb begin
    for (int unsigned c = 0; c < Cols; c++) w_row[c] = w_i[c];
  end

  // ---- cells ------------------------------------------------------------------
  // Cell (0, 0) takes the input directly; every other cell reads registers
  // only. Keeping the grid's logic free of module inputs lets Verilator
  // evaluate it once per clock (after the edge) instead of also on every
  // input change.
  assign act00_d  = act_valid_i ? act_i[0] : 8'sd0;
  assign psum00_d = 32'(act00_d * w_q[0][0]);
  // Edges first (row 0, column 0), then the interior without any condition in
  // the inner loop, so the C++ compiler can vectorise the 4096-cell update.
  // The block's loop variables and `a` are not traced: a traced temporary
  // stays a member of the Verilated model, which keeps the C++ compiler from
  // holding it in a register (the same in the other units).
  // verilator tracing_off
  always_comb begin
    logic signed [7:0] a;
    act_d[0]  = {act_q[0][Cols-2:0], 8'h00};  // cell (0, 0): act00_q / psum00_q
    psum_d[0][0] = 32'sd0;
    for (int unsigned c = 1; c < Cols; c++) begin
      a = (c == 1) ? act00_q : $signed(act_q[0][c - 1]);
      psum_d[0][c] = 32'(a * w_q[0][c]);
    end
    act_d[0][1] = act00_q;
    for (int unsigned r = 1; r < Rows; r++) begin
      a = skew_ring[r - 1][ring_ptr - RingW'(r)];
      act_d[r] = {act_q[r][Cols-2:0], a};
      psum_d[r][0] = (r == 1 ? psum00_q : $signed(psum_q[r - 1][0])) + 32'(a * w_q[r][0]);
      for (int unsigned c = 1; c < Cols; c++) begin
        psum_d[r][c] = psum_q[r - 1][c] + 32'($signed(act_q[r][c - 1]) * w_q[r][c]);
      end
    end
  end
  // verilator tracing_on

  // ---- deskew -----------------------------------------------------------------
  always_comb begin
    for (int unsigned c = 0; c < Cols; c++) begin
      psum_o[c] = (c == Cols - 1) ? $signed(psum_q[Rows-1][c])
                                  : dskw_ring[c == Cols - 1 ? 0 : c][ring_ptr - RingW'(Cols - 1 - c)];
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      w_q     <= '{default: '{default: '0}};
      s_q     <= '{default: '{default: '0}};
      valid_q <= '0;
      ring_ptr <= '0;
    end else begin
      if (take_i)      w_q <= s_q;
      else if (w_we_i) w_q[w_row_i] <= w_row;
      if (s_we_i) s_q[w_row_i] <= w_row;
      if (en_i) begin
        valid_q  <= {valid_q[Latency-2:0], act_valid_i};
        ring_ptr <= ring_ptr + 1'b1;
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (en_i) begin
      for (int unsigned r = 1; r < Rows; r++) skew_ring[r - 1][ring_ptr] <= act_valid_i ? act_i[r] : 8'sd0;
      act_q  <= act_d;
      psum_q <= psum_d;
      act00_q  <= act00_d;
      psum00_q <= psum00_d;
      for (int unsigned c = 0; c + 1 < Cols; c++) dskw_ring[c][ring_ptr] <= psum_q[Rows-1][c];
    end
  end

  assign psum_valid_o = valid_q[Latency-1];
endmodule
