#!/usr/bin/env bash
# Installs every Debian package Riptide needs to build, test and benchmark.
# Idempotent and non-interactive: it runs `apt-get update` only when a package is missing,
# and does nothing at all when everything is already there.
set -euo pipefail

PACKAGES=(
  build-essential pkg-config make gcc clang-format
  clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32 libclang-rt-19-dev wabt
  libxml2-dev libjansson-dev libcurl4-openssl-dev libmicrohttpd-dev zlib1g-dev libdeflate-dev libutf8proc-dev libssl-dev
  libcmocka-dev libgumbo-dev libhiredis-dev redis-server
  valgrind gdb python3 curl gcovr wrk iproute2 util-linux iso-codes cmark
  python3-dev python3-pytest python3-setuptools python3-readability
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
