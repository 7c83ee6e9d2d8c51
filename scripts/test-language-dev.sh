#!/usr/bin/env bash
# `language` over the dev sets (run by `make test` with args BUILD SHARED): every page of
# SHARED/eval/dev/*/ (~630) through both engines (the sandboxed extractor and the native
# fallback); every `language` must be null or a lower-case BCP 47 primary language subtag that
# ISO 639 defines (2 letters, or 3 letters with no 2-letter code; checked against Debian's
# iso-codes tables), never a region, a script, an upper-case form or free text. Prints the
# distribution. Skips (exit 77) when SHARED/eval/dev is absent.
set -u
BUILD=${1:-build}
SHARED=${2:-../shared}
RT="$BUILD/riptide"
DEV="$SHARED/eval/dev"
ISO=/usr/share/iso-codes/json/iso_639-3.json
if ! ls "$DEV"/*/*.html >/dev/null 2>&1; then
  echo "test-language-dev: $DEV/*/*.html not found: skipped (the dev sets live in ../shared)"
  exit 77
fi
if [ ! -x "$RT" ] || [ ! -r "$ISO" ]; then
  echo "test-language-dev: $RT not built or $ISO missing (scripts/install-deps.sh installs iso-codes)"
  exit 1
fi
T=$(mktemp -d /tmp/riptide-language-dev.XXXXXX)
trap 'rm -rf "$T"' EXIT
PAGES=("$DEV"/*/*.html)
rc=0
for engine in pool native; do
  timeout 600 "$RT" extract -q -f jsonl -p 2 --mode metadata --engine "$engine" "${PAGES[@]}" \
    >"$T/$engine.jsonl" 2>"$T/$engine.err"
  python3 - "$T/$engine.jsonl" "$ISO" "${#PAGES[@]}" "$engine" <<'PY' || rc=1
import collections, json, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
iso = json.load(open(sys.argv[2]))["639-3"]
two = {e["alpha_2"] for e in iso if "alpha_2" in e}
three = {e["alpha_3"] for e in iso if "alpha_2" not in e}
n, engine = int(sys.argv[3]), sys.argv[4]
bad = [(d.get("id"), d.get("language")) for d in docs
       if "error" not in d and d.get("language") is not None
       and d["language"] not in two and d["language"] not in three]
errors = [d for d in docs if "error" in d]
count = collections.Counter(d.get("language") for d in docs if "error" not in d)
top = ", ".join("%s %d" % (k, v) for k, v in count.most_common(8))
print("test-language-dev: %s: %d pages, %d errors; %s" % (engine, len(docs), len(errors), top))
for i, v in bad[:10]:
    print("  FAIL %s: language %r is not a primary subtag" % (i, v))
ok = len(docs) == n and not bad and not errors
print("  %s every language null or an ISO 639 primary subtag (%d values)" % ("ok" if ok else "FAIL", sum(count.values())))
sys.exit(0 if ok else 1)
PY
done
exit $rc
