#!/bin/sh
# Fails when a training text of data/ is a copy or near-copy of an evaluation
# line: ../shared/eval/*.tsv, the unit-test accuracy file tests/data/intents.tsv
# the held-out split tests/heldout/*.tsv and the near-miss set tests/nearmiss/*.tsv
# (compared in that order, so the
# test file and the split are also kept apart from ../shared/eval). Usage:
# tests/leak-check.sh BUILD_DIR. Exit 0 clean, 1 leaks, 2 missing files.
# How the threshold was chosen: docs/understanding.md, "Keeping evaluation apart".
set -u
cd "$(dirname "$0")/.." || exit 2
build=${1:?usage: tests/leak-check.sh BUILD_DIR}
if ! ls ../shared/eval/*.tsv >/dev/null 2>&1; then
  echo "leak-check: no ../shared/eval/*.tsv: cannot check training data against the evaluation" >&2
  exit 2
fi
set -- ../shared/eval/*.tsv tests/data/intents.tsv
for f in tests/heldout/*.tsv tests/nearmiss/*.tsv; do
  [ -f "$f" ] && set -- "$@" "$f"
done
exec "$build/motcua" check-leak data "$@" # its own exit status, never through a pipe
