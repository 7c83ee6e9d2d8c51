#!/usr/bin/env bash
# make demo: extracts the bundled sample pages (samples/*.html, written for the project) with
# the riptide command, prints the batch summary, a table of what was found, and one document as
# Markdown. Usage: scripts/demo.sh BUILD
set -euo pipefail
BUILD=${1:-build}
RT="$BUILD/riptide"
OUT="$BUILD/demo"
rm -rf "$OUT"
mkdir -p "$OUT"

echo "== $("$RT" version | head -1)"
"$RT" version | sed -n 's/^guest: /guest: /p'
echo
echo "== riptide extract --input-dir samples --output-format jsonl --links --images"
"$RT" extract --input-dir samples --output-format jsonl --links --images > "$OUT/samples.jsonl"
echo
python3 - "$OUT/samples.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
print(f"{'id':<20} {'title':<52} {'byline':<18} {'date':<10} {'words':>5} {'q':>3} {'links':>5} {'media':>5} engine")
for d in rows:
    if "error" in d:
        print(f"{d['id']:<20} ERROR {d['error']['code']}: {d['error']['message']}")
        continue
    t = (d["title"] or "")[:50]
    print(f"{d['id']:<20} {t:<52} {(d['byline'] or '-')[:18]:<18} {(d['date'] or '-')[:10]:<10} "
          f"{d['word_count']:>5} {d['quality_score'] if d['quality_score'] is not None else '-':>3} "
          f"{len(d['links']):>5} {len(d['media']):>5} {d['engine']}"
          + (f" (fallback: {d['fallback_reason']})" if d["fallback_reason"] else ""))
PY
echo
echo "== riptide extract -o $OUT/markdown --output-format markdown --with-metadata"
"$RT" extract --input-dir samples -o "$OUT/markdown" --output-format markdown --with-metadata
ls "$OUT/markdown"
echo
echo "== $OUT/markdown/harbour-lights.md"
cat "$OUT/markdown/harbour-lights.md"
