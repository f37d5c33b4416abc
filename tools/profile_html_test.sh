#!/bin/sh
# systole profile --html in a real browser: the page renders in headless
# Chromium (the element its script adds after drawing is in the DOM, with
# every chart), the console has no message (an uncaught exception would show
# as INFO:CONSOLE), and the file has no network reference.
#   profile_html_test.sh SYSTOLE_BINARY WORK_DIR
# Exit 77 (ctest: skipped) when chromium is not installed
# (scripts/install_deps.sh installs it).
set -eu
systole=$1
work=$2
browser=""
for b in chromium chromium-browser; do
  if command -v "$b" >/dev/null 2>&1; then browser=$b; break; fi
done
if [ -z "$browser" ]; then
  echo "SKIP: chromium is not installed (scripts/install_deps.sh installs it)"
  exit 77
fi
mkdir -p "$work"
model="$work/mobilenet-v2-like.tflite"
html="$work/profile.html"
"$systole" make-model mobilenet-v2-like -o "$model" --quiet
# --deny SOFTMAX: the partition map has a CPU op with its reason too.
"$systole" profile "$model" --config tiny --deny SOFTMAX --validate --html "$html" --quiet
if grep -Eiq '(src|href)[[:space:]]*=[[:space:]]*["'\'']?[[:space:]]*(https?:|//)|url\([[:space:]]*["'\'']?(https?:|//)|@import|fetch\(|XMLHttpRequest' "$html"; then
  echo "FAIL: $html has a network reference"
  exit 1
fi
dom="$work/dom.html"
log="$work/chromium.log"
# A private profile directory: nothing of the user's, nothing left behind.
"$browser" --headless --disable-gpu --no-sandbox --no-first-run --user-data-dir="$work/chromium-profile" \
  --enable-logging=stderr --v=0 --virtual-time-budget=5000 --dump-dom "file://$html" >"$dom" 2>"$log" || {
  echo "FAIL: chromium exited with an error"; cat "$log"; exit 1; }
if grep -q 'CONSOLE' "$log"; then
  echo "FAIL: console messages:"; grep 'CONSOLE' "$log"; exit 1
fi
if ! grep -q '<div id="systole-rendered">rendered [0-9]* layers</div>' "$dom"; then
  echo "FAIL: the page's script did not finish drawing (no #systole-rendered in the DOM)"; exit 1
fi
svgs=$(grep -o '<svg' "$dom" | wc -l)
if [ "$svgs" -lt 5 ]; then
  echo "FAIL: $svgs charts drawn, expected 5 (cycles, utilization, bytes, roofline, stalls)"; exit 1
fi
if ! grep -q 'denied by --deny SOFTMAX' "$dom"; then
  echo "FAIL: the partition map does not show the CPU op's reason"; exit 1
fi
# The sweep's page too.
"$systole" sweep "$model" --rows 16,32 --link usb3,pcie --config tiny --csv "$work/sweep.csv" \
  --html "$work/sweep.html" --quiet
"$browser" --headless --disable-gpu --no-sandbox --no-first-run --user-data-dir="$work/chromium-profile" \
  --enable-logging=stderr --v=0 --virtual-time-budget=5000 --dump-dom "file://$work/sweep.html" >"$dom" 2>"$log" || {
  echo "FAIL: chromium exited with an error (sweep)"; cat "$log"; exit 1; }
if grep -q 'CONSOLE' "$log"; then
  echo "FAIL: console messages (sweep):"; grep 'CONSOLE' "$log"; exit 1
fi
grep -q '<div id="systole-rendered">rendered 4 configurations</div>' "$dom" || {
  echo "FAIL: the sweep page's script did not finish drawing"; exit 1; }
echo "OK: $html and sweep.html rendered in $browser: $svgs charts, no console messages, no network references"
