#!/usr/bin/env python3
"""Write fuzz seeds for fuzz/fuzz_tokenizer.c: one file per html5lib tokenizer test input and
initial state. Usage: scripts/tokenizer-fuzz-seeds.py SHARED OUTDIR (silently does nothing
when SHARED has no html5lib tests)."""
import glob
import hashlib
import json
import os
import sys

STATES = {"Data state": 0, "RCDATA state": 1, "RAWTEXT state": 2, "Script data state": 3,
          "PLAINTEXT state": 4, "CDATA section state": 5}


def main():
    shared, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for path in glob.glob(os.path.join(shared, "testdata/html5lib-tests/tokenizer/*.test")):
        with open(path, encoding="utf-8") as f:
            tests = json.load(f).get("tests", [])
        for t in tests:
            data = t["input"].encode("utf-8", "surrogatepass")
            for s in t.get("initialStates", ["Data state"]):
                mode = STATES.get(s, 0) | (32 if t.get("lastStartTag") else 0)
                blob = bytes([mode]) + data
                name = hashlib.sha1(blob).hexdigest()
                with open(os.path.join(out, name), "wb") as f:
                    f.write(blob)


main()
