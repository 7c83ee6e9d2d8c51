#!/usr/bin/env bash
# make install into a temporary DESTDIR, then build the README's C example (the ```c block of
# "Using the library") with `pkg-config --cflags --libs riptide` against it, statically
# (libriptide.a) and dynamically (libriptide.so.MAJOR through its SONAME), and run both; then
# make uninstall and check that it leaves nothing behind. Args: BUILD SHARED.
set -u
BUILD=${1:-build}
ROOT=$(pwd)
T=$(mktemp -d /tmp/riptide-install-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok() { pass=$((pass+1)); echo "  ok   $1"; }
bad() { fail=$((fail+1)); echo "  FAIL $1"; }

# A sanitizer build (build-address, build-thread, ...) installs its own instrumented library:
# the example is then built with the same sanitizer, or it would not link.
SAN=""; SAN_CFLAGS=""
case "$(basename "$BUILD")" in
  build-address) SAN=address; SAN_CFLAGS="-fsanitize=address,undefined" ;;
  build-undefined) SAN=undefined; SAN_CFLAGS="-fsanitize=undefined" ;;
  build-thread) SAN=thread; SAN_CFLAGS="-fsanitize=thread" ;;
esac
PREFIX=/usr/local
DEST="$T/dest"
if ! make --no-print-directory -s BUILD="$BUILD" SANITIZE=$SAN DESTDIR="$DEST" PREFIX=$PREFIX install \
     >"$T/install.log" 2>&1; then
  tail -20 "$T/install.log"; echo "test-install: make install failed"; exit 1
fi
LIB="$DEST$PREFIX/lib"
for f in include/riptide.h lib/libriptide.a lib/pkgconfig/riptide.pc bin/riptide \
         share/man/man1/riptide.1; do
  if [ -f "$DEST$PREFIX/$f" ]; then ok "installed $f"; else bad "installed $f"; fi
done
MAJOR=$(sed -n 's/^#define RIPTIDE_VERSION_MAJOR \([0-9]*\)$/\1/p' include/riptide.h)
REAL=$(cd "$LIB" && ls libriptide.so.*.*.* 2>/dev/null)
if [ "$(readlink "$LIB/libriptide.so")" = "libriptide.so.$MAJOR" ] &&
   [ "$(readlink "$LIB/libriptide.so.$MAJOR")" = "$REAL" ] && [ -f "$LIB/$REAL" ]; then
  ok "links libriptide.so -> libriptide.so.$MAJOR -> $REAL"
else bad "links libriptide.so -> libriptide.so.$MAJOR -> $REAL"; fi
if readelf -d "$LIB/$REAL" | grep -q "SONAME.*\[libriptide.so.$MAJOR\]"; then
  ok "SONAME libriptide.so.$MAJOR"
else bad "SONAME libriptide.so.$MAJOR"; fi
if man -l "$DEST$PREFIX/share/man/man1/riptide.1" 2>"$T/man.err" | grep -q 'riptide extract' &&
   ! [ -s "$T/man.err" ]; then ok "man page renders"; else bad "man page renders"; cat "$T/man.err"; fi

# The example, taken from the README so that it cannot drift from what is tested.
awk '/^## Using the library/{s=1} s&&/^```c$/{c=1;next} c&&/^```$/{exit} c{print}' README.md \
  >"$T/example.c"
if [ -s "$T/example.c" ]; then ok "README example found"; else bad "README example found"; fi

export PKG_CONFIG_PATH="$LIB/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$DEST"
CFLAGS_PC=$(pkg-config --cflags riptide) && LIBS_PC=$(pkg-config --libs riptide) &&
  STATIC_PC=$(pkg-config --static --libs riptide)
if [ "$(pkg-config --modversion riptide)" = "$(sed -n 's/.*RIPTIDE_VERSION_NUM.*//;s/^#define RIPTIDE_VERSION_MAJOR \([0-9]*\)$/\1/p' include/riptide.h).$(sed -n 's/^#define RIPTIDE_VERSION_MINOR \([0-9]*\)$/\1/p' include/riptide.h).$(sed -n 's/^#define RIPTIDE_VERSION_PATCH \([0-9]*\)$/\1/p' include/riptide.h)" ]; then
  ok "pkg-config --modversion"; else bad "pkg-config --modversion"; fi

# Dynamic: -lriptide finds libriptide.so; the program records libriptide.so.MAJOR and runs
# against the installed copy.
# shellcheck disable=SC2086
if cc -std=c11 -Wall -Wextra -Werror $SAN_CFLAGS -o "$T/ex_dynamic" "$T/example.c" $CFLAGS_PC $LIBS_PC 2>"$T/cc.err"; then
  ok "dynamic build"
else bad "dynamic build"; cat "$T/cc.err"; fi
if readelf -d "$T/ex_dynamic" 2>/dev/null | grep -q "NEEDED.*\[libriptide.so.$MAJOR\]"; then
  ok "dynamic binary needs libriptide.so.$MAJOR"; else bad "dynamic binary needs libriptide.so.$MAJOR"; fi
if LD_LIBRARY_PATH="$LIB" "$T/ex_dynamic" >"$T/dyn.out" 2>&1 && grep -q '"title":"Hello"' "$T/dyn.out" &&
   LD_LIBRARY_PATH="$LIB" ldd "$T/ex_dynamic" | grep -q "libriptide.so.$MAJOR => $LIB/"; then
  ok "dynamic run"; else bad "dynamic run"; cat "$T/dyn.out"; fi

# Static: the same flags with --static, libriptide.a named exactly (-l:libriptide.a) so that
# the linker cannot pick the shared library.
STATIC_LIBS=${STATIC_PC//-lriptide/-l:libriptide.a}
# shellcheck disable=SC2086
if cc -std=c11 -Wall -Wextra -Werror $SAN_CFLAGS -o "$T/ex_static" "$T/example.c" $CFLAGS_PC $STATIC_LIBS 2>"$T/cc.err"; then
  ok "static build"
else bad "static build"; cat "$T/cc.err"; fi
if [ -x "$T/ex_static" ] && ! readelf -d "$T/ex_static" | grep -q libriptide; then
  ok "static binary does not need libriptide.so"; else bad "static binary does not need libriptide.so"; fi
if "$T/ex_static" >"$T/st.out" 2>&1 && grep -q '"title":"Hello"' "$T/st.out"; then
  ok "static run"; else bad "static run"; cat "$T/st.out"; fi

if make --no-print-directory -s BUILD="$BUILD" SANITIZE=$SAN DESTDIR="$DEST" PREFIX=$PREFIX uninstall \
     >"$T/uninstall.log" 2>&1 && [ -z "$(find "$DEST" -type f -o -type l)" ]; then
  ok "make uninstall leaves no file"
else bad "make uninstall leaves no file"; find "$DEST" -type f -o -type l; fi

echo "test-install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
