// systole profile (tools/profile.h): the analytic backend against SystemC
// on every shared model and on random programs, the attribution's
// invariants, total.cycles against the delegate's device counters
// (`systole run --device sim`), the reports (golden text, JSON keys, trace),
// and RTL = SystemC cycle for cycle when the build has the RTL core.
#include <map>
#include <gtest/gtest.h>

#include <dirent.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/test_temp.h"
#include "common/xorshift32.h"
#include "delegate/compile_model.h"
#include "delegate/systole_delegate.h"
#include "interpreter/interpreter.h"
#include "interpreter/model.h"
#include "interpreter/op_resolver.h"
#include "interpreter/tensor_io.h"
#include "modelgen/builtin_models.h"
#include "simulator/device.h"
#include "simulator/test_util.h"
#include "arch/estimator.h"
#include "tools/profile.h"

namespace systole::profile {
namespace {

std::string ModelsDir() { return std::string(SYSTOLE_SHARED_DIR) + "/models"; }

// Every .tflite in ../shared/models, sorted.
std::vector<std::string> SharedModels() {
  std::vector<std::string> names;
  if (DIR* d = opendir(ModelsDir().c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string n = e->d_name;
      if (n.size() > 7 && n.compare(n.size() - 7, 7, ".tflite") == 0) names.push_back(n);
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

#define SKIP_WITHOUT_SHARED_MODELS()                                                     \
  if (SharedModels().empty()) GTEST_SKIP() << "no models in " << ModelsDir() << " (../shared absent)"

// The built-in MobileNetV2-like model, written once per process.
std::string BuiltinModelPath() {
  static const std::string path = [] {
    const std::string p = systole::testing::TempPath("profile_test_mobilenet_v2_like.tflite");
    std::string error;
    const std::vector<uint8_t> m = modelgen::MakeBuiltinModel("mobilenet-v2-like", &error);
    if (m.empty() || !WriteFile(p, m).ok()) return std::string();
    return p;
  }();
  return path;
}

ProfileOptions Options(Backend b, const std::string& config, bool validate = false) {
  ProfileOptions o;
  o.backend = b;
  o.config_name = config;
  o.delegate.config = config;
  o.delegate.tflite_flavor = TfliteFlavor::kRuy;
  o.validate = validate;
  return o;
}

// Rows tile the timeline: each row's array + stalls = its cycles, rows are
// back to back, and they add up to the total.
void CheckInvariants(const Profile& p) {
  uint64_t sum = 0, next_start = 0;
  int part = -1;
  for (const Layer& l : p.layers) {
    if (l.kind == Layer::Kind::kCpu) continue;
    if (l.partition != part) part = l.partition;
    EXPECT_EQ(l.array_cycles + l.stalls.Sum(), l.cycles) << l.op << " #" << l.op_index;
    EXPECT_EQ(l.start_cycle, next_start) << l.op << " #" << l.op_index;
    next_start = l.start_cycle + l.cycles;
    sum += l.cycles;
    EXPECT_LE(l.utilization, 1.0) << l.op << " #" << l.op_index;
  }
  EXPECT_EQ(sum, p.total.cycles);
}

// The analytic backend against SystemC, every shared model and the built-in
// model, at edge and tiny: totals within 2 %, each op within 10 %. Prints
// the error table.
TEST(ProfileTest, AnalyticAgainstSystemCOnEveryModel) {
  std::vector<std::string> paths;
  for (const std::string& n : SharedModels()) paths.push_back(ModelsDir() + "/" + n);
  if (paths.empty()) std::printf("note: no shared models in %s; the built-in model only\n", ModelsDir().c_str());
  ASSERT_FALSE(BuiltinModelPath().empty());
  paths.push_back(BuiltinModelPath());
  std::printf("%-44s %-5s %12s %12s %9s %13s\n", "model", "cfg", "SystemC", "analytic", "total err", "worst op err");
  for (const std::string& path : paths) {
    for (const char* cfg : {"edge", "tiny"}) {
      SCOPED_TRACE(path + " " + cfg);
      StatusOr<Profile> p = ProfileModel(path, Options(Backend::kAnalytic, cfg, /*validate=*/true));
      ASSERT_TRUE(p.ok()) << p.status().ToString();
      CheckInvariants(*p);
      ASSERT_TRUE(p->total.has_reference);
      double worst = 0;
      for (const Layer& l : p->layers) {
        if (l.kind == Layer::Kind::kCpu) continue;
        ASSERT_TRUE(l.has_reference);
        if (l.kind == Layer::Kind::kOp) {
          EXPECT_LE(std::fabs(l.error_pct), 10.0) << l.op << " #" << l.op_index;
          worst = std::max(worst, std::fabs(l.error_pct));
        }
      }
      EXPECT_LE(std::fabs(p->total.error_pct), 2.0);
      const std::string name = path.substr(path.find_last_of('/') + 1);
      std::printf("%-44s %-5s %12llu %12llu %8.3f%% %12.3f%%\n", name.c_str(), cfg,
                  static_cast<unsigned long long>(p->total.reference_cycles),
                  static_cast<unsigned long long>(p->total.cycles), p->total.error_pct, worst);
    }
  }
}

// Random legal programs (simulator/test_util.h), their pc range cut into
// random "ops": the attribution of the estimator's spans against the
// SystemC device's, every row within 10 %, the total within 2 %.
TEST(ProfileTest, AnalyticAgainstSystemCOnRandomPrograms) {
  for (int n : {8, 16}) {
    sim::DeviceConfig cfg = sim::DeviceConfig::Small(n);
    cfg.link = n == 8 ? sim::LinkConfig::Usb3() : sim::LinkConfig::PcieGen2x1();
    StatusOr<std::unique_ptr<sim::Device>> dev = sim::Device::Create(cfg);
    ASSERT_TRUE(dev.ok()) << dev.status().ToString();
    Xorshift32 rng(sim::testing::TestSeed("ProfileRandomPrograms", 4200 + n));
    double worst_total = 0, worst_row = 0;
    const int kPrograms = 40;
    for (int i = 0; i < kPrograms; ++i) {
      const auto kind = static_cast<sim::testing::OpKind>(rng.Next() % static_cast<uint32_t>(sim::testing::OpKind::kNumKinds));
      sim::testing::OpCase oc = sim::testing::MakeCase(kind, cfg, rng);
      SCOPED_TRACE(::testing::Message() << n << "x" << n << " program " << i << ": " << oc.name);
      // Up to 4 ops over [1, size): random cut points.
      std::vector<OpRange> ops;
      const uint64_t size = oc.insns.size();
      std::vector<uint64_t> cuts{1, size};
      for (int c = 0; c < 3 && size > 2; ++c) cuts.push_back(1 + rng.Next() % (size - 1));
      std::sort(cuts.begin(), cuts.end());
      cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
      for (size_t c = 0; c + 1 < cuts.size(); ++c) ops.push_back(OpRange{cuts[c], cuts[c + 1] - cuts[c]});

      sim::testing::HostBuffers sh(oc);
      std::vector<sim::InstructionSpan> sim_spans, est_spans;
      sim::RunOptions ro;
      ro.spans = &sim_spans;
      StatusOr<sim::PerfCounters> sr = (*dev)->Run(oc.program, sh.host, ro);
      ASSERT_TRUE(sr.ok()) << sr.status().ToString();
      sim::testing::HostBuffers eh(oc);
      StatusOr<sim::Estimate> est = sim::EstimateCycles(oc.program, cfg, eh.host, &est_spans);
      ASSERT_TRUE(est.ok()) << est.status().ToString();
      StatusOr<std::vector<Layer>> a = Attribute(oc.insns, est_spans, ops, est->cycles, cfg);
      StatusOr<std::vector<Layer>> s = Attribute(oc.insns, sim_spans, ops, sr->cycles, cfg);
      ASSERT_TRUE(a.ok()) << a.status().ToString();
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      ASSERT_EQ(a->size(), s->size());
      uint64_t sum = 0;
      for (size_t r = 0; r < s->size(); ++r) {
        const Layer& sl = (*s)[r];
        EXPECT_EQ(sl.array_cycles + sl.stalls.Sum(), sl.cycles) << "row " << r;
        sum += sl.cycles;
        const double ref = static_cast<double>(sl.cycles);
        const double err = ref > 0 ? std::fabs(static_cast<double>((*a)[r].cycles) - ref) / ref : 0.0;
        EXPECT_LE(err, 0.10) << "row " << r << ": analytic " << (*a)[r].cycles << ", SystemC " << sl.cycles;
        worst_row = std::max(worst_row, err);
      }
      EXPECT_EQ(sum, sr->cycles);
      const double terr = std::fabs(static_cast<double>(est->cycles) - static_cast<double>(sr->cycles)) /
                          static_cast<double>(sr->cycles);
      EXPECT_LE(terr, 0.02);
      worst_total = std::max(worst_total, terr);
    }
    std::printf("%dx%d, %d random programs: worst total error %.3f %%, worst row error %.3f %%\n", n, n, kPrograms,
                100 * worst_total, 100 * worst_row);
  }
}

// total.cycles is what the delegate's device counters say for one
// inference (`systole run --device sim` prints them).
TEST(ProfileTest, TotalCyclesEqualSystoleRun) {
  std::vector<std::string> paths{BuiltinModelPath()};
  for (const char* m : {"hello_world_int8.tflite", "mobilenet_v1_0.25_128_quant.tflite"}) {
    std::ifstream f(ModelsDir() + "/" + m);
    if (f) paths.push_back(ModelsDir() + "/" + m);
  }
  for (const std::string& path : paths) {
    for (const char* cfg : {"edge", "tiny"}) {
      SCOPED_TRACE(path + " " + cfg);
      StatusOr<Profile> p = ProfileModel(path, Options(Backend::kSystemC, cfg));
      ASSERT_TRUE(p.ok()) << p.status().ToString();
      CheckInvariants(*p);
      StatusOr<std::unique_ptr<Model>> model = Model::FromFile(path);
      ASSERT_TRUE(model.ok());
      delegate::DelegateOptions d;
      d.config = cfg;
      d.tflite_flavor = TfliteFlavor::kRuy;
      auto dlg = delegate::CreateDelegate(d);
      ASSERT_TRUE(dlg.ok()) << dlg.status().ToString();
      BuiltinOpResolver resolver(TfliteFlavor::kRuy);
      auto interp = Interpreter::Create(**model, resolver);
      ASSERT_TRUE(interp.ok());
      ASSERT_TRUE((*interp)->ModifyGraphWithDelegate(dlg->get()).ok());
      ASSERT_TRUE((*interp)->AllocateTensors().ok());
      ASSERT_TRUE(FillInputsFromSeed(interp->get(), 1).ok());
      ASSERT_TRUE((*interp)->Invoke().ok());
      EXPECT_EQ(p->total.cycles, delegate::Counters(dlg->get()).cycles);
      // And the analytic backend gives the same total.
      StatusOr<Profile> a = ProfileModel(path, Options(Backend::kAnalytic, cfg));
      ASSERT_TRUE(a.ok());
      EXPECT_EQ(a->total.cycles, p->total.cycles);
    }
  }
}

// A model `systole compile` wrote (SYSTOLE ops carrying their executables)
// profiles like the model it came from; the analytic backend estimates the
// one-time parameter load as the device measures it.
TEST(ProfileTest, CompiledModelProfilesLikeItsSource) {
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(ReadFile(BuiltinModelPath(), &bytes).ok());
  delegate::DelegateOptions d;
  d.config = "tiny";
  d.tflite_flavor = TfliteFlavor::kRuy;
  StatusOr<delegate::CompiledModel> cm = delegate::CompileModel(bytes, BuiltinModelPath(), d);
  ASSERT_TRUE(cm.ok()) << cm.status().ToString();
  const std::string compiled = systole::testing::TempPath("profile_test_compiled.tflite");
  ASSERT_TRUE(WriteFile(compiled, cm->tflite).ok());
  StatusOr<Profile> src = ProfileModel(BuiltinModelPath(), Options(Backend::kSystemC, "tiny"));
  StatusOr<Profile> a = ProfileModel(compiled, Options(Backend::kAnalytic, "tiny"));
  StatusOr<Profile> s = ProfileModel(compiled, Options(Backend::kSystemC, "tiny"));
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->total.cycles, src->total.cycles);
  EXPECT_EQ(a->total.cycles, s->total.cycles);
  ASSERT_EQ(s->layers.size(), src->layers.size());
  for (size_t i = 0; i < s->layers.size(); ++i) {
    EXPECT_EQ(s->layers[i].op_index, src->layers[i].op_index);
    EXPECT_EQ(s->layers[i].cycles, src->layers[i].cycles);
  }
  EXPECT_GT(s->total.parameter_load_cycles, 0u);
  EXPECT_EQ(a->total.parameter_load_cycles, s->total.parameter_load_cycles);
}

std::string ReadText(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Golden text of the report (numbers from the SystemC device), regenerated
// with SYSTOLE_UPDATE_EXPECTED=1.
void CheckGolden(const std::string& model_path, const std::string& shown_name, const std::string& cfg,
                 const std::string& expected_file) {
  StatusOr<Profile> p = ProfileModel(model_path, Options(Backend::kSystemC, cfg));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  p->model = shown_name;
  const std::string got = FormatText(*p);
  const std::string path = std::string(SYSTOLE_SOURCE_DIR) + "/tools/testdata/" + expected_file;
  if (std::getenv("SYSTOLE_UPDATE_EXPECTED")) {
    std::ofstream(path) << got;
    std::printf("updated %s\n", path.c_str());
    return;
  }
  EXPECT_EQ(got, ReadText(path)) << "regenerate with SYSTOLE_UPDATE_EXPECTED=1 if the change is meant";
}

// hello_world_int8 on edge (64x64, 500 MHz, USB 3: 20 us = 10,000 cycles
// latency per transfer, 400 MB/s). Op 0, FULLY_CONNECTED 1 -> 16, by hand
// from docs/accelerator.md's cycle table (R = C = 64, L = 1,
// REQUANT_LATENCY = 5):
//   LOAD_WEIGHTS  R + L             = 65   (weight load)
//   MATMUL m=1    m + R + C - 1 + L = 129  (1 array cycle, 128 fill/drain)
//   POSTPROC m=1  m + 3 + L + 5     = 10   (vector unit)
//   no waits (its inputs are on chip): 65 + 129 + 10 = 204 cycles.
// The (input) row: LOAD of 1 byte = 10,000 + ceil(1 * 500e6 / 400e6) =
// 10,002 cycles from cycle 1 (fetch), so compute's first NOP waits until
// cycle 10,003 and ends at 10,004: 10,003 link + 1 dependency cycle.
TEST(ProfileTest, GoldenTextHelloWorld) {
  SKIP_WITHOUT_SHARED_MODELS();
  CheckGolden(ModelsDir() + "/hello_world_int8.tflite", "hello_world_int8.tflite", "edge",
              "profile_hello_world_edge.txt");
}

TEST(ProfileTest, GoldenTextBuiltinMobileNetV2LikeTiny) {
  CheckGolden(BuiltinModelPath(), "mobilenet-v2-like.tflite", "tiny", "profile_mobilenet_v2_like_tiny.txt");
}

// Where the profile and `systole compile`'s report overlap they agree: an
// op's busy (compute) cycles are the compile report's estimated cycles, and
// the totals are its estimated cycles per inference.
TEST(ProfileTest, ConsistentWithTheCompileReport) {
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(ReadFile(BuiltinModelPath(), &bytes).ok());
  delegate::DelegateOptions d;
  d.config = "tiny";
  d.tflite_flavor = TfliteFlavor::kRuy;
  StatusOr<delegate::CompiledModel> cm = delegate::CompileModel(bytes, BuiltinModelPath(), d);
  ASSERT_TRUE(cm.ok()) << cm.status().ToString();
  StatusOr<Profile> p = ProfileModel(BuiltinModelPath(), Options(Backend::kAnalytic, "tiny"));
  ASSERT_TRUE(p.ok());
  uint64_t compile_total = 0;
  size_t checked = 0;
  for (const delegate::Partition& part : cm->plan.partitions)
    for (const delegate::Step& step : part.steps) {
      compile_total += step.compiled->report.estimated_cycles;
      for (const compiler::OpReport& o : step.compiled->report.ops)
        for (const Layer& l : p->layers)
          if (l.kind == Layer::Kind::kOp && l.op_index == o.node_index) {
            EXPECT_EQ(l.busy_cycles, o.estimated_cycles) << o.op << " #" << o.node_index;
            EXPECT_EQ(l.macs, o.macs) << o.op << " #" << o.node_index;
            ++checked;
          }
    }
  EXPECT_EQ(checked, 31u);
  EXPECT_EQ(p->total.cycles, compile_total);
}

TEST(ProfileTest, JsonHasTheDocumentedKeys) {
  StatusOr<Profile> p = ProfileModel(BuiltinModelPath(), Options(Backend::kAnalytic, "tiny"));
  ASSERT_TRUE(p.ok());
  const nlohmann::json j = nlohmann::json::parse(ToJson(*p));
  for (const char* k : {"model", "config", "backend", "total", "layers"}) EXPECT_TRUE(j.contains(k)) << k;
  for (const char* k : {"cycles", "latency_ms", "macs", "utilization", "link_bytes", "inferences_per_s"})
    EXPECT_TRUE(j["total"].contains(k)) << k;
  EXPECT_EQ(j["total"]["cycles"].get<uint64_t>(), p->total.cycles);
  EXPECT_EQ(j["backend"], "analytic");
  ASSERT_EQ(j["layers"].size(), p->layers.size());
  for (const auto& l : j["layers"])
    for (const char* k : {"op_index", "op", "partition", "cycles", "macs", "utilization", "stalls"})
      EXPECT_TRUE(l.contains(k)) << k;
  // CSV: a header and one line per layer.
  const std::string csv = ToCsv(*p);
  EXPECT_EQ(static_cast<size_t>(std::count(csv.begin(), csv.end(), '\n')), p->layers.size() + 1);
}

// A model with ops on the CPU lists them with their reason.
TEST(ProfileTest, CpuOpsListedWithReason) {
  ProfileOptions o = Options(Backend::kAnalytic, "tiny");
  o.delegate.partition.deny = {"SOFTMAX"};
  StatusOr<Profile> p = ProfileModel(BuiltinModelPath(), o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->cpu_ops, 1);
  bool found = false;
  for (const Layer& l : p->layers)
    if (l.kind == Layer::Kind::kCpu) {
      found = true;
      EXPECT_EQ(l.op, "SOFTMAX");
      EXPECT_NE(l.reason.find("denied by --deny SOFTMAX"), std::string::npos) << l.reason;
    }
  EXPECT_TRUE(found);
  EXPECT_NE(FormatText(*p).find("on the CPU: SOFTMAX (op 30): denied by --deny SOFTMAX"), std::string::npos)
      << FormatText(*p);
}

// The trace: one slice per instruction on its unit's track (compute
// instructions that overlap on further compute tracks, tids 11..), one per DMA
// on a link track, one per layer; no two slices of a track overlap partially.
TEST(ProfileTest, ChromeTraceHasEveryInstruction) {
  ProfileOptions o = Options(Backend::kSystemC, "tiny");
  o.keep_runs = true;
  StatusOr<Profile> p = ProfileModel(BuiltinModelPath(), o);
  ASSERT_TRUE(p.ok());
  const nlohmann::json t = nlohmann::json::parse(ToChromeTrace(*p));
  std::map<int, size_t> per_tid;
  std::map<int, std::vector<std::pair<double, double>>> slices;
  size_t overlapping = 0;
  for (const auto& e : t["traceEvents"])
    if (e["ph"] == "X") {
      const int tid = e["tid"].get<int>();
      ++per_tid[tid];
      if (tid > 10) ++overlapping;
      slices[tid].push_back({e["ts"].get<double>(), e["ts"].get<double>() + e["dur"].get<double>()});
    }
  for (auto& [tid, v] : slices) {
    std::sort(v.begin(), v.end());
    for (size_t i = 1; i < v.size(); ++i)
      EXPECT_FALSE(v[i].first < v[i - 1].second - 1e-9 && v[i].second > v[i - 1].second + 1e-9)
          << "track " << tid << ": partial overlap at " << v[i].first;
  }
  EXPECT_GT(overlapping, 0u) << "no compute instruction overlapped another (pipelined MATMULs)";
  uint64_t insns = 0, dma = 0;
  for (const ExecutableRun& r : p->runs) {
    insns += r.spans.size();
    for (const isa::Instruction& i : r.program)
      dma += i.opcode() == isa::Opcode::kLoad || i.opcode() == isa::Opcode::kStore;
  }
  EXPECT_EQ(per_tid[2] + per_tid[3] + per_tid[4] + overlapping, insns);
  EXPECT_EQ(per_tid[5] + per_tid[6], dma);
  EXPECT_GT(per_tid[1], 0u);
  EXPECT_EQ(insns, p->total.instructions);
}

TEST(ProfileTest, BadInputsAreErrors) {
  EXPECT_FALSE(ProfileModel("/nonexistent.tflite", Options(Backend::kAnalytic, "edge")).ok());
  EXPECT_FALSE(ProfileModel(std::string(SYSTOLE_SOURCE_DIR) + "/tools/CMakeLists.txt",
                            Options(Backend::kAnalytic, "edge")).ok());
  StatusOr<Profile> p = ProfileModel(BuiltinModelPath(), Options(Backend::kAnalytic, "no-such-config"));
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("no-such-config"), std::string::npos) << p.status().ToString();
  EXPECT_FALSE(ParseBackend("verilog").ok());
  // Spans that do not cover the program are refused, not misattributed.
  std::vector<isa::Instruction> prog(2, isa::Instruction{{}, isa::NopArgs{}});
  EXPECT_FALSE(Attribute(prog, {sim::InstructionSpan{1, 0, 0, 1}}, {}, 2, sim::DeviceConfig{}).ok());
  EXPECT_FALSE(Attribute(prog, {sim::InstructionSpan{1, 0, 0, 1}, sim::InstructionSpan{1, 5, 1, 1}}, {}, 2,
                         sim::DeviceConfig{}).ok());
}

// A cancel before the first executable gives an empty, partial profile.
TEST(ProfileTest, CancelGivesPartialReport) {
  std::atomic<bool> cancel{true};
  ProfileOptions o = Options(Backend::kAnalytic, "tiny");
  o.cancel = &cancel;
  StatusOr<Profile> p = ProfileModel(BuiltinModelPath(), o);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->partial);
  EXPECT_EQ(p->total.cycles, 0u);
  EXPECT_NE(FormatText(*p).find("PARTIAL"), std::string::npos);
  EXPECT_NE(ToJson(*p).find("\"partial\": true"), std::string::npos);
}

#ifdef SYSTOLE_HAVE_RTL
// The RTL core in the device's slot gives the same total cycles as the
// behavioural core on every shared model (tiny = 16x16, Verilated).
TEST(ProfileTest, RtlTotalCyclesEqualSystemC) {
  std::vector<std::string> paths{BuiltinModelPath()};
  for (const std::string& n : SharedModels()) paths.push_back(ModelsDir() + "/" + n);
  for (const std::string& path : paths) {
    SCOPED_TRACE(path);
    StatusOr<Profile> s = ProfileModel(path, Options(Backend::kSystemC, "tiny"));
    StatusOr<Profile> r = ProfileModel(path, Options(Backend::kRtl, "tiny"));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->total.cycles, s->total.cycles);
    std::printf("%-44s tiny: SystemC %llu cycles, RTL %llu cycles\n", path.substr(path.find_last_of('/') + 1).c_str(),
                static_cast<unsigned long long>(s->total.cycles), static_cast<unsigned long long>(r->total.cycles));
    ASSERT_EQ(r->layers.size(), s->layers.size());
    for (size_t i = 0; i < r->layers.size(); ++i) EXPECT_EQ(r->layers[i].cycles, s->layers[i].cycles) << i;
  }
}
#endif

}  // namespace
}  // namespace systole::profile
