#!/usr/bin/env bash
# tests/e2e-files.sh [--pg] [--timing | --no-timing] - prints e2e test files, one a line.
#   (no option)   every tests/e2e/*.test.js
#   --pg          those of the PostgreSQL pass (tests/e2e-pg.sh): all but the files left out
#                 below, each for its reason
#   --timing      only the files that assert how long something took (a bound in milliseconds)
#   --no-timing   all but those
#   --no-asan     leaves out the files of the Makefile's ASAN_E2E (make print-asan-e2e): the
#                 SQLite pass of tests/run-all.sh runs those against the ASan+UBSan server
#                 instead of the release one (the same assertions, and the PostgreSQL pass still
#                 runs them against the release server), not twice
# tests/run-all.sh runs the "timing" files alone, after its parallel lanes (README, "Tests"):
# another lane's load on the 2 cores must not be what fails a bound, and a bound is never
# loosened to make room for it.
set -u
cd "$(dirname "$0")/.."

# Left out of the PostgreSQL pass, each for a reason about SQLite itself or already covered:
pg_skip=(
  cluster.test.js            # already on PostgreSQL in the normal pass (its own cluster, two nodes)
  cluster-notify.test.js     # the same: its own cluster, two nodes and their notifications
  cluster-outbox.test.js     # the same: its own cluster, two nodes, a node killed under webhook load
  cluster-race.test.js       # the same: its own cluster, two nodes saving one session at once
  webhooks-commit.test.js    # the same: its own cluster, commits made slow or failing by triggers
  outbox-uncommitted.test.js # the same: its own cluster, commits failing by a trigger under load
  officer-commit.test.js     # the same: its own cluster, officers' commits made slow or failing
  teach-commit.test.js       # the same: its own cluster, teaching's commits made slow or failing
  purge-commit.test.js       # the same: its own cluster, the retention purge's commit made slow
  crash.test.js              # SQLite's durability: kills a server and reads the file's WAL with sqlite3
  crash-mixed.test.js        # the same with PRAGMA integrity_check and rowid order of the SQLite file
  deploy.test.js             # the packaged install with its own SQLite paths; not the store
)

# The files with a bound in milliseconds on something the test timed (grep for "ms <" and the
# like); each line names its bound:
timing=(
  admin.test.js           # a turn waits < 200 ms while a phrase is taught
  bench_smoke.test.js     # a delayed round trip < 2 x delay + 400 ms
  cluster-notify.test.js  # a pushed event's median and worst well under the 250 ms poll
  cluster-outbox.test.js  # a send the platform never answers ends within the lease
  limits.test.js          # answers in < 1,000 ms under the connection limit
  officer-commit.test.js  # /healthz < 700 ms during a slow commit
  share.test.js           # /healthz < half a picture's drawing time
  teach-busy.test.js      # refused in < 400 ms, not after a build
  teach-commit.test.js    # /healthz < 700 ms during a slow commit
  webhooks-commit.test.js # /healthz < 700 ms during a slow commit
)

pg=0 mode=all asan=()
for a in "$@"; do
  case "$a" in
    --pg) pg=1 ;;
    --timing) mode=timing ;;
    --no-timing) mode=rest ;;
    --no-asan)
      read -r -a asan < <(make --no-print-directory -s print-asan-e2e) &&
        [ "${#asan[@]}" -gt 0 ] || { echo "e2e-files.sh: make print-asan-e2e gave no list" >&2; exit 1; }
      asan=("${asan[@]/%/.test.js}") ;;
    *) echo "e2e-files.sh: unknown option \"$a\" (--pg, --timing, --no-timing, --no-asan)" >&2; exit 2 ;;
  esac
done

in_list() { # NAME LIST...: whether NAME is one of LIST
  local n=$1 x; shift
  for x in "$@"; do [ "$x" = "$n" ] && return 0; done
  return 1
}

for f in tests/e2e/*.test.js; do
  b=$(basename "$f")
  [ "$pg" = 1 ] && in_list "$b" "${pg_skip[@]}" && continue
  [ "${#asan[@]}" -gt 0 ] && in_list "$b" "${asan[@]}" && continue
  case "$mode" in
    timing) in_list "$b" "${timing[@]}" || continue ;;
    rest) in_list "$b" "${timing[@]}" && continue ;;
  esac
  echo "$f"
done
# a name in a list that is not a file is a mistake, not a file quietly run elsewhere
for b in "${pg_skip[@]}" "${timing[@]}" "${asan[@]}"; do
  [ -f "tests/e2e/$b" ] || { echo "e2e-files.sh: tests/e2e/$b is listed but does not exist" >&2; exit 1; }
done
