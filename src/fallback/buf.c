/*
 * buf.c - the native engine's bounded output buffer and string helpers (native.h).
 */
#include "fallback/native.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void fb_buf_add(fb_buf *b, const char *s, size_t n)
{
  if (b->overflow || b->nomem || n == 0)
    return;
  if (b->len + n + 1 > b->max) {
    b->overflow = true;
    return;
  }
  if (b->len + n + 1 > b->cap) {
    size_t nc = b->cap ? b->cap : 4096;
    while (nc < b->len + n + 1)
      nc *= 2;
    if (nc > b->max)
      nc = b->max;
    char *np = realloc(b->p, nc);
    if (!np) {
      b->nomem = true;
      return;
    }
    b->p = np;
    b->cap = nc;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

/* A malloc'd copy of s with whitespace collapsed and trimmed; NULL for NULL or empty. */
char *fb_clean_dup(const char *s, size_t max)
{
  if (!s)
    return NULL;
  size_t len = strlen(s);
  if (len > max)
    len = max;
  char *o = malloc(len + 1);
  if (!o)
    return NULL;
  size_t k = 0;
  bool sp = false;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    size_t sl = fb_space_len(s + i);
    if (sl && i + sl <= len) {
      sp = k > 0;
      i += sl - 1;
      continue;
    }
    if (sp)
      o[k++] = ' ';
    sp = false;
    o[k++] = (char)c;
  }
  /* Do not leave a cut UTF-8 sequence at the end when max truncated a long value. */
  while (k > 0 && len < strlen(s) && ((unsigned char)o[k - 1] & 0xC0) == 0x80)
    k--;
  if (k > 0 && len < strlen(s) && ((unsigned char)o[k - 1] & 0xC0) == 0xC0)
    k--;
  o[k] = '\0';
  if (k == 0) {
    free(o);
    return NULL;
  }
  return o;
}

void fb_set_str(char **field, char *v)
{
  if (!v)
    return;
  if (*field) {
    free(v);
    return;
  }
  *field = v;
}
