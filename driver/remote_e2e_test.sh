#!/bin/sh
# End to end: `systole serve --listen unix:S &` then `systole run MODEL
# --device remote:unix:S` writes the same output bytes as `--device sim` for
# every shared model; then SIGKILL of the server in the middle of a run makes
# the client print an error and exit non-zero well within its timeout.
#
#   remote_e2e_test.sh SYSTOLE_BINARY SHARED_MODELS_DIR
set -u
SYSTOLE=$1
MODELS=$2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/systole_e2e_XXXXXX")
SOCK="$WORK/s.sock"
SERVER=""
cleanup() {
  if [ -n "$SERVER" ]; then kill -TERM "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

start_server() {
  "$SYSTOLE" serve --listen "unix:$SOCK" > "$WORK/serve.out" 2> "$WORK/serve.err" &
  SERVER=$!
  i=0
  while ! grep -q "^listening on unix:$SOCK" "$WORK/serve.out" 2>/dev/null; do
    i=$((i + 1))
    [ $i -gt 300 ] && fail "systole serve did not start: $(cat "$WORK/serve.err")"
    kill -0 "$SERVER" 2>/dev/null || fail "systole serve exited: $(cat "$WORK/serve.err")"
    sleep 0.1
  done
}

start_server
checked=0
for model in "$MODELS"/*.tflite; do
  [ -e "$model" ] || continue
  name=$(basename "$model")
  "$SYSTOLE" run "$model" --device sim --seed 1 --output "$WORK/sim.bin" --quiet 2> "$WORK/sim.err"
  sim_rc=$?
  "$SYSTOLE" run "$model" --device "remote:unix:$SOCK" --seed 1 --output "$WORK/remote.bin" --quiet 2> "$WORK/remote.err"
  remote_rc=$?
  if [ $sim_rc -ne 0 ]; then
    # A model the simulator path cannot run (e.g. an op no interpreter has)
    # must fail the same way remotely.
    [ $remote_rc -ne 0 ] || fail "$name: sim failed ($(cat "$WORK/sim.err")) but remote succeeded"
    cmp -s "$WORK/sim.err" "$WORK/remote.err" || fail "$name: different errors: sim '$(cat "$WORK/sim.err")', remote '$(cat "$WORK/remote.err")'"
    echo "same error on sim and remote: $name ($(cat "$WORK/sim.err"))"
    continue
  fi
  [ $remote_rc -eq 0 ] || fail "$name: remote run failed: $(cat "$WORK/remote.err")"
  cmp "$WORK/sim.bin" "$WORK/remote.bin" || fail "$name: remote output differs from sim"
  echo "same bytes on sim and remote: $name ($(wc -c < "$WORK/sim.bin") output bytes)"
  checked=$((checked + 1))
done
if [ $checked -eq 0 ]; then
  echo "no shared models in $MODELS: only the SIGKILL case runs"
fi

# SIGKILL mid-inference: a long stream of runs, the server killed under it.
model=$(ls "$MODELS"/hello_world_int8.tflite 2>/dev/null || true)
if [ -z "$model" ]; then
  "$SYSTOLE" make-model mobilenet-v2-like -o "$WORK/m.tflite" --quiet || fail "make-model"
  model="$WORK/m.tflite"
fi
start=$(date +%s)
"$SYSTOLE" run "$model" --device "remote:unix:$SOCK" --repeat 1000000 --quiet > "$WORK/kill.out" 2> "$WORK/kill.err" &
CLIENT=$!
sleep 1
kill -KILL "$SERVER"
wait "$SERVER" 2>/dev/null
SERVER=""
wait "$CLIENT"
client_rc=$?
elapsed=$(( $(date +%s) - start ))
[ $client_rc -ne 0 ] || fail "the client exited 0 after the server was killed"
grep -q "^error: " "$WORK/kill.err" || fail "the client printed no error: $(cat "$WORK/kill.err")"
# The transport's timeout is 10 s; a closed socket must be noticed at once.
[ $elapsed -le 8 ] || fail "the client took ${elapsed}s to notice the dead server"
echo "server killed mid-run: client exit $client_rc after ${elapsed}s: $(head -c 300 "$WORK/kill.err")"
echo "1 passed, 0 failed"
