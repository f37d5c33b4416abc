// The TFLite_Detection_PostProcess custom op (SSD box decoding + non-max
// suppression), as TensorFlow Lite's kernels/detection_postprocess.cc:
//
// Inputs: box encodings [1, num_boxes, >= 4] (y, x, h, w per anchor),
// class predictions [1, num_boxes, num_classes (+1 background)], anchors
// [num_boxes, 4] (y, x, h, w), FLOAT32 or UINT8 (anchors of the boxes' type;
// TFLite's kernel rejects INT8, and so does this one, in Prepare). UINT8
// inputs are dequantized in float
// (boxes and anchors: (q - zp) * scale; scores: float(double(scale) * (q - zp))
// as optimized_ops::Dequantize). Outputs, all float32: boxes [1, N, 4]
// (ymin, xmin, ymax, xmax), classes [1, N], scores [1, N], num_detections [1],
// N = max_detections * max_classes_per_detection.
//
// Decoding in double, rounded to float (ycenter = y / y_scale * anchor.h +
// anchor.y, half_h = 0.5 * exp(h / h_scale) * anchor.h, ...). NMS per class:
// scores >= nms_score_threshold kept, stable-sorted by decreasing score,
// greedily selected, a candidate dropped when its IoU with a selected box is
// > nms_iou_threshold. Fast NMS ranks each anchor's classes (argmax when one
// class per detection, else a partial sort) and suppresses on the best
// class's score; regular NMS runs per class (at most min(detections_per_class,
// max_detections) each) and merges the per-class lists by score, a later
// class's box going first on equal scores (std::inplace_merge with >=).
//
// Options: a FlexBuffer map (custom_options) with max_detections,
// max_classes_per_detection, num_classes, nms_score_threshold,
// nms_iou_threshold, y_scale, x_scale, h_scale, w_scale (required here),
// detections_per_class (default 100) and use_regular_nms (default false).
// Malformed or missing options are reported by Prepare, naming the key.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

// flexbuffers.h's string-to-number helpers (reached from AsInt64/AsFloat,
// though only numeric references are read here) would otherwise use
// flatbuffers::ClassicLocale, defined in Debian's non-PIC libflatbuffers.a,
// which the delegate plugin .so cannot link: use the locale-dependent
// strto* instead (never called on this path).
#ifndef FLATBUFFERS_LOCALE_INDEPENDENT
#define FLATBUFFERS_LOCALE_INDEPENDENT 0
#endif
#include <flatbuffers/flexbuffers.h>

#include "interpreter/kernels/builtin_kernels.h"
#include "interpreter/kernels/kernel_util.h"

namespace systole {
namespace kernels {
namespace {

constexpr const char* kOp = "TFLite_Detection_PostProcess";

struct Box {
  float ymin, xmin, ymax, xmax;
};

struct OpData {
  std::string error;  // a custom-options problem, reported by Prepare
  int max_detections = 0;
  int max_classes_per_detection = 0;
  int detections_per_class = 100;
  float score_threshold = 0.0f;
  float iou_threshold = 0.0f;
  int num_classes = 0;
  bool use_regular_nms = false;
  float y_scale = 0, x_scale = 0, h_scale = 0, w_scale = 0;
  std::vector<Box> decoded;
  std::vector<float> scores;  // dequantized class predictions
};

void* Init(TfLiteContext*, const char* buffer, size_t length) {
  auto* d = new OpData();
  const auto* bytes = reinterpret_cast<const uint8_t*>(buffer);
  if (buffer == nullptr || length == 0) {
    d->error = "custom options are missing (a FlexBuffer map is required)";
    return d;
  }
  if (!flexbuffers::VerifyBuffer(bytes, length)) {
    d->error = "custom options are not a valid FlexBuffer (" + std::to_string(length) + " bytes)";
    return d;
  }
  const flexbuffers::Reference root = flexbuffers::GetRoot(bytes, length);
  if (!root.IsMap()) {
    d->error = "custom options must be a FlexBuffer map";
    return d;
  }
  const flexbuffers::Map m = root.AsMap();
  auto get_int = [&](const char* key, bool required, int fallback, int* out) {
    const flexbuffers::Reference r = m[key];
    if (r.IsNull()) {
      if (required && d->error.empty()) d->error = std::string("custom option '") + key + "' is missing";
      *out = fallback;
      return;
    }
    if (!r.IsIntOrUint() && !r.IsFloat()) {
      if (d->error.empty()) d->error = std::string("custom option '") + key + "' must be a number";
      return;
    }
    const int64_t v = r.AsInt64();
    if (v < INT32_MIN || v > INT32_MAX) {
      if (d->error.empty()) d->error = std::string("custom option '") + key + "' is out of the int32 range";
      return;
    }
    *out = static_cast<int>(v);
  };
  auto get_float = [&](const char* key, float* out) {
    const flexbuffers::Reference r = m[key];
    if (r.IsNull()) {
      if (d->error.empty()) d->error = std::string("custom option '") + key + "' is missing";
      return;
    }
    if (!r.IsIntOrUint() && !r.IsFloat()) {
      if (d->error.empty()) d->error = std::string("custom option '") + key + "' must be a number";
      return;
    }
    *out = r.AsFloat();
  };
  get_int("max_detections", true, 0, &d->max_detections);
  get_int("max_classes_per_detection", true, 0, &d->max_classes_per_detection);
  get_int("detections_per_class", false, 100, &d->detections_per_class);
  {
    const flexbuffers::Reference r = m["use_regular_nms"];
    if (!r.IsNull()) {
      if (!r.IsBool() && !r.IsIntOrUint()) {
        if (d->error.empty()) d->error = "custom option 'use_regular_nms' must be a boolean";
      } else {
        d->use_regular_nms = r.AsBool();
      }
    }
  }
  get_float("nms_score_threshold", &d->score_threshold);
  get_float("nms_iou_threshold", &d->iou_threshold);
  get_int("num_classes", true, 0, &d->num_classes);
  get_float("y_scale", &d->y_scale);
  get_float("x_scale", &d->x_scale);
  get_float("h_scale", &d->h_scale);
  get_float("w_scale", &d->w_scale);
  return d;
}

void Free(TfLiteContext*, void* buffer) { delete static_cast<OpData*>(buffer); }

TfLiteStatus Resize(TfLiteContext* context, TfLiteTensor* t, const std::vector<int>& dims) {
  t->type = kTfLiteFloat32;
  return context->ResizeTensor(context, t, IntArrayFromVector(dims));
}

// TFLite's kernel decodes FLOAT32 and UINT8 only (INT8 fails to invoke there).
bool SupportedType(TfLiteType t) { return t == kTfLiteFloat32 || t == kTfLiteUInt8; }

TfLiteStatus Prepare(TfLiteContext* context, TfLiteNode* node) {
  OpData* d = static_cast<OpData*>(node->user_data);
  SYSTOLE_KERNEL_ENSURE(context, d->error.empty(), "%s: %s", kOp, d->error.c_str());
  SYSTOLE_KERNEL_ENSURE(context, d->max_detections > 0, "%s: max_detections is %d; must be > 0", kOp,
                        d->max_detections);
  SYSTOLE_KERNEL_ENSURE(context, d->max_classes_per_detection > 0,
                        "%s: max_classes_per_detection is %d; must be > 0", kOp, d->max_classes_per_detection);
  SYSTOLE_KERNEL_ENSURE(context, d->num_classes > 0, "%s: num_classes is %d; must be > 0", kOp, d->num_classes);
  SYSTOLE_KERNEL_ENSURE(context, !d->use_regular_nms || d->detections_per_class > 0,
                        "%s: detections_per_class is %d; must be > 0 with regular NMS", kOp,
                        d->detections_per_class);
  SYSTOLE_KERNEL_ENSURE(context, d->iou_threshold > 0.0f && d->iou_threshold <= 1.0f,
                        "%s: nms_iou_threshold is %g; must be in (0, 1]", kOp, d->iou_threshold);
  SYSTOLE_KERNEL_ENSURE(context, int64_t{d->max_detections} * d->max_classes_per_detection <= (1 << 24),
                        "%s: max_detections * max_classes_per_detection is too large", kOp);
  SYSTOLE_KERNEL_ENSURE(context, NumInputs(node) == 3, "%s: expects 3 inputs (boxes, scores, anchors), got %d",
                        kOp, NumInputs(node));
  SYSTOLE_KERNEL_ENSURE(context, NumOutputs(node) == 4,
                        "%s: expects 4 outputs (boxes, classes, scores, num_detections), got %d", kOp,
                        NumOutputs(node));
  const TfLiteTensor* boxes = GetInput(context, node, 0);
  const TfLiteTensor* scores = GetInput(context, node, 1);
  const TfLiteTensor* anchors = GetInput(context, node, 2);
  SYSTOLE_KERNEL_ENSURE(context, boxes && scores && anchors, "%s: an input is missing", kOp);
  SYSTOLE_KERNEL_ENSURE(context, NumDimensions(boxes) == 3 && boxes->dims->data[0] == 1 && boxes->dims->data[2] >= 4,
                        "%s: box encodings (input 0) must have shape [1, num_boxes, >= 4]", kOp);
  const int num_boxes = boxes->dims->data[1];
  SYSTOLE_KERNEL_ENSURE(context,
                        NumDimensions(scores) == 3 && scores->dims->data[0] == 1 && scores->dims->data[1] == num_boxes,
                        "%s: class predictions (input 1) must have shape [1, %d, num_classes (+1)]", kOp, num_boxes);
  const int with_background = scores->dims->data[2];
  SYSTOLE_KERNEL_ENSURE(context, with_background - d->num_classes <= 1 && with_background >= d->num_classes,
                        "%s: class predictions have %d classes; num_classes is %d (at most one background "
                        "class allowed)",
                        kOp, with_background, d->num_classes);
  SYSTOLE_KERNEL_ENSURE(context, NumDimensions(anchors) == 2 && anchors->dims->data[0] == num_boxes &&
                                     anchors->dims->data[1] == 4,
                        "%s: anchors (input 2) must have shape [%d, 4]", kOp, num_boxes);
  SYSTOLE_KERNEL_ENSURE(context, SupportedType(boxes->type) && SupportedType(scores->type),
                        "%s: box encodings and class predictions must be FLOAT32 or UINT8, as in TFLite (got %s, %s; "
                        "DEQUANTIZE int8 tensors first)",
                        kOp, TypeName(boxes->type), TypeName(scores->type));
  SYSTOLE_KERNEL_ENSURE(context, anchors->type == boxes->type,
                        "%s: anchors must have the box encodings' type %s, got %s", kOp, TypeName(boxes->type),
                        TypeName(anchors->type));
  const int n = d->max_detections * d->max_classes_per_detection;
  SYSTOLE_KERNEL_ENSURE_OK(Resize(context, GetOutput(context, node, 0), {1, n, 4}));
  SYSTOLE_KERNEL_ENSURE_OK(Resize(context, GetOutput(context, node, 1), {1, n}));
  SYSTOLE_KERNEL_ENSURE_OK(Resize(context, GetOutput(context, node, 2), {1, n}));
  SYSTOLE_KERNEL_ENSURE_OK(Resize(context, GetOutput(context, node, 3), {1}));
  d->decoded.assign(num_boxes, Box{});
  d->scores.assign(static_cast<size_t>(num_boxes) * with_background, 0.0f);
  return kTfLiteOk;
}

// (q - zp) * scale in float (TFLite's Dequantizer).
template <typename T>
void DequantizeBox(const T* q, float zero_point, float scale, float out[4]) {
  for (int i = 0; i < 4; ++i) out[i] = (static_cast<float>(q[i]) - zero_point) * scale;
}

TfLiteStatus Decode(TfLiteContext* context, TfLiteNode* node, OpData* d) {
  const TfLiteTensor* boxes = GetInput(context, node, 0);
  const TfLiteTensor* anchors = GetInput(context, node, 2);
  const int num_boxes = boxes->dims->data[1];
  const int len = boxes->dims->data[2];
  for (int i = 0; i < num_boxes; ++i) {
    float b[4], a[4];
    switch (boxes->type) {
      case kTfLiteUInt8:
        DequantizeBox(boxes->data.uint8 + len * i, static_cast<float>(boxes->params.zero_point),
                      boxes->params.scale, b);
        DequantizeBox(anchors->data.uint8 + 4 * i, static_cast<float>(anchors->params.zero_point),
                      anchors->params.scale, a);
        break;
      default:
        std::memcpy(b, boxes->data.f + len * i, sizeof(b));
        std::memcpy(a, anchors->data.f + 4 * i, sizeof(a));
        break;
    }
    const float ycenter = static_cast<float>(static_cast<double>(b[0]) / static_cast<double>(d->y_scale) *
                                                 static_cast<double>(a[2]) +
                                             static_cast<double>(a[0]));
    const float xcenter = static_cast<float>(static_cast<double>(b[1]) / static_cast<double>(d->x_scale) *
                                                 static_cast<double>(a[3]) +
                                             static_cast<double>(a[1]));
    const float half_h = static_cast<float>(
        0.5 * std::exp(static_cast<double>(b[2]) / static_cast<double>(d->h_scale)) * static_cast<double>(a[2]));
    const float half_w = static_cast<float>(
        0.5 * std::exp(static_cast<double>(b[3]) / static_cast<double>(d->w_scale)) * static_cast<double>(a[3]));
    d->decoded[i] = Box{ycenter - half_h, xcenter - half_w, ycenter + half_h, xcenter + half_w};
  }
  return kTfLiteOk;
}

float IoU(const Box& a, const Box& b) {
  const float area_i = (a.ymax - a.ymin) * (a.xmax - a.xmin);
  const float area_j = (b.ymax - b.ymin) * (b.xmax - b.xmin);
  if (area_i <= 0 || area_j <= 0) return 0.0f;
  const float iymin = std::max<float>(a.ymin, b.ymin);
  const float ixmin = std::max<float>(a.xmin, b.xmin);
  const float iymax = std::min<float>(a.ymax, b.ymax);
  const float ixmax = std::min<float>(a.xmax, b.xmax);
  const float inter = std::max<float>(iymax - iymin, 0.0f) * std::max<float>(ixmax - ixmin, 0.0f);
  return inter / (area_i + area_j - inter);
}

// NonMaxSuppressionSingleClassHelper.
TfLiteStatus SingleClassNms(TfLiteContext* context, const OpData& d, const std::vector<float>& scores,
                            int max_detections, std::vector<int>* selected) {
  for (const Box& b : d.decoded) {
    SYSTOLE_KERNEL_ENSURE(context, !(b.ymin > b.ymax || b.xmin > b.xmax),
                          "%s: a decoded box has ymin > ymax or xmin > xmax (negative anchor size?)", kOp);
  }
  std::vector<int> keep_indices;
  std::vector<float> keep_scores;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (scores[i] >= d.score_threshold) {
      keep_scores.push_back(scores[i]);
      keep_indices.push_back(static_cast<int>(i));
    }
  }
  const int kept = static_cast<int>(keep_scores.size());
  std::vector<int> sorted(kept);
  std::iota(sorted.begin(), sorted.end(), 0);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [&](int i, int j) { return keep_scores[i] > keep_scores[j]; });
  const size_t output_size = static_cast<size_t>(std::min(kept, max_detections));
  selected->clear();
  int active = kept;
  std::vector<uint8_t> candidate(kept, 1);
  for (int i = 0; i < kept; ++i) {
    if (active == 0 || selected->size() >= output_size) break;
    if (candidate[i] != 1) continue;
    selected->push_back(keep_indices[sorted[i]]);
    candidate[i] = 0;
    --active;
    for (int j = i + 1; j < kept; ++j) {
      if (candidate[j] == 1 &&
          IoU(d.decoded[keep_indices[sorted[i]]], d.decoded[keep_indices[sorted[j]]]) > d.iou_threshold) {
        candidate[j] = 0;
        --active;
      }
    }
  }
  return kTfLiteOk;
}

struct BoxInfo {
  int index;
  float score;
};

TfLiteStatus RegularNms(TfLiteContext* context, TfLiteNode* node, const OpData& d, int with_background) {
  const int num_boxes = static_cast<int>(d.decoded.size());
  const int per_class = std::min(d.detections_per_class, d.max_detections);
  const int label_offset = with_background - d.num_classes;
  std::vector<BoxInfo> sorted_info(d.max_detections + per_class);
  int sorted_size = 0;
  std::vector<float> class_scores(num_boxes);
  std::vector<int> selected;
  for (int col = 0; col < d.num_classes; ++col) {
    for (int row = 0; row < num_boxes; ++row) class_scores[row] = d.scores[row * with_background + col + label_offset];
    SYSTOLE_KERNEL_ENSURE_OK(SingleClassNms(context, d, class_scores, per_class, &selected));
    if (selected.empty()) continue;
    for (size_t i = 0; i < selected.size(); ++i) {
      sorted_info[sorted_size + i].score = class_scores[selected[i]];
      sorted_info[sorted_size + i].index = selected[i] * with_background + col + label_offset;
    }
    // std::inplace_merge with `a.score >= b.score`: an element of the new
    // (second) run is taken first while its score is >= the first run's.
    const int end = sorted_size + static_cast<int>(selected.size());
    std::vector<BoxInfo> merged;
    merged.reserve(end);
    int i = 0, j = sorted_size;
    while (i < sorted_size && j < end) {
      if (sorted_info[j].score >= sorted_info[i].score) {
        merged.push_back(sorted_info[j++]);
      } else {
        merged.push_back(sorted_info[i++]);
      }
    }
    while (i < sorted_size) merged.push_back(sorted_info[i++]);
    while (j < end) merged.push_back(sorted_info[j++]);
    std::copy(merged.begin(), merged.end(), sorted_info.begin());
    sorted_size = std::min(end, d.max_detections);
  }
  Box* out_boxes = reinterpret_cast<Box*>(GetOutput(context, node, 0)->data.f);
  float* out_classes = GetOutput(context, node, 1)->data.f;
  float* out_scores = GetOutput(context, node, 2)->data.f;
  for (int k = 0; k < d.max_detections; ++k) {
    if (k < sorted_size) {
      const int anchor = sorted_info[k].index / with_background;
      out_boxes[k] = d.decoded[anchor];
      out_classes[k] = static_cast<float>(sorted_info[k].index - anchor * with_background - label_offset);
      out_scores[k] = sorted_info[k].score;
    } else {
      out_boxes[k] = Box{0.0f, 0.0f, 0.0f, 0.0f};
      out_classes[k] = 0.0f;
      out_scores[k] = 0.0f;
    }
  }
  GetOutput(context, node, 3)->data.f[0] = static_cast<float>(sorted_size);
  return kTfLiteOk;
}

TfLiteStatus FastNms(TfLiteContext* context, TfLiteNode* node, const OpData& d, int with_background) {
  const int num_boxes = static_cast<int>(d.decoded.size());
  const int label_offset = with_background - d.num_classes;
  const int per_anchor = std::min(d.max_classes_per_detection, d.num_classes);
  std::vector<float> max_scores(num_boxes);
  std::vector<int> class_indices(static_cast<size_t>(num_boxes) * per_anchor);
  std::vector<int> all(d.num_classes);
  for (int row = 0; row < num_boxes; ++row) {
    const float* s = d.scores.data() + row * with_background + label_offset;
    int* ci = class_indices.data() + row * per_anchor;
    if (per_anchor == 1) {
      // optimized_ops::ArgMaxVector: the first maximum.
      int best = 0;
      for (int c = 1; c < d.num_classes; ++c)
        if (s[c] > s[best]) best = c;
      ci[0] = best;
    } else {
      std::iota(all.begin(), all.end(), 0);
      std::partial_sort(all.begin(), all.begin() + per_anchor, all.end(),
                        [s](int i, int j) { return s[i] > s[j]; });
      std::copy_n(all.begin(), per_anchor, ci);
    }
    max_scores[row] = s[ci[0]];
  }
  std::vector<int> selected;
  SYSTOLE_KERNEL_ENSURE_OK(SingleClassNms(context, d, max_scores, d.max_detections, &selected));
  Box* out_boxes = reinterpret_cast<Box*>(GetOutput(context, node, 0)->data.f);
  float* out_classes = GetOutput(context, node, 1)->data.f;
  float* out_scores = GetOutput(context, node, 2)->data.f;
  int out_index = 0;
  for (int sel : selected) {
    const float* s = d.scores.data() + sel * with_background + label_offset;
    const int* ci = class_indices.data() + sel * per_anchor;
    for (int col = 0; col < per_anchor; ++col) {
      const int k = d.max_classes_per_detection * out_index + col;
      out_boxes[k] = d.decoded[sel];
      out_classes[k] = static_cast<float>(ci[col]);
      out_scores[k] = s[ci[col]];
    }
    ++out_index;
  }
  GetOutput(context, node, 3)->data.f[0] = static_cast<float>(out_index);
  return kTfLiteOk;
}

TfLiteStatus Eval(TfLiteContext* context, TfLiteNode* node) {
  OpData* d = static_cast<OpData*>(node->user_data);
  SYSTOLE_KERNEL_ENSURE_OK(Decode(context, node, d));
  const TfLiteTensor* scores = GetInput(context, node, 1);
  const int with_background = scores->dims->data[2];
  const size_t n = d->scores.size();
  // optimized_ops::Dequantize: float(double(scale) * (q - zero_point)).
  const int32_t zp = static_cast<int32_t>(static_cast<float>(scores->params.zero_point));
  const double scale = static_cast<double>(scores->params.scale);
  switch (scores->type) {
    case kTfLiteUInt8:
      for (size_t i = 0; i < n; ++i) d->scores[i] = static_cast<float>(scale * (int32_t{scores->data.uint8[i]} - zp));
      break;
    default:
      std::memcpy(d->scores.data(), scores->data.f, n * sizeof(float));
      break;
  }
  if (d->use_regular_nms) return RegularNms(context, node, *d, with_background);
  return FastNms(context, node, *d, with_background);
}

}  // namespace

const TfLiteRegistration* RegisterDetectionPostProcess() {
  static const TfLiteRegistration r = KernelRegistration(Prepare, Eval, Init, Free);
  return &r;
}

}  // namespace kernels
}  // namespace systole
