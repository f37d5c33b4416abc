// Test and benchmark support for the simulator: random, legal Systole programs
// for whole int8 operators (GEMM, CONV_2D, DEPTHWISE_CONV_2D, MAX/AVG pooling,
// ADD/SUB/MUL, LUT activations, SOFTMAX), each with the expected output computed by a
// straightforward TFLite-style reference kernel on common/fixed_point.h, and
// runners for the functional and SystemC models.
//
// Every case moves its data like a real run: LOAD inputs from host region 0
// and parameters from region 1, compute, STORE the result to region 2, with
// dependency tokens between the units.
#ifndef SYSTOLE_SIMULATOR_TEST_UTIL_H_
#define SYSTOLE_SIMULATOR_TEST_UTIL_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "arch/device_config.h"
#include "arch/host_memory.h"
#include "arch/program.h"
#include "common/status.h"
#include "common/test_seed.h"
#include "common/xorshift32.h"
#include "simulator/functional_model.h"

namespace systole::sim::testing {

struct OpCase {
  std::string name;                    // e.g. "conv 5x7x9 -> 12, k3x3 s2 same"
  std::vector<isa::InsnWord> program;
  std::vector<isa::Instruction> insns;
  std::vector<uint8_t> input;          // host region 0 (device reads)
  std::vector<uint8_t> params;         // host region 1 (device reads)
  std::vector<int8_t> expected;        // reference output (host region 2)
};

enum class OpKind { kGemm, kConv, kDepthwise, kMaxPool, kAvgPool, kAdd, kSub, kMul, kLut, kSoftmax, kL2Norm, kNumKinds };
const char* OpKindName(OpKind k);

// A random legal case of the given kind sized for `config` (any R, C >= 2 and
// buffers of at least 64 KiB). `scale` grows the shapes (1 = small for tests).
OpCase MakeCase(OpKind kind, const DeviceConfig& config, Xorshift32& rng, int scale = 1);
// A GEMM with explicit shape; double_buffered splits M into row tiles that
// load, compute and store in a software pipeline (TVM-VTA style tokens).
OpCase MakeGemm(const DeviceConfig& config, Xorshift32& rng, int m, int k, int n, bool double_buffered);

// TFLite's quantized SOFTMAX (optimized_ops::Softmax with its float exponent
// table) on the host's float arithmetic, as the SOFTMAX instruction defines it:
// rows of `len` int8 inputs, `table` = 256 binary32 bit patterns; output
// clamp(round(p) + out_zp) (trunc_round = 0, TFLite's int8 kernel) or
// clamp(int(p + 0.5f) + out_zp) (trunc_round = 1, its uint8 kernel); float to
// int conversions saturate and NaN converts to 0.
std::vector<int8_t> SoftmaxReference(const std::vector<int8_t>& x, int len, const std::vector<uint32_t>& table,
                                     uint32_t scale_bits, bool trunc_round, int out_zp);
// TFLite's L2_NORMALIZATION (reference_integer_ops::L2Normalization for
// int8, reference_ops for uint8 as value - 128 with the device's zero point),
// as VL2NORM defines it: rows of `len` bytes, d = x - in_zp, per row the sum
// of d^2 and its inverse square root (common/inv_sqrt.h), each output
// clamp(requantized d) in [-128, 127].
std::vector<int8_t> L2NormReference(const std::vector<int8_t>& x, int len, bool uint8, int in_zp);
// TFLite's PopulateSoftmaxLookupTable: entry 255 - v = expf(-input_scale * beta * v).
std::vector<uint32_t> SoftmaxTable(float input_scale, float beta);

// Host memory for a case: regions 0, 1 (readable) and 2 (writable, `out`).
struct HostBuffers {
  std::vector<uint8_t> in, params, out;
  HostMemory host;
  explicit HostBuffers(const OpCase& op);
  std::vector<int8_t> output() const { return std::vector<int8_t>(out.begin(), out.end()); }
};

// Seed for a randomised test: $SYSTOLE_SEED if set, else `fallback`; printed
// (common/test_seed.h, the project's one seed helper).
using systole::TestSeed;

// First mismatch as text ("" if equal).
std::string Diff(const std::vector<int8_t>& want, const std::vector<int8_t>& got);

}  // namespace systole::sim::testing


namespace systole::sim::testing {

// A hand-written single-instruction test, runnable on any model: init the
// on-chip memories, run `program` with host regions 0 (readable, host_in) and
// 2 (writable, host_out), then `check` returns "" or what is wrong.
struct InsnTest {
  std::string name;
  std::function<void(DeviceMemory&)> init;
  ProgramBuilder program;
  std::vector<uint8_t> host_in = std::vector<uint8_t>(256);
  std::vector<uint8_t> host_out = std::vector<uint8_t>(256);
  std::function<std::string(const DeviceMemory&, const std::vector<uint8_t>& host_out)> check;
};
std::vector<InsnTest> InstructionTests(const DeviceConfig& config, uint32_t seed);

// Illegal programs: each must end the run with `code` and a message
// containing `needle`, on every model. Host regions: 0 (256 B, read-only),
// 2 (256 B, write-only), others unmapped.
struct IllegalCase {
  std::string name;
  std::vector<isa::InsnWord> program;
  StatusCode code;
  std::string needle;
};
std::vector<IllegalCase> IllegalPrograms(const DeviceConfig& config);

}  // namespace systole::sim::testing

#endif  // SYSTOLE_SIMULATOR_TEST_UTIL_H_
