#!/bin/sh
# Regenerates tests/golden/builtin_models.json: the outputs of the REAL
# TensorFlow Lite (../shared/oracle: WebAssembly TFLite, the ruy flavor) for
# every built-in model of `systole make-model`, seeds 1 and 2, with the
# sha256 of the model's bytes (the generator is deterministic: a test checks
# that `systole make-model` still writes exactly those bytes).
#
#   tests/golden/regen_builtin_goldens.sh [BUILD_DIR]     (default: build)
#
# Needs: node, `sh ../shared/oracle/setup.sh` run once (done here if needed),
# and a built BUILD_DIR/tools/systole.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
SHARED=${SYSTOLE_SHARED_DIR:-$ROOT/../shared}
ORACLE="$SHARED/oracle/tflite_ref.js"
SYSTOLE="$BUILD/tools/systole"
[ -f "$ORACLE" ] || { echo "regen_builtin_goldens: no oracle at $ORACLE" >&2; exit 1; }
[ -x "$SYSTOLE" ] || { echo "regen_builtin_goldens: no $SYSTOLE (build the systole target)" >&2; exit 1; }
[ -d "$SHARED/oracle/node_modules" ] || sh "$SHARED/oracle/setup.sh"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
OUT="$TMP/builtin_models.json"
MODELS="mobilenet-v2-like deeplab-like"
{
  printf '{\n "description": "Outputs of the real TensorFlow Lite (../shared/oracle, WebAssembly: the ruy flavor) for the built-in models of systole make-model. Regenerate with tests/golden/regen_builtin_goldens.sh BUILD_DIR.",\n'
  printf ' "root": ".",\n "seed": 1,\n "flavor": "ruy",\n "models": {\n'
  first=1
  for name in $MODELS; do
    "$SYSTOLE" make-model "$name" -o "$TMP/$name.tflite" --quiet
    mkdir -p "$TMP/seed2"
    cp "$TMP/$name.tflite" "$TMP/seed2/$name.tflite"
    sha=$(sha256sum "$TMP/$name.tflite" | cut -d' ' -f1)
    for seed in 1 2; do
      key="$name.tflite"
      [ "$seed" = 1 ] || key="seed$seed/$name.tflite"
      [ $first = 1 ] || printf ',\n'
      first=0
      printf '  "%s": {"model": "%s", "command": "systole make-model %s", "model_sha256": "%s", "seed": %s}' \
        "$key" "$name" "$name" "$sha" "$seed"
    done
  done
  printf '\n }\n}\n'
} > "$OUT"
node "$ORACLE" check "$OUT" --update --root "$TMP"
cp "$OUT" "$ROOT/tests/golden/builtin_models.json"
echo "wrote $ROOT/tests/golden/builtin_models.json"
