#!/usr/bin/env bash
# Runs every cmocka unit-test binary in $1 (optionally under $VALGRIND) and
# prints "unit: N passed, N failed" from cmocka's own counts.
set -u
dir=${1:?usage: run-unit.sh BUILD/tests}
passed=0 failed=0 crashed=0
for t in "$dir"/test_*; do
  [ -x "$t" ] || continue
  case "$t" in *.d) continue ;; esac
  out=$(cd "$(dirname "$0")/.." && ${VALGRIND:-} "$t" 2>&1)
  rc=$?
  p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
  f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
  p=${p:-0} f=${f:-0}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1 crashed=$((crashed + 1)) # a crash or sanitizer report is a failure, not "0 failed"
  fi
  passed=$((passed + p)) failed=$((failed + f))
  if [ "$rc" -ne 0 ]; then printf '%s\n' "$out"; echo "FAIL $(basename "$t") (exit $rc)"; else echo "ok   $(basename "$t"): $p passed"; fi
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
