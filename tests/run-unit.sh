#!/usr/bin/env bash
# Runs every cmocka unit-test binary in $1 (optionally under $VALGRIND) and
# prints "unit: N passed, N failed" from cmocka's own counts. Each of these
# is a failure too: a tests/unit/test_*.c without its binary (or a missing
# folder), a binary that exits non-zero (crash, sanitizer or valgrind report)
# with no failed test counted, a binary that ran 0 tests, a skipped test.
set -u
dir=${1:?usage: run-unit.sh BUILD/tests}
root=$(cd "$(dirname "$0")/.." && pwd)
passed=0 failed=0
if [ ! -d "$dir" ]; then
  echo "FAIL $dir: no such folder (build the unit tests first)"
  failed=$((failed + 1))
fi
for src in "$root"/tests/unit/test_*.c; do
  name=$(basename "$src" .c)
  t=$dir/$name
  if [ ! -x "$t" ]; then
    [ -d "$dir" ] && echo "FAIL $name: $t missing"
    failed=$((failed + 1))
    continue
  fi
  out=$(cd "$root" && ${VALGRIND:-} "$t" 2>&1)
  rc=$?
  p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
  f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
  s=$(printf '%s\n' "$out" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' | tail -1)
  p=${p:-0} f=$((${f:-0} + ${s:-0}))
  why=""
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    why="exit $rc with no failed test counted (crash or sanitizer report)"
  elif [ "$rc" -eq 0 ] && [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
    why="0 tests ran"
  fi
  [ -n "$why" ] && f=$((f + 1))
  passed=$((passed + p)) failed=$((failed + f))
  if [ "$f" -ne 0 ]; then
    printf '%s\n' "$out"
    echo "FAIL $name (exit $rc, $p passed, $f failed${why:+: $why})"
  else
    echo "ok   $name: $p passed"
  fi
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
