#!/usr/bin/env bash
# tests/nearmiss-gate.sh BUILD - the near-miss measurement of `make test`
# (issue 16; tests/nearmiss/README.md): questions close to a covered procedure
# but about something else, asked through BUILD/motcua ask --batch on the
# knowledge database BUILD/motcua.db and scored by tests/nearmiss/score.js:
#   f. tests/nearmiss/heldout-f.tsv - by a sixth hand that never saw the bot,
#      written at the start of the sixth session before any change, scored
#      once then (2026-12-07: 0.924); nobody reads its lines or misses;
#   e. tests/nearmiss/heldout-e.tsv - by a fifth hand that never saw the bot,
#      written while the fifth pass ran, scored once after it (2026-12-07): the
#      clean figure now; nobody reads its lines or misses;
#   0. tests/nearmiss/heldout-d.tsv - by a fourth hand that never saw the bot,
#      written before the third and fourth passes, scored once after them
#      (2026-12-07); its total was watched during the fifth pass (README);
#   1. tests/nearmiss/heldout-c.tsv - by another hand, scored once after the
#      second pass (2026-12-07); three of its lines were seen during the
#      fourth pass (README), so no longer quite clean;
#   2. tests/nearmiss/heldout.tsv - never tuned on (its total was looked at
#      during the second pass: a little optimistic);
#   3. tests/nearmiss/dev.tsv     - the part the team may read and fix causes from;
#   4. tests/nearmiss/dev-b.tsv   - a second tuning set in other voices (rural,
#      angry, Zalo run-on, fragments, stories, mixed subjects), written before
#      the third pass (2026-12-07) and measured before any change: 0.825;
#   5. tests/nearmiss/dev-c.tsv   - a third tuning set (fifth pass, 2026-12-07):
#      mixed-subject stories, two questions in one message, voice-typed text
#      without punctuation, written before that pass changed anything: 0.809.
# The target (issue 16): >= 0.90 of the out-of-coverage questions declined or
# named as a known procedure without a guide, on both files (a decline that
# names the body handling it, data/referrals.tsv, is still a decline). dev and
# heldout reach it since 2026-12-07, and so does heldout-f (0.924, measured before the sixth
# session changed anything); heldout-c (0.863), heldout-d (0.836) and heldout-e (0.829) do not
# (docs/understanding.md, "Breadth and near misses"):
# each is gated at its measured figure rounded down - a regression fails - and
# a run prints "TARGET NOT MET" when a file falls below the target. A floor may
# only be raised.
# Exit status: score.js's own for the first file that did not pass (3 below the
# target, 2 bad input), 1 when the binary or database is missing, else 0.
set -u -o pipefail
build=${1:?usage: tests/nearmiss-gate.sh BUILD}
cd "$(dirname "$0")/.."
TARGET=0.90
FLOOR_HELDOUT=0.90 # measured 0.905 (2026-12-07, second pass; was 0.842)
FLOOR_DEV=0.97     # measured 0.979 (fourth pass; 0.953 after the third, 0.811 before the second)
# heldout-c.tsv: written by another hand after the second pass, measured once
# (2026-12-07: 0.853 after 6 lines too close to dev/heldout were deleted
# unread), never read by anyone who tunes: the fresh figure; 0.863 after the
# fourth pass (foreigners' own papers, fragments)
FLOOR_HELDOUT_C=0.86
FLOOR_DEV_B=0.90 # measured 0.904 (103/114) after the fifth pass (0.860 after the third, 0.825 before it)
FLOOR_DEV_C=0.91 # measured 0.915 (43/47) after the fifth pass (0.809 before it)
# heldout-d.tsv: 190 lines written before the third pass, 16 deleted unread by the
# leak check (too close to training text, ../shared/eval, tests/data or
# heldout-c), scored once after the fourth pass: 0.836 (97/116)
FLOOR_HELDOUT_D=0.83 # unchanged by the fifth pass (0.836); its total was watched during it
# heldout-e.tsv: 190 lines written during the fifth pass by a hand that never saw the
# bot, 38 deleted unread by the leak check, scored once after it: 0.829 (87/105)
FLOOR_HELDOUT_E=0.82
# heldout-f.tsv: 190 lines written before the sixth session changed anything, 58 deleted
# unread by the leak check, scored once on 86c1228: 0.924 (85/92)
FLOOR_HELDOUT_F=0.92

bin=$build/motcua
db=$build/motcua.db
if [ ! -x "$bin" ] || [ ! -f "$db" ]; then
  echo "nearmiss-gate: $bin or $db is missing (make BUILD=$build all)" >&2
  exit 1
fi
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
status=0
echo "near-miss gate: target out of coverage declined or named >= $TARGET (floors: heldout-f" \
  "$FLOOR_HELDOUT_F, heldout-e $FLOOR_HELDOUT_E, heldout-d $FLOOR_HELDOUT_D, heldout-c $FLOOR_HELDOUT_C, heldout $FLOOR_HELDOUT, dev $FLOOR_DEV, dev-b $FLOOR_DEV_B," \
  "dev-c $FLOOR_DEV_C)"
for f in tests/nearmiss/heldout-f.tsv tests/nearmiss/heldout-e.tsv tests/nearmiss/heldout-d.tsv tests/nearmiss/heldout-c.tsv tests/nearmiss/heldout.tsv tests/nearmiss/dev.tsv \
  tests/nearmiss/dev-b.tsv tests/nearmiss/dev-c.tsv; do
  floor=$FLOOR_DEV
  [ "$f" = tests/nearmiss/heldout.tsv ] && floor=$FLOOR_HELDOUT
  [ "$f" = tests/nearmiss/heldout-c.tsv ] && floor=$FLOOR_HELDOUT_C
  [ "$f" = tests/nearmiss/heldout-d.tsv ] && floor=$FLOOR_HELDOUT_D
  [ "$f" = tests/nearmiss/heldout-e.tsv ] && floor=$FLOOR_HELDOUT_E
  [ "$f" = tests/nearmiss/heldout-f.tsv ] && floor=$FLOOR_HELDOUT_F
  [ "$f" = tests/nearmiss/dev-b.tsv ] && floor=$FLOOR_DEV_B
  [ "$f" = tests/nearmiss/dev-c.tsv ] && floor=$FLOOR_DEV_C
  if ! grep -v '^#' "$f" | cut -f1 | "$bin" ask --db "$db" --batch >"$out"; then
    echo "  $f: motcua ask failed"
    [ "$status" -eq 0 ] && status=1
    continue
  fi
  show=${NEARMISS_SHOW:-}
  case "$f" in *heldout*) show= ;; esac # a held-out file's misses are never printed: nobody reads them
  NEARMISS_SHOW=$show node tests/nearmiss/score.js "$out" "$f" --min-decline "$floor" --target "$TARGET" |
    sed 's/^/  /'
  rc=${PIPESTATUS[0]}
  [ "$rc" -ne 0 ] && [ "$status" -eq 0 ] && status=$rc
done
exit "$status"
