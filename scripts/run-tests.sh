#!/usr/bin/env bash
# Runs every test binary in BUILD/tests (soak excluded) with a per-test timeout, then the
# scripts/test-*.sh suites. One line per suite - ok, FAIL or SKIP - and a summary
# "tests: P passed, F failed, S skipped"; exits non-zero on any failure.
#
# Skips are counted, never reported as ok:
#  - a cmocka binary whose every test called skip() is SKIP; one that skipped some of its tests
#    is ok and says which ("ok, 1 of 14 skipped: test_x");
#  - a script that exits 77 (the automake convention) is SKIP.
# With CI=true nothing may be skipped: a missing SHARED (../shared: html5lib-tests, the eval
# corpus) or any SKIP is a failure, so CI always runs the conformance, differential and corpus
# suites. The one exception is a suite that needs a kernel privilege a CI container may refuse
# (CI_MAY_SKIP, a regex: test-serve-ssrf builds a network namespace with `unshare -n`): its SKIP
# stays a SKIP there, counted and printed with its reason.
set -u
BUILD=${1:-build}
SHARED=${2:-../shared}
FILTER=${TEST_FILTER:-}   # optional regex: run only the tests whose names match
EXCLUDE=${TEST_EXCLUDE:-} # optional regex: leave out the tests whose names match
CI=${CI:-}
CI_MAY_SKIP=${CI_MAY_SKIP:-^test-serve-ssrf$}
export RIPTIDE_SHARED="$SHARED"
pass=0; fail=0; skipped=0; failed=(); skips=()

# record NAME STATUS(ok|fail|skip) DETAIL MS
record() {
  local name=$1 st=$2 detail=$3 ms=$4
  if [ "$st" = skip ] && [ "$CI" = true ] && ! [[ "$name" =~ $CI_MAY_SKIP ]]; then
    st=fail; detail="SKIP is a failure with CI=true${detail:+: $detail}"
  fi
  case $st in
    ok) pass=$((pass+1)); printf '%-40s ok%s  %d ms\n' "$name" "${detail:+, $detail}" "$ms" ;;
    skip) skipped=$((skipped+1)); skips+=("$name")
          printf '%-40s SKIP%s  %d ms\n' "$name" "${detail:+ ($detail)}" "$ms" ;;
    *) fail=$((fail+1)); failed+=("$name"); printf '%-40s FAIL (%s)  %d ms\n' "$name" "$detail" "$ms" ;;
  esac
}

if [ ! -d "$SHARED" ]; then
  if [ "$CI" = true ]; then
    record "shared-data" fail "CI=true and $SHARED is missing" 0
  else
    echo "note: $SHARED is missing: the conformance, differential and corpus suites skip"
  fi
fi

for t in "$BUILD"/tests/test_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  if [ -n "$FILTER" ] && ! [[ "$name" =~ $FILTER ]]; then continue; fi
  if [ -n "$EXCLUDE" ] && [[ "$name" =~ $EXCLUDE ]]; then continue; fi
  start=$(date +%s%N)
  out=$(timeout 300 "$t" 2>&1); rc=$?
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  run=$(sed -n 's/^\[==========\] \([0-9]*\) test(s) run\./\1/p' <<<"$out" | tail -1)
  nskip=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test(s), listed below:/\1/p' <<<"$out" | tail -1)
  if [ "$rc" -ne 0 ]; then
    echo "$out" | tail -40
    record "$name" fail "rc=$rc" "$ms"
  elif [ -n "$nskip" ] && [ "$nskip" = "$run" ]; then
    record "$name" skip "all $run tests skipped" "$ms"
  elif [ -n "$nskip" ]; then
    names=$(grep -E '^\[  SKIPPED \] [A-Za-z_]' <<<"$out" | awk '{print $4}' | sort -u | paste -sd' ')
    record "$name" ok "$nskip of $run skipped: $names" "$ms"
  else
    record "$name" ok "" "$ms"
  fi
done
for s in scripts/test-*.sh; do
  [ -x "$s" ] || continue
  name=$(basename "$s" .sh)
  if [ -n "$FILTER" ] && ! [[ "$name" =~ $FILTER ]]; then continue; fi
  if [ -n "$EXCLUDE" ] && [[ "$name" =~ $EXCLUDE ]]; then continue; fi
  start=$(date +%s%N)
  "$s" "$BUILD" "$SHARED"; rc=$?
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  if [ "$rc" -eq 0 ]; then record "$name" ok "" "$ms"
  elif [ "$rc" -eq 77 ]; then record "$name" skip "" "$ms"
  else record "$name" fail "rc=$rc" "$ms"; fi
done
echo "tests: $pass passed, $fail failed, $skipped skipped${failed:+ (failed: ${failed[*]})}${skips:+ (skipped: ${skips[*]})}"
[ "$fail" -eq 0 ]
