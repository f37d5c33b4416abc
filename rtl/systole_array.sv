// Systole weight-stationary systolic array: Rows x Cols int8 x 9-bit -> int32
// multiply-accumulate cells (weights are 9-bit signed: int8, or a UINT8 weight
// minus its zero point, in [-255, 255]; the loader in systole_feed forms them).
//
// Computes y[c] = sum_{r<Rows} x[r] * W[r][c] for a stream of input vectors x
// (one per cycle), in 32-bit wrapping arithmetic.
//
//   * Weights per vector: every vector is multiplied by the weight set W
//     that was active when it was presented, even while later vectors use
//     newer sets (pipelined MATMULs, docs/rtl.md "Weight banks"). A set
//     reaches the cells as a wave, one diagonal per enabled cycle, just
//     ahead of its first vector; the sets whose waves still move live in
//     WeightBanks banks (ISA 8: WEIGHT_BANKS), one of which holds the shadow
//     set S.
//   * lw_i (LOAD_WEIGHTS' accept; only while no vector is in flight): the
//     following w_we_i rows, W[w_row_i][*] <= w_i, go into the cells at once
//     (no wave, no bank; S keeps its bank).
//   * Shadow weights: s_we_i writes the PreloadRows rows s_row_i + g of S
//     (g < PreloadRows, those below Rows; bank sb); take_i makes W = S for
//     the vectors presented after its cycle (a wave from sb; a no-op if W
//     already is S). pre_i (in a take's cycle or alone): S moves to a bank
//     no moving wave reads, where the following s_we_i rows go. The issue
//     interval (ISA 8) keeps one free: at most WeightBanks - 1 waves move at
//     once. S is never read by a cell until it is taken.
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
  parameter int unsigned PreloadRows = 4,  // shadow rows per s_we_i (ISA PRELOAD_ROWS)
  parameter int unsigned WeightBanks = 9,  // weight sets held at once (ISA WEIGHT_BANKS)
  localparam int unsigned RowIdxW = Rows > 1 ? $clog2(Rows) : 1,
  localparam int unsigned Latency = Rows + Cols - 1
) (
  input  logic                       clk_i,
  input  logic                       rst_ni,
  input  logic                       en_i,
  // weight load port (LOAD_WEIGHTS: one row into the cells)
  input  logic                       w_we_i,
  input  logic [RowIdxW-1:0]         w_row_i,
  input  logic [Cols-1:0][8:0]       w_i,  // 9-bit signed: int8, or UINT8 - w_zp
  input  logic                       lw_i,
  // shadow port (the preload a MATMUL performs: PreloadRows rows of S)
  input  logic                       s_we_i,
  input  logic [RowIdxW-1:0]         s_row_i,
  input  logic [PreloadRows-1:0][Cols-1:0][8:0] s_i,
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
  if (WeightBanks < 3 || WeightBanks > 16) begin : gen_bad_banks
    $error("systole_array: WeightBanks=%0d out of range [3, 16]", WeightBanks);
  end
  if (PreloadRows < 1 || PreloadRows > Rows) begin : gen_bad_preload
    $error("systole_array: PreloadRows=%0d out of range [1, Rows]", PreloadRows);
  end

  // The weight banks hold the 9-bit weights sign-extended to 16 bits (they
  // are read only by the weight waves below). The operands the cells
  // multiply, the input history and each cell's active weight, are held
  // sign-extended to the products' 32 bits: a 32-bit product of two
  // sign-extended values is the signed product, so the multiply-add needs no
  // sign extension per cell, which cost a simulator more than the larger
  // footprint (docs/rtl.md, "Simulation speed", sixth round).
  localparam int unsigned NB = WeightBanks;
  localparam int unsigned BankW = $clog2(NB);
  // Wave slots: the waves of up to NB - 1 taken sets, and the reset wave.
  localparam int unsigned NW = NB + 1;
  localparam int unsigned SlotW = $clog2(NW);
  logic [15:0] w_q   [NB][Rows][Cols];  // the weight banks
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
  // P - r - c) and the waves: slot j (valid wv_q[j]) copies diagonal
  // P - wt_q[j] of bank wb_q[j] into the cells in enabled cycle P, for
  // diagonals 0 .. Latency-1: wt_q is the time of the set's first vector.
  // sb = S's bank; s_act: W is S (a take is a no-op).
  logic [63:0]       ecnt_q;
  logic [63:0]       wt_q [NW];
  logic [BankW-1:0]  wb_q [NW];
  logic [NW-1:0]     wv_q, wv_d, wv_run;
  logic [SlotW-1:0]  wp_q, wp_d;
  logic [BankW-1:0]  sb_q, sb_d;
  logic              s_act_q, s_act_d, take_new, bank_ok;
  assign ring_ptr = ecnt_q[RingW-1:0];

  // ---- weights ----------------------------------------------------------------
  always_comb begin
    logic [NB-1:0] in_use;
    wp_d = wp_q; sb_d = sb_q; s_act_d = s_act_q;
    // A wave ends with the cycle that copies its last diagonal.
    for (int unsigned j = 0; j < NW; j++)
      wv_run[j] = wv_q[j] && !(en_i && ecnt_q - wt_q[j] >= 64'(Latency) - 64'd1);
    wv_d = wv_run;
    take_new = take_i && !s_act_q;
    if (take_new) begin
      wv_d[wp_q] = 1'b1;
      wp_d       = wp_q == SlotW'(NW - 1) ? '0 : wp_q + SlotW'(1);
      s_act_d    = 1'b1;
    end
    // pre: S moves to the lowest bank that neither a moving wave nor S reads.
    in_use = '0;
    in_use[sb_q] = 1'b1;
    for (int unsigned j = 0; j < NW; j++)
      if (wv_run[j]) in_use[wb_q[j]] = 1'b1;
    bank_ok = 1'b0;
    if (pre_i) begin
      s_act_d = 1'b0;
      for (int b = int'(NB) - 1; b >= 0; b--)
        if (!in_use[b]) begin
          sb_d    = BankW'(b);
          bank_ok = 1'b1;
        end
    end
    if (lw_i) begin  // no vector in flight: no wave is needed; W is the loaded set
      wv_d    = '0;
      s_act_d = 1'b0;
    end
  end

  // verilator tracing_off
  always_ff @(posedge clk_i or negedge rst_ni) begin
    logic [15:0] s_rows [PreloadRows][Cols];
    if (!rst_ni) begin
      w_q     <= '{default: '{default: '{default: '0}}};
      valid_q <= '0;
      ecnt_q  <= '0;
      // The reset wave: W = S = bank 0 = zeros, entering from time 0.
      wt_q    <= '{default: '0};
      wb_q    <= '{default: '0};
      wv_q    <= NW'(1);
      wp_q    <= SlotW'(1);
      sb_q    <= '0;
      s_act_q <= 1'b1;
    end else begin
      // The written rows, sign-extended, formed only in a cycle that writes
      // (as a combinational block it followed s_i in both evaluations of
      // every clock; docs/rtl.md, "Simulation speed").
      if (s_we_i) begin
        for (int unsigned g = 0; g < PreloadRows; g++)
          for (int unsigned c = 0; c < Cols; c++) s_rows[g][c] = 16'($signed(s_i[g][c]));
        for (int unsigned g = 0; g < PreloadRows; g++)
          if (32'(s_row_i) + 32'(g) < 32'(Rows)) w_q[sb_q][32'(s_row_i) + 32'(g)] <= s_rows[g];
      end
      if (take_new) begin
        wt_q[wp_q] <= ecnt_q + (en_i ? 64'd1 : 64'd0);
        wb_q[wp_q] <= sb_q;
      end
      wv_q    <= wv_d;
      wp_q    <= wp_d;
      sb_q    <= sb_d;
      s_act_q <= s_act_d;
      if (en_i) begin
        valid_q <= {valid_q[Latency-2:0], act_valid_i};
        ecnt_q  <= ecnt_q + 64'd1;
      end
    end
  end
  // verilator tracing_on

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
    // cell): the weight of the set its vector uses. A set's wave copies it
    // into the cells one diagonal (cell (r, c) is on diagonal r + c) per
    // enabled cycle, in the cycle the set's first vector reaches the
    // diagonal; waves of later sets follow behind it, so the cells between
    // two waves hold the older set. A loaded row is written to its cells
    // directly (below).
    logic [31:0] wa   [Rows][Cols];
    logic [15:0] p;  // ring index arithmetic in 16 bits, truncated to RingW bits
    // A wave's diagonal, its first and last row and its bank. 64-bit on
    // purpose: the Verilated model keeps block variables as members, and a
    // 64-bit member cannot alias the 16- and 32-bit arrays the loops store,
    // so the C++ compiler keeps these in registers (docs/rtl.md, "Weight banks").
    longint unsigned d, r0, r1, bk;
    if (en_i) begin
      p = 16'(ring_ptr);
      for (int unsigned r = 0; r < Rows; r++) hist[r][RingW'(p)] = act_valid_i ? 32'($signed(act_i[r])) : 32'd0;
      for (int unsigned j = 0; j < NW; j++) begin
        if (wv_q[j]) begin
          d  = ecnt_q - wt_q[j];
          bk = 64'(wb_q[j]);
          a_wave_bank: assert (bk < 64'(NB) && d < 64'(Latency));
          r0 = d >= 64'(Cols) ? d - 64'(Cols) + 64'd1 : 64'd0;
          r1 = d < 64'(Rows) - 64'd1 ? d : 64'(Rows) - 64'd1;
          for (longint unsigned r = r0; r <= r1; r++)
            wa[RowIdxW'(r)][ColIdxW'(d - r)] = 32'($signed(w_q[BankW'(bk)][RowIdxW'(r)][ColIdxW'(d - r)]));
        end
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
    // A row written by LOAD_WEIGHTS (no vector in flight, every later one
    // uses it) goes to the row's cells at once; enabled or not, after the
    // waves of this cycle.
    if (w_we_i)
      for (int unsigned c = 0; c < Cols; c++) wa[w_row_i][c] = 32'($signed(w_i[c]));
  end
  // verilator tracing_on

  assign psum_valid_o = valid_q[Latency-1];
  assign psum_next_o  = valid_q[Latency-2];

  // A pre always finds a free bank (the issue interval keeps at most
  // WeightBanks - 1 waves moving); a take never reuses a moving wave's slot;
  // a LOAD_WEIGHTS only on an empty pipeline; one weight write a cycle.
  a_bank_free: assert property (@(posedge clk_i) pre_i |-> bank_ok);
  a_slot_free: assert property (@(posedge clk_i) take_new |-> !wv_run[wp_q]);
  a_lw_idle:   assert property (@(posedge clk_i) lw_i |-> valid_q == '0 && !act_valid_i);
  a_we_once:   assert property (@(posedge clk_i) !(w_we_i && s_we_i));
endmodule
