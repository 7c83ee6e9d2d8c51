# cli-test.sh - sourced by the scripts/test-cli*.sh, test-corpus.sh and (through serve-test.sh)
# test-serve*.sh suites (not a suite).
# After `cli_test_init NAME BUILD`: RT is the absolute path of the built riptide (exit 1 when it
# is not built), ROOT the checkout, T a temporary folder removed at exit, and ok/bad/check count
# results in $pass and $fail; `run ARGS...` runs riptide with a 300 s bound and sets $rc and
# the files $out and $err. A suite that needs more at exit sets its own EXIT trap (and removes
# $T there).
cli_test_init() {
  local name=$1 build=$2
  RT="$build/riptide"
  if [ ! -x "$RT" ]; then
    echo "$name: $RT not built"
    exit 1
  fi
  RT=$(cd "$(dirname "$RT")" && pwd)/$(basename "$RT")
  ROOT=$(pwd)
  T=$(mktemp -d "/tmp/riptide-$name.XXXXXX")
  trap 'rm -rf "$T"' EXIT
  pass=0
  fail=0
}
ok() { pass=$((pass + 1)); echo "  ok   $1"; }
bad() { fail=$((fail + 1)); echo "  FAIL $1"; }
check() { # check NAME COMMAND...
  local name=$1
  shift
  if "$@"; then ok "$name"; else bad "$name"; fi
}
run() {
  out="$T/stdout"
  err="$T/stderr"
  timeout 300 "$RT" "$@" >"$out" 2>"$err"
  rc=$?
}
