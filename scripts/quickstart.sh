#!/bin/sh
# The main job, from a fresh Debian 12 machine: install what is missing, build,
# compile a real model for the accelerator (report), run it through the
# delegate on the simulated accelerator (performance counters), and check it
# bit for bit against the CPU interpreter and TensorFlow Lite's output.
#
#   scripts/quickstart.sh [MODEL.tflite]
# Default model: ../shared/models/mobilenet_v2_quantized_1x3x224x224.tflite.
# The TFLite flavor (docs/flavors.md) is this machine's own TFLite (x86 on
# x86-64, ruy elsewhere) unless SYSTOLE_TFLITE_FLAVOR=ruy|x86|xnnpack says
# otherwise; the result is checked against that flavor's golden, made by the
# real TFLite (tests/golden/models_seed1.json for ruy, tests/golden/FLAVOR/
# for x86 and xnnpack).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
sh scripts/install_deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$(nproc)" --target systole
SHARED=${SYSTOLE_SHARED_DIR:-$ROOT/../shared}
MODEL=${1:-$SHARED/models/mobilenet_v2_quantized_1x3x224x224.tflite}
OUT=build/quickstart
mkdir -p "$OUT"
if [ -z "${SYSTOLE_TFLITE_FLAVOR:-}" ]; then
  case "$(uname -m)" in x86_64|amd64) SYSTOLE_TFLITE_FLAVOR=x86 ;; *) SYSTOLE_TFLITE_FLAVOR=ruy ;; esac
fi
FLAVOR=$SYSTOLE_TFLITE_FLAVOR
case "$FLAVOR" in
  ruy) GOLDEN=tests/golden/models_seed1.json ;;
  x86|xnnpack) GOLDEN=tests/golden/$FLAVOR/models_seed1.json ;;
  *) echo "SYSTOLE_TFLITE_FLAVOR='$FLAVOR' is not ruy, x86 or xnnpack" >&2; exit 2 ;;
esac
echo "TFLite flavor: $FLAVOR (outputs are compared with that TensorFlow Lite build's)"
echo "== systole compile (ahead of time, edge configuration)"
./build/tools/systole compile "$MODEL" -o "$OUT/model_systole.tflite" --tflite-flavor "$FLAVOR"
echo
echo "== systole run on the simulated accelerator (SystemC device, through the delegate)"
./build/tools/systole run "$OUT/model_systole.tflite" --seed 1 --output "$OUT/device.bin" --tflite-flavor "$FLAVOR"
echo
echo "== the same inputs on the CPU interpreter"
./build/tools/systole run "$MODEL" --device cpu --seed 1 --output "$OUT/cpu.bin" --quiet --tflite-flavor "$FLAVOR"
if cmp -s "$OUT/device.bin" "$OUT/cpu.bin"; then
  echo "accelerator output == CPU output, bit for bit ($(wc -c < "$OUT/cpu.bin") bytes)"
else
  echo "MISMATCH between the accelerator and the CPU" >&2
  exit 1
fi
golden=$(python3 - "$MODEL" "$GOLDEN" <<'PY'
import json, os, sys
name = "models/" + os.path.basename(sys.argv[1])
d = json.load(open(sys.argv[2]))["models"]
print(" ".join(o["sha256"] for o in d[name]["outputs"]) if name in d else "")
PY
)
if [ -z "$golden" ]; then
  echo "(no TFLite golden for this model: not compared)"
  exit 0
fi
got=$(sha256sum "$OUT/device.bin" | cut -d' ' -f1)
if [ "$(echo "$golden" | wc -w)" = 1 ] && [ "$got" = "$golden" ]; then
  echo "bit-exact with TensorFlow Lite, flavor $FLAVOR (sha256 $got)"
elif [ "$(echo "$golden" | wc -w)" != 1 ]; then
  echo "(multi-output model: compare per tensor with 'systole run' above)"
else
  echo "MISMATCH with TensorFlow Lite (flavor $FLAVOR): got $got, want $golden" >&2
  exit 1
fi
