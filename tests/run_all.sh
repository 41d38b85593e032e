#!/usr/bin/env bash
# Runs every test: the unit tests, the fuzz corpora replayed through each
# target, and the CLI tests. Closes with one "N passed, N failed" line that
# adds them up.
set -u
B=${1:-build}
pass=0 fail=0 skip=0
out=$("./$B/heft-tests" 2>&1); rc=$?
printf '%s\n' "$out" | grep -v ' passed, ' >&2
line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -1)
if [ -n "$line" ]; then
  set -- $line
  pass=$((pass + $1)); fail=$((fail + $3)); skip=$((skip + ${5:-0}))
fi
# A non-zero exit with no failed test (LeakSanitizer reports after the
# closing line, a crash before it) is a failure too.
if [ $rc -ne 0 ] && { [ -z "$line" ] || [ "$3" -eq 0 ]; }; then
  echo "FAIL heft-tests exited with status $rc" >&2; fail=$((fail + 1))
fi
for f in "$B"/fuzz/*-replay; do
  [ -e "$f" ] || continue
  n=$(basename "$f" -replay)
  if [ -d "fuzz/corpus/$n" ] && "$f" "fuzz/corpus/$n" >/dev/null 2>&1; then
    pass=$((pass + 1))
  else
    echo "FAIL fuzz replay $n" >&2; fail=$((fail + 1))
  fi
done
if [ -x tests/cli/run.sh ]; then
  out=$(tests/cli/run.sh "$B" 2>&1)
  printf '%s\n' "$out" | grep -v ' passed, ' >&2
  line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -1)
  if [ -n "$line" ]; then
    set -- $line
    pass=$((pass + $1)); fail=$((fail + $3)); skip=$((skip + ${5:-0}))
  else
    fail=$((fail + 1))
  fi
fi
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
