// The arithmetic flavor of the TensorFlow Lite build whose outputs Systole
// reproduces bit for bit. TensorFlow Lite is not bit-exact with itself: the
// same quantized model gives different bytes in different builds.
//
//   ruy      builds that use ruy for their GEMMs (ARM, Android, WebAssembly:
//            ../shared/oracle). int8 CONV_2D and FULLY_CONNECTED requantize
//            with ruy's single rounding.
//   x86      x86-64 builds without ruy (TFLite's CMake default, old
//            tflite_runtime wheels): the builtin kernels; int8 CONV_2D and
//            FULLY_CONNECTED requantize with the two-step
//            MultiplyByQuantizedMultiplier, and integer MEAN divides as that
//            build does (docs/flavors.md).
//   xnnpack  the x86 build with the XNNPACK delegate applied to quantized
//            ops: XNNPACK's own operators (binary32 requantization and its
//            own elementwise/resize arithmetic) for the ops and conditions the
//            XNNPACK delegate takes; the builtin x86 kernels for the rest.
//
// The flavor is a setting of the CPU interpreter's op resolver, the compiler,
// the delegate, the plugin and the CLI (--tflite-flavor). The default is the
// host's own TFLite: x86 on x86-64, ruy elsewhere.
#ifndef SYSTOLE_COMMON_TFLITE_FLAVOR_H_
#define SYSTOLE_COMMON_TFLITE_FLAVOR_H_

#include <cstdint>
#include <string>

#include "common/status.h"

namespace systole {

// Values are stored in executables (schema/executable.fbs): never renumber.
enum class TfliteFlavor : uint8_t { kRuy = 0, kX86 = 1, kXnnpack = 2 };

inline constexpr TfliteFlavor kAllTfliteFlavors[] = {TfliteFlavor::kRuy, TfliteFlavor::kX86,
                                                     TfliteFlavor::kXnnpack};

// "ruy", "x86", "xnnpack".
const char* TfliteFlavorName(TfliteFlavor flavor);
// Parses a flavor name; the error names the value and lists the choices.
StatusOr<TfliteFlavor> ParseTfliteFlavor(const std::string& name);
// The flavor of the TFLite a plugin on this host most likely runs in: x86 on
// x86-64 (TFLite's builtin kernels without ruy), ruy on every other machine.
TfliteFlavor HostTfliteFlavor();

}  // namespace systole

#endif  // SYSTOLE_COMMON_TFLITE_FLAVOR_H_
