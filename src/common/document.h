/*
 * document.h - internal (prefix rt_): a growing byte buffer, and a document's JSON written
 * straight into one (no intermediate JSON tree). riptide_document_to_json() is built on it;
 * the command writes each result into a buffer it reuses from page to page.
 */
#ifndef RT_DOCUMENT_H
#define RT_DOCUMENT_H

#include "riptide.h"

#include <stdbool.h>
#include <stddef.h>

/* A buffer's default ceiling: 16 MiB of guest output (RT_DEFAULT_MAX_OUTPUT) is at most
 * ~96 MiB of JSON even if every byte needed a six-byte \u escape; 1 GiB leaves room for
 * documents from other sources while still stopping a runaway. */
#define RT_BUF_DEFAULT_MAX (1ull << 30)

/* p[0..len) is the content; once anything was written p[len] is '\0'. `failed` is set (and
 * further writes ignored) when growing would pass `max` (0 = RT_BUF_DEFAULT_MAX) or malloc
 * fails. Zero-initialise to start; rt_buf_free() to release. */
typedef struct rt_buf {
  char *p;
  size_t len, cap;
  size_t max;
  bool failed;
} rt_buf;

/* Room for `extra` more bytes (plus the NUL); false (and `failed`) when impossible. */
bool rt_buf_reserve(rt_buf *b, size_t extra);
void rt_buf_put(rt_buf *b, const char *s, size_t n);
void rt_buf_puts(rt_buf *b, const char *s);
/* printf into the buffer, under the same cap. */
void rt_buf_printf(rt_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rt_buf_free(rt_buf *b);

/* s[0..n) as a JSON string literal: quotes, escapes as jansson writes them (\" \\ \b \f \n
 * \r \t, \u00XX for other control bytes; '/' and non-ASCII left as they are), and every byte
 * that is not part of well-formed UTF-8 replaced with U+FFFD. */
void rt_json_put_string(rt_buf *b, const char *s, size_t n);
/* The same for a NUL-terminated string; NULL gives `null`. */
void rt_json_put_cstr(rt_buf *b, const char *s);

/* Appends the JSON of doc (the format of riptide_document_to_json: fields in the order of
 * docs/schema.md, compact or indented by 2) to b. False on failure (b->failed). */
bool rt_document_json_write(rt_buf *b, const riptide_document *doc, const char *id, bool pretty);

#endif
