"""Riptide: article extraction from untrusted HTML, in a sandbox.

    import riptide
    doc = riptide.extract(html, "https://example.org/post")
    print(doc["title"], doc["word_count"])

    with riptide.Extractor(parallel=4, timeout=5.0) as ex:
        for doc in ex.extract_many(pages):
            ...

The extraction runs in the C library (linked into this package) with the GIL released, inside
a pool of sandboxed WebAssembly instances with a native fallback. See README.md.
"""

import json as _json
import math as _math
import os as _os
import threading as _threading
import weakref as _weakref

from ._errors import (BY_CLASS as _BY_CLASS, DeadlineExceeded, InputError, InternalError,
                      ResourceError, RiptideError, SandboxError)
from . import _riptide

__all__ = [
    "extract", "Extractor", "RiptideError", "InputError", "ResourceError", "DeadlineExceeded",
    "SandboxError", "InternalError", "guest_info", "__version__", "guest_version",
]

_riptide._init_errors(RiptideError, dict(_BY_CLASS))

__version__ = _riptide.version()

_MODES = {"article": 0, "full": 1, "metadata": 2, "custom": 3}
_OUTPUTS = {"dict": _riptide.OUT_DICT, "json": _riptide.OUT_JSON,
            "markdown": _riptide.OUT_MARKDOWN, "text": _riptide.OUT_TEXT}

_guest_info_cache = None


def guest_info():
    """The sandboxed extractor's info: dict with name, version, abi, features, modes."""
    global _guest_info_cache
    if _guest_info_cache is None:
        raw = _riptide.guest_info()
        _guest_info_cache = _json.loads(raw) if raw else {}
    return dict(_guest_info_cache)


def __getattr__(name):
    if name == "guest_version":
        return guest_info().get("version")
    raise AttributeError("module 'riptide' has no attribute %r" % name)


def _timeout_ms(timeout, name="timeout"):
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError("%s must be a number of seconds or None, not %s"
                        % (name, type(timeout).__name__))
    if not _math.isfinite(timeout) or timeout <= 0 or timeout > 600:
        raise ValueError("%s must be > 0 and <= 600 seconds" % name)
    return max(1, int(_math.ceil(timeout * 1000)))


def _options(mode, selector, output, links, images, tables):
    if not isinstance(mode, str):
        raise TypeError("mode must be a str")
    if mode not in _MODES:
        raise ValueError("mode must be one of %s, not %r" % (", ".join(_MODES), mode))
    if not isinstance(output, str):
        raise TypeError("output must be a str")
    if output not in _OUTPUTS:
        raise ValueError("output must be one of %s, not %r" % (", ".join(_OUTPUTS), output))
    if selector is not None and not isinstance(selector, str):
        raise TypeError("selector must be a str or None")
    if mode == "custom" and not selector:
        raise ValueError("mode='custom' needs a selector")
    if selector is not None and mode != "custom":
        raise ValueError("a selector is used with mode='custom' only")
    for name, v in (("links", links), ("images", images), ("tables", tables)):
        if not isinstance(v, bool):
            raise TypeError("%s must be a bool" % name)
    return _MODES[mode], selector, _OUTPUTS[output], links, images, tables


def _check_page(html, url):
    if not isinstance(html, (str, bytes, bytearray, memoryview)):
        raise TypeError("html must be str or bytes, not %s" % type(html).__name__)
    if url is not None and not isinstance(url, str):
        raise TypeError("url must be a str or None, not %s" % type(url).__name__)


class Extractor:
    """A pool of sandboxed extractors that you own.

    Shareable between Python threads; usable as a context manager (closed on exit).

    parallel: sandbox slots, i.e. pages extracted at once (default: CPUs, at least 2).
    timeout: per-page deadline in seconds (default 10).
    memory_limit: bytes of memory per sandbox (default 256 MiB).
    fallback: use the native extractor when the sandbox fails (default True); with False,
        a trap or a timeout raises SandboxError / DeadlineExceeded.
    max_input_size: bytes of decoded input per page (default 64 MiB).
    acquire_timeout: seconds to wait for a free slot before ResourceError POOL_EXHAUSTED
        (default 30).
    warm: slots created up front (default 2).
    """

    def __init__(self, parallel=None, timeout=None, memory_limit=None, fallback=True, *,
                 max_input_size=None, acquire_timeout=None, warm=None):
        if parallel is not None and (isinstance(parallel, bool) or not isinstance(parallel, int)):
            raise TypeError("parallel must be an int or None")
        if parallel is not None and not 1 <= parallel <= 1024:
            raise ValueError("parallel must be between 1 and 1024")
        if not isinstance(fallback, bool):
            raise TypeError("fallback must be a bool")
        wait = None
        if acquire_timeout is not None:
            if isinstance(acquire_timeout, bool) or not isinstance(acquire_timeout, (int, float)):
                raise TypeError("acquire_timeout must be a number of seconds or None")
            if not _math.isfinite(acquire_timeout) or acquire_timeout < 0:
                raise ValueError("acquire_timeout must be >= 0 seconds")
            wait = int(acquire_timeout * 1000)
        self._config = dict(max_slots=parallel, memory_cap=memory_limit, fallback=fallback,
                            max_input=max_input_size, warm_slots=warm, acquire_wait_ms=wait)
        self._timeout_ms = _timeout_ms(timeout)
        self._lock = _threading.Lock()
        self._closed = False
        self._pool = _riptide.Pool(timeout_ms=self._timeout_ms, **self._config)
        # Pools for per-call timeouts other than the extractor's own (the C library's deadline
        # is a pool setting), made on first use with the same settings and no warm slots.
        self._by_timeout = {}
        self._workers = self._pool.status()["max_slots"]
        _live.add(self)

    def _pool_for(self, timeout):
        ms = _timeout_ms(timeout)
        if ms is None or ms == self._timeout_ms:
            return self._pool
        with self._lock:
            if self._closed:
                return self._pool  # closed: the call raises SHUTDOWN
            p = self._by_timeout.get(ms)
            if p is None:
                if len(self._by_timeout) >= 16:
                    raise ValueError("too many distinct per-call timeouts (16); give the "
                                     "Extractor a timeout instead")
                cfg = dict(self._config, warm_slots=0)
                p = self._by_timeout[ms] = _riptide.Pool(timeout_ms=ms, **cfg)
            return p

    def extract(self, html, url=None, *, mode="article", selector=None, output="dict",
                links=True, images=True, tables=True, timeout=None):
        """Extracts one page. Returns a dict (output="dict") or a str ("json", "markdown",
        "text": what `riptide extract -f json|markdown|txt` prints for the page, JSON without
        its "id"). links, images, tables: False leaves them out of the text, Markdown and
        HTML too (a link becomes its text; images go with their figure captions). Raises
        RiptideError (a subclass per error class) when the page fails, and
        TypeError/ValueError for bad arguments before any work."""
        opts = _options(mode, selector, output, links, images, tables)
        _check_page(html, url)
        pool = self._pool_for(timeout)
        return _riptide.extract(pool, html, url, *opts)

    def extract_many(self, pages, ordered=True, *, mode="article", selector=None,
                     output="dict", links=True, images=True, tables=True):
        """Extracts many pages in parallel on the pool's slots (C threads, no GIL).

        pages: an iterable of html (str or bytes) or (html, url) pairs, read lazily.
        Yields one result per input: the document (as in extract) or, for a page that
        failed, the exception object (never raised, so one bad page does not stop the
        batch). ordered=True yields in input order; ordered=False yields (index, result)
        pairs as soon as each is done."""
        if not isinstance(ordered, bool):
            raise TypeError("ordered must be a bool")
        opts = _options(mode, selector, output, links, images, tables)
        if self._closed:
            raise ResourceError("the extractor is closed", "SHUTDOWN", "busy", 14)
        return _riptide.extract_many(self._pool, pages, ordered, self._workers, *opts)

    def metrics(self):
        """A consistent snapshot of the pool's metrics (totals add up) as a dict."""
        return self._pool.metrics()

    def prometheus(self):
        """The metrics in Prometheus text format."""
        return self._pool.prometheus()

    def status(self):
        """The pool's status now: slots, permits, calls in flight, breaker state."""
        return self._pool.status()

    def close(self):
        """Waits for the calls in flight and frees the pool. Further calls raise
        ResourceError (code SHUTDOWN). Idempotent."""
        with self._lock:
            self._closed = True
            pools = [self._pool] + list(self._by_timeout.values())
        for p in pools:
            p.close()

    @property
    def closed(self):
        return self._closed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self):
        return "<riptide.Extractor parallel=%d%s>" % (self._workers,
                                                      " closed" if self._closed else "")


_live = _weakref.WeakSet()  # Extractors, for their locks after a fork
_default = None
_default_lock = _threading.Lock()


def _default_extractor():
    global _default
    ex = _default
    if ex is None:
        with _default_lock:
            if _default is None:
                _default = Extractor()
            ex = _default
    return ex


def extract(html, url=None, *, mode="article", selector=None, output="dict", links=True,
            images=True, tables=True, timeout=None):
    """Extracts one page on a process-wide pool created on first use. See Extractor.extract."""
    opts = _options(mode, selector, output, links, images, tables)
    _check_page(html, url)
    ex = _default_extractor()
    pool = ex._pool_for(timeout)
    return _riptide.extract(pool, html, url, *opts)


if hasattr(_os, "register_at_fork"):
    # A child must not wait on a lock another thread of the parent held at fork time. (The
    # C pools rebuild themselves in the child on first use.)
    def _after_fork_in_child():
        global _default_lock
        _default_lock = _threading.Lock()
        for ex in list(_live):
            ex._lock = _threading.Lock()

    _os.register_at_fork(after_in_child=_after_fork_in_child)
