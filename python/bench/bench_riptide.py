"""Benchmark of the Python package (scripts/bench-python.sh; make bench).

In one run, on the same pages:
  1. `riptide bench DIR --engine pool` (the C pool, pages pre-loaded and decoded) vs
     Extractor.extract_many (bytes in, dicts out) with the same parallelism: pages/s, ratio
     (goal >= 0.9x);
  2. Riptide vs readability-lxml (Debian python3-readability) in this interpreter, pages per
     CPU-second (per core), on a subset of the pages.
Usage: bench_riptide.py CLI DIR [--parallel N] [--repeat N] [--peer-pages N]
"""
import argparse
import os
import re
import resource
import subprocess
import sys
import time

import riptide


def load(dirpath):
    pages = []
    for base, dirs, files in os.walk(dirpath):
        dirs.sort()
        for f in sorted(files):
            if f.endswith((".html", ".htm", ".gz")):
                with open(os.path.join(base, f), "rb") as fh:
                    data = fh.read()
                if data:
                    pages.append(data)
    return pages


def cli_bench(cli, d, parallel, repeat):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([cli, "bench", d, "--parallel", str(parallel), "--repeat", str(repeat),
                          "--engine", "pool"], capture_output=True, text=True, check=True).stdout
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    m = re.search(r"^pool\s+([0-9.]+)", out, re.M)
    n = re.search(r"riptide bench: (\d+) pages?", out)
    return float(m.group(1)), int(n.group(1)), cpu


def py_bench(pages, parallel, repeat):
    with riptide.Extractor(parallel=parallel) as ex:
        for _ in ex.extract_many(pages[:parallel * 4]):  # slots warm, as the C bench's are
            pass
        t0 = time.perf_counter()
        c0 = time.process_time()
        ok = failed = 0
        for r in ex.extract_many(pages * repeat):
            if isinstance(r, BaseException):
                failed += 1
            else:
                ok += 1
        el = time.perf_counter() - t0
        cpu = time.process_time() - c0
    return len(pages) * repeat / el, ok, failed, len(pages) * repeat / cpu


def per_cpu(fn, pages):
    c0 = time.process_time()
    ok = 0
    for p in pages:
        try:
            fn(p)
            ok += 1
        except Exception:
            pass
    cpu = time.process_time() - c0
    return len(pages) / cpu if cpu > 0 else 0.0, ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cli")
    ap.add_argument("dir")
    ap.add_argument("--parallel", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--peer-pages", type=int, default=120)
    a = ap.parse_args()
    pages = load(a.dir)
    print("bench-python: %d pages from %s, parallel %d, repeat %d, Python %s, riptide %s"
          % (len(pages), a.dir, a.parallel, a.repeat, sys.version.split()[0],
             riptide.__version__))
    # Interleaved C, Python, C: the machine's load moves between runs; the C figure is the mean.
    c1, n_c, cpu1 = cli_bench(a.cli, a.dir, a.parallel, a.repeat)
    py, ok, failed, py_cpu = py_bench(pages, a.parallel, a.repeat)
    c2, _, cpu2 = cli_bench(a.cli, a.dir, a.parallel, a.repeat)
    c = (c1 + c2) / 2
    c_cpu = 2 * n_c * a.repeat / (cpu1 + cpu2)
    print("riptide bench (C pool)        %8.1f pages/s  %8.1f pages/CPU-s  (%.1f, %.1f pages/s; "
          "%d pages; CPU includes loading the files)" % (c, c_cpu, c1, c2, n_c))
    print("Extractor.extract_many        %8.1f pages/s  %8.1f pages/CPU-s  (ok %d, failed %d; "
          "bytes in, dicts out)" % (py, py_cpu, ok, failed))
    print("ratio python/C: %.2fx wall clock, %.2fx per CPU-second (goal >= 0.9x; on a loaded "
          "machine the CPU ratio is the one to trust)" % (py / c, py_cpu / c_cpu))

    try:
        from readability import Document
    except ImportError:
        print("readability-lxml: not installed (Debian python3-readability); peer skipped")
        return
    sub = pages[:a.peer_pages]
    with riptide.Extractor(parallel=1) as ex:
        ex.extract(sub[0])
        rt, rt_ok = per_cpu(ex.extract, sub)
    rd, rd_ok = per_cpu(lambda p: Document(p).summary(), sub)
    print("per core, %d pages: riptide %.1f pages/CPU-s (ok %d), readability-lxml %.1f "
          "pages/CPU-s (ok %d): %.1fx" % (len(sub), rt, rt_ok, rd, rd_ok, rt / rd if rd else 0))


if __name__ == "__main__":
    main()
