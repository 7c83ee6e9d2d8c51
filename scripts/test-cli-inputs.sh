#!/usr/bin/env bash
# End-to-end tests of what `riptide extract` reads and how it talks to a terminal (run by
# `make test` with args BUILD SHARED):
#  - --input-file manifests: comments and blank lines, PATH<TAB>URL as the page address (links
#    resolve against it), bad lines as failed inputs, a directory and a WARC file in a manifest,
#    '-' (the list on stdin); every line accounted for;
#  - a manifest of 1,000,000 lines: every line a result, peak RSS the same as for 10,000;
#  - stdin read when no input is named and a page is piped in (not for /dev/null);
#  - URLs with a scheme other than http(s): usage error (exit 2) naming the scheme;
#  - "1 page" / "2 pages" in the summary;
#  - the progress line in a pseudo-terminal of 50 and 80 columns (and $COLUMNS when the
#    terminal reports no size): no line wider than the terminal;
#  - Ctrl-C typed on that terminal mid-batch: the summary of what was done, exit 130;
#  - --events: every event of an extraction starts with its input's id.
# Prints "N passed, N failed" and exits non-zero on any failure.
set -u
BUILD=${1:-build}
. "$(dirname "$0")/lib/cli-test.sh"
cli_test_init test-cli-inputs "$BUILD"

# Runs riptide with stdin from /dev/null; sets $rc, $out and $err (files).
run() {
  out="$T/stdout"; err="$T/stderr"
  timeout 300 "$RT" "$@" </dev/null >"$out" 2>"$err"
  rc=$?
}

echo "test-cli-inputs: $RT"

# ---- fixtures ---------------------------------------------------------------------------------
P="$T/pages"; mkdir -p "$P/dir"
cat >"$P/rel.html" <<'EOF'
<html><head><title>Relative links</title></head><body><article><h1>Relative links</h1>
<p>A page whose links are relative, so that its address decides where they point, with words
enough to be an article: <a href="next/page.html">the next page</a> and more words after it.</p>
</article></body></html>
EOF
cp "$ROOT/samples/harbour-lights.html" "$P/dir/in-a-dir.html"
python3 - "$P/crawl.warc" <<'PY'
import sys
body = (b"<html><head><title>From a WARC</title></head><body><article><p>A page inside a WARC "
        b"file listed in a manifest, with enough words to be an article body.</p></article></body></html>")
http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + body
rec = (b"WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:rec-1>\r\n"
       b"WARC-Date: 2026-01-02T03:04:05Z\r\nWARC-Target-URI: https://w.example/page\r\n"
       b"Content-Type: application/http;msgtype=response\r\nContent-Length: %d\r\n\r\n" % len(http))
open(sys.argv[1], "wb").write(rec + http + b"\r\n\r\n")
PY

# ---- manifests --------------------------------------------------------------------------------
{
  echo "# a manifest: comments and blank lines are skipped"
  echo
  printf '%s\thttps://site.example/articles/rel.html\n' "$P/rel.html"
  echo "$P/rel.html"
  printf '%s\tnot-a-url\n' "$P/rel.html"
  echo "ftp://files.example/page.html"
  echo "$P/missing.html"
  echo "$P/dir"
  printf '%s\r\n' "$P/crawl.warc"
} >"$T/manifest.txt"
run extract --input-file "$T/manifest.txt" --links
check "manifest: exit 1 (three bad lines), one jsonl line per input, in order" python3 - "$out" "$rc" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert sys.argv[2] == "1", sys.argv[2]
ids = [d["id"] for d in lines]
assert ids == ["rel", "rel", "rel", "ftp://files.example/page.html", "missing", "in-a-dir", "rec-1"], ids
based, plain, badtab, ftp, missing, indir, warc = lines
assert based["url"] == "https://site.example/articles/rel.html", based.get("url")
hrefs = [l["href"] for l in based["links"]]
assert "https://site.example/articles/next/page.html" in hrefs, hrefs
assert not plain.get("url") and "error" not in plain, plain
assert badtab["error"]["code"] == "BAD_INPUT" and "line 5" in badtab["error"]["message"], badtab
assert ftp["error"]["code"] == "BAD_INPUT" and "scheme 'ftp'" in ftp["error"]["message"], ftp
assert missing["error"]["code"] == "IO", missing
assert indir["title"].startswith("The Last Keepers"), indir
assert warc["url"] == "https://w.example/page" and warc["warc_date"] == "2026-01-02T03:04:05Z", warc
PY
check "manifest: the summary counts every line's input" grep -q "riptide: 7 pages: 4 ok" "$err"
# The same list on standard input.
timeout 60 "$RT" extract --input-file - --links <"$T/manifest.txt" >"$T/stdin.jsonl" 2>/dev/null
check "--input-file -: the list read from standard input, the same results" python3 -c '
import json, sys
strip = lambda p: [{k: v for k, v in json.loads(l).items() if k not in ("wait_ms", "extract_ms")}
                   for l in open(p)]
a, b = strip(sys.argv[1]), strip(sys.argv[2])
assert a == b and len(a) == 7, (len(a), len(b))' "$T/stdin.jsonl" "$out"
run extract --input-file "$T/no-such-manifest.txt"
check "a manifest that cannot be opened: one failed input naming it, exit 1" bash -c \
  "[ $rc -eq 1 ] && grep -q '\"code\":\"IO\".*no-such-manifest.txt: No such file' '$out'"
run extract --input-file - -
check "--input-file - with '-': usage error (stdin once)" test "$rc" -eq 2

# ---- a manifest of 1,000,000 lines: streamed, RSS flat -------------------------------------------
# Lines name files that do not exist (each one a fast, failed input: the test measures the list
# and the batch, not extraction), with a real page every 100,000 lines.
python3 - "$T" "$P/rel.html" <<'PY'
import sys
d, page = sys.argv[1], sys.argv[2]
for name, n in (("m4", 10**4), ("m6", 10**6)):
    with open("%s/%s.txt" % (d, name), "w") as f:
        for i in range(n):
            if i % 100000 == 0:
                f.write("%s\thttps://big.example/%d\n" % (page, i))
            else:
                f.write("%s/none/p%07d.html\n" % (d, i))
PY
declare -A rss lines
for m in m4 m6; do
  # Under ASan the quarantine keeps freed memory on purpose: switch it off for this measure.
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0" \
    /usr/bin/time -f '%M' -o "$T/$m.rss" timeout 120 "$RT" extract -q -p 1 --input-file "$T/$m.txt" \
    -f jsonl </dev/null >"$T/$m.jsonl" 2>/dev/null
  rss[$m]=$(tail -1 "$T/$m.rss")
  lines[$m]=$(wc -l <"$T/$m.jsonl")
done
echo "  max RSS: ${rss[m4]} KiB for 10,000 lines, ${rss[m6]} KiB for 1,000,000 lines"
check "1,000,000-line manifest: one result per line, the pages extracted" bash -c \
  "[ ${lines[m6]} -eq 1000000 ] && [ \$(grep -c '\"url\":\"https://big.example/' '$T/m6.jsonl') -eq 10 ]"
check "1,000,000-line manifest: peak RSS within 1.25x + 4 MiB of 10,000 lines" \
  test "${rss[m6]}" -le $(( rss[m4] * 5 / 4 + 4096 ))

# ---- stdin when no input is named ---------------------------------------------------------------
cat "$ROOT/samples/harbour-lights.html" | timeout 60 "$RT" extract >"$out" 2>"$err"
rc=$?
check "a piped page is read when no input is named (Markdown, id stdin)" bash -c \
  "[ $rc -eq 0 ] && grep -q '^# The Last Keepers of the Harbour Lights' '$out'"
timeout 60 "$RT" extract -f jsonl <"$ROOT/samples/harbour-lights.html" >"$out" 2>"$err"
check "a redirected file is read too" bash -c "[ $? -eq 0 ] && grep -q '^{\"id\":\"stdin\"' '$out'"
run extract
check "no input and stdin /dev/null: usage error, not an empty page" bash -c \
  "[ $rc -eq 2 ] && grep -q 'no input' '$err'"

# ---- URL schemes ----------------------------------------------------------------------------------
for u in ftp://files.example/x.html file:///etc/passwd gopher://old.example/ HTTPS+X://a/; do
  run extract "$u"
  scheme=${u%%://*}
  check "$u: exit 2 naming the scheme '$scheme', not 'No such file'" bash -c \
    "[ $rc -eq 2 ] && grep -q \"unsupported URL scheme '$scheme'\" '$err' && ! grep -q 'No such file' '$err'"
done

# ---- singular and plural ------------------------------------------------------------------------
run extract "$P/rel.html"
check "one input: 'riptide: 1 page: 1 ok'" grep -q "^riptide: 1 page: 1 ok (0 fallback), 0 failed" "$err"
run extract "$P/rel.html" "$P/rel.html"
check "two inputs: 'riptide: 2 pages: 2 ok'" grep -q "^riptide: 2 pages: 2 ok" "$err"

# ---- a terminal: the progress line fits; Ctrl-C gives the summary -----------------------------
B="$T/many"; mkdir -p "$B"
for i in $(seq 1 400); do cp "$ROOT/samples/rust-belt-rail.html" "$B/p$i.html"; done
cat >"$T/pty_run.py" <<'PY'
# pty_run.py COLS CTRL_C ARGV...: runs ARGV on a pseudo-terminal of COLS columns (0: a
# terminal that reports no size), types Ctrl-C after the first progress line when CTRL_C is 1;
# prints the exit status, the widest line and the last line of what the terminal showed.
import fcntl, os, pty, re, select, struct, sys, termios, time
cols, ctrl_c, argv = int(sys.argv[1]), sys.argv[2] == "1", sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24 if cols else 0, cols, 0, 0))
    os.execv(argv[0], argv)
buf, sent, deadline = b"", False, time.monotonic() + 120
while time.monotonic() < deadline:
    r, _, _ = select.select([fd], [], [], 1.0)
    if not r:
        continue
    try:
        d = os.read(fd, 65536)
    except OSError:
        break
    if not d:
        break
    buf += d
    if ctrl_c and not sent and b"pages/s" in buf:
        os.write(fd, b"\x03")  # the terminal's interrupt character: SIGINT to the job
        sent = True
_, st = os.waitpid(pid, 0)
text = buf.decode("utf-8", "replace").replace("\x1b[K", "")
segs = [s for s in re.split(r"\r\n|\r|\n", text) if s]
progress = [s for s in segs if "pages/s" in s and not s.startswith("riptide:")]
print(os.waitstatus_to_exitcode(st), max([len(s) for s in progress] or [0]), len(progress))
print(segs[-1] if segs else "")
PY
for cols in 50 80; do
  python3 "$T/pty_run.py" "$cols" 0 "$RT" extract -p 1 -o "$T/out-$cols" "$B" >"$T/pty.txt" 2>&1
  read -r prc widest nprog <"$T/pty.txt"
  check "progress on a $cols-column terminal: $nprog lines drawn, widest $widest columns (< $cols)" \
    bash -c "[ '$prc' = 0 ] && [ '$nprog' -ge 1 ] && [ '$widest' -lt $cols ]"
done
COLUMNS=40 python3 "$T/pty_run.py" 0 0 "$RT" extract -p 1 -o "$T/out-0" "$B" >"$T/pty.txt" 2>&1
read -r prc widest nprog <"$T/pty.txt"
check "a terminal that reports no size: \$COLUMNS=40 used (widest $widest)" \
  bash -c "[ '$prc' = 0 ] && [ '$nprog' -ge 1 ] && [ '$widest' -lt 40 ]"
# Ctrl-C mid-batch: 4,000 pages (hard links to one page), so the batch is still running when
# the interrupt arrives however late this script gets the CPU on a loaded machine (400 pages
# could end first: ~0.1 s of work).
BI="$T/many-int"; mkdir -p "$BI"
python3 -c 'import os, sys
for i in range(1, 4001): os.link(sys.argv[1], "%s/p%d.html" % (sys.argv[2], i))' "$B/p1.html" "$BI"
python3 "$T/pty_run.py" 80 1 "$RT" extract -p 1 -o "$T/out-int" "$BI" >"$T/pty.txt" 2>&1
read -r prc widest nprog <"$T/pty.txt"
last=$(sed -n 2p "$T/pty.txt")
echo "    after Ctrl-C: $last"
check "Ctrl-C on the terminal mid-batch: exit 130 and the summary of what was done" python3 -c '
import re, sys
rc, last = sys.argv[1], sys.argv[2]
m = re.match(r"riptide: (\d+) pages?: (\d+) ok .*interrupted by SIGINT", last)
assert rc == "130" and m and 0 < int(m.group(1)) < 4000, (rc, last)
' "$prc" "$last"

# ---- --events: the input id ---------------------------------------------------------------------
run extract --events "$T/events.jsonl" "$P/rel.html" "$ROOT/samples/harbour-lights.html" -f jsonl
check "--events: every extraction event starts with its input's id" python3 - "$T/events.jsonl" "$out" <<'PY'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
ids = {json.loads(l)["id"] for l in open(sys.argv[2])}
ext = [e for e in events if e["type"].startswith("extraction.")]
assert len(ext) >= 4, [e["type"] for e in events]
for e in ext:
    assert list(e)[0] == "id" and e["id"] in ids and e["metadata"]["call_id"] == e["id"], e
assert {e["id"] for e in ext} == ids, ({e["id"] for e in ext}, ids)
PY

echo "test-cli-inputs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
