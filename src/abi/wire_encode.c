/* wire_encode.c - guest-side encoder of the result wire format (see abi.h). */
#include "abi.h"

#include <stdlib.h>
#include <string.h>

void rt_wire_init(rt_wire_writer *w)
{
  w->buf = NULL;
  w->len = w->cap = 0;
  w->failed = 0;
}

static int wire_reserve(rt_wire_writer *w, size_t extra)
{
  if (w->failed)
    return 0;
  if (extra > UINT32_MAX || w->len + extra > UINT32_MAX) {
    w->failed = 1;
    return 0;
  }
  if (w->len + extra <= w->cap)
    return 1;
  size_t cap = w->cap ? w->cap : 4096;
  while (cap < w->len + extra)
    cap *= 2;
  uint8_t *nb = realloc(w->buf, cap);
  if (!nb) {
    w->failed = 1;
    return 0;
  }
  if (w->len == 0)
    memcpy(nb, RT_WIRE_MAGIC, 4);
  w->buf = nb;
  w->cap = cap;
  if (w->len == 0)
    w->len = 4;
  return 1;
}

static void wire_put_u32le(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

void rt_wire_put_str(rt_wire_writer *w, rt_wire_field f, const char *s, size_t n)
{
  if (!wire_reserve(w, 4 + 5 + n))
    return;
  w->buf[w->len] = (uint8_t)f;
  wire_put_u32le(w->buf + w->len + 1, (uint32_t)n);
  if (n)
    memcpy(w->buf + w->len + 5, s, n);
  w->len += 5 + n;
}

void rt_wire_put_cstr(rt_wire_writer *w, rt_wire_field f, const char *s)
{
  if (s)
    rt_wire_put_str(w, f, s, strlen(s));
}

void rt_wire_put_u32(rt_wire_writer *w, rt_wire_field f, uint32_t v)
{
  uint8_t b[4];
  wire_put_u32le(b, v);
  rt_wire_put_str(w, f, (const char *)b, 4);
}

void rt_wire_reset(rt_wire_writer *w)
{
  free(w->buf);
  rt_wire_init(w);
}
