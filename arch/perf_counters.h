// What a Systole device reports about a run: its performance counters and,
// when asked, one span per executed instruction. These are architectural
// (a hardware device exposes the same counters), so they belong to the
// machine description: the driver's Transport returns them whatever carries
// the program (in-process simulator today; USB or PCIe later).
#ifndef SYSTOLE_ARCH_PERF_COUNTERS_H_
#define SYSTOLE_ARCH_PERF_COUNTERS_H_

#include <cstdint>
#include <string>

namespace systole::sim {

// Per-unit cycle accounting; every cycle of a run lands in exactly one bucket.
struct UnitCounters {
  uint64_t busy = 0;       // an instruction is in flight
  uint64_t stall_dma = 0;  // head instruction waits for a token from a DMA unit (load/store)
  uint64_t stall_dep = 0;  // head instruction waits for a token from the compute unit
  uint64_t idle = 0;       // queue empty
  uint64_t instructions = 0;
};

struct PerfCounters {
  uint64_t cycles = 0;
  UnitCounters load, compute, store;
  uint64_t fetch_stall_queue_full = 0;  // cycles fetch waited for queue space
  uint64_t macs = 0;
  uint64_t bytes_loaded = 0;
  uint64_t bytes_stored = 0;
  std::string ToString() const;
};

// One executed instruction: which unit ran it, its program counter, its first
// busy cycle and how many cycles it took (per-layer reports map pcs to ops).
struct InstructionSpan {
  int unit = 0;  // isa::Unit
  uint64_t pc = 0;
  uint64_t start = 0;
  uint64_t cycles = 0;
};

}  // namespace systole::sim

#endif  // SYSTOLE_ARCH_PERF_COUNTERS_H_
