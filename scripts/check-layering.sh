#!/usr/bin/env bash
# make check: the include layering.
#  - Guest code (src/guest, and src/abi/wire_encode.c, compiled to wasm) includes only guest
#    headers and the two headers it shares with the host: src/abi/abi.h (the guest ABI) and
#    src/common/limits.h (every limit). Nothing else of the host.
#  - The command (src/cli, and the commands it dispatches to: src/serve, src/scaleout) includes
#    only riptide.h and the commands' own headers: it uses the public API, as any other program
#    would.
# Quoted includes are resolved like the compiler does (next to the file, then -Isrc/-Iinclude).
# Prints each violation as FILE: #include "X" -> resolved path; exits non-zero if any.
set -uo pipefail
cd "$(dirname "$0")/.."
rc=0

resolve() { # resolve FILE INCLUDE -> path relative to the tree, or the include itself
  local dir; dir=$(dirname "$1")
  for cand in "$dir/$2" "src/$2" "include/$2"; do
    if [ -f "$cand" ]; then realpath --relative-to=. "$cand"; return; fi
  done
  echo "$2"
}

# check NAME ALLOWED_REGEX FILES...: every quoted include of FILES must resolve to a path
# matching ALLOWED_REGEX.
check() {
  local name=$1 allowed=$2; shift 2
  local bad=""
  for f in "$@"; do
    while IFS= read -r inc; do
      local r; r=$(resolve "$f" "$inc")
      if ! [[ "$r" =~ $allowed ]]; then bad+="  $f: #include \"$inc\" -> $r"$'\n'; fi
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
  done
  if [ -n "$bad" ]; then echo "$name: includes outside its layer:"; printf '%s' "$bad"; rc=1
  else echo "$name: ok ($# files)"; fi
}

mapfile -t guest < <(git ls-files 'src/guest/*.c' 'src/guest/*.h' src/abi/wire_encode.c)
check "guest" '^(src/guest/.*|src/abi/abi\.h|src/common/limits\.h)$' "${guest[@]}"
mapfile -t cli < <(git ls-files 'src/cli/*.c' 'src/cli/*.h' 'src/serve/*.c' 'src/serve/*.h' \
                                'src/scaleout/*.c' 'src/scaleout/*.h')
check "commands" '^(include/riptide\.h|src/(cli|serve|scaleout)/.*)$' "${cli[@]}"
exit $rc
