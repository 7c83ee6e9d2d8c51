/*
 * test_differential.c - our tree vs gumbo's (Debian libgumbo) on the dev corpus: the visible
 * text of both trees must agree on at least 99 % of the pages.
 *
 * Visible text: the data of every text node outside <head>, <script>, <style>, <template>,
 * <noscript>, <noframes>, <noembed>, <iframe> and comments, concatenated in document order,
 * with whitespace runs collapsed to one space and the ends trimmed. Pages come from
 * $RIPTIDE_SHARED/eval/dev/{corpus}/{page}.html (skips with a message when absent). Each page
 * that differs is printed with the first difference in context, so the report explains
 * itself. gumbo is linked into this test only (mk/parser.mk), never into the guest.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "support/corpus.h"
#include "guest/html/parser.h"

#include <glob.h>
#include <gumbo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct text {
  char *s;
  size_t n, cap;
  bool space; /* a collapsed space is pending */
} text;

static void text_add(text *t, const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
      t->space = t->n > 0;
      continue;
    }
    if (t->n + 3 > t->cap) {
      size_t nc = t->cap ? t->cap * 2 : 4096;
      char *ns = realloc(t->s, nc);
      assert_non_null(ns);
      t->s = ns;
      t->cap = nc;
    }
    if (t->space) {
      t->s[t->n++] = ' ';
      t->space = false;
    }
    t->s[t->n++] = c;
  }
}

static bool hidden_name(const char *name)
{
  static const char *const hidden[] = {"head",     "script",   "style",   "template",
                                       "noscript", "noframes", "noembed", "iframe"};
  for (size_t i = 0; i < sizeof hidden / sizeof hidden[0]; i++)
    if (strcmp(name, hidden[i]) == 0)
      return true;
  return false;
}

static void ours_text(const dom_doc *doc, text *t)
{
  const dom_node *n = doc->root;
  while (n) {
    if (n->type == DOM_ELEMENT && n->ns == DOM_NS_HTML && hidden_name(n->name)) {
      n = dom_next_skip(doc->root, n);
      continue;
    }
    if (n->type == DOM_TEXT)
      text_add(t, n->data, n->data_len);
    n = dom_next(doc->root, n);
  }
}

static void gumbo_text(const GumboNode *root, text *t)
{
  size_t cap = 1024, top = 0;
  const GumboNode **st = malloc(cap * sizeof *st);
  assert_non_null(st);
  st[top++] = root;
  while (top) {
    const GumboNode *n = st[--top];
    const GumboVector *kids = NULL;
    if (n->type == GUMBO_NODE_DOCUMENT) {
      kids = &n->v.document.children;
    } else if (n->type == GUMBO_NODE_ELEMENT || n->type == GUMBO_NODE_TEMPLATE) {
      if (n->type == GUMBO_NODE_TEMPLATE)
        continue;
      if (n->v.element.tag_namespace == GUMBO_NAMESPACE_HTML &&
          hidden_name(gumbo_normalized_tagname(n->v.element.tag)))
        continue;
      kids = &n->v.element.children;
    } else if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE ||
               n->type == GUMBO_NODE_CDATA) {
      text_add(t, n->v.text.text, strlen(n->v.text.text));
    }
    if (kids) {
      if (top + kids->length > cap) {
        while (top + kids->length > cap)
          cap *= 2;
        const GumboNode **ns = realloc(st, cap * sizeof *ns);
        assert_non_null(ns);
        st = ns;
      }
      for (unsigned i = kids->length; i-- > 0;)
        st[top++] = kids->data[i];
    }
  }
  free(st);
}

static void test_visible_text_agrees_with_gumbo(void **state)
{
  (void)state;
  const char *shared = getenv("RIPTIDE_SHARED");
  char pat[4096];
  snprintf(pat, sizeof pat, "%s/eval/dev/*/*.html", shared && *shared ? shared : "../shared");
  glob_t g;
  if (glob(pat, 0, NULL, &g) != 0 || g.gl_pathc == 0) {
    printf("differential: skipped (no pages match %s)\n", pat);
    skip();
  }
  size_t pages = 0, agree = 0;
  for (size_t i = 0; i < g.gl_pathc; i++) {
    size_t len;
    char *html = bench_read_file(g.gl_pathv[i], &len);
    if (!html)
      continue;
    pages++;
    dom_doc *doc = NULL;
    text a = {0}, b = {0};
    if (html_parse(html, len, NULL, &doc) == HTML_PARSE_OK)
      ours_text(doc, &a);
    dom_doc_free(doc);
    GumboOutput *out = gumbo_parse_with_options(&kGumboDefaultOptions, html, len);
    gumbo_text(out->document, &b);
    gumbo_destroy_output(&kGumboDefaultOptions, out);
    if (a.n == b.n && (a.n == 0 || memcmp(a.s, b.s, a.n) == 0)) {
      agree++;
    } else {
      size_t k = 0;
      while (k < a.n && k < b.n && a.s[k] == b.s[k])
        k++;
      size_t from = k > 40 ? k - 40 : 0;
      int ca = (int)((a.n - from) < 100 ? a.n - from : 100);
      int cb = (int)((b.n - from) < 100 ? b.n - from : 100);
      printf("differs: %s (text %zu vs %zu bytes, first difference at %zu)\n  ours:  %.*s\n"
             "  gumbo: %.*s\n",
             g.gl_pathv[i], a.n, b.n, k, ca, a.s ? a.s + from : "", cb, b.s ? b.s + from : "");
    }
    free(a.s);
    free(b.s);
    free(html);
  }
  globfree(&g);
  printf("differential: visible text agrees with gumbo on %zu/%zu pages (%.2f %%)\n", agree, pages,
         pages ? 100.0 * (double)agree / (double)pages : 0);
  assert_true(pages > 0);
  assert_true(agree * 100 >= pages * 99);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_visible_text_agrees_with_gumbo),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
