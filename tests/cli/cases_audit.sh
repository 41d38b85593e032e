# tests/cli/cases_audit.sh: `heft audit` cases (sourced by run.sh).

AUDIT_FLAGS="--format tsv --label y --group u --num price --cat color --num-transform none"

# Tiny train/test pair: group a and one row (a, 1, red, label 1) on both
# sides, a new color (pink), a missing color and a missing price.
audit_fixture() {
  printf 'y\tu\tprice\tcolor\n1\ta\t1\tred\n0\ta\t2\tred\n0\tb\t3\tred\n1\tb\t4\tblue\n0\tc\t5\tblue\n0\tc\t6\tgreen\n1\td\t7\tred\n0\td\t8\tblue\n0\te\t9\tred\n1\te\t10\tred\n' >tr.tsv
  printf 'y\tu\tprice\tcolor\n1\ta\t1\tred\n0\tx\t2\tpink\n1\ty\t3.5\tpink\n0\tz\t12\t\n1\tz\t\tblue\n0\tw\t7.5\tgreen\n' >te.tsv
  printf '0.9\n0.2\n0.3\n0.6\n0.4\n0.1\n' >p.txt
}

# The table and the JSON document of a tiny audit, pinned; --report FILE
# holds the same document as --json prints.
case_audit_table() {
  audit_fixture
  run tab 0 "$HEFT" audit tr.tsv te.tsv $AUDIT_FLAGS --pred p.txt \
    --segment color --bins 4 || return 1
  expect audit-table tab.out || return 1
  run js 0 "$HEFT" audit tr.tsv te.tsv $AUDIT_FLAGS --pred p.txt \
    --segment color --bins 4 --json --report rep.json || return 1
  expect audit-json js.out || return 1
  cmp -s js.out rep.json || { say "--report differs from --json"; return 1; }
  [ "$(wc -l <js.out)" -eq 1 ] || { say "--json is not one line"; return 1; }
  [ "$(json_get js.out groups_shared)" = 1 ] || { say "groups_shared: $(json_get js.out groups_shared)"; return 1; }
  [ "$(json_get js.out duplicate_rows)" = 1 ] || { say "duplicate_rows"; return 1; }
  grep -q '"rank":1,"kind":"group_leak"' js.out || { say "group leak not ranked first"; return 1; }
}

# Bad inputs: FILE:LINE:COL messages, exit 1 (runtime) or 2 (usage), and
# nothing on stdout nor any file left behind.
case_audit_errors() {
  audit_fixture
  printf '0.9\n0.2\nabc\n0.3\n0.4\n0.1\n' >bad.txt
  run badp 1 "$HEFT" audit tr.tsv te.tsv $AUDIT_FLAGS --pred bad.txt \
    --report r.json --make-test 2 -o new.tsv || return 1
  expect audit-bad-pred badp.err || return 1
  [ ! -s badp.out ] || { say "stdout not empty on error"; return 1; }
  no_leftovers r.json new.tsv || return 1
  printf '0.9\n0.2\n' >short.txt
  run short 1 "$HEFT" audit tr.tsv te.tsv $AUDIT_FLAGS --pred short.txt || return 1
  expect audit-short-pred short.err || return 1
  printf 'y\tu\tprice\tcolor\n1\ta\t1\tred\n0\tb\tcheap\tred\n' >ragged.tsv
  run rag 1 "$HEFT" audit tr.tsv ragged.tsv $AUDIT_FLAGS --report r.json || return 1
  expect audit-bad-test rag.err || return 1
  [ ! -s rag.out ] || { say "stdout not empty on a bad TEST"; return 1; }
  no_leftovers r.json || return 1
  run both 2 "$HEFT" audit tr.tsv te.tsv $AUDIT_FLAGS --pred p.txt --model m.heft || return 1
  run noout 2 "$HEFT" audit tr.tsv te.tsv $AUDIT_FLAGS --make-test 3 || return 1
  run one 2 "$HEFT" audit tr.tsv || return 1
  run seg 1 "$HEFT" audit tr.tsv te.tsv $AUDIT_FLAGS --segment size || return 1
  grep -q "te.tsv: --segment size: no feature column" seg.err || { say "seg: $(cat seg.err)"; return 1; }
  run big 1 "$HEFT" audit tr.tsv te.tsv $AUDIT_FLAGS --make-test 6 -o new.tsv \
    --report r.json || return 1
  expect audit-make-test-too-big big.err || return 1
  no_leftovers new.tsv r.json || return 1
  # The new test set cannot be written: the report is not left either.
  run nodir 1 "$HEFT" audit tr.tsv te.tsv $AUDIT_FLAGS --make-test 3 \
    -o nodir/new.tsv --report r.json || return 1
  grep -q "nodir/new.tsv" nodir.err || { say "nodir: $(cat nodir.err)"; return 1; }
  [ ! -s nodir.out ] || { say "stdout not empty"; return 1; }
  no_leftovers r.json || return 1
}

# --make-test on a generated log split by time: the new test set shares no
# group and no row with train, keeps whole groups, and is written in the
# input's format (header + lines) or as .hds.
case_audit_make_test() {
  gen_log || return 1
  head -4001 g.tsv >tr.tsv
  { head -1 g.tsv; tail -n +4002 g.tsv; } >te.tsv
  run mk 0 "$HEFT" audit tr.tsv te.tsv --format tsv --label click --group user_id \
    --make-test 300 -o new.tsv --json || return 1
  num_ge "$(json_get mk.out groups_shared)" 1 || { say "the split shares no user; the case tests nothing"; return 1; }
  [ "$(head -1 new.tsv)" = "$(head -1 g.tsv)" ] || { say "no header in new.tsv"; return 1; }
  local n
  n=$(($(wc -l <new.tsv) - 1))
  num_ge "$n" 250 && num_ge 300 "$n" || { say "new.tsv has $n rows"; return 1; }
  run re 0 "$HEFT" audit tr.tsv new.tsv --format tsv --label click --group user_id --json || return 1
  [ "$(json_get re.out groups_shared)" = 0 ] || { say "new test shares groups"; return 1; }
  [ "$(json_get re.out duplicate_rows)" = 0 ] || { say "new test has duplicates"; return 1; }
  [ "$(json_get re.out conflict_rows)" = 0 ] || { say "new test has conflicts"; return 1; }
  # Every user of new.tsv keeps all of its rows of te.tsv.
  local col
  col=$(head -1 g.tsv | tr '\t' '\n' | grep -n '^user_id$' | cut -d: -f1)
  cut -f"$col" new.tsv | tail -n +2 | sort | uniq -c | sort -k2 >got.cnt
  cut -f"$col" new.tsv | tail -n +2 | sort -u >users
  cut -f"$col" te.tsv | tail -n +2 | grep -Fxf users | sort | uniq -c | sort -k2 >want.cnt
  cmp -s got.cnt want.cnt || { say "a group was split"; return 1; }
  run hds 0 "$HEFT" audit tr.tsv te.tsv --format tsv --label click --group user_id \
    --make-test 300 -o new.hds -q || return 1
  run info 0 "$HEFT" info new.hds || return 1
  grep -Eq "^rows +$n$" info.out || { say "new.hds: $(grep rows info.out)"; return 1; }
  no_leftovers || return 1
}

# With a model: the AUC interval, rows needed, and per-segment metrics.
case_audit_model_segment() {
  lr_model || return 1
  run ms 0 "$HEFT" audit g.tsv g.tsv --model m.heft --group query_id \
    --segment device --target-width 0.01 --json || return 1
  local auc w need
  auc=$(sed -n 's/.*"ci":{"auc":\([^,]*\),.*/\1/p' ms.out)
  w=$(sed -n 's/.*"ci":{[^}]*"width":\([^,]*\),.*/\1/p' ms.out)
  need=$(json_get ms.out rows_needed)
  num_ge "$auc" 0.6 || { say "auc $auc"; return 1; }
  # rows_needed = 5000 (width / 0.01)^2, rounded up.
  near "$need" "$(awk -v w="$w" 'BEGIN { printf "%.0f", 5000 * (w / 0.01)^2 }')" 1 ||
    { say "rows_needed $need for width $w"; return 1; }
  grep -q '"column":"device","value":"mobile"' ms.out || { say "no mobile segment"; return 1; }
  # The same file on both sides: every row is a duplicate.
  [ "$(json_get ms.out duplicate_rows)" = 5000 ] || { say "duplicates $(json_get ms.out duplicate_rows)"; return 1; }
}
