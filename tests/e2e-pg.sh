#!/usr/bin/env bash
# tests/e2e-pg.sh [NODE-TEST-ARG...] - the end-to-end suite on PostgreSQL (issue 18, `make
# test-e2e-pg`): the e2e files run under tests/lib/pg.sh (one throwaway cluster for the run),
# where tests/e2e/lib/server.js gives every server its own fresh database on that cluster
# (MOTCUA_DATA_STATE_URL) instead of a SQLite file, and stateQuery() reads the state with psql.
# Prints "e2e-pg: N passed, N failed (...)" and exits non-zero when N failed is not 0.
# Arguments: node --test options (e.g. --test-reporter=tap); test files, if given, replace
# the list below.
set -u
cd "$(dirname "$0")/.."

# Left out of the PostgreSQL pass, each for a reason about SQLite itself or already covered:
skip=(
  cluster.test.js        # already on PostgreSQL in the normal pass (its own cluster, two nodes)
  cluster-notify.test.js # the same: its own cluster, two nodes and their notifications
  cluster-outbox.test.js # the same: its own cluster, two nodes, a node killed under webhook load
  cluster-race.test.js   # the same: its own cluster, two nodes saving one session at once
  webhooks-commit.test.js # the same: its own cluster, commits made slow or failing by triggers
  outbox-uncommitted.test.js # the same: its own cluster, commits failing by a trigger under load
  officer-commit.test.js  # the same: its own cluster, officers' commits made slow or failing
  teach-commit.test.js    # the same: its own cluster, teaching's commits made slow or failing
  purge-commit.test.js    # the same: its own cluster, the retention purge's commit made slow
  crash.test.js          # SQLite's durability: kills a server and reads the file's WAL with sqlite3
  crash-mixed.test.js    # the same with PRAGMA integrity_check and rowid order of the SQLite file
  deploy.test.js         # the packaged install with its own SQLite paths; not the store
)

opts=() files=()
for a in "$@"; do
  case "$a" in
    -*) opts+=("$a") ;;
    *) files+=("$a") ;;
  esac
done
if [ ${#files[@]} -eq 0 ]; then
  for f in tests/e2e/*.test.js; do
    b=$(basename "$f") keep=1
    for s in "${skip[@]}"; do [ "$b" = "$s" ] && keep=0; done
    [ "$keep" = 1 ] && files+=("$f")
  done
fi

tests/lib/pg.sh tests/node-test.sh "${opts[@]}" "${files[@]}" 2>&1 |
  sed -u 's/^e2e: \([0-9]* passed, [0-9]* failed\)/e2e-pg: \1/'
exit "${PIPESTATUS[0]}"
