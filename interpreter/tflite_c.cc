// Allocation helpers of the TFLite C ABI (tflite_c.h). Same semantics as
// TensorFlow Lite's: malloc'ed, freed with the matching *Free.
#include "interpreter/tflite_c.h"

#include <cstdlib>
#include <cstring>

extern "C" {

TfLiteIntArray* TfLiteIntArrayCreate(int size) {
  if (size < 0) return nullptr;
  auto* a = static_cast<TfLiteIntArray*>(
      std::malloc(sizeof(TfLiteIntArray) + sizeof(int) * static_cast<size_t>(size)));
  if (a) a->size = size;
  return a;
}

TfLiteIntArray* TfLiteIntArrayCopy(const TfLiteIntArray* src) {
  if (!src) return nullptr;
  TfLiteIntArray* a = TfLiteIntArrayCreate(src->size);
  if (a && src->size > 0) std::memcpy(a->data, src->data, sizeof(int) * src->size);
  return a;
}

void TfLiteIntArrayFree(TfLiteIntArray* a) { std::free(a); }

int TfLiteIntArrayEqualsArray(const TfLiteIntArray* a, int b_size, const int b_data[]) {
  if (a == nullptr) return b_size == 0;
  if (a->size != b_size) return 0;
  for (int i = 0; i < b_size; ++i) {
    if (a->data[i] != b_data[i]) return 0;
  }
  return 1;
}

TfLiteFloatArray* TfLiteFloatArrayCreate(int size) {
  if (size < 0) return nullptr;
  auto* a = static_cast<TfLiteFloatArray*>(
      std::malloc(sizeof(TfLiteFloatArray) + sizeof(float) * static_cast<size_t>(size)));
  if (a) a->size = size;
  return a;
}

void TfLiteFloatArrayFree(TfLiteFloatArray* a) { std::free(a); }

}  // extern "C"
