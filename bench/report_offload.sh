#!/usr/bin/env bash
# bench/report_offload.sh - what the admin report costs the event loop on PostgreSQL, with the
# report on the loop (data.state_readers 0) and on a reader thread (1, the default): docs/scaling.md
# "Reads off the loop: officers and the console".
#
# A throwaway cluster (tests/lib/pg.sh), one database seeded with TURNS turn rows (half citizen
# messages) over the last 30 days in SESSIONS sessions, one admin officer. For each mode
# (ROUNDS rounds, the order alternated), a fresh node (listen.workers 1: one loop), then for
# DURATION seconds: one client fetching GET /api/v1/reports (the 30 days, JSON) back to back,
# while another asks /healthz every 20 ms (a new connection each): how long the loop leaves a
# request waiting. And the round trips on the loop's store handle while the loop handled each
# report request (store_get_stats() before and after, logged at debug level as
# event=report.loop round_trips=N by gateway/http_route.c): what the loop waited for.
#
# Environment: BUILD (build), TURNS (200000), SESSIONS (20000), DURATION (10 s), ROUNDS (1).
# About 2 x ROUNDS x (DURATION + 6 s) plus the seeding (~10 s). Every process it starts is
# stopped by its PID (the cluster by tests/lib/pg.sh).
set -u
cd "$(dirname "$0")/.." || exit 1
bad() { echo "report_offload: $1" >&2; exit 2; }
for kv in "TURNS=${TURNS:-200000}" "SESSIONS=${SESSIONS:-20000}" "DURATION=${DURATION:-10}" \
          "ROUNDS=${ROUNDS:-1}"; do
  case ${kv#*=} in ''|*[!0-9]*|0*) bad "${kv%%=*}: ${kv#*=} is not a positive whole number" ;; esac
done
if [ -z "${MOTCUA_TEST_PG_URL:-}" ]; then
  [ -x /usr/lib/postgresql/15/bin/initdb ] ||
    { echo "report_offload: postgresql-15 is not installed (make test-deps)" >&2; exit 1; }
  exec tests/lib/pg.sh "$0" "$@"
fi
BUILD=${BUILD:-build}
TURNS=${TURNS:-200000} SESSIONS=${SESSIONS:-20000} DURATION=${DURATION:-10} ROUNDS=${ROUNDS:-1}
BIN=$PWD/$BUILD/motcua
[ -x "$BIN" ] || bad "$BIN is not built (make)"
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

psql -X -q -d "$MOTCUA_TEST_PG_URL" -c 'CREATE DATABASE bench_report' || exit 1
URL=$(printf '%s' "$MOTCUA_TEST_PG_URL" | sed -E 's|^(postgresql://[^/]*/)[^?]*|\1bench_report|')
export MOTCUA_DATA_STATE_URL=$URL MOTCUA_DATA_KNOWLEDGE_DB=$PWD/$BUILD/motcua.db
export MOTCUA_DATA_WEB_ROOT=$PWD/channels/web MOTCUA_LISTEN_WORKERS=1 MOTCUA_LISTEN_PORT=0
PW='bench-report-password-1'
echo "$PW" | "$BIN" officer add bench.admin --name 'Bench admin' --role admin >/dev/null || exit 1
now=$(date +%s)
t0=$(date +%s.%N)
psql -X -q -v ON_ERROR_STOP=1 -d "$URL" <<SQL || exit 1
INSERT INTO session (token, channel, created, last_seen)
  SELECT 'bench-' || g, CASE WHEN g % 3 = 0 THEN 'kiosk' ELSE 'web' END, $now - 2592000, $now
  FROM generate_series(1, $SESSIONS) g;
INSERT INTO turn (session_id, ts, channel, role, text, label, confidence, decision, procedure)
  SELECT s.id, $now - (g * 7919 % 2592000), s.channel, CASE WHEN g % 2 = 0 THEN 'user' ELSE 'bot' END,
         'câu hỏi ' || g, 'khai-sinh', 0.9,
         (ARRAY['match', 'clarify', 'none'])[1 + g % 3],
         (ARRAY['khai-sinh', 'ket-hon', 'cccd-cap-lai', 'khai-tu', NULL])[1 + g % 5]
  FROM generate_series(1, $TURNS) g JOIN session s ON s.id = 1 + g % $SESSIONS;
ANALYZE;
SQL
echo "seeded $TURNS turns in $SESSIONS sessions: $(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN { printf "%.1f", a - b }') s"
from=$(date -u -d "@$((now + 7 * 3600 - 29 * 86400))" +%F)
to=$(date -u -d "@$((now + 7 * 3600))" +%F)

# one run: mode (readers), load (1: reports; 0: idle). Prints "reports=N ... p50= p99= max=",
# then the loop's round trips per report request (their mean over the run's requests).
run_one() {
  local readers=$1 load=$2 log=$work/node.log port
  MOTCUA_LOG_LEVEL=debug MOTCUA_DATA_STATE_READERS=$readers "$BIN" serve 2>"$log" &
  pid=$!
  for _ in $(seq 1 200); do
    port=$(sed -nE 's/.*event=server\.listen host=\S+ port=([0-9]+).*/\1/p' "$log")
    [ -n "$port" ] && break
    sleep 0.05
  done
  [ -n "$port" ] || { cat "$log" >&2; exit 1; }
  PORT=$port LOAD=$load DURATION=$DURATION FROM=$from TO=$to PW=$PW node -e '
const base = `http://127.0.0.1:${process.env.PORT}`;
const end = Date.now() + 1000 * Number(process.env.DURATION);
(async () => {
  const l = await fetch(base + "/api/v1/officer/login", { method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "bench.admin", password: process.env.PW }) });
  const cookie = /^(motcua_officer=[0-9a-f]{64});/.exec(l.headers.get("set-cookie"))[1];
  let reports = 0, failed = 0;
  const lat = [];
  const reporter = (async () => {
    while (process.env.LOAD === "1" && Date.now() < end) {
      const r = await fetch(`${base}/api/v1/reports?from=${process.env.FROM}&to=${process.env.TO}`,
        { headers: { cookie } });
      const j = await r.json();
      if (r.status === 200 && j.messages_in > 0) reports++; else failed++;
    }
  })();
  while (Date.now() < end) {
    const t = process.hrtime.bigint();
    await fetch(base + "/healthz", { headers: { connection: "close" } });
    lat.push(Number(process.hrtime.bigint() - t) / 1e6);
    await new Promise((r) => setTimeout(r, 20));
  }
  await reporter;
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(1);
  console.log(`reports=${reports} failed=${failed} healthz_n=${lat.length} p50=${q(0.5)} p99=${q(0.99)} max=${lat[lat.length - 1].toFixed(1)}`);
})().catch((e) => { console.error(e); process.exit(1); });' || exit 1
  kill -TERM "$pid"
  wait "$pid"
  pid=
  sed -nE 's/.*event=report\.loop .*round_trips=([0-9]+).*/\1/p' "$log" |
    awk '{ s += $1; n++ } END { if (n) printf "loop_round_trips_per_report=%.2f requests=%d\n", s / n, n }'
}

echo "report $from..$to, DURATION=${DURATION}s, /healthz every 20 ms (ms)"
for round in $(seq 1 "$ROUNDS"); do
  modes="0 1"
  [ $((round % 2)) -eq 0 ] && modes="1 0"
  for readers in $modes; do
    echo "state_readers=$readers round=$round $(run_one "$readers" 1 | tr '\n' ' ')"
  done
done
