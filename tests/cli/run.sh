#!/usr/bin/env bash
# tests/cli/run.sh BUILD_DIR: the CLI tests (zstd cli-tests style).
#
# Runs every case in a fresh temporary directory against BUILD_DIR/heft and
# prints "N passed, M failed" last. Stable outputs (help texts, error
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
COMMANDS="train predict eval convert info split gen demo help"

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
READ_OPTS="--format --hash-bits --num-transform --no-num-buckets --label --weight --group --time --position --num --cat --multi --ignore --max-bad-rows --threads"
opts_of() {
  case $1 in
    train) echo "--valid --model --output --epochs --lr --l1 --l2 --batch --factors --embed-dim --hidden --optim --patience --seed --checkpoints --no-shuffle $READ_OPTS" ;;
    predict) echo "--output $READ_OPTS" ;;
    eval) echo "--pred --ci --bootstrap --threshold --ndcg-k --json $READ_OPTS" ;;
    convert) echo "--output $READ_OPTS" ;;
    info) echo "$READ_OPTS" ;;
    split) echo "--by --test --valid --seed --output --text $READ_OPTS" ;;
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

case_docs_current() {
  "$HERE/gendoc.sh" "$B" >cli.md || { say "gendoc.sh failed"; return 1; }
  if [ "$UPDATE" = 1 ]; then cp cli.md "$HERE/../../docs/cli.md"; return 0; fi
  diff -u "$HERE/../../docs/cli.md" cli.md >docs.diff ||
    { say "docs/cli.md is stale (tests/cli/gendoc.sh BUILD > docs/cli.md):"; head -20 docs.diff; return 1; }
}

ALL_CASES=$(declare -F | awk '$3 ~ /^case_/ { print $3 }')
CASES=${*:-$ALL_CASES}
for c in $CASES; do
  mkdir -p "$T/$c"
  if ( cd "$T/$c" && "$c" ); then
    pass=$((pass + 1))
  else
    echo "FAIL $c"
    fail=$((fail + 1))
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
