#!/usr/bin/env bash
# Runs every test binary in BUILD/tests (soak excluded) with a per-test timeout, then the
# optional suites. Prints one line per test and a summary; exits non-zero on any failure.
set -u
BUILD=${1:-build}
SHARED=${2:-../shared}
FILTER=${TEST_FILTER:-}   # optional regex: run only the tests whose names match
export RIPTIDE_SHARED="$SHARED"
pass=0; fail=0; failed=()
for t in "$BUILD"/tests/test_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  if [ -n "$FILTER" ] && ! [[ "$name" =~ $FILTER ]]; then continue; fi
  start=$(date +%s%N)
  if out=$(timeout 300 "$t" 2>&1); then
    pass=$((pass+1)); status=ok
  else
    rc=$?
    fail=$((fail+1)); failed+=("$name"); status="FAIL (rc=$rc)"
    echo "$out" | tail -40
  fi
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  printf '%-40s %s  %d ms\n' "$name" "$status" "$ms"
done
for s in scripts/test-*.sh; do
  [ -x "$s" ] || continue
  name=$(basename "$s" .sh)
  if [ -n "$FILTER" ] && ! [[ "$name" =~ $FILTER ]]; then continue; fi
  if "$s" "$BUILD" "$SHARED"; then pass=$((pass+1)); echo "$name ok";
  else fail=$((fail+1)); failed+=("$name"); echo "$name FAIL"; fi
done
echo "tests: $pass passed, $fail failed${failed:+ (${failed[*]})}"
[ "$fail" -eq 0 ]
