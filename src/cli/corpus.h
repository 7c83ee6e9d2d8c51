/*
 * corpus.h - the corpus stage of `riptide extract` (prefix cli_): filters by language, length
 * and quality, and deduplication by fingerprint (docs/cli.md "Corpus filters and dedup").
 *
 * A filtered input is not lost: it is a "skipped" result of its own ({"id", "skipped":
 * {"reason", ...}} in json/jsonl), counted in the summary by reason, so inputs = ok + skipped
 * + failed. Filters are decided by the worker that extracted the page; duplicates by the
 * output role, in input order, so the result does not depend on --parallel.
 */
#ifndef RT_CLI_CORPUS_H
#define RT_CLI_CORPUS_H

#include <riptide.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cli_config;
struct cli_buf;

/* --target-language takes at most this many codes. */
#define CLI_MAX_TARGET_LANGS 16
/* --dedupe-distance: 0 (same fingerprint) to 16 bits of 64. Past ~8 unrelated short texts
 * begin to merge, and the index compares more candidates (it splits the fingerprint into
 * distance + 1 bands, so each band is shorter). */
#define CLI_DEDUPE_DISTANCE_DEFAULT 3u
#define CLI_DEDUPE_DISTANCE_MAX 16u

typedef struct cli_corpus_opts {
  char langs[CLI_MAX_TARGET_LANGS][4]; /* lower-case primary subtags, 2-3 letters */
  int n_langs;                         /* 0: no language filter */
  uint32_t min_words;                  /* 0: none */
  int min_quality;                     /* -1: none */
  bool dedupe;
  unsigned dedupe_distance;
} cli_corpus_opts;

/* The defaults: no filter, no dedup, distance CLI_DEDUPE_DISTANCE_DEFAULT. */
void cli_corpus_opts_init(cli_corpus_opts *o);
/* Is any filter or --dedupe on (the summary then counts skipped inputs)? */
bool cli_corpus_active(const cli_corpus_opts *o);
/* "en" or "en,de,pt" (case-insensitive; 2-3 ASCII letters each). False when s is not that. */
bool cli_corpus_parse_languages(const char *s, cli_corpus_opts *o);

typedef enum cli_skip_reason {
  CLI_SKIP_NONE = 0,
  CLI_SKIP_LANGUAGE,
  CLI_SKIP_MIN_WORDS,
  CLI_SKIP_MIN_QUALITY,
  CLI_SKIP_DUPLICATE,
  CLI_SKIP_KINDS
} cli_skip_reason;
/* "language", "min_words", "min_quality", "duplicate". */
const char *cli_skip_name(cli_skip_reason r);

/* What the corpus stage knows of one result (kept in the batch's job). */
typedef struct cli_corpus_result {
  cli_skip_reason reason;
  char language[36];  /* LANGUAGE: the document's language ("" when it has none) */
  int64_t value, min; /* MIN_WORDS, MIN_QUALITY: the document's figure (-1: unknown), the bar */
  /* DUPLICATE: the first document's id (the index's copy, valid until its next add) */
  const char *duplicate_of;
  unsigned distance; /* DUPLICATE: bits between the two fingerprints */
  bool dedupable;    /* the document has a fingerprint and at least one word */
  uint64_t fingerprint;
} cli_corpus_result;

/* Applies the filters to doc: true when it is skipped (r->reason and details set). Also notes
 * its fingerprint for the dedup stage. */
bool cli_corpus_filter(const cli_corpus_opts *o, const riptide_document *doc, cli_corpus_result *r);
/* The skipped result's line, {"id": ..., "skipped": {"reason": ..., ...}} and a newline
 * (pretty for -f json), appended to b. False when the buffer failed. */
bool cli_corpus_format_skip(const struct cli_config *c, const char *id, const cli_corpus_result *r,
                            struct cli_buf *b);
/* "language de", "12 words, under 50", "duplicate of ID (distance 2)": for stderr. */
void cli_corpus_describe(const cli_corpus_result *r, char *out, size_t cap);

/* ---- dedup index (dedup.c) ----------------------------------------------------------------- */

/*
 * The fingerprints of the documents kept so far in a run, to find an earlier one within a
 * Hamming distance d of a new one without comparing all pairs. Pigeonhole: split the 64 bits
 * into d + 1 bands; two fingerprints at most d bits apart agree exactly on at least one band.
 * Each band has a hash table from the band's value to the newest document with it, and each
 * document a link to the previous one with the same value, so the candidates of a query are the
 * documents that share a band with it; each is verified by counting differing bits.
 * Memory: 8 bytes (fingerprint) + 4 per band per document, plus the band tables (at most two
 * slots of 4 bytes per distinct band value), plus the ids. Thread-bound: the output role owns it.
 */
typedef struct cli_dedup cli_dedup;
/* NULL on out of memory. distance <= CLI_DEDUPE_DISTANCE_MAX. */
cli_dedup *cli_dedup_new(unsigned distance);
void cli_dedup_free(cli_dedup *d);
/* The earliest document within the distance of fp: its index (in order of adding) and the
 * distance, or -1 when there is none. */
int64_t cli_dedup_find(const cli_dedup *d, uint64_t fp, unsigned *distance);
/* Adds fp (with its id, copied). False on out of memory or when 2^32 - 1 are held. */
bool cli_dedup_add(cli_dedup *d, uint64_t fp, const char *id);
/* The id of document i. */
const char *cli_dedup_id(const cli_dedup *d, uint64_t i);
uint64_t cli_dedup_count(const cli_dedup *d);
/* Bytes allocated: for the index (fingerprints, links, band tables), and for the ids. */
void cli_dedup_memory(const cli_dedup *d, size_t *index_bytes, size_t *id_bytes);

/* The dedup stage of one result, in input order (output role): a result not skipped by a filter
 * that is within the distance of an earlier remembered document becomes a DUPLICATE skip (out
 * is rewritten with the skipped line in json/jsonl, *has_out says whether there is output).
 * d NULL (no --dedupe): nothing. */
void cli_corpus_dedupe(const cli_dedup *d, const struct cli_config *c, const char *id,
                       cli_corpus_result *r, struct cli_buf *out, bool *has_out);
/* Once a kept result is written: remembers it for the results after it (a dedupable one, not
 * skipped). False on out of memory. */
bool cli_corpus_remember(cli_dedup *d, const cli_corpus_result *r, const char *id);

#endif
