#!/usr/bin/env python3
"""Writes fuzz seeds for fuzz/fuzz_parser.c: every html5lib tree-construction #data input,
prefixed with the selector byte for its fragment context and scripting flag.

Usage: parser-fuzz-seeds.py SHARED OUTDIR   (prints how many seeds; skips when data absent)
"""
import hashlib
import os
import sys

CONTEXTS = {None: 0, "body": 1, "td": 2, "svg svg": 3, "math math": 4, "template": 5,
            "select": 6, "title": 7, "table": 8, "math annotation-xml": 9,
            "svg foreignObject": 10, "tr": 11, "textarea": 12, "html": 13, "frameset": 14,
            "plaintext": 15}


def tests(path):
    text = open(path, "rb").read().decode("utf-8", "surrogateescape")
    for block in text.split("\n\n#data\n"):
        if block.startswith("#data\n"):
            block = block[len("#data\n"):]
        lines = block.split("\n")
        data, frag, script, i = [], None, False, 0
        while i < len(lines) and lines[i] not in ("#errors", "#document-fragment"):
            data.append(lines[i])
            i += 1
        while i < len(lines) and lines[i] != "#document":
            if lines[i] == "#document-fragment" and i + 1 < len(lines):
                frag = lines[i + 1]
            if lines[i] == "#script-on":
                script = True
            i += 1
        yield "\n".join(data), frag, script


def main():
    shared, out = sys.argv[1], sys.argv[2]
    src = os.path.join(shared, "testdata", "html5lib-tests", "tree-construction")
    if not os.path.isdir(src):
        print("parser-fuzz-seeds: skipped (no %s)" % src)
        return
    os.makedirs(out, exist_ok=True)
    n = 0
    for name in sorted(os.listdir(src)):
        if not name.endswith(".dat"):
            continue
        for data, frag, script in tests(os.path.join(src, name)):
            sel = CONTEXTS.get(frag, 1 if frag else 0) | (16 if script else 0)
            blob = bytes([sel]) + data.encode("utf-8", "surrogateescape")
            h = hashlib.sha1(blob).hexdigest()[:16]
            with open(os.path.join(out, h), "wb") as f:
                f.write(blob)
            n += 1
    print("parser-fuzz-seeds: %d seeds in %s" % (n, out))


if __name__ == "__main__":
    main()
