/*
 * fallback.h - internals of the native (libxml2) extraction engine shared between its files.
 * The public entry point is riptide_extract_native() in riptide.h.
 */
#ifndef RT_FALLBACK_H
#define RT_FALLBACK_H

#include "riptide.h"

#include <libxml/tree.h>

#include <stdbool.h>
#include <stddef.h>

/* The outermost elements of doc matching a CSS selector list (src/guest/css/selector.h), in
 * document order: *out is a malloc'd array of *n nodes (caller frees; NULL when none).
 * RIPTIDE_ERR_SELECTOR for a selector outside the subset, RIPTIDE_ERR_NOMEM. */
riptide_err fb_css_select(xmlDoc *doc, const char *selector, xmlNode ***out, size_t *n);

#endif
