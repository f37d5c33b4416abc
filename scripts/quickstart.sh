#!/bin/sh
# The main job, from a fresh Debian 12 machine: install what is missing, build
# the systole tool (nothing else), compile a model for the accelerator
# (report), run it through the delegate on the simulated accelerator
# (performance counters), and check it bit for bit against the CPU
# interpreter and TensorFlow Lite's output.
#
#   scripts/quickstart.sh [MODEL.tflite]
#
# The model: MODEL.tflite when given; else
# ../shared/models/mobilenet_v2_quantized_1x3x224x224.tflite when ../shared is
# beside the clone (SYSTOLE_SHARED_DIR overrides); else the built-in
# mobilenet-v2-like (`systole make-model mobilenet-v2-like`: a MobileNetV2-
# shaped int8 network the tool writes itself, byte for byte the same on every
# machine), so that a clone of the repository alone works.
#
# The TFLite flavor (docs/flavors.md) is SYSTOLE_TFLITE_FLAVOR=ruy|x86|xnnpack
# when set; else ruy for the built-in model (its golden, from the real TFLite
# of ../shared/oracle, is ruy's: tests/golden/builtin_models.json), and this
# machine's own TFLite for the others (x86 on x86-64, ruy elsewhere), checked
# against tests/golden/models_seed1.json (ruy) or tests/golden/FLAVOR/.
#
# Build tree: build-quickstart/ (Release, no tests, no benchmarks, no Verilated
# RTL), so that it never changes the configuration of build/ (scripts/test.sh).
# SYSTOLE_QUICKSTART_CMAKE_ARGS adds configure options.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
start=$(date +%s)
# Only what this build needs. The Verilated RTL is left out with
# -DSYSTOLE_WITH_RTL=OFF; a tree without that option still configures rtl/,
# which needs verilator.
PACKAGES="build-essential cmake ninja-build pkg-config python3 libflatbuffers-dev
  flatbuffers-compiler libsystemc-dev libeigen3-dev nlohmann-json3-dev"
grep -q SYSTOLE_WITH_RTL CMakeLists.txt || PACKAGES="$PACKAGES verilator"
# shellcheck disable=SC2086
sh scripts/install_deps.sh $PACKAGES
BUILD=build-quickstart
mkdir -p "$BUILD"
# shellcheck disable=SC2086
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSYSTOLE_WITH_RTL=OFF \
  -DSYSTOLE_BUILD_TESTS=OFF -DSYSTOLE_BUILD_BENCHMARKS=OFF ${SYSTOLE_QUICKSTART_CMAKE_ARGS:-} > "$BUILD/configure.log" 2>&1 ||
  { cat "$BUILD/configure.log" >&2; exit 1; }
cmake --build "$BUILD" -j "$(nproc)" --target systole
SYSTOLE=./$BUILD/tools/systole
OUT=$BUILD/quickstart
mkdir -p "$OUT"
SHARED=${SYSTOLE_SHARED_DIR:-$ROOT/../shared}
SHARED_MODEL=$SHARED/models/mobilenet_v2_quantized_1x3x224x224.tflite
if [ $# -gt 0 ]; then
  MODEL=$1
  KIND=given
  WHICH="$MODEL (given on the command line)"
elif [ -f "$SHARED_MODEL" ]; then
  MODEL=$SHARED_MODEL
  KIND=shared
  WHICH="$MODEL (MobileNetV2 1.0 224, from ../shared)"
else
  MODEL=$OUT/mobilenet-v2-like.tflite
  KIND=builtin
  WHICH="built-in mobilenet-v2-like ($SHARED/models is absent): $MODEL"
  echo "== systole make-model mobilenet-v2-like (no ../shared beside the clone: the built-in model)"
  "$SYSTOLE" make-model mobilenet-v2-like -o "$MODEL"
  echo
fi
if [ -z "${SYSTOLE_TFLITE_FLAVOR:-}" ]; then
  if [ "$KIND" = builtin ]; then
    SYSTOLE_TFLITE_FLAVOR=ruy
    flavor_why="the built-in model's default: its golden is ruy's, from WebAssembly TFLite; SYSTOLE_TFLITE_FLAVOR changes it"
  else
    case "$(uname -m)" in x86_64|amd64) SYSTOLE_TFLITE_FLAVOR=x86 ;; *) SYSTOLE_TFLITE_FLAVOR=ruy ;; esac
    flavor_why="this machine's TFLite; SYSTOLE_TFLITE_FLAVOR changes it"
  fi
else
  flavor_why="from SYSTOLE_TFLITE_FLAVOR"
fi
FLAVOR=$SYSTOLE_TFLITE_FLAVOR
case "$FLAVOR" in
  ruy) GOLDEN=tests/golden/models_seed1.json ;;
  x86|xnnpack) GOLDEN=tests/golden/$FLAVOR/models_seed1.json ;;
  *) echo "SYSTOLE_TFLITE_FLAVOR='$FLAVOR' is not ruy, x86 or xnnpack" >&2; exit 2 ;;
esac
GOLDEN_KEY="models/$(basename "$MODEL")"
if [ "$KIND" = builtin ]; then
  GOLDEN=tests/golden/builtin_models.json
  GOLDEN_KEY=mobilenet-v2-like.tflite
  [ "$FLAVOR" = ruy ] || GOLDEN=""   # the only golden of the built-in model is ruy's
fi
echo "Model: $WHICH"
echo "TFLite flavor: $FLAVOR ($flavor_why)"
echo "Outputs are compared with that TensorFlow Lite build's."
echo
echo "== systole compile (ahead of time, edge configuration)"
"$SYSTOLE" compile "$MODEL" -o "$OUT/model_systole.tflite" --tflite-flavor "$FLAVOR"
echo
echo "== systole run on the simulated accelerator (SystemC device, through the delegate)"
"$SYSTOLE" run "$OUT/model_systole.tflite" --seed 1 --output "$OUT/device.bin" --tflite-flavor "$FLAVOR"
echo
echo "== the same inputs on the CPU interpreter"
"$SYSTOLE" run "$MODEL" --device cpu --seed 1 --output "$OUT/cpu.bin" --quiet --tflite-flavor "$FLAVOR"
if cmp -s "$OUT/device.bin" "$OUT/cpu.bin"; then
  echo "accelerator output == CPU output, bit for bit ($(wc -c < "$OUT/cpu.bin") bytes)"
else
  echo "MISMATCH between the accelerator and the CPU" >&2
  exit 1
fi
golden=""
if [ -n "$GOLDEN" ]; then
  golden=$(python3 - "$GOLDEN_KEY" "$GOLDEN" <<'PY'
import json, sys
d = json.load(open(sys.argv[2]))["models"]
print(" ".join(o["sha256"] for o in d[sys.argv[1]]["outputs"]) if sys.argv[1] in d else "")
PY
)
fi
elapsed() { echo "($(($(date +%s) - start)) s in all, packages and build included)"; }
if [ -z "$golden" ]; then
  echo "(no TFLite golden for this model in flavor $FLAVOR: not compared)"
  elapsed
  exit 0
fi
got=$(sha256sum "$OUT/device.bin" | cut -d' ' -f1)
if [ "$(echo "$golden" | wc -w)" = 1 ] && [ "$got" = "$golden" ]; then
  echo "bit-exact with TensorFlow Lite, flavor $FLAVOR (sha256 $got; golden $GOLDEN)"
elif [ "$(echo "$golden" | wc -w)" != 1 ]; then
  echo "(multi-output model: compare per tensor with 'systole run' above)"
else
  echo "MISMATCH with TensorFlow Lite (flavor $FLAVOR): got $got, want $golden" >&2
  exit 1
fi
elapsed
