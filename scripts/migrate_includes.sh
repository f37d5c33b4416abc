#!/bin/sh
# Rewrites a source tree for the arch/ split (issue 12): the machine
# description moved from simulator/ to arch/, so
#   #include "simulator/X.h"   ->  #include "arch/X.h"      for every X below
#   include guards SYSTOLE_SIMULATOR_X_H_ -> SYSTOLE_ARCH_X_H_  (same headers)
#   #include "rtl/sim/rtl_compute_core.h" -> "arch/rtl_core.h" outside rtl/
#   CMake: systole_sim_api -> systole_arch everywhere, systole_sim_functional
#          -> systole_arch in compiler/; the per-target copies of
#          simulator/sc_main_stub.cc are dropped (systole_sim brings the one
#          stub to every executable that links SystemC).
# The C++ namespace stays systole::sim (nothing to rewrite there).
#
#   scripts/migrate_includes.sh [DIR]      DIR defaults to the current folder
#   scripts/migrate_includes.sh --check [DIR]
#                                          lists what would change, changes nothing,
#                                          exits 1 when something would
#
# Idempotent: running it twice changes nothing the second time. Only files
# tracked by git (or, outside a git checkout, every file) named *.h, *.cc,
# *.cpp, *.inc, *.md and CMakeLists.txt are considered; build trees are skipped.
set -eu

check=0
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
dir=${1:-.}
cd "$dir"

# The headers that moved (simulator/ -> arch/). Keep in sync with arch/.
moved="compute_core core_ports cycle_model device_config estimator host_memory program tokens validate"

sed_script=$(mktemp)
trap 'rm -f "$sed_script"' EXIT
for h in $moved; do
  guard=$(echo "$h" | tr 'a-z' 'A-Z')
  printf 's|#include "simulator/%s\\.h"|#include "arch/%s.h"|g\n' "$h" "$h" >> "$sed_script"
  printf 's|SYSTOLE_SIMULATOR_%s_H_|SYSTOLE_ARCH_%s_H_|g\n' "$guard" "$guard" >> "$sed_script"
  # Prose and CMake comments that name the file (docs/, comments).
  printf 's,simulator/%s\\.\\(h\\|cc\\),arch/%s.\\1,g\n' "$h" "$h" >> "$sed_script"
done
printf 's|simulator/core_ports_test\\.cc|arch/core_ports_test.cc|g\n' >> "$sed_script"

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  files=$(git ls-files -- '*.h' '*.cc' '*.cpp' '*.inc' '*.md' '*CMakeLists.txt')
else
  files=$(find . \( -name 'build*' -prune \) -o -type f \( -name '*.h' -o -name '*.cc' -o -name '*.cpp' \
            -o -name '*.inc' -o -name '*.md' -o -name CMakeLists.txt \) -print)
fi

changed=0
for f in $files; do
  [ -f "$f" ] || continue
  tmp=$(mktemp)
  sed -f "$sed_script" "$f" > "$tmp"
  case "$f" in
    rtl/*) ;;  # rtl/ defines the RTL core; its own includes stay
    *.h|*.cc|*.cpp|*.inc)
      sed -i 's|#include "rtl/sim/rtl_compute_core\.h"|#include "arch/rtl_core.h"|g' "$tmp" ;;
  esac
  case "$f" in
    *CMakeLists.txt)
      # One sc_main stub (simulator/CMakeLists.txt): drop the per-target copies.
      sed -i -e 's| *"\${PROJECT_SOURCE_DIR}/simulator/sc_main_stub\.cc"||g' \
             -e 's| *\${PROJECT_SOURCE_DIR}/simulator/sc_main_stub\.cc||g' "$tmp"
      # systole_sim_api (the core contract) is now systole_arch; the compiler
      # needs the machine description only, not the functional model.
      sed -i 's|systole_sim_api|systole_arch|g' "$tmp"
      case "$f" in
        compiler/*) sed -i 's|systole_sim_functional|systole_arch|g' "$tmp" ;;
      esac ;;
  esac
  if ! cmp -s "$f" "$tmp"; then
    changed=1
    if [ "$check" = 1 ]; then
      echo "would change: $f"
      diff -u "$f" "$tmp" | sed -n '3,$p' | grep '^[-+]' | sed 's/^/    /' || true
    else
      cat "$tmp" > "$f"
      echo "rewrote: $f"
    fi
  fi
  rm -f "$tmp"
done
if [ "$check" = 1 ] && [ "$changed" = 1 ]; then exit 1; fi
exit 0
