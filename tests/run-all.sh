#!/usr/bin/env bash
# The whole suite behind `make test`: unit tests (cmocka), the knowledge-base
# check, end-to-end and browser tests against the real server (node:test),
# the understanding regression gate, the compose-file check, then the unit
# tests again under ASan+UBSan. Ends with one line "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
P=0 F=0
add() { P=$((P + $1)); F=$((F + $2)); }
step() { # step NAME COMMAND...: one pass or one failure
  local name=$1; shift
  if "$@"; then echo "ok   $name"; add 1 0; else echo "FAIL $name"; add 0 1; fi
}

# 1. unit tests
out=$(tests/run-unit.sh "$BUILD/tests" 2>&1); echo "$out"
line=$(printf '%s\n' "$out" | sed -n 's/^unit: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
add ${line:-0 1}

# 2. end-to-end and browser tests (node:test, TAP counts)
make --no-print-directory node-deps >/dev/null || add 0 1
out=$(MOTCUA_BIN="$PWD/$BUILD/motcua" MOTCUA_DB="$PWD/$BUILD/motcua.db" \
      timeout 900 tests/node-test.sh --test-reporter=tap tests/e2e/*.test.js 2>&1)
printf '%s\n' "$out" | grep -E '^(not ok|ok|# (tests|pass|fail))|^\s+(error|expected|actual|message):|^\s+---' | head -400
p=$(printf '%s\n' "$out" | sed -n 's/^# pass \([0-9]*\)$/\1/p' | tail -1)
f=$(printf '%s\n' "$out" | sed -n 's/^# fail \([0-9]*\)$/\1/p' | tail -1)
[ -z "$p" ] && { echo "$out" | tail -40; f=$((${f:-0} + 1)); }
add "${p:-0}" "${f:-0}"

# 3. understanding must not regress (issue 3 gate: in-scope >= 0.90 on dev.tsv)
if [ -f ../shared/eval/dev.tsv ]; then
  step "eval dev.tsv (in-scope >= 0.90)" sh -c "$BUILD/motcua eval --min-inscope 0.90 ../shared/eval/dev.tsv | tail -1"
fi

# 4a. the C sources follow .clang-format
step "clang-format" make --no-print-directory -s check-fmt

# 4. docker-compose.yml parses and names what it must (no Docker engine here)
step "docker-compose.yml valid" /usr/bin/python3 tests/check_compose.py docker-compose.yml

# 5. the same unit tests under AddressSanitizer + UndefinedBehaviorSanitizer
if [ "${MOTCUA_SKIP_ASAN:-0}" != 1 ]; then
  if make --no-print-directory test-asan >/tmp/motcua-asan.log 2>&1; then
    line=$(sed -n 's/^unit: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' /tmp/motcua-asan.log)
    echo "ok   unit tests under ASan+UBSan ($line)"; add 1 0
  else
    tail -60 /tmp/motcua-asan.log; echo "FAIL unit tests under ASan+UBSan"; add 0 1
  fi
fi

echo "$P passed, $F failed"
[ "$F" -eq 0 ]
