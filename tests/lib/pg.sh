#!/usr/bin/env bash
# tests/lib/pg.sh CMD [ARG...] - runs CMD with a throwaway PostgreSQL cluster:
# initdb in a new temporary folder, the server listening on a Unix socket in
# that folder only (no TCP port, so nothing on the machine can clash with it
# or reach it), started with pg_ctl and stopped by its PID. CMD gets
# MOTCUA_TEST_PG_URL (postgresql://motcua@/motcua?host=THE_FOLDER), a
# database "motcua" whose user "motcua" is the cluster's superuser (trust
# authentication: only this folder's socket, mode 0700, reaches it).
# PostgreSQL refuses to run as root: as root the cluster belongs to
# "nobody". The trap stops the server and removes the folder however CMD
# ends. Exits with CMD's status. Needs postgresql-15 (make test-deps).
# PG_OPTS: more "-c name=value" settings, after (so over) the test ones
# (bench/bench_ws.sh turns fsync back on).
set -u
[ $# -ge 1 ] || { echo "usage: tests/lib/pg.sh CMD [ARG...]" >&2; exit 2; }

bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
for t in initdb pg_ctl postgres createdb; do
  [ -x "$bin/$t" ] || { echo "pg.sh: $bin/$t missing (make test-deps installs postgresql-15)" >&2; exit 1; }
done

dir=$(mktemp -d /tmp/motcua-pg-XXXXXX) || exit 1
pid=""
as=()
if [ "$(id -u)" = 0 ]; then
  chown nobody "$dir" || exit 1
  as=(runuser -u nobody --)
fi
chmod 0700 "$dir"

cleanup() {
  # the server may have been restarted (tests/e2e/cluster.test.js): its PID now
  [ -f "$dir/data/postmaster.pid" ] && pid=$(head -1 "$dir/data/postmaster.pid")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -INT "$pid" 2>/dev/null # "fast" shutdown: roll back, close, exit
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"${as[@]}" "$bin/initdb" -D "$dir/data" -U motcua --auth=trust -E UTF8 --locale=C.UTF-8 \
  >"$dir/initdb.log" 2>&1 || { echo "pg.sh: initdb failed:" >&2; cat "$dir/initdb.log" >&2; exit 1; }
# a test cluster: small, no TCP, durability off (a crash loses only a test's data)
# the server's options, kept for a test that stops and starts it again (pg_ctl -o "$(cat ...)")
opts="-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off \
  -c synchronous_commit=off -c full_page_writes=off -c max_connections=40 -c shared_buffers=16MB ${PG_OPTS:-}"
printf '%s\n' "$opts" >"$dir/pg_ctl.opts"
"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 -o "$opts" start >/dev/null ||
  { echo "pg.sh: the server did not start:" >&2; cat "$dir/server.log" >&2; exit 1; }
pid=$(head -1 "$dir/data/postmaster.pid")
"${as[@]}" "$bin/createdb" -h "$dir" -U motcua motcua || { echo "pg.sh: createdb failed" >&2; exit 1; }

export MOTCUA_TEST_PG_URL="postgresql://motcua@/motcua?host=$dir"
"$@"
