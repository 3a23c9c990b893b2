# shellcheck shell=bash
# bench/procs.sh - sourced by the benchmark scripts (bench_ws.sh,
# bench_latency.sh) once $tmp is made: every process a script starts is
# added to `started` and stopped by PID when the script ends, however it
# ends; $tmp goes with them.
declare -A STOPPED
started=()
stop_pid() { # stop_pid PID: SIGTERM, then SIGKILL after 10 s; once per PID (never a reused one)
  local p=$1
  [ -n "${STOPPED[$p]:-}" ] && return 0
  STOPPED[$p]=1
  kill -TERM "$p" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
  wait "$p" 2>/dev/null
  return 0
}
cleanup() {
  local p
  for p in "${started[@]}"; do stop_pid "$p"; done
  rm -rf "${tmp:?}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
