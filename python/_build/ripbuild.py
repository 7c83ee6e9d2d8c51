"""Build support of the riptide Python package, shared by setup.py and the PEP 517 backend.

The extension is one C file (riptide/_riptide.c) linked with libriptide.a, the project's
static library (built with -fPIC). Where the library comes from:
  RIPTIDE_LIBRARY=/path/to/libriptide.a   use that archive (headers: RIPTIDE_INCLUDE, or the
                                          repository's include/);
  otherwise ../build/libriptide.a of this repository, built with `make` first if it is absent.

The PEP 517 backend below needs nothing outside the standard library, so `pip install ./python`
works offline and with or without build isolation; it compiles with the C compiler of
sysconfig (or $CC) and writes the wheel itself. setup.py does the same through setuptools
(`make python`).
"""

import base64
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # python/
ROOT = os.path.dirname(HERE)                                         # the repository
PKG_FILES = ["__init__.py", "_errors.py", "__init__.pyi", "py.typed"]


def version():
    """The library's version (RIPTIDE_VERSION in include/riptide.h)."""
    with open(os.path.join(include_dir(), "riptide.h"), encoding="utf-8") as f:
        m = re.search(r'#define RIPTIDE_VERSION "([^"]+)"', f.read())
    return m.group(1) if m else "0.0.0"


def include_dir():
    return os.environ.get("RIPTIDE_INCLUDE") or os.path.join(ROOT, "include")


def library():
    """Path of libriptide.a, built with make when it is absent."""
    lib = os.environ.get("RIPTIDE_LIBRARY")
    if lib:
        if not os.path.isfile(lib):
            raise SystemExit("riptide: RIPTIDE_LIBRARY=%s does not exist" % lib)
        return os.path.abspath(lib)
    lib = os.path.join(ROOT, "build", "libriptide.a")
    if not os.path.isfile(lib):
        if not os.path.isfile(os.path.join(ROOT, "Makefile")):
            raise SystemExit("riptide: no libriptide.a: set RIPTIDE_LIBRARY to its path")
        jobs = str(max(1, min(os.cpu_count() or 1, 8)))
        print("riptide: building the C library (make -j%s build/libriptide.a)" % jobs,
              file=sys.stderr)
        subprocess.check_call(["make", "-C", ROOT, "-j" + jobs, "build/libriptide.a"],
                              stdout=sys.stderr)
    return lib


def link_libs():
    """The libraries libriptide.a needs (libcurl is loaded with dlopen at the first fetch)."""
    try:
        out = subprocess.run(["pkg-config", "--libs", "libxml-2.0", "jansson", "zlib",
                              "libdeflate", "libutf8proc", "libcrypto"],
                             check=True, capture_output=True, text=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        out = ["-lxml2", "-ljansson", "-lz", "-ldeflate", "-lutf8proc", "-lcrypto"]
    return out + ["-lpthread", "-lm", "-ldl"]


# Symbols of the static library stay inside the extension (never exported to other modules).
EXTRA_LINK_ARGS = ["-Wl,--exclude-libs,ALL"]
EXTRA_COMPILE_ARGS = ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter",
                      "-Wno-missing-field-initializers", "-Wno-cast-function-type"]


def compile_extension(out_dir):
    """Compiles riptide/_riptide.c into out_dir/riptide/_riptide<EXT_SUFFIX>; returns its path."""
    cc = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")
    py_inc = sysconfig.get_paths()["include"]
    plat_inc = sysconfig.get_paths().get("platinclude", py_inc)
    if not os.path.isfile(os.path.join(py_inc, "Python.h")):
        raise SystemExit("riptide: Python.h not found in %s (install python3-dev)" % py_inc)
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    dest = os.path.join(out_dir, "riptide")
    os.makedirs(dest, exist_ok=True)
    out = os.path.join(dest, "_riptide" + suffix)
    cmd = (cc + ["-shared", "-fPIC"] + EXTRA_COMPILE_ARGS +
           ["-I" + py_inc, "-I" + plat_inc, "-I" + include_dir(),
            os.path.join(HERE, "riptide", "_riptide.c"), library(), "-o", out] +
           EXTRA_LINK_ARGS + link_libs())
    print(" ".join(shlex.quote(c) for c in cmd), file=sys.stderr)
    subprocess.check_call(cmd, stdout=sys.stderr)
    return out


# ---- PEP 517 ----------------------------------------------------------------------------------

def _wheel_tag():
    impl = "cp%d%d" % sys.version_info[:2]
    abi = impl + ("d" if hasattr(sys, "gettotalrefcount") else "")
    plat = re.sub(r"[^A-Za-z0-9]", "_", sysconfig.get_platform())
    return "%s-%s-%s" % (impl, abi, plat)


def _metadata():
    with open(os.path.join(HERE, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    return ("Metadata-Version: 2.1\nName: riptide\nVersion: %s\n"
            "Summary: Article extraction from untrusted HTML in a WebAssembly sandbox\n"
            "Requires-Python: >=3.8\nDescription-Content-Type: text/markdown\n\n%s"
            % (version(), readme))


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    ver = version()
    tag = _wheel_tag()
    name = "riptide-%s-%s.whl" % (ver, tag)
    dist_info = "riptide-%s.dist-info" % ver
    with tempfile.TemporaryDirectory() as tmp:
        ext = compile_extension(tmp)
        files = [("riptide/" + os.path.basename(ext), ext)]
        for f in PKG_FILES:
            files.append(("riptide/" + f, os.path.join(HERE, "riptide", f)))
        meta = {
            dist_info + "/METADATA": _metadata().encode(),
            dist_info + "/WHEEL": ("Wheel-Version: 1.0\nGenerator: riptide ripbuild\n"
                                   "Root-Is-Purelib: false\nTag: %s\n" % tag).encode(),
            dist_info + "/top_level.txt": b"riptide\n",
        }
        record = []
        path = os.path.join(wheel_directory, name)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for arc, src in files:
                with open(src, "rb") as f:
                    data = f.read()
                z.writestr(arc, data)
                record.append((arc, data))
            for arc, data in meta.items():
                z.writestr(arc, data)
                record.append((arc, data))
            lines = []
            for arc, data in record:
                h = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
                lines.append("%s,sha256=%s,%d" % (arc, h.decode(), len(data)))
            lines.append(dist_info + "/RECORD,,")
            z.writestr(dist_info + "/RECORD", "\n".join(lines) + "\n")
    return name


def build_sdist(sdist_directory, config_settings=None):
    raise NotImplementedError("build from the repository: pip install ./python")


if __name__ == "__main__":
    # python3 python/_build/ripbuild.py OUT_DIR: the package, built in place under OUT_DIR.
    out = os.path.abspath(sys.argv[1])
    compile_extension(out)
    for f in PKG_FILES:
        shutil.copy(os.path.join(HERE, "riptide", f), os.path.join(out, "riptide", f))
