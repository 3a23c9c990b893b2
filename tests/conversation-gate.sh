#!/usr/bin/env bash
# tests/conversation-gate.sh BUILD - the conversation gate of `make test`:
# plays the team's conversations (tests/conversations/, tests/eval-conv.js)
# over a real WebSocket against BUILD/motcua and scores every turn.
#   dev.jsonl      the conversations the team may read failures of to fix code
#   holdout.jsonl  frozen: never read to tune; only its figures are looked at
# Targets (issue 12): >= 0.97 of turns and >= 0.93 of conversations right end
# to end on the team's own conversations. They gate dev and both files
# together. The frozen holdout alone is still below them (docs/conversation.md,
# "Conversation evaluation"): it is gated at its measured figure rounded down -
# a regression fails - and a run prints "TARGET NOT MET" beside it. That floor
# may only be raised, up to the targets; then it goes. Exit status: the
# harness's own (1 below a gate, 2 a malformed file), the first that failed.
# No pipe hides it.
set -u -o pipefail
build=${1:?usage: tests/conversation-gate.sh BUILD}
cd "$(dirname "$0")/.."
TARGET_TURNS=0.97
TARGET_CONVS=0.93
status=0
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT

# play FILE FLOOR_TURNS FLOOR_CONVS
play() {
  local rc
  local label=$1 tt=$2 tc=$3
  shift 3
  timeout 600 node tests/eval-conv.js --bin "$build/motcua" --db "$build/motcua.db" \
    --min-turns "$tt" --min-convs "$tc" "$@" >"$out" 2>&1
  rc=$?
  echo "  $label: $(grep '^turns passed' "$out" | tail -n 1)"
  if [ "$rc" -ne 0 ]; then
    tail -n 20 "$out" | sed 's/^/    /'
    echo "  $label: eval-conv exited $rc"
    [ "$status" -eq 0 ] && status=$rc
  fi
  awk -v tt="$TARGET_TURNS" -v tc="$TARGET_CONVS" -v f="$label" '
    /^turns passed/ {
      t = $3; sub(/.*\(/, "", t); sub(/%\),?/, "", t)
      c = $0; sub(/.*end to end [0-9]+\/[0-9]+ \(/, "", c); sub(/%\).*/, "", c)
      if (t / 100 < tt || c / 100 < tc)
        printf "  %s: TARGET NOT MET (targets %s of turns, %s of conversations)\n", f, tt, tc
    }' "$out"
}

echo "conversation gate: targets turns >= $TARGET_TURNS, conversations >= $TARGET_CONVS"
play "dev + holdout" "$TARGET_TURNS" "$TARGET_CONVS" tests/conversations/dev.jsonl \
  tests/conversations/holdout.jsonl
play tests/conversations/dev.jsonl "$TARGET_TURNS" "$TARGET_CONVS" tests/conversations/dev.jsonl
play tests/conversations/holdout.jsonl 0.95 0.90 tests/conversations/holdout.jsonl
exit "$status"
