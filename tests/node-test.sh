#!/usr/bin/env bash
# Runs node's test runner one file at a time on any Node.js >= 18.15 (Debian 12
# ships 18.19, where --test-concurrency does not exist yet and files already
# run one by one on a 2-core machine).
set -u
flags=()
if node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a===20&&b>=10)?0:1)'; then
  flags+=(--test-concurrency=1)
fi
exec node --test "${flags[@]}" "$@"
