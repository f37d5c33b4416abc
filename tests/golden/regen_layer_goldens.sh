#!/bin/sh
# Regenerates tests/golden/model_layers.json: every operator's output tensor of
# the shared models listed below, for seeds 1, 2 and 3, from the REAL
# TensorFlow Lite (../shared/oracle `dump`). Used where a model's final output
# saturates and would hide a wrong intermediate (trained_lstm_int8: the
# SOFTMAX output is one-hot for every seed, so the LSTM's own output is
# checked). Goldens are never produced by Systole itself.
#
#   tests/golden/regen_layer_goldens.sh
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${SYSTOLE_SHARED_DIR:-$ROOT/../shared}
ORACLE="$SHARED/oracle/tflite_ref.js"
[ -f "$ORACLE" ] || { echo "regen_layer_goldens: no oracle at $ORACLE" >&2; exit 1; }
[ -d "$SHARED/oracle/node_modules" ] || sh "$SHARED/oracle/setup.sh"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
MODELS="trained_lstm_int8.tflite"
for m in $MODELS; do
  for seed in 1 2 3; do
    node "$ORACLE" dump "$SHARED/models/$m" --seed "$seed" "$TMP/$m.$seed/" --quiet > /dev/null
  done
done
python3 - "$TMP" "$ROOT/tests/golden/model_layers.json" $MODELS <<'PY'
import json, struct, sys
tmp, out, models = sys.argv[1], sys.argv[2], sys.argv[3:]
fmt = {"int8": "b", "uint8": "B", "int16": "h", "int32": "i", "float32": "f"}
doc = {"description": "Every operator output of the listed shared models, from the real TensorFlow Lite "
                      "(../shared/oracle dump), xorshift32 seeds 1-3. Regenerate with "
                      "tests/golden/regen_layer_goldens.sh.",
       "models": {}}
for m in models:
    seeds = {}
    for seed in (1, 2, 3):
        d = f"{tmp}/{m}.{seed}"
        index = json.load(open(f"{d}/index.json"))
        tensors = []
        for t in index["tensors"]:
            raw = open(f"{d}/{t['file']}", "rb").read()
            n = len(raw) // struct.calcsize(fmt[t["dtype"]])
            vals = list(struct.unpack("<%d%s" % (n, fmt[t["dtype"]]), raw))
            tensors.append({"op_index": t["op_index"], "op": t["op"], "tensor": t["tensor"],
                            "dtype": t["dtype"], "shape": t["shape"], "sha256": t["sha256"], "values": vals})
        seeds[str(seed)] = tensors
    doc["models"]["models/" + m] = seeds
with open(out, "w") as f:
    json.dump(doc, f, separators=(",", ":"))
    f.write("\n")
PY
echo "wrote $ROOT/tests/golden/model_layers.json"
