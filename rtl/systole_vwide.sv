// systole_vwide: VMACC_WIDE, the wide vector path. The array's R x C
// multipliers work as R lane rows of C independent multiply-accumulate lanes;
// lane row r takes pixel g*R + r of group g, so R consecutive pixels of the
// instruction's 2-D pattern go through per cycle. Own ports: ABUF port V (R
// row reads of n bytes, one address per row, a row mask) and the R-row
// accumulator ports (rows acc + g*R .. + R - 1, a row mask; writes with a lane
// mask of n lanes).
//
// Schedule (cycle 0 = accept; G = ceil(m/R) groups; T = G + 1 + L + 1):
//   PBUF  tap weights read in cycle 0 (by systole_agen), latched in cycle L
//   V/ACC group g read in cycle 1 + g (ACC only with accumulate = 1)
//   ACC   group g written in cycle g + 1 + L + VMACC_LATENCY (registered sums)
// Pixel addresses: in cycle 0 a chain walks pixels 0..R of the pattern (each
// step + inner_stride, or at the end of a run + outer_stride - (count - 1) *
// inner_stride); rows 0..R-1 start there and pixel R gives the per-group step:
// a row whose run index passes count takes the extra run step.
module systole_vwide
  import systole_isa_pkg::*;
  import systole_core_pkg::*;
#(
  parameter int unsigned Rows = 16,
  parameter int unsigned Cols = 16
) (
  input  logic                              clk_i,
  input  logic                              rst_ni,
  input  logic                              busy_i,
  input  logic                              active_i,
  input  insn_t                             insn_i,
  input  logic [31:0]                       cnt_i,
  input  op_class_t                         cls_i,
  input  logic [Cols-1:0][7:0]              pbuf_i,
  // ABUF read port V
  output logic                              v_req_o,
  output logic [Rows-1:0]                   v_rows_o,
  output logic [Rows-1:0][31:0]             v_addr_o,
  output logic [15:0]                       v_len_o,
  // ACC wide read port
  output logic                              accv_re_o,
  output logic [31:0]                       accv_raddr_o,
  output logic [Rows-1:0]                   accv_rrows_o,
  // ACC wide write port
  output logic                              accv_we_o,
  output logic [31:0]                       accv_waddr_o,
  output logic [Rows-1:0]                   accv_wrows_o,
  output logic [Cols-1:0]                   accv_wmask_o,
  // (write data: the sums register in systole_core, from the read data of
  // port V and the ACC wide read port and these lane controls: in a cycle
  // with lane_en_o, sum[r][c] <= (lane_acc_o ? accv_rdata[r][c] : 0) +
  // ((v_rdata[r][c] * lane_w_o[c]) << lane_shift_o); see the lanes below)
  output logic                              lane_en_o,
  output logic                              lane_acc_o,
  output logic [4:0]                        lane_shift_o,
  output logic signed [8:0]                 lane_w_o [Cols]
);
  localparam int unsigned L = MemReadLatency;
  if (VmaccLatency != 1) begin : gen_bad_latency
    $error("systole_vwide: built for VMACC_LATENCY 1, ISA says %0d", VmaccLatency);
  end

  // Masks of the low n rows or columns (all of them for n >= the count).
  localparam logic [Rows-1:0] AllRows = '1;
  localparam logic [Cols-1:0] AllCols = '1;
  function automatic logic [Rows-1:0] low_rows(logic [31:0] n);
    return n >= 32'(Rows) ? AllRows : AllRows >> (32'(Rows) - n);
  endfunction
  function automatic logic [Cols-1:0] low_cols(logic [31:0] n);
    return n >= 32'(Cols) ? AllCols : AllCols >> (32'(Cols) - n);
  endfunction

  vmacc_wide_t f;
  assign f = vmacc_wide_t'(insn_i);
  logic [31:0] groups;
  assign groups = (32'(f.m) + 32'(Rows) - 32'd1) / 32'(Rows);
  logic run;  // this instruction is ours and the core works on it
  assign run = cls_i.vw && active_i;

  // ---- pattern chain (cycle 0) -------------------------------------------------
  logic [31:0] wrap_step;  // from the last pixel of a run to the first of the next
  assign wrap_step = f.a_outer_stride - (32'(f.a_inner_count) - 32'd1) * f.a_inner_stride;
  // The chain of the R rows' first addresses (ch_addr, ch_inner) is computed
  // in the state block, in cycle 0 only: as a combinational block it
  // followed the instruction bus and was evaluated on every input change
  // (docs/rtl.md, "Simulation speed").

  // ---- state ---------------------------------------------------------------------
  logic [31:0] addr_q [Rows];
  logic [15:0] inner_q [Rows];
  logic [15:0] step_inner_q;
  logic [31:0] step_addr_q, step_wrap_q, rd_rem_q, wr_rem_q, rd_acc_q, wr_acc_q;
  logic signed [8:0]  w_q  [Cols];  // 9-bit: int8, or uint8 - w_zp (u8 = 1)

  logic rd, wr;
  assign rd = run && in_win(cnt_i, 32'd1, groups);
  assign wr = run && in_win(cnt_i, 32'(1 + L + VmaccLatency), groups);

  // Loop indices and block temporaries are not traced, so that the Verilated
  // model keeps them in C++ locals (docs/rtl.md, "Simulation speed").
  // verilator tracing_off
  always_ff @(posedge clk_i or negedge rst_ni) begin
    logic [31:0] ch_addr  [Rows + 1];
    logic [15:0] ch_inner [Rows + 1];
    if (!rst_ni) begin
      addr_q       <= '{default: '0};
      inner_q      <= '{default: '0};
      step_inner_q <= '0;
      step_addr_q  <= '0;
      step_wrap_q  <= '0;
      rd_rem_q     <= '0;
      wr_rem_q     <= '0;
      rd_acc_q     <= '0;
      wr_acc_q     <= '0;
    end else if (run && cnt_i == 32'd0) begin
      ch_addr[0]  = f.a_addr;
      ch_inner[0] = '0;
      for (int unsigned r = 1; r <= Rows; r++) begin
        if (ch_inner[r-1] + 16'd1 == f.a_inner_count) begin
          ch_inner[r] = '0;
          ch_addr[r]  = ch_addr[r-1] + wrap_step;
        end else begin
          ch_inner[r] = ch_inner[r-1] + 16'd1;
          ch_addr[r]  = ch_addr[r-1] + f.a_inner_stride;
        end
      end
      for (int unsigned r = 0; r < Rows; r++) begin
        addr_q[r]  <= ch_addr[r];
        inner_q[r] <= ch_inner[r];
      end
      step_inner_q <= ch_inner[Rows];
      step_addr_q  <= ch_addr[Rows] - f.a_addr;
      step_wrap_q  <= ch_addr[Rows] - f.a_addr + f.a_outer_stride -
                      32'(f.a_inner_count) * f.a_inner_stride;
      rd_rem_q     <= 32'(f.m);
      wr_rem_q     <= 32'(f.m);
      rd_acc_q     <= f.acc_addr;
      wr_acc_q     <= f.acc_addr;
    end else begin
      if (rd) begin
        for (int unsigned r = 0; r < Rows; r++) begin
          if (32'(inner_q[r]) + 32'(step_inner_q) >= 32'(f.a_inner_count)) begin
            inner_q[r] <= 16'(32'(inner_q[r]) + 32'(step_inner_q) - 32'(f.a_inner_count));
            addr_q[r]  <= addr_q[r] + step_wrap_q;
          end else begin
            inner_q[r] <= inner_q[r] + step_inner_q;
            addr_q[r]  <= addr_q[r] + step_addr_q;
          end
        end
        rd_rem_q <= rd_rem_q > 32'(Rows) ? rd_rem_q - 32'(Rows) : 32'd0;
        rd_acc_q <= rd_acc_q + 32'(Rows);
      end
      if (wr) begin
        wr_rem_q <= wr_rem_q > 32'(Rows) ? wr_rem_q - 32'(Rows) : 32'd0;
        wr_acc_q <= wr_acc_q + 32'(Rows);
      end
    end
  end
  // verilator tracing_on

  // ---- read requests -------------------------------------------------------------
  // verilator tracing_off
  always_comb begin
    for (int unsigned r = 0; r < Rows; r++) v_addr_o[r] = addr_q[r];
  end
  // verilator tracing_on
  // Row r takes part while r < the rows left: the mask of the low rd_rem_q
  // bits, formed by one shift (a compare per row cost a simulator a few
  // instructions per row in both evaluations of every clock).
  assign v_rows_o     = rd ? low_rows(rd_rem_q) : '0;
  assign accv_rrows_o = rd && f.accumulate[0] ? low_rows(rd_rem_q) : '0;
  assign v_req_o      = rd;
  assign v_len_o      = f.n;
  assign accv_re_o    = rd && f.accumulate[0];
  assign accv_raddr_o = rd_acc_q;

  // ---- lanes: weights latched in cycle L, sums registered --------------------------
  // The R x C sums register is systole_core's accv_wdata_o port itself, updated
  // there from these controls. Held here, as this unit's output port, the
  // Verilated model copied all R x C sums (16 KB at 64x64) from this port to
  // the core's on every clock (docs/rtl.md, "Simulation speed").
  // verilator tracing_off
  always_ff @(posedge clk_i) begin
    if (busy_i && cls_i.vw && cnt_i == 32'(L))
      for (int unsigned c = 0; c < Cols; c++)
        w_q[c] <= f.u8[0] ? $signed({1'b0, pbuf_i[c]} - {1'b0, f.w_zp}) : 9'($signed(pbuf_i[c]));
  end
  // verilator tracing_on
  assign lane_en_o    = busy_i && cls_i.vw;
  assign lane_acc_o   = f.accumulate[0];
  assign lane_shift_o = 5'(f.w_shift);
  assign lane_w_o     = w_q;

  // ---- write ---------------------------------------------------------------------------
  assign accv_wrows_o = wr ? low_rows(wr_rem_q) : '0;
  assign accv_wmask_o = low_cols(32'(f.n));
  assign accv_we_o    = wr;
  assign accv_waddr_o = wr_acc_q;

  // Deliberately unused: the weight address (systole_agen reads the taps), the
  // reserved bits and the classes of the other units.
  logic unused_ok;
  assign unused_ok = ^{f, cls_i};
endmodule
