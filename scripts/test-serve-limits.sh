#!/usr/bin/env bash
# `riptide serve` limits and nothing-lost guarantees at their edges (run by `make test` with
# args BUILD SHARED): a real server on 127.0.0.1:0, real clients (curl; python3 for raw
# sockets), an upstream whose pages hang until the test releases them (one key per test).
#
#  - --max-body: a chunked body of exactly --max-body bytes is read, one byte more is 413;
#  - --body-timeout: a body read only to be dropped (over --max-body, on a GET) is cut at the
#    timeout too;
#    the time a batch upload spends suspended (backpressure) is not counted, also for the piece
#    that arrives right after the resume;
#  - --max-wait: a queued request is answered 503 POOL_SATURATED at its deadline while every
#    worker is busy, not when one frees up;
#  - --max-connections: a connection past the cap is refused, and served once one closes;
#  - batch: hostile lines (invalid UTF-8, NUL, lone CR, a line over --max-size, no final
#    newline) each get their line, in order; clients that go away mid-body and mid-stream
#    leave nothing queued or buffered;
#  - SIGTERM past --shutdown-timeout: the queued request gets 503 SHUTTING_DOWN, the queued
#    batch's lines SHUTTING_DOWN error lines, and the request that was on a worker gets its
#    whole answer (several MB, read slowly) before the connections are closed; exit 0;
#  - an access log that stalls (a pipe nobody reads) stalls the network thread only: SIGHUP's
#    reopen and SIGTERM are still acted on.
set -u
BUILD=${1:-build}
. "$(dirname "$0")/lib/cli-test.sh"
. "$(dirname "$0")/lib/serve-test.sh"
NAME=test-serve-limits
serve_test_init "$NAME" "$BUILD"
start() { serve_start "$1" --listen 127.0.0.1:0 --access-log /dev/null "${@:2}"; } # sets ADDR, SPID
# wait_status ADDR REGEX: polls /v1/status until its body matches (10 s at most).
wait_status() {
  local i
  for i in $(seq 1 500); do
    curl -s --max-time 5 "$1/v1/status" | grep -Eq "$2" && return 0
    sleep 0.02
  done
  return 1
}

echo "$NAME: $RT"

# ---- upstream: /hang?k=K (and /big?k=K, a ~3 MB page) answer once /release?k=K was asked ----
cat >"$T/upstream.py" <<'EOF'
import http.server, socketserver, threading, urllib.parse
events, lock = {}, threading.Lock()
def event(k):
    with lock:
        return events.setdefault(k, threading.Event())
small = b"<html><head><title>Released</title></head><body><article><p>" + b"A page that was held back until the test let it go. " * 8 + b"</p></article></body></html>"
big = (b"<html><head><title>Big page</title></head><body><article>" +
       b"".join(b"<p>paragraph %d with a few words in it, long enough to be kept as text.</p>" % i for i in range(40000)) +
       b"</article></body></html>")
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        k = urllib.parse.parse_qs(u.query).get("k", [""])[0]
        if u.path == "/release":
            event(k).set(); body, ct = b"ok", "text/plain"
        elif u.path in ("/hang", "/big"):
            event(k).wait(60)
            body, ct = (big if u.path == "/big" else small), "text/html; charset=utf-8"
        else:
            self.send_response(404); self.send_header("Content-Length", "0"); self.end_headers(); return
        self.send_response(200)
        self.send_header("Content-Type", ct)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
s = S(("127.0.0.1", 0), H)
print(s.server_port, flush=True)
s.serve_forever()
EOF
$PY "$T/upstream.py" >"$T/up.port" 2>/dev/null &
PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$T/up.port" ] && break; sleep 0.05; done
UP="http://127.0.0.1:$(head -n1 "$T/up.port")"
release() { curl -s -o /dev/null --max-time 5 "$UP/release?k=$1"; }

# ---- server L: one slot, one worker, small limits --------------------------------------------
start l -p 1 --workers 1 --max-body 64K --body-timeout 1s --max-wait 500ms --allow-private-fetch
L=$ADDR
check "server L up" test -n "$L"

# --max-body is the largest body read, not one byte less or more (chunked: no Content-Length).
for n in 65536 65537; do
  { printf '<p>'; head -c $((n - 7)) /dev/zero | tr '\0' a; printf '</p>'; } >"$T/body$n.html"
done
req "chunked body of exactly --max-body (64K) bytes" 200 -H 'Content-Type: text/html' -H 'Transfer-Encoding: chunked' --data-binary @"$T/body65536.html" "$L/v1/extract"
req "chunked body of --max-body + 1 bytes" 413 -H 'Content-Type: text/html' -H 'Transfer-Encoding: chunked' --data-binary @"$T/body65537.html" "$L/v1/extract"
check "  ... BODY_TOO_LARGE" has '"code":"BODY_TOO_LARGE"'

# A body past --max-body is read on (to answer 413) but not for longer than --body-timeout.
cat >"$T/trickle_over.py" <<'EOF'
import socket, sys, time
host, port = sys.argv[1].rsplit("//", 1)[1].split(":")
s = socket.create_connection((host, int(port)))
if sys.argv[2] == "get":  # a body on a GET is read and ignored
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
else:
    s.sendall(b"POST /v1/extract HTTP/1.1\r\nHost: x\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n")
    s.sendall(b"%x\r\n%s\r\n" % (70000, b"a" * 70000))  # over --max-body 64K: the rest is dropped
t0 = time.monotonic()
s.settimeout(5)
try:
    for _ in range(60):  # 100 bytes every 50 ms: never idle, done after 3 s
        s.sendall(b"64\r\n" + b"a" * 100 + b"\r\n")
        time.sleep(0.05)
    s.sendall(b"0\r\n\r\n")
    print("not cut: " + s.recv(100).decode(errors="replace").split("\r\n")[0])
except OSError:
    print("cut after %.1f s" % (time.monotonic() - t0))
EOF
out=$($PY "$T/trickle_over.py" "$L" post)
case "$out" in "cut after "*) ok "a body over --max-body trickling in is cut at --body-timeout ($out)" ;; *) bad "body over --max-body trickling past --body-timeout: $out" ;; esac
out=$($PY "$T/trickle_over.py" "$L" get)
case "$out" in "cut after "*) ok "a body on a GET trickling in is cut at --body-timeout ($out)" ;; *) bad "body on a GET trickling past --body-timeout: $out" ;; esac

# A batch upload suspended (4 lines held, -p 1) longer than --body-timeout, then resumed: the
# time suspended is not the client's, so the piece that arrives after the resume is read.
cat >"$T/paused.py" <<'EOF'
import json, socket, sys, time, urllib.request
addr, up = sys.argv[1], sys.argv[2]
host, port = addr.rsplit("//", 1)[1].split(":")
def busy():
    return json.loads(urllib.request.urlopen(addr + "/v1/status", timeout=5).read())["server"]["busy_workers"]
head = "".join(json.dumps({"id": "h%d" % i, "url": up + "/hang?k=paused"}) + "\n" for i in range(4)).encode()
rest = "".join(json.dumps({"id": "l%d" % i, "html": "<article><p>line %d, long enough to be kept as text</p></article>" % i}) + "\n" for i in range(4)).encode()
s = socket.create_connection((host, int(port)))
s.sendall(b"POST /v1/extract/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"
          b"Content-Length: %d\r\n\r\n" % (len(head) + len(rest)) + head)
t = time.time()
while busy() < 1:
    assert time.time() - t < 10, "the first line never ran"
    time.sleep(0.02)
time.sleep(1.5)  # suspended past --body-timeout (1 s): the condition under test
s.sendall(rest)
urllib.request.urlopen(up + "/release?k=paused", timeout=5).read()
s.settimeout(30)
f = s.makefile("rb")
status = f.readline()
if not status.startswith(b"HTTP/1.1 200"):
    print("status %r" % status); sys.exit()
while f.readline() not in (b"\r\n", b""):
    pass
out = b""
while True:
    n = int(f.readline().strip(), 16)
    if n == 0:
        break
    out += f.read(n)
    f.readline()
ids = [json.loads(l)["id"] for l in out.decode().splitlines()]
print("ok" if ids == ["h0", "h1", "h2", "h3", "l0", "l1", "l2", "l3"] else "ids %s" % ids)
EOF
out=$($PY "$T/paused.py" "$L" "$UP" 2>&1 | tail -1)
check "batch upload suspended past --body-timeout, then resumed: all 8 lines back ($out)" test "$out" = ok
release paused

# --max-wait while the only worker is busy on a fetch: the queued request is answered 503 at
# its deadline (500 ms), while the fetch still hangs.
curl -s -o "$T/a.body" -w '%{http_code}' --max-time 30 -H 'Content-Type: application/json' --data-binary "{\"url\":\"$UP/hang?k=wait\"}" "$L/v1/extract" >"$T/a.code" &
A_CURL=$!
check "the fetch occupies the worker" wait_status "$L" '"busy_workers":1,'
REQ_TIMEOUT=5 req "queued behind a busy worker: 503 at --max-wait" 503 -H 'Content-Type: text/html' --data-binary '<p>queued</p>' "$L/v1/extract"
check "  ... POOL_SATURATED with Retry-After" bash -c "grep -q POOL_SATURATED '$T/body' && grep -qi '^Retry-After: 1' '$T/hdr'"
check "  ... answered while the worker was still busy" wait_status "$L" '"busy_workers":1,"queue":0,'
release wait
wait "$A_CURL"
check "the fetch itself is answered 200" test "$(cat "$T/a.code")" = 200

# Clients that go away: mid-body (a batch announced longer than sent) and mid-stream.
cat >"$T/gone.py" <<'EOF'
import json, socket, sys
host, port = sys.argv[1].rsplit("//", 1)[1].split(":")
line = (json.dumps({"html": "<article><p>" + "words here " * 200 + "</p></article>"}) + "\n").encode()
s = socket.create_connection((host, int(port)))
s.sendall(b"POST /v1/extract/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"
          b"Content-Length: %d\r\n\r\n" % (len(line) * 40) + line * 20 + line[:100])
s.close()  # mid-body, mid-line
s = socket.create_connection((host, int(port)))
s.sendall(b"POST /v1/extract/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"
          b"Content-Length: %d\r\n\r\n" % (len(line) * 40) + line * 40)
s.recv(64)  # the start of the answer
s.close()  # mid-stream
print("ok")
EOF
check "clients leave mid-body and mid-stream" test "$($PY "$T/gone.py" "$L")" = ok
check "  ... nothing left queued, buffered or active" wait_status "$L" '"queue":0,.*"active_requests":1,.*"buffered_bytes":0,'
req "  ... and the server still answers" 200 -H 'Content-Type: text/html' --data-binary '<article><p>still here, with enough words to count</p></article>' "$L/v1/extract"
kill -TERM "$SPID"
wait "$SPID"
check "server L exits 0 on SIGTERM" test "$?" = 0

# ---- server M: --max-connections 3, --max-size 16K under a larger --max-body -----------------
start m -p 1 --max-connections 3 --max-size 16K --max-body 1M
M=$ADDR
check "server M up" test -n "$M"
$PY - "$M" >"$T/conn.out" 2>&1 <<'EOF'
import socket, subprocess, sys, time
host, port = sys.argv[1].rsplit("//", 1)[1].split(":")
def get():
    r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5",
                        sys.argv[1] + "/healthz"], capture_output=True, text=True)
    return r.stdout
idle = [socket.create_connection((host, int(port))) for _ in range(3)]
time.sleep(0.2)  # let the server accept all three
over = get()
idle.pop().close()
t = time.time()
after = get()
while after != "200" and time.time() - t < 10:
    time.sleep(0.05)
    after = get()
print(over, after)
EOF
check "--max-connections 3: a 4th connection is refused, served once one closes ($(cat "$T/conn.out"))" test "$(cat "$T/conn.out")" = "000 200"

$PY - >"$T/hostile.ndjson" <<'EOF'
import json, sys
w = sys.stdout.buffer.write
w(json.dumps({"id": "a", "html": "<article><p>first line, long enough to be kept as text</p></article>"}).encode() + b"\n")
w(b'{"id": "utf8", "html": "<p>\xff\xfe bad bytes</p>"}\n')
w(b"\r\n")
w(b'{"id": "nul", "html": "<p>a\x00b</p>"}\n')
w(json.dumps({"id": "huge", "html": "<p>" + "x" * 20000 + "</p>"}).encode() + b"\n")
w(b"   \t\n")
w(json.dumps({"id": "z", "html": "<article><p>last line, no newline after it, kept as text</p></article>"}).encode())
EOF
req "hostile batch" 200 -H 'Content-Type: application/x-ndjson' --data-binary @"$T/hostile.ndjson" "$M/v1/extract/batch"
check "hostile batch: one line each, in order; bad UTF-8, NUL and a line over --max-size are errors" $PY -c '
import json, sys
out = [json.loads(l) for l in open(sys.argv[1], "rb")]
assert [o["id"] for o in out] == ["a", "2", "4", "huge", "z"], [o["id"] for o in out]
assert "error" not in out[0] and "error" not in out[4], out
assert out[1]["error"]["code"] == "BAD_REQUEST" and out[2]["error"]["code"] == "BAD_REQUEST", out
assert out[3]["error"]["code"] == "INPUT_TOO_LARGE", out[3]' "$T/body"
kill -TERM "$SPID"
wait "$SPID"
check "server M exits 0 on SIGTERM" test "$?" = 0

# ---- server S: SIGTERM past --shutdown-timeout with a request on the only worker ------------
start s -p 1 --workers 1 --allow-private-fetch --shutdown-timeout 200ms
S=$ADDR
check "server S up" test -n "$S"
# The request on the worker answers a ~6 MB document once released: more than the socket
# buffers hold, so the client (a small receive buffer) must read while the server sends.
$PY - "$S" "$UP" >"$T/big.out" 2>&1 <<'EOF' &
import json, socket, sys
addr, up = sys.argv[1], sys.argv[2]
host, port = addr.rsplit("//", 1)[1].split(":")
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect((host, int(port)))
body = json.dumps({"url": up + "/big?k=shut"}).encode()
s.sendall(b"POST /v1/extract HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          b"Content-Length: %d\r\n\r\n" % len(body) + body)
s.settimeout(60)
f = s.makefile("rb")
status = f.readline()
length = 0
while True:
    h = f.readline()
    if h in (b"\r\n", b""):
        break
    if h.lower().startswith(b"content-length:"):
        length = int(h.split(b":")[1])
doc = f.read(length)
if not status.startswith(b"HTTP/1.1 200") or len(doc) != length or length < 5000000:
    print("status %r, %d of %d bytes" % (status, len(doc), length)); sys.exit()
print("ok" if json.loads(doc)["title"] == "Big page" else "title?")
EOF
BIG=$!
check "the big fetch occupies the worker" wait_status "$S" '"busy_workers":1,'
curl -s -o "$T/q.body" -w '%{http_code}' --max-time 30 -H 'Content-Type: text/html' --data-binary '<p>queued</p>' "$S/v1/extract" >"$T/q.code" &
Q_CURL=$!
printf '%s\n' '{"id":"b1","html":"<p>one</p>"}' '{"id":"b2","html":"<p>two</p>"}' '{"id":"b3","html":"<p>three</p>"}' >"$T/b3.ndjson"
curl -s -o "$T/b.body" -w '%{http_code}' --max-time 30 -H 'Content-Type: application/x-ndjson' --data-binary @"$T/b3.ndjson" "$S/v1/extract/batch" >"$T/b.code" &
B_CURL=$!
check "a request and a batch queued behind it" wait_status "$S" '"queue":2,'
kill -TERM "$SPID"
wait "$Q_CURL" "$B_CURL" # answered by the sweep, 200 ms after SIGTERM
check "the queued request: 503 SHUTTING_DOWN" bash -c "[ \"\$(cat '$T/q.code')\" = 503 ] && grep -q SHUTTING_DOWN '$T/q.body'"
check "the queued batch: 3 SHUTTING_DOWN lines, in order" $PY -c '
import json, sys
out = [json.loads(l) for l in open(sys.argv[1])]
assert [o["id"] for o in out] == ["1", "2", "3"], out
assert all(o["error"]["code"] == "SHUTTING_DOWN" for o in out), out' "$T/b.body"
release shut
wait "$BIG"
check "the request that was on the worker gets its whole answer ($(tail -1 "$T/big.out"))" test "$(tail -1 "$T/big.out")" = ok
wait "$SPID"
check "server S exits 0" test "$?" = 0

# ---- server G: its access log is a pipe nobody reads ----------------------------------------
# The network thread blocks writing a log line once the pipe is full. SIGHUP (reopen the log),
# then SIGTERM, must still be acted on: the listening socket is shut at once. Then the pipe is
# drained, and the server finishes its shutdown and exits 0.
mkfifo "$T/log.fifo"
$PY - "$T/log.fifo" "$T/g.addr" "$T/g.drain" >"$T/g.out" 2>&1 <<'EOF' &
import http.client, os, sys, time
fifo, addrf, drainf = sys.argv[1:4]
r = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader, so the server can open the log
open(addrf + ".ready", "w").close()
while not os.path.exists(addrf) or not open(addrf).read().strip():
    time.sleep(0.02)
host, port = open(addrf).read().strip().rsplit("//", 1)[1].split(":")
c = http.client.HTTPConnection(host, int(port), timeout=2)
blocked = False
for _ in range(2000):  # ~250 bytes a line: the 64 KB pipe fills in ~260 requests
    try:
        c.request("GET", "/healthz")
        c.getresponse().read()
    except OSError:  # no answer: the network thread is stuck writing the log
        blocked = True
        break
print("blocked" if blocked else "never blocked", flush=True)
while not os.path.exists(drainf):
    time.sleep(0.02)
os.set_blocking(r, True)
while os.read(r, 65536):  # until the server closes the log
    pass
EOF
G_READER=$!
for _ in $(seq 1 250); do [ -e "$T/g.addr.ready" ] && break; sleep 0.02; done
serve_start g --listen 127.0.0.1:0 -p 1 --access-log "$T/log.fifo" --shutdown-timeout 10s
G=$ADDR
echo "$G" >"$T/g.addr"
for _ in $(seq 1 1000); do [ -s "$T/g.out" ] && break; sleep 0.02; done
check "the access log pipe is full: the network thread is stuck ($(cat "$T/g.out"))" grep -qx blocked "$T/g.out"
kill -HUP "$SPID"
kill -TERM "$SPID"
refused=0
for _ in $(seq 1 250); do
  if ! $PY -c 'import socket, sys; h, p = sys.argv[1].rsplit("//", 1)[1].split(":"); socket.create_connection((h, int(p)), timeout=1).close()' "$G" 2>/dev/null; then
    refused=1
    break
  fi
  sleep 0.02
done
check "SIGHUP and SIGTERM acted on while a log write is stalled: new connections refused" test $refused = 1
touch "$T/g.drain"
wait "$SPID"
check "server G exits 0 once the log is drained" test "$?" = 0
wait "$G_READER"

echo "$NAME: $pass passed, $fail failed"
[ "$fail" = 0 ]
