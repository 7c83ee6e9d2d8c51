"""Many Python threads on one Extractor, and extract_many's order and count."""
import threading
import unittest

import riptide

import support


def titled(i):
    return ("<html><head><title>page-%d</title></head><body><article><p>%s</p></article>"
            "</body></html>" % (i, "Some words of the article body here. " * 12))


class Threads(unittest.TestCase):
    def test_8_threads_x_200_pages_mixed_hostile(self):
        real = [support.read(p) for p in support.corpus_pages(40, max_bytes=30_000)]
        hostile = support.hostile_pages()
        with riptide.Extractor() as ex:
            expect = {}
            for i, page in enumerate(real):
                expect[i] = ex.extract(page)["title"]
            results = [None] * 8
            errors = []

            def run(t):
                try:
                    out = []
                    for k in range(200):
                        if k % 5 == 4:
                            h = hostile[(t + k) % len(hostile)]
                            try:
                                d = ex.extract(h)
                                out.append(("doc", d["engine"]))
                            except riptide.RiptideError as e:
                                out.append(("err", e.code))
                        else:
                            i = (t * 7 + k) % len(real)
                            out.append(("title", i, ex.extract(real[i])["title"]))
                    results[t] = out
                except BaseException as e:  # reported by the main thread
                    errors.append(e)

            ths = [threading.Thread(target=run, args=(t,)) for t in range(8)]
            for th in ths:
                th.start()
            for th in ths:
                th.join()
            self.assertEqual(errors, [])
            n = 0
            for out in results:
                self.assertEqual(len(out), 200)
                for r in out:
                    n += 1
                    if r[0] == "title":
                        self.assertEqual(r[2], expect[r[1]])
                    elif r[0] == "err":
                        self.assertIn(r[1], ("BAD_INPUT", "DECODE"))
            self.assertEqual(n, 1600)
            m = ex.metrics()
            self.assertEqual(m["extractions_succeeded"] + m["extractions_failed"],
                             m["extractions_total"])
            self.assertEqual(ex.status()["in_flight"], 0)

    def test_gil_released(self):
        # Another Python thread keeps running while the main thread is inside extract().
        big = "<p>" + "The fox jumps over the lazy dog. " * 60000 + "</p>"
        ticks = [0]
        stop = threading.Event()

        def spin():
            while not stop.is_set():
                ticks[0] += 1

        th = threading.Thread(target=spin)
        th.start()
        try:
            before = ticks[0]
            riptide.extract(big)
            during = ticks[0] - before
        finally:
            stop.set()
            th.join()
        self.assertGreater(during, 1000)


class Many(unittest.TestCase):
    def items(self, n):
        items = []
        for i in range(n):
            if i % 17 == 3:
                items.append(b"")                                  # BAD_INPUT
            elif i % 17 == 7:
                items.append(12345)                                # TypeError
            elif i % 17 == 11:
                items.append(("<p>x", 5))                          # TypeError (url)
            elif i % 17 == 13:
                items.append((titled(i), "https://example.org/%d" % i))
            else:
                items.append(titled(i).encode() if i % 2 else titled(i))
        return items

    def check(self, i, r):
        if i % 17 == 3:
            self.assertIsInstance(r, riptide.InputError)
            self.assertEqual(r.code, "BAD_INPUT")
        elif i % 17 in (7, 11):
            self.assertIsInstance(r, TypeError)
        else:
            self.assertIsInstance(r, dict, (i, r))
            self.assertEqual(r["title"], "page-%d" % i)
            if i % 17 == 13:
                self.assertEqual(r["url"], "https://example.org/%d" % i)

    def test_ordered(self):
        with riptide.Extractor(parallel=3) as ex:
            res = list(ex.extract_many(iter(self.items(300))))
            self.assertEqual(len(res), 300)
            for i, r in enumerate(res):
                self.check(i, r)

    def test_unordered(self):
        with riptide.Extractor(parallel=2) as ex:
            seen = set()
            for i, r in ex.extract_many(self.items(300), ordered=False):
                self.assertNotIn(i, seen)
                seen.add(i)
                self.check(i, r)
            self.assertEqual(seen, set(range(300)))

    def test_outputs_and_empty(self):
        with riptide.Extractor(parallel=2) as ex:
            self.assertEqual(list(ex.extract_many([])), [])
            out = list(ex.extract_many([titled(1), titled(2)], output="text"))
            self.assertEqual(out, [ex.extract(titled(1), output="text"),
                                   ex.extract(titled(2), output="text")])

    def test_iterable_error_is_raised(self):
        def gen():
            yield titled(0)
            raise RuntimeError("source failed")

        with riptide.Extractor(parallel=1) as ex:
            it = ex.extract_many(gen())
            self.assertEqual(next(it)["title"], "page-0")  # read before the error: not lost
            with self.assertRaises(RuntimeError):
                next(it)
            self.assertEqual(list(it), [])

    def test_closed_batch_ends(self):
        with riptide.Extractor(parallel=1) as ex:
            it = ex.extract_many([titled(0), titled(1)])
            it.close()
            self.assertEqual(list(it), [])

    def test_abandoned_batch(self):
        with riptide.Extractor(parallel=2) as ex:
            it = ex.extract_many(titled(i) for i in range(100))
            self.assertEqual(next(it)["title"], "page-0")
            del it  # workers stop and join; nothing leaks into the next batch
            self.assertEqual([d["title"] for d in ex.extract_many([titled(5)])], ["page-5"])


if __name__ == "__main__":
    unittest.main()
