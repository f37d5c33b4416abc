// RESIZE_BILINEAR as weighted sums of neighbour pixels on the vector unit:
// VMACC per (row group, column run, tap) with the tap's weight in every lane,
// then POSTPROC rounds the sum back to 8 bits. Bit-exact with the CPU kernel
// (interpreter/kernels/resize.cc) for each of TFLite's arithmetic paths:
//
//  * INT8 (reference_ops::ResizeBilinearInteger): per axis 10-bit weights
//    w0 = 1024 - f, w1 = f; out = round_half_away(sum v * wy * wx / 2^20)
//    (int64, exact). On the device: per axis the weights are divided by
//    their largest common power of two (2^jy, 2^jx), so the sum is over
//    2^K, K = 20 - jy - jx; the taps accumulate v * 2 * wy' * wx' (int32)
//    and POSTPROC's two-step requantization with multiplier 2^30 and shift
//    -K gives SRDHM(2a, 2^30) = a exactly, then RoundingDivideByPOT(a, K) =
//    round half away from zero.
//  * UINT8 (optimized_ops::ResizeBilinear, float weights, out =
//    trunc(((v0 w0 + v1 w1) + v2 w2) + v3 w3 + 0.5f)): taken only when every
//    float product and partial sum is exact, i.e. the weights are dyadic
//    m / 2^K with 255 * sum|w| * 2^K < 2^24 (integer scale factors and the
//    like); then out = floor((sum v m + 2^(K-1)) / 2^K), POSTPROC's single
//    rounding with multiplier 2^30 and shift 1 - K. Other scales would need
//    binary32 arithmetic the device does not have: refused with that reason,
//    except where every output pixel reads a single input pixel (a 1x1 input,
//    say): the float sum is then v up to far less than 0.5, a copy.
//  * The xnnpack flavor where TFLite's XNNPACK delegate takes the node: q11
//    weights (2048 - a, a) per axis, out = (sum v W + 2^21) >> 22, the same
//    single rounding.
// UINT8 lives on the device as v - 128; the weights sum to 2^K, so the
// offset passes through unchanged. Taps reading the same pixel (clamped
// edges) are merged first. A tap weight beyond int8 is written as signed
// 8-bit digits times powers of two, one VMACC per digit with the digit's
// power in the w_shift field (ISA 5): at most 3 VMACCs for the integer path's
// 2^21 and XNNPACK's 2^22, so every INT8 scale maps.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <vector>

#include "compiler/ops/op.h"
#include "interpreter/quant_arith.h"
#include "schema/tflite_generated.h"

namespace systole::compiler {
namespace {

constexpr int kMaxPartsPerTap = 4;  // VMACCs per tap: signed 8-bit digits of a weight below 2^25
constexpr int kMaxWShift = 24;      // VMACC's w_shift range

// A tap weight as int8 digits d_j and shifts s_j, w = sum d_j * 2^s_j, the
// fewest digits found by stripping trailing zeros and taking the signed low
// byte.
struct WeightPart {
  int8_t digit;
  int shift;
};

std::vector<WeightPart> WeightParts(int64_t w) {
  std::vector<WeightPart> parts;
  int shift = 0;
  while (w != 0) {
    while (w % 2 == 0) w /= 2, ++shift;
    const int64_t low = ((w % 256) + 256) % 256;
    const int64_t d = low >= 128 ? low - 256 : low;
    parts.push_back({static_cast<int8_t>(d), shift});
    w = (w - d) / 256;
    shift += 8;
  }
  return parts;
}

// One output coordinate's source taps along an axis (merged, 1 or 2).
struct AxisTaps {
  int n = 0;
  int src[2] = {0, 0};
  int64_t w[2] = {0, 0};  // numerators over the axis denominator
};

// The per-axis taps of every output coordinate, over 2^bits.
struct Axis {
  std::vector<AxisTaps> taps;
  int bits = 0;
};

enum class Path { kInteger10, kFloat, kXnnpackQ11 };

struct Plan {
  Path path = Path::kInteger10;
  Axis y, x;
  int factor = 1;  // weight multiplier (2 for the integer path, see above)
  Requant requant = Requant::kTwoStep;
  int32_t shift = 0;
};

void AddTap(AxisTaps* t, int src, int64_t w) {
  for (int i = 0; i < t->n; ++i)
    if (t->src[i] == src) {
      t->w[i] += w;
      return;
    }
  t->src[t->n] = src;
  t->w[t->n] = w;
  ++t->n;
}

// Drops weightless taps and divides the axis by its weights' common power of two.
void Reduce(Axis* a) {
  int shift = a->bits;
  for (AxisTaps& t : a->taps) {
    int k = 0;
    for (int i = 0; i < t.n; ++i)
      if (t.w[i] != 0) t.src[k] = t.src[i], t.w[k++] = t.w[i];
    t.n = k;
    for (int i = 0; i < t.n; ++i) {
      int z = 0;
      while (z < shift && (t.w[i] >> z) % 2 == 0) ++z;
      shift = std::min(shift, z);
    }
  }
  for (AxisTaps& t : a->taps)
    for (int i = 0; i < t.n; ++i) t.w[i] >>= shift;
  a->bits -= shift;
}

// reference_ops::ResizeBilinearInteger's taps along one axis.
StatusOr<Axis> Integer10Axis(int in, int out, bool align_corners, bool half_pixel) {
  const int32_t scale = align_corners && out > 1 ? ((1 << 10) * (in - 1) + (out - 1) / 2) / (out - 1)
                                                 : ((1 << 10) * in + out / 2) / out;
  Axis a;
  a.bits = 10;
  for (int o = 0; o < out; ++o) {
    const int32_t scaled = half_pixel ? o * scale + scale / 2 - (1 << 9) : o * scale;
    const int32_t lower = std::max(scaled / (1 << 10), 0);
    const int32_t upper = std::min((scaled + (1 << 10) - 1) / (1 << 10), in - 1);
    if (lower > in - 1) return Unimplemented("source index %d beyond the input's %d", lower, in);
    const int64_t f = scaled - (1 << 10) * lower;
    AxisTaps t;
    AddTap(&t, lower, (1 << 10) - f);
    AddTap(&t, upper, f);
    a.taps.push_back(t);
  }
  return a;
}

// optimized_ops::ResizeBilinear's float taps along one axis, when each
// weight is a dyadic rational (else an empty axis).
struct FloatAxis {
  std::vector<int> lo, hi;
  std::vector<float> d;  // fraction (may be negative at a clamped edge)
};

FloatAxis FloatTaps(int in, int out, bool align_corners, bool half_pixel) {
  const float scale = align_corners && out > 1 ? static_cast<float>(in - 1) / static_cast<float>(out - 1)
                                               : static_cast<float>(in) / static_cast<float>(out);
  FloatAxis a;
  for (int o = 0; o < out; ++o) {
    float s;
    if (half_pixel) {
      const float centered = static_cast<float>(o) + 0.5f;
      const float scaled_centered = centered * scale;
      s = scaled_centered - 0.5f;
    } else {
      s = static_cast<float>(o) * scale;
    }
    const int lower = std::max(static_cast<int32_t>(std::floor(s)), 0);
    const int upper = std::min(static_cast<int32_t>(std::ceil(s)), in - 1);
    a.lo.push_back(lower);
    a.hi.push_back(upper);
    a.d.push_back(s - static_cast<float>(lower));
  }
  return a;
}

// The exponent k <= 24 with x * 2^k an integer, or -1.
int DyadicBits(double x) {
  for (int k = 0; k <= 24; ++k) {
    const double s = std::ldexp(x, k);
    if (s == std::floor(s)) return k;
  }
  return -1;
}

StatusOr<Plan> MakePlan(TfliteFlavor flavor, bool xnnpack_takes, const TfLiteTensor* input, const TfLiteTensor* size,
                        bool align_corners, bool half_pixel) {
  const std::vector<int> id = Dims(input);
  const int in_h = id[1], in_w = id[2];
  const int out_h = size->data.i32[0], out_w = size->data.i32[1];
  if (out_h <= 0 || out_w <= 0 || in_h <= 0 || in_w <= 0 || out_h >= (1 << 14) || out_w >= (1 << 14) ||
      in_h >= (1 << 14) || in_w >= (1 << 14))
    return Unimplemented("sizes %dx%d -> %dx%d outside 1..16383", in_h, in_w, out_h, out_w);
  if (align_corners && half_pixel) return Unimplemented("align_corners and half_pixel_centers both set");
  Plan p;
  if (flavor == TfliteFlavor::kXnnpack && xnnpack_takes) {
    // XNNPACK's q11 indirection (kernels/resize.cc XnnpackTap).
    p.path = Path::kXnnpackQ11;
    const bool legacy = align_corners || !half_pixel;
    auto axis = [&](int in, int out) {
      const int32_t adjustment = (align_corners && out != 1) ? 1 : 0;
      const float scale = static_cast<float>(in - adjustment) / static_cast<float>(out - adjustment);
      Axis a;
      a.bits = 11;
      for (int o = 0; o < out; ++o) {
        float pos;
        if (legacy) {
          pos = static_cast<float>(o) * scale;
        } else {
          pos = static_cast<float>(o) * scale + (0.5f * scale - 0.5f);
          pos = std::min(std::max(pos, 0.0f), static_cast<float>(in - 1));
        }
        const int lo = static_cast<int>(static_cast<int32_t>(pos));
        const int hi = std::min(lo + 1, in - 1);
        const int32_t alpha = static_cast<int16_t>(std::lrint((pos - static_cast<float>(lo)) * 2048.0f));
        AxisTaps t;
        AddTap(&t, lo, 2048 - alpha);
        AddTap(&t, hi, alpha);
        a.taps.push_back(t);
      }
      return a;
    };
    p.y = axis(in_h, out_h);
    p.x = axis(in_w, out_w);
    p.factor = 1;
  } else if (input->type == kTfLiteInt8) {
    p.path = Path::kInteger10;
    ASSIGN_OR_RETURN(p.y, Integer10Axis(in_h, out_h, align_corners, half_pixel));
    ASSIGN_OR_RETURN(p.x, Integer10Axis(in_w, out_w, align_corners, half_pixel));
    p.factor = 2;
  } else {
    p.path = Path::kFloat;
    const FloatAxis fy = FloatTaps(in_h, out_h, align_corners, half_pixel);
    const FloatAxis fx = FloatTaps(in_w, out_w, align_corners, half_pixel);
    // Every output pixel reading one input pixel (lower == upper on both
    // axes, e.g. a 1x1 input): the four float products of v sum to v within
    // a few binary32 ulps of 255 whatever the weights, so trunc(sum + 0.5) = v, a copy.
    auto single_source = [](const FloatAxis& a) {
      for (size_t o = 0; o < a.lo.size(); ++o)
        if (a.lo[o] != a.hi[o]) return false;
      return true;
    };
    if (single_source(fy) && single_source(fx)) {
      auto copy_axis = [](const FloatAxis& f) {
        Axis a;
        for (int src : f.lo) {
          AxisTaps t;
          AddTap(&t, src, 1);
          a.taps.push_back(t);
        }
        return a;
      };
      p.y = copy_axis(fy);
      p.x = copy_axis(fx);
      p.factor = 1;
      p.requant = Requant::kSingle;
      p.shift = 1;
      return p;
    }
    // Every fraction dyadic; the 2-D float weights (one_dy * one_dx, ...)
    // then exact products of the per-axis ones.
    auto axis_bits = [](const FloatAxis& a) {
      int bits = 0;
      for (float d : a.d) {
        const int b = std::max(DyadicBits(d), DyadicBits(1.0f - d));
        if (DyadicBits(d) < 0 || DyadicBits(1.0f - d) < 0) return -1;
        bits = std::max(bits, b);
      }
      return bits;
    };
    const int by = axis_bits(fy), bx = axis_bits(fx);
    if (by < 0 || bx < 0)
      return Unimplemented(
          "UINT8 takes TFLite's float-weight kernel (optimized_ops::ResizeBilinear): at %dx%d -> %dx%d its "
          "interpolation fractions are not dyadic (not m / 2^k, k <= 24), so its binary32 products and sums "
          "round in ways the integer vector unit cannot reproduce (INT8, which TFLite computes in fixed "
          "point, maps at every scale)",
          in_h, in_w, out_h, out_w);
    double max_abs_sum = 0;
    auto make = [](const FloatAxis& f, int bits) {
      Axis a;
      a.bits = bits;
      for (size_t o = 0; o < f.d.size(); ++o) {
        AxisTaps t;
        AddTap(&t, f.lo[o], static_cast<int64_t>(std::ldexp(1.0 - static_cast<double>(f.d[o]), bits)));
        AddTap(&t, f.hi[o], static_cast<int64_t>(std::ldexp(static_cast<double>(f.d[o]), bits)));
        a.taps.push_back(t);
      }
      return a;
    };
    // Each float weight product one_dy * one_dx must be exact, and every
    // partial sum (bounded by 255 * sum|w|) must fit binary32's 24 bits at
    // 2^-(by+bx) resolution.
    for (size_t yo = 0; yo < fy.d.size(); ++yo)
      for (size_t xo = 0; xo < fx.d.size(); ++xo) {
        const float wy[2] = {1.0f - fy.d[yo], fy.d[yo]};
        const float wx[2] = {1.0f - fx.d[xo], fx.d[xo]};
        double s = 0;
        for (float a : wy)
          for (float b : wx) {
            if (static_cast<double>(a * b) != static_cast<double>(a) * static_cast<double>(b))
              return Unimplemented(
                  "UINT8 takes TFLite's float-weight kernel: at %dx%d -> %dx%d its binary32 weight products "
                  "round (not reproducible by the integer vector unit)",
                  in_h, in_w, out_h, out_w);
            s += std::fabs(static_cast<double>(a) * static_cast<double>(b));
          }
        max_abs_sum = std::max(max_abs_sum, s);
      }
    if (std::ldexp(255.0 * max_abs_sum + 1.0, by + bx) >= std::ldexp(1.0, 24))
      return Unimplemented(
          "UINT8 takes TFLite's float-weight kernel: at %dx%d -> %dx%d its interpolation needs %d fractional "
          "bits, so its binary32 sums (24-bit significand) round (not reproducible by the integer vector unit)",
          in_h, in_w, out_h, out_w, by + bx);
    p.y = make(fy, by);
    p.x = make(fx, bx);
    p.factor = 1;
  }
  Reduce(&p.y);
  Reduce(&p.x);
  const int k = p.y.bits + p.x.bits;
  if (p.path == Path::kInteger10) {
    p.requant = Requant::kTwoStep;
    p.shift = -k;
  } else {
    p.requant = Requant::kSingle;
    p.shift = 1 - k;
  }
  // Every 2-D tap weight within kMaxPartsPerTap int8 digits and VMACC's
  // shift range (always so: the weights stay below 2^23).
  for (const AxisTaps& ty : p.y.taps)
    for (int a = 0; a < ty.n; ++a)
      for (const AxisTaps& tx : p.x.taps)
        for (int b = 0; b < tx.n; ++b) {
          const std::vector<WeightPart> parts = WeightParts(ty.w[a] * tx.w[b] * p.factor);
          if (parts.size() > kMaxPartsPerTap || (!parts.empty() && parts.back().shift > kMaxWShift))
            return Unimplemented("%dx%d -> %dx%d: tap weight %lld beyond %d int8 digits of the vector unit", in_h,
                                 in_w, out_h, out_w, static_cast<long long>(ty.w[a] * tx.w[b] * p.factor),
                                 kMaxPartsPerTap);
        }
  return p;
}

// Signature of an axis coordinate: its weights (the sources may differ).
std::vector<int64_t> Signature(const AxisTaps& t) { return std::vector<int64_t>(t.w, t.w + t.n); }

// Affine runs of coordinates sharing a signature: coordinates o_j = o0 + j * so
// with every tap's source src_t(j) = s_t + j * ss_t.
struct Run {
  int o0 = 0, so = 1, len = 0;
  int s0[2] = {0, 0}, ss[2] = {0, 0};
};

std::vector<Run> Runs(const Axis& a, int max_len) {
  std::map<std::vector<int64_t>, std::vector<int>> classes;
  for (int o = 0; o < static_cast<int>(a.taps.size()); ++o) classes[Signature(a.taps[o])].push_back(o);
  std::vector<Run> runs;
  for (const auto& [sig, members] : classes) {
    Run r;
    for (int o : members) {
      const AxisTaps& t = a.taps[o];
      bool fits = r.len > 0 && r.len < max_len;
      if (fits && r.len == 1) {
        // The second member fixes the steps.
        r.so = o - r.o0;
        for (int i = 0; i < t.n; ++i) {
          r.ss[i] = t.src[i] - r.s0[i];
          if (r.ss[i] < 0) fits = false;
        }
        if (!fits) r.so = 1, r.ss[0] = r.ss[1] = 0;
      } else if (fits) {
        fits = o == r.o0 + r.len * r.so;
        for (int i = 0; i < t.n && fits; ++i) fits = t.src[i] == r.s0[i] + r.len * r.ss[i];
      }
      if (fits) {
        ++r.len;
        continue;
      }
      if (r.len > 0) runs.push_back(r);
      r = Run{};
      r.o0 = o;
      r.len = 1;
      for (int i = 0; i < t.n; ++i) r.s0[i] = t.src[i];
    }
    if (r.len > 0) runs.push_back(r);
  }
  return runs;
}

StatusOr<Plan> PlanFor(TfliteFlavor flavor, bool xnnpack_takes, const TfLiteTensor* input, const TfLiteTensor* size,
                       const TfLiteResizeBilinearParams* p) {
  return MakePlan(flavor, xnnpack_takes, input, size, p != nullptr && p->align_corners,
                  p != nullptr && p->half_pixel_centers);
}

}  // namespace

Status CheckResizeBilinear(const OpChecker& op) {
  RETURN_IF_ERROR(op.Activations(1));
  RETURN_IF_ERROR(op.Image(op.In(0), "input"));
  const TfLiteTensor* size = op.In(1);
  if (size == nullptr || !IsConstant(size) || size->type != kTfLiteInt32 || NumElements(size) != 2)
    return op.Fail("size must be a constant INT32 tensor of 2 elements");
  const std::vector<int> id = Dims(op.In(0)), od = Dims(op.Out(0));
  if (od.size() != 4 || od[1] != size->data.i32[0] || od[2] != size->data.i32[1] || od[3] != id[3])
    return op.Fail("output shape does not match the size input");
  const auto* p = static_cast<const TfLiteResizeBilinearParams*>(op.node()->builtin_data);
  const bool xnn = quant_arith::XnnpackTakesNode(op.context(), op.node(), op.code());
  StatusOr<Plan> plan = PlanFor(op.flavor(), xnn, op.In(0), size, p);
  if (!plan.ok()) return op.Fail(plan.status().message());
  return Status::Ok();
}

Status PlanResizeBilinear(PartitionCompiler&, int, LayoutPhase) { return Status::Ok(); }  // no layout needs

Status LowerResizeBilinear(PartitionCompiler& pc, int step, OpCode* oc) {
  const TfLiteTensor* input = pc.T(pc.in(step, 0));
  const auto* params = static_cast<const TfLiteResizeBilinearParams*>(pc.node(step)->builtin_data);
  const bool xnn = pc.opts_.flavor == TfliteFlavor::kXnnpack && pc.XnnpackTakes(step);
  StatusOr<Plan> planned = PlanFor(pc.opts_.flavor, xnn, input, pc.T(pc.in(step, 1)), params);
  if (!planned.ok()) return pc.OpError(step, planned.status().message());
  const Plan& plan = *planned;
  const View& iv = pc.ts_[pc.in(step, 0)].view;
  const View& ov = pc.ts_[pc.out(step)].view;
  const int ch = iv.c;
  const int lanes = std::min(pc.C_, ch);
  const int acc_rows = static_cast<int>(std::min<uint32_t>(pc.hw_.acc_rows, 65535));

  // Parameters: one lanes-wide vector per int8 weight part, then the
  // requantization tiles (bias 0, multiplier 2^30, the path's shift).
  std::vector<uint8_t>& P = oc->params;
  std::map<int, uint32_t> part_at;
  struct PartAt {
    uint32_t addr;
    uint32_t shift;
  };
  auto parts_of = [&](int64_t w) {
    std::vector<PartAt> at;
    for (const WeightPart& part : WeightParts(w)) {
      const int v = part.digit;
      auto it = part_at.find(v);
      if (it == part_at.end()) {
        it = part_at.emplace(v, static_cast<uint32_t>(P.size())).first;
        P.insert(P.end(), static_cast<size_t>(lanes), static_cast<uint8_t>(static_cast<int8_t>(v)));
      }
      at.push_back({it->second, static_cast<uint32_t>(part.shift)});
    }
    return at;
  };
  const std::vector<uint32_t> tile_at = AddRequantTiles(
      &P, ch, pc.C_, [](int) { return 0; }, [](int) { return int32_t{1} << 30; },
      [&](int) { return plan.shift; });

  const std::vector<Run> yruns = Runs(plan.y, 65535);
  for (int t = 0, c0 = 0; c0 < ch; c0 += pc.C_, ++t) {
    const int n = std::min(pc.C_, ch - c0);
    for (const Run& yr : yruns) {
      const AxisTaps& ty = plan.y.taps[yr.o0];
      for (const Run& xr : Runs(plan.x, acc_rows)) {
        const AxisTaps& tx = plan.x.taps[xr.o0];
        const int rows_per_block = std::max(1, acc_rows / xr.len);
        for (int r0 = 0; r0 < yr.len; r0 += rows_per_block) {
          const int rows = std::min(rows_per_block, yr.len - r0);
          const int m = rows * xr.len;
          bool first = true;
          for (int a = 0; a < ty.n; ++a)
            for (int b = 0; b < tx.n; ++b) {
              const int64_t w = ty.w[a] * tx.w[b] * plan.factor;
              const int64_t src = pc.Addr(iv, yr.s0[a] + int64_t{r0} * yr.ss[a], xr.s0[b]) + c0;
              for (const PartAt& part : parts_of(w)) {
                isa::VmaccArgs v;
                v.m = static_cast<uint32_t>(m);
                v.n = static_cast<uint32_t>(n);
                v.accumulate = !first;
                v.acc_addr = 0;
                v.a_addr = static_cast<uint32_t>(src);
                v.a_inner_count = static_cast<uint32_t>(xr.len);
                v.a_inner_stride = static_cast<uint32_t>(int64_t{xr.ss[b]} * iv.pix_pitch);
                v.a_outer_stride = static_cast<uint32_t>(int64_t{yr.ss[a]} * iv.row_pitch);
                v.w_addr = part.addr;
                v.w_shift = part.shift;
                oc->compute.push_back(Instruction{{}, v});
                oc->macs += uint64_t(m) * n;
                first = false;
              }
            }
          for (int r = 0; r < rows; ++r) {
            isa::PostprocArgs pp;
            pp.m = static_cast<uint32_t>(xr.len);
            pp.n = static_cast<uint32_t>(n);
            pp.acc_addr = static_cast<uint32_t>(r * xr.len);
            pp.dst_addr = static_cast<uint32_t>(pc.Addr(ov, yr.o0 + int64_t{r0 + r} * yr.so, xr.o0) + c0);
            pp.dst_stride = static_cast<uint32_t>(int64_t{xr.so} * ov.pix_pitch);
            pp.param_addr = tile_at[t];
            pp.out_zp = 0;
            pp.act_min = -128;
            pp.act_max = 127;
            pp.single_round = plan.requant == Requant::kSingle;
            pp.half_up = false;
            pp.fp32 = false;
            oc->compute.push_back(Instruction{{}, pp});
          }
        }
      }
    }
  }
  return Status::Ok();
}

}  // namespace systole::compiler
