// systole_l2norm: the VL2NORM unit (TFLite's quantized L2_NORMALIZATION over
// rows). A scalar integer datapath, one element per cycle, with its own row
// sequencer; bit-exact with simulator/semantics.cc and common/fixed_point.h.
//
// Schedule (cnt_i, the sequencer's cycle; L = MemReadLatency = 1):
//   rows    row r runs in 1 + r*RowT .. 1 + (r+1)*RowT - 1,
//           RowT = 2*len + 2L + L2NORM_ISQRT_LATENCY + L2NORM_LATENCY; ph is
//           the cycle within the row, element j of the row is at src + r*len + j:
//     [0, len)              sum phase: element ph read (rd_o / addr_o), its
//                           (x - in_zp)^2 added when it arrives (+L)
//     d0 = len + L          inv, shift = InvSqrtQuantizedMultiplierExp(sum, -1)
//                           (a combinational function here; the phase is
//                           L2NORM_ISQRT_LATENCY cycles long, as an iterative
//                           Newton-Raphson unit would take)
//     [o0, o0+len)          output phase: element ph - o0, o0 = d0 + L2NORM_ISQRT_LATENCY
//     [o0+L+1, o0+len+L+1)  its byte: we_o / out_o (data in +L, registered +1)
//   The last write is in ph = RowT - 1; the next row starts the cycle after.
//   Every element is read before it is written, so dst = src works.
// Handshake: as systole_softmax's (one byte a cycle on ABUF port A through
// systole_agen; one byte a cycle to systole_wb at dst + r*len + j).
module systole_l2norm
  import systole_isa_pkg::*;
  import systole_core_pkg::*;
(
  input  logic              clk_i,
  input  logic              rst_ni,
  input  logic              accept_i,
  input  logic              busy_i,
  input  logic              is_l2_i,   // the current instruction is VL2NORM
  input  insn_t             insn_i,
  input  logic [31:0]       cnt_i,
  input  logic signed [7:0] x_i,       // ABUF port A read data, byte 0
  output logic              rd_o,
  output logic [31:0]       addr_o,
  output logic              we_o,
  output logic [7:0]        out_o
);
  localparam int unsigned L = MemReadLatency;
  if (L2normLatency != 1) begin : gen_bad_l2norm
    $error("systole_l2norm: built for L2NORM_LATENCY 1, ISA says %0d", L2normLatency);
  end

  vl2norm_t f;
  assign f = vl2norm_t'(insn_i);

  // ---- row sequencer ----------------------------------------------------------------
  logic        run;
  logic [31:0] ph_q;   // cycle within the current row
  logic [31:0] src_q;  // src + r*len
  logic [31:0] row_t, len, d0, o0;
  logic        rd_sum, rd_out;
  assign len    = 32'(f.len);
  assign row_t  = 32'd2 * len + 32'(2 * L + L2normIsqrtLatency + L2normLatency);
  assign run    = busy_i && is_l2_i && cnt_i >= 32'd1;
  assign d0     = len + 32'(L);
  assign o0     = d0 + 32'(L2normIsqrtLatency);
  assign rd_sum = run && ph_q < len;
  assign rd_out = run && in_win(ph_q, o0, len);
  assign rd_o   = rd_sum || rd_out;
  assign addr_o = src_q + (rd_sum ? ph_q : ph_q - o0);
  systole_rowwalk u_walk (
    .clk_i, .rst_ni, .accept_i, .run_i(run), .src_i(f.src), .len_i(len), .row_t_i(row_t),
    .ph_o(ph_q), .src_o(src_q)
  );

  // ---- fixed-point helpers (common/fixed_point.h) -------------------------------------
  function automatic logic signed [31:0] srdhm(logic signed [31:0] a, logic signed [31:0] b);
    logic signed [63:0] ab;
    if (a == 32'sh8000_0000 && b == 32'sh8000_0000) return 32'sh7FFF_FFFF;
    ab = 64'(a) * 64'(b);
    return 32'((ab + (ab >= 0 ? 64'sd1073741824 : -64'sd1073741823)) / 64'sd2147483648);  // truncating
  endfunction
  function automatic logic signed [31:0] rdbpot(logic signed [31:0] x, int e);
    logic signed [31:0] mask, rem, thr;
    mask = 32'((64'sd1 <<< e) - 64'sd1);
    rem  = x & mask;
    thr  = (mask >>> 1) + (x < 0 ? 32'sd1 : 32'sd0);
    return (x >>> e) + (rem > thr ? 32'sd1 : 32'sd0);
  endfunction
  function automatic logic signed [31:0] sat_shl(logic signed [31:0] x, int e);
    if (x > (32'sh7FFF_FFFF >>> e)) return 32'sh7FFF_FFFF;
    if (x < (32'sh8000_0000 >>> e)) return 32'sh8000_0000;
    return x <<< e;
  endfunction

  // GetInvSqrtQuantizedMultiplierExp(input, reverse_shift = -1): {inv, shift}
  // with shift <= 0 (the reversed exponent).
  typedef struct packed {
    logic signed [31:0] inv;
    logic signed [7:0]  shift;
  } isqrt_t;
  function automatic isqrt_t inv_sqrt(logic signed [31:0] input_v);
    isqrt_t r;
    logic signed [31:0] in_v, in_f3, half_in_f3, x, x2, x3, x3f3, a6, b6, d6;
    int sh, clz, pairs;
    if (input_v <= 32'sd1) begin
      r.inv = 32'sh7FFF_FFFF;
      r.shift = 8'sd0;
      return r;
    end
    in_v = input_v;
    sh = 11;
    if (in_v >= 32'sd536870912) begin  // once at most: input < 2^31
      in_v = in_v / 32'sd4;
      sh = sh + 1;
    end
    clz = 0;
    for (int b = 31; b >= 0; b--) begin
      if (in_v[b]) break;
      clz = clz + 1;
    end
    pairs = (clz - 1) / 2 - 1;
    sh = sh - pairs;
    in_v = in_v <<< (2 * pairs);
    in_f3 = in_v >>> 1;
    half_in_f3 = rdbpot(in_f3, 1);
    x = 32'sd268435456;  // 1 in Q3.28
    for (int i = 0; i < 5; i++) begin
      x2   = srdhm(x, x);
      x3   = srdhm(x2, x);
      x3f3 = sat_shl(x3, 6);
      a6   = srdhm(32'sd402653184, x);  // 1.5 in Q3.28
      b6   = srdhm(half_in_f3, x3f3);
      d6   = a6 - b6;
      x    = sat_shl(d6, 3);
    end
    x = srdhm(x, 32'sd1518500250);  // * sqrt(2)/2
    if (sh < 0) begin
      x  = x <<< (-sh);
      sh = 0;
    end
    r.inv = x;
    r.shift = 8'(-sh);
    return r;
  endfunction

  // The output byte of d = x - in_zp: INT8 clamp(MBQM(d, inv, shift + 7)),
  // UINT8 (device value v - 128) clamp(MBQMSmallerThanOneExp(128 d, inv, shift)).
  function automatic logic [7:0] out_byte(logic signed [31:0] d, isqrt_t s, logic u8);
    logic signed [31:0] q;
    int e;
    if (u8) begin
      q = rdbpot(srdhm(d <<< 7, s.inv), -int'(s.shift));
    end else begin
      e = int'(s.shift) + 7;
      q = e > 0 ? srdhm(d <<< e, s.inv) : rdbpot(srdhm(d, s.inv), -e);
    end
    if (q > 32'sd127)  return 8'h7F;
    if (q < -32'sd128) return 8'h80;
    return q[7:0];
  endfunction

  // ---- datapath ------------------------------------------------------------------------
  logic in_sum_q, in_out_q, we_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      in_sum_q <= 1'b0; in_out_q <= 1'b0; we_q <= 1'b0;
    end else begin
      in_sum_q <= rd_sum;
      in_out_q <= rd_out;
      we_q     <= in_out_q;  // output byte registered (L2NORM_LATENCY = 1)
    end
  end

  logic signed [31:0] d, sum_q;
  isqrt_t             is_q;
  logic [7:0]         out_q;
  assign d = 32'(x_i) - 32'(f.in_zp);
  always_ff @(posedge clk_i) begin
    if (run && ph_q == 32'd0) sum_q <= 32'sd0;
    else if (in_sum_q)        sum_q <= sum_q + d * d;
    if (run && ph_q == d0)    is_q  <= inv_sqrt(sum_q);
    if (in_out_q)             out_q <= out_byte(d, is_q, f.uint8[0]);
  end

  assign we_o  = we_q;
  assign out_o = out_q;

  a_phases:   assert property (@(posedge clk_i) !(rd_sum && rd_out));

  logic unused_ok;
  assign unused_ok = ^{f};
endmodule
