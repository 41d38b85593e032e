# tests/cli/cases_select.sh: `heft select` and negative downsampling with
# calibrated prediction (sourced by run.sh; docs/select.md).

# A score table for tiny_tsv (5 rows) written by hand: loss, cl_ok, dup.
tiny_scores() {
  printf 'row\tlabel\tloss\tcl_ok\tdup\n'
  printf '0\t1\t-0.5\t1\t1\n'
  printf '1\t0\t-2\t0\t1\n'
  printf '2\t0\t-0.25\t1\t-0.5\n'
  printf '3\t1\t-1\t1\t1\n'
  printf '4\t0\t-0.125\t1\t1\n'
}

# The log's loss scores, made once and shared.
gen_scores() {
  gen_log || return 1
  if [ ! -f "$S/s.tsv" ]; then
    (cd "$S" && run score 0 "$HEFT" score g.tsv $GEN_FLAGS --methods loss,dup -o s.tsv) || return 1
  fi
  ln -sf "$S/s.tsv" s.tsv
}

# The summary of a keep on the tiny fixture, and the kept lines: the
# header and the rows scoring highest, each label keeping its share.
case_select_tiny_summary() {
  tiny_tsv >tiny.tsv
  tiny_scores >sc.tsv
  run keep 0 "$HEFT" select tiny.tsv $TINY_FLAGS --scores sc.tsv --method loss \
    --keep 0.6 --stratify label -o k.tsv || return 1
  expect select-tiny-summary keep.out || return 1
  # Stratified by label: round(0.6 * 2) = 1 positive (row 0, loss -0.5),
  # round(0.6 * 3) = 2 negatives (rows 4 and 2): input lines 2, 4, 6.
  sed -n '1p;2p;4p;6p' tiny.tsv >want.tsv
  cmp -s want.tsv k.tsv || { say "kept lines:"; cat k.tsv; return 1; }
  run flag 0 "$HEFT" select tiny.tsv $TINY_FLAGS --scores sc.tsv --drop-flagged -o f.tsv || return 1
  sed -n '1p;2p;5p;6p' tiny.tsv >want2.tsv
  cmp -s want2.tsv f.tsv || { say "--drop-flagged kept:"; cat f.tsv; return 1; }
  grep -q 'cl_ok = 0: 1, conflicting duplicates: 1' flag.out || { say "flag: $(cat flag.out)"; return 1; }
  # cl flags 1 row in 5: over a tenth, which draws the over-flagging
  # warning; without cl flags there is none.
  grep -q 'warning: confident learning flags 20.0% of the rows' flag.err || { say "no warning: $(cat flag.err)"; return 1; }
  tiny_scores | sed '3s/\t0\t1$/\t1\t1/' >sc1.tsv
  run flag1 0 "$HEFT" select tiny.tsv $TINY_FLAGS --scores sc1.tsv --drop-flagged -o f1.tsv || return 1
  grep -q 'cl_ok = 0: 0, conflicting duplicates: 1' flag1.out || { say "flag1: $(cat flag1.out)"; return 1; }
  ! grep -q 'warning' flag1.err || { say "warned: $(cat flag1.err)"; return 1; }
}

# Bad combinations and inputs: the exit code, a message naming the file
# (with line and column where there is one) and no output left behind.
case_select_errors() {
  tiny_tsv >tiny.tsv
  tiny_scores >sc.tsv
  tiny_scores | head -4 >short.tsv
  printf 'row\tlabel\tloss\n0\t1\t-0.5\n1\t0\tx\n' >bad.tsv
  tiny_scores | sed '3s/^1\t0/1\t1/' >lab.tsv
  : >errs.txt
  run both 2 "$HEFT" select tiny.tsv $TINY_FLAGS --scores sc.tsv --keep 0.5 --drop 0.1 -o o.tsv || return 1
  run noscores 2 "$HEFT" select tiny.tsv $TINY_FLAGS --keep 0.5 -o o.tsv || return 1
  run nothing 2 "$HEFT" select tiny.tsv $TINY_FLAGS --scores sc.tsv -o o.tsv || return 1
  run imp 2 "$HEFT" select tiny.tsv $TINY_FLAGS --scores sc.tsv --importance --keep 0.5 -o o.tsv || return 1
  run strat 2 "$HEFT" select tiny.tsv $TINY_FLAGS --scores sc.tsv --keep 0.5 --stratify user -o o.tsv || return 1
  run which 2 "$HEFT" select tiny.tsv $TINY_FLAGS --scores sc.tsv --keep 0.5 -o o.tsv || return 1
  run short 1 "$HEFT" select tiny.tsv $TINY_FLAGS --scores short.tsv --method loss --keep 0.5 -o o.tsv || return 1
  run badnum 1 "$HEFT" select tiny.tsv $TINY_FLAGS --scores bad.tsv --keep 0.5 -o o.tsv || return 1
  run label 1 "$HEFT" select tiny.tsv $TINY_FLAGS --scores lab.tsv --method loss --keep 0.5 -o o.tsv || return 1
  run nocol 1 "$HEFT" select tiny.tsv $TINY_FLAGS --scores sc.tsv --method oob --keep 0.5 -o o.tsv || return 1
  run nofile 1 "$HEFT" select tiny.tsv $TINY_FLAGS --scores none.tsv --keep 0.5 -o o.tsv || return 1
  for n in both noscores nothing imp strat which short badnum label nocol nofile; do
    echo "[$n]" >>errs.txt
    sed "s|$PWD/||g" "$n.err" >>errs.txt
  done
  expect select-errors errs.txt || return 1
  no_leftovers o.tsv
}

# Keep and drop on a generated log: exact counts, kept lines copied
# verbatim from the input, stratified shares per label.
case_select_keep_drop_text() {
  gen_scores || return 1
  run keep 0 "$HEFT" select g.tsv $GEN_FLAGS --scores s.tsv --method loss \
    --keep 0.3 --stratify label -o k.tsv || return 1
  [ "$(($(wc -l <k.tsv) - 1))" -eq 1500 ] || { say "kept $(wc -l <k.tsv) lines"; return 1; }
  [ "$(head -1 k.tsv)" = "$(head -1 g.tsv)" ] || { say "header differs"; return 1; }
  # Every kept line is an input line, in input order.
  grep -Fxv -f g.tsv k.tsv >stray.txt && { say "lines not in the input: $(head -2 stray.txt)"; return 1; }
  awk -F'\t' 'NR > 1 { n[$1 > 0]++ } END { print n[0] + 0, n[1] + 0 }' g.tsv >all.txt
  awk -F'\t' 'NR > 1 { n[$1 > 0]++ } END { print n[0] + 0, n[1] + 0 }' k.tsv >kept.txt
  read -r a0 a1 <all.txt
  read -r k0 k1 <kept.txt
  near "$k0" "$(awk -v a="$a0" 'BEGIN { print a * 0.3 }')" 1 || { say "negatives kept $k0 of $a0"; return 1; }
  near "$k1" "$(awk -v a="$a1" 'BEGIN { print a * 0.3 }')" 1 || { say "positives kept $k1 of $a1"; return 1; }
  # The kept rows are the ones scoring highest: their lowest loss score is
  # at least the dropped rows' highest, within each label.
  run drop 0 "$HEFT" select g.tsv $GEN_FLAGS --scores s.tsv --method loss --drop 0.7 -o d.hds || return 1
  grep -q '^kept 1500 of 5000 rows' drop.out || { say "drop: $(head -1 drop.out)"; return 1; }
  # The same scores as .npy + .json give the same rows.
  run npy 0 "$HEFT" score g.tsv $GEN_FLAGS --methods loss,dup -o s2.npy || return 1
  run keepn 0 "$HEFT" select g.tsv $GEN_FLAGS --scores s2.npy --method loss \
    --keep 0.3 --stratify label -o kn.tsv || return 1
  cmp -s k.tsv kn.tsv || { say "tsv and npy scores chose different rows"; return 1; }
  run thr 0 "$HEFT" select g.tsv $GEN_FLAGS --scores s.tsv --method loss --threshold -0.3 -o t.tsv || return 1
  want=$(awk -F'\t' 'NR > 1 && $3 >= -0.3' s.tsv | wc -l)
  [ "$(($(wc -l <t.tsv) - 1))" -eq "$want" ] || { say "threshold kept $(wc -l <t.tsv), want $want + 1"; return 1; }
}

# --negatives W, then heft train --neg-rate W: predictions on the full log
# are calibrated (sum of predictions near the clicks), the raw model's are
# not; the same seed picks the same rows.
case_select_negatives_calibrated() {
  gen_log || return 1
  run neg 0 "$HEFT" select g.tsv $GEN_FLAGS --negatives 0.25 -o n.hds || return 1
  W=$(sed -n 's/^negatives kept at W = \([0-9.e-]*\)[,:].*/\1/p' neg.out)
  [ -n "$W" ] || { say "no W printed: $(cat neg.out)"; return 1; }
  near "$W" 0.25 0.001 || { say "W = $W"; return 1; }
  run neg2 0 "$HEFT" select g.tsv $GEN_FLAGS --negatives 0.25 -o n2.hds || return 1
  cmp -s n.hds n2.hds || { say "same seed, other rows"; return 1; }
  run neg3 0 "$HEFT" select g.tsv $GEN_FLAGS --negatives 0.25 --seed 9 -o n3.hds || return 1
  cmp -s n.hds n3.hds && { say "seed 9 picked the same rows"; return 1; }
  # The same rows as text carry no W (the .hds records it).
  run negt 0 "$HEFT" select g.tsv $GEN_FLAGS --negatives 0.25 -o n.tsv || return 1
  grep -q -- "--neg-rate" negt.out || { say "text output: $(cat negt.out)"; return 1; }
  run tcal 0 "$HEFT" train n.hds -o cal.heftm || return 1
  run tgiv 0 "$HEFT" train n.tsv $GEN_FLAGS --neg-rate "$W" -o giv.heftm || return 1
  run traw 0 "$HEFT" train n.tsv $GEN_FLAGS -o raw.heftm || return 1
  run ecal 0 "$HEFT" eval cal.heftm g.tsv || return 1
  run eraw 0 "$HEFT" eval raw.heftm g.tsv || return 1
  cal=$(awk '$1 == "calibration" { print $2 }' ecal.out)
  raw=$(awk '$1 == "calibration" { print $2 }' eraw.out)
  # (5000 rows and a regularised LR: the full-data model itself scores
  # about 0.93 here; the raw downsampled one is off by 1/W.)
  near "$cal" 1 0.3 || { say "calibrated model: calibration $cal"; return 1; }
  num_ge "$raw" 1.8 || { say "raw model: calibration $raw"; return 1; }
  # The model file keeps W: predictions equal q = p / (p + (1 - p) / W).
  run pcal 0 "$HEFT" predict cal.heftm g.tsv -o pc.txt || return 1
  run praw 0 "$HEFT" predict raw.heftm g.tsv -o pr.txt || return 1
  run pgiv 0 "$HEFT" predict giv.heftm g.tsv -o pg.txt || return 1
  paste pc.txt pg.txt | awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > 1e-5) exit 1 }' ||
    { say "W from the .hds and --neg-rate W differ"; return 1; }
  paste pr.txt pc.txt | awk -v w="$W" '{ q = $1 / ($1 + (1 - $1) / w); d = q - $2; if (d < 0) d = -d; if (d > 1e-5) { print NR, $1, $2, q; exit 1 } }' ||
    { say "predictions are not the calibrated raw ones"; return 1; }
  run badw 2 "$HEFT" train n.hds --neg-rate 0 -o x.heftm || return 1
  no_leftovers x.heftm
}

# --sample F --importance: weights 1/p in an appended weight column, whose
# sum estimates the row count (unbiased); plain --sample keeps exactly F.
case_select_importance() {
  gen_scores || return 1
  run imp 0 "$HEFT" select g.tsv $GEN_FLAGS --scores s.tsv --method loss \
    --sample 0.3 --importance --floor 0.2 -o i.tsv || return 1
  [ "$(head -1 i.tsv | awk -F'\t' '{ print $NF }')" = weight ] || { say "no weight column"; return 1; }
  sum=$(awk -F'\t' 'NR > 1 { s += $NF } END { print s }' i.tsv)
  near "$sum" 5000 500 || { say "sum of 1/p = $sum, want about 5000"; return 1; }
  maxw=$(awk -F'\t' 'NR > 1 && $NF > m { m = $NF } END { print m }' i.tsv)
  num_ge "$(awk 'BEGIN { print 1 / (0.2 * 0.3) + 1e-6 }')" "$maxw" || { say "weight $maxw above 1/(E F)"; return 1; }
  run info 0 "$HEFT" info i.tsv $GEN_FLAGS --weight weight || return 1
  grep -q '^columns *weight yes' info.out || { say "weight column not read back"; return 1; }
  run uni 0 "$HEFT" select g.tsv $GEN_FLAGS --sample 0.3 -o u.tsv || return 1
  [ "$(($(wc -l <u.tsv) - 1))" -eq 1500 ] || { say "uniform sample kept $(wc -l <u.tsv)"; return 1; }
  [ "$(head -1 u.tsv)" = "$(head -1 g.tsv)" ] || { say "uniform sample added a column"; return 1; }
  run rw 0 "$HEFT" select g.tsv $GEN_FLAGS --scores s.tsv --method loss --reweight \
    --weight-min 0.5 --weight-max 4 -o r.hds || return 1
  grep -q 'selection weights: min 0.5, mean 1, max' rw.out || { say "reweight: $(cat rw.out)"; return 1; }
}

# An .hds or compressed input can only be written as .hds; a group
# stratification needs a group column.
case_select_formats() {
  gen_log || return 1
  run conv 0 "$HEFT" convert g.tsv $GEN_FLAGS -o g.hds || return 1
  run hdsout 0 "$HEFT" select g.hds --negatives 0.5 --stratify group -o n.hds || return 1
  grep -q '^groups: ' hdsout.out || { say "no group summary"; return 1; }
  run hdstext 1 "$HEFT" select g.hds --negatives 0.5 -o n.tsv || return 1
  grep -q 'name the output OUT.hds' hdstext.err || { say "hdstext: $(cat hdstext.err)"; return 1; }
  gzip -c g.tsv >g.tsv.gz
  run gz 1 "$HEFT" select g.tsv.gz $GEN_FLAGS --negatives 0.5 -o n.tsv || return 1
  grep -q 'compressed' gz.err || { say "gz: $(cat gz.err)"; return 1; }
  run nogroup 2 "$HEFT" select g.tsv --format tsv --label click --negatives 0.5 --stratify group -o n.tsv || return 1
  no_leftovers n.tsv
  # A csv record spanning lines is copied whole; weights go to a column
  # named heft_weight when the header already has weight.
  printf 'click,weight,note\n1,2,"x\ny"\n0,1,plain\n1,1,"p,q"\n0,3,"m\nn\no"\n' >ml.csv
  printf 'row\tlabel\ts\n0\t1\t1\n1\t0\t2\n2\t1\t3\n3\t0\t4\n' >ml.tsv
  run csv 0 "$HEFT" select ml.csv --format csv --label click --weight weight \
    --scores ml.tsv --keep 0.5 --reweight --weight-min 0.5 -o o.csv || return 1
  printf 'click,weight,note,heft_weight\n1,1,"p,q",0.857142866\n0,3,"m\nn\no",3.42857158\n' >want.csv
  cmp -s want.csv o.csv || { say "csv output:"; cat o.csv; return 1; }
  run back 0 "$HEFT" info o.csv --format csv --label click --weight heft_weight --ignore weight || return 1
  grep -q '^rows *2$' back.out || { say "read back: $(cat back.out)"; return 1; }
}

# ---- sidecar weights (OUT.weight, --weight-file) ---------------------------

# A libsvm log of 2000 rows whose labels depend on the features, and its
# loss scores, made once and shared.
svm_log() {
  if [ ! -f "$S/x.svm" ]; then
    awk 'BEGIN { srand(7); for (i = 0; i < 2000; i++) { y = rand() < 0.3; printf "%d", y
      for (j = 1; j <= 8; j++) if (rand() < 0.5) printf " %d:1", j * 10 + (rand() < 0.5 + 0.3 * y ? 1 : 2)
      printf "\n" } }' >"$S/x.svm"
    (cd "$S" && run xscore 0 "$HEFT" score x.svm --methods loss -o xs.tsv) || return 1
  fi
  ln -sf "$S/x.svm" x.svm && ln -sf "$S/xs.tsv" xs.tsv
}

# --sample --importance on libsvm writes OUT and OUT.weight, one weight
# per kept row; training on them with --weight-file gives the very model
# (bytes) of training on the same selection written as .hds, and not the
# model of the rows without their weights.
case_select_weight_sidecar() {
  svm_log || return 1
  run imp 0 "$HEFT" select x.svm --scores xs.tsv --sample 0.3 --importance -o o.svm || return 1
  [ -f o.svm.weight ] || { say "no o.svm.weight"; return 1; }
  kept=$(sed -n 's/^kept \([0-9]*\) of 2000 rows.*/\1/p' imp.out)
  [ -n "$kept" ] && [ "$(wc -l <o.svm)" -eq "$kept" ] && [ "$(wc -l <o.svm.weight)" -eq "$kept" ] ||
    { say "kept $kept, o.svm $(wc -l <o.svm) lines, o.svm.weight $(wc -l <o.svm.weight)"; return 1; }
  grep -Fxv -f x.svm o.svm >stray.txt && { say "lines not in the input: $(head -2 stray.txt)"; return 1; }
  # 1/p >= 1 for every kept row, and not all equal.
  awk '$1 < 1 { exit 1 }' o.svm.weight || { say "a weight below 1"; return 1; }
  [ "$(sort -u o.svm.weight | wc -l)" -gt 1 ] || { say "all weights equal"; return 1; }
  grep -q 'heft train o.svm --weight-file o.svm.weight; XGBoost picks o.svm.weight up by itself; LIBLINEAR.* -W o.svm.weight' imp.out ||
    { say "how to read it: $(tail -1 imp.out)"; return 1; }
  run imph 0 "$HEFT" select x.svm --scores xs.tsv --sample 0.3 --importance -o o.hds || return 1
  run ih 0 "$HEFT" info o.hds || return 1
  run is 0 "$HEFT" info o.svm --weight-file o.svm.weight || return 1
  grep '^weight sum' ih.out >wh.txt && grep '^weight sum' is.out >ws.txt && cmp -s wh.txt ws.txt ||
    { say "weight sums differ: $(cat wh.txt) vs $(cat ws.txt)"; return 1; }
  run ta 0 "$HEFT" train o.svm --weight-file o.svm.weight -o a.heft || return 1
  run tb 0 "$HEFT" train o.hds -o b.heft || return 1
  run tc 0 "$HEFT" train o.svm -o c.heft || return 1
  cmp -s a.heft b.heft || { say "--weight-file and .hds trained different models"; return 1; }
  cmp -s a.heft c.heft && { say "the weights changed nothing"; return 1; }
  # eval reads the sidecar too: its weighted metrics are the .hds ones.
  run ev 0 "$HEFT" eval a.heft o.svm --weight-file o.svm.weight --json || return 1
  run evh 0 "$HEFT" eval a.heft o.hds --json || return 1
  run evu 0 "$HEFT" eval a.heft o.svm --json || return 1
  for k in pos_rate logloss auc; do
    [ "$(json_get ev.out $k)" = "$(json_get evh.out $k)" ] ||
      { say "eval $k: $(json_get ev.out $k) vs .hds $(json_get evh.out $k)"; return 1; }
  done
  [ "$(json_get ev.out pos_rate)" != "$(json_get evu.out pos_rate)" ] || { say "eval ignored the weights"; return 1; }
  # Compressed data, plain sidecar (builds with zlib).
  if "$HEFT" --version | grep -q '^gzip input: yes'; then
    gzip -c o.svm >o.svm.gz
    run gz 0 "$HEFT" info o.svm.gz --weight-file o.svm.weight || return 1
    grep '^weight sum' gz.out | cmp -s - wh.txt || { say "gzip: $(grep weight gz.out)"; return 1; }
  fi
  # A run without weights leaves no sidecar, and takes away a stale one.
  run keep 0 "$HEFT" select x.svm --scores xs.tsv --keep 0.5 -o o.svm || return 1
  [ ! -e o.svm.weight ] || { say "stale o.svm.weight left next to an unweighted o.svm"; return 1; }
  grep -q 'removed o.svm.weight' keep.err || { say "keep: $(cat keep.err)"; return 1; }
  [ "$(wc -l <o.svm)" -eq 1000 ] || { say "keep 0.5 wrote $(wc -l <o.svm) lines"; return 1; }
  # Input weights from --weight-file travel with the rows they belong to.
  awk '{ print (NR % 4) / 2 }' x.svm >x.w
  run all 0 "$HEFT" select x.svm --weight-file x.w --scores xs.tsv --keep 1 -o all.svm || return 1
  cmp -s x.w all.svm.weight || { say "input weights not carried over"; return 1; }
  cmp -s x.svm all.svm || { say "--keep 1 changed the rows"; return 1; }
  no_leftovers
}

# Bad sidecars and flag combinations: exit code, FILE:LINE:COL and what
# was expected, and no output left behind (nor an existing one changed).
case_select_weight_file_errors() {
  svm_log || return 1
  printf '1 1:1 2:1\n0 2:1\n1 3:1\n0 1:1\n' >t.svm
  printf '1\n2\n' >short.w
  printf '1\n2\n3\n4\n5\n' >long.w
  printf '1\n2\nx1\n4\n' >word.w
  printf '1\r\n2\r\n\t-3\r\n4\r\n' >neg.w
  printf '1\n\n3\n4\n' >blank.w
  printf '1\ninf\n3\n4\n' >inf.w
  : >errs.txt
  run both 2 "$HEFT" info t.svm --weight w --weight-file short.w || return 1
  run short 1 "$HEFT" train t.svm --weight-file short.w -o m.heft || return 1
  run long 1 "$HEFT" train t.svm --weight-file long.w -o m.heft || return 1
  run word 1 "$HEFT" train t.svm --weight-file word.w -o m.heft || return 1
  run neg 1 "$HEFT" train t.svm --weight-file neg.w -o m.heft || return 1
  run blank 1 "$HEFT" train t.svm --weight-file blank.w -o m.heft || return 1
  run inf 1 "$HEFT" train t.svm --weight-file inf.w -o m.heft || return 1
  run none 1 "$HEFT" train t.svm --weight-file none.w -o m.heft || return 1
  gzip -c short.w >gz.w
  run gzw 1 "$HEFT" train t.svm --weight-file gz.w -o m.heft || return 1
  run conv 0 "$HEFT" convert t.svm -o t.hds || return 1
  run hds 2 "$HEFT" train t.hds --weight-file short.w -o m.heft || return 1
  # audit's --weight-file weights TRAIN (text here), not an .hds TEST.
  printf '1\n2\n1\n1\n' >good.w
  run aud 0 "$HEFT" audit t.svm t.hds --weight-file good.w || return 1
  run sel 1 "$HEFT" select t.svm --weight-file word.w --sample 0.5 -o o.svm || return 1
  for n in both short long word neg blank inf none gzw hds sel; do
    echo "[$n]" >>errs.txt
    sed "s|$PWD/||g" "$n.err" >>errs.txt
  done
  expect select-weight-file-errors errs.txt || return 1
  no_leftovers m.heft o.svm o.svm.weight || return 1
  # OUT.weight cannot be put in place (a directory is in the way): neither
  # file is written, and the OUT that was there is left as it was.
  echo old >o.svm
  mkdir o.svm.weight && : >o.svm.weight/x
  run blocked 1 "$HEFT" select x.svm --scores xs.tsv --sample 0.3 --importance -o o.svm || return 1
  [ "$(cat o.svm)" = old ] || { say "o.svm was replaced"; return 1; }
  [ -f o.svm.weight/x ] || { say "o.svm.weight changed"; return 1; }
  grep -q 'o.svm.weight' blocked.err || { say "blocked: $(cat blocked.err)"; return 1; }
  rm -rf o.svm o.svm.weight
  # OUT cannot be put in place after the sidecar was: the old OUT.weight
  # comes back, and nothing else is left behind.
  mkdir o.svm && : >o.svm/x
  echo old >o.svm.weight
  run blocked2 1 "$HEFT" select x.svm --scores xs.tsv --sample 0.3 --importance -o o.svm || return 1
  [ "$(cat o.svm.weight)" = old ] || { say "old sidecar not restored: $(head -2 o.svm.weight)"; return 1; }
  [ ! -e o.svm.weight.heft-prev ] || { say "backup left behind"; return 1; }
  rm -rf o.svm o.svm.weight
  no_leftovers
}
