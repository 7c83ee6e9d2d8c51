/*
 * document.c - the document object and a document's JSON.
 *
 * The JSON schema (field names, order, types) is documented in docs/schema.md. Fields are
 * written in a fixed order, `id` first when given, so that JSON-lines output diffs cleanly.
 * Strings that are not valid UTF-8 (a guest or a page can produce them) are repaired with
 * U+FFFD rather than dropped: losing a whole field for one bad byte would be worse than a
 * replacement character.
 *
 * The JSON is written straight into a byte buffer, one pass over each string that escapes and
 * checks UTF-8 at once (ASCII runs eight bytes at a time), with no intermediate JSON tree: for
 * the command this was ~7 % of the CPU of a batch with jansson building and dumping a tree.
 * The bytes are the ones jansson's json_dumps(JSON_COMPACT or JSON_INDENT(2),
 * JSON_REAL_PRECISION(12)) wrote for the same document; tests/test_document.c keeps a jansson
 * rendering as the oracle.
 */
#include "riptide.h"
#include "common/document.h"
#include "common/utf8.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

riptide_document *riptide_document_new(void)
{
  riptide_document *doc = calloc(1, sizeof *doc);
  if (doc)
    doc->quality_score = -1;
  return doc;
}

void riptide_document_free(riptide_document *doc)
{
  if (!doc)
    return;
  free(doc->url);
  free(doc->canonical_url);
  free(doc->title);
  free(doc->byline);
  free(doc->date);
  free(doc->site_name);
  free(doc->description);
  free(doc->language);
  free(doc->text);
  free(doc->markdown);
  free(doc->html);
  for (size_t i = 0; i < doc->n_links; i++) {
    free(doc->links[i].href);
    free(doc->links[i].text);
  }
  free(doc->links);
  for (size_t i = 0; i < doc->n_media; i++) {
    free(doc->media[i].src);
    free(doc->media[i].alt);
    free(doc->media[i].kind);
    free(doc->media[i].caption);
  }
  free(doc->media);
  for (size_t i = 0; i < doc->n_categories; i++)
    free(doc->categories[i]);
  free(doc->categories);
  free(doc);
}

/* ---- buffer -------------------------------------------------------------------------------- */

bool rt_buf_reserve(rt_buf *b, size_t extra)
{
  if (b->failed)
    return false;
  size_t max = b->max ? b->max : (size_t)RT_BUF_DEFAULT_MAX;
  if (extra > max || b->len > max - extra) {
    b->failed = true;
    return false;
  }
  size_t need = b->len + extra + 1;
  if (need <= b->cap)
    return true;
  size_t nc = b->cap ? b->cap : 4096;
  while (nc < need)
    nc = nc > SIZE_MAX / 2 ? need : nc * 2;
  if (nc > max + 1)
    nc = max + 1;
  char *np = realloc(b->p, nc);
  if (!np) {
    b->failed = true;
    return false;
  }
  b->p = np;
  b->cap = nc;
  return true;
}

void rt_buf_printf(rt_buf *b, const char *fmt, ...)
{
  if (b->failed)
    return;
  char small[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->failed = true;
    return;
  }
  if ((size_t)n < sizeof small) {
    rt_buf_put(b, small, (size_t)n);
    return;
  }
  if (!rt_buf_reserve(b, (size_t)n))
    return;
  va_start(ap, fmt);
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

void rt_buf_put(rt_buf *b, const char *s, size_t n)
{
  if (!rt_buf_reserve(b, n))
    return;
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

void rt_buf_puts(rt_buf *b, const char *s)
{
  rt_buf_put(b, s, strlen(s));
}

void rt_buf_free(rt_buf *b)
{
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
  b->failed = false;
}

/* ---- JSON strings --------------------------------------------------------------------------- */

/* The plain run (bytes JSON takes as they are) starting at s[i]: 16 bytes at a time with SSE2
 * (one signed compare finds both control bytes and bytes >= 0x80), then 8 at a time. */
#if defined(__SSE2__)
#include <emmintrin.h>
static inline size_t plain_run16(const unsigned char *s, size_t i, size_t n)
{
  const __m128i sp = _mm_set1_epi8(0x20), q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\');
  for (; i + 16 <= n; i += 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
    __m128i m = _mm_or_si128(_mm_cmplt_epi8(v, sp),
                             _mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)));
    unsigned mask = (unsigned)_mm_movemask_epi8(m);
    if (mask)
      return i + (size_t)__builtin_ctz(mask);
  }
  return i;
}
#else
static inline size_t plain_run16(const unsigned char *s, size_t i, size_t n)
{
  (void)s;
  (void)n;
  return i;
}
#endif

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Does the 8-byte word hold a byte that is not plain printable ASCII for JSON: < 0x20, '"',
 * '\\' or >= 0x80? (Exact: the zero-byte tests below have no false positives.) */
static inline bool word_special(uint64_t w)
{
  uint64_t lt20 = (w - ONES * 0x20) & ~w;
  uint64_t q = w ^ (ONES * '"');
  uint64_t bs = w ^ (ONES * '\\');
  uint64_t zq = (q - ONES) & ~q;
  uint64_t zb = (bs - ONES) & ~bs;
  return ((lt20 | zq | zb | w) & HIGHS) != 0;
}

void rt_json_put_string(rt_buf *b, const char *str, size_t n)
{
  static const char hex[] = "0123456789ABCDEF";
  /* Most strings need no escape at all: one reservation covers them. Each escape or
   * replacement below makes sure of room for itself and everything after it. */
  if (!rt_buf_reserve(b, n + 2))
    return;
  const unsigned char *s = (const unsigned char *)str;
  char *o = b->p + b->len;
  *o++ = '"';
  size_t i = 0;
  while (i < n) {
    size_t run = i;
    i = plain_run16(s, i, n);
    while (i + 8 <= n) {
      uint64_t w;
      memcpy(&w, s + i, 8);
      if (word_special(w))
        break;
      i += 8;
    }
    while (i < n && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' && s[i] != '\\')
      i++;
    if (i > run) {
      memcpy(o, s + run, i - run);
      o += i - run;
    }
    if (i >= n)
      break;
    unsigned char c = s[i];
    if (c >= 0x80) {
      size_t k = rt_utf8_seq_len(s + i, n - i);
      if (k > 0) {
        memcpy(o, s + i, k);
        o += k;
        i += k;
        continue;
      }
    }
    /* An escape (up to 6 bytes) or U+FFFD (3) for one input byte, then the rest and the
     * closing quote: reserve for all of it. */
    b->len = (size_t)(o - b->p);
    if (!rt_buf_reserve(b, 6 + (n - i - 1) + 1))
      return;
    o = b->p + b->len;
    i++;
    switch (c) {
    case '"':
      *o++ = '\\', *o++ = '"';
      break;
    case '\\':
      *o++ = '\\', *o++ = '\\';
      break;
    case '\b':
      *o++ = '\\', *o++ = 'b';
      break;
    case '\f':
      *o++ = '\\', *o++ = 'f';
      break;
    case '\n':
      *o++ = '\\', *o++ = 'n';
      break;
    case '\r':
      *o++ = '\\', *o++ = 'r';
      break;
    case '\t':
      *o++ = '\\', *o++ = 't';
      break;
    default:
      if (c < 0x20) {
        memcpy(o, "\\u00", 4);
        o[4] = hex[c >> 4];
        o[5] = hex[c & 15];
        o += 6;
      } else { /* not well-formed UTF-8 */
        memcpy(o, "\xEF\xBF\xBD", 3);
        o += 3;
      }
      break;
    }
  }
  *o++ = '"';
  b->len = (size_t)(o - b->p);
  b->p[b->len] = '\0';
}

void rt_json_put_cstr(rt_buf *b, const char *s)
{
  if (s)
    rt_json_put_string(b, s, strlen(s));
  else
    rt_buf_put(b, "null", 4);
}

/* ---- a document ----------------------------------------------------------------------------- */

typedef struct jw {
  rt_buf *b;
  bool pretty;
  int depth;
  bool first; /* no member written yet at this level */
} jw;

static void jw_newline(jw *w, int depth)
{
  static const char spaces[] = "                                ";
  rt_buf_put(w->b, "\n", 1);
  for (size_t n = (size_t)depth * 2; n > 0;) {
    size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
    rt_buf_put(w->b, spaces, k);
    n -= k;
  }
}

/* Before a member or element: the separator and, when pretty, the line break and indent. */
static void jw_next(jw *w)
{
  if (!w->first)
    rt_buf_put(w->b, ",", 1);
  w->first = false;
  if (w->pretty)
    jw_newline(w, w->depth);
}

static void jw_key(jw *w, const char *key)
{
  jw_next(w);
  rt_buf_put(w->b, "\"", 1);
  rt_buf_puts(w->b, key);
  rt_buf_put(w->b, w->pretty ? "\": " : "\":", w->pretty ? 3 : 2);
}

/* Opens an object or array: `{`/`[` (members follow with jw_key / jw_next). */
static void jw_open(jw *w, char c)
{
  rt_buf_put(w->b, &c, 1);
  w->depth++;
  w->first = true;
}

/* Closes it: empty ones stay `{}` / `[]`, others get the closing line when pretty. */
static void jw_close(jw *w, char c)
{
  w->depth--;
  if (!w->first && w->pretty)
    jw_newline(w, w->depth);
  rt_buf_put(w->b, &c, 1);
  w->first = false;
}

static void jw_str(jw *w, const char *key, const char *value)
{
  jw_key(w, key);
  rt_json_put_cstr(w->b, value);
}

static void jw_int(jw *w, const char *key, long long v)
{
  char tmp[32];
  int n = snprintf(tmp, sizeof tmp, "%lld", v);
  jw_key(w, key);
  rt_buf_put(w->b, tmp, (size_t)n);
}

/* Milliseconds rounded to microseconds, written as jansson writes a real with precision 12:
 * "%.12g", then ".0" when that looks like an integer. */
static void jw_ms(jw *w, const char *key, uint64_t ns)
{
  double v = (double)(ns / 1000) / 1000.0;
  char tmp[48];
  int n = snprintf(tmp, sizeof tmp, "%.12g", v);
  if (n < 0 || (size_t)n >= sizeof tmp - 3)
    n = snprintf(tmp, sizeof tmp, "0.0");
  if (!memchr(tmp, '.', (size_t)n) && !memchr(tmp, 'e', (size_t)n)) {
    memcpy(tmp + n, ".0", 3);
    n += 2;
  }
  /* jansson drops a '+' and leading zeros from an exponent: 1e+20 -> 1e20. */
  char *e = memchr(tmp, 'e', (size_t)n);
  if (e) {
    char *start = e + 1;
    if (*start == '-')
      start++;
    char *end = start;
    while (*end == '+' || *end == '0')
      end++;
    if (end != start) {
      memmove(start, end, (size_t)(tmp + n - end) + 1);
      n -= (int)(end - start);
    }
  }
  jw_key(w, key);
  rt_buf_put(w->b, tmp, (size_t)n);
}

/* "truncated": {"reasons": [...], "detail": "..."}: what a limit left out (docs/schema.md). */
static void jw_truncated(jw *w, uint32_t bits)
{
  static const struct {
    uint32_t bit;
    const char *name, *detail;
  } T[] = {
      {RIPTIDE_TRUNC_DEPTH, "depth",
       "elements nested past the depth limit were flattened into their ancestor (text kept)"},
      {RIPTIDE_TRUNC_ATTRIBUTES, "attributes",
       "attributes past the per-element limit were dropped"},
      {RIPTIDE_TRUNC_LINKS, "links", "links past the per-document limit are not listed"},
      {RIPTIDE_TRUNC_MEDIA, "media", "media past the per-document limit are not listed"},
  };
  jw_key(w, "truncated");
  jw_open(w, '{');
  jw_key(w, "reasons");
  jw_open(w, '[');
  char detail[512];
  size_t dl = 0;
  detail[0] = '\0';
  for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
    if (!(bits & T[i].bit))
      continue;
    jw_next(w);
    rt_json_put_cstr(w->b, T[i].name);
    int n = snprintf(detail + dl, sizeof detail - dl, "%s%s", dl ? "; " : "", T[i].detail);
    if (n > 0 && (size_t)n < sizeof detail - dl)
      dl += (size_t)n;
  }
  jw_close(w, ']');
  jw_str(w, "detail", detail);
  jw_close(w, '}');
}

/* "fingerprint" (16 hex digits) and "text_hash" (32), both null without text. */
static void jw_fingerprints(jw *w, const riptide_document *doc)
{
  static const char hex[] = "0123456789abcdef";
  char fp[19], th[35];
  fp[0] = th[0] = '"';
  for (int i = 0; i < 16; i++)
    fp[1 + i] = hex[(doc->fingerprint >> (60 - 4 * i)) & 15];
  for (int i = 0; i < 16; i++) {
    th[1 + 2 * i] = hex[doc->text_hash[i] >> 4];
    th[2 + 2 * i] = hex[doc->text_hash[i] & 15];
  }
  fp[17] = th[33] = '"';
  jw_key(w, "fingerprint");
  rt_buf_put(w->b, doc->has_fingerprint ? fp : "null", doc->has_fingerprint ? 18 : 4);
  jw_key(w, "text_hash");
  rt_buf_put(w->b, doc->has_fingerprint ? th : "null", doc->has_fingerprint ? 34 : 4);
}

bool rt_document_json_write(rt_buf *b, const riptide_document *doc, const char *id, bool pretty)
{
  if (!doc)
    return false;
  jw w = {.b = b, .pretty = pretty};
  jw_open(&w, '{');
  if (id)
    jw_str(&w, "id", id);
  jw_str(&w, "url", doc->url);
  jw_str(&w, "title", doc->title);
  jw_str(&w, "byline", doc->byline);
  jw_str(&w, "date", doc->date);
  jw_str(&w, "site_name", doc->site_name);
  jw_str(&w, "description", doc->description);
  jw_str(&w, "language", doc->language);
  jw_str(&w, "canonical_url", doc->canonical_url);
  jw_str(&w, "text", doc->text);
  jw_str(&w, "markdown", doc->markdown);
  if (doc->html)
    jw_str(&w, "html", doc->html);

  jw_key(&w, "links");
  jw_open(&w, '[');
  for (size_t i = 0; i < doc->n_links && !b->failed; i++) {
    jw_next(&w);
    jw_open(&w, '{');
    jw_str(&w, "href", doc->links[i].href);
    jw_str(&w, "text", doc->links[i].text);
    jw_close(&w, '}');
  }
  jw_close(&w, ']');
  jw_key(&w, "media");
  jw_open(&w, '[');
  for (size_t i = 0; i < doc->n_media && !b->failed; i++) {
    jw_next(&w);
    jw_open(&w, '{');
    jw_str(&w, "src", doc->media[i].src);
    jw_str(&w, "alt", doc->media[i].alt);
    jw_str(&w, "kind", doc->media[i].kind);
    jw_str(&w, "caption", doc->media[i].caption);
    jw_close(&w, '}');
  }
  jw_close(&w, ']');
  jw_key(&w, "categories");
  jw_open(&w, '[');
  for (size_t i = 0; i < doc->n_categories && !b->failed; i++) {
    jw_next(&w);
    rt_json_put_cstr(b, doc->categories[i]);
  }
  jw_close(&w, ']');

  jw_int(&w, "word_count", doc->word_count);
  jw_int(&w, "reading_time", doc->reading_time);
  if (doc->quality_score < 0) {
    jw_key(&w, "quality_score");
    rt_buf_put(b, "null", 4);
  } else {
    jw_int(&w, "quality_score", doc->quality_score);
  }
  jw_fingerprints(&w, doc);
  jw_str(&w, "engine", doc->engine);
  jw_str(&w, "fallback_reason", doc->fallback_reason);
  if (doc->fallback_reason && doc->guest_error != RIPTIDE_OK)
    jw_str(&w, "guest_error", riptide_err_name(doc->guest_error));
  if (doc->trap != RIPTIDE_TRAP_NONE)
    jw_str(&w, "trap", riptide_trap_name(doc->trap));
  if (doc->truncated)
    jw_truncated(&w, doc->truncated);
  jw_ms(&w, "wait_ms", doc->wait_ns);
  jw_ms(&w, "extract_ms", doc->extract_ns);
  jw_close(&w, '}');
  return !b->failed;
}

char *riptide_document_to_json(const riptide_document *doc, const char *id, bool pretty)
{
  if (!doc)
    return NULL;
  rt_buf b = {0};
  if (!rt_document_json_write(&b, doc, id, pretty)) {
    rt_buf_free(&b);
    return NULL;
  }
  return b.p;
}
