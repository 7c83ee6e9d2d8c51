#!/usr/bin/env bash
# End-to-end tests of the corpus options of `riptide extract` (run by `make test` with args
# BUILD SHARED): --target-language, --min-words, --min-quality, --dedupe, --dedupe-distance.
#
#  - pages the test writes (an article, a copy with two words changed, the same text in other
#    markup, case and spacing, an unrelated article, a German one, a short one, a binary file):
#    each input gives one line (document, error or skipped), the reasons and details are the
#    expected ones, and inputs = ok + skipped + failed in the lines and in the summary;
#  - duplicates are decided in input order whatever --parallel (the first is kept);
#  - for distances 0, 1, 3, 8 and 16, the decisions equal a model computed from the
#    fingerprints of a run without --dedupe; the same text in other markup is distance 0;
#  - -f json (skipped objects in the array), -f markdown and -o DIR (no output for a skipped
#    page, a line on stderr), -q;
#  - usage errors name the range;
#  - text_hash is SHA-256 of the normalised text (recomputed here with Python's hashlib), with
#    both engines; metadata mode has neither fingerprint;
#  - the README command on a WARC file the test writes.
# Prints "N passed, N failed" and exits non-zero on any failure.
set -u
BUILD=${1:-build}
. "$(dirname "$0")/lib/cli-test.sh"
cli_test_init test-corpus "$BUILD"

echo "test-corpus: $RT"

# ---- fixtures ---------------------------------------------------------------------------------
P="$T/pages"
mkdir -p "$P"
python3 - "$P" <<'EOF'
import random, sys
d = sys.argv[1]
rng = random.Random(11)
vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9)))
         for _ in range(3000)]
def words(n, seed):
    r = random.Random(seed)
    return [r.choice(vocab) for _ in range(n)]
def page(ws, lang="en", title="A title", upper=False):
    paras = [" ".join(ws[i:i + 40]).capitalize() + "." for i in range(0, len(ws), 40)]
    if upper:
        paras = ["  " + p.upper().replace(" ", "\n   ") + " " for p in paras]
    body = "".join("<p>%s</p>" % p for p in paras)
    return ("<!DOCTYPE html><html lang='%s'><head><title>%s</title></head><body><article>"
            "<h1>%s</h1>%s</article></body></html>" % (lang, title, title, body))
a = words(400, 1)
near = list(a); near[100] = "changedword"; near[250] = "otherword"
files = {
    "p1-article": page(a),
    "p2-near": page(near),
    "p3-exact": page(a, upper=True, title="Another title"),
    "p4-other": page(words(400, 2)),
    "p5-german": page(words(400, 3), lang="de"),
    "p6-short": page(words(20, 4)),
}
for name, html in files.items():
    open("%s/%s.html" % (d, name), "w").write(html)
open("%s/p7-binary.html" % d, "wb").write(bytes(range(256)) * 8)
EOF
INPUTS=("$P"/p*.html)
N=${#INPUTS[@]}

# verify FILE FORMAT EXPECT... : the JSON lines of FILE against expectations (python below).
verify() {
  python3 - "$@" <<'EOF'
import json, re, sys
path, expect = sys.argv[1], sys.argv[2:]
lines = [json.loads(l) for l in open(path) if l.strip()]
by_id = {l["id"]: l for l in lines}
ok = True
for e in expect:
    ident, want = e.split("=", 1)
    l = by_id.get(ident)
    if l is None:
        print("    missing", ident); ok = False; continue
    if want == "doc":
        got = "doc" if "text" in l and "skipped" not in l and "error" not in l else l
    elif want == "error":
        got = "error" if "error" in l else l
    else: # a skipped object; "distance": "near" stands for any distance from 0 to 3
        sk = dict(l.get("skipped") or {})
        w = json.loads(want)
        if w.get("distance") == "near" and sk.get("distance") in (0, 1, 2, 3):
            sk["distance"] = "near"
        got = json.dumps(sk, sort_keys=True)
        want = json.dumps(w, sort_keys=True)
    if got != want:
        print("    %s: got %s, want %s" % (ident, got, want)); ok = False
sys.exit(0 if ok else 1)
EOF
}

# counts FILE STDERR N: inputs = ok + skipped + failed, in the lines and in the summary.
counts() {
  python3 - "$@" <<'EOF'
import json, re, sys
path, errf, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = [json.loads(l) for l in open(path) if l.strip()]
docs = sum(1 for l in lines if "skipped" not in l and "error" not in l)
skipped = sum(1 for l in lines if "skipped" in l)
failed = sum(1 for l in lines if "error" in l)
m = re.search(r"(\d+) pages?: (\d+) ok \(\d+ fallback\), (\d+) skipped(?: \(([^)]*)\))?, (\d+) failed",
              open(errf).read())
if not m:
    print("    no summary with skipped in", open(errf).read()); sys.exit(1)
pages, ok_, sk, reasons, fl = int(m[1]), int(m[2]), int(m[3]), m[4] or "", int(m[5])
by_reason = {}
for l in lines:
    if "skipped" in l:
        r = l["skipped"]["reason"]; by_reason[r] = by_reason.get(r, 0) + 1
want_reasons = ", ".join("%d %s" % (by_reason[r], r)
                         for r in ("language", "min_words", "min_quality", "duplicate") if r in by_reason)
good = (len(lines) == n and docs + skipped + failed == n and pages == n and ok_ == docs
        and sk == skipped and fl == failed and reasons == want_reasons)
if not good:
    print("    lines %d (docs %d, skipped %d, failed %d), summary %s" % (len(lines), docs, skipped, failed, m[0]))
sys.exit(0 if good else 1)
EOF
}

# ---- filters and dedup in jsonl ----------------------------------------------------------------
run extract -f jsonl -p 2 --target-language en --min-words 50 --dedupe "${INPUTS[@]}"
check "jsonl: exit 1 (one input failed)" test "$rc" -eq 1
check "jsonl: every input has its line, the expected reasons and details" verify "$out" \
  p1-article=doc p4-other=doc p7-binary=error \
  'p2-near={"reason":"duplicate","duplicate_of":"p1-article","distance":"near"}' \
  'p3-exact={"reason":"duplicate","duplicate_of":"p1-article","distance":0}' \
  'p5-german={"reason":"language","language":"de"}' \
  'p6-short={"reason":"min_words","words":20,"min":50}'
check "jsonl: inputs = ok + skipped + failed (lines and summary)" counts "$out" "$err" "$N"
cp "$out" "$T/p2.jsonl"
strip() { python3 -c '
import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    for k in ("wait_ms", "extract_ms"): d.pop(k, None)
    print(json.dumps(d, sort_keys=True))' "$1"; }
for p in 1 3; do
  run extract -f jsonl -p $p --target-language en --min-words 50 --dedupe "${INPUTS[@]}"
  check "jsonl: the same lines in the same order with -p $p" \
    cmp -s <(strip "$out") <(strip "$T/p2.jsonl")
done

# The first in input order is the one kept.
run extract -f jsonl -p 2 --dedupe "$P/p3-exact.html" "$P/p2-near.html" "$P/p1-article.html"
check "dedupe: the first in input order is kept" verify "$out" p3-exact=doc \
  'p2-near={"reason":"duplicate","duplicate_of":"p3-exact","distance":"near"}' \
  'p1-article={"reason":"duplicate","duplicate_of":"p3-exact","distance":0}'
check "dedupe: exit 0 when nothing failed" test "$rc" -eq 0

# Every distance against a model: documents in input order, each skipped when an earlier kept
# one has a fingerprint at most D bits away (the earliest is named), from the fingerprints of a
# run without --dedupe.
run extract -f jsonl -p 2 "${INPUTS[@]}"
cp "$out" "$T/plain.jsonl"
model() { # model PLAIN DEDUPED D
  python3 - "$@" <<'EOF2'
import json, sys
plain = [json.loads(l) for l in open(sys.argv[1])]
got = [json.loads(l) for l in open(sys.argv[2])]
d = int(sys.argv[3])
kept, want = [], []
for p in plain:
    if "error" in p:
        want.append(("error",)); continue
    fp = int(p["fingerprint"], 16)
    hit = [(k, bin(fp ^ f).count("1")) for k, f in kept if bin(fp ^ f).count("1") <= d]
    if hit and p["word_count"] > 0:
        want.append(("duplicate", hit[0][0], hit[0][1]))
    else:
        want.append(("doc",))
        if p["word_count"] > 0:
            kept.append((p["id"], fp))
have = []
for g in got:
    if "error" in g: have.append(("error",))
    elif "skipped" in g: have.append(("duplicate", g["skipped"]["duplicate_of"], g["skipped"]["distance"]))
    else: have.append(("doc",))
if have != want:
    print("    got ", have); print("    want", want)
sys.exit(0 if have == want else 1)
EOF2
}
for d in 0 1 3 8 16; do
  run extract -f jsonl -p 2 --dedupe-distance $d "${INPUTS[@]}"
  check "--dedupe-distance $d: the decisions of the model" model "$T/plain.jsonl" "$out" $d
done
run extract -f jsonl --dedupe-distance 0 "$P/p1-article.html" "$P/p3-exact.html"
check "--dedupe-distance 0: the same text in other markup, case and spacing is a duplicate" \
  verify "$out" p1-article=doc \
  'p3-exact={"reason":"duplicate","duplicate_of":"p1-article","distance":0}'

# Filters alone; an unknown quality passes no bar.
run extract -f jsonl --min-quality 100 "$P/p1-article.html" "$P/p6-short.html"
check "--min-quality: skipped lines carry quality and min" python3 -c '
import json, sys
ls = [json.loads(l) for l in open(sys.argv[1])]
sk = [l["skipped"] for l in ls if "skipped" in l]
docs = [l for l in ls if "skipped" not in l]
ok = len(ls) == 2 and all(s["reason"] == "min_quality" and s["min"] == 100 and
                          (s["quality"] is None or s["quality"] < 100) for s in sk)
ok = ok and all(d["quality_score"] is not None and d["quality_score"] >= 100 for d in docs)
sys.exit(0 if ok and sk else 1)' "$out"
run extract -f jsonl --target-language EN,De "$P/p1-article.html" "$P/p5-german.html"
check "--target-language: several codes, any case" verify "$out" p1-article=doc p5-german=doc

# ---- a WARC file: the command of README ---------------------------------------------------------
python3 - "$P" "$T/crawl.warc.gz" <<'EOF2'
import gzip, sys
src, dst = sys.argv[1], sys.argv[2]
def resp(rid, uri, body):
    block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + body
    h = ("WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:%s>\r\n"
         "WARC-Date: 2026-01-02T03:04:05Z\r\nWARC-Target-URI: %s\r\n"
         "Content-Type: application/http;msgtype=response\r\nContent-Length: %d\r\n\r\n"
         % (rid, uri, len(block)))
    return gzip.compress(h.encode() + block + b"\r\n\r\n")
page = lambda name: open("%s/%s.html" % (src, name), "rb").read()
with open(dst, "wb") as f:
    f.write(resp("rec-1", "https://a.example/article", page("p1-article")))
    f.write(resp("rec-2", "https://a.example/de", page("p5-german")))
    f.write(resp("rec-3", "https://mirror.example/article", page("p3-exact")))
    f.write(resp("rec-4", "https://a.example/article?amp", page("p2-near")))
    f.write(resp("rec-5", "https://a.example/other", page("p4-other")))
EOF2
run extract "$T/crawl.warc.gz" --target-language en --dedupe -f jsonl
check "WARC --target-language en --dedupe: record ids, reasons, first record named" verify "$out" \
  rec-1=doc rec-5=doc \
  'rec-2={"reason":"language","language":"de"}' \
  'rec-3={"reason":"duplicate","duplicate_of":"rec-1","distance":0}' \
  'rec-4={"reason":"duplicate","duplicate_of":"rec-1","distance":"near"}'
check "WARC: exit 0, inputs = ok + skipped + failed" bash -c '[ "$1" -eq 0 ]' _ "$rc"
check "WARC: the summary" grep -Eq '5 pages?: 2 ok \(0 fallback\), 3 skipped \(1 language, 2 duplicate\), 0 failed' "$err"

# ---- other formats -----------------------------------------------------------------------------
run extract -f json --dedupe --min-words 50 "${INPUTS[@]}"
check "-f json: one array element per input, skipped objects among them" python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))
sk = [x for x in a if "skipped" in x]
sys.exit(0 if len(a) == int(sys.argv[2]) and len(sk) == 3 else 1)' "$out" "$N"
run extract -f markdown --dedupe --min-words 50 "${INPUTS[@]}"
check "-f markdown: skipped pages write nothing" test "$(grep -c '^# A title' "$out")" -eq 3
check "-f markdown: skipped pages are named on stderr" \
  grep -Eq 'p2-near: skipped: duplicate of p1-article \(distance [0-3]\)' "$err"
check "-f markdown: ... with the reason" grep -q 'p6-short: skipped: 20 words, under 50' "$err"
run extract -q -f markdown --dedupe "${INPUTS[@]}"
check "-q: no skipped lines on stderr" test ! -s "$err"
run extract -o "$T/outdir" -f jsonl --dedupe --target-language en "${INPUTS[@]}"
check "-o DIR: files only for kept pages" \
  test "$(cd "$T/outdir" && ls | sort | paste -sd' ')" = "p1-article.jsonl p4-other.jsonl p6-short.jsonl"
check "-o DIR: skipped pages on stderr" grep -q 'p5-german: skipped: language de' "$err"
check "-o DIR: the summary counts them" grep -Eq '7 pages?: 3 ok \(0 fallback\), 3 skipped \(1 language, 2 duplicate\), 1 failed' "$err"

# No filter: the summary is unchanged (no "skipped").
run extract -f jsonl "$P/p1-article.html" "$P/p2-near.html"
check "no filter: nothing skipped, summary without skipped" \
  bash -c '! grep -q skipped "$1" && ! grep -q skipped "$2"' _ "$out" "$err"

# ---- usage errors ------------------------------------------------------------------------------
usage() { # usage NAME PATTERN ARGS...
  local name=$1 pat=$2; shift 2
  run extract "$@" "$P/p1-article.html"
  if [ "$rc" -eq 2 ] && grep -q -- "$pat" "$err"; then ok "$name"; else bad "$name (rc=$rc: $(head -1 "$err"))"; fi
}
usage "--dedupe-distance 17: the range" "out of range (0 to 16)" --dedupe-distance 17
usage "--dedupe-distance -1" "wants a number" --dedupe-distance -1
usage "--dedupe-distance x" "wants a number" --dedupe-distance x
usage "--min-quality 101: the range" "out of range (0 to 100)" --min-quality 101
usage "--min-words 1e3" "wants a number" --min-words 1e3
usage "--target-language en-US" "primary language subtags" --target-language en-US
usage "--target-language ''" "primary language subtags" --target-language ''
usage "--dedupe with --mode metadata" "metadata has none" --dedupe --mode metadata
check "--help lists the options" bash -c '"$1" --help | grep -q -- "--dedupe-distance D"' _ "$RT"

# ---- text_hash is SHA-256 of the normalised text -----------------------------------------------
for engine in pool native; do
run extract -f jsonl --engine $engine "${INPUTS[@]:0:6}" "$ROOT"/samples/*.html
check "--engine $engine: text_hash = SHA-256 of the normalised text; fingerprint 16 hex digits" python3 -c '
import hashlib, json, re, sys
SPACES = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u200b\u2028\u2029\u202f\u205f\u3000\ufeff"
n = 0
for l in open(sys.argv[1]):
    d = json.loads(l)
    t = d["text"]
    folded = "".join(c.lower() if "A" <= c <= "Z" else c for c in t)
    norm = " ".join(w for w in re.split("[" + SPACES + "]+", folded) if w)
    want = hashlib.sha256(norm.encode()).hexdigest()[:32]
    if d["text_hash"] != want or not re.fullmatch("[0-9a-f]{16}", d["fingerprint"]):
        print("    ", d["id"], d["text_hash"], want); sys.exit(1)
    n += 1
sys.exit(0 if n >= 8 else 1)' "$out"
done
run extract -f jsonl --mode metadata "$P/p1-article.html"
check "metadata mode: fingerprint and text_hash are null" python3 -c '
import json, sys
d = json.loads(open(sys.argv[1]).read())
sys.exit(0 if d["fingerprint"] is None and d["text_hash"] is None else 1)' "$out"
echo "test-corpus: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
