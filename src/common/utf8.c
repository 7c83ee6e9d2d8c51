/* utf8.c - see utf8.h. */
#include "common/utf8.h"

#include <stdint.h>
#include <string.h>

size_t rt_utf8_seq_len(const unsigned char *s, size_t left)
{
  unsigned char c = s[0];
  if (c < 0x80)
    return 1;
  size_t n;
  unsigned min;
  unsigned cp;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
    min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
    min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
    min = 0x10000;
  } else {
    return 0;
  }
  if (left < n)
    return 0;
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

/* High bit of each zero byte of w (exact when any byte is zero: no false positives). */
static inline uint64_t zero_bytes(uint64_t w)
{
  return (w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull;
}

/* Length of the run of ASCII bytes (and no NULs when no_nul) at s[i], 16 bytes at a time with
 * SSE2: one signed compare finds both NULs and bytes >= 0x80. */
#if defined(__SSE2__)
#include <emmintrin.h>
static inline size_t ascii_run16(const unsigned char *s, size_t i, size_t n, bool no_nul)
{
  const __m128i lim = _mm_set1_epi8(no_nul ? 1 : 0);
  for (; i + 32 <= n; i += 32) {
    __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 16));
    __m128i m = _mm_or_si128(_mm_cmplt_epi8(a, lim), _mm_cmplt_epi8(b, lim));
    if (_mm_movemask_epi8(m))
      break;
  }
  return i;
}
#else
static inline size_t ascii_run16(const unsigned char *s, size_t i, size_t n, bool no_nul)
{
  (void)s;
  (void)n;
  (void)no_nul;
  return i;
}
#endif

bool rt_utf8_check(const unsigned char *s, size_t n, bool no_nul)
{
  const uint64_t nul_mask = no_nul ? ~0ull : 0;
  size_t i = 0;
  while (i < n) {
    i = ascii_run16(s, i, n, no_nul);
    /* ASCII without NULs, 32 bytes then 8 bytes at a time. */
    while (i + 32 <= n) {
      uint64_t a, b, c, d;
      memcpy(&a, s + i, 8);
      memcpy(&b, s + i + 8, 8);
      memcpy(&c, s + i + 16, 8);
      memcpy(&d, s + i + 24, 8);
      uint64_t bad = ((a | b | c | d) & 0x8080808080808080ull) |
                     ((zero_bytes(a) | zero_bytes(b) | zero_bytes(c) | zero_bytes(d)) & nul_mask);
      if (bad)
        break;
      i += 32;
    }
    while (i + 8 <= n) {
      uint64_t w;
      memcpy(&w, s + i, 8);
      if ((w & 0x8080808080808080ull) | (zero_bytes(w) & nul_mask))
        break;
      i += 8;
    }
    /* Then byte by byte up to the next 8-byte boundary or the end. */
    size_t stop = i + 8 < n ? i + 8 : n;
    while (i < stop) {
      unsigned char ch = s[i];
      if (ch < 0x80) {
        if (ch == 0 && no_nul)
          return false;
        i++;
        continue;
      }
      size_t k = rt_utf8_seq_len(s + i, n - i);
      if (k == 0)
        return false;
      i += k;
    }
  }
  return true;
}

bool rt_utf8_valid(const unsigned char *s, size_t n)
{
  return rt_utf8_check(s, n, false);
}
