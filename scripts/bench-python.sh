#!/usr/bin/env bash
# make bench: the Python package against `riptide bench` (same pages, same run) and against
# readability-lxml per core (python/bench/bench_riptide.py). Args: BUILD SHARED.
# Skips with a message when /usr/bin/python3 has no headers.
set -u
BUILD=${1:-build}
SHARED=${2:-../shared}
shift $(( $# < 2 ? $# : 2 ))
ROOT=$(pwd)
PY=${PYTHON:-/usr/bin/python3}
DIR="$SHARED/eval/dev"
if ! "$PY" -c 'import os, sys, sysconfig
sys.exit(0 if os.path.isfile(os.path.join(sysconfig.get_paths()["include"], "Python.h")) else 1)' \
    2>/dev/null; then
  echo "bench-python: SKIP ($PY has no Python headers: install python3-dev)"; exit 0
fi
if [ ! -d "$DIR" ]; then echo "bench-python: SKIP (no $DIR)"; exit 0; fi
OUT="$ROOT/$BUILD/python-bench"
if ! (cd python && RIPTIDE_LIBRARY="$ROOT/$BUILD/libriptide.a" "$PY" setup.py -q build \
      --build-base "$OUT-build" --build-lib "$OUT") >"$OUT.log" 2>&1; then
  tail -20 "$OUT.log"; echo "bench-python: build failed"; exit 1
fi
PYTHONPATH="$OUT" "$PY" python/bench/bench_riptide.py "$ROOT/$BUILD/riptide" "$DIR" "$@"
