// `systole profile` and `systole sweep` as a user runs them, in a child
// process: Ctrl-C (SIGINT) during a long SystemC run stops it promptly and
// leaves a partial report (exit 130); the Slurm script of --emit-jobs runs
// under bash as a job array would (SLURM_ARRAY_TASK_ID per task) and the
// GNU parallel job list under real GNU parallel, both in a folder whose path
// has spaces, and --collect gives the in-process sweep's CSV.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/test_temp.h"
#include "common/xorshift32.h"
#include "modelgen/builtin_models.h"
#include "modelgen/model_builder.h"

namespace systole::testing {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string Slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A folder with spaces in its name inside this process's scratch folder.
std::string SpacedDir(const std::string& name) {
  const std::string d = TempPath(name);
  mkdir(d.c_str(), 0755);
  return d;
}

// A model whose SystemC run is long (the behavioural core computes every
// MAC: about 20 G of them here; 4 s in a Release build, 0.4 s of it to
// compile) in two partitions when ADD is denied: a light 3x3 convolution
// (16 -> 128 channels), an ADD of its output with itself (on the CPU), then
// a chain of eight 3x3 convolutions (128 -> 128) on a 128 x 128 image.
// Written once per process.
const std::string& LongModel() {
  static const std::string path = [] {
    using namespace systole::modelgen;
    ModelBuilder b;
    const int h = 128, w = 128, c = 128, heavy = 8;
    const Quant aq = Quant::PerTensor(0.05f, -3);
    const int input = b.AddTensor("input", tflite::TensorType_INT8, {1, h, w, 16}, aq);
    Xorshift32 rng(7u);
    auto conv = [&](int x, int cin, const std::string& name) {
      std::vector<int8_t> wq(static_cast<size_t>(c) * 9 * cin);
      for (int8_t& v : wq) v = static_cast<int8_t>(static_cast<int>(rng.Next() % 255) - 127);
      std::vector<float> ws(c, 0.0005f), bs(c, 0.05f * 0.0005f);
      std::vector<int32_t> bq(c);
      for (int32_t& v : bq) v = static_cast<int32_t>(rng.Next() % 2001) - 1000;
      const int wt = b.AddConstTensor(name + "/w", tflite::TensorType_INT8, {c, 3, 3, cin}, wq,
                                      Quant::PerChannel(ws, std::vector<int64_t>(c, 0), 0));
      const int bt = b.AddConstTensor(name + "/b", tflite::TensorType_INT32, {c}, bq,
                                      Quant::PerChannel(bs, std::vector<int64_t>(c, 0), 0));
      const int y = b.AddTensor(name, tflite::TensorType_INT8, {1, h, w, c}, aq);
      Conv2DOptions opt;
      opt.padding = tflite::Padding_SAME;
      opt.stride_h = opt.stride_w = 1;
      opt.activation = tflite::ActivationFunctionType_RELU;
      b.AddOperator(tflite::BuiltinOperator_CONV_2D, 3, {x, wt, bt}, {y}, opt);
      return y;
    };
    int x = conv(input, 16, "light");
    const int sum = b.AddTensor("sum", tflite::TensorType_INT8, {1, h, w, c}, aq);
    b.AddOperator(tflite::BuiltinOperator_ADD, 2, {x, x}, {sum}, ArithmeticOptions{});
    x = sum;
    for (int l = 0; l < heavy; ++l) x = conv(x, c, "heavy" + std::to_string(l));
    b.SetInputs({input});
    b.SetOutputs({x});
    const std::string p = TempPath("long conv chain.tflite");
    if (!b.FinishToFile(p)) {
      std::fprintf(stderr, "model builder: %s\n", b.error().c_str());
      return std::string();
    }
    return p;
  }();
  return path;
}

// A child process running the systole binary; stdout to a file, stderr to
// a pseudo-terminal (so progress is shown as a user sees it) or a pipe.
struct Child {
  pid_t pid = -1;
  int err_fd = -1;  // read side of stderr
  std::string err;  // what was read so far

  // Reads stderr until `what` appears or `seconds` pass; true if it appeared.
  bool WaitFor(const std::string& what, double seconds) {
    const auto t0 = Clock::now();
    while (err.find(what) == std::string::npos) {
      const double left = seconds - Since(t0);
      if (left <= 0) return false;
      pollfd p{err_fd, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left * 1000) + 1) <= 0) continue;
      char buf[4096];
      const ssize_t n = read(err_fd, buf, sizeof buf);
      if (n <= 0) return err.find(what) != std::string::npos;  // EOF or EIO (pty closed)
      err.append(buf, static_cast<size_t>(n));
    }
    return true;
  }
  // Waits for the exit at most `seconds`; -1 if it did not exit (then killed).
  int Wait(double seconds) {
    const auto t0 = Clock::now();
    int status = 0;
    for (;;) {
      const pid_t r = waitpid(pid, &status, WNOHANG);
      if (r == pid) break;
      if (Since(t0) > seconds) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return -1;
      }
      WaitFor("\x01never\x01", 0.02);  // drain stderr so the child never blocks on it
    }
    WaitFor("\x01never\x01", 0.05);
    close(err_fd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
};

Child Start(const std::vector<std::string>& args, const std::string& stdout_path, bool pty) {
  Child c;
  int master = -1, slave = -1, fds[2] = {-1, -1};
  if (pty) {
    if (openpty(&master, &slave, nullptr, nullptr, nullptr) != 0) return c;
  } else if (pipe(fds) != 0) {
    return c;
  }
  const pid_t pid = fork();
  if (pid == 0) {
    const int out = open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(pty ? slave : fds[1], 2);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  c.pid = pid;
  if (pty) {
    close(slave);
    c.err_fd = master;
  } else {
    close(fds[1]);
    c.err_fd = fds[0];
  }
  return c;
}

int Sh(const std::string& cmd) {
  const int r = std::system(cmd.c_str());
  return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

std::string Q(const std::string& s) {  // single-quoted for sh
  std::string q = "'";
  for (char ch : s) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return q + "'";
}

// Waits (at most 300 s) for `marker` in the child's progress text, sends
// SIGINT and expects the exit status of an interrupt (130) within 5 s.
void InterruptAndExpectPrompt(Child& c, const std::string& marker) {
  ASSERT_TRUE(c.WaitFor(marker, 300)) << c.err;
  const auto t0 = Clock::now();
  kill(c.pid, SIGINT);
  const int rc = c.Wait(60);
  const double stop_s = Since(t0);
  EXPECT_EQ(rc, 130) << c.err;
  EXPECT_LT(stop_s, 5.0) << "SIGINT to exit";
  std::printf("SIGINT to exit: %.3f s\n", stop_s);
}

TEST(ProfileCli, CtrlCDuringALongSystemCRunWritesAPartialReport) {
  ASSERT_FALSE(LongModel().empty());
  const std::string dir = SpacedDir("profile ctrl-c");
  const std::string json = dir + "/report.json", csv = dir + "/report.csv", html = dir + "/report.html";
  Child c = Start({SYSTOLE_BINARY, "profile", LongModel(), "--backend", "systemc", "--deny", "ADD", "--json", json,
                   "--csv", csv, "--html", html},
                  dir + "/stdout.txt", /*pty=*/true);
  ASSERT_GT(c.pid, 0);
  // The bar shows the second executable (the heavy chain) being simulated:
  // interrupt it there. Without a cancel inside the run the profile would
  // finish that executable and end complete (exit 0).
  ASSERT_NO_FATAL_FAILURE(InterruptAndExpectPrompt(c, "executable 2: "));
  EXPECT_NE(c.err.find("] 1/2; executable 2: "), std::string::npos) << c.err;
  EXPECT_NE(c.err.find("systole profile: interrupted; the report is partial"), std::string::npos) << c.err;
  // The report: partition 0 (the light convolution) with its cycles, the CPU
  // ADD, nothing of partition 1; marked partial in every format.
  const nlohmann::json j = nlohmann::json::parse(Slurp(json));
  EXPECT_TRUE(j.at("partial").get<bool>());
  int part0 = 0, part1 = 0, cpu = 0;
  uint64_t cycles0 = 0;
  for (const auto& l : j.at("layers")) {
    const int part = l.at("partition").get<int>();
    if (part == 0) ++part0, cycles0 += l.at("cycles").get<uint64_t>();
    if (part == 1) ++part1;
    if (part == -1) ++cpu;
  }
  EXPECT_EQ(part0, 3);  // (input), CONV_2D, (output)
  EXPECT_GT(cycles0, 0u);
  EXPECT_EQ(part1, 0);
  EXPECT_EQ(cpu, 1);
  EXPECT_EQ(j.at("total").at("cycles").get<uint64_t>(), cycles0);
  const std::string text = Slurp(dir + "/stdout.txt");
  EXPECT_NE(text.find("[PARTIAL: interrupted]"), std::string::npos) << text;
  EXPECT_NE(Slurp(html).find("\"partial\": true"), std::string::npos);
  EXPECT_NE(Slurp(csv).find("\n# partial: interrupted"), std::string::npos) << Slurp(csv);
}

// The built-in MobileNetV2-like model in a folder with a space. Written once.
const std::string& SmallModel() {
  static const std::string path = [] {
    const std::string p = SpacedDir("small model") + "/mobilenet v2 like.tflite";
    std::string error;
    const std::vector<uint8_t> m = modelgen::MakeBuiltinModel("mobilenet-v2-like", &error);
    std::ofstream f(p, std::ios::binary);
    f.write(reinterpret_cast<const char*>(m.data()), static_cast<std::streamsize>(m.size()));
    return m.empty() || !f.good() ? std::string() : p;
  }();
  return path;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) out.push_back(line);
  return out;
}

// A sweep CSV without its first column (the index) and comment lines.
std::string CsvBody(const std::string& path) {
  std::string out;
  for (const std::string& l : Lines(Slurp(path)))
    if (!l.empty() && l[0] != '#') out += l.substr(l.find(',') + 1) + "\n";
  return out;
}

TEST(SweepCli, CtrlCStopsTheWorkersAndWritesAPartialCsv) {
  ASSERT_FALSE(SmallModel().empty());
  const std::string dir = SpacedDir("sweep ctrl-c");
  const std::string csv = dir + "/grid.csv", html = dir + "/grid.html";
  // 144 SystemC profiles (5 s in a Release build), two at a time (the
  // simulations themselves take turns).
  Child c = Start({SYSTOLE_BINARY, "sweep", SmallModel(), "--rows", "8,16,32,64", "--cols", "8,16,32,64", "--link",
                   "usb3,pcie,ideal", "--clock", "250M,500M,1G", "--backend", "systemc", "--jobs", "2", "--csv", csv,
                   "--html", html},
                  dir + "/stdout.txt", /*pty=*/true);
  ASSERT_GT(c.pid, 0);
  ASSERT_NO_FATAL_FAILURE(InterruptAndExpectPrompt(c, "/144 configurations"));
  const std::vector<std::string> lines = Lines(Slurp(csv));
  ASSERT_EQ(lines.size(), 1u + 144u + 1u) << Slurp(csv);
  EXPECT_EQ(lines.back(), "# partial: not every configuration has its result");
  int ok = 0, stopped = 0;
  for (size_t i = 1; i + 1 < lines.size(); ++i) {
    if (lines[i].find(",\"ok\",") != std::string::npos) ++ok;
    if (lines[i].find(",\"not run\",") != std::string::npos || lines[i].find(",\"interrupted\",") != std::string::npos)
      ++stopped;
  }
  EXPECT_GE(ok, 1);
  EXPECT_GE(stopped, 1);
  EXPECT_EQ(ok + stopped, 144) << Slurp(csv);
  std::printf("%d of 144 configurations done when interrupted\n", ok);
  EXPECT_NE(Slurp(html).find("\"partial\":true"), std::string::npos);
  EXPECT_NE(Slurp(dir + "/stdout.txt").find("(PARTIAL: interrupted)"), std::string::npos);
}

// The grid every job test uses, and its in-process CSV (once per process).
const std::vector<std::string> kGrid = {"--rows", "16,32", "--link", "usb3,pcie", "--config", "tiny"};

const std::string& InProcessCsv() {
  static const std::string path = [] {
    const std::string dir = SpacedDir("in process");
    std::vector<std::string> args = {SYSTOLE_BINARY, "sweep", SmallModel()};
    args.insert(args.end(), kGrid.begin(), kGrid.end());
    for (const char* a : {"--jobs", "2", "--quiet", "--csv"}) args.push_back(a);
    args.push_back(dir + "/grid.csv");
    args.push_back("--html");
    args.push_back(dir + "/grid.html");
    Child c = Start(args, dir + "/stdout.txt", false);
    return c.pid > 0 && c.Wait(300) == 0 ? dir + "/grid.csv" : std::string();
  }();
  return path;
}

int Emit(const std::string& kind, const std::string& dir) {
  std::vector<std::string> args = {SYSTOLE_BINARY, "sweep", SmallModel()};
  args.insert(args.end(), kGrid.begin(), kGrid.end());
  for (const std::string& a : {std::string("--emit-jobs"), kind, dir}) args.push_back(a);
  Child c = Start(args, TempPath("emit.txt"), false);
  return c.pid > 0 ? c.Wait(60) : -1;
}

int Collect(const std::string& dir) {
  Child c = Start({SYSTOLE_BINARY, "sweep", "--collect", dir}, TempPath("collect.txt"), false);
  return c.pid > 0 ? c.Wait(60) : -1;
}

// The Slurm job array, as Slurm runs it: the script once per task with
// SLURM_ARRAY_TASK_ID set (the #SBATCH lines are comments to the shell).
TEST(SweepCli, SlurmScriptRunUnderBashCollectsAsInProcess) {
  ASSERT_FALSE(SmallModel().empty());
  ASSERT_FALSE(InProcessCsv().empty());
  const std::string dir = TempPath("slurm jobs 100%");  // a space and a % (a Slurm file-name pattern character)
  ASSERT_EQ(Emit("slurm", dir), 0);
  const std::string script = Slurp(dir + "/sweep.slurm");
  EXPECT_NE(script.find("\n#SBATCH --array=0-3\n"), std::string::npos) << script;
  // sbatch reads quoted #SBATCH arguments; %% is a literal % in its patterns.
  EXPECT_NE(script.find("\n#SBATCH --output=\"" + TempPath("slurm jobs 100%%") + "/results/%a.log\"\n"),
            std::string::npos)
      << script;
  for (int task = 0; task < 4; ++task)
    ASSERT_EQ(Sh("SLURM_ARRAY_TASK_ID=" + std::to_string(task) + " bash " + Q(dir + "/sweep.slurm")), 0) << task;
  // Without a task id the script says what is wrong instead of running.
  EXPECT_NE(Sh("env -u SLURM_ARRAY_TASK_ID bash " + Q(dir + "/sweep.slurm") + " 2> " + Q(TempPath("no_task.txt"))),
            0);
  EXPECT_NE(Slurp(TempPath("no_task.txt")).find("submit this script with sbatch"), std::string::npos);
  ASSERT_EQ(Collect(dir), 0);
  EXPECT_EQ(CsvBody(dir + "/sweep.csv"), CsvBody(InProcessCsv()));
  EXPECT_EQ(Lines(Slurp(dir + "/sweep.csv")).size(), 5u);
}

// The GNU parallel job list, run by GNU parallel as the help says.
TEST(SweepCli, ParallelJobListUnderGnuParallelCollectsAsInProcess) {
  if (Sh("parallel --version 2>/dev/null | grep -q 'GNU parallel'") != 0)
    GTEST_SKIP() << "GNU parallel is not installed (Debian package parallel; scripts/install_deps.sh)";
  ASSERT_FALSE(SmallModel().empty());
  ASSERT_FALSE(InProcessCsv().empty());
  const std::string dir = TempPath("parallel jobs");
  ASSERT_EQ(Emit("parallel", dir), 0);
  EXPECT_EQ(Lines(Slurp(dir + "/jobs.txt")).size(), 4u);
  ASSERT_EQ(Sh("parallel < " + Q(dir + "/jobs.txt")), 0);
  ASSERT_EQ(Collect(dir), 0);
  EXPECT_EQ(CsvBody(dir + "/sweep.csv"), CsvBody(InProcessCsv()));
  // A result deleted: collect lists it as missing and marks the CSV partial.
  ASSERT_EQ(std::remove((dir + "/results/2.json").c_str()), 0);
  ASSERT_EQ(Collect(dir), 0);
  const std::string csv = Slurp(dir + "/sweep.csv");
  EXPECT_NE(csv.find("\n2,"), std::string::npos);
  EXPECT_NE(csv.find(",\"missing\","), std::string::npos) << csv;
  EXPECT_NE(csv.find("\n# partial:"), std::string::npos) << csv;
}

}  // namespace
}  // namespace systole::testing
