/*
 * simhash.h - internal (prefix rt_): a document text's fingerprints for deduplication.
 *
 * Both are computed from the text as normalised for comparison (docs/schema.md, "fingerprint
 * and text_hash"): ASCII letters folded to lower case, every run of white space (ASCII white
 * space and the Unicode spaces listed in simhash.c) made one space, none at either end, every
 * other byte as it is (no Unicode case folding; the text is in NFC already, nfc.h).
 *  - text_hash: the first 16 bytes of SHA-256 of the normalised text, so anyone can recompute
 *    it with any SHA-256 tool.
 *  - fingerprint: a 64-bit SimHash of the text's 3-word shingles (words: runs of letters and
 *    digits; each CJK, kana or Hangul character is a word of its own). Texts that differ in a
 *    few words have fingerprints a few bits apart; unrelated texts differ in about 32 bits.
 */
#ifndef RT_COMMON_SIMHASH_H
#define RT_COMMON_SIMHASH_H

#include "riptide.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Words per shingle. */
#define RT_SIMHASH_SHINGLE 3

/* SHA-256 (FIPS 180-4), incremental, by OpenSSL's libcrypto. init false: no memory (nothing
 * to free); after a failed update, final is false. final frees the context either way. */
typedef struct rt_sha256 {
  struct evp_md_ctx_st *ctx;
} rt_sha256;
bool rt_sha256_init(rt_sha256 *s);
void rt_sha256_update(rt_sha256 *s, const void *data, size_t n);
bool rt_sha256_final(rt_sha256 *s, uint8_t out[32]);

/* Both fingerprints of text[0..len) (any bytes; NUL is an ordinary byte). False only when
 * libcrypto could not allocate its digest context. */
bool rt_text_fingerprint(const char *text, size_t len, uint64_t *simhash, uint8_t hash[16]);

/* Sets doc->fingerprint, doc->text_hash and doc->has_fingerprint from doc->text (a document
 * without text has none). Called by both engines when a document is finished. */
void rt_document_fingerprint(riptide_document *doc);

#endif
