#!/usr/bin/env bash
# html5lib-tests conformance: runs the tokenizer and tree-construction runners, prints exactly
# their two summary lines ("tokenizer: P/N passed", "tree-construction: P/N passed") and fails
# when a pass rate is below the committed baseline (tests/conformance-baseline.txt, lines
# "tokenizer P N" and "tree-construction P N"). Run by make test (args BUILD SHARED) and by
# make conformance. Skips (exit 77, SKIP) when SHARED/testdata/html5lib-tests is absent.
set -u
BUILD=${1:-build}
SHARED=${2:-../shared}
export RIPTIDE_SHARED="$SHARED"
BASELINE=tests/conformance-baseline.txt
data="$SHARED/testdata/html5lib-tests"
if [ ! -d "$data" ]; then
  echo "tokenizer: SKIP (no html5lib tests at $data)"
  echo "tree-construction: SKIP (no html5lib tests at $data)"
  exit 77 # skipped (scripts/run-tests.sh; a failure there with CI=true)
fi
rc=0
check() { # name runner
  local name=$1 runner=$2 line p n bp bn
  if [ ! -x "$runner" ]; then
    echo "$name: skipped (runner $runner not built)"
    if grep -q "^$name " "$BASELINE" 2>/dev/null; then
      echo "test-conformance: $name has a baseline but no runner" >&2
      rc=1
    fi
    return
  fi
  line=$("$runner" | grep "^$name: " | tail -1)
  echo "${line:-$name: no result}"
  if [[ "$line" =~ ^$name:\ ([0-9]+)/([0-9]+)\ passed ]]; then
    p=${BASH_REMATCH[1]}; n=${BASH_REMATCH[2]}
    read -r bp bn < <(awk -v k="$name" '$1 == k {print $2, $3}' "$BASELINE" 2>/dev/null)
    if [ -n "${bp:-}" ] && [ -n "${bn:-}" ] && [ "$bn" -gt 0 ]; then
      # pass rate p/n below bp/bn?
      if [ $((p * bn)) -lt $((bp * n)) ]; then
        echo "test-conformance: $name $p/$n is below the baseline $bp/$bn" >&2
        rc=1
      fi
    fi
  elif [[ ! "$line" =~ skipped ]]; then
    rc=1
  fi
}
check tokenizer "$BUILD/tests/tokenizer_conformance"
check tree-construction "$BUILD/tests/tree_conformance"
exit $rc
