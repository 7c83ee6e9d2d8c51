/* sized.c - growable public structs (see sized.h for the rule), and riptide_options' defaults. */
#include "common/sized.h"
#include "common/errors.h"

#include <stdint.h>
#include <string.h>

_Static_assert(offsetof(riptide_options, size) == 0, "size leads riptide_options");
_Static_assert(offsetof(riptide_metrics, size) == 0, "size leads riptide_metrics");
_Static_assert(offsetof(riptide_pool_status, size) == 0, "size leads riptide_pool_status");
_Static_assert(offsetof(riptide_event, size) == 0, "size leads riptide_event");
_Static_assert(offsetof(riptide_fetch_result, size) == 0, "size leads riptide_fetch_result");

bool rt_sized_ok(const char *what, size_t size)
{
  if (size >= sizeof(uint32_t) && size <= RT_SIZED_MAX)
    return true;
  rt_error_detail_set("%s: size %zu is not a struct size (uninitialised? use the riptide.h "
                      "macro or _init function, which set it)",
                      what, size);
  return false;
}

riptide_err rt_sized_in(const char *what, void *dst, size_t ksize, const void *src, size_t usize)
{
  if (!rt_sized_ok(what, usize))
    return RIPTIDE_ERR_INVALID_ARG;
  const unsigned char *s = src;
  for (size_t i = ksize; i < usize; i++) {
    if (s[i] != 0) {
      rt_error_detail_set("%s: byte %zu is set, but this library (%s) knows only %zu bytes of "
                          "it: a field from a newer riptide.h",
                          what, i, RIPTIDE_VERSION, ksize);
      return RIPTIDE_ERR_UNSUPPORTED;
    }
  }
  memcpy(dst, src, usize < ksize ? usize : ksize);
  uint32_t k = (uint32_t)ksize;
  memcpy(dst, &k, sizeof k);
  return RIPTIDE_OK;
}

void rt_sized_out(void *dst, size_t usize, const void *src, size_t ksize)
{
  size_t n = usize < ksize ? usize : ksize;
  memcpy(dst, src, n);
  if (usize > n)
    memset((unsigned char *)dst + n, 0, usize - n);
  uint32_t filled = (uint32_t)n;
  memcpy(dst, &filled, sizeof filled);
}

/* The defaults of riptide_options (documented in riptide.h). */
void riptide_options_init_sized(riptide_options *o, size_t size)
{
  if (!o || size < sizeof(uint32_t) || size > RT_SIZED_MAX)
    return; /* the call that takes *o reports the bad size */
  riptide_options d;
  memset(&d, 0, sizeof d);
  d.mode = RIPTIDE_MODE_ARTICLE;
  d.selector = NULL;
  d.want_markdown = true;
  d.want_html = false;
  d.want_links = true;
  d.want_media = true;
  d.want_tables = true;
  /* The caller's struct is `size` bytes: the defaults this library knows, zero past them. */
  rt_sized_out(o, size, &d, sizeof d);
  o->size = (uint32_t)size;
}

riptide_err rt_options_load(const riptide_options *in, riptide_options *out)
{
  riptide_options_init(out);
  if (!in)
    return RIPTIDE_OK;
  return rt_sized_in("riptide_options", out, sizeof *out, in, in->size);
}
