// Host memory as the device sees it: up to NUM_HOST_REGIONS regions the host
// maps before a run. The device's only window on host memory; a DMA outside a
// mapped region, or against its permissions, is an illegal program.
//
// Ownership: the host owns the bytes; HostMemory stores pointers, which must
// stay valid while a run uses them.
#ifndef SYSTOLE_ARCH_HOST_MEMORY_H_
#define SYSTOLE_ARCH_HOST_MEMORY_H_

#include <array>
#include <cstdint>

#include "common/status.h"
#include "schema/isa/isa_generated.h"

namespace systole::sim {

struct HostRegion {
  uint8_t* data = nullptr;
  uint64_t size = 0;
  bool readable = false;  // the device may LOAD from it
  bool writable = false;  // the device may STORE into it
  bool mapped() const { return data != nullptr; }
};

class HostMemory {
 public:
  Status Map(int id, uint8_t* data, uint64_t size, bool readable, bool writable) {
    if (id < 0 || id >= isa::kNumHostRegions)
      return OutOfRange("host region id %d outside [0, %d)", id, isa::kNumHostRegions);
    if (data == nullptr || size == 0)
      return InvalidArgument("host region %d: empty mapping", id);
    regions_[id] = HostRegion{data, size, readable, writable};
    return Status::Ok();
  }
  void Unmap(int id) {
    if (id >= 0 && id < isa::kNumHostRegions) regions_[id] = HostRegion{};
  }
  const HostRegion& region(int id) const { return regions_[id]; }

 private:
  std::array<HostRegion, isa::kNumHostRegions> regions_{};
};

}  // namespace systole::sim

#endif  // SYSTOLE_ARCH_HOST_MEMORY_H_
