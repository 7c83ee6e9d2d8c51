/*
 * test_parser.c - the HTML tree builder: trees in html5lib's dump format, fragments,
 * templates, foreign content, quirks, the scripting flag, and hostile input (100,000-deep
 * nesting in many shapes, a million attributes, a 10 MB attribute value, an unclosed comment
 * at the start of a 10 MB page, binary and invalid UTF-8, memory limits). Finally replays the
 * committed fuzz seed corpus (fuzz/corpus/parser), and checks the guest's parse_only option.
 *
 * Linearity is asserted without timing: the parser charges every walk that is not O(1) to a
 * work budget linear in the input and stops with HTML_PARSE_LIMIT when it runs out, so an
 * input that made it quadratic would fail these tests with HTML_PARSE_LIMIT.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "guest/html/parser.h"
#include "guest/extract/extract.h"
#include "common/limits.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------------------------ */

static char *repeat(const char *pre, const char *a, size_t na, const char *b, size_t nb,
                    const char *post, size_t *len)
{
  size_t lp = strlen(pre), la = strlen(a), lb = strlen(b), lq = strlen(post);
  size_t n = lp + la * na + lb * nb + lq;
  char *s = malloc(n + 1);
  assert_non_null(s);
  size_t k = 0;
  memcpy(s, pre, lp);
  k += lp;
  for (size_t i = 0; i < na; i++, k += la)
    memcpy(s + k, a, la);
  for (size_t i = 0; i < nb; i++, k += lb)
    memcpy(s + k, b, lb);
  memcpy(s + k, post, lq);
  k += lq;
  s[k] = '\0';
  *len = k;
  return s;
}

static html_parse_status parse(const char *s, size_t n, dom_doc **doc)
{
  return html_parse(s, n, NULL, doc);
}

/* Parses s (a whole document) and compares the dump with `want`. */
static void expect_tree(const char *s, const char *want)
{
  dom_doc *doc = NULL;
  assert_int_equal(parse(s, strlen(s), &doc), HTML_PARSE_OK);
  char *got = html_tree_dump(doc);
  assert_non_null(got);
  assert_string_equal(got, want);
  free(got);
  dom_doc_free(doc);
}

static size_t count_nodes(const dom_doc *doc)
{
  size_t count = 0;
  for (const dom_node *n = doc->root; n; n = dom_next(doc->root, n))
    count++;
  return count;
}

/* Depth of the deepest node along the last-child chain (cheap for deep trees). */
static size_t last_child_depth(const dom_doc *doc)
{
  size_t d = 0;
  for (const dom_node *n = doc->root; n->last_child; n = n->last_child)
    d++;
  return d;
}

/* ---- trees -------------------------------------------------------------------------------- */

static void test_basic_tree(void **state)
{
  (void)state;
  expect_tree("<!DOCTYPE html><title>T</title><p class=x>Hello <b>big<i>world</b>!</i>",
              "| <!DOCTYPE html>\n"
              "| <html>\n"
              "|   <head>\n"
              "|     <title>\n"
              "|       \"T\"\n"
              "|   <body>\n"
              "|     <p>\n"
              "|       class=\"x\"\n"
              "|       \"Hello \"\n"
              "|       <b>\n"
              "|         \"big\"\n"
              "|         <i>\n"
              "|           \"world\"\n"
              "|       <i>\n"
              "|         \"!\"\n");
}

static void test_tables_and_foster_parenting(void **state)
{
  (void)state;
  expect_tree("<table>x<tr><td>a<td>b</table>", "| <html>\n"
                                                "|   <head>\n"
                                                "|   <body>\n"
                                                "|     \"x\"\n"
                                                "|     <table>\n"
                                                "|       <tbody>\n"
                                                "|         <tr>\n"
                                                "|           <td>\n"
                                                "|             \"a\"\n"
                                                "|           <td>\n"
                                                "|             \"b\"\n");
}

static void test_template_contents(void **state)
{
  (void)state;
  const char *s = "<template><tr><td>x</template>";
  dom_doc *doc = NULL;
  assert_int_equal(parse(s, strlen(s), &doc), HTML_PARSE_OK);
  const dom_node *html = doc->root->first_child;
  const dom_node *head = html->first_child;
  const dom_node *tpl = head->first_child;
  assert_true(dom_is(tpl, HTML_TAG_TEMPLATE));
  assert_null(tpl->first_child);
  assert_non_null(tpl->template_content);
  assert_int_equal(tpl->template_content->type, DOM_FRAGMENT);
  assert_true(dom_is(tpl->template_content->first_child, HTML_TAG_TR));
  char *got = html_tree_dump(doc);
  assert_non_null(strstr(got, "|     <template>\n|       content\n|         <tr>\n"));
  free(got);
  dom_doc_free(doc);
}

static void test_foreign_content(void **state)
{
  (void)state;
  expect_tree("<svg viewbox='0 0 1 1' xlink:href=u><foreignobject><p>x</p></foreignobject>"
              "<lineargradient/></svg><math><mi>y</mi></math>",
              "| <html>\n"
              "|   <head>\n"
              "|   <body>\n"
              "|     <svg svg>\n"
              "|       viewBox=\"0 0 1 1\"\n"
              "|       xlink href=\"u\"\n"
              "|       <svg foreignObject>\n"
              "|         <p>\n"
              "|           \"x\"\n"
              "|       <svg linearGradient>\n"
              "|     <math math>\n"
              "|       <math mi>\n"
              "|         \"y\"\n");
}

static void test_fragment(void **state)
{
  (void)state;
  html_parse_options o = {0};
  o.fragment_context = "td";
  const char *s = "a<td>b"; /* the context td is not on the stack: <td> is ignored */
  dom_doc *doc = NULL;
  assert_int_equal(html_parse(s, strlen(s), &o, &doc), HTML_PARSE_OK);
  assert_int_equal(doc->root->type, DOM_FRAGMENT);
  char *got = html_tree_dump(doc);
  assert_string_equal(got, "| \"ab\"\n");
  free(got);
  dom_doc_free(doc);

  o.fragment_context = "title";
  s = "<b>x</b>";
  assert_int_equal(html_parse(s, strlen(s), &o, &doc), HTML_PARSE_OK);
  got = html_tree_dump(doc);
  assert_string_equal(got, "| \"<b>x</b>\"\n");
  free(got);
  dom_doc_free(doc);
}

static void test_scripting_flag(void **state)
{
  (void)state;
  const char *s = "<noscript><p>x</p></noscript>";
  html_parse_options o = {0};
  dom_doc *doc = NULL;
  assert_int_equal(html_parse(s, strlen(s), &o, &doc), HTML_PARSE_OK);
  char *off = html_tree_dump(doc);
  dom_doc_free(doc);
  o.scripting = true;
  assert_int_equal(html_parse(s, strlen(s), &o, &doc), HTML_PARSE_OK);
  char *on = html_tree_dump(doc);
  dom_doc_free(doc);
  /* scripting off: <p> is an element in body's noscript; on: noscript in head holds raw text */
  assert_non_null(strstr(off, "<p>"));
  assert_non_null(strstr(on, "\"<p>x</p>\""));
  free(off);
  free(on);
}

static void test_quirks_mode(void **state)
{
  (void)state;
  static const struct {
    const char *s;
    int quirks;
  } cases[] = {
      {"<!DOCTYPE html><p>", 0},
      {"<p>", 1},
      {"<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.0 Transitional//EN\">", 1},
      {"<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\" \"x\">", 2},
      {"<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\" \"x\">", 2},
      {"<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">", 1},
      {"<!DOCTYPE svg>", 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    dom_doc *doc = NULL;
    assert_int_equal(parse(cases[i].s, strlen(cases[i].s), &doc), HTML_PARSE_OK);
    assert_int_equal(doc->quirks, cases[i].quirks);
    dom_doc_free(doc);
  }
  /* quirks mode: <table> does not close an open <p> */
  expect_tree("<p><table>", "| <html>\n|   <head>\n|   <body>\n|     <p>\n|       <table>\n");
  expect_tree("<!DOCTYPE html><p><table>",
              "| <!DOCTYPE html>\n| <html>\n|   <head>\n|   <body>\n|     <p>\n|     <table>\n");
}

/* ---- hostile input ------------------------------------------------------------------------ */

#define DEEP 100000

typedef struct deep_case {
  const char *name, *pre, *open, *close, *post;
  size_t n_open, n_close;
} deep_case;

/* Deep nesting in many shapes: every one must parse (no LIMIT: no quadratic walk). */
static void test_deep_nesting_shapes(void **state)
{
  (void)state;
  static const deep_case cases[] = {
      {"div + matching ends", "", "<div>", "</div>", "", DEEP, DEEP},
      {"span + stray </x>", "", "<span>", "</x>", "", DEEP, DEEP},
      {"span + stray </p>", "", "<span>", "</p>", "", DEEP, DEEP},
      {"custom + stray </y>", "", "<x-a>", "</x-b>", "", DEEP, DEEP},
      {"b + matching ends", "", "<b>", "</b>", "", DEEP, DEEP},
      {"distinct <b id>", "", "<b id=1><b id=2><b id=3>", "</b>", "", DEEP / 3, DEEP},
      {"p button spans </p>", "<p><button>", "<span>", "</p>", "", DEEP, DEEP},
      {"nested tables", "", "<table><tr><td>", "</table>", "", DEEP / 3, DEEP / 3},
      {"tables in divs", "", "<div>", "<table></table>", "", DEEP, DEEP},
      {"a", "", "<a>", "", "", DEEP, 0},
      {"a pairs in divs", "", "<div>", "<a>x</a>", "", DEEP, DEEP},
      {"svg g + stray", "<svg>", "<g>", "</z>", "", DEEP, DEEP},
      {"svg g + matching", "<svg>", "<g>", "</g>", "", DEEP, DEEP},
      {"li in divs", "<ul>", "<li><div>", "<li>", "", DEEP / 2, DEEP / 2},
      {"templates", "", "<template>", "</template>", "", DEEP, DEEP},
      {"options", "<select>", "<option>", "</select>", "", DEEP, DEEP},
      {"objects", "", "<object>", "</object>", "", DEEP, DEEP},
      {"font + </p>", "", "<font color=1>", "</p>", "", DEEP, DEEP},
      {"nobr", "", "<nobr>", "", "", DEEP, 0},
      {"h1 span + </h2>", "", "<h1><span>", "</h2>", "", DEEP, DEEP},
      {"formatting reconstruct", "<div>", "<i>", "</div><div>x", "", DEEP / 10, 100},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const deep_case *c = &cases[i];
    size_t len;
    char *s = repeat(c->pre, c->open, c->n_open, c->close, c->n_close, c->post, &len);
    dom_doc *doc = NULL;
    html_parse_status st = parse(s, len, &doc);
    if (st != HTML_PARSE_OK)
      fail_msg("%s: status %d", c->name, (int)st);
    assert_true(last_child_depth(doc) <= RT_PARSER_MAX_DEPTH + 2);
    dom_doc_free(doc);
    free(s);
  }
}

/* Past RT_PARSER_MAX_DEPTH the tree is flattened, not refused. */
static void test_depth_limit_flattens(void **state)
{
  (void)state;
  size_t len, n = RT_PARSER_MAX_DEPTH + RT_PARSER_MAX_DEPTH / 2;
  char *s = repeat("", "<div>", n, "", 0, "end", &len);
  dom_doc *doc = NULL;
  assert_int_equal(parse(s, len, &doc), HTML_PARSE_OK);
  size_t d = last_child_depth(doc);
  assert_true(d >= RT_PARSER_MAX_DEPTH - 2);
  assert_true(d <= RT_PARSER_MAX_DEPTH + 1);
  /* document + html + head + body + every div + the text */
  assert_int_equal(count_nodes(doc), 1 + 3 + n + 1);
  dom_doc_free(doc);
  free(s);
}

/* The adoption agency on a deep stack is inherently O(depth) per end tag; the work budget turns
 * it into a clear limit error instead of minutes of CPU. */
static void test_adoption_agency_deep_is_bounded(void **state)
{
  (void)state;
  size_t len;
  char *s = repeat("<b>", "<div>", DEEP, "</b>", DEEP, "", &len);
  dom_doc *doc = NULL;
  html_parse_status st = parse(s, len, &doc);
  assert_true(st == HTML_PARSE_OK || st == HTML_PARSE_LIMIT);
  if (st == HTML_PARSE_OK)
    dom_doc_free(doc);
  else
    assert_null(doc);
  free(s);
}

/* Pages of formatting elements left open (the list of active formatting elements, its markers,
 * the Noah's Ark clause, reconstruction) cost the tree builder the same work per byte at any
 * size: 10x the input is at most 10x the work (plus slack), and never the work budget. Before
 * the fix, "<b>x<table><td>y</b>" charged the whole list on every </b> and stopped with
 * HTML_PARSE_LIMIT at 100 KB. */
static void test_formatting_shapes_linear_work(void **state)
{
  (void)state;
  static const char *const units[] = {
      "<p><b class=x>Some words of text here.</p>\n",
      "<p><b class=x>x</p>",
      "<b>x<table><td>y</b>",
      "<i><b>x<td>y</i>",
      "<b>x<object><i>y</b></i>",
      "<p><b class=x><i class=y><u>x</p>",
      "<b><i><u><s><p>x</b></i>",
      "<b class=x>x<marquee>y</i>",
  };
  for (size_t k = 0; k < sizeof units / sizeof units[0]; k++) {
    uint64_t work[2];
    size_t bytes[2];
    for (int r = 0; r < 2; r++) {
      size_t n = (r ? 10 : 1) * (20000 / strlen(units[k]));
      char *s = repeat("", units[k], n, "", 0, "", &bytes[r]);
      html_parse_options o;
      memset(&o, 0, sizeof o);
      o.work_out = &work[r];
      dom_doc *doc = NULL;
      html_parse_status st = html_parse(s, bytes[r], &o, &doc);
      if (st != HTML_PARSE_OK)
        fail_msg("%s x %zu: status %d", units[k], n, (int)st);
      dom_doc_free(doc);
      free(s);
    }
    if (work[1] > 10 * work[0] + 1000)
      fail_msg("%s: work %llu for %zu bytes, %llu for %zu bytes", units[k],
               (unsigned long long)work[0], bytes[0], (unsigned long long)work[1], bytes[1]);
    assert_true(work[1] <= 2 * (uint64_t)bytes[1]);
  }
}

static void test_million_attributes(void **state)
{
  (void)state;
  const size_t n = 1000000;
  /* distinct names: a0 a1 ... */
  size_t cap = n * 12 + 64, k = 0;
  char *s = malloc(cap);
  assert_non_null(s);
  k += (size_t)snprintf(s + k, cap - k, "<div");
  for (size_t i = 0; i < n; i++)
    k += (size_t)snprintf(s + k, cap - k, " a%zu", i);
  k += (size_t)snprintf(s + k, cap - k, ">x");
  dom_doc *doc = NULL;
  assert_int_equal(parse(s, k, &doc), HTML_PARSE_OK);
  const dom_node *body = doc->root->first_child->last_child;
  const dom_node *div = body->first_child;
  assert_true(dom_is(div, HTML_TAG_DIV));
  assert_int_equal(div->n_attrs, RT_PARSER_MAX_ATTRS); /* the rest dropped, per limits.h */
  dom_doc_free(doc);

  /* one name a million times: duplicates dropped */
  k = 0;
  k += (size_t)snprintf(s + k, cap - k, "<p");
  for (size_t i = 0; i < n; i++)
    k += (size_t)snprintf(s + k, cap - k, " a=%zu", i % 10);
  k += (size_t)snprintf(s + k, cap - k, ">");
  assert_int_equal(parse(s, k, &doc), HTML_PARSE_OK);
  const dom_node *p = doc->root->first_child->last_child->first_child;
  assert_int_equal(p->n_attrs, 1);
  assert_string_equal(p->attrs[0].value, "0");
  dom_doc_free(doc);
  free(s);
}

/* Attribute-heavy formatting elements (Noah's Ark compares attribute sets) and a repeated
 * <body> (attributes merged): linear, or a clear limit error. */
static void test_attribute_heavy_elements(void **state)
{
  (void)state;
  const size_t n = 50000;
  size_t cap = 4 * (n * 9 + 16) + 64, k = 0;
  char *s = malloc(cap);
  assert_non_null(s);
  for (int copy = 0; copy < 4; copy++) {
    k += (size_t)snprintf(s + k, cap - k, "<b");
    for (size_t i = 0; i < n; i++)
      k += (size_t)snprintf(s + k, cap - k, " a%zu", i);
    k += (size_t)snprintf(s + k, cap - k, ">");
  }
  dom_doc *doc = NULL;
  assert_int_equal(parse(s, k, &doc), HTML_PARSE_OK); /* same order: O(n) comparisons */
  dom_doc_free(doc);

  k = 0;
  for (int copy = 0; copy < 2; copy++) {
    k += (size_t)snprintf(s + k, cap - k, "<body");
    for (size_t i = 0; i < n; i++)
      k += (size_t)snprintf(s + k, cap - k, " a%zu", copy ? n - 1 - i : i);
    k += (size_t)snprintf(s + k, cap - k, ">");
  }
  html_parse_status st = parse(s, k, &doc);
  assert_true(st == HTML_PARSE_OK || st == HTML_PARSE_LIMIT);
  dom_doc_free(doc);
  free(s);
}

static void test_10mb_attribute_value(void **state)
{
  (void)state;
  const size_t n = 10u << 20;
  size_t len;
  char *s = repeat("<div title=\"", "a", n, "", 0, "\">x</div>", &len);
  dom_doc *doc = NULL;
  assert_int_equal(parse(s, len, &doc), HTML_PARSE_OK);
  const dom_node *div = doc->root->first_child->last_child->first_child;
  assert_int_equal(div->n_attrs, 1);
  assert_int_equal(div->attrs[0].value_len, n);
  dom_doc_free(doc);

  /* the same page under a 16 MB budget: refused cleanly */
  html_parse_options o = {0};
  o.mem_limit = 16u << 20;
  assert_int_equal(html_parse(s, len, &o, &doc), HTML_PARSE_NOMEM);
  assert_null(doc);
  free(s);
}

static void test_unclosed_comment_10mb(void **state)
{
  (void)state;
  const size_t n = 10u << 20;
  size_t len;
  char *s = repeat("<!--", "<p>x&amp;", n / 9, "", 0, "", &len);
  dom_doc *doc = NULL;
  assert_int_equal(parse(s, len, &doc), HTML_PARSE_OK);
  const dom_node *c = doc->root->first_child;
  assert_int_equal(c->type, DOM_COMMENT);
  assert_int_equal(c->data_len, len - 4);
  assert_null(c->next->next); /* comment, then the html element */
  dom_doc_free(doc);
  free(s);
}

static void test_binary_and_invalid_utf8(void **state)
{
  (void)state;
  const size_t n = 4u << 20;
  char *s = malloc(n);
  assert_non_null(s);
  uint64_t x = 88172645463325252ull;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s[i] = (char)(x >> 24);
  }
  dom_doc *doc = NULL;
  assert_int_equal(parse(s, n, &doc), HTML_PARSE_OK);
  char *dump = html_tree_dump(doc);
  assert_non_null(dump);
  free(dump);
  dom_doc_free(doc);

  /* markup-heavy binary: random bytes from a small alphabet of syntax characters */
  static const char alphabet[] = "<>/=\"'!-?&;#x \n\0abtdrsvgmp";
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s[i] = alphabet[(x >> 24) % (sizeof alphabet - 1)];
  }
  assert_int_equal(parse(s, n, &doc), HTML_PARSE_OK);
  dom_doc_free(doc);
  free(s);

  /* invalid UTF-8 becomes U+FFFD in text */
  const char *bad = "<p>a\xff"
                    "b\xc3(</p>";
  assert_int_equal(parse(bad, strlen(bad), &doc), HTML_PARSE_OK);
  const dom_node *p = doc->root->first_child->last_child->first_child;
  assert_int_equal(p->first_child->type, DOM_TEXT);
  assert_non_null(strstr(p->first_child->data, "\xEF\xBF\xBD"));
  dom_doc_free(doc);

  /* NUL in body text is dropped; in SVG it becomes U+FFFD */
  const char nul[] = "<p>a\0b<svg>c\0d";
  assert_int_equal(parse(nul, sizeof nul - 1, &doc), HTML_PARSE_OK);
  char *got = html_tree_dump(doc);
  assert_non_null(strstr(got, "\"ab\""));
  assert_non_null(strstr(got, "\"c\xEF\xBF\xBD"
                              "d\""));
  free(got);
  dom_doc_free(doc);
}

static void test_memory_limit(void **state)
{
  (void)state;
  size_t len;
  char *s = repeat("", "<p>x", 200000, "", 0, "", &len);
  html_parse_options o = {0};
  o.mem_limit = 1u << 20;
  dom_doc *doc = (dom_doc *)1;
  assert_int_equal(html_parse(s, len, &o, &doc), HTML_PARSE_NOMEM);
  assert_null(doc);
  o.mem_limit = 256u << 20;
  assert_int_equal(html_parse(s, len, &o, &doc), HTML_PARSE_OK);
  assert_true(doc->mem_used <= o.mem_limit);
  dom_doc_free(doc);
  free(s);
}

static void test_empty_and_null(void **state)
{
  (void)state;
  dom_doc *doc = NULL;
  assert_int_equal(html_parse("", 0, NULL, &doc), HTML_PARSE_OK);
  char *got = html_tree_dump(doc);
  assert_string_equal(got, "| <html>\n|   <head>\n|   <body>\n");
  free(got);
  dom_doc_free(doc);
  assert_int_equal(html_parse(NULL, 0, NULL, &doc), HTML_PARSE_OK);
  dom_doc_free(doc);
  assert_null(html_tree_dump(NULL));
}

/* ---- fuzz corpus replay ------------------------------------------------------------------- */

static void test_fuzz_corpus_replay(void **state)
{
  (void)state;
  const char *dir = "fuzz/corpus/parser";
  DIR *d = opendir(dir);
  if (!d) {
    printf("fuzz corpus replay: skipped (%s not found; run from the source tree)\n", dir);
    skip();
  }
  struct dirent *de;
  size_t files = 0;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.')
      continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    FILE *f = fopen(path, "rb");
    if (!f)
      continue;
    char *buf = malloc(1u << 20);
    assert_non_null(buf);
    size_t n = fread(buf, 1, 1u << 20, f);
    fclose(f);
    dom_doc *doc = NULL;
    html_parse_status st = html_parse(buf, n, NULL, &doc);
    assert_true(st == HTML_PARSE_OK || st == HTML_PARSE_LIMIT);
    if (doc) {
      char *dump = html_tree_dump(doc);
      free(dump);
      dom_doc_free(doc);
    }
    /* and as a fragment in a foreign context, as the fuzzer does */
    html_parse_options o = {0};
    o.fragment_context = "svg";
    o.fragment_ns = DOM_NS_SVG;
    st = html_parse(buf, n, &o, &doc);
    assert_true(st == HTML_PARSE_OK || st == HTML_PARSE_LIMIT);
    dom_doc_free(doc);
    free(buf);
    files++;
  }
  closedir(d);
  assert_true(files > 0);
}

/* The guest's "parse_only=1" option (bench_parser's sandbox figures): parse, then an empty
 * result; the parse keeps its bounds. */
static void test_parse_only_option(void **state)
{
  (void)state;
  ex_options o;
  char scratch[64];
  ex_options_init(&o);
  assert_false(o.parse_only);
  static const char on[] = "parse_only=1\n", bad[] = "parse_only=maybe\n";
  assert_int_equal(ex_options_parse(&o, bad, sizeof bad - 1, scratch, sizeof scratch),
                   RT_GUEST_BAD_ARGS);
  assert_int_equal(ex_options_parse(&o, on, sizeof on - 1, scratch, sizeof scratch), RT_GUEST_OK);
  assert_true(o.parse_only);
  const char *html = "<title>T</title><p>Some text that would be extracted.</p>";
  rt_wire_writer w;
  rt_wire_init(&w);
  assert_int_equal(ex_extract(html, strlen(html), NULL, 0, &o, &w), RT_GUEST_OK);
  assert_int_equal(w.len, 0);
  rt_wire_reset(&w);
  size_t len;
  char *s = repeat("", "<p>x", 200000, "", 0, "", &len);
  o.mem_limit = 1u << 20;
  rt_wire_init(&w);
  assert_int_equal(ex_extract(s, len, NULL, 0, &o, &w), RT_GUEST_NOMEM);
  rt_wire_reset(&w);
  free(s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_basic_tree),
      cmocka_unit_test(test_tables_and_foster_parenting),
      cmocka_unit_test(test_template_contents),
      cmocka_unit_test(test_foreign_content),
      cmocka_unit_test(test_fragment),
      cmocka_unit_test(test_scripting_flag),
      cmocka_unit_test(test_quirks_mode),
      cmocka_unit_test(test_deep_nesting_shapes),
      cmocka_unit_test(test_depth_limit_flattens),
      cmocka_unit_test(test_adoption_agency_deep_is_bounded),
      cmocka_unit_test(test_formatting_shapes_linear_work),
      cmocka_unit_test(test_million_attributes),
      cmocka_unit_test(test_attribute_heavy_elements),
      cmocka_unit_test(test_10mb_attribute_value),
      cmocka_unit_test(test_unclosed_comment_10mb),
      cmocka_unit_test(test_binary_and_invalid_utf8),
      cmocka_unit_test(test_memory_limit),
      cmocka_unit_test(test_empty_and_null),
      cmocka_unit_test(test_fuzz_corpus_replay),
      cmocka_unit_test(test_parse_only_option),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
