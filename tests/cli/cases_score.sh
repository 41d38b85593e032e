# tests/cli/cases_score.sh: more `heft score` cases (sourced by run.sh).

# --checkpoints: the model's own epoch checkpoints give the same trajectory
# (and so the same bits) as the run score would train; without --from, or
# with a directory holding none, it is an error that names what is missing.
case_score_checkpoints() {
  gen_log || return 1
  run train 0 "$HEFT" train g.tsv $GEN_FLAGS --model lr --epochs 3 \
    --checkpoints ck -o m.heft || return 1
  [ -f ck/epoch-1.heftm ] && [ -f ck/epoch-3.heftm ] ||
    { say "no checkpoints written"; return 1; }
  run own 0 "$HEFT" score g.tsv --valid g.tsv --from m.heft \
    --methods tracin,aum,forget --epochs 3 -o own.tsv || return 1
  run given 0 "$HEFT" score g.tsv --valid g.tsv --from m.heft \
    --checkpoints ck --methods tracin,aum,forget --epochs 3 -o given.tsv || return 1
  cmp -s own.tsv given.tsv || { say "scores differ with --checkpoints"; return 1; }
  run nofrom 2 "$HEFT" score g.tsv $GEN_FLAGS --checkpoints ck \
    --methods tracin --valid g.tsv -o x.tsv || return 1
  grep -q -- "--checkpoints needs --from" nofrom.err || { say "nofrom: $(cat nofrom.err)"; return 1; }
  mkdir empty
  run empty 1 "$HEFT" score g.tsv --valid g.tsv --from m.heft \
    --checkpoints empty --methods tracin -o x.tsv || return 1
  grep -q "empty/epoch-1.heftm: no such file" empty.err || { say "empty: $(cat empty.err)"; return 1; }
  [ ! -e x.tsv ] || { say "partial output left"; return 1; }
}

# --json FILE: the run's settings, rows, columns and seconds, which
# `heft report` draws as a scoring run.
case_score_json() {
  gen_log || return 1
  mkdir run
  run sj 0 "$HEFT" score g.tsv $GEN_FLAGS --methods loss,dup -o run/s.tsv --json run/s.json || return 1
  grep -q '^{"heft":"[^"]*","command":"score","settings":{"data":"g.tsv",' run/s.json ||
    { say "no envelope: $(head -c 200 run/s.json)"; return 1; }
  grep -q '"rows":5000,"columns":\["loss","dup"\],"seconds":{"loss":' run/s.json ||
    { say "rows/columns: $(cat run/s.json)"; return 1; }
  run rep 0 "$HEFT" report run -o r.html || return 1
  grep -q 'Scoring run' r.html || { say "no scoring run in the report"; return 1; }
}
