#!/bin/sh
# Rewrites tests/manifest/executables.txt: the sha256 of every executable the
# compiler writes for the shared models (edge, tiny) and every per-op case
# (edge), flavors ruy, x86 and xnnpack. Run it after an intended change of the
# compiler's output, review `git diff tests/manifest`, commit both.
#   scripts/executable_manifest.sh [BUILD_DIR]     (default build)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
cmake --build "$BUILD" --target executable_manifest
SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 "$BUILD/tests/executable_manifest" > "$ROOT/tests/manifest/executables.txt"
echo "wrote tests/manifest/executables.txt ($(wc -l < "$ROOT/tests/manifest/executables.txt") executables)"
