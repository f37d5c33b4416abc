// systole_softmax: the SOFTMAX unit. A scalar binary32 datapath (systole_fp32_pkg,
// bit-exact with common/float32.cc), one element per cycle, with its own row
// sequencer, a 256-entry exponent table and the sequential divider
// systole_fp32_div.
//
// Schedule (cnt_i, the sequencer's cycle; L = MemReadLatency = 1):
//   table   PBUF read p < P (cycles 0..P-1, issued by systole_agen) arrives in
//           p + L and fills entries [p*C, p*C + C) (4C bytes = C little-endian
//           words; entries past 255 of the last read are dropped)
//   rows    row r runs in t0 + r*RowT .. t0 + (r+1)*RowT - 1, t0 = P + L,
//           RowT = 3*len + 3L + SOFTMAX_DIV_LATENCY + SOFTMAX_LATENCY; ph is
//           the cycle within the row, element j of the row is at src + r*len + j:
//     [0, len)              max phase: element ph read (rd_o / addr_o)
//     [s0, s0+len)          sum phase: element ph - s0, s0 = len + L
//     d0 = s0 + len + L     x = sum * scale
//     d0 + 1                divider start: inv = 1 / x, ready F32 divider
//                           latency later (<= SOFTMAX_DIV_LATENCY, checked)
//     [o0, o0+len)          output phase: element ph - o0, o0 = d0 + SOFTMAX_DIV_LATENCY
//     [o0+L+1, o0+len+L+1)  its byte: we_o / out_o (data in +L, registered +1)
//   The last write is in ph = RowT - 1; the next row starts the cycle after.
//   Every element is read before it is written, so dst = src works.
// Handshake: rd_o is a port A request for systole_agen's mux (one byte at
// addr_o, arriving on x_i L cycles later); we_o / out_o is one byte for
// systole_wb (rows are contiguous: dst + r*len + j).
module systole_softmax
  import systole_isa_pkg::*;
  import systole_fp32_pkg::*;
  import systole_core_pkg::*;
#(
  parameter int unsigned Cols = 16
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,
  input  logic                   accept_i,
  input  logic                   busy_i,
  input  logic                   is_sm_i,   // the current instruction is SOFTMAX
  input  insn_t                  insn_i,
  input  logic [31:0]            cnt_i,
  input  logic [4*Cols-1:0][7:0] pbuf_i,    // PBUF read data (table words)
  input  logic signed [7:0]      x_i,       // ABUF port A read data, byte 0
  output logic                   rd_o,
  output logic [31:0]            addr_o,
  output logic                   we_o,
  output logic [7:0]             out_o
);
  localparam int unsigned L         = MemReadLatency;
  localparam int unsigned SmChunk   = 4 * Cols;                                   // bytes per read
  localparam int unsigned SmReads   = (SoftmaxTableBytes + SmChunk - 1) / SmChunk;  // P
  localparam logic [31:0] F32One    = 32'h3F80_0000;  // 1.0f
  localparam logic [31:0] F32Half   = 32'h3F00_0000;  // 0.5f
  // The output stage is one register; the divider starts one cycle into the
  // divide phase (after x = sum * scale) and must finish within it (u_div
  // checks its latency against MaxLatency = SOFTMAX_DIV_LATENCY).
  if (SoftmaxLatency != 1 || SoftmaxTableBytes != 1024) begin : gen_bad_softmax
    $error("systole_softmax: built for SOFTMAX_LATENCY 1 and a 1024-byte table, ISA says %0d/%0d",
           SoftmaxLatency, SoftmaxTableBytes);
  end

  softmax_t f_sm;
  assign f_sm = softmax_t'(insn_i);

  // ---- row sequencer ----------------------------------------------------------------
  logic        run;          // a row is in progress (cnt >= t0)
  logic [31:0] ph_q;         // cycle within the current row
  logic [31:0] src_q;        // src + r*len
  logic [31:0] row_t, len, s0, d0, o0;
  logic        rd_max, rd_sum, rd_out;
  assign row_t  = 32'd3 * 32'(f_sm.len) + 32'(3 * L + SoftmaxDivLatency + SoftmaxLatency);
  assign run    = busy_i && is_sm_i && cnt_i >= 32'(SmReads + L);
  assign len    = 32'(f_sm.len);
  assign s0     = len + 32'(L);
  assign d0     = s0 + len + 32'(L);
  assign o0     = d0 + 32'(SoftmaxDivLatency);
  assign rd_max = run && ph_q < len;
  assign rd_sum = run && in_win(ph_q, s0, len);
  assign rd_out = run && in_win(ph_q, o0, len);
  assign rd_o   = rd_max || rd_sum || rd_out;
  assign addr_o = src_q + (rd_max ? ph_q : ph_q - (rd_sum ? s0 : o0));
  systole_rowwalk u_walk (
    .clk_i, .rst_ni, .accept_i, .run_i(run), .src_i(f_sm.src), .len_i(len), .row_t_i(row_t),
    .ph_o(ph_q), .src_o(src_q)
  );

  // ---- exponent table -----------------------------------------------------------------
  // The table (SoftmaxTableBytes / 4 = 256 binary32 entries), one row per
  // read: entry k is word k % Cols of row k / Cols. Each read writes its row,
  // nothing else (a next-state copy of the whole table followed the
  // instruction port: a simulator copied the 256 words in both evaluations
  // of every clock; docs/rtl.md, "Simulation speed", sixth round).
  localparam int unsigned RowW = SmReads > 1 ? $clog2(SmReads) : 1;
  logic [31:0] tbl_q [SmReads][Cols];
  logic        tbl_load;
  assign tbl_load = busy_i && is_sm_i && in_win(cnt_i, 32'(L), 32'(SmReads));
  // verilator tracing_off
  always_ff @(posedge clk_i) begin
    logic [31:0] row [Cols];  // the PBUF bus as C little-endian words
    if (tbl_load) begin
      for (int unsigned j = 0; j < Cols; j++) row[j] = pbuf_i[4 * j +: 4];
      tbl_q[RowW'(cnt_i - 32'(L))] <= row;
    end
  end
  // verilator tracing_on

  // ---- datapath ------------------------------------------------------------------------
  // What the element arriving this cycle was read for.
  logic in_max_q, in_first_q, in_sum_q, in_out_q, we_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      in_max_q <= 1'b0; in_first_q <= 1'b0; in_sum_q <= 1'b0; in_out_q <= 1'b0; we_q <= 1'b0;
    end else begin
      in_max_q   <= rd_max;
      in_first_q <= ph_q == 32'd0;
      in_sum_q   <= rd_sum;
      in_out_q   <= rd_out;
      we_q       <= in_out_q;  // output byte registered (SOFTMAX_LATENCY = 1)
    end
  end

  // The element and its exponent e = T[255 - mx + x] (an index in [0, 255]: x <= mx).
  logic signed [7:0] mx_q;
  logic [7:0]        idx;
  logic [31:0]       e;
  assign idx = 8'(10'sd255 - 10'(mx_q) + 10'(x_i));
  assign e   = tbl_q[RowW'(32'(idx) / Cols)][32'(idx) % Cols];

  // The output byte of element e: p = Mul(e, inv), rounded (trunc_round = 0:
  // half away from zero; 1: truncate p + 0.5), + out_zp in 34 bits, clamped to
  // int8. A function, so that the clocked process below evaluates it only in
  // the cycles that register it.
  function automatic logic [7:0] out_byte(logic [31:0] ev, logic [31:0] inv, logic trunc_round,
                                          logic signed [7:0] out_zp);
    logic [31:0]        p, q;
    logic signed [33:0] v;
    p = f32_mul(ev, inv);
    q = trunc_round ? f32_to_int32(f32_add(p, F32Half), 1'b1) : f32_to_int32(p, 1'b0);
    v = 34'($signed(q)) + 34'(out_zp);
    if (v > 34'sd127)  return 8'h7F;
    if (v < -34'sd128) return 8'h80;
    return v[7:0];
  endfunction

  // Stages of a row: max (signed int8); sum = Add(sum, e) in element order from
  // +0 (reset at the row's first cycle); x = Mul(sum, scale) in d0; inv from the
  // divider; the output byte.
  logic [31:0] sum_q, xs_q, inv;
  logic [7:0]  out_q;
  always_ff @(posedge clk_i) begin
    if (in_max_q) mx_q <= (in_first_q || x_i > mx_q) ? x_i : mx_q;
    if (run && ph_q == 32'd0) sum_q <= 32'd0;
    else if (in_sum_q)        sum_q <= f32_add(sum_q, e);
    if (run && ph_q == d0)    xs_q  <= f32_mul(sum_q, f_sm.scale);
    if (in_out_q)             out_q <= out_byte(e, inv, f_sm.trunc_round[0], f_sm.out_zp);
  end

  // inv = 1 / x: started in d0 + 1; its result is held from d0 + 1 + latency
  // <= o0 + 1 until the next row's start.
  logic div_start, div_done;
  assign div_start = run && ph_q == d0 + 32'd1;
  systole_fp32_div #(.MaxLatency(SoftmaxDivLatency)) u_div (
    .clk_i, .rst_ni,
    .start_i (div_start),
    .a_i     (F32One),
    .b_i     (xs_q),
    .done_o  (div_done),
    .q_o     (inv)
  );

  assign we_o  = we_q;
  assign out_o = out_q;

  // The phases of a row never overlap, and the divider is never restarted
  // while its result is being used.
  a_phases:   assert property (@(posedge clk_i) $onehot0({rd_max, rd_sum, rd_out}));
  a_div_used: assert property (@(posedge clk_i) rd_out |-> !div_start);

  logic unused_ok;
  assign unused_ok = ^{f_sm, div_done};
endmodule
