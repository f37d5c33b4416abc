#!/bin/sh
# Runs the whole Systole test suite: installs missing Debian packages, builds
# (Release) and runs ctest; then builds again with AddressSanitizer +
# UndefinedBehaviorSanitizer and runs the suite under them.
#
#   scripts/test.sh            both builds (what CI runs)
#   scripts/test.sh --fast     the Release build only
# Build trees: build/ and build-asan/. Set SYSTOLE_JOBS to change parallelism.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
JOBS=${SYSTOLE_JOBS:-$(nproc)}
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1

sh scripts/install_deps.sh

echo "== Layering (README.md, Architecture: the allowed #include graph)"
python3 scripts/check_layering.py

echo "== Release build"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$JOBS"
echo "== Release tests"
(cd build && ctest --output-on-failure -j "$JOBS" --timeout 600)

if [ "${1:-}" = "--fast" ]; then exit 0; fi

echo "== ASan+UBSan build"
# The Verilated RTL (generated C++, ~7 min to compile) is left out of this
# build; its tests run in the Release build above. -O1 -g1 (line tables, what
# the sanitizers' reports need) instead of RelWithDebInfo's -O2 -g: the
# sanitizer build compiles in about two thirds of the CPU time (the largest
# test file, driver_test.cc: 43 s instead of 87 s), which keeps the whole CI
# run under its 45-minute budget on a 2-core machine.
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSYSTOLE_SANITIZE=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  -DSYSTOLE_BUILD_BENCHMARKS=OFF -DSYSTOLE_EXCLUDE=rtl
cmake --build build-asan -j "$JOBS"
echo "== ASan+UBSan tests"
# LeakSanitizer on for every test. TOOLCHAIN.md pitfall 7 (the stacks of
# never-returning SC_THREADs look like leaks) does not apply: the SystemC
# models here use SC_METHODs only, and the whole suite is leak-free.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest --output-on-failure -j "$JOBS" --timeout 1200)
