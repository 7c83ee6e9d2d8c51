/*
 * fallback.h - internals of the native (libxml2) extraction engine shared between its files.
 * The public entry points are riptide_extract_native() and riptide_extract_native_limited() in
 * riptide.h; the pool calls fb_extract() with its configured limits.
 */
#ifndef RT_FALLBACK_H
#define RT_FALLBACK_H

#include "common/limits.h"
#include "riptide.h"

#include <libxml/tree.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FB_MAX_ATTRS RT_FALLBACK_MAX_ATTRS
#define FB_FEED_DEPTH RT_FALLBACK_FEED_DEPTH
#define FB_TREE_DEPTH RT_FALLBACK_TREE_DEPTH

/* One call's limits, resolved. */
typedef struct fb_limits {
  uint64_t deadline_ns; /* CLOCK_MONOTONIC (fb_now_ns); 0 = none */
  uint64_t memory_cap;  /* bytes the parse may charge (see parse.c); 0 = none */
  uint64_t max_output;  /* bytes of text + Markdown + HTML; 0 = none */
} fb_limits;

uint64_t fb_now_ns(void);

/* Fills `lim` from the public limits (NULL = defaults) for an input of `len` bytes, starting
 * the deadline now. */
void fb_limits_resolve(const riptide_native_limits *in, size_t len, fb_limits *lim);

/* Parses html[0..len) with libxml2 under `lim` (parse.c). On success *out is the tree (the
 * caller frees it with xmlFreeDoc; NULL for an input with no markup at all) and the
 * RIPTIDE_TRUNC_* bits of what was bounded are OR-ed into *truncated. Errors: TIMEOUT,
 * MEMORY_LIMIT, NOMEM (*out is then NULL). */
riptide_err fb_parse(const char *html, size_t len, const char *url, const fb_limits *lim,
                     xmlDoc **out, uint32_t *truncated);

/* The native extraction under resolved limits (native.c). */
riptide_err fb_extract(const char *html, size_t len, const char *url, const riptide_options *opts,
                       const fb_limits *lim, riptide_document **out);

/* The outermost elements of doc matching a CSS selector list (src/guest/css/selector.h), in
 * document order: *out is a malloc'd array of *n nodes (caller frees; NULL when none).
 * RIPTIDE_ERR_SELECTOR for a selector outside the subset, RIPTIDE_ERR_NOMEM. */
riptide_err fb_css_select(xmlDoc *doc, const char *selector, xmlNode ***out, size_t *n);

#endif
