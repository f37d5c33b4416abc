// systole_lut: the table-lookup lanes of VLUT. A 256-byte table, loaded from
// PBUF at the start of the instruction, maps each int8 element of a chunk.
//
// Schedule (cnt_i; P = ceil(LUT_BYTES / 4C) table reads, issued by systole_agen
// in cycles 0..P-1):
//   table   read p arrives in cycle p + 1 and fills bytes [p*4C, p*4C + 4C)
//   lookup  chunk j arrives on a_i in P + j + 1; out_o holds table[x + 128] for
//           each lane x one cycle later (LUT_LATENCY = 1), for systole_wb
// No handshake: systole_wb writes out_o in its window of the schedule.
module systole_lut
  import systole_isa_pkg::*;
  import systole_core_pkg::*;
#(
  parameter int unsigned Cols = 16
) (
  input  logic                  clk_i,
  input  logic                  busy_i,
  input  logic                  is_lut_i,   // the current instruction is VLUT
  input  logic [31:0]           cnt_i,
  input  logic [4*Cols-1:0][7:0] pbuf_i,    // PBUF read data (table bytes)
  input  logic [Cols-1:0][7:0]  a_i,        // ABUF port A read data (elements)
  output logic [7:0]            out_o [Cols]
);
  localparam int unsigned L        = MemReadLatency;
  localparam int unsigned LutChunk = 4 * Cols;
  localparam int unsigned LutReads = (LutBytes + LutChunk - 1) / LutChunk;
  if (LutLatency != 1) begin : gen_bad_lut_latency
    $error("systole_lut: built for LUT_LATENCY 1, ISA says %0d", LutLatency);
  end

  logic [7:0] lut_q [LutBytes];
  logic [7:0] out_q [Cols];
  logic       load;
  assign load = busy_i && is_lut_i && in_win(cnt_i, 32'(L), 32'(LutReads));
  // The table write and the lookups are computed in the clocked block, under
  // the enables of the registers they feed (as combinational blocks they
  // followed the read buses and ran on every input change; docs/rtl.md,
  // "Simulation speed"). Loop indices and block temporaries are not traced,
  // so that the Verilated model keeps them in C++ locals.
  // verilator tracing_off
  always_ff @(posedge clk_i) begin
    logic [7:0] lut_d [LutBytes];
    logic [7:0] out_d [Cols];
    if (load) begin
      lut_d = lut_q;
      for (int i = 0; i < LutBytes; i++) begin
        if (32'(i / LutChunk) == cnt_i - 32'(L)) lut_d[i] = pbuf_i[i % LutChunk];
      end
      lut_q <= lut_d;
    end
    if (busy_i && is_lut_i) begin
      for (int c = 0; c < Cols; c++) out_d[c] = lut_q[a_i[c] ^ 8'h80];
      out_q <= out_d;
    end
  end
  // verilator tracing_on
  assign out_o = out_q;

  // Table reads never run past the table (the last read is partial).
  a_load_range: assert property (@(posedge clk_i) load |-> cnt_i - 32'(L) < 32'(LutReads));
endmodule
