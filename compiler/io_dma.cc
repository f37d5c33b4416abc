// Host DMA of a partition: where its inputs and outputs live in the host
// regions, the LOADs that bring the constant operands and the inputs into
// their views (an NCHW input transposed on the way), in row bands when
// asked, and the STOREs of the outputs.
#include <algorithm>

#include "compiler/partition.h"
#include "compiler/schedule.h"

namespace systole::compiler {
namespace {

isa::LoadArgs AbufLoad(int region, uint64_t host_off, uint64_t host_stride, uint64_t sram, uint64_t sram_stride,
                       uint32_t rows, uint64_t row_bytes) {
  isa::LoadArgs a;
  a.buffer = static_cast<uint32_t>(isa::Buffer::kAbuf);
  a.region = static_cast<uint32_t>(region);
  a.rows = rows;
  a.row_bytes = static_cast<uint32_t>(row_bytes);
  a.sram_addr = static_cast<uint32_t>(sram);
  a.sram_stride = static_cast<uint32_t>(sram_stride);
  a.host_offset = static_cast<uint32_t>(host_off);
  a.host_stride = static_cast<uint32_t>(host_stride);
  return a;
}

constexpr int kMaxPlanes = 256;  // LOAD's extra_planes is 8 bits

}  // namespace

HostIo PartitionCompiler::BindHostRegions() const {
  HostIo io;
  for (int t : spec_.inputs) {
    const uint32_t sz = static_cast<uint32_t>(NumElements(T(t)));
    io.inputs.push_back({t, io.input_bytes, sz});
    io.input_bytes += (sz + 63) / 64 * 64;
  }
  for (int t : spec_.outputs) {
    const uint32_t sz = static_cast<uint32_t>(NumElements(T(t)));
    io.outputs.push_back({t, io.output_bytes, sz});
    io.output_bytes += (sz + 63) / 64 * 64;
  }
  return io;
}

Status PartitionCompiler::InputLoads(const ParameterBlob& blob, const HostIo& io, bool banded,
                                     std::vector<LoadGroup>* groups) const {
  groups->assign(1, LoadGroup{});
  // A tensor's rows go to its view: one DMA row when the view is contiguous.
  auto load_view = [&](int region, uint64_t host_off, const View& v, uint32_t size) -> Status {
    std::vector<Instruction>& out = groups->back().loads;
    const int64_t row = int64_t{v.w} * v.c;
    if (v.row_pitch == row && size <= kMaxRowBytes) {
      out.push_back(Instruction{{}, AbufLoad(region, host_off, 0, Addr(v, 0, 0), 0, 1, size)});
      return Status::Ok();
    }
    if (row > kMaxRowBytes) return Unimplemented("tensor row of %lld bytes", static_cast<long long>(row));
    for (int y0 = 0; y0 < v.h; y0 += kMaxRows) {
      const int rows = std::min<int>(kMaxRows, v.h - y0);
      out.push_back(Instruction{{}, AbufLoad(region, host_off + y0 * row, row, Addr(v, y0, 0), v.row_pitch,
                                             static_cast<uint32_t>(rows), static_cast<uint64_t>(row))});
    }
    return Status::Ok();
  };
  for (const auto& [t, off] : blob.const_at)
    RETURN_IF_ERROR(load_view(kRegionParams, off, ts_.at(t).view, static_cast<uint32_t>(NumElements(T(t)))));
  for (const HostBinding& b : io.inputs) {
    const TensorState& ist = ts_.at(b.tensor);
    const bool transposed = ist.transposed_by >= 0;
    const View& v = transposed ? ts_.at(out(ist.transposed_by)).view : ist.view;
    const int nb = banded ? std::min(std::max(plan_.bands, 1), v.h) : 1;
    for (int k = 0; k < nb; ++k) {
      if (k > 0) groups->push_back(LoadGroup{});
      const int y0 = v.h * k / nb, y1 = v.h * (k + 1) / nb;
      if (transposed) {
        // NCHW in host memory -> NHWC on chip: a strided 3-D DMA, one plane
        // per channel (up to 256 planes per LOAD, one link transfer each).
        const int64_t plane = int64_t{v.h} * v.w;
        for (int c0 = 0; c0 < v.c; c0 += kMaxPlanes) {
          isa::LoadArgs a = AbufLoad(kRegionInput, b.offset + c0 * plane + int64_t{y0} * v.w, 1,
                                     Addr(v, y0, 0) + c0, v.pix_pitch,
                                     static_cast<uint32_t>(int64_t{y1 - y0} * v.w), 1);
          a.extra_planes = static_cast<uint32_t>(std::min(kMaxPlanes, v.c - c0) - 1);
          a.sram_plane_stride = 1;
          a.host_plane_stride = static_cast<uint32_t>(plane);
          groups->back().loads.push_back(Instruction{{}, a});
        }
      } else {
        View rows = v;
        rows.offset += int64_t{y0} * v.row_pitch;
        rows.h = y1 - y0;
        RETURN_IF_ERROR(load_view(kRegionInput, b.offset + uint64_t(y0) * v.w * v.c, rows,
                                  static_cast<uint32_t>(int64_t{y1 - y0} * v.w * v.c)));
      }
      if (nb > 1) {
        groups->back().abuf_begin = static_cast<uint64_t>(Addr(v, y0, 0));
        groups->back().abuf_end = static_cast<uint64_t>(
            k + 1 == nb ? Addr(v, v.h - 1, 0) + int64_t{v.w} * v.pix_pitch : Addr(v, y1, 0));
      }
    }
  }
  return Status::Ok();
}

Status PartitionCompiler::OutputStores(const HostIo& io, std::vector<Instruction>* stores) const {
  for (const HostBinding& b : io.outputs) {
    const View& v = ts_.at(b.tensor).view;
    const int64_t row = int64_t{v.w} * v.c;
    auto store = [&](uint64_t host_off, uint64_t host_stride, uint64_t sram, uint64_t sram_stride, uint32_t rows,
                     uint64_t row_bytes) {
      isa::StoreArgs a;
      a.buffer = static_cast<uint32_t>(isa::Buffer::kAbuf);
      a.region = kRegionOutput;
      a.rows = rows;
      a.row_bytes = static_cast<uint32_t>(row_bytes);
      a.sram_addr = static_cast<uint32_t>(sram);
      a.sram_stride = static_cast<uint32_t>(sram_stride);
      a.host_offset = static_cast<uint32_t>(host_off);
      a.host_stride = static_cast<uint32_t>(host_stride);
      stores->push_back(Instruction{{}, a});
    };
    if (v.row_pitch == row && b.size <= kMaxRowBytes) {
      store(b.offset, 0, Addr(v, 0, 0), 0, 1, b.size);
    } else {
      if (row > kMaxRowBytes) return Unimplemented("output row of %lld bytes", static_cast<long long>(row));
      for (int y0 = 0; y0 < v.h; y0 += kMaxRows) {
        const int rows = std::min<int>(kMaxRows, v.h - y0);
        store(b.offset + y0 * row, row, Addr(v, y0, 0), v.row_pitch, static_cast<uint32_t>(rows),
              static_cast<uint64_t>(row));
      }
    }
  }
  return Status::Ok();
}

}  // namespace systole::compiler
