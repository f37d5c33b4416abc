#include "interpreter/model.h"

#include <algorithm>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <limits>

#include "flatbuffers/flatbuffers.h"

namespace systole {

size_t TensorTypeSize(tflite::TensorType type) {
  switch (type) {
    case tflite::TensorType_FLOAT32: return 4;
    case tflite::TensorType_FLOAT16: return 2;
    case tflite::TensorType_INT32: return 4;
    case tflite::TensorType_UINT8: return 1;
    case tflite::TensorType_INT64: return 8;
    case tflite::TensorType_BOOL: return 1;
    case tflite::TensorType_INT16: return 2;
    case tflite::TensorType_COMPLEX64: return 8;
    case tflite::TensorType_INT8: return 1;
    case tflite::TensorType_FLOAT64: return 8;
    case tflite::TensorType_COMPLEX128: return 16;
    case tflite::TensorType_UINT64: return 8;
    case tflite::TensorType_UINT32: return 4;
    case tflite::TensorType_UINT16: return 2;
    default: return 0;
  }
}

std::string BuiltinOperatorName(tflite::BuiltinOperator op) {
  if (op >= tflite::BuiltinOperator_MIN && op <= tflite::BuiltinOperator_MAX) {
    const char* n = tflite::EnumNameBuiltinOperator(op);
    if (n && *n) return n;
  }
  return "BUILTIN_" + std::to_string(static_cast<int>(op));
}

StatusOr<std::unique_ptr<Model>> Model::FromFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) return NotFound("%s: cannot open model file", path.c_str());
  const std::streamoff size = f.tellg();
  if (size < 0) return DataLoss("%s: cannot read model file", path.c_str());
  if (static_cast<uint64_t>(size) > kMaxModelBytes) {
    return InvalidArgument("%s: file is %lld bytes; models are limited to 2 GiB", path.c_str(),
                           static_cast<long long>(size));
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  f.seekg(0);
  if (size > 0 && !f.read(reinterpret_cast<char*>(bytes.data()), size)) {
    return DataLoss("%s: short read", path.c_str());
  }
  return FromBuffer(std::move(bytes), path);
}

StatusOr<std::unique_ptr<Model>> Model::FromBuffer(std::vector<uint8_t> bytes,
                                                   const std::string& name) {
  std::unique_ptr<Model> m(new Model(std::move(bytes), name));
  Status s = m->Validate();
  if (!s.ok()) return Annotate(s, name);
  return m;
}

tflite::BuiltinOperator Model::BuiltinCode(int opcode_index) const {
  const tflite::OperatorCode* oc = model_->operator_codes()->Get(opcode_index);
  // TFLite: the larger of the two fields wins (old files only set the byte).
  return static_cast<tflite::BuiltinOperator>(
      std::max(static_cast<int32_t>(oc->builtin_code()),
               static_cast<int32_t>(oc->deprecated_builtin_code())));
}

Model::Data Model::TensorData(int tensor_index) const {
  const tflite::Tensor* t = main_subgraph()->tensors()->Get(tensor_index);
  const tflite::Buffer* b = model_->buffers()->Get(t->buffer());
  if (b->offset() > 1) {  // external data (models > 2 GiB layout)
    return {bytes_.data() + b->offset(), static_cast<size_t>(b->size())};
  }
  if (b->data() && b->data()->size() > 0) return {b->data()->data(), b->data()->size()};
  return {};
}

namespace {

Status CheckTensorIndexList(const flatbuffers::Vector<int32_t>* list, size_t num_tensors,
                            bool allow_optional, const std::string& what) {
  if (!list) return Status::Ok();
  for (flatbuffers::uoffset_t i = 0; i < list->size(); ++i) {
    const int32_t t = list->Get(i);
    if (t == -1 && allow_optional) continue;
    if (t < 0 || static_cast<size_t>(t) >= num_tensors) {
      return OutOfRange("%s[%u]: tensor index %d out of range (subgraph has %zu tensors)",
                        what.c_str(), i, t, num_tensors);
    }
  }
  return Status::Ok();
}

}  // namespace

Status Model::Validate() {
  if (bytes_.size() < 8) {
    return DataLoss("file is %zu bytes, too short to be a TFLite flatbuffer", bytes_.size());
  }
  if (!flatbuffers::BufferHasIdentifier(bytes_.data(), tflite::ModelIdentifier())) {
    char id[5] = {0};
    for (int i = 0; i < 4; ++i) {
      const char c = static_cast<char>(bytes_[4 + i]);
      id[i] = (c >= 32 && c < 127) ? c : '?';
    }
    return InvalidArgument("file identifier is '%s', expected 'TFL3' (not a .tflite model)", id);
  }
  flatbuffers::Verifier::Options vopts;
  vopts.max_depth = 128;
  vopts.max_tables = 10000000;
  vopts.check_alignment = true;
  flatbuffers::Verifier verifier(bytes_.data(), bytes_.size(), vopts);
  if (!tflite::VerifyModelBuffer(verifier)) {
    return DataLoss(
        "flatbuffer verification failed: the file is truncated, corrupt, or has offsets "
        "pointing outside it");
  }
  model_ = tflite::GetModel(bytes_.data());
  if (model_->version() != 3) {
    return InvalidArgument("schema version %u is not supported (expected 3)", model_->version());
  }
  if (!model_->subgraphs() || model_->subgraphs()->size() == 0) {
    return InvalidArgument("model has no subgraphs");
  }
  const size_t num_buffers = model_->buffers() ? model_->buffers()->size() : 0;
  const size_t num_opcodes = model_->operator_codes() ? model_->operator_codes()->size() : 0;

  // Buffers: external (offset/size) data must lie inside the file.
  for (size_t i = 0; i < num_buffers; ++i) {
    const tflite::Buffer* b = model_->buffers()->Get(static_cast<flatbuffers::uoffset_t>(i));
    if (b->offset() > 1) {
      if (b->offset() > bytes_.size() || b->size() > bytes_.size() - b->offset()) {
        return OutOfRange("buffer %zu: offset %llu + size %llu is outside the %zu-byte file", i,
                          static_cast<unsigned long long>(b->offset()),
                          static_cast<unsigned long long>(b->size()), bytes_.size());
      }
    }
  }

  const tflite::SubGraph* sg = main_subgraph();
  const size_t num_tensors = sg->tensors() ? sg->tensors()->size() : 0;
  for (size_t i = 0; i < num_tensors; ++i) {
    const tflite::Tensor* t = sg->tensors()->Get(static_cast<flatbuffers::uoffset_t>(i));
    const std::string tname = t->name() ? t->name()->str() : std::string();
    auto where = [&]() { return StrFormat("tensor %zu ('%s')", i, tname.c_str()); };
    if (t->buffer() >= num_buffers) {
      return OutOfRange("%s: buffer index %u out of range (model has %zu buffers)",
                        where().c_str(), t->buffer(), num_buffers);
    }
    const size_t elem = TensorTypeSize(t->type());
    if (elem == 0) {
      return Unimplemented("%s: tensor type %s is not supported", where().c_str(),
                           tflite::EnumNameTensorType(t->type()));
    }
    int64_t count = 1;
    const int rank = t->shape() ? static_cast<int>(t->shape()->size()) : 0;
    if (rank > kMaxTensorRank) {
      return InvalidArgument("%s: rank %d exceeds the maximum of %d", where().c_str(), rank,
                             kMaxTensorRank);
    }
    for (int d = 0; d < rank; ++d) {
      const int32_t dim = t->shape()->Get(d);
      if (dim < 0) {
        return InvalidArgument("%s: dimension %d is %d; dynamic shapes are not supported",
                               where().c_str(), d, dim);
      }
      count *= dim;
      if (count * static_cast<int64_t>(elem) > kMaxTensorBytes) {
        return InvalidArgument("%s: shape describes more than %lld bytes", where().c_str(),
                               static_cast<long long>(kMaxTensorBytes));
      }
    }
    const Data data = TensorData(static_cast<int>(i));
    if (data.data && data.size != static_cast<size_t>(count) * elem) {
      return InvalidArgument(
          "%s: buffer %u holds %zu bytes but shape and type %s need %lld bytes", where().c_str(),
          t->buffer(), data.size, tflite::EnumNameTensorType(t->type()),
          static_cast<long long>(count * static_cast<int64_t>(elem)));
    }
    if (const tflite::QuantizationParameters* q = t->quantization()) {
      const size_t ns = q->scale() ? q->scale()->size() : 0;
      const size_t nz = q->zero_point() ? q->zero_point()->size() : 0;
      if (ns != nz && !(ns > 0 && nz == 0)) {
        return InvalidArgument("%s: quantization has %zu scales but %zu zero points",
                               where().c_str(), ns, nz);
      }
      if (ns > 1) {
        const int qd = q->quantized_dimension();
        if (qd < 0 || qd >= rank) {
          return InvalidArgument("%s: quantized_dimension %d out of range for rank %d",
                                 where().c_str(), qd, rank);
        }
        if (static_cast<int64_t>(ns) != t->shape()->Get(qd)) {
          return InvalidArgument(
              "%s: %zu per-channel scales but dimension %d has size %d", where().c_str(), ns, qd,
              t->shape()->Get(qd));
        }
      }
      for (size_t k = 0; k < ns; ++k) {
        const float s = q->scale()->Get(static_cast<flatbuffers::uoffset_t>(k));
        if (!(s >= 0.0f) || s == std::numeric_limits<float>::infinity()) {
          return InvalidArgument("%s: quantization scale[%zu] = %g is not a finite value >= 0",
                                 where().c_str(), k, static_cast<double>(s));
        }
      }
    }
  }

  RETURN_IF_ERROR(CheckTensorIndexList(sg->inputs(), num_tensors, false, "subgraph inputs"));
  RETURN_IF_ERROR(CheckTensorIndexList(sg->outputs(), num_tensors, false, "subgraph outputs"));
  const size_t num_ops = sg->operators() ? sg->operators()->size() : 0;
  for (size_t i = 0; i < num_ops; ++i) {
    const tflite::Operator* op = sg->operators()->Get(static_cast<flatbuffers::uoffset_t>(i));
    if (op->opcode_index() >= num_opcodes) {
      return OutOfRange("operator %zu: opcode index %u out of range (model has %zu operator codes)",
                        i, op->opcode_index(), num_opcodes);
    }
    const std::string where = StrFormat("operator %zu (%s)", i,
                                        BuiltinOperatorName(BuiltinCode(op->opcode_index())).c_str());
    RETURN_IF_ERROR(CheckTensorIndexList(op->inputs(), num_tensors, true, where + " inputs"));
    RETURN_IF_ERROR(CheckTensorIndexList(op->outputs(), num_tensors, false, where + " outputs"));
    RETURN_IF_ERROR(
        CheckTensorIndexList(op->intermediates(), num_tensors, true, where + " intermediates"));
  }
  return Status::Ok();
}

int64_t ZeroPointAt(const tflite::QuantizationParameters& q, unsigned k) {
  int64_t v = 0;
  std::memcpy(&v, q.zero_point()->Data() + sizeof(int64_t) * k, sizeof v);
  return flatbuffers::EndianScalar(v);
}

}  // namespace systole
