#!/bin/sh
# systole sweep: an in-process grid (4 configurations, CSV with one row each
# and a Pareto front), and the cluster path: --emit-jobs parallel, the jobs run
# one by one with sh (as GNU parallel would), --collect gives the same CSV
# numbers as the in-process sweep; with one result deleted, collect marks it
# missing.
#   sweep_test.sh SYSTOLE_BINARY WORK_DIR
set -eu
systole=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
model="$work/m.tflite"
"$systole" make-model mobilenet-v2-like -o "$model" --quiet
cd "$work"
"$systole" sweep "$model" --rows 16,32 --cols 16 --link usb3,pcie --config tiny --jobs 2 \
  --csv grid.csv --html grid.html > grid.log 2>&1
grep -q '^4 of 4 configurations profiled' grid.log || { echo "FAIL: grid"; cat grid.log; exit 1; }
[ "$(grep -c ',"ok",' grid.csv)" = 4 ] || { echo "FAIL: grid.csv"; cat grid.csv; exit 1; }
[ "$(awk -F, 'NR > 1 && $17 == 1' grid.csv | wc -l)" -ge 1 ] || { echo "FAIL: no Pareto point"; exit 1; }
"$systole" sweep "$model" --rows 16,32 --cols 16 --link usb3,pcie --config tiny --emit-jobs parallel jobs > emit.log
[ "$(wc -l < jobs/jobs.txt)" = 4 ] || { echo "FAIL: jobs.txt"; cat jobs/jobs.txt; exit 1; }
sh jobs/jobs.txt
"$systole" sweep --collect jobs > collect.log
# Same configurations and numbers as in process (columns 2-17).
cut -d, -f2-17 grid.csv > a.txt
cut -d, -f2-17 jobs/sweep.csv > b.txt
cmp a.txt b.txt || { echo "FAIL: collected results differ from the in-process sweep"; diff a.txt b.txt; exit 1; }
rm jobs/results/3.json
"$systole" sweep --collect jobs > collect2.log
grep -q 'PARTIAL: 1 of 4 results missing' collect2.log || { echo "FAIL: missing result"; cat collect2.log; exit 1; }
grep -q ',"missing",' jobs/sweep.csv || { echo "FAIL: missing not in the CSV"; exit 1; }
"$systole" sweep "$model" --rows 16 --emit-jobs slurm slurm > /dev/null
grep -q '^#SBATCH --array=0-0$' slurm/sweep.slurm || { echo "FAIL: slurm script"; cat slurm/sweep.slurm; exit 1; }
echo "OK: sweep grid, emit-jobs parallel + collect, slurm script"
