"""Shared helpers of the riptide Python tests (run by scripts/test-python.sh, which puts the
built package first on sys.path; RIPTIDE_CLI names the riptide command, RIPTIDE_SHARED the
shared corpus)."""
import glob
import os
import re
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CLI = os.environ.get("RIPTIDE_CLI") or os.path.join(ROOT, "build", "riptide")
SHARED = os.environ.get("RIPTIDE_SHARED") or os.path.join(ROOT, "..", "shared")
SAMPLES = sorted(glob.glob(os.path.join(ROOT, "samples", "*.html")))


def corpus_pages(limit, max_bytes=200_000):
    """Up to `limit` real pages of the shared dev corpus (sorted, small enough), as bytes;
    the bundled samples when the corpus is absent."""
    paths = sorted(glob.glob(os.path.join(SHARED, "eval", "dev", "*", "*.html")))
    out = []
    for p in paths:
        if os.path.getsize(p) <= max_bytes:
            out.append(p)
        if len(out) == limit:
            break
    if not out:
        out = SAMPLES
    return out


def read(path):
    with open(path, "rb") as f:
        return f.read()


def cli(*args, stdin=None):
    r = subprocess.run([CLI] + list(args), input=stdin, capture_output=True, timeout=60)
    return r.returncode, r.stdout, r.stderr


_TIMING = re.compile(rb'("(?:wait_ms|extract_ms)": ?)[0-9.eE+-]+')
_ID = re.compile(rb'^  "id": "[^"]*",\n', re.M)


def normalise_json(b):
    """The run-dependent parts of a JSON document (timings; the CLI's "id") made fixed."""
    return _TIMING.sub(rb"\g<1>0", _ID.sub(b"", b, count=1))


def hostile_pages():
    """Small hostile inputs that must each give a document or a clean error."""
    return [
        b"",                                              # empty
        b"   \n\t  ",                                     # whitespace only
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8,     # binary
        b"<div>" * 5000 + b"deep" + b"</div>" * 5000,   # deep nesting
        b"<p a='" + b"x" * 100_000 + b"'>attr</p>",       # one huge attribute
        b"<html><body><p>nul\x00bytes\x00here</p></body></html>",
        b"\xff\xfe<\x00p\x00>\x00h\x00i\x00<\x00/\x00p\x00>\x00",  # UTF-16 LE with BOM
        b"<title>bad utf8 \xc3\x28 \xa0\xa1</title><p>x</p>",
        "<p>" + "\u00e9\u4e2d\U0001F600" * 500 + "</p>",  # str, non-ASCII
        b"<table>" + b"<tr><td>c" * 1000 + b"</table>",
    ]
