/* selector.c - CSS selectors (first version: refuses every selector). */
#include "guest/extract/ex_internal.h"

ex_selector *ex_selector_parse(const char *s, size_t n, bool *oom)
{
  (void)s;
  (void)n;
  *oom = false;
  return NULL;
}

bool ex_selector_match(const ex_selector *sel, const dom_node *el)
{
  (void)sel;
  (void)el;
  return false;
}

void ex_selector_free(ex_selector *sel)
{
  (void)sel;
}
