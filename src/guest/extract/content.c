/* content.c - main-content selection (first version: the visible body). */
#include "guest/extract/ex_internal.h"

typedef struct static_ctx {
  int dummy;
} static_ctx;

void ex_mark_static(dom_doc *doc)
{
  dom_node *n = doc->root;
  while ((n = dom_next(doc->root, n))) {
    if (n->type == DOM_ELEMENT && ex_is_hidden(n))
      n->flags |= EXF_HIDDEN;
  }
}

dom_node *ex_content_select(dom_doc *doc, const char *title, size_t title_len)
{
  (void)title;
  (void)title_len;
  return ex_body(doc);
}
