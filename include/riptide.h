/*
 * riptide.h - the public API of Riptide.
 *
 * Riptide turns untrusted HTML into clean article content. The extractor runs inside
 * sandboxed WebAssembly instances taken from a pool; around the pool sit a circuit breaker,
 * health monitoring, memory management, a native fallback extractor, an event bus and metrics.
 *
 * Conventions
 *  - Every public symbol starts with riptide_ / RIPTIDE_. What is not in this header is not API.
 *  - Objects come in pairs: riptide_x_new() / riptide_x_free(); free(NULL) is a no-op.
 *  - Config structs are caller-owned and filled with defaults by riptide_x_config_init().
 *  - Functions that can fail return riptide_err (0 = RIPTIDE_OK).
 *  - Thread-safety is stated per type below.
 *  - Strings and buffers the library returns are freed with riptide_free() (or the pair named
 *    beside them, e.g. riptide_document_free()).
 *
 * Embedding (what the library does to the process that loads it)
 *  - Signals. The first sandbox slot installs, process-wide, handlers for SIGSEGV and SIGBUS
 *    (SA_SIGINFO | SA_ONSTACK) and for SIGRTMIN+7 (the deadline interrupt; do not use that
 *    signal yourself). A fault becomes a guest trap only when the faulting thread is running
 *    guest code and the address lies in that slot's reservation; every other SIGSEGV/SIGBUS is
 *    passed to the handler that was installed before ours (a crash reporter keeps working), or,
 *    if there was none, the default action runs and the process dies loudly. Install your own
 *    handlers before creating the first pool, or chain to the previous handler; if a handler
 *    installed later replaces ours without chaining, the next slot creation or reset puts ours
 *    back with yours as the chain target. Each thread that runs guest code gets a 64 KiB
 *    alternate signal stack (an existing one, e.g. ASan's, is kept), freed when the thread
 *    exits.
 *  - Threads. One process-wide watchdog thread (detached, started with the first slot) enforces
 *    deadlines: it ticks every 10 ms while calls with a deadline run, sleeps after 1 s without
 *    any, and signals an overdue thread with SIGRTMIN+7; the guest call then ends with
 *    RIPTIDE_ERR_TIMEOUT at the deadline plus about one tick. Each pool adds one event
 *    dispatcher thread and, when health_interval_ms > 0, one health thread; both are joined by
 *    riptide_pool_free(). Extraction itself runs on the caller's thread.
 *  - Address space. Each slot reserves 8 GiB of address space (PROT_NONE, MAP_NORESERVE: 4 GiB
 *    of guest memory plus guard), so max_slots slots need max_slots x 8 GiB of virtual address
 *    space but only the pages a guest touches are resident. A low `ulimit -v` makes slot
 *    creation fail with RIPTIDE_ERR_INSTANTIATE. Guest code runs on the calling thread's own
 *    stack; deep recursion ends at its guard page as a stack_exhaustion trap (the dead part of
 *    the stack is then given back), so a thread with a small stack traps on shallower pages.
 *  - fork(). A child forked while pools exist may create new pools and extract with them;
 *    deadlines work in the child (the watchdog is restarted there). Pools created before the
 *    fork belong to the parent: their dispatcher and health threads do not exist in the child,
 *    so the child must neither use nor free them (leak them, or exec).
 *  - Thread-safety. Every function may be called from any thread at once unless its comment
 *    says otherwise: riptide_pool_free() is called once, after no other thread uses the pool;
 *    a riptide_document or a filled struct belongs to the caller (share it read-only).
 *    riptide_last_error_detail() is per thread.
 *  - Event handlers run on the pool's dispatcher thread, one at a time, with no library lock
 *    held. A handler must not call riptide_pool_free() or riptide_pool_shutdown() on its pool
 *    (they wait for the dispatcher that is running the handler: deadlock), and should return
 *    quickly: while it runs, further events wait in the ring and are dropped (counted) once it
 *    is full. It may call riptide_pool_unsubscribe() (even for itself), riptide_event_to_json()
 *    and the status and metrics functions.
 *  - Structs that will grow (riptide_options, riptide_metrics, riptide_pool_status,
 *    riptide_event, riptide_fetch_result) start with `uint32_t size`. The macros that fill or
 *    pass them (riptide_options_init(), riptide_pool_metrics(), riptide_pool_status_get(),
 *    riptide_fetch_url()) give the library sizeof as your program was compiled, so a program
 *    built against this header keeps working with a later library, and the reverse: fields the
 *    caller's struct has but the library lacks are zeroed (and `size` says how much was
 *    filled); fields the library has but the caller's struct lacks take their defaults. A size
 *    below 4 or above 64 KiB (an uninitialised struct) is RIPTIDE_ERR_INVALID_ARG. Bindings
 *    that cannot use macros call the *_sized functions with the size of their struct.
 *  - Structs the library allocates and hands out (riptide_document, riptide_link,
 *    riptide_media) gain fields only at their end, and only in a MINOR version while MAJOR is
 *    0. 0.2.0 added riptide_media.caption, which changes the stride of doc->media, and the
 *    document's fingerprint fields: build against the header of the library you run
 *    (compare RIPTIDE_VERSION_NUM with riptide_version_number() at start-up).
 */
#ifndef RIPTIDE_H
#define RIPTIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(RIPTIDE_BUILDING) && defined(__GNUC__)
#define RIPTIDE_API __attribute__((visibility("default")))
#else
#define RIPTIDE_API
#endif

/* The library's version. MAJOR changes when the ABI breaks (it is the SONAME: libriptide.so.MAJOR),
 * MINOR when API is added, PATCH for fixes. RIPTIDE_VERSION_NUM orders versions as one number
 * (MAJOR * 10000 + MINOR * 100 + PATCH); compare it with riptide_version_number() to learn which
 * library a program runs against. */
#define RIPTIDE_VERSION_MAJOR 0
#define RIPTIDE_VERSION_MINOR 2
#define RIPTIDE_VERSION_PATCH 0
#define RIPTIDE_VERSION_NUM                                                                        \
  (RIPTIDE_VERSION_MAJOR * 10000 + RIPTIDE_VERSION_MINOR * 100 + RIPTIDE_VERSION_PATCH)
#define RIPTIDE_STR_(x) #x
#define RIPTIDE_XSTR_(x) RIPTIDE_STR_(x)
#define RIPTIDE_VERSION                                                                            \
  RIPTIDE_XSTR_(RIPTIDE_VERSION_MAJOR)                                                             \
  "." RIPTIDE_XSTR_(RIPTIDE_VERSION_MINOR) "." RIPTIDE_XSTR_(RIPTIDE_VERSION_PATCH)

/* ------------------------------------------------------------------------------------------ */
/* Errors: one table. Numbers are never reused.                                                */
/* ------------------------------------------------------------------------------------------ */

/* Error classes a caller can switch on. */
typedef enum riptide_err_class {
  RIPTIDE_CLASS_NONE = 0,
  RIPTIDE_CLASS_TIMEOUT,
  RIPTIDE_CLASS_TRAP,
  RIPTIDE_CLASS_LIMIT,
  RIPTIDE_CLASS_BREAKER_OPEN,
  RIPTIDE_CLASS_POOL_EXHAUSTED,
  RIPTIDE_CLASS_BAD_INPUT,
  RIPTIDE_CLASS_NOMEM,
  RIPTIDE_CLASS_BUSY,
  RIPTIDE_CLASS_IO,
  RIPTIDE_CLASS_INTERNAL,
} riptide_err_class;

/* X(name, number, class, message) */
#define RIPTIDE_ERRORS(X)                                                                          \
  X(OK, 0, NONE, "success")                                                                        \
  X(NOMEM, 1, NOMEM, "out of memory")                                                              \
  X(INVALID_ARG, 2, BAD_INPUT, "invalid argument")                                                 \
  X(BAD_INPUT, 3, BAD_INPUT, "input is not usable HTML")                                           \
  X(INPUT_TOO_LARGE, 4, LIMIT, "input exceeds the size limit")                                     \
  X(OUTPUT_TOO_LARGE, 5, LIMIT, "result exceeds the output size limit")                            \
  X(TIMEOUT, 6, TIMEOUT, "extraction exceeded its deadline")                                       \
  X(TRAP, 7, TRAP, "guest trapped")                                                                \
  X(MEMORY_LIMIT, 8, LIMIT, "extraction exceeded its memory cap")                                  \
  X(GUEST_ERROR, 9, INTERNAL, "guest reported an error")                                           \
  X(BAD_RESULT, 10, INTERNAL, "guest returned an invalid result")                                  \
  X(ABI_MISMATCH, 11, INTERNAL, "guest ABI version does not match the host")                       \
  X(CIRCUIT_OPEN, 12, BREAKER_OPEN, "circuit breaker is open")                                     \
  X(POOL_EXHAUSTED, 13, POOL_EXHAUSTED, "no instance became available within the wait limit")      \
  X(SHUTDOWN, 14, BUSY, "pool is shutting down")                                                   \
  X(IO, 15, IO, "input/output error")                                                              \
  X(FETCH, 16, IO, "fetching the URL failed")                                                      \
  X(DECODE, 17, BAD_INPUT, "input could not be decoded")                                           \
  X(UNSUPPORTED, 18, BAD_INPUT, "unsupported option or mode")                                      \
  X(PARSE_LIMIT, 19, LIMIT, "document exceeds a parser limit")                                     \
  X(SELECTOR, 20, BAD_INPUT, "invalid CSS selector")                                               \
  X(INSTANTIATE, 21, INTERNAL, "sandbox instance could not be created")                            \
  X(FALLBACK_FAILED, 22, INTERNAL, "native fallback extraction failed")                            \
  X(INTERNAL, 23, INTERNAL, "internal error")                                                      \
  X(UNSUPPORTED_TYPE, 24, BAD_INPUT, "content type is not HTML")

typedef enum riptide_err {
#define RIPTIDE_ERR_ENUM_(name, num, cls, msg) RIPTIDE_ERR_##name = num,
  RIPTIDE_ERRORS(RIPTIDE_ERR_ENUM_)
#undef RIPTIDE_ERR_ENUM_
} riptide_err;
#define RIPTIDE_OK RIPTIDE_ERR_OK

/* Human message for a code; never NULL (unknown codes give "unknown error"). */
RIPTIDE_API const char *riptide_strerror(riptide_err err);
/* Stable upper-case name of a code, e.g. "TIMEOUT"; never NULL. */
RIPTIDE_API const char *riptide_err_name(riptide_err err);
RIPTIDE_API riptide_err_class riptide_err_class_of(riptide_err err);
/* Lower-case class name, e.g. "timeout"; never NULL. */
RIPTIDE_API const char *riptide_err_class_name(riptide_err_class cls);

/*
 * Why the last call failed, in words: the trap kind, the limit that was hit and its value, the
 * part of a CSS selector that could not be parsed, the file or URL that could not be read.
 * Every function returning riptide_err sets it on this thread: to "" when it succeeds or knows
 * nothing beyond its code, to a sentence when it fails. Never NULL; the string is owned by the
 * library and valid on this thread until its next riptide_* call that returns riptide_err.
 * Thread-local, so concurrent failures on other threads do not overwrite it.
 */
RIPTIDE_API const char *riptide_last_error_detail(void);

/*
 * Frees a string or buffer the library returned (riptide_document_to_json,
 * riptide_event_to_json, riptide_metrics_to_prometheus, riptide_decode_input's output). Use it
 * rather than free() from bindings and from programs with another allocator or C runtime.
 * NULL is a no-op.
 */
RIPTIDE_API void riptide_free(void *p);

/* Kinds of guest traps. */
typedef enum riptide_trap {
  RIPTIDE_TRAP_NONE = 0,
  RIPTIDE_TRAP_OOB,                /* out-of-bounds memory or table access */
  RIPTIDE_TRAP_UNREACHABLE,        /* `unreachable` executed */
  RIPTIDE_TRAP_INT_DIV_ZERO,       /* integer division by zero */
  RIPTIDE_TRAP_INT_OVERFLOW,       /* integer overflow (INT_MIN / -1) */
  RIPTIDE_TRAP_INVALID_CONVERSION, /* float to int conversion out of range */
  RIPTIDE_TRAP_CALL_INDIRECT,      /* bad indirect call (null, out of range, signature) */
  RIPTIDE_TRAP_STACK_EXHAUSTION,   /* call stack exhausted */
  RIPTIDE_TRAP_INTERRUPT,          /* deadline interrupt (reported as RIPTIDE_ERR_TIMEOUT) */
  RIPTIDE_TRAP_OTHER,
  RIPTIDE_TRAP_COUNT_
} riptide_trap;
RIPTIDE_API const char *riptide_trap_name(riptide_trap t); /* "oob", "unreachable", ... */

/* ------------------------------------------------------------------------------------------ */
/* Documents                                                                                   */
/* ------------------------------------------------------------------------------------------ */

typedef enum riptide_mode {
  RIPTIDE_MODE_ARTICLE = 0, /* main content */
  RIPTIDE_MODE_FULL = 1,    /* all visible text */
  RIPTIDE_MODE_METADATA = 2,
  RIPTIDE_MODE_CUSTOM = 3, /* CSS selector chosen by the caller */
} riptide_mode;
RIPTIDE_API const char *riptide_mode_name(riptide_mode m);
/* Parses "article|full|metadata|custom"; returns RIPTIDE_ERR_UNSUPPORTED otherwise (s NULL
 * included), RIPTIDE_ERR_INVALID_ARG when out is NULL. */
RIPTIDE_API riptide_err riptide_mode_parse(const char *s, riptide_mode *out);

typedef struct riptide_link {
  char *href; /* absolute URL */
  char *text;
} riptide_link;

typedef struct riptide_media {
  char *src;     /* absolute URL */
  char *alt;     /* may be NULL */
  char *kind;    /* "image", "video", "audio" */
  char *caption; /* may be NULL: the caption of the figure the item is in (since 0.2.0) */
} riptide_media;

/*
 * An extracted document. Owned by the caller once returned; free it with
 * riptide_document_free(). Every string is UTF-8 and NUL-terminated, or NULL when absent.
 * Immutable after it is returned: safe to read from many threads, movable between threads.
 */
typedef struct riptide_document {
  char *url;           /* the page URL given by the caller (or NULL) */
  char *canonical_url; /* absolute */
  char *title;
  char *byline;
  char *date; /* ISO 8601 */
  char *site_name;
  char *description;
  char *language; /* BCP 47 primary tag, e.g. "en" */
  char *text;     /* paragraphs separated by blank lines */
  char *markdown; /* CommonMark + GFM tables */
  char *html;     /* cleaned content HTML */
  riptide_link *links;
  size_t n_links;
  riptide_media *media;
  size_t n_media;
  char **categories; /* categories and tags */
  size_t n_categories;
  uint32_t word_count;
  uint32_t reading_time; /* minutes */
  int32_t quality_score; /* 0-100, -1 unknown */

  /* Host fields. */
  const char *engine;          /* "wasm" or "native" (static string) */
  const char *fallback_reason; /* NULL, or "trap", "timeout", "memory_limit", "guest_error",
                                  "circuit_open", "pool_exhausted" (static string) */
  riptide_err guest_error;     /* why the guest failed when a fallback was used */
  riptide_trap trap;           /* trap kind when guest_error == RIPTIDE_ERR_TRAP */
  uint64_t wait_ns;            /* time waiting for a permit */
  uint64_t extract_ns;         /* time in the extractor (guest or native) */
  uint64_t instance_id;        /* slot that served the call, 0 for native */
  uint32_t truncated;          /* RIPTIDE_TRUNC_* bits: what a limit left out; 0 = complete */
  /* Fingerprints of `text` for deduplication, set by both engines (riptide_text_fingerprint;
   * docs/schema.md). has_fingerprint is false when there is no text (metadata mode). */
  uint64_t fingerprint;  /* 64-bit SimHash of the text's word shingles */
  uint8_t text_hash[16]; /* the first 16 bytes of SHA-256 of the normalised text */
  bool has_fingerprint;
  void *reserved_[4];
} riptide_document;

/* riptide_document.truncated: a limit changed the result, which is otherwise whole. The JSON
 * names them in "truncated" (docs/schema.md). */
#define RIPTIDE_TRUNC_DEPTH (1u << 0)      /* elements nested past the depth limit: text kept, */
                                           /* structure flattened */
#define RIPTIDE_TRUNC_ATTRIBUTES (1u << 1) /* attributes past the per-element limit dropped */
#define RIPTIDE_TRUNC_LINKS (1u << 2)      /* links past the per-document limit not listed */
#define RIPTIDE_TRUNC_MEDIA (1u << 3)      /* media past the per-document limit not listed */

RIPTIDE_API riptide_document *riptide_document_new(void); /* all fields empty */
RIPTIDE_API void riptide_document_free(riptide_document *doc);

/*
 * JSON of a document (snake_case fields, see README "Document schema"). `id` may be NULL; when
 * set it is written first. Returns a NUL-terminated string the caller frees with
 * riptide_free(), or NULL on out-of-memory.
 */
RIPTIDE_API char *riptide_document_to_json(const riptide_document *doc, const char *id,
                                           bool pretty);

/*
 * The fingerprints a document carries, of any text: `text_hash` is the first 16 bytes of
 * SHA-256 of the text normalised for comparison (ASCII letters folded to lower case, each run
 * of white space made one space, none at either end, other bytes as they are); `simhash` is a
 * 64-bit SimHash of its 3-word shingles, so near-duplicate texts have fingerprints a few bits
 * apart (compare with the number of differing bits). docs/schema.md gives the exact rules.
 * text may be NULL when len is 0. RIPTIDE_ERR_INVALID_ARG on NULL outputs, RIPTIDE_ERR_NOMEM
 * when no digest context could be had (SHA-256 is OpenSSL's libcrypto). Thread-safe.
 */
RIPTIDE_API riptide_err riptide_text_fingerprint(const char *text, size_t len, uint64_t *simhash,
                                                 uint8_t text_hash[16]);

/* ------------------------------------------------------------------------------------------ */
/* Extraction options                                                                          */
/* ------------------------------------------------------------------------------------------ */

typedef struct riptide_options {
  uint32_t size; /* set by riptide_options_init(); see Conventions */
  riptide_mode mode;
  const char *selector; /* CSS selector list for RIPTIDE_MODE_CUSTOM */
  bool want_markdown;   /* default true */
  bool want_html;       /* default false */
  bool want_links;      /* default true; false: no "links", and the Markdown, text and HTML
                           keep a link's text without its URL */
  bool want_media;      /* default true; false: no "media", and no images or figure captions
                           in the Markdown, text and HTML */
  /* Default NULL. Names the call in its pool events: the extraction.* and instance.* events
   * the call emits carry it as metadata "call_id" (cut to the event's bounded storage), so a
   * subscriber can tell which input an event is about (`riptide extract --events` puts the
   * input's id there). Copied while the call runs; the library keeps no pointer to it. */
  const char *call_id;
  bool want_tables; /* default true; false: no data tables in the Markdown, text and HTML
                       (nor their links and media; a layout table's content stays, see
                       docs/cli.md). Added after 0.1.0, past the struct's old end and its tail
                       padding: a program whose struct ends before it gets the default (see
                       Conventions) */
} riptide_options;
/* Fills *o with the defaults and o->size with `size` (the caller's sizeof riptide_options). */
RIPTIDE_API void riptide_options_init_sized(riptide_options *o, size_t size);
#define riptide_options_init(o) riptide_options_init_sized((o), sizeof *(o))
/* Checks a CSS selector list for RIPTIDE_MODE_CUSTOM without extracting: RIPTIDE_OK, or
 * RIPTIDE_ERR_SELECTOR with `detail` (may be NULL) naming the bad part and its byte position,
 * e.g. "pseudo-classes and pseudo-elements are not supported at position 1 (':hover')".
 * Both engines accept exactly the selectors this accepts; the pool checks every custom-mode
 * call with it before anything else. RIPTIDE_ERR_NOMEM when out of memory. Thread-safe. */
RIPTIDE_API riptide_err riptide_selector_check(const char *selector, char *detail,
                                               size_t detail_len);

/* ------------------------------------------------------------------------------------------ */
/* Pool                                                                                        */
/* ------------------------------------------------------------------------------------------ */

typedef uint64_t (*riptide_clock_fn)(void *ctx); /* monotonic nanoseconds */

/* The ranges riptide_pool_new() accepts for timeout_ms (1..RIPTIDE_MAX_TIMEOUT_MS) and
 * memory_cap_bytes (RIPTIDE_MIN_MEMORY_CAP..RIPTIDE_MAX_MEMORY_CAP); anything else is
 * RIPTIDE_ERR_INVALID_ARG. src/common/limits.h says why (the same values). */
#define RIPTIDE_MAX_TIMEOUT_MS 600000u
#define RIPTIDE_MIN_MEMORY_CAP (64ull << 10)
#define RIPTIDE_MAX_MEMORY_CAP (4ull << 30)

typedef struct riptide_pool_config {
  /* pool */
  uint32_t max_slots;         /* permits; default: CPUs, at least 2 */
  uint32_t warm_slots;        /* created by riptide_pool_new; default 2 */
  uint32_t acquire_wait_ms;   /* bounded wait for a permit; default 30000 */
  bool fallback_on_exhausted; /* default false: POOL_EXHAUSTED error */
  bool fallback_enabled;      /* native fallback on guest failure; default true */
  /* extraction */
  uint32_t timeout_ms;       /* per-call deadline; default 10000 */
  uint64_t memory_cap_bytes; /* per instance; default 256 MiB */
  uint64_t max_input_bytes;  /* default 64 MiB */
  uint64_t max_output_bytes; /* result cap; default 0 = 16 MiB + 4 bytes per input byte */
  /* circuit breaker */
  uint32_t breaker_window;          /* default 20 */
  uint32_t breaker_min_calls;       /* default 10 */
  uint32_t breaker_failure_pct;     /* default 50 */
  uint32_t breaker_cooldown_ms;     /* default 5000 */
  uint32_t breaker_probes;          /* default 3 */
  uint32_t breaker_max_cooldown_ms; /* default 60000 */
  /* health */
  uint32_t health_interval_ms;  /* default 30000; 0 disables the monitor thread */
  uint32_t max_slot_age_ms;     /* default 3600000 */
  uint32_t max_slot_failures;   /* default 5 */
  uint32_t max_slot_memory_pct; /* of memory_cap; default 80 */
  uint32_t max_grow_failures;   /* default 10 */
  uint32_t idle_shrink_ms;      /* default 1800000 */
  /* memory */
  uint64_t memory_budget_bytes; /* default max_slots * memory_cap */
  uint32_t memory_cleanup_pct;  /* default 80 */
  /* events */
  uint32_t event_ring_size; /* default 1024 */
  /* time source for breaker and health (tests); NULL = CLOCK_MONOTONIC */
  riptide_clock_fn clock;
  void *clock_ctx;
  void *reserved_[8];
} riptide_pool_config;
RIPTIDE_API void riptide_pool_config_init(riptide_pool_config *c);

/* A pool is shareable: every function below may be called from any thread at once,
 * except riptide_pool_free (call once, after no other thread uses the pool). A pool does not
 * cross fork(): in the child, create a new pool and neither use nor free the parent's (its
 * threads exist only in the parent); sandbox deadlines work in the child. */
typedef struct riptide_pool riptide_pool;

/* Creates a pool running the built-in guest extractor. On error *out is NULL. */
RIPTIDE_API riptide_err riptide_pool_new(const riptide_pool_config *cfg, riptide_pool **out);

/*
 * Extracts one document. `html` need not be NUL-terminated; `url` may be NULL.
 * On success *out is a document the caller frees with riptide_document_free(). A guest
 * failure with fallback enabled still succeeds, with doc->engine = "native" and
 * doc->fallback_reason set. On error *out is NULL.
 */
RIPTIDE_API riptide_err riptide_pool_extract(riptide_pool *pool, const char *html, size_t len,
                                             const char *url, const riptide_options *opts,
                                             riptide_document **out);

typedef struct riptide_pool_status {
  uint32_t size; /* bytes the library filled; see Conventions */
  uint64_t pool_id;
  uint32_t max_slots;
  uint32_t available; /* permits free now */
  uint32_t leased;    /* slots leased now */
  uint32_t idle;      /* created slots not leased */
  uint32_t in_flight; /* guest calls running now */
  uint32_t waiters;   /* callers waiting for a permit */
  int breaker_state;  /* 0 closed, 1 open, 2 half-open (also once an open phase's cooldown
                         has ended: the next call is a probe) */
  bool shutting_down;
  /* Real memory of the guest slots (private pages of their linear memory, as the sandbox
   * measures them at each reset; the memory budget and the health check use these): */
  uint64_t resident_bytes;  /* held by live slots after their last reset */
  uint64_t peak_call_bytes; /* the largest any one call reached since the pool was created */
} riptide_pool_status;
/* Fills the first `size` bytes of *st (NULL pool: all zero). RIPTIDE_ERR_INVALID_ARG on a bad
 * size or NULL st. */
RIPTIDE_API riptide_err riptide_pool_status_get_sized(riptide_pool *pool, riptide_pool_status *st,
                                                      size_t size);
#define riptide_pool_status_get(pool, st) riptide_pool_status_get_sized((pool), (st), sizeof *(st))

/* Refuses new calls, waits up to deadline_ms for calls in flight; returns RIPTIDE_ERR_TIMEOUT
 * if some were still running (they finish, but the pool is then unusable). */
RIPTIDE_API riptide_err riptide_pool_shutdown(riptide_pool *pool, uint32_t deadline_ms);
/* Shuts down (if not yet), waits for every call still inside a riptide_pool_* function of
 * this pool on other threads (they end: new ones are refused), and frees everything. NULL is
 * a no-op. Misuse is detected, not crashed on silently: a riptide_pool_* call that starts
 * on a pool being freed aborts the process with a message naming the call (it would
 * otherwise use freed memory); a call on a pool already freed is undefined behaviour. */
RIPTIDE_API void riptide_pool_free(riptide_pool *pool);

/* ------------------------------------------------------------------------------------------ */
/* Events                                                                                      */
/* ------------------------------------------------------------------------------------------ */

typedef enum riptide_severity {
  RIPTIDE_SEV_TRACE = 0,
  RIPTIDE_SEV_DEBUG,
  RIPTIDE_SEV_INFO,
  RIPTIDE_SEV_WARN,
  RIPTIDE_SEV_ERROR,
  RIPTIDE_SEV_CRITICAL,
} riptide_severity;
RIPTIDE_API const char *riptide_severity_name(riptide_severity s);

#define RIPTIDE_EVENT_MAX_META 8
typedef struct riptide_event {
  uint32_t size;    /* sizeof the library's riptide_event: a field lies past it = not filled */
  const char *type; /* e.g. "pool.instance_created", "extraction.completed" */
  riptide_severity severity;
  uint64_t timestamp_ns; /* CLOCK_REALTIME */
  uint64_t seq;          /* emission order */
  uint64_t pool_id;
  uint64_t instance_id; /* 0 when none */
  uint32_t n_meta;
  const char *meta_key[RIPTIDE_EVENT_MAX_META];
  const char *meta_val[RIPTIDE_EVENT_MAX_META];
  bool truncated; /* a metadata key or value was cut to fit the event's bounded storage */
} riptide_event;

/* Called on the dispatcher thread, never under a pool lock. The event is valid only during
 * the call. */
typedef void (*riptide_event_fn)(const riptide_event *ev, void *ctx);

/* Subscribes to events whose type starts with `prefix` ("" = all) at or above `min`.
 * Returns a subscription id > 0, or 0 on error. */
RIPTIDE_API uint64_t riptide_pool_subscribe(riptide_pool *pool, const char *prefix,
                                            riptide_severity min, riptide_event_fn fn, void *ctx);
/* After it returns, the handler is not running and is never called again. Exception: called
 * from inside a handler (on the dispatcher thread) it does not wait for that running call. */
RIPTIDE_API void riptide_pool_unsubscribe(riptide_pool *pool, uint64_t sub_id);
/* JSON of one event (one line). Caller frees with riptide_free(). */
RIPTIDE_API char *riptide_event_to_json(const riptide_event *ev);

/* ------------------------------------------------------------------------------------------ */
/* Metrics                                                                                     */
/* ------------------------------------------------------------------------------------------ */

#define RIPTIDE_HIST_BUCKETS 24 /* bucket i counts values < 2^i microseconds; last is +Inf */

typedef struct riptide_histogram {
  uint64_t count;
  uint64_t sum_ns;
  uint64_t buckets[RIPTIDE_HIST_BUCKETS]; /* non-cumulative */
} riptide_histogram;
/* Upper bound of bucket i in nanoseconds (UINT64_MAX for the last). */
RIPTIDE_API uint64_t riptide_histogram_bound_ns(int i);
/* Quantile q in [0,1] estimated from the buckets, in nanoseconds. */
RIPTIDE_API uint64_t riptide_histogram_quantile(const riptide_histogram *h, double q);

typedef enum riptide_fallback_reason {
  RIPTIDE_FB_TRAP = 0,
  RIPTIDE_FB_TIMEOUT,
  RIPTIDE_FB_MEMORY_LIMIT,
  RIPTIDE_FB_GUEST_ERROR,
  RIPTIDE_FB_CIRCUIT_OPEN,
  RIPTIDE_FB_POOL_EXHAUSTED,
  RIPTIDE_FB_COUNT_
} riptide_fallback_reason;
RIPTIDE_API const char *riptide_fallback_reason_name(riptide_fallback_reason r);

/* A consistent snapshot: totals add up (extractions_total = succeeded + failed; the sum of
 * fallbacks_by_reason = fallbacks). */
typedef struct riptide_metrics {
  uint32_t size; /* bytes the library filled; see Conventions */
  uint64_t extractions_total;
  uint64_t extractions_succeeded; /* a document was returned (guest or fallback) */
  uint64_t extractions_failed;    /* an error was returned */
  uint64_t succeeded_wasm;
  uint64_t succeeded_native;
  uint64_t fallbacks;
  uint64_t fallbacks_by_reason[RIPTIDE_FB_COUNT_];
  uint64_t traps_by_kind[RIPTIDE_TRAP_COUNT_];
  uint64_t timeouts;
  uint64_t grow_failures;
  uint64_t pool_exhausted;
  uint64_t breaker_trips;
  int breaker_state; /* as in riptide_pool_status */
  uint64_t slots_created;
  uint64_t slots_destroyed;
  uint32_t slots_idle;
  uint32_t slots_leased;
  uint32_t in_flight;
  uint64_t guest_pages; /* sum of current pages over live slots */
  uint64_t events_emitted;
  uint64_t events_dropped;
  riptide_histogram permit_wait;
  riptide_histogram extract_duration;
  uint64_t guest_resident_bytes;  /* as riptide_pool_status.resident_bytes */
  uint64_t guest_peak_call_bytes; /* as riptide_pool_status.peak_call_bytes */
} riptide_metrics;
/* Fills the first `size` bytes of *m (NULL pool: all zero). RIPTIDE_ERR_INVALID_ARG on a bad
 * size or NULL m. */
RIPTIDE_API riptide_err riptide_pool_metrics_sized(riptide_pool *pool, riptide_metrics *m,
                                                   size_t size);
#define riptide_pool_metrics(pool, m) riptide_pool_metrics_sized((pool), (m), sizeof *(m))
/* Prometheus text exposition of a snapshot (fields past m->size count as zero). Caller frees
 * with riptide_free(). */
RIPTIDE_API char *riptide_metrics_to_prometheus(const riptide_metrics *m);

/* ------------------------------------------------------------------------------------------ */
/* Native extraction (no sandbox): the fallback engine, usable directly.                       */
/* ------------------------------------------------------------------------------------------ */
/* Runs under the default limits (riptide_native_limits_init). */
RIPTIDE_API riptide_err riptide_extract_native(const char *html, size_t len, const char *url,
                                               const riptide_options *opts, riptide_document **out);

/* The limits of one native call, as the pool applies them to its fallback. A call that passes
 * its deadline returns RIPTIDE_ERR_TIMEOUT, one whose tree would pass the memory cap
 * RIPTIDE_ERR_MEMORY_LIMIT, one whose text + Markdown + HTML would pass the output cap
 * RIPTIDE_ERR_OUTPUT_TOO_LARGE. */
typedef struct riptide_native_limits {
  uint32_t timeout_ms;       /* default 10000; 0 = no deadline */
  uint64_t memory_cap_bytes; /* parse tree and input copy; default 256 MiB; 0 = no cap */
  uint64_t max_input_bytes;  /* default 64 MiB */
  uint64_t max_output_bytes; /* default 0 = 16 MiB + 4 bytes per input byte */
  void *reserved_[4];
} riptide_native_limits;
RIPTIDE_API void riptide_native_limits_init(riptide_native_limits *l);
/* riptide_extract_native under `lim` (NULL = defaults). */
RIPTIDE_API riptide_err riptide_extract_native_limited(const char *html, size_t len,
                                                       const char *url, const riptide_options *opts,
                                                       const riptide_native_limits *lim,
                                                       riptide_document **out);

/* ------------------------------------------------------------------------------------------ */
/* Input decoding: gzip and charset -> UTF-8.                                                  */
/* ------------------------------------------------------------------------------------------ */
/*
 * Decodes raw bytes into UTF-8 HTML: gunzips when gzip magic is present (output capped at
 * max_bytes, so gzip bombs stop with RIPTIDE_ERR_INPUT_TOO_LARGE), detects the charset from a
 * BOM, `content_type` (may be NULL) or <meta charset>, converts with iconv, replaces invalid
 * bytes with U+FFFD. Undeclared input that is UTF-8 with a few bad bytes stays UTF-8.
 * max_bytes 0 means RIPTIDE's default (64 MiB); data may be NULL when len is 0. On success
 * *out is NUL-terminated and the caller frees it with riptide_free(); on error *out is NULL.
 */
RIPTIDE_API riptide_err riptide_decode_input(const void *data, size_t len, const char *content_type,
                                             uint64_t max_bytes, char **out, size_t *out_len);
/*
 * riptide_decode_input() without a copy for input that is already clean UTF-8 (the common
 * case), for a caller that owns a writable buffer: buf holds len bytes and has room for at
 * least one more (the NUL is written at buf[len]). When the bytes need no change (no gzip, no
 * conversion, no invalid byte or NUL; a UTF-8 BOM is removed in place) the result is decoded
 * in place and *out == buf; otherwise *out is a new malloc'd buffer. Either way buf stays the
 * caller's: free *out only when *out != buf. buf may be modified in both cases. On error
 * *out is NULL. Thread-safe (no shared state).
 */
RIPTIDE_API riptide_err riptide_decode_input_inplace(char *buf, size_t len,
                                                     const char *content_type, uint64_t max_bytes,
                                                     char **out, size_t *out_len);

/* ------------------------------------------------------------------------------------------ */
/* URL fetching (libcurl): http and https only.                                                */
/* ------------------------------------------------------------------------------------------ */
typedef struct riptide_fetch_options {
  uint32_t timeout_ms;         /* whole transfer; default 30000 */
  uint32_t connect_timeout_ms; /* default 10000 */
  uint32_t max_redirects;      /* default 10 */
  uint64_t max_bytes;          /* body cap after content decoding; default 64 MiB */
  const char *user_agent;      /* default "riptide/<version>" */
  void *reserved_[4];
  /* Refuse to connect to addresses that are not public (loopback, private, link-local,
   * multicast, unspecified, ...), checked on every connection curl opens, redirects included,
   * and ignore proxy settings so that the check sees the real peer; a refused URL is
   * RIPTIDE_ERR_INVALID_ARG with a detail naming the address. Default false (the CLI fetches
   * what its user names); a service fetching for clients sets it (SSRF). */
  bool public_only;
} riptide_fetch_options;
RIPTIDE_API void riptide_fetch_options_init(riptide_fetch_options *o);

/* A fetched body. Its fields are owned by the caller; free them with
 * riptide_fetch_result_clear(). */
typedef struct riptide_fetch_result {
  uint32_t size; /* bytes the library filled; see Conventions */
  char *body;    /* raw bytes (Content-Encoding already undone), NUL-terminated */
  size_t len;
  char *content_type; /* may be NULL */
  char *final_url;    /* after redirects */
  long status;        /* HTTP status */
} riptide_fetch_result;

/*
 * Fetches `url` (redirects followed, compressed encodings accepted, body capped at
 * max_bytes -> RIPTIDE_ERR_INPUT_TOO_LARGE). A transport failure or an HTTP status >= 400 is
 * RIPTIDE_ERR_FETCH; `detail` (may be NULL) receives a human message. Thread-safe. On error
 * *res holds no allocation.
 */
RIPTIDE_API riptide_err riptide_fetch_url_sized(const char *url, const riptide_fetch_options *o,
                                                riptide_fetch_result *res, size_t res_size,
                                                char *detail, size_t detail_len);
#define riptide_fetch_url(url, o, res, detail, detail_len)                                         \
  riptide_fetch_url_sized((url), (o), (res), sizeof *(res), (detail), (detail_len))
RIPTIDE_API void riptide_fetch_result_clear(riptide_fetch_result *res);

/* ------------------------------------------------------------------------------------------ */
/* WARC input (WARC/1.0 and 1.1; plain, one gzip member per record, or one gzip stream).       */
/* ------------------------------------------------------------------------------------------ */
/*
 * A streaming reader of the pages in a WARC file, in constant memory (one record at a time).
 * Each call of riptide_warc_next() gives one item: a page (a `response` record with an HTML
 * payload, or a `resource` record of HTML), a record skipped and why, or a record that could
 * not be read and why (the reader then resynchronises at the next record). Every record of the
 * file is one item, so a caller can account for all of them.
 */
typedef struct riptide_warc riptide_warc;

typedef enum riptide_warc_kind {
  RIPTIDE_WARC_PAGE = 1,    /* body holds the page */
  RIPTIDE_WARC_SKIPPED = 2, /* skip_reason says why */
  RIPTIDE_WARC_ERROR = 3    /* error says why; err is the code (BAD_INPUT, INPUT_TOO_LARGE) */
} riptide_warc_kind;

/* Strings and body are owned by the reader and valid until the next call. */
typedef struct riptide_warc_item {
  riptide_warc_kind kind;
  const char *id;           /* WARC-Record-ID without "<urn:uuid:" and ">"; "" if absent */
  const char *type;         /* WARC-Type */
  const char *url;          /* WARC-Target-URI, NULL if absent */
  const char *date;         /* WARC-Date, "" if absent */
  const char *content_type; /* the payload's type: the HTTP header's, or the record's */
  const char *truncated;    /* WARC-Truncated ("length", "time", ...), NULL if not */
  const char *body;         /* PAGE: the payload after transfer/content decoding, NUL-terminated */
  size_t body_len;
  int http_status;         /* response records: the HTTP status, else 0 */
  const char *skip_reason; /* SKIPPED: "warcinfo", "request", "metadata", "revisit",
                              "status", "not_html", "other" */
  const char *error;       /* ERROR: a human message */
  riptide_err err;         /* ERROR: the code */
  uint64_t offset;         /* where the record starts in the (decompressed) stream */
} riptide_warc_item;

/* 1 when the first bytes of a file (at least 512 when the file is that long) are WARC: plain,
 * or gzip whose data starts with a WARC record. */
RIPTIDE_API int riptide_warc_sniff(const void *head, size_t n);
/* A reader over fd (the caller keeps and closes fd). max_page_bytes caps a record's block and
 * a decoded payload (0: 64 MiB); any_status keeps responses whose HTTP status is not 200. */
RIPTIDE_API riptide_err riptide_warc_open(int fd, uint64_t max_page_bytes, bool any_status,
                                          riptide_warc **out);
/* 1: *item holds the next record; 0: the end of the file; -1: a read error (errno set). */
RIPTIDE_API int riptide_warc_next(riptide_warc *w, riptide_warc_item *item);
/* Takes the body of the PAGE item riptide_warc_next() just gave, so the caller keeps it past
 * the next call: returns the body (item->body_len bytes and a NUL, writable, e.g. for
 * riptide_decode_input_inplace()) and sets *mem to the allocation holding it, which the
 * caller frees with riptide_free(); the body may start inside it. Usually no copy is made: a
 * gzip member is inflated into a buffer of its own size (its trailer's ISIZE) that is handed
 * over. item->body is not valid after. NULL (and *mem NULL) when the last item was not a
 * page, was already taken, or on out-of-memory. */
RIPTIDE_API char *riptide_warc_take_body(riptide_warc *w, void **mem);
RIPTIDE_API void riptide_warc_close(riptide_warc *w);

/*
 * Deferred bodies: inflating a page is most of a WARC reader's time, and it can be done by
 * whichever thread extracts the page. After riptide_warc_defer_bodies(w, true), a PAGE item
 * may come with body NULL (body_len is set): its record was a gzip member of its own, of
 * which the reader inflated only the record and HTTP headers. riptide_warc_take_deferred()
 * then takes the page as a riptide_warc_body (the compressed member and where the payload
 * lies in it), which riptide_warc_body_inflate() finishes on any thread, independently of
 * the reader (it may be closed). Only `response` pages with no chunked transfer coding or
 * gzip/deflate content coding, in a member that holds that record alone (its trailer's ISIZE
 * says so) and lies whole in the reader's 1 MiB read buffer, are deferred; the others (and
 * plain files, one whole-file gzip stream, damaged or truncated members the headers show)
 * are read as without deferral, and riptide_warc_take_deferred() wraps their decoded body.
 * A deferred member found damaged when inflated (bad data, CRC or size mismatch) is that
 * page's error: RIPTIDE_ERR_BAD_INPUT, "record at offset N: damaged gzip data in its block"
 * (without deferral the reader reports it, as an ERROR item or after the page); stream offsets
 * of later records count the member's ISIZE. riptide_warc_take_body() still works on a
 * deferred page (it inflates in the calling thread, and returns NULL when that fails).
 */
typedef struct riptide_warc_body riptide_warc_body;
RIPTIDE_API void riptide_warc_defer_bodies(riptide_warc *w, bool on);
/* Takes the body of the PAGE item riptide_warc_next() just gave, deferred or not. NULL when
 * the last item was not a page, was already taken, or on out-of-memory. */
RIPTIDE_API riptide_warc_body *riptide_warc_take_deferred(riptide_warc *w);
/* The payload's length (the item's body_len). */
RIPTIDE_API size_t riptide_warc_body_size(const riptide_warc_body *b);
/* Finishes a body (once): *body (NUL-terminated, writable) and *len as riptide_warc_take_body()
 * gives them, in *mem, which the caller frees with riptide_free(). On error (BAD_INPUT: the
 * member is damaged; NOMEM) nothing is allocated and detail (may be NULL) says why. Any
 * thread; one body is used by one thread at a time. */
RIPTIDE_API riptide_err riptide_warc_body_inflate(riptide_warc_body *b, char **body, size_t *len,
                                                  void **mem, char *detail, size_t detail_len);
/* Frees a body, inflated or not (what riptide_warc_body_inflate() gave stays the caller's). */
RIPTIDE_API void riptide_warc_body_free(riptide_warc_body *b);
/*
 * A deferred body can be finished in another process (`riptide submit` sends it to its
 * workers through Redis). riptide_warc_body_member() gives its gzip member, as the file holds
 * it (owned by b, valid until b is inflated or freed), and sets *len, *payload_at (where the
 * page starts in what the member inflates to; it is riptide_warc_body_size() bytes long) and
 * *offset (the record's, which the error of a damaged member names). NULL when b is not a
 * member (the reader decoded it: riptide_warc_body_inflate() only hands it over) or was
 * inflated.
 *
 * riptide_warc_body_from_member() makes a body of those (the member's bytes are copied), which
 * riptide_warc_body_inflate() finishes as it finishes any deferred body: a member that is not
 * whole (or is followed by other bytes), fails its CRC, or does not inflate to a payload of
 * payload_len bytes at payload_at (sizes that cannot be a deferred page's are not trusted:
 * nothing beyond the payload and at most 64 KiB of headers is allocated, and a member longer
 * than the reader's 1 MiB read buffer is not copied) is BAD_INPUT, "record at offset N:
 * damaged gzip data in its block". Errors here: INVALID_ARG (out NULL, or member NULL with len),
 * INPUT_TOO_LARGE (payload_len over max_page_bytes; 0: 64 MiB), NOMEM. The new body is the
 * caller's (riptide_warc_body_free).
 */
RIPTIDE_API const void *riptide_warc_body_member(const riptide_warc_body *b, size_t *len,
                                                 size_t *payload_at, uint64_t *offset);
RIPTIDE_API riptide_err riptide_warc_body_from_member(const void *member, size_t len,
                                                      size_t payload_at, size_t payload_len,
                                                      uint64_t offset, uint64_t max_page_bytes,
                                                      riptide_warc_body **out);

/* Library version string ("0.2.0") and number (RIPTIDE_VERSION_NUM of the library actually
 * loaded, which may differ from the header a program was built with), and guest info (JSON:
 * name, version, abi, features, modes). */
RIPTIDE_API const char *riptide_version(void);
RIPTIDE_API int riptide_version_number(void);
RIPTIDE_API const char *riptide_guest_info(void);

#ifdef __cplusplus
}
#endif
#endif /* RIPTIDE_H */
