/*
 * classwords.c - class and id words (classwords.h).
 */
#include "guest/extract/classwords.h"

#include <string.h>

static bool alnum(char c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char lower(char c)
{
  return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

/* s[0..n) equals w[0..n), ASCII case-insensitive. */
static bool ieq(const char *s, const char *w, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (lower(s[i]) != lower(w[i]))
      return false;
  return true;
}

bool rt_class_token_hashed(const char *s, size_t n)
{
  size_t digits = 0;
  for (size_t i = 0; i < n; i++)
    digits += s[i] >= '0' && s[i] <= '9';
  return digits > 0 && digits < n;
}

bool rt_class_words_match(const char *s, size_t n, const char *const *words)
{
  size_t i = 0;
  while (i < n) {
    while (i < n && !alnum(s[i]))
      i++;
    size_t e = i;
    while (e < n && alnum(s[e]) &&
           !(e > i && s[e] >= 'A' && s[e] <= 'Z' && s[e - 1] >= 'a' && s[e - 1] <= 'z'))
      e++;
    size_t tl = e - i;
    if (tl && !rt_class_token_hashed(s + i, tl)) {
      for (size_t k = 0; words[k]; k++) {
        size_t wl = strlen(words[k]);
        if (tl == wl ? ieq(s + i, words[k], tl)
                     : (wl >= 6 && tl > wl &&
                        (ieq(s + i, words[k], wl) || ieq(s + e - wl, words[k], wl))))
          return true;
      }
    }
    i = e;
  }
  return false;
}
