#!/bin/sh
# The main job, from a fresh Debian 12 machine: install what is missing, build,
# run a real model and check it bit for bit against TensorFlow Lite's output.
#
#   scripts/quickstart.sh [MODEL.tflite]
# Default model: ../shared/models/mobilenet_v2_quantized_1x3x224x224.tflite,
# checked against tests/golden/models_seed1.json (made by the real TFLite).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
sh scripts/install_deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$(nproc)" --target systole
SHARED=${SYSTOLE_SHARED_DIR:-$ROOT/../shared}
MODEL=${1:-$SHARED/models/mobilenet_v2_quantized_1x3x224x224.tflite}
echo "== systole inspect (summary)"
./build/tools/systole inspect "$MODEL" | sed -n '1,/^operators:/p'
echo "== systole run --seed 1 --repeat 10"
./build/tools/systole run "$MODEL" --seed 1 --repeat 10 --output build/quickstart_out.bin
golden=$(python3 - "$MODEL" <<'PY'
import json, os, sys
name = "models/" + os.path.basename(sys.argv[1])
d = json.load(open("tests/golden/models_seed1.json"))["models"]
print(" ".join(o["sha256"] for o in d[name]["outputs"]) if name in d else "")
PY
)
if [ -z "$golden" ]; then
  echo "(no TFLite golden for this model: not compared)"
  exit 0
fi
got=$(sha256sum build/quickstart_out.bin | cut -d' ' -f1)
if [ "$(echo "$golden" | wc -w)" = 1 ] && [ "$got" = "$golden" ]; then
  echo "bit-exact with TensorFlow Lite (sha256 $got)"
elif [ "$(echo "$golden" | wc -w)" != 1 ]; then
  echo "(multi-output model: compare per tensor with 'systole run' above)"
else
  echo "MISMATCH with TensorFlow Lite: got $got, want $golden" >&2
  exit 1
fi
