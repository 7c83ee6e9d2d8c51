/*
 * sized.h - structs that grow between versions without breaking binaries built against an
 * older (or newer) riptide.h.
 *
 * Every growable public struct (riptide_options, riptide_metrics, riptide_pool_status,
 * riptide_event, riptide_fetch_result) starts with `uint32_t size`. The header's macros pass
 * sizeof as the caller's program was compiled, so the library knows how much of the struct the
 * caller has. The rule is Linux's copy_struct_from_user():
 *  - into the library (options): the caller's first `size` bytes are read; fields past them take
 *    their defaults; bytes the library does not know (size larger than its struct) must be zero,
 *    else RIPTIDE_ERR_UNSUPPORTED (the caller asked for something this library cannot do);
 *  - out of the library (metrics, status, fetch result): exactly `size` bytes are written, the
 *    library's struct cut to them or zero-filled past its end, and the written `size` field says
 *    how many bytes the library filled (a caller built against a newer header sees which of its
 *    fields this library did not know).
 * A size smaller than the size field itself or larger than RT_SIZED_MAX is a bad size
 * (RIPTIDE_ERR_INVALID_ARG, nothing read or written), e.g. an uninitialised or zeroed struct.
 */
#ifndef RT_COMMON_SIZED_H
#define RT_COMMON_SIZED_H

#include "riptide.h"

#include <stdbool.h>
#include <stddef.h>

/* Largest size accepted: any real struct is far smaller, a larger one is garbage. */
#define RT_SIZED_MAX 65536u

/* True when `size` is acceptable; otherwise sets the error detail naming `what`. */
bool rt_sized_ok(const char *what, size_t size);
/* Copies the caller's `usize` bytes of `src` over `dst` (ksize bytes, already holding the
 * defaults), then sets dst's size field to ksize. RIPTIDE_ERR_INVALID_ARG on a bad size,
 * RIPTIDE_ERR_UNSUPPORTED when bytes past ksize are not zero (error detail set). */
riptide_err rt_sized_in(const char *what, void *dst, size_t ksize, const void *src, size_t usize);
/* Writes `src` (ksize bytes) to the caller's `dst` of `usize` bytes as described above. The
 * size must have been checked with rt_sized_ok. */
void rt_sized_out(void *dst, size_t usize, const void *src, size_t ksize);

/* riptide_options as the library uses them: `in` checked and completed with defaults into
 * `out` (in may be NULL: all defaults). */
riptide_err rt_options_load(const riptide_options *in, riptide_options *out);

#endif
