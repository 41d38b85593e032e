#!/usr/bin/env bash
# accuracy.sh BUILD_DIR: test AUC of heft's LR and FM on the real data sets
# in ../shared/data against scikit-learn's LogisticRegression trained on the
# very same hashed features (exported by export_svm). Prints the table of
# docs/benchmarks.md ("Accuracy") with PASS/FAIL per data set, and adds the
# results to $WORK/results.tsv. A data set that is absent is skipped with a
# message. The table is also written as Markdown to $WORK/accuracy.md.
#
# Targets: heft LR AUC >= sklearn LR AUC - 0.005 on every set, and heft FM
# AUC >= heft LR AUC on frappe. heft runs with its defaults (no tuning);
# sklearn's C is tuned on a validation part of the training set (peers.py).
B=${1:?usage: accuracy.sh BUILD_DIR}
source "$(dirname "$0")/lib.sh"

D=$WORK/accuracy
mkdir -p "$D"

# prepare NAME: sets TRAIN, TEST and FLAGS (the data-reading flags) for data
# set NAME, splitting 80/20 (random, seed 42) where the set has no test
# file. Returns 1 when the data is absent.
prepare() {
  local src
  case $1 in
  criteo)
    TRAIN=$DATA/criteo-subset/train.csv TEST=$DATA/criteo-subset/test.csv
    FLAGS=(--format criteo) ;;
  frappe)
    TRAIN=$DATA/frappe/frappe.validation.libfm TEST=$DATA/frappe/frappe.test.libfm
    FLAGS=(--format libfm) ;;
  avazu)
    src=$DATA/avazu-subset/train.csv FLAGS=(--format avazu) ;;
  tmall)
    src=$DATA/tmall-repeat-buyer/train_format1.csv
    # shellcheck disable=SC2054  # the comma is part of the value
    FLAGS=(--format csv --label label --cat user_id,merchant_id) ;;
  esac
  if [ -n "${src:-}" ]; then
    [ -f "$src" ] || { MISSING=$src; return 1; }
    run "$HEFT" split "$src" "${FLAGS[@]}" --by random --test 0.2 --seed 42 \
      -o "$D/$1" || return 2
    # The parts are .hds files, which carry their schema and hashed features.
    TRAIN=$D/$1.train.hds TEST=$D/$1.test.hds FLAGS=()
  fi
  [ -f "$TRAIN" ] && [ -f "$TEST" ] || { MISSING="$TRAIN or $TEST"; return 1; }
}

# heft_auc NAME MODEL: trains heft's MODEL (lr|fm) with its defaults on
# TRAIN, predicts TEST and prints the test AUC.
heft_auc() {
  run "$HEFT" train "$TRAIN" "${FLAGS[@]}" --model "$2" --threads "$THREADS" \
    -o "$D/$1.$2.model" &&
    run "$HEFT" predict "$D/$1.$2.model" "$TEST" "${PFLAGS[@]}" \
      -o "$D/$1.$2.pred" &&
    "$PY" "$ROOT/bench/peers.py" auc "$D/$1.test.svm" "$D/$1.$2.pred"
}

# json KEY: a field of the JSON object on stdin.
json() { "$PY" -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

# The same table in Markdown, for the README and docs/benchmarks.md.
MD=$WORK/accuracy.md
{
  echo "| Data set | Rows (train / test) | heft LR AUC | heft FM AUC | scikit-learn LR AUC (C) | LR - sklearn | Result |"
  echo "|---|---|---|---|---|---|---|"
} >"$MD"

echo "== accuracy: heft (defaults) vs scikit-learn LogisticRegression, test AUC"
printf '%-8s %15s %10s %10s %15s %9s %s\n' "data" "rows train/test" \
  "heft LR" "heft FM" "sklearn LR (C)" "LR diff" "result"
for name in criteo frappe avazu tmall; do
  prepare $name
  rc=$?
  if [ $rc -eq 1 ]; then
    echo "$name: skipped, data not found ($MISSING)"
    echo "| $name | - | - | - | - | - | skipped (no data) |" >>"$MD"
    record "accuracy $name" "-" "-" "-" "-" "SKIP"
    continue
  fi
  PFLAGS=()
  [ "${TEST%.hds}" != "$TEST" ] && PFLAGS=(--format hds)
  [ $rc -eq 0 ] || { record "accuracy $name" "-" "-" "-" "-" "FAIL"; continue; }
  # The hashed features, for scikit-learn; the test set is read with the
  # training set's resolved options, as heft predict reads it.
  if ! run "$BIN/export_svm" "${FLAGS[@]}" "$TRAIN" "$D/$name.train.svm" \
    "$TEST" "$D/$name.test.svm"; then
    record "accuracy $name" "-" "-" "-" "-" "FAIL"; continue
  fi
  lr=$(heft_auc $name lr) && fm=$(heft_auc $name fm) &&
    sk=$("$PY" "$ROOT/bench/peers.py" lr "$D/$name.train.svm" \
      "$D/$name.test.svm") || {
    record "accuracy $name" "-" "-" "-" "-" "FAIL"; continue; }
  echo "   $name sklearn: $sk" >>"$LOG"
  sk_auc=$(json test_auc <<<"$sk") sk_c=$(json C <<<"$sk")
  rows="$(wc -l <"$D/$name.train.svm")/$(wc -l <"$D/$name.test.svm")"
  lr=$(fmt 4 "$lr") fm=$(fmt 4 "$fm") sk_auc=$(fmt 4 "$sk_auc")
  diff=$(fmt 4 "$lr - $sk_auc")
  st=$(verdict "$diff >= -0.005")
  if [ $name = frappe ] && ! check "$fm >= $lr"; then
    st="FAIL (FM < LR)"
  fi
  printf '%-8s %15s %10.4f %10.4f %10.4f (%s) %+9.4f %s\n' $name "$rows" \
    "$lr" "$fm" "$sk_auc" "$sk_c" "$diff" "$st"
  printf '| %s | %s / %s | %s | %s | %s (%s) | %+.4f | %s |\n' $name \
    "${rows%/*}" "${rows#*/}" "$lr" "$fm" "$sk_auc" "$sk_c" "$diff" "$st" >>"$MD"
  goal=">= sklearn - 0.005"
  [ $name = frappe ] && goal="$goal; FM >= LR"
  record "accuracy $name: LR AUC (FM $fm)" "$lr" "$sk_auc sklearn" \
    "$diff (diff)" "$goal" "${st%% *}"
done
