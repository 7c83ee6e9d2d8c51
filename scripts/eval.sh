#!/usr/bin/env bash
# Extraction quality on the dev sets: native extractor -> pred.jsonl -> score.py.
#   scripts/eval.sh [BUILD] [SHARED]     (make eval-extract)
# Writes $BUILD/eval/<set>.pred.jsonl and .per-page.tsv; prints score.py's report per set.
set -euo pipefail
BUILD=${1:-build}
SHARED=${2:-../shared}
EVAL="$SHARED/eval"
if [ ! -d "$EVAL/dev" ]; then
  echo "eval: $EVAL/dev not found, skipped"
  exit 0
fi
[ -x "$BUILD/tools/ex_eval" ] || make --no-print-directory BUILD="$BUILD" "$BUILD/tools/ex_eval"
mkdir -p "$BUILD/eval"
for set in readability-testpages trafilatura-eval; do
  [ -d "$EVAL/dev/$set" ] || continue
  pred="$BUILD/eval/$set.pred.jsonl"
  echo "== $set"
  "$BUILD/tools/ex_eval" "$EVAL/dev/$set" "$pred" || echo "(some pages failed, see above)"
  python3 "$EVAL/score.py" --truth "$EVAL/dev/$set/truth.jsonl" --pred "$pred" \
    --per-page "$BUILD/eval/$set.per-page.tsv"
done
