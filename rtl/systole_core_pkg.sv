// systole_core_pkg: types and helpers shared by the units of the compute core
// (systole_core.sv and the modules it wires together). No constants: those come
// from the ISA package (systole_isa_pkg, generated from schema/isa/isa.json).
package systole_core_pkg;
  // Which datapath the current instruction drives: one-hot, or all zero for
  // NOP, SETREG and opcodes outside the COMPUTE unit (decoded by systole_seq).
  typedef struct packed {
    logic l2;    // VL2NORM (first: the other members keep their bits)
    logic vw;    // VMACC_WIDE
    logic lw;    // LOAD_WEIGHTS
    logic mm;    // MATMUL
    logic pp;    // POSTPROC
    logic vm;    // VMACC
    logic elt;   // VADD, VSUB, VMUL
    logic lut;   // VLUT
    logic fill;  // VFILL
    logic pool;  // MAXPOOL, AVGPOOL
    logic sm;    // SOFTMAX
  } op_class_t;

  // The cycle c lies in the window lo <= c < lo + n (no overflow for any n).
  function automatic logic in_win(logic [31:0] c, logic [31:0] lo, logic [31:0] n);
    return c >= lo && c - lo < n;
  endfunction

  // One past the last byte of `count` runs of `width` bytes laid out as runs
  // of `inner` (0 counts as 1), `stride` apart, the runs `outer` apart: the
  // ABUF end of a MATMUL's reads and of a 2-D POSTPROC's writes (PatternEnd
  // in arch/validate.cc; 64-bit, wrapping like it). count >= 1.
  function automatic logic [63:0] pattern_end(logic [63:0] base, logic [63:0] count,
                                              logic [63:0] inner, logic [63:0] stride,
                                              logic [63:0] outer, logic [63:0] width);
    logic [63:0] in1, runs, per_run;
    in1     = inner == 64'd0 ? 64'd1 : inner;
    runs    = (count + in1 - 64'd1) / in1;
    per_run = count < in1 ? count : in1;
    return base + (runs - 64'd1) * outer + (per_run - 64'd1) * stride + width;
  endfunction
endpackage
