#!/usr/bin/env bash
# tests/report/check.sh BUILD_DIR [RUN_DIR]: builds the report of RUN_DIR
# (default: the fixtures next to this script) and opens it in headless
# Chromium. Passes when every <svg class="chart"> rendered with a
# non-empty box and visible marks, no name from the data ran as script,
# and the page logged no error; saves a screenshot of the page in the
# temporary directory (and to $HEFT_REPORT_SHOT when set).
#
# Exit status: 0 pass, 1 fail, 77 when no Chromium is installed (the
# caller reports a skip; .ci/run installs it, so CI always runs this).
set -u
B=$(cd "${1:-build}" && pwd) || exit 1
HERE=$(cd "$(dirname "$0")" && pwd)
RUN=${2:-$HERE/fixtures}
CHROME=${CHROMIUM:-}
for c in chromium chromium-browser google-chrome; do
  [ -n "$CHROME" ] && break
  command -v "$c" >/dev/null 2>&1 && CHROME=$(command -v "$c")
done
if [ -z "$CHROME" ]; then
  echo "check.sh: no chromium found (apt-get install chromium)" >&2
  exit 77
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/heft-report-XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
fail() { echo "check.sh: $*" >&2; exit 1; }

"$B/heft" report "$RUN" -o "$T/report.html" --json "$T/report.json" -q ||
  fail "heft report failed"
charts=$(grep -o '<svg class="chart"' "$T/report.html" | wc -l)
[ "$charts" -gt 0 ] || fail "the page has no chart"
json_charts=$(grep -o '"kind":"' "$T/report.json" | wc -l)
[ "$charts" -eq "$json_charts" ] ||
  fail "$charts charts on the page but $json_charts in the JSON"
# Self-contained: nothing to fetch, no script of its own.
if grep -Eo '(src|href)="[a-z]+:|url\(http|@import|<script|<link' "$T/report.html" | grep -v 'href="#' | head -3 | grep -q .; then
  fail "the page refers to outside resources or has a script"
fi

# The probe: a copy of the page with a script first in <head> that records
# errors (window.onerror and console.error/warn), and one last in <body>
# that measures every chart and writes the verdict into the DOM.
probe_head='<script>window.__errs=[];window.addEventListener("error",function(e){__errs.push("error: "+e.message)});["error","warn"].forEach(function(k){var o=console[k];console[k]=function(){__errs.push(k+": "+Array.prototype.join.call(arguments," "));o.apply(console,arguments)}});</script>'
probe_tail='<script>(function(){var bad=[],cs=document.querySelectorAll("svg.chart");cs.forEach(function(s,i){var name=(s.querySelector("title")||{}).textContent||"";var r=s.getBoundingClientRect();if(!(r.width>50&&r.height>50))bad.push("chart "+(i+1)+" ("+name+") has an empty box");var drawn=0;s.querySelectorAll(".mk").forEach(function(m){var b=m.getBBox();if(b.width>0||b.height>0)drawn++});if(!drawn)bad.push("chart "+(i+1)+" ("+name+") drew no marks");if(s.querySelectorAll("text").length<5)bad.push("chart "+(i+1)+" ("+name+") lacks axis labels")});if(window.__pwned)bad.push("a name from the data ran as script");var n=document.querySelectorAll("script").length;if(n!==2)bad.push(n+" script elements, expected only the 2 of the probe");bad=bad.concat(window.__errs);var v=document.createElement("pre");v.id="heft-verdict";v.textContent="VER"+"DICT "+(bad.length?"FAIL":"PASS")+" charts="+cs.length+(bad.length?" "+bad.join("; "):"");document.body.appendChild(v)})();</script>'
# (index/substr, not sub(): '&' in a replacement means the match.)
PH=$probe_head PT=$probe_tail awk '
  function put(s, tag, add, before,   i) {
    i = index(s, tag)
    if (!i) return s
    return before ? substr(s, 1, i - 1) add substr(s, i) : substr(s, 1, i + length(tag) - 1) add substr(s, i + length(tag))
  }
  { $0 = put($0, "<head>", ENVIRON["PH"], 0); $0 = put($0, "</body>", ENVIRON["PT"], 1); print }' \
  "$T/report.html" >"$T/probe.html"
grep -q '__errs' "$T/probe.html" && grep -q 'heft-verdict' "$T/probe.html" ||
  fail "could not insert the probe into the page"

CHROME_FLAGS="--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --hide-scrollbars --user-data-dir=$T/profile"
export HOME="$T"
timeout 120 "$CHROME" $CHROME_FLAGS --enable-logging=stderr --v=0 \
  --dump-dom "file://$T/probe.html" >"$T/dom.html" 2>"$T/chrome.err"
rc=$?
[ "$rc" -eq 0 ] || { tail -5 "$T/chrome.err" >&2; fail "chromium --dump-dom exited $rc"; }
verdict=$(grep -o 'VERDICT [^<]*' "$T/dom.html" | head -1)
[ -n "$verdict" ] || fail "no verdict in the rendered page (did the probe run?)"
case $verdict in
  "VERDICT PASS charts=$charts") ;;
  *) fail "$verdict (page had $charts charts)" ;;
esac
# Console messages from the page itself, as Chromium logs them.
if grep -E 'CONSOLE.*(file://|"Uncaught)' "$T/chrome.err" | head -3 | grep -q .; then
  grep -E 'CONSOLE' "$T/chrome.err" | head -3 >&2
  fail "the page logged to the console"
fi

# The screenshot of the page as shipped (not the probe).
timeout 120 "$CHROME" $CHROME_FLAGS --window-size=1400,4000 \
  --screenshot="$T/report.png" "file://$T/report.html" >/dev/null 2>"$T/shot.err" ||
  fail "chromium --screenshot failed: $(tail -2 "$T/shot.err")"
[ "$(head -c 4 "$T/report.png" | od -An -c | tr -d ' ')" = '211PNG' ] ||
  fail "the screenshot is not a PNG"
[ "$(wc -c <"$T/report.png")" -gt 20000 ] || fail "the screenshot is nearly empty"
if [ -n "${HEFT_REPORT_SHOT:-}" ]; then
  cp "$T/report.png" "$HEFT_REPORT_SHOT" || fail "cannot copy the screenshot to $HEFT_REPORT_SHOT"
fi
echo "check.sh: $charts charts rendered, no console errors; screenshot $(wc -c <"$T/report.png") bytes"
