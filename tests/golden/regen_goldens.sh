#!/bin/sh
# Regenerates the golden outputs in tests/golden/ from the REAL TensorFlow Lite
# (../shared/oracle, a WebAssembly build of TFLite run by Node.js). Goldens are
# never produced by Systole itself.
#
#   tests/golden/regen_goldens.sh [BUILD_DIR]     (default: build)
#
# Writes
#   tests/golden/op_cases.json         every per-op case of tests/op_cases
#   tests/golden/models_seed{1,2,3}.json  every model in ../shared/models
#   tests/golden/model_layers.json     every op output of trained_lstm_int8
#                                      (regen_layer_goldens.sh)
#   tests/golden/builtin_models.json   the built-in models of systole make-model
#                                      (regen_builtin_goldens.sh)
# Needs: node, and `sh ../shared/oracle/setup.sh` run once; BUILD_DIR must hold
# a built tests/op_case_tool and tools/systole.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
SHARED=${SYSTOLE_SHARED_DIR:-$ROOT/../shared}
ORACLE="$SHARED/oracle/tflite_ref.js"
[ -f "$ORACLE" ] || { echo "regen_goldens: no oracle at $ORACLE" >&2; exit 1; }
[ -d "$SHARED/oracle/node_modules" ] || sh "$SHARED/oracle/setup.sh"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
status=0

echo "== per-op cases"
"$BUILD/tests/op_case_tool" --write "$TMP"
node "$ORACLE" check "$TMP/op_cases.json" --update --root "$TMP" --quiet > "$TMP/op_cases.log" || status=1
grep -v '^UPDATED' "$TMP/op_cases.log" || true
cp "$TMP/op_cases.json" "$ROOT/tests/golden/op_cases.json"

for seed in 1 2 3; do
  echo "== shared models, seed $seed"
  out="$TMP/models_seed$seed.json"
  {
    printf '{\n "description": "Outputs of the real TensorFlow Lite (../shared/oracle) for ../shared/models, xorshift32 seed %s. Regenerate with tests/golden/regen_goldens.sh.",\n' "$seed"
    printf ' "root": ".",\n "seed": %s,\n "models": {\n' "$seed"
    first=1
    for m in "$SHARED"/models/*.tflite; do
      [ $first = 1 ] || printf ',\n'
      first=0
      printf '  "models/%s": {}' "$(basename "$m")"
    done
    printf '\n }\n}\n'
  } > "$out"
  node "$ORACLE" check "$out" --update --root "$SHARED" || status=1
  cp "$out" "$ROOT/tests/golden/models_seed$seed.json"
done
echo "== layer goldens (tests/golden/model_layers.json)"
sh "$ROOT/tests/golden/regen_layer_goldens.sh" || status=1
echo "== built-in models (systole make-model)"
sh "$ROOT/tests/golden/regen_builtin_goldens.sh" "$BUILD" || status=1
exit $status
