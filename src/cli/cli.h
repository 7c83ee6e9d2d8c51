/*
 * cli.h - internals of the `riptide` command, shared between its files (prefix cli_).
 * The command uses only the public library API (include/riptide.h).
 */
#ifndef RT_CLI_H
#define RT_CLI_H

#include <riptide.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* ---- a growing byte buffer (output.c) ------------------------------------------------------ */

/* Results are formatted into one buffer per ring slot, reused from page to page. */
#define CLI_BUF_MAX (1ull << 30) /* far above any page's output; stops a runaway */
/* p[0..len) is the content; once anything was written p[len] is '\0'. `failed` is set (and
 * further writes ignored) when growing would pass max (CLI_BUF_MAX) or malloc fails.
 * Zero-initialise to start; cli_buf_free() to release. */
typedef struct cli_buf {
  char *p;
  size_t len, cap;
  size_t max; /* content limit; 0: CLI_BUF_MAX */
  bool failed;
} cli_buf;
void cli_buf_put(cli_buf *b, const char *s, size_t n);
void cli_buf_puts(cli_buf *b, const char *s);
void cli_buf_free(cli_buf *b);
/* s as a JSON string literal, escaped as jansson writes it (\" \\ \b \f \n \r \t, \u00XX for
 * other control bytes; '/' and non-ASCII as they are), bytes that are not well-formed UTF-8
 * replaced with U+FFFD; NULL gives null. */
void cli_json_string(cli_buf *b, const char *s);

/* Exit codes. */
#define CLI_EXIT_OK 0
#define CLI_EXIT_FAILED 1
#define CLI_EXIT_USAGE 2

typedef enum cli_format {
  CLI_FMT_JSON = 0,
  CLI_FMT_JSONL,
  CLI_FMT_MARKDOWN,
  CLI_FMT_TXT,
} cli_format;

typedef struct cli_config {
  cli_format format;
  riptide_options opts;
  bool with_metadata;
  bool quiet;
  bool stats;
  bool no_fallback;
  bool native;   /* --engine native: no pool, the native extractor only */
  bool progress; /* decided at start: stderr is a terminal and not --quiet */
  unsigned parallel;
  uint32_t timeout_ms;
  uint64_t memory_limit;
  uint64_t max_input;
  uint64_t max_output; /* --max-output; 0 = the library's automatic cap */
  const char *output_dir;
  const char *base_url; /* page URL for files and stdin (--base-url), or NULL */
  bool warc_any_status; /* --warc-status any: WARC responses of every HTTP status are pages */
  const char *events_path;
  char **inputs; /* FILE, URL or "-" */
  int n_inputs;
  char **input_dirs;
  int n_input_dirs;
} cli_config;

/* Reasons a WARC record is not a page (batch.c counts them for the summary). */
#define CLI_WARC_SKIP_KINDS 7

/* ---- engine (engine.c): the one place that chooses pool or native extraction --------------- */

typedef struct cli_engine {
  riptide_pool *pool; /* NULL with --engine native */
  FILE *events;       /* --events file */
  uint64_t sub_id;
  pthread_mutex_t events_lock; /* guards writes to `events` from the dispatcher thread */
  int events_errno;            /* guarded by events_lock: the first write error, 0 if none */
  riptide_native_limits native_limits; /* --engine native: the pool's limits, from the options */
} cli_engine;

riptide_err cli_engine_open(cli_engine *e, const cli_config *c, char *detail, size_t dlen);
riptide_err cli_engine_extract(cli_engine *e, const char *html, size_t len, const char *url,
                               const riptide_options *o, riptide_document **out);
/* Final metrics (--stats) on f; a note when there is no pool. */
void cli_engine_print_stats(cli_engine *e, FILE *f);
/* Frees the pool, then closes the events file. Returns 0, or the errno of the first failed
 * write to the events file (including its final flush). */
int cli_engine_close(cli_engine *e);

/* ---- inputs (inputs.c) --------------------------------------------------------------------- */

bool cli_is_url(const char *s);
/* Is a fetched body a page? text/html and application/xhtml+xml are; image, audio, video,
 * font, model types and application/pdf are not; any other type, or none, is judged by the
 * bytes (the WHATWG sniffing patterns for HTML: "<!DOCTYPE HTML", "<html", "<p", ... after
 * whitespace). When not, detail says why (for RIPTIDE_ERR_UNSUPPORTED_TYPE). */
bool cli_html_response(const char *content_type, const char *body, size_t len, char *detail,
                       size_t dlen);
/* False when s has a space, a control byte or DEL (a URL must percent-encode them). */
bool cli_url_clean(const char *s);
/* s made safe to print on a terminal: C0 controls and DEL as \xHH, C1 controls (UTF-8
 * C2 80-C2 9F) as \u00HH, so a file name cannot send escape sequences. malloc'd; NULL on
 * out of memory. */
char *cli_escape_terminal(const char *s);
/* The id of an input: file name without .gz/.html/.htm, the URL itself, or "stdin".
 * Returns a malloc'd string. */
char *cli_input_id(const char *src);
/* Replaces bytes that are not valid UTF-8 with '?', in place. */
void cli_utf8_clean(char *s);
/* Length (2-4) of the well-formed UTF-8 sequence at s (a NUL-terminated string, *s >= 0x80),
 * or 0 (overlong forms, surrogates, code points past U+10FFFF, truncated sequences). */
size_t cli_utf8_seq_len(const unsigned char *s);
/* Does a file name have an extension the directory walk takes (.html, .htm, .gz)? */
bool cli_wanted_file(const char *name);
/* Reads a whole file (or stdin for "-") up to max bytes. On RIPTIDE_ERR_INPUT_TOO_LARGE or
 * RIPTIDE_ERR_IO, detail says why. *out is malloc'd. */
riptide_err cli_read_source(const char *path, uint64_t max, char **out, size_t *len, char *detail,
                            size_t dlen);
/* The same into a buffer the caller keeps from file to file: *buf (capacity *cap, both may
 * start NULL/0) is grown as needed, never past max + 2 bytes, and stays the caller's whatever
 * the result. On success (*buf)[*len] is '\0'. */
riptide_err cli_read_file(const char *path, uint64_t max, char **buf, size_t *cap, size_t *len,
                          char *detail, size_t dlen);
/* Walks dir recursively in sorted order, calling fn for each input: error is NULL for a file
 * to read (a wanted name that is not a directory; path is valid during the call), or says
 * why path is a failed input that cannot be read at all (a directory that cannot be listed,
 * one nested deeper than the walk's limit, an entry gone since the listing). Nothing under
 * dir is skipped silently but names without a wanted extension. Symbolic links to
 * directories are not followed. Returns false when fn returned false (stop). */
typedef bool (*cli_walk_fn)(const char *path, const char *error, void *ctx);
bool cli_walk_dir(const char *dir, cli_walk_fn fn, void *ctx);
/* A file name made from an id: [A-Za-z0-9._-] kept, the rest '_', no leading dot, at most
 * 150 bytes, never empty. Written to out (cap >= 160). */
void cli_safe_name(const char *id, char *out, size_t cap);

/* ---- output (output.c) --------------------------------------------------------------------- */

/* Appends the output text of one document in the configured format to b (a JSON document
 * ends with a newline). False when the buffer failed (out of memory, over its ceiling). */
bool cli_format_document(const cli_config *c, const riptide_document *doc, const char *id,
                         cli_buf *b);
/* Appends {"id": ..., "error": {"code": ..., "message": ...}} and a newline (pretty for json). */
bool cli_format_error(const cli_config *c, const char *id, riptide_err err, const char *detail,
                      cli_buf *b);
const char *cli_format_ext(cli_format f);

/* ---- statistics (stats.c) ------------------------------------------------------------------ */

/* Log-spaced latency histogram: ~3 % resolution from 1 us to ~20 min, fixed size. */
#define CLI_LAT_BUCKETS 800
typedef struct cli_latency {
  uint64_t count;
  uint64_t buckets[CLI_LAT_BUCKETS];
} cli_latency;
void cli_latency_add(cli_latency *h, uint64_t ns);
uint64_t cli_latency_quantile(const cli_latency *h, double q);
void cli_latency_merge(cli_latency *into, const cli_latency *from);
uint64_t cli_now_ns(void);

/* ---- commands ------------------------------------------------------------------------------ */

int cli_run_extract(cli_config *c);
int cli_bench(int argc, char **argv);
typedef enum { CLI_PARSE_OK = 0, CLI_PARSE_BAD, CLI_PARSE_RANGE } cli_parse_result;
/* "10" (seconds), "10s", "500ms", "2m": a plain decimal number and a unit (no sign, exponent,
 * hex, nan or inf); in range from 1 ms to RIPTIDE_MAX_TIMEOUT_MS. */
cli_parse_result cli_parse_duration_ms(const char *s, uint32_t *out);
/* "1048576", "512K", "64M", "1G", "1T" (powers of 1024; "iB" or "B" may follow), in [min, max]
 * bytes. */
cli_parse_result cli_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* Prints "CMD: OPT 'ARG' is out of range (LO to HI UNIT)" and the --help hint for CMD ("riptide",
 * "riptide serve"); returns CLI_EXIT_USAGE. */
int cli_range_error(const char *cmd, const char *opt, const char *arg, const char *lo,
                    unsigned long long hi, const char *unit);
/* --memory-limit: from 4 MiB (the extractor's image alone is 1.25 MiB of wasm memory before a
 * page is parsed; smaller caps cannot even start an instance) to RIPTIDE_MAX_MEMORY_CAP. */
#define CLI_MIN_MEMORY_LIMIT (4ull << 20)
#define CLI_MIN_MEMORY_LIMIT_TEXT "4M"
/* --max-size: from 1 byte to 1 TiB. */
#define CLI_MAX_INPUT_LIMIT (1ull << 40)
unsigned cli_cpu_count(void);

#endif
