#include "interpreter/builtin_options.h"

#include <cstdlib>
#include <cstring>

namespace systole {
namespace {

template <typename T>
T* AllocParams() {
  void* p = std::calloc(1, sizeof(T));
  return static_cast<T*>(p);
}

TfLitePadding ConvertPadding(tflite::Padding p) {
  switch (p) {
    case tflite::Padding_SAME: return kTfLitePaddingSame;
    case tflite::Padding_VALID: return kTfLitePaddingValid;
  }
  return kTfLitePaddingUnknown;
}

StatusOr<TfLiteFusedActivation> ConvertActivation(tflite::ActivationFunctionType a) {
  switch (a) {
    case tflite::ActivationFunctionType_NONE: return kTfLiteActNone;
    case tflite::ActivationFunctionType_RELU: return kTfLiteActRelu;
    case tflite::ActivationFunctionType_RELU_N1_TO_1: return kTfLiteActReluN1To1;
    case tflite::ActivationFunctionType_RELU6: return kTfLiteActRelu6;
    case tflite::ActivationFunctionType_TANH: return kTfLiteActTanh;
    case tflite::ActivationFunctionType_SIGN_BIT: return kTfLiteActSignBit;
  }
  return InvalidArgument("fused activation function %d is not defined",
                         static_cast<int>(a));
}

}  // namespace

#define SYSTOLE_ACT(dst, src)                            \
  do {                                                   \
    auto _act = ConvertActivation(src);                  \
    if (!_act.ok()) {                                    \
      std::free(p);                                      \
      return _act.status();                              \
    }                                                    \
    dst = *_act;                                         \
  } while (0)

Status ParseBuiltinOptions(tflite::BuiltinOperator op, const tflite::Operator* fb_op,
                           void** params) {
  *params = nullptr;
  switch (op) {
    case tflite::BuiltinOperator_CONV_2D: {
      auto* p = AllocParams<TfLiteConvParams>();
      p->dilation_width_factor = 1;
      p->dilation_height_factor = 1;
      if (const auto* o = fb_op->builtin_options_as_Conv2DOptions()) {
        p->padding = ConvertPadding(o->padding());
        p->stride_width = o->stride_w();
        p->stride_height = o->stride_h();
        SYSTOLE_ACT(p->activation, o->fused_activation_function());
        p->dilation_width_factor = o->dilation_w_factor();
        p->dilation_height_factor = o->dilation_h_factor();
      }
      *params = p;
      break;
    }
    case tflite::BuiltinOperator_DEPTHWISE_CONV_2D: {
      auto* p = AllocParams<TfLiteDepthwiseConvParams>();
      p->dilation_width_factor = 1;
      p->dilation_height_factor = 1;
      if (const auto* o = fb_op->builtin_options_as_DepthwiseConv2DOptions()) {
        p->padding = ConvertPadding(o->padding());
        p->stride_width = o->stride_w();
        p->stride_height = o->stride_h();
        p->depth_multiplier = o->depth_multiplier();
        SYSTOLE_ACT(p->activation, o->fused_activation_function());
        p->dilation_width_factor = o->dilation_w_factor();
        p->dilation_height_factor = o->dilation_h_factor();
      }
      *params = p;
      break;
    }
    case tflite::BuiltinOperator_FULLY_CONNECTED: {
      auto* p = AllocParams<TfLiteFullyConnectedParams>();
      if (const auto* o = fb_op->builtin_options_as_FullyConnectedOptions()) {
        SYSTOLE_ACT(p->activation, o->fused_activation_function());
        p->keep_num_dims = o->keep_num_dims();
        p->asymmetric_quantize_inputs = o->asymmetric_quantize_inputs();
        switch (o->weights_format()) {
          case tflite::FullyConnectedOptionsWeightsFormat_DEFAULT:
            p->weights_format = kTfLiteFullyConnectedWeightsFormatDefault;
            break;
          case tflite::FullyConnectedOptionsWeightsFormat_SHUFFLED4x16INT8:
            p->weights_format = kTfLiteFullyConnectedWeightsFormatShuffled4x16Int8;
            break;
          default:
            std::free(p);
            return InvalidArgument("FULLY_CONNECTED weights_format %d is not defined",
                                   static_cast<int>(o->weights_format()));
        }
      }
      *params = p;
      break;
    }
    case tflite::BuiltinOperator_AVERAGE_POOL_2D:
    case tflite::BuiltinOperator_MAX_POOL_2D: {
      auto* p = AllocParams<TfLitePoolParams>();
      if (const auto* o = fb_op->builtin_options_as_Pool2DOptions()) {
        p->padding = ConvertPadding(o->padding());
        p->stride_width = o->stride_w();
        p->stride_height = o->stride_h();
        p->filter_width = o->filter_width();
        p->filter_height = o->filter_height();
        SYSTOLE_ACT(p->activation, o->fused_activation_function());
      }
      *params = p;
      break;
    }
    case tflite::BuiltinOperator_ADD: {
      auto* p = AllocParams<TfLiteAddParams>();
      p->pot_scale_int16 = true;
      if (const auto* o = fb_op->builtin_options_as_AddOptions()) {
        SYSTOLE_ACT(p->activation, o->fused_activation_function());
        p->pot_scale_int16 = o->pot_scale_int16();
      }
      *params = p;
      break;
    }
    case tflite::BuiltinOperator_SUB: {
      auto* p = AllocParams<TfLiteSubParams>();
      p->pot_scale_int16 = true;
      if (const auto* o = fb_op->builtin_options_as_SubOptions()) {
        SYSTOLE_ACT(p->activation, o->fused_activation_function());
        p->pot_scale_int16 = o->pot_scale_int16();
      }
      *params = p;
      break;
    }
    case tflite::BuiltinOperator_MUL: {
      auto* p = AllocParams<TfLiteMulParams>();
      if (const auto* o = fb_op->builtin_options_as_MulOptions()) {
        SYSTOLE_ACT(p->activation, o->fused_activation_function());
      }
      *params = p;
      break;
    }
    case tflite::BuiltinOperator_DIV: {
      auto* p = AllocParams<TfLiteDivParams>();
      if (const auto* o = fb_op->builtin_options_as_DivOptions()) {
        SYSTOLE_ACT(p->activation, o->fused_activation_function());
      }
      *params = p;
      break;
    }
    case tflite::BuiltinOperator_GATHER: {
      auto* p = AllocParams<TfLiteGatherParams>();
      if (const auto* o = fb_op->builtin_options_as_GatherOptions()) {
        p->axis = o->axis();
        p->batch_dims = o->batch_dims();
      }
      *params = p;
      break;
    }
    case tflite::BuiltinOperator_MEAN:
    case tflite::BuiltinOperator_SUM:
    case tflite::BuiltinOperator_REDUCE_MAX:
    case tflite::BuiltinOperator_REDUCE_MIN: {
      auto* p = AllocParams<TfLiteReducerParams>();
      if (const auto* o = fb_op->builtin_options_as_ReducerOptions()) p->keep_dims = o->keep_dims();
      *params = p;
      break;
    }
    case tflite::BuiltinOperator_RESHAPE: {
      auto* p = AllocParams<TfLiteReshapeParams>();
      if (const auto* o = fb_op->builtin_options_as_ReshapeOptions()) {
        if (const auto* ns = o->new_shape()) {
          if (ns->size() > TFLITE_RESHAPE_PARAMS_MAX_DIMENSION_COUNT) {
            std::free(p);
            return InvalidArgument("RESHAPE new_shape has %u dimensions; at most %d allowed",
                                   ns->size(), TFLITE_RESHAPE_PARAMS_MAX_DIMENSION_COUNT);
          }
          p->num_dimensions = static_cast<int>(ns->size());
          for (flatbuffers::uoffset_t i = 0; i < ns->size(); ++i) p->shape[i] = ns->Get(i);
        }
      }
      *params = p;
      break;
    }
    case tflite::BuiltinOperator_SQUEEZE: {
      auto* p = AllocParams<TfLiteSqueezeParams>();
      if (const auto* o = fb_op->builtin_options_as_SqueezeOptions()) {
        if (const auto* d = o->squeeze_dims()) {
          if (d->size() > 8) {
            std::free(p);
            return InvalidArgument("SQUEEZE squeeze_dims has %u entries; at most 8 allowed",
                                   d->size());
          }
          p->num_squeeze_dims = static_cast<int>(d->size());
          for (flatbuffers::uoffset_t i = 0; i < d->size(); ++i) p->squeeze_dims[i] = d->Get(i);
        }
      }
      *params = p;
      break;
    }
    case tflite::BuiltinOperator_CONCATENATION: {
      auto* p = AllocParams<TfLiteConcatenationParams>();
      if (const auto* o = fb_op->builtin_options_as_ConcatenationOptions()) {
        p->axis = o->axis();
        SYSTOLE_ACT(p->activation, o->fused_activation_function());
      }
      *params = p;
      break;
    }
    case tflite::BuiltinOperator_SPLIT: {
      auto* p = AllocParams<TfLiteSplitParams>();
      if (const auto* o = fb_op->builtin_options_as_SplitOptions()) p->num_splits = o->num_splits();
      *params = p;
      break;
    }
    case tflite::BuiltinOperator_STRIDED_SLICE: {
      auto* p = AllocParams<TfLiteStridedSliceParams>();
      if (const auto* o = fb_op->builtin_options_as_StridedSliceOptions()) {
        p->begin_mask = o->begin_mask();
        p->end_mask = o->end_mask();
        p->ellipsis_mask = o->ellipsis_mask();
        p->new_axis_mask = o->new_axis_mask();
        p->shrink_axis_mask = o->shrink_axis_mask();
        p->offset = o->offset();
      }
      *params = p;
      break;
    }
    case tflite::BuiltinOperator_PACK: {
      auto* p = AllocParams<TfLitePackParams>();
      if (const auto* o = fb_op->builtin_options_as_PackOptions()) {
        p->values_count = o->values_count();
        p->axis = o->axis();
      }
      *params = p;
      break;
    }
    case tflite::BuiltinOperator_UNPACK: {
      auto* p = AllocParams<TfLiteUnpackParams>();
      if (const auto* o = fb_op->builtin_options_as_UnpackOptions()) {
        p->num = o->num();
        p->axis = o->axis();
      }
      *params = p;
      break;
    }
    case tflite::BuiltinOperator_SOFTMAX: {
      auto* p = AllocParams<TfLiteSoftmaxParams>();
      if (const auto* o = fb_op->builtin_options_as_SoftmaxOptions()) p->beta = o->beta();
      *params = p;
      break;
    }
    case tflite::BuiltinOperator_RESIZE_BILINEAR: {
      auto* p = AllocParams<TfLiteResizeBilinearParams>();
      if (const auto* o = fb_op->builtin_options_as_ResizeBilinearOptions()) {
        p->align_corners = o->align_corners();
        p->half_pixel_centers = o->half_pixel_centers();
      }
      *params = p;
      break;
    }
    case tflite::BuiltinOperator_L2_NORMALIZATION: {
      auto* p = AllocParams<TfLiteL2NormParams>();
      if (const auto* o = fb_op->builtin_options_as_L2NormOptions()) {
        SYSTOLE_ACT(p->activation, o->fused_activation_function());
      }
      *params = p;
      break;
    }
    case tflite::BuiltinOperator_TRANSPOSE_CONV: {
      auto* p = AllocParams<TfLiteTransposeConvParams>();
      if (const auto* o = fb_op->builtin_options_as_TransposeConvOptions()) {
        p->padding = ConvertPadding(o->padding());
        p->stride_width = o->stride_w();
        p->stride_height = o->stride_h();
        SYSTOLE_ACT(p->activation, o->fused_activation_function());
      }
      *params = p;
      break;
    }
    case tflite::BuiltinOperator_RESIZE_NEAREST_NEIGHBOR: {
      auto* p = AllocParams<TfLiteResizeNearestNeighborParams>();
      if (const auto* o = fb_op->builtin_options_as_ResizeNearestNeighborOptions()) {
        p->align_corners = o->align_corners();
        p->half_pixel_centers = o->half_pixel_centers();
      }
      *params = p;
      break;
    }
    case tflite::BuiltinOperator_UNIDIRECTIONAL_SEQUENCE_LSTM: {
      auto* p = AllocParams<TfLiteUnidirectionalSequenceLSTMParams>();
      if (const auto* o = fb_op->builtin_options_as_UnidirectionalSequenceLSTMOptions()) {
        SYSTOLE_ACT(p->activation, o->fused_activation_function());
        p->cell_clip = o->cell_clip();
        p->proj_clip = o->proj_clip();
        p->time_major = o->time_major();
        p->asymmetric_quantize_inputs = o->asymmetric_quantize_inputs();
        p->diagonal_recurrent_tensors = o->diagonal_recurrent_tensors();
      }
      *params = p;
      break;
    }
    default:
      break;  // no parameters
  }
  return Status::Ok();
}

#undef SYSTOLE_ACT

}  // namespace systole
