#!/usr/bin/env bash
# tests/cli/run.sh BUILD_DIR: the CLI tests (zstd cli-tests style).
#
# Runs every case in a fresh temporary directory against BUILD_DIR/heft and
# prints "N passed, M failed, K skipped" last. Stable outputs (help texts, error
# messages with file:line:col, `heft info` of a tiny fixture, the keys of
# `eval --json`) are pinned by tests/cli/expected/NAME.out; after an
# intended change, rewrite them with HEFT_UPDATE_EXPECTED=1 and review the
# diff. Run some cases only: tests/cli/run.sh build case_version case_split.
set -u
B=$(cd "${1:-build}" && pwd) || exit 2
shift
HEFT="$B/heft"
HERE=$(cd "$(dirname "$0")" && pwd)
EXP="$HERE/expected"
FIX="$HERE/fixtures"
UPDATE=${HEFT_UPDATE_EXPECTED:-0}
T=$(mktemp -d "${TMPDIR:-/tmp}/heft-cli-XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2
# Sanitizer builds should fail loudly but not leak-check a CLI that exits.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

pass=0 fail=0
# The commands `heft help` lists (every one gets the help checks below).
COMMANDS=$("$HEFT" help | awk '/^Commands:/ { on = 1; next } on && NF == 0 { exit } on { print $1 }')

# say MSG: a failure detail (the case then returns 1).
say() { echo "  $*"; }

# run NAME RC CMD...: runs CMD with stdout in NAME.out and stderr in
# NAME.err; fails unless it exits with RC.
run() {
  local name=$1 want=$2
  shift 2
  "$@" >"$name.out" 2>"$name.err"
  local rc=$?
  if [ "$rc" -ne "$want" ]; then
    say "$name: '$*' exited $rc, expected $want"
    sed 's/^/    | /' "$name.err" | head -8
    return 1
  fi
}

# expect NAME FILE: FILE must equal expected/NAME.out.
expect() {
  local name=$1 file=$2
  if [ "$UPDATE" = 1 ]; then
    mkdir -p "$EXP" && cp "$file" "$EXP/$name.out"
    return 0
  fi
  if [ ! -f "$EXP/$name.out" ]; then
    say "missing expected/$name.out (HEFT_UPDATE_EXPECTED=1 writes it)"
    return 1
  fi
  if ! diff -u "$EXP/$name.out" "$file" >"$name.diff"; then
    say "$name differs from expected/$name.out:"
    sed 's/^/    /' "$name.diff" | head -20
    return 1
  fi
}

# no_leftovers PATTERN...: no file matching may exist (temporaries too).
no_leftovers() {
  local f
  for f in "$@"; do
    if [ -e "$f" ]; then say "left behind: $f"; return 1; fi
  done
  if ls ./*.tmp.* >/dev/null 2>&1; then
    say "temporary files left behind: $(ls ./*.tmp.*)"
    return 1
  fi
}

# num_ge A B: true if the number A >= B.
num_ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }
# near A B TOL: |A - B| <= TOL.
near() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; }
# json_get FILE KEY: a numeric value of "KEY": in one-line JSON.
json_get() { sed -n "s/.*\"$2\":\([^,}]*\).*/\1/p" "$1"; }

# ---- fixtures -------------------------------------------------------------

tiny_tsv() {
  printf 'click\tquery_id\tprice\tcolor\ttags\n'
  printf '1\tq1\t3.5\tred\ta|b\n'
  printf '0\tq1\t10\tblue\tb\n'
  printf '0\tq2\t0\tred\ta|c\n'
  printf '1\tq2\t7.25\tgreen\tc\n'
  printf '0\tq3\t1\tblue\ta\n'
}
TINY_FLAGS="--format tsv --label click --group query_id --num price --cat color --multi tags:|"

ragged_tsv() {
  printf 'click\tquery_id\tcolor\n'
  printf '1\tq1\tred\n'
  printf '0\tq1\n'
  printf '1\tq2\tblue\n'
}

GEN_FLAGS="--format tsv --label click --group query_id"

# The generated log and LR model the roundtrip cases share: made once in
# $T/shared and linked into the case's own directory.
S="$T/shared"
mkdir -p "$S"
gen_log() {
  if [ ! -f "$S/g.tsv" ]; then
    (cd "$S" && run gen 0 "$HEFT" gen -o g.tsv --rows 5000 --seed 3 --truth g.truth) || return 1
  fi
  ln -sf "$S/g.tsv" g.tsv && ln -sf "$S/g.truth" g.truth
}
lr_model() {
  gen_log || return 1
  if [ ! -f "$S/m.heft" ]; then
    (cd "$S" && run train 0 "$HEFT" train g.tsv $GEN_FLAGS --model lr -o m.heft) || return 1
  fi
  ln -sf "$S/m.heft" m.heft
}

# ---- cases ----------------------------------------------------------------

case_version() {
  run version 0 "$HEFT" --version || return 1
  [ "$(head -1 version.out)" = "heft 0.1.0" ] || { say "first line: $(head -1 version.out)"; return 1; }
  grep -Eq '^gzip input: (yes|no)$' version.out || { say "no gzip line"; return 1; }
  grep -Eq '^zstd input: (yes|no)$' version.out || { say "no zstd line"; return 1; }
}

case_overview() {
  run help 0 "$HEFT" help || return 1
  expect help help.out || return 1
  run help2 0 "$HEFT" --help || return 1
  cmp -s help.out help2.out || { say "--help differs from help"; return 1; }
  run noargs 2 "$HEFT" || return 1
  local c
  for c in $COMMANDS; do
    grep -q "^  $c " help.out || { say "overview lacks $c"; return 1; }
  done
}

# The options the CLI must accept, per command (from the issue), checked
# against the help text independently of the option tables.
READ_OPTS="--format --hash-bits --num-transform --no-num-buckets --label --weight --weight-file --group --time --position --num --cat --multi --ignore --max-bad-rows --threads"
TRAIN_OPTS="--epochs --lr --l1 --l2 --batch --factors --embed-dim --hidden --optim --patience --no-shuffle"
METHOD_OPTS="--bags --folds --knn-k --knn-approx --el2n-runs --el2n-epochs --damping --cg-iters --cg-tol --group-samples"
opts_of() {
  case $1 in
    train) echo "--valid --model --output --epochs --lr --l1 --l2 --batch --factors --embed-dim --hidden --optim --patience --seed --checkpoints --no-shuffle $READ_OPTS" ;;
    predict) echo "--output $READ_OPTS" ;;
    eval) echo "--pred --ci --bootstrap --threshold --ndcg-k --json $READ_OPTS" ;;
    convert) echo "--output $READ_OPTS" ;;
    info) echo "$READ_OPTS" ;;
    split) echo "--by --test --valid --seed --output --text $READ_OPTS" ;;
    score) echo "--output --methods --valid --model --from --checkpoints --json --seed --probs --embeddings --valid-embeddings $METHOD_OPTS $TRAIN_OPTS $READ_OPTS" ;;
    bench) echo "--methods --flip --seeds --valid --valid-frac --test --model --json --dump-dir $METHOD_OPTS $TRAIN_OPTS $READ_OPTS" ;;
    select) echo "--output --scores --method --keep --drop --threshold --sample --importance --negatives --stratify --drop-flagged --reweight --seed $READ_OPTS" ;;
    audit) echo "--model --pred --target-width --segment --make-test --output --seed --json --report $READ_OPTS" ;;
    features) echo "--model --valid --methods --sort --repeats --seed --output --json --report $TRAIN_OPTS $READ_OPTS" ;;
    gen) echo "--output --rows --seed --flip --bots --dups --truth --format --users --items --queries" ;;
    demo) echo "--rows --dir --keep" ;;
    help) echo "" ;;
  esac
}

case_help_every_command() {
  local c o
  for c in $COMMANDS; do
    run "help-$c" 0 "$HEFT" help "$c" || return 1
    expect "help-$c" "help-$c.out" || return 1
    run "dash-$c" 0 "$HEFT" "$c" --help || return 1
    cmp -s "help-$c.out" "dash-$c.out" || { say "$c --help differs from help $c"; return 1; }
    local listed
    listed=" $(grep -Eo '^  (-., |    )--[a-z0-9-]+' "help-$c.out" | sed 's/.*--/--/' | tr '\n' ' ')"
    for o in $(opts_of "$c") --quiet --help; do
      case $listed in *" $o "*) ;; *) say "help $c lacks $o"; return 1 ;; esac
    done
    # Every option entry (its first line and the indented lines after it)
    # ends with its default, or says that it is required.
    local bad
    bad=$(awk '
      function check() { if (e != "" && e !~ /\((default: .*|required)\)$/) print e; e = "" }
      /^  (-., |    )--/ { check(); e = $0; next }
      length($0) > 32 && substr($0, 1, 32) ~ /^ *$/ && e != "" { e = e " " substr($0, 33); next }
      { check() }
      END { check() }' "help-$c.out")
    [ -z "$bad" ] || { say "help $c: option without a default: $bad"; return 1; }
  done
}

case_unknown_command() {
  run unkcmd 2 "$HEFT" frobnicate || return 1
  expect unknown-command unkcmd.err
}

case_unknown_option() {
  tiny_tsv >tiny.tsv
  run unkopt 2 "$HEFT" info tiny.tsv --frobnicate || return 1
  expect unknown-option unkopt.err
}

case_missing_argument() {
  run miss1 2 "$HEFT" train || return 1
  expect missing-argument miss1.err || return 1
  tiny_tsv >tiny.tsv
  run miss2 2 "$HEFT" train tiny.tsv $TINY_FLAGS || return 1
  expect missing-output miss2.err || return 1
  run miss3 2 "$HEFT" train tiny.tsv -o m.heft --epochs || return 1
  expect missing-value miss3.err || return 1
  no_leftovers m.heft
}

case_bad_values() {
  tiny_tsv >tiny.tsv
  run badmodel 2 "$HEFT" train tiny.tsv $TINY_FLAGS --model xyz -o m.heft || return 1
  expect bad-model badmodel.err || return 1
  run badbits 2 "$HEFT" info tiny.tsv --hash-bits 40 || return 1
  expect bad-hash-bits badbits.err || return 1
  run badepochs 2 "$HEFT" train tiny.tsv $TINY_FLAGS --epochs 2x -o m.heft || return 1
  run badhidden 2 "$HEFT" train tiny.tsv $TINY_FLAGS --hidden 64,,32 -o m.heft || return 1
  run badtest 2 "$HEFT" split tiny.tsv $TINY_FLAGS --test 1.5 -o sp || return 1
  run badsum 2 "$HEFT" split tiny.tsv $TINY_FLAGS --test 0.6 --valid 0.5 -o sp || return 1
  run badfmt 2 "$HEFT" info tiny.tsv --format xml || return 1
  run badhelp 2 "$HEFT" help frobnicate || return 1
  no_leftovers m.heft sp.train.hds sp.test.hds
}

case_missing_file() {
  run nofile 1 "$HEFT" info nosuch.tsv --format tsv --label click || return 1
  grep -q '^heft: nosuch.tsv' nofile.err || { say "message lacks the file name: $(cat nofile.err)"; return 1; }
  run nofile2 1 "$HEFT" convert nosuch.tsv --format tsv --label click -o out.hds || return 1
  no_leftovers out.hds
}

# Data hashed or laid out differently from the model is refused, naming
# the file, instead of giving confident nonsense.
case_eval_schema_mismatch() {
  lr_model || return 1
  run conv12 0 "$HEFT" convert g.tsv $GEN_FLAGS --hash-bits 12 -o h12.hds || return 1
  run mism 1 "$HEFT" eval m.heft h12.hds || return 1
  grep -q '^heft: h12.hds: the data is hashed into 2^12 buckets but the model into 2^20' mism.err ||
    { say "unexpected message: $(cat mism.err)"; return 1; }
  run mism2 1 "$HEFT" predict m.heft h12.hds -o p.txt || return 1
  no_leftovers p.txt
}

# --by group/time without the column is a usage error naming file and flag.
case_split_missing_column() {
  gen_log || return 1
  run nogrp 2 "$HEFT" split g.tsv --by group -o parts || return 1
  grep -q '^heft: split: g.tsv: --by group needs a group column (--group COL)' nogrp.err ||
    { say "unexpected message: $(cat nogrp.err)"; return 1; }
  run notime 2 "$HEFT" split g.tsv --by time -o parts || return 1
  no_leftovers parts.train.hds parts.test.hds
}

# Compressed input and stdin read like the plain file; a truncated stream
# fails with exit 1 and leaves nothing behind. (With a build that lacks a
# codec the compressed half checks the clear error instead.)
case_compressed_and_stdin() {
  gen_log || return 1
  run plain 0 "$HEFT" info g.tsv $GEN_FLAGS || return 1
  grep -E '^(rows|nnz) ' plain.out >plain.rows
  run stdin 0 sh -c "'$HEFT' info - $GEN_FLAGS <g.tsv" || return 1
  grep -E '^(rows|nnz) ' stdin.out | cmp -s - plain.rows || { say "stdin differs: $(cat stdin.out)"; return 1; }
  local z
  for z in gzip zstd; do
    command -v "$z" >/dev/null || { say "$z is not installed (.ci/run installs it)"; return 1; }
    "$z" -c <g.tsv >g.tsv.$z || return 1
    if "$HEFT" --version | grep -q "^$z input: yes"; then
      run "un$z" 0 "$HEFT" info g.tsv.$z $GEN_FLAGS || return 1
      grep -E '^(rows|nnz) ' "un$z.out" | cmp -s - plain.rows || { say "$z input differs"; return 1; }
      head -c 20000 g.tsv.$z >cut.$z
      run "cut$z" 1 "$HEFT" convert cut.$z $GEN_FLAGS -o cut.hds || return 1
      grep -q 'truncated' "cut$z.err" || { say "no 'truncated' in: $(cat cut$z.err)"; return 1; }
      no_leftovers cut.hds || return 1
    else
      run "no$z" 1 "$HEFT" info g.tsv.$z $GEN_FLAGS || return 1
    fi
  done
}

# Flags that would change features or columns are refused on an .hds file
# (its features were built by convert) instead of being ignored.
case_hds_refuses_schema_flags() {
  gen_log || return 1
  run conv 0 "$HEFT" convert g.tsv $GEN_FLAGS -o g.hds || return 1
  run hb 2 "$HEFT" train g.hds --hash-bits 18 -o x.heft || return 1
  grep -q '^heft: train: g.hds: --hash-bits cannot change an .hds file' hb.err ||
    { say "unexpected message: $(cat hb.err)"; return 1; }
  no_leftovers x.heft || return 1
  run grp 2 "$HEFT" info g.hds --group query_id || return 1
  run ok 0 "$HEFT" info g.hds --threads 1 || return 1
}

case_empty_file() {
  : >empty.tsv
  run empty 1 "$HEFT" info empty.tsv --format tsv --label click || return 1
  expect empty-file empty.err || return 1
  run empty2 1 "$HEFT" convert empty.tsv --format tsv --label click -o out.hds || return 1
  no_leftovers out.hds
}

case_ragged_row() {
  ragged_tsv >ragged.tsv
  run ragged 1 "$HEFT" info ragged.tsv --format tsv --label click || return 1
  expect ragged-row ragged.err || return 1
  grep -q '^heft: ragged.tsv:3:[0-9]*: ' ragged.err || { say "no file:line:col"; return 1; }
}

case_no_clobber_on_failure() {
  ragged_tsv >ragged.tsv
  echo old >keep.hds
  run clob1 1 "$HEFT" convert ragged.tsv --format tsv --label click -o keep.hds || return 1
  [ "$(cat keep.hds)" = old ] || { say "convert clobbered keep.hds"; return 1; }
  echo old >keep.heft
  run clob2 1 "$HEFT" train ragged.tsv --format tsv --label click -o keep.heft || return 1
  [ "$(cat keep.heft)" = old ] || { say "train clobbered keep.heft"; return 1; }
  no_leftovers
}

case_bad_rows_skipped() {
  ragged_tsv >ragged.tsv
  run skip 0 "$HEFT" info ragged.tsv --format tsv --label click --max-bad-rows 1 || return 1
  grep -q '^rows *2$' skip.out || { say "expected 2 rows: $(cat skip.out)"; return 1; }
  expect bad-rows-skipped skip.err || return 1
  run skipq 0 "$HEFT" info ragged.tsv --format tsv --label click --max-bad-rows 1 --quiet || return 1
  [ ! -s skipq.err ] || { say "--quiet still printed: $(cat skipq.err)"; return 1; }
}

case_info_tiny() {
  tiny_tsv >tiny.tsv
  run info 0 "$HEFT" info tiny.tsv $TINY_FLAGS || return 1
  expect info-tiny info.out
}

case_convert_info() {
  tiny_tsv >tiny.tsv
  run conv 0 "$HEFT" convert tiny.tsv $TINY_FLAGS -o tiny.hds || return 1
  [ -s tiny.hds ] || { say "no tiny.hds"; return 1; }
  run info1 0 "$HEFT" info tiny.tsv $TINY_FLAGS || return 1
  run info2 0 "$HEFT" info tiny.hds || return 1
  # The same rows, features, fields and names: only the file line differs.
  grep -v '^file' info1.out >a.txt
  grep -v '^file' info2.out >b.txt
  diff -u a.txt b.txt >ab.diff || { say "info differs after convert:"; cat ab.diff; return 1; }
  expect info-tiny-hds info2.out
}

case_gen() {
  gen_log || return 1
  local lines
  lines=$(wc -l <g.tsv)
  [ "$lines" -eq 5001 ] || { say "g.tsv has $lines lines, expected 5001"; return 1; }
  head -1 g.tsv | tr '\t' '\n' | grep -qx click || { say "no click column"; return 1; }
  head -1 g.tsv | tr '\t' '\n' | grep -qx query_id || { say "no query_id column"; return 1; }
  run gen2 0 "$HEFT" gen -o g2.tsv --rows 5000 --seed 3 || return 1
  cmp -s g.tsv g2.tsv || { say "same seed, different log"; return 1; }
  run gen3 0 "$HEFT" gen -o g3.tsv --rows 2000 --seed 3 --flip 0.1 --truth g3.truth || return 1
  local flips
  flips=$(grep -c 'flip$' g3.truth)
  [ "$flips" -ge 100 ] && [ "$flips" -le 300 ] || { say "$flips flipped rows of 2000 at 0.1"; return 1; }
  run gen4 0 "$HEFT" gen -o g4.txt --rows 100 --format criteo || return 1
  [ "$(head -1 g4.txt | awk -F'\t' '{print NF}')" -eq 40 ] || { say "criteo rows need 40 fields"; return 1; }
}

case_train_predict_eval() {
  gen_log || return 1
  run train 0 "$HEFT" train g.tsv $GEN_FLAGS --model lr -o m.heft || return 1
  grep -q '^trained lr: 5000 rows' train.out || { say "summary: $(cat train.out)"; return 1; }
  [ -s m.heft ] || { say "no model file"; return 1; }
  run pred 0 "$HEFT" predict m.heft g.tsv -o p.txt || return 1
  [ "$(wc -l <p.txt)" -eq 5000 ] || { say "p.txt has $(wc -l <p.txt) lines"; return 1; }
  awk '!($1 >= 0 && $1 <= 1) { exit 1 }' p.txt || { say "prediction outside [0,1]"; return 1; }
  run evj 0 "$HEFT" eval m.heft g.tsv --json || return 1
  run evp 0 "$HEFT" eval --pred p.txt g.tsv $GEN_FLAGS --json || return 1
  local a1 a2
  a1=$(json_get evj.out auc) a2=$(json_get evp.out auc)
  num_ge "$a1" 0.6 || { say "train AUC $a1 <= 0.6"; return 1; }
  near "$a1" "$a2" 0.001 || { say "AUC from the model $a1, from its predictions $a2"; return 1; }
  [ "$(json_get evj.out rows)" = 5000 ] || { say "rows: $(cat evj.out)"; return 1; }
  run evt 0 "$HEFT" eval m.heft g.tsv || return 1
  grep -q '^AUC ' evt.out || { say "table lacks AUC"; return 1; }
  no_leftovers
}

case_eval_json() {
  lr_model || return 1
  run evj 0 "$HEFT" eval m.heft g.tsv --json || return 1
  [ "$(wc -l <evj.out)" -eq 1 ] || { say "more than one line"; return 1; }
  grep -q '^{.*}$' evj.out || { say "not an object: $(cat evj.out)"; return 1; }
  grep -o '"[a-z_0-9]*":' evj.out >keys.txt
  expect eval-json-keys keys.txt || return 1
  if command -v python3 >/dev/null; then
    python3 -c 'import json,sys; json.load(sys.stdin)' <evj.out || { say "invalid JSON"; return 1; }
  fi
  # Groups come from the model's schema (query_id): GAUC is a number.
  [ "$(json_get evj.out gauc)" != null ] || { say "gauc is null"; return 1; }
  run evci 0 "$HEFT" eval m.heft g.tsv --json --ci --bootstrap 30 || return 1
  grep -o '"[a-z_0-9]*":' evci.out >keys-ci.txt
  expect eval-json-ci-keys keys-ci.txt || return 1
  local lo hi auc
  auc=$(json_get evci.out auc)
  lo=$(sed -n 's/.*"auc_ci":\[\([^,]*\),.*/\1/p' evci.out)
  hi=$(sed -n 's/.*"auc_ci":\[[^,]*,\([^]]*\)\].*/\1/p' evci.out)
  num_ge "$auc" "$lo" && num_ge "$hi" "$auc" || { say "auc $auc outside [$lo, $hi]"; return 1; }
}

case_eval_bad_predictions() {
  tiny_tsv >tiny.tsv
  printf '0.5\n0.1\nabc\n0.2\n0.3\n' >p1.txt
  run evbad 1 "$HEFT" eval --pred p1.txt tiny.tsv $TINY_FLAGS || return 1
  expect eval-bad-prediction evbad.err || return 1
  printf '0.5\n0.1\n' >p2.txt
  run evshort 1 "$HEFT" eval --pred p2.txt tiny.tsv $TINY_FLAGS || return 1
  expect eval-short-predictions evshort.err || return 1
  run evargs 2 "$HEFT" eval --pred p2.txt m.heft tiny.tsv || return 1
}

case_predict_refuses_schema_flags() {
  lr_model || return 1
  run predflag 2 "$HEFT" predict m.heft g.tsv --hash-bits 18 -o p.txt || return 1
  expect predict-schema-flag predflag.err || return 1
  no_leftovers p.txt
}

case_predict_no_clobber() {
  lr_model || return 1
  ragged_tsv >ragged.tsv
  echo old >p.txt
  run predbad 1 "$HEFT" predict m.heft ragged.tsv -o p.txt || return 1
  [ "$(cat p.txt)" = old ] || { say "predict clobbered p.txt"; return 1; }
  echo junk >notamodel.heft
  run predmodel 1 "$HEFT" predict notamodel.heft g.tsv -o p.txt || return 1
  grep -q '^heft: notamodel.heft' predmodel.err || { say "no file in: $(cat predmodel.err)"; return 1; }
  [ "$(cat p.txt)" = old ] || { say "predict clobbered p.txt"; return 1; }
  no_leftovers
}

case_train_valid_fm() {
  gen_log || return 1
  run sp 0 "$HEFT" split g.tsv $GEN_FLAGS --hash-bits 16 --test 0.2 -o sp || return 1
  run fm 0 "$HEFT" train sp.train.hds --valid sp.test.hds --model fm --epochs 2 -o fm.heft || return 1
  grep -q '^valid: 1000 rows, AUC ' fm.out || grep -q '^valid: [0-9]* rows, AUC ' fm.out || { say "no valid summary: $(cat fm.out)"; return 1; }
  [ -s fm.err ] || { say "no per-epoch log lines on stderr"; return 1; }
  run fmq 0 "$HEFT" --quiet train sp.train.hds --model fm --epochs 1 -o fm2.heft || return 1
  [ ! -s fmq.out ] && [ ! -s fmq.err ] || { say "--quiet printed something"; return 1; }
  run fmp 0 "$HEFT" eval fm.heft sp.test.hds --json || return 1
  num_ge "$(json_get fmp.out auc)" 0.55 || { say "fm test AUC $(json_get fmp.out auc)"; return 1; }
}

case_split_fractions() {
  gen_log || return 1
  run sp3 0 "$HEFT" split g.tsv $GEN_FLAGS --test 0.2 --valid 0.1 --seed 5 -o s3 || return 1
  local tr va te
  tr=$(awk '$1 == "train" { print $2 }' sp3.out)
  va=$(awk '$1 == "valid" { print $2 }' sp3.out)
  te=$(awk '$1 == "test" { print $2 }' sp3.out)
  [ $((tr + va + te)) -eq 5000 ] || { say "parts sum to $((tr + va + te))"; return 1; }
  near "$te" 1000 50 && near "$va" 500 50 || { say "test $te valid $va of 5000"; return 1; }
  run i3 0 "$HEFT" info s3.test.hds || return 1
  grep -q "^rows *$te\$" i3.out || { say "s3.test.hds rows differ from the summary"; return 1; }
  [ -f s3.valid.hds ] && [ -f s3.train.hds ] || { say "missing parts"; return 1; }
  run sp2 0 "$HEFT" split g.tsv $GEN_FLAGS -o s2 || return 1
  [ ! -e s2.valid.hds ] || { say "valid part written without --valid"; return 1; }
  no_leftovers
}

case_split_group_text() {
  gen_log || return 1
  run spg 0 "$HEFT" split g.tsv $GEN_FLAGS --by group --test 0.3 --text -o gt || return 1
  [ -f gt.train.tsv ] && [ -f gt.test.tsv ] || { say "missing text parts: $(ls)"; return 1; }
  # Each part starts with the input's header and holds input lines only.
  local h
  h=$(head -1 g.tsv)
  [ "$(head -1 gt.train.tsv)" = "$h" ] && [ "$(head -1 gt.test.tsv)" = "$h" ] || { say "header not copied"; return 1; }
  local n1 n2
  n1=$(($(wc -l <gt.train.tsv) - 1)) n2=$(($(wc -l <gt.test.tsv) - 1))
  [ $((n1 + n2)) -eq 5000 ] || { say "text parts hold $((n1 + n2)) rows"; return 1; }
  tail -q -n +2 gt.train.tsv gt.test.tsv | sort >parts.sorted
  tail -n +2 g.tsv | sort >input.sorted
  [ -z "$(comm -23 parts.sorted input.sorted)" ] || { say "a part holds a line not in the input"; return 1; }
  # No query in both parts.
  local col
  col=$(head -1 g.tsv | tr '\t' '\n' | grep -nx query_id | cut -d: -f1)
  tail -n +2 gt.train.tsv | cut -f"$col" | sort -u >q.train
  tail -n +2 gt.test.tsv | cut -f"$col" | sort -u >q.test
  [ -z "$(comm -12 q.train q.test)" ] || { say "groups shared: $(comm -12 q.train q.test | head -3)"; return 1; }
  # Whole groups move, and the log's groups are Zipf-sized (the largest,
  # recommendation pages without a query, holds a fifth of the rows).
  near "$n2" 1500 1000 || { say "test part has $n2 rows for --test 0.3"; return 1; }
  # The .hds group split holds the same rows as the text one.
  run spgh 0 "$HEFT" split g.tsv $GEN_FLAGS --by group --test 0.3 -o gh || return 1
  grep -q "^test  *$n2 rows" spgh.out || { say "hds and text splits differ: $(cat spgh.out)"; return 1; }
  # Text parts copy data lines, which cannot carry sidecar weights.
  awk 'NR > 1 { print 1 }' g.tsv >g.weight
  run spw 2 "$HEFT" split g.tsv $GEN_FLAGS --weight-file g.weight --text -o gw || return 1
  grep -q -- "--text copies the data lines" spw.err || { say "no refusal: $(cat spw.err)"; return 1; }
  [ ! -e gw.train.tsv ] || { say "a part was written"; return 1; }
  no_leftovers
}

case_demo() {
  run demo 0 "$HEFT" demo --rows 30000 || return 1
  grep -q '^model ' demo.out || { say "no table header: $(cat demo.out)"; return 1; }
  local m auc
  for m in lr fm; do
    auc=$(awk -v m="$m" '$1 == m { print $4 }' demo.out)
    [ -n "$auc" ] || { say "no $m row"; return 1; }
    num_ge "$auc" 0.6 || { say "$m test AUC $auc <= 0.6"; return 1; }
  done
  # The best method's dropped rows, split into planted and clean: dropping
  # only the planted ones must beat dropping only the clean ones.
  local t f
  t=$(awk '/of those, the [0-9]* planted only/ { print $(NF - 1) }' demo.out)
  f=$(awk '/of those, the [0-9]* clean only/ { print $(NF - 1) }' demo.out)
  [ -n "$t" ] && [ -n "$f" ] || { say "no split of the dropped rows: $(cat demo.out)"; return 1; }
  num_ge "$t" "$f" || { say "planted only $t < clean only $f"; return 1; }
  run demok 0 "$HEFT" demo --rows 2000 --dir kept || return 1
  [ -s kept/log.tsv ] && [ -s kept/truth.tsv ] || { say "--dir did not keep the files"; return 1; }
}

case_eval_group_override() {
  gen_log || return 1
  run tr 0 "$HEFT" train g.tsv --format tsv --label click -o nogroup.heft || return 1
  run e1 0 "$HEFT" eval nogroup.heft g.tsv --json || return 1
  run e2 0 "$HEFT" eval nogroup.heft g.tsv --json --group query_id || return 1
  [ "$(json_get e1.out gauc)" = null ] || { say "gauc without groups: $(cat e1.out)"; return 1; }
  [ "$(json_get e2.out gauc)" != null ] || { say "--group ignored: $(cat e2.out)"; return 1; }
  # The group column changes no feature: the same predictions, same AUC.
  [ "$(json_get e1.out auc)" = "$(json_get e2.out auc)" ] || { say "AUC changed with --group"; return 1; }
}

case_split_time() {
  gen_log || return 1
  run spt 0 "$HEFT" split g.tsv $GEN_FLAGS --by time --time ts --test 0.25 --text -o tt || return 1
  local col
  col=$(head -1 g.tsv | tr '\t' '\n' | grep -nx ts | cut -d: -f1)
  local maxtrain mintest
  maxtrain=$(tail -n +2 tt.train.tsv | cut -f"$col" | sort -g | tail -1)
  mintest=$(tail -n +2 tt.test.tsv | cut -f"$col" | sort -g | head -1)
  num_ge "$mintest" "$maxtrain" || { say "test starts at $mintest, train ends at $maxtrain"; return 1; }
  [ "$(($(wc -l <tt.test.tsv) - 1))" -eq 1250 ] || { say "test part: $(($(wc -l <tt.test.tsv) - 1)) rows"; return 1; }
}

# Progress lines appear only on a terminal: run under script(1) for one.
case_progress() {
  gen_log || return 1
  local cmd="$HEFT train g.tsv $GEN_FLAGS --model fm --epochs 300 -o f.heft"
  run prog 0 $cmd || return 1
  if grep -q $'\r' prog.err; then say "progress written to a non-terminal"; return 1; fi
  command -v script >/dev/null || return 0
  script -qec "$cmd" /dev/null >tty.out 2>&1 </dev/null || { say "train under script failed"; return 1; }
  grep -Eq $'\rtrain: [0-9]+ rows, [0-9]+ rows/s, [0-9]+%, ETA [0-9]+ s' tty.out ||
    { say "no progress line on a terminal: $(head -c 300 tty.out | od -c | head -5)"; return 1; }
  script -qec "$HEFT --quiet ${cmd#$HEFT }" /dev/null >ttyq.out 2>&1 </dev/null
  if grep -q 'rows/s' ttyq.out; then say "--quiet still shows progress"; return 1; fi
}

# An interrupted write leaves neither the output nor a temporary behind.
case_interrupt() {
  command -v timeout >/dev/null || return 0
  timeout -s INT 0.5 "$HEFT" gen -o big.tsv --rows 100000000 --truth big.truth >/dev/null 2>&1
  local rc=$?
  [ "$rc" -eq 124 ] || { say "gen of 1e8 rows was not interrupted (exit $rc)"; return 1; }
  ls big* >/dev/null 2>&1 && { say "left behind: $(ls big*)"; return 1; }
  return 0
}

# ---- score and bench ------------------------------------------------------

# npy_f32 FILE ROWS COLS V...: writes a float32 .npy file (C order) with
# python3's struct module (no numpy needed).
npy_f32() {
  python3 - "$@" <<'PY'
import struct, sys
path, rows, cols = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
vals = [float(v) for v in sys.argv[4:]]
shape = "(%d,)" % rows if cols == 0 else "(%d, %d)" % (rows, cols)
d = "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }" % shape
pad = 64 - (10 + len(d) + 1) % 64
h = d + " " * (pad % 64) + "\n"
with open(path, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode())
    f.write(struct.pack("<%df" % len(vals), *vals))
PY
}

case_score_tsv_npy() {
  gen_log || return 1
  run sc 0 "$HEFT" score g.tsv $GEN_FLAGS --methods loss,cl,oob --bags 4 -o s.tsv || return 1
  [ "$(head -1 s.tsv)" = "$(printf 'row\tlabel\tloss\tcl\tcl_ok\toob\toob_soft')" ] ||
    { say "header: $(head -1 s.tsv)"; return 1; }
  [ "$(wc -l <s.tsv)" -eq 5001 ] || { say "s.tsv has $(wc -l <s.tsv) lines"; return 1; }
  # Labels are the data's, rows are numbered from 0, loss is negated.
  paste <(tail -n +2 s.tsv | cut -f2) <(tail -n +2 g.tsv | cut -f1) |
    awk '$1 != $2 { exit 1 }' || { say "label column differs from the data"; return 1; }
  [ "$(tail -1 s.tsv | cut -f1)" = 4999 ] || { say "last row number: $(tail -1 s.tsv | cut -f1)"; return 1; }
  tail -n +2 s.tsv | awk '$3 > 0 || $4 < 0 || $4 > 1 { exit 1 }' ||
    { say "loss above 0 or cl outside [0,1]"; return 1; }
  grep -q '^scored 5000 rows: 5 columns in ' sc.out || { say "summary: $(cat sc.out)"; return 1; }
  run scn 0 "$HEFT" score g.tsv $GEN_FLAGS --methods loss,cl,oob --bags 4 -o s.npy || return 1
  [ -s s.npy ] && [ -s s.json ] || { say "no s.npy or s.json: $(ls)"; return 1; }
  grep -q '"columns": \["loss", "cl", "cl_ok", "oob", "oob_soft"\]' s.json ||
    { say "s.json: $(cat s.json)"; return 1; }
  command -v python3 >/dev/null || return 0
  # The .npy holds the same numbers as the TSV (same seed, same threads).
  python3 - s.npy s.tsv <<'PY' || { say "s.npy differs from s.tsv"; return 1; }
import ast, struct, sys
b = open(sys.argv[1], "rb").read()
assert b[:6] == b"\x93NUMPY", "magic"
hl = struct.unpack("<H", b[8:10])[0]
h = ast.literal_eval(b[10:10 + hl].decode())
assert h["descr"] == "<f4" and h["shape"] == (5000, 5), h
v = struct.unpack("<25000f", b[10 + hl:])
rows = [l.split("\t")[2:] for l in open(sys.argv[2]).read().split("\n")[1:] if l]
for i, r in enumerate(rows):
    for j, x in enumerate(r):
        assert abs(float(x) - v[i * 5 + j]) <= 1e-6 * max(1, abs(float(x))), (i, j)
PY
}

case_score_probs() {
  gen_log || return 1
  run pr 0 "$HEFT" score g.tsv $GEN_FLAGS --methods loss,cl -o p.tsv || return 1
  # Bring the probabilities from outside: the loss column follows them.
  tail -n +2 p.tsv | awk '{ print exp($3) * $2 + (1 - exp($3)) * (1 - $2) }' >probs.txt
  run pr2 0 "$HEFT" score g.tsv $GEN_FLAGS --methods loss --probs probs.txt -o q.tsv || return 1
  paste <(tail -n +2 p.tsv | cut -f3) <(tail -n +2 q.tsv | cut -f3) |
    awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > 1e-4) exit 1 }' ||
    { say "loss from --probs differs from heft's own"; return 1; }
  # A header line and commas are fine; the wrong row count is not.
  { echo prob; head -4999 probs.txt; } >short.txt
  run prs 1 "$HEFT" score g.tsv $GEN_FLAGS --methods loss --probs short.txt -o r.tsv || return 1
  expect score-probs-rows prs.err || return 1
  printf '0.5\n0.25\n1.5\n' >bad.txt
  run prb 1 "$HEFT" score g.tsv $GEN_FLAGS --methods loss --probs bad.txt -o r.tsv || return 1
  expect score-probs-value prb.err || return 1
  printf '0.5\n\n0.25\n' >blank.txt
  run prbl 1 "$HEFT" score g.tsv $GEN_FLAGS --methods loss --probs blank.txt -o r.tsv || return 1
  grep -q '^heft: blank.txt:2:1: ' prbl.err || { say "blank line: $(cat prbl.err)"; return 1; }
  command -v python3 >/dev/null || return 0
  # The same probabilities as .npy (float32) give the same column.
  npy_f32 probs.npy 5000 0 $(cat probs.txt) || return 1
  run prn 0 "$HEFT" score g.tsv $GEN_FLAGS --methods loss --probs probs.npy -o n.tsv || return 1
  cmp -s q.tsv n.tsv || { say "--probs .npy and text differ"; return 1; }
  npy_f32 probs2.npy 5 0 0.1 0.2 0.3 0.4 0.5 || return 1
  run prn2 1 "$HEFT" score g.tsv $GEN_FLAGS --methods loss --probs probs2.npy -o r.tsv || return 1
  grep -q '^heft: probs2.npy: 5 rows, but g.tsv has 5000' prn2.err || { say "npy rows: $(cat prn2.err)"; return 1; }
  no_leftovers r.tsv r.npy r.json
}

case_score_embeddings() {
  gen_log || return 1
  run sp 0 "$HEFT" split g.tsv $GEN_FLAGS --test 0.2 -o sp || return 1
  local n m
  n=$(awk '$1 == "train" { print $2 }' sp.out) m=$(awk '$1 == "test" { print $2 }' sp.out)
  # Two-dimensional embeddings: the label with noise, and a constant.
  awk -v n="$n" 'BEGIN { srand(1); for (i = 0; i < n; i++) printf "%.4f,%.4f\n", rand(), 1 }' >e.txt
  awk -v n="$m" 'BEGIN { srand(2); for (i = 0; i < n; i++) printf "%.4f\t%.4f\n", rand(), 1 }' >ve.txt
  run em 0 "$HEFT" score sp.train.hds --valid sp.test.hds --methods knn --embeddings e.txt --valid-embeddings ve.txt -o k.tsv || return 1
  [ "$(wc -l <k.tsv)" -eq $((n + 1)) ] || { say "k.tsv rows"; return 1; }
  { head -2 e.txt; echo '0.5'; tail -n +4 e.txt; } >ragged.txt
  run emr 1 "$HEFT" score sp.train.hds --valid sp.test.hds --methods knn --embeddings ragged.txt --valid-embeddings ve.txt -o k2.tsv || return 1
  expect score-embeddings-ragged emr.err || return 1
  run emu 2 "$HEFT" score sp.train.hds --methods knn --valid-embeddings ve.txt -o k2.tsv || return 1
  no_leftovers k2.tsv
}

case_score_usage() {
  tiny_tsv >tiny.tsv
  run unm 2 "$HEFT" score tiny.tsv $TINY_FLAGS --methods loss,frobnicate -o s.tsv || return 1
  expect score-unknown-method unm.err || return 1
  run ext 2 "$HEFT" score tiny.tsv $TINY_FLAGS --methods loss -o s.csv || return 1
  run both 2 "$HEFT" score tiny.tsv $TINY_FLAGS --methods loss --model fm --from m.heft -o s.tsv || return 1
  run bags 2 "$HEFT" score tiny.tsv $TINY_FLAGS --methods oob --bags 0 -o s.tsv || return 1
  run nom 2 "$HEFT" score tiny.tsv $TINY_FLAGS -o s.tsv || return 1
  no_leftovers s.tsv s.csv
}

# Every method the library offers has a line of help with its direction.
case_score_help_methods() {
  tiny_tsv >tiny.tsv
  run unm 2 "$HEFT" score tiny.tsv --methods frobnicate -o s.tsv || return 1
  local known m
  known=$(sed -n 's/.*(known: \(.*\), or all).*/\1/p' unm.err | tr ',' ' ')
  [ -n "$known" ] || { say "no method list in: $(cat unm.err)"; return 1; }
  run hs 0 "$HEFT" help score || return 1
  sed -n '/^Methods/,/^Options/p' hs.out >methods.txt
  for m in $known; do
    grep -q "^  $m  *[^ ]" methods.txt || { say "help score lacks method $m"; return 1; }
  done
  [ "$(grep -c '^  [a-z]' methods.txt)" -eq "$(echo $known | wc -w)" ] ||
    { say "help lists other methods than the library"; return 1; }
  if grep -q undocumented methods.txt; then say "$(grep undocumented methods.txt)"; return 1; fi
  grep -q '^  loss  *negated' methods.txt || { say "loss does not say it is negated"; return 1; }
  for m in loss forget selfinf; do
    grep -A2 "^  $m " methods.txt | grep -q negated || { say "$m does not say negated"; return 1; }
  done
}

case_score_from_model() {
  lr_model || return 1
  run sf 0 "$HEFT" score g.tsv --from m.heft --methods loss,margin -o f.tsv || return 1
  [ "$(wc -l <f.tsv)" -eq 5001 ] || { say "f.tsv lines"; return 1; }
  # The model's own predictions give the same loss.
  run pf 0 "$HEFT" predict m.heft g.tsv -o p.txt || return 1
  paste <(tail -n +2 f.tsv | cut -f2,3) p.txt |
    awk '{ p = $1 > 0 ? $3 : 1 - $3; if (p < 1e-7) p = 1e-7; d = $2 - log(p); if (d < 0) d = -d; if (d > 1e-3) exit 1 }' ||
    { say "loss of --from differs from -log p of predict"; return 1; }
  run sff 2 "$HEFT" score g.tsv --from m.heft --hash-bits 12 --methods loss -o f2.tsv || return 1
}

case_score_no_partial() {
  gen_log || return 1
  echo old >s.tsv
  printf '0.5\n' >one.txt
  run np1 1 "$HEFT" score g.tsv $GEN_FLAGS --methods loss --probs one.txt -o s.tsv || return 1
  [ "$(cat s.tsv)" = old ] || { say "score clobbered s.tsv"; return 1; }
  run np2 1 "$HEFT" score g.tsv $GEN_FLAGS --methods knn -o s.npy || return 1
  no_leftovers s.npy s.json s.groups.tsv
}

case_bench_noise_json() {
  run gen 0 "$HEFT" gen -o b.tsv --rows 4000 --seed 5 || return 1
  run bn 0 "$HEFT" bench noise b.tsv $GEN_FLAGS --methods loss,cl,dup --json || return 1
  [ "$(wc -l <bn.out)" -eq 1 ] || { say "more than one line"; return 1; }
  grep -o '"[a-z_0-9]*":' bn.out >keys.txt
  expect bench-noise-keys keys.txt || return 1
  [ "$(json_get bn.out rows)" = 3600 ] && [ "$(json_get bn.out k)" = 360 ] ||
    { say "rows/k: $(cat bn.out)"; return 1; }
  command -v python3 >/dev/null || return 0
  python3 - bn.out <<'PY' || { say "bad values: $(cat bn.out)"; return 1; }
import json, sys
d = json.load(open(sys.argv[1]))
m = d["methods"]
assert set(m) == {"loss", "cl", "cl_ok", "dup"}, m.keys()
for k, v in m.items():
    assert 0 <= v["f1_at_k"] <= 1 and 0 <= v["auroc"] <= 1 and v["seconds"] >= 0, k
    assert len(v["auroc_per_seed"]) == 3
# The loss finds flipped labels far better than chance (F1@k 0.1, AUROC 0.5);
# dup sees no duplicates, so every row ties: exactly chance.
assert m["loss"]["auroc"] > 0.65 and m["loss"]["f1_at_k"] > 0.2, m["loss"]
assert abs(m["dup"]["auroc"] - 0.5) < 1e-9 and abs(m["dup"]["f1_at_k"] - 0.1) < 1e-9, m["dup"]
PY
}

case_bench_noise_dump() {
  run gen 0 "$HEFT" gen -o b.tsv --rows 2000 --seed 5 || return 1
  run bd 0 "$HEFT" bench noise b.tsv $GEN_FLAGS --methods loss --seeds 7 --flip 0.2 --dump-dir dd || return 1
  [ -s dd/seed-7/train.svm ] && [ -s dd/seed-7/valid.svm ] && [ -s dd/seed-7/flipped.txt ] ||
    { say "dump: $(ls -R dd)"; return 1; }
  [ "$(wc -l <dd/seed-7/flipped.txt)" -eq 360 ] || { say "flipped: $(wc -l <dd/seed-7/flipped.txt)"; return 1; }
  [ "$(($(wc -l <dd/seed-7/train.svm) + $(wc -l <dd/seed-7/valid.svm)))" -eq 2000 ] || { say "rows"; return 1; }
  # Indices ascend within each line, and the table names the run.
  awk '{ for (i = 3; i <= NF; i++) { split($(i-1), a, ":"); split($i, b, ":"); if (a[1] + 0 >= b[1] + 0) exit 1 } }' dd/seed-7/train.svm ||
    { say "libsvm indices not ascending"; return 1; }
  grep -q '^noise: b.tsv, 1800 training rows, 360 flipped' bd.out || { say "table: $(cat bd.out)"; return 1; }
  # The same seed flips the same rows.
  run bd2 0 "$HEFT" bench noise b.tsv $GEN_FLAGS --methods loss --seeds 7 --flip 0.2 --dump-dir dd2 || return 1
  cmp -s dd/seed-7/flipped.txt dd2/seed-7/flipped.txt || { say "same seed, other flips"; return 1; }
  run bu 2 "$HEFT" bench frobnicate b.tsv --methods loss || return 1
  run bs 2 "$HEFT" bench noise b.tsv --methods loss --seeds 1,,2 || return 1
  run bv 2 "$HEFT" bench noise b.tsv --methods loss --valid b.tsv --valid-frac 0.2 || return 1
}

case_docs_current() {
  "$HERE/gendoc.sh" "$B" >cli.md || { say "gendoc.sh failed"; return 1; }
  if [ "$UPDATE" = 1 ]; then cp cli.md "$HERE/../../docs/cli.md"; return 0; fi
  diff -u "$HERE/../../docs/cli.md" cli.md >docs.diff ||
    { say "docs/cli.md is stale (tests/cli/gendoc.sh BUILD > docs/cli.md):"; head -20 docs.diff; return 1; }
}

# More cases, one file per area (tests/cli/cases_*.sh), in the same style.
for f in "$HERE"/cases_*.sh; do
  [ -e "$f" ] && . "$f"
done

ALL_CASES=$(declare -F | awk '$3 ~ /^case_/ { print $3 }')
CASES=${*:-$ALL_CASES}
# A case returns 0 to pass, 77 to be skipped (a tool it needs is missing;
# it says why), anything else to fail.
skip=0
for c in $CASES; do
  mkdir -p "$T/$c"
  ( cd "$T/$c" && "$c" )
  rc=$?
  if [ "$rc" -eq 0 ]; then
    pass=$((pass + 1))
  elif [ "$rc" -eq 77 ]; then
    skip=$((skip + 1))
  else
    echo "FAIL $c"
    fail=$((fail + 1))
  fi
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
