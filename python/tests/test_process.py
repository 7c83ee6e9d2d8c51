"""The library inside a Python process: fork, multiprocessing, Ctrl-C."""
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
import unittest

import riptide

import support

PARA = "<p>" + "The quick brown fox jumps over the lazy dog near the river. " * 20 + "</p>\n"
# About 0.5-1 s of extraction: far above a 20 ms deadline and its 10 ms watchdog tick.
SLOW = "<html><head><title>Slow</title></head><body><article>" + PARA * 4000 + "</article></body></html>"




def _title(page):
    return riptide.extract(page)["title"]


class Fork(unittest.TestCase):
    def test_multiprocessing_fork(self):
        pages = [support.read(p) for p in support.SAMPLES]
        expect = [_title(p) for p in pages]  # the parent's default pool exists before the fork
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(2) as pool:
            got = pool.map(_title, pages * 3)
        self.assertEqual(got, expect * 3)

    def _in_child(self, fn):
        """Runs fn() in an os.fork() child; returns what it wrote (bytes)."""
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                out = fn()
            except BaseException as e:  # report, never return into the test runner
                out = "exception %r" % (e,)
            os.write(w, out.encode())
            os._exit(0)
        os.close(w)
        chunks = []
        while True:
            b = os.read(r, 4096)
            if not b:
                break
            chunks.append(b)
        os.close(r)
        _, status = os.waitpid(pid, 0)
        self.assertEqual(status, 0)
        return b"".join(chunks).decode()

    def test_os_fork_child_extracts(self):
        ex = riptide.Extractor(parallel=2)
        page = support.read(support.SAMPLES[0])
        t = ex.extract(page)["title"]

        def child():
            a = ex.extract(page)["title"]
            b = [d["title"] for d in ex.extract_many([page, page])]
            c = riptide.extract(page)["title"]
            return repr([a] + b + [c])

        self.assertEqual(self._in_child(child), repr([t] * 4))
        self.assertEqual(ex.extract(page)["title"], t)  # the parent's pool is unharmed
        ex.close()

    def test_os_fork_child_deadline(self):
        ex = riptide.Extractor(parallel=1, timeout=0.02, fallback=False)
        with self.assertRaises(riptide.DeadlineExceeded):  # works in the parent
            ex.extract(SLOW)

        def child():
            t0 = time.monotonic()
            try:
                ex.extract(SLOW)
                return "no deadline after %.2f s" % (time.monotonic() - t0)
            except riptide.DeadlineExceeded:
                return "deadline"

        self.assertEqual(self._in_child(child), "deadline")
        ex.close()


CHILD = textwrap.dedent("""
    import signal, sys, time
    sys.path[:0] = %r
    # A process started in the background by a shell without job control inherits SIGINT
    # ignored, and Python then installs no KeyboardInterrupt handler: install it, as an
    # interactive Python has it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    import riptide
    para = "<p>" + "The quick brown fox jumps over the lazy dog near the river. " * 20 + "</p>"
    # About 3 s: the parent's SIGINT must land while the page is still running, even on a
    # loaded machine (with 4000 paragraphs, about 1 s, the page sometimes ended first).
    slow = "<html><body><article>" + para * 12000 + "</article></body></html>"
    small = "<html><title>t</title><body><p>" + "words " * 200 + "</p></body></html>"
    ex = riptide.Extractor(parallel=1, timeout=60)
    it = ex.extract_many([small, slow])
    next(it)
    while ex.status()["in_flight"] == 0:  # until the worker is inside the slow page
        pass
    try:
        print("waiting", flush=True)
        for d in it:
            print("result", flush=True)
    except KeyboardInterrupt:
        # The slow page is the last one: a Ctrl-C handled only after it ended would see
        # nothing in flight.
        print("interrupted", ex.status()["in_flight"], flush=True)
        it.close()
        ex.close()
        sys.exit(0)
""")


class CtrlC(unittest.TestCase):
    def test_sigint_during_long_batch(self):
        # The batch's last page is slow (seconds); SIGINT must raise KeyboardInterrupt
        # in the main thread while it waits for it, not after the page.
        p = subprocess.Popen([sys.executable, "-c", CHILD % (sys.path,)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            self.assertEqual(p.stdout.readline().strip(), "waiting")
            os.kill(p.pid, signal.SIGINT)
            out, err = p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(out.split(), ["interrupted", "1"], (out, err))


if __name__ == "__main__":
    unittest.main()
