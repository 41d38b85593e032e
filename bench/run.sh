#!/usr/bin/env bash
# run.sh BUILD_DIR: heft's benchmarks (`make bench`), described in
# docs/benchmarks.md. Installs the peers if missing (install-peers.sh),
# builds the two helper programs against BUILD_DIR/libheft.a, runs the
# scale benchmarks (speed.sh) and the accuracy benchmarks (accuracy.sh),
# and ends with a summary of every target. Generated files go to
# bench/.work (HEFT_BENCH_WORK) and are removed at the end unless
# HEFT_BENCH_KEEP=1; the full command log is bench/.work/bench.log.
# Exit status: 0 when every target passed (or was skipped), 1 otherwise.
B=${1:-build}
cd "$(dirname "$0")/.." || exit 1
source bench/lib.sh
[ -x "$B/heft" ] && [ -f "$B/libheft.a" ] ||
  { echo "bench: $B/heft or $B/libheft.a missing; run make first" >&2; exit 1; }

t_start=$(now)
: >"$LOG"
: >"$RESULTS"
./bench/install-peers.sh || exit 1

# The helpers link the static library with the same optional codecs as the
# Makefile does.
libs="-lm -lpthread"
pkg-config --exists zlib 2>/dev/null && libs="$libs $(pkg-config --libs zlib)"
pkg-config --exists libzstd 2>/dev/null && libs="$libs $(pkg-config --libs libzstd)"
for p in readbench export_svm; do
  # shellcheck disable=SC2086
  ${CC:-cc} -std=c11 -Wall -Wextra -Werror -O2 -D_GNU_SOURCE -Iinclude \
    -o "$BIN/$p" "bench/$p.c" "$B/libheft.a" $libs || exit 1
done

# The load average tells how noisy the timings are on a shared machine.
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "$("$B/heft" --version 2>/dev/null | head -1) | $(nproc) cores |" \
  "$(date -u '+%Y-%m-%d %H:%M UTC') | threads $THREADS | load $(load)"
echo
./bench/speed.sh "$B" || record "speed.sh aborted (see $LOG)" - - - - FAIL
echo
./bench/accuracy.sh "$B" ||
  record "accuracy.sh aborted (see $LOG)" - - - - FAIL

echo
echo "== summary ($(calc "$(now) - $t_start") s, load $(load))"
printf '%-44s %12s %22s %20s %-30s %s\n' target heft peer ratio goal result
awk -F'\t' '{ printf "%-44s %12s %22s %20s %-30s %s\n", $1, $2, $3, $4, $5, $6 }' \
  "$RESULTS"
{
  echo "| Target | heft | Peer | Ratio / difference | Goal | Result |"
  echo "|---|---|---|---|---|---|"
  awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6 }' \
    "$RESULTS"
} >"$WORK/summary.md"
echo "(Markdown: $WORK/summary.md, $WORK/accuracy.md)"
# The generated data takes about 1.5 GB: removed unless HEFT_BENCH_KEEP=1.
[ "${HEFT_BENCH_KEEP:-0}" = 1 ] || rm -rf "$WORK/speed" "$WORK/accuracy"
pass=$(grep -c $'\tPASS$' "$RESULTS")
fail=$(grep -c $'\tFAIL$' "$RESULTS")
skip=$(grep -c $'\tSKIP$' "$RESULTS")
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
