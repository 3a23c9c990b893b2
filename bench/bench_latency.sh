#!/usr/bin/env bash
# bench/bench_latency.sh - `make bench-ws-latency`: motcua on PostgreSQL with the database at a
# distance (docs/performance.md, "A database at a distance").
#
# A throwaway cluster (tests/lib/pg.sh, the settings of bench-ws: fsync on, synchronous_commit
# off) that also listens on a free loopback TCP port; in front of it one bench/lat_relay per
# added round trip of RTT_MS, each delaying every chunk RTT/2 ms each way. The nodes'
# MOTCUA_DATA_STATE_URL points at a relay, so every statement, pipeline and COMMIT of a node
# crosses the added distance; nothing else on the machine is slowed.
#
# WebSocket load: for each RTT, handoff.enabled (HANDOFF: 0 and 1, the server's default) and
# node count (NODES: 1 and 2, the generator sending every second connection to the second
# node), fresh nodes and CONNS lockstep WebSockets of bench/ws_loadgen (its built-in texts) for
# DURATION seconds, while bench/lat_probe.js asks /healthz of the nodes every 20 ms (a new
# connection each): how long the event loop leaves a request waiting. ROUNDS rounds, the order
# of the configurations rotated each round; the summary gives medians over the rounds. At stop
# each node logs state.stats: round trips a turn and the loop's time in the store a turn.
#
# Webhooks: for each RTT of WEBHOOK_RTT_MS, one node with Messenger configured against a fake
# Graph API (lat_probe.js graph): /healthz for DURATION s with no load (the loop idle), then
# again while WEBHOOK_RATE signed deliveries a second arrive (from 20 senders in turn: 20 new
# conversations, then their follow-ups): what a webhook turn's waited-for save costs the loop, its round trips and the 200s'
# latency.
#
# Environment: BUILD (build), RTT_MS ("0 1 5"), NODES ("1 2"), HANDOFF ("0 1"), CONNS (100),
# DURATION (5 s), ROUNDS (2), WORKERS (1: listen.workers of each node; one process a node, so
# /healthz and state.stats are that one loop's), WEBHOOK_RTT_MS ("0 5"; empty skips),
# WEBHOOK_RATE (10 a second), RESUME_RTT_MS (empty: skipped; for each RTT, one node, CONNS
# reconnecting clients' resumed hellos at once: bench/resume_burst.js). Bounded: about 12 configurations x ROUNDS x (DURATION + ~2 s) plus
# 2 x DURATION a webhook RTT: ~4 minutes with the defaults. Every process it starts is stopped
# by its PID on exit (the cluster by tests/lib/pg.sh).
set -u
cd "$(dirname "$0")/.." || exit 1
# Bad settings are refused (exit 2, naming the setting) before a cluster is started.
bad() { echo "bench-ws-latency: $1" >&2; exit 2; }
for r in ${RTT_MS:-} ${WEBHOOK_RTT_MS:-} ${RESUME_RTT_MS:-}; do
  awk -v r="$r" 'BEGIN { exit !(r ~ /^[0-9]+(\.[0-9]+)?$/ && r <= 2000) }' ||
    bad "RTT_MS/WEBHOOK_RTT_MS: $r is not a number of ms (0-2000)"
done
for n in ${NODES:-}; do case $n in 1|2) ;; *) bad "NODES: $n is not 1 or 2" ;; esac; done
for h in ${HANDOFF:-}; do case $h in 0|1) ;; *) bad "HANDOFF: $h is not 0 or 1" ;; esac; done
for kv in "CONNS=${CONNS:-100}" "DURATION=${DURATION:-5}" "ROUNDS=${ROUNDS:-2}" \
          "WORKERS=${WORKERS:-1}" "WEBHOOK_RATE=${WEBHOOK_RATE:-10}"; do
  case ${kv#*=} in ''|*[!0-9]*|0*) bad "${kv%%=*}: ${kv#*=} is not a positive whole number" ;; esac
done
if [ -z "${LAT_PG_PORT:-}" ]; then
  [ -x /usr/lib/postgresql/15/bin/initdb ] ||
    { echo "bench-ws-latency: postgresql-15 is not installed (make test-deps)" >&2; exit 1; }
  port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})') ||
    exit 1
  # PGPORT: pg.sh's createdb finds the socket of this port; the cluster also listens on TCP,
  # loopback only (trust authentication, as its socket: a throwaway cluster on this machine)
  LAT_PG_PORT=$port PGPORT=$port PG_OPTS="-c listen_addresses=127.0.0.1 -c port=$port \
    -c fsync=on -c full_page_writes=on -c synchronous_commit=off -c shared_buffers=128MB \
    -c max_connections=100" exec tests/lib/pg.sh "$0" "$@"
fi
BUILD=${BUILD:-build}
RTT_MS=${RTT_MS:-0 1 5}
NODES=${NODES:-1 2}
HANDOFF=${HANDOFF:-0 1}
CONNS=${CONNS:-100}
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-2}
WORKERS=${WORKERS:-1}
WEBHOOK_RTT_MS=${WEBHOOK_RTT_MS-0 5}
WEBHOOK_RATE=${WEBHOOK_RATE:-10}
GEN=$BUILD/bench-ws/ws_loadgen
RELAY=$BUILD/bench-ws/lat_relay
MOTCUA=$BUILD/motcua
DB=$BUILD/motcua.db
SECRET=bench-latency-secret
START_TIMEOUT=15 # seconds for a process to print its port

RESUME_RTT_MS=${RESUME_RTT_MS-}
gen=$GEN
[ -z "$RTT_MS" ] || [ -z "${NODES// /}" ] && gen="" # no WebSocket rounds: no generator needed
for f in $gen "$RELAY" "$MOTCUA" "$DB"; do
  [ -e "$f" ] || { echo "bench-ws-latency: $f is missing (run: make bench-ws-latency)" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/motcua-bench-lat.XXXXXX") || exit 1
declare -A RPORT RPID
# shellcheck source=bench/procs.sh
. bench/procs.sh # the scripts run from the checkout's root (cd above)
ulimit -Sn "$(ulimit -Hn)" 2>/dev/null

# wait_port LOG PID: prints the port the process wrote to LOG ("port=N" or server.listen)
wait_port() {
  local log=$1 pid=$2 p=""
  for _ in $(seq $((START_TIMEOUT * 20))); do
    p=$(sed -n -e 's/^port=\([0-9]*\).*/\1/p' -e 's/.*event=server\.listen host=[^ ]* port=\([0-9]*\).*/\1/p' "$log" 2>/dev/null | head -1)
    [ -n "$p" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  [ -n "$p" ] || { echo "bench-ws-latency: $log: no port:" >&2; tail -5 "$log" >&2; return 1; }
  echo "$p"
}

# the relays, one per RTT, all up for the whole run
for r in $(printf '%s\n' $RTT_MS $WEBHOOK_RTT_MS $RESUME_RTT_MS | sort -gu); do
  us=$(awk -v r="$r" 'BEGIN { printf "%d", r * 500 }') # one way: half the round trip
  "$RELAY" --port 0 --to "$LAT_PG_PORT" --delay-us "$us" >"$tmp/relay-$r.log" 2>&1 &
  started+=($!)
  RPID[$r]=$!
  RPORT[$r]=$(wait_port "$tmp/relay-$r.log" $!) || exit 1
done
node bench/lat_probe.js graph >"$tmp/graph.log" 2>&1 &
started+=($!)
GRAPH_PORT=$(wait_port "$tmp/graph.log" $!) || exit 1

# start_node NAME RTT HANDOFF: a node on the relay of RTT; sets NPID NPORT
start_node() {
  local name=$1 rtt=$2 handoff=$3
  mkdir -p "$tmp/$name"
  # emptied here, not by the redirection below: that happens in the child, and wait_port could
  # first read the port of the previous node of this name (long stopped): "Connection refused"
  : >"$tmp/$name.log"
  # no rate limit: the generator sends far faster than a person
  MOTCUA_LISTEN_WORKERS=$WORKERS MOTCUA_LISTEN_HOST=127.0.0.1 MOTCUA_LISTEN_PORT=0 \
    MOTCUA_LISTEN_MAX_CONNECTIONS=$((CONNS + 100)) MOTCUA_LISTEN_MAX_PER_IP=$((CONNS + 100)) \
    MOTCUA_DATA_KNOWLEDGE_DB="$DB" MOTCUA_DATA_STATE_DB="$tmp/$name/state.db" \
    MOTCUA_DATA_WEB_ROOT=channels/web MOTCUA_SESSION_MESSAGES_PER_MINUTE=0 \
    MOTCUA_HANDOFF_ENABLED="$handoff" \
    MOTCUA_DATA_STATE_URL="postgresql://motcua@127.0.0.1:${RPORT[$rtt]}/motcua?sslmode=disable" \
    MOTCUA_MESSENGER_APP_SECRET=$SECRET MOTCUA_MESSENGER_VERIFY_TOKEN=v \
    MOTCUA_MESSENGER_PAGE_TOKEN=PAGE-TOKEN MOTCUA_MESSENGER_GRAPH_URL="http://127.0.0.1:$GRAPH_PORT/v25.0" \
    "$MOTCUA" serve 2>"$tmp/$name.log" &
  NPID=$!
  started+=("$NPID")
  NPORT=$(wait_port "$tmp/$name.log" "$NPID") || exit 1
}
# stats LOG...: the nodes' state.stats summed: "turns= rt_per_turn= waited_rt_per_turn=
# state_us_per_turn=" (waited: the round trips less the COMMITs, which the loop sends without
# waiting: what the loop waited for)
stats() {
  grep -h 'event=state.stats' "$@" | awk '
    { for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] += kv[2] } }
    END { t = v["served_turns"]; w = v["round_trips"] - v["commits"] - v["failed_commits"]
      printf "turns=%d rt_per_turn=%.3f waited_rt_per_turn=%.3f state_us_per_turn=%.0f state_s=%.3f",
      t, (t > 0 ? v["round_trips"] / t : 0), (t > 0 ? w / t : 0), (t > 0 ? v["state_turn_us"] / t : 0),
      v["state_turn_us"] / 1e6 }'
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }

echo "bench-ws-latency: PostgreSQL $(/usr/lib/postgresql/15/bin/postgres --version | awk '{print $3}')" \
  "(throwaway cluster on 127.0.0.1:$LAT_PG_PORT, fsync on, synchronous_commit off) behind bench/lat_relay;" \
  "added RTT ms: $RTT_MS; nodes: $NODES; handoff.enabled: $HANDOFF; $CONNS lockstep WebSockets," \
  "$DURATION s, $ROUNDS rounds; listen.workers=$WORKERS; $(nproc) cores (shared with whatever else runs)"
echo "bench-ws-latency: $(date -u '+%Y-%m-%d %H:%M UTC'), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

results=$tmp/results.txt
: >"$results"
configs=()
for r in $RTT_MS; do for h in $HANDOFF; do for n in $NODES; do configs+=("$r/$h/$n"); done; done; done
for round in $(seq "$ROUNDS"); do
  for j in "${!configs[@]}"; do
    IFS=/ read -r rtt h n <<<"${configs[$(( (j + round - 1) % ${#configs[@]} ))]}"
    logs=() ports=() urls=() pids=()
    for k in $(seq "$n"); do
      start_node "n$k" "$rtt" "$h"
      logs+=("$tmp/n$k.log") ports+=("$NPORT") urls+=(--url "http://127.0.0.1:$NPORT") pids+=("$NPID")
    done
    gen_ports=(--port "${ports[0]}")
    [ "$n" = 2 ] && gen_ports+=(--port2 "${ports[1]}")
    node bench/lat_probe.js probe "${urls[@]}" --duration "$DURATION" >"$tmp/probe.out" 2>&1 &
    probe=$!
    line=$("$GEN" --mode motcua "${gen_ports[@]}" --conns "$CONNS" --msgs 1000000 \
      --duration "$DURATION" --timeout $((DURATION + 60)) 2>"$tmp/gen.err")
    wait "$probe"
    gone=""
    for k in "${!pids[@]}"; do kill -0 "${pids[$k]}" 2>/dev/null || gone="$gone n$((k + 1))"; done
    for p in "${pids[@]}"; do stop_pid "$p"; done
    [ -n "$line" ] || { echo "bench-ws-latency: rtt=$rtt handoff=$h nodes=$n: no result:" >&2; head -5 "$tmp/gen.err" >&2; exit 1; }
    out="round=$round rtt=$rtt handoff=$h nodes=$n $line $(cat "$tmp/probe.out") $(stats "${logs[@]}")"
    echo "$out" >>"$results"
    echo "$out" | awk '{ printf "  %s %s %s %s", $1, $2, $3, $4 }
      { for (i = 5; i <= NF; i++) if ($i ~ /^(rate|p50_ms|p99_ms|errors|healthz_p50_ms|healthz_p99_ms|rt_per_turn|state_us_per_turn)=/) printf " %s", $i; print "" }'
    if [ -s "$tmp/gen.err" ]; then
      head -3 "$tmp/gen.err" | sed 's/^/    /'
      [ -n "$gone" ] && echo "    node(s)$gone had exited before the end; their last lines:" &&
        for k in $gone; do tail -3 "$tmp/$k.log" | sed 's/^/      /'; done
      for k in $(seq "$n"); do grep -h -m3 'level=error\|level=warn' "$tmp/n$k.log" | sed "s/^/    n$k: /"; done
    fi
  done
done
echo "bench-ws-latency: load average after the WebSocket rounds: $(cut -d' ' -f1-3 /proc/loadavg)"

median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
stat() { grep " rtt=$1 handoff=$2 nodes=$3 " "$results" | field "$4" | median; }
echo
echo "bench-ws-latency summary: median of $ROUNDS rounds, $CONNS WebSockets, $DURATION s each"
printf '%-7s %-8s %-6s %9s %8s %8s %7s %10s %10s %11s %11s\n' "RTT ms" handoff nodes "msgs/s" "p50 ms" \
  "p99 ms" errors "rt/turn" "store µs" "healthz p50" "healthz p99"
for r in $RTT_MS; do for h in $HANDOFF; do for n in $NODES; do
  errs=$(grep " rtt=$r handoff=$h nodes=$n " "$results" | field errors | awk '{s+=$1} END {print s+0}')
  printf '%-7s %-8s %-6s %9.0f %8.2f %8.2f %7s %10.3f %10.0f %11.2f %11.2f\n' "$r" "$h" "$n" \
    "$(stat "$r" "$h" "$n" rate)" "$(stat "$r" "$h" "$n" p50_ms)" "$(stat "$r" "$h" "$n" p99_ms)" "$errs" \
    "$(stat "$r" "$h" "$n" rt_per_turn)" "$(stat "$r" "$h" "$n" state_us_per_turn)" \
    "$(stat "$r" "$h" "$n" healthz_p50_ms)" "$(stat "$r" "$h" "$n" healthz_p99_ms)"
done; done; done
echo "(rt/turn: round trips the node made a served turn; store µs: the loop's wall time in the store a turn;"
echo " healthz: ms to answer GET /healthz during the load, a new connection each, every 20 ms)"

[ -n "$WEBHOOK_RTT_MS" ] && echo && echo "webhooks: 1 node (handoff.enabled default), $WEBHOOK_RATE deliveries a second, $DURATION s; /healthz idle, then while they arrive"
for r in $WEBHOOK_RTT_MS; do
  start_node wh "$r" 1
  idle=$(node bench/lat_probe.js probe --url "http://127.0.0.1:$NPORT" --duration "$DURATION")
  busy=$(node bench/lat_probe.js probe --url "http://127.0.0.1:$NPORT" --duration "$DURATION" \
    --webhooks "$WEBHOOK_RATE" --secret "$SECRET")
  sleep 1 # the replies' sends
  stop_pid "$NPID"
  st=$(stats "$tmp/wh.log")
  printf '  RTT %s ms: healthz idle p50 %s / p99 %s ms; with webhooks p50 %s / p99 %s / max %s ms;' "$r" \
    "$(echo " $idle" | field healthz_p50_ms)" "$(echo " $idle" | field healthz_p99_ms)" \
    "$(echo " $busy" | field healthz_p50_ms)" "$(echo " $busy" | field healthz_p99_ms)" \
    "$(echo " $busy" | field healthz_max_ms)"
  printf ' %s of %s answered 200, p50 %s / p99 %s ms; %s; loop in the store %.1f%% of the %s s of webhooks\n' \
    "$(echo " $busy" | field webhook_ok)" "$(echo " $busy" | field webhooks)" \
    "$(echo " $busy" | field webhook_p50_ms)" "$(echo " $busy" | field webhook_p99_ms)" "$st" \
    "$(awk -v s="$(echo " $st" | field state_s)" -v d="$DURATION" 'BEGIN { print 100 * s / d }')" "$DURATION"
done
[ -n "$RESUME_RTT_MS" ] && echo && echo "resumed hellos: 1 node (handoff.enabled on), $CONNS sessions made, then $CONNS reconnecting clients sending their hello with its token at once; /healthz meanwhile"
for r in $RESUME_RTT_MS; do
  start_node rs "$r" 1
  node bench/lat_probe.js probe --url "http://127.0.0.1:$NPORT" --duration "$DURATION" >"$tmp/probe.out" 2>&1 &
  probe=$!
  line=$(node bench/resume_burst.js --url "ws://127.0.0.1:$NPORT/ws" --conns "$CONNS" 2>"$tmp/resume.err" | grep "^resume ")
  wait "$probe"
  stop_pid "$NPID"
  [ -n "$line" ] || { echo "bench-ws-latency: resume rtt=$r: no result:" >&2; head -5 "$tmp/resume.err" >&2; exit 1; }
  # what the loop waited for: the ws.hello lines of the resumed hellos, their round_trips= summed
  waited=$(grep 'event=ws.hello .*resumed=1 ' "$tmp/rs.log" | field round_trips | awk '{ s += $1; n++ } END { printf "%d in %d hellos", s, n }')
  echo "  RTT $r ms: $line; healthz p50 $(field healthz_p50_ms <"$tmp/probe.out") / p99 $(field healthz_p99_ms <"$tmp/probe.out") / max $(field healthz_max_ms <"$tmp/probe.out") ms (whole run); round trips the loop waited for: $waited"
done
echo
echo "the relays: how late a chunk left against its due time (the added RTT is 2 x the delay + 2 x that)"
for r in "${!RPID[@]}"; do
  stop_pid "${RPID[$r]}"
  echo "  RTT $r ms: $(grep '^relay ' "$tmp/relay-$r.log")"
done
echo "bench-ws-latency: load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
