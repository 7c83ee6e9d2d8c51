/* buf.c - bounded string buffer, number formatting and UTF-8 helpers for the extractor. */
#include "guest/extract/ex_internal.h"

#include <stdlib.h>
#include <string.h>

void exb_init(ex_buf *b, size_t max)
{
  b->p = NULL;
  b->len = b->cap = 0;
  b->max = max ? max : EX_MAX_OUT;
  b->failed = false;
}

void exb_free(ex_buf *b)
{
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
  b->failed = false;
}

void exb_clear(ex_buf *b)
{
  b->len = 0;
  b->failed = false;
  if (b->p)
    b->p[0] = '\0';
}

static bool exb_reserve(ex_buf *b, size_t extra)
{
  if (b->failed)
    return false;
  if (extra > b->max || b->len + extra > b->max) {
    b->failed = true;
    return false;
  }
  if (b->len + extra + 1 <= b->cap)
    return true;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + extra + 1)
    cap *= 2;
  char *np = realloc(b->p, cap);
  if (!np) {
    b->failed = true;
    return false;
  }
  b->p = np;
  b->cap = cap;
  return true;
}

bool exb_put(ex_buf *b, const char *s, size_t n)
{
  if (!exb_reserve(b, n))
    return false;
  if (n)
    memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
  return true;
}

bool exb_putc(ex_buf *b, char c)
{
  return exb_put(b, &c, 1);
}

bool exb_puts(ex_buf *b, const char *s)
{
  return exb_put(b, s, strlen(s));
}

size_t ex_fmt_u32(char *out, uint32_t v)
{
  char tmp[11];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (size_t i = 0; i < n; i++)
    out[i] = tmp[n - 1 - i];
  out[n] = '\0';
  return n;
}

bool exb_put_u32(ex_buf *b, uint32_t v)
{
  char tmp[12];
  size_t n = ex_fmt_u32(tmp, v);
  return exb_put(b, tmp, n);
}

void exb_rtrim(ex_buf *b)
{
  while (b->len && (b->p[b->len - 1] == ' ' || b->p[b->len - 1] == '\n' ||
                    b->p[b->len - 1] == '\t' || b->p[b->len - 1] == '\r'))
    b->len--;
  if (b->p)
    b->p[b->len] = '\0';
}

void exb_truncate(ex_buf *b, size_t len)
{
  if (len >= b->len)
    return;
  b->len = len;
  if (b->p)
    b->p[len] = '\0';
}

uint32_t ex_utf8_next(const char *str, size_t n, size_t *i)
{
  const unsigned char *s = (const unsigned char *)str;
  size_t k = *i;
  unsigned char c = s[k];
  if (c < 0x80) {
    *i = k + 1;
    return c;
  }
  int len;
  uint32_t cp, min;
  if ((c & 0xE0) == 0xC0) {
    len = 2;
    cp = c & 0x1F;
    min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    cp = c & 0x0F;
    min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    cp = c & 0x07;
    min = 0x10000;
  } else {
    *i = k + 1;
    return 0xFFFD;
  }
  if (k + (size_t)len > n) {
    *i = k + 1;
    return 0xFFFD;
  }
  for (int j = 1; j < len; j++) {
    if ((s[k + j] & 0xC0) != 0x80) {
      *i = k + 1;
      return 0xFFFD;
    }
    cp = (cp << 6) | (s[k + j] & 0x3F);
  }
  *i = k + (size_t)len;
  if (cp < min || cp > 0x10FFFF)
    return 0xFFFD;
  return cp;
}

bool ex_is_space_cp(uint32_t cp)
{
  return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == 0x0B ||
         cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

bool ex_is_cjk_cp(uint32_t cp)
{
  return (cp >= 0x3040 && cp <= 0x30FF) || /* kana */
         (cp >= 0x3400 && cp <= 0x4DBF) || /* CJK ext A */
         (cp >= 0x4E00 && cp <= 0x9FFF) || /* CJK unified */
         (cp >= 0xAC00 && cp <= 0xD7AF) || /* hangul syllables */
         (cp >= 0xF900 && cp <= 0xFAFF) || /* compatibility ideographs */
         (cp >= 0x20000 && cp <= 0x2FA1F); /* ext B.. */
}

bool ex_is_word_cp(uint32_t cp)
{
  if (cp < 0x80)
    return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
           cp == '_';
  if (ex_is_space_cp(cp))
    return false;
  /* General punctuation, currency, symbols, CJK punctuation, fullwidth punctuation. */
  if ((cp >= 0x80 && cp <= 0xBF && cp != 0xAA && cp != 0xB2 && cp != 0xB3 && cp != 0xB5 &&
       cp != 0xB9 && cp != 0xBA) ||
      cp == 0xD7 || cp == 0xF7 || (cp >= 0x2000 && cp <= 0x2BFF) ||
      (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFF00 && cp <= 0xFF0F) ||
      (cp >= 0xFF1A && cp <= 0xFF20) || (cp >= 0xFF3B && cp <= 0xFF40) ||
      (cp >= 0xFF5B && cp <= 0xFF65) || (cp >= 0xFE10 && cp <= 0xFE6F) || cp == 0xFFFD ||
      (cp >= 0x1F000 && cp <= 0x1FAFF) || cp == 0x55D || cp == 0x60C || cp == 0x61F ||
      cp == 0x6D4 || cp == 0x964 || cp == 0x965)
    return false;
  return true;
}

bool ex_ieq_n(const char *a, size_t an, const char *b, size_t bn)
{
  if (an != bn)
    return false;
  for (size_t i = 0; i < an; i++)
    if (ex_lower(a[i]) != ex_lower(b[i]))
      return false;
  return true;
}

bool ex_istarts_n(const char *s, size_t n, const char *prefix, size_t pn)
{
  if (pn > n)
    return false;
  for (size_t i = 0; i < pn; i++)
    if (ex_lower(s[i]) != ex_lower(prefix[i]))
      return false;
  return true;
}

bool ex_icontains(const char *hay, size_t hn, const char *needle)
{
  size_t nn = strlen(needle);
  if (nn == 0)
    return true;
  if (nn > hn)
    return false;
  char f = ex_lower(needle[0]);
  for (size_t i = 0; i + nn <= hn; i++) {
    if (ex_lower(hay[i]) != f)
      continue;
    size_t j = 1;
    while (j < nn && ex_lower(hay[i + j]) == ex_lower(needle[j]))
      j++;
    if (j == nn)
      return true;
  }
  return false;
}

const char *ex_trim(const char *s, size_t *n)
{
  size_t a = 0, b = *n;
  while (a < b) {
    size_t k = a;
    uint32_t cp = ex_utf8_next(s, b, &k);
    if (!ex_is_space_cp(cp))
      break;
    a = k;
  }
  while (b > a) {
    /* step back one code point */
    size_t k = b - 1;
    while (k > a && ((unsigned char)s[k] & 0xC0) == 0x80)
      k--;
    size_t t = k;
    uint32_t cp = ex_utf8_next(s, b, &t);
    if (!ex_is_space_cp(cp))
      break;
    b = k;
  }
  *n = b - a;
  return s + a;
}
