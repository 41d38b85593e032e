#!/usr/bin/env bash
# bench/tasks.sh [BUILD_DIR] [--quick]: the targets of the benchmark tasks
# (issue 4; docs/bench-tasks.md), each printed as PASS or FAIL:
#
#   1. noise recovery: on criteo-subset, frappe and tmall-repeat-buyer with
#      10% of the training labels flipped, retraining after dropping the
#      rows a method flags recovers at least half of the test AUC lost to
#      the noise: (AUC_dropped - AUC_noisy) / (AUC_clean - AUC_noisy) >= 0.5,
#      means over seeds 0, 1, 2. Shown for cl_ok (heft's own flags: the rows
#      confident learning marks) and for the best method; the verdict is
#      the best method's.
#   2. pruning frontier: on the clean data of those sets, some method's
#      smallest kept fraction within 0.1% relative AUC of the full data is
#      smaller than random selection's and than negative downsampling's,
#      and at that fraction its AUC minus random's has a 95% paired
#      bootstrap interval above 0.
#   3. speed: `heft bench prune` on a 1M-row `heft gen` log (100k test
#      rows), method loss (curves loss, loss:low, loss:neg, random,
#      negatives), one seed, 2 threads, in at most 180 seconds of wall time
#      (reading, scoring, the retrainings and the bootstrap included).
#
# Data (../shared/data, PROVENANCE.md; a missing set is skipped):
#   criteo  train.csv 7,200 rows; validation dev.csv (409); test test.csv
#           (391)
#   frappe  frappe.validation.libfm (57,722; 10% split off as validation,
#           split seed 1); test frappe.test.libfm (28,860)
#   tmall   80% of train_format1.csv (heft split --seed 42; 10% of it split
#           off as validation); test the other 20% (52,172)
# --quick: seed 0 only. The JSON documents go to $WORK/tasks/ (bench/.work
# unless HEFT_BENCH_WORK is set), with report.html built from them; each
# verdict is also recorded in $WORK/results.tsv. Exit status 0 when every
# target passed.
B=${1:-build}
QUICK=0
[ "${2:-}" = --quick ] && QUICK=1
[ "${1:-}" = --quick ] && { B=build; QUICK=1; }
cd "$(dirname "$0")/.." || exit 1
source bench/lib.sh
[ -x "$HEFT" ] || { echo "tasks: $HEFT missing; run make first" >&2; exit 1; }
TW=$WORK/tasks
mkdir -p "$TW"
SEEDS=0,1,2
[ "$QUICK" = 1 ] && SEEDS=0
NOISE_METHODS=loss,aum,cl,oob,knn
PRUNE_METHODS=loss,oob,knn
COMMON=(--seeds "$SEEDS" --threads "$THREADS" --quiet --json --bags 16 --knn-approx 1000)
ok=1

# bench_to FILE ARGS...: heft bench ARGS with the JSON into FILE.
bench_to() {
  local out=$1
  shift
  echo "+ heft bench $* > $out" >>"$LOG"
  if ! "$HEFT" bench "$@" >"$out.tmp" 2>>"$LOG"; then
    echo "tasks: heft bench $* failed" >&2
    tail -5 "$LOG" >&2
    rm -f "$out.tmp"
    return 1
  fi
  mv "$out.tmp" "$out"
}

# The data sets: NAME TRAIN TEST [flags]; tmall is split first.
tmall_split() {
  local csv=$DATA/tmall-repeat-buyer/train_format1.csv
  [ -e "$csv" ] || return 0
  [ -e "$TW/tmall.train.hds" ] && return 0
  run "$HEFT" split "$csv" --format csv --label label \
    --cat user_id,merchant_id --test 0.2 --seed 42 -o "$TW/tmall" --quiet
}
tmall_split || ok=0
SETS=(
  "criteo|$DATA/criteo-subset/train.csv|$DATA/criteo-subset/test.csv|--valid $DATA/criteo-subset/dev.csv"
  "frappe|$DATA/frappe/frappe.validation.libfm|$DATA/frappe/frappe.test.libfm|"
  "tmall|$TW/tmall.train.hds|$TW/tmall.test.hds|"
)

t0=$(now)
for s in "${SETS[@]}"; do
  IFS='|' read -r name train test extra <<<"$s"
  if [ ! -e "$train" ] || [ ! -e "$test" ]; then
    echo "tasks: $name: data missing, skipped"
    record "tasks $name" - - - "data present" SKIP
    continue
  fi
  echo "== $name: noise (10% flips) and prune (clean), seeds $SEEDS"
  # shellcheck disable=SC2086  # extra holds flags
  bench_to "$TW/bench-noise-$name.json" noise "$train" --test "$test" \
    $extra --methods "$NOISE_METHODS" --flip 0.1 --decompose "${COMMON[@]}" || ok=0
  # shellcheck disable=SC2086
  bench_to "$TW/bench-prune-$name.json" prune "$train" --test "$test" \
    $extra --methods "$PRUNE_METHODS" "${COMMON[@]}" || ok=0
done

# Target 3: 1M-row generated log.
echo "== 1M-row heft gen log: bench prune --methods loss --seeds 0 --threads 2"
if [ ! -e "$TW/g1m.tsv" ]; then
  run "$HEFT" gen -o "$TW/g1m.tsv" --rows 1000000 --seed 1 --quiet || ok=0
  run "$HEFT" gen -o "$TW/g1m-test.tsv" --rows 100000 --seed 2 --quiet || ok=0
fi
GEN=(--format tsv --label click --group query_id)
if timed "$HEFT" bench prune "$TW/g1m.tsv" "${GEN[@]}" --test "$TW/g1m-test.tsv" \
  --methods loss --seeds 0 --threads 2 --quiet --json; then
  printf '%s\n' "$TIMED_OUT" | grep '^{' >"$TW/bench-prune-g1m.json"
  echo "$TIMED_S" >"$TW/g1m.seconds"
else
  ok=0
fi
echo "$TIMED_KB" >"$TW/g1m.kb"

echo
echo "== benchmark tasks ($(calc "$(now) - $t0") s; seeds $SEEDS)"
"$PY" - "$TW" "$RESULTS" <<'PY' || ok=0
import json, os, sys
tw, results = sys.argv[1], sys.argv[2]
rec = open(results, "a")
fail = 0
def verdict(target, value, goal, good, detail=""):
    global fail
    fail += not good
    status = "PASS" if good else "FAIL"
    print("%-34s %-44s %-26s %s" % (target, value, goal, status))
    if detail:
        print("    " + detail)
    rec.write("tasks %s\t%s\t-\t-\t%s\t%s\n" % (target, value, goal, status))
def num(x):
    return float("nan") if x is None else x
print("%-34s %-44s %-26s %s" % ("target", "heft", "goal", "result"))
for name in ("criteo", "frappe", "tmall"):
    p = os.path.join(tw, "bench-noise-%s.json" % name)
    if not os.path.exists(p):
        continue
    d = json.load(open(p))
    lost = d["test_auc_clean"] - d["test_auc_noisy"]
    rows = sorted(((num(v.get("recovered")), k) for k, v in d["methods"].items()),
                  reverse=True)
    best = rows[0]
    cl = d["methods"].get("cl_ok", {}).get("recovered")
    bm = d["methods"][best[1]]
    verdict("noise %s recovered" % name,
            "%.2f (%s); cl_ok %.2f" % (best[0], best[1], num(cl)),
            ">= 0.5 of the AUC lost", best[0] >= 0.5,
            "test AUC noisy %.4f, clean %.4f (lost %.4f), after dropping "
            "%s's flags %.4f, %d random rows %.4f; of its flags, the "
            "planted ones alone recover %.2f, the clean ones alone %.2f" % (
                d["test_auc_noisy"], d["test_auc_clean"], lost, best[1],
                bm["test_auc"], d["k"], d["random"]["test_auc"],
                num(bm.get("recovered_true_flags")),
                num(bm.get("recovered_false_flags"))))
for name in ("criteo", "frappe", "tmall"):
    p = os.path.join(tw, "bench-prune-%s.json" % name)
    if not os.path.exists(p):
        continue
    d = json.load(open(p))
    sf = d["smallest_fraction"]
    big = lambda x: 2.0 if x is None else x
    r, n = big(sf["random"]), big(sf["negatives"])
    good = []
    for m, f in d["frontier"].items():
        if f["fraction"] is None:
            continue
        lo = num(f["diff_vs_random_ci"][0])
        if f["fraction"] < r and f["fraction"] < n and lo > 0:
            good.append((f["fraction"], m, f["diff_vs_random_ci"],
                         f["diff_vs_negatives_ci"]))
    best = min(((big(x), k) for k, x in sf.items()
                if k not in ("random", "negatives")), default=(2.0, "-"))
    show = lambda x: "none" if x >= 2 else "%.1f" % x
    value = "%s (%s); random %s, neg. %s" % (show(best[0]), best[1], show(r), show(n))
    detail = ""
    if good:
        g = min(good)
        detail = "%s at %.1f: AUC - random in [%.4f, %.4f], - negatives in [%.4f, %.4f]" % (
            g[1], g[0], g[2][0], g[2][1], num(g[3][0]), num(g[3][1]))
    verdict("prune %s frontier" % name, value,
            "< random, < neg., CI > 0", bool(good), detail)
p = os.path.join(tw, "g1m.seconds")
if os.path.exists(p):
    secs = float(open(p).read())
    kb = open(os.path.join(tw, "g1m.kb")).read().strip()
    verdict("prune 1M rows wall time", "%.1f s (peak RSS %s MB)" % (
        secs, "%.0f" % (float(kb) / 1024) if kb else "?"), "<= 180 s",
        secs <= 180)
sys.exit(1 if fail else 0)
PY
[ "${HEFT_BENCH_KEEP:-0}" = 1 ] || rm -f "$TW/g1m.tsv" "$TW/g1m-test.tsv"
# The report of every document written here.
run "$HEFT" report "$TW" -o "$TW/report.html" --quiet ||
  echo "tasks: heft report failed (see $LOG)"
[ "$ok" = 1 ]
