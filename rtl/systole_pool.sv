// systole_pool: the pool reducer of MAXPOOL / AVGPOOL, Cols lanes.
//
// Input: the taps of a window arrive on data_i one cycle after their port A
// read (MemReadLatency = 1); rd_i, first_i and last_i describe that read (from
// systole_agen, in the read's cycle): a tap of the pool, the window's first tap,
// its last tap. The reduction is max (signed) or, for AVGPOOL (avg_i), a sum.
// Output: valid_o pulses and out_o holds the pooled pixel POOL_LATENCY = 2
// cycles after the last tap's data: stage 1 registers the reduction, stage 2
// divides the sum (AVGPOOL: TFLite's rounding, (|s| + taps/2) / taps with the
// sign of s) and clamps to [act_min_i, act_max_i].
// avg_i, taps_i and the clamp bounds must hold while a window is in flight
// (they come from the instruction and the vector registers).
module systole_pool
  import systole_isa_pkg::*;
#(
  parameter int unsigned Cols = 16
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,
  input  logic                 rd_i,      // a pool tap is read in this cycle
  input  logic                 first_i,   // ... the window's first
  input  logic                 last_i,    // ... the window's last
  input  logic                 avg_i,     // AVGPOOL (else MAXPOOL)
  input  logic [15:0]          taps_i,    // kh * kw
  input  logic signed [7:0]    act_min_i,
  input  logic signed [7:0]    act_max_i,
  input  logic [Cols-1:0][7:0] data_i,    // ABUF port A read data (a tap)
  output logic                 valid_o,
  output logic signed [7:0]    out_o [Cols]
);
  if (PoolLatency != 2) begin : gen_bad_pool_latency
    $error("systole_pool: built for POOL_LATENCY 2, ISA says %0d", PoolLatency);
  end

  // Tap flags travel with the read.
  logic rd_q, first_q, last_q, fin_valid_q, valid_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rd_q <= 1'b0; first_q <= 1'b0; last_q <= 1'b0;
      fin_valid_q <= 1'b0; valid_q <= 1'b0;
    end else begin
      rd_q        <= rd_i;
      first_q     <= first_i;
      last_q      <= last_i;
      fin_valid_q <= rd_q && last_q;
      valid_q     <= fin_valid_q;
    end
  end

  logic signed [31:0] acc_q [Cols];  // running reduction
  logic signed [31:0] fin_q [Cols];  // the window's reduction (stage 1)
  logic signed [7:0]  out_q [Cols];  // the pooled pixel (stage 2)
  // Stage 1 (the reduction with the tap arriving this cycle) and stage 2 (AVG
  // divide, clamp) are computed in the clocked block, under the enables of
  // the registers they feed: as combinational blocks, stage 1 followed the
  // read bus and stage 2 the instruction bus, so the simulator evaluated
  // them on every input change, twice per clock, with or without a pool in
  // flight (docs/rtl.md, "Simulation speed"). Same registers, same values.
  // Loop indices and block temporaries are not traced, so that the Verilated
  // model keeps them in C++ locals.
  // verilator tracing_off
  always_ff @(posedge clk_i) begin
    logic signed [31:0] red_d [Cols];
    logic signed [7:0]  out_d [Cols];
    if (rd_q) begin
      for (int c = 0; c < Cols; c++) begin
        logic signed [31:0] v;
        v = 32'($signed(data_i[c]));
        if (first_q)    red_d[c] = v;
        else if (avg_i) red_d[c] = acc_q[c] + v;
        else            red_d[c] = acc_q[c] > v ? acc_q[c] : v;
      end
      acc_q <= red_d;
      if (last_q) fin_q <= red_d;
    end
    if (fin_valid_q) begin
      for (int c = 0; c < Cols; c++) begin
        logic signed [31:0] s, r;
        logic [31:0] mag, q;
        // TFLite's average: (s +- cnt/2) / cnt, truncating
        // = sign(s) * ((|s| + cnt/2) / cnt); |s| <= 128 * 255 * 255 < 2^23. A
        // divider per lane keeps the contract's 2-cycle latency; a reciprocal
        // multiply set up per instruction would do in silicon.
        s   = fin_q[c];
        mag = '0;
        q   = '0;
        r   = s;
        if (avg_i) begin
          mag = s < 0 ? 32'(-s) : 32'(s);
          q   = (mag + 32'(taps_i[15:1])) / 32'(taps_i);
          r   = s > 0 ? $signed(q) : -$signed(q);
        end
        if (r > 32'(act_max_i))      out_d[c] = act_max_i;
        else if (r < 32'(act_min_i)) out_d[c] = act_min_i;
        else                         out_d[c] = r[7:0];
      end
      out_q <= out_d;
    end
  end
  // verilator tracing_on
  assign valid_o = valid_q;
  assign out_o   = out_q;

  // An AVGPOOL window has taps to divide by; a result leaves two cycles after
  // a window's last tap.
  a_avg_taps:   assert property (@(posedge clk_i) rd_i && avg_i |-> taps_i != 16'd0);
  a_valid_last: assert property (@(posedge clk_i) valid_q |-> $past(rd_q && last_q, 2));
endmodule
