#!/usr/bin/env bash
# Precision of `riptide extract --dedupe` on the dev sets (run by `make test` with args BUILD
# SHARED): every page of SHARED/eval/dev/*/ (~630) is extracted twice, without and with
# --dedupe (default distance 3). Each page the second run skips as a duplicate is checked
# against the page it names, on the texts of the first run, by a measure independent of the
# fingerprints: the Jaccard similarity of their sets of 3-word shingles (Unicode words, lower
# case). A merge of two pages under 0.5 is a false merge, and fails the test. Also checked:
# inputs = ok + skipped + failed, and no page is skipped for anything but a duplicate.
#
# Printed: the merges (exact: same text_hash; near: different text), the lowest similarity
# among them, and the closest pair of distinct pages (similarity under 0.5) in fingerprint bits,
# i.e. the margin the default distance has on these pages. docs/cli.md lists which dev pages
# are true duplicates (readability's test pages share one lorem-ipsum-like article).
# Skips (exit 77) when SHARED/eval/dev is absent.
set -u
BUILD=${1:-build}
SHARED=${2:-../shared}
RT="$BUILD/riptide"
DEV="$SHARED/eval/dev"
if ! ls "$DEV"/*/*.html >/dev/null 2>&1; then
  echo "test-dedupe-dev: $DEV/*/*.html not found: skipped (the dev sets live in ../shared)"
  exit 77
fi
if [ ! -x "$RT" ]; then
  echo "test-dedupe-dev: $RT not built"
  exit 1
fi
T=$(mktemp -d /tmp/riptide-dedupe-dev.XXXXXX)
trap 'rm -rf "$T"' EXIT
PAGES=("$DEV"/*/*.html)

timeout 600 "$RT" extract -f jsonl -p 2 "${PAGES[@]}" >"$T/plain.jsonl" 2>"$T/plain.err"
timeout 600 "$RT" extract -f jsonl -p 2 --dedupe "${PAGES[@]}" >"$T/dedupe.jsonl" 2>"$T/dedupe.err"
python3 - "$T/plain.jsonl" "$T/dedupe.jsonl" "$T/dedupe.err" "${#PAGES[@]}" <<'EOF'
import json, re, sys
plain = [json.loads(l) for l in open(sys.argv[1])]
dedup = [json.loads(l) for l in open(sys.argv[2])]
summary = open(sys.argv[3]).read()
n = int(sys.argv[4])
fail = []
if len(plain) != n or len(dedup) != n:
    fail.append("lines: %d and %d for %d pages" % (len(plain), len(dedup), n))
ids = [d["id"] for d in plain]
if len(set(ids)) != len(ids):
    fail.append("page ids are not unique: the test cannot tell pages apart")
by_id = {d["id"]: d for d in plain}
m = re.search(r"(\d+) pages?: (\d+) ok \(\d+ fallback\), (\d+) skipped(?: \([^)]*\))?, (\d+) failed", summary)
if not m or int(m[1]) != n or int(m[2]) + int(m[3]) + int(m[4]) != n:
    fail.append("summary does not add up: %s" % (m[0] if m else summary[-300:]))

def shingles(text):
    w = re.findall(r"\w+", (text or "").lower())
    return set(zip(w, w[1:], w[2:])) if len(w) >= 3 else {tuple(w)}
def jaccard(a, b):
    A, B = shingles(a), shingles(b)
    return len(A & B) / max(1, len(A | B))

merges = []
for d in dedup:
    if "skipped" not in d:
        continue
    s = d["skipped"]
    if s["reason"] != "duplicate":
        fail.append("%s skipped for %s" % (d["id"], s["reason"]))
        continue
    a, b = by_id[d["id"]], by_id[s["duplicate_of"]]
    fa, fb = int(a["fingerprint"], 16), int(b["fingerprint"], 16)
    if bin(fa ^ fb).count("1") != s["distance"] or s["distance"] > 3:
        fail.append("%s: distance %d, fingerprints say %d" % (d["id"], s["distance"], bin(fa ^ fb).count("1")))
    j = jaccard(a["text"], b["text"])
    exact = a["text_hash"] == b["text_hash"]
    merges.append((j, d["id"], b["id"], s["distance"], exact))
    if j < 0.5:
        fail.append("false merge: %s -> %s (distance %d, shingle similarity %.3f)" % (d["id"], b["id"], s["distance"], j))

# The margin: the closest pair of distinct pages (similarity under 0.5), in bits.
docs = [d for d in plain if "error" not in d and d.get("fingerprint") and d["word_count"] > 0]
closest = None
for i in range(len(docs)):
    fi = int(docs[i]["fingerprint"], 16)
    for k in range(i + 1, len(docs)):
        dist = bin(fi ^ int(docs[k]["fingerprint"], 16)).count("1")
        if closest is not None and dist >= closest[0]:
            continue
        if jaccard(docs[i]["text"], docs[k]["text"]) < 0.5:
            closest = (dist, docs[i]["id"], docs[k]["id"])

print("test-dedupe-dev: %d pages, %d skipped as duplicates (%d exact, %d near)" % (
    n, len(merges), sum(1 for x in merges if x[4]), sum(1 for x in merges if not x[4])))
for j, a, b, dist, exact in sorted(merges, key=lambda x: (x[2], x[1])):
    print("  %-45s -> %-40s distance %d, %s, similarity %.3f" % (a, b, dist, "exact" if exact else "near", j))
if merges:
    print("  lowest similarity among merges: %.3f" % min(x[0] for x in merges))
if closest:
    print("  closest distinct pages (similarity < 0.5): %d bits apart (%s, %s)" % closest)
for f in fail:
    print("  FAIL", f)
sys.exit(1 if fail else 0)
EOF
