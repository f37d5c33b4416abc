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
// Cell (r, c) holds the stationary weight w_q[r][c]; in a systolic array it
// has an activation register act_q[r][c] (to the right neighbour) and a
// partial-sum register psum_q[r][c] (to the cell below):
//   act_q[r][c]  <= act_in(r, c)
//   psum_q[r][c] <= psum_in(r, c) + act_in(r, c) * w_q[r][c]
// This model keeps that cycle behaviour but stores the moving values where
// they do not move: row r's inputs in a history ring (act_in(r, c) is row
// r's input of r + c cycles ago) and each column's partial sums in a ring of
// waves updated in place, which also serves as the deskew (see the datapath
// block; docs/rtl.md, "Simulation speed"). The same values on the same
// cycles, with no register-to-register copies per clock: the Verilated 64x64
// model's clock is a loop of multiply-adds. Datapath registers have no reset:
// the edges feed zeros, and no result is valid before the fill.
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
  input  logic [Cols-1:0][8:0]       w_i,  // 9-bit signed: int8, or UINT8 - w_zp
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

  // Weights (and the input history below) are held sign-extended to 16 bits:
  // the same value in half the memory of 32 bits (the extension to the
  // products' 32 bits costs a simulator a few instructions per cell, the
  // smaller footprint saves more in cache misses; docs/rtl.md, "Simulation
  // speed"). The products and partial sums stay 32-bit.
  logic [15:0] w_q   [Rows][Cols];
  logic [15:0] s_q   [Rows][Cols];  // shadow weight set
  logic [15:0] w_row [Cols];
  // The datapath keeps the systolic array's cycle behaviour, stored the way
  // a simulator (and a register-file implementation) handles best
  // (docs/rtl.md, "Simulation speed"): cell (r, c) in cycle t multiplies
  // x_r(t - r - c), row r's input of r + c enabled cycles ago (the skew
  // delays it r, the cells to its left c more), and adds the partial sum
  // that the cell above produced one cycle earlier. Both are rings behind one
  // pointer `ring_ptr` (advanced every enabled cycle):
  //   * hist[r][p]: row r's input of the cycle in which ring_ptr was p;
  //   * acc[s][c]: the partial-sum wave of column c that entered row 0 when
  //     ring_ptr was s. It moves one row down per cycle, so row r updates
  //     acc[ring_ptr - r][c] in place (row 0 starts it); after row Rows-1 it
  //     stays in its slot, which is what the deskew needs: column c's result
  //     is read Cols-1-c cycles later from the same slot.
  // RingN > Rows + Cols - 2 (the longest delay), so no slot is reused while
  // it is still read.
  localparam int unsigned RingW = $clog2(Rows + Cols - 1);
  localparam int unsigned RingN = 1 << RingW;
  logic [RingW-1:0]   ring_ptr;
  logic [Latency-1:0] valid_q;

  // ---- weights ----------------------------------------------------------------
  always_comb begin
    for (int unsigned c = 0; c < Cols; c++) w_row[c] = 16'($signed(w_i[c]));
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

  // ---- cells, skew and deskew -------------------------------------------------
  // hist and acc are the block's own registers: written with blocking
  // assignments in the order of the dataflow (the input first, then the
  // waves), each element once per cycle, so they are flops like any other
  // (an element is read before it is written). Block-local, they need no
  // shadow copy for a nonblocking update; psum_o is registered here from the
  // updated waves, the value the deskew outputs held after the edge. The
  // loop variables are not traced: a traced temporary stays a member of the
  // Verilated model, which keeps the C++ compiler from holding it in a
  // register (the same in the other units).
  // verilator tracing_off
  always_ff @(posedge clk_i) begin
    logic [15:0] hist [Rows][RingN];  // inputs, sign-extended to 16 bits
    logic [31:0] acc  [RingN][Cols];
    logic [15:0] p;  // ring index arithmetic in 16 bits, truncated to RingW bits
    if (en_i) begin
      p = 16'(ring_ptr);
      for (int unsigned r = 0; r < Rows; r++) hist[r][RingW'(p)] = act_valid_i ? 16'($signed(act_i[r])) : 16'd0;
      for (int unsigned c = 0; c < Cols; c++) acc[RingW'(p)][c] = 32'($signed(hist[0][RingW'(p - 16'(c))])) * 32'($signed(w_q[0][c]));
      for (shortint unsigned r = 1; r < 16'(Rows); r++) begin
        for (int unsigned c = 0; c < Cols; c++) begin
          acc[RingW'(p - r)][c] += 32'($signed(hist[RowIdxW'(r)][RingW'(p - r - 16'(c))]))
                                   * 32'($signed(w_q[RowIdxW'(r)][c]));
        end
      end
      // After this edge, column c shows the wave that left row Rows-1
      // Cols-1-c cycles ago.
      for (int unsigned c = 0; c < Cols; c++) begin
        psum_o[c] <= acc[RingW'(p) - RingW'(Rows - 1 + Cols - 1 - c)][c];
      end
    end
  end
  // verilator tracing_on

  assign psum_valid_o = valid_q[Latency-1];
endmodule
