#!/usr/bin/env bash
# tests/understanding-gate.sh BUILD - the understanding gate of `make test`:
# runs BUILD/motcua eval on the knowledge database BUILD/motcua.db with the
# stated targets (docs/understanding.md, "Figures") as gates, on
#   1. tests/heldout/heldout.tsv - the team's frozen held-out split, never tuned on;
#   2. ../shared/eval/dev.tsv    - the development set (measured, never trained on).
# Prints each file's summary line and every gate's figure against its target.
# tests/heldout/tune.tsv, the part the team may tune on, is measured and
# printed without gates (an optimistic figure; its exit status still counts).
# Exit status: motcua's own for the first file that did not pass (3 a gate
# failed, 2 bad input: a missing or malformed file, or no lines for a gate;
# 1 runtime failure), else 0. No pipe stands between motcua and that status.
set -u -o pipefail
build=${1:?usage: tests/understanding-gate.sh BUILD}
cd "$(dirname "$0")/.."

# The stated targets (issue 11). Do not loosen one to make a failing figure
# pass: the figure is the result (tests/heldout/README.md).
MIN_INSCOPE=0.95 # in-scope messages answered ("match") with the right procedure
MIN_NONE=0.90    # out-of-scope messages answered "none"
MIN_TOP3=0.98    # in-scope messages whose procedure is among the 3 candidates
MIN_NODIAC=0.90  # in-scope messages typed without any diacritic, answered right
# In-scope accuracy reached its target on both files once the decision answered
# with alternatives instead of asking (docs/understanding.md, "Figures": 0.952
# held-out, 0.954 dev, clarify not counted), so the floors that gated it below the
# target until then are gone: every figure is gated at its target.

bin=$build/motcua
db=$build/motcua.db
status=0
out=$(mktemp) && err=$(mktemp) || exit 1
trap 'rm -f "$out" "$err"' EXIT

# measure FILE [GATE FLAGS...]: one motcua eval run; keeps the first failure.
measure() {
  local file=$1 rc
  shift
  "$bin" eval --db "$db" "$@" "$file" >"$out" 2>"$err"
  rc=$?
  echo "  $file: $(tail -n 1 "$out")"
  sed 's/^/    /' "$err"
  if [ "$rc" -ne 0 ]; then
    echo "  $file: motcua eval exited $rc"
    [ "$status" -eq 0 ] && status=$rc
  fi
}

if [ ! -x "$bin" ] || [ ! -f "$db" ]; then
  echo "understanding-gate: $bin or $db is missing (make BUILD=$build all)" >&2
  exit 1
fi
# the gate flags for one file: every figure at its target
gates=(--min-inscope "$MIN_INSCOPE" --min-none "$MIN_NONE" --min-top3 "$MIN_TOP3"
  --min-nodiac "$MIN_NODIAC")
echo "understanding gate: in-scope >= $MIN_INSCOPE, none >= $MIN_NONE, top-3 >= $MIN_TOP3," \
     "no-diacritics in-scope >= $MIN_NODIAC"
measure tests/heldout/heldout.tsv "${gates[@]}"
measure ../shared/eval/dev.tsv "${gates[@]}"
measure tests/heldout/tune.tsv
exit "$status"
