/*
 * fuzz_selector.c - libFuzzer target for custom mode's CSS selector parser and matcher
 * (src/guest/css/selector.c: the guest's, the host check's and the fallback's).
 *
 * Input: the selector, then optionally a NUL byte and a page. The selector is parsed; a
 * refusal must name a reason and a position inside it, and its formatted message must fit;
 * an accepted selector is matched against every element of the page (a small fixed page when
 * none is given) as parsed by the guest's tree builder. Build and run: make fuzz-selector
 * (clang-19 -fsanitize=fuzzer,address,undefined, FUZZ_TIME seconds); seeds:
 * fuzz/corpus/selector, replayed by tests/test_selector.c in make test.
 */
#include "guest/css/selector.h"
#include "guest/html/parser.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char PAGE[] =
    "<html><body><div id=main class='a b'><section class=b><p class=a lang=en-GB>x "
    "<a href='https://e.test/1' rel='nofollow noopener'>y</a></p></section><svg viewBox='0 0 1 "
    "1'><g class=a></g></svg><table><tr><td data-x=''>z</td></tr></table></div></body></html>";

static const void *f_parent(void *ctx, const void *el)
{
  (void)ctx;
  const dom_node *p = ((const dom_node *)el)->parent;
  return p && p->type == DOM_ELEMENT ? p : NULL;
}

static const char *f_name(void *ctx, const void *el, size_t *len)
{
  (void)ctx;
  *len = ((const dom_node *)el)->name_len;
  return ((const dom_node *)el)->name;
}

static const char *f_attr(void *ctx, const void *el, const char *name, size_t name_len,
                          size_t *vlen)
{
  (void)ctx;
  const dom_node *n = el;
  for (uint32_t i = 0; i < n->n_attrs; i++) {
    const dom_attr *a = &n->attrs[i];
    if (a->name_len != name_len)
      continue;
    size_t k = 0;
    while (k < name_len &&
           (a->name[k] >= 'A' && a->name[k] <= 'Z' ? a->name[k] + 32 : a->name[k]) == name[k])
      k++;
    if (k == name_len) {
      *vlen = a->value_len;
      return a->value;
    }
  }
  return NULL;
}

static const css_node_ops ops = {f_parent, f_name, f_attr};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *s = (const char *)data;
  const uint8_t *nul = memchr(data, 0, size);
  size_t n = nul ? (size_t)(nul - data) : size;
  css_error err;
  css_selector *sel = css_selector_parse(s, n, &err);
  char msg[96];
  css_error_format(&err, s, n, msg, sizeof msg);
  if (strlen(msg) >= sizeof msg)
    abort();
  if (!sel) {
    if (!err.what || (n && n <= RT_MAX_SELECTOR && err.pos > n))
      abort();
    return 0;
  }
  if (!sel->n)
    abort();
  const char *page = nul ? (const char *)nul + 1 : PAGE;
  size_t plen = nul ? size - n - 1 : sizeof PAGE - 1;
  html_parse_options po;
  memset(&po, 0, sizeof po);
  po.mem_limit = 8u << 20;
  dom_doc *doc = NULL;
  if (html_parse(page, plen, &po, &doc) == HTML_PARSE_OK) {
    for (dom_node *x = doc->root; x; x = dom_next(doc->root, x))
      if (x->type == DOM_ELEMENT)
        (void)css_selector_match(sel, x, &ops, NULL);
    dom_doc_free(doc);
  }
  css_selector_free(sel);
  return 0;
}
