/*
 * selector.c - custom mode's CSS selectors on the guest's DOM: the parser and matcher are the
 * ones the host library validates with and the native fallback matches with
 * (src/guest/css/selector.c); this file only shows them the DOM.
 */
#include "guest/css/selector.h"
#include "guest/extract/ex_internal.h"

#include <string.h>

static const void *dom_parent(void *ctx, const void *el)
{
  (void)ctx;
  const dom_node *p = ((const dom_node *)el)->parent;
  return p && p->type == DOM_ELEMENT ? p : NULL;
}

static const char *dom_name(void *ctx, const void *el, size_t *len)
{
  (void)ctx;
  const dom_node *n = el;
  *len = n->name_len;
  return n->name;
}

static const char *dom_attr_of(void *ctx, const void *el, const char *name, size_t name_len,
                               size_t *vlen)
{
  (void)ctx;
  const dom_node *n = el;
  for (uint32_t i = 0; i < n->n_attrs; i++) {
    const dom_attr *a = &n->attrs[i];
    if (a->name_len != name_len)
      continue;
    size_t k = 0;
    while (k < name_len && ex_lower(a->name[k]) == name[k])
      k++;
    if (k == name_len) {
      *vlen = a->value_len;
      return a->value ? a->value : "";
    }
  }
  return NULL;
}

static const css_node_ops dom_ops = {dom_parent, dom_name, dom_attr_of};

ex_selector *ex_selector_parse(const char *s, size_t n, bool *oom)
{
  css_error err;
  css_selector *sel = css_selector_parse(s, n, &err);
  *oom = !sel && err.oom;
  return (ex_selector *)sel;
}

bool ex_selector_match(const ex_selector *sel, const dom_node *el)
{
  if (!el || el->type != DOM_ELEMENT)
    return false;
  return css_selector_match((const css_selector *)sel, el, &dom_ops, NULL);
}

void ex_selector_free(ex_selector *sel)
{
  css_selector_free((css_selector *)sel);
}
