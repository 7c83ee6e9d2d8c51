# serve-test.sh - sourced by the scripts/test-serve*.sh suites (not a suite), after
# scripts/lib/cli-test.sh. After `serve_test_init NAME BUILD` (which calls cli_test_init):
# PIDS lists the background processes killed at exit, PY is Debian's python3 when present, and
# at exit a failed suite prints the servers' own messages ($T/stderr.*, access log lines left
# out; KEEP=1 keeps $T). Requests and servers:
#   serve_start LOG ARGS...   `riptide serve ARGS...` in the background, stdout and stderr in
#                             $T/stdout.LOG and $T/stderr.LOG; sets SPID, and ADDR to the first
#                             line of its stdout (the bound address), empty if it died first
#   req NAME STATUS CURL-ARGS...   curl with the body in $T/body, headers in $T/hdr; ok when the
#                             status is STATUS (REQ_TIMEOUT seconds at most, default 20)
#   has TEXT, hdr TEXT        the last body holds TEXT / a header line matches TEXT
serve_test_init() {
  cli_test_init "$1" "$2"
  PIDS=()
  PY=python3
  [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
  trap serve_test_cleanup EXIT
}

serve_test_cleanup() {
  local p f
  for p in "${PIDS[@]}"; do
    kill "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  if [ "$fail" -gt 0 ]; then # the servers' own messages (sanitizer reports), not the access log
    for f in "$T"/stderr.*; do
      [ -f "$f" ] && grep -v '^{"ts"' "$f" | head -60
    done
  fi
  if [ "$fail" -gt 0 ] && [ -n "${KEEP:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
}

serve_start() {
  local log=$1
  shift
  "$RT" serve "$@" >"$T/stdout.$log" 2>"$T/stderr.$log" &
  SPID=$!
  PIDS+=("$SPID")
  ADDR=
  for _ in $(seq 1 200); do # the address is printed once the server listens
    ADDR=$(head -n1 "$T/stdout.$log" 2>/dev/null)
    [ -n "$ADDR" ] && break
    kill -0 "$SPID" 2>/dev/null || break
    sleep 0.05
  done
}

req() {
  local name=$1 want=$2 got
  shift 2
  got=$(curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' --max-time "${REQ_TIMEOUT:-20}" "$@")
  if [ "$got" = "$want" ]; then
    ok "$name ($got)"
  else
    bad "$name: status $got, wanted $want: $(head -c 300 "$T/body")"
  fi
}
has() { grep -q -- "$1" "$T/body"; }
hdr() { grep -qi -- "$1" "$T/hdr"; }
