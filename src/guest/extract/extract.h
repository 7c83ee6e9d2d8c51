/*
 * extract.h - the guest's content extractor (DESIGN.md §3).
 *
 * Portable C11: compiled into the wasm32 guest (through src/guest/guest_exports.c, which
 * implements ABI v1) and natively (tests, benchmarks). No stdio, no WASI: only memory and
 * string functions of libc.
 */
#ifndef GUEST_EXTRACT_H
#define GUEST_EXTRACT_H

#include "abi/abi.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ex_options {
  uint32_t mode;        /* riptide_mode: 0 article, 1 full, 2 metadata, 3 custom */
  const char *selector; /* custom mode; NUL-terminated, may be NULL */
  bool markdown, html, links, media;
  bool tables;      /* "tables=0": no tables in text, Markdown, HTML (nor their links and media) */
  size_t mem_limit; /* parser arena bound, 0 = unlimited */
  bool parse_only;  /* "parse_only=1": parse, then return an empty document (benchmarks) */
} ex_options;

/* Sets the defaults (article, markdown+links+media+tables on, html off). */
void ex_options_init(ex_options *o);
/* Parses the ABI's "key=value\n" option lines into *o (keeps mode). Returns RT_GUEST_OK or
 * RT_GUEST_BAD_ARGS. `buf` must stay alive as long as *o is used (selector points into a
 * copy owned by the caller's scratch). */
rt_guest_status ex_options_parse(ex_options *o, const char *opts, size_t len, char *scratch,
                                 size_t scratch_len);

/*
 * Extracts one document and writes its fields to `w` (wire format, abi.h). Returns
 * RT_GUEST_OK, or RT_GUEST_NOMEM / RT_GUEST_PARSE_LIMIT / RT_GUEST_SELECTOR / ... on failure
 * (w may then hold a partial result the caller discards).
 */
rt_guest_status ex_extract(const char *html, size_t len, const char *url, size_t url_len,
                           const ex_options *o, rt_wire_writer *w);

/* Guest info JSON: {"name","version","abi","features":[...],"modes":[...]}. Static. */
const char *ex_info(void);

#endif
