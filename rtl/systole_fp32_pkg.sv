// IEEE-754 binary32 arithmetic in integer logic, as combinational functions:
// the float operations of the SOFTMAX unit and of POSTPROC's fp32
// requantization (docs/ISA.md), bit-exact with common/float32.{h,cc}, which is
// the normative C++ definition. Same rules: round to nearest, ties to even;
// subnormal inputs and results kept (no flush to zero); every NaN result is the
// one quiet NaN 32'h7FC00000; float -> int32 conversions saturate and give 0
// for NaN.
//
//   f32_add, f32_mul (also split in two: f32_mul_wide, the exact product, and
//   f32_mul_finish), f32_to_int32 (round half away from zero / truncate),
//   f32_to_int32_even (round half to even), f32_from_int32, and
//   f32_round_pack, the one rounding and packing step every operation ends with.
//
// The callers' datapaths are these functions; the divider is a module
// (systole_fp32_div.sv) and both are unit-tested through systole_fp32.sv.
// The functions mirror float32.cc step by step (same names in comments), so a
// reader can check one against the other.
package systole_fp32_pkg;
  // The one quiet NaN every NaN result is. (The package holds no other
  // constants: each model that imports it uses all of its parameters, so it
  // needs no UNUSEDPARAM waiver. 1.0f and 0.5f live with the softmax unit, the
  // divider's latency with the divider.)
  localparam logic [31:0] F32NaN = 32'h7FC0_0000;

  // A finite value as sign, integer significand and exponent:
  // value = (-1)^sign * sig * 2^exp, sig < 2^24 (float32.cc: Unpacked).
  typedef struct packed {
    logic        sign;
    int          exp;
    logic [23:0] sig;
  } f32_unpacked_t;

  // (The sign is masked off, not sliced away, so that every bit of a is used.)
  function automatic logic f32_is_nan(logic [31:0] a);
    return (a & 32'h7F80_0000) == 32'h7F80_0000 && (a & 32'h007F_FFFF) != 32'd0;
  endfunction
  function automatic logic f32_is_inf(logic [31:0] a);
    return (a & 32'h7FFF_FFFF) == 32'h7F80_0000;
  endfunction
  function automatic logic f32_is_zero(logic [31:0] a);
    return (a & 32'h7FFF_FFFF) == 32'd0;
  endfunction

  // Unpack: subnormals (and zero) have exponent -149 and no hidden bit.
  function automatic f32_unpacked_t f32_unpack(logic [31:0] a);
    f32_unpacked_t u;
    u.sign = a[31];
    if (a[30:23] == 8'd0) begin
      u.exp = -149;
      u.sig = {1'b0, a[22:0]};
    end else begin
      u.exp = int'({24'd0, a[30:23]}) - 150;
      u.sig = {1'b1, a[22:0]};
    end
    return u;
  endfunction

  // Number of significant bits of m (0 for m = 0): a priority encoder.
  function automatic int f32_bit_length(logic [63:0] m);
    int n;
    n = 0;
    for (int i = 0; i < 64; i++) begin
      if (m[i]) n = i + 1;
    end
    return n;
  endfunction

  // RoundPack: rounds (-1)^sign * m * 2^e to binary32, ties to even. m is exact,
  // or has the bits it lost jammed into bit 0 at least two bits below the
  // rounding position. The result keeps 24 significant bits, but its least
  // significant bit never lies below the subnormal quantum 2^-149.
  function automatic logic [31:0] f32_round_pack(logic sign, int e, logic [63:0] m);
    int           lsb, drop;
    logic [127:0] wide;
    logic [24:0]  q;           // the kept significand, < 2^24 (2^24 after a carry)
    logic         half, below;
    if (m == 64'd0) return {sign, 31'd0};
    lsb = e + f32_bit_length(m) - 24;
    if (lsb < -149) lsb = -149;
    drop = lsb - e;            // bits of m below the result's lsb
    if (drop <= 0) begin
      q = 25'(m << (-drop));   // exact: at most 24 bits
    end else begin
      // m . 0 shifted right by drop: q = the kept bits, half = the first
      // dropped bit, below = any dropped bit after it (drop > 64 leaves 0).
      wide  = {m, 64'd0} >> drop;
      q     = 25'(wide[127:64]);
      half  = wide[63];
      below = |wide[62:0];
      if (half && (below || q[0])) q = q + 25'd1;
    end
    if (q[24]) begin           // rounding carried out of the significand
      q   = q >> 1;
      lsb = lsb + 1;
    end
    if (q[23]) begin           // normal
      if (lsb + 150 >= 255) return {sign, 8'hFF, 23'd0};
      return {sign, 8'(lsb + 150), q[22:0]};
    end
    return {sign, 8'd0, q[22:0]};  // subnormal or zero (lsb = -149)
  endfunction

  // Add. |x| >= |y| after the swap; y is aligned to x with x shifted left by
  // s <= 40 bits and y's bits below x's new quantum jammed into bit 0.
  function automatic logic [31:0] f32_add(logic [31:0] a, logic [31:0] b);
    f32_unpacked_t x, y, t;
    int            d, s, rshift;
    logic [63:0]   xm, ym, m;
    logic          lost;
    if (f32_is_nan(a) || f32_is_nan(b)) return F32NaN;
    if (f32_is_inf(a) || f32_is_inf(b)) begin
      if (f32_is_inf(a) && f32_is_inf(b) && a != b) return F32NaN;  // inf - inf
      return f32_is_inf(a) ? a : b;
    end
    x = f32_unpack(a);
    y = f32_unpack(b);
    if (x.exp < y.exp || (x.exp == y.exp && x.sig < y.sig)) begin
      t = x;
      x = y;
      y = t;
    end
    d  = x.exp - y.exp;
    s  = d < 40 ? d : 40;
    xm = 64'(x.sig) << s;
    ym = 64'(y.sig);
    rshift = d - s;
    if (rshift > 0) begin      // shifts of 64 and more give 0 (lost = all of ym)
      lost = (ym & ((64'd1 << rshift) - 64'd1)) != 64'd0;
      ym   = (ym >> rshift) | {63'd0, lost};
    end
    if (x.sign == y.sign) return f32_round_pack(x.sign, x.exp - s, xm + ym);
    m = xm - ym;               // xm >= ym
    if (m == 64'd0) return 32'd0;  // exact cancellation is +0 (ties to even)
    return f32_round_pack(x.sign, x.exp - s, m);
  endfunction

  // Multiply: the exact 48-bit product, rounded once. Split in two steps so
  // that a pipeline can register the product (POSTPROC fp32): f32_mul_wide
  // resolves the special operands and forms (-1)^sign * prod * 2^exp exactly;
  // f32_mul_finish rounds it. f32_mul is the two back to back.
  typedef struct packed {
    logic        special;      // NaN or infinite operand: the result is special_res
    logic [31:0] special_res;
    logic        sign;
    int          exp;
    logic [47:0] prod;
  } f32_mul_wide_t;

  function automatic f32_mul_wide_t f32_mul_wide(logic [31:0] a, logic [31:0] b);
    f32_unpacked_t x, y;
    f32_mul_wide_t w;
    x = f32_unpack(a);
    y = f32_unpack(b);
    w.sign        = x.sign ^ y.sign;
    w.exp         = x.exp + y.exp;
    w.prod        = 48'(x.sig) * 48'(y.sig);
    w.special     = 1'b1;
    w.special_res = F32NaN;
    if (f32_is_nan(a) || f32_is_nan(b)) w.special_res = F32NaN;
    else if (f32_is_inf(a) || f32_is_inf(b))
      w.special_res = (f32_is_zero(a) || f32_is_zero(b)) ? F32NaN           // inf * 0
                                                          : {w.sign, 31'h7F80_0000};
    else w.special = 1'b0;
    return w;
  endfunction

  function automatic logic [31:0] f32_mul_finish(f32_mul_wide_t w);
    if (w.special) return w.special_res;
    return f32_round_pack(w.sign, w.exp, 64'(w.prod));
  endfunction

  function automatic logic [31:0] f32_mul(logic [31:0] a, logic [31:0] b);
    return f32_mul_finish(f32_mul_wide(a, b));
  endfunction

  // FromInt32: int32 -> binary32, ties to even. |v| is exact in 32 bits
  // (2^31 for the most negative v); f32_round_pack keeps 24 of them.
  function automatic logic [31:0] f32_from_int32(logic [31:0] v);
    logic [31:0] mag;
    mag = v[31] ? 32'd0 - v : v;
    return f32_round_pack(v[31], 0, 64'(mag));
  endfunction

  // ToInt32: a rounded to an integer by `mode`, saturated to int32; NaN gives 0.
  // |a| >= 2^32 is clamped to 2^33 first (enough to saturate).
  typedef enum logic [1:0] {
    F32RoundHalfAway = 2'd0,  // std::round
    F32RoundTrunc    = 2'd1,  // toward zero, a C cast
    F32RoundHalfEven = 2'd2   // std::nearbyint / lrintf in the default mode
  } f32_round_t;

  function automatic logic [31:0] f32_to_int32_mode(logic [31:0] a, f32_round_t mode);
    f32_unpacked_t        u;
    logic [33:0]          mag;
    logic [23:0]          kept;
    logic                 half, below;
    logic signed [34:0]   v;
    half  = 1'b0;
    below = 1'b0;
    kept  = '0;
    if (f32_is_nan(a)) return 32'd0;
    if (f32_is_inf(a)) return a[31] ? 32'h8000_0000 : 32'h7FFF_FFFF;
    u = f32_unpack(a);
    if (u.exp >= 9) begin
      mag = 34'h2_0000_0000;   // 2^33
    end else if (u.exp >= 0) begin
      mag = 34'(u.sig) << u.exp;
    end else if (u.exp <= -26) begin
      mag = 34'd0;             // |a| < 2^-2
    end else begin
      kept  = u.sig >> (-u.exp);
      mag   = 34'(kept);
      half  = (u.sig & (24'd1 << (-u.exp - 1))) != 24'd0;          // the first dropped bit
      below = (u.sig & ((24'd1 << (-u.exp - 1)) - 24'd1)) != 24'd0;  // any dropped bit after it
      // half away from zero: add the first dropped bit (weight 1/2);
      // half to even: add it when it is not an exact tie or kept is odd
      if (mode == F32RoundHalfAway && half) mag = mag + 34'd1;
      if (mode == F32RoundHalfEven && half && (below || kept[0])) mag = mag + 34'd1;
    end
    v = u.sign ? -$signed({1'b0, mag}) : $signed({1'b0, mag});
    if (v > 35'sh0_7FFF_FFFF) return 32'h7FFF_FFFF;
    if (v < -35'sh0_8000_0000) return 32'h8000_0000;
    return v[31:0];
  endfunction

  // trunc = 0: half away from zero (std::round); trunc = 1: toward zero.
  function automatic logic [31:0] f32_to_int32(logic [31:0] a, logic trunc);
    return f32_to_int32_mode(a, trunc ? F32RoundTrunc : F32RoundHalfAway);
  endfunction

  // Round half to even (x86 cvtps2dq), saturating, NaN gives 0.
  function automatic logic [31:0] f32_to_int32_even(logic [31:0] a);
    return f32_to_int32_mode(a, F32RoundHalfEven);
  endfunction
endpackage

