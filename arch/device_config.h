// Configuration of a Systole device model: array, memories, queues, host link.
// Every figure of the machine is a parameter here; defaults are the 64x64,
// 500 MHz, 8 MiB-parameter-cache Edge-TPU-class part (docs/accelerator.md).
#ifndef SYSTOLE_ARCH_DEVICE_CONFIG_H_
#define SYSTOLE_ARCH_DEVICE_CONFIG_H_

#include <cstdint>
#include <string>

#include "arch/compute_core.h"
#include "common/status.h"

namespace systole::sim {

// A host link direction pair. Down (host -> device) and up (device -> host)
// run independently with the same bandwidth and latency (dual simplex).
struct LinkConfig {
  std::string name = "usb3";
  double bytes_per_second = 400e6;  // sustained payload bandwidth
  double latency_seconds = 20e-6;   // fixed cost per DMA instruction

  // USB 3.0 SuperSpeed bulk transfers as an Edge TPU USB stick sees them.
  static LinkConfig Usb3() { return LinkConfig{"usb3", 400e6, 20e-6}; }
  // PCIe Gen2 x1 (5 GT/s, 8b/10b: 500 MB/s raw), as the M.2/mini-PCIe parts.
  static LinkConfig PcieGen2x1() { return LinkConfig{"pcie-gen2-x1", 450e6, 1e-6}; }
  // An ideal link (tests of compute timing): 1 byte per cycle per 1 Hz, no latency.
  static LinkConfig Ideal() { return LinkConfig{"ideal", 1e15, 0.0}; }
};

struct DeviceConfig {
  int rows = 64;                     // R
  int cols = 64;                     // C
  double clock_hz = 500e6;
  uint32_t abuf_bytes = 2u << 20;    // activation buffer
  uint32_t pbuf_bytes = 8u << 20;    // parameter cache
  uint32_t acc_rows = 4096;          // accumulator rows of C int32
  int queue_depth = 32;              // per-unit instruction queue
  int token_depth = 32;              // per-direction token FIFO
  LinkConfig link = LinkConfig::Usb3();

  CoreConfig core() const { return CoreConfig{rows, cols}; }
  // A small configuration for fast tests: R = C = n, 64 KiB buffers.
  static DeviceConfig Small(int n) {
    DeviceConfig c;
    c.rows = c.cols = n;
    c.abuf_bytes = 64u << 10;
    c.pbuf_bytes = 64u << 10;
    c.acc_rows = 1024;
    return c;
  }
  // Checks ranges (rows/cols 2..256, non-empty memories, positive clock...).
  Status Validate() const;

  // Named configurations, the ones `--config` accepts:
  //   "edge"  the default part (64x64, 2 MiB ABUF, 8 MiB PBUF, USB 3);
  //   "tiny"  a 16x16 array with 2 MiB ABUF and 4 MiB PBUF, for RTL runs
  //           (the memories live in the device model, so only the array size
  //           costs RTL simulation time);
  //   anything else is read as a JSON file whose keys override "edge":
  //   rows, cols, clock_hz, abuf_bytes, pbuf_bytes, acc_rows, queue_depth,
  //   token_depth, link ("usb3" | "pcie-gen2-x1" | "ideal"),
  //   link_bytes_per_second, link_latency_seconds. Unknown keys are errors.
  static StatusOr<DeviceConfig> FromName(const std::string& name_or_path);
  // One line: "64x64 @ 500 MHz, ABUF 2 MiB, PBUF 8 MiB, ACC 4096 rows, usb3".
  std::string ToString() const;
};

}  // namespace systole::sim

#endif  // SYSTOLE_ARCH_DEVICE_CONFIG_H_
