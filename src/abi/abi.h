/*
 * abi.h - the guest ABI shared by the host (src/sandbox, src/pool) and the guest (src/guest).
 *
 * Portable C11, no host dependencies: this header is compiled into the wasm32 guest too.
 *
 * Guest ABI v1. A guest module exports:
 *   memory                              its linear memory
 *   u32 riptide_abi_version(void)       must equal RIPTIDE_GUEST_ABI_VERSION
 *   u32 riptide_alloc(u32 size)         0 on failure
 *   void riptide_free(u32 ptr)
 *   u32 riptide_extract(u32 html, u32 html_len, u32 url, u32 url_len,
 *                       u32 mode, u32 opts, u32 opts_len)
 *                                       returns an rt_guest_status (0 = ok)
 *   u32 riptide_result_ptr(void)        result buffer of the last riptide_extract
 *   u32 riptide_result_len(void)
 *   u32 riptide_info_ptr(void)          guest info JSON (name, version, abi, features, modes)
 *   u32 riptide_info_len(void)
 * and imports nothing but functions of module "host":
 *   void host.log(u32 ptr, u32 len)     a diagnostic line (may be ignored by the host)
 *
 * The host never trusts a pointer or length from the guest: every (ptr, len) is checked
 * against the guest memory size before it is read, and the result size is capped.
 *
 * Options (opts, opts_len) are "key=value" lines separated by '\n':
 *   selector=<css>   markdown=0|1   html=0|1   links=0|1   media=0|1   tables=0|1
 * (links, media and tables default to 1; 0 also leaves them out of the text, Markdown and
 * HTML: riptide.h, riptide_options).
 */
#ifndef RIPTIDE_ABI_H
#define RIPTIDE_ABI_H

#include <stddef.h>
#include <stdint.h>

#define RIPTIDE_GUEST_ABI_VERSION 1u

/* Status codes a guest returns from riptide_extract. */
typedef enum rt_guest_status {
  RT_GUEST_OK = 0,
  RT_GUEST_NOMEM = 1,       /* allocation failed (memory cap reached) */
  RT_GUEST_BAD_ARGS = 2,    /* bad mode/options */
  RT_GUEST_PARSE_LIMIT = 3, /* document exceeds a parser limit */
  RT_GUEST_SELECTOR = 4,    /* invalid CSS selector */
  RT_GUEST_INTERNAL = 5,
} rt_guest_status;

/*
 * Result wire format (little-endian):
 *   "RTD1" then records: u8 tag, u32 length, `length` bytes.
 * Strings are UTF-8 without NUL. Integers (RT_F_WORD_COUNT, ...) are 4-byte little-endian
 * (two's complement for RT_F_QUALITY). A link is RT_F_LINK_HREF followed by an optional
 * RT_F_LINK_TEXT; a media item is RT_F_MEDIA_SRC followed by optional RT_F_MEDIA_ALT,
 * RT_F_MEDIA_KIND and RT_F_MEDIA_CAPTION. Unknown tags are skipped by the decoder (forward
 * compatibility); a repeated singular tag is an error.
 */
#define RT_WIRE_MAGIC "RTD1"
#define RT_WIRE_FIELDS(X)                                                                          \
  X(TITLE, 1)                                                                                      \
  X(BYLINE, 2)                                                                                     \
  X(DATE, 3)                                                                                       \
  X(SITE_NAME, 4)                                                                                  \
  X(DESCRIPTION, 5)                                                                                \
  X(LANGUAGE, 6)                                                                                   \
  X(CANONICAL, 7)                                                                                  \
  X(TEXT, 8)                                                                                       \
  X(MARKDOWN, 9)                                                                                   \
  X(HTML, 10)                                                                                      \
  X(LINK_HREF, 11)                                                                                 \
  X(LINK_TEXT, 12)                                                                                 \
  X(MEDIA_SRC, 13)                                                                                 \
  X(MEDIA_ALT, 14)                                                                                 \
  X(MEDIA_KIND, 15)                                                                                \
  X(CATEGORY, 16)                                                                                  \
  X(WORD_COUNT, 17)                                                                                \
  X(READING_TIME, 18)                                                                              \
  X(QUALITY, 19)                                                                                   \
  X(ERROR, 20)                                                                                     \
  X(MEDIA_CAPTION, 21)

typedef enum rt_wire_field {
#define RT_WIRE_ENUM_(name, num) RT_F_##name = num,
  RT_WIRE_FIELDS(RT_WIRE_ENUM_)
#undef RT_WIRE_ENUM_
} rt_wire_field;

/*
 * Guest-side encoder: a growable buffer. On allocation failure `failed` is set and later
 * calls do nothing; the caller checks it once at the end.
 */
typedef struct rt_wire_writer {
  uint8_t *buf;
  size_t len, cap;
  int failed;
} rt_wire_writer;

void rt_wire_init(rt_wire_writer *w);
void rt_wire_put_str(rt_wire_writer *w, rt_wire_field f, const char *s, size_t n);
void rt_wire_put_cstr(rt_wire_writer *w, rt_wire_field f, const char *s); /* NULL: skipped */
void rt_wire_put_u32(rt_wire_writer *w, rt_wire_field f, uint32_t v);
void rt_wire_reset(rt_wire_writer *w); /* frees the buffer */

#endif
