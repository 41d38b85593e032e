# lib.sh: shared setup and helpers of the benchmark scripts; sourced, not
# run. Expects B (the build folder holding heft and libheft.a) to be set.
#
# Everything a benchmark writes goes under $WORK (bench/.work unless
# HEFT_BENCH_WORK says otherwise), never into the source tree. Each target
# adds one line to $WORK/results.tsv, from which run.sh prints the summary.

# shellcheck disable=SC2034  # the variables are for the sourcing scripts
set -u
: "${B:?B (build folder) must be set}"
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${HEFT_BENCH_WORK:-$ROOT/bench/.work}
PY=${HEFT_BENCH_PYTHON:-/usr/bin/python3}
HEFT=$ROOT/$B/heft
[ -x "$HEFT" ] || HEFT=$B/heft
BIN=$WORK/bin
LOG=$WORK/bench.log
RESULTS=$WORK/results.tsv
DATA=${HEFT_BENCH_DATA:-$ROOT/../shared/data}
THREADS=${HEFT_BENCH_THREADS:-2}
mkdir -p "$WORK" "$BIN"
touch "$LOG" "$RESULTS"

# Seconds since the epoch, with nanoseconds.
now() { date +%s.%N; }

# Floating-point arithmetic: calc 'EXPR' prints its value (awk syntax).
calc() { awk "BEGIN { printf \"%.6g\", $1 }"; }

# fmt N EXPR: EXPR's value with N decimals.
fmt() { awk "BEGIN { printf \"%.${1}f\", $2 }"; }

# True when awk's EXPR holds, e.g. check "$x >= 500".
check() { awk "BEGIN { exit !($1) }"; }

# Reads numbers, one a line, and prints their median.
median() {
  sort -g | awk '{ a[NR] = $1 } END {
    if (NR == 0) exit 1
    if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# Size of a file in bytes.
fsize() { stat -c %s "$1"; }

# run CMD ARGS...: runs a command with its output appended to $LOG; on
# failure prints the command and the end of its output on stderr.
run() {
  echo "+ $*" >>"$LOG"
  local from
  from=$(wc -l <"$LOG")
  if ! "$@" >>"$LOG" 2>&1; then
    echo "bench: command failed: $*" >&2
    tail -n +"$((from + 1))" "$LOG" | tail -15 >&2
    return 1
  fi
}

# timed CMD ARGS...: as run, and sets TIMED_S (wall seconds), TIMED_KB
# (peak resident set size in KiB, from GNU time's "%M") and TIMED_OUT (the
# command's output).
timed() {
  local t0 t1 rc from
  echo "+ $*" >>"$LOG"
  from=$(wc -l <"$LOG")
  t0=$(now)
  /usr/bin/time -f '%M' -o "$WORK/time.out" "$@" >>"$LOG" 2>&1
  rc=$?
  t1=$(now)
  TIMED_S=$(calc "$t1 - $t0")
  TIMED_KB=$(tail -1 "$WORK/time.out")
  TIMED_OUT=$(tail -n +"$((from + 1))" "$LOG")
  if [ $rc -ne 0 ]; then
    echo "bench: command failed ($rc): $*" >&2
    tail -15 "$LOG" >&2
  fi
  return $rc
}

# record TARGET HEFT PEER RATIO GOAL STATUS: one line of the summary.
record() {
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"
}

# verdict EXPR: prints PASS when awk's EXPR holds, else FAIL.
verdict() { if check "$1"; then echo PASS; else echo FAIL; fi; }

# Prints one result row of a script's table.
row() { printf '%-30s %14s %14s %9s %-22s %s\n' "$@"; }
