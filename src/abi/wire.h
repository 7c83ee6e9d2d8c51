/*
 * wire.h - the host's decoder of guest results (wire format: abi.h).
 *
 * The bytes come from an untrusted guest: every record length is checked against the buffer,
 * strings must be valid UTF-8 without NUL bytes, integers exactly 4 bytes, singular fields
 * appear at most once, a link's text / a media item's alt and kind only right after their
 * href / src. Any violation is RIPTIDE_ERR_BAD_RESULT with a detail naming the offset.
 * Unknown tags are skipped (forward compatibility). Pure function: thread-safe.
 */
#ifndef RT_WIRE_H
#define RT_WIRE_H

#include "common/utf8.h" /* rt_utf8_valid */
#include "riptide.h"

#include <stddef.h>
#include <stdint.h>

/* At most this many links, media items and categories each (a guest cannot make the host
 * allocate more than the result size allows anyway; this bounds the arrays explicitly). */
#define RT_WIRE_MAX_ITEMS (1u << 20)

/*
 * Decodes `len` bytes into a new document (fields from the guest only: engine, url and the
 * other host fields are left for the caller). On success *out is owned by the caller
 * (riptide_document_free). On failure *out is NULL, and `detail` (may be NULL) receives a
 * NUL-terminated explanation. Errors: BAD_RESULT, NOMEM, INVALID_ARG.
 */
riptide_err rt_wire_decode(const uint8_t *data, size_t len, riptide_document **out, char *detail,
                           size_t detail_len);

#endif
