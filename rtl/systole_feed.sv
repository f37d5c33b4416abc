// systole_feed: the array feed. Writes the weight rows of LOAD_WEIGHTS into the
// systolic array and feeds it the activation vectors of MATMUL; psum_o is the
// array's result vector (systole_array: Rows x Cols, weight stationary).
//
// Schedule (cycle = the sequencer's cnt_i, data from the PBUF / ABUF read
// port issued MemReadLatency = 1 cycle earlier by systole_agen):
//   LOAD_WEIGHTS  array row r is written in cycle r + 1 for every r < Rows;
//                 rows >= k and columns >= n get zeros. Each weight byte
//                 becomes the array's 9-bit signed weight: sign-extended
//                 (int8), or zero-extended minus w_zp (u8 = 1, UINT8)
//   MATMUL        activation vector i enters in cycle i + 1 (i < m); its
//                 result is on psum_o in cycle i + 1 + Rows + Cols - 1, flagged
//                 by psum_valid_o (the write-back's ACC write window).
//                 take_shadow: the shadow set is copied into the active set
//                 at the end of cycle 0 (before vector 0 reaches a cell).
//                 pre_run_i (it performs the pending PRELOAD_WEIGHTS pre_i):
//                 shadow rows P*j .. P*j + P-1 (P = PRELOAD_ROWS, from row
//                 g of the PBUF bus: bytes g*Cols ..) are written in cycle
//                 j + 1, with the same 9-bit convert as LOAD_WEIGHTS (pre_i's
//                 k, n, u8 and w_zp)
// No handshake: the data arrive in fixed cycles. MATMULs overlap: the next
// one may start while earlier ones drain (drain_i: results still in the
// array); each vector keeps the weights of its own MATMUL (the array's weight
// banks). The array is clock-gated (en) when neither a MATMUL's front window
// runs nor results drain, so it holds its pipeline between instructions.
module systole_feed
  import systole_isa_pkg::*;
  import systole_core_pkg::*;
#(
  parameter int unsigned Rows = 16,
  parameter int unsigned Cols = 16
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  input  logic                  busy_i,
  input  logic                  active_i,
  input  insn_t                 insn_i,
  input  logic [31:0]           cnt_i,
  input  op_class_t             cls_i,
  input  preload_weights_t      pre_i,   // the pending PRELOAD_WEIGHTS
  input  logic                  pre_run_i,  // this MATMUL performs it
  input  logic [PreloadRows*Cols-1:0][7:0] w_i,  // PBUF read data (weight rows)
  input  logic [Rows-1:0][7:0]  act_i,   // ABUF port A read data (an activation vector)
  input  logic                  drain_i,  // MATMUL results still in the array
  output logic                  psum_valid_o,
  output logic                  psum_next_o,
  output logic [Cols-1:0][31:0] psum_o
);
  localparam int unsigned L       = MemReadLatency;
  localparam int unsigned RowIdxW = $clog2(Rows);

  load_weights_t f_lw;
  matmul_t       f_mm;
  assign f_lw = load_weights_t'(insn_i);
  assign f_mm = matmul_t'(insn_i);

  localparam int unsigned P = PreloadRows;
  localparam int unsigned SGroups = (Rows + P - 1) / P;

  // The 9-bit weight of PBUF byte b in row r, column c of the tile (zero
  // outside k x n).
  function automatic logic [8:0] wt9(logic [7:0] b, logic [31:0] r, int unsigned c, logic [31:0] k,
                                     logic [31:0] n, logic u8, logic [7:0] zp);
    if (r >= k || 32'(c) >= n) return '0;
    if (u8)                    return {1'b0, b} - {1'b0, zp};
    return {b[7], b};
  endfunction

  // LOAD_WEIGHTS: row w_idx from the bus's first row.
  logic                 w_we;
  logic [RowIdxW-1:0]   w_row;
  logic [Cols-1:0][8:0] w_data;
  logic [31:0]          w_idx;
  assign w_idx  = cnt_i - 32'(L);
  assign w_we   = busy_i && cls_i.lw && in_win(cnt_i, 32'(L), 32'(Rows));
  assign w_row  = RowIdxW'(w_idx);
  // The converts run only in a cycle that writes (a simulator evaluates
  // these blocks whenever the PBUF bus changes; docs/rtl.md, "Simulation speed").
  always_comb begin
    w_data = '0;
    if (w_we)
      for (int unsigned c = 0; c < Cols; c++)
        w_data[c] = wt9(w_i[c], w_idx, c, 32'(f_lw.k), 32'(f_lw.n), f_lw.u8[0], f_lw.w_zp);
  end

  // The preload a MATMUL performs: rows P*w_idx + g from bus row g.
  logic                          s_we;
  logic [RowIdxW-1:0]            s_row;
  logic [P-1:0][Cols-1:0][8:0]   s_data;
  logic [31:0]                   s_base;
  assign s_base = w_idx * 32'(P);
  assign s_row  = RowIdxW'(s_base);
  always_comb begin
    s_data = '0;
    if (s_we)
      for (int unsigned g = 0; g < P; g++)
        for (int unsigned c = 0; c < Cols; c++)
          s_data[g][c] = wt9(w_i[g * Cols + c], s_base + 32'(g), c, 32'(pre_i.k), 32'(pre_i.n), pre_i.u8[0],
                             pre_i.w_zp);
  end

  logic take, lw_start, pre_start;
  assign s_we      = busy_i && cls_i.mm && pre_run_i && in_win(cnt_i, 32'(L), 32'(SGroups));
  assign take      = active_i && !busy_i && cls_i.mm && f_mm.take_shadow[0];
  assign pre_start = active_i && !busy_i && cls_i.mm && pre_run_i;
  assign lw_start  = active_i && !busy_i && cls_i.lw;

  logic act_valid;
  assign act_valid = busy_i && cls_i.mm && in_win(cnt_i, 32'(L), 32'(f_mm.m));

  systole_array #(.Rows(Rows), .Cols(Cols), .PreloadRows(PreloadRows), .WeightBanks(WeightBanks)) u_array (
    .clk_i,
    .rst_ni,
    .en_i         ((active_i && cls_i.mm) || drain_i),
    .w_we_i       (w_we),
    .w_row_i      (w_row),
    .w_i          (w_data),
    .lw_i         (lw_start),
    .s_we_i       (s_we),
    .s_row_i      (s_row),
    .s_i          (s_data),
    .take_i       (take),
    .pre_i        (pre_start),
    .act_valid_i  (act_valid),
    .act_i,
    .psum_valid_o,
    .psum_next_o,
    .psum_o
  );

  // A weight write and an activation never meet (one instruction at a time).
  a_w_or_act: assert property (@(posedge clk_i) !(w_we && act_valid));

  logic unused_ok;
  assign unused_ok = ^{f_lw, f_mm, cls_i, pre_i, w_i};
endmodule
