/*
 * selector.c - custom mode's CSS selectors on libxml2's tree. The parser and the matcher are
 * the guest's (src/guest/css/selector.c, compiled into the host library too), so both engines
 * accept the same selectors and match them the same way; this file only shows them an
 * xmlNode tree.
 */
#include "fallback/fallback.h"

#include "guest/css/selector.h"

#include <stdlib.h>
#include <string.h>

/* Holds the one attribute value libxml2 had to build (an attribute made of several nodes),
 * freed at the next lookup: css_node_ops.attr's pointer lives until the next call. */
typedef struct xctx {
  xmlChar *owned;
} xctx;

static const void *x_parent(void *ctx, const void *el)
{
  (void)ctx;
  const xmlNode *p = ((const xmlNode *)el)->parent;
  return p && p->type == XML_ELEMENT_NODE ? p : NULL;
}

static const char *x_name(void *ctx, const void *el, size_t *len)
{
  (void)ctx;
  const char *s = (const char *)((const xmlNode *)el)->name;
  *len = s ? strlen(s) : 0;
  return s;
}

static bool name_ieq(const char *a, const char *lower_b, size_t bn)
{
  size_t i = 0;
  for (; i < bn && a[i]; i++) {
    char c = a[i] >= 'A' && a[i] <= 'Z' ? (char)(a[i] + 32) : a[i];
    if (c != lower_b[i])
      return false;
  }
  return i == bn && a[i] == '\0';
}

static const char *x_attr(void *ctx, const void *el, const char *name, size_t name_len,
                          size_t *vlen)
{
  xctx *c = ctx;
  xmlFree(c->owned);
  c->owned = NULL;
  for (const xmlAttr *a = ((const xmlNode *)el)->properties; a; a = a->next) {
    if (!a->name || !name_ieq((const char *)a->name, name, name_len))
      continue;
    const xmlNode *t = a->children;
    const char *v = "";
    if (t && t->type == XML_TEXT_NODE && !t->next) {
      v = t->content ? (const char *)t->content : "";
    } else if (t) {
      c->owned = xmlNodeListGetString(a->doc, a->children, 1);
      v = c->owned ? (const char *)c->owned : "";
    }
    *vlen = strlen(v);
    return v;
  }
  return NULL;
}

static const css_node_ops x_ops = {x_parent, x_name, x_attr};

riptide_err fb_css_select(xmlDoc *doc, const char *selector, xmlNode ***out, size_t *n)
{
  *out = NULL;
  *n = 0;
  css_error perr;
  css_selector *sel = css_selector_parse(selector, selector ? strlen(selector) : 0, &perr);
  if (!sel)
    return perr.oom ? RIPTIDE_ERR_NOMEM : RIPTIDE_ERR_SELECTOR;
  xctx ctx = {NULL};
  size_t cap = 0;
  riptide_err err = RIPTIDE_OK;
  /* Pre-order walk; a match is taken whole (its subtree is rendered with it), so the walk
   * does not enter it. */
  xmlNode *root = xmlDocGetRootElement(doc);
  xmlNode *x = root;
  while (x) {
    bool took = false;
    if (x->type == XML_ELEMENT_NODE && css_selector_match(sel, x, &x_ops, &ctx)) {
      if (*n == cap) {
        size_t nc = cap ? cap * 2 : 16;
        xmlNode **nl = realloc(*out, nc * sizeof *nl);
        if (!nl) {
          err = RIPTIDE_ERR_NOMEM;
          break;
        }
        *out = nl;
        cap = nc;
      }
      (*out)[(*n)++] = x;
      took = true;
    }
    if (!took && x->type == XML_ELEMENT_NODE && x->children) {
      x = x->children;
      continue;
    }
    while (x && x != root && !x->next)
      x = x->parent;
    x = x && x != root ? x->next : NULL;
  }
  xmlFree(ctx.owned);
  css_selector_free(sel);
  if (err != RIPTIDE_OK) {
    free(*out);
    *out = NULL;
    *n = 0;
  }
  return err;
}
