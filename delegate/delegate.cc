// The Systole delegate (systole_delegate.h): Prepare plans and compiles
// partitions, delegate kernels run their executables through driver::Device.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "compiler/compiler.h"
#include "delegate/compile_cache.h"
#include "delegate/systole_delegate.h"
#include "driver/driver.h"
#include "schema/executable_generated.h"
#include "schema/tflite_generated.h"

namespace systole::delegate {
namespace {

size_t ElementBytes(TfLiteType t) {
  switch (t) {
    case kTfLiteInt8:
    case kTfLiteUInt8:
    case kTfLiteBool: return 1;
    case kTfLiteInt16:
    case kTfLiteUInt16:
    case kTfLiteFloat16: return 2;
    case kTfLiteInt32:
    case kTfLiteUInt32:
    case kTfLiteFloat32: return 4;
    case kTfLiteInt64:
    case kTfLiteUInt64:
    case kTfLiteFloat64: return 8;
    default: return 0;
  }
}

size_t TensorBytes(const TfLiteTensor& t) {
  size_t n = ElementBytes(t.type);
  if (t.dims) {
    for (int i = 0; i < t.dims->size; ++i) n *= static_cast<size_t>(std::max(t.dims->data[i], 0));
  }
  return n;
}

std::string ShapeString(const std::vector<int>& dims) {
  std::string s;
  for (int d : dims) s += (s.empty() ? "" : ", ") + std::to_string(d);
  return "[" + s + "]";
}
std::string ShapeString(const TfLiteIntArray* dims) {
  return ShapeString(dims ? std::vector<int>(dims->data, dims->data + dims->size) : std::vector<int>());
}

bool SameCompiledConfig(const sim::DeviceConfig& a, const sim::DeviceConfig& b) {
  return a.rows == b.rows && a.cols == b.cols && a.abuf_bytes == b.abuf_bytes &&
         a.pbuf_bytes == b.pbuf_bytes && a.acc_rows == b.acc_rows;
}

// The device configuration an executable was compiled for: `preferred` when
// it matches, else a named configuration that does, else "edge" with the
// executable's array and memory sizes (clock and link do not affect results).
StatusOr<sim::DeviceConfig> ConfigForExecutable(const uint8_t* data, size_t size,
                                                const sim::DeviceConfig* preferred) {
  RETURN_IF_ERROR(driver::VerifyExecutable(data, size));
  const exe::HardwareConfig* h = exe::GetExecutable(data)->config();
  if (h == nullptr) return InvalidArgument("executable has no hardware configuration");
  sim::DeviceConfig want;
  want.rows = h->rows();
  want.cols = h->cols();
  want.abuf_bytes = h->abuf_bytes();
  want.pbuf_bytes = h->pbuf_bytes();
  want.acc_rows = h->acc_rows();
  if (preferred && SameCompiledConfig(*preferred, want)) return *preferred;
  for (const char* name : {"edge", "tiny"}) {
    StatusOr<sim::DeviceConfig> c = sim::DeviceConfig::FromName(name);
    if (c.ok() && SameCompiledConfig(*c, want)) return *c;
  }
  RETURN_IF_ERROR(want.Validate());
  return want;
}

DelegateCounters& operator+=(DelegateCounters& c, const driver::RunStats& s) {
  c.runs++;
  c.cycles += s.counters.cycles;
  c.parameter_load_cycles += s.parameter_load_cycles;
  c.macs += s.counters.macs;
  c.bytes_loaded += s.counters.bytes_loaded;
  c.bytes_stored += s.counters.bytes_stored;
  c.instructions += s.counters.load.instructions + s.counters.compute.instructions +
                    s.counters.store.instructions;
  c.seconds_simulated += s.seconds_simulated;
  return c;
}

// One executable, loaded on a device, bound to tensors by position
// (binding i <-> inputs[i] / outputs[i]).
struct BoundExecutable {
  driver::Device* device = nullptr;
  std::unique_ptr<driver::LoadedExecutable> exe;
  std::vector<int> inputs, outputs;
};

// The tensor contract of an executable (docs/executable.md, "The SYSTOLE
// custom op"): binding i <-> the node's input/output i, same type, same byte
// size (shape), never dynamic-sized. Checked at every Prepare: with
// kTfLiteDelegateFlagsAllowDynamicTensors TFLite does not propagate shapes
// before the delegate, so a resized input shows up here.
Status CheckBindings(TfLiteContext* ctx, const std::vector<driver::TensorBindingInfo>& bindings,
                     const std::vector<int>& tensors, const char* what) {
  if (bindings.size() != tensors.size()) {
    return InvalidArgument("executable has %zu %s bindings, the node has %zu %s tensors",
                           bindings.size(), what, tensors.size(), what);
  }
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TfLiteTensor& t = ctx->tensors[tensors[i]];
    const char* name = t.name ? t.name : "";
    if (t.allocation_type == kTfLiteDynamic) {
      return FailedPrecondition("%s %zu: tensor %d '%s' is dynamic-sized; the executable needs the "
                                "static shape %s it was compiled for",
                                what, i, tensors[i], name, ShapeString(bindings[i].shape).c_str());
    }
    if (TensorBytes(t) != bindings[i].size || static_cast<int>(t.type) != bindings[i].type) {
      return InvalidArgument("%s %zu: executable expects '%s' %s (%u bytes, type %d), tensor %d '%s' "
                             "is %s (%zu bytes, type %d) (recompile the model for this shape)",
                             what, i, bindings[i].name.c_str(), ShapeString(bindings[i].shape).c_str(),
                             bindings[i].size, bindings[i].type, tensors[i], name,
                             ShapeString(t.dims).c_str(), TensorBytes(t), t.type);
    }
  }
  return Status::Ok();
}

Status CheckBound(TfLiteContext* ctx, const BoundExecutable& b) {
  RETURN_IF_ERROR(CheckBindings(ctx, b.exe->inputs(), b.inputs, "input"));
  return CheckBindings(ctx, b.exe->outputs(), b.outputs, "output");
}

Status LoadAndBind(TfLiteContext* ctx, driver::Device* device, const uint8_t* data, size_t size,
                   const std::vector<int>& inputs, const std::vector<int>& outputs,
                   BoundExecutable* b) {
  // Flatbuffer verification wants the buffer aligned as written (force_align).
  std::vector<uint8_t> aligned(data, data + size);
  ASSIGN_OR_RETURN(b->exe, device->Load(aligned.data(), aligned.size()));
  b->device = device;
  b->inputs = inputs;
  b->outputs = outputs;
  return CheckBound(ctx, *b);
}

// Runs `b`; tensors found in `scratch` live there instead of in the context.
StatusOr<driver::RunStats> RunBound(TfLiteContext* ctx, BoundExecutable& b,
                                    std::map<int, std::vector<uint8_t>>* scratch) {
  auto ptr = [&](int t) -> uint8_t* {
    if (scratch) {
      auto it = scratch->find(t);
      if (it != scratch->end()) return it->second.data();
    }
    return reinterpret_cast<uint8_t*>(ctx->tensors[t].data.raw);
  };
  std::vector<const uint8_t*> in;
  std::vector<uint8_t*> out;
  for (int t : b.inputs) in.push_back(ptr(t));
  for (int t : b.outputs) out.push_back(ptr(t));
  return b.device->Run(*b.exe, in, out);
}

// ---- The delegate ----

struct Kernel;

struct SystoleDelegate {
  TfLiteDelegate base{};  // first: a TfLiteDelegate* is a SystoleDelegate*
  DelegateOptions options;
  compiler::CompileOptions compile_options;
  std::unique_ptr<PartitionPlan> plan;
  std::vector<std::unique_ptr<driver::Device>> devices;
  DelegateCounters counters;

  StatusOr<driver::Device*> DeviceFor(const sim::DeviceConfig& hw) {
    for (auto& d : devices) {
      if (SameCompiledConfig(d->config(), hw)) return d.get();
    }
    ASSIGN_OR_RETURN(std::unique_ptr<driver::Device> d, driver::Device::Open(options.device, hw));
    devices.push_back(std::move(d));
    return devices.back().get();
  }
};

struct Kernel {
  SystoleDelegate* delegate = nullptr;
  int partition = -1;
  Partition plan;  // copy: the delegate's plan may be replaced by a later Prepare
  std::vector<BoundExecutable> steps;
  std::map<int, std::vector<uint8_t>> scratch;  // tensors internal to the partition
  bool loaded = false;
};

TfLiteStatus Fail(TfLiteContext* ctx, const Status& s) {
  ctx->ReportError(ctx, "%s", s.message().c_str());
  return kTfLiteError;
}

void* KernelInit(TfLiteContext* ctx, const char* buffer, size_t) {
  const auto* params = reinterpret_cast<const TfLiteDelegateParams*>(buffer);
  auto* d = reinterpret_cast<SystoleDelegate*>(params->delegate);
  auto k = std::make_unique<Kernel>();
  k->delegate = d;
  const std::vector<int> nodes(params->nodes_to_replace->data,
                               params->nodes_to_replace->data + params->nodes_to_replace->size);
  if (d->plan) {
    for (size_t i = 0; i < d->plan->partitions.size(); ++i) {
      if (d->plan->partitions[i].nodes == nodes) {
        k->partition = static_cast<int>(i);
        k->plan = d->plan->partitions[i];
      }
    }
  }
  return k.release();  // a missing partition is reported by KernelPrepare
}

void KernelFree(TfLiteContext*, void* buffer) { delete static_cast<Kernel*>(buffer); }

Status PrepareKernel(TfLiteContext* ctx, Kernel* k) {
  if (k->partition < 0) return Internal("systole delegate: kernel for a partition it did not plan");
  if (k->loaded) {
    for (size_t i = 0; i < k->steps.size(); ++i) {
      Status s = CheckBound(ctx, k->steps[i]);
      if (!s.ok()) return Annotate(s, StrFormat("partition %d, executable %zu", k->partition, i));
    }
    return Status::Ok();
  }
  SystoleDelegate* d = k->delegate;
  const std::set<int> boundary(k->plan.inputs.begin(), k->plan.inputs.end());
  const std::set<int> exported(k->plan.outputs.begin(), k->plan.outputs.end());
  for (const Step& step : k->plan.steps) {
    const uint8_t* data = step.executable_data();
    const size_t size = step.executable_bytes();
    sim::DeviceConfig hw = d->compile_options.hw;
    if (step.precompiled) {
      ASSIGN_OR_RETURN(hw, ConfigForExecutable(data, size, &d->compile_options.hw));
      const auto flavor = static_cast<TfliteFlavor>(exe::GetExecutable(data)->tflite_flavor());  // verified
      if (flavor != d->compile_options.flavor) {
        const int op = step.spec.nodes.empty() ? -1 : step.spec.nodes[0];
        return InvalidArgument(
            "SYSTOLE op %d was compiled for TFLite flavor %s, but this delegate reproduces flavor %s: its "
            "outputs would differ from this TFLite's; recompile the model with `systole compile "
            "--tflite-flavor %s`, or set the delegate option tflite_flavor:%s if the host really is %s",
            op, TfliteFlavorName(flavor), TfliteFlavorName(d->compile_options.flavor),
            TfliteFlavorName(d->compile_options.flavor), TfliteFlavorName(flavor), TfliteFlavorName(flavor));
      }
    }
    ASSIGN_OR_RETURN(driver::Device * device, d->DeviceFor(hw));
    BoundExecutable b;
    Status s = LoadAndBind(ctx, device, data, size, step.spec.inputs, step.spec.outputs, &b);
    if (!s.ok()) {
      return Annotate(s, StrFormat("partition %d, executable of op %d", k->partition,
                                   step.spec.nodes.empty() ? -1 : step.spec.nodes[0]));
    }
    for (const std::vector<int>* ts : {&step.spec.inputs, &step.spec.outputs}) {
      for (int t : *ts) {
        if (!boundary.count(t) && !exported.count(t) && !k->scratch.count(t)) {
          k->scratch[t].assign(TensorBytes(ctx->tensors[t]), 0);
        }
      }
    }
    k->steps.push_back(std::move(b));
  }
  k->loaded = true;
  return Status::Ok();
}

TfLiteStatus KernelPrepare(TfLiteContext* ctx, TfLiteNode* node) {
  Status s = PrepareKernel(ctx, static_cast<Kernel*>(node->user_data));
  return s.ok() ? kTfLiteOk : Fail(ctx, s);
}

TfLiteStatus KernelInvoke(TfLiteContext* ctx, TfLiteNode* node) {
  auto* k = static_cast<Kernel*>(node->user_data);
  if (!k->loaded) return Fail(ctx, FailedPrecondition("systole delegate: kernel not prepared"));
  for (BoundExecutable& b : k->steps) {
    StatusOr<driver::RunStats> r = RunBound(ctx, b, &k->scratch);
    if (!r.ok()) return Fail(ctx, Annotate(r.status(), StrFormat("partition %d", k->partition)));
    k->delegate->counters += *r;
  }
  return kTfLiteOk;
}

// The delegate sets kTfLiteDelegateFlagsAllowDynamicTensors, so TFLite may
// show it a graph with dynamic-sized tensors: such nodes stay on the CPU.
Status CheckStaticShapes(TfLiteContext* ctx, int node_index) {
  TfLiteNode* node = nullptr;
  TfLiteRegistration* reg = nullptr;
  if (ctx->GetNodeAndRegistration(ctx, node_index, &node, &reg) != kTfLiteOk) {
    return Internal("GetNodeAndRegistration(%d) failed", node_index);
  }
  for (const TfLiteIntArray* ts : {node->inputs, node->outputs}) {
    for (int i = 0; i < ts->size; ++i) {
      const int t = ts->data[i];
      if (t >= 0 && ctx->tensors[t].allocation_type == kTfLiteDynamic) {
        return FailedPrecondition("%s (op %d): tensor %d '%s' is dynamic-sized (the accelerator runs "
                                  "static shapes only)",
                                  NodeOpName(*reg).c_str(), node_index, t,
                                  ctx->tensors[t].name ? ctx->tensors[t].name : "");
      }
    }
  }
  return Status::Ok();
}

TfLiteStatus DelegatePrepare(TfLiteContext* ctx, TfLiteDelegate* base) {
  auto* d = reinterpret_cast<SystoleDelegate*>(base);
  const compiler::CompileOptions copts = d->compile_options;
  StatusOr<PartitionPlan> plan = PlanPartitions(
      ctx, d->options.partition,
      [&copts](TfLiteContext* c, int node) -> Status {
        RETURN_IF_ERROR(CheckStaticShapes(c, node));
        return compiler::CheckOpSupport(c, node, copts);
      },
      [&copts](TfLiteContext* c, const compiler::PartitionSpec& spec) {
        return CompileCached(c, spec, copts);
      });
  if (!plan.ok()) return Fail(ctx, Annotate(plan.status(), "systole delegate"));
  d->plan = std::make_unique<PartitionPlan>(std::move(*plan));
  if (d->options.verbosity > 0) {
    std::string text = FormatPlan(*d->plan);
    if (d->options.verbosity < 2) text = text.substr(0, text.find("\nCPU"));
    std::fprintf(stderr, "systole delegate: %s\n", text.c_str());
  }
  const std::vector<int> claimed = d->plan->claimed_nodes();
  if (claimed.empty()) return kTfLiteOk;
  TfLiteRegistration reg{};
  reg.init = KernelInit;
  reg.free = KernelFree;
  reg.prepare = KernelPrepare;
  reg.invoke = KernelInvoke;
  reg.custom_name = "SystoleDelegate";
  reg.version = 1;
  TfLiteIntArray* nodes = TfLiteIntArrayCreate(static_cast<int>(claimed.size()));
  std::copy(claimed.begin(), claimed.end(), nodes->data);
  const TfLiteStatus st = ctx->ReplaceNodeSubsetsWithDelegateKernels(ctx, reg, nodes, base);
  TfLiteIntArrayFree(nodes);
  return st;
}

void DeleteSystoleDelegate(TfLiteDelegate* d) { delete reinterpret_cast<SystoleDelegate*>(d); }

// ---- The SYSTOLE custom op without the delegate ----

struct CustomOpKernel {
  std::vector<uint8_t> bytes;
  BoundExecutable bound;
  bool loaded = false;
};

// Devices of the custom op kernel, one per hardware configuration, shared by
// every interpreter of the process (never destroyed: kernels may run until exit).
StatusOr<driver::Device*> SharedDevice(const sim::DeviceConfig& hw) {
  static std::mutex* mu = new std::mutex;
  static auto* devices = new std::vector<std::unique_ptr<driver::Device>>;
  std::lock_guard<std::mutex> lock(*mu);
  for (auto& d : *devices) {
    if (SameCompiledConfig(d->config(), hw)) return d.get();
  }
  ASSIGN_OR_RETURN(std::unique_ptr<driver::Device> d, driver::Device::Open("sim", hw));
  devices->push_back(std::move(d));
  return devices->back().get();
}

void* CustomInit(TfLiteContext*, const char* buffer, size_t length) {
  auto* k = new CustomOpKernel;
  if (buffer) k->bytes.assign(buffer, buffer + length);
  return k;
}
void CustomFree(TfLiteContext*, void* buffer) { delete static_cast<CustomOpKernel*>(buffer); }

Status PrepareCustom(TfLiteContext* ctx, TfLiteNode* node) {
  auto* k = static_cast<CustomOpKernel*>(node->user_data);
  if (k->loaded) return CheckBound(ctx, k->bound);
  if (k->bytes.empty()) {
    return InvalidArgument("%s custom op has no executable (empty custom options)",
                           compiler::kCustomOpName);
  }
  ASSIGN_OR_RETURN(sim::DeviceConfig hw, ConfigForExecutable(k->bytes.data(), k->bytes.size(), nullptr));
  ASSIGN_OR_RETURN(driver::Device * device, SharedDevice(hw));
  RETURN_IF_ERROR(LoadAndBind(
      ctx, device, k->bytes.data(), k->bytes.size(),
      std::vector<int>(node->inputs->data, node->inputs->data + node->inputs->size),
      std::vector<int>(node->outputs->data, node->outputs->data + node->outputs->size), &k->bound));
  k->loaded = true;
  return Status::Ok();
}

TfLiteStatus CustomPrepare(TfLiteContext* ctx, TfLiteNode* node) {
  Status s = PrepareCustom(ctx, node);
  return s.ok() ? kTfLiteOk : Fail(ctx, Annotate(s, compiler::kCustomOpName));
}

TfLiteStatus CustomInvoke(TfLiteContext* ctx, TfLiteNode* node) {
  auto* k = static_cast<CustomOpKernel*>(node->user_data);
  if (!k->loaded) return Fail(ctx, FailedPrecondition("SYSTOLE custom op not prepared"));
  StatusOr<driver::RunStats> r = RunBound(ctx, k->bound, nullptr);
  return r.ok() ? kTfLiteOk : Fail(ctx, r.status());
}

std::string JoinInts(const std::vector<int>& v) {
  std::string s;
  for (int x : v) s += (s.empty() ? "" : ", ") + std::to_string(x);
  return "[" + s + "]";
}

}  // namespace

StatusOr<TfLiteDelegatePtr> CreateDelegate(const DelegateOptions& options) {
  RETURN_IF_ERROR(options.partition.Validate());
  if (options.device != "sim" && options.device != "sim:rtl" && options.device.rfind("remote:", 0) != 0) {
    return InvalidArgument("device '%s': unknown (expected sim, sim:rtl or remote:ADDRESS)", options.device.c_str());
  }
  ASSIGN_OR_RETURN(sim::DeviceConfig hw, sim::DeviceConfig::FromName(options.config));
  auto d = std::make_unique<SystoleDelegate>();
  d->options = options;
  d->compile_options.hw = hw;
  d->compile_options.cache_parameters = options.cache_parameters;
  d->compile_options.flavor = options.tflite_flavor;
  d->base.data_ = d.get();
  d->base.Prepare = DelegatePrepare;
  // As libedgetpu's delegate for its custom op: without this flag TFLite
  // prepares every node before the delegate's Prepare, and a compiled
  // model's SYSTOLE ops are unresolved custom ops there (docs/executable.md).
  d->base.flags = kTfLiteDelegateFlagsAllowDynamicTensors;
  return TfLiteDelegatePtr(&d.release()->base, DeleteSystoleDelegate);
}

Status OpenDevice(TfLiteDelegate* delegate) {
  if (!IsSystoleDelegate(delegate)) return InvalidArgument("OpenDevice: not a Systole delegate");
  auto* d = reinterpret_cast<SystoleDelegate*>(delegate);
  ASSIGN_OR_RETURN(driver::Device * device, d->DeviceFor(d->compile_options.hw));
  (void)device;
  return Status::Ok();
}

bool IsSystoleDelegate(const TfLiteDelegate* delegate) {
  return delegate != nullptr && delegate->Prepare == DelegatePrepare;
}

const sim::DeviceConfig& DelegateDeviceConfig(const TfLiteDelegate* delegate) {
  return reinterpret_cast<const SystoleDelegate*>(delegate)->compile_options.hw;
}

const PartitionPlan* LastPlan(const TfLiteDelegate* delegate) {
  return reinterpret_cast<const SystoleDelegate*>(delegate)->plan.get();
}

DelegateCounters Counters(const TfLiteDelegate* delegate) {
  return reinterpret_cast<const SystoleDelegate*>(delegate)->counters;
}

std::string DescribeDevices(const TfLiteDelegate* delegate) {
  std::string s;
  for (const auto& d : reinterpret_cast<const SystoleDelegate*>(delegate)->devices) {
    s += d->Describe() + "\n";
  }
  return s;
}

int KernelPartitionIndex(const TfLiteNode& node) {
  if (!IsSystoleDelegate(node.delegate) || node.user_data == nullptr) return -1;
  return static_cast<const Kernel*>(node.user_data)->partition;
}

const TfLiteRegistration* SystoleCustomOpRegistration() {
  static const TfLiteRegistration reg = [] {
    TfLiteRegistration r{};
    r.init = CustomInit;
    r.free = CustomFree;
    r.prepare = CustomPrepare;
    r.invoke = CustomInvoke;
    r.builtin_code = tflite::BuiltinOperator_CUSTOM;
    r.custom_name = compiler::kCustomOpName;
    r.version = 1;
    return r;
  }();
  return &reg;
}

std::string FormatPlan(const PartitionPlan& plan) {
  std::string s = StrFormat("%zu partition%s, %d op%s on the accelerator, %d on the CPU",
                            plan.partitions.size(), plan.partitions.size() == 1 ? "" : "s",
                            plan.accelerator_ops, plan.accelerator_ops == 1 ? "" : "s", plan.cpu_ops);
  for (size_t i = 0; i < plan.partitions.size(); ++i) {
    const Partition& p = plan.partitions[i];
    s += StrFormat("\n  partition %zu: ops %s, inputs %s, outputs %s", i, JoinInts(p.nodes).c_str(),
                   JoinInts(p.inputs).c_str(), JoinInts(p.outputs).c_str());
    if (p.steps.size() > 1) s += StrFormat(", %zu executables", p.steps.size());
  }
  bool header = false;
  for (const OpDecision& d : plan.ops) {
    if (d.partition >= 0) continue;
    if (!header) s += "\nCPU:";
    header = true;
    s += "\n  " + d.reason;
  }
  return s;
}

}  // namespace systole::delegate

// ---- C API ----

extern "C" SystoleDelegateOptions SystoleDelegateOptionsDefault(void) {
  SystoleDelegateOptions o{};
  o.device = "sim";
  o.config = "edge";
  o.allow = nullptr;
  o.deny = nullptr;
  o.min_partition_ops = 1;
  o.max_partitions = 0;
  o.verbosity = 0;
  o.tflite_flavor = nullptr;
  return o;
}

extern "C" TfLiteDelegate* SystoleDelegateCreate(const SystoleDelegateOptions* options,
                                                 void (*report_error)(const char* message)) {
  using namespace systole;
  using namespace systole::delegate;
  const SystoleDelegateOptions o = options ? *options : SystoleDelegateOptionsDefault();
  auto fail = [&](const Status& s) -> TfLiteDelegate* {
    if (report_error) report_error(("systole delegate: " + s.message()).c_str());
    return nullptr;
  };
  DelegateOptions opts;
  if (o.device) opts.device = o.device;
  if (o.config) opts.config = o.config;
  if (o.allow) {
    StatusOr<std::vector<std::string>> ops = ParseOpList(o.allow, "allow");
    if (!ops.ok()) return fail(ops.status());
    opts.partition.allow = *ops;
  }
  if (o.deny) {
    StatusOr<std::vector<std::string>> ops = ParseOpList(o.deny, "deny");
    if (!ops.ok()) return fail(ops.status());
    opts.partition.deny = *ops;
  }
  opts.partition.min_partition_ops = o.min_partition_ops;
  opts.partition.max_partitions = o.max_partitions;
  opts.verbosity = o.verbosity;
  if (o.tflite_flavor != nullptr && *o.tflite_flavor != '\0') {
    StatusOr<TfliteFlavor> f = ParseTfliteFlavor(o.tflite_flavor);
    if (!f.ok()) return fail(Annotate(f.status(), "option tflite_flavor"));
    opts.tflite_flavor = *f;
  }
  StatusOr<TfLiteDelegatePtr> d = CreateDelegate(opts);
  if (!d.ok()) return fail(d.status());
  return d->release();
}

extern "C" void SystoleDelegateDelete(TfLiteDelegate* delegate) {
  if (delegate) systole::delegate::DeleteSystoleDelegate(delegate);
}
