/*
 * nfc.h - internal (prefix rt_): a document's text fields in Unicode Normalization Form C.
 * Both engines end with rt_document_finish(): NFC, then the fingerprints of the NFC text
 * (docs/schema.md). Thread-safe; the tables are built once, on first use.
 */
#ifndef RT_COMMON_NFC_H
#define RT_COMMON_NFC_H

#include "riptide.h"

#include <stdbool.h>
#include <stddef.h>

/* s[0..n) in NFC, malloc'd (*out_len bytes, NUL-terminated), or NULL when it is already in
 * NFC, is not well-formed UTF-8 (it is left as it is) or memory ran out (*nomem). */
char *rt_nfc(const char *s, size_t n, size_t *out_len, bool *nomem);

/* Title, byline, site name, description, text, Markdown, link texts, image alt texts and
 * captions, and categories in NFC; `html` as it is. False when memory ran out (the field it
 * stopped at and the ones after it stay as they were). */
bool rt_document_nfc(riptide_document *doc);

/* The last step of both engines on a document: rt_document_nfc(), then
 * rt_document_fingerprint() (simhash.h) of its text. */
void rt_document_finish(riptide_document *doc);

#endif
