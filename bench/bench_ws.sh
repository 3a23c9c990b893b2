#!/usr/bin/env bash
# bench/bench_ws.sh - `make bench-ws`: motcua's full path against two WebSocket echo servers, in
# the same run, with the same generator (docs/performance.md).
#
# Servers: `motcua serve` (every message a full turn), bench/ws_echo.c (a minimal C epoll echo: the
# machine's ceiling) and bench/ws_echo_node.js (Node.js `ws` echo). Each runs once on a free
# 127.0.0.1 port; the generator (bench/ws_loadgen.c) measures them INTERLEAVED: ROUNDS rounds, each
# round every server at 100 and at 1,000 connections, in a rotated order, each measurement DURATION
# seconds of lockstep messages. The summary gives medians over the rounds and the ratios. Then each
# server is started afresh and holds IDLE_CONNS idle WebSockets after hello: its RSS growth per
# connection. Every server this script starts is stopped by its PID on exit.
#
# Environment: BUILD (build), ROUNDS (5), DURATION (3 s), IDLE_CONNS (10000), TEXTS
# (../shared/eval/dev.tsv, its text column, used as load text only), WORKERS (motcua's
# listen.workers for the load runs; 0, the default, is one per core; the idle run always uses 1,
# since it reads one process's RSS), BASELINE (another motcua binary, e.g. a build of the previous
# commit: measured as a fourth server in the same rounds, so before and after share the run's
# load). Bounded: about 3 minutes (4 with BASELINE); 3.5 with PostgreSQL.
#
# PostgreSQL (PG, default 1 when postgresql-15 is installed; PG=0 skips it): the script runs itself
# again under tests/lib/pg.sh (a throwaway cluster on a Unix socket, fsync back on,
# synchronous_commit off as SQLite's synchronous=NORMAL: a crash may lose the last commits, never
# corrupt) and measures two more servers in the same rounds: pg1, one motcua node on it, and pg2,
# two nodes on the same database, the generator sending every second connection to the second
# node (--port2). With MOTCUA_TEST_PG_URL already set, that database is used as it is.
# Every motcua's state.stats lines at stop give the database time per turn.
set -u
cd "$(dirname "$0")/.."
PG=${PG:-$([ -x /usr/lib/postgresql/15/bin/initdb ] && echo 1 || echo 0)}
if [ "$PG" = 1 ] && [ -z "${MOTCUA_TEST_PG_URL:-}" ]; then
  PG_OPTS="-c fsync=on -c full_page_writes=on -c synchronous_commit=off -c shared_buffers=128MB" \
    exec tests/lib/pg.sh "$0" "$@"
fi
BUILD=${BUILD:-build}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-3}
IDLE_CONNS=${IDLE_CONNS:-10000}
WORKERS=${WORKERS:-0} # motcua's listen.workers for the load runs (0: one per core)
TEXTS=${TEXTS:-../shared/eval/dev.tsv}
LEVELS="100 1000"
SERVERS="cecho node motcua"
BASELINE=${BASELINE:-}
[ -n "$BASELINE" ] && SERVERS="$SERVERS base"
IDLE_SERVERS=$SERVERS # the idle RSS does not depend on where the state lives
[ "$PG" = 1 ] && SERVERS="$SERVERS pg1 pg2"
MOTCUAS="motcua${BASELINE:+ base}$([ "$PG" = 1 ] && echo " pg1 pg2")" # servers with state.stats
GEN=$BUILD/bench-ws/ws_loadgen
ECHO=$BUILD/bench-ws/ws_echo
MOTCUA=$BUILD/motcua
DB=$BUILD/motcua.db
START_TIMEOUT=10 # seconds for a server to print its port

for f in "$GEN" "$ECHO" "$MOTCUA" "$DB" bench/ws_echo_node.js ${BASELINE:+"$BASELINE"}; do
  [ -e "$f" ] || { echo "bench-ws: $f is missing (run: make bench-ws)" >&2; exit 1; }
done
command -v node >/dev/null || { echo "bench-ws: node is not installed (make deps)" >&2; exit 1; }
texts_args=()
if [ -r "$TEXTS" ]; then
  texts_args=(--texts "$TEXTS")
  texts_note="$TEXTS ($(wc -l <"$TEXTS") lines, first column, as load text only)"
else
  texts_note="the generator's built-in texts ($TEXTS not found)"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/motcua-bench-ws.XXXXXX") || exit 1
declare -A PID PORT
# shellcheck source=bench/procs.sh
. bench/procs.sh # the scripts run from the checkout's root (cd above)

# Descriptors: the generator and each server hold one per connection (both inherit this limit).
need=$((IDLE_CONNS + 200))
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$need" ]; then
  echo "bench-ws: the hard descriptor limit is $hard; $IDLE_CONNS idle connections need $need." \
    "Measuring $((hard - 200)) instead (raise it with ulimit -Hn as root for $IDLE_CONNS)." >&2
  IDLE_CONNS=$((hard - 200))
  need=$hard
fi
cur=$(ulimit -Sn)
if [ "$cur" != unlimited ] && [ "$cur" -lt "$need" ]; then
  ulimit -Sn "$need" || { echo "bench-ws: cannot raise the descriptor limit to $need" >&2; exit 1; }
fi

# start NAME KIND: starts a server of KIND (cecho, node, motcua) as NAME, sets PID[NAME] PORT[NAME]
start() {
  local name=$1 kind=$2 log=$tmp/$1.log p="" i
  case $kind in
    cecho) "$ECHO" --port 0 --max-conns $((IDLE_CONNS + 100)) >"$log" 2>&1 & ;;
    node) node bench/ws_echo_node.js 0 >"$log" 2>&1 & ;;
    motcua | base | pg)
      mkdir -p "$tmp/$name"
      # the generator sends far faster than a person: no rate limit (a baseline binary older
      # than session.messages_per_minute would refuse the unknown setting)
      extra=()
      # and no handoff: a message asking for an officer hands its session to a person, whose
      # answer a generator never gets (the bot stays silent), and that connection's lockstep stops
      [ "$kind" = base ] || extra=(MOTCUA_SESSION_MESSAGES_PER_MINUTE=0 MOTCUA_HANDOFF_ENABLED=0)
      [ "$kind" = pg ] && extra+=(MOTCUA_DATA_STATE_URL="$MOTCUA_TEST_PG_URL")
      # idle RSS is read from one PID: one process (workers 1); the load runs use WORKERS
      MOTCUA_LISTEN_WORKERS=$([ "${name#idle-}" != "$name" ] && echo 1 || echo "$WORKERS") \
      MOTCUA_LISTEN_HOST=127.0.0.1 MOTCUA_LISTEN_PORT=0 \
        MOTCUA_LISTEN_MAX_CONNECTIONS=$((IDLE_CONNS + 100)) \
        MOTCUA_LISTEN_MAX_PER_IP=$((IDLE_CONNS + 100)) \
        MOTCUA_DATA_KNOWLEDGE_DB="$DB" MOTCUA_DATA_STATE_DB="$tmp/$name/state.db" \
        MOTCUA_DATA_WEB_ROOT=channels/web \
        env "${extra[@]}" "$([ "$kind" = base ] && echo "$BASELINE" || echo "$MOTCUA")" serve 2>"$log" &
      ;;
  esac
  PID[$name]=$!
  started+=($!)
  for i in $(seq $((START_TIMEOUT * 20))); do
    p=$(sed -n -e 's/^port=\([0-9]*\).*/\1/p' -e 's/.*event=server\.listen host=[^ ]* port=\([0-9]*\).*/\1/p' "$log" 2>/dev/null | head -1)
    [ -n "$p" ] && break
    kill -0 "${PID[$name]}" 2>/dev/null || break
    sleep 0.05
  done
  if [ -z "$p" ]; then
    echo "bench-ws: $name did not start:" >&2
    tail -5 "$log" >&2
    exit 1
  fi
  PORT[$name]=$p
}

mode_of() { case $1 in motcua | base | pg*) echo motcua ;; *) echo echo ;; esac; }
kind_of() { case $1 in pg*) echo pg ;; *) echo "$1" ;; esac; }
procs_of() { case $1 in pg2) echo pg2a pg2b ;; *) echo "$1" ;; esac; } # its processes
ports_of() { # the generator's port arguments for server $1
  case $1 in
    pg2) echo --port "${PORT[pg2a]}" --port2 "${PORT[pg2b]}" ;;
    *) echo --port "${PORT[$1]}" ;;
  esac
}
label() {
  case $1 in
    cecho) echo "C epoll echo (bench/ws_echo.c)" ;;
    node) echo "Node.js ws echo ($(sed -n 's/.* ws=\([^ ]*\) node=\(.*\)/ws \1, node \2/p' "$tmp/node.log"))" ;;
    motcua) echo "motcua serve, full path" ;;
    base) echo "motcua serve, baseline (BASELINE)" ;;
    pg1) echo "motcua, 1 node, PostgreSQL" ;;
    pg2) echo "motcua, 2 nodes, PostgreSQL (--port2)" ;;
  esac
}

echo "bench-ws: $ROUNDS rounds x {100, 1000} connections x $(echo $SERVERS | wc -w) servers, interleaved, $DURATION s each;" \
  "motcua listen.workers=$WORKERS (0: one per core);" \
  "$(nproc) cores (shared with whatever else runs); texts: $texts_note"
for s in $SERVERS; do
  for p in $(procs_of "$s"); do start "$p" "$(kind_of "$s")"; done
done
echo "bench-ws: servers cecho=${PORT[cecho]} node=${PORT[node]} motcua=${PORT[motcua]}${BASELINE:+ base=${PORT[base]} ($BASELINE)} (127.0.0.1)"
[ "$PG" = 1 ] && echo "bench-ws: PostgreSQL $("/usr/lib/postgresql/15/bin/postgres" --version | awk '{print $3}') (throwaway cluster, Unix socket, fsync on, synchronous_commit off): pg1=${PORT[pg1]} pg2=${PORT[pg2a]}+${PORT[pg2b]}, one database"
echo "bench-ws: load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

results=$tmp/results.txt
: >"$results"
order=($SERVERS)
for r in $(seq "$ROUNDS"); do
  for n in $LEVELS; do
    k=$(( (r - 1) % ${#order[@]} ))
    for j in "${!order[@]}"; do
      s=${order[$(( (k + j) % ${#order[@]} ))]}
      line=$("$GEN" --mode "$(mode_of "$s")" $(ports_of "$s") --conns "$n" --msgs 1000000 \
        --duration "$DURATION" --timeout $((DURATION + 30)) "${texts_args[@]}" 2>"$tmp/gen.err")
      rc=$?
      if [ -z "$line" ]; then
        echo "bench-ws: round $r $s n=$n: no result (exit $rc):" >&2
        head -5 "$tmp/gen.err" >&2
        exit 1
      fi
      echo "round=$r server=$s $line" | tee -a "$results" | cut -d' ' -f1-2,5,7-14
      [ -s "$tmp/gen.err" ] && head -3 "$tmp/gen.err" | sed 's/^/    /'
    done
  done
done
echo "bench-ws: load average after the rounds: $(cut -d' ' -f1-3 /proc/loadavg)"
for s in $SERVERS; do
  for p in $(procs_of "$s"); do stop_pid "${PID[$p]}"; done
done

# idle RSS per connection: a fresh instance of each server, IDLE_CONNS WebSockets after hello
idle=$tmp/idle.txt
: >"$idle"
for s in $IDLE_SERVERS; do
  start "idle-$s" "$s"
  sleep 0.3
  line=$("$GEN" --mode "$(mode_of "$s")" --port "${PORT[idle-$s]}" --conns "$IDLE_CONNS" --idle \
    --pid "${PID[idle-$s]}" --settle 1 --timeout 60 2>"$tmp/gen.err")
  echo "server=$s $line" | tee -a "$idle"
  [ -s "$tmp/gen.err" ] && head -3 "$tmp/gen.err" | sed 's/^/    /'
  stop_pid "${PID[idle-$s]}"
done

# summary: medians over the rounds
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
sum() { awk '{s+=$1} END {print s+0}'; }
stat() { # stat SERVER N FIELD
  grep " server=$1 " "$results" | grep " conns=$2 " | field "$3" | median
}
echo
echo "bench-ws summary: median of $ROUNDS rounds, $DURATION s each (lockstep: each connection waits for the answer before sending again)"
printf '%-6s %-42s %10s %8s %8s %8s %9s %7s\n' conns server "msgs/s" "p50 ms" "p90 ms" "p99 ms" "max ms" errors
for n in $LEVELS; do
  for s in $SERVERS; do
    errs=$(grep " server=$s " "$results" | grep " conns=$n " | field errors | sum)
    printf '%-6s %-42s %10.0f %8.2f %8.2f %8.2f %9.2f %7s\n' "$n" "$(label "$s")" \
      "$(stat "$s" "$n" rate)" "$(stat "$s" "$n" p50_ms)" "$(stat "$s" "$n" p90_ms)" \
      "$(stat "$s" "$n" p99_ms)" "$(stat "$s" "$n" max_ms)" "$errs"
  done
done
echo
for n in $LEVELS; do
  m=$(stat motcua "$n" rate) nd=$(stat node "$n" rate) c=$(stat cecho "$n" rate)
  mp=$(stat motcua "$n" p99_ms) np=$(stat node "$n" p99_ms)
  awk -v n="$n" -v m="$m" -v nd="$nd" -v c="$c" -v mp="$mp" -v np="$np" 'BEGIN {
    printf "ratio at %s connections: motcua / Node ws echo = %.3fx msgs/s (p99 %.2f vs %.2f ms); motcua / C echo = %.4fx msgs/s\n",
      n, (nd > 0 ? m / nd : 0), mp, np, (c > 0 ? m / c : 0) }'
  if [ -n "$BASELINE" ]; then
    b=$(stat base "$n" rate) bp=$(stat base "$n" p99_ms)
    awk -v n="$n" -v m="$m" -v b="$b" -v mp="$mp" -v bp="$bp" -v nd="$nd" 'BEGIN {
      printf "  baseline at %s connections: motcua / baseline = %.3fx msgs/s (p99 %.2f vs %.2f ms); baseline / Node ws echo = %.3fx\n",
        n, (b > 0 ? m / b : 0), mp, bp, (nd > 0 ? b / nd : 0) }'
  fi
done
echo
if [ "$PG" = 1 ]; then
  for n in $LEVELS; do
    a=$(stat motcua "$n" rate) p1=$(stat pg1 "$n" rate) p2=$(stat pg2 "$n" rate)
    awk -v n="$n" -v a="$a" -v p1="$p1" -v p2="$p2" -v ap="$(stat motcua "$n" p99_ms)" \
      -v p1p="$(stat pg1 "$n" p99_ms)" -v p2p="$(stat pg2 "$n" p99_ms)" 'BEGIN {
      printf "PostgreSQL at %s connections: 2 nodes / 1 node = %.3fx msgs/s (p99 %.2f vs %.2f ms); 1 node PostgreSQL / SQLite = %.3fx (p99 %.2f vs %.2f ms)\n",
        n, (p1 > 0 ? p2 / p1 : 0), p2p, p1p, (a > 0 ? p1 / a : 0), p1p, ap }'
  done
fi
echo
# database time per turn: each motcua process logs, at stop, the event loop's time in the state
# store (motcua_state_seconds of /metrics): the turns' own calls and the group commits
echo "database time per turn (whole run, both connection counts, all processes of the server):"
printf '  %-42s %9s %9s %12s %12s %12s\n' server turns commits "turn calls" commits total
for s in $MOTCUAS; do
  for p in $(procs_of "$s"); do grep -h 'event=state.stats' "$tmp/$p.log"; done | awk -v l="$(label "$s")" '
    { for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] += kv[2] } }
    END { t = v["served_turns"]; if (t == 0) { printf "  %-42s no database time in its state.stats (an older build?)\n", l; exit }
      printf "  %-42s %9d %9d %9.1f µs %9.1f µs %9.1f µs a turn (%.1f turns a commit)\n", l, t, v["commits"],
        v["state_turn_us"] / t, v["state_commit_us"] / t, (v["state_turn_us"] + v["state_commit_us"]) / t,
        (v["commits"] > 0 ? v["turns"] / v["commits"] : 0) }'
done
echo
echo "idle: server RSS growth per open WebSocket after hello ($IDLE_CONNS connections, fresh server):"
for s in $IDLE_SERVERS; do
  l=$(grep "^server=$s " "$idle")
  printf '  %-42s %7s bytes/connection (open %s of %s, RSS %s -> %s KiB, setup %s s)\n' "$(label "$s")" \
    "$(echo "$l" | field bytes_per_conn)" "$(echo "$l" | field open)" "$(echo "$l" | field conns)" \
    "$(echo "$l" | field rss_before_kb)" "$(echo "$l" | field rss_after_kb)" \
    "$(echo "$l" | field setup_s)"
done
