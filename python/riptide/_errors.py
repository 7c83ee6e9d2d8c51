"""Exceptions raised (or, from extract_many, yielded) by riptide.

Every error of the C library is a RiptideError carrying the library's stable error name
(``code``, e.g. ``"TIMEOUT"``), its class (``error_class``, e.g. ``"timeout"``), a human
``message`` and the numeric code (``number``). The subclass follows the error class, so callers
can catch a family of errors without switching on strings.
"""


class RiptideError(Exception):
    """An error reported by the Riptide library."""

    def __init__(self, message, code="INTERNAL", error_class="internal", number=23):
        super().__init__(message)
        self.message = message
        self.code = code
        self.error_class = error_class
        self.number = number

    def __str__(self):
        return "%s (%s)" % (self.message, self.code)

    def __repr__(self):
        return "%s(%r, code=%r, error_class=%r)" % (
            type(self).__name__, self.message, self.code, self.error_class)

    def __reduce__(self):  # picklable with its attributes (multiprocessing results)
        return (type(self), (self.message, self.code, self.error_class, self.number))


class InputError(RiptideError):
    """The input could not be used: empty, binary, undecodable, a bad selector, I/O."""


class ResourceError(RiptideError):
    """A limit was reached: size limits, memory, no pool slot in time, the pool closed."""


class DeadlineExceeded(ResourceError, TimeoutError):
    """The extraction ran past its deadline (only with fallback disabled)."""


class SandboxError(RiptideError):
    """The sandboxed extractor trapped, or its circuit breaker is open (fallback disabled)."""


class InternalError(RiptideError):
    """The guest or the fallback failed in a way that is not the input's fault."""


# Error class name (riptide_err_class_name) -> exception type.
BY_CLASS = {
    "bad_input": InputError,
    "io": InputError,
    "limit": ResourceError,
    "nomem": ResourceError,
    "pool_exhausted": ResourceError,
    "busy": ResourceError,
    "timeout": DeadlineExceeded,
    "trap": SandboxError,
    "breaker_open": SandboxError,
    "internal": InternalError,
}

for _cls in (RiptideError, InputError, ResourceError, DeadlineExceeded, SandboxError,
             InternalError):
    _cls.__module__ = "riptide"
