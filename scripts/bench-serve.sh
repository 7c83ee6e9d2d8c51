#!/usr/bin/env bash
# make bench-serve: `riptide serve` under load (wrk), against `riptide bench` and `riptide
# extract` on the same pages with the same number of pool slots, in the same run, so the ratios
# mean something on any machine. Not part of make test. Prints:
#
#   1. in-process pages/s, two ways: riptide bench --parallel P (pages decoded before timing,
#      no output written: the extraction alone) and riptide extract -f jsonl --parallel P over
#      the same pages to /dev/null (reads, decodes, extracts and writes the JSON lines, as the
#      service does: the in-process counterpart of an HTTP request);
#   2. POST /v1/extract with wrk: requests/s, latency p50/p99, at P connections (one request
#      in flight per slot) and at 4P connections (saturated: the throughput figure), each as a
#      ratio to both in-process figures;
#   3. latency at 80 % of that saturated rate (then the same with one page, the median by size,
#      for every request: the service's own tail, without the pages' spread of extraction times): bench/paced_load.c sends at a fixed rate
#      (open loop: latency from each request's due time, so a stall counts for every request
#      it delayed), over PACED_C connections (default 16P, so a due request does not wait for a
#      free connection of the client); wrk has no fixed-rate mode. With PACED_NICE=N (e.g.
#      -10), run a second time with the client at nice N, above the server's threads, as if it
#      had a machine of its own (a negative N needs root or CAP_SYS_NICE); then the same open
#      loop in process (riptide bench --rate, 80 % of its own saturation): the p99/p50 that
#      the pages' spread of extraction times gives with no HTTP at all;
#   4. the saturated run again with 500 idle keep-alive connections held open beside it;
#   5. POST /v1/extract/batch: pages/s for a batch of every page, repeated (one ~165 MB request
#      with PAGES=dev), sent by bench/post_file.c; ROUNDS rounds alternating with riptide bench
#      and riptide extract (jsonl to /dev/null) on as many pages; per round and as a median:
#      the throughput ratios and the CPU time per page (server, client, in-process).
# 3 also splits each latency (bench/paced_load.c, from Server-Timing) and prints the run-queue
# delay of the server's and the client's threads: the machine's CPUs being busy elsewhere.
#
# Pages: samples/harbour-lights.html, or with PAGES=dev the readability dev pages under
# SHARED/eval/dev (the first 40). DURATION (s, default 5), P (default 2) and ROUNDS (batch
# rounds, default 3) are settable.
# PARTS=batch runs only 1 and 5, PARTS=paced only 1, 2 and 3; RT=path/to/riptide compares
# another build. LISTEN=unix (with PARTS=batch: wrk speaks TCP only) serves on a Unix-domain
# socket (--listen unix:PATH), as behind a reverse proxy on the same host.
set -uo pipefail
BUILD=${1:-build}
SHARED=${2:-../shared}
RT=${RT:-$(cd "$BUILD" && pwd)/riptide}
PARTS=${PARTS:-all}
P=${P:-2}
DURATION=${DURATION:-5}
PAGES=${PAGES:-sample}
LISTEN=${LISTEN:-tcp}
PACED_C=${PACED_C:-$((16 * P))} # paced_load connections: enough that a due request never waits for one
[ "$LISTEN" = tcp ] || { [ "$LISTEN" = unix ] && [ "$PARTS" = batch ]; } ||
  { echo "bench-serve: LISTEN is tcp, or unix with PARTS=batch"; exit 1; }
command -v wrk >/dev/null || { echo "bench-serve: wrk not installed (scripts/install-deps.sh)"; exit 1; }
T=$(mktemp -d /tmp/riptide-bench-serve.XXXXXX)
SPID=""; IPID=""
cleanup() {
  [ -n "$IPID" ] && kill "$IPID" 2>/dev/null
  [ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

mkdir -p "$T/pages"
if [ "$PAGES" = dev ] && [ -d "$SHARED/eval/dev/readability-testpages" ]; then
  ls "$SHARED/eval/dev/readability-testpages"/*.html | head -40 | xargs -I{} cp {} "$T/pages/"
else # five copies: the in-process run lasts a few seconds, like each wrk run
  for i in 1 2 3 4 5; do cp samples/harbour-lights.html "$T/pages/harbour-lights-$i.html"; done
fi
n_pages=$(ls "$T/pages" | wc -l)
ls "$T"/pages/*.html > "$T/list"
echo "bench-serve: $n_pages page(s) ($PAGES), P=$P pool slots, ${DURATION}s per wrk run, $(nproc) CPUs"

# 1. In-process. Both sides get the same extraction options (EXTRACT_OPTS, links and media
# kept), so they do the same work: riptide bench and riptide serve default to extract's
# (links and images off) and take the same flags. Measured before and after the HTTP runs:
# the reference is their mean, both are printed (a shared machine's load drifts).
EXTRACT_OPTS=(--links --images)
repeat=$(( 4000 / n_pages + 1 )); [ "$repeat" -gt 1000 ] && repeat=1000
inproc_run() { # [REPEAT]: pages/s on stdout; the process's CPU ms per page in $T/inproc.cpu
  local TIMEFORMAT='%U %S' rep=${1:-$repeat}
  { time "$RT" bench "$T/pages" --parallel "$P" --repeat "$rep" --engine pool "${EXTRACT_OPTS[@]}" > "$T/inproc" 2>&1; } 2> "$T/inproc.time"
  awk -v n=$((n_pages * rep)) '{printf "%.3f", ($1 + $2) * 1000 / n}' "$T/inproc.time" > "$T/inproc.cpu"
  awk '$1=="pool"{print $2}' "$T/inproc"
}
# riptide extract over the same pages (a manifest naming each page REPEAT times, in the order the
# batch repeats them), jsonl to /dev/null: pages/s (from its summary) on stdout, its whole
# process's CPU ms per page in $T/extract.cpu.
extract_run() { # [REPEAT]
  local TIMEFORMAT='%U %S' rep=${1:-$repeat} i
  for i in $(seq 1 "$rep"); do cat "$T/list"; done > "$T/manifest"
  { time "$RT" extract --input-file "$T/manifest" -f jsonl -p "$P" "${EXTRACT_OPTS[@]}" > /dev/null 2> "$T/extract"; } 2> "$T/extract.time"
  awk -v n=$((n_pages * rep)) '{printf "%.3f", ($1 + $2) * 1000 / n}' "$T/extract.time" > "$T/extract.cpu"
  sed -nE 's/.* ([0-9.]+) pages\/s.*/\1/p' "$T/extract" | tail -n1
}
ratio() { awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN{printf f, (b > 0 ? a / b : 0)}'; } # A / B, 0 when B is 0
runq_ms() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $2} END{printf "%.1f", s / 1e6}'; } # run-queue delay of a process's threads
steal_ms() { awk -v hz="$(getconf CLK_TCK)" '$1 == "cpu" {printf "%d", $9 * 1000 / hz}' /proc/stat; } # all CPUs
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) * 1000 / hz}' "/proc/$1/stat"; } # user+sys
inproc1=$(inproc_run)
inproc=$inproc1
inproc_cpu1=$(cat "$T/inproc.cpu")
echo "in-process (riptide bench --parallel $P), before: $inproc1 pages/s, $inproc_cpu1 CPU-ms/page"
extract1=$(extract_run)
echo "in-process (riptide extract -f jsonl -p $P > /dev/null): $extract1 pages/s, $(cat "$T/extract.cpu") CPU-ms/page"

# 2. The service.
# --workers P: as many threads calling the pool as riptide bench uses (on a shared machine,
# more threads would also mean a larger share of the CPUs).
listen=127.0.0.1:0; [ "$LISTEN" = unix ] && listen=unix:$T/serve.sock
"$RT" serve --listen "$listen" -p "$P" --workers "$P" "${EXTRACT_OPTS[@]}" --queue 100000 --max-wait 60s --max-body 256M \
  --access-log /dev/null >"$T/addr" 2>"$T/serve.err" &
SPID=$!
for _ in $(seq 1 200); do [ -s "$T/addr" ] && break; sleep 0.05; done
ADDR=$(head -n1 "$T/addr")
[ -n "$ADDR" ] || { echo "bench-serve: server did not start"; cat "$T/serve.err"; exit 1; }

cat > "$T/post.lua" <<'EOF'
local bodies = {}
local i = 0
function init(args)
  for path in io.lines(args[1]) do
    local f = io.open(path, "rb"); bodies[#bodies + 1] = f:read("*a"); f:close()
  end
  i = math.random(#bodies)
end
function request()
  i = i % #bodies + 1
  return wrk.format("POST", "/v1/extract", {["Content-Type"] = "text/html"}, bodies[i])
end
function done(summary, latency, requests)
  io.write(string.format("RESULT rps=%.1f p50=%.2f p99=%.2f errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout, summary.errors.status))
end
EOF
run_wrk() { # run_wrk LABEL CONNECTIONS
  local threads=$(( $2 < 2 ? 1 : 2 )) script="$T/post.lua"
  wrk -t"$threads" -c"$2" -d"${DURATION}s" --timeout 30s -s "$script" "$ADDR" -- "${WRK_LIST:-$T/list}" \
    > "$T/wrk.out" 2>&1
  local line rps p50 p99
  line=$(grep '^RESULT' "$T/wrk.out")
  rps=$(sed -E 's/.*rps=([0-9.]+).*/\1/' <<<"$line")
  p50=$(sed -E 's/.*p50=([0-9.]+).*/\1/' <<<"$line")
  p99=$(sed -E 's/.*p99=([0-9.]+).*/\1/' <<<"$line")
  printf '%-44s %9s req/s  p50 %7s ms  p99 %7s ms  p99/p50 %5s  vs bench %5sx, extract %5sx  (%s)\n' \
    "$1" "$rps" "$p50" "$p99" "$(ratio "$p99" "$p50" %.1f)" \
    "$(ratio "$rps" "$inproc")" \
    "$(ratio "$rps" "$extract1")" \
    "$(sed -E 's/.*(errors=.*)/\1/' <<<"$line")"
  last_rps=$rps; last_p50=$p50
}
if [ "$PARTS" != batch ]; then
run_wrk "POST /v1/extract, $P connections" "$P"
run_wrk "POST /v1/extract, $((4 * P)) connections" $((4 * P))
sat=$last_rps
# 80 % of saturation, at a fixed rate (open loop).
rate=$(awk -v r="$sat" 'BEGIN{printf "%.1f", 0.8 * r}')
cc -std=c11 -O2 -pthread bench/paced_load.c -o "$T/paced_load" || exit 1
hp=${ADDR#http://}
paced_run() { # LABEL [nice ...]: one paced run and its lines
  local label=$1; shift
  local rq0 rq1 st0 st1 line p50 p99 got nreq
  rq0=$(runq_ms "$SPID"); st0=$(steal_ms)
  "$@" "$T/paced_load" "${hp%:*}" "${hp##*:}" "$rate" "$DURATION" "$PACED_C" "${PACED_LIST:-$T/list}" > "$T/paced.out" 2>&1
  rq1=$(runq_ms "$SPID"); st1=$(steal_ms)
  line=$(grep '^RESULT' "$T/paced.out")
  p50=$(sed -E 's/.*p50=([0-9.]+).*/\1/' <<<"$line"); p99=$(sed -E 's/.*p99=([0-9.]+).*/\1/' <<<"$line")
  got=$(sed -E 's/.*rate=([0-9.]+).*/\1/' <<<"$line")
  printf '%-44s %9s req/s  p50 %7s ms  p99 %7s ms  p99/p50 %5s  (%s)\n' \
    "$label" "$got" "$p50" "$p99" \
    "$(ratio "$p99" "$p50" %.1f)" \
    "$(sed -E 's/.*(late=.*)/\1/' <<<"$line"), late = sent >1 ms after due"
  sed -n 's/^PARTS /  ms, /p' "$T/paced.out" # where the time went (bench/paced_load.c)
  # Run-queue delay: time the server's threads and the client's were runnable but not running
  # (the machine's CPUs taken by others, or by each other), per request.
  nreq=$(awk -v r="$rate" -v d="$DURATION" 'BEGIN{printf "%d", r * d}')
  printf '  run-queue delay per request: server %s ms, client %s ms; due with every client connection busy: %s; CPU time stolen by the host: %s ms; load average %s\n' \
    "$(awk -v a="$rq0" -v b="$rq1" -v n="$nreq" 'BEGIN{printf "%.3f", (b - a) / n}')" \
    "$(sed -nE 's/^CLIENT .*runq_per_req_ms=([0-9.]+).*/\1/p' "$T/paced.out")" \
    "$(sed -nE 's/^CLIENT busy=([0-9]+).*/\1/p' "$T/paced.out")" "$((st1 - st0))" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"
}
paced_run "paced at 80 % of saturation ($rate req/s)"
# The same open loop in process (riptide bench --rate, no HTTP): pages fall due at 80 % of the
# in-process saturation, in the same order, latency from each due time. Pages whose extraction
# times differ by 10x queue behind each other at 80 % load with or without a network between:
# this is the p99/p50 that the pages themselves give, the floor for the HTTP figure above.
rate_in=$(awk -v r="$inproc" 'BEGIN{printf "%.1f", 0.8 * r}')
rep_in=$(awk -v r="$rate_in" -v d="$DURATION" -v n="$n_pages" 'BEGIN{k = int(r * d / n) + 1; print (k > 1024 ? 1024 : k)}')
"$RT" bench "$T/pages" --parallel "$P" --repeat "$rep_in" --engine pool --rate "$rate_in" "${EXTRACT_OPTS[@]}" > "$T/inpaced" 2>&1
line=$(awk '$1=="pool"' "$T/inpaced")
if [ -n "$line" ]; then
  read -r _ got_in _ p50_in _ p99_in _ <<<"$line"
  printf '%-44s %9s pages/s p50 %7s ms  p99 %7s ms  p99/p50 %5s\n' \
    "in process, open loop at 80 % ($rate_in/s)" "$got_in" "$p50_in" "$p99_in" "$(ratio "$p99_in" "$p50_in" %.1f)"
else
  echo "in process, open loop: riptide bench --rate failed"; cat "$T/inpaced"
fi
if [ "$n_pages" -gt 1 ]; then
  # One page, the median by size, for every request: the same work each time, so what spreads
  # the latency is the service's own queueing and overhead, not the pages' extraction times.
  ls -S "$T"/pages/*.html | sed -n "$(( (n_pages + 1) / 2 ))p" > "$T/one.list"
  one=$(basename "$(cat "$T/one.list")")
  WRK_LIST=$T/one.list run_wrk "one page ($one), $((4 * P)) connections" $((4 * P))
  mixed_rate=$rate
  rate=$(awk -v r="$last_rps" 'BEGIN{printf "%.1f", 0.8 * r}')
  PACED_LIST=$T/one.list paced_run "one page, paced at 80 % of its saturation ($rate req/s)"
  rate=$mixed_rate
fi
if [ -n "${PACED_NICE:-}" ]; then
  # The same rate, the client at nice PACED_NICE (the server's threads at 0): on a machine of
  # its own, a load generator is never queued behind the server it measures.
  if [ "$(nice -n "$PACED_NICE" nice 2>/dev/null)" = "$PACED_NICE" ]; then
    paced_run "same, client at nice $PACED_NICE (server 0)" nice -n "$PACED_NICE"
  else
    echo "paced, client at nice $PACED_NICE: not run (a negative nice needs root or CAP_SYS_NICE)"
  fi
fi
fi

if [ "$PARTS" = all ]; then
# 4. With 500 idle keep-alive connections open.
python3 - "$ADDR" > "$T/idle.ready" <<'EOF' &
import socket, sys, time
host, port = sys.argv[1].rsplit("//", 1)[1].split(":")
conns = []
for _ in range(500):
    s = socket.create_connection((host, int(port)))
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    conns.append(s)
for s in conns:
    s.recv(4096)  # answered, and the connection stays open (keep-alive)
print("ready", flush=True)
time.sleep(3600)
EOF
IPID=$!
for _ in $(seq 1 400); do grep -q ready "$T/idle.ready" 2>/dev/null && break; sleep 0.05; done
run_wrk "same, beside 500 idle keep-alive connections" $((4 * P))
kill "$IPID" 2>/dev/null; IPID=""

fi

if [ "$PARTS" != paced ]; then
# 5. Batch: every page, repeated, one request, sent by bench/post_file.c (sendfile: the client
# costs ~0.04 CPU-s for 160 MB where `curl --data-binary @file` costs ~0.35, on the CPUs the
# server needs too). Besides pages/s, the CPU time per page of the server (workers and network
# thread) and of the client, against riptide bench's: the efficiency, which a shared machine's
# load moves much less than it moves throughput.
python3 - "$T/list" "$repeat" > "$T/batch.ndjson" <<'EOF'
import json, sys
paths = [l.strip() for l in open(sys.argv[1])]
bodies = [open(p, encoding="utf-8", errors="replace").read() for p in paths]
n = max(int(sys.argv[2]) * len(bodies) // 2, 200)
avg = sum(len(b) for b in bodies) / len(bodies)
n = min(n, int(200e6 / (avg * 1.2)))  # the body stays under the server's --max-body 256M
for i in range(n):
    print(json.dumps({"id": str(i), "html": bodies[i % len(bodies)]}))
EOF
lines=$(wc -l < "$T/batch.ndjson")
cc -std=c11 -O2 bench/post_file.c -o "$T/post_file" || exit 1
hp=${ADDR#http://}
if [ "$LISTEN" = unix ]; then bhost=$ADDR bport=0; else bhost=${hp%:*} bport=${hp##*:}; fi
post_batch() { "$T/post_file" "$bhost" "$bport" /v1/extract/batch application/x-ndjson "$1" "$2"; }
# Warm-up (untimed): a small batch, so the pool's slots exist when PARTS=batch skips the wrk runs.
head -n $((4 * P)) "$T/batch.ndjson" > "$T/warm.ndjson"
post_batch "$T/warm.ndjson" /dev/null > /dev/null
# The transport alone: the same body to a server that only reads it (bench/sink_http.c, in
# reads of ~25 KiB as libmicrohttpd makes them here), over TCP loopback, the client's and the
# sink's CPU per page. When every CPU is busy extracting (P >= CPUs) the batch cannot beat
# bench / (bench + this) even with nothing decoded, extracted or written: the bound printed last.
transport=""
if [ "$LISTEN" = tcp ]; then
  cc -std=c11 -O2 bench/sink_http.c -o "$T/sink_http" || exit 1
  "$T/sink_http" 25600 > "$T/sink.out" 2>&1 &
  KPID=$!
  for _ in $(seq 1 100); do [ -s "$T/sink.out" ] && break; sleep 0.05; done
  TIMEFORMAT='%U %S'
  { time "$T/post_file" 127.0.0.1 "$(head -n1 "$T/sink.out")" /v1/extract/batch application/x-ndjson \
      "$T/batch.ndjson" /dev/null > /dev/null; } 2> "$T/sink.time"
  wait "$KPID"
  transport=$(awk -v n="$lines" -v s="$(sed -nE 's/^RESULT .*cpu_ms=([0-9.]+).*/\1/p' "$T/sink.out")" \
    '{printf "%.3f", (s + ($1 + $2) * 1000) / n}' "$T/sink.time")
fi
# ROUNDS (default 3) rounds, each riptide bench on as many pages as the batch has lines, then
# the batch: adjacent runs see nearly the same machine. Ratios per round, then their median.
rounds=${ROUNDS:-3}
brep=$(( lines / n_pages )); [ "$brep" -lt 1 ] && brep=1
median() { sort -n | awk '{v[NR] = $1} END{printf "%.2f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
: > "$T/ratios"; : > "$T/cpuratios"; : > "$T/xratios"; : > "$T/xcpuratios"; : > "$T/ipcs"
for round in $(seq 1 "$rounds"); do
  ip=$(inproc_run "$brep"); ipc=$(cat "$T/inproc.cpu")
  xp=$(extract_run "$brep"); xpc=$(cat "$T/extract.cpu")
  s0=$(cpu_ms "$SPID")
  TIMEFORMAT='%U %S'
  { time post_batch "$T/batch.ndjson" "$T/batch.out" > "$T/post.out"; } 2> "$T/post.time"
  s1=$(cpu_ms "$SPID")
  ms=$(sed -E 's/.*ms=([0-9.]+).*/\1/' "$T/post.out")
  got=$(wc -l < "$T/batch.out")
  errs=$(grep -c '"error":{"code"' "$T/batch.out")
  bps=$(awk -v n="$lines" -v ms="$ms" 'BEGIN{printf "%.1f", n / (ms / 1e3)}')
  srv_cpu=$(awk -v a="$s0" -v b="$s1" -v n="$lines" 'BEGIN{printf "%.3f", (b - a) / n}')
  cli_cpu=$(awk -v n="$lines" '{printf "%.3f", ($1 + $2) * 1000 / n}' "$T/post.time")
  echo "$ipc" >> "$T/ipcs"
  r=$(ratio "$bps" "$ip"); echo "$r" >> "$T/ratios"
  rc=$(ratio "$ipc" "$srv_cpu"); echo "$rc" >> "$T/cpuratios"
  xr=$(ratio "$bps" "$xp"); echo "$xr" >> "$T/xratios"
  xrc=$(ratio "$xpc" "$srv_cpu"); echo "$xrc" >> "$T/xcpuratios"
  printf '%-44s %9s pages/s (%d lines in, %d out, %d errors); bench %s pages/s: %sx; extract %s pages/s: %sx\n' \
    "POST /v1/extract/batch, round $round" "$bps" "$lines" "$got" "$errs" "$ip" "$r" "$xp" "$xr"
  printf '%-44s server %s, client %s, bench %s, extract %s: bench / server %sx, extract / server %sx  (load %s)\n' \
    "  CPU-ms per page" "$srv_cpu" "$cli_cpu" "$ipc" "$xpc" "$rc" "$xrc" "$(cut -d' ' -f1 /proc/loadavg)"
done
printf '%-44s throughput %sx, CPU efficiency %sx (median of %d rounds)\n' "POST /v1/extract/batch vs riptide bench" \
  "$(median < "$T/ratios")" "$(median < "$T/cpuratios")" "$rounds"
printf '%-44s throughput %sx, CPU efficiency %sx (median of %d rounds)\n' "POST /v1/extract/batch vs riptide extract" \
  "$(median < "$T/xratios")" "$(median < "$T/xcpuratios")" "$rounds"
if [ -n "$transport" ]; then
  ipc_med=$(median < "$T/ipcs")
  if [ "$P" -ge "$(nproc)" ]; then # every CPU extracts: the transport's CPU comes out of theirs
    printf '%-44s %s CPU-ms/page (client + a server that only reads); bench %s: with every CPU extracting, batch vs bench <= %sx\n' \
      "loopback transport alone" "$transport" "$ipc_med" \
      "$(awk -v b="$ipc_med" -v t="$transport" 'BEGIN{printf "%.2f", b / (b + t)}')"
  else
    printf '%-44s %s CPU-ms/page (client + a server that only reads); P < CPUs: it can run beside the pool\n' \
      "loopback transport alone" "$transport"
  fi
fi
fi
kill -TERM "$SPID"; wait "$SPID"; SPID=""
inproc2=$(inproc_run)
mean=$(awk -v a="$inproc1" -v b="$inproc2" 'BEGIN{printf "%.1f", (a + b) / 2}')
echo "in-process (riptide bench --parallel $P), after: $inproc2 pages/s, $(cat "$T/inproc.cpu") CPU-ms/page (mean $mean pages/s; the ratios above use 'before')"
