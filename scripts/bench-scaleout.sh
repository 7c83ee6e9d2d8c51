#!/usr/bin/env bash
# Scale-out benchmark (not part of `make test`): jobs/s through Redis with 1 and 2 workers
# (one pool slot each) against `riptide bench` on the same pages with 1 and 2 slots, in one
# run, and the Redis round trips per job. Starts its own redis-server on a unix socket (AOF
# on, appendfsync always: the configuration the delivery guarantees assume; FSYNC=everysec
# to compare).
#
#   scripts/bench-scaleout.sh [BUILD] [PAGES_DIR] [JOBS]
#
# PAGES_DIR defaults to the shared readability test pages (or samples/); JOBS (default 1000)
# are the pages submitted over and over.
set -u
BUILD=${1:-build}
PAGES=${2:-../shared/eval/dev/readability-testpages}
JOBS=${3:-1000}
R=$BUILD/riptide
[ -d "$PAGES" ] || PAGES=samples
command -v redis-server >/dev/null || { echo "bench-scaleout: SKIP: no redis-server"; exit 0; }

T=$(mktemp -d)
SOCK=$T/redis.sock
U=unix://$SOCK
RPID=
WPIDS=()
cleanup() {
  for p in "${WPIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  [ -n "$RPID" ] && kill "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
rc() { redis-cli -s "$SOCK" "$@"; }

redis-server --port 0 --unixsocket "$SOCK" --dir "$T" --appendonly yes --appendfsync "${FSYNC:-always}" \
  --save '' --logfile "$T/redis.log" &
RPID=$!
for _ in $(seq 200); do [ "$(rc ping 2>/dev/null)" = PONG ] && break; sleep 0.05; done

# The pages (html, htm, gz) as one flat directory of links, so both sides read the same files.
mkdir -p "$T/pages"
n=0
while IFS= read -r f; do
  cp "$f" "$T/pages/$(printf '%04d' $n)-$(basename "$f")"
  n=$((n + 1))
done < <(find "$PAGES" -maxdepth 2 -type f \( -name '*.html' -o -name '*.htm' -o -name '*.gz' \) | sort)
[ "$n" -gt 0 ] || { echo "bench-scaleout: no pages in $PAGES"; exit 1; }
repeat=$(((JOBS + n - 1) / n))
jobs=$((repeat * n))
echo "bench-scaleout: $n pages from $PAGES, $jobs jobs ($repeat rounds)"

inproc() { # slots -> pages/s of `riptide bench` (pool engine)
  nice -n 0 "$R" bench "$T/pages" --parallel "$1" --repeat "$repeat" --engine pool 2>&1 |
    awk '$1 == "pool" { print $2 }'
}

through_redis() { # workers -> "jobs/s round-trips/job"
  local w=$1
  rc del riptide:jobs riptide:results riptide:dead >/dev/null
  rc keys 'riptide:workers:*' | while read -r k; do [ -n "$k" ] && rc del "$k" >/dev/null; done
  local args=()
  for _ in $(seq "$repeat"); do args+=("$T/pages"); done
  # --links --images: the options riptide bench extracts with (the library defaults)
  "$R" submit --redis "$U" -q --links --images --max-pending $((jobs + 1)) "${args[@]}" >/dev/null
  local t0 t1
  t0=$(date +%s%N)
  WPIDS=()
  for i in $(seq "$w"); do
    "$R" worker --redis "$U" --consumer "b$i" -p 1 2>"$T/w$i.log" &
    WPIDS+=($!)
  done
  "$R" collect --redis "$U" --wait "$jobs" -o /dev/null -q
  t1=$(date +%s%N)
  for p in "${WPIDS[@]}"; do kill -TERM "$p"; done
  for p in "${WPIDS[@]}"; do wait "$p"; done
  WPIDS=()
  local rt=0
  for i in $(seq "$w"); do rt=$((rt + $(rc hget "riptide:workers:b$i" round_trips))); done
  awk -v j="$jobs" -v ns=$((t1 - t0)) -v rt="$rt" \
    'BEGIN { printf "%.1f %.2f\n", j / (ns / 1e9), rt / j }'
}

b1=$(inproc 1)
r1=$(through_redis 1)
b2=$(inproc 2)
r2=$(through_redis 2)
printf '%-34s %10s %10s %14s\n' "" "jobs/s" "ratio" "round trips/job"
printf '%-34s %10s %10s %14s\n' "riptide bench, 1 slot" "$b1" "1.00" "-"
printf '%-34s %10s %10s %14s\n' "Redis, 1 worker x 1 slot" "${r1% *}" \
  "$(awk -v a="${r1% *}" -v b="$b1" 'BEGIN { printf "%.2f", a / b }')" "${r1#* }"
printf '%-34s %10s %10s %14s\n' "riptide bench, 2 slots" "$b2" "1.00" "-"
printf '%-34s %10s %10s %14s\n' "Redis, 2 workers x 1 slot" "${r2% *}" \
  "$(awk -v a="${r2% *}" -v b="$b2" 'BEGIN { printf "%.2f", a / b }')" "${r2#* }"
