/* markdown.c - Markdown and cleaned HTML (first version: plain text). */
#include "guest/extract/ex_internal.h"

void ex_markdown_serialise(const dom_node *root, const char *base, size_t base_len, ex_buf *out)
{
  (void)base;
  (void)base_len;
  ex_text_serialise(root, out);
}

void ex_html_serialise(const dom_node *root, const char *base, size_t base_len, ex_buf *out)
{
  (void)base;
  (void)base_len;
  ex_text_serialise(root, out);
}
