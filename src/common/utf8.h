/* utf8.h - the one UTF-8 sequence check shared by the host's decoders and serialisers. */
#ifndef RT_UTF8_H
#define RT_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length (1-4) of the well-formed UTF-8 sequence at s, which has `left` >= 1 bytes, or 0 when
 * the bytes there are not one (overlong forms, surrogates and code points past U+10FFFF are
 * rejected, as the Encoding standard's decoder does). */
size_t rt_utf8_seq_len(const unsigned char *s, size_t left);

/* Strict UTF-8 check of s[0..n) (no overlongs, surrogates or code points past U+10FFFF);
 * NUL allowed. */
bool rt_utf8_valid(const unsigned char *s, size_t n);

/* The same, and when `no_nul` also free of NUL bytes. ASCII runs are checked 32 and 8 bytes at
 * a time (16 with SSE2): this scan runs over every input page and every guest result. */
bool rt_utf8_check(const unsigned char *s, size_t n, bool no_nul);

#endif
