// systole profile: per-layer performance of a model on the accelerator
// (docs/profile.md describes the report and its JSON schema).
//
// A model is compiled exactly as `systole compile` / the delegate would
// (or its SYSTOLE ops are read as they are), then each executable's
// INFERENCE chunk is either estimated (backend analytic: arch/estimator,
// a list schedule with the cycle formulas, no cycle loop) or run on the
// SystemC device (systemc; rtl: the same with the Verilated core) with the
// device's per-instruction spans. One attribution (Attribute) turns spans
// into layers, whichever backend made them, so the backends differ only in
// where the spans come from.
//
// Layers tile the device timeline: the compute unit executes the ops of an
// executable in order, so op k owns the cycles from the end of op k-1's last
// compute instruction to the end of its own; the cycles before the first op
// (input DMA, padding fills) and after the last (output DMA) are the rows
// "(input)" and "(output)". Rows therefore add up to the run's cycles, and
// total.cycles is what `systole run --device sim` reports (the INFERENCE
// chunks; parameter loads are one-time and reported apart). Host-link time
// is included: every input, output, spill and streamed-parameter transfer is
// a LOAD/STORE timed on the configured link (latency + bytes / bandwidth).
//
// Each layer's cycles split into `array` (MATMUL streaming cycles, one
// vector per cycle) and the stalls (cycles the array does no MACs):
//   link          compute waits for a DMA token (inputs, outputs, spills),
//                 while that transfer (or the transfers queued before it)
//                 is on the link
//   weight_load   LOAD_WEIGHTS, PRELOAD_WEIGHTS (1 cycle), and waits for
//                 streamed parameters (LOAD to PBUF)
//   vector_unit   the vector / post-processing / softmax unit is busy
//   pipeline      MATMUL fill and drain (R + C - 1 + L cycles each)
//   dependencies  waits for a DMA unit that itself waited for a token, waits
//                 on fetch (full queues), NOP/SETREG cycles
#ifndef SYSTOLE_TOOLS_PROFILE_H_
#define SYSTOLE_TOOLS_PROFILE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "arch/device_config.h"
#include "arch/perf_counters.h"
#include "common/status.h"
#include "delegate/systole_delegate.h"
#include "schema/isa/isa_generated.h"

namespace systole::profile {

enum class Backend { kAnalytic, kSystemC, kRtl };
const char* BackendName(Backend b);
StatusOr<Backend> ParseBackend(const std::string& s);

struct Stalls {
  uint64_t link = 0, dependencies = 0, vector_unit = 0, weight_load = 0, pipeline = 0;
  uint64_t Sum() const { return link + dependencies + vector_unit + weight_load + pipeline; }
  void Add(const Stalls& o);
};

struct Layer {
  enum class Kind { kOp, kInput, kOutput, kCpu };
  Kind kind = Kind::kOp;
  int op_index = -1;   // operator index in the model; -1 for (input)/(output)
  std::string op;      // "CONV_2D", "(input)", "(output)"
  int partition = -1;  // accelerator partition; -1 = CPU
  std::string reason;  // kCpu: why it stays on the CPU
  uint64_t start_cycle = 0;  // on the concatenated device timeline
  uint64_t cycles = 0;
  uint64_t array_cycles = 0;
  // Busy cycles of its compute instructions: what `systole compile` reports
  // as the op's "Est. cycles" (its cycles without the waits).
  uint64_t busy_cycles = 0;
  uint64_t macs = 0;          // useful MACs (the compiler's count)
  double utilization = 0;     // macs / (cycles * R * C)
  uint64_t link_bytes = 0;    // LOAD + STORE bytes of its instructions
  uint64_t onchip_bytes = 0;  // ABUF + PBUF + ACC bytes read and written
  uint64_t instructions = 0;
  Stalls stalls;
  // --validate: the SystemC device's cycles for the row and the error of this
  // profile's figure against it, in percent.
  bool has_reference = false;
  uint64_t reference_cycles = 0;
  double error_pct = 0;
};

struct Total {
  uint64_t cycles = 0;
  double latency_ms = 0;
  uint64_t macs = 0;
  double utilization = 0;
  uint64_t link_bytes = 0;
  uint64_t onchip_bytes = 0;
  uint64_t array_cycles = 0;
  Stalls stalls;
  double inferences_per_s = 0;
  double effective_tops = 0;
  uint64_t parameter_load_cycles = 0;  // one-time (cold parameter cache)
  uint64_t instructions = 0;
  bool has_reference = false;
  uint64_t reference_cycles = 0;
  double error_pct = 0;
};

// One executable's run as the timeline shows it (for the trace).
struct ExecutableRun {
  int partition = 0;
  uint64_t offset = 0;  // its first cycle on the concatenated timeline
  uint64_t cycles = 0;
  std::vector<isa::Instruction> program;
  std::vector<sim::InstructionSpan> spans;
  std::vector<int> owner;  // per pc: index into Profile::layers
};

struct Profile {
  std::string model;
  std::string config_name;
  sim::DeviceConfig config;
  Backend backend = Backend::kAnalytic;
  std::string flavor;
  bool partial = false;    // interrupted (Ctrl-C): only the executables done so far
  int partitions = 0;
  int accelerator_ops = 0, cpu_ops = 0;
  std::vector<Layer> layers;  // model order; accelerator rows and CPU rows
  Total total;
  std::vector<ExecutableRun> runs;
  double wall_seconds = 0;
};

struct ProfileOptions {
  Backend backend = Backend::kAnalytic;
  std::string config_name = "edge";    // as given (edge, tiny or a file)
  delegate::DelegateOptions delegate;  // config, flavor, partition options
  bool validate = false;               // also run SystemC, fill reference/error
  bool keep_runs = false;              // fill Profile::runs (for --trace)
  // Called after each executable and, on the systemc/rtl backends, during
  // each executable's run (about every 65536 simulated cycles, on the
  // device's worker thread). May be empty.
  struct Progress {
    int done = 0, total = 0;     // executables finished, executables in all
    uint64_t run_cycles = 0;     // the running executable's cycles so far (0 between runs)
    uint64_t run_estimate = 0;   // its analytic estimate (0 between runs)
  };
  std::function<void(const Progress&)> progress;
  // Checked between executables and (systemc, rtl) before every simulated
  // cycle: once set, the profile stops and is partial (the executable being
  // run is dropped; the report holds those done before it).
  const std::atomic<bool>* cancel = nullptr;
};

StatusOr<Profile> ProfileModel(const std::string& path, const ProfileOptions& options);

// The attribution of one executable's spans to its ops (see the header
// comment). ops: (first_instruction, num_instructions) per op, sorted and
// disjoint; spans: one per instruction; run_cycles: the run's length.
// Returns rows: [0] = (input), [1..n] = the ops, [n+1] = (output) with
// cycles, array_cycles, stalls, link/onchip bytes and instructions filled;
// owner (if non-null) receives the row of each pc.
struct OpRange {
  uint64_t first = 0, count = 0;
};
// insn_ops (Executable.instruction_ops, may be empty) names the op of each
// instruction a cascade interleaved; the ranges decide for the others.
StatusOr<std::vector<Layer>> Attribute(const std::vector<isa::Instruction>& program,
                                       const std::vector<sim::InstructionSpan>& spans,
                                       const std::vector<OpRange>& ops, const std::vector<uint16_t>& insn_ops,
                                       uint64_t run_cycles, const sim::DeviceConfig& config,
                                       std::vector<int>* owner = nullptr);
inline StatusOr<std::vector<Layer>> Attribute(const std::vector<isa::Instruction>& program,
                                              const std::vector<sim::InstructionSpan>& spans,
                                              const std::vector<OpRange>& ops, uint64_t run_cycles,
                                              const sim::DeviceConfig& config, std::vector<int>* owner = nullptr) {
  return Attribute(program, spans, ops, {}, run_cycles, config, owner);
}

// Bytes an instruction reads and writes in ABUF, PBUF and the accumulators
// (DMA: the bytes it writes or reads on chip).
uint64_t OnChipBytes(const isa::Instruction& insn, const sim::CoreConfig& core);

// Reports (profile_report.cc).
std::string FormatText(const Profile& p);
std::string ToJson(const Profile& p);
std::string ToCsv(const Profile& p);
std::string ToHtml(const Profile& p);
// Chrome trace / Perfetto JSON: tracks load, compute, store, link down, link
// up and layers; needs ProfileOptions::keep_runs.
std::string ToChromeTrace(const Profile& p);

}  // namespace systole::profile

#endif  // SYSTOLE_TOOLS_PROFILE_H_
