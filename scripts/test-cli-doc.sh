#!/usr/bin/env bash
# docs/cli.md quotes `riptide extract --help` and `riptide bench --help` exactly: fails (with the
# difference and how to regenerate: make docs) when an option or its text changed without it.
# Also checks the checker: a copy with one help line changed must fail with that message.
set -u
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$BUILD/riptide" ] || { echo "test-cli-doc: $BUILD/riptide not built"; exit 1; }
"$ROOT/scripts/gen-cli-doc.sh" --check "$BUILD" || exit 1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
sed 's/^      --no-fallback        report guest failures/      --no-fallback        REPORT guest failures/' \
  "$ROOT/docs/cli.md" > "$T/cli.md"
if cmp -s "$ROOT/docs/cli.md" "$T/cli.md"; then
  echo "test-cli-doc: the --no-fallback help line was not found in docs/cli.md"; exit 1
fi
if CLI_DOC="$T/cli.md" "$ROOT/scripts/gen-cli-doc.sh" --check "$BUILD" 2>"$T/err" >/dev/null; then
  echo "test-cli-doc: the check passed on a docs/cli.md whose help text differs"; exit 1
fi
grep -q 'make docs' "$T/err" || { echo "test-cli-doc: no 'make docs' hint:"; cat "$T/err"; exit 1; }
echo "test-cli-doc: docs/cli.md matches --help; a changed copy is caught"
