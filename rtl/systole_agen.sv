// systole_agen: address generation for the compute core's read ports: ABUF port
// A (activations, elements, pool taps), ABUF port B (second VADD..VMUL
// operand), PBUF (weights, POSTPROC parameters, VMACC taps, VLUT and SOFTMAX
// tables), the ACC read port (VMACC; MATMUL accumulate reads come from the
// write-back's tracker) and ACC read port P (POSTPROC, from the
// post-processing lane's view pp_*_i, as it runs beside MATMULs).
//
// Requests are combinational from the sequencer's view (cycle 0 = the accept
// cycle, whose requests come straight from insn_i); the data returns
// MemReadLatency = 1 cycle later to the unit that asked. The schedule of every
// instruction (which cycle reads what) is the compute-core contract:
//   MATMUL       A: pixel i in cycle i (2-D pattern); its accumulate reads of
//                ACC (row i in i + R + C - 1) come from the write-back's
//                MATMUL tracker, as they outlast the front window
//   POSTPROC     PBUF: bias, mult, shift vectors in cycles 0..2 (the front
//                end's issue interval); ACC port P: rows jP .. jP+P-1 in 3 + j
//                (P = POSTPROC_ROWS; the last group's rows < m; post lane)
//   VMACC        PBUF: tap weights in 0; A: pixel i in 1 + i; ACC: row i in 1 + i
//   VMACC_WIDE   PBUF: tap weights in 0 (port V and the wide ACC ports: systole_vwide)
//   VADD..VMUL   A and B: chunk j in cycle j (C elements a chunk)
//   VLUT         PBUF: table read p in p < P; A: chunk j in P + j
//   MAXPOOL/AVG  A: tap (pixel i, ky, kx) in cycle (i * kh + ky) * kw + kx
//   SOFTMAX      PBUF: table reads in 0..P-1; A: one element per cycle, from
//                systole_softmax (sm_rd_i, sm_addr_i)
//   LOAD_WEIGHTS PBUF: row r in r < k
//   MATMUL       PBUF (pre_run_i: it performs the pending PRELOAD_WEIGHTS
//                pre_i): shadow rows P*j .. P*j + P-1 (those < k; P =
//                PRELOAD_ROWS) in cycle j, one read of pbuf_rows_o rows of
//                len bytes, pbuf_stride_o apart
// Port A's 2-D pattern: addr(i) = base + (i / inner_count) * outer_stride +
// (i % inner_count) * inner_stride; the pools walk their kh x kw window in each
// pixel. pool_first_o / pool_last_o flag the first / last tap of a window, for
// the pool unit (valid with abuf_a_req_o). The generators' state is in *_q,
// its next value in *_d; cycle 0 works on the values loaded from insn_i.
module systole_agen
  import systole_isa_pkg::*;
  import systole_core_pkg::*;
#(
  parameter int unsigned Rows = 16,
  parameter int unsigned Cols = 16
) (
  input  logic        clk_i,
  input  logic        rst_ni,
  // sequencer view
  input  logic        accept_i,
  input  logic        busy_i,
  input  logic        active_i,
  input  insn_t       insn_i,
  input  logic [31:0] cnt_i,
  input  op_class_t   cls_i,
  input  logic [31:0] chunks_i,
  input  logic [15:0] taps_i,
  input  preload_weights_t pre_i,
  input  logic        pre_run_i,
  // post-processing lane view (systole_seq)
  input  logic        pp_busy_i,
  input  logic        pp_active_i,
  input  insn_t       pp_insn_i,
  input  logic [31:0] pp_cnt_i,
  // SOFTMAX and VL2NORM element reads (from the unit running)
  input  logic        sm_rd_i,
  input  logic [31:0] sm_addr_i,
  // ABUF read port A
  output logic        abuf_a_req_o,
  output logic [31:0] abuf_a_addr_o,
  output logic [15:0] abuf_a_len_o,
  // ABUF read port B
  output logic        abuf_b_req_o,
  output logic [31:0] abuf_b_addr_o,
  output logic [15:0] abuf_b_len_o,
  // PBUF read port
  output logic        pbuf_req_o,
  output logic [31:0] pbuf_addr_o,
  output logic [15:0] pbuf_len_o,
  output logic [2:0]  pbuf_rows_o,    // rows of len bytes (row g into bus bytes g*Cols ..);
  output logic [31:0] pbuf_stride_o,  // 1: len contiguous bytes (up to 4*Cols)
  // ACC read port
  output logic        acc_re_o,
  output logic [31:0] acc_raddr_o,
  // ACC read port P (rows accp_raddr_o + g with accp_rows_o[g])
  output logic        accp_re_o,
  output logic [31:0] accp_raddr_o,
  output logic [PostprocRows-1:0] accp_rows_o,
  // pool window flags of this cycle's port A read
  output logic        pool_first_o,
  output logic        pool_last_o
);
  // Rows: the array depth (the MATMUL front window's reads no longer depend
  // on it; the tracker in systole_wb times the accumulate reads).
  if (Rows < 2) begin : gen_bad_rows
    $error("systole_agen: Rows=%0d < 2", Rows);
  end
  localparam int unsigned LutChunk = 4 * Cols;                              // table bytes per read
  localparam int unsigned LutReads = (LutBytes + LutChunk - 1) / LutChunk;  // P
  localparam int unsigned LutLast  = LutBytes - (LutReads - 1) * LutChunk;  // bytes of read P-1
  localparam int unsigned SmChunk  = 4 * Cols;
  localparam int unsigned SmReads  = (SoftmaxTableBytes + SmChunk - 1) / SmChunk;
  localparam int unsigned SmLast   = SoftmaxTableBytes - (SmReads - 1) * SmChunk;

  load_weights_t f_lw;
  matmul_t       f_mm;
  postproc_t     f_pp;
  vmacc_t        f_vm;
  vadd_t         f_el;    // VADD..VMUL (and the len field of VLUT)
  vlut_t         f_lut;
  maxpool_t      f_pool;  // MAXPOOL and AVGPOOL share the layout
  softmax_t      f_sm;
  assign f_lw   = load_weights_t'(insn_i);
  assign f_mm   = matmul_t'(insn_i);
  assign f_pp   = postproc_t'(insn_i);
  assign f_vm   = vmacc_t'(insn_i);
  assign f_el   = vadd_t'(insn_i);
  assign f_lut  = vlut_t'(insn_i);
  assign f_pool = maxpool_t'(insn_i);
  assign f_sm   = softmax_t'(insn_i);

  // ---- port A / B generators ---------------------------------------------------------
  logic [31:0] pat_base, pat_inner_stride, pat_outer_stride;
  logic [15:0] pat_inner_count;
  always_comb begin
    if (cls_i.pool) begin
      pat_base         = f_pool.a_addr;
      pat_inner_count  = f_pool.a_inner_count;
      pat_inner_stride = 32'(f_pool.a_inner_stride);
      pat_outer_stride = 32'(f_pool.a_outer_stride);
    end else begin  // MATMUL and VMACC share these fields
      pat_base         = f_mm.a_addr;
      pat_inner_count  = f_mm.a_inner_count;
      pat_inner_stride = f_mm.a_inner_stride;
      pat_outer_stride = f_mm.a_outer_stride;
    end
  end

  // State: the pixel address, the start of the pixel's pattern row (run), the
  // tap and window-row addresses and indices of the pools, the elements left and
  // the port B pointer of VADD..VLUT. The views (no suffix) are the state, or in
  // the accept cycle the values loaded from the instruction.
  logic [31:0] pix_q, run_q, tap_q, row_q, b_ptr_q, a_rem_q;
  logic [15:0] inner_q;
  logic [7:0]  kx_q, ky_q;
  logic [31:0] pix_d, run_d, tap_d, row_d, b_ptr_d, a_rem_d;
  logic [15:0] inner_d;
  logic [7:0]  kx_d, ky_d;
  logic [31:0] pix, run, tap, row, b_ptr, a_rem, a_chunk, a_start;
  logic [15:0] inner;
  logic [7:0]  kx, ky;
  logic        a_first;
  assign a_first = !busy_i;
  assign a_start = cls_i.lut ? f_lut.src : (cls_i.elt ? f_el.src1 : pat_base);
  always_comb begin
    pix     = a_first ? a_start : pix_q;
    run     = a_first ? a_start : run_q;
    tap     = a_first ? a_start : tap_q;
    row     = a_first ? a_start : row_q;
    inner   = a_first ? 16'd0 : inner_q;
    kx      = a_first ? 8'd0 : kx_q;
    ky      = a_first ? 8'd0 : ky_q;
    a_rem   = a_first ? f_el.len : a_rem_q;  // VADD..VLUT share the len field
    b_ptr   = busy_i ? b_ptr_q : f_el.src2;
    a_chunk = a_rem < 32'(Cols) ? a_rem : 32'(Cols);
  end

  // Requests of this cycle.
  logic        a_req;
  logic [15:0] a_len;
  logic [31:0] a_addr;
  logic        pool_first, pool_last;
  assign pool_first = kx == 8'd0 && ky == 8'd0;
  assign pool_last  = kx == f_pool.kw - 8'd1 && ky == f_pool.kh - 8'd1;
  always_comb begin
    a_req  = 1'b0;
    a_len  = '0;
    a_addr = pix;
    if (active_i) begin
      unique case (1'b1)
        cls_i.mm:   begin a_req = cnt_i < 32'(f_mm.m); a_len = f_mm.k; end
        cls_i.vm:   begin a_req = in_win(cnt_i, 32'd1, 32'(f_vm.m)); a_len = f_vm.n; end
        cls_i.elt:  begin a_req = cnt_i < chunks_i; a_len = 16'(a_chunk); end
        cls_i.lut:  begin a_req = in_win(cnt_i, 32'(LutReads), chunks_i); a_len = 16'(a_chunk); end
        cls_i.pool: begin
          a_req  = cnt_i < 32'(f_pool.m) * 32'(taps_i);
          a_len  = f_pool.n;
          a_addr = tap;
        end
        cls_i.sm, cls_i.l2: begin a_req = sm_rd_i; a_len = 16'd1; a_addr = sm_addr_i; end
        default: ;
      endcase
    end
  end

  // Next state: after a read on A (SOFTMAX keeps its own element pointers), or
  // loaded from the instruction in the accept cycle.
  logic        next_pixel;
  logic [31:0] pix_n, run_n;
  logic [15:0] inner_n;
  always_comb begin
    // The next pixel of the 2-D pattern.
    if (inner + 16'd1 == pat_inner_count) begin
      run_n   = run + pat_outer_stride;
      pix_n   = run_n;
      inner_n = 16'd0;
    end else begin
      run_n   = run;
      pix_n   = pix + pat_inner_stride;
      inner_n = inner + 16'd1;
    end
    next_pixel = !cls_i.pool || pool_last;

    pix_d = pix_q; run_d = run_q; tap_d = tap_q; row_d = row_q; inner_d = inner_q;
    kx_d = kx_q; ky_d = ky_q; a_rem_d = a_rem_q; b_ptr_d = b_ptr_q;
    if (a_req && !cls_i.sm && !cls_i.l2) begin
      if (cls_i.elt || cls_i.lut) begin
        pix_d   = pix + 32'(Cols);
        b_ptr_d = b_ptr + 32'(Cols);
        a_rem_d = a_rem - a_chunk;
      end else if (next_pixel) begin
        pix_d = pix_n; run_d = run_n; inner_d = inner_n;
        tap_d = pix_n; row_d = pix_n; kx_d = 8'd0; ky_d = 8'd0;
      end else if (kx + 8'd1 == f_pool.kw) begin  // next window row
        pix_d = pix; run_d = run; inner_d = inner;
        tap_d = row + 32'(f_pool.win_row_stride);
        row_d = row + 32'(f_pool.win_row_stride);
        kx_d  = 8'd0;
        ky_d  = ky + 8'd1;
      end else begin                              // next tap in the window row
        pix_d = pix; run_d = run; inner_d = inner; row_d = row; ky_d = ky;
        tap_d = tap + 32'(f_pool.win_col_stride);
        kx_d  = kx + 8'd1;
      end
    end else if (accept_i) begin
      pix_d = pix; run_d = run; tap_d = tap; row_d = row; inner_d = inner;
      kx_d = kx; ky_d = ky; a_rem_d = a_rem; b_ptr_d = b_ptr;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      pix_q <= '0; run_q <= '0; tap_q <= '0; row_q <= '0; inner_q <= '0;
      kx_q <= '0; ky_q <= '0; a_rem_q <= '0; b_ptr_q <= '0;
    end else begin
      pix_q <= pix_d; run_q <= run_d; tap_q <= tap_d; row_q <= row_d; inner_q <= inner_d;
      kx_q <= kx_d; ky_q <= ky_d; a_rem_q <= a_rem_d; b_ptr_q <= b_ptr_d;
    end
  end

  assign abuf_a_req_o  = a_req;
  assign abuf_a_addr_o = a_addr;
  assign abuf_a_len_o  = a_len;
  assign abuf_b_req_o  = active_i && cls_i.elt && a_req;
  assign abuf_b_addr_o = b_ptr;
  assign abuf_b_len_o  = a_len;
  assign pool_first_o  = pool_first;
  assign pool_last_o   = pool_last;

  // ---- PBUF port ------------------------------------------------------------------
  logic [31:0] p_ptr_q, p_ptr_d, p_ptr, p_step, p_stride, p_left;
  logic        p_req;
  logic [15:0] p_len;
  logic [2:0]  p_rows;
  always_comb begin
    p_req    = 1'b0;
    p_len    = '0;
    p_step   = '0;
    p_ptr    = p_ptr_q;
    p_rows   = 3'd1;
    p_stride = '0;
    p_left   = '0;
    unique case (1'b1)
      cls_i.lw: begin
        p_req = cnt_i < 32'(f_lw.k); p_len = f_lw.n; p_step = f_lw.w_stride;
        if (!busy_i) p_ptr = f_lw.pbuf_addr;
      end
      cls_i.mm: if (pre_run_i) begin
        p_left   = 32'(pre_i.k) - cnt_i * 32'(PreloadRows);  // rows from P*cnt on
        p_req    = cnt_i * 32'(PreloadRows) < 32'(pre_i.k);
        p_len    = pre_i.n;
        p_rows   = p_left < 32'(PreloadRows) ? 3'(p_left) : 3'(PreloadRows);
        p_stride = pre_i.w_stride;
        p_step   = pre_i.w_stride * 32'(PreloadRows);
        if (!busy_i) p_ptr = pre_i.pbuf_addr;
      end
      cls_i.pp: begin
        p_req = cnt_i < 32'd3; p_len = 16'(32'(f_pp.n) * 4); p_step = 32'(f_pp.n) * 4;
        if (!busy_i) p_ptr = f_pp.param_addr;
      end
      cls_i.vm, cls_i.vw: begin  // VMACC_WIDE has VMACC's field layout
        p_req = cnt_i == 32'd0; p_len = f_vm.n;
        if (!busy_i) p_ptr = f_vm.w_addr;
      end
      cls_i.lut: begin
        p_req = cnt_i < 32'(LutReads); p_step = 32'(LutChunk);
        p_len = cnt_i == 32'(LutReads - 1) ? 16'(LutLast) : 16'(LutChunk);
        if (!busy_i) p_ptr = f_lut.lut_addr;
      end
      cls_i.sm: begin
        p_req = cnt_i < 32'(SmReads); p_step = 32'(SmChunk);
        p_len = cnt_i == 32'(SmReads - 1) ? 16'(SmLast) : 16'(SmChunk);
        if (!busy_i) p_ptr = f_sm.table_addr;
      end
      default: ;
    endcase
    p_req   = p_req && active_i;
    p_ptr_d = p_req ? p_ptr + p_step : p_ptr_q;
  end
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) p_ptr_q <= '0;
    else         p_ptr_q <= p_ptr_d;
  end
  assign pbuf_req_o  = p_req;
  assign pbuf_addr_o = p_ptr;
  assign pbuf_len_o  = p_len;
  assign pbuf_rows_o   = p_rows;
  assign pbuf_stride_o = p_stride;

  // ---- ACC read port ---------------------------------------------------------------
  logic [31:0] acc_rd_q, acc_rd_d, acc_rd;
  logic        acc_re;
  assign acc_rd = busy_i ? acc_rd_q : f_vm.acc_addr;
  always_comb begin
    acc_re   = cls_i.vm && active_i && in_win(cnt_i, 32'd1, 32'(f_vm.m));
    acc_rd_d = !active_i ? acc_rd_q : (acc_re ? acc_rd + 32'd1 : acc_rd);
  end
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) acc_rd_q <= '0;
    else         acc_rd_q <= acc_rd_d;
  end
  assign acc_re_o    = acc_re;
  assign acc_raddr_o = acc_rd;

  // ---- ACC read port P (POSTPROC, post lane) -----------------------------------------
  postproc_t   f_ppl;
  logic [31:0] accp_rd_q, accp_rd_d, accp_rd, accp_groups, accp_left;
  logic        accp_re;
  assign f_ppl   = postproc_t'(pp_insn_i);
  assign accp_rd = pp_busy_i ? accp_rd_q : f_ppl.acc_addr;
  assign accp_groups = (32'(f_ppl.m) + 32'(PostprocRows) - 32'd1) / 32'(PostprocRows);
  assign accp_re = pp_active_i && in_win(pp_cnt_i, 32'd3, accp_groups);
  assign accp_rd_d = !pp_active_i ? accp_rd_q : (accp_re ? accp_rd + 32'(PostprocRows) : accp_rd);
  // rows of this group: m - (cnt - 3) * P, at most P
  assign accp_left = 32'(f_ppl.m) - (pp_cnt_i - 32'd3) * 32'(PostprocRows);
  for (genvar g = 0; g < PostprocRows; g++) begin : gen_accp_rows
    assign accp_rows_o[g] = accp_re && accp_left > 32'(g);
  end
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) accp_rd_q <= '0;
    else         accp_rd_q <= accp_rd_d;
  end
  assign accp_re_o    = accp_re;
  assign accp_raddr_o = accp_rd;

  // ---- assertions -------------------------------------------------------------------
  // Requests only while an instruction runs; port B only beside port A; the
  // table reads of VLUT and SOFTMAX fit the PBUF bus; a VADD..VLUT chunk is
  // never wider than the lanes.
  a_a_active: assert property (@(posedge clk_i) abuf_a_req_o |-> active_i);
  a_b_with_a: assert property (@(posedge clk_i) abuf_b_req_o |-> abuf_a_req_o);
  a_p_active: assert property (@(posedge clk_i) pbuf_req_o |-> active_i);
  a_table_len: assert property (@(posedge clk_i)
                                pbuf_req_o && (cls_i.lut || cls_i.sm) |-> p_len <= 16'(4 * Cols));
  a_chunk_len: assert property (@(posedge clk_i)
                                abuf_a_req_o && (cls_i.elt || cls_i.lut) |-> a_len <= 16'(Cols));

  logic unused_ok;
  assign unused_ok = ^{f_lw, f_mm, f_pp, f_vm, f_el, f_lut, f_pool, f_sm, f_ppl, cls_i.fill, pre_i};
endmodule
