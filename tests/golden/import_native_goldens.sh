#!/bin/sh
# Imports the goldens of the two native x86-64 TFLite flavors (TensorFlow Lite
# 2.14.1 built for x86-64 without ruy, and the same build with the XNNPACK
# delegate applied to quantized ops) from ../shared/oracle/native-x86*/.
# Those files were made with the real TFLite by the steering side (see their
# README.md); this project cannot regenerate them, only copy them:
#
#   sh tests/golden/import_native_goldens.sh [SHARED_DIR]
#
# tests/golden/x86/       <- SHARED_DIR/oracle/native-x86/
# tests/golden/xnnpack/   <- SHARED_DIR/oracle/native-x86-xnnpack/
# Each op_cases.json entry carries the sha256 of the model it was made from;
# op_cases_test reports entries whose model changed since (stale goldens).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${1:-$ROOT/../shared}
for pair in "x86:native-x86" "xnnpack:native-x86-xnnpack"; do
  flavor=${pair%%:*}
  src=$SHARED/oracle/${pair#*:}
  dst=$ROOT/tests/golden/$flavor
  mkdir -p "$dst"
  for f in models_seed1.json models_seed2.json models_seed3.json op_cases.json README.md; do
    cp "$src/$f" "$dst/$f"
  done
  echo "imported $src -> $dst"
done
