/*
 * fallback.h - internals of the native (libxml2) extraction engine shared between its files.
 * The public entry point is riptide_extract_native() in riptide.h.
 */
#ifndef RT_FALLBACK_H
#define RT_FALLBACK_H

#include "riptide.h"

#include <stdbool.h>
#include <stddef.h>

/* Translates a CSS selector list into an XPath 1.0 expression written to out (NUL-terminated).
 * Returns false for a selector outside the supported subset (see selector.c) or when the
 * expression would not fit in cap bytes. */
bool fb_css_to_xpath(const char *css, char *out, size_t cap);

#endif
