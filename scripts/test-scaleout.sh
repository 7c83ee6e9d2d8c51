#!/usr/bin/env bash
# Scale-out tests (riptide worker / submit / collect) against a real redis-server that this
# script starts on a unix socket in a temporary directory (AOF on, appendfsync always) and
# stops at the end. Skips when redis-server is not installed.
#
#   scripts/test-scaleout.sh [BUILD] [SHARED]
#
# Every wait below waits for a condition (a process exit, a number of results), with a
# timeout so that a bug fails the test instead of hanging it.
set -u
BUILD=${1:-build}
SHARED=${2:-../shared} # the warcio test files (testdata/warc), when present
R=$BUILD/riptide
NAME=test-scaleout

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
  echo "$NAME: SKIP: redis-server/redis-cli not installed (scripts/install-deps.sh installs them)"
  exit 77
fi
[ -x "$R" ] || { echo "$NAME: FAIL: $R not built"; exit 1; }

T=$(mktemp -d)
# docs_lib.load(PATH): the JSON lines of PATH by id, timings (*_ms) left out, one line per id;
# docs_lib.lines(PATH): the same as a multiset of lines, for inputs whose ids repeat;
# the checks below compare collect's output with extract's through them (PYTHONPATH=$T).
cat >"$T/docs_lib.py" <<'PY'
import collections, json

def load(path):
    out = {}
    for line in open(path):
        o = json.loads(line)
        for k in [k for k in o if k.endswith("_ms")]:  # timings differ from run to run
            del o[k]
        assert o["id"] not in out, "two lines for %s" % o["id"]
        out[o["id"]] = o
    return out

def lines(path):
    """The JSON lines of PATH as a multiset (ids may repeat across files), timings left out."""
    out = collections.Counter()
    for line in open(path):
        o = json.loads(line)
        for k in [k for k in o if k.endswith("_ms")]:
            del o[k]
        out[json.dumps(o, sort_keys=True)] += 1
    return out
PY
# warc_lib.rec(...) / warc_lib.resp(...): WARC 1.1 records (a response wraps an HTTP 200), for
# the WARC files the sections below write.
cat >"$T/warc_lib.py" <<'PY'
def rec(typ, rid, uri, ctype, block):
    h = "WARC/1.1\r\nWARC-Type: %s\r\n" % typ
    if rid: h += "WARC-Record-ID: <urn:uuid:%s>\r\n" % rid
    h += "WARC-Date: 2026-05-06T07:08:09Z\r\n"
    if uri: h += "WARC-Target-URI: %s\r\n" % uri
    h += "Content-Type: %s\r\nContent-Length: %d\r\n\r\n" % (ctype, len(block))
    return h.encode() + block + b"\r\n\r\n"

def resp(rid, uri, body, ctype="text/html; charset=utf-8", extra=""):
    return rec("response", rid, uri, "application/http;msgtype=response",
               ("HTTP/1.1 200 OK\r\nContent-Type: %s\r\n%s\r\n" % (ctype, extra)).encode() + body)
PY
SOCK=$T/redis.sock
U=unix://$SOCK
RPID=
BG=() # background processes of this script, stopped at exit

cleanup() {
  for p in "${BG[@]}"; do kill -9 "$p" 2>/dev/null; done
  [ -n "$RPID" ] && kill -9 "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

fail() {
  echo "$NAME: FAIL: $*"
  for f in "$T"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -15 "$f"; }; done
  exit 1
}
note() { echo "$NAME: $*"; }
rc() { redis-cli -s "$SOCK" --no-auth-warning ${RPASS:+-a "$RPASS"} "$@"; }

redis_start() {
  redis-server --port 0 --unixsocket "$SOCK" --unixsocketperm 700 --dir "$T" \
    --appendonly yes --appendfsync always --save '' --logfile "$T/redis.log" &
  RPID=$!
  for _ in $(seq 200); do # until it answers (at most ~10 s)
    [ "$(rc ping 2>/dev/null)" = PONG ] && return 0
    kill -0 "$RPID" 2>/dev/null || fail "redis-server did not start"
    sleep 0.05
  done
  fail "redis-server did not answer"
}

reset() { rc del riptide:jobs riptide:results riptide:dead >/dev/null; }

# Pages p0000.html ... in dir $1, $2 of them, small (a title and three paragraphs).
make_pages() {
  python3 - "$1" "$2" <<'EOF'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
os.makedirs(d, exist_ok=True)
for i in range(n):
    with open(os.path.join(d, "p%04d.html" % i), "w") as f:
        f.write("<html><head><title>Page %d</title></head><body><article><h1>Page %d</h1>"
                % (i, i) + "".join("<p>Paragraph %d of page %d: the harbour lights came on "
                "one by one while the tide turned and the boats swung on their moorings.</p>"
                % (k, i) for k in range(3)) + "</article></body></html>")
EOF
}

# Every id p0000..p(N-1) exactly once in the collected file $1, nothing else; prints counts.
check_once() {
  python3 - "$1" "$2" <<'EOF' || fail "results of $1 are not one per input"
import json, sys, collections
path, n = sys.argv[1], int(sys.argv[2])
ids = collections.Counter()
errors = 0
for line in open(path):
    o = json.loads(line)
    ids[o["id"]] += 1
    errors += "error" in o
want = {"p%04d" % i for i in range(n)}
dup = [k for k, c in ids.items() if c > 1]
missing = want - set(ids)
extra = set(ids) - want
if dup or missing or extra:
    print("duplicated %d (%s), missing %d (%s), unexpected %d" % (len(dup), dup[:5], len(missing),
          sorted(missing)[:5], len(extra)))
    sys.exit(1)
print("%d inputs, %d results, %d errors" % (n, sum(ids.values()), errors))
EOF
}

# Waits for child $1 to exit, killing it after $2 s; sets ST to its status ("timeout").
wait_exit() {
  sleep "$2" &
  local sl=$! who=
  wait -n -p who "$1" "$sl"
  ST=$?
  if [ "$who" = "$sl" ]; then
    kill -9 "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    ST=timeout
  else
    kill "$sl" 2>/dev/null
    wait "$sl" 2>/dev/null
  fi
}

start_worker() { # name, extra args...
  local name=$1
  shift
  "$R" worker --redis "$U" --consumer "$name" "$@" >"$T/$name.log" 2>&1 &
  LASTPID=$!
  BG+=("$LASTPID")
}

stop_worker() { # pid: SIGTERM, must exit 0
  kill -TERM "$1"
  wait_exit "$1" 30
  [ "$ST" = 0 ] || fail "worker $1 did not stop cleanly on SIGTERM (status $ST)"
}

redis_start
START=$(date +%s)

# ---- 1. submit -> 2 workers -> collect; the documents are the CLI's; XPENDING <= slots ----
reset
out=$("$R" submit --redis "$U" -q samples) || fail "submit samples"
[ "$out" = 3 ] || fail "submit printed '$out', not 3"
make_pages "$T/pages300" 300
out=$("$R" submit --redis "$U" -q "$T/pages300") || fail "submit pages"
[ "$out" = 300 ] || fail "submit printed '$out', not 300"
start_worker wa -p 2
WA=$LASTPID
start_worker wb -p 2
WB=$LASTPID
timeout 60 "$R" collect --redis "$U" --wait 303 -o "$T/one.jsonl" 2>"$T/collect1.log" &
CP=$!
BG+=("$CP")
# While the run lasts, worker wa (2 slots) never holds more than 2 un-acked jobs.
maxp=0
samples=0
while kill -0 "$CP" 2>/dev/null; do
  p=$(rc xpending riptide:jobs riptide - + 100 wa | grep -c '^wa$')
  samples=$((samples + 1))
  [ "$p" -gt "$maxp" ] && maxp=$p
done
wait "$CP" || fail "collect of the first run"
[ "$maxp" -le 2 ] || fail "worker with --parallel 2 held $maxp un-acked jobs"
note "XPENDING of a --parallel 2 worker: at most $maxp over $samples samples"
grep -v '"id":"p0' "$T/one.jsonl" >"$T/samples.jsonl"
"$R" extract -f jsonl -q samples >"$T/ref.jsonl"
PYTHONPATH=$T python3 - "$T/samples.jsonl" "$T/ref.jsonl" <<'EOF' || fail "worker documents differ from extract's"
import sys
from docs_lib import load
a, b = load(sys.argv[1]), load(sys.argv[2])
if a != b or len(a) != 3:
    sys.exit("documents differ: %s" % sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k)))
EOF
grep '"id":"p0' "$T/one.jsonl" >"$T/pages.jsonl"
note "2 workers: $(check_once "$T/pages.jsonl" 300)"
[ "$(rc xlen riptide:results)" = 303 ] || fail "results stream holds $(rc xlen riptide:results), not 303"
[ "$(rc hget riptide:workers:wa state)" = running ] || fail "no heartbeat hash for wa"
ttl=$(rc ttl riptide:workers:wa)
[ "$ttl" -gt 0 ] || fail "heartbeat hash does not expire (ttl $ttl)"
stop_worker "$WA"
stop_worker "$WB"

# ---- 2. kill -9 of a worker in the middle of 2,000 jobs ----
reset
make_pages "$T/pages" 2000
"$R" submit --redis "$U" -q "$T/pages" >/dev/null || fail "submit 2000"
start_worker k1 -p 2 --claim-idle 1s
K1=$LASTPID
start_worker k2 -p 2 --claim-idle 1s
K2=$LASTPID
timeout 60 "$R" collect --redis "$U" --group progress --wait 500 -o /dev/null -q ||
  fail "no progress"
kill -9 "$K1"
{ wait "$K1"; } 2>/dev/null
held=$(rc xpending riptide:jobs riptide - + 100 k1 | grep -c '^k1$')
timeout 60 "$R" collect --redis "$U" --wait 2000 -o "$T/kill.jsonl" -q || fail "collect after kill"
note "kill -9 of a worker ($held jobs in its hands): $(check_once "$T/kill.jsonl" 2000)"
[ "$(rc xlen riptide:results)" = 2000 ] || fail "results stream: $(rc xlen riptide:results) entries for 2000 jobs"
[ "$(rc xlen riptide:dead)" = 0 ] || fail "dead letters after a kill"
[ "$(rc xpending riptide:jobs riptide | head -1)" = 0 ] || fail "jobs still pending"
stop_worker "$K2"
note "  reclaimed by the survivor: $(grep -o '[0-9]* reclaimed' "$T/k2.log")"

# ---- 3. Redis killed and restarted in the middle of 2,000 jobs ----
reset
"$R" submit --redis "$U" -q "$T/pages" >/dev/null || fail "submit 2000 (2)"
start_worker r1 -p 2 --claim-idle 2s
R1=$LASTPID
start_worker r2 -p 2 --claim-idle 2s
R2=$LASTPID
timeout 90 "$R" collect --redis "$U" --wait 2000 -o "$T/restart.jsonl" -q 2>"$T/collect3.log" &
CP=$!
BG+=("$CP")
timeout 60 "$R" collect --redis "$U" --group progress --wait 500 -o /dev/null -q ||
  fail "no progress (2)"
kill -9 "$RPID"
wait "$RPID" 2>/dev/null
before=$(grep -c . "$T/restart.jsonl")
redis_start
wait "$CP" || fail "collect across the Redis restart"
note "Redis restart after $before results: $(check_once "$T/restart.jsonl" 2000)"
[ "$(rc xlen riptide:results)" = 2000 ] || fail "results stream: $(rc xlen riptide:results) entries for 2000 jobs"
[ "$(rc xpending riptide:jobs riptide | head -1)" = 0 ] || fail "jobs still pending (2)"
grep -q "connected to Redis again" "$T/r1.log" || fail "worker r1 did not report its reconnection"
stop_worker "$R1"
stop_worker "$R2"

# ---- 4. poison jobs: hostile page, bad gzip, bad options, a job workers keep dying on ----
reset
rc xgroup create riptide:jobs riptide 0 mkstream >/dev/null
# The dying-on job: delivered to "ghost" twice (read, then claimed), as if two workers had
# died holding it.
rc xadd riptide:jobs '*' id dies html '<p>x</p>' warc_error_id dies-record >/dev/null
rc xreadgroup group riptide ghost count 1 streams riptide:jobs '>' >/dev/null
gid=$(rc xrange riptide:jobs - + | head -1)
rc xclaim riptide:jobs riptide ghost2 0 "$gid" >/dev/null
python3 -c "print('<div>' * 100000 + 'deep')" >"$T/hostile.html"
"$R" submit --redis "$U" -q "$T/hostile.html" >/dev/null || fail "submit hostile"
printf '\037\213\010\000garbage-not-deflate' | rc -x xadd riptide:jobs '*' id badgzip encoding gzip html >/dev/null
rc xadd riptide:jobs '*' id badopts html '<p>x</p>' options '{"mode": 7' >/dev/null
rc xadd riptide:jobs '*' id unknownopt html '<p>x</p>' options '{"frobnicate": true}' >/dev/null
rc xadd riptide:jobs '*' id nothing base_url 'http://example.com/' >/dev/null
start_worker pz -p 1 --claim-idle 1s --max-deliveries 2
PZ=$LASTPID
timeout 60 "$R" collect --redis "$U" --wait 6 -o "$T/poison.jsonl" -q || fail "collect poison"
python3 - "$T/poison.jsonl" <<'EOF' || fail "poison results"
import json, sys
got = {}
for line in open(sys.argv[1]):
    o = json.loads(line)
    got[o["id"]] = o.get("error", {}).get("code", "ok")
want = {"badgzip": "DECODE", "badopts": "BAD_INPUT", "unknownopt": "BAD_INPUT",
        "nothing": "BAD_INPUT", "dies": "DEAD_LETTER"}
for k, v in want.items():
    if got.get(k) != v:
        sys.exit("%s: %s, want %s (all: %s)" % (k, got.get(k), v, got))
if "hostile" not in got or len(got) != 6:
    sys.exit("missing results: %s" % got)
print("test-scaleout: poison: " + ", ".join("%s=%s" % kv for kv in sorted(got.items())))
EOF
[ "$(rc xlen riptide:dead)" = 1 ] || fail "dead-letter stream holds $(rc xlen riptide:dead), not 1"
att=$(rc xrange riptide:dead - + | grep -A1 '^attempts$' | tail -1)
[ "$att" = 3 ] || fail "dead letter after $att deliveries, not 3"
[ "$(rc xrange riptide:dead - + | grep -A1 '^warc_error_id$' | tail -1)" = dies-record ] ||
  fail "the dead letter lost the job's warc_error_id: $(rc xrange riptide:dead - +)"
kill -0 "$PZ" 2>/dev/null || fail "worker died on a poison job"
stop_worker "$PZ"

# ---- 5. SIGTERM drains: jobs in hand are finished, written and acked; none lost ----
reset
python3 - "$T/big" <<'EOF'
import os, sys
d = sys.argv[1]
os.makedirs(d)
for i in range(40):
    with open(os.path.join(d, "b%02d.html" % i), "w") as f:
        f.write("<html><body>" + "".join("<div class=c%d><p>Sentence %d of a long page, with "
                "<a href='/x%d'>a link</a> and <b>bold</b> words in it.</p></div>" % (k % 7, k, k)
                for k in range(4000)) + "</body></html>")
EOF
"$R" submit --redis "$U" -q "$T/big" >/dev/null || fail "submit big"
start_worker st -p 2
ST=$LASTPID
timeout 60 "$R" collect --redis "$U" --group progress --wait 1 -o /dev/null -q || fail "no progress (3)"
stop_worker "$ST"
done_n=$(rc xlen riptide:results)
left=$(rc xlen riptide:jobs)
[ "$(rc xpending riptide:jobs riptide | head -1)" = 0 ] || fail "SIGTERM left jobs pending"
[ $((done_n + left)) = 40 ] || fail "SIGTERM: $done_n results + $left queued != 40"
[ "$(rc hget riptide:workers:st state)" = stopped ] || fail "heartbeat not marked stopped"
note "SIGTERM: drained with $done_n results written, $left jobs left queued, none pending"

# ---- 7. a job run twice at once (reclaimed from a slow worker) still has one result ----
reset
python3 - "$T/slow" <<'EOF'
import os, sys
d = sys.argv[1]
os.makedirs(d)
for i in range(6):
    with open(os.path.join(d, "s%d.html" % i), "w") as f:
        f.write("<html><body>" + "".join("<div><p>Sentence %d with <a href='/%d'>a link</a> "
                "and <i>words</i> in it.</p></div>" % (k, k) for k in range(20000)) + "</body></html>")
EOF
"$R" submit --redis "$U" -q "$T/slow" >/dev/null || fail "submit slow"
# --claim-idle shorter than an extraction: the two workers take each other's jobs mid-run.
start_worker d1 -p 1 --claim-idle 50ms --max-deliveries 1000 --links
D1=$LASTPID
start_worker d2 -p 1 --claim-idle 50ms --max-deliveries 1000 --links
D2=$LASTPID
timeout 60 "$R" collect --redis "$U" --wait 6 -o "$T/twice.jsonl" -q || fail "collect (7)"
stop_worker "$D1"
stop_worker "$D2"
[ "$(rc xlen riptide:results)" = 6 ] || fail "jobs run twice: $(rc xlen riptide:results) results for 6 jobs"
ids=$(python3 -c 'import json,sys; print(len({json.loads(l)["id"] for l in open(sys.argv[1])}))' "$T/twice.jsonl")
[ "$ids" = 6 ] || fail "jobs run twice: $ids distinct ids"
runs=$(($(rc hget riptide:workers:d1 ok) + $(rc hget riptide:workers:d1 superseded) +
  $(rc hget riptide:workers:d2 ok) + $(rc hget riptide:workers:d2 superseded)))
note "6 jobs run $runs times by two workers reclaiming each other's: 6 results"

# ---- 8. worker --listen: /healthz, /readyz, /metrics (shared with serve), Redis down -> 503 ----
reset
# GETs $1 until its status is $2 (at most ~10 s); the body is left in $T/body.
poll_status() {
  local code=
  for _ in $(seq 200); do
    code=$(curl -s -o "$T/body" -w '%{http_code}' "$1")
    [ "$code" = "$2" ] && return 0
    sleep 0.05
  done
  fail "$1 answered $code, not $2 (body: $(cat "$T/body"))"
}
metric() { # name{labels} -> value, from $T/metrics
  awk -v k="$1" '$1 == k { print $2 }' "$T/metrics"
}
"$R" worker --redis "$U" --consumer lw -p 1 --listen 127.0.0.1:0 >"$T/lw.out" 2>"$T/lw.log" &
LW=$!
BG+=("$LW")
A=
for _ in $(seq 200); do
  A=$(head -n1 "$T/lw.out" 2>/dev/null)
  [ -n "$A" ] && break
  kill -0 "$LW" 2>/dev/null || fail "worker --listen exited"
  sleep 0.05
done
case "$A" in http://127.0.0.1:[0-9]*) ;; *) fail "worker --listen printed '$A', not http://127.0.0.1:PORT" ;; esac
[ "$A" != http://127.0.0.1:0 ] || fail "worker --listen printed port 0, not the bound one"
poll_status "$A/healthz" 200
grep -q '"status":"ok"' "$T/body" || fail "/healthz body: $(cat "$T/body")"
poll_status "$A/readyz" 200
grep -q '"ready":true' "$T/body" || fail "/readyz body: $(cat "$T/body")"
[ "$(curl -s -o "$T/body" -w '%{http_code}' "$A/v1/extract")" = 404 ] || fail "worker serves more than the three endpoints"
grep -q 'answers GET /healthz, /readyz and /metrics' "$T/body" || fail "worker 404 body: $(cat "$T/body")"
code=$(curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' -X POST --data-binary 'a body it does not use' "$A/healthz")
[ "$code" = 405 ] && grep -q METHOD_NOT_ALLOWED "$T/body" && grep -qi '^Allow: GET' "$T/hdr" ||
  fail "POST /healthz on the worker: $code $(cat "$T/body")"
[ "$(curl -s -o /dev/null -w '%{http_code}' -I "$A/healthz")" = 200 ] || fail "HEAD /healthz on the worker"
# A second worker on the same address cannot listen: exit 1 with a message.
timeout 20 "$R" worker --redis "$U" --consumer lw2 -p 1 --listen "${A#http://}" >/dev/null 2>"$T/lw2.log"
st=$?
[ "$st" = 1 ] && [ -s "$T/lw2.log" ] || fail "worker --listen on a busy address: status $st, $(cat "$T/lw2.log")"
timeout 20 "$R" worker --redis "$U" --consumer lw3 -p 1 --listen no-such-host.invalid:0 >/dev/null 2>"$T/lw3.log"
st=$?
[ "$st" = 1 ] && grep -q 'no-such-host.invalid' "$T/lw3.log" || fail "worker --listen on an unresolvable host: status $st, $(cat "$T/lw3.log")"
poll_status "$A/metrics" 200
cp "$T/body" "$T/metrics"
[ "$(metric 'riptide_worker_jobs_total{outcome="ok"}')" = 0 ] || fail "jobs ok before any job: $(grep jobs_total "$T/metrics")"
[ "$(metric riptide_worker_redis_connected_slots)" = 1 ] || fail "connected slots: $(grep connected "$T/metrics")"
ext0=$(awk '/^riptide_extractions_total\{.*outcome="succeeded"/ { n += $2 } END { print n + 0 }' "$T/metrics")
grep -q '^riptide_slots{state="idle"}' "$T/metrics" || fail "no pool metrics in /metrics"
"$R" submit --redis "$U" -q samples >/dev/null || fail "submit (8)"
timeout 60 "$R" collect --redis "$U" --wait 3 -o /dev/null -q || fail "collect (8)"
poll_status "$A/metrics" 200
cp "$T/body" "$T/metrics"
[ "$(metric 'riptide_worker_jobs_total{outcome="ok"}')" = 3 ] || fail "jobs ok after 3 jobs: $(grep jobs_total "$T/metrics")"
ext1=$(awk '/^riptide_extractions_total\{.*outcome="succeeded"/ { n += $2 } END { print n + 0 }' "$T/metrics")
[ $((ext1 - ext0)) = 3 ] || fail "pool extractions went from $ext0 to $ext1 over 3 jobs"
kill -9 "$RPID"
wait "$RPID" 2>/dev/null
poll_status "$A/readyz" 503
grep -q 'not connected to Redis' "$T/body" || fail "/readyz without Redis: $(cat "$T/body")"
curl -s "$A/metrics" >"$T/metrics"
[ "$(metric riptide_worker_redis_connected_slots)" = 0 ] || fail "connected slots with Redis down: $(grep connected "$T/metrics")"
poll_status "$A/healthz" 200
redis_start
poll_status "$A/readyz" 200
curl -s "$A/metrics" >"$T/metrics"
rec=$(metric riptide_worker_redis_reconnects_total)
[ "${rec:-0}" -ge 1 ] || fail "reconnects after a Redis restart: '$rec'"
stop_worker "$LW"
note "worker --listen: $A: 200s, 3 jobs counted (worker and pool), /readyz 503 'not connected to Redis' while Redis was down, 200 after its restart ($rec reconnects)"

# ---- 9. options: usage errors (exit 2, naming the bad value), --help, bad --redis URLs ----
# usage_err EXPECTED-TEXT CMD...: CMD must exit 2 and say EXPECTED-TEXT on stderr.
usage_err() {
  local want=$1 st
  shift
  "$R" "$@" >"$T/u.out" 2>"$T/u.err"
  st=$?
  [ "$st" = 2 ] || fail "'$*' exited $st, not 2 (stderr: $(cat "$T/u.err"))"
  grep -qF -- "$want" "$T/u.err" || fail "'$*' did not say '$want': $(cat "$T/u.err")"
  [ -s "$T/u.out" ] && fail "'$*' wrote to stdout: $(cat "$T/u.out")"
  return 0
}
for cmd in submit collect worker; do
  "$R" "$cmd" --help >"$T/help.out" 2>&1 || fail "$cmd --help exited non-zero"
  for opt in --redis --results; do
    grep -q -- "$opt" "$T/help.out" || fail "$cmd --help does not list $opt"
  done
done
"$R" submit --help | grep -q -- '--input-file' || fail "submit --help does not list --input-file"
"$R" collect --help | grep -q -- '--wait' || fail "collect --help does not list --wait"
"$R" worker --help | grep -q -- '--claim-idle' || fail "worker --help does not list --claim-idle"
usage_err "--redis URL is required" submit samples
usage_err "no input" submit --redis "$U"
usage_err "bad --max-pending '0'" submit --redis "$U" --max-pending 0 samples
usage_err "bad --max-pending '-3'" submit --redis "$U" --max-pending -3 samples
usage_err "names are 1 to 200 bytes, not ''" submit --redis "$U" --stream '' samples
usage_err "unknown mode 'bogus'" submit --redis "$U" -m bogus samples
usage_err "--base-url wants an http:// or https:// URL, not 'ftp://x/'" submit --redis "$U" --base-url ftp://x/ samples
usage_err "bad --max-size 'lots'" submit --redis "$U" --max-size lots samples
usage_err "bad option" submit --redis "$U" --frobnicate samples
# the inputs extract refuses before reading any (a job for them would be a result extract has not)
usage_err "unsupported URL scheme 'ftp'" submit --redis "$U" samples ftp://files.example/x.html
usage_err "contains spaces or control characters" submit --redis "$U" 'https://a.example/x y'
usage_err "'-' (standard input) may be given once" submit --redis "$U" - --input-file -
usage_err "--input-dir $T/no-such-dir: not a directory" submit --redis "$U" -i "$T/no-such-dir"
usage_err "--redis URL is required" collect
usage_err "unexpected argument 'extra'" collect --redis "$U" extra
usage_err "--wait wants a positive number, not '0'" collect --redis "$U" --wait 0
usage_err "collect writes jsonl only, not 'csv'" collect --redis "$U" -f csv
usage_err "names are 1 to 200 bytes" collect --redis "$U" --group "$(printf 'g%.0s' $(seq 201))"
usage_err "--results and --dead must differ" collect --redis "$U" --results x --dead x
usage_err "bad option" collect --redis "$U" --frobnicate
usage_err "--redis URL is required" worker
usage_err "unexpected argument 'extra'" worker --redis "$U" extra
usage_err "--parallel wants a number from 1 to 1024, not '0'" worker --redis "$U" -p 0
usage_err "--parallel wants a number from 1 to 1024, not '1025'" worker --redis "$U" -p 1025
usage_err "bad --claim-idle 'soon'" worker --redis "$U" --claim-idle soon
usage_err "--max-deliveries wants a number from 1 to 1000, not '0'" worker --redis "$U" --max-deliveries 0
usage_err "--max-deliveries wants a number from 1 to 1000, not '1001'" worker --redis "$U" --max-deliveries 1001
usage_err "bad --results-maxlen '0'" worker --redis "$U" --results-maxlen 0
usage_err "--max-result wants a size from 1K to 512M, not '100'" worker --redis "$U" --max-result 100
usage_err "--max-result wants a size from 1K to 512M, not '1G'" worker --redis "$U" --max-result 1G
usage_err "unknown mode 'bogus'" worker --redis "$U" -m bogus
usage_err "--mode custom needs --selector CSS" worker --redis "$U" -m custom
usage_err "bad --timeout 'never'" worker --redis "$U" --timeout never
usage_err "bad --memory-limit 'huge'" worker --redis "$U" --memory-limit huge
usage_err "bad --max-size 'lots'" worker --redis "$U" --max-size lots
usage_err "unknown --engine 'turbo'" worker --redis "$U" --engine turbo
usage_err "bad --listen 'nowhere'" worker --redis "$U" --listen nowhere
usage_err "names are 1 to 200 bytes, not ''" worker --redis "$U" --consumer ''
usage_err "bad option" worker --redis "$U" --frobnicate
# Bad --redis URLs are refused before any connection, by all three commands.
longsock="unix:///$(printf 's%.0s' $(seq 120)).sock"
while IFS='|' read -r url want; do
  for cmd in submit collect worker; do
    if [ "$cmd" = submit ]; then usage_err "$want" submit --redis "$url" samples
    else usage_err "$want" "$cmd" --redis "$url"; fi
  done
done <<EOF
http://localhost:6379|--redis wants redis://
redis://:6379|no host in --redis URL
redis://localhost:99999|bad port in --redis URL
redis://localhost:0|bad port in --redis URL
redis://localhost:port|bad port in --redis URL
redis://localhost/db7|bad database number in --redis URL
redis://[::1|bad IPv6 address
redis://[::1]x|bad host in --redis URL
redis://%zz@localhost|bad user or password
unix://relative/redis.sock|unix:// URL wants an absolute socket path
unix:///tmp/r.sock?timeout=3|unix:// URL takes only ?db=N, not '?timeout=3'
unix:///tmp/r.sock?db=x|unix:// URL takes only ?db=N
$longsock|unix socket path longer than 107 bytes
EOF
# A good URL where nothing listens: submit and collect fail fast with exit 1; the worker
# waits for Redis with backoff (an outage at start is waited out) until SIGTERM, then exits 1.
"$R" worker -p 1 --redis "unix://$T/nothing.sock" >/dev/null 2>"$T/nothing.log" &
NP=$!
BG+=("$NP")
for _ in $(seq 200); do
  grep -q "retrying with backoff" "$T/nothing.log" && break
  sleep 0.05
done
grep -q "retrying with backoff" "$T/nothing.log" || fail "worker without Redis: $(cat "$T/nothing.log")"
kill -TERM "$NP"
wait_exit "$NP" 20
[ "$ST" = 1 ] || fail "worker waiting for Redis exited $ST on SIGTERM, not 1"
grep -q "cannot connect to Redis" "$T/nothing.log" || fail "worker without Redis: $(cat "$T/nothing.log")"
for cmd in "submit samples" collect; do
  timeout 20 "$R" $cmd --redis "unix://$T/nothing.sock" >/dev/null 2>"$T/u.err"
  st=$?
  [ "$st" = 1 ] || fail "$cmd with no Redis listening exited $st, not 1"
  grep -q "cannot connect to Redis" "$T/u.err" || fail "$cmd with no Redis: $(cat "$T/u.err")"
done
# collect -o into a directory: exit 1 naming the file.
mkdir -p "$T/outdir"
"$R" collect --redis "$U" -o "$T/outdir" -q 2>"$T/u.err"
st=$?
[ "$st" = 1 ] && grep -q "cannot open $T/outdir" "$T/u.err" || fail "collect -o DIR: status $st, $(cat "$T/u.err")"
note "options: usage errors exit 2 naming the value, 13 bad --redis URLs refused by submit, collect and worker"

# ---- 10. submit's inputs (manifest, stdin, -i, URL, gzip, options) through custom streams ----
reset
rc del t:jobs t:res t:dead >/dev/null
mkdir -p "$T/www" "$T/in10/sub"
make_pages "$T/in10" 3           # p0000..p0002 (read through -i)
echo '<html><head><title>Served page</title></head><body><article><h1>Served page</h1><p>A page fetched by the worker over HTTP, with words enough for an article.</p></article></body></html>' >"$T/www/p0000.html"
cp "$T/in10/p0001.html" "$T/m1.html"
gzip -c "$T/in10/p0002.html" >"$T/zipped.html.gz"
# http_serve DIR NAME: python3's http.server over DIR on a free loopback port, in the
# background (killed at exit); sets $port and $HTTP_PID.
http_serve() {
  python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$1" >"$T/$2.out" 2>"$T/$2.log" &
  HTTP_PID=$!
  BG+=("$HTTP_PID")
  port=
  for _ in $(seq 200); do
    port=$(sed -n 's/.* port \([0-9]*\).*/\1/p' "$T/$2.out" | head -1)
    [ -n "$port" ] && break
    sleep 0.05
  done
  [ -n "$port" ] || fail "the HTTP server ($2) did not start"
}
http_serve "$T/www" http
PAGE_URL="http://127.0.0.1:$port/p0000.html"
{
  echo "# a manifest: comments and blank lines are skipped"
  echo
  echo "$T/m1.html"
  echo "$T/zipped.html.gz"
  echo "$PAGE_URL"
  echo "$T/missing.html"
} >"$T/manifest.txt"
# A worker on the custom streams (native engine, results trimmed) is running
# first: --max-pending 2 makes submit wait for it to take jobs.
start_worker w10 -p 1 --engine native --stream t:jobs --results t:res --dead t:dead --group g10 \
  --results-maxlen 1000
W10=$LASTPID
out=$(printf '<html><body><article><h1>From stdin</h1><p>Standard input is a page too, with enough words in it to be an article of its own.</p></article></body></html>' |
  timeout 60 "$R" submit --redis "$U" --stream t:jobs --results t:res --max-pending 2 -m full --links --images --html \
    --base-url https://example.org/base/ --max-size 1M -i "$T/in10" --input-file "$T/manifest.txt" - 2>"$T/submit10.log")
st=$?
[ "$st" = 1 ] || fail "submit with a missing input exited $st, not 1"
grep -q "missing.html" "$T/submit10.log" || fail "submit did not name the missing input: $(cat "$T/submit10.log")"
[ "$out" = 8 ] || fail "submit printed '$out', not 8 (3 from -i, 4 from the manifest, stdin)"
grep -q "8 jobs added to t:jobs, 1 input failed, 0 refused" "$T/submit10.log" || fail "submit summary: $(cat "$T/submit10.log")"
[ "$(rc xlen riptide:jobs)" = 0 ] || fail "--stream ignored: riptide:jobs holds $(rc xlen riptide:jobs)"
# A collect on the custom streams appends to a file that already has a line.
echo '{"id":"already-there"}' >"$T/ten.jsonl"
timeout 60 "$R" collect --redis "$U" --results t:res --dead t:dead --group c10 --consumer me \
  --wait 8 -o "$T/ten.jsonl" -f jsonl 2>"$T/collect10.log" || fail "collect (10)"
grep -q "8 results: 7 ok, 1 error, 0 dead-lettered" "$T/collect10.log" || fail "collect summary: $(cat "$T/collect10.log")"
stop_worker "$W10"
[ "$(head -1 "$T/ten.jsonl")" = '{"id":"already-there"}' ] || fail "collect -o did not append"
[ "$(wc -l <"$T/ten.jsonl")" = 9 ] || fail "collect -o: $(wc -l <"$T/ten.jsonl") lines, not 1 + 8"
"$R" extract -f jsonl -q "$T/missing.html" >"$T/missing-ref.jsonl"
python3 - "$T/ten.jsonl" "$PAGE_URL" "$T/missing-ref.jsonl" <<'EOF' || fail "results of (10)"
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1])][1:]
errs = [d for d in docs if "error" in d]
# the missing file: extract's line for it (id, code, message), not a job lost
assert errs == [json.loads(open(sys.argv[3]).read())] and errs[0]["error"]["code"] == "IO", errs
docs = [d for d in docs if "error" not in d]
titles = sorted(d["title"] for d in docs)
assert titles == ["From stdin", "Page 0", "Page 1", "Page 1", "Page 2", "Page 2", "Served page"], titles
# --base-url is the page address of every job, the fetched one included
assert all(d.get("url") == "https://example.org/base/" for d in docs), [d.get("url") for d in docs]
assert all("links" in d for d in docs), "option links not applied"
zipped = [d for d in docs if d["id"].startswith("zipped")]
assert len(zipped) == 1 and zipped[0]["title"] == "Page 2", zipped
assert all("html" in d for d in docs), "option html not applied"
EOF
[ "$(rc xlen t:jobs)" = 0 ] || fail "jobs left on t:jobs: $(rc xlen t:jobs)"
# A second collect on the same group has nothing left to read: --wait 1 would block, so the
# pending list of the group is checked instead.
[ "$(rc xpending t:res c10 | head -1)" = 0 ] || fail "collect left results un-acked"
note "submit: manifest, stdin, -i, URL and gzip inputs through custom streams: 7 documents and the missing file's error (extract's line) appended after an existing line"

# ---- 10b. submit of a WARC file and of a manifest with PATH<TAB>URL ----
# Each HTML record of the WARC is one job (id: the record id; url: WARC-Target-URI; the HTTP
# Content-Type travels with it, so a Latin-1 page whose charset is only in the header decodes);
# records that are not pages are counted; the documents carry warc_date and warc_file as
# `extract` writes them. The manifest's PATH<TAB>URL gives the page address, and wins over
# --base-url.
reset
python3 - "$T/crawl.warc.gz" <<'EOF'
import gzip, sys
def rec(typ, rid, uri, ctype, block):
    h = ("WARC/1.1\r\nWARC-Type: %s\r\nWARC-Record-ID: <urn:uuid:%s>\r\n"
         "WARC-Date: 2026-03-04T05:06:07Z\r\n" % (typ, rid))
    if uri: h += "WARC-Target-URI: %s\r\n" % uri
    h += "Content-Type: %s\r\nContent-Length: %d\r\n\r\n" % (ctype, len(block))
    return h.encode() + block + b"\r\n\r\n"
def resp(rid, uri, ctype, body):
    return rec("response", rid, uri, "application/http;msgtype=response",
               ("HTTP/1.1 200 OK\r\nContent-Type: %s\r\n\r\n" % ctype).encode() + body)
page = lambda t, p: ("<html><head><title>%s</title></head><body><article><h1>%s</h1><p>%s</p>"
                     "<p><a href='rel/link'>a relative link</a> and words enough for an article.</p>"
                     "</article></body></html>" % (t, t, p))
recs = [rec("warcinfo", "info", None, "application/warc-fields", b"software: test\r\n"),
        resp("w-one", "https://crawl.example/a/one", "text/html; charset=utf-8",
             page("WARC one", "The first page of the crawl, with enough words to be kept.").encode()),
        resp("w-latin", "https://crawl.example/b/two", "text/html; charset=iso-8859-1",
             page("Caf\xe9 two", "Un caf\xe9 cr\xe8me: only the HTTP header names the charset.").encode("latin-1")),
        resp("w-png", "https://crawl.example/p.png", "image/png", b"\x89PNG\r\n\x1a\n....")]
with open(sys.argv[1], "wb") as f:
    for r in recs: f.write(gzip.compress(r))
EOF
make_pages "$T/in10b" 1
printf '%s\thttps://listed.example/dir/page.html\n' "$T/in10b/p0000.html" >"$T/manifest10b.txt"
out=$(timeout 60 "$R" submit --redis "$U" --base-url https://global.example/ --links \
  "$T/crawl.warc.gz" --input-file "$T/manifest10b.txt" 2>"$T/submit10b.log")
st=$?
[ "$st" = 0 ] || fail "submit of a WARC exited $st: $(cat "$T/submit10b.log")"
[ "$out" = 3 ] || fail "submit of a WARC printed '$out', not 3 (2 pages + 1 manifest line)"
grep -q "WARC: 1 file, 2 records not pages" "$T/submit10b.log" || fail "submit WARC summary: $(cat "$T/submit10b.log")"
[ "$(rc xrange riptide:jobs - + | grep -c '^content_type$')" = 2 ] || fail "WARC jobs without content_type"
start_worker w10b -p 1 --engine native
W10B=$LASTPID
timeout 60 "$R" collect --redis "$U" --wait 3 -o "$T/tenb.jsonl" -f jsonl -q || fail "collect (10b)"
stop_worker "$W10B"
python3 - "$T/tenb.jsonl" "$T/crawl.warc.gz" <<'EOF' || fail "results of (10b): $(head -c 600 "$T/tenb.jsonl")"
import json, sys
docs = {d["id"]: d for d in map(json.loads, open(sys.argv[1]))}
assert sorted(docs) == ["p0000", "w-latin", "w-one"], sorted(docs)
one, latin, listed = docs["w-one"], docs["w-latin"], docs["p0000"]
assert one["url"] == "https://crawl.example/a/one" and one["title"] == "WARC one", one
assert "https://crawl.example/a/rel/link" in [l["href"] for l in one["links"]], one["links"]
assert latin["title"] == "Caf\u00e9 two" and "caf\u00e9 cr\u00e8me" in latin["text"], latin
for d in (one, latin):
    assert d["warc_date"] == "2026-03-04T05:06:07Z" and d["warc_file"] == sys.argv[2], d
    assert list(d)[-2:] == ["warc_date", "warc_file"], list(d)
assert listed["url"] == "https://listed.example/dir/page.html" and "warc_file" not in listed, listed
EOF
note "submit: a WARC file gives one job per page (record id, target URI, header charset, warc_date/warc_file); PATH<TAB>URL in a manifest"

# ---- 10c. a gzip-per-record WARC: the pages go as their gzip members, the workers inflate ----
# submit reads only each record's headers and sends a page in a member of its own as that
# member (warc_member); a page the reader decodes itself (here a chunked one) goes as html, the
# format older submits wrote for every page. The documents and error lines, damaged members
# included, are those of `riptide extract` on the same file.
reset
PYTHONPATH=$T python3 - "$T/members.warc.gz" <<'EOF'
import gzip, random, sys
from warc_lib import rec, resp
rnd = random.Random(7)
words = ("harbour tide mooring lantern quay breakwater gull ferry pilot rope anchor channel "
         "beacon dredger slipway keel current ebb flood jetty").split()
def text(n):  # words that do not compress to nothing, so a member's data spans the page
    return " ".join(rnd.choice(words) for _ in range(n))
def page(title, paras):
    return ("<html><head><title>%s</title></head><body><article><h1>%s</h1>%s"
            "<p><a href='rel/link'>a relative link</a></p></article></body></html>"
            % (title, title, "".join("<p>%s.</p>" % text(60) for _ in range(paras))))
def chunked(b):
    return b"".join(b"%x\r\n%s\r\n" % (len(b[i:i + 500]), b[i:i + 500])
                    for i in range(0, len(b), 500)) + b"0\r\n\r\n"
members = [gzip.compress(rec("warcinfo", "info", None, "application/warc-fields", b"software: t\r\n"))]
for i in range(6):  # small and large pages (over the 4 KiB the reader inflates for headers)
    members.append(gzip.compress(resp("m-%d" % i, "https://crawl.example/p/%d" % i,
                                      page("Member page %d" % i, 1 + i * 12).encode())))
members.append(gzip.compress(resp(None, "https://crawl.example/noid", page("No id", 30).encode())))
members.append(gzip.compress(resp("m-latin", "https://crawl.example/latin",
                                  page("Caf\xe9 latin", 20).encode("latin-1"),
                                  "text/html; charset=iso-8859-1")))
members.append(gzip.compress(resp("m-chunked", "https://crawl.example/chunked",
                                  chunked(page("Chunked page", 25).encode()), extra="Transfer-Encoding: chunked\r\n")))
def crc_flipped(m):  # the member's CRC is wrong: found only when the page is inflated
    m = bytearray(m); m[-6] ^= 1; return bytes(m)
def data_damaged(m):  # bytes in the middle of its data replaced
    m = bytearray(m); mid = len(m) * 2 // 3
    m[mid:mid + 40] = bytes(rnd.randrange(256) for _ in range(40)); return bytes(m)
members.append(crc_flipped(gzip.compress(resp("m-badcrc", "https://crawl.example/badcrc",
                                              page("Bad CRC", 40).encode()))))
members.append(data_damaged(gzip.compress(resp("m-baddata", "https://crawl.example/baddata",
                                               page("Bad data", 60).encode()))))
members.append(crc_flipped(gzip.compress(resp(None, "https://crawl.example/noid-bad",
                                              page("No id, bad CRC", 40).encode()))))
members.append(gzip.compress(resp("m-last", "https://crawl.example/last", page("Last page", 5).encode())))
with open(sys.argv[1], "wb") as f:
    for m in members: f.write(m)
EOF
"$R" extract -f jsonl -q "$T/members.warc.gz" >"$T/members-ref.jsonl"
nref=$(grep -c . "$T/members-ref.jsonl")
[ "$nref" = 13 ] || fail "extract of the WARC gave $nref lines, not 13: $(cut -c1-120 "$T/members-ref.jsonl")"
out=$(timeout 60 "$R" submit --redis "$U" "$T/members.warc.gz" 2>"$T/submit10c.log")
st=$?
[ "$st" = 0 ] || fail "submit of a gzip-per-record WARC exited $st: $(cat "$T/submit10c.log")"
[ "$out" = 13 ] || fail "submit of a gzip-per-record WARC printed '$out', not 13"
nmem=$(rc xrange riptide:jobs - + | grep -c '^warc_member$')
nhtml=$(rc xrange riptide:jobs - + | grep -c '^html$')
[ "$nmem" = 12 ] && [ "$nhtml" = 1 ] || fail "WARC jobs: $nmem warc_member, $nhtml html (want 12 and 1, the chunked page)"
# Entries a worker must refuse, one error result each: no sizes, sizes past --max-size,
# html beside a member, bytes that are not a gzip member.
rc xadd riptide:jobs '*' id nosizes warc_member 'x' >/dev/null
rc xadd riptide:jobs '*' id toolarge warc_member 'x' warc_payload_at 10 warc_payload_len 99999999999 warc_offset 0 >/dev/null
rc xadd riptide:jobs '*' id both warc_member 'x' warc_payload_at 0 warc_payload_len 1 warc_offset 0 html '<p>x</p>' >/dev/null
rc xadd riptide:jobs '*' id notgzip warc_member 'not a gzip member at all' warc_payload_at 0 warc_payload_len 5 warc_offset 77 >/dev/null
start_worker w10c -p 2
W10C=$LASTPID
timeout 60 "$R" collect --redis "$U" --wait 17 -o "$T/members.jsonl" -q || fail "collect (10c)"
stop_worker "$W10C"
PYTHONPATH=$T python3 - "$T/members.jsonl" "$T/members-ref.jsonl" "$T/members.warc.gz" <<'EOF' || fail "results of (10c)"
import sys
from docs_lib import load
got, ref = load(sys.argv[1]), load(sys.argv[2])
path = sys.argv[3]
refused = {k: got.pop(k, {}).get("error", {}) for k in ("nosizes", "toolarge", "both", "notgzip")}
assert refused["nosizes"].get("code") == "BAD_INPUT", refused
assert refused["toolarge"].get("code") == "INPUT_TOO_LARGE", refused
assert refused["both"].get("code") == "BAD_INPUT", refused
assert refused["notgzip"] == {"code": "BAD_INPUT", "message":
                              "record at offset 77: damaged gzip data in its block"}, refused
if got != ref:
    sys.exit("documents differ from extract's: %s" % sorted(k for k in set(got) | set(ref)
                                                            if got.get(k) != ref.get(k)))
errs = {k: v["error"] for k, v in ref.items() if "error" in v}
noid = [k for k in errs if k.startswith(path + "@")]  # a record without id: FILE@OFFSET
assert sorted(errs) == sorted(["m-badcrc", "m-baddata"] + noid) and len(noid) == 1, errs
assert all(e["code"] == "BAD_INPUT" and "damaged gzip data in its block" in e["message"]
           for e in errs.values()), errs
assert ref[path]["title"] == "No id" and ref["m-chunked"]["title"] == "Chunked page", ref[path]
assert ref["m-latin"]["title"] == "Caf\u00e9 latin", ref["m-latin"]["title"]
print("test-scaleout: WARC members: %d lines as extract's (%d errors), 4 bad entries refused"
      % (len(ref), len(errs)))
EOF
note "submit: a gzip-per-record WARC goes as its members (12) and one html page; worker results = extract's, damaged members included"

# ---- 10d. hostile warc_member and input_error entries: one error result each, the worker lives ----
# Anyone who can write to the jobs stream can send anything: sizes past the member or the
# limit, a member that inflates to far more than its trailer says (a gzip bomb), a truncated
# one, a bad CRC, two members or bytes after one, a member longer than any the reader hands
# over (1 MiB), numbers that are not decimal, a missing one. Each is an error result under the
# job's id (a damaged member's under its warc_error_id), and the next good job still runs. An
# input_error must name an error code; with one, the job's result is that error, page or not.
reset
python3 - "$T/hostile.resp" <<'EOF'
import base64, gzip, random, struct, sys
rnd = random.Random(11)
def rec(rid, body):
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + body
    h = ("WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:%s>\r\n"
         "WARC-Date: 2026-05-06T07:08:09Z\r\nWARC-Target-URI: https://h.example/%s\r\n"
         "Content-Type: application/http;msgtype=response\r\nContent-Length: %d\r\n\r\n"
         % (rid, rid, len(http))).encode()
    whole = h + http + b"\r\n\r\n"
    at = len(whole) - 4 - len(body)
    return gzip.compress(whole), at, len(body)
page = lambda t: ("<html><head><title>%s</title></head><body><article><h1>%s</h1><p>%s</p>"
                  "</article></body></html>" % (t, t, " ".join("word%d" % rnd.randrange(999)
                                                              for _ in range(300)))).encode()
good, gat, glen = rec("h-good", page("Hostile neighbours"))
def resp(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out
cmds = []
def job(jid, member, at, plen, off=5, **extra):
    f = ["XADD", "riptide:jobs", "*", "id", jid, "warc_member", member]
    for k, v in (("warc_payload_at", at), ("warc_payload_len", plen), ("warc_offset", off)):
        if v is not None:
            f += [k, v]
    for k, v in extra.items():
        f += [k, v]
    cmds.append(resp(*f))
job("h-atpast", good, 1000000, glen)
job("h-atend", good, len(gzip.decompress(good)), 1)
bomb = bytearray(gzip.compress(b"<p>" + b"\0" * (48 << 20)))
bomb[-4:] = struct.pack("<I", 2000)  # its trailer claims 2,000 bytes: it inflates to 48 MiB
job("h-bomb", bytes(bomb), 100, 1896)
job("h-trunc", good[:len(good) // 2], gat, glen)
job("h-tiny", good[:10], gat, glen)
crc = bytearray(good); crc[-6] ^= 1
job("h-badcrc", bytes(crc), gat, glen)
job("h-two", good + good, gat, glen)  # its last 4 bytes are the first member's ISIZE too
job("h-errid", bytes(crc), gat, glen, warc_error_id="renamed-record")
text = base64.b64encode(rnd.randbytes(1600 << 10)).decode()  # ~1.6 MiB compressed
big, bat, blen = rec("h-big", ("<html><body><p>%s</p></body></html>" % text).encode())
job("h-big", big, bat, blen)
for jid, at, plen, off in (("h-neg", "-1", glen, 0), ("h-exp", gat, "1e3", 0),
                           ("h-overflow", gat, glen, "18446744073709551616"),
                           ("h-hex", "0x10", glen, 0), ("h-space", gat, " %d" % glen, 0),
                           ("h-emptynum", "", glen, 0), ("h-nooffset", gat, glen, None)):
    job(jid, good, at, plen, off)
job("h-empty", b"", gat, glen)
# input_error (an input submit could not read): only a code's name is one
for jid, code in (("h-ierr-unknown", "NOPE"), ("h-ierr-ok", "OK"), ("h-ierr-nul", b"IO\0x")):
    cmds.append(resp("XADD", "riptide:jobs", "*", "id", jid, "input_error", code))
cmds.append(resp("XADD", "riptide:jobs", "*", "id", "h-ierr-html", "html", "<p>x</p>",
                 "input_error", "FETCH", "input_error_message", "m" * 3000))
cmds.append(resp("XADD", "riptide:jobs", "*", "id", "h-ierr-nomsg", "input_error", "TIMEOUT"))
job("h-good", good, gat, glen)  # last: the worker is still there and still right
open(sys.argv[1], "wb").write(b"".join(cmds))
EOF
[ -s "$T/hostile.resp" ] || fail "hostile entries not made"
rc --pipe <"$T/hostile.resp" >"$T/pipe.log" 2>&1 || fail "redis-cli --pipe: $(cat "$T/pipe.log")"
nh=$(rc xlen riptide:jobs)
start_worker w10d -p 1 --max-size 8M
W10D=$LASTPID
timeout 120 "$R" collect --redis "$U" --wait "$nh" -o "$T/hostile.jsonl" -q || fail "collect (10d)"
kill -0 "$W10D" 2>/dev/null || fail "worker died on a hostile entry"
stop_worker "$W10D"
python3 - "$T/hostile.jsonl" <<'EOF' || fail "results of (10d): $(cut -c1-200 "$T/hostile.jsonl")"
import json, sys
got = {}
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert o["id"] not in got, "two results for " + o["id"]
    got[o["id"]] = o
good = got.pop("h-good")
assert good["title"] == "Hostile neighbours" and "error" not in good, good
damaged = {"code": "BAD_INPUT", "message": "record at offset 5: damaged gzip data in its block"}
nums = {"code": "BAD_INPUT", "message":
        "warc_member without warc_payload_at, warc_payload_len and warc_offset numbers"}
want = {"h-atpast": damaged, "h-atend": damaged, "h-bomb": damaged, "h-trunc": damaged,
        "h-tiny": damaged, "h-badcrc": damaged, "h-two": damaged, "renamed-record": damaged,
        "h-big": damaged, "h-empty": damaged, "h-neg": nums, "h-exp": nums, "h-overflow": nums,
        "h-hex": nums, "h-space": nums, "h-emptynum": nums, "h-nooffset": nums,
        "h-ierr-unknown": {"code": "BAD_INPUT", "message": "input_error is not an error code: 'NOPE'"},
        "h-ierr-ok": {"code": "BAD_INPUT", "message": "input_error is not an error code: 'OK'"},
        "h-ierr-nul": {"code": "BAD_INPUT", "message": "input_error is not an error code: 'IO'"},
        "h-ierr-html": {"code": "FETCH", "message": "m" * 511},  # cut as extract cuts it
        "h-ierr-nomsg": {"code": "TIMEOUT", "message": "extraction exceeded its deadline"}}
bad = {k: repr(got.get(k))[:200] for k, v in want.items() if got.get(k, {}).get("error") != v}
assert not bad and len(got) == len(want), (bad, sorted(set(got) - set(want)))
print("test-scaleout: %d hostile entries: one error result each" % len(want))
EOF
note "hostile entries: sizes, bomb, truncation, CRC, trailing bytes, 1 MiB+ member, bad numbers, input_error: an error each, worker alive"

# ---- 10e. damaged WARC files and inputs that cannot be read: collect's lines are extract's ----
# Every input submit reads gives one result: a WARC record the reader cannot read, a page over
# --max-size, a missing file, a manifest line that is not an input, a manifest that cannot be
# opened are jobs carrying the error extract writes for them (input_error), so collect's
# output is extract's, line for line (order aside), on the warcio test files and on files
# damaged here (a member cut by the end of the file, garbage between members, a member whose
# headers are damaged, a plain WARC with a bad record and a cut one, a bad Content-Length).
reset
mkdir -p "$T/dmg"
PYTHONPATH=$T python3 - "$T/dmg" <<'EOF'
import gzip, os, random, sys
from warc_lib import rec, resp
d = sys.argv[1]
rnd = random.Random(5)
words = "harbour tide mooring lantern quay gull ferry pilot rope anchor".split()
def text(n): return " ".join(rnd.choice(words) for _ in range(n))
def page(t, n):
    return ("<html><head><title>%s</title></head><body><article><h1>%s</h1><p>%s.</p></article>"
            "</body></html>" % (t, t, text(n))).encode()
ms = [gzip.compress(resp("d-%d" % i, "https://d.example/%d" % i, page("Damaged file page %d" % i,
                                                                      40 + 30 * i)))
      for i in range(5)]
big = gzip.compress(resp("d-big", "https://d.example/big", page("Big", 20000)))
p = [gzip.decompress(x) for x in ms]
m = bytearray(ms[1]); m[12:40] = bytes(rnd.randrange(256) for _ in range(28))
files = {
    "cut-end.warc.gz": ms[0] + ms[1] + ms[2][: len(ms[2]) // 2],
    "garbage-between.warc.gz": ms[0] + b"this is not gzip at all" * 20 + ms[1] + ms[2],
    "head-damaged.warc.gz": ms[0] + bytes(m) + ms[2] + ms[3],
    "plain-damaged.warc": p[0] + b"GARBAGE LINE\r\n\r\n" + p[1] + p[2][: len(p[2]) - 200],
    "sizes.warc.gz": ms[0] + big + gzip.compress(p[3].replace(b"Content-Length: ",
                                                               b"Content-Length: x", 1)) + ms[4],
}
for name, data in files.items():
    open(os.path.join(d, name), "wb").write(data)
EOF
dmg=("$T"/dmg/*)
if [ -d "$SHARED/testdata/warc" ]; then
  dmg+=("$SHARED"/testdata/warc/*.warc "$SHARED"/testdata/warc/*.warc.gz)
else
  note "10e: $SHARED/testdata/warc missing: only the files damaged here"
fi
make_pages "$T/in10e" 1
{
  echo "$T/in10e/p0000.html"
  echo "$T/in10e/gone.html"
  echo "ftp://files.example/page.html"
  printf '\thttps://no-input.example/\n'
} >"$T/manifest10e.txt"
args=(--max-size 64K "${dmg[@]}" --input-file "$T/manifest10e.txt" --input-file "$T/nosuch-manifest.txt")
"$R" extract -f jsonl -q "${args[@]}" >"$T/dmg-ref.jsonl" 2>/dev/null
nref=$(grep -c . "$T/dmg-ref.jsonl")
out=$(timeout 60 "$R" submit --redis "$U" "${args[@]}" 2>"$T/submit10e.log")
st=$?
[ "$st" = 1 ] || fail "submit of inputs that cannot be read exited $st, not 1: $(cat "$T/submit10e.log")"
[ "$out" = "$nref" ] || fail "submit printed '$out' jobs where extract wrote $nref lines: $(cat "$T/submit10e.log")"
grep -q "gone.html" "$T/submit10e.log" || fail "submit did not name the missing input: $(cat "$T/submit10e.log")"
start_worker w10e -p 2 --max-size 64K
W10E=$LASTPID
timeout 60 "$R" collect --redis "$U" --wait "$out" -o "$T/dmg.jsonl" -q || fail "collect (10e)"
stop_worker "$W10E"
PYTHONPATH=$T python3 - "$T/dmg.jsonl" "$T/dmg-ref.jsonl" <<'EOF' || fail "collect's lines differ from extract's on damaged inputs"
import collections, json, sys
from docs_lib import lines
got, ref = lines(sys.argv[1]), lines(sys.argv[2])
if got != ref:
    sys.exit("only in collect: %s\nonly in extract: %s" % (list((got - ref).elements())[:5],
                                                          list((ref - got).elements())[:5]))
errs = collections.Counter(json.loads(l)["error"]["code"] for l in ref.elements() if '"error"' in l)
assert errs["IO"] == 2 and errs["BAD_INPUT"] >= 8 and errs["INPUT_TOO_LARGE"] == 1, errs
print("test-scaleout: damaged inputs: %d lines as extract's (%s)" % (sum(ref.values()),
      ", ".join("%d %s" % (n, c) for c, n in sorted(errs.items()))))
EOF
note "damaged WARC files, a missing file, bad manifest lines, a missing manifest: one result each, collect = extract"

# ---- 10f. URL inputs: a response that is not a page is extract's error too ----
# The worker fetches as extract does: an image or JSON is UNSUPPORTED_TYPE, a 404 a FETCH
# error, a page a document; collect's lines are extract's.
reset
mkdir -p "$T/www10f"
printf '\211PNG\r\n\032\nnot really an image' >"$T/www10f/img.png"
printf '{"a": "<p>not a page</p>"}' >"$T/www10f/data.json"
printf '<html><head><title>Fetched page</title></head><body><article><h1>Fetched page</h1><p>A page served over HTTP, fetched by the worker with words enough for an article.</p></article></body></html>' >"$T/www10f/page.html"
http_serve "$T/www10f" http10f
HP10F=$HTTP_PID
urls=()
for f in img.png data.json page.html gone.html; do urls+=("http://127.0.0.1:$port/$f"); done
"$R" extract -f jsonl -q "${urls[@]}" >"$T/urls-ref.jsonl"
out=$(timeout 60 "$R" submit --redis "$U" -q "${urls[@]}") || fail "submit (10f)"
[ "$out" = 4 ] || fail "submit of 4 URLs printed '$out'"
start_worker w10f -p 2
W10F=$LASTPID
timeout 60 "$R" collect --redis "$U" --wait 4 -o "$T/urls.jsonl" -q || fail "collect (10f)"
stop_worker "$W10F"
kill "$HP10F" 2>/dev/null
PYTHONPATH=$T python3 - "$T/urls.jsonl" "$T/urls-ref.jsonl" <<'EOF' || fail "URL results differ from extract's"
import collections, json, sys
from docs_lib import lines
got, ref = lines(sys.argv[1]), lines(sys.argv[2])
if got != ref:
    sys.exit("only in collect: %s\nonly in extract: %s" % (list((got - ref).elements()),
                                                          list((ref - got).elements())))
codes = sorted(json.loads(l).get("error", {}).get("code", "ok") for l in ref.elements())
assert codes == ["FETCH", "UNSUPPORTED_TYPE", "UNSUPPORTED_TYPE", "ok"], codes
EOF
note "URL inputs: an image and JSON are UNSUPPORTED_TYPE, a 404 FETCH, as extract writes them"

# ---- 11. --max-result: a document over it is an OUTPUT_TOO_LARGE error, not a result ----
reset
python3 -c "print('<html><body><article>' + '<p>A sentence of a page whose document is over a kilobyte.</p>' * 60 + '</article></body></html>')" >"$T/over1k.html"
"$R" submit --redis "$U" -q "$T/over1k.html" >/dev/null || fail "submit (11)"
start_worker w11 -p 1 --max-result 1K -m article -s p --images --links --html --max-size 64M --timeout 30s --memory-limit 256M --events "$T/w11.events"
W11=$LASTPID
timeout 60 "$R" collect --redis "$U" --wait 1 -o "$T/eleven.jsonl" -q || fail "collect (11)"
stop_worker "$W11"
grep -q '"code":"OUTPUT_TOO_LARGE"' "$T/eleven.jsonl" || fail "--max-result 1K: $(head -c 300 "$T/eleven.jsonl")"
grep -q 'exceeds --max-result 1024' "$T/eleven.jsonl" || fail "--max-result detail: $(head -c 300 "$T/eleven.jsonl")"
[ -s "$T/w11.events" ] || fail "worker --events wrote nothing"
note "--max-result 1K: OUTPUT_TOO_LARGE"

# ---- 12. the output controls of extract as the worker's defaults for jobs without options ----
reset
OC=tests/data/extract/output-controls-on/input.html # a link, a figure, a table
"$R" submit --redis "$U" -q "$OC" >/dev/null || fail "submit (12)"
start_worker w12 -p 1 --no-tables --links --no-links
W12=$LASTPID
timeout 60 "$R" collect --redis "$U" --wait 1 -o "$T/twelve.jsonl" -q || fail "collect (12)"
stop_worker "$W12"
python3 - "$T/twelve.jsonl" <<'EOF' || fail "worker --no-tables --links --no-links: $(head -c 300 "$T/twelve.jsonl")"
import json, sys
d = [json.loads(l) for l in open(sys.argv[1])]
assert len(d) == 1 and "error" not in d[0], d  # collect -o writes the documents themselves
doc = d[0]
assert "Northpiercell" not in doc["markdown"] and "rowing club" in doc["markdown"], doc["markdown"]
assert "](https://example.org/club)" not in doc["markdown"] and not doc["links"], doc["markdown"]
EOF
note "worker --no-tables --links --no-links: no table, no link URL in the job's document"

# ---- 6. requirepass ----
reset
rc config set requirepass 's3cret/x' >/dev/null
RPASS='s3cret/x'
timeout 20 "$R" worker --redis "$U" --consumer nopass -p 1 >"$T/nopass.log" 2>&1 &&
  fail "worker without the password started"
grep -q NOAUTH "$T/nopass.log" || fail "no NOAUTH message: $(cat "$T/nopass.log")"
timeout 20 "$R" worker --redis "unix://:wrong@$SOCK" --consumer badpass -p 1 >"$T/badpass.log" 2>&1 &&
  fail "worker with a wrong password started"
grep -q "AUTH refused" "$T/badpass.log" || fail "no AUTH message: $(cat "$T/badpass.log")"
AU="unix://:s3cret%2Fx@$SOCK"
out=$("$R" submit --redis "$AU" -q samples) || fail "submit with password"
"$R" worker --redis "$AU" --consumer au -p 1 >"$T/au.log" 2>&1 &
AP=$!
BG+=("$AP")
timeout 60 "$R" collect --redis "$AU" --wait 3 -o "$T/auth.jsonl" -q || fail "collect with password"
[ "$(grep -c '"title"' "$T/auth.jsonl")" = 3 ] || fail "auth run: $(cat "$T/auth.jsonl" | head -3)"
stop_worker "$AP"
note "requirepass: refused without or with a wrong password, 3 results with it"

note "done in $(($(date +%s) - START)) s"
exit 0
