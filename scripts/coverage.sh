#!/usr/bin/env bash
# Line and branch coverage per module folder from the .gcda files under BUILD (gcovr), a total
# line last, and an HTML report in BUILD/coverage/index.html. Usage: scripts/coverage.sh BUILD
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build-coverage}
command -v gcovr >/dev/null || { echo "coverage: gcovr missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
mkdir -p "$BUILD/coverage"
# Only the project's own sources: tests, benches, fuzzers and generated code are not measured.
filters=(--filter 'src/' --exclude 'src/guest/wasm/' --exclude '.*\.wasm\.c$' --exclude 'src/sandbox/glue/')
gcovr -r . "${filters[@]}" --json-summary "$BUILD/coverage/summary.json" \
  --html-details "$BUILD/coverage/index.html" "$BUILD" >/dev/null
python3 - "$BUILD/coverage/summary.json" <<'PY'
import json, os, sys
files = json.load(open(sys.argv[1]))["files"]
mods = {}
for f in files:
    d = os.path.dirname(f["filename"])
    # one row per module folder: src/guest/<part>, else src/<part>
    parts = d.split("/")
    key = "/".join(parts[:3]) if len(parts) > 2 and parts[1] == "guest" else "/".join(parts[:2])
    m = mods.setdefault(key, [0, 0, 0, 0])
    m[0] += f["line_covered"]; m[1] += f["line_total"]
    m[2] += f["branch_covered"]; m[3] += f["branch_total"]
pct = lambda a, b: 100.0 * a / b if b else 100.0
print(f"{'module':<22} {'lines':>16} {'line %':>7} {'branches':>16} {'branch %':>8}")
tot = [0, 0, 0, 0]
for k in sorted(mods):
    m = mods[k]
    tot = [a + b for a, b in zip(tot, m)]
    flag = "" if pct(m[0], m[1]) >= 80 else "  < 80 %"
    print(f"{k:<22} {m[0]:>7}/{m[1]:<8} {pct(m[0], m[1]):>6.1f}% {m[2]:>7}/{m[3]:<8} {pct(m[2], m[3]):>7.1f}%{flag}")
print(f"{'total':<22} {tot[0]:>7}/{tot[1]:<8} {pct(tot[0], tot[1]):>6.1f}% {tot[2]:>7}/{tot[3]:<8} {pct(tot[2], tot[3]):>7.1f}%")
PY
echo "coverage: HTML report in $BUILD/coverage/index.html"
