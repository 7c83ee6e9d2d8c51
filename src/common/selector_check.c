/*
 * selector_check.c - riptide_selector_check(): custom mode's selectors are checked on the host
 * with the guest's own parser (src/guest/css/selector.c, compiled into the library), so a
 * selector the guest would refuse never reaches the sandbox, and the fallback, which uses the
 * same parser, accepts exactly the same ones.
 */
#include "riptide.h"

#include "guest/css/selector.h"

#include <string.h>

riptide_err riptide_selector_check(const char *selector, char *detail, size_t detail_len)
{
  if (detail && detail_len)
    detail[0] = '\0';
  size_t n = selector ? strlen(selector) : 0;
  css_error err;
  css_selector *sel = css_selector_parse(selector, n, &err);
  if (sel) {
    css_selector_free(sel);
    return RIPTIDE_OK;
  }
  if (err.oom)
    return RIPTIDE_ERR_NOMEM;
  if (detail && detail_len)
    css_error_format(&err, selector, n, detail, detail_len);
  return RIPTIDE_ERR_SELECTOR;
}
