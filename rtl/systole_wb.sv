// systole_wb: write-back. Drives the ABUF write port (VADD..VMUL, VLUT,
// VFILL, the pools, SOFTMAX), the ABUF write port P (POSTPROC) and the ACC
// write port (MATMUL, VMACC) from the units' results, with the write pointers.
//
// Schedule (cnt_i; L = MemReadLatency; P = POSTPROC_ROWS):
//   POSTPROC    port P: rows jP .. jP+P-1 (rq_i[0..P-1]; rows < m) in
//               3 + L + REQUANT_LATENCY + j, n bytes each at dst(i) =
//               dst + i*dst_stride (dst_row_len = 0) or dst + (i / dst_row_len)*
//               dst_row_pitch + (i % dst_row_len)*dst_stride (a row base and a
//               column count walked P rows a cycle, no divider)
//   VADD..VMUL  chunk j (rq_i[0]) in L + ELTWISE_LATENCY + j, at dst + j*C
//   VLUT        chunk j (lut_i) in P + L + LUT_LATENCY + j, at dst + j*C
//   VFILL       chunk j (the fill value) in j, at dst + j*C
//   pools       a pixel (pool_i) when pool_valid_i, at dst + i*dst_stride, n bytes
//   SOFTMAX     a byte (sm_i) when sm_we_i, at dst + j
//   MATMUL      ACC row i (= psum + ACC if accumulate) in i + L + R + C - 1,
//               and its accumulate read of ACC row i one cycle earlier: from
//               the MATMUL tracker below (mm_*), not the sequencer's count
//   VMACC       ACC row i (vm, lanes < n) in i + 1 + L + VMACC_LATENCY
// Chunks are C bytes except the last (len mod C). The pointers are loaded from
// the instruction in the accept cycle (which writes only for VFILL). No
// handshake: the memories accept a write every cycle. The ABUF write port
// follows the ab_* view: the post-processing lane's while a POSTPROC is in
// flight (it runs beside MATMULs, which never write ABUF), else the front
// end's (systole_core muxes them).
//
// MATMUL tracker: MATMULs overlap (the front end takes the next one while
// earlier ones drain), so their ACC traffic follows the array's result
// stream, not the sequencer. A FIFO of {acc_addr, accumulate, m}, pushed at
// each MATMUL accept; a write cursor (entry, row) advances at each
// psum_valid_i (the result row leaves the array: the ACC write), a read
// cursor at each psum_next_i (a result next cycle: its accumulate read).
// Results leave the array in program order, one row per cycle, so the
// cursors walk the entries in order; the read of the first row of a MATMUL
// may share a cycle with the write of the previous one's last row. The last
// write of a MATMUL pops its entry and pulses mm_done_o (its done cycle,
// accept + T - 1). mm_empty_o: no MATMUL in flight. At most
// ceil(T / O) <= 3 MATMULs are in flight; the FIFO holds 4.
module systole_wb
  import systole_isa_pkg::*;
  import systole_core_pkg::*;
#(
  parameter int unsigned Rows = 16,
  parameter int unsigned Cols = 16
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  // sequencer view
  input  logic                  accept_i,
  input  logic                  busy_i,
  input  logic                  active_i,
  input  insn_t                 insn_i,
  input  logic [31:0]           cnt_i,
  input  op_class_t             cls_i,
  input  logic [31:0]           chunks_i,
  // ABUF write view (post lane while a POSTPROC is in flight, else the above)
  input  logic                  ab_busy_i,
  input  logic                  ab_active_i,
  input  insn_t                 ab_insn_i,
  input  logic [31:0]           ab_cnt_i,
  input  op_class_t             ab_cls_i,
  // accept rule query: does an in-flight MATMUL write ACC rows [q_lo_i, q_hi_i)?
  input  logic [63:0]           q_lo_i,
  input  logic [63:0]           q_hi_i,
  output logic                  mm_hit_o,
  // unit results
  input  logic signed [7:0]     rq_i [PostprocRows][Cols],
  input  logic [7:0]            lut_i [Cols],
  input  logic                  pool_valid_i,
  input  logic signed [7:0]     pool_i [Cols],
  input  logic                  sm_we_i,
  input  logic [7:0]            sm_i,
  input  logic                  psum_valid_i,
  input  logic                  psum_next_i,
  // ABUF write port
  output logic                  abuf_we_o,
  output logic [31:0]           abuf_waddr_o,
  output logic [15:0]           abuf_wlen_o,
  output logic [Cols-1:0][7:0]  abuf_wdata_o,
  // ABUF write port P (POSTPROC: row g at abuf_p_addr_o[g] with abuf_p_rows_o[g])
  output logic                                   abuf_p_we_o,
  output logic [PostprocRows-1:0]                abuf_p_rows_o,
  output logic [PostprocRows-1:0][31:0]          abuf_p_addr_o,
  output logic [15:0]                            abuf_p_len_o,
  output logic [PostprocRows-1:0][Cols-1:0][7:0] abuf_p_wdata_o,
  // ACC write port
  output logic                  acc_we_o,
  output logic [31:0]           acc_waddr_o,
  output logic [Cols-1:0]       acc_wmask_o,
  // (write data: formed in systole_core from these selects, the array's
  // result row psum, the ACC read data and the VMACC lanes' vm:
  // acc_wdata[c] = psum_valid_i ? (acc_add_o ? acc_rdata[c] : 0) + psum[c]
  //                             : vm[c]. While this unit formed it as its
  // own output port, the Verilated model copied the row to the core's port
  // in every evaluation; docs/rtl.md, "Simulation speed")
  output logic                  acc_add_o,     // the MATMUL row adds the ACC read data
  // MATMUL tracker: accumulate reads (ACC read port), done, empty
  output logic                  mm_re_o,
  output logic [31:0]           mm_raddr_o,
  output logic                  mm_done_o,
  output logic                  mm_empty_o
);
  // Rows: the array depth (the MATMUL writes follow the array's result
  // stream, psum_valid_i, not a count of R + C).
  if (Rows < 2) begin : gen_bad_rows
    $error("systole_wb: Rows=%0d < 2", Rows);
  end
  localparam int unsigned L        = MemReadLatency;
  localparam int unsigned LutReads = (LutBytes + 4 * Cols - 1) / (4 * Cols);

  matmul_t   f_mm;
  postproc_t f_pp;
  vmacc_t    f_vm;
  vadd_t     f_el;
  vlut_t     f_lut;
  vfill_t    f_fill;
  maxpool_t  f_pool;
  softmax_t  f_sm;
  assign f_mm   = matmul_t'(insn_i);
  assign f_pp   = postproc_t'(ab_insn_i);
  assign f_vm   = vmacc_t'(insn_i);
  assign f_el   = vadd_t'(ab_insn_i);
  assign f_lut  = vlut_t'(ab_insn_i);
  assign f_fill = vfill_t'(ab_insn_i);
  assign f_pool = maxpool_t'(ab_insn_i);
  assign f_sm   = softmax_t'(ab_insn_i);

  // ---- ABUF write port -----------------------------------------------------------
  logic [31:0] wr_ptr_q, wr_rem_q, wr_ptr_d, wr_rem_d, wr_ptr, wr_rem, wr_step, wr_next;
  logic        we;
  logic [15:0] wlen;
  // Loop indices and block temporaries are not traced, so that the Verilated
  // model keeps them in C++ locals (docs/rtl.md, "Simulation speed").
  // verilator tracing_off
  always_comb begin
    wr_ptr  = wr_ptr_q;
    wr_rem  = ab_busy_i ? wr_rem_q : f_el.len;
    wr_step = 32'(Cols);
    we      = 1'b0;
    wlen    = wr_rem < 32'(Cols) ? 16'(wr_rem) : 16'(Cols);
    abuf_wdata_o = '0;
    unique case (1'b1)
      ab_cls_i.elt: begin
        we = in_win(ab_cnt_i, 32'(L + EltwiseLatency), chunks_i);
        if (!ab_busy_i) wr_ptr = f_el.dst;
        for (int c = 0; c < Cols; c++) abuf_wdata_o[c] = rq_i[0][c];
      end
      ab_cls_i.lut: begin
        we = in_win(ab_cnt_i, 32'(LutReads + L + LutLatency), chunks_i);
        if (!ab_busy_i) wr_ptr = f_lut.dst;
        for (int c = 0; c < Cols; c++) abuf_wdata_o[c] = lut_i[c];
      end
      ab_cls_i.fill: begin
        we = ab_cnt_i < chunks_i;
        if (!ab_busy_i) wr_ptr = f_fill.dst;
        for (int c = 0; c < Cols; c++) abuf_wdata_o[c] = f_fill.value;
      end
      ab_cls_i.pool: begin
        we = pool_valid_i;
        if (!ab_busy_i) wr_ptr = f_pool.dst_addr;
        wr_step = 32'(f_pool.dst_stride);
        wlen    = f_pool.n;
        for (int c = 0; c < Cols; c++) abuf_wdata_o[c] = pool_i[c];
      end
      ab_cls_i.sm, ab_cls_i.l2: begin  // VL2NORM's dst sits where SOFTMAX's does
        we = sm_we_i;
        if (!ab_busy_i) wr_ptr = f_sm.dst;  // rows are contiguous: dst + r*len + j
        wr_step = 32'd1;
        wlen    = 16'd1;
        abuf_wdata_o[0] = sm_i;
      end
      default: ;
    endcase
    we = we && ab_active_i;
    // Next pointers: past this cycle's write; loaded in the accept cycle (the
    // pools write their first pixel long after it).
    wr_next = wr_ptr + wr_step;
    wr_ptr_d = wr_ptr_q;
    wr_rem_d = wr_rem_q;
    if ((ab_active_i && !ab_busy_i) || we) begin
      wr_ptr_d = we ? wr_next : wr_ptr;
      wr_rem_d = we ? wr_rem - 32'(wlen) : wr_rem;
    end
  end
  // verilator tracing_on
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wr_ptr_q <= '0;
      wr_rem_q <= '0;
    end else begin
      wr_ptr_q <= wr_ptr_d;
      wr_rem_q <= wr_rem_d;
    end
  end
  assign abuf_we_o    = we;
  assign abuf_waddr_o = wr_ptr;
  assign abuf_wlen_o  = wlen;

  // ---- ABUF write port P (POSTPROC) ------------------------------------------------
  // A walker (pointer, row base, column, rows left), loaded in the accept
  // cycle, gives the P addresses of a cycle's group; a 2-D POSTPROC moves to
  // the next image row after dst_row_len pixels.
  logic [31:0] pw_ptr_q, pw_row_q, pw_col_q, pw_rem_q, pw_ptr_d, pw_row_d, pw_col_d, pw_rem_d;
  logic        pw_we;
  // verilator tracing_off
  always_comb begin
    logic [31:0] ptr, row, col, rem;
    ptr = pw_ptr_q;
    row = pw_row_q;
    col = pw_col_q;
    rem = pw_rem_q;
    if (!ab_busy_i) begin
      ptr = f_pp.dst_addr;
      row = f_pp.dst_addr;
      col = 32'd0;
      rem = 32'(f_pp.m);
    end
    pw_we = ab_active_i && ab_cls_i.pp &&
            in_win(ab_cnt_i, 32'(3 + L + RequantLatency),
                   (32'(f_pp.m) + 32'(PostprocRows) - 32'd1) / 32'(PostprocRows));
    pw_rem_d = rem - 32'(PostprocRows);
    for (int g = 0; g < PostprocRows; g++) begin
      abuf_p_addr_o[g] = ptr;
      abuf_p_rows_o[g] = pw_we && rem > 32'(g);
      for (int c = 0; c < Cols; c++) abuf_p_wdata_o[g][c] = rq_i[g][c];
      col = col + 32'd1;
      if (f_pp.dst_row_len != '0 && col == 32'(f_pp.dst_row_len)) begin
        row = row + 32'(f_pp.dst_row_pitch);
        col = 32'd0;
        ptr = row;
      end else begin
        ptr = ptr + f_pp.dst_stride;
      end
    end
    pw_ptr_d = ptr;
    pw_row_d = row;
    pw_col_d = col;
  end
  // verilator tracing_on
  // Loaded in the accept cycle (its write window starts later), advanced a
  // group in each write cycle.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      pw_ptr_q <= '0;
      pw_row_q <= '0;
      pw_col_q <= '0;
      pw_rem_q <= '0;
    end else if (ab_active_i && ab_cls_i.pp && (!ab_busy_i || pw_we)) begin
      pw_ptr_q <= pw_we ? pw_ptr_d : f_pp.dst_addr;
      pw_row_q <= pw_we ? pw_row_d : f_pp.dst_addr;
      pw_col_q <= pw_we ? pw_col_d : 32'd0;
      pw_rem_q <= pw_we ? pw_rem_d : 32'(f_pp.m);
    end
  end
  assign abuf_p_we_o  = pw_we;
  assign abuf_p_len_o = f_pp.n;

  // ---- MATMUL tracker ----------------------------------------------------------
  // Up to WEIGHT_BANKS MATMULs drain at once (the issue interval keeps at
  // most WEIGHT_BANKS - 1 weight sets entering the cells; a MATMUL is in
  // flight for at most its issue interval + R + C - 1 cycles); 16 entries.
  localparam int unsigned TrkN = 16;
  logic [31:0] trk_addr_q [TrkN];
  logic [15:0] trk_m_q    [TrkN];
  logic        trk_acc_q  [TrkN];
  logic [3:0]  trk_head_q, trk_rd_q, trk_tail_q;   // write entry, read entry, next free
  logic [4:0]  trk_cnt_q;
  logic [15:0] trk_wi_q, trk_ri_q;                 // row of the write / read cursor
  logic        trk_push, trk_pop, trk_rnext;
  assign trk_push  = accept_i && cls_i.mm;
  assign trk_pop   = psum_valid_i && trk_wi_q + 16'd1 == trk_m_q[trk_head_q];
  assign trk_rnext = psum_next_i && trk_ri_q + 16'd1 == trk_m_q[trk_rd_q];
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      trk_addr_q <= '{default: '0};
      trk_m_q    <= '{default: '0};
      trk_acc_q  <= '{default: '0};
      trk_head_q <= '0;
      trk_rd_q   <= '0;
      trk_tail_q <= '0;
      trk_cnt_q  <= '0;
      trk_wi_q   <= '0;
      trk_ri_q   <= '0;
    end else begin
      if (trk_push) begin
        trk_addr_q[trk_tail_q] <= f_mm.acc_addr;
        trk_m_q[trk_tail_q]    <= f_mm.m;
        trk_acc_q[trk_tail_q]  <= f_mm.accumulate[0];
        trk_tail_q             <= trk_tail_q + 4'd1;
      end
      trk_cnt_q <= trk_cnt_q + (trk_push ? 5'd1 : 5'd0) - (trk_pop ? 5'd1 : 5'd0);
      if (psum_valid_i) begin
        trk_wi_q <= trk_pop ? 16'd0 : trk_wi_q + 16'd1;
        if (trk_pop) trk_head_q <= trk_head_q + 4'd1;
      end
      if (psum_next_i) begin
        trk_ri_q <= trk_rnext ? 16'd0 : trk_ri_q + 16'd1;
        if (trk_rnext) trk_rd_q <= trk_rd_q + 4'd1;
      end
    end
  end
  assign mm_re_o    = psum_next_i && trk_acc_q[trk_rd_q];
  assign mm_raddr_o = trk_addr_q[trk_rd_q] + 32'(trk_ri_q);
  assign mm_done_o  = trk_pop;
  assign mm_empty_o = trk_cnt_q == 5'd0;
  // Entry j is in flight iff it lies within cnt entries of the head (an entry
  // pops in its MATMUL's done cycle, so it is in flight through that cycle).
  // verilator tracing_off
  always_comb begin
    mm_hit_o = 1'b0;
    for (int j = 0; j < TrkN; j++) begin
      if (5'(4'(j) - trk_head_q) < trk_cnt_q && 64'(trk_addr_q[j]) < q_hi_i &&
          q_lo_i < 64'(trk_addr_q[j]) + 64'(trk_m_q[j]))
        mm_hit_o = 1'b1;
    end
  end
  // verilator tracing_on

  // ---- ACC write port ------------------------------------------------------------
  logic [31:0] acc_wr_q, acc_wr_d, acc_wr;
  logic        acc_we;
  assign acc_wr = busy_i ? acc_wr_q : f_vm.acc_addr;
  always_comb begin
    acc_we   = cls_i.vm && active_i && in_win(cnt_i, 32'(1 + L + VmaccLatency), 32'(f_vm.m));
    acc_wr_d = !active_i ? acc_wr_q : (acc_we ? acc_wr + 32'd1 : acc_wr);
  end
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) acc_wr_q <= '0;
    else         acc_wr_q <= acc_wr_d;
  end
  assign acc_we_o    = acc_we || psum_valid_i;
  assign acc_waddr_o = psum_valid_i ? trk_addr_q[trk_head_q] + 32'(trk_wi_q) : acc_wr;
  // A VMACC row writes lanes < n: the mask of the low n bits, by one shift
  // (a compare per lane cost a simulator a few instructions per lane in both
  // evaluations of every clock).
  localparam logic [Cols-1:0] AllCols = '1;
  assign acc_wmask_o = psum_valid_i || 32'(f_vm.n) >= 32'(Cols) ? AllCols
                                                                 : AllCols >> (32'(Cols) - 32'(f_vm.n));
  assign acc_add_o   = trk_acc_q[trk_head_q];

  // ---- assertions ------------------------------------------------------------------
  // Writes only while an instruction runs; a chunked write never exceeds the
  // lanes; MATMUL results only for a tracked MATMUL, never beside a VMACC
  // write; the tracker never overflows.
  a_we_active:  assert property (@(posedge clk_i) abuf_we_o |-> ab_active_i);
  a_chunk_len:  assert property (@(posedge clk_i)
                                 abuf_we_o && (ab_cls_i.elt || ab_cls_i.lut || ab_cls_i.fill)
                                 |-> abuf_wlen_o <= 16'(Cols));
  a_acc_active: assert property (@(posedge clk_i) acc_we |-> active_i);
  a_mm_psum:    assert property (@(posedge clk_i) psum_valid_i |-> !acc_we && trk_cnt_q != 5'd0);
  a_mm_next:    assert property (@(posedge clk_i) psum_next_i |-> trk_cnt_q != 5'd0);
  a_trk_full:   assert property (@(posedge clk_i) trk_push |-> trk_cnt_q < 5'(TrkN)
                                 || (trk_pop && trk_cnt_q == 5'(TrkN)));

  logic unused_ok;
  assign unused_ok = ^{f_mm, f_pp, f_vm, f_el, f_lut, f_fill, f_pool, f_sm, cls_i, ab_cls_i.lw,
                       ab_cls_i.vw, ab_cls_i.mm, ab_cls_i.vm, cnt_i[0]};
endmodule
