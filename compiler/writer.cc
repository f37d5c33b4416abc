// The executable (schema/executable.fbs): the parameter region, the encoded
// chunks, the estimate and report, and the flatbuffer.
#include <cstring>

#include "compiler/partition.h"
#include "compiler/schedule.h"
#include "schema/executable_digest.h"
#include "schema/executable_generated.h"
#include "arch/cycle_model.h"
#include "arch/estimator.h"
#include "arch/host_memory.h"
#include "arch/program.h"

namespace systole::compiler {
namespace {

// The whole INFERENCE chunk's cycles by the analytic estimator, on host
// regions of the executable's sizes (it also validates every instruction).
// The estimator only reads the regions' sizes and permissions: the parameter
// blob is mapped in place (read-only), not copied.
StatusOr<sim::Estimate> EstimateInference(const std::vector<isa::InsnWord>& words, const sim::DeviceConfig& hw,
                                          std::vector<uint8_t>* blob, const HostIo& io, uint64_t scratch_bytes) {
  std::vector<uint8_t> in_buf(std::max<uint32_t>(io.input_bytes, 1)), out_buf(std::max<uint32_t>(io.output_bytes, 1));
  uint8_t no_params = 0;
  sim::HostMemory host;
  RETURN_IF_ERROR(host.Map(kRegionParams, blob->empty() ? &no_params : blob->data(), std::max<size_t>(blob->size(), 1),
                           true, false));
  RETURN_IF_ERROR(host.Map(kRegionInput, in_buf.data(), in_buf.size(), true, false));
  RETURN_IF_ERROR(host.Map(kRegionOutput, out_buf.data(), out_buf.size(), false, true));
  std::vector<uint8_t> scratch_buf(scratch_bytes);
  if (scratch_bytes > 0) RETURN_IF_ERROR(host.Map(kRegionScratch, scratch_buf.data(), scratch_buf.size(), true, true));
  return sim::EstimateCycles(words, hw, host);
}

// The executable flatbuffer of a pending partition's chunks and report.
std::vector<uint8_t> Flatbuffer(TfLiteContext* ctx, const CompileOptions& opts, const PendingPartition& p) {
  const ParameterBlob& blob = p.blob;
  const HostIo& io = p.io;
  const bool cache = p.cache;
  const CompileReport& rep = p.result.report;
  const sim::DeviceConfig& hw = opts.hw;
  flatbuffers::FlatBufferBuilder fb(1 << 16);
  auto words_bytes = [&](const std::vector<isa::InsnWord>& w) {
    std::vector<uint8_t> b(w.size() * sizeof(isa::InsnWord));
    if (!w.empty()) std::memcpy(b.data(), w.data(), b.size());
    return fb.CreateVector(b);
  };
  std::vector<flatbuffers::Offset<exe::Chunk>> chunks;
  if (cache && !blob.bytes.empty())
    chunks.push_back(exe::CreateChunk(fb, exe::ChunkKind_PARAMETER_LOAD, words_bytes(p.parameter_load)));
  chunks.push_back(exe::CreateChunk(fb, exe::ChunkKind_INFERENCE, words_bytes(p.inference)));
  auto chunks_v = fb.CreateVector(chunks);
  fb.ForceVectorAlignment(blob.bytes.size(), 1, 16);
  auto params_v = fb.CreateVector(blob.bytes);
  auto bindings = [&](const std::vector<HostBinding>& bs, exe::Region region) {
    std::vector<flatbuffers::Offset<exe::TensorBinding>> v;
    for (const HostBinding& b : bs) {
      const TfLiteTensor* t = &ctx->tensors[b.tensor];
      auto name = fb.CreateString(t->name ? t->name : "");
      auto shape = fb.CreateVector(Dims(t));
      v.push_back(exe::CreateTensorBinding(fb, name, b.tensor, t->type == kTfLiteUInt8 ? 3 : 9, shape, region, b.offset,
                                           b.size, t->type == kTfLiteUInt8));
    }
    return fb.CreateVector(v);
  };
  auto ins_v = bindings(io.inputs, exe::Region_INPUT);
  auto outs_v = bindings(io.outputs, exe::Region_OUTPUT);
  std::vector<flatbuffers::Offset<exe::OpRecord>> recs;
  for (size_t s = 0; s < rep.ops.size(); ++s) {
    recs.push_back(exe::CreateOpRecord(fb, rep.ops[s].node_index, fb.CreateString(rep.ops[s].op),
                                       static_cast<uint32_t>(p.op_ranges[s].first),
                                       static_cast<uint32_t>(p.op_ranges[s].second), rep.ops[s].macs,
                                       rep.ops[s].estimated_cycles));
  }
  auto recs_v = fb.CreateVector(recs);
  auto stats = exe::CreateStats(fb, rep.macs, rep.estimated_cycles, rep.cached_parameter_bytes,
                                rep.streamed_parameter_bytes, rep.abuf_peak_bytes, rep.pbuf_peak_bytes);
  auto cfg = exe::CreateHardwareConfig(fb, hw.rows, hw.cols, hw.abuf_bytes, hw.pbuf_bytes, hw.acc_rows);
  auto producer = fb.CreateString(StrFormat("systole-compiler %u; parameters %s; tflite flavor %s",
                                            kExecutableFormatVersion, cache ? "cached" : "streamed",
                                            TfliteFlavorName(opts.flavor)));
  // The digest covers the other fields (schema/executable_digest.h): written
  // as zeros first, computed over the finished buffer, then filled in place.
  auto digest_v = fb.CreateVector(std::vector<uint8_t>(exe::kExecutableDigestBytes, 0));
  flatbuffers::Offset<flatbuffers::Vector<uint16_t>> insn_ops_v = 0;
  if (!p.insn_op.empty() && rep.ops.size() < exe::kNoOp) {
    std::vector<uint16_t> v(p.instructions, exe::kNoOp);
    for (size_t i = 0; i < p.insn_op.size() && i < v.size(); ++i)
      if (p.insn_op[i] >= 0) v[i] = static_cast<uint16_t>(p.insn_op[i]);
    insn_ops_v = fb.CreateVector(v);
  }
  auto root = exe::CreateExecutable(fb, kExecutableFormatVersion, isa::kIsaVersion, cfg, chunks_v, params_v, ins_v,
                                    outs_v, io.input_bytes, io.output_bytes, static_cast<uint32_t>(p.scratch_bytes),
                                    recs_v, stats, producer, static_cast<uint8_t>(opts.flavor), digest_v,
                                    insn_ops_v);
  fb.Finish(root, exe::ExecutableIdentifier());
  std::vector<uint8_t> bytes(fb.GetBufferPointer(), fb.GetBufferPointer() + fb.GetSize());
  const exe::Executable* written = exe::GetExecutable(bytes.data());
  const Sha256::Digest digest = exe::ComputeExecutableDigest(*written);
  std::memcpy(bytes.data() + (written->digest()->data() - bytes.data()), digest.data(), digest.size());
  return bytes;
}

}  // namespace

ParameterBlob PartitionCompiler::PackParameters(const std::vector<OpCode>& ops) const {
  ParameterBlob blob;
  std::vector<uint8_t>& bytes = blob.bytes;
  blob.block_at.assign(ops.size(), 0);
  size_t op_bytes = 0;
  for (const OpCode& op : ops) op_bytes += op.params.size() + 63;
  bytes.reserve(op_bytes);
  for (size_t s = 0; s < ops.size(); ++s) {
    Align(&bytes, 64);
    blob.block_at[s] = static_cast<uint32_t>(bytes.size());
    bytes.insert(bytes.end(), ops[s].params.begin(), ops[s].params.end());
    blob.largest_block = std::max<uint64_t>(blob.largest_block, ops[s].params.size());
  }
  // Constant elementwise operands follow the op blocks; they go to ABUF with
  // the inputs, never to PBUF.
  blob.pbuf_part = bytes.size();
  for (const auto& [t, st] : ts_) {
    if (!st.is_const) continue;
    Align(&bytes, 64);
    blob.const_at[t] = static_cast<uint32_t>(bytes.size());
    const TfLiteTensor* ct = T(t);
    const uint8_t* b = reinterpret_cast<const uint8_t*>(ct->data.raw);
    for (int64_t i = 0; i < NumElements(ct); ++i) bytes.push_back(static_cast<uint8_t>(b[i] - DeviceOffset(ct)));
  }
  return blob;
}

StatusOr<PendingPartition> PartitionCompiler::Write(const std::vector<OpCode>& ops, ParameterBlob blob,
                                                    const HostIo& io, bool cache, uint32_t pbuf_half,
                                                    const Schedule& schedule) const {
  sim::ProgramBuilder inference, parameter_load;
  for (const Instruction& i : schedule.seq) inference.Add(i);
  if (cache && blob.pbuf_part > 0)
    for (const Instruction& i : LinearParameterLoads(0, 0, blob.pbuf_part, {}, {})) parameter_load.Add(i);
  RETURN_IF_ERROR(inference.status());
  RETURN_IF_ERROR(parameter_load.status());
  ASSIGN_OR_RETURN(sim::Estimate est, EstimateInference(inference.words(), hw_, &blob.bytes, io, scratch_bytes_));

  PendingPartition result;
  CompileReport& rep = result.result.report;
  rep.estimated_cycles = est.cycles;
  rep.cached_parameter_bytes = cache ? blob.pbuf_part : 0;
  rep.streamed_parameter_bytes = cache ? 0 : blob.pbuf_part;
  rep.abuf_peak_bytes = abuf_peak_;
  rep.pbuf_peak_bytes = cache ? blob.pbuf_part : std::min<uint64_t>(blob.pbuf_part, 2ull * pbuf_half);
  rep.instructions = schedule.seq.size();
  rep.tiled = tiled_;
  rep.bands = tiled_bands_;
  rep.cascades = tiled_groups_;
  rep.host_load_bytes = host_load_bytes_;
  rep.host_store_bytes = host_store_bytes_;
  rep.input_bands = input_bands_ && input_bands_possible_ ? plan_.bands : 0;
  rep.cascaded_ops = schedule.cascaded_ops;
  const sim::CoreConfig core = hw_.core();
  const std::vector<uint64_t> timeline = sim::ComputeTimeline(schedule.seq, core);
  // Each instruction's op: its op record's range, or inside a cascade the op
  // that emitted it (Executable.instruction_ops; the driver's OpOf).
  std::vector<uint64_t> op_cycles(ops.size(), 0);
  {
    std::vector<int> owner(schedule.seq.size(), -1);
    for (size_t s = 0; s < ops.size(); ++s)
      for (uint64_t i = schedule.op_ranges[s].first; i < schedule.op_ranges[s].first + schedule.op_ranges[s].second; ++i)
        owner[i] = static_cast<int>(s);
    for (size_t i = 0; i < schedule.insn_op.size(); ++i)
      if (schedule.insn_op[i] >= 0) owner[i] = schedule.insn_op[i];
    for (size_t i = 0; i < owner.size(); ++i)
      if (owner[i] >= 0) op_cycles[owner[i]] += timeline[i];
  }
  for (size_t s = 0; s < ops.size(); ++s) {
    OpReport o;
    o.node_index = ops[s].node;
    o.op = ops[s].name;
    o.macs = ops[s].macs;
    const auto [first, count] = schedule.op_ranges[s];
    o.estimated_cycles = op_cycles[s];
    o.num_instructions = static_cast<int>(count);
    rep.macs += o.macs;
    rep.ops.push_back(o);
  }
  result.inference = inference.words();
  result.parameter_load = parameter_load.words();
  result.blob = std::move(blob);
  result.io = io;
  result.cache = cache;
  result.scratch_bytes = scratch_bytes_;
  result.instructions = schedule.seq.size();
  result.op_ranges = schedule.op_ranges;
  result.insn_op = schedule.insn_op;
  return result;
}

CompiledPartition WriteExecutable(TfLiteContext* ctx, const CompileOptions& opts, PendingPartition p) {
  p.result.executable = Flatbuffer(ctx, opts, p);
  return std::move(p.result);
}

}  // namespace systole::compiler
