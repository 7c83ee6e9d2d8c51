"""The riptide API: inputs, outputs, the CLI's schema byte for byte, errors, lifetime."""
import gzip
import json
import pickle
import threading
import unittest

import riptide
from riptide import _riptide

import support

ARTICLE = ("<html><head><title>{t}</title><meta charset='{cs}'></head><body><article>"
           "<h1>{t}</h1><p>{p}</p><p>{p}</p></article></body></html>")
TEXT = "Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e and na\u00efve fa\u00e7ade, said the \u00e9l\u00e8ve. " * 6


class Inputs(unittest.TestCase):
    def test_str_input(self):
        d = riptide.extract(ARTICLE.format(t="Caf\u00e9 title", cs="utf-8", p=TEXT))
        self.assertEqual(d["title"], "Caf\u00e9 title")
        self.assertIn("cr\u00e8me br\u00fbl\u00e9e", d["text"])

    def test_bytes_charsets(self):
        for cs in ("utf-8", "windows-1252", "iso-8859-1", "utf-16"):
            html = ARTICLE.format(t="Caf\u00e9", cs=cs, p=TEXT)
            raw = html.encode(cs)  # utf-16 carries a BOM
            d = riptide.extract(raw)
            self.assertEqual(d["title"], "Caf\u00e9", cs)
            self.assertIn("na\u00efve fa\u00e7ade", d["text"], cs)

    def test_str_is_not_decoded_again(self):
        # A str is already text: its <meta charset> must not re-decode it (mojibake).
        d = riptide.extract(ARTICLE.format(t="Caf\u00e9", cs="windows-1252", p=TEXT))
        self.assertEqual(d["title"], "Caf\u00e9")

    def test_gzip_bytes(self):
        raw = support.read(support.SAMPLES[0])
        a = riptide.extract(raw)
        b = riptide.extract(gzip.compress(raw))
        self.assertEqual(a["text"], b["text"])
        self.assertTrue(a["text"])

    def test_bytes_like(self):
        raw = support.read(support.SAMPLES[0])
        t = riptide.extract(raw)["title"]
        self.assertEqual(riptide.extract(bytearray(raw))["title"], t)
        self.assertEqual(riptide.extract(memoryview(raw))["title"], t)

    def test_url_resolves_links(self):
        html = "<html><body><article><p>%s <a href='/x'>link</a></p></article></body></html>" % TEXT
        d = riptide.extract(html, "https://example.org/a/b")
        self.assertEqual(d["url"], "https://example.org/a/b")
        self.assertIn("https://example.org/x", [l["href"] for l in d["links"]])
        self.assertEqual(riptide.extract(html, "https://example.org/", links=False)["links"], [])


class Outputs(unittest.TestCase):
    def test_every_output_kind(self):
        raw = support.read(support.SAMPLES[0])
        d = riptide.extract(raw, output="dict")
        self.assertIsInstance(d, dict)
        js = riptide.extract(raw, output="json")
        md = riptide.extract(raw, output="markdown")
        tx = riptide.extract(raw, output="text")
        for s in (js, md, tx):
            self.assertIsInstance(s, str)
            self.assertTrue(s.endswith("\n"))
        self.assertEqual(tx, d["text"] + "\n")
        self.assertTrue(md.startswith("# "))
        j = json.loads(js)
        for k in ("wait_ms", "extract_ms"):
            d.pop(k)
            j.pop(k)
        self.assertEqual(d, j)

    def test_modes(self):
        raw = support.read(support.SAMPLES[0])
        art = riptide.extract(raw)
        full = riptide.extract(raw, mode="full")
        meta = riptide.extract(raw, mode="metadata")
        self.assertGreaterEqual(full["word_count"], art["word_count"])
        self.assertIsNone(meta["text"])
        self.assertEqual(meta["title"], art["title"])
        cus = riptide.extract(raw, mode="custom", selector="h1")
        self.assertIn(art["title"].split()[0], cus["text"])


class SameAsCli(unittest.TestCase):
    """output="json", "markdown", "text" are what `riptide extract -f json|markdown|txt`
    prints for the page, byte for byte (the JSON without the CLI's "id" and with timings
    fixed); the dict is json.loads of the CLI's JSON with the same keys in the same order."""

    def pages(self):
        return support.SAMPLES + support.corpus_pages(12)

    def test_json_byte_for_byte(self):
        for path in self.pages():
            raw = support.read(path)
            rc, out, err = support.cli("extract", "-f", "json", "--links", "--images", path)
            self.assertEqual(rc, 0, err)
            mine = riptide.extract(raw, output="json").encode()
            self.assertEqual(support.normalise_json(mine), support.normalise_json(out), path)
            cli_doc = json.loads(out)
            cli_doc.pop("id")
            d = riptide.extract(raw)
            for k in ("wait_ms", "extract_ms"):
                self.assertIsInstance(d.pop(k), float)
                cli_doc.pop(k)
            self.assertEqual(list(d), list(cli_doc), path)
            self.assertEqual(d, cli_doc, path)

    def test_markdown_and_text_byte_for_byte(self):
        for path in self.pages()[:6]:
            raw = support.read(path)
            for fmt, kind in (("markdown", "markdown"), ("txt", "text")):
                rc, out, err = support.cli("extract", "-f", fmt, "--links", "--images", path)
                self.assertEqual(rc, 0, err)
                self.assertEqual(riptide.extract(raw, output=kind).encode(), out, (path, fmt))

    def test_output_controls(self):
        # links/images/tables=False leave them out of the Markdown and text too, as the CLI's
        # --no-links/--no-images/--no-tables do (byte for byte).
        path = support.ROOT + "/tests/data/extract/output-controls-on/input.html"
        raw = support.read(path)
        full = riptide.extract(raw, "https://example.org/n", output="markdown")
        self.assertIn("](https://example.org/club)", full)
        self.assertIn("| Northpiercell |", full)
        self.assertIn("![The pier light", full)
        bare = riptide.extract(raw, "https://example.org/n", output="markdown", links=False,
                               images=False, tables=False)
        self.assertIn("rowing club", bare)
        for gone in ("](", "Northpiercell", "![", "Beacon caption"):
            self.assertNotIn(gone, bare)
        rc, out, err = support.cli("extract", "-f", "markdown", "--base-url",
                                   "https://example.org/n", "--no-tables", path)
        self.assertEqual(rc, 0, err)
        self.assertEqual(riptide.extract(raw, "https://example.org/n", output="markdown",
                                         links=False, images=False, tables=False).encode(), out)


class Errors(unittest.TestCase):
    def assertRiptide(self, cls, code, fn, *a, **kw):
        with self.assertRaises(cls) as cm:
            fn(*a, **kw)
        e = cm.exception
        self.assertIsInstance(e, riptide.RiptideError)
        self.assertEqual(e.code, code)
        self.assertTrue(e.message)
        return e

    def test_input_errors(self):
        e = self.assertRiptide(riptide.InputError, "BAD_INPUT", riptide.extract, b"")
        self.assertEqual(e.error_class, "bad_input")
        self.assertRiptide(riptide.InputError, "BAD_INPUT", riptide.extract, "  \n ")
        self.assertRiptide(riptide.InputError, "BAD_INPUT", riptide.extract,
                           b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
        self.assertRiptide(riptide.InputError, "DECODE", riptide.extract,
                           b"\x1f\x8b\x08\x00" + b"\x00" * 40)

    def test_limits_and_timeout(self):
        big = "<p>" + "words and more words " * 20000 + "</p>"
        with riptide.Extractor(parallel=1, max_input_size=1000) as ex:
            e = self.assertRiptide(riptide.ResourceError, "INPUT_TOO_LARGE", ex.extract, big)
            self.assertEqual(e.error_class, "limit")
        slow = "<html><body><article>" + ("<p>" + "The fox jumps over the dog. " * 30
                                           + "</p>") * 4000 + "</article></body></html>"
        with riptide.Extractor(parallel=1, timeout=0.005, fallback=False) as ex:
            e = self.assertRiptide(riptide.DeadlineExceeded, "TIMEOUT", ex.extract, slow)
            self.assertIsInstance(e, TimeoutError)
            self.assertIsInstance(e, riptide.ResourceError)
            self.assertEqual(ex.metrics()["timeouts"], 1)
        # With the fallback on, the native engine runs under a deadline of its own (the same
        # timeout): it cannot extract this page in 5 ms either, so the caller gets TIMEOUT.
        with riptide.Extractor(parallel=1, timeout=0.005) as ex:
            self.assertRiptide(riptide.DeadlineExceeded, "TIMEOUT", ex.extract, slow)
        # A per-call timeout on the default pool.
        self.assertRaises(riptide.DeadlineExceeded, riptide.extract, slow, timeout=0.005)

    def test_every_code_maps_to_a_subclass(self):
        expected = {"bad_input": riptide.InputError, "io": riptide.InputError,
                    "limit": riptide.ResourceError, "nomem": riptide.ResourceError,
                    "pool_exhausted": riptide.ResourceError, "busy": riptide.ResourceError,
                    "timeout": riptide.DeadlineExceeded, "trap": riptide.SandboxError,
                    "breaker_open": riptide.SandboxError, "internal": riptide.InternalError}
        for n in range(1, 24):
            name, cls, msg = _riptide.error_info(n)
            self.assertIn(cls, expected, name)
            self.assertIs(riptide._errors.BY_CLASS[cls], expected[cls])

    def test_errors_pickle(self):
        e = riptide.DeadlineExceeded("late", "TIMEOUT", "timeout", 6)
        f = pickle.loads(pickle.dumps(e))
        self.assertIs(type(f), riptide.DeadlineExceeded)
        self.assertEqual((f.message, f.code, f.error_class, f.number), ("late", "TIMEOUT", "timeout", 6))

    def test_bad_arguments(self):
        cases = [
            (TypeError, (42,), {}), (TypeError, ("<p>x",), {"url": 5}),
            (TypeError, (None,), {}), (TypeError, ("<p>x",), {"links": "yes"}),
            (TypeError, ("<p>x",), {"tables": 1}),
            (TypeError, ("<p>x",), {"timeout": "1"}), (TypeError, ("<p>x",), {"mode": 1}),
            (ValueError, ("<p>x",), {"mode": "fast"}), (ValueError, ("<p>x",), {"output": "xml"}),
            (ValueError, ("<p>x",), {"timeout": -1}), (ValueError, ("<p>x",), {"timeout": float("nan")}),
            (ValueError, ("<p>x",), {"mode": "custom"}), (ValueError, ("<p>x",), {"selector": "p"}),
            (ValueError, ("<p>x",), {"url": "http://a/\x00b"}),
        ]
        with riptide.Extractor(parallel=1) as ex:
            before = ex.metrics()["extractions_total"]
            for exc, a, kw in cases:
                with self.assertRaises(exc, msg=(a, kw)):
                    ex.extract(*a, **kw)
            self.assertEqual(ex.metrics()["extractions_total"], before)  # no work was done
            with self.assertRaises(TypeError):
                ex.extract_many([], ordered="yes")
            with self.assertRaises(ValueError):
                ex.extract_many([], output="pdf")
        for exc, kw in ((ValueError, {"parallel": 0}), (TypeError, {"parallel": 1.5}),
                        (ValueError, {"timeout": 0}), (ValueError, {"memory_limit": 10}),
                        (TypeError, {"fallback": 1})):
            with self.assertRaises(exc, msg=kw):
                riptide.Extractor(**kw)


class Lifetime(unittest.TestCase):
    def test_use_after_close_raises(self):
        ex = riptide.Extractor(parallel=1)
        self.assertEqual(ex.extract("<title>t</title><p>x</p>")["title"], "t")
        ex.close()
        ex.close()  # idempotent
        self.assertTrue(ex.closed)
        for fn in (lambda: ex.extract("<p>x"), lambda: ex.metrics(), lambda: ex.status(),
                   lambda: ex.extract_many(["<p>x"]), lambda: ex.extract("<p>x", timeout=3)):
            with self.assertRaises(riptide.ResourceError) as cm:
                fn()
            self.assertEqual(cm.exception.code, "SHUTDOWN")

    def test_close_wakes_callers_waiting_for_a_slot(self):
        slow = "<html><body><article>" + ("<p>" + "The fox jumps over the dog. " * 30
                                           + "</p>") * 3000 + "</article></body></html>"
        ex = riptide.Extractor(parallel=1, acquire_timeout=60)
        out = {}

        def call(name):
            try:
                out[name] = ex.extract(slow)["engine"]
            except riptide.RiptideError as e:
                out[name] = e.code

        a = threading.Thread(target=call, args=("a",))
        a.start()
        while ex.status()["in_flight"] == 0:  # a holds the only slot
            pass
        b = threading.Thread(target=call, args=("b",))
        b.start()
        while ex.status()["waiters"] == 0:  # b waits for it
            pass
        ex.close()  # b gets SHUTDOWN at once; a's page finishes
        a.join()
        b.join()
        self.assertEqual(out, {"a": "wasm", "b": "SHUTDOWN"})

    def test_batch_after_close_yields_errors(self):
        ex = riptide.Extractor(parallel=1)
        it = ex.extract_many(["<title>a</title><p>x</p>"] * 3)
        ex.close()
        res = list(it)
        self.assertEqual(len(res), 3)
        self.assertTrue(all(isinstance(r, riptide.ResourceError) and r.code == "SHUTDOWN"
                            for r in res))

    def test_context_manager_and_metrics(self):
        with riptide.Extractor(parallel=2) as ex:
            for p in support.SAMPLES:
                ex.extract(support.read(p))
            m = ex.metrics()
            st = ex.status()
            self.assertEqual(m["extractions_total"], len(support.SAMPLES))
            self.assertEqual(m["extractions_succeeded"] + m["extractions_failed"],
                             m["extractions_total"])
            self.assertEqual(m["extract_duration"]["count"], len(support.SAMPLES))
            self.assertEqual(st["max_slots"], 2)
            self.assertIn("riptide_", ex.prometheus())
        self.assertTrue(ex.closed)

    def test_versions(self):
        self.assertEqual(riptide.__version__, _riptide.version())
        self.assertRegex(riptide.__version__, r"^\d+\.\d+\.\d+")
        info = riptide.guest_info()
        self.assertEqual(riptide.guest_version, info["version"])
        self.assertIn("article", info["modes"])


if __name__ == "__main__":
    unittest.main()
