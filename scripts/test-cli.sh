#!/usr/bin/env bash
# End-to-end tests of the `riptide` command (run by `make test` with args BUILD SHARED).
#
#  - a batch of good, corrupt, empty, binary, huge and hostile files: every input is reported
#    exactly once (inputs counted against jsonl lines, ids and the summary);
#  - the same output whatever --parallel, in input order;
#  - exit codes 0 / 1 / 2;
#  - -o: safe file names, nothing written outside the directory (planted symlinks, hard links
#    and FIFOs), no truncated file on a full disk (a tmpfs in a private mount namespace);
#  - FIFOs as inputs refused without blocking; stdout and --events on a full disk; file names
#    escaped on stderr; option values range-checked; non-HTML URL responses refused;
#  - SIGINT/SIGTERM mid-batch and a vanished reader (EPIPE): whole lines, summary, exit status;
#  - the command linked against libriptide.so (public API only);
#  - stdin, json/markdown/txt formats, modes, --with-metadata, --events, --stats, version;
#  - URLs fetched from a local HTTP server on 127.0.0.1 (redirects, gzip encoding, charset
#    header, 404, size cap, redirect loop, user agent);
#  - progress only on a terminal; memory bounded while streaming 10,000 files.
# Prints "N passed, N failed" and exits non-zero on any failure.
set -u
BUILD=${1:-build}
SHARED=${2:-../shared}
. "$(dirname "$0")/lib/cli-test.sh"
cli_test_init test-cli "$BUILD"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi
  rm -rf "$T"
}
trap cleanup EXIT

echo "test-cli: $RT"

# ---- fixtures ---------------------------------------------------------------------------------
B="$T/batch"
mkdir -p "$B/sub.html" "$B/nested/deeper"
cp "$ROOT"/samples/*.html "$B/"
cp "$ROOT/samples/harbour-lights.html" "$B/nested/deeper/copy-one.htm"
gzip -c "$ROOT/samples/sourdough-science.html" > "$B/gzipped.html.gz"
: > "$B/empty.html"
printf '   \n\t  \n' > "$B/blank.html"
head -c 4096 /dev/zero | tr '\0' '\0' > "$B/binary.html"
printf '\x89PNG\r\n\x1a\n' | cat - "$B/binary.html" > "$B/image.html"
rm "$B/binary.html"
head -c 3000 /dev/urandom > "$B/random.html"
gzip -c "$ROOT/samples/rust-belt-rail.html" | head -c 300 > "$B/corrupt.html.gz"
head -c 3000000 /dev/zero | gzip -c > "$B/bomb.html.gz"          # 3 MB from ~3 KB
head -c 3000000 /dev/zero | tr '\0' 'a' > "$B/huge.html"          # over --max-size 2M
python3 - "$B" <<'PY'
import sys, os
d = sys.argv[1]
with open(os.path.join(d, "deep.html"), "w") as f:
    f.write("<div>" * 100000 + "deep" + "</div>" * 100000)
with open(os.path.join(d, "bigattr.html"), "w") as f:
    f.write('<p title="' + "x" * 900000 + '">attribute</p><p>after the attribute</p>')
with open(os.path.join(d, "nul.html"), "wb") as f:
    f.write(b"<html><body><p>before\x00after, a paragraph with a NUL byte inside.</p></body></html>")
with open(os.path.join(d, "latin1.html"), "wb") as f:
    f.write("<html><head><meta charset=iso-8859-1><title>Caf\xe9</title></head><body>"
            "<article><p>Un caf\xe9 cr\xe8me, s'il vous pla\xeet, avec un croissant "
            "et un verre d'eau, merci beaucoup.</p></article></body></html>".encode("latin-1"))
with open(os.path.join(d, "unknown-charset.html"), "wb") as f:
    f.write(b"<meta charset='x-martian'><p>still \xc3\xa9 text</p>")
with open(os.path.join(d, "sub.html", "inside.html"), "w") as f:
    f.write("<p>A page inside a directory whose name ends in .html.</p>")
with open(os.path.join(d, "we ird;name$.html"), "w") as f:
    f.write("<p>odd name</p>")
with open(os.path.join(d, "..dots.html"), "w") as f:
    f.write("<p>leading dots</p>")
with open(os.path.join(d.encode(), b"caf\xe9-latin1-name.html"), "w") as f:
    f.write("<p>a file name that is not UTF-8</p>")
with open(os.path.join(d, "notes.txt"), "w") as f:
    f.write("not an input: wrong extension")
PY
ln -s "$B/does-not-exist" "$B/dangling.html"
N_INPUTS=$(find "$B" \( -type f -o -type l \) \( -name '*.html' -o -name '*.htm' -o -name '*.gz' \) | wc -l)

# ---- the hostile batch: every input reported once ---------------------------------------------
echo "batch of $N_INPUTS inputs"
run extract --input-dir "$B" -f jsonl --max-size 2M -p 2
check "batch exit code 1 (some inputs failed)" test "$rc" -eq 1
check "one jsonl line per input" test "$(wc -l < "$out")" -eq "$N_INPUTS"
cp "$out" "$T/batch.jsonl"
check "summary counts every input" grep -q "riptide: $N_INPUTS pages:" "$err"
python3 - "$T/batch.jsonl" "$err" <<'PY' && ok "ids, errors and documents as expected" || bad "ids, errors and documents as expected"
import json, re, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
ids = [l["id"] for l in lines]
assert len(ids) == len(set(ids)), "duplicate ids"
by = {l["id"]: l for l in lines}
for l in lines:
    assert list(l)[0] == "id", "id must come first"
    assert ("error" in l) != ("text" in l), l["id"]
def err(i): return by[i].get("error", {}).get("code")
assert err("empty") == "BAD_INPUT", by["empty"]
assert err("blank") == "BAD_INPUT", by["blank"]
assert err("image") == "BAD_INPUT", by["image"]
assert err("corrupt") == "DECODE", by["corrupt"]
assert err("bomb") == "INPUT_TOO_LARGE", by["bomb"]
assert err("huge") == "INPUT_TOO_LARGE", by["huge"]
assert err("dangling") == "IO", by["dangling"]
for good in ["harbour-lights", "sourdough-science", "rust-belt-rail", "copy-one", "gzipped",
             "deep", "bigattr", "nul", "latin1", "unknown-charset", "inside", "we ird;name$",
             "..dots"]:
    assert "error" not in by[good], (good, by[good])
    assert by[good]["engine"] in ("wasm", "native"), by[good]
assert "Un café crème" in by["latin1"]["text"], by["latin1"]["text"]
assert "still é text" in by["unknown-charset"]["text"]
assert "\x00" not in by["nul"]["text"]
assert "Sourdough" in by["gzipped"]["title"], by["gzipped"]["title"]
assert "after the attribute" in by["bigattr"]["text"]
assert any(i.startswith("caf") and i.endswith("-latin1-name") for i in ids), ids
for l in lines:
    if "error" in l:
        assert l["error"]["code"] and l["error"]["message"], l
# the summary's figures add up
s = open(sys.argv[2], encoding="utf-8", errors="replace").read()
m = re.search(r"riptide: (\d+) pages?: (\d+) ok \((\d+) fallback\), (\d+) failed", s)
assert m, s
pages, okc, fb, failed = map(int, m.groups())
assert pages == len(lines) and okc + failed == pages
assert failed == sum(1 for l in lines if "error" in l)
assert fb == sum(1 for l in lines if l.get("fallback_reason"))
PY
check "no progress bar on a pipe" bash -c "! grep -q $'\r' '$err'"
check "failed inputs named on stderr" grep -q "riptide: empty: BAD_INPUT" "$err"

# Same output, same order, whatever the parallelism (timings and engine detail removed).
strip() { python3 -c '
import json, sys
for l in open(sys.argv[1], encoding="utf-8"):
    d = json.loads(l)
    for k in ("wait_ms", "extract_ms"):
        d.pop(k, None)
    print(json.dumps(d, sort_keys=True))' "$1"; }
run extract --input-dir "$B" -f jsonl --max-size 2M -p 1 -q
strip "$out" > "$T/p1"
run extract --input-dir "$B" -f jsonl --max-size 2M -p 4 -q
strip "$out" > "$T/p4"
check "--parallel 1 and 4 give the same lines in the same order" cmp -s "$T/p1" "$T/p4"
check "--quiet prints nothing on stderr" test ! -s "$err"

# The default size limit (64 MiB) on a sparse 70 MiB file, refused before it is read.
truncate -s 70M "$T/sparse.html"
run extract "$T/sparse.html" -f jsonl
check "70 MiB file: INPUT_TOO_LARGE under the default limit" grep -q '"code":"INPUT_TOO_LARGE"' "$out"

# The limit's edges, for files (read as sized by fstat) and for stdin (read to end of file):
# exactly --max-size bytes is accepted, one more is refused. Also a file in a directory whose
# page needs the inflated and converted paths of the decoder (gzip of windows-1252).
python3 - "$T" <<'PY'
import gzip, os, sys
t = sys.argv[1]
page = b"<html><body><article><p>" + b"edge of the limit " * 40 + b"</p></article></body></html>"
for name, size in (("exact", 65536), ("over", 65537)):
    with open(os.path.join(t, name + ".html"), "wb") as f:
        f.write(page + b" " * (size - len(page)))
with open(os.path.join(t, "gz1252.html.gz"), "wb") as f:
    f.write(gzip.compress("<meta charset=windows-1252><p>D\xe9j\xe0 vu, na\xefve caf\xe9 "
                          "\u20ac prices: a paragraph long enough to count.</p>".encode("cp1252")))
PY
run extract "$T/exact.html" "$T/over.html" "$T/gz1252.html.gz" -f jsonl --max-size 64K
check "exactly --max-size bytes accepted, one more refused, gzip+charset decoded" python3 -c '
import json, sys
l = [json.loads(x) for x in open(sys.argv[1])]
assert [d["id"] for d in l] == ["exact", "over", "gz1252"], l
assert "error" not in l[0] and "edge of the limit" in l[0]["text"], l[0]
assert l[1]["error"]["code"] == "INPUT_TOO_LARGE", l[1]
assert "Déjà vu, naïve café € prices" in l[2]["text"], l[2]' "$out"
run extract - -f jsonl --max-size 64K < "$T/exact.html"
check "stdin: exactly --max-size bytes accepted" bash -c "[ $rc -eq 0 ] && ! grep -q error '$out'"
run extract - -f jsonl --max-size 64K < "$T/over.html"
check "stdin: one byte over --max-size refused" grep -q '"code":"INPUT_TOO_LARGE"' "$out"

# Results are not held back in the output buffer: the first document of a pipe reaches the
# reader while the second input (stdin, 3 s late) is still awaited.
( sleep 3; cat "$ROOT/samples/harbour-lights.html" ) |
  timeout 60 "$RT" extract "$ROOT/samples/rust-belt-rail.html" - -f jsonl -p 1 -q |
  python3 -c '
import sys, time
t = time.monotonic()
first = sys.stdin.readline()
a = time.monotonic() - t
rest = sys.stdin.read()
b = time.monotonic() - t
sys.exit(0 if first.startswith("{\"id\":\"rust-belt-rail\"") and rest.count("\n") == 1 and a < b - 1 else 1)' &&
  ok "a result is written as soon as it is ready (not held in the buffer)" ||
  bad "a result is written as soon as it is ready (not held in the buffer)"

# ---- exit codes -------------------------------------------------------------------------------
run extract "$ROOT/samples/harbour-lights.html" -q
check "exit 0 when every input is extracted" test "$rc" -eq 0
check "one input defaults to Markdown" grep -q "^# The Last Keepers of the Harbour Lights" "$out"
run extract </dev/null; check "exit 2: no input (stdin /dev/null: no page)" test "$rc" -eq 2
run extract --bogus x.html; check "exit 2: unknown option" test "$rc" -eq 2
run extract -f yaml x.html; check "exit 2: unknown format" test "$rc" -eq 2
run extract --mode custom x.html; check "exit 2: custom mode without selector" test "$rc" -eq 2
run extract --mode weird x.html; check "exit 2: unknown mode" test "$rc" -eq 2
run extract --parallel 0 x.html; check "exit 2: bad --parallel" test "$rc" -eq 2
run extract --input-dir "$T/no-such-dir"; check "exit 2: --input-dir not a directory" test "$rc" -eq 2
run extract - -; check "exit 2: stdin twice" test "$rc" -eq 2
run frobnicate; check "exit 2: unknown command" test "$rc" -eq 2
run --help; check "--help exits 0 and documents --output-format" grep -q -- "--output-format" "$out"
run extract "$T/missing.html" -f jsonl
check "exit 1 and an IO error for a missing file" bash -c "[ $rc -eq 1 ] && grep -q '\"code\":\"IO\"' '$out'"

# ---- formats, modes, stdin --------------------------------------------------------------------
run extract - -f json < "$ROOT/samples/rust-belt-rail.html"
check "stdin with id 'stdin' as one pretty JSON object" python3 -c '
import json, sys; d = json.load(open(sys.argv[1]))
assert d["id"] == "stdin" and d["title"].startswith("Can a 1970s Rail Line"), d["title"]' "$out"
run extract "$ROOT"/samples/*.html -f json -q
check "several inputs as a JSON array" python3 -c '
import json, sys; a = json.load(open(sys.argv[1])); assert len(a) == 3 and a[0]["id"] == "harbour-lights"' "$out"
run extract "$ROOT/samples/harbour-lights.html" -f txt --with-metadata
check "txt with metadata header" bash -c "grep -q '^title: \"The Last Keepers of the Harbour Lights\"' '$out' && grep -q 'Morag Campbell' '$out'"
run extract "$ROOT/samples/harbour-lights.html" -f markdown --with-metadata --links --images
check "markdown front matter, links and images" bash -c "head -1 '$out' | grep -qx -- '---' && grep -q '!\[The harbour light' '$out'"
run extract "$ROOT/samples/harbour-lights.html" -f jsonl --images
check "a local file's media resolve against its canonical URL" python3 -c '
import json, sys; d = json.loads(open(sys.argv[1]).read())
src = [m["src"] for m in d["media"]]
assert "https://northbound.example/media/2025/harbour-lights-hero.jpg" in src, d["media"]
assert len(src) == len(set(src)), "og:image listed twice: %r" % src' "$out"
run extract - -f jsonl --images --base-url https://mirror.example/x/page.html < "$ROOT/samples/harbour-lights.html"
check "--base-url gives stdin its address" python3 -c '
import json, sys; d = json.loads(open(sys.argv[1]).read())
assert "https://mirror.example/media/2025/harbour-lights-hero.jpg" in [m["src"] for m in d["media"]], d["media"]' "$out"
run extract "$ROOT/samples/harbour-lights.html" --base-url ftp.example/x
check "--base-url without http(s) is a usage error" test "$rc" -eq 2
run extract "$ROOT/samples/harbour-lights.html" -f jsonl --mode metadata
check "metadata mode: no text" python3 -c '
import json, sys; d = json.loads(open(sys.argv[1]).read())
assert d["text"] is None and d["title"] and d["byline"] == "Isla MacAskill", d' "$out"
run extract "$ROOT/samples/harbour-lights.html" -f jsonl --selector "blockquote"
check "custom selector" python3 -c '
import json, sys; d = json.loads(open(sys.argv[1]).read())
assert "Nobody would notice" in d["text"] and "biscuit tin" not in d["text"], d["text"]' "$out"
run extract "$ROOT/samples/harbour-lights.html" -f jsonl --mode full
check "full mode keeps navigation text" grep -q "Food & Drink" "$out"
run extract "$ROOT/samples/harbour-lights.html" -f jsonl --engine native
check "--engine native" grep -q '"engine":"native"' "$out"
run extract "$ROOT/samples/harbour-lights.html" -f jsonl --no-fallback --html --timeout 5s \
  --memory-limit 128M
check "--no-fallback --html --timeout --memory-limit" python3 -c '
import json, sys; d = json.loads(open(sys.argv[1]).read())
assert d["engine"] == "wasm" and d["fallback_reason"] is None and "<" in d["html"], d' "$out"
run extract x.html --timeout soon; check "exit 2: bad --timeout" test "$rc" -eq 2
run extract x.html --memory-limit lots; check "exit 2: bad --memory-limit" test "$rc" -eq 2

# ---- -o: safe names, nothing outside ------------------------------------------------------------
O="$T/out"
mkdir -p "$O"
ln -s "$T/outside-target.md" "$O/evil.md"
cp "$ROOT/samples/rust-belt-rail.html" "$B/evil.html"
run extract --input-dir "$B" -o "$O" -f markdown --max-size 2M -q
check "-o: exit 1 (batch has failures)" test "$rc" -eq 1
check "-o: a planted symlink is not followed" test ! -e "$T/outside-target.md"
check "-o: stdout stays empty" test ! -s "$out"
python3 - "$O" "$T" <<'PY' && ok "-o: safe, unique names inside DIR" || bad "-o: safe, unique names inside DIR"
import os, re, sys
out, root = sys.argv[1], sys.argv[2]
names = sorted(os.listdir(out))
files = [n for n in names if n != "evil.md"]
assert len(files) >= 14, names
for n in files:
    assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._-]*\.md", n), n
    assert os.path.isfile(os.path.join(out, n)) and not os.path.islink(os.path.join(out, n))
assert "we_ird_name.md" in files and "_.dots.md" in files, files
# nothing new anywhere else in the scratch dir
extra = [n for n in os.listdir(root) if n.endswith(".md")]
assert not extra, extra
PY
rm "$B/evil.html"
# Two inputs with the same id get distinct files.
mkdir -p "$T/dup/a" "$T/dup/b" "$T/dupout"
cp "$ROOT/samples/rust-belt-rail.html" "$T/dup/a/index.html"
cp "$ROOT/samples/harbour-lights.html" "$T/dup/b/index.html"
run extract --input-dir "$T/dup" -o "$T/dupout" -f txt -q
check "-o: same id twice -> index.txt and index-2.txt" bash -c "[ -f '$T/dupout/index.txt' ] && [ -f '$T/dupout/index-2.txt' ] && [ $rc -eq 0 ]"

# ---- files that are not files, planted outputs, full disks ------------------------------------
F="$T/files"
mkdir -p "$F/in" "$F/in2" "$F/out"
cp "$ROOT/samples/rust-belt-rail.html" "$F/in/a.html"
mkfifo "$F/in/b-pipe.html"
ln -s "$F/in/b-pipe.html" "$F/in/c-link-to-pipe.html"
mkfifo "$F/pipe.html"
# A FIFO given, walked, or behind a .html symlink: an IO error each, not a batch stalled forever
# (opening a FIFO for reading waits for a writer).
timeout 20 "$RT" extract "$F/pipe.html" --input-dir "$F/in" -f jsonl -p 1 >"$T/stdout" 2>"$T/stderr"
rc=$?
check "FIFOs as inputs (given, walked, behind a link): IO errors, no hang" python3 -c '
import json, sys
assert int(sys.argv[2]) == 1, "exit %s" % sys.argv[2]
l = [json.loads(x) for x in open(sys.argv[1])]
assert [d["id"] for d in l] == ["pipe", "a", "b-pipe", "c-link-to-pipe"], l
assert [d.get("error", {}).get("code") for d in l] == ["IO", None, "IO", "IO"], l
assert "not a regular file" in l[0]["error"]["message"], l[0]' "$T/stdout" "$rc"
# -o: a FIFO and a hard link to a file outside DIR planted under the output names. Results go
# to a temporary file in DIR renamed over the name: the FIFO does not block the run, the file
# outside is not written through the link.
cp "$ROOT/samples/rust-belt-rail.html" "$F/in2/a.html"
cp "$ROOT/samples/harbour-lights.html" "$F/in2/h.html"
mkfifo "$F/out/a.md"
echo "outside DIR, keep me" > "$T/outside.txt"
ln "$T/outside.txt" "$F/out/h.md"
timeout 20 "$RT" extract --input-dir "$F/in2" -o "$F/out" -f markdown -q >"$T/stdout" 2>"$T/stderr"
rc=$?
check "-o: planted FIFO and hard link replaced, nothing written outside DIR" bash -c "
[ $rc -eq 0 ] && [ \"\$(cat '$T/outside.txt')\" = 'outside DIR, keep me' ] &&
[ -f '$F/out/a.md' ] && grep -q 'Rail' '$F/out/a.md' &&
[ -f '$F/out/h.md' ] && [ \"\$(stat -c %h '$F/out/h.md')\" = 1 ] && grep -q 'Harbour' '$F/out/h.md' &&
! ls -a '$F/out' | grep -q '^\.riptide-'"
# -o on a full disk (a 64 KiB tmpfs in a private mount namespace): the input whose output does
# not fit is reported and leaves no truncated file; the one that fits is written.
if unshare -m true 2>/dev/null; then
  mkdir -p "$F/full-in" "$F/full"
  cp "$ROOT/samples/rust-belt-rail.html" "$F/full-in/a-small.html"
  python3 -c '
import sys
p = "".join("<p>Paragraph %d of a long article, with enough words in it to make the text output far larger than the small disk it is written to.</p>\n" % i for i in range(3000))
open(sys.argv[1], "w").write("<html><body><article><h1>Big</h1>" + p + "</article></body></html>")' "$F/full-in/b-big.html"
  unshare -m sh -c "mount -t tmpfs -o size=64k tmpfs '$F/full' &&
    timeout 60 '$RT' extract '$F/full-in/a-small.html' '$F/full-in/b-big.html' -o '$F/full' -f txt;
    echo \$? > '$F/full.rc'; ls -a '$F/full' > '$F/full.ls'" 2>"$F/full.err"
  check "-o on a full disk: input reported, no truncated file, exit 1" bash -c "
  [ \"\$(cat '$F/full.rc')\" = 1 ] && grep -qx 'a-small.txt' '$F/full.ls' &&
  ! grep -q 'b-big' '$F/full.ls' && ! grep -q '^\.riptide-' '$F/full.ls' &&
  grep -q 'riptide: b-big: IO: .*No space left on device' '$F/full.err' &&
  grep -q 'riptide: 2 pages: 1 ok (0 fallback), 1 failed' '$F/full.err'"
else
  echo "  SKIP -o on a full disk (cannot mount a tmpfs here)"
fi
# Standard output on a full disk: the results that could not be written are failed inputs, so
# the summary agrees with the exit status.
timeout 60 "$RT" extract "$F/in2/a.html" "$F/in2/h.html" -f jsonl >/dev/full 2>"$T/stderr"
rc=$?
check "stdout full: exit 1, summary counts the unwritten results as failed" bash -c "
[ $rc -eq 1 ] && grep -q 'error writing standard output: No space left on device' '$T/stderr' &&
grep -Eq 'riptide: ([12]) pages?: 0 ok \(0 fallback\), \1 failed.*standard output failed' '$T/stderr'"
# --events on a full disk: reported, exit 1, and the summary says so.
run extract "$F/in2/a.html" -f jsonl --events /dev/full
check "--events to a full disk: reported, exit 1" bash -c "
[ $rc -eq 1 ] && grep -q 'error writing the events file /dev/full: No space left on device' '$err' &&
grep -q 'riptide: 1 page: 1 ok.*events file incomplete' '$err'"
# A file name with terminal escapes: escaped on stderr.
: > "$F/esc"$'\033'"[31m-red"$'\007'".html"
run extract "$F/esc"*.html -f jsonl
check "ids on stderr are escaped (no terminal escapes from file names)" bash -c "
[ $rc -eq 1 ] && ! grep -q \$'\\033' '$err' && ! grep -q \$'\\007' '$err' &&
grep -qF 'riptide: esc\\x1b[31m-red\\x07: BAD_INPUT' '$err'"
# Option values: out of range is a usage error naming the range; nan, hex, URLs with spaces too.
run extract x.html --timeout 700s
check "exit 2: --timeout out of range, naming the range" bash -c "[ $rc -eq 2 ] && grep -q 'out of range (1ms to 600s)' '$err'"
run extract x.html --memory-limit 5G
check "exit 2: --memory-limit out of range, naming the range" bash -c "[ $rc -eq 2 ] && grep -q 'out of range (4M to 4G)' '$err'"
bad_values=0
for a in "--timeout nan" "--timeout 0x10" "--timeout 0" "--timeout inf" "--memory-limit nan" \
         "--memory-limit 0x1000000" "--memory-limit 1M" "--max-size 1e9" "--max-size nan"; do
  # shellcheck disable=SC2086
  run extract "$ROOT/samples/harbour-lights.html" $a
  [ "$rc" -eq 2 ] || { echo "    $a: exit $rc"; bad_values=1; }
done
check "exit 2: nan, hex, zero, inf and exponents in --timeout/--memory-limit/--max-size" test "$bad_values" -eq 0
run extract "http://example.com/a page.html"
check "exit 2: URL with a space" test "$rc" -eq 2
run extract "$ROOT/samples/harbour-lights.html" --base-url "http://example.com/a b/"
check "exit 2: --base-url with a space" test "$rc" -eq 2

# The command uses only the public API: linked against the shared library (which exports
# nothing else), it gives the same output.
if [ -x "$BUILD/riptide-shared" ]; then
  run extract "$ROOT/samples/harbour-lights.html" -f jsonl --engine native
  cp "$out" "$T/static.jsonl"
  "$BUILD/riptide-shared" extract "$ROOT/samples/harbour-lights.html" -f jsonl --engine native \
    >"$T/shared.jsonl" 2>/dev/null
  check "the command linked against libriptide.so (public API only) gives the same output" \
    python3 -c '
import json, sys
a, b = (json.loads(open(f).read()) for f in sys.argv[1:])
for d in (a, b):
    d.pop("extract_ms", None); d.pop("wait_ms", None)
assert a == b and a["title"], (a, b)' "$T/static.jsonl" "$T/shared.jsonl"
fi

# ---- events, stats, version ---------------------------------------------------------------------
run extract "$ROOT"/samples/*.html -f jsonl --events "$T/events.jsonl" --stats
check "--events writes JSON lines" python3 -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert lines and all("type" in l for l in lines), lines[:3]' "$T/events.jsonl"
check "--stats prints metrics" bash -c "grep -qi 'extraction' '$err'"
run version
check "version: library and guest info" bash -c "grep -q '^riptide [0-9]' '$out' && grep -q '^guest: {' '$out'"

# ---- URLs from a local server -------------------------------------------------------------------
cat > "$T/server.py" <<'PY'
import gzip, http.server, os, sys
ROOT = sys.argv[1]
PAGE = open(os.path.join(ROOT, "samples", "harbour-lights.html"), "rb").read()
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def send(self, code, body, ctype="text/html; charset=utf-8", extra=()):
        self.send_response(code)
        if ctype: self.send_header("Content-Type", ctype)
        for k, v in extra: self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        p = self.path
        if p == "/page.html": self.send(200, PAGE)
        elif p == "/redirect": self.send(302, b"", extra=[("Location", "/page.html")])
        elif p == "/loop": self.send(302, b"", extra=[("Location", "/loop")])
        elif p == "/gzip":
            if "gzip" in self.headers.get("Accept-Encoding", ""):
                self.send(200, gzip.compress(PAGE), extra=[("Content-Encoding", "gzip")])
            else: self.send(406, b"no gzip")
        elif p == "/latin1":
            self.send(200, "<p>Cr\xe8me br\xfbl\xe9e for everyone at the caf\xe9 today.</p>".encode("latin-1"),
                      ctype="text/html; charset=ISO-8859-1")
        elif p == "/ua": self.send(200, ("<p>agent " + self.headers.get("User-Agent", "") + "</p>").encode())
        elif p == "/big": self.send(200, b"<p>" + b"x" * 3000000 + b"</p>")
        elif p == "/png":
            self.send(200, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, ctype="image/png")
        elif p == "/pdf":
            self.send(200, b"%PDF-1.4\n" + b"BT /F1 12 Tf (some words in a pdf) Tj ET\n" * 300,
                      ctype="application/pdf")
        elif p == "/notype": self.send(200, PAGE, ctype=None)
        elif p == "/plain-html": self.send(200, PAGE, ctype="text/plain")
        elif p == "/xhtml": self.send(200, PAGE, ctype="application/xhtml+xml")
        elif p == "/plain-text": self.send(200, b"just some words " * 200, ctype="text/plain")
        else: self.send(404, b"not found")
class S(http.server.ThreadingHTTPServer):
    daemon_threads = True
    def handle_error(self, request, client_address):
        pass  # the client aborting an oversized body is part of the test
srv = S(("127.0.0.1", 0), H)
with open(sys.argv[2], "w") as f: f.write(str(srv.server_address[1]))
srv.serve_forever()
PY
python3 "$T/server.py" "$ROOT" "$T/port" &
SERVER_PID=$!
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
if [ -s "$T/port" ]; then
  U="http://127.0.0.1:$(cat "$T/port")"
  run extract "$U/page.html" "$U/redirect" "$U/gzip" "$U/latin1" "$U/ua" "$U/missing" "$U/loop" \
    "$U/big" -f jsonl --max-size 2M --timeout 10
  check "URLs: exit 1 (some failed)" test "$rc" -eq 1
  python3 - "$out" "$U" <<'PY' && ok "URLs: redirects, gzip, charset, 404, loop, size cap, UA" || bad "URLs: redirects, gzip, charset, 404, loop, size cap, UA"
import json, sys
U = sys.argv[2]
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert [l["id"] for l in lines] == [U + p for p in
       ["/page.html", "/redirect", "/gzip", "/latin1", "/ua", "/missing", "/loop", "/big"]], lines
by = {l["id"][len(U):]: l for l in lines}
assert by["/page.html"]["title"] == "The Last Keepers of the Harbour Lights"
assert by["/redirect"]["url"] == U + "/page.html", by["/redirect"]["url"]   # final URL
assert by["/redirect"]["canonical_url"] == "https://northbound.example/features/harbour-lights"
assert "Morag Campbell" in by["/gzip"]["text"]
assert "Crème brûlée" in by["/latin1"]["text"], by["/latin1"]["text"]
assert "riptide/" in by["/ua"]["text"], by["/ua"]["text"]
assert by["/missing"]["error"]["code"] == "FETCH" and "404" in by["/missing"]["error"]["message"]
assert by["/loop"]["error"]["code"] == "FETCH"
assert by["/big"]["error"]["code"] == "INPUT_TOO_LARGE"
PY
  run extract "$U/png" "$U/pdf" "$U/notype" "$U/plain-html" "$U/xhtml" "$U/plain-text" -f jsonl
  check "URLs: image/png, application/pdf, plain text refused; HTML by type or by sniffing kept" python3 -c '
import json, sys
by = {d["id"].rsplit("/", 1)[1]: d for d in map(json.loads, open(sys.argv[1]))}
for k in ("png", "pdf", "plain-text"):
    assert by[k].get("error", {}).get("code") == "UNSUPPORTED_TYPE", by[k]
assert "image/png" in by["png"]["error"]["message"], by["png"]
for k in ("notype", "plain-html", "xhtml"):
    assert "error" not in by[k] and "Harbour" in by[k]["title"], by[k]' "$out"
  run extract "$U/page.html" -o "$T/urlout" -f txt -q
  check "URL output file name is safe" bash -c "ls '$T/urlout' | grep -qx '127.0.0.1_[0-9]*_page.html.txt'"
else
  bad "local HTTP server did not start"
fi

# ---- progress bar on a terminal only ------------------------------------------------------------
if script -qec "true" /dev/null >/dev/null 2>&1; then
  script -qec "'$RT' extract --input-dir '$ROOT/samples' -f jsonl -o '$T/ttyout'" "$T/tty.log" >/dev/null 2>&1
  check "progress bar drawn on a terminal" grep -q "pages/s" "$T/tty.log"
fi

# ---- memory bounded while streaming 10,000 files -----------------------------------------------
M="$T/many"
mkdir -p "$M"
python3 - "$M" <<'PY'
import os, sys
d = sys.argv[1]
page = ("<html><head><title>Page %d</title></head><body><nav>menu</nav><article><h1>Page %d</h1>"
        + "<p>Paragraph with enough words to count as content, number %d, for the test.</p>" * 5
        + "</article></body></html>")
for i in range(10000):
    sub = os.path.join(d, "d%02d" % (i % 20))
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, "p%05d.html" % i), "w") as f:
        f.write(page % ((i, i) + (i,) * 5))
PY
rss() { # rss N -> max RSS in KiB of a batch over the first N files (by directory)
  local n=$1 dirs
  dirs=$(ls -d "$M"/d* | head -n "$n")
  local args=()
  for d in $dirs; do args+=(--input-dir "$d"); done
  # Under ASan the quarantine keeps freed memory on purpose: switch it off for this measure.
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0" \
  python3 -c '
import resource, subprocess, sys
with open(sys.argv[1], "wb") as out:
    subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' \
    "$T/many.jsonl" "$RT" extract "${args[@]}" -f jsonl -q > "$T/rss"
  echo "$(cat "$T/rss") $(wc -l < "$T/many.jsonl")"
}
read -r rss_small lines_small <<< "$(rss 2)"     # 1,000 files
read -r rss_big lines_big <<< "$(rss 20)"        # 10,000 files
echo "  max RSS: $rss_small KiB for $lines_small files, $rss_big KiB for $lines_big files"
check "10,000-file batch: every file reported" test "$lines_big" -eq 10000
check "RSS does not grow with the batch (10,000 files within 1.25x + 8 MiB of 1,000)" \
  test "$rss_big" -le $(( rss_small * 5 / 4 + 8192 ))

# ---- WARC input -------------------------------------------------------------------------------
W="$T/warc"; mkdir -p "$W/dir"
python3 - "$W" <<'PY'
import gzip, sys
d = sys.argv[1]
def rec(typ, rid, uri, ctype, block):
    h = "WARC/1.1\r\nWARC-Type: %s\r\nWARC-Record-ID: <urn:uuid:%s>\r\nWARC-Date: 2026-01-02T03:04:05Z\r\n" % (typ, rid)
    if uri: h += "WARC-Target-URI: %s\r\n" % uri
    h += "Content-Type: %s\r\nContent-Length: %d\r\n\r\n" % (ctype, len(block))
    return h.encode() + block + b"\r\n\r\n"
def resp(rid, uri, status, ctype, body, chunked=False):
    hdr = "HTTP/1.1 %d X\r\nContent-Type: %s\r\n" % (status, ctype)
    if chunked:
        hdr += "Transfer-Encoding: chunked\r\n"
        body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    return rec("response", rid, uri, "application/http;msgtype=response", hdr.encode() + b"\r\n" + body)
page = lambda t, p: ("<html><head><title>%s</title></head><body><article><p>%s</p>"
                     "<p><a href='/rel/link'>a relative link</a> in a paragraph long enough to keep.</p>"
                     "</article></body></html>" % (t, p))
recs = [
    rec("warcinfo", "info", None, "application/warc-fields", b"software: test\r\n"),
    rec("request", "req-1", "https://a.example/one", "application/http;msgtype=request", b"GET /one HTTP/1.1\r\n\r\n"),
    resp("page-one", "https://a.example/one", 200, "text/html; charset=utf-8",
         page("First page", "The first page of the archive, with enough words to be an article body.").encode()),
    resp("page-latin", "https://a.example/two", 200, "text/html; charset=iso-8859-1",
         page("Caf\xe9 page", "Un caf\xe9 cr\xe8me, the header says Latin-1 and nothing in the page does.").encode("latin-1"), chunked=True),
    resp("gone", "https://a.example/gone", 404, "text/html", page("Gone", "Not here any more.").encode()),
    resp("picture", "https://a.example/p.png", 200, "image/png", b"\x89PNG\r\n\x1a\n...."),
    b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: twelve\r\n\r\n",
    rec("revisit", "again", "https://a.example/one", "application/http", b""),
]
with open(d + "/crawl.warc.gz", "wb") as f:
    for r in recs: f.write(gzip.compress(r))
with open(d + "/dir/looks-like.html", "wb") as f:   # WARC under an .html name: by content
    f.write(b"".join(recs))
PY
run extract "$W/crawl.warc.gz" -f jsonl --links
check "WARC: one line per page or broken record, ids, addresses, charset, fields" python3 -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
ids = [d["id"] for d in lines]
assert ids[0:2] == ["page-one", "page-latin"] and len(lines) == 3, ids
assert "error" in lines[2] and lines[2]["error"]["code"] == "BAD_INPUT", lines[2]
one, latin = lines[0], lines[1]
assert one["url"] == "https://a.example/one" and one["title"] == "First page", one
assert "https://a.example/rel/link" in [l["href"] for l in one["links"]], one["links"]
assert latin["title"] == "Caf\u00e9 page" and "caf\u00e9 cr\u00e8me" in latin["text"], latin
assert one["warc_date"] == "2026-01-02T03:04:05Z" and one["warc_file"].endswith("crawl.warc.gz"), one
' "$out"
check "WARC: exit 1 (one broken record), summary counts the records that are not pages" bash -c "[ $rc -eq 1 ] && grep -q 'riptide: 3 pages: 2 ok' '$err' && grep -q 'WARC: 1 file, 5 records not pages (1 warcinfo, 1 request, 1 revisit, 1 status, 1 not_html)' '$err'"
run extract "$W/crawl.warc.gz" -f jsonl --warc-status any
check "--warc-status any: the 404 is a page too" bash -c "grep -q '\"id\":\"gone\"' '$out' && [ \$(wc -l < '$out') -eq 4 ]"
run extract --input-dir "$W/dir" -f jsonl
check "WARC found by content under --input-dir" bash -c "grep -q '\"id\":\"page-latin\"' '$out' && [ \$(wc -l < '$out') -eq 3 ]"
run extract "$W/crawl.warc.gz" -f json
check "WARC with -f json: one array of every page" python3 -c '
import json, sys
v = json.load(open(sys.argv[1])); assert isinstance(v, list) and len(v) == 3, v' "$out"
run extract "$W/crawl.warc.gz" --warc-status 301
check "--warc-status wants 200 or any (exit 2)" test "$rc" -eq 2

# ---- riptide bench ----------------------------------------------------------------------------
BB="$T/benchdir"; mkdir -p "$BB"
cp "$ROOT"/samples/*.html "$BB/"
: > "$BB/empty.html"                                   # unreadable as a page: skipped, counted
run bench "$BB" --repeat 2 -p 2
check "bench: pool and native rows, every page of every repeat ok, skips counted, a ratio" python3 -c '
import re, sys
t = open(sys.argv[1]).read()
assert re.search(r"riptide bench: 3 pages \(.*1 skipped\) from .*parallel 2, repeat 2, mode article", t), t
for eng in ("pool", "native"):
    m = re.search(r"^%s +([0-9.]+) +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +(\d+) +(\d+) +(\d+)$" % eng, t, re.M)
    assert m and float(m.group(1)) > 0 and m.group(2) == "6" and m.group(4) == "0", (eng, t)
assert re.search(r"^ratio pool/native: [0-9.]+x", t, re.M), t
' "$out"
run bench "$BB" --engine native --mode metadata --repeat 1 -p 1
check "bench --engine native: one row" bash -c "[ $rc -eq 0 ] && grep -q '^native ' '$out' && ! grep -q '^pool ' '$out'"
run bench
check "bench without a directory: usage error (exit 2)" test "$rc" -eq 2
run bench /nonexistent-dir
check "bench on a missing directory: exit 2, named" bash -c "[ $rc -eq 2 ] && grep -q nonexistent-dir '$err'"
run bench "$BB" --repeat 0
check "bench --repeat 0: exit 2" test "$rc" -eq 2
run bench "$BB" --mode bogus
check "bench --mode bogus: exit 2" test "$rc" -eq 2
# --rate: open loop. 3 pages x 10 repeats due at 200/s: the last falls due at 145 ms, so the
# run cannot end sooner (it paces rather than running flat out), and every page is still done.
t0=$(date +%s%N)
run bench "$BB" --engine pool --repeat 10 -p 2 --rate 200
t1=$(date +%s%N)
check "bench --rate: paced open loop, every page done, header says so" bash -c "[ $rc -eq 0 ] && [ $(( (t1 - t0) / 1000000 )) -ge 145 ] && grep -q 'open loop' '$out' && grep -Eq '^pool +[0-9.]+ .* 30 +0 +0\$' '$out'"
for bad in 0 -5 abc 1e9; do
  run bench "$BB" --rate "$bad"
  check "bench --rate $bad: exit 2" test "$rc" -eq 2
done

# ---- signals and a vanished reader, on the 10,000-file batch -----------------------------------
# SIGINT/SIGTERM after the first result: the batch stops, every line written is whole JSON, the
# summary counts exactly the lines written, exit 128 + signal. With SIGPIPE ignored and the
# reader gone, the batch stops at the first failed write instead of extracting everything.
cat > "$T/signals.py" <<'PY'
import json, re, signal, subprocess, sys, time
rt, tree, mode = sys.argv[1], sys.argv[2], sys.argv[3]
pre = (lambda: signal.signal(signal.SIGPIPE, signal.SIG_IGN)) if mode == "EPIPE" else None
t0 = time.monotonic()
p = subprocess.Popen([rt, "extract", "--input-dir", tree, "-f", "jsonl", "-p", "1"],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=pre)
first = p.stdout.readline()
if mode == "EPIPE":
    p.stdout.close()
    rest = b""
else:
    p.send_signal(getattr(signal, mode))
    rest = p.stdout.read()
err = p.stderr.read().decode("utf-8", "replace")
rc = p.wait(timeout=120)
took = time.monotonic() - t0
lines = (first + rest).decode().splitlines(keepends=True)
m = re.search(r"riptide: (\d+) pages?: (\d+) ok \((\d+) fallback\), (\d+) failed", err)
assert m, err
pages = int(m.group(1))
if mode == "EPIPE":
    assert rc == 1, (rc, err)
    assert "error writing standard output: Broken pipe" in err, err
    assert pages < 1000, "went on extracting: %d pages (%s)" % (pages, err)
else:
    assert rc == 128 + getattr(signal, mode), (rc, err)
    assert "interrupted by " + mode in err, err
    assert all(l.endswith("\n") for l in lines), "half a line"
    docs = [json.loads(l) for l in lines]
    assert pages == len(docs) < 10000, (pages, len(docs))
print("    %s: %d pages, %.2f s" % (mode, pages, took))
PY
for sig in SIGINT SIGTERM EPIPE; do
  python3 "$T/signals.py" "$RT" "$M" "$sig" &&
    ok "$sig mid-batch: stops, whole lines, summary and exit status agree" ||
    bad "$sig mid-batch: stops, whole lines, summary and exit status agree"
done

echo "test-cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
