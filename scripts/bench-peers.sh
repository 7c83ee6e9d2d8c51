#!/usr/bin/env bash
# Riptide beside Readability.js (on linkedom), on the same pages, in the same run.
# Called by scripts/bench.sh (make bench) with args BUILD SHARED.
#
# For each development set under SHARED/eval/dev: Readability.js runs over the pages (one node
# process, sequential), then `riptide extract --output-format jsonl` over the same pages with
# --parallel 1 (per core), with every CPU, and with the native engine alone. Each command is
# timed whole (start-up, file reading and pool creation included): pages/s of wall time, and
# pages per CPU-second (user + system), the per-core figure that other load on the machine does
# not distort. Both outputs are scored with SHARED/eval/score.py; the per-core ratio is printed.
# On a busy machine, BENCH_REPEAT=3 takes the median of three runs of every command.
# Readability.js is installed once into BUILD/peers (npm, cached).
set -uo pipefail
BUILD=${1:-build}
SHARED=${2:-../shared}
EVAL="$SHARED/eval"
RT="$BUILD/riptide"
if [ ! -d "$EVAL/dev" ] || [ ! -f "$EVAL/score.py" ]; then
  echo "bench-peers: skipped ($EVAL/dev or score.py not found)"
  exit 0
fi
if [ ! -x "$RT" ]; then
  echo "bench-peers: $RT not built"
  exit 1
fi
PEERS="$BUILD/peers"
W=$(mktemp -d /tmp/riptide-peers.XXXXXX)
trap 'rm -rf "$W"' EXIT

have_node=1
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "bench-peers: node/npm not found: Readability.js column skipped"
  have_node=0
fi
if [ $have_node -eq 1 ]; then
  mkdir -p "$PEERS"
  cp "$EVAL/peers/package.json" "$EVAL/peers/readability_run.js" "$PEERS/"
  if [ ! -d "$PEERS/node_modules/@mozilla/readability" ] || [ ! -d "$PEERS/node_modules/linkedom" ]; then
    echo "bench-peers: installing Readability.js and linkedom into $PEERS (once)"
    if ! (cd "$PEERS" && npm install --no-audit --no-fund --loglevel=error >"$W/npm.log" 2>&1); then
      tail -5 "$W/npm.log"
      echo "bench-peers: npm install failed: Readability.js column skipped"
      have_node=0
    fi
  fi
fi

f1_of() { # f1_of TRUTH PRED -> "F1 empty"
  python3 "$EVAL/score.py" --truth "$1" --pred "$2" --n-bootstrap 0 2>/dev/null |
    python3 -c '
import re, sys
s = sys.stdin.read()
m = re.search(r"metric \([^)]*\): F1 ([0-9.]+)", s)
e = re.search(r"empty output: (\d+)", s)
print((m.group(1) if m else "?") + " " + (e.group(1) if e else "?"))'
}
# timed OUT ERR CMD... -> "wall_seconds cpu_seconds rc" (CPU = user + system of the command and
# its threads). Pages per CPU-second is the per-core figure, and it changes less than wall time
# when other processes compete for the machine. With BENCH_REPEAT=N (default 1) the command
# runs N times and the medians are printed (the first failing run's rc wins).
REPEAT=${BENCH_REPEAT:-1}
timed() {
  python3 - "$REPEAT" "$@" <<'PY'
import resource, statistics, subprocess, sys, time
n, out, err, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
walls, cpus, rc = [], [], 0
for _ in range(max(n, 1)):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    with open(out, "wb") as o, open(err, "wb") as e:
        r = subprocess.run(cmd, stdout=o, stderr=e).returncode
    walls.append(time.monotonic() - t0)
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpus.append(ru.ru_utime + ru.ru_stime - before.ru_utime - before.ru_stime)
    if r != 0 and rc == 0:
        rc = r
print(f"{statistics.median(walls):.3f} {statistics.median(cpus):.3f} {rc}")
PY
}

cpus=$(nproc 2>/dev/null || echo 2)
row() { printf '%-22s %-28s %6s %9s %9s %7s %6s\n' "$@"; }
row "set" "extractor" "pages" "pages/s" "pages/cpu" "F1" "empty"
status=0
for dir in "$EVAL"/dev/*/; do
  set_name=$(basename "$dir")
  truth="$dir/truth.jsonl"
  [ -f "$truth" ] || continue
  pages=$(find "$dir" -maxdepth 1 -name '*.html' | wc -l)
  rd_cpu=""
  if [ $have_node -eq 1 ]; then
    read -r wall cpu rc <<<"$(timed "$W/rd.jsonl" "$W/rd.log" node "$PEERS/readability_run.js" \
      --in "$dir" --out "$W/rd.jsonl" --dom linkedom --truth "$truth")"
    if [ "$rc" = 0 ]; then
      read -r f1 empty <<<"$(f1_of "$truth" "$W/rd.jsonl")"
      rd_cpu=$(python3 -c "print(f'{$pages / $cpu:.1f}')")
      row "$set_name" "readability.js+linkedom" "$pages" \
        "$(python3 -c "print(f'{$pages / $wall:.1f}')")" "$rd_cpu" "$f1" "$empty"
    else
      echo "bench-peers: readability_run.js failed on $set_name: $(tail -1 "$W/rd.log")"
      status=1
    fi
  fi
  for run in "pool 1" "pool $cpus" "native 1"; do
    read -r engine par <<<"$run"
    read -r wall cpu rc <<<"$(timed "$W/rt.jsonl" "$W/rt.log" "$RT" extract --input-dir "$dir" \
      --output-format jsonl --parallel "$par" --engine "$engine" --quiet)"
    if [ "$rc" -gt 1 ] || [ "$(wc -l < "$W/rt.jsonl")" -ne "$pages" ]; then
      echo "bench-peers: riptide --engine $engine failed (rc=$rc) on $set_name: $(tail -1 "$W/rt.log")"
      status=1
      continue
    fi
    read -r f1 empty <<<"$(f1_of "$truth" "$W/rt.jsonl")"
    cpu_pps=$(python3 -c "print(f'{$pages / $cpu:.1f}')")
    label="riptide --parallel $par"
    [ "$engine" = native ] && label="riptide --engine native -p1"
    row "$set_name" "$label" "$pages" "$(python3 -c "print(f'{$pages / $wall:.1f}')")" \
      "$cpu_pps" "$f1" "$empty"
    if [ -n "$rd_cpu" ] && [ "$engine" = pool ] && [ "$par" = 1 ]; then
      echo "  -> riptide / readability.js per core (pages per CPU-second): $(python3 -c \
        "print(f'{$cpu_pps / $rd_cpu:.1f}')")x (goal >= 15x)"
    fi
  done
done
# Throughput and latency of the library itself (files pre-loaded, no process start-up): the
# sandboxed pool beside the native extractor, 1 thread and every CPU.
for par in 1 "$cpus"; do
  echo
  "$RT" bench "$EVAL/dev/trafilatura-eval" --parallel "$par" || status=1
done
exit $status
