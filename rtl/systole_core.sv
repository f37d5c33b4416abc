// Systole compute core: executes every COMPUTE-unit instruction of the ISA
// (schema/isa/isa.json, docs/ISA.md) with exactly the cycle schedule of the
// compute-core contract (docs/accelerator.md, "Compute-core contract").
//
// Handshake: an instruction is accepted in a cycle t with insn_valid_i &&
// insn_ready_o. The core is busy in cycles t .. t+T-1 (cycle 0 = the accept
// cycle), pulses done_o in cycle t+T-1 and raises insn_ready_o again in t+T.
// Cycle 0 of the schedule is the accept cycle itself, so the sequencer works on
// a view of the current instruction that is insn_i while idle and the
// instruction register while busy (`insn`, `cnt` below); reads of cycle 0 are
// issued straight from insn_i.
//
// Memories are outside the core (ABUF, PBUF, ACC); every read returns its data
// MemReadLatency = 1 cycle after the request, writes happen at the end of
// their cycle. The ports never stall, so T is data independent.
//
// Blocks:
//   * systole_array          Rows x Cols weight-stationary MAC grid (MATMUL,
//                            rows written by LOAD_WEIGHTS)
//   * requant bank           Cols x systole_requant, shared by POSTPROC (bias,
//                            mult, shift per channel; with fp32 the mult vector
//                            holds binary32 scales) and VADD/VSUB/VMUL (output
//                            rescale from the vector registers)
//   * eltwise front          Cols x 2 systole_mbqm (input rescales of ADD/SUB)
//   * VMACC lane, LUT, pool reducer, fill: small per-lane datapaths here.
//   * softmax unit           scalar binary32 datapath (systole_fp32_pkg) with a
//                            256-entry exponent table and the sequential
//                            divider systole_fp32_div (SOFTMAX)
module systole_core
  import systole_isa_pkg::*;
  import systole_fp32_pkg::*;
#(
  parameter int unsigned Rows = 16,
  parameter int unsigned Cols = 16,
  localparam int unsigned VecW = Rows > Cols ? Rows : Cols
) (
  input  logic                    clk_i,
  input  logic                    rst_ni,
  // instruction handshake
  input  logic                    insn_valid_i,
  input  insn_t                   insn_i,
  output logic                    insn_ready_o,
  output logic                    done_o,
  // ABUF read port A (max(R, C) bytes)
  output logic                    abuf_a_req_o,
  output logic [31:0]             abuf_a_addr_o,
  output logic [15:0]             abuf_a_len_o,
  input  logic [VecW-1:0][7:0]    abuf_a_rdata_i,
  // ABUF read port B (C bytes)
  output logic                    abuf_b_req_o,
  output logic [31:0]             abuf_b_addr_o,
  output logic [15:0]             abuf_b_len_o,
  input  logic [Cols-1:0][7:0]    abuf_b_rdata_i,
  // ABUF write port (C bytes)
  output logic                    abuf_we_o,
  output logic [31:0]             abuf_waddr_o,
  output logic [15:0]             abuf_wlen_o,
  output logic [Cols-1:0][7:0]    abuf_wdata_o,
  // PBUF read port (4*C bytes)
  output logic                    pbuf_req_o,
  output logic [31:0]             pbuf_addr_o,
  output logic [15:0]             pbuf_len_o,
  input  logic [4*Cols-1:0][7:0]  pbuf_rdata_i,
  // ACC read port (C x int32, row addressed)
  output logic                    acc_re_o,
  output logic [31:0]             acc_raddr_o,
  input  logic [Cols-1:0][31:0]   acc_rdata_i,
  // ACC write port (C x int32, lane mask)
  output logic                    acc_we_o,
  output logic [31:0]             acc_waddr_o,
  output logic [Cols-1:0]         acc_wmask_o,
  output logic [Cols-1:0][31:0]   acc_wdata_o
);
  // ---- parameter and contract checks (elaboration time) ---------------------
  if (Rows < 2 || Rows > MaxDim) begin : gen_bad_rows
    $error("systole_core: Rows=%0d out of range [2, %0d]", Rows, MaxDim);
  end
  if (Cols < 2 || Cols > MaxDim) begin : gen_bad_cols
    $error("systole_core: Cols=%0d out of range [2, %0d]", Cols, MaxDim);
  end
  // Pipeline depths implemented here. Constants above them are met by padding
  // (requant, eltwise); the others have no padding and must match exactly.
  localparam int unsigned RequantDepth = 5;  // systole_requant
  localparam int unsigned MbqmDepth    = 4;  // systole_mbqm
  localparam int unsigned ReqPad = RequantLatency - RequantDepth;
  localparam int unsigned EltPad = EltwiseLatency - MbqmDepth - RequantLatency;
  if (MemReadLatency != 1) begin : gen_bad_mem_latency
    $error("systole_core: built for MEM_READ_LATENCY = 1, ISA says %0d", MemReadLatency);
  end
  if (RequantLatency < RequantDepth || RequantLatency > RequantDepth + 8) begin : gen_bad_requant
    $error("systole_core: REQUANT_LATENCY %0d not in [%0d, %0d]", RequantLatency, RequantDepth,
           RequantDepth + 8);
  end
  if (EltwiseLatency < MbqmDepth + RequantLatency || EltPad > 8) begin : gen_bad_eltwise
    $error("systole_core: ELTWISE_LATENCY %0d not in [%0d, %0d]", EltwiseLatency,
           MbqmDepth + RequantLatency, MbqmDepth + RequantLatency + 8);
  end
  if (VmaccLatency != 1 || LutLatency != 1 || PoolLatency != 2) begin : gen_bad_lane_latency
    $error("systole_core: built for VMACC/LUT/POOL latencies 1/1/2, ISA says %0d/%0d/%0d",
           VmaccLatency, LutLatency, PoolLatency);
  end
  // SOFTMAX: the output stage is one register; the divider starts one cycle
  // into the divide phase (after x = sum * scale) and must finish within it.
  if (SoftmaxLatency != 1 || SoftmaxTableBytes != 1024) begin : gen_bad_softmax
    $error("systole_core: built for SOFTMAX_LATENCY 1 and a 1024-byte table, ISA says %0d/%0d",
           SoftmaxLatency, SoftmaxTableBytes);
  end
  localparam logic [31:0] F32One  = 32'h3F80_0000;  // 1.0f
  localparam logic [31:0] F32Half = 32'h3F00_0000;  // 0.5f

  localparam int unsigned L = MemReadLatency;
  localparam int unsigned ArrayLat = Rows + Cols - 1;
  localparam int unsigned LutChunk = 4 * Cols;                              // table bytes per read
  localparam int unsigned LutReads = (LutBytes + LutChunk - 1) / LutChunk;  // P
  localparam int unsigned LutLast  = LutBytes - (LutReads - 1) * LutChunk;  // bytes of read P-1
  localparam int unsigned RowIdxW  = $clog2(Rows);
  localparam int unsigned SmEntries = SoftmaxTableBytes / 4;                    // 256 binary32
  localparam int unsigned SmChunk   = 4 * Cols;                                 // table bytes per read
  localparam int unsigned SmReads   = (SoftmaxTableBytes + SmChunk - 1) / SmChunk;  // P
  localparam int unsigned SmLast    = SoftmaxTableBytes - (SmReads - 1) * SmChunk;  // bytes of read P-1

  // ---- instruction register and sequencer -----------------------------------
  logic        busy_q;
  insn_t       insn_q;
  logic [31:0] cnt_q, last_q;  // cycle index in the instruction; T - 1

  logic        accept, active;
  insn_t       insn;           // current instruction (insn_i in the accept cycle)
  logic [31:0] cnt;            // current cycle, 0 = accept cycle
  opcode_e     op;

  assign insn_ready_o = !busy_q;
  assign accept = insn_valid_i && !busy_q;
  assign active = busy_q || insn_valid_i;
  assign insn   = busy_q ? insn_q : insn_i;
  assign cnt    = busy_q ? cnt_q : 32'd0;
  assign op     = opcode_e'(insn[7:0]);

  load_weights_t f_lw;
  matmul_t       f_mm;
  postproc_t     f_pp;
  vmacc_t        f_vm;
  vadd_t         f_el;   // VADD, VSUB and VMUL share the layout
  vlut_t         f_lut;
  vfill_t        f_fill;
  maxpool_t      f_pool; // MAXPOOL and AVGPOOL share the layout
  setreg_t       f_set;
  softmax_t      f_sm;
  assign f_lw   = load_weights_t'(insn);
  assign f_mm   = matmul_t'(insn);
  assign f_pp   = postproc_t'(insn);
  assign f_vm   = vmacc_t'(insn);
  assign f_el   = vadd_t'(insn);
  assign f_lut  = vlut_t'(insn);
  assign f_fill = vfill_t'(insn);
  assign f_pool = maxpool_t'(insn);
  assign f_set  = setreg_t'(insn);
  assign f_sm   = softmax_t'(insn);

  logic is_mm, is_lw, is_pp, is_vm, is_elt, is_lut, is_fill, is_pool, is_avg, is_sm;
  assign is_lw   = op == OpLoadWeights;
  assign is_mm   = op == OpMatmul;
  assign is_pp   = op == OpPostproc;
  assign is_vm   = op == OpVmacc;
  assign is_elt  = op == OpVadd || op == OpVsub || op == OpVmul;
  assign is_lut  = op == OpVlut;
  assign is_fill = op == OpVfill;
  assign is_pool = op == OpMaxpool || op == OpAvgpool;
  assign is_avg  = op == OpAvgpool;
  assign is_sm   = op == OpSoftmax;

  // Element chunks of VADD..VFILL: ceil(len / C) (33 bits: len may be 2^32-1).
  logic [31:0] chunks;
  logic [32:0] len_up;
  assign len_up = 33'(f_el.len) + 33'(Cols - 1);
  assign chunks = 32'(len_up / 33'(Cols));
  // Window taps of a pooled pixel.
  logic [15:0] taps;
  assign taps = 16'(f_pool.kh) * 16'(f_pool.kw);

  // SOFTMAX: cycles per row, RowT = 3*len + 3L + SOFTMAX_DIV_LATENCY + SOFTMAX_LATENCY.
  logic [31:0] sm_row_t;
  assign sm_row_t = 32'd3 * 32'(f_sm.len) + 32'(3 * L + SoftmaxDivLatency + SoftmaxLatency);

  // T - 1 of the current instruction (the contract's table).
  logic [31:0] last;
  always_comb begin
    unique case (op)
      OpLoadWeights:              last = 32'(Rows + L - 1);
      OpMatmul:                   last = 32'(f_mm.m) + 32'(ArrayLat + L - 1);
      OpPostproc:                 last = 32'(f_pp.m) + 32'(3 + L + RequantLatency - 1);
      OpVmacc:                    last = 32'(f_vm.m) + 32'(1 + L + VmaccLatency - 1);
      OpVadd, OpVsub, OpVmul:     last = chunks + 32'(L + EltwiseLatency - 1);
      OpVlut:                     last = chunks + 32'(LutReads + L + LutLatency - 1);
      OpVfill:                    last = chunks - 32'd1;
      OpMaxpool, OpAvgpool:       last = 32'(f_pool.m) * 32'(taps) + 32'(L + PoolLatency - 1);
      OpSoftmax:                  last = 32'(f_sm.m) * sm_row_t + 32'(SmReads + L - 1);
      default:                    last = 32'd0;  // NOP, SETREG
    endcase
  end
  assign done_o = active && (busy_q ? cnt_q == last_q : last == 32'd0);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q <= 1'b0;
      insn_q <= '0;
      cnt_q  <= '0;
      last_q <= '0;
    end else if (accept) begin
      busy_q <= last != 32'd0;
      insn_q <= insn_i;
      cnt_q  <= 32'd1;
      last_q <= last;
    end else if (busy_q) begin
      busy_q <= cnt_q != last_q;
      cnt_q  <= cnt_q + 32'd1;
    end
  end

  // In-window test: lo <= cnt < lo + n.
  function automatic logic in_win(logic [31:0] c, logic [31:0] lo, logic [31:0] n);
    return c >= lo && c - lo < n;
  endfunction

  // ---- vector registers (SETREG) ---------------------------------------------
  logic signed [31:0] vreg_q [NumVregs];
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      vreg_q <= '{default: '0};
    end else if (accept && op == OpSetreg) begin
      for (int unsigned j = 0; j < NumVregs; j++) begin
        if (32'(j) == 32'(f_set.vreg))                                  vreg_q[j] <= f_set.value0;
        if (32'(j) == 32'(f_set.vreg) + 1 && f_set.count >= 2'd2)        vreg_q[j] <= f_set.value1;
        if (32'(j) == 32'(f_set.vreg) + 2 && f_set.count == 2'd3)        vreg_q[j] <= f_set.value2;
      end
    end
  end
  logic signed [7:0] act_min, act_max;
  assign act_min = vreg_q[VRegActMin][7:0];
  assign act_max = vreg_q[VRegActMax][7:0];

  // ---- SOFTMAX sequencer -------------------------------------------------------
  // Table reads p < P in cycles 0..P-1 (PBUF port below). Row r runs in cycles
  // t0 + r*RowT .. t0 + (r+1)*RowT - 1, t0 = P + L; sm_ph_q is the cycle within
  // the row (b = 0), and element j of the row is at src + r*len + j:
  //   [0, len)               max phase: element ph read on port A
  //   [s0, s0+len)           sum phase: element ph - s0, s0 = len + L
  //   d0 = s0 + len + L      x = sum * scale
  //   d0 + 1                 divider start: inv = 1 / x, ready F32DivLatency later
  //   [o0, o0+len)           output phase: element ph - o0, o0 = d0 + SOFTMAX_DIV_LATENCY
  //   [o0+L+1, o0+len+L+1)   its byte is written (data in +L, registered +1)
  // The last write is in ph = RowT - 1; the next row starts the cycle after.
  // Every element is read before it is written, so dst = src works.
  logic        sm_run;          // a row is in progress (cnt >= t0)
  logic [31:0] sm_ph_q;         // cycle within the current row
  logic [31:0] sm_row_src_q;    // src + r*len
  logic [31:0] sm_len, sm_s0, sm_d0, sm_o0, sm_addr;
  logic        sm_rd_max, sm_rd_sum, sm_rd_out, sm_rd;
  assign sm_run    = busy_q && is_sm && cnt >= 32'(SmReads + L);
  assign sm_len    = 32'(f_sm.len);
  assign sm_s0     = sm_len + 32'(L);
  assign sm_d0     = sm_s0 + sm_len + 32'(L);
  assign sm_o0     = sm_d0 + 32'(SoftmaxDivLatency);
  assign sm_rd_max = sm_run && sm_ph_q < sm_len;
  assign sm_rd_sum = sm_run && in_win(sm_ph_q, sm_s0, sm_len);
  assign sm_rd_out = sm_run && in_win(sm_ph_q, sm_o0, sm_len);
  assign sm_rd     = sm_rd_max || sm_rd_sum || sm_rd_out;
  assign sm_addr   = sm_row_src_q + (sm_rd_max ? sm_ph_q : sm_ph_q - (sm_rd_sum ? sm_s0 : sm_o0));
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      sm_ph_q      <= '0;
      sm_row_src_q <= '0;
    end else if (accept) begin
      sm_ph_q      <= '0;
      sm_row_src_q <= f_sm.src;
    end else if (sm_run) begin
      if (sm_ph_q == sm_row_t - 32'd1) begin
        sm_ph_q      <= '0;
        sm_row_src_q <= sm_row_src_q + sm_len;
      end else begin
        sm_ph_q <= sm_ph_q + 32'd1;
      end
    end
  end

  // ---- address generators ----------------------------------------------------
  // Port A walks a 2-D pixel pattern (MATMUL, VMACC, pools: addr(i) = base +
  // (i / inner_count) * outer + (i % inner_count) * inner) or, for the pools,
  // the kh x kw window inside each pixel; chunked ops step by C.
  logic [31:0] pat_base, pat_inner_stride, pat_outer_stride;
  logic [15:0] pat_inner_count;
  always_comb begin
    if (is_pool) begin
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

  logic [31:0] pix_q, run_q, tap_q, row_q, b_ptr_q, a_rem_q;
  logic [15:0] inner_q;
  logic [7:0]  kx_q, ky_q;
  logic [31:0] pix, run, tap, row, b_ptr, a_rem, a_chunk;
  logic [15:0] inner;
  logic [7:0]  kx, ky;
  // In the accept cycle the state comes from the instruction fields (and is
  // loaded into the registers if the instruction reads A later, as VMACC/VLUT).
  logic        a_first;
  logic [31:0] a_start;
  assign a_first = !busy_q;
  assign a_start = is_lut ? f_lut.src : (is_elt ? f_el.src1 : pat_base);
  always_comb begin
    pix   = a_first ? a_start : pix_q;
    run   = a_first ? a_start : run_q;
    tap   = a_first ? a_start : tap_q;
    row   = a_first ? a_start : row_q;
    inner = a_first ? 16'd0 : inner_q;
    kx    = a_first ? 8'd0 : kx_q;
    ky    = a_first ? 8'd0 : ky_q;
    a_rem = a_first ? f_el.len : a_rem_q;  // VADD..VLUT share the len field
    b_ptr = busy_q ? b_ptr_q : f_el.src2;
    a_chunk = a_rem < 32'(Cols) ? a_rem : 32'(Cols);
  end

  // Port A / B requests of this cycle.
  logic a_req, b_req;
  logic [15:0] a_len;
  logic [31:0] a_addr;
  logic pool_first, pool_last;
  assign pool_first = kx == 8'd0 && ky == 8'd0;
  assign pool_last  = kx == f_pool.kw - 8'd1 && ky == f_pool.kh - 8'd1;
  always_comb begin
    a_req  = 1'b0;
    a_len  = '0;
    a_addr = pix;
    if (active) begin
      unique case (1'b1)
        is_mm:   begin a_req = cnt < 32'(f_mm.m); a_len = f_mm.k; end
        is_vm:   begin a_req = in_win(cnt, 32'd1, 32'(f_vm.m)); a_len = f_vm.n; end
        is_elt:  begin a_req = cnt < chunks; a_len = 16'(a_chunk); end
        is_lut:  begin a_req = in_win(cnt, 32'(LutReads), chunks); a_len = 16'(a_chunk); end
        is_pool: begin a_req = cnt < 32'(f_pool.m) * 32'(taps); a_len = f_pool.n; a_addr = tap; end
        is_sm:   begin a_req = sm_rd; a_len = 16'd1; a_addr = sm_addr; end
        default: ;
      endcase
    end
  end
  assign b_req = active && is_elt && a_req;

  // Next state of the generators after a read on A.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      pix_q <= '0; run_q <= '0; tap_q <= '0; row_q <= '0; inner_q <= '0;
      kx_q <= '0; ky_q <= '0; a_rem_q <= '0; b_ptr_q <= '0;
    end else if (a_req && !is_sm) begin  // SOFTMAX has its own element pointers
      if (is_elt || is_lut) begin
        pix_q   <= pix + 32'(Cols);
        b_ptr_q <= b_ptr + 32'(Cols);
        a_rem_q <= a_rem - a_chunk;
      end else begin
        logic        next_pixel;
        logic [31:0] pix_n, run_n;
        logic [15:0] inner_n;
        next_pixel = !is_pool || pool_last;
        if (inner + 16'd1 == pat_inner_count) begin
          run_n   = run + pat_outer_stride;
          pix_n   = run_n;
          inner_n = 16'd0;
        end else begin
          run_n   = run;
          pix_n   = pix + pat_inner_stride;
          inner_n = inner + 16'd1;
        end
        if (next_pixel) begin
          pix_q <= pix_n; run_q <= run_n; inner_q <= inner_n;
          tap_q <= pix_n; row_q <= pix_n; kx_q <= 8'd0; ky_q <= 8'd0;
        end else if (kx + 8'd1 == f_pool.kw) begin
          pix_q <= pix; run_q <= run; inner_q <= inner;
          tap_q <= row + 32'(f_pool.win_row_stride);
          row_q <= row + 32'(f_pool.win_row_stride);
          kx_q  <= 8'd0;
          ky_q  <= ky + 8'd1;
        end else begin
          pix_q <= pix; run_q <= run; inner_q <= inner; row_q <= row; ky_q <= ky;
          tap_q <= tap + 32'(f_pool.win_col_stride);
          kx_q  <= kx + 8'd1;
        end
      end
    end else if (accept) begin
      pix_q <= pix; run_q <= run; tap_q <= tap; row_q <= row; inner_q <= inner;
      kx_q <= kx; ky_q <= ky; a_rem_q <= a_rem; b_ptr_q <= b_ptr;
    end
  end

  assign abuf_a_req_o  = a_req;
  assign abuf_a_addr_o = a_addr;
  assign abuf_a_len_o  = a_len;
  assign abuf_b_req_o  = b_req;
  assign abuf_b_addr_o = b_ptr;
  assign abuf_b_len_o  = a_len;

  // ---- PBUF port -------------------------------------------------------------
  // LOAD_WEIGHTS rows (cycles 0..k-1), POSTPROC bias/mult/shift (0..2), VMACC
  // tap weights (0), VLUT table (0..P-1), SOFTMAX table (0..P-1).
  logic [31:0] p_ptr_q, p_ptr, p_step;
  logic        p_req;
  logic [15:0] p_len;
  always_comb begin
    p_req  = 1'b0;
    p_len  = '0;
    p_step = '0;
    p_ptr  = p_ptr_q;
    unique case (1'b1)
      is_lw: begin
        p_req = cnt < 32'(f_lw.k); p_len = f_lw.n; p_step = f_lw.w_stride;
        if (!busy_q) p_ptr = f_lw.pbuf_addr;
      end
      is_pp: begin
        p_req = cnt < 32'd3; p_len = 16'(32'(f_pp.n) * 4); p_step = 32'(f_pp.n) * 4;
        if (!busy_q) p_ptr = f_pp.param_addr;
      end
      is_vm: begin
        p_req = cnt == 32'd0; p_len = f_vm.n;
        if (!busy_q) p_ptr = f_vm.w_addr;
      end
      is_lut: begin
        p_req = cnt < 32'(LutReads); p_step = 32'(LutChunk);
        p_len = cnt == 32'(LutReads - 1) ? 16'(LutLast) : 16'(LutChunk);
        if (!busy_q) p_ptr = f_lut.lut_addr;
      end
      is_sm: begin
        p_req = cnt < 32'(SmReads); p_step = 32'(SmChunk);
        p_len = cnt == 32'(SmReads - 1) ? 16'(SmLast) : 16'(SmChunk);
        if (!busy_q) p_ptr = f_sm.table_addr;
      end
      default: ;
    endcase
    p_req = p_req && active;
  end
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) p_ptr_q <= '0;
    else if (p_req) p_ptr_q <= p_ptr + p_step;
  end
  assign pbuf_req_o  = p_req;
  assign pbuf_addr_o = p_ptr;
  assign pbuf_len_o  = p_len;

  logic [Cols-1:0][31:0] pbuf_words;  // the PBUF bus as C little-endian int32
  assign pbuf_words = pbuf_rdata_i;

  // ---- weights (LOAD_WEIGHTS) ------------------------------------------------
  // Array row r is written in cycle r + L for every r < R; rows >= k get zeros
  // (columns >= n are zero on the bus already).
  logic                    w_we;
  logic [RowIdxW-1:0]      w_row;
  logic [Cols-1:0][7:0]    w_data;
  logic [31:0]             w_idx;
  assign w_idx  = cnt - 32'(L);
  assign w_we   = busy_q && is_lw && in_win(cnt, 32'(L), 32'(Rows));
  assign w_row  = RowIdxW'(w_idx);
  assign w_data = w_idx < 32'(f_lw.k) ? pbuf_rdata_i[Cols-1:0] : '0;

  // ---- systolic array (MATMUL) -------------------------------------------------
  logic                  arr_in_valid;
  logic [Cols-1:0][31:0] arr_out;
  logic                  unused_arr_valid;
  assign arr_in_valid = busy_q && is_mm && in_win(cnt, 32'(L), 32'(f_mm.m));

  systole_array #(.Rows(Rows), .Cols(Cols)) u_array (
    .clk_i,
    .rst_ni,
    .en_i         (active && is_mm),
    .w_we_i       (w_we),
    .w_row_i      (w_row),
    .w_i          (w_data),
    .act_valid_i  (arr_in_valid),
    .act_i        (abuf_a_rdata_i[Rows-1:0]),
    .psum_valid_o (unused_arr_valid),
    .psum_o       (arr_out)
  );

  // ---- POSTPROC parameter vectors ----------------------------------------------
  // Per-lane registers here and below are written whole-array from a `_d`
  // computed in always_comb (Verilator does not support nonblocking writes to
  // array elements in loops it does not unroll, i.e. Cols > 64).
  logic signed [31:0] bias_q [Cols];
  logic signed [31:0] mult_q [Cols];   // fixed-point multiplier, or the binary32 scale (fp32)
  logic signed [5:0]  shift_q [Cols];  // clamped to [-31, 31]
  logic signed [31:0] pword_d [Cols];
  logic signed [5:0]  pshift_d [Cols];
  always_comb begin
    for (int c = 0; c < Cols; c++) begin
      pword_d[c] = pbuf_words[c];
      if (pword_d[c] > 32'sd31)       pshift_d[c] = 6'sd31;
      else if (pword_d[c] < -32'sd31) pshift_d[c] = -6'sd31;
      else                            pshift_d[c] = pword_d[c][5:0];
    end
  end
  always_ff @(posedge clk_i) begin
    if (busy_q && is_pp && cnt == 32'(L))     bias_q  <= pword_d;
    if (busy_q && is_pp && cnt == 32'(L + 1)) mult_q  <= pword_d;
    if (busy_q && is_pp && cnt == 32'(L + 2)) shift_q <= pshift_d;
  end

  // ---- eltwise front (VADD/VSUB/VMUL) -------------------------------------------
  // Lane input in cycle j + L; EltPad pad registers; the ADD/SUB input rescales
  // (MBQM, 4 stages) with the MUL product riding in the tag; then the requant
  // bank (bias 0, OUT_MULT/OUT_SHIFT, OUT_ZP, clamp).
  logic signed [7:0] elt_x1 [EltPad + 1][Cols];
  logic signed [7:0] elt_x2 [EltPad + 1][Cols];
  always_comb begin
    for (int c = 0; c < Cols; c++) begin
      elt_x1[0][c] = abuf_a_rdata_i[c];
      elt_x2[0][c] = abuf_b_rdata_i[c];
    end
  end
  for (genvar s = 0; s < EltPad; s++) begin : gen_elt_pad
    always_ff @(posedge clk_i) begin
      if (active && is_elt) begin
        elt_x1[s+1] <= elt_x1[s];
        elt_x2[s+1] <= elt_x2[s];
      end
    end
  end

  logic signed [31:0] elt_y [Cols];  // combined front result, into the requant bank
  // Clock enables of the lane pipelines: only while an instruction using them
  // is in flight (they are flushed by the schedule, not by valid bits).
  logic elt_en, rq_en;
  assign elt_en = active && is_elt;
  assign rq_en  = active && (is_elt || is_pp);
  logic signed [31:0] in1_off, in2_off;
  logic [4:0]         left_shift;
  logic               elt_sub, elt_mul;
  assign in1_off    = -vreg_q[VRegIn1Zp];
  assign in2_off    = -vreg_q[VRegIn2Zp];
  assign left_shift = vreg_q[VRegLeftShift][4:0];
  assign elt_sub    = op == OpVsub;
  assign elt_mul    = op == OpVmul;

  for (genvar c = 0; c < Cols; c++) begin : gen_elt_lane
    logic signed [31:0] v1, v2, prod, y1, y2, prod_d;
    logic               unused_v, unused_v2;
    logic [0:0]         unused_t;
    assign v1   = 32'(elt_x1[EltPad][c]) + in1_off;
    assign v2   = 32'(elt_x2[EltPad][c]) + in2_off;
    assign prod = v1 * v2;
    systole_mbqm #(.ShiftW(6), .TagW(32)) u_in1 (
      .clk_i, .rst_ni, .en_i (elt_en), .valid_i (1'b0),
      .x_i (v1 <<< left_shift), .mult_i (vreg_q[VRegIn1Mult]),
      .shift_i (vreg_q[VRegIn1Shift][5:0]), .single_round_i (1'b0), .half_up_i (1'b0),
      .tag_i (prod), .valid_o (unused_v), .y_o (y1), .tag_o (prod_d)
    );
    systole_mbqm #(.ShiftW(6), .TagW(1)) u_in2 (
      .clk_i, .rst_ni, .en_i (elt_en), .valid_i (1'b0),
      .x_i (v2 <<< left_shift), .mult_i (vreg_q[VRegIn2Mult]),
      .shift_i (vreg_q[VRegIn2Shift][5:0]), .single_round_i (1'b0), .half_up_i (1'b0),
      .tag_i (1'b0), .valid_o (unused_v2), .y_o (y2), .tag_o (unused_t)
    );
    assign elt_y[c] = elt_mul ? prod_d : (elt_sub ? y1 - y2 : y1 + y2);
  end

  // ---- requant bank (POSTPROC, eltwise output stage) ------------------------------
  logic signed [7:0] rq_out [ReqPad + 1][Cols];
  for (genvar c = 0; c < Cols; c++) begin : gen_requant
    logic unused_valid;
    systole_requant #(.ShiftW(6)) u_requant (
      .clk_i, .rst_ni,
      .en_i           (rq_en),
      .valid_i        (1'b0),
      .acc_i          (is_pp ? acc_rdata_i[c] : elt_y[c]),
      .bias_i         (is_pp ? bias_q[c] : 32'sd0),
      .mult_i         (is_pp ? mult_q[c] : vreg_q[VRegOutMult]),
      .shift_i        (is_pp ? shift_q[c] : vreg_q[VRegOutShift][5:0]),
      .single_round_i (is_pp && f_pp.single_round[0]),
      .half_up_i      (is_pp && f_pp.half_up[0]),
      .fp32_i         (is_pp && f_pp.fp32[0]),
      .zero_point_i   (is_pp ? 32'(f_pp.out_zp) : vreg_q[VRegOutZp]),
      .act_min_i      (is_pp ? f_pp.act_min : act_min),
      .act_max_i      (is_pp ? f_pp.act_max : act_max),
      .valid_o        (unused_valid),
      .out_o          (rq_out[0][c])
    );
  end
  for (genvar s = 0; s < ReqPad; s++) begin : gen_req_pad
    always_ff @(posedge clk_i) if (rq_en) rq_out[s+1] <= rq_out[s];
  end

  // ---- VMACC lane --------------------------------------------------------------
  logic signed [7:0]  vm_w_q [Cols];
  logic signed [7:0]  vm_w_d [Cols];
  logic signed [31:0] vm_q   [Cols];
  logic signed [31:0] vm_d   [Cols];
  always_comb begin
    for (int c = 0; c < Cols; c++) begin
      vm_w_d[c] = pbuf_rdata_i[c];
      vm_d[c]   = (f_vm.accumulate[0] ? acc_rdata_i[c] : 32'sd0) +
                  32'($signed(abuf_a_rdata_i[c]) * vm_w_q[c]);
    end
  end
  always_ff @(posedge clk_i) begin
    if (busy_q && is_vm && cnt == 32'(L)) vm_w_q <= vm_w_d;
    if (busy_q && is_vm)                  vm_q   <= vm_d;
  end

  // ---- VLUT --------------------------------------------------------------------
  // Table read p (cycle p) arrives in cycle p + L and fills bytes
  // [p * 4C, p * 4C + 4C) of the 256-byte table.
  logic [7:0] lut_q [LutBytes];
  logic [7:0] lut_d [LutBytes];
  logic [7:0] lut_out_q [Cols];
  logic [7:0] lut_out_d [Cols];
  logic       lut_load;
  assign lut_load = busy_q && is_lut && in_win(cnt, 32'(L), 32'(LutReads));
  always_comb begin
    for (int c = 0; c < Cols; c++) lut_out_d[c] = lut_q[abuf_a_rdata_i[c] ^ 8'h80];
  end
  always_comb begin
    lut_d = lut_q;
    for (int i = 0; i < LutBytes; i++) begin
      if (32'(i / LutChunk) == cnt - 32'(L)) lut_d[i] = pbuf_rdata_i[i % LutChunk];
    end
  end
  always_ff @(posedge clk_i) begin
    if (lut_load) lut_q <= lut_d;
    if (busy_q && is_lut) lut_out_q <= lut_out_d;
  end

  // ---- pool reducer (MAXPOOL / AVGPOOL) --------------------------------------
  // Tap flags travel with the read (data arrives L = 1 cycle later).
  logic rd_pool_q, rd_first_q, rd_last_q;
  logic fin_valid_q, pool_valid_q;
  logic signed [31:0] pool_acc_q [Cols];
  logic signed [31:0] pool_fin_q [Cols];
  logic signed [7:0]  pool_out_q [Cols];
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rd_pool_q <= 1'b0; rd_first_q <= 1'b0; rd_last_q <= 1'b0;
      fin_valid_q <= 1'b0; pool_valid_q <= 1'b0;
    end else begin
      rd_pool_q    <= a_req && is_pool;
      rd_first_q   <= pool_first;
      rd_last_q    <= pool_last;
      fin_valid_q  <= rd_pool_q && rd_last_q;
      pool_valid_q <= fin_valid_q;
    end
  end
  logic signed [31:0] pool_red_d [Cols];
  logic signed [7:0]  pool_out_d [Cols];
  // Reduction with the tap arriving this cycle.
  always_comb begin
    for (int c = 0; c < Cols; c++) begin
      logic signed [31:0] v;
      v = 32'($signed(abuf_a_rdata_i[c]));
      if (rd_first_q)  pool_red_d[c] = v;
      else if (is_avg) pool_red_d[c] = pool_acc_q[c] + v;
      else             pool_red_d[c] = pool_acc_q[c] > v ? pool_acc_q[c] : v;
    end
  end
  // Stage 2: AVG divide, clamp (a separate block: it does not depend on the
  // read bus, so the simulator does not re-evaluate the dividers every cycle).
  always_comb begin
    for (int c = 0; c < Cols; c++) begin
      logic signed [31:0] s, r;
      logic [31:0] mag, q;
      // TFLite's average: (s +- cnt/2) / cnt, truncating
      // = sign(s) * ((|s| + cnt/2) / cnt); |s| <= 128 * 255 * 255 < 2^23. A
      // divider per lane keeps the contract's 2-cycle latency; a reciprocal
      // multiply set up per instruction would do in silicon.
      s   = pool_fin_q[c];
      mag = s < 0 ? 32'(-s) : 32'(s);
      q   = (mag + 32'(taps[15:1])) / 32'(taps);
      r   = !is_avg ? s : (s > 0 ? $signed(q) : -$signed(q));
      if (r > 32'(act_max))      pool_out_d[c] = act_max;
      else if (r < 32'(act_min)) pool_out_d[c] = act_min;
      else                       pool_out_d[c] = r[7:0];
    end
  end
  always_ff @(posedge clk_i) begin
    if (rd_pool_q)               pool_acc_q <= pool_red_d;
    if (rd_pool_q && rd_last_q)  pool_fin_q <= pool_red_d;
    if (fin_valid_q)             pool_out_q <= pool_out_d;
  end

  // ---- softmax unit (SOFTMAX) ---------------------------------------------------
  // Scalar binary32 datapath, one element per cycle (systole_fp32_pkg, bit-exact
  // with common/float32.cc), beside the per-lane vector datapaths.
  //
  // Exponent table: PBUF read p (cycle p) arrives in p + L and fills entries
  // [p*C, p*C + C) of the 256 x binary32 register file (4C bytes = C
  // little-endian words; entries past 255 of the last read are dropped).
  logic [31:0] sm_tbl_q [SmEntries];
  logic [31:0] sm_tbl_d [SmEntries];
  logic        sm_tbl_load;
  assign sm_tbl_load = busy_q && is_sm && in_win(cnt, 32'(L), 32'(SmReads));
  always_comb begin
    sm_tbl_d = sm_tbl_q;
    if (sm_tbl_load) begin
      for (int k = 0; k < SmEntries; k++) begin
        if (32'(k / Cols) == cnt - 32'(L)) sm_tbl_d[k] = pbuf_words[k % Cols];
      end
    end
  end
  always_ff @(posedge clk_i) begin
    if (sm_tbl_load) sm_tbl_q <= sm_tbl_d;
  end

  // What the element arriving this cycle (byte 0 of port A) was read for.
  logic sm_in_max_q, sm_in_first_q, sm_in_sum_q, sm_in_out_q, sm_we_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      sm_in_max_q <= 1'b0; sm_in_first_q <= 1'b0; sm_in_sum_q <= 1'b0; sm_in_out_q <= 1'b0;
      sm_we_q     <= 1'b0;
    end else begin
      sm_in_max_q   <= sm_rd_max;
      sm_in_first_q <= sm_ph_q == 32'd0;
      sm_in_sum_q   <= sm_rd_sum;
      sm_in_out_q   <= sm_rd_out;
      sm_we_q       <= sm_in_out_q;  // output byte registered (SOFTMAX_LATENCY = 1)
    end
  end

  // The element and its exponent e = T[255 - mx + x] (an index in [0, 255]: x <= mx).
  logic signed [7:0] sm_x, sm_mx_q;
  logic [7:0]        sm_idx;
  logic [31:0]       sm_e;
  assign sm_x   = abuf_a_rdata_i[0];
  assign sm_idx = 8'(10'sd255 - 10'(sm_mx_q) + 10'(sm_x));
  assign sm_e   = sm_tbl_q[sm_idx];

  // Stages of a row: max (signed int8); sum = Add(sum, e) in element order from
  // +0 (reset at the row's first cycle); x = Mul(sum, scale) in d0; inv from the
  // divider; output p = Mul(e, inv), rounded (trunc_round = 0: half away from
  // zero; 1: truncate p + 0.5), + out_zp in 34 bits, clamped to int8.
  logic [31:0] sm_sum_q, sm_xs_q, sm_inv;
  logic [7:0]  sm_out_q;
  always_ff @(posedge clk_i) begin
    if (sm_in_max_q) sm_mx_q <= (sm_in_first_q || sm_x > sm_mx_q) ? sm_x : sm_mx_q;
    if (sm_run && sm_ph_q == 32'd0) sm_sum_q <= 32'd0;
    else if (sm_in_sum_q)           sm_sum_q <= f32_add(sm_sum_q, sm_e);
    if (sm_run && sm_ph_q == sm_d0) sm_xs_q <= f32_mul(sm_sum_q, f_sm.scale);
    if (sm_in_out_q) begin
      logic [31:0]        p, q;
      logic signed [33:0] v;
      p = f32_mul(sm_e, sm_inv);
      q = f_sm.trunc_round[0] ? f32_to_int32(f32_add(p, F32Half), 1'b1) : f32_to_int32(p, 1'b0);
      v = 34'($signed(q)) + 34'(f_sm.out_zp);
      if (v > 34'sd127)       sm_out_q <= 8'h7F;
      else if (v < -34'sd128) sm_out_q <= 8'h80;
      else                    sm_out_q <= v[7:0];
    end
  end

  // inv = 1 / x: sequential restoring divider started in d0 + 1; its result is
  // held from d0 + 1 + 28 <= o0 + 1 (the divider checks its latency) until
  // the next row's start.
  logic sm_div_start, unused_sm_div_done;
  assign sm_div_start = sm_run && sm_ph_q == sm_d0 + 32'd1;
  systole_fp32_div #(.MaxLatency(SoftmaxDivLatency)) u_sm_div (
    .clk_i, .rst_ni,
    .start_i (sm_div_start),
    .a_i     (F32One),
    .b_i     (sm_xs_q),
    .done_o  (unused_sm_div_done),
    .q_o     (sm_inv)
  );

  // ---- ABUF write port -----------------------------------------------------------
  logic [31:0] wr_ptr_q, wr_rem_q, wr_ptr, wr_rem, wr_step;
  logic        we;
  logic [15:0] wlen;
  always_comb begin
    wr_ptr  = wr_ptr_q;
    wr_rem  = busy_q ? wr_rem_q : f_el.len;
    wr_step = 32'(Cols);
    we      = 1'b0;
    wlen    = wr_rem < 32'(Cols) ? 16'(wr_rem) : 16'(Cols);
    abuf_wdata_o = '0;
    unique case (1'b1)
      is_pp: begin
        we = in_win(cnt, 32'(3 + L + RequantLatency), 32'(f_pp.m));
        if (!busy_q) wr_ptr = f_pp.dst_addr;
        wr_step = f_pp.dst_stride;
        wlen    = f_pp.n;
        for (int c = 0; c < Cols; c++) abuf_wdata_o[c] = rq_out[ReqPad][c];
      end
      is_elt: begin
        we = in_win(cnt, 32'(L + EltwiseLatency), chunks);
        if (!busy_q) wr_ptr = f_el.dst;
        for (int c = 0; c < Cols; c++) abuf_wdata_o[c] = rq_out[ReqPad][c];
      end
      is_lut: begin
        we = in_win(cnt, 32'(LutReads + L + LutLatency), chunks);
        if (!busy_q) wr_ptr = f_lut.dst;
        for (int c = 0; c < Cols; c++) abuf_wdata_o[c] = lut_out_q[c];
      end
      is_fill: begin
        we = cnt < chunks;
        if (!busy_q) wr_ptr = f_fill.dst;
        for (int c = 0; c < Cols; c++) abuf_wdata_o[c] = f_fill.value;
      end
      is_pool: begin
        we = pool_valid_q;
        if (!busy_q) wr_ptr = f_pool.dst_addr;
        wr_step = 32'(f_pool.dst_stride);
        wlen    = f_pool.n;
        for (int c = 0; c < Cols; c++) abuf_wdata_o[c] = pool_out_q[c];
      end
      is_sm: begin
        we = sm_we_q;
        if (!busy_q) wr_ptr = f_sm.dst;  // rows are contiguous: dst + r*len + j
        wr_step = 32'd1;
        wlen    = 16'd1;
        abuf_wdata_o[0] = sm_out_q;
      end
      default: ;
    endcase
    we = we && active;
  end
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wr_ptr_q <= '0;
      wr_rem_q <= '0;
    end else if (accept) begin
      // Pools write their first pixel long after the accept cycle.
      wr_ptr_q <= we ? wr_ptr + wr_step : wr_ptr;
      wr_rem_q <= we ? wr_rem - 32'(wlen) : wr_rem;
    end else if (we) begin
      wr_ptr_q <= wr_ptr + wr_step;
      wr_rem_q <= wr_rem - 32'(wlen);
    end
  end
  assign abuf_we_o    = we;
  assign abuf_waddr_o = wr_ptr;
  assign abuf_wlen_o  = wlen;

  // ---- ACC ports -------------------------------------------------------------------
  // MATMUL: read row i in i + R + C - 1 (accumulate), write in i + L + R + C - 1.
  // POSTPROC: read row i in 3 + i. VMACC: read row i in 1 + i, write in 3 + i.
  logic [31:0] acc_rd_q, acc_wr_q, acc_rd, acc_wr;
  logic        acc_re, acc_we;
  assign acc_rd = busy_q ? acc_rd_q : f_mm.acc_addr;  // same field in MATMUL/POSTPROC/VMACC
  assign acc_wr = busy_q ? acc_wr_q : f_mm.acc_addr;
  always_comb begin
    acc_re = 1'b0;
    acc_we = 1'b0;
    unique case (1'b1)
      is_mm: begin
        acc_re = f_mm.accumulate[0] && in_win(cnt, 32'(ArrayLat), 32'(f_mm.m));
        acc_we = in_win(cnt, 32'(ArrayLat + L), 32'(f_mm.m));
      end
      is_pp: acc_re = in_win(cnt, 32'd3, 32'(f_pp.m));
      is_vm: begin
        acc_re = in_win(cnt, 32'd1, 32'(f_vm.m));
        acc_we = in_win(cnt, 32'(1 + L + VmaccLatency), 32'(f_vm.m));
      end
      default: ;
    endcase
    acc_re = acc_re && active;
    acc_we = acc_we && active;
  end
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      acc_rd_q <= '0;
      acc_wr_q <= '0;
    end else if (active) begin
      acc_rd_q <= acc_re ? acc_rd + 32'd1 : acc_rd;
      acc_wr_q <= acc_we ? acc_wr + 32'd1 : acc_wr;
    end
  end
  assign acc_re_o    = acc_re;
  assign acc_raddr_o = acc_rd;
  assign acc_we_o    = acc_we;
  assign acc_waddr_o = acc_wr;
  always_comb begin
    for (int c = 0; c < Cols; c++) begin
      if (is_mm) begin
        acc_wmask_o[c] = 1'b1;
        acc_wdata_o[c] = (f_mm.accumulate[0] ? acc_rdata_i[c] : 32'd0) + arr_out[c];
      end else begin
        acc_wmask_o[c] = 32'(c) < 32'(f_vm.n);
        acc_wdata_o[c] = vm_q[c];
      end
    end
  end

  // Deliberately unused: the array's own valid flag (the sequencer knows when
  // results are due), bytes of the wide read buses beyond what a lane uses.
  logic unused_ok;
  assign unused_ok = ^{unused_arr_valid, abuf_a_rdata_i, pbuf_rdata_i, abuf_b_rdata_i, insn_q,
                       f_set, f_fill, f_lut, f_pool, f_vm, f_pp, f_el, f_lw, f_mm, f_sm,
                       unused_sm_div_done};
endmodule
