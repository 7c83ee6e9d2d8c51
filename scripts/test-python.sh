#!/usr/bin/env bash
# Tests of the Python package (python/): run by make test (args BUILD SHARED).
#
# For Debian's /usr/bin/python3 the package is built with setuptools (python/setup.py, as
# `make python` does) and tested with pytest; for the python3 first on PATH, when it is another
# interpreter, it is built as a wheel by pip (the stdlib-only backend, build isolation on, no
# network) and tested with the standard library's unittest. An interpreter without Python
# headers is skipped with a message, and so is a sanitizer build (the extension cannot load an
# instrumented libriptide.a into an uninstrumented interpreter).
set -u
BUILD=${1:-build}
SHARED=${2:-../shared}
ROOT=$(pwd)
LIB="$ROOT/$BUILD/libriptide.a"
export RIPTIDE_SHARED="$SHARED" RIPTIDE_CLI="$ROOT/$BUILD/riptide" RIPTIDE_LIBRARY="$LIB"
if [ ! -f "$LIB" ] || [ ! -x "$RIPTIDE_CLI" ]; then
  echo "test-python: $LIB or $RIPTIDE_CLI not built"
  exit 1
fi
if nm "$LIB" 2>/dev/null | grep -qE '__(asan|tsan|ubsan)_'; then
  echo "test-python: SKIP (sanitizer build: the extension needs an uninstrumented library)"
  exit 77
fi

has_headers() {
  "$1" -c 'import os, sys, sysconfig
sys.exit(0 if os.path.isfile(os.path.join(sysconfig.get_paths()["include"], "Python.h")) else 1)' \
    2>/dev/null
}

rc=0; ran=0
OUT="$ROOT/$BUILD/python-test"
rm -rf "$OUT"; mkdir -p "$OUT"

deb=/usr/bin/python3
if [ -x "$deb" ] && has_headers "$deb"; then
  ran=$((ran+1))
  echo "test-python: $deb ($($deb --version 2>&1)), setuptools build"
  if (cd python && "$deb" setup.py -q build --build-base "$OUT/deb-build" --build-lib "$OUT/deb") \
      >"$OUT/deb.log" 2>&1; then
    if "$deb" -c 'import pytest' 2>/dev/null; then
      runner=(-m pytest -q -rxX -p no:cacheprovider python/tests)
    else
      runner=(-m unittest discover -s python/tests)
    fi
    PYTHONPATH="$OUT/deb:$ROOT/python/tests" "$deb" "${runner[@]}" || rc=1
  else
    tail -30 "$OUT/deb.log"; echo "test-python: build with $deb failed"; rc=1
  fi
else
  echo "test-python: SKIP $deb (no Python headers: install python3-dev)"
fi

path_py=$(command -v python3 || true)
if [ -n "$path_py" ] && [ "$("$path_py" -c 'import sys; print(sys.executable)')" != "$deb" ]; then
  if has_headers "$path_py" && "$path_py" -m pip --version >/dev/null 2>&1; then
    ran=$((ran+1))
    echo "test-python: $path_py ($("$path_py" --version 2>&1)), pip wheel + unittest"
    if "$path_py" -m pip wheel -q --no-deps -w "$OUT/wheel" ./python >"$OUT/pip.log" 2>&1 &&
        "$path_py" -m zipfile -e "$OUT"/wheel/riptide-*.whl "$OUT/pip"; then
      PYTHONPATH="$OUT/pip:$ROOT/python/tests" "$path_py" -m unittest discover -s python/tests \
        2>&1 | tail -4
      [ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
    else
      tail -30 "$OUT/pip.log"; echo "test-python: pip wheel with $path_py failed"; rc=1
    fi
  else
    echo "test-python: SKIP $path_py (no Python headers or no pip)"
  fi
fi
if [ "$ran" -eq 0 ]; then
  echo "test-python: SKIP (no python3 with headers found)"
  exit 77
fi
exit $rc
