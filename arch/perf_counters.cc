#include "arch/perf_counters.h"

#include <cinttypes>

#include "common/status.h"

namespace systole::sim {

std::string PerfCounters::ToString() const {
  auto unit = [](const char* name, const UnitCounters& u) {
    return StrFormat("  %-8s busy %10" PRIu64 "  stall_dma %10" PRIu64 "  stall_dep %10" PRIu64
                     "  idle %10" PRIu64 "  insns %8" PRIu64 "\n",
                     name, u.busy, u.stall_dma, u.stall_dep, u.idle, u.instructions);
  };
  return StrFormat("cycles %" PRIu64 ", MACs %" PRIu64 ", bytes loaded %" PRIu64 ", stored %" PRIu64
                   ", fetch stalled %" PRIu64 "\n",
                   cycles, macs, bytes_loaded, bytes_stored, fetch_stall_queue_full) +
         unit("load", load) + unit("compute", compute) + unit("store", store);
}

}  // namespace systole::sim
