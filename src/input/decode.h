/*
 * decode.h - internal (prefix rt_): the input decoder without a copy for input that is
 * already clean UTF-8 (the common case), for callers that own a writable buffer.
 */
#ifndef RT_DECODE_H
#define RT_DECODE_H

#include "riptide.h"

#include <stddef.h>
#include <stdint.h>

/*
 * riptide_decode_input() on a writable buffer: buf holds len bytes and has room for at least
 * one more (for the NUL). When the bytes are already clean UTF-8 (no gzip, no conversion, no
 * invalid byte or NUL; a UTF-8 BOM is removed in place), the result is decoded in place and
 * *out == buf; otherwise *out is a new malloc'd buffer. Either way buf stays the caller's: it
 * frees *out only when *out != buf.
 */
riptide_err rt_decode_input_buf(char *buf, size_t len, const char *content_type, uint64_t max_bytes,
                                char **out, size_t *out_len);

#endif
