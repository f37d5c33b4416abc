#include "interpreter/tensor_io.h"

#include <cstring>
#include <fstream>

#include "common/xorshift32.h"

namespace systole {

size_t InputBytes(const Interpreter& interp) {
  size_t n = 0;
  for (int t : interp.inputs()) n += interp.tensor(t)->bytes;
  return n;
}

size_t OutputBytes(const Interpreter& interp) {
  size_t n = 0;
  for (int t : interp.outputs()) n += interp.tensor(t)->bytes;
  return n;
}

std::vector<uint8_t> SeedInputBytes(const std::vector<TfLiteType>& types,
                                    const std::vector<size_t>& bytes, uint32_t seed) {
  Xorshift32 rng(seed);
  std::vector<uint8_t> out;
  for (size_t i = 0; i < types.size(); ++i) {
    const size_t begin = out.size();
    out.resize(begin + bytes[i]);
    uint8_t* p = out.data() + begin;
    switch (types[i]) {
      case kTfLiteFloat32: {
        for (size_t k = 0; k + 4 <= bytes[i]; k += 4) {
          const float v = static_cast<float>(rng.NextUnitDouble());
          std::memcpy(p + k, &v, 4);
        }
        break;
      }
      case kTfLiteFloat64: {
        for (size_t k = 0; k + 8 <= bytes[i]; k += 8) {
          const double v = rng.NextUnitDouble();
          std::memcpy(p + k, &v, 8);
        }
        break;
      }
      case kTfLiteBool:
        for (size_t k = 0; k < bytes[i]; ++k) p[k] = static_cast<uint8_t>(rng.Next() & 1u);
        break;
      default:
        for (size_t k = 0; k < bytes[i]; ++k) p[k] = rng.NextByte();
        break;
    }
  }
  return out;
}

Status FillInputsFromSeed(Interpreter* interp, uint32_t seed) {
  std::vector<TfLiteType> types;
  std::vector<size_t> bytes;
  for (int t : interp->inputs()) {
    types.push_back(interp->tensor(t)->type);
    bytes.push_back(interp->tensor(t)->bytes);
  }
  return SetInputs(interp, SeedInputBytes(types, bytes, seed));
}

Status SetInputs(Interpreter* interp, const std::vector<uint8_t>& data) {
  const size_t need = InputBytes(*interp);
  if (data.size() != need) {
    std::string layout;
    for (int t : interp->inputs()) {
      const TfLiteTensor* tt = interp->tensor(t);
      if (!layout.empty()) layout += ", ";
      layout += StrFormat("'%s' %s = %zu bytes", tt->name, ShapeString(tt->dims).c_str(), tt->bytes);
    }
    return InvalidArgument("input data has %zu bytes but the model's inputs need %zu (%s)",
                           data.size(), need, layout.c_str());
  }
  size_t off = 0;
  for (int t : interp->inputs()) {
    TfLiteTensor* tt = interp->tensor(t);
    if (!tt->data.raw && tt->bytes) return FailedPrecondition("inputs set before AllocateTensors");
    if (tt->type == kTfLiteBool)
      for (size_t k = 0; k < tt->bytes; ++k)
        if (data[off + k] > 1)
          return InvalidArgument("input '%s' (BOOL): byte %u at element %zu; bool elements are 0 or 1", tt->name,
                                 unsigned{data[off + k]}, k);
    if (tt->bytes) std::memcpy(tt->data.raw, data.data() + off, tt->bytes);
    off += tt->bytes;
  }
  return Status::Ok();
}

namespace {
std::vector<uint8_t> Concat(const Interpreter& interp, const std::vector<int>& list) {
  std::vector<uint8_t> out;
  for (int t : list) {
    const TfLiteTensor* tt = interp.tensor(t);
    const auto* p = reinterpret_cast<const uint8_t*>(tt->data.raw_const);
    if (p) out.insert(out.end(), p, p + tt->bytes);
  }
  return out;
}
}  // namespace

std::vector<uint8_t> GetInputs(const Interpreter& interp) { return Concat(interp, interp.inputs()); }
std::vector<uint8_t> GetOutputs(const Interpreter& interp) {
  return Concat(interp, interp.outputs());
}

Status ReadFile(const std::string& path, std::vector<uint8_t>* data) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) return NotFound("%s: cannot open", path.c_str());
  const std::streamoff size = f.tellg();
  if (size < 0) return DataLoss("%s: cannot read", path.c_str());
  data->resize(static_cast<size_t>(size));
  f.seekg(0);
  if (size > 0 && !f.read(reinterpret_cast<char*>(data->data()), size)) {
    return DataLoss("%s: short read", path.c_str());
  }
  return Status::Ok();
}

Status WriteFile(const std::string& path, const std::vector<uint8_t>& data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return Unavailable("%s: cannot open for writing", path.c_str());
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  if (!f) return DataLoss("%s: write failed", path.c_str());
  return Status::Ok();
}

}  // namespace systole
