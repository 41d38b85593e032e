# tests/cli/cases_features.sh: `heft features` (sourced by tests/cli/run.sh).

# A TSV whose column leak is the label flipped 10% of the time, noise is
# one of 20 values drawn independently, and id is unique per row.
leak_tsv() {
  awk 'BEGIN { srand(7); print "click\tleak\tnoise\tid";
    for (i = 0; i < 3000; i++) { y = rand() < 0.3; l = rand() < 0.1 ? 1 - y : y;
      printf "%d\tL%d\tN%d\tU%d\n", y, l, int(rand() * 20), i } }'
}
LEAK_FLAGS="--format tsv --label click --cat leak,noise,id"

# The table: every field once, ranked by permutation, the leak first, the
# TSV with every column in the same order.
case_features_table() {
  leak_tsv >l.tsv
  run ft 0 "$HEFT" features l.tsv $LEAK_FLAGS --repeats 3 -o ft.tsv || return 1
  grep -q '^ranked by permutation$' ft.out || { say "no 'ranked by' line"; return 1; }
  grep -q '^model: lr trained here on 2400 rows of l.tsv' ft.out || { say "model line: $(grep model: ft.out)"; return 1; }
  grep -q '^permutation: 600 held-out rows of the data x 3 repeats' ft.out || { say "perm line"; return 1; }
  local first
  first=$(awk '$1 == "1" { print $2 }' ft.out)
  [ "$first" = leak ] || { say "first field: $first"; return 1; }
  [ "$(awk '$1 ~ /^[0-9]+$/' ft.out | wc -l)" -eq 3 ] || { say "not 3 table rows"; return 1; }
  head -1 ft.tsv | grep -q $'^rank\tfield\tname\trows\tvalues\tmi\t' || { say "tsv header: $(head -1 ft.tsv)"; return 1; }
  [ "$(wc -l <ft.tsv)" -eq 4 ] || { say "tsv rows: $(wc -l <ft.tsv)"; return 1; }
  # Ranked: perm_auc (column 16) descending.
  awk -F'\t' 'NR > 2 && $16 + 0 > prev + 0 { exit 1 } NR > 1 { prev = $16 }' ft.tsv ||
    { say "tsv not ranked by perm_auc"; return 1; }
  # The noise field does nothing; the id field has plug-in MI but no
  # adjusted MI.
  awk -F'\t' '$3 == "noise" && ($16 > 0.01 || $16 < -0.01) { exit 1 }' ft.tsv || { say "noise perm_auc"; return 1; }
  awk -F'\t' '$3 == "id" && ($6 < 0.3 || $8 > 0.001 || $8 < -0.001) { exit 1 }' ft.tsv || { say "id mi/mi_adj: $(grep id ft.tsv)"; return 1; }
  no_leftovers
}

# --json: one document of docs/run-dir.md; --report writes the same one.
case_features_json() {
  leak_tsv >l.tsv
  run fj 0 "$HEFT" features l.tsv $LEAK_FLAGS --repeats 2 --json --report fj.json --bits || return 1
  [ "$(wc -l <fj.out)" -eq 1 ] || { say "json is not one line"; return 1; }
  cmp -s fj.out fj.json || { say "--report differs from --json"; return 1; }
  grep -q '^{"heft":"0.1.0","command":"features","settings":{"data":"l.tsv",' fj.out || { say "envelope: $(head -c 120 fj.out)"; return 1; }
  local k
  for k in '"unit":"bits"' '"sort":"permutation"' '"fields":\[{"name":"leak","field":0,"rank":1,' \
           '"mi":' '"mi_adj":' '"chi2":' '"chi2_p":' '"weight_norm":' '"permutation":' \
           '"permutation_sd":' '"valid":{"rows":600,"heldout":true,"repeats":2,"auc":' \
           '"model":{"kind":"lr","trained":true,"train_rows":2400}'; do
    grep -q "$k" fj.out || { say "json lacks $k"; return 1; }
  done
  # In bits, the leak's MI is below H(0.3) = 0.881 bits and above 0.3.
  local mi
  mi=$(grep -o '"mi":[^,]*' fj.out | head -1 | cut -d: -f2)
  num_ge "$mi" 0.3 && ! num_ge "$mi" 0.882 || { say "leak mi $mi bits"; return 1; }
  # Only what was asked: no permutation keys with --methods mi,chi2.
  run fj2 0 "$HEFT" features l.tsv $LEAK_FLAGS --methods mi,chi2 --json || return 1
  grep -q '"permutation"\|"weight_norm"\|"model"' fj2.out && { say "keys not asked for"; return 1; }
  grep -q '"sort":"mi_adj"' fj2.out || { say "default sort without perm"; return 1; }
  return 0
}

# A given model: its kind and file are named, weights are its weights, and
# flags that would re-hash the data are refused.
case_features_model() {
  lr_model || return 1
  run fm 0 "$HEFT" features g.tsv --model m.heft --methods weight,perm --repeats 1 --max-valid 500 || return 1
  grep -q '^model: lr from m.heft$' fm.out || { say "model line: $(grep model fm.out)"; return 1; }
  grep -q '^permutation: 500 held-out rows of the data x 1 repeats' fm.out || { say "perm line: $(grep permutation: fm.out)"; return 1; }
  grep -q 'may have seen' fm.err || { say "no warning about rows the model saw"; return 1; }
  run fmh 2 "$HEFT" features g.tsv --model m.heft --hash-bits 12 || return 1
  grep -q 'hash-bits' fmh.err || { say "hash-bits error: $(cat fmh.err)"; return 1; }
}

# Pinned: the MI/chi2 table of the tiny fixture (no model, no randomness).
case_features_tiny() {
  tiny_tsv >tiny.tsv
  run tiny 0 "$HEFT" features tiny.tsv $TINY_FLAGS --methods mi,chi2 || return 1
  expect features-tiny tiny.out
}

case_features_usage() {
  tiny_tsv >tiny.tsv
  run bm 2 "$HEFT" features tiny.tsv $TINY_FLAGS --methods mi,foo || return 1
  expect features-bad-method bm.err || return 1
  run bs 2 "$HEFT" features tiny.tsv $TINY_FLAGS --methods mi --sort permutation || return 1
  expect features-bad-sort bs.err || return 1
  run bh 2 "$HEFT" features tiny.tsv $TINY_FLAGS --holdout 1.5 || return 1
  run nf 1 "$HEFT" features missing.tsv $TINY_FLAGS || return 1
  grep -q 'missing.tsv' nf.err || { say "missing file not named"; return 1; }
  # A validation file hashed otherwise cannot happen through the CLI (it
  # is read with DATA's options), but one with another header can.
  printf 'click\tother\n1\tx\n' >v.tsv
  run bv 1 "$HEFT" features tiny.tsv $TINY_FLAGS --valid v.tsv || return 1
  # An output that cannot be written: exit 1, nothing left behind.
  leak_tsv >l.tsv
  run bo 1 "$HEFT" features l.tsv $LEAK_FLAGS --methods mi -o nodir/x.tsv || return 1
  no_leftovers nodir/x.tsv
}
