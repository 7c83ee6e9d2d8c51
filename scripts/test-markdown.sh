#!/usr/bin/env bash
# The Markdown both engines write reads as meant by a CommonMark parser: every test page
# (tests/data/extract/*/input.html, samples/*.html; tests/data/extract/markdown-syntax holds the
# hard cases: <br> inside and after emphasis, empty spans and headings, headings holding blocks,
# nested emphasis, code spans with backticks, <br> in <pre> and code, text that looks like
# block syntax) is extracted with --engine pool and --engine native, its Markdown rendered by
# cmark (Debian's, the CommonMark reference parser), and the rendered text may show no Markdown
# syntax character (* _ ` [ ] \ # >) more often than the document's own text holds it: one more
# is a marker or escape that was written where CommonMark does not read it as one.
# With ../shared present it also prints the same counts over the dev pages (no bound: real
# pages hold constructs Markdown cannot say, such as code blocks in table cells).
# Prints "N passed, N failed" and exits non-zero on any failure.
set -u
BUILD=${1:-build}
SHARED=${2:-../shared}
. "$(dirname "$0")/lib/cli-test.sh"
cli_test_init test-markdown "$BUILD"
echo "test-markdown: $RT"
command -v cmark >/dev/null || { echo "test-markdown: cmark not installed (scripts/install-deps.sh)"; exit 1; }
PY=/usr/bin/python3

# literal FILE.jsonl: one line per page with extra literal syntax characters, "ID CHAR:COUNT ...";
# nothing when the Markdown of every page renders clean.
cat > "$T/literal.py" <<'EOF'
import json, subprocess, sys
from html.parser import HTMLParser

class Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.out = []
    def handle_data(self, d):
        self.out.append(d)

SYNTAX = ["*", "_", "`", "[", "]", "\\", "#", ">"]
for line in open(sys.argv[1], encoding="utf-8"):
    d = json.loads(line)
    md, text = d.get("markdown") or "", d.get("text") or ""
    html = subprocess.run(["cmark"], input=md.encode(), capture_output=True, check=True).stdout
    t = Text()
    t.feed(html.decode())
    rendered = "".join(t.out)
    extra = [(c, rendered.count(c) - text.count(c)) for c in SYNTAX]
    extra = [f"{c}:{k}" for c, k in extra if k > 0]
    if extra:
        print(d.get("id"), " ".join(extra))
EOF

find "$ROOT/tests/data/extract" -name input.html | sort > "$T/pages"
ls "$ROOT"/samples/*.html >> "$T/pages"
n=$(wc -l < "$T/pages")
for engine in pool native; do
  run extract --input-file "$T/pages" -f jsonl --links --images --engine "$engine"
  got=$(grep -c . "$out")
  [ "$got" -ge $((n - 10)) ] || bad "$engine: $got documents of $n pages"
  $PY "$T/literal.py" "$out" > "$T/lit.$engine" || bad "$engine: the check ran"
  if [ -s "$T/lit.$engine" ]; then
    bad "$engine: Markdown renders with stray syntax on $(wc -l < "$T/lit.$engine") page(s):"
    sed 's/^/         /' "$T/lit.$engine"
  else
    ok "$engine: the Markdown of $got test pages renders with no stray syntax"
  fi
  # The hard cases were there and rendered (not an empty Markdown passing by default).
  run extract "$ROOT/tests/data/extract/markdown-syntax/input.html" -f markdown --engine "$engine"
  check "$engine: markdown-syntax keeps its code span with backticks" grep -qF '`` ldd `which server` ``' "$out"
  check "$engine: markdown-syntax closes bold before the hard break" grep -qE '^\*\*Blocks\*\*(\\| {2})$' "$out"
done

DEV="$SHARED/eval/dev"
if [ -d "$DEV" ]; then
  ls "$DEV"/*/*.html > "$T/dev"
  for engine in pool native; do
    run extract --input-file "$T/dev" -f jsonl --links --images --engine "$engine"
    $PY "$T/literal.py" "$out" > "$T/devlit"
    echo "  info $engine: dev pages whose Markdown renders with stray syntax: $(wc -l < "$T/devlit") of $(wc -l < "$T/dev")"
  done
else
  echo "  info dev pages not present ($DEV): their counts not printed"
fi

echo "test-markdown: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
