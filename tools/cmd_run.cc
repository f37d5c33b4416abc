// systole run MODEL.tflite: runs a model on the CPU interpreter or through the
// delegate on the simulated accelerator, with tensors, timing and counters.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "compiler/compiler.h"
#include "delegate/systole_delegate.h"
#include "driver/driver.h"
#include "interpreter/interpreter.h"
#include "interpreter/kernels/kernel_util.h"
#include "interpreter/model.h"
#include "interpreter/op_resolver.h"
#include "interpreter/tensor_io.h"
#include "tools/cli.h"

namespace systole {
namespace cli {
namespace {

constexpr char kRunUsage[] =
    "usage: systole run MODEL.tflite [--device cpu|DEVICE] [--delegate] [--config C]\n"
    "                   [--timeout-ms N] [--tflite-flavor ruy|x86|xnnpack]\n"
    "                   [--input IN.bin | --seed N] [--output OUT.bin] [--repeat N] [--quiet]\n"
    "                   [--allow OPS] [--deny OPS] [--min-partition-ops N] [--max-partitions N]\n"
    "\n"
    "Runs MODEL on Systole's CPU interpreter (bit-exact with TensorFlow Lite), or with\n"
    "the Systole delegate on the simulated accelerator: ops the accelerator supports\n"
    "are compiled and run there, the others on the CPU (outputs stay bit-exact).\n"
    "\n"
    "  --device D        cpu: the CPU interpreter only; otherwise a device string:\n"
    "                      sim                   in-process SystemC device model\n"
    "                      sim:rtl               the same with the Verilated RTL core\n"
    "                      remote:unix:PATH      systole serve --listen unix:PATH\n"
    "                      remote:tcp:HOST:PORT  systole serve --listen tcp:HOST:PORT\n"
    "                      usb, usb:N            the first / N-th Systole USB device\n"
    "                      pci, pci:N            the first / N-th Systole PCIe device\n"
    "                      pci:DDDD:BB:DD.F      the PCIe device at that address\n"
    "                      pci:unix:PATH         the PCIe function systole serve --pcie emulates\n"
    "                    (systole devices lists what is attached). Default: sim when\n"
    "                    MODEL has SYSTOLE ops (systole compile) or --delegate is\n"
    "                    given, else cpu\n"
    "  --delegate        apply the Systole delegate (same as --device sim)\n"
    "  --config C        accelerator configuration: edge, tiny or a JSON file; default:\n"
    "                    the device's own (edge for sim). A device that reports another\n"
    "                    configuration is an error naming both\n"
    "  --timeout-ms N    fail a device run that takes longer than N ms (default 10000)\n"
    "  --tflite-flavor F the TFLite build to be bit-exact with, on the CPU and the device:\n"
    "                    ruy (ARM, Android, WebAssembly), x86 (x86-64 without ruy) or\n"
    "                    xnnpack (x86-64 applying XNNPACK to quantized ops); default x86\n"
    "                    on x86-64, else ruy (docs/flavors.md)\n"
    "  --verbose         print the partitions and every op left on the CPU with its reason\n"
    "  --input IN.bin    raw bytes of all input tensors, concatenated in model order\n"
    "  --seed N          generate inputs with the oracle's xorshift32 stream (default 1)\n"
    "  --output OUT.bin  write the raw bytes of all output tensors, concatenated\n"
    "  --repeat N        invoke N times and report timing (default 1)\n"
    "  --quiet           print nothing but errors\n"
    "\n"
    "Partition options (with the delegate):\n"
    "%s"
    "\n"
    "Prints the number of ops on the accelerator and on the CPU, the input and output\n"
    "tensors (shape, type, quantization, sha256 of the bytes), the arena size, the time\n"
    "per inference and, on a device, its performance counters.\n";

std::string TensorSummary(const TfLiteTensor* t) {
  std::string q = "not quantized";
  if (const TfLiteAffineQuantization* a = kernels::AffineQuantization(t)) {
    q = a->scale->size == 1
            ? StrFormat("q(%.9g, %d)", static_cast<double>(a->scale->data[0]), a->zero_point->data[0])
            : StrFormat("per-channel (%d scales, axis %d)", a->scale->size, a->quantized_dimension);
  }
  return StrFormat("'%s' %s %s %s, %zu bytes", t->name, kernels::TypeName(t->type),
                   ShapeString(t->dims).c_str(), q.c_str(), t->bytes);
}

int CountSystoleOps(const Model& model) {
  const tflite::SubGraph* sg = model.main_subgraph();
  int n = 0;
  const int num_ops = sg->operators() ? static_cast<int>(sg->operators()->size()) : 0;
  for (int i = 0; i < num_ops; ++i) {
    const tflite::Operator* op = sg->operators()->Get(i);
    const tflite::OperatorCode* oc = model.fb()->operator_codes()->Get(op->opcode_index());
    if (model.BuiltinCode(op->opcode_index()) == tflite::BuiltinOperator_CUSTOM && oc->custom_code() &&
        oc->custom_code()->str() == compiler::kCustomOpName) {
      ++n;
    }
  }
  return n;
}

}  // namespace

int Run(int argc, char** argv) {
  std::string path, input_path, output_path, device;
  uint64_t seed = 1, repeat = 1;
  bool have_seed = false, quiet = false, use_delegate = false;
  delegate::DelegateOptions dopts;
  OptionParser p("run", StrFormat(kRunUsage, kPartitionOptionsHelp), "model");
  AddFlavorOption(&p, &dopts.tflite_flavor);
  AddPartitionOptions(&p, &dopts.partition, &use_delegate);
  p.Value({"--input"}, [&](const std::string& v) { input_path = v; return true; });
  p.Value({"--output"}, [&](const std::string& v) { output_path = v; return true; });
  p.Value({"--device"}, [&](const std::string& v) {
    device = v;
    if (device == "cpu") return true;
    StatusOr<driver::DeviceSpec> spec = driver::ParseDeviceSpec(v);
    if (!spec.ok()) return p.Error("--device: %s, or cpu", spec.status().message().c_str());
    return true;
  });
  p.Value({"--timeout-ms"}, [&](const std::string& v) {
    uint64_t ms = 0;
    if (!ParseUint(v, 86400000, &ms) || ms == 0) {
      return p.Error("--timeout-ms '%s' is not an integer in [1, 86400000]", v.c_str());
    }
    dopts.timeout_ms = static_cast<int>(ms);
    return true;
  });
  p.Value({"--config"}, [&](const std::string& v) {
    dopts.config = v;
    use_delegate = true;
    return true;
  });
  p.Flag({"--delegate"}, [&] { use_delegate = true; });
  p.Flag({"--verbose", "-v"}, [&] { dopts.verbosity = 2; });
  p.Value({"--seed"}, [&](const std::string& v) {
    if (!ParseUint(v, UINT32_MAX, &seed)) {
      return p.Error("--seed '%s' is not an integer in [0, 4294967295]", v.c_str());
    }
    have_seed = true;
    return true;
  });
  p.Value({"--repeat"}, [&](const std::string& v) {
    if (!ParseUint(v, 1000000, &repeat) || repeat == 0) {
      return p.Error("--repeat '%s' is not an integer in [1, 1000000]", v.c_str());
    }
    return true;
  });
  p.Flag({"--quiet", "-q"}, [&] { quiet = true; });
  p.Positional(&path);
  if (const int rc = p.Parse(argc, argv); rc >= 0) return rc;
  if (have_seed && !input_path.empty()) {
    std::fprintf(stderr, "systole run: give either --input or --seed, not both\n");
    return 2;
  }
  if (device == "cpu" && use_delegate) {
    std::fprintf(stderr, "systole run: --device cpu runs no delegate; the partition options, --config "
                         "and --delegate need a device (--device sim, usb:0, remote:unix:PATH, ...)\n");
    return 2;
  }
  auto model_or = Model::FromFile(path);
  if (!model_or.ok()) return Fail(model_or.status());
  const int systole_ops = CountSystoleOps(**model_or);
  if (device.empty()) device = (systole_ops > 0 || use_delegate) ? "sim" : "cpu";
  if (device == "cpu" && systole_ops > 0) {
    return Fail(InvalidArgument("%s has %d %s op%s compiled for the accelerator: run it on a device "
                                "(--device sim, usb:0, remote:unix:PATH, ...)",
                                path.c_str(), systole_ops, compiler::kCustomOpName,
                                systole_ops == 1 ? "" : "s"));
  }
  BuiltinOpResolver resolver(dopts.tflite_flavor);
  resolver.AddCustom(compiler::kCustomOpName, *delegate::SystoleCustomOpRegistration());
  delegate::TfLiteDelegatePtr dlg(nullptr, nullptr);
  if (device != "cpu") {
    dopts.device = device;
    auto d = delegate::CreateDelegate(dopts);
    if (!d.ok()) return Fail(d.status());
    dlg = std::move(*d);
  }
  auto interp_or = Interpreter::Create(**model_or, resolver);
  if (!interp_or.ok()) return Fail(interp_or.status());
  Interpreter& interp = **interp_or;
  Status s;
  if (dlg) {
    s = interp.ModifyGraphWithDelegate(dlg.get());
    if (!s.ok()) return Fail(s);
  }
  s = interp.AllocateTensors();
  if (!s.ok()) return Fail(s);
  if (!input_path.empty()) {
    std::vector<uint8_t> data;
    s = ReadFile(input_path, &data);
    if (s.ok()) s = SetInputs(&interp, data);
    if (!s.ok()) return Fail(Annotate(s, input_path));
  } else {
    s = FillInputsFromSeed(&interp, static_cast<uint32_t>(seed));
    if (!s.ok()) return Fail(s);
  }
  const std::vector<uint8_t> inputs = GetInputs(interp);
  std::vector<double> times_ms;
  std::vector<uint8_t> first_outputs;
  for (uint64_t r = 0; r < repeat; ++r) {
    if (r > 0) {
      s = SetInputs(&interp, inputs);
      if (!s.ok()) return Fail(s);
    }
    const auto t0 = std::chrono::steady_clock::now();
    s = interp.Invoke();
    const auto t1 = std::chrono::steady_clock::now();
    if (!s.ok()) return Fail(s);
    times_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    if (r == 0) first_outputs = GetOutputs(interp);
  }
  if (!output_path.empty()) {
    s = WriteFile(output_path, first_outputs);
    if (!s.ok()) return Fail(s);
  }
  if (quiet) return 0;
  std::printf("model: %s\n", path.c_str());
  std::printf("tflite flavor: %s\n", TfliteFlavorName(dopts.tflite_flavor));
  if (!dlg) {
    std::printf("device: cpu (Systole interpreter), %zu operators\n", interp.execution_plan().size());
    std::printf("ops: 0 on the accelerator, %zu on the CPU\n", interp.execution_plan().size());
  } else {
    const delegate::PartitionPlan* plan = delegate::LastPlan(dlg.get());
    std::string described = delegate::DescribeDevices(dlg.get());
    if (!described.empty() && described.back() == '\n') described.pop_back();
    std::printf("device: %s\n", described.empty() ? device.c_str() : described.c_str());
    std::printf("ops: %d on the accelerator (%zu partition%s), %d on the CPU\n", plan->accelerator_ops,
                plan->partitions.size(), plan->partitions.size() == 1 ? "" : "s", plan->cpu_ops);
    for (const delegate::OpDecision& d : plan->ops) {
      if (d.partition < 0) std::printf("  on the CPU: %s\n", d.reason.c_str());
    }
  }
  std::printf("input source: %s\n",
              input_path.empty() ? StrFormat("xorshift32 seed %llu", static_cast<unsigned long long>(seed)).c_str()
                                 : input_path.c_str());
  size_t offset = 0;
  for (size_t i = 0; i < interp.inputs().size(); ++i) {
    const TfLiteTensor* t = interp.input_tensor(static_cast<int>(i));
    std::printf("input  %zu: %s, offset %zu, sha256 %s\n", i, TensorSummary(t).c_str(), offset,
                Sha256Hex(t->data.raw_const, t->bytes).c_str());
    offset += t->bytes;
  }
  offset = 0;
  for (size_t i = 0; i < interp.outputs().size(); ++i) {
    const TfLiteTensor* t = interp.output_tensor(static_cast<int>(i));
    std::printf("output %zu: %s, offset %zu, sha256 %s\n", i, TensorSummary(t).c_str(), offset,
                Sha256Hex(first_outputs.data() + offset, t->bytes).c_str());
    offset += t->bytes;
  }
  std::printf("arena: %zu bytes (%zu without reuse)\n", interp.arena_bytes(),
              interp.unshared_activation_bytes());
  double min_ms = times_ms[0], sum = 0;
  for (double t : times_ms) min_ms = std::min(min_ms, t), sum += t;
  std::printf("time: first %.3f ms, min %.3f ms, mean %.3f ms over %zu run(s)\n", times_ms[0],
              min_ms, sum / static_cast<double>(times_ms.size()), times_ms.size());
  if (dlg) {
    const delegate::DelegateCounters c = delegate::Counters(dlg.get());
    const double n = static_cast<double>(repeat);
    auto per = [&](uint64_t v) { return static_cast<unsigned long long>(static_cast<double>(v) / n + 0.5); };
    std::printf("device counters (per inference, %zu executable run(s) in total):\n",
                static_cast<size_t>(c.runs));
    std::printf("  cycles: %llu (%.3f ms simulated at %.0f MHz)\n", per(c.cycles),
                c.seconds_simulated / n * 1e3, delegate::DelegateDeviceConfig(dlg.get()).clock_hz / 1e6);
    std::printf("  parameter-load cycles: %llu in total (cache misses)\n",
                static_cast<unsigned long long>(c.parameter_load_cycles));
    std::printf("  MACs: %llu\n", per(c.macs));
    std::printf("  bytes loaded: %llu, stored: %llu\n", per(c.bytes_loaded), per(c.bytes_stored));
    std::printf("  instructions: %llu\n", per(c.instructions));
  }
  if (!output_path.empty()) std::printf("wrote %zu output bytes to %s\n", first_outputs.size(), output_path.c_str());
  return 0;
}

}  // namespace cli
}  // namespace systole
