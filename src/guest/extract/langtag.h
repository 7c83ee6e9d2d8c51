/*
 * langtag.h - a declared language (<html lang>, content-language, og:locale, JSON-LD
 * inLanguage) as a lower-case BCP 47 primary subtag; shared by both engines.
 */
#ifndef RIPTIDE_GUEST_EXTRACT_LANGTAG_H
#define RIPTIDE_GUEST_EXTRACT_LANGTAG_H

#include <stdbool.h>
#include <stddef.h>

/* "de-DE", "DE", "de_AT", "German", "Deutsch", "deu", "de, en" -> "de"; deprecated codes mapped
 * ("iw" -> "he"); false for what names no language ("", "und", "mul", "zxx", free text, a tag
 * whose primary subtag is not 2-3 letters). out receives at most 3 letters and a NUL. */
bool rt_lang_normalise(const char *s, size_t n, char out[4]);

#endif
