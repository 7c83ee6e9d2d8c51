#!/usr/bin/env bash
# Riptide beside Readability.js (on linkedom), on the same pages, in the same run.
# Called by scripts/bench.sh (make bench) with args BUILD SHARED.
#
# For each development set under SHARED/eval/dev: Readability.js runs over the pages (one node
# process, sequential; its own timing line is used, which excludes node's start-up), then
# `riptide extract --output-format jsonl` runs over the same pages with --parallel 1 (per core)
# and with every CPU (wall time of the whole command, start-up, file reading and pool creation
# included). Both outputs are scored with SHARED/eval/score.py. Prints pages/s and F1 of each
# and the speed ratio. Readability.js is installed once into BUILD/peers (npm, cached).
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
now_ns() { date +%s%N; }

cpus=$(nproc 2>/dev/null || echo 2)
printf '%-22s %-28s %6s %9s %7s %6s\n' "set" "extractor" "pages" "pages/s" "F1" "empty"
status=0
for dir in "$EVAL"/dev/*/; do
  set_name=$(basename "$dir")
  truth="$dir/truth.jsonl"
  [ -f "$truth" ] || continue
  pages=$(find "$dir" -maxdepth 1 -name '*.html' | wc -l)
  rd_pps=""
  if [ $have_node -eq 1 ]; then
    if node "$PEERS/readability_run.js" --in "$dir" --out "$W/rd.jsonl" --dom linkedom \
         --truth "$truth" 2>"$W/rd.log" >/dev/null; then
      rd_pps=$(sed -n 's/.* \([0-9.]*\) pages\/s.*/\1/p' "$W/rd.log" | tail -1)
      read -r f1 empty <<<"$(f1_of "$truth" "$W/rd.jsonl")"
      printf '%-22s %-28s %6s %9s %7s %6s\n' "$set_name" "readability.js+linkedom" "$pages" \
        "$rd_pps" "$f1" "$empty"
    else
      echo "bench-peers: readability_run.js failed on $set_name: $(tail -1 "$W/rd.log")"
      status=1
    fi
  fi
  for par in 1 "$cpus"; do
    t0=$(now_ns)
    "$RT" extract --input-dir "$dir" --output-format jsonl --parallel "$par" --quiet \
      >"$W/rt.jsonl" 2>"$W/rt.log"
    rc=$?
    t1=$(now_ns)
    if [ $rc -gt 1 ]; then
      echo "bench-peers: riptide failed (rc=$rc) on $set_name"
      status=1
      continue
    fi
    pps=$(python3 -c "print(f'{$pages / (($t1 - $t0) / 1e9):.1f}')")
    read -r f1 empty <<<"$(f1_of "$truth" "$W/rt.jsonl")"
    printf '%-22s %-28s %6s %9s %7s %6s\n' "$set_name" "riptide --parallel $par" "$pages" "$pps" \
      "$f1" "$empty"
    if [ -n "$rd_pps" ] && [ "$par" = 1 ]; then
      ratio=$(python3 -c "print(f'{$pps / $rd_pps:.1f}' if $rd_pps > 0 else '?')")
      echo "  -> riptide per core / readability.js: ${ratio}x pages/s (goal >= 15x)"
    fi
  done
  # The native fallback alone, for reference (same pages, one thread).
  t0=$(now_ns)
  "$RT" extract --input-dir "$dir" --output-format jsonl --parallel 1 --engine native --quiet \
    >"$W/nat.jsonl" 2>/dev/null
  t1=$(now_ns)
  pps=$(python3 -c "print(f'{$pages / (($t1 - $t0) / 1e9):.1f}')")
  read -r f1 empty <<<"$(f1_of "$truth" "$W/nat.jsonl")"
  printf '%-22s %-28s %6s %9s %7s %6s\n' "$set_name" "riptide --engine native -p1" "$pages" \
    "$pps" "$f1" "$empty"
done
# Throughput and latency of the library itself (files pre-loaded, no process start-up): the
# sandboxed pool beside the native extractor, 1 thread and every CPU.
for par in 1 "$cpus"; do
  echo
  "$RT" bench "$EVAL/dev/trafilatura-eval" --parallel "$par" || status=1
done
exit $status
