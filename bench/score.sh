#!/usr/bin/env bash
# score.sh BUILD_DIR: speed and memory of the importance estimators of
# `heft score` on a generated 1M-row log (issue 3). Prints a table with
# PASS/FAIL per target and ends with "N passed, N failed"; exits 1 if any
# target failed.
#
# Protocol: `heft gen` writes HEFT_BENCH_ROWS training rows (1000000, seed 1)
# and 1,000 validation rows (seed 2); the training log is converted to .hds
# once, an LR model is trained once by `heft train --checkpoints`, and every
# method then scores that model (`--from`, with its epoch checkpoints as the
# trajectory of tracin, selfinf, aum and forget: `--checkpoints`), so
# training time is not counted for the methods that score a given model. Each method runs alone with 2 threads;
# its time is the per-method seconds `heft score` logs on stderr
# ("loss: 1 column in 0.021 s"), not the wall time of the command (which also
# reads the data and writes the scores). "all" is the sum of the method lines
# of one all-methods run; its wall time is shown beside it for reference.
# Peak RSS (/usr/bin/time -v) of the all-methods run must be at most twice
# that of `heft train` alone. A method running past twice its target plus
# 20 s (all: 240 s) is stopped and fails. HEFT_BENCH_SCORE_FM=1 adds the same
# timings for an FM model, as info only (FM influence is slow: about 36 s
# at 20,000 rows, so use it with a small HEFT_BENCH_ROWS).
#
# Generated files go to bench/.work/score and are deleted at the end.
set -u
B=${1:?usage: score.sh BUILD_DIR}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HEFT=$ROOT/$B/heft
[ -x "$HEFT" ] || HEFT=$B/heft
[ -x "$HEFT" ] || { echo "score.sh: no heft binary in $B" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "score.sh: /usr/bin/time is needed" >&2; exit 2; }
ROWS=${HEFT_BENCH_ROWS:-1000000}
THREADS=2
W=$ROOT/bench/.work/score
mkdir -p "$W"
trap 'rm -rf "$W"' EXIT
TR=$W/train.tsv VA=$W/valid.tsv HDS=$W/train.hds
NPASS=0 NFAIL=0

# Fails the whole benchmark with the command's stderr.
die() { echo "score.sh: $*" >&2; exit 1; }

# check 'AWK-EXPR': true when the expression holds.
check() { awk "BEGIN { exit !($1) }"; }

# row METHOD SECONDS TARGET RESULT: one line of the table.
row() { printf '%-22s %12s %14s  %s\n' "$1" "$2" "$3" "$4"; }

# verdict VALUE LIMIT: sets ST to PASS if VALUE <= LIMIT, else FAIL, and
# counts it (not in a subshell, so the counts stay).
verdict() {
  if [ -n "$1" ] && check "$1 <= $2"; then NPASS=$((NPASS + 1)); ST=PASS
  else NFAIL=$((NFAIL + 1)); ST=FAIL; fi
}

# Peak resident set in KiB from a /usr/bin/time -v log.
peak_kb() { sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$1"; }

# Sum of the per-method seconds ("NAME: N column(s) in X s") in a log.
method_secs() {
  awk '/^[a-z0-9_]+: [0-9]+ columns? in [0-9.]+ s$/ { s += $(NF - 1); n++ }
       END { if (n) printf "%.3f", s }' "$1"
}

# score MODEL METHODS LOG LIMIT_S: runs `heft score` on the model under
# /usr/bin/time -v (stderr, with the method lines, into LOG) with a
# wall-clock limit; sets SCORE_WALL to the command's wall seconds.
score() {
  local t0 t1 rc
  t0=$(date +%s.%N)
  timeout "$4" /usr/bin/time -v "$HEFT" score "$HDS" --valid "$VA" \
    --from "$1" --checkpoints "$1.ck" --methods "$2" -o "$W/scores.tsv" \
    --threads "$THREADS" \
    --bags 32 --folds 5 --knn-approx 1000 >/dev/null 2>"$3"
  rc=$?
  t1=$(date +%s.%N)
  SCORE_WALL=$(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }")
  return $rc
}

# bench_model MODEL_FILE GRADED: one line per method and one for all.
bench_model() {
  local model=$1 graded=$2 spec m lim s log
  for spec in loss:2 margin:2 el2n:2 grand:2 tracin:2 influence:2 \
              oob:30 cl:15 knn:60; do
    m=${spec%%:*} lim=${spec##*:} log=$W/$m.log
    if score "$model" "$m" "$log" $((lim * 2 + 20)); then
      s=$(method_secs "$log")
    else
      s=""
      echo "   $m failed or ran past $((lim * 2 + 20)) s:" \
        "$(grep -v '^[[:space:]]' "$log" | tail -1)"
    fi
    if [ "$graded" = 1 ]; then verdict "$s" "$lim"; else ST=info; fi
    row "$m" "${s:-none}" "<= $lim s" "$ST"
  done
  log=$W/all.log
  if score "$model" all "$log" 240; then s=$(method_secs "$log")
  else s=""; echo "   all failed: $(grep -v '^[[:space:]]' "$log" | tail -1)"; fi
  if [ "$graded" = 1 ]; then verdict "$s" 120; else ST=info; fi
  row "all (sum of methods)" "${s:-none}" "<= 120 s" "$ST"
  row "all (whole command)" "$SCORE_WALL" "(wall, info)" ""
  ALL_KB=$(peak_kb "$log")
}

# ---- data and the model, made once ----------------------------------------
echo "== score: $ROWS generated train rows (seed 1), 1000 valid rows (seed 2)"
"$HEFT" -q gen --rows "$ROWS" --seed 1 -o "$TR" 2>"$W/gen.log" ||
  die "gen: $(cat "$W/gen.log")"
"$HEFT" -q gen --rows 1000 --seed 2 -o "$VA" 2>"$W/gen.log" ||
  die "gen: $(cat "$W/gen.log")"
"$HEFT" convert "$TR" --format tsv --label click --threads "$THREADS" \
  -o "$HDS" >/dev/null 2>"$W/convert.log" || die "convert: $(cat "$W/convert.log")"
rm -f "$TR"
/usr/bin/time -v "$HEFT" train "$HDS" --model lr --threads "$THREADS" \
  --checkpoints "$W/lr.model.ck" -o "$W/lr.model" >"$W/train.out" 2>"$W/train.log" ||
  die "train: $(tail -3 "$W/train.log")"
TRAIN_KB=$(peak_kb "$W/train.log")
echo "   $(cat "$W/train.out")"
echo
row method seconds target result

bench_model "$W/lr.model" 1
ratio=$(awk "BEGIN { printf \"%.2f\", $ALL_KB / $TRAIN_KB }")
verdict "$ratio" 2
row "peak RSS all / train" "$ratio" "<= 2" "$ST"
row "  (MiB all, train)" "$((ALL_KB / 1024)), $((TRAIN_KB / 1024))" "" ""

if [ "${HEFT_BENCH_SCORE_FM:-0}" = 1 ]; then
  echo
  "$HEFT" train "$HDS" --model fm --threads "$THREADS" --checkpoints "$W/fm.model.ck" -o "$W/fm.model" \
    >"$W/train.out" 2>"$W/train.log" || die "train fm: $(tail -3 "$W/train.log")"
  echo "   FM: $(cat "$W/train.out")"
  bench_model "$W/fm.model" 0
fi

echo
echo "$NPASS passed, $NFAIL failed"
[ "$NFAIL" = 0 ]
