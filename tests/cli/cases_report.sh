# tests/cli/cases_report.sh: `heft report` and the calibration bins of
# `heft eval --json` (sourced by tests/cli/run.sh; its helpers apply).

REPORT_FIX="$HERE/../report/fixtures"

# The fixtures of every run kind: one self-contained page, the charts and
# sections pinned by title, names from the data escaped, JSON for machines.
case_report_fixtures() {
  run rep 0 "$HEFT" report "$REPORT_FIX" -o r.html --json r.json || return 1
  grep -q '^report: wrote r.html and r.json$' rep.err || { say "summary: $(cat rep.err)"; return 1; }
  [ "$(grep -o '<svg class="chart"' r.html | wc -l)" -eq 24 ] ||
    { say "$(grep -o '<svg class="chart"' r.html | wc -l) charts, expected 24"; return 1; }
  if grep -Eq '<script|<link|<img|(src|href)="(https?|file):' r.html; then
    say "the page has a script or an outside resource"; return 1
  fi
  grep -q '&lt;script&gt;window.__pwned=1&lt;/script&gt;&amp;amp;&quot;q&quot;&#39;' r.html ||
    { say "the hostile field name is not shown escaped"; return 1; }
  # Sections and charts, in order, as the JSON names them.
  grep -o '"title":"[^"]*"' r.json | sed 's/^"title"://' >titles.txt
  expect report-fixtures-titles titles.txt || return 1
  command -v python3 >/dev/null || return 0
  python3 - r.json <<'PY' || { say "bad JSON numbers"; return 1; }
import json, sys
d = json.load(open(sys.argv[1]))
assert d["command"] == "report" and len(d["sections"]) == 13
sec = {s.get("command"): s for s in d["sections"]}
prune = sec["bench prune"]["charts"][0]
assert [s["name"] for s in prune["series"]] == ["loss", "oob", "random", "negatives"]
assert abs(prune["refs"][0]["at"] - 0.74) < 1e-12 and abs(prune["refs"][0]["band"][0] - 0.74 * 0.999) < 1e-12
t = sec["bench prune"]["tables"][0]
assert t["rows"][0] == ["loss", 0.4, 0.003] and t["rows"][2][1] == "none", t["rows"]
noise = sec["bench noise"]
assert noise["tables"][0]["rows"][0][2] == [0.43, 0.47]
assert len(noise["charts"][0]["series"][0]["x"]) == 51
# --decompose: recovered shares (all / planted only / clean only) as bars
# and as table columns, the random row without them.
rec = noise["charts"][2]
assert [s["y"] for s in rec["series"]] == [[-0.89, 0.73, 0.8], [0.56, 1.17, 1.03], [-1.76, 0.2, -0.07]]
assert rec["refs"][0]["at"] == 0.5
cols = noise["tables"][0]["columns"]
row = dict(zip(cols[9:16], noise["tables"][0]["rows"][0][9:16]))
assert row["recovered (planted)"] == 0.56 and row["95% CI"] == [0.6522, 0.6622], row
assert noise["tables"][0]["rows"][3][9:16] == ["-"] * 7
ev = sec["eval"]["charts"][0]["series"][1]
assert ev["x"][0] == 0.05 and ev["y"][9] == 0.875
PY
}

# A syntax error names file:line:col; nothing is written, nothing clobbered.
case_report_bad_json() {
  mkdir run && cp "$REPORT_FIX"/prune.json "$REPORT_FIX"/eval.json run/ || return 1
  sed -i '3s/$/,/' run/prune.json
  echo old >r.html
  run bad 1 "$HEFT" report run -o r.html --json r.json || return 1
  expect report-bad-json bad.err || return 1
  [ "$(cat r.html)" = old ] || { say "report clobbered r.html"; return 1; }
  no_leftovers r.json || return 1
  # A value of the wrong kind: its own line and column.
  cp "$REPORT_FIX"/prune.json run/prune.json
  sed -i 's/^ "fractions": \[$/ "fractions": "0.1..1", "x": [/' run/prune.json
  run type 1 "$HEFT" report run -o r2.html || return 1
  expect report-wrong-type type.err || return 1
  no_leftovers r2.html
}

case_report_usage() {
  run noout 2 "$HEFT" report "$REPORT_FIX" || return 1
  run same 2 "$HEFT" report "$REPORT_FIX" -o a.html --json a.html || return 1
  run nodir 1 "$HEFT" report nosuch -o a.html || return 1
  grep -q '^heft: nosuch: cannot read the run directory' nodir.err || { say "$(cat nodir.err)"; return 1; }
  mkdir empty && echo hi >empty/notes.txt
  run empty 1 "$HEFT" report empty -o a.html || return 1
  expect report-empty-dir empty.err || return 1
  no_leftovers a.html
}

# The page renders in headless Chromium: every chart drawn, no console
# error; a screenshot is taken. Skipped (return 77, counted as skipped)
# only without Chromium.
case_report_chromium() {
  # The fixtures (every kind of run), then a run the real commands wrote
  # (heft demo); the screenshots stay in the build directory.
  HEFT_REPORT_SHOT="$B/report-fixtures.png" "$HERE/../report/check.sh" "$B" >chk.out 2>chk.err
  local rc=$?
  if [ "$rc" -eq 77 ]; then
    echo "  SKIP case_report_chromium: $(cat chk.err)"
    return 77
  fi
  [ "$rc" -eq 0 ] || { say "check.sh: $(tail -3 chk.err)"; return 1; }
  grep -q 'charts rendered' chk.out || { say "check.sh said: $(cat chk.out)"; return 1; }
  run demo 0 "$HEFT" demo --rows 20000 --dir d || return 1
  HEFT_REPORT_SHOT="$B/report-demo.png" "$HERE/../report/check.sh" "$B" d/run >chk2.out 2>chk2.err ||
    { say "check.sh on the demo run: $(tail -3 chk2.err)"; return 1; }
  grep -q 'charts rendered' chk2.out || { say "check.sh said: $(cat chk2.out)"; return 1; }
}

# `eval --json` carries its settings and the reliability diagram's bins:
# the bins hold every row, and give back the ECE that eval reports.
case_report_eval_bins() {
  lr_model || return 1
  run ev 0 "$HEFT" eval m.heft g.tsv --json || return 1
  grep -q '^{"heft":"[^"]*","command":"eval","settings":{"model":"m.heft","data":"g.tsv",' ev.out ||
    { say "no envelope: $(head -c 200 ev.out)"; return 1; }
  command -v python3 >/dev/null || return 0
  python3 - ev.out <<'PY' || { say "bins disagree with the metrics: $(cat ev.out)"; return 1; }
import json, sys
d = json.load(open(sys.argv[1]))
b = d["calibration_bins"]
assert len(b["pred"]) == len(b["obs"]) == len(b["n"]) == d["settings"]["bins"] == 10
assert sum(b["n"]) == d["rows"] == 5000
ece = sum(n * abs(p - o) for p, o, n in zip(b["pred"], b["obs"], b["n"]) if n) / d["rows"]
assert abs(ece - d["ece"]) < 1e-6, (ece, d["ece"])
pos = sum(n * o for o, n in zip(b["obs"], b["n"]) if n) / d["rows"]
assert abs(pos - d["pos_rate"]) < 1e-6, (pos, d["pos_rate"])
for k, (p, n) in enumerate(zip(b["pred"], b["n"])):
    assert (p is None) == (n == 0) and (p is None or k / 10 <= p <= (k + 1) / 10), (k, p)
PY
}

# The real producers' files, as a run directory: score, eval, bench noise.
case_report_from_commands() {
  lr_model || return 1
  mkdir run
  run sc 0 "$HEFT" score g.tsv $GEN_FLAGS --methods loss,margin -o run/scores.tsv || return 1
  run ev 0 "$HEFT" eval m.heft g.tsv --json || return 1
  cp ev.out run/eval.json
  run bn 0 "$HEFT" bench noise g.tsv $GEN_FLAGS --methods loss --seeds 1 --json || return 1
  cp bn.out run/noise.json
  cp g.tsv run/train.tsv # data, not a run file: ignored
  run rep 0 "$HEFT" report run -o r.html --json r.json || return 1
  grep -q 'Scores of loss by label' r.html || { say "no loss histogram"; return 1; }
  grep -q 'Calibration (reliability diagram)' r.html || { say "no reliability diagram"; return 1; }
  grep -q 'AUROC of detecting flipped rows' r.html || { say "no noise section"; return 1; }
  [ "$(grep -c '"source":"run/train.tsv"' r.json)" -eq 0 ] || { say "train.tsv was read"; return 1; }
  command -v python3 >/dev/null || return 0
  python3 - r.json ev.out <<'PY' || { say "the diagram differs from eval's bins"; return 1; }
import json, sys
r, e = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
c = [s for s in r["sections"] if s.get("command") == "eval"][0]["charts"][0]
m = c["series"][1]
b = e["calibration_bins"]
same = lambda a, b: all((x is None and y is None) or abs(x - y) < 1e-9 for x, y in zip(a, b))
assert same(m["x"], b["pred"]) and same(m["y"], b["obs"])
PY
}

# `bench noise --test --decompose` as the report shows it: the recovery
# bars and the columns carry the bench document's numbers; without
# --decompose the section has neither.
case_report_noise_decompose() {
  run gtr 0 "$HEFT" gen -o tr.tsv --rows 3000 --seed 11 || return 1
  run gte 0 "$HEFT" gen -o te.tsv --rows 1500 --seed 12 || return 1
  local f="--format tsv --label click --group query_id --seeds 0 --resamples 40 --quiet"
  mkdir dec plain
  run bd 0 "$HEFT" bench noise tr.tsv $f --test te.tsv --methods loss --decompose --json || return 1
  cp bd.out dec/noise.json
  run bp 0 "$HEFT" bench noise tr.tsv $f --test te.tsv --methods loss --json || return 1
  cp bp.out plain/noise.json
  run rd 0 "$HEFT" report dec -o d.html --json d.json || return 1
  run rp 0 "$HEFT" report plain -o p.html --json p.json || return 1
  grep -q 'Share of the lost AUC recovered' d.html || { say "no recovery chart"; return 1; }
  grep -q 'recovered (clean)' d.html || { say "no decomposition columns"; return 1; }
  if grep -q 'recovered' p.html p.json; then say "decomposition shown without --decompose"; return 1; fi
  command -v python3 >/dev/null || return 0
  python3 - bd.out d.json <<'PY' || { say "the report differs from the bench run"; return 1; }
import json, sys
b, r = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
m = b["methods"]["loss"]
sec = [s for s in r["sections"] if s.get("command") == "bench noise"][0]
bars = [c for c in sec["charts"] if c["kind"] == "bars" and len(c["series"]) == 3][0]
near = lambda x, y: (x is None and y is None) or abs(x - y) < 1e-9
for s, sfx in zip(bars["series"], ("", "_true_flags", "_false_flags")):
    assert near(s["y"][0], m["recovered" + sfx]), (s, sfx)
t = sec["tables"][0]
row = t["rows"][0]
assert row[0] == "loss" and len(t["columns"]) == 18
assert near(row[10], m["test_auc_true_flags"]) and row[11] == m["test_auc_true_flags_ci"]
assert near(row[13], m["test_auc_false_flags"]) and row[14] == m["test_auc_false_flags_ci"]
PY
}

# A prune run without normalized entropy gets its AUC chart only, not an
# empty NE chart.
case_report_prune_without_ne() {
  mkdir run
  cat > run/prune.json <<'JSON'
{"heft":"0.1.0","command":"bench prune","settings":{"data":"x"},"fractions":[0.5,1],
 "full":{"auc":0.75},"curves":{"random":{"auc":[0.74,0.75]},"negatives":{"auc":[0.745,0.75]}}}
JSON
  run rp 0 "$HEFT" report run -o r.html || return 1
  n=$(grep -o '<svg class="chart"' r.html | wc -l)
  [ "$n" -eq 1 ] || { say "$n charts, expected the AUC chart only"; return 1; }
}
