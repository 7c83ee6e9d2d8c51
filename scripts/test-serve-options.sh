#!/usr/bin/env bash
# `riptide serve` options and request validation (run by `make test` with args BUILD SHARED):
#
#  - --help lists the options; every bad option value exits 2 and names the value;
#  - start failures (address in use, unreadable --api-key-file, unwritable --access-log) exit 1
#    with a message;
#  - a server started with non-default options reports them in /v1/status and applies them
#    (--workers, --queue, --max-body, --max-buffered, --max-size, --max-header, defaults for
#    links/images/html, --mode);
#  - request validation: JSON bodies, options objects and query parameters with bad values give
#    400 with a message naming the problem; 404/405 for unknown routes and methods; 415 for
#    missing or wrong Content-Type and Content-Encoding; 413 over --max-size / --max-body;
#  - batch: a gzip batch that is not gzip is 400; per-line errors in place;
#  - --listen unix:PATH serves over a Unix-domain socket and removes it at shutdown.
set -u
BUILD=${1:-build}
. "$(dirname "$0")/lib/cli-test.sh"
. "$(dirname "$0")/lib/serve-test.sh"
NAME=test-serve-options
serve_test_init "$NAME" "$BUILD"
# err_is CODE TEXT: the body is a JSON error with this code whose message contains TEXT.
err_is() {
  $PY -c 'import json,sys; e=json.load(open(sys.argv[1]))["error"]; assert e["code"]==sys.argv[2] and sys.argv[3] in e["message"], e' \
    "$T/body" "$1" "$2" 2>/dev/null
}

start() { serve_start "$@"; } # start LOG ARGS...: sets ADDR and SPID
stop() { # SIGTERM: must exit 0
  kill -TERM "$SPID"
  wait "$SPID"
  check "server exits 0 on SIGTERM" test "$?" = 0
}

echo "$NAME: $RT"

# ---- --help and usage errors --------------------------------------------------------------
"$RT" serve --help >"$T/help" 2>&1
check "--help exits 0" test "$?" = 0
for o in --listen --parallel --workers --queue --max-wait --max-body --max-buffered --max-connections \
  --idle-timeout --body-timeout --max-header --http-threads --shutdown-timeout --fetch-timeout \
  --allow-private-fetch --api-key-file --access-log --no-fallback --no-links --no-images \
  --tables --no-tables; do
  grep -q -- "$o" "$T/help" || bad "--help does not list $o"
done
ok "--help lists every option"
nusage=0
while IFS='|' read -r want args; do
  # shellcheck disable=SC2086 # the arguments are split on purpose
  "$RT" serve $args >"$T/u.out" 2>"$T/u.err"
  st=$?
  if [ "$st" = 2 ] && grep -qF -- "$want" "$T/u.err" && [ ! -s "$T/u.out" ]; then
    nusage=$((nusage + 1))
  else
    bad "serve $args: status $st, stderr: $(cat "$T/u.err")"
  fi
done <<'EOF'
bad --listen 'nowhere'|--listen nowhere
bad --listen '127.0.0.1:70000'|--listen 127.0.0.1:70000
bad --listen '[::1'|--listen [::1
bad --listen 'unix:' (unix: and a path|--listen unix:
--parallel wants a number from 1 to 1024, not '0'|-p 0
--parallel wants a number from 1 to 1024, not '2000'|--parallel 2000
--mode wants article, full or metadata, not 'custom'|-m custom
--mode wants article, full or metadata, not 'bogus'|--mode bogus
--queue wants a number from 1 to 1000000, not '0'|--queue 0
--workers wants a number from 1 to 4096, not 'x'|--workers x
bad --max-wait 'soon'|--max-wait soon
bad --max-body '0'|--max-body 0
--max-body '2G' is over the largest body the server holds (1G)|--max-body 2G
bad --max-buffered 'lots'|--max-buffered lots
--max-connections wants a number from 1 to 1000000, not '0'|--max-connections 0
--idle-timeout '500ms' is out of range (1s to 600s)|--idle-timeout 500ms
bad --body-timeout 'x'|--body-timeout x
--max-header '100' is out of range (1K to 16M)|--max-header 100
--max-header '1G' is out of range (1K to 16M)|--max-header 1G
--http-threads wants a number from 1 to 64, not '65'|--http-threads 65
bad --shutdown-timeout 'x'|--shutdown-timeout x
bad --fetch-timeout 'x'|--fetch-timeout x
bad --timeout 'x'|--timeout x
--timeout '0' is out of range (1ms to 600s)|--timeout 0
--max-wait '601s' is out of range (1ms to 600s)|--max-wait 601s
--memory-limit '1K' is out of range (4M to 4G)|--memory-limit 1K
--max-size '0' is out of range (1 to 1T)|--max-size 0
bad option|--frobnicate
unexpected argument 'extra'|extra
EOF
check "29 bad options: exit 2 naming the value (and the range when out of it), nothing on stdout" test "$nusage" = 29

# ---- start failures: exit 1 with a message -------------------------------------------------
start a -p 1 --listen 127.0.0.1:0
A=$ADDR
check "first server up" test -n "$A"
"$RT" serve -p 1 --listen "${A#http://}" >/dev/null 2>"$T/busy.err"
st=$?
check "address in use: exit 1, 'cannot listen'" bash -c "[ $st = 1 ] && grep -q 'cannot listen on ${A#http://}' '$T/busy.err'"
"$RT" serve -p 1 --listen 127.0.0.1:0 --api-key-file "$T/no-such-keys" >/dev/null 2>"$T/keys.err"
st=$?
check "missing --api-key-file: exit 1 naming it" bash -c "[ $st = 1 ] && grep -q no-such-keys '$T/keys.err'"
: >"$T/empty-keys"
"$RT" serve -p 1 --listen 127.0.0.1:0 --api-key-file "$T/empty-keys" >/dev/null 2>"$T/keys2.err"
st=$?
check "--api-key-file without a key: exit 1, 'no key in FILE'" bash -c "[ $st = 1 ] && grep -q 'no key in $T/empty-keys' '$T/keys2.err'"
mkdir "$T/logdir"
"$RT" serve -p 1 --listen 127.0.0.1:0 --access-log "$T/logdir" >/dev/null 2>"$T/log.err"
st=$?
check "--access-log into a directory: exit 1 naming it" bash -c "[ $st = 1 ] && grep -q logdir '$T/log.err'"
"$RT" serve -p 1 --listen no-such-host.invalid:0 >/dev/null 2>"$T/host.err"
st=$?
check "--listen on an unresolvable host: exit 1 naming it" bash -c "[ $st = 1 ] && grep -q 'no-such-host.invalid' '$T/host.err'"
# A batch over the line limit is refused whole, before any line runs.
yes x | head -n 100001 >"$T/lines"
req "batch of 100001 lines" 400 -H 'Content-Type: application/x-ndjson' --data-binary @"$T/lines" "$A/v1/extract/batch"
check "400 names the limit of 100000 lines" err_is BAD_REQUEST "at most 100000 lines"
req "status after the refused batch" 200 "$A/v1/status"
check "nothing queued or buffered after it" $PY -c '
import json, sys
s = json.load(open(sys.argv[1]))["server"]
assert s["queue"] == 0 and s["buffered_bytes"] == 0 and s["active_requests"] <= 1, s' "$T/body"
stop

# ---- --listen unix:PATH ---------------------------------------------------------------------
# A Unix-domain socket (a reverse proxy on the same host): its path is printed, requests and a
# batch are served over it, a stale socket file is replaced, a file that is not a socket is
# refused, and the socket file is gone after SIGTERM.
: >"$T/not-a-socket"
"$RT" serve -p 1 --listen "unix:$T/not-a-socket" >/dev/null 2>"$T/unix.err"
st=$?
check "--listen unix:FILE that is not a socket: exit 1, the file kept" bash -c "[ $st = 1 ] && grep -q 'exists and is not a socket' '$T/unix.err' && [ -f '$T/not-a-socket' ]"
$PY -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/u.sock" # stale
start u -p 1 --listen "unix:$T/u.sock"
check "--listen unix:PATH prints unix:PATH" test "$ADDR" = "unix:$T/u.sock"
req "GET /healthz over the Unix socket" 200 --unix-socket "$T/u.sock" http://localhost/healthz
printf '%s\n' '{"id":"u1","html":"<article><p>A first line over the Unix socket, long enough to count.</p></article>"}' \
  '{"id":"u2","html":"<article><p>A second line over the Unix socket, long enough to count.</p></article>"}' >"$T/u.ndjson"
req "batch over the Unix socket" 200 --unix-socket "$T/u.sock" -H 'Content-Type: application/x-ndjson' --data-binary @"$T/u.ndjson" http://localhost/v1/extract/batch
check "  ... two lines back in order" $PY -c 'import json,sys; ids=[json.loads(l)["id"] for l in open(sys.argv[1])]; assert ids==["u1","u2"], ids' "$T/body"
stop
check "the socket file is removed at shutdown" test ! -e "$T/u.sock"

# ---- the output controls of extract, as server-wide defaults --------------------------------
OC="$(dirname "$0")/../tests/data/extract/output-controls-on/input.html" # a link, a figure, a table
start oc -p 1 --listen 127.0.0.1:0 --no-tables --links --images --no-links
check "server with --no-tables --links --images --no-links up" test -n "$ADDR"
req "default --no-tables, last of --links/--no-links wins" 200 -X POST -H 'Content-Type: text/html' --data-binary @"$OC" "$ADDR/v1/extract?format=markdown"
check "  ... no table, no link URL, the image kept" bash -c "! grep -q 'Northpiercell' '$T/body' && ! grep -q '](https://example.org/club)' '$T/body' && grep -q '!\[' '$T/body'"
req "a request's tables=true overrides the default" 200 -X POST -H 'Content-Type: text/html' --data-binary @"$OC" "$ADDR/v1/extract?format=markdown&tables=true"
check "  ... the table is back" has '| Northpiercell |'
stop

# ---- a server with non-default options: /v1/status reports them, they apply ---------------
start b -p 1 --listen 127.0.0.1:0 --workers 3 --queue 5 --max-wait 5s --max-body 64K --max-buffered 1M \
  --max-connections 50 --idle-timeout 5s --body-timeout 5s --max-header 2K --http-threads 2 \
  --shutdown-timeout 5s --fetch-timeout 2s -m full --links --images --html --timeout 5s \
  --memory-limit 256M --max-size 32K --no-fallback
B=$ADDR
check "server b up" test -n "$B"
req "GET /v1/status" 200 "$B/v1/status"
check "/v1/status: workers 3, queue_max 5, max_body 65536, max_buffered 1M, 1 slot, idle" $PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
s, p = d["server"], d["pool"]
assert s["workers"] == 3 and s["queue_max"] == 5 and s["max_body"] == 65536, s
assert s["max_buffered"] == 1 << 20 and s["buffered_bytes"] == 0 and s["queue"] == 0, s
assert s["shutting_down"] is False and p["shutting_down"] is False, d
assert p["max_slots"] == 1 and p["breaker"] == "closed" and p["in_flight"] == 0, p
assert d["version"], d' "$T/body"
req "HEAD /healthz" 200 -I "$B/healthz"
req "unknown route" 404 "$B/v2/extract"
check "404 names GET /" err_is NOT_FOUND "GET / lists them"
req "DELETE /v1/extract" 405 -X DELETE "$B/v1/extract"
check "405 is METHOD_NOT_ALLOWED with Allow: POST" bash -c "grep -q METHOD_NOT_ALLOWED '$T/body' && grep -qi '^Allow: POST' '$T/hdr'"
req "POST /v1/status" 405 -X POST -d x "$B/v1/status"
check "405 on a GET route allows GET" hdr '^Allow: GET'
req "header over --max-header 2K" 431 -H "X-Big: $(head -c 3000 /dev/zero | tr '\0' a)" "$B/healthz"

PAGE='<html><head><title>Options page</title></head><body><article><h1>Options page</h1><p>A paragraph long enough to be the content of an article, with <a href="/rel">a relative link</a> and an <img src="/pic.png" alt="pic"> image.</p><p>Another paragraph so that the extractor has something to keep around.</p></article></body></html>'
req "server defaults: links, images, html, mode full" 200 -H 'Content-Type: text/html' --data-binary "$PAGE" "$B/v1/extract?url=https://o.example/a/"
check "links resolved and images kept by the server's defaults" $PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert any(l["href"] == "https://o.example/rel" for l in d["links"]), d.get("links")
assert d.get("images") or d.get("media"), sorted(d)
assert d.get("html"), "no html"' "$T/body"
req "format=html" 200 -H 'Content-Type: text/html' --data-binary "$PAGE" "$B/v1/extract?format=html"
check "format=html is text/html" bash -c "grep -qi '^Content-Type: text/html' '$T/hdr' && grep -q 'A paragraph long enough' '$T/body'"
req "format=text, links=false" 200 -H 'Content-Type: text/html' --data-binary "$PAGE" "$B/v1/extract?format=txt&links=false&images=no&html=0"
check "text body" bash -c "grep -qi '^Content-Type: text/plain' '$T/hdr' && grep -q 'Another paragraph' '$T/body'"
req "JSON body with an integer id and options" 200 -H 'Content-Type: application/json' \
  --data-binary "$($PY -c 'import json,sys; print(json.dumps({"id": 42, "html": sys.argv[1], "options": {"links": False, "timeout_ms": 5000, "mode": "custom", "selector": "h1"}}))' "$PAGE")" "$B/v1/extract"
check "integer id kept, custom selector applied, links off" $PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["id"] == "42", d["id"]
assert "Options page" in d["text"] and "Another paragraph" not in d["text"], d["text"]
assert not d.get("links"), d.get("links")' "$T/body"

# 400s: each names what is wrong.
while IFS='|' read -r want body; do
  curl -s -o "$T/body" -w '%{http_code}' --max-time 20 -H 'Content-Type: application/json' --data-binary "$body" "$B/v1/extract" >"$T/code"
  if [ "$(cat "$T/code")" = 400 ] && err_is BAD_REQUEST "$want"; then ok "400: $want"; else bad "body $body: $(cat "$T/code") $(head -c 200 "$T/body")"; fi
done <<'EOF'
body is not a JSON object|[1, 2]
body is not a JSON object|{"html": 
"url" must be a string|{"url": 7}
"html" must be a string|{"html": ["x"]}
give "html" or "url"|{"id": "x"}
"options" must be an object|{"html": "<p>x</p>", "options": [1]}
unknown option 'frob'|{"html": "<p>x</p>", "options": {"frob": 1}}
option links wants true or false, not 'maybe'|{"html": "<p>x</p>", "options": {"links": "maybe"}}
has a value of the wrong type|{"html": "<p>x</p>", "options": {"links": [true]}}
url belongs at the top level, not in options|{"html": "<p>x</p>", "options": {"url": "https://e.example/"}}
timeout_ms wants a number from 1 to 600000, not '0'|{"html": "<p>x</p>", "options": {"timeout_ms": 0}}
unknown mode 'fast'|{"html": "<p>x</p>", "options": {"mode": "fast"}}
unknown format 'pdf'|{"html": "<p>x</p>", "options": {"format": "pdf"}}
mode custom needs a selector|{"html": "<p>x</p>", "options": {"mode": "custom"}}
selector works with mode custom only|{"html": "<p>x</p>", "options": {"mode": "article", "selector": "p"}}
url must be an http:// or https:// URL|{"url": "ftp://e.example/x"}
EOF
req "bad query parameter" 400 -H 'Content-Type: text/html' --data-binary "$PAGE" "$B/v1/extract?frob=1"
check "400 names the query parameter" err_is BAD_REQUEST "unknown option 'frob'"
req "bad mode in the query" 400 -H 'Content-Type: text/html' --data-binary "$PAGE" "$B/v1/extract?mode=fast"
check "400 names the mode" err_is BAD_REQUEST "unknown mode 'fast'"
req "no Content-Type" 415 -H 'Content-Type:' --data-binary "$PAGE" "$B/v1/extract"
check "415 asks for a Content-Type" err_is UNSUPPORTED_MEDIA_TYPE "a Content-Type is required"
req "text/plain to /v1/extract" 415 -H 'Content-Type: text/plain' --data-binary "$PAGE" "$B/v1/extract"
check "415 names the accepted types" err_is UNSUPPORTED_MEDIA_TYPE "text/html or application/json"
req "text/html to the batch" 415 -H 'Content-Type: text/html' --data-binary "$PAGE" "$B/v1/extract/batch"
check "415 names application/x-ndjson" err_is UNSUPPORTED_MEDIA_TYPE "application/x-ndjson"
req "Content-Encoding br" 415 -H 'Content-Type: text/html' -H 'Content-Encoding: br' --data-binary "$PAGE" "$B/v1/extract"
check "415 names gzip or identity" err_is UNSUPPORTED_MEDIA_TYPE "gzip or identity"
req "Content-Encoding identity accepted" 200 -H 'Content-Type: text/html' -H 'Content-Encoding: identity' --data-binary "$PAGE" "$B/v1/extract"
head -c 40000 /dev/zero | tr '\0' x | sed 's/^/<p>/' >"$T/40k.html"
req "HTML over --max-size 32K" 413 -H 'Content-Type: text/html' --data-binary @"$T/40k.html" "$B/v1/extract"
check "413 is INPUT_TOO_LARGE" err_is INPUT_TOO_LARGE "exceeds the size limit"
$PY -c 'import json; print(json.dumps({"html": "<p>" + "x" * 40000}))' >"$T/40k.json"
req "JSON html over --max-size 32K" 413 -H 'Content-Type: application/json' --data-binary @"$T/40k.json" "$B/v1/extract"
check "413 says html exceeds the size limit" err_is INPUT_TOO_LARGE "html exceeds the size limit"
head -c 70000 /dev/zero | tr '\0' x >"$T/70k"
req "body over --max-body 64K" 413 -H 'Content-Type: text/html' --data-binary @"$T/70k" "$B/v1/extract"
check "413 is BODY_TOO_LARGE" err_is BODY_TOO_LARGE "--max-body"
printf '\037\213\010\000this is not deflate data' >"$T/notgz" # gzip magic, corrupt stream
req "gzip batch that is not gzip" 400 -H 'Content-Type: application/x-ndjson' -H 'Content-Encoding: gzip' --data-binary @"$T/notgz" "$B/v1/extract/batch"
check "400 says the gzip body could not be inflated" err_is BAD_REQUEST "could not be inflated"
$PY -c 'import gzip,sys; sys.stdout.buffer.write(gzip.compress(b"x" * 200000))' >"$T/bomb.gz"
req "gzip batch inflating past --max-body" 413 -H 'Content-Type: application/x-ndjson' -H 'Content-Encoding: gzip' --data-binary @"$T/bomb.gz" "$B/v1/extract/batch"
check "413 says the inflated body exceeds --max-body" err_is BODY_TOO_LARGE "inflated body exceeds --max-body"
{
  echo '{"id":"good","html":"<html><body><article><p>A good line, long enough to be an article paragraph of its own.</p></article></body></html>"}'
  echo 'not json'
  echo '{"id":"nohtml"}'
  echo
  echo '{"id":"badopt","html":"<p>x</p>","options":{"mode":"fast"}}'
} >"$T/batch.ndjson"
req "batch with bad lines" 200 -H 'Content-Type: application/x-ndjson' --data-binary @"$T/batch.ndjson" "$B/v1/extract/batch"
check "batch: good line extracted, errors in place with their ids" $PY -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 4, lines
assert lines[0]["id"] == "good" and "error" not in lines[0], lines[0]
assert lines[1]["error"]["code"] == "BAD_REQUEST", lines[1]
assert lines[2]["id"] == "nohtml" and "give" in lines[2]["error"]["message"], lines[2]
assert lines[3]["id"] == "badopt" and "unknown mode" in lines[3]["error"]["message"], lines[3]' "$T/body"
req "metrics after the errors" 200 "$B/metrics"
check "metrics count the 415s and 400s of /v1/extract" bash -c "grep -q 'riptide_http_requests_total{route=\"/v1/extract\",code=\"415\"} [1-9]' '$T/body' && grep -q 'riptide_http_requests_total{route=\"/v1/extract\",code=\"400\"} [1-9]' '$T/body'"
stop

echo "$NAME: $pass passed, $fail failed"
[ "$fail" = 0 ]
