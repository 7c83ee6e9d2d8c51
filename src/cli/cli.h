/*
 * cli.h - internals of the `riptide` command, shared between its files (prefix cli_).
 * The command uses only the public library API (include/riptide.h).
 */
#ifndef RT_CLI_H
#define RT_CLI_H

#include <riptide.h>

#include "cli/corpus.h"

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
  bool multi_doc; /* several documents on standard output: markdown/txt ones start with
                     their id (front matter / "==> id <==", output.c) */
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
  cli_corpus_opts corpus; /* --target-language, --min-words, --min-quality, --dedupe */
  char **inputs;          /* FILE, URL or "-" */
  int n_inputs;
  char **input_dirs;
  int n_input_dirs;
  char **input_files; /* --input-file manifests (FILE or "-") */
  int n_input_files;
} cli_config;

/* ---- output controls (outopts.c), shared by extract and bench --------------------------- */

/* getopt values of the output controls (above any other command's option values). */
enum {
  CLI_OPT_LINKS = 0x4000,
  CLI_OPT_NO_LINKS,
  CLI_OPT_IMAGES,
  CLI_OPT_NO_IMAGES,
  CLI_OPT_TABLES,
  CLI_OPT_NO_TABLES,
};
/* clang-format off */
/* Entries for a getopt_long table. */
#define CLI_OUTPUT_LONGOPTS                                                                        \
  {"links", no_argument, NULL, CLI_OPT_LINKS},                                                     \
      {"no-links", no_argument, NULL, CLI_OPT_NO_LINKS},                                           \
      {"images", no_argument, NULL, CLI_OPT_IMAGES},                                               \
      {"no-images", no_argument, NULL, CLI_OPT_NO_IMAGES},                                         \
      {"tables", no_argument, NULL, CLI_OPT_TABLES},                                               \
      {"no-tables", no_argument, NULL, CLI_OPT_NO_TABLES}
/* Their --help lines (docs/cli.md quotes them through scripts/gen-cli-doc.sh). */
#define CLI_OUTPUT_USAGE                                                                           \
  "      --links, --no-links  keep links (default: no): in Markdown as [text](url), and the\n"     \
  "                           \"links\" array; without, a link is its text, no URL\n"              \
  "      --images, --no-images\n"                                                                  \
  "                           keep images and media (default: no): Markdown images, figure\n"      \
  "                           captions, the \"media\" array; without, all of them go\n"            \
  "      --tables, --no-tables\n"                                                                  \
  "                           keep tables (default: yes); without, data tables go from\n"          \
  "                           the Markdown, text and HTML (layout tables' content stays)\n"
/* clang-format on */
/* The command's defaults: links and images off, tables on. */
void cli_output_defaults(riptide_options *o);
/* Applies an output control's getopt value; false when ch is not one. */
bool cli_output_option(int ch, riptide_options *o);

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
/* Length of s's URL scheme when s starts with "scheme://" (RFC 3986 scheme characters), else
 * 0: "ftp://x/" gives 3. Inputs with a scheme other than http(s) are refused by name. */
size_t cli_url_scheme_len(const char *s);
/* Is a fetched body a page? text/html and application/xhtml+xml are; image, audio, video,
 * font, model types and application/pdf are not; any other type, or none, is judged by the
 * bytes (the WHATWG sniffing patterns for HTML: "<!DOCTYPE HTML", "<html", "<p", ... after
 * whitespace). When not, detail says why (for RIPTIDE_ERR_UNSUPPORTED_TYPE). */
bool cli_html_response(const char *content_type, const char *body, size_t len, char *detail,
                       size_t dlen);
/* Fetches a page as `riptide extract` does (riptide_fetch_url, at most `max` bytes, within
 * max(3 x timeout_ms, 30 s) when timeout_ms is set, the library's default otherwise): a
 * response that is not a page (cli_html_response) is RIPTIDE_ERR_UNSUPPORTED_TYPE; an empty
 * body is the caller's to report. fr is filled as riptide_fetch_url fills it, also on error. */
riptide_err cli_fetch_page(const char *url, uint64_t max, uint32_t timeout_ms,
                           riptide_fetch_result *fr, char *detail, size_t dlen);
/* The inputs `riptide extract` (and submit) refuse before reading any, as usage errors: a URL
 * of a scheme other than http(s), a URL with spaces or control bytes, '-' given more than once
 * among the inputs and the manifests. False with the message in msg. */
bool cli_inputs_usable(char *const *inputs, int n, char *const *manifests, int n_manifests,
                       char *msg, size_t mlen);
/* False when s has a space, a control byte or DEL (a URL must percent-encode them). */
bool cli_url_clean(const char *s);
/* s made safe to print on a terminal: C0 controls and DEL as \xHH, C1 controls (UTF-8
 * C2 80-C2 9F) as \u00HH, so a file name cannot send escape sequences. malloc'd; NULL on
 * out of memory. */
char *cli_escape_terminal(const char *s);
/* The id of an input: file name without .gz/.html/.htm, the URL itself, or "stdin".
 * Returns a malloc'd string. */
char *cli_input_id(const char *src);
/* Is standard input a page to read when no input is named: a pipe, socket or regular file
 * (not a terminal, not /dev/null, not closed)? */
bool cli_stdin_has_page(void);
/* Replaces bytes that are not valid UTF-8 with '?', in place. */
void cli_utf8_clean(char *s);
/* Length (2-4) of the well-formed UTF-8 sequence at s (a NUL-terminated string, *s >= 0x80),
 * or 0 (overlong forms, surrogates, code points past U+10FFFF, truncated sequences). */
size_t cli_utf8_seq_len(const unsigned char *s);
/* Is path a WARC file, by content (plain, or gzip holding WARC records)? URLs and "-" are
 * not; a path that cannot be opened or is not a regular file is not. */
bool cli_is_warc_file(const char *path);
/* The id of a WARC record's error line (extract's, and a worker's for a damaged member): its
 * record id, else path@offset (malloc'd, UTF-8 cleaned; NULL when out of memory). */
char *cli_warc_error_id(const char *path, const char *rec_id, uint64_t offset);
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

/* ---- manifests (manifest.c): --input-file, shared by extract and submit ------------------- */

/* One input a line: a path, an http(s) URL, or "path<TAB>url" (the URL is the page address);
 * blank lines and '#' comments skipped. Read lazily, one line at a time. Thread-bound. */
typedef struct cli_manifest cli_manifest;
/* The longest line (a path or URL, or both): a longer one is a bad line, never a bigger buffer. */
#define CLI_MANIFEST_MAX_LINE 65536
typedef struct cli_manifest_entry {
  const char *src;   /* the input (path or URL) */
  const char *url;   /* the address after the tab, or NULL */
  const char *error; /* non-NULL: this line is not a usable input (src says which) */
} cli_manifest_entry;
/* Opens FILE, or standard input for "-". On error, detail says why (escaped for a terminal). */
riptide_err cli_manifest_open(const char *path, cli_manifest **out, char *detail, size_t dlen);
/* The next input: 1 (e's strings valid until the next call), 0 at the end, -1 on a read
 * error (e->error says why). */
int cli_manifest_next(cli_manifest *m, cli_manifest_entry *e);
/* The number of the line last returned (1-based). */
uint64_t cli_manifest_line(const cli_manifest *m);
void cli_manifest_close(cli_manifest *m); /* NULL is a no-op */

/* ---- the terminal (term.c) ---------------------------------------------------------------- */

/* Columns of the terminal on fd (TIOCGWINSZ), else $COLUMNS, else 80. */
unsigned cli_term_width(int fd);
/* The progress line ("[####....] 12/40  30%  8.1 pages/s  ETA 0:03  failed 1"; without a total
 * "12 done  8.1 pages/s  failed 1") in at most width - 1 columns: the bar shrinks or goes,
 * then the ETA, the failures, the rate. Written to out (cap bytes), NUL-terminated. */
void cli_progress_format(char *out, size_t cap, unsigned width, uint64_t done, uint64_t total,
                         uint64_t failed, double elapsed_s);

/* ---- output (output.c) --------------------------------------------------------------------- */

/* Appends the output text of one document in the configured format to b (a JSON document
 * ends with a newline). False when the buffer failed (out of memory, over its ceiling). */
bool cli_format_document(const cli_config *c, const riptide_document *doc, const char *id,
                         cli_buf *b);
/* Appends {"id": ..., "error": {"code": ..., "message": ...}} and a newline (pretty for json). */
bool cli_format_error(const cli_config *c, const char *id, riptide_err err, const char *detail,
                      cli_buf *b);
const char *cli_format_ext(cli_format f);
/* A WARC page's JSON document (one object, as cli_format_document or
 * riptide_document_to_json wrote it, optionally followed by a newline) also names its record:
 * "warc_date" (null when empty) and "warc_file" go in as the object's last members
 * (docs/schema.md). False when the buffer failed or does not end with an object. */
bool cli_add_warc_fields(cli_buf *o, bool pretty, const char *warc_date, const char *warc_file);

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
