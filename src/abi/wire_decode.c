/* wire_decode.c - host-side decoder of guest results (see wire.h and abi.h). */
#include "abi/wire.h"

#include "abi/abi.h"

#include "common/utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct dec {
  riptide_document *doc;
  char *detail;
  size_t detail_len;
  size_t cap_links, cap_media, cap_cats;
  uint32_t seen;      /* bit per singular tag already decoded */
  int last_item;      /* RT_F_LINK_HREF / RT_F_MEDIA_SRC: which list the last record opened */
  uint32_t item_seen; /* per-item singular tags (link text, media alt/kind) */
} dec;

static riptide_err fail(dec *d, riptide_err err, const char *fmt, ...)
{
  if (d->detail && d->detail_len) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->detail, d->detail_len, fmt, ap);
    va_end(ap);
  }
  return err;
}

static char *dup_str(const uint8_t *p, size_t n)
{
  char *s = malloc(n + 1);
  if (s) {
    memcpy(s, p, n);
    s[n] = '\0';
  }
  return s;
}

/* Grows *arr (element size `el`) to hold one more element. */
static bool grow(void **arr, size_t *cap, size_t count, size_t el)
{
  if (count < *cap)
    return true;
  if (count >= RT_WIRE_MAX_ITEMS)
    return false;
  size_t nc = *cap ? *cap * 2 : 8;
  if (nc > RT_WIRE_MAX_ITEMS)
    nc = RT_WIRE_MAX_ITEMS;
  void *na = realloc(*arr, nc * el);
  if (!na)
    return false;
  memset((char *)na + *cap * el, 0, (nc - *cap) * el);
  *arr = na;
  *cap = nc;
  return true;
}

static uint32_t get_u32(const uint8_t *p)
{
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static char **singular_slot(riptide_document *doc, unsigned tag)
{
  switch (tag) {
  case RT_F_TITLE:
    return &doc->title;
  case RT_F_BYLINE:
    return &doc->byline;
  case RT_F_DATE:
    return &doc->date;
  case RT_F_SITE_NAME:
    return &doc->site_name;
  case RT_F_DESCRIPTION:
    return &doc->description;
  case RT_F_LANGUAGE:
    return &doc->language;
  case RT_F_CANONICAL:
    return &doc->canonical_url;
  case RT_F_TEXT:
    return &doc->text;
  case RT_F_MARKDOWN:
    return &doc->markdown;
  case RT_F_HTML:
    return &doc->html;
  default:
    return NULL;
  }
}

static bool is_known(unsigned tag)
{
  switch (tag) {
#define WIRE_KNOWN_(name, num)                                                                     \
  case num:                                                                                        \
    return true;
    RT_WIRE_FIELDS(WIRE_KNOWN_)
#undef WIRE_KNOWN_
  }
  return false;
}

static bool is_string(unsigned tag)
{
  return tag != RT_F_WORD_COUNT && tag != RT_F_READING_TIME && tag != RT_F_QUALITY;
}

static riptide_err record(dec *d, unsigned tag, const uint8_t *v, size_t n, size_t off)
{
  riptide_document *doc = d->doc;
  if (!is_known(tag))
    return RIPTIDE_OK; /* forward compatibility: skipped */
  if (is_string(tag)) {
    if (memchr(v, 0, n))
      return fail(d, RIPTIDE_ERR_BAD_RESULT, "NUL byte in string field %u at offset %zu", tag, off);
    if (!rt_utf8_valid(v, n))
      return fail(d, RIPTIDE_ERR_BAD_RESULT, "invalid UTF-8 in field %u at offset %zu", tag, off);
  } else if (n != 4) {
    return fail(d, RIPTIDE_ERR_BAD_RESULT, "integer field %u of %zu bytes at offset %zu", tag, n,
                off);
  }

  char **slot = singular_slot(doc, tag);
  bool singular = slot || tag == RT_F_WORD_COUNT || tag == RT_F_READING_TIME ||
                  tag == RT_F_QUALITY || tag == RT_F_ERROR;
  if (singular) {
    if (d->seen & (1u << tag))
      return fail(d, RIPTIDE_ERR_BAD_RESULT, "field %u repeated at offset %zu", tag, off);
    d->seen |= 1u << tag;
    d->last_item = 0;
  }
  if (slot) {
    if (!(*slot = dup_str(v, n)))
      return fail(d, RIPTIDE_ERR_NOMEM, "out of memory");
    return RIPTIDE_OK;
  }

  switch (tag) {
  case RT_F_WORD_COUNT:
    doc->word_count = get_u32(v);
    return RIPTIDE_OK;
  case RT_F_READING_TIME:
    doc->reading_time = get_u32(v);
    return RIPTIDE_OK;
  case RT_F_QUALITY: {
    int32_t q = (int32_t)get_u32(v);
    if (q < -1 || q > 100)
      return fail(d, RIPTIDE_ERR_BAD_RESULT, "quality %d out of range at offset %zu", (int)q, off);
    doc->quality_score = q;
    return RIPTIDE_OK;
  }
  case RT_F_ERROR:
    return RIPTIDE_OK; /* a diagnostic: validated, not part of the document */
  case RT_F_CATEGORY: {
    d->last_item = 0;
    if (!grow((void **)&doc->categories, &d->cap_cats, doc->n_categories, sizeof(char *)))
      return fail(d, RIPTIDE_ERR_BAD_RESULT, "too many categories");
    if (!(doc->categories[doc->n_categories] = dup_str(v, n)))
      return fail(d, RIPTIDE_ERR_NOMEM, "out of memory");
    doc->n_categories++;
    return RIPTIDE_OK;
  }
  case RT_F_LINK_HREF: {
    if (!grow((void **)&doc->links, &d->cap_links, doc->n_links, sizeof(riptide_link)))
      return fail(d, RIPTIDE_ERR_BAD_RESULT, "too many links");
    if (!(doc->links[doc->n_links].href = dup_str(v, n)))
      return fail(d, RIPTIDE_ERR_NOMEM, "out of memory");
    doc->n_links++;
    d->last_item = RT_F_LINK_HREF;
    d->item_seen = 0;
    return RIPTIDE_OK;
  }
  case RT_F_MEDIA_SRC: {
    if (!grow((void **)&doc->media, &d->cap_media, doc->n_media, sizeof(riptide_media)))
      return fail(d, RIPTIDE_ERR_BAD_RESULT, "too many media items");
    if (!(doc->media[doc->n_media].src = dup_str(v, n)))
      return fail(d, RIPTIDE_ERR_NOMEM, "out of memory");
    doc->n_media++;
    d->last_item = RT_F_MEDIA_SRC;
    d->item_seen = 0;
    return RIPTIDE_OK;
  }
  case RT_F_LINK_TEXT:
  case RT_F_MEDIA_ALT:
  case RT_F_MEDIA_KIND:
  case RT_F_MEDIA_CAPTION: {
    int owner = tag == RT_F_LINK_TEXT ? RT_F_LINK_HREF : RT_F_MEDIA_SRC;
    if (d->last_item != owner)
      return fail(d, RIPTIDE_ERR_BAD_RESULT, "field %u at offset %zu does not follow its %s", tag,
                  off, owner == RT_F_LINK_HREF ? "link" : "media item");
    if (d->item_seen & (1u << tag))
      return fail(d, RIPTIDE_ERR_BAD_RESULT, "field %u repeated at offset %zu", tag, off);
    d->item_seen |= 1u << tag;
    char **dst = tag == RT_F_LINK_TEXT       ? &doc->links[doc->n_links - 1].text
                 : tag == RT_F_MEDIA_ALT     ? &doc->media[doc->n_media - 1].alt
                 : tag == RT_F_MEDIA_CAPTION ? &doc->media[doc->n_media - 1].caption
                                             : &doc->media[doc->n_media - 1].kind;
    if (!(*dst = dup_str(v, n)))
      return fail(d, RIPTIDE_ERR_NOMEM, "out of memory");
    return RIPTIDE_OK;
  }
  default:
    return RIPTIDE_OK;
  }
}

riptide_err rt_wire_decode(const uint8_t *data, size_t len, riptide_document **out, char *detail,
                           size_t detail_len)
{
  dec d = {.detail = detail, .detail_len = detail_len};
  if (detail && detail_len)
    detail[0] = '\0';
  if (!out)
    return RIPTIDE_ERR_INVALID_ARG;
  *out = NULL;
  if (!data && len)
    return fail(&d, RIPTIDE_ERR_INVALID_ARG, "no data");
  if (len < 4 || memcmp(data, RT_WIRE_MAGIC, 4) != 0)
    return fail(&d, RIPTIDE_ERR_BAD_RESULT, "result does not start with " RT_WIRE_MAGIC);
  d.doc = riptide_document_new();
  if (!d.doc)
    return fail(&d, RIPTIDE_ERR_NOMEM, "out of memory");
  riptide_err err = RIPTIDE_OK;
  size_t i = 4;
  while (i < len && !err) {
    if (len - i < 5) {
      err = fail(&d, RIPTIDE_ERR_BAD_RESULT, "truncated record header at offset %zu", i);
      break;
    }
    unsigned tag = data[i];
    uint32_t n = get_u32(data + i + 1);
    if (n > len - i - 5) {
      err = fail(&d, RIPTIDE_ERR_BAD_RESULT, "record %u at offset %zu claims %u bytes, %zu remain",
                 tag, i, n, len - i - 5);
      break;
    }
    err = record(&d, tag, data + i + 5, n, i);
    i += 5 + (size_t)n;
  }
  if (err) {
    riptide_document_free(d.doc);
    return err;
  }
  *out = d.doc;
  return RIPTIDE_OK;
}
