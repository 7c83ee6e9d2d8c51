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

#define RIPTIDE_VERSION "0.1.0"

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
  X(INTERNAL, 23, INTERNAL, "internal error")

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
/* Parses "article|full|metadata|custom"; returns RIPTIDE_ERR_UNSUPPORTED otherwise. */
RIPTIDE_API riptide_err riptide_mode_parse(const char *s, riptide_mode *out);

typedef struct riptide_link {
  char *href; /* absolute URL */
  char *text;
} riptide_link;

typedef struct riptide_media {
  char *src;  /* absolute URL */
  char *alt;  /* may be NULL */
  char *kind; /* "image", "video", "audio" */
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
 * set it is written first. Returns a malloc'd NUL-terminated string the caller frees with
 * free(), or NULL on out-of-memory.
 */
RIPTIDE_API char *riptide_document_to_json(const riptide_document *doc, const char *id,
                                           bool pretty);

/* ------------------------------------------------------------------------------------------ */
/* Extraction options                                                                          */
/* ------------------------------------------------------------------------------------------ */

typedef struct riptide_options {
  riptide_mode mode;
  const char *selector; /* CSS selector list for RIPTIDE_MODE_CUSTOM */
  bool want_markdown;   /* default true */
  bool want_html;       /* default false */
  bool want_links;      /* default true */
  bool want_media;      /* default true */
} riptide_options;
RIPTIDE_API void riptide_options_init(riptide_options *o);

/* ------------------------------------------------------------------------------------------ */
/* Pool                                                                                        */
/* ------------------------------------------------------------------------------------------ */

typedef uint64_t (*riptide_clock_fn)(void *ctx); /* monotonic nanoseconds */

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
 * except riptide_pool_free (call once, after no other thread uses the pool). */
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
  uint64_t pool_id;
  uint32_t max_slots;
  uint32_t available; /* permits free now */
  uint32_t leased;    /* slots leased now */
  uint32_t idle;      /* created slots not leased */
  uint32_t in_flight; /* guest calls running now */
  uint32_t waiters;   /* callers waiting for a permit */
  int breaker_state;  /* 0 closed, 1 open, 2 half-open */
  bool shutting_down;
} riptide_pool_status;
RIPTIDE_API void riptide_pool_status_get(riptide_pool *pool, riptide_pool_status *st);

/* Refuses new calls, waits up to deadline_ms for calls in flight; returns RIPTIDE_ERR_TIMEOUT
 * if some were still running (they finish, but the pool is then unusable). */
RIPTIDE_API riptide_err riptide_pool_shutdown(riptide_pool *pool, uint32_t deadline_ms);
/* Shuts down (if not yet) and frees everything. NULL is a no-op. */
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
/* JSON of one event (one line). Caller frees with free(). */
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
  int breaker_state; /* 0 closed, 1 open, 2 half-open */
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
} riptide_metrics;
RIPTIDE_API void riptide_pool_metrics(riptide_pool *pool, riptide_metrics *m);
/* Prometheus text exposition of a snapshot. Caller frees with free(). */
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
 * bytes with U+FFFD. On success *out is malloc'd (caller frees) and NUL-terminated.
 */
RIPTIDE_API riptide_err riptide_decode_input(const void *data, size_t len, const char *content_type,
                                             uint64_t max_bytes, char **out, size_t *out_len);

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
} riptide_fetch_options;
RIPTIDE_API void riptide_fetch_options_init(riptide_fetch_options *o);

/* A fetched body. Fields are malloc'd; free them with riptide_fetch_result_clear(). */
typedef struct riptide_fetch_result {
  char *body; /* raw bytes (Content-Encoding already undone), NUL-terminated */
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
RIPTIDE_API riptide_err riptide_fetch_url(const char *url, const riptide_fetch_options *o,
                                          riptide_fetch_result *res, char *detail,
                                          size_t detail_len);
RIPTIDE_API void riptide_fetch_result_clear(riptide_fetch_result *res);

/* Library version string and guest info (JSON: name, version, abi, features, modes). */
RIPTIDE_API const char *riptide_version(void);
RIPTIDE_API const char *riptide_guest_info(void);

#ifdef __cplusplus
}
#endif
#endif /* RIPTIDE_H */
