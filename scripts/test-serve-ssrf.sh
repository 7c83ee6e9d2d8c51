#!/usr/bin/env bash
# End-to-end SSRF test of `riptide serve` through a redirect (run by `make test` with args BUILD
# SHARED): the first hop must be a public address for the redirect check to be the one that
# refuses, so the test runs in a network namespace of its own (unshare -n, or unshare -rn as an
# unprivileged user) where 93.184.216.34 and .35 are addresses of the loopback interface.
#
#  - a public server on 93.184.216.34 answers 302 to http://127.0.0.1:PORT/ (a loopback server
#    that counts its requests): `riptide serve` (default: private fetch refused) answers 400
#    FETCH_REFUSED naming 127.0.0.1, and the loopback server got no request, although the same
#    redirect followed by curl does reach it;
#  - a redirect to another public address (93.184.216.35) is followed (control), and a public
#    first hop is fetched;
#  - a redirect to the cloud metadata address (169.254.169.254) is refused too.
#
# Exit 77 (skip) with a message when no network namespace can be made here.
set -u
BUILD=${1:-build}
SHARED=${2:-../shared}
. "$(dirname "$0")/lib/cli-test.sh"
. "$(dirname "$0")/lib/serve-test.sh"
if [ "${3:-}" != --inside ]; then
  [ -x "$BUILD/riptide" ] || { echo "test-serve-ssrf: $BUILD/riptide not built"; exit 1; }
  command -v ip >/dev/null || { echo "test-serve-ssrf: SKIP: no 'ip' command (iproute2)"; exit 77; }
  for u in "unshare -n" "unshare -rn"; do
    if $u sh -c 'ip link set lo up && ip addr add 93.184.216.34/32 dev lo' 2>/dev/null; then
      exec $u "$0" "$BUILD" "$SHARED" --inside
    fi
  done
  echo "test-serve-ssrf: SKIP: cannot make a network namespace here (unshare -n and unshare -rn" \
    "refused), so no public first hop for the redirect-to-loopback check"
  exit 77
fi

# ---- inside the namespace ------------------------------------------------------------------
ip link set lo up
ip addr add 93.184.216.34/32 dev lo
ip addr add 93.184.216.35/32 dev lo
serve_test_init test-serve-ssrf "$BUILD"

echo "test-serve-ssrf: $RT (in a network namespace; 93.184.216.34 and .35 are local)"
# A public server on every address (so 93.184.216.34 and .35) and a loopback-only one that
# counts the requests it gets (/count itself is not counted).
cat > "$T/servers.py" <<'EOF'
import http.server, socketserver, sys, threading
page = open(sys.argv[1], 'rb').read()
hits = [0]
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
def handler(public):
    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'
        def log_message(self, *a): pass
        def send(self, code, body, extra=()):
            self.send_response(code)
            self.send_header('Content-Type', 'text/html; charset=utf-8')
            self.send_header('Content-Length', str(len(body)))
            for k, v in extra: self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
        def do_GET(self):
            if not public:
                if self.path == '/count': return self.send(200, str(hits[0]).encode())
                hits[0] += 1
                return self.send(200, page)
            port = self.server.server_port
            to = {'/to-loopback': 'http://127.0.0.1:%d/' % loop.server_port,
                  '/to-public': 'http://93.184.216.35:%d/page' % port,
                  '/to-metadata': 'http://169.254.169.254/latest/meta-data/'}.get(self.path)
            if to: self.send(302, b'', [('Location', to)])
            elif self.path == '/page': self.send(200, page)
            else: self.send(404, b'no')
    return H
loop = S(('127.0.0.1', 0), handler(False))
pub = S(('0.0.0.0', 0), handler(True))
threading.Thread(target=loop.serve_forever, daemon=True).start()
print(pub.server_port, loop.server_port, flush=True)
pub.serve_forever()
EOF
$PY "$T/servers.py" "$ROOT/samples/harbour-lights.html" > "$T/ports" 2>/dev/null &
PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$T/ports" ] && break; sleep 0.05; done
read -r PUBPORT LOOPPORT < "$T/ports"
PUB="http://93.184.216.34:$PUBPORT"
LOOP="http://127.0.0.1:$LOOPPORT"
count() { curl -s --max-time 5 "$LOOP/count"; }

# The redirect target is live: curl following the same redirect reaches the loopback server.
curl -s -L --max-time 10 -o /dev/null "$PUB/to-loopback"
check "the redirect to loopback is live (curl -L reaches it: count $(count))" test "$(count)" = 1

serve_start ssrf --listen 127.0.0.1:0 -p 1 --access-log /dev/null
A=$ADDR
check "server started (default: private fetch refused)" test -n "$A"

fetch() { req "$1" "$2" -X POST -H 'Content-Type: application/json' --data-binary "{\"url\":\"$3\"}" "$A/v1/extract"; }
fetch "public first hop is fetched" 200 "$PUB/page"
check "  ... document url is the page" has "\"url\": \"$PUB/page\""
fetch "redirect public -> 127.0.0.1 refused" 400 "$PUB/to-loopback"
check "  ... as FETCH_REFUSED naming 127.0.0.1" bash -c "grep -q '\"code\":\"FETCH_REFUSED\"' '$T/body' && grep -q '127.0.0.1' '$T/body'"
check "  ... and the loopback server got no request (count $(count))" test "$(count)" = 1
fetch "redirect public -> 169.254.169.254 refused" 400 "$PUB/to-metadata"
check "  ... as FETCH_REFUSED" has '"code":"FETCH_REFUSED"'
fetch "redirect public -> public is followed (control)" 200 "$PUB/to-public"
check "  ... document url is the redirect's target" has "\"url\": \"http://93.184.216.35:$PUBPORT/page\""

kill -TERM "$SPID"; wait "$SPID"; rc=$?
check "server exits 0 on SIGTERM" test "$rc" = 0
echo "test-serve-ssrf: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
