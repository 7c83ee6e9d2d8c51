/*
 * test_dom.c - the compact DOM: per-type node storage (text and comment nodes are allocated
 * without the element fields, which share storage with the doctype's), typed accessors that
 * refuse the wrong node type, interned attribute names, static whitespace text copied on
 * append, attribute prefixes derived from namespaces, and the arena (small first block,
 * growth, in-place text growth, large requests, the memory limit, bytes per input byte).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "guest/html/parser.h"

#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define DOM_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DOM_TEST_ASAN 1
#endif
#endif
#ifndef DOM_TEST_ASAN
#define DOM_TEST_ASAN 0
#endif

static dom_node *first_of_type(dom_doc *doc, dom_node_type type)
{
  for (dom_node *n = doc->root; n; n = dom_next(doc->root, n))
    if (n->type == type)
      return n;
  return NULL;
}

static dom_node *first_tag(dom_doc *doc, html_tag tag)
{
  for (dom_node *n = doc->root; n; n = dom_next(doc->root, n))
    if (n->type == DOM_ELEMENT && n->tag == tag)
      return n;
  return NULL;
}

static void test_node_layout(void **state)
{
  (void)state;
  /* text/comment fields end before the element-only ones; the header is shared */
  assert_true(DOM_CHARDATA_SIZE < sizeof(dom_node));
  assert_true(offsetof(dom_node, data_cap) + sizeof(uint32_t) <= DOM_CHARDATA_SIZE);
  assert_true(offsetof(dom_node, aux) + sizeof(uint32_t) <= DOM_CHARDATA_SIZE);
  assert_true(offsetof(dom_node, score) + sizeof(float) <= DOM_CHARDATA_SIZE);
  assert_true(offsetof(dom_node, attrs) >= offsetof(dom_node, data));
  assert_int_equal(DOM_CHARDATA_SIZE % 8, 0);
}

static void test_accessors_check_the_type(void **state)
{
  (void)state;
  const char *html = "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" \"x\">"
                     "<p id=a>text<!-- c --></p>";
  dom_doc *doc = NULL;
  assert_int_equal(html_parse(html, strlen(html), NULL, &doc), HTML_PARSE_OK);
  dom_node *t = first_of_type(doc, DOM_TEXT), *c = first_of_type(doc, DOM_COMMENT);
  dom_node *dt = first_of_type(doc, DOM_DOCTYPE), *p = first_tag(doc, HTML_TAG_P);
  assert_non_null(t);
  assert_non_null(c);
  assert_non_null(dt);
  assert_non_null(p);
  assert_null(dom_attr_get(t, "id", NULL));
  assert_null(dom_attr_get(c, "id", NULL));
  assert_null(dom_attr_get(dt, "id", NULL));
  assert_null(dom_attr_get(doc->root, "id", NULL));
  size_t l = 0;
  assert_string_equal(dom_attr_get(p, "id", &l), "a");
  assert_int_equal(l, 1);
  assert_false(dom_is(t, HTML_TAG_UNKNOWN));
  assert_int_equal(t->tag, HTML_TAG_UNKNOWN);
  assert_string_equal(t->data, "text");
  assert_string_equal(c->data, " c ");
  assert_string_equal(dt->name, "html");
  assert_string_equal(dt->public_id, "-//W3C//DTD XHTML 1.0 Strict//EN");
  assert_string_equal(dt->system_id, "x");
  dom_doc_free(doc);
}

static void test_interned_attribute_names(void **state)
{
  (void)state;
  /* a few of the names */
  static const char *const known[] = {"d",
                                      "r",
                                      "id",
                                      "class",
                                      "href",
                                      "style",
                                      "data-src",
                                      "aria-hidden",
                                      "itemscope",
                                      "xml:lang",
                                      "data-drupal-link-system-path"};
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
    const char *k = dom_attr_name_intern(known[i], strlen(known[i]));
    assert_non_null(k);
    assert_string_equal(k, known[i]);
  }
  /* every entry is found (the generated hash table matches the list), as itself */
  assert_true(dom_attr_name_count() > 100);
  for (size_t i = 0; i < dom_attr_name_count(); i++) {
    const char *e = dom_attr_name_at(i);
    assert_non_null(e);
    assert_ptr_equal(dom_attr_name_intern(e, strlen(e)), e);
  }
  assert_null(dom_attr_name_at(dom_attr_name_count()));
  assert_null(dom_attr_name_intern("data-my-own", 11));
  assert_null(dom_attr_name_intern("clas", 4));
  assert_null(dom_attr_name_intern("classx", 6));
  assert_null(dom_attr_name_intern("", 0));

  const char *html = "<a href=\"/x\" class=\"\" data-my-own=v>x</a>";
  dom_doc *doc = NULL;
  assert_int_equal(html_parse(html, strlen(html), NULL, &doc), HTML_PARSE_OK);
  dom_node *a = first_tag(doc, HTML_TAG_A);
  assert_non_null(a);
  assert_int_equal(a->n_attrs, 3);
  assert_ptr_equal(a->attrs[0].name, dom_attr_name_intern("href", 4));
  assert_string_equal(a->attrs[0].value, "/x");
  assert_string_equal(a->attrs[1].name, "class");
  assert_int_equal(a->attrs[1].value_len, 0);
  assert_string_equal(a->attrs[1].value, "");
  assert_string_equal(a->attrs[2].name, "data-my-own");
  assert_int_equal(a->attrs[2].name_len, 11);
  assert_string_equal(a->attrs[2].value, "v");
  /* dom_attr_add interns too, and copies names it does not know */
  char name[] = "title", other[] = "x-other";
  assert_true(dom_attr_add(doc, a, name, 5, "t", 1));
  assert_true(dom_attr_add(doc, a, other, 7, NULL, 0));
  name[0] = other[0] = '?';
  assert_string_equal(a->attrs[3].name, "title");
  assert_string_equal(a->attrs[4].name, "x-other");
  assert_string_equal(a->attrs[4].value, "");
  dom_doc_free(doc);
}

static void test_attribute_prefixes(void **state)
{
  (void)state;
  const char *html = "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                     "xmlns:xlink=\"http://www.w3.org/1999/xlink\" xml:lang=en>"
                     "<a xlink:href=\"#x\" href=y></a></svg><p xml:lang=de>";
  dom_doc *doc = NULL;
  assert_int_equal(html_parse(html, strlen(html), NULL, &doc), HTML_PARSE_OK);
  dom_node *svg = NULL, *a = NULL, *p = first_tag(doc, HTML_TAG_P);
  for (dom_node *n = doc->root; n; n = dom_next(doc->root, n)) {
    if (n->type == DOM_ELEMENT && n->ns == DOM_NS_SVG && strcmp(n->name, "svg") == 0)
      svg = n;
    if (n->type == DOM_ELEMENT && n->ns == DOM_NS_SVG && strcmp(n->name, "a") == 0)
      a = n;
  }
  assert_non_null(svg);
  assert_non_null(a);
  assert_non_null(p);
  assert_int_equal(svg->n_attrs, 3);
  assert_null(dom_attr_prefix(&svg->attrs[0])); /* xmlns */
  assert_int_equal(svg->attrs[0].ns, DOM_NS_XMLNS);
  assert_string_equal(dom_attr_prefix(&svg->attrs[1]), "xmlns");
  assert_string_equal(svg->attrs[1].name, "xlink");
  assert_string_equal(dom_attr_prefix(&svg->attrs[2]), "xml");
  assert_string_equal(svg->attrs[2].name, "lang");
  assert_string_equal(dom_attr_prefix(&a->attrs[0]), "xlink");
  assert_string_equal(a->attrs[0].name, "href");
  assert_null(dom_attr_prefix(&a->attrs[1]));
  /* in HTML content xml:lang is an ordinary attribute */
  assert_null(dom_attr_prefix(&p->attrs[0]));
  assert_string_equal(p->attrs[0].name, "xml:lang");
  char *dump = html_tree_dump(doc);
  assert_non_null(dump);
  assert_non_null(strstr(dump, "xlink href=\"#x\""));
  assert_non_null(strstr(dump, "xmlns xlink=\"http://www.w3.org/1999/xlink\""));
  assert_non_null(strstr(dump, "xml lang=\"en\""));
  free(dump);
  dom_doc_free(doc);
}

static void test_static_whitespace_text(void **state)
{
  (void)state;
  assert_string_equal(dom_static_text(" ", 1), " ");
  assert_string_equal(dom_static_text("\n\t\t", 3), "\n\t\t");
  assert_string_equal(dom_static_text("\n    ", 5), "\n    ");
  assert_string_equal(dom_static_text("\n\n", 2), "\n\n");
  assert_null(dom_static_text(" \n", 2));
  assert_null(dom_static_text("\n\t ", 3));
  assert_null(dom_static_text("x", 1));
  char big[200];
  memset(big, ' ', sizeof big);
  assert_null(dom_static_text(big, sizeof big)); /* too long: copied */

  const char *html = "<div><p>a</p> <p>b</p>\n\t<p>c</p></div>";
  dom_doc *doc = NULL;
  assert_int_equal(html_parse(html, strlen(html), NULL, &doc), HTML_PARSE_OK);
  dom_node *div = first_tag(doc, HTML_TAG_DIV);
  assert_non_null(div);
  dom_node *sp = div->first_child->next;
  assert_int_equal(sp->type, DOM_TEXT);
  assert_int_equal(sp->data_len, 1);
  assert_int_equal(sp->data_cap, 0); /* static bytes */
  assert_string_equal(sp->data, " ");
  const char *shared = sp->data;
  /* appending copies first: the static bytes (shared by every such node) stay as they were */
  assert_true(dom_text_append(doc, sp, "xyz", 3));
  assert_string_equal(sp->data, " xyz");
  assert_true(sp->data_cap >= 5);
  assert_string_equal(shared, " ");
  assert_string_equal(dom_static_text(" ", 1), " ");
  dom_node *nl = sp->next->next;
  assert_int_equal(nl->type, DOM_TEXT);
  assert_string_equal(nl->data, "\n\t");
  dom_doc_free(doc);
}

static void test_arena(void **state)
{
  (void)state;
  dom_doc *doc = dom_doc_new(0);
  assert_non_null(doc);
  assert_true(doc->mem_used <= 512); /* a small first block */
  /* many small allocations, zeroed and 8-byte aligned */
  for (int i = 0; i < 10000; i++) {
    unsigned char *p = dom_alloc(doc, (size_t)(i % 40) + 1);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 8, 0);
    for (int k = 0; k < i % 40 + 1; k++)
      assert_int_equal(p[k], 0);
    memset(p, 0xAB, (size_t)(i % 40) + 1);
  }
  /* a large request gets its own block; small ones keep being served */
  size_t before = doc->mem_used;
  char *big = dom_alloc(doc, 1u << 20);
  assert_non_null(big);
  memset(big, 1, 1u << 20);
  assert_true(doc->mem_used - before < (1u << 20) + 4096);
  assert_non_null(dom_alloc(doc, 8));
  /* a text node grows (in place when it can), keeping its bytes */
  dom_node *t = dom_new_text(doc, "ab", 2);
  assert_non_null(t);
  for (int i = 0; i < 5000; i++)
    assert_true(dom_text_append(doc, t, "0123456789", 10));
  assert_int_equal(t->data_len, 2 + 50000);
  assert_int_equal(t->data[t->data_len], '\0');
  assert_memory_equal(t->data, "ab0123456789", 12);
  assert_memory_equal(t->data + t->data_len - 10, "0123456789", 10);
  /* growing while other allocations interleave */
  dom_node *u = dom_new_comment(doc, "", 0);
  assert_non_null(u);
  for (int i = 0; i < 1000; i++) {
    assert_true(dom_text_append(doc, u, "x", 1));
    assert_non_null(dom_alloc(doc, 24));
  }
  assert_int_equal(u->data_len, 1000);
  assert_true(u->data_cap >= 1001);
  dom_doc_free(doc);

  /* the limit: allocation stops with oom, never past it */
  doc = dom_doc_new(64 * 1024);
  assert_non_null(doc);
  size_t got = 0;
  while (dom_alloc(doc, 100))
    got += 104;
  assert_true(doc->oom);
  assert_true(doc->mem_used <= 64 * 1024);
  assert_true(got > 32 * 1024);
  dom_doc_free(doc);
}

/* Bytes of DOM per input byte on a link list, markup-heavy like the navigation blocks that
 * make real pages the densest (elements with attributes, short texts, whitespace between
 * tags): the bound is 8x. Natively an element costs 96 bytes, a text node 72. */
static void test_link_list_stays_under_8x(void **state)
{
  (void)state;
  static const char unit[] = "<li class=\"menu-item\"><a href=\"/news/2024/title-of-the-story\">"
                             "Title of the story</a> <span>12 comments</span></li>\n";
  size_t n = 5000, ul = sizeof unit - 1, len = 0;
  char *s = malloc(n * ul + 16);
  assert_non_null(s);
  memcpy(s, "<ul>\n", 5);
  len = 5;
  for (size_t i = 0; i < n; i++, len += ul)
    memcpy(s + len, unit, ul);
  dom_doc *doc = NULL;
  assert_int_equal(html_parse(s, len, NULL, &doc), HTML_PARSE_OK);
#if !DOM_TEST_ASAN /* ASan builds put a red zone after every allocation */
  assert_true(doc->mem_used < 8 * len);
#endif
  dom_doc_free(doc);
  free(s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_node_layout),
      cmocka_unit_test(test_accessors_check_the_type),
      cmocka_unit_test(test_interned_attribute_names),
      cmocka_unit_test(test_attribute_prefixes),
      cmocka_unit_test(test_static_whitespace_text),
      cmocka_unit_test(test_arena),
      cmocka_unit_test(test_link_list_stays_under_8x),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
