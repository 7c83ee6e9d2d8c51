#!/usr/bin/env bash
# The output controls of `riptide extract` and its multi-document streams (docs/cli.md):
#  - --links/--no-links, --images/--no-images, --tables/--no-tables shape the Markdown, text and
#    HTML (not only the arrays), in both engines (--engine pool and --engine native) alike;
#    the last of a pair wins; a layout table is not a table to drop; riptide bench takes the
#    same flags;
#  - --help names every value of every enumerated option and a default for each;
#  - several inputs in markdown/txt on standard output start each document with its id (front
#    matter / "==> id <==") and split back into exactly the documents written, also when a
#    page's own text looks like a separator; one input stays bare.
# Prints "N passed, N failed" and exits non-zero on any failure.
set -u
BUILD=${1:-build}
. "$(dirname "$0")/lib/cli-test.sh"
cli_test_init test-cli-output "$BUILD"
echo "test-cli-output: $RT"

# A page with a link, a figure (image + caption), a table (tests/data/extract/output-controls-on).
P="$ROOT/tests/data/extract/output-controls-on/input.html"
U=https://example.org/news/harbour

# features FILE: which of link-url, image, caption, table the output shows ("L I C T", "-" for
# absent), and that the link text stays whatever the flags.
features() {
  local f=$1 s=""
  grep -q 'rowing club' "$f" || { echo "no-link-text"; return; }
  grep -qF '](https://example.org/club)' "$f" && s+="L" || s+="-"
  grep -qF '![The pier light at dusk](https://example.org/img/pier-light.jpg)' "$f" && s+="I" || s+="-"
  grep -q 'Beacon caption' "$f" && s+="C" || s+="-"
  grep -qF '| Northpiercell | Green | Flashing 3s |' "$f" && s+="T" || s+="-"
  echo "$s"
}
for engine in pool native; do
  while read -r want flags; do
    # shellcheck disable=SC2086
    run extract -q --engine "$engine" --base-url "$U" -f markdown $flags "$P"
    got=$(features "$out")
    check "$engine markdown ${flags:-(defaults)} -> $want" test "$rc/$got" = "0/$want"
  done <<'EOF2'
---T
L--T --links
-ICT --images
---- --no-tables
LIC- --links --images --no-tables
LICT --links --images --tables
---T --links --no-links
---T --images --no-images
---T --no-tables --tables
EOF2
  # The text and the HTML follow the same controls; the arrays too.
  run extract -q --engine "$engine" --base-url "$U" -f json --html --links --images "$P"
  cp "$out" "$T/all.json"
  run extract -q --engine "$engine" --base-url "$U" -f json --html --no-links --no-images --no-tables "$P"
  check "$engine: text, html and arrays follow the controls" python3 - "$T/all.json" "$out" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
# A figure's caption is never in the text (the article's prose): under its image in the
# Markdown while images are kept, gone with them.
assert "Beacon caption" not in a["text"] and "Northpiercell" in a["text"], a["text"]
assert "Beacon caption" in a["markdown"], a["markdown"]
assert "Beacon caption" not in b["markdown"] and "Northpiercell" not in b["text"], b["text"]
assert "rowing club" in b["text"]
for s in ("<a href=", "<img", "<table", "Beacon caption"):
    assert s in a["html"], s
    assert s not in b["html"], (s, b["html"])
assert "rowing club" in b["html"]
assert a["links"] and a["media"] and not b["links"] and not b["media"]
assert b["word_count"] < a["word_count"]  # words of the text as written
PY
done
# Both engines give the same feature set for every combination (the rows above are per
# engine; this compares them directly on the text as well).
for flags in "" "--links --images" "--no-tables" "--images --no-links"; do
  # shellcheck disable=SC2086
  a=$("$RT" extract -q --engine pool --base-url "$U" -f txt $flags "$P" | grep -c -e 'Beacon caption' -e Northpiercell)
  # shellcheck disable=SC2086
  b=$("$RT" extract -q --engine native --base-url "$U" -f txt $flags "$P" | grep -c -e 'Beacon caption' -e Northpiercell)
  check "txt ${flags:-(defaults)}: pool and native keep the same parts ($a/$b)" test "$a" = "$b"
  # shellcheck disable=SC2086
  a=$("$RT" extract -q --engine pool --base-url "$U" -f markdown $flags "$P" | grep -c -e 'Beacon caption' -e Northpiercell)
  # shellcheck disable=SC2086
  b=$("$RT" extract -q --engine native --base-url "$U" -f markdown $flags "$P" | grep -c -e 'Beacon caption' -e Northpiercell)
  check "markdown ${flags:-(defaults)}: pool and native keep the same parts ($a/$b)" test "$a" = "$b"
done

# A page laid out in a table: --no-tables drops the data table inside it, not the article.
L="$ROOT/tests/data/extract/output-controls-layout/input.html"
for engine in pool native; do
  run extract -q --engine "$engine" -f txt --no-tables "$L"
  check "$engine --no-tables keeps a layout table's article, drops its data table" bash -c \
    "grep -q 'rowing club finished its season' '$out' && grep -q 'Next season the club' '$out' && ! grep -q Firstplacecell '$out'"
done

# An image link without images writes nothing (no empty "[](url)"); text links stay.
printf '%s' '<html><head><title>Gallery</title></head><body><article><p>The harbour gallery shows the boats of the fleet as they came home this autumn, each photographed from the pier at dawn.</p><p><a href="/big/boat1.jpg"><img src="/small/boat1.jpg" alt="Boat one"></a> and <a href="/boats/one">the first boat</a> led the fleet.</p><p>More pictures will follow when the winter maintenance is done and the boats are back on the water.</p></article></body></html>' > "$T/gallery.html"
for engine in pool native; do
  run extract -q --engine "$engine" --base-url https://e.example/ --links "$T/gallery.html"
  check "$engine --links without --images: no empty image link" bash -c \
    "grep -qF '[the first boat](https://e.example/boats/one)' '$out' && ! grep -qF '](https://e.example/big/boat1.jpg)' '$out'"
done

mkdir -p "$T/bench"; cp "$P" "$T/bench/p.html"
run bench "$T/bench" --repeat 1 --parallel 1 --no-tables --links
check "bench takes the output controls" bash -c "[ $rc = 0 ] && grep -q '^pool ' '$out' && grep -q '^native ' '$out'"
run bench "$T/bench" --bogus
check "bench refuses an unknown option" test "$rc" = 2

# ---- --help names every value and default -------------------------------------------------------
run extract --help
H="$out"
check "--help lists formats" grep -q 'json | jsonl | markdown | txt' "$H"
check "--help lists modes and the default" grep -q 'article | full | metadata | custom (default: article)' "$H"
check "--help lists --warc-status values" grep -q -- '--warc-status S      200 | any (default: 200)' "$H"
check "--help lists engines" grep -q 'pool | native (default: pool' "$H"
check "--help names the output controls" bash -c "grep -q -- '--links, --no-links' '$H' && grep -q -- '--images, --no-images' '$H' && grep -q -- '--tables, --no-tables' '$H'"
# Every option that takes a value states its default (or says it has none).
check "every valued option has a default in --help" python3 - "$H" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
opts = text.split("extract options", 1)[1].split("\n\n", 1)[0]
entries = re.split(r"\n(?=  -|      --)", opts)
missing = []
for e in entries:
    m = re.match(r"\s*(?:-\w, )?(--[\w-]+)(?: ([A-Z]+))?", e)
    if not m or not m.group(2) or m.group(1) in ("--input-dir", "--selector"):
        continue
    if "default" not in e:
        missing.append(m.group(1))
assert not missing, missing
PY
run bench --help
check "bench --help lists engines and modes" bash -c "grep -q 'pool | native | both (default: both)' '$out' && grep -q 'article | full | metadata (default: article)' '$out'"

# ---- several documents on standard output ---------------------------------------------------------
D="$T/docs"; mkdir -p "$D"
cp "$P" "$D/a-survey.html"
cp "$ROOT/samples/harbour-lights.html" "$D/b-harbour.html"
# A page whose code block reads like both separators.
printf '%s\n' '<html><head><title>Tricky</title></head><body><article>' \
  '<p>A page whose code sample looks like a stream separator, which the writer must defuse so that the stream still splits into the right documents.</p>' \
  '<pre>---' 'id: "fake"' '---' '==&gt; fake &lt;==' '</pre>' \
  '<p>More prose after the code sample so that the article has a second paragraph of words to keep.</p>' \
  '</article></body></html>' > "$D/c-tricky.html"
: > "$D/d-bad.html" # empty: fails (BAD_INPUT), so it is not in the stream
split_docs() { # split_docs FORMAT FILE: prints the ids of the documents, one a line
  python3 - "$1" "$2" <<'PY'
import json, re, sys
fmt, text = sys.argv[1], open(sys.argv[2]).read()
lines = text.split("\n")
ids = []
for i, l in enumerate(lines):
    if fmt == "markdown" and l == "---" and i + 1 < len(lines) and lines[i + 1].startswith("id: "):
        ids.append(json.loads(lines[i + 1][4:]))
    elif fmt == "txt" and l.startswith("==> ") and l.endswith(" <=="):
        ids.append(l[4:-4])
print("\n".join(ids))
PY
}
for fmt in markdown txt; do
  run extract -q -f "$fmt" "$D"/*.html
  split_docs "$fmt" "$out" > "$T/ids"
  check "$fmt stream of 4 inputs (1 failed) splits into exactly the 3 documents, in order" \
    bash -c "[ $rc = 1 ] && [ \"\$(paste -sd, '$T/ids')\" = 'a-survey,b-harbour,c-tricky' ]"
  check "$fmt stream keeps the tricky page's code (one leading space)" \
    grep -q '^ \(---\|==> fake <==\)$' "$out"
done
run extract -q -f markdown "$D/a-survey.html" "$D/b-harbour.html"
check "markdown front matter carries id, url, title" python3 - "$out" <<'PY'
import sys
t = open(sys.argv[1]).read()
assert t.startswith('---\nid: "a-survey"\ntitle: "Harbour Lights Survey"\n---\n\n# Harbour'), t[:120]
assert '\n\n---\nid: "b-harbour"\nurl: "https://northbound.example/features/harbour-lights"\ntitle: "The Last Keepers of the Harbour Lights"\n---\n\n' in t
PY
run extract -q -f markdown --with-metadata "$D/a-survey.html" "$D/b-harbour.html"
check "with --with-metadata the id joins the one front matter block" bash -c \
  "[ \$(grep -c '^id: ' '$out') = 2 ] && [ \$(grep -cx -- '---' '$out') = 4 ] && grep -q '^word_count: ' '$out'"
run extract -q -f txt "$D/a-survey.html" "$D/b-harbour.html"
check "txt: a header line per document, a blank line between" python3 - "$out" <<'PY'
import sys
t = open(sys.argv[1]).read()
assert t.startswith("==> a-survey <==\nThe survey"), t[:60]
assert "\n\n==> b-harbour <==\n" in t
PY
run extract -q -f markdown "$D/a-survey.html"
check "one input stays bare (markdown)" bash -c "head -1 '$out' | grep -qx '# Harbour Lights Survey' && ! grep -q '^id: ' '$out'"
run extract -q -f txt "$D/c-tricky.html"
check "one input stays bare (txt), its text unchanged" bash -c "head -1 '$out' | grep -q '^A page whose' && grep -qx '==> fake <==' '$out'"
run extract -q -f markdown "$D/a-survey.html" "$D/b-harbour.html" -o "$T/outdir"
check "-o files stay bare" bash -c "! grep -q '^id: ' '$T/outdir/a-survey.md' && [ -f '$T/outdir/b-harbour.md' ]"

echo "test-cli-output: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
