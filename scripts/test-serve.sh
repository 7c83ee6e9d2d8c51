#!/usr/bin/env bash
# End-to-end tests of `riptide serve` (run by `make test` with args BUILD SHARED): a real server
# on 127.0.0.1:0, real clients (curl; python3 for raw sockets and keep-alive).
#
#  - every endpoint; the OpenAPI document lists exactly the routes the server answers;
#  - the document JSON is the bytes `riptide extract -f json` prints for the same page;
#  - gzip and charset bodies, JSON bodies, formats, options;
#  - errors: 400 401 404 405 413 (Content-Length and chunked) 415 422 429 503 504;
#  - batch: one line out per line in, in order, hostile lines mixed in, gzip batch;
#  - SSRF: 127.0.0.1, 10.x, [::1], localhost and file:// refused by default; fetching works
#    with --allow-private-fetch; auth with --api-key-file (/healthz open);
#  - 200 idle connections and 50 slow-loris connections while normal requests succeed;
#  - access log lines (no body, no key), SIGHUP reopens it;
#  - SIGTERM with requests in flight: all answered, exit 0.
set -u
BUILD=${1:-build}
SHARED=${2:-../shared}
. "$(dirname "$0")/lib/cli-test.sh"
. "$(dirname "$0")/lib/serve-test.sh"
serve_test_init test-serve "$BUILD"
# Starts a server on a free port; sets $ADDR and $SPID. Args go to riptide serve.
start() {
  local log=$1
  shift
  serve_start "$log" --listen 127.0.0.1:0 "$@"
}

echo "test-serve: $RT"

# ---- an upstream HTTP server for fetches: /page, /hang (until /release), /redirect-local ---
cat > "$T/upstream.py" <<'EOF'
import http.server, socketserver, sys, threading
released = threading.Event()
page = open(sys.argv[1], 'rb').read()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def log_message(self, *a): pass
    def send(self, code, body, ctype='text/html; charset=utf-8', extra=()):
        self.send_response(code)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        for k, v in extra: self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        if self.path == '/page': self.send(200, page)
        elif self.path == '/hang':
            released.wait(30); self.send(200, page)
        elif self.path == '/release':
            released.set(); self.send(200, b'ok', 'text/plain')
        elif self.path == '/redirect-local':
            self.send(302, b'', extra=[('Location', 'http://127.0.0.1:%d/page' % self.server.server_port)])
        else: self.send(404, b'no')
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
s = S(('127.0.0.1', 0), H)
print(s.server_port, flush=True)
s.serve_forever()
EOF
$PY "$T/upstream.py" "$ROOT/samples/harbour-lights.html" >"$T/up.port" 2>/dev/null &
PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$T/up.port" ] && break; sleep 0.05; done
UP="http://127.0.0.1:$(head -n1 "$T/up.port")"

# ---- server A: defaults (SSRF guard on), access log to a file ---------------------------------
start a -p 2 --max-body 200K --max-buffered 300K --max-size 1M --body-timeout 500ms --access-log "$T/access.log"
A=$ADDR
check "server prints its bound address first" test -n "$A"
case "$A" in http://127.0.0.1:[0-9]*) ok "address is http://127.0.0.1:PORT";; *) bad "address '$A'";; esac

req "GET /healthz" 200 "$A/healthz"
check "healthz body" has '"status":"ok"'
req "GET /readyz" 200 "$A/readyz"
check "readyz ready" has '"ready":true'
req "GET /v1/status" 200 "$A/v1/status"
check "status has pool and server" $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["pool"]["max_slots"]==2 and d["server"]["workers"]==4 and d["pool"]["breaker"]=="closed"' "$T/body"
req "GET /" 200 "$A/"
check "index names the endpoints" has '/v1/extract/batch'
req "GET /openapi.json" 200 "$A/openapi.json"
cp "$T/body" "$T/openapi.json"
check "openapi is 3.1" $PY -c 'import json,sys; assert json.load(open(sys.argv[1]))["openapi"].startswith("3.1")' "$T/openapi.json"
check "every openapi \$ref resolves" $PY -c '
import json, sys
doc = json.load(open(sys.argv[1]))
def refs(n):
    if isinstance(n, dict):
        for k, v in n.items():
            if k == "$ref": yield v
            else: yield from refs(v)
    elif isinstance(n, list):
        for v in n: yield from refs(v)
found = list(refs(doc))
assert len(found) > 10
for r in found:
    node = doc
    for part in r.lstrip("#/").split("/"): node = node[part]
' "$T/openapi.json"

# The document and the served routes agree: every documented route answers (not 404/405),
# every route of the table in src/serve/server.c is documented, and nothing else answers.
$PY - "$T/openapi.json" "$ROOT/src/serve/server.c" > "$T/routes" <<'EOF'
import json, re, sys
doc = json.load(open(sys.argv[1]))
documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
src = open(sys.argv[2]).read()
table = src[src.index("const srv_route srv_routes[]"):]
table = table[:table.index("};")]
served = set(re.findall(r'\{"([A-Z]+)", "([^"]+)"\}', table))
if documented != served:
    print("MISMATCH documented-only=%s served-only=%s" % (documented - served, served - documented))
for m, p in sorted(documented):
    print(m, p)
EOF
check "openapi paths == server route table" bash -c "! grep -q MISMATCH '$T/routes' && [ \$(wc -l < '$T/routes') -ge 8 ]"
allans=1
while read -r m p; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -X "$m" -H 'Content-Type: application/json' --data-binary '{}' "$A$p")
  [ "$m" = GET ] && code=$(curl -s -o /dev/null -w '%{http_code}' "$A$p")
  if [ "$code" = 404 ] || [ "$code" = 405 ]; then allans=0; echo "    $m $p -> $code"; fi
done < "$T/routes"
check "every documented route is answered" test $allans = 1
req "an undocumented path is 404" 404 "$A/v1/nope"
check "404 is a JSON error" has '"error":{"code":"NOT_FOUND"'
req "wrong method is 405" 405 "$A/v1/extract"
check "405 names the allowed method" hdr '^Allow: POST'

# ---- POST /v1/extract: the CLI's bytes -------------------------------------------------------
PAGE="$ROOT/samples/harbour-lights.html"
"$RT" extract -f json --base-url https://example.com/a "$PAGE" > "$T/cli.json" 2>/dev/null
req "POST text/html" 200 -X POST -H 'Content-Type: text/html' --data-binary @"$PAGE" "$A/v1/extract?id=harbour-lights&url=https://example.com/a"
cp "$T/body" "$T/http.json"
check "X-Request-Id header" hdr '^X-Request-Id: '
check "Server-Timing has wait, extract, read, resume, total" hdr '^Server-Timing: wait;dur=.*extract;dur=.*read;dur=.*resume;dur=.*total;dur='
# Timings differ from run to run: the two lines that carry them are compared by name only.
strip_t() { sed -E 's/^(  "(wait_ms|extract_ms)": ).*/\1T/' "$1"; }
check "document bytes == riptide extract -f json" cmp -s <(strip_t "$T/cli.json") <(strip_t "$T/http.json")
check "timing lines present in both" bash -c "grep -q '\"extract_ms\"' '$T/cli.json' && grep -q '\"extract_ms\"' '$T/http.json'"

gzip -c "$PAGE" > "$T/page.gz"
req "gzip body" 200 -X POST -H 'Content-Type: text/html' -H 'Content-Encoding: gzip' --data-binary @"$T/page.gz" "$A/v1/extract?id=harbour-lights&url=https://example.com/a"
check "gzip body gives the same document" cmp -s <(strip_t "$T/cli.json") <(strip_t "$T/body")

printf '<html><head><title>Caf\xe9</title></head><body><article><p>Un caf\xe9 cr\xe8me, s\x27il vous pla\xeet, et une tarte aux pommes pour la table du fond.</p></article></body></html>' > "$T/latin1.html"
req "charset from Content-Type" 200 -X POST -H 'Content-Type: text/html; charset=windows-1252' --data-binary @"$T/latin1.html" "$A/v1/extract"
check "windows-1252 decoded to UTF-8" has '"title": "Café"'
printf '<html><head><meta charset="koi8-r"><title>\xf0\xd2\xc9\xd7\xc5\xd4</title></head><body><p>\xf0\xd2\xc9\xd7\xc5\xd4 \xcd\xc9\xd2</p></body></html>' > "$T/koi8.html"
req "charset from <meta>" 200 -X POST -H 'Content-Type: text/html' --data-binary @"$T/koi8.html" "$A/v1/extract"
check "koi8-r decoded" has '"title": "Привет"'

$PY -c 'import json,sys; print(json.dumps({"html": open(sys.argv[1]).read(), "url": "https://example.com/a", "id": "harbour-lights"}))' "$PAGE" > "$T/req.json"
req "POST application/json {html}" 200 -X POST -H 'Content-Type: application/json' --data-binary @"$T/req.json" "$A/v1/extract"
check "JSON body gives the same document" cmp -s <(strip_t "$T/cli.json") <(strip_t "$T/body")
gzip -c "$T/req.json" > "$T/req.json.gz"
req "gzip JSON body" 200 -X POST -H 'Content-Type: application/json' -H 'Content-Encoding: gzip' --data-binary @"$T/req.json.gz" "$A/v1/extract"
check "gzip JSON gives the same document" cmp -s <(strip_t "$T/cli.json") <(strip_t "$T/body")
req "format=markdown" 200 -X POST -H 'Content-Type: text/html' --data-binary @"$PAGE" "$A/v1/extract?format=markdown"
check "markdown content type" hdr '^Content-Type: text/markdown'
check "markdown body" has '^## A rota kept in a biscuit tin'
req "format=text" 200 -X POST -H 'Content-Type: text/html' --data-binary @"$PAGE" "$A/v1/extract?format=text"
# images are off by default: the hero figure's caption is not in the text either
check "text body" bash -c "head -c 40 '$T/body' | grep -q 'The last professional lighthouse'"
req "options: links, images, mode" 200 -X POST -H 'Content-Type: application/json' --data-binary '{"html":"<article><p>Read <a href=\"/x\">this long enough paragraph here</a> now, with more words to make it an article.</p><img src=\"/i.png\" alt=\"i\"></article>","url":"https://e.example/p","options":{"links":true,"images":true,"mode":"full"}}' "$A/v1/extract"
check "links resolved against url" has '"href": "https://e.example/x"'
OC="$ROOT/tests/data/extract/output-controls-on/input.html" # links, a figure, a table
req "tables=false" 200 -X POST -H 'Content-Type: text/html' --data-binary @"$OC" "$A/v1/extract?format=markdown&tables=false&links=true"
check "tables=false: no table, links kept" bash -c "! grep -q 'Northpiercell' '$T/body' && grep -q '](' '$T/body'"
req "tables default, links=false" 200 -X POST -H 'Content-Type: text/html' --data-binary @"$OC" "$A/v1/extract?format=markdown&links=false"
check "tables kept by default, links as text" bash -c "grep -q '| Northpiercell |' '$T/body' && grep -q 'rowing club' '$T/body' && ! grep -q '](' '$T/body'"
req "selector (custom mode)" 200 -X POST -H 'Content-Type: text/html' --data-binary '<div class="a">alpha text</div><div class="b">beta text</div>' "$A/v1/extract?selector=.b&format=text"
check "selector picked .b" bash -c "grep -q beta '$T/body' && ! grep -q alpha '$T/body'"

# ---- errors ---------------------------------------------------------------------------------
req "400 bad option" 400 -X POST -H 'Content-Type: text/html' --data-binary '<p>x</p>' "$A/v1/extract?mode=bogus"
check "400 is a JSON error" $PY -c 'import json,sys; e=json.load(open(sys.argv[1]))["error"]; assert e["code"]=="BAD_REQUEST" and "bogus" in e["message"]' "$T/body"
req "400 unknown option" 400 -X POST -H 'Content-Type: text/html' --data-binary '<p>x</p>' "$A/v1/extract?colour=red"
req "400 bad JSON" 400 -X POST -H 'Content-Type: application/json' --data-binary '{"html": ' "$A/v1/extract"
req "400 JSON without html or url" 400 -X POST -H 'Content-Type: application/json' --data-binary '{"id":"x"}' "$A/v1/extract"
req "400 invalid selector" 400 -X POST -H 'Content-Type: text/html' --data-binary '<p>x</p>' "$A/v1/extract?selector=%5B%5B%5B"
req "415 text/plain" 415 -X POST -H 'Content-Type: text/plain' --data-binary 'x' "$A/v1/extract"
req "415 no Content-Type" 415 -X POST -H 'Content-Type:' --data-binary 'x' "$A/v1/extract"
req "415 Content-Encoding br" 415 -X POST -H 'Content-Type: text/html' -H 'Content-Encoding: br' --data-binary 'x' "$A/v1/extract"
req "415 batch wants NDJSON" 415 -X POST -H 'Content-Type: text/html' --data-binary 'x' "$A/v1/extract/batch"
head -c 300000 /dev/zero | tr '\0' 'a' > "$T/big.html"
# Expect: 100-continue, as a client sending a large body should: the 413 comes before the body
# is sent (without it the answer can be lost to a TCP reset when the server closes with the
# unread body in its buffer).
req "413 Content-Length over --max-body" 413 -X POST -H 'Content-Type: text/html' -H 'Expect: 100-continue' --data-binary @"$T/big.html" "$A/v1/extract"
req "413 chunked body over --max-body" 413 -X POST -H 'Content-Type: text/html' -H 'Transfer-Encoding: chunked' --data-binary @"$T/big.html" "$A/v1/extract"
head -c 3000000 /dev/zero | tr '\0' 'a' | gzip -c > "$T/bomb.gz" # 3 MB inflated, ~3 KB sent
req "413 gzip inflating past --max-size" 413 -X POST -H 'Content-Type: text/html' -H 'Content-Encoding: gzip' --data-binary @"$T/bomb.gz" "$A/v1/extract"
# The body budget (--max-buffered 300K): a request that announced 200000 bytes and is still
# sending them leaves no room for another 150 KB body: 429, then room again once it is gone.
$PY - "$A" "$T/hold.go" > "$T/hold.out" <<'EOF' &
import os, socket, sys, time
host, port = sys.argv[1].rsplit("//", 1)[1].split(":")
s = socket.create_connection((host, int(port)))
s.sendall(b"POST /v1/extract HTTP/1.1\r\nHost: x\r\nContent-Type: text/html\r\nContent-Length: 200000\r\n\r\n<p>")
while not os.path.exists(sys.argv[2]):
    time.sleep(0.01)
s.close()
EOF
HOLD=$!
for _ in $(seq 1 200); do curl -s "$A/v1/status" | grep -q '"buffered_bytes":200000,' && break; sleep 0.02; done
{ printf '<p>'; head -c 150000 /dev/zero | tr '\0' 'a'; printf '</p>'; } > "$T/150k.html"
req "429 past --max-buffered" 429 -X POST -H 'Content-Type: text/html' -H 'Expect: 100-continue' --data-binary @"$T/150k.html" "$A/v1/extract"
check "429 BUFFERS_FULL with Retry-After" bash -c "grep -q BUFFERS_FULL '$T/body' && grep -qi '^Retry-After: 1' '$T/hdr'"
touch "$T/hold.go"; wait "$HOLD"
for _ in $(seq 1 200); do curl -s "$A/v1/status" | grep -q '"buffered_bytes":0,' && break; sleep 0.02; done
req "the budget is returned when the request ends" 200 -X POST -H 'Content-Type: text/html' --data-binary @"$T/150k.html" "$A/v1/extract"
(printf '\x89PNG\r\n\x1a\n'; head -c 4096 /dev/zero) > "$T/img.html"
req "422 page could not be extracted" 422 -X POST -H 'Content-Type: text/html' --data-binary @"$T/img.html" "$A/v1/extract"
check "422 code is the library's" has '"code":"BAD_INPUT"'

# ---- SSRF: refused by default ----------------------------------------------------------------
upport=${UP##*:}
for u in "$UP/page" "http://10.0.0.1/" "http://[::1]:$upport/page" "http://localhost:$upport/page" "http://0.0.0.0:$upport/page" "http://169.254.169.254/latest/meta-data/"; do
  req "SSRF refused: $u" 400 -X POST -H 'Content-Type: application/json' --data-binary "{\"url\":\"$u\"}" "$A/v1/extract"
  check "  ... as FETCH_REFUSED" has '"code":"FETCH_REFUSED"'
done
req "file:// refused" 400 -X POST -H 'Content-Type: application/json' --data-binary '{"url":"file:///etc/passwd"}' "$A/v1/extract"

# ---- batch ----------------------------------------------------------------------------------
$PY - "$PAGE" "$UP" > "$T/batch.ndjson" <<'EOF'
import json, sys
page = open(sys.argv[1]).read()
lines = [
    json.dumps({"id": "first", "html": page}),
    "this is not json",
    "",
    json.dumps([1, 2, 3]),
    json.dumps({"id": "nohtml"}),
    json.dumps({"html": "<p>bad option</p>", "options": {"mode": "bogus"}}),
    json.dumps({"id": 7, "html": "<article><p>Seven is a number id, and this text is long enough.</p></article>"}),
    json.dumps({"id": "ssrf", "url": sys.argv[2] + "/page"}),
    "{\"id\": \"truncated\", \"html\": \"<p>",
    "   ",
    json.dumps({"id": "last", "html": page, "options": {"images": True}}),
]
print("\n".join(lines))
EOF
req "batch" 200 -X POST -H 'Content-Type: application/x-ndjson' --data-binary @"$T/batch.ndjson" "$A/v1/extract/batch"
cp "$T/body" "$T/batch.out"
$PY - "$T/batch.out" > "$T/batch.check" <<'EOF'
import json, sys
out = [json.loads(l) for l in open(sys.argv[1])]
ids = [o["id"] for o in out]
want = ["first", "2", "4", "nohtml", "6", "7", "ssrf", "9", "last"]
assert ids == want, ids
err = {o["id"]: o["error"]["code"] for o in out if "error" in o}
assert set(err) == {"2", "4", "nohtml", "6", "ssrf", "9"}, err
assert err["ssrf"] == "FETCH_REFUSED", err
assert out[0]["title"] == "The Last Keepers of the Harbour Lights"
assert out[-1]["media"] != [] and out[0]["media"] == []
print("ok")
EOF
check "batch: one line per input line, in order, errors in place" grep -qx ok "$T/batch.check"
check "batch response is NDJSON" hdr '^Content-Type: application/x-ndjson'
$PY -c '
import json
for i in range(40): print(json.dumps({"id": "p%d" % i, "html": "<article><p>page %d with enough words to count as an article body</p></article>" % i}))' | gzip -c > "$T/b40.gz"
req "gzip batch of 40" 200 -X POST -H 'Content-Type: application/x-ndjson' -H 'Content-Encoding: gzip' --data-binary @"$T/b40.gz" "$A/v1/extract/batch"
check "40 lines back in order" $PY -c 'import json,sys; ids=[json.loads(l)["id"] for l in open(sys.argv[1])]; assert ids==["p%d"%i for i in range(40)], ids' "$T/body"
# While lines wait for a worker the network thread decodes their "html" itself (batch.c,
# add_line): lines taken apart so and lines a worker parses whole give the same document, and
# a line it cannot take apart (not JSON, cut short, an escaped key) still gets its error line
# or document. 24 lines of the same page around such lines: all but the first are received
# while the two workers are busy.
$PY - "$PAGE" > "$T/same.ndjson" <<'EOF2'
import json, sys
page = open(sys.argv[1]).read()
lines = [json.dumps({"id": "s%d" % i, "html": page}) for i in range(12)]
lines += ["not json", "{\"id\": \"cut\", \"html\": \"<p>", "{\"id\": \"esc\", \"ht\\u006dl\": %s}" % json.dumps(page)]
lines += [json.dumps({"id": "s%d" % i, "html": page}) for i in range(12, 24)]
print("\n".join(lines))
EOF2
req "batch of one page 24 times, odd lines among them" 200 -X POST -H 'Content-Type: application/x-ndjson' --data-binary @"$T/same.ndjson" "$A/v1/extract/batch"
check "  ... the same document for every copy, taken apart by either thread; odd lines in place" $PY -c '
import json, sys
out = [json.loads(l) for l in open(sys.argv[1])]
ids = [o["id"] for o in out]
assert ids == ["s%d" % i for i in range(12)] + ["13", "14", "esc"] + ["s%d" % i for i in range(12, 24)], ids
strip = lambda o: {k: v for k, v in o.items() if k not in ("id", "wait_ms", "extract_ms")}
docs = [strip(o) for o in out if o["id"].startswith("s")] + [strip(out[14])]
assert all(d == docs[0] for d in docs) and docs[0]["title"], docs[0]
assert out[12]["error"]["code"] == "BAD_REQUEST" and out[13]["error"]["code"] == "BAD_REQUEST", out[12:14]
' "$T/body"
req "empty batch" 200 -X POST -H 'Content-Type: application/x-ndjson' --data-binary '' "$A/v1/extract/batch"
check "empty batch, empty answer" test ! -s "$T/body"
# A JSON body's "html" is decoded without jansson when it can be: every escape and UTF-8 form
# must come out as jansson decodes it (a key written "ht\u006dl" takes jansson's path).
$PY - "$A" > "$T/esc.check" 2>&1 <<'EOF'
import json, random, sys, urllib.error, urllib.request
a = sys.argv[1]
random.seed(1)
chars = 'abc "\\/\n\t\r\b\f\u00e9\u4e2d\U0001F600\u2028x'
def title(body):
    req = urllib.request.Request(a + "/v1/extract", data=body, headers={"Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(req, timeout=10).read())["title"]
# Short strings, then long ones whose escapes fall at every offset of the 16-byte blocks the
# fast path copies (runs of plain text of every length between them).
plain = "abcdefghijklmnopqrstuvwxyz0123456789"
for k in range(100):
    if k < 60:
        t = "".join(random.choice(chars) for _ in range(random.randint(0, 40)))
    else:
        t = "".join(random.choice(chars) + random.choice(plain) * random.randint(0, 40)
                    for _ in range(random.randint(1, 12)))
    html = "<html><head><title>%s</title></head><body><p>x</p></body></html>" % t
    doc = json.dumps({"html": html, "options": {"mode": "metadata"}}, ensure_ascii=k % 2 == 0)
    slow = doc.replace('"html"', '"ht\\u006dl"')
    assert title(doc.encode()) == title(slow.encode()), repr(t)
# Strings jansson refuses are refused by the fast path too (it declines and jansson answers),
# wherever the bad byte falls in the 16-byte blocks the fast path reads.
def answer(body):
    req = urllib.request.Request(a + "/v1/extract", data=body, headers={"Content-Type": "application/json"})
    try:
        r = urllib.request.urlopen(req, timeout=10)
        return r.status, ""
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())["error"]["code"]
for bad in [b"\\ud800x", b"\x01", b"\\u12", b"\xff", b"\xc3", b"\xed\xa0\x80", b"\\q", b"\\u0000"]:
    for pad in (0, 7, 15, 16, 31):
        doc = b'{"html": "<p>' + b"y" * pad + bad + b'</p>"}'
        slow = doc.replace(b'"html"', b'"ht\\u006dl"')
        got, want = answer(doc), answer(slow)
        assert got == want and got[0] == 400, (bad, pad, got, want)
print("ok")
EOF
check "JSON html: the fast decoding matches jansson's" grep -qx ok "$T/esc.check"
# A streamed batch: the first lines run while the rest of the body is still being sent (the
# pool's extraction counter moves before the client sends more), and a body of 300 lines in
# many pieces (the upload is suspended and resumed on the way) comes back whole and in order.
# Its own server: A's body limits are far smaller.
A_PID=$SPID
start c -p 2
C=$ADDR; SPID=$A_PID
$PY - "$C" "$PAGE" > "$T/stream.check" 2>&1 <<'EOF'
import json, re, socket, sys, time, urllib.request
addr, page = sys.argv[1], open(sys.argv[2]).read()
host, port = addr.rsplit("//", 1)[1].split(":")
def extractions():
    m = urllib.request.urlopen(addr + "/metrics", timeout=10).read().decode()
    return sum(int(v) for v in re.findall(r'^riptide_extractions_total\{[^}]*\} (\d+)$', m, re.M))
lines = [json.dumps({"id": "s%d" % i, "html": page}) for i in range(300)]
lines[150] = "not json"
body = ("\n".join(lines)).encode()  # the last line has no newline
head = body[:body.index(b"\n", body.index(b"\n") + 1) + 1]  # the first two lines
rest = body[len(head):]
before = extractions()
s = socket.create_connection((host, int(port)))
s.sendall(b"POST /v1/extract/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"
          b"Content-Length: %d\r\n\r\n" % len(body) + head)
t = time.time()
while extractions() < before + 2:
    assert time.time() - t < 10, "no line ran while the body was incomplete"
    time.sleep(0.02)
s.sendall(rest)
f = s.makefile("rb")
assert f.readline().startswith(b"HTTP/1.1 200"), "status"
while f.readline() not in (b"\r\n", b""):
    pass
out = b""
while True:  # chunked
    n = int(f.readline().strip(), 16)
    if n == 0:
        break
    out += f.read(n)
    f.readline()
got = [json.loads(l) for l in out.decode().splitlines()]
ids = [o["id"] for o in got]
want = ["s%d" % i for i in range(300)]
want[150] = "151"
assert ids == want, ids[:5]
assert got[150]["error"]["code"] and "title" in got[299], got[150]
print("ok")
EOF
check "streamed batch: lines run before the body ends; 300 back in order" grep -qx ok "$T/stream.check"
kill -TERM "${PIDS[-1]}"; wait "${PIDS[-1]}"

# ---- idle and slow-loris connections do not stop service --------------------------------------
cat > "$T/loris.py" <<'EOF'
import socket, subprocess, sys, time
host, port = sys.argv[1].rsplit("//", 1)[1].split(":")
idle = [socket.create_connection((host, int(port))) for _ in range(200)]
loris = []
for _ in range(50):
    s = socket.create_connection((host, int(port)))
    s.sendall(b"POST /v1/extract HTTP/1.1\r\nHost: x\r\nContent-Type: text/html\r\nX-Slow: ")
    loris.append(s)
good = 0
for i in range(10):
    for s in loris:
        s.sendall(b"a")  # one more header byte per round: never finishes
    r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10",
                        "-X", "POST", "-H", "Content-Type: text/html", "--data-binary",
                        "<article><p>hello while busy, with enough words here</p></article>",
                        sys.argv[1] + "/v1/extract"], capture_output=True, text=True)
    good += r.stdout == "200"
print(good)
for s in idle + loris: s.close()
EOF
check "10/10 requests served beside 200 idle + 50 slow-loris connections" test "$($PY "$T/loris.py" "$A")" = 10

cat > "$T/trickle.py" <<'EOF'
import socket, sys, time
host, port = sys.argv[1].rsplit("//", 1)[1].split(":")
s = socket.create_connection((host, int(port)))
s.sendall(b"POST /v1/extract HTTP/1.1\r\nHost: x\r\nContent-Type: text/html\r\nContent-Length: 10000\r\n\r\n")
t0 = time.monotonic()
s.settimeout(5)
try:
    for _ in range(100):  # 100 bytes every 50 ms: never idle, done only after 5 s
        s.sendall(b"a" * 100)
        time.sleep(0.05)
    s.recv(100)
    print("not cut")
except OSError:
    print("cut after %.1f s" % (time.monotonic() - t0))
EOF
out=$($PY "$T/trickle.py" "$A")
case "$out" in "cut after "*) ok "a trickling body is cut at --body-timeout ($out)";; *) bad "trickling body: $out";; esac

# ---- metrics and access log -----------------------------------------------------------------
req "GET /metrics" 200 "$A/metrics"
check "metrics: pool counters" has '^riptide_extractions_total'
check "metrics: HTTP counters" has 'riptide_http_requests_total{route="/v1/extract",code="200"}'
check "metrics: 413 counted" has 'riptide_http_requests_total{route="/v1/extract",code="413"}'
check "metrics: latency histogram" has 'riptide_http_request_duration_seconds_bucket{le="+Inf"}'
rid=$(curl -s -D - -o /dev/null "$A/healthz" | tr -d '\r' | sed -n 's/^X-Request-Id: //p')
check "access log line per request, JSON, with request id" $PY -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert any(l["request_id"] == sys.argv[2] and l["status"] == 200 and l["path"] == "/healthz" for l in lines)
assert all({"request_id", "status", "bytes_in", "bytes_out", "latency_ms", "engine"} <= set(l) for l in lines)
assert any(l["engine"] == "wasm" for l in lines)' "$T/access.log" "$rid"
check "access log holds no body" bash -c "! grep -q 'biscuit tin' '$T/access.log'"
mv "$T/access.log" "$T/access.log.1"
kill -HUP "$SPID"
for _ in $(seq 1 100); do curl -s -o /dev/null "$A/healthz"; [ -s "$T/access.log" ] && break; sleep 0.05; done
check "SIGHUP reopens the access log" test -s "$T/access.log"
kill -TERM "$SPID"; wait "$SPID"; rc=$?
check "server A exits 0 on SIGTERM" test "$rc" = 0

# ---- server B: private fetch allowed, auth, tiny queue: 401, fetch, 429, 503, 504 ------------
printf '# keys\nsecret-key-one\nsecret-key-two\n' > "$T/keys"
start b -p 1 --queue 1 --max-wait 1s --allow-private-fetch --api-key-file "$T/keys" --shutdown-timeout 20s
B=$ADDR
AUTH=(-H 'Authorization: Bearer secret-key-two')
req "healthz open without a key" 200 "$B/healthz"
req "401 without a key" 401 "$B/v1/status"
check "401 asks for Bearer" hdr '^WWW-Authenticate: Bearer'
req "401 with a wrong key" 401 -H 'Authorization: Bearer secret-key-onf' "$B/v1/status"
req "401 with a prefix of a key" 401 -H 'Authorization: Bearer secret-key-on' "$B/v1/status"
req "200 with a key" 200 "${AUTH[@]}" "$B/v1/status"
req "fetch with --allow-private-fetch" 200 "${AUTH[@]}" -X POST -H 'Content-Type: application/json' --data-binary "{\"url\":\"$UP/redirect-local\",\"id\":\"f\"}" "$B/v1/extract"
check "fetched document, final URL after the redirect" has "\"url\": \"$UP/page\""
req "504 fetch timeout" 504 "${AUTH[@]}" -X POST -H 'Content-Type: application/json' --data-binary "{\"url\":\"$UP/hang\",\"options\":{\"timeout_ms\":400}}" "$B/v1/extract"
# Two workers (-p 1) fetch /hang until released; a third request waits in the queue (size 1);
# a fourth finds it full: 429. The third waits past --max-wait (1 s): 503 then, while both
# workers are still busy (test-serve-limits checks the timing).
CURLS=()
for i in 1 2 3; do
  curl -s -o "$T/hang$i" -w '%{http_code}' --max-time 30 "${AUTH[@]}" -X POST -H 'Content-Type: application/json' --data-binary "{\"url\":\"$UP/hang\"}" "$B/v1/extract" > "$T/hang$i.code" &
  CURLS+=($!)
  if [ $i -lt 3 ]; then # one at a time: request i on a worker, nothing queued
    for _ in $(seq 1 500); do curl -s "${AUTH[@]}" "$B/v1/status" | grep -q "\"busy_workers\":$i,\"queue\":0," && break; sleep 0.02; done
  fi
done
for _ in $(seq 1 200); do curl -s "${AUTH[@]}" "$B/v1/status" | grep -q '"queue":1,' && break; sleep 0.02; done
req "429 queue full" 429 "${AUTH[@]}" -X POST -H 'Content-Type: text/html' --data-binary '<p>x</p>' "$B/v1/extract"
check "429 has Retry-After" hdr '^Retry-After: '
wait "${CURLS[2]}" # the queued request: answered at --max-wait, the workers still busy
check "the queued request is answered 503 at --max-wait ($(cat "$T/hang3.code"))" test "$(cat "$T/hang3.code")" = 503
# A keep-alive connection opened before the shutdown, used again during it.
$PY - "$B" "$T/ka.go" > "$T/ka.out" <<'EOF' &
import http.client, os, sys, time
host, port = sys.argv[1].rsplit("//", 1)[1].split(":")
c = http.client.HTTPConnection(host, int(port), timeout=10)
c.request("GET", "/healthz"); c.getresponse().read()
print("open", flush=True)
while not os.path.exists(sys.argv[2]):
    time.sleep(0.01)
c.request("GET", "/readyz", headers={"Authorization": "Bearer secret-key-two"})
r = c.getresponse()
print(r.status, r.getheader("Retry-After"), r.read().decode().strip())
EOF
KA=$!
for _ in $(seq 1 200); do grep -q open "$T/ka.out" 2>/dev/null && break; sleep 0.02; done
# SIGTERM with the requests in flight: the two fetches finish once released, the server exits 0.
kill -TERM "$SPID"
refused=0
for _ in $(seq 1 200); do
  if ! curl -s -o /dev/null --max-time 2 "$B/healthz"; then refused=1; break; fi
  sleep 0.02
done
check "stops accepting connections while draining" test $refused = 1
check "... and is still running then" kill -0 "$SPID"
touch "$T/ka.go"; wait "$KA"
check "a request during the drain gets 503 SHUTTING_DOWN + Retry-After" grep -q '^503 1 .*SHUTTING_DOWN' "$T/ka.out"
curl -s -o /dev/null "$UP/release"
wait "$SPID"; rc=$?
check "server B exits 0 on SIGTERM with requests in flight" test "$rc" = 0
wait "${CURLS[@]}"
codes=$(for f in "$T"/hang?.code; do cat "$f"; echo; done | sort | tr '\n' ' ')
check "in-flight requests answered: two 200, one 503 ($codes)" test "$codes" = "200 200 503 "
check "503 is POOL_SATURATED" grep -q '"code":"POOL_SATURATED"' "$T/hang3" "$T/hang1" "$T/hang2"
check "access log: no API key" bash -c "! grep -q 'secret-key' '$T/stderr.b'"

echo "test-serve: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
