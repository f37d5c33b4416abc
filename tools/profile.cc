#include "tools/profile.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>

#include "arch/cycle_model.h"
#include "arch/estimator.h"
#include "arch/host_memory.h"
#include "arch/tokens.h"
#include "delegate/compile_model.h"
#include "driver/driver.h"
#include "interpreter/tensor_io.h"
#include "schema/executable_generated.h"
#include "schema/executable_version.h"
#include "schema/tflite_generated.h"

namespace systole::profile {

const char* BackendName(Backend b) {
  switch (b) {
    case Backend::kAnalytic: return "analytic";
    case Backend::kSystemC: return "systemc";
    case Backend::kRtl: return "rtl";
  }
  return "?";
}

StatusOr<Backend> ParseBackend(const std::string& s) {
  if (s == "analytic") return Backend::kAnalytic;
  if (s == "systemc") return Backend::kSystemC;
  if (s == "rtl") return Backend::kRtl;
  return InvalidArgument("backend '%s': expected analytic, systemc or rtl", s.c_str());
}

void Stalls::Add(const Stalls& o) {
  link += o.link;
  dependencies += o.dependencies;
  vector_unit += o.vector_unit;
  weight_load += o.weight_load;
  pipeline += o.pipeline;
}

uint64_t OnChipBytes(const isa::Instruction& insn, const sim::CoreConfig& core) {
  using isa::Opcode;
  const uint64_t C = core.cols, acc_row = 4 * C;
  switch (insn.opcode()) {
    case Opcode::kLoad:
    case Opcode::kStore:
      return sim::DmaBytes(insn);
    case Opcode::kLoadWeights: {
      const auto& a = insn.as<isa::LoadWeightsArgs>();
      return uint64_t{a.k} * a.n;
    }
    case Opcode::kPreloadWeights: {  // the bytes move during the next MATMUL
      const auto& a = insn.as<isa::PreloadWeightsArgs>();
      return uint64_t{a.k} * a.n;
    }
    case Opcode::kMatmul: {
      const auto& a = insn.as<isa::MatmulArgs>();
      return uint64_t{a.m} * a.k + uint64_t{a.m} * acc_row * (a.accumulate ? 2 : 1);
    }
    case Opcode::kPostproc: {
      const auto& a = insn.as<isa::PostprocArgs>();
      return 12 * uint64_t{a.n} + uint64_t{a.m} * a.n * 4 + uint64_t{a.m} * a.n;
    }
    case Opcode::kVmacc: {
      const auto& a = insn.as<isa::VmaccArgs>();
      return a.n + uint64_t{a.m} * a.n + uint64_t{a.m} * a.n * 4 * (a.accumulate ? 2 : 1);
    }
    case Opcode::kVmaccWide: {  // VMACC's traffic, R pixels a cycle
      const auto& a = insn.as<isa::VmaccWideArgs>();
      return a.n + uint64_t{a.m} * a.n + uint64_t{a.m} * a.n * 4 * (a.accumulate ? 2 : 1);
    }
    case Opcode::kVadd: return 3 * uint64_t{insn.as<isa::VaddArgs>().len};
    case Opcode::kVsub: return 3 * uint64_t{insn.as<isa::VsubArgs>().len};
    case Opcode::kVmul: return 3 * uint64_t{insn.as<isa::VmulArgs>().len};
    case Opcode::kVlut: return isa::kLutBytes + 2 * uint64_t{insn.as<isa::VlutArgs>().len};
    case Opcode::kVfill: return insn.as<isa::VfillArgs>().len;
    case Opcode::kMaxpool: {
      const auto& a = insn.as<isa::MaxpoolArgs>();
      return uint64_t{a.m} * a.n * (uint64_t{a.kh} * a.kw + 1);
    }
    case Opcode::kAvgpool: {
      const auto& a = insn.as<isa::AvgpoolArgs>();
      return uint64_t{a.m} * a.n * (uint64_t{a.kh} * a.kw + 1);
    }
    case Opcode::kSoftmax: {
      const auto& a = insn.as<isa::SoftmaxArgs>();
      return isa::kSoftmaxTableBytes + 4 * uint64_t{a.m} * a.len;
    }
    case Opcode::kVl2norm: {
      const auto& a = insn.as<isa::Vl2normArgs>();
      return 3 * uint64_t{a.m} * a.len;
    }
    case Opcode::kNop:
    case Opcode::kSetreg:
      return 0;
  }
  return 0;
}

StatusOr<std::vector<Layer>> Attribute(const std::vector<isa::Instruction>& program,
                                       const std::vector<sim::InstructionSpan>& spans,
                                       const std::vector<OpRange>& ops, const std::vector<uint16_t>& insn_ops,
                                       uint64_t run_cycles,
                                       const sim::DeviceConfig& config, std::vector<int>* owner_out) {
  const size_t n = program.size();
  const size_t num_ops = ops.size();
  // Spans by pc; every instruction must have exactly one.
  std::vector<uint64_t> start(n, 0), len(n, 0);
  std::vector<char> seen(n, 0);
  for (const sim::InstructionSpan& s : spans) {
    if (s.pc >= n) return InvalidArgument("profile: span of pc %llu outside the program (%zu instructions)",
                                          static_cast<unsigned long long>(s.pc), n);
    if (seen[s.pc]) return InvalidArgument("profile: two spans for pc %llu", static_cast<unsigned long long>(s.pc));
    seen[s.pc] = 1;
    start[s.pc] = s.start;
    len[s.pc] = s.cycles;
  }
  for (size_t pc = 0; pc < n; ++pc)
    if (!seen[pc]) return InvalidArgument("profile: no span for pc %zu", pc);
  auto end = [&](size_t pc) { return start[pc] + len[pc]; };

  // Row of each pc: 0 = (input), k+1 = op k, num_ops+1 = (output). Between
  // two ops (nothing is scheduled there today) a pc belongs to the next op.
  std::vector<int> owner(n, static_cast<int>(num_ops) + 1);
  {
    size_t k = 0;
    for (size_t pc = 0; pc < n; ++pc) {
      while (k < num_ops && pc >= ops[k].first + ops[k].count) ++k;
      if (k == num_ops) break;
      owner[pc] = (k == 0 && pc < ops[0].first) ? 0 : static_cast<int>(k) + 1;
    }
    if (num_ops == 0) std::fill(owner.begin(), owner.end(), 0);
    // Inside a cascade, the op that emitted each instruction.
    for (size_t pc = 0; pc < n && pc < insn_ops.size(); ++pc)
      if (insn_ops[pc] != exe::kNoOp && insn_ops[pc] < num_ops) owner[pc] = insn_ops[pc] + 1;
  }

  // Token FIFOs: the j-th pop of a FIFO takes the j-th push (units run their
  // instructions in program order).
  std::vector<size_t> pushers[sim::kNumTokenQueues];
  for (size_t pc = 0; pc < n; ++pc) {
    const sim::TokenRoutes r = sim::RoutesOf(program[pc].unit());
    if (program[pc].deps.push_prev) pushers[r.push_prev].push_back(pc);
    if (program[pc].deps.push_next) pushers[r.push_next].push_back(pc);
  }
  size_t pops[sim::kNumTokenQueues] = {0, 0, 0, 0};
  // The pushers of the tokens each pc pops (SIZE_MAX: none).
  std::vector<std::array<size_t, 2>> popped(n, {SIZE_MAX, SIZE_MAX});
  for (size_t pc = 0; pc < n; ++pc) {
    const sim::TokenRoutes r = sim::RoutesOf(program[pc].unit());
    int slot = 0;
    for (auto [flag, q] : {std::pair{program[pc].deps.pop_prev, r.pop_prev},
                           std::pair{program[pc].deps.pop_next, r.pop_next}}) {
      if (!flag) continue;
      if (pops[q] >= pushers[q].size())
        return FailedPrecondition("profile: pc %zu pops a token nobody pushes", pc);
      popped[pc][slot++] = pushers[q][pops[q]++];
    }
  }

  std::vector<Layer> rows(num_ops + 2);
  rows[0].kind = Layer::Kind::kInput;
  rows[num_ops + 1].kind = Layer::Kind::kOutput;
  for (size_t pc = 0; pc < n; ++pc) {
    Layer& row = rows[owner[pc]];
    row.link_bytes += sim::DmaBytes(program[pc]);
    row.onchip_bytes += OnChipBytes(program[pc], config.core());
    ++row.instructions;
  }

  // Walk the compute unit: every cycle up to its last instruction's end lands
  // in exactly one bucket of the row that owns the instruction it led to.
  auto is_param_load = [&](size_t pc) {
    return program[pc].opcode() == isa::Opcode::kLoad &&
           program[pc].as<isa::LoadArgs>().buffer == static_cast<uint32_t>(isa::Buffer::kPbuf);
  };
  auto dma_bucket = [&](size_t pc, Stalls* s) -> uint64_t& { return is_param_load(pc) ? s->weight_load : s->link; };
  uint64_t cursor = 0;  // the end of the busiest compute instruction so far
  std::vector<uint64_t> own(n, 0);  // each compute pc's share of the timeline
  {
    std::vector<std::pair<uint64_t, uint64_t>> sc;
    std::vector<size_t> pcs;
    for (size_t pc = 0; pc < n; ++pc)
      if (program[pc].unit() == isa::Unit::kCompute) {
        sc.emplace_back(start[pc], len[pc]);
        pcs.push_back(pc);
      }
    const std::vector<uint64_t> a = sim::AttributeComputeSpans(sc);
    for (size_t j = 0; j < a.size(); ++j) own[pcs[j]] = a[j];
  }
  for (size_t pc = 0; pc < n; ++pc) {
    if (program[pc].unit() != isa::Unit::kCompute) continue;
    const int r = owner[pc];
    Layer& row = rows[r];
    Stalls& st = row.stalls;
    // Accepted while earlier ones are still busy (a MATMUL's drain, a
    // POSTPROC beside MATMULs): no gap, and only its own cycles count
    // (sim::AttributeComputeSpans: each cycle is the latest-started busy
    // instruction's).
    uint64_t gap_begin = std::min(cursor, start[pc]);
    const uint64_t gap_end = start[pc];
    // The token that arrived last decides what the wait was for.
    size_t waited = SIZE_MAX;
    for (size_t d : popped[pc])
      if (d != SIZE_MAX && (waited == SIZE_MAX || end(d) > end(waited))) waited = d;
    if (gap_end > gap_begin && waited != SIZE_MAX && end(waited) > gap_begin) {
      const uint64_t arrive = std::min(end(waited), gap_end);
      const uint64_t xfer_begin = std::max(gap_begin, std::min(start[waited], arrive));
      if (program[waited].unit() == isa::Unit::kCompute) {
        st.dependencies += arrive - gap_begin;
      } else {
        dma_bucket(waited, &st) += arrive - xfer_begin;
        if (xfer_begin > gap_begin) {
          // The transfer itself started late: it waited for a token of its
          // own (a dependency) or for the transfers queued before it (link).
          bool dep = false;
          for (size_t d2 : popped[waited])
            if (d2 != SIZE_MAX && end(d2) >= start[waited]) dep = true;
          (dep ? st.dependencies : dma_bucket(waited, &st)) += xfer_begin - gap_begin;
        }
      }
      gap_begin = arrive;
    }
    st.dependencies += gap_end - gap_begin;  // fetch (full queues) or nothing popped late
    const uint64_t c = own[pc];
    row.busy_cycles += c;
    switch (program[pc].opcode()) {
      case isa::Opcode::kMatmul: {
        const uint64_t m = std::min<uint64_t>(program[pc].as<isa::MatmulArgs>().m, c);
        row.array_cycles += m;
        st.pipeline += c - m;
        break;
      }
      case isa::Opcode::kLoadWeights:
      case isa::Opcode::kPreloadWeights: st.weight_load += c; break;
      case isa::Opcode::kNop:
      case isa::Opcode::kSetreg: st.dependencies += c; break;
      default: st.vector_unit += c; break;
    }
    cursor = std::max(cursor, end(pc));
  }
  if (run_cycles < cursor) return Internal("profile: the run ends before its last compute instruction");
  // The output row: compute's last instructions (the token to the store
  // unit, walked above), then the output transfers until the run ends.
  rows[num_ops + 1].stalls.link += run_cycles - cursor;
  // Every cycle landed in one bucket of one row: a row's cycles are its
  // buckets (rows interleaved by a cascade included), laid end to end.
  uint64_t prev = 0;
  for (Layer& row : rows) {
    row.start_cycle = prev;
    row.cycles = row.array_cycles + row.stalls.Sum();
    prev += row.cycles;
  }
  if (owner_out) *owner_out = std::move(owner);
  return rows;
}

namespace {

struct ExecView {
  const exe::Executable* fb = nullptr;
  std::vector<isa::InsnWord> words;       // INFERENCE
  std::vector<isa::InsnWord> param_words;  // PARAMETER_LOAD (may be empty)
  std::vector<isa::Instruction> program;
  std::vector<OpRange> ranges;
  std::vector<uint16_t> insn_ops;  // Executable.instruction_ops (may be empty)
};

StatusOr<ExecView> ReadExecutable(const uint8_t* data, size_t size) {
  RETURN_IF_ERROR(driver::VerifyExecutable(data, size));
  ExecView v;
  v.fb = exe::GetExecutable(data);
  for (const exe::Chunk* c : *v.fb->chunks()) {
    std::vector<isa::InsnWord>& dst = c->kind() == exe::ChunkKind_INFERENCE ? v.words : v.param_words;
    const size_t count = c->instructions()->size() / sizeof(isa::InsnWord);
    dst.resize(count);
    std::memcpy(dst.data(), c->instructions()->data(), count * sizeof(isa::InsnWord));
  }
  for (const isa::InsnWord& w : v.words) {
    ASSIGN_OR_RETURN(isa::Instruction insn, isa::Decode(w));
    v.program.push_back(insn);
  }
  if (v.fb->ops())
    for (const exe::OpRecord* o : *v.fb->ops()) v.ranges.push_back(OpRange{o->first_instruction(), o->num_instructions()});
  if (v.fb->instruction_ops()) v.insn_ops.assign(v.fb->instruction_ops()->begin(), v.fb->instruction_ops()->end());
  return v;
}

struct StepRun {
  uint64_t cycles = 0;
  uint64_t parameter_load_cycles = 0;
  std::vector<sim::InstructionSpan> spans;
};

StatusOr<StepRun> Estimate(const ExecView& v, const sim::DeviceConfig& hw) {
  const exe::Executable& fb = *v.fb;
  std::vector<uint8_t> params;
  if (fb.parameters()) params.assign(fb.parameters()->data(), fb.parameters()->data() + fb.parameters()->size());
  std::vector<uint8_t> in(std::max<uint32_t>(fb.input_bytes(), 1)), out(std::max<uint32_t>(fb.output_bytes(), 1)),
      scratch(fb.scratch_bytes());
  if (params.empty()) params.resize(1);
  sim::HostMemory host;
  RETURN_IF_ERROR(host.Map(exe::Region_PARAMETERS, params.data(), params.size(), true, false));
  RETURN_IF_ERROR(host.Map(exe::Region_INPUT, in.data(), in.size(), true, false));
  RETURN_IF_ERROR(host.Map(exe::Region_OUTPUT, out.data(), out.size(), false, true));
  if (!scratch.empty()) RETURN_IF_ERROR(host.Map(exe::Region_SCRATCH, scratch.data(), scratch.size(), true, true));
  StepRun r;
  ASSIGN_OR_RETURN(sim::Estimate est, sim::EstimateCycles(v.words, hw, host, &r.spans));
  r.cycles = est.cycles;
  if (!v.param_words.empty()) {
    // The PARAMETER_LOAD chunk sees the parameter region only.
    sim::HostMemory params_only;
    RETURN_IF_ERROR(params_only.Map(exe::Region_PARAMETERS, params.data(), params.size(), true, false));
    ASSIGN_OR_RETURN(sim::Estimate pl, sim::EstimateCycles(v.param_words, hw, params_only));
    r.parameter_load_cycles = pl.cycles;
  }
  return r;
}

StatusOr<StepRun> RunOnDevice(driver::Device& dev, const uint8_t* data, size_t size,
                              const std::atomic<bool>* cancel = nullptr,
                              std::function<void(uint64_t)> progress = nullptr) {
  ASSIGN_OR_RETURN(std::unique_ptr<driver::LoadedExecutable> x, dev.Load(data, size));
  std::vector<std::vector<uint8_t>> in_bufs, out_bufs;
  std::vector<const uint8_t*> ins;
  std::vector<uint8_t*> outs;
  for (const driver::TensorBindingInfo& b : x->inputs()) in_bufs.emplace_back(b.size, 0);
  for (const driver::TensorBindingInfo& b : x->outputs()) out_bufs.emplace_back(b.size, 0);
  for (auto& b : in_bufs) ins.push_back(b.data());
  for (auto& b : out_bufs) outs.push_back(b.data());
  driver::RunOptions ro;
  ro.spans = true;
  ro.timeout_ms = 600000;  // the in-process simulator is not interrupted by the watchdog anyway
  ro.cancel = cancel;
  ro.progress = std::move(progress);
  ASSIGN_OR_RETURN(driver::RunStats st, dev.Run(*x, ins, outs, ro));
  StepRun r;
  r.cycles = st.counters.cycles;
  r.parameter_load_cycles = st.parameter_load_cycles;
  r.spans = std::move(st.spans);
  return r;
}

double ErrorPct(uint64_t est, uint64_t ref) {
  if (ref == 0) return est == 0 ? 0.0 : 100.0;
  return (static_cast<double>(est) - static_cast<double>(ref)) / static_cast<double>(ref) * 100.0;
}

}  // namespace

StatusOr<Profile> ProfileModel(const std::string& path, const ProfileOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<uint8_t> bytes;
  RETURN_IF_ERROR(ReadFile(path, &bytes));
  ASSIGN_OR_RETURN(delegate::CompiledModel cm, delegate::CompileModel(bytes, path, options.delegate));
  Profile p;
  p.model = path;
  p.config_name = options.config_name;
  p.config = cm.hw;
  p.backend = options.backend;
  p.flavor = TfliteFlavorName(cm.flavor);
  p.partitions = static_cast<int>(cm.plan.partitions.size());
  p.accelerator_ops = cm.plan.accelerator_ops;
  p.cpu_ops = cm.plan.cpu_ops;
  const sim::DeviceConfig& hw = cm.hw;

  std::unique_ptr<driver::Device> device, reference;
  int total_steps = 0;
  for (const delegate::Partition& part : cm.plan.partitions) total_steps += static_cast<int>(part.steps.size());
  if (total_steps > 0) {
    if (options.backend != Backend::kAnalytic) {
      ASSIGN_OR_RETURN(device, driver::Device::Open(options.backend == Backend::kRtl ? "sim:rtl" : "sim", hw));
    }
    if (options.validate && options.backend != Backend::kSystemC) {
      ASSIGN_OR_RETURN(reference, driver::Device::Open("sim", hw));
    }
  }

  // Rows of each partition, in execution order.
  std::vector<std::vector<Layer>> part_rows(cm.plan.partitions.size());
  uint64_t offset = 0;
  int done = 0;
  std::vector<size_t> run_rows;  // rows of each p.runs entry
  for (size_t pi = 0; pi < cm.plan.partitions.size() && !p.partial; ++pi) {
    for (const delegate::Step& step : cm.plan.partitions[pi].steps) {
      if (options.cancel && options.cancel->load()) {
        p.partial = true;
        break;
      }
      // A compiled model's SYSTOLE op: its executable is the op's custom
      // options in our own copy of the file (the plan's pointer belonged to
      // CompileModel's interpreter, gone by now).
      const uint8_t* exe_data = nullptr;
      size_t exe_size = 0;
      if (step.precompiled) {
        const tflite::Model* m = tflite::GetModel(bytes.data());
        const tflite::SubGraph* sg = m && m->subgraphs() && m->subgraphs()->size() > 0 ? m->subgraphs()->Get(0) : nullptr;
        const int node = step.spec.nodes.empty() ? -1 : step.spec.nodes[0];
        const tflite::Operator* op = sg && sg->operators() && node >= 0 &&
                                             node < static_cast<int>(sg->operators()->size())
                                         ? sg->operators()->Get(node)
                                         : nullptr;
        if (op == nullptr || op->custom_options() == nullptr)
          return InvalidArgument("%s: op %d: a %s op without its executable", path.c_str(), node,
                                 compiler::kCustomOpName);
        exe_data = op->custom_options()->data();
        exe_size = op->custom_options()->size();
      } else {
        exe_data = step.executable_data();
        exe_size = step.executable_bytes();
      }
      ASSIGN_OR_RETURN(ExecView v, ReadExecutable(exe_data, exe_size));
      StepRun run;
      if (options.backend == Backend::kAnalytic) {
        ASSIGN_OR_RETURN(run, Estimate(v, hw));
      } else {
        std::function<void(uint64_t)> on_cycles;
        if (options.progress) {
          // The analytic estimate (no cycle loop) gives the run's expected length.
          ProfileOptions::Progress pr;
          pr.done = done;
          pr.total = total_steps;
          ASSIGN_OR_RETURN(StepRun est, Estimate(v, hw));
          pr.run_estimate = std::max<uint64_t>(est.cycles, 1);
          options.progress(pr);
          on_cycles = [&options, pr](uint64_t cycles) mutable {
            pr.run_cycles = cycles;
            options.progress(pr);
          };
        }
        StatusOr<StepRun> r = RunOnDevice(*device, exe_data, exe_size, options.cancel, std::move(on_cycles));
        if (!r.ok() && r.status().code() == StatusCode::kCancelled && options.cancel && options.cancel->load()) {
          p.partial = true;  // this executable is dropped; the report has those before it
          break;
        }
        if (!r.ok()) return r.status();
        run = std::move(r).value();
      }
      std::vector<int> owner;
      ASSIGN_OR_RETURN(std::vector<Layer> rows, Attribute(v.program, run.spans, v.ranges, v.insn_ops, run.cycles, hw, &owner));
      if (options.validate) {
        StepRun ref_run;
        if (options.backend == Backend::kSystemC) {
          ref_run = run;
        } else {
          StatusOr<StepRun> r = RunOnDevice(*reference, exe_data, exe_size, options.cancel);
          if (!r.ok() && r.status().code() == StatusCode::kCancelled && options.cancel && options.cancel->load()) {
            p.partial = true;
            break;
          }
          if (!r.ok()) return r.status();
          ref_run = std::move(r).value();
        }
        ASSIGN_OR_RETURN(std::vector<Layer> ref_rows,
                         Attribute(v.program, ref_run.spans, v.ranges, v.insn_ops, ref_run.cycles, hw));
        for (size_t i = 0; i < rows.size(); ++i) {
          rows[i].has_reference = true;
          rows[i].reference_cycles = ref_rows[i].cycles;
          rows[i].error_pct = ErrorPct(rows[i].cycles, ref_rows[i].cycles);
        }
        p.total.has_reference = true;
        p.total.reference_cycles += ref_run.cycles;
      }
      // Identities of the rows.
      const int num_ops = static_cast<int>(v.ranges.size());
      rows[0].op = "(input)";
      rows[num_ops + 1].op = "(output)";
      for (int k = 0; k < num_ops; ++k) {
        const exe::OpRecord* o = v.fb->ops()->Get(k);
        rows[k + 1].op_index = o->node_index();
        rows[k + 1].op = o->name() ? o->name()->str() : "?";
        rows[k + 1].macs = o->macs();
      }
      for (Layer& r : rows) {
        r.partition = static_cast<int>(pi);
        r.start_cycle += offset;
        const double peak = static_cast<double>(r.cycles) * hw.rows * hw.cols;
        r.utilization = peak > 0 ? static_cast<double>(r.macs) / peak : 0.0;
        part_rows[pi].push_back(r);
      }
      if (options.keep_runs) {
        ExecutableRun er;
        er.partition = static_cast<int>(pi);
        er.offset = offset;
        er.cycles = run.cycles;
        er.program = v.program;
        er.spans = std::move(run.spans);
        er.owner = std::move(owner);  // rows of this step; made rows of p.layers below
        p.runs.push_back(std::move(er));
        run_rows.push_back(rows.size());
      }
      offset += run.cycles;
      p.total.parameter_load_cycles += run.parameter_load_cycles;
      ++done;
      if (options.progress) {
        ProfileOptions::Progress pr;
        pr.done = done;
        pr.total = total_steps;
        options.progress(pr);
      }
    }
  }

  // Model order: CPU ops as they come, each partition's rows at its first op.
  std::vector<bool> emitted(cm.plan.partitions.size(), false);
  std::vector<int> part_first_row(cm.plan.partitions.size(), -1);
  for (const delegate::OpDecision& d : cm.plan.ops) {
    if (d.partition < 0) {
      Layer l;
      l.kind = Layer::Kind::kCpu;
      l.op_index = d.node;
      l.op = d.op;
      l.reason = d.reason;
      p.layers.push_back(l);
      continue;
    }
    if (emitted[d.partition]) continue;
    emitted[d.partition] = true;
    part_first_row[d.partition] = static_cast<int>(p.layers.size());
    for (const Layer& r : part_rows[d.partition]) p.layers.push_back(r);
  }
  // The runs' owners index their step's rows; make them index p.layers.
  {
    std::vector<size_t> consumed(cm.plan.partitions.size(), 0);
    for (size_t i = 0; i < p.runs.size(); ++i) {
      ExecutableRun& er = p.runs[i];
      const int base = part_first_row[er.partition] + static_cast<int>(consumed[er.partition]);
      for (int& o : er.owner) o += base;
      consumed[er.partition] += run_rows[i];
    }
  }

  Total& t = p.total;
  for (const Layer& l : p.layers) {
    if (l.kind == Layer::Kind::kCpu) continue;
    t.cycles += l.cycles;
    t.macs += l.macs;
    t.link_bytes += l.link_bytes;
    t.onchip_bytes += l.onchip_bytes;
    t.array_cycles += l.array_cycles;
    t.instructions += l.instructions;
    t.stalls.Add(l.stalls);
  }
  const double seconds = static_cast<double>(t.cycles) / hw.clock_hz;
  t.latency_ms = seconds * 1e3;
  t.utilization = t.cycles ? static_cast<double>(t.macs) / (static_cast<double>(t.cycles) * hw.rows * hw.cols) : 0;
  t.inferences_per_s = seconds > 0 ? 1.0 / seconds : 0;
  t.effective_tops = seconds > 0 ? 2.0 * static_cast<double>(t.macs) / seconds / 1e12 : 0;
  if (t.has_reference) t.error_pct = ErrorPct(t.cycles, t.reference_cycles);
  p.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return p;
}

}  // namespace systole::profile
