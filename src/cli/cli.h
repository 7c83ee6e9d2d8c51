/*
 * cli.h - internals of the `riptide` command, shared between its files (prefix cli_).
 * The command uses only the public library API (include/riptide.h).
 */
#ifndef RT_CLI_H
#define RT_CLI_H

#include "riptide.h"
#include "common/document.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

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
  const char *events_path;
  char **inputs; /* FILE, URL or "-" */
  int n_inputs;
  char **input_dirs;
  int n_input_dirs;
} cli_config;

/* ---- engine (engine.c): the one place that chooses pool or native extraction --------------- */

typedef struct cli_engine {
  riptide_pool *pool; /* NULL with --engine native */
  FILE *events;       /* --events file */
  uint64_t sub_id;
  pthread_mutex_t events_lock;         /* guards writes to `events` from the dispatcher thread */
  riptide_native_limits native_limits; /* --engine native: the pool's limits, from the options */
} cli_engine;

riptide_err cli_engine_open(cli_engine *e, const cli_config *c, char *detail, size_t dlen);
riptide_err cli_engine_extract(cli_engine *e, const char *html, size_t len, const char *url,
                               const riptide_options *o, riptide_document **out);
/* Final metrics (--stats) on f; a note when there is no pool. */
void cli_engine_print_stats(cli_engine *e, FILE *f);
void cli_engine_close(cli_engine *e);

/* ---- inputs (inputs.c) --------------------------------------------------------------------- */

bool cli_is_url(const char *s);
/* The id of an input: file name without .gz/.html/.htm, the URL itself, or "stdin".
 * Returns a malloc'd string. */
char *cli_input_id(const char *src);
/* Replaces bytes that are not valid UTF-8 with '?', in place. */
void cli_utf8_clean(char *s);
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
/* Walks dir recursively in sorted order, calling fn for each wanted regular file (path is
 * valid during the call). Symbolic links to directories are not followed. Returns false if
 * fn returned false (stop) or dir could not be opened (detail set). */
typedef bool (*cli_walk_fn)(const char *path, void *ctx);
bool cli_walk_dir(const char *dir, cli_walk_fn fn, void *ctx, char *detail, size_t dlen);
/* A file name made from an id: [A-Za-z0-9._-] kept, the rest '_', no leading dot, at most
 * 150 bytes, never empty. Written to out (cap >= 160). */
void cli_safe_name(const char *id, char *out, size_t cap);

/* ---- output (output.c) --------------------------------------------------------------------- */

/* Appends the output text of one document in the configured format to b (a JSON document
 * ends with a newline). False when the buffer failed (out of memory, over its ceiling). */
bool cli_format_document(const cli_config *c, const riptide_document *doc, const char *id,
                         rt_buf *b);
/* Appends {"id": ..., "error": {"code": ..., "message": ...}} and a newline (pretty for json). */
bool cli_format_error(const cli_config *c, const char *id, riptide_err err, const char *detail,
                      rt_buf *b);
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
bool cli_parse_duration_ms(const char *s, uint32_t *out);
bool cli_parse_size(const char *s, uint64_t *out);
unsigned cli_cpu_count(void);

#endif
