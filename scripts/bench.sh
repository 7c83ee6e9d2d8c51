#!/usr/bin/env bash
# make bench: every benchmark binary, then the side-by-side run against Readability.js.
# Figures are printed with ratios against a baseline measured in the same run.
set -uo pipefail
BUILD=${1:-build}
SHARED=${2:-../shared}
export RIPTIDE_SHARED="$SHARED"
rc=0
for b in "$BUILD"/bench/bench_*; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b" "$SHARED" || rc=1
  echo
done
if [ -x scripts/bench-peers.sh ]; then
  echo "== riptide vs Readability.js (same run)"
  scripts/bench-peers.sh "$BUILD" "$SHARED" || rc=1
fi
if [ -x scripts/bench-python.sh ]; then
  echo "== Python package: extract_many vs riptide bench, vs readability-lxml (same run)"
  scripts/bench-python.sh "$BUILD" "$SHARED" || rc=1
fi
if [ -x scripts/bench-serve.sh ] && command -v wrk >/dev/null; then
  echo "== riptide serve under wrk vs riptide bench (same run)"
  scripts/bench-serve.sh "$BUILD" "$SHARED" || rc=1
fi
exit $rc
