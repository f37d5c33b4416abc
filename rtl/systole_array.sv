// Systole weight-stationary systolic array: Rows x Cols int8 x 9-bit -> int32
// multiply-accumulate cells (weights are 9-bit signed: int8, or a UINT8 weight
// minus its zero point, in [-255, 255]; the loader in systole_feed forms them).
//
// Computes y[c] = sum_{r<Rows} x[r] * W[r][c] for a stream of input vectors x
// (one per cycle), in 32-bit wrapping arithmetic.
//
//   * Weights per vector: every vector is multiplied by the weight set W
//     that was active when it was presented, even while later vectors use a
//     newer set (pipelined MATMULs, docs/rtl.md "Weight banks"). The sets
//     live in three banks: cur (W of the vectors presented from t_new on),
//     prev (from t_prev on), pp (older vectors; also the shadow set's bank
//     while a preload is pending).
//   * lw_i (LOAD_WEIGHTS' accept; only while no vector is in flight): the
//     following w_we_i rows, W[w_row_i][*] <= w_i, go into a bank that does
//     not hold S, which every later vector uses.
//   * Shadow weights: s_we_i writes row w_row_i of S (bank sb); take_i makes
//     W = S for the vectors presented after its cycle (cur <= sb; a no-op if
//     W already is S). pre_i (in a take's cycle or alone): S moves to the
//     bank no in-flight vector uses (pp), where the following s_we_i rows go.
//     S is never read by a cell until it is taken.
//   * Input: act_i is an UNSKEWED vector; the array skews it internally (row r
//     is delayed r cycles) and feeds row r from the left; activations flow
//     right, int32 partial sums flow down.
//   * Output: psum_o is the DESKEWED result vector (column c delayed
//     Cols-1-c cycles). A vector presented in cycle t appears on psum_o in
//     cycle t + Latency (Latency = Rows + Cols - 1), flagged by psum_valid_o;
//     psum_next_o flags the cycle before (a result on psum_o next cycle).
//     Slots without act_valid_i are fed as zeros.
//   * en_i = 0 freezes the datapath (skew, cells, deskew, valid): a clock gate
//     for the cycles in which no MATMUL runs. The weights are not gated.
//
// Cell (r, c) holds its stationary weight (wa[r][c], from the bank of the
// vector it works on; see the datapath block); in a systolic array it
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
  input  logic                       lw_i,
  input  logic                       s_we_i,
  input  logic                       take_i,
  input  logic                       pre_i,
  // activation stream
  input  logic                       act_valid_i,
  input  logic [Rows-1:0][7:0]       act_i,
  // result stream
  output logic                       psum_valid_o,
  output logic                       psum_next_o,
  output logic [Cols-1:0][31:0]      psum_o
);
  if (Rows < 2 || Rows > 256) begin : gen_bad_rows
    $error("systole_array: Rows=%0d out of range [2, 256]", Rows);
  end
  if (Cols < 2 || Cols > 256) begin : gen_bad_cols
    $error("systole_array: Cols=%0d out of range [2, 256]", Cols);
  end

  // The weight banks hold the 9-bit weights sign-extended to 16 bits (they
  // are read only by the weight waves below). The operands the cells
  // multiply, the input history and each cell's active weight, are held
  // sign-extended to the products' 32 bits: a 32-bit product of two
  // sign-extended values is the signed product, so the multiply-add needs no
  // sign extension per cell, which cost a simulator more than the larger
  // footprint (docs/rtl.md, "Simulation speed", sixth round).
  logic [15:0] w_q   [3][Rows][Cols];  // the weight banks
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
  localparam int unsigned ColIdxW = $clog2(Cols);
  localparam int unsigned RingN = 1 << RingW;
  logic [RingW-1:0]   ring_ptr;
  logic [Latency-1:0] valid_q;
  // Enabled-cycle count (the time of a vector = the count of the cycle it is
  // presented in; cell (r, c) in enabled cycle P works on the vector of time
  // P - r - c) and the bank state: cur, prev, pp distinct (0..2); sb = S's
  // bank (cur, or pp while a preload is pending; never prev).
  logic [63:0] ecnt_q, t_new_q, t_prev_q, t_new_d, t_prev_d;
  logic [1:0]  cur_q, prev_q, pp_q, sb_q, cur_d, prev_d, pp_d, sb_d;
  assign ring_ptr = ecnt_q[RingW-1:0];

  // ---- weights ----------------------------------------------------------------
  always_comb begin
    cur_d = cur_q; prev_d = prev_q; pp_d = pp_q; sb_d = sb_q;
    t_new_d = t_new_q; t_prev_d = t_prev_q;
    if (take_i && sb_q != cur_q) begin
      cur_d    = sb_q;
      prev_d   = cur_q;
      pp_d     = 2'd3 - sb_q - cur_q;
      t_prev_d = t_new_q;
      t_new_d  = ecnt_q + (en_i ? 64'd1 : 64'd0);
    end
    if (pre_i) sb_d = pp_d;
    if (lw_i) begin  // no vector in flight: every bank but S's is free
      cur_d    = sb_q != cur_q ? cur_q : prev_q;
      pp_d     = sb_q;
      prev_d   = 2'd3 - cur_d - sb_q;
      t_new_d  = ecnt_q;
      t_prev_d = ecnt_q;
    end
  end

  // verilator tracing_off
  always_ff @(posedge clk_i or negedge rst_ni) begin
    logic [15:0] w_row [Cols];
    if (!rst_ni) begin
      w_q      <= '{default: '{default: '{default: '0}}};
      valid_q  <= '0;
      ecnt_q   <= '0;
      t_new_q  <= '0;
      t_prev_q <= '0;
      cur_q    <= 2'd0;
      prev_q   <= 2'd1;
      pp_q     <= 2'd2;
      sb_q     <= 2'd0;
    end else begin
      // The written row, sign-extended, formed only in a cycle that writes
      // (as a combinational block it followed w_i in both evaluations of
      // every clock; docs/rtl.md, "Simulation speed").
      if (w_we_i || s_we_i) begin
        for (int unsigned c = 0; c < Cols; c++) w_row[c] = 16'($signed(w_i[c]));
        if (w_we_i) w_q[cur_q][w_row_i] <= w_row;
        if (s_we_i) w_q[sb_q][w_row_i] <= w_row;
      end
      cur_q    <= cur_d;
      prev_q   <= prev_d;
      pp_q     <= pp_d;
      sb_q     <= sb_d;
      t_new_q  <= t_new_d;
      t_prev_q <= t_prev_d;
      if (en_i) begin
        valid_q <= {valid_q[Latency-2:0], act_valid_i};
        ecnt_q  <= ecnt_q + 64'd1;
      end
    end
  end
  // verilator tracing_on

  // Per cycle: the cells on diagonals d = r + c < a1 work on vectors of time
  // >= t_new (bank cur), those on d < a2 on vectors of time >= t_prev (cur
  // or prev); the rest on older ones (pp). t_new <= P + 1 always.
  logic [31:0] a1, a2;
  always_comb begin
    logic [63:0] d1, d2;
    d1 = ecnt_q + 64'd1 - t_new_q;
    d2 = ecnt_q + 64'd1 - t_prev_q;
    a1 = d1 > 64'(Latency) ? 32'(Latency) : 32'(d1);
    a2 = d2 > 64'(Latency) ? 32'(Latency) : 32'(d2);
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
    logic [31:0] hist [Rows][RingN];  // inputs, sign-extended to 32 bits
    logic [31:0] acc  [RingN][Cols];
    // Each cell's active weight (the weight register of a systolic array's
    // cell): the weight of the bank its vector uses. A take or a load starts
    // a wave at diagonal 0 (cell (r, c) is on diagonal r + c) that copies
    // the new set into the cells it passes, one diagonal per enabled cycle,
    // in the cycle the first vector of that set reaches the diagonal: the
    // cells on diagonals d < a1 work on vectors of cur, the diagonal a1 - 1
    // joined this cycle. The wave of the set before it (prev, on diagonals
    // [a1, a2)) goes on at diagonal a2 - 1 where a take interrupted it.
    // Cells beyond a2 keep what they hold, the pp set's weights (or, with
    // no vector of pp in flight, weights nobody uses). A loaded row is
    // written to its cells directly (below).
    logic [31:0] wa   [Rows][Cols];
    logic [15:0] p;  // ring index arithmetic in 16 bits, truncated to RingW bits
    // The diagonals of the two waves and the bank indices. 64-bit on
    // purpose: the Verilated model keeps block variables as members, and a
    // 64-bit member cannot alias the 16- and 32-bit arrays the loops store,
    // so the C++ compiler keeps these in registers (docs/rtl.md, "Weight banks").
    longint unsigned d1, d2, bc, bp;
    if (en_i) begin
      p   = 16'(ring_ptr);
      bc  = 64'(cur_q);
      bp  = 64'(prev_q);
      a_bank_idx: assert (bc < 64'd3 && bp < 64'd3);
      for (int unsigned r = 0; r < Rows; r++) hist[r][RingW'(p)] = act_valid_i ? 32'($signed(act_i[r])) : 32'd0;
      // The waves: prev's first (a diagonal both would write is cur's).
      if (a2 > a1) begin
        d2 = 64'(a2) - 64'd1;
        for (int unsigned r = 0; r < Rows; r++)
          if (d2 >= 64'(r) && d2 - 64'(r) < 64'(Cols))
            wa[r][ColIdxW'(d2 - 64'(r))] = 32'($signed(w_q[2'(bp)][r][ColIdxW'(d2 - 64'(r))]));
      end
      if (a1 != 32'd0) begin
        d1 = 64'(a1) - 64'd1;
        for (int unsigned r = 0; r < Rows; r++)
          if (d1 >= 64'(r) && d1 - 64'(r) < 64'(Cols))
            wa[r][ColIdxW'(d1 - 64'(r))] = 32'($signed(w_q[2'(bc)][r][ColIdxW'(d1 - 64'(r))]));
      end
      for (int unsigned c = 0; c < Cols; c++)
        acc[RingW'(p)][c] = hist[0][RingW'(p - 16'(c))] * wa[0][c];
      for (shortint unsigned r = 1; r < 16'(Rows); r++) begin
        for (int unsigned c = 0; c < Cols; c++) begin
          acc[RingW'(p - r)][c] += hist[RowIdxW'(r)][RingW'(p - r - 16'(c))] * wa[RowIdxW'(r)][c];
        end
      end
      // After this edge, column c shows the wave that left row Rows-1
      // Cols-1-c cycles ago.
      for (int unsigned c = 0; c < Cols; c++) begin
        psum_o[c] <= acc[RingW'(p) - RingW'(Rows - 1 + Cols - 1 - c)][c];
      end
    end
    // A row written into the active set (LOAD_WEIGHTS: no vector in flight,
    // every later one uses it) goes to the row's cells at once, whatever the
    // waves; enabled or not, after the waves of this cycle.
    if (w_we_i)
      for (int unsigned c = 0; c < Cols; c++) wa[w_row_i][c] = 32'($signed(w_i[c]));
  end
  // verilator tracing_on

  assign psum_valid_o = valid_q[Latency-1];
  assign psum_next_o  = valid_q[Latency-2];

  // The banks stay a permutation; S is never in prev's bank (a take would
  // then lose the weights of vectors in flight); a LOAD_WEIGHTS only on an
  // empty pipeline; no two weight writes to one bank row in a cycle.
  a_banks:   assert property (@(posedge clk_i) cur_q != prev_q && cur_q != pp_q && prev_q != pp_q
                              && cur_q <= 2'd2 && prev_q <= 2'd2 && pp_q <= 2'd2);
  a_sb:      assert property (@(posedge clk_i) sb_q != prev_q);
  a_lw_idle: assert property (@(posedge clk_i) lw_i |-> valid_q == '0 && !act_valid_i);
  a_we_once: assert property (@(posedge clk_i) !(w_we_i && s_we_i));
endmodule
