#!/usr/bin/env bash
# tests/e2e-pg.sh [NODE-TEST-ARG...] - the end-to-end suite on PostgreSQL (issue 18, `make
# test-e2e-pg`): the e2e files run under tests/lib/pg.sh (one throwaway cluster for the run),
# where tests/e2e/lib/server.js gives every server its own fresh database on that cluster
# (MOTCUA_DATA_STATE_URL) instead of a SQLite file, and stateQuery() reads the state with psql.
# Prints "e2e-pg: N passed, N failed (...)" and exits non-zero when N failed is not 0.
# Arguments: node --test options (e.g. --test-reporter=tap); test files, if given, replace
# `tests/e2e-files.sh --pg`.
set -u
cd "$(dirname "$0")/.."

# The files left out of this pass, each with its reason, are listed in tests/e2e-files.sh.

opts=() files=()
for a in "$@"; do
  case "$a" in
    -*) opts+=("$a") ;;
    *) files+=("$a") ;;
  esac
done
if [ ${#files[@]} -eq 0 ]; then
  list=$(tests/e2e-files.sh --pg) || exit 1
  mapfile -t files <<<"$list"
fi

tests/lib/pg.sh tests/node-test.sh "${opts[@]}" "${files[@]}" 2>&1 |
  sed -u 's/^e2e: \([0-9]* passed, [0-9]* failed\)/e2e-pg: \1/'
exit "${PIPESTATUS[0]}"
