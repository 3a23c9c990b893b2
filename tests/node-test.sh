#!/usr/bin/env bash
# Runs node's test runner one file at a time on any Node.js >= 18.15 (Debian 12
# ships 18.19, where --test-concurrency does not exist yet and files already
# run one by one on a 2-core machine), then prints one line
#   e2e: N passed, N failed (fail F, cancelled C, skipped S, todo T, node exit X)
# from node's own TAP summary and exits non-zero when N failed is not 0.
# A cancelled, skipped or todo test counts as failed (the suite has no
# deliberate skips: a test that did not run proved nothing); so do a non-zero
# node exit with no failure counted, a missing summary and a run of 0 tests.
# Arguments are node --test options (a --test-reporter=NAME chooses what goes
# to stdout, spec by default) and test files.
set -u
flags=()
if node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a===20&&b>=10)?0:1)'; then
  flags+=(--test-concurrency=1)
fi
reporter=spec args=()
for a in "$@"; do
  case "$a" in
    --test-reporter=*) reporter=${a#--test-reporter=} ;;
    *) args+=("$a") ;;
  esac
done
tap=$(mktemp "${TMPDIR:-/tmp}/motcua-node-test.XXXXXX") || exit 1
trap 'rm -f "$tap"' EXIT
node --test "${flags[@]}" --test-reporter="$reporter" --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" "${args[@]}"
rc=$?
count() { sed -n "s/^# $1 \([0-9][0-9]*\)\$/\1/p" "$tap" | tail -1; }
tests=$(count tests) pass=$(count pass) fail=$(count fail)
cancelled=$(count cancelled) skipped=$(count skipped) todo=$(count todo)
why=""
if [ -z "$pass" ] || [ -z "$fail" ] || [ -z "$tests" ]; then
  why="no TAP summary from node (crashed or killed?)"
  pass=${pass:-0} fail=${fail:-0} tests=${tests:-0}
fi
cancelled=${cancelled:-0} skipped=${skipped:-0} todo=${todo:-0}
failed=$((fail + cancelled + skipped + todo))
[ -z "$why" ] && [ "$tests" -eq 0 ] && why="no test ran"
[ -z "$why" ] && [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ] && why="node exited $rc with no failed test counted"
[ -z "$why" ] && [ $((pass + failed)) -ne "$tests" ] && why="summary does not add up: $tests tests"
[ -n "$why" ] && { echo "e2e: $why" >&2; failed=$((failed + 1)); }
echo "e2e: $pass passed, $failed failed (fail $fail, cancelled $cancelled, skipped $skipped, todo $todo, node exit $rc)"
[ "$failed" -eq 0 ]
